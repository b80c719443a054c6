"""The policy model: what a repository of policy files means, as plain frozen values.

Built by ``engine.model.build`` from schema-valid documents; consumed by resolution, decisions, pages,
tests and diff. Every value that came from a file carries its ``Pos`` so any later stage can point
at the source line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from engine.frozen import Frozen, set_field
from engine.problems import Pos, one_line

if TYPE_CHECKING:
    from typing import Protocol

    class Timelines(Protocol):
        """What a ``Resolved`` reads its timelines from: a repository's program, a bundle's periods."""

        def on(self, name: str, day: str) -> tuple[Entry, str]:
            """The entry of ``name`` in force on ``day`` (not copied) and its layer (``Resolved.origin``)."""
            ...

        def after(self, name: str, day: str) -> Entry | None:
            """The next entry of ``name`` after the one in force on ``day`` (not copied); None when none follows."""
            ...


HitPolicy = Literal["first", "collect", "unique"]


class Entry(Frozen):
    """One value on a parameter's timeline, in force from ``start`` (None: from the beginning)."""

    __match_args__ = ("value", "start", "pos", "source", "note", "assumption", "assumed", "on_pages")
    __slots__ = __match_args__
    value: Any
    start: str | None
    pos: Pos  # position of the value node
    source: str | None
    note: str | None
    assumption: str | None
    # what `assumption` is about: "value", "date", or JSON Pointers to parts of the value ("/0")
    # (empty without one)
    assumed: tuple[str, ...]
    on_pages: str  # an assumed value on pages: "omit" or "mark"

    def __init__(
        self,
        value: Any,
        start: str | None,
        pos: Pos,
        source: str | None = None,
        note: str | None = None,
        assumption: str | None = None,
        assumed: tuple[str, ...] = (),
        on_pages: str = "mark",
    ) -> None:
        set_field(self, "value", value)
        set_field(self, "start", start)
        set_field(self, "pos", pos)
        set_field(self, "source", source)
        set_field(self, "note", note)
        set_field(self, "assumption", assumption)
        set_field(self, "assumed", assumed)
        set_field(self, "on_pages", on_pages)

    @property
    def value_assumed(self) -> bool:
        """The value, or a part of it, is an assumption."""
        return any(a == "value" or a.startswith("/") for a in self.assumed)

    @property
    def assumed_parts(self) -> tuple[tuple[str, ...], ...] | None:
        """The assumed parts of the value, each as its keys and item numbers (JSON Pointers
        unescaped); None when all of the value is assumed, or none of it."""
        if "value" in self.assumed:
            return None
        parts = tuple(pointer_keys(a) for a in self.assumed if a.startswith("/"))
        return parts or None

    @property
    def date_assumed(self) -> bool:
        return "date" in self.assumed and self.start is not None


def copied(value: Any) -> Any:
    """``value`` with each list and dict in it copied (a JSON value: the rest is immutable), for a
    caller to keep or change: ``resolve`` hands out a parameter's value so, never the one decisions
    read (a caller's change once altered later answers)."""
    kind = type(value)
    if kind is list:
        return [copied(v) for v in value]
    if kind is dict:
        return {k: copied(v) for k, v in value.items()}
    return value


def detached(entry: Entry) -> Entry:
    """``entry``, its value ``copied`` when that is a list or a dict (the entry itself, else)."""
    kind = type(entry.value)
    return entry.replace(value=copied(entry.value)) if kind is list or kind is dict else entry


def until_json(following: Entry | None) -> dict[str, Any] | None:
    """The day the value in force ends, as JSON says it (`decide --explain`, `show --provenance`,
    `history`): ``following`` is the entry that takes its place (None: no change follows, None).
    The day, and when it is an assumption (the value may already have been replaced) the
    assumption: a client that keeps an answer knows until when it holds, and whether that is known."""
    if following is None or following.start is None:
        return None
    if following.date_assumed:
        return {"day": following.start, "assumption": following.assumption}
    return {"day": following.start}


