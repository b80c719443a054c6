"""Date-times in expressions: which values are instants, which are days, which are of no declared
type, and which comparisons of them ``engine.decisions.expr`` refuses (E003).

Why a module of its own: an expression compares texts, and a date-time's text is one spelling of
an instant among many (`2024-01-01T09:00:00+09:00` and `2024-01-01T00:00:00Z`). Comparing two such
texts gives an answer that depends on the offset each was written with, so on the machine, the
caller or the time zone it was written in; a date-time compared with a day (`2025-07-01`) is never
equal to it. Neither is a syntax error, and Python answers both without complaint, so the compiler
must know, before anything runs, which values are date-times (and how they are written), which are
days, and which are of a type no schema declares. That reasoning reads the inputs' and parameters'
JSON Schemas as JSON Schema does (`properties`, `items`, `additionalProperties`, `$ref`, `allOf`,
and `anyOf`/`oneOf` branch by branch, so the nullable date-time, `anyOf: [{type: string, format:
date-time}, {type: "null"}]`, is one; `if`/`then`/`else` is not followed) and the helpers' results; it is kept here, apart from the compiler's walk of the tree, so the two
can be read, and changed, one at a time.

``Times`` answers for one expression's names (``engine.decisions.expr.Scope`` gives them): what a
node is (``instant``, ``day``, ``untyped``, ``listed``, ``listed_days``) and what is refused
(``compared``, ``ordered``, ``cased``: an ``engine.decisions.refusals.Refusal``, a message with
its hint, placed by the compiler). Nothing here knows of files or positions.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, NamedTuple, Protocol

from jinja2 import nodes

from engine.decisions.refusals import Refusal
from engine.schema.predicates import is_date

# helpers that return a date-time, and how they write it: the same instant, written twice by the
# same one, is the same text (`utc(a) == utc(b)` compares instants; `a == b` compares spellings)
MOMENT_HELPERS = {"datetime": "zone", "local": "zone", "utc": "utc", "add_hours": "zone"}
EARLIER = {"min": ("earlier", "before"), "max": ("later", "after")}
CASED = ("lower", "upper")  # filters that rewrite a text's letters (`T`, `Z` in a date-time's)
# ``Checked.instant`` of a `let` that holds a list of date-times: how its items are written, in
# brackets (`[utc]`: each written by `utc`, so `utc(x) in times` compares instants, as `utc(x) in
# [utc(a), utc(b)]` does); ``Checked.day`` of one that holds a list of days: `[day]`
LISTED = "[{}]"
DAY = "day"
_ORDER = ("<", "<=", ">", ">=")
_EQUAL = ("==", "!=")
_AMONG = ("in", "not in")
# the keywords by which a schema declares a value's type; `$ref` and `allOf` are followed (``_parts``),
# `anyOf` and `oneOf` too, branch by branch (``_CHOICES``: ``_is_formatted``, ``_untyped``, ``_chosen``)
_TYPING = ("type", "enum", "const", "format", "$dynamicRef")
_CHOICES = ("anyOf", "oneOf")
_KINDS = {"string": str, "object": dict, "array": list}
# those by which it may declare a part of one where ``part`` does not say (`anyOf`, `oneOf`: a
# branch that may hold an object, an array, without declaring the part)
_OPEN = (
    *("$dynamicRef", "anyOf", "oneOf", "if", "dependentSchemas"),
    *("patternProperties", "prefixItems", "unevaluatedProperties", "unevaluatedItems"),
)
MAX_PARTS = 64  # the schemas one value is read from, through `$ref` and `allOf` (so many `anyOf`, `oneOf`
# branches too: ``_Budget``): a bound, not a limit met


class Names(Protocol):
    """What ``Times`` reads of an expression's scope (``engine.decisions.expr.Scope``)."""

    @property
    def inputs(self) -> frozenset[str]: ...
    @property
    def lets(self) -> AbstractSet[str]: ...
    @property
    def params(self) -> frozenset[str]: ...
    @property
    def moments(self) -> Mapping[str, str]: ...
    @property
    def days(self) -> Mapping[str, str]: ...
    @property
    def schemas(self) -> Mapping[str, object]: ...
    @property
    def param_schemas(self) -> Mapping[str, object]: ...
    @property
    def untyped(self) -> AbstractSet[str]: ...


class Declared(NamedTuple):
    """A value's schema and the schema its `$ref`s point into (`#`: the inputs object for an
    input, the parameter's `schema` for a parameter)."""

    schema: object
    root: object


def input_root(schemas: Mapping[str, object]) -> dict[str, object]:
    """What `#` is in an input's `$ref`: the inputs object (``engine.decisions.inputs``)."""
    return {"type": "object", "properties": schemas}


