"""Expressions: what compiles and what it computes, what is refused and with which code and column,
runtime guards, the helpers, and that generated Python stays inside its whitelist."""

from __future__ import annotations

import ast
import dataclasses
import math
from pathlib import Path
from typing import Any

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.decisions import runtime as helpers
from engine.decisions.expr import MAX_LENGTH, Scope, check
from engine.decisions.pycode import standalone
from engine.decisions.runtime import EvalError
from engine.model.policy import Expr
from engine.problems import Pos
from engine.source.loader import load_file

INPUTS = frozenset({"units", "contacts", "name", "order", "items", "flag", "missing", "ts", "day"})
SCOPE = Scope(INPUTS, frozenset({"cpu"}), frozenset({"fee_tiers", "min_units", "default_fee"}), frozenset({"later"}))
BANDS = [
    {"tier": 1, "over": None, "up_to": 5, "fee": 0.10},
    {"tier": 2, "over": 5, "up_to": 15, "fee": 0.25},
    {"tier": 3, "over": 15, "up_to": 30, "fee": 0.50},
    {"tier": 4, "over": 30, "up_to": None, "fee": 0.70},
]
PARAMS = {"fee_tiers": BANDS, "min_units": 100, "default_fee": 0.3}
VALUES: dict[str, Any] = {
    "units": 1000,
    "contacts": 50,
    "name": "Ada",
    "order": {"zip": "10115", "lines": [1, 2, 3]},
    "items": [3, 1, 2],
    "flag": True,
    "ts": "2024-03-01T10:00:00Z",
    "day": "2024-03-01",
    "cpu": 5.0,
}


def compile_ok(source: str, scope: Scope = SCOPE) -> Any:
    checked, problems = check(Expr(source, Pos("t.yaml", 1, 1)), scope)
    assert not problems, problems
    assert checked is not None
    return checked


def evaluate(source: str, **overrides: Any) -> Any:
    checked = compile_ok(source)
    env = {**VALUES, **overrides}
    inputs = {k: v for k, v in env.items() if k in INPUTS and k != "missing"}
    env.setdefault("missing", None)
    return standalone(checked, "<test>")(inputs, PARAMS, "2024-03-01", env)


def codes(source: str, scope: Scope = SCOPE, pos: Pos = Pos("t.yaml", 1, 1)) -> list[str]:
    checked, problems = check(Expr(source, pos), scope)
    assert (checked is None) == bool(problems)
    return [p.code for p in problems]


# --- every whitelisted construct -----------------------------------------------------------------

