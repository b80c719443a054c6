"""A value's `note` (what its author says a reader of it should know: "null: no restriction is
known", not "no region is eligible") is evidence: `decide --explain` (JSON and text), a bundle's
explanation and the service's explained answer say it beside `source` and `assumption`, under the
key `show --provenance` gives it. `history` says what each change rests on (its `source`,
`assumption` and `note`) in the lines `decide --explain` says them in: one way to say evidence."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.bundle.make import make
from engine.service.app import App, Limits
from engine.service.logs import Log
from engine.service.state import Source
from support import ROOT, call, edit, fits, published, run_cli

ELIGIBLE_FR = {
    "seller_type": "professional",
    "account_in_good_standing": True,
    "business_region": "FR",
    "accepted_terms": True,
}
# (decision, marketplace, day, input, parameter read, whether its value in force has a note)
READS = [
    # a null whose note says it is "not known", not "none": the answer (eligible) rests on that
    ("csba.eligibility", "de", "2024-06-01", ELIGIBLE_FR, "eligible_business_regions", True),
    # an assumption with no note: said as before, with no note line
    ("csba.eligibility", "de", "2024-06-01", ELIGIBLE_FR, "required_seller_type", False),
    ("csba.fee", "us", "2024-06-01", {"units": 1000, "contacts": 40}, "currency", True),  # sourced, noted
    ("csba.fee", "us", "2024-06-01", {"units": 1000, "contacts": 40}, "min_units_for_cpu", False),  # both, no note
]
IDS = [f"{r[0]}-{r[1]}-{r[4]}" for r in READS]


def _explain(decision: str, mp: str, at: str, given: dict[str, Any], fmt: str, *bundle: str) -> str:
    args = ("decide", decision, "-m", mp, "--at", at, "--input", "-", "--explain", "--format", fmt, *bundle)
    run = run_cli(*args, stdin=json.dumps(given), cwd=ROOT)
    assert run.code == 0, run
    return run.out


def _shown(mp: str, at: str, program: str, name: str) -> dict[str, Any]:
    run = run_cli("show", program, "-m", mp, "--at", at, "--provenance", "--format", "json", cwd=ROOT)
    assert run.code == 0, run
    found: dict[str, Any] = json.loads(run.out)["parameters"][name]
    return found


@pytest.fixture(scope="module")
def bundle_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's policies as a bundle (made once: the cases only read it)."""
    path = tmp_path_factory.mktemp("evidence") / "policies.bundle"
    path.write_bytes(make(engine.load(str(ROOT / "policies"))))
    return path


@pytest.mark.parametrize("decision, mp, at, given, name, noted", READS, ids=IDS)
def test_explain_says_a_values_note_as_show_does(
    decision: str, mp: str, at: str, given: dict[str, Any], name: str, noted: bool
) -> None:
    """The explanation gave a read's `source` and `assumption` but not its `note`, which `show
    --provenance` gives and which says what the value means (DE's null regions: unknown, not "none
    eligible"): a reader of the answer could not learn it without the repository."""
    shown = _shown(mp, at, decision.split(".")[0], name)
    read = json.loads(_explain(decision, mp, at, given, "json"))["params"][name]
    assert ("note" in read, "note" in shown) == (noted, noted)
    for key in ("source", "assumption", "note"):  # the same keys, the same words
        assert read.get(key) == shown.get(key), key
    text = _explain(decision, mp, at, given, "text").splitlines()
    head = next(i for i, line in enumerate(text) if line.startswith(f"  {name} = "))
    block = list(itertools.takewhile(lambda line: line.startswith("    "), text[head + 1 :]))
    # each on a line of its own, in full, in the order `show --provenance` gives them
    assert block == [f"    {k}: {' '.join(shown[k].split())}" for k in ("source", "assumption", "note") if k in shown]
    assert any(line.startswith("    note: ") for line in block) == noted


@pytest.mark.parametrize("decision, mp, at, given, name, noted", READS[::2], ids=IDS[::2])
def test_a_bundles_and_the_services_explanation_say_the_repositorys_note(
    bundle_file: Path, decision: str, mp: str, at: str, given: dict[str, Any], name: str, noted: bool
) -> None:
    """A bundle keeps each value's note (format 3): its explanation says it as the repository's,
    word for word in JSON and text, and so does the service's answer, which fits the schema it
    publishes (a `note` it did not declare is refused there: `additionalProperties: false`)."""
    for fmt in ("json", "text"):
        assert _explain(decision, mp, at, given, fmt, "--bundle", str(bundle_file)) == _explain(
            decision, mp, at, given, fmt
        )
    theirs = json.loads(_explain(decision, mp, at, given, "json"))
    assert theirs["params"][name]["note"]
    source = Source(str(bundle_file), None)
    source.load()
    app = App(source, Limits(), Log(io.StringIO()), poll=0)
    program, name_of = decision.split(".")
    path = f"/v1/decide/{program}/{name_of}"
    request = {"input": given, "marketplace": mp, "at": at, "explain": True}
    status, _, body = call(app, "POST", path, json.dumps(request).encode())
    served = json.loads(body)
    schema = published(app, path, 200)
    assert status == 200 and not fits(schema, served), fits(schema, served)
    assert fits(schema, {**served, "params": {name: {**served["params"][name], "note": 1}}})  # a note is text
    assert served.pop("revision") and served == theirs


