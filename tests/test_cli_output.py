"""What `build`, `test` and `i18n check` print: `--format json` in one problem shape, colour only
where it is wanted (NO_COLOR, --color), progress only on a terminal's standard error."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.console import Console
from support import CORPUS, MINI, ROOT, edit, run_cli

PROBLEM_FIELDS = {"file", "line", "column", "code", "severity", "message", "hint"}
AT = "2024-03-01"


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    dest = tmp_path / "mini"
    shutil.copytree(CORPUS / "repos" / "mini", dest)
    return dest


@pytest.fixture
def site(tmp_path: Path) -> Path:
    dest = tmp_path / "site"
    shutil.copytree(CORPUS / "hostile" / "site", dest)
    return dest


def _make_a_case_fail(mini: Path) -> Path:
    tests = mini / "loans" / "tests" / "late_fee.yaml"
    edit(tests, "expect: {fee: 0, status: on_time}", "expect: {fee: 99, status: on_time}")
    return tests


def test_build_json_has_counts_and_problems_in_the_shared_shape(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = run_cli("build", "--root", str(site), "--out", str(out), "--at", AT, "--format", "json")
    body = json.loads(run.out)
    assert run.code == 0 and body["ok"] and body["written"] and body["pages"] > 0 and body["problems"] == []
    (out / "index.md").write_text("changed\n")
    run = run_cli("build", "--root", str(site), "--out", str(out), "--at", AT, "--check", "--format", "json")
    body = json.loads(run.out)
    assert run.code == 1 and not body["ok"]
    [problem] = body["problems"]
    assert set(problem) == PROBLEM_FIELDS and problem["code"] == "G005" and problem["file"] == f"{out}/index.md"


def test_test_json_lists_every_test_with_its_mismatches(mini: Path) -> None:
    passing = run_cli("test", "--root", str(mini), "--format", "json", "--coverage")
    body = json.loads(passing.out)
    assert passing.code == 0 and body["failed"] == 0 and body["passed"] == len(body["tests"]) > 0
    assert {"percent", "rows", "bands", "missing"} <= set(body["coverage"])
    _make_a_case_fail(mini)
    failing = run_cli("test", "--root", str(mini), "--format", "json")
    body = json.loads(failing.out)
    assert failing.code == 1 and body["failed"] >= 1 and not body["ok"]
    bad = next(t for t in body["tests"] if not t["passed"])
    assert bad["file"].endswith("late_fee.yaml") and bad["line"] == 3 and bad["name"] == "on time costs nothing"
    assert bad["mismatches"] == [{"output": "fee", "expected": 99, "actual": 0, "missing": False}], bad


def test_i18n_check_json_names_missing_translations_in_the_shared_shape(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    po = policies / "csba" / "locales" / "it.po"
    text = po.read_text()
    start = text.index('msgstr "', text.index("msgid", text.index("\n\n")))
    end = text.index("\n", start)
    po.write_text(text[:start] + 'msgstr ""' + text[end:])
    run = run_cli("i18n", "check", "csba", "--root", str(policies), "--format", "json")
    body = json.loads(run.out)
    assert run.code == 1 and not body["ok"]
    assert all(set(p) == PROBLEM_FIELDS for p in body["problems"])
    assert any(p["file"].endswith("csba/locales/it.po") for p in body["problems"]), body["problems"]
    italian = next(row for row in body["locales"] if row["locale"] == "it")
    assert italian["translated"] < italian["total"]


def test_colour_on_request_and_never_with_no_color(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _make_a_case_fail(mini)
    from click.testing import CliRunner

    from engine.cli import main  # (the installed command line; cli.py at the top only calls it)

    def run(*args: str) -> str:
        result = CliRunner().invoke(main, [*args, "test", "--root", str(mini)], color=True)  # a terminal
        return result.stdout

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert "\033[1;31mFAIL\033[0m" in run()
    assert "\033[" not in run("--color", "never")
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\033[" not in run() and "FAIL" in run()
    assert "\033[1;31mFAIL" in run("--color", "always")  # said on the command line: it wins
    piped = run_cli("--color", "auto", "test", "--root", str(mini))
    assert "FAIL" in piped.out and "\033[" not in piped.out


RED, RESET = "\033[1;31m", "\033[0m"


@pytest.mark.parametrize(
    ("args", "stream", "painted"),
    [
        (["validate"], "out", f"{RED}error{RESET}[P003]"),  # the problems' own command was never painted
        (["validate", "nowhere.yaml"], "err", f"{RED}policyctl: error{RESET}: no such file or folder"),
        (["show", "loans", "-m", "nl"], "err", f"{RED}error{RESET}[P003]"),  # a broken repository: no answer
        (["show", "loans", "-m", "xx"], "err", f"{RED}policyctl: error{RESET}[L004]"),
        (["bundle", "--verify", "nowhere.bundle"], "err", f"{RED}error{RESET}[B001]"),
    ],
)
def test_every_commands_problems_are_coloured_as_tests_are(
    mini: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], stream: str, painted: str
) -> None:
    """README: text output is coloured (`error` in red) on a terminal or with `--color always`;
    only `build`, `test` and `i18n check` painted theirs."""
    from click.testing import CliRunner

    from engine.cli import main

    if "P003" in painted:
        edit(mini / "loans" / "program.yaml", "value: 21", "value: zero")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.chdir(mini)
    terminal = CliRunner().invoke(main, args, color=True)
    assert painted in getattr(terminal, f"std{stream}"), terminal.output
    assert "\033[" not in getattr(CliRunner().invoke(main, ["--color", "never", *args], color=True), f"std{stream}")


@pytest.mark.parametrize(
    "name",
    [
        "nowhere.yaml",
        "\033[31mred.yaml",  # a usage error quotes the name with its escape shown as `\x1b`
        "\033[error[P003].yaml",  # an escape that would run into a painted word
    ],
)
def test_text_off_a_terminal_is_what_painting_and_stripping_gave(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Off a terminal click strips colour, so text is not painted there (a report of 6,200 warnings
    was painted, then copied twice more to strip it: 923b923); the bytes are those of painting and
    stripping, also for a name holding an escape (text output, usage errors too, shows one as
    `\\x1b`: a usage error printed it as is, a name that moved the cursor)."""
    import click
    from click.testing import CliRunner

    from engine.cli import main

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.chdir(tmp_path)
    painted: list[str] = []
    monkeypatch.setattr(Console, "paint", _counted(painted))
    terminal = CliRunner().invoke(main, ["validate", name], color=True).stderr
    assert f"{RED}policyctl: error{RESET}: no such file or folder" in terminal and len(painted) == 1
    piped = CliRunner().invoke(main, ["validate", name], color=False).stderr
    assert piped == click.unstyle(terminal) and len(painted) == 1
    shown = name.replace("\033", "\\x1b")
    assert "\033" not in piped and f"no such file or folder: {shown}\n" in piped


