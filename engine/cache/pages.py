"""Pages kept between builds: a page whose inputs have not changed is not rendered again.

Rendering is most of `policyctl build` (~10 ms per page in each language, Markdown and HTML), and
most edits change few pages: one parameter of one marketplace changes that marketplace's pages,
in each of its languages. So each page gets a key: a digest of everything its two files are made
from (see `page_keys`), and the cache remembers, per page, the key it was built with, its title
(for the index) and the size, time and inode of the two files written. A later build keeps a
page's files as they are on disk when the key is the same and both files are still the ones
written then; everything else is rendered as usual. Index files are always made again.

A page is two layers: its text (its template run with its data, the Markdown made HTML: Markdown,
HTML body and title, `Text`) and the HTML layout around it (switchers, alternates, the layout's
templates). So each page also gets a text key, of what its text alone is made from, and the cache
keeps each page's text (compressed, in a pack of its own beside the pages', read only when some
page is not kept). A page whose key changed but whose text key did not (the layout's templates
were edited, a marketplace or language was added to its switchers) is not rendered: its stored
text is put in the layout again, as a render's would be. Rendering is about half of what a page
costs (CPU, on the benchmark's synthetic repository); the layout, feeds and writing the rest.

What goes into a key is the contract that keeps kept pages exact; when `engine.site.context`,
`engine.site.page` or `engine.site.assemble` start to read something new, it must be added here.
A key holds what its page can show, not more: of the marketplaces, its own record (the
`marketplace` view) and what its switchers show of the others, keyed through the function that
makes them (`engine.site.plan.shown_marketplaces`); so an edit of one marketplace, or a new one,
leaves the pages that do not show it as they are.
`tests/test_incremental.py` checks, edit by edit, that a build using the cache writes byte for byte
what a full build writes. The checks that make a full build refuse to publish (template, catalog
and data problems) are a function of the same inputs, and entries are stored only after a build
without problems, so a kept page cannot hide a problem.

One pack (and one of texts) per (repository folder, output folder) in the store (`engine.cache.store`)
(``POLICYCTL_CACHE``; ``off`` disables it and every build renders every page). A pack made by
other engine code, Jinja2, Babel or markdown-it is discarded. Any failure to read or write the
pack means rendering as usual.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import zlib
from typing import TYPE_CHECKING, Any, NamedTuple

from engine.cache.memo import Memo

if TYPE_CHECKING:
    from engine.model.repository import Repository
    from engine.site.editions import Edition
    from engine.site.plan import Job, Plan

_VERSION = "1"
_MAX_PACK = 256 * 1024 * 1024
Signature = tuple[int, int, int]  # (size, mtime_ns, inode) of a file as written
Text = tuple[str, str, str]  # a page's text as rendered: (Markdown, HTML body, title)
# The HTML layout's templates at the top of `_site/` (engine.site.html): what a page's HTML puts its
# body in, not what its text is made from (unless a page's template loads one: `_reads_layout`).
LAYOUT_SUFFIX = ".html.j2"


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


def _files_digest(folder: str, skip: str | None = None, layout: bool = True) -> bytes:
    """Names and bytes of every file below ``folder`` (except the subfolder ``skip``; without
    ``layout``, except the HTML layout's templates at its top, `*.html.j2`)."""
    h = hashlib.blake2b(digest_size=16)
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not (dirpath == folder and d == skip))
        for name in sorted(filenames):
            if not layout and dirpath == folder and name.endswith(LAYOUT_SUFFIX):
                continue
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


class Keys(NamedTuple):
    """What `page_keys` gives, in plan order."""

    pages: list[str]  # each page's key: everything its Markdown and HTML files are made from
    texts: list[str]  # each page's text key: everything its text (`Text`) is made from
    shared: bytes  # the digest of what the index is made from besides its rows (every marketplace's record)


def _reads_layout(folder: str, site: bool = False) -> bool:
    """Whether a template below ``folder`` (a program's `pages/`, or the ``site``'s `_site/` but for
    its HTML layout and catalogs) could load one of the layout's templates while a page is rendered: it
    names one ending in `.html.j2`, or a name it computes (`{% include name %}`). A file that is
    not a template Jinja can read (`_site/README.md`) cannot be loaded by a page either: a page
    loading it fails, and a build that fails keeps nothing."""
    from jinja2 import TemplateError, meta

    from engine.cache import parsed
    from engine.templates.check import parse

    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not (site and dirpath == folder and d == "locales"))
        for name in sorted(filenames):
            if site and dirpath == folder and name.endswith(LAYOUT_SUFFIX):
                continue
            path = os.path.join(dirpath, name)
            try:
                with open(path, "rb") as f:
                    text = f.read().decode("utf-8")
                names = _NAMED.get((name, text))
                if names is None:
                    stored = (name, text)  # (on disk, for the next process: engine.cache.parsed)
                    names = parsed.get("referenced_templates", stored, tuple)
                    if names is None:
                        try:
                            names = tuple(meta.find_referenced_templates(parse(text, name, path)))
                        except TemplateError:  # not Jinja (see above): it names none, whenever its text is this
                            names = ()
                        parsed.put("referenced_templates", stored, names)
                    _NAMED.put((name, text), names, len(text))
            except (OSError, UnicodeError):  # (unreadable, not UTF-8: see above)
                continue
            except Exception:  # an untrusted template Jinja's parser fails on otherwise
                # (a number past int's 4,300 digits is a ValueError in its lexer, a nesting past the
                # stack a RecursionError): not known not to, so it may: the whole of `_site/` in the
                # key, which is never wrong (the render says what is wrong with the template)
                return True
            if any(n is None or n.endswith(LAYOUT_SUFFIX) for n in names):
                return True
    return False


