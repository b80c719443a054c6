"""Resolution: the merge rule, effective dates, provenance, history, and `show`/`history` output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import engine
from support import MINI, edit, run_cli


@pytest.fixture(scope="module")
def repo() -> engine.Repository:
    return engine.load(str(MINI))


@pytest.mark.parametrize(
    "mp, at, days, origin",
    [
        ("nl", "2023-12-31", 21, "base"),
        ("nl", "2024-01-01", 28, "base change from 2024-01-01"),  # a change applies from its date on
        ("no", "2023-12-31", 14, "overlay"),
        ("no", "2030-01-01", 14, "overlay"),  # the overlay's timeline replaces the base's, whole
    ],
)
def test_merge_rule_and_dates(repo: engine.Repository, mp: str, at: str, days: int, origin: str) -> None:
    resolved = repo.resolve("loans", mp, at)
    assert resolved.values["loan_days"] == days
    assert resolved.origin("loan_days") == origin


def test_provenance_points_at_the_value(repo: engine.Repository) -> None:
    resolved = repo.resolve("loans", "nl", "2024-06-01")
    pos = resolved.provenance("loan_days")
    assert (Path(pos.file).name, pos.line) == ("program.yaml", 14)
    assert MINI.joinpath("loans/program.yaml").read_text().splitlines()[pos.line - 1].strip() == "value: 28"


def test_history(repo: engine.Repository) -> None:
    changes = repo.history("loans")
    assert [(c.start, c.marketplace, c.parameter, c.old, c.new) for c in changes] == [
        ("2024-01-01", "nl", "loan_days", 21, 28)
    ]
    assert repo.history("loans", "no") == []


def test_unknown_ids_are_usage_errors(repo: engine.Repository) -> None:
    with pytest.raises(engine.PolicyError) as e:
        repo.resolve("nope", "nl")
    assert e.value.usage and "known: loans" in e.value.problems[0].hint
    with pytest.raises(engine.PolicyError) as e:
        repo.resolve("loans", "xx")
    assert e.value.usage and "known: nl, no" in e.value.problems[0].hint


def test_new_marketplace_is_one_overlay_file(mini: Path) -> None:
    """Adding a marketplace touches no engine code: declare it once, write one overlay."""
    edit(
        mini / "marketplaces.yaml",
        "marketplaces:\n",
        "marketplaces:\n  se:\n    country: SE\n    currency: SEK\n"
        "    time_zone: Europe/Stockholm\n    locales: [sv]\n",
    )
    (mini / "loans" / "marketplaces" / "se.yaml").write_text(
        "kind: overlay\nmarketplace: se\nparameters:\n  loan_days:\n    value: 30\n    source: made up\n"
    )
    repo = engine.load(str(mini))
    assert repo.problems == []
    assert "se" in repo.programs["loans"].marketplaces
    assert repo.resolve("loans", "se", "2024-06-01").values["loan_days"] == 30
    r = run_cli("show", "loans", "-m", "se", "--root", str(mini), "--format", "json")
    assert r.code == 0 and json.loads(r.out)["currency"] == "SEK"


def test_show_cli_provenance() -> None:
    r = run_cli(
        "show", "loans", "-m", "no", "--at", "2024-06-01", "--root", str(MINI), "--provenance", "--format", "json"
    )
    assert r.code == 0, r
    body = json.loads(r.out)
    assert body["parameters"]["loan_days"] == {
        "value": 14,
        "from": f"{MINI}/loans/marketplaces/no.yaml:5",
        "origin": "overlay",
        "source": "made up (Norway differs)",
    }


def test_show_cli_errors() -> None:
    assert run_cli("show", "loans", "-m", "xx", "--root", str(MINI)).code == 2
    assert run_cli("show", "loans", "-m", "nl", "--at", "yesterday", "--root", str(MINI)).code == 2
    r = run_cli("show", "loans", "-m", "nl", "--root", "no/such/dir")
    assert r.code == 2 and "no such folder" in r.err


@pytest.mark.parametrize("kind, said", [("a file", "a file, not a folder"), ("nothing", "no such folder")])
def test_a_root_that_is_not_a_folder_is_named_for_what_it_is(tmp_path: Path, kind: str, said: str) -> None:
    root = tmp_path / "policies"
    if kind == "a file":
        root.write_text("", encoding="utf-8")
    r = run_cli("show", "loans", "-m", "nl", "--root", str(root))
    assert r.code == 2 and f"policyctl: error: {said}: {root}\n" in r.err, r
    with pytest.raises(engine.PolicyError) as caught:  # the API says the same
        engine.load(str(root))
    assert [(p.code, p.message) for p in caught.value.problems] == [("Y001", said)]


def test_history_cli() -> None:
    r = run_cli("history", "loans", "--root", str(MINI))
    assert r.code == 0
    assert r.out == f"2024-01-01  nl   loan_days: 21 -> 28  ({MINI}/loans/program.yaml:14)\n  source: made up\n"


@pytest.mark.parametrize(
    ("assumed", "said"),
    [("        assumed: [date]\n", ["date"]), ("", ["value"]), ("        assumed: [date, value]\n", ["date", "value"])],
)
def test_history_says_what_a_change_assumes(mini: Path, assumed: str, said: list[str]) -> None:
    """`show --provenance` and `--assumptions` say which part of a value is assumed (its date, the
    value); `history` printed the date as a fact, and its JSON gave the assumption without saying
    what it is about."""
    edit(
        mini / "loans" / "program.yaml",
        "        source: made up\n",
        "        source: made up\n        assumption: a guess\n" + assumed,
    )
    r = run_cli("history", "loans", "--root", str(mini))
    assert (r.code, r.out) == (
        0,
        f"2024-01-01  nl   loan_days: 21 -> 28  ({mini}/loans/program.yaml:14; assumed: {', '.join(said)})\n"
        "  source: made up\n  assumption: a guess\n",
    )
    r = run_cli("history", "loans", "--root", str(mini), "--format", "json")
    (change,) = json.loads(r.out)
    assert (change["assumption"], change["assumed"], change["on_pages"]) == ("a guess", said, "mark")
    r = run_cli("history", "loans", "--root", str(MINI), "--format", "json")
    assert [(c["assumption"], c["assumed"], c["on_pages"]) for c in json.loads(r.out)] == [(None, None, None)]


LATER = '      - from: "2025-01-01"\n        value: 35\n        assumption: a guess\n        assumed: {}\n'


@pytest.mark.parametrize(
    "assumed, until",
    [("[date]", True), ("[date, value]", True), ("[value]", False)],  # only an assumed day is said
)
def test_show_and_history_say_a_value_holds_until_an_assumed_day(mini: Path, assumed: str, until: bool) -> None:
    """28 (from 2024) holds only until the day 35 takes its place; when that day is an assumption,
    `show --provenance` and `history` said 28 with its source and nothing more, as if it held on
    (`decide --explain` says it: `until`, `; until 2025-01-01 (date assumed)`). JSON gives the day
    a value ends whenever a change follows, its `assumption` when the day is one."""
    program = mini / "loans" / "program.yaml"
    edit(program, "        source: made up\n", "        source: made up\n" + LATER.format(assumed))
    then = {"day": "2025-01-01", "assumption": "a guess"} if until else {"day": "2025-01-01"}

    def shown(at: str, mp: str = "nl") -> dict[str, object]:
        r = run_cli("show", "loans", "-m", mp, "--at", at, "--root", str(mini), "--provenance", "--format", "json")
        assert r.code == 0, r
        found: dict[str, object] = json.loads(r.out)["parameters"]["loan_days"]
        return found

    assert shown("2024-06-01")["until"] == then
    assert shown("2023-06-01")["until"] == {"day": "2024-01-01"}  # a sourced day
    assert "until" not in shown("2025-06-01")  # none follows
    assert "until" not in shown("2024-06-01", "no")  # the overlay's own timeline: no change
    yaml_out = run_cli("show", "loans", "-m", "nl", "--at", "2024-06-01", "--root", str(mini), "--provenance").out
    assert "    until:\n      day: '2025-01-01'\n" + ("      assumption: a guess\n" if until else "") in yaml_out
    r = run_cli("history", "loans", "--root", str(mini))
    said = "; until 2025-01-01 (date assumed)" if until else ""
    assert r.out == (
        f"2024-01-01  nl   loan_days: 21 -> 28  ({mini}/loans/program.yaml:14{said})\n"
        "  source: made up\n"
        + ("  assumption (until 2025-01-01): a guess\n" if until else "")
        + f"2025-01-01  nl   loan_days: 28 -> 35  ({mini}/loans/program.yaml:17; assumed: {assumed[1:-1]})\n"
        "  assumption: a guess\n"
    )
    r = run_cli("history", "loans", "--root", str(mini), "--format", "json")
    assert [c["until"] for c in json.loads(r.out)] == [then, None]


def test_questions_refuse_a_broken_repository(mini: Path) -> None:
    edit(mini / "loans" / "program.yaml", "value: 21", "value: zero")
    r = run_cli("show", "loans", "-m", "nl", "--root", str(mini))
    assert r.code == 1 and "error[P003]" in r.err and "fix these problems first" in r.err
