"""Static search over the current pages, in every published language: Pagefind's index, built in
the build and written like every other file of the output folder (recorded, compared by `--check`).

Only what a page marks `data-pagefind-body` is indexed (the layout marks the main content of
current pages, not past editions); its `data-pagefind-filter` elements give the program,
marketplace and language filters. Pagefind splits the index by the page's `<html lang>`, so CJK
pages get its CJK segmentation (the `extended` build).

The index is a pure function of the indexed pages: `build` gives them to Pagefind's bundled binary
(as a service kept for the process: one page at a time, in path order, the bundle back in
memory) and settles what Pagefind writes in no fixed order (below), so the same pages give the
same bytes. Pagefind names its chunk files by their content, so after one page changes most of
them are the same bytes and are not written again. Measured (benchmarks/README.md): Pagefind's
Python API reads each answer after a 0.1 s sleep (about 0.1 s per page) and closing it could leave
the last file empty; running the binary over a folder of the pages spends most of its time writing
and removing that folder; talking to the service directly costs what Pagefind's indexing costs
(about 1.6 ms of CPU per page).

The search pages (`search/<lang>.html`) are the one exception to "pages carry no active content":
they are written here, not by a template from the repository, and load only policyctl's own
scripts from `_search/` (Pagefind's UI and the few lines that start it). Their policy allows
exactly that (`script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; worker-src 'self'`);
every other page keeps the strict one, and engine.site.activecontent still refuses any script a
template writes. Their words are the layout's: the text of the pages' search link (`rel="search"`)
and index link (`data-switch="index"`) in that language, translated through the catalogs like
every other word of the layout. Without Pagefind (the `pagefind` package) the build publishes no
index, and the search pages say so without any script (`available`).
"""

from __future__ import annotations

import atexit
import base64
import gzip
import hashlib
import html
import json
import os
import re
import select
import struct
import subprocess
import tempfile
import threading
import zlib
from typing import Any

from engine.cache.memo import Memo

FOLDER = "_search"  # Pagefind's bundle (its UI, the index, the WebAssembly search)
PAGES = "search"  # one search page per language: search/<lang>.html
BODY = "data-pagefind-body"
ENTRY = f"{FOLDER}/pagefind-entry.json"
START = f"{FOLDER}/policyctl-search.js"
STYLE = f"{FOLDER}/policyctl-search.css"
CACHE_NAME = FOLDER + "/"  # the page cache's entry for the search files (no page's name ends in "/")
# The longest policyctl waits for one answer of Pagefind (indexing a page, or writing the whole
# index: ~10 s of CPU for 6,000 pages): a Pagefind that hangs stops the build instead of holding it.
ANSWER_SECONDS = 300

# Starts Pagefind's UI on the page (no inline script: the page's policy allows only files).
_START_JS = b"""// Written by policyctl build: starts Pagefind's search UI on a search page (search/<lang>.html).
// The index holds site-absolute URLs ("/program/..."); they are made relative to this page, so the
// site works in any folder of a web server.
window.addEventListener("DOMContentLoaded", function () {
  function relative(url) { return url.charAt(0) === "/" ? ".." + url : url; }
  new PagefindUI({
    element: "#search",
    autofocus: true,
    showSubResults: true,
    showImages: false,
    processResult: function (result) {
      result.url = relative(result.url);
      (result.sub_results || []).forEach(function (sub) { sub.url = relative(sub.url); });
      return result;
    },
  });
  // The search box is named by the page's heading (Pagefind's UI names it by its title only).
  var box = document.querySelector("#search .pagefind-ui__search-input");
  if (box) box.setAttribute("aria-labelledby", "search-title");
  // What the UI says of the results ("3 results for fee"), said again in a status region, which a
  // screen reader reads out as it changes: the UI's own message is only seen.
  var search = document.getElementById("search"), status = document.getElementById("search-status");
  new MutationObserver(function () {
    var message = search.querySelector(".pagefind-ui__message");
    var text = message ? message.textContent : "";
    if (status.textContent !== text) status.textContent = text;
  }).observe(search, { childList: true, subtree: true, characterData: true });
});
"""
# What the search page needs beyond Pagefind's style sheet (a file: the page's policy allows no inline style).
_STYLE_CSS = b"""/* Written by policyctl build: the search page's additions to Pagefind's style sheet. */
/* the status region: read out by screen readers, not shown (the UI shows the same words) */
.policyctl-status { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
/* a filter's box, unchecked: its edge 3:1 or more against the page (Pagefind draws it #eee: 1.2:1) */
.pagefind-ui .pagefind-ui__filter-checkbox { --pagefind-ui-border: #767676; }
/* the clear button: at least 24 px wide, in any language (Chinese says it in two characters) */
.pagefind-ui .pagefind-ui__search-clear { min-width: 24px; }
"""