CHANGE = "        source: made up\n"
# what the change of `loan_days` says (its YAML after `value: 28`), what `history` prints under it,
# what of it is assumed and its JSON `note`
HISTORY = {
    "sourced": (CHANGE, "  source: made up\n", None, None),
    "noted": (
        CHANGE + "        note: the 2024 leaflet\n",
        "  source: made up\n  note: the 2024 leaflet\n",
        None,
        "the 2024 leaflet",
    ),
    "assumed, with no source": (
        "        assumption: a guess\n        note: asked the desk\n",
        "  assumption: a guess\n  note: asked the desk\n",
        "value",
        "asked the desk",
    ),
    "a note over lines, in full on one": (
        CHANGE + "        note: |-\n          one\n          two\n",
        "  source: made up\n  note: one two\n",
        None,
        "one\ntwo",
    ),
}


@pytest.mark.parametrize("case", list(HISTORY))
def test_history_says_what_each_change_rests_on(mini: Path, case: str) -> None:
    """`history` gave a change's `file:line` and whether it is assumed, not its source: a sourced
    change and one nobody sourced read alike. Under each change now, its source, assumption and
    note, as `decide --explain` says them of a value read; JSON gives `note` beside them."""
    written, said, assumed, note = HISTORY[case]
    edit(mini / "loans" / "program.yaml", CHANGE, written)
    r = run_cli("history", "loans", "--root", str(mini))
    marks = f"; assumed: {assumed}" if assumed else ""
    assert (r.code, r.out) == (
        0,
        f"2024-01-01  nl   loan_days: 21 -> 28  ({mini}/loans/program.yaml:14{marks})\n{said}",
    )
    (change,) = json.loads(run_cli("history", "loans", "--root", str(mini), "--format", "json").out)
    assert change["note"] == note  # (as written: JSON keeps its line breaks)


def test_history_of_the_starter_says_each_source(init_starter: Path) -> None:
    """As a new repository's author first meets it (`policyctl init`, then `history`)."""
    r = run_cli("history", "returns", cwd=init_starter)
    assert (r.code, r.out) == (
        0,
        "2025-01-01  de   return_window_days: 30 -> 45  (policies/returns/program.yaml:23)\n"
        "  source: the returns policy, 2025 edition\n"
        "2025-01-01  us   return_window_days: 30 -> 45  (policies/returns/program.yaml:23)\n"
        "  source: the returns policy, 2025 edition\n",
    )
    rows = json.loads(run_cli("history", "returns", "--format", "json", cwd=init_starter).out)
    assert [(c["source"], c["assumption"], c["note"]) for c in rows] == [
        ("the returns policy, 2025 edition", None, None)
    ] * 2


def test_the_readmes_samples_of_explain_and_history_are_real_runs(init_repo: Path) -> None:
    """README shows what `decide --explain --format text` and `history` say of a value's evidence
    in the starter with two assumptions and a note (as it says how it was made): each sample is
    what the commands print there, line for line."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    program = init_repo / "policies/returns/program.yaml"
    edit(
        program,
        "        source: the returns policy, 2025 edition\n",
        "        source: the returns policy, 2025 edition\n"
        "        assumption: The policy gives no date for the 45 days; the start of 2025 is assumed.\n"
        "        assumed: [date]\n",
    )
    history = run_cli("history", "returns", "-m", "us", cwd=init_repo)
    assert history.code == 0 and f"```text\n$ policyctl history returns -m us\n{history.out}```\n" in readme, history
    edit(
        program,
        "    value: false\n    source: the returns policy, 2024 edition\n",
        "    value: false\n    assumption: Nobody has confirmed who pays for the label.\n"
        "    note: Support tells buyers the label is free when they ask; the policy does not say.\n",
    )
    args = ("decide", "returns.return_allowed", "-m", "us", "--at", "2024-06-01", "--input", "-", "--explain")
    explained = run_cli(*args, "--format", "text", stdin='{"days_since_delivery": 3}', cwd=init_repo)
    said = explained.out[explained.out.index("parameters used:\n") :]
    assert explained.code == 0 and f"```text\n{said}```\n" in readme, explained
