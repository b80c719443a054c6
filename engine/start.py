"""The `policyctl` process's entry: the common commands answered without click, the rest by click.

A service or batch job that starts `policyctl decide PROGRAM.DECISION -m MP [--at DATE] --bundle
FILE --input FILE|-` pays for its start-up once per answer, and click's import and the command
tree (engine/cli.py) cost more than the answer. So exactly that form, each option given once and
spelt as the help shows it, is answered here with the same engine calls the click command makes;
so is the same form from the repository (`--root DIR` or the one holding the working folder,
instead of `--bundle`), and `validate [PATH ...]` whose report goes to a file or a pipe (the
pre-commit hook, CI; ~a fifth of its process on a small repository was click and the command
tree). Anything else (another option, `--opt=value`, a value that looks like an option, a missing
or repeated option, a bundle, repository or question that yields a problem, an input that cannot
be opened, a path that is not there, a report for a terminal) goes to click before any input is
read or anything is written, so output, messages and exit codes are click's own.
`tests/test_start.py` compares both paths' bytes and exit codes.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from typing import TextIO

    from engine.source.project import Project

# option spellings -> the one name each stands for (as engine/cli.py's `decide` declares them)
_OPTIONS = {
    "-m": "m",
    "--marketplace": "m",
    "--at": "at",
    "--bundle": "bundle",
    "--input": "input",
    "-i": "input",
    "--root": "root",
}


def parse(argv: list[str]) -> dict[str, str] | None:
    """The fast form's values, or None when click must read ``argv``."""
    if len(argv) < 6 or argv[0] != "decide":
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
    if not {"target", "m", "input"} <= found.keys() or dot <= 0 or dot == len(target) - 1:
        return None
    if ("bundle" in found) == ("root" in found) and "root" in found:  # (both: click's to judge)
        return None
    return found


def answer(argv: list[str]) -> int | None:
    """Answer the fast form: its exit code, or None when click must run (nothing read yet)."""
    if argv[:1] == ["validate"]:
        return _validate(argv[1:])
    args = parse(argv)
    if args is None:
        return None
    from engine.problems import ASKED, PolicyError

    program, decision = args["target"].split(".", 1)
    marketplace, at = args["m"], args.get("at")
    try:  # every question the answer asks before it reads the input: a problem here is click's to tell
        if "bundle" in args:
            from engine.bundle.load import load_bundle

            repo = load_bundle(args["bundle"])
        else:
            repo = _repository(args.get("root"))
            if repo is None:
                return None
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


def _project(root: str | None) -> Project | None:
    """The repository as engine/cli.py's `--root` finds it (`_find_project`): the one ``root``
    names, else the one holding the working folder (None: none there). Raises ProjectError where
    click refuses it (a policyctl.toml it cannot use)."""
    from engine.source import project

    found = project.at(root) if root is not None else project.find()
    if found is not None and found.languages is not None:
        from engine.model.repository import marketplace_locales

        project.check_languages(found, marketplace_locales(found.policies))
    return found


def _repository(root: str | None) -> Any:
    """The repository `decide` answers from, loaded as engine/cli.py's `_repo_for_questions` loads
    it; None when click must tell something (no repository, a policyctl.toml it refuses, an error
    in its files). Raises PolicyError as loading does."""
    from engine.source.project import ProjectError

    try:
        found = _project(root)
    except ProjectError:
        return None
    if found is None:
        return None
    from engine.model.repository import load

    repo = load(found.policies_shown(root))
    if found.languages is not None:
        repo.languages = found.languages
    if any(p.severity == "error" for p in repo.problems):
        return None
    return repo


def _validate(paths: list[str]) -> int | None:
    """`validate [PATH ...]` (no option) as engine/cli.py's `validate` answers it, when its report
    goes to a file or a pipe: there click neither colours it nor shows the files' lines, and writes
    the report's text as it is (a text holding an escape character, which click would strip, is
    left to click). None when click must answer, before anything is written."""
    import io
    import os

    out = sys.stdout
    if not isinstance(out, io.TextIOWrapper) or out.isatty() or out.encoding.lower() not in ("utf-8", "utf8"):
        return None  # a terminal (colour, the files' lines); another stream or encoding (click rewraps it)
    if any(not path or path.startswith("-") or not os.path.exists(path) for path in paths):
        return None  # an option, standard input, a path that is not there: click's to tell
    from engine.source.project import ProjectError

    try:
        found = _project(None)  # (click's `--root` callback finds it even when paths are given)
    except ProjectError:
        return None
    if found is None and not paths:
        return None  # "no policy repository here": click's to tell
    from engine.commands.validate import validate
    from engine.console import Console

    progress = Console().progress("reading policy files")
    try:
        given = paths if paths or found is None else [found.policies_shown(None)]
        outcome = validate(given, progress=progress, languages=None if found is None else found.languages)
    finally:
        progress.close()
    if outcome.usage:  # (a path removed since it was looked at)
        return None
    strict = found is not None and found.strict
    failed = any(p.severity == "error" or strict for p in outcome.problems)
    from engine.problems import report

    text = report.text(outcome.problems, outcome.files, None)
    if "\033" in text:
        return None
    out.write(text)
    out.flush()
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
            try:
                code = answer(argv)
            except (EOFError, KeyboardInterrupt):  # (^C in a long validate) ended as click's
                # standalone mode ends a command: a blank line closing the terminal's ^C, exit 1
                sys.stderr.write("\nAborted!\n")
                code = 1
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
