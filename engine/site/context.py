"""What a page template sees: the policy data for one program, marketplace, date and language.

Everything here is data (resolved parameters, the dated history, worked examples from test
cases, CLDR names); templates add prose only. Values arrive as facts (engine.site.markup.Fact), so the
HTML can mark each one with `data-fact` and pages in different languages can be compared.

The build date itself is deliberately *not* in the context: a page shows the date its rules
took effect (`effective_from`), which only changes when an effective date passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.decisions.explain import Rests, assumptions, reads
from engine.i18n import cldr as l10n
from engine.i18n.catalogs import parameter_context
from engine.model.policy import Entry, Program, TestCase
from engine.model.repository import Change, Repository
from engine.site.editions import unconfirmed_dates
from engine.site.evidence import Omitted, Taint, acknowledge, parameter_taint
from engine.site.markup import Fact, Shown, escape, fact
from engine.site.render import Renderer


@dataclass(frozen=True, slots=True)
class ChangeView:
    """One dated change of one parameter, for the "what changed" section."""

    date: Fact
    parameter: str
    label: Shown | None  # the parameter's translated `label:`, None when it has none
    old: Any
    new: Any
    upcoming: bool
    date_assumed: bool = False  # the date it took effect is an assumption: pages mark it
    _value_assumed: bool = False
    _old_assumed: bool = False

    @property
    def value_assumed(self) -> bool:
        """The value it took is an assumption (its `new` is marked where shown; a template that
        words the change by testing it marks the line itself: reading this, true, and placing the
        marker says it does)."""
        if self._value_assumed:
            acknowledge(_change_id(self.parameter, str(self.date.raw)), whole=True)
        return self._value_assumed

    @property
    def old_assumed(self) -> bool:
        """The value it replaced is an assumption (as `value_assumed`, for a wording that tests `old`)."""
        if self._old_assumed:
            acknowledge(_change_id(self.parameter, str(self.date.raw)) + ".old", whole=True)
        return self._old_assumed


@dataclass(frozen=True, slots=True)
class ExampleView:
    """A test case marked `example: true`: its inputs and expected outputs as facts."""

    decision: str
    at: Fact
    input: Fact
    expect: Fact
    _rests_on: Taint | None = None  # the answer rests on an assumption: the template marks it

    @property
    def unconfirmed(self) -> bool:
        """The answer rests on an assumption, a parameter it read whose value (or a part of it), or
        the day it took effect, is assumed (and no `source` states the example): the template marks
        the example (reading this says it does)."""
        if self._rests_on is None:
            return False
        acknowledge(self._rests_on.id, whole=True)
        return True


@dataclass(frozen=True, slots=True)
class MarketplaceView:
    id: str
    code: str  # ISO 3166 country code
    country: Shown  # the country's name in the page's language (CLDR)
    site: str | None
    currency: str
    time_zone: str
    locales: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProgramView:
    id: str
    name: Shown  # the official name in the page's language (`names:`)
    href: str | None = None  # its page for the same marketplace and language, relative (.md)


def official_name(program: Program, tag: str) -> str:
    """`names:` for the locale, its language without script or region, or English."""
    for key in (tag, tag.split("-")[0], l10n.SOURCE_LOCALE):
        if key in program.names:
            return program.names[key]
    return program.id


def effective_dates(repo: Repository, program: str, marketplace: str, at: str) -> tuple[str | None, str | None]:
    """(the latest effective date on or before `at`, the first one after it) for one marketplace."""
    starts = [c.start for c in repo.history(program, marketplace)]
    past = [s for s in starts if s <= at]
    future = [s for s in starts if s > at]
    return (max(past) if past else None), (min(future) if future else None)


def _change_id(parameter: str, start: str) -> str:
    return f"changes.{parameter}.{start}"


def _change_taint(change: Change, side: str, entry: Entry) -> Taint | None:
    """The taint of a change's old or new value when it is an assumption pages mark."""
    if not entry.value_assumed:
        return None
    return Taint(
        _change_id(change.parameter, change.start) + (".old" if side == "old" else ""),
        f"the {side} value of `{change.parameter}` (the change of {change.start})",
        "c.old_assumed" if side == "old" else "c.value_assumed",
        rf"(?<![\w.])(\w+)\s*\.\s*{side}\b(?!\s*is\s+(?:not\s+)?none\b)",
        parts=entry.assumed_parts,
        whole=True,
    )


