"""Pagefind writes its filter lists from hash maps (a different order on every run) and names the
files by their content: engine.site.search settles them into one order and renames them, so the same
pages give the same bytes."""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from engine.cache import memo
from engine.site import search
from support import ROOT, declared_pages, run_cli

SIG = b"pagefind_dcd"


def _text(s: str) -> bytes:
    raw = s.encode("utf-8")
    assert len(raw) < 24
    return bytes([0x60 + len(raw)]) + raw


def _array(*items: bytes) -> bytes:
    assert len(items) < 24
    return bytes([0x80 + len(items)]) + b"".join(items)


def _file(*items: bytes) -> bytes:
    return gzip.compress(SIG + _array(*items))


def _index(reverse: bool) -> dict[str, bytes]:
    """A one-language index as Pagefind writes it, its lists in one order or the other."""
    order = (lambda xs: list(reversed(xs))) if reverse else list
    values = order([_array(_text("Amazon"), _array(b"\x00")), _array(_text("Guidelines"), _array(b"\x01"))])
    filters = order([_array(_text("program"), _text("en_1111111")), _array(_text("language"), _text("en_2222222"))])
    return {
        search.ENTRY: json.dumps({"languages": {"en": {"hash": "en_abcdef0123", "page_count": 2}}}).encode(),
        f"{search.FOLDER}/pagefind.en_abcdef0123.pf_meta": _file(
            _text("1.5.2"), _array(), _array(), _array(*filters), _array(), _array(_text("title"))
        ),
        f"{search.FOLDER}/filter/en_1111111.pf_filter": _file(_text("program"), _array(*values)),
        f"{search.FOLDER}/filter/en_2222222.pf_filter": _file(_text("language"), _array(_array(_text("en"), _array()))),
    }


def test_filter_order_does_not_change_the_files() -> None:
    one, other = _index(reverse=False), _index(reverse=True)
    assert one != other
    search.settle(one)
    search.settle(other)
    assert one == other
    entry = json.loads(one[search.ENTRY])
    new = entry["languages"]["en"]["hash"]
    assert new != "en_abcdef0123" and new.startswith("en_") and len(new) == len("en_abcdef0123")
    meta = gzip.decompress(one[f"{search.FOLDER}/pagefind.{new}.pf_meta"])
    # every filter the metadata names is a file of the index, the old names are gone
    filters = sorted(p for p in one if p.startswith(f"{search.FOLDER}/filter/"))
    assert len(filters) == 2
    for path in filters:
        ref = path.rsplit("/", 1)[1].removesuffix(".pf_filter")
        assert _text(ref) in meta
        assert gzip.decompress(one[path]).startswith(SIG)
    assert not any("1111111" in p or "2222222" in p or "abcdef0123" in p for p in one)
    # the values inside a filter are in one order whatever order Pagefind wrote
    program = next(gzip.decompress(one[p]) for p in filters if b"program" in gzip.decompress(one[p])[:30])
    assert program.index(b"Amazon") < program.index(b"Guidelines")


def test_the_index_files_are_the_same_bytes_under_any_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """The settled files do not take gzip's header from the running Python: `gzip.compress` writes
    its operating-system byte as 255 on Python 3.10 and 3.13 and as 3 on 3.11 and 3.12, so the same
    pages gave other files (and `build --check` failures) under another Python. Here the other
    Python's `gzip.compress` is played by one that writes the other byte."""
    files = _index(reverse=False)
    search.settle(files)
    real = gzip.compress

    def other_python(data: bytes, compresslevel: int = 9, *, mtime: float | None = None) -> bytes:
        out = bytearray(real(data, compresslevel, mtime=mtime))
        out[9] = 255 if out[9] == 3 else 3
        return bytes(out)

    monkeypatch.setattr(gzip, "compress", other_python)
    again = _index(reverse=False)
    search.settle(again)
    assert again == files
    packed = [data for path, data in files.items() if path.endswith((".pf_meta", ".pf_filter"))]
    assert len(packed) == 3
    for data in packed:  # no name, no time, level 9, Unix; the rest is zlib's, as gzip writes it
        assert data[:10] == b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03"
        assert data[10:] == real(gzip.decompress(data), 9, mtime=0)[10:]


