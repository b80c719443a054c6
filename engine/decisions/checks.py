"""What ``compile_decision`` finds wrong in a table besides its expressions' own errors: rows that
can never be reached or never match (D002), constant outputs that do not fit `outputs` (D003), and
expressions that read nothing and can only fail or give NaN (D005)."""

from __future__ import annotations

import json
import math
from typing import Any

from engine.decisions.pycode import Checked, Out, Row, standalone
from engine.decisions.runtime import EvalError
from engine.model.policy import Decision, Rule
from engine.problems import Problem


def constant_value(checked: Checked | None) -> tuple[bool, Any]:
    """(True, value) when an expression reads nothing and evaluates cleanly at compile time."""
    if checked is None or not checked.constant:
        return False, None
    try:
        return True, standalone(checked, "<constant>")({}, {}, "", {})
    except Exception:
        return False, None


def check_folding(
    lets: list[tuple[str, Checked]], rows: list[Row], default: tuple[Out, ...] | None, problems: list[Problem]
) -> None:
    """D005 at validate time for an expression that reads nothing and can only fail (`1 // 0`,
    `[[0] * 100000] * 100000`, the bounded operators' limits) or give NaN or infinity, which no
    answer can carry: what `decide` and `test` would stop on, reported in the pull request."""
    checks = (
        [c for _, c in lets]
        + [r.when for r in rows if r.when is not None]
        + [o.checked for outs in [r.outputs for r in rows] + ([default] if default else []) for o in outs if o.checked]
    )
    for checked in checks:
        if checked is None or not checked.constant:
            continue
        try:
            value = standalone(checked, "<constant>")({}, {}, "", {})
        except (EvalError, MemoryError, RecursionError) as e:  # a limit: it could never be answered
            problems.append(
                Problem.at(
                    checked.expr.pos,
                    "D005",
                    f"the expression always fails: {_reason(e)}",
                    "the limits are in SECURITY.md",
                )
            )
            continue
        except Exception as e:
            problems.append(
                Problem.at(
                    checked.expr.pos,
                    "D005",
                    f"the expression always fails: {_reason(e)}",
                    "decisions reaching it answer with this problem",
                    "warning",
                )
            )
            continue
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(
                Problem.at(
                    checked.expr.pos,
                    "D005",
                    f"the expression is always `{value}`, which is not a number an answer can carry",
                    "check the arithmetic",
                )
            )


def _reason(e: BaseException) -> str:
    if isinstance(e, ZeroDivisionError):
        return "division by zero"
    if isinstance(e, RecursionError):
        return "nested too deeply"
    if isinstance(e, MemoryError):
        return "out of memory"
    return str(e) or "it cannot be evaluated"


def unreachable(decision: Decision, rows: list[Row], problems: list[Problem]) -> set[int]:
    """D002: rows below one that always matches (`first`), and rows whose `when` is always false."""
    never: set[int] = set()
    always: Rule | None = None
    for i, row in enumerate(rows):
        rule = row.rule
        if always is not None:
            problems.append(
                Problem.at(
                    rule.pos,
                    "D002",
                    f"row `{rule.id}` can never be reached: row `{always.id}` "
                    f"(line {always.pos.line}) above it always matches",
                    "move it above that row, or give that row a `when`",
                    "warning",
                )
            )
            never.add(i)
            continue
        known, value = constant_value(row.when)
        if known and not value:
            problems.append(
                Problem.at(
                    rule.pos, "D002", f"row `{rule.id}` can never match: its `when` is always false", severity="warning"
                )
            )
            never.add(i)
        elif decision.hit == "first" and (rule.when is None or (known and value)):
            always = rule
    return never


def check_constants(
    decision: Decision, rows: list[Row], default: tuple[Out, ...] | None, problems: list[Problem]
) -> None:
    """D003: constant outputs must fit the declared `outputs` schema."""
    if not decision.outputs:
        return
    from engine.schema.fastcheck import value_is_valid

    # where each constant is written, when the source kept it (a bundle keeps only the row's place)
    groups = [(row.rule.pos, row.rule.then_pos, f"row `{row.rule.id}`", row.outputs) for row in rows]
    if default is not None:
        groups.append((decision.pos, decision.default_pos, "`default`", default))
    for pos, places, where, outs in groups:
        for out in outs:
            schema = decision.outputs.get(out.name)
            known, value = (True, out.value) if out.checked is None else constant_value(out.checked)
            if schema is None or not known or value_is_valid(schema, value):
                continue  # value_is_valid: certainly fits, no need to import jsonschema (~100 ms)
            import jsonschema

            from engine.schema.check import schema_problems, value_message

            if schema_problems(schema):
                continue  # an output schema that cannot be used: P009 (engine.model.build), never applied
            try:
                error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(value))
            except jsonschema.exceptions.SchemaError:
                continue  # an invalid schema is reported by schema validation
            if error is not None:
                problems.append(
                    Problem.at(
                        out.checked.expr.pos if out.checked else places.get(out.name, pos),
                        "D003",
                        f"{where}: output `{out.name}` is `{json.dumps(value)}`, which does not fit "
                        f"the declared outputs: {value_message(error)}",
                        "fix the value or the `outputs` schema",
                    )
                )
