"""Fast path for schema checks: answer "valid" without importing jsonschema.

jsonschema costs ~100 ms to import and ~1 ms per document; pre-commit hooks mostly see valid
files. Validators compiled to Python (``engine.schema.codegen``) answer the common case; only a
document they reject is handed to jsonschema, which explains the failure with positions. So every
answer here is "certainly valid" (True) or "ask jsonschema" (False), never "invalid".

- file kinds: compiled ahead of time into ``engine/schema/_compiled.py`` (a test keeps it current);
- authors' schemas (parameter values, decision inputs): compiled on first use, cached per schema;
  a schema using a keyword the compiler does not translate goes to jsonschema every time;
- authors' schemas themselves: ``schema_is_valid`` accepts the common shapes the 2020-12
  metaschema allows, without evaluating the metaschema;
- locale ids: ``known_locale`` finds CLDR's data file for a plain tag without importing Babel.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import Any

from engine.schema.predicates import ANNOTATION_FORMATS, JSON_TYPES, is_integer, is_number

_validators: dict[str, Callable[[Any], bool]] | None = None


def is_valid(kind: str, data: Any) -> bool:
    global _validators
    if _validators is None:
        from engine.schema import _compiled as _compiled_schemas
        from engine.schema import codegen as schemacode

        current = schemacode.fingerprint() == _compiled_schemas.SCHEMAS_CHECKSUM
        _validators = _compiled_schemas.VALIDATORS if current else schemacode.load(schemacode.generate())
    fn = _validators.get(kind)
    return fn is not None and fn(data)


# Authors' schemas are dicts from loaded documents and are never mutated, so they are cached by
# identity (keeping a reference, so the id cannot be reused), then by content.
_by_id: dict[int, tuple[Any, Callable[[Any], bool] | None]] = {}
_by_text: dict[str, Callable[[Any], bool] | None] = {}


def value_validator(schema: Any) -> Callable[[Any], bool] | None:
    hit = _by_id.get(id(schema))
    if hit is not None and hit[0] is schema:
        return hit[1]
    try:
        text = json.dumps(schema, sort_keys=True)
    except (TypeError, ValueError):
        return None
    if text in _by_text:
        fn = _by_text[text]
    else:
        fn = simple_validator(schema)
        if fn is None:
            from engine.schema.codegen import compile_value

            fn = compile_value(schema)
        _by_text[text] = fn
    _by_id[id(schema)] = (schema, fn)
    return fn


def value_is_valid(schema: Any, value: Any) -> bool:
    fn = value_validator(schema)
    return fn is not None and fn(value)


# --- authors' schemas against the 2020-12 metaschema ----------------------------------------------

_TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})


def _nonneg_int(v: Any) -> bool:
    return is_integer(v) and v >= 0


def _string_array_unique(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(s, str) for s in v) and len(set(v)) == len(v)


def _type_ok(v: Any) -> bool:
    if isinstance(v, str):
        return v in _TYPES
    return (
        isinstance(v, list)
        and len(v) >= 1
        and all(isinstance(t, str) and t in _TYPES for t in v)
        and len(set(v)) == len(v)
    )


# keyword -> check of its value, as the 2020-12 metaschema constrains it (subschemas separately)
_KEYWORD_OK: dict[str, Callable[[Any], bool]] = {
    "type": _type_ok,
    "enum": lambda v: isinstance(v, list),
    "const": lambda v: True,
    "required": _string_array_unique,
    "minLength": _nonneg_int,
    "maxLength": _nonneg_int,
    "minItems": _nonneg_int,
    "maxItems": _nonneg_int,
    "minProperties": _nonneg_int,
    "maxProperties": _nonneg_int,
    "uniqueItems": lambda v: isinstance(v, bool),
    "pattern": lambda v: isinstance(v, str),
    "format": lambda v: isinstance(v, str),
    "minimum": is_number,
    "maximum": is_number,
    "exclusiveMinimum": is_number,
    "exclusiveMaximum": is_number,
    "title": lambda v: isinstance(v, str),
    "description": lambda v: isinstance(v, str),
    "$comment": lambda v: isinstance(v, str),
    "default": lambda v: True,
    "examples": lambda v: isinstance(v, list),
    "deprecated": lambda v: isinstance(v, bool),
    "readOnly": lambda v: isinstance(v, bool),
    "writeOnly": lambda v: isinstance(v, bool),
}
_ONE_SUBSCHEMA = frozenset({"items", "additionalProperties", "propertyNames", "not"})
_SUBSCHEMA_MAP = frozenset({"properties"})
_SUBSCHEMA_LIST = frozenset({"allOf", "anyOf", "oneOf"})
# Every other keyword the 2020-12 vocabularies define: when present, ask jsonschema.
_OTHER_KNOWN = frozenset(
    {
        "$schema",
        "$id",
        "$ref",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
        "$vocabulary",
        "$defs",
        "definitions",
        "prefixItems",
        "contains",
        "patternProperties",
        "dependentSchemas",
        "dependencies",
        "if",
        "then",
        "else",
        "unevaluatedItems",
        "unevaluatedProperties",
        "multipleOf",
        "maxContains",
        "minContains",
        "dependentRequired",
        "contentEncoding",
        "contentMediaType",
        "contentSchema",
        "$recursiveRef",
        "$recursiveAnchor",
        "additionalItems",
    }
)


def schema_is_valid(schema: Any, depth: int = 0) -> bool:
    """True when ``schema`` is certainly valid under the 2020-12 metaschema; False: ask jsonschema."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or depth > 32:
        return False
    for key, value in schema.items():
        check = _KEYWORD_OK.get(key)
        if check is not None:
            if not check(value):
                return False
        elif key in _ONE_SUBSCHEMA:
            if not schema_is_valid(value, depth + 1):
                return False
        elif key in _SUBSCHEMA_MAP:
            if not isinstance(value, dict) or not all(schema_is_valid(s, depth + 1) for s in value.values()):
                return False
        elif key in _SUBSCHEMA_LIST:
            if not isinstance(value, list) or not value or not all(schema_is_valid(s, depth + 1) for s in value):
                return False
        elif key in _OTHER_KNOWN:
            return False
        # any other key is unknown to the metaschema, which allows it
    return True


