"""A policy file's value that a JSON Schema keyword refuses is said in our words, at its
`file:line:col`, with its code and a hint, for every keyword: S001 (the file kinds' schemas) and
P003 (a parameter's value against the schema its author wrote) said `not`, `contains`, a `oneOf`
several branches fit, `dependentRequired`, named `format`s... in jsonschema's English, with
Python's reprs (`0 should not be valid under {'const': 0}`, `True should not be valid under ...`,
`'b' is a dependency of 'a'`, `[1, 2] does not contain items matching the given schema`).

The words are engine.schema.words', the same a refused decision input gets (D004): each row of
``VALUES`` whose file message has no words of its own is held to the input's message too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.decisions.inputs import InputChecker
from engine.source.loader import load_text
from support import run_cli

PROGRAM = "policies/returns/program.yaml"

# (keyword, the parameter's schema, a value it refuses (YAML), the message after the value's
# pointer (after a pointer into the value, when it is about a part: `/1: ...`), the hint, the column (its line is the value's), whether a decision input refused the
# same way is said in the same words (the others have words of a file's own: a key's place, a
# date's calendar, YAML's kinds))
VALUES: list[tuple[str, str, str, str, str, int, bool]] = [
    (
        "not",
        "{type: integer, not: {const: 0}}",
        "0",
        "expected anything but `0`, got integer `0`",
        "write a value that is not `0`",
        12,
        True,
    ),
    (
        "not",
        "{type: array, items: {not: {type: boolean}}}",
        "[1, true]",
        "/1: expected anything but true or false, got boolean `true`",
        "write a value that is not true or false",
        16,
        True,
    ),
    (
        "not",
        "{type: object, not: {required: [a]}}",
        "{a: 1}",
        'expected anything but an object with `a`, got object `{"a": 1}`',
        "write a value that is not an object with `a`",
        12,
        True,
    ),
    (
        "contains",
        "{type: array, contains: {type: string}}",
        "[1, 2]",
        "expected at least 1 item that is a string, got array `[1, 2]`",
        "add an item that is a string",
        12,
        True,
    ),
    (
        "minContains",
        "{type: array, contains: {type: string}, minContains: 2}",
        "[a, 1]",
        'expected at least 2 items that are a string, got array `["a", 1]`',
        "add an item that is a string",
        12,
        True,
    ),
    (
        "maxContains",
        "{type: array, contains: {type: string}, maxContains: 1}",
        "[a, b]",
        'expected at most 1 item that is a string, got array `["a", "b"]`, which holds 2',
        "remove 1 of them",
        12,
        True,
    ),
    (
        "oneOf",  # several branches fit
        "{oneOf: [{type: integer}, {minimum: 0}]}",
        "5",
        "expected exactly one of an integer or a number (at least 0), got integer `5`, which is each of them",
        "write a value that fits only one of them (the schema's `oneOf` takes one, not several)",
        12,
        True,
    ),
    (
        "oneOf",  # none fits
        "{oneOf: [{type: integer, minimum: 10}, {type: string}]}",
        "5",
        "expected an integer (at least 10) or a string, got integer `5`",
        "use a value of at least 10",
        12,
        True,
    ),
    (
        "anyOf",
        "{anyOf: [{type: string, format: date-time}, {type: 'null'}]}",
        "yesterday",
        "expected a date-time (YYYY-MM-DDTHH:MM:SS with `Z` or an offset such as `+01:00`) or null, "
        'got string `"yesterday"`',
        'write it like `"2026-03-01T09:30:00+01:00"`',
        12,
        True,
    ),
    (
        "format",
        "{type: string, format: date-time}",
        "yesterday",
        'expected a date-time (YYYY-MM-DDTHH:MM:SS with `Z` or an offset such as `+01:00`), got `"yesterday"`',
        'write it like `"2026-03-01T09:30:00+01:00"`',
        12,
        True,
    ),
    (
        "format",
        "{type: string, format: date}",
        "'2024-02-30'",
        "`2024-02-30` is not a day of the calendar",
        "check the day and the month",
        12,
        False,
    ),
    (
        "format",
        "{type: string, format: email}",
        "nobody",
        'expected an email address, got `"nobody"`',
        'write it like `"name@example.com"`',
        12,
        False,  # (an input's `email` is not checked: engine.decisions.inputs knows dates only)
    ),
    (
        "format",
        "{type: string, format: ipv4}",
        "'1.2.3'",
        'expected an IPv4 address, got `"1.2.3"`',
        'write it like `"192.0.2.1"`',
        12,
        False,
    ),
    ("const", "{const: {a: 1}}", "{a: 2}", 'expected `{"a": 1}`, got `{"a": 2}`', 'write `{"a": 1}`', 12, True),
    (
        "uniqueItems",
        "{type: array, uniqueItems: true}",
        "[1, 1]",
        "expected no item twice, got array `[1, 1]`, which holds `1` twice",
        "remove the repeated `1`",
        12,
        True,
    ),
    (
        "minProperties",
        "{type: object, minProperties: 2}",
        "{a: 1}",
        'expected at least 2 keys, got object `{"a": 1}`',
        "give at least 2 keys",
        12,
        True,
    ),
    (
        "maxProperties",
        "{type: object, maxProperties: 1}",
        "{a: 1, b: 2}",
        'expected at most 1 key, got object `{"a": 1, "b": 2}`',
        "give at most 1 key",
        12,
        True,
    ),
    (
        "dependentRequired",
        "{type: object, dependentRequired: {a: [b]}}",
        "{a: 1}",
        "missing the key `b`, which is required when `a` is given",
        "add `b`, or leave out `a`",
        12,
        True,
    ),
    (
        "propertyNames",  # at the key itself
        "{type: object, propertyNames: {pattern: '^[a-z]+$'}}",
        "{A1: 1}",
        'the key `"A1"`: expected text matching `^[a-z]+$`',
        "rename the key",
        13,
        True,
    ),
    (
        "propertyNames",
        "{type: object, propertyNames: {maxLength: 2}}",
        "{abc: 1}",
        'the key `"abc"`: expected at most 2 characters',
        "rename the key",
        13,
        True,
    ),
    (
        "items",
        "{type: array, prefixItems: [{type: integer}], items: false}",
        "[1, 2]",
        "expected at most 1 item, got array `[1, 2]`",
        "write 1 item or fewer",
        12,
        True,
    ),
    (
        "unevaluatedItems",
        "{type: array, prefixItems: [{type: integer}], unevaluatedItems: false}",
        "[1, 2]",
        "expected no more items, got array `[1, 2]`",
        "remove the items the schema does not declare",
        12,
        True,
    ),
    (
        "multipleOf",
        "{type: number, multipleOf: 5}",
        "7",
        "expected a multiple of 5, got `7`",
        "use a multiple of 5",
        12,
        True,
    ),
    (
        "minimum",
        "{type: integer, minimum: 5}",
        "4",
        "expected at least 5, got `4`",
        "use a value of at least 5",
        12,
        True,
    ),
    (
        "maximum",
        "{type: integer, maximum: 5}",
        "7",
        "expected at most 5, got `7`",
        "use a value of at most 5",
        12,
        True,
    ),
    (
        "exclusiveMinimum",
        "{type: integer, exclusiveMinimum: 5}",
        "5",
        "expected more than 5, got `5`",
        "use a value above 5",
        12,
        True,
    ),
    (
        "exclusiveMaximum",
        "{type: integer, exclusiveMaximum: 5}",
        "5",
        "expected less than 5, got `5`",
        "use a value below 5",
        12,
        True,
    ),
    (
        "minLength",
        "{type: string, minLength: 3}",
        "ab",
        'expected at least 3 characters, got `"ab"`',
        "write at least 3 characters",
        12,
        True,
    ),
    (
        "maxLength",
        "{type: string, maxLength: 2}",
        "abc",
        'expected at most 2 characters, got `"abc"`',
        "write at most 2 characters",
        12,
        True,
    ),
    (
        "pattern",
        "{type: string, pattern: '^[A-Z]+$'}",
        "abc",
        'expected text matching `^[A-Z]+$`, got `"abc"`',
        "the value must match `^[A-Z]+$`",
        12,
        True,
    ),
    (
        # an author's pattern of lowercase letters and `_` is the author's, not policyctl's id: it
        # was "`ABC` is not a valid id" with the hint for ids
        "pattern",
        "{type: string, pattern: '^[a-z_]+$'}",
        "ABC",
        'expected text matching `^[a-z_]+$`, got `"ABC"`',
        "the value must match `^[a-z_]+$`",
        12,
        True,
    ),
    (
        "minItems",
        "{type: array, minItems: 2}",
        "[1]",
        "expected at least 2 items, got array `[1]`",
        "give at least 2 items",
        12,
        True,
    ),
    (
        "maxItems",
        "{type: array, maxItems: 1}",
        "[1, 2]",
        "expected at most 1 item, got array `[1, 2]`",
        "give at most 1 item",
        12,
        True,
    ),
    (
        "if",
        "{type: integer, if: {minimum: 10}, then: {multipleOf: 10}}",
        "15",
        "expected a multiple of 10, got `15`",
        "use a multiple of 10",
        12,
        True,
    ),
    (
        "allOf",
        "{allOf: [{type: integer}, {minimum: 3}]}",
        "1",
        "expected at least 3, got `1`",
        "use a value of at least 3",
        12,
        True,
    ),
    (
        "properties",  # a `false` subschema: at the key it refuses
        "{type: object, properties: {a: false}}",
        "{a: 1}",
        "/a: expected no value here, got integer `1`",
        "leave it out",
        16,
        True,
    ),
    (
        "enum",
        "{enum: [true]}",
        "false",
        "`false` is not one of `true`",
        "use one of: `true`",
        12,
        False,
    ),
]

# (keyword, file, the text replaced, its replacement, line:col, the message, the hint): the file
# kinds' own schemas (schemas/), S001
FILES: list[tuple[str, str, str, str, str, str, str]] = [
    (
        "uniqueItems",
        PROGRAM,
        "marketplaces: [us, de]",
        "marketplaces: [us, de, us]",
        "11:15",
        '/marketplaces: expected no item twice, got array `["us", "de", "us"]`, which holds `"us"` twice',
        'remove the repeated `"us"`',
    ),
    (
        "minItems",
        PROGRAM,
        "marketplaces: [us, de]",
        "marketplaces: []",
        "11:15",
        "/marketplaces: expected at least 1 item, got array `[]`",
        "give at least 1 item",
    ),
    (
        "minProperties",
        "policies/marketplaces.yaml",
        "marketplaces:\n  us:",
        "marketplaces: {}\nother:\n  us:",
        "5:15",
        "/marketplaces: expected at least 1 key, got object `{}`",
        "give at least 1 key",
    ),
    (
        "maxLength",
        "policies/returns/decisions/return_allowed.yaml",
        '"days_since_delivery <= params.return_window_days"',
        '"' + "x" * 2001 + '"',
        "15:11",
        '/rules/0/when: expected at most 2000 characters, got `"' + "x" * 56 + "...`",
        "write at most 2000 characters",
    ),
    (
        "propertyNames",
        PROGRAM,
        "  de: Rücksendungen",
        "  de_DE: Rücksendungen",
        "8:3",
        '/names: `"de_DE"` is not a locale id',
        "did you mean `de-DE`?",
    ),
    (
        "pattern",  # policyctl's own id, said as one (an author's pattern like it is quoted: VALUES)
        PROGRAM,
        "id: returns",
        "id: Returns",
        "3:5",
        '/id: `"Returns"` is not a valid id',
        "ids use lowercase letters, digits and underscores, start with a letter, and have at most 63 characters",
    ),
    (
        "pattern",  # an id of the right characters, too long: said why (its length was not)
        PROGRAM,
        "id: returns",
        "id: " + "r" * 64,
        "3:5",
        '/id: `"' + "r" * 56 + "...` is not a valid id: it has 64 characters",
        "ids use lowercase letters, digits and underscores, start with a letter, and have at most 63 characters",
    ),
]

# jsonschema's own words (jsonschema/_keywords.py, _format.py, validators.py) and Python's reprs
STOCK = re.compile(
    r"is not valid under any of the given schemas|should not be valid under|is valid under each of"
    r"|is not a [`']|is not of type|is a required property|is a dependency of|are not allowed"
    r"|does not match|does not contain items|Too (few|many) items|non-unique elements|is too (long|short)"
    r"|should be non-empty|is expected to be empty|is not a multiple of|was expected|False schema"
    r"|Expected at most|too many properties|enough properties|less than the minimum of"
    r"|greater than the maximum of|or equal to|\b(True|False|None)\b|\{'|\['|(?<![A-Za-z`])'(?![A-Za-z])"
)


def _name(i: int, keyword: str) -> str:
    return f"p{i}_{keyword.lower()}"


@pytest.fixture(scope="module")
def said(tmp_path_factory: pytest.TempPathFactory, init_starter: Path) -> tuple[str, dict[str, int]]:
    """The starter with a parameter per row of ``VALUES``, validated once: the output, and the line
    of each parameter's value."""
    import shutil

    top = tmp_path_factory.mktemp("words") / "repo"
    shutil.copytree(init_starter, top)
    text = (top / PROGRAM).read_text(encoding="utf-8")
    head, rest = text.split("parameters:\n", 1)
    lines: dict[str, int] = {}
    added = ""
    line = head.count("\n") + 2  # (the line after `parameters:`)
    for i, (keyword, schema, value, *_) in enumerate(VALUES):
        name = _name(i, keyword)
        added += (
            f"  {name}:\n    description: A probe.\n    schema: {schema}\n    value: {value}\n    source: the probe\n"
        )
        lines[name] = line + 3
        line += 5
    (top / PROGRAM).write_text(f"{head}parameters:\n{added}{rest}", encoding="utf-8")
    r = run_cli("validate", cwd=top)
    assert r.code == 1, r
    return r.out, lines


