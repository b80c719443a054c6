"""Reporters for `policyctl test`: failures as text, coverage, JUnit XML, and the summary line.

Pure functions from outcomes to strings, so each output is testable exactly. The summary line
`N passed, N failed` is read by CI tooling: the CLI prints it last.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from engine.policytests.cases import MISSING, NotRun, Outcome, show
from engine.policytests.coverage import Coverage
from engine.problems import Problem, one_line, shown_path, shown_text

if TYPE_CHECKING:
    from engine.problems.report import Root


def summary(outcomes: Sequence[Outcome], left_out: Sequence[NotRun] = (), errors: Sequence[Problem] = ()) -> str:
    """`N passed, N failed`, the cases of tests files with errors that did not run, and the
    repository's other errors, which fail the run too (``errors``: those said with no case)."""
    passed = sum(o.passed for o in outcomes)
    return f"{passed} passed, {len(outcomes) - passed} failed" + not_run(left_out) + other_errors(errors, left_out)


def other_errors(errors: Sequence[Problem], left_out: Sequence[NotRun] = ()) -> str:
    """`, 1 error in policies/x/tests/y.yaml`: the errors that fail the run besides its cases, not
    in a file the cases not run already blame (a case of a file `-k` left out, a decision no case
    asks): without it the line read "6 passed, 0 failed" and the run failed."""
    blamed = {n.errors_in for n in left_out}
    mine = [p for p in errors if p.severity == "error" and p.file not in blamed]
    if not mine:
        return ""
    files = sorted({p.file for p in mine})
    noun = f"error{'s' if len(mine) != 1 else ''}"
    return f", {len(mine)} {noun} in " + (shown_path(files[0]) if len(files) == 1 else f"{len(files)} files")


def not_run(left_out: Sequence[NotRun]) -> str:
    """`, 2 not run (policies/x/tests/y.yaml has errors)`; empty when every selected case ran."""
    if not left_out:
        return ""
    counted = sum(n.cases or 0 for n in left_out)
    unknown = any(n.cases is None for n in left_out)
    blamed = sorted({n.errors_in for n in left_out})
    if len(blamed) == 1:
        where = f"{shown_path(blamed[0])} has errors"
    else:
        where = f"{len(blamed)} files have errors"
    if unknown and not counted:
        return f", their cases not run ({where})"
    return f", {counted}{' or more' if unknown else ''} not run ({where})"


def where(o: Outcome, name: Callable[[str], str] = shown_path) -> str:
    return f"{name(o.pos.file)}:{o.pos.line}"


def failures(outcomes: Sequence[Outcome], verbose: bool = False, name: Callable[[str], str] | None = None) -> str:
    """A block per failed test (expected vs actual, problems, `file:line`); with ``verbose`` a line
    per pass. Files are named from the working folder (engine.problems.shown_path), or by ``name``
    (a JUnit report: as its `file` attributes, from the checkout's top)."""
    named = name or shown_path
    out: list[str] = []
    for o in outcomes:
        if o.passed:
            if verbose:
                out.append(f"ok   {where(o, named)}: {o.name}")
            continue
        out.append(f"FAIL {where(o, named)}: {o.name}")
        out.append(f"  {o.context}")
        for m in o.mismatches:
            out.append(f"  {m.key}: expected {show(m.expected)}, got {show(m.actual)}")
        for p in o.problems:
            out.append(f"  {named(p.file)}:{p.line}:{p.col}: error[{p.code}]: {shown_text(p.message, name)}")
            if p.hint:
                out.append(f"    hint: {shown_text(p.hint, name)}")
        out += [f"  {note}" for note in o.notes]
    return "".join(one_line(line) + "\n" for line in out)  # a test name holding `\n::error::` stays one line


def as_problems(outcomes: Sequence[Outcome], errors: Sequence[Problem] = ()) -> list[Problem]:
    """A run's failures as problems, for the formats CI reads (`test --format github|sarif`, through
    `validate`'s writers, engine.problems.report): the repository's errors (``errors``, which left
    cases out or fail the run besides them), then each failed test at its case, T001 (a boundary
    check's T003, as in JUnit) with what differed, and the problems a test failed with, each at its
    own place with its own code. Values and what was asked are in backticks: as written, never
    taken for paths (engine.problems.shown_text)."""
    out: dict[Problem, None] = dict.fromkeys(errors)
    for o in outcomes:
        if o.passed:
            continue
        if o.mismatches:
            differed = "; ".join(
                f"`{m.key}`: expected {_said(m.expected)}, got {_said(m.actual)}" for m in o.mismatches
            )
            code = "T003" if o.kind == "boundary" else "T001"
            asked = "; ".join([f"asked `{o.context}`", *o.notes])
            out[Problem(o.pos.file, o.pos.line, o.pos.col, code, f"test `{o.name}` failed: {differed}", asked)] = None
        out.update(dict.fromkeys(o.problems))  # (one problem of several boundary checks: said once)
    return list(out)


