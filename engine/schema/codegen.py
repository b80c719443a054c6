"""JSON Schema (the subset policyctl uses) to Python source: a yes/no validator per schema.

``jsonschema`` costs ~100 ms to import and ~1 ms per document because it collects every error
with its path; a pre-commit hook mostly sees valid files and only needs "valid: yes or no". A
schema is turned into one straight-line Python function returning a bool; a document it rejects
goes to jsonschema, which explains the failure. So the generated code may be stricter than
jsonschema, never looser: where it says True, jsonschema must find no error (tests check both
ways on the corpora).

Supported keywords follow Draft 2020-12 semantics as jsonschema implements them (``bool`` is not a
number, ``1.0`` is an integer, ``enum``/``const``/``uniqueItems`` tell ``true`` from ``1``, patterns
use ``re.search``, every format of ``predicates.FORMAT_CHECKS`` is asserted by the same predicate
jsonschema's path uses). A schema using any other keyword that jsonschema evaluates (``if``,
``patternProperties``, ``$dynamicRef``...) cannot be compiled: ``compile_value`` returns None and
the caller uses jsonschema.

    python -m engine.schema.codegen            # regenerate engine/schema/_compiled.py from schemas/
    python -m engine.schema.codegen --check    # exit 1 if the committed module is stale

A stale module (a schema edited without regenerating) is noticed by its fingerprint and replaced
in memory by freshly generated code, so answers stay right; tests/test_fastcheck.py fails until the
module is regenerated and committed.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable
from typing import Any

from engine.schema.predicates import (
    ANNOTATION_FORMATS,
    FORMAT_CHECKS,
    equal,
    in_options,
    is_date,
    is_integer,
    is_number,
    unique,
)

# Keywords that only annotate: jsonschema does not evaluate them.
ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "$defs",
        "definitions",
        "$anchor",
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentMediaType",
        "contentEncoding",
        "contentSchema",
        "$vocabulary",
    }
)
# Keywords jsonschema evaluates that this compiler does not: a schema with one falls back.
UNSUPPORTED = frozenset(
    {
        "$dynamicRef",
        "$dynamicAnchor",
        "$recursiveRef",
        "$recursiveAnchor",
        "if",
        "then",
        "else",
        "dependentSchemas",
        "dependentRequired",
        "dependencies",
        "patternProperties",
        "unevaluatedProperties",
        "unevaluatedItems",
        "prefixItems",
        "contains",
        "minContains",
        "maxContains",
        "multipleOf",
        "additionalItems",
    }
)
SUPPORTED = frozenset(
    {
        "type",
        "enum",
        "const",
        "properties",
        "required",
        "additionalProperties",
        "propertyNames",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "$ref",
    }
)
# Formats: each of predicates.FORMAT_CHECKS is called as `_format_<name>` (the same predicate
# jsonschema's path asserts, engine.schema.predicates.format_checker, so both say the same);
# `date` inline-named as before; predicates.ANNOTATION_FORMATS check nothing; any other format falls
# back (P009 in an author's schema).
FORMATS = {
    name: ("_is_date({v})" if name == "date" else f"_format_{name.replace('-', '_')}({{v}})") for name in FORMAT_CHECKS
}

_TYPE_TEST = {
    "object": "isinstance({v}, dict)",
    "array": "isinstance({v}, list)",
    "string": "isinstance({v}, str)",
    "boolean": "isinstance({v}, bool)",
    "null": "{v} is None",
    # the usual JSON value's exact type first, inline (a call less per value); the predicate decides the rest
    "number": "(type({v}) is int or type({v}) is float or _is_number({v}))",
    "integer": "(type({v}) is int or _is_integer({v}))",
}


# Nesting of generated blocks before a sub-schema is split into a function of its own.
MAX_INDENT = 12


# Schemas are typed `Any` below: they are JSON as `json.load` returns it, any shape, and the compiler
# checks the type of each node itself (`Unsupported` when it is not what JSON Schema allows).


class Unsupported(Exception):
    """The schema uses something this compiler does not translate."""


RUNTIME: dict[str, Any] = {
    "_is_number": is_number,
    "_is_integer": is_integer,
    "_is_date": is_date,
    **{f"_format_{name.replace('-', '_')}": check for name, check in FORMAT_CHECKS.items() if name != "date"},
    "_equal": equal,
    "_in": in_options,
    "_unique": unique,
    "re": re,
}


# --- the compiler ---------------------------------------------------------------------------------


class Compiler:
    """Emits one module of functions; ``$ref`` targets become functions of their own (shared, and
    recursion-safe). ``documents`` maps a base URI to its schema for cross-file references."""

    def __init__(self, documents: dict[str, Any] | None = None, formats: dict[str, Any] | None = None) -> None:
        self.documents = documents or {}
        self.formats = formats or {}  # format name -> predicate, overriding FORMATS (runtime use only)
        self.lines: list[str] = []
        self.functions: dict[tuple[str, str], str] = {}  # (base uri, pointer) -> function name
        self.pending: list[tuple[str, Any, str]] = []
        self.patterns: dict[str, str] = {}
        self.constants: dict[str, str] = {}

    def function_for(self, base: str, pointer: str, schema: Any, name: str | None = None) -> str:
        key = (base, pointer)
        if key not in self.functions:
            self.functions[key] = name or f"_f{len(self.functions)}"
            self.pending.append((base, schema, self.functions[key]))
        return self.functions[key]

    def finish(self) -> str:
        while self.pending:
            base, schema, name = self.pending.pop(0)
            body = _Body(self, base)
            body.check(schema, "v", 1)
            self.lines.append(f"def {name}(v: object) -> bool:")  # typed, so the module passes mypy --strict
            self.lines += body.out
            self.lines.append("    return True")
            self.lines.append("")
        head = [f"{name} = re.compile({pattern!r})" for pattern, name in self.patterns.items()]
        head += [f"{name} = {source}" for name, source in self.constants.items()]
        return "\n".join(head + [""] + self.lines)

    def pattern(self, pattern: str) -> str:
        if not isinstance(pattern, str):
            raise Unsupported("pattern must be a string")
        re.compile(pattern)  # an invalid pattern is the metaschema's business, not ours
        if pattern not in self.patterns:
            self.patterns[pattern] = f"_P{len(self.patterns)}"
        return self.patterns[pattern]

    def constant(self, source: str) -> str:
        for name, existing in self.constants.items():
            if existing == source:
                return name
        name = f"_C{len(self.constants)}"
        self.constants[name] = source
        return name

    def resolve(self, base: str, ref: str) -> tuple[str, str, Any]:
        from urllib.parse import urldefrag, urljoin

        target = urljoin(base, ref)
        uri, fragment = urldefrag(target)
        if uri not in self.documents:
            raise Unsupported(f"cannot resolve $ref `{ref}`")
        node = self.documents[uri]
        if fragment and not fragment.startswith("/"):
            raise Unsupported(f"anchors are not supported (`{ref}`)")
        for part in fragment.split("/")[1:] if fragment else []:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise Unsupported(f"cannot resolve $ref `{ref}`")
        return uri, fragment, node


class _Body:
    """The statements of one function: each failed check is `return False`."""

    def __init__(self, compiler: Compiler, base: str) -> None:
        self.c = compiler
        self.base = base
        self.out: list[str] = []
        self.depth = 0

    def emit(self, indent: int, line: str) -> None:
        self.out.append("    " * indent + line)

    def fail_unless(self, indent: int, condition: str) -> None:
        self.emit(indent, f"if not ({condition}):")
        self.emit(indent + 1, "return False")

    def var(self) -> str:
        self.depth += 1
        return f"v{self.depth}"

    def check(self, schema: Any, v: str, indent: int) -> None:  # noqa: C901 - one branch per JSON Schema keyword, in the order the generated code checks them
        if schema is True or schema == {}:
            return
        if indent > MAX_INDENT and schema is not False:
            # Python refuses more than 20 nested loops and 100 indents ("too many statically
            # nested blocks"): a deeper part of the schema becomes a function of its own.
            self.fail_unless(
                indent, f"{self.c.function_for(self.base, f'<nested {len(self.c.functions)}>', schema)}({v})"
            )
            return
        if schema is False:
            self.emit(indent, "return False")
            return
        if not isinstance(schema, dict):
            raise Unsupported("a schema must be an object or a boolean")
        for key in schema:
            if key in UNSUPPORTED:
                raise Unsupported(f"`{key}` is not supported")
            if key not in SUPPORTED and key not in ANNOTATIONS and key.startswith("$"):
                raise Unsupported(f"`{key}` is not supported")
        if "$ref" in schema:
            uri, fragment, target = self.c.resolve(self.base, schema["$ref"])
            if (
                _has_ref(target)
                or not isinstance(target, dict)
                or any(k in target for k in ("allOf", "anyOf", "oneOf", "not"))
            ):
                name = self.c.function_for(uri, fragment, target)
                self.fail_unless(indent, f"{name}({v})")
            else:  # a leaf (an id, a date): inline it
                outer, self.base = self.base, uri
                self.check(target, v, indent)
                self.base = outer
        types = schema.get("type")
        if types is not None:
            names = [types] if isinstance(types, str) else types
            if not isinstance(names, list) or not names or any(t not in _TYPE_TEST for t in names):
                raise Unsupported(f"bad type {types!r}")
            self.fail_unless(indent, " or ".join(_TYPE_TEST[t].format(v=v) for t in names))
            known = names[0] if len(names) == 1 else None
        else:
            known = None
        if "enum" in schema:
            self.enum(schema["enum"], v, indent)
        if "const" in schema:
            self.enum([schema["const"]], v, indent)
        self.strings(schema, v, indent, known)
        self.numbers(schema, v, indent, known)
        self.arrays(schema, v, indent, known)
        self.objects(schema, v, indent, known)
        for key in ("allOf", "anyOf", "oneOf"):
            if key in schema:
                subs = schema[key]
                if not isinstance(subs, list) or not subs:
                    raise Unsupported(f"`{key}` must be a non-empty list")
                calls = [f"{self.c.function_for(self.base, f'#anon{id(s)}', s)}({v})" for s in subs]
                if key == "allOf":
                    self.fail_unless(indent, " and ".join(calls))
                elif key == "anyOf":
                    self.fail_unless(indent, " or ".join(calls))
                else:
                    self.fail_unless(indent, f"[{', '.join(calls)}].count(True) == 1")
        if "not" in schema:
            name = self.c.function_for(self.base, f"#anon{id(schema['not'])}", schema["not"])
            self.fail_unless(indent, f"not {name}({v})")

    def guard(self, indent: int, known: str | None, wanted: str, v: str) -> tuple[int, bool]:
        """Keywords apply only to their own type: open `if isinstance(...)` unless the type is known."""
        if known == wanted or (known == "integer" and wanted == "number"):
            return indent, False
        self.emit(indent, f"if {_TYPE_TEST[wanted].format(v=v)}:")
        return indent + 1, True

    def enum(self, options: Any, v: str, indent: int) -> None:
        if not isinstance(options, list):
            raise Unsupported("enum must be a list")
        if all(isinstance(o, str) for o in options):
            name = self.c.constant(_set_literal(options))
            self.fail_unless(indent, f"isinstance({v}, str) and {v} in {name}")
        else:
            name = self.c.constant(_literal(tuple(options)))
            self.fail_unless(indent, f"_in({v}, {name})")

    def strings(self, schema: dict[str, Any], v: str, indent: int, known: str | None) -> None:
        checks = []
        if "minLength" in schema:
            checks.append(f"len({v}) >= {_int(schema['minLength'])}")
        if "maxLength" in schema:
            checks.append(f"len({v}) <= {_int(schema['maxLength'])}")
        if "pattern" in schema:
            checks.append(f"{self.c.pattern(schema['pattern'])}.search({v}) is not None")
        if "format" in schema:
            fmt = schema["format"]
            if fmt in self.c.formats:
                # bound once, beside the module's constants: no look-up in `_format` per value
                checks.append(f"{self.c.constant(f'_format[{fmt!r}]')}({v})")
            elif type(fmt) is str and fmt in FORMATS:
                checks.append(FORMATS[fmt].format(v=v))
            elif (
                type(fmt) is str and fmt in ANNOTATION_FORMATS
            ):  # `money`, `percent`, `duration-*`: jsonschema checks nothing
                pass
            else:
                raise Unsupported(f"format `{fmt}` is not supported")
        if checks:
            inner, _ = self.guard(indent, known, "string", v)
            self.fail_unless(inner, " and ".join(checks))

    def numbers(self, schema: dict[str, Any], v: str, indent: int, known: str | None) -> None:
        ops = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
        checks = [f"{v} {op} {_number(schema[key])}" for key, op in ops.items() if key in schema]
        if checks:
            inner, _ = self.guard(indent, known, "number", v)
            self.fail_unless(inner, " and ".join(checks))

    def arrays(self, schema: dict[str, Any], v: str, indent: int, known: str | None) -> None:
        keys = [k for k in ("minItems", "maxItems", "uniqueItems", "items") if k in schema]
        if not keys:
            return
        inner, _ = self.guard(indent, known, "array", v)
        if "minItems" in schema:
            self.fail_unless(inner, f"len({v}) >= {_int(schema['minItems'])}")
        if "maxItems" in schema:
            self.fail_unless(inner, f"len({v}) <= {_int(schema['maxItems'])}")
        if schema.get("uniqueItems") is True:
            self.fail_unless(inner, f"_unique({v})")
        if "items" in schema and schema["items"] is not True and schema["items"] != {}:
            item = self.var()
            self.emit(inner, f"for {item} in {v}:")
            before = len(self.out)
            self.check(schema["items"], item, inner + 1)
            if len(self.out) == before:
                self.out.pop()

    def objects(self, schema: dict[str, Any], v: str, indent: int, known: str | None) -> None:
        keys = [
            k
            for k in (
                "properties",
                "required",
                "additionalProperties",
                "propertyNames",
                "minProperties",
                "maxProperties",
            )
            if k in schema
        ]
        if not keys:
            return
        inner, _ = self.guard(indent, known, "object", v)
        if "minProperties" in schema:
            self.fail_unless(inner, f"len({v}) >= {_int(schema['minProperties'])}")
        if "maxProperties" in schema:
            self.fail_unless(inner, f"len({v}) <= {_int(schema['maxProperties'])}")
        required = schema.get("required", [])
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            raise Unsupported("required must be a list of strings")
        if required:
            self.fail_unless(inner, " and ".join(f"{r!r} in {v}" for r in required))
        properties = schema.get("properties", {})
        if not isinstance(properties, dict):
            raise Unsupported("properties must be an object")
        extra = schema.get("additionalProperties", True)
        if extra is False:
            name = self.c.constant(_set_literal(properties))
            self.fail_unless(inner, f"{v}.keys() <= {name}")
        for prop, sub in properties.items():
            item = self.var()
            before = len(self.out)
            self.emit(inner, f"if {prop!r} in {v}:")
            self.emit(inner + 1, f"{item} = {v}[{prop!r}]")
            self.check(sub, item, inner + 1)
            if len(self.out) == before + 2:  # nothing to check: annotations only
                del self.out[before:]
        names = schema.get("propertyNames")
        rest = extra not in (True, False) and extra != {}
        if (names is not None and names is not True and names != {}) or rest:
            key, item = self.var(), self.var()
            self.emit(inner, f"for {key}, {item} in {v}.items():")
            if names is not None:
                self.check(names, key, inner + 1)
            if rest:
                if properties:
                    name = self.c.constant(_set_literal(properties))
                    self.emit(inner + 1, f"if {key} not in {name}:")
                    self.check(extra, item, inner + 2)
                else:
                    self.check(extra, item, inner + 1)
            self.emit(inner + 1, "pass")


def _set_literal(items: Any) -> str:
    """A frozenset written in sorted order, so generated code does not depend on hash seeds."""
    return "frozenset((" + "".join(f"{x!r}, " for x in sorted(set(items))) + "))"


def _has_ref(schema: Any) -> bool:
    if isinstance(schema, dict):
        return "$ref" in schema or any(_has_ref(v) for k, v in schema.items() if k not in ("enum", "const"))
    if isinstance(schema, list):
        return any(_has_ref(v) for v in schema)
    return False


def _int(value: Any) -> int:
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
        raise Unsupported(f"expected an integer, got {value!r}")
    return int(value)


def _number(value: Any) -> str:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or value != value
        or value in (float("inf"), float("-inf"))
    ):
        raise Unsupported(f"expected a number, got {value!r}")
    return repr(value)


def _literal(value: Any) -> str:
    """Python source for a JSON value (tuples for lists, so constants stay immutable... and compare
    as lists via `_equal`)."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, tuple):
        return "(" + "".join(_literal(x) + ", " for x in value) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(x) for x in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_literal(x)}" for k, x in value.items()) + "}"
    raise Unsupported(f"cannot write {value!r}")


