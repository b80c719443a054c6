"""Translation catalogs: extract the prose, keep the catalogs in step, check them, look messages up.

A *domain* is a set of templates with its own catalogs: one per program (its `pages/` and the
`labels:` of its program.yaml) and one for the site (the HTML layout, the index and shared page
parts in `policies/_site/`). Catalogs are gettext PO files kept with Babel:

    policies/<program>/locales/messages.pot    what there is to translate (from `i18n extract`)
    policies/<program>/locales/<locale>.po     one per published locale except the source (`en`)

Catalogs are read as PO at build time (no compiled .mo files to keep in step), and every file
written here is byte-for-byte reproducible whatever Babel is installed: policyctl writes the header
entry itself (fixed dates, `Generated-By: policyctl`), order is the source order. Header fields that
only stamp a tool or a time (`VOLATILE_FIELDS`) are not content: a catalog that differs from what
policyctl would write only in them is neither stale nor written again.
"""

from __future__ import annotations

import datetime as _dt
import functools
import gettext as _gettext
import hashlib
import io
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from engine.cache.memo import Memo
from engine.i18n import po
from engine.i18n.domains import SITE as SITE  # (these four: `validate` imports them without the checks)
from engine.i18n.domains import Domain as Domain
from engine.i18n.domains import label_context as label_context
from engine.i18n.domains import parameter_context as parameter_context
from engine.i18n.facts import Facts, fact_found, formatting_locales, program_facts
from engine.i18n.source import PLACEHOLDER, placeholders
from engine.problems import Problem
from engine.source.loader import wide_text

if TYPE_CHECKING:
    # Babel is imported where a catalog is written or read with it: `validate` checks catalogs in
    # the plain form engine.i18n.po reads without it (Babel's import is a large part of a cold run).
    from babel.messages.catalog import Catalog, Message
    from markdown_it import MarkdownIt  # imported when first used: most commands never parse Markdown

    AnyCatalog = Catalog | po.Catalog  # Babel's, or engine.i18n.po's for reading and checking
    AnyMessage = Message | po.Message

TEMPLATE_SUFFIX = ".j2"
KEYWORDS: dict[str, tuple[int | tuple[int, str], ...] | None] = {  # Babel's form: argument positions
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
COMMENT_TAGS = ("Translators:",)
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "true", "newstyle_gettext": "true", "silent": "false"}
# Catalog headers carry no wall-clock dates and no tool version, so that two runs, on any machine
# with any Babel, write the same bytes.
FIXED_DATE = _dt.datetime(2000, 1, 1, tzinfo=_dt.timezone.utc)
FIXED_STAMP = "2000-01-01 00:00+0000"  # FIXED_DATE as a PO header writes it
GENERATOR = "policyctl"
# Header fields other tools (Babel's versions, Poedit, msgmerge) stamp with their version or the time.
VOLATILE_FIELDS = ("POT-Creation-Date", "PO-Revision-Date", "Generated-By", "X-Generator")
Key = tuple[str, str | None]  # (msgid, msgctxt)


# -- extraction -------------------------------------------------------------------------------


def template_files(folder: str) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "locales")
        found += [os.path.join(dirpath, n) for n in sorted(filenames) if n.endswith(TEMPLATE_SUFFIX)]
    return found


def extract(domain: Domain) -> tuple[Catalog, list[Problem]]:
    """The domain's template catalog (POT) from its templates and labels, in source order."""
    from babel.messages.extract import extract as babel_extract

    def read(f: Any) -> list[tuple[int, Any, list[str], str | None]]:
        return list(
            babel_extract(
                cast(Any, jinja_extract),  # Jinja types `keywords` as names; it gets Babel's mapping
                f,
                keywords=KEYWORDS,
                comment_tags=COMMENT_TAGS,
                options=JINJA_OPTIONS,
                strip_comment_tags=True,
            )
        )

    catalog = _new_catalog(domain.name, None)
    return catalog, _fill(domain, catalog, read)


class _EmptyMessage(Exception):
    """A template asks to translate an empty text: Babel's extraction warns about it."""


def template_messages(domain: Domain) -> tuple[AnyCatalog, list[Problem]]:
    """`extract` for checking: the same messages, locations, comments and problems in an
    engine.i18n.po catalog, extracted as Babel's `extract` runs `jinja_extract` (its keyword
    specs and comment tags) without importing Babel. A template holding an empty message
    (`_("")`) is extracted by Babel, which warns about it as it always did."""
    catalog = po.Catalog()
    try:
        problems = _fill(domain, catalog, lambda f: list(_extract_messages(f)))
    except _EmptyMessage:
        return extract(domain)
    return catalog, problems


def _fill(
    domain: Domain, catalog: Any, read: Callable[[Any], list[tuple[int, Any, list[str], str | None]]]
) -> list[Problem]:
    """Add to ``catalog`` the messages ``read`` finds in each template of ``domain`` (an open
    binary file in; (line, message, comments, context) out), then its labels; the problems."""
    from jinja2 import TemplateSyntaxError

    from engine.templates.rules import syntax_hint

    problems: list[Problem] = []
    for path in template_files(domain.templates):
        where = os.path.relpath(path, domain.folder)
        try:
            with open(path, "rb") as f:
                wide = wide_text(f.read(512), "the template")  # (as engine.templates.check says it: one problem)
                if wide is not None:
                    problems.append(Problem(path, 1, 1, "G001", *wide))
                    continue
                f.seek(0)
                found = read(f)
        except TemplateSyntaxError as e:
            problems.append(
                Problem(
                    path,
                    e.lineno or 1,
                    1,
                    "G001",
                    f"template syntax error: {e.message}",
                    syntax_hint(e.message or ""),  # (as engine.templates.check: one problem)
                )
            )
            continue
        except (OSError, UnicodeDecodeError) as e:
            problems.append(Problem(path, 1, 1, "G001", f"cannot read the template: {e}", "save it as UTF-8"))
            continue
        except (ValueError, OverflowError, RecursionError, MemoryError) as e:  # a 5,000-digit number, deep nesting
            from engine.templates.check import unreadable

            problems.append(unreadable(path, e))
            continue
        for lineno, message, comments, context in found:
            catalog.add(message, None, [(where, lineno)], auto_comments=comments, context=context)
    if domain.labels_file:
        where = os.path.relpath(domain.labels_file, domain.folder)
        for context, text, line, note in domain.labels:
            catalog.add(text, None, [(where, line)], auto_comments=[note], context=context)
    return problems


def _extract_messages(fileobj: Any) -> Iterator[tuple[int, Any, list[str], str | None]]:
    """``babel.messages.extract.extract(jinja_extract, fileobj, KEYWORDS, COMMENT_TAGS,
    JINJA_OPTIONS, strip_comment_tags=True)``: (line, message or plural tuple, comments, context)."""
    for lineno, funcname, messages, comments in jinja_extract(fileobj, KEYWORDS.keys(), COMMENT_TAGS, JINJA_OPTIONS):
        if not isinstance(messages, (list, tuple)):
            messages = [messages]
        if not messages:
            continue
        spec = (KEYWORDS[funcname] or None if funcname else None) or (1,)
        comments = [_strip_tag(c) for c in comments]
        translatable: list[str] = []
        context = None
        for index in spec:
            if isinstance(index, tuple):  # (n, "c"): the context's argument
                context = messages[index[0] - 1]
                continue
            if len(messages) < index or messages[index - 1] is None:
                break  # too few arguments, or one that is not a constant text: not a message
            translatable.append(messages[index - 1])
        else:
            first = spec[1] if isinstance(spec[0], tuple) else spec[0]
            assert isinstance(first, int)
            if not messages[first - 1]:
                raise _EmptyMessage
            yield lineno, translatable[0] if len(translatable) == 1 else tuple(translatable), comments, context


def _strip_tag(comment: str) -> str:
    for tag in COMMENT_TAGS:
        if comment.startswith(tag):
            return comment[len(tag) :].strip()
    return comment


_extraction: list[Any] = []  # the environment of `jinja_extract` (parsing leaves it unchanged)


def jinja_extract(fileobj: Any, keywords: Any, comment_tags: Any, options: dict[str, Any]) -> Iterator[Any]:
    """``jinja2.ext.babel_extract`` with JINJA_OPTIONS (the same environment, parse and translator
    comments), reading the tokens engine.templates.check lexed once for the template's text, and
    its tree when it parsed the text (`validate` checks, names and extracts every template)."""
    from jinja2.ext import InternationalizationExtension, _CommentFinder, babel_extract, extract_from_ast

    from engine.templates.check import prelexed_environment, raw_tokens, tree_for_extraction

    if options != JINJA_OPTIONS:  # the environment below is babel_extract's for these options only
        yield from babel_extract(fileobj, keywords, comment_tags, options)
        return
    text = fileobj.read()
    source = text.decode("utf-8")
    key = (hashlib.blake2b(text, digest_size=20).digest(), tuple(sorted(keywords)), tuple(comment_tags))
    known = _extracted.get(key)
    if known is None:
        from engine.cache import parsed

        stored = (key[0], "\0".join(key[1]), "\0".join(key[2]))  # (on disk, for the next process)
        known = parsed.get("jinja_extract", stored, _thawed)
        if known is None:
            if not _extraction:
                from engine.templates.sandbox import TextsAreCharacters

                made = prelexed_environment()(
                    extensions=[InternationalizationExtension, TextsAreCharacters], cache_size=0, auto_reload=False
                )
                made.policies["ext.i18n.trimmed"] = True
                made.newstyle_gettext = True  # type: ignore[attr-defined]
                _extraction.append(made)
            env = _extraction[0]
            lexed = env.preprocess(source)
            tree = tree_for_extraction(lexed)
            found = (
                extract_from_ast(env.parse(source), keywords)
                if tree is None
                else _extract_from_check_tree(tree, keywords)
            )
            tokens = raw_tokens(env, lexed)
            finder = _CommentFinder(list(env.lex(lexed)) if tokens is None else tokens, comment_tags)
            known = tuple(
                (lineno, func, message, tuple(finder.find_comments(lineno))) for lineno, func, message in found
            )
            parsed.put("jinja_extract", stored, known)
        _extracted.put(key, known, len(text))  # (a template that fails to parse raised above: never kept)
    for lineno, func, message, comments in known:
        yield lineno, func, message, list(comments)  # (a fresh list: callers may change theirs)


