"""`policyctl decide --input TABLE --output FILE`: every row answered as the JSON path answers it,
bad rows answered with their problems while the run goes on, columns mapped by name or --map."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
from functools import cache
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
pcsv = pytest.importorskip("pyarrow.csv")

import engine
from engine.decisions.batch import run_decide
from engine.decisions.tables import in_column
from support import ROOT, run_cli

POLICIES = str(ROOT / "policies")
AT = "2024-06-01"


def fee_rows(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        rows.append(
            {
                "seller": f"S{i:05d}",
                "units": rng.choice([None, 0, 3, 10, 11, 500, 1000, 25000]),
                "contacts": rng.choice([None, 0, 1, 40, 300, 5000]),
                "cpu_units": rng.choice([None, 800, 2000]),
                "in_trial": rng.choice([None, True, False]),
                "valid_tracking_rate": rng.choice([None, 0.0, 94.9, 95.0, 99.5, 100.0]),
                "first_enrolled_on": rng.choice([None, "2024-05-01", "2023-01-15"]),
            }
        )
    return rows


def coverage_rows(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    times = [
        None,
        "2024-01-01T00:00:00+00:00",
        "2024-03-05T10:00:00-08:00",
        "2024-06-01T12:30:00Z",
        "2023-12-31T23:59:59+01:00",
    ]
    return [
        {
            "id": i,
            "inquiry_type": rng.choice(["delivery", "refund", "invoice", "product_customization", "Bad Type"]),
            "order_stage": rng.choice(["pre_order", "post_order", "post_order"]),
            "fulfillment": rng.choice(["seller", "seller", "fba"]),
            "order_placed_at": rng.choice(times),
            # a list of objects: a JSON Lines array (date-times with offsets, absent `to`s: kept as
            # written), a Parquet or CSV cell of its JSON text (`_table`)
            "enrollments": rng.choice(ENROLLMENTS),
        }
        for i in range(n)
    ]


ENROLLMENTS: list[list[dict[str, str]] | None] = [
    None,
    [],
    [{"from": "2023-01-01T00:00:00Z"}],
    [{"from": "2023-01-01T00:00:00Z", "to": "2024-02-01T00:00:00+01:00"}, {"from": "2024-04-01T00:00:00-07:00"}],
    [{"from": "2024-06-01"}],  # a date without a time: the row's problem, on both paths
]


def _table(rows: list[dict[str, Any]]) -> Any:  # (a pyarrow Table)
    """The rows as a table whose list and object values are cells of their JSON text (a CSV cell can
    hold nothing else; a Parquet file may hold either)."""
    return pa.Table.from_pylist(
        [{k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in row.items()} for row in rows]
    )


def json_path(
    decision: str, marketplace: str, rows: list[dict[str, Any]], drop: tuple[str, ...]
) -> list[dict[str, Any]]:
    """What `policyctl decide` answers for each row given as JSON (a null cell: the input left out)."""
    repo = engine.load(POLICIES)
    text = "".join(json.dumps({k: v for k, v in r.items() if v is not None and k not in drop}) + "\n" for r in rows)
    out = io.StringIO()
    run_decide(repo, "csba", decision, marketplace, AT, io.StringIO(text), out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


CASE_ROWS = (3000, 7)  # the rows of each case below: how many, and the generator's seed


@cache
def _json_paths_answers(
    decision: str, marketplace: str, make: Any, drop: tuple[str, ...]
) -> tuple[dict[str, Any], ...]:
    """`json_path` for a case's rows (the same rows for every kind of file), once per process: the
    three kinds of a case compare with the same answers (read, never changed)."""
    return tuple(json_path(decision, marketplace, make(*CASE_ROWS), drop))


CASES = [
    ("fee", "us", fee_rows, ("seller",)),
    ("fee", "de", fee_rows, ("seller",)),
    ("coverage", "us", coverage_rows, ("id",)),
]


@pytest.mark.parametrize(("decision", "marketplace", "make", "drop"), CASES, ids=[f"{d}-{m}" for d, m, _, _ in CASES])
@pytest.mark.parametrize("kind", ["parquet", "csv", "jsonl"])
def test_every_row_gets_the_json_paths_answer(
    tmp_path: Path, decision: str, marketplace: str, make: Any, drop: tuple[str, ...], kind: str
) -> None:
    rows = make(*CASE_ROWS)
    source = tmp_path / f"in.{kind}"
    table = _table(rows)
    if kind == "parquet":
        pq.write_table(table, source, row_group_size=1000)  # several batches
    elif kind == "csv":
        pcsv.write_csv(table, source)
    else:
        source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out.parquet"
    run = run_cli(
        "decide",
        f"csba.{decision}",
        "-m",
        marketplace,
        "--at",
        AT,
        "--input",
        str(source),
        "--output",
        str(out),
        "--root",
        POLICIES,
    )
    expected = _json_paths_answers(decision, marketplace, make, drop)
    got = pq.read_table(out).to_pylist()
    assert len(got) == len(rows) == len(expected)
    failed = 0
    if kind == "csv":  # a CSV's carried columns are kept as written: text (an empty cell: null)
        import csv

        with open(source, encoding="utf-8", newline="") as f:
            written = [{k: (v if v != "" else None) for k, v in r.items()} for r in csv.DictReader(f)]
    else:
        written = rows
    for row, ours, theirs in zip(written, got, expected):
        for key in drop:
            assert ours[key] == row[key]  # the input's columns are kept
        assert ours["matches"] == theirs["matches"]
        problems = json.loads(ours["problems"]) if ours["problems"] else []
        assert [(p["code"], p["message"]) for p in problems] == [(p["code"], p["message"]) for p in theirs["problems"]]
        failed += bool(problems)
        for name, value in theirs["outputs"].items():
            assert ours[name] == value, (row, name)
        assert all(
            ours[n] is None
            for n in ours
            if n not in row and n not in theirs["outputs"] and n not in ("matches", "problems")
        )
    assert failed and failed < len(rows)  # the generator makes some bad rows, and they did not stop the run
    assert run.code == 1 and f"{len(rows)} rows, {failed} with problems" in run.err


def test_jsonl_output_is_the_json_paths_output(tmp_path: Path) -> None:
    rows = fee_rows(500, seed=3)
    source = tmp_path / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), source)
    out = tmp_path / "out.jsonl"
    run_cli(
        "decide", "csba.fee", "-m", "us", "--at", AT, "--input", str(source), "--output", str(out), "--root", POLICIES
    )
    got = [json.loads(line) for line in out.read_text().splitlines()]
    expected = json_path("fee", "us", rows, ("seller",))
    for ours, theirs in zip(got, expected):
        for p in ours["problems"] + theirs["problems"]:
            p.pop("file")
        assert ours == theirs


def test_columns_are_mapped_by_name_or_with_map(tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"shipped": [1000, 5], "contacts": [40, 0]}), source)
    out = tmp_path / "out.parquet"
    run = run_cli(
        "decide",
        "csba.fee",
        "-m",
        "us",
        "--at",
        AT,
        "--input",
        str(source),
        "--output",
        str(out),
        "--map",
        "units=shipped",
        "--root",
        POLICIES,
    )
    assert run.code == 0, run
    assert pq.read_table(out).column("total").to_pylist() == [100.0, 1.25]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--map", "units=nope"), "no column `nope`"),
        (("--map", "nope=shipped"), "`nope` is not an input"),
        (("--map", "units"), "is not INPUT=COLUMN"),
    ],
)
def test_a_mapping_that_cannot_work_is_a_usage_error(tmp_path: Path, args: tuple[str, ...], says: str) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"shipped": [1000]}), source)
    out = tmp_path / "out.parquet"
    run = run_cli(
        "decide", "csba.fee", "-m", "us", "--input", str(source), "--output", str(out), *args, "--root", POLICIES
    )
    assert run.code == 2 and says in run.err and not out.exists()


def test_an_output_column_clash_and_unknown_formats_are_usage_errors(tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"units": [1000], "total": [1.0]}), source)
    run = run_cli(
        "decide",
        "csba.fee",
        "-m",
        "us",
        "--input",
        str(source),
        "--output",
        str(tmp_path / "o.parquet"),
        "--root",
        POLICIES,
    )
    assert run.code == 2 and "already has a column `total`" in run.err
    run = run_cli(
        "decide",
        "csba.fee",
        "-m",
        "us",
        "--input",
        str(source),
        "--output",
        str(tmp_path / "o.xlsx"),
        "--root",
        POLICIES,
    )
    assert run.code == 2 and "cannot answer" in run.err


def test_a_file_that_is_not_a_table_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    source = tmp_path / "in.parquet"
    source.write_text("not parquet")
    out = tmp_path / "out.parquet"
    run = run_cli("decide", "csba.fee", "-m", "us", "--input", str(source), "--output", str(out), "--root", POLICIES)
    assert run.code == 1 and "error[D004]" in run.err and "cannot read the table" in run.err and not out.exists()


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_a_mapped_list_input_is_read_as_the_named_one_is(tmp_path: Path, kind: str) -> None:
    """`--map enrollments=periods`: the mapped column is read as the input's own would be (a JSON
    text cell in a CSV; as written, offsets kept, in JSON Lines)."""
    rows = [row for row in coverage_rows(200, seed=11) if isinstance(row["enrollments"], list)]
    renamed = [{("periods" if k == "enrollments" else k): v for k, v in row.items()} for row in rows]
    source = tmp_path / f"in.{kind}"
    if kind == "csv":
        pcsv.write_csv(_table(renamed), source)
    else:
        source.write_text("".join(json.dumps(r) + "\n" for r in renamed))
    out = tmp_path / "out.jsonl"
    args = ["--input", str(source), "--output", str(out), "--map", "enrollments=periods", "--root", POLICIES]
    run_cli("decide", "csba.coverage", "-m", "us", "--at", AT, *args)
    got = [json.loads(line) for line in out.read_text().splitlines()]
    expected = json_path("coverage", "us", rows, ("id",))
    assert len(got) == len(expected) == len(rows)
    # a CSV row's problem names the column it read (JSON Lines places it in the line instead)
    columns = {k: k for k in rows[0]} | {"enrollments": "periods"} if kind == "csv" else {}
    for ours, theirs in zip(got, expected):
        assert (ours["matches"], ours["outputs"]) == (theirs["matches"], theirs["outputs"])
        said = [in_column(p["message"], columns) if columns else p["message"] for p in theirs["problems"]]
        assert [p["message"] for p in ours["problems"]] == said


@pytest.mark.parametrize("when", ["text", "timestamp"])
def test_a_parquet_list_of_structs_is_read_as_its_json(tmp_path: Path, when: str) -> None:
    """A list input as Parquet (or Spark) holds it natively, a list of structs: a struct's null
    field is a field left out (Arrow has none absent), a timestamp its ISO text with its zone."""
    rows = coverage_rows(300, seed=5)
    stamp = pa.timestamp("us", tz="UTC") if when == "timestamp" else pa.string()
    period = pa.struct([("from", stamp), ("to", stamp)])
    columns: dict[str, Any] = {k: [row[k] for row in rows] for k in rows[0] if k != "enrollments"}
    periods = [
        None
        if row["enrollments"] is None
        else [
            {k: dt.datetime.fromisoformat(v.replace("Z", "+00:00")) if when == "timestamp" else v for k, v in p.items()}
            for p in row["enrollments"]
        ]
        for row in rows
    ]
    if when == "timestamp":  # a date without a time cannot be a timestamp: those rows left out
        keep = [i for i, row in enumerate(rows) if all("T" in p["from"] for p in row["enrollments"] or [])]
        rows, periods = [rows[i] for i in keep], [periods[i] for i in keep]
        columns = {k: [v[i] for i in keep] for k, v in columns.items()}
    table = pa.table({**columns, "enrollments": pa.array(periods, type=pa.list_(period))})
    source = tmp_path / "in.parquet"
    pq.write_table(table, source)
    out = tmp_path / "out.jsonl"
    args = ["--input", str(source), "--output", str(out), "--root", POLICIES]
    run_cli("decide", "csba.coverage", "-m", "us", "--at", AT, *args)
    got = [json.loads(line) for line in out.read_text().splitlines()]
    expected = json_path("coverage", "us", rows, ("id",))
    assert len(got) == len(expected) == len(rows) > 100
    for ours, theirs in zip(got, expected):
        assert (ours["matches"], ours["outputs"]) == (theirs["matches"], theirs["outputs"])
        assert [p["code"] for p in ours["problems"]] == [p["code"] for p in theirs["problems"]]
