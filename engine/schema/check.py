"""JSON Schema checks of whole documents, each error mapped to the node's `file:line:col`.

The file-kind schemas live in ``schemas/`` (Draft 2020-12) and are the format's definition; an
installed engine carries them (engine.packaged).
``jsonschema`` is imported only when a schema must actually be evaluated; ``engine.schema.fastcheck``
may answer "valid" first without it (see there).
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from engine import packaged
from engine.problems import Pos, Problem
from engine.problems.hints import MAX_LISTED, Suggester
from engine.schema import (
    fastcheck,  # light (json, os, re); an import inside the checks cost ~2 µs per value
)
from engine.schema.keywords import SUBSCHEMA_LISTS, SUBSCHEMA_MAPS, SUBSCHEMA_ONE
from engine.schema.predicates import declared_types, format_checker
from engine.schema.words import SAID_AS, Fits, closest_branch, count, false_step, fits_of, json_kind, of_a_key, said
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
            resources.append((name, resource))  # (a `$ref` names the file beside: no `$id`)
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
    authors = _authors_schema_nodes()
    checker = validator(kind)
    errors = (e for e in checker.iter_errors(doc.data) if id(e.schema) not in authors)
    return errors_to_problems(doc, (), errors, fits=fits_of(checker), resolve=_resolved_branches)


@cache
def _node_documents() -> dict[int, str]:
    """Which schema file each node of the file kinds' schemas is in, by identity (the registry's
    documents, and each kind's own as ``validator`` holds it): where a `$ref` in it is resolved.
    (Held by the caches, so the ids stay theirs.)"""
    found: dict[int, str] = {}
    registry = _registry()
    docs = [(name, registry.contents(name)) for name in sorted(registry)]
    docs += [(f"{kind}.schema.json", validator(kind).schema) for kind in _kinds()]
    for name, contents in docs:
        stack: list[Any] = [contents]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                found.setdefault(id(node), name)
                stack += node.values()
            elif isinstance(node, list):
                found.setdefault(id(node), name)
                stack += node
    return found


def _kinds() -> list[str]:
    folder = packaged.schema_dir()
    return sorted(n[: -len(".schema.json")] for n in os.listdir(folder) if n.endswith(".schema.json"))


# policyctl's own schemas that words say by what they mean, not by their keywords (by the address
# a `$ref` names them with): an id's pattern is no help to an author as a regex. The hints and the
# messages about one id say it in the same words (`_problem`: "is not a valid id").
_SAID_AS = {
    "common.schema.json#/$defs/id": "a name of at most 63 lowercase letters, digits and underscores that starts with a letter",
}


def _resolved_branches(error: Any) -> Any:
    """An anyOf/oneOf's branches (``error.validator_value``) with each `$ref` replaced by what it
    names (a few levels deep), so that words can say the forms they accept, one of `_SAID_AS` by
    its words; None when a reference cannot be followed (then the words say the closest branch,
    as before)."""
    from urllib.parse import urljoin

    registry = _registry()
    resolver = registry.resolver()

    def inline(node: Any, base: str, depth: int) -> Any:
        if isinstance(node, list):
            return [inline(n, base, depth) for n in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and depth < 4:
            uri = urljoin(base, ref)
            target = resolver.lookup(uri).contents
            rest = {k: v for k, v in node.items() if k != "$ref"}
            if not isinstance(target, dict) or set(target) & set(rest) - {"description", "markdownDescription"}:
                raise LookupError(ref)  # (a keyword on both sides: not one schema to say)
            said_as = _SAID_AS.get(uri)
            extra = (
                {SAID_AS: said_as}
                if said_as is not None and not rest.keys() - {"description", "markdownDescription"}
                else {}
            )
            return inline({**target, **rest, **extra}, uri.split("#")[0], depth + 1)
        return {k: inline(v, base, depth) if k not in ("$defs", "description") else v for k, v in node.items()}

    base = _node_documents().get(id(error.validator_value)) or _node_documents().get(id(error.schema))
    if base is None:
        return None
    try:
        resolved = inline(error.validator_value, base, 0)
    except Exception:  # (a reference not followed: jsonschema's Unresolvable, a conflict, a loop)
        return None
    return resolved


@cache
def _authors_schema_nodes() -> frozenset[int]:
    """The nodes of common.schema.json's `json_schema`, the schema of a schema an author writes (a
    parameter's `schema`, a decision's `inputs` and `outputs`). It is there for editors, which
    underline a misspelt keyword with it; `validate` tells the same faults with their own code
    and hint (P009, engine.model.build.unknown_keywords and schema.source_schema), so its errors
    are left to those checks here. (Held by the cached registry, so the ids stay theirs.)"""
    nodes: list[int] = []
    stack: list[Any] = [_registry().contents("common.schema.json")["$defs"]["json_schema"]]
    while stack:
        node = stack.pop()
        if isinstance(node, (dict, list)):
            nodes.append(id(node))
            stack += node.values() if isinstance(node, dict) else node
    return frozenset(nodes)


def check_value(doc: Document, path: Path, value: Any, schema: dict[str, Any], what: str) -> list[Problem]:
    """Check one value (a parameter value, a test input) against a schema written by an author."""
    if fastcheck.value_is_valid(schema, value):
        return []
    key = json.dumps(schema, sort_keys=True)
    checker = _value_validator(key)
    errors = checker.iter_errors(value)
    return errors_to_problems(doc, path, errors, code="P003", what=what, fits=fits_of(checker), value=(value, schema))


def schema_problems(schema: Any, root: Any = None) -> list[str]:
    """Messages for a schema that is itself unusable (see ``source_schema``), without positions."""
    return [message for _, message, _ in schema_findings(schema, root)]


def errors_to_problems(
    doc: Document,
    base: Path,
    errors: Iterable[ValidationError],
    code: str = "S001",
    what: str = "",
    fits: Fits | None = None,
    value: tuple[Any, Any] | None = None,
    resolve: Callable[[Any], Any] | None = None,
) -> list[Problem]:
    """``fits``: whether a value fits a part of the schema (see ``_fits``); ``value``: the value
    checked at ``base`` and its schema, when it is an author's (P003), for the key a `false`
    subschema refuses (``words.false_step``); ``resolve``: an anyOf/oneOf error's branches with
    their `$ref`s followed, or None (``_resolved_branches``)."""
    problems = []
    hints = Suggester()  # (engine.problems.hints: thousands of values, each against an `enum` of thousands)
    fits = fits or (lambda schema, value: False)
    for error in errors:
        for leaf in _leaves(error, resolve):
            below = tuple(false_step(leaf, *value)) if value is not None else ()
            problems.append(_problem(doc, base, leaf, code, what, hints, fits, below))
    unique = {(p.line, p.col, p.message): p for p in problems}
    return sorted(unique.values(), key=Problem.sort_key)


def _leaves(error: ValidationError, resolve: Callable[[Any], Any] | None = None) -> list[ValidationError]:
    """For anyOf/oneOf, the error of the branch that got furthest (``words.closest_branch``), not
    the summary, where it says more at a place of its own, or the value's type picks a branch whose
    `$ref`s the words would not follow (`outputs: {}` against a list or a non-empty mapping is an
    empty mapping, not "expected array": a mapping is allowed); else the summary, said by its
    branches' forms as D004 says an input's (`expected an integer (at least 10) or a string, got
    integer `5``), with their `$ref`s followed (``resolve``): a value of a type no branch takes
    (`outputs: 5`) is told every form, not the first branch's."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        leaf, typed = closest_branch(error)
        deeper = len(leaf.absolute_path) > len(error.absolute_path)
        if typed and deeper:
            return [leaf]
        if '"$ref"' in json.dumps(error.validator_value, default=str):
            branches = resolve(error) if resolve is not None and not typed else None
            if branches is None:
                return [leaf]
            summary = copy.copy(error)  # (the words read the branches from `validator_value`)
            summary.validator_value = branches
            return [summary]
    return [error]


