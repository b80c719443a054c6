"""Principle 5: "today" is the marketplace's, taken from `engine.model.clock` (never the host's
clock: `clock.host`, set here), in every command that has one. The starter repository (`policyctl
init`): `us` is America/New_York, `de` Europe/Berlin; its return window is 45 days from 2025-01-01."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.model import clock


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def set_now(monkeypatch: pytest.MonkeyPatch, instant: str) -> None:
    """Make the host's clock (`clock.host`) say ``instant`` (RFC 3339) from now on."""
    moment = _instant(instant)
    monkeypatch.setattr(clock, "host", lambda: moment)


@pytest.mark.parametrize(
    "instant, zone, day",
    [
        ("2025-01-01T04:59:59Z", "America/New_York", "2024-12-31"),  # New Year's Eve there
        ("2025-01-01T05:00:00Z", "America/New_York", "2025-01-01"),
        ("2024-12-31T22:59:59Z", "Europe/Berlin", "2024-12-31"),
        ("2024-12-31T23:00:00Z", "Europe/Berlin", "2025-01-01"),  # already the next day there
        ("2024-03-01T07:59:59Z", "America/Los_Angeles", "2024-02-29"),
        ("2024-03-10T10:30:00Z", "America/Los_Angeles", "2024-03-10"),  # after the DST change (UTC-7)
        ("2024-10-27T00:30:00Z", "Europe/Berlin", "2024-10-27"),  # 02:30 CEST, the night clocks go back
        ("2024-06-30T23:30:00Z", None, "2024-06-30"),  # no marketplace: UTC
    ],
)
def test_today_is_the_marketplace_day_of_the_clock(
    monkeypatch: pytest.MonkeyPatch, instant: str, zone: str | None, day: str
) -> None:
    set_now(monkeypatch, instant)
    assert clock.today(zone) == day


def test_the_preview_shows_the_new_day_s_page_after_midnight_there(
    monkeypatch: pytest.MonkeyPatch, init_repo: Path
) -> None:
    """`policyctl serve` kept a page rendered without `?at=` for as long as the sources did not
    change: left running past midnight in the marketplace, it went on showing the day before's
    rules (the old return window, "Next change" on a day already come)."""
    from engine.commands.serve import Preview

    preview = Preview(str(init_repo / "policies"))
    set_now(monkeypatch, "2025-01-01T04:59:00Z")  # 23:59 on Dec 31 in New York
    status, _, before, _ = preview.page("returns/us/en/help.md", None)
    assert status == 200 and "within 30 days" in before and "Next change" in before
    set_now(monkeypatch, "2025-01-01T05:00:00Z")  # midnight there: the change is in force
    status, _, after, _ = preview.page("returns/us/en/help.md", None)
    assert status == 200 and "within 45 days" in after and "Next change" not in after


_DECISION = """kind: decision
id: early
title: Delivered early?
description: Whether the item was delivered before July 2025 began in the marketplace.
inputs:
  delivered_at: {{type: string, format: date-time, description: When the item was delivered.}}
required: [delivered_at]
hit: first
rules:
  - id: early
    when: "{when}"
    reason: early
    then: {{early: true}}
default: {{early: false}}
outputs:
  early: {{type: boolean}}
"""


