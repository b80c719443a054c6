"""`decide --explain` says which parameters it used are assumptions (principle 2), as `show
--provenance` and `history` do, from a repository and from a bundle; and the value a decision read on
another day with `param_on` is named with that day's entry (it was listed as the value on `at`)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from engine.service.app import App, Limits
from engine.service.logs import Log
from engine.service.state import Source
from support import call, edit, fits, published, run_cli

ASSUMED_DATE = "The policy gives no date for the 45 days; the start of 2025 is assumed."
ASSUMED_VALUE = "Nobody has confirmed who pays for the label."
NOTE = "Legal is asked for the day."


@pytest.fixture(scope="module")
def repo(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter, its dated change's day and a value marked as assumptions, and a decision
    output read with `param_on` (a copy, made once for the module: the cases only read it)."""
    import shutil

    top = tmp_path_factory.mktemp("explained") / "repo"
    shutil.copytree(init_starter, top)
    program = top / "policies/returns/program.yaml"
    edit(
        program,
        "        source: the returns policy, 2025 edition\n",
        f"        source: the returns policy, 2025 edition\n        assumption: {ASSUMED_DATE}\n"
        f"        assumed: [date]\n        note: {NOTE}\n",
    )
    edit(
        program,
        "    value: false\n    source: the returns policy, 2024 edition\n",
        f"    value: false\n    assumption: {ASSUMED_VALUE}\n    on_pages: omit\n",
    )
    decision = top / "policies/returns/decisions/return_allowed.yaml"
    edit(
        decision,
        'free_shipping: "= params.free_return_shipping"}',
        "free_shipping: \"= params.free_return_shipping\", window_then: \"= param_on('return_window_days', '2024-06-01')\","
        " window_later: \"= param_on('return_window_days', '2025-06-01')\"}",
    )
    edit(
        decision,
        "  free_shipping: {type: boolean}\n",
        "  free_shipping: {type: boolean}\n  window_then: {type: integer}\n  window_later: {type: integer}\n",
    )
    assert run_cli("validate", cwd=top).code == 0
    assert run_cli("bundle", "--out", "policies.bundle", cwd=top).code == 0
    return top


def _explain(repo: Path, fmt: str, bundle: bool) -> str:
    args = ["decide", "returns.return_allowed", "-m", "us", "--at", "2025-03-01", "--input", "-", "--explain"]
    args += ["--format", fmt] + (["--bundle", "policies.bundle"] if bundle else [])
    run = run_cli(*args, stdin='{"days_since_delivery": 3}', cwd=repo)
    assert run.code == 0, run
    return run.out


@pytest.mark.parametrize("bundle", [False, True])
def test_explain_as_json_marks_the_assumptions_it_used(repo: Path, bundle: bool) -> None:
    body = json.loads(_explain(repo, "json", bundle))
    params = body["params"]
    window, shipping = params["return_window_days"], params["free_return_shipping"]
    assert (window["value"], window["origin"], window["assumption"], window["assumed"]) == (
        45,
        "base change from 2025-01-01 (date assumed)",
        ASSUMED_DATE,
        ["date"],
    )
    assert window["note"] == NOTE  # what its author says of it, beside its source and assumption
    assert (shipping["value"], shipping["assumption"], shipping["assumed"]) == (False, ASSUMED_VALUE, ["value"])
    [on, later] = body["params_on"]  # read on another day: the 2024 value, sourced, not today's assumed one
    assert on == {  # (in force until an assumed day)
        "parameter": "return_window_days",
        "on": "2024-06-01",
        "value": 30,
        "from": "policies/returns/program.yaml:18",
        "origin": "base",
        "source": "the returns policy, 2024 edition",
        "until": {"day": "2025-01-01", "assumption": ASSUMED_DATE},
    }
    assert later == {  # and one in force by an assumed date: its origin says so, from a repository too
        "parameter": "return_window_days",
        "on": "2025-06-01",
        "value": 45,
        "from": "policies/returns/program.yaml:23",
        "origin": "base change from 2025-01-01 (date assumed)",
        "source": "the returns policy, 2025 edition",
        "assumption": ASSUMED_DATE,
        "assumed": ["date"],
        "note": NOTE,
    }


