"""The one cache store: one folder, one digest, one stamp of the engine and what it runs on.

Every disk cache of policyctl (parsed documents, decision compile problems, template checks,
rendered pages, files `fmt` found formatted) lives in a sub-folder of one root and follows the
same three rules:

- **Where**: ``$POLICYCTL_CACHE`` (a leading ``~`` is the home folder, as a shell reads it), else
  ``$XDG_CACHE_HOME/policyctl``, else ``~/.cache/policyctl``; ``POLICYCTL_CACHE=off`` (or ``0``,
  ``no``, ``false``, empty) turns every cache off.
- **Whose**: every entry is made under ``engine_stamp()`` — a digest of *every* engine source file
  (all rooms, no hand-kept list), the Python version, *every* installed distribution with its
  version and the time zone database. An edit to any engine module, an upgrade of any library or
  a new Python makes every entry unusable: it is never read, only overwritten.
- **How**: names and keys are BLAKE2b digests of the exact bytes they stand for (never a CRC,
  which anyone can forge); writes go to a temporary file renamed into place, so a reader sees the
  old entry or the new one, never half of one. Any failure to read or write means "no cache".

Like Black's cache: one concept, one module. ``policyctl cache info`` and ``policyctl cache clear``
show and empty it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import Iterable
from dataclasses import dataclass

KINDS = ("documents", "decisions", "templates", "pages", "translations", "formatted")
_OFF = ("", "0", "off", "no", "false")
_stamp: list[str] = []


def root() -> str | None:
    """The cache folder, or None when caching is off."""
    where = os.environ.get("POLICYCTL_CACHE")
    if where is not None and where.lower() in _OFF:
        return None
    if not where:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        return os.path.join(base, "policyctl")
    # `~` as a shell expands it: a GitHub Actions `env:` value (or a .env file, a systemd unit)
    # passes it as is, and the cache became a folder named `~` in the checkout
    return os.path.expanduser(where)


def folder(kind: str) -> str | None:
    """The folder of one kind of cache entry (see ``KINDS``), or None when caching is off."""
    assert kind in KINDS, kind
    base = root()
    return None if base is None else os.path.join(base, kind)


def digest(*parts: bytes | str) -> str:
    """A hex BLAKE2b digest of the parts (each length-prefixed, so parts cannot run together)."""
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def engine_stamp() -> str:
    """What every entry is made under (see the module's docstring); computed once per process."""
    if not _stamp:
        _stamp.append(digest(sources_digest(), sys.version, *distributions(), *_time_zones()))
    return _stamp[0]


def sources_digest(engine_dir: str | None = None) -> str:
    """Every engine source file (default: this engine's), with its path inside the package."""
    engine_dir = engine_dir or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parts = []
    for where, dirs, files in os.walk(engine_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        for name in sorted(n for n in files if n.endswith(".py")):
            path = os.path.join(where, name)
            with open(path, "rb") as f:
                parts.append(digest(os.path.relpath(path, engine_dir), f.read()))
    return digest(*parts)


def distributions(path: list[str] | None = None) -> list[str]:
    """Every installed distribution and its version, from the names of the `*.dist-info` folders
    on ``path`` (default sys.path; one listing per folder: importlib.metadata costs tens of ms)."""
    found = []
    for entry in sys.path if path is None else path:
        try:
            names = os.listdir(entry) if entry else []
        except OSError:
            continue
        found += [f"{entry}/{n}" for n in names if n.endswith((".dist-info", ".egg-info"))]
    return sorted(found)


def _time_zones() -> list[str]:
    """The time zone database in use (dates are judged in marketplaces' zones)."""
    import zoneinfo

    stamps = []
    for where in zoneinfo.TZPATH:
        try:
            stamps.append(f"{where}:{os.stat(where).st_mtime_ns}")
        except OSError:
            pass
    return stamps


def write_atomic(path: str, blob: bytes | Iterable[bytes]) -> bool:
    """Write ``blob`` to ``path`` through a temporary file renamed into place; False on failure."""
    from engine.source.atomic import write_atomic as replace

    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        replace(path, blob, durable=False)
        return True
    except OSError:
        return False


# Entries of one check each (a decision's compile problems, a template or catalog check's answer)
# are small files named by their key: every edit of a checked file, and every engine upgrade (a new
# stamp is a new key), adds one, and none was ever removed. Each process prunes a folder to its
# newest ENTRIES the first time it writes there (one listing per process and kind; sorting by age
# only when over the limit): ~4 MB of ~1 KB entries, more than one repository's checks need.
ENTRIES = 4096
_pruned: set[str] = set()


def write_entry(path: str, blob: bytes, keep: int = ENTRIES) -> bool:
    """Write one small entry (see ``write_atomic``); the first write of a process to a folder
    first prunes it to its ``keep`` newest entries, this one included."""
    where = os.path.dirname(path)
    if where not in _pruned:
        _pruned.add(where)
        prune(where, keep - 1)
    return write_atomic(path, blob)


def write_pack(path: str, blob: bytes | Iterable[bytes], keep: int = 64) -> None:
    """Write one pack (a whole-repository entry; ``blob``: its bytes, or its parts, each made as
    it is written); a new pack prunes the oldest beside it."""
    if not os.path.exists(path):
        prune(os.path.dirname(path), keep)
    write_atomic(path, blob)


def prune(where: str, keep: int) -> None:
    """Keep the ``keep`` most recently written entries of a folder (test runs make many)."""
    try:
        entries = [os.path.join(where, n) for n in os.listdir(where) if not n.endswith(".tmp")]
        if len(entries) <= keep:
            return
        entries.sort(key=lambda p: os.stat(p).st_mtime_ns, reverse=True)
        for old in entries[keep:]:
            os.remove(old)
    except OSError:
        pass


@dataclass(frozen=True)
class Info:
    root: str | None
    entries: dict[str, int]  # kind -> number of entries
    size: int  # bytes, all kinds


def info() -> Info:
    base = root()
    counts: dict[str, int] = {}
    size = 0
    for kind in KINDS:
        where = folder(kind)
        names = []
        try:
            names = os.listdir(where) if where else []
        except OSError:
            pass
        counts[kind] = len(names)
        for name in names:
            try:
                size += os.stat(os.path.join(where or "", name)).st_size
            except OSError:
                pass
    return Info(base, counts, size)


def clear() -> int:
    """Remove every entry policyctl wrote (only its own kind folders); returns how many."""
    removed = 0
    for kind in KINDS:
        where = folder(kind)
        if where and os.path.isdir(where):
            removed += len(os.listdir(where))
            shutil.rmtree(where, ignore_errors=True)
    return removed
