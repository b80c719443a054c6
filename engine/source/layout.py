"""Where files stand in a policy repository, and what kind each one is.

The layout gives most files their kind; a file outside it declares one with `kind:`. Both are
checked to agree, so moving a file cannot silently change how it is read.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass

from engine.problems import Problem

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


def find_root(path: str) -> str | None:
    """The policies folder containing ``path``: the nearest ancestor holding marketplaces.yaml or,
    failing that, the policies folder a policyctl.toml above ``path`` names (so that a repository
    whose marketplaces.yaml is missing or not a file is still found, and that is reported)."""
    target = os.path.abspath(path)
    here = target if os.path.isdir(target) else os.path.dirname(target) or "."
    while True:
        if os.path.isfile(os.path.join(here, "marketplaces.yaml")):
            return here
        configured = _configured_policies(here)
        if configured is not None and os.path.commonpath([configured, target]) == configured:
            return configured
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _configured_policies(top: str) -> str | None:
    """The policies folder the policyctl.toml in ``top`` names, if there is a usable one."""
    from engine.source import project

    if not os.path.isfile(os.path.join(top, project.CONFIG)):
        return None
    try:
        return project.read(top).policies
    except project.ProjectError:  # (the command line reports it, exit 2)
        return None


# What a file that is not a regular file is, by the type bits of its mode (stat.S_IFMT)
_NOT_REGULAR = {
    stat.S_IFDIR: "a folder",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def not_regular(mode: int) -> str | None:
    """What a file with this ``st_mode`` is when it is not a regular file (None: it is one)."""
    if stat.S_ISREG(mode):
        return None
    return _NOT_REGULAR.get(stat.S_IFMT(mode), "not a regular file")


def not_regular_problem(path: str, what: str) -> Problem:
    """The problem of a file policyctl never opens because it is not a regular file: a named pipe
    would block the reader forever, a device or socket is no source. A folder where the layout
    wants a file is Y001 (the file cannot be read), anything else L004."""
    if what == "a folder":
        return Problem(
            path,
            1,
            1,
            "Y001",
            "a folder where the layout expects a file",
            f"make `{os.path.basename(path)}` a file (move what the folder holds)",
        )
    return Problem(
        path,
        1,
        1,
        "L004",
        f"{what}, not a regular file: policyctl does not read it",
        "policy sources must be regular files; remove it, or replace it with a file",
    )


def yaml_files(folder: str) -> list[str]:
    """Every YAML file below ``folder``, sorted, not following links out of it; and, after them,
    each folder standing where the layout wants a file (`returns/program.yaml/`, ``folder`` itself
    too): a load reports it (``not_regular_problem``), so `validate` of a path above it names it."""
    unusual: dict[str, str] = {}
    found = [path for path, _ in yaml_entries(folder, unusual)]
    folders = [path for path, what in unusual.items() if what == "a folder"]
    name = os.path.basename(os.path.normpath(folder))
    named = name.endswith(YAML_SUFFIXES) and not name.startswith(".")
    if named and not os.path.islink(folder) and os.path.isdir(folder):
        folders.insert(0, folder)
    if folders:
        root = find_root(folder)
        found += [path for path in folders if root is not None and classify(root, path).kind is not None]
    return found


def yaml_entries(folder: str, unusual: dict[str, str] | None = None) -> list[tuple[str, bool]]:
    """``yaml_files(folder)``, each with whether it is a symbolic link.

    The walk of ``os.walk(folder)`` (top-down, links to folders listed but not entered, unreadable
    folders skipped), hidden names left out, names sorted; the directory listing says which entries
    are links, so a load need not ask the system again for each file (nor os.walk for each folder).

    ``unusual``, when given, receives each entry with a YAML name that is not a regular file (nor a
    link: what a link points to is checked where it is read), with what it is (``not_regular``):
    a named pipe, socket or device listed as a file (never to be opened: a pipe blocks its reader),
    and a folder (still walked). The listing tells most of this without a system call.
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
        odd: list[os.DirEntry[str]] = []
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
                    if unusual is not None and not link and not _regular(entry):
                        odd.append(entry)
            except OSError:  # as os.walk: a folder that fails while listed is left out whole
                continue
        if unusual is not None:
            _describe(odd, unusual)
        for name, link in sorted(files):
            if name.endswith(YAML_SUFFIXES) and not name.startswith("."):
                found.append((os.path.join(top, name), link))
        stack += [
            os.path.join(top, name)
            for name, link in sorted(folders, reverse=True)
            if not name.startswith(".") and not link
        ]
    return found


def _regular(entry: os.DirEntry[str]) -> bool:
    """Whether a listed entry is a regular file, or anything but a YAML name (from the listing,
    without a system call, on most file systems)."""
    if not entry.name.endswith(YAML_SUFFIXES) or entry.name.startswith("."):
        return True
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return True  # (reading it says what is wrong)


def _describe(entries: list[os.DirEntry[str]], unusual: dict[str, str]) -> None:
    for entry in entries:
        try:
            what = not_regular(entry.stat(follow_symlinks=False).st_mode)
        except OSError:
            continue
        if what is not None:
            unusual[entry.path] = what
