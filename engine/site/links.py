"""Links between pages (G011): every relative link of every page a build makes (Markdown and HTML)
leads to a file the same build makes, and its `#fragment` to an id of that page.

A template's link to a page that is not made (a misspelt `fees.md`, a page of a program not
offered in this marketplace, a language the page is not published in, a link that is right from
the current page but not from a past edition one folder deeper) or to a fragment no element of
the page has (a heading's id is made from its text, engine.site.anchors: `#refunds` is not on a page
whose heading reads `Erstattungen`) is found after rendering, as mkdocs' `validation: links` does:
a set look-up per link, ids read only from pages a fragment names. A link to `fees.md#x` is checked
against the ids of `fees.html`, where the site's link leads (GitHub gives the Markdown page the same
ids from the same texts). Another site's link (`https:`, `mailto:`, `//host`) and an absolute path are not checked:
they are not the build's.

Each broken link is one problem at the place that wrote it: the first template of the page's
program or of the layout that holds the link as written (then the catalog of the page's language,
for a link in a translation); a link made from a value (`{{ link }}`) is at the page's template,
line 1, and says so. The page is named in the message, as the other problems a render meets on
one page name theirs (`engine.site.page.once_each` keeps one of a template's on several pages); a
fragment missing on several pages (languages, editions) names the others in the hint (a template
writes one fragment for every language, and each language's headings have their own ids).
"""

from __future__ import annotations

import html
import os
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from engine.problems import Problem
from engine.problems.hints import Suggester
from engine.site.markup import html_twin
from engine.site.plan import rel

CODE = "G011"
_ON_PAGE = " (on the page for "  # (as engine.site.page words where a render's problem was met)
_MAX_PAGES = 5  # the other pages a missing fragment's hint names

# HTML as the layout and markdown-it write it: attributes in double quotes, `&` escaped. On the
# pages' bytes, each pattern starting with its literal text: a build reads ~20 MB of pages a
# thousand pages (a pattern starting with `\s`, on text, took a build's time up by 4 %).
# Links to another site or an absolute path are passed over by the patterns (`_checked` says so
# again of what is left, once unescaped).
_OTHER = rb"(?![a-zA-Z][a-zA-Z0-9+.-]*:|/)"
_HTML_LINK = re.compile(rb'href="' + _OTHER + rb'([^"]*)"')
_HTML_SRC = re.compile(rb'src="' + _OTHER + rb'([^"]*)"')  # (an image's: `![...](x.png)`)
_HTML_ID = re.compile(rb' id="([^"]*)"')
# a Markdown link or image: `](href)`, `](<href>)`, `](href "title")`; not after a backslash
# (`\]` is a bracket the text shows: escaped values never make a link)
_MD_LINK = re.compile(rb"\]\(\s*(?:<([^>\n]*)>|" + _OTHER + rb"([^\s)]*))")
_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a page's links were written: its template (a link made from a value is placed at its
    line 1), the folders of the templates it may include or extend and the catalogs of its language
    (where a link is looked for as written, after the template, only when one is broken), and the
    page as its problems name it (` (on the page for marketplace ..., language ...)`)."""

    template: str
    folders: tuple[str, ...]
    catalogs: tuple[str, ...]
    where: str
    current: str = ""  # a past edition's: the folder of the current page (its links are written for it)


def links_in(path: str, data: bytes) -> list[str]:
    """The links of a page (its bytes) as written in it (HTML unescaped), each once, in order; not
    those to another site (most of them)."""
    if path.endswith(".md"):
        found = [
            m.group(1) if m.group(1) is not None else m.group(2)
            for m in _MD_LINK.finditer(data)
            if m.start() == 0 or data[m.start() - 1] != 0x5C  # (not `\]`)
        ]
    else:
        found = _HTML_LINK.findall(data) + (_HTML_SRC.findall(data) if b'src="' in data else [])
        found = list(dict.fromkeys(found))
        if b"&" in data:
            return [html.unescape(h.decode("utf-8", "replace")) for h in found]
    return [h.decode("utf-8", "replace") for h in found]


def ids_in(data: bytes) -> set[str]:
    """The ids of an HTML page's elements (its bytes: what a `#fragment` can land on)."""
    return {html.unescape(i.decode("utf-8", "replace")) for i in _HTML_ID.findall(data)}


def _checked(href: str) -> bool:
    """A link this check follows: relative, to this site (not `https:`, `mailto:`, `//host`, `/x`)."""
    return bool(href) and not href.startswith("/") and not _SCHEME.match(href)


