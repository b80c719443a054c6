"""Assumptions on pages: a page never states an assumption as fact (docs/writing-policies.md, "Evidence").

A value that is an assumption reaches a page template in one of two ways:

- kept off the pages (`on_pages: omit`): the template gets ``Omitted``, which refuses every use but
  the test `is omitted` (and `is defined`): a page that tested, compared, formatted or showed it
  would state what it decides (G008, at the template's line, pointing at `p.NAME`);
- shown with the "not yet confirmed" marker (`on_pages: mark`): its facts carry a ``Taint``. The
  renderer puts the marker right after every tainted value a page shows (engine.site.render), but
  it cannot know which sentences a test, a comparison or a computation with such a value chooses:
  such a use is noted (``used``), and the render must read the flag that says the value is an
  assumption (`assumed.NAME`, `c.value_assumed`, `ex.unconfirmed`: ``acknowledge``), as a template
  that places the marker itself does; otherwise G009 at the first such use (``Watch.problem``).
  A worked example whose answer rests on an assumption is tainted as a whole: it is marked by the
  template (`ex.unconfirmed`), so showing one of its answers counts as such a use too.

A render is watched by ``watching`` (one ``Watch`` per render, in a context variable: a page's
values know nothing of the render they are in). Testing `is none` is not a use: it decides whether
a value is there to show, and the value shown is marked.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

from engine.problems import Problem
from engine.templates.omitted import CODE as OMITTED_CODE
from engine.templates.omitted import TESTED_FOR_OMISSION, omission_hint, parameter_pattern
from engine.templates.sandbox import RuleError, column_at

# The character the renderer writes before each marker it places itself (engine.site.render); a
# private-use character, never in policy text (engine.site.markup.escape removes it).
AUTO = "\ue003"

UNMARKED_CODE = "G009"
_TESTED_FOR_NONE = r"\s*is\s+(?:not\s+)?none\b"


class Omitted:
    """A parameter's value kept off the pages (`on_pages: omit`): decisions use it, pages may not.

    Every use but the tests in ``OMISSION_TESTS`` stops the render with G008; it is neither none
    nor false (either answer would let the page state something that rests on it)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def refuse(self, how: str) -> NoReturn:
        raise RuleError(
            OMITTED_CODE,
            f"`p.{self._name}` is an assumption kept off the pages (`on_pages: omit`), and the template "
            f"{how}: the page would state what rests on it",
            omission_hint(self._name),
            parameter_pattern(self._name, TESTED_FOR_OMISSION),
        )

    def __bool__(self) -> bool:
        self.refuse("tests it")

    def __eq__(self, other: object) -> bool:
        self.refuse("compares it")

    def __ne__(self, other: object) -> bool:
        self.refuse("compares it")

    def __lt__(self, other: object) -> bool:
        self.refuse("compares it")

    __le__ = __gt__ = __ge__ = __lt__

    def __hash__(self) -> int:
        self.refuse("reads it")

    def __iter__(self) -> Iterator[Any]:
        self.refuse("reads it")

    def __len__(self) -> int:
        self.refuse("reads it")

    def __contains__(self, item: object) -> bool:
        self.refuse("reads it")

    def __getitem__(self, key: object) -> Any:
        self.refuse(f"reads its `{key}`")

    def __str__(self) -> str:
        self.refuse("shows it")

    def __add__(self, other: object) -> Any:
        self.refuse("computes with it")

    __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = __add__
    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __pow__ = __rpow__ = __add__

    def __neg__(self) -> Any:
        self.refuse("computes with it")

    __pos__ = __abs__ = __neg__

    def __repr__(self) -> str:
        return f"Omitted({self._name!r})"


def refuse_omitted(values: tuple[Any, ...], how: str) -> None:
    """G008 when one of ``values`` is a value kept off the pages."""
    for value in values:
        if type(value) is Omitted:
            value.refuse(how)


@dataclass(frozen=True, slots=True)
class Taint:
    """What of a fact is an assumption pages mark as "not yet confirmed".

    ``id`` is what a template's flag acknowledges (a parameter's name, `changes.NAME.DATE`,
    `examples.DECISION.N`); ``label`` names it in a message, ``flag`` is the template's flag for it,
    ``needle`` finds it on a template line (its group is the column). ``parts``: the assumed parts
    below this fact (paths of keys and item numbers), or None when all of it is assumed."""

    id: str
    label: str
    flag: str
    needle: str
    example: bool = False  # a worked example: marked by its template, never by the renderer
    parts: tuple[tuple[str, ...], ...] | None = None

    def below(self, key: Any) -> Taint | None:
        """The taint of the fact's item ``key``: all of it, some parts, or none."""
        if self.parts is None:
            return self
        k = str(key)
        rest = tuple(p[1:] for p in self.parts if p and p[0] == k)
        if not rest:
            return None
        return replace(self, parts=None if any(not r for r in rest) else rest)


