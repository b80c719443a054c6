"""What `resolve` (and `history`), `decide` in its outputs, an explanation and a result's `replay`
hand out is the caller's to keep or change: changing it never alters a later answer, of a bundle
(whose answers are kept) or of a repository (whose values are its programs' own), whatever the
value's kind (a number, a list, a dict)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import pytest

import engine
from engine.bundle.make import make

AT, LATER = "2024-06-01", "2024-07-01"

PARAMETERS = """
  excluded_categories:
    description: Categories that cannot be returned.
    schema: {type: array, items: {type: string}}
    value: [food]
    source: the returns policy, 2024 edition
    changes:
      - from: "2025-01-01"
        value: [food, music]
        source: the returns policy, 2025 edition
  restocking_fee:
    description: The fee kept per category.
    schema: {type: object, additionalProperties: {type: integer}}
    value: {books: 2}
    source: the returns policy, 2024 edition
"""

DECISION = """kind: decision
id: excluded
title: Is the category excluded?
description: Some categories cannot be returned.
inputs:
  category: {type: string, description: The item's category.}
required: [category]
hit: first
let:
  fees: "params.restocking_fee"
rules:
  - id: excluded
    when: "category in params.excluded_categories and fees != none"
    reason: The category is excluded.
    then: {excluded: true, window: "= params.return_window_days", categories: "= params.excluded_categories",
           fees: "= params.restocking_fee"}
  - id: allowed
    when: "category not in params.excluded_categories"
    reason: The category may be returned.
    then: {excluded: false, window: "= params.return_window_days"}
outputs:
  excluded: {type: boolean}
  window: {type: integer}
  categories: {type: array, items: {type: string}}
  fees: {type: object}
"""


class Asked(Protocol):  # a Repository or a Bundle: what both answer
    def resolve(self, program: str, marketplace: str, at: str | None = None) -> Any: ...
    def decide(self, program: str, decision: str, inputs: dict[str, object], marketplace: str, at: str) -> Any: ...


@pytest.fixture(scope="module")
def top(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    here = tmp_path_factory.mktemp("handed-out") / "repo"
    shutil.copytree(init_starter / "policies", here / "policies")
    program = here / "policies" / "returns" / "program.yaml"
    program.write_text(program.read_text(encoding="utf-8") + PARAMETERS, encoding="utf-8")
    (here / "policies" / "returns" / "decisions" / "excluded.yaml").write_text(DECISION, encoding="utf-8")
    return here


def _repo(top: Path) -> engine.Repository:
    repo = engine.load(top / "policies")
    assert repo.problems == []
    return repo


def _bundle(top: Path) -> engine.Bundle:
    path = top / "policies.bundle"
    path.write_bytes(make(_repo(top)))
    return engine.load_bundle(path)


def _answer(asked: Asked) -> tuple[object, ...]:
    rule = asked.resolve("returns", "us", at=LATER)
    return (
        asked.decide("returns", "return_allowed", {"days_since_delivery": 20}, "us", LATER).outputs,
        asked.decide("returns", "excluded", {"category": "food"}, "us", LATER).outputs,
        asked.decide("returns", "excluded", {"category": "books"}, "us", LATER).outputs,
        rule.values,
        {name: entry.value for name, entry in rule.entries.items()},
        rule.entry_on("excluded_categories", LATER)[0].value,
        rule.following("excluded_categories", LATER).value,
    )


def _change_values(asked: Asked) -> None:
    rule = asked.resolve("returns", "us", at=AT)
    rule.values["return_window_days"] = 0
    rule.values["excluded_categories"].append("books")
    rule.values["restocking_fee"]["books"] = 99
    rule.values.pop("free_return_shipping")


def _change_entries(asked: Asked) -> None:
    rule = asked.resolve("returns", "us", at=AT)
    rule.entries["excluded_categories"].value.append("books")
    rule.entries["restocking_fee"].value.clear()
    rule.entries.pop("return_window_days")


def _change_timeline(asked: Asked) -> None:
    rule = asked.resolve("returns", "us", at=AT)
    rule.entry_on("excluded_categories", AT)[0].value.append("books")
    rule.following("excluded_categories", AT).value.clear()


def _change_outputs(asked: Asked) -> None:
    """An output that is a parameter's list or mapping (`= params.excluded_categories`), as decide
    and its explanation give it: it was the parameter's own."""
    for day in (AT, LATER):
        result = asked.decide("returns", "excluded", {"category": "food"}, "us", day)
        for outputs in (result.outputs, result.explain().result.outputs):
            outputs["categories"].append("books")
            outputs["fees"]["books"] = 99


def _change_explained(asked: Asked) -> None:
    """What an explanation holds (the parameters read, a `let` of one, its JSON) and a result's
    ``replay``: each was the list or mapping later answers read."""
    for day in (AT, LATER):
        explained = asked.decide("returns", "excluded", {"category": "food"}, "us", day).explain()
        explained.params["excluded_categories"].append("books")
        explained.lets["fees"]["books"] = 99
        shown = explained.to_json()["params"]["excluded_categories"]  # (its value, its place)
        (shown["value"] if isinstance(shown, dict) else shown).append("toys")
        replay = asked.decide("returns", "excluded", {"category": "toys"}, "us", day).replay
        replay[2]["excluded_categories"].append("books")
        replay[2].clear()


CHANGES: dict[str, Callable[[Asked], None]] = {
    "explanation, replay": _change_explained,
    "outputs": _change_outputs,
    "values": _change_values,
    "entries": _change_entries,
    "entry_on, following": _change_timeline,
}


@pytest.mark.parametrize("load", [_repo, _bundle], ids=["repository", "bundle"])
@pytest.mark.parametrize("change", list(CHANGES))
def test_a_callers_change_to_what_resolve_gave_alters_no_later_answer(
    top: Path, load: Callable[[Path], Asked], change: str
) -> None:
    expected = _answer(load(top))
    asked = load(top)
    CHANGES[change](asked)  # before any answer: the values are read (and kept) after the change
    assert _answer(asked) == expected
    CHANGES[change](asked)  # after: the kept answers are not the caller's
    assert _answer(asked) == expected
    assert _answer(load(top)) == expected  # nor another load's (its documents may be the memo's)


def test_a_callers_change_to_a_change_of_history_alters_no_later_answer(top: Path) -> None:
    repo = _repo(top)
    expected = _answer(repo)
    (change,) = [c for c in repo.history("returns", "us") if c.parameter == "excluded_categories"]
    change.old.append("books")
    change.new.clear()
    change.entry.value.append("books")
    assert _answer(repo) == expected


def test_only_outputs_that_may_be_a_list_or_mapping_are_copied(top: Path) -> None:
    """The copy is paid where an output's schema allows a list or a mapping: a number, a text, a
    boolean or an `enum` of such costs nothing on the decision's path."""
    repo = _repo(top)
    copied = re.findall(r"'(\w+)': _own\(", repo.compiled("returns", "excluded").source)
    assert sorted(set(copied)) == ["categories", "fees"]
    assert "_own(" not in repo.compiled("returns", "return_allowed").source
