"""`policyctl decide --input TABLE --output FILE` on tables that are not clean: every value read as
written, a bad row answered with its problem at its own line while the run goes on, never a
traceback; empty tables are tables of no rows."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

import engine
from engine.commands import decide_table
from engine.decisions.batch import run_decide
from support import ROOT, run_cli

POLICIES = str(ROOT / "policies")
AT = "2024-06-01"


def table(decision: str, source: Path, out: Path, *args: str) -> Any:
    return run_cli(
        "decide", f"csba.{decision}", "-m", "us", "--at", AT, "--input", str(source), "--output", str(out), *args,
        "--root", POLICIES,
    )  # fmt: skip


def batch(decision: str, text: str) -> list[dict[str, Any]]:
    """What `policyctl decide --input` (a batch) prints for each line of ``text``."""
    out = io.StringIO()
    source = io.StringIO(text)
    source.name = "in.jsonl"
    run_decide(engine.load(POLICIES), "csba", decision, "us", AT, source, out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def messages(answer: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(p["line"], p["code"], p["message"]) for p in answer["problems"]]


# -- 1. JSON Lines: values as written, whatever the order of the rows --------------------------


def test_a_date_missing_from_the_first_jsonl_line_is_read_as_written_later(tmp_path: Path) -> None:
    text = '{"units":1000}\n{"units":1000,"contacts":40,"first_enrolled_on":"2024-05-01"}\n'
    source = tmp_path / "in.jsonl"
    source.write_text(text)
    run = table("fee", source, tmp_path / "out.jsonl")
    got = lines(tmp_path / "out.jsonl")
    assert run.code == 0, run
    assert got[1]["matches"] == ["in_trial"] and got[1]["problems"] == []
    run = table("fee", source, tmp_path / "out.parquet")
    assert run.code == 0, run
    assert pq.read_table(tmp_path / "out.parquet").column("first_enrolled_on").to_pylist() == [None, "2024-05-01"]


def test_a_date_time_keeps_its_zone_when_missing_from_the_first_line(tmp_path: Path) -> None:
    rows = [
        {"inquiry_type": "delivery", "order_stage": "pre_order", "fulfillment": "seller"},
        {
            "inquiry_type": "delivery",
            "order_stage": "post_order",
            "fulfillment": "seller",
            "order_placed_at": "2024-03-05T10:00:00Z",
            "enrollments": [{"from": "2024-03-05T09:30:00-08:00"}],
        },
    ]
    text = "".join(json.dumps(r) + "\n" for r in rows)
    source = tmp_path / "in.jsonl"
    source.write_text(text)
    table("coverage", source, tmp_path / "out.jsonl")
    assert lines(tmp_path / "out.jsonl") == batch("coverage", text)
    table("coverage", source, tmp_path / "out.parquet")
    assert pq.read_table(tmp_path / "out.parquet").column("order_placed_at").to_pylist() == [
        None,
        "2024-03-05T10:00:00Z",
    ]


FEE_VALUES: dict[str, list[Any]] = {
    "units": [0, 3, 11, 1000, 25000, "7", 2.5, True],
    "contacts": [0, 1, 40, 5000, -1],
    "cpu_units": [800, 2000],
    "in_trial": [True, False, "yes"],
    "valid_tracking_rate": [0.0, 94.9, 95, 100.0],
    "first_enrolled_on": ["2024-05-01", "2023-01-15", "2024-05-01T00:00:00Z", "May 1"],
}
COVERAGE_VALUES: dict[str, list[Any]] = {
    "inquiry_type": ["delivery", "refund", "product_customization", "Bad Type"],
    "order_stage": ["pre_order", "post_order"],
    "fulfillment": ["seller", "fba"],
    "order_placed_at": ["2024-01-01T00:00:00+00:00", "2024-06-01T12:30:00Z", "2023-12-31T23:59:59+01:00", "2024-06-01"],
    "enrollments": [
        [],
        [{"from": "2023-01-01T00:00:00Z", "to": "2024-02-01T00:00:00+01:00"}],
        [{"from": "2024-06-01"}],
    ],
}


@pytest.mark.parametrize(("decision", "values"), [("fee", FEE_VALUES), ("coverage", COVERAGE_VALUES)])
@pytest.mark.parametrize("seed", range(4))
def test_jsonl_table_answers_equal_the_batchs_on_random_rows(
    tmp_path: Path, decision: str, values: dict[str, list[Any]], seed: int
) -> None:
    """Random rows, each key left out at random (so the first line lacks different keys each time):
    the table path answers each row as `decide --input` answers its line."""
    rng = random.Random(seed)
    rows = [{k: rng.choice(v) for k, v in values.items() if rng.random() < 0.7} for _ in range(rng.randint(1, 60))]
    text = "".join(json.dumps(r) + "\n" for r in rows)
    source = tmp_path / "in.jsonl"
    source.write_text(text)
    run = table(decision, source, tmp_path / "out.jsonl")
    expected = batch(decision, text)
    got = lines(tmp_path / "out.jsonl")
    for answer in got + expected:
        for p in answer["problems"]:
            p.pop("file")
    assert got == expected
    assert run.code == (1 if any(a["problems"] for a in expected) else 0)
    table(decision, source, tmp_path / "out.parquet")
    answered = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert [a["matches"] for a in answered] == [e["matches"] for e in expected]
    assert [
        json.loads(a["problems"] or "[]") and [p["message"] for p in json.loads(a["problems"])] for a in answered
    ] == [[p["message"] for p in e["problems"]] for e in expected]


def test_a_jsonl_output_is_byte_for_byte_what_decide_prints(tmp_path: Path) -> None:
    """README: "A JSON Lines output is exactly what `decide` prints for each row" (it wrote `", "`
    and `": "` where `decide` writes compact JSON), bad lines too."""
    source = tmp_path / "in.jsonl"
    source.write_text('{"units": 1000, "contacts": 40}\n{"units": "x"}\nnot json\n{"units": 5}\n')
    table("fee", source, tmp_path / "out.jsonl")
    printed = run_cli("decide", "csba.fee", "-m", "us", "--at", AT, "--input", str(source), "--root", POLICIES)
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == printed.out


# -- 2. an aggregated output of `hit: collect` is one value ------------------------------------


def test_an_aggregated_collect_output_is_a_scalar_column(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "seller_type,account_in_good_standing,business_region,accepted_terms\n"
        "professional,true,US,true\nindividual,false,XX,false\n"
    )
    run = table("eligibility", source, tmp_path / "out.parquet")
    assert run.code == 0, run
    got = pq.read_table(tmp_path / "out.parquet")
    assert got.schema.field("eligible").type == pa.bool_()
    assert got.schema.field("failed_requirement").type == pa.list_(pa.string())
    assert got.column("eligible").to_pylist() == [True, False]
    assert got.column("problems").to_pylist() == [None, None]


# -- 3. no column named like an input -----------------------------------------------------------


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_a_table_without_input_columns_answers_every_row_with_missing_inputs(tmp_path: Path, kind: str) -> None:
    source = tmp_path / "in.csv"
    source.write_text("seller,other\na,b\nc,d\n")
    out = tmp_path / f"out.{kind}"
    run = table("fee", source, out)
    assert run.code == 1 and "2 rows, 2 with problems" in run.err and "Traceback" not in run.err
    if kind == "jsonl":
        problems = [a["problems"] for a in lines(out)]
    else:
        problems = [json.loads(p) for p in pq.read_table(out).column("problems").to_pylist()]
        assert pq.read_table(out).column("seller").to_pylist() == ["a", "c"]
    # (which column the input is read from, and how to read it from another)
    missing = (
        "/units: missing; this input is required and the table has no column `units` "
        "(`--map units=COLUMN` reads it from another column)"
    )
    assert [[(p["line"], p["message"]) for p in ps][:1] for ps in problems] == [[(2, missing)], [(3, missing)]]


# -- 4. a bad cell or line is its row's problem ------------------------------------------------


def test_one_bad_csv_cell_is_only_its_rows_problem(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text("seller_id,units,contacts\ns1,1000,40\ns2,5,\ns3,abc,1\n")
    run = table("fee", source, tmp_path / "out.jsonl")
    assert run.code == 1 and "3 rows, 1 with problems" in run.err
    got = lines(tmp_path / "out.jsonl")
    expected = batch("fee", '{"units":1000,"contacts":40}\n{"units":5}\n')
    assert [a["outputs"] for a in got[:2]] == [e["outputs"] for e in expected]
    assert messages(got[2]) == [(4, "D004", '/units: expected integer, got string `"abc"`')]
    table("fee", source, tmp_path / "out.parquet")
    answered = pq.read_table(tmp_path / "out.parquet")
    # the input's cells as written ("abc" beside its problem, not null): a CSV's columns are its text
    assert answered.column("units").to_pylist() == ["1000", "5", "abc"]
    assert answered.column("total").to_pylist()[:2] == [e["outputs"]["total"] for e in expected]


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_a_bad_cell_in_a_late_block_is_its_rows_problem_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setattr(decide_table, "BLOCK", 4096)  # blocks of a few hundred rows
    source = tmp_path / "in.csv"
    body = "".join(f"s{i},{1000 + i % 7},{i % 50}\n" for i in range(3000))
    source.write_text("seller_id,units,contacts\n" + body + "sX,abc,1\n" + "sY,12,3\n")
    out = tmp_path / f"out.{kind}"
    run = table("fee", source, out)
    assert run.code == 1 and "3002 rows, 1 with problems" in run.err, run
    if kind == "jsonl":
        got = lines(out)
        assert messages(got[3000]) == [(3002, "D004", '/units: expected integer, got string `"abc"`')]
        assert got[3001]["problems"] == [] and got[2999]["problems"] == []
    else:
        problems = pq.read_table(out).column("problems").to_pylist()
        assert [json.loads(p)[0]["line"] for p in problems if p] == [3002]


def _csv_with_lines(rows: int, seed: int) -> tuple[str, list[int]]:
    """A CSV of seller_id, units, contacts, note with blank lines between rows and notes that are
    quoted over several lines, and the line each row starts on (what an editor shows)."""
    rng = random.Random(seed)
    text, line, starts = "seller_id,units,contacts,note\n", 2, []
    for i in range(rows):
        for _ in range(rng.choice((0,) * 8 + (1, 2))):  # blank lines are no rows
            text, line = text + rng.choice(("\n", "\r\n")), line + 1
        note = rng.choice(("plain", '"two\nlines"', '"three\n\nlines, ""quoted"""', '"crlf\r\nend"'))
        starts.append(line)
        units = "abc" if i % 7 == 3 else str(1000 + i)  # every seventh row: its problem, at its line
        text += f"s{i},{units},{i % 50},{note}\n"
        line += 1 + note.count("\n")
    return text, starts