ALLOWED = [
    # literals
    ("42", 42),
    ("-1.5", -1.5),
    ("'a'", "a"),
    ('"b"', "b"),
    ("true", True),
    ("false", False),
    ("none", None),
    ("True", True),
    ("[1, 'x']", [1, "x"]),
    ("(1, 2)", (1, 2)),
    ("{'a': 1, 'b': [2]}", {"a": 1, "b": [2]}),
    ("1e999", math.inf),
    # names, params, at
    ("units", 1000),
    ("cpu", 5.0),
    ("params.min_units", 100),
    ("params['default_fee']", 0.3),
    ("at", "2024-03-01"),
    ("missing", None),
    # keys and indexes
    ("order.zip", "10115"),
    ("order['zip']", "10115"),
    ("order.lines[1]", 2),
    ("order.lines.0", 1),
    ("order.nothing", None),
    ("items[-1]", 2),
    ("items[10]", None),
    ("params.fee_tiers[1].fee", 0.25),
    ("{'k': 'v'}[name|lower|default('k')]", None),
    # comparisons
    ("units == 1000", True),
    ("units != 1000", False),
    ("units < 1001", True),
    ("units <= 1000", True),
    ("units > 999", True),
    ("units >= 1001", False),
    ("'d' in name", True),
    ("3 in items", True),
    ("4 not in items", True),
    ("1 < contacts < 100", True),
    ("'zip' in order", True),
    # logic
    ("flag and units > 5", True),
    ("false or 'x'", "x"),
    ("not flag", False),
    ("not (units > 5 and flag)", False),
    # arithmetic
    ("-units", -1000),
    ("+units", 1000),
    ("units + 1", 1001),
    ("units - 1", 999),
    ("units * 2", 2000),
    ("units / 8", 125.0),
    ("units // 3", 333),
    ("units % 7", 6),
    ("2 ** 10", 1024),
    ("2 ** -1", 0.5),
    ("contacts / units * 100", 5.0),
    ("'a' + 'b'", "ab"),
    ("[1] + [2]", [1, 2]),
    ("'ab' * 2", "abab"),
    ("name ~ '-' ~ units", "Ada-1000"),
    ("none ~ true", "NoneTrue"),
    # conditional
    ("'big' if units > 10 else 'small'", "big"),
    ("'big' if units > 10000", None),
    # filters
    ("name|length", 3),
    ("items|length", 3),
    ("order|length", 2),
    ("name|lower", "ada"),
    ("name|upper", "ADA"),
    ("2.675|round(2)", 2.68),
    ("0.125|round(2)", 0.13),
    ("-0.125|round(2)", -0.13),
    ("2.5|round", 3.0),
    ("7|round", 7),
    ("(-3)|abs", 3),
    ("missing|default(7)", 7),
    ("units|default(7)", 1000),
    ("items|min", 1),
    ("items|max", 3),
    ("items|sum", 6),
    ("[]|sum", 0),
    # tests
    ("missing is none", True),
    ("units is not none", True),
    ("units is defined", True),
    ("missing is defined", False),
    ("order.zip is defined", True),
    ("order.city is defined", False),
    ("order['zip'] is defined", True),
    ("items[5] is defined", False),
    ("cpu is defined", True),
    ("units is number", True),
    ("flag is number", False),
    ("name is number", False),
    ("name is string", True),
    ("units is string", False),
    # helpers
    ("tier(params.fee_tiers, cpu).tier", 1),
    ("tier(params.fee_tiers, 5.01).tier", 2),
    ("tier(params.fee_tiers, none)", None),
    ("percent(contacts, units)", 5.0),
    ("percent(1, 0)", None),
    ("date(ts)", "2024-03-01"),
    ("date(day)", "2024-03-01"),
    ("datetime(ts)", "2024-03-01T10:00:00+00:00"),
    ("add_hours(ts, 48)", "2024-03-03T10:00:00+00:00"),
    ("add_days(day, 1)", "2024-03-02"),
    ("add_days('2024-02-28', 1)", "2024-02-29"),
    ("days_between('2024-03-01', '2024-04-01')", 31),
    ("days_between(day, '2024-02-28')", -2),
    ("before('2024-03-01', '2024-03-02')", True),
    ("after(ts, '2024-03-01T11:00:00+02:00')", True),
    ("min(3, units, 2)", 2),
    ("max(items)", 3),
    ("max(1, 2.5)", 2.5),
]


@pytest.mark.parametrize(("source", "expected"), ALLOWED, ids=[s for s, _ in ALLOWED])
def test_allowed_construct_evaluates(source: str, expected: Any) -> None:
    result = evaluate(source)
    assert result == expected and type(result) is type(expected)


def test_is_defined_means_given_not_merely_not_none() -> None:
    checked = compile_ok("units is defined")
    fn = standalone(checked, "<t>")
    assert fn({"units": None}, {}, "", {"units": None}) is True
    assert fn({}, {}, "", {"units": None}) is False


# --- refused constructs --------------------------------------------------------------------------