@pytest.mark.parametrize("i", range(len(VALUES)), ids=[f"{v[0]}-{v[2]}" for v in VALUES])
def test_a_value_a_keyword_refuses_is_said_in_words_at_its_place(said: tuple[str, dict[str, int]], i: int) -> None:
    keyword, _, _, message, hint, col, _ = VALUES[i]
    out, lines = said
    name = _name(i, keyword)
    # (a part of the value said by its pointer inside the value: `parameter `p` at /1: ...`)
    where = " at " if message.startswith("/") else ": "
    expected = f"{PROGRAM}:{lines[name]}:{col}: error[P003]: parameter `{name}`{where}{message}\n  hint: {hint}\n"
    assert expected in out, out
    assert out.count(f"parameter `{name}`") == 1, out  # (one problem per value)


@pytest.mark.parametrize("i", [i for i, v in enumerate(VALUES) if v[6]], ids=[v[0] for v in VALUES if v[6]])
def test_a_refused_input_gets_the_same_words(i: int) -> None:
    keyword, schema, value, message, hint, *_ = VALUES[i]
    doc = load_text(f"schema: {schema}\nvalue: {value}\n", "x.yaml")
    messages = InputChecker({"x": doc.data["schema"]}, ()).check({"x": doc.data["value"]})
    assert messages == ["/x" + ("" if message.startswith("/") else ": ") + message], messages
    # the same hint, where it has one of its own (an input is sent, a file's value written)
    own = getattr(messages[0], "hint", "").replace("send", "write").replace("decision's", "schema's")
    assert own in (hint, ""), own