@pytest.mark.parametrize("bundle", [False, True])
def test_explain_as_text_marks_the_assumptions_it_used(repo: Path, bundle: bool) -> None:
    out = _explain(repo, "text", bundle)
    assert (
        "  return_window_days = 45    [policies/returns/program.yaml:23, base change from 2025-01-01 (date assumed)]\n"
        in out
    )
    assert "  free_return_shipping = false    [policies/returns/program.yaml:31, base; assumed: value]\n" in out
    assert (
        "parameters read on other days:\n"
        "  return_window_days on 2024-06-01 = 30    [policies/returns/program.yaml:18, base; until 2025-01-01"
        " (date assumed)]\n"
        "    source: the returns policy, 2024 edition\n"
        f"    assumption (until 2025-01-01): {ASSUMED_DATE}\n"
        "  return_window_days on 2025-06-01 = 45    [policies/returns/program.yaml:23, base change from 2025-01-01"
        " (date assumed)]\n"
        "    source: the returns policy, 2025 edition\n"
        f"    assumption: {ASSUMED_DATE}\n"
        f"    note: {NOTE}\n"
    ) in out


SOURCED_2024 = "    source: the returns policy, 2024 edition\n"
SOURCED_2025 = "    source: the returns policy, 2025 edition\n"
SHIPPING_ASSUMED = (
    "  free_return_shipping = false    [policies/returns/program.yaml:31, base; assumed: value]\n"
    f"    assumption: {ASSUMED_VALUE}\n"
)
ON_OTHER_DAYS = (  # the window read with `param_on`: until an assumed day, and from it
    "parameters read on other days:\n"
    "  return_window_days on 2024-06-01 = 30    [policies/returns/program.yaml:18, base; until 2025-01-01"
    " (date assumed)]\n"
    f"{SOURCED_2024}    assumption (until 2025-01-01): {ASSUMED_DATE}\n"
    "  return_window_days on 2025-06-01 = 45    [policies/returns/program.yaml:23, base change from 2025-01-01"
    " (date assumed)]\n"
    f"{SOURCED_2025}    assumption: {ASSUMED_DATE}\n    note: {NOTE}\n"
    "rests on assumptions: free_return_shipping, return_window_days\n"
)
SHOWN = {  # (repository, day): what the text says of each parameter read, word for word
    # sourced values, one until a confirmed day
    ("starter", "2024-03-01"): "parameters used:\n"
    f"  free_return_shipping = false    [policies/returns/program.yaml:28, base]\n{SOURCED_2024}"
    f"  return_window_days = 30    [policies/returns/program.yaml:18, base; until 2025-01-01]\n{SOURCED_2024}",
    # an assumed value (no source: none shown), and a sourced one until an assumed day
    ("assumed", "2024-03-01"): f"parameters used:\n{SHIPPING_ASSUMED}"
    "  return_window_days = 30    [policies/returns/program.yaml:18, base; until 2025-01-01 (date assumed)]\n"
    f"{SOURCED_2024}    assumption (until 2025-01-01): {ASSUMED_DATE}\n{ON_OTHER_DAYS}",
    # a dated change in force from an assumed day: sourced, and its day an assumption
    ("assumed", "2025-03-01"): f"parameters used:\n{SHIPPING_ASSUMED}"
    "  return_window_days = 45    [policies/returns/program.yaml:23, base change from 2025-01-01 (date assumed)]\n"
    f"{SOURCED_2025}    assumption: {ASSUMED_DATE}\n    note: {NOTE}\n{ON_OTHER_DAYS}",
}


@pytest.mark.parametrize("which, at", list(SHOWN))
def test_explain_as_text_says_each_values_source_or_assumption(
    request: pytest.FixtureRequest, which: str, at: str
) -> None:
    """Each parameter read says, under its `file:line`, where its value comes from (`source`) and
    why it is assumed (`assumption`), as JSON does: the text gave only `file:line` and the marks, so
    a person could not tell a sourced value's source without opening the file, and a value that
    holds until a confirmed day did not say so."""
    top = request.getfixturevalue("init_starter" if which == "starter" else "repo")
    out = _explained(top, "text", False, at, 3)
    assert out[out.index("parameters used:\n") :] == SHOWN[(which, at)]


