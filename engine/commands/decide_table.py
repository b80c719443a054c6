"""`policyctl decide --input X.parquet|X.csv|X.jsonl --output Y.parquet|Y.jsonl`: a decision over a
table, streamed batch by batch (engine.decisions.tables), never held whole in memory. Returns a
value; ``cli.py`` prints it.

A bad row never stops the run, whatever is wrong with it: it is answered with its problem, at its
own line, and the rows after it are answered.

- Parquet: record batches as stored (typed: no cell can be wrong).
- CSV: pyarrow's vectorised reader (``_Csv``), the input columns read as text and converted to each
  input's declared type column by column; a column of a batch with a cell that does not convert is
  converted cell by cell (the cell's text is then the row's input, which the decision refuses on
  its row). The output carries every column as its text, as written (a bad cell too). Where pyarrow cannot read on (a row longer than its block, a row of another number of
  cells, bytes that are not UTF-8, a cell unlike its column's first rows), about one block is read
  with Python's ``csv`` and pyarrow resumes after it. A row's line counts the line ends quoted in
  its cells; a file with an empty line before a row is read by Python's ``csv`` throughout (pyarrow
  skips empty lines without a word, so the rows after one would be named by lines they are not on).
- JSON Lines (``_Jsonl``): each line read as ``policyctl decide`` reads a batch's line, so every
  value is as written, whatever the order of the rows; a line that is not JSON is its row's
  problem. The file is read twice: once for its columns (a Parquet output's schema comes first).
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.problems import Problem

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
# pyarrow's CSV block, in bytes: where pyarrow cannot read on, about this much is read by Python
BLOCK = 1 << 20
# rows per row group of a Parquet output (the answers held in memory before they are written)
ROWS_PER_GROUP = 1 << 17


@dataclass
class Ran:
    rows: int = 0
    failed: int = 0  # rows with problems (in the output's `problems` column)
    usage: str = ""  # a question that cannot be asked: nothing was written
    refused: tuple[str, str] | None = None  # (why, hint): ``out`` is not a file to write over; nothing written
    problems: list[Problem] = field(default_factory=list)


@dataclass
class Chunk:
    """Rows of the input: ``batch`` holds their columns as the output carries them (None when the
    output is JSON Lines and the rows are given), ``rows`` their input objects when not read from
    ``batch`` (a Problem: a row that could not be read), ``lines`` their lines when not ``first``
    and those after it, ``data`` a mapped column's values when not the batch's (a cell that did not
    convert is its text), ``extra`` more problems of some rows, by index, ``unread`` rows that could
    not be read."""

    batch: Any
    first: int
    size: int
    rows: list[Any] | None = None
    lines: list[int] | None = None
    data: dict[str, list[Any]] | None = None
    extra: dict[int, list[Problem]] | None = None
    unread: dict[int, Problem] | None = None  # rows that could not be read, by index: their problems
    texts: list[str] | None = None  # each row's JSON text (a JSON Lines table's): its problems are placed in it


def table_format(path: str) -> str | None:
    return FORMATS.get(os.path.splitext(path)[1].lower())


def out_refusal(out: str, kind: str, policies: str | None) -> tuple[str, str] | None:
    """Why ``out`` must not be written (engine.commands.outputs), or None: a new file, or the
    output of an earlier run (a JSON Lines file of `decide`'s answers; a Parquet file with the
    `matches` and `problems` columns every output has) — never someone's data, the input itself
    included, a link, a pipe, or a file in the policies folder."""
    from engine.commands.outputs import refusal

    def ours(head: bytes) -> bool:
        if kind == "jsonl":
            return not head.strip() or head.startswith((b'{"decision":', b'{"line":'))
        if not head.startswith(b"PAR1"):
            return False
        try:
            import pyarrow.parquet as pq

            names = set(pq.read_schema(out).names)
        except (OSError, ValueError):  # pyarrow's ArrowIOError and ArrowInvalid: damaged, so not ours
            return False
        return {"matches", "problems"} <= names

    folder = os.path.dirname(out) or "."
    if not os.path.isdir(folder):  # (else the reading would be blamed: "cannot read the table after row 0")
        return f"--output {out}: there is no folder {folder}", "create it first, or give another path"
    return refusal("--output", out, policies, f"an output of `decide` ({kind})", ours, "give a new file name")


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
    # (a bundle has no policies folder: answered from one, none is near)
    refused = out_refusal(out, kind_out, getattr(repo, "root", None))
    if refused is not None:
        return Ran(refused=refused)
    spec = compiled.decision
    try:
        document = _one_document(source, kind_in)
        if document is not None:
            return Ran(problems=[document])
        reader: Any = {"parquet": _Parquet, "csv": _Csv, "jsonl": _Jsonl}[kind_in](
            source, spec, given, kind_out == "parquet"
        )
    except (OSError, pa.ArrowException, _BadHeader) as e:
        said = e.problem if isinstance(e, _BadHeader) else None
        return Ran(problems=[said or _unreadable(source, 1, f"cannot read the table: {_reason(e)}")])
    twice = sorted({n for n in reader.names if reader.names.count(n) > 1})
    if twice:  # (which one would be the input? pyarrow refused to pick: a traceback)
        return Ran(refused=(f"`{source}` has more than one column named `{twice[0]}`", "rename all but one of them"))
    columns, wrong = tables.mapping(spec, reader.names, given)
    if wrong:
        return Ran(usage=wrong)
    params = repo.params(program, marketplace, resolved.at)  # with the marketplace's zone and timelines
    table = tables.Table(compiled, params, resolved.at, columns, source)
    ran = Ran()
    staged = out + ".partial"
    try:
        chunks = reader.chunks(table)
        if kind_out == "parquet":
            import pyarrow.parquet as pq

            # answers are written a row group of ROWS_PER_GROUP at a time: each batch written as it
            # came made a row group of 8,192 rows (123 for a million rows), slow for every reader
            held: list[Any] = []
            with pq.ParquetWriter(staged, tables.output_schema(spec, reader.schema())) as writer:
                for chunk in chunks:
                    rows = _rows(table, chunk)
                    answered = table.answer(chunk.batch, chunk.first, rows, chunk.lines, chunk.extra, chunk.texts)
                    held.append(answered.batch)
                    ran.rows += chunk.size
                    ran.failed += answered.failed
                    if sum(b.num_rows for b in held) >= ROWS_PER_GROUP:
                        writer.write_table(pa.Table.from_batches(held), row_group_size=ROWS_PER_GROUP)
                        held = []
                if held:
                    writer.write_table(pa.Table.from_batches(held), row_group_size=ROWS_PER_GROUP)
        else:
            with open(staged, "w", encoding="utf-8") as text:
                from engine.decisions.batch import decided_for, line_encoder

                when = decided_for(resolved)  # (each answer says its day and zone, as `decide`'s lines)
                encode = line_encoder()  # (one C encoder for the run, as `decide`'s batch)
                for chunk in chunks:
                    text.write("".join(_lines(table, chunk, ran, when, encode)))
        os.replace(staged, out)
    except (OSError, pa.ArrowException) as e:  # a Parquet file damaged after its first rows, a disk error
        _remove(staged)
        if isinstance(e, OSError) and not os.path.exists(source):
            raise
        ran.problems.append(
            _unreadable(source, ran.rows + 1, f"cannot read the table after row {ran.rows}: {_reason(e)}")
        )
    except BaseException:
        _remove(staged)
        raise
    return ran


def _rows(table: Any, chunk: Chunk) -> list[Any] | None:
    """The chunk's input objects for ``Table.answer``/``results`` (None: the table reads the batch)."""
    from engine.decisions import tables

    if chunk.rows is not None or (chunk.data is None and chunk.unread is None):
        return chunk.rows
    given = chunk.data or {}
    data = [given[c] if c in given else tables.cells(chunk.batch.column(c)) for c in table.columns.values()]
    rows: list[Any] = list(table.rows(chunk.batch, data))
    for index, problem in (chunk.unread or {}).items():
        rows[index] = problem
    return rows


