"""Where each character of a scalar's value is written in its file.

The loader keeps one position per node: where it starts. A problem about a part of a scalar's
text (an unknown name in an expression written over several lines) wants that part's own place,
so `scalar_at` reads the scalar again and maps each character of its value back to the line and
column where it is written, in every style: plain, single- and double-quoted (escapes, folded
lines), literal `|` and folded `>` (indentation indicators, chomping). An escape's place is its
backslash, a quote doubled in single quotes that of its first; a space or line break that folding
makes, or a block's line break, has none.

The value read here is compared with the one the YAML parser gives for the same scalar: when they
differ (a rule of some parser not followed here), there is no answer and the caller keeps the
scalar's start rather than a place that could be wrong. Only problems ask, so this costs nothing
while files are read; a file's scalars are found in one pass of the parser's scanner, kept per
text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml import tokens as tk

from engine.cache.memo import Memo
from engine.source.loader import decode, read_bytes, scanner

# Where a character is written: line and column (1-based), and how many columns it takes there
# (1, or an escape's length); None for a character the file does not hold as such.
Place = tuple[int, int, int] | None

_BREAKS = "\r\n\x85\u2028\u2029"
_END = "\0"
_ESCAPES = {
    "0": "\0",
    "a": "\x07",
    "b": "\x08",
    "t": "\t",
    "\t": "\t",
    "n": "\n",
    "v": "\x0b",
    "f": "\x0c",
    "r": "\r",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
_HEX_ESCAPES = {"x": 2, "u": 4, "U": 8}
_HEX = re.compile(r"[0-9A-Fa-f]+\Z")
_LINE = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class Scalar:
    """A scalar's value and the place of each of its characters."""

    value: str
    places: tuple[Place, ...]

    def place(self, index: int, start: int = 0) -> tuple[int, int] | None:
        """Line and column of ``value[index]``; at a space or past the end (what a problem about
        the end of a text points at), just after the last character before it that is written
        as such, back to ``start``. None where the file does not say."""
        if index < len(self.value) and not self.value[index].isspace():
            found = self.places[index]
            return None if found is None else (found[0], found[1])
        before = min(index, len(self.value)) - 1
        while before >= start and self.value[before].isspace():
            before -= 1
        found = self.places[before] if before >= start else None
        return None if found is None else (found[0], found[1] + found[2])


class _Table:
    """A text's scalars by where their nodes start (0-based line and column, before any tag or
    anchor): value, own start and end marks; and where each line starts."""

    def __init__(self, text: str) -> None:
        self.scalars = _scalars(text)
        self.lines = [0] + [found.end() for found in _LINE.finditer(text)]

    def index(self, text: str, line: int, column: int) -> int | None:
        """The index of a mark's character: its line counted as YAML counts breaks (`\\r\\n` is
        one), its column in characters, a byte order mark not counted (as PyYAML's reader)."""
        if line >= len(self.lines):
            return None
        index = self.lines[line]
        while column:
            if index >= len(text) or text[index] in _BREAKS:
                return None
            if text[index] != "\ufeff":
                column -= 1
            index += 1
        return index


_TABLES: Memo[_Table] = Memo(8, 16 * 1024 * 1024)  # weight: the text's length


def in_file(path: str, line: int, col: int) -> Scalar | None:
    """The scalar that starts at ``line``:``col`` (1-based, as the loader gives a node's position)
    in the file at ``path``, or None (no such scalar, a file that cannot be read, a mapping that
    is not exact)."""
    try:
        text, _ = decode(read_bytes(path), path)
    except OSError:
        return None
    return None if text is None else scalar_at(text, line, col)


def scalar_at(text: str, line: int, col: int) -> Scalar | None:
    """`in_file` for a file's text."""
    table = _TABLES.get(text)
    if table is None:
        table = _Table(text)
        _TABLES.put(text, table, len(text))
    found = table.scalars.get((line - 1, col - 1))
    if found is None:
        return None
    value, (start_line, start_col), end = found
    begin, stop = table.index(text, start_line, start_col), table.index(text, *end)
    if begin is None or stop is None:
        return None
    reader = _Reader(text, begin, start_line, start_col)
    first = text[begin : begin + 1]
    chars: list[tuple[str, Place]] | None
    if first in ("'", '"'):
        chars = _quoted(reader, stop, double=first == '"')
    elif first in ("|", ">"):
        return _block(reader, value)
    else:
        chars = _plain(reader, stop)
    if chars is None or "".join(c for c, _ in chars) != value:
        return None
    return Scalar(value, tuple(p for _, p in chars))


