"""Answer decisions from a bundle file, with no repository, PyYAML, jsonschema or Jinja2.

``load_bundle(path)`` verifies the file (``engine.bundle.fileformat``) and returns a ``Bundle``
whose ``decide`` gives the ``DecisionResult`` ``Repository.decide`` gives for the same sources.
A decision's generated Python is turned into a function on first use, after a check that it is
made only of what the decision compiler emits (the digests prove the file is intact, not who made
it: an unsigned bundle from elsewhere still cannot reach outside the expression sandbox).

A bundle names its files from the top of the repository it was made from (engine.bundle.make);
``load_bundle`` names each from the working folder when that is inside a repository whose top
holds the file (`PROGRAM/program.yaml` in policies/, as `decide --explain` names it against the
repository), else as stored. The decision service shows them as stored (``from_opened``).
"""

from __future__ import annotations

# the parser's node classes and flag without the `ast` module, whose helpers (walk, unparse, the
# visitors) cost a bundle's process ~6M instructions to import: `ast.Name` is `_ast.Name`
import _ast as ast
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from engine.bundle import fileformat
from engine.decisions.answer import CompiledDecision
from engine.decisions.pycode import Checked, Out, Row
from engine.decisions.result import DecisionResult
from engine.decisions.runtime import RUNTIME
from engine.model.clock import LINES_KEY, RESOLVED_KEY, ZONE_KEY, today
from engine.model.policy import Decision, Entry, Expr, Marketplace, Resolved, Rule, TestCase, copied, detached
from engine.problems import ARGUMENTS, PolicyError, Pos, Problem


class _Periods:
    """A program's timeline in one marketplace as the bundle keeps it (periods, and the program's
    evidence: what each value rests on), as ``Resolved`` reads it (``engine.model.policy.Timelines``)."""

    __slots__ = ("evidence", "named", "path", "periods")

    def __init__(
        self, periods: list[dict[str, Any]], evidence: list[Any], named: Callable[[str], str], path: str
    ) -> None:
        self.periods, self.evidence = periods, evidence
        self.named = named  # how the bundle names a stored file
        self.path = path  # the bundle's, as problems name it

    def on(self, name: str, day: str) -> tuple[Entry, str]:
        try:
            index = _period(self.periods, day)
            return self.entry(index, name), str(self.periods[index]["sources"][name][3])
        except MALFORMED:
            raise not_ours(self.path) from None

    def after(self, name: str, day: str) -> Entry | None:
        try:
            periods = self.periods
            index = _period(periods, day)
            now = periods[index]["sources"][name]
            for later in range(index + 1, len(periods)):
                if periods[later]["sources"][name] != now:
                    return self.entry(later, name)
        except MALFORMED:
            raise not_ours(self.path) from None
        return None

    def entry(self, index: int, name: str) -> Entry:
        """The value of ``name`` in force in the ``index``-th period, from its bundle record (file,
        line, col, origin, evidence: the number of its (source, note, assumption, assumed,
        on_pages) in ``evidence``), with the day it took effect: the first of the periods before it
        that have the same record (a period begins on each day a value changes), None for a value
        in force from the start. An entry's `date` is an assumption only when it has such a day
        (``Entry.date_assumed``): without it, an assumed date read from a bundle was none."""
        periods = self.periods
        record = periods[index]["sources"][name]
        first = index
        while first > 0 and periods[first - 1]["sources"][name] == record:
            first -= 1
        start = periods[first]["from"] if first else None
        source, note, assumption, assumed, on_pages = self.evidence[record[4]]
        pos = Pos(self.named(record[0]), record[1], record[2])
        value = periods[index]["values"][name]
        return Entry(value, start, pos, source, note, assumption, tuple(assumed), on_pages)