def test_without_pagefind_the_build_works_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No index, a note saying why; the pages' search links still lead somewhere: a search page per
    language that says search is not available, with no script and the strict policy."""
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "no-such-binary"))
    out = tmp_path / "out"
    run = run_cli("build", "--root", str(ROOT / "policies"), "--out", str(out), "--at", "2025-01-01")
    assert run.code == 0, run
    assert "note: no search index: the `pagefind` package is not installed" in run.err
    assert not (out / search.FOLDER).exists()
    tags = {page.split("/")[2] for page in declared_pages(ROOT / "policies")}
    assert {p.name for p in (out / search.PAGES).iterdir()} == {f"{tag.lower()}.html" for tag in tags}
    for tag in tags:
        text = (out / search.PAGES / f"{tag.lower()}.html").read_text(encoding="utf-8")
        assert "<script" not in text and "Search is not available" in text and f'<html lang="{tag}">' in text
    assert f", and {len(tags)} search files" in run.out


@pytest.mark.parametrize("named", [None, "binary", "missing"])
def test_the_binary_is_the_one_pagefinds_own_lookup_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, named: str | None
) -> None:
    """engine.site.search finds Pagefind's binary by `pagefind.service.get_executable`'s steps
    without importing that module (its `asyncio` cost every build's start-up): the same binary,
    or none, as Pagefind's own function, whether ``PAGEFIND_BINARY_PATH`` names one, names a
    missing file, or is unset (the wheel's binary). An upgrade of Pagefind that finds it elsewhere
    fails here."""
    service = pytest.importorskip("pagefind.service")
    monkeypatch.delenv("PAGEFIND_BINARY_PATH", raising=False)
    if named is not None:
        binary = tmp_path / "pagefind"
        if named == "binary":
            binary.write_text("#!/bin/sh\n")
            binary.chmod(0o755)
        monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(binary))
    try:
        theirs = service.get_executable()
    except (FileNotFoundError, OSError):
        theirs = None
    expected = str(theirs) if theirs is not None and Path(theirs).is_file() else None
    assert search.executable() == expected
    assert (expected is None) == (named == "missing")


def test_a_search_page_without_search_says_which_words_are_english() -> None:
    """Without Pagefind, a language's search page says so in policyctl's own words, which are
    English: they say so (`lang`), in a page whose other words are the layout's, in its language."""
    page = search.page("de", "Suche", "Alle Hilfeseiten", searchable=False)
    assert '<html lang="de">' in page and '<h1 id="search-title">Suche</h1>' in page
    assert f'<p lang="en">{search.NO_PAGEFIND}</p>' in page


def test_the_search_pages_speak_the_layouts_words() -> None:
    """A search page's title and its link back are the words of the pages' search and index links
    in that language (translated through the site's catalogs), and each page links to its own."""
    out = ROOT / "generated_docs"
    for path in sorted(out.glob("*/*/*/help.html")):
        text = path.read_text(encoding="utf-8")
        link = re.search(r'<a href="([^"]+)" rel="search" hreflang="([^"]+)">([^<]+)</a>', text)
        assert link, path
        target = (path.parent / link[1]).resolve()
        assert target == (out / search.PAGES / f"{link[2].lower()}.html").resolve() and target.exists(), path
        page = target.read_text(encoding="utf-8")
        assert f"<title>{link[3]}</title>" in page and f'<h1 id="search-title">{link[3]}</h1>' in page
        back = re.search(r'data-switch="index">([^<]+)</a>', text)
        assert back and f'<a href="../index.html">{back[1]}</a>' in page
    german = (out / search.PAGES / "de.html").read_text(encoding="utf-8")
    assert "<title>Suche</title>" in german and '<html lang="de">' in german


def _page(lang: str, search_text: str, back: str, direction: str = "ltr", words: str | None = None) -> bytes:
    """A page as the layout writes it; ``words``: the `lang` of its header when the layout's words
    are in another language than its text (an English page in another language's place)."""
    header = f' lang="{words}"' if words else ""
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}" dir="{direction}">\n<body>\n<header class="site"{header}>\n'
        f'<p class="search"><a href="../search/{lang}.html" rel="search" hreflang="{lang}">{search_text}</a></p>\n'
        f'</header>\n<main data-pagefind-body></main>\n<footer><a href="../index.html" data-switch="index">{back}'
        "</a></footer>\n</body>\n</html>\n"
    ).encode()


