"""What a template's text alone gives once Jinja2 has parsed it, kept on disk for the next process.

A build with nothing changed still reads two things out of templates it does not render: the
messages of the site's templates (their source places, for the layout's translations:
engine.i18n.catalogs `jinja_extract`) and the templates each template names (whether a page could
load the layout: engine.cache.pages `_reads_layout`). Both come from Jinja2's parse of the text,
~30 ms of a ~330 ms `policyctl build` of the starter repository with nothing to do, every time.
Each process keeps them in a memo (engine.cache.memo); this keeps them on disk too, so that a
later process does not parse what an earlier one parsed:

- keyed by what the answer is a function of: the ``what`` (which reading of the text), the text's
  digest and the reading's arguments, and the store's engine stamp (engine.cache.store: the
  parsing code, Jinja2, Python); never by the path, which no answer holds;
- a value is JSON of strings, numbers, None and lists; the caller turns lists back into the
  tuples it keeps (``thaw``). A text that fails to parse raises in the caller, and nothing is
  kept, as before;
- one small entry per key in the store's `templates` folder (engine.cache.store `write_entry`),
  holding its key: an entry under another key, unreadable or malformed, is a miss.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, TypeVar

from engine.cache import store

_VERSION = "1"
_KIND = "templates"
T = TypeVar("T")


def _key(what: str, parts: tuple[bytes | str, ...]) -> str:
    return store.digest(_VERSION, what, store.engine_stamp(), *parts)


def _path(folder: str, key: str) -> str:
    return os.path.join(folder, f"parsed-{key}.json")


def get(what: str, parts: tuple[bytes | str, ...], thaw: Callable[[Any], T]) -> T | None:
    """What reading ``what`` gave for ``parts`` (the text's digest and the reading's arguments),
    made again by ``thaw`` from its JSON; None when the store is off or holds none (``thaw``
    failing on a malformed entry is a miss too)."""
    folder = store.folder(_KIND)
    if folder is None:
        return None
    key = _key(what, parts)
    try:
        with open(_path(folder, key), encoding="utf-8") as f:
            entry = json.load(f)
        if not isinstance(entry, dict) or entry.get("key") != key:
            return None
        return thaw(entry["value"])
    except (OSError, ValueError, TypeError, KeyError, IndexError):
        return None


def put(what: str, parts: tuple[bytes | str, ...], value: Any) -> None:
    """Store ``value`` (JSON-able) for a later `get`; a store that cannot be written is not used."""
    folder = store.folder(_KIND)
    if folder is None:
        return
    key = _key(what, parts)
    body = json.dumps({"key": key, "value": value}, ensure_ascii=False)
    store.write_entry(_path(folder, key), body.encode("utf-8", "surrogatepass"))