class Bundle:
    """A verified bundle: ask it what a repository would answer."""

    def __init__(self, path: str, opened: fileformat.Opened, here: bool = False) -> None:
        self.path = path
        self.named = names(here)
        self.manifest = opened.manifest
        self.signed, self.signature_checked = opened.signed, opened.checked
        sections = opened.sections
        self._programs: dict[str, Any] = sections["programs"]
        if any(len(said) != 5 for program in self._programs.values() for said in program["evidence"]):
            raise ValueError("evidence")  # (B004 now, not when a value's entry is read: see _Periods.entry)
        self._decisions: dict[str, dict[str, Any]] = sections["decisions"]
        self._tests: list[dict[str, Any]] = sections["tests"]
        self.marketplaces = {
            k: Marketplace(
                k,
                v["country"],
                v["currency"],
                v["time_zone"],
                tuple(v["locales"]),
                _pos(v["pos"], self.named),
                v.get("site"),
            )
            for k, v in sections["marketplaces"].items()
        }
        self._compiled: dict[tuple[str, str], CompiledDecision] = {}
        self._resolved: dict[tuple[str, str, str], Resolved] = {}
        self._params: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._offered: dict[str, tuple[str, ...]] = {}

    # -- questions, as Repository asks them ------------------------------------------------------
    @property
    def programs(self) -> tuple[str, ...]:
        return tuple(self._programs)

    def decisions(self, program: str) -> tuple[str, ...]:
        program = self._program(program)
        try:
            return tuple(self._decisions[program])
        except MALFORMED:
            raise not_ours(self.path) from None

    def offered(self, program: str) -> tuple[str, ...]:
        """The marketplaces ``program`` is offered in (the decision service lists them)."""
        found = self._offered.get(program)
        if found is None:
            program = self._program(program)
            try:
                found = self._offered[program] = tuple(sorted(self._programs[program]["marketplaces"]))
            except MALFORMED:
                raise not_ours(self.path) from None
        return found

    def compiled(self, program: str, decision: str) -> CompiledDecision:
        """The decision compiled, as ``decide`` answers through it: the engine's own, as
        ``Repository.compiled``, not the public API."""
        key = (program, decision)
        found = self._compiled.get(key)
        if found is None:
            data = self._decisions[self._program(program)].get(decision)
            if data is None:
                raise PolicyError(
                    [_usage(f"`{program}` has no decision `{decision}`", self._decisions[program])], usage=True
                )
            found = self._compiled[key] = self._build(program, decision, data)
        return found

    def today(self, program: str, marketplace: str) -> str:
        """Today in the marketplace's time zone (the default date of every question)."""
        self._periods(program, marketplace)
        try:
            return today(self.marketplaces[marketplace].time_zone)
        except MALFORMED:
            raise not_ours(self.path) from None

    def _periods(self, program: str, marketplace: str) -> list[dict[str, Any]]:
        try:
            periods = self._programs[self._program(program)]["marketplaces"].get(marketplace)
        except MALFORMED:
            raise not_ours(self.path) from None
        if periods is None or marketplace not in self.marketplaces:
            raise PolicyError(
                [
                    _usage(
                        f"`{program}` is not offered in marketplace `{marketplace}`",
                        self._programs[program]["marketplaces"],
                    )
                ],
                usage=True,
            )
        return periods  # type: ignore[no-any-return]

    def resolve(self, program: str, marketplace: str, at: str | None = None) -> Resolved:
        """What holds for ``marketplace`` on ``at`` (today there when None), as ``Repository.resolve``
        gives it: its dicts and the lists and dicts among its values are the caller's to keep or
        change (copies of what the bundle answers from)."""
        found = self.kept(program, marketplace, at)
        values, entries = dict(found.values), dict(found.entries)
        for name, value in found.values.items():
            kind = type(value)
            if kind is list or kind is dict:
                values[name], entries[name] = copied(value), detached(entries[name])
        return found.replace(values=values, entries=entries)

    def kept(self, program: str, marketplace: str, at: str | None = None) -> Resolved:
        """``resolve``'s answer as the bundle keeps it for the next question, its values the ones
        decisions read: to read, never to change (``decide``, the decision service and Spark read
        it; ``resolve``'s copies cost ~60 µs for a program with tables of values). The engine's own,
        not the public API."""
        zone = getattr(self.marketplaces.get(marketplace), "time_zone", None)
        day = _check_date(at, zone) if at is not None else self.today(program, marketplace)
        key = (program, marketplace, day)
        found = self._resolved.get(key)
        if found is not None:
            return found
        periods = self._periods(program, marketplace)
        try:
            index = _period(periods, day)
            period = periods[index]
            timelines = _Periods(periods, self._programs[program]["evidence"], self.named, self.path)
            entries = {n: timelines.entry(index, n) for n in period["values"]}
            found = Resolved(
                program, self.marketplaces[marketplace], day, _object(period["values"]), entries, timelines
            )
        except MALFORMED:
            raise not_ours(self.path) from None
        if len(self._resolved) < 4096:
            self._resolved[key] = found
        return found

    def params(self, program: str, marketplace: str, at: str) -> dict[str, Any]:
        """What a decision reads, as ``Repository.params``: the values, the marketplace's time zone
        and every parameter's timeline (here: the value in each period of the bundle's timeline). The
        engine's own (the CLI, the service, Spark), not the public API: to read, never to change."""
        key = (program, marketplace, at)
        found = self._params.get(key)
        if found is None:
            resolved = self.kept(program, marketplace, at)
            periods = self._periods(program, marketplace)
            try:
                lines = {
                    name: ((None, periods[0]["values"][name]), *((p["from"], p["values"][name]) for p in periods[1:]))
                    for name in periods[0]["values"]
                }
            except MALFORMED:
                raise not_ours(self.path) from None
            found = {
                **resolved.values,
                ZONE_KEY: resolved.marketplace.time_zone,
                LINES_KEY: lines,
                RESOLVED_KEY: resolved,
            }
            if len(self._params) < 4096:
                self._params[key] = found
        return found

    def decide(
        self,
        program: str,
        decision: str,
        inputs: Mapping[str, object],
        marketplace: str,
        at: str | None = None,
        validate: bool = True,
    ) -> DecisionResult:
        """Answer one decision, as ``Repository.decide``: input problems come back in the result."""
        if type(inputs) is not dict and isinstance(inputs, Mapping):
            inputs = dict(inputs)  # (as Repository.decide: any mapping of the inputs by name)
        compiled = self.compiled(program, decision)
        resolved = self.kept(program, marketplace, at)
        params = self.params(program, marketplace, resolved.at)
        if validate:
            return compiled.decide(inputs, params, resolved.at)
        return compiled.evaluate(inputs, params, resolved.at)

    def cases(self, keyword: str | None = None) -> list[TestCase]:
        """The policy test cases the bundle was made with (``policyctl test --bundle``)."""
        try:
            found = [
                TestCase(
                    _text(c["name"]),
                    _text(c["program"]),
                    _text(c["decision"]),
                    _text(c["marketplace"]),
                    _text(c["at"]),
                    c["input"],
                    _object(c["expect"]),
                    _pos(c["pos"], self.named),
                    c["example"],
                    c["description"],
                )
                for c in self._tests
            ]
        except MALFORMED:
            raise not_ours(self.path) from None
        return [c for c in found if not keyword or keyword.lower() in c.name.lower()]

    # -- building a decision ------------------------------------------------------------------------
    def check(self) -> None:
        """Read every section as answering, explaining and testing read it: PolicyError (B004) now,
        not a traceback when a part is first read. Digests prove a bundle intact, not that it was
        made by policyctl (anyone can recompute them), so its sections may be of any shape.
        `bundle --verify`, `test --bundle` and the service (before a bundle is swapped in) ask it."""
        for program in self.programs:
            for decision in self.decisions(program):
                self._explained(program, decision)
            for marketplace in self.offered(program):
                self.today(program, marketplace)
                periods = self._periods(program, marketplace)
                try:  # the day each period begins (the first: from the start)
                    days = ["0001-01-01", *(_text(p["from"]) for p in periods[1:])]
                except MALFORMED:
                    raise not_ours(self.path) from None
                for day in days:
                    resolved = self.kept(program, marketplace, day)
                    self.params(program, marketplace, resolved.at)
                    for name in resolved.values:  # (what an explanation reads of each value)
                        resolved.origin(name)
                        resolved.following(name, resolved.at)
        self.cases()

    def _program(self, program: str) -> str:
        if program not in self._programs:
            raise PolicyError([_usage(f"unknown program `{program}`", self._programs)], usage=True)
        return program

    def _build(self, program: str, name: str, data: dict[str, Any]) -> CompiledDecision:
        try:
            return _decision(program, name, data, self.named)
        except (*MALFORMED, *_NOT_CODE) as e:
            raise self._unreadable(program, name, e) from None

    def _explained(self, program: str, name: str) -> None:
        """Check the code each expression of a decision is explained with, as `--explain` checks
        it when it first explains one (``_Loaded._explainer``)."""
        compiled = self.compiled(program, name)
        outs = [*(o for row in compiled._rows for o in row.outputs), *(compiled._default or ())]
        expressions = [
            *(checked for _, checked in compiled._lets),
            *(row.when for row in compiled._rows if row.when is not None),
            *(o.checked for o in outs if o.checked is not None),
        ]
        try:
            for checked in expressions:
                _check_code(checked.python, "eval")
        except _NOT_CODE as e:
            raise self._unreadable(program, name, e) from None

    def _unreadable(self, program: str, name: str, e: BaseException) -> PolicyError:
        detail = (
            f": {e}"
            if isinstance(e, _Unsafe)
            else ": its generated code is nested too deeply"
            if isinstance(e, RecursionError)
            else ""
        )
        return PolicyError(
            [
                Problem(
                    self.path,
                    1,
                    1,
                    "B004",
                    f"decision `{program}.{name}` cannot be read from this bundle{detail}",
                    "make the bundle again with this version of policyctl",
                )
            ]
        )


