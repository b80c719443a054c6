"""A disk cache of the problems `validate` finds when compiling decisions.

Compiling a decision parses every expression with Jinja2's parser: importing Jinja2 and the
expression compiler costs ~45 ms per process and compiling ~2 ms per decision, the largest part
of `policyctl validate` once schemas are compiled (see benchmarks/README.md). A decision file
that has not changed since the last run has the same problems, so they are kept on disk, keyed
by everything the answer depends on: the decision as built (its `repr`, which holds every value
and position), the file's text (expression errors quote columns from it), the program's
parameter names, and the store's engine stamp (engine.cache.store).

An entry stores its full key and is used only when the key matches exactly, so a collision of
file names can cost a recompile, never a wrong answer. Where it lives and how it is written:
engine.cache.store. Any failure to read or write it is ignored.
"""

from __future__ import annotations

import json
import os
from typing import Any

from engine.cache import store
from engine.problems import Problem

_VERSION = "3"  # 3: keyed under the store's engine stamp; problems in their one JSON shape
_MAX_ENTRIES = 20_000
_written: list[str] = []


def _key(decision: Any, parameters: set[str]) -> str | None:
    try:
        with open(decision.file, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError):
        return None
    return "\0".join((_VERSION, store.engine_stamp(), repr(decision), text, " ".join(sorted(parameters))))


def _path(folder: str, key: str) -> str:
    return os.path.join(folder, f"{store.digest(key)}.json")


def read_problems(path: str, key: str) -> list[Problem] | None:
    """A problem list stored under exactly ``key``, or None (missing, another key, unreadable)."""
    try:
        with open(path, encoding="utf-8") as f:
            entry = json.load(f)
        if entry.get("key") != key:
            return None
        return [Problem.from_json(p) for p in entry["problems"]]
    except (OSError, ValueError, TypeError, KeyError):
        return None


def write_problems(path: str, key: str, problems: list[Problem]) -> None:
    """Store a problem list atomically; a cache that cannot be written is simply not used."""
    body = {"key": key, "problems": [p.to_json() for p in problems]}
    store.write_atomic(path, json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def get(decision: Any, parameters: set[str]) -> list[Problem] | None:
    """The problems recorded for this exact decision, or None."""
    folder = store.folder("decisions")
    key = _key(decision, parameters) if folder else None
    if folder is None or key is None:
        return None
    return read_problems(_path(folder, key), key)


def put(decision: Any, parameters: set[str], problems: list[Problem]) -> None:
    folder = store.folder("decisions")
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
