"""Page text: escaping for Markdown, facts marked for HTML, Markdown to HTML.

A page template writes Markdown. Everything it interpolates is escaped for Markdown unless it is
already-formatted page text (`Shown`, made by the formatting filters). The same template renders
twice: once as the published `.md`, once with every fact wrapped in invisible markers that survive
Markdown parsing and become `<span data-fact=... data-value=...>` in the HTML. markdown-it-py
renders with raw HTML disabled, so no policy string, template or translation can put a tag into a
page: the only tags are what Markdown makes and the fact spans added here.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any, Iterator

from markupsafe import Markup

# Private-use characters: never valid in policy text (escape() removes them), so they can mark
# facts through Markdown parsing unambiguously.
_OPEN, _MID, _CLOSE = "\ue000", "\ue001", "\ue002"
_PRIVATE = re.compile("[\ue000-\ue002]")
_BREAKS = re.compile(r"[ \t]*[\r\n\v\f\u2028\u2029][ \t\r\n\v\f\u2028\u2029]*|[ \t]{2,}")  # not NBSP
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~!#])")
_LINE_START = re.compile(r"^([-+=](?=\s|$)|\d+(?=[.)](?:\s|$)))")  # would start a list or a heading


class Shown(Markup):
    """Text formatted for the page (already escaped); `fact`/`value` say which fact it shows."""

    fact: str | None = None
    value: Any = None

    @classmethod
    def of(cls, text: str, fact: str | None = None, value: Any = None) -> Shown:
        shown = cls(text)
        shown.fact, shown.value = fact, value
        return shown


def escape(text: str) -> Markup:
    """Plain text as Markdown that shows exactly that text: `<b>` stays visible, never a tag."""
    text = _PRIVATE.sub("", str(text))
    text = _BREAKS.sub(" ", text)  # a value is inline: a line break would start a block
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return Markup(_LINE_START.sub(r"\\\1", text))


@dataclass(frozen=True, slots=True)
class Fact:
    """A value from policy data on its way into a page, with its path (`fee_tiers.0.fee`).

    Templates read it like the value (compare, iterate, index, take its length); showing it goes
    through a formatting filter, or the default format for its type.
    """

    path: str
    raw: Any

    def __getitem__(self, key: Any) -> Any:
        return fact(f"{self.path}.{key}", self.raw[unwrap(key)])

    def __iter__(self) -> Iterator[Any]:
        if isinstance(self.raw, dict):
            return iter(self.raw)
        return (fact(f"{self.path}.{i}", v) for i, v in enumerate(self.raw))

    def __len__(self) -> int:
        return len(self.raw)

    def __contains__(self, item: Any) -> bool:
        return unwrap(item) in self.raw

    def __bool__(self) -> bool:
        return bool(self.raw)

    def __eq__(self, other: object) -> bool:
        return bool(self.raw == unwrap(other))

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __lt__(self, other: Any) -> bool:
        return bool(self.raw < unwrap(other))

    def __le__(self, other: Any) -> bool:
        return bool(self.raw <= unwrap(other))

    def __gt__(self, other: Any) -> bool:
        return bool(self.raw > unwrap(other))

    def __ge__(self, other: Any) -> bool:
        return bool(self.raw >= unwrap(other))

    def __hash__(self) -> int:
        return hash(self.path)

    def __str__(self) -> str:
        raise TypeError(f"the fact `{self.path}` must be shown through a filter (number, money, date, label, ...)")

    def items(self) -> list[tuple[str, Any]]:
        """Key and fact of each entry of a mapping, for `{% for k, v in fact.items() %}`."""
        return [(k, fact(f"{self.path}.{k}", v)) for k, v in self.raw.items()]


def fact(path: str, value: Any) -> Any:
    """Policy data for a template: nulls and yes/no stay plain (for `is none`, `if`), the rest are facts."""
    if value is None or isinstance(value, bool):
        return value
    return Fact(path, value)


def unwrap(value: Any) -> Any:
    return value.raw if isinstance(value, Fact) else value


def canonical(value: Any) -> str:
    """The language-neutral form of a fact's value, for `data-value` and for comparing pages."""
    return json.dumps(unwrap(value), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class FactMarks:
    """Facts shown in one HTML render: marks them in the Markdown, turns marks into spans after."""

    def __init__(self) -> None:
        self.facts: list[tuple[str, str]] = []

    def mark(self, shown: Shown) -> str:
        assert shown.fact is not None
        self.facts.append((shown.fact, canonical(shown.value)))
        return f"{_OPEN}{len(self.facts) - 1}{_MID}{shown}{_CLOSE}"

    def to_spans(self, rendered_html: str) -> str:
        def span(m: re.Match[str]) -> str:
            name, value = self.facts[int(m.group(1))]
            return f'<span data-fact="{html.escape(name)}" data-value="{html.escape(value)}">'

        out = re.sub(f"{_OPEN}(\\d+){_MID}", span, rendered_html)
        return out.replace(_CLOSE, "</span>")


def strip_marks(text: str) -> str:
    return _PRIVATE.sub("", re.sub(f"{_OPEN}\\d+{_MID}", "", text))


def _parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


def to_html(markdown: str, marks: FactMarks) -> tuple[str, str]:
    """(HTML body, plain-text title from the first level-1 heading) of a marked page."""
    md = _parser()
    tokens = md.parse(markdown)
    title = ""
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open" and tok.tag == "h1":
            inline = tokens[i + 1]
            title = "".join(c.content for c in inline.children or () if c.type in ("text", "code_inline"))
            break
    for tok in tokens:
        for child in tok.children or ():
            href = child.attrGet("href") if child.type == "link_open" else None
            if isinstance(href, str) and href.endswith(".md") and "://" not in href and not href.startswith("/"):
                child.attrSet("href", href[:-3] + ".html")  # links between pages point at the HTML twin
    body = md.renderer.render(tokens, md.options, {})
    return marks.to_spans(body), strip_marks(title)