def date_time(declared: Declared | None) -> bool:
    """A `format: date-time` value (as declared, through `$ref`, `allOf`, `anyOf` and `oneOf` too:
    ``_formatted``)."""
    return _formatted(declared, "date-time")


def date_only(declared: Declared | None) -> bool:
    """A `format: date` value: a day, `YYYY-MM-DD` (read as ``date_time`` reads a date-time)."""
    return _formatted(declared, "date")


def _formatted(declared: Declared | None, form: str) -> bool:
    return declared is not None and _is_formatted(declared, form, _Budget())


def _is_formatted(declared: Declared, form: str, budget: _Budget) -> bool:
    """A value whose texts are all of ``form``: one of the schemas it matches all of (``_parts``)
    says `format: FORM`, or has an `anyOf` or a `oneOf` whose every branch that may hold a text is
    one (read so too), a branch at least. A branch that can hold no text is set aside: `{type:
    "null"}` (the nullable date-time, `anyOf: [{type: string, format: date-time}, {type: "null"}]`),
    `false`, and `{type: integer}` too, as `format` sets aside what is not a text (`type: [string,
    integer], format: date-time` is the same value: `x < at` compares its date-times as text, and
    `x is number and x < 5` is refused with it). A branch that may hold any text (`{type: string}`,
    `{}`, a `$ref` elsewhere), or too many to read (``_Budget``), leaves the value not known to be
    one: what may be another text is never refused as a date-time."""
    parts = _parts(declared)
    if any(p.get("format") == form for p in parts):
        return True
    for p in parts:
        for keyword in _CHOICES:
            branches = p.get(keyword)
            if not isinstance(branches, list):
                continue
            texts = [d for d in _branches(branches, declared.root) if _holds(d, "string", budget)]
            if texts and all(budget.spend() and _is_formatted(d, form, budget) for d in texts):
                return True
    return False


def no_type(declared: Declared | None) -> bool:
    """A schema that declares nothing of a value's type: `true`, or one with none of ``_TYPING``,
    nor has any schema its `$ref` or `allOf` point to, but an `anyOf` with a branch that declares
    nothing (the value may be anything: a date-time written any way among others), or a `oneOf`
    with one when no other branch may hold a text (any text matches that one branch alone). Not a
    `oneOf` whose other branches may hold a text (`oneOf: [{}, {type: string}]` holds no text), nor
    a value read through a keyword not followed (`if`, `not`...: none of ``_TYPING``, so of no
    declared type, as before): what is not known to be of no type is never refused as such."""
    return declared is not None and _untyped(declared, _Budget())


def _untyped(declared: Declared, budget: _Budget) -> bool:
    if not isinstance(declared.schema, dict):
        return declared.schema is True
    found = _read(declared, strict=True)
    if found is None or any(k in p for p in found for k in _TYPING):
        return False
    for p in found:
        for keyword in _CHOICES:
            if keyword not in p:
                continue
            branches = _branches(p[keyword], declared.root) if isinstance(p[keyword], list) else []
            free = [i for i, d in enumerate(branches) if budget.spend() and _untyped(d, budget)]
            if not free:
                return False
            if keyword == "oneOf" and any(i != free[0] and _holds(d, "string", budget) for i, d in enumerate(branches)):
                return False
    return True


def _holds(declared: Declared, kind: str, budget: _Budget) -> bool:
    """Whether a value of schema ``declared`` may be a ``kind`` (`string`, `object`, `array`): False
    only when a schema it matches all of says it cannot (a `type`, a `const`, an `enum` without
    one, `false`, an `anyOf` or `oneOf` none of whose branches may); True when not known."""
    if declared.schema is False:
        return False
    found = _read(declared, strict=True) if budget.spend() else None
    if found is None:
        return True
    python = _KINDS[kind]
    for p in found:
        types = p.get("type")
        names = [types] if isinstance(types, str) else types if isinstance(types, list) else [kind]
        if kind not in names:
            return False
        if "const" in p and not isinstance(p["const"], python):
            return False
        if isinstance(p.get("enum"), list) and not any(isinstance(v, python) for v in p["enum"]):
            return False
        for keyword in _CHOICES:
            branches = p.get(keyword)
            if isinstance(branches, list) and not any(
                _holds(d, kind, budget) for d in _branches(branches, declared.root)
            ):
                return False
    return True


def _branches(branches: list[object], root: object) -> list[Declared]:
    return [Declared(b, root) for b in branches]


