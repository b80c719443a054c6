"""Decisions over tables: Arrow record batches in, record batches out (Parquet, CSV, JSON Lines, Spark).

Each row becomes the decision's input object — a column per input, found by name or given with
``--map input=column`` — and is answered exactly as the JSON path answers it (``compiled.decide``):
a null cell is an input left out, a timestamp or date cell an ISO string. The output keeps the
input's columns and adds one column per declared output, typed from the decision's `outputs`
schema, then `matches` (the rows that fired) and `problems` (the row's problems as the JSON
array `policyctl decide` prints, null when it has none). A bad row gets its problems there; the
run goes on. Requires pyarrow (the `data` extra).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pyarrow as pa

from engine.decisions.batch import read_json
from engine.decisions.result import decision_result
from engine.problems import Pos, Problem
from engine.schema.predicates import declared_types

if TYPE_CHECKING:
    from engine import DecisionResult
    from engine.model.policy import Decision

MATCHES, PROBLEMS = "matches", "problems"
ROWS_PER_BATCH = 8192


class Compiled(Protocol):
    """What a table asks of a compiled decision (engine.decisions.compile.CompiledDecision)."""

    @property
    def decision(self) -> Decision: ...
    @property
    def fits(self) -> Callable[[dict[str, Any]], bool]: ...
    @property
    def evaluate(self) -> Callable[[dict[str, Any], dict[str, Any], str], DecisionResult]: ...
    def decide(self, inputs: Any, params: dict[str, Any], at: str, where: Pos = ...) -> DecisionResult: ...


def arrow_type(schema: object) -> pa.DataType:
    """The Arrow type of a JSON Schema for one output; anything structured is its JSON text."""
    if not isinstance(schema, dict):
        return pa.string()
    if "enum" in schema or "const" in schema:
        values = schema.get("enum", [schema.get("const")])
        kinds = {_kind(v) for v in values if v is not None}
        return _TYPES.get(kinds.pop(), pa.string()) if len(kinds) == 1 else pa.string()
    kind = schema.get("type")
    if isinstance(kind, list):
        rest = [k for k in kind if k != "null"]
        kind = rest[0] if len(rest) == 1 else None
    return _TYPES.get(kind, pa.string())  # type: ignore[arg-type]


_TYPES = {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(), "string": pa.string()}


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string" if isinstance(value, str) else "json"


def output_fields(decision: Decision) -> list[pa.Field]:
    """One field per declared output (a list of it for `hit: collect`, unless `aggregate` makes it one
    value: a count an integer, any other aggregate the output's own type), then matches and problems."""
    fields = []
    aggregate = decision.aggregate or {}
    for name, schema in (decision.outputs or {}).items():
        kind = arrow_type(schema)
        if decision.hit == "collect":  # one value per matched row, unless aggregated into one
            how = aggregate.get(name, "list")
            kind = pa.list_(kind) if how == "list" else pa.int64() if how == "count" else kind
        fields.append(pa.field(name, kind))
    return fields + [pa.field(MATCHES, pa.list_(pa.string())), pa.field(PROBLEMS, pa.string())]


def output_schema(decision: Decision, input_schema: pa.Schema) -> pa.Schema:
    return pa.schema(list(input_schema) + output_fields(decision))


def string_inputs(decision: Decision) -> list[str]:
    """Inputs declared as strings: a reader must not turn their text into timestamps or numbers."""
    return [n for n, s in decision.inputs.items() if arrow_type(s) == pa.string() and not structured(s)]


def structured(schema: object) -> bool:
    """An input whose value is a list or an object: a table's cell holds it as is (a Parquet or Spark
    list or struct, a JSON Lines array: `_plain`) or as its JSON text (a CSV cell can hold nothing
    else: `_json_cell`)."""
    return bool({"array", "object"} & set(declared_types(schema)))


def cells(array: pa.Array) -> list[Any]:
    """The values of a column for the rows' inputs. A date or timestamp is made ISO text by Arrow
    itself (`2024-06-01`, `2024-06-01T10:00:00.123456789Z` for a timestamp with a zone, without `Z`
    for one without, which the decision refuses as it refuses such text), also inside a list or a
    struct: as Python values, a nanosecond timestamp with a part below the microsecond, or a date
    outside years 1-9999, stopped the run with a traceback (and pandas, when installed, made them
    other objects)."""
    kind = array.type
    if pa.types.is_timestamp(kind) or pa.types.is_date(kind) or _nested(kind) or _narrow(kind):
        readable: list[Any] = _readable(array).to_pylist()
        return readable
    values: list[Any] = array.to_pylist()
    if pa.types.is_decimal(kind):  # (a database's or Spark's numbers: JSON has numbers, not Decimals)
        return [v if v is None else _number(v) for v in values]
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind):  # text stored as bytes
        return [v if v is None else _text_of(v) for v in values]
    return values


