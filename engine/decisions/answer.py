"""Decisions: a table compiled into one Python function, and a slower path that explains.

``compile_decision`` checks a decision statically (expressions E001-E005, unreachable rows D002,
constant outputs against ``outputs`` D003) and generates one function for the whole table. For
``hit: first``::

    def _evaluate(inputs, params, at):
        try:
            v_units = inputs.get('units')     # an input, read right before the first code that reads it
            if <when of row 0>:
                return _new(_DR, ('fee', {<outputs of row 0>}, ('row0_id',), ('reason',), False, (), <replay>))
            v_cpu = <let expression>          # a `let`, computed right before the first row that needs it
            if <when of row 1>:
            ...
            return _new(_DR, ('fee', {<default>}, (), (), True, (), <replay>))
        except Exception:
            return _failed(inputs, params, at)

so a decision costs about what the hand-written ``if`` chain would. ``collect`` and ``unique``
tables gather the matching row indexes instead. When the fast function raises, the decision is
re-run on the explaining path, which evaluates each expression on its own and so can say which
row and which expression failed (D005): errors cost time only when they happen.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from engine.decisions import runtime
from engine.decisions.inputs import InputChecker
from engine.decisions.pycode import Checked, build, literal, local, standalone
from engine.decisions.runtime import EvalError
from engine.model.policy import Decision, Expr, Rule
from engine.problems import Pos, Problem

_INPUT = Pos("<input>")  # where input problems are, when the caller names no place
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


class _Fields(NamedTuple):
    decision: str
    outputs: dict[str, Any]
    matches: tuple[str, ...]
    reasons: tuple[str, ...]
    default_used: bool
    problems: tuple[Problem, ...] = ()
    replay: tuple[Any, ...] | None = None  # what `explain()` needs to re-run the decision


class DecisionResult(_Fields):
    """The answer: outputs, the rows that gave them and why; problems instead of exceptions.

    An immutable value. It is a named tuple rather than a frozen dataclass because building one
    is a large part of a decision's cost (0.7 µs against 2 µs); equality ignores ``replay``.
    """

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]  # outputs is a dict

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DecisionResult):
            return NotImplemented
        return self[:6] == other[:6]

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields[:6], self))
        return f"DecisionResult({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (DecisionResult, tuple(self[:6]))  # pickles as a value: the replay handle stays behind

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (the CLI's `--json` output)."""
        return {
            "decision": self.decision,
            "outputs": self.outputs,
            "matches": list(self.matches),
            "reasons": list(self.reasons),
            "default_used": self.default_used,
            "problems": [p.to_json() for p in self.problems],
        }

    def explain(self) -> Explanation:
        """Re-run the decision on the explaining path (rows tried, `let` values, parameters read)."""
        if self.replay is None:
            raise ValueError("this result was not produced by CompiledDecision.evaluate")
        compiled, inputs, params, at = self.replay
        explanation: Explanation = compiled.explain(inputs, params, at)
        return explanation


_new = tuple.__new__


@dataclass(frozen=True, slots=True)
class RowTrace:
    """One row tried: its condition and whether it matched (None: the condition failed)."""

    id: str
    pos: Pos
    condition: str | None
    matched: bool | None


@dataclass(frozen=True, slots=True)
class Explanation:
    result: DecisionResult
    rows: tuple[RowTrace, ...]  # in order, up to the deciding row for `first`
    lets: dict[str, Any]
    params: dict[str, Any]  # parameters read, by name; the caller attaches provenance

    def to_json(self) -> dict[str, Any]:
        rows = [
            {"id": r.id, "at": f"{r.pos.file}:{r.pos.line}", "when": r.condition, "matched": r.matched}
            for r in self.rows
        ]
        return {**self.result.to_json(), "rows": rows, "let": self.lets, "params": self.params}


@dataclass(frozen=True, slots=True)
class _Out:
    """One output of a row: a constant, or an expression."""

    name: str
    value: Any
    checked: Checked | None = None


