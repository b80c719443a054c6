"""The `policyctl` process's entry: one common command answered without click, the rest by click.

A service or batch job that starts `policyctl decide PROGRAM.DECISION -m MP [--at DATE] --bundle
FILE --input FILE|-` pays for its start-up once per answer, and click's import and the command
tree (engine/cli.py) cost more than the answer. So exactly that form, each option given once and
spelt as the help shows it, is answered here with the same engine calls the click command makes;
anything else (another option, `--opt=value`, a value that looks like an option, a missing or
repeated option, a bundle or question that yields a problem, an input that cannot be opened) goes
to click before any input is read, so output, messages and exit codes are click's own.
`tests/test_start.py` compares both paths' bytes and exit codes.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from typing import TextIO

# option spellings -> the one name each stands for (as engine/cli.py's `decide` declares them)
_OPTIONS = {"-m": "m", "--marketplace": "m", "--at": "at", "--bundle": "bundle", "--input": "input", "-i": "input"}


def parse(argv: list[str]) -> dict[str, str] | None:
    """The fast form's values, or None when click must read ``argv``."""
    if len(argv) < 8 or argv[0] != "decide":
        return None
    found: dict[str, str] = {}
    rest = iter(argv[1:])
    for arg in rest:
        name = _OPTIONS.get(arg)
        if name is None:
            if arg.startswith("-") or "target" in found:
                return None
            found["target"] = arg
            continue
        value = next(rest, None)
        if name in found or value is None or (value.startswith("-") and not (name == "input" and value == "-")):
            return None
        found[name] = value
    target = found.get("target", "")
    dot = target.find(".")
    if not {"target", "m", "bundle", "input"} <= found.keys() or dot <= 0 or dot == len(target) - 1:
        return None
    return found


def answer(argv: list[str]) -> int | None:
    """Answer the fast form: its exit code, or None when click must run (nothing read yet)."""
    args = parse(argv)
    if args is None:
        return None
    from engine.bundle.load import load_bundle
    from engine.problems import ASKED, PolicyError

    program, decision = args["target"].split(".", 1)
    marketplace, at = args["m"], args.get("at")
    try:  # every question the answer asks before it reads the input: a problem here is click's to tell
        repo = load_bundle(args["bundle"])
        repo.compiled(program, decision)
        repo.params(program, marketplace, repo.resolve(program, marketplace, at).at)
    except PolicyError:
        return None
    source = _open(args["input"])
    if source is None:
        return None
    from engine.decisions.batch import run_decide

    progress = None
    if sys.stderr is not None and sys.stderr.isatty():  # as click's `decide` shows it (no --quiet here)
        from engine.console import Console

        progress = Console().progress("answering inputs", streaming=True)
    try:
        failed = run_decide(
            repo,
            program,
            decision,
            marketplace,
            at,
            source,
            sys.stdout,
            progress=None if progress is None else progress.count,
        )
        sys.stdout.flush()
    except PolicyError as e:  # not expected after the questions above; told as engine/cli.py tells it
        for p in (p.shown() for p in e.problems):
            where = "" if p.file in ASKED else f"{p.file}:{p.line}:{p.col}: "
            sys.stderr.write(
                f"policyctl: {where}error[{p.code}]: {p.message}" + (f"\n  hint: {p.hint}" if p.hint else "") + "\n"
            )
        if not e.usage:  # (on standard output too, on one line, as engine/cli.py's `decide` says a refusal)
            import json

            from engine.problems.report import body

            sys.stdout.write(json.dumps(body(e.problems, 1, ok=False), ensure_ascii=False) + "\n")
        return 2 if e.usage else 1
    finally:
        if progress is not None:
            progress.close()
        if source is not sys.stdin:
            source.close()
    return 1 if failed else 0


def _open(name: str) -> TextIO | None:
    """The input as click.File("r", encoding="utf-8") opens it; None when it cannot be opened."""
    if name == "-":
        stdin = sys.stdin
        if stdin is None:
            return None
        if stdin.encoding == "utf-8" and stdin.errors == "strict":
            return stdin
        import io

        # click rewraps a standard input of another encoding or error handler the same way
        return io.TextIOWrapper(stdin.buffer, "utf-8", "strict", line_buffering=True)
    try:
        return open(name, encoding="utf-8", errors="strict")  # closed by answer()
    except (OSError, ValueError):
        return None