def parameter_taint(name: str, parts: tuple[tuple[str, ...], ...] | None = None) -> Taint:
    return Taint(name, f"`p.{name}`", f"assumed.{name}", parameter_pattern(name, _TESTED_FOR_NONE).pattern, parts=parts)


@dataclass
class Use:
    """A use of a tainted value that is not showing it, and where it is."""

    taint: Taint
    how: str
    file: str
    line: int


MAX_USES = 1000  # uses a render keeps (a loop over data could make any number; the first ones tell)


@dataclass
class Watch:
    """One render's uses of assumed values, the flags it read and where it showed marked values."""

    uses: list[Use] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)
    shown: set[tuple[str, str, int]] = field(default_factory=set)  # (taint id, file, line)

    def problem(self) -> Problem | None:
        """G009 for the first use whose flag the render never read, unless it is the test of an
        `if` whose branch shows the value itself (marked): `{% if p.fee > 0 %}… {{ p.fee|money }}`."""
        for use in self.uses:
            if use.taint.id in self.acknowledged or self._shown_under(use):
                continue
            return self._problem(use)
        return None

    def _shown_under(self, use: Use) -> bool:
        shown = [line for key, file, line in self.shown if key == use.taint.id and file == use.file]
        if not shown or not use.how.startswith(("tests", "compares")):
            return False
        return any(start <= line <= end for start, end in if_statements(use.file, use.line) for line in shown)

    def _problem(self, use: Use) -> Problem:
        t = use.taint
        col = column_at(use.file, use.line, re.compile(t.needle))
        include = '{% include "_site/unconfirmed.md.j2" %}'
        if t.example:
            message = f"{t.label}, and the template {use.how} without marking the example"
            hint = (
                f"mark the example: `{{% if {t.flag} %}} {include}{{% endif %}}` after its sentence; or, when a "
                "source states this example, give the test case that `source`"
            )
        else:
            message = (
                f"{t.label} is an assumption (not yet confirmed), and the template {use.how}: what it "
                "decides is stated as fact"
            )
            hint = (
                f"mark the sentence it decides: `{{% if {t.flag} %}} {include}{{% endif %}}` after it "
                "(the engine marks an assumed value a page shows, not what a test or a computation makes of it)"
            )
        return Problem(use.file, use.line, col, UNMARKED_CODE, message, hint)


def if_statements(file: str, line: int) -> list[tuple[int, int]]:
    """The lines (first, last) of each `if` or `elif` of the template ``file`` whose test is on ``line``."""
    from jinja2 import nodes

    from engine.templates.names import parsed

    tree = parsed(file)
    if tree is None:
        return []
    found = []
    for node in tree.find_all(nodes.If):
        if node.test.lineno == line:
            lines = [n.lineno for n in node.find_all(nodes.Node) if n.lineno is not None]
            found.append((line, max(lines, default=line)))
    return found


_WATCH: ContextVar[Watch | None] = ContextVar("policyctl_evidence", default=None)


@contextlib.contextmanager
def watching() -> Iterator[Watch]:
    """Watch the uses of assumed values in the render run inside the block."""
    watch = Watch()
    token = _WATCH.set(watch)
    try:
        yield watch
    finally:
        _WATCH.reset(token)


def used(taint: Taint, how: str) -> None:
    """Note a use of a tainted value (a test, a comparison, a computation...), with its template line."""
    watch = _WATCH.get()
    if watch is None or len(watch.uses) >= MAX_USES:
        return
    where = template_line()
    if where is not None:
        watch.uses.append(Use(taint, how, *where))


def shown(taint: Taint) -> None:
    """Note that the render showed a tainted value, marked, at the template line running now."""
    watch = _WATCH.get()
    if watch is None or len(watch.shown) >= MAX_USES:
        return
    where = template_line()
    if where is not None:
        watch.shown.add((taint.id, *where))


def acknowledge(key: str) -> None:
    """The render read the flag saying ``key`` is an assumption (it marks what rests on it itself)."""
    watch = _WATCH.get()
    if watch is not None:
        watch.acknowledged.add(key)


def template_line() -> tuple[str, int] | None:
    """(file, line) of the template code running now: the innermost Jinja frame on the stack."""
    frame = sys._getframe(1)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            return frame.f_code.co_filename, int(template.get_corresponding_lineno(frame.f_lineno))
        frame = frame.f_back  # type: ignore[assignment]
    return None
