"""Date-times, days and values of no declared type in comparisons (engine.decisions.datetimes): one
decision per expression in one small repository (`policyctl init`'s), validated once.

Each refused case was accepted before, and answered wrongly or by the offset a caller wrote:
- a date-time not written by a helper (a literal, a `date-time` input) compared with a value of
  no declared type: `order.paid_at == '2025-07-01T00:00:00Z'` was false for
  `2025-07-01T02:00:00+02:00`, the same instant;
- a date-time declared through `additionalProperties`, `$ref` or `allOf` was not known to be one
  (`byname.x < at` compared texts), nor a value such a schema leaves untyped known to be so;
- an instant compared with a day (`utc(a) == date(b)`, `delivered_at == at`): always false;
- a date-time (a day) declared through `anyOf` or `oneOf`, as the nullable one is (`anyOf: [{type:
  string, format: date-time}, {type: "null"}]`), was not known to be one (`x < at` answered by the
  offset the caller wrote), nor a value one of whose `anyOf` branches declares nothing known to be
  of no declared type.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

_DECISION = """kind: decision
id: {id}
title: Compared
description: Date-times and days compared.
inputs:
  delivered_at: {{type: string, format: date-time, description: When it was delivered.}}
  shipped_at: {{type: string, format: date-time, description: When it was shipped.}}
  day: {{type: string, format: date, description: A day.}}
  order: {{type: object, description: The order.}}
  meta: {{description: Anything.}}
  byname: {{type: object, description: By name., additionalProperties: {{type: string, format: date-time}}}}
  reffed: {{$ref: "#/properties/delivered_at"}}
  vague: {{$ref: "#/properties/meta"}}
  both: {{allOf: [{{type: string}}, {{format: date-time}}], description: Both.}}
  also: {{allOf: [{{type: object}}], description: An object.}}
  deep:
    type: object
    description: Deep.
    $defs: {{t: {{type: string, format: date-time}}}}
    properties: {{at: {{$ref: "#/properties/deep/$defs/t"}}}}
let:
  d: "date(delivered_at)"
  {let}
hit: first
rules:
  - id: r
    when: "{when}"
    reason: r
    then: {{early: true}}
default: {{early: false}}
outputs:
  early: {{type: boolean}}
"""

_PARAMETERS = """  extra:
    description: Extras.
    schema: {type: object}
    value: {}
    source: made up
  stamps:
    description: Instants by name.
    schema: {type: object, additionalProperties: {type: string, format: date-time}}
    value: {a: "2025-07-01T00:00:00Z"}
    source: made up
  cutover:
    description: When the new rules start.
    schema: {allOf: [{type: string}, {format: date-time}]}
    value: "2025-07-01T00:00:00-04:00"
    source: made up
  when_ref:
    description: An instant, by reference.
    schema: {$defs: {t: {type: string, format: date-time}}, $ref: "#/$defs/t"}
    value: "2025-07-01T00:00:00Z"
    source: made up
  blackout:
    description: Instants nothing is shipped at.
    schema: {type: array, items: {type: string, format: date-time}}
    value: ["2025-07-01T00:00:00Z"]
    source: made up
  maybe:
    description: An instant, or none.
    schema: {anyOf: [{type: string, format: date-time}, {type: "null"}]}
    value: null
    source: made up
  holidays:
    description: Days nothing is shipped on.
    schema: {type: array, items: {type: string, format: date}}
    value: ["2025-07-04"]
    source: made up