def _thawed(value: Any) -> tuple[tuple[int, str, Any, tuple[str, ...]], ...]:
    """What `jinja_extract` found, from its JSON on disk (engine.cache.parsed): a message of
    several texts (a plural, a context) and the comments are tuples again."""
    return tuple(
        (lineno, func, tuple(message) if isinstance(message, list) else message, tuple(comments))
        for lineno, func, message, comments in value
    )


# What `jinja_extract` found in a text (JINJA_OPTIONS; keywords, comment tags), for the next
# extraction in this process: a build extracts each domain twice (the catalog check, then the
# messages' sources) and tests, `serve` and incremental builds build again and again. Only the
# text decides what is found (the line numbers are in it; a message's place is added by `_fill`).
# Keyed by the text's digest; bounded in texts and in their length.
_extracted: Memo[tuple[tuple[int, str, Any, tuple[str, ...]], ...]] = Memo(1024, 32 * 1024 * 1024)


def _extract_from_check_tree(tree: Any, keywords: Any) -> Iterator[tuple[int, str, Any]]:
    """``jinja2.ext.extract_from_ast(tree, keywords)`` (Babel's style) as it would read extraction's
    own tree of the text: a `trans` block's call carries the texts and the number of keyword
    arguments extraction's parse gives it (engine.templates.check.EXTRACTION); every other call
    is the same in both trees."""
    from jinja2 import nodes

    from engine.templates.check import EXTRACTION

    for node in tree.find_all(nodes.Call):
        if not isinstance(node.node, nodes.Name) or node.node.name not in keywords:
            continue
        strings = [
            arg.value if isinstance(arg, nodes.Const) and isinstance(arg.value, str) else None for arg in node.args
        ]
        extra = len(node.kwargs)
        block = getattr(node, EXTRACTION, None)
        if block is not None:  # [context,] message[, plural, count]
            singular, plural, extra = block
            at = 1 if node.node.name.startswith(("p", "np")) else 0
            strings[at] = singular
            if plural is not None:
                strings[at + 1] = plural
        strings += [None] * (extra + (node.dyn_args is not None) + (node.dyn_kwargs is not None))
        yield node.lineno, node.node.name, strings[0] if len(strings) == 1 else tuple(strings)


def _new_catalog(name: str, tag: str | None) -> Catalog:
    from babel.messages.catalog import Catalog

    from engine.i18n.cldr import locale

    catalog = Catalog(
        locale=locale(tag) if tag else None,
        project=f"policyctl {name}",
        version="",
        copyright_holder="",
        msgid_bugs_address="",
        creation_date=FIXED_DATE,
        revision_date=FIXED_DATE,
        last_translator="policyctl",
        language_team=tag or "",
        fuzzy=False,
    )
    catalog.header_comment = f"# Translations of the `{name}` pages. Kept with `policyctl i18n update`."
    return catalog


def dump(catalog: Catalog, keep_obsolete: bool = True) -> bytes:
    """The catalog as PO bytes: Babel writes the messages, policyctl the header entry."""
    catalog.creation_date = FIXED_DATE
    catalog.revision_date = FIXED_DATE  # also the YEAR of a header comment that has one
    from babel.messages.pofile import write_po

    buf = io.BytesIO()
    # References name the file without a line (`#: program.yaml`): reformatting a policy file
    # moves its labels' lines, and a catalog must change only when its messages do. The header is
    # our own (`_header`): the same with every Babel.
    write_po(
        buf,
        catalog,
        width=100,
        omit_header=True,
        ignore_obsolete=not keep_obsolete,
        include_previous=True,
        sort_output=False,
        sort_by_file=False,
        include_lineno=False,
    )
    return _header(catalog).encode("utf-8") + buf.getvalue()


def _header(catalog: Catalog) -> str:
    """The header entry, the same with every Babel: the fields Babel derives from the catalog
    (project, language, plural forms, ...), with fixed dates and this tool as the generator."""
    fields: list[tuple[str, str]] = []
    for name, value in catalog.mime_headers:
        if name not in VOLATILE_FIELDS:
            fields.append((name, str(value).strip()))
        if name == "Report-Msgid-Bugs-To":  # where gettext puts the dates
            fields += [("POT-Creation-Date", FIXED_STAMP), ("PO-Revision-Date", FIXED_STAMP)]
    if ("POT-Creation-Date", FIXED_STAMP) not in fields:
        fields[:0] = [("POT-Creation-Date", FIXED_STAMP), ("PO-Revision-Date", FIXED_STAMP)]
    fields.append(("Generated-By", GENERATOR))
    lines = [f"{line}\n" for line in catalog.header_comment.splitlines()]
    if catalog.fuzzy:
        lines.append("#, fuzzy\n")
    lines += ['msgid ""\n', 'msgstr ""\n']
    for name, value in fields:
        text = f"{name}: {value}".replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        lines.append(f'"{text}\\n"\n')
    return "".join(lines) + "\n"


_HEADER_STAMP = re.compile(rb'^"(?:' + b"|".join(f.encode() for f in VOLATILE_FIELDS) + rb'):.*"\r?$')


def content(data: bytes) -> bytes:
    """A catalog's bytes without the header fields that only stamp a tool or a time: two catalogs
    with the same content have the same messages, translations, comments and other header fields."""
    head, sep, rest = data.partition(b"\n\n")
    lines = head.split(b"\n")
    if b'msgid ""' not in (line.rstrip(b"\r") for line in lines):  # no header entry: nothing to drop
        return data
    return b"\n".join(line for line in lines if not _HEADER_STAMP.match(line)) + sep + rest


# A catalog arrives in pull requests like a policy file, and has that file's size limit
# (engine.source.loader.MAX_BYTES; a program's catalogs are tens of kilobytes): Babel reads ~10,000
# entries a second, and every command that checks or builds pages reads each catalog.
MAX_CATALOG_BYTES = 5 * 1024 * 1024


def read_catalog_bytes(path: str) -> bytes:
    """The bytes of the catalog at ``path``, at most one more than ``MAX_CATALOG_BYTES`` (`parse`
    refuses those); raises OSError as `open` does."""
    from engine.source.loader import read_bytes

    return read_bytes(path, MAX_CATALOG_BYTES + 1)


_NPLURALS = re.compile(rb"nplurals\s*=\s*([^;\"\\]*)", re.I)
_CONTINUED = re.compile(rb'"[ \t]*\r?\n[ \t]*"')  # a string going on on the next line


def _plural_forms_said(raw: bytes) -> int | None:
    """The largest `nplurals` the file says, as Babel reads its header (strings continued on the
    next line joined; `int()` reads `1_000`), or None."""
    said = None
    for found in _NPLURALS.finditer(_CONTINUED.sub(b"", raw)):
        try:
            forms = int(found.group(1).strip())
        except ValueError:
            continue
        said = forms if said is None else max(said, forms)
    return said


def _line_of(raw: bytes, word: bytes) -> int:
    at = raw.find(word)
    return raw.count(b"\n", 0, at) + 1 if at >= 0 else 1


def read(path: str, tag: str | None) -> tuple[Catalog | None, list[Problem]]:
    """A PO file as a catalog, or the problem that stops it being read."""
    try:
        raw = read_catalog_bytes(path)
    except OSError as e:
        return None, [
            Problem(path, 1, 1, "G002", f"the catalog cannot be read: {e.strerror or e}", "save it as UTF-8 PO text")
        ]
    return parse(path, tag, raw)


def parse(path: str, tag: str | None, raw: bytes) -> tuple[Catalog | None, list[Problem]]:
    """The bytes ``raw`` of the PO file ``path`` as a catalog, or the problem that stops it being read."""
    from babel.messages.pofile import PoFileError, read_po

    from engine.i18n.cldr import locale

    if len(raw) > MAX_CATALOG_BYTES:
        return None, [
            Problem(
                path,
                1,
                1,
                "G002",
                f"the catalog is over the limit of {MAX_CATALOG_BYTES:,} bytes",
                "a catalog holds the translations of one program's pages: check that this file is one",
            )
        ]
    wide = wide_text(raw, "the catalog")
    if wide is not None:
        return None, [Problem(path, 1, 1, "G002", *wide)]
    forms = _plural_forms_said(raw)
    if forms is not None and forms > po.MAX_PLURAL_FORMS:  # (Babel makes as many for each plural message)
        return None, [
            Problem(
                path,
                _line_of(raw, b"nplurals"),
                1,
                "G002",
                f"the catalog cannot be used: its Plural-Forms says nplurals={forms:,}, more than the "
                f"{po.MAX_PLURAL_FORMS} forms a language has at most",
                "write the formula gettext's manual gives for the language "
                "(https://www.gnu.org/software/gettext/manual/html_node/Plural-forms.html)",
            )
        ]
    try:
        refused = _gettext_refuses(raw.decode("utf-8"), tag)
        if refused is not None:
            line, column, what, hint = refused
            return None, [Problem(path, line, column, "G002", f"the catalog cannot be read: {what}", hint)]
        unclosed = _unclosed_string(raw.decode("utf-8"))
        if unclosed:
            return None, [
                Problem(
                    path,
                    unclosed,
                    raw.decode("utf-8").splitlines()[unclosed - 1].index('"') + 1,  # its opening quote
                    "G002",
                    "the catalog cannot be read: a string is not closed",
                    'end the line with `"`; a quote inside a string is written `\\"`',
                )
            ]
        catalog = read_po(io.BytesIO(raw), locale=locale(tag) if tag else None, abort_invalid=True)
        try:
            plural_rule(catalog.plural_expr, catalog.num_plurals)
        except ValueError as e:
            return None, [_plural_problem(path, raw, e)]
        _previous_ids(catalog)
        return catalog, []
    except PoFileError as e:
        return None, [
            Problem(
                path,
                int(getattr(e, "lineno", 0) or 0) + 1,
                1,
                "G002",
                # (Babel ends its message with the line counted from 0: the problem's line says it)
                f"the catalog cannot be read: {re.sub(r' on -?[0-9]+$', '', str(e))}",
                "fix the PO syntax (https://www.gnu.org/software/gettext/manual/html_node/PO-Files.html)",
            )
        ]
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, LookupError) as e:  # LookupError: charset
        return None, [Problem(path, 1, 1, "G002", f"the catalog cannot be read: {e}", "save it as UTF-8 PO text")]