ARABIC = _page("ar", "بحث", "كل صفحات المساعدة", "rtl")
ENGLISH = _page("en", "Search", "All help pages")
SHOWN_IN_FRENCH = _page("en", "Rechercher", "Toutes les pages d’aide", words="fr")  # sorts first: a/fr/fr


@pytest.mark.parametrize(
    ("pages", "lang", "expected", "not_expected"),
    [
        # a language written right to left: its search page too (it was laid out left to right)
        ({"a/sa/ar/help.html": ARABIC}, "ar", ['<html lang="ar" dir="rtl">', '<h1 id="search-title">بحث</h1>'], []),
        ({"a/us/en/help.html": ENGLISH}, "en", ['<html lang="en">', "<title>Search</title>"], ["dir="]),
        # an English page shown in French's place comes first: the English search page was "Rechercher"
        (
            {"a/fr/fr/help.html": SHOWN_IN_FRENCH, "b/us/en/help.html": ENGLISH},
            "en",
            ["<title>Search</title>", '<a href="../index.html">All help pages</a>'],
            ["Rechercher", "Toutes"],
        ),
        ({"a/fr/fr/help.html": SHOWN_IN_FRENCH}, "en", ["<title>Search</title>"], ["Rechercher"]),
    ],
)
def test_a_search_page_is_written_as_its_language_is_in_its_words(
    pages: dict[str, bytes], lang: str, expected: list[str], not_expected: list[str]
) -> None:
    page = search.own_files(pages, searchable=False)[search.page_path(lang)].decode("utf-8")
    assert all(text in page for text in expected) and not any(text in page for text in not_expected), page


def test_the_index_links_the_search_page_of_every_language() -> None:
    """The index (the one page in English) offers every language's search, each link in its language."""
    out = ROOT / "generated_docs"
    index = (out / "index.html").read_text(encoding="utf-8")
    links = re.findall(r'<a href="(search/[^"]+)" rel="search" hreflang="([^"]+)" lang="([^"]+)">', index)
    tags = {page.split("/")[2] for page in declared_pages(ROOT / "policies")}
    assert {(href, tag) for href, tag, lang in links if tag == lang} == {
        (f"{search.PAGES}/{tag.lower()}.html", tag) for tag in tags
    }
    assert all((out / href).exists() for href, _, _ in links)


