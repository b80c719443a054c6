"""Pages kept between builds: a page whose inputs have not changed is not rendered again.

Rendering is most of `policyctl build` (~10 ms per page in each language, Markdown and HTML), and
most edits change few pages: one parameter of one marketplace changes that marketplace's pages,
in each of its languages. So each page gets a key: a digest of everything its two files are made
from (see `page_keys`), and the cache remembers, per page, the key it was built with, its title
(for the index) and the size, time and inode of the two files written. A later build keeps a
page's files as they are on disk when the key is the same and both files are still the ones
written then; everything else is rendered as usual. Index files are always made again.

What goes into a key is the contract that keeps kept pages exact; when `engine.site.context`,
`engine.site.page` or `engine.site.assemble` start to read something new, it must be added here.
`tests/test_incremental.py` checks, edit by edit, that a build using the cache writes byte for byte
what a full build writes. The checks that make a full build refuse to publish (template, catalog
and data problems) are a function of the same inputs, and entries are stored only after a build
without problems, so a kept page cannot hide a problem.

One pack per (repository folder, output folder) in the store (`engine.cache.store`)
(``POLICYCTL_CACHE``; ``off`` disables it and every build renders every page). A pack made by
other engine code, Jinja2, Babel or markdown-it is discarded. Any failure to read or write the
pack means rendering as usual.
"""

from __future__ import annotations

import hashlib
import marshal
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.model.repository import Repository
    from engine.site.editions import Edition
    from engine.site.plan import Plan

_VERSION = "1"
_MAX_PACK = 256 * 1024 * 1024
Signature = tuple[int, int, int]  # (size, mtime_ns, inode) of a file as written


def _engine_stamp() -> str:
    """Every engine source, every installed library, the Python and the time zone database."""
    from engine.cache import store

    return f"{_VERSION}:{store.engine_stamp()}"


def index_key(stamp: bytes, entries: list[dict[str, Any]]) -> str:
    """The key of the index files: the pages' rows (paths, titles, dates) and the world digest."""
    return hashlib.blake2b(stamp + repr(entries).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _digest(*parts: Any) -> bytes:
    """Digest of values whose `repr` is exact: str, numbers, None, tuples, lists, dicts, dataclasses."""
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _files_digest(folder: str, skip: str | None = None) -> bytes:
    """Names and bytes of every file below ``folder`` (except the subfolder ``skip``)."""
    h = hashlib.blake2b(digest_size=16)
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not (dirpath == folder and d == skip))
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            h.update(os.path.relpath(path, folder).encode("utf-8", "surrogatepass") + b"\0")
            try:
                with open(path, "rb") as f:
                    h.update(f.read())
            except OSError as e:
                h.update(f"unreadable {e.errno}".encode())
            h.update(b"\0")
    return h.digest()


