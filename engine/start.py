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
    from engine.problems import PolicyError

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
        for p in e.problems:
            where = "" if p.file == "<command line>" else f"{p.file}:{p.line}:{p.col}: "
            sys.stderr.write(
                f"policyctl: {where}error[{p.code}]: {p.message}" + (f"\n  hint: {p.hint}" if p.hint else "") + "\n"
            )
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
    """The `policyctl` console script, `python -m engine` and `python cli.py`."""
    argv = sys.argv[1:]
    try:
        code = answer(argv)
        if code is None:
            from engine.cli import main

            main(prog_name="policyctl")  # (exits)
    except BrokenPipeError:  # as click's standalone mode: a reader that went away is exit 1, quietly
        _quiet_streams()
        sys.exit(1)
    except OSError as e:  # what no command handles: most often the output, on a full disk
        _failed(e)
    sys.exit(code)


def _failed(e: OSError) -> NoReturn:
    """A read or write that failed where no command expected it (the output on a full disk or a
    failing device, a file removed while it was read): one line and a hint, as every error, never
    a traceback; exit 2, as when the output is a folder that may not be written."""
    _quiet_streams()  # (the rest of the output cannot be written either, not even at exit)
    what = f"a read or write of {e.filename}" if e.filename else "a read or write"
    try:
        sys.stderr.write(
            f"policyctl: error: {what} failed: {e.strerror or e}\n"
            "  hint: make room or write the output elsewhere, then run it again\n"
        )
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