@pytest.mark.parametrize("why", ["no Pagefind", "another Pagefind"])
def test_a_check_that_cannot_make_the_index_checks_the_pages_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, why: str
) -> None:
    """A pre-commit hook or CI job installed without the `search` extra cannot make the index it
    would compare with, nor can another version of Pagefind (it writes other bytes for the same
    pages: a CI job with a newer release than the committed pages'): `build --check` checks every
    page, leaves the search files alone and says why (which versions, and what to do)."""
    if why == "another Pagefind" and not search.available():
        pytest.skip("the `pagefind` package is not installed")
    out = tmp_path / "out"
    args = ("build", "--root", str(ROOT / "policies"), "--out", str(out), "--at", "2025-01-01")
    assert run_cli(*args).code == 0
    entry = out / search.ENTRY
    mine = search.made_by(entry.read_bytes()) if entry.exists() else None
    if why == "no Pagefind":
        monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(tmp_path / "no-such-binary"))
        said = "the `pagefind` package is not installed here"
    else:
        assert mine
        entry.write_text(json.dumps({**json.loads(entry.read_bytes()), "version": "0.9.0"}), encoding="utf-8")
        said = f"Pagefind 0.9.0 made them and this is Pagefind {mine} (install `pagefind[extended]==0.9.0` to check"
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    run = run_cli(*args, "--check")
    assert run.code == 0, run
    searched = [p for p in before if search.is_search_file(p.relative_to(out).as_posix())]
    assert searched and f"note: {len(searched)} search files not checked: {said}" in run.err, run.err
    page = next(p for p in before if p.name == "help.html" and "/de/" in p.as_posix())
    page.write_bytes(page.read_bytes().replace(b"<main", b"<main data-x", 1))  # a page is still checked
    run = run_cli(*args, "--check")
    assert run.code == 1 and f"{page.relative_to(tmp_path).as_posix()}:" in run.err and "error[G005]" in run.err, run
    assert "_search/" not in run.err and "search/de.html" not in run.err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == {**before, page: page.read_bytes()}
    if why == "another Pagefind":  # the same version again: compared (the entry, as edited, is stale)
        entry.write_bytes(before[entry].replace(b'"0.9.0"', json.dumps(mine).encode()))
        run = run_cli(*args, "--check")
        assert run.code == 1 and "search files not checked" not in run.err and "pagefind-entry.json" in run.err, run


class _DeadFirst(subprocess.Popen):  # type: ignore[type-arg]  # in whatever mode it is opened
    """A process that has exited before policyctl writes to it (the write then meets a broken pipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wait()


_DIES = "#!/bin/sh\necho 'index exploded' >&2\nexit 3\n"
# a Rust panic: its place and message, then a note on backtraces (the last line, which says nothing)
_PANICS = (
    "#!/bin/sh\n"
    "echo \"thread 'main' (7) panicked at pagefind/src/options.rs:267:56:\" >&2\n"
    "echo 'called `Result::unwrap()` on an `Err` value: Os { code: 2 }' >&2\n"
    "echo 'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace' >&2\n"
    "exit 101\n"
)


@pytest.mark.parametrize(
    "script, dead_first, said",
    [
        ("#!/bin/sh\nexec sleep 30\n", False, "Pagefind did not answer within 0.5 s (stopped)"),
        (_DIES, False, "Pagefind stopped: index exploded"),
        # CI once printed nothing here: closing the pipe re-raised the broken pipe over the reason
        (_DIES, True, "Pagefind stopped: index exploded"),
        (
            _PANICS,
            False,
            "Pagefind stopped: thread 'main' (7) panicked at pagefind/src/options.rs:267:56: "
            "called `Result::unwrap()` on an `Err` value: Os { code: 2 }\n",
        ),
    ],
    ids=["hangs", "dies", "died-before-asked", "panics"],
)
def test_a_pagefind_that_hangs_or_dies_stops_the_build_with_its_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str, dead_first: bool, said: str
) -> None:
    """Nothing written, exit 1, the reason in one line; a hung Pagefind does not hold the build.
    (Its pipes are closed: one left open is a ResourceWarning, an error in this suite.)"""
    binary = tmp_path / "pagefind"
    binary.write_text(script)
    binary.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(binary))
    monkeypatch.setattr(search, "ANSWER_SECONDS", 0.5)
    if dead_first:
        monkeypatch.setattr("engine.site.search.subprocess.Popen", _DeadFirst)
    out = tmp_path / "out"
    run = run_cli("build", "--root", str(ROOT / "policies"), "--out", str(out), "--at", "2025-01-01")
    assert run.code == 1 and said in run.err and "Traceback" not in run.err, run
    assert not out.exists()


def test_one_process_asks_pagefind_once_per_set_of_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same pages (another build, another folder) give the bundle without Pagefind; another
    page, or another Pagefind binary, asks it again; a caller changing what it got changes nothing
    the next one gets."""
    if not search.available():
        pytest.skip("the `pagefind` package is not installed")
    asked = _launches(monkeypatch)

    def build(pages: dict[str, bytes]) -> dict[str, bytes]:
        search.stop_pagefind()  # (so that each time Pagefind is asked, it is started)
        return search.build(pages)

    page = b'<html lang="en"><body><main data-pagefind-body><h1>Fees</h1><p>A fee %d.</p></main></body></html>'
    one = {"p/us/en/help.html": page % 1}
    first = build(one)
    first[search.ENTRY] = b"changed by a caller"
    assert build(dict(one)) != first and len(asked) == 1
    assert build(one)[search.ENTRY].startswith(b"{")
    assert build({"p/us/en/help.html": page % 2}) and len(asked) == 2
    # another binary (an upgrade, a stand-in): asked again
    monkeypatch.setattr(search, "executable", lambda: sys.executable)
    with pytest.raises(search.SearchError):
        build(one)
    assert [exe for exe, _ in asked][-1] == sys.executable


