"""The one cache store: an edit to any engine module or a library upgrade invalidates every entry."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from engine.cache import store
from engine.model.repository import documents_of
from support import ROOT, run_cli

MODULES = sorted(
    str(p.relative_to(ROOT / "engine")) for p in (ROOT / "engine").rglob("*.py") if "__pycache__" not in p.parts
)


@pytest.fixture(scope="module")
def engine_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("checkout") / "engine"
    shutil.copytree(ROOT / "engine", copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.fixture(scope="module")
def copy_digest(engine_copy: Path) -> str:
    """The copy's digest as made (each test below puts back what it edits)."""
    return store.sources_digest(str(engine_copy))


def test_the_running_engine_is_what_the_stamp_digests() -> None:
    assert store.sources_digest() == store.sources_digest(str(ROOT / "engine"))
    assert store.engine_stamp() == store.engine_stamp()


@pytest.mark.parametrize("module", MODULES)
def test_editing_any_engine_module_changes_the_digest(engine_copy: Path, copy_digest: str, module: str) -> None:
    original = (engine_copy / module).read_bytes()
    try:
        (engine_copy / module).write_bytes(original + b"\n# an edit\n")
        assert store.sources_digest(str(engine_copy)) != copy_digest
    finally:
        (engine_copy / module).write_bytes(original)


def test_a_new_module_changes_the_digest(engine_copy: Path, copy_digest: str) -> None:
    (engine_copy / "site" / "extra.py").write_text("X = 1\n")
    try:
        assert store.sources_digest(str(engine_copy)) != copy_digest
    finally:
        (engine_copy / "site" / "extra.py").unlink()
    assert store.sources_digest(str(engine_copy)) == copy_digest  # the same files: the same digest


def test_installing_or_upgrading_a_library_changes_the_distributions(tmp_path: Path) -> None:
    (tmp_path / "somelib-1.0.dist-info").mkdir()
    first = store.distributions([str(tmp_path)])
    (tmp_path / "somelib-1.0.dist-info").rename(tmp_path / "somelib-1.1.dist-info")
    assert store.distributions([str(tmp_path)]) != first
    assert any("jinja2" in d.lower() for d in store.distributions())  # the real ones are found


def test_every_cache_uses_the_store() -> None:
    """No cache keeps its own folder, stamp or checksum (a hand-kept list of sources once left a
    module out, and a warm cache answered "no problems" after an engine fix)."""
    # (memo.py: memos in the process's memory, never on disk; keyed by what a value depends on)
    users = [
        p for p in (ROOT / "engine" / "cache").glob("*.py") if p.name not in ("store.py", "memo.py", "__init__.py")
    ]
    for path in users + [ROOT / "engine" / "templates" / "check.py"]:
        text = path.read_text(encoding="utf-8")
        assert "store." in text, path
        # (zlib may compress what a cache holds in memory; its checksums are not keys)
        assert "crc32" not in text and "adler32" not in text, path
        assert 'POLICYCTL_CACHE")' not in text and "_SOURCES" not in text, path


def test_cache_info_and_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    mine = tmp_path / "cache" / "not-policyctls.txt"
    assert run_cli("validate", str(ROOT / "tests" / "corpus" / "repos" / "mini")).code == 0
    info = run_cli("cache", "info")
    assert info.code == 0 and str(tmp_path / "cache") in info.out
    lines = info.out.splitlines()
    assert lines[0] == f"cache: {tmp_path / 'cache'}"
    assert [line.split()[0] for line in lines[1:]] == [*store.KINDS, "total"]
    assert "  documents    1 entry" in lines  # (the counts in one column, after the longest kind's name)
    assert len({line.index(line.split()[1]) for line in lines[1:]}) == 1
    mine.write_text("kept")
    cleared = run_cli("cache", "clear")
    assert cleared.code == 0 and cleared.out.startswith("removed ")
    assert "  documents    0 entries" in run_cli("cache", "info").out.splitlines()
    assert mine.read_text() == "kept"  # only policyctl's own folders are removed