# The templates each template names, by its name and text (the tree they are read from is parsed from
# those alone: engine.templates.check.parse): every build of a process (tests, `serve`) walked the
# tree of every unchanged template again (1,718 walks, ~3 % of tests/test_incremental.py under
# cProfile; ~6.6 -> ~1.5 ms a build of policies/, the largest page template most of it). A text
# Jinja cannot parse is kept as naming none: the default `_site/README.md` was parsed again, and
# failed, in every build of every repository without a `_site/` of its own (~2.5 ms of a ~30 ms
# build of the starter in process).
_NAMED: Memo[tuple[str | None, ...]] = Memo(1024, 32 * 1024 * 1024)  # weight: the text's length


def page_keys(repo: Repository, work: Plan, at: str | None) -> Keys:
    """Each planned page's key and text key (in plan order), and the digest of what every page
    shares (the first three items below). A page's key is a digest of everything its Markdown and
    HTML files are made from, below. Its text key is one of what its text alone (`Text`) is made
    from: the same but for what only the layout around the text reads: the HTML layout's templates
    (`LAYOUT_SUFFIX`; unless a template of the page's could load one: `_reads_layout`), what the
    switchers show of the other marketplaces, the languages and marketplaces the page is
    published in, the chooser's borrowed translations; with the catalogs of the language its text
    is in. A page whose key changed and whose text key did not is laid out again from
    its stored text (`PageCache.text`).

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
    - the record of the page's marketplace (the `marketplace` view: every field of it) and every
      program's names (the `programs` view);
    - the page itself, the languages and marketplaces it is published in (the HTML switchers),
      what its switchers and marketplace chooser show of those marketplaces (`shown_marketplaces`:
      made by `marketplace_links`, the function that makes them, so that a field they start to
      show is keyed with them), and the other programs' pages for the same marketplace and
      language (links).

    Not every marketplace's record (only the index lists them all: its key, `index_key`, has
    them, `Keys.shared`), nor the marketplaces each program is offered in: a page shows those of
    its own page (the switchers, above) and links to another program only where that one has a
    page in the same marketplace and language (above). A new marketplace, or a new overlay file
    that offers a program in one more marketplace, renders that program's pages there and the
    other programs' pages there (their links), lays out that program's other pages again (their
    switchers), and changes no other page. An edit of a marketplace's record renders its pages
    and lays out again the pages whose switchers show what changed (its name, its site, its first
    language): not those of programs not offered there, nor any other page for a field no
    switcher shows (its time zone, its currency).
    """
    from engine.i18n.catalogs import SITE
    from engine.model.clock import today
    from engine.packaged import site_dir
    from engine.site.plan import shown_marketplaces

    site = site_dir(repo.root)
    whole_site = _files_digest(site, skip="locales")
    names = sorted((pid, p.names) for pid, p in repo.programs.items())
    world = _digest(_engine_stamp(), whole_site, names)
    # the index lists every marketplace (its rows' names and sites): its key has every record
    shared = _digest(
        world,
        sorted((m.id, m.country, m.currency, m.time_zone, m.locales, m.site) for m in repo.marketplaces.values()),
    )
    # what a page's text is made from of all that (its own marketplace's record is added below)
    text_world = _digest(_engine_stamp(), names)
    site_texts: list[bytes] = []  # `_site/` but for the layout's templates, made when a program needs it
    site_reads_layout = _reads_layout(site, site=True)
    sites: dict[str, bytes] = {}  # by program: the site's files its pages' text is made from
    records = {
        m.id: _digest(m.id, m.country, m.currency, m.time_zone, m.locales, m.site) for m in repo.marketplaces.values()
    }
    po: dict[tuple[str, str], bytes] = {}
    programs: dict[str, bytes] = {}
    site_catalogs: dict[str, bytes] = {}
    catalogs: dict[tuple[str, str], bytes] = {}
    markets: dict[tuple[str, str, Edition | None], bytes] = {}
    days: dict[str, str] = {}
    links: dict[tuple[str, str], bytes] = {}
    firsts = work.first_pages()
    same_page: dict[tuple[str, str], list[Job]] = {}
    for job in work.jobs:
        same_page.setdefault((job.page.program, job.page.id), []).append(job)
    # What each page's layout shows of the marketplaces it is published in (names, sites), once for
    # all the pages that have the same marketplaces, languages and fallbacks (what it is made from
    # besides the records): pages of programs offered in the same places share it.
    shown: dict[tuple[Any, ...], bytes] = {}

    def shown_by(jobs: list[Job]) -> bytes:
        page = jobs[0].page
        where = (
            page.marketplaces,
            tuple((j.marketplace, j.locale) for j in jobs if j.edition is None),
            frozenset((j.locale, j.lang) for j in jobs),
        )
        found = shown.get(where)
        if found is None:
            found = shown[where] = _digest(shown_marketplaces(repo, page, jobs))
        return found

    # where each page is published, and what its layout shows of those marketplaces
    pages = {
        where: _digest(where, [(j.marketplace, j.locale, j.fallback) for j in jobs]) + shown_by(jobs)
        for where, jobs in same_page.items()
    }
    keys: list[str] = []
    texts: list[str] = []

    def catalog_of(domain: str, tag: str) -> bytes:
        found = po.get((domain, tag))
        if found is None:
            found = po[(domain, tag)] = _file_digest(work.domains[domain].po(tag))
        return found

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
            # a page that could load a layout template (a name it computes, too): its text is made
            # from the whole of `_site/`
            if site_reads_layout or _reads_layout(os.path.join(program.dir, "pages")):
                sites[pid] = whole_site
            else:
                if not site_texts:
                    site_texts.append(_files_digest(site, skip="locales", layout=False))
                sites[pid] = site_texts[0]
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
        # (the page's text is in its own language, or in the one shown in its place: both catalogs)
        words = b"".join(catalog_of(d, t) for t in dict.fromkeys((tag, job.lang)) for d in (pid, SITE))
        text = hashlib.blake2b(
            b"".join(
                (
                    text_world,
                    sites[pid],
                    mine,
                    words,
                    records[mp_id],
                    market,
                    here,
                    repr((pid, page.id, page.template, tag, job.fallback)).encode(),
                )
            ),
            digest_size=16,
        ).digest()
        texts.append(text.hex())
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
                        text,  # (so that a page's key holds all that its text key holds)
                    )
                ),
                digest_size=16,
            ).hexdigest()
        )
    return Keys(keys, texts, shared)


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
        # the pages' texts (name -> (text key, compressed `Text`)), in a pack of their own beside this
        # one, read only when a page is not kept: a build that keeps every page never reads it
        self.texts_file = file.removesuffix(".marshal") + ".texts"
        self._texts: dict[str, Any] | None = None

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

    def _stored_texts(self) -> dict[str, Any]:
        if self._texts is None:
            self._texts = {}
            try:
                with open(self.texts_file, "rb") as f:
                    head, texts = marshal.loads(f.read())
                if head == self.head and isinstance(texts, dict):
                    self._texts = texts
            except (OSError, ValueError, EOFError, TypeError):
                pass
        return self._texts

    def text(self, name: str, key: str) -> Text | None:
        """The text stored under ``name`` when it was made from ``key`` (`Keys.texts`); else None."""
        try:
            stored, blob = self._stored_texts().get(name) or ("", b"")
            if stored != key:
                return None
            text = marshal.loads(zlib.decompress(blob))
        except (ValueError, EOFError, TypeError, zlib.error):
            return None
        if isinstance(text, tuple) and len(text) == 3 and all(type(part) is str for part in text):
            return text
        return None

    def _save_texts(self, texts: dict[str, tuple[str, Text | None]]) -> None:
        """Remember each page's text: ``texts`` maps a name to (text key, the text this build
        rendered, or None for one it did not render: the one stored stays if made from that key)."""
        if all(made is None for _, made in texts.values()):
            return  # (nothing new: what is stored still holds for its keys)
        stored = self._stored_texts()
        kept: dict[str, Any] = {}
        for name, (key, made) in texts.items():
            if made is not None:
                kept[name] = (key, zlib.compress(marshal.dumps(made), 1))
            elif isinstance(before := stored.get(name), tuple) and before[:1] == (key,):
                kept[name] = before
        try:
            blob = marshal.dumps((self.head, kept))
        except ValueError:
            return
        if len(blob) <= _MAX_PACK:
            from engine.cache import store

            store.write_pack(self.texts_file, blob)
            self._texts = kept

    def save(
        self,
        records: dict[str, tuple[str, str, tuple[str, ...]]],
        files: dict[str, bytes],
        kept: set[str],
        texts: dict[str, tuple[str, Text | None]] | None = None,
    ) -> None:
        """Remember what is now on disk. ``records`` maps a name (a page's Markdown path) to (key,
        title, its files); ``files`` holds the bytes of the files this build made; those in ``kept``
        were left untouched, so what was stored for them still holds. ``texts``: each page's text
        key and the text rendered (`_save_texts`)."""
        import time

        if texts:
            self._save_texts(texts)
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