@dataclass(frozen=True, slots=True)
class _Row:
    rule: Rule
    when: Checked | None
    outputs: tuple[_Out, ...]


_Answer = Callable[[dict[str, Any], dict[str, Any], str], "DecisionResult"]  # (inputs, params, at)
_RowOf = Callable[[dict[str, Any], dict[str, Any], str], "int | None"]


class CompiledDecision:
    """A checked decision, ready to answer. Build it with ``compile_decision``."""

    def __init__(
        self,
        decision: Decision,
        lets: list[tuple[str, Checked]],
        rows: list[_Row],
        default: tuple[_Out, ...] | None,
        source: str,
        constants: dict[str, Any],
        row_source: str | None = None,
    ) -> None:
        self.decision = decision
        self.source = source  # the generated Python, for `--debug`, for reading and for bundles
        self.constants = constants  # values the generated Python names (`_k0`...): they have no literal form
        # the generated code's own globals: the runtime, constants without a literal form, and these
        trusted = {"_new": _new, "_DR": DecisionResult, "_self": self, "_failed": self._failed, "_Error": Exception}
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
        self._lazy = _Lazy(lets)
        self._explainers: dict[Checked, Callable[..., Any]] = {}  # built on first use: most runs never explain
        self._rows = rows
        self._default = default
        self._hit = decision.hit
        self._inputs = InputChecker(decision.inputs, decision.required)
        # True only when the inputs certainly fit (`validate_inputs` would say nothing); False: ask it
        self.fits: Callable[[Any], bool] = self._inputs.fast or _no
        self.output_names = _output_names(decision)

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
        return DecisionResult(d, outputs or {}, (), (), outputs is not None, (), replay)

    def _answer(
        self,
        hits: list[int],
        outputs: dict[str, Any],
        replay: tuple[Any, ...] | None,
        problems: tuple[Problem, ...] = (),
    ) -> DecisionResult:
        rules = [self._rows[i].rule for i in hits]
        return DecisionResult(
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
        problem = Problem.at(self.decision.pos, "D005", f"the decision failed while evaluating: {describe(error)}")
        return DecisionResult(self.decision.id, {}, (), (), False, (problem,), (self, inputs, params, at))

    # -- inputs --

    def validate_inputs(self, inputs: Any) -> list[str]:
        """Messages like "/units: expected integer, got string `"ten"`"; empty when the inputs fit."""
        return self._inputs.check(inputs)

    def decide(self, inputs: Any, params: dict[str, Any], at: str, where: Pos = _INPUT) -> DecisionResult:
        """Validate the inputs (D004 problems at ``where``), then evaluate."""
        messages = self.validate_inputs(inputs)
        return self.invalid(inputs, messages, where) if messages else self.evaluate(inputs, params, at)

    def invalid(self, inputs: Any, messages: list[str], where: Pos = _INPUT) -> DecisionResult:
        """The result for inputs that failed ``validate_inputs``: one D004 problem per message."""
        problems = tuple(Problem.at(where, "D004", m, "see the decision's `inputs`") for m in messages)
        return DecisionResult(self.decision.id, {}, (), (), False, problems)

    # -- the explaining path --

    def explain(self, inputs: Any, params: dict[str, Any], at: str) -> Explanation:
        """Evaluate expression by expression, recording rows tried, `let` values and parameters read."""
        trace = _Trace(self, inputs if isinstance(inputs, dict) else {}, params, at)
        return trace.run()

    def _explainer(self, checked: Checked) -> Callable[..., Any]:
        fn = self._explainers.get(checked)
        if fn is None:
            fn = self._explainers[checked] = standalone(checked, f"<{checked.expr.pos}>")
        return fn


class _Trace:
    """One run of the explaining path."""

    def __init__(self, compiled: CompiledDecision, inputs: dict[str, Any], params: dict[str, Any], at: str) -> None:
        self.c, self.inputs, self.params, self.at = compiled, inputs, params, at
        self.env: dict[str, Any] = {n: inputs.get(n) for n in compiled.decision.inputs}
        self.lets: dict[str, Any] = {}
        self.read: set[str] = set()
        self.rows: list[RowTrace] = []

    def run(self) -> Explanation:
        hits = self._match()
        if isinstance(hits, Problem):
            return self._done(self._fail(hits, []))
        return self._done(self._result(hits))

    def _match(self) -> list[int] | Problem:
        hits: list[int] = []
        for i, row in enumerate(self.c._rows):
            matched = True
            # the lets as the fast function computes them: a `collect` row's outputs' lets before its condition
            failed = self._lets([row.when, *(_checked(row.outputs) if self.c._hit == "collect" else ())])
            if failed is not None:
                self.rows.append(RowTrace(row.rule.id, row.rule.pos, row.when.expr.source if row.when else None, None))
                return failed
            if row.when is not None:
                value = self._eval(row.when, f"row `{row.rule.id}`, `when`")
                if isinstance(value, Problem):
                    self.rows.append(RowTrace(row.rule.id, row.rule.pos, row.when.expr.source, None))
                    return value
                matched = bool(value)
            self.rows.append(RowTrace(row.rule.id, row.rule.pos, row.when.expr.source if row.when else None, matched))
            if matched:
                hits.append(i)
                if self.c._hit == "first":
                    break
        return hits

    def _result(self, hits: list[int]) -> DecisionResult:
        c, replay = self.c, (self.c, self.inputs, self.params, self.at)
        if c._hit == "unique" and len(hits) > 1:
            return c._answer(hits, {}, replay, (c._conflict(hits),))
        if not hits:
            outputs = None if c._default is None else self._outputs(c._default, "`default`")
            if isinstance(outputs, Problem):
                return self._fail(outputs, [])
            if outputs is None and c.decision.aggregate and c._hit == "collect":
                return c._collected([], [], replay)
            return DecisionResult(c.decision.id, outputs or {}, (), (), outputs is not None, (), replay)
        per_row = []
        for i in hits:
            outputs = self._outputs(c._rows[i].outputs, f"row `{c._rows[i].rule.id}`")
            if isinstance(outputs, Problem):
                return self._fail(outputs, hits)
            per_row.append(outputs)
        if c._hit == "collect":
            return c._collected(hits, per_row, replay)
        return c._answer(hits, per_row[0], replay)

    def _lets(self, exprs: Sequence[Checked | None]) -> Problem | None:
        """Compute the lets ``exprs`` need that are not computed yet (see ``_Lazy``)."""
        for name, checked in self.c._lazy.needs(exprs):
            if name in self.lets:
                continue
            value = self._eval(checked, f"`let` `{name}`")
            if isinstance(value, Problem):
                return value
            self.env[name] = self.lets[name] = value
        return None

    def _outputs(self, outs: tuple[_Out, ...], where: str) -> dict[str, Any] | Problem:
        failed = self._lets(_checked(outs))
        if failed is not None:
            return failed
        values: dict[str, Any] = {}
        for out in outs:
            if out.checked is None:
                values[out.name] = copy.deepcopy(out.value)
                continue
            value = self._eval(out.checked, f"{where}, output `{out.name}`")
            if isinstance(value, Problem):
                return value
            values[out.name] = value
        return values

    def _eval(self, checked: Checked, where: str) -> Any:
        self.read |= checked.params
        try:
            return self.c._explainer(checked)(self.inputs, self.params, self.at, self.env)
        except Exception as e:
            return Problem.at(checked.expr.pos, "D005", f"{where}: `{checked.expr.source}` failed: {describe(e)}")

    def _fail(self, problem: Problem, hits: list[int]) -> DecisionResult:
        return self.c._answer(hits, {}, (self.c, self.inputs, self.params, self.at), (problem,))

    def _done(self, result: DecisionResult) -> Explanation:
        read = {n: self.params.get(n) for n in sorted(self.read)}
        return Explanation(result, tuple(self.rows), dict(self.lets), read)


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


def describe(error: BaseException) -> str:
    """An evaluation error in the words of policy authors, not of Python's type names."""
    if isinstance(error, EvalError):
        return str(error)
    if isinstance(error, ZeroDivisionError):
        return "division by zero"
    if isinstance(error, KeyError):
        return f"no value for parameter `{error.args[0]}`"
    if isinstance(error, RecursionError):
        return "too deeply nested"
    text = str(error)
    for python, ours in (
        ("NoneType", "none"),
        ("int", "number"),
        ("float", "number"),
        ("str", "string"),
        ("dict", "mapping"),
        ("list", "list"),
        ("tuple", "list"),
        ("bool", "boolean"),
    ):
        text = text.replace(f"'{python}'", ours)
    text = re.sub(r"^'([^']+)' not supported", r"`\1` is not supported", text)
    return text.replace("instances of ", "").replace("operand type(s) for ", "operand types for ")


# --- compiling -----------------------------------------------------------------------------------


def compile_decision(decision: Decision, param_names: set[str]) -> tuple[CompiledDecision | None, list[Problem]]:
    """Check a decision and compile it; None when any problem is an error."""
    from engine.decisions.expr import Scope  # the parser (Jinja2): only to compile, never to answer

    problems: list[Problem] = []
    params = frozenset(param_names)
    inputs = frozenset(decision.inputs)
    lets = _compile_lets(decision, inputs, params, problems)
    scope = Scope(inputs, frozenset(decision.let), params)
    rows = [_compile_row(rule, scope, problems) for rule in decision.rules]
    default = None if decision.default is None else _compile_outputs(decision.default, scope, problems)
    never = _unreachable(decision, rows, problems)
    _check_constants(decision, rows, default, problems)
    _check_folding(lets, rows, default, problems)
    problems.sort(key=Problem.sort_key)
    if any(p.severity == "error" for p in problems):
        return None, problems
    constants: dict[str, Any] = {}
    source = _generate(decision, lets, rows, default, never, constants)
    row_source = _generate_row_of(decision, lets, rows, default, never) if decision.hit == "first" else None
    return CompiledDecision(decision, lets, rows, default, source, constants, row_source), problems


def _compile_lets(
    decision: Decision, inputs: frozenset[str], params: frozenset[str], problems: list[Problem]
) -> list[tuple[str, Checked]]:
    from engine.decisions.expr import RESERVED, Scope, check

    names = list(decision.let)
    lets: list[tuple[str, Checked]] = []
    for i, (name, expr) in enumerate(decision.let.items()):
        if not _NAME.match(name) or name in RESERVED or name in inputs:
            why = (
                "hides the input of that name"
                if name in inputs
                else "is reserved"
                if name in RESERVED
                else "is not a valid name"
            )
            problems.append(Problem.at(expr.pos, "E002", f"`let` name `{name}` {why}", "choose another name"))
            continue
        scope = Scope(inputs, frozenset(names[:i]), params, frozenset(names[i:]))
        checked, found = check(expr, scope)
        problems += found
        if checked is not None:
            lets.append((name, checked))
    return lets


def _compile_row(rule: Rule, scope: Any, problems: list[Problem]) -> _Row:
    from engine.decisions.expr import check

    when = None
    if rule.when is not None:
        when, found = check(rule.when, scope)
        problems += found
    return _Row(rule, when, _compile_outputs(rule.then, scope, problems))


def _compile_outputs(then: dict[str, Any], scope: Any, problems: list[Problem]) -> tuple[_Out, ...]:
    from engine.decisions.expr import check

    outs = []
    for name, value in then.items():
        if not isinstance(value, Expr):
            outs.append(_Out(name, value))
            continue
        checked, found = check(value, scope)
        problems += found
        if checked is not None:
            outs.append(_Out(name, None, checked))
    return tuple(outs)


def _constant(checked: Checked | None) -> tuple[bool, Any]:
    """(True, value) when an expression reads nothing and evaluates cleanly at compile time."""
    if checked is None or not checked.constant:
        return False, None
    try:
        return True, standalone(checked, "<constant>")({}, {}, "", {})
    except Exception:
        return False, None


def _check_folding(
    lets: list[tuple[str, Checked]], rows: list[_Row], default: tuple[_Out, ...] | None, problems: list[Problem]
) -> None:
    """D005 at validate time for an expression that reads nothing and can only fail (`1 // 0`,
    `[[0] * 100000] * 100000`, the bounded operators' limits) or give NaN or infinity, which no
    answer can carry: what `decide` and `test` would stop on, reported in the pull request."""
    checks = (
        [c for _, c in lets]
        + [r.when for r in rows if r.when is not None]
        + [o.checked for outs in [r.outputs for r in rows] + ([default] if default else []) for o in outs if o.checked]
    )
    for checked in checks:
        if checked is None or not checked.constant:
            continue
        try:
            value = standalone(checked, "<constant>")({}, {}, "", {})
        except (EvalError, MemoryError, RecursionError) as e:  # a limit: it could never be answered
            problems.append(
                Problem.at(
                    checked.expr.pos,
                    "D005",
                    f"the expression always fails: {_reason(e)}",
                    "the limits are in SECURITY.md",
                )
            )
            continue
        except Exception as e:
            problems.append(
                Problem.at(
                    checked.expr.pos,
                    "D005",
                    f"the expression always fails: {_reason(e)}",
                    "decisions reaching it answer with this problem",
                    "warning",
                )
            )
            continue
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(
                Problem.at(
                    checked.expr.pos,
                    "D005",
                    f"the expression is always `{value}`, which is not a number an answer can carry",
                    "check the arithmetic",
                )
            )


def _reason(e: BaseException) -> str:
    if isinstance(e, ZeroDivisionError):
        return "division by zero"
    if isinstance(e, RecursionError):
        return "nested too deeply"
    if isinstance(e, MemoryError):
        return "out of memory"
    return str(e) or "it cannot be evaluated"


def _unreachable(decision: Decision, rows: list[_Row], problems: list[Problem]) -> set[int]:
    """D002: rows below one that always matches (`first`), and rows whose `when` is always false."""
    never: set[int] = set()
    always: Rule | None = None
    for i, row in enumerate(rows):
        rule = row.rule
        if always is not None:
            problems.append(
                Problem.at(
                    rule.pos,
                    "D002",
                    f"row `{rule.id}` can never be reached: row `{always.id}` "
                    f"(line {always.pos.line}) above it always matches",
                    "move it above that row, or give that row a `when`",
                    "warning",
                )
            )
            never.add(i)
            continue
        known, value = _constant(row.when)
        if known and not value:
            problems.append(
                Problem.at(
                    rule.pos, "D002", f"row `{rule.id}` can never match: its `when` is always false", severity="warning"
                )
            )
            never.add(i)
        elif decision.hit == "first" and (rule.when is None or (known and value)):
            always = rule
    return never


def _check_constants(
    decision: Decision, rows: list[_Row], default: tuple[_Out, ...] | None, problems: list[Problem]
) -> None:
    """D003: constant outputs must fit the declared `outputs` schema."""
    if not decision.outputs:
        return
    from engine.schema.fastcheck import value_is_valid

    groups = [(row.rule.pos, f"row `{row.rule.id}`", row.outputs) for row in rows]
    if default is not None:
        groups.append((decision.pos, "`default`", default))
    for pos, where, outs in groups:
        for out in outs:
            schema = decision.outputs.get(out.name)
            known, value = (True, out.value) if out.checked is None else _constant(out.checked)
            if schema is None or not known or value_is_valid(schema, value):
                continue  # value_is_valid: certainly fits, no need to import jsonschema (~100 ms)
            import jsonschema

            try:
                error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(value))
            except jsonschema.exceptions.SchemaError:
                continue  # an invalid schema is reported by schema validation
            if error is not None:
                problems.append(
                    Problem.at(
                        out.checked.expr.pos if out.checked else pos,
                        "D003",
                        f"{where}: output `{out.name}` is `{json.dumps(value)}`, which does not fit "
                        f"the declared outputs: {error.message}",
                        "fix the value or the `outputs` schema",
                    )
                )


