"""What a CI integration meets: annotations that land on the repository's files, `-` for standard
output, paths that are a repository's top or inside one, and one JSON shape with `ok`."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from support import edit, git, run_cli

PROGRAM = "pol/policies/returns/program.yaml"  # from the top of the checkout (the monorepo below)


@pytest.fixture
def mono(init_starter: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git checkout (`.git` marks its top) holding the starter repository in `pol/`, with one
    schema error in its program.yaml (line 19)."""
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    top = tmp_path / "mono"
    shutil.copytree(init_starter, top / "pol")
    (top / ".git").mkdir()
    edit(top / PROGRAM, "    source: the returns policy, 2024 edition\n", "    sourc: x\n")
    return top


def _github_files(out: str) -> set[str]:
    return {line.split("file=")[1].split(",")[0] for line in out.splitlines()}


def _sarif(out: str) -> tuple[list[dict[str, str]], dict[str, object]]:
    [run] = json.loads(out)["runs"]
    locations = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    return locations, run.get("originalUriBaseIds", {})


# where the command runs (from the checkout's top), and GITHUB_WORKSPACE (None: found by `.git`)
PLACES = [
    ("pol/policies/returns", None),  # a program's folder: paths were `../returns/program.yaml`
    ("pol", None),  # the policy repository in a subfolder: paths were `policies/returns/...`
    ("pol/policies", "."),  # on a runner: GITHUB_WORKSPACE is the checkout's top
]


@pytest.mark.parametrize(("cwd", "workspace"), PLACES)
def test_annotations_name_files_from_the_checkouts_top(
    mono: Path, monkeypatch: pytest.MonkeyPatch, cwd: str, workspace: str | None
) -> None:
    if workspace is not None:
        monkeypatch.setenv("GITHUB_WORKSPACE", str(mono / workspace))
    github = run_cli("validate", "--format", "github", cwd=mono / cwd)
    assert github.code == 1 and _github_files(github.out) == {PROGRAM}, github
    sarif = run_cli("validate", "--format", "sarif", cwd=mono / cwd)
    locations, bases = _sarif(sarif.out)
    assert {json.dumps(loc, sort_keys=True) for loc in locations} == {
        json.dumps({"uri": PROGRAM, "uriBaseId": "%SRCROOT%"}, sort_keys=True)
    }
    assert bases == {"%SRCROOT%": {"uri": mono.resolve().as_uri() + "/"}}
    # text and JSON name files from the working folder, as before
    text = run_cli("validate", cwd=mono / cwd)
    named = {os.path.normpath(mono / cwd / line.split(":")[0]) for line in text.out.splitlines() if ":19:" in line}
    assert named == {os.path.normpath(mono / PROGRAM)}, text


