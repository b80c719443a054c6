"""A small strict PO reader and message model for checking catalogs without importing Babel.

`validate` reads every catalog of a repository and the catalogs' extraction builds one template
catalog per domain; Babel's import (its catalog module pulls in dates, time zones, e-mail parsing)
and its PO reader were the largest part of a cold `validate`. This module reads the PO files
policyctl and gettext write: the same messages, translations, contexts, flags, comments, lines and
obsolete entries as ``babel.messages.pofile.read_po``, in the same order. It is strict: anything
outside that plain form (an unknown keyword, an escape Babel keeps as it is, a header field whose
reading depends on Babel's locale data, duplicate entries, anything Babel would refuse) makes
`read` answer None, and the caller reads the file with Babel, whose answer (or error) is then the
one reported. tests/test_po.py compares both readers on every catalog of the repository and on
crafted files.

`Message` and `Catalog` have the attributes and methods of Babel's that the checks read
(engine.i18n.catalogs.check), with Babel's semantics for adding a message twice.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Iterator
from itertools import groupby
from typing import Any

MessageId = str | tuple[str, ...]


class Message:
    """A catalog entry, as babel.messages.catalog.Message holds it (flags aside from `fuzzy`: Babel
    also adds `python-format`, which no check reads)."""

    __slots__ = ("auto_comments", "context", "flags", "id", "lineno", "locations", "string", "user_comments")

    def __init__(
        self,
        id: MessageId,
        string: Any = "",
        locations: Iterable[tuple[str, Any]] = (),
        flags: Iterable[str] = (),
        auto_comments: Iterable[str] = (),
        user_comments: Iterable[str] = (),
        lineno: int | None = None,
        context: str | None = None,
    ) -> None:
        self.id = id
        if not string and isinstance(id, (list, tuple)):
            string = ("", "")
        self.string = string
        self.locations = list(dict.fromkeys(locations)) if locations else []
        self.flags = set(flags)
        self.auto_comments = [c for c, _ in groupby(auto_comments)] if auto_comments else []
        self.user_comments = [c for c, _ in groupby(user_comments)] if user_comments else []
        self.lineno = lineno
        self.context = context

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def pluralizable(self) -> bool:
        return isinstance(self.id, (list, tuple))


def key_for(id: MessageId, context: str | None) -> Any:
    """Babel's catalog key: the singular id, with the context when there is one."""
    key = id[0] if isinstance(id, (list, tuple)) else id
    return key if context is None else (key, context)


class Catalog:
    """Messages in order by key, obsolete entries, the plural forms; no header other than those."""

    def __init__(self) -> None:
        self._messages: dict[Any, Message] = {}
        self.obsolete: dict[Any, Message] = {}
        self.num_plurals = 2
        self.plural_expr = "(n != 1)"
        self.fuzzy = False

    def __iter__(self) -> Iterator[Message]:  # (Babel yields the header entry first: every check skips it)
        return iter(self._messages.values())

    def __len__(self) -> int:
        return len(self._messages)

    def get(self, id: MessageId, context: str | None = None) -> Message | None:
        return self._messages.get(key_for(id, context))

    def add(
        self,
        id: MessageId,
        string: Any = None,
        locations: Iterable[tuple[str, Any]] = (),
        auto_comments: Iterable[str] = (),
        context: str | None = None,
    ) -> None:
        """Babel's ``Catalog.add`` (and ``__setitem__``): a message added again gains the new
        locations and comments, and its plural when it had none."""
        message = Message(id, string, list(locations), (), auto_comments, (), None, context)
        key = key_for(id, context)
        current = self._messages.get(key)
        if current:
            if message.pluralizable and not current.pluralizable:
                current.id = message.id
                current.string = message.string
            current.locations = list(dict.fromkeys([*current.locations, *message.locations]))
            current.auto_comments = list(dict.fromkeys([*current.auto_comments, *message.auto_comments]))
            current.user_comments = list(dict.fromkeys([*current.user_comments, *message.user_comments]))
            current.flags |= message.flags
        elif id == "":
            raise ValueError("the header entry is not a message")  # never extracted (Babel skips empty ids)
        else:
            self._messages[key] = message


class _NotPlain(Exception):
    """The file is outside the plain form this reader takes: read it with Babel."""


_STRING = re.compile(r'"(?:[^"\\]|\\[\\trn"])*"\Z')
_ESCAPE = re.compile(r"\\([\\trn\"])")
_ESCAPES = {"\\": "\\", "t": "\t", "r": "\r", "n": "\n", '"': '"'}
_KEYWORDS = frozenset(("msgctxt", "msgid", "msgid_plural", "msgstr"))
_HEADER_LINE = re.compile(r"([A-Za-z0-9-]+): (.*)\Z")
# A language has at most six plural forms (CLDR, gettext's manual); a plural message's translations
# are as many as `nplurals` says, each made before anything checks them: 100,000,000 took all memory.
MAX_PLURAL_FORMS = 10
_PLURAL_FORMS = re.compile(r"nplurals=(\d+); plural=([^;\"\\]+);\Z")
_STAMP = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})[+-]\d{4}\Z")
_ASCII_SPACE = " \t\n\r\x0b\x0c"  # what bytes.strip() removes: Babel strips each line as bytes