class _Budget:
    """The schemas one question reads through `anyOf` and `oneOf` (each branch read through `$ref`
    and `allOf`: ``MAX_PARTS``), at most ``MAX_PARTS``: a schema that points into itself, or
    branches within branches, cost a bounded amount; past it a value is not known to be anything."""

    def __init__(self) -> None:
        self.left = MAX_PARTS

    def spend(self) -> bool:
        self.left -= 1
        return self.left >= 0


def part(declared: Declared | None, key: object, named: bool) -> Declared | None:
    """The schema of a key (``named``: `a.b`, `a['b']`) or an item (`a[0]`, `a[i]`) of a value of
    schema ``declared``: as each schema it is read from declares it, in its `properties` (for a key
    they do not name, `additionalProperties`, unless `patternProperties` may apply) or `items`, or
    in an `anyOf` or `oneOf` whose every branch that may hold an object (an array) declares it (one
    of them: `anyOf`); several: all of them (`allOf`). None when none declares it."""
    if declared is None or (named and not isinstance(key, str)) or isinstance(key, (bool, float)):
        return None
    return _part(declared, key, named, _Budget())


def _part(declared: Declared, key: object, named: bool, budget: _Budget) -> Declared | None:
    found: list[object] = []
    for p in _parts(declared):
        if named:
            properties = p.get("properties")
            if isinstance(properties, dict) and key in properties:
                found.append(properties[key])
            elif "additionalProperties" in p and "patternProperties" not in p:
                found.append(p["additionalProperties"])
        elif "items" in p:
            found.append(p["items"])
        for keyword in _CHOICES:
            if isinstance(p.get(keyword), list):
                chosen = _chosen(_branches(p[keyword], declared.root), key, named, budget)
                if chosen is not None:
                    found.append(chosen)
    if not found:
        return None
    return Declared(found[0] if len(found) == 1 else {"allOf": found}, declared.root)


def _chosen(branches: list[Declared], key: object, named: bool, budget: _Budget) -> object:
    """The schema of a key or an item of one of ``branches``: `anyOf` of each one's that may hold
    an object (``named``) or an array; None when one of them does not declare it (it may hold
    anything there), or none may hold one."""
    found: list[object] = []
    for d in branches:
        if not _holds(d, "object" if named else "array", budget):
            continue
        inner = _part(d, key, named, budget) if budget.spend() else None
        if inner is None:
            return None
        found.append(inner.schema)
    return {"anyOf": found} if found else None


def left_open(declared: Declared, named: bool) -> bool:
    """Whether a key (``named``) or an item of a value of schema ``declared``, which does not
    declare it (``part``), may hold anything: no schema it is read from has a keyword that may
    declare it and is not followed (``_OPEN``), nor a type other than an object's (an array's)."""
    found = _read(declared, strict=True)
    if found is None:
        return False
    kind = "object" if named else "array"
    return not any(any(k in p for k in _OPEN) or p.get("type") not in (None, kind) for p in found)


def _parts(declared: Declared) -> list[dict[str, Any]]:
    """The schemas a value of schema ``declared`` matches all of: itself, what its `$ref` points to
    (a JSON Pointer in the same schema, `#/$defs/when`) and its `allOf`'s, theirs too, each once;
    those that can be read (``_read``)."""
    return _read(declared, strict=False) or []


def _read(declared: Declared, strict: bool) -> list[dict[str, Any]] | None:
    """``_parts``; ``strict``: None when one cannot be read (a `$ref` to elsewhere, an anchor, to
    nothing, or more than ``MAX_PARTS`` of them): what they declare is not known."""
    found: list[dict[str, Any]] = []
    seen: set[int] = set()
    pending = [declared.schema]
    while pending:
        schema = pending.pop()
        if not isinstance(schema, dict) or id(schema) in seen:
            continue
        if len(seen) >= MAX_PARTS:
            return None if strict else found
        seen.add(id(schema))
        found.append(schema)
        ref = schema.get("$ref")
        if ref is not None:
            target = _pointed(declared.root, ref)
            if target is None and strict:
                return None
            if isinstance(target, dict):
                pending.append(target)
        members = schema.get("allOf")
        if isinstance(members, list):
            pending.extend(reversed(members))
    return found


def _pointed(root: object, ref: object) -> object:
    """What a `$ref` `#/a/b` points to in ``root`` (`~0`, `~1` and `%xx` read as JSON Pointer and
    URI fragments write them); None for any other reference."""
    if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")):
        return None
    from urllib.parse import unquote

    at = root
    for token in ref[2:].split("/") if ref != "#" else []:
        token = unquote(token).replace("~1", "/").replace("~0", "~")
        if isinstance(at, dict) and token in at:
            at = at[token]
        elif isinstance(at, list) and token.isdigit() and int(token) < len(at):
            at = at[int(token)]
        else:
            return None
    return at


