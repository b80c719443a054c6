"""What the page renderer does with assumptions (engine.site.evidence): the filters and tests that
see a value kept off the pages or an assumed one, and where the "not yet confirmed" markers go."""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any

from engine.site import evidence
from engine.site.evidence import AUTO, END, TAG, Omitted, Taint, refuse_omitted
from engine.site.markup import Fact, Items, Shown, unwrap
from engine.templates.omitted import OMISSION_TESTS

# Jinja's filters that take a number: given a fact, they take its number (Jinja's `int` and
# `float` gave their default, 0, for anything they could not convert)
_NUMERIC_FILTERS = frozenset(("abs", "float", "int", "round"))


def taint_of(value: Any) -> Taint | None:
    if type(value) is Fact:
        return value._taint
    return value.taint if isinstance(value, (Shown, Items)) else None


def _still_facts(answer: Any) -> bool:
    """Whether a filter's answer still holds the values it was given as they were, to be marked
    where shown and noted where used: a fact (or an item of one), a formatted fact, items, a list
    or a generator of them (`first`, `sort`, `map`, `select`, `reverse`...)."""
    if type(answer) is Fact:
        return True
    if isinstance(answer, Shown):
        return answer.fact is not None or answer.taint is not None
    return isinstance(answer, (Items, list, tuple, Iterator))


def evidenced_filter(name: str, filter_: Callable[..., Any], formats: bool) -> Callable[..., Any]:
    """A filter that refuses a value kept off the pages (G008), and notes a use of an assumed one
    (engine.site.evidence) whenever its answer no longer says so: a text or a number made from it
    (`length`, `int`, `string`, `replace`, `e`...; any filter not known to keep the facts fails
    closed). ``formats``: one of the page's own filters, whose answer keeps the fact it formats
    (and is marked when shown); an assumption it is given besides (`money(currency)`) is a use.
    `link` marks an assumed address itself (engine.site.render)."""
    how = f"formats it with `{name}`" if formats else f"passes it to `{name}`"
    numeric = name in _NUMERIC_FILTERS
    given = _given(filter_)  # (the context or environment Jinja passes first; once, not per call)

    @functools.wraps(filter_)  # (keeps `jinja_pass_arg`: Jinja passes the context as before)
    def call(*args: Any, **kwargs: Any) -> Any:
        values = (*args, *kwargs.values()) if kwargs else args
        tainted: list[tuple[int, Taint]] = []
        for i, value in enumerate(values):
            if type(value) is Omitted:
                value.refuse(how)
            taint = taint_of(value)
            if taint is not None:
                tainted.append((i, taint))
        if numeric and type(args[given]) is Fact:
            args = (*args[:given], args[given].raw, *args[given + 1 :])
        answer = filter_(*args, **kwargs)
        if not tainted:
            return answer
        if name == "trim" and isinstance(values[given], Shown) and isinstance(answer, Shown):
            shown = values[given]  # (the same text without spaces around it: the same fact)
            return Shown.of(answer, shown.fact, shown.value, shown.taint)
        kept = _still_facts(answer)
        for i, taint in tainted:
            # a page filter keeps the fact it formats (`link` marks its address itself); anything
            # else made from an assumption no longer says so: a use
            if (i != given or not kept) and not (formats and (i == given or name == "link")):
                evidence.used(taint, how, values[i])
        return answer

    return call


def _given(filter_: Callable[..., Any]) -> int:
    """The position of the value a filter is applied to (after the context Jinja passes some)."""
    return 0 if getattr(filter_, "jinja_pass_arg", None) is None else 1


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
                    evidence.used(taint, how, value)
        return bool(test(*[unwrap(a) for a in args], **{k: unwrap(v) for k, v in kwargs.items()}))

    if getattr(test, "jinja_pass_arg", None) is not None:  # (a test that takes the context or environment)
        return test
    return tested


def is_omitted(value: Any) -> bool:
    """`p.x is omitted`: the value is an assumption kept off the pages in this marketplace."""
    return type(value) is Omitted