REFUSED = [
    # server-side template injection payloads
    ("''.__class__.__mro__", "E003"),
    ("''.__class__.__mro__[1].__subclasses__()", "E003"),
    ("x.__globals__", "E003"),
    ("units.__class__", "E003"),
    ("cycler", "E002"),
    ("cycler.__init__.__globals__.os", "E003"),
    ("lipsum", "E002"),
    ("lipsum()", "E002"),
    ("namespace()", "E002"),
    ("range(10**9)", "E002"),
    ('"{0.__class__}".format(units)', "E003"),
    ('units|attr("__class__")', "E003"),
    ("self", "E002"),
    ("config", "E002"),
    ("request", "E002"),
    ("self._TemplateReference__context", "E003"),
    ("joiner()", "E002"),
    ("dict(a=1)", "E002"),
    ("name.upper()", "E003"),
    ("order['__class__']", "E003"),
    ("order._private", "E003"),
    ("_x", "E003"),
    ("params.__class__", "E003"),
    # what else is outside the whitelist
    ("items[1:2]", "E003"),
    ("name|replace('a', 'b')", "E003"),
    ("name|safe", "E003"),
    ("units is divisibleby(3)", "E003"),
    ("units is odd", "E003"),
    ("units is none(1)", "E003"),
    ("tier(bands=params.fee_tiers, x=cpu)", "E003"),
    ("tier(params.fee_tiers)", "E003"),
    ("min()", "E003"),
    ("units|round(2, 'floor')", "E003"),
    ("units|round(precision=2)", "E003"),
    ("tier", "E003"),
    ("units(1)", "E003"),
    ("params", "E003"),
    ("params[name]", "E003"),
    ("params[0]", "E003"),
    # names
    ("unts > 5", "E002"),
    ("later + 1", "E002"),
    ("x if y", "E002"),
    # parameters
    ("params.min_unit", "E004"),
    ("params['nope']", "E004"),
    # syntax
    ("units +", "E001"),
    ("units ? 2", "E001"),
    ("'abc", "E001"),
    ("units }} {{ units", "E001"),
    ("(units", "E001"),
    ("units units", "E001"),
    ("{% if units %}", "E001"),
    ("", "E001"),
    # limits
    ("1 + " * 700 + "1", "E005"),
    ("-" * 60 + "1", "E005"),
    ("[" * 50 + "]" * 50, "E005"),
]


@pytest.mark.parametrize(("source", "code"), REFUSED, ids=[s[:40] for s, _ in REFUSED])
def test_refused_construct_gives_its_code(source: str, code: str) -> None:
    assert code in codes(source)


def test_unknown_name_suggests_close_names() -> None:
    _, problems = check(Expr("contact > 5", Pos("t.yaml", 1, 1)), SCOPE)
    assert problems[0].code == "E002"
    assert problems[0].message == "unknown name `contact`; did you mean `contacts`?"
    _, problems = check(Expr("params.min_unit", Pos("t.yaml", 1, 1)), SCOPE)
    assert problems[0].message == "unknown parameter `params.min_unit`; did you mean `params.min_units`?"
    _, problems = check(Expr("tire(params.fee_tiers, cpu)", Pos("t.yaml", 1, 1)), SCOPE)
    assert "did you mean `tier`?" in problems[0].message


def test_length_limit() -> None:
    assert codes("1" * MAX_LENGTH) == []
    assert codes("1" * (MAX_LENGTH + 1)) == ["E005"]


SSTI_PAYLOADS = [
    "self.__init__.__globals__.__builtins__.open({path!r}, 'w').close()",
    "cycler.__init__.__globals__.os.mkdir({path!r})",
    "lipsum.__globals__['os'].mkdir({path!r})",
    "joiner.__init__.__globals__.os.mkdir({path!r})",
    "namespace.__init__.__globals__.os.mkdir({path!r})",
    "''.__class__.__mro__[1].__subclasses__()",
    "request.application.__globals__.__builtins__.__import__('os').mkdir({path!r})",
    "config.__class__.__init__.__globals__['os'].mkdir({path!r})",
    "units|attr('__class__')",
]