def _counted(painted: list[str]) -> Callable[[Console, str], str]:
    """Console.paint, noting each text it is asked to paint."""
    paint = Console.paint

    def counted(self: Console, said: str) -> str:
        painted.append(said)
        return paint(self, said)

    return counted


def test_a_report_off_a_terminal_is_not_painted(mini: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from engine.cli import main

    edit(mini / "loans" / "program.yaml", "value: 21", "value: zero")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.chdir(mini)
    painted: list[str] = []
    monkeypatch.setattr(Console, "paint", _counted(painted))
    piped = CliRunner().invoke(main, ["validate"], color=False)
    assert "error[P003]" in piped.stdout and "\033" not in piped.stdout and painted == []
    terminal = CliRunner().invoke(main, ["validate"], color=True)
    assert f"{RED}error{RESET}[P003]" in terminal.stdout and painted == [piped.stdout]


def test_progress_shows_on_a_terminal_only() -> None:
    terminal = io.StringIO()
    terminal.isatty = lambda: True  # type: ignore[method-assign]  # a terminal stand-in
    progress = Console().progress("rendering pages", terminal)
    progress(0, 3)
    progress(3, 3)
    progress.close()
    assert "rendering pages  0 of 3" in terminal.getvalue() and terminal.getvalue().endswith("\r\033[K")
    quiet = io.StringIO()
    quiet.isatty = lambda: True  # type: ignore[method-assign]  # as above
    Console(quiet=True).progress("x", quiet)(1, 2)
    piped = io.StringIO()
    Console().progress("x", piped)(1, 2)
    assert quiet.getvalue() == piped.getvalue() == ""


def _run_with_stderr_on_a_terminal(args: list[str], both: bool = False) -> tuple[int, str, str]:
    """Run cli.py with standard error on a pseudo-terminal and standard output in a file (not a
    pipe: this process reads the terminal until the child is done, and a pipe would fill), or
    (``both``) on the same terminal, as a person running it there sees them."""
    leader, follower = pty.openpty()
    with tempfile.TemporaryFile() as output:
        child = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), *args],
            stdout=follower if both else output,
            stderr=follower,
            env={**os.environ, "NO_COLOR": ""},
        )
        os.close(follower)
        seen = b""
        while True:
            ready, _, _ = select.select([leader], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        child.wait(timeout=60)
        os.close(leader)
        output.seek(0)
        out = output.read().decode()
    return child.returncode, out, seen.decode(errors="replace")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_progress_goes_to_a_terminals_stderr_and_never_into_the_output(site: Path, tmp_path: Path) -> None:
    args = ["build", "--root", str(site), "--out", str(tmp_path / "out"), "--at", AT]
    code, out, err = _run_with_stderr_on_a_terminal(args + ["--format", "json"])
    assert code == 0 and "rendering pages" in err and " of " in err
    assert json.loads(out)["written"] and "rendering" not in out
    code, _, err = _run_with_stderr_on_a_terminal(["--quiet"] + args)
    assert code == 0 and "rendering pages" not in err
    piped = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True)
    assert piped.returncode == 0 and "rendering" not in piped.stdout + piped.stderr


