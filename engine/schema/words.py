"""A JSON Schema in words: what a schema accepts as a noun phrase (`a date-time (...) or null`,
`an integer (at least 0)`, `an object with `sku` (a string)`), for messages that say what was
expected (engine.decisions.refusals). Schemas come from the sources: any size, any keywords; the
words stop after a few branches, keys and levels.
"""

from __future__ import annotations

import json
from typing import Any

from engine.model.dates import DATE_FORM, DATE_TIME_FORM

MAX_NAMED = 4
_MAX_DEPTH = 2

FORM_NAMES = {
    "date": f"a date ({DATE_FORM})",
    "date-time": f"a date-time ({DATE_TIME_FORM})",
    "time": "a time (HH:MM:SS with `Z` or an offset such as `+01:00`)",
    "email": "an email address",
    "idn-email": "an email address",
    "hostname": "a host name",
    "idn-hostname": "a host name",
    "ipv4": "an IPv4 address",
    "ipv6": "an IPv6 address",
    "uuid": "a UUID",
    "uri": "a URI",
    "uri-reference": "a URI reference",
    "iri": "an IRI",
    "iri-reference": "an IRI reference",
    "duration": "an ISO 8601 duration (such as `P3D`)",
    "regex": "a regular expression",
    "json-pointer": "a JSON pointer",
    "relative-json-pointer": "a relative JSON pointer",
    "uri-template": "a URI template",
}
FORM_EXAMPLES = {
    "date": '"2026-03-01"',
    "date-time": '"2026-03-01T09:30:00+01:00"',
    "time": '"09:30:00+01:00"',
    "email": '"name@example.com"',
    "ipv4": '"192.0.2.1"',
    "ipv6": '"2001:db8::1"',
    "uuid": '"123e4567-e89b-12d3-a456-426614174000"',
}
_TYPE_NOUNS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
    "object": "an object",
    "array": "an array",
}


def listed(words: list[str], last: str = "or") -> str:
    """`a`, `a or b`, `a, b or c` (``last``: the word before the last)."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def compact(value: Any) -> str:
    """A value of a schema as JSON, cut after 60 characters."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def noun(schema: Any, depth: int = 0) -> str:
    """What ``schema`` accepts, as a noun phrase: `a date-time (...)`, `null`, `an integer (at
    least 0)`, `an object with `sku` (a string)`, `one of `"a"`, `"b"``."""
    if schema is True or schema == {}:
        return "any value"
    if schema is False:
        return "no value"
    if not isinstance(schema, dict):
        return "a value"
    if "const" in schema:
        return f"`{compact(schema['const'])}`"
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        shown = [f"`{compact(o)}`" for o in schema["enum"][:MAX_NAMED]]
        more = len(schema["enum"]) - MAX_NAMED
        return shown[0] if len(shown) == 1 else "one of " + ", ".join(shown) + (f" and {more} more" if more > 0 else "")
    parts = schema.get("allOf")
    if isinstance(parts, list) and depth < _MAX_DEPTH and all(isinstance(p, dict) for p in parts):
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in parts:
            if set(part) & set(merged):
                break  # (a keyword twice: not said as one schema)
            merged.update(part)
        else:
            return noun(merged, depth + 1)
    if "if" in schema and ("then" in schema or "else" in schema) and depth < _MAX_DEPTH:
        rest = {k: v for k, v in schema.items() if k not in ("if", "then", "else")}
        then, other = (
            {**rest, **schema.get(k, {})} if isinstance(schema.get(k, {}), dict) else schema[k]
            for k in ("then", "else")
        )
        return f"{noun(then, depth + 1)} if it is {noun(schema['if'], depth + 1)}, else {noun(other, depth + 1)}"
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches and depth < _MAX_DEPTH and "type" not in schema:
            return listed(branches_nouns(branches, depth + 1))
    types = schema.get("type")
    names = [types] if isinstance(types, str) else types if isinstance(types, list) else [_implied_type(schema)]
    words = [_typed_noun(str(name), schema, depth) for name in names if name]
    if words:
        return listed(words)
    if isinstance(schema.get("$ref"), str):
        return f"a value as `{schema['$ref']}` declares"
    if "not" in schema and depth < _MAX_DEPTH:
        return f"anything but {noun(schema['not'], depth + 1)}"
    return "a value of the form the decision's `inputs` declare"


def branches_nouns(branches: list[Any], depth: int = 0) -> list[str]:
    """Each branch's noun, once each (two branches said alike are one), the first few."""
    words: list[str] = []
    for branch in branches:
        word = noun(branch, depth)
        if word not in words:
            words.append(word)
    if len(words) > MAX_NAMED:
        words = [*words[:MAX_NAMED], f"{len(words) - MAX_NAMED} more forms"]
    return words


def _implied_type(schema: dict[str, Any]) -> str:
    """The type the keywords of a schema without `type` speak of (`format` of a text), or ""."""
    for keys, name in (
        (("format", "pattern", "minLength", "maxLength"), "string"),
        (("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"), "number"),
        (("properties", "required", "additionalProperties", "minProperties", "maxProperties"), "object"),
        (("items", "prefixItems", "minItems", "maxItems", "contains", "uniqueItems"), "array"),
    ):
        if any(k in schema for k in keys):
            return name
    return ""


def _typed_noun(name: str, schema: dict[str, Any], depth: int) -> str:
    base = _TYPE_NOUNS.get(name, f"a value of type `{name}`")
    more: list[str] = []
    if name == "string":
        fmt = schema.get("format")
        if isinstance(fmt, str):
            base = FORM_NAMES.get(fmt, f"a string in the format `{fmt}`")
        more += _bounds(schema, "minLength", "maxLength", "characters")
        if isinstance(schema.get("pattern"), str):
            more.append(f"matching `{schema['pattern']}`")
    elif name in ("integer", "number"):
        for key, word in (
            ("minimum", "at least"),
            ("exclusiveMinimum", "more than"),
            ("maximum", "at most"),
            ("exclusiveMaximum", "less than"),
            ("multipleOf", "a multiple of"),
        ):
            if key in schema:
                more.append(f"{word} {compact(schema[key])}")
    elif name == "object":
        required = schema.get("required")
        props: dict[str, Any] = schema["properties"] if isinstance(schema.get("properties"), dict) else {}
        if isinstance(required, list) and required:
            keys = [
                f"`{key}`" + (f" ({noun(props[key], depth + 1)})" if key in props and depth < _MAX_DEPTH else "")
                for key in required[:MAX_NAMED]
            ]
            base = f"an object with {listed(keys, 'and')}" + (" and more" if len(required) > MAX_NAMED else "")
        more += _bounds(schema, "minProperties", "maxProperties", "keys")
    elif name == "array":
        items = schema.get("items")
        if isinstance(items, dict) and items and depth < _MAX_DEPTH:
            more.append(f"each item {noun(items, depth + 1)}")
        more += _bounds(schema, "minItems", "maxItems", "items")
        if schema.get("uniqueItems") is True:
            more.append("no item twice")
    return f"{base} ({', '.join(more)})" if more else base


def _bounds(schema: dict[str, Any], low: str, high: str, unit: str) -> list[str]:
    said = []
    if low in schema:
        said.append(f"at least {count(schema[low], unit)}")
    if high in schema:
        said.append(f"at most {count(schema[high], unit)}")
    return said


def count(n: Any, unit: str) -> str:
    """`1 item`, `2 items` (``unit``: the plural)."""
    return f"{compact(n)} {unit[:-1] if n == 1 else unit}"