def _string(arg: str) -> str:
    """A quoted PO string's text; only the escapes Babel's `unescape` turns into characters."""
    arg = arg.strip()
    body = arg[1:-1]
    if len(arg) > 1 and arg[0] == '"' and arg[-1] == '"' and '"' not in body and "\\" not in body:
        return body  # nearly every string: no escape, nothing to check further
    if not _STRING.match(arg):
        raise _NotPlain
    body = arg[1:-1]
    return _ESCAPE.sub(lambda m: _ESCAPES[m.group(1)], body) if "\\" in body else body


class _Entry:
    __slots__ = ("context", "ids", "lineno", "obsolete", "part", "strings")

    def __init__(self, obsolete: bool) -> None:
        self.context: list[str] | None = None
        self.ids: list[list[str]] = []
        self.strings: list[tuple[int | None, list[str]]] = []
        self.obsolete = obsolete
        self.lineno = 0
        self.part: list[str] | None = None  # the string continuation lines extend


def read(text: str, tag: str | None) -> Catalog | None:
    """The catalog in ``text`` (a PO file's UTF-8 text; ``tag``: its locale, None for a template),
    or None when it is not in the plain form: then Babel reads it (see the module's docstring)."""
    try:
        return _read(text, tag)
    except _NotPlain:
        return None


def _read(text: str, tag: str | None) -> Catalog:  # noqa: C901 - one branch per kind of PO line
    catalog = Catalog()
    comments: dict[str, list[Any]] = {"flags": [], "auto": [], "user": [], "locations": []}
    entry: _Entry | None = None
    state = _ReadState(catalog, tag)
    for lineno, raw in enumerate(text.split("\n")):
        line = raw.strip(_ASCII_SPACE)
        if not line:
            continue
        first = line[0]
        obsolete = first == "#" and line[1:2] == "~"
        if first == "#" and not obsolete:
            if entry is not None:
                state.finish(entry, comments)
                entry = None
                comments = {"flags": [], "auto": [], "user": [], "locations": []}
            _comment(line, comments)
            continue
        if obsolete:
            line = line[2:].lstrip()
        if line[:1] == '"':
            if entry is None or entry.part is None:
                raise _NotPlain
            entry.part.append(_string(line))
            continue
        keyword, space, arg = line.partition(" ")
        index = None
        if keyword not in _KEYWORDS:
            index = keyword[7:-1] if keyword[:7] == "msgstr[" and keyword[-1:] == "]" else ""
            if not (index.isascii() and index.isdigit()):
                raise _NotPlain
            keyword = "msgstr"
        if not space:
            raise _NotPlain
        if keyword in ("msgctxt", "msgid") and entry is not None and entry.ids:  # as Babel: a new entry
            state.finish(entry, comments)
            entry = None
            comments = {"flags": [], "auto": [], "user": [], "locations": []}
        if entry is None:
            entry = _Entry(obsolete)
        elif entry.obsolete != obsolete:
            raise _NotPlain  # Babel takes the last line's kind: not a form anyone writes
        value = [_string(arg)]
        if keyword == "msgctxt":
            if entry.ids or entry.context is not None:
                raise _NotPlain
            entry.context = value
        elif keyword == "msgid":
            if entry.ids:
                raise _NotPlain
            entry.ids.append(value)
            entry.lineno = lineno + 1
        elif keyword == "msgid_plural":
            if len(entry.ids) != 1 or entry.strings:
                raise _NotPlain
            entry.ids.append(value)
        else:
            if not entry.ids or (index is None) != (len(entry.ids) == 1):
                raise _NotPlain
            entry.strings.append((None if index is None else int(index), value))
        entry.part = value
    if entry is not None:
        state.finish(entry, comments)
    elif any(comments.values()) and not state.added:  # comments only: Babel makes an empty header of them
        raise _NotPlain
    if tag is not None and not state.plural_forms:
        raise _NotPlain  # the locale's plural forms come from Babel's data
    return catalog