def _launches(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, subprocess.Popen[bytes]]]:
    """The programs engine.site.search starts from now on, and their processes."""
    launched: list[tuple[str, subprocess.Popen[bytes]]] = []
    real = subprocess.Popen

    def counted(args: list[str], **options: Any) -> Any:
        launched.append((args[0], real(args, **options)))
        return launched[-1][1]

    monkeypatch.setattr("engine.site.search.subprocess.Popen", counted)
    return launched


def test_a_kept_pagefind_outlives_the_folder_it_was_started_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that builds in a folder, removes it and builds again (a script working in
    temporary folders, a test): the kept Pagefind indexes again. It panicked, as Pagefind reads its
    working folder at every new index, and the build failed."""
    if not search.available():
        pytest.skip("the `pagefind` package is not installed")
    search.stop_pagefind()  # (as in a new process)
    launched = _launches(monkeypatch)
    page = b'<html lang="en"><body><main data-pagefind-body><h1>Fees</h1><p>A fee %d.</p></main></body></html>'
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    memo.clear_all()  # (each set of pages indexed, not answered from the process's memo)
    first = search.build({"p/us/en/help.html": page % 1})
    monkeypatch.chdir(tmp_path)
    gone.rmdir()
    memo.clear_all()
    second = search.build({"p/us/en/help.html": page % 2})
    assert len(launched) == 1 and second[search.ENTRY] and second != first


def test_one_pagefind_indexes_one_set_of_pages_after_another(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pagefind is started once per process and kept (its CJK dictionaries load once); what a kept
    Pagefind gives is what a new one gives; one that died is not asked again, and at the end the
    kept one is stopped."""
    if not search.available():
        pytest.skip("the `pagefind` package is not installed")
    search.stop_pagefind()  # (as in a new process)
    launched = _launches(monkeypatch)

    def asked(pages: dict[str, bytes]) -> dict[str, bytes]:
        memo.clear_all()  # (else the same pages are answered from the process's memo)
        return search.build(pages)

    page = '<html lang="%s"><body><main data-pagefind-body><h1>%s</h1><p>%s</p></main></body></html>'
    english = {"p/us/en/help.html": (page % ("en", "Fees", "A fee of 3 %.")).encode()}
    chinese = {"p/us/zh-Hans/help.html": (page % ("zh-Hans", "费用", "每笔订单收取费用。")).encode()}
    both = english | chinese
    kept = [asked(pages) for pages in (english, chinese, both, english, chinese, both)]
    assert len(launched) == 1
    assert kept[:3] == kept[3:]
    for pages, by_kept in ((english, kept[0]), (chinese, kept[1]), (both, kept[2])):
        search.stop_pagefind()
        assert asked(pages) == by_kept  # by a new Pagefind
    assert len(launched) == 4
    launched[-1][1].kill()
    launched[-1][1].wait()
    assert asked(english) == kept[0] and len(launched) == 5
    search.stop_pagefind()
    assert launched[-1][1].poll() is not None


