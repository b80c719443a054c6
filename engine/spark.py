"""Decisions on a Spark DataFrame: ``engine.spark.decide(df, bundle_path, program, decision, marketplace)``.

The bundle's bytes are verified and compiled once on the driver (a bundle that cannot be used fails
there, with its problems, before any task runs), then broadcast; each Python worker verifies them
again and answers its partitions with ``mapInArrow``, Arrow batch by batch, through the same code
as `policyctl decide --output` (engine.decisions.tables). So every row gets the answer
`policyctl decide --bundle` gives, the date is fixed on the driver (`at`, default today there),
and the result has the input's columns, one typed column per output, `matches` and `problems`
(each row's problems at `<row>:1`: a row of a frame has no line).

    from engine.spark import decide
    answers = decide(df, "policies.bundle", PROGRAM, DECISION, MARKETPLACE, at="2024-06-01")
    answers.where("problems is not null").show()     # the rows that could not be answered, and why

Needs pyspark and pyarrow (the `spark` extra) and Java on the driver.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from engine.problems import PolicyError, Problem

_WORKER: dict[str, Any] = {}  # per Python worker: the bundle last loaded, by revision


def decide(
    df: Any,
    bundle_path: str,
    program: str,
    decision: str,
    marketplace: str,
    at: str | None = None,
    columns: dict[str, str] | None = None,
) -> Any:
    """``df`` with the decision's answer for every row (see the module's description).

    ``columns`` maps an input to a column when their names differ. PolicyError for a bundle that
    cannot be used, an unknown program, decision or marketplace, or columns that do not fit.
    """
    from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema

    from engine.decisions import tables
    from engine.service.state import from_bytes

    with open(bundle_path, "rb") as f:
        data = f.read()
    loaded = from_bytes(bundle_path, data)
    compiled = loaded.bundle.compiled(program, decision)
    day = loaded.bundle.kept(program, marketplace, at).at
    # a timestamp column reaches the workers in the session's time zone (pyspark asserts one is
    # given: without it every frame with a timestamp column failed here with a bare AssertionError)
    zone = df.sparkSession.conf.get("spark.sql.session.timeZone")
    arrow_in = to_arrow_schema(df.schema, timezone=zone)
    mapping, wrong = tables.mapping(compiled.decision, list(arrow_in.names), columns or {})
    if wrong:
        raise PolicyError(
            [Problem("<dataframe>", 1, 1, "D004", wrong, "name the columns with `columns={input: column}`")], usage=True
        )
    schema = from_arrow_schema(tables.output_schema(compiled.decision, arrow_in))
    shipped = df.sparkSession.sparkContext.broadcast(data)
    revision = loaded.revision

    def answer(batches: Iterator[Any]) -> Iterator[Any]:
        table = _table(shipped, revision, bundle_path, program, decision, marketplace, day, mapping)
        for batch in batches:
            # each row is its own input, at `<row>:1` (as one input at `<stdin>:1`): a row's place
            # in its Arrow batch depends on the partitions and the batch size, so it would make the
            # same row's problems differ from run to run
            yield table.answer(batch, 1, lines=itertools.repeat(1)).batch

    return df.mapInArrow(answer, schema)


def _table(
    shipped: Any,
    revision: str,
    path: str,
    program: str,
    decision: str,
    marketplace: str,
    day: str,
    mapping: dict[str, str],
) -> Any:
    """The decision bound to its parameters in this worker, loaded from the broadcast bytes once."""
    from engine.decisions import tables
    from engine.service.state import from_bytes

    key = f"{revision}:{program}.{decision}:{marketplace}:{day}:{sorted(mapping.items())}"
    table = _WORKER.get(key)
    if table is None:
        bundle = _WORKER.get(revision)
        if bundle is None:
            bundle = _WORKER[revision] = from_bytes(path, shipped.value).bundle
        resolved = bundle.kept(program, marketplace, day)
        params = bundle.params(program, marketplace, resolved.at)  # with the zone and timelines
        table = _WORKER[key] = tables.Table(bundle.compiled(program, decision), params, resolved.at, mapping, "<row>")
    return table