def _output_names(decision: Decision) -> tuple[str, ...]:
    """Every output name, declared ones first, then in the order rows name them."""
    names = dict.fromkeys(decision.outputs)
    for rule in decision.rules:
        names.update(dict.fromkeys(rule.then))
    names.update(dict.fromkeys(decision.default or {}))
    return tuple(names)


# --- generating the fast function ---------------------------------------------------------------


class _Lazy:
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


def _checked(outs: tuple[_Out, ...] | None) -> list[Checked]:
    return [o.checked for o in outs or () if o.checked is not None]


class _Emitter:
    """Lines of a generated function, with each `let` emitted where ``_Lazy`` says, and each input
    read the same way (right before the first code that reads it)."""

    def __init__(self, lets: list[tuple[str, Checked]], inputs: Any) -> None:
        self.lazy = _Lazy(lets)
        self.inputs = tuple(inputs)
        self.done: set[str] = set()  # computed on the straight path from the top

    def lets(self, exprs: Any, indent: str = "", branch: bool = False) -> list[str]:
        """Assignments of the inputs and lets ``exprs`` need that are not yet computed. ``branch``:
        inside a block that returns, so what it computes does not count for the code after it."""
        todo = [(n, c) for n, c in self.lazy.needs(exprs) if n not in self.done]
        read = set().union(*(c.names for c in exprs if c is not None), *(c.names for _, c in todo))
        reads = [n for n in self.inputs if n in read and n not in self.done]
        if not branch:
            self.done.update(reads, (n for n, _ in todo))
        return [f"{indent}{local(n)} = inputs.get({n!r})" for n in reads] + [
            f"{indent}{local(n)} = {c.python}" for n, c in todo
        ]