def _said(value: object) -> str:
    return show(value) if value is MISSING else f"`{show(value)}`"


def coverage(cov: Coverage, fail_under: float | None = None) -> str:
    rows, bands = cov.count("row"), cov.count("band")
    threshold = f" (required: {fail_under:g}%)" if fail_under is not None else ""
    out = [
        f"coverage: {rows[0]} of {rows[1]} rows, {bands[0]} of {bands[1]} tier bands: "
        f"{_percent(cov.percent)}{threshold}"
    ]
    for program in dict.fromkeys(i.program for i in cov.missing):
        out.append(f"  {program}:")
        out += [f"    {shown_path(i.pos.file)}:{i.pos.line}: {i.label}" for i in cov.missing if i.program == program]
    return "".join(line + "\n" for line in out)


def _percent(value: float) -> str:
    # never round up to 100: "100%" must mean nothing is missing
    text = f"{int(value * 10) / 10:.1f}"
    return ("100" if value == 100 else text) + "%"


def junit(outcomes: Sequence[Outcome], seconds: float = 0.0, left_out: Sequence[NotRun] = (), top: Root = None) -> str:
    """JUnit XML: a <testsuite> per program, a <testcase> per case or boundary check, with file and
    line; a tests file whose cases did not run (``left_out``) is a <testcase> with an <error>.
    ``top``: the checkout's top (engine.source.project.checkout_root), or a function giving each
    file's (engine.source.project.report_roots), which each `file` is named
    from, as the readers of JUnit reports in CI take it (see `junit_file`); so are the files a
    failure's or error's text names, as the `file` beside it."""

    def name(file: str) -> str:
        return junit_file(file, top)

    root = ET.Element(
        "testsuites",
        name="policyctl",
        tests=str(len(outcomes) + len(left_out)),
        failures=str(sum(not o.passed for o in outcomes)),
        errors=str(len(left_out)),
        time=f"{seconds:.3f}",
    )
    for program in dict.fromkeys([o.program for o in outcomes] + [n.program for n in left_out]):
        mine = [o for o in outcomes if o.program == program]
        theirs = [n for n in left_out if n.program == program]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=program,
            tests=str(len(mine) + len(theirs)),
            failures=str(sum(not o.passed for o in mine)),
            errors=str(len(theirs)),
            skipped="0",
        )
        for n in theirs:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=_xml(program),
                name=_xml(name(n.file)),
                file=_xml(name(n.file)),
            )
            said = (
                f"{name(n.problem.file)}:{n.problem.line}:{n.problem.col}: {shown_text(n.problem.message, name)}"
                if n.problem
                else "errors"
            )
            error = ET.SubElement(case, "error", message=_xml(f"its cases did not run: {said}"), type="not run")
            error.text = _xml(f"{name(n.file)}: {n.cases if n.cases is not None else 'its'} cases not run: {said}")
        for o in mine:
            kind = ".boundaries" if o.kind == "boundary" else ""
            case = ET.SubElement(
                suite,
                "testcase",
                classname=_xml(f"{o.program}.{o.decision}{kind}"),
                name=_xml(o.name),
                file=_xml(name(o.pos.file)),
                line=str(o.pos.line),
            )
            if not o.passed:
                failure = ET.SubElement(
                    case, "failure", message=_xml(_message(o)), type="T003" if o.kind == "boundary" else "T001"
                )
                failure.text = _xml(failures([o], name=name))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# What XML 1.0 cannot hold at all, escaped or not (a control character in a test's name made the
# report not well-formed: CI's JUnit reader refused the whole file)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def junit_file(file: str, root: Root) -> str:
    """A `file` of a JUnit report: from ``root``, the checkout's top, with `/` between names, as the
    readers of these reports take it: GitLab links a test to `file` in the repository,
    mikepenz/action-junit-report annotates `file` as a path from the repository's top (an absolute
    one under GITHUB_WORKSPACE too), dorny/test-reporter keeps it only when it is a file git tracks
    (from the top). A file outside ``root`` by its absolute path (as GitHub annotations name it);
    with no ``root`` (no checkout), or a file not here (a bundle's cases), from the working folder."""
    from engine.problems.report import from_root, root_of

    top = root_of(root, file)
    if top is None or not os.path.exists(file):
        return shown_path(file)
    rel = from_root(file, top)
    return rel if rel is not None else os.path.abspath(file)


def _xml(text: str) -> str:
    """``text`` with what XML cannot hold shown as an escape (`\\x01`)."""
    return _NOT_XML.sub(
        lambda m: f"\\u{ord(m.group()):04x}" if ord(m.group()) > 0xFF else f"\\x{ord(m.group()):02x}", text
    )


def _message(o: Outcome) -> str:
    if o.mismatches:
        m = o.mismatches[0]
        more = f" (and {len(o.mismatches) - 1} more)" if len(o.mismatches) > 1 else ""
        return f"{m.key}: expected {show(m.expected)}, got {show(m.actual)}{more}"
    return o.problems[0].message if o.problems else "failed"