class _ReadState:
    def __init__(self, catalog: Catalog, tag: str | None) -> None:
        self.catalog = catalog
        self.tag = tag
        self.added = 0
        self.plural_forms = False

    def finish(self, entry: _Entry, comments: dict[str, list[Any]]) -> None:
        if not entry.ids or not entry.strings:
            raise _NotPlain  # a context without a message, a message without a translation
        ids = tuple("".join(part) for part in entry.ids)
        msgid: MessageId = ids if len(ids) > 1 else ids[0]
        context = None if entry.context is None else "".join(entry.context)
        if len(ids) == 1 and len(entry.strings) != 1:
            raise _NotPlain
        message = Message(
            msgid,
            "".join(entry.strings[0][1]) if len(ids) == 1 else self._forms(entry.strings),
            comments["locations"],
            comments["flags"],
            comments["auto"],
            comments["user"],
            lineno=entry.lineno,
            context=context,
        )
        key = key_for(msgid, context)
        self.added += 1
        if entry.obsolete:
            if key in self.catalog.obsolete:
                raise _NotPlain
            self.catalog.obsolete[key] = message
        elif msgid == "":
            self._header(message)
        else:
            if key in self.catalog._messages:
                raise _NotPlain  # Babel merges the two: not a form policyctl or gettext writes
            self.catalog._messages[key] = message

    def _header(self, message: Message) -> None:
        if not isinstance(message.string, str) or (message.string and not message.string.endswith("\n")):
            raise _NotPlain
        self.catalog.fuzzy = message.fuzzy
        for line in message.string.split("\n")[:-1] if message.string else []:
            match = _HEADER_LINE.match(line)
            if match is None:
                raise _NotPlain
            name, value = match.group(1).lower(), match.group(2)
            if name == "language":
                wanted = None if self.tag is None else self.tag.replace("-", "_")
                if value and value.replace("-", "_") != wanted:
                    raise _NotPlain  # Babel parses it with its locale data
            elif name == "content-type":
                if value.lower() not in ("text/plain; charset=utf-8", "text/plain; charset=charset"):
                    raise _NotPlain
            elif name == "plural-forms":
                forms = _PLURAL_FORMS.match(value.strip())
                if forms is None or int(forms.group(1)) > MAX_PLURAL_FORMS:
                    raise _NotPlain  # (engine.i18n.catalogs refuses too many forms before Babel reads them)
                self.catalog.num_plurals = int(forms.group(1))
                self.catalog.plural_expr = forms.group(2).strip()
                self.plural_forms = True
            elif (
                name in ("pot-creation-date", "po-revision-date")
                and value.strip()
                and not (name == "po-revision-date" and "YEAR" in value)
            ):
                _stamp(value)

    def _forms(self, strings: list[tuple[int | None, list[str]]]) -> tuple[str, ...]:
        """A plural message's translations, as many as the plural forms read so far say (as Babel:
        a header after the message does not change them)."""
        if self.tag is not None and not self.plural_forms:
            raise _NotPlain  # the locale's number of forms comes from Babel's data
        forms = [""] * self.catalog.num_plurals
        indexes = [i for i, _ in strings]
        if len(set(indexes)) != len(indexes):
            raise _NotPlain
        for index, parts in strings:
            if index is None or index >= self.catalog.num_plurals:
                raise _NotPlain  # Babel refuses it with its own message
            forms[index] = "".join(parts)
        return tuple(forms)


def _stamp(value: str) -> None:
    match = _STAMP.match(value)
    if match is None:
        raise _NotPlain
    try:
        year, month, day, hour, minute = (int(g) for g in match.groups())
        _dt.datetime(year, month, day, hour, minute)
    except ValueError as e:
        raise _NotPlain from e


def _comment(line: str, comments: dict[str, list[Any]]) -> None:
    """Babel's reading of a comment line (`#:` locations, `#,` flags, `#.` notes, other remarks)."""
    prefix = line[:2]
    if prefix == "#-":
        raise _NotPlain  # Babel refuses merge conflicts with its own message
    if prefix == "#:":
        if "\u2068" in line or "\u2069" in line:
            raise _NotPlain
        for location in line[2:].lstrip().split():
            a, colon, b = location.rpartition(":")
            if colon:
                try:
                    comments["locations"].append((a, int(b)))
                except ValueError:
                    continue
            else:
                comments["locations"].append((location, None))
    elif prefix == "#,":
        comments["flags"].extend(flag.strip() for flag in line[2:].lstrip().split(","))
    elif prefix == "#.":
        comment = line[2:].strip()
        if comment:
            comments["auto"].append(comment)
    elif line[1:].lstrip().startswith("|"):
        pass  # a previous msgid (`#|`, `# |`): no check reads it (engine.i18n.catalogs._previous_ids)
    else:
        comments["user"].append(line[1:].strip())


# -- where a translation is written -------------------------------------------------------------

# a line that starts a keyword's string (`msgstr[1] "..."`), as policyctl, gettext and Babel write it
_KEYWORD_AT = re.compile(r'[ \t]*(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)[ \t]+"')