def _lines(table: Any, chunk: Chunk, ran: Ran, when: dict[str, Any], encode: Callable[[Any], str]) -> Iterator[str]:
    """The JSON `policyctl decide` prints for each row (compact, no NaN or infinity: ``encode``,
    engine.decisions.batch.line_encoder), ending with ``when`` (the day and zone it answered for); a
    non-finite output: the row's problem instead; a row that could not be read: its problem, as
    `decide` prints a line that is not JSON."""
    from engine.decisions.batch import not_finite

    ran.rows += chunk.size
    rows = _rows(table, chunk)
    unread = {i: r for i, r in enumerate(rows) if type(r) is Problem} if rows is not None else {}
    for index, (number, result) in enumerate(table.results(chunk.batch, chunk.first, rows, chunk.lines, chunk.texts)):
        if not result.ok:
            ran.failed += 1
        if index in unread:
            yield encode({"line": number, "problems": [unread[index].to_json()]}) + "\n"
            continue
        try:  # (each line starts with its row's line, as `decide`'s batch: blank lines are no rows)
            yield encode({"line": number, **result.to_json(), **when}) + "\n"
        except ValueError:
            ran.failed += result.ok
            yield encode({"line": number, "problems": [not_finite(result, table.name, number).to_json()]}) + "\n"