@pytest.mark.parametrize(
    "days, used",
    [
        (0, ["free_return_shipping"]),  # `days <= 0 or ...`: the window is not read
        (3, ["free_return_shipping", "return_window_days"]),
    ],
)
def test_explain_lists_the_parameters_read_not_those_named(init_repo: Path, days: int, used: list[str]) -> None:
    """ "parameters used" were those the expressions run name, read or not (`a or params.x` when `a`
    is true, the name given to `param_on`, which reads another day's value): an answer was said to
    rest on values it never read, such as an assumed one (`policyctl diff` marks answers by them)."""
    decision = init_repo / "policies/returns/decisions/return_allowed.yaml"
    edit(
        decision,
        'when: "days_since_delivery <= params.return_window_days"',
        'when: "days_since_delivery <= 0 or days_since_delivery <= params.return_window_days"',
    )
    edit(
        decision,
        'free_shipping: "= params.free_return_shipping"}',
        "free_shipping: \"= params.free_return_shipping\", window_then: \"= param_on('return_window_days', '2024-06-01')\"}",
    )
    edit(
        decision,
        "  free_shipping: {type: boolean}\n",
        "  free_shipping: {type: boolean}\n  window_then: {type: integer}\n",
    )
    args = ["decide", "returns.return_allowed", "-m", "us", "--at", "2025-03-01", "--input", "-", "--explain"]
    run = run_cli(*args, stdin=json.dumps({"days_since_delivery": days}), cwd=init_repo)
    assert run.code == 0, run
    body = json.loads(run.out)
    assert sorted(body["params"]) == used
    assert [(p["parameter"], p["on"]) for p in body["params_on"]] == [("return_window_days", "2024-06-01")]


def _explained(repo: Path, fmt: str, bundle: bool, at: str, days: int) -> str:
    args = ["decide", "returns.return_allowed", "-m", "us", "--at", at, "--input", "-", "--explain", "--format", fmt]
    run = run_cli(
        *args,
        *(["--bundle", "policies.bundle"] if bundle else []),
        stdin=json.dumps({"days_since_delivery": days}),
        cwd=repo,
    )
    assert run.code == 0, run
    return run.out


RESTS = {  # (day, days since delivery): what the answer rests on, as the text's last line says it
    # 45 in force from an assumed day; the 2024 value read with `param_on`, which holds until it;
    # the shipping, an assumed value
    ("2025-03-01", 3): "rests on assumptions: free_return_shipping, return_window_days",
    # 30, in force until an assumed day (no assumed date of its own): read on the answer's day too
    ("2024-03-01", 40): "rests on an assumption: return_window_days",
}


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("at, days", list(RESTS))
def test_explain_from_a_bundle_says_what_the_repository_says_of_assumptions(
    repo: Path, fmt: str, at: str, days: int
) -> None:
    """A bundle kept no day of its values' changes, so an assumed date was no assumption to it (the
    answer rested on none, where the repository's rested on it). Both now say the same, word for
    word, and say what the answer rests on."""
    from_repo, from_bundle = (_explained(repo, fmt, bundle, at, days) for bundle in (False, True))
    assert from_repo == from_bundle
    if fmt == "text":
        assert from_repo.splitlines()[-1] == RESTS[(at, days)]
    else:
        names = [r["parameter"] for r in json.loads(from_repo)["rests_on"]]
        assert ", ".join(names) in RESTS[(at, days)]


@pytest.mark.parametrize("at", ["2024-03-01", "2025-03-01", "2025-06-01"])
def test_a_bundles_answers_rest_on_what_the_repositorys_do(repo: Path, at: str) -> None:
    """``reads``/``assumptions`` (what `diff`, the pages and `--explain` judge by) from a bundle's
    timeline give what they give from the repository: the day each value took effect, the value
    that follows it."""
    import engine
    from engine.decisions.explain import assumptions, reads

    found = []
    for source in (engine.load(str(repo / "policies")), engine.load_bundle(str(repo / "policies.bundle"))):
        result = source.decide("returns", "return_allowed", {"days_since_delivery": 3}, "us", at)
        found.append(assumptions(reads(result.explain(), source.resolve("returns", "us", at))))
    assert found[0] == found[1]
    assert (
        dict(found[0])["return_window_days"]
        == {
            "2024-03-01": ("until", "date"),  # 30 until the assumed day; 45 (`param_on` 2025-06-01) from it
            "2025-03-01": ("date", "until"),  # 45 from the assumed day; 30 (`param_on` 2024-06-01) until it
            "2025-06-01": ("date", "until"),
        }[at]
    )