def _plural_problem(path: str, raw: bytes, e: ValueError) -> Problem:
    """G002 at the `Plural-Forms` header for a formula `plural_rule` refuses."""
    line = next((i for i, text in enumerate(raw.split(b"\n"), 1) if b"Plural-Forms:" in text), 1)
    return Problem(
        path,
        line,
        1,
        "G002",
        f"the catalog cannot be used: {e}",
        "write the formula gettext's manual gives for the language "
        "(https://www.gnu.org/software/gettext/manual/html_node/Plural-forms.html)",
    )


def read_plain(path: str, tag: str | None) -> tuple[AnyCatalog | None, list[Problem]]:
    """`read` for checking, without importing Babel when the file is in the plain form
    engine.i18n.po reads (the same messages and no problem); any other file is read by `read`,
    whose catalog or problem is then the answer."""
    try:
        raw = read_catalog_bytes(path)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return read(path, tag)
    if len(raw) > MAX_CATALOG_BYTES:
        return read(path, tag)
    # (no `_unclosed_string` pass: po.read takes only strings closed by an unescaped quote)
    catalog = po.read(text, tag)
    if catalog is None:
        return read(path, tag)
    try:
        plural_rule(catalog.plural_expr, catalog.num_plurals)
    except ValueError:  # `read` meets it too and reports it
        return read(path, tag)
    return catalog, []


_STRING_LINE = re.compile(r'^(?:#~ )?(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)?\s*"')


def _previous_ids(catalog: Catalog) -> None:
    """Babel's reader takes a fuzzy entry's `#| msgid "..."` (the English it was translated from,
    which `update` writes) for a translator's comment: written back, it became `# | msgid "..."`,
    a comment that is neither, added to at every `i18n update`. Each is made the entry's previous
    msgid again, as Babel's writer writes it (on a fuzzy entry; gettext keeps it nowhere else)."""
    for message in catalog:
        marked = [c for c in message.user_comments if c.startswith("|")]
        if not marked:
            continue
        message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
        parts: dict[str, list[str]] = {}
        current = None
        for comment in marked:
            text = comment[1:].strip()
            keyword, _, rest = text.partition(" ")
            if keyword in ("msgctxt", "msgid", "msgid_plural"):
                current, text = keyword, rest
            if current is not None:
                parts.setdefault(current, []).extend(_QUOTED.findall(text))
        ids = [_unescape("".join(parts.get(k, []))) for k in ("msgid", "msgid_plural") if k in parts]
        if ids and message.fuzzy:  # (on a translation that is no longer fuzzy it says nothing: dropped)
            message.previous_id = ids  # (Babel's writer takes a list: msgid, then msgid_plural)


def _unescape(text: str) -> str:
    from babel.messages.pofile import unescape

    return str(unescape(f'"{text}"'))


def _gettext_refuses(text: str, tag: str | None) -> tuple[int, int, str, str] | None:
    """(line, column, what, hint) of the first thing gettext's `msgfmt --check` refuses and Babel
    reads without a word: a keyword not followed by a quoted string (`msgstr x`: Babel read it as
    the text `x`), a plural form (`msgstr[0]`) on a message without `msgid_plural` or a plain
    `msgstr` on one with it (Babel read both as a translation), a message given twice (Babel keeps
    one of them: which translation is published?) or an escape C does not have (`\\q`, published
    as the two characters). Obsolete (`#~`) entries aside. And, said in our words rather than
    Babel's or Python's, what both refuse: a byte order mark, a `Plural-Forms` header that is not
    `nplurals=N; plural=FORMULA;`, a form (`msgstr[5]`) past the header's `nplurals`, a message
    without a translation (`msgstr`)."""
    if text.startswith("\ufeff"):
        return 1, 1, "it starts with a byte order mark (U+FEFF)", "save it as UTF-8 without a byte order mark (BOM)"
    header = _plural_header(text, tag)
    if isinstance(header, tuple):
        return header[0], 1, header[1], header[2]
    scan = _Scan(header, tag)
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] == "#":
            continue
        indent = len(raw) - len(raw.lstrip())
        bad = _BAD_ESCAPE.search(line) if line.startswith(("msg", '"')) and "\\" in line else None
        if bad:
            return (
                number,
                indent + bad.start(1) + 1,
                f"`{bad.group(1)}` is not an escape gettext knows",
                "write `\\\\` for a backslash",
            )
        refused = scan.line(number, indent, line)
        if refused is not None or scan.stopped:
            return refused
    return scan.finish()


class _Scan:
    """The entries of a PO file as gettext's grammar reads them, for `_gettext_refuses`: one line
    at a time, each entry checked when the next begins (and at the end)."""

    def __init__(self, nplurals: int, tag: str | None) -> None:
        self.nplurals = nplurals
        self.tag = tag
        self.seen: dict[tuple[str | None, str], int] = {}
        self.start = 0  # the line of the entry's first keyword (msgctxt or msgid)
        self.context: list[str] | None = None
        self.ids: list[str] | None = None
        self.plural = 0  # the line of its msgid_plural
        self.strings = 0  # how many msgstr lines it has
        self.part: list[str] | None = None  # the string continuation lines extend
        self.stopped = False  # at a line Babel refuses with its own message

    def line(self, number: int, indent: int, line: str) -> tuple[int, int, str, str] | None:
        if line[0] == '"':
            if self.part is not None:
                self.part.append(line)
            return None
        keyword, rest = _KEYWORD_LINE.match(line).groups()  # type: ignore[union-attr]  # (a line that is not empty)
        index = keyword[7:-1] if keyword.startswith("msgstr[") and keyword.endswith("]") else None
        if keyword not in ("msgctxt", "msgid", "msgid_plural", "msgstr") and not (index and index.isdigit()):
            self.stopped = True  # an unknown keyword: Babel refuses it, at its line
            return None
        if not rest.startswith('"'):
            column = indent + len(line) - len(rest) + 1
            shown = rest if rest and '"' not in rest else "..."
            found = f"`{rest.split()[0]}`" if rest else "nothing"
            return (
                number,
                column,
                f"`{keyword}` is followed by {found}, not a quoted string",
                f'write the text in double quotes: `{keyword} "{shown}"`',
            )
        if keyword in ("msgctxt", "msgid") and (self.ids is not None or keyword == "msgctxt"):
            done = self.finish()
            if done is not None:
                return done
        if keyword == "msgctxt":
            self.context, self.start, self.part = [rest], number, None
            self.part = self.context
        elif keyword == "msgid":
            self.ids = [rest]
            self.start = self.start if self.context is not None else number
            self.part = self.ids
        elif self.ids is None:
            self.part = None  # a msgid_plural or msgstr without a msgid: Babel refuses it
        elif keyword == "msgid_plural":
            self.plural, self.part = number, []
        else:
            self.strings += 1
            self.part = []
            shown = self._shown()
            if index is not None and int(index) >= self.nplurals:
                return number, indent + 1, *_form_past_nplurals(int(index), self.nplurals, self.tag)
            if index is not None and not self.plural:
                return (
                    number,
                    indent + 1,
                    f"`{keyword}` is a plural form, but the message `{shown}` has no plural (`msgid_plural`)",
                    'write its one translation as `msgstr "..."` (`msgstr[N]` are the forms of a plural message)',
                )
            if index is None and self.plural:
                return (
                    number,
                    indent + 1,
                    f"the message `{shown}` has a plural (`msgid_plural`): its translations are written "
                    "`msgstr[0]`, `msgstr[1]`, ..., not `msgstr`",
                    _forms_hint(self.nplurals),
                )
        return None

    def _shown(self) -> str:
        return _text(self.ids or [])[:60]

    def finish(self) -> tuple[int, int, str, str] | None:
        """The entry read so far checked, and forgotten."""
        ids, context, start, plural, strings = self.ids, self.context, self.start, self.plural, self.strings
        shown = self._shown()
        self.context, self.ids, self.plural, self.strings, self.part, self.start = None, None, 0, 0, None, 0
        if ids is None:
            return None
        if not strings:
            return (
                plural or start,
                1,
                f"the message `{shown}` has no translation (`msgstr`)",
                _forms_hint(self.nplurals) if plural else 'write `msgstr ""` after it (`policyctl i18n update` does)',
            )
        key = (None if context is None else _text(context), _text(ids))
        if key in self.seen and key != (None, ""):
            return (
                start,
                1,
                f"the message `{shown}` is given twice (first at line {self.seen[key]})",
                "keep one of them",
            )
        self.seen.setdefault(key, start)
        return None


# a keyword and what follows it (gettext allows any white space between them)
_KEYWORD_LINE = re.compile(r"(\S+?)(?:\s+|(?=\")|\Z)(.*)\Z", re.S)


def _text(parts: list[str]) -> str:
    """The text of a PO string's lines (`"a"`, `"b"`), escapes as written."""
    return "".join(t for part in parts for t in _QUOTED.findall(part))


def _forms_hint(nplurals: int) -> str:
    forms = " ".join(f'`msgstr[{i}] "..."`' for i in range(min(nplurals, 3))) + (" ..." if nplurals > 3 else "")
    return f"write its {nplurals} translations (one per plural form of the catalog's Plural-Forms header): {forms}"


# a header line `"Plural-Forms: ...\n"` (policyctl, Babel and gettext write a header field on one line)
_PLURAL_FORMS_LINE = re.compile(r'^"Plural-Forms:(.*?)(?:\\n)?"$')


