"""The process's memo of compiled decisions (engine.cache.compiled.COMPILED): a repository loaded
again in one process compiles no decision again, and every ingredient of what compiling gives is in
the key, so an edit of any of them is compiled afresh (each edit below fails if the key misses it:
checked by taking each out of ``decision_key`` in turn)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.cache import memo
from engine.decisions import compile as compiling

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "corpus" / "repos" / "mini"
DECISION = Path("loans") / "decisions" / "late_fee.yaml"
PROGRAM = Path("loans") / "program.yaml"
# a parameter the decision compares as text: refused (E003) once its schema makes it a date-time
OPENED = """  opened:
    description: When the library opened.
    schema: {type: string}
    value: "2024-01-01T00:00:00Z"
    source: made up for tests
"""
EARLY = "  early: \"params.opened < '2025-01-01'\"\n"
# a syntax error after an escape: `\\x20` is one character of the value and four of the file, so
# the error's column depends on how the file writes the scalar, not on the decision as built
PLAIN, ESCAPED = 'when: "days_late == 0 )"', 'when: "days_late\\x20== 0 )"'


@pytest.fixture
def compiled_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The ids of the decisions compiled, from a cold start (as in a new process)."""
    memo.clear_all()
    calls: list[str] = []
    real = compiling.compile_decision

    def counting(decision: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(decision.id)
        return real(decision, *args, **kwargs)

    monkeypatch.setattr(compiling, "compile_decision", counting)
    yield calls


def _repo(where: Path) -> Path:
    root = where / "policies"
    shutil.copytree(MINI, root)
    program = root / PROGRAM
    program.write_text(program.read_text(encoding="utf-8").replace("parameters:\n", "parameters:\n" + OPENED))
    decision = root / DECISION
    decision.write_text(decision.read_text(encoding="utf-8").replace("let:\n", "let:\n" + EARLY))
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def _answer(repo: engine.Repository, days_late: int = 1) -> Any:
    """What `late_fee` answers (or the problems that keep it from answering), with every problem's place."""
    problems = [(p.file, p.line, p.col, p.code) for p in repo.problems if p.severity == "error"]
    try:
        result = repo.decide("loans", "late_fee", {"days_late": days_late, "member": True}, "no", "2024-06-01")
    except engine.PolicyError as error:
        return problems, [(p.file, p.line, p.col, p.code) for p in error.problems]
    return problems, result.outputs, [(p.code, p.message) for p in result.problems]


def test_a_second_load_compiles_nothing_and_answers_the_same(tmp_path: Path, compiled_calls: list[str]) -> None:
    root = _repo(tmp_path)
    first = engine.load(str(root))
    answered = _answer(first)
    assert compiled_calls == ["late_fee"]
    again = engine.load(str(root))
    assert _answer(again) == answered
    assert again.compiled("loans", "late_fee") is first.compiled("loans", "late_fee")
    assert compiled_calls == ["late_fee"]


def test_a_decision_compiled_for_decide_is_not_compiled_by_the_next_load(
    tmp_path: Path, compiled_calls: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A load that found the problems on disk compiles when asked (`Repository.compiled`), once."""
    root = _repo(tmp_path)
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    engine.load(str(root), keep_compiled=False)  # (`validate`: its problems go to the disk)
    memo.clear_all()  # (a new process)
    compiled_calls.clear()
    first = engine.load(str(root))
    assert compiled_calls == []  # the problems from the disk
    answered = _answer(first)
    assert compiled_calls == ["late_fee"]
    assert _answer(engine.load(str(root))) == answered
    assert compiled_calls == ["late_fee"]


EDITS: dict[str, tuple[Path, str, str]] = {
    # the decision's content: an expression
    "an expression": (DECISION, 'when: "days_late == 0"', 'when: "days_late <= 1"'),
    # the decision's content: an input's schema (days_late 1 is refused)
    "an input's schema": (DECISION, "days_late: {type: integer, minimum: 0}", "days_late: {type: integer, minimum: 2}"),
    # a parameter's schema: compared as text, a date-time is refused (E003)
    "a parameter's schema": (
        PROGRAM,
        "    schema: {type: string}\n",
        "    schema: {type: string, format: date-time}\n",
    ),
    # a parameter's name: `params.members_only` names none any more
    "a parameter's name": (PROGRAM, "  members_only:\n", "  members_first:\n"),
}


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_an_edit_is_compiled_afresh(edit: str, tmp_path: Path, compiled_calls: list[str]) -> None:
    root = _repo(tmp_path)
    before = _answer(engine.load(str(root)))
    assert compiled_calls == ["late_fee"]
    file, old, new = EDITS[edit]
    _edit(root / file, old, new)
    after = _answer(engine.load(str(root)))
    assert compiled_calls == ["late_fee", "late_fee"]
    assert after != before
    memo.clear_all()
    assert _answer(engine.load(str(root))) == after  # what a new process finds


def _error_place(repo: engine.Repository) -> tuple[str, int, int]:
    (error,) = [p for p in repo.problems if p.code == "E001"]
    return error.file, error.line, error.col


def test_the_file_on_disk_places_the_problems(tmp_path: Path, compiled_calls: list[str]) -> None:
    """An edit of the file that leaves the decision as built the same moves an error's column."""
    root = _repo(tmp_path)
    _edit(root / DECISION, 'when: "days_late == 0"', PLAIN)
    plain = _error_place(engine.load(str(root)))
    _edit(root / DECISION, PLAIN, ESCAPED)
    escaped = _error_place(engine.load(str(root)))
    assert escaped[:2] == plain[:2] and escaped[2] == plain[2] + 3
    assert compiled_calls == ["late_fee", "late_fee"]


def test_an_editors_text_places_the_problems(tmp_path: Path, compiled_calls: list[str]) -> None:
    """`validate --stdin-filename`: the text given, not the file on disk, places the problems."""
    root = _repo(tmp_path)
    path = root / DECISION
    text = path.read_text(encoding="utf-8").replace('when: "days_late == 0"', PLAIN)
    plain = _error_place(engine.load(str(root), replaced={str(path): text.encode()}))
    escaped = _error_place(engine.load(str(root), replaced={str(path): text.replace(PLAIN, ESCAPED).encode()}))
    assert escaped == (plain[0], plain[1], plain[2] + 3)
    assert compiled_calls == ["late_fee", "late_fee"]


def _copies(tmp_path: Path, change: Callable[[Path], None] = lambda root: None) -> tuple[Path, Path]:
    first = _repo(tmp_path / "a")
    change(first)
    copy = tmp_path / "b" / "policies"
    shutil.copytree(first, copy)
    return first, copy


def test_the_same_decision_in_another_file_answers_at_its_own_places(tmp_path: Path, compiled_calls: list[str]) -> None:
    first, copy = _copies(tmp_path)
    engine.load(str(first))
    repo = engine.load(str(copy))
    compiled = repo.compiled("loans", "late_fee")
    assert compiled.decision.file == str(copy / DECISION)
    assert compiled.decision == repo.programs["loans"].decisions["late_fee"]
    assert compiled_calls == ["late_fee", "late_fee"]


def test_an_error_stays_an_error_in_its_own_file(tmp_path: Path, compiled_calls: list[str]) -> None:
    first, copy = _copies(tmp_path, lambda root: _edit(root / DECISION, 'when: "days_late == 0"', PLAIN))
    for root in (first, copy, first, copy):
        repo = engine.load(str(root))
        problems, raised = _answer(repo)
        assert problems == raised == [(str(root / DECISION), *_error_place(repo)[1:], "E001")]
    assert compiled_calls == ["late_fee", "late_fee"]  # (each compiled once: the error is kept too)


def test_a_decision_changed_in_its_unchanged_file_is_compiled_afresh(tmp_path: Path, compiled_calls: list[str]) -> None:
    """The decision as built is in the key, not only its file's bytes: a library caller may give a
    program another decision (the model's values are frozen, a program's mapping of them is not)."""
    root = _repo(tmp_path)
    before = _answer(engine.load(str(root), keep_compiled=False))
    repo = engine.load(str(root), keep_compiled=False)
    decisions = repo.programs["loans"].decisions
    first, *rest = decisions["late_fee"].rules
    assert first.when is not None
    changed = first.replace(when=first.when.replace(source="days_late <= 1"))
    decisions["late_fee"] = decisions["late_fee"].replace(rules=(changed, *rest))
    after = _answer(repo)
    assert compiled_calls == ["late_fee", "late_fee", "late_fee"]  # (the first load's, then each decide's)
    assert after != before