Mark = tuple[int, int]  # 0-based line and column, as the parsers' marks


def _scalars(text: str) -> dict[Mark, tuple[str, Mark, Mark]]:
    """Every scalar of ``text`` by where its node starts (before any tag or anchor): its value,
    and where the scalar itself starts and ends."""
    for pure in (False, True):  # libyaml's first, as the loader reads
        found: dict[Mark, tuple[str, Mark, Mark]] = {}
        parser = scanner(text, pure)
        try:
            node: Any = None  # the first tag or anchor of the node being read
            while (token := parser.get_token()) is not None:
                if type(token) is tk.TagToken or type(token) is tk.AnchorToken:
                    node = node or token
                    continue
                if type(token) is tk.ScalarToken:
                    mark, start, end = (node or token).start_mark, token.start_mark, token.end_mark
                    found[(mark.line, mark.column)] = (
                        token.value,
                        (start.line, start.column),
                        (end.line, end.column),
                    )
                node = None
            return found
        except yaml.YAMLError:
            continue
        finally:
            dispose = getattr(parser, "dispose", None)
            if dispose:
                dispose()
    return {}


class _Reader:
    """The text from one index on, with line and column (0-based) as the YAML parsers count them."""

    def __init__(self, text: str, index: int, line: int, col: int) -> None:
        self.text, self.i, self.line, self.col = text, index, line, col

    def peek(self, ahead: int = 0) -> str:
        at = self.i + ahead
        return self.text[at] if at < len(self.text) else _END

    def forward(self, n: int = 1) -> None:
        for _ in range(n):
            ch = self.text[self.i]
            self.i += 1
            if ch in "\n\x85\u2028\u2029" or (ch == "\r" and self.peek() != "\n"):
                self.line, self.col = self.line + 1, 0
            elif ch != "\ufeff":
                self.col += 1

    def take(self, out: list[tuple[str, Place]], n: int = 1) -> None:
        """``n`` characters written as themselves."""
        for _ in range(n):
            out.append((self.peek(), (self.line + 1, self.col + 1, 1)))
            self.forward()

    def line_break(self) -> str:
        """One line break, as the value holds it (`\\r\\n`, `\\r` and NEL become `\\n`)."""
        ch = self.peek()
        if ch in "\r\n\x85":
            self.forward(2 if self.text.startswith("\r\n", self.i) else 1)
            return "\n"
        if ch in "\u2028\u2029":
            self.forward()
            return ch
        return ""

    def spaces(self) -> int:
        """How many spaces and tabs come next."""
        count = 0
        while self.peek(count) in " \t":
            count += 1
        return count


def _fold(reader: _Reader, out: list[tuple[str, Place]]) -> None:
    """A line break in a plain or quoted scalar and the empty lines after it: one break is a
    space, n breaks are n-1 line breaks (the spaces around them are not part of the value)."""
    line_break = reader.line_break()
    breaks = []
    while reader.peek() in " \t" + _BREAKS:
        if reader.peek() in " \t":
            reader.forward()
        else:
            breaks.append(reader.line_break())
    if line_break != "\n":
        out.append((line_break, None))
    elif not breaks:
        out.append((" ", None))
    out.extend((b, None) for b in breaks)


def _plain(reader: _Reader, stop: int) -> list[tuple[str, Place]]:
    out: list[tuple[str, Place]] = []
    while reader.i < stop:
        _flow_char(reader, out)
    return out


def _flow_char(reader: _Reader, out: list[tuple[str, Place]]) -> None:
    """One character of a plain or quoted scalar that is not an escape or a doubled quote: spaces
    at the end of a line are not part of the value, a line break folds."""
    ch = reader.peek()
    if ch in " \t":
        n = reader.spaces()
        if reader.peek(n) in _BREAKS:
            reader.forward(n)
        else:
            reader.take(out, n)
    elif ch in _BREAKS:
        _fold(reader, out)
    else:
        reader.take(out)


def _quoted(reader: _Reader, stop: int, double: bool) -> list[tuple[str, Place]] | None:
    stop -= 1  # the closing quote
    reader.forward()  # the opening one
    out: list[tuple[str, Place]] = []
    while reader.i < stop:
        ch = reader.peek()
        if not double and ch == "'" and reader.peek(1) == "'":
            out.append(("'", (reader.line + 1, reader.col + 1, 2)))
            reader.forward(2)
        elif double and ch == "\\":
            if not _escape(reader, out):
                return None
        else:
            _flow_char(reader, out)
    return out