@pytest.mark.parametrize("payload", SSTI_PAYLOADS)
def test_ssti_payloads_are_refused_and_never_run(payload: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    source = payload.format(path=str(marker))
    found = codes(source)
    assert found and set(found) <= {"E002", "E003"}, found
    assert not marker.exists()


def test_the_marker_payload_is_live_in_plain_jinja(tmp_path: Path) -> None:
    """Proof that the payload above is a real one: unsandboxed Jinja runs it; we refuse it."""
    marker = tmp_path / "pwned"
    source = SSTI_PAYLOADS[0].format(path=str(marker))
    jinja2.Environment().from_string("{{ " + source + " }}").render()
    assert marker.exists()


# --- problem positions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "source", "code", "col"),
    [
        ('    when: "units >> 3"', "units >> 3", "E001", 19),  # the second `>`
        ("    when: units > 5 and contcts < 2", "units > 5 and contcts < 2", "E002", 25),
        ("    fee: '= params.fe * units'", "params.fe * units", "E004", 20),  # `fe`
        ("    when: order.__class__", "order.__class__", "E003", 17),
        ('    when: "units ?"', "units ?", "E001", 18),
    ],
)
def test_problem_column_points_inside_the_yaml_scalar(
    tmp_path: Path, line: str, source: str, code: str, col: int
) -> None:
    path = tmp_path / "d.yaml"
    path.write_text("rules:\n" + line + "\n")
    scalar_col = line.index(":") + 3  # where the loader says the scalar starts
    _, problems = check(Expr(source, Pos(str(path), 2, scalar_col)), SCOPE)
    assert [(p.code, p.line, p.col) for p in problems] == [(code, 2, col)]


# Each case: an expression in which the construct at fault is written after one like it (or after
# a text that reads like its name), and the problem's code, column and message: at the construct at
# fault, not at the first token that reads the same. Written in a literal block from column 7.
DATED = dataclasses.replace(SCOPE, moments={"ts": "any"})
PLACED_CASES = {
    "min of date-times, the second min": (
        "min(units, 2) > 1 and min(ts, units) > 0",
        "E003",
        29,
        "`min` orders date-times as text, not as instants (their offsets may differ)",
    ),
    "min of date-times, after a text 'min'": (
        "name == 'min' or min([ts]) == ts",
        "E003",
        24,
        "`min` orders date-times as text, not as instants (their offsets may differ)",
    ),
    "|max of date-times, the second |max": (
        "items|max > 1 or [ts, ts]|max == ts",
        "E003",
        33,
        "`max` orders date-times as text, not as instants (their offsets may differ)",
    ),
    "|lower of a date-time, the second |lower": (
        "name|lower == 'a' and ts|lower == 'b'",
        "E003",
        32,
        "`lower` rewrites how a date-time is written, as text (one instant has many spellings)",
    ),
    "|upper of a date-time, after a text 'upper'": (
        "name == 'upper' or ts|upper",
        "E003",
        29,
        "`upper` rewrites how a date-time is written, as text (one instant has many spellings)",
    ),
    "a name starting with _, after a text": (
        "name == '_x' or _x",
        "E003",
        23,
        "`_x`: names starting with `_` are not allowed",
    ),
    "a key starting with _, after a text": (
        "name ~ '_k' ~ order['_k']",
        "E003",
        27,
        "`_k`: names starting with `_` are not allowed",
    ),
    "an attribute starting with _, after a text": (
        "name == '_a' or order._a",
        "E003",
        29,
        "`_a`: names starting with `_` are not allowed",
    ),
    "a parameter starting with _, after a text": (
        "name == '_p' or params._p",
        "E003",
        30,
        "`_p`: names starting with `_` are not allowed",
    ),
    "an unknown parameter, after a text": (
        "name == 'fe' or params.fe",
        "E004",
        30,
        "unknown parameter `params.fe`",
    ),
    "an unknown parameter of param_on, after a text": (
        "name == 'fe' or param_on('fe', day)",
        "E004",
        32,
        "unknown parameter `params.fe`",
    ),
    "a call of a key, the second .x": (
        "order.x == 1 or order.x(1)",
        "E003",
        29,
        "`.x(...)` cannot be called: only helpers can",
    ),
    "a call of a value, at its (": (
        "units + order.lines[0](1)",
        "E003",
        29,
        "this value cannot be called: only helpers can",
    ),
    "a helper's arguments, the second call": (
        "date(day) < date(day, 2)",
        "E003",
        19,
        "`date` takes 1 argument, got 2",
    ),
    "a helper's named arguments, after a text": (
        "name == 'date' or date(x=1)",
        "E003",
        25,
        "`date` takes positional arguments only",
    ),
    "a filter's arguments, the second filter": ("name|upper|upper(1)", "E003", 18, "`upper` takes 0 arguments, got 1"),
    "a test's arguments, the second test": (
        "units is number and units is number(3)",
        "E003",
        36,
        "the test `number` takes no arguments",
    ),
    "an unknown filter, after a text": (
        "name ~ 'lowr' ~ name|lowr",
        "E003",
        28,
        "unknown filter `lowr`; did you mean `lower`?",
    ),
    "an unknown test, after `is not`": (
        "name == 'numbr' or units is not numbr",
        "E003",
        39,
        "unknown test `numbr`; did you mean `number`?",
    ),
    "an unknown helper, after a text": (
        "name == 'round' or round(units) > 1",
        "E002",
        26,
        "unknown helper `round`",
    ),
    "a slice, at its start": (
        "units + order.lines[1:2]",
        "E003",
        27,
        "a slice `a[x:y]` is not allowed in an expression",
    ),
    "nested too deeply, where": ("-" * 45 + "units", "E005", 48, "expression nested more than 40 levels deep"),
}


