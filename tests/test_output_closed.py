"""Standard output or error that cannot be written: closed when the process started (`>&-`,
`2>&-`), or a reader that went away (a closed pipe, `| head -1`). Every command ends the same way
whatever it printed with and wherever the write failed (engine/start.py, `run`): a closed output is
exit 2 and one line and a hint on standard error (as a full disk); a reader that went away is exit
1, quietly; never a traceback, never exit 0 with the output lost."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import MINI, ROOT, run_cli

CLOSED = (
    "policyctl: error: the output cannot be written: standard output is closed\n"
    "  hint: send it to a file or a pipe (or to /dev/null to discard it) rather than closing it\n"
)
# every command that prints, by each way it prints: click.echo (show, schema, history, validate
# --list-codes, --help), click.echo after sys.stdout.isatty() (validate), the batch's own writes
# (decide, through click and the click-free `decide --bundle`), _say (test)
COMMANDS = [
    ["validate", "--root", str(MINI)],
    ["validate", "--list-codes"],
    ["test", "--root", str(MINI)],
    ["show", "loans", "-m", "no", "--at", "2024-06-01", "--root", str(MINI)],
    ["schema", "program"],
    ["history", "loans", "--root", str(MINI)],
    ["--help"],
    ["decide", "loans.late_fee", "-m", "no", "--at", "2024-06-01", "--input", "-", "--root", str(MINI)],
    ["decide", "loans.late_fee", "-m", "no", "--at", "2024-06-01", "--bundle", "{bundle}", "--input", "-"],
]
IDS = ["validate", "list-codes", "test", "show", "schema", "history", "help", "decide", "decide --bundle"]
INPUT = '{"days_late": 3}\n'


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("closed") / "mini.bundle"
    assert run_cli("bundle", "--root", str(MINI), "--out", str(path)).code == 0
    return path


def _cli(args: list[str], bundle: Path, redirect: str, **options: object) -> subprocess.CompletedProcess[str]:
    """`python cli.py ARGS` started by a shell with ``redirect`` (e.g. `>&-`), its input INPUT."""
    argv = [a.replace("{bundle}", str(bundle)) for a in args]
    run: subprocess.CompletedProcess[str] = subprocess.run(
        ["sh", "-c", f'exec "$0" "$@" {redirect}', sys.executable, str(ROOT / "cli.py"), *argv],
        input=INPUT,
        text=True,
        timeout=60,
        **options,  # type: ignore[call-overload]
    )
    return run


@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_a_closed_standard_output_is_exit_2_with_one_message(args: list[str], bundle: Path) -> None:
    """Before: `validate` and `decide` failed with AttributeError tracebacks (`'NoneType' object has
    no attribute 'isatty'` / `'write'`, exit 1); `test`, `show`, `schema` exited 0 having lost all
    their output."""
    run = _cli(args, bundle, ">&-", stderr=subprocess.PIPE)
    assert (run.returncode, run.stderr) == (2, CLOSED)


@pytest.mark.parametrize("args", COMMANDS[:1] + COMMANDS[-2:], ids=IDS[:1] + IDS[-2:])
def test_a_closed_standard_error_fails_nothing(args: list[str], bundle: Path) -> None:
    """With standard error closed the command runs and prints as ever; with both closed, exit 2
    (the message has nowhere to go) rather than a traceback no one sees and exit 1."""
    run = _cli(args, bundle, "2>&-", stdout=subprocess.PIPE)
    assert run.returncode == 0 and run.stdout, run
    assert _cli(args, bundle, ">&- 2>&-").returncode == 2


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here (a device whose writes fail)")
@pytest.mark.parametrize("buffered", [False, True], ids=["unbuffered", "buffered"])
def test_an_answer_still_buffered_at_the_end_is_told_as_any_failed_write(buffered: bool, bundle: Path) -> None:
    """`decide` through click leaves its answer in Python's buffer; flushed at interpreter exit, a
    full disk was "Exception ignored ... OSError" and exit 120. Also with standard error closed
    (nothing to tell it on): exit 2, not a crash."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    run = _cli(COMMANDS[-2], bundle, "> /dev/full", stderr=subprocess.PIPE, env=env)
    assert run.returncode == 2, run.stderr
    assert run.stderr == (
        "policyctl: error: a read or write failed: No space left on device\n"
        "  hint: make room or write the output elsewhere, then run it again\n"
    )
    assert _cli(COMMANDS[-2], bundle, "> /dev/full 2>&-", env=env).returncode == 2


@pytest.mark.parametrize("buffered", [False, True], ids=["unbuffered", "buffered"])
@pytest.mark.parametrize("args", COMMANDS, ids=IDS)
def test_a_reader_that_went_away_is_exit_1_quietly_for_every_command(
    args: list[str], bundle: Path, buffered: bool
) -> None:
    """The rule of engine/start.py's `run` for a closed pipe (EPIPE), here a pipe whose reader has
    gone before policyctl writes (`| head -1` once head has its line): exit 1, nothing on standard
    error, for every command and every way it writes. Before, a `decide` answer still in Python's
    buffer at the end (no PYTHONUNBUFFERED) met the closed pipe at interpreter exit: "Exception
    ignored ... BrokenPipeError" and exit 120."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    read, write = os.pipe()
    os.close(read)
    try:
        run = subprocess.run(
            [sys.executable, str(ROOT / "cli.py"), *[a.replace("{bundle}", str(bundle)) for a in args]],
            stdout=write,
            stderr=subprocess.PIPE,
            input=INPUT,
            text=True,
            env=env,
            timeout=60,
        )
    finally:
        os.close(write)
    assert (run.returncode, run.stderr) == (1, "")


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_reader_that_went_away_during_a_long_batch_is_exit_1_quietly(tmp_path: Path, fmt: str) -> None:
    """`decide ... --input big.jsonl | head -1`: the pipe closes while the batch is still being read
    (the cases above read all of their one line first); nothing may be told but the exit code."""
    batch = tmp_path / "big.jsonl"
    batch.write_text(INPUT * 20_000)
    args = ["decide", "loans.late_fee", "-m", "no", "--at", "2024-06-01", "--input", str(batch), "--root", str(MINI)]
    read, write = os.pipe()
    os.close(read)
    try:
        run = subprocess.run(
            [sys.executable, str(ROOT / "cli.py"), *args, "--format", fmt],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write)
    assert (run.returncode, run.stderr) == (1, "")
