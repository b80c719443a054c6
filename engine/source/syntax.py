"""A YAML syntax error in words for the author, at the place to edit.

PyYAML says what its parser expected where it gave up ("expected <block end>, but found
'<block mapping start>'", "mapping values are not allowed here"), often a line after the fault:
a string never closed is found at the end of the file or at the next quote, a bracket never closed
at the next key's `:`, a key without its `:` or with no space after it on the line below. Here the
error, the text and the tokens before the error (the pure scanner's, read again: only a file that
fails pays) tell which of these happened; each is said at the place the author must edit, with a
hint that fixes it. Anything else keeps PyYAML's description with its jargon in words.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import yaml
from yaml import tokens as tk
from yaml.reader import Reader
from yaml.scanner import Scanner

from engine.problems import Problem

# line breaks as YAML counts them (PyYAML's marks): `\r\n` is one
_LINE = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
_COMMENT = re.compile(r"\s+#.*|^#.*")
# `value:30`: a word, a colon, no space (PyYAML reads `value:30` as one plain text)
_NO_SPACE = re.compile(r"([^\s:#'\"\[\]{},&*!|>%@`-][^\s:]*):([^\s:].*)")
_LEADING = re.compile(r"[ ]*(?:-[ ]+)*")  # a line's indentation and its list items' dashes
_WORDS = {  # PyYAML's names of what it found or expected
    "'<block mapping start>'": "a key",
    "'<block sequence start>'": "a list item",
    "<block end>": "the end of the block",
    "'<block end>'": "the end of the block",
    "'<scalar>'": "a value",
    "'<stream end>'": "the end of the file",
    "'<document start>'": "`---`",
    "'<document end>'": "`...`",
    "'<alias>'": "an alias",
    "'<anchor>'": "an anchor",
    "'<tag>'": "a tag",
    "'<block entry>'": "`-`",
    "'<flow entry>'": "`,`",
    "'<key>'": "`?`",
    "'<value>'": "`:`",
    "'?'": "`?`",
    "':'": "`:`",
    "'-'": "`-`",
    "','": "`,`",
    "']'": "`]`",
    "'}'": "`}`",
    "'['": "`[`",
    "'{'": "`{`",
}
_WORD = re.compile("|".join(re.escape(w) for w in sorted(_WORDS, key=len, reverse=True)))

Found = tuple[int, int, str, str]  # 0-based line and column, message, hint


class _Mark(NamedTuple):
    line: int
    column: int


class _Tokens(Reader, Scanner):
    """PyYAML's pure scanner, whose marks the loader's errors carry (it reads any file libyaml fails)."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)


def problem(path: str, text: str, e: yaml.MarkedYAMLError) -> Problem:
    """The problem ``e``, PyYAML's error in ``text``, stands for (code Y010, or Y011 for a tab)."""
    mark = e.problem_mark or e.context_mark
    line, col = (mark.line, mark.column) if mark else (0, 0)
    what = (e.problem or "syntax error").strip()
    if "'\\t'" in what or "\t" in what or "tab character" in what:
        return Problem(
            path,
            line + 1,
            col + 1,
            "Y011",
            "a tab character where YAML expects indentation or a value",
            "indent with spaces only; YAML forbids tabs for indentation",
        )
    try:
        found = _diagnose(text, e)
    except (IndexError, ValueError):  # (a text the rules below did not foresee: PyYAML's words)
        found = None
    if found is not None:
        line, col, message, hint = found
        return Problem(path, line + 1, col + 1, "Y010", message, hint)
    context = ""
    if e.context and e.context_mark is not None:
        at = e.context_mark
        context = f" ({e.context.strip()} at line {at.line + 1}, column {at.column + 1})"
    hint = "check indentation and quoting on this line and the one before"
    if "mapping values are not allowed" in what:
        hint = "a value containing `: ` must be quoted, or the indentation is off"
    return Problem(path, line + 1, col + 1, "Y010", f"YAML syntax error: {_in_words(what)}{context}", hint)


