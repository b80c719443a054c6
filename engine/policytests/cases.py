"""Policy test cases: run the `kind: tests` cases of a repository and compare with what they expect.

A case names a decision, a marketplace, a date and inputs; `expect` lists only the outputs it
cares about (a partial match) and may list `matches`, the ids of the rows that matched. Every case
becomes an ``Outcome``, a value the reporters (``engine.policytests.report``) print; nothing here prints.

``examples`` gives the pages engine the cases marked `example: true`, evaluated for a page.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from engine.model.policy import TestCase
from engine.model.repository import Repository
from engine.problems import ASKED, PolicyError, Pos, Problem

if TYPE_CHECKING:
    from engine.decisions.answer import CompiledDecision
    from engine.source.loader import Document

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "(missing)"})()


@dataclass(frozen=True, slots=True)
class Mismatch:
    key: str  # an output name, or `matches`
    expected: Any
    actual: Any  # MISSING when the decision gave no such output


@dataclass(frozen=True, slots=True)
class Outcome:
    """One test: a case from a tests file, or a generated boundary check (``kind == "boundary"``)."""

    name: str
    program: str
    decision: str
    pos: Pos
    context: str  # "program.decision · marketplace · date · input {...}": what was asked
    mismatches: tuple[Mismatch, ...] = ()
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()  # extra lines shown with a failure (rows matched, boundary points)
    kind: str = "case"
    result: Any = field(default=None, compare=False, repr=False)  # the DecisionResult, when there is one

    @property
    def passed(self) -> bool:
        return not self.mismatches and not self.problems


@dataclass(frozen=True, slots=True)
class NotRun:
    """A tests file whose cases a run left out because of errors: its own, or those of a file its
    cases are answered from (their program.yaml, decision, marketplace overlay, marketplaces.yaml)."""

    file: str
    program: str  # the program folder it is in ("" when it is in none)
    cases: int | None  # how many of its cases the run selected; None: it cannot be read as cases
    problem: Problem | None  # the first error of the file that left them out, when one is known

    @property
    def errors_in(self) -> str:
        """The file whose errors left the cases out."""
        return self.problem.file if self.problem is not None else self.file


# -- selecting ---------------------------------------------------------------------------------------


def cases(repo: Repository, path: str | None = None, keyword: str | None = None) -> list[TestCase]:
    """The repository's cases in file order, below ``path`` and with ``keyword`` in their name."""
    found = [c for prog in sorted(repo.programs.values(), key=lambda p: p.id) for c in prog.tests]
    if path is not None:
        wanted = os.path.abspath(path)
        found = [c for c in found if _within(os.path.abspath(c.pos.file), wanted)]
    if keyword:
        found = [c for c in found if keyword.lower() in c.name.lower()]
    return sorted(found, key=lambda c: (c.program, c.pos.file, c.pos.line))


def not_run(repo: Repository, path: str | None = None, keyword: str | None = None) -> list[NotRun]:
    """The tests files below ``path`` whose cases (those with ``keyword`` in their name) are not
    among the repository's, left out because of errors: a run that leaves them out is no green run,
    whatever its cases say ("8 passed, 0 failed" when one file's cases never ran)."""
    from engine.source import layout

    attached = {c.pos.file for prog in repo.programs.values() for c in prog.tests}
    found = []
    for file, doc in repo._documents.items():
        placed = layout.classify(repo.root, file)
        data = doc.data if isinstance(doc.data, dict) else {}
        if file in attached or (placed.kind or data.get("kind")) != "tests":
            continue
        if path is not None and not _within(os.path.abspath(file), os.path.abspath(path)):
            continue
        listed = data.get("cases")
        count = None
        if isinstance(listed, list):
            count = sum(
                1
                for c in listed
                if not keyword or (isinstance(c, dict) and keyword.lower() in str(c.get("name", "")).lower())
            )
            if count == 0:
                continue
        own = next((p for p in repo.problems if p.file == file and p.severity == "error"), None)
        # (no error of its own: its program could not be read, and says why)
        blamed = own or _first_errors(repo).get(("program", placed.program or ""))
        found.append(NotRun(file, placed.program or "", count, blamed))
    return sorted(found, key=lambda n: n.file)


def held_back(repo: Repository, selected: Iterable[TestCase]) -> tuple[list[TestCase], list[NotRun]]:
    """The selected cases that may run, and the others by tests file: those whose answer would be
    read from a file with errors (their program.yaml, their decision, their marketplace's overlay,
    marketplaces.yaml). Run anyway, such a case fails for a reason that is not its own (`<=` between
    a number and the text of a `value: thirty`), or passes on values the file did not mean (an
    overlay left out answers with the base's)."""
    from engine.source import layout

    first = _first_errors(repo)
    runnable: list[TestCase] = []
    left: dict[tuple[str, Problem], list[TestCase]] = {}
    for case in selected:
        folder = layout.classify(repo.root, case.pos.file).program or case.program
        read_from = [
            ("marketplaces", ""),
            ("program", folder),
            ("overlay", f"{folder}/{case.marketplace}"),
            ("decision", f"{folder}/{case.decision}"),
        ]
        problem = next((first[key] for key in read_from if key in first), None)
        if problem is None:
            runnable.append(case)
        else:
            left.setdefault((case.pos.file, problem), []).append(case)
    held = [NotRun(file, found[0].program, len(found), problem) for (file, problem), found in left.items()]
    return runnable, held