def _generate(
    decision: Decision,
    lets: list[tuple[str, Checked]],
    rows: list[_Row],
    default: tuple[_Out, ...] | None,
    never: set[int],
    constants: dict[str, Any],
) -> str:
    """The table as one function; see the module docstring for its shape."""
    prelude, live, emit = _start(decision, lets, rows, never)
    if decision.hit == "first":
        return _generate_first(decision, prelude, live, default, constants, emit)
    default_src = "None" if default is None else _dict_source(default, constants)
    body = ["hits = []"]
    if decision.hit == "collect":
        for i, row in live:
            # the block does not return: the lets its outputs need are computed before it, once
            body += emit.lets([row.when, *_checked(row.outputs)])
            add = f"hits.append(({i}, {_dict_source(row.outputs, constants)}))"
            body += [add] if row.when is None else [f"if {row.when.python}:", f"    {add}"]
        body += ["if hits:", "    return hits, None", *emit.lets(_checked(default)), f"return hits, {default_src}"]
    else:  # unique: find all matches first, so a conflict is reported before any output is computed
        for i, row in live:
            body += emit.lets([row.when])
            body += [f"hits.append({i})"] if row.when is None else [f"if {row.when.python}:", f"    hits.append({i})"]
        # generated code has no builtins (no `len`): `hits[1:]` is "more than one"
        body += [
            "if not hits:",
            *emit.lets(_checked(default), "    ", branch=True),
            f"    return hits, {default_src}",
            "if hits[1:]:",
            "    return hits, None",
            "hit = hits[0]",
        ]
        for i, row in live:
            body += [
                f"if hit == {i}:",
                *emit.lets(_checked(row.outputs), "    ", branch=True),
                f"    return hits, {_dict_source(row.outputs, constants)}",
            ]
        body.append("return hits, None")
    return "\n".join(["def _decide(inputs, params, at):"] + [f"    {line}" for line in prelude + body])