@pytest.mark.parametrize("block", [4096, decide_table.BLOCK])
@pytest.mark.parametrize("seed", [1, 2])
def test_a_csv_rows_problem_is_at_the_line_it_starts_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int, seed: int
) -> None:
    """Blank lines and cells quoted over several lines before a row: its problem named the line it
    would be on if every row were one line (pyarrow's count of rows, not of lines)."""
    monkeypatch.setattr(decide_table, "BLOCK", block)  # 4096: the rows cross blocks of a few dozen rows
    text, starts = _csv_with_lines(600, seed)
    source = tmp_path / "in.csv"
    source.write_bytes(text.encode())
    run = table("fee", source, tmp_path / "out.jsonl")
    assert run.code == 1 and "600 rows, 86 with problems" in run.err, run
    got = lines(tmp_path / "out.jsonl")
    found = [(i, a["problems"][0]["line"]) for i, a in enumerate(got) if a["problems"]]
    assert found == [(i, starts[i]) for i in range(600) if i % 7 == 3]
    run = table("fee", source, tmp_path / "out.parquet")
    problems = pq.read_table(tmp_path / "out.parquet").column("problems").to_pylist()
    assert [json.loads(p)[0]["line"] for p in problems if p] == [starts[i] for i in range(600) if i % 7 == 3]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("units\n1000\n\nabc\n-1\n", [4, 5]),  # one column: a blank line is no row either
        ("\nunits,contacts\n1000,4\nabc,1\n", [4]),  # a blank line before the header
        ('units,note\nabc,"a\nb"\n-1,x\n\n\n', [2, 4]),  # blank lines at the end change no line
    ],
)
def test_a_small_csvs_problems_are_at_their_lines(tmp_path: Path, text: str, expected: list[int]) -> None:
    source = tmp_path / "in.csv"
    source.write_text(text, encoding="utf-8")
    run = table("fee", source, tmp_path / "out.jsonl")
    assert run.code == 1, run
    assert [a["problems"][0]["line"] for a in lines(tmp_path / "out.jsonl") if a["problems"]] == expected


