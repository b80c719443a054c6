"""Parsed policy files kept between runs: a file whose bytes have not changed is not parsed again.

Reading YAML with positions costs ~0.7 ms per file even with libyaml (PyYAML builds a Python
object per event); reading the same values back with ``marshal`` costs a tenth of that. For a
large repository that is most of `policyctl validate`, and all of what `decide`, `test` and an
incremental `build` spend before their own work.

One pack per repository folder, in the store (engine.cache.store: ``POLICYCTL_CACHE``,
``off`` disables it). An entry holds the file's exact bytes and what the loader made of them;
it is used only when the bytes read now are the same, so an edit is never missed, whatever the
file's time stamps say. The pack also records a checksum of the loader's sources and PyYAML's
version: a different loader discards it. Entries of files not read in a run are dropped when the
pack is written again. Any failure to read or write the pack means parsing as usual.

A document read from the pack (``PackedDocument``) gives the same values and positions; it decodes
the position of every node only when asked for one beyond those a load itself uses.
"""

from __future__ import annotations

import marshal
import os
from types import MemberDescriptorType
from typing import Any

from engine.problems import Pos, Problem
from engine.source.loader import Document, Path, decode, load_bytes, load_file, read_bytes

_VERSION = "2"  # 2: near positions and a blob of all of them
_MAX_PACK = 256 * 1024 * 1024  # bytes of a pack worth writing


def _loader_checksum() -> str:
    import yaml

    from engine.cache import store

    return f"{_VERSION}:{store.engine_stamp()}:{yaml.__version__}:{getattr(yaml, '__with_libyaml__', False)}"


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
        from engine.cache import store

        folder = store.folder("documents")
        if folder is None:
            return None
        root = os.path.abspath(root)
        file = os.path.join(folder, f"{store.digest(root)}.marshal")
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
                return PackedDocument(
                    path, entry[1], entry[2], entry[3], entry[4], [Problem(*p) for p in entry[5]], text
                )
        doc = load_bytes(raw, path)
        if doc.text:
            positions, key_positions = self._share(doc.positions), self._share(doc.key_positions)
            doc.positions, doc.key_positions = positions, key_positions
            self.used[path] = (
                raw,
                doc.data,
                _near(positions),
                _near(key_positions),
                marshal.dumps((positions, key_positions)),
                [(p.file, p.line, p.col, p.code, p.message, p.hint, p.severity) for p in doc.problems],
            )
            self.changed = True
        return doc

    def _share(self, positions: dict[Any, tuple[int, int]]) -> dict[Any, tuple[int, int]]:
        """The same positions, each path and each (line, col) one object for all the files parsed
        in this run: files of one layout repeat the same paths and places, so the near positions
        of the whole pack hold a few thousand distinct tuples (written once each, marshal refers
        to them again), and the cycle collector has a fraction of the objects to scan. Paths hold
        only str keys and int indexes, so equal means identical."""
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
        from engine.cache import store

        store.write_pack(self.file, blob)


# Positions read back on demand. A file has a position for every node and key (~220 in an
# overlay), but loading one asks for a handful: its root, its parameters' keys and values, and the
# dated changes' values (problems ask for others, rarely). The pack keeps those "near" positions as
# dicts and all of them as one marshal blob, decoded the first time a position outside the near
# ones, or `positions` itself, is wanted: reading the pack then builds ~25 dict entries per file
# instead of ~220 (the largest part of reading it) and memory holds only those.


def _is_near(path: Path) -> bool:
    """Which paths the near positions cover, all of them: for such a path, absent there means
    absent from the document (any other path is looked up in the whole set)."""
    return len(path) <= 3 or path[-1] == "value"


def _near(positions: dict[Any, tuple[int, int]]) -> dict[Any, tuple[int, int]]:
    return {path: where for path, where in positions.items() if _is_near(path)}


# the slots of the base class, under the properties below (read from the class's namespace: an
# attribute read would say "a dict", which only instances hold)
_POSITIONS: MemberDescriptorType = Document.__dict__["positions"]
_KEY_POSITIONS: MemberDescriptorType = Document.__dict__["key_positions"]


class PackedDocument(Document):
    """A document read from the pack: the same values and answers as the parsed one; its full
    positions are decoded from the blob on first use (see ``_is_near``)."""

    __slots__ = ("blob", "near", "near_keys")

    def __init__(
        self,
        path: str,
        data: Any,
        near: dict[Any, tuple[int, int]],
        near_keys: dict[Any, tuple[int, int]],
        blob: bytes,
        problems: list[Problem],
        text: str,
    ) -> None:
        Document.__init__(self, path, data, {}, {}, problems, text)
        _POSITIONS.__set__(self, None)  # None: decoded from the blob on first use
        _KEY_POSITIONS.__set__(self, None)
        self.near, self.near_keys, self.blob = near, near_keys, blob

    def _decode(self) -> None:
        positions, key_positions = marshal.loads(self.blob)
        _POSITIONS.__set__(self, positions)
        _KEY_POSITIONS.__set__(self, key_positions)

    def _get_positions(self) -> dict[Path, tuple[int, int]]:
        if _POSITIONS.__get__(self) is None:
            self._decode()
        positions: dict[Path, tuple[int, int]] = _POSITIONS.__get__(self)
        return positions

    def _set_positions(self, value: dict[Path, tuple[int, int]]) -> None:
        _POSITIONS.__set__(self, value)

    def _get_key_positions(self) -> dict[Path, tuple[int, int]]:
        if _KEY_POSITIONS.__get__(self) is None:
            self._decode()
        positions: dict[Path, tuple[int, int]] = _KEY_POSITIONS.__get__(self)
        return positions

    def _set_key_positions(self, value: dict[Path, tuple[int, int]]) -> None:
        _KEY_POSITIONS.__set__(self, value)

    positions = property(_get_positions, _set_positions)
    key_positions = property(_get_key_positions, _set_key_positions)

    def pos(self, path: Path = ()) -> Pos:
        if _POSITIONS.__get__(self) is None:
            if type(path) is not tuple:
                path = tuple(path)
            near = self.near
            while _is_near(path):  # as Document.pos, as long as the near positions know the answer
                found = near.get(path)
                if found is not None:
                    return Pos(self.path, found[0], found[1])
                if not path:
                    return Pos(self.path, 1, 1)
                path = path[:-1]
        return Document.pos(self, path)

    def key_pos(self, path: Path) -> Pos:
        if _KEY_POSITIONS.__get__(self) is None:
            if type(path) is not tuple:
                path = tuple(path)
            if _is_near(path):
                found = self.near_keys.get(path)
                return Pos(self.path, found[0], found[1]) if found is not None else self.pos(path)
        return Document.key_pos(self, path)
