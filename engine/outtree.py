"""The generated tree on disk: compare it with what the sources produce, replace it atomically.

`write` builds the new tree in a temporary folder beside the output and swaps the two folders in
one step (Linux `renameat2(RENAME_EXCHANGE)`; elsewhere two renames), so an interrupted build
leaves the previous tree in place, and files no longer produced disappear with the old tree.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import tempfile

from engine.problems import Problem

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def read_tree(folder: str) -> dict[str, bytes]:
    """Every file below ``folder`` by its `/`-separated relative path."""
    found: dict[str, bytes] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, folder).replace(os.sep, "/")] = f.read()
    return found


def _first_difference(old: bytes, new: bytes) -> tuple[int, int]:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for i, (a, b) in enumerate(zip(old_lines, new_lines)):
        if a != b:
            col = next((j for j, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            return i + 1, len(a[:col].decode("utf-8", "replace")) + 1
    return min(len(old_lines), len(new_lines)) + 1, 1


def differences(folder: str, files: dict[str, bytes]) -> list[Problem]:
    """G005 for every file that is stale, missing, or no longer produced."""
    on_disk = read_tree(folder) if os.path.isdir(folder) else {}
    problems = []
    hint = "run `policyctl build` and commit the result"
    for rel in sorted(set(on_disk) | set(files)):
        path = os.path.join(folder, rel)
        if rel not in on_disk:
            problems.append(Problem(path, 1, 1, "G005", "missing: the sources produce this file", hint))
        elif rel not in files:
            problems.append(Problem(path, 1, 1, "G005", "no longer produced by the sources (stale leftover)", hint))
        elif on_disk[rel] != files[rel]:
            line, col = _first_difference(on_disk[rel], files[rel])
            problems.append(Problem(path, line, col, "G005", "stale: differs from what the sources produce", hint))
    return problems


def _exchange(a: str, b: str) -> bool:
    """Swap two paths atomically where the system can (Linux >= 3.15)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return bool(fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0)


def write(folder: str, files: dict[str, bytes]) -> None:
    """Replace ``folder`` by exactly ``files``, atomically; OSError (with the path) when it cannot.

    On any failure, and if the process is killed at any point, ``folder`` is left as it was. A
    killed run leaves its temporary folder behind (`.NAME.tmp-PID-...` beside the output): the next
    run removes those whose process is gone.
    """
    folder = os.path.abspath(folder)
    parent, base = os.path.split(folder)
    os.makedirs(parent, exist_ok=True)
    _sweep(parent, base)
    tmp = tempfile.mkdtemp(prefix=f".{base}.tmp-{os.getpid()}-", dir=parent)
    try:
        for rel, data in sorted(files.items()):
            path = os.path.join(tmp, *rel.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        os.chmod(tmp, 0o755)
        if not os.path.exists(folder):
            os.rename(tmp, folder)
            return
        if not _exchange(tmp, folder):
            old = tmp + ".old"
            os.rename(folder, old)
            try:
                os.rename(tmp, folder)
            except OSError:
                os.rename(old, folder)  # put the previous tree back
                raise
            tmp = old
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _sweep(parent: str, base: str) -> None:
    """Remove the temporary folders of earlier runs that were killed (their process is gone)."""
    prefix = f".{base}.tmp-"
    try:
        names = [n for n in os.listdir(parent) if n.startswith(prefix)]
    except OSError:
        return
    for name in names:
        pid = name[len(prefix):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(os.path.join(parent, name), ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but is not ours
        return True
    return True