def test_explain_marks_a_value_that_holds_until_an_assumed_day(repo: Path) -> None:
    """A value in force until the day the next one takes effect, when that day is an assumption,
    was stated as a fact: it may already have been replaced."""
    out = _explained(repo, "text", False, "2024-03-01", 3)
    until = "; until 2025-01-01 (date assumed)]"
    assert f"  return_window_days = 30    [policies/returns/program.yaml:18, base{until}\n" in out
    assert f"  return_window_days on 2024-06-01 = 30    [policies/returns/program.yaml:18, base{until}\n" in out
    body = json.loads(_explained(repo, "json", False, "2024-03-01", 3))
    assert body["params"]["return_window_days"]["until"] == {"day": "2025-01-01", "assumption": ASSUMED_DATE}
    assert body["rests_on"] == [  # (the 45 read with `param_on` on 2025-06-01: from the assumed day)
        {"parameter": "free_return_shipping", "assumed": ["value"]},
        {"parameter": "return_window_days", "assumed": ["until", "date"]},
    ]


def test_explain_of_a_problem_says_the_assumption_it_rests_on(init_repo: Path) -> None:
    """An answer that is a problem because of an assumed value (a window of 0 days divides by zero)
    rests on it as an answer would."""
    program = init_repo / "policies/returns/program.yaml"
    edit(program, "        value: 45\n", "        value: 0\n        assumption: zero?\n")
    edit(program, "        source: the returns policy, 2025 edition\n", "")
    decision = init_repo / "policies/returns/decisions/return_allowed.yaml"
    edit(
        decision,
        'free_shipping: "= params.free_return_shipping"}',
        'free_shipping: "= params.free_return_shipping", per_day: "= 10 // params.return_window_days"}',
    )
    edit(
        decision, "  free_shipping: {type: boolean}\n", "  free_shipping: {type: boolean}\n  per_day: {type: integer}\n"
    )
    args = ["decide", "returns.return_allowed", "-m", "us", "--at", "2026-01-01", "--input", "-", "--explain"]
    run = run_cli(*args, "--format", "json", stdin='{"days_since_delivery": 0}', cwd=init_repo)
    body = json.loads(run.out)
    assert [p["code"] for p in body["problems"]] == ["D005"]
    assert body["rests_on"] == [{"parameter": "return_window_days", "assumed": ["value"]}]
    text = run_cli(*args, "--format", "text", stdin='{"days_since_delivery": 0}', cwd=init_repo).out
    assert text.endswith("rests on an assumption: return_window_days\n"), text


@pytest.mark.parametrize("bundle", [False, True])
def test_explain_gives_the_day_a_value_ends(init_repo: Path, bundle: bool) -> None:
    """JSON `until` gives the day the next change takes effect whenever one follows (a client that
    keeps an answer knows until when each value read holds), with its `assumption` only when that
    day is assumed; the text says the same day (it said only an assumed one), and the answer
    rests on nothing."""
    if bundle:
        assert run_cli("bundle", "--out", "policies.bundle", cwd=init_repo).code == 0
    body = json.loads(_explained(init_repo, "json", bundle, "2024-03-01", 3))
    assert body["params"]["return_window_days"]["until"] == {"day": "2025-01-01"}
    assert "until" not in body["params"]["free_return_shipping"]  # no change follows
    assert body["rests_on"] == []
    text = _explained(init_repo, "text", bundle, "2024-03-01", 3)
    assert "  return_window_days = 30    [policies/returns/program.yaml:18, base; until 2025-01-01]\n" in text, text


SOURCED = {  # (day, days since delivery): the source of the window read, as both answers give it
    ("2024-03-01", 3): "the returns policy, 2024 edition",  # sourced, until an assumed day
    ("2025-03-01", 3): "the returns policy, 2025 edition",  # sourced, from an assumed day
    ("2025-03-01", 50): "the returns policy, 2025 edition",  # too late: the second row
}