def test_csv_rows_pyarrow_cannot_read_are_their_own_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A row of another number of cells, a row that is not UTF-8, a cell unlike its column's first
    rows: each its row's problem at its line; the rows around them answered."""
    monkeypatch.setattr(decide_table, "BLOCK", 4096)
    good = "".join(f"s{i},{1000 + i % 7},{i % 50},{i}\n" for i in range(400))
    data = ("seller_id,units,contacts,n\n" + good).encode()
    data += b"sA,1000,40\n" + b"sB,1000,40,7\n" + b"s\xff,1000,40,8\n" + b"sC,1000,40,later\n" + b"sD,5,1,9\n"
    source = tmp_path / "in.csv"
    source.write_bytes(data)
    out = tmp_path / "out.parquet"
    run = table("fee", source, out)
    assert run.code == 1 and "405 rows, 2 with problems" in run.err, run
    got = pq.read_table(out)
    problems = {i + 2: json.loads(p) for i, p in enumerate(got.column("problems").to_pylist()) if p}
    assert sorted(problems) == [402, 404]
    assert problems[402][0]["message"] == "the row has 3 cells, the header 4"
    assert problems[404][0]["message"] == "the line is not UTF-8 text (byte 0xff)"
    # a carried column is text as written, whatever its first rows look like
    assert got.column("n").to_pylist()[400:] == [None, "7", None, "later", "9"]
    assert got.column("total").to_pylist()[401] == 100.0  # sB answered


