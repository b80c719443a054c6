"""A policies folder as it was at a git revision, read-only: its files as committed (`git ls-tree`,
`git cat-file --batch`), written into a temporary folder.

No worktree, checkout or index is touched, so `policyctl diff HEAD~1 HEAD` is safe while someone
edits the repository, and two revisions can be read side by side.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from typing import IO

from engine.problems import PolicyError, Problem, shown_path


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a diff: where its policies folder is, and how to name its files to people."""

    label: str  # as the user wrote it
    root: str  # the folder to load
    shown_root: str  # what to print instead of ``root`` in file names
    temp: str | None = None  # to remove afterwards
    problems: tuple[Problem, ...] = ()  # links in the revision that were skipped (L005 warnings)

    def show(self, path: str) -> str:
        if path == self.root or path.startswith(self.root + os.sep):
            return os.path.join(self.shown_root, os.path.relpath(path, self.root))
        return shown_path(path)

    def named(self, problem: Problem) -> Problem:
        """``problem`` (found loading this side) with its file, and the files its texts name, as
        ``show`` names them (a revision's files as `HEAD:policies/...`, not in the temporary folder)."""
        if problem.file != self.root and not problem.file.startswith(self.root + os.sep):
            return problem
        return problem.replace(
            file=self.show(problem.file),
            message=problem.message.replace(self.root, self.shown_root),
            hint=problem.hint.replace(self.root, self.shown_root),
        )

    def close(self) -> None:
        if self.temp:
            shutil.rmtree(self.temp, ignore_errors=True)


def _usage(message: str, hint: str = "") -> PolicyError:
    return PolicyError([Problem("<command line>", 1, 1, "L004", message, hint)], usage=True)


_OBJECT_ID = re.compile("[0-9a-f]{40}|[0-9a-f]{64}")  # what `rev-parse --verify` prints of one commit (SHA-1, SHA-256)


def _not_a_revision(spec: str) -> PolicyError:
    return _usage(f"`{spec}` is neither a folder nor a git revision", "e.g. HEAD~1, a branch, a tag or a commit id")


_TIMEOUT = 120  # seconds each git may take


