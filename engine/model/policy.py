"""The policy model: what a repository of policy files means, as plain frozen values.

Built by ``engine.model.build`` from schema-valid documents; consumed by resolution, decisions, pages,
tests and diff. Every value that came from a file carries its ``Pos`` so any later stage can point
at the source line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from engine.problems import Pos

HitPolicy = Literal["first", "collect", "unique"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One value on a parameter's timeline, in force from ``start`` (None: from the beginning)."""

    value: Any
    start: str | None
    pos: Pos  # position of the value node
    source: str | None = None
    note: str | None = None
    assumption: str | None = None
    assumed: tuple[str, ...] = ()  # what `assumption` is about: "value", "date" (empty without one)
    on_pages: str = "mark"  # an assumed value on pages: "omit" or "mark"

    @property
    def value_assumed(self) -> bool:
        return "value" in self.assumed

    @property
    def date_assumed(self) -> bool:
        return "date" in self.assumed and self.start is not None


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    description: str
    schema: dict[str, Any]
    timeline: tuple[Entry, ...]
    pos: Pos  # position of the parameter's key
    tiers: bool = False
    label: str | None = None


@dataclass(frozen=True, slots=True)
class Marketplace:
    id: str
    country: str
    currency: str
    time_zone: str
    locales: tuple[str, ...]
    pos: Pos
    site: str | None = None


@dataclass(frozen=True, slots=True)
class Overlay:
    marketplace: str
    parameters: dict[str, Parameter]  # timelines only; schema and description come from the program
    pos: Pos


@dataclass(frozen=True, slots=True)
class Expr:
    """An expression's source text and where it is written."""

    source: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    when: Expr | None
    then: dict[str, Any]  # output name -> constant or Expr
    reason: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Decision:
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
    aggregate: dict[str, str] | None = None  # `hit: collect` only: output -> any|all|count|sum|min|max|list

    @property
    def input_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": self.inputs,
            "required": list(self.required),
            "additionalProperties": False,
        }


@dataclass(frozen=True, slots=True)
class TestCase:
    name: str
    program: str
    decision: str
    marketplace: str
    at: str
    input: dict[str, Any]
    expect: dict[str, Any]
    pos: Pos
    example: bool = False
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Program:
    id: str
    names: dict[str, str]
    marketplaces: tuple[str, ...]
    parameters: dict[str, Parameter]
    overlays: dict[str, Overlay]
    decisions: dict[str, Decision]
    tests: tuple[TestCase, ...]
    dir: str
    pos: Pos
    title: str = ""
    description: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def timeline(self, param: str, marketplace: str) -> tuple[Entry, ...]:
        """The merge rule: an overlay's timeline replaces the program's, whole."""
        overlay = self.overlays.get(marketplace)
        if overlay is not None and param in overlay.parameters:
            return overlay.parameters[param].timeline
        return self.parameters[param].timeline