def until_text(until: dict[str, Any] | None) -> str:
    """`; until 2025-01-01 (date assumed)` after a value that holds until an assumed day (`until_json`'s)."""
    return f"; until {until['day']} (date assumed)" if until is not None and "assumption" in until else ""


def evidence_text(said: dict[str, Any]) -> list[str]:
    """What a value rests on, for people, one line each, as its JSON names it (``said``: a read of
    `decide --explain`, a change of `history`): its `source`, its `assumption`, its `note` (what a
    reader of the value should know of it: "null means not stated, not none"), and the assumption
    the day it ends is (`assumption (until DAY)`, from `until_json`'s). Each in full on one line
    (its line breaks and runs of spaces as one space; a control character escaped, as every text
    report shows one). The one way text says evidence: `decide --explain` and `history` both print
    these, with the keys `show --provenance` gives them, so an assumption is never shown without
    being called one."""
    lines = [f"{key}: {_said(said[key])}" for key in ("source", "assumption", "note") if said.get(key)]
    until = said.get("until")
    if until is not None and until.get("assumption"):
        lines.append(f"assumption (until {until['day']}): {_said(until['assumption'])}")
    return lines


def _said(text: str) -> str:
    return one_line(" ".join(text.split()))


def pointer_keys(pointer: str) -> tuple[str, ...]:
    """The keys of a JSON Pointer (RFC 6901): `/a~1b/0` is ("a/b", "0")."""
    return tuple(k.replace("~1", "/").replace("~0", "~") for k in pointer.split("/")[1:])


# CLDR's units of time (`duration-day`, ...): the `duration` page filter's, and a parameter's `format`.
DURATION_UNITS = ("second", "minute", "hour", "day", "week", "month", "year")

# The `format`s of a parameter's schema that say how pages show its values where no template
# chose a filter (the `value` filter: "What changed", a label's placeholder): JSON Schema's `date`
# and `date-time`, and for numbers an amount in the marketplace's currency (`money`), a value in
# percent units (`percent`) or a duration in one unit (`duration-day`, `duration-hour`, ...).
SHOWN_FORMATS = frozenset(("money", "percent", "date", "date-time", *(f"duration-{u}" for u in DURATION_UNITS)))


class Parameter(Frozen):
    """A parameter of a program (``Program.parameters``) or an overlay: its description, JSON Schema
    and timeline (each ``Entry`` with its value, the day it takes effect, its source or
    assumption), where it is declared, whether it is a table of tiers, and its label on pages."""

    __match_args__ = ("name", "description", "schema", "timeline", "pos", "tiers", "label")
    __slots__ = __match_args__
    name: str
    description: str
    schema: dict[str, Any]
    timeline: tuple[Entry, ...]
    pos: Pos  # position of the parameter's key
    tiers: bool
    label: str | None

    def __init__(
        self,
        name: str,
        description: str,
        schema: dict[str, Any],
        timeline: tuple[Entry, ...],
        pos: Pos,
        tiers: bool = False,
        label: str | None = None,
    ) -> None:
        set_field(self, "name", name)
        set_field(self, "description", description)
        set_field(self, "schema", schema)
        set_field(self, "timeline", timeline)
        set_field(self, "pos", pos)
        set_field(self, "tiers", tiers)
        set_field(self, "label", label)

    @property
    def shown_as(self) -> str | None:
        """The `format` of its schema that says how pages show its values (SHOWN_FORMATS), if any."""
        declared = self.schema.get("format")
        return declared if isinstance(declared, str) and declared in SHOWN_FORMATS else None


