"""Which files of an output folder policyctl wrote, and which folders it must never write into.

A build records every file it puts in the output folder in `.policyctl-build.json` there (each
file's `/`-separated path and the SHA-256 of its bytes). A later build replaces or removes only
files listed there; every other file in the folder belongs to someone else and is left alone. A
listed file that is no longer produced is removed only while its bytes are still those written
(one edited by hand since is someone's work now, and stays). A folder without a record is
policyctl's only while it is empty or does not exist.

Some folders are refused outright whatever they hold: the policies folder, any folder inside it
or above it (the repository, `.`, a parent), and any folder holding policy sources (YAML,
templates, catalogs) or a git repository. `--out .` once removed a whole working copy.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

RECORD = ".policyctl-build.json"
SOURCE_SUFFIXES = (".yaml", ".yml", ".j2", ".po", ".pot")
_DIGEST = re.compile(r"[0-9a-f]{64}")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Record:
    """The files a build wrote. ``pending``: files a write in progress was putting in place (an
    interrupted build leaves them listed, so the next build still knows they are its own)."""

    files: dict[str, str] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)

    def listed(self, rel: str) -> bool:
        return rel in self.files or rel in self.pending

    def owns(self, rel: str, data: bytes | None) -> bool:
        """``rel`` holds bytes this tool wrote there."""
        return data is not None and digest(data) in (self.files.get(rel), self.pending.get(rel))


def _safe(rel: object) -> bool:
    """A path the record may name: relative, `/`-separated, no `.`, `..` or empty parts, not the record."""
    if not isinstance(rel, str) or not rel or rel == RECORD or "\\" in rel or "\0" in rel:
        return False
    return all(part not in ("", ".", "..") for part in rel.split("/")) and not rel.startswith("/")


def _entries(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if _safe(k) and isinstance(v, str) and _DIGEST.fullmatch(v)}


def read(folder: str) -> Record | None:
    """The folder's record; None when it has none or it cannot be read (then nothing is policyctl's).
    Entries that are not plain relative paths with a digest are ignored: the record arrives with
    the folder, which may come from a pull request."""
    from engine.site.disk import read_file

    raw = read_file(folder, RECORD, 64 * 1024 * 1024)  # (never through a link: `-> /dev/zero`)
    try:
        data = json.loads(raw) if raw is not None else None
    except (ValueError, RecursionError):  # (200,000 `[`: Python's JSON reader recurses)
        return None
    if not isinstance(data, dict) or data.get("generator") != "policyctl build":
        return None
    return Record(_entries(data.get("files")), _entries(data.get("pending")))


def encode(files: dict[str, str], pending: dict[str, str] | None = None) -> bytes:
    body: dict[str, object] = {
        "generator": "policyctl build",
        "version": 1,
        "about": "files policyctl wrote here; it replaces or removes only these",
        "files": dict(sorted(files.items())),
    }
    if pending:
        body["pending"] = dict(sorted(pending.items()))
    return (json.dumps(body, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def refusal(out: str, policies: str) -> tuple[str, str] | None:
    """Why a build must not write into ``out`` (a reason, "it ...", and a hint), or None. The
    cheap checks come first, so `--out /` is refused without reading the disk."""
    from engine.site.disk import list_tree

    real_out, real_src = os.path.realpath(out), os.path.realpath(policies)
    never = "policyctl never removes what it did not write: give a new or empty folder, e.g. --out generated_docs"
    if os.path.lexists(out) and not os.path.isdir(out):
        return "it is not a folder", "give a folder for the pages"
    if real_out == real_src:
        return "it is the policies folder", never
    if _within(real_src, real_out):
        return f"it holds the policies folder `{policies}` (it is the repository or a folder above it)", never
    if _within(real_out, real_src):
        return f"it is inside the policies folder `{policies}`", never
    if not os.path.isdir(out):
        return None
    if os.path.lexists(os.path.join(out, ".git")):
        return "it holds a git repository (`.git`)", never
    if read(out) is None:
        on_disk = list_tree(out)
        if not on_disk:
            return None  # empty (empty folders are not files)
        why = "its build record is damaged" if RECORD in on_disk else f"it has no {RECORD}"
        return (
            f"it is not empty and was not built by policyctl ({why})",
            "give a new or empty folder; to rebuild a folder policyctl made before it kept a record, "
            "move the folder away and build again",
        )
    for rel in list_tree(out):
        parts = rel.split("/")
        if ".git" in parts:
            return f"it holds a git repository (`{'/'.join(parts[: parts.index('.git') + 1])}`)", never
        if rel.endswith(SOURCE_SUFFIXES):
            return f"it holds policy sources (`{rel}`)", never
    return None


@dataclass
class Survey:
    """What a build may do to the files already in its output folder."""

    record: Record
    remove: list[str] = field(default_factory=list)  # policyctl's, no longer produced: removed
    others: list[str] = field(default_factory=list)  # not policyctl's (or edited since): left alone
    conflicts: list[str] = field(default_factory=list)  # produced paths holding someone else's file
    whole: bool = True  # every file in the folder is policyctl's: the tree may be replaced whole
    files: dict[str, str] = field(default_factory=dict)  # the new record: what the folder will hold
    # folders on the way to a produced file that are symbolic links: written into, a page would go
    # wherever one points (the folder arrives with the pull request)
    links: list[str] = field(default_factory=list)


def survey(folder: str, files: dict[str, bytes], kept: set[str] | frozenset[str], on_disk: list[str]) -> Survey:
    """Sort the files on disk into removed, left alone and conflicting, and make the new record."""
    from engine.site.disk import read_file as _read

    record = read(folder) or Record()
    out = Survey(record)
    out.files = {rel: digest(data) for rel, data in files.items() if rel != RECORD}
    for rel in kept:
        known = record.files.get(rel)
        out.files[rel] = known if known is not None else digest(_read(folder, rel) or b"")
    for rel in on_disk:
        if rel == RECORD or rel in kept:
            continue
        if rel in files:
            if not record.listed(rel) and _read(folder, rel) != files[rel]:
                out.conflicts.append(rel)
            continue
        # (a file the record does not list is not policyctl's: not read, a folder of images is
        # not read whole on every build)
        if record.listed(rel) and record.owns(rel, _read(folder, rel)):
            out.remove.append(rel)
        else:
            out.others.append(rel)
    out.whole = not out.others and not out.conflicts
    out.links = linked_folders(folder, files)
    return out


def linked_folders(folder: str, rels: Iterable[str]) -> list[str]:
    """The folders below ``folder`` on the way to the files ``rels`` that are symbolic links
    (`/`-separated, sorted): one look at each folder, the first link on each way."""
    seen: dict[str, bool] = {}
    found: set[str] = set()
    for rel in rels:
        parts = rel.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            link = seen.get(prefix)
            if link is None:
                link = seen[prefix] = os.path.islink(os.path.join(folder, *parts[:i]))
            if link:
                found.add(prefix)
                break
    return sorted(found)