POLICY = (
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; worker-src 'self'; "
    "style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"
)
# a search page of a build without Pagefind: no script, no style, nothing to load
_PASSIVE_POLICY = "default-src 'none'; style-src 'none'; img-src 'self'; base-uri 'none'; form-action 'none'"

_LANG = re.compile(rb"<html\b[^>]*?\blang=\"([^\"]+)\"")
_DIR = re.compile(rb"<html\b[^>]*?\bdir=\"rtl\"")
# the layout's words in another language than the page's text (an English page in another
# language's place says the language of its header)
_HEADER_LANG = re.compile(rb"<header\b[^>]*?\blang=\"([^\"]+)\"")
# A filter a page gives Pagefind (`data-pagefind-filter`, quoted), and the start of a tag
_FILTER = re.compile(r"""\sdata-pagefind-filter\s*=\s*("[^"]*"|'[^']*')""")
_TAG_START = re.compile(r"<([A-Za-z][A-Za-z0-9-]*)")
_ANY_TAG = re.compile(r"<[^<>]*>")  # ([^<>]: a run of "<" never closed is read once, not once per "<")
_SEARCH_LINK = re.compile(rb"<a\b[^>]*\brel=\"search\"[^>]*>([^<]*)</a>")
_INDEX_LINK = re.compile(rb"<a\b[^>]*\bdata-switch=\"index\"[^>]*>([^<]*)</a>")


class SearchError(Exception):
    """Pagefind failed on the pages (its message, said to the user)."""


def executable() -> str | None:
    """Pagefind's binary, as its Python package finds it (the `pagefind[extended]` wheel ships it):
    `pagefind.service.get_executable`'s steps, without importing that module, whose `asyncio`
    (~30 ms) every build process paid only to be told where the binary is; this module talks to
    the binary itself (`_Service`). tests/test_search_index.py holds the two to the same answer."""
    import importlib.util

    if importlib.util.find_spec("pagefind") is None:  # (the Python package, as before: `policyctl[search]`)
        return None
    try:
        found = _get_executable()
    except (FileNotFoundError, OSError):
        return None
    return str(found) if found is not None and os.path.isfile(found) else None


def _get_executable() -> str | None:
    """`pagefind.service.get_executable` (Pagefind 1.3-1.5): the path ``PAGEFIND_BINARY_PATH`` names,
    else the binary of the `pagefind_bin_extended` wheel, else of `pagefind_bin` (each raises
    FileNotFoundError when its wheel lacks it), else `pagefind_extended` or `pagefind` on the PATH."""
    named = os.getenv("PAGEFIND_BINARY_PATH")
    if named is not None:
        return named
    for wheel in ("pagefind_bin_extended", "pagefind_bin"):
        try:
            module = __import__(wheel)
        except ImportError:
            continue
        return str(module.get_executable())
    import shutil

    return shutil.which("pagefind_extended") or shutil.which("pagefind")


def made_by(entry: bytes | None) -> str | None:
    """The version of Pagefind that wrote an index, from its entry file's bytes (None: not said)."""
    try:
        found = json.loads(entry).get("version") if entry is not None else None
    except (ValueError, AttributeError, RecursionError):
        return None
    return found if isinstance(found, str) else None


def available() -> bool:
    """Pagefind's Python package (with its binary) is installed."""
    return executable() is not None


def indexed(path: str, data: bytes) -> bool:
    """An HTML page the search covers: one whose layout marked its content for the index."""
    return path.endswith(".html") and not is_search_file(path) and BODY.encode() in data