def msgstr_place(text: str, msgid_line: int, form: int = 0, offset: int | None = None) -> tuple[int, int] | None:
    """Where in the PO file ``text`` the translation of the entry whose `msgid` is on line
    ``msgid_line`` (1-based, as the readers give it) is written: (line, column), both 1-based, of
    its `msgstr` keyword (`msgstr[form]` for a plural message's form ``form``), or of the character
    ``offset`` characters into the translation's text when given (its strings joined, each escape
    one character); None when the entry is not where the line says. A translator's mistake is in
    the msgstr, which editors jump to."""
    lines = text.split("\n")
    start = msgid_line - 1
    for number in range(max(start, 0), len(lines)):
        line = lines[number].rstrip("\r")
        found = _KEYWORD_AT.match(line)
        if found is None:
            if line.strip()[:1] in ('"', ""):
                continue  # a string going on, or a blank line
            return None  # a comment: the next entry starts
        keyword = found.group(1)
        if (number == start and keyword != "msgid") or (number > start and keyword in ("msgid", "msgctxt")):
            return None  # (not this entry's msgid, or the entry ended without its translation)
        wanted = (keyword == "msgstr" and form == 0) or (found.group(2) is not None and int(found.group(2)) == form)
        if keyword.startswith("msgstr") and wanted:
            keyword_at = (number + 1, found.start(1) + 1)
            return keyword_at if offset is None else _char_place(lines, number, found.end(), offset) or keyword_at
    return None


def flag_place(text: str, msgid_line: int, flag: str) -> tuple[int, int, bool] | None:
    """Where in the PO file ``text`` the entry whose `msgid` is on line ``msgid_line`` is given
    ``flag`` (`fuzzy`): (line, column) of the flag in its `#,` line, and whether it is that line's
    only flag; None when the entry has no such flag before its msgid. A fuzzy translation is
    settled there: the translator checks it, then removes the flag (msgfmt and Babel leave a fuzzy
    entry out until then)."""
    lines = text.split("\n")
    for number in range(min(msgid_line, len(lines)) - 2, -1, -1):
        line = lines[number].strip(_ASCII_SPACE)
        if not line or not (line[0] in '#"' or line.startswith("msgctxt")):
            return None  # (the entry's comments and context are behind it)
        if line[:2] != "#,":
            continue
        flags = line[2:].split(",")
        if flag not in (f.strip(_ASCII_SPACE) for f in flags):
            continue
        column = lines[number].index(line) + 3  # (after `#,`)
        for part in flags:
            if part.strip(_ASCII_SPACE) == flag:
                alone = len([f for f in flags if f.strip(_ASCII_SPACE)]) == 1
                return number + 1, column + part.index(flag), alone
            column += len(part) + 1
    return None


def entry_start(text: str, msgid_line: int) -> int:
    """The first line (1-based) of the entry of the PO file ``text`` whose `msgid` is on line
    ``msgid_line``: its comments and `msgctxt` before it (a string line only when it goes on a
    `msgctxt`, not the previous entry's `msgstr`, in a file without blank lines between entries)."""
    lines = [line.strip(_ASCII_SPACE) for line in text.split("\n")]
    first = min(msgid_line, len(lines)) - 1  # (0-based from here)
    above = first - 1
    while above >= 0:
        if lines[above].startswith(("#", "msgctxt")):
            first = above
        elif lines[above].startswith('"'):
            start = above
            while start > 0 and lines[start - 1].startswith('"'):
                start -= 1
            if start == 0 or not lines[start - 1].startswith("msgctxt"):
                break
            first = start - 1
        else:
            break
        above = first - 1
    return max(first, 0) + 1


def missing_place(text: str, next_msgid_line: int | None) -> int:
    """Where in the PO file ``text`` an entry it lacks belongs (1-based line), as `i18n update`
    puts it: before the entry whose `msgid` is on line ``next_msgid_line`` (of the messages that
    follow it in the template, the first the file has), else at the file's last line."""
    if next_msgid_line is not None:
        return entry_start(text, next_msgid_line)
    return len(text.rstrip(_ASCII_SPACE).split("\n"))


_PO_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"})


def quoted(text: str) -> str:
    """``text`` as a PO string, quotes included, with the escapes gettext writes."""
    return '"' + text.translate(_PO_ESCAPES) + '"'


def _char_place(lines: list[str], number: int, column: int, offset: int) -> tuple[int, int] | None:
    """(line, column) of the character ``offset`` characters into the PO string whose text starts
    at ``lines[number][column]`` and goes on in the strings of the next lines; None past its end."""
    while True:
        line = lines[number].rstrip("\r")
        at = column
        while at < len(line) and line[at] != '"':
            if offset == 0:
                return number + 1, at + 1
            offset -= 1
            at += 2 if line[at] == "\\" else 1
        number += 1
        if number >= len(lines):
            return None
        following = lines[number]
        if following.strip()[:1] != '"':
            return None
        column = following.index('"') + 1