def _plural_header(text: str, tag: str | None) -> int | tuple[int, str, str]:
    """The number of plural forms a catalog's header gives (the locale's when it gives none, as Babel
    reads it), or (line, what, hint) when its `Plural-Forms` is not what gettext reads: both
    `nplurals=` (a whole number) and `plural=`, separated by `;` (Babel read `nplurals=6 plural=n`
    as Python's "invalid literal for int() with base 10" at the first message)."""
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line.startswith("msgid ") and line != 'msgid ""':
            break  # past the header entry
        found = _PLURAL_FORMS_LINE.match(line)
        if found is None:
            continue
        value = found.group(1).strip()
        fields = dict(part.strip().partition("=")[::2] for part in value.split(";") if part.strip())
        count = fields.get("nplurals", "").strip()
        if set(fields) == {"nplurals", "plural"} and count.isascii() and count.isdigit() and int(count) > 0:
            return int(count)
        return (
            number,
            f"its Plural-Forms header `{value}` is not `nplurals=N; plural=FORMULA;`",
            _cldr_plural_forms(tag, "write")
            or "write the header gettext's manual gives for the language "
            "(https://www.gnu.org/software/gettext/manual/html_node/Plural-forms.html)",
        )
    return _cldr_nplurals(tag)


def _form_past_nplurals(form: int, nplurals: int, tag: str | None) -> tuple[str, str]:
    """(what, hint) for a `msgstr[form]` a catalog whose header says ``nplurals`` cannot have."""
    what = (
        f"`msgstr[{form}]` is a plural form the catalog does not have: its Plural-Forms header says nplurals={nplurals}"
    )
    if _cldr_nplurals(tag) != nplurals:
        return what, str(_cldr_plural_forms(tag, "give the header the language's rule"))
    last = "`msgstr`" if nplurals == 1 else f"`msgstr[{nplurals - 1}]`"
    return what, f"remove the forms after {last}"


def _cldr_nplurals(tag: str | None) -> int:
    """How many plural forms CLDR gives the locale ``tag`` (2, Babel's default, without one)."""
    from babel.messages.plurals import get_plural

    from engine.i18n.cldr import locale

    try:
        return int(get_plural(locale(tag)).num_plurals) if tag else 2
    except ValueError:  # a locale CLDR does not know (said where the locale is written)
        return 2


def _cldr_plural_forms(tag: str | None, verb: str) -> str | None:
    """A hint to write the `Plural-Forms` header CLDR gives ``tag``, as `i18n update` writes it."""
    from babel.messages.plurals import get_plural

    from engine.i18n.cldr import locale

    try:
        rule = get_plural(locale(tag)) if tag else None
    except ValueError:
        return None
    if rule is None:
        return None
    return (
        f'{verb} `"Plural-Forms: nplurals={rule.num_plurals}; plural={rule.plural_expr};\\n"` '
        f"(CLDR's rule for `{tag}`, as `policyctl i18n update` writes it)"
    )


_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
# a backslash followed by what C's escapes (gettext's) do not have: \q, \e, a lone \ at the end
_BAD_ESCAPE = re.compile(r'(?<!\\)(?:\\\\)*(\\(?:[^\\"abfnrtv?\'0-7x]|$))')


def _unclosed_string(text: str) -> int:
    """The first line holding a PO string that does not end with a closing quote (Babel reads
    such a line silently, dropping its last character), or 0."""
    for number, line in enumerate(text.splitlines(), 1):
        line = line.rstrip()
        if _STRING_LINE.match(line):
            body = line[line.index('"') + 1 :]
            if not body.endswith('"') or re.search(r'(?<!\\)(?:\\\\)*\\"$', body):  # open, or its last quote escaped
                return number
    return 0


def _read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _same(path: str, data: bytes) -> bool:
    """Whether the file at ``path`` holds ``data``, header stamps aside (see `content`)."""
    found = _read_bytes(path)
    return found is not None and (found == data or content(found) == content(data))


def _write_if_changed(path: str, data: bytes) -> bool:
    """Write ``data`` unless the file already has its content: a catalog whose only difference is
    the tool or the date that wrote it is left as it is (no churn between tool versions)."""
    if _same(path, data):
        return False
    from engine.source.atomic import write_atomic

    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_atomic(path, data)
    return True


def messages_of(catalog: AnyCatalog) -> list[tuple[object, ...]]:
    """What a catalog says to translators, without its header and references: its messages in
    order, each with its context, plural, translator comments and translation."""
    # comments are compared as words: a long one is wrapped when written and read back as two
    # (and without references: which files use a message tells no translator anything new)
    return [
        (m.id, m.context, " ".join(" ".join(m.auto_comments).split()), m.string or "", m.fuzzy) for m in catalog if m.id
    ] + [(m.id, m.context, m.string or "") for m in catalog.obsolete.values()]


def _same_messages(
    path: str,
    catalog: AnyCatalog,
    tag: str | None,
    read_catalog: Callable[[str, str | None], tuple[AnyCatalog | None, list[Problem]]] | None = None,
) -> bool:
    """Whether the file at ``path`` holds the same messages as ``catalog`` (headers aside: a new
    Babel writes another version into them, which is no reason to rewrite or call it stale)."""
    if not os.path.exists(path):
        return False
    found, problems = (read_catalog or read)(path, tag)
    return found is not None and not problems and messages_of(found) == messages_of(catalog)


def _write_catalog(path: str, catalog: Catalog, tag: str | None, keep_obsolete: bool = True) -> bool:
    """Write a catalog only when its messages changed: not for a header or a line number (with
    ``keep_obsolete`` false, the obsolete entries of ``catalog`` are already dropped: a file with
    none is left as it is)."""
    if _same_messages(path, catalog, tag):
        return False
    return _write_if_changed(path, dump(catalog, keep_obsolete))


def write_pot(domain: Domain) -> tuple[bool, list[Problem]]:
    template, problems = extract(domain)
    if problems:
        return False, problems
    return _write_catalog(domain.pot, template, None), []


def update(domain: Domain, drop_obsolete: bool = False) -> tuple[list[str], list[Problem]]:
    """Write the POT and bring every locale's PO in step with it; returns the files changed.

    Babel's update keeps translations whose English is unchanged, carries a translation over to
    changed English with the `fuzzy` flag (and the old English as `#| msgid`), and moves messages
    no longer in the templates to the obsolete section (`#~`), dropped with `drop_obsolete`.
    """
    template, problems = extract(domain)
    if problems:
        return [], problems
    changed = [domain.pot] if _write_catalog(domain.pot, template, None) else []
    for tag in domain.targets:
        path = domain.po(tag)
        if os.path.exists(path):
            catalog, bad = read(path, tag)
            if catalog is None:
                problems += bad
                continue
            # (Babel's update gives a previous msgid only to the entries it makes fuzzy now: one made
            # fuzzy by an earlier update would lose its `#| msgid` at the next)
            before = {message_key(m): m.previous_id for m in catalog if m.id and m.fuzzy and m.previous_id}
            catalog.update(template, no_fuzzy_matching=False, update_header_comment=False, update_creation_date=False)
            for message in catalog:
                kept = before.get(message_key(message)) if message.id and message.fuzzy else None
                if kept and not message.previous_id:
                    message.previous_id = kept
        else:
            catalog = _new_catalog(domain.name, tag)
            catalog.update(template, update_creation_date=False)
        if drop_obsolete:
            catalog.obsolete.clear()
        if _write_catalog(path, catalog, tag, keep_obsolete=not drop_obsolete):
            changed.append(path)
    return changed, problems


# -- checking -----------------------------------------------------------------------------------


@dataclass
class Completeness:
    tag: str
    total: int = 0
    translated: int = 0
    missing: int = 0  # no translation, or a form left empty
    fuzzy: int = 0
    refused: int = 0  # translated, but not usable: placeholders, markup or a fact the English leaves to a placeholder
    obsolete: int = 0
    usable: set[Key] = field(default_factory=set, repr=False, compare=False)  # the messages counted translated

    @property
    def percent(self) -> float:
        return 100.0 * self.translated / self.total if self.total else 100.0


@dataclass
class CheckResult:
    problems: list[Problem] = field(default_factory=list)
    stats: list[Completeness] = field(default_factory=list)


def message_key(message: AnyMessage) -> Key:
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    return msgid, message.context


def short(message: AnyMessage | str) -> str:
    text = message if isinstance(message, str) else message_key(message)[0]
    text = " ".join(str(text).split())
    return repr(text if len(text) <= 70 else text[:67] + "...")


def message_forms(message: AnyMessage) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string or ""]


def _named(names: set[str]) -> str:
    return ", ".join(f"`%({n})s`" for n in sorted(names)) or "none"


class TranslationRefusal(NamedTuple):
    """Why a translation cannot be used, and where its mistake is: the form (`msgstr`, or
    `msgstr[form]`) and the index in that form's text of what is wrong (a placeholder the English
    does not have), or None for the form as a whole (`po.msgstr_place` finds it in the file).
    (A translation's, for `i18n check`, `validate` and the pages; a refused input or comparison is
    engine.decisions.refusals.Refusal.)"""

    why: str
    form: int = 0
    at: int | None = None


def translation_problem(source: AnyMessage, found: AnyMessage, plural_expr: str | None = None) -> str | None:
    """Why ``found`` (a PO entry) cannot be used for ``source`` (its template entry): "missing"
    when a form is empty, else a sentence naming the message (see `forms_problem`); or None.
    ``plural_expr``: the catalog's plural formula."""
    refusal = translation_refusal(source, found, plural_expr)
    return None if refusal is None else refusal.why


def translation_refusal(
    source: AnyMessage, found: AnyMessage, plural_expr: str | None = None
) -> TranslationRefusal | None:
    """`translation_problem`'s answer with the place of the mistake (an empty form: the first one)."""
    forms = message_forms(found)
    empty = next((i for i, f in enumerate(forms) if not f.strip()), None)
    if empty is not None:
        return TranslationRefusal("missing", empty)
    ids = list(source.id) if isinstance(source.id, (list, tuple)) else [source.id]
    return forms_refusal(ids, forms, plural_expr)