def _word(value: Any) -> str:
    """``value`` as a word to suggest: a string as it is, anything else as JSON (and YAML) write it."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


# a marketplace's `time_zone` in schemas/marketplaces.schema.json (a test holds them equal)
ZONE_PATTERN = "^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$"
# a locale id, `$defs/locale` in schemas/common.schema.json (a test holds them equal)
LOCALE_PATTERN = "^[a-z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2})?(?!\\n)$"
_LOCALE_PARTS = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z]{4})?(?:[-_][A-Za-z]{2})?")


def locale_hint(tag: str) -> str:
    """What to write for a locale id the schema refuses: the tag as BCP 47 spells it (`fr_FR`,
    `zh-hans`, `FR` → `fr-FR`, `zh-Hans`, `fr`) when CLDR knows that one, else examples."""
    if _LOCALE_PARTS.fullmatch(tag):
        language, *rest = re.split(r"[-_]", tag)
        spelled = "-".join([language.lower(), *(p.title() if len(p) == 4 else p.upper() for p in rest)])
        if spelled != tag and fastcheck.known_locale(spelled):
            return f"did you mean `{spelled}`?"
    return "use a BCP 47 tag such as `en`, `de`, `it` or `zh-Hans`"


# `error` is a ValidationError, typed Any: see words.Fits
_DAY_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _problem(
    doc: Document,
    base: Path,
    error: Any,
    code: str,
    what: str,
    hints: Suggester,
    fits: Fits = lambda schema, value: False,
    below: Path = (),
) -> Problem:
    path: Path = base + tuple(error.absolute_path) + below
    head = _head(what, base, path)
    validator, expected = error.validator, error.validator_value
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else str(expected)
        pos = doc.key_pos(path) if path else doc.pos(path)
        return Problem.at(pos, code, f"{head}: missing required key `{missing}`", f"add `{missing}:` here")
    if validator in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        allowed = error.schema.get("properties") or {}
        key = next((k for k in error.instance if k not in allowed), "?")
        close = hints.closest(key, allowed)
        hint = (
            f"did you mean `{close[0]}`?"
            if close
            else (f"allowed keys here: {hints.listed(allowed)}" if allowed else "remove it")
        )
        return Problem.at(doc.key_pos(path + (key,)), code, f"{head}: unexpected key `{key}`", hint)
    pos = doc.pos(path)
    got = json_kind(error.instance)  # (JSON Schema's names, as the schema's `type` and words.got say them)
    if validator == "type":
        want = " or ".join(expected) if isinstance(expected, list) else expected
        # a parameter's value itself (P003 at no deeper path): its schema's `format` shows its unit
        whole_value = code == "P003" and not error.absolute_path
        hint = _type_hint(want, error.instance, _quoted(doc, pos.line, pos.col), error.schema, whole_value)
        if want == "string" and _id_expected(error.schema, error.instance) and path and isinstance(path[-1], str):
            # (quoted, `parameter: 5` is still no id: the hint named a fix that fails again)
            hint = f"`{path[-1]}` takes a name: lowercase letters, digits and underscores, starting with a letter"
        if code == "P003" and error.instance is None and isinstance(expected, str):
            # `value: null`, the authors' guide's "not stated for this marketplace": its schema must say so
            hint = f'to say a value is not stated, let the schema allow it: `type: [{expected}, "null"]`'
        return Problem.at(pos, code, f"{head}: expected {want}, got {got} `{_shown(error.instance)}`", hint)
    if validator == "enum":
        # (an author's `enum` may hold thousands of values: named up to MAX_LISTED, each error)
        # (each in backticks: an author's value, such as `"./labels"`, is shown as written, never
        # rewritten as a path by engine.problems.shown_text, nor suggested rewritten)
        options = ", ".join(f"`{_shown(v)}`" for v in expected[:MAX_LISTED]) + (
            f" and {len(expected) - MAX_LISTED:,} more" if len(expected) > MAX_LISTED else ""
        )
        # (made while looked at; a value that is no string in the words YAML writes it in: `null`,
        # `true`, not Python's `None`, `True`, which YAML would read as a string)
        words = [_word(v) for v in expected] if hints.left >= len(expected) else []
        close = hints.closest(_word(error.instance), words)
        hint = f"did you mean `{close[0]}`?" if close else f"use one of: {options}"
        return Problem.at(pos, code, f"{head}: `{_shown(error.instance)}` is not one of {options}", hint)
    if validator == "const":
        return Problem.at(
            pos,
            code,
            f"{head}: expected `{_shown(expected)}`, got `{_shown(error.instance)}`",
            f"write `{_shown(expected)}`",
        )
    if validator == "pattern" and expected == ZONE_PATTERN and isinstance(error.instance, str):
        from engine.model.clock import zone_hint  # (`UTC+1` is no id: the hint about ids would mislead)

        hint = zone_hint(error.instance, hints) or f"the value must match `{expected}`"
        zone = json.dumps(error.instance, ensure_ascii=False)[1:-1]  # (as P001 shows it, without quotes)
        zone = zone if len(zone) <= 60 else zone[:57] + "..."
        return Problem.at(pos, code, f"{head}: `{zone}` is not an IANA time zone", hint)
    if validator == "pattern" and expected == LOCALE_PATTERN and isinstance(error.instance, str):
        if "propertyNames" in error.absolute_schema_path:  # (`names:` keys) the key itself
            pos = doc.key_pos(path + (error.instance,))
        return Problem.at(
            pos, code, f"{head}: `{_shown(error.instance)}` is not a locale id", locale_hint(error.instance)
        )
    if validator == "pattern" and code == "S001" and str(expected).startswith(_ID_START):
        # (policyctl's own id, common.schema.json's; an author's pattern, in P003, is the author's
        # and said as written: `^[a-z_]+$` is no id)
        if "propertyNames" in error.absolute_schema_path and isinstance(error.instance, str):
            pos = doc.key_pos(path + (error.instance,))  # the key itself, not its mapping's first key
        return Problem.at(pos, code, f"{head}: {_not_an_id(error.instance)}", _ID_WORDS)
    if (validator == "format" and expected == "date") or (validator == "pattern" and "[0-9]{4}" in str(expected)):
        if isinstance(error.instance, str) and _DAY_FORM.fullmatch(error.instance):  # the form, not a day
            return Problem.at(
                pos,
                code,
                f"{head}: `{error.instance}` is not a day of the calendar",
                "check the day and the month",
            )
        return Problem.at(
            pos,
            code,
            f"{head}: `{_shown(error.instance)}` is not a date",
            'write an ISO date in quotes, e.g. "2024-03-01"',
        )
    return _said(doc, base, path, pos, error, code, what, hints, fits)


def _head(what: str, base: Path, path: Path) -> str:
    """What a problem's message starts with: an author's value (P003) told by what it is (``what``:
    "parameter `fee` from 2025-01-01", the value at ``base``) and a part of it by its pointer inside
    the value; a file kind's fault (S001) by its pointer in the file."""
    if not what:
        return _pointer(path)
    inside = path[len(base) :]
    return f"{what} at {_pointer(inside)}" if inside else what


