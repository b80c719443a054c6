"""`policyctl init [DIR]`: write a small working policy repository to start from.

The starter is package data (engine/starter/): marketplaces, one program with typed parameters,
one overlay, one effective-dated change, one decision with its tests (worked examples among them),
a page template with English and German catalogs, policyctl.toml, editor settings mapping each file
kind to its schema (the schemas are written into `schemas/`), a pre-commit configuration and a
GitHub Actions workflow. Dot files are stored as `dot-NAME` so that packaging keeps them.

The folder may be new, empty, or a repository already started (`git clone` of a new GitHub
repository: `.git`, README.md, LICENSE, .gitignore), as `cargo init` and `npm init` allow. policyctl
never overwrites what it did not write: every path is checked before anything is written, and one
that is in the way (a file the starter would write, a file or link where it needs a folder, a
`policies/` or `generated_docs/` folder that is not empty) refuses the whole run, naming each. Two
files a repository usually starts with are its own: an existing README.md is kept as it is (the
starter's is not written), and an existing .gitignore gets the starter's lines it lacks appended
at its end (as `cargo init` does), nothing in it changed. No link is followed to write.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from engine import packaged

DOT = "dot-"
KEPT = "README.md"  # an existing one is the repository's own: kept, the starter's not written
IGNORE = ".gitignore"  # an existing one gets the starter's lines it lacks, appended
OWNED = ("policies", "generated_docs")  # folders the starter's repository reads or builds as its own whole


@dataclass
class Created:
    top: str
    files: list[str] = field(default_factory=list)  # written, relative to top, sorted
    kept: list[str] = field(default_factory=list)  # the repository's own, left as they were
    ignored: list[str] = field(default_factory=list)  # lines appended to an existing .gitignore
    refused: str | None = None  # why nothing was written (a usage problem), a sentence
    conflicts: list[str] = field(default_factory=list)  # with `refused`: "PATH: why", one per path in the way


_ONLY = ": policyctl init writes a repository into a folder"


def _starter_files() -> list[tuple[str, str]]:
    """(source path, path in the new repository) for every starter file, schemas included."""
    start = packaged.starter_dir()
    found = []
    for folder, dirs, files in os.walk(start):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            source = os.path.join(folder, name)
            rel = os.path.relpath(source, start).split(os.sep)
            found.append((source, "/".join("." + p[len(DOT) :] if p.startswith(DOT) else p for p in rel)))
    schemas = packaged.schema_dir()
    found += [(os.path.join(schemas, n), f"schemas/{n}") for n in sorted(os.listdir(schemas)) if n.endswith(".json")]
    return sorted(found, key=lambda pair: pair[1])


def _file_on_the_way(target: str) -> str | None:
    """``target`` or the nearest of its folders that exists, as the user spelt it, when that is not
    a folder (`init notes.txt/new`: no folder can be made below a file)."""
    here = target
    while here and not os.path.lexists(here):
        parent = os.path.dirname(here.rstrip(os.sep))
        if parent == here:
            break
        here = parent
    return here if here and os.path.lexists(here) and not os.path.isdir(here) else None


def _policies_around(target: str) -> str | None:
    """The policies folder ``target`` (which may not exist yet) would be inside, if any."""
    from engine.source import layout

    here = os.path.abspath(target)
    while not os.path.isdir(here):  # (the nearest folder that exists)
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent
    found = layout.find_root(here)
    if found is None:
        return None
    found = os.path.abspath(found)
    return found if os.path.commonpath([found, os.path.abspath(target)]) == found else None


def _in_the_way(target: str, rel: str) -> tuple[str, str] | None:
    """(the path, why) when something at or above ``rel`` in ``target`` keeps the starter from
    writing that file: a file or link where it needs a folder, or anything at the file's place."""
    parts = rel.split("/")
    for i in range(1, len(parts) + 1):
        here = "/".join(parts[:i])
        path = os.path.join(target, *parts[:i])
        if os.path.islink(path):
            return here, "a link (policyctl init does not write through links)"
        if not os.path.lexists(path):
            return None
        if i == len(parts):
            return here, "a folder, where the starter writes a file" if os.path.isdir(path) else "exists"
        if not os.path.isdir(path):
            return here, "a file, where the starter has a folder"
    return None


