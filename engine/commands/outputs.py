"""Whether a command may write the file it was given (`bundle --out`, `test --junit`).

policyctl never deletes what it did not write. Such a file is written beside its final name and
renamed into place (engine.source.atomic), so whatever was at that name is gone: a policy source,
a colleague's notes, a device such as /dev/full (replaced by a file when run as root), a named pipe
another program reads, or a symbolic link (replaced, its target left as it was). So the name must
be new, or a regular file that already holds what the command writes (found by its first bytes).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable


def refusal(
    option: str, file: str, policies: str | None, what: str, ours: Callable[[bytes], bool], hint: str
) -> tuple[str, str] | None:
    """Why ``file`` (given as ``option``) must not be written, with ``hint``; None when it may be.

    ``policies``: the policies folder (nothing inside it is written), or None; ``what``: what the
    command writes, for the message ("a bundle"); ``ours(head)``: whether an existing file's first
    512 bytes are such a file (which may be written over: the command wrote it before)."""
    from engine.site.ownership import SOURCE_SUFFIXES

    try:
        info = os.lstat(file)
    except FileNotFoundError:
        info = None
    except OSError as e:
        return f"{option} {file} cannot be checked: {e.strerror or e}", hint
    if info is not None and stat.S_ISLNK(info.st_mode):
        return f"{option} {file} is a symbolic link (it would be replaced by a file)", "give the file it points to"
    if info is not None and stat.S_ISDIR(info.st_mode):
        return f"{option} {file} is a folder", hint
    if info is not None and not stat.S_ISREG(info.st_mode):
        return f"{option} {file} is not a regular file (a device, a named pipe or a socket)", hint
    if policies is not None:
        real, folder = os.path.realpath(file), os.path.realpath(policies)
        if real.startswith(folder.rstrip(os.sep) + os.sep):
            return f"{option} {file} is inside the policies folder", hint
    if file.endswith(SOURCE_SUFFIXES):
        return f"{option} {file} is named like a policy source (YAML, template or catalog)", hint
    if info is not None:
        try:
            with open(file, "rb") as f:
                head = f.read(512)
        except OSError:
            head = b""
        if not ours(head):
            return f"{option} {file} exists and is not {what}", hint
    return None