@pytest.mark.parametrize(("source", "code", "col", "message"), PLACED_CASES.values(), ids=PLACED_CASES)
def test_problem_points_at_the_construct_at_fault(
    tmp_path: Path, source: str, code: str, col: int, message: str
) -> None:
    path = tmp_path / "d.yaml"
    path.write_text("rules:\n  - when: |-\n      " + source + "\n")
    _, problems = check(Expr(source, Pos(str(path), 2, 11)), DATED)
    assert [(p.code, p.line, p.col, p.message) for p in problems] == [(code, 3, col, message)]


# Each case: a rule's `when:` (or an output's `= ...`) written over one or several lines in a style,
# from line 3 on, and the problem's exact code, line and column: at the bad name, not at the scalar.
MULTILINE_CASES = {
    "plain": ("    when: units > 5 and\n      contcts < 2\n", "E002", 4, 7),
    "plain, an empty line, deeper": ("    when: units > 5\n      and\n\n         contcts < 2\n", "E002", 6, 10),
    "plain, CRLF": ("    when: units > 5 and\r\n      contcts < 2\r\n", "E002", 4, 7),
    "single-quoted, '' and folding": ("    when: 'name != ''a'' and\n       contcts < 2'\n", "E002", 4, 8),
    "double-quoted, escapes before": ('    when: "name != \\"\\u00e9\\" and contcts < 2"\n', "E002", 3, 35),
    "double-quoted, folding, empty line": ('    when: "units > 5 and\n\n      contcts < 2"\n', "E002", 5, 7),
    "double-quoted, escaped line break": ('    when: "units > 5 and \\\n      contcts < 2"\n', "E002", 4, 7),
    "double-quoted, the name an escape": ('    when: "units > 5 and\n      \\x63ontcts < 2"\n', "E002", 4, 7),
    "literal": ("    when: |\n      units > 5 and\n        contcts < 2\n", "E002", 5, 9),
    "folded, strip": ("    when: >-\n      units > 5 and\n      contcts < 2\n", "E002", 5, 7),
    "literal, indentation indicator": ("    when: |2-\n          units > 5 and\n        contcts < 2\n", "E002", 5, 9),
    "folded, indicator then chomping": ("    when: >1-\n       units > 5\n        and contcts < 2\n", "E002", 5, 13),
    "folded, keep, comment": ("    when: >+ # units\n      units > 5 and\n\n      contcts < 2\n\n", "E002", 6, 7),
    "tagged literal": ("    when: !!str |\n      units > 5 and contcts < 2\n", "E002", 4, 21),
    "literal, syntax error": ("    when: |\n      units > 5 and\n        contacts < )\n", "E001", 5, 20),
    "folded, unexpected end": ("    when: >\n      units > 5 and\n      contacts <\n", "E001", 5, 17),
    "output in a flow mapping": ('    then: {fee: "= units *\n      params.fe"}\n', "E004", 4, 14),
}