def test_bad_jsonl_lines_are_their_rows_problems(tmp_path: Path) -> None:
    data = b'bad\n1\nnull\n\xff\xfe{"units":5}\n{"units":"7"}\n{"units":true}\n[1]\n\n{"units":5,"contacts":1}\n'
    source = tmp_path / "in.jsonl"
    source.write_bytes(data)
    for kind in ("jsonl", "parquet"):
        run = table("fee", source, tmp_path / f"out.{kind}")
        assert run.code == 1 and "8 rows, 7 with problems" in run.err and "Traceback" not in run.err, run
    got = lines(tmp_path / "out.jsonl")
    assert [a["problems"][0]["line"] for a in got[:7]] == [1, 2, 3, 4, 5, 6, 7]
    assert got[0] == {"line": 1, "problems": got[0]["problems"]}  # as `decide` prints a line that is not JSON
    assert got[0]["problems"][0]["message"] == "not valid JSON: `bad` is not a JSON value"
    assert got[3]["problems"][0]["message"] == "the line is not UTF-8 text (byte 0xff)"
    assert got[4]["problems"][0]["message"] == '/units: expected integer, got string `"7"`'
    assert got[7]["problems"] == [] and got[7]["outputs"]["total"] == 1.25  # line 9
    answered = pq.read_table(tmp_path / "out.parquet")
    assert answered.column("total").to_pylist()[7] == 1.25
    assert answered.column("units").to_pylist() == [None] * 4 + [
        '"7"',
        "true",
        None,
        "5",
    ]  # a column of mixed values: JSON


# -- 6. a row larger than a block --------------------------------------------------------------


def test_a_row_larger_than_a_block_is_answered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(decide_table, "BLOCK", 4096)
    source = tmp_path / "in.csv"
    source.write_text("units,contacts,note\n1000,40," + "x" * 50_000 + "\n5,1,ok\n")
    run = table("fee", source, tmp_path / "out.parquet")
    assert run.code == 0, run
    got = pq.read_table(tmp_path / "out.parquet")
    assert got.column("total").to_pylist() == [100.0, 1.25]
    assert [len(n) for n in got.column("note").to_pylist()] == [50_000, 2]


