"""Decisions: hit policies, static checks, evaluation errors, input validation and explanations.

Decisions are built directly from engine.model.policy; positions are made-up lines of `d.yaml`.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import engine
from engine.decisions.compile import CompiledDecision, DecisionResult, compile_decision
from engine.decisions.inputs import InputChecker
from engine.model.policy import Decision, Expr, HitPolicy, Rule
from engine.policytests import cases as testing
from engine.problems import Pos
from support import MINI, ROOT

FILE = "d.yaml"
BANDS = [
    {"tier": 1, "over": None, "up_to": 5, "fee": 0.10},
    {"tier": 2, "over": 5, "up_to": 15, "fee": 0.25},
    {"tier": 3, "over": 15, "up_to": 30, "fee": 0.50},
    {"tier": 4, "over": 30, "up_to": None, "fee": 0.70},
]
PARAMS = {"min_units": 100, "default_fee": 0.30, "fee_tiers": BANDS}
PARAM_NAMES = set(PARAMS)
AT = "2024-03-01"


def pos(line: int) -> Pos:
    return Pos(FILE, line, 5)


def e(source: str, line: int = 1) -> Expr:
    return Expr(source, pos(line))


def rule(id: str, when: str | None, then: dict[str, Any], line: int, reason: str = "") -> Rule:
    return Rule(id, None if when is None else e(when, line + 1), then, reason or f"because {id}", pos(line))


def decision(
    rules: list[Rule],
    *,
    hit: HitPolicy = "first",
    let: dict[str, Expr] | None = None,
    inputs: dict[str, Any] | None = None,
    required: tuple[str, ...] = (),
    default: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
) -> Decision:
    return Decision(
        id="d",
        program="p",
        title="t",
        description="",
        inputs=inputs or {"x": {"type": "number"}},
        required=required,
        let=let or {},
        hit=hit,
        rules=tuple(rules),
        default=default,
        outputs=outputs or {},
        file=FILE,
        pos=pos(1),
    )


def compiled(d: Decision) -> CompiledDecision:
    c, problems = compile_decision(d, PARAM_NAMES)
    assert c is not None and not [p for p in problems if p.severity == "error"], problems
    return c


def fee_decision() -> Decision:
    """The fee table of docs/writing-policies.md, with the outputs it declares."""
    return decision(
        [
            rule(
                "too_few_units",
                "units <= params.min_units",
                {"fee_per_unit": e("params.default_fee", 12), "basis": "default"},
                10,
                "too few units",
            ),
            rule(
                "by_tier",
                None,
                {
                    "tier": e("tier(params.fee_tiers, cpu).tier", 16),
                    "fee_per_unit": e("tier(params.fee_tiers, cpu).fee", 17),
                    "basis": "tier",
                },
                14,
                "by tier",
            ),
        ],
        let={"cpu": e("contacts / units * 100 if units > 0 else none", 8)},
        inputs={"units": {"type": "integer", "minimum": 0}, "contacts": {"type": "integer", "minimum": 0}},
        required=("units", "contacts"),
        default={"basis": "none"},
        outputs={"basis": {"enum": ["default", "tier", "trial", "none"]}},
    )


# --- the fee table and its tier boundaries -------------------------------------------------------


@pytest.mark.parametrize(
    ("units", "contacts", "tier", "fee"),
    [
        (1000, 50, 1, 0.10),
        (10000, 501, 2, 0.25),
        (1000, 150, 2, 0.25),
        (1000, 151, 3, 0.50),
        (1000, 300, 3, 0.50),
        (1000, 301, 4, 0.70),
        (1000, 0, 1, 0.10),
    ],
)
def test_fee_table_tiers(units: int, contacts: int, tier: int, fee: float) -> None:
    result = compiled(fee_decision()).evaluate({"units": units, "contacts": contacts}, PARAMS, AT)
    assert result.ok and result.matches == ("by_tier",) and result.reasons == ("by tier",)
    assert result.outputs == {"tier": tier, "fee_per_unit": fee, "basis": "tier"}


def test_fee_table_first_row_wins() -> None:
    result = compiled(fee_decision()).evaluate({"units": 100, "contacts": 50}, PARAMS, AT)
    assert result.outputs == {"fee_per_unit": 0.30, "basis": "default"}
    assert result.matches == ("too_few_units",) and not result.default_used


def test_generated_function_is_one_if_chain() -> None:
    c = compiled(fee_decision())
    assert c.source.splitlines()[:4] == [
        "def _evaluate(inputs, params, at):",
        "    try:",
        "        v_units = inputs.get('units')",
        "        if (v_units <= params['min_units']):",
    ]
    # what only later rows read is read after the rows above them: `contacts`, then the `let`
    assert c.source.index("v_contacts = inputs.get('contacts')") < c.source.index("v_cpu = ")
    assert c.source.index("if (v_units <= params['min_units'])") < c.source.index("v_contacts = ")
    assert c.source.count("return _DR(") == 2  # the unconditional row ends the chain: no default branch
    assert c.evaluate.__name__ == "_evaluate"  # no wrapper around the generated function


# --- hit policies --------------------------------------------------------------------------------

ROWS = [
    rule("small", "x < 10", {"size": "small", "n": e("x * 2", 3)}, 2),
    rule("even", "x % 2 == 0", {"size": "even"}, 5),
    rule("big", "x > 100", {"size": "big"}, 8),
]


@pytest.mark.parametrize(
    ("hit", "x", "outputs", "matches", "default_used"),
    [
        ("first", 4, {"size": "small", "n": 8}, ("small",), False),
        ("first", 200, {"size": "even"}, ("even",), False),
        ("first", 51, {"size": "none"}, (), True),
        ("collect", 4, {"size": ["small", "even"], "n": [8, None]}, ("small", "even"), False),
        ("collect", 201, {"size": ["big"]}, ("big",), False),
        ("collect", 51, {"size": "none"}, (), True),
        ("unique", 3, {"size": "small", "n": 6}, ("small",), False),
        ("unique", 51, {"size": "none"}, (), True),
    ],
)
def test_hit_policies(
    hit: HitPolicy, x: int, outputs: dict[str, Any], matches: tuple[str, ...], default_used: bool
) -> None:
    result = compiled(decision(ROWS, hit=hit, default={"size": "none"})).evaluate({"x": x}, PARAMS, AT)
    assert (result.outputs, result.matches, result.default_used, result.problems) == (
        outputs,
        matches,
        default_used,
        (),
    )
    assert result.reasons == tuple(f"because {m}" for m in matches)


def test_no_match_without_default_gives_no_outputs() -> None:
    for hit in ("first", "collect", "unique"):
        result = compiled(decision(ROWS, hit=hit)).evaluate({"x": 51}, PARAMS, AT)
        assert (result.outputs, result.matches, result.default_used, result.ok) == ({}, (), False, True)


def test_unique_conflict_is_a_d001_result_naming_both_rows() -> None:
    c = compiled(decision(ROWS, hit="unique", default={"size": "none"}))
    result = c.evaluate({"x": 4}, PARAMS, AT)
    assert not result.ok and result.outputs == {} and result.matches == ("small", "even")
    [problem] = result.problems
    assert (problem.code, problem.file, problem.line) == ("D001", FILE, 5)
    assert "`small` (line 2)" in problem.message and "`even` (line 5)" in problem.message


def test_unique_conflict_wins_over_a_failing_output() -> None:
    rows = [rule("a", "x > 0", {"v": e("1 / 0", 3)}, 2), rule("b", "x > 1", {"v": 2}, 5)]
    result = compiled(decision(rows, hit="unique")).evaluate({"x": 5}, PARAMS, AT)
    assert [p.code for p in result.problems] == ["D001"]


def test_let_values_are_visible_in_outputs() -> None:
    d = decision([rule("r", None, {"y": e("double + 1", 3), "d": e("double", 4)}, 2)], let={"double": e("x * 2")})
    assert compiled(d).evaluate({"x": 4}, PARAMS, AT).outputs == {"y": 9, "d": 8}


def test_optional_inputs_read_as_none_and_defined_means_given() -> None:
    d = decision([rule("given", "x is defined", {"v": e("x", 3)}, 2), rule("absent", "x is none", {"v": "none"}, 5)])
    c = compiled(d)
    assert c.evaluate({"x": 3}, PARAMS, AT).matches == ("given",)
    assert c.evaluate({}, PARAMS, AT).matches == ("absent",)


def test_outputs_are_fresh_objects_per_answer() -> None:
    c = compiled(decision([rule("r", None, {"list": [1, 2], "map": {"a": [1]}}, 2)]))
    first = c.evaluate({"x": 1}, PARAMS, AT)
    first.outputs["list"].append(3)
    first.outputs["map"]["a"].append(2)
    assert c.evaluate({"x": 1}, PARAMS, AT).outputs == {"list": [1, 2], "map": {"a": [1]}}


def test_at_and_date_helpers_in_a_decision() -> None:
    d = decision(
        [rule("late", "after(at, add_days(x, 30))", {"late": True}, 2)],
        inputs={"x": {"type": "string"}},
        default={"late": False},
    )
    c = compiled(d)
    assert c.evaluate({"x": "2024-01-15"}, PARAMS, "2024-03-01").outputs == {"late": True}
    assert c.evaluate({"x": "2024-02-15"}, PARAMS, "2024-03-01").outputs == {"late": False}


# --- static checks -------------------------------------------------------------------------------


def problems_of(d: Decision) -> list[tuple[str, int, str]]:
    c, problems = compile_decision(d, PARAM_NAMES)
    assert (c is None) == any(p.severity == "error" for p in problems)
    return [(p.code, p.line, p.severity) for p in problems]


def test_rows_after_an_unconditional_row_are_unreachable() -> None:
    d = decision(
        [
            rule("a", "x > 1", {"v": 1}, 2),
            rule("all", None, {"v": 2}, 5),
            rule("b", "x > 2", {"v": 3}, 8),
            rule("c", None, {"v": 4}, 11),
        ]
    )
    assert problems_of(d) == [("D002", 8, "warning"), ("D002", 11, "warning")]
    c, problems = compile_decision(d, PARAM_NAMES)
    assert c is not None and "row `all` (line 5)" in problems[0].message
    assert "x > 2" not in c.source  # unreachable rows are not even generated


@pytest.mark.parametrize(("when", "expected"), [("true", [8]), ("1 == 1", [8]), ("false", [5]), ("1 > 2", [5])])
def test_constant_conditions(when: str, expected: list[int]) -> None:
    d = decision([rule("a", "x > 1", {"v": 1}, 2), rule("const", when, {"v": 2}, 5), rule("b", "x > 2", {"v": 3}, 8)])
    assert [line for code, line, _ in problems_of(d) if code == "D002"] == expected


def test_collect_tables_have_no_unreachable_rows() -> None:
    d = decision([rule("all", None, {"v": 2}, 2), rule("b", "x > 2", {"v": 3}, 5)], hit="collect")
    assert problems_of(d) == []
    assert compiled(d).evaluate({"x": 3}, PARAMS, AT).outputs == {"v": [2, 3]}


def test_constant_outputs_must_fit_the_outputs_schema() -> None:
    outputs = {"basis": {"enum": ["default", "tier"]}, "fee": {"type": "number", "minimum": 0}}
    d = decision(
        [
            rule("a", "x > 1", {"basis": "tierz", "fee": -1}, 2),
            rule("b", "x > 2", {"fee": e("'free'", 6)}, 5),
            rule("ok", None, {"basis": "tier", "fee": e("x * 2", 9)}, 8),
        ],
        default={"basis": "nope"},
        outputs=outputs,
    )
    assert problems_of(d) == [("D003", 1, "error"), ("D003", 2, "error"), ("D003", 2, "error"), ("D003", 6, "error")]
    _, problems = compile_decision(d, PARAM_NAMES)
    assert any('`"tierz"`' in p.message and "row `a`" in p.message for p in problems)
    # in JSON's words: it said "True was expected" and "'no' is not of type 'boolean'"
    said = sorted(p.message.split("declared outputs: ")[1] for p in problems)
    assert said == [
        '`"nope"` is not one of `"default"`, `"tier"`',
        '`"tierz"` is not one of `"default"`, `"tier"`',
        "expected at least 0, got `-1`",
        'expected number, got string `"free"`',
    ], said


@pytest.mark.parametrize(
    ("schema", "value", "said"),
    [
        ({"const": True}, False, "expected `true`, got `false`"),
        ({"type": "boolean"}, "no", 'expected boolean, got string `"no"`'),
    ],
)
def test_an_output_that_does_not_fit_is_said_in_jsons_words(
    schema: dict[str, object], value: object, said: str
) -> None:
    d = decision([rule("a", None, {"v": value}, 2)], outputs={"v": schema})
    _, problems = compile_decision(d, PARAM_NAMES)
    assert [p.message for p in problems] == [
        f"row `a`: output `v` is `{json.dumps(value)}`, which does not fit the declared outputs: {said}"
    ]


def test_let_used_before_its_definition() -> None:
    d = decision([rule("r", None, {"v": e("b", 9)}, 8)], let={"a": e("b + 1", 3), "b": e("x", 4)})
    _, problems = compile_decision(d, PARAM_NAMES)
    assert [(p.code, p.line) for p in problems] == [("E002", 3)]
    assert problems[0].message == "`b` is used before its `let` definition"


def test_a_let_that_reads_itself_says_so() -> None:
    """It said "used before its `let` definition", hint "move it below the definition of `total`"."""
    d = decision([rule("r", None, {"v": e("total", 9)}, 8)], let={"total": e("total + 1", 3)})
    _, problems = compile_decision(d, PARAM_NAMES)
    assert [(p.code, p.line, p.message) for p in problems] == [("E002", 3, "`total` is defined from itself")]
    assert "above it" in problems[0].hint


@pytest.mark.parametrize(
    ("name", "why"), [("x", "hides the input"), ("params", "reserved"), ("at", "reserved"), ("_x", "not a valid name")]
)
def test_bad_let_names(name: str, why: str) -> None:
    _, problems = compile_decision(decision([rule("r", None, {"v": 1}, 8)], let={name: e("1", 3)}), PARAM_NAMES)
    assert [p.code for p in problems] == ["E002"] and why in problems[0].message


def test_expression_problems_are_collected_across_the_table() -> None:
    d = decision(
        [rule("a", "y > 1", {"v": e("params.min_unit", 4)}, 2), rule("b", "x ? 1", {"v": e("x.__class__", 7)}, 5)],
        let={"z": e("lipsum()", 1)},
    )
    assert [(p.code, p.line) for p in compile_decision(d, PARAM_NAMES)[1]] == [
        ("E002", 1),
        ("E002", 3),
        ("E004", 4),
        ("E001", 6),
        ("E003", 7),
    ]


# --- evaluation errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "let", "inputs", "line", "words"),
    [
        (
            [rule("r", None, {"v": e("x / 0", 3)}, 2)],
            {},
            {"x": 1},
            3,
            ["row `r`, output `v`", "`x / 0`", "division by zero"],
        ),
        (
            [rule("r", "x > 5", {"v": 1}, 2)],
            {},
            {},
            3,
            ["row `r`, `when`", "`>` is not supported between none and number"],
        ),
        ([rule("r", None, {"v": e("tier(params.fee_tiers, x).fee", 3)}, 2)], {}, {}, 3, ["cannot read `fee` of none"]),
        (
            [rule("r", None, {"v": e("bad", 3)}, 2)],
            {"bad": e("'a' * (x * 10**9)", 7)},
            {"x": 1},
            7,
            ["`let` `bad`", "result too large"],
        ),
        ([rule("r", None, {"v": e("date(x)", 3)}, 2)], {}, {"x": 5}, 3, ["must be an ISO date"]),
    ],
)
def test_evaluation_errors_become_d005_results(
    rows: list[Rule], let: dict[str, Expr], inputs: dict[str, Any], line: int, words: list[str]
) -> None:
    c = compiled(decision(rows, let=let, inputs={"x": {}}))
    result = c.evaluate(inputs, PARAMS, AT)
    assert not result.ok and result.outputs == {}
    [problem] = result.problems
    assert (problem.code, problem.file, problem.line) == ("D005", FILE, line)
    for word in words:
        assert word in problem.message


GUARD = "or test `{0} is not none` before using it"
# (output expression, `let` values, inputs): what a D005 about none adds to its message, and its hint.
# Before, "unsupported operand types for -: none and number" named neither the value nor a cause.
NONE_OPERANDS = {
    "a misspelt key": (
        "band.fe * 2",
        {"band": "tier(params.fee_tiers, x)"},
        {"x": 3},
        "`band.fe` is none",
        "`band` has no key `fe` (its keys: `fee`, `over`, `tier`, `up_to`), and a key that is not there reads"
        " as none: did you mean `band.fee`?",
    ),
    "an input not given": (
        "x - 1",
        {},
        {},
        "`x` is none",
        "the input `x` was not given (or is null): give it, " + GUARD.format("x"),
    ),
    "a let that is none": (
        "y + 1",
        {"y": "x if x > 5 else none"},
        {"x": 1},
        "`y` is none",
        "the `let` `y` is none for this input: check what it reads, " + GUARD.format("y"),
    ),
    "a key of none": (
        "tier(params.fee_tiers, x).fee",
        {},
        {},
        "`tier(params.fee_tiers, x)` is none",
        "a misspelt key, an input not given or a parameter without a value reads as none: check what"
        " `tier(params.fee_tiers, x)` reads, " + GUARD.format("tier(params.fee_tiers, x)"),
    ),
    "an index past the end": (
        "params.fee_tiers[7].fee",
        {},
        {},
        "`params.fee_tiers[7]` is none",
        "`params.fee_tiers` has 4 items, and an index past its end reads as none: check the index, "
        + GUARD.format("params.fee_tiers[7]"),
    ),
    # the branch not taken is not blamed, though its key is misspelt
    "only what ran": (
        "(params.fee_tiers[0].fe - 1) if x is not none else x * 2",
        {},
        {},
        "`x` is none",
        "the input `x` was not given (or is null): give it, " + GUARD.format("x"),
    ),
    "a part that is not a name": (
        "(x or none) - 1",
        {},
        {"x": 0},
        "a value it uses is none",
        "a misspelt key, an input not given or a parameter without a value reads as none: check the names"
        " the expression reads, or test a value with `is not none` before using it",
    ),
}


@pytest.mark.parametrize(("expr", "let", "inputs", "named", "hint"), NONE_OPERANDS.values(), ids=NONE_OPERANDS.keys())
def test_a_d005_about_none_names_the_value_and_hints_why(
    expr: str, let: dict[str, str], inputs: dict[str, Any], named: str, hint: str
) -> None:
    lets = {name: e(source, 2) for name, source in let.items()}
    c = compiled(decision([rule("r", None, {"v": e(expr, 4)}, 3)], let=lets, inputs={"x": {}}))
    [problem] = c.evaluate(inputs, PARAMS, AT).problems
    assert (problem.code, problem.line) == ("D005", 4)
    assert problem.message.endswith(f"; {named}") and problem.hint == hint, problem


def test_a_d005_not_about_none_has_no_such_words() -> None:
    [problem] = compiled(decision([rule("r", None, {"v": e("x / 0", 4)}, 3)])).evaluate({"x": 1}, PARAMS, AT).problems
    assert problem.message.endswith("failed: division by zero") and problem.hint == ""


# --- `let` values are computed only when a row that runs needs them --------------------------------

TRIAL_INPUTS = {"in_trial": {"type": "boolean"}, "units": {"type": "integer"}, "contacts": {"type": "integer"}}
# `ratio` divides by `units`, which is zero only for sellers in the trial
TRIAL_LETS = {
    "ratio": e("contacts * 100 / units", 4),
    "band": e("tier(params.fee_tiers, ratio)", 5),
    "fee": e("band.fee", 6),
}


def trial_first(hit: HitPolicy = "first") -> Decision:
    return decision(
        [
            rule("trial", "in_trial", {"fee": 0, "units": e("units", 9)}, 8),
            rule("tiered", "ratio >= 0", {"fee": e("fee", 11), "tier": e("band.tier", 12)}, 10),
        ],
        hit=hit,
        let=TRIAL_LETS,
        inputs=TRIAL_INPUTS,
        default={"fee": e("fee * 2", 14)},
    )


@pytest.mark.parametrize("hit", ["first", "unique"])
def test_a_row_that_answers_first_does_not_pay_for_lets_below_it(hit: HitPolicy) -> None:
    c = compiled(trial_first(hit))
    result = c.decide({"in_trial": True, "units": 0, "contacts": 3}, PARAMS, AT)
    if hit == "unique":  # every condition is tried: `ratio` fails in the second row's condition
        assert [p.code for p in result.problems] == ["D005"] and "`let` `ratio`" in result.problems[0].message
        return
    assert result.ok and result.outputs == {"fee": 0, "units": 0} and result.matches == ("trial",)
    explanation = result.explain()
    assert explanation.result == result and explanation.lets == {}
    assert [(r.id, r.matched) for r in explanation.rows] == [("trial", True)]


@pytest.mark.parametrize("hit", ["first", "unique", "collect"])
def test_a_let_fails_where_a_row_that_runs_needs_it(hit: HitPolicy) -> None:
    c = compiled(trial_first(hit))
    result = c.decide({"in_trial": False, "units": 0, "contacts": 3}, PARAMS, AT)
    [problem] = result.problems
    assert (problem.code, problem.line) == ("D005", 4) and "`let` `ratio`" in problem.message
    assert "division by zero" in problem.message
    explanation = result.explain()
    assert explanation.result == result
    assert [(r.id, r.matched) for r in explanation.rows] == [("trial", False), ("tiered", None)]


@pytest.mark.parametrize("hit", ["first", "unique", "collect"])
def test_lets_needed_by_outputs_are_computed_with_their_dependencies(hit: HitPolicy) -> None:
    c = compiled(trial_first(hit))
    result = c.decide({"in_trial": False, "units": 1000, "contacts": 50}, PARAMS, AT)
    expected = {"fee": [0.10], "tier": [1]} if hit == "collect" else {"fee": 0.10, "tier": 1}
    assert result.ok and result.outputs == expected
    explanation = result.explain()
    assert explanation.result == result
    assert explanation.lets == {"ratio": 5.0, "band": BANDS[0], "fee": 0.10}  # in definition order
    assert list(explanation.lets) == ["ratio", "band", "fee"]


def test_the_default_computes_the_lets_it_needs() -> None:
    c = compiled(
        decision(
            [rule("trial", "in_trial", {"fee": 0}, 8)],
            let=TRIAL_LETS,
            inputs=TRIAL_INPUTS,
            default={"fee": e("fee * 2", 14)},
        )
    )
    assert c.decide({"in_trial": True, "units": 0, "contacts": 3}, PARAMS, AT).outputs == {"fee": 0}
    assert c.decide({"in_trial": False, "units": 10, "contacts": 3}, PARAMS, AT).outputs == {"fee": 1.0}  # tier 3
    failed = c.decide({"in_trial": False, "units": 0, "contacts": 3}, PARAMS, AT)
    assert [p.line for p in failed.problems] == [4] and failed.explain().result == failed


@pytest.mark.parametrize("hit", ["first", "unique", "collect"])
def test_each_let_is_computed_at_most_once_on_any_path(hit: HitPolicy) -> None:
    import ast

    def walk(body: list[ast.stmt], done: frozenset[str]) -> None:
        for statement in body:
            # generated assignments are to one name: targets[0] is an ast.Name
            if isinstance(statement, ast.Assign) and statement.targets[0].id.startswith("v_"):  # type: ignore[attr-defined]
                name = statement.targets[0].id  # type: ignore[attr-defined]
                assert name not in done, f"{name} computed twice:\n{c.source}"
                done |= {name}
            for block in ("body", "orelse", "handlers", "finalbody"):
                if isinstance(statement, (ast.If, ast.Try, ast.FunctionDef)):
                    walk(getattr(statement, block, []), done)

    c = compiled(trial_first(hit))
    walk(ast.parse(c.source).body, frozenset())
    assert all(f"v_{name} = " in c.source for name in TRIAL_LETS)


def test_row_of_is_not_generated_when_every_row_computes_an_output() -> None:
    assert compiled(trial_first()).row_source is None
    assert compiled(decision([rule("a", "x > 1", {"v": 1}, 2)], default={"v": e("x", 4)})).row_source is not None


def test_a_missing_parameter_value_is_d005() -> None:
    c = compiled(fee_decision())
    result = c.evaluate({"units": 5, "contacts": 1}, {"default_fee": 0.3}, AT)
    assert [p.code for p in result.problems] == ["D005"] and "no value for parameter `min_units`" in result.problems[
        0
    ].message


def test_non_mapping_inputs_do_not_crash() -> None:
    result = compiled(fee_decision()).evaluate("units=5", PARAMS, AT)  # type: ignore[arg-type]  # wrong on purpose
    assert not result.ok


# --- fast and explaining paths agree -------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(st.none(), st.integers(-5, 20000)),
    st.one_of(st.none(), st.integers(0, 5000), st.just("ten")),
    st.sampled_from(["first", "collect", "unique"]),
)
def test_fast_path_and_explaining_path_agree(units: Any, contacts: Any, hit: HitPolicy) -> None:
    base = fee_decision()
    rows = (*base.rules[:1], rule("many", "contacts > 400", {"basis": "tier"}, 20), *base.rules[1:])
    c = compiled(base.replace(hit=hit, rules=rows))
    inputs = {k: v for k, v in (("units", units), ("contacts", contacts)) if v is not None}
    fast = c.evaluate(inputs, PARAMS, AT)
    slow = c.explain(inputs, PARAMS, AT).result
    assert fast == slow


# Edge tables: each hit policy, rows whose `when` is always false (D002: the answer skips them) or
# false for some inputs, `let`s and outputs that fail for some inputs (`x` zero, three, missing,
# text), a default that fails, aggregates. The explanation must explain the answer: the same
# matches, outputs and problems (a `let` computed where the answer computes it), and the rows it
# lists matched as the answer's matches say (where it fails first: test_a_collect_tables_explanation_fails_...).
EDGE_LETS = {"ratio": e("100 // x", 90), "half": e("ratio / 2", 91), "off": e("10 // (x - 3)", 92)}
EDGE_WHENS = [
    None,
    "false",
    "false",
    "true",
    "x > 2",
    "ratio > 10",
    "half < 30",
    "x == 0",
    "off > 1",
    "x ~ 'a' == '0a'",
]
EDGE_OUTPUTS = [1, "ratio", "half + off", "x * 2", "100 // x", "half"]  # (1: a constant)


@st.composite
def edge_tables(draw: st.DrawFn) -> Decision:
    hit: HitPolicy = draw(st.sampled_from(["first", "collect", "unique"]))
    rows = [
        rule(f"r{k}", when, {"v": e(out, 3 * k + 3) if isinstance(out, str) else out}, 3 * k + 2)
        for k, (when, out) in enumerate(
            draw(
                st.lists(st.tuples(st.sampled_from(EDGE_WHENS), st.sampled_from(EDGE_OUTPUTS)), min_size=1, max_size=4)
            )
        )
    ]
    default = draw(st.sampled_from([None, {"v": 0}, {"v": e("ratio", 80)}]))
    aggregate = draw(st.sampled_from([None, {"v": "sum"}, {"v": "count"}, {"v": "max"}])) if hit == "collect" else None
    return decision(rows, hit=hit, let=EDGE_LETS, default=default).replace(aggregate=aggregate)


EDGE_INPUTS: list[dict[str, Any]] = [
    {"x": 0},
    {"x": 3},
    {"x": 5},
    {"x": 50},
    {"x": -1},
    {},
    {"x": "ten"},
]  # (unchecked: `evaluate`)
# a `collect` table's row that is always false, whose output reads a `let` that fails for `x` 0:
# the answer skips the row, and explaining it computed the `let` (D005) where the answer answered
SKIPPED = decision(
    [rule("never", "false", {"v": e("ratio", 3)}, 2), rule("always", "x >= 0", {"v": 1}, 5)],
    hit="collect",
    let=EDGE_LETS,
)


@settings(max_examples=300, deadline=None)
@given(edge_tables())
@example(SKIPPED)
@example(SKIPPED.replace(rules=SKIPPED.rules[:1], default={"v": 0}))
@example(SKIPPED.replace(hit="unique"))
@example(SKIPPED.replace(rules=SKIPPED.rules[::-1], hit="first"))
def test_an_edge_tables_explanation_is_its_answer(table: Decision) -> None:
    c, problems = compile_decision(table, PARAM_NAMES)
    assert c is not None, problems
    for inputs in EDGE_INPUTS:
        answer = c.evaluate(inputs, PARAMS, AT)
        explained = c.explain(inputs, PARAMS, AT)
        assert explained.result == answer, inputs
        # (the answer fell back on the explaining path and that did not fail: said so, never hidden)
        assert not [p for p in answer.problems if "failed while evaluating" in p.message], inputs
        if answer.ok:
            assert [r.id for r in explained.rows if r.matched] == list(answer.matches), inputs
            assert None not in [r.matched for r in explained.rows], inputs
        checked = c.decide(inputs, PARAMS, AT)
        assert checked.explain().result == checked, inputs


REPOSITORIES = [ROOT / "policies", ROOT / "engine" / "starter" / "policies", MINI]


@pytest.mark.parametrize("policies", REPOSITORIES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_decisions_explanation_is_its_answer(policies: Path) -> None:
    """Every decision of the repositories shipped (ours, the starter's, the corpus's), asked its
    test cases' inputs and each input changed to values policies fail on (zero, negative, huge,
    none, text, missing): explained, the same answer, checked inputs (`decide`) or not (`evaluate`)."""
    repo = engine.load(str(policies))
    cases = testing.cases(repo)
    assert {(c.program, c.decision) for c in cases} == {
        (p.id, d) for p in repo.programs.values() for d in p.decisions
    }  # (every decision asked)
    for case in cases:
        c = repo.compiled(case.program, case.decision)
        params = repo.params(case.program, case.marketplace, case.at)
        changed = [{**case.input, name: v} for name in case.input for v in (0, -1, 10**6, None, "ten")]
        missing = [{k: v for k, v in case.input.items() if k != name} for name in case.input]
        for inputs in [case.input, {}, *changed, *missing]:
            answer = c.evaluate(inputs, params, case.at)
            assert c.explain(inputs, params, case.at).result == answer, (case.name, inputs)
            assert not [p for p in answer.problems if "failed while evaluating" in p.message], (case.name, inputs)
            checked = c.decide(inputs, params, case.at)
            assert checked.explain().result == checked, (case.name, inputs)


# --- input validation ----------------------------------------------------------------------------

INPUTS = {
    "units": {"type": "integer", "minimum": 0, "description": "units shipped"},
    "share": {"type": "number", "exclusiveMaximum": 1},
    "marketplace": {"type": "string", "enum": ["us", "de"]},
    "code": {"type": "string", "pattern": "^[A-Z]{2}$", "maxLength": 2},
    "since": {"type": "string", "format": "date"},
    "at": {"type": "string", "format": "date-time"},
    "flag": {"type": ["boolean", "null"]},
}


@pytest.mark.parametrize(
    ("inputs", "messages"),
    [
        ({"units": 3, "marketplace": "us"}, []),
        ({"units": 3.0, "marketplace": "us", "flag": None, "since": "2024-02-29", "at": "2024-03-01T10:00:00Z"}, []),
        ({"units": "ten", "marketplace": "us"}, ['/units: expected integer, got string `"ten"`']),
        ({"units": True, "marketplace": "us"}, ["/units: expected integer, got boolean `true`"]),
        ({"units": -1, "marketplace": "us"}, ["/units: expected at least 0, got `-1`"]),
        ({"units": 1, "marketplace": "fr"}, ['/marketplace: expected one of `"us"`, `"de"`, got `"fr"`']),
        ({"units": 1, "marketplace": "us", "share": 1}, ["/share: expected less than 1, got `1`"]),
        ({"units": 1, "marketplace": "us", "code": "u1"}, ['/code: expected text matching `^[A-Z]{2}$`, got `"u1"`']),
        ({"units": 1, "marketplace": "us", "code": "USA"}, ['/code: expected at most 2 characters, got `"USA"`']),
        (
            {"units": 1, "marketplace": "us", "since": "2024-02-30"},
            ['/since: expected a date (YYYY-MM-DD), got `"2024-02-30"`'],
        ),
        (
            {"units": 1, "marketplace": "us", "at": "2024-03-01T10:00:00"},
            [
                "/at: expected a date-time (YYYY-MM-DDTHH:MM:SS with `Z` or an offset such as `+01:00`), got "
                '`"2024-03-01T10:00:00"`'
            ],
        ),
        (
            {"units": 1, "marketplace": "us", "since": "20240301"},
            ['/since: expected a date (YYYY-MM-DD), got `"20240301"`'],
        ),
        ({"units": 1, "marketplace": "us", "flag": 0}, ["/flag: expected boolean or null, got integer `0`"]),
        ({"marketplace": "us"}, ["/units: missing; this input is required"]),
        ({"units": 1, "marketplace": "us", "unit": 2}, ["/unit: not an input of this decision; did you mean `units`?"]),
        (
            {"units": 1, "marketplace": "us", "a/b": 2},
            ["/a~1b: not an input of this decision (inputs: units, share, marketplace, code, since, at, flag)"],
        ),
        ([1, 2], ["/: expected an object of inputs, got array `[1, 2]`"]),
    ],
)
def test_input_validation_messages(inputs: Any, messages: list[str]) -> None:
    d = decision([rule("r", None, {"v": 1}, 2)], inputs=INPUTS, required=("units", "marketplace"))
    assert compiled(d).validate_inputs(inputs) == messages


def test_nested_input_schemas_fall_back_to_jsonschema_with_pointers() -> None:
    inputs = {
        "address": {"type": "object", "properties": {"zip": {"type": "string"}}, "required": ["zip"]},
        "units": {"type": "integer"},
    }
    c = compiled(decision([rule("r", None, {"v": 1}, 2)], inputs=inputs, required=("units",)))
    assert InputChecker(inputs, ("units",)).checks is None  # the hand-rolled checks decline a nested schema
    assert c.validate_inputs({"units": 1, "address": {"zip": "10115"}}) == []
    assert c.validate_inputs({"address": {"zip": 10115}, "extra": 1}) == [
        "/units: missing; this input is required",
        "/extra: not an input of this decision (inputs: address, units)",
        "/address/zip: expected string, got integer `10115`",
    ]


@pytest.mark.parametrize(
    "schema",
    [{"type": "integr"}, {"minLength": "x"}, {"enum": 5}, {"type": "object", "properties": {"a": {"type": "strin"}}}],
)
def test_a_broken_input_schema_is_reported_not_raised(schema: dict[str, Any]) -> None:
    c = compiled(decision([rule("r", None, {"v": 1}, 2)], inputs={"a": schema}))
    [message] = c.validate_inputs({"a": 1})
    assert message.startswith("/: the decision's `inputs` are not a valid JSON Schema")


def test_decide_turns_bad_inputs_into_d004_problems() -> None:
    c = compiled(fee_decision())
    result = c.decide({"units": "ten", "contacts": 1}, PARAMS, AT, where=Pos("request.json"))
    assert [(p.code, p.file, p.message) for p in result.problems] == [
        ("D004", "request.json", '/units: expected integer, got string `"ten"`')
    ]
    assert c.decide({"units": 1000, "contacts": 50}, PARAMS, AT).outputs["tier"] == 1


# --- explanations and the result value -----------------------------------------------------------


def test_explain_lists_rows_tried_lets_and_parameters_read() -> None:
    c = compiled(fee_decision())
    explanation = c.explain({"units": 1000, "contacts": 50}, PARAMS, AT)
    assert [(r.id, r.pos.line, r.condition, r.matched) for r in explanation.rows] == [
        ("too_few_units", 10, "units <= params.min_units", False),
        ("by_tier", 14, None, True),
    ]
    assert explanation.lets == {"cpu": 5.0}
    assert explanation.params == {"fee_tiers": BANDS, "min_units": 100}
    assert explanation.result == c.evaluate({"units": 1000, "contacts": 50}, PARAMS, AT)
    data = explanation.to_json()
    assert data["rows"][0] == {
        "id": "too_few_units",
        "at": "d.yaml:10",
        "when": "units <= params.min_units",
        "matched": False,
    }
    json.dumps(data)


def test_explain_stops_at_the_deciding_row_of_a_first_table() -> None:
    explanation = compiled(fee_decision()).explain({"units": 10, "contacts": 1}, PARAMS, AT)
    assert [(r.id, r.matched) for r in explanation.rows] == [("too_few_units", True)]
    assert explanation.params == {"default_fee": 0.3, "min_units": 100}


def test_explain_marks_the_failing_row() -> None:
    c = compiled(decision([rule("a", "x > 1", {"v": 1}, 2), rule("b", "x > 'q'", {"v": 2}, 5)]))
    explanation = c.evaluate({"x": 0}, PARAMS, AT).explain()
    assert [(r.id, r.matched) for r in explanation.rows] == [("a", False), ("b", None)]
    assert [p.code for p in explanation.result.problems] == ["D005"]


def test_a_collect_tables_explanation_fails_where_its_answer_fails() -> None:
    """A `collect` table's answer computes a matching row's outputs before the next row's `when`:
    the first failure is row `a`'s output, not row `b`'s condition below it."""
    rows = [rule("a", "x >= 0", {"v": e("100 // x", 3)}, 2), rule("b", "x > 'q'", {"v": 2}, 5)]
    c = compiled(decision(rows, hit="collect"))
    explanation = c.evaluate({"x": 0}, PARAMS, AT).explain()
    assert [(r.id, r.matched) for r in explanation.rows] == [("a", True)]
    assert [(p.code, p.line, p.message) for p in explanation.result.problems] == [
        ("D005", 3, "row `a`, output `v`: `100 // x` failed: division by zero")
    ]
    assert explanation.result == c.evaluate({"x": 0}, PARAMS, AT)


def test_result_is_an_immutable_json_ready_value() -> None:
    c = compiled(fee_decision())
    result = c.evaluate({"units": 1000, "contacts": 50}, PARAMS, AT)
    with pytest.raises(AttributeError):
        result.outputs = {}  # type: ignore[misc]  # (read-only for mypy too: this proves it at run time)
    assert isinstance(result, DecisionResult) and result == c.evaluate(
        {"units": 1000, "contacts": 50}, dict(PARAMS), AT
    )
    assert result != c.evaluate({"units": 1000, "contacts": 51}, PARAMS, AT)
    assert json.loads(json.dumps(result.to_json())) == {
        "decision": "d",
        "outputs": {"tier": 1, "fee_per_unit": 0.1, "basis": "tier"},
        "matches": ["by_tier"],
        "reasons": ["by tier"],
        "default_used": False,
        "problems": [],
    }
    assert "replay" not in repr(result)
    assert result.explain().rows[-1].id == "by_tier"
    copied = pickle.loads(pickle.dumps(result))
    assert copied == result and copied.replay is None
    with pytest.raises(ValueError, match="a copy of a decision.s result cannot be explained"):
        copied.explain()


@pytest.mark.parametrize("hit", ["first", "collect", "unique"])
def test_a_result_built_by_generated_code_equals_one_built_from_its_fields(hit: HitPolicy) -> None:
    """`first` tables build their DecisionResult in generated code (one flat tuple, the class called
    on it); the others through `decision_result`. Both give the same value, fields and replay."""
    from engine.decisions.result import FIELDS, decision_result

    c = compiled(decision(ROWS, hit=hit, default={"size": "none"}))
    for x in (0, 3, 7, 12):
        inputs = {"x": x}
        result = c.evaluate(inputs, PARAMS, AT)
        fields = {name: getattr(result, name) for name in FIELDS}
        assert result == decision_result(**fields, replay=(c, inputs, PARAMS, AT))
        assert result.replay == (c, inputs, PARAMS, AT) and result.replay[1] is inputs
        assert tuple(fields.values()) == tuple(result[:6]) and type(result.outputs) is dict
        assert result == c.explain(inputs, PARAMS, AT).result and result.explain().result == result
        assert repr(result).startswith(f"DecisionResult(decision={result.decision!r}, outputs=")
    assert decision_result("d", {}, (), (), True).replay is None


@pytest.mark.parametrize("hit", ["first", "collect", "unique"])
def test_generated_code_names_only_its_own_globals(hit: HitPolicy) -> None:
    """Generated code runs without builtins: every global it names must be one it is given."""
    import ast

    from engine.decisions.runtime import RUNTIME

    d = decision(
        ROWS + [rule("const", None, {"inf": float("inf")}, 11)],
        hit=hit,
        default={"size": "none"},
        let={"y": e("x * 2 if x is defined else none")},
    )
    c = compiled(d)
    tree = ast.parse(c.source)
    assigned = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    assigned |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) for a in n.args.args}
    assigned |= {h.name for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler) and h.name}
    given = set(RUNTIME) | {"_DR", "_self", "_failed", "_Error"} | set(c._fast.__globals__)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            assert node.id in assigned or node.id in given, f"`{node.id}` is not available to generated code"
    assert c.evaluate({"x": 4}, PARAMS, AT).ok or hit == "unique"


def test_row_of_is_generated_code_without_builtins_and_with_no_other_globals() -> None:
    """`row_of` (what a batch uses to reuse a constant row's line) is sandboxed as `evaluate` is."""
    import ast

    from engine.decisions.runtime import RUNTIME

    d = decision(
        ROWS + [rule("const", None, {"inf": float("inf")}, 11)],
        default={"size": "none"},
        let={"y": e("x * 2 if x is defined else none")},
    )
    c = compiled(d)
    assert c.row_source is not None and c.row_of.__code__.co_filename == "<decision d, rows>"
    assert c.row_of.__globals__["__builtins__"] == {}
    assert set(c.row_of.__globals__) - set(RUNTIME) <= {"_row", "_Error"} | {
        k for k in c._fast.__globals__ if k.startswith("_k")
    }
    tree = ast.parse(c.row_source)
    assigned = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    assigned |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) for a in n.args.args}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            assert node.id in assigned or node.id in c.row_of.__globals__, (
                f"`{node.id}` is not available to generated code"
            )
    assert [c.row_of({"x": x}, PARAMS, AT) for x in (4, 200, 51, "a")] == [
        None,
        1,
        3,
        None,
    ]  # computed, even, const, failed
    assert compiled(decision(ROWS, hit="collect")).row_source is None


@pytest.mark.parametrize(("keys", "meant"), [(1_000, True), (1_001, False)])
def test_a_misspelt_key_is_compared_with_a_bounded_number_of_keys(keys: int, meant: bool) -> None:
    """The key likely meant is looked for among a mapping's first thousand keys at most: difflib
    compares it with each, on every answer that fails so (a batch of them)."""
    inputs = {"x": {"fee": 1, **{f"k{i:05}": i for i in range(keys - 1)}}}
    c = compiled(decision([rule("r", None, {"v": e("x.fe * 2", 4)}, 3)], inputs={"x": {}}))
    [problem] = c.evaluate(inputs, PARAMS, AT).problems
    assert problem.message.endswith("; `x.fe` is none"), problem
    assert ("did you mean `x.fee`?" in problem.hint) is meant, problem.hint
