"""Page text: escaping for Markdown, facts marked for HTML, Markdown to HTML.

A page template writes Markdown. Everything it interpolates is escaped for Markdown unless it is
already-formatted page text (`Shown`, made by the formatting filters). The same template renders
twice: once as the published `.md`, once with every fact wrapped in invisible markers that survive
Markdown parsing and become `<span data-fact=... data-value=...>` in the HTML. markdown-it-py
renders with raw HTML disabled, so no policy string, template or translation can put a tag into a
page: the only tags are what Markdown makes, the fact spans added here and the scroll container
each table gets (`scrollable_tables`).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from jinja2.runtime import Undefined as _Undefined
from markupsafe import Markup

from engine.problems import a_kind
from engine.site.evidence import Taint, used

# Private-use characters: never valid in policy text (escape() removes them), so they can mark
# facts through Markdown parsing unambiguously.
_OPEN, _MID, _CLOSE = "\ue000", "\ue001", "\ue002"
_PRIVATE = re.compile("[\ue000-\ue002]")
_UNSAFE = re.compile("[\ue000-\ue005]")  # the marks and engine.site.evidence's AUTO, TAG and END
_MARK = re.compile(f"{_OPEN}(\\d+){_MID}")
_BREAKS = re.compile(r"[ \t]*[\r\n\v\f\u2028\u2029][ \t\r\n\v\f\u2028\u2029]*|[ \t]{2,}")  # not NBSP
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~!#])")
# would start a list or a heading: `-`, `+`, `=` are escaped themselves; an ordered list's `1.`
# by its `.` or `)` (CommonMark escapes only punctuation: `\1.` would show the backslash)
_LINE_START = re.compile(r"^(?:([-+=])(?=\s|$)|(\d+)([.)])(?=\s|$))")


class Shown(Markup):
    """Text formatted for the page (already escaped); `fact`/`value` say which fact it shows,
    `taint` whether that is an assumption (engine.site.evidence)."""

    fact: str | None = None
    value: Any = None
    taint: Taint | None = None
    assumed_inside: bool = False  # a list whose assumed items are marked each (not the list)

    @classmethod
    def of(cls, text: str, fact: str | None = None, value: Any = None, taint: Taint | None = None) -> Shown:
        shown = cls(text)
        shown.fact, shown.value = fact, value
        if taint is not None:
            shown.taint = taint
        return shown


def escape(text: str) -> Markup:
    """Plain text as Markdown that shows exactly that text: `<b>` stays visible, never a tag."""
    text = str(text)
    return _escape(text) if len(text) <= MEMO_MAX_VALUE else _escape.__wrapped__(text)


# The memos below are bounded in entries (LRU) and in the length of what they key on (values,
# Markdown texts); anything longer is computed every time. A site build keeps ~1-2 MB in them.
MEMO_MAX_VALUE = 256
MEMO_MAX_TEXT = 2048


# A page escapes ~130 values (formatted numbers, names, translated sentences), most of them the
# same on every page of a language: keep the answers. Keyed by the exact str; Markup is immutable.
@lru_cache(maxsize=8192)
def _escape(text: str) -> Markup:
    text = _UNSAFE.sub("", text)
    text = _BREAKS.sub(" ", text)  # a value is inline: a line break would start a block
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return Markup(_LINE_START.sub(_escape_line_start, text))


def _escape_line_start(m: re.Match[str]) -> str:
    return f"\\{m.group(1)}" if m.group(1) else f"{m.group(2)}\\{m.group(3)}"


# Han, kana, CJK punctuation and full-width forms: scripts written without spaces between words
_CJK = "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_END = re.compile(f"[{_CJK}][\ue001\ue002]*$")
_CJK_PUNCT_END = re.compile("[\u3000-\u303f\uff00-\uffef][\ue001\ue002]*$")  # 。，：（ ... end a sentence part
_BLOCK_START = re.compile(r"$|[\s#|>]|[-+*](?:\s|$)|\d+[.)](?:\s|$)")  # a line that could start a block
_CJK_START = re.compile(f"^(?:\ue000\\d+\ue001)?[{_CJK}]")


def join_cjk_lines(markdown: str) -> str:
    """Lines of one paragraph joined without a space where both sides are CJK: a line break
    inside a paragraph is a space in HTML, and Chinese and Japanese put none between sentences.
    A heading or table line is never joined to the next; fact marks (the private-use characters
    above) are looked through."""
    if not _HAS_CJK.search(markdown):
        return markdown
    lines = markdown.split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        before = out[-1]
        if (
            _CJK_END.search(before)
            and not before.lstrip().startswith(("#", "|"))
            and not _BLOCK_START.match(line)
            and (_CJK_START.match(line) or _CJK_PUNCT_END.search(before))
        ):
            out[-1] = before + line
        else:
            out.append(line)
    return "\n".join(out)


_HAS_CJK = re.compile(f"[{_CJK}]")


@dataclass(frozen=True, slots=True)
class Fact:
    """A value from policy data on its way into a page, with its path (`fee_tiers.0.fee`).

    Templates read it like the value (compare, iterate, index, take its length); showing it goes
    through a formatting filter, or the default format for its type. ``_taint``: what of it is an
    assumption (engine.site.evidence); a test, comparison or computation with such a fact is
    noted, showing it is marked by the renderer.
    """

    path: str
    raw: Any
    _taint: Taint | None = None

    def __getitem__(self, key: Any) -> Any:
        taint = self._taint
        return fact(f"{self.path}.{key}", self.raw[unwrap(key)], taint and taint.below(unwrap(key)))

    def __iter__(self) -> Iterator[Any]:
        if isinstance(self.raw, dict):
            return iter(self.raw)
        taint = self._taint
        if taint is None:
            return (fact(f"{self.path}.{i}", v) for i, v in enumerate(self.raw))
        return (fact(f"{self.path}.{i}", v, taint.below(i)) for i, v in enumerate(self.raw))

    def __reversed__(self) -> Iterator[Any]:
        """The items last first (`reverse`, `last`): shown, each is marked; nothing is counted."""
        if isinstance(self.raw, dict):
            keys: list[Any] = list(self.raw)
            return iter(keys[::-1])
        taint = self._taint
        count = len(self.raw)
        return (fact(f"{self.path}.{i}", self.raw[i], taint and taint.below(i)) for i in range(count - 1, -1, -1))

    def __len__(self) -> int:
        if self._taint is not None:
            used(self._taint, "counts it", self)
        return len(self.raw)

    def __contains__(self, item: Any) -> bool:
        if self._taint is not None:
            used(self._taint, "looks into it", self)
        return unwrap(item) in self.raw

    def __bool__(self) -> bool:
        # a yes/no or a number decides what a page says; a text, a list or a mapping being empty
        # only whether there is something to show (as `is none`), and what is shown is marked
        if self._taint is not None and isinstance(self.raw, (bool, int, float)):
            used(self._taint, "tests it", self)
        return bool(self.raw)

    def _compared(self, other: Any) -> Any:
        if self._taint is not None:
            used(self._taint, "compares it", self)
        elif type(other) is Fact and other._taint is not None:
            used(other._taint, "compares it", other)
        return unwrap(other)

    def __eq__(self, other: object) -> bool:
        return bool(self.raw == self._compared(other))

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __lt__(self, other: Any) -> bool:
        return bool(self.raw < self._compared(other))

    def __le__(self, other: Any) -> bool:
        return bool(self.raw <= self._compared(other))

    def __gt__(self, other: Any) -> bool:
        return bool(self.raw > self._compared(other))

    def __ge__(self, other: Any) -> bool:
        return bool(self.raw >= self._compared(other))

    def __hash__(self) -> int:
        return hash(self.path)

    # Arithmetic: a numeric fact computes like its number (`t.over + 1`, `p.fee * 100`); the result
    # is a plain number, shown through a filter like any other (it is derived, not a fact itself).
    def _number(self, other: Any = 0) -> tuple[Any, Any]:
        if self._taint is not None:
            used(self._taint, "computes with it", self)
        elif type(other) is Fact and other._taint is not None:
            used(other._taint, "computes with it", other)
        raw, value = self.raw, unwrap(other)
        for v in (raw, value):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise TypeError(
                    f"arithmetic needs numbers: `{self.path}` is {a_kind(raw)}"
                    + ("" if v is raw else f" and the other value {a_kind(v)}")
                )
        return raw, value

    def __add__(self, other: Any) -> Any:
        a, b = self._number(other)
        return a + b

    def __radd__(self, other: Any) -> Any:
        a, b = self._number(other)
        return b + a

    def __sub__(self, other: Any) -> Any:
        a, b = self._number(other)
        return a - b

    def __rsub__(self, other: Any) -> Any:
        a, b = self._number(other)
        return b - a

    def __mul__(self, other: Any) -> Any:
        a, b = self._number(other)
        return a * b

    def __rmul__(self, other: Any) -> Any:
        a, b = self._number(other)
        return b * a

    def __truediv__(self, other: Any) -> Any:
        a, b = self._number(other)
        return a / b

    def __rtruediv__(self, other: Any) -> Any:
        a, b = self._number(other)
        return b / a

    def __floordiv__(self, other: Any) -> Any:
        a, b = self._number(other)
        return a // b

    def __neg__(self) -> Any:
        return -self._number()[0]

    def __abs__(self) -> Any:
        return abs(self._number()[0])

    def __str__(self) -> str:
        raise TypeError(f"the fact `{self.path}` must be shown through a filter (number, money, date, label, ...)")

    def items(self) -> list[tuple[str, Any]]:
        """Key and fact of each entry of a mapping, for `{% for k, v in fact.items() %}`."""
        taint = self._taint
        return [(k, fact(f"{self.path}.{k}", v, taint and taint.below(k))) for k, v in self.raw.items()]


def fact(path: str, value: Any, taint: Taint | None = None) -> Any:
    """Policy data for a template: nulls and yes/no stay plain (for `is none`, `if`), the rest are
    facts; an assumption is always a fact, so that a test of it is seen (engine.site.evidence)."""
    if taint is None and (value is None or isinstance(value, bool)):
        return value
    return Fact(path, value, taint)


class Items(list[Shown]):
    """Formatted items of one list fact (from `labels`, `languages`), joined by the `list` filter."""

    fact: str | None
    value: Any
    taint: Taint | None

    def __init__(self, items: list[Shown], source: Any) -> None:
        super().__init__(items)
        if isinstance(source, Items):
            self.fact, self.value, self.taint = source.fact, source.value, source.taint
        else:
            self.fact = source.path if isinstance(source, Fact) else None
            self.value = unwrap(source)
            self.taint = source._taint if isinstance(source, Fact) else None


def unwrap(value: Any) -> Any:
    """A fact's value, for a filter to format. An undefined value (`ex.input.days_since_deliver`,
    a name the data lacks) stops the render with Jinja's own error, which engine.templates.sandbox
    words as "`ex.input` has no `days_since_deliver`": formatted, it was "expected a number, got
    StrictUndefined Undefined"."""
    if isinstance(value, Fact):
        return value.raw
    if isinstance(value, _Undefined):
        value._fail_with_undefined_error()
    return value