@pytest.mark.parametrize(
    "lines, said",
    [
        ('{"units": 5}\n', "1 row, none with problems"),
        ('{"units": -5}\n', "1 row, 1 with problems (see its `problems`)"),
        ('{"units": 5}\n{"units": "x"}\n', "2 rows, 1 with problems (see its `problems`)"),
    ],
)
def test_what_was_written_is_counted_in_words(tmp_path: Path, lines: str, said: str) -> None:
    """It said "wrote out.jsonl: 1 rows, 0 with problems (see its `problems`)"."""
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(lines, encoding="utf-8")
    run = table("fee", source, out)
    assert (run.code, run.err) == (1 if "see its" in said else 0, f"wrote {out}: {said}\n"), run


# -- 7. empty tables -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["empty.jsonl", "empty.csv", "header.csv", "empty.parquet", "blank.jsonl"])
@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_an_empty_table_is_zero_rows(tmp_path: Path, name: str, kind: str) -> None:
    source = tmp_path / name
    if name == "header.csv":
        source.write_text("units,contacts\n")
    elif name == "empty.parquet":
        pq.write_table(pa.table({"units": pa.array([], pa.int64())}), source)
    else:
        source.write_text("\n\n" if name == "blank.jsonl" else "")
    out = tmp_path / f"out.{kind}"
    run = table("fee", source, out)
    assert run.code == 0 and run.err == f"wrote {out}: 0 rows, none with problems\n", run
    if kind == "parquet":
        got = pq.read_table(out)
        assert got.num_rows == 0 and {"total", "matches", "problems"} <= set(got.schema.names)
    else:
        assert out.read_text() == ""


def test_only_an_empty_csv_cell_is_missing_and_carried_cells_stay_as_written(tmp_path: Path) -> None:
    """pyarrow's default null list read `NA` (Namibia), `null`, `NaN`... as missing cells, which
    changed answers; carried columns were retyped by their first rows (`00123` became 123)."""
    source = tmp_path / "in.csv"
    source.write_text("seller_base,seller_id,zip\nNA,00123,02134\nUS,A17X,x\n,7,\n", encoding="utf-8")
    run = run_cli(
        "decide", "csba.contact_address", "-m", "us", "--at", AT, "--input", str(source), "--output",
        str(tmp_path / "out.parquet"), "--root", POLICIES,
    )  # fmt: skip
    got = pq.read_table(tmp_path / "out.parquet")
    assert got.column("seller_id").to_pylist() == ["00123", "A17X", "7"]
    assert got.column("zip").to_pylist() == ["02134", "x", None]
    problems = [json.loads(p) if p else [] for p in got.column("problems").to_pylist()]
    assert problems[0] == [] and problems[1] == []  # `NA` is a region like `US`
    assert [p["message"] for p in problems[2]] == ["/seller_base: missing; this input is required"], problems
    assert run.code == 1


def test_an_output_in_a_folder_that_is_not_there_is_a_usage_error(tmp_path: Path) -> None:
    """It was exit 1 with the input blamed: "in.csv:1:1: cannot read the table after row 0"."""
    source = tmp_path / "in.csv"
    source.write_text("units\n5\n", encoding="utf-8")
    run = table("fee", source, tmp_path / "nodir" / "out.parquet")
    assert run.code == 2 and "there is no folder" in run.err and "in.csv" not in run.err, run


def test_timestamps_arrow_holds_and_python_cannot_are_answered_or_their_rows_problems(tmp_path: Path) -> None:
    """A nanosecond timestamp (as pandas and Spark write them) with a part below the microsecond,
    and a date or time outside years 1-9999, stopped the run with a traceback."""
    import pyarrow as pa

    def answers(name: str, column: Any) -> list[dict[str, Any]]:
        source = tmp_path / f"{name}.parquet"
        pq.write_table(pa.table({"opened_at": column}), source)
        out = tmp_path / f"{name}.jsonl"
        run = run_cli(
            "decide", "csba.reply_deadline", "-m", "us", "--at", AT, "--input", str(source), "--output", str(out),
            "--root", POLICIES,
        )  # fmt: skip
        assert "Traceback" not in run.err, run
        return lines(out)

    ns = answers("ns", pa.array([1717236000123456789, 1717236000000000000], pa.timestamp("ns", tz="UTC")))
    assert [a["outputs"].get("deadline_utc") for a in ns] == ["2024-06-02T10:00:00.123456Z", "2024-06-02T10:00:00Z"]
    far = answers("far", pa.array([10**15, 1717236000000], pa.timestamp("ms", tz="UTC")))
    assert far[0]["problems"][0]["code"] == "D004" and far[1]["problems"] == []
    days = answers("days", pa.array([2_000_000_000, 19875], pa.date32()))
    assert days[0]["problems"][0]["code"] == "D004" and len(days) == 2