def _nested(kind: pa.DataType) -> bool:
    return bool(pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_struct(kind))


def _narrow(kind: pa.DataType) -> bool:
    return bool(pa.types.is_float32(kind) or pa.types.is_float16(kind))


def _readable(array: pa.Array) -> pa.Array:
    """``array`` with its dates and timestamps as ISO text and its float32s as the float64 of their
    shortest text, at any depth of lists and structs."""
    import pyarrow.compute as pc

    kind = array.type
    if pa.types.is_timestamp(kind):
        if kind.tz is None:
            return pc.strftime(array, format="%Y-%m-%dT%H:%M:%S")
        text = pc.strftime(array.cast(pa.timestamp(kind.unit, tz="UTC")), format="%Y-%m-%dT%H:%M:%S")
        return pc.binary_join_element_wise(text, pa.scalar("Z"), "")
    if pa.types.is_date(kind):
        return pc.strftime(array, format="%Y-%m-%d")
    if _narrow(kind):
        # the shortest text that is the same float32 (`95.1`, as every tool shows it), not its exact
        # float64 widening (95.0999984741211, which a `>= 95.1` refused): as the JSON `95.1` reads
        return array.cast(pa.float32()).cast(pa.string()).cast(pa.float64())
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        make = pa.ListArray if pa.types.is_list(kind) else pa.LargeListArray
        offsets = array.offsets  # (of a slice: where its lists are in the whole array's values)
        first, last = offsets[0].as_py(), offsets[-1].as_py()
        values = _readable(array.values.slice(first, last - first))
        return make.from_arrays(pc.subtract(offsets, first), values, mask=array.is_null())
    if pa.types.is_struct(kind):
        children = [_readable(child) for child in array.flatten()]
        fields = [pa.field(kind.field(i).name, c.type) for i, c in enumerate(children)]
        return pa.StructArray.from_arrays(children, fields=fields, mask=array.is_null())
    return array


def _number(value: Any) -> Any:
    return int(value) if value == value.to_integral_value() else float(value)


def _text_of(data: bytes) -> Any:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.hex()  # (not text: the decision refuses it as the text it is not)