class _Shown(HTMLParser):
    """What a browser shows for a piece of HTML: its text, and the tags it would make."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _shown(html_text: str) -> str:
    reader = _Shown()
    reader.feed(html_text)
    reader.close()
    return "".join(reader.text) + "".join(f" [a <{tag}> element]" for tag in reader.tags)


def _fragments(files: dict[str, bytes]) -> list[dict[str, Any]]:
    """The pages as Pagefind's index holds them (`fragment/*.pf_fragment`: gzipped JSON after a signature)."""
    found = []
    for path in sorted(files):
        if path.startswith(f"{search.FOLDER}/fragment/"):
            data = gzip.decompress(files[path])
            found.append(json.loads(data[data.index(b"{") :]))
    return found


def test_the_search_shows_filter_names_and_values_as_the_pages_wrote_them() -> None:
    """Pagefind's UI writes a filter's name and values into the search page as HTML, not text: a
    program named "Returns & <Co>" was listed as "Returns & " with an element `<co>` after it, and
    a name or site from the policy data could put links or images on the search page. The index
    holds them escaped, so that the UI shows the text the page shows (in either of the two forms a
    page can give a filter: `name:value`, or `name` and the element's text)."""
    if not search.available():
        pytest.skip("the `pagefind` package is not installed")
    page = (
        '<html lang="en"><body><header><ul><li><span data-pagefind-filter="Market &lt;place&gt;">'
        "&lt;b&gt;Germany&lt;/b&gt; <em>(a&amp;b.de)</em></span></li>"
        '<li><span data-pagefind-filter="Language">English</span></li>'
        "<li><span data-pagefind-filter='Site'>a &lt;i&gt;</span></li></ul></header>"
        '<main data-pagefind-body data-pagefind-filter="Program:Returns &amp; &lt;a href=&quot;https://x.example&quot;&gt;Co&lt;/a&gt;: R&amp;amp;D">'
        "<h1>Fees &amp; &lt;more&gt;</h1><p>A fee.</p></main></body></html>"
    )
    (fragment,) = _fragments(search.build({"p/us/en/help.html": page.encode()}))
    shown = {_shown(name): [_shown(value) for value in values] for name, values in fragment["filters"].items()}
    assert shown == {
        "Market <place>": ["<b>Germany</b> (a&b.de)"],
        "Language": ["English"],
        "Site": ["a <i>"],
        "Program": ['Returns & <a href="https://x.example">Co</a>: R&amp;D'],
    }
    # the page's text and title are indexed as they were (the UI escapes those itself)
    assert fragment["meta"]["title"] == "Fees & <more>" and "A fee." in fragment["content"]


# each language's name of a heading's permalink (policies/_site/permalink.html.j2), as the site's catalogs translate it
PERMALINK_NAMES = (
    "Link to this section",
    "Link zu diesem Abschnitt",
    "Enlace a esta sección",
    "Link a questa sezione",
    "本节链接",
)


def test_the_search_indexes_headings_not_their_permalinks(built_site: Path) -> None:
    """Each heading's permalink is out of the search (`data-pagefind-ignore`; its sign is the style
    sheet's): no page's indexed text holds its name or sign, and each heading Pagefind links a
    result to (its `anchors`) has the heading's own text and id. (Pagefind indexes a link's text,
    not its `aria-label`: a permalink with `#` as its text was indexed as "Fees. # A fee.")"""
    if not search.available():
        pytest.skip("the `pagefind` package is not installed")
    fragments = [
        json.loads(data[data.index(b"{") :])
        for data in (
            gzip.decompress(p.read_bytes()) for p in sorted((built_site / search.FOLDER / "fragment").iterdir())
        )
    ]
    assert fragments
    for fragment in fragments:
        page = (built_site / fragment["url"].lstrip("/")).read_text(encoding="utf-8")
        assert 'class="permalink"' in page, fragment["url"]
        for name in PERMALINK_NAMES:
            assert name not in fragment["content"], (fragment["url"], name)
        assert "#" not in fragment["content"], fragment["url"]
        headings = [a for a in fragment["anchors"] if a["element"][:1] == "h"]
        assert headings, fragment["url"]
        for anchor in headings:
            assert f'<{anchor["element"]} id="{anchor["id"]}">' in page, anchor
            assert not any(name in anchor["text"] for name in PERMALINK_NAMES), anchor