def load_bundle(path: str | os.PathLike[str], here: bool = True) -> Bundle:
    """Read and verify a bundle file (``-``: from standard input; a ``pathlib.Path`` too); PolicyError
    (B001-B004) when it cannot be used. ``here``: name its files from the working folder where it
    holds them (``names``)."""
    path = os.fspath(path)
    return from_opened(fileformat.name(path), fileformat.open_file(path), here)


def from_opened(path: str, opened: fileformat.Opened, here: bool = False) -> Bundle:
    """The bundle of verified contents, naming its files as stored (``here``: see ``names``);
    PolicyError (B004) when its sections are not this policyctl's (made by another version)."""
    try:
        return Bundle(path, opened, here)
    except MALFORMED:
        raise not_ours(path) from None


# what reading a section of another shape than this policyctl's raises (a timeline's `from` that is
# not text, a record too short, a section that is not an object, a time zone there is none of)
MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError)


def not_ours(path: str) -> PolicyError:
    """B004 for a bundle whose sections are not what this policyctl reads (its digests may match)."""
    return PolicyError(
        [
            Problem(
                path,
                1,
                1,
                "B004",
                "the bundle's sections are not what this policyctl expects",
                "make the bundle again with this version of policyctl",
            )
        ]
    )


def _text(value: Any) -> str:
    if type(value) is not str:
        raise TypeError("not text")
    return value