def test_a_file_outside_the_checkout_is_named_absolutely(
    mono: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GITHUB_WORKSPACE elsewhere: an absolute path for GitHub (whose runner makes it relative to
    its workspace), and an absolute `file://` URI, without `uriBaseId`, in SARIF (it was the bare
    path, which a SARIF reader takes as relative)."""
    elsewhere = tmp_path / "workspace"
    elsewhere.mkdir()
    monkeypatch.setenv("GITHUB_WORKSPACE", str(elsewhere))
    program = (mono / PROGRAM).resolve()
    github = run_cli("validate", "--format", "github", cwd=mono / "pol")
    assert _github_files(github.out) == {str(program)}, github
    locations, _ = _sarif(run_cli("validate", "--format", "sarif", cwd=mono / "pol").out)
    for loc in locations:
        assert set(loc) == {"uri"} and urlparse(loc["uri"]).scheme == "file", loc
        assert unquote(urlparse(loc["uri"]).path) == str(program)


@pytest.mark.parametrize("cwd", ["pol/policies", "pol/policies/returns", "pol", "."])
def test_without_a_checkout_files_are_named_from_the_policy_repositorys_top(mono: Path, cwd: str) -> None:
    """No `.git` and no GITHUB_WORKSPACE: annotations and SARIF name files from the policy
    repository's top, wherever the command runs (from policies/returns GitHub got
    `../returns/program.yaml`, from the top of the folder `pol/policies/...`)."""
    shutil.rmtree(mono / ".git")
    args = () if cwd.startswith("pol") else ("--root", "pol")
    github = run_cli("validate", "--format", "github", *args, cwd=mono / cwd)
    assert _github_files(github.out) == {"policies/returns/program.yaml"}, github
    locations, bases = _sarif(run_cli("validate", "--format", "sarif", *args, cwd=mono / cwd).out)
    assert {loc["uri"] for loc in locations} == {"policies/returns/program.yaml"}
    assert bases == {"%SRCROOT%": {"uri": (mono / "pol").resolve().as_uri() + "/"}}


@pytest.mark.parametrize("elsewhere", ["a folder", "another checkout"])
@pytest.mark.parametrize("given", [("--root", "pol"), ("pol/policies",), (PROGRAM,)])
def test_run_from_outside_the_checkout_files_are_named_from_its_top(
    mono: Path, tmp_path: Path, elsewhere: str, given: tuple[str, ...]
) -> None:
    """The checkout is the one holding the files checked, not the working folder's: run from
    beside it, annotations named the files by their absolute path (from another checkout too),
    which GitHub cannot place."""
    here = tmp_path / "here"
    (here / ".git" if elsewhere == "another checkout" else here).mkdir(parents=True)
    args = tuple(a if a.startswith("-") else str(mono / a) for a in given)
    github = run_cli("validate", "--format", "github", *args, cwd=here)
    assert github.code == 1 and _github_files(github.out) == {PROGRAM}, github
    locations, bases = _sarif(run_cli("validate", "--format", "sarif", *args, cwd=here).out)
    assert {loc["uri"] for loc in locations} == {PROGRAM}
    assert bases == {"%SRCROOT%": {"uri": mono.resolve().as_uri() + "/"}}


@pytest.mark.parametrize("order", [("one", "two"), ("two", "one")])
def test_files_of_several_checkouts_are_each_named_from_their_own(
    mono: Path, tmp_path: Path, order: tuple[str, str]
) -> None:
    """`validate one/pol/policies two/pol/policies`: everything was named from the first path's
    checkout, the other checkout's files by their absolute paths (and the answer changed with the
    order of the paths). Each file is named from its own checkout now, as it is when checked
    alone; SARIF has a run per checkout, each with its own %SRCROOT%."""
    tops = {"one": tmp_path / "one", "two": tmp_path / "two"}
    for top in tops.values():
        shutil.copytree(mono, top)
    here = tmp_path / "here"
    here.mkdir()
    args = [str(tops[name] / "pol" / "policies") for name in order]
    github = run_cli("validate", "--format", "github", *args, cwd=here)
    assert github.code == 1 and github.out.count(f"file={PROGRAM},line=19,") == 2, github
    runs = json.loads(run_cli("validate", "--format", "sarif", *args, cwd=here).out)["runs"]
    got = [
        (
            run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
            [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]],
        )
        for run in runs
    ]
    assert got == [  # (in the problems' order, whatever the paths' order)
        (tops[name].resolve().as_uri() + "/", [{"uri": PROGRAM, "uriBaseId": "%SRCROOT%"}]) for name in ("one", "two")
    ]


@pytest.mark.parametrize(
    ("where", "named"),
    [
        ("mono/pol/policies/returns", "pol/policies/returns/tests/return_allowed.yaml"),  # from the checkout's top
        # another checkout, or the bundle's own checkout above (not inside) its policy repository: as
        # the bundle names it, from the policy repository's top (it was the builder's absolute path)
        ("other", "policies/returns/tests/return_allowed.yaml"),
        ("mono", "policies/returns/tests/return_allowed.yaml"),
    ],
)
def test_a_bundles_junit_names_its_files_from_their_checkout_not_the_working_folders(
    mono: Path, tmp_path: Path, where: str, named: str
) -> None:
    """`test --bundle --junit` named every file from the working folder's checkout: a bundle made
    from a checkout by an absolute path, tested from another checkout, gave absolute paths. A
    bundle names no folder of the machine it was made on: where the working folder is in the
    repository the bundle was made from, its files are named from their checkout's top."""
    edit(mono / PROGRAM, "    sourc: x\n", "    source: x\n")
    bundle = tmp_path / "pol.bundle"
    made = run_cli("bundle", "--root", str(mono / "pol"), "--out", str(bundle), cwd=tmp_path)
    assert made.code == 0, made
    (tmp_path / "other" / ".git").mkdir(parents=True)
    run = run_cli("test", "--bundle", str(bundle), "--junit", "-", cwd=tmp_path / where)
    files = set(re.findall(r' file="([^"]+)"', run.out))
    assert files == {named}, run.out


