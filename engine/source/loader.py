"""Strict YAML reading: YAML 1.2 core-schema scalars, positions for every node, hard limits.

We build values from the parser's *event* stream instead of PyYAML's composer and constructor:
- one iterative loop with an explicit stack, so a 20,000-deep file cannot hit Python's recursion
  limit or the C stack, and the depth limit is checked as nesting opens;
- scalars are resolved by the YAML 1.2 core schema here (PyYAML implements YAML 1.1, where `NO`
  is false and `24:00` is 1440);
- duplicate keys are seen (the composer would silently keep the last);
- aliases are counted by the size of what they expand to, without expanding anything, so a
  "billion laughs" file fails in microseconds: in nodes, and in characters (an alias of a long
  text is that text again wherever it is used: in a message that quotes it, a report, a page).
libyaml's C parser is used when present (about 8x faster than the pure-Python one).
"""

from __future__ import annotations

import errno
import math
import os
import re
import stat
from dataclasses import dataclass, field
from sys import intern
from typing import Any, NoReturn

import yaml
from yaml import events as ev
from yaml.parser import Parser as _PyParser
from yaml.reader import Reader
from yaml.scanner import Scanner

from engine.problems import Pos, Problem


class _BadEscape(yaml.MarkedYAMLError):
    """A double-quoted scalar's escape that is no Unicode character (`"\\ud800"`, `"\\U00110000"`):
    libyaml refuses it, while PyYAML's scanner crashed on the second (`chr`) and kept the first, a
    lone surrogate no page, report or answer can write as UTF-8."""

    def __init__(self, line: int, column: int, message: str, hint: str) -> None:
        super().__init__(problem=message, note=hint)
        self.at, self.message, self.hint = (line + 1, column + 1), message, hint


# \u or \U escapes of a surrogate or beyond U+10FFFF; any other escape is skipped whole, so the
# `\\` of `"\\ud800"` (a backslash, then the text "ud800") is never read as one
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|.)", re.S)
_NO_CHARACTER = re.compile("[\ud800-\udfff]")


class _PureParser(Reader, Scanner, _PyParser):
    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        _PyParser.__init__(self)

    def scan_flow_scalar(self, style: str) -> Any:
        start = self.get_mark()
        try:
            token = super().scan_flow_scalar(style)
        except ValueError:  # chr() of an escape beyond U+10FFFF
            self._bad_escape(start)
        if _NO_CHARACTER.search(token.value):
            self._bad_escape(start)
        return token

    def _bad_escape(self, start: Any) -> NoReturn:
        """Raise `_BadEscape` at the first escape after ``start`` (the scalar's quote) that is no
        character. The whole text is in the buffer (a str stream), so buffer indices are marks'."""
        text = self.buffer
        for found in _ESCAPE.finditer(text, start.index + 1):
            digits = found.group(1) or found.group(2)
            code = -1 if digits is None else int(digits, 16)
            if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
                break
        else:  # pragma: no cover - (the scanner found one; a token without would be this code's bug)
            raise ValueError("no escape that is no character")
        line, column = start.line, start.column
        for index in range(start.index, found.start()):
            ch = text[index]
            if ch in "\n\x85\u2028\u2029" or (ch == "\r" and text[index + 1] != "\n"):
                line, column = line + 1, 0
            elif ch != "\ufeff":
                column += 1
        escape = found.group()
        if code > 0x10FFFF:
            message = f"the escape `{escape}` is beyond the last Unicode character, U+10FFFF"
        else:
            message = f"the escape `{escape}` is half of a UTF-16 surrogate pair (U+D800 to U+DFFF), not a character"
        raise _BadEscape(
            line,
            column,
            message,
            "write the character itself, or escape one beyond U+FFFF with `\\U` and 8 hex digits (`\\U0001F600`)",
        )


# libyaml's parser is ~8x faster and gives the same events and marks for ordinary files. Where the
# two disagree (tabs, a BOM or CR inside the text) or libyaml rejects a file, the pure parser reads
# it, so problems read the same with or without libyaml.
_Parser: type[Any]
try:
    from yaml._yaml import CParser

    _Parser = CParser
except ImportError:  # pragma: no cover - PyYAML without libyaml
    _Parser = _PureParser
_PURE_ONLY = ("\t", "\ufeff", "\r")


MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 100_000
# Characters aliases may add to a document, beyond its own text: as much as a file may hold. A
# 4 MB test name used by 5,000 aliases was 20 GB of messages ("used twice"), 8 GB before the
# deadline; a file written out is never more than its own size plus this.
MAX_EXPANDED = MAX_BYTES