def _change(renderer: Renderer, change: Change, before: Entry, at: str) -> ChangeView:
    param = renderer.program.parameters[change.parameter]
    label = None
    if param.label:
        text = renderer.translators[renderer.program.id].lookup(
            param.label, None, 1, parameter_context(change.parameter)
        )
        label = Shown.of(escape(text))
    base = f"changes.{change.parameter}.{change.start}"
    return ChangeView(
        Fact(f"{base}.date", change.start),
        change.parameter,
        label,
        fact(f"{base}.old", change.old, _change_taint(change, "old", before)),
        fact(f"{base}.new", change.new, _change_taint(change, "new", change.entry)),
        change.start > at,
        change.entry.date_assumed,
        change.entry.value_assumed,
        before.value_assumed,
    )


def _formats(program: Program, history: list[Change]) -> dict[str, str]:
    """The `format` each parameter's schema declares for pages (`money`, `duration-day`, ...), by
    the path of each fact of its values: the parameter's and its changes' `old` and `new`."""
    declared = {name: form for name, p in program.parameters.items() if (form := p.shown_as) is not None}
    formats = dict(declared)
    for c in history:
        if c.parameter in declared:
            for side in ("old", "new"):
                formats[f"changes.{c.parameter}.{c.start}.{side}"] = declared[c.parameter]
    return formats


class Flags(dict[str, bool]):
    """Names that are true; any other name reads as false (`assumed.NAME` for every parameter).
    Reading one says the template marks what it writes from that parameter itself
    (engine.site.evidence)."""

    def __getitem__(self, key: Any) -> bool:
        value = super().__getitem__(key)
        if value:
            acknowledge(str(key))
        return value

    def get(self, key: Any, default: Any = None) -> Any:
        value = dict.get(self, key, default)
        if key in self:
            acknowledge(str(key))
        return value

    def __missing__(self, key: Any) -> bool:
        return False


def _omitted(entry: Entry) -> bool:
    """An assumed value the program keeps off its pages (`on_pages: omit`)."""
    return entry.value_assumed and entry.on_pages == "omit"


def _parameter(name: str, value: Any, entry: Entry) -> Any:
    """`p.NAME`: the value as a fact; an assumption kept off the pages is ``Omitted``, one shown
    is a fact that says so (pages mark it)."""
    if _omitted(entry):
        return Omitted(name)
    return fact(name, value, parameter_taint(name, entry.assumed_parts) if entry.value_assumed else None)


def _before(repo: Repository, program: str, marketplace: str, change: Change) -> Entry:
    """The entry a change replaces."""
    line = repo.program(program).timeline(change.parameter, marketplace)
    return [e for e in line if e.start is None or e.start < change.start][-1]


def _published(repo: Repository, program: str, marketplace: str, change: Change) -> bool:
    """A change pages may state: neither side is a value kept off the pages."""
    return not (_omitted(change.entry) or _omitted(_before(repo, program, marketplace, change)))


def _rests_on(repo: Repository, program: Program, case: TestCase) -> tuple[list[Entry], Rests]:
    """The entries a worked example's answer read (its decision explained on its inputs, as
    `decide --explain` and `diff` read it: each parameter's entry in force on the day it was read,
    `param_on`'s on its own day), and those of them that are assumptions (the value, a part of it,
    the day it took effect or the day it ends), with what of each is assumed."""
    params = repo.params(program.id, case.marketplace, case.at)
    resolved = repo.resolve(program.id, case.marketplace, case.at)
    found = reads(repo.compiled(program.id, case.decision).explain(case.input, params, case.at), resolved)
    return [r.entry for r in found], assumptions(found)


def _assumed_said(rests: Rests) -> str:
    """The parameters an example rests on, as a problem names them: `p.fee`, or `p.fee` (in force
    from an assumed date) when only its date is an assumption, (in force until an assumed date) when
    only the day the next value takes its place is."""
    return ", ".join(f"`p.{name}`{_dates_said(what)}" for name, what in rests)


def _dates_said(what: tuple[str, ...]) -> str:
    if not what or not set(what) <= {"date", "until"}:
        return ""
    if set(what) == {"date", "until"}:
        return " (in force from and until assumed dates)"
    return " (in force from an assumed date)" if what == ("date",) else " (in force until an assumed date)"