"""

_UNTYPED_EQ = "hint: write both as instants, `utc(a) {0} utc(b)`, or declare its type in {1} (a date-time: `format:"
_ORDER = "hint: compare instants with `before(a, b)` or `after(a, b)`, or their days in the marketplace's time zone"
_DAY_EQ = "hint: compare their days in the marketplace's time zone, `date(a) {0} date(b)`, or two instants written"
_INPUT, _PARAM = "the input's schema", "the parameter's `schema`"

# (let, when, the place and the message's start, or None: accepted; the hint's start)
_CASES: list[tuple[str, str, str | None, str]] = [
    # (a) a date-time no helper wrote, compared with a value of no declared type
    (
        "",
        "order.paid_at == '2025-07-01T00:00:00Z'",
        "27:26: error[E003]: `==` compares an instant with `order.paid_at`, of no declared type: a date-time there",
        _UNTYPED_EQ.format("==", _INPUT),
    ),
    (
        "",
        "delivered_at != meta",
        "27:25: error[E003]: `!=` compares an instant with `meta`, of no declared type",
        _UNTYPED_EQ.format("!=", _INPUT),
    ),
    (
        "",
        "params.extra.at == '2025-07-01T00:00:00Z'",
        "27:28: error[E003]: `==` compares an instant with `params.extra.at`",
        _UNTYPED_EQ.format("==", _PARAM),
    ),
    (
        "",
        "order.paid_at in ['2025-07-01T00:00:00Z', '2025-07-02T00:00:00Z']",
        "27:26: error[E003]: `in` looks for `order.paid_at`, of no declared type, among instants",
        "hint: write it as an instant too, `utc(a) in [utc(b), utc(c)]`, or declare its type in the input's schema",
    ),
    (
        "",
        "order.paid_at not in params.blackout",
        "27:26: error[E003]: `not in` looks for `order.paid_at`, of no declared type, among instants",
        "hint: write it as an instant too, `utc(a) not in [utc(b), utc(c)]`",
    ),
    (
        "",
        "'2025-07-01T00:00:00Z' in order.paid",
        "27:35: error[E003]: `in` looks for an instant in `order.paid`, of no declared type",
        "hint: declare its type in the input's schema: a list of days (`items: {type: string, format: date}`), looked",
    ),
    # (b) declared through `additionalProperties`, `$ref`, `allOf`: a date-time, ordered as text...
    ("", "byname.x < at", "27:21: error[E003]: `<` compares date-times as text", _ORDER),
    ("", "params.stamps.a < at", "27:28: error[E003]: `<` compares date-times as text", _ORDER),
    ("", "reffed >= at", "27:19: error[E003]: `>=` compares date-times as text", _ORDER),
    ("", "deep.at < at", "27:20: error[E003]: `<` compares date-times as text", _ORDER),
    ("", "both > at", "27:17: error[E003]: `>` compares date-times as text", _ORDER),
    ("", "params.cutover <= at", "27:27: error[E003]: `<=` compares date-times as text", _ORDER),
    ("", "params.when_ref < at", "27:28: error[E003]: `<` compares date-times as text", _ORDER),
    ("", "params.maybe < at", "27:25: error[E003]: `<` compares date-times as text", _ORDER),
    (
        "",
        "delivered_at == both",
        "27:25: error[E003]: `==` compares date-times as text",
        "hint: compare instants written one way with `utc(a) == utc(b)`",
    ),
    # ... or no type declared there
    (
        "",
        "utc(delivered_at) == vague",
        "27:30: error[E003]: `==` compares an instant with `vague`, of no declared type",
        _UNTYPED_EQ.format("==", _INPUT),
    ),
    (
        "",
        "utc(delivered_at) == also.x",
        "27:30: error[E003]: `==` compares an instant with `also.x`, of no declared type",
        _UNTYPED_EQ.format("==", _INPUT),
    ),
    # (c) an instant and a day: never equal
    (
        "",
        "utc(delivered_at) == date(shipped_at)",
        "27:30: error[E003]: `==` compares an instant with a day: a date-time is never equal to a date"
        " (`2025-07-01T00:00:00Z` is not `2025-07-01`), so it is always false",
        _DAY_EQ.format("=="),
    ),
    ("", "delivered_at != at", "27:25: error[E003]: `!=` compares an instant with a day", _DAY_EQ.format("!=")),
    ("", "day == shipped_at", "27:16: error[E003]: `==` compares an instant with a day", _DAY_EQ.format("==")),
    ("", "shipped_at == d", "27:23: error[E003]: `==` compares an instant with a day", _DAY_EQ.format("==")),
    ('e: "add_days(d, 1)"', "local(shipped_at) == e", "27:30: error[E003]: `==` compares an instant", _DAY_EQ[:30]),
    (
        "",
        "utc(delivered_at) in [date(shipped_at), at]",
        "27:30: error[E003]: `in` looks for an instant among days: a date-time is never equal to a date, so it is"
        " always false",
        "hint: look for its day in the marketplace's time zone, `date(a) in [date(b), date(c)]`",
    ),
    (
        "",
        "local(delivered_at) not in params.holidays",
        "27:32: error[E003]: `not in` looks for an instant among days: a date-time is never equal to a date, so it"
        " is always true",
        "hint: look for its day in the marketplace's time zone, `date(a) not in LIST`",
    ),
    (
        "",
        "d in [utc(shipped_at), delivered_at]",
        "27:14: error[E003]: `in` looks for a day among instants: a date is never equal to a date-time",
        "hint: look for it among their days in the marketplace's time zone, `date(a) in [date(b), date(c)]`",
    ),
    (
        "",
        "at in params.blackout",
        "27:15: error[E003]: `in` looks for a day among instants",
        "hint: make it a list of days (`items: {type: string, format: date}`), or look for an instant among them",
    ),
    # accepted: days with days, instants written one way, none, texts, lists that may hold the value
    ("", "date(delivered_at) == at and d != day and add_days(at, 1) in [d, day]", None, ""),
    ("", "utc(delivered_at) == utc(both) and utc(shipped_at) != utc(byname.x)", None, ""),
    ("", "delivered_at == none and deep.at != none and none in [at, d]", None, ""),
    ("", "order.paid_at == 'paid' and meta != 3 and vague in ['x', 'y']", None, ""),
    ("", "date(delivered_at) in params.holidays and before(deep.at, reffed) and date(byname.x) < at", None, ""),
    ("", "utc(delivered_at) in [at, 'x'] and d in [utc(shipped_at), 'x']", None, ""),
    ("", "delivered_at == delivered_at and params.stamps.a == params.stamps.a", None, ""),
]


@pytest.fixture(scope="module")
def said(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """What `validate` says of one repository with a decision per case."""
    from support import run_cli

    top = tmp_path_factory.mktemp("kinds") / "repo"
    shutil.copytree(init_starter, top)
    with (top / "policies" / "returns" / "program.yaml").open("a", encoding="utf-8") as f:
        f.write(_PARAMETERS)
    for i, (let, when, _, _) in enumerate(_CASES):
        path = top / "policies" / "returns" / "decisions" / f"k{i}.yaml"
        path.write_text(_DECISION.format(id=f"k{i}", let=let, when=when), encoding="utf-8")
    result = run_cli("validate", "--root", str(top))
    assert "Traceback" not in result.out + result.err, result
    return (result.out + result.err).splitlines()


@pytest.mark.parametrize("case", range(len(_CASES)), ids=[c[1] for c in _CASES])
def test_date_times_and_days_compared(said: list[str], case: int) -> None:
    _, _, error, hint = _CASES[case]
    found = [i for i, line in enumerate(said) if f"/k{case}.yaml:" in line]
    if error is None:
        assert found == [], said
        return
    assert len(found) == 1 and f"returns/decisions/k{case}.yaml:{error}" in said[found[0]], said
    assert said[found[0] + 1].strip().startswith(hint), said[found[0] + 1]


_CHOICE_DECISION = """kind: decision
id: {id}
title: Chosen
description: A value declared through anyOf or oneOf, compared.
inputs:
  stamp: {{type: string, format: date-time, description: An instant.}}
  x: {{description: The value., {schema}}}
