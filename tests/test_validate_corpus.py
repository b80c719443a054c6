"""Every bad input in tests/corpus/invalid gives its code at its exact place (see EXPECTED)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.commands.validate import validate
from support import CORPUS, run_cli

INVALID = CORPUS / "invalid"


def _expected() -> list[tuple[str, str, int, int]]:
    rows = []
    for line in (INVALID / "EXPECTED").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, code, ln, col = line.split()
            rows.append((name, code, int(ln), int(col)))
    return rows


def test_every_corpus_file_has_an_expectation() -> None:
    listed = {row[0] for row in _expected()}
    present = {p.name for p in INVALID.glob("*.yaml")}
    assert listed == present


@pytest.mark.parametrize("name, code, line, col", _expected(), ids=[r[0] for r in _expected()])
def test_bad_input(name: str, code: str, line: int, col: int) -> None:
    outcome = validate([str(INVALID / name)])
    assert outcome.usage == []
    assert [(p.code, p.line, p.col) for p in outcome.problems][:1] == [(code, line, col)]
    first = outcome.problems[0]
    assert first.message and first.hint, "every problem says what is wrong and how to fix it"


def test_a_row_without_its_reason_is_told_at_the_row_naming_the_key() -> None:
    """docs/writing-policies.md says a row's `reason` is required; the problem says which key, at the row."""
    [problem] = validate([str(INVALID / "missing_reason.yaml")]).problems
    assert (problem.code, problem.line, problem.col) == ("S001", 13, 5)
    assert (problem.message, problem.hint) == ("/rules/1: missing required key `reason`", "add `reason:` here")


@pytest.mark.parametrize("name", sorted(p.name for p in (CORPUS / "valid").glob("*.yaml")))
def test_valid_corpus(name: str) -> None:
    assert validate([str(CORPUS / "valid" / name)]).problems == []


def test_norway_stays_a_country() -> None:
    from engine.source.loader import load_file

    data = load_file(str(CORPUS / "valid" / "norway_bool.yaml")).data
    assert data["marketplaces"]["no"]["country"] == "NO"
    assert data["marketplaces"]["no"]["site"] == "yes"


def test_all_problems_not_just_the_first(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text("kind: program\nid: Bad\nnames: {en: 1}\nmarketplaces: []\nparameters: {}\nextra: 1\n")
    codes = [(p.line, p.code) for p in validate([str(f)]).problems]
    assert codes == [(2, "S001"), (3, "S001"), (4, "S001"), (5, "S001"), (6, "S001")]


def test_no_traceback_for_any_corpus_file() -> None:
    result = run_cli("validate", *[str(p) for p in sorted(INVALID.glob("*.yaml"))])
    assert result.code == 1
    assert "Traceback" not in result.out + result.err
    assert (
        result.out.strip().splitlines()[-1]
        == f"{len(_expected())} errors in {len(_expected())} of {len(_expected())} files"
    )
