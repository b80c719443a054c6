"""An input refused by a keyword the decision's own simple checks do not say (anyOf, oneOf, not,
dependentRequired, contains...) is said in words, with a hint, at the value: it got jsonschema's
own text, Python's (`/a: 'x' is not valid under any of the given schemas`, `{'sku': 5}`,
`'b' is a dependency of 'a'`), with the hint "see the decision's `inputs`" whatever it was."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import engine
from engine.decisions.inputs import InputChecker
from support import run_cli

DECIDE = ("decide", "returns.return_allowed", "-m", "us", "--at", "2024-06-01")
DEFAULT = "see the decision's `inputs`"
DT = {"type": "string", "format": "date-time"}
NULL = {"type": "null"}
DT_FORM = "a date-time (YYYY-MM-DDTHH:MM:SS with `Z` or an offset such as `+01:00`)"
ITEM = {
    "oneOf": [
        {
            "type": "object",
            "properties": {"sku": {"type": "string"}},
            "required": ["sku"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"id": {"type": "integer"}},
            "required": ["id"],
            "additionalProperties": False,
        },
    ]
}
ITEM_FORMS = "an object with `sku` (a string) or an object with `id` (an integer)"
# (input name, its schema, a value it refuses, the message after the pointer, the hint)
CASES: list[tuple[str, dict[str, Any], Any, str, str]] = [
    (
        "seen",
        {"anyOf": [DT, NULL]},
        "x",
        f'expected {DT_FORM} or null, got string `"x"`',
        'write it like `"2026-03-01T09:30:00+01:00"`',
    ),
    ("seen_n", {"anyOf": [DT, NULL]}, 5, f"expected {DT_FORM} or null, got integer `5`", DEFAULT),
    (
        "day",
        {"oneOf": [{"type": "string", "format": "date"}, NULL]},
        "2024-13-01",
        'expected a date (YYYY-MM-DD) or null, got string `"2024-13-01"`',
        'write it like `"2026-03-01"`',
    ),
    (
        "ref",
        {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        1.5,
        "expected a string or an integer, got number `1.5`",
        DEFAULT,
    ),
    (
        "ref_null",
        {"anyOf": [{"type": "string"}, {"type": "integer", "minimum": 0}]},
        None,
        "expected a string or an integer (at least 0), got null `null`",
        DEFAULT,
    ),
    (
        "code",
        {"anyOf": [{"enum": ["a", "b"]}, {"type": "string", "pattern": "^X[0-9]+$"}]},
        "c",
        'expected one of `"a"`, `"b"` or a string (matching `^X[0-9]+$`), got string `"c"`',
        DEFAULT,
    ),
    ("item", ITEM, 5, f"expected {ITEM_FORMS}, got integer `5`", DEFAULT),
    (
        "item_both",
        ITEM,
        {"sku": "a", "id": 1},
        f'expected {ITEM_FORMS}, got object `{{"sku": "a", "id": 1}}`; unexpected key `id` (keys: `sku`)',
        "remove `id`",
    ),
    (
        "at",
        {"anyOf": [{"type": "object", "properties": {"at": DT}}, NULL]},
        {"at": "noon"},
        'expected an object or null, got object `{"at": "noon"}`; at `at` in it: expected '
        + DT_FORM
        + ', got `"noon"`',
        'write it like `"2026-03-01T09:30:00+01:00"`',
    ),
    (
        "amount",
        {"oneOf": [{"type": "number", "multipleOf": 5}, {"type": "number", "multipleOf": 3}]},
        15,
        "expected exactly one of a number (a multiple of 5) or a number (a multiple of 3), got integer `15`, which is each of them",
        "send a value that fits only one of them (the decision's `oneOf` takes one, not several)",
    ),
    (
        "three",
        {"oneOf": [{"multipleOf": 5}, {"multipleOf": 3}, {"type": "string"}]},
        30,
        "expected exactly one of a number (a multiple of 5), a number (a multiple of 3) or a string, got integer `30`, which is a number (a multiple of 5) and a number (a multiple of 3)",
        "send a value that fits only one of them (the decision's `oneOf` takes one, not several)",
    ),
    (
        "notx",
        {"not": {"type": "string"}},
        "s",
        'expected anything but a string, got string `"s"`',
        "send a value that is not a string",
    ),
    ("konst", {"const": "fixed"}, "other", 'expected `"fixed"`, got `"other"`', DEFAULT),
    (
        "deps",
        {"type": "object", "dependentRequired": {"a": ["b"]}},
        {"a": 1},
        "missing the key `b`, which is required when `a` is given",
        "add `b`, or leave out `a`",
    ),
    (
        "names",
        {"type": "object", "propertyNames": {"pattern": "^[a-z]+$"}},
        {"A": 1},
        'the key `"A"`: expected text matching `^[a-z]+$`',
        "rename the key",
    ),
    (
        "cont",
        {"type": "array", "contains": {"type": "integer"}},
        ["x"],
        'expected at least 1 item that is an integer, got array `["x"]`',
        "add an item that is an integer",
    ),
    (
        "most",
        {"type": "array", "contains": {"type": "integer"}, "maxContains": 1},
        [1, 2],
        "expected at most 1 item that is an integer, got array `[1, 2]`, which holds 2",
        "remove 1 of them",
    ),
    (
        "uniq",
        {"type": "array", "uniqueItems": True},
        [1, True, 1],
        "expected no item twice, got array `[1, true, 1]`, which holds `1` twice",
        "remove the repeated `1`",
    ),
    ("mult", {"type": "number", "multipleOf": 0.5}, 0.3, "expected a multiple of 0.5, got `0.3`", DEFAULT),
    (
        "email",
        {"type": "string", "format": "email"},
        "nope",
        'expected an email address, got `"nope"`',
        'write it like `"name@example.com"`',
    ),
    (
        "minp",
        {"type": "object", "minProperties": 2},
        {"a": 1},
        'expected at least 2 keys, got object `{"a": 1}`',
        DEFAULT,
    ),
    (
        "maxp",
        {"type": "object", "maxProperties": 1},
        {"a": 1, "b": 2},
        'expected at most 1 key, got object `{"a": 1, "b": 2}`',
        DEFAULT,
    ),
    ("req", {"type": "object", "required": ["a", "b"]}, {}, "missing the keys `a` and `b`", "add `a` and `b`"),
    (
        "extra",
        {"type": "object", "properties": {"a": {}}, "additionalProperties": False},
        {"a": 1, "b": 2},
        "unexpected key `b` (keys: `a`)",
        "remove `b`",
    ),
    (
        "tuple",
        {"type": "array", "prefixItems": [{"type": "integer"}], "items": False},
        [1, 2],
        "expected at most 1 item, got array `[1, 2]`",
        "send 1 item or fewer",
    ),
]
CASES_BY_NAME = {case[0]: case for case in CASES}
PREFIX = '{"days_since_delivery": 1, '


def _line(name: str, value: Any) -> str:
    return f"{PREFIX}{json.dumps(name)}: {json.dumps(value)}}}"


@pytest.fixture(scope="module")
def repo(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter repository, its decision taking each input of CASES (besides its own)."""
    top = tmp_path_factory.mktemp("refusals") / "repo"
    shutil.copytree(init_starter, top)
    decision = top / "policies" / "returns" / "decisions" / "return_allowed.yaml"
    own = "    description: Whole days since the item was delivered.\n"
    text = decision.read_text()
    assert own in text
    more = "".join(f"  {name}: {json.dumps(schema)}\n" for name, schema, *_ in CASES)
    decision.write_text(text.replace(own, own + more, 1))
    assert run_cli("validate", "--root", str(top)).code == 0
    return top


