"""Reporters for `policyctl diff`: text for a terminal, Markdown for a pull request, JSON for tools."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from engine.decisions.explain import Rests
from engine.diff.compare import ABSENT, Diff, Keys, ParamChange, RowChange, assumed_at, leaves, path_of, short
from engine.diff.outcomes import Answer, OutcomeChanges
from engine.diff.pages import PageChange

ASSUMED = " (date assumed)"  # after a day that is an assumption, as `show --provenance` says a change's
VALUE_ASSUMED = " (value assumed)"  # after a value (or a part of one) that is an assumption


def period(c: ParamChange) -> str:
    start = f"from {c.start}{ASSUMED if c.start_assumed else ''}" if c.start else ""
    end = f"until {c.end}{ASSUMED if c.end_assumed else ''}" if c.end else ""
    return " ".join(part for part in (start, end) if part)


def days(o: OutcomeChanges) -> str:
    """The days the answers were asked on, each that is a change's assumed date marked."""
    return ", ".join(f"{day}{ASSUMED if day in o.assumed else ''}" for day in o.at.split(", "))


def values(c: ParamChange) -> str:
    """`30 → 90`, or for lists and mappings of the same shape the parts that changed; a value that
    is an assumption (or the parts of it that are) marked, never shown as fact."""
    found = _leaves(c)
    if found:
        return "; ".join(
            f"{c.label}{path_of(keys)} {short(a, beside=b)}{_said(c.old_assumed, keys)}"
            f" → {short(b, beside=a)}{_said(c.new_assumed, keys)}"
            for keys, a, b in found
        )
    old, new = short(c.old, beside=c.new), short(c.new, beside=c.old)
    return f"{c.label} {old}{_said(c.old_assumed)} → {new}{_said(c.new_assumed)}"


def _leaves(c: ParamChange) -> list[tuple[Keys, Any, Any]] | None:
    return None if c.old is ABSENT or c.new is ABSENT else leaves(c.old, c.new)


def _said(assumed: tuple[str, ...], keys: Keys | None = None) -> str:
    """The marker after a value shown whole (``keys`` None) or a part of it: `(value assumed)`, or for
    a value only parts of which are assumptions, which (`(assumed: /0, /1)`, as `show` lists them)."""
    if not assumed:
        return ""
    if keys is not None:
        return VALUE_ASSUMED if assumed_at(assumed, keys) else ""
    return VALUE_ASSUMED if "value" in assumed else f" (assumed: {', '.join(assumed)})"


def param_line(c: ParamChange) -> str:
    when = period(c)
    return f"{c.program} · {c.marketplace} · {values(c)}" + (f" {when}" if when else "")


def row_line(r: RowChange) -> str:
    parts = f" ({', '.join(r.parts)})" if r.parts else ""
    if r.rule is None:
        what = r.what if r.what.startswith("decision") else f"{r.what}{parts}"
        return f"{r.program}.{r.decision}: {what} · {r.where}"
    return f"{r.program}.{r.decision}: row `{r.rule}` {r.what}{parts} · {r.where}"


def _answer(a: dict[str, Any]) -> str:
    if "error" in a:
        return f"error: {a['error']}"
    return json.dumps(a["outputs"], ensure_ascii=False)


def answer_line(a: Answer) -> str:
    """The inputs and, for outputs that differ, old → new."""
    if "error" in a.old or "error" in a.new:
        return f"{json.dumps(a.inputs, ensure_ascii=False)}: {_answer(a.old)} → {_answer(a.new)}"
    old, new = a.old["outputs"], a.new["outputs"]
    parts = [
        f"{k} {short(a, 30, beside=b)} → {short(b, 30, beside=a)}"
        for k in dict.fromkeys([*old, *new])
        for a, b in [(old.get(k, ABSENT), new.get(k, ABSENT))]
        if json.dumps(old.get(k)) != json.dumps(new.get(k))
    ]
    if a.old["matches"] != a.new["matches"]:
        parts.append(f"rows {','.join(a.old['matches']) or '(default)'} → {','.join(a.new['matches']) or '(default)'}")
    return f"{json.dumps(a.inputs, ensure_ascii=False)}: {'; '.join(parts) or 'same outputs'}"


def rests(a: Answer) -> str:
    """After an answer that rests on an assumption (a parameter it read whose value, or the day it
    took effect, is assumed), which: `(rests on an assumption: min_units)` when both answers rest
    on the same, else each side's (`(new answer rests on an assumption: min_units)`)."""
    if a.old_rests_on == a.new_rests_on:
        return f" ({_rests(a.new_rests_on)})" if a.new_rests_on else ""
    sides = [
        f"{side} answer {_rests(found)}" for side, found in (("old", a.old_rests_on), ("new", a.new_rests_on)) if found
    ]
    return f" ({'; '.join(sides)})"


def _rests(found: Rests) -> str:
    names = [name for name, _ in found]
    return f"rests on {'an assumption' if len(names) == 1 else 'assumptions'}: {', '.join(names)}"


