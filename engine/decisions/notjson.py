"""Why a text is not JSON, in words for people: what was expected where, and a hint.

Python's reader says "Expecting value: line 1 column 1 (char 0)", and its wording and positions
change between versions (3.13 reports a trailing comma at the comma, 3.11 at the bracket after it,
as "Expecting property name enclosed in double quotes"). So the words come from the text at the
place the reader stopped, not from its message; the message only tells its kinds apart where the
text cannot (an unterminated string, an escape, data after the value).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import NoReturn

SHOWN = 24  # at most this many characters of what was found are shown
_WORD = re.compile(r"-?[A-Za-z_][A-Za-z0-9_]*")
_TOKEN = re.compile(r"[A-Za-z0-9_.+-]+")
_SPACE = " \t\r\n"
_CLOSER = {"{": "}", "[": "]"}
NOT_NUMBERS = ("NaN", "Infinity", "-Infinity")  # Python's reader takes them; JSON has none
_PYTHON = {"True": "true", "False": "false", "None": "null"}
ESCAPES = '`\\"`, `\\\\`, `\\/`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t` and `\\uXXXX`'


class NotANumber(ValueError):
    """`NaN`, `Infinity` or `-Infinity` in a JSON text (``json.JSONDecoder``'s ``parse_constant``)."""

    def __init__(self, word: str) -> None:
        super().__init__(word)
        self.word = word


def refuse_constant(word: str) -> NoReturn:
    raise NotANumber(word)


def explain(doc: str, pos: int, msg: str, hint: str) -> tuple[int, str, str]:
    """(where, message, hint) for ``doc`` that Python's reader refused at ``pos`` with ``msg``;
    ``hint`` is the caller's, for a mistake with no better one (data after the value)."""
    if msg.startswith("Unterminated string"):
        return pos, "not valid JSON: a string that starts here is not closed", 'end it with `"` on the same line'
    if msg.startswith("Invalid control character") and not doc[pos:].strip(_SPACE):
        pos = _string_start(doc[:pos])  # (the line's own break: the string is cut by the line's end)
        return pos, "not valid JSON: a string that starts here is not closed", 'end it with `"` on the same line'
    if msg.startswith("Invalid control character"):
        return (
            pos,
            "not valid JSON: a control character (a tab or a line break) inside a string",
            "write a tab as `\\t` and a line break as `\\n`",
        )
    if msg.startswith("Invalid \\u"):
        return pos, "not valid JSON: `\\u` is not followed by four hexadecimal digits", "write it as `\\u00e9`"
    if msg.startswith("Invalid \\escape"):
        shown = doc[pos : pos + 2]
        return pos, f"not valid JSON: `{shown}` is not an escape JSON knows", f"JSON's escapes are {ESCAPES}"
    if msg.startswith("Extra data"):
        return pos, f"not valid JSON: more after the end of the JSON value: `{_found(doc, pos)}`", hint
    comma = _trailing_comma(doc, pos)
    if comma is not None:
        closer = _next_solid(doc, comma + 1)
        return (
            comma,
            f"not valid JSON: a comma before `{closer}`: JSON has no comma after the last item",
            "remove the comma",
        )
    rest = doc[pos:].rstrip(_SPACE)
    if not rest:
        return _ended(doc, pos)
    if rest[0] == "'":
        return pos, "not valid JSON: single quotes; JSON writes keys and strings in double quotes", _requote(rest)
    word = _WORD.match(rest)
    if word is not None:
        return _word(pos, word.group(), msg)
    found = _found(doc, pos)
    if msg.startswith("Expecting ':'"):
        return pos, f"not valid JSON: expected `:` after the key, found `{found}`", 'write `"key": value`'
    if msg.startswith("Expecting ','"):
        closer = _CLOSER.get(_open(doc[:pos])[-1:], "}")
        return (
            pos,
            f"not valid JSON: expected `,` or `{closer}` after the value, found `{found}`",
            "separate the items with commas",
        )
    if msg.startswith("Expecting property name"):
        return pos, f"not valid JSON: expected a key in double quotes, found `{found}`", 'write `"key": value`'
    return pos, f"not valid JSON: expected a value, found `{found}`", _VALUES


_VALUES = "a value is a number, a string in double quotes, `true`, `false`, `null`, an object or a list"


def _word(pos: int, word: str, msg: str) -> tuple[int, str, str]:
    if word in NOT_NUMBERS:
        return pos, f"not valid JSON: `{word}` is not a JSON number", "give a number: JSON has no NaN or infinity"
    if word in _PYTHON:
        return pos, f"not valid JSON: `{word}` is not JSON", f"write `{_PYTHON[word]}`"
    shown = _cut(word)
    if msg.startswith("Expecting property name"):
        return pos, f"not valid JSON: the key `{shown}` is not in double quotes", f'write `"{shown}"`'
    return (
        pos,
        f"not valid JSON: `{shown}` is not a JSON value",
        f'write text in double quotes, `"{shown}"`; `true`, `false` and `null` are lower case',
    )


def _ended(doc: str, pos: int) -> tuple[int, str, str]:
    """The text ends where more was expected: nothing at all, or an object or list not closed."""
    if not doc.strip(_SPACE):
        return 0, "not valid JSON: there is nothing to read", "give a JSON object, e.g. `{}`"
    end = len(doc.rstrip(_SPACE))  # (just after the last character written)
    opened = _open(doc)
    closers = "".join(_CLOSER[c] for c in reversed(opened))
    if not closers:
        return end, "not valid JSON: it ends where a value was expected", _VALUES
    what = "an object" if opened[-1:] == "{" else "a list"
    return end, f"not valid JSON: it ends inside {what}", f"finish it and close it with `{closers}`"


def _trailing_comma(doc: str, pos: int) -> int | None:
    """Where the comma is when the reader stopped at one (Python 3.13) or at the `}`/`]` after it."""
    if doc[pos : pos + 1] == ",":
        after = _next_solid(doc, pos + 1)
        return pos if after in ("}", "]") else None
    if _next_solid(doc, pos) not in ("}", "]"):
        return None
    before = doc[:pos].rstrip(_SPACE)
    return len(before) - 1 if before.endswith(",") else None


def _next_solid(doc: str, start: int) -> str:
    rest = doc[start:].lstrip(_SPACE)
    return rest[:1]


def _outside_strings(text: str) -> Iterator[tuple[int, str]]:
    """Each character of ``text`` that is not inside a JSON string, with its place; a string's
    opening `"` is one (its place is where the string starts), its other characters are not."""
    in_string = escaped = False
    for i, c in enumerate(text):
        if not in_string:
            in_string = c == '"'
            yield i, c
        elif escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif c == '"':
            in_string = False


def _open(text: str) -> str:
    """The brackets open at the end of ``text``, outermost first (strings skipped)."""
    stack: list[str] = []
    for _, c in _outside_strings(text):
        if c in "{[":
            stack.append(c)
        elif c in "}]" and stack:
            stack.pop()
    return "".join(stack)


def _string_start(text: str) -> int:
    """Where the string open at the end of ``text`` starts (its `"`)."""
    return max((i for i, c in _outside_strings(text) if c == '"'), default=0)


def find_outside_strings(text: str, word: str) -> int:
    """Where ``word`` first stands outside a JSON string in ``text`` (0 when it does not)."""
    return next((i for i, c in _outside_strings(text) if c != '"' and text.startswith(word, i)), 0)


def _requote(rest: str) -> str:
    end = rest.find("'", 1)
    inner = rest[1:end] if end > 0 else ""
    if 0 < end <= SHOWN and '"' not in inner and "\\" not in inner:
        return f"write `{json.dumps(inner, ensure_ascii=False)}`"
    return "write `\"` for each `'`"


def _found(doc: str, pos: int) -> str:
    """What stands at ``pos``: a word or one character, cut short."""
    rest = doc[pos:]
    token = _TOKEN.match(rest)
    return _cut(token.group() if token else rest[:1])


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"