Path = tuple[Any, ...]

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), made stricter where
# the core schema would lose data: a leading zero keeps the scalar a string, as JSON does.
_NULL = frozenset(("", "~", "null", "Null", "NULL"))
_TRUE = frozenset(("true", "True", "TRUE"))
_FALSE = frozenset(("false", "False", "FALSE"))
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_OCT = re.compile(r"0o[0-7]+\Z")
_HEX = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9]*)(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)\Z")
_NUMBER_START = frozenset("0123456789+-.")

# 0x/0o numbers are refused from the size where printing them in decimal fails (4,300 digits)
_MAX_BASED = 10**4300
_DIGITS, _QUOTE = "a number with more than 4,300 digits", "quote it if it is an identifier"
_INLINE_MAX = 4000  # resolve_plain fails only on longer numbers (int() digit limit): those go the slow way
_SPECIAL_START = _NUMBER_START | frozenset("~nNtTfF")  # a plain scalar starting otherwise is a string

_STD = "tag:yaml.org,2002:"
_SAFE_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}


@dataclass(slots=True)
class Document:
    """One parsed file: plain data plus where each node and each key stands."""

    path: str
    data: Any = None
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    text: str = ""

    def pos(self, path: Path | list[Any] = ()) -> Pos:
        """Position of the node at ``path`` (a tuple, or a list), or of its nearest ancestor that has one."""
        # One look-up in the usual case, where the node itself has a position (values are tuples).
        if type(path) is not tuple:
            path = tuple(path)
        positions = self.positions
        found = positions.get(path)
        while found is None and path:
            path = path[:-1]
            found = positions.get(path)
        line, col = found if found is not None else (1, 1)
        return Pos(self.path, line, col)

    def key_pos(self, path: Path | list[Any]) -> Pos:
        """Position of the key naming ``path``'s last element (falls back to the value)."""
        if type(path) is not tuple:
            path = tuple(path)
        found = self.key_positions.get(path)
        if found is not None:
            return Pos(self.path, found[0], found[1])
        return self.pos(path)


class _Stop(Exception):
    """Ends reading at the first problem that makes the rest meaningless."""


def resolve_plain(value: str) -> Any:
    """Resolve an untagged plain scalar by the YAML 1.2 core schema (strict variant)."""
    if value in _NULL:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    if value[0] not in _NUMBER_START:
        return value
    if _INT.match(value):
        return int(value)
    if _FLOAT.match(value):
        return float(value)
    if _OCT.match(value) or _HEX.match(value):
        number = int(value[2:], 8 if value[1] == "o" else 16)
        if number >= _MAX_BASED:  # int() has no digit limit in these bases, but str() has: `show` failed
            raise ValueError(_DIGITS)
        return number
    if _INF.match(value):
        return -math.inf if value[0] == "-" else math.inf
    if _NAN.match(value):
        return math.nan
    return value


_TAGGED: dict[str, type | tuple[type, ...]] = {"int": int, "float": (int, float), "bool": bool, "null": type(None)}


def _tagged(tag: str, value: str) -> Any:
    """Convert a scalar with an explicit standard tag; ValueError if it does not fit."""
    kind = tag[len(_STD) :]
    if kind == "str":
        return value
    try:
        resolved: Any = resolve_plain(value) if value else None
    except ValueError:  # Python's own message names sys.set_int_max_str_digits
        raise ValueError(_DIGITS) from None
    fits = isinstance(resolved, _TAGGED[kind]) and not (kind == "int" and isinstance(resolved, bool))
    if not fits:
        raise ValueError(f"`{value}` is not a valid !!{kind}")
    return float(resolved) if kind == "float" else resolved


