"""Assumptions on pages: a page never states an assumption as fact (docs/writing-policies.md, "Evidence").

A value that is an assumption reaches a page template in one of two ways:

- kept off the pages (`on_pages: omit`): the template gets ``Omitted``, which refuses every use but
  the test `is omitted` (and `is defined`): a page that tested, compared, formatted or showed it
  would state what it decides (G008, at the template's line, pointing at `p.NAME`);
- shown with the "not yet confirmed" marker (`on_pages: mark`): its facts carry a ``Taint``. The
  renderer puts the marker right after every tainted value a page shows (engine.site.render), but
  it cannot know which sentences a test, a comparison or a computation with such a value chooses:
  such a use is noted (``used``), and the template must mark what it decides itself: read the
  flag that says the value is an assumption (`assumed.NAME`, `c.value_assumed`, `c.old_assumed`,
  `ex.unconfirmed`: ``acknowledge``, when it is true) and then place the marker
  (`{% include "_site/unconfirmed.md.j2" %}`: ``marker_placed``). A parameter's flag marks the
  uses at its own place only: the template line it is read on, or the `if` statement (to its
  `endif`) whose test made the use; a change's or an example's flag marks that change or example
  (one line of "What changed", one example). Otherwise G009 at the first such use (``Watch.problem``).
  A worked example whose answer rests on an assumption is tainted as a whole: it is marked by the
  template (`ex.unconfirmed`), so showing one of its answers counts as such a use too.

Each marker carries, until the page is written (engine.site.marking.place_markers), the ids of the
assumptions it marks: the renderer's after ``AUTO``, a template's after ``TAG`` (each up to
``END``). A template's marker for an assumption a marker before it on its line already marks, or
right after another marker, is left out; any other stays.

A render is watched by ``watching`` (one ``Watch`` per render, in a context variable: a page's
values know nothing of the render they are in). Testing `is none` is not a use: it decides whether
a value is there to show, and the value shown is marked.
"""

from __future__ import annotations

import contextlib
import re
import sys
import types
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

from engine.cache.memo import Memo
from engine.problems import Problem
from engine.templates.omitted import CODE as OMITTED_CODE
from engine.templates.omitted import TESTED_FOR_OMISSION, omission_hint, parameter_pattern
from engine.templates.sandbox import RuleError

# Private-use characters, never in policy text (engine.site.markup.escape removes them): the renderer
# writes AUTO, the id of the assumption and END before each marker it places (engine.site.render); a
# template's marker holds TAG, the ids of the flags it marks (space-separated) and END.
AUTO = "\ue003"
TAG = "\ue004"
END = "\ue005"

UNMARKED_CODE = "G009"
_TESTED_FOR_NONE = r"\s*is\s+(?:not\s+)?none\b"