@pytest.fixture(scope="module")
def batch(repo: Path) -> dict[str, list[dict[str, Any]]]:
    """Each case's problems, from one JSON Lines batch through `decide`."""
    text = "".join(_line(name, value) + "\n" for name, _, value, *_ in CASES)
    run = run_cli(*DECIDE, "--input", "-", "--lines", "--root", str(repo), stdin=text)
    assert run.code == 1, run
    answers = [json.loads(line) for line in run.out.splitlines()]
    return {name: a["problems"] for (name, *_), a in zip(CASES, answers, strict=True)}


@pytest.mark.parametrize(("name", "schema", "value", "message", "hint"), CASES, ids=[c[0] for c in CASES])
def test_a_refused_input_is_said_in_words_at_its_value(
    batch: dict[str, list[dict[str, Any]]], name: str, schema: Any, value: Any, message: str, hint: str
) -> None:
    line = CASES.index(CASES_BY_NAME[name]) + 1
    column = len(_line(name, value)) - len(json.dumps(value))  # (the value's first character)
    assert [(p["code"], p["line"], p["column"], p["message"], p["hint"]) for p in batch[name]] == [
        ("D004", line, column, f"/{name}: {message}", hint)
    ]


def test_text_output_and_one_object_say_it_alike(repo: Path) -> None:
    run = run_cli(
        *DECIDE,
        "--input",
        "-",
        "--format",
        "text",
        "--root",
        str(repo),
        stdin='{\n  "days_since_delivery": 1,\n  "seen": "x"\n}\n',
    )
    assert run.code == 1
    assert run.out.splitlines()[1:] == [
        f'  <stdin>:3:11: error[D004] /seen: expected {DT_FORM} or null, got string `"x"`',
        '    hint: write it like `"2026-03-01T09:30:00+01:00"`',
    ]


