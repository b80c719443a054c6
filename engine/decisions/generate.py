"""A compiled table as Python source: one function for the whole table.

``compile_decision`` checks a decision statically (expressions E001-E005, unreachable rows D002,
constant outputs against ``outputs`` D003) and generates one function for the whole table. For
``hit: first``::

    def _evaluate(inputs, params, at):
        try:
            v_units = inputs.get('units')     # an input, read right before the first code that reads it
            if <when of row 0>:
                return _DR(('fee', {<outputs of row 0>}, ('row0_id',), ('reason',), False, (), _self, inputs, params, at))
            v_cpu = <let expression>          # a `let`, computed right before the first row that needs it
            if <when of row 1>:
            ...
            return _DR(('fee', {<default>}, (), (), True, (), _self, inputs, params, at))
        except Exception:
            return _failed(inputs, params, at)

so a decision costs about what the hand-written ``if`` chain would. ``collect`` and ``unique``
tables gather the matching row indexes instead. When the fast function raises, the decision is
re-run on the explaining path, which evaluates each expression on its own and so can say which
row and which expression failed (D005): errors cost time only when they happen.
"""

from __future__ import annotations

from typing import Any

from engine.decisions.pycode import Checked, Lazy, Out, Row, expressions, literal, local
from engine.model.policy import Decision, Rule
from engine.schema.predicates import declared_types


class _Emitter:
    """Lines of a generated function, with each `let` emitted where ``Lazy`` says, and each input
    read the same way (right before the first code that reads it)."""

    def __init__(self, lets: list[tuple[str, Checked]], inputs: Any) -> None:
        self.lazy = Lazy(lets)
        self.inputs = tuple(inputs)
        self.done: set[str] = set()  # computed on the straight path from the top

    def lets(self, exprs: Any, indent: str = "", branch: bool = False) -> list[str]:
        """Assignments of the inputs and lets ``exprs`` need that are not yet computed. ``branch``:
        inside a block that returns, so what it computes does not count for the code after it."""
        todo = [(n, c) for n, c in self.lazy.needs(exprs) if n not in self.done]
        read = set().union(*(c.names for c in exprs if c is not None), *(c.names for _, c in todo))
        reads = [n for n in self.inputs if n in read and n not in self.done]
        if not branch:
            self.done.update(reads, (n for n, _ in todo))
        return [f"{indent}{local(n)} = inputs.get({n!r})" for n in reads] + [
            f"{indent}{local(n)} = {c.python}" for n, c in todo
        ]


def generate(
    decision: Decision,
    lets: list[tuple[str, Checked]],
    rows: list[Row],
    default: tuple[Out, ...] | None,
    never: set[int],
    constants: dict[str, Any],
) -> str:
    """The table as one function; see the module docstring for its shape."""
    prelude, live, emit = _start(decision, lets, rows, never)
    if decision.hit == "first":
        return _generate_first(decision, prelude, live, default, constants, emit)
    default_src = "None" if default is None else _dict_source(default, constants, decision)
    body = ["hits = []"]
    if decision.hit == "collect":
        for i, row in live:
            # the block does not return: the lets its outputs need are computed before it, once
            body += emit.lets([row.when, *expressions(row.outputs)])
            add = f"hits.append(({i}, {_dict_source(row.outputs, constants, decision)}))"
            body += [add] if row.when is None else [f"if {row.when.python}:", f"    {add}"]
        body += ["if hits:", "    return hits, None", *emit.lets(expressions(default)), f"return hits, {default_src}"]
    else:  # unique: find all matches first, so a conflict is reported before any output is computed
        for i, row in live:
            body += emit.lets([row.when])
            body += [f"hits.append({i})"] if row.when is None else [f"if {row.when.python}:", f"    hits.append({i})"]
        # generated code has no builtins (no `len`): `hits[1:]` is "more than one"
        body += [
            "if not hits:",
            *emit.lets(expressions(default), "    ", branch=True),
            f"    return hits, {default_src}",
            "if hits[1:]:",
            "    return hits, None",
            "hit = hits[0]",
        ]
        for i, row in live:
            body += [
                f"if hit == {i}:",
                *emit.lets(expressions(row.outputs), "    ", branch=True),
                f"    return hits, {_dict_source(row.outputs, constants, decision)}",
            ]
        body.append("return hits, None")
    return "\n".join(["def _decide(inputs, params, at):"] + [f"    {line}" for line in prelude + body])


def generate_row_of(
    decision: Decision,
    lets: list[tuple[str, Checked]],
    rows: list[Row],
    default: tuple[Out, ...] | None,
    never: set[int],
) -> str | None:
    """A `first` table's ``row_of``: ``_generate``'s code returning the deciding row's index."""
    prelude, live, emit = _start(decision, lets, rows, never)
    return _generate_rows(prelude, live, default, emit)


