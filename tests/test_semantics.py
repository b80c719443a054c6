"""Checks that span values and files, as mutations of the made-up `loans` repository.

Each case: the file to edit, the text to replace, its replacement, and the expected problem
(code, line, column) in that file (or in the file named last, when it differs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import engine
from support import edit, finishes

PROGRAM = "loans/program.yaml"
OVERLAY = "loans/marketplaces/no.yaml"
MARKETS = "marketplaces.yaml"

CASES = [
    ("unknown marketplace in program", PROGRAM, "marketplaces: [nl, no]", "marketplaces: [nl, se]", "P001", 5, 20),
    ("overlay for an undeclared marketplace", MARKETS, "  no:\n", "  nx:\n", "P001", 2, 14, OVERLAY),
    ("overlay sets an undeclared parameter", OVERLAY, "  loan_days:", "  loan_period:", "P002", 4, 3),
    ("value does not match its schema", PROGRAM, "    value: 21", "    value: 0", "P003", 10, 12),
    ("overlay value checked against the program's schema", OVERLAY, "value: 14", 'value: "14"', "P003", 5, 12),
    ("changes out of order", PROGRAM, 'from: "2024-01-01"', 'from: "1999-01-01"', None, 0, 0),
    ("tiers overlap", PROGRAM, "{over: 7, up_to: 30", "{over: 6, up_to: 30", "P005", 30, 16),
    ("tiers leave a gap", PROGRAM, "{over: 30, up_to: null", "{over: 31, up_to: null", "P006", 31, 16),
    ("first tier does not start open", PROGRAM, "{over: null, up_to: 7", "{over: 0, up_to: 7", "P007", 29, 16),
    ("last tier does not end open", PROGRAM, "{over: 30, up_to: null", "{over: 30, up_to: 99", "P007", 31, 27),
    # a bound of the wrong type is the schema's problem, not a crash of the bands' checks
    ("a tier's bound is not a number", PROGRAM, "{over: 7, up_to: 30", "{over: 7, up_to: ull", "P003", 30, 26),
    ("a tier's start is not a number", PROGRAM, "{over: 30, up_to: null", "{over: x, up_to: null", "P003", 31, 16),
    ("program id differs from folder", PROGRAM, "id: loans", "id: lending", "L003", 3, 5),
    ("overlay marketplace differs from file", OVERLAY, "marketplace: no", "marketplace: nl", "L003", 2, 14),
    ("unknown locale", MARKETS, "locales: [nl, en]", "locales: [nl, xx-Yyyy]", "P010", 7, 19),
    ("unknown time zone", MARKETS, "Europe/Amsterdam", "Europe/Atlantis", "P001", 6, 16),
    ("invalid parameter schema", PROGRAM, "schema: {type: boolean}", "schema: {type: bool}", "P009", 35, 20),
    (
        "typo in a parameter's schema",
        PROGRAM,
        "schema: {type: integer, minimum: 1}",
        "schema: {type: integer, minimun: 1}",
        "P009",
        9,
        29,
    ),
    (
        "stray key from an unquoted comma",
        "loans/decisions/late_fee.yaml",
        "days_late: {type: integer, minimum: 0}",
        "days_late: {type: integer, description: Days, late ones}",
        "P009",
        5,
        49,
    ),
    ("declared kind disagrees with the layout", OVERLAY, "kind: overlay", "kind: program", "L002", 1, 7),
    (
        "required input that is not declared",
        "loans/decisions/late_fee.yaml",
        "required: [days_late]",
        "required: [days_late, age]",
        "S001",
        7,
        23,
    ),
    ("duplicate rule id", "loans/decisions/late_fee.yaml", "id: not_member", "id: on_time", "S001", 16, 9),
    (
        "test names an unknown decision",
        "loans/tests/late_fee.yaml",
        "decision: late_fee\n    marketplace: no",
        "decision: late_fees\n    marketplace: no",
        "T002",
        17,
        15,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_semantic_problem(mini: Path, case: tuple[Any, ...]) -> None:
    name, file, old, new, code, line, col, *where = case
    edit(mini / file, old, new)
    repo = engine.load(str(mini))
    found = [(p.code, p.line, p.col) for p in repo.problems if p.file.endswith(where[0] if where else file)]
    if code is None:  # a single change cannot be out of order: nothing to report
        assert found == []
        return
    assert (code, line, col) in found, repo.problems


def test_changes_must_increase(mini: Path) -> None:
    edit(
        mini / PROGRAM,
        "        source: made up\n",
        '        source: made up\n      - from: "2023-01-01"\n        value: 30\n        source: made up\n',
    )
    problems = engine.load(str(mini)).problems
    assert [(p.code, p.line) for p in problems] == [("P004", 16)]
    assert problems[0].message == "change from 2023-01-01 is not after the previous one (2024-01-01)"


def test_clean_copy_has_no_problems(mini: Path) -> None:
    assert engine.load(str(mini)).problems == []


ZONES = [
    # an offset is no zone: the hint about ids (`utc_1`) could never work
    (
        "UTC+1",
        "S001",
        "/marketplaces/no/time_zone: `UTC+1` is not an IANA time zone",
        "use the id of the marketplace's city or region, which follows its summer time (`Europe/Berlin`, "
        "`America/New_York`); for a fixed offset, IANA's `Etc/GMT-1` (the sign is inverted: `Etc/GMT-1` is UTC+1)",
    ),
    (
        "GMT-05:00",
        "S001",
        "/marketplaces/no/time_zone: `GMT-05:00` is not an IANA time zone",
        "(the sign is inverted: `Etc/GMT+5` is UTC-5)",
    ),
    ("UTC+05:30", "S001", "/marketplaces/no/time_zone: `UTC+05:30` is not an IANA time zone", "`America/New_York`)"),
    ("UTC+0", "S001", "/marketplaces/no/time_zone: `UTC+0` is not an IANA time zone", "write `UTC`"),
    # IANA ids are case-sensitive
    ("europe/oslo", "P001", "`europe/oslo` is not an IANA time zone", "did you mean `Europe/Oslo`?"),
    ("Europe/Olso", "P001", "`Europe/Olso` is not an IANA time zone", "did you mean `Europe/Oslo`?"),
    (
        "America/New York",
        "S001",
        "/marketplaces/no/time_zone: `America/New York` is not an IANA time zone",
        "did you mean `America/New_York`?",
    ),
    (
        "Mars/Olympus_Mons",
        "P001",
        "`Mars/Olympus_Mons` is not an IANA time zone",
        "use an IANA time zone id (area/city, as the tz database spells it), such as `Europe/Berlin`",
    ),
]


@pytest.mark.parametrize("zone, code, message, hint", ZONES, ids=[z[0] for z in ZONES])
def test_a_time_zone_gets_a_hint_about_time_zones(mini: Path, zone: str, code: str, message: str, hint: str) -> None:
    text = (mini / MARKETS).read_text(encoding="utf-8")
    (mini / MARKETS).write_text(text.replace("time_zone: Europe/Oslo", f"time_zone: {zone}"), encoding="utf-8")
    problems = [p for p in engine.load(str(mini)).problems if p.file.endswith(MARKETS)]
    assert len(problems) == 1, problems
    found = problems[0]
    assert (found.code, found.message) == (code, message)
    assert found.hint.endswith(hint) or found.hint == hint, found.hint


def test_the_time_zone_pattern_is_the_schemas() -> None:
    """The schema check knows a time zone's pattern to give it time zones' hint."""
    import json

    from engine.schema.check import ZONE_PATTERN
    from support import ROOT

    schema = json.loads((ROOT / "schemas" / "marketplaces.schema.json").read_text(encoding="utf-8"))
    assert (
        schema["properties"]["marketplaces"]["additionalProperties"]["properties"]["time_zone"]["pattern"]
        == ZONE_PATTERN
    )


def test_the_locale_pattern_is_the_schemas() -> None:
    """The schema check knows a locale id's pattern to give it a hint about locale ids."""
    import json

    from engine.schema.check import LOCALE_PATTERN
    from support import ROOT

    schema = json.loads((ROOT / "schemas" / "common.schema.json").read_text(encoding="utf-8"))
    assert schema["$defs"]["locale"]["pattern"] == LOCALE_PATTERN


