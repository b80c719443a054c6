"""`policyctl bundle`: make a bundle from a clean repository, or verify one.

Returns values; ``cli.py`` prints them. The bundle is written next to its final name and renamed
into place, so a service reading the old bundle never sees half a new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.problems import PolicyError, Problem
from engine.source.atomic import write_atomic


@dataclass(frozen=True)
class Made:
    problems: list[Problem] = field(default_factory=list)  # errors of the repository: nothing was written
    files: int = 0
    size: int = 0
    sha256: str = ""
    revision: str = ""  # fileformat.revision: what the service answers with, in `Policy-Revision`
    signed: bool = False
    refused: tuple[str, str] | None = None  # (why, hint): ``out`` is not a file to write over (a usage error)
    data: bytes = b""  # the bundle, when it was asked for on standard output (``out`` is STDOUT)


STDOUT = "-"  # `--out -`: the bundle goes to standard output


def out_refusal(out: str, root: str) -> tuple[str, str] | None:
    """Why the bundle must not be written to ``out`` (engine.commands.outputs), or None: a new
    file, or one that already holds a bundle; standard output (STDOUT)."""
    from engine.bundle.fileformat import MAGIC
    from engine.commands.outputs import refusal

    head = b'{"bundle":"' + MAGIC.encode() + b'"'
    if out == STDOUT:
        return None
    hint = "give a new file name, e.g. --out policies.bundle beside the policies folder"
    return refusal("--out", out, root, "a bundle", lambda first: first.startswith(head), hint)


def make(root: str, out: str) -> Made:
    """Load ``root``; when it has no errors, write its bundle to ``out`` (STDOUT: keep it in
    ``Made.data`` for the command line to print). OSError when writing fails."""
    from engine.bundle import fileformat
    from engine.bundle.make import make as make_bytes
    from engine.model.repository import load

    refused = out_refusal(out, root) or fileformat.key_refusal()
    if refused is not None:
        return Made(refused=refused)
    repo = load(root)
    errors = [p for p in repo.problems if p.severity == "error"]
    if errors:
        return Made(errors, len(repo._documents))
    data = make_bytes(repo)
    if out != STDOUT:
        write_atomic(out, data)  # (a bundle is deployed: readable as any new file, not only by its maker)
    return Made(
        [],
        len(repo._documents),
        len(data),
        fileformat.sha256(data),
        fileformat.revision(data),
        fileformat.key() is not None,
        data=data if out == STDOUT else b"",
    )


@dataclass(frozen=True)
class Verified:
    problems: list[Problem]
    summary: list[str]  # what the bundle holds, for people


def verify(path: str) -> Verified:
    """Check every digest (and the signature, when POLICYCTL_BUNDLE_KEY is set), then that every
    decision can be rebuilt from it and every section read (``Bundle.check``)."""
    from engine.bundle import fileformat
    from engine.bundle.load import from_opened

    try:
        data = fileformat.read_file(path)
        bundle = from_opened(fileformat.name(path), fileformat.verify(fileformat.name(path), data))
        bundle.check()  # every decision rebuilt, every timeline and test case read
    except PolicyError as e:
        return Verified(e.problems, [])
    m: dict[str, Any] = bundle.manifest
    decisions = sum(len(bundle.decisions(p)) for p in bundle.programs)
    signature = (
        "signed, signature verified"
        if bundle.signature_checked
        else f"signed (set {fileformat.KEY_VARIABLE} to check the signature)"
        if bundle.signed
        else "not signed"
    )
    summary = [
        f"revision {fileformat.revision(data)} (the service's `Policy-Revision`)",
        f"programs: {', '.join(bundle.programs)}; {decisions} decisions; {len(bundle.cases())} test cases",
        f"made by policyctl {m['engine']['version']} (engine {m['engine']['sources']}) on Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["dependencies"].items()),
        f"{len(m['sources'])} source files; {signature}",
    ]
    return Verified([], summary)