def is_search_file(path: str) -> bool:
    """A file this module writes: `_search/...` or a search page `search/<lang>.html` (a program's
    pages are deeper: `<program>/<marketplace>/<lang>/...`)."""
    return path.startswith(FOLDER + "/") or (path.startswith(PAGES + "/") and path.count("/") == 1)


def page_path(lang: str) -> str:
    """The search page of the language ``lang`` (as a page's `<html lang>` writes it)."""
    return f"{PAGES}/{lang.lower()}.html"


def page_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pages_digest(digests: dict[str, str]) -> str:
    """The SHA-256 of the indexed pages (path → `page_digest`): the index is made again when it changes."""
    h = hashlib.sha256()
    for path in sorted(digests):
        h.update(path.encode("utf-8") + b"\0" + digests[path].encode("ascii") + b"\n")
    return h.hexdigest()


class _Service:
    """Pagefind's binary as a service (`--service`: base64 JSON messages, each ended by a comma), one
    message at a time, so the pages enter the index in one order; the files come back in memory."""

    def __init__(self, exe: str) -> None:
        # what Pagefind says on stderr (its panic, or its last line, explains a failure); closed with the service
        self.said = tempfile.TemporaryFile()  # noqa: SIM115
        # In its own folder: Pagefind reads its working folder at every new index and panics when
        # it is gone, and a kept Pagefind outlives the folder it was started in (a script building
        # in temporary folders, a test's); its own folder lasts as long as it does.
        self.process = subprocess.Popen(
            [exe, "--service"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.said,
            cwd=os.path.dirname(os.path.abspath(exe)),
        )
        self.owner = os.getpid()  # (a forked build worker inherits the object, never the conversation)
        self.last = 0
        self.buffer = bytearray()

    def ask(self, payload: dict[str, object]) -> dict[str, Any]:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        self.last += 1
        message = json.dumps({"message_id": self.last, "payload": payload}).encode("utf-8")
        try:
            stdin.write(base64.b64encode(message) + b",")
            stdin.flush()
        except OSError as e:  # it has exited already: its reason is on stderr
            raise self._stopped() from e
        while True:  # answers to earlier messages, if any, are passed over
            while b"," not in self.buffer:
                if not select.select([stdout], [], [], ANSWER_SECONDS)[0]:
                    self.process.kill()
                    raise SearchError(f"Pagefind did not answer within {ANSWER_SECONDS} s (stopped)")
                chunk = os.read(stdout.fileno(), 1 << 20)  # (unbuffered: whatever has arrived)
                if not chunk:
                    raise self._stopped()
                self.buffer += chunk
            end = self.buffer.index(b",")
            answer = json.loads(base64.b64decode(bytes(self.buffer[:end])))
            del self.buffer[: end + 1]
            if answer.get("message_id") == self.last:
                break
        result: dict[str, Any] = answer["payload"]
        if result.get("type") == "Error":
            raise SearchError(f"Pagefind: {result.get('message')}")
        return result

    def _stopped(self) -> SearchError:
        """Pagefind has exited: its stderr says why (`_why_stopped`)."""
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.said.seek(0)
        reason = _why_stopped(self.said.read().decode("utf-8", "replace"))
        return SearchError("Pagefind stopped" + (f": {reason}" if reason else ""))

    def close(self) -> None:
        """Pagefind told to exit (its input closed), waited for, and every pipe of it closed."""
        if self.process.stdin is not None:
            try:
                self.process.stdin.close()
            except OSError:  # (closing flushes what a dead Pagefind did not read: a broken pipe)
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.release()

    def release(self) -> None:
        """This process's ends of the pipes closed, the process left alone: what a forked process
        does with the Pagefind it inherited (its parent's to stop), and the end of `close`."""
        for pipe in (self.process.stdin, self.process.stdout, self.said):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:  # (a broken pipe on the flush of a closed input: already closed)
                    pass


def _why_stopped(said: str) -> str:
    """Why Pagefind exited, from its stderr: a panic's place and message (Rust ends a panic with a
    note on backtraces, which says nothing of the failure), else its last line."""
    lines = [line.strip() for line in said.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if " panicked at " in line:
            return " ".join(lines[i : i + 2])
    told = [line for line in lines if not line.startswith("note:")]
    return told[-1] if told else ""


# One Pagefind per process, kept between indexes: the extended build loads its CJK segmentation
# dictionaries when it first meets a Chinese or Japanese page, ~150 ms of its ~220 ms of CPU for
# the 17 pages of policies/ (measured; ~60 ms once loaded). So a process that builds more than once
# (a script building several sites through the API; the test suite: 43 -> 17 Pagefinds started)
# pays it once. Each index is deleted when its files are back (they depend on its pages only: a
# kept Pagefind gives the same bytes as a new one, tested). One at a time: a build takes it while
# it indexes (a second build meanwhile starts its own); one that failed or hung is never kept; a
# new binary replaces the kept one. Pagefind exits when its input closes: at this process's exit.
_KEPT: dict[tuple[str, int, int], _Service] = {}
_KEPT_LOCK = threading.Lock()


def _index(binary: tuple[str, int, int], pages: dict[str, bytes]) -> dict[str, bytes]:
    """Pagefind's bundle for ``pages``, in memory: each page added under its site path (its result
    URL), in path order. ``binary``: Pagefind's path, size and time (see `build`)."""
    with _KEPT_LOCK:
        service = _KEPT.pop(binary, None)
    if service is not None and (service.owner != os.getpid() or service.process.poll() is not None):
        _let_go(service)  # a forked worker's copy of its parent's, or one that died since its last index
        service = None
    if service is None:
        service = _Service(binary[0])
    try:
        files = _index_with(service, pages)
    except BaseException:
        service.close()
        raise
    with _KEPT_LOCK:
        old = list(_KEPT.values())
        _KEPT.clear()
        _KEPT[binary] = service
    for other in old:  # another build's, or a binary's that is no longer the one
        _let_go(other)
    return files


def _let_go(service: _Service) -> None:
    """Stop a Pagefind this process started; only close the pipes of one a forked process inherited."""
    if service.owner == os.getpid():
        service.close()
    else:
        service.release()


def filters_as_text(page: str) -> str:
    """``page`` as Pagefind is given it, its filters' values (`data-pagefind-filter="name:value"`,
    or `"name"` and the element's text) written so that the search page shows them as the page does.

    Pagefind 1.5 decodes a filter's value twice (its `normalize_content`, called twice: "R&amp;amp;D"
    is stored "R&D") and its UI writes the value into the search page as HTML (`innerHTML`), not
    as text: a program named "Returns & <Co>" was listed as "Returns & " and an element `<co>`,
    and a name or site from the policy data could put links or images on the search page. So each
    value is the text the page shows, escaped three times: stored escaped once, shown as that
    text. (The name is stored as the attribute writes it, still escaped, and titles and excerpts
    the UI escapes itself.) A filter given by its element's text takes the `name:value` form, with
    the element's text; an element that is never closed is left as it is."""
    if "data-pagefind-filter" not in page:
        return page
    parts: list[str] = []
    done = 0
    for m in _FILTER.finditer(page):
        quoted = m.group(1)
        name, colon, value = quoted[1:-1].partition(":")
        text = html.unescape(value) if colon else _element_text(page, m.start(), m.end())
        if text is None:
            continue
        escaped = html.escape(html.escape(html.escape(text, quote=False), quote=False), quote=True)
        parts += [page[done : m.start(1)], quoted[0], name, ":", escaped, quoted[0]]
        done = m.end(1)
    return "".join(parts) + page[done:]


def _element_text(page: str, attribute: int, after: int) -> str | None:
    """The text of the element whose start tag holds the attribute at ``attribute`` (which ends at
    ``after``), or None when it cannot be told (no tag before it, never closed)."""
    start = page.rfind("<", 0, attribute)
    tag = _TAG_START.match(page, start) if start >= 0 else None
    opened = page.find(">", after)
    if tag is None or opened < 0:
        return None
    depth = 1
    for m in re.compile(rf"<(/?){re.escape(tag.group(1))}(?=[\s/>])", re.IGNORECASE).finditer(page, opened + 1):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return html.unescape(_ANY_TAG.sub("", page[opened + 1 : m.start()]))
    return None


def _index_with(service: _Service, pages: dict[str, bytes]) -> dict[str, bytes]:
    index = service.ask({"type": "NewIndex", "config": None})["index_id"]
    for rel in sorted(pages):
        service.ask(
            {
                "type": "AddFile",
                "index_id": index,
                "url": "/" + rel,
                "file_path": None,
                "file_contents": filters_as_text(pages[rel].decode("utf-8")),
            }
        )
    files = service.ask({"type": "GetFiles", "index_id": index})["files"]
    service.ask({"type": "DeleteIndex", "index_id": index})
    return {f"{FOLDER}/{f['path']}": base64.b64decode(f["content"]) for f in files}


@atexit.register
def stop_pagefind() -> None:
    """Stop the Pagefind this process keeps (at its exit; or a caller done building that wants the
    memory back): the next build starts one."""
    with _KEPT_LOCK:
        kept = list(_KEPT.values())
        _KEPT.clear()
    for service in kept:
        _let_go(service)


# Pagefind's settled bundle is a function of the indexed pages and of the binary alone, so one
# process (tests, a server, a script building several sites) asks Pagefind once per set of pages: a
# bounded memo (engine.cache.memo) by the binary (path, size, mtime) and the pages' digest. The disk
# cache keeps it between processes (through the page cache, for the same pages in the same folder).
_BUNDLES: Memo[dict[str, bytes]] = Memo(16, 64 * 1024 * 1024)


def build(pages: dict[str, bytes], digest: str | None = None) -> dict[str, bytes]:
    """The search files for ``pages`` (output path → HTML of every indexed page): Pagefind's bundle
    under `_search/` and a search page per language, keyed by output path. ``digest``: the pages'
    `pages_digest`, when the caller has it. SearchError when Pagefind fails."""
    exe = executable()
    if exe is None:
        raise SearchError("the `pagefind` package is not installed")
    if digest is None:
        digest = pages_digest({p: page_digest(d) for p, d in pages.items()})
    stat = os.stat(exe)
    binary = (exe, stat.st_size, stat.st_mtime_ns)
    files = _BUNDLES.get((*binary, digest))
    if files is None:
        files = _index(binary, pages)
        if ENTRY not in files:
            raise SearchError("Pagefind wrote no index")
        settle(files)
        # Pagefind lists the languages in a different order on every run: the same entry, sorted
        entry = json.loads(files[ENTRY])
        files[ENTRY] = (json.dumps(entry, sort_keys=True, indent=1) + "\n").encode("utf-8")
        _BUNDLES.put((*binary, digest), files, sum(len(data) for data in files.values()))
    return {**files, **own_files(pages, searchable=True)}


# Pagefind writes some lists from hash maps, so in a different order on every run, and names each
# file by a hash of its content. Both files are gzip of a signature and a CBOR array:
# - a language's metadata (`pagefind.<lang>_<hash>.pf_meta`): [version, index chunks, fragment
#   chunks, filters, sorts, meta fields]; filters and sorts are lists of [name, file hash];
# - a filter (`filter/<lang>_<hash>.pf_filter`): [name, [[value, [page numbers]], ...]].
# The order of those lists carries no meaning (Pagefind looks entries up by name and value).
# policyctl puts them in one fixed order (by each entry's CBOR bytes, kept as Pagefind wrote them),
# gzips without a time stamp, names each file anew by a hash of its bytes (in Pagefind's shape:
# language, "_", as many hex digits) and points the references at the new names.
_SIGNATURE = b"pagefind_dcd"
_FILTER_VALUES = (1,)  # in a .pf_filter: the values


def _cbor_head(data: bytes, at: int) -> tuple[int, int, int]:
    """The major type, argument and end of the CBOR item head at ``at``."""
    first = data[at]
    major, info = first >> 5, first & 0x1F
    if info < 24:
        return major, info, at + 1
    if info > 27:
        raise ValueError("indefinite or reserved CBOR length")
    size = 1 << (info - 24)
    return major, int.from_bytes(data[at + 1 : at + 1 + size], "big"), at + 1 + size


def _cbor_end(data: bytes, at: int) -> int:
    """Where the CBOR item starting at ``at`` ends (definite lengths only, as Pagefind writes)."""
    major, arg, at = _cbor_head(data, at)
    if major in (2, 3):  # byte and text strings
        return at + arg
    if major in (4, 5):  # arrays, maps
        for _ in range(arg * (2 if major == 5 else 1)):
            at = _cbor_end(data, at)
        return at
    if major == 6:  # tag: one item follows
        return _cbor_end(data, at)
    return at  # integers, simple values, floats (their bytes are in the head)


def _cbor_items(data: bytes) -> tuple[bytes, list[bytes]]:
    """The head and the items' bytes of the CBOR array ``data`` (exactly one array)."""
    major, count, start = _cbor_head(data, 0)
    if major != 4:
        raise ValueError("not a CBOR array")
    head, items = data[:start], []
    for _ in range(count):
        end = _cbor_end(data, start)
        items.append(data[start:end])
        start = end
    if start != len(data):
        raise ValueError("bytes after the CBOR array")
    return head, items


def _cbor_text(data: bytes) -> str:
    major, size, start = _cbor_head(data, 0)
    if major != 3:
        raise ValueError("not a CBOR text")
    return data[start : start + size].decode("utf-8")


def _text(value: str) -> bytes:
    raw = value.encode("utf-8")
    if len(raw) < 24:
        return bytes([0x60 + len(raw)]) + raw
    if len(raw) < 256:
        return bytes([0x78, len(raw)]) + raw
    return bytes([0x79]) + len(raw).to_bytes(2, "big") + raw


def _settle(data: bytes, sorted_items: tuple[int, ...]) -> tuple[bytes, list[bytes]]:
    """A Pagefind file's top-level items, those at ``sorted_items`` (arrays) put in a fixed order."""
    raw = gzip.decompress(data)
    if not raw.startswith(_SIGNATURE):
        raise ValueError("not a Pagefind index file")
    head, items = _cbor_items(raw[len(_SIGNATURE) :])
    for i in sorted_items:
        if i < len(items):
            sub_head, entries = _cbor_items(items[i])
            items[i] = sub_head + b"".join(sorted(entries))
    return head, items


# gzip's header, written here rather than by `gzip.compress`, which writes the operating-system byte
# as 255 on Python 3.10 and 3.13 but as zlib writes it (3, Unix) on 3.11 and 3.12: the same pages
# gave other index files under another Python, and `build --check` on a team's other Python found
# them stale. No name, no time, the most compression (XFL 2), Unix.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03"


def _pack(head: bytes, items: list[bytes]) -> bytes:
    """A settled file in gzip's format at level 9: the same bytes on every Python (given one zlib)."""
    data = _SIGNATURE + head + b"".join(items)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    body = deflate.compress(data) + deflate.flush()
    return _GZIP_HEADER + body + struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF)


def _renamed(old: str, data: bytes) -> str:
    lang, _, digest = old.rpartition("_")
    return f"{lang}_{hashlib.sha256(data).hexdigest()[: len(digest)]}"


def _settle_filter(files: dict[str, bytes], old: str) -> str:
    """The filter file ``filter/<old>.pf_filter`` settled and renamed; its new hash."""
    data = _pack(*_settle(files.pop(f"{FOLDER}/filter/{old}.pf_filter"), _FILTER_VALUES))
    new = _renamed(old, data)
    files[f"{FOLDER}/filter/{new}.pf_filter"] = data
    return new


def settle(files: dict[str, bytes]) -> None:
    """Every language's `.pf_meta` and filter files in ``files`` (Pagefind's bundle, by output path)
    in a fixed order and renamed by their new bytes, and the entry file pointed at the new names:
    the same files for the same pages, whatever order Pagefind wrote its lists in (`build` calls it;
    public so that a test can hand it the same index in two orders)."""
    entry = json.loads(files[ENTRY])
    for info in entry.get("languages", {}).values():
        old = info["hash"]
        head, items = _settle(files.pop(f"{FOLDER}/pagefind.{old}.pf_meta"), ())
        if len(items) > 3:
            filters_head, filters = _cbor_items(items[3])
            for n, pair in enumerate(filters):
                pair_head, (name, ref) = _cbor_items(pair)
                filters[n] = pair_head + name + _text(_settle_filter(files, _cbor_text(ref)))
            items[3] = filters_head + b"".join(sorted(filters))
        if len(items) > 4:
            sorts_head, sorts = _cbor_items(items[4])
            items[4] = sorts_head + b"".join(sorted(sorts))
        data = _pack(head, items)
        new = _renamed(old, data)
        info["hash"] = new
        files[f"{FOLDER}/pagefind.{new}.pf_meta"] = data
    files[ENTRY] = json.dumps(entry).encode("utf-8")


def _words(pages: dict[str, bytes]) -> dict[str, tuple[str, str, str, str]]:
    """Each language of ``pages`` (the file name's tag, lower case as Pagefind names its indexes)
    → (its `lang` as written, the search link's text, the index link's text, its `dir`) from its
    first page whose layout speaks its language: an English page shown in another language's place
    has that language's words ("Rechercher"), never the English search page's."""
    found: dict[str, tuple[str, str, str, str]] = {}
    borrowed: set[str] = set()  # languages only such pages have given so far
    for path in sorted(pages):
        data = pages[path]
        lang = _LANG.search(data)
        if lang is None:
            continue
        tag = lang.group(1).decode("utf-8", "replace")
        key = tag.lower()
        if key in found and key not in borrowed:
            continue
        direction = "rtl" if _DIR.search(data) else "ltr"
        header = _HEADER_LANG.search(data)
        if header is not None and header.group(1) != lang.group(1):
            if key not in found:  # (the defaults, as for a page without the links)
                found[key] = (tag, "Search", "All help pages", direction)
                borrowed.add(key)
            continue
        search, index = _SEARCH_LINK.search(data), _INDEX_LINK.search(data)
        label = html.unescape(search.group(1).decode("utf-8", "replace")).strip() if search else ""
        back = html.unescape(index.group(1).decode("utf-8", "replace")).strip() if index else ""
        found[key] = (tag, label or "Search", back or "All help pages", direction)
        borrowed.discard(key)
    return found


def own_files(pages: dict[str, bytes], searchable: bool) -> dict[str, bytes]:
    """policyctl's own search files: a search page per language of ``pages`` and, ``searchable``
    (Pagefind's bundle is there), the script that starts its UI and the style sheet it adds."""
    files = {START: _START_JS, STYLE: _STYLE_CSS} if searchable else {}
    for name, (tag, label, back, direction) in sorted(_words(pages).items()):
        files[page_path(name)] = page(tag, label, back, searchable, direction=direction).encode("utf-8")
    return files


NO_PAGEFIND = "Search is not available: this site was built without Pagefind."


def page(
    lang: str, label: str, back: str, searchable: bool = True, why: str = NO_PAGEFIND, direction: str = "ltr"
) -> str:
    """The search page for ``lang`` (as the pages write it): Pagefind's UI searches the index of
    the page's `<html lang>` and shows its own words in that language; ``label`` and ``back`` are
    the layout's words for "Search" and "All help pages". Not ``searchable``: a page that says
    ``why`` (plain text, in English, marked as such). ``direction``: `rtl` for a language written
    right to left, as its pages say (`dir="rtl"`; the default, left to right, is not written)."""
    tag, title, home = (html.escape(v, quote=True) for v in (lang, label, back))
    if not searchable:
        policy, head = _PASSIVE_POLICY, ""
        body = f'<p lang="en">{html.escape(why)}</p>\n'  # (policyctl's words, in English)
    else:
        policy = POLICY
        head = (
            f'<link rel="stylesheet" href="../{FOLDER}/pagefind-ui.css">\n'
            f'<link rel="stylesheet" href="../{STYLE}">\n'
            f'<script src="../{FOLDER}/pagefind-ui.js"></script>\n'
            f'<script src="../{START}"></script>\n'
        )
        # (Pagefind's UI makes its own search landmark, named; its results are said in the status)
        body = '<div id="search"></div>\n<p id="search-status" class="policyctl-status" role="status"></p>\n'
    return f"""<!DOCTYPE html>
<html lang="{tag}"{' dir="rtl"' if direction == "rtl" else ""}>
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="policyctl">
<title>{title}</title>
{head}</head>
<body>
<main id="content">
<h1 id="search-title">{title}</h1>
<p><a href="../index.html">{home}</a></p>
{body}</main>
</body>
</html>
"""