def outcome_head(o: OutcomeChanges) -> str:
    capped = f" (a sample of {o.tried} input combinations)" if o.capped else ""
    only = "; ".join(f"{name} {_values(vals)}" for name, vals in o.only)
    return (
        f"{o.program}.{o.decision} · {o.marketplace} · {days(o)}: {o.changed} of {o.tried} answers change{capped}"
        + (f", all with {only}" if only else "")
        + resting(o)
    )


def resting(o: OutcomeChanges) -> str:
    """After the counts, how many of the answers that change (shown or not) rest on an assumption,
    and which: `; 3 of them rest on an assumption: min_units` (`all`, `it` when it is each of them)."""
    if not o.resting:
        return ""
    names = list(o.resting_on)
    what = f"{'an assumption' if len(names) == 1 else 'assumptions'}: {', '.join(names)}"
    if o.changed == 1:
        return f"; it rests on {what}"
    return f"; {'all' if o.resting == o.changed else f'{o.resting} of them'} rest on {what}"


def _values(vals: tuple[Any, ...]) -> str:
    shown = ["absent" if v is None else json.dumps(v, ensure_ascii=False) for v in vals]
    return f"= {shown[0]}" if len(shown) == 1 else "in " + ", ".join(shown)


PageGroup = tuple[str, str, list[str], list[str], tuple[str, ...]]


def page_groups(pages: list[PageChange]) -> list[PageGroup]:
    """(program, marketplace, locales, pages, reasons): the pages of a program and marketplace that
    change for the same reasons, on one line per set of locales that has the same such pages (each
    page keeps its own reasons: an edition added is not "because of" the value that changed the
    others, a language added not the others' reason); a past edition named by an assumed day is
    said to be one (`2026-03-01/help (date assumed)`)."""
    found: dict[tuple[str, str, tuple[str, ...]], dict[str, list[str]]] = {}
    for p in pages:
        ids = found.setdefault((p.program, p.marketplace, p.reasons), {}).setdefault(p.locale, [])
        page = f"{p.page}{ASSUMED}" if p.page and p.date_assumed else p.page
        ids += [page] if page and page not in ids else []
    groups: list[PageGroup] = []
    for (prog, mp, reasons), by_locale in found.items():
        alike: dict[tuple[str, ...], list[str]] = {}
        for locale, ids in by_locale.items():
            alike.setdefault(tuple(ids), []).append(locale)
        groups += [(prog, mp, locales, list(ids), reasons) for ids, locales in alike.items()]
    return groups


def page_line(group: PageGroup) -> str:
    prog, mp, locales, ids, reasons = group
    pages = f" · pages {', '.join(ids)}" if ids else ""
    return f"{prog} · {mp} · {', '.join(locales)}{pages} (because of {', '.join(reasons)})"


# -- formats -------------------------------------------------------------------------------------------


def text(diff: Diff) -> str:
    out = [f"policy changes {diff.old_label} → {diff.new_label}"]
    if diff.empty:
        return out[0] + ": none that matter\n"
    sections: list[tuple[str, list[str]]] = [
        ("Programs and marketplaces", diff.notes),
        ("Parameters", [param_line(c) for c in diff.params]),
        ("Decision rows", [row_line(r) for r in diff.rows]),
        ("Answers that change", [line for o in diff.outcomes for line in _outcome_lines(o)]),
        ("Pages that change", [page_line(g) for g in page_groups(diff.pages)]),
    ]
    for title, lines in sections:
        if lines:
            out += ["", f"{title}:"] + [f"  {line}" for line in lines]
    return "\n".join(out) + "\n"


def _outcome_lines(o: OutcomeChanges) -> list[str]:
    more = [f"  ... and {o.changed - len(o.shown)} more"] if o.changed > len(o.shown) else []
    return [outcome_head(o)] + [f"  {answer_line(a)}{rests(a)}" for a in o.shown] + more


def markdown(diff: Diff) -> str:
    """For a pull-request comment: headings, a table of parameter changes, collapsible answers."""
    out = [f"### Policy changes `{diff.old_label}` → `{diff.new_label}`", ""]
    if diff.empty:
        return "\n".join(out) + "No changes that matter: parameters, decisions and pages are unchanged.\n"
    if diff.notes:
        out += ["**Programs and marketplaces**", ""] + [f"- {_md(n)}" for n in diff.notes] + [""]
    if diff.params:
        out += [
            "**Parameters**",
            "",
            "| program | marketplace | parameter | old | new | when |",
            "|---|---|---|---|---|---|",
        ]
        out += [_param_row(c) for c in diff.params] + [""]
    if diff.rows:
        out += ["**Decision rows**", ""] + [f"- {_md(row_line(r))}" for r in diff.rows] + [""]
    if diff.outcomes:
        out += ["**Answers that change**", ""]
        for o in diff.outcomes:
            out += [f"<details><summary>{_html(outcome_head(o))}</summary>", ""]
            out += [f"- {_code(answer_line(a))}{_md(rests(a))}" for a in o.shown]
            out += ([f"- ... and {o.changed - len(o.shown)} more"] if o.changed > len(o.shown) else []) + [
                "",
                "</details>",
                "",
            ]
    if diff.pages:
        out += ["**Pages that change**", ""] + [f"- {_md(page_line(g))}" for g in page_groups(diff.pages)] + [""]
    return "\n".join(out)