def test_validate_shows_its_progress_on_a_terminal_only(site: Path) -> None:
    code, out, err = _run_with_stderr_on_a_terminal(["validate", "--root", str(site), "--format", "json"])
    assert code == 0 and "reading policy files" in err and " of " in err
    assert all(p["severity"] == "warning" for p in json.loads(out)["problems"])  # the output stays JSON
    piped = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "validate", "--root", str(site)], capture_output=True, text=True
    )
    assert piped.returncode == 0 and "reading policy files" not in piped.stdout + piped.stderr


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("source", ["repository", "bundle"])
def test_a_batch_shows_the_lines_answered_on_a_terminal_only(tmp_path: Path, source: str) -> None:
    """A batch of unknown length (JSON Lines) shows how many lines it has answered, on a terminal's
    standard error; the answers on standard output are exactly the piped run's. Not when the
    answers go to that terminal too (a count drawn between them would garble both). The same with
    a bundle (the click-free path of `decide --bundle`)."""
    lines = tmp_path / "inputs.jsonl"
    lines.write_text("".join(json.dumps({"days_late": n % 40, "member": n % 2 == 0}) + "\n" for n in range(3000)))
    where = ["--root", str(MINI)]
    if source == "bundle":
        made = run_cli("bundle", "--root", str(MINI), "--out", str(tmp_path / "mini.bundle"))
        assert made.code == 0, made
        where = ["--bundle", str(tmp_path / "mini.bundle")]
    args = ["decide", "loans.late_fee", "-m", "no", "--at", "2024-05-01", *where, "--input", str(lines)]
    code, out, err = _run_with_stderr_on_a_terminal(args)
    assert code == 0 and "answering inputs  512" in err, err
    piped = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True)
    assert piped.returncode == 0 and piped.stderr == "" and out == piped.stdout
    assert len(out.splitlines()) == 3000
    code, _, seen = _run_with_stderr_on_a_terminal(args, both=True)
    assert code == 0 and "answering" not in seen and seen.replace("\r\n", "\n") == piped.stdout


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here (a device whose writes fail: disk full)")
@pytest.mark.parametrize(
    "args",
    [
        ["validate", "--root", str(MINI)],
        ["show", "loans", "-m", "no", "--root", str(MINI)],
        ["fmt", "--check", str(MINI)],
        ["decide", "loans.late_fee", "-m", "no", "--at", "2024-06-01", "--bundle", "{bundle}", "--input", "-"],
    ],
    ids=["validate", "show", "fmt", "decide --bundle (answered without click)"],
)
def test_output_that_cannot_be_written_is_an_error_not_a_traceback(args: list[str], tmp_path: Path) -> None:
    """Standard output on a full disk: one line saying so and a hint, exit 2 (as for an output folder
    that may not be written); before, a Python traceback."""
    bundle = tmp_path / "mini.bundle"
    assert run_cli("bundle", "--root", str(MINI), "--out", str(bundle)).code == 0
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [sys.executable, str(ROOT / "cli.py"), *[a.replace("{bundle}", str(bundle)) for a in args]],
            stdout=full,
            stderr=subprocess.PIPE,
            input='{"days_late": 3}',
            text=True,
            timeout=60,
        )
    assert run.returncode == 2, run.stderr
    assert run.stderr == (
        "policyctl: error: a read or write failed: No space left on device\n"
        "  hint: make room or write the output elsewhere, then run it again\n"
    )


@pytest.mark.parametrize("bundled", [False, True], ids=["click", "decide --bundle's quick path"])
def test_decide_with_its_input_closed_is_a_usage_error(bundled: bool, tmp_path: Path) -> None:
    """`--input -` from a process started with standard input closed (`<&-`): a usage error saying
    so; before, click failed on Python's missing stdin with a traceback."""
    args = ["decide", "loans.late_fee", "-m", "no", "--at", "2024-06-01", "--input", "-", "--root", str(MINI)]
    if bundled:
        bundle = tmp_path / "mini.bundle"
        assert run_cli("bundle", "--root", str(MINI), "--out", str(bundle)).code == 0
        args = [*args[:-2], "--bundle", str(bundle)]
    run = subprocess.run(  # (the shell starts it with no standard input at all)
        ["sh", "-c", 'exec "$0" "$@" <&-', sys.executable, str(ROOT / "cli.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    assert "Error: Invalid value for '--input' / '-i': standard input is closed" in run.stderr