def _generate_row_of(
    decision: Decision,
    lets: list[tuple[str, Checked]],
    rows: list[_Row],
    default: tuple[_Out, ...] | None,
    never: set[int],
) -> str | None:
    """A `first` table's ``row_of``: ``_generate``'s code returning the deciding row's index."""
    prelude, live, emit = _start(decision, lets, rows, never)
    return _generate_rows(prelude, live, default, emit)


def _start(
    decision: Decision, lets: list[tuple[str, Checked]], rows: list[_Row], never: set[int]
) -> tuple[list[str], list[tuple[int, _Row]], _Emitter]:
    prelude: list[str] = []  # inputs are read where first needed, as lets are computed
    live = [(i, r) for i, r in enumerate(rows) if i not in never]
    emit = _Emitter(lets, (n for n in decision.inputs if n not in decision.let))
    return prelude, live, emit


def _generate_first(
    decision: Decision,
    prelude: list[str],
    live: list[tuple[int, _Row]],
    default: tuple[_Out, ...] | None,
    constants: dict[str, Any],
    emit: _Emitter,
) -> str:
    """A `first` table returns its DecisionResult itself: evaluating is then a single call."""

    def result(outputs: str, rule: Rule | None) -> str:
        head = (
            "(), (), " + ("False" if outputs == "None" else "True")
            if rule is None
            else f"({rule.id!r},), ({rule.reason!r},), False"
        )
        return f"return _new(_DR, ({decision.id!r}, {'{}' if outputs == 'None' else outputs}, {head}, (), (_self, inputs, params, at)))"

    body = list(prelude)
    for _, row in live:
        body += emit.lets([row.when])
        if row.when is None:
            body += emit.lets(_checked(row.outputs))
            body.append(result(_dict_source(row.outputs, constants), row.rule))
            break
        body += [
            f"if {row.when.python}:",
            *emit.lets(_checked(row.outputs), "    ", branch=True),
            "    " + result(_dict_source(row.outputs, constants), row.rule),
        ]
    else:
        body += emit.lets(_checked(default))
        body.append(result("None" if default is None else _dict_source(default, constants), None))
    lines = ["def _evaluate(inputs, params, at):", "    try:"] + [f"        {line}" for line in body]
    # any failure of policy code becomes a D005, located by the explaining path
    return "\n".join(lines + ["    except _Error as error:", "        return _failed(inputs, params, at, error)"])


