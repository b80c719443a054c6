"""The marketplace's time, parameters on another date, aggregating hit policies, evidence (P012)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.decisions.compile import compile_decision
from engine.model.policy import Decision, Expr, HitPolicy, Rule
from engine.problems import Pos

FILE = "policies/p/decisions/d.yaml"
LA = {"@zone": "America/Los_Angeles", "@lines": {"days": ((None, 30), ("2023-07-01", 90))}, "days": 90}


def _decision(
    rules: list[Rule],
    hit: HitPolicy = "first",
    aggregate: dict[str, str] | None = None,
    inputs: dict[str, Any] | None = None,
) -> Decision:
    return Decision(
        id="d",
        program="p",
        title="t",
        description="",
        inputs=inputs or {"x": {"type": "string"}},
        required=(),
        let={},
        hit=hit,
        rules=tuple(rules),
        default=None,
        outputs={},
        file=FILE,
        pos=Pos(FILE, 1, 1),
        aggregate=aggregate,
    )


def _rule(id: str, when: str | None, then: dict[str, Any], line: int) -> Rule:
    return Rule(
        id, None if when is None else Expr(when, Pos(FILE, line + 1, 11)), then, f"because {id}", Pos(FILE, line, 5)
    )


def _value(source: str, x: Any, params: dict[str, Any] = LA, at: str = "2024-03-11") -> Any:
    d = _decision([_rule("r", None, {"v": Expr(source, Pos(FILE, 3, 11))}, 2)])
    c, problems = compile_decision(d, {"days"})
    assert c is not None, problems
    result = c.evaluate({"x": x}, params, at)
    assert result.ok, result.problems
    return result.outputs["v"]


@pytest.mark.parametrize(
    "source, x, expected",
    [
        # an instant's day is the marketplace's: 06:30 UTC on 11 March is 10 March in Los Angeles
        ("date(x)", "2024-03-11T06:30:00Z", "2024-03-10"),
        # 12:00 at -08:00 on the spring DST day is 13:00 PDT; 24 elapsed hours later, 13:00 PDT
        ("add_hours(x, 24)", "2024-03-10T12:00:00-08:00", "2024-03-11T13:00:00-07:00"),
        ("utc(add_hours(x, 24))", "2024-03-10T12:00:00-08:00", "2024-03-11T20:00:00Z"),
        ("local(x)", "2024-03-11T06:30:00Z", "2024-03-10T23:30:00-07:00"),
        ("time_zone()", "", "America/Los_Angeles"),
        # calendar days in the zone, across the DST night (a 23-hour day is still a day)
        ("add_days(x, 1)", "2024-03-09T12:00:00-08:00", "2024-03-10T12:00:00-07:00"),
        ("days_between(x, at)", "2024-03-10T23:30:00-07:00", 1),
        ("days_between(x, at)", "2024-02-29", 11),
        # the parameter as it was on another day
        ("param_on('days', x)", "2023-06-30", 30),
        ("param_on('days', x)", "2023-07-01", 90),
        ("param_on('days', x)", "2023-07-01T06:00:00Z", 30),  # still 30 June in Los Angeles
        ("during(x, [{'from': '2024-01-01T00:00:00Z', 'to': '2024-02-01T00:00:00Z'}])", "2024-01-31T23:59:59Z", True),
        ("during(x, [{'from': '2024-01-01T00:00:00Z', 'to': '2024-02-01T00:00:00Z'}])", "2024-02-01T00:00:00Z", False),
        ("during(x, [{'from': '2024-01-01T00:00:00Z'}])", "2030-01-01T00:00:00Z", True),
    ],
)
def test_time_helpers_work_in_the_marketplaces_zone(source: str, x: Any, expected: Any) -> None:
    assert _value(source, x) == expected


def test_the_same_instant_gives_the_same_day_whatever_its_offset() -> None:
    days = {
        _value("date(x)", t) for t in ("2024-03-11T06:30:00Z", "2024-03-10T23:30:00-07:00", "2024-03-11T14:30:00+08:00")
    }
    assert days == {"2024-03-10"}


def test_param_on_names_a_declared_parameter() -> None:
    d = _decision([_rule("r", None, {"v": Expr("param_on('nope', x)", Pos(FILE, 3, 11))}, 2)])
    _, problems = compile_decision(d, {"days"})
    assert [(p.code, p.line) for p in problems] == [("E004", 3)]


@pytest.mark.parametrize(
    "failing, expected",
    [
        ([], {"ok": True, "why": [], "n": 0}),
        (["a"], {"ok": False, "why": ["a"], "n": 1}),
        (["a", "c"], {"ok": False, "why": ["a", "c"], "n": 2}),
    ],
)
def test_collect_with_aggregate_gives_one_value_per_output(failing: list[str], expected: dict[str, Any]) -> None:
    rows = [_rule(f"fails_{n}", f"'{n}' in x", {"ok": False, "why": n, "n": 1}, 2 + i) for i, n in enumerate("abc")]
    rows.append(_rule("all_met", "x == ''", {"ok": True}, 9))
    d = _decision(rows, hit="collect", aggregate={"ok": "all", "why": "list", "n": "count"})
    c, problems = compile_decision(d, set())
    assert c is not None, problems
    x = "".join(failing)
    fast = c.evaluate({"x": x}, {}, "2024-01-01")
    assert {k: fast.outputs[k] for k in expected} == expected
    assert c.explain({"x": x}, {}, "2024-01-01").result.outputs == fast.outputs  # both paths agree


def test_aggregate_needs_collect(tmp_path: Any) -> None:
    import shutil

    import engine
    from support import ROOT

    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", root)
    path = root / "csba/decisions/eligibility.yaml"
    text = path.read_text().replace("hit: collect\n", "hit: first\n")
    path.write_text(text)
    line = text.splitlines().index("aggregate:") + 1
    found = [(p.code, p.line) for p in engine.load(str(root)).problems if p.code == "D006"]
    assert found == [("D006", line)]


def test_a_value_without_evidence_is_p012(tmp_path: Any) -> None:
    import shutil

    import engine
    from support import ROOT

    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", root)
    path = root / "csba/program.yaml"
    text = path.read_text()
    old = "    value: 24\n    source: seeds 001, 002, 004\n"
    assert old in text
    path.write_text(text.replace(old, "    value: 24\n"))
    line = text.splitlines().index("  reply_deadline_hours:") + 4
    found = [(p.code, p.line, p.severity) for p in engine.load(str(root)).problems if p.code == "P012"]
    assert found == [("P012", line, "warning")]


# (what the mini program's dated change of `loan_days` says instead of `source: made up`, the message)
ASSUMED_DATE_ONLY = [
    (
        "        assumption: the day is a guess\n        assumed: [date]\n",
        "`assumed: [date]` calls the value sourced, but it has no `source`",
    ),
    (
        "        source: made up\n        assumption: the day is a guess\n        assumed: [date]\n        on_pages: omit\n",
        "`on_pages` has no effect when only the date is assumed: the value is shown",
    ),
]


@pytest.mark.parametrize(("evidence", "said"), ASSUMED_DATE_ONLY)
def test_assumed_date_only_must_hold_what_it_says(tmp_path: Any, evidence: str, said: str) -> None:
    """`assumed: [date]` means the value is sourced: without a `source` the page stated it as a fact,
    and `validate --evidence error` passed it; `on_pages` then did nothing, silently."""
    import shutil

    import engine
    from support import MINI

    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    path = root / "loans" / "program.yaml"
    text = path.read_text(encoding="utf-8")
    old = "        value: 28\n        source: made up\n"
    assert old in text
    path.write_text(text.replace(old, "        value: 28\n" + evidence), encoding="utf-8")
    found = [(p.code, p.message, p.severity) for p in engine.load(str(root)).problems]
    assert found == [("P012", said, "warning")], found
    from support import run_cli

    assert run_cli("validate", "--evidence", "error", str(root)).code == 1


# (what the mini program's `late_fee_bands` says instead of its `source:` line, and what `validate`
# finds on the `assumed:` line: code, the text the column points at, severity, message)
ASSUMED_PARTS = [
    ("    source: made up\n    assumption: the middle fee is a guess\n    assumed: [/1/fee]\n", []),
    (
        "    source: made up\n    assumption: the fourth band is a guess\n    assumed: [/3, /1/fee]\n",
        [("P014", "/3", "error", "`/3` is not a part of the value")],
    ),
    (
        "    assumption: the middle fee is a guess\n    assumed: [/1/fee]\n",
        [("P012", "[", "warning", "`assumed: [/1/fee]` calls the rest of the value sourced, but it has no `source`")],
    ),
]


@pytest.mark.parametrize(("evidence", "found"), ASSUMED_PARTS)
def test_assumed_parts_must_be_in_the_value(tmp_path: Any, evidence: str, found: list[Any]) -> None:
    """`assumed: [/1/fee]`: only that part of the value is an assumption (pages mark it alone), the
    rest is sourced; a pointer to nothing would mark nothing (P014, at the pointer)."""
    import shutil

    import engine
    from support import MINI

    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    path = root / "loans" / "program.yaml"
    text = path.read_text(encoding="utf-8")
    old = "    source: the mini repository's made-up fee table\n"
    assert old in text
    text = text.replace(old, evidence)
    path.write_text(text, encoding="utf-8")
    line, said = next((i, t) for i, t in enumerate(text.split("\n"), 1) if t.startswith("    assumed: ["))
    repo = engine.load(str(root))
    problems = [p for p in repo.problems if p.code in ("P012", "P014")]
    assert [(p.code, p.line, p.col, p.severity, p.message) for p in problems] == [
        (code, line, said.index(at) + 1, severity, message) for code, at, severity, message in found
    ]
    if not found:
        entry = repo.programs["loans"].timeline("late_fee_bands", "nl")[0]
        assert entry.value_assumed and entry.assumed_parts == (("1", "fee"),)


_NULLABLE = {"x": {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}}
_PERIODS = "[{'from': '2024-01-01T00:00:00Z'}]"


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ("utc(x)", "`utc(...)` must be an ISO date or date-time string, got none `null`"),
        ("date(x)", "`date(...)` must be an ISO date or date-time string, got none `null`"),
        ("before(x, '2024-01-01T00:00:00Z')", "the first argument of `before` must be an ISO date or date-time"),
        ("add_hours(x, 1)", "the first argument of `add_hours` must be an ISO date or date-time string, got none"),
        # `during`'s own words (it said "the first argument of `before`", the helper it compares with)
        (f"during(x, {_PERIODS})", "the first argument of `during` must be an ISO date or date-time string, got none"),
        ("during(x, [])", None),  # no period to fall in
        ("x is none", None),
    ],
)
def test_helpers_refuse_a_nullable_date_time_that_is_none(source: str, said: str | None) -> None:
    """A nullable date-time input (`anyOf: [{format: date-time}, {type: "null"}]`) given as null:
    each helper that needs a date-time says so (D005, with the helper's name), as the guide says."""
    d = _decision([_rule("r", None, {"v": Expr(source, Pos(FILE, 3, 11))}, 2)], inputs=_NULLABLE)
    c, problems = compile_decision(d, set())
    assert c is not None, problems
    result = c.evaluate({"x": None}, LA, "2024-03-11")
    found = [(p.code, p.message) for p in result.problems]
    if said is None:
        assert result.ok, found
        return
    assert len(found) == 1 and found[0][0] == "D005" and said in found[0][1], found


@pytest.mark.parametrize(
    ("periods", "said"),
    [
        ("[{'from': 'x'}]", "a period's `from` in `during` `x` is not an ISO 8601 date"),
        ("[{'from': '2024-01-01T00:00:00Z', 'to': 3}]", "a period's `to` in `during` must be an ISO date or date-time"),
        ("[{'from': '2024-01-01'}]", "`during` cannot compare a date with a date-time"),
        ("[{'from': '2024-02-01T00:00:00Z', 'to': '2024-01-01T00:00:00Z'}]", "a period ends (`2024-01-01T00:00:00Z`)"),
    ],
)
def test_during_names_itself_in_what_it_refuses(periods: str, said: str) -> None:
    d = _decision([_rule("r", None, {"v": Expr(f"during(x, {periods})", Pos(FILE, 3, 11))}, 2)], inputs=_NULLABLE)
    c, problems = compile_decision(d, set())
    assert c is not None, problems
    result = c.evaluate({"x": "2024-01-15T00:00:00Z"}, LA, "2024-03-11")
    found = [(p.code, p.message) for p in result.problems]
    assert len(found) == 1 and found[0][0] == "D005" and said in found[0][1], found
