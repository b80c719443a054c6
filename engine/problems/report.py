"""Reporters: a list of problems to text for people, JSON for tools, GitHub annotations, SARIF.

Each reporter is a pure function from problems to a string, so its exact output is testable.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import quote

from engine.problems import CODES, Problem, one_line


def text(problems: Sequence[Problem], files: int, sources: Mapping[str, str] | None = None) -> str:
    """`path:line:col: error[CODE]: message`, a hint line, and the source line when given."""
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
            out.append(f"  hint: {p.hint}")
    out.append(summary(problems, files))
    return "\n".join(map(one_line, out)) + "\n"


def summary(problems: Sequence[Problem], files: int) -> str:
    noun = "file" if files == 1 else "files"
    if not problems:
        return f"{files} {noun} checked: no problems"
    errors = sum(1 for p in problems if p.severity == "error")
    warnings = len(problems) - errors
    touched = len({p.file for p in problems})
    parts = [f"{errors} error{'s' if errors != 1 else ''}"] + (
        [f"{warnings} warning{'s' if warnings != 1 else ''}"] if warnings else []
    )
    return f"{' and '.join(parts)} in {touched} of {files} {noun}"


def as_json(problems: Sequence[Problem], files: int, sources: Mapping[str, str] | None = None) -> str:
    body = {
        "files": files,
        "problems": [p.to_json() for p in problems],
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def _escape_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(s: str) -> str:
    return _escape_data(s).replace(":", "%3A").replace(",", "%2C")


def github(problems: Sequence[Problem], files: int, sources: Mapping[str, str] | None = None) -> str:
    """GitHub Actions workflow commands: one annotation per problem on the changed line."""
    out = []
    for p in problems:
        level = "error" if p.severity == "error" else "warning"
        props = f"file={_escape_property(p.file)},line={p.line},col={p.col},title={_escape_property(p.code)}"
        message = p.message + (f"\nhint: {p.hint}" if p.hint else "")
        out.append(f"::{level} {props}::{_escape_data(message)}")
    return "\n".join(out) + ("\n" if out else "")


def sarif(problems: Sequence[Problem], files: int, sources: Mapping[str, str] | None = None) -> str:
    """SARIF 2.1.0, the format code-scanning tools ingest."""
    used = sorted({p.code for p in problems})
    # (no `helpUri`: policyctl has no page per code; an address under `.invalid` never resolves)
    rules = [
        {
            "id": code,
            "shortDescription": {"text": CODES.get(code, code)},
            "help": {"text": f"{CODES.get(code, code)}. `policyctl validate --list-codes` lists every code."},
        }
        for code in used
    ]
    results = [
        {
            "ruleId": p.code,
            "ruleIndex": used.index(p.code),
            "level": "error" if p.severity == "error" else "warning",
            "message": {"text": p.message + (f" (hint: {p.hint})" if p.hint else "")},
            "locations": [
                {
                    "physicalLocation": {
                        # a URI reference: `#` would start a fragment, `%20` read as a space
                        "artifactLocation": {"uri": quote(p.file.replace("\\", "/"), safe="/")},
                        "region": {"startLine": p.line, "startColumn": p.col},
                    }
                }
            ],
        }
        for p in problems
    ]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "policyctl", "rules": rules}},
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


REPORTERS: dict[str, Callable[..., str]] = {"text": text, "json": as_json, "github": github, "sarif": sarif}