# -- Parquet ------------------------------------------------------------------------------------


class _Parquet:
    def __init__(self, path: str, spec: Any, given: dict[str, str], carried: bool) -> None:
        import pyarrow.parquet as pq

        self.file = pq.ParquetFile(path)
        self.names = list(self.file.schema_arrow.names)

    def schema(self) -> Any:
        return self.file.schema_arrow

    def chunks(self, table: Any) -> Iterator[Chunk]:
        from engine.decisions.tables import ROWS_PER_BATCH

        first = 1
        for batch in self.file.iter_batches(batch_size=ROWS_PER_BATCH):
            yield Chunk(batch, first, batch.num_rows)
            first += batch.num_rows


# -- CSV ----------------------------------------------------------------------------------------


# Only an empty cell is a missing value (README). pyarrow's default list also reads `NA` (Namibia's
# code), `null`, `NaN`, `N/A`... as missing, which changed answers and emptied carried cells.
_ONLY_EMPTY_IS_NULL: dict[str, Any] = {"null_values": [""], "strings_can_be_null": True}


class _BadHeader(Exception):
    """The header line of a CSV table cannot be read: its ``problem``."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


class _Csv:
    """A CSV table: pyarrow's reader in segments, Python's ``csv`` for about a block where it stops."""

    def __init__(self, path: str, spec: Any, given: dict[str, str], carried: bool) -> None:
        import pyarrow as pa
        import pyarrow.csv as pcsv

        from engine.decisions import tables

        self.path, self.pa, self.pcsv = path, pa, pcsv
        # the type each possible input column is read as: the input's declared type (text for a
        # list or an object: its JSON)
        self.declared = {
            given.get(n, n): pa.string() if tables.structured(s) else tables.arrow_type(s)
            for n, s in reversed(spec.inputs.items())
        }
        try:  # the names, as pyarrow reads the header
            probe = pcsv.open_csv(
                path,
                read_options=pcsv.ReadOptions(block_size=BLOCK),
                convert_options=pcsv.ConvertOptions(
                    column_types={n: pa.string() for n in self.declared}, **_ONLY_EMPTY_IS_NULL
                ),
            )
            names = list(probe.schema.names)
        except (pa.ArrowInvalid, UnicodeDecodeError):  # (pyarrow decodes the names it read when asked)
            # the first block cannot be read (or is "empty": a UTF-16 header without a line break
            # too): its names as Python reads them
            with open(path, "rb") as f:
                head = next(_records(f, 0, 0), None)
            if head is not None and isinstance(head[0], Problem):
                # a header that is not UTF-8 (a UTF-16 file) names no column: not a table of no rows
                raise _BadHeader(head[0]) from None
            names = [] if head is None else head[0]
        self.names = names
        self.empty = not names
        # every column is carried through as its text, as written (`00123` stays `00123`, not the
        # number 123), an input's too: its cell `x` stays `x` beside the row's problem, not null
        self.types = [pa.string()] * len(names)
        self.inputs: set[str] = set()  # the mapped columns (after ``chunks`` is called)

    def schema(self) -> Any:
        return self.pa.schema(list(zip(self.names, self.types)))

    def chunks(self, table: Any) -> Iterator[Chunk]:
        if self.empty:
            return
        pa = self.pa
        self.inputs = set(table.columns.values())
        # pyarrow reads every column as text; the mapped ones are converted by ``_convert``
        read_as = dict.fromkeys(self.names, pa.string())
        csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))  # a cell may be large
        # pyarrow skips blank lines without a word: the rows after one would be named by lines they
        # are not on (and one before the header made the header a row), and reads a quote never
        # closed to the end of the file; Python reads such a file
        fast = not _read_by_python(self.path)
        offset, before, header = 0, 0, True  # a segment: its byte offset, the lines before it
        with open(self.path, "rb") as f:
            while True:
                f.seek(offset)
                delivered, line = 0, before + 1 + header
                if fast:
                    try:
                        reader = self.pcsv.open_csv(
                            f,
                            read_options=self.pcsv.ReadOptions(
                                block_size=BLOCK, column_names=self.names, skip_rows=int(header)
                            ),
                            convert_options=self.pcsv.ConvertOptions(column_types=read_as, **_ONLY_EMPTY_IS_NULL),
                        )
                        while True:
                            try:
                                batch = reader.read_next_batch()
                            except StopIteration:
                                return
                            starts, line_after = _row_lines(batch, line)  # (None: one line per row)
                            yield self._convert(batch, line, starts, {})
                            line = line_after
                            delivered += batch.num_rows
                    except pa.ArrowInvalid:  # pyarrow stops here: Python reads on for about a block
                        pass
                slow = yield from self._slow(f, offset, before, delivered + header)
                if slow is None:
                    return
                offset, before, header = slow[0], slow[1], False

    def _slow(self, f: Any, offset: int, before: int, skip: int) -> Generator[Chunk, None, tuple[int, int] | None]:
        """Rows read by Python from the ``skip``-th record after ``offset`` for about a block; returns
        (offset, lines before) where pyarrow can resume, None at the end of the file."""
        from engine.decisions.tables import ROWS_PER_BATCH

        records = _records(f, offset, before)
        for _ in range(skip):
            if next(records, None) is None:
                return None
        cells: list[list[str | None] | Problem] = []
        lines: list[int] = []
        start = end = -1
        for record, number, end, lines_read in records:
            if start < 0:
                start = end
            if isinstance(record, Problem) or len(record) == len(self.names):
                cells.append(record if isinstance(record, Problem) else [c if c != "" else None for c in record])
            else:
                cells.append(
                    _unreadable(
                        self.path,
                        number,
                        f"the row has {len(record)} cells, the header {len(self.names)}",
                        "give every row as many cells as the header; quote a cell that holds a comma",
                    )
                )
            lines.append(number)
            if len(cells) >= ROWS_PER_BATCH:
                yield self._rows_chunk(cells, lines)
                cells, lines = [], []
            if end - start >= BLOCK:
                if cells:
                    yield self._rows_chunk(cells, lines)
                return end, lines_read
        if cells:
            yield self._rows_chunk(cells, lines)
        return None

    def _rows_chunk(self, cells: list[Any], lines: list[int]) -> Chunk:
        pa = self.pa
        columns = [
            pa.array([None if isinstance(r, Problem) else r[i] for r in cells], pa.string())
            for i in range(len(self.names))
        ]
        strings = pa.RecordBatch.from_arrays(columns, names=self.names)
        unread = {i: r for i, r in enumerate(cells) if isinstance(r, Problem)}
        return self._convert(strings, lines[0], lines, unread)

    def _convert(self, batch: Any, first: int, lines: list[int] | None, unread: dict[int, Problem]) -> Chunk:
        """The chunk of a batch read as text (every column, carried so): each mapped column's values,
        for the rows' inputs, of its input's type, cell by cell where a cell does not convert (its
        text is then the input, which the decision refuses on its row)."""
        pa = self.pa
        data: dict[str, list[Any]] = {}
        for name, array in zip(self.names, batch.columns):
            kind = self.declared.get(name)
            if name not in self.inputs or kind is None or kind == array.type:
                continue
            number = _NUMBER_TEXT.get(str(kind))
            try:
                # Arrow's cast also reads `0x10`, `inf` and `nan`, which JSON has not: numbers are
                # cast whole only when every cell is written as JSON writes a number
                if number is not None and not _all_match(array, number[0]):
                    raise pa.ArrowInvalid("not JSON numbers")
                data[name] = array.cast(kind).to_pylist()
                continue
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
            values = []
            for text in array.to_pylist():
                if number is not None:
                    value = None if text is None else _json_number(text, integer=number[1])
                else:
                    try:
                        value = None if text is None else pa.array([text], pa.string()).cast(kind)[0].as_py()
                    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                        value = None
                values.append(text if value is None else value)  # an input's text: its row's problem
            data[name] = values
        out = pa.RecordBatch.from_arrays(list(batch.columns), schema=self.schema())
        return Chunk(out, first, out.num_rows, None, lines, data or None, None, unread or None)


# A CSV cell of a number input, read as JSON reads a number (RFC 8259, leading zeros allowed, as a
# spreadsheet writes `007`): (the pattern of a cell Arrow may cast, whether the input is an integer)
_NUMBER_TEXT = {
    "int64": (r"^-?[0-9]+$", True),
    "double": (r"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$", False),
}
_JSON_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def _all_match(array: Any, pattern: str) -> bool:
    import pyarrow.compute as pc

    return bool(pc.all(pc.match_substring_regex(array, pattern)).as_py() is not False)


def _json_number(text: str, integer: bool) -> int | float | None:
    """The number a cell holds as JSON would read it, None when it holds none; for an integer input a
    whole number written with a fraction or exponent (`1000.0`, as pandas writes an integer column
    with blanks) is that integer, as a JSON input's `1000.0` is."""
    if not _JSON_NUMBER.fullmatch(text):
        return None  # (`0x10`, `+5`, `1_000`, `inf`: its row's problem, as the text)
    value = float(text)
    if not integer:
        return value
    if value.is_integer() and abs(value) < 2**63:
        return int(text) if text.lstrip("-").isdigit() else int(value)
    return None


