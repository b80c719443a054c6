"""JSON's types and equality as plain predicates: the small runtime every schema check shares.

Generated validators (engine/schema/_compiled.py, and those compiled at run time by
engine.schema.codegen) import these, never their generator; engine.schema.fastcheck and
engine.decisions.inputs use the same ones. JSON's rules, not Python's: a boolean is not a number,
`1 == 1.0`, and `true` never equals `1`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeGuard

from engine.model.dates import parse_date

_RE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def declared_types(schema: object) -> list[str]:
    """The JSON types a schema's `type` names, `"integer"` and `["integer", "null"]` alike; [] when
    it names none (or ``schema`` is no mapping)."""
    kinds = schema.get("type") if isinstance(schema, dict) else None
    return (
        [kinds]
        if isinstance(kinds, str)
        else [k for k in kinds if isinstance(k, str)]
        if isinstance(kinds, list)
        else []
    )


def is_number(v: object) -> TypeGuard[int | float]:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def is_integer(v: object) -> TypeGuard[int | float]:  # 1.0 is an integer too
    if isinstance(v, bool):
        return False
    return isinstance(v, int) or (isinstance(v, float) and v.is_integer())


def is_date(v: str) -> bool:
    """`format: date`: the one date form of engine.model.dates (YYYY-MM-DD, a real calendar day)."""
    try:
        parse_date(v)
    except ValueError:
        return False
    return True


# `format: uri`, certainly: an absolute URI of RFC 3986 with `//`, a registered name for its host
# (no IP literal, no user part), an optional port, path, query and fragment, in the ASCII characters
# RFC 3986 allows there (percent escapes with two hex digits). jsonschema's `uri` checker, when one
# of its optional packages is installed (rfc3987, or else rfc3986-validator), accepts every such
# text; without either it checks nothing. So a text matching this pattern is valid under
# jsonschema in any environment, and any other text is left to jsonschema (generated validators
# may be stricter, never looser). Written without `$` (which matches before a final newline):
# generated code calls `fullmatch`.
_URI_CHAR = r"A-Za-z0-9\-._~!$&'()*+,;="  # unreserved and sub-delims
_URI_PCT = r"%[0-9A-Fa-f]{2}"
URI_PATTERN = (
    rf"[A-Za-z][A-Za-z0-9+\-.]*://(?:[{_URI_CHAR}]|{_URI_PCT})+(?::[0-9]*)?"
    rf"(?:/(?:[{_URI_CHAR}:@]|{_URI_PCT})*)*"
    rf"(?:\?(?:[{_URI_CHAR}:@/?]|{_URI_PCT})*)?"
    rf"(?:#(?:[{_URI_CHAR}:@/?]|{_URI_PCT})*)?"
)


# policyctl's own formats (engine.model.policy.SHOWN_FORMATS but `date` and `date-time`): how pages
# show a value. jsonschema has no checker for them (its FormatChecker passes any value of a format it
# has no checker for, and none of its drafts defines these names), so to it they are annotations, and
# the generated checks treat them so too (a test holds this set to SHOWN_FORMATS and to jsonschema).
ANNOTATION_FORMATS = frozenset(
    (
        "money",
        "percent",
        *(f"duration-{unit}" for unit in ("second", "minute", "hour", "day", "week", "month", "year")),
    )
)


class _Bool:
    """Stands for a bool inside comparisons, so `true` never equals `1` (as in jsonschema)."""

    __slots__ = ("value",)

    def __init__(self, value: bool) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Bool) and other.value == self.value

    def __hash__(self) -> int:
        return hash(("bool", self.value))


def equal(a: object, b: object) -> bool:
    """JSON equality: booleans are not numbers, 1 == 1.0, containers compared deeply."""
    if a is b:
        return True
    if isinstance(a, str) or isinstance(b, str):
        return bool(a == b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, dict)) or isinstance(b, (list, dict)):
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


def in_options(v: object, options: tuple[object, ...]) -> bool:
    return any(equal(v, o) for o in options)


def unique(items: Sequence[object]) -> bool:
    if all(type(i) is str for i in items):
        return len(set(items)) == len(items)
    return all(not equal(items[i], items[j]) for i in range(len(items)) for j in range(i + 1, len(items)))


def is_string(v: object) -> bool:
    return isinstance(v, str)


def is_boolean(v: object) -> bool:
    return isinstance(v, bool)


def is_null(v: object) -> bool:
    return v is None


def is_object(v: object) -> bool:
    return isinstance(v, dict)


def is_array(v: object) -> bool:
    return isinstance(v, (list, tuple))


JSON_TYPES: dict[str, Callable[[object], bool]] = {
    "string": is_string,
    "boolean": is_boolean,
    "null": is_null,
    "number": is_number,
    "integer": is_integer,
    "object": is_object,
    "array": is_array,
}
