"""A bad cell of a table (`x` where the decision wants an integer) was null in a Parquet output,
its text only in the message, which named the input, not the column it was read from. The output
keeps every input cell as read and the row's `problems` name the column and the value."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from support import run_cli

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

DAYS = "days_since_delivery"
# (column the input is read from, the cells, each row's expected D004 message or None)
CASES = [
    (
        DAYS,
        ["3", "x", "00012", "-1", None],
        [
            None,
            f'/{DAYS}: expected integer, got string `"x"`',
            None,
            f"/{DAYS}: expected at least 0, got `-1`",
            f"/{DAYS}: missing; this input is required",
        ],
    ),
    (
        "days",
        ["3", "x", "1.5"],
        [
            None,
            f'column `days` (input /{DAYS}): expected integer, got string `"x"`',
            f'column `days` (input /{DAYS}): expected integer, got string `"1.5"`',
        ],
    ),
]


def _run(top: Path, source: Path, out: Path, column: str) -> Any:
    mapped = [] if column == DAYS else ["--map", f"{DAYS}={column}"]
    args = ["decide", "returns.return_allowed", "-m", "us", "--at", "2024-06-01", "--input", str(source)]
    run = run_cli(*args, "--output", str(out), *mapped, "--root", str(top))
    assert run.code == 1, run
    return pq.read_table(out).to_pylist()


@pytest.mark.parametrize("kind", ["csv", "parquet"])
@pytest.mark.parametrize(("column", "cells", "said"), CASES)
def test_a_bad_cell_is_kept_and_its_problem_names_the_column_and_value(
    init_starter: Path, tmp_path: Path, kind: str, column: str, cells: list[str | None], said: list[str | None]
) -> None:
    source = tmp_path / f"in.{kind}"
    ids = [f"r{i}" for i in range(len(cells))]
    if kind == "csv":
        source.write_text(f"id,{column}\n" + "".join(f"{i},{c or ''}\n" for i, c in zip(ids, cells)), encoding="utf-8")
    else:  # a text column where the decision wants an integer (as a spreadsheet export writes it)
        pq.write_table(pa.table({"id": ids, column: pa.array(cells, pa.string())}), source)
    rows = _run(init_starter, source, tmp_path / "out.parquet", column)
    assert [r[column] for r in rows] == cells  # every cell as read, the bad ones too
    if kind == "parquet":  # a text column: no cell of it is an integer, each is its row's problem
        prefix = f"/{DAYS}: " if column == DAYS else f"column `{column}` (input /{DAYS}): "
        said = [
            f"/{DAYS}: missing; this input is required"
            if c is None
            else f'{prefix}expected integer, got string `"{c}"`'
            for c in cells
        ]
    got = [[p["message"] for p in json.loads(r["problems"])] if r["problems"] else None for r in rows]
    assert got == [[m] if m else None for m in said]
