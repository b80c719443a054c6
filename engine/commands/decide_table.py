"""`policyctl decide --input X.parquet|X.csv|X.jsonl --output Y.parquet|Y.jsonl`: a decision over a
table, streamed batch by batch (engine.decisions.tables), never held whole in memory (a JSON Lines
input is the exception: pyarrow reads it whole). Returns a value; ``cli.py`` prints it.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.problems import Problem

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


@dataclass
class Ran:
    rows: int = 0
    failed: int = 0  # rows with problems (in the output's `problems` column)
    usage: str = ""  # a question that cannot be asked: nothing was written
    problems: list[Problem] = field(default_factory=list)


def table_format(path: str) -> str | None:
    return FORMATS.get(os.path.splitext(path)[1].lower())


def run(
    repo: Any,
    program: str,
    decision: str,
    marketplace: str,
    at: str | None,
    source: str,
    out: str,
    given: dict[str, str],
) -> Ran:
    """Answer every row of ``source`` into ``out``; PolicyError for an unknown program, decision or
    marketplace. The output is written next to its name and renamed into place when complete."""
    import pyarrow as pa

    from engine.decisions import tables

    compiled = repo.compiled(program, decision)
    resolved = repo.resolve(program, marketplace, at)
    kind_in, kind_out = table_format(source), table_format(out)
    if kind_in is None or kind_out not in ("parquet", "jsonl"):
        return Ran(
            usage=f"cannot read `{source}` or write `{out}`: the input is .parquet, .csv or .jsonl, the output .parquet or .jsonl"
        )
    try:
        spec = compiled.decision  # the columns of string and structured inputs (by name or `--map`)
        strings = [given.get(n, n) for n in tables.string_inputs(spec)]
        structured = [given.get(n, n) for n, s in spec.inputs.items() if tables.structured(s)]
        schema, batches = _reader(kind_in, source, strings, structured)
    except (OSError, pa.ArrowException) as e:
        return Ran(
            problems=[
                Problem(
                    source,
                    1,
                    1,
                    "D004",
                    f"cannot read the table: {_reason(e)}",
                    "give a Parquet file, a CSV file with a header line, or JSON Lines",
                )
            ]
        )
    columns, wrong = tables.mapping(compiled.decision, schema.names, given)
    if wrong:
        return Ran(usage=wrong)
    params = repo.params(program, marketplace, resolved.at)  # with the marketplace's zone and timelines
    table = tables.Table(compiled, params, resolved.at, columns, source, 1 if kind_in == "csv" else 0)
    ran = Ran()
    staged = out + ".partial"
    try:
        if kind_out == "parquet":
            import pyarrow.parquet as pq

            with pq.ParquetWriter(staged, tables.output_schema(compiled.decision, schema)) as writer:
                for batch in batches:
                    answered = table.answer(batch, ran.rows + 1)
                    writer.write_batch(answered.batch)
                    ran.rows += batch.num_rows
                    ran.failed += answered.failed
        else:
            with open(staged, "w", encoding="utf-8") as text:
                for batch in batches:
                    text.write("".join(_lines(table, batch, ran)))
        os.replace(staged, out)
    except pa.ArrowException as e:  # a later batch that cannot be read (a CSV cell of another type)
        _remove(staged)
        ran.problems.append(
            Problem(
                source,
                ran.rows + 1,
                1,
                "D004",
                f"cannot read the table after row {ran.rows}: {_reason(e)}",
                "give every row the same columns and types; --map names the columns to use",
            )
        )
    except BaseException:
        _remove(staged)
        raise
    return ran


def _reader(kind: str, path: str, strings: list[str], structured: list[str]) -> tuple[Any, Iterator[Any]]:
    import pyarrow as pa

    from engine.decisions.tables import ROWS_PER_BATCH

    if kind == "parquet":
        import pyarrow.parquet as pq

        f = pq.ParquetFile(path)
        return f.schema_arrow, f.iter_batches(batch_size=ROWS_PER_BATCH)
    if kind == "csv":
        import pyarrow.csv as pcsv

        reader = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(block_size=1 << 20),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.string() for n in strings + structured}, strings_can_be_null=True
            ),
        )  # an empty cell: no input
        return reader.schema, iter(reader)
    import pyarrow.json as pjson

    with open(path, "rb") as f:
        head = f.readline()
    names = list(json.loads(head)) if head.strip() else []
    explicit = pa.schema([(n, pa.string()) for n in strings + structured if n in names])
    # a list or object input as its JSON text, as a CSV carries it: pyarrow's reader would make
    # nested date-times naive UTC datetimes (their offsets lost) and absent fields nulls
    source: Any = io.BytesIO(_structured_as_text(path, structured)) if structured else path
    table = pjson.read_json(
        source, parse_options=pjson.ParseOptions(explicit_schema=explicit, unexpected_field_behavior="infer")
    )
    return table.schema, iter(table.to_batches(ROWS_PER_BATCH))


def _structured_as_text(path: str, names: list[str]) -> bytes:
    """The JSON Lines file with each list or object value of the inputs ``names`` written as its JSON
    text (a string); other lines as they are (one that is not JSON: the reader says what is wrong)."""
    lines = []
    with open(path, "rb") as f:
        for line in f:
            try:
                row = json.loads(line)
            except (ValueError, RecursionError):
                row = None
            if isinstance(row, dict) and any(type(row.get(n)) in (list, dict) for n in names):
                for n in names:
                    if type(row.get(n)) in (list, dict):
                        row[n] = json.dumps(row[n])  # (ASCII, escapes kept: read back by read_json)
                line = json.dumps(row).encode("ascii") + b"\n"
            lines.append(line)
    return b"".join(lines)


def _lines(table: Any, batch: Any, ran: Ran) -> Iterator[str]:
    """The JSON `policyctl decide` prints for each row (a non-finite output: the row's problem instead)."""
    from engine.decisions.batch import _not_finite

    first = ran.rows + 1
    ran.rows += batch.num_rows
    for number, result in table.results(batch, first):
        if not result.ok:
            ran.failed += 1
        try:
            yield json.dumps(result.to_json(), ensure_ascii=False, allow_nan=False) + "\n"
        except ValueError:
            ran.failed += result.ok
            yield json.dumps({"line": number, "problems": [_not_finite(table.name, number).to_json()]}) + "\n"


def _reason(e: BaseException) -> str:
    return str(e).splitlines()[0][:200] if str(e) else type(e).__name__


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
