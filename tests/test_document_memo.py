"""A repository's files read, checked and compiled once per process (engine.cache.documents
`recall`/`remember`, engine.cache.compiled's memo): a load answered from the memos gives what a
fresh load gives, at the paths of the folder loaded, and an edit of any file's bytes is read again."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.cache import documents, memo
from engine.cache.memo import Memo
from engine.decisions import compile as compiling
from engine.model import repository
from engine.source.loader import load_bytes
from support import ROOT

MINI = ROOT / "tests" / "corpus" / "repos" / "mini"
BROKEN = (
    "duplicate_key.yaml",
    "syntax_unclosed.yaml",
    "tab_indent.yaml",
    "empty.yaml",
    "binary.yaml",
    "unknown_key.yaml",
)


def _repo(where: Path) -> Path:
    """A copy of the mini repository with problems of every stage: the loader's, the schema's and
    a decision's expressions (an unknown name and an unknown parameter)."""
    dest = where / "policies"
    shutil.copytree(MINI, dest)
    for bad in BROKEN:
        shutil.copy(ROOT / "tests" / "corpus" / "invalid" / bad, dest / "loans" / "tests" / bad)
    text = (dest / "loans" / "decisions" / "late_fee.yaml").read_text(encoding="utf-8")
    broken = text.replace("id: late_fee", "id: broken").replace(
        'when: "days_late == 0"', 'when: "days_lat == 0 and params.nope"'
    )
    (dest / "loans" / "decisions" / "broken.yaml").write_text(broken, encoding="utf-8")
    return dest


