"""Symbolic links that leave the policies folder, and linked folders: refused wherever they are (L005);
and files that are not regular files (named pipes, sockets, devices: L004, `tree_problems`).

A pull request can add a link as easily as a file. A link from `pages/` or `locales/` to
`/proc/self/environ` or `~/.ssh/id_rsa` would have its target rendered into a page, or read as
a catalog, on the CI machine; a linked folder would do the same for every file in it. Every
template and catalog reader refuses such files too (engine.templates.guard.confine); this finds them all,
files and folders, so that `policyctl validate` names each one.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from engine.problems import Problem

HINT = "copy the file into the repository instead"


def leaving(root: str) -> list[Problem]:
    """L005 for every symbolic link below ``root`` whose target is outside ``root``, and for every
    linked folder; in os.walk's order (each folder's folders, then its files, by name; then each
    folder below it), without following linked folders."""
    return _walk(root, False)


def tree_problems(root: str) -> list[Problem]:
    """``leaving(root)``, and (in the same walk) L004 for every file below ``root`` that is not a
    regular file nor a link: a named pipe, socket or device, whatever its name. No reader may open
    one (a pipe blocks its reader for ever): templates and catalogs are read only when a load has no
    errors, and this makes it one."""
    return _walk(root, True)


def _walk(root: str, special: bool) -> list[Problem]:
    from engine.source.layout import not_regular, not_regular_problem

    top = ""  # root with every link followed: only once a link is found (realpath stats each part)
    problems = []
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:  # (os.walk skips a folder it cannot list)
            continue
        inner: list[os.DirEntry[str]] = []
        files: list[os.DirEntry[str]] = []
        for entry in entries:
            (inner if _is_dir(entry) else files).append(entry)
        inner.sort(key=_name)
        files.sort(key=_name)
        for entry in inner + files:
            if not entry.is_symlink():  # (from the listing: no second stat per entry)
                continue
            top = top or os.path.realpath(root)
            if os.path.commonpath([os.path.realpath(entry.path), top]) != top:
                what = "folder" if _is_dir(entry) else "file"
                hint = HINT if what == "file" else "copy the folder into the repository instead"
                problems.append(
                    Problem(entry.path, 1, 1, "L005", f"a symbolic link to a {what} outside the repository", hint)
                )
            elif _is_dir(entry):
                # Inside, but no reader walks it the same way: YAML files there are never loaded,
                # templates there are never checked nor part of the page cache's key, yet Jinja
                # would include them. One rule for all: linked folders are refused.
                problems.append(
                    Problem(
                        entry.path,
                        1,
                        1,
                        "L005",
                        "a symbolic link to a folder (policyctl does not follow linked folders)",
                        "move or copy the folder here instead of linking it",
                    )
                )
        if special:
            for entry in files:
                if not entry.is_symlink() and not _is_file(entry):
                    kind = _what(entry, not_regular)
                    if kind is not None and kind != "a folder":
                        problems.append(not_regular_problem(entry.path, kind))
        folders += reversed([entry.path for entry in inner if not entry.is_symlink()])
    return problems


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """A folder, or a link to one (as os.walk tells them apart)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _is_file(entry: os.DirEntry[str]) -> bool:
    """A regular file (from the listing for most entries: no stat)."""
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return True  # (gone: nothing to report)


def _what(entry: os.DirEntry[str], describe: Callable[[int], str | None]) -> str | None:
    try:
        return describe(entry.stat(follow_symlinks=False).st_mode)
    except OSError:
        return None