@pytest.mark.parametrize("keyword, file, old, new, where, message, hint", FILES, ids=[f[0] for f in FILES])
def test_a_file_a_kinds_schema_refuses_is_said_in_words(
    init_repo: Path, keyword: str, file: str, old: str, new: str, where: str, message: str, hint: str
) -> None:
    path = init_repo / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    r = run_cli("validate", cwd=init_repo)
    assert r.code == 1, r
    assert f"{file}:{where}: error[S001]: {message}\n  hint: {hint}\n" in r.out, r
    assert not STOCK.search(r.out), r


def test_no_problem_is_in_jsonschemas_or_pythons_words(said: tuple[str, dict[str, int]]) -> None:
    out, _ = said
    assert out.count("error[P003]") == len(VALUES), out
    for line in out.splitlines():
        assert not STOCK.search(line), line


def test_the_stock_phrases_are_found() -> None:
    """The check above finds what S001 and P003 said before (an empty match would pass anything)."""
    for old in (
        "/x: 0 should not be valid under {`const`: 0}",
        "/x/1: True should not be valid under {`type`: `boolean`}",
        "/x: [1, 2] does not contain items matching the given schema",
        "/x: 5 is valid under each of {`minimum`: 0}, {`type`: `integer`}",
        "/x: `b` is a dependency of `a`",
        "/x: `nobody` is not a `email`",
        "/x: Expected at most 1 item but found 1 extra: 2",
        "/x: False schema does not allow 1",
        "/x: {'a': 1} has too many properties",
        "/x: `abc` is too long",
        "/x: 5 is less than the minimum of 10",
    ):
        assert STOCK.search(old), old


