"""`decide --explain` says which parameters it used are assumptions (principle 2), as `show
--provenance` and `history` do, from a repository and from a bundle; and the value a decision read on
another day with `param_on` is named with that day's entry (it was listed as the value on `at`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import edit, run_cli

ASSUMED_DATE = "The policy gives no date for the 45 days; the start of 2025 is assumed."
ASSUMED_VALUE = "Nobody has confirmed who pays for the label."


@pytest.fixture(scope="module")
def repo(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter, its dated change's day and a value marked as assumptions, and a decision
    output read with `param_on` (a copy, made once for the module: the cases only read it)."""
    import shutil

    top = tmp_path_factory.mktemp("explained") / "repo"
    shutil.copytree(init_starter, top)
    program = top / "policies/returns/program.yaml"
    edit(
        program,
        "        source: the returns policy, 2025 edition\n",
        f"        source: the returns policy, 2025 edition\n        assumption: {ASSUMED_DATE}\n"
        "        assumed: [date]\n",
    )
    edit(
        program,
        "    value: false\n    source: the returns policy, 2024 edition\n",
        f"    value: false\n    assumption: {ASSUMED_VALUE}\n",
    )
    decision = top / "policies/returns/decisions/return_allowed.yaml"
    edit(
        decision,
        'free_shipping: "= params.free_return_shipping"}',
        "free_shipping: \"= params.free_return_shipping\", window_then: \"= param_on('return_window_days', '2024-06-01')\","
        " window_later: \"= param_on('return_window_days', '2025-06-01')\"}",
    )
    edit(
        decision,
        "  free_shipping: {type: boolean}\n",
        "  free_shipping: {type: boolean}\n  window_then: {type: integer}\n  window_later: {type: integer}\n",
    )
    assert run_cli("validate", cwd=top).code == 0
    assert run_cli("bundle", "--out", "policies.bundle", cwd=top).code == 0
    return top


def _explain(repo: Path, fmt: str, bundle: bool) -> str:
    args = ["decide", "returns.return_allowed", "-m", "us", "--at", "2025-03-01", "--input", "-", "--explain"]
    args += ["--format", fmt] + (["--bundle", "policies.bundle"] if bundle else [])
    run = run_cli(*args, stdin='{"days_since_delivery": 3}', cwd=repo)
    assert run.code == 0, run
    return run.out


@pytest.mark.parametrize("bundle", [False, True])
def test_explain_as_json_marks_the_assumptions_it_used(repo: Path, bundle: bool) -> None:
    body = json.loads(_explain(repo, "json", bundle))
    params = body["params"]
    window, shipping = params["return_window_days"], params["free_return_shipping"]
    assert (window["value"], window["origin"], window["assumption"], window["assumed"]) == (
        45,
        "base change from 2025-01-01 (date assumed)",
        ASSUMED_DATE,
        ["date"],
    )
    assert (shipping["value"], shipping["assumption"], shipping["assumed"]) == (False, ASSUMED_VALUE, ["value"])
    [on, later] = body["params_on"]  # read on another day: the 2024 value, sourced, not today's assumed one
    assert on == {
        "parameter": "return_window_days",
        "on": "2024-06-01",
        "value": 30,
        "from": "policies/returns/program.yaml:18",
        "origin": "base",
    }
    assert later == {  # and one in force by an assumed date: its origin says so, from a repository too
        "parameter": "return_window_days",
        "on": "2025-06-01",
        "value": 45,
        "from": "policies/returns/program.yaml:23",
        "origin": "base change from 2025-01-01 (date assumed)",
        "assumption": ASSUMED_DATE,
        "assumed": ["date"],
    }


@pytest.mark.parametrize("bundle", [False, True])
def test_explain_as_text_marks_the_assumptions_it_used(repo: Path, bundle: bool) -> None:
    out = _explain(repo, "text", bundle)
    assert (
        "  return_window_days = 45    [policies/returns/program.yaml:23, base change from 2025-01-01 (date assumed)]\n"
        in out
    )
    assert "  free_return_shipping = false    [policies/returns/program.yaml:30, base; assumed: value]\n" in out
    assert (
        "parameters read on other days:\n"
        "  return_window_days on 2024-06-01 = 30    [policies/returns/program.yaml:18, base]\n"
        "  return_window_days on 2025-06-01 = 45    [policies/returns/program.yaml:23, base change from 2025-01-01"
        " (date assumed)]\n"
    ) in out


@pytest.mark.parametrize(
    "days, used",
    [
        (0, ["free_return_shipping"]),  # `days <= 0 or ...`: the window is not read
        (3, ["free_return_shipping", "return_window_days"]),
    ],
)
def test_explain_lists_the_parameters_read_not_those_named(init_repo: Path, days: int, used: list[str]) -> None:
    """ "parameters used" were those the expressions run name, read or not (`a or params.x` when `a`
    is true, the name given to `param_on`, which reads another day's value): an answer was said to
    rest on values it never read, such as an assumed one (`policyctl diff` marks answers by them)."""
    decision = init_repo / "policies/returns/decisions/return_allowed.yaml"
    edit(
        decision,
        'when: "days_since_delivery <= params.return_window_days"',
        'when: "days_since_delivery <= 0 or days_since_delivery <= params.return_window_days"',
    )
    edit(
        decision,
        'free_shipping: "= params.free_return_shipping"}',
        "free_shipping: \"= params.free_return_shipping\", window_then: \"= param_on('return_window_days', '2024-06-01')\"}",
    )
    edit(
        decision,
        "  free_shipping: {type: boolean}\n",
        "  free_shipping: {type: boolean}\n  window_then: {type: integer}\n",
    )
    args = ["decide", "returns.return_allowed", "-m", "us", "--at", "2025-03-01", "--input", "-", "--explain"]
    run = run_cli(*args, stdin=json.dumps({"days_since_delivery": days}), cwd=init_repo)
    assert run.code == 0, run
    body = json.loads(run.out)
    assert sorted(body["params"]) == used
    assert [(p["parameter"], p["on"]) for p in body["params_on"]] == [("return_window_days", "2024-06-01")]
