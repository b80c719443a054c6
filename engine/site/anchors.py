"""Heading ids: every heading of a page's HTML gets an `id`, so a reader can link to a section
(`help.html#what-changed`) and G011 (engine.site.links) can check such a link.

An id is the heading's text as GitHub makes it for the `.md` twin of the page (github-slugger, which
markdown-it-py's anchors plugin, VS Code and markdownlint follow too): lower case, every character
dropped but letters, marks, digits and `_`/`-`, each space a `-`. So `## What changed` is
`#what-changed`, on the HTML page and on the Markdown page as GitHub shows it, and a link
`help.md#what-changed` in a page's Markdown leads to the same section in both.

Letters of every script are kept, not transliterated (`## Was sich geändert hat` ->
`#was-sich-geändert-hat`, `## 変更点` -> `#変更点`), as GitHub and mkdocs' `slugify=unicode` keep
them: a transliteration has no answer for Japanese (Python-Markdown's default slug drops every
letter outside ASCII and leaves `_1`, `_2`, ids that move whenever a heading is added), ids in
HTML may hold any character but a space, and a browser shows such a link in its address bar as
written (sent percent-encoded: `%C3%A4`, which G011 reads as the `ä` it is). A reader linking to a
German section from a page in another language links to the German page with the German id;
a fragment is never shared between languages (each heading's text is its language's), which is
why G011 tells an author a fragment written in a template for every language that is missing in
one of them.

Ids are deterministic (the page's text alone) and unique within the page: a second heading of the
same text gets `-1`, the next `-2` (as GitHub), an id the layout already uses (`content`, the
preview's `policyctl-problems`) is never taken by a heading, and a heading with no letter or digit
is `section`. Only headings written without attributes are given one (markdown-it's: raw HTML is
off, so a page's text cannot write a heading with attributes; a layout's heading with its own
attributes is left as written). An `id` is passive: engine.site.activecontent has nothing to say.

A heading given an id may be given more than the id (`section`): the layout's permalink, a link to
the heading's own `#id` beside it (engine.site.html, `permalink.html.j2`), which a reader can see,
reach by keyboard and copy. It goes after the heading, never inside it: a link inside would be
part of the heading's accessible name, and a screen reader's list of headings would read "Fees
Link to this section: Fees" for each.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# ids that are not on a built page but on a served one (engine.commands.serve's problem overlay):
# a heading never takes them either, so a link checked by `build` lands on the same element in `serve`
RESERVED = frozenset({"policyctl-problems"})
EMPTY = "section"  # the id of a heading with no letter or digit (`## ---`, `## ¶`)

# (as Ruby's `\p{Word}`, which GitHub keeps: letters, marks, decimal and letter numbers, `_` and the
# other connector punctuation; `-` and the space are kept apart)
_KEPT = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "Pc"})
_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>", re.S)
_ID = re.compile(r' id="([^"]*)"')
_TAG = re.compile(r"<[^>]*>")


@lru_cache(maxsize=4096)  # the same headings recur on every page of a program and language
def slug(text: str) -> str:
    """The id of a heading whose text (as a reader sees it) is ``text``, before it is made unique;
    `EMPTY` when nothing of it is kept."""
    kept = "".join(
        "-" if c == " " else c
        for c in text.strip().lower()
        if c in "- " or (c.isascii() and c.isalnum()) or unicodedata.category(c) in _KEPT
    )
    return kept or EMPTY


def unique(base: str, taken: set[str]) -> str:
    """``base``, or ``base-1``, ``base-2``, ... the first that is not ``taken`` (which it joins)."""
    found, n = base, 0
    while found in taken:
        n += 1
        found = f"{base}-{n}"
    taken.add(found)
    return found


def text_of(inner_html: str) -> str:
    """The text a reader sees of a heading's HTML (its fact spans and links looked through)."""
    return html.unescape(_TAG.sub("", inner_html)) if "<" in inner_html or "&" in inner_html else inner_html


# What a heading given an id becomes: (its id, its text as a reader sees it, the heading's HTML
# with its id) -> the HTML in its place
Section = Callable[[str, str, str], str]


def with_heading_ids(page: str, section: Section | None = None) -> str:
    """``page`` (HTML) with an id on each heading written without attributes, in order; the ids the
    page already has (the layout's) and `RESERVED` stay theirs. ``section``: what each such
    heading becomes, given its id, text and HTML (the heading with its permalink)."""
    if "<h" not in page:
        return page
    taken = set(RESERVED)
    taken.update(html.unescape(i) for i in _ID.findall(page))

    def heading(m: re.Match[str]) -> str:
        level, inner = m.group(1), m.group(2)
        text = text_of(inner)
        found = unique(slug(text), taken)
        tagged = f'<h{level} id="{html.escape(found)}">{inner}</h{level}>'
        return tagged if section is None else section(found, text, tagged)

    return _HEADING.sub(heading, page)


def heading_ids(texts: list[str]) -> list[str]:
    """The ids of headings of these texts on a page without other ids, in order (for tests and docs)."""
    taken = set(RESERVED)
    return [unique(slug(t), taken) for t in texts]