@pytest.mark.parametrize(
    "when, error",
    [
        # `2025-07-01T06:30:00Z` (before midnight in Los Angeles) sorts after `...T00:00:00-07:00`
        ("delivered_at < '2025-07-01T00:00:00-07:00'", "11:25: error[E003]: `<` compares date-times as text"),
        ("'2025-07-01T07:00:00Z' > delivered_at", "11:35: error[E003]: `>` compares date-times as text"),
        ("local(delivered_at) <= '2025-07-01T00:00:00Z'", "11:32: error[E003]: `<=` compares date-times as text"),
        ("before(delivered_at, '2025-07-01T00:00:00-07:00')", None),
        ("date(delivered_at) < '2025-07-01'", None),  # days compare as text: `YYYY-MM-DD`
        ("delivered_at == delivered_at", None),
    ],
)
def test_date_times_are_not_ordered_as_text(init_repo: Path, when: str, error: str | None) -> None:
    """`<`, `<=`, `>`, `>=` on date-time texts compared their characters: the same instant written
    with another offset (`2025-06-30T23:30:00-07:00`, `2025-07-01T06:30:00Z`) got another answer,
    and validate said nothing."""
    from support import run_cli

    path = init_repo / "policies" / "returns" / "decisions" / "early.yaml"
    path.write_text(_DECISION.format(when=when), encoding="utf-8")
    result = run_cli("validate", "--root", str(init_repo))
    if error is None:
        assert result.code == 0, result
    else:
        assert result.code == 1 and f"returns/decisions/early.yaml:{error}" in result.out + result.err, result
        assert "hint: compare instants with `before(a, b)` or `after(a, b)`" in result.out + result.err


_COMPARED = """kind: decision
id: {id}
title: Compared
description: Date-times compared.
inputs:
  delivered_at: {{type: string, format: date-time, description: When the item was delivered.}}
  shipped_at: {{type: string, format: date-time, description: When it was shipped.}}
  order:
    type: object
    description: The order.
    properties: {{placed_at: {{type: string, format: date-time}}}}
  periods:
    type: array
    description: Periods.
    items: {{type: object, properties: {{from: {{type: string, format: date-time}}}}}}
  stamps: {{type: array, description: Times., items: {{type: string, format: date-time}}}}
let:
  deadline: "add_hours(delivered_at, 48)"
  cutoff: "add_days(shipped_at, 1)"
  joined: "periods[0]['from'] if periods else none"
  {let}
hit: first
rules:
  - id: early
    when: "{when}"
    reason: early
    then: {{early: true}}
default: {{early: false}}
outputs:
  early: {{type: boolean}}
"""

_UNTYPED = "error[E003]: `==` compares an instant with "
_EQUAL_HINT = "hint: compare instants written one way with `utc(a) {0} utc(b)`"
_MIN_HINT = "hint: pick the earlier instant with `a if before(a, b) else b`, or the earlier day"
_MAX_HINT = "hint: pick the later instant with `a if after(a, b) else b`, or the later day"