def _spaces(n: int) -> str:
    return "1 space" if n == 1 else f"{n} spaces"


def _in_words(what: str) -> str:
    return _WORD.sub(lambda m: _WORDS[m.group()], what)


def _diagnose(text: str, e: yaml.MarkedYAMLError) -> Found | None:
    lines = _LINE.split(text)
    what, context = e.problem or "", e.context or ""
    at, opened = e.problem_mark, e.context_mark
    if at is None:
        return None
    if context == "while scanning a quoted scalar" and opened is not None and "unexpected" in what:
        return _unclosed_quote(lines, opened, None)  # (the end of the file, or a `---`, came first)
    if context.startswith("while parsing a flow") and opened is not None and what.startswith("expected ','"):
        return _flow(lines, opened, at, what)
    if what == "could not find expected ':'" and context == "while scanning a simple key" and opened is not None:
        keyless = _keyless(lines, opened.line, opened.column, at)
        if keyless is not None:
            return keyless  # (else a string that runs on from there: below)
    before, scalar, flows = _tokens(text, at.index)
    if flows and "<stream end>" in what:
        return _flow(lines, flows[-1].start_mark, at, what)
    if scalar is not None and scalar.style in ('"', "'") and _runs_on(lines, scalar, at):
        return _unclosed_quote(lines, scalar.start_mark, scalar.end_mark)
    if scalar is not None and scalar.style in ('"', "'") and scalar.end_mark.line == at.line:
        after = lines[at.line][scalar.end_mark.column : at.column]
        if not after.strip() and at.index >= scalar.end_mark.index:
            return _after_quote(lines, scalar, at)
    if what == "mapping values are not allowed here":
        return _colon(lines, at, before, scalar)
    if what.startswith("expected <block end>") and context.startswith("while parsing a block") and opened is not None:
        return _indentation(lines, opened, at, context == "while parsing a block mapping")
    return None


def _tokens(text: str, index: int) -> tuple[Any, Any, list[Any]]:
    """The last scalar token that starts before ``index``, the token before it (None, None), and
    the `[` and `{` opened before ``index`` that are still open."""
    parser: Any = _Tokens(text)  # (PyYAML is untyped)
    last: tuple[Any, Any] = (None, None)
    previous = None
    seen: list[Any] = []
    try:
        while (token := parser.get_token()) is not None:
            seen.append(token)
            if token.start_mark.index >= index:
                break
    except yaml.YAMLError:
        seen += parser.tokens  # (made, but not handed out when the scanner failed)
    flows: list[Any] = []
    for token in seen:
        if token.start_mark.index >= index:
            break
        kind = type(token)
        if kind is tk.ScalarToken:
            last = (previous, token)
        elif kind is tk.FlowSequenceStartToken or kind is tk.FlowMappingStartToken:
            flows.append(token)
        elif (kind is tk.FlowSequenceEndToken or kind is tk.FlowMappingEndToken) and flows:
            flows.pop()
        previous = token
    return *last, flows


def _runs_on(lines: list[str], scalar: Any, at: Any) -> bool:
    """Whether a quoted ``scalar`` went on past its line and swallowed what reads as YAML (a
    `key:`, a `- ` item, a comment), the error coming right after its closing quote."""
    start, end = scalar.start_mark, scalar.end_mark
    if start.line == end.line or at.line != end.line:
        return False
    swallowed = [lines[n].strip() for n in range(start.line + 1, end.line + 1)]
    return any(re.match(r"[^\s:]+:(\s|$)|- |#", s) for s in swallowed)


def _unclosed_quote(lines: list[str], start: Any, end: Any) -> Found:
    quote = lines[start.line][start.column]
    if end is None:
        message = f"this string is never closed: the file ends before a `{quote}` ends it"
    else:
        message = (
            f"this string is never closed: its text runs on to the `{quote}` at line {end.line + 1}, "
            f"column {end.column}"
        )
    inside = '`\\"`' if quote == '"' else "`''`"
    return (
        start.line,
        start.column,
        message,
        f"end it with `{quote}` where its text ends; a `{quote}` in the text is written {inside}",
    )


