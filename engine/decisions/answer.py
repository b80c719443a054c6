"""A compiled decision answering: the generated function, inputs checked, results built.

``CompiledDecision`` is what ``compile_decision`` (``engine.decisions.compile``) makes and what a
bundle rebuilds from the generated source alone (``engine.bundle.load``): answering imports this
module, the runtime and the input checker, never the parser, the static checks or the code
generator; the explaining path (``engine.decisions.explain``) is imported when a run explains.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from engine.decisions import runtime
from engine.decisions.inputs import InputChecker
from engine.decisions.pycode import Checked, Lazy, Out, Row, build, standalone
from engine.decisions.refusals import hint_of
from engine.decisions.result import DecisionResult, decision_result
from engine.decisions.runtime import EvalError
from engine.model.policy import Decision
from engine.problems import Pos, Problem

if TYPE_CHECKING:
    from engine.decisions.explain import Explanation

_INPUT = Pos("<input>")  # where input problems are, when the caller names no place
# the hint for inputs that are an array, as if several inputs were sent as one; each way in to a
# decision says how it takes several (`decide`'s JSON Lines, the service's batch endpoint)
SEVERAL = "an input is one JSON object of the decision's `inputs`: ask for each of several inputs on its own"

_Answer = Callable[[dict[str, Any], dict[str, Any], str], "DecisionResult"]  # (inputs, params, at)
_RowOf = Callable[[dict[str, Any], dict[str, Any], str], "int | None"]


class CompiledDecision:
    """A checked decision, ready to answer. Build it with ``compile_decision``."""

    def __init__(
        self,
        decision: Decision,
        lets: list[tuple[str, Checked]],
        rows: list[Row],
        default: tuple[Out, ...] | None,
        source: str,
        constants: dict[str, Any],
        row_source: str | None = None,
    ) -> None:
        self.decision = decision
        self.source = source  # the generated Python, for `--debug`, for reading and for bundles
        self.constants = constants  # values the generated Python names (`_k0`...): they have no literal form
        # the generated code's own globals: the runtime, constants without a literal form, and these
        trusted = {"_DR": DecisionResult, "_self": self, "_failed": self._failed, "_Error": Exception}
        name = "_evaluate" if decision.hit == "first" else "_decide"
        self._fast = build(name, source.splitlines(), f"<decision {decision.id}>", {**constants, **trusted})
        # `evaluate` and `row_of` are attributes: for `first` tables the generated functions
        # themselves (same contract, one call less), else the general methods below
        self.evaluate: _Answer = self._fast if decision.hit == "first" else self._evaluate
        self.row_source = row_source  # `row_of`'s generated Python, for reading
        self.row_of: _RowOf = self._row_of
        if row_source is not None:
            self.row_of = build(
                "_row",
                row_source.splitlines(),
                f"<decision {decision.id}, rows>",
                {**constants, "_Error": Exception},
            )
        self._lets = lets
        self._lazy = Lazy(lets)
        self._explainers: dict[Checked, Callable[..., Any]] = {}  # built on first use: most runs never explain
        self._rows = rows
        self._default = default
        self._hit = decision.hit
        self._inputs = InputChecker(decision.inputs, decision.required)
        self.output_names = _output_names(decision)

    @property
    def fits(self) -> Callable[[Any], bool]:
        """True only when the inputs certainly fit (`validate_inputs` would say nothing); False: ask it."""
        return self._inputs.fast or _no

    # -- the fast path --

    def _row_of(self, inputs: dict[str, Any], params: dict[str, Any], at: str) -> int | None:
        """``row_of``: which row of a `first` table answers, when that row's outputs are constants (-1: the
        default, or no row and no default); None when only ``evaluate`` can say (computed outputs,
        a failure, another hit policy). Same inputs, same row: a batch encodes each such answer once.

        For `first` tables a generated function, the twin of ``evaluate``'s, is ``row_of`` instead.
        """
        return None

    def _evaluate(self, inputs: dict[str, Any], params: dict[str, Any], at: str) -> DecisionResult:
        """``evaluate``: answer without checking the inputs (see ``decide``). Never raises for
        policy errors.

        For `first` tables the generated function is ``evaluate`` instead.
        """
        try:
            hits, outputs = self._fast(inputs, params, at)
        except Exception as error:
            return self._failed(inputs, params, at, error)
        return self._combine(hits, outputs, (self, inputs, params, at))

    def _combine(self, hits: list[Any], outputs: Any, replay: tuple[Any, ...]) -> DecisionResult:
        d = self.decision.id
        if self._hit == "unique":
            if len(hits) > 1:
                return self._answer(hits, {}, replay, (self._conflict(hits),))
            if hits:
                return self._answer(hits, outputs, replay)
        elif hits:  # collect: hits are (index, outputs) pairs
            return self._collected([i for i, _ in hits], [o for _, o in hits], replay)
        if outputs is None and self.decision.aggregate and self._hit == "collect":  # no row: aggregates of nothing
            return self._collected([], [], replay)
        return decision_result(d, outputs or {}, (), (), outputs is not None, (), replay)

    def _answer(
        self,
        hits: list[int],
        outputs: dict[str, Any],
        replay: tuple[Any, ...] | None,
        problems: tuple[Problem, ...] = (),
    ) -> DecisionResult:
        rules = [self._rows[i].rule for i in hits]
        return decision_result(
            self.decision.id,
            outputs,
            tuple(r.id for r in rules),
            tuple(r.reason for r in rules),
            False,
            problems,
            replay,
        )

    def _collected(self, hits: list[int], outputs: list[dict[str, Any]], replay: tuple[Any, ...]) -> DecisionResult:
        try:
            return self._answer(hits, self._collect(outputs), replay)
        except EvalError as error:  # `sum` of texts, say: the policy's error, reported as data
            problem = Problem.at(
                self.decision.pos,
                "D005",
                f"`aggregate` failed: {error}",
                "aggregate booleans with any/all and numbers with sum/min/max",
            )
            return self._answer(hits, {}, replay, (problem,))

    def _collect(self, outputs: list[dict[str, Any]]) -> dict[str, Any]:
        how = self.decision.aggregate or {}
        names = [n for n in self.output_names if n in how or any(n in o for o in outputs)]
        return {
            n: _aggregate(how[n], [o[n] for o in outputs if n in o]) if n in how else [o.get(n) for o in outputs]
            for n in names
        }

    def _conflict(self, hits: list[int]) -> Problem:
        rules = [self._rows[i].rule for i in hits]
        named = " and ".join(f"`{r.id}` (line {r.pos.line})" for r in rules)
        return Problem.at(
            rules[-1].pos,
            "D001",
            f"rows {named} all match, but the table is `unique`",
            "make the conditions exclusive, or use `hit: first`",
        )

    def _failed(self, inputs: Any, params: dict[str, Any], at: str, error: Exception) -> DecisionResult:
        result = self.explain(inputs, params, at).result
        if result.problems:
            return result
        # the explaining path succeeded where the fast one failed: a bug here, not in the policy
        from engine.decisions.explain import describe

        problem = Problem.at(self.decision.pos, "D005", f"the decision failed while evaluating: {describe(error)}")
        return decision_result(self.decision.id, {}, (), (), False, (problem,), (self, inputs, params, at))

    # -- inputs --

    def validate_inputs(self, inputs: Any) -> list[str]:
        """Messages like "/units: expected integer, got string `"ten"`"; empty when the inputs fit."""
        return self._inputs.check(inputs)

    def decide(
        self,
        inputs: Any,
        params: dict[str, Any],
        at: str,
        where: Pos = _INPUT,
        several: str = SEVERAL,
        text: str | None = None,
        inside: tuple[str, ...] = (),
    ) -> DecisionResult:
        """Validate the inputs (D004 problems at ``where``, or in ``text``: see ``invalid``), then evaluate."""
        messages = self.validate_inputs(inputs)
        if messages:
            refused = self.invalid(inputs, messages, where, several, text, inside)
            # (the parameters and the day kept: its explanation says the day and the zone)
            return DecisionResult((*refused[:6], self, None, params, at))
        return self.evaluate(inputs, params, at)

    def invalid(
        self,
        inputs: Any,
        messages: list[str],
        where: Pos = _INPUT,
        several: str = SEVERAL,
        text: str | None = None,
        inside: tuple[str, ...] = (),
    ) -> DecisionResult:
        """The result for inputs that failed ``validate_inputs``: one D004 problem per message.
        ``several``: the hint when the inputs are an array, which is how the caller takes several.
        ``text``: the JSON the inputs were read from, beginning at ``where`` (``inside``: the path
        of the inputs in it): each problem is placed at the value it is about (engine.decisions.locate)."""
        hint = several if isinstance(inputs, list) else "see the decision's `inputs`"
        if text is None:
            problems = tuple(Problem.at(where, "D004", str(m), hint_of(m, hint)) for m in messages)
        else:
            from engine.decisions.locate import place  # only for inputs with problems

            problems = tuple(
                Problem.at(place(text, m, where, inside), "D004", str(m), hint_of(m, hint)) for m in messages
            )
        # (the decision kept, no inputs: ``replay`` is None, and ``explain()`` asks ``refused``)
        return decision_result(self.decision.id, {}, (), (), False, problems, (self, None, None, None))

    def refused(self, result: DecisionResult) -> Explanation:
        """The explanation of ``result``, whose inputs were refused: no row tried, nothing read
        (the day and the zone, when ``decide`` kept its parameters)."""
        from engine.decisions.explain import explanation

        return explanation(result, (), {}, {}, (), result[8], result[9])

    # -- the explaining path --

    def explain(self, inputs: Any, params: dict[str, Any], at: str) -> Explanation:
        """Evaluate expression by expression, recording rows tried, `let` values and parameters read."""
        from engine.decisions.explain import Trace  # most runs never explain: imported when one does

        trace = Trace(self, inputs if isinstance(inputs, dict) else {}, params, at)
        return trace.run()

    def _explainer(self, checked: Checked) -> Callable[..., Any]:
        fn = self._explainers.get(checked)
        if fn is None:
            fn = self._explainers[checked] = standalone(checked, f"<{checked.expr.pos}>")
        return fn


def _aggregate(how: str, values: list[Any]) -> Any:
    """One output over the matched rows that set it (DMN's collect with an aggregation). Over no
    rows: any is false, all is true, count and sum are 0, min and max none, list empty."""
    if how == "list":
        return values
    if how == "count":
        return len(values)
    if how == "any":
        return any(v is True for v in values)
    if how == "all":
        return all(v is True for v in values)
    present = [v for v in values if v is not None]
    if how == "sum":
        return runtime.f_sum(present)
    return (runtime.f_min if how == "min" else runtime.f_max)(present) if present else None


def _output_names(decision: Decision) -> tuple[str, ...]:
    """Every output name, declared ones first, then in the order rows name them."""
    names = dict.fromkeys(decision.outputs)
    for rule in decision.rules:
        names.update(dict.fromkeys(rule.then))
    names.update(dict.fromkeys(decision.default or {}))
    return tuple(names)


def _no(value: Any) -> bool:
    return False