def _constant_outputs(outs: tuple[_Out, ...] | None) -> bool:
    return all(out.checked is None for out in outs or ())


def _generate_rows(
    prelude: list[str], live: list[tuple[int, _Row]], default: tuple[_Out, ...] | None, emit: _Emitter
) -> str | None:
    """``row_of`` of a `first` table: ``_generate_first``'s function with the same prelude and
    conditions in the same order, returning the deciding row's index instead of building a result;
    None for a row that computes an output (its lets are not computed), and on any failure
    (``evaluate`` then says what). No function at all when no row has constant outputs: it would
    only ever say None, after paying for the conditions."""
    if not any(_constant_outputs(row.outputs) for _, row in live) and not (
        _constant_outputs(default) and all(row.when is not None for _, row in live)
    ):
        return None

    def index(outs: tuple[_Out, ...] | None, i: int) -> str:
        return f"return {i}" if _constant_outputs(outs) else "return None"

    body = list(prelude)
    for i, row in live:
        body += emit.lets([row.when])
        if row.when is None:
            body.append(index(row.outputs, i))
            break
        body += [f"if {row.when.python}:", "    " + index(row.outputs, i)]
    else:
        body.append(index(default, -1))
    lines = ["def _row(inputs, params, at):", "    try:"] + [f"        {line}" for line in body]
    return "\n".join(lines + ["    except _Error:", "        return None"])


def _no(value: Any) -> bool:
    return False


def _dict_source(outs: tuple[_Out, ...], constants: dict[str, Any]) -> str:
    items = []
    for out in outs:
        # a literal builds a fresh object per call, so callers may keep or change the outputs
        value = out.checked.python if out.checked is not None else literal(out.value)
        if value is None:  # no literal form (infinity, say): pass the object in as a global
            value = f"_k{len(constants)}"
            constants[value] = out.value
        items.append(f"{out.name!r}: {value}")
    return "{" + ", ".join(items) + "}"


# --- input validation ----------------------------------------------------------------------------