def _row_lines(batch: Any, first: int) -> tuple[list[int] | None, int]:
    """The line each row of ``batch`` starts on, its first on line ``first`` (None when each row is
    one line: the rows are then on ``first`` and the lines after it), and the line after its last
    row. A text cell quoted over several lines holds the line ends that make a row longer."""
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = [a for a in batch.columns if pa.types.is_string(a.type) or pa.types.is_large_string(a.type)]
    texts = [a for a in texts if pc.any(pc.match_substring(a, "\n")).as_py()]
    if not texts:
        return None, first + batch.num_rows
    ends = pc.fill_null(pc.count_substring(texts[0], "\n"), 0)
    for array in texts[1:]:
        ends = pc.add(ends, pc.fill_null(pc.count_substring(array, "\n"), 0))
    starts, line = [], first
    for inside in ends.to_pylist():
        starts.append(line)
        line += 1 + inside
    return starts, line


_BLANK = re.compile(rb"\n\r?\n")


def _read_by_python(path: str) -> bool:
    """Whether the file is read by Python's csv rather than pyarrow: when an empty line of the file
    comes before a line that is not (pyarrow skips it: the rows after it are not on the lines its
    count of rows gives), or it holds an odd number of quotes, as a quote that opens a cell and is
    never closed leaves it (pyarrow reads the rest of the file into that cell without a word;
    ``_records`` says where it opens). An empty line inside a quoted cell, or a quote inside a
    cell not quoted (`5" screen`), is taken for one too: the file is then read by Python, with the
    same answers. Empty lines at the end change no row's line."""
    pending = False  # an empty line was found, and only line ends came after it so far
    tail = b"\n"  # the file starts as after a line end: an empty first line is an empty line
    quotes = 0
    with open(path, "rb") as f:
        while chunk := f.read(BLOCK):
            quotes += chunk.count(b'"')
            if pending and chunk.strip(b"\r\n"):
                return True
            data = tail + chunk
            found = _BLANK.search(data)
            if found is not None:
                if data[found.end() :].strip(b"\r\n"):
                    return True
                pending = True
            tail = data[-2:]
    return quotes % 2 == 1


