"""Parsed policy files kept between runs: a file whose bytes have not changed is not parsed again.

Reading YAML with positions costs ~0.7 ms per file even with libyaml (PyYAML builds a Python
object per event); reading the same values back with ``marshal`` costs a tenth of that. For a
large repository that is most of `policyctl validate`, and all of what `decide`, `test` and an
incremental `build` spend before their own work.

One pack per repository folder, in the store (engine.cache.store: ``POLICYCTL_CACHE``,
``off`` disables it). An entry holds the BLAKE2b digest of the file's exact bytes and what the
loader made of them; it is used only when the bytes read now have the same digest, so an edit is
never missed, whatever the file's time stamps say. The pack also records a checksum of the
loader's sources and PyYAML's version: a different loader discards it. Entries of files not read
in a run are dropped when the pack is written again. Any failure to read or write the pack means
parsing as usual.

A document read from the pack, or parsed in this run (``PackedDocument``), gives the same values
and positions; it finds the position of every node (by parsing its text again) only when asked
for one beyond those a load itself uses, so a large repository is not held in memory with a
position for each of its nodes.
"""

from __future__ import annotations

import marshal
import os
import zlib
from collections.abc import Iterator
from types import MemberDescriptorType
from typing import Any

from engine.cache.memo import Memo
from engine.problems import Pos, Problem, movable, moved
from engine.source.loader import Document, Path, decode, load_bytes, load_file, load_text, read_bytes

_VERSION = "3"  # 3: the file by digest, near positions only (the rest from the text, when asked), records
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
        self.maps: dict[tuple[Any, ...], dict[Any, tuple[int, int]]] = {}
        self.texts: dict[str, str] = {}

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
                records = _records(f.read())  # marshal.load(f) reads item by item: 10x slower
            if next(records) == (stamp, root):
                for body in records:
                    if not isinstance(body, dict):
                        raise TypeError(type(body).__name__)
                    entries.update(body)
        except (OSError, ValueError, EOFError, TypeError, StopIteration):
            entries = {}
        return cls(file, root, entries, stamp)

    def load(self, path: str, raw: bytes | None = None, digest: str | None = None) -> Document:
        """``loader.load_file(path)``, from the pack when the file's bytes are unchanged (``raw``:
        the bytes, when the caller has read them already; ``digest``: their ``store.digest``)."""
        if raw is None:
            try:
                raw = read_bytes(path)
            except OSError:
                return load_file(path)
        if digest is None:
            from engine.cache import store

            digest = store.digest(raw)
        entry = self.entries.get(path)
        if entry is not None and entry[0] == digest:
            text, problem = decode(raw, path)
            if problem is None and text is not None:
                self.used[path] = entry
                return PackedDocument(path, entry[1], entry[2], entry[3], None, [Problem(*p) for p in entry[4]], text)
        doc = load_bytes(raw, path)
        if not doc.text:
            return doc
        # Kept: the near positions (shared), not the ~220 of every node and key: a large
        # repository held them all for the whole run (~10 KB a file). The document answers as the
        # parsed one did; a position beyond the near ones is found by parsing its text again.
        near, near_keys = self._share(_near(doc.positions)), self._share(_near(doc.key_positions))
        self._share_texts(doc.data)
        problems = [(p.file, p.line, p.col, p.code, p.message, p.hint, p.severity) for p in doc.problems]
        self.used[path] = (digest, doc.data, near, near_keys, problems)
        self.changed = True
        return PackedDocument(path, doc.data, near, near_keys, None, doc.problems, doc.text)

    def keep(self, path: str, digest: str, doc: Document, loaded: int) -> None:
        """Record ``doc`` (``path``'s document, read from bytes of ``digest`` and found in this
        process's memo instead of by ``load``) as used in this run, as ``load`` would have: the
        pack written at the end is the one a load without the memo writes. ``loaded``: how many of
        its problems are the loader's (the rest, the schema's, are not the pack's)."""
        entry = self.entries.get(path)
        if entry is not None and entry[0] == digest:
            self.used[path] = entry
            return
        if not doc.text:
            return  # (``load`` keeps no entry of a file it could not decode)
        if isinstance(doc, PackedDocument):
            near, near_keys = doc.near, doc.near_keys
        else:
            near, near_keys = self._share(_near(doc.positions)), self._share(_near(doc.key_positions))
        problems = [(p.file, p.line, p.col, p.code, p.message, p.hint, p.severity) for p in doc.problems[:loaded]]
        self.used[path] = (digest, doc.data, near, near_keys, problems)
        self.changed = True

    def _share(self, positions: dict[Any, tuple[int, int]]) -> dict[Any, tuple[int, int]]:
        """The same positions, each path and each (line, col) one object for all the files parsed
        in this run: files of one layout repeat the same paths and places, so the near positions
        of the whole pack hold a few thousand distinct tuples (written once each, marshal refers
        to them again), and the cycle collector has a fraction of the objects to scan. Paths hold
        only str keys and int indexes, so equal means identical."""
        shared = self.shared.setdefault
        found = {shared(path, path): shared(where, where) for path, where in positions.items()}
        # Files written from one template (a marketplace's overlay in each program) often have the
        # very same near positions: one mapping for all of them (never changed once made).
        return self.maps.setdefault(tuple(found.items()), found)

    def _share_texts(self, node: Any) -> None:
        """Each text value of ``node`` (a document's data), one object for all the files of this
        run: sources, dates, currencies and descriptions repeat across a repository's files (keys
        are interned by the loader already). Equal texts are interchangeable; the pack writes a
        shared one once per record."""
        texts = self.texts.setdefault
        stack = [node]
        while stack:
            item = stack.pop()
            if type(item) is dict:
                for key, value in item.items():
                    if type(value) is str:
                        item[key] = texts(value, value)
                    elif type(value) is dict or type(value) is list:
                        stack.append(value)
            elif type(item) is list:
                for i, value in enumerate(item):
                    if type(value) is str:
                        item[i] = texts(value, value)
                    elif type(value) is dict or type(value) is list:
                        stack.append(value)

    def save(self) -> None:
        """Write the entries used in this run, if anything changed: a record of the stamp, then
        records of at most ``CHUNK`` entries, each marshalled as it is written (one marshal of
        the whole pack doubled a large repository's memory at the end of loading: the bytes and
        marshal's table of every object written)."""
        if not (self.changed or len(self.used) != len(self.entries)):
            return
        from engine.cache import store

        def records() -> Iterator[bytes]:
            size = 0
            items = list(self.used.items())
            head = [(self.stamp, self.root)]
            for part in head + [dict(items[i : i + CHUNK]) for i in range(0, len(items), CHUNK)]:
                blob = marshal.dumps(part)
                size += 8 + len(blob)
                if size > _MAX_PACK:
                    raise _TooLarge
                yield len(blob).to_bytes(8, "little")
                yield blob

        try:
            store.write_pack(self.file, records())
        except (ValueError, _TooLarge):  # a value marshal cannot write; a pack not worth writing
            return