class Marketplace(Frozen):
    """A marketplace of marketplaces.yaml (``Repository.marketplaces``): its country, currency,
    time zone (where its days begin), locales and site."""

    __match_args__ = ("id", "country", "currency", "time_zone", "locales", "pos", "site")
    __slots__ = __match_args__
    id: str
    country: str
    currency: str
    time_zone: str
    locales: tuple[str, ...]
    pos: Pos
    site: str | None

    def __init__(
        self,
        id: str,
        country: str,
        currency: str,
        time_zone: str,
        locales: tuple[str, ...],
        pos: Pos,
        site: str | None = None,
    ) -> None:
        set_field(self, "id", id)
        set_field(self, "country", country)
        set_field(self, "currency", currency)
        set_field(self, "time_zone", time_zone)
        set_field(self, "locales", locales)
        set_field(self, "pos", pos)
        set_field(self, "site", site)


class Resolved(Frozen):
    """The rule for one program in one marketplace on one date: what ``Repository.resolve`` and
    ``Bundle.resolve`` give, the same type from either. ``program`` is the program's id (as a
    ``Change``'s; ``repo.programs[rule.program]`` is a repository's ``Program``), ``at`` the day
    (in the marketplace's time zone), ``values`` each parameter's value on it and ``entries`` the
    ``Entry`` it comes from (source, assumption, place). The dicts, and the lists and dicts among
    the values, are the caller's to keep or change: copies of what decisions read."""

    # (`_timelines`: the engine's, private, so a caller type-checked strictly meets only exported
    # types; a field all the same, compared, copied and pickled with the others)
    __match_args__ = ("program", "marketplace", "at", "values", "entries", "_timelines")
    __slots__ = __match_args__
    program: str
    marketplace: Marketplace
    at: str
    values: dict[str, Any]
    entries: dict[str, Entry]
    _timelines: Timelines  # where ``origin``, ``entry_on`` and ``following`` read

    def __init__(
        self,
        program: str,
        marketplace: Marketplace,
        at: str,
        values: dict[str, Any],
        entries: dict[str, Entry],
        _timelines: Timelines,
    ) -> None:
        set_field(self, "program", program)
        set_field(self, "marketplace", marketplace)
        set_field(self, "at", at)
        set_field(self, "values", values)
        set_field(self, "entries", entries)
        set_field(self, "_timelines", _timelines)

    def provenance(self, name: str) -> Pos:
        """Where the value of ``name`` is written (``entries[name].pos``)."""
        return self.entries[name].pos

    def origin(self, name: str) -> str:
        """Which layer the value of ``name`` came from: `base`, `overlay`, or a dated change of
        either (its date said to be assumed when it is: `--explain` and `show --provenance` never
        state it as fact)."""
        return self._timelines.on(name, self.at)[1]

    def entry_on(self, name: str, day: str) -> tuple[Entry, str]:
        """The entry of ``name`` in force on ``day`` (as `param_on` reads it) and its layer, as
        ``origin`` says it; its value the caller's (a copy)."""
        entry, origin = self._timelines.on(name, day)
        return detached(entry), origin

    def following(self, name: str, day: str) -> Entry | None:
        """The next entry of ``name`` after the one in force on ``day``: the value that follows it
        and the day it takes effect (its ``date_assumed``: the value in force holds until an
        assumed day); None when none follows. Its value the caller's (a copy)."""
        entry = self._timelines.after(name, day)
        return None if entry is None else detached(entry)


class Overlay(Frozen):
    """What one marketplace changes of a program (``Program.overlays``): each parameter it sets
    replaces the program's whole timeline there (``Program.timeline``)."""

    __match_args__ = ("marketplace", "parameters", "pos")
    __slots__ = __match_args__
    marketplace: str
    parameters: dict[str, Parameter]  # timelines only; schema and description come from the program
    pos: Pos

    def __init__(
        self,
        marketplace: str,
        parameters: dict[str, Parameter],
        pos: Pos,
    ) -> None:
        set_field(self, "marketplace", marketplace)
        set_field(self, "parameters", parameters)
        set_field(self, "pos", pos)


