"""A mistake in a case's `boundaries:` is one problem, at the name to edit, in the same words from
`policyctl validate` and from `policyctl test --boundaries`.

Both checked the names: `validate` at the name (T002, "did you mean"), and the plan builder again,
so `test --boundaries` said a misspelt `parameter:` or `vary:` twice (the second time at
`boundaries:`, in other words), a bad `value:` twice (the second with an empty hint), a misspelt
output or band key as T003 at every band edge, blaming a decision row that was right, and a case
with neither `vary:` nor an input to take passed `validate`. One reading of `boundaries:` now
(engine.policytests.declared) serves both.

One repository made by `policyctl init`, with a band table and two decisions that read it, holds
every mistake in a tests file of its own; each command runs once over it (module-scoped)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from support import edit, run_cli

TIERS = """\
  restocking_tiers:
    description: Restocking fee by days since delivery.
    schema:
      type: array
      items:
        type: object
        required: [tier, over, up_to, fee]
        properties:
          tier: {type: integer}
          over: {type: [number, "null"]}
          up_to: {type: [number, "null"]}
          fee: {type: number, minimum: 0}
    tiers: true
    value:
      - {tier: 1, over: null, up_to: 14, fee: 0}
      - {tier: 2, over: 14, up_to: null, fee: 5}
    source: the returns policy, 2024 edition
"""

# the bands written out as rows, with two numeric inputs: no input to move can be taken by itself
FEE = """\
kind: decision
id: restocking_fee
title: Restocking fee
inputs:
  days_since_delivery: {type: integer, minimum: 0}
  weight: {type: number, minimum: 0}
required: [days_since_delivery]
hit: first
rules:
  - id: early
    when: "days_since_delivery <= 14"
    reason: First band.
    then: {fee: 0}
  - id: late
    reason: Second band.
    then: {fee: 5}