@pytest.mark.parametrize("at, days", list(SOURCED))
def test_explain_json_from_a_bundle_gives_each_values_source_as_the_repositorys(repo: Path, at: str, days: int) -> None:
    """Each parameter read says where its value comes from (`source`, as `show --provenance`),
    beside an assumption where it is one; a bundle kept no source, so its answers, the service's
    among them, could not say it: the repository's JSON and the bundle's are now the same, and so
    is the service's from the bundle."""
    from_repo, from_bundle = (json.loads(_explained(repo, "json", bundle, at, days)) for bundle in (False, True))
    assert from_repo == from_bundle
    window, shipping = from_repo["params"]["return_window_days"], from_repo["params"].get("free_return_shipping")
    assert window["source"] == SOURCED[(at, days)]
    if shipping is not None:  # an assumption, with no source: said so, never given one
        assert "source" not in shipping and shipping["assumption"] == ASSUMED_VALUE
    if days < 45:  # (the first row's outputs read the window on two other days too)
        on, later = from_repo["params_on"]
        assert (on["source"], later["source"]) == (
            "the returns policy, 2024 edition",
            "the returns policy, 2025 edition",
        )
    source = Source(str(repo / "policies.bundle"), None)
    source.load()
    app = App(source, Limits(), Log(io.StringIO()), poll=0)
    request = {"input": {"days_since_delivery": days}, "marketplace": "us", "at": at, "explain": True}
    status, _, body = call(app, "POST", "/v1/decide/returns/return_allowed", json.dumps(request).encode())
    served = json.loads(body)
    assert status == 200 and served.pop("revision")
    assert served == from_repo


@pytest.mark.parametrize("at", ["2024-03-01", "2025-03-01"])
def test_a_bundle_resolves_each_values_evidence_as_the_repository(repo: Path, at: str) -> None:
    """``Bundle.resolve`` gives each entry's `source`, `note`, assumption and `on_pages` as
    ``Repository.resolve`` does (a bundle's were None, and `mark`), and so do ``entry_on`` and
    ``following``."""
    import engine

    theirs = engine.load(str(repo / "policies")).resolve("returns", "us", at)
    ours = engine.load_bundle(str(repo / "policies.bundle"), here=False).resolve("returns", "us", at)

    def said(entry: engine.Entry | None) -> tuple[object, ...] | None:
        if entry is None:
            return None
        return (entry.value, entry.start, entry.source, entry.note, entry.assumption, entry.assumed, entry.on_pages)

    for name in theirs.entries:
        assert said(ours.entries[name]) == said(theirs.entries[name])
        assert said(ours.following(name, at)) == said(theirs.following(name, at))
        assert said(ours.entry_on(name, "2025-06-01")[0]) == said(theirs.entry_on(name, "2025-06-01")[0])
    assert said(ours.entry_on("return_window_days", "2025-06-01")[0]) == (
        45,
        "2025-01-01",
        "the returns policy, 2025 edition",
        NOTE,
        ASSUMED_DATE,
        ("date",),
        "mark",
    )
    assert said(ours.entries["free_return_shipping"]) == (False, None, None, None, ASSUMED_VALUE, ("value",), "omit")


@pytest.fixture(scope="module")
def served(repo: Path) -> App:
    """The service answering from ``repo``'s bundle (made once for the module: the cases only ask)."""
    source = Source(str(repo / "policies.bundle"), None)
    source.load()
    return App(source, Limits(), Log(io.StringIO()), poll=0)


DECIDE = "/v1/decide/returns/return_allowed"