def _git(args: list[str], cwd: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, timeout=_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise _usage(f"cannot run git: {e}") from e


def open_side(spec: str, root: str) -> Side:
    """``spec`` is a policies folder, a repository's top (its policies folder is compared, as
    `--root` reads a top), or a git revision of the repository holding ``root``."""
    if os.path.isdir(spec):
        folder = _policies_of(spec)
        return Side(spec, folder, folder)
    if spec.startswith(("-", "^")):
        # not one revision, and never handed to git: there `-...` is an option (`--output=FILE`,
        # from a CI variable, say) and `^REV` means "not REV" (read as one, it compared an empty tree)
        raise _not_a_revision(spec)
    where = os.path.abspath(root if os.path.isdir(root) else os.path.dirname(os.path.abspath(root)) or ".")
    top = _git(["rev-parse", "--show-toplevel"], where)
    if top.returncode != 0:
        raise _usage(
            f"`{spec}` is neither a folder nor a git revision (not in a git repository)",
            "give two policies folders, or two revisions such as HEAD~1 HEAD",
        )
    toplevel = top.stdout.decode().strip()
    commit = _git(["rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}"], toplevel)
    if commit.returncode != 0 and _git(["rev-parse", "--verify", "--quiet", "HEAD"], toplevel).returncode != 0:
        # (a repository with no commits has no revision at all: "e.g. HEAD~1" could not be followed)
        raise _usage(
            f"`{spec}` is not a folder, and the git repository {shown_path(toplevel)} has no commits yet",
            "make a first commit (git add -A && git commit), or compare two policies folders",
        )
    if commit.returncode != 0 or not _OBJECT_ID.fullmatch(commit.stdout.decode("ascii", "replace").strip()):
        raise _not_a_revision(spec)
    rel = os.path.relpath(os.path.abspath(root), toplevel)
    if rel.startswith(os.pardir):
        raise _usage(f"the policies folder {root} is not inside the git repository {toplevel}")
    shown = f"{spec}:{rel}"
    temp = tempfile.mkdtemp(prefix="policyctl-diff-")
    try:  # BaseException: Ctrl-C while git runs or files are written must not leave the folder behind either
        target = os.path.join(temp, rel)
        skipped = _extract(commit.stdout.decode().strip(), rel, toplevel, temp, shown, spec)
        os.makedirs(target, exist_ok=True)  # the revision may predate the folder: then it is empty
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return Side(spec, target, shown, temp, tuple(skipped))


def _policies_of(folder: str) -> str:
    """The policies folder of a repository whose top ``folder`` is, spelled from ``folder`` as given;
    a policies folder (or an empty folder: nothing there yet) is itself; any other folder is found
    in as `--root`'s default is (`diff HEAD .` in a program's folder: the policies folder holding
    it), or refused: read as a policies folder, it compared as garbage and exited 0."""
    from engine.source import layout, project

    try:
        if project.is_top(folder):
            found = project.read(os.path.abspath(folder))
        elif layout.find_root(folder) == os.path.abspath(folder) or not os.listdir(folder):
            return folder
        else:
            holding = project.find(folder)
            if holding is None:
                raise _usage(
                    f"`{folder}` is not a policies folder, a repository's top or inside one",
                    "give a policies folder (it holds marketplaces.yaml), a repository's top, "
                    "or a git revision such as HEAD",
                )
            return str(holding.shown(holding.policies))
    except project.ProjectError as e:
        raise _usage(e.message, e.hint) from None
    return os.path.normpath(os.path.join(folder, os.path.relpath(found.policies, os.path.abspath(folder))))


def _extract(commit: str, rel: str, toplevel: str, temp: str, shown: str, spec: str) -> list[Problem]:
    """Write the files below ``rel`` in ``commit`` into ``temp`` exactly as committed: the tree from
    `git ls-tree`, each blob's bytes from one `git cat-file --batch`. Not `git archive`: it applies
    the revision's own `.gitattributes`, so a pull request adding `policies/** export-ignore` hid its
    files from the diff, and `export-subst` rewrote `$Format:%H$` in policy values."""
    # --literal-pathspecs: a folder named `p*` or `:(glob)x` is that folder, not a pattern
    where = [] if rel == os.curdir else ["--", rel]
    listed = _git(["--literal-pathspecs", "ls-tree", "-r", "-t", "-z", "--full-tree", commit, *where], toplevel)
    if listed.returncode != 0:
        raise _usage(f"git ls-tree failed: {listed.stderr.decode(errors='replace').strip()}")
    skipped: list[Problem] = []
    blobs: list[tuple[str, str, str]] = []  # (object id, path, mode) to read, in the listing's order
    for entry in listed.stdout.split(b"\0"):
        head, tab, raw_name = entry.partition(b"\t")
        fields = head.split(b" ")
        if not tab or len(fields) != 3:
            continue
        name = _inside(os.fsdecode(raw_name), rel)
        if name is None:
            continue
        mode, kind, oid = (f.decode("ascii", "replace") for f in fields)
        if kind in ("tree", "commit"):
            # a submodule (a commit) is an empty folder, as `git archive` and a checkout without it leave it
            os.makedirs(os.path.join(temp, name), exist_ok=True)
        elif kind == "blob" and _OBJECT_ID.fullmatch(oid):  # a file of any mode (100644, 100755, 100664), or a link
            blobs.append((oid, name, mode))
    for name, target in _read_blobs(blobs, toplevel, temp, spec):
        # A revision is as untrusted as the working tree: a committed link is never followed or
        # recreated, whatever it points at. Only plain files and folders inside ``rel``.
        skipped.append(
            Problem(
                os.path.join(shown, os.path.relpath(name, rel)),
                1,
                1,
                "L005",
                f"a symbolic link in revision `{spec}` (to `{target}`) was skipped",
                "policyctl never follows links read from a revision; commit the file itself",
                severity="warning",
            )
        )
    return skipped


_LINK = "120000"  # a symbolic link's mode in a tree
_LINK_BYTES = 4096  # of a link's target shown (PATH_MAX): a link's blob can be any size
_CHUNK = 1 << 20


def _read_blobs(blobs: list[tuple[str, str, str]], toplevel: str, temp: str, spec: str) -> list[tuple[str, str]]:
    """Write each file of ``blobs`` below ``temp``, streamed from one `git cat-file --batch` (no
    blob is held whole in memory); (path, target) of each link, which is not written."""
    if not blobs:
        return []
    links: list[tuple[str, str]] = []
    try:
        git = subprocess.Popen(
            ["git", "cat-file", "--batch", "--buffer"],
            cwd=toplevel,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError as e:
        raise _usage(f"cannot run git: {e}") from e
    assert git.stdin is not None and git.stdout is not None
    # Asked for from a thread: git answers while it reads, and a pipe full both ways blocks both.
    feeder = threading.Thread(target=_ask, args=(git.stdin, [oid for oid, _, _ in blobs]), daemon=True)
    watchdog = threading.Timer(_TIMEOUT, git.kill)  # as `_git`'s timeout: a hung git ends, its pipe closes
    feeder.start()
    watchdog.start()
    try:
        for oid, name, mode in blobs:
            header = git.stdout.readline().split()
            if len(header) != 3 or header[0] != oid.encode() or header[1] != b"blob" or not header[2].isdigit():
                raise _usage(f"cannot read `{oid}` of revision `{spec}` with git cat-file: {_said(header)}")
            size = int(header[2])
            if mode == _LINK:
                target = _copy(git.stdout, size, None, _LINK_BYTES)
                links.append((name, target.decode("utf-8", "replace")))
            else:
                _write_member(git.stdout, size, os.path.join(temp, name))
            if git.stdout.read(1) != b"\n":
                raise EOFError
    except EOFError:
        raise _usage(f"cannot read revision `{spec}` with git cat-file: its output ended early") from None
    except OSError as e:
        raise _usage(f"cannot write revision `{spec}`'s files into {temp}: {e.strerror or e}") from e
    finally:  # (also on Ctrl-C: no git left behind)
        watchdog.cancel()
        if git.poll() is None:
            git.kill()
        git.wait()
        git.stdout.close()
        feeder.join()
    return links


def _ask(stdin: IO[bytes], oids: list[str]) -> None:
    try:
        with stdin:
            for oid in oids:
                stdin.write(oid.encode("ascii") + b"\n")
    except (OSError, ValueError):  # (git ended first: the reader says why)
        pass


def _said(header: list[bytes]) -> str:
    return b" ".join(header).decode("ascii", "replace")[:200] or "its output ended"


def _copy(source: IO[bytes], size: int, out: IO[bytes] | None, keep: int = 0) -> bytes:
    """Copy ``size`` bytes of ``source`` to ``out``; the first ``keep`` of them are returned."""
    kept = b""
    while size > 0:
        chunk = source.read(min(size, _CHUNK))
        if not chunk:
            raise EOFError
        size -= len(chunk)
        if out is not None:
            out.write(chunk)
        if len(kept) < keep:
            kept += chunk[: keep - len(kept)]
    return kept


def _inside(name: str, rel: str) -> str | None:
    """The entry's path if it is a plain relative path inside ``rel``, else None (never written)."""
    parts = name.rstrip("/").split("/")
    if name.startswith("/") or "\0" in name or any(p in ("", os.pardir, os.curdir) for p in parts):
        return None
    path = os.path.join(*parts)
    if rel != os.curdir and not path.startswith(rel + os.sep):
        return None
    return path


def _write_member(source: IO[bytes], size: int, path: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    # O_EXCL|O_NOFOLLOW: the folder is our fresh one and holds no links, so this only guards a bug
    # (or a tree naming one path twice, which git fsck refuses: an OSError, said as a usage error)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    with os.fdopen(fd, "wb") as out:
        _copy(source, size, out)
