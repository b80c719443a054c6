"""Static search over the current pages, in every published language: Pagefind's index, built in
the build and written like every other file of the output folder (recorded, compared by `--check`).

Only what a page marks `data-pagefind-body` is indexed (the layout marks the main content of
current pages, not past editions); its `data-pagefind-filter` elements give the program,
marketplace and language filters. Pagefind splits the index by the page's `<html lang>`, so CJK
pages get its CJK segmentation (the `extended` build).

The search pages (`search/<lang>.html`) are the one exception to "pages carry no active content":
they are written here, not by a template from the repository, and load only policyctl's own
scripts from `_search/` (Pagefind's UI and the few lines that start it). Their policy allows
exactly that (`script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; worker-src 'self'`);
every other page keeps the strict one, and engine.site.activecontent still refuses any script a
template writes. Without the `pagefind` package the build publishes no search (`available`).
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import json
import os
import tempfile

FOLDER = "_search"  # Pagefind's bundle (its UI, the index, the WebAssembly search)
PAGES = "search"  # one search page per language: search/<lang>.html
BODY = "data-pagefind-body"
ENTRY = f"{FOLDER}/pagefind-entry.json"
START = f"{FOLDER}/policyctl-search.js"
# the SHA-256 of the indexed pages (paths and bytes): an index whose pages did not change is kept
SOURCE = f"{FOLDER}/policyctl-pages.sha256"

# Starts Pagefind's UI on the page (no inline script: the page's policy allows only files).
_START_JS = b"""// Written by policyctl build: starts Pagefind's search UI on a search page (search/<lang>.html).
// The index holds site-absolute URLs ("/program/..."); they are made relative to this page, so the
// site works in any folder of a web server.
window.addEventListener("DOMContentLoaded", function () {
  function relative(url) { return url.charAt(0) === "/" ? ".." + url : url; }
  new PagefindUI({
    element: "#search",
    showSubResults: true,
    showImages: false,
    processResult: function (result) {
      result.url = relative(result.url);
      (result.sub_results || []).forEach(function (sub) { sub.url = relative(sub.url); });
      return result;
    },
  });
});
"""

POLICY = (
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; worker-src 'self'; "
    "style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'"
)


def available() -> bool:
    """Pagefind's Python package (with its binary) is installed."""
    try:
        import pagefind.index  # noqa: F401
    except ImportError:
        return False
    return True


def indexed(path: str, data: bytes) -> bool:
    """An HTML page the search covers: one whose layout marked its content for the index."""
    return path.endswith(".html") and not path.startswith((FOLDER + "/", PAGES + "/")) and BODY.encode() in data


async def _index(pages: dict[str, bytes], folder: str) -> None:
    from pagefind.index import IndexConfig, PagefindIndex

    config = IndexConfig(output_path=folder, verbose=False)
    async with PagefindIndex(config=config) as index:
        for path in sorted(pages):
            await index.add_html_file(content=pages[path].decode("utf-8"), url="/" + path)


def _run(pages: dict[str, bytes], folder: str) -> None:
    """Pagefind's Python API is asynchronous; a caller already in an event loop (the dev server,
    a test driving a browser) gets it on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_index(pages, folder))
        return
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _index(pages, folder)).result()


def pages_digest(pages: dict[str, bytes]) -> bytes:
    h = hashlib.sha256()
    for path in sorted(pages):
        h.update(path.encode("utf-8") + b"\0" + hashlib.sha256(pages[path]).digest())
    return (h.hexdigest() + "\n").encode("ascii")


def pagefinds(path: str) -> bool:
    """A file of Pagefind's bundle (not one of policyctl's own search files)."""
    return path.startswith(FOLDER + "/") and path != START


def build(pages: dict[str, bytes]) -> dict[str, bytes]:
    """The search files for ``pages`` (output path → HTML of every indexed page): Pagefind's bundle
    under `_search/` and a search page per language the index has, keyed by output path."""
    with tempfile.TemporaryDirectory(prefix="policyctl-search-") as tmp:
        folder = os.path.join(tmp, "pagefind")
        _run(pages, folder)
        files: dict[str, bytes] = {}
        for base, _dirs, names in os.walk(folder):
            for name in names:
                full = os.path.join(base, name)
                rel = os.path.relpath(full, folder).replace(os.sep, "/")
                with open(full, "rb") as f:
                    files[f"{FOLDER}/{rel}"] = f.read()
    # Pagefind lists the languages in a different order on every run: the same entry, sorted
    entry = json.loads(files[ENTRY])
    files[ENTRY] = (json.dumps(entry, sort_keys=True, indent=1) + "\n").encode("utf-8")
    files[SOURCE] = pages_digest(pages)
    return {**files, **own_files(files)}


def own_files(index: dict[str, bytes]) -> dict[str, bytes]:
    """policyctl's own search files for a Pagefind ``index``: the start script and the search pages
    (always written from this code, even when the index itself is kept)."""
    entry = json.loads(index[ENTRY])
    files = {START: _START_JS}
    for lang in sorted(entry.get("languages", {})):
        files[f"{PAGES}/{lang}.html"] = page(lang).encode("utf-8")
    return files


def page(lang: str) -> str:
    """The search page for ``lang`` (a language of the index, as Pagefind names it): Pagefind's UI
    searches the index of the page's `<html lang>` and shows its own words in that language."""
    tag = html.escape(lang, quote=True)
    return f"""<!DOCTYPE html>
<html lang="{tag}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="policyctl">
<title>Search · {tag}</title>
<link rel="stylesheet" href="../{FOLDER}/pagefind-ui.css">
<script src="../{FOLDER}/pagefind-ui.js"></script>
<script src="../{START}"></script>
</head>
<body>
<main id="content">
<h1>Search</h1>
<p><a href="../index.html">Help pages</a></p>
<div id="search" role="search"></div>
</main>
</body>
</html>
"""