@pytest.mark.parametrize(
    "at, days",
    [
        ("2024-03-01", 3),  # an assumed value; a sourced one until an assumed day; `param_on` reads
        ("2025-03-01", 3),  # a dated change from an assumed day
        ("2025-03-01", 50),  # the second row: no `param_on`, the shipping not read
    ],
)
def test_the_services_explained_answers_fit_the_schema_it_publishes(served: App, at: str, days: int) -> None:
    """The published schema describes what an explained answer says of each parameter read, on
    its day (`params`) and on another (`params_on`), field for field and nothing else: `params_on`'s
    items declared only `parameter`, `on` and `value` and allowed anything, so a client could not
    learn from it where a value read with `param_on` comes from, or that it is an assumption."""
    request = {"input": {"days_since_delivery": days}, "marketplace": "us", "at": at, "explain": True}
    status, _, data = call(served, "POST", DECIDE, json.dumps(request).encode())
    answer = json.loads(data)
    schema = published(served, DECIDE, 200)
    assert status == 200 and not fits(schema, answer), fits(schema, answer)
    query = f"marketplace=us&at={at}&explain=true"  # a batch's answer line: the same schema, with `line`
    status, _, data = call(
        served, "POST", DECIDE.replace("decide", "batch"), json.dumps(request["input"]).encode(), query
    )
    line = json.loads(data)
    assert status == 200 and line.pop("line") == 1 and line == answer
    batch = published(served, DECIDE.replace("decide", "batch"), 200, "application/x-ndjson")
    assert not fits(batch, {"line": 1, **line})
    reads = [*answer["params"].values(), *answer.get("params_on", ())]
    # what each read says is all the schema declares, and a field it does not declare is refused
    assert {key for r in reads for key in r} <= {
        "parameter",
        "on",
        "value",
        "from",
        "origin",
        "source",
        "assumption",
        "assumed",
        "note",
        "until",
    }
    for where in ["params", "params_on"] if days < 45 else ["params"]:
        first = answer[where][0] if where == "params_on" else next(iter(answer[where].values()))
        for changed in ({**first, "unknown": 1}, {k: v for k, v in first.items() if k != "from"}):
            wrong = {**answer, where: [changed] if where == "params_on" else {"x": changed}}
            assert fits(schema, wrong), (where, changed)


def test_the_published_schema_of_a_read_is_one_definition(served: App) -> None:
    """`params` and `params_on` items describe the same fields with the same words (one definition),
    `params_on`'s with the parameter's name and the day it was read on."""
    spec = json.loads(call(served, "GET", "/v1/openapi.json")[2])["components"]["schemas"]
    read, read_on = spec["ParameterRead"], spec["ParameterReadOn"]
    assert {k: v for k, v in read_on["properties"].items() if k not in ("parameter", "on")} == read["properties"]
    assert read["additionalProperties"] is False and read_on["additionalProperties"] is False
    assert set(read["properties"]) == {"value", "from", "origin", "source", "assumption", "assumed", "note", "until"}


def test_a_source_is_said_on_one_line_whatever_it_holds(init_repo: Path) -> None:
    """A source written over several lines reads as one, and a control character in it (a terminal
    escape) is shown as an escape, not sent to the terminal: the text is one line per line written."""
    program = init_repo / "policies/returns/program.yaml"
    edit(
        program,
        "    value: false\n    source: the returns policy, 2024 edition\n",
        '    value: false\n    source: "the returns\\n  policy\\e[31m, 2024"\n',
    )
    out = _explained(init_repo, "text", False, "2024-03-01", 3)
    assert "  free_return_shipping = false    [policies/returns/program.yaml:28, base]\n" in out
    assert "\n    source: the returns policy\\x1b[31m, 2024\n" in out and "\x1b" not in out


def test_history_says_a_changes_evidence_in_explains_words(repo: Path) -> None:
    """`history` said a change's `file:line` and marks but not what it rests on; now it says the
    lines `decide --explain` says under the same value read (its source, the assumption of its
    day, its note), word for word, each one indent below its head in both."""
    history = run_cli("history", "returns", "-m", "us", cwd=repo)
    assert history.code == 0, history
    assert history.out == (
        "2025-01-01  us   return_window_days: 30 -> 45  (policies/returns/program.yaml:23; assumed: date)\n"
        f"  source: the returns policy, 2025 edition\n  assumption: {ASSUMED_DATE}\n  note: {NOTE}\n"
    )
    explained = _explained(repo, "text", False, "2025-03-01", 3).splitlines()
    head = explained.index(
        "  return_window_days = 45    [policies/returns/program.yaml:23, base change from 2025-01-01 (date assumed)]"
    )
    said = [line.removeprefix("  ") for line in history.out.splitlines()[1:]]  # (each one indent deeper)
    assert [line.removeprefix("    ") for line in explained[head + 1 : head + 1 + len(said)]] == said
    (change,) = json.loads(run_cli("history", "returns", "-m", "us", "--format", "json", cwd=repo).out)
    assert (change["source"], change["assumption"], change["note"]) == (
        "the returns policy, 2025 edition",
        ASSUMED_DATE,
        NOTE,
    )
