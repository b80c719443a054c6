"""Files `fmt` found already formatted, kept per content, so `fmt --check` does not format them again.

`policyctl fmt` round-trips each file through ruamel.yaml (a pure-Python parser) twice, ~25 ms
a file: the slowest of the pre-commit hooks, and on every commit and every CI run almost every
file it reads is unchanged and already formatted. As Black does, only that answer is kept (a
file that would change, or cannot be formatted, is formatted again each time, and its result is
never stored), under a key of exactly what formatting reads:

- the file's text, the kind it is formatted as, and the schemas (key order comes from the order
  of a kind's `properties`, and of those it refers to); not its path (formatting does not depend
  on where the file is);
- for the disk, the store's engine stamp (engine.cache.store): fmt's code, ruamel.yaml, Python.

Kept twice, as the other caches are: an empty file named by the key in the store's `formatted`
folder (its name is the answer), for a later process, and a bounded memo for this one.
"""

from __future__ import annotations

import os

from engine.cache import store
from engine.cache.memo import Memo

_VERSION = "1"
_KIND = "formatted"

# keys of texts found formatted; a key is 40 characters, so 4,096 of them are ~0.5 MB
_KNOWN: Memo[bool] = Memo(store.ENTRIES)


def key(text: str, kind: str | None, schemas: str) -> str:
    """The key of ``text`` formatted as ``kind`` (None: no kind, so no key order) by the schemas
    whose fingerprint is ``schemas`` (engine.schema.codegen.fingerprint)."""
    return store.digest(_VERSION, kind or "\0none", schemas, text)


def known(key: str) -> bool:
    """Whether the text of ``key`` was found formatted, in this process or by an earlier one."""
    if _KNOWN.get(key):
        return True
    path = _path(key)
    if path is None or not os.path.exists(path):
        return False
    _KNOWN.put(key, True)
    return True


def remember(key: str) -> None:
    """Keep that the text of ``key`` is formatted."""
    _KNOWN.put(key, True)
    path = _path(key)
    if path is not None:
        store.write_entry(path, b"")


def _path(key: str) -> str | None:
    where = store.folder(_KIND)
    return None if where is None else os.path.join(where, store.digest(store.engine_stamp(), key))