@pytest.mark.parametrize("where", ["pol/policies/returns/tests", "pol", "outside"])
def test_junit_texts_name_files_as_its_file_attributes(mono: Path, tmp_path: Path, where: str) -> None:
    """A failure's and an error's text named files from the working folder (`FAIL
    tests/return_allowed.yaml:13` beside `file="pol/policies/returns/tests/..."`): both are
    from the checkout's top now."""
    edit(mono / PROGRAM, "    sourc: x\n", "    source: x\n")
    edit(mono / PROGRAM, "value: 30\n", "value: 31\n")  # (a case fails)
    broken = mono / "pol/policies/returns/tests/broken.yaml"
    broken.write_text("kind: tests\ncases: 7\n", encoding="utf-8")  # (its cases do not run)
    here = tmp_path if where == "outside" else mono / where
    run = run_cli("test", "--junit", "-", *(("--root", str(mono / "pol")) if where == "outside" else ()), cwd=here)
    import xml.etree.ElementTree as ET

    report = ET.fromstring(run.out[run.out.index("<?xml") : run.out.index("</testsuites>") + 13])
    texts = {
        (case.get("file"), case.get("line"), bad.tag, (bad.text or "").split(": ")[0])
        for case in report.iter("testcase")
        for bad in case
    }
    tests = "pol/policies/returns/tests"
    assert texts == {
        (f"{tests}/return_allowed.yaml", "13", "failure", f"FAIL {tests}/return_allowed.yaml:13"),
        (f"{tests}/broken.yaml", None, "error", f"{tests}/broken.yaml"),
    }, run.out
    said = [bad.get("message", "") + (bad.text or "") for case in report.iter("testcase") for bad in case]
    assert {f for text in said for f in re.findall(r"[\w/.]+\.yaml", text)} == {
        f"{tests}/return_allowed.yaml",
        f"{tests}/broken.yaml",
    }


# --- `-`: standard output where the output is one stream; refused where it cannot be ---


def test_junit_dash_is_standard_output(init_repo: Path) -> None:
    run = run_cli("test", "--junit", "-", cwd=init_repo)
    assert run.code == 0, run
    assert run.out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="policyctl" tests="5"')
    assert run.err.endswith("5 passed, 0 failed\n")  # the report, beside the XML
    assert not (init_repo / "-").exists()