def _escape(reader: _Reader, out: list[tuple[str, Place]]) -> bool:
    """One escape of a double-quoted scalar; False for one this module does not know."""
    place = (reader.line + 1, reader.col + 1)
    code = reader.peek(1)
    if code in _ESCAPES:
        out.append((_ESCAPES[code], (*place, 2)))
        reader.forward(2)
    elif code in _HEX_ESCAPES:
        digits = reader.text[reader.i + 2 : reader.i + 2 + _HEX_ESCAPES[code]]
        if len(digits) != _HEX_ESCAPES[code] or not _HEX.match(digits) or int(digits, 16) > 0x10FFFF:
            return False
        out.append((chr(int(digits, 16)), (*place, 2 + len(digits))))
        reader.forward(2 + len(digits))
    elif code in _BREAKS:  # an escaped line break: the lines join without a space
        reader.forward()
        reader.line_break()
        while reader.peek() in " \t" + _BREAKS:
            if reader.peek() in " \t":
                reader.forward()
            else:
                out.append((reader.line_break(), None))
    else:
        return False
    return True


def _block(reader: _Reader, value: str) -> Scalar | None:
    """A literal or folded block scalar. Its indentation is relative to the parent node's, which
    a scalar alone does not tell: where an indicator gives it, each indentation the text allows
    is tried, and only the one that reads ``value`` is taken."""
    folded = reader.peek() == ">"
    reader.forward()
    chomping: bool | None = None  # `+` keeps the final line breaks, `-` strips them
    explicit = False
    for _ in range(2):
        ch = reader.peek()
        if ch in "+-" and chomping is None:
            chomping = ch == "+"
        elif ch in "123456789" and not explicit:
            explicit = True
        else:
            break
        reader.forward()
    reader.forward(reader.spaces())
    if reader.peek() == "#":
        while reader.peek() not in _BREAKS + _END:
            reader.forward()
    reader.line_break()
    indents: list[int | None] = [None]  # found while reading, as the parsers do
    if explicit:  # from the deepest that could be meant: that of the first line with text
        ahead = _Reader(reader.text, reader.i, reader.line, reader.col)
        while ahead.peek() in " " + _BREAKS:
            if ahead.peek() == " ":
                ahead.forward()
            else:
                ahead.line_break()
        indents = list(range(max(ahead.col, 1), 0, -1))
    for indent in indents:
        copy = _Reader(reader.text, reader.i, reader.line, reader.col)
        chars = _block_lines(copy, indent, folded, chomping)
        if "".join(c for c, _ in chars) == value:
            return Scalar(value, tuple(p for _, p in chars))
    return None


def _block_lines(reader: _Reader, indent: int | None, folded: bool, chomping: bool | None) -> list[tuple[str, Place]]:
    """The lines of a block scalar at ``indent`` (None: the indentation of its first line with
    text), as PyYAML's `scan_block_scalar` reads them."""
    breaks: list[str] = []
    if indent is None:
        deepest = 0
        while reader.peek() in " " + _BREAKS:
            if reader.peek() == " ":
                reader.forward()
                deepest = max(deepest, reader.col)
            else:
                breaks.append(reader.line_break())
        indent = max(1, deepest)
    else:
        breaks = _block_breaks(reader, indent)
    out: list[tuple[str, Place]] = []
    line_break = ""
    while reader.col == indent and reader.peek() != _END:
        out.extend((b, None) for b in breaks)
        leading_non_space = reader.peek() not in " \t"
        n = 0
        while reader.peek(n) not in _BREAKS + _END:
            n += 1
        reader.take(out, n)
        line_break = reader.line_break()
        breaks = _block_breaks(reader, indent)
        if reader.col != indent or reader.peek() == _END:
            break
        if folded and line_break == "\n" and leading_non_space and reader.peek() not in " \t":
            if not breaks:
                out.append((" ", None))
        else:
            out.append((line_break, None))
    if chomping is not False and line_break:
        out.append((line_break, None))
    if chomping is True:
        out.extend((b, None) for b in breaks)
    return out


def _block_breaks(reader: _Reader, indent: int) -> list[str]:
    """The empty lines before the next line of a block scalar (its indentation skipped)."""
    breaks = []
    while reader.col < indent and reader.peek() == " ":
        reader.forward()
    while reader.peek() in _BREAKS:
        breaks.append(reader.line_break())
        while reader.col < indent and reader.peek() == " ":
            reader.forward()
    return breaks