def _split(href: str) -> tuple[str, str | None]:
    """(path, fragment or None) of a relative link, both percent-decoded; the query is dropped."""
    path, hash_, fragment = href.partition("#")
    path = path.partition("?")[0]
    if "%" in href:
        return unquote(path), unquote(fragment) if hash_ else None
    return path, fragment if hash_ else None


def resolve(page: str, path: str) -> str | None:
    """The file ``path`` (a link's path part) leads to from the page at ``page``; the page itself for
    an empty path, `index.html` for a folder; None above the site's top."""
    if not path:
        return page
    folder = page.rpartition("/")[0]
    rest, up = path, 0
    while rest.startswith("../"):  # (most links: beside the page, or `../../de/en/help.html`)
        rest, up = rest[3:], up + 1
    if "./" in rest or "//" in rest or rest in (".", "..") or rest.endswith("/.."):
        joined = posixpath.normpath(f"{folder}/{path}" if folder else path)
        if joined == ".." or joined.startswith("../"):
            return None
        joined = "" if joined == "." else joined
    else:
        parts = folder.split("/") if folder else []
        if up > len(parts):
            return None
        base = "/".join(parts[: len(parts) - up])
        joined = f"{base}/{rest}".rstrip("/") if base else rest.rstrip("/")
    if path.endswith(("/", "/.", "/..")) or path in (".", ".."):
        return f"{joined}/index.html" if joined else "index.html"
    return joined