def place_markers(text: str, marker: str) -> str:
    """The page with its markers placed: each carries the ids of the assumptions it marks, the
    renderer's after ``AUTO`` (one), a template's after ``TAG`` (the flags it read:
    engine.site.evidence); the ids are removed here. On each line, a template's marker is left out
    when every assumption it marks is marked before it on the line already (`{{ days }} … of
    delivery.{% if assumed.x %} {% include … %}{% endif %}`); any marker right after another one
    is left out too (the same words twice say nothing more); every other marker stays, so that a
    marker for another assumption is never lost (a table row is one line).

    The spaces before a marker are the marker's own, its translation's (" *(not yet confirmed)*";
    Chinese may write none): those a template writes before it are replaced by them. A marker with
    none that opens an emphasis (an older layout's `*(not yet confirmed)*`) keeps the template's,
    and the renderer's gets one.

    Where the renderer's marker goes: after a Markdown code span the value ends (inside it, its
    asterisks would show); a marker in an emphasis followed by a letter or digit (Chinese and
    Japanese put no space between words), also behind the closing `*`/`**` of an emphasis the
    value ends, gets a space after it: Markdown's emphasis ending in a bracket (`*（尚未确认）*`)
    ends only before a space or a punctuation mark."""
    if AUTO not in text and TAG not in text:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if AUTO in line or TAG in line:
            lines[i] = _placed(line, marker)
    return "\n".join(lines)


_TEMPLATE_TAG = re.compile(f"{TAG}([^{END}\n]*){END}")
_LEFT_OVER = re.compile(f"[{AUTO}{TAG}][^{AUTO}{TAG}{END}\n]*{END}|[{AUTO}{TAG}{END}]")
_BACKTICKS = re.compile(r"(?<!\\)`+")
_DELIMITERS = re.compile("[*_\ue002]*")  # (and the end of a fact mark, in the render for HTML)


def _placed(line: str, marker: str) -> str:
    # a template's marker: its tag out of the line, its ids kept by where it was
    tags: list[tuple[int, frozenset[str]]] = []
    pieces, at, length = [], 0, 0
    for m in _TEMPLATE_TAG.finditer(line):
        pieces.append(line[at : m.start()])
        length += m.start() - at
        tags.append((length, frozenset(m.group(1).split())))
        at = m.end()
    pieces.append(line[at:])
    line = "".join(pieces)
    # (the spaces before a marker from where their run starts only: tried at each space of a long
    # run, a line of 40,000 spaces took 29 s)
    found = re.compile(rf"(?<![ \t])([ \t]*)(?:{AUTO}([^{END}\n]*){END})?{re.escape(marker)}")
    spans = _code_spans(line)
    out: list[str] = []
    last = 0  # where the text not yet copied starts
    previous = -1  # where the last marker (kept or left out) ends
    marked: set[str] = set()
    for m in found.finditer(line):
        auto = m.group(2) is not None
        if auto:
            ids = frozenset((m.group(2),))
        else:
            ids = frozenset().union(*(s for p, s in tags if m.start() <= p <= m.end()))
        leave_out = m.start() == previous or (not auto and bool(ids) and ids <= marked)
        marked |= ids
        previous = m.end()
        out.append(line[last : m.start()])
        last = m.end()
        if leave_out:
            continue
        # a marker with no space of its own that opens an emphasis, `*(not yet confirmed)*` (the
        # default layout's before the space became its message's, and an own layout's copy of it):
        # the template's spaces stay before it and the renderer's gets one, as then (Markdown opens
        # an emphasis on a bracket only after a space or a punctuation mark)
        before = (m.group(1) or (" " if auto else "")) if marker.startswith(("*", "_")) else ""
        run = _BACKTICKS.match(line, m.end())
        if auto and run and spans(m.start(), len(run.group())):
            out.append(run.group() + before + marker)  # `$4.99` *(…)*: after the code span
            last = previous = run.end()
        else:
            out.append(before + marker)
        run_end = _DELIMITERS.match(line, last).end()  # type: ignore[union-attr]  # (`*` matches the empty text)
        after = line[run_end : run_end + 1]
        # (only an emphasis needs it: a marker a translator writes without one, "（尚未确认）", gets none)
        emphasis = marker.endswith(("*", "_")) or any(c in "*_" for c in line[last:run_end])
        if emphasis and after and unicodedata.category(after)[0] in "LN":
            out.append(line[last:run_end] + " ")
            last = run_end
    out.append(line[last:])
    return _LEFT_OVER.sub("", "".join(out))


def _code_spans(line: str) -> Callable[[int, int], bool]:
    """For ``line``: whether a backtick run of a length, after a place, closes a code span (an odd
    number of runs of its length before that place). The runs are found once per line (once per
    marker, a line of many markers cost their number times its length)."""
    starts: dict[int, list[int]] = {}
    for m in _BACKTICKS.finditer(line):
        starts.setdefault(len(m.group()), []).append(m.start())

    def closes(at: int, length: int) -> bool:
        return bisect.bisect_left(starts.get(length, []), at) % 2 == 1

    return closes
