"""Reporters: a list of problems to text for people, JSON for tools, GitHub annotations, SARIF.

Each reporter is a function from problems to a string, so its exact output is testable. Text and
JSON name files from the working folder, normalised (engine.problems.shown_path); GitHub annotations and SARIF
name them from ``root``, the top of the checkout (engine.source.project.checkout_root), as GitHub
places them on the repository's files whatever folder the command ran in. ``root`` is one folder,
or a function giving each file's own (engine.source.project.report_roots: files of several
checkouts, each named from its own).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePath
from urllib.parse import quote

from engine.problems import CODES, Problem, one_line, shown_path, shown_text

# where a report CI reads names files from: one folder for every file, a function giving each
# file's own (None: no checkout), or None
Root = str | Callable[[str], str | None] | None


def root_of(root: Root, file: str) -> str | None:
    """The folder ``file`` is named from in a report given ``root``."""
    return root(file) if callable(root) else root


def text(
    problems: Sequence[Problem],
    files: int,
    sources: Mapping[str, str] | None = None,
    root: str | None = None,
    kind: str = "",
) -> str:
    """`path:line:col: error[CODE]: message`, a hint line, and the source line when given; ``kind``:
    what the files counted are (`summary`)."""
    out = []
    for p in problems:
        out.append(str(p))
        source = (sources or {}).get(p.file)
        if source is not None:
            lines = source.splitlines()
            if 0 < p.line <= len(lines):
                shown = lines[p.line - 1].expandtabs(1)
                out.append(f"    {shown}")
                out.append("    " + " " * (p.col - 1) + "^")
        if p.hint:
            out.append(f"  hint: {shown_text(p.hint)}")
    out.append(summary(problems, files, kind))
    return "\n".join(map(one_line, out)) + "\n"


# what `test`, `i18n` and the questions (`decide`, `show`, ...) count when the repository's own
# problems stop them: its YAML files, which is all they read and check; `validate` and `build`
# count its templates and catalogs too ("1 error in 1 of 6 files" beside `test`'s "of 5" read as
# two counts of one thing that disagreed)
YAML = "YAML"


def summary(problems: Sequence[Problem], files: int, kind: str = "") -> str:
    """The last line of a report: `N files checked: no problems`, `1 error in 1 of N files`;
    ``kind`` says which files were counted when not every kind a check reads (`of 5 YAML files`)."""
    noun = ("file" if files == 1 else "files") if not kind else f"{kind} {'file' if files == 1 else 'files'}"
    if not problems:
        return f"{files} {noun} checked: no problems"
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    touched = len({p.file for p in problems})
    parts = [f"{errors} error{'s' if errors != 1 else ''}"] + (
        [f"{warnings} warning{'s' if warnings != 1 else ''}"] if warnings else []
    )
    return f"{' and '.join(parts)} in {touched} of {files} {noun}"


def as_json(
    problems: Sequence[Problem],
    files: int,
    sources: Mapping[str, str] | None = None,
    root: str | None = None,
    ok: bool | None = None,
) -> str:
    """`ok` (whether the command passed; default: no error), `files`, `problems`: the keys `test`,
    `build` and `i18n check` JSON share."""
    return json.dumps(body(problems, files, ok), indent=2, ensure_ascii=False) + "\n"


def body(problems: Sequence[Problem], files: int, ok: bool | None = None) -> dict[str, object]:
    """`as_json`'s object: also what `show`, `history` and `decide` print in JSON when the
    repository's problems (or another refusal that exits 1) stop them, so a script reading their
    output gets the problems in the one shape, not empty input."""
    return {
        "ok": ok if ok is not None else not any(p.severity == "error" for p in problems),
        "files": files,
        "problems": [p.to_json() for p in problems],
    }


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def from_root(file: str, root: str | None) -> str | None:
    """``file`` relative to ``root`` with `/` between names, or None when it is not below ``root``
    (or names no file: `<command line>`)."""
    if root is None or file.startswith("<"):
        return None
    rel = os.path.relpath(os.path.realpath(file), root)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return None
    return PurePath(rel).as_posix()


def _from_root(text: str, root: Root) -> str:
    """A message or hint whose paths are named as `github` and `sarif` name files: each from its
    root (engine.problems.shown_text; one outside it, from the working folder)."""
    return shown_text(text, None if root is None else lambda f: from_root(f, root_of(root, f)) or shown_path(f))


def github(problems: Sequence[Problem], files: int, sources: Mapping[str, str] | None = None, root: Root = None) -> str:
    """GitHub Actions workflow commands: one annotation per problem on the changed line. A file is
    named from its root (GITHUB_WORKSPACE, else git's top level), as GitHub names the repository's
    files; one outside it by its absolute path; with no root, as the problem names it."""
    out = []
    for p in problems:
        level = "error" if p.severity == "error" else "warning"
        title = f"title={_escape_property(p.code)}"
        if p.file.startswith("<"):
            # a problem of no file (`<command line>`): an annotation of the run, with no place (it
            # was named as a file of the working folder, `/work/<command line>`, at line 1)
            out.append(f"::{level} {title}::{_escape_data(_message(p, root))}")
            continue
        top = root_of(root, p.file)
        rel = from_root(p.file, top)
        file = rel if rel is not None else os.path.normpath(p.file) if top is None else os.path.abspath(p.file)
        props = f"file={_escape_property(file)},line={p.line},col={p.col},{title}"
        out.append(f"::{level} {props}::{_escape_data(_message(p, root))}")
    return "\n".join(out) + ("\n" if out else "")


def _message(p: Problem, root: Root) -> str:
    """An annotation's message: the problem's, and its hint on a line of its own."""
    return _from_root(p.message, root) + (f"\nhint: {_from_root(p.hint, root)}" if p.hint else "")


SRCROOT = "%SRCROOT%"


def _artifact(file: str, root: str) -> dict[str, str]:
    """A SARIF artifact location: relative to %SRCROOT% (the checkout's top) when the file is below
    it, as code scanning reads a relative path from the repository's root; else an absolute
    `file://` URI (which has no `uriBaseId`). URI references: `#` would start a fragment, `%20` read
    as a space."""
    rel = from_root(file, root)
    if rel is not None:
        return {"uri": quote(rel, safe="/"), "uriBaseId": SRCROOT}
    return {"uri": Path(os.path.abspath(file)).as_uri()}


def sarif(problems: Sequence[Problem], files: int, sources: Mapping[str, str] | None = None, root: Root = None) -> str:
    """SARIF 2.1.0, the format code-scanning tools ingest: a run per checkout, each file in the run
    of its root (the checkout's top, else the working folder), given in `originalUriBaseIds` as
    %SRCROOT%; one run when every file is in one checkout (or there are no problems). A problem of
    no file (`<command line>`) is a notification of the first run's invocation, not a result: code
    scanning refuses a whole upload holding a result with no location ("expected at least one
    location"), and a `file://` URI of `<command line>` named a file of no repository."""
    here = os.path.realpath(os.getcwd())
    runs: dict[str, list[Problem]] = {}
    unplaced = [p for p in problems if p.file.startswith("<")]
    for p in problems:
        if not p.file.startswith("<"):
            runs.setdefault(root_of(root, p.file) or here, []).append(p)
    if not runs:
        # the working folder's checkout (a file in it asks for its root): %SRCROOT% was the working
        # folder itself, a source root that changed with the folder a clean check ran in
        runs[root_of(root, os.path.join(here, "-")) or here] = []
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [_run(mine, top, unplaced if i == 0 else ()) for i, (top, mine) in enumerate(runs.items())],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _run(problems: Sequence[Problem], root: str, unplaced: Sequence[Problem] = ()) -> dict[str, object]:
    """One SARIF run: the problems of the files below ``root``, named from it, and ``unplaced``,
    those of no file, as notifications of its invocation."""
    used = sorted({p.code for p in [*problems, *unplaced]})
    # (no `helpUri`: policyctl has no page per code; an address under `.invalid` never resolves.
    # Code scanning requires `shortDescription`, `fullDescription` and `help` texts.)
    rules = [
        {
            "id": code,
            "shortDescription": {"text": CODES.get(code, code)},
            "fullDescription": {"text": f"{code}: {CODES.get(code, code)}."},
            "help": {"text": f"{CODES.get(code, code)}. `policyctl validate --list-codes` lists every code."},
        }
        for code in used
    ]
    results = [
        {
            "ruleId": p.code,
            "ruleIndex": used.index(p.code),
            "level": _level(p),
            "message": {"text": _said(p, root)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact(p.file, root),
                        "region": {"startLine": p.line, "startColumn": p.col},
                    }
                }
            ],
        }
        for p in problems
    ]
    driver: dict[str, object] = {"name": "policyctl"}
    version = _version()
    if version is not None:  # (code scanning tells a change of tool from a change of code by it)
        driver["version"] = version
    driver["rules"] = rules
    run: dict[str, object] = {
        "tool": {"driver": driver},
        # (a base URI ends with `/`; the relative URIs are resolved against it)
        "originalUriBaseIds": {SRCROOT: {"uri": Path(root).as_uri().rstrip("/") + "/"}},
        "results": results,
    }
    if unplaced:
        run["invocations"] = [
            {
                "executionSuccessful": not any(p.severity == "error" for p in unplaced),
                "toolExecutionNotifications": [
                    {
                        "level": _level(p),
                        "message": {"text": _said(p, root)},
                        "associatedRule": {"id": p.code, "index": used.index(p.code)},
                    }
                    for p in unplaced
                ],
            }
        ]
    return run


def _level(p: Problem) -> str:
    return "error" if p.severity == "error" else "warning"


def _said(p: Problem, root: str) -> str:
    """A result's message: the problem's, and its hint in brackets."""
    return _from_root(p.message, root) + (f" (hint: {_from_root(p.hint, root)})" if p.hint else "")


def _version() -> str | None:
    """policyctl's version as installed, or None (run from a checkout never installed)."""
    from importlib import metadata

    try:
        return metadata.version("policyctl")
    except metadata.PackageNotFoundError:
        return None


REPORTERS: dict[str, Callable[..., str]] = {"text": text, "json": as_json, "github": github, "sarif": sarif}