class Expr(Frozen):
    """An expression's source text and where it is written."""

    __match_args__ = ("source", "pos")
    __slots__ = __match_args__
    source: str
    pos: Pos

    def __init__(
        self,
        source: str,
        pos: Pos,
    ) -> None:
        set_field(self, "source", source)
        set_field(self, "pos", pos)


class Rule(Frozen):
    """One row of a decision table (``Decision.rules``): its id, its condition (``when``: an
    ``Expr``; None: it always matches), its outputs (``then``: a constant or an ``Expr`` by output
    name), its reason and where it is written."""

    __match_args__ = ("id", "when", "then", "reason", "pos", "then_pos")
    __slots__ = __match_args__
    id: str
    when: Expr | None
    then: dict[str, Any]  # output name -> constant or Expr
    reason: str
    pos: Pos
    then_pos: dict[str, Pos]  # output name -> where its value is written (empty: not kept, as in a bundle)

    def __init__(
        self,
        id: str,
        when: Expr | None,
        then: dict[str, Any],
        reason: str,
        pos: Pos,
        then_pos: dict[str, Pos] | None = None,
    ) -> None:
        set_field(self, "id", id)
        set_field(self, "when", when)
        set_field(self, "then", then)
        set_field(self, "reason", reason)
        set_field(self, "pos", pos)
        set_field(self, "then_pos", then_pos or {})


class Decision(Frozen):
    """A decision table as written (``Program.decisions``): its inputs (JSON Schema properties) and
    the required ones, its `let`s (``Expr`` by name), its hit policy, rules (``Rule``), default,
    outputs and where it is written. ``Repository.decide`` answers it."""

    __match_args__ = (
        "id",
        "program",
        "title",
        "description",
        "inputs",
        "required",
        "let",
        "hit",
        "rules",
        "default",
        "outputs",
        "file",
        "pos",
        "aggregate",
        "default_pos",
    )
    __slots__ = __match_args__
    id: str
    program: str
    title: str
    description: str
    inputs: dict[str, Any]  # JSON Schema properties
    required: tuple[str, ...]
    let: dict[str, Expr]
    hit: HitPolicy
    rules: tuple[Rule, ...]
    default: dict[str, Any] | None
    outputs: dict[str, Any]  # JSON Schema properties (may be empty)
    file: str
    pos: Pos
    aggregate: dict[str, str] | None  # `hit: collect` only: output -> any|all|count|sum|min|max|list
    default_pos: dict[str, Pos]  # output name -> where its `default` value is written (as `Rule.then_pos`)

    def __init__(
        self,
        id: str,
        program: str,
        title: str,
        description: str,
        inputs: dict[str, Any],
        required: tuple[str, ...],
        let: dict[str, Expr],
        hit: HitPolicy,
        rules: tuple[Rule, ...],
        default: dict[str, Any] | None,
        outputs: dict[str, Any],
        file: str,
        pos: Pos,
        aggregate: dict[str, str] | None = None,
        default_pos: dict[str, Pos] | None = None,
    ) -> None:
        set_field(self, "id", id)
        set_field(self, "program", program)
        set_field(self, "title", title)
        set_field(self, "description", description)
        set_field(self, "inputs", inputs)
        set_field(self, "required", required)
        set_field(self, "let", let)
        set_field(self, "hit", hit)
        set_field(self, "rules", rules)
        set_field(self, "default", default)
        set_field(self, "outputs", outputs)
        set_field(self, "file", file)
        set_field(self, "pos", pos)
        set_field(self, "aggregate", aggregate)
        set_field(self, "default_pos", default_pos or {})

    @property
    def output_names(self) -> frozenset[str]:
        """The outputs it may give: declared in `outputs:`, or given by a row or the default
        (`outputs:` may declare only some). Without `matches`, which every answer has."""
        names = set(self.outputs) | {k for rule in self.rules for k in rule.then}
        return frozenset(names | (set(self.default) if isinstance(self.default, dict) else set()))

    @property
    def input_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": self.inputs,
            "required": list(self.required),
            "additionalProperties": False,
        }


