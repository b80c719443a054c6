"""Every command's JSON output carries problems in one shape: `Problem.to_json`, and it round-trips."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import Problem
from support import edit, run_cli

SHAPE = set(Problem("f", 1, 2, "X001", "m").to_json())


def _problems(value: Any) -> Iterator[dict[str, Any]]:
    """Every object under a `problems` key, however deep."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "problems":
                yield from item
            else:
                yield from _problems(item)
    elif isinstance(value, list):
        for item in value:
            yield from _problems(item)


def test_the_shape_round_trips() -> None:
    p = Problem("policies/x.yaml", 3, 7, "S001", "`x` is wrong", "write `y`", "warning")
    assert p.to_json() == {
        "file": "policies/x.yaml",
        "line": 3,
        "column": 7,
        "code": "S001",
        "severity": "warning",
        "message": "`x` is wrong",
        "hint": "write `y`",
    }
    assert Problem.from_json(json.loads(json.dumps(p.to_json()))) == p


def _decide(root: Path, payload: str, *extra: str) -> list[Any]:
    run = run_cli(
        "decide",
        "loans.late_fee",
        "-m",
        "nl",
        "--at",
        "2024-06-01",
        "--input",
        "-",
        "--root",
        str(root),
        *extra,
        stdin=payload,
    )
    assert run.code == 1, run
    if payload.count("\n") > 1:  # JSON Lines in, one result a line out
        return [json.loads(line) for line in run.out.splitlines()]
    return [json.loads(run.out)]


@pytest.mark.parametrize("how", ["validate", "decide", "decide-batch", "decide-explain"])
def test_every_json_output_uses_the_one_shape(mini: Path, how: str) -> None:
    if how == "validate":
        edit(mini / "loans" / "decisions" / "late_fee.yaml", "days_late == 0", "days_lat == 0")
        run = run_cli("validate", str(mini), "--format", "json")
        assert run.code == 1
        outputs = [json.loads(run.out)]
    elif how == "decide":
        outputs = _decide(mini, '{"days_late": "x"}\n')
    elif how == "decide-batch":
        outputs = _decide(mini, '{"days_late": 1}\nnot json\n{"days_late": -1}\n')
    else:
        outputs = _decide(mini, '{"days_late": "x"}', "--explain")
    problems = [p for out in outputs for p in _problems(out)]
    assert problems, outputs
    for p in problems:
        assert set(p) == SHAPE, p
        assert Problem.from_json(p).to_json() == p
