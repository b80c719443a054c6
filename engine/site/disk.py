"""A generated tree on disk, read without following links: what `build` and `build --check` see.

A symbolic link committed in an output folder is never followed (it could make `build --check`
read, and compare, a file anywhere on the machine); only regular files are read.
"""

from __future__ import annotations

import os
import stat


def list_tree(folder: str) -> list[str]:
    """The `/`-separated relative path of every file below ``folder``, sorted."""
    found: list[str] = []
    pending = [("", folder)]
    while pending:  # scandir and string joins: os.walk with relpath costs 5x more on 10,000 files
        prefix, path = pending.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    pending.append((prefix + entry.name + "/", entry.path))
                else:
                    found.append(prefix + entry.name)
    found.sort()
    return found


def read_file(folder: str, rel: str, limit: int = -1) -> bytes | None:
    """The bytes of a regular file in the tree (at most ``limit`` of them, if given); None for a
    symbolic link (never followed: a link committed in the output tree must not make `build
    --check` read, or compare, a file elsewhere, nor `/dev/zero` for ever)."""
    # O_NONBLOCK: opening a named pipe for reading would wait for a writer (for ever); opened so, it
    # is found not to be a regular file below and never read
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(os.path.join(folder, *rel.split("/")), flags)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        try:
            return f.read(limit) if stat.S_ISREG(os.fstat(fd).st_mode) else None  # not a FIFO, device...
        except OSError:
            return None


def read_tree(folder: str) -> dict[str, bytes]:
    """Every file below ``folder`` by its `/`-separated relative path."""
    return {rel: read_file(folder, rel) or b"" for rel in list_tree(folder)}
