"""Parsed policy files kept between runs: a file whose bytes have not changed is not parsed again.

Reading YAML with positions costs ~0.7 ms per file even with libyaml (PyYAML builds a Python
object per event); reading the same values back with ``marshal`` costs a tenth of that. For a
large repository that is most of `policyctl validate`, and all of what `decide`, `test` and an
incremental `build` spend before their own work.

One pack per repository folder, in the cache folder of ``engine.compilecache`` (``POLICYCTL_CACHE``,
``off`` disables both). An entry holds the file's exact bytes and what the loader made of them;
it is used only when the bytes read now are the same, so an edit is never missed, whatever the
file's time stamps say. The pack also records a checksum of the loader's sources and PyYAML's
version: a different loader discards it. Entries of files not read in a run are dropped when the
pack is written again. Any failure to read or write the pack means parsing as usual.
"""

from __future__ import annotations

import marshal
import os
import zlib
from typing import Any

from engine.loader import Document, decode, load_bytes, load_file, read_bytes
from engine.problems import Problem

_VERSION = "1"
_SOURCES = ("loader.py", "problems.py", "doccache.py")
_MAX_PACK = 256 * 1024 * 1024  # bytes of a pack worth writing


def _loader_checksum() -> str:
    import yaml

    from engine.compilecache import sources_crc

    crc = sources_crc(_SOURCES)
    return f"{_VERSION}:{crc:08x}:{yaml.__version__}:{getattr(yaml, '__with_libyaml__', False)}"


class Pack:
    """The parsed files of one repository folder, as of the last run."""

    def __init__(self, file: str, root: str, entries: dict[str, Any], stamp: str) -> None:
        self.file = file
        self.root = root
        self.entries = entries
        self.stamp = stamp
        self.used: dict[str, Any] = {}
        self.changed = False
        self.shared: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    @classmethod
    def open(cls, root: str) -> Pack | None:
        """The pack of the repository folder ``root`` (empty if there is none); None: no caching."""
        from engine.compilecache import directory

        folder = directory()
        if folder is None:
            return None
        root = os.path.abspath(root)
        name = f"{zlib.crc32(root.encode('utf-8', 'surrogatepass')):08x}.marshal"
        file = os.path.join(os.path.dirname(folder), "documents", name)
        stamp = _loader_checksum()
        entries: dict[str, Any] = {}
        try:
            with open(file, "rb") as f:
                head, body = marshal.loads(f.read())  # load(f) reads item by item: 10x slower
            if head == (stamp, root) and isinstance(body, dict):
                entries = body
        except (OSError, ValueError, EOFError, TypeError):
            pass
        return cls(file, root, entries, stamp)

    def load(self, path: str) -> Document:
        """``loader.load_file(path)``, from the pack when the file's bytes are unchanged."""
        try:
            raw = read_bytes(path)
        except OSError:
            return load_file(path)
        entry = self.entries.get(path)
        if entry is not None and entry[0] == raw:
            text, problem = decode(raw, path)
            if problem is None and text is not None:
                self.used[path] = entry
                return Document(path, entry[1], entry[2], entry[3], [Problem(*p) for p in entry[4]], text)
        doc = load_bytes(raw, path)
        if doc.text:
            doc.positions, doc.key_positions = self._share(doc.positions), self._share(doc.key_positions)
            self.used[path] = (raw, doc.data, doc.positions, doc.key_positions,
                               [(p.file, p.line, p.col, p.code, p.message, p.hint, p.severity) for p in doc.problems])
            self.changed = True
        return doc

    def _share(self, positions: dict[Any, tuple[int, int]]) -> dict[Any, tuple[int, int]]:
        """The same positions, each path and each (line, col) one object for all the files parsed
        in this run: files of one layout repeat the same paths and places, so the pack then holds
        ~2,000 distinct tuples instead of ~400,000 (written once each, marshal refers to them
        again). Reading the pack takes half the time, and leaves the cycle collector a fraction of
        the objects to scan. Paths hold only str keys and int indexes, so equal means identical."""
        shared = self.shared.setdefault
        return {shared(path, path): shared(where, where) for path, where in positions.items()}

    def save(self) -> None:
        """Write the entries used in this run, if anything changed."""
        if not (self.changed or len(self.used) != len(self.entries)):
            return
        try:
            blob = marshal.dumps(((self.stamp, self.root), self.used))
        except ValueError:  # a value marshal cannot write
            return
        if len(blob) > _MAX_PACK:
            return
        try:
            folder = os.path.dirname(self.file)
            os.makedirs(folder, exist_ok=True)
            if not os.path.exists(self.file):
                _prune(folder)
            temporary = f"{self.file}.{os.getpid()}.tmp"
            with open(temporary, "wb") as f:
                f.write(blob)
            os.replace(temporary, self.file)
        except OSError:
            pass


def _prune(folder: str, keep: int = 64) -> None:
    """Packs of folders no longer loaded (test runs make many): keep the most recently written."""
    packs = [os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(".marshal")]
    if len(packs) <= keep:
        return
    packs.sort(key=lambda p: os.stat(p).st_mtime, reverse=True)
    for old in packs[keep:]:
        os.remove(old)