def _param_row(c: ParamChange) -> str:
    found = _leaves(c)
    if found:  # each part a line of the cell (`<br>` between the parts escaped, never inside one)
        old = "<br>".join(
            _cell(f"{path_of(keys)} {short(a, beside=b)}{_said(c.old_assumed, keys)}") for keys, a, b in found
        )
        new = "<br>".join(
            _cell(f"{path_of(keys)} {short(b, beside=a)}{_said(c.new_assumed, keys)}") for keys, a, b in found
        )
    else:
        old = _cell(short(c.old, beside=c.new) + _said(c.old_assumed))
        new = _cell(short(c.new, beside=c.old) + _said(c.new_assumed))
    cells = [_cell(c.program), _cell(c.marketplace), _cell(c.label), old, new, _cell(period(c) or "always")]
    return "| " + " | ".join(cells) + " |"


# The comment's text comes from the pull request (labels, values, reasons): shown as text, never
# as an image, a link, raw HTML, a mention, a cell or line of its own, or the end of a code span
_MD_SPECIAL = re.compile(r"([\\`*\[\]<>&|!~])")
_LINE_BREAKS = re.compile(r"[\r\n\v\f\u0085\u2028\u2029]+")


def _md(text: str) -> str:
    """Text as GitHub's Markdown shows it, on one line; `@name` mentions no one."""
    return _MD_SPECIAL.sub(r"\\\1", _LINE_BREAKS.sub(" ", text)).replace("@", "@\u2060")


_cell = _md  # (`|` is escaped: a table cell ends at none of it)


def _code(text: str) -> str:
    """``text`` as one code span: its fence longer than any run of backticks in it."""
    text = _LINE_BREAKS.sub(" ", text)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "@\u2060")


def as_json(diff: Diff, ok: bool = True) -> str:
    """``ok``: whether the command passed (exit 0), as in `validate`'s and `test`'s JSON: false only
    when `--exit-code` was given and there are changes that matter."""

    def plain(value: Any) -> Any:
        return None if value is ABSENT else value

    body = {
        "ok": ok,
        "old": diff.old_label,
        "new": diff.new_label,
        "notes": diff.notes,
        "parameters": [
            {
                "program": c.program,
                "marketplace": c.marketplace,
                "parameter": c.parameter,
                "label": c.label,
                "old": plain(c.old),
                "new": plain(c.new),
                # what of each is an assumption: `value`, or JSON Pointers to parts ([] when sourced)
                "old_assumed": list(c.old_assumed),
                "new_assumed": list(c.new_assumed),
                "from": c.start,
                "until": c.end,
                "from_assumed": c.start_assumed,  # the date is an assumption (as `(date assumed)` in text)
                "until_assumed": c.end_assumed,
                "added": c.old is ABSENT,
                "removed": c.new is ABSENT,
            }
            for c in diff.params
        ],
        "rows": [
            {
                "program": r.program,
                "decision": r.decision,
                "change": r.what,
                "rule": r.rule,
                "parts": list(r.parts),
                "at": r.where,
            }
            for r in diff.rows
        ],
        "answers": [
            {
                "program": o.program,
                "decision": o.decision,
                "marketplace": o.marketplace,
                "at": o.at,
                "assumed_days": list(o.assumed),
                "tried": o.tried,
                "changed": o.changed,
                "capped": o.capped,
                # of the answers that change, shown or not: how many rest on an assumption (either
                # side's), and the parameters they rest on
                "resting": o.resting,
                "resting_on": list(o.resting_on),
                "examples": [
                    {
                        "inputs": a.inputs,
                        "old": a.old,
                        "new": a.new,
                        # the parameters each answer read whose value in force is an assumption, and
                        # what of it (`value`, `date`, JSON Pointers), as `decide --explain` says it
                        "old_rests_on": _rests_json(a.old_rests_on),
                        "new_rests_on": _rests_json(a.new_rests_on),
                    }
                    for a in o.shown
                ],
            }
            for o in diff.outcomes
        ],
        "pages": [
            {
                "program": p.program,
                "marketplace": p.marketplace,
                "locale": p.locale,
                "page": p.page,
                "path": p.path,
                "date_assumed": p.date_assumed,  # a past edition named by an assumed day (as in text)
                "reasons": list(p.reasons),
            }
            for p in diff.pages
        ],
        "warnings": diff.warnings,
        # (by side: every problem keeps the one shape, Problem.to_json)
        "sides": {
            side: {"label": label, "problems": [p.to_json() for p in diff.problems.get(side, [])]}
            for side, label in (("old", diff.old_label), ("new", diff.new_label))
        },
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def _rests_json(found: Rests) -> list[dict[str, Any]]:
    return [{"parameter": name, "assumed": list(assumed)} for name, assumed in found]


REPORTERS: dict[str, Callable[[Diff], str]] = {"text": text, "markdown": markdown, "json": as_json}