CHUNK = 1000  # entries per record of a pack


class _TooLarge(Exception):
    pass


def _records(data: bytes) -> Iterator[Any]:
    """The records of a pack: each an 8-byte length, then that many bytes of marshal."""
    view, at = memoryview(data), 0
    while at < len(data):
        size = int.from_bytes(view[at : at + 8], "little")
        at += 8
        if size > len(data) - at:
            raise EOFError("a cut pack")
        yield marshal.loads(view[at : at + size])
        at += size


# Positions found again on demand. A file has a position for every node and key (~220 in an
# overlay), but loading one asks for a handful: its root, its parameters' keys and values, and the
# dated changes' values (problems ask for others, rarely). The pack keeps those "near" positions as
# dicts; the first time a position outside the near ones, or `positions` itself, is wanted, the
# document's text is parsed again (the same loader on the same text: the same positions). Reading
# the pack then builds ~25 dict entries per file instead of ~220, and memory holds only those,
# for files read from the pack and files parsed in this run alike.


def _is_near(path: Path) -> bool:
    """Which paths the near positions cover, all of them: for such a path, absent there means
    absent from the document (any other path is looked up in the whole set). A rule's outputs
    (`rules: [{then: {NAME: ...}}]`) are near too: compiling a decision asks for each of them."""
    return len(path) <= 3 or path[-1] == "value" or path[-2] == "then"


def _near(positions: dict[Any, tuple[int, int]]) -> dict[Any, tuple[int, int]]:
    # `_is_near` written out: every position of every file parsed in a cold run passes here
    return {p: w for p, w in positions.items() if len(p) <= 3 or p[-1] == "value" or p[-2] == "then"}


# the slots of the base class, under the properties below (read from the class's namespace: an
# attribute read would say "a dict", which only instances hold)
_POSITIONS: MemberDescriptorType = Document.__dict__["positions"]
_KEY_POSITIONS: MemberDescriptorType = Document.__dict__["key_positions"]
_TEXT: MemberDescriptorType = Document.__dict__["text"]
_PACKED_TEXT = 512  # characters: a longer text is kept compressed (few ask for it: snippets, page keys)