def _records(f: Any, offset: int, before: int) -> Iterator[tuple[Any, int, int, int]]:
    """(cells or a Problem, line, byte offset after it, lines read) per record from ``offset`` of the
    binary file ``f``, ``before`` lines before it; empty lines are no record (as pyarrow reads)."""
    f.seek(offset)
    state = _Read(offset, before)

    def lines() -> Iterator[str]:
        for raw in f:
            state.bytes += len(raw)
            state.lines += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                state.wrong = state.wrong or e
                text = raw.decode("utf-8", "replace")
            text = text.lstrip("\ufeff") if state.bytes == len(raw) else text  # a UTF-8 BOM at the start
            state.texts.append(text)
            yield text

    reader = csv.reader(lines())
    name = str(getattr(f, "name", ""))
    number = before + 1
    while True:
        try:
            record: Any = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            record = _unreadable(name, number, f"not a CSV row: {e}")
        texts, state.texts = state.texts, []
        opened = _unclosed_quote(texts) if record and "".join(texts).count('"') % 2 else None
        if opened is not None:  # Python's csv reads it to the end of the file, without a word
            line, column = opened
            record = Problem(
                name,
                number + line,
                column,
                "D004",
                "a quote opens this cell and is never closed: the rest of the table would be read into it",
                'end the cell with `"`; a quote inside a quoted cell is written `""`',
            )
        if state.wrong is not None:
            record = _not_utf8(name, number, state.wrong)
            state.wrong = None
        if record:  # (an empty line: [])
            yield record, number, state.bytes, state.lines
        number = state.lines + 1