def _plain(value: Any) -> Any:
    """A nested Arrow value (a Parquet or Spark list or struct) as its JSON would be: a struct's null
    field is a field left out (Arrow has no absent field); dates and timestamps are ISO text already
    (`cells`)."""
    if type(value) is dict:
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if type(value) is list:
        return [_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    return value


def _json_cell(text: str) -> Any:
    """A structured input's cell given as JSON text, read as every entry point reads JSON; text that
    is not JSON stays text, which the input's schema then refuses on its row ("expected array")."""
    try:
        return read_json(text)
    except (ValueError, RecursionError, UnicodeEncodeError):
        return text


def mapping(decision: Decision, columns: list[str], given: dict[str, str]) -> tuple[dict[str, str], str]:
    """input -> column; the inputs named in ``given`` from those columns, the others from the column
    of the same name, when there is one. Second value: what is wrong ("" when nothing)."""
    for name, column in given.items():
        if name not in decision.inputs:
            return (
                {},
                f"`{name}` is not an input of `{decision.program}.{decision.id}` (inputs: {', '.join(decision.inputs)})",
            )
        if column not in columns:
            return {}, f"the input has no column `{column}` (columns: {', '.join(columns)})"
    found = {n: n for n in decision.inputs if n in columns}
    found.update(given)
    # Spark, Hive and most Parquet readers take names that differ only in case for one column: a
    # column `Units` is surely the input `units` (every row would say it is missing), and an output
    # `problems` beside a column `Problems` made a frame Spark refused to read (AMBIGUOUS_REFERENCE)
    folded = {c.casefold(): c for c in reversed(columns)}
    for name in decision.inputs:
        alike = folded.get(name.casefold())
        if name not in found and alike is not None and alike not in found.values():
            return {}, f"the input has no column `{name}`, but a column `{alike}` (names differ in case)"
    clash = [o for o in (*decision.outputs, MATCHES, PROBLEMS) if o.casefold() in folded]
    if clash:
        taken = folded[clash[0].casefold()]
        also = "" if taken == clash[0] else f" as `{clash[0]}` (names that differ only in case are one column)"
        return {}, f"the input already has a column `{taken}`, which the output adds{also}"
    return found, ""


@dataclass
class Answered:
    batch: pa.RecordBatch
    failed: int  # rows with problems


class Table:
    """A compiled decision bound to its parameters and a column mapping, answering record batches."""

    def __init__(
        self,
        compiled: Compiled,
        params: dict[str, Any],
        day: str,
        columns: dict[str, str],
        name: str,
        line_offset: int = 0,
    ) -> None:
        self.compiled, self.params, self.day, self.columns, self.name = compiled, params, day, columns, name
        self.line_offset = line_offset  # a CSV's first row is on line 2
        decision = compiled.decision
        self.outputs = [(f.name, f.type) for f in output_fields(decision)[:-2]]
        self.integers = {n for n, s in decision.inputs.items() if arrow_type(s) == pa.int64()}
        self.structured = {n for n, s in decision.inputs.items() if structured(s)}

    def rows(self, batch: pa.RecordBatch, data: list[list[Any]] | None = None) -> Iterator[dict[str, Any]]:
        """The input object of each row; ``data``: the mapped columns' values, when not the batch's."""
        names = list(self.columns)
        if data is None:
            data = [cells(batch.column(c)) for c in self.columns.values()]
        if not data:  # no column named like an input: every row's inputs are missing
            yield from ({} for _ in range(batch.num_rows))
            return
        integers, structured = self.integers, self.structured
        for values in zip(*data):
            row = {}
            for name, value in zip(names, values):
                if value is None:
                    continue
                if isinstance(value, float) and name in integers and value.is_integer():
                    value = int(value)  # a column with nulls read as floats
                elif isinstance(value, (dt.date, dt.datetime, dt.time)):
                    value = value.isoformat()
                elif name in structured:
                    value = _json_cell(value) if type(value) is str else _plain(value)
                row[name] = value
            yield row

    def results(
        self,
        batch: pa.RecordBatch,
        first_row: int,
        rows: Iterable[Any] | None = None,
        lines: Iterable[int] | None = None,
        texts: list[str] | None = None,
    ) -> Iterator[tuple[int, DecisionResult]]:
        """(line, DecisionResult) per row, as ``policyctl decide`` answers its JSON. ``rows``: each
        row's input object when not read from ``batch`` (a Problem: a row that could not be read,
        answered with it); ``lines``: each row's line when not ``first_row`` and those after it;
        ``texts``: each row's JSON text (a JSON Lines table's line), where its problems are placed."""
        params, day, name = self.params, self.day, self.name
        fits, evaluate, decide = self.compiled.fits, self.compiled.evaluate, self.compiled.decide
        numbers = itertools.count(first_row + self.line_offset) if lines is None else lines
        naive = self._naive(batch)
        for index, (number, inputs) in enumerate(zip(numbers, self.rows(batch) if rows is None else rows)):
            if type(inputs) is Problem:
                yield number, decision_result(self.compiled.decision.id, {}, (), (), False, (inputs,))
                continue
            # as compiled.decide, with the position made only for inputs that do not fit
            if fits(inputs):
                yield number, evaluate(inputs, params, day)
                continue
            result = decide(inputs, params, day, Pos(name, number, 1))
            if naive:  # (before a table's names are put in its messages: the hints are found by pointer)
                result = _with_hints(result, naive)
            yield number, self._named(result) if texts is None else self._placed(result, texts[index])

    def _named(self, result: DecisionResult) -> DecisionResult:
        """``result`` with each D004 problem about an input saying the column its value was read from
        (a table's row has no JSON text to place it in: the column and its value say where)."""
        named = tuple(
            Problem.at(p.pos, p.code, in_column(p.message, self.columns), p.hint, p.severity) if p.code == "D004" else p
            for p in result.problems
        )
        return decision_result(result.decision, dict(result.outputs), result.matches, result.reasons, False, named)

    def _placed(self, result: DecisionResult, text: str) -> DecisionResult:
        """``result`` with its D004 problems placed in ``text``, the row's JSON (its keys are the
        columns: an input read from another column is found under that column's name)."""
        from engine.decisions.locate import place

        renamed = {n: c for n, c in self.columns.items() if n != c}
        placed = tuple(
            Problem.at(place(text, p.message, p.pos, renamed=renamed), p.code, p.message, p.hint, p.severity)
            if p.code == "D004"
            else p
            for p in result.problems
        )
        return decision_result(result.decision, dict(result.outputs), result.matches, result.reasons, False, placed)

    def _naive(self, batch: pa.RecordBatch | None) -> dict[str, str]:
        """ "/input:" -> the hint for a problem of an input read from a timestamp column without a
        time zone (its text has no offset, which the decision refuses: never guessed)."""
        if batch is None:
            return {}
        schema = batch.schema
        found = {}
        for wanted, column in self.columns.items():
            kind = schema.field(column).type if column in schema.names else None
            if kind is not None and pa.types.is_timestamp(kind) and kind.tz is None:
                found[f"/{wanted}:"] = (
                    f"the column `{column}` is a timestamp without a time zone, and none is guessed: give it"
                    " its zone (pyarrow: `pyarrow.compute.assume_timezone`; Spark: `timestamp`, not `timestamp_ntz`)"
                )
        return found

    def answer(
        self,
        batch: pa.RecordBatch,
        first_row: int,
        rows: Iterable[Any] | None = None,
        lines: Iterable[int] | None = None,
        extra: dict[int, list[Problem]] | None = None,
        texts: list[str] | None = None,
    ) -> Answered:
        """``batch`` with the answers' columns; ``first_row`` is the 1-based number of its first row
        (``rows``, ``lines``: as for ``results``; ``extra``: more problems of some rows, by index)."""
        name = self.name
        checks: list[tuple[str, Callable[[object], tuple[object, str]], list[object]]] = [
            (key, _check(kind), []) for key, kind in self.outputs
        ]
        matches: list[list[str]] = []
        problems: list[str | None] = []
        failed = 0
        for index, (number, result) in enumerate(self.results(batch, first_row, rows, lines, texts)):
            found = [p.to_json() for p in result.problems] if result.problems else None
            if extra and index in extra:
                found = (found or []) + [p.to_json() for p in extra[index]]
            outputs = result.outputs
            for key, check, column in checks:
                value = outputs.get(key)
                if value is not None:
                    value, wrong = check(value)
                    if wrong:
                        found = found or []
                        found.append(
                            Problem(
                                name,
                                number,
                                1,
                                "D005",
                                f"output `{key}` is not {wrong} (it is `{_short(value)}`)",
                                "check the expression that computes it",
                            ).to_json()
                        )
                        value = None
                column.append(value)
            matches.append(list(result.matches))
            if found:
                failed += 1
                problems.append(json.dumps(found, ensure_ascii=False))
            else:
                problems.append(None)
        arrays = list(batch.columns) + [
            pa.array(column, type=kind) for (_, _, column), (_, kind) in zip(checks, self.outputs)
        ]
        arrays += [pa.array(matches, type=pa.list_(pa.string())), pa.array(problems, type=pa.string())]
        names = list(batch.schema.names) + [n for n, _ in self.outputs] + [MATCHES, PROBLEMS]
        return Answered(pa.RecordBatch.from_arrays(arrays, names=names), failed)


def in_column(message: str, columns: dict[str, str]) -> str:
    """An input's D004 message (`/units: expected integer, got string `"x"``) as a table's row says
    it: as `decide` says it when the input is read from the column of its name (the pointer names
    the column), else with the column it was read from (`column `shipped` (input /units): ...`);
    for an input left out because no column holds it, which column it is read from and how to map one."""
    from engine.decisions.locate import MISSING

    pointer, sep, rest = message.partition(": ")
    if not sep or not pointer.startswith("/") or pointer == "/":
        return message
    first, _, deeper = pointer[1:].partition("/")
    name = first.replace("~1", "/").replace("~0", "~")
    column = columns.get(name)
    if column == name:
        return message
    if column is None:
        if message == pointer + MISSING:
            return (
                f"{pointer}: missing; this input is required and the table has no column `{name}` "
                f"(`--map {name}=COLUMN` reads it from another column)"
            )
        return message
    inside = f" at /{deeper}" if deeper else ""
    return f"column `{column}`{inside} (input {pointer}): {rest}"


def _with_hints(result: DecisionResult, hints: dict[str, str]) -> DecisionResult:
    """``result`` with the hint of each problem whose message starts with a key of ``hints``."""
    problems = tuple(
        Problem(p.file, p.line, p.col, p.code, p.message, hints[p.message[: p.message.find(":") + 1]], p.severity)
        if p.message[: p.message.find(":") + 1] in hints
        else p
        for p in result.problems
    )
    return decision_result(
        result.decision, result.outputs, result.matches, result.reasons, result.default_used, problems
    )


def _check(kind: pa.DataType) -> Callable[[object], tuple[object, str]]:
    """value -> (the value to store, "" or what it should have been), for one output column's type."""
    if kind == pa.string():
        return lambda v: (v, "") if type(v) is str else (json.dumps(v, ensure_ascii=False), "")  # structured: its JSON
    what = f"a finite {kind}" if not pa.types.is_list(kind) else f"a list of {kind.value_type}"
    return lambda v: (v, "") if _fits(v, kind) else (v, what)


def _fits(value: Any, kind: pa.DataType) -> bool:  # an output value: any JSON (`type()` tells them apart)
    t = type(value)
    if t is float:
        return bool(kind.id == _FLOAT and math.isfinite(value))  # pyarrow is untyped: `kind.id` is Any
    if t is int:
        return bool(kind.id == _FLOAT or (kind.id == _INT and -(2**63) <= value < 2**63))
    if t is bool:
        return bool(kind.id == _BOOL)
    if t is str:
        return bool(kind.id == _STRING)
    if t is list and pa.types.is_list(kind):
        return all(v is None or _fits(v, kind.value_type) for v in value)
    return False


_FLOAT, _INT, _BOOL, _STRING = pa.float64().id, pa.int64().id, pa.bool_().id, pa.string().id


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."
