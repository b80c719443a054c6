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


NEVER_CLOSED = "a quote opens this cell and is never closed: the rest of the table would be read into it"


@pytest.mark.parametrize(
    ("table", "rows", "place"),
    [
        # (a carried text cell: nothing else would ever say it; the file's last line, no line end)
        ('id,days_since_delivery\nr1,3\n"r2,4\nr3,5\nr4,6\n', [2, 3], (3, 1)),
        ('id,days_since_delivery\nr1,3\nr2,"4', [2, 3], (3, 4)),
        # after a quoted cell of two lines and a `""`, which are closed
        ('id,days_since_delivery\n"r1\nr1b",3\n"r""2",4\nr3,5\nr4,"6\nr5,7\n', [2, 4, 5, 6], (6, 4)),
    ],
)
def test_a_quote_never_closed_is_said_where_it_opens(
    init_starter: Path, tmp_path: Path, table: str, rows: list[int], place: tuple[int, int]
) -> None:
    # pyarrow and Python's csv both read it to the end of the file, into one cell, without a word
    source, out = tmp_path / "in.csv", tmp_path / "out.jsonl"
    source.write_text(table, encoding="utf-8")
    args = ["decide", "returns.return_allowed", "-m", "us", "--at", "2024-06-01", "--input", str(source)]
    run = run_cli(*args, "--output", str(out), "--root", str(init_starter))
    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert run.code == 1 and [a["line"] for a in answers] == rows, (run, answers)
    assert [a["problems"] for a in answers[:-1]] == [[]] * (len(rows) - 1)
    [problem] = answers[-1]["problems"]
    assert (problem["file"], problem["line"], problem["column"], problem["code"], problem["message"]) == (
        str(source),
        *place,
        "D004",
        NEVER_CLOSED,
    )