@dataclass
class _Read:
    bytes: int
    lines: int
    wrong: UnicodeDecodeError | None = None  # the first bytes of the record that are not UTF-8
    texts: list[str] = field(default_factory=list)  # the lines of the record being read


def _unclosed_quote(texts: list[str]) -> tuple[int, int] | None:
    """(line within the record, column) of the quote that opens a cell of the record whose lines are
    ``texts`` and is never closed, as Python's csv reads one (a quote opens a cell only at its
    start, `""` inside it is a quote); None when every quoted cell is closed."""
    quoted, start, opened = False, True, (0, 0)
    for line, text in enumerate(texts):
        i = 0
        while i < len(text):
            c = text[i]
            if quoted:
                if c == '"':
                    if text[i + 1 : i + 2] == '"':
                        i += 1
                    else:
                        quoted = False
            elif c == '"' and start:
                quoted, opened = True, (line, i + 1)
            start = c in ",\r\n" if not quoted else False
            i += 1
    return opened if quoted else None


# -- JSON Lines ---------------------------------------------------------------------------------


def _one_document(source: str, kind: str) -> Problem | None:
    """The problem of a text table (CSV, JSON Lines) saved as UTF-16 or UTF-32, said once rather
    than as a header that is not UTF-8 or a row of problems for each line; that of a JSON Lines
    table that is one pretty-printed object: said once, as `decide` says it of a `.jsonl` batch."""
    if kind == "parquet":
        return None
    from engine.source.loader import NotRegular, read_bytes, wide_text

    try:
        wide = wide_text(read_bytes(source, 512), "the table")
    except NotRegular:  # a pipe (`<(...)`): what is read of it is gone for the reader
        wide = None
    if wide is not None:
        return Problem(source, 1, 1, "D004", *wide)
    if kind != "jsonl":
        return None
    from engine.decisions.batch import document_in_lines

    with open(source, encoding="utf-8", errors="surrogateescape") as lines:
        return document_in_lines(source, [], lines, "table")