def canonical(value: Any) -> str:
    """The language-neutral form of a fact's value, for `data-value` and for comparing pages."""
    return json.dumps(unwrap(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class FactMarks:
    """Facts shown in one HTML render: marks them in the Markdown, turns marks into spans after."""

    def __init__(self, assumed: frozenset[str] = frozenset()) -> None:
        self.facts: list[tuple[str, str]] = []
        # facts that are assumptions besides the values (which say so themselves: `Shown.taint`),
        # by their exact names: dates of changes, the next change. Their spans say `data-assumption`.
        self.assumed = assumed
        self.unconfirmed: set[int] = set()  # the numbers of the facts shown that are assumptions

    def mark(self, shown: Shown) -> str:
        assert shown.fact is not None
        value = shown.value
        # most facts are strings and integers: their JSON without json.dumps (same text; see canonical)
        kind = type(value)
        if kind is str and len(value) <= MEMO_MAX_VALUE:
            text = _json_text(value)
        elif kind is int:
            text = int.__repr__(value)
        else:
            text = canonical(value)
        number = len(self.facts)
        self.facts.append((shown.fact, text))
        if shown.taint is not None or shown.assumed_inside or shown.fact in self.assumed:
            self.unconfirmed.add(number)
        return f"{_OPEN}{number}{_MID}{shown}{_CLOSE}"

    def to_spans(self, rendered_html: str) -> str:
        facts, unconfirmed = self.facts, self.unconfirmed

        def span(m: re.Match[str]) -> str:
            number = int(m.group(1))
            name, value = facts[number]
            tag = _span(name, value) if len(value) <= MEMO_MAX_VALUE else _span.__wrapped__(name, value)
            if number in unconfirmed:
                tag = tag[:-1] + ' data-assumption="">'
            return tag

        return _MARK.sub(span, rendered_html).replace(_CLOSE, "</span>")


@lru_cache(maxsize=8192)
def _json_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


@lru_cache(maxsize=8192)  # the same facts with the same values recur on every page of a marketplace
def _span(name: str, value: str) -> str:
    return f'<span data-fact="{html.escape(name)}" data-value="{html.escape(value)}">'


# markdown-it writes `<table>` without attributes and escapes `<` in text and attribute values, so
# in a page body these are its tables and headings only (raw HTML is off).
_TABLE_OR_HEADING = re.compile(r"<h([1-6])>(.*?)</h\1>|<table>|</table>", re.S)
_TAG = re.compile(r"<[^>]*>")


def scrollable_tables(body: str) -> str:
    """``body`` (a page's HTML) with each table in a container that scrolls sideways when the table
    is wider than the screen, instead of the whole page: `<div class="table-scroll" role="region"
    tabindex="0" aria-label="...">`. Focusable, so a keyboard can scroll it, and named after the
    heading the table stands under (in the page's language), so a screen reader can say which
    table it is; by its first row's text when no heading comes before it, or another table already
    took the heading's name (two regions of one name could not be told apart)."""
    if "<table>" not in body:
        return body
    heading = ""

    def wrap(m: re.Match[str]) -> str:
        nonlocal heading
        if m.group(1):
            heading = m.group(2)
            return m.group(0)
        if m.group(0) == "</table>":
            return "</table></div>"
        label, heading = heading, ""  # a second table under the same heading: its own first row
        if not label:
            label = body[m.end() : body.find("</tr>", m.end())].replace("</th>", " </th>").replace("</td>", " </td>")
        text = " ".join(html.unescape(_TAG.sub("", label)).split())
        return f'<div class="table-scroll" role="region" tabindex="0" aria-label="{html.escape(text)}"><table>'

    return _TABLE_OR_HEADING.sub(wrap, body)


def strip_marks(text: str) -> str:
    return _PRIVATE.sub("", _MARK.sub("", text))


_MARKDOWN: Any = None  # the one configured parser (markdown-it is imported on first use: not for validate)
_INLINE_HTML = "policyctl_inline_html"  # token type: an inline text already rendered, from the memo


def _parser() -> Any:
    """The Markdown parser, configured once: building one costs about as much as parsing a page.

    Parsing keeps no state in the parser (each parse has its own state), so one serves every page.
    """
    global _MARKDOWN
    if _MARKDOWN is None:
        from markdown_it import MarkdownIt

        md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
        md.core.ruler.at("inline", _inline_memo)  # inline parsing, then text_join, through a memo
        md.core.ruler.disable("text_join")
        md.add_render_rule(_INLINE_HTML, _render_inline_html)
        _MARKDOWN = md
    return _MARKDOWN


def _inline_memo(state: Any) -> None:
    """markdown-it's `inline` and `text_join` core rules, with each text's HTML remembered.

    Pages of one program repeat the same inline texts (table cells, sentences, list items: ~2,000
    distinct in 39,000 over 600 pages), and parsing and rendering them was half the cost of a page.
    An inline text's HTML depends only on the text, the parser's fixed options and rules, the link
    rewrite below and the reference definitions in `env`; a page that defines references
    (non-empty `env`) is parsed and rendered without the memo. The memo holds strings only.
    """
    from markdown_it.rules_core import inline, text_join
    from markdown_it.token import Token

    if state.env:
        inline(state)
        text_join(state)
        return
    for token in state.tokens:
        if token.type == "inline":
            content = token.content
            rendered, title = (_inline_html if len(content) <= MEMO_MAX_TEXT else _inline_html.__wrapped__)(content)
            token.children = [Token(_INLINE_HTML, "", 0, content=rendered, meta={"title": title})]


@lru_cache(maxsize=4096)
def _inline_html(content: str) -> tuple[str, str]:
    """(HTML, title text) of one inline text: parsed, joined, links rewritten and rendered as to_html would."""
    from markdown_it.rules_core import StateCore, inline, text_join
    from markdown_it.token import Token

    md = _parser()
    state = StateCore(content, md, {})
    state.tokens = [Token("inline", "", 0, content=content, children=[])]
    inline(state)
    text_join(state)
    children = state.tokens[0].children or []
    _rewrite_links(children)
    return md.renderer.renderInline(children, md.options, {}), _title_text(children)


def _render_inline_html(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    return str(tokens[idx].content)


def _rewrite_links(children: Any) -> None:
    """Links between pages point at the HTML twin (`html_twin`)."""
    for child in children:
        href = child.attrGet("href") if child.type == "link_open" else None
        if isinstance(href, str):
            twin = html_twin(href)
            if twin is not None:
                child.attrSet("href", twin)


_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:")


def html_twin(href: str) -> str | None:
    """The HTML page's address for a relative link to a Markdown page, its query and fragment kept:
    `fees.md` -> `fees.html`, `fees.md#refunds` -> `fees.html#refunds`, `fees.md?a=1#b` ->
    `fees.html?a=1#b`; None for any other link: another site's or scheme's (`https:`,
    `mailto:x.md`), an absolute path (`/x.md`, `//host/x.md`), a link that is only a part of this
    page (`#notes.md`: `.md` in a fragment or a query is not the page's)."""
    path = href.split("#", 1)[0].split("?", 1)[0]
    if not path.endswith(".md") or path.startswith("/") or _SCHEME.match(path):
        return None
    return path[:-3] + ".html" + href[len(path) :]


def _title_text(children: Any) -> str:
    return "".join(
        c.meta["title"] if c.type == _INLINE_HTML else c.content
        for c in children
        if c.type in ("text", "code_inline", _INLINE_HTML)
    )


def to_html(markdown: str, marks: FactMarks) -> tuple[str, str]:
    """(HTML body, plain-text title from the first level-1 heading) of a marked page."""
    pieces = _pieces(markdown)
    if pieces is None:
        body, title = _render(markdown)
    else:
        parts, title = [], None
        for piece in pieces:
            html_part, first = _piece_html(piece) if len(piece) <= MEMO_MAX_TEXT else _render(piece)
            parts.append(html_part)
            if title is None:
                title = first
        body = "".join(parts)
    return marks.to_spans(body), strip_marks(title or "")


# A line after a blank line that starts with one of these may continue the block before the blank
# (an indented line: a list item or code; a list marker or digit: the next item of a list, which
# would make the list loose; `>`: kept with its neighbours to be safe).
_CONTINUES = frozenset(" \t-+*>0123456789\n")


def _pieces(markdown: str) -> list[str] | None:
    """The page cut at blank lines into top-level pieces that parse alone exactly as in the page.

    After a blank line, a paragraph, heading, table, block quote, list or indented code block has
    ended unless the next line is indented or starts a list item; a cut is made only before a line
    that is neither. Never cut (None): reference definitions (`]:`, they apply to the whole page),
    fenced code (```` ``` ````, `~~~`: it spans blank lines), CR or NUL (markdown-it rewrites them).
    Pages of one program repeat most of their pieces (headings, prose, lists), so each piece's
    HTML is remembered (`_piece_html`) and the page is their concatenation.
    """
    if "]:" in markdown or "```" in markdown or "~~~" in markdown or "\r" in markdown or "\0" in markdown:
        return None
    parts = markdown.split("\n\n")
    pieces: list[str] = []
    current = parts[0]
    for part in parts[1:]:
        if part and part[0] not in _CONTINUES:
            pieces.append(current + "\n")
            current = part
        else:
            current += "\n\n" + part
    pieces.append(current)
    return pieces


@lru_cache(maxsize=1024)  # pages are rendered grouped by program and language: recent pieces recur
def _piece_html(piece: str) -> tuple[str, str | None]:
    return _render(piece)


def _render(markdown: str) -> tuple[str, str | None]:
    """(HTML, text of the first level-1 heading or None) of Markdown."""
    md = _parser()
    tokens = md.parse(markdown)
    title = None
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.tag == "h1":
            title = _title_text(tokens[i + 1].children or ())
            break
    for tok in tokens:
        if tok.children:
            _rewrite_links(tok.children)  # pages with reference definitions: their tokens are not from the memo
    return md.renderer.render(tokens, md.options, {}), title
