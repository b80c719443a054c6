"""Where a JSON Schema (2020-12) holds other schemas, by keyword: one list for every walk over the
schemas the sources hold (unknown keywords in engine.model.build, risky patterns in
engine.schema.patterns, references and their loops in engine.schema.check)."""

from __future__ import annotations

SUBSCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")  # name -> schema
SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")  # [schema, ...]
SUBSCHEMA_ONE = (  # one schema
    "not",
    "if",
    "then",
    "else",
    "items",
    "contains",
    "additionalProperties",
    "propertyNames",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
)