@pytest.mark.parametrize("header", ["units,units,contacts", "note,units,note,contacts"])
def test_a_table_with_two_columns_of_one_name_is_a_usage_error(tmp_path: Path, header: str) -> None:
    """An input's column twice was a traceback; a carried one twice wrote a Parquet file that
    pyarrow itself could not read back."""
    source = tmp_path / "in.csv"
    source.write_text(header + "\n" + ",".join(["1"] * len(header.split(","))) + "\n", encoding="utf-8")
    for out in ("out.jsonl", "out.parquet"):
        run = table("fee", source, tmp_path / out)
        assert run.code == 2 and "more than one column named" in run.err and "Traceback" not in run.err, run
        assert not (tmp_path / out).exists()


def test_csv_numbers_are_read_as_json_reads_numbers(tmp_path: Path) -> None:
    """`1000.0` (pandas writes an integer column with blanks so) was refused where a JSON input's
    `1000.0` is taken; `0x10` was read as 16 where JSON has no such number."""
    source = tmp_path / "in.csv"
    source.write_text("units,contacts\n1000.0,40\n0x10,1\n+5,1\n1e3,2\n007,1\ninf,1\n", encoding="utf-8")
    table("fee", source, tmp_path / "out.jsonl")
    got = lines(tmp_path / "out.jsonl")
    said = [[p["message"] for p in a["problems"]] for a in got]
    assert [a["outputs"].get("total") for a in got] == [100.0, None, None, 100.0, 1.75, None]
    assert said[1] == ['/units: expected integer, got string `"0x10"`'] and said[2] and said[5]


def test_decimal_and_binary_parquet_columns_are_read_as_json_values(tmp_path: Path) -> None:
    """A decimal column (databases and Spark write them) was refused with Python's words: "got
    Decimal `Decimal('1000.00')`"; text stored as bytes "got bytes `b'...'`"."""
    import decimal

    import pyarrow as pa

    source = tmp_path / "in.parquet"
    pq.write_table(
        pa.table(
            {
                "units": pa.array([decimal.Decimal("1000.00"), decimal.Decimal("5.5")], pa.decimal128(10, 2)),
                "seller": pa.array([b"a", b"\xff"], pa.binary()),
                "contacts": pa.array([40, 1], pa.int64()),
            }
        ),
        source,
    )
    table("fee", source, tmp_path / "out.jsonl")
    got = lines(tmp_path / "out.jsonl")
    assert got[0]["outputs"]["total"] == 100.0 and got[0]["problems"] == []
    said = " ".join(p["message"] for p in got[1]["problems"])
    assert "got number `5.5`" in said and "Decimal" not in said and "bytes" not in said, said


@pytest.mark.parametrize(
    ("header", "says"),
    [
        ("Units,contacts", "the input has no column `units`, but a column `Units` (names differ in case)"),
        ("units,Problems", "the input already has a column `Problems`, which the output adds as `problems`"),
        ("units,TOTAL", "the input already has a column `TOTAL`, which the output adds as `total`"),
    ],
)
def test_a_column_named_like_an_input_or_output_but_for_case_is_a_usage_error(
    tmp_path: Path, header: str, says: str
) -> None:
    """`Units` answered every row "missing; this input is required"; `Problems` beside the output's
    `problems` wrote a file Spark and other case-blind readers refuse (AMBIGUOUS_REFERENCE)."""
    source = tmp_path / "in.csv"
    source.write_text(header + "\n1000,40\n", encoding="utf-8")
    run = table("fee", source, tmp_path / "out.parquet")
    assert run.code == 2 and says in run.err and "--map INPUT=COLUMN" in run.err, run
    assert not (tmp_path / "out.parquet").exists()


