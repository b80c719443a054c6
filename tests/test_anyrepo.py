"""policyctl as a tool for any policy repository: `init`, finding the repository from any folder
in it, `--root`, policyctl.toml, the packaged schemas and page layout, and the installed wheel."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from support import ROOT, commands_in_one_process, edit, git, listing, run_cli


@pytest.fixture
def starter(init_starter: Path) -> Path:
    return init_starter  # (conftest: one `policyctl init` per process)


@pytest.fixture
def repo(init_repo: Path) -> Path:
    return init_repo


def test_init_writes_a_repository_that_passes_at_once(starter: Path) -> None:
    for kind in ("marketplaces", "program", "overlay", "decision", "tests", "pages", "common"):
        assert (starter / "schemas" / f"{kind}.schema.json").is_file()
    for path in (
        ".vscode/settings.json",
        ".pre-commit-config.yaml",
        ".github/workflows/policy.yml",
        "policyctl.toml",
        "policies/returns/locales/de.po",
        "generated_docs/index.html",
    ):
        assert (starter / path).is_file(), path
    for where in (starter, starter / "policies" / "returns" / "tests"):
        for args in (("validate",), ("test",), ("build", "--check"), ("i18n", "check", "returns")):
            result = run_cli(*args, cwd=where)
            assert result.code == 0, (args, where, result)
    assert "5 passed, 0 failed" in run_cli("test", cwd=starter).out


def test_init_starter_has_every_piece(starter: Path) -> None:
    """The pieces the starter promises are there: an overlay, a dated change, a worked example,
    a translated page, and an editor mapping for every file kind."""
    policies = starter / "policies"
    assert "changes:" in (policies / "returns" / "program.yaml").read_text(encoding="utf-8")
    assert (policies / "returns" / "marketplaces" / "de.yaml").is_file()
    assert "example: true" in (policies / "returns" / "tests" / "return_allowed.yaml").read_text(encoding="utf-8")
    german = (starter / "generated_docs" / "returns" / "de" / "de" / "help.md").read_text(encoding="utf-8")
    assert "Rückgabefrist beträgt jetzt 45 Tage" in german and "**Beispiel:**" in german
    mapping = json.loads((starter / ".vscode" / "settings.json").read_text(encoding="utf-8"))["yaml.schemas"]
    assert sorted(Path(s).name for s in mapping) == sorted(
        f"{k}.schema.json" for k in ("marketplaces", "program", "overlay", "decision", "tests", "pages")
    )
    for schema in mapping:
        assert (starter / schema).is_file()


def test_modelines_point_at_the_schemas(starter: Path) -> None:
    """Every `yaml-language-server` modeline the starter writes names an existing schema of the
    file's own kind, relative to the file."""
    seen = 0
    for path in (starter / "policies").rglob("*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("=", 1)[1]).resolve()
        assert target.is_file(), path
        kind = next(
            line.split(": ")[1] for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("kind: ")
        )
        assert target.name == f"{kind}.schema.json", path
        seen += 1
    assert seen >= 5


@pytest.mark.parametrize(
    "mine",
    [
        {".git/HEAD": "ref: refs/heads/main\n"},  # `git init`, then `policyctl init .`
        {".git/HEAD": "x", "README.md": "# mine\n", "LICENSE": "MIT\n", ".gitignore": "*.pyc\n"},  # a GitHub clone
        {"notes.txt": "keep me", ".github/workflows/ci.yml": "on: push\n", ".vscode/extensions.json": "{}"},
        {"policies/": "", "generated_docs/": "", "schemas/": ""},  # (empty folders are filled)
    ],
)
def test_init_writes_into_a_started_repository_and_keeps_what_is_there(tmp_path: Path, mine: dict[str, str]) -> None:
    """`policyctl init .` in a new clone or after `git init` refused ("is not empty"): the starter
    is written beside what is there, which is kept byte for byte, README.md too (the starter's is
    not written)."""
    for rel, text in mine.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir() if rel.endswith("/") else path.write_text(text, encoding="utf-8")
    result = run_cli("init", ".", "--no-build", cwd=tmp_path)
    assert result.code == 0, result
    for rel, text in mine.items():
        if not rel.endswith("/") and rel != ".gitignore":
            assert (tmp_path / rel).read_text(encoding="utf-8") == text, rel
    assert (tmp_path / "policyctl.toml").is_file() and (tmp_path / ".github/workflows/policy.yml").is_file()
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert ("README.md" in mine) == (readme == "# mine\n") == ("kept README.md as it is" in result.out), result
    assert run_cli("validate", cwd=tmp_path).code == 0


@pytest.mark.parametrize(
    ("before", "after", "said"),
    [
        (None, ".policyctl-cache/\npolicyctl.sarif\npolicyctl-tests.xml\n", None),
        ("*.pyc\n", "*.pyc\n\n# policyctl init\n.policyctl-cache/\npolicyctl.sarif\npolicyctl-tests.xml\n", "all"),
        ("*.pyc", "*.pyc\n\n# policyctl init\n.policyctl-cache/\npolicyctl.sarif\npolicyctl-tests.xml\n", "all"),
        ("", "# policyctl init\n.policyctl-cache/\npolicyctl.sarif\npolicyctl-tests.xml\n", "all"),
        (
            "/.policyctl-cache\npolicyctl.sarif\n",
            "/.policyctl-cache\npolicyctl.sarif\n\n# policyctl init\npolicyctl-tests.xml\n",
            "one",
        ),
        (".policyctl-cache/\npolicyctl.sarif\npolicyctl-tests.xml\n", None, None),
    ],
    ids=["none", "lines", "no-last-newline", "empty", "some-spelt-otherwise", "all"],
)
def test_init_appends_to_a_gitignore_only_the_lines_it_lacks(
    tmp_path: Path, before: str | None, after: str | None, said: str | None
) -> None:
    """The starter's cache and CI reports stay out of git in a repository that already had a
    .gitignore (as `cargo init` does), and nothing in it is changed."""
    if before is not None:
        (tmp_path / ".gitignore").write_text(before, encoding="utf-8")
    result = run_cli("init", str(tmp_path), "--no-build")
    assert result.code == 0, result
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == (before if after is None else after)
    added = {"all": ".policyctl-cache/, policyctl.sarif, policyctl-tests.xml", "one": "policyctl-tests.xml"}
    lines = [line for line in result.out.splitlines() if line.startswith("added to")]
    assert lines == ([f"added to {tmp_path / '.gitignore'}: {added[said]}"] if said else []), result


@pytest.mark.parametrize(
    ("mine", "in_the_way"),
    [
        ({"policyctl.toml": "x"}, ["policyctl.toml: exists"]),
        (
            {"README.md": "r", ".vscode/settings.json": "{}", "schemas/program.schema.json": "{}"},
            ["schemas/program.schema.json: exists"],  # (editor settings are kept, as README.md is)
        ),
        ({".github": "a file"}, [".github: a file, where the starter has a folder"]),
        ({"policyctl.toml/": ""}, ["policyctl.toml: a folder, where the starter writes a file"]),
        (
            {"policies/mine.yaml": "kind: program\n", "policies/returns/program.yaml": "x"},
            ["policies: a folder that is not empty (the starter's repository is all of it)"],
        ),
        (
            {"generated_docs/index.html": "mine"},
            ["generated_docs: a folder that is not empty (the starter's repository is all of it)"],
        ),
        ({"generated_docs": "a file"}, ["generated_docs: a file, where the starter has a folder"]),
        ({"schemas": "-> ../outside"}, ["schemas: a link (policyctl init does not write through links)"]),
        ({".vscode": "-> ../outside"}, [".vscode: a link (policyctl init does not write through links)"]),
        (
            {".github/workflows": "-> ../../outside"},
            [".github/workflows: a link (policyctl init does not write through links)"],
        ),
        (
            {".pre-commit-config.yaml": "-> ../outside/gone.yaml"},
            [".pre-commit-config.yaml: a link (policyctl init does not write through links)"],
        ),
        (
            {".gitignore": "-> ../outside/ignore"},
            [".gitignore: a link, not a plain file (policyctl init appends its lines to a .gitignore it can read)"],
        ),
        pytest.param(  # (each was "a file", or just "exists"; never opened: reading a named pipe waits for a writer)
            {
                ".github": "|",
                "generated_docs": "|",
                "policyctl.toml": "|",
                ".gitignore": "|",
                ".vscode/settings.json": "|",
            },
            [
                ".github: a named pipe (FIFO), where the starter has a folder",
                "generated_docs: a named pipe (FIFO), where the starter has a folder",
                "policyctl.toml: a named pipe (FIFO), where the starter writes a file",
                ".gitignore: a named pipe (FIFO), not a plain file (policyctl init appends its lines to a .gitignore it can read)",
                ".vscode/settings.json: a named pipe (FIFO), not a plain file (policyctl init reads the editor settings it keeps)",
            ],
            id="named-pipes",
            marks=pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here"),
        ),
    ],
)
def test_init_refuses_what_is_in_the_way_naming_each_and_writes_nothing(
    tmp_path: Path, mine: dict[str, str], in_the_way: list[str]
) -> None:
    """A file the starter writes, a file or link where it needs a folder, a policies/ or
    generated_docs/ folder of others: refused (exit 2) before anything is written, every path
    named as what it is (`|`: a named pipe); a link is never followed (the folder it points to
    stays empty)."""
    top, outside = tmp_path / "repo", tmp_path / "outside"
    outside.mkdir()
    (outside / "ignore").write_text("*.pyc\n", encoding="utf-8")
    for rel, text in {".git/HEAD": "x", **mine}.items():
        path = top / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if text.startswith("-> "):
            path.symlink_to(text[3:])
        elif text == "|":
            os.mkfifo(path)
        else:
            path.mkdir() if rel.endswith("/") else path.write_text(text, encoding="utf-8")
    before, beside = listing(top), listing(outside)
    result = run_cli("init", ".", cwd=top)
    assert result.code == 2, result
    n = len(in_the_way)
    assert result.err.splitlines() == [
        f"policyctl: error: {n} path{'s' * (n != 1)} in . {'are' if n != 1 else 'is'} in the starter's way;"
        " nothing was written",
        *(f"  {line}" for line in sorted(in_the_way)),
        "  hint: move these aside and run `policyctl init` again, or give a new folder (`policyctl init my-policies`);"
        " policyctl init never writes over what is there",
    ], result
    assert result.out == "" and listing(top) == before and listing(outside) == beside


@pytest.mark.parametrize("where", ["policies/x", "policies/returns/new"])
def test_init_refuses_a_folder_inside_another_repositorys_policies(repo: Path, where: str) -> None:
    """Its files would be read as that repository's (P011 "declared twice", L003...)."""
    before = sorted(str(p.relative_to(repo)) for p in repo.rglob("*"))
    result = run_cli("init", str(repo / where))
    assert result.code == 2 and f"is inside the policies folder {repo / 'policies'}" in result.err, result
    assert sorted(str(p.relative_to(repo)) for p in repo.rglob("*")) == before
    assert run_cli("init", str(repo / "beside")).code == 0  # (beside policies/, not in it)


@pytest.mark.parametrize("name", ["my policies", "it's", "plain"])
def test_init_says_the_next_step_as_a_shell_runs_it(tmp_path: Path, name: str) -> None:
    """`next: cd my policies && ...` could not be pasted into a shell: the folder was not quoted."""
    import shlex

    result = run_cli("init", name, "--no-build", cwd=tmp_path)
    assert result.code == 0, result
    step = result.out.splitlines()[-1]
    assert step == f"next: cd {shlex.quote(name)} && policyctl validate && policyctl test && policyctl build --check"
    assert shlex.split(step.removeprefix("next: "))[:2] == ["cd", name]


@pytest.mark.parametrize("below", ["", "new", "new/deeper", "/", "new/"])
def test_init_refuses_a_file_in_its_own_words(tmp_path: Path, below: str) -> None:
    """A file on the way to the folder (`init notes.txt/new`) failed as a full disk would: "a read or
    write of notes.txt/new failed: Not a directory", hint "make room or write the output elsewhere";
    `init notes.txt/` said "cannot write notes.txt: File exists", exit 1."""
    target = tmp_path / "notes.txt"
    target.write_text("keep me", encoding="utf-8")
    result = run_cli("init", str(target) + os.sep + below.replace("/", os.sep) if below else str(target))
    assert result.code == 2, result
    assert result.err.startswith(
        f"policyctl: error: {target} is a file: policyctl init writes a repository into a folder"
    ), result
    assert "hint: give a new folder" in result.err and "Usage:" not in result.err, result
    assert target.read_text(encoding="utf-8") == "keep me"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
@pytest.mark.parametrize("below", ["", "/new/deeper"])
def test_init_names_a_named_pipe_in_its_way(tmp_path: Path, below: str) -> None:
    """It was called "a file"; it is named, and never opened (that would wait for a writer)."""
    target = tmp_path / "pipe"
    os.mkfifo(target)
    result = run_cli("init", str(target) + below.replace("/", os.sep), "--no-build")
    assert (result.code, result.out) == (2, ""), result
    assert result.err.startswith(
        f"policyctl: error: {target} is a named pipe (FIFO): policyctl init writes a repository into a folder\n"
    ), result
    assert listing(tmp_path) == {"pipe": "named pipe"}


@pytest.mark.parametrize("below", ["", "/", "/new"])
def test_init_refuses_a_link_to_nothing_in_its_own_words(tmp_path: Path, below: str) -> None:
    """It failed on its first write: "a read or write of dangling/.github failed", "make room";
    `init dangling/` said "cannot write dangling: File exists", exit 1."""
    target = tmp_path / "dangling"
    target.symlink_to(tmp_path / "nowhere")
    result = run_cli("init", str(target) + below.replace("/", os.sep), "--no-build")
    assert result.code == 2, result
    assert result.err.startswith(
        f"policyctl: error: {target} is a link to no folder: policyctl init writes a repository into a folder"
    ), result
    assert not (tmp_path / "nowhere").exists()


# A folder whose permissions keep init from checking or writing: (its mode, the folder asked for in
# it, the error). It said "cannot write locked/new: Permission denied" (exit 1), or click's "Path
# 'locked' is not readable" (no hint).
DENIED = [
    (0o000, "locked/new", "locked is a folder you have no permission to make locked/new in"),
    (0o600, "locked/new", "locked is a folder you have no permission to make locked/new in"),
    (0o500, "locked/new", "locked is a folder you have no permission to make locked/new in"),
    (0o000, "locked", "locked is a folder you have no permission to list (policyctl init checks what is in it first)"),
    (0o300, "locked", "locked is a folder you have no permission to list (policyctl init checks what is in it first)"),
    (0o500, "locked", "locked is a folder you have no permission to write into"),
]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize(("mode", "target", "said"), DENIED)
def test_init_refuses_a_folder_it_may_not_write_in_its_own_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int, target: str, said: str
) -> None:
    if os.geteuid() == 0:  # (root may do anything: ask as the folder's owner, root, without that would)
        monkeypatch.setattr(os, "access", lambda path, want, **_: (os.stat(path).st_mode >> 6) & want == want)
    (tmp_path / "locked" / "in").mkdir(parents=True)
    (tmp_path / "locked").chmod(mode)
    try:
        result = run_cli("init", target, "--no-build", cwd=tmp_path)
    finally:
        (tmp_path / "locked").chmod(0o700)
    assert (result.code, result.out) == (2, ""), result
    assert result.err.splitlines() == [
        f"policyctl: error: {said}; nothing was written",
        "  hint: give a folder you may write into, or ask who owns locked for permission (`ls -ld locked` says who)",
    ]
    assert [p.name for p in (tmp_path / "locked").rglob("*")] == ["in"]


