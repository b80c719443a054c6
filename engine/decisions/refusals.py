"""What a refused input gets wrong, in words: the D004 messages and hints of engine.decisions.inputs.

A message says what was expected and what came, each value as JSON (`"x"`, `null`, `true`), never
as Python writes it (`'x'`, `None`, `True`), and never in jsonschema's own words, which are
Python's: every keyword JSON Schema (2020-12) checks a value with is said here, and one this module
does not know still gets words of its own. Read only for inputs that are refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from engine.schema.words import FORM_EXAMPLES, FORM_NAMES, MAX_NAMED, branches_nouns, compact, count, listed, noun

# a value's description stops after this many branches, keys or levels (a schema may be large)
DEFAULT_HINT = "see the decision's `inputs`"


class Refusal(str):
    """A D004 message (a JSON pointer, a colon, what is wrong) with the hint that goes with it
    (``hint``: empty for the caller's own). A str, so every caller that reads messages as text
    (the tables' columns, the places in a JSON text) reads it unchanged."""

    hint: str

    def __new__(cls, text: str, hint: str = "") -> Refusal:
        made = super().__new__(cls, text)
        made.hint = hint
        return made


def hint_of(message: str, default: str) -> str:
    """The hint of a D004 message: its own (a ``Refusal``'s), else ``default``."""
    return getattr(message, "hint", "") or default


# --- values --------------------------------------------------------------------------------------


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


# `error` is a jsonschema ValidationError (typed Any: see engine.schema.check._describe);
# ``fits(schema, value)`` says whether a value fits a part of the schema the error comes from
Fits = Callable[[Any, Any], bool]


def said(error: Any, fits: Fits) -> tuple[str, str]:
    """What ``error`` says, in words (the message after its pointer), and its hint ("" for the
    caller's own)."""
    v, x, inst = error.validator, error.validator_value, error.instance
    schema = error.schema if isinstance(error.schema, dict) else {}
    if _of_a_key(list(error.absolute_schema_path)) and isinstance(inst, str):
        # (the key's own check: the pointer names the object; the key is said)
        text, _ = said_value(v, x, inst, schema, error, fits)
        return f"the key `{compact(inst)}`: {text.removesuffix(f', got {show(inst)}')}", "rename the key"
    return said_value(v, x, inst, schema, error, fits)


def said_value(v: Any, x: Any, inst: Any, schema: dict[str, Any], error: Any, fits: Fits) -> tuple[str, str]:
    if v in ("anyOf", "oneOf"):
        return _branches(v, x, inst, error, fits)
    if v == "format":
        return phrase(v, x, inst), format_hint(x)
    if v == "not":
        return f"expected anything but {noun(x)}, {got(inst)}", f"send a value that is not {noun(x)}"
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
                f"send {count(allowed, 'items')} or fewer",
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


def _branches(v: str, x: Any, inst: Any, error: Any, fits: Fits) -> tuple[str, str]:
    """An anyOf/oneOf: what its branches accept, in words; the detail of the branch whose type the
    value has (engine.schema.check.closest_branch, as S001 and P003 say it); for a oneOf the value
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
            "send a value that fits only one of them (the decision's `oneOf` takes one, not several)",
        )
    text = f"expected {listed(words)}, {got(inst)}"
    if not error.context:
        return text, ""
    from engine.schema.check import closest_branch

    leaf, typed = closest_branch(error)
    if not typed:
        return text, ""
    detail, hint = said(leaf, fits)
    below = list(leaf.absolute_path)[len(error.absolute_path) :]
    if below:  # (inside the value: where, and what)
        where = "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in below)
        return f"{text}; at `{where}` in it: {detail}", hint
    if leaf.validator in _IN_NOUNS:  # (the branch's noun says it already; its hint, only of its form)
        return text, hint if leaf.validator == "format" else ""
    return f"{text}; {detail}", hint


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


def _of_a_key(schema_path: list[Any]) -> bool:
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
