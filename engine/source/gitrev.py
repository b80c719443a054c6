"""A policies folder as it was at a git revision, read-only: `git archive` into a temporary folder.

No worktree, checkout or index is touched, so `policyctl diff HEAD~1 HEAD` is safe while someone
edits the repository, and two revisions can be read side by side.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass

from engine.problems import PolicyError, Problem


@dataclass(frozen=True, slots=True)
class Side:
    """One side of a diff: where its policies folder is, and how to name its files to people."""

    label: str  # as the user wrote it
    root: str  # the folder to load
    shown_root: str  # what to print instead of ``root`` in file names
    temp: str | None = None  # to remove afterwards

    def show(self, path: str) -> str:
        if path == self.root or path.startswith(self.root + os.sep):
            return os.path.join(self.shown_root, os.path.relpath(path, self.root))
        return path

    def close(self) -> None:
        if self.temp:
            shutil.rmtree(self.temp, ignore_errors=True)


def _usage(message: str, hint: str = "") -> PolicyError:
    return PolicyError([Problem("<command line>", 1, 1, "L004", message, hint)], usage=True)


def _git(args: list[str], cwd: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise _usage(f"cannot run git: {e}") from e


def open_side(spec: str, root: str) -> Side:
    """``spec`` is a policies folder, or a git revision of the repository holding ``root``."""
    if os.path.isdir(spec):
        return Side(spec, spec, spec)
    where = os.path.abspath(root if os.path.isdir(root) else os.path.dirname(os.path.abspath(root)) or ".")
    top = _git(["rev-parse", "--show-toplevel"], where)
    if top.returncode != 0:
        raise _usage(f"`{spec}` is neither a folder nor a git revision (not in a git repository)",
                     "give two policies folders, or two revisions such as HEAD~1 HEAD")
    toplevel = top.stdout.decode().strip()
    commit = _git(["rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}"], toplevel)
    if commit.returncode != 0 or spec.startswith("-"):
        raise _usage(f"`{spec}` is neither a folder nor a git revision", "e.g. HEAD~1, a branch, a tag or a commit id")
    rel = os.path.relpath(os.path.abspath(root), toplevel)
    if rel.startswith(os.pardir):
        raise _usage(f"the policies folder {root} is not inside the git repository {toplevel}")
    temp = tempfile.mkdtemp(prefix="policyctl-diff-")
    target = os.path.join(temp, rel)
    _extract(commit.stdout.decode().strip(), rel, toplevel, temp)
    os.makedirs(target, exist_ok=True)  # the revision may predate the folder: then it is empty
    return Side(spec, target, f"{spec}:{rel}", temp)


def _extract(commit: str, rel: str, toplevel: str, temp: str) -> None:
    if rel != os.curdir:
        listed = _git(["ls-tree", "-d", "--name-only", commit, "--", rel], toplevel)
        if listed.returncode != 0 or not listed.stdout.strip():
            return
    archive = _git(["archive", "--format=tar", commit, "--", rel], toplevel)
    if archive.returncode != 0:
        raise _usage(f"git archive failed: {archive.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(temp, filter="data")  # refuses links and paths leaving the folder
        else:  # pragma: no cover - Python before 3.11.4
            tar.extractall(temp)  # noqa: S202 - our own repository's objects