def test_bundle_dash_is_standard_output(init_repo: Path, tmp_path: Path) -> None:
    run = run_cli("bundle", "--out", "-", cwd=init_repo)
    assert run.code == 0, run
    assert run.err.startswith("wrote the bundle to standard output: ")
    assert not (init_repo / "-").exists()
    saved = tmp_path / "piped.bundle"
    saved.write_text(run.out, encoding="utf-8")
    verified = run_cli("bundle", "--verify", str(saved))
    assert verified.code == 0 and "programs: returns;" in verified.out, verified


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ("test", "--junit", "-", "--format", "json"),
            "--junit - and --format json would both write to standard output",
        ),
        (
            ("test", "--junit", "-", "--format", "github"),
            "--junit - and --format github would both write to standard output",
        ),
        (("build", "--out", "-"), "--out - is standard output: a site is a folder of files"),
        (("build", "--check", "--out", "-"), "--out - is standard output: a site is a folder of files"),
        (
            ("decide", "returns.return_allowed", "-m", "us", "--input", "in.jsonl", "--output", "-"),
            "--output - is standard output: a table's answers go into a file named .parquet or .jsonl",
        ),
    ],
)
def test_dash_is_refused_where_there_is_no_one_stream(init_repo: Path, args: tuple[str, ...], said: str) -> None:
    (init_repo / "in.jsonl").write_text('{"days_since_delivery": 3}\n', encoding="utf-8")
    run = run_cli(*args, cwd=init_repo)
    assert run.code == 2 and f"policyctl: error: {said}\n  hint: " in run.err, run
    assert not (init_repo / "-").exists()


# --- paths: a repository's top is the whole repository; a folder inside one is found as --root is ---


def test_diff_from_a_program_folder_compares_the_policies_holding_it(init_repo: Path) -> None:
    git(init_repo, "init", "-q")
    git(init_repo, "add", "-A")
    git(init_repo, "commit", "-q", "-m", "start")
    here = init_repo / "policies" / "returns"
    assert run_cli("diff", "HEAD", ".", "--exit-code", cwd=here).code == 0  # it read `.` as policies: 4 errors
    edit(here / "program.yaml", "    value: 30\n", "    value: 31\n")
    run = run_cli("diff", "HEAD", ".", "--exit-code", cwd=here)
    assert run.code == 1 and "returns · us · Return window 30 → 31" in run.out and run.err == "", run


def test_diff_refuses_a_folder_of_no_repository(init_repo: Path, tmp_path: Path) -> None:
    stray = tmp_path / "stray"
    stray.mkdir()
    (stray / "notes.yaml").write_text("a: 1\n", encoding="utf-8")
    run = run_cli("diff", str(init_repo), str(stray))
    assert run.code == 2, run
    assert f"`{stray}` is not a policies folder, a repository's top or inside one" in run.err
    assert "hint: give a policies folder (it holds marketplaces.yaml), a repository's top" in run.err


@pytest.mark.parametrize("where", [".", "top-from-above"])
def test_test_takes_a_top_as_the_whole_repository(init_repo: Path, where: str) -> None:
    if where == ".":
        run = run_cli("test", ".", cwd=init_repo)
    else:
        run = run_cli("test", init_repo.name, cwd=init_repo.parent)
    assert (run.code, run.out) == (0, "5 passed, 0 failed\n"), run


def test_fmt_of_a_top_leaves_its_other_yaml_alone(init_repo: Path) -> None:
    other = init_repo / "ci" / "compose.yaml"
    other.parent.mkdir()
    other.write_text("b: 1\na:   2\n", encoding="utf-8")
    run = run_cli("fmt", ".", cwd=init_repo)
    assert (run.code, run.out) == (0, "0 files reformatted, 5 already formatted\n"), run
    assert other.read_text(encoding="utf-8") == "b: 1\na:   2\n"


# --- one JSON shape: `ok` (the exit code is 0), `problems` ---


@pytest.mark.parametrize(
    ("command", "broken"),
    [
        (("validate",), False),
        (("validate",), True),
        (("validate", "--no-strict"), True),
        (("test",), False),
        (("i18n", "check"), False),
        (("build", "--check"), False),
    ],
)
def test_every_pass_fail_json_says_ok(init_repo: Path, command: tuple[str, ...], broken: bool) -> None:
    if broken:  # a warning (P012: no source), which policyctl.toml's `strict = true` makes fail
        edit(init_repo / "policies" / "returns" / "program.yaml", "    source: the returns policy, 2024 edition\n", "")
    run = run_cli(*command, "--format", "json", cwd=init_repo)
    body = json.loads(run.out)
    assert body["ok"] is (run.code == 0) and isinstance(body["problems"], list), run
    if command[0] == "validate":
        assert list(body) == ["ok", "files", "problems"]
        assert run.code == (1 if broken and "--no-strict" not in command else 0)


