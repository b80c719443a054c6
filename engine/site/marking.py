"""What the page renderer does with assumptions (engine.site.evidence): the filters and tests that
see a value kept off the pages or an assumed one, and where the "not yet confirmed" markers go."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from engine.site import evidence
from engine.site.evidence import AUTO, Omitted, Taint, refuse_omitted
from engine.site.markup import Fact, Items, Shown, unwrap
from engine.templates.omitted import OMISSION_TESTS

# Jinja's filters whose answer is made from the value, not the value itself (or items of it): a
# text or a number the renderer cannot mark. (`first`, `sort`, `map`... give the facts themselves.)
_DERIVING_FILTERS = frozenset(
    "abs capitalize count float int length lower round string striptags title trim truncate upper wordcount".split()
)


def taint_of(value: Any) -> Taint | None:
    if type(value) is Fact:
        return value._taint
    return value.taint if isinstance(value, (Shown, Items)) else None


def evidenced_filter(name: str, filter_: Callable[..., Any], formats: bool) -> Callable[..., Any]:
    """A filter that refuses a value kept off the pages (G008), and notes a use of an assumed one
    when its answer is made from the value (engine.site.evidence). ``formats``: one of the page's
    own filters, whose answer keeps the fact (and is marked when shown)."""
    how = f"formats it with `{name}`" if formats else f"passes it to `{name}`"
    deriving = name in _DERIVING_FILTERS

    @functools.wraps(filter_)  # (keeps `jinja_pass_arg`: Jinja passes the context as before)
    def call(*args: Any, **kwargs: Any) -> Any:
        values = (*args, *kwargs.values()) if kwargs else args
        for value in values:
            if type(value) is Omitted:
                value.refuse(how)
            if deriving:
                taint = taint_of(value)
                if taint is not None:
                    evidence.used(taint, how)
        return filter_(*args, **kwargs)

    return call


def evidenced_test(name: str, test: Callable[..., Any]) -> Callable[..., bool]:
    """A test of the value a fact holds (`p.x is none`, `ex.expect.allowed is true`), refusing a
    value kept off the pages but for `is omitted` and `is defined`, and noting a test of an assumed
    value but for `is none` (which only decides whether there is a value to show)."""
    if name in OMISSION_TESTS:
        return test
    how = f"tests it with `is {name}`"

    @functools.wraps(test)
    def tested(*args: Any, **kwargs: Any) -> bool:
        refuse_omitted((*args, *kwargs.values()), how)
        if name != "none":
            for value in (*args, *kwargs.values()):
                taint = taint_of(value)
                if taint is not None:
                    evidence.used(taint, how)
        return bool(test(*[unwrap(a) for a in args], **{k: unwrap(v) for k, v in kwargs.items()}))

    if getattr(test, "jinja_pass_arg", None) is not None:  # (a test that takes the context or environment)
        return test
    return tested


def is_omitted(value: Any) -> bool:
    """`p.x is omitted`: the value is an assumption kept off the pages in this marketplace."""
    return type(value) is Omitted


def place_markers(text: str, marker: str) -> str:
    """The markers the renderer put after assumed values (``AUTO`` before each), and the one a
    template placed itself (`{% include "_site/unconfirmed.md.j2" %}`) only where no marker of
    the renderer is on its line: the same marker twice in one line says nothing more. A marker
    of the renderer followed by a letter or digit (Chinese and Japanese put no space between
    words) gets a space after it: Markdown's emphasis ending in a bracket (`*（尚未确认）*`) ends
    only before a space or a punctuation mark."""
    if AUTO not in text:
        return text
    placed = re.compile(rf"([ \t]*)({AUTO}?){re.escape(marker)}(?=(.?))")

    def keep(m: re.Match[str]) -> str:
        if not m.group(2):  # placed by the template
            return ""
        after = m.group(3)
        return m.group(1) + marker + (" " if after and unicodedata.category(after)[0] in "LN" else "")

    lines = text.split("\n")
    for i, line in enumerate(lines):
        if AUTO in line:
            lines[i] = placed.sub(keep, line).replace(AUTO, "")
    return "\n".join(lines)