class Times:
    """What one expression's values are, as far as time goes, and which of its comparisons are
    refused (``compared``, ``ordered``, ``cased``)."""

    def __init__(self, names: Names) -> None:
        self.names = names
        self.root = input_root(names.schemas)

    # --- what a value is -------------------------------------------------------------------------

    def instant(self, node: nodes.Node | None) -> str:
        """Whether ``node`` is known to be a date-time, and how it is written (``Checked.instant``):
        a `date-time` input or a date-time inside one (`order.placed_at`, `periods[0].from`), a
        `let` that holds one, an item of a list of them (``_items_written``: `times[0]`), a date-time
        literal, what a helper returns as one, or either branch of `x if c else y` or `x|default(y)`
        (the other one a date-time too, or none); a parameter as its schema says (`params.NAME`,
        parts of it, `param_on('NAME', d)`). "" when not known."""
        if isinstance(node, nodes.Name):  # (the inputs among them: ``moments``)
            written = self.names.moments.get(node.name, "")
            return "" if written.startswith("[") else written
        if isinstance(node, nodes.Getitem) and (items := self._items_written(node.node)):  # an item of a list of them
            key = node.arg
            return "" if isinstance(key, nodes.Const) and isinstance(key.value, str) else items
        if isinstance(node, nodes.Const):
            return "any" if isinstance(node.value, str) and len(node.value) > 10 and _is_date_time(node.value) else ""
        if isinstance(node, (nodes.Getattr, nodes.Getitem)):
            return "any" if date_time(self.schema(node)) else ""
        if isinstance(node, nodes.CondExpr):
            return self._either([node.expr1, node.expr2])
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
            name = node.node.name
            if name == "add_days":  # a date-time moves on the marketplace's wall clock; a date stays one
                return "zone" if node.args and self.instant(node.args[0]) else ""
            if name == "param_on":  # a parameter read on another day: as its schema says
                return "any" if date_time(self._param_on(node)) else ""
            return MOMENT_HELPERS.get(name, "")
        if isinstance(node, nodes.Filter) and node.name == "default":  # the value, or the one given for none
            return self._either([node.node, *node.args[:1]])
        return ""

    def day(self, node: nodes.Node | None) -> bool:
        """Whether ``node`` is known to be a day (`YYYY-MM-DD`), never a date-time: `at`, `date(x)`,
        a date literal, a `format: date` input or parameter or part of one, `add_days` of a day,
        `param_on` of a `format: date` parameter, an item of a list of days, a `let` of one, and
        `x if c else y`, `x|default(y)` of them (or none)."""
        if isinstance(node, nodes.Name):
            if node.name == "at":
                return True
            if node.name in self.names.lets:
                return self.names.days.get(node.name) == DAY
            return date_only(self.schema(node))
        if isinstance(node, nodes.Getitem) and self.listed_days(node.node):
            return not (isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str))
        if isinstance(node, nodes.Const):
            return isinstance(node.value, str) and len(node.value) == 10 and is_date(node.value)
        if isinstance(node, (nodes.Getattr, nodes.Getitem)):
            return date_only(self.schema(node))
        if isinstance(node, nodes.CondExpr):
            return self._all(self.day, [node.expr1, node.expr2])
        if isinstance(node, nodes.Filter) and node.name == "default":
            return self._all(self.day, [node.node, *node.args[:1]])
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name):
            name = node.node.name
            if name == "date":
                return True
            if name == "add_days":
                return bool(node.args) and self.day(node.args[0])
            if name == "param_on":
                return date_only(self._param_on(node))
        return False

    def day_kind(self, node: nodes.Node) -> str:
        """``Checked.day``: "day" when ``node`` is known to be a day, `[day]` a list of them, else ""."""
        return DAY if self.day(node) else LISTED.format(DAY) if self.listed_days(node) else ""

    def listed_days(self, node: nodes.Node | None) -> bool:
        """Whether ``node`` is known to be a list of days: `[a, b]` with each item that is not none a
        day, an input's or parameter's (`items: {format: date}`), a `let` of one, `x if c else y` and
        `x|default(y)` of them (one of the two none or `[]`: the other), `x + y` of them."""
        if isinstance(node, (nodes.List, nodes.Tuple)):
            return self._all(self.day, node.items)
        if isinstance(node, nodes.CondExpr):
            return self._all(self.listed_days, [node.expr1, node.expr2])
        if isinstance(node, nodes.Filter) and node.name == "default":
            return self._all(self.listed_days, [node.node, *node.args[:1]])
        if isinstance(node, nodes.Add):
            return self._all(self.listed_days, [node.left, node.right])
        if isinstance(node, nodes.Name) and node.name in self.names.lets:
            return self.names.days.get(node.name) == LISTED.format(DAY)
        if isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)):
            return date_only(part(self.schema(node), 0, named=False))
        return False

    def _all(self, test: Any, values: Sequence[nodes.Node | None]) -> bool:
        """Each of ``values`` that is not none, nor an empty list, passes ``test``; one at least."""
        known = [v for v in values if not (v is None or _none(v) or _empty(v))]
        return bool(known) and all(test(v) for v in known)

    def listed(self, node: nodes.Node) -> str:
        """``LISTED`` with how its items are written when ``node`` is known to be a list of
        date-times (``_items_written``), else "" (a `let` of it is one too: ``Checked.instant``)."""
        items = self._items_written(node)
        return LISTED.format(items) if items else ""

    def _items_written(self, node: nodes.Node) -> str:
        """How the date-times in ``node`` are written (as ``instant`` says) when it is known to be a
        list holding date-times, else "": `[a, b]` with one of them a date-time (the items known to
        be date-times, each written the same way, else "any", as when another is of no declared type:
        ``untyped``), an input's or parameter's list of them
        (`items: {format: date-time}`, "any"), a `let` holding one (as its items were written), or
        one made of such lists: `x|default([a, b])` and `[a] if c else [b]` (each of the two that is
        not none, nor an empty list, one), `x + [a]` (either one)."""
        if isinstance(node, (nodes.List, nodes.Tuple)):
            return _one_way([self.instant(i) for i in node.items], any(self.untyped(i) for i in node.items))
        if isinstance(node, nodes.CondExpr):
            return self._all_moments([node.expr1, node.expr2])
        if isinstance(node, nodes.Filter) and node.name == "default" and node.node is not None:
            return self._all_moments([node.node, *node.args[:1]])
        if isinstance(node, nodes.Add):
            sides = [node.left, node.right]
            return _one_way([self._items_written(n) for n in sides], any(self.untyped(n) for n in sides))
        if isinstance(node, nodes.Name):
            written = self.names.moments.get(node.name, "")
            if written.startswith("["):
                return written[1:-1]
        if not isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)):
            return ""
        return "any" if date_time(part(self.schema(node), 0, named=False)) else ""

    def _all_moments(self, values: Sequence[nodes.Node | None]) -> str:
        """One of ``values`` is the answer: a list holding date-times when each that is not none,
        nor an empty list, is one (how their items are written, as ``_items_written`` says)."""
        known = [v for v in values if not (v is None or _none(v) or _empty(v))]
        found = [self._items_written(v) for v in known]
        return _one_way(found) if known and all(found) else ""

    def _either(self, values: Sequence[nodes.Node | None]) -> str:
        """One of ``values`` is the answer: a date-time when each that is not none is one."""
        found = {self.instant(v) for v in values if not (v is None or _none(v))}
        if len(found) == 1 and "" not in found:
            return found.pop()
        return "any" if found and "" not in found else ""

    def untyped(self, node: nodes.Node | None) -> bool:
        """Whether ``node`` is a value whose type no schema declares (``Checked.untyped``): an input
        or a parameter whose schema says nothing of it (`{description: ...}`, `true`), a part of one
        its schema leaves open (`order.placed_at` of `order: {type: object}`, an item of `{type:
        array}`), a part of such a value, a `let` of one, and `x if c else y` and `x|default(y)`
        with either one such. Its schema is read through `$ref`, `allOf`, `anyOf`, `oneOf` (``no_type``)
        and `additionalProperties`; not a part a schema may declare where it is not followed
        (`patternProperties`, an `anyOf` branch that does not declare it...)."""
        if isinstance(node, nodes.Name):
            if node.name in self.names.lets:
                return node.name in self.names.untyped
            return node.name in self.names.inputs and no_type(self.schema(node))
        if isinstance(node, nodes.CondExpr):
            return self.untyped(node.expr1) or self.untyped(node.expr2)
        if isinstance(node, nodes.Filter) and node.name == "default":
            return self.untyped(node.node) or any(self.untyped(a) for a in node.args[:1])
        if not isinstance(node, (nodes.Getattr, nodes.Getitem)):
            return False
        declared = self.schema(node)
        if declared is not None or (isinstance(node.node, nodes.Name) and node.node.name == "params"):
            return no_type(declared)
        if self.untyped(node.node):
            return True
        outer = self.schema(node.node)
        return outer is not None and left_open(outer, _named(node))

    def text(self, node: nodes.Node) -> bool:
        """Whether ``node`` is known to be a text: a string written here, `a ~ b`, an input's or
        parameter's string (as its schema says)."""
        if isinstance(node, nodes.Const):
            return isinstance(node.value, str)
        if isinstance(node, nodes.Concat):
            return True
        if isinstance(node, (nodes.Name, nodes.Getattr, nodes.Getitem)):
            declared = self.schema(node)
            return declared is not None and any(p.get("type") == "string" for p in _parts(declared))
        return False

    def schema(self, node: nodes.Node) -> Declared | None:
        """The schema of an input, a parameter or a part of one: `a`, `a.b`, `a['b']`, `a[0]`,
        `params.a.b` (``part``)."""
        if isinstance(node, nodes.Name):
            if node.name in self.names.lets or node.name not in self.names.schemas:
                return None
            return Declared(self.names.schemas[node.name], self.root)
        if isinstance(node, nodes.Getattr):
            key: object = node.attr
        elif isinstance(node, nodes.Getitem):
            key = node.arg.value if isinstance(node.arg, nodes.Const) else None
        else:
            return None
        if isinstance(node.node, nodes.Name) and node.node.name == "params":
            return self._param(key)
        return part(self.schema(node.node), key, _named(node))

    def _param(self, name: object) -> Declared | None:
        if not (isinstance(name, str) and name in self.names.params and name in self.names.param_schemas):
            return None
        schema = self.names.param_schemas[name]
        return Declared(schema, schema)

    def _param_on(self, node: nodes.Call) -> Declared | None:
        first = node.args[0] if node.args else None
        return self._param(first.value) if isinstance(first, nodes.Const) else None

    # --- what is refused --------------------------------------------------------------------------

    def compared(self, left: nodes.Node, symbol: str, right: nodes.Node) -> Refusal | None:
        """`left SYMBOL right`, refused when it compares date-times as text, an instant with a day,
        or a date-time with a value of no declared type."""
        if symbol in _ORDER and (self.instant(left) or self.instant(right)):
            # Python orders the texts: `2025-07-01T06:30:00Z` < `2025-07-01T00:00:00-07:00` is
            # false, though it is the earlier instant; the same moment written with another
            # offset would get another answer
            return Refusal(
                f"`{symbol}` compares date-times as text, not as instants (their offsets may differ)",
                "compare instants with `before(a, b)` or `after(a, b)`, or their days in the marketplace's"
                " time zone with `date(a) < date(b)`",
            )
        if symbol in _EQUAL and _spellings(self.instant(left), self.instant(right)) and left != right:
            # `2024-01-01T09:00:00+09:00` and `2024-01-01T00:00:00Z` are one instant, two texts
            # (`x == x`: one text)
            return Refusal(
                f"`{symbol}` compares date-times as text, not as instants (one instant has many spellings)",
                f"compare instants written one way with `utc(a) {symbol} utc(b)`, or their days in the"
                f" marketplace's time zone with `date(a) {symbol} date(b)`",
            )
        if symbol in _AMONG and self._among(left, right):
            # `x in [a, b]` is `x == a or x == b`: the texts, as above
            return Refusal(
                f"`{symbol}` compares date-times as text, not as instants (one instant has many spellings)",
                f"compare instants written one way with `utc(a) {symbol} [utc(b), utc(c)]`, or their days in"
                f" the marketplace's time zone with `date(a) {symbol} [date(b), date(c)]`"
                if _written(right) is not None
                else "make it a list of days (`items: {type: string, format: date}`) and look for the day in the"
                f" marketplace's time zone, `date(a) {symbol} LIST`, or list the instants here, written one"
                f" way: `utc(a) {symbol} [utc(b), utc(c)]`",
            )
        if symbol in _AMONG and self.instant(right):
            # `'2025' in x` looks at how x is written: `2024-12-31T23:00:00-05:00` is 2025 in UTC
            return Refusal(
                f"`{symbol}` looks for text in how a date-time is written, not at its instant (one instant"
                " has many spellings)",
                "compare its day in the marketplace's time zone, `date(a) >= '2025-01-01' and date(a) <"
                " '2026-01-01'`, or the instant with `before(a, b)` or `after(a, b)`",
            )
        if symbol in _AMONG and self.instant(left) and self.text(right):
            # `a in 'text'` looks for how `a` is written: `2025-07-01T00:00:00Z` is not found in a
            # text that writes the instant `2025-07-01T02:00:00+02:00`
            return Refusal(
                f"`{symbol}` looks for how a date-time is written in a text, not for its instant (one instant"
                " has many spellings)",
                f"look for the instant among instants written one way, `utc(a) {symbol} [utc(b), utc(c)]`, or"
                f" for its day in the marketplace's time zone, `date(a) {symbol} ['2025-07-01', '2025-07-02']`",
            )
        if symbol in _EQUAL + _AMONG:
            return self._days(left, symbol, right) or self._unknown(left, symbol, right)
        return None

    def _days(self, left: nodes.Node, symbol: str, right: nodes.Node) -> Refusal | None:
        """An instant compared with a day (`utc(a) == date(b)`, `delivered_at == at`), or looked for
        among days (each item that is not none one), or a day among instants: a date-time's text is
        never a date's, so `==` and `in` are false (`!=`, `not in` true) whatever the values. A list
        with other items too (`deadline in [at, 'x']`) is left alone: it may hold what is looked for."""
        if symbol in _EQUAL:
            if not ((self.instant(left) and self.day(right)) or (self.day(left) and self.instant(right))):
                return None
            always = "false" if symbol == "==" else "true"
            return Refusal(
                f"`{symbol}` compares an instant with a day: a date-time is never equal to a date"
                f" (`2025-07-01T00:00:00Z` is not `2025-07-01`), so it is always {always}",
                f"compare their days in the marketplace's time zone, `date(a) {symbol} date(b)`, or two"
                f" instants written one way, `utc(a) {symbol} utc(b)`",
            )
        always = "false" if symbol == "in" else "true"
        items = _written(right)
        if self.instant(left) and self.listed_days(right):
            return Refusal(
                f"`{symbol}` looks for an instant among days: a date-time is never equal to a date, so it is"
                f" always {always}",
                f"look for its day in the marketplace's time zone, `date(a) {symbol} [date(b), date(c)]`"
                if items is not None
                else f"look for its day in the marketplace's time zone, `date(a) {symbol} LIST`",
            )
        if self.day(left) and (self._all(self.instant, items) if items is not None else self._items_written(right)):
            return Refusal(
                f"`{symbol}` looks for a day among instants: a date is never equal to a date-time, so it is"
                f" always {always}",
                f"look for it among their days in the marketplace's time zone, `date(a) {symbol} [date(b), date(c)]`"
                if items is not None
                else "make it a list of days (`items: {type: string, format: date}`), or look for an instant"
                f" among them, written one way: `utc(a) {symbol} [utc(b), utc(c)]`",
            )
        return None

    def _unknown(self, left: nodes.Node, symbol: str, right: nodes.Node) -> Refusal | None:
        """A date-time (a literal, a `date-time` input, one a helper wrote...) compared with a value of
        no declared type (``untyped``), as `utc(a) == order.placed_at` or `order.placed_at ==
        '2025-07-01T00:00:00Z'` with `order: {type: object}`: a date-time there is compared as text,
        anything else is never equal. `==`, `!=` between them; `in`, `not in` of one among a list
        written here holding the other, or of one in the other."""
        items = _written(right) if symbol in _AMONG else None
        declare = "declare its type {} (a date-time: `format: date-time`)"
        if symbol in _EQUAL:
            unknown = right if self.instant(left) else left if self.instant(right) else None
            how = "compares an instant with {}, of no declared type: a date-time there is"
            fix = f"write both as instants, `utc(a) {symbol} utc(b)`, or " + declare
        elif self.instant(left) and items is not None:
            unknown = next((i for i in items if self.untyped(i)), None)
            how = "compares an instant with {}, a list item of no declared type: a date-time there is"
            fix = f"write every item as an instant, `utc(a) {symbol} [utc(b), utc(c)]`, or " + declare
        elif self.instant(left):
            unknown = right
            how = "looks for an instant in {}, of no declared type: date-times there are"
            fix = "declare its type {}: a list of days (`items: {{type: string, format: date}}`), looked in"
            fix += f" with `date(a) {symbol} LIST`"
        else:
            made = bool(self._items_written(right)) if items is None else any(self.instant(i) for i in items)
            unknown = left if made else None
            how = "looks for {}, of no declared type, among instants: a date-time is"
            fix = f"write it as an instant too, `utc(a) {symbol} [utc(b), utc(c)]`, or " + declare
        if unknown is None or not self.untyped(unknown):
            return None
        shown = _shown(unknown)
        return Refusal(
            f"`{symbol}` {how.format(f'`{shown}`' if shown else 'a value')} compared as text (one instant has many"
            " spellings)",
            fix.format(self._declared_in(unknown)),
        )

    def _declared_in(self, node: nodes.Node) -> str:
        """Where the type of ``node`` (``untyped``) is declared, for a hint."""
        root = node
        while isinstance(root, (nodes.Getattr, nodes.Getitem)):
            root = root.node
        if isinstance(root, nodes.Name) and root.name == "params":
            return "in the parameter's `schema`"
        if isinstance(root, nodes.Name) and root.name in self.names.lets:
            return "in the schema of the input it is read from"
        return "in the input's schema"

    def _among(self, value: nodes.Node, among: nodes.Node) -> bool:
        """``value`` is a date-time looked for among date-times: the items of a list or tuple written
        here, or of an input's or parameter's list of them (`items: {format: date-time}`)."""
        written = self.instant(value)
        if not written:
            return False
        items = _written(among)
        if items is not None:
            return any(_spellings(written, self.instant(item)) for item in items)
        return _spellings(written, self._items_written(among))

    def ordered(self, name: str, values: Sequence[nodes.Node]) -> Refusal | None:
        """`min`/`max` of date-times order their texts: refused where one is known to be a date-time."""
        items = [i for v in values for i in (v.items if isinstance(v, (nodes.List, nodes.Tuple)) else [v])]
        if not any(self.instant(i) or self._items_written(i) for i in items):
            return None
        word, helper = EARLIER[name]
        return Refusal(
            f"`{name}` orders date-times as text, not as instants (their offsets may differ)",
            f"pick the {word} instant with `a if {helper}(a, b) else b`, or the {word} day in the"
            f" marketplace's time zone with `{name}(date(a), date(b))`",
        )

    def cased(self, name: str, node: nodes.Node) -> Refusal | None:
        """`|lower`, `|upper` of a date-time rewrite its `T` and `Z`, then compare as text."""
        if name not in CASED or not self.instant(node):
            return None
        return Refusal(
            f"`{name}` rewrites how a date-time is written, as text (one instant has many spellings)",
            "compare instants with `before(a, b)` or `after(a, b)`, or instants written one way with"
            " `utc(a) == utc(b)`, or their days in the marketplace's time zone with `date(a)`",
        )