def _object(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise TypeError("not an object")
    return value


# -- from data to a compiled decision -------------------------------------------------------------------


def _period(periods: list[dict[str, Any]], day: str) -> int:
    """The index of the period in force on ``day``."""
    index = 0
    for i in range(1, len(periods)):
        if periods[i]["from"] <= day:
            index = i
    return index


def names(here: bool) -> Callable[[str], str]:
    """How a loaded bundle names a file it stores from the top of the repository it was made from
    (`policies/PROGRAM/program.yaml`). ``here``: from the working folder when that is inside a
    repository whose top holds the file (`PROGRAM/program.yaml` in its policies folder,
    `../policies/...` in a folder beside it, as a load of the repository names it there), else as
    stored; the working folder's tops are found by stats alone, once, when a file is first named.
    Not ``here``: as stored (the decision service, Spark: never a folder of the machine). A closure
    over a memo: a bundle's process names a file for each position it reads."""
    memo: dict[str, str] = {}
    tops: list[str] = []
    found_tops = not here

    def named(stored: str) -> str:
        nonlocal found_tops
        found = memo.get(stored)
        if found is not None:
            return found
        if not found_tops:
            found_tops = True
            try:
                tops.extend(_tops(os.getcwd()))
            except OSError:  # (the working folder is gone)
                pass
        found = memo[stored] = _named(stored, tops)
        return found

    return named


def _named(stored: str, tops: list[str]) -> str:
    if stored.startswith("<") or os.path.isabs(stored):
        return stored
    for top in tops:
        path = os.path.join(top, stored)
        if os.path.isfile(path):
            try:
                return os.path.relpath(path)
            except (OSError, ValueError):  # (on Windows, another drive)
                return path
    return stored


def _pos(value: list[Any], named: Callable[[str], str]) -> Pos:
    return Pos(named(str(value[0])), int(value[1]), int(value[2]))


def _checked(data: dict[str, Any], named: Callable[[str], str]) -> Checked:
    return Checked(
        Expr(data["source"], _pos(data["pos"], named)),
        data["python"],
        frozenset(data["names"]),
        frozenset(data["params"]),
        bool(data["uses_at"]),
        frozenset(data["inputs_tested"]),
    )


def _outs(data: list[Any], named: Callable[[str], str]) -> tuple[Out, ...]:
    return tuple(Out(n, None, _checked(o["expr"], named)) if "expr" in o else Out(n, o["value"]) for n, o in data)


def _then(outs: tuple[Out, ...]) -> dict[str, Any]:
    return {o.name: o.checked.expr if o.checked is not None else o.value for o in outs}


def _decision(program: str, name: str, data: dict[str, Any], named: Callable[[str], str]) -> CompiledDecision:
    lets = [(n, _checked(c, named)) for n, c in data["let"]]
    rows = []
    for r in data["rules"]:
        when = None if r["when"] is None else _checked(r["when"], named)
        outs = _outs(r["then"], named)
        rule = Rule(r["id"], None if when is None else when.expr, _then(outs), r["reason"], _pos(r["pos"], named))
        rows.append(Row(rule, when, outs))
    default = None if data["default"] is None else _outs(data["default"], named)
    decision = Decision(
        name,
        program,
        data["title"],
        data["description"],
        data["inputs"],
        tuple(data["required"]),
        {n: c.expr for n, c in lets},
        data["hit"],
        tuple(row.rule for row in rows),
        None if default is None else _then(default),
        data["outputs"],
        named(data["file"]),
        _pos(data["pos"], named),
        data.get("aggregate"),
    )
    constants = dict(data["constants"])
    known = set(RUNTIME) | set(constants) | _TRUSTED
    _check_code(data["python"], "exec", known)
    if data["python_rows"] is not None:
        _check_code(data["python_rows"], "exec", known)
    return _Loaded(decision, lets, rows, default, data["python"], constants, data["python_rows"])


class _Loaded(CompiledDecision):
    """A decision rebuilt from a bundle. The explaining path turns each expression into a function
    of its own: its code is checked then, when (and if) a run explains."""

    def _explainer(self, checked: Checked) -> Any:
        if checked not in self._explainers:
            _check_code(checked.python, "eval")
        return super()._explainer(checked)


# -- the generated code holds only what the decision compiler emits ---------------------------------------


class _Unsafe(Exception):
    pass


# what turning generated code of another shape into functions raises: code the compiler never writes
# (_Unsafe), code that is not Python, code nested deeper than Python's parser or compiler go (a
# forged `1-1-...-1` of 5,000 terms)
_NOT_CODE = (SyntaxError, RecursionError, _Unsafe)


_TRUSTED = {"_DR", "_self", "_failed", "_Error"}
_NODES = (
    ast.Module,
    ast.Expression,
    ast.FunctionDef,
    ast.arguments,
    ast.arg,
    ast.Try,
    ast.ExceptHandler,
    ast.If,
    ast.Return,
    ast.Assign,
    ast.Expr,
    ast.Name,
    ast.Load,
    ast.Store,
    ast.Constant,
    ast.Call,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.Tuple,
    ast.List,
    ast.Dict,
    ast.Compare,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.BinOp,
    ast.Sub,
    ast.Div,
    ast.FloorDiv,
    ast.IfExp,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
)
# exact types: the parser makes no subclasses, and a set answers in one look-up per node where
# `isinstance` with a tuple tries each type in turn (a bundle's process checks ~700 nodes)
_NODE_TYPES = frozenset(_NODES)
_ATTRIBUTES = {("inputs", "get"), ("hits", "append")}  # the only methods generated code calls
_FUNCTIONS = {"_evaluate", "_decide", "_row"}


def _check_code(source: str, mode: str, known: set[str] | None = None) -> None:
    """Raise _Unsafe unless ``source`` uses only the constructs the decision compiler generates,
    and (with ``known``) names only its arguments, its locals and the globals it is given."""
    if not isinstance(source, str):
        raise _Unsafe("generated code is not text")
    tree = compile(source, "<bundle>", mode, ast.PyCF_ONLY_AST)  # what ast.parse does
    bound = {"inputs", "params", "at", "env", "hits", "hit", "error"}
    loaded: list[str] = []  # names read, checked against `known` once every local is bound
    node: Any  # told apart by exact type (`type(node) is ...`), which mypy does not follow
    for node in _walk(tree):  # one walk: a bundle's process pays for it before its first answer
        kind = type(node)
        if kind not in _NODE_TYPES:
            raise _Unsafe(f"generated code holds `{kind.__name__}`, which the decision compiler never writes")
        if kind is ast.Name:
            if node.id.startswith("__"):
                raise _Unsafe(f"generated code names `{node.id}`")
            if type(node.ctx) is ast.Store:
                bound.add(node.id)
            else:
                loaded.append(node.id)
        elif kind is ast.Attribute and not (type(node.value) is ast.Name and (node.value.id, node.attr) in _ATTRIBUTES):
            raise _Unsafe("generated code reads an attribute")
        elif kind is ast.FunctionDef and (node.name not in _FUNCTIONS or node.decorator_list or mode != "exec"):
            raise _Unsafe(f"generated code defines `{node.name}`")
    if known is None:
        return
    for name in loaded:
        if name not in bound and not name.startswith("v_") and name not in known:
            raise _Unsafe(
                f"generated code calls `{name.removeprefix('_h_').removeprefix('_f_')}`, "
                "which this policyctl does not have"
            )


def _walk(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``tree``, as ``ast.walk`` gives them (another order): a node's children are
    the nodes among its fields and in its fields' lists."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                todo.append(value)
            elif isinstance(value, list):
                todo += [item for item in value if isinstance(item, ast.AST)]


# -- small things Repository has too -------------------------------------------------------------------


def _check_date(day: str, zone: str | None = None) -> str:
    """As Repository's: the form YYYY-MM-DD only, in the same words (`date.fromisoformat` alone also
    took `20240605` and week dates on Python 3.11+, which the repository refuses)."""
    from engine.model.dates import date_hint, parse_date

    try:
        return parse_date(day).isoformat()
    except ValueError as e:
        raise PolicyError([Problem(ARGUMENTS, 1, 1, "L004", str(e), date_hint(day, zone))], usage=True) from None


def _tops(start: str) -> list[str]:
    """Every folder that may be the top of a repository holding ``start``, nearest first: each top
    above it (engine.source.project's `is_top`: it holds policyctl.toml or policies/marketplaces.yaml)
    and the parent of each policies folder above it (one holding marketplaces.yaml, with no top of
    its own: a repository may lie in another, as a copy in a test's folder does). By stats alone,
    here rather than imported: the project module and its imports cost a bundle's process more
    than its answer's look-ups."""
    isfile, join, dirname = os.path.isfile, os.path.join, os.path.dirname
    here = os.path.abspath(start)
    found: list[str] = []
    while True:
        if (isfile(join(here, "policyctl.toml")) or isfile(join(here, "policies", "marketplaces.yaml"))) and (
            here not in found
        ):
            found.append(here)
        if isfile(join(here, "marketplaces.yaml")) and dirname(here) not in found:
            found.append(dirname(here))
        parent = dirname(here)
        if parent == here:
            return found
        here = parent


def _usage(message: str, known: Iterable[str]) -> Problem:
    names = sorted(known)
    return Problem(ARGUMENTS, 1, 1, "L004", message, f"known: {', '.join(names) if names else 'none'}")