def own_errors(repo: Repository, selected: Iterable[TestCase]) -> dict[Pos, tuple[Problem, ...]]:
    """The errors `validate` finds in each of the ``selected`` cases, by the case's position: a name
    its decision or program lacks, a refused input, a name used twice, a `boundaries:` naming what
    is not there (engine.model.build.test_problems), each in the case's lines (from its first to
    the next case's). Such a case is not run: it fails with them (``failed``), said once, where
    `validate` says them; run anyway, it failed in other words at another place, or passed while
    the run failed ("6 passed, 0 failed", exit 1)."""
    from bisect import bisect_right

    wanted = {c.pos for c in selected}
    files = {pos.file for pos in wanted}
    errors: dict[str, list[Problem]] = {}
    for p in repo.problems:
        if p.severity == "error" and p.file in files:
            errors.setdefault(p.file, []).append(p)
    found: dict[Pos, tuple[Problem, ...]] = {}
    for file, problems in errors.items():
        doc = repo._documents.get(file)
        listed = doc.data.get("cases") if doc is not None and isinstance(doc.data, dict) else None
        if doc is None or not isinstance(listed, list):
            continue
        starts = sorted({(doc.pos(("cases", i)).line, doc.pos(("cases", i)).col) for i in range(len(listed))})
        for p in problems:
            at = bisect_right(starts, (p.line, p.col))
            if at:
                pos = Pos(file, *starts[at - 1])
                if pos in wanted:
                    found[pos] = found.get(pos, ()) + (p,)
    return found


def failed(case: TestCase, problems: tuple[Problem, ...]) -> Outcome:
    """The outcome of a case with errors of its own (``own_errors``): failed with them, not run."""
    return Outcome(case.name, case.program, case.decision, case.pos, context(case), problems=problems)


def _first_errors(repo: Repository) -> dict[tuple[str, str], Problem]:
    """The first error of each file a case's answer is read from, by what the file is: `marketplaces`,
    a `program` (its folder), an `overlay` or a `decision` (`folder/id`)."""
    from engine.source import layout

    first: dict[tuple[str, str], Problem] = {}
    for p in sorted((p for p in repo.problems if p.severity == "error"), key=lambda p: (p.line, p.col)):
        placed = layout.classify(repo.root, p.file)
        folder = placed.program or ""
        if placed.kind == "marketplaces":
            key = ("marketplaces", "")
        elif placed.kind == "program":
            key = ("program", folder)
        elif placed.kind == "overlay":
            key = ("overlay", f"{folder}/{placed.stem}")
        elif placed.kind == "decision":
            doc = repo._documents.get(p.file)
            declared = doc.data.get("id") if doc is not None and isinstance(doc.data, dict) else None
            key = ("decision", f"{folder}/{declared if isinstance(declared, str) else placed.stem}")
        else:
            continue
        first.setdefault(key, p)
    return first


def _within(file: str, wanted: str) -> bool:
    return file == wanted or file.startswith(wanted.rstrip(os.sep) + os.sep)


# -- running -----------------------------------------------------------------------------------------


class Decides(Protocol):
    """What running a case reads: a Repository, or a loaded bundle (engine.bundle.load.Bundle)."""

    def compiled(self, program: str, decision: str) -> CompiledDecision: ...

    def params(self, program: str, marketplace: str, at: str) -> dict[str, Any]: ...


def run(repo: Decides, selected: Iterable[TestCase]) -> list[Outcome]:
    return [run_case(repo, case) for case in selected]


def context(case: TestCase) -> str:
    return f"{case.program}.{case.decision} · {case.marketplace} · {case.at} · input {show(case.input)}"


def evaluate(repo: Decides, case: TestCase, at: str | None = None) -> tuple[Any, tuple[Problem, ...]]:
    """The decision's answer for the case's inputs (on ``at``, default the case's date); D004 at the case."""
    try:
        compiled = repo.compiled(case.program, case.decision)
        params = repo.params(case.program, case.marketplace, at or case.at)
    except PolicyError as e:
        return None, _named(repo, case) or tuple(_located(p, case.pos) for p in e.problems)
    result = compiled.decide(case.input, params, at or case.at, where=case.pos)
    return result, _at_inputs(repo, case, tuple(result.problems))


