"""Where in an input's JSON text a D004 problem is: the value its JSON pointer names, or, for an
input left out, the object that lacks it, and for an unknown input, its key.

Read only when an input has problems: the fast path never looks at positions. The text has
already been read as JSON (`engine.decisions.batch.read_json`), so the walk below only finds
places; anything it cannot find (a pointer into a value the text does not hold) is None, and the
problem keeps the place its caller gave.
"""

from __future__ import annotations

import json
from typing import Any

from engine.problems import Pos

# the phrases engine.decisions.inputs ends a pointer's message with, for an input left out and an
# unknown one (placed at the object that lacks it, and at the key)
MISSING = ": missing; this input is required"
UNKNOWN = ": not an input of this decision"
_SPACE = " \t\r\n"
_SKIP = json.JSONDecoder()  # (a value skipped whole: the text is known to be JSON)
# (the C string scanner json reads keys with; typeshed does not declare it)
_STRING: Any = getattr(json.decoder, "scanstring")  # noqa: B009


def place(
    text: str, message: str, where: Pos, prefix: tuple[str, ...] = (), renamed: dict[str, str] | None = None
) -> Pos:
    """The place of the problem ``message`` (a JSON pointer, a colon, what is wrong) in ``text``,
    which starts at ``where``'s line and column; ``where`` itself when the message names no place
    found in the text. ``prefix``: the path of the input inside ``text`` (a request's `input`);
    ``renamed``: the key an input has in ``text`` when not its own name (a table's `--map`)."""
    pointer, sep, _ = message.partition(": ")
    if not sep or not pointer.startswith("/"):
        return where
    path = [] if pointer == "/" else [_unescape(p) for p in pointer[1:].split("/")]
    key = False
    if message.startswith(pointer + MISSING):
        path = path[:-1]  # the object that lacks it
    elif message.startswith(pointer + UNKNOWN):
        key = True
    if renamed and path:
        path[0] = renamed.get(path[0], path[0])
    try:
        offset = _find(text, [*prefix, *path], key)
    except (ValueError, IndexError):  # (a backstop: the text was read as JSON before)
        offset = None
    if offset is None:
        return where
    line = text.count("\n", 0, offset)
    if not line:
        return Pos(where.file, where.line, where.col + offset)
    return Pos(where.file, where.line + line, offset - text.rfind("\n", 0, offset))


def _unescape(part: str) -> str:
    return part.replace("~1", "/").replace("~0", "~")


def _space(text: str, i: int) -> int:
    while i < len(text) and text[i] in _SPACE:
        i += 1
    return i


def _find(text: str, path: list[str], key: bool) -> int | None:
    """The offset of the value at ``path`` (``key``: of the last step's key) in the JSON ``text``."""
    i = _space(text, 0)
    if i < len(text) and text[i] == "\ufeff":
        i = _space(text, i + 1)
    for depth, step in enumerate(path):
        last = depth == len(path) - 1
        if text[i] == "{":
            i = _space(text, i + 1)
            found = None
            while text[i] != "}":
                at = i
                name, i = _STRING(text, i + 1)
                i = _space(text, _space(text, i) + 1)  # past the colon
                if name == step:
                    found = at if key and last else i
                    break
                i = _next(text, i, "}")
            if found is None:
                return None
            i = found
        elif text[i] == "[" and step.isdigit() and not key:
            i = _space(text, i + 1)
            for _ in range(int(step)):
                if text[i] == "]":
                    return None
                i = _next(text, i, "]")
            if text[i] == "]":
                return None
        else:
            return None
    return i


def _next(text: str, i: int, close: str) -> int:
    """Past the value at ``i`` and the comma after it: the next member's start, or ``close``'s."""
    _value: Any
    _value, i = _SKIP.raw_decode(text, i)
    i = _space(text, i)
    if text[i] == ",":
        i = _space(text, i + 1)
    return i