def _said(
    doc: Document, base: Path, path: Path, pos: Pos, error: Any, code: str, what: str, hints: Suggester, fits: Fits
) -> Problem:
    """Every keyword ``_problem`` has no words of its own for, in words.said's: the words D004 says
    an input's with. Its hint, else one that says what to write for the keywords it leaves to us."""
    validator, expected = error.validator, error.validator_value
    if of_a_key(list(error.absolute_schema_path)) and isinstance(error.instance, str):
        pos = doc.key_pos(path + (error.instance,))  # (`propertyNames`: the key itself)
    message, hint = said(error, fits)
    if not hint and validator in ("anyOf", "oneOf") and error.context:
        leaf, typed = closest_branch(error)
        kinds = (
            [k for b in expected if isinstance(b, dict) for k in declared_types(b)]
            if isinstance(expected, list)
            else []
        )
        if not typed and kinds:  # (no branch of the value's type: what to write for each form)
            hint = "write " + " or ".join(dict.fromkeys(_FORM_HINTS.get(k, k) for k in kinds))
        else:
            # (a branch's form the words say already: the hint the branch's own problem has)
            hint = _problem(doc, base, leaf, code, what, hints, fits).hint
    advice = {
        "minimum": f"use a value of at least {expected}",
        "exclusiveMinimum": f"use a value above {expected}",
        "maximum": f"use a value of at most {expected}",
        "exclusiveMaximum": f"use a value below {expected}",
        "multipleOf": f"use a multiple of {expected}",
        "minItems": f"give at least {count(expected, 'items')}",
        "maxItems": f"give at most {count(expected, 'items')}",
        "minLength": f"write at least {count(expected, 'characters')}",
        "maxLength": f"write at most {count(expected, 'characters')}",
        "minProperties": f"give at least {count(expected, 'keys')}",
        "maxProperties": f"give at most {count(expected, 'keys')}",
        "pattern": f"the value must match `{expected}`",
    }
    return Problem.at(
        pos,
        code,
        f"{_head(what, base, path)}: {message}",
        hint or advice.get(validator, "see `policyctl schema`"),
    )