def _examples(
    repo: Repository, program: Program, marketplace: str, values: dict[str, Any]
) -> dict[str, list[ExampleView]]:
    """Worked examples whose case date falls under the same rules as the page (else they would
    show figures the page does not state). An example whose answer read a value kept off the pages
    is left out too; one whose answer read an assumption is marked by its template (`unconfirmed`),
    unless the test case has a `source` stating it."""
    found: dict[str, list[ExampleView]] = {d: [] for d in sorted(program.decisions)}
    for case in program.tests:
        if not case.example or case.marketplace != marketplace:
            continue
        if repo.resolve(program.id, marketplace, case.at).values != values:
            continue
        entries, rests = _rests_on(repo, program, case)
        if any(_omitted(e) for e in entries):
            continue
        views = found.setdefault(case.decision, [])
        base = f"examples.{case.decision}.{len(views)}"
        taint = None
        if rests and not case.source:
            taint = Taint(
                base,
                f"the answer of the worked example `{case.name}` ({case.pos.file}:{case.pos.line}) rests on "
                f"{_assumed_said(rests)}, {'an assumption' if len(rests) == 1 else 'assumptions'} (not yet confirmed)",
                "ex.unconfirmed",
                r"(?<![\w.])(\w+)\s*\.\s*expect\b",
                example=True,
                whole=True,
            )
        views.append(
            ExampleView(
                case.decision,
                Fact(f"{base}.at", case.at),
                Fact(f"{base}.input", case.input),
                Fact(f"{base}.expect", case.expect, taint),
                taint,
            )
        )
    return found


def _by_date(changes: list[ChangeView], program: Program, newest_first: bool) -> list[ChangeView]:
    """By date; on one date, in the order the parameters are declared (in "What changed" and in
    "Upcoming changes" alike, so the same changes read in the same order in both)."""
    order = {name: i for i, name in enumerate(program.parameters)}
    by_parameter = sorted(changes, key=lambda c: order.get(c.parameter, len(order)))
    return sorted(by_parameter, key=lambda c: str(c.date.raw), reverse=newest_first)


def page_context(
    repo: Repository, renderer: Renderer, marketplace: str, at: str, links: dict[str, str] | None = None
) -> dict[str, Any]:
    program = renderer.program
    tag = renderer.tag
    resolved = repo.resolve(program.id, marketplace, at)
    mp = resolved.marketplace
    renderer.currency, renderer.time_zone = mp.currency, mp.time_zone
    renderer.formatting = l10n.conventions(tag, mp.country)
    # Evidence (engine.site.evidence): an assumed value is either kept off the pages (templates may
    # only test `is omitted`) or shown with a "not yet confirmed" marker after it (`assumed.NAME`
    # says so; HTML spans of its facts carry `data-assumption`).
    entries = resolved.entries
    params = {name: _parameter(name, value, entries[name]) for name, value in resolved.values.items()}
    assumed = Flags({name: True for name, e in entries.items() if e.value_assumed and not _omitted(e)})
    renderer.params = params
    since, _ = effective_dates(repo, program.id, marketplace, at)
    history = [c for c in repo.history(program.id, marketplace) if _published(repo, program.id, marketplace, c)]
    renderer.formats = _formats(program, history)
    changes = [_change(renderer, c, _before(repo, program.id, marketplace, c), at) for c in history]
    # the next change the page can state ("see Upcoming changes below"): one kept off the pages
    # (`on_pages: omit`) is neither listed there nor announced
    upcoming = min((c.start for c in history if c.start > at), default=None)
    # HTML marks assumed values (they say so themselves: engine.site.evidence.Taint) and the dates
    # of changes whose date is assumed (`changes.NAME.DATE.date`)
    renderer.assumed = frozenset(f"changes.{c.parameter}.{c.start}.date" for c in history if c.entry.date_assumed)
    # an effective date that is itself an assumption is never shown as "Effective from"; the next
    # change's is shown marked (`next_change_unconfirmed`; HTML: its span carries data-assumption)
    unconfirmed = unconfirmed_dates(repo, program.id, marketplace)
    since_assumed = since in unconfirmed
    upcoming_assumed = upcoming in unconfirmed
    if upcoming_assumed:
        renderer.assumed |= {"next_change"}
    return {
        "p": params,
        "assumed": assumed,
        "effective_unconfirmed": since_assumed,
        "program": ProgramView(program.id, Shown.of(escape(official_name(program, tag)), "program", program.id)),
        "programs": {
            pid: ProgramView(pid, Shown.of(escape(official_name(other, tag))), (links or {}).get(pid))
            for pid, other in sorted(repo.programs.items())
        },
        "marketplace": MarketplaceView(
            mp.id,
            mp.country,
            Shown.of(escape(l10n.country_name(mp.country, tag)), "marketplace", mp.id),
            mp.site,
            mp.currency,
            mp.time_zone,
            mp.locales,
        ),
        "locale": tag,
        "effective_from": None if since_assumed else fact("effective_from", since),
        "next_change": fact("next_change", upcoming),
        "next_change_unconfirmed": upcoming_assumed,
        "changes": _by_date([c for c in changes if not c.upcoming], program, newest_first=True),
        "upcoming": _by_date([c for c in changes if c.upcoming], program, newest_first=False),  # the next one leads
        "examples": _examples(repo, program, marketplace, resolved.values),
    }