class Omitted:
    """A parameter's value kept off the pages (`on_pages: omit`): decisions use it, pages may not.

    Every use but the tests in ``OMISSION_TESTS`` stops the render with G008; it is neither none
    nor false (either answer would let the page state something that rests on it)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def refuse(self, how: str, where: re.Pattern[str] | None = None) -> NoReturn:
        """G008; ``where`` finds the use on the template's line (by default `p.NAME`)."""
        raise RuleError(
            OMITTED_CODE,
            f"`p.{self._name}` is an assumption kept off the pages (`on_pages: omit`), and the template "
            f"{how}: the page would state what rests on it",
            omission_hint(self._name),
            where or parameter_pattern(self._name, TESTED_FOR_OMISSION),
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
    # its flag marks every use of it in the render (a change's or an example's: one line of the
    # page), not only the uses at the flag's place (a parameter's: it may be used anywhere)
    whole: bool = False

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
    line: int  # the line of the template statement running (Jinja knows no finer place)
    # the template's names that held the value used (a `set` variable, a macro's argument, a loop's
    # variable): where a use that does not name the value itself stands on its line
    names: tuple[str, ...] = ()


MAX_USES = 1000  # uses a render keeps (a loop over data could make any number; the first ones tell)


@dataclass
class Watch:
    """One render's uses of assumed values, the flags it read and where it showed marked values."""

    uses: list[Use] = field(default_factory=list)
    # flags read true and not yet followed by a marker: (id, whole, file, line)
    pending: list[tuple[str, bool, str, int]] = field(default_factory=list)
    acknowledged: set[str] = field(default_factory=set)  # ids marked for the whole render
    acknowledged_at: set[tuple[str, str, int]] = field(default_factory=set)  # (id, file, line of the flag)
    shown: set[tuple[str, str, int]] = field(default_factory=set)  # (taint id, file, line)
    _ranges: dict[tuple[str, int], list[tuple[int, int]]] = field(default_factory=dict)

    def problem(self) -> Problem | None:
        """G009 for the first use no marker marks (a flag read at its place, then the marker),
        unless it is the test of an `if` whose branch shows the value itself (marked):
        `{% if p.fee > 0 %}… {{ p.fee|money }}`."""
        for use in self.uses:
            if use.taint.id in self.acknowledged or self._marked_at(use) or self._shown_under(use):
                continue
            return self._problem(use)
        return None

    def _marked_at(self, use: Use) -> bool:
        """A flag of the use's assumption read (and marked) on its line, or in the `if` statement
        whose test the use is."""
        lines = {line for key, file, line in self.acknowledged_at if key == use.taint.id and file == use.file}
        if not lines:
            return False
        if use.line in lines:
            return True
        return any(start <= line <= end for start, end in self._if_ranges(use) for line in lines)

    def _if_ranges(self, use: Use) -> list[tuple[int, int]]:
        key = (use.file, use.line)
        if key not in self._ranges:
            self._ranges[key] = if_statements(use.file, use.line, to_endif=True)
        return self._ranges[key]

    def _shown_under(self, use: Use) -> bool:
        shown = [line for key, file, line in self.shown if key == use.taint.id and file == use.file]
        if not shown or not use.how.startswith(("tests", "compares")):
            return False
        return any(start <= line <= end for start, end in if_statements(use.file, use.line) for line in shown)

    def _problem(self, use: Use) -> Problem:
        t = use.taint
        line, col = use_place(use)
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
        return Problem(use.file, line, col, UNMARKED_CODE, message, hint)


_OPENS = re.compile(r"\{[{%#]")
_CLOSES = re.compile(r"[}%#]\}")
_TAG_TEXT = re.compile(r"\{[{%](.*?)(?:[}%]\}|$)")
# (`set\s[\w\s,]+`, not `set\s+[\w\s,]+`: the same texts, but a run of spaces is not split between
# two repeats at every point: a tag of 100,000 spaces took minutes)
_BINDS = re.compile(r"[-+]?\s*(?:(macro)\b|set\s[\w\s,]+=(?!=)|for\s[\w\s,]+\bin\b)")
MAX_STATEMENT_LINES = 100  # the lines a statement's value is looked for on, from its first


def use_place(use: Use) -> tuple[int, int]:
    """(line, column) where ``use`` is written, as the static checks point at a use: the value
    (`p.NAME`, `c.old`, `ex.expect`) on the statement's line, or on a line after it that a tag
    opened there goes on to (a `set` or a macro call written over several lines); else, on the
    statement's line, a name that held the value (`{% if free %}` after `{% set free = p.free %}`,
    a macro's `{% if x %}`); else the statement's line, column 1."""
    needle = re.compile(use.taint.needle)
    lines = _template_lines(use.file)
    opened = 0
    for number in range(use.line, min(len(lines), use.line + MAX_STATEMENT_LINES) + 1):
        text = lines[number - 1]
        found = needle.search(text)
        if found:
            return number, found.start(1) + 1
        opened += len(_OPENS.findall(text)) - len(_CLOSES.findall(text))
        if opened <= 0:
            break
    text = lines[use.line - 1] if 0 < use.line <= len(lines) else ""
    if use.names:
        held = re.compile(rf"(?<![\w.])({'|'.join(map(re.escape, use.names))})\b")
        for tag in _TAG_TEXT.finditer(text):
            # where a name is given the value is not a use: a macro's arguments, a loop's variable,
            # a `set` of a name to another (`{% set x = free %}`)
            binds = _BINDS.match(text, tag.start(1), tag.end(1))
            start = binds.end() if binds else tag.start(1)
            if binds and (binds.group(1) == "macro" or held.fullmatch(text[start : tag.end(1)].strip(" \t-+"))):
                continue
            found = held.search(text, start, tag.end(1))
            if found:
                return use.line, found.start(1) + 1
    return use.line, 1


def _template_lines(file: str) -> list[str]:
    try:
        with open(file, encoding="utf-8", errors="replace") as f:
            return f.read().split("\n")
    except OSError:
        return []


def if_statements(file: str, line: int, to_endif: bool = False) -> list[tuple[int, int]]:
    """The lines (first, last) of each `if` or `elif` of the template ``file`` whose test is on
    ``line``; ``to_endif``: of each whole `if` statement whose test or an `elif`'s is on ``line``,
    from its `if` to its `endif`."""
    from jinja2 import nodes

    from engine.templates.names import parsed_with_source

    found_tree = parsed_with_source(file)
    if found_tree is None:
        return []
    tree, source = found_tree
    found = []
    for node in tree.find_all(nodes.If):
        tests = [node.test, *(branch.test for branch in node.elif_)] if to_endif else [node.test]
        if any(test.lineno == line for test in tests):
            lines = [n.lineno for n in node.find_all(nodes.Node) if n.lineno is not None]
            last = max(lines, default=line)
            if to_endif:
                last = max(last, _endif_line(source, node.lineno))
            found.append((node.lineno if to_endif else line, last))
    return found


_IF_TAGS = re.compile(r"\{%[-+]?\s*(if|endif)\b")


def _endif_line(source: str, start: int) -> int:
    """The line of the last `endif` closing an `if` opened on line ``start`` (``start`` if none)."""
    lines = source.split("\n")
    opened: list[int] = []
    last = start
    for number, text in enumerate(lines[start - 1 :], start):
        for tag in _IF_TAGS.finditer(text):
            if tag.group(1) == "if":
                opened.append(number)
            elif opened and opened.pop() == start:
                last = number
        if not opened and number > start:
            break
    return last


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


def used(taint: Taint, how: str, value: object = None) -> None:
    """Note a use of a tainted value (a test, a comparison, a computation...), with its template
    line and the template's names that hold ``value`` there (the value used, when the caller has it)."""
    watch = _WATCH.get()
    if watch is None or len(watch.uses) >= MAX_USES:
        return
    frame = _template_frame()
    if frame is not None:
        line = _line(frame.f_globals["__jinja_template__"], frame.f_lineno)
        watch.uses.append(Use(taint, how, frame.f_code.co_filename, line, _names_holding(frame, value)))


def _names_holding(frame: types.FrameType, value: object) -> tuple[str, ...]:
    """The template's names (Jinja's locals `l_<depth>_<name>`) that hold ``value`` in ``frame``."""
    if value is None:
        return ()
    return tuple(
        key.split("_", 2)[2]
        for key, held in frame.f_locals.items()
        if held is value and key[:2] == "l_" and key.count("_") >= 2
    )


def shown(taint: Taint) -> None:
    """Note that the render showed a tainted value, marked, at the template line running now."""
    watch = _WATCH.get()
    if watch is None or len(watch.shown) >= MAX_USES:
        return
    where = template_line()
    if where is not None:
        watch.shown.add((taint.id, *where))


def acknowledge(key: str, whole: bool = False) -> None:
    """The render read a flag saying ``key`` is an assumption (true), at the template line running
    now: the marker the template places next (``marker_placed``) marks what rests on it there
    (``whole``: everywhere in the render, for a change's or an example's own flag)."""
    watch = _WATCH.get()
    if watch is None or len(watch.pending) >= MAX_USES:
        return
    where = template_line()
    if where is not None:
        watch.pending.append((key, whole, *where))


def marker_placed() -> list[str]:
    """A template placed the marker (`_site/unconfirmed.md.j2`, whose code runs now): it marks
    the flags read true before it at its place, the line it is included on or the `if` statement
    whose test read the flag (`{% if assumed.x %} {% include … %}{% endif %}`). Their ids, for the
    marker's tag (engine.site.marking.place_markers)."""
    watch = _WATCH.get()
    where = _includer()
    if watch is None or where is None:
        return []
    ids, left = [], []
    for key, whole, file, line in watch.pending:
        if file != where[0] or not (line == where[1] or _within_if(watch, file, line, where[1])):
            left.append((key, whole, file, line))
            continue
        if whole:
            watch.acknowledged.add(key)
        elif len(watch.acknowledged_at) < MAX_USES:
            watch.acknowledged_at.add((key, file, line))
        ids.append(key)
    watch.pending[:] = left
    return sorted(set(ids))


def _within_if(watch: Watch, file: str, test_line: int, line: int) -> bool:
    key = (file, -test_line)  # (the cache of `Watch._if_ranges`, told apart by the sign)
    if key not in watch._ranges:
        watch._ranges[key] = if_statements(file, test_line, to_endif=True)
    return any(start <= line <= end for start, end in watch._ranges[key])


def _includer() -> tuple[str, int] | None:
    """(file, line) of the template code that included the one running now."""
    frame = sys._getframe(1)
    running = None
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None:
            file = frame.f_code.co_filename
            if running is None:
                running = file
            elif file != running:
                return file, _line(template, frame.f_lineno)
        frame = frame.f_back  # type: ignore[assignment]
    return None


def template_line() -> tuple[str, int] | None:
    """(file, line) of the template code running now: the innermost Jinja frame on the stack."""
    frame = _template_frame()
    if frame is None:
        return None
    return frame.f_code.co_filename, _line(frame.f_globals["__jinja_template__"], frame.f_lineno)


# A template's line for a line of its generated code, by the template's line table (Jinja's
# `_debug_info`, "tline=cline&..."; its `get_corresponding_lineno` reads the whole of it back into
# numbers on each call, ~0.8 ms for a table of 1,500 pairs): each table read once per process, each
# answer kept. Asked at every tainted value a page shows or flag it reads (4,829 times in
# tests/test_incremental.py's 126 builds).
_LINES: Memo[dict[int, int]] = Memo(256, 16 * 1024 * 1024)  # by the table; weight: its length


def _line(template: Any, code_line: int) -> int:
    """``template.get_corresponding_lineno(code_line)``, as Jinja answers it."""
    table = getattr(template, "_debug_info", None)
    if not isinstance(table, str):  # (not the Jinja this was written against: ask it)
        return int(template.get_corresponding_lineno(code_line))
    known = _LINES.get(table)
    if known is None:
        known = {}
        _LINES.put(table, known, len(table))
    line = known.get(code_line)
    if line is None:
        line = known[code_line] = int(template.get_corresponding_lineno(code_line))
    return line


def template_file() -> str | None:
    """The file of the template code running now (the innermost Jinja frame on the stack): the
    template a message or a marker is written in, whatever template's context it runs with."""
    frame = _template_frame()
    return None if frame is None else frame.f_code.co_filename


def _template_frame() -> types.FrameType | None:
    frame: types.FrameType | None = sys._getframe(2)
    while frame is not None:
        if "__jinja_template__" in frame.f_globals:
            return frame
        frame = frame.f_back
    return None