def run() -> None:
    """The `policyctl` console script, `python -m engine` and `python cli.py`.

    Output that cannot be written ends every command the same way, whichever command wrote it and
    wherever (click's echo, the batch's writes, or what was still buffered at the end):
    - the reader went away (a closed pipe, EPIPE: `policyctl ... | head -1` once head has its
      line): exit 1, quietly, at once, as click's standalone mode and Python's documentation do.
      Quietly: the person reading chose to stop. Exit 1, never 0: not all of the output, nor the
      outcome it reports, was read, so a script (`set -o pipefail`) must not take it as a pass.
      (A command whose whole output was written before the reader left met no closed pipe: its
      exit code is its own, e.g. `test | head -1`, one line, exits 0.)
    - anything else (a full disk, `> /dev/full`, standard output closed, `>&-`): one line and a
      hint on standard error, exit 2 (`_failed`).
    """
    if sys.stdout is None or sys.stderr is None:  # started with one closed: see _Closed
        _stand_in()
    argv = sys.argv[1:]
    code: int | str | None
    try:
        try:
            code = answer(argv)
            if code is None:
                from engine.cli import main

                main(prog_name="policyctl")  # (exits)
        except SystemExit as e:
            code = e.code
        # written here, where a failure is told as above; at interpreter exit it was "Exception
        # ignored ... BrokenPipeError" and exit 120 (a `decide` answer still in the buffer)
        sys.stdout.flush()
    except BrokenPipeError:  # the reader went away: exit 1, quietly (the rule above)
        _quiet_streams()
        sys.exit(1)
    except OSError as e:  # what no command handles: most often the output, on a full disk
        _failed(e)
    sys.exit(code)


class OutputClosed(OSError):
    """A write to standard output when the process was started with it closed (`>&-`)."""


class _Closed:
    """In place of a standard stream the process was started without (`>&-`, `2>&-`): Python then
    leaves sys.stdout or sys.stderr None, which click's echo skips without a word (the command
    exited 0 having printed nothing) and other code fails on with an AttributeError. Standard
    output: a write fails with OutputClosed, which run() tells as output that cannot be written
    (exit 2, as on a full disk), for every command that prints. Standard error: writes are
    dropped (there is nowhere to tell anything), so a message or progress never fails a command."""

    encoding, errors, closed = "utf-8", "strict", False

    def __init__(self, name: str, fails: bool) -> None:
        self.name, self.fails = name, fails

    def write(self, text: str) -> int:
        if not isinstance(text, str):  # a text stream, as click's echo tells one from a binary one
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if text and self.fails:
            from errno import EBADF

            raise OutputClosed(EBADF, f"{self.name} is closed")
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False


def _stand_in() -> None:
    if sys.stdout is None:
        sys.stdout = _Closed("standard output", fails=True)
    if sys.stderr is None:
        sys.stderr = _Closed("standard error", fails=False)


def _failed(e: OSError) -> NoReturn:
    """A read or write that failed where no command expected it (the output on a full disk or a
    failing device, standard output closed, a file removed while it was read): one line and a
    hint, as every error, never a traceback; exit 2, as when the output is a folder that may not
    be written."""
    _quiet_streams()  # (the rest of the output cannot be written either, not even at exit)
    if isinstance(e, OutputClosed):
        said = (
            f"policyctl: error: the output cannot be written: {e.strerror}\n"
            "  hint: send it to a file or a pipe (or to /dev/null to discard it) rather than closing it\n"
        )
    else:
        what = f"a read or write of {e.filename}" if e.filename else "a read or write"
        said = (
            f"policyctl: error: {what} failed: {e.strerror or e}\n"
            "  hint: make room or write the output elsewhere, then run it again\n"
        )
    try:
        sys.stderr.write(said)
        sys.stderr.flush()
    except (OSError, ValueError):  # (standard error cannot be written either)
        pass
    sys.exit(2)


def _quiet_streams() -> None:
    import os

    try:  # nothing more may be written to a closed pipe, not even at interpreter exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass
