"""`policyctl diff OLD NEW`: the changes between two versions of the policies that matter.

- parameter values per program, marketplace and effective date (the merge rule and the timelines
  applied, so an overlay change shows in its marketplace only, and a moved effective date shows as
  the days whose value differs);
- decision rows added, removed, changed or reordered, and changes to a decision's other parts;
- for finite inputs, the inputs whose answer changes (``engine.diff.outcomes``);
- the generated pages that change (``engine.diff.pages``).
Provenance-only edits (source, note, assumption) and formatting are not changes that matter.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from engine.model.dates import parse_date
from engine.model.policy import Decision, Entry, Expr, Program, Rule, pointer_keys
from engine.model.repository import Repository
from engine.problems import Pos, Problem
from engine.source.fmt import identical

ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "(absent)"})()


@dataclass(frozen=True, slots=True)
class ParamChange:
    """``parameter`` in one marketplace was ``old`` and is ``new`` on the days from start to end."""

    program: str
    marketplace: str
    parameter: str
    label: str
    old: Any
    new: Any
    start: str | None  # None: from the beginning
    end: str | None  # last day, inclusive; None: from then on
    # the day a change took effect is an assumption (`assumed: [date]`): reports say so, never as fact;
    # ``end_assumed``: the day after ``end`` is such a day
    start_assumed: bool = False
    end_assumed: bool = False
    # what of ``old``/``new`` is an assumption (`assumed:` without `date`): `value`, or JSON Pointers
    # to the assumed parts (`/0`); empty when sourced. Reports mark it, as pages and `show` do
    old_assumed: tuple[str, ...] = ()
    new_assumed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RowChange:
    program: str
    decision: str
    what: str  # "added" | "removed" | "changed" | "moved" | "decision added" | ...
    rule: str | None  # None for a change to the decision itself
    parts: tuple[str, ...]  # which parts changed (`when`, `then.fee`, `let.cpu`, ...)
    where: str  # `file:line` to look at, in the new version (the old one for removals)


@dataclass
class Diff:
    old_label: str
    new_label: str
    notes: list[str] = field(default_factory=list)  # programs and marketplaces added or removed
    params: list[ParamChange] = field(default_factory=list)
    rows: list[RowChange] = field(default_factory=list)
    outcomes: list[Any] = field(default_factory=list)  # engine.diff.outcomes.OutcomeChanges
    pages: list[Any] = field(default_factory=list)  # engine.diff.pages.PageChange
    warnings: list[str] = field(default_factory=list)
    # each side's problems (side: `old`, `new`): what loading it found (`validate` checks more)
    problems: dict[str, list[Problem]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.notes or self.params or self.rows or self.outcomes or self.pages)


Show = Callable[[str], str]


def compare(
    old: Repository,
    new: Repository,
    old_label: str,
    new_label: str,
    show_old: Show = str,
    show_new: Show = str,
    at: str | None = None,
) -> Diff:
    """Everything that differs; ``show_*`` turn file paths of each side into what people should see;
    answers are compared on ``at`` (default today) and in every changed parameter interval."""
    from engine.diff import outcomes
    from engine.diff import pages as pagediff

    diff = Diff(old_label, new_label)
    diff.notes += _marketplace_notes(old, new)
    for pid in sorted(set(old.programs) | set(new.programs)):
        a, b = old.programs.get(pid), new.programs.get(pid)
        if a is None or b is None:
            # a program.yaml left out for its errors is not a program removed (or added)
            broken = _unread(old if a is None else new, "program", pid, pid)
            label = old_label if a is None else new_label
            diff.notes.append(
                f"program `{pid}` cannot be read in {label} (`policyctl validate`)"
                if broken
                else f"program `{pid}` {'added' if a is None else 'removed'}"
            )
            continue
        diff.notes += _program_notes(a, b)
        for mp in [m for m in b.marketplaces if m in a.marketplaces]:
            for name in dict.fromkeys([*a.parameters, *b.parameters]):
                diff.params += param_changes(a, b, mp, name)
        unread = {d for _, p, d in old.unreadable | new.unreadable if p == pid}
        diff.rows += decision_changes(a, b, show_old, show_new, unread)
    diff.outcomes = outcomes.compare(old, new, diff, at)
    diff.pages = pagediff.changed_pages(old, new, diff, at)
    return diff


def _unread(repo: Repository, kind: str, program: str, name: str) -> bool:
    return (kind, program, name) in repo.unreadable


def _marketplace_notes(old: Repository, new: Repository) -> list[str]:
    notes = []
    for mp in sorted(set(old.marketplaces) | set(new.marketplaces)):
        a, b = old.marketplaces.get(mp), new.marketplaces.get(mp)
        if a is None or b is None:
            notes.append(f"marketplace `{mp}` {'added' if a is None else 'removed'}")
            continue
        for attr in ("country", "site", "currency", "time_zone", "locales"):
            if getattr(a, attr) != getattr(b, attr):
                notes.append(
                    f"marketplace `{mp}`: {attr} {short(getattr(a, attr), beside=getattr(b, attr))}"
                    f" → {short(getattr(b, attr), beside=getattr(a, attr))}"
                )
    return notes


def _program_notes(a: Program, b: Program) -> list[str]:
    notes = [f"{b.id}: now offered in `{mp}`" for mp in b.marketplaces if mp not in a.marketplaces]
    notes += [f"{b.id}: no longer offered in `{mp}`" for mp in a.marketplaces if mp not in b.marketplaces]
    if a.names != b.names:
        notes.append(f"{b.id}: official names changed")
    for attr in ("title", "description"):
        if getattr(a, attr) != getattr(b, attr):
            notes.append(f"{b.id}: {attr} changed")
    return notes


# -- parameters ----------------------------------------------------------------------------------------


def param_changes(a: Program, b: Program, mp: str, name: str) -> list[ParamChange]:
    """The days on which ``name`` has a different value in ``mp``, as merged intervals."""
    old = a.timeline(name, mp) if name in a.parameters else ()
    new = b.timeline(name, mp) if name in b.parameters else ()
    param = b.parameters.get(name) or a.parameters[name]
    label = param.label or name
    starts = sorted({e.start for e in (*old, *new) if e.start is not None})
    assumed = _assumed_dates(old, new)
    found: list[ParamChange] = []
    for i, start in enumerate([None, *starts]):
        if start is None and starts and starts[0] == _FIRST_DAY:
            continue  # (the days before a change from the calendar's first: none, and no day before it)
        day = start or _FIRST_DAY
        was, now = _entry(old, day), _entry(new, day)
        before, after = _value(was), _value(now)
        end = _day_before(starts[i]) if i < len(starts) else None
        end_assumed = i < len(starts) and starts[i] in assumed
        if identical(before, after):
            continue
        said = (_value_assumed(was), _value_assumed(now))
        last = found[-1] if found else None
        if (
            last is not None
            and last.end == _day_before(day)
            and identical(last.old, before)
            and identical(last.new, after)
            and (last.old_assumed, last.new_assumed) == said
        ):
            found[-1] = replace(last, end=end, end_assumed=end_assumed)
        else:
            found.append(
                ParamChange(b.id, mp, name, label, before, after, start, end, start in assumed, end_assumed, *said)
            )
    return found


def _assumed_dates(old: tuple[Entry, ...], new: tuple[Entry, ...]) -> set[str]:
    """The days changes take effect on that are assumptions: as the new version says, or, for a
    day only the old version has a change on, as the old one said."""
    said = {e.start: e.date_assumed for e in old if e.start is not None}
    said.update({e.start: e.date_assumed for e in new if e.start is not None})
    return {day for day, assumed in said.items() if assumed}


def _entry(line: tuple[Entry, ...], day: str) -> Entry | None:
    """The entry in force on ``day``; None when the parameter is absent."""
    if not line:
        return None
    chosen = line[0]
    for entry in line[1:]:
        if entry.start is not None and entry.start <= day:
            chosen = entry
    return chosen


def _value(entry: Entry | None) -> Any:
    return ABSENT if entry is None else entry.value


def _value_assumed(entry: Entry | None) -> tuple[str, ...]:
    """What of the entry's value is an assumption (`value` or JSON Pointers), its date left out."""
    return tuple(a for a in entry.assumed if a != "date") if entry is not None else ()


