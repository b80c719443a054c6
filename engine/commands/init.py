"""`policyctl init [DIR]`: write a small working policy repository to start from.

The starter is package data (engine/starter/): marketplaces, one program with typed parameters,
one overlay, one effective-dated change, one decision with its tests (worked examples among them),
a page template with English and German catalogs, policyctl.toml, editor settings mapping each file
kind to its schema (the schemas are written into `schemas/`), a pre-commit configuration and a
GitHub Actions workflow. Dot files are stored as `dot-NAME` so that packaging keeps them.

Only an empty or missing folder is written to: policyctl never overwrites what it did not write.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field

from engine import packaged

DOT = "dot-"


@dataclass
class Created:
    top: str
    files: list[str] = field(default_factory=list)  # relative to top, sorted
    refused: str | None = None  # why nothing was written (a usage problem), a sentence


_ONLY = ": policyctl init writes only into an empty or new folder"


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


def init(target: str) -> Created:
    """Write the starter repository into ``target`` (created if missing; must be empty)."""
    out = Created(target)
    if os.path.exists(target) and not os.path.isdir(target):
        out.refused = f"{target} is a file{_ONLY}"
        return out
    if os.path.isdir(target) and os.listdir(target):
        out.refused = f"{target} is not empty{_ONLY}"
        return out
    inside = _policies_around(target)
    if inside is not None:  # its files would be read as the other repository's (P011, L003...)
        out.refused = f"{target} is inside the policies folder {inside}: its files would be read as that repository's"
        return out
    for source, rel in _starter_files():
        path = os.path.join(target, *rel.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        shutil.copyfile(source, path)
        out.files.append(rel)
    return out