"""

# Each tests file: its case's `boundaries:` block starts on line 10.
CASE = """\
kind: tests
cases:
  - name: {name}
    decision: {decision}
    marketplace: us
    at: "2024-06-01"
    input: {{days_since_delivery: 10}}
    expect: {{}}
    boundaries:
{block}"""

GOOD = "      parameter: restocking_tiers\n      outputs: {tier: tier}\n"

# name: (the case's decision, its `boundaries:` block, the problems: code, line, col, message, hint)
MISTAKES: dict[str, tuple[str, str, list[tuple[str, int, int, str, str]]]] = {
    "parameter misspelt": (
        "return_allowed",
        "      parameter: restocking_tier\n      outputs: {tier: tier}\n",
        [
            (
                "T002",
                10,
                18,
                "`boundaries`: `returns` has no `tiers: true` parameter `restocking_tier`",
                "did you mean `restocking_tiers`?",
            )
        ],
    ),
    "parameter not tiered": (
        "return_allowed",
        "      parameter: return_window_days\n      outputs: {tier: tier}\n",
        [
            (
                "T002",
                10,
                18,
                "`boundaries`: `return_window_days` is not a `tiers: true` parameter",
                "`tiers: true` parameters of `returns`: restocking_tiers",
            )
        ],
    ),
    "parameter a number": (
        "return_allowed",
        "      parameter: 5\n      outputs: {tier: tier}\n",
        [
            (
                "S001",
                10,
                18,
                "/cases/0/boundaries/parameter: expected string, got integer `5`",
                "`parameter` takes a name: lowercase letters, digits and underscores, starting with a letter",
            )
        ],
    ),
    "vary misspelt": (
        "return_allowed",
        "      parameter: restocking_tiers\n      vary: day_since_delivery\n      outputs: {tier: tier}\n",
        [
            (
                "T002",
                11,
                13,
                "`boundaries`: `return_allowed` has no numeric input `day_since_delivery`",
                "did you mean `days_since_delivery`?",
            )
        ],
    ),
    "vary not numeric": (
        "return_allowed",
        "      parameter: restocking_tiers\n      vary: channel\n      outputs: {tier: tier}\n",
        [
            (
                "T002",
                11,
                13,
                "`boundaries`: `channel` is not a numeric input of `return_allowed`",
                "numeric inputs: days_since_delivery, weight",
            )
        ],
    ),
    "vary needed": (
        "restocking_fee",
        "      parameter: restocking_tiers\n      outputs: [fee]\n",
        [
            (
                "T002",
                9,
                5,
                "`boundaries`: which input to move is not said (no `vary:`)",
                "add `vary:` naming one of the numeric inputs of `restocking_fee`: days_since_delivery, weight",
            )
        ],
    ),
    "output misspelt": (
        "return_allowed",
        "      parameter: restocking_tiers\n      outputs: {tiers: tier}\n",
        [("T002", 11, 17, "`boundaries`: `return_allowed` has no output `tiers`", "did you mean `tier`?")],
    ),
    "output misspelt in a list": (
        "return_allowed",
        "      parameter: restocking_tiers\n      outputs: [tiers]\n",
        [("T002", 11, 17, "`boundaries`: `return_allowed` has no output `tiers`", "did you mean `tier`?")],
    ),
    "band key misspelt": (
        "return_allowed",
        "      parameter: restocking_tiers\n      outputs: {tier: tiers}\n",
        [("T002", 11, 23, "`boundaries`: the bands of `restocking_tiers` have no key `tiers`", "did you mean `tier`?")],
    ),
    "value with an unknown name": (
        "return_allowed",
        '      parameter: restocking_tiers\n      value: "day_since_delivery * 2"\n      outputs: {tier: tier}\n',
        [
            (
                "E002",
                11,
                15,
                "unknown name `day_since_delivery`; did you mean `days_since_delivery`?",
                "an expression can use the inputs, `let` names, `params.NAME`, `at` and the helpers",
            )
        ],
    ),
    "decision misspelt": (
        "return_alowed",
        GOOD,
        [
            (
                "T002",
                4,
                15,
                "`returns` has no decision `return_alowed`",
                "known decisions: restocking_fee, return_allowed",
            )
        ],
    ),
    "block empty": (
        "return_allowed",
        "",
        [
            (
                "S001",
                9,
                16,
                "/cases/0/boundaries: expected object, got null `null`",
                "write `key: value` lines indented under this key",
            )
        ],
    ),
    "block a list": (
        "return_allowed",
        "      - restocking_tiers\n",
        [
            (
                "S001",
                10,
                7,
                '/cases/0/boundaries: expected object, got array `["restocking_tiers"]`',
                "write `key: value` lines indented under this key",
            )
        ],
    ),
    "outputs missing": (
        "return_allowed",
        "      parameter: restocking_tiers\n",
        [("S001", 9, 5, "/cases/0/boundaries: missing required key `outputs`", "add `outputs:` here")],
    ),
}


def _file(name: str) -> str:
    return f"policies/returns/tests/{name.replace(' ', '_')}.yaml"


@pytest.fixture(scope="module")
def reports(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    """`validate --format json` and `test --boundaries --format json` over the starter with a band
    table, `return_allowed` reading it through `tier()`, `restocking_fee` writing it out as rows,
    one tests file per mistake and one without (read only)."""
    top = tmp_path_factory.mktemp("bounds") / "repo"
    shutil.copytree(init_starter, top, ignore=shutil.ignore_patterns("generated_docs"))
    program = top / "policies/returns/program.yaml"
    program.write_text(program.read_text(encoding="utf-8") + TIERS, encoding="utf-8")
    decisions = top / "policies/returns/decisions"
    (decisions / "restocking_fee.yaml").write_text(FEE, encoding="utf-8")
    edit(
        decisions / "return_allowed.yaml",
        'free_shipping: "= params.free_return_shipping"}',
        'free_shipping: "= params.free_return_shipping", tier: "= tier(params.restocking_tiers, days_since_delivery).tier"}',
    )
    edit(decisions / "return_allowed.yaml", "free_shipping: false}", "free_shipping: false, tier: 2}")
    edit(
        decisions / "return_allowed.yaml",
        "required: [days_since_delivery]",
        "  channel: {type: string}\n  weight: {type: number}\nrequired: [days_since_delivery]",
    )
    for name, (decision, block, _) in {**MISTAKES, "no mistake": ("return_allowed", GOOD, [])}.items():
        (top / _file(name)).write_text(CASE.format(name=name, decision=decision, block=block), encoding="utf-8")
    checked = run_cli("validate", "--format", "json", cwd=top)
    tested = run_cli("test", "--boundaries", "--format", "json", cwd=top)
    assert checked.code == 1 and tested.code == 1, (checked, tested)
    return json.loads(checked.out), json.loads(tested.out)


def _said(problems: list[Any]) -> list[tuple[str, int, int, str, str]]:
    return [(p["code"], p["line"], p["column"], p["message"], p["hint"]) for p in problems]


@pytest.mark.parametrize("name", MISTAKES)
def test_validate_says_a_boundaries_mistake_once_at_the_name(reports: tuple[Any, Any], name: str) -> None:
    validated, _ = reports
    found = [p for p in validated["problems"] if p["file"] == _file(name)]
    assert _said(found) == MISTAKES[name][2]


@pytest.mark.parametrize("name", MISTAKES)
def test_test_boundaries_says_it_once_as_validate_does(reports: tuple[Any, Any], name: str) -> None:
    """The repository's problem, said once, with the case it is in, which fails with it and no other
    test for it besides (it passed while the run failed: "6 passed, 0 failed", exit 1); a schema
    error's file runs none of its cases."""
    _, tested = reports
    found = [p for p in tested["problems"] if p["file"] == _file(name)]
    failed = [t for t in tested["tests"] if t["file"] == _file(name) and not t["passed"]]
    found += [p for t in failed for p in t["problems"]]
    assert _said(found) == MISTAKES[name][2]
    unread = any(said[0] == "S001" for said in MISTAKES[name][2])  # (its file's cases did not run)
    assert [t["kind"] for t in failed] == ([] if unread else ["case"])


def test_only_a_declaration_without_mistakes_is_checked(reports: tuple[Any, Any]) -> None:
    """A declaration with a mistake gives no plan: none fails for the mistake again, and none
    passes having checked nothing (`outputs: [tiers]` compared no output with no key at each
    edge). (`return_allowed`'s own `tier()` call is covered by the declaration without one.)"""
    validated, tested = reports
    assert not [p for p in validated["problems"] if p["file"] == _file("no mistake")]
    checked = [(t["name"], t["passed"]) for t in tested["tests"] if t["kind"] == "boundary"]
    assert checked == [("boundaries of restocking_tiers at 14 (us, from `no mistake`)", True)]