class Checker:
    """The links of one build's pages, against the files it makes (``produced``) and the ids of its
    HTML pages (``data_of``: a made page's bytes, read only for a page a fragment names)."""

    def __init__(self, produced: set[str], data_of: Callable[[str], bytes | None]) -> None:
        self.produced = produced
        self.data_of = data_of
        self._verdicts: dict[tuple[str, str], tuple[str, str | None, str] | None] = {}
        self._ids: dict[str, set[str] | None] = {}
        self._sources: dict[str, str | None] = {}
        self._listed: dict[str, list[str]] = {}
        self._pages: dict[str, list[tuple[str, str]]] | None = None  # pages by their path but the language
        self.hints = Suggester()

    def ids(self, target: str) -> set[str] | None:
        """The ids of the HTML page ``target`` (of its HTML twin for a Markdown page); None for a
        file whose fragments are not the build's (a feed, a JSON file) or a page not at hand (the
        preview renders one page)."""
        if target.endswith(".md"):
            target = target[:-3] + ".html"
        if not target.endswith(".html") or target not in self.produced:
            return None
        if target not in self._ids:
            data = self.data_of(target)
            self._ids[target] = None if data is None else ids_in(data)
        return self._ids[target]

    def broken(self, page: str, href: str) -> tuple[str, str | None, str] | None:
        """(target, fragment, why) of a broken link; None when it leads somewhere, or is not checked.
        ``why``: `page` (no such file) or `anchor` (no such id)."""
        # (the same links recur on every page of a folder: the layout's, the template's)
        key = (page if href[:1] in ("#", "?", "") else page.rpartition("/")[0], href)
        if key in self._verdicts:
            return self._verdicts[key]
        verdict = self._verdict(page, href)
        self._verdicts[key] = verdict
        return verdict

    def _verdict(self, page: str, href: str) -> tuple[str, str | None, str] | None:
        if not _checked(href):
            return None
        path, fragment = _split(href)
        target = resolve(page, path)
        if target is None or target not in self.produced:
            return (target or path, fragment, "page")
        if fragment:  # (`#` alone: the top of the page)
            ids = self.ids(target)
            if ids is not None and fragment not in ids:
                return (target, fragment, "anchor")
        return None

    def check(self, pages: Iterable[tuple[str, bytes, Origin]]) -> list[Problem]:
        """G011 for each broken link of ``pages`` ((path, bytes, origin), a page's Markdown before its
        HTML): a link of the HTML that is the Markdown's twin, broken there, is said once, and a link
        a template writes on many pages once, on the first of ``pages`` (a current page before its
        past editions: the build's plan order)."""
        found: dict[tuple[str, int, int, str], Problem] = {}  # the first page's of each place and link
        # the pages a fragment is missing on, by place and link: a template writes one fragment for
        # every language, and each language's headings have their own ids (said in the hint)
        elsewhere: dict[tuple[str, int, int, str], list[str]] = {}
        targets: dict[tuple[str, int, int, str], tuple[str, str | None, str]] = {}
        said: dict[str, set[str]] = {}  # a Markdown page's path -> its broken links' HTML twins
        for path, data, origin in pages:
            seen: set[str] = set()
            twins = said.get(path[:-5] + ".md", set()) if path.endswith(".html") else set()
            for href in links_in(path, data):
                if href in seen:
                    continue
                seen.add(href)
                bad = self.broken(path, href)
                if bad is None or _decoded(href) in twins:
                    continue
                if path.endswith(".md"):
                    said.setdefault(path, set()).add(_decoded(html_twin(href) or href))
                problem = self.problem(path, href, bad, origin)
                key = (problem.file, problem.line, problem.col, problem.message.split(_ON_PAGE)[0])
                found.setdefault(key, problem)
                if bad[2] == "anchor":
                    missing = elsewhere.setdefault(key, [])
                    if origin.where not in missing:
                        missing.append(origin.where)
                    targets.setdefault(key, bad)
        for key, missing in elsewhere.items():
            # (the first page's is in the message; a fragment no version of its page has is a
            # misspelling, said once: the pages it is missing on are then all the link is on)
            if len(missing) > 1 and self.on_some_version(*targets[key][:2]):
                first = found[key]
                more = f"; and {len(missing) - _MAX_PAGES - 1:,} more" if len(missing) > _MAX_PAGES + 1 else ""
                hint = f"{first.hint} (missing on the pages for {'; '.join(missing[1 : _MAX_PAGES + 1])}{more} too)"
                found[key] = Problem(first.file, first.line, first.col, CODE, first.message, hint)
        return list(found.values())

    def problem(self, page: str, href: str, bad: tuple[str, str | None, str], origin: Origin) -> Problem:
        target, fragment, why = bad
        place = self.place(href, origin)
        made = "" if place is not None else ", made from a value (no template writes it as is)"
        file, line, col = place or (origin.template, 1, 1)
        if why == "page":
            message = f"the link `{href}` leads to no page of the site{made}"
            detail = f"`{page}` links to `{target}`, which the build does not make"
            hint = self.page_hint(page, target, href, origin)
        else:
            message = f"the link `{href}` leads to no `#{fragment}` on its page{made}"
            detail = f"`{page}` links to `{target}`, where no element has the id `{fragment}`"
            hint = self.anchor_hint(page, href, target, fragment or "")
        return Problem(file, line, col, CODE, f"{message} (on the page for {origin.where}: {detail})", hint)

    def page_hint(self, page: str, target: str, href: str, origin: Origin) -> str:
        if origin.current:
            there = resolve(f"{origin.current}/{posixpath.basename(page)}", _split(href)[0])
            if there in self.produced:
                return (
                    f"from the current page it leads to `{there}`, but a past edition is a folder deeper"
                    f" (`{posixpath.dirname(page)}/`): link to a page of another folder through the page"
                    " context (`programs.ID.href`; `edition_links`), not by a path"
                )
        folder, name = posixpath.split(target)
        ext = posixpath.splitext(target)[1]
        near = [posixpath.basename(p) for p in self.produced if posixpath.dirname(p) == folder and p.endswith(ext)]
        guess = self.hints.closest(name, near)
        if guess:
            return f"did you mean `{rel(page, posixpath.join(folder, guess[0]))}`?"
        here = posixpath.dirname(page)
        beside = [rel(page, p) for p in self.produced if posixpath.dirname(p) == here and p.endswith((".md", ".html"))]
        return (
            f"a link is relative to the page's folder `{here}/` (beside it: {self.hints.listed(beside) or 'no page'});"
            " to another program's page, use `programs.ID.href` (none where that program has no page in the"
            " page's marketplace and language)"
        )

    def anchor_hint(self, page: str, href: str, target: str, fragment: str) -> str:
        ids = self.ids(target) or set()
        guess = self.hints.closest(fragment, ids)
        bare = href.partition("#")[0] or rel(page, target)
        shown = target[:-3] + ".html" if target.endswith(".md") else target
        listed = self.hints.listed(ids) or "none"
        having = self.languages_with(shown, fragment)
        if having:  # (a fragment a template writes for every language: first, a guess would be this language's)
            return (
                f"`#{fragment}` is an id of this page in {', '.join(f'`{t}`' for t in having)}, not here"
                f" (the ids on `{shown}`: {listed}): a heading's id is made from its text, which each language"
                " words its own; write the link in the translated text (each language's catalog then gives its"
                f" own fragment), or link to the page itself, `{bare}`"
            )
        if guess:
            return f"did you mean `{bare}#{guess[0]}`?"
        return (
            f"the ids on `{shown}`: {listed} (a heading's id is its text in lower case, without punctuation,"
            f" each space a `-`: `## What changed` is `#what-changed`); or link to the page itself, `{bare}`"
        )

    def on_some_version(self, target: str, fragment: str | None) -> bool:
        """Whether a version of the page ``target`` (its page in another marketplace, language or
        edition: `program/.../page.html`) has the id ``fragment``."""
        if target.endswith(".md"):
            target = target[:-3] + ".html"
        program, name = target.partition("/")[0], target.rpartition("/")[2]
        return any(
            fragment in (self.ids(path) or ())
            for path in sorted(self.produced)
            if path.startswith(f"{program}/") and path.endswith(f"/{name}") and path != target
        )

    def languages_with(self, target: str, fragment: str) -> list[str]:
        """The languages whose page of ``target`` (an HTML page `program/marketplace/language/...`) has
        the id ``fragment``: said when a fragment written for every language is missing in one."""
        parts = target.split("/")
        if len(parts) < 4:
            return []
        if self._pages is None:  # (built once, on the first broken fragment)
            self._pages = {}
            for path in sorted(self.produced):
                if path.endswith(".html") and len(p := path.split("/")) >= 4:
                    self._pages.setdefault("/".join(p[:2] + p[3:]), []).append((p[2], path))
        key = "/".join(parts[:2] + parts[3:])
        return [tag for tag, path in self._pages.get(key, []) if path != target and fragment in (self.ids(path) or ())]

    def _text(self, file: str) -> str | None:
        if file not in self._sources:
            try:
                with open(file, encoding="utf-8") as f:
                    self._sources[file] = f.read()
            except (OSError, UnicodeError):
                self._sources[file] = None
        return self._sources[file]

    def sources(self, origin: Origin) -> list[str]:
        """The files to look for a page's links in: its template first, then the other templates of
        its folders (the program's pages, the layout), then its catalogs (a translated link)."""
        found = [origin.template]
        for folder in origin.folders:
            names = self._listed.get(folder)
            if names is None:
                try:
                    names = sorted(n for n in os.listdir(folder) if n.endswith(".j2"))
                except OSError:
                    names = []
                self._listed[folder] = names
            found += [path for n in names if (path := os.path.join(folder, n)) != origin.template]
        return found + list(origin.catalogs)

    def place(self, href: str, origin: Origin) -> tuple[str, int, int] | None:
        """The first place of ``origin.sources`` where ``href`` is written (a Markdown link's HTML twin
        as its `.md` first: the layout's HTML links are written as is); None when none writes it (a
        link made from a value)."""
        spellings = [href]
        if "%" in href:  # (markdown-it percent-encodes a link's other characters: `#rücksendungen`)
            spellings.insert(0, unquote(href))
        for spelt in list(spellings):
            path = spelt.partition("#")[0].partition("?")[0]
            if path.endswith(".html"):
                spellings.insert(spellings.index(spelt), path[:-5] + ".md" + spelt[len(path) :])
        for file in self.sources(origin):
            text = self._text(file)
            if text is None:
                continue
            for spelt in spellings:
                at = _written(text, spelt)
                if at >= 0:
                    line = text.count("\n", 0, at) + 1
                    return file, line, at - (text.rfind("\n", 0, at) + 1) + 1
        return None


def _decoded(href: str) -> str:
    """A link as its Markdown wrote it: markdown-it writes `help.md#rücksendungen` into the HTML as
    `help.html#r%C3%BCcksendungen` (and a browser reads the fragment back as the id it names)."""
    return unquote(href) if "%" in href else href


def _written(text: str, href: str) -> int:
    """Where ``href`` is written as a whole link in ``text`` (after `(`, `"` or `<`, before `)`, `"`,
    `>`, `#`, a space): `help.md` is not found inside `old-help.md`; -1 when nowhere."""
    start = text.find(href)
    while start >= 0:
        end = start + len(href)
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        if before in ("(", '"', "<", "'", " ", "") and after in (")", '"', ">", "'", " ", "#", "", "\n"):
            return start
        start = text.find(href, start + 1)
    return -1


def check_pages(
    pages: Mapping[str, Origin], produced: set[str], data_of: Callable[[str], bytes | None]
) -> list[Problem]:
    """G011 for the broken links of ``pages`` (path -> where its links were written; in order, each
    page's Markdown before its HTML)."""
    checker = Checker(produced, data_of)
    return checker.check((p, data, origin) for p, origin in pages.items() if (data := data_of(p)) is not None)