def _seen(root: Path) -> tuple[list[str], dict[str, Any], list[Any]]:
    """What a load gives: its problems as `file:line:col code`, each file's data, and answers of
    the repository's sound decision."""
    repo = engine.load(str(root))
    problems = [f"{p.file}:{p.line}:{p.col} {p.code} {p.message}" for p in repo.problems]
    data = {path: (doc.data, [str(p) for p in doc.problems]) for path, doc in repository.documents_of(repo).items()}
    answers = []
    for days in (0, 3, 40):
        result = repo.decide("loans", "late_fee", {"days_late": days, "member": True}, "nl", "2024-06-01")
        answers.append((result.outputs, [str(p) for p in result.problems]))
    return problems, data, answers


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files parsed (not found in the memo) from now on; no disk cache, so every miss parses."""
    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    memo.clear_all()
    return _parses(monkeypatch, repository)


def _parses(monkeypatch: pytest.MonkeyPatch, module: Any) -> list[str]:
    """The files ``module`` parses from now on (its name for the loader's `load_bytes`)."""
    seen: list[str] = []

    def counted(raw: bytes, path: str) -> Any:
        seen.append(path)
        return load_bytes(raw, path)

    monkeypatch.setattr(module, "load_bytes", counted)
    return seen


def test_a_load_from_the_memos_is_a_fresh_load(tmp_path: Path, parsed: list[str]) -> None:
    root = _repo(tmp_path)
    fresh = _seen(root)
    assert any(" E" in p for p in fresh[0]) and any(" Y" in p for p in fresh[0])  # every stage has problems
    parsed.clear()
    assert _seen(root) == fresh
    assert parsed == []  # nothing parsed again


def test_an_edit_of_any_file_is_read_again(tmp_path: Path, parsed: list[str]) -> None:
    root = _repo(tmp_path)
    files = sorted(p for p in root.rglob("*.yaml"))
    _seen(root)
    for file in files:
        file.write_bytes(file.read_bytes() + b"\n# edited\n")
        parsed.clear()
        edited = _seen(root)
        assert parsed == [str(file)], file
        memo.clear_all()
        assert _seen(root) == edited  # what it gives is what a fresh load gives


def test_a_copy_in_another_folder_has_problems_at_its_own_paths(tmp_path: Path, parsed: list[str]) -> None:
    first = _repo(tmp_path / "a")
    copy = tmp_path / "b" / "policies"
    shutil.copytree(first, copy)
    _seen(first)
    parsed.clear()
    from_memo = _seen(copy)
    assert parsed == []
    assert all(str(copy) in p for p in from_memo[0] if "<command line>" not in p)
    memo.clear_all()
    assert _seen(copy) == from_memo  # the copy loaded afresh


def test_a_copy_finds_the_decisions_compile_problems_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk cache of compile problems has no path in its key: a copy of a repository (a new
    process: the memos empty) compiles nothing the original compiled."""
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    first = _repo(tmp_path / "a")
    copy = tmp_path / "b" / "policies"
    shutil.copytree(first, copy)
    memo.clear_all()
    expected = [p for p in engine.load(str(first)).problems if p.code.startswith("E")]
    assert expected
    memo.clear_all()

    def no_compiling(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("compiled although the answer is on disk")

    monkeypatch.setattr(compiling, "compile_decision", no_compiling)
    found = [p for p in engine.load(str(copy)).problems if p.code.startswith("E")]
    assert [(p.file, p.line, p.col, p.code, p.message) for p in found] == [
        (p.file.replace(str(first), str(copy)), p.line, p.col, p.code, p.message) for p in expected
    ]


def test_the_memo_is_bounded(tmp_path: Path, parsed: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    small: Memo[Any] = Memo(3)
    monkeypatch.setattr(documents, "READ_MEMO", small)
    root = _repo(tmp_path)
    fresh = _seen(root)
    assert len(small) == 3 < len(list(root.rglob("*.yaml")))
    assert _seen(root) == fresh


def test_with_the_cache_off_nothing_is_written_and_answers_are_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _repo(tmp_path)
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    memo.clear_all()
    cached = _seen(root)
    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    memo.clear_all()
    shutil.rmtree(tmp_path / "cache")
    assert _seen(root) == cached
    assert _seen(root) == cached  # from the memos
    assert not (tmp_path / "cache").exists()


def test_a_memo_hit_still_writes_the_document_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Files found in the memo are in the pack a load writes, as if read through it: the next
    process reads them from the pack."""
    root = _repo(tmp_path)
    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    memo.clear_all()
    _seen(root)  # fills the memo, writes nothing
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    _seen(root)  # every file from the memo
    memo.clear_all()  # a new process
    seen = _parses(monkeypatch, documents)
    _seen(root)
    undecodable = {str(root / "loans" / "tests" / "binary.yaml")}  # (no pack entry: no text)
    assert set(seen) == undecodable


# A catalog, and one with each kind of problem `parse` reports: a string not closed, PO syntax
# Babel refuses, a plural rule gettext cannot use.
CATALOGS = {
    "sound": 'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "Fee"\nmsgstr "Gebühr"\n',
    "unclosed": 'msgid ""\nmsgstr ""\n\nmsgid "Fee\nmsgstr "Gebühr"\n',
    "syntax": 'msgid ""\nmsgstr ""\n\nmsgid "Fee"\nmsgstr "Gebühr"\nbogus line\n',
    "plural rule": 'msgid ""\nmsgstr "Plural-Forms: nplurals=2; plural=n>>>1;\\n"\n',
}


@pytest.mark.parametrize("kind", sorted(CATALOGS))
def test_a_catalog_copied_to_another_folder_is_parsed_once_with_problems_at_its_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Babel's PO parser is most of a small build's time: a catalog's bytes are parsed once per
    process whatever folder they are in (engine.i18n.translator), the catalog shared and its
    problems named at the path asked for, as parsing it there gives."""
    from engine.i18n import translator

    memo.clear_all()
    parses: list[str] = []
    real = translator.parse  # type: ignore[attr-defined]  # (the name the module calls)

    def counted(path: str, tag: str | None, raw: bytes) -> Any:
        parses.append(path)
        return real(path, tag, raw)

    monkeypatch.setattr(translator, "parse", counted)
    paths = [tmp_path / folder / "de.po" for folder in ("a", "b")]
    for path in paths:
        path.parent.mkdir()
        path.write_text(CATALOGS[kind], encoding="utf-8")
    first, moved = (translator.Catalogs().read(str(path), "de") for path in paths)
    assert parses == [str(paths[0])]
    assert moved[0] is first[0]
    assert [p.file for p in moved[1]] == [str(paths[1])] * len(first[1])
    assert bool(first[1]) == (kind != "sound")
    memo.clear_all()
    afresh = translator.Catalogs().read(str(paths[1]), "de")
    assert moved[1] == afresh[1] and (moved[0] is None) == (afresh[0] is None)
