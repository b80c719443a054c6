"""`policyctl test`: run the policy test cases (and boundary checks), measure coverage.

Returns a `TestRun`; never prints, never exits. `junit_target` says whether a JUnit file may be
written where it was asked for; `-` (STDOUT) keeps the report in `TestRun.junit_text` for the
command line to print.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine.problems import Problem

STDOUT = "-"  # `--junit -`: the report goes to standard output


@dataclass
class TestRun:
    __test__ = False  # not a pytest class

    usage: tuple[str, str] | None = None  # (message, hint): exit 2
    errors: list[Problem] = field(default_factory=list)  # the repository's own problems
    files: int = 0
    outcomes: list[Any] = field(default_factory=list)  # engine.policytests.cases.Outcome
    not_run: list[Any] = field(default_factory=list)  # engine.policytests.cases.NotRun: files left out by errors
    coverage: Any = None  # engine.policytests.coverage.Coverage, when asked for
    fail_under: float | None = None
    seconds: float = 0.0
    junit_text: str | None = None  # the JUnit report asked for on standard output (`--junit -`)

    @property
    def low(self) -> bool:
        return self.coverage is not None and self.fail_under is not None and self.coverage.percent < self.fail_under

    @property
    def exit_code(self) -> int:
        if self.usage is not None:
            return 2
        return 1 if self.errors or self.not_run or self.low or not all(o.passed for o in self.outcomes) else 0


def test_root(path: str | None, root: str) -> tuple[str | None, tuple[str, str] | None]:
    """The policies folder: the one holding PATH, else ``root``; or why there is none."""
    from engine.source import layout, project

    if path is None:
        return root, None
    if not os.path.exists(path):
        return None, (f"no such file or folder: {path}", "give a policies folder, a program folder or a tests file")
    found = project.policies_of_top(path) or layout.find_root(path)  # (a top: the whole repository)
    if found is None:
        return None, (f"{path} is not inside a policies folder", "a policies folder holds marketplaces.yaml")
    inside = os.path.commonpath([found, os.getcwd()]) == os.getcwd()
    return (os.path.relpath(found) if inside else found), None  # short paths in messages, never ../../..


def junit_target(file: str, root: str) -> tuple[str, str] | None:
    """Why the JUnit report must not be written to ``file`` (message, hint), or None: never over a
    folder, a link, a device or pipe, a policy source, a file in the policies folder, or a file
    that is not a JUnit report (engine.commands.outputs)."""
    from engine.commands.outputs import refusal

    if file == STDOUT:
        return None
    hint = "give a new file name, e.g. --junit policy-tests.xml"
    return refusal("--junit", file, root, "a JUnit report", lambda head: b"<testsuites" in head, hint)


def run(
    root: str,
    path: str | None = None,
    keyword: str | None = None,
    coverage: bool = False,
    fail_under: float | None = None,
    boundaries: bool = False,
    junit: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TestRun:
    """Run the cases below ``path`` (or every case of ``root``); with ``junit``, also write the
    JUnit report there. Raises engine.PolicyError when the repository cannot be loaded at all."""
    from engine import load
    from engine.policytests import boundaries as bounds
    from engine.policytests import cases as testing
    from engine.policytests import coverage as cov

    started = time.monotonic()
    found, usage = test_root(path, root)
    if found is None:
        return TestRun(usage=usage)
    from engine.source import project

    if path is not None and project.policies_of_top(path) is not None:
        path = None  # a repository's top: the whole repository, as `validate .`
    if junit is not None:
        refused = junit_target(junit, found)
        if refused is not None:
            return TestRun(usage=refused)
    repo = load(found)
    out = TestRun(
        errors=[p for p in repo.problems if p.severity == "error"], files=len(repo._documents), fail_under=fail_under
    )
    selected, held = testing.held_back(repo, testing.cases(repo, path, keyword))
    out.not_run = sorted(testing.not_run(repo, path, keyword) + held, key=lambda n: (n.file, n.errors_in))
    if keyword and not selected and not out.not_run:
        return TestRun(usage=_no_match(keyword))
    if path is not None and not selected and not out.errors and testing.cases(repo, None, None):
        # (as `-k`: a path that selects no case is a mistake, e.g. a program.yaml for its tests;
        # a repository with no case at all, or with errors that left its cases out, is not)
        return TestRun(usage=(f"no test case in `{path}`", "give a tests file or a folder that holds one"))
    tell = progress or (lambda done, total: None)
    own = testing.own_errors(repo, selected)  # a case with errors of its own fails with them, unrun
    for i, case in enumerate(selected):
        tell(i, len(selected))
        mine = own.get(case.pos)
        out.outcomes.append(testing.failed(case, mine) if mine else testing.run_case(repo, case))
    tell(len(selected), len(selected))
    # a case's errors (T002, D004) are the repository's problems (`validate` says them) and the
    # case's failure, at the same place in the same words: said once, with the case
    said = {p for o in out.outcomes for p in o.problems}
    out.errors = [p for p in out.errors if p not in said]
    if boundaries:
        # (a case with errors of its own, a `boundaries:` naming what is not there among them, gives
        # no plan: it failed with them)
        out.outcomes += [
            o
            for plan in bounds.plans(repo, [c for c in selected if c.pos not in own])
            for o in bounds.check(repo, plan)
        ]
    if coverage or fail_under is not None:
        out.coverage = cov.measure(repo, cov.in_scope(repo, path), out.outcomes)
    out.seconds = time.monotonic() - started
    _write_junit(out, junit)
    return out


def _no_match(keyword: str) -> tuple[str, str]:
    """A `-k` that selects nothing is a mistyped filter, never a green run."""
    return f"no test case matches `-k {keyword}`", "`policyctl test -v` lists every case"


def _write_junit(out: TestRun, junit: str | None) -> None:
    if junit is None:
        return
    from engine.policytests import report
    from engine.source.atomic import write_atomic
    from engine.source.project import report_roots

    # (each file named from its checkout's top, as GitHub's and GitLab's readers of the report take
    # them: a bundle's cases too, not from the working folder's checkout)
    text = report.junit(out.outcomes, out.seconds, out.not_run, report_roots())
    if junit == STDOUT:
        out.junit_text = text
        return
    try:
        write_atomic(junit, text)
    except OSError as e:
        out.usage = (f"cannot write {junit}: {e.strerror or e}", "give a file in a folder you can write")


def run_bundle(
    bundle: Any,
    keyword: str | None = None,
    junit: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TestRun:
    """Run the cases a loaded bundle (engine.load_bundle) holds, against the bundle."""
    from engine.policytests import cases as testing

    started = time.monotonic()
    if junit is not None:
        refused = junit_target(junit, os.getcwd() + os.sep + ".no-policies-folder")
        if refused is not None:
            return TestRun(usage=refused)
    out = TestRun()
    bundle.check()  # (a bundle of another shape refused as a whole, B004, before any case runs)
    selected = bundle.cases(keyword)
    if keyword and not selected:
        return TestRun(usage=_no_match(keyword))
    tell = progress or (lambda done, total: None)
    for i, case in enumerate(selected):
        tell(i, len(selected))
        out.outcomes.append(testing.run_case(bundle, case))
    tell(len(selected), len(selected))
    out.seconds = time.monotonic() - started
    _write_junit(out, junit)
    return out