def _file_digest(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return hashlib.blake2b(f.read(), digest_size=16).digest()
    except OSError:
        return b"missing"


def _text(repo: Repository, path: str) -> str | None:
    doc = repo._documents.get(path)
    return doc.text if doc is not None else None


def page_keys(repo: Repository, work: Plan, at: str | None) -> tuple[list[str], bytes]:
    """Each planned page's key (in plan order): a digest of everything its Markdown and HTML
    files are made from; and the digest of what every page shares (the first three items below).

    - the engine and library versions (`_engine_stamp`);
    - the program's templates (`pages/`) and the shared ones (`_site/`), and the catalogs of the
      page's language in both (`locales/<tag>.po`), with, for a language shown in English for now,
      the program's translations the catalog check accepts (`Plan.usable`: the chooser's title);
    - the program's data a page can show, as written: `program.yaml` (names, labels, parameters
      with their dated history), the ids of its decisions (the `examples` view has one entry
      each), the overlay file of the page's marketplace, the worked examples for that
      marketplace (with their `source`) and the files of their decisions (which parameters an
      example's answer reads decides whether it rests on an assumption); and which effective
      dates have passed on the build day (this, not the day itself, decides what a page says)
      or, for a past edition, on its own day; and the program's editions in that marketplace
      (each links all);
    - every marketplace's record and every program's names (switchers, the `programs` view);
    - the page itself, the languages and marketplaces it is published in (the HTML switchers),
      and the other programs' pages for the same marketplace and language (links).

    Not the marketplaces each program is offered in: a page shows those of its own page (the
    switchers, above) and links to another program only where that one has a page in the same
    marketplace and language (above). A new overlay file that offers a program in one more
    marketplace renders that program's pages again (their switchers) and the other programs'
    pages in that marketplace (their links), no other page.
    """
    from engine.i18n.catalogs import SITE
    from engine.model.clock import today
    from engine.packaged import site_dir

    world = _digest(
        _engine_stamp(),
        _files_digest(site_dir(repo.root), skip="locales"),
        sorted((m.id, m.country, m.currency, m.time_zone, m.locales, m.site) for m in repo.marketplaces.values()),
        sorted((pid, p.names) for pid, p in repo.programs.items()),
    )
    programs: dict[str, bytes] = {}
    site_catalogs: dict[str, bytes] = {}
    catalogs: dict[tuple[str, str], bytes] = {}
    markets: dict[tuple[str, str, Edition | None], bytes] = {}
    days: dict[str, str] = {}
    links: dict[tuple[str, str], bytes] = {}
    firsts = work.first_pages()
    published: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for job in work.jobs:
        published.setdefault((job.page.program, job.page.id), []).append((job.marketplace, job.locale, job.fallback))
    pages = {where: _digest(where, mps) for where, mps in published.items()}
    keys: list[str] = []
    for job in work.jobs:
        page, mp_id, tag = job.page, job.marketplace, job.locale
        pid = page.program
        program = repo.programs[pid]
        mine = programs.get(pid)
        if mine is None:
            mine = programs[pid] = _digest(
                program.dir,
                _text(repo, program.pos.file),
                sorted(program.decisions),
                _files_digest(os.path.join(program.dir, "pages")),
            )
        catalog = catalogs.get((pid, tag))
        if catalog is None:
            if tag not in site_catalogs:
                site_catalogs[tag] = _file_digest(work.domains[SITE].po(tag))
            # (a language shown in English for now: the translations its chooser may borrow, which
            # the facts of every marketplace of the program decide, G006)
            usable = sorted(map(repr, work.usable.get((pid, tag), ())))
            catalog = catalogs[(pid, tag)] = (
                _file_digest(work.domains[pid].po(tag)) + site_catalogs[tag] + _digest(usable)
            )
        market = markets.get((pid, mp_id, job.edition))
        if market is None:
            day = days.get(mp_id)
            if day is None:
                day = days[mp_id] = at or today(repo.marketplaces[mp_id].time_zone)
            overlay = program.overlays.get(mp_id)
            examples = [
                (c.decision, c.at, c.input, c.expect, c.name, c.source)
                for c in program.tests
                if c.example and c.marketplace == mp_id
            ]
            # what a worked example's decision reads decides whether its answer rests on an assumption
            answering = sorted(
                (d, _text(repo, program.decisions[d].file)) for d in {e[0] for e in examples} if d in program.decisions
            )
            # a past edition is rendered for its own day; every edition links all the others
            market = markets[(pid, mp_id, job.edition)] = _digest(
                mp_id,
                overlay and _text(repo, overlay.pos.file),
                examples,
                answering,
                work.effective(repo, pid, mp_id, job.edition.day if job.edition else day),
                job.edition,
                work.editions.get((pid, mp_id)),
            )
        here = links.get((mp_id, tag))
        if here is None:
            here = links[(mp_id, tag)] = _digest(
                mp_id, tag, sorted((p, other.path("md")) for p, other in firsts.get((mp_id, tag), {}).items())
            )
        keys.append(
            hashlib.blake2b(
                b"".join(
                    (
                        world,
                        mine,
                        catalog,
                        market,
                        pages[(pid, page.id)],
                        here,
                        repr((page.template, page.marketplaces)).encode(),
                    )
                ),
                digest_size=16,
            ).hexdigest()
        )
    return keys, world


def _signature(path: str) -> Signature | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def _hash(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


# A file changed again within the clock tick of the build that wrote it can keep its size, time
# and inode; like git's "racily clean" index entries, files whose time is that close to when the
# pack was written are compared by content instead.
RACY_NS = 100_000_000


class PageCache:
    """What the last build into one output folder wrote, page by page."""

    def __init__(self, file: str, head: tuple[str, str, str], saved: int, entries: dict[str, Any]) -> None:
        self.file, self.head, self.saved, self.entries = file, head, saved, entries
        self.out = head[2]

    @classmethod
    def open(cls, root: str, out: str) -> PageCache | None:
        """The cache of building ``root`` into ``out``; None when caching is off."""
        from engine.cache import store

        folder = store.folder("pages")
        if folder is None:
            return None
        root, out = os.path.abspath(root), os.path.abspath(out)
        file = os.path.join(folder, f"{store.digest(root, out)}.marshal")
        head = (_engine_stamp(), root, out)
        saved, entries = 0, {}
        try:
            with open(file, "rb") as f:
                stored_head, saved, entries = marshal.loads(f.read())
            if stored_head != head or not isinstance(entries, dict) or not isinstance(saved, int):
                saved, entries = 0, {}
        except (OSError, ValueError, EOFError, TypeError):
            saved, entries = 0, {}
        return cls(file, head, saved, entries)

    def _unchanged(self, rel: str, signature: Signature, digest: bytes) -> bool:
        path = os.path.join(self.out, rel)
        if _signature(path) != signature:
            return False
        if signature[1] < self.saved - RACY_NS:
            return True
        try:
            with open(path, "rb") as f:
                return _hash(f.read()) == digest
        except OSError:
            return False

    def entry(self, name: str) -> tuple[str, str, tuple[str, ...]] | None:
        """What is stored under ``name``: (key, title, files), for an entry whose files are not
        known beforehand (the search index); whether they are still on disk is `reusable`'s to say."""
        entry = self.entries.get(name)
        if entry is None:
            return None
        return str(entry[0]), str(entry[1]), tuple(rel for rel, _, _ in entry[2])

    def reusable(self, name: str, key: str, files: tuple[str, ...]) -> str | None:
        """The title stored under ``name`` when ``files`` on disk are those built from ``key``; else None."""
        entry = self.entries.get(name)
        if entry is None or entry[0] != key or tuple(rel for rel, _, _ in entry[2]) != files:
            return None
        if not all(self._unchanged(rel, signature, digest) for rel, signature, digest in entry[2]):
            return None
        return str(entry[1])

    def save(
        self, records: dict[str, tuple[str, str, tuple[str, ...]]], files: dict[str, bytes], kept: set[str]
    ) -> None:
        """Remember what is now on disk. ``records`` maps a name (a page's Markdown path) to (key,
        title, its files); ``files`` holds the bytes of the files this build made; those in ``kept``
        were left untouched, so what was stored for them still holds."""
        import time

        saved = time.time_ns()
        entries: dict[str, Any] = {}
        for name, (key, title, paths) in records.items():
            old = self.entries.get(name)
            if old is not None and old[0] == key and all(rel in kept for rel in paths):
                entries[name] = old
                continue
            if not all(rel in files for rel in paths):
                continue
            found = [(rel, _signature(os.path.join(self.out, rel)), _hash(files[rel])) for rel in paths]
            if all(signature is not None for _, signature, _ in found):
                entries[name] = (key, title, tuple(found))
        if entries == self.entries:
            return
        try:
            blob = marshal.dumps((self.head, saved, entries))
        except ValueError:
            return
        if len(blob) <= _MAX_PACK:
            from engine.cache import store

            store.write_pack(self.file, blob)