@pytest.mark.parametrize(("written", "code", "line", "col"), MULTILINE_CASES.values(), ids=MULTILINE_CASES)
def test_problem_position_inside_a_scalar_of_any_style(
    tmp_path: Path, written: str, code: str, line: int, col: int
) -> None:
    path = tmp_path / "d.yaml"
    path.write_bytes(("rules:\n  - id: r\n" + written + "    reason: r\n").encode())
    doc = load_file(str(path))
    assert not doc.problems
    rule = doc.data["rules"][0]
    where: tuple[str | int, ...] = ("rules", 0, "when")
    source = rule.get("when")
    if source is None:
        where, source = ("rules", 0, "then", "fee"), rule["then"]["fee"][1:].strip()  # as the model reads `= ...`
    _, problems = check(Expr(source, doc.pos(where)), SCOPE)
    assert [(p.code, p.line, p.col) for p in problems] == [(code, line, col)]


def test_problem_falls_back_to_the_scalar_when_the_file_no_longer_holds_it(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text("rules:\n  - id: r\n    when: >-\n      units > 5 and\n      contcts < 2\n")
    doc = load_file(str(path))
    path.write_text("rules:\n  - id: r\n    when: >-\n      units > 6 and\n      contcts < 2\n")  # edited since
    _, problems = check(Expr(doc.data["rules"][0]["when"], doc.pos(("rules", 0, "when"))), SCOPE)
    assert [(p.code, p.line, p.col) for p in problems] == [("E002", 3, 11)]


def test_problem_falls_back_to_the_scalar_when_the_text_is_not_found() -> None:
    _, problems = check(Expr("units +", Pos("no/such/file.yaml", 7, 11)), SCOPE)
    assert [(p.code, p.line, p.col) for p in problems] == [("E001", 7, 11)]


# --- runtime guards ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "'a' * 10**9",
        "[1] * 200000",
        "10 ** 100000",
        "9 ** (9 ** 9)",
        "'%999999999d' % 1",
        "'%s' % name",
        "units * 2 ** 5000",
        "'x' * 60000 + 'y' * 60000",
        "'x' * 99999 ~ 'yy'",
        "(-8) ** 0.5",
    ],
)
def test_runtime_guards_raise_eval_error(source: str) -> None:
    with pytest.raises(EvalError):
        evaluate(source)


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("units / 0", ZeroDivisionError),
        ("missing > 5", TypeError),
        ("name.first", EvalError),
        ("name|abs", EvalError),
        ("units|lower", EvalError),
        ("[]|min", EvalError),
        ("items['a']", EvalError),
        ("date('2024-13-01')", EvalError),
        ("datetime('2024-03-01T10:00:00')", EvalError),
        ("before(day, ts)", EvalError),
        ("add_days(day, 1.5)", EvalError),
        ("add_hours(day, 1)", EvalError),
        ("tier(params.fee_tiers, 'x')", EvalError),
        ("tier(5, 1)", EvalError),
        ("1e20|round(15)", EvalError),  # past Decimal's 28 digits: said in words, not decimal's own error
    ],
)
def test_runtime_errors_are_plain_exceptions_the_engine_reports(source: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        evaluate(source)


def test_round_past_decimals_precision_says_why() -> None:
    with pytest.raises(EvalError, match=r"`round` cannot give 1e\+20 with 15 decimal places: more than 28 significant"):
        evaluate("1e20|round(15)")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "add_days(day, units * 1e308 * 10 - units * 1e308 * 10)",
            "the days of `add_days` must be a finite number, got `NaN`",
        ),
        ("add_days(day, units * 1e308 * 10)", "the days of `add_days` must be a finite number, got `Infinity`"),
        ("add_days(ts, -units * 1e308 * 10)", "the days of `add_days` must be a finite number, got `-Infinity`"),
        (
            "add_hours(ts, units * 1e308 * 10 - units * 1e308 * 10)",
            "the hours of `add_hours` must be a finite number, got `NaN`",
        ),
        # a key that is not a name, shown as every value is (`nan` was Python's)
        (
            "'abc'[units * 1e308 * 10 - units * 1e308 * 10]",
            'cannot read `NaN` of string `"abc"`: only mappings and lists have keys',
        ),
        ("3[-units * 1e308 * 10]", "cannot read `-Infinity` of number `3`: only mappings and lists have keys"),
        ("'abc'[true]", 'cannot read `true` of string `"abc"`: only mappings and lists have keys'),
        ("'abc'.upper", 'cannot read `upper` of string `"abc"`: only mappings and lists have keys'),
    ],
)
def test_nan_and_infinity_are_said_in_words(source: str, message: str) -> None:
    """`int(nan)` and `timedelta(days=nan)` said "cannot convert float NaN to integer" (Python's
    words); a key of NaN was shown as Python shows it, `nan`."""
    with pytest.raises(EvalError) as raised:
        evaluate(source)
    assert str(raised.value) == message


