"""JSON Schema in words, one wording for every message about a value and its schema: S001 and
P003 about a policy file's value (engine.schema.check), D004 about a refused input
(engine.decisions.inputs) and D003 about a row's output.

``noun``: what a schema accepts, as a noun phrase (`a date-time (...) or null`, `an integer (at
least 0)`, `an object with `sku` (a string)`). ``said``: what a value gets wrong against a keyword,
for every keyword JSON Schema (2020-12) checks a value with (and words of its own for one it does
not know): what was expected and what came, each value as JSON (`"x"`, `null`, `true`), never as
Python writes it (`'x'`, `None`, `True`) and never in jsonschema's own words, which are Python's.
Schemas come from the sources: any size, any keywords; the words stop after a few branches, keys
and levels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
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
    "idn-email": '"name@example.com"',
    "hostname": '"example.com"',
    "idn-hostname": '"example.com"',
    "uri": '"https://example.com/help"',
    "uri-reference": '"/help#returns"',
    "iri": '"https://example.com/help"',
    "iri-reference": '"/help#returns"',
    "uri-template": '"https://example.com/orders/{id}"',
    "duration": '"P3D"',
    "regex": '"^[A-Z]{2}$"',
    "json-pointer": '"/items/0"',
    "relative-json-pointer": '"1/name"',
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


# A key a caller adds to its copy of one of policyctl's own schemas to have it said by what it
# means (engine.schema.check: an id, not its pattern as a regex). Never in an author's schema that
# is used: a key JSON Schema does not know is P009 there; an author's pattern is theirs, quoted.
SAID_AS = "x-policyctl-said-as"


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
    return "a value of the form its schema declares"


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
    if isinstance(schema.get(SAID_AS), str):
        return str(schema[SAID_AS])
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


# --- what a value gets wrong against a schema --------------------------------------------------------------------------------------


def json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    for types, name in ((float, "number"), (str, "string"), (dict, "object"), ((list, tuple), "array")):
        if isinstance(value, types):
            return name
    return "null" if value is None else "value"  # (never a Python type's name)


def iscompact(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        return False
    return True


def show(value: Any) -> str:
    """``value`` as JSON, in backticks, cut after 60 characters; a value JSON has no form for
    (given by a Python caller: a `datetime.date`, a set, bytes) is said to be one, never shown as
    Python writes it."""
    if not iscompact(value):
        return "a value that is not JSON"
    text = json.dumps(value, ensure_ascii=False)
    return f"`{text if len(text) <= 60 else text[:57] + '...'}`"


def got(value: Any) -> str:
    """`got string `"x"``: the kind and the value."""
    return f"got {json_kind(value)} {show(value)}" if iscompact(value) else f"got {show(value)}"


# --- the keywords JSON Schema checks a value with ---------------------------------------------


def phrase(keyword: str, expected: Any, value: Any) -> str:
    """What a value ``value`` failing ``keyword`` (whose value is ``expected``) gets wrong, for the
    keywords a property's own schema checks (engine.decisions.inputs' simple checks say these)."""
    shown = {
        "type": lambda: f"expected {' or '.join(expected) if isinstance(expected, list) else expected}, {got(value)}",
        "enum": lambda: f"expected one of {', '.join(f'`{compact(o)}`' for o in expected)}, got {show(value)}",
        "const": lambda: f"expected `{compact(expected)}`, got {show(value)}",
        "minimum": lambda: f"expected at least {expected}, got {show(value)}",
        "maximum": lambda: f"expected at most {expected}, got {show(value)}",
        "exclusiveMinimum": lambda: f"expected more than {expected}, got {show(value)}",
        "exclusiveMaximum": lambda: f"expected less than {expected}, got {show(value)}",
        "minLength": lambda: f"expected at least {expected} characters, got {show(value)}",
        "maxLength": lambda: f"expected at most {expected} characters, got {show(value)}",
        "pattern": lambda: f"expected text matching `{expected}`, got {show(value)}",
        "format": lambda: f"expected {FORM_NAMES.get(expected, f'the format `{expected}`')}, got {show(value)}",
        "multipleOf": lambda: f"expected a multiple of {compact(expected)}, got {show(value)}",
    }.get(keyword)
    return shown() if shown else f"does not fit the schema's `{keyword}`, {got(value)}"


def format_hint(fmt: Any) -> str:
    example = FORM_EXAMPLES.get(fmt) if isinstance(fmt, str) else None
    return f"write it like `{example}`" if example else ""


# `error` is a jsonschema ValidationError, typed Any: its stubs type each field `| Unset` (and
# `validator` is None for a `false` schema), which iter_errors never leaves unset;
# ``fits(schema, value)`` says whether a value fits a part of the schema the error comes from
Fits = Callable[[Any, Any], bool]


def fits_of(checker: Any) -> Fits:
    """``Fits`` for a jsonschema validator ``checker``: whether a value fits a part of its schema
    (the words count the branches of a `oneOf` a value fits, the items a `contains` holds; S001,
    P003 and D004 alike). A part whose `$ref` does not resolve on its own fits nothing: no count
    rather than no message."""

    def fits(schema: Any, value: Any) -> bool:
        from referencing.exceptions import Unresolvable

        try:
            return bool(checker.evolve(schema=schema).is_valid(value))
        except Unresolvable:
            return False

    return fits


def said(error: Any, fits: Fits, verb: str = "write", owner: str = "the schema's") -> tuple[str, str]:
    """What ``error`` says, in words (the message after its pointer), and its hint ("" for the
    caller's own). ``verb`` is what a hint asks to do with a value (a file's is written, an input
    sent: engine.decisions.refusals), ``owner`` whose `oneOf` it is."""
    v, x, inst = error.validator, error.validator_value, error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    if of_a_key(list(error.absolute_schema_path)) and isinstance(inst, str):
        # (the key's own check: the pointer names the object; the key is said)
        text, _ = said_value(v, x, inst, schema, error, fits, verb, owner)
        return f"the key `{compact(inst)}`: {text.removesuffix(f', got {show(inst)}')}", "rename the key"
    return said_value(v, x, inst, schema, error, fits, verb, owner)


def said_value(
    v: Any,
    x: Any,
    inst: Any,
    schema: dict[str, Any],
    error: Any,
    fits: Fits,
    verb: str = "write",
    owner: str = "the schema's",
) -> tuple[str, str]:
    if v in ("anyOf", "oneOf"):
        return _branches(v, x, inst, error, fits, verb, owner)
    if v == "format":
        return phrase(v, x, inst), format_hint(x)
    if v == "not":
        return f"expected anything but {noun(x)}, {got(inst)}", f"{verb} a value that is not {noun(x)}"
    if v == "required" and isinstance(inst, dict) and isinstance(x, list):
        missing = [f"`{k}`" for k in x if k not in inst]
        return (
            f"missing the key{'s' if len(missing) > 1 else ''} {listed(missing, 'and')}",
            f"add {listed(missing, 'and')}",
        )
    if v == "dependentRequired" and isinstance(inst, dict) and isinstance(x, dict):
        pairs = [(key, need) for key, needs in x.items() if key in inst for need in needs if need not in inst]
        if pairs:
            key, need = pairs[0]
            return (
                f"missing the key `{need}`, which is required when `{key}` is given",
                f"add `{need}`, or leave out `{key}`",
            )
    if v in ("additionalProperties", "unevaluatedProperties") and isinstance(inst, dict):
        return _unexpected_keys(inst, schema)
    if v == "uniqueItems" and isinstance(inst, (list, tuple)):
        twice = [a for i, a in enumerate(inst) if any(_same(a, b) for b in inst[:i])]
        which = show(twice[0]) if twice else "an item"  # (JSON Schema's equality: `1` and `1.0` are one)
        return f"expected no item twice, {got(inst)}, which holds {which} twice", f"remove the repeated {which}"
    if v in ("minItems", "maxItems", "minProperties", "maxProperties") and isinstance(inst, (list, tuple, dict)):
        unit = "keys" if v.endswith("Properties") else "items"
        bound = "at least" if v.startswith("min") else "at most"
        return f"expected {bound} {count(x, unit)}, {got(inst)}", ""
    if v in ("contains", "minContains", "maxContains") and isinstance(inst, (list, tuple)) and "contains" in schema:
        return _contains(schema["contains"], inst, schema, fits)
    if v in ("items", "unevaluatedItems") and x is False and isinstance(inst, (list, tuple)):
        allowed = len(schema.get("prefixItems", [])) if v == "items" else None
        if allowed is not None:
            return (
                f"expected at most {count(allowed, 'items')}, {got(inst)}",
                f"{verb} {count(allowed, 'items')} or fewer",
            )
        return f"expected no more items, {got(inst)}", "remove the items the schema does not declare"
    if v is None:  # a `false` schema: nothing is allowed here
        return f"expected no value here, {got(inst)}", "leave it out"
    return phrase(str(v), x, inst), ""


def false_step(error: Any, inputs: Any, root: Any) -> list[Any]:
    """The key or index a `false` subschema of `properties` or `prefixItems` refuses: jsonschema
    (4.x) says its error at the object or array that holds the value, without the step to it.
    [] for any other error, or when the holding schema is reached through a reference."""
    steps = list(error.absolute_schema_path)
    if error.validator is not None or not steps or steps[-1] not in ("properties", "prefixItems"):
        return []
    try:
        holder, container = root, inputs
        for step in steps[:-1]:
            holder = holder[step]
        for step in error.absolute_path:
            container = container[step]
        subs = holder[steps[-1]]
    except (KeyError, IndexError, TypeError):
        return []
    if isinstance(subs, dict) and isinstance(container, dict):
        return next(([k] for k, sub in subs.items() if sub is False and k in container), [])
    if isinstance(subs, list) and isinstance(container, (list, tuple)):
        return next(([i] for i, sub in enumerate(subs) if sub is False and i < len(container)), [])
    return []


def _branches(v: str, x: Any, inst: Any, error: Any, fits: Fits, verb: str, owner: str) -> tuple[str, str]:
    """An anyOf/oneOf: what its branches accept, in words; the detail of the branch whose type the
    value has (``closest_branch``); for a oneOf the value
    fits several branches of, which."""
    branches = x if isinstance(x, list) else []
    words = branches_nouns(branches)
    if v == "oneOf" and not error.context:  # (none failed: several fit)
        matched = [noun(b) for b in branches if fits(b, inst)]
        if len(matched) == len(branches):
            which = "which is each of them"
        elif len(set(matched)) == len(matched):
            which = f"which is {listed(matched, 'and')}"
        else:
            which = f"which is {len(matched)} of them"
        forms = listed(words) if len(words) == len(branches) else f"{len(branches)} forms ({listed(words, 'and')})"
        return (
            f"expected exactly one of {forms}, {got(inst)}, {which}",
            f"{verb} a value that fits only one of them ({owner} `oneOf` takes one, not several)",
        )
    text = f"expected {listed(words)}, {got(inst)}"
    if not error.context:
        return text, ""
    leaf, typed = closest_branch(error)
    if not typed:
        return text, ""
    detail, hint = said(leaf, fits, verb, owner)
    below = list(leaf.absolute_path)[len(error.absolute_path) :]
    if below:  # (inside the value: where, and what)
        where = "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in below)
        return f"{text}; at `{where}` in it: {detail}", hint
    if leaf.validator in _IN_NOUNS:  # (the branch's noun says it already; its hint, only of its form)
        return text, hint if leaf.validator == "format" else ""
    return f"{text}; {detail}", hint


def closest_branch(error: Any) -> tuple[Any, bool]:
    """The error that best says why the value fits none of an anyOf/oneOf's branches (``error``,
    with its ``context``): the best of those of the branches whose type the value has, when there
    are some (then True), else the best of all. S001, P003 (engine.schema.check) and D004 say the
    branch each the same way."""
    from jsonschema.exceptions import best_match

    branches: dict[object, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0] if sub.relative_schema_path else None, []).append(sub)
    typed = [
        sub
        for subs in branches.values()
        if not any(s.validator == "type" and not s.relative_path for s in subs)
        for sub in subs
    ]
    best = best_match(typed or error.context)
    return (error, False) if best is None else (best, bool(typed))


# the keywords ``noun`` says: a branch failing one of them at the value itself needs no detail
_IN_NOUNS = frozenset(
    {
        "type",
        "format",
        "enum",
        "const",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "required",
        "minProperties",
        "maxProperties",
        "minItems",
        "maxItems",
        "uniqueItems",
    }
)
_HOLDERS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})


def of_a_key(schema_path: list[Any]) -> bool:
    """Whether an error's schema path goes through `propertyNames` (the check of each key), not
    through a property of that name."""
    return any(
        step == "propertyNames" and (i == 0 or schema_path[i - 1] not in _HOLDERS) for i, step in enumerate(schema_path)
    )


def _unexpected_keys(inst: dict[str, Any], schema: dict[str, Any]) -> tuple[str, str]:
    props: dict[str, Any] = schema["properties"] if isinstance(schema.get("properties"), dict) else {}
    patterns: dict[str, Any] = schema["patternProperties"] if isinstance(schema.get("patternProperties"), dict) else {}
    extra = [k for k in inst if k not in props and not any(_searches(p, k) for p in patterns)]
    extra = extra or list(inst)
    keys = [f"`{k}`" for k in extra[:MAX_NAMED]]
    allowed = f" (keys: {', '.join(f'`{k}`' for k in list(props)[: MAX_NAMED * 2])})" if props else ""
    return (
        f"unexpected key{'s' if len(extra) > 1 else ''} {listed(keys, 'and')}{allowed}",
        f"remove {listed(keys, 'and')}",
    )


def _contains(x: Any, inst: list[Any] | tuple[Any, ...], schema: dict[str, Any], fits: Fits) -> tuple[str, str]:
    low, high = schema.get("minContains", 1), schema.get("maxContains")
    held = sum(1 for item in inst if fits(x, item))
    what = noun(x)
    if isinstance(high, (int, float)) and held > high:
        return (
            f"expected at most {count(high, 'items')} {_that(high)} {what}, {got(inst)}, which holds {held}",
            f"remove {held - high} of them",
        )
    return f"expected at least {count(low, 'items')} {_that(low)} {what}, {got(inst)}", f"add an item that is {what}"


def _that(n: Any) -> str:
    return "that is" if n == 1 else "that are"


def _searches(pattern: Any, key: str) -> bool:
    try:
        return re.search(pattern, key) is not None
    except (re.error, TypeError):
        return False


def _same(a: Any, b: Any) -> bool:
    """JSON equality: `true` is not `1`."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)
