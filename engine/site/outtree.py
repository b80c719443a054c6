"""The generated tree on disk: compare it with what the sources produce, replace it atomically.

`write` builds the new tree in a temporary folder beside the output and swaps the two folders in
one step (Linux `renameat2(RENAME_EXCHANGE)`; elsewhere two renames), so an interrupted build
leaves the previous tree in place, and files no longer produced disappear with the old tree. A
killed build's temporary folder is removed by the next build only when it holds policyctl's
proof that it made that very folder (``temporary``): a folder someone else made, committed or
copied under such a name is never removed.

Only files policyctl wrote are ever replaced or removed (engine.site.ownership: the build record
`.policyctl-build.json` in the folder lists them). The whole-tree swap is used only when every
file in the folder is policyctl's; otherwise, and in an incremental build, the files are updated
one by one as below, and files of others stay where they are.

An incremental build (engine.cache.pages) keeps most files as they are: then only the files that
differ are written, each staged in full beside the output first and then renamed into place one
after the other, and files no longer produced are removed. Before the renames the record is
rewritten listing the files about to arrive as `pending`, so an interrupted run never leaves a
file of its own that the next run would take for someone else's. Rewriting a whole tree of thousands
of files to change a dozen would cost more than the build itself, and unchanged files keep their
time stamps. An interruption before the renames leaves the tree as it was; one during them (a
few milliseconds for a few files) leaves some files new and some old, which the next build (or
`policyctl build --check`) finds and repairs.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

from engine.problems import Problem
from engine.site.disk import list_tree, read_file

if TYPE_CHECKING:
    from engine.site.ownership import Survey

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _first_difference(old: bytes, new: bytes) -> tuple[int, int]:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for i, (a, b) in enumerate(zip(old_lines, new_lines)):
        if a != b:
            col = next((j for j, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            return i + 1, len(a[:col].decode("utf-8", "replace")) + 1
    return min(len(old_lines), len(new_lines)) + 1, 1


def differences(
    folder: str,
    files: dict[str, bytes],
    kept: set[str] | frozenset[str] = frozenset(),
    on_disk: list[str] | None = None,
    others: Collection[str] = (),
    recorded: Mapping[str, str] | None = None,
) -> list[Problem]:
    """G005 for every file that is stale, missing, or no longer produced. Files in ``kept`` are
    known to be current (engine.cache.pages checked them) and are not read. ``on_disk``: the
    folder's `list_tree`, if the caller has it. ``others``: files that are not policyctl's (see
    engine.site.ownership), never called leftovers. ``recorded``: the build record's digests; the
    first differing line and column is reported only for a file whose bytes a build wrote (so
    `--check` is no oracle on a file's content, byte by byte); a link is never read."""
    from engine.site import ownership

    if on_disk is None:
        on_disk = list_tree(folder) if os.path.isdir(folder) else []
    listed = set(on_disk)
    problems = []
    hint = "run `policyctl build` and commit the result"
    for rel in sorted((listed - set(others)) | set(files) | kept):
        path = os.path.join(folder, rel)
        if rel not in listed:
            problems.append(Problem(path, 1, 1, "G005", "missing: the sources produce this file", hint))
        elif rel in kept:
            continue
        elif rel not in files:
            problems.append(Problem(path, 1, 1, "G005", "no longer produced by the sources (stale leftover)", hint))
        elif os.path.islink(path):
            problems.append(Problem(path, 1, 1, "G005", "is a symbolic link, not the file the sources produce", hint))
        else:
            old = read_file(folder, rel)
            if old == files[rel]:
                continue
            built_here = old is not None and (
                rel == ownership.RECORD or (recorded or {}).get(rel) == ownership.digest(old)
            )
            line, col = _first_difference(old, files[rel]) if built_here and old is not None else (1, 1)
            problems.append(Problem(path, line, col, "G005", "stale: differs from what the sources produce", hint))
    return problems


def _exchange(a: str, b: str) -> bool:
    """Swap two paths atomically where the system can (Linux >= 3.15)."""
    import ctypes  # (here: a build that writes nothing, most, needs no ctypes)

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return bool(fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0)


def write(
    folder: str,
    files: dict[str, bytes],
    kept: set[str] | frozenset[str] = frozenset(),
    on_disk: list[str] | None = None,
    survey: Survey | None = None,
    current: Collection[str] = (),
) -> list[str]:
    """Make ``folder`` hold ``files`` (with the build record among them) and the files in ``kept``
    (left as they are on disk), remove policyctl's files no longer produced, and leave every other
    file alone; OSError (with the path) when it cannot. ``survey``: engine.site.ownership's
    survey of the folder, if the caller made one (then ``files`` holds the new record).
    ``current``: files of ``files`` the caller just found on disk with these bytes (`differences`
    read them): not read a second time to learn that they need no writing.

    When every file in the folder is policyctl's and nothing is kept, the tree is replaced
    atomically: on any failure, and if the process is killed at any point, ``folder`` is left as
    it was. A killed run leaves its temporary folder behind (`.NAME.tmp-PID-...` beside the
    output): the next run removes those whose process is gone and that it can prove it made
    (``temporary``). Returns the names of the folders of that name it left alone (not provably
    policyctl's: someone else's files, or a run of a policyctl before the proof).
    """
    from engine.site import ownership

    folder = os.path.abspath(folder)
    if on_disk is None:
        on_disk = list_tree(folder) if os.path.isdir(folder) else []
    if survey is None:
        survey = ownership.survey(folder, files, kept, on_disk)
        files = {**files, ownership.RECORD: ownership.encode(survey.files)}
    if survey.conflicts:
        path = os.path.join(folder, survey.conflicts[0])
        raise FileExistsError(17, "policyctl did not write it and will not replace it", path)
    if survey.links:
        path = os.path.join(folder, survey.links[0])
        raise FileExistsError(17, "a symbolic link: policyctl does not write through it", path)
    parent, base = os.path.split(folder)
    os.makedirs(parent, exist_ok=True)
    left = _sweep(parent, base)
    tmp = temporary(parent, base)
    try:
        if (kept or not survey.whole) and os.path.isdir(folder):
            _update(folder, files, tmp, survey, current)
            return left
        # the new tree is made in a folder inside the temporary one, which keeps its proof
        # (``temporary``) through the swap: after it, the previous tree is there
        tree = os.path.join(tmp, "tree")
        made = set()
        for rel, data in sorted(files.items()):
            path = os.path.join(tree, *rel.split("/"))
            folder_of = os.path.dirname(path)
            if folder_of not in made:  # one makedirs per folder, not per file
                os.makedirs(folder_of, exist_ok=True)
                made.add(folder_of)
            with open(path, "wb") as f:
                f.write(data)
        os.makedirs(tree, exist_ok=True)  # (no files at all: an empty tree)
        os.chmod(tree, 0o755)
        if not os.path.exists(folder):
            os.rename(tree, folder)
        elif not _exchange(tree, folder):
            old = os.path.join(tmp, "old")
            os.rename(folder, old)
            try:
                os.rename(tree, folder)
            except OSError:
                os.rename(old, folder)  # put the previous tree back
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return left


def _update(folder: str, files: dict[str, bytes], tmp: str, survey: Survey, current: Collection[str] = ()) -> None:
    """Write the files that differ from the disk (staged in ``tmp`` first; the record last, after
    a pending one), remove policyctl's leftovers. ``current``: see `write`."""
    from engine.site import ownership

    record = ownership.RECORD
    staged: list[tuple[str, str]] = []
    pending: dict[str, str] = {}
    for i, (rel, data) in enumerate(sorted(files.items(), key=lambda item: item[0] == record)):
        if rel in current or read_file(folder, rel) == data:
            continue
        temporary = os.path.join(tmp, str(i))
        with open(temporary, "wb") as f:
            f.write(data)
        staged.append((temporary, os.path.join(folder, *rel.split("/"))))
        if rel != record and survey.record.files.get(rel) != survey.files[rel]:
            pending[rel] = survey.files[rel]  # bytes the current record does not know
    if pending:
        temporary = os.path.join(tmp, "pending")
        with open(temporary, "wb") as f:
            f.write(ownership.encode(survey.record.files, {**survey.record.pending, **pending}))
        staged.insert(0, (temporary, os.path.join(folder, record)))
    final = staged.pop() if staged and staged[-1][1] == os.path.join(folder, record) else None
    try:
        for temporary, path in staged:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.replace(temporary, path)
        emptied = set()
        for rel in survey.remove:
            path = os.path.join(folder, *rel.split("/"))
            os.remove(path)
            emptied.add(os.path.dirname(path))
        for directory in sorted(emptied, key=len, reverse=True):  # deepest first
            # (a folder may be gone already: emptied with a deeper one, e.g. a page's past editions)
            while directory != folder and os.path.isdir(directory) and not os.listdir(directory):
                os.rmdir(directory)
                directory = os.path.dirname(directory)
        if final is not None:  # last: until here the previous record (or the pending one) holds
            os.replace(*final)
    except OSError as e:
        raise PartlyWritten(e.errno, e.strerror, e.filename) from e


class PartlyWritten(OSError):
    """Writing stopped after some files of the tree were replaced (see the module's docstring)."""


MARK = ".policyctl-temporary"  # the proof inside each temporary folder policyctl makes


def _proof(name: str, st: os.stat_result) -> bytes:
    return f"policyctl build: temporary folder {name} (device {st.st_dev}, inode {st.st_ino})\n".encode()


def temporary(parent: str, base: str) -> str:
    """A new temporary folder for writing the output ``base`` in ``parent`` (`.BASE.tmp-PID-...`),
    holding first of all its proof (``MARK``): the folder's name, device and inode. A later run
    removes such a folder, once its process is gone, only when the proof is there and names that
    very folder: a folder someone made or committed under such a name, or a copy of one of
    policyctl's (a checkout, `cp -r`: a new inode), is left alone."""
    tmp = tempfile.mkdtemp(prefix=f".{base}.tmp-{os.getpid()}-", dir=parent)
    try:
        with open(os.path.join(tmp, MARK), "xb") as f:
            f.write(_proof(os.path.basename(tmp), os.lstat(tmp)))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def _proven(path: str, name: str) -> bool:
    """``path`` is a temporary folder policyctl made (``temporary``), not a link to one."""
    try:
        st = os.lstat(path)
        if not stat.S_ISDIR(st.st_mode):
            return False
        fd = os.open(os.path.join(path, MARK), os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as f:
            return f.read(1024) == _proof(name, st)
    except OSError:
        return False


def sweep(folder: str) -> list[str]:
    """Sweep the temporary folders beside the output ``folder`` (as ``write`` does before it writes),
    for a build that writes nothing; the names of those left alone."""
    parent, base = os.path.split(os.path.abspath(folder))
    return _sweep(parent, base)


def _sweep(parent: str, base: str) -> list[str]:
    """Remove the temporary folders of earlier runs that were killed (their process is gone) and
    that policyctl can prove it made (``temporary``), and empty ones (a run killed before it wrote
    the proof). The others of that name are left alone: their names are returned."""
    prefix = f".{base}.tmp-"
    try:
        names = sorted(n for n in os.listdir(parent) if n.startswith(prefix))
    except OSError:
        return []
    left = []
    for name in names:
        pid = name[len(prefix) :].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        path = os.path.join(parent, name)
        if _proven(path, name):
            shutil.rmtree(path, ignore_errors=True)
            continue
        try:
            os.rmdir(path)  # (only ever an empty folder)
        except OSError:
            left.append(name)
    return left


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but is not ours
        return True
    return True
