"""A disk cache of the problems `validate` finds when compiling decisions.

Compiling a decision parses every expression with Jinja2's parser: importing Jinja2 and the
expression compiler costs ~45 ms per process and compiling ~2 ms per decision, the largest part
of `policyctl validate` once schemas are compiled (see benchmarks/README.md). A decision file
that has not changed since the last run has the same problems, so they are kept on disk, keyed
by everything the answer depends on: the decision as built (its `repr`, which holds every value
and position), the file's text (expression errors quote columns from it), the program's
parameter names and schemas (a `format: date-time` parameter is compared as one: E003), and the
store's engine stamp (engine.cache.store).

The decision's own file is not part of the key: the decision is keyed as if it stood in a file
named ``_HERE`` (every position in it, and its ``file``, moved there; its values untouched), and
its problems in that file are kept as ``_HERE``'s and given back as the file's. So a copy of a
repository in another folder (tests make many; a CI checkout) finds the entries of the original.
Problems naming another file, or a message quoting the path, are not kept.

An entry stores its full key and is used only when the key matches exactly, so a collision of
file names can cost a recompile, never a wrong answer. Where it lives and how it is written:
engine.cache.store. Any failure to read or write it is ignored.

Within one process a memo keeps the same answers by the same key (tests, `serve` and `api` load
the same decisions again and again), so the disk is not read either.

A second memo keeps the compiled decisions themselves, with their problems (``COMPILED``, keyed by
``decision_key``): a repository loaded again in one process (a test, `serve` rebuilding on every
edit, a library caller's second ``engine.load``) answers through the decisions compiled for the
first, and compiles none again. Its key holds the decision's own file and positions (a compiled
decision holds the decision, whose positions answers and explanations name), so a copy of the
repository in another folder compiles its own.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from engine.cache import store
from engine.cache.memo import Memo
from engine.frozen import Frozen
from engine.problems import Pos, Problem, movable, moved
from engine.source.loader import read_bytes

_VERSION = "5"  # 5: the parameters' schemas; 4: the decision's own file out of the key (see _HERE); 3: under the store's engine stamp
_MAX_ENTRIES = 20_000
_HERE = "<this decision's file>"  # what the decision's own file is called in keys and entries
_written: list[str] = []
_MEMO: Memo[tuple[Problem, ...]] = Memo(4096)  # key's digest -> problems (in _HERE)
# decision_key -> (the CompiledDecision, or None when it has errors; its problems), weighed by the
# length of its generated Python (a few KB for most; bounded, whatever a server compiles in its life)
COMPILED: Memo[tuple[Any, tuple[Problem, ...]]] = Memo(1024, 32 * 1024 * 1024)


def _key(decision: Any, parameters: set[str], schemas: Mapping[str, object], text: str | None = None) -> str | None:
    """``text``: the decision's file's text when it was not read from the file (an editor's buffer)."""
    if text is None:
        try:
            with open(decision.file, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError):
            return None
    here = repr(_moved(decision, decision.file))
    read = repr(sorted(schemas.items()))  # (plain values read from YAML: their repr says them all)
    return "\0".join((_VERSION, store.engine_stamp(), here, text, " ".join(sorted(parameters)), read))


def decision_key(
    decision: Any, parameters: set[str], schemas: Mapping[str, object], text: str | None = None
) -> str | None:
    """The key of ``COMPILED``: a digest of everything ``compile_decision(decision, parameters,
    schemas, text)`` reads, or None when it cannot be said (its file cannot be read).

    Its ingredients: the decision as built (its ``repr`` holds every value, in order, and every
    position with its file: the rows, `let`s, inputs' schemas, outputs, hit policy, id and program
    that the checks and the generated code read), the parameters' names and schemas (a date-time
    parameter is compared as one: E003), and the text its problems are placed in: ``text`` when
    given, else the file's bytes, which ``engine.decisions.expr.locate`` reads for a problem's
    column (``engine.source.scalars.in_file``). Nothing else is read: no clock, no environment,
    no other file. ~0.1-0.3 ms for a decision that takes 3-9 ms to compile."""
    if text is None:
        try:
            where: bytes | str = read_bytes(decision.file)
        except OSError:
            return None
    else:
        where = text
    return store.digest(
        "compiled 1",
        repr(decision),
        " ".join(sorted(parameters)),
        repr(sorted(schemas.items())),  # (plain values read from YAML: their repr says them all)
        "bytes" if isinstance(where, bytes) else "text",
        where,
    )


def _moved(value: Any, file: str) -> Any:
    """``value`` (a decision, or a part of one) with every position in ``file`` moved to _HERE, and
    a ``file`` field naming it too; nothing else changed (values naming the path stay as they are)."""
    if isinstance(value, Pos):
        return Pos(_HERE, value.line, value.col) if value.file == file else value
    if isinstance(value, Frozen):
        changed = {name: _moved(getattr(value, name), file) for name in value.__match_args__}
        if changed.get("file") == file:
            changed["file"] = _HERE
        return value.replace(**changed)
    if type(value) is tuple or type(value) is list:
        return type(value)(_moved(v, file) for v in value)
    if type(value) is dict:
        return {k: _moved(v, file) for k, v in value.items()}
    return value


def _kept(problems: list[Problem], file: str) -> tuple[Problem, ...] | None:
    """``problems`` as an entry keeps them (in _HERE), or None if they cannot be moved back exactly."""
    return tuple(moved(problems, _HERE)) if movable(problems, file) else None


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
    # (each file and text as the problem holds it: `to_json` names paths for output, from the working folder)
    body = {
        "key": key,
        "problems": [{**p.to_json(), "file": p.file, "message": p.message, "hint": p.hint} for p in problems],
    }
    store.write_entry(path, json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def get(
    decision: Any, parameters: set[str], schemas: Mapping[str, object], text: str | None = None
) -> list[Problem] | None:
    """The problems recorded for this exact decision (in this process, else on disk), or None.
    ``text``: its file's text, when it was not read from the file (else the file is read)."""
    key = _key(decision, parameters, schemas, text)
    if key is None:
        return None
    known = _MEMO.get(store.digest(key))
    if known is not None:
        return moved(known, decision.file)
    folder = store.folder("decisions")
    if folder is None:
        return None
    found = read_problems(_path(folder, key), key)
    if found is None:
        return None
    _MEMO.put(store.digest(key), tuple(found))
    return moved(found, decision.file)


def put(
    decision: Any, parameters: set[str], problems: list[Problem], schemas: Mapping[str, object], text: str | None = None
) -> None:
    key = _key(decision, parameters, schemas, text)
    kept = None if key is None else _kept(problems, decision.file)
    if key is None or kept is None:
        return
    _MEMO.put(store.digest(key), kept)
    folder = store.folder("decisions")
    if folder is None:
        return
    problems = list(kept)
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