def _start(
    decision: Decision, lets: list[tuple[str, Checked]], rows: list[Row], never: set[int]
) -> tuple[list[str], list[tuple[int, Row]], _Emitter]:
    prelude: list[str] = []  # inputs are read where first needed, as lets are computed
    live = [(i, r) for i, r in enumerate(rows) if i not in never]
    emit = _Emitter(lets, (n for n in decision.inputs if n not in decision.let))
    return prelude, live, emit


def _generate_first(
    decision: Decision,
    prelude: list[str],
    live: list[tuple[int, Row]],
    default: tuple[Out, ...] | None,
    constants: dict[str, Any],
    emit: _Emitter,
) -> str:
    """A `first` table returns its DecisionResult itself: evaluating is then a single call."""

    def result(outputs: str, rule: Rule | None) -> str:
        head = (
            "(), (), " + ("False" if outputs == "None" else "True")
            if rule is None
            else f"({rule.id!r},), ({rule.reason!r},), False"
        )
        # one flat tuple, the replay's four values last: the class is called on it in C (engine.decisions.result)
        return f"return _DR(({decision.id!r}, {'{}' if outputs == 'None' else outputs}, {head}, (), _self, inputs, params, at))"

    body = list(prelude)
    for _, row in live:
        body += emit.lets([row.when])
        if row.when is None:
            body += emit.lets(expressions(row.outputs))
            body.append(result(_dict_source(row.outputs, constants, decision), row.rule))
            break
        body += [
            f"if {row.when.python}:",
            *emit.lets(expressions(row.outputs), "    ", branch=True),
            "    " + result(_dict_source(row.outputs, constants, decision), row.rule),
        ]
    else:
        body += emit.lets(expressions(default))
        body.append(result("None" if default is None else _dict_source(default, constants, decision), None))
    lines = ["def _evaluate(inputs, params, at):", "    try:"] + [f"        {line}" for line in body]
    # any failure of policy code becomes a D005, located by the explaining path
    return "\n".join(lines + ["    except _Error as error:", "        return _failed(inputs, params, at, error)"])


def _constant_outputs(outs: tuple[Out, ...] | None) -> bool:
    return all(out.checked is None for out in outs or ())


def _generate_rows(
    prelude: list[str], live: list[tuple[int, Row]], default: tuple[Out, ...] | None, emit: _Emitter
) -> str | None:
    """``row_of`` of a `first` table: ``_generate_first``'s function with the same prelude and
    conditions in the same order, returning the deciding row's index instead of building a result;
    None for a row that computes an output (its lets are not computed), for every row below the last
    one with constant outputs (at once), and on any failure (``evaluate`` then says what). No function at all when no row has constant outputs: it would
    only ever say None, after paying for the conditions."""
    constant_default = _constant_outputs(default) and all(row.when is not None for _, row in live)
    last = max((k for k, (_, row) in enumerate(live) if _constant_outputs(row.outputs)), default=-1)
    if last < 0 and not constant_default:
        return None

    def index(outs: tuple[Out, ...] | None, i: int) -> str:
        return f"return {i}" if _constant_outputs(outs) else "return None"

    body = list(prelude)
    for k, (i, row) in enumerate(live):
        if k > last and not constant_default:
            # no row below (nor the default) answers with constants: say None before paying for
            # conditions and lets that could only lead to None (a fee table whose rows below the first
            # compute their amounts, say)
            body.append("return None")
            break
        body += emit.lets([row.when])
        if row.when is None:
            body.append(index(row.outputs, i))
            break
        body += [f"if {row.when.python}:", "    " + index(row.outputs, i)]
    else:
        body.append(index(default, -1))
    lines = ["def _row(inputs, params, at):", "    try:"] + [f"        {line}" for line in body]
    return "\n".join(lines + ["    except _Error:", "        return None"])


def _dict_source(outs: tuple[Out, ...], constants: dict[str, Any], decision: Decision) -> str:
    items = []
    for out in outs:
        # a literal builds a fresh object per call, so callers may keep or change the outputs
        value = out.checked.python if out.checked is not None else literal(out.value)
        if value is None:  # no literal form (infinity, say): pass the object in as a global
            value = f"_k{len(constants)}"
            constants[value] = out.value
            if isinstance(out.value, (list, dict)):  # (the one object every answer would hold)
                value = f"_own({value})"
        elif out.checked is not None and not _scalar(decision.outputs.get(out.name)):
            # an expression may give a parameter's own list or mapping (`= params.categories`):
            # the caller's to change, a copy (a number or a text needs none, and costs nothing)
            value = f"_own({value})"
        items.append(f"{out.name!r}: {value}")
    return "{" + ", ".join(items) + "}"


_SCALARS = frozenset(("string", "number", "integer", "boolean", "null"))


def _scalar(schema: Any) -> bool:
    """Whether the output ``schema`` declares values that are never a list or a mapping (its types,
    or the values of its `enum` or `const`)."""
    if not isinstance(schema, dict):
        return False
    kinds = declared_types(schema)
    if kinds and all(k in _SCALARS for k in kinds):
        return True
    values = schema.get("enum", [schema["const"]] if "const" in schema else None)
    return isinstance(values, list) and all(not isinstance(v, (list, dict)) for v in values)