_FIRST_DAY = _dt.date.min.isoformat()  # 0001-01-01


def _day_before(day: str) -> str:
    return (parse_date(day) - _dt.timedelta(days=1)).isoformat()


def leaf_changes(old: Any, new: Any, limit: int = 6) -> list[tuple[str, Any, Any]] | None:
    """Where two values of the same shape differ (`[1].fee`), or None when the shapes differ."""
    found = leaves(old, new, limit)
    return None if found is None else [(path_of(keys), a, b) for keys, a, b in found]


Keys = tuple[str | int, ...]  # a place inside a value: keys of mappings (str), item numbers (int)


def leaves(old: Any, new: Any, limit: int = 6, keys: Keys = ()) -> list[tuple[Keys, Any, Any]] | None:
    """``leaf_changes``, each place as its keys and item numbers."""
    if isinstance(old, dict) and isinstance(new, dict) and old.keys() == new.keys():
        parts = [leaves(old[k], new[k], limit, (*keys, str(k))) for k in old]
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        parts = [leaves(x, y, limit, (*keys, i)) for i, (x, y) in enumerate(zip(old, new))]
    else:
        return [] if identical(old, new) else [(keys, old, new)] if keys and _scalar(old) and _scalar(new) else None
    if any(p is None for p in parts):
        return None
    found = [change for p in parts for change in p or ()]
    return found if len(found) <= limit else None


def path_of(keys: Keys) -> str:
    """`[1].fee` for (1, "fee"): an item number in brackets, a key after a dot."""
    return "".join(f"[{k}]" if isinstance(k, int) else f".{k}" for k in keys)