# --- two checkouts in one workflow: `actions/checkout` with `path: a` (the workflow's repository)
# and `path: b` (another repository), GITHUB_WORKSPACE above both ---


@pytest.fixture
def workspace(mono: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A runner's workspace holding the workflow's repository at `a/` and another at `b/`, each a
    git checkout whose `origin` is as `actions/checkout` sets it."""
    top = tmp_path / "ws"
    for name, origin in (("a", "https://github.com/acme/policies"), ("b", "https://github.com/acme/shared")):
        shutil.copytree(mono / "pol", top / name)
        git(top / name, "init", "-q")
        git(top / name, "remote", "add", "origin", origin)
    monkeypatch.setenv("GITHUB_WORKSPACE", str(top))
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/policies")
    return top


@pytest.mark.parametrize("together", [True, False])
def test_the_workflows_repository_checked_out_in_a_folder_is_named_from_its_top(
    workspace: Path, together: bool
) -> None:
    """GitHub reads an annotation's file (and a SARIF result's uri) as a path in the workflow's
    repository; the runner makes a path relative to the workspace and no more. Its files were
    named `a/policies/...`, a path the repository does not have: now from its own top. The other
    repository's files keep the workspace's naming (`b/policies/...`): from their own top they
    would land on the workflow repository's `policies/...`, files that are not theirs."""
    program = "policies/returns/program.yaml"
    runs = [("a/policies", "b/policies")] if together else [("--root", "a/policies"), ("--root", "b/policies")]
    github = "".join(run_cli("validate", "--format", "github", *args, cwd=workspace).out for args in runs)
    assert _github_files(github) == {program, f"b/{program}"}, github
    sarif = [json.loads(run_cli("validate", "--format", "sarif", *args, cwd=workspace).out) for args in runs]
    got = {
        (
            run["originalUriBaseIds"]["%SRCROOT%"]["uri"],
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        )
        for log in sarif
        for run in log["runs"]
        for result in run["results"]
    }
    assert got == {
        ((workspace / "a").resolve().as_uri() + "/", program),
        (workspace.resolve().as_uri() + "/", f"b/{program}"),
    }
    edit(workspace / "a" / program, "    sourc: x\n", "    source: x\n")
    junit = run_cli("test", "--junit", "-", cwd=workspace / "a")
    assert set(re.findall(r' file="([^"]+)"', junit.out)) == {"policies/returns/tests/return_allowed.yaml"}, junit