@pytest.mark.parametrize("given", ["~/x", "~"])
def test_a_cache_folder_from_home_is_there_as_a_shell_says_it(
    init_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    """`POLICYCTL_CACHE: ~/x` in a GitHub Actions `env:` is not expanded by any shell: the cache was
    written into a folder named `~` in the checkout (and `git status` showed it)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("POLICYCTL_CACHE", given)
    cache = home / given[2:] if given != "~" else home
    assert run_cli("validate", cwd=init_repo).code == 0
    assert not (init_repo / "~").exists() and (cache / "documents").is_dir()
    assert run_cli("cache", "info", cwd=init_repo).out.splitlines()[0] == f"cache: {cache}"


def test_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    assert run_cli("cache", "info").out == "cache: off (POLICYCTL_CACHE)\n"
    assert "nothing to clear" in run_cli("cache", "clear").out


@pytest.mark.parametrize("chunk", [3, 1000])
def test_the_document_pack_is_read_back_in_records_and_parses_only_what_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """The pack is written a record at a time; read back, it answers every unchanged file (none
    is parsed again) with the same data, problems and positions; an edited file is parsed again;
    a cut pack is no pack."""
    import os

    import engine
    from engine.cache import documents, memo
    from engine.source.loader import Document, load_bytes

    repo_dir = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", repo_dir)
    monkeypatch.setattr(documents, "CHUNK", chunk)
    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    plain = documents_of(engine.load(str(repo_dir)))
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    engine.load(str(repo_dir))
    parsed: list[str] = []
    real = load_bytes  # the function documents.load_bytes names

    def counted(raw: bytes, path: str) -> Document:
        parsed.append(path)
        return real(raw, path)

    monkeypatch.setattr(documents, "load_bytes", counted)
    memo.clear_all()  # (each load below as a new process's: this process's memo would parse nothing)
    packed = documents_of(engine.load(str(repo_dir)))
    assert parsed == []
    for path, doc in plain.items():
        assert (packed[path].data, packed[path].problems) == (doc.data, doc.problems)
        assert packed[path].positions == doc.positions and packed[path].key_positions == doc.key_positions
    edited = repo_dir / "marketplaces.yaml"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    memo.clear_all()
    engine.load(str(repo_dir))
    assert parsed == [str(edited)]
    (pack,) = (tmp_path / "cache" / "documents").iterdir()
    pack.write_bytes(pack.read_bytes()[: os.path.getsize(pack) // 2])
    parsed.clear()
    memo.clear_all()
    assert documents_of(engine.load(str(repo_dir))).keys() == plain.keys()
    assert len(parsed) == len(plain)


def test_a_folder_of_entries_keeps_its_newest(tmp_path: Path) -> None:
    """Entries of one check each are pruned to the newest `keep` by the first write of a process to
    their folder (they were never removed: each edit, each engine upgrade added one)."""
    where = tmp_path / "templates"
    where.mkdir()
    for age in range(10):  # entry 0 the oldest
        entry = where / f"{age}.json"
        entry.write_bytes(b"{}")
        os.utime(entry, ns=(10**18 + age * 10**9, 10**18 + age * 10**9))
    (where / "half-written.tmp").write_bytes(b"")  # another process's write, not an entry
    assert store.write_entry(str(where / "new.json"), b"{}", keep=5)
    assert sorted(p.name for p in where.iterdir()) == [
        "6.json",
        "7.json",
        "8.json",
        "9.json",
        "half-written.tmp",
        "new.json",
    ]
    assert store.write_entry(str(where / "newer.json"), b"{}", keep=5)  # once per process and folder
    assert len(list(where.glob("*.json"))) == 6


def test_checks_and_compile_problems_are_written_as_pruned_entries(
    isolated_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.cache import checks, compiled
    from engine.problems import Problem

    written: list[str] = []
    real = store.write_entry

    def write_entry(path: str, blob: bytes, keep: int = store.ENTRIES) -> bool:
        written.append(path)
        return real(path, blob, keep)

    monkeypatch.setattr(store, "write_entry", write_entry)
    compiled.write_problems(str(isolated_cache / "decisions" / "x.json"), "key", [])
    checks.forget()
    checks.kept("templates", lambda: ["input"], lambda: [Problem("a.yaml", 1, 1, "G001", "a problem")])
    assert [Path(p).parent.name for p in written] == ["decisions", "templates"]