hit: first
rules:
  - id: r
    when: "{when}"
    reason: r
    then: {{early: true}}
default: {{early: false}}
outputs:
  early: {{type: boolean}}
"""
_DT = "{type: string, format: date-time}"
_NULL = '{type: "null"}'
# what a schema makes of its value: an instant, a day, of no declared type, or none of them
_INSTANT, _DAY, _UNTYPED, _OTHER = "instant", "day", "untyped", "other"
# (the value of input `x` read, its schema, what it is)
_CHOICES: list[tuple[str, str, str]] = [
    ("x", f"anyOf: [{_DT}, {_NULL}]", _INSTANT),
    ("x", f"oneOf: [{_DT}, {_NULL}]", _INSTANT),
    ("x", f"oneOf: [{_NULL}, {{allOf: [{{type: string}}, {{format: date-time}}]}}]", _INSTANT),
    ("x", f"anyOf: [{{oneOf: [{_DT}, {{type: integer}}]}}, {{const: null}}]", _INSTANT),
    ("x", f'$defs: {{t: {_DT}}}, anyOf: [{{$ref: "#/properties/x/$defs/t"}}, {{enum: [null]}}]', _INSTANT),
    ("x", 'type: [string, "null"], format: date-time', _INSTANT),  # (known before: `format` on the value)
    ("x.at", f"anyOf: [{{type: object, properties: {{at: {_DT}}}}}, {_NULL}]", _INSTANT),
    ("x[0]", f"oneOf: [{{type: array, items: {_DT}}}, {_NULL}]", _INSTANT),
    ("x", f"anyOf: [{{type: string, format: date}}, {_NULL}]", _DAY),
    ("x", "oneOf: [{type: string, format: date}, false]", _DAY),
    ("x", f"anyOf: [{{type: integer}}, {{description: Anything.}}, {_NULL}]", _UNTYPED),
    ("x", "oneOf: [true, {type: integer}]", _UNTYPED),
    (
        "x.at",
        f"anyOf: [{{type: object}}, {_NULL}], oneOf: [{{type: object, properties: {{at: {{}}}}}}, {_NULL}]",
        _UNTYPED,
    ),
    # not known: a branch may hold another text; a oneOf whose other branch holds every text holds none;
    # an object branch that does not declare the key; `if`/`then` is not followed
    ("x", f"anyOf: [{_DT}, {{type: string}}]", _OTHER),
    ("x", f"anyOf: [{_DT}, {{type: string, format: date}}]", _OTHER),
    ("x", f"anyOf: [{_DT}, {{}}]", _UNTYPED),
    ("x", "oneOf: [{}, {type: string}]", _OTHER),
    ("x.at", f"anyOf: [{{type: object, properties: {{at: {_DT}}}}}, {{type: object}}]", _OTHER),
    ("x", "type: string, if: {minLength: 20}, then: {format: date-time}", _OTHER),
]
_EQ = "hint: compare instants written one way with `utc(a) == utc(b)`"
# (the expression, with `{v}` for the value; what it is refused as, by kind: the message's start after
# `==`/`<`, the hint's start; a kind not named: accepted)
_EXPRESSIONS: list[tuple[str, dict[str, tuple[str, str]]]] = [
    ("{v} < at", {_INSTANT: ("`<` compares date-times as text", _ORDER)}),
    (
        "{v} == utc(stamp)",
        {
            _INSTANT: ("`==` compares date-times as text", _EQ),
            _DAY: ("`==` compares an instant with a day", _DAY_EQ.format("==")),
            _UNTYPED: ("`==` compares an instant with `{v}`, of no declared type", _UNTYPED_EQ.format("==", _INPUT)),
        },
    ),
    ("{v} == none or before(date({v}), date(stamp)) and utc(stamp) != none", {}),
]
_PAIRS = [(c, e) for c in range(len(_CHOICES)) for e in range(len(_EXPRESSIONS))]


@pytest.fixture(scope="module")
def said_of_choices(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """What `validate` says of one repository with a decision per schema and expression."""
    from support import run_cli

    top = tmp_path_factory.mktemp("choices") / "repo"
    shutil.copytree(init_starter, top)
    for c, e in _PAIRS:
        value, schema, _ = _CHOICES[c]
        when = _EXPRESSIONS[e][0].format(v=value)
        path = top / "policies" / "returns" / "decisions" / f"c{c}_{e}.yaml"
        path.write_text(_CHOICE_DECISION.format(id=f"c{c}_{e}", schema=schema, when=when), encoding="utf-8")
    result = run_cli("validate", "--root", str(top))
    assert "Traceback" not in result.out + result.err, result
    return (result.out + result.err).splitlines()


@pytest.mark.parametrize(
    ("choice", "expression"), _PAIRS, ids=[f"{_CHOICES[c][1]}|{_EXPRESSIONS[e][0]}" for c, e in _PAIRS]
)
def test_any_of_and_one_of(said_of_choices: list[str], choice: int, expression: int) -> None:
    value, _, kind = _CHOICES[choice]
    template, refused = _EXPRESSIONS[expression]
    found = [i for i, line in enumerate(said_of_choices) if f"/c{choice}_{expression}.yaml:" in line]
    if kind not in refused:
        assert found == [], said_of_choices
        return
    message, hint = refused[kind]
    when = template.format(v=value)
    column = 12 + when.index(" ", len(value)) + 1  # the operator, after `    when: "` and the value
    error = f"returns/decisions/c{choice}_{expression}.yaml:11:{column}: error[E003]: {message.format(v=value)}"
    assert len(found) == 1 and error in said_of_choices[found[0]], said_of_choices
    assert said_of_choices[found[0] + 1].strip().startswith(hint), said_of_choices[found[0] + 1]


def test_branches_that_lead_back_are_read_in_bounded_work() -> None:
    """A schema whose `anyOf` leads back to itself (`validate` refuses it, P009, and compiles its
    expressions all the same) is not known to be anything, after a bounded reading."""
    from engine.decisions.datetimes import Declared, date_time, input_root, no_type, part

    loop = {"anyOf": [{"minLength": 1, "$ref": "#/properties/x"}, {"format": "date-time", "$ref": "#/properties/x"}]}
    declared = Declared(loop, input_root({"x": loop}))
    assert (date_time(declared), no_type(declared), part(declared, "a", named=True)) == (False, False, None)