# --- helpers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "tier"),
    [(-1, 1), (0, 1), (5, 1), (5.01, 2), (5.000001, 2), (15, 2), (15.01, 3), (30, 3), (30.01, 4), (10**6, 4)],
)
def test_tier_boundaries(x: float, tier: int) -> None:
    assert helpers.tier(BANDS, x)["tier"] == tier
    # `over` is exclusive on its own, not only because the band below claims the boundary first
    assert helpers.tier(BANDS[::-1], x)["tier"] == tier


def test_tier_with_a_gap_is_an_error() -> None:
    with pytest.raises(EvalError, match="no band contains `7`"):
        helpers.tier([{"over": None, "up_to": 5}, {"over": 10, "up_to": None}], 7)


def test_naive_datetimes_are_rejected_not_guessed() -> None:
    with pytest.raises(EvalError, match="no time-zone offset"):
        helpers.datetime("2024-03-01T10:00:00")
    assert helpers.before("2024-03-01T10:00:00+02:00", "2024-03-01T09:00:00Z")  # 08:00Z < 09:00Z


def test_days_between_datetimes_truncates_toward_zero() -> None:
    assert helpers.days_between("2024-03-01T00:00:00Z", "2024-03-02T23:59:00Z") == 1
    assert helpers.days_between("2024-03-02T23:59:00Z", "2024-03-01T00:00:00Z") == -1


# --- safety of what is generated -----------------------------------------------------------------

_SAFE_CALLS = {"_get", "_has", "_add", "_mul", "_mod", "_pow", "_concat", "_t_number", "_t_string"}
_SAFE_CALLS |= {f"_h_{n}" for n in helpers.HELPERS} | {f"_f_{n}" for n in helpers.FILTERS}
_SAFE_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.BinOp,
    ast.UnaryOp,
    ast.IfExp,
    ast.Compare,
    ast.Call,
    ast.Constant,
    ast.Name,
    ast.Load,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Subscript,
    ast.operator,
    ast.unaryop,
    ast.boolop,
    ast.cmpop,
)


def assert_whitelisted(python: str) -> None:
    """The generated expression reaches nothing but locals, params, inputs, at and the runtime."""
    for node in ast.walk(ast.parse(python, mode="eval")):
        assert isinstance(node, _SAFE_NODES), ast.dump(node)
        if isinstance(node, ast.Name):
            assert node.id.startswith("v_") or node.id in _SAFE_CALLS | {"params", "inputs", "at"}, node.id
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name) and node.func.id in _SAFE_CALLS and not node.keywords
        if isinstance(node, ast.Subscript):  # only params["name"]
            assert isinstance(node.value, ast.Name) and node.value.id == "params"
            assert isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert not node.value.startswith("__") or node.value in VALUES  # no dunder keys reach _get