def forms_problem(ids: list[str], forms: list[str], plural_expr: str | None = None) -> str | None:
    """Why the translated ``forms`` (msgstr, or msgstr[0], msgstr[1], ...) cannot stand for the
    English ``ids`` (msgid, and msgid_plural for a plural message), as a sentence naming the
    message; None when they can (`forms_refusal` says where). Empty forms are not looked at."""
    refusal = forms_refusal(ids, forms, plural_expr)
    return None if refusal is None else refusal.why


def forms_refusal(ids: list[str], forms: list[str], plural_expr: str | None = None) -> TranslationRefusal | None:
    """`forms_problem`'s sentence, with the form it is about and, for a placeholder the English
    does not have, where the form writes it.

    A message's placeholders are kept as `msgfmt --check` requires: a translation has the
    English's (a plural form compares with msgid_plural) and no other; a plural form used for
    one number only (German's for 1, French's for 0 and 1; fewer than 5 of the numbers 0 to 1000,
    as msgfmt counts them with the catalog's ``plural_expr``) may leave one out ("einen Tag"), as
    `babel.messages.checkers.python_format` also allows (Babel allows any form to)."""
    english = short(ids[0])
    if len(ids) == 1:
        wanted = placeholders(ids[0])
        for index, form in enumerate(forms):
            if not form.strip():
                continue
            unsafe = markup_problem(ids, form)  # first: the more precise reason (a padded `%(name)9999s`)
            if unsafe:
                return TranslationRefusal(f"the translation of {english} {unsafe[0]}", index, unsafe[1])
            if placeholders(form) != wanted:
                return TranslationRefusal(
                    f"the translation's placeholders ({_named(placeholders(form))}) differ from the English "
                    f"ones ({_named(wanted)}) of {english}",
                    index,
                    _first_of(form, placeholders(form) - wanted),
                )
        return None
    plural = ids[-1]
    wanted = placeholders(plural)
    many = _used_for_many(plural_expr or "(n != 1)", len(forms))
    for index, form in enumerate(forms):
        if not form.strip():
            continue
        subject = f"`msgstr[{index}]` of the translation of {english}"
        unsafe = markup_problem(ids, form)
        if unsafe:
            return TranslationRefusal(f"{subject} {unsafe[0]}", index, unsafe[1])
        found = placeholders(form)
        if found - wanted:
            why = f"{subject} has {_named(found - wanted)}, which the English plural {short(plural)} does not have"
            return TranslationRefusal(why, index, _first_of(form, found - wanted))
        if wanted - found and many[index]:
            return TranslationRefusal(
                f"{subject} leaves out {_named(wanted - found)} of the English plural {short(plural)}, "
                f"though the form is used for many numbers (only a form for one number, such as 1, may leave it out)",
                index,
            )
    return None


def _first_of(form: str, names: set[str]) -> int | None:
    """Where ``form`` first writes a placeholder named in ``names`` (None: nowhere)."""
    return next((m.start() for m in PLACEHOLDER.finditer(form) if m.group(1) in names), None)


class MsgstrPlaces:
    """Where the translations of one PO file are written (`po.msgstr_place`), for a problem with
    one: the file read once, when first asked; the entry's `msgid` line when it cannot be found."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._text: str | None = None

    def at(self, message: AnyMessage, form: int = 0, offset: int | None = None) -> tuple[int, int]:
        line = message.lineno or 1
        return po.msgstr_place(self._read(), line, form, offset) or (line, 1)

    def missing(self, next_msgid_line: int | None) -> int:
        """Where an entry the file lacks belongs (`po.missing_place`): before the entry whose
        `msgid` is on ``next_msgid_line``, else at the file's end."""
        return po.missing_place(self._read(), next_msgid_line)

    def fuzzy(self, message: AnyMessage) -> tuple[int, int, bool]:
        """Where ``message`` is flagged fuzzy (its `#,` line's `fuzzy`), where the translator settles
        it, and whether that is the line's only flag; else its `msgid` line."""
        line = message.lineno or 1
        return po.flag_place(self._read(), line, "fuzzy") or (line, 1, True)

    def _read(self) -> str:
        if self._text is None:
            try:
                self._text = read_catalog_bytes(self.path).decode("utf-8", "replace")
            except OSError:
                self._text = ""
        return self._text


def following_entries(order: Sequence[Key], catalog: AnyCatalog) -> dict[Key, int | None]:
    """For each message of ``order`` (the template's, in its order), the `msgid` line in
    ``catalog`` of the first message after it that the catalog has (None: none has): a message the
    catalog lacks belongs before that entry, where `i18n update` puts it."""
    after: dict[Key, int | None] = {}
    line: int | None = None
    for key in reversed(order):
        after[key] = line
        found = catalog.get(*key)
        if found is not None and found.lineno:
            line = found.lineno
    return after


def missing_problem(
    path: str, tag: str, key: Key, plural: str | None, written: tuple[str, int] | None, line: int
) -> Problem:
    """G002 for the message ``key`` that the catalog at ``path`` has no entry for, at ``line`` of
    it, where the entry belongs: the catalog is what the translator edits, the hint the entry to
    add (`msgctxt`, `msgid`, `msgid_plural`, as a PO file writes them); ``written``: where the
    template writes the message, said in the message."""
    msgid, context = key
    entry = " ".join(
        [*([f"msgctxt {po.quoted(context)}"] if context is not None else []), f"msgid {po.quoted(msgid)}"]
        + ([f"msgid_plural {po.quoted(plural)}"] if plural is not None else [])
    )
    where = f" (written at {written[0]}:{written[1]})" if written is not None else ""
    return Problem(
        path,
        line,
        1,
        "G002",
        f"{tag}: no translation of {short(msgid)}{where}: the catalog has no entry for it",
        f"add `{entry}` and its translation (`msgstr`) to {path}, here (`policyctl i18n update` adds "
        "every missing entry)",
    )


def fuzzy_hint(alone: bool) -> str:
    """What settles a fuzzy translation, its flag ``alone`` on its `#,` line or not."""
    flag = "the `#, fuzzy` line" if alone else "`fuzzy` from its `#,` line (keep the other flags)"
    return f"check the translation against the new English, then remove {flag}"


@functools.lru_cache(maxsize=256)
def _used_for_many(plural_expr: str, forms: int) -> tuple[bool, ...]:
    """For each of a plural message's ``forms``, whether the catalog's plural formula chooses it
    for 5 or more of the numbers 0 to 1000 (msgfmt's test for a form a placeholder may not be left
    out of); every form is when there is one form, or the formula cannot be computed."""
    if forms < 2:
        return (True,) * forms
    try:
        choose = plural_rule(plural_expr, forms)
    except ValueError:  # (reported where the catalog is read)
        return (True,) * forms
    counts = [0] * forms
    for n in PLURAL_CHECKED:
        counts[choose(n)] += 1
    return tuple(count >= 5 for count in counts)


# gettext's own range for a formula to be tried on (msgfmt tries 0 to 1000 too)
PLURAL_CHECKED = range(1001)


@functools.lru_cache(maxsize=256)
def plural_rule(plural_expr: str, forms: int) -> Callable[[int], int]:
    """A catalog's `Plural-Forms` formula as a function, tried first on 0 to 1000: ValueError, in
    words for the author, when gettext cannot read it, when it cannot be computed for one of those
    numbers (`n%(n-3)` divides by zero at 3: a page with that count failed with "integer modulo by
    zero" at the template's line) or when it chooses a form the catalog does not have (nplurals)."""
    choose = _gettext.c2py(plural_expr)  # ValueError: a formula gettext cannot read
    for n in PLURAL_CHECKED:
        try:
            chosen = choose(n)
        except (ArithmeticError, RecursionError) as e:  # (in words of our own: Python's change between versions)
            why = "it divides by zero" if isinstance(e, ZeroDivisionError) else "it cannot be computed"
            raise ValueError(
                f"its Plural-Forms formula `{plural_expr}` cannot be computed for n = {n}: {why}"
            ) from None
        if not 0 <= chosen < forms:
            raise ValueError(
                f"its Plural-Forms formula `{plural_expr}` chooses form {int(chosen)} for n = {n}, "
                f"but nplurals is {forms}"
            )
    return choose


_STRAY_PERCENT = re.compile(r"%%|%\(\w+\)[sd]")
# Raw HTML: a tag, a comment, a declaration, a processing instruction or an autolink (`<javascript:...>`).
_TAG = re.compile(r"<[A-Za-z/!?][^<>]*>?")
_LINK_TARGET = re.compile(r"\]\(\s*<?([^)\s>]*)")  # [x](target), ![x](target)
# [label]: target, a link reference definition (CommonMark: up to three spaces at a line start;
# anywhere here, as a msgstr can hold line breaks and lands at any place in a line). A label holds
# no unescaped bracket, which also keeps both patterns linear on `[[[[...`.
_DEFINITION = re.compile(r"\[((?:[^\[\]\\]|\\.)*)\]:\s*<?([^\s>]*)")
_REFERENCE = re.compile(r"\]\s*\[((?:[^\[\]\\]|\\.)*)\]")  # [x][label], ![i][label], [x][]


def links(text: str) -> frozenset[tuple[str, str]]:
    """What in ``text`` can make a link or load an image: inline targets, definitions with their
    targets, references to definitions, image markers and raw HTML, each as (kind, text)."""
    found = {("target", t) for t in _LINK_TARGET.findall(text)}
    for label, target in _DEFINITION.findall(text):
        found |= {("definition", " ".join(label.lower().split())), ("target", target)}
    found |= {("reference", " ".join(label.lower().split())) for label in _REFERENCE.findall(text)}
    if "![" in text:
        found.add(("image", "!["))
    found |= {("html", tag) for tag in _TAG.findall(text)}
    return frozenset(found)