def _at_inputs(repo: Decides, case: TestCase, problems: tuple[Problem, ...]) -> tuple[Problem, ...]:
    """The case's refused inputs (D004, said at the case) at each input's own line:col, as
    `validate` says them (engine.model.build.input_problems), when the sources are at hand (not
    from a bundle)."""
    refused = [
        p
        for p in problems
        if p.code == "D004" and (p.file, p.line, p.col) == (case.pos.file, case.pos.line, case.pos.col)
    ]
    if not refused or not isinstance(repo, Repository):
        return problems
    from engine.model.build import input_problems

    doc = repo._documents.get(case.pos.file)
    decision = repo.programs[case.program].decisions.get(case.decision)
    index = case_index(doc, case) if doc is not None else None
    if doc is None or decision is None or index is None:
        return problems
    placed = input_problems(doc, ("cases", index, "input"), case.input, [p.message for p in refused], decision)
    return tuple(p for p in problems if p not in refused) + tuple(placed)


def _named(repo: Decides, case: TestCase) -> tuple[Problem, ...]:
    """The repository's own problems with what the case names (T002 at its `decision:` or
    `marketplace:`, in `validate`'s words: engine.model.build.test_problems), when the sources are
    at hand (not from a bundle): the case fails with them, and `test` says each once."""
    doc = repo._documents.get(case.pos.file) if isinstance(repo, Repository) else None
    index = case_index(doc, case) if doc is not None else None
    if not isinstance(repo, Repository) or doc is None or index is None:
        return ()
    places = {doc.pos(("cases", index, key)) for key in ("decision", "marketplace")}
    return tuple(p for p in repo.problems if p.code == "T002" and p.pos in places)


def case_index(doc: Document, case: TestCase) -> int | None:
    """Where ``case`` is in its tests file's `cases:` (the model keeps its position, not its index)."""
    cases = doc.data.get("cases") if isinstance(doc.data, dict) else None
    if not isinstance(cases, list):
        return None
    return next((i for i in range(len(cases)) if doc.pos(("cases", i)) == case.pos), None)


def _located(problem: Problem, pos: Pos) -> Problem:
    """A request problem (``ASKED``) is the case's fault: point at the case."""
    if problem.file not in ASKED:
        return problem
    return Problem.at(pos, "T002", problem.message, problem.hint)


def run_case(repo: Decides, case: TestCase) -> Outcome:
    result, problems = evaluate(repo, case)
    base = Outcome(case.name, case.program, case.decision, case.pos, context(case), result=result)
    if problems or result is None:
        return _replace(base, problems=problems)
    mismatches = compare(case.expect, result.outputs, result.matches)
    notes = (f"rows matched: {', '.join(result.matches) or '(none; default)'}",) if mismatches else ()
    return _replace(base, mismatches=mismatches, notes=notes)


def _replace(outcome: Outcome, **changes: Any) -> Outcome:
    from dataclasses import replace

    return replace(outcome, **changes)


def compare(expect: dict[str, Any], outputs: dict[str, Any], matches: Iterable[str]) -> tuple[Mismatch, ...]:
    """The partial match: only the keys in ``expect``; `matches` is the list of matched row ids."""
    found = []
    for key, wanted in expect.items():
        actual = list(matches) if key == "matches" else outputs.get(key, MISSING)
        if actual is MISSING or not same(wanted, actual):
            found.append(Mismatch(key, wanted, actual))
    return tuple(found)


def same(expected: Any, actual: Any) -> bool:
    """JSON equality, except that numbers agree to 1e-9: `0.1 * 3` is the 0.3 an author writes."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(same(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        return len(expected) == len(actual) and all(same(a, b) for a, b in zip(expected, actual))
    return bool(expected == actual) and type(expected) is type(actual)


def show(value: Any) -> str:
    """A value as the author writes it in YAML flow style / JSON."""
    import json

    if value is MISSING:
        return "(no such output)"
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=False)
    except (TypeError, ValueError):
        return repr(value)


# -- worked examples for pages -------------------------------------------------------------------------


def examples(repo: Repository, program: str, marketplace: str, at: str | None = None) -> list[dict[str, Any]]:
    """The program's `example: true` cases for ``marketplace``, answered on ``at``.

    ``at`` is the page's date, so an example shows the rule the page shows; None keeps each case's
    own date. Cases whose decision fails are left out (`policyctl test` reports them). Each item:
    ``name``, ``description`` (or None), ``decision``, ``title`` (the decision's), ``marketplace``,
    ``at``, ``input``, ``outputs``, ``matches`` (row ids) and ``reasons`` (the rows' reasons).
    """
    prog = repo.programs.get(program)
    if prog is None:
        return []
    found = []
    for case in prog.tests:
        if not case.example or case.marketplace != marketplace:
            continue
        result, problems = evaluate(repo, case, at)
        if result is None or problems:
            continue
        found.append(
            {
                "name": case.name,
                "description": case.description,
                "decision": case.decision,
                "title": prog.decisions[case.decision].title,
                "marketplace": marketplace,
                "at": at or case.at,
                "input": dict(case.input),
                "outputs": dict(result.outputs),
                "matches": list(result.matches),
                "reasons": list(result.reasons),
            }
        )
    return found
