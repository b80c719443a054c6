"""Check results kept per content: the problems a check of many files found, for the next run
and for the rest of this process.

Two checks read many files to say little, on every `validate` and every `build`: the names in
page templates (engine.templates.names, which parses each page template and layout with Jinja2's
parser) and each translation domain's catalogs (engine.i18n.catalogs.domain_problems, which
extracts the templates' messages and reads every catalog). Their answer is a function of what
they read, so it is kept under a key made of exactly that, which the check itself lists
(``inputs``, next to the code that reads them, so that a new input goes into the key there):

- the bytes of every file the check reads, or that it is missing; the names and values it takes
  from the repository; its options; the paths its problems name. Paths stay in the key: a problem
  names several kinds of files (templates, catalogs, program.yaml) in the form the caller gave, so
  a hit is what checking again gives, `file:line:col` included. In this process only, a check of
  a repository given by an absolute path is also kept with that path written as a marker (the
  key's paths and texts, the problems' files, messages and hints), and a copy of the repository
  in another folder (tests, `diff`'s revisions, a benchmark's repositories) gets the answer with
  the marker written as its path: the same as checking it, since a check reads the files its key
  lists and names them as given. Not when a file's bytes hold the path itself (moving would change
  what the check reads) or the path is relative (it depends on the working directory);
- for the disk, the store's engine stamp (engine.cache.store): the check's code, Jinja2, Babel,
  Python.

A key is made before the check and again after it; the answer is kept only when both are the
same (a file edited while it was being checked is checked again next time) and the check
returned (a check that raised keeps nothing; an input that could not be read means no key and
checking as usual). Kept twice: in the store (one JSON file per key, as engine.cache.compiled
keeps decision problems) for a later process, and in a bounded memo (engine.cache.memo) for
this one (tests, `policyctl serve`); the memo also works with the disk cache off, as the other
memos do.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from engine.cache import store
from engine.cache.memo import Memo
from engine.problems import Problem

_VERSION = "1"
Inputs = Sequence[bytes | str]

# (kind, key) -> problems. Entries are small (most checks find nothing); 256 covers the
# repositories a test process or a server checks again and again.
_KEPT: Memo[tuple[Problem, ...]] = Memo(256)


def kept(
    kind: str, inputs: Callable[[], Inputs | None], check: Callable[[], list[Problem]], root: str | None = None
) -> list[Problem]:
    """``check()``'s problems, from the memo or the store's ``kind`` folder when ``inputs()`` (every
    input of the check, see the module's docstring; None: one could not be read) is as it was
    when they were found. ``root``: the repository's path as given, when every path the check
    reads and names under it is written from it (see the module's docstring)."""
    parts = inputs()
    if parts is None:
        return check()
    before = _digest(kind, parts)
    found = _KEPT.get((kind, before))
    if found is not None:
        return list(found)
    moved = _moved_key(kind, parts, root)
    if moved is not None and root is not None:
        elsewhere = _KEPT.get((kind, moved))
        if elsewhere is not None:
            return [_at(p, _MARK, root) for p in elsewhere]
    folder = store.folder(kind)
    path = disk_key = None
    if folder is not None:
        from engine.cache.compiled import read_problems

        disk_key = store.digest(_VERSION, store.engine_stamp(), before)
        path = os.path.join(folder, f"{store.digest(disk_key)}.json")
        stored = read_problems(path, disk_key)
        if stored is not None:
            _KEPT.put((kind, before), tuple(stored))
            return stored
    problems = check()
    if _key(kind, inputs) != before:  # an input changed while it was checked: keep nothing
        return problems
    _KEPT.put((kind, before), tuple(problems))
    if moved is not None and root is not None and not any(_MARK in t for p in problems for t in _texts(p)):
        _KEPT.put((kind, moved), tuple(_at(p, root, _MARK) for p in problems))
    if path is not None and disk_key is not None:
        from engine.cache.compiled import write_problems

        write_problems(path, disk_key, problems)
    return problems


def forget() -> None:
    """Empty this process's memo of check results, as in a new process (the disk store stays): a
    test of what a later process finds, without emptying every other memo (`memo.clear_all`)."""
    _KEPT.clear()


def _key(kind: str, inputs: Callable[[], Inputs | None]) -> str | None:
    parts = inputs()
    return None if parts is None else _digest(kind, parts)


def _digest(kind: str, parts: Inputs) -> str:
    return store.digest(_VERSION, kind, *parts)


# What a repository's path is written as in a key kept for any folder ("\0" is in no path or text).
_MARK = "\0root\0"


def _moved_key(kind: str, parts: Inputs, root: str | None) -> str | None:
    """The key with ``root`` written as the marker; None when it is not to be moved (see the
    module's docstring)."""
    if root is None or not os.path.isabs(root) or os.path.dirname(root) == root:
        return None
    raw = os.fsencode(root)
    if any(isinstance(part, bytes) and raw in part for part in parts):
        return None
    if any(isinstance(part, str) and _MARK in part for part in parts):
        return None
    return "moved:" + _digest(kind, [part.replace(root, _MARK) if isinstance(part, str) else part for part in parts])


def _texts(problem: Problem) -> tuple[str, str, str]:
    return problem.file, problem.message, problem.hint


def _at(problem: Problem, old: str, new: str) -> Problem:
    """``problem`` with ``old`` written as ``new`` in its file, message and hint."""
    if not any(old in t for t in _texts(problem)):
        return problem
    file, message, hint = (t.replace(old, new) for t in _texts(problem))
    return problem.replace(file=file, message=message, hint=hint)


def file_part(path: str, limit: int | None = None) -> bytes | None:
    """A file's bytes as a key part (the first ``limit`` when it has more: a check that reads no
    further), tagged so that no content reads as a missing file; None when it exists but cannot
    be read."""
    from engine.source.loader import read_bytes

    try:
        return b"F" + read_bytes(path, (1 << 62) if limit is None else limit)
    except FileNotFoundError:
        return b"M"
    except OSError:
        return None


def files_parts(paths: Sequence[str], limit: int | None = None) -> list[bytes | str] | None:
    """Key parts of a list of files: how many, then each one's path and ``file_part``; None when
    one cannot be read. (The count keeps two lists in one key from running together.)"""
    parts: list[bytes | str] = [str(len(paths))]
    for path in paths:
        data = file_part(path, limit)
        if data is None:
            return None
        parts += [path, data]
    return parts