def value_message(error: Any) -> str:
    """What a value does wrong against its schema, in the words S001 and P003 use (JSON's values
    and JSON Schema's names of types, never Python's `True` or `'no'`), for a message that has its own place."""
    v, x, inst = error.validator, error.validator_value, error.instance
    if v == "type":
        want = " or ".join(x) if isinstance(x, list) else x
        return f"expected {want}, got {json_kind(inst)} `{_shown(inst)}`"
    if v == "const":
        return f"expected `{_shown(x)}`, got `{_shown(inst)}`"
    if v == "enum":
        return f"`{_shown(inst)}` is not one of {', '.join(f'`{_shown(o)}`' for o in x)}"
    return said(error, _plain_fits)[0]


def _plain_fits(schema: Any, value: Any) -> bool:
    from jsonschema import Draft202012Validator
    from referencing.exceptions import Unresolvable

    try:
        return bool(Draft202012Validator(schema, format_checker=format_checker()).is_valid(value))
    except Unresolvable:  # (a part with a reference out of it: no count rather than no message)
        return False


def _type_hint(want: str, instance: Any, quoted: bool, schema: Any, parameter: bool) -> str:
    """``quoted``: whether the file wrote the value in quotes; ``schema``: the one whose `type` it
    fails; ``parameter``: it is a parameter's whole value (its schema's `format` shows its unit)."""
    numbers = [w for w in ("number", "integer") if w in want.split(" or ")]
    if numbers and isinstance(instance, str) and "string" not in want.split(" or "):
        fmt = schema.get("format") if isinstance(schema, dict) and parameter else None
        return _number_hint(instance, numbers[0], quoted, fmt, parameter)
    if want == "string" and _is_date(schema):
        return date_hint(instance)
    if (want == "string" and isinstance(instance, (bool, int, float))) or (want == "string" and instance is None):
        return "quote the value to make it a string"
    if want == "object":
        return "write `key: value` lines indented under this key"
    if want == "array":
        return "write a list: `- item` lines, or `[a, b]`"
    return f"write a value of type {want}"