class TestCase(Frozen):
    """A policy test case (``Program.tests``): a decision asked in a marketplace on a day with
    these inputs, and the outputs expected (`policyctl test`); an example for the pages when
    ``example``, stated by ``source`` when one says it."""

    __test__ = False  # (not a test class to pytest, in a caller's test module that imports it)
    __match_args__ = (
        "name",
        "program",
        "decision",
        "marketplace",
        "at",
        "input",
        "expect",
        "pos",
        "example",
        "description",
        "source",
    )
    __slots__ = __match_args__
    name: str
    program: str
    decision: str
    marketplace: str
    at: str
    input: dict[str, Any]
    expect: dict[str, Any]
    pos: Pos
    example: bool
    description: str | None
    source: str | None  # where a worked example is stated (engine.site.context marks it otherwise)

    def __init__(
        self,
        name: str,
        program: str,
        decision: str,
        marketplace: str,
        at: str,
        input: dict[str, Any],
        expect: dict[str, Any],
        pos: Pos,
        example: bool = False,
        description: str | None = None,
        source: str | None = None,
    ) -> None:
        set_field(self, "name", name)
        set_field(self, "program", program)
        set_field(self, "decision", decision)
        set_field(self, "marketplace", marketplace)
        set_field(self, "at", at)
        set_field(self, "input", input)
        set_field(self, "expect", expect)
        set_field(self, "pos", pos)
        set_field(self, "example", example)
        set_field(self, "description", description)
        set_field(self, "source", source)


class Program(Frozen):
    """One program as loaded (``Repository.programs``): its marketplaces, parameters (each with its
    timeline), overlays by marketplace, decisions by id and policy tests."""

    __match_args__ = (
        "id",
        "names",
        "marketplaces",
        "parameters",
        "overlays",
        "decisions",
        "tests",
        "dir",
        "pos",
        "title",
        "description",
        "extra",
    )
    __slots__ = __match_args__
    id: str
    names: dict[str, str]
    marketplaces: tuple[str, ...]
    parameters: dict[str, Parameter]
    overlays: dict[str, Overlay]
    decisions: dict[str, Decision]
    tests: tuple[TestCase, ...]
    dir: str
    pos: Pos
    title: str
    description: str
    extra: dict[str, Any]

    def __init__(
        self,
        id: str,
        names: dict[str, str],
        marketplaces: tuple[str, ...],
        parameters: dict[str, Parameter],
        overlays: dict[str, Overlay],
        decisions: dict[str, Decision],
        tests: tuple[TestCase, ...],
        dir: str,
        pos: Pos,
        title: str = "",
        description: str = "",
        extra: dict[str, Any] | None = None,
    ) -> None:
        set_field(self, "id", id)
        set_field(self, "names", names)
        set_field(self, "marketplaces", marketplaces)
        set_field(self, "parameters", parameters)
        set_field(self, "overlays", overlays)
        set_field(self, "decisions", decisions)
        set_field(self, "tests", tests)
        set_field(self, "dir", dir)
        set_field(self, "pos", pos)
        set_field(self, "title", title)
        set_field(self, "description", description)
        set_field(self, "extra", {} if extra is None else extra)

    @property
    def schemas(self) -> dict[str, Any]:
        """Each parameter's schema, by name (an overlay changes values, never a schema)."""
        return {name: p.schema for name, p in self.parameters.items()}

    def timeline(self, param: str, marketplace: str) -> tuple[Entry, ...]:
        """The merge rule: an overlay's timeline replaces the program's, whole."""
        overlay = self.overlays.get(marketplace)
        if overlay is not None and param in overlay.parameters:
            return overlay.parameters[param].timeline
        return self.parameters[param].timeline