def moments(schemas: Mapping[str, object]) -> dict[str, str]:
    """The inputs that are date-times (`format: date-time`, through `$ref`, `allOf`, `anyOf` and `oneOf`
    too: ``date_time``), each written with any offset (``Checked.instant``)."""
    root = input_root(schemas)
    return {name: "any" for name, schema in schemas.items() if date_time(Declared(schema, root))}


def _written(node: nodes.Node) -> list[nodes.Node] | None:
    """The items of a list written here: `[a, b]`, `(a, b)`, or either of such lists (`[a] if c
    else [b]`, a branch none or left out); None when ``node`` is not one."""
    if isinstance(node, (nodes.List, nodes.Tuple)):
        return list(node.items)
    if isinstance(node, nodes.CondExpr):
        branches = [_written(b) for b in (node.expr1, node.expr2) if not (b is None or _none(b))]
        if all(b is not None for b in branches):
            return [item for b in branches if b is not None for item in b]
    return None


def _one_way(written: Collection[str], unknown: bool = False) -> str:
    """How date-times are written, of those known to be date-times among ``written`` (as
    ``Times.instant`` says: "" for a value not known to be one): the one way all of them are,
    or "any" (so too when ``unknown``: one of them is of no declared type, a date-time there
    written any way); "" when none is known to be one."""
    ways = {w for w in written if w}
    if not ways:
        return ""
    return ways.pop() if len(ways) == 1 and not unknown else "any"