# --- simple authors' schemas, without compiling ---------------------------------------------------

# Most parameter schemas are one scalar type with bounds or a list of options (`{type: integer,
# minimum: 0}`, `{type: boolean}`, `{enum: [a, b]}`, perhaps with a `format` jsonschema does not check
# such as `money`: predicates.ANNOTATION_FORMATS), each checked against a value or two: writing,
# compiling and running Python source for them (~0.3 ms) costs more than the check. For exactly
# those shapes, a closure does what the compiled function would (tests compare the two on a table
# of schemas x values); any other key, or a bound or option of another kind, goes to schemacode.
_SIMPLE_ANNOTATIONS = frozenset(
    {"title", "description", "$comment", "default", "examples", "deprecated", "readOnly", "writeOnly"}
)
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_SIMPLE_KEYS = frozenset({"type", "enum", "format", *_BOUNDS}) | _SIMPLE_ANNOTATIONS


_SCALAR_TYPES: dict[str, Callable[[Any], bool]] = {
    k: JSON_TYPES[k] for k in ("string", "boolean", "null", "number", "integer")
}


def simple_validator(schema: Any) -> Callable[[Any], bool] | None:
    """The yes/no validator of a simple schema (see above), or None for any other."""
    if type(schema) is not dict or not schema.keys() <= _SIMPLE_KEYS:
        return None
    if "format" in schema and not (type(schema["format"]) is str and schema["format"] in ANNOTATION_FORMATS):
        return None  # a format with a check (`date`, `uri`, ...) is the compiler's; `money` annotates
    names = schema.get("type")
    if names is not None:  # `type: null` in YAML is no type at all, as for the compiler
        names = [names] if isinstance(names, str) else names
        if not isinstance(names, list) or not names or any(type(t) is not str or t not in _SCALAR_TYPES for t in names):
            return None
    for key in _BOUNDS:
        if key in schema:
            bound = schema[key]
            if not is_number(bound) or bound != bound or bound in (float("inf"), float("-inf")):
                return None
    low, high, above, below = (schema.get(key) for key in _BOUNDS)
    options = schema.get("enum")
    if "enum" in schema and not (isinstance(options, list) and all(isinstance(o, str) for o in options)):
        return None
    tests = tuple(_SCALAR_TYPES[t] for t in names) if names is not None else None
    choices = frozenset(options) if options is not None else None
    bounded = low is not None or high is not None or above is not None or below is not None
    numeric = names is not None and len(names) == 1 and names[0] in ("number", "integer")  # bounds apply unguarded

    def valid(v: Any) -> bool:
        if tests is not None and not any(test(v) for test in tests):
            return False
        if choices is not None and not (isinstance(v, str) and v in choices):
            return False
        if bounded and (numeric or is_number(v)):
            if (low is not None and not v >= low) or (high is not None and not v <= high):
                return False
            if (above is not None and not v > above) or (below is not None and not v < below):
                return False
        return True

    return valid


# --- locale ids ----------------------------------------------------------------------------------

_LOCALE_TAG = re.compile(r"[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-[A-Z]{2})?\Z")
_locale_data: list[str | None] = []


def known_locale(tag: Any) -> bool:
    """True when Babel's ``Locale.parse(tag, sep="-")`` certainly succeeds: a plain language[-Script]
    [-REGION] tag whose CLDR data file exists (that is all ``Locale`` checks for such a tag). False
    means "ask Babel", which also resolves aliases and likely subtags."""
    if not isinstance(tag, str) or _LOCALE_TAG.match(tag) is None:
        return False
    if not _locale_data:
        import importlib.util

        spec = importlib.util.find_spec("babel")
        origin = spec.origin if spec is not None else None
        _locale_data.append(os.path.join(os.path.dirname(origin), "locale-data") if origin else None)
    folder = _locale_data[0]
    return folder is not None and os.path.isfile(os.path.join(folder, tag.replace("-", "_") + ".dat"))
