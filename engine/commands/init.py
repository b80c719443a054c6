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
at its end (as `cargo init` does), nothing in it changed. An existing .vscode/settings.json is the
team's editor settings: kept as it is, and the starter's keys it lacks (`yaml.schemas`, which maps
each kind of file to its schema) are given back to be added by hand (`Created.settings`): VS Code
reads the file as JSON with comments, and no merge could promise to keep every comment and the
order and layout of what is there.

No link is followed to write, also one made between the check and the write: each folder is
opened without following a link (`O_DIRECTORY | O_NOFOLLOW`) and each file made relative to its
folder's descriptor, only if nothing is there (`O_CREAT | O_EXCL`, which follows no link), where
the platform has them. A write that fails partway (a full disk, a link or file that appeared
meanwhile) removes exactly the files and folders this run made, each only while it is still the
one made (its device and inode), a folder only when empty, and puts an appended .gitignore back
to its size: what was there before is never touched. An existing .gitignore is opened once,
relative to its folder's descriptor and no link followed, to be read and then appended to (a plain
file put in its place meanwhile is not appended to; one the user may not write is kept when it
lacks nothing); an existing .vscode/settings.json is read the same way; a named pipe in either
place is named, never read (reading one waits for a writer). A folder the user may not list, write
into or make the folder in, and editor settings the user may not read, are refused before anything
is written, in init's words (exit 2), as a file or a link to no folder on the way is.
"""

from __future__ import annotations

import errno
import os
import shlex
import stat
from dataclasses import dataclass, field

from engine import packaged

DOT = "dot-"
KEPT = "README.md"  # an existing one is the repository's own: kept, the starter's not written
IGNORE = ".gitignore"  # an existing one gets the starter's lines it lacks, appended
SETTINGS = ".vscode/settings.json"  # an existing one is kept; the starter's keys it lacks are said
OWNED = ("policies", "generated_docs")  # folders the starter's repository reads or builds as its own whole


@dataclass
class Created:
    top: str
    files: list[str] = field(default_factory=list)  # written, relative to top, sorted
    kept: list[str] = field(default_factory=list)  # the repository's own, left as they were
    ignored: list[str] = field(default_factory=list)  # lines appended to an existing .gitignore
    settings: str = ""  # the starter's editor settings a kept .vscode/settings.json lacks, as JSON members
    refused: str | None = None  # why nothing was written (a usage problem), a sentence
    hint: str = ""  # with `refused`: what to do, when not what the command line says for a refusal
    conflicts: list[str] = field(default_factory=list)  # with `refused`: "PATH: why", one per path in the way
    failed: tuple[str, str] | None = None  # (path, why) when a write failed: what this run made is removed
    removed: int = 0  # with `failed`: the files and folders this run made and removed again
    left: list[str] = field(default_factory=list)  # with `failed`: paths it made but could not remove


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


def _nearest(target: str) -> str:
    """``target`` or the nearest of its folders that exists (as far as can be seen: a folder that
    cannot be searched hides what is in it), as the user spelt it; "" for the working folder."""
    here = target.rstrip(os.sep + (os.altsep or "")) or target  # (`notes.txt/` is notes.txt)
    while here and not os.path.lexists(here):
        parent = os.path.dirname(here.rstrip(os.sep))
        if parent == here:
            break
        here = parent
    return here if os.path.lexists(here) else ""


def _what(path: str) -> str:
    """What stands at ``path`` (which exists), by its own mode, a link not followed and nothing
    opened (opening a named pipe to read waits for a writer): "a link", "a folder", "a file" (a
    regular one), or what layout calls the others ("a named pipe (FIFO)", "a socket", ...)."""
    from engine.source import layout

    try:
        mode = os.lstat(path).st_mode
    except OSError:  # (gone since it was seen: no traceback for a race)
        return "something that went while policyctl init looked"
    if stat.S_ISLNK(mode):
        return "a link"
    return layout.not_regular(mode) or "a file"


def _up_out_of(target: str) -> tuple[str, str] | None:
    """(the folder, what it is) when a `..` of ``target`` follows a link or a folder that does not
    exist. There the operating system and `os.path` part: `link/..` is the parent of the link's
    target to the one, the link's own folder to the other, and `missing/..` nothing to the one,
    `.` to the other; init made missing folders by one and wrote by the other. Elsewhere (`..`
    first, or after real folders only) the two agree."""
    parts = target.split(os.sep) if os.altsep is None else target.replace(os.altsep, os.sep).split(os.sep)
    for i, part in enumerate(parts):
        if part != os.pardir or i == 0:
            continue
        before = os.sep.join(parts[:i]) or os.sep
        if os.path.islink(before):
            return before, "a link"
        if not os.path.isdir(before):
            return before, "a folder that does not exist"
    return None


def _file_on_the_way(target: str) -> tuple[str, str] | None:
    """(``target`` or the nearest of its folders that exists, as the user spelt it; what it is)
    when that is not a folder (`init notes.txt/new`: no folder can be made below a file)."""
    here = _nearest(target)
    if not here or os.path.isdir(here):
        return None
    return here, "a link to no folder" if os.path.islink(here) else _what(here)


def _not_permitted(target: str) -> tuple[str, str] | None:
    """(the folder, why) when the user's permissions do not let init check and write ``target``: an
    existing folder it cannot list or write into, or, for a new one, the nearest existing folder
    above it, where it cannot make one (not searchable, or not writable)."""
    here = _nearest(target)
    if here and os.path.normpath(here) == os.path.normpath(target):
        if not os.access(here, os.R_OK | os.X_OK):
            return here, "a folder you have no permission to list (policyctl init checks what is in it first)"
        if not os.access(here, os.W_OK):
            return here, "a folder you have no permission to write into"
    elif not os.access(here or ".", os.W_OK | os.X_OK):
        return here or ".", f"a folder you have no permission to make {target} in"
    return None


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
            what = _what(path)
            return here, "exists" if what == "a file" else f"{what}, where the starter writes a file"
        if not os.path.isdir(path):
            return here, f"{_what(path)}, where the starter has a folder"
    return None


def _missing_ignores(at: int | None, shown: str, starter: str) -> tuple[int, list[str]]:
    """(the .gitignore's descriptor, the lines of the starter's .gitignore (at ``starter``) it
    lacks: `/x/`, `x/` and `x` alike). It is opened once, to read and to append to (``_append``):
    relative to the folder's descriptor ``at`` (by its path ``shown`` where the platform has
    none), without following a link, also one made after the check, and read only while a plain
    file (a named pipe is opened without waiting, never read); raises OSError (``_failed``'s).
    The caller closes the descriptor."""
    name = IGNORE if at is not None else shown
    try:
        try:
            fd, writable = os.open(name, _KEPT | os.O_RDWR, dir_fd=at), True
        except PermissionError:  # (one that lacks nothing is kept as it is: reading it is enough)
            fd, writable = os.open(name, _KEPT | os.O_RDONLY, dir_fd=at), False
    except OSError as e:
        raise _failed(e, shown) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _failed(OSError(errno.EEXIST, os.strerror(errno.EEXIST)), shown)
        have = {line.strip().strip(b"/") for line in _read(fd).splitlines()}
        with open(starter, "rb") as f:
            wanted = f.read().splitlines()
        missing = [line.decode() for line in wanted if line.strip() and line.strip().strip(b"/") not in have]
        if missing and not writable:  # (said before anything is written)
            raise _failed(PermissionError(errno.EACCES, os.strerror(errno.EACCES), shown), shown)
    except BaseException:
        os.close(fd)
        raise
    return fd, missing


def _missing_settings(at: int | None, shown: str, starter: str) -> str:
    """The top-level members of the starter's settings (at ``starter``) whose key the settings
    file ``shown`` (.vscode/settings.json in the folder of descriptor ``at``) does not name, as the
    starter writes them (JSON members, comma-separated); "" when none is missing. It is read as
    the .gitignore is (``_missing_ignores``): .vscode and the file opened relative to their
    folder, no link followed, only a plain file read; raises OSError (``_failed``'s) when a link,
    a folder or no plain file stands there now, and ``Unreadable`` when it cannot be read otherwise
    (no permission): it named no key, so every starter key was said to be missing. A key is looked
    for as text: the file may be JSON with comments, which no JSON reader here reads."""
    folder, name = SETTINGS.split("/")
    fds: list[int] = []
    try:
        if at is not None:
            fds.append(os.open(folder, _FOLDER, dir_fd=at))
        fds.append(os.open(name if at is not None else shown, _KEPT | os.O_RDONLY, dir_fd=fds[0] if fds else None))
        if not stat.S_ISREG(os.fstat(fds[-1]).st_mode):
            raise OSError(errno.EEXIST, os.strerror(errno.EEXIST))
        have = _read(fds[-1]).decode("utf-8", errors="replace")
    except OSError as e:
        if e.errno in (errno.ELOOP, errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
            raise _failed(e, shown) from None
        if at is not None and not fds:  # (.vscode itself)
            raise Unreadable(os.path.dirname(shown), "a folder", e) from None
        raise Unreadable(shown, "a file", e) from None
    finally:
        for fd in reversed(fds):
            os.close(fd)
    with open(starter, encoding="utf-8") as f:
        lines = f.read().splitlines()
    members: list[list[str]] = []
    for line in lines[1:-1]:  # (between the starter's outer braces; a member starts at two spaces)
        if line.startswith('  "'):
            members.append([])
        members[-1].append(line)
    missing = [m for m in members if m[0].split('"')[1] not in _keys_named(have)]
    return ",\n".join("\n".join(m).rstrip(",") for m in missing)


class Unreadable(Exception):
    """A file (or folder) of the user's that init must read and may not (``_missing_settings``)."""

    def __init__(self, path: str, kind: str, error: OSError) -> None:
        super().__init__(path)
        self.path, self.kind, self.error = path, kind, error

    def refusal(self) -> tuple[str, str]:
        """(why nothing was written, what to do), as init refuses a folder it may not use."""
        quoted = shlex.quote(self.path)
        if isinstance(self.error, PermissionError):
            why = f"{self.path} is {self.kind} you have no permission to read (policyctl init reads the editor settings it keeps)"
            hint = f"ask who owns {self.path} for permission (`ls -ld {quoted}` says who), or move it aside"
        else:
            why = f"cannot read {self.path}: {self.error.strerror or self.error} (policyctl init reads the editor settings it keeps)"
            hint = "check the file, or move it aside"
        return f"{why}; nothing was written", f"{hint}, then run `policyctl init` again"


def _read(fd: int) -> bytes:
    """All of the file open at ``fd`` from its start (its position is left at the end)."""
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _keys_named(text: str) -> set[str]:
    """Every string in ``text`` that stands before a colon: the keys a settings file names."""
    import re

    return set(re.findall(r'"((?:[^"\\]|\\.)*)"\s*:', text))


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
            conflicts[folder] = f"{_what(path)}, where the starter has a folder"
        elif os.path.isdir(path) and os.listdir(path):
            conflicts[folder] = "a folder that is not empty (the starter's repository is all of it)"
    for source, rel in files:
        if rel in (KEPT, IGNORE, SETTINGS) and os.path.lexists(os.path.join(target, rel)):
            whole = os.path.join(target, rel)
            if rel == IGNORE and (os.path.islink(whole) or not os.path.isfile(whole)):
                conflicts[rel] = (
                    f"{_what(whole)}, not a plain file (policyctl init appends its lines to a .gitignore it can read)"
                )
            elif rel == SETTINGS and (os.path.islink(whole) or not os.path.isfile(whole)):
                conflicts[rel] = f"{_what(whole)}, not a plain file (policyctl init reads the editor settings it keeps)"
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
    up = _up_out_of(target)
    if up is not None:
        out.refused = f"{target} goes up (`..`) out of {up[0]}, {up[1]}: the folder it names is not clear"
        out.hint = "give the folder's path without that `..`, e.g. `policyctl init my-policies`"
        return out
    file = _file_on_the_way(target)
    if file is not None:
        out.refused = f"{file[0]} is {file[1]}{_ONLY}"
        return out
    denied = _not_permitted(target)
    if denied is not None:
        folder, why = denied
        out.refused = f"{folder} is {why}; nothing was written"
        out.hint = f"give a folder you may write into, or ask who owns {folder} for permission (`ls -ld {shlex.quote(folder)}` says who)"
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
    made = _Made()
    try:
        at = _top(target, made) if kept else None  # (a folder that exists: opened once, for every read and write)
        ignore: int | None = None  # (the .gitignore's descriptor: read, then appended to)
        if IGNORE in kept:
            kept.remove(IGNORE)
            shown = os.path.join(target, IGNORE)
            ignore, out.ignored = _missing_ignores(at, shown, dict((rel, s) for s, rel in files)[IGNORE])
            made.fds.append(ignore)
        if SETTINGS in kept:
            shown = os.path.join(target, SETTINGS)
            out.settings = _missing_settings(at, shown, dict((rel, s) for s, rel in files)[SETTINGS])
    except Unreadable as e:  # (nothing made yet)
        out.refused, out.hint = e.refusal()
        made.close()
        return out
    except OSError as e:  # (a link, or no plain file, there since the check: nothing made yet)
        out.failed = (os.path.normpath(e.filename) if isinstance(e.filename, str) else target, e.strerror or str(e))
        made.close()
        return out
    try:
        _write(target, at, write, (ignore, out.ignored), made)
    except OSError as e:
        out.failed = (os.path.normpath(e.filename) if isinstance(e.filename, str) else target, e.strerror or str(e))
        out.removed, out.left = made.undo()
        out.ignored = []
        return out
    finally:
        made.close()
    out.files = [rel for _, rel in write]
    out.kept = kept
    return out


# Where the platform has them, folders are opened and files made relative to a folder's descriptor,
# no link followed (else by path: a link made between the check and the write could be followed)
_AT = {os.open, os.mkdir, os.rmdir, os.unlink, os.stat} <= os.supports_dir_fd and hasattr(os, "O_DIRECTORY")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW
_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | getattr(os, "O_BINARY", 0)
# A file of the repository's own that init reads (a named pipe swapped in is opened without waiting
# for a writer, then refused unread; a regular file's reads and writes ignore O_NONBLOCK)
_KEPT = _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def _failed(e: OSError, shown: str) -> OSError:
    """``e`` of a write to the starter's path ``shown``, in people's words: a link, file or folder
    that appeared there after the check (nothing was there, or a folder) is named so."""
    if e.errno in (errno.ELOOP, errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        return OSError(
            e.errno,
            "a link, file or folder appeared there while policyctl init ran (it writes through no link, over nothing)",
            shown,
        )
    e.filename = shown
    return e


class _Made:
    """What this run made, in order, to remove on a failure: exactly these, each only while it is
    still the one made (device and inode); and the folders' descriptors, closed at the end."""

    def __init__(self) -> None:
        self.entries: list[tuple[int | None, str, str, tuple[int, int]]] = []  # (folder fd, name, shown, id)
        self.fds: list[int] = []
        self.appended: tuple[int, int] | None = None  # (fd, size before) of an appended .gitignore

    def add(self, at: int | None, name: str, shown: str, st: os.stat_result) -> None:
        self.entries.append((at, name, shown, (st.st_dev, st.st_ino)))

    def undo(self) -> tuple[int, list[str]]:
        """Remove what was made, last first: (how many were removed, the paths that stay)."""
        if self.appended is not None:
            try:
                os.ftruncate(*self.appended)
            except OSError:
                pass
        removed, left = 0, []
        for at, name, shown, made in reversed(self.entries):
            try:
                st = os.stat(name, dir_fd=at, follow_symlinks=False)
                if (st.st_dev, st.st_ino) != made:
                    continue  # (another's now, made after ours went: not ours to remove)
                if stat.S_ISDIR(st.st_mode):
                    os.rmdir(name, dir_fd=at)
                else:
                    os.unlink(name, dir_fd=at)
                removed += 1
            except FileNotFoundError:
                continue
            except OSError:
                left.append(shown)
        return removed, sorted(os.path.normpath(p) for p in left)

    def close(self) -> None:
        for fd in reversed(self.fds):
            os.close(fd)
        self.fds = []


def _top(target: str, made: _Made) -> int | None:
    """The descriptor of the folder ``target`` (which exists), kept in ``made``; None where the
    platform writes by path."""
    if not _AT:
        return None
    try:
        at = os.open(target, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as e:
        raise _failed(e, target) from None
    made.fds.append(at)
    return at


def _write(
    target: str, at: int | None, write: list[tuple[str, str]], ignored: tuple[int | None, list[str]], made: _Made
) -> None:
    """Write the starter's files ``write`` ((source, path in ``target``)) and append to the
    .gitignore ``ignored`` ((its descriptor, as ``_missing_ignores`` read it; its lines)), recording in ``made``
    each file and folder made; raises OSError (its ``filename`` the path) on the first failure.
    ``at`` is the folder's descriptor when it was opened already (None: opened here, when it has
    been made)."""
    top = os.path.abspath(target)
    missing = []
    while not os.path.isdir(top):  # (the folder asked for and its parents that do not exist: the caller's path)
        missing.append(top)
        top = os.path.dirname(top)
    for path in reversed(missing):
        os.mkdir(path)
        made.add(None, path, path, os.stat(path, follow_symlinks=False))
    if at is None:
        at = _top(target, made)
    folders: dict[str, int | None] = {"": at}
    for source, rel in write:
        parts = rel.split("/")
        here = at
        for i, part in enumerate(parts[:-1]):
            key = "/".join(parts[: i + 1])
            if key not in folders:
                folders[key] = _folder(target, key, here, part, made)
            here = folders[key]
        name = parts[-1] if _AT else os.path.join(target, *parts)
        shown = os.path.join(target, *parts)
        try:
            fd = os.open(name, _NEW, 0o666, dir_fd=here)
        except OSError as e:
            raise _failed(e, shown) from None
        try:
            made.add(here, name, shown, os.fstat(fd))
            with open(source, "rb") as src:
                _all(fd, src.read(), shown)
        finally:
            os.close(fd)
    ignore, lines = ignored
    if ignore is not None and lines:
        _append(
            ignore, os.path.join(target, IGNORE), made, "# policyctl init\n" + "".join(f"{line}\n" for line in lines)
        )


def _folder(target: str, key: str, parent: int | None, part: str, made: _Made) -> int | None:
    """The folder ``key`` of the starter (``part`` in ``parent``), made when missing: its
    descriptor, opened without following a link (None where the platform writes by path)."""
    shown = os.path.join(target, *key.split("/"))
    name = part if _AT else shown
    try:
        try:
            os.mkdir(name, dir_fd=parent)
            new = True
        except FileExistsError:
            new = False
        if not _AT:
            if os.path.islink(shown) or not os.path.isdir(shown):
                raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), shown)
            if new:
                made.add(None, name, shown, os.stat(shown, follow_symlinks=False))
            return None
        fd = os.open(name, _FOLDER, dir_fd=parent)
    except OSError as e:
        raise _failed(e, shown) from None
    made.fds.append(fd)
    if new:
        made.add(parent, name, shown, os.fstat(fd))
    return fd


def _all(fd: int, data: bytes, shown: str) -> None:
    """All of ``data`` to ``fd`` (os.write may write part of it)."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view) :]
    except OSError as e:
        e.filename = shown
        raise


def _append(fd: int, shown: str, made: _Made, text: str) -> None:
    """``text`` at the end of the .gitignore open at ``fd`` (the one read), after a blank line when
    the file has text; its size before is kept in ``made`` to undo it."""
    size = os.lseek(fd, 0, os.SEEK_END)
    if size:
        os.lseek(fd, size - 1, os.SEEK_SET)
        text = ("\n" if os.read(fd, 1) == b"\n" else "\n\n") + text
        os.lseek(fd, size, os.SEEK_SET)
    made.appended = (fd, size)
    _all(fd, text.encode(), shown)