class _Jsonl:
    """A JSON Lines table, each line read as `policyctl decide` reads a batch's line."""

    def __init__(self, path: str, spec: Any, given: dict[str, str], carried: bool) -> None:
        import pyarrow as pa

        self.path, self.pa, self.carried = path, pa, carried
        self.texts: set[str] = set()  # columns of mixed or structured values: each value's JSON text
        self.read: Any = None  # the whole table as pyarrow read it, when it could: the carried columns
        self.at = 0  # rows of it given out
        if not carried and not given:  # a JSON Lines output carries no column: none to look for
            self.names, self.types = list(spec.inputs), [pa.string()] * len(spec.inputs)
            return
        if self._arrow_columns():
            return
        keys: dict[str, Any] = {}  # every key, in the order first seen
        kinds: set[tuple[str, type]] = set()
        for _, value, _ in self._values(True):
            if type(value) is dict:
                keys.update(value)
                kinds.update(zip(value, map(type, value.values())))
        self.names = list(keys)
        by_name: dict[str, set[type]] = {n: set() for n in self.names}
        for name, kind in kinds:
            if kind is not type(None):
                by_name[name].add(kind)
        self.types = []
        for name, found in by_name.items():
            kind = _column_type(found, pa)
            if kind is None:
                self.texts.add(name)
            self.types.append(kind or pa.string())

    def _arrow_columns(self) -> bool:
        """The columns as pyarrow's reader finds them, when it reads the file (it is quicker than
        Python at that; the values are still read by Python): False when it cannot."""
        import pyarrow.json as pjson

        pa = self.pa
        infer = pjson.ParseOptions(unexpected_field_behavior="infer")
        try:
            read = pjson.read_json(self.path, parse_options=infer)
        except pa.ArrowException:
            return False
        found = read.schema
        self.names, self.types = list(found.names), []
        for name, kind in zip(found.names, found.types):
            if kind in (pa.int64(), pa.float64(), pa.bool_(), pa.string()):
                self.types.append(kind)
            elif pa.types.is_null(kind) or pa.types.is_timestamp(kind):  # (text pyarrow takes for a time)
                self.types.append(pa.string())
            else:
                self.texts.add(name)
                self.types.append(pa.string())
        if self.carried:  # the carried columns as pyarrow reads them, but each text as written
            explicit = pa.schema(
                [(n, t) for n, t, k in zip(self.names, self.types, found.types) if n not in self.texts and t != k]
            )
            if len(explicit):
                try:
                    read = pjson.read_json(
                        self.path,
                        parse_options=pjson.ParseOptions(explicit_schema=explicit, unexpected_field_behavior="infer"),
                    )
                except pa.ArrowException:
                    read = None
            self.read = read if read is not None and read.schema.names == self.names else None
        return True

    def schema(self) -> Any:
        return self.pa.schema(list(zip(self.names, self.types)))

    def _values(self, texts: bool = False) -> Iterator[tuple[int, Any, str]]:
        """(line, value or a Problem, the line's text) per line that is not blank, read as `decide`
        reads a batch's line (``texts``: a line that is not JSON or not UTF-8 left out)."""
        from engine.decisions.batch import DECODER, MAX_NESTING, _not_json, read_json

        scan = DECODER.scan_once  # type: ignore[attr-defined]
        with open(self.path, "rb") as f:
            number = 0
            for raw in f:
                number += 1
                if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]  # a UTF-8 BOM
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    if not texts:
                        yield number, _not_utf8(self.path, number, e), ""
                    continue
                if not text or text.isspace():
                    continue
                if text.count("[") + text.count("{") <= MAX_NESTING and "\\u" not in text:
                    try:  # the usual line, read by the scanner directly (read_json says what is wrong)
                        value, end = scan(text, 0)
                        if text[end:] in _LINE_ENDS:
                            yield number, value, text
                            continue
                    except (StopIteration, ValueError, RecursionError):
                        pass
                try:
                    yield number, read_json(text), text
                except (ValueError, RecursionError, UnicodeEncodeError) as e:
                    if not texts:
                        yield number, _not_json(self.path, number, e, "one JSON object per line"), text

    def chunks(self, table: Any) -> Iterator[Chunk]:
        from engine.decisions.tables import ROWS_PER_BATCH

        pairs = list(table.columns.items())
        values: list[Any] = []
        lines: list[int] = []
        texts: list[str] = []  # each row's line, where its problems are placed
        for number, value, text in self._values():
            values.append(value)
            lines.append(number)
            texts.append(text)
            if len(values) >= ROWS_PER_BATCH:
                yield self._chunk(values, lines, pairs, texts)
                values, lines, texts = [], [], []
        if values:
            yield self._chunk(values, lines, pairs, texts)

    def _chunk(self, values: list[Any], lines: list[int], pairs: list[tuple[str, str]], texts: list[str]) -> Chunk:
        back = {c: n for n, c in pairs}  # column -> input; each row's keys kept in their order
        if len(back) == len(pairs):
            rows = [
                {back[k]: x for k, x in v.items() if k in back and x is not None} if type(v) is dict else v
                for v in values
            ]  # (a value that is not an object: the decision says so, as `decide` does)
        else:  # a column mapped to two inputs
            rows = [{n: v[c] for n, c in pairs if v.get(c) is not None} if type(v) is dict else v for v in values]
        batch = None
        if self.carried:
            pa = self.pa
            arrays = []
            read = self.read
            if read is not None and self.at + len(values) > read.num_rows:
                read = self.read = None  # (pyarrow found fewer rows: Python's are given)
            for index, (name, kind) in enumerate(zip(self.names, self.types)):
                if read is not None and name not in self.texts:
                    arrays.append(read.column(index).slice(self.at, len(values)).combine_chunks())
                    continue
                cells = [v.get(name) if type(v) is dict else None for v in values]
                if name in self.texts:
                    cells = [None if c is None else _text(c) for c in cells]
                arrays.append(pa.array(cells, kind))
            batch = pa.RecordBatch.from_arrays(arrays, schema=self.schema())
            self.at += len(values)
        return Chunk(batch, lines[0], len(values), rows, lines, texts=texts)


_LINE_ENDS = frozenset(("", "\n", "\r\n"))


def _column_type(kinds: set[type], pa: Any) -> Any:
    """The Arrow type of a JSON Lines column whose values are of the Python types ``kinds`` (None:
    mixed or structured, a column of their JSON texts)."""
    if kinds and kinds <= {int, float}:
        return pa.int64() if kinds == {int} else pa.float64()
    if kinds == {bool}:
        return pa.bool_()
    if kinds <= {str}:  # (no value but nulls: text)
        return pa.string()
    return None


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# -- problems -----------------------------------------------------------------------------------


def _unreadable(path: str, line: int, message: str, hint: str = "") -> Problem:
    return Problem(
        path,
        line,
        1,
        "D004",
        message,
        hint or "give a Parquet file, a CSV file with a header line, or JSON Lines (one object per line)",
    )


def _not_utf8(path: str, line: int, e: UnicodeDecodeError) -> Problem:
    return Problem(
        path,
        line,
        1,
        "D004",
        f"the line is not UTF-8 text (byte 0x{e.object[e.start]:02x})",
        "save the table as UTF-8",
    )


def _cut(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def _reason(e: BaseException) -> str:
    return str(e).splitlines()[0][:200] if str(e) else type(e).__name__


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