# in the order a problem names them: the most telling first
_KINDS = {
    "html": "has HTML or an autolink (`{}`)",
    "definition": "defines the link `[{}]:`",
    "reference": "refers to the link `[{}]`",
    "image": "shows an image (`{}`)",
    "target": "links to `{}`",
}


def markup_problem(english: list[str], translation: str) -> tuple[str, int] | None:
    """What a translation adds that its English does not have and that would be more than text: a
    `%` conversion other than the placeholders (`%(name)99999999s` pads a page to 100 MB), raw
    HTML or an autolink, a link target, a link definition or reference, an image. The links a
    translation may carry are data: exactly those of its English. Translations are prose. The
    answer is what the translation does ("links to `x`, which the English does not"): the caller
    names the translation; and the index in ``translation`` where it does it (the translator's
    mistake is there: `po.msgstr_place` finds it in the file)."""
    if "%" in _STRAY_PERCENT.sub("", translation) and not any("%" in _STRAY_PERCENT.sub("", e) for e in english):
        return "has a `%` conversion other than the placeholders (write `%%` for a percent sign)", _stray_percent(
            translation
        )
    if "*" in translation or "_" in translation:
        wanted = max(_emphasis(e) for e in english)
        if wanted and _emphasis(translation) < wanted:  # (no emphasis wanted: nothing to parse)
            return (
                "has `**` or `*` that does not make emphasis as the English does (CommonMark: "
                "a closing `**` right after punctuation such as `：` must be followed by a space or "
                "punctuation; write `**例**：` rather than `**例：**`)",
                min(i for i in (translation.find("*"), translation.find("_")) if i >= 0),
            )
    if not any(c in translation for c in "[<"):  # nearly every translation: nothing to compare
        return None
    allowed = frozenset().union(*(links(e) for e in english))
    extra = links(translation) - allowed
    if extra and any(kind == "target" and _same_site(what) for kind, what in extra):
        # a link to a page of the site may name a heading in the translation's own language
        # (`fees.md#erstattungen` for the English `fees.md#refunds`: a heading's id is made from its
        # text, engine.site.anchors): the page is the English link's, its fragment G011 checks
        pages = {what.partition("#")[0] for kind, what in allowed if kind == "target" and _same_site(what)}
        extra = frozenset(
            (kind, what)
            for kind, what in extra
            if kind != "target" or not _same_site(what) or what.partition("#")[0] not in pages
        )
    if extra:  # the most telling kind, and of it the first in the text (where the translator reads first)
        at, kind, what = min((list(_KINDS).index(k), _markup_at(translation, k, w), k, w) for k, w in extra)[1:]
        return f"{_KINDS[kind].format(what)}, which the English does not", at
    return None


_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")


def _same_site(target: str) -> bool:
    """A relative link (`fees.md#x`, `#x`): to the site's own pages, whose fragments G011 checks
    (not `https:`, `mailto:`, `//host` or an absolute path, which are the author's data whole)."""
    return not target.startswith("/") and not _SCHEME.match(target)


def _stray_percent(text: str) -> int:
    """The index of the first `%` in ``text`` that is no placeholder and no `%%`."""
    start = 0
    for kept in _STRAY_PERCENT.finditer(text):
        if "%" in text[start : kept.start()]:
            break
        start = kept.end()
    return text.index("%", start)


def _markup_at(text: str, kind: str, what: str) -> int:
    """The index in ``text`` of the markup `links` found as (``kind``, ``what``)."""

    def label(found: re.Match[str]) -> str:
        return " ".join(found.group(1).lower().split())

    if kind == "html":
        places = [m.start() for m in _TAG.finditer(text) if m.group() == what]
    elif kind == "definition":
        places = [m.start() for m in _DEFINITION.finditer(text) if label(m) == what]
    elif kind == "reference":
        places = [m.start(1) - 1 for m in _REFERENCE.finditer(text) if label(m) == what]
    elif kind == "image":
        places = [text.find("![")]
    else:  # a target: of an inline link, or of a definition
        places = [m.start(1) for m in _LINK_TARGET.finditer(text) if m.group(1) == what]
        places += [m.start(2) for m in _DEFINITION.finditer(text) if m.group(2) == what]
    return min((p for p in places if p >= 0), default=0)


@functools.lru_cache(maxsize=1)
def _inline_parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


@functools.lru_cache(maxsize=4096)
def _emphasis(text: str) -> int:
    """How many emphasis spans (bold or italic) CommonMark makes of a text."""
    text = PLACEHOLDER.sub("x", text)
    if "*" not in text and "_" not in text and "<" not in text:
        return 0  # no delimiter and no raw HTML: no `<strong>` or `<em>` (and no Markdown parser to import)
    counted = delimiter_emphasis(text)
    if counted is not None:
        return counted
    html: str = _inline_parser().renderInline(text)  # markdown-it types it `Any`
    return html.count("<strong>") + html.count("<em>")


# Characters that start an inline construct other than emphasis (a line break, an escape, code, a
# link, an autolink or raw HTML, an entity), or that markdown-it normalizes: a text holding one is
# counted by markdown-it itself.
_OTHER_INLINE = re.compile(r"[\n\r\\`\[<&\x00-\x08\x0e-\x1f\x7f]")
_ASCII_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_ASCII_SPACE = frozenset("\t\x0b\x0c ")


def delimiter_emphasis(text: str) -> int | None:
    """`_emphasis` of a text in which only `*` and `_` runs can be markup, by CommonMark's rules for
    delimiter runs as markdown-it applies them (`scanDelims`, `balance_pairs`, the emphasis rule's
    post-processing): most messages with emphasis are counted without importing markdown-it (a
    large part of a cold `validate`). None when markdown-it must count: another inline construct,
    or a character next to a run that Markdown parsers have classed differently over versions
    (symbols, spaces and controls outside ASCII). tests/test_po.py compares it with markdown-it."""
    if _OTHER_INLINE.search(text):
        return None
    delimiters: list[list[Any]] = []  # [marker, length, token, end, open, close]
    token = 0  # markdown-it's token index: one text token per character of a run, one per text between runs
    pos, size = 0, len(text)
    while pos < size:
        marker = text[pos]
        if marker != "*" and marker != "_":
            start = pos
            while pos < size and text[pos] not in "*_":
                pos += 1
            token += pos > start
            continue
        start = pos
        while pos < size and text[pos] == marker:
            pos += 1
        last = _kind(text[start - 1] if start else " ")
        following = _kind(text[pos] if pos < size else " ")
        if last is None or following is None:
            return None
        left = following != "space" and (following != "punct" or last in ("space", "punct"))
        right = last != "space" and (last != "punct" or following in ("space", "punct"))
        can_open = left and (marker == "*" or not right or last == "punct")
        can_close = right and (marker == "*" or not left or following == "punct")
        for _ in range(pos - start):
            delimiters.append([marker, pos - start, token, -1, can_open, can_close])
            token += 1
    _balance(delimiters)
    count, i = 0, len(delimiters) - 1
    while i >= 0:  # the emphasis rule's post-processing: a pair right inside a pair of the same run is strong
        start_delim = delimiters[i]
        if start_delim[3] != -1:
            end = start_delim[3]
            strong = (
                i > 0
                and delimiters[i - 1][3] == end + 1
                and delimiters[i - 1][0] == start_delim[0]
                and delimiters[i - 1][2] == start_delim[2] - 1
                and delimiters[end + 1][2] == delimiters[end][2] + 1
            )
            count += 1
            i -= strong
        i -= 1
    return count


def _kind(char: str) -> str | None:
    if char.isascii():
        return "space" if char in _ASCII_SPACE else "punct" if char in _ASCII_PUNCTUATION else "other"
    import unicodedata

    category = unicodedata.category(char)
    return "punct" if category[0] == "P" else "other" if category[0] in "LNM" else None


def _balance(delimiters: list[list[Any]]) -> None:
    """markdown-it's `balance_pairs.processDelimiters`: each closer matched with its opener (`end`)."""
    bottoms: dict[str, list[int]] = {}
    header, last_token, jumps = 0, -2, []
    for closer_at, closer in enumerate(delimiters):
        marker, length, token, _, opens, closes = closer
        jumps.append(0)
        if delimiters[header][0] != marker or last_token != token - 1:
            header = closer_at
        last_token = token
        if not closes:
            continue
        bottom = bottoms.setdefault(marker, [-1] * 6)
        minimum = bottom[(3 if opens else 0) + length % 3]
        opener_at = header - jumps[header] - 1
        new_minimum = opener_at
        while opener_at > minimum:
            opener = delimiters[opener_at]
            if opener[0] != marker:
                opener_at -= jumps[opener_at] + 1
                continue
            if opener[4] and opener[3] < 0:
                odd = (opener[5] or closer[4]) and (opener[1] + length) % 3 == 0 and (opener[1] % 3 or length % 3)
                if not odd:
                    last_jump = jumps[opener_at - 1] + 1 if opener_at > 0 and not delimiters[opener_at - 1][4] else 0
                    jumps[closer_at] = closer_at - opener_at + last_jump
                    jumps[opener_at] = last_jump
                    closer[4] = False
                    opener[3] = closer_at
                    opener[5] = False
                    new_minimum = -1
                    last_token = -2
                    break
            opener_at -= jumps[opener_at] + 1
        if new_minimum != -1:
            bottom[(3 if closer[4] else 0) + length % 3] = new_minimum


# how a PO file is read: `read`, or a build's memo of it (engine.i18n.translator.Catalogs.read)
Reader = Callable[[str, str], tuple["AnyCatalog | None", list[Problem]]]