def test_another_repositorys_checkout_alone_is_named_from_the_workspace(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no way to tell which checkout is the workflow's (no GITHUB_REPOSITORY), or none of
    them is, every file is named from the workspace, as the runner names them."""
    for repository in ("", "acme/other"):
        monkeypatch.setenv("GITHUB_REPOSITORY", repository)
        github = run_cli("validate", "--format", "github", "--root", "a/policies", cwd=workspace)
        assert _github_files(github.out) == {"a/policies/returns/program.yaml"}, github


def test_a_problem_of_no_file_is_an_annotation_of_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A problem of the command line (`<command line>`, `<arguments>`) was named as a file of the
    working folder's checkout (`file=/work/<command line>,line=1,col=1`): GitHub placed it on no
    file. It is an annotation with no place now, its message and title escaped as any other's."""
    from engine.problems import ARGUMENTS, Problem
    from engine.problems.report import github
    from engine.source.project import report_roots

    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    problems = [
        Problem("<command line>", 1, 1, "L004", "no marketplace `u,s`: 50%", "known: us"),
        Problem(ARGUMENTS, 1, 1, "L004", "a\r\nb"),
    ]
    assert github(problems, 0, root=report_roots()) == (
        "::error title=L004::no marketplace `u,s`: 50%25%0Ahint: known: us\n::error title=L004::a%0D%0Ab\n"
    )


# --- test, i18n check and build --check in the formats CI reads, through validate's writers ---

RETURNS = "policies/returns"
# each check, the edit that fails it, and the annotations (file from the checkout's top, line,
# column, code) it gives then; None: those of the problems its JSON lists, at their places
CHECKS: dict[str, tuple[tuple[str, ...], tuple[str, str, str], set[tuple[str, int, int, str]] | None]] = {
    "test": (
        ("test",),
        (f"{RETURNS}/program.yaml", "value: 30\n", "value: 31\n"),
        {(f"{RETURNS}/tests/return_allowed.yaml", 13, 5, "T001")},
    ),
    "test, its cases not run": (
        ("test",),
        (f"{RETURNS}/program.yaml", "title: Returns\n", "title: 5\n"),
        {(f"{RETURNS}/program.yaml", 9, 8, "S001")},
    ),
    "i18n check": (
        ("i18n", "check"),
        (f"{RETURNS}/locales/de.po", "künftig %(new)s", "künftig %(neu)s"),
        {(f"{RETURNS}/locales/de.po", 20, 43, "G002")},
    ),
    "build --check": (("build", "--check"), (f"{RETURNS}/program.yaml", "value: 30\n", "value: 29\n"), None),
}
_ANNOTATION = re.compile(r"^::error file=([^,]+),line=(\d+),col=(\d+),title=(\w+)::", re.M)


@pytest.fixture
def checkout(init_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The starter repository as a git checkout's top (`.git`), not on a runner."""
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    (init_repo / ".git").mkdir()
    return init_repo


@pytest.mark.parametrize("failing", [False, True], ids=["clean", "failing"])
@pytest.mark.parametrize("check", sorted(CHECKS))
def test_every_check_annotates_its_problems_for_ci(checkout: Path, check: str, failing: bool) -> None:
    """`test`, `i18n check` and `build --check` had no `--format github|sarif`: a failing test case
    or a stale page was only text in the log. Each problem is an annotation at its place with its
    code now, named from the checkout's top wherever the command runs, as `validate`'s."""
    args, (file, old, new), expected = CHECKS[check]
    if failing:
        edit(checkout / file, old, new)
    if expected is None:  # (at the places its JSON gives them, from the top)
        listed = json.loads(run_cli(*args, "--format", "json", cwd=checkout).out)["problems"]
        expected = {(p["file"], p["line"], p["column"], p["code"]) for p in listed}
        assert not failing or (expected and {p[3] for p in expected} == {"G005"}), listed
    here = checkout / RETURNS  # (a program's folder: text names files from it, `../returns/...`)
    github = run_cli(*args, "--format", "github", cwd=here)
    assert github.code == (1 if failing else 0), github
    got = {(f, int(line), int(col), code) for f, line, col, code in _ANNOTATION.findall(github.out)}
    assert got == (expected if failing else set()) and github.out.count("\n") == len(got), github
    sarif = run_cli(*args, "--format", "sarif", cwd=here)
    assert sarif.code == github.code, sarif
    [run] = json.loads(sarif.out)["runs"]
    # (with no problems too: it was the working folder, another source root from each folder)
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": checkout.resolve().as_uri() + "/"}}
    results = {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"],
            r["ruleId"],
        )
        for r in run["results"]
    }
    assert results == got and {r["id"] for r in run["tool"]["driver"]["rules"]} == {p[3] for p in got}
    assert github.err and sarif.err, github  # the report for people, on standard error


def test_a_failed_test_case_says_what_differed_and_what_it_asked(checkout: Path) -> None:
    edit(checkout / RETURNS / "program.yaml", "value: 30\n", "value: 31\n")
    run = run_cli("test", "--format", "github", cwd=checkout)
    assert run.out == (
        f"::error file={RETURNS}/tests/return_allowed.yaml,line=13,col=5,title=T001::"
        "test `day 31 is too late in 2024` failed: `allowed`: expected `false`, got `true`; "
        '`matches`: expected `["too_late"]`, got `["within_window"]`%0A'
        'hint: asked `returns.return_allowed · us · 2024-06-01 · input {"days_since_delivery": 31}`; '
        "rows matched: within_window\n"
    ), run
    assert run.err.startswith(f"FAIL {RETURNS}/tests/return_allowed.yaml:13: day 31 is too late in 2024\n")
    assert run.err.endswith("4 passed, 1 failed\n"), run


def _workflow_commands(top: Path) -> list[list[str]]:
    """The policyctl commands the starter workflow runs, without the shell's redirections."""
    import shlex

    import yaml

    workflow = yaml.safe_load((top / ".github/workflows/policy.yml").read_text(encoding="utf-8"))
    commands = []
    for step in workflow["jobs"]["check"]["steps"]:
        words = shlex.split(step.get("run", ""), comments=True)
        if words[:1] == ["policyctl"]:
            cut = [i for i, w in enumerate(words) if w in (">", "||", "|", "&&")]
            commands.append(words[1 : cut[0] if cut else None])
    return commands


def test_the_starter_workflow_passes_and_annotates_a_failing_test(checkout: Path) -> None:
    """The workflow `policyctl init` writes runs `test` with annotations for its failing cases
    (and its JUnit report), and passes on the repository as `init` made it."""
    commands = _workflow_commands(checkout)
    assert ["test", "--format", "github", "--junit", "policyctl-tests.xml"] in commands, commands
    assert [run_cli(*args, cwd=checkout).code for args in commands] == [0] * len(commands)
    edit(checkout / RETURNS / "program.yaml", "value: 30\n", "value: 31\n")
    run = run_cli("test", "--format", "github", "--junit", "policyctl-tests.xml", cwd=checkout)
    assert run.code == 1 and _ANNOTATION.findall(run.out) == [
        (f"{RETURNS}/tests/return_allowed.yaml", "13", "5", "T001")
    ], run
    assert 'failures="1"' in (checkout / "policyctl-tests.xml").read_text(encoding="utf-8")


def test_failed_tests_as_problems() -> None:
    """What `test --format github|sarif` annotates: the repository's errors, each failed test at
    its case (a boundary check's as T003, as JUnit types it; an output the decision did not give
    said so, not as a value), and a test's own problems once, at their own place."""
    from engine.policytests.cases import MISSING, Mismatch, Outcome
    from engine.policytests.report import as_problems
    from engine.problems import Pos, Problem

    error = Problem("p/program.yaml", 9, 8, "S001", "bad")
    own = Problem("p/tests/t.yaml", 7, 12, "D004", "`x` is not a number")
    outcomes = [
        Outcome("passes", "p", "d", Pos("p/tests/t.yaml", 2, 5), "p.d · us · 2024-06-01 · input {}"),
        Outcome(
            "edge 10",
            "p",
            "d",
            Pos("p/decisions/d.yaml", 14, 9),
            'p.d · us · 2024-06-01 · input {"n": 10}',
            mismatches=(Mismatch("fee", 1, MISSING),),
            notes=("band 10..20",),
            kind="boundary",
        ),
        Outcome("has a problem", "p", "d", Pos("p/tests/t.yaml", 6, 5), "p.d · us", problems=(own,)),
        Outcome("has it too", "p", "d", Pos("p/tests/t.yaml", 6, 5), "p.d · us", problems=(own,)),
    ]
    assert as_problems(outcomes, [error]) == [
        error,
        Problem(
            "p/decisions/d.yaml",
            14,
            9,
            "T003",
            "test `edge 10` failed: `fee`: expected `1`, got (no such output)",
            'asked `p.d · us · 2024-06-01 · input {"n": 10}`; band 10..20',
        ),
        own,
    ]