class PackedDocument(Document):
    """A document read from the pack, or parsed in this run and reduced to its near positions: the
    same values and answers as the parsed one; its full positions are found on first use (see
    ``_is_near``): decoded from ``blob`` (a marshal of both mappings) if it has one, else by parsing
    its text again. Its text is kept compressed (a third of its size): it is read to show a
    problem's line and to parse the positions again, rarely."""

    __slots__ = ("blob", "near", "near_keys", "packed")

    def __init__(
        self,
        path: str,
        data: Any,
        near: dict[Any, tuple[int, int]],
        near_keys: dict[Any, tuple[int, int]],
        blob: bytes | None,
        problems: list[Problem],
        text: str,
    ) -> None:
        Document.__init__(self, path, data, {}, {}, problems, "")
        _POSITIONS.__set__(self, None)  # None: decoded from the blob on first use
        _KEY_POSITIONS.__set__(self, None)
        self.near, self.near_keys, self.blob = near, near_keys, blob
        self._set_text(text)

    def _get_text(self) -> str:
        packed = self.packed
        if packed is None:
            text: str = _TEXT.__get__(self)
            return text
        return zlib.decompress(packed).decode("utf-8", "surrogatepass")

    def _set_text(self, value: str) -> None:
        if len(value) > _PACKED_TEXT:
            self.packed: bytes | None = zlib.compress(value.encode("utf-8", "surrogatepass"), 1)
            _TEXT.__set__(self, "")
        else:
            self.packed = None
            _TEXT.__set__(self, value)

    text = property(_get_text, _set_text)

    def _decode(self) -> None:
        if self.blob is not None:
            positions, key_positions = marshal.loads(self.blob)
        else:
            parsed = load_text(self.text, self.path)
            positions, key_positions = parsed.positions, parsed.key_positions
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

    @property
    def decoded(self) -> bool:
        """Whether the whole set of positions was read (the pack's blob decoded, or the text parsed
        again). Loading clean files asks for near positions only; a check that asks for any other
        on a clean file keeps every file's whole set in memory (tests hold loads to this)."""
        return _POSITIONS.__get__(self) is not None

    def pos(self, path: Path | list[Any] = ()) -> Pos:
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

    def key_pos(self, path: Path | list[Any]) -> Pos:
        if _KEY_POSITIONS.__get__(self) is None:
            if type(path) is not tuple:
                path = tuple(path)
            if _is_near(path):
                found = self.near_keys.get(path)
                return Pos(self.path, found[0], found[1]) if found is not None else self.pos(path)
        return Document.key_pos(self, path)


# -- in this process: each file's bytes read, checked and kept once ---------------------------
#
# Tests, `policyctl serve` and `policyctl api` load the same files again and again in one process
# (tests load copies of the same repositories in other folders, each with a disk cache of its own).
# What reading one file gives (its document and its problems, the loader's and the schema's) is a
# function of its bytes, the kind the layout gives its place and its path; the path only names the
# file in positions and problems. So the memo is keyed by the kind and the bytes' digest, and a
# document found there is handed out under the path asked for: a copy of a repository in another
# folder reads its own paths, from the same entries (a key holding the path would miss every copy).
# The engine itself is fixed within a process. A document handed out is a new object (its own
# problem list and path) over the same data and position mappings: nothing changes those once a
# load has made them (checked 2026-12: every hit of a whole quick test suite compared with a deep
# copy taken when its entry was kept; none had changed).

# (public: tests check its bound)
READ_MEMO: Memo[tuple[Document, int, str | None]] = Memo(4096, 32 * 1024 * 1024)  # bytes of source


def recall(key: tuple[str | None, str], path: str, pack: Pack | None) -> tuple[Document, str | None] | None:
    """``(document, kind)`` as reading the file at ``path`` whose bytes and layout kind make ``key``
    gave in this process, or None. ``pack``: the disk pack of this load, told of the file as if it
    had been read through it."""
    found = READ_MEMO.get(key)
    if found is None:
        return None
    template, loaded, kind = found
    doc = _moved(template, path)
    if pack is not None:
        pack.keep(path, key[1], doc, loaded)
    return doc, kind


def remember(key: tuple[str | None, str], doc: Document, loaded: int, kind: str | None, size: int) -> None:
    """Keep what reading a file gave (``loaded``: how many of its problems the loader found;
    ``size``: its bytes, the entry's weight), unless a problem names another file or a message
    names this one: a document moved to another path would then be wrong."""
    path = doc.path
    if not movable(doc.problems, path):
        return
    READ_MEMO.put(key, (_moved(doc, path), loaded, kind), size)  # (a copy: the caller may add problems to its own)


_PATH: MemberDescriptorType = Document.__dict__["path"]
_DATA: MemberDescriptorType = Document.__dict__["data"]
_PROBLEMS: MemberDescriptorType = Document.__dict__["problems"]


def _moved(doc: Document, path: str) -> Document:
    """A new document of ``doc``'s data and positions, at ``path`` (its problems too)."""
    problems = moved(doc.problems, path)
    if type(doc) is not PackedDocument:
        return Document(path, doc.data, doc.positions, doc.key_positions, problems, doc.text)
    assert isinstance(doc, PackedDocument)
    new = object.__new__(PackedDocument)  # (not __init__: it would compress the text again)
    _PATH.__set__(new, path)
    _DATA.__set__(new, doc.data)
    _PROBLEMS.__set__(new, problems)
    _POSITIONS.__set__(new, _POSITIONS.__get__(doc))  # (None, or positions decoded once: the same)
    _KEY_POSITIONS.__set__(new, _KEY_POSITIONS.__get__(doc))
    _TEXT.__set__(new, _TEXT.__get__(doc))
    new.packed, new.blob, new.near, new.near_keys = doc.packed, doc.blob, doc.near, doc.near_keys
    return new