def check(domain: Domain, read_catalog: Reader | None = None) -> CheckResult:
    """Missing, fuzzy and obsolete messages of every target locale, and a stale POT;
    ``read_catalog``: how a PO file is read (a build passes its memo: each file parsed once)."""
    result = CheckResult()
    template, problems = template_messages(domain)
    result.problems += problems
    if problems:
        return result
    # (no template needed when nobody translates)
    if domain.targets and not _same_messages(domain.pot, template, None, read_plain):
        result.problems.append(
            Problem(
                domain.pot,
                1,
                1,
                "G005",
                "the message template is stale or missing",
                "run `policyctl i18n extract` (or `i18n update`)",
            )
        )
    messages = [m for m in template if m.id]
    for tag in domain.targets:
        path = domain.po(tag)
        stats = Completeness(tag, total=len(messages))
        result.stats.append(stats)
        if not os.path.exists(path):
            stats.missing = len(messages)
            stray = misnamed(domain, tag)
            problem = Problem(
                path,
                1,
                1,
                "G002",
                f"{tag}: no catalog ({len(messages)} messages untranslated)",
                "run `policyctl i18n update` and translate the new file"
                if stray is None
                # (`update` would write an empty catalog beside the translated one, which nothing reads)
                else f"rename `{stray}` to `{tag}.po`: a catalog is named by its locale id, as marketplaces.yaml"
                " writes it",
            )
            if domain.home is not None:
                # (named where it would be: the default layout in the installed package is never written)
                problem = Problem(
                    os.path.join(domain.home, "locales", os.path.basename(path)),
                    1,
                    1,
                    "G002",
                    f"{tag}: policyctl's default page layout has no catalog ({len(messages)} messages untranslated)",
                    f"run `policyctl i18n update`: it copies the layout into {domain.home}; then translate this file",
                )
            result.problems.append(problem)
            continue
        catalog, bad = (read_catalog or read)(path, tag)
        if catalog is None:
            stats.missing = len(messages)
            result.problems += bad
            continue
        result.problems += _check_catalog(domain, tag, path, messages, catalog, stats)
        result.problems += _stale_comments(domain, tag, path, messages, catalog)
        result.problems += _plural_forms_check(tag, path, catalog, messages, stats)
    return result


def _comment_words(message: AnyMessage) -> str:
    """A message's translators' comments as `messages_of` compares them: as words."""
    return " ".join(" ".join(message.auto_comments).split())


def _stale_comments(
    domain: Domain, tag: str, path: str, messages: list[AnyMessage], catalog: AnyCatalog
) -> list[Problem]:
    """G005 at the first entry of the catalog whose translators' comments (`#.`) are not the
    template's: a comment changed in a template (or a parameter's description, a label's note)
    and the catalog was not updated (`i18n extract` writes the POT alone). Translators read the
    catalog, not the POT: they would translate without the new context. `i18n update` copies the
    template's comments into each catalog, as Babel's `update` does (and its `update --check`
    calls a catalog whose comments differ out of date)."""
    stale = []
    for source in messages:
        found = catalog.get(*message_key(source))
        if found is not None and _comment_words(found) != _comment_words(source):
            stale.append((found.lineno or 1, source))
    if not stale:
        return []
    line, first = min(stale, key=lambda s: s[0])
    more = f" and {len(stale) - 1} other message{'s' if len(stale) > 2 else ''}" if len(stale) > 1 else ""
    return [
        Problem(
            path,
            line,
            1,
            "G005",
            f"{tag}: the translators' comment of {short(first)}{more} is not the template's (`#.` lines):"
            " the catalog is stale",
            "run `policyctl i18n update` (it writes the templates' comments into each catalog), then check"
            " each translation against its new comment",
        )
    ]


def _plural_forms_check(
    tag: str, path: str, catalog: AnyCatalog, messages: list[AnyMessage], stats: Completeness
) -> list[Problem]:
    """G002 at the `Plural-Forms` header of a catalog whose formula gives one form to two numbers
    the language writes differently (`plural_disagreement`): an error when the domain has a plural
    message (its pages would choose the wrong form; each such message counted as refused), a
    warning when it has none yet."""
    wrong = plural_disagreement(tag, catalog.plural_expr, catalog.num_plurals)
    if wrong is None:
        return []
    plural = [message_key(m) for m in messages if m.pluralizable]
    for key in plural:
        if key in stats.usable:
            stats.usable.discard(key)
            stats.translated -= 1
            stats.refused += 1
    raw = _read_bytes(path) or b""
    line = next((i for i, text in enumerate(raw.split(b"\n"), 1) if b"Plural-Forms:" in text), 1)
    return [
        Problem(
            path,
            line,
            1,
            "G002",
            f"{tag}: {wrong}"
            + (
                f"; {len(plural)} plural {'message' if len(plural) == 1 else 'messages'} would be shown in the wrong form"
                if plural
                else "; no message has a plural yet: the first one would be shown in the wrong form"
            ),
            str(_cldr_plural_forms(tag, "write")),
            "error" if plural else "warning",
        )
    ]


# CLDR's plural rule of common languages as gettext writes it (Babel's `get_plural`, what `i18n
# update` writes): `plural_disagreement` compares a catalog's header with it without importing
# Babel. A language CLDR gives regions their own rule for (`pt-PT`) is listed with them and asked
# of Babel for any other region; any other language is asked of Babel. tests/test_i18n.py checks
# every entry, and every locale of each language, against the Babel installed.
CLDR_PLURALS: dict[str, tuple[int, str]] = {
    "ar": (
        6,
        "(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : n % 100 >= 3 && n % 100 <= 10 ? 3 : n % 100 >= 11 && n % 100 <= 99 ? 4 : 5)",
    ),
    "cs": (3, "(n == 1 ? 0 : n >= 2 && n <= 4 ? 1 : 2)"),
    "da": (2, "(n != 1)"),
    "de": (2, "(n != 1)"),
    "el": (2, "(n != 1)"),
    "en": (2, "(n != 1)"),
    "es": (3, "(n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2)"),
    "fi": (2, "(n != 1)"),
    "fr": (3, "(n == 0 || n == 1) ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2"),
    "he": (3, "(n == 1 ? 0 : n == 2 ? 1 : 2)"),
    "hi": (2, "(n > 1)"),
    "hu": (2, "(n != 1)"),
    "id": (1, "0"),
    "it": (3, "(n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2)"),
    "ja": (1, "0"),
    "ko": (1, "0"),
    "nb": (2, "(n != 1)"),
    "nl": (2, "(n != 1)"),
    "pl": (3, "n == 1 ? 0 : n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14) ? 1 : 2"),
    "pt": (3, "(n == 0 || n == 1) ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2"),
    "pt-PT": (3, "(n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2)"),
    "ro": (3, "(n == 1 ? 0 : n == 0 || n != 1 && n % 100 >= 1 && n % 100 <= 19 ? 1 : 2)"),
    "ru": (
        3,
        "n % 10 == 1 && n % 100 != 11 ? 0 : n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14) ? 1 : 2",
    ),
    "sk": (3, "(n == 1 ? 0 : n >= 2 && n <= 4 ? 1 : 2)"),
    "sv": (2, "(n != 1)"),
    "th": (1, "0"),
    "tr": (2, "(n != 1)"),
    "uk": (
        3,
        "n % 10 == 1 && n % 100 != 11 ? 0 : n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 12 || n % 100 > 14) ? 1 : 2",
    ),
    "vi": (1, "0"),
    "zh": (1, "0"),
}
_REGIONAL_PLURALS = frozenset(("pt",))


def cldr_plurals(tag: str) -> tuple[int, str]:
    """(nplurals, formula) of CLDR's plural rule for ``tag``, as `i18n update` writes it; ValueError
    for a locale Babel does not know."""
    language = tag.split("-")[0]
    found = CLDR_PLURALS.get(tag) or (CLDR_PLURALS.get(language) if language not in _REGIONAL_PLURALS else None)
    if found is not None:
        return found
    from babel.messages.plurals import get_plural

    from engine.i18n.cldr import locale

    rule = get_plural(locale(tag))
    return int(rule.num_plurals), str(rule.plural_expr)


@functools.lru_cache(maxsize=256)
def plural_disagreement(tag: str, plural_expr: str, nplurals: int) -> str | None:
    """Why a catalog's `Plural-Forms` formula disagrees with CLDR's plural rule for ``tag``, tried
    on the numbers msgfmt tries (`PLURAL_CHECKED`): the first two numbers it gives the same form
    that CLDR puts in different categories (Arabic's 0 and 2 with `plural=(n != 1)`; German's 0 and
    1 with `nplurals=1; plural=0;`), whose one translation is wrong for one of them; or None.

    Neither gettext nor Babel compares the header with the language: `msgfmt --check` only checks
    that the formula computes a form below nplurals for each number (GNU gettext's plural table
    gives `msginit` a header, never a verdict), and Babel takes the header's formula over its own
    locale data when it reads a catalog (`Catalog.num_plurals` and its `num_plurals` checker
    follow the header). A header is not asked to be CLDR's, only to tell apart what the language
    tells apart: forms numbered otherwise, or more forms than CLDR's categories (gettext's
    traditional Italian and Spanish `nplurals=2; plural=(n != 1);`, where CLDR adds a form for a
    million, beyond the numbers tried), choose a right translation for every number. None too for
    a formula `plural_rule` refuses (reported where the catalog is read) or a locale Babel does
    not know."""
    try:
        wanted = cldr_plurals(tag)
        if wanted == (nplurals, plural_expr):
            return None
        ours = plural_rule(plural_expr, nplurals)
        cldr = plural_rule(wanted[1], wanted[0])
    except ValueError:
        return None
    first: dict[int, int] = {}  # each form of the header: the first number it is chosen for
    for n in PLURAL_CHECKED:
        form = ours(n)
        other = first.setdefault(form, n)
        if cldr(other) != cldr(n):
            from engine.i18n.cldr import plural_category

            return (
                f"its Plural-Forms header (`nplurals={nplurals}; plural={plural_expr};`) gives {other} and {n} the same "
                f"form (`msgstr[{form}]`), which CLDR's rule for `{tag}` tells apart "
                f"(`{plural_category(other, tag)}` and `{plural_category(n, tag)}`)"
            )
    return None