# what to write for each type a value may take, in YAML's terms, for a hint naming several
_FORM_HINTS = {
    "array": "a list (`- item` lines, or `[a, b]`)",
    "object": "`key: value` lines indented under this key",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "`true` or `false`",
    "null": "`null`",
}


_ID_START = "^[a-z][a-z0-9_]"  # how common.schema.json's `id` pattern starts
_ID_FORM = re.compile(r"[a-z][a-z0-9_]*")  # an id's characters, whatever its length
_ID_WORDS = (  # (what common.schema.json's `id` pattern says, `^[a-z][a-z0-9_]{0,62}(?!\n)$`)
    "ids use lowercase letters, digits and underscores, start with a letter, and have at most 63 characters"
)


def _not_an_id(instance: Any) -> str:
    """Why ``instance`` is not an id, in words: its length when its characters are an id's."""
    said = f"`{_shown(instance)}` is not a valid id"
    if isinstance(instance, str) and _ID_FORM.fullmatch(instance):
        return f"{said}: it has {len(instance)} characters"
    return said


def _id_expected(schema: Any, instance: Any) -> bool:
    """Whether ``schema`` wants an id (common.schema.json's `id`: `^[a-z][a-z0-9_]...`, what the
    hint says it is) that ``instance``, quoted, would not be."""
    pattern = schema.get("pattern") if isinstance(schema, dict) else None
    if not isinstance(pattern, str) or not pattern.startswith(_ID_START):
        return False
    return isinstance(instance, (bool, int, float)) and re.search(pattern, json.dumps(instance)) is None


def _is_date(schema: Any) -> bool:
    """Whether ``schema`` is a date's (common.schema.json's `date`: `format: date`, `YYYY-MM-DD`)."""
    if not isinstance(schema, dict):
        return False
    return schema.get("format") == "date" or "[0-9]{4}-" in str(schema.get("pattern", ""))


def date_hint(instance: object) -> str:
    """How to write the date a value that is no string was meant to be: `from: 20250101` is the
    number 20250101 (quoting it gives the text `"20250101"`, which is not a date either)."""
    digits = str(instance) if type(instance) is int else ""
    if len(digits) == 8:
        try:
            day = _dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
        except ValueError:
            pass
        else:
            return f'write the date as `"{day.isoformat()}"`, in quotes'
    return 'write an ISO date in quotes, e.g. `"2024-03-01"`'


def number_hint(doc: Document, pos: Pos, text: str, want: str) -> str:
    """How to write the number (``want``: "integer" or "number") that ``text``, written at ``pos``
    of ``doc``, stands for (a test case's input: engine.model.build)."""
    return _number_hint(text, want, _quoted(doc, pos.line, pos.col), None, False)


def _number_hint(text: str, want: str, quoted: bool, fmt: Any, parameter: bool) -> str:
    """How to write the number ``text`` stands for: without its quotes (`"30"`), or without its unit
    (`30 days`, `39 EUR`, `$39`); a parameter's page shows the unit from its schema's `format`."""
    quotes = ", without quotes" if quoted else ""
    if _NUMBER.fullmatch(text.strip()):
        return "write the number without quotes"
    with_unit = _NUMBER_THEN_UNIT.fullmatch(text.strip()) or _UNIT_THEN_NUMBER.fullmatch(text.strip())
    number = None if with_unit is None else with_unit.group("n")
    if number is None or (want == "integer" and "." in number):
        example = "`30`" if want == "integer" else "`30` or `4.5`"
        kind = "a whole number" if want == "integer" else "a number"
        return f"write {kind} in digits and nothing else, such as {example}{quotes}"
    if not parameter:
        return f"write the number alone: `{number}`{quotes}"
    if isinstance(fmt, str):
        unit = f"the schema's `format: {fmt}` shows it with its unit on the pages"
    else:
        unit = "a unit is no part of the value: the schema's `format` (`duration-day`, `money`, `percent`) shows it on the pages"
    return f"write the number alone: `{number}`{quotes}; {unit}"