# byte order marks of the encodings an editor may save text in instead of UTF-8 (UTF-32 LE's
# starts with UTF-16 LE's: asked first)
_WIDE_MARKS = (
    (b"\xff\xfe\0\0", "UTF-32"),
    (b"\0\0\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def wide_encoding(raw: bytes) -> str | None:
    """ "UTF-16" or "UTF-32" when ``raw`` is text saved in that encoding (Windows' "Unicode"): it
    starts with that encoding's byte order mark, or its first bytes have the NUL bytes its text of
    Latin letters has (`k\0i\0n\0d\0` in UTF-16, three in four in UTF-32); None otherwise.
    Asked only of bytes refused as UTF-8, to say what they are instead of "binary"."""
    for mark, name in _WIDE_MARKS:
        if raw.startswith(mark):
            return name
    head = raw[:512]
    head = head[: len(head) // 4 * 4]
    if not head:
        return None
    zero = [head[k::4].count(0) / len(head[k::4]) for k in range(4)]  # the share of NULs at each place of 4
    if (min(zero[1:]) > 0.9 and zero[0] < 0.5) or (min(zero[:3]) > 0.9 and zero[3] < 0.5):
        return "UTF-32"
    if (min(zero[1], zero[3]) > 0.6 and max(zero[0], zero[2]) < 0.2) or (
        min(zero[0], zero[2]) > 0.6 and max(zero[1], zero[3]) < 0.2
    ):
        return "UTF-16"
    return None


def wide_text(raw: bytes, what: str) -> tuple[str, str] | None:
    """(message, hint) for ``raw`` when it is UTF-16 or UTF-32 text (``wide_encoding``), the file
    said as ``what`` ("the file", "the template"); None when it is not. Cheap for UTF-8 text: only
    bytes holding a NUL or starting as a byte order mark are looked at."""
    wide = wide_encoding(raw) if raw[:1] in (b"\xff", b"\xfe") or b"\0" in raw else None
    if wide is None:
        return None
    return (
        f"{what} is {wide} text: save it as UTF-8",
        f"choose UTF-8 as the editor's encoding, or convert it: `iconv -f {wide} -t UTF-8`",
    )


def decode(raw: bytes, path: str) -> tuple[str | None, Problem | None]:
    """Bytes to text, refusing binary and invalid UTF-8 with the exact place."""
    if len(raw) > MAX_BYTES:  # (only MAX_BYTES + 1 of it are read: its size is not known here)
        return None, Problem(
            path,
            1,
            1,
            "Y004",
            f"the file is over the limit of {MAX_BYTES:,} bytes",
            "split the file, or check that this is really a policy file",
        )
    nul = raw.find(b"\0")
    wide = wide_text(raw, "the file") if nul >= 0 or raw[:1] in (b"\xff", b"\xfe") else None
    if wide is not None:
        return None, Problem(path, 1, 1, "Y002", *wide)
    if nul >= 0:
        line, col = _line_col(raw, nul)
        return None, Problem(
            path,
            line,
            col,
            "Y002",
            "the file contains a NUL byte: it looks binary, not YAML text",
            "policy files must be UTF-8 text",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line, col = _line_col(raw, e.start)
        return None, Problem(
            path, line, col, "Y002", f"invalid UTF-8 byte 0x{raw[e.start]:02x}", "save the file as UTF-8"
        )
    return text, None


def _line_col(raw: bytes, offset: int) -> tuple[int, int]:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    return raw.count(b"\n", 0, offset) + 1, len(raw[line_start:offset].decode("utf-8", "replace")) + 1


_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a named pipe without it waits for a writer, for ever
_CHUNK = 1 << 16


class NotRegular(OSError):
    """A path that is not a regular file (a named pipe, socket, device): never read."""

    def __init__(self, path: str, what: str) -> None:
        super().__init__(errno.EINVAL, f"{what}, not a regular file", path)
        self.what = what


def read_bytes(path: str, limit: int = MAX_BYTES + 1, regular: bool = False) -> bytes:
    """``open(path, "rb").read(limit)``: at most ``limit`` bytes, up to the end of the file.

    Asking a Python file for ``limit`` bytes allocates a buffer of ``limit`` (5 MB) on every call,
    ~40 µs, more than reading a policy file takes; here each read asks for the size ``fstat``
    gives (plus one byte, to see the end), then for bounded chunks while more comes (a file that
    grew, or one whose size the system does not know). Raises OSError as ``open`` does.

    Only regular files are read (anything else raises ``NotRegular``): a named pipe would block
    the read for ever, a device may do something when opened. So the path is looked at before it
    is opened (unless ``regular``: the caller's directory listing said so), and the file opened is
    looked at again (without blocking, should it have been replaced by a pipe in between)."""
    if not regular:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):  # (a folder fails as `open` fails)
            raise NotRegular(path, _what(mode))
    fd = os.open(path, os.O_RDONLY | _CLOEXEC | _NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
            raise NotRegular(path, _what(info.st_mode))
        size = info.st_size
        chunks = []
        total = 0
        want = min(size + 1, limit)
        while total < limit:
            chunk = os.read(fd, want)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            want = min(_CHUNK, limit - total)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)
    finally:
        os.close(fd)


def _what(mode: int) -> str:
    from engine.source.layout import not_regular

    return not_regular(mode) or "not a regular file"


def scanner(text: str, pure: bool = False) -> Any:
    """A parser over ``text`` as `load_text` first reads it (libyaml's, unless the text holds what
    only the pure parser reads alike, or ``pure``), for its tokens: their marks are the positions
    of the documents read here (engine.source.scalars). Close it with its ``dispose``, if any."""
    if pure or _Parser is _PureParser or any(c in text for c in _PURE_ONLY):
        return _PureParser(text)
    return _Parser(text.encode("utf-8"))


def load_file(path: str, display: str | None = None) -> Document:
    """Read and parse one file; never raises for bad content (problems are in the document)."""
    shown = display or path
    try:
        raw = read_bytes(path)
    except NotRegular as e:
        from engine.source.layout import not_regular_problem

        return Document(shown, problems=[not_regular_problem(shown, e.what)])
    except OSError as e:
        doc = Document(shown)
        doc.problems.append(
            Problem(
                shown, 1, 1, "Y001", f"cannot read the file: {e.strerror or e}", "check the path and its permissions"
            )
        )
        return doc
    return load_bytes(raw, shown)


def load_bytes(raw: bytes, path: str) -> Document:
    text, problem = decode(raw, path)
    if problem is not None:
        return Document(path, problems=[problem])
    assert text is not None
    return load_text(text, path)


def load_text(text: str, path: str) -> Document:
    doc = Document(path, text=text)
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        doc.problems.append(
            Problem(path, 1, 1, "Y003", "the file is empty", "write the file's content, or delete the file")
        )
        return doc
    try:
        if any(c in text for c in _PURE_ONLY):
            _Builder(doc).run(text, _PureParser)
        else:
            try:
                _Builder(doc).run(text)
            except yaml.YAMLError:
                doc = Document(path, text=text)
                _Builder(doc).run(text, _PureParser)
    except _Stop:
        pass
    except _BadEscape as e:
        doc.problems.append(Problem(path, *e.at, "Y010", e.message, e.hint))
    except yaml.MarkedYAMLError as e:
        from engine.source import syntax  # (only a file that fails needs it)

        doc.problems.append(syntax.problem(path, text, e))
    except yaml.YAMLError as e:  # errors without a mark (reader errors)
        doc.problems.append(Problem(path, 1, 1, "Y010", f"YAML error: {e}", "check the file's syntax"))
    if doc.problems:
        doc.data = None
    return doc


class _Builder:
    """Turns the parser's events into plain values, positions and problems."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.positions = doc.positions
        self.key_positions = doc.key_positions
        # Frames: [container, path, pending_key or None, seen_keys {key: line}, anchor, node count at
        # start, path of the pending key (one tuple shared by key_positions and positions)]; an
        # anchored node's frame also holds where its text starts and the characters aliases had
        # added before it
        self.stack: list[list[Any]] = []
        self.anchors: dict[str, tuple[Any, int, int]] = {}  # anchor -> (value, nodes, characters)
        self.expanded = 0  # characters the aliases so far add to the document
        self.open_anchors: dict[str, list[Any]] = {}  # anchor -> frame, while its node is open
        self.nodes = 0
        self.documents = 0

    def fail(self, mark: Any, code: str, message: str, hint: str) -> None:
        self.doc.problems.append(Problem(self.doc.path, mark.line + 1, mark.column + 1, code, message, hint))
        raise _Stop

    def run(self, text: str, parser_class: Any = None) -> None:  # noqa: C901 - the YAML event loop, inlined for speed (benchmarks/README.md)
        cls = parser_class or _Parser
        # libyaml reads UTF-8 bytes about twice as fast as str; text with a BOM never gets here.
        # Any: the loop below tells events apart by exact type (`t is ...`), which mypy cannot follow
        parser: Any = cls(text.encode("utf-8") if cls is not _PureParser else text)
        get_event, stack, positions, key_positions = parser.get_event, self.stack, self.positions, self.key_positions
        scalar_event, special = ev.ScalarEvent, _SPECIAL_START
        map_start, seq_start, map_end, seq_end = (
            ev.MappingStartEvent,
            ev.SequenceStartEvent,
            ev.MappingEndEvent,
            ev.SequenceEndEvent,
        )
        try:
            while True:
                e = get_event()
                if e is None:
                    break
                # The common cases inline: untagged, unanchored nodes inside a collection, within the
                # limits. Everything else takes the general path (self.event), with the same outcome.
                t = type(e)
                if t is map_end or t is seq_end:
                    if stack[-1][4] is None:
                        stack.pop()
                        continue
                elif (
                    (t is not scalar_event and t is not map_start and t is not seq_start)
                    or e.tag is not None
                    or e.anchor is not None
                    or not stack
                    or self.nodes >= MAX_NODES
                ):
                    pass
                elif t is scalar_event:
                    frame = stack[-1]
                    container, v = frame[0], e.value
                    mark = e.start_mark
                    if type(container) is dict:
                        key = frame[2]
                        if key is None:  # a key: always its text
                            seen = frame[3]
                            if v not in seen:
                                v = intern(v)  # see `place`
                                self.nodes += 1
                                line = mark.line + 1
                                seen[v] = line
                                frame[2] = v
                                frame[6] = path = frame[1] + (v,)  # shared with the value's entry
                                key_positions[path] = (line, mark.column + 1)
                                continue
                        elif len(v) < _INLINE_MAX:
                            if e.implicit[0] and (not v or v[0] in special):
                                try:
                                    v = resolve_plain(v)
                                except ValueError:  # a 0x/0o number too large to print
                                    self.fail(mark, "Y019", _DIGITS, _QUOTE)
                            self.nodes += 1
                            container[key] = v
                            positions[frame[6]] = (mark.line + 1, mark.column + 1)
                            frame[2] = None
                            continue
                    elif len(v) < _INLINE_MAX:
                        if e.implicit[0] and (not v or v[0] in special):
                            try:
                                v = resolve_plain(v)
                            except ValueError:  # a 0x/0o number too large to print
                                self.fail(mark, "Y019", _DIGITS, _QUOTE)
                        self.nodes += 1
                        positions[frame[1] + (len(container),)] = (mark.line + 1, mark.column + 1)
                        container.append(v)
                        continue
                elif len(stack) < MAX_DEPTH:  # a mapping or sequence starts
                    frame = stack[-1]
                    container = frame[0]
                    new: Any = {} if t is map_start else []
                    if type(container) is dict:
                        key = frame[2]
                        if key is not None:
                            path = frame[6]
                            container[key] = new
                            frame[2] = None
                        else:
                            path = None
                    else:
                        path = frame[1] + (len(container),)
                        container.append(new)
                    if path is not None:
                        mark = e.start_mark
                        positions[path] = (mark.line + 1, mark.column + 1)
                        self.nodes += 1
                        stack.append([new, path, None, {}, None, self.nodes, None])
                        continue
                self.event(e)
        finally:
            dispose = getattr(parser, "dispose", None)
            if dispose:
                dispose()

    def event(self, e: Any) -> None:
        t = type(e)
        if t is ev.ScalarEvent:
            self.scalar(e)
        elif t is ev.MappingStartEvent or t is ev.SequenceStartEvent:
            self.start(e, {} if t is ev.MappingStartEvent else [])
        elif t is ev.MappingEndEvent or t is ev.SequenceEndEvent:
            self.end(e)
        elif t is ev.AliasEvent:
            self.alias(e)
        elif t is ev.DocumentStartEvent:
            self.documents += 1
            if self.documents > 1:
                self.fail(
                    e.start_mark, "Y018", "a second YAML document (`---`) in one file", "put one document in each file"
                )

    def count(self, mark: Any, n: int = 1) -> None:
        self.nodes += n
        if self.nodes > MAX_NODES:
            if self.anchors:
                self.fail(
                    mark,
                    "Y016",
                    f"the document expands to more than {MAX_NODES:,} nodes (aliases included)",
                    "aliases that multiply each other make a 'billion laughs' file; write the values out",
                )
            self.fail(
                mark,
                "Y016",
                f"the document has more than {MAX_NODES:,} nodes",
                "split it into several files; no policy file needs this many values",
            )

    def check_tag(self, e: Any, allowed: tuple[str, ...]) -> None:
        tag = e.tag
        if tag is None or tag == "!" or tag in allowed:
            return
        shown = tag.replace(_STD, "!!")
        self.fail(
            e.start_mark,
            "Y013",
            f"the tag `{shown}` is not allowed",
            "policy files may use only !!str, !!int, !!float, !!bool, !!null, !!map and !!seq",
        )

    def place(self, value: Any, mark: Any) -> Path:
        """Attach a finished value to its parent; returns its path."""
        pos = (mark.line + 1, mark.column + 1)
        if not self.stack:
            self.doc.data = value
            self.positions[()] = pos
            return ()
        frame = self.stack[-1]
        container, parent = frame[0], frame[1]
        path: Path
        if isinstance(container, list):
            path = parent + (len(container),)
            container.append(value)
            self.positions[path] = pos
            return path
        key = frame[2]
        if key is None:  # this value is a key
            if not isinstance(value, str):
                self.fail(
                    mark, "Y014", "a mapping key must be a plain scalar, not a list or mapping", "use a string key"
                )
            seen = frame[3]
            if value in seen:
                self.fail(
                    mark,
                    "Y012",
                    f"duplicate key `{value}` (first at line {seen[value]})",
                    "remove one of them; YAML would otherwise silently keep only the last",
                )
            # Keys are interned: files repeat the same few keys thousands of times, and the document
            # cache (engine/cache/documents.py) then stores each once and reads it back without hashing it
            # again; equal strings, so nothing else changes.
            value = intern(value) if type(value) is str else value
            seen[value] = pos[0]
            frame[2] = value
            frame[6] = path = parent + (value,)
            self.key_positions[path] = pos
            return path
        path = frame[6]
        container[key] = value
        self.positions[path] = pos
        frame[2] = None
        return path

    def scalar(self, e: Any) -> None:
        self.count(e.start_mark)
        frame = self.stack[-1] if self.stack else None
        is_key = frame is not None and isinstance(frame[0], dict) and frame[2] is None
        value: Any = e.value
        if e.tag is not None and e.tag != "!":
            self.check_tag(e, (_STD + "str", _STD + "int", _STD + "float", _STD + "bool", _STD + "null"))
            try:
                value = _tagged(e.tag, e.value)
            except ValueError as err:
                self.fail(e.start_mark, "Y019", str(err), "remove the tag or fix the value")
        elif e.implicit[0] and not is_key:
            try:
                value = resolve_plain(e.value)
            except ValueError:  # more digits than int() accepts
                self.fail(e.start_mark, "Y019", _DIGITS, _QUOTE)
        if is_key and not isinstance(value, str):
            value = e.value  # keys are always their text: `NO:` and `1:` are the keys "NO" and "1"
        self.place(value, e.start_mark)
        if e.anchor:
            self.anchors[e.anchor] = (value, 1, len(e.value))

    def start(self, e: Any, container: Any) -> None:
        self.count(e.start_mark)
        self.check_tag(e, (_STD + "map", _STD + "seq"))
        if len(self.stack) >= MAX_DEPTH:
            self.fail(
                e.start_mark,
                "Y015",
                f"nesting deeper than {MAX_DEPTH} levels",
                "flatten the structure; policy data never needs this depth",
            )
        path = self.place(container, e.start_mark)
        frame = [container, path, None, {}, e.anchor, self.nodes, None]
        self.stack.append(frame)
        if e.anchor:
            frame += [e.start_mark.index, self.expanded]
            self.open_anchors[e.anchor] = frame

    def end(self, e: Any) -> None:
        frame = self.stack.pop()
        anchor = frame[4]
        if anchor:
            self.open_anchors.pop(anchor, None)
            # its characters: its own text, and what the aliases inside it added
            chars = e.end_mark.index - frame[7] + self.expanded - frame[8]
            self.anchors[anchor] = (frame[0], self.nodes - frame[5] + 1, chars)

    def alias(self, e: Any) -> None:
        if e.anchor in self.open_anchors:
            self.fail(
                e.start_mark,
                "Y017",
                f"the alias `*{e.anchor}` refers to a node that contains it",
                "a recursive structure cannot be policy data",
            )
        if e.anchor not in self.anchors:  # libyaml reports this itself; kept for the pure parser
            self.fail(e.start_mark, "Y010", f"undefined alias `*{e.anchor}`", "define the anchor before using it")
        value, size, chars = self.anchors[e.anchor]
        self.count(e.start_mark, size)
        self.expanded += chars
        if self.expanded > MAX_EXPANDED:
            self.fail(
                e.start_mark,
                "Y016",
                f"the document expands to more than {MAX_EXPANDED:,} characters of aliased text",
                "an alias repeats all of its anchor's text wherever it is used; write the values out",
            )
        frame = self.stack[-1] if self.stack else None
        if frame is not None and isinstance(frame[0], dict) and frame[2] is None and not isinstance(value, str):
            self.fail(e.start_mark, "Y014", "a mapping key must be a plain scalar", "use a string key")
        self.place(value, e.start_mark)
