"""Helpers shared by the tests (fixtures live in conftest.py): where things are, editing a file,
running the command line in-process."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
MINI = CORPUS / "repos" / "mini"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def run_cli(*args: str, cwd: Path | None = None, stdin: str | None = None) -> CliRun:
    """Run cli.py's click app in-process (fast) and return exit code and output."""
    from click.testing import CliRunner

    import cli

    runner = CliRunner()
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        result = runner.invoke(cli.main, list(args), input=stdin, catch_exceptions=True)
    finally:
        os.chdir(old)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliRun(result.exit_code, result.stdout, result.stderr)


class CliRun:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"CliRun(code={self.code}, out={self.out[:500]!r}, err={self.err[:500]!r})"