# --- runtime use: an author's schema (parameter values, decision inputs) --------------------------


def compile_value(
    schema: Any, formats: dict[str, Callable[[str], bool]] | None = None
) -> Callable[[object], bool] | None:
    """A yes/no validator for a self-contained schema, or None when only jsonschema can check it.

    ``formats`` gives predicates for `format` values, replacing jsonschema's meaning of them (for a
    checker whose reference is not jsonschema, such as decision inputs)."""
    if not isinstance(schema, (dict, bool)):
        return None
    base = "urn:policyctl:value"
    compiler = Compiler({base: schema}, formats)
    try:
        compiler.function_for(base, "", schema, "validate")
        source = compiler.finish()
    except (Unsupported, re.error, RecursionError, ValueError, TypeError):
        return None
    namespace = dict(RUNTIME, _format=dict(formats or {}))
    try:
        code = compile(source, "<schema>", "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError):  # a backstop: jsonschema still checks it
        return None
    exec(code, namespace)
    fn: Callable[[object], bool] = namespace["validate"]
    return fn


# --- ahead of time: the file-kind schemas ---------------------------------------------------------

TARGET = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_compiled.py")


def _schema_dir() -> str:
    from engine import packaged

    return packaged.schema_dir()


def fingerprint(schema_dir: str | None = None) -> str:
    """A digest of the schema files, recorded in the generated module to tell when it is stale
    (BLAKE2b, not a CRC: a checksum anyone can forge would let a stale module pass as current)."""
    import hashlib

    digest = hashlib.blake2b(digest_size=16)
    schema_dir = schema_dir or _schema_dir()
    for name in sorted(os.listdir(schema_dir)):
        if name.endswith(".schema.json"):
            with open(os.path.join(schema_dir, name), "rb") as f:
                digest.update(name.encode() + b"\0" + f.read() + b"\0")
    return f"blake2b:{digest.hexdigest()}"


def load(source: str) -> dict[str, Callable[[object], bool]]:
    """The VALIDATORS of generated source, without writing it anywhere (a stale module's stand-in)."""
    namespace: dict[str, Any] = {}
    exec(compile(source, "<generated schemas>", "exec"), namespace)
    validators: dict[str, Callable[[object], bool]] = namespace["VALIDATORS"]
    return validators


def generate(schema_dir: str | None = None) -> str:
    """Source of engine/schema/_compiled.py: one function per file kind in ``schema_dir``."""
    schema_dir = schema_dir or _schema_dir()
    documents: dict[str, Any] = {}
    kinds: dict[str, str] = {}
    for name in sorted(os.listdir(schema_dir)):
        if name.endswith(".schema.json"):
            with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
                doc = json.load(f)
            documents[name] = doc  # (by file name, as a `$ref` names it: the schemas have no `$id`)
            kinds[name[: -len(".schema.json")]] = name
    compiler = Compiler(documents)
    entry = {}
    for kind, uri in kinds.items():
        if kind != "common":
            entry[kind] = compiler.function_for(uri, "", documents[uri], f"is_{kind}")
    body = compiler.finish()
    table = "".join(f"    {kind!r}: {fn},\n" for kind, fn in sorted(entry.items()))
    # the format predicates a file kind's schema names (none but `date`, `_is_date`, today)
    formats = "".join(
        f"_format_{name.replace('-', '_')} = _FORMAT_CHECKS[{name!r}]\n"
        for name in FORMAT_CHECKS
        if name != "date" and f"_format_{name.replace('-', '_')}(" in body
    )
    return (
        '"""Generated by engine/schema/codegen.py from schemas/*.json: do not edit.\n\n'
        "Regenerate with `python -m engine.schema.codegen` after changing a schema (a test fails when this\n"
        'file is stale). One yes/no function per file kind; see engine/schema/fastcheck.py."""\n'
        "# fmt: off\n# flake8: noqa\n"
        "import re\n"
        "from collections.abc import Callable\n\n"
        "from engine.schema.predicates import in_options as _in, is_date as _is_date, is_integer as _is_integer\n"
        "from engine.schema.predicates import is_number as _is_number, unique as _unique\n"
        + ("from engine.schema.predicates import FORMAT_CHECKS as _FORMAT_CHECKS\n" + formats if formats else "")
        + "\n"
        + f"SCHEMAS_CHECKSUM = {fingerprint(schema_dir)!r}\n\n"
        + body
        + "\nVALIDATORS: dict[str, Callable[[object], bool]] = {\n"
        + table
        + "}\n"
    )


def main(argv: list[str]) -> int:
    schema_dir = argv[argv.index("--schemas") + 1] if "--schemas" in argv else None
    source = generate(schema_dir)
    if "--check" in argv:
        with open(TARGET, encoding="utf-8") as f:
            current = f.read()
        if current != source:
            print(f"{os.path.relpath(TARGET)} is stale: run `python -m engine.schema.codegen`", file=sys.stderr)
            return 1
        return 0
    from engine.source.atomic import write_atomic

    write_atomic(TARGET, source)
    print(f"wrote {os.path.relpath(TARGET)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