def _missing_ignores(path: str, starter: str) -> list[str]:
    """The lines of the starter's .gitignore (at ``starter``) the one at ``path`` lacks (`/x/`,
    `x/` and `x` alike)."""
    with open(path, "rb") as f:
        have = {line.strip().strip(b"/") for line in f.read().splitlines()}
    with open(starter, "rb") as f:
        wanted = f.read().splitlines()
    return [line.decode() for line in wanted if line.strip() and line.strip().strip(b"/") not in have]


def _plan(target: str, files: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[str], dict[str, str]]:
    """(files to write, the repository's own kept, {path in the way: why}), nothing written."""
    write: list[tuple[str, str]] = []
    kept: list[str] = []
    conflicts: dict[str, str] = {}
    for folder in OWNED:
        path = os.path.join(target, folder)
        if os.path.islink(path):
            conflicts[folder] = "a link (policyctl init does not write through links)"
        elif os.path.lexists(path) and not os.path.isdir(path):
            conflicts[folder] = "a file, where the starter has a folder"
        elif os.path.isdir(path) and os.listdir(path):
            conflicts[folder] = "a folder that is not empty (the starter's repository is all of it)"
    for source, rel in files:
        if rel in (KEPT, IGNORE) and os.path.lexists(os.path.join(target, rel)):
            whole = os.path.join(target, rel)
            if rel == IGNORE and (os.path.islink(whole) or not os.path.isfile(whole)):
                conflicts[rel] = "not a plain file (policyctl init appends its lines to a .gitignore it can read)"
            else:
                kept.append(rel)
            continue
        found = _in_the_way(target, rel)
        if found is None:
            write.append((source, rel))
        elif not any(found[0] == c or found[0].startswith(c + "/") for c in conflicts):
            conflicts[found[0]] = found[1]
    return write, kept, conflicts


def init(target: str) -> Created:
    """Write the starter repository into ``target`` (created if missing); refuse, writing nothing,
    when anything is in the way."""
    out = Created(target)
    file = _file_on_the_way(target)
    if file is not None:
        out.refused = f"{file} is {'a link to no folder' if os.path.islink(file) else 'a file'}{_ONLY}"
        return out
    inside = _policies_around(target)
    if inside is not None:  # its files would be read as the other repository's (P011, L003...)
        out.refused = f"{target} is inside the policies folder {inside}: its files would be read as that repository's"
        return out
    files = _starter_files()
    write, kept, conflicts = _plan(target, files)
    if conflicts:
        many = len(conflicts) != 1
        out.refused = f"{len(conflicts)} path{'s' * many} in {target} {'are' if many else 'is'} in the starter's way; nothing was written"
        out.conflicts = [f"{os.path.normpath(os.path.join(target, p))}: {why}" for p, why in sorted(conflicts.items())]
        return out
    ignore = os.path.join(target, IGNORE)
    if IGNORE in kept:
        kept.remove(IGNORE)
        out.ignored = _missing_ignores(ignore, dict((rel, s) for s, rel in files)[IGNORE])
    for source, rel in write:
        path = os.path.join(target, *rel.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(source, "rb") as src, open(path, "xb") as dst:  # ("x": never over a file made meanwhile)
            dst.write(src.read())
        out.files.append(rel)
    if out.ignored:
        _append(ignore, "# policyctl init\n" + "".join(f"{line}\n" for line in out.ignored))
    out.kept = kept
    return out


def _append(path: str, text: str) -> None:
    """``text`` at the end of the file at ``path`` (a link there is refused, not followed), after a
    blank line when the file has text."""
    fd = os.open(path, os.O_RDWR | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0))
    with open(fd, "r+b") as f:
        size = f.seek(0, os.SEEK_END)
        if size:
            f.seek(size - 1)
            text = ("\n" if f.read(1) == b"\n" else "\n\n") + text
        f.write(text.encode())