@pytest.mark.parametrize("source", [s for s, _ in ALLOWED])
def test_generated_python_is_whitelisted(source: str) -> None:
    assert_whitelisted(compile_ok(source).python)


_ATOMS = st.sampled_from(
    [
        "units",
        "cpu",
        "order",
        "items",
        "name",
        "params.min_units",
        "params.fee_tiers",
        "at",
        "none",
        "1",
        "2.5",
        "'x'",
        '"a\\"b"',
        "'\\n'",
        "[1, 2]",
        "{'k': 1}",
        "__class__",
        "self",
        "cycler",
    ]
)
_SUFFIX = st.sampled_from(
    [
        "",
        ".zip",
        "[0]",
        ".__class__",
        "|length",
        "|lower",
        "|default(1)",
        "|attr('x')",
        " is none",
        " is defined",
        "()",
        ".format(1)",
        "[1:]",
    ]
)
_OPS = st.sampled_from(
    [
        " + ",
        " - ",
        " * ",
        " / ",
        " // ",
        " % ",
        " ** ",
        " ~ ",
        " and ",
        " or ",
        " == ",
        " < ",
        " in ",
        " not in ",
        " if ",
        " else ",
        ", ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_ATOMS, _SUFFIX, _OPS), min_size=1, max_size=6), st.sampled_from(["", "(", "[", "not ", "-"]))
def test_any_expression_compiles_to_whitelisted_python_or_to_problems(
    parts: list[tuple[str, str, str]], prefix: str
) -> None:
    source = prefix + "".join(a + s + o for a, s, o in parts)[: -len(parts[-1][2])]
    checked, problems = check(Expr(source, Pos("t.yaml", 1, 1)), SCOPE)
    assert (checked is None) == bool(problems)
    assert all(p.code in {"E001", "E002", "E003", "E004", "E005"} for p in problems)
    if checked is not None:
        assert_whitelisted(checked.python)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes_the_compiler(source: str) -> None:
    checked, problems = check(Expr(source, Pos("t.yaml", 1, 1)), SCOPE)
    assert (checked is None) == bool(problems)
    if checked is not None:
        assert_whitelisted(checked.python)


def test_runtime_offers_no_builtins_and_only_this_projects_functions() -> None:
    assert helpers.RUNTIME["__builtins__"] == {}
    for name, value in helpers.RUNTIME.items():
        if name != "__builtins__":
            assert name.startswith("_") and callable(value) and value.__module__ == "engine.decisions.runtime", name
    expected = {f"_h_{n}" for n in helpers.HELPERS} | {f"_f_{n}" for n in helpers.FILTERS} | _SAFE_CALLS
    # and what the table's generated code calls around an output (never an expression: not in _SAFE_CALLS)
    expected.add("_own")
    assert set(helpers.RUNTIME) - {"__builtins__"} == expected


@pytest.mark.parametrize("part, whole, expected", [(7, 100, 7.0), (5, 100, 5.0), (40, 1000, 4.0), (3, 0, None)])
def test_percent_is_exact_on_band_edges(part: int, whole: int, expected: float | None) -> None:
    from engine.decisions.runtime import percent

    assert percent(part, whole) == expected  # 7 / 100 * 100 would be 7.000000000000001


@pytest.mark.parametrize(
    ("call", "said"),
    [
        (lambda: helpers.f_length(True), "got boolean `true`"),  # (it said `True`)
        (lambda: helpers.f_length(None), "got none `null`"),
        (lambda: helpers.f_length(2.5), "got number `2.5`"),
    ],
)
def test_runtime_messages_show_values_as_authors_write_them(call: Any, said: str) -> None:
    with pytest.raises(EvalError) as raised:
        call()
    assert said in str(raised.value)