_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
# a number then words or a sign (`30 days`, `39 EUR`, `12.5%`), or a sign then a number (`$39`, `€ 4.50`);
# never a number then its own digits (`4,50 €` is not 4)
_NUMBER_THEN_UNIT = re.compile(r"(?P<n>[-+]?[0-9]+(?:\.[0-9]+)?)\s*[^\s0-9.,'][^0-9]*")
# (no `\s*` before the number: `[^0-9]*?` takes the spaces too, and the two sharing them made a
# long run of spaces cost its length squared: "a" and 20,000 spaces and "x" took 8 s)
_UNIT_THEN_NUMBER = re.compile(r"[^\s0-9.,+-][^0-9]*?(?P<n>[-+]?[0-9]+(?:\.[0-9]+)?)")


def _quoted(doc: Document, line: int, col: int) -> bool:
    """Whether the scalar at ``line``:``col`` of ``doc`` is written in quotes."""
    text, start = doc.text, 0
    for _ in range(line - 1):
        start = text.find("\n", start) + 1
        if start == 0:
            return False
    return text[start + col - 1 : start + col] in ("'", '"')


def _pointer(path: Path) -> str:
    if not path:
        return "the document"
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


# --- the JSON Schemas the sources hold ------------------------------------------------------------
#
# Authors write JSON Schemas in three places: a parameter's `schema`, and each of a decision's
# `inputs` and `outputs`. Every one of them goes through ``source_schema`` (engine.model.build), the
# one check that a schema can be used at all, after engine.schema.patterns.unsafe_keywords: valid
# under the 2020-12 metaschema (types JSON Schema knows, `enum` an array, bounds numbers...), every
# local `$ref`/`$dynamicRef` pointing to a schema that exists and is valid itself, and no chain of
# references that leads back to where it started without checking anything (jsonschema would
# recurse until Python stops it). A schema that fails is reported (P009) and never used, so no
# later command meets it. The common schema (`{type: integer, minimum: 0}`) is answered by
# fastcheck.schema_is_valid without jsonschema; the others are checked once per process per text.

Finding = tuple[Path, str, str]  # where in the schema, what is wrong, a hint

_TYPE_NAMES = ("array", "boolean", "integer", "null", "number", "object", "string")
_REF_KEYS = ("$ref", "$dynamicRef")
# applicators that check the same value again (a loop through them never ends); the others go
# one level into the value, so a finite value ends any loop through them
_IN_PLACE = frozenset({"allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas"})
_SEE = "see https://json-schema.org/understanding-json-schema/"


def source_schema(
    doc: Document, path: Path, schema: Any, what: str, root: Any = None, scope: str = ""
) -> list[Problem]:
    """P009 for a JSON Schema the sources hold (at ``path`` in ``doc``) that cannot be used, each at
    its offending node. ``what`` names it (`the schema of \\`fee\\``); ``root``: the schema `#` refers
    to where it is evaluated (a decision's inputs are checked as one object schema), default the
    schema itself; ``scope`` says what that is, for the hints."""
    return [
        Problem.at(doc.pos(path + where), "P009", f"{what} is not a valid JSON Schema: {message}", hint)
        for where, message, hint in schema_findings(schema, root, scope)
    ]


def schema_findings(schema: Any, root: Any = None, scope: str = "") -> tuple[Finding, ...]:
    """What makes ``schema`` unusable, by place in it (see above); () when it can be used."""
    if fastcheck.schema_is_valid(schema):  # no reference either: `$ref` is never answered there
        return ()
    try:
        text = json.dumps(schema, sort_keys=True)
        refers = root is not None and root is not schema and any(f'"{k}"' in text for k in _REF_KEYS)
        root_text = json.dumps(root, sort_keys=True) if refers else None
    except (TypeError, ValueError, RecursionError):  # keys of several types: not kept, checked as it is
        return _findings(schema, schema if root is None else root, scope)
    return _kept_findings(text, root_text, scope)


@lru_cache(maxsize=1024)
def _kept_findings(text: str, root_text: str | None, scope: str) -> tuple[Finding, ...]:
    schema = json.loads(text)
    return _findings(schema, json.loads(root_text) if root_text is not None else schema, scope)


def _findings(schema: Any, root: Any, scope: str) -> tuple[Finding, ...]:
    try:
        found = _meta_findings(schema)
        if not found:
            found = _reference_findings(schema, root, scope)
    except RecursionError:
        found = [((), "it is nested too deeply to check", "write a flatter schema")]
    return tuple(found)


@cache
def _meta_validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    # as Draft202012Validator.check_schema does: `pattern` and `patternProperties` must be regexes;
    # the formats by policyctl's predicates (jsonschema's own `$ref` check, `uri-reference`, exists
    # only where an optional package is installed: the verdict would depend on the machine)
    return Draft202012Validator(Draft202012Validator.META_SCHEMA, format_checker=format_checker())


