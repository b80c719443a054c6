"""A test case's `boundaries:` (for `policyctl test --boundaries`): what it declares, read once.

One reading serves both sides: `validate` (engine.model.build.test_problems) reports its problems
at the names to edit, and the plan builder (engine.policytests.boundaries.plans) takes the plan
with its defaults filled in. A declaration with a problem gives no plan: its problems are the
repository's, which `policyctl test` prints (each mistake once, as `validate` says it), so the
edges are not also checked against names that are not there.

Its shape (a mapping with `parameter` and `outputs`, each a name) is the tests schema's to check;
a case whose file breaks it is not loaded. Here: what those names must be in the program and the
decision of the case.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from engine.model.policy import Decision, Expr, Parameter, Program
from engine.problems import Pos, Problem
from engine.problems.hints import Suggester
from engine.schema.predicates import declared_types
from engine.source.loader import Document, Path

# how a name that is not there is said: (where, message, the name, the names it could be, what they are)
_Unknown = Callable[[Pos, str, str, Collection[str], str], None]


@dataclass(frozen=True, slots=True)
class Declared:
    """A usable `boundaries:` declaration, its defaults filled in."""

    parameter: str  # a `tiers: true` parameter of the program
    value: str  # expression text of the value looked up in its bands
    vary: str  # the numeric input moved across each edge
    outputs: dict[str, str]  # output -> the band key it must equal
    pos: Pos  # the `boundaries:` key


def raw(doc: Document, index: int) -> Any:
    """The `boundaries:` of the case at ``index`` of ``doc``, as written (the model keeps only what
    every case has); None when it has none."""
    cases = doc.data.get("cases") if isinstance(doc.data, dict) else None
    case = cases[index] if isinstance(cases, list) and 0 <= index < len(cases) else None
    return case.get("boundaries") if isinstance(case, dict) else None


def numeric(schema: Any) -> str | None:
    """`integer` or `number`, when an input's schema declares one; else None."""
    kinds = declared_types(schema)
    return "integer" if "integer" in kinds else "number" if "number" in kinds else None


def read(
    doc: Document, index: int, prog: Program, decision: Decision, hints: Suggester | None = None
) -> tuple[Declared | None, list[Problem]]:
    """The declaration of the case at ``index`` of ``doc`` (whose decision is ``decision``) and the
    problems of what it names, each at the name (T002; E00x for its `value`): a parameter that is
    no `tiers: true` one, a `vary` that is no numeric input (or none given and none to take), an
    output the decision does not give, a band key the bands lack. (None, []) for a case without
    `boundaries:`, or one the schema refuses (its S001 says why)."""
    path: Path = ("cases", index, "boundaries")
    spec = raw(doc, index)
    if not isinstance(spec, dict) or not isinstance(spec.get("parameter"), str):
        return None, []
    from engine.decisions import tiers  # (the expression compiler: not for a case without `boundaries:`)

    hints = hints or Suggester()
    found: list[Problem] = []

    def unknown(pos: Pos, message: str, name: str, known: Collection[str], listed: str) -> None:
        close = hints.closest(name, known)
        hint = f"did you mean `{close[0]}`?" if close else f"{listed}: {hints.listed(known) or 'none'}"
        found.append(Problem.at(pos, "T002", f"`boundaries`: {message}", hint))

    name: str = spec["parameter"]
    tiered = tiers.tiered(prog)
    param = prog.parameters[name] if name in tiered else None
    if param is None:
        said = f"`{name}` is not a `tiers: true` parameter" if name in prog.parameters else None
        unknown(
            doc.pos(path + ("parameter",)),
            said or f"`{prog.id}` has no `tiers: true` parameter `{name}`",
            name,
            tiered,
            f"`tiers: true` parameters of `{prog.id}`",
        )
    numbers = [n for n, schema in decision.inputs.items() if numeric(schema)]
    calls = tiers.sites(decision, {name}) if param is not None else []
    vary = spec.get("vary")
    if isinstance(vary, str) and vary not in numbers:
        said = f"`{vary}` is not a numeric input of `{decision.id}`" if vary in decision.inputs else None
        unknown(
            doc.pos(path + ("vary",)),
            said or f"`{decision.id}` has no numeric input `{vary}`",
            vary,
            numbers,
            "numeric inputs",
        )
    elif vary is None:
        vary = calls[0].arg if calls and calls[0].arg in numbers else numbers[0] if len(numbers) == 1 else None
        if vary is None and param is not None:
            found.append(_no_vary(doc.key_pos(path), decision, numbers))
    value = spec.get("value")
    if isinstance(value, str):
        from engine.decisions.expr import Scope, check

        scope = Scope(frozenset(decision.inputs), frozenset(decision.let), frozenset(prog.parameters))
        found += check(Expr(value, doc.pos(path + ("value",))), scope)[1]
    outputs = _outputs(doc, path, spec.get("outputs"), decision, name, param, unknown)
    if found or param is None or not isinstance(vary, str) or not outputs:
        return None, found
    value = value if isinstance(value, str) else calls[0].arg if calls else vary
    return Declared(param.name, value, vary, outputs, doc.key_pos(path)), found


def _no_vary(pos: Pos, decision: Decision, numbers: list[str]) -> Problem:
    if not numbers:
        return Problem.at(
            pos,
            "T002",
            f"`boundaries`: `{decision.id}` has no numeric input to move across the band edges",
            "band edges are checked by moving an input of `type: integer` or `type: number`",
        )
    return Problem.at(
        pos,
        "T002",
        "`boundaries`: which input to move is not said (no `vary:`)",
        f"add `vary:` naming one of the numeric inputs of `{decision.id}`: {', '.join(numbers)}",
    )


def _outputs(
    doc: Document,
    path: Path,
    outputs: Any,
    decision: Decision,
    parameter: str,
    param: Parameter | None,
    unknown: _Unknown,
) -> dict[str, str]:
    """``outputs`` as output -> band key (a list names both at once), each checked: an output of
    the decision, a key of the bands (when the parameter is known)."""
    known = decision.output_names
    keys = band_keys(param) if param is not None else set()
    if isinstance(outputs, list):
        pairs = [(o, o, doc.pos(path + ("outputs", i)), doc.pos(path + ("outputs", i))) for i, o in enumerate(outputs)]
    elif isinstance(outputs, dict):
        pairs = [(o, k, doc.key_pos(path + ("outputs", o)), doc.pos(path + ("outputs", o))) for o, k in outputs.items()]
    else:
        return {}
    found: dict[str, str] = {}
    for output, key, at_output, at_key in pairs:
        if not isinstance(output, str) or not isinstance(key, str):
            return {}  # (the schema's to say)
        if output not in known:
            unknown(at_output, f"`{decision.id}` has no output `{output}`", output, known, "outputs")
        elif keys and key not in keys:
            unknown(at_key, f"the bands of `{parameter}` have no key `{key}`", key, keys, "keys")
        else:
            found[output] = key
    return found if len(found) == len(pairs) else {}


def band_keys(param: Parameter) -> set[str]:
    """The keys a band of a `tiers: true` parameter has: its schema's `items.properties`, else
    those its values' bands have."""
    items = param.schema.get("items") if isinstance(param.schema, dict) else None
    declared = items.get("properties") if isinstance(items, dict) else None
    if isinstance(declared, dict) and declared:
        return set(declared)
    return {k for e in param.timeline if isinstance(e.value, list) for b in e.value if isinstance(b, dict) for k in b}
