"""JSON Schema checks of whole documents, each error mapped to the node's `file:line:col`.

The file-kind schemas live in ``schemas/`` (Draft 2020-12) and are the format's definition; an
installed engine carries them (engine.packaged).
``jsonschema`` is imported only when a schema must actually be evaluated; ``engine.schema.fastcheck``
may answer "valid" first without it (see there).
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable, Iterable
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from engine import packaged
from engine.model.dates import format_checker
from engine.problems import Problem
from engine.schema import (
    fastcheck,  # light (json, os, re); an import inside the checks cost ~2 µs per value
)
from engine.source.loader import Document, Path

if TYPE_CHECKING:  # jsonschema and referencing are imported only when a schema must be evaluated
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

KINDS = ("marketplaces", "program", "overlay", "decision", "tests", "pages")


def schema_path(kind: str) -> str:
    return os.path.join(packaged.schema_dir(), f"{kind}.schema.json")


@cache
def raw_schema(kind: str) -> dict[str, Any]:
    with open(schema_path(kind), encoding="utf-8") as f:
        schema: dict[str, Any] = json.load(f)
    return schema


@cache
def _registry() -> Registry[Any]:  # schemas are arbitrary JSON
    from referencing import Registry, Resource

    resources = []
    folder = packaged.schema_dir()
    for name in sorted(os.listdir(folder)):
        if name.endswith(".schema.json"):
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                contents = json.load(f)
            resource = Resource.from_contents(contents)
            resources.append((name, resource))
            resources.append((contents["$id"], resource))
    return Registry().with_resources(resources)


@cache
def validator(kind: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(raw_schema(kind), registry=_registry(), format_checker=format_checker())


@lru_cache(maxsize=256)
def _value_validator(schema_json: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(schema_json), format_checker=format_checker())


def check_document(doc: Document, kind: str) -> list[Problem]:
    """All schema problems of one document of the given kind."""
    if fastcheck.is_valid(kind, doc.data):
        return []
    return errors_to_problems(doc, (), validator(kind).iter_errors(doc.data))


def check_value(doc: Document, path: Path, value: Any, schema: dict[str, Any], what: str) -> list[Problem]:
    """Check one value (a parameter value, a test input) against a schema written by an author."""
    if fastcheck.value_is_valid(schema, value):
        return []
    key = json.dumps(schema, sort_keys=True)
    errors = _value_validator(key).iter_errors(value)
    return errors_to_problems(doc, path, errors, code="P003", what=what)


def schema_problems(schema: dict[str, Any]) -> list[str]:
    """Messages for a schema that is itself invalid (an author's parameter schema)."""
    if fastcheck.schema_is_valid(schema):
        return []
    from jsonschema import Draft202012Validator

    return [e.message for e in Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(schema)]


def errors_to_problems(
    doc: Document, base: Path, errors: Iterable[ValidationError], code: str = "S001", what: str = ""
) -> list[Problem]:
    problems = []
    for error in errors:
        for leaf in _leaves(error):
            problems.append(_problem(doc, base, leaf, code, what))
    unique = {(p.line, p.col, p.message): p for p in problems}
    return sorted(unique.values(), key=Problem.sort_key)


def _leaves(error: ValidationError) -> list[ValidationError]:
    """For anyOf/oneOf, the errors of the branch that got furthest, not the summary."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        from jsonschema.exceptions import best_match

        return [best_match(error.context)]
    return [error]


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


_JSON_TYPES = {
    dict: "mapping",
    list: "list",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}


# `error` is a ValidationError (see _describe)
def _problem(doc: Document, base: Path, error: Any, code: str, what: str) -> Problem:
    path: Path = base + tuple(error.absolute_path)
    where = _pointer(path)
    prefix = f"{what} " if what else ""
    validator, expected = error.validator, error.validator_value
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(expected)
        pos = doc.key_pos(path) if path else doc.pos(path)
        return Problem.at(pos, code, f"{prefix}{where}: missing required key `{missing}`", f"add `{missing}:` here")
    if validator in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        allowed = sorted((error.schema.get("properties") or {}).keys())
        extra = [k for k in error.instance if k not in allowed]
        key = extra[0] if extra else "?"
        close = difflib.get_close_matches(key, allowed, n=1)
        hint = (
            f"did you mean `{close[0]}`?"
            if close
            else (f"allowed keys here: {', '.join(allowed)}" if allowed else "remove it")
        )
        return Problem.at(doc.key_pos(path + (key,)), code, f"{prefix}{where}: unexpected key `{key}`", hint)
    pos = doc.pos(path)
    got = _JSON_TYPES.get(type(error.instance), type(error.instance).__name__)
    if validator == "type":
        want = " or ".join(expected) if isinstance(expected, list) else expected
        return Problem.at(
            pos,
            code,
            f"{prefix}{where}: expected {want}, got {got} `{_shown(error.instance)}`",
            _type_hint(want, error.instance),
        )
    if validator == "enum":
        options = ", ".join(_shown(v) for v in expected)
        close = difflib.get_close_matches(str(error.instance), [str(v) for v in expected], n=1)
        hint = f"did you mean {close[0]}?" if close else f"use one of: {options}"
        return Problem.at(pos, code, f"{prefix}{where}: `{_shown(error.instance)}` is not one of {options}", hint)
    if validator == "const":
        return Problem.at(
            pos,
            code,
            f"{prefix}{where}: expected `{_shown(expected)}`, got `{_shown(error.instance)}`",
            f"write `{_shown(expected)}`",
        )
    if validator == "pattern" and "a-z" in str(expected) and "_" in str(expected):
        return Problem.at(
            pos,
            code,
            f"{prefix}{where}: `{_shown(error.instance)}` is not a valid id",
            "ids use lowercase letters, digits and underscores, and start with a letter",
        )
    if (validator == "format" and expected == "date") or (validator == "pattern" and "[0-9]{4}" in str(expected)):
        return Problem.at(
            pos,
            code,
            f"{prefix}{where}: `{_shown(error.instance)}` is not a date",
            'write an ISO date in quotes, e.g. "2024-03-01"',
        )
    hints = {
        "minimum": f"use a value of at least {expected}",
        "exclusiveMinimum": f"use a value above {expected}",
        "maximum": f"use a value of at most {expected}",
        "exclusiveMaximum": f"use a value below {expected}",
        "minItems": f"give at least {expected} item(s)",
        "maxItems": f"give at most {expected} item(s)",
        "uniqueItems": "remove the repeated item",
        "minLength": "the value must not be empty",
        "minProperties": "give at least one entry",
        "pattern": f"the value must match `{expected}`",
    }
    message = error.message.replace("'", "`") if validator not in hints else _describe(error)
    return Problem.at(pos, code, f"{prefix}{where}: {message}", hints.get(validator, "see `policyctl schema`"))


# `error` is a ValidationError, typed Any here: its stubs type each field `| Unset` (and `validator` is None for
# a `false` schema), which iter_errors never leaves unset; narrowing each read would change the code, not the types
def _describe(error: Any) -> str:
    v, x, inst = error.validator, error.validator_value, error.instance
    size = len(inst) if isinstance(inst, (list, dict, str)) else 0
    messages: dict[str, Callable[[], str]] = {
        "minimum": lambda: f"{_shown(inst)} is less than the minimum {x}",
        "exclusiveMinimum": lambda: f"{_shown(inst)} must be greater than {x}",
        "maximum": lambda: f"{_shown(inst)} is more than the maximum {x}",
        "exclusiveMaximum": lambda: f"{_shown(inst)} must be less than {x}",
        "minItems": lambda: f"a list of {size} item(s), expected at least {x}",
        "maxItems": lambda: f"a list of {size} item(s), expected at most {x}",
        "uniqueItems": lambda: "the list has a repeated item",
        "minLength": lambda: "expected a non-empty string",
        "minProperties": lambda: "expected a non-empty mapping",
        "pattern": lambda: f"`{_shown(inst)}` does not match `{x}`",
    }
    make = messages.get(v)
    return make() if make else str(error.message)


def _type_hint(want: str, instance: Any) -> str:
    if want in ("integer", "number") and isinstance(instance, str):
        return "write the number without quotes"
    if (want == "string" and isinstance(instance, (bool, int, float))) or (want == "string" and instance is None):
        return "quote the value to make it a string"
    if want in ("object", "mapping"):
        return "write `key: value` lines indented under this key"
    if want == "array":
        return "write a list: `- item` lines, or `[a, b]`"
    return f"write a value of type {want}"


def _pointer(path: Path) -> str:
    if not path:
        return "the document"
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)