def test_a_float32_column_is_read_as_the_number_it_shows(tmp_path: Path) -> None:
    """A float32 cell (Spark's FloatType) was read as its float64 widening: 100.1 was
    `100.0999984741211` in the problem, and 95.1 fell below a `>= 95.1`."""
    from engine.decisions.tables import cells

    assert cells(pa.array([95.1, None, 0.1], pa.float32())) == [95.1, None, 0.1]
    source = tmp_path / "in.parquet"
    rates = pa.array([100.1, 95.5], pa.float32())
    pq.write_table(pa.table({"units": [1000, 1000], "contacts": [40, 40], "valid_tracking_rate": rates}), source)
    table("fee", source, tmp_path / "out.jsonl")
    got = lines(tmp_path / "out.jsonl")
    assert [p["message"] for p in got[0]["problems"]] == ["/valid_tracking_rate: expected at most 100, got `100.1`"]
    assert got[1]["problems"] == []


def test_a_parquet_output_is_written_in_large_row_groups(tmp_path: Path) -> None:
    """Each 8,192-row batch was its own row group (123 for a million rows)."""
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"units": pa.array(range(3 * 8192 + 5), pa.int64())}), source)
    table("fee", source, tmp_path / "out.parquet")
    answered = pq.ParquetFile(tmp_path / "out.parquet")
    assert answered.metadata.num_row_groups == 1 and answered.metadata.num_rows == 3 * 8192 + 5
    assert answered.read(columns=["units"]).column("units").to_pylist() == list(range(3 * 8192 + 5))


def test_times_and_float32s_inside_a_list_of_structs_are_read_as_top_level_ones(tmp_path: Path) -> None:
    """A timestamp inside a struct outside Python's years 1-9999 stopped the run with a traceback
    (OverflowError); inside one, float32s were their float64 widening."""
    from engine.decisions.tables import cells

    source = tmp_path / "in.parquet"
    period = pa.struct([("from", pa.timestamp("ms", tz="UTC"))])
    enrollments = pa.array([[{"from": 10**15}], [{"from": 1704067200000}]], pa.list_(period))
    given = {"inquiry_type": ["delivery"] * 2, "order_stage": ["post_order"] * 2, "fulfillment": ["seller"] * 2}
    placed = {"order_placed_at": ["2024-05-01T10:00:00Z"] * 2}
    pq.write_table(pa.table({**given, **placed, "enrollments": enrollments}), source)
    run = table("coverage", source, tmp_path / "out.jsonl")
    assert "Traceback" not in run.err and run.code == 1, run
    got = lines(tmp_path / "out.jsonl")
    assert got[0]["problems"][0]["message"].startswith("/enrollments/0/from: expected a date-time")
    assert got[1]["outputs"] == {"handler": "marketplace", "channel": "csba"} and got[1]["problems"] == []
    assert cells(pa.array([{"rate": 95.1}], pa.struct([("rate", pa.float32())]))) == [{"rate": 95.1}]


@pytest.mark.parametrize(
    ("kind", "answered"),
    [(pa.timestamp("us", tz="UTC"), True), (pa.timestamp("ms", tz="Asia/Tokyo"), True), (pa.timestamp("us"), False)],
)
def test_a_timestamp_is_the_instant_it_holds_and_one_without_a_zone_is_refused_with_a_hint(
    tmp_path: Path, kind: Any, answered: bool
) -> None:
    """A timestamp without a zone is never read in the marketplace's zone nor the machine's: its row
    is refused, and the hint said only "see the decision's `inputs`", where the column is the fault."""
    import datetime as dt

    source = tmp_path / "in.parquet"
    placed = pa.array([dt.datetime(2024, 5, 1, 10)], pa.timestamp("us")).cast(kind)
    given = {"inquiry_type": ["delivery"], "order_stage": ["post_order"], "fulfillment": ["seller"]}
    enrolled = {"enrollments": ['[{"from": "2024-01-01T00:00:00Z"}]']}
    pq.write_table(pa.table({**given, "order_placed_at": placed, **enrolled}), source)
    run = table("coverage", source, tmp_path / "out.jsonl")
    (got,) = lines(tmp_path / "out.jsonl")
    if answered:
        assert run.code == 0 and got["outputs"] == {"handler": "marketplace", "channel": "csba"}, got
    else:
        (problem,) = got["problems"]
        assert run.code == 1 and problem["message"].startswith("/order_placed_at: expected a date-time"), got
        assert problem["hint"].startswith("the column `order_placed_at` is a timestamp without a time zone"), got