# (let, when, the error's place and message or None, its hint)
_CASES = [
    # one instant, two spellings: `2025-07-01T09:00:00+09:00` == `2025-07-01T00:00:00Z` was false
    ("", "delivered_at == '2025-07-01T00:00:00Z'", "25:25: error[E003]: `==` compares date-times as text", "=="),
    ("", "local(delivered_at) != shipped_at", "25:32: error[E003]: `!=` compares date-times as text", "!="),
    ("", "deadline == utc(shipped_at)", "25:21: error[E003]: `==`", "=="),  # a `let` of one
    ("", "order.placed_at == delivered_at", "25:28: error[E003]: `==`", "=="),  # inside an input
    ("", "joined != delivered_at", "25:19: error[E003]: `!=`", "!="),  # a `let` of one or none
    # ordered (with `at`, a day's text): a `let` of one, inside an input (a field, an item's field)
    ("", "deadline < at", "25:21: error[E003]: `<` compares date-times as text", "<"),
    ("", "cutoff >= at", "25:19: error[E003]: `>=`", "<"),
    ("", "order.placed_at <= at", "25:28: error[E003]: `<=`", "<"),
    ("", "periods[0]['from'] > at", "25:31: error[E003]: `>`", "<"),
    ('let2: "max(delivered_at, shipped_at)"', "true", "21:10: error[E003]: `max` orders date-times", "max"),
    ("", "date(min([deadline, shipped_at])) < at", "25:17: error[E003]: `min` orders date-times as text", "min"),
    ("", "date([order.placed_at, shipped_at]|max) < at", "25:47: error[E003]: `max` orders", "max"),
    ("", "date(stamps|min) < at", "25:24: error[E003]: `min` orders", "min"),  # an input's list of them
    # the same instant, written one way; a day; none; a value compared with itself; days ordered
    ("", "utc(delivered_at) == utc('2025-07-01T00:00:00+09:00')", None, ""),
    ("", "cutoff == local(deadline) or deadline != add_hours(shipped_at, 1)", None, ""),
    ("", "date(delivered_at) == date(shipped_at) and joined != none", None, ""),
    ("", "delivered_at == none or delivered_at == delivered_at", None, ""),
    ('let2: "min(date(delivered_at), date(shipped_at))"', "let2 < at", None, ""),
    ("", "order.placed_at is none and periods[0] == none and periods|length == 1", None, ""),
    # a parameter whose schema says `format: date-time`, a part of one, one read on another day
    ("", "params.cutover <= at", "25:27: error[E003]: `<=` compares date-times as text", "<"),
    ("", "params.cutover == shipped_at", "25:27: error[E003]: `==` compares date-times as text", "=="),
    ("", "param_on('cutover', at) != delivered_at", "25:36: error[E003]: `!=`", "!="),
    ("", "params.windows[0].from > at", "25:35: error[E003]: `>`", "<"),
    ("", "date(params.blackout|min) < at", "25:33: error[E003]: `min` orders", "min"),
    # `in`: each item's text compared; among a list written here or an input's or parameter's list of them
    ("", "delivered_at in ['2025-07-01T00:00:00Z', '2025-07-02T00:00:00Z']", "25:25: error[E003]: `in`", "in"),
    ("", "shipped_at not in stamps", "25:23: error[E003]: `not in` compares date-times as text", "not in LIST"),
    ("", "deadline in params.blackout", "25:21: error[E003]: `in`", "in LIST"),
    ("", "'2025-07-01T00:00:00Z' in [order.placed_at]", "25:35: error[E003]: `in`", "in"),
    # `|default(...)`: the value, or the one given for none
    ("", "delivered_at|default(shipped_at) < at", "25:45: error[E003]: `<`", "<"),
    ("", "order.placed_at|default('2025-07-01T00:00:00Z') == delivered_at", "25:60: error[E003]: `==`", "=="),
    # instants written one way, days, none, values that are no date-times: fine
    (
        "",
        "utc(delivered_at) in [utc('2025-07-01T00:00:00Z')] and date(shipped_at) not in [date(params.cutover)]",
        None,
        "",
    ),
    ("", "utc(params.cutover) == utc(shipped_at) and before(params.cutover, delivered_at)", None, ""),
    ("", "params.cutover != none and delivered_at|default(none) == none and 'Z' in ['Z', 'T']", None, ""),
    ("", "params.return_window_days in [30, 45] and params.return_window_days|default(30) < 60", None, ""),
    # text looked for in how one is written: `2024-12-31T23:00:00-05:00` is 2025 in UTC
    ("", "'2025' in delivered_at", "25:19: error[E003]: `in` looks for text in how a date-time is written", "text"),
    ("", "'Z' not in order.placed_at", "25:16: error[E003]: `not in` looks for text", "text"),
    ("", "'-07:00' in params.cutover", "25:21: error[E003]: `in` looks for text", "text"),
    ("", "'2025' in date(delivered_at) and 'x' in 'xyz'", None, ""),  # a day, plain text: fine
    # its letters rewritten (`T`, `Z`): then compared as text
    ("", "delivered_at|lower == 'x'", "25:25: error[E003]: `lower` rewrites how a date-time is written", "case"),
    ("", "'2025-07-01T00:00:00Z' == deadline|upper", "25:47: error[E003]: `upper` rewrites", "case"),
    # a `let` that holds a list of date-times: looked in, ordered, an item of it compared
    ('times: "[delivered_at, shipped_at]"', "order.placed_at in times", "25:28: error[E003]: `in` compares", "in LIST"),
    ('times: "(deadline, none)"', "date(min(times)) < at", "25:17: error[E003]: `min` orders", "min"),
    ('times: "[delivered_at]"\n  later: "times"', "date(later|max) < at", "26:23: error[E003]: `max` orders", "max"),
    ('times: "[delivered_at, shipped_at]"', "times[0] < at", "25:21: error[E003]: `<` compares", "<"),
    ('times: "stamps"', "delivered_at in times", "25:25: error[E003]: `in`", "in LIST"),
    ('days: "[date(delivered_at), date(shipped_at)]"', "at in days and min(days) < at", None, ""),
    # looked for in a text: how it is written (a string written here, `a ~ b`, a string parameter)
    ("", "delivered_at in 'on 2025-07-01T00:00:00Z'", "25:25: error[E003]: `in` looks for how a date-time", "in text"),
    ("", "order.placed_at not in params.note", "25:28: error[E003]: `not in` looks for how", "not in text"),
    ("", "deadline in ('x' ~ shipped_at)", "25:21: error[E003]: `in` looks for how", "in text"),
    ("", "date(delivered_at) in 'on 2025-07-01' and 'Z' in params.note", None, ""),  # a day, text: fine
    # lists of them made of lists: `|default(...)`, `x if c else y`, `+`; looked in, ordered, an item
    ('times: "stamps|default([delivered_at])"', "order.placed_at in times", "25:28: error[E003]: `in`", "in LIST"),
    ('times: "none|default([delivered_at, shipped_at])"', "times[0] < at", "25:21: error[E003]: `<`", "<"),
    ("", "delivered_at in ([shipped_at] if order else [deadline])", "25:25: error[E003]: `in` compares", "in"),
    ('times: "[shipped_at, deadline] if order else []"', "date(times|max) < at", "25:23: error[E003]: `max`", "max"),
    ("", "date(min([delivered_at] if order else none)) < at", "25:17: error[E003]: `min` orders", "min"),
    ("", "([delivered_at] if order else stamps)[0] == shipped_at", "25:53: error[E003]: `==`", "=="),
    ("", "[delivered_at, shipped_at][1] > at", "25:42: error[E003]: `>`", "<"),
    ('times: "stamps + [deadline]"', "delivered_at not in times", "25:25: error[E003]: `not in`", "not in LIST"),
    # days, instants written one way, lists that are not of date-times: fine
    (
        'days: "[date(delivered_at)] if order else [date(shipped_at)]"',
        "at in days and min(days|default([at])) < at and days[0] < at",
        None,
        "",
    ),
    ("", "utc(delivered_at) in ([utc(shipped_at)] if order else []) and utc(deadline) in [utc(shipped_at)]", None, ""),
    ('times: "[1, 2] if order else none"', "3 in times and min(times|default([4])) < 5 and times[0] > 1", None, ""),
    # a `let` remembers how its items are written: looked in as the same list written here is
    ('times: "[utc(delivered_at), utc(shipped_at)]"', "utc(order.placed_at) in times", None, ""),
    ('times: "(local(delivered_at), cutoff)"', "local(order.placed_at) not in times", None, ""),
    ('times: "[utc(deadline)]"\n  later: "times + [utc(shipped_at)]"', "utc(delivered_at) in later", None, ""),
    ('times: "[utc(shipped_at)] if order else none"', "utc(delivered_at) in times|default([])", None, ""),
    ('times: "[utc(delivered_at), utc(shipped_at)]"', "times[0] == utc(order.placed_at)", None, ""),
    (
        'times: "[utc(delivered_at), utc(shipped_at)]"',
        "local(order.placed_at) in times",
        "25:35: error[E003]: `in`",
        "in LIST",
    ),
    (
        'times: "[utc(delivered_at), utc(shipped_at)]"',
        "order.placed_at in times",
        "25:28: error[E003]: `in`",
        "in LIST",
    ),
    (
        'times: "[utc(delivered_at), local(shipped_at)]"',
        "utc(order.placed_at) in times",
        "25:33: error[E003]: `in`",
        "in LIST",
    ),
    (
        'times: "[utc(delivered_at)]"\n  later: "times + stamps"',
        "utc(shipped_at) not in later",
        "26:28: error[E003]: `not in`",
        "not in LIST",
    ),
    (
        'times: "[utc(delivered_at), shipped_at]"',
        "utc(order.placed_at) in times",
        "25:33: error[E003]: `in`",
        "in LIST",
    ),
    (
        'times: "[utc(delivered_at), utc(shipped_at)]"',
        "times[1] == local(order.placed_at)",
        "25:21: error[E003]: `==`",
        "==",
    ),
    # the place is the operator at fault, not the first of its kind (nor a text that reads like it)
    ("", "utc(delivered_at) in [utc(shipped_at)] and order.placed_at in stamps", "25:71: error[E003]: `in`", "in LIST"),
    ("", "date(delivered_at) == date(shipped_at) or delivered_at == shipped_at", "25:67: error[E003]: `==`", "=="),
    ("", "'in' in ['in'] and shipped_at not in stamps", "25:42: error[E003]: `not in`", "not in LIST"),
    ("", "(date(delivered_at) == date(shipped_at)) == (deadline == shipped_at)", "25:66: error[E003]: `==`", "=="),
    (
        "",
        "(shipped_at in stamps) if date(delivered_at) in [date(shipped_at)] else false",
        "25:24: error[E003]: `in`",
        "in LIST",
    ),
    (
        "",
        "false if date(delivered_at) in [date(shipped_at)] else shipped_at in stamps",
        "25:78: error[E003]: `in`",
        "in LIST",
    ),
    ("", "date(delivered_at) < at and deadline < at", "25:49: error[E003]: `<`", "<"),
    # an instant a helper wrote compared with a value of no declared type (an undeclared key of an
    # object, of a list's item, of a parameter `{type: object}`; a `let` of one): a date-time there
    # is compared as text (`2025-07-01T02:00:00+02:00` is not `2025-07-01T00:00:00Z`)
    (
        "",
        "utc(delivered_at) in [utc(shipped_at), order.paid_at]",
        "25:30: error[E003]: `in` compares an instant with `order.paid_at`, a list item of no declared type",
        "item",
    ),
    ("", "utc(delivered_at) == order.paid_at", f"25:30: {_UNTYPED}`order.paid_at`, of no declared type", "==?"),
    (
        "",
        "periods[0].to != local(shipped_at)",
        "25:26: error[E003]: `!=` compares an instant with `periods[0].to`",
        "!=?",
    ),
    ('paid: "order.paid_at"', "add_hours(shipped_at, 2) == paid", f"25:37: {_UNTYPED}`paid`, of no", "== let?"),
    ("", "utc(delivered_at) == params.extra.at", f"25:30: {_UNTYPED}`params.extra.at`", "== param?"),
    ("", "utc(delivered_at) not in order.paid_at", "25:30: error[E003]: `not in` looks for an instant in", "in?"),
    ("", "order.paid_at in [utc(delivered_at), deadline]", "25:26: error[E003]: `in` looks for `order.paid_at`", "?in"),
    (
        'times: "[utc(delivered_at), utc(shipped_at)]"',
        "order.paid_at in times",
        "25:26: error[E003]: `in` looks",
        "?in",
    ),
    # a `let`'s list with such an item is a list of date-times written any way
    ('times: "[utc(delivered_at), order.paid_at]"', "utc(shipped_at) in times", "25:28: error[E003]: `in`", "in LIST"),
    # written as instants both; declared types (a string, a number, a day, strings); none; days: fine
    ("", "utc(delivered_at) == utc(order.paid_at) and utc(shipped_at) in [utc(periods[0].to), none]", None, ""),
    ("", "utc(delivered_at) != params.note and deadline in [params.return_window_days, at, 'x']", None, ""),
    ("", "local(delivered_at) != params.prices.x and date(order.paid_at) == date(deadline)", None, ""),
]