def _spellings(left: str, right: str) -> bool:
    """Two date-times whose texts may differ for one instant: both known to be date-times, and not
    both written by the same helper (`utc(a) == utc(b)`, `local(a) == local(b)` compare instants)."""
    return bool(left and right) and not (left == right and left != "any")


def _named(node: nodes.Getattr | nodes.Getitem) -> bool:
    """`a.b`, `a['b']`: a key; `a[0]`, `a[i]`: an item."""
    return isinstance(node, nodes.Getattr) or (isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str))


def _shown(node: nodes.Node) -> str:
    """How `a`, `a.b`, `a['b']`, `a[0]` are written, for a message; "" for anything else."""
    if isinstance(node, nodes.Name):
        return node.name
    inner = _shown(node.node) if isinstance(node, (nodes.Getattr, nodes.Getitem)) else ""
    if inner and isinstance(node, nodes.Getattr):
        return f"{inner}.{node.attr}"
    key = node.arg.value if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) else None
    return f"{inner}[{key!r}]" if inner and isinstance(key, (str, int)) and not isinstance(key, bool) else ""


def _none(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Const) and node.value is None


def _empty(node: nodes.Node) -> bool:
    return isinstance(node, (nodes.List, nodes.Tuple)) and not node.items


def _is_date_time(text: str) -> bool:
    from engine.model.dates import parse_datetime

    try:
        parse_datetime(text)
    except ValueError:
        return False
    return True
