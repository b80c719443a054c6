"""A disk cache of the problems `validate` finds when compiling decisions.

Compiling a decision parses every expression with Jinja2's parser: importing Jinja2 and the
expression compiler costs ~45 ms per process and compiling ~2 ms per decision, the largest part
of `policyctl validate` once schemas are compiled (see benchmarks/README.md). A decision file
that has not changed since the last run has the same problems, so they are kept on disk, keyed
by everything the answer depends on: the decision as built (its `repr`, which holds every value
and position), the file's text (expression errors quote columns from it), the program's
parameter names, and a checksum of the engine sources and the Jinja2 version.

An entry stores its full key and is used only when the key matches exactly, so a collision of
file names can cost a recompile, never a wrong answer. The cache lives in
``$POLICYCTL_CACHE`` (default ``$XDG_CACHE_HOME/policyctl`` or ``~/.cache/policyctl``);
``POLICYCTL_CACHE=off`` turns it off. Any failure to read or write it is ignored.
"""

from __future__ import annotations

import json
import os
import zlib
from typing import Any

from engine.problems import Problem

_VERSION = "1"
# The sources whose behaviour decides what compiling reports.
_SOURCES = ("decide.py", "inputs.py", "expr.py", "helpers.py", "dates.py", "model.py", "problems.py", "compilecache.py")
_MAX_ENTRIES = 20_000
_engine: str | None = None
_written: list[str] = []


def directory() -> str | None:
    where = os.environ.get("POLICYCTL_CACHE")
    if where is not None and where.lower() in ("", "0", "off", "no", "false"):
        return None
    if not where:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        where = os.path.join(base, "policyctl")
    return os.path.join(where, "decisions")


def write_pack(file: str, blob: bytes) -> None:
    """Write a cache pack atomically (a new one prunes old packs beside it); failures are ignored."""
    try:
        folder = os.path.dirname(file)
        os.makedirs(folder, exist_ok=True)
        if not os.path.exists(file):
            prune_packs(folder)
        temporary = f"{file}.{os.getpid()}.tmp"
        with open(temporary, "wb") as f:
            f.write(blob)
        os.replace(temporary, file)
    except OSError:
        pass


def prune_packs(folder: str, keep: int = 64) -> None:
    """Packs of folders no longer used (test runs make many): keep the most recently written."""
    try:
        packs = [os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".marshal")]
        if len(packs) <= keep:
            return
        packs.sort(key=lambda p: os.stat(p).st_mtime, reverse=True)
        for old in packs[keep:]:
            os.remove(old)
    except OSError:
        pass


def sources_crc(names: tuple[str, ...], crc: int = 0) -> int:
    """CRC of engine source files: a cache entry made by other code is never used."""
    here = os.path.dirname(os.path.abspath(__file__))
    for name in names:
        try:
            with open(os.path.join(here, name), "rb") as f:
                crc = zlib.crc32(f.read(), crc)
        except OSError:
            crc = zlib.crc32(b"missing " + name.encode(), crc)
    return crc


def _engine_checksum() -> str:
    global _engine
    if _engine is None:
        _engine = f"{_VERSION}:{sources_crc(_SOURCES):08x}:{_jinja_version()}"
    return _engine


def _jinja_version() -> str:
    return installed("jinja2", "parser.py", "lexer.py", "nodes.py")


def installed(module: str, *files: str) -> str:
    """Which copy of a package is installed, without importing it (importlib.metadata alone takes
    several milliseconds): the size and time of some of its files (default: `__init__.py`)."""
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return "?"
    stamps = []
    for name in files or ("__init__.py",):
        try:
            st = os.stat(os.path.join(os.path.dirname(spec.origin), name))
            stamps.append(f"{st.st_size}.{st.st_mtime_ns}")
        except OSError:
            stamps.append("?")
    return ",".join(stamps)


def _key(decision: Any, parameters: set[str]) -> str | None:
    try:
        with open(decision.file, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError):
        return None
    return "\0".join((_engine_checksum(), repr(decision), text, " ".join(sorted(parameters))))


def _path(folder: str, key: str) -> str:
    crc = zlib.crc32(key.encode("utf-8", "surrogatepass"))
    return os.path.join(folder, f"{crc:08x}-{len(key)}.json")


def read_problems(path: str, key: str) -> list[Problem] | None:
    """A problem list stored under exactly ``key``, or None (missing, another key, unreadable)."""
    try:
        with open(path, encoding="utf-8") as f:
            entry = json.load(f)
        if entry.get("key") != key:
            return None
        return [Problem(**p) for p in entry["problems"]]
    except (OSError, ValueError, TypeError, KeyError):
        return None


def write_problems(path: str, key: str, problems: list[Problem]) -> None:
    """Store a problem list atomically; a cache that cannot be written is simply not used."""
    body = {"key": key, "problems": [{"file": p.file, "line": p.line, "col": p.col, "code": p.code,
                                      "message": p.message, "hint": p.hint, "severity": p.severity}
                                     for p in problems]}
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(body, f, ensure_ascii=False)
        os.replace(temporary, path)
    except OSError:
        pass


def get(decision: Any, parameters: set[str]) -> list[Problem] | None:
    """The problems recorded for this exact decision, or None."""
    folder = directory()
    key = _key(decision, parameters) if folder else None
    if folder is None or key is None:
        return None
    return read_problems(_path(folder, key), key)


def put(decision: Any, parameters: set[str], problems: list[Problem]) -> None:
    folder = directory()
    key = _key(decision, parameters) if folder else None
    if folder is None or key is None:
        return
    path = _path(folder, key)
    try:
        os.makedirs(folder, exist_ok=True)
        if not _written:  # once per process (listing a big folder per entry would be quadratic)
            names = os.listdir(folder)
            if len(names) > _MAX_ENTRIES:  # a crude bound: start afresh
                for name in names:
                    os.remove(os.path.join(folder, name))
    except OSError:
        return
    _written.append(path)
    write_problems(path, key, problems)