def test_the_python_api_says_it_alike_and_shows_no_python_value(repo: Path) -> None:
    import datetime

    loaded = engine.load(repo / "policies")
    result = loaded.decide(
        "returns", "return_allowed", {"days_since_delivery": 1, "item": {"sku": 5}}, "us", "2024-06-01"
    )
    assert [(p.message, p.hint) for p in result.problems] == [
        (f'/item: expected {ITEM_FORMS}, got object `{{"sku": 5}}`', DEFAULT)
    ]
    assert type(result.problems[0].message) is str  # (a plain text, as every problem's)
    for value in (datetime.date(2024, 1, 1), {1}, b"x"):
        result = loaded.decide(
            "returns", "return_allowed", {"days_since_delivery": 1, "seen": value}, "us", "2024-06-01"
        )
        assert [p.message for p in result.problems] == [
            f"/seen: expected {DT_FORM} or null, got a value that is not JSON"
        ]


def test_a_false_schema_refuses_any_value_in_words() -> None:
    [message] = InputChecker({"x": {"type": "object", "properties": {"a": False}}}, ()).check({"x": {"a": None}})
    assert (message, getattr(message, "hint", "")) == ("/x/a: expected no value here, got null `null`", "leave it out")


# --- whatever the schema and the value, no message in Python's words ---------------------------

_TEXT = st.text(alphabet="abcXYZ09 -:", max_size=6)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-20, 20) | st.floats(-5, 5, allow_nan=False) | _TEXT,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", "A", "x-y"]), inner, max_size=3)
    ),
    max_leaves=6,
)
_LEAVES = st.sampled_from(
    [
        {"type": "string"},
        {"type": "integer", "minimum": 0},
        {"type": "null"},
        {"type": "boolean"},
        {"type": "string", "format": "date-time"},
        {"type": "string", "format": "date"},
        {"type": "string", "format": "email"},
        {"type": "string", "pattern": "^[a-z]+$", "maxLength": 3},
        {"enum": ["a", 1, None]},
        {"const": "a"},
        {"multipleOf": 3},
        {"type": "array", "uniqueItems": True, "minItems": 2},
        {"type": "array", "contains": {"type": "integer"}, "maxContains": 1},
        {"type": "array", "prefixItems": [{"type": "integer"}], "items": False},
        {"type": "object", "minProperties": 2},
        {"type": "object", "dependentRequired": {"a": ["b"]}},
        {"type": "object", "propertyNames": {"pattern": "^[a-z]+$"}},
        {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"], "additionalProperties": False},
        {"type": "object", "properties": {"a": False}},
        {"not": {"type": "integer"}},
        {"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"type": "integer"}},
    ]
)
_SCHEMAS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.builds(
            lambda k, bs: {k: bs}, st.sampled_from(["anyOf", "oneOf", "allOf"]), st.lists(inner, min_size=1, max_size=3)
        ),
        st.builds(lambda s: {"not": s}, inner),
        st.builds(lambda s: {"type": "object", "properties": {"a": s}}, inner),
        st.builds(lambda s: {"type": "array", "items": s}, inner),
    ),
    max_leaves=4,
)
# what Python or jsonschema writes, never a message's: a quoted value, a Python constant, its phrases
_PYTHON = re.compile(
    r"(?<![A-Za-z])'|'(?![A-Za-z])|\b(None|True|False)\b|given schema|is not valid under|is not of type|is a required property"
    r"|is a dependency|Additional properties|should not be valid|does not contain|non-unique|is too (short|long)"
    r"|is valid under each|is not a multiple|enough properties|too many properties|False schema"
)
SCALE = int(os.environ.get("POLICYCTL_PROPERTY_SCALE", "1"))


@settings(max_examples=120 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_SCHEMAS, _JSON)
def test_no_message_is_in_python_words(schema: dict[str, Any], value: Any) -> None:
    checker = InputChecker({"x": schema}, ())
    for message in checker.check({"x": value}):
        assert message.startswith("/x") and not _PYTHON.search(message), (schema, value, message)
        assert not _PYTHON.search(getattr(message, "hint", "")), (schema, value, message)


@settings(max_examples=120 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_SCHEMAS, _JSON)
@example({"enum": ["a", 1, None]}, [None])  # (the hint was "did you mean `None`?": Python's word for null)
def test_no_file_problem_is_in_python_words(schema: dict[str, Any], value: Any) -> None:
    """The same schemas and values as a parameter's (P003): the words are the same
    (engine.schema.words), so neither says jsonschema's nor Python's."""
    from engine.schema.check import check_value
    from engine.source.loader import load_text

    doc = load_text("value: 0\n", "x.yaml")
    for problem in check_value(doc, ("value",), value, schema, "parameter `x`"):
        assert problem.code == "P003" and problem.line == 1, (schema, value, problem)
        text = problem.message.removeprefix("parameter `x` ")
        assert not _PYTHON.search(text) and not _PYTHON.search(problem.hint), (schema, value, problem)