def misnamed(domain: Domain, tag: str) -> str | None:
    """The file name of a catalog beside where ``tag``'s belongs that is meant for it, its name
    spelled otherwise (`fr_FR.po` for `fr-FR`, `zh-hans.po` for `zh-Hans`) or the same language
    with a region no marketplace publishes (`fr-FR.po` for `fr`); None when there is none."""
    try:
        names = sorted(os.listdir(os.path.join(domain.folder, "locales")))
    except OSError:
        return None

    def spelled(name: str) -> str:
        return name.lower().replace("_", "-")

    others = [n for n in names if n.endswith(".po") and n[:-3] != tag and n[:-3] not in domain.locales]
    same = [n for n in others if spelled(n[:-3]) == spelled(tag)]
    language = [n for n in others if spelled(n[:-3]).split("-")[0] == spelled(tag).split("-")[0]]
    found = same or language
    return found[0] if found else None


def _check_catalog(
    domain: Domain, tag: str, path: str, messages: list[AnyMessage], catalog: AnyCatalog, stats: Completeness
) -> list[Problem]:
    problems: list[Problem] = []
    wanted = {message_key(m) for m in messages}
    places = MsgstrPlaces(path)
    following: dict[Key, int | None] | None = None
    for source in messages:
        found = catalog.get(*message_key(source))
        if found is None:
            stats.missing += 1
            if following is None:  # (only for a catalog that lacks a message)
                following = following_entries([message_key(m) for m in messages], catalog)
            file, line = source.locations[0] if source.locations else (None, 0)
            written = (os.path.join(domain.folder, file), int(line)) if file is not None else None
            plural = source.id[1] if isinstance(source.id, (list, tuple)) else None
            key = message_key(source)
            problems.append(missing_problem(path, tag, key, plural, written, places.missing(following.get(key))))
            continue
        if found.fuzzy:
            stats.fuzzy += 1
            line, column, alone = places.fuzzy(found)  # (where the translator settles it: the flag)
            problems.append(
                Problem(
                    path,
                    line,
                    column,
                    "G003",
                    f"{tag}: fuzzy translation of {short(source)} (its English changed)",
                    fuzzy_hint(alone),
                )
            )
            continue
        refusal = translation_refusal(source, found, catalog.plural_expr)
        if refusal is not None:
            why = refusal.why
            if why == "missing":
                stats.missing += 1
            else:
                stats.refused += 1
            problems.append(
                Problem(
                    path,
                    *places.at(found, refusal.form, refusal.at),  # (the translator's mistake: in the msgstr)
                    "G002",
                    f"{tag}: no translation of {short(source)}" if why == "missing" else f"{tag}: {why}",
                    "translate every form (msgstr) of the message"
                    if why == "missing"
                    else "keep the English message's placeholders and markup in the translation, as written there",
                )
            )
            continue
        stats.translated += 1
        stats.usable.add(message_key(source))
    for message in catalog:
        if message.id and message_key(message) not in wanted:
            stats.obsolete += 1
            problems.append(
                Problem(
                    path,
                    message.lineno or 1,
                    1,
                    "G004",
                    f"{tag}: {short(message)} is no longer in the templates",
                    "run `policyctl i18n update --drop-obsolete`, or delete the entry",
                )
            )
    for message in catalog.obsolete.values():
        stats.obsolete += 1
        problems.append(
            Problem(
                path,
                message.lineno or 1,
                1,
                "G004",
                f"{tag}: obsolete entry {short(message)} (`#~`)",
                "reuse its translation where it fits, then `policyctl i18n update --drop-obsolete`",
            )
        )
    return problems


def fallback_translations(
    repo: Any, name: str, domain: Domain, read_catalog: Reader | None = None
) -> dict[str, frozenset[Key]]:
    """The locales a program with `translations: fallback` publishes in English for now, each with
    the messages whose translation is usable (all that a page in the locale could say in it): the
    locales whose catalog misses a message of ``domain``, has it fuzzy or refuses its translation,
    for what it writes or for a fact it states (G006): everything `domain_check` counts against it.
    (The English page states each fact from the policy data: a translation refused for writing
    one itself is not published, as one refused for its placeholders is not; nor is it borrowed
    for the words around the English page, engine.site.assemble.chooser_title.)"""
    result = domain_check(repo, name, domain, read_catalog)
    pending = pending_locales(result)
    return {s.tag: frozenset(s.usable) for s in result.stats if s.tag in pending}


def pending_locales(result: CheckResult) -> set[str]:
    """The locales ``result`` (a domain's `domain_check`) counts a message against: missing, fuzzy
    or refused; a `translations: fallback` program shows them in English (`fallback_translations`)."""
    return {s.tag for s in result.stats if s.missing or s.fuzzy or s.refused}


def as_fallback(problems: list[Problem], locales: Iterable[str]) -> list[Problem]:
    """A domain's ``problems``, those of the ``locales`` published in English for now
    (`fallback_translations`) as warnings: translations still to do, not a reason to publish nothing.
    `build`, `validate` and `i18n check` say them alike."""
    pending = tuple(f"{tag}: " for tag in locales)
    return [p.replace(severity="warning") if pending and p.message.startswith(pending) else p for p in problems]


def domain_check(repo: Any, name: str, domain: Domain, read_catalog: Reader | None = None) -> CheckResult:
    """Everything a domain's catalogs are refused for, by `i18n check`, `validate` and `build`
    alike, with each locale's completeness: what `check` finds, and for a program's domain the
    translations that state one of its facts (G006: as the language writes them, or as its pages
    in a marketplace's country do, `formatting_locales`), counted as refused."""
    result = check(domain, read_catalog)
    if name in repo.programs:
        facts, formats = program_facts(repo, name), formatting_locales(repo, name)
        result.problems += fact_problems(domain, facts, read_catalog, result.stats, formats)
    return result


def domain_problems(repo: Any, name: str, domain: Domain, read_catalog: Reader | None = None) -> list[Problem]:
    """`domain_check`'s problems, kept per content (engine.cache.checks): a warm run, or a process
    checking the same domain again, extracts no template and reads no catalog. Its inputs, all in
    the key: the domain (its name, folders, locales and labels, with the line of each in
    program.yaml), every template of the domain (path and bytes: the messages and their lines),
    the POT and each target locale's PO file (path and bytes, or that it is missing), the
    program's facts (values, in order, with what each is a value of and how pages show it:
    G006 names them) and the locales each language's pages are formatted with, whether the domain is a program's, and how catalogs are read
    (``read_catalog``, by name: `validate` reads the plain form itself, a build through Babel).
    ``read_catalog`` must answer for the file as it is when it is called (as a new
    engine.i18n.translator.Catalogs().read does, or a build's `Catalogs.current`; a reader that
    returns what it read earlier could answer for bytes the key no longer has)."""
    from engine.cache.checks import files_parts, kept

    facts = program_facts(repo, name) if name in repo.programs else None
    formats = formatting_locales(repo, name) if name in repo.programs else None
    reader = getattr(read_catalog, "__qualname__", None)
    shown = repr((domain, reader, None if facts is None else list(facts.items()), formats))

    def inputs() -> list[bytes | str] | None:
        templates = files_parts(template_files(domain.templates))
        catalogs = files_parts([domain.pot, *(domain.po(tag) for tag in domain.targets)])
        # a missing catalog's problem names a misnamed one beside it (`misnamed`)
        strays = repr([misnamed(domain, tag) for tag in domain.targets if not os.path.exists(domain.po(tag))])
        return None if templates is None or catalogs is None else [shown, strays, *templates, *catalogs]

    return kept("translations", inputs, lambda: domain_check(repo, name, domain, read_catalog).problems, repo.root)


def fact_problems(
    domain: Domain,
    facts: Facts,
    read_catalog: Reader | None = None,
    stats: list[Completeness] | None = None,
    formats: Mapping[str, Sequence[str]] | None = None,
) -> list[Problem]:
    """G006 for each translation in the domain's catalogs that states a fact (see
    engine.i18n.facts.fact_problem), with each language's figures looked for as the locales
    ``formats`` gives it write them too (engine.i18n.facts.formatting_locales); each such message
    counted as refused in ``stats``."""
    problems: list[Problem] = []
    if not facts:
        return problems
    counts = {s.tag: s for s in stats or ()}
    for tag in domain.targets:
        path = domain.po(tag)
        if not os.path.exists(path):
            continue
        catalog, _ = (read_catalog or read)(path, tag)
        places = MsgstrPlaces(path)
        for message in catalog or ():
            if not message.id or message.fuzzy:
                continue
            ids = list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]
            english = [PLACEHOLDER.sub("", i) for i in ids]
            for index, form in enumerate(message_forms(message)):
                found = fact_found(english, PLACEHOLDER.sub("", form), facts, tag, (formats or {}).get(tag, ()))
                if found:
                    why, at = found
                    problems.append(
                        Problem(
                            path,
                            *places.at(message, index, unstripped(form, at)),  # (where the translation writes it)
                            "G006",
                            f"{tag}: {why} ({short(message)})",
                            "write the placeholder the English uses instead of the figure",
                        )
                    )
                    done = counts.get(tag)
                    if done is not None and message_key(message) in done.usable:
                        done.usable.discard(message_key(message))
                        done.translated -= 1
                        done.refused += 1
                    break
    return problems


def unstripped(text: str, at: int) -> int:
    """The index in ``text`` of the character at ``at`` in ``text`` without its placeholders
    (`PLACEHOLDER.sub("", text)`, what the fact check reads)."""
    removed = 0
    for found in PLACEHOLDER.finditer(text):
        if found.start() - removed > at:
            break
        removed += found.end() - found.start()
    return at + removed


def completeness_line(stats: Completeness) -> str:
    """One line per locale; counts only messages usable in a page (fuzzy and partly translated
    plural messages are not done, unlike Babel's own statistics)."""
    parts = [f"{stats.translated} of {stats.total} translated ({stats.percent:.1f}%)"]
    for what, n in (
        ("missing", stats.missing),
        ("fuzzy", stats.fuzzy),
        ("refused", stats.refused),
        ("obsolete", stats.obsolete),
    ):
        if n:
            parts.append(f"{n} {what}")
    return f"{stats.tag}: " + ", ".join(parts)
