"""engine/start.py answers `decide --bundle` without click: the same bytes and exit codes as click's
command, for every policy test case, batches, and every form it must leave to click."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine import start
from support import run_cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "policies.bundle"
    made = run_cli("bundle", "--root", str(ROOT / "policies"), "--out", str(path))  # in-process: only the file matters
    assert made.code == 0, made
    return path


def _cases(bundle: Path) -> list[dict[str, Any]]:
    from engine.bundle.load import load_bundle

    return [
        {"program": c.program, "decision": c.decision, "marketplace": c.marketplace, "at": c.at, "input": c.input}
        for c in load_bundle(str(bundle)).cases()
    ]


def _fast(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int | None, str]:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    code = start.answer(argv)
    monkeypatch.undo()
    return code, out.getvalue()


def test_every_policy_test_case_answers_as_click_does(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = _cases(bundle)
    assert cases
    for i, case in enumerate(cases):
        request = tmp_path / f"{i}.json"
        request.write_text(json.dumps(case["input"]), encoding="utf-8")
        argv = ["decide", f"{case['program']}.{case['decision']}", "-m", case["marketplace"]]
        argv += ["--at", case["at"]] if case.get("at") else []
        argv += ["--bundle", str(bundle), "--input", str(request)]
        code, out = _fast(argv, monkeypatch)
        slow = run_cli(*argv)
        assert code is not None, argv  # answered without click
        assert (code, out) == (slow.code, slow.out), argv


def test_a_batch_and_bad_lines_answer_as_click_does(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = _cases(bundle)[0]
    good = json.dumps(case["input"])
    for text in (f"{good}\n{good}\n", f"{good}\nnot json\n{{}}\n", "not json", "[1, 2]", "", "\ufeff{}"):
        request = tmp_path / "lines.jsonl"
        request.write_text(text, encoding="utf-8")
        argv = ["decide", f"{case['program']}.{case['decision']}", "--bundle", str(bundle)]
        argv += ["-i", str(request), "--marketplace", case["marketplace"]]
        code, out = _fast(argv, monkeypatch)
        slow = run_cli(*argv)
        assert code is not None and (code, out) == (slow.code, slow.out), text


@pytest.mark.parametrize(
    "tail",
    [
        ["--explain"],
        ["--format", "text"],
        ["--lines"],
        ["--at=2024-06-01"],
        ["--at", "1 June"],  # a malformed date: click's message
        ["-m", "us"],  # twice
        ["--root", "policies"],
        ["--", "x"],
    ],
)
def test_other_forms_are_left_to_click(bundle: Path, tmp_path: Path, tail: list[str]) -> None:
    request = tmp_path / "in.json"
    request.write_text("{}", encoding="utf-8")
    argv = ["decide", "csba.fee", "-m", "us", "--bundle", str(bundle), "--input", str(request), *tail]
    assert start.answer(argv) is None


@pytest.mark.parametrize(
    "argv",
    [
        ["decide", "csba", "-m", "us", "--bundle", "B", "--input", "I"],
        ["decide", "nope.fee", "-m", "us", "--bundle", "B", "--input", "I"],
        ["decide", "csba.nope", "-m", "us", "--bundle", "B", "--input", "I"],
        ["decide", "csba.fee", "-m", "zz", "--bundle", "B", "--input", "I"],
        ["decide", "csba.fee", "-m", "us", "--bundle", "missing.bundle", "--input", "I"],
        ["decide", "csba.fee", "-m", "us", "--bundle", "B", "--input", "missing.json"],
        ["--quiet", "decide", "csba.fee", "-m", "us", "--bundle", "B", "--input", "I"],
    ],
)
def test_problems_are_left_to_click(bundle: Path, tmp_path: Path, argv: list[str]) -> None:
    request = tmp_path / "in.json"
    request.write_text("{}", encoding="utf-8")
    argv = [str(bundle) if a == "B" else str(request) if a == "I" else a for a in argv]
    assert start.answer(argv) is None


def test_the_process_answers_from_standard_input_without_click(bundle: Path) -> None:
    case = _cases(bundle)[0]
    argv = ["decide", f"{case['program']}.{case['decision']}", "-m", case["marketplace"], "--bundle", str(bundle)]
    argv += ["--input", "-"]
    code = "import sys, runpy; sys.argv = ['policyctl', *sys.argv[1:]]; runpy.run_module('engine', run_name='__main__')"
    fast = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *argv],
        input=json.dumps(case["input"]),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    slow = run_cli(*argv, stdin=json.dumps(case["input"]))
    assert (fast.returncode, fast.stdout) == (slow.code, slow.out)
    assert " click" not in fast.stderr  # -X importtime lists every module imported


# -- `validate [PATH ...]` and `decide` from a repository, without click ---------------------------


def _fast_text(argv: list[str]) -> tuple[int | None, str]:
    """``start.answer`` with standard output a text stream over bytes, as a file or a pipe is
    (the validate path answers only there, not on a StringIO: another kind of stream is click's)."""
    raw = io.BytesIO()
    before, sys.stdout = sys.stdout, io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    try:  # (not monkeypatch.undo(): it would also undo the test's chdir)
        code = start.answer(argv)
    finally:
        sys.stdout.detach()  # (its bytes kept: a wrapper closed by the collector closes them)
        sys.stdout = before
    return code, raw.getvalue().decode("utf-8")


# (file of the starter, text, replaced by): a warning (P012: a value with neither source nor
# assumption; the starter's policyctl.toml says `strict`, so it fails), an error (S001)
STARTER_EDITS = {
    "clean": None,
    "warning": ("returns/marketplaces/de.yaml", "    source: the returns policy for example.de\n", ""),
    "error": ("returns/marketplaces/de.yaml", "value: true", "value: often"),
}


@pytest.mark.parametrize("edit", STARTER_EDITS)
@pytest.mark.parametrize("strict", [True, False])
def test_validate_answers_as_click_does(
    edit: str, strict: bool, init_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policies = init_repo / "policies"
    change = STARTER_EDITS[edit]
    if change is not None:
        file, old, new = change
        text = (policies / file).read_text(encoding="utf-8")
        assert old in text
        (policies / file).write_text(text.replace(old, new), encoding="utf-8")
    if not strict:
        toml = init_repo / "policyctl.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace("strict = true", "strict = false"), encoding="utf-8")
    monkeypatch.chdir(init_repo / "policies" / "returns")  # (found upwards; files named from here)
    forms = [["validate"], ["validate", "program.yaml"], ["validate", "marketplaces", "../marketplaces.yaml"]]
    forms += [["validate", str(init_repo)], ["validate", "pages"], ["validate", "pages/help.md.j2"]]
    answers = []
    for argv in forms:
        code, out = _fast_text(argv)
        slow = run_cli(*argv, cwd=init_repo / "policies" / "returns")
        assert code is not None, argv  # answered without click
        assert (code, out) == (slow.code, slow.out), argv
        answers.append((code, out))
    code, out = answers[0]  # (the whole repository)
    if edit == "clean":
        assert code == 0, out
    else:
        assert ("warning[P012]" if edit == "warning" else "error[") in out, out
        assert code == (1 if strict or edit == "error" else 0), out


def test_validate_of_files_in_no_repository_answers_as_click_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loose = tmp_path / "loose.yaml"
    loose.write_text("kind: tests\ncases: 3\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("hello\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for argv in (["validate", "loose.yaml"], ["validate", "loose.yaml", "notes.txt"]):
        code, out = _fast_text(argv)
        slow = run_cli(*argv, cwd=tmp_path)
        assert code is not None and (code, out) == (slow.code, slow.out), argv


@pytest.mark.parametrize(
    "argv",
    [
        ["validate", "--format", "json"],
        ["validate", "--strict"],
        ["validate", "-"],
        ["validate", "missing.yaml"],  # exit 2, click's message
        ["validate", ""],
        ["--quiet", "validate"],
    ],
)
def test_other_validate_forms_are_left_to_click(
    argv: list[str], init_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(init_repo)
    assert _fast_text(argv)[0] is None


def test_validate_is_left_to_click_without_a_repository_a_usable_config_or_a_pipe(
    init_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no repository here or above: click says so (exit 2)
    assert _fast_text(["validate"])[0] is None
    toml = init_repo / "policyctl.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('"de"]', '"ge"]'), encoding="utf-8")
    monkeypatch.chdir(init_repo)  # `languages` names one no marketplace publishes: click's usage error
    assert _fast_text(["validate"])[0] is None
    assert _fast_text(["validate", "policies/returns/program.yaml"])[0] is None
    toml.write_text(toml.read_text(encoding="utf-8").replace('"ge"]', '"de"]'), encoding="utf-8")
    assert _fast_text(["validate"])[0] == 0
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # not a file's or pipe's text stream: click's
    assert start.answer(["validate"]) is None


def _starter_cases(policies: Path) -> list[dict[str, Any]]:
    from engine import load

    return [
        {"program": c.program, "decision": c.decision, "marketplace": c.marketplace, "at": c.at, "input": c.input}
        for program in load(str(policies)).programs.values()
        for c in program.tests
    ]


@pytest.mark.parametrize("tree", ["starter", "policies"])
def test_decide_from_a_repository_answers_as_click_does(
    tree: str, init_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    top = init_repo if tree == "starter" else ROOT
    cases = _starter_cases(top / "policies")
    if tree == "policies":  # (each decision once: every case is answered from the bundle above)
        cases = list({(c["program"], c["decision"]): c for c in reversed(cases)}.values())
    assert cases
    for i, case in enumerate(cases):
        request = tmp_path / f"{i}.json"
        request.write_text(json.dumps(case["input"]), encoding="utf-8")
        argv = ["decide", f"{case['program']}.{case['decision']}", "-m", case["marketplace"]]
        argv += ["--at", case["at"]] if case.get("at") else []
        # from the repository holding the working folder, and (every other case) from --root elsewhere
        argv += ["--input", str(request)] + (["--root", str(top)] if i % 2 else [])
        here = tmp_path if i % 2 else top
        monkeypatch.chdir(here)
        code, out = _fast(argv, monkeypatch)
        slow = run_cli(*argv, cwd=here)
        assert code is not None, argv
        assert (code, out) == (slow.code, slow.out), argv


def test_decide_from_a_repository_with_problems_is_left_to_click(
    init_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = tmp_path / "in.json"
    request.write_text('{"days_since_delivery": 3}', encoding="utf-8")
    argv = ["decide", "returns.return_allowed", "-m", "us", "-i", str(request)]
    monkeypatch.chdir(tmp_path)  # no repository
    assert start.answer(argv) is None
    monkeypatch.chdir(init_repo)
    assert start.answer([*argv, "--root", str(init_repo), "--bundle", "x.bundle"]) is None
    assert start.answer(["decide", "returns.nope", "-m", "us", "-i", str(request)]) is None
    de = init_repo / "policies" / "returns" / "marketplaces" / "de.yaml"
    de.write_text(de.read_text(encoding="utf-8").replace("value: true", "value: often"), encoding="utf-8")
    assert start.answer(argv) is None  # an error in the repository: click lists it
    slow = run_cli(*argv, cwd=init_repo)
    assert slow.code == 1 and "error[P003]" in slow.err


def test_the_process_validates_without_click(init_repo: Path) -> None:
    code = "import sys, runpy; sys.argv = ['policyctl', *sys.argv[1:]]; runpy.run_module('engine', run_name='__main__')"
    fast = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, "validate"], capture_output=True, text=True, cwd=init_repo
    )
    slow = run_cli("validate", cwd=init_repo)
    assert (fast.returncode, fast.stdout) == (slow.code, slow.out) == (0, slow.out)
    assert " click" not in fast.stderr  # -X importtime lists every module imported


def test_an_interrupted_validate_ends_as_click_ends_it(
    init_repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """^C during a long validate: "Aborted!" after a blank line, exit 1, never a traceback, on the
    path without click as on click's (its standalone mode)."""
    import click

    from engine.cli import main
    from engine.commands import validate as command

    within_click = []

    def interrupted(*args: object, **kwargs: object) -> None:
        within_click.append(click.get_current_context(silent=True) is not None)
        raise KeyboardInterrupt

    monkeypatch.setattr(command, "validate", interrupted)
    monkeypatch.chdir(init_repo)
    monkeypatch.setattr(sys, "argv", ["policyctl", "validate"])  # (capsys: standard output not a terminal)
    ends = []
    for end in (start.run, lambda: main(["validate"], prog_name="policyctl")):
        with pytest.raises(SystemExit) as e:
            end()
        ends.append((e.value.code, tuple(capsys.readouterr())))
    assert within_click == [False, True]
    assert ends[0] == ends[1] == (1, ("", "\nAborted!\n"))
