"""Generated Python for decisions, without the parser: what a compiled expression, a compiled row and
its outputs are, which `let` values an expression needs, and how source becomes a function.

Kept apart from ``engine.decisions.expr`` (which parses with Jinja2) so that a compiled decision
can be rebuilt from its generated source alone, as a bundle does, without importing Jinja2.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

from engine.decisions.runtime import RUNTIME
from engine.model.policy import Expr, Rule


# Named tuples, not frozen dataclasses: equal values, immutable, hashable, and a tenth of the cost
# to define at import (a dataclass writes and compiles its methods; a bundle answering one input
# pays for every class the path defines).
class Checked(NamedTuple):
    """A compiled expression: Python source plus what it reads, for unpacking and for `explain`."""

    expr: Expr
    python: str
    names: frozenset[str]  # inputs and let names read
    params: frozenset[str]
    uses_at: bool
    inputs_tested: frozenset[str] = frozenset()  # `x is defined` on an input reads `inputs` itself
    # the value is known to be a date-time (engine.decisions.expr.Scope.moments): "utc" written in
    # UTC, "zone" in the marketplace's zone, "any" with whatever offset; "[utc]", "[zone]", "[any]" a
    # list of date-times written so (engine.decisions.datetimes.LISTED); "" when it is not known to be one
    instant: str = ""
    # the value is read from an input or a parameter whose schema declares no type for it (an
    # object's undeclared key, `{type: object}` alone), or is a `let` of one: what it holds is not
    # known (engine.decisions.expr.Scope.untyped)
    untyped: bool = False
    # the value is known to be a day, `YYYY-MM-DD` ("day"), or a list of days ("[day]"): never equal
    # to a date-time (engine.decisions.expr.Scope.days)
    day: str = ""

    @property
    def constant(self) -> bool:
        return not (self.names or self.params or self.uses_at or self.inputs_tested)


def local(name: str) -> str:
    """The Python local that holds an input or let value."""
    return f"v_{name}"


def literal(value: Any) -> str | None:
    """Python source for a JSON-like constant, or None if it has no safe literal form."""
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, (list, tuple)):
        items = [literal(v) for v in value]
        parts = [i for i in items if i is not None]
        if len(parts) < len(items):
            return None
        return f"[{', '.join(parts)}]" if isinstance(value, list) else f"({''.join(i + ', ' for i in parts)})"
    if isinstance(value, dict):
        pairs = [(literal(k), literal(v)) for k, v in value.items()]
        shown = [f"{k}: {v}" for k, v in pairs if k is not None and v is not None]
        return "{" + ", ".join(shown) + "}" if len(shown) == len(pairs) else None
    return None


def build(name: str, lines: list[str], filename: str, constants: dict[str, Any] | None = None) -> Callable[..., Any]:
    """Compile generated source into a function whose only globals are the runtime (and constants)."""
    namespace = {**(constants or {}), **RUNTIME}
    exec(compile("\n".join(lines) + "\n", filename, "exec"), namespace)
    fn: Callable[..., Any] = namespace[name]
    return fn


def standalone(checked: Checked, filename: str) -> Callable[[dict[str, Any], dict[str, Any], str, dict[str, Any]], Any]:
    """One expression as a function of (inputs, params, at, env) for the slow, explaining path."""
    lines = ["def _expr(inputs, params, at, env):"]
    lines += [f"    {local(n)} = env[{n!r}]" for n in sorted(checked.names)]
    lines.append(f"    return {checked.python}")
    return build("_expr", lines, filename)


class Out(NamedTuple):
    """One output of a row: a constant, or an expression."""

    name: str
    value: Any
    checked: Checked | None = None


class Row(NamedTuple):
    rule: Rule
    when: Checked | None
    outputs: tuple[Out, ...]


class Lazy:
    """Which `let` values an expression needs, transitively, in definition order.

    A `let` is computed right before the first condition or output that needs it, once: rows above
    it never pay for it, and a `let` that would fail (a division by an input that is zero on some
    path) fails only when a row that needs it runs. The explaining path asks the same questions, so
    both paths compute the same values in the same order and fail at the same place.
    """

    def __init__(self, lets: list[tuple[str, Checked]]) -> None:
        self.lets = lets
        self._index = {name: i for i, (name, _) in enumerate(lets)}

    def needs(self, exprs: Any) -> list[tuple[str, Checked]]:
        wanted: set[int] = set()
        todo = [n for c in exprs if c is not None for n in c.names if n in self._index]
        while todo:
            i = self._index[todo.pop()]
            if i not in wanted:
                wanted.add(i)
                todo += [n for n in self.lets[i][1].names if n in self._index]
        return [self.lets[i] for i in sorted(wanted)]


def expressions(outs: tuple[Out, ...] | None) -> list[Checked]:
    return [o.checked for o in outs or () if o.checked is not None]
