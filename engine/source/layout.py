"""Where files stand in a policy repository, and what kind each one is.

The layout gives most files their kind; a file outside it declares one with `kind:`. Both are
checked to agree, so moving a file cannot silently change how it is read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

ID = re.compile(r"[a-z][a-z0-9_]{0,62}\Z")  # \Z: `$` would let a final newline through
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class Placed:
    path: str  # as given / as shown to the user
    kind: str | None  # from the layout, or None when the layout says nothing
    program: str | None = None
    stem: str | None = None  # the file name without suffix (the id it must carry)


def classify(root: str | None, path: str) -> Placed:
    """The kind the layout gives ``path`` when ``root`` is the policies folder."""
    stem = os.path.splitext(os.path.basename(path))[0]
    if root is None:
        return Placed(path, None, stem=stem)
    parts = _relative(root, path).split(os.sep)
    if parts[0] == os.pardir:
        return Placed(path, None, stem=stem)
    if parts == ["marketplaces.yaml"] or parts == ["marketplaces.yml"]:
        return Placed(path, "marketplaces", stem=stem)
    if len(parts) == 2 and parts[1] in ("program.yaml", "program.yml"):
        return Placed(path, "program", parts[0], stem)
    if len(parts) == 3 and parts[1] in ("marketplaces", "decisions", "tests"):
        kind = {"marketplaces": "overlay", "decisions": "decision", "tests": "tests"}[parts[1]]
        return Placed(path, kind, parts[0], stem)
    if len(parts) == 2 and parts[1] in ("pages.yaml", "pages.yml"):
        return Placed(path, "pages", parts[0], stem)
    return Placed(path, None, parts[0] if len(parts) > 1 else None, stem)


def _relative(root: str, path: str) -> str:
    """``os.path.relpath(abspath(path), abspath(root))``, without its splitting and joining when
    ``path`` lies below ``root`` (every file a load finds): both are normalized by ``abspath``,
    so the relative path is what follows the root and a separator."""
    full, base = os.path.abspath(path), os.path.abspath(root)
    prefix = base if base.endswith(os.sep) else base + os.sep
    if len(full) > len(prefix) and full.startswith(prefix):
        return full[len(prefix) :]
    return os.path.relpath(full, base)


def not_a_folder(path: str) -> str:
    """What is wrong with ``path`` where a folder is wanted: it is a file, or it is not there."""
    return "a file, not a folder" if os.path.exists(path) else "no such folder"


def find_root(path: str) -> str | None:
    """The policies folder containing ``path``: the nearest ancestor holding marketplaces.yaml."""
    here = os.path.abspath(path if os.path.isdir(path) else os.path.dirname(path) or ".")
    while True:
        if os.path.isfile(os.path.join(here, "marketplaces.yaml")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def yaml_files(folder: str) -> list[str]:
    """Every YAML file below ``folder``, sorted, not following links out of it."""
    return [path for path, _ in yaml_entries(folder)]


def yaml_entries(folder: str) -> list[tuple[str, bool]]:
    """``yaml_files(folder)``, each with whether it is a symbolic link.

    The walk of ``os.walk(folder)`` (top-down, links to folders listed but not entered, unreadable
    folders skipped), hidden names left out, names sorted; the directory listing says which entries
    are links, so a load need not ask the system again for each file (nor os.walk for each folder).
    """
    found: list[tuple[str, bool]] = []
    stack = [folder]
    while stack:
        top = stack.pop()
        try:
            listing = os.scandir(top)
        except OSError:
            continue
        folders: list[tuple[str, bool]] = []
        files: list[tuple[str, bool]] = []
        with listing:
            try:
                for entry in listing:
                    try:
                        is_dir = entry.is_dir()
                    except OSError:
                        is_dir = False
                    try:
                        link = entry.is_symlink()
                    except OSError:
                        link = False
                    (folders if is_dir else files).append((entry.name, link))
            except OSError:  # as os.walk: a folder that fails while listed is left out whole
                continue
        for name, link in sorted(files):
            if name.endswith(YAML_SUFFIXES) and not name.startswith("."):
                found.append((os.path.join(top, name), link))
        stack += [
            os.path.join(top, name)
            for name, link in sorted(folders, reverse=True)
            if not name.startswith(".") and not link
        ]
    return found