def _after_quote(lines: list[str], scalar: Any, at: Any) -> Found:
    """Text after a string's closing quote: a quote inside the string, or a value only partly quoted."""
    start, end = scalar.start_mark, scalar.end_mark
    quote = lines[start.line][start.column]
    written = _COMMENT.sub("", lines[at.line][start.column :]).rstrip()
    if start.line == end.line and len(written) > 2 and written.endswith(quote):
        inner = written[1:-1]
        fixed = (
            quote + inner.replace("'", "''") + quote
            if quote == "'"
            else quote + inner.replace("\\", "\\\\").replace('"', '\\"') + quote
        )
        inside = "`''`" if quote == "'" else '`\\"`'
        return (
            end.line,
            end.column - 1,
            f"this `{quote}` ends the string, and `{written[end.column - start.column :]}` follows it",
            f"a `{quote}` inside the string is written {inside}: `{fixed}`",
        )
    return (
        at.line,
        at.column,
        f"`{_COMMENT.sub('', lines[at.line][at.column :]).rstrip()}` follows the string's closing `{quote}`",
        "quote the whole value, or end the line after the closing quote",
    )


def _flow(lines: list[str], opened: Any, at: Any, what: str) -> Found:
    bracket = lines[opened.line][opened.column]
    closer, noun = ("]", "list") if bracket == "[" else ("}", "mapping")
    if at.line > opened.line or "<stream end>" in what:
        reaches = "the end of the file" if "<stream end>" in what else f"line {at.line + 1}"
        return (
            opened.line,
            opened.column,
            f"this `{bracket}` is never closed: the {noun} it opens runs on to {reaches}",
            f"end the {noun} with `{closer}` after its last item",
        )
    got = what.rsplit("but got ", 1)[-1]
    if got in ("']'", "'}'"):  # the other kind's closing bracket
        return (
            opened.line,
            opened.column,
            f"this `{bracket}` is never closed: a `{got[1]}` comes before its `{closer}`",
            f"end the {noun} with `{closer}` after its last item",
        )
    return (
        at.line,
        at.column,
        f"expected `,` or `{closer}` in the {noun} that `{bracket}` opens at column {opened.column + 1}, "
        f"but found {_in_words(got)}",
        "separate the items with `, `; quote an item that holds `:`, `,`, `[` or `{`",
    )


def _keyless(lines: list[str], line: int, column: int, at: Any = None) -> Found | None:
    """The line that should be `key: value` but has no `: ` (PyYAML finds it a line later); ``at``:
    where PyYAML stopped."""
    written = _COMMENT.sub("", lines[line][column:]).rstrip()
    if written[:1] in ("[", "{") and at is not None and at.line > line:  # a bracket never closed
        return _flow(lines, _Mark(line, column), at, "")
    if not written or written[0] in "\"'[{":
        return None
    spaced = _NO_SPACE.fullmatch(written)
    if spaced:
        key, value = spaced.group(1), spaced.group(2)
        word = written.split()[0]
        return (
            line,
            column + len(key),
            f"no space after the `:` of `{key}`: `{word}` is read as plain text, not as a key and its value",
            f"write a space after the colon: `{key}: {value}`",
        )
    key, _, rest = written.partition(" ")
    fixed = f"{key}: {rest.strip()}" if rest.strip() else f"{key}:"
    return (
        line,
        column + len(key),
        f"this line has no `:`: `{written}` is read as plain text, not as a key and its value",
        f"write `:` after the key: `{fixed}`",
    )