def assumed_at(assumed: tuple[str, ...], keys: Keys) -> bool:
    """The place ``keys`` of a value is an assumption, by what `assumed:` says of it (`value`, or a
    JSON Pointer to the place or a part that holds it)."""
    if "value" in assumed:
        return True
    at = tuple(str(k) for k in keys)
    return any(at[: len(part)] == part for part in (pointer_keys(a) for a in assumed if a.startswith("/")))


def _scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


_UNSET: Any = object()


def short(value: Any, width: int = 60, beside: Any = _UNSET) -> str:
    """``value`` for a line of text: a whole number without `.0` (`4500`, as written, not the
    `4500.0` arithmetic gives), unless ``beside`` (the other side of `old → new`) would then read
    the same (`4500 → 4500.0`: only the type changed)."""
    import json

    if value is ABSENT:
        return "(none)"
    text = json.dumps(tidy(value), ensure_ascii=False)
    if beside is not _UNSET and beside is not ABSENT and text == json.dumps(tidy(beside), ensure_ascii=False):
        text = json.dumps(tidy(value, whole=False), ensure_ascii=False)
    return text if len(text) <= width else text[: width - 3] + "..."


def tidy(value: Any, whole: bool = True) -> Any:
    """For display: 1.7999999999999998 is 1.8 to a reader (12 significant digits are kept), and
    with ``whole`` a float that is a whole number is that number (`4500.0` is 4500)."""
    if isinstance(value, float):
        kept = float(f"{value:.12g}")
        return int(kept) if whole and kept.is_integer() and abs(kept) < 1e15 else kept
    if isinstance(value, dict):
        return {k: tidy(v, whole) for k, v in value.items()}
    if isinstance(value, list):
        return [tidy(v, whole) for v in value]
    return value


# -- decisions -----------------------------------------------------------------------------------------

_HEAD = ("title", "description", "inputs", "required", "hit", "default", "outputs")


def decision_changes(
    a: Program, b: Program, show_old: Show = str, show_new: Show = str, unread: set[str] | frozenset[str] = frozenset()
) -> list[RowChange]:
    """``unread``: ids of files of the program left out for their errors on either side: such a
    decision is "cannot be read", not "added" or "removed"."""
    found = []
    for did in sorted(set(a.decisions) | set(b.decisions)):
        old, new = a.decisions.get(did), b.decisions.get(did)
        if old is None or new is None:
            what = (
                "decision cannot be read" if did in unread else "decision added" if old is None else "decision removed"
            )
            where = _at(new.pos, show_new) if new is not None else _at(old.pos, show_old)  # type: ignore[union-attr]
            found.append(RowChange(b.id, did, what, None, (), where))
            continue
        found += _decision_parts(b.id, old, new, show_new)
        found += _rows(b.id, old, new, show_old, show_new)
    return found


def _at(pos: Pos, show: Show) -> str:
    return f"{show(pos.file)}:{pos.line}"


def _decision_parts(program: str, old: Decision, new: Decision, show: Show) -> list[RowChange]:
    parts = [name for name in _HEAD if not identical(plain(getattr(old, name)), plain(getattr(new, name)))]
    parts += [
        f"let.{k}"
        for k in dict.fromkeys([*old.let, *new.let])
        if not identical(plain(old.let.get(k)), plain(new.let.get(k)))
    ]
    if list(old.let) != list(new.let) and not any(p.startswith("let.") for p in parts):
        parts.append("let order")
    return [RowChange(program, new.id, "changed", None, tuple(parts), _at(new.pos, show))] if parts else []


def _rows(program: str, old: Decision, new: Decision, show_old: Show, show_new: Show) -> list[RowChange]:
    before = {r.id: r for r in old.rules}
    after = {r.id: r for r in new.rules}
    found = [
        RowChange(program, new.id, "removed", r.id, (), _at(r.pos, show_old)) for r in old.rules if r.id not in after
    ]
    for rule in new.rules:
        if rule.id not in before:
            found.append(RowChange(program, new.id, "added", rule.id, (), _at(rule.pos, show_new)))
            continue
        parts = _rule_parts(before[rule.id], rule)
        if parts:
            found.append(RowChange(program, new.id, "changed", rule.id, parts, _at(rule.pos, show_new)))
    common_old = [r.id for r in old.rules if r.id in after]
    common_new = [r.id for r in new.rules if r.id in before]
    if common_old != common_new and new.hit == "first":  # order decides only in `first` tables
        moved = [rid for rid, other in zip(common_new, common_old) if rid != other]
        found += [RowChange(program, new.id, "moved", rid, (), _at(after[rid].pos, show_new)) for rid in moved]
    return found


def _rule_parts(old: Rule, new: Rule) -> tuple[str, ...]:
    parts = []
    if plain(old.when) != plain(new.when):
        parts.append("when")
    for key in dict.fromkeys([*old.then, *new.then]):
        if not identical(plain(old.then.get(key, ABSENT)), plain(new.then.get(key, ABSENT))):
            parts.append(f"then.{key}")
    if old.reason != new.reason:
        parts.append("reason")
    return tuple(parts)


def plain(value: Any) -> Any:
    """A decision part without positions: an expression compares by its text."""
    if isinstance(value, Expr):
        return "= " + value.source
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value