def test_root_accepts_the_top_and_the_policies_folder_from_anywhere(repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for root in (repo, repo / "policies"):
        for args in (("validate",), ("test",), ("build", "--check"), ("fmt", "--check")):
            result = run_cli(*args, "--root", str(root), cwd=elsewhere)
            assert result.code == 0, (args, root, result)


def test_commands_outside_a_repository_say_so(tmp_path: Path) -> None:
    for args in (("validate",), ("test",), ("build", "--check"), ("show", "returns", "-m", "us")):
        result = run_cli(*args, cwd=tmp_path)
        assert result.code == 2, (args, result)
        assert "no policy repository in" in result.err and "policyctl init" in result.err
        assert "Traceback" not in result.err


def test_root_that_is_not_a_repository(tmp_path: Path) -> None:
    result = run_cli("validate", "--root", str(tmp_path), cwd=tmp_path)
    assert result.code == 2 and "is not a policy repository" in result.err, result


def test_messages_are_relative_to_the_working_folder(repo: Path) -> None:
    edit(repo / "policies" / "returns" / "marketplaces" / "de.yaml", "free_return_shipping:", "free_shiping:")
    top = run_cli("validate", cwd=repo)
    inside = run_cli("validate", cwd=repo / "policies" / "returns")
    assert top.code == inside.code == 1
    assert "policies/returns/marketplaces/de.yaml:" in top.out
    # from a folder inside policies/ too: a path relative to it (it was absolute); SARIF's, with no
    # checkout, from the repository's top (its %SRCROOT%)
    here = repo / "policies" / "returns"
    named = [line.split(":")[0] for line in inside.out.splitlines() if "de.yaml:" in line]
    assert len(named) >= 1
    edited = (here / "marketplaces" / "de.yaml").resolve()
    for path in named:
        assert not os.path.isabs(path) and (here / path).resolve() == edited, path
    sarif = json.loads(run_cli("validate", "--format", "sarif", cwd=here).out)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert uris == {"policies/returns/marketplaces/de.yaml"}
    assert sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"


# (where the command runs, below the repository's top; the file named in text and JSON output)
FROM_SUBFOLDERS = [
    ("", "policies/returns/program.yaml"),
    ("policies", "returns/program.yaml"),
    ("policies/returns", "program.yaml"),
    ("policies/returns/decisions", "../program.yaml"),
    ("policies/returns/tests", "../program.yaml"),
]


def test_paths_from_a_subfolder_are_normalised(repo: Path) -> None:
    """Text and JSON name a file from the working folder, normalised as ruff, mypy and yamllint do:
    never `./returns/...` nor `../returns/...` inside returns/ (they were); GitHub annotations and
    SARIF name it from the checkout's top wherever the command runs."""
    edit(repo / "policies" / "returns" / "program.yaml", "title: Returns\n", "title: 5\n")
    git(repo, "init", "-q")
    for where, shown in FROM_SUBFOLDERS:
        here = repo / where
        text = run_cli("validate", cwd=here)
        assert text.code == 1 and text.out.startswith(f"{shown}:9:8: error[S001]: /title: expected string"), text
        given = os.path.relpath(repo / "policies" / "returns" / "program.yaml", here)  # (as a user types it)
        assert run_cli("validate", given, cwd=here).out == text.out.replace("of 6 files", "of 1 file")
        problems = json.loads(run_cli("validate", "--format", "json", cwd=here).out)["problems"]
        assert [p["file"] for p in problems] == [shown]
        github = run_cli("validate", "--format", "github", cwd=here).out
        assert github.startswith("::error file=policies/returns/program.yaml,line=9,col=8,title=S001::"), github


def test_positions_from_a_subfolder_are_normalised(repo: Path) -> None:
    """`test` (text, JSON), `decide --explain`, `history` and `fmt` name places from the working
    folder, normalised (they said `../../returns/tests/...` in tests/, and
    `../../returns/program.yaml` from decisions/); JUnit, with no checkout, from the repository's
    top (`test_junit_names_files_from_the_checkouts_top`)."""
    edit(repo / "policies" / "returns" / "program.yaml", "value: 30\n", "value: 31\n")
    here = repo / "policies" / "returns" / "tests"
    tested = run_cli("test", cwd=here)
    assert tested.code == 1 and tested.out.startswith("FAIL return_allowed.yaml:13: day 31 is too late in 2024\n")
    outcomes = json.loads(run_cli("test", "--format", "json", cwd=here).out)["tests"]
    assert {o["file"] for o in outcomes} == {"return_allowed.yaml"}
    junit = run_cli("test", "--junit", "-", cwd=here).out
    assert 'file="policies/returns/tests/return_allowed.yaml" line="13">' in junit, junit
    assert ">FAIL policies/returns/tests/return_allowed.yaml:13: day 31 is too late in 2024\n" in junit, junit
    args = ("decide", "returns.return_allowed", "-m", "us", "--at", "2024-06-01", "--input", "-", "--explain")
    explained = json.loads(run_cli(*args, cwd=here, stdin='{"days_since_delivery": 3}').out)
    assert [r["at"] for r in explained["rows"]] == ["../decisions/return_allowed.yaml:14"]
    assert explained["params"]["return_window_days"]["from"] == "../program.yaml:18"
    history = run_cli("history", "returns", "-m", "us", cwd=repo / "policies" / "returns").out
    assert history == (
        "2025-01-01  us   return_window_days: 31 -> 45  (program.yaml:23)\n  source: the returns policy, 2025 edition\n"
    )
    edit(repo / "policies" / "returns" / "program.yaml", "kind: program\nid: returns\n", "id: returns\nkind: program\n")
    formatted = run_cli("fmt", "--check", cwd=repo / "policies" / "returns" / "decisions")
    assert formatted.out == "would reformat ../program.yaml\n1 file would be reformatted, 4 already formatted\n"


def test_junit_names_files_from_the_checkouts_top(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """JUnit `file=` is read from the repository's top by GitHub's and GitLab's readers of the report
    (mikepenz/action-junit-report, dorny/test-reporter, GitLab's test reports): from a subfolder it
    said `return_allowed.yaml` (from the working folder), which they cannot find. As GitHub
    annotations and SARIF: GITHUB_WORKSPACE, else git's top (a monorepo's policies in a subfolder
    too); with no checkout, from the policy repository's top (`test_positions_from_a_subfolder_...`)."""
    edit(repo / "policies" / "returns" / "program.yaml", "value: 30\n", "value: 31\n")
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    git(repo, "init", "-q")
    named = 'file="policies/returns/tests/return_allowed.yaml" line="13">'
    for where, _ in FROM_SUBFOLDERS:
        assert named in run_cli("test", "--junit", "-", cwd=repo / where).out, where
    monorepo = repo.parent / "mono"
    (monorepo / "services").mkdir(parents=True)
    shutil.move(repo, monorepo / "services" / "policy")
    shutil.move(monorepo / "services" / "policy" / ".git", monorepo / ".git")
    here = monorepo / "services" / "policy" / "policies" / "returns"
    junit = run_cli("test", "--junit", "-", cwd=here).out
    assert 'file="services/policy/policies/returns/tests/return_allowed.yaml" line="13">' in junit, junit
    monkeypatch.setenv("GITHUB_WORKSPACE", str(monorepo / "services"))
    junit = run_cli("test", "--junit", "-", cwd=here).out
    assert 'file="policy/policies/returns/tests/return_allowed.yaml" line="13">' in junit, junit


# (where the command runs; the decision's file as a hint names it there)
HINT_FROM_SUBFOLDERS = [
    ("", "policies/returns/decisions/return_allowed.yaml"),
    ("policies", "returns/decisions/return_allowed.yaml"),
    ("policies/returns", "decisions/return_allowed.yaml"),
    ("policies/returns/decisions", "return_allowed.yaml"),
    ("policies/returns/tests", "../decisions/return_allowed.yaml"),
]


def test_paths_in_messages_and_hints_from_a_subfolder_are_normalised(repo: Path) -> None:
    """A hint made while loading names the decision's file as the load spelt it (`see the inputs
    of ... in ../../returns/decisions/return_allowed.yaml` in tests/): text, JSON and `test` name
    it from the working folder, normalised, as the problem's file; GitHub annotations from the
    checkout's top, as their `file=`."""
    edit(repo / "policies/returns/tests/return_allowed.yaml", "{days_since_delivery: 30}", "{days_since_delivery: -1}")
    git(repo, "init", "-q")
    for where, shown in HINT_FROM_SUBFOLDERS:
        here = repo / where
        hint = f"see the `inputs` of `return_allowed` in {shown}"
        text = run_cli("validate", cwd=here)
        assert text.code == 1 and f"\n  hint: {hint}\n" in text.out, text
        problems = json.loads(run_cli("validate", "--format", "json", cwd=here).out)["problems"]
        assert [p["hint"] for p in problems] == [hint]
        assert f"\n    hint: {hint}\n" in run_cli("test", cwd=here).out
        github = run_cli("validate", "--format", "github", cwd=here).out
        assert github.endswith(
            "%0Ahint: see the `inputs` of `return_allowed` in policies/returns/decisions/return_allowed.yaml\n"
        ), github


def test_a_worked_examples_place_in_a_build_problem_is_normalised(repo: Path) -> None:
    """G009 names the worked example by `file:line`, made with the page's facts while loading: it
    said `(../../returns/tests/return_allowed.yaml:19)` in tests/."""
    program = repo / "policies/returns/program.yaml"
    edit(program, "value: false\n    source: the returns policy, 2024 edition\n", "value: false\n    assumption: x\n")
    marked = '{% if ex.unconfirmed %} {% include "_site/unconfirmed.md.j2" %}{% endif %}'
    edit(
        repo / "policies/returns/pages/help.md.j2",
        "can still be returned.{% endtrans %}" + marked,
        "can still be returned.{% endtrans %}",
    )
    built = run_cli("build", "--check", "--format", "json", cwd=repo / "policies/returns/tests")
    messages = [p["message"] for p in json.loads(built.out)["problems"] if p["code"] == "G009"]
    assert messages and all("delivery is allowed` (return_allowed.yaml:19) rests on" in m for m in messages), built


def test_config_sets_output_folder_and_languages(repo: Path) -> None:
    edit(repo / "policyctl.toml", 'out = "generated_docs"', 'out = "site"')
    edit(repo / "policyctl.toml", 'languages = ["en", "de"]', 'languages = ["en"]')
    result = run_cli("build", cwd=repo / "policies")
    assert result.code == 0, result
    assert (repo / "site" / "returns" / "de" / "en" / "help.md").is_file()
    assert not (repo / "site" / "returns" / "de" / "de").exists()
    html = (repo / "site" / "returns" / "de" / "en" / "help.html").read_text(encoding="utf-8")
    assert "/de/help.html" not in html  # no switcher link to an unpublished language
    assert run_cli("build", "--check", cwd=repo).code == 0


def test_config_strict_fails_validate_on_warnings(repo: Path) -> None:
    """`strict = true` (the starter's) makes a warning fail validate; --no-strict overrides it."""
    edit(
        repo / "policies" / "returns" / "decisions" / "return_allowed.yaml",
        'when: "days_since_delivery > params.return_window_days"',
        'when: "false"',
    )  # D002, a warning
    warned = run_cli("validate", "--no-strict", cwd=repo)
    assert warned.code == 0 and "warning[" in warned.out, warned
    assert run_cli("validate", cwd=repo).code == 1


@pytest.mark.parametrize(
    "text, message",
    [
        ('outt = "x"\n', "unknown setting `outt`"),
        ("languages = 'en'\n", "`languages` must be a list of language tags"),
        ("strict = 1\n", "`strict` must be true or false"),
        ('out = "/abs"\n', "`out` must be a folder inside the repository"),
        ('out = "../elsewhere"\n', "`out` must be a folder inside the repository"),
        ('out = "."\n', "`out` must be a folder inside the repository"),
        ('out = "docs/../.."\n', "`out` must be a folder inside the repository"),
        ('policies = ".."\n', "`policies` must be a folder inside the repository"),
        ('out = "policies"\n', "`out` must not be the policies folder"),
        ("out = \n", "policyctl.toml: "),
        ('out = "a\\u0000b"\n', "`out` holds a control or format character"),  # (a traceback)
        ('out = "\\u202egnp.x"\n', "`out` holds a control or format character"),  # (shown reversed)
        ('policies = "p\\nx"\n', "`policies` holds a control or format character"),
        ('out = ".git/refs/tags"\n', "`out` must be a folder inside the repository"),
    ],
)
def test_config_mistakes_are_usage_errors(repo: Path, text: str, message: str) -> None:
    (repo / "policyctl.toml").write_text(text, encoding="utf-8")
    result = run_cli("validate", cwd=repo)
    assert result.code == 2 and message in result.err, result
    assert "Traceback" not in result.err


@pytest.mark.parametrize("target", ["outside", "/"])
def test_an_output_folder_linked_outside_is_neither_built_nor_checked(repo: Path, tmp_path: Path, target: str) -> None:
    """generated_docs arrives with the pull request: committed as a link to an empty folder
    elsewhere, `build` wrote the pages there; to `/`, `build --check` walked the whole machine and
    ended in a traceback (`/proc`). A folder named with `--out` is the caller's choice."""
    elsewhere = tmp_path / "outside"
    elsewhere.mkdir()
    shutil.rmtree(repo / "generated_docs")
    (repo / "generated_docs").symlink_to(elsewhere if target == "outside" else Path(target))
    for args in (("build",), ("build", "--check")):
        result = run_cli(*args, cwd=repo)
        assert result.code == 2, (args, result)
        assert result.err.startswith(
            "policyctl: error: the output folder generated_docs leads outside the repository through a symbolic link\n"
        ), (args, result)
    assert list(elsewhere.iterdir()) == []
    assert run_cli("build", "--out", str(elsewhere), cwd=repo).code == 0 and (elsewhere / "index.html").is_file()


def test_a_policies_folder_linked_outside_is_not_read(repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(repo / "policies", elsewhere)
    (repo / "policies").symlink_to(elsewhere)
    for args in (("validate",), ("test",), ("build", "--check")):
        result = run_cli(*args, cwd=repo)
        assert result.code == 2, (args, result)
        assert "the policies folder policies leads outside the repository through a symbolic link" in result.err, result


@pytest.mark.parametrize(
    "languages, message, hint",
    [
        (
            '["en", "ge"]',
            "`languages` lists `ge`, which no marketplace publishes",
            "did you mean `de`? The marketplaces",
        ),
        ('["en", "DE"]', "`languages` lists `DE`, which no marketplace publishes", "did you mean `de`?"),
        (
            '["zh", "de"]',
            "`languages` lists `zh`, which no marketplace publishes",
            "list languages the marketplaces publish: `de`, `en` (a new",
        ),
        ("[]", "`languages` lists no language", 'e.g. languages = ["en", "de"], or leave it out'),
    ],
)
def test_a_language_no_marketplace_publishes_is_a_usage_error(
    repo: Path, languages: str, message: str, hint: str
) -> None:
    """A typo in `languages` (`ge` for `de`) published nothing in German: validate was clean, and
    build exited 0 having removed every German page. Every command refuses it now, and the pages stay."""
    edit(repo / "policyctl.toml", 'languages = ["en", "de"]', f"languages = {languages}")
    german = repo / "generated_docs" / "returns" / "de" / "de" / "help.md"
    for args in (("validate",), ("build",), ("i18n", "check"), ("test",)):
        result = run_cli(*args, cwd=repo)
        assert result.code == 2, (args, result)
        assert result.err.startswith(f"policyctl: error: policyctl.toml: {message}\n  hint: {hint}"), (args, result)
    assert german.is_file()


def test_the_languages_are_held_to_marketplaces_yaml_as_it_is_now(repo: Path) -> None:
    """What marketplaces.yaml publishes is kept in the process by its bytes (every command asks it
    before loading): an edit of its `locales` is seen by the next command, and undoing it too."""
    markets = repo / "policies/marketplaces.yaml"
    assert run_cli("validate", cwd=repo).code == 0
    edit(markets, "locales: [de, en]", "locales: [en]")
    result = run_cli("validate", cwd=repo)
    assert result.code == 2 and "`languages` lists `de`, which no marketplace publishes" in result.err, result
    edit(markets, "locales: [en]", "locales: [de, en]")
    assert run_cli("validate", cwd=repo).code == 0


@pytest.mark.parametrize(
    ("typo", "hint"),
    [
        ("de_DE", "did you mean `de-DE`?"),  # gettext's and POSIX's spelling
        ("de-de", "did you mean `de-DE`?"),
        ("DE", "did you mean `de`?"),
        ("zh-hans", "did you mean `zh-Hans`?"),
        ("zh_Hans", "did you mean `zh-Hans`?"),
        ("de_XX_1", "use a BCP 47 tag such as `en`, `de`, `it` or `zh-Hans`"),
    ],
)
def test_a_marketplace_locale_spelled_wrong_is_said_where_it_is_written(repo: Path, typo: str, hint: str) -> None:
    """`locales: [de_DE, en]` with policyctl.toml's `languages = ["en", "de"]` stopped every command at
    policyctl.toml (exit 2) with "did you mean `de_DE`?", the typo itself, and the line of
    marketplaces.yaml was never named; its own problem's hint was the schema's regular expression."""
    markets = repo / "policies/marketplaces.yaml"
    edit(markets, "locales: [de, en]", f"locales: [{typo}, en]")
    line = next(
        i for i, text in enumerate(markets.read_text(encoding="utf-8").splitlines(), 1) if f"locales: [{typo}," in text
    )
    for args in (("validate",), ("build",)):
        result = run_cli(*args, cwd=repo)
        assert result.code == 1, (args, result)
        assert (
            f"policies/marketplaces.yaml:{line}:15: error[S001]: /marketplaces/de/locales/0: "
            f'`"{typo}"` is not a locale id\n  hint: {hint}\n'
        ) in result.out + result.err, (args, result)


def test_the_guide_is_printed_and_every_pointer_to_it_names_a_section_it_has() -> None:
    """The starter's policyctl.toml pointed to a README section that does not exist ("Configuration"),
    and the authors' guide was not installed: nothing told an installed user where to find it."""
    guide = (ROOT / "docs" / "writing-policies.md").read_text(encoding="utf-8")
    assert run_cli("guide").out == guide
    assert run_cli("guide", "--path").out.strip().endswith("writing-policies.md")
    assert "`policyctl guide`" in run_cli("--help").out
    headings = {line.lstrip("#").strip() for line in guide.splitlines() if line.startswith("#")}
    headings |= set(re.findall(r"^\*\*([^*:.]+)", guide, re.M))  # a paragraph's bold lead-in ("**What a value is: ...")
    starter = ROOT / "engine" / "starter"
    pointers = {
        path: (path.read_text(encoding="utf-8"))
        for path in (starter / "policyctl.toml", starter / "README.md", ROOT / "policies" / "_site" / "README.md")
    }
    for path, text in pointers.items():
        assert "policyctl guide" in text and "docs/writing-policies.md" not in text, path
        for section in re.findall(r"`policyctl guide`[,:] \"([^\"]+)\"", text):
            assert section in headings, (path, section)
    assert "settings" in guide and 'languages = ["en", "de"]' in guide  # (what the starter's policyctl.toml sets)


def test_a_repository_without_a_layout_uses_the_packaged_one(repo: Path) -> None:
    """The starter has no policies/_site: its pages use the packaged layout, whose catalogs
    `i18n extract`/`update` leave alone; a copy in policies/_site overrides it. The copy is made as
    README's "Customising the pages" says, which the refusal's hint repeats: it said `python -c
    'import engine.packaged ...'`, which fails where policyctl is installed with pipx (its Python is
    not the user's), and the hint only pointed to that README section."""
    from engine import packaged

    assert not (repo / "policies" / "_site").exists()
    refused = run_cli("i18n", "update", "_site", cwd=repo)
    assert refused.code == 2 and "default page layout" in refused.err, refused
    assert 'copy it: cp -r "$(policyctl guide --layout-path)" policies/_site' in refused.err, refused
    assert run_cli("i18n", "update", cwd=repo).code == 0
    assert not (repo / "policies" / "_site").exists()
    layout = run_cli("guide", "--layout-path")
    assert layout.code == 0 and layout.out == packaged.default_site_dir() + "\n", layout
    assert 'cp -r "$(policyctl guide --layout-path)" policies/_site\n' in (ROOT / "README.md").read_text("utf-8")
    shutil.copytree(layout.out.strip(), repo / "policies" / "_site")  # (`cp -r`, as README says)
    both = run_cli("guide", "--path", "--layout-path")
    assert both.code == 2 and "--path and --layout-path each print one path" in both.err, both
    edit(repo / "policies" / "_site" / "layout.html.j2", "<body", '<body data-theme="ours"')
    assert run_cli("build", "--check", cwd=repo).code == 1
    assert run_cli("build", cwd=repo).code == 0
    assert 'data-theme="ours"' in (repo / "generated_docs" / "returns" / "us" / "en" / "help.html").read_text("utf-8")


def test_test_k_matching_nothing_is_a_usage_error(repo: Path) -> None:
    result = run_cli("test", "-k", "typo", cwd=repo)
    assert result.code == 2 and "no test case matches `-k typo`" in result.err, result
    assert run_cli("test", "-k", "FREE in", cwd=repo).out.strip().endswith("1 passed, 0 failed")


def test_schema_lists_every_kind() -> None:
    listed = [line.split("\t")[0] for line in run_cli("schema").out.splitlines()]
    assert listed == ["marketplaces", "program", "overlay", "decision", "tests", "pages", "common"]


def test_schemas_have_no_id_and_refs_resolve() -> None:
    """No `$id` (a made-up host would be fetched; a relative one, `program.schema.json`, some tools
    take as the base as it is, against the working folder: test_editor_schemas), so
    `$ref: common.schema.json#...` resolves beside the file, in editors and in the engine's registry
    (by file name) alike."""
    from engine.schema import check

    for path in (ROOT / "schemas").glob("*.schema.json"):
        assert "$id" not in json.loads(path.read_text(encoding="utf-8")), path.name
    errors = list(check.validator("program").iter_errors({"id": "Not An Id", "names": {"en": "x"}, "parameters": {}}))
    assert any("does not match" in e.message for e in errors)  # the id pattern comes from common.schema.json


def test_python_dash_m_engine_runs_the_cli(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "engine", "--version"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("policyctl "), result


def test_the_repository_cli_py_is_thin() -> None:
    text = (ROOT / "cli.py").read_text(encoding="utf-8")
    assert "import click" not in text and "from engine.cli import" in text


# -- installed, as users install it ------------------------------------------------------------


def _these_packages() -> list[str]:
    """The folders this environment imports its packages from (its site-packages, and the base
    interpreter's when it sees them). The install tests' environments reach their dependencies
    there: a venv's "system site packages" are the base interpreter's, which, in a venv made on a
    fresh machine, hold none of them (the tests once passed only where the base had them all)."""
    return [p for p in sys.path if p.endswith(("site-packages", "dist-packages")) and os.path.isdir(p)]


def _but_policyctl(folder: Path) -> str:
    """A folder that shows `_these_packages()` but policyctl (each package linked), for PYTHONPATH:
    its folders come before a venv's own, so this environment's policyctl, if it is installed there,
    would run in place of the one the test installed."""
    folder.mkdir()
    for place in _these_packages():
        for name in sorted(os.listdir(place)):
            ours = name == "engine" or name.lower().startswith(("policyctl-", "__editable__"))
            if ours or name.endswith(".pth") or name == "__pycache__" or (folder / name).exists():
                continue
            (folder / name).symlink_to(os.path.join(place, name))
    return str(folder)


def _pip(python: Path, *args: str) -> None:
    subprocess.run(
        [str(python), "-m", "pip", "-q", "--disable-pip-version-check", *args],
        check=True,
        capture_output=True,
        text=True,
    )


@pytest.mark.slow
def test_wheel_round_trip(tmp_path: Path) -> None:
    """The wheel, installed into a fresh venv, carries its schemas, layout and starter: `init`
    then validate/test/build --check pass, from outside any clone."""
    src = tmp_path / "src"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".git", "generated_docs", "benchmarks", "tests", "build", "*.egg-info", "__pycache__"
        ),
    )
    # installed into a venv without a pip of its own (this pip installs into it) that takes the
    # dependencies from this environment: the wheel's contents and the installed tool are the point
    # here; .ci/wheel-check builds it in pip's own isolated build environment and installs it with
    # its dependencies into a bare venv, as users do. Here it is built with this environment's
    # setuptools (the `test` extra's), not in a throwaway environment pip would make and fill first.
    _pip(Path(sys.executable), "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src))
    wheel = next((tmp_path / "dist").glob("policyctl-*.whl"))
    venv.create(tmp_path / "venv", with_pip=False)
    python = tmp_path / "venv" / "bin" / "python"
    # this environment's packages after the venv's own (a .pth line adds a folder, and no .pth file
    # in it is read: this environment's editable policyctl stays out of sight)
    (own,) = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    Path(own, "these-packages.pth").write_text("\n".join(_these_packages()) + "\n", encoding="utf-8")
    # even where one is installed
    # (--no-warn-conflicts: pip would otherwise read and parse the requirements of every package it
    # sees, this whole environment's, to warn about conflicts among them: ~1 CPU-s of nothing here)
    _pip(
        Path(sys.executable),
        *("--python", str(python), "install", "--no-deps", "--force-reinstall", "--no-warn-conflicts", str(wheel)),
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"POLICYCTL_CACHE": str(tmp_path / "cache")}

    def policyctl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(tmp_path / "venv" / "bin" / "policyctl"), *args], cwd=cwd, env=env, capture_output=True, text=True
        )

    where = policyctl("init", "new", cwd=tmp_path)
    assert where.returncode == 0, where
    import zipfile

    with zipfile.ZipFile(wheel) as z:  # the engine package only: no top-level `cli` module
        assert {name.split("/")[0] for name in z.namelist()} == {"engine", wheel.name.split("-py3")[0] + ".dist-info"}
        assert "engine/_data/site/locales/de.po" in z.namelist()
        assert "engine/_data/docs/writing-policies.md" in z.namelist()  # (`policyctl guide`)
    # from the top, and from a folder inside (validate only there: finding the repository from any
    # folder is the same code installed or not, and test_init_writes_a_repository_that_passes_at_once
    # runs every command from both; .ci/wheel-check does so with the installed wheel)
    # (`init` above ran the installed `policyctl` script; the other commands run in one process of
    # the venv's Python, each from empty memos, with the engine it installed: a process each paid
    # Python's start and the engine's imports six times, ~0.7 of this test's ~5 CPU-s)
    new = tmp_path / "new"
    checks: list[tuple[str | Path, ...]] = [
        (new, "validate"),
        (new, "test"),
        (new, "build", "--check"),
        (new / "policies/returns", "validate"),
    ]
    *checked, listed_run, guide_run = commands_in_one_process(
        tmp_path,
        (*checks, ("schema",), ("guide", "--path")),
        python=str(python),
        engine_from=None,
        env=env,
        timeout=300,
    )
    for args, result in zip(checks, checked):
        assert result.returncode == 0, (args, result)
    listed = listed_run.stdout  # (the installed engine's schemas, not this clone's)
    assert len(listed.splitlines()) == 7 and "site-packages" in listed
    guide = guide_run.stdout.strip()
    assert "site-packages" in guide and Path(guide).read_bytes() == (ROOT / "docs" / "writing-policies.md").read_bytes()


def _pre_commit(tmp_path: Path) -> list[str]:
    """A command running pre-commit: this environment's, else one installed from PyPI into a venv."""
    probe = subprocess.run([sys.executable, "-m", "pre_commit", "--version"], capture_output=True, text=True)
    if probe.returncode == 0:
        return [sys.executable, "-m", "pre_commit"]
    venv.create(tmp_path / "pc", with_pip=True)
    python = tmp_path / "pc" / "bin" / "python"
    try:
        _pip(python, "install", "pre-commit")
    except subprocess.CalledProcessError as e:
        pytest.skip(f"pre-commit cannot be installed: {e.stderr.strip()[-300:]}")
    return [str(python), "-m", "pre_commit"]


@pytest.mark.slow
def test_pre_commit_hooks_run_on_a_new_repository(tmp_path: Path) -> None:
    """The hooks of .pre-commit-hooks.yaml, installed by the real pre-commit from a git copy of
    this clone (language: python), pass on a repository made by `init`, and catch a bad file. The
    repository names them as users do (`repo:` and `rev:` in its config), so pre-commit installs
    them once into its store and the second run reuses them (`try-repo` installs them on every run)."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    pre_commit = _pre_commit(tmp_path)
    hooks = tmp_path / "policyctl"
    shutil.copytree(
        ROOT,
        hooks,
        ignore=shutil.ignore_patterns(
            ".git", "generated_docs", "benchmarks", "tests", "build", "*.egg-info", "__pycache__"
        ),
    )
    git(hooks, "init", "-q")
    git(hooks, "add", "-A")
    git(hooks, "commit", "-q", "-m", "hooks")
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hooks, check=True, capture_output=True, text=True)
    new = tmp_path / "new"
    assert run_cli("init", str(new)).code == 0
    config = new / "hooks.pre-commit-config.yaml"
    ids = ("policyctl-validate", "policyctl-fmt", "policyctl-test", "policyctl-build")
    config.write_text(
        json.dumps({"repos": [{"repo": str(hooks), "rev": rev.stdout.strip(), "hooks": [{"id": i} for i in ids]}]}),
        encoding="utf-8",
    )  # JSON is YAML
    git(new, "init", "-q")
    git(new, "add", "-A")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "POLICYCTL_CACHE": str(tmp_path / "cache"),
        # The hook's environment sees this one's packages, so pip installs policyctl from the copy
        # but none of its dependencies: the point here is the hooks, not resolving dependencies; a
        # real install with dependencies, as users do it, is .ci/wheel-check's (the wheel into a
        # fresh venv). (Not virtualenv's --system-site-packages: those are the base interpreter's.)
        "PYTHONPATH": _but_policyctl(tmp_path / "these-packages"),
        # ... and builds it with the setuptools it sees there (the `test` extra's), not in a throwaway
        # build environment. (pip reads PIP_NO_BUILD_ISOLATION as the value of its `build_isolation`
        # setting: "0" turns the isolation off.)
        "PIP_NO_BUILD_ISOLATION": "0",
        # ... and does not check every package it sees for conflicts among their requirements (pip's
        # `--no-warn-conflicts`, read inverted in the same way): parsing all their requirements was
        # two thirds of that pip's time (py-spy), for a warning about this environment, not the hook.
        "PIP_NO_WARN_CONFLICTS": "0",
        "PRE_COMMIT_COLOR": "never",
    }

    def run_hooks(*only: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*pre_commit, "run", *only, "--all-files", "--config", config.name],
            cwd=new,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    passed = run_hooks()
    if passed.returncode != 0 and "Could not find a version" in passed.stdout + passed.stderr:
        pytest.skip("pre-commit cannot install policyctl's dependencies here (no package index)")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    # the hooks ran the policyctl pre-commit installed from the copy, not another one on PATH
    assert list((tmp_path / "pre-commit-home").glob("*/py_env-*/bin/policyctl")), passed.stdout
    for hook in ("policyctl validate", "policyctl fmt --check", "policyctl test", "policyctl build --check"):
        assert any(line.startswith(hook) and line.endswith("Passed") for line in passed.stdout.splitlines()), hook
    edit(new / "policies" / "returns" / "program.yaml", "value: 30", "value: thirty")
    git(new, "add", "-A")
    # (the validate hook alone: the three others would start three more processes to fail as well)
    failed = run_hooks("policyctl-validate")
    assert failed.returncode == 1 and "error[P003]" in failed.stdout, failed.stdout


# Standard-library modules that a supported Python no longer has: 3.15 removed the regex parser's
# old names (the engine's pattern check imported them, so every command failed there at start).
REMOVED_BY_LATER_PYTHONS = ("sre_constants", "sre_parse", "sre_compile")


@pytest.mark.skipif(
    sys.version_info < (3, 11), reason="Python 3.10 has only those names, and the engine uses them there"
)
def test_the_tool_runs_without_what_later_pythons_removed(tmp_path: Path) -> None:
    """On this Python, with those modules made unimportable, as they are on the newest ones (CI
    also runs the whole suite on 3.14 and 3.15)."""
    script = (
        "import runpy, sys\n"
        f"for name in {REMOVED_BY_LATER_PYTHONS!r}:\n"
        "    sys.modules[name] = None  # import fails, as where the module is gone\n"
        "sys.argv = ['policyctl', *sys.argv[1:]]\n"
        "runpy.run_module('engine', run_name='__main__')\n"
    )
    for args in (("validate", str(ROOT / "policies")), ("init", str(tmp_path / "new"))):
        done = subprocess.run(
            [sys.executable, "-c", script, *args],
            capture_output=True,
            text=True,
            env={**os.environ, "POLICYCTL_CACHE": str(tmp_path / "cache")},
        )
        assert done.returncode == 0, done.stderr[-2000:]


def test_a_language_the_default_layout_lacks_is_translated_in_a_copy_of_it(repo: Path) -> None:
    """The authors' guide adds Japanese: validate said to run `i18n update` for a catalog inside the
    installed package, which `i18n update` never wrote (the default layout is read only), so the
    same error came back for ever. Now the error names the repository's `_site/locales/ja.po`, and
    `i18n update` copies the layout there (once: a repository's `_site` is its layout) and writes it."""
    from engine import packaged

    edit(repo / "policies" / "marketplaces.yaml", "    locales: [en]\n", "    locales: [en, ja]\n")
    edit(repo / "policyctl.toml", 'languages = ["en", "de"]', 'languages = ["en", "de", "ja"]')
    site = repo / "policies" / "_site"
    assert not site.exists()
    before = run_cli("validate", cwd=repo)
    assert before.code == 1
    assert (
        "policies/_site/locales/ja.po:1:1: error[G002]: ja: policyctl's default page layout has no catalog"
        in before.out
    )
    assert "hint: run `policyctl i18n update`: it copies the layout into policies/_site" in before.out
    assert packaged.default_site_dir() not in before.out
    updated = run_cli("i18n", "update", cwd=repo)
    assert updated.code == 0 and "policies/_site: policyctl's default page layout, copied here" in updated.out, updated
    assert (site / "locales" / "ja.po").is_file()
    default = Path(packaged.default_site_dir())
    for path in default.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.name != "ja.po":
            assert (site / path.relative_to(default)).read_bytes() == path.read_bytes(), path
    after = run_cli("validate", cwd=repo)
    assert after.code == 1 and "policies/_site/locales/ja.po:" in after.out and "no catalog" not in after.out
    again = run_cli("i18n", "update", cwd=repo)  # its own layout now: not copied again
    assert again.code == 0 and "copied here" not in again.out


def test_a_worked_example_that_fails_is_not_published(repo: Path) -> None:
    """Pages state an example's `expect` as its outcome: a wrong one ("can no longer be returned"
    on a page that allows 45 days) was published while only `policyctl test` failed."""
    tests = repo / "policies" / "returns" / "tests" / "return_allowed.yaml"
    text = tests.read_text(encoding="utf-8")
    case = next(block for block in text.split("  - name: ")[1:] if "example: true" in block)
    name = case.splitlines()[0]
    wrong = (
        case.replace("allowed: true", "allowed: false", 1)
        if "allowed: true" in case
        else case.replace("allowed: false", "allowed: true", 1)
    )
    assert wrong != case
    tests.write_text(text.replace(case, wrong, 1), encoding="utf-8")
    pages = {p: p.read_bytes() for p in (repo / "generated_docs").rglob("*") if p.is_file()}
    line = text.splitlines().index(f"  - name: {name}") + 1
    for args, said in ((("build",), "nothing was written to"), (("build", "--check"), "was not compared")):
        run = run_cli(*args, cwd=repo)
        assert run.code == 1 and said in run.err, (args, run)
        assert (
            f"return_allowed.yaml:{line}:5: error[T001]: the worked example `{name}` would publish a wrong outcome"
            in run.err
        )
    assert {p: p.read_bytes() for p in (repo / "generated_docs").rglob("*") if p.is_file()} == pages