def _meta_findings(schema: Any) -> list[Finding]:
    if fastcheck.schema_is_valid(schema):
        return []
    found: dict[Path, Finding] = {}
    for error in _meta_validator().iter_errors(schema):
        where: Path = tuple(error.absolute_path)
        if where not in found:
            found[where] = (where, *_meta_message(where, error))
    return sorted(found.values(), key=lambda f: [str(p) for p in f[0]])


def _meta_message(where: Path, error: Any) -> tuple[str, str]:
    """What the 2020-12 metaschema's ``error`` about the node at ``where`` means, and a hint."""
    keys = [p for p in where if isinstance(p, str)]
    key = keys[-1] if keys else ""
    named = f"`{key}`" if key else "the schema"
    item = bool(where) and isinstance(where[-1], int)
    value, expected, validator = error.instance, error.validator_value, error.validator
    if key == "type" and validator in ("anyOf", "enum", "type", "minItems", "uniqueItems"):
        names = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        unknown = [t for t in names if not (isinstance(t, str) and t in _TYPE_NAMES)]
        if unknown:
            import difflib  # (a fixed list of seven names)

            close = difflib.get_close_matches(str(unknown[0]), _TYPE_NAMES, n=1)
            return (
                f"`{unknown[0] if isinstance(unknown[0], str) else _shown(unknown[0])}` is not a JSON Schema type",
                f"did you mean `{close[0]}`?" if close else f"use one of: {', '.join(_TYPE_NAMES)}",
            )
        if isinstance(value, list) and len(set(map(str, value))) < len(value):
            return "`type` names a type twice", "name each type once"
        return (
            f"`type` must name a type or an array of types, not {_kind(value)}",
            f"use one of: {', '.join(_TYPE_NAMES)}",
        )
    if validator == "type":
        want = expected if isinstance(expected, list) else [expected]
        whose = f"each item of {named}" if item else named
        if set(want) == {"object", "boolean"}:
            return (
                f"{whose} must be a schema (an object), not {_kind(value)}",
                "write a schema such as `{type: string}`",
            )
        # (the message names JSON Schema's types, as S001 does and the schema's `type` is written;
        # the hint says what to write in YAML, as S001's hints do)
        nouns = {
            "array": "an array",
            "string": "a string",
            "number": "a number",
            "integer": "an integer",
            "object": "an object",
            "boolean": "`true` or `false`",
        }
        wanted = " or ".join(nouns.get(str(w), str(w)) for w in want)
        if "array" in want:
            hint = "write a list: `[a, b]`, or `- item` lines"
        elif "object" in want:
            hint = "write `key: value` lines indented under this key"
        elif ("number" in want or "integer" in want) and isinstance(value, str):
            hint = _number_hint(value, "number" if "number" in want else "integer", False, None, False)
        elif "string" in want:
            hint = "quote the value to make it a string"
        else:
            hint = "write a whole number" if want == ["integer"] else f"write {wanted}"
        return f"{whose} must be {wanted}, not {_kind(value)}", hint
    if validator == "minimum":
        return f"{named} must be {expected} or more, not {_shown(value)}", f"use a value of at least {expected}"
    if validator == "exclusiveMinimum":
        return f"{named} must be more than {expected}, not {_shown(value)}", f"use a value above {expected}"
    if validator == "minItems":
        return f"{named} must not be an empty array", "give at least one item, or remove the key"
    if validator == "uniqueItems":
        return f"{named} has a repeated item", "list each item once"
    if validator == "format" and expected == "regex":
        return f"`{_shown(value)}` is not a regular expression", "fix the regular expression"
    return f"{named}: {str(error.message).replace(chr(39), '`')}", _SEE


def _kind(value: Any) -> str:
    """A value of an author's schema by its type, in JSON Schema's names as the schema's `type` and
    S001, P003 and D004 say them (`object`, not YAML's "mapping"); the hints keep YAML's words."""
    return f"{json_kind(value)} `{_shown(value)}`"


