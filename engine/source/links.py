"""Symbolic links that leave the policies folder, and linked folders: refused wherever they are (L005).

A pull request can add a link as easily as a file. A link from `pages/` or `locales/` to
`/proc/self/environ` or `~/.ssh/id_rsa` would have its target rendered into a page, or read as
a catalog, on the CI machine; a linked folder would do the same for every file in it. Every
template and catalog reader refuses such files too (engine.templates.guard.confine); this finds them all,
files and folders, so that `policyctl validate` names each one.
"""

from __future__ import annotations

import os

from engine.problems import Problem

HINT = "copy the file into the repository instead"


def leaving(root: str) -> list[Problem]:
    """L005 for every symbolic link below ``root`` whose target is outside ``root``."""
    top = os.path.realpath(root)
    problems = []
    for dirpath, dirnames, filenames in os.walk(root):  # does not descend into linked folders
        dirnames.sort()
        for name in sorted(dirnames) + sorted(filenames):
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                continue
            target = os.path.realpath(path)
            if os.path.commonpath([target, top]) != top:
                what = "folder" if os.path.isdir(path) else "file"
                hint = HINT if what == "file" else "copy the folder into the repository instead"
                problems.append(
                    Problem(path, 1, 1, "L005", f"a symbolic link to a {what} outside the repository", hint)
                )
            elif os.path.isdir(path):
                # Inside, but no reader walks it the same way: YAML files there are never loaded,
                # templates there are never checked nor part of the page cache's key, yet Jinja
                # would include them. One rule for all: linked folders are refused.
                problems.append(
                    Problem(
                        path,
                        1,
                        1,
                        "L005",
                        "a symbolic link to a folder (policyctl does not follow linked folders)",
                        "move or copy the folder here instead of linking it",
                    )
                )
    return problems