_DATED_PARAMETERS = """  cutover:
    description: When the new rules start.
    schema: {type: string, format: date-time}
    value: "2025-07-01T00:00:00-04:00"
    source: made up
  blackout:
    description: Instants nothing is shipped at.
    schema: {type: array, items: {type: string, format: date-time}}
    value: ["2025-07-01T00:00:00Z"]
    source: made up
  note:
    description: A note.
    schema: {type: string}
    value: "on 2025-07-01T00:00:00Z"
    source: made up
  extra:
    description: Extras.
    schema: {type: object}
    value: {}
    source: made up
  prices:
    description: Prices.
    schema: {type: object, additionalProperties: {type: string}}
    value: {}
    source: made up
  windows:
    description: Sale windows.
    schema: {type: array, items: {type: object, properties: {from: {type: string, format: date-time}}}}
    value: [{from: "2025-07-01T00:00:00Z"}]
    source: made up
"""


@pytest.fixture(scope="module")
def compared(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One repository, one decision per case, validated once."""
    import shutil

    from support import run_cli

    top = tmp_path_factory.mktemp("compared") / "repo"
    shutil.copytree(init_starter, top)
    with (top / "policies" / "returns" / "program.yaml").open("a", encoding="utf-8") as f:
        f.write(_DATED_PARAMETERS)
    for i, (let, when, _, _) in enumerate(_CASES):
        path = top / "policies" / "returns" / "decisions" / f"c{i}.yaml"
        path.write_text(_COMPARED.format(id=f"c{i}", let=let, when=when), encoding="utf-8")
    result = run_cli("validate", "--root", str(top))
    return result.out + result.err


@pytest.mark.parametrize("case", range(len(_CASES)), ids=[c[1] for c in _CASES])
def test_date_times_are_not_compared_as_text(compared: str, case: int) -> None:
    """`==`, `!=`, `min` and `max` on date-times compared their characters, and so did every
    comparison of a `let` holding one or of a date-time inside an input: validate said nothing."""
    _, _, error, hint = _CASES[case]
    said = [line for line in compared.splitlines() if f"/c{case}.yaml:" in line]
    if error is None:
        assert said == [], compared
        return
    assert len(said) == 1 and f"returns/decisions/c{case}.yaml:{error}" in said[0], compared
    after = compared.splitlines()[compared.splitlines().index(said[0]) + 1]
    expected = {
        "==": _EQUAL_HINT.format("=="),
        "!=": _EQUAL_HINT.format("!="),
        "<": "hint: compare instants with `before(a, b)` or `after(a, b)`",
        "in": "hint: compare instants written one way with `utc(a) in [utc(b), utc(c)]`, or their days in",
        "in LIST": "hint: make it a list of days (`items: {type: string, format: date}`) and look for the day",
        "not in LIST": "hint: make it a list of days (`items: {type: string, format: date}`) and look for the day",
        "min": _MIN_HINT,
        "max": _MAX_HINT,
        "text": "hint: compare its day in the marketplace's time zone, `date(a) >= '2025-01-01' and date(a) <",
        "in text": "hint: look for the instant among instants written one way, `utc(a) in [utc(b), utc(c)]`, or",
        "not in text": "hint: look for the instant among instants written one way, `utc(a) not in [utc(b),",
        "case": "hint: compare instants with `before(a, b)` or `after(a, b)`, or instants written one way with",
        "==?": "hint: write both as instants, `utc(a) == utc(b)`, or declare its type in the input's schema (a"
        " date-time: `format: date-time`)",
        "!=?": "hint: write both as instants, `utc(a) != utc(b)`, or declare its type in the input's schema",
        "== let?": "hint: write both as instants, `utc(a) == utc(b)`, or declare its type in the schema of the input it"
        " is read from",
        "== param?": "hint: write both as instants, `utc(a) == utc(b)`, or declare its type in the parameter's `schema`",
        "item": "hint: write every item as an instant, `utc(a) in [utc(b), utc(c)]`, or declare its type in the input's",
        "in?": "hint: declare its type in the input's schema: a list of days (`items: {type: string, format: date}`),"
        " looked in with `date(a) not in LIST`",
        "?in": "hint: write it as an instant too, `utc(a) in [utc(b), utc(c)]`, or declare its type in the input's",
    }[hint]
    assert after.strip().startswith(expected), after


def test_a_parameter_schema_made_a_date_time_gives_fresh_problems(init_repo: Path) -> None:
    """Compile problems are kept by what they depend on: a parameter's schema is part of it now (a
    `format: date-time` added to one makes a comparison of it E003, from the cache as from a cold
    start), so an entry kept for the schema before must not answer."""
    from engine.cache import memo
    from support import edit, run_cli

    program = init_repo / "policies" / "returns" / "program.yaml"
    with program.open("a", encoding="utf-8") as f:
        f.write(_DATED_PARAMETERS.split("  blackout:")[0].replace(", format: date-time", ""))
    decision = init_repo / "policies" / "returns" / "decisions" / "c.yaml"
    decision.write_text(_COMPARED.format(id="c", let="", when="params.cutover < at"), encoding="utf-8")
    said = []
    for schema in ("{type: string}", "{type: string, format: date-time}", "{type: string}"):
        edit(program, program.read_text(encoding="utf-8").split("    schema: ")[-1].split("\n")[0], schema)
        for cold in (False, True):  # this process's memo, then the disk
            if cold:
                memo.clear_all()
            result = run_cli("validate", "--root", str(init_repo))
            said.append("c.yaml:25:27: error[E003]: `<` compares date-times as text" in result.out)
    assert said == [False, False, True, True, False, False]


def _files(top: Path) -> dict[str, bytes]:
    return {str(p.relative_to(top)): p.read_bytes() for p in sorted(top.rglob("*")) if p.is_file()}


def test_a_build_across_midnight_is_one_day_s_site(
    monkeypatch: pytest.MonkeyPatch, init_repo: Path, tmp_path: Path
) -> None:
    """`build` asked the clock for "today" again and again (editions, each page, the feeds): one
    that ran across midnight in New York planned the pages of Dec 31 (no past edition) and rendered
    the current page of Jan 1 (45 days, with a link to a past edition it never wrote)."""
    from support import run_cli

    monkeypatch.setenv("POLICYCTL_JOBS", "1")
    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    set_now(monkeypatch, "2025-01-01T04:59:59Z")  # 23:59:59 on Dec 31 there
    assert run_cli("build", "--root", str(init_repo), "--out", str(tmp_path / "still")).code == 0
    reads = iter([_instant("2025-01-01T04:59:59Z")])
    # the first reading of the clock before midnight there, every later one after it
    monkeypatch.setattr(clock, "host", lambda: next(reads, _instant("2025-01-01T05:00:00Z")))
    assert run_cli("build", "--root", str(init_repo), "--out", str(tmp_path / "moving")).code == 0
    assert _files(tmp_path / "moving") == _files(tmp_path / "still")


def test_explain_says_when_the_date_a_value_took_effect_is_assumed(init_repo: Path) -> None:
    """`decide --explain` (text and JSON) and the bundle's answers named a change's assumed date
    as fact ("base change from 2025-01-01"), where pages and `history` say it is not confirmed."""
    from support import edit, run_cli

    edit(
        init_repo / "policies" / "returns" / "program.yaml",
        "        source: the returns policy, 2025 edition\n",
        "        source: the returns policy, 2025 edition\n"
        "        assumption: The edition does not say from when; this date is assumed.\n"
        "        assumed: [date]\n",
    )
    ask = '{"days_since_delivery": 40}'
    common = ("decide", "returns.return_allowed", "-m", "us", "--at", "2025-03-01", "--explain", "--input", "-")
    text = run_cli(*common, "--format", "text", cwd=init_repo, stdin=ask)
    assert text.code == 0, text
    assert (
        "return_window_days = 45    [policies/returns/program.yaml:23, base change from 2025-01-01 (date assumed)]"
        in text.out
    )
    answer = run_cli(*common, cwd=init_repo, stdin=ask)
    assert '"origin": "base change from 2025-01-01 (date assumed)"' in answer.out, answer
    bundle = init_repo / "returns.bundle"
    assert run_cli("bundle", "--out", str(bundle), cwd=init_repo).code == 0
    served = run_cli(*common, "--bundle", str(bundle), stdin=ask)
    assert '"origin": "base change from 2025-01-01 (date assumed)"' in served.out, served