NUMBERS = [
    # (the value as written, the hint): the hint says what to write, by what was written
    ('"14"', "write the number without quotes"),
    ("'14'", "write the number without quotes"),
    (
        "14 days",
        "write the number alone: `14`; a unit is no part of the value: the schema's `format` (`duration-day`, "
        "`money`, `percent`) shows it on the pages",
    ),
    ('"14 days"', "write the number alone: `14`, without quotes; a unit is no part of the value: the schema's"),
    ("fourteen", "write a whole number in digits and nothing else, such as `30`"),
    ('"fourteen"', "write a whole number in digits and nothing else, such as `30`, without quotes"),
    ("14.5 days", "write a whole number in digits and nothing else, such as `30`"),
    ("€14", "write the number alone: `14`; a unit is no part of the value"),
]


@pytest.mark.parametrize("written, hint", NUMBERS, ids=[n[0] for n in NUMBERS])
def test_a_number_written_as_text_gets_a_hint_for_what_was_written(mini: Path, written: str, hint: str) -> None:
    """`value: 30 days` was told to "write the number without quotes": there were none."""
    edit(mini / OVERLAY, "value: 14", f"value: {written}")
    problems = [p for p in engine.load(str(mini)).problems if p.file.endswith(OVERLAY)]
    assert [(p.code, p.line, p.col) for p in problems] == [("P003", 5, 12)], problems
    assert problems[0].hint.startswith(hint), problems[0].hint


def test_a_long_text_for_a_number_gets_its_hint_in_one_pass(mini: Path) -> None:
    """Words, 200,000 spaces and a letter: the number after a unit was sought with two patterns
    sharing the spaces, so each space was tried with each (20,000 of them took 8 s; this many,
    minutes); far below the minute given here now."""
    edit(mini / OVERLAY, "value: 14", 'value: "a' + " " * 200_000 + 'x"')
    code = f"import engine; print([p.hint for p in engine.load({str(mini)!r}).problems if p.code == 'P003'])"
    assert finishes(code) == "['write a whole number in digits and nothing else, such as `30`, without quotes']\n"


def test_a_number_with_its_unit_is_told_the_format_shows_it(mini: Path) -> None:
    edit(
        mini / PROGRAM,
        "schema: {type: integer, minimum: 1}",
        "schema: {type: integer, minimum: 1, format: duration-day}",
    )
    edit(mini / OVERLAY, "value: 14", "value: 14 days")
    edit(mini / PROGRAM, "{over: 7, up_to: 30, fee: 0.5}", "{over: 7, up_to: 30, fee: 0.5 EUR}")
    hints = {p.file.rsplit("/", 1)[-1]: p.hint for p in engine.load(str(mini)).problems if p.code == "P003"}
    assert hints == {
        "no.yaml": "write the number alone: `14`; the schema's `format: duration-day` shows it with its unit on the pages",
        "program.yaml": "write the number alone: `0.5`",  # (a field of the value: `format` is the value's own)
    }