def _reference_findings(schema: Any, root: Any, scope: str) -> list[Finding]:
    """Every reference reachable from ``schema`` resolves in ``root`` to a valid schema, and none
    closes a loop that checks the same value again. Problems found through a reference are
    reported at the reference in ``schema`` that leads there."""
    tree = list(_places(schema, ()))  # each node of the schema's own tree, and its place in it
    if not any(key in node for node, _ in tree for key in _REF_KEYS):
        return []
    places = {id(node): place for node, place in tree}
    resolver = _resolver(root)
    found: dict[Path, Finding] = {}
    # in-place edges (node id -> [(node id, the place to report a loop at, the reference)]), for the loop search
    edges: dict[int, list[tuple[int, Path, str]]] = {}
    nodes: dict[int, Any] = {}
    # (node, its place in the schema or None outside it, the reference in the schema that led there)
    pending: list[tuple[Any, Path | None, Path]] = [(schema, (), ())]
    while pending:
        node, place, origin = pending.pop()
        if id(node) in nodes or not isinstance(node, dict):
            continue
        nodes[id(node)] = node
        out = edges.setdefault(id(node), [])
        for key, child, in_place in _children(node):
            here = place + (key,) if place is not None else None
            if key in _REF_KEYS:
                at = here if here is not None else origin
                if not isinstance(child, str):
                    continue  # (the metaschema's problem)
                target, why = _lookup(resolver, child, scope)
                if why:
                    found.setdefault(at, (at, f"`{key}: {child}` {why}", _ref_hint(scope)))
                    continue
                invalid = _meta_findings(target) if isinstance(target, dict) else []
                if invalid:
                    message = invalid[0][1]
                    found.setdefault(
                        at, (at, f"`{key}: {child}` points to a schema that is not valid: {message}", _SEE)
                    )
                    continue
                if isinstance(target, dict):
                    out.append((id(target), at, f"`{key}: {child}`"))
                    pending.append((target, places.get(id(target)), at))
                continue
            for name, value in child:
                if isinstance(value, dict):
                    if in_place:
                        out.append((id(value), (), ""))
                    pending.append((value, here + (name,) if here is not None and name is not None else here, origin))
    loop = _loop(edges)
    if loop is not None and loop[0] not in found:
        at, ref = loop
        found[at] = (
            at,
            f"{ref} leads back to itself without checking anything: it would loop forever",
            "refer to a schema that does not refer back here",
        )
    return sorted(found.values(), key=lambda f: [str(p) for p in f[0]])


def _places(node: Any, place: Path) -> Iterator[tuple[dict[str, Any], Path]]:
    if isinstance(node, dict):
        yield node, place
        for key, child, _ in _children(node):
            if key not in _REF_KEYS:
                for name, value in child:
                    yield from _places(value, place + (key,) + (() if name is None else (name,)))


def _children(node: dict[str, Any]) -> Iterable[tuple[str, Any, bool]]:
    """(keyword, its subschemas as (name or index or None, schema) pairs, whether they check the
    same value); for `$ref`/`$dynamicRef`: (keyword, the reference, False)."""
    for key, value in node.items():
        if key in _REF_KEYS:
            yield key, value, False
        elif key in SUBSCHEMA_MAPS and isinstance(value, dict):
            yield key, list(value.items()), key in _IN_PLACE
        elif key in SUBSCHEMA_LISTS and isinstance(value, list):
            yield key, list(enumerate(value)), key in _IN_PLACE
        elif key in SUBSCHEMA_ONE:
            yield key, [(None, value)], key in _IN_PLACE


def _resolver(root: Any) -> Any:
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    return Registry().with_resource("", DRAFT202012.create_resource(root)).resolver()


def _lookup(resolver: Any, ref: str, scope: str) -> tuple[Any, str]:
    """The schema ``ref`` points to, or why it points to none."""
    from referencing.exceptions import Unresolvable

    try:
        target = resolver.lookup(ref).contents
    except (Unresolvable, ValueError, TypeError, LookupError):  # (a pointer into a list by a name, into a value)
        return None, f"points to nothing in {scope or 'this schema'}"
    if not isinstance(target, (dict, bool)):
        return None, f"points to {_kind(target)}, which is not a schema"
    return target, ""


def _ref_hint(scope: str) -> str:
    if scope:
        return f"`#` is {scope}: refer to a part of it, such as `#/properties/NAME`"
    return "refer to a part of this schema, such as `#/$defs/NAME` with the part written under `$defs:`"


def _loop(edges: dict[int, list[tuple[int, Path, str]]]) -> tuple[Path, str] | None:
    """A cycle of in-place edges: where to report it (the last reference on it) and that reference."""
    state: dict[int, int] = {}  # 1: on the current path, 2: done
    for start in edges:
        if start in state:
            continue
        stack: list[tuple[int, Iterator[tuple[int, Path, str]], tuple[Path, str] | None]] = [
            (start, iter(edges[start]), None)
        ]
        state[start] = 1
        while stack:
            node, todo, last = stack[-1]
            step = next(todo, None)
            if step is None:
                state[node] = 2
                stack.pop()
                continue
            target, at, ref = step
            seen = (at, ref) if ref else last
            if state.get(target) == 1 and seen is not None:
                return seen
            if target not in state and target in edges:
                state[target] = 1
                stack.append((target, iter(edges[target]), seen))
    return None