def _colon(lines: list[str], at: Any, before: Any, scalar: Any) -> Found | None:
    """`mapping values are not allowed here`: a `: ` in a plain text (one written on one line, or
    one that ran on from a line above)."""
    if scalar is None or scalar.style is not None or scalar.end_mark.index > at.index:
        return None
    start = scalar.start_mark
    # a key's value (on the key's line: a text alone on a line under `key:` was meant to be a key)
    value = type(before) is tk.ValueToken and before.start_mark.line == start.line
    if start.line == at.line:
        if not value:
            return None
        written = _COMMENT.sub("", lines[start.line][start.column :]).rstrip()
        quoted = '"' + written.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return (
            start.line,
            start.column,
            f"`{written}` holds `: `, which only a value in quotes may hold",
            f"quote the value: `{quoted}`",
        )
    if not value:  # the text began a line: that line was meant to be `key: value`
        return _keyless(lines, start.line, start.column)
    # a key's value went on to this line, which is indented more than the key
    above = lines[start.line]
    key = _LEADING.match(above)
    keyed = key.end() if key else 0
    name = above[keyed:].split(":", 1)[0].strip()
    indent = len(lines[at.line]) - len(lines[at.line].lstrip(" "))
    if indent <= keyed:
        return None
    dashed = _dash_key(name, start.line, keyed, indent)
    if dashed is not None:
        return dashed
    return (
        at.line,
        indent,
        f"this line is indented {_spaces(indent)}; the keys of this mapping start at column {keyed + 1}",
        f"indent it {_spaces(keyed)}, as `{name}` on line {start.line + 1}; if the line is part of "
        f"`{name}`'s value, quote the value",
    )


def _dash_key(name: str, line: int, column: int, indent: int) -> Found | None:
    """`-from: x` is a key named `-from`: when the next line is indented as a list item's keys are
    (two past the dash), a list item was meant, and the place to edit is the dash, not that line."""
    if name[:1] != "-" or not name[1:2].strip() or indent != column + 2:
        return None
    return (
        line,
        column,
        f"`{name}` is read as a key, not as a list item: a list item needs a space after `-`",
        f"write `- {name[1:]}`",
    )


def _indentation(lines: list[str], opened: Any, at: Any, mapping: bool) -> Found | None:
    """`expected <block end>`: a line that lines up with no key (or item) of the blocks around it;
    ``mapping``: the block PyYAML was reading is a mapping (else a list)."""
    line = lines[at.line]
    if line[: at.column].strip(" ") or line[at.column : at.column + 1] in (",", "]", "}"):
        return None  # (not the line's first thing, or a stray `,`: more than its indentation is wrong)
    indent, keys = at.column, opened.column
    item = line[indent:].startswith("-")  # a list item: it lines up with the items above, not keys
    first = lines[opened.line][keys:].split(":", 1)[0].strip()
    deeper = None  # where the keys (items) of the block that ended above this line start
    for n in range(at.line - 1, opened.line - 1, -1):
        written = _COMMENT.sub("", lines[n]).rstrip()
        if not written:
            continue
        leading = _LEADING.match(written)
        column = leading.end() if leading else 0
        dash = len(written) - len(written.lstrip(" "))
        if (dash if item else column) <= indent:
            break
        if not item or written[dash] == "-":
            deeper = (dash if item else column) if deeper is None else min(deeper, dash if item else column)
    what = "items of the list" if item else "keys of the mapping"
    if deeper is not None:
        also = f", or {keys} to add it to the one that starts with `{first}` on line {opened.line + 1}"
        return (
            at.line,
            indent,
            f"this line is indented {_spaces(indent)}; the {what} above it start at column {deeper + 1}",
            f"indent it {_spaces(deeper)} to add it to that {what.split()[-1]}{also if mapping and not item else ''}",
        )
    if item or not mapping:
        return None
    dashed = _dash_key(first, opened.line, keys, indent)
    if dashed is not None:
        return dashed
    return (
        at.line,
        indent,
        f"this line is indented {_spaces(indent)}; the keys of this mapping start at column {keys + 1}",
        f"indent it {_spaces(keys)}, as `{first}` on line {opened.line + 1}",
    )