def test_a_value_is_named_by_its_parameter_its_day_and_its_part(init_repo: Path) -> None:
    """P003 named the value by its JSON Pointer in the file after the parameter's name, which said
    the name twice (`parameter `w` /parameters/w/value:`) and a change only by its index; now the
    parameter, the day a change starts, and the part of the value by its pointer inside it."""
    program = init_repo / PROGRAM
    text = program.read_text(encoding="utf-8")
    start = text.index("  return_window_days:\n")
    end = text.index("  free_return_shipping:\n")
    program.write_text(
        text[:start]
        + "  return_window_days:\n    description: Tiers.\n"
        + "    schema: {type: array, items: {type: object, properties: {rate: {type: number}}}}\n"
        + "    value: [{rate: 1}, {rate: x}]\n    source: the returns policy\n"
        + '    changes:\n      - from: "2025-01-01"\n        value: 45\n        source: the 2025 edition\n'
        + text[end:],
        encoding="utf-8",
    )
    r = run_cli("validate", cwd=init_repo)
    assert r.code == 1, r
    assert [line for line in r.out.splitlines() if "error[" in line] == [
        f'{PROGRAM}:17:31: error[P003]: parameter `return_window_days` at /1/rate: expected number, got string `"x"`',
        f"{PROGRAM}:21:16: error[P003]: parameter `return_window_days` from 2025-01-01: expected array, "
        "got integer `45`",
    ], r.out
