"""`policyctl decide` end to end: single and batch inputs, --explain, errors and exit codes."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

import engine
from support import COLLECTED_ROW, MINI, ROOT, run_cli

POLICIES = str(ROOT / "policies")


def decide(target: str, mp: str, payload: str, *extra: str, root: str = POLICIES) -> tuple[int, str, str]:
    r = run_cli("decide", target, "-m", mp, "--at", "2024-06-01", "--input", "-", "--root", root, *extra, stdin=payload)
    return r.code, r.out, r.err


@pytest.mark.parametrize(
    "contacts, tier, fee",
    [
        (50, 1, 0.10),
        (51, 2, 0.25),  # 5% is tier 1, 5.1% tier 2 (1,000 units)
        (150, 2, 0.25),
        (151, 3, 0.50),
        (300, 3, 0.50),
        (301, 4, 0.70),
    ],
)
def test_us_fee_tier_edges_are_exact(contacts: int, tier: int, fee: float) -> None:
    code, out, _ = decide("csba.fee", "us", json.dumps({"units": 1000, "contacts": contacts}))
    assert code == 0
    outputs = json.loads(out)["outputs"]
    assert (outputs["tier"], outputs["fee_per_unit"]) == (tier, fee)


def test_five_point_zero_one_percent_is_tier_2() -> None:
    code, out, _ = decide("csba.fee", "us", json.dumps({"units": 10000, "contacts": 501}))
    assert code == 0 and json.loads(out)["outputs"]["tier"] == 2


def test_batch_is_one_result_per_line() -> None:
    lines = "\n".join(json.dumps({"units": 1000, "contacts": c}) for c in (10, 100, 200, 400)) + "\n"
    code, out, _ = decide("csba.fee", "us", lines)
    assert code == 0
    assert [json.loads(line)["outputs"]["tier"] for line in out.splitlines()] == [1, 2, 3, 4]


def test_batch_reports_bad_lines_and_goes_on() -> None:
    lines = (
        '{"units": 1000, "contacts": 10}\n{"units": "x", "contacts": 1}\nnot json\n{"units": 1000, "contacts": 400}\n'
    )
    code, out, _ = decide("csba.fee", "us", lines)
    assert code == 1
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == 4
    assert results[1]["problems"][0]["code"] == "D004" and results[1]["problems"][0]["line"] == 2
    assert results[1]["problems"][0]["message"] == '/units: expected integer, got string `"x"`'
    assert results[2]["problems"][0]["line"] == 3
    assert results[3]["outputs"]["tier"] == 4


def test_missing_field_names_its_pointer() -> None:
    code, out, _ = decide("csba.fee", "us", '{"contacts": 1}')
    assert code == 1
    [problem] = json.loads(out)["problems"]
    assert problem["code"] == "D004" and problem["message"].startswith("/units:")


def test_explain_names_rows_and_parameter_lines() -> None:
    code, out, _ = decide("csba.fee", "de", '{"units": 1000, "contacts": 40}', "--explain")
    assert code == 0
    body = json.loads(out)
    assert body["outputs"]["currency"] == "EUR" and body["outputs"]["fee_per_unit"] == 0.09
    assert body["rows"][-1]["matched"] is True
    tiers = body["params"]["fee_tiers"]
    assert tiers["origin"] == "overlay" and "policies/csba/marketplaces/de.yaml:" in tiers["from"]
    line = int(tiers["from"].rsplit(":", 1)[1])
    lines = (ROOT / "policies/csba/marketplaces/de.yaml").read_text().splitlines()
    # the value node: `value: x` on its line, or a block list starting under `value:`
    assert "value:" in lines[line - 1] or lines[line - 2].strip() == "value:"


def test_explain_as_text() -> None:
    code, out, _ = decide("csba.fee", "us", '{"units": 1000, "contacts": 40}', "--explain", "--format", "text")
    assert code == 0
    # the day and the marketplace's time zone every date was judged in
    assert out.splitlines()[0].startswith("csba.fee in us on 2024-06-01 (America/Los_Angeles): ")
    assert "rows tried:" in out and "parameters used:" in out and "policies/csba/program.yaml:" in out


@pytest.mark.parametrize(
    "payload",
    [
        '{"units": "x", "contacts": 1}',  # one object
        '{"units": 1000, "contacts": 40}\n{"units": "x", "contacts": 1}\n',  # a batch
    ],
)
def test_explain_of_rejected_inputs_is_a_d004_result_not_a_traceback(payload: str) -> None:
    for fmt in ("json", "text"):
        code, out, err = decide("csba.fee", "us", payload, "--explain", "--format", fmt)
        assert code == 1 and "Traceback" not in err and "D004" in out
    code, out, _ = decide("csba.fee", "us", payload, "--explain")
    body = json.loads(out.splitlines()[-1]) if "\n" in payload.strip() else json.loads(out)  # a batch: its last line
    assert body["problems"][0]["message"] == '/units: expected integer, got string `"x"`'
    assert (body["rows"], body["let"], body["params"]) == ([], {}, {})


@pytest.mark.parametrize(
    "target, mp, known",
    [
        ("csba.nope", "us", lambda repo: repo.programs["csba"].decisions),
        ("nope.fee", "us", lambda repo: repo.programs),
        ("csba.fee", "nowhere", lambda repo: repo.programs["csba"].marketplaces),
    ],
)
def test_unknown_ids_exit_2_with_the_known_ones(target: str, mp: str, known: Callable[[Any], Iterable[str]]) -> None:
    code, _, err = decide(target, mp, "{}")
    hint = f"known: {', '.join(sorted(known(engine.load(POLICIES))))}\n"
    assert code == 2 and hint in err and "Traceback" not in err


def test_not_program_dot_decision() -> None:
    code, _, err = decide("csba", "us", "{}")
    assert code == 2 and "PROGRAM.DECISION" in err


@pytest.mark.parametrize("given", ['{"units": 1000, "contacts": 51}', '[{"units": 1}]', "  {"])
def test_json_given_as_the_input_file_says_how_to_give_it(given: str) -> None:
    """The JSON itself in place of `--input FILE` (the first thing a new user tries): a usage error
    that shows the command with the JSON on standard input, not "No such file"."""
    r = run_cli("decide", "csba.fee", "-m", "us", "--input", given, "--root", POLICIES)
    assert r.code == 2 and "No such file" not in r.err and "Traceback" not in r.err, r.err
    assert "is JSON, not a file name" in r.err
    assert f"echo {shlex.quote(given)} | policyctl decide PROGRAM.DECISION -m us --input -" in r.err, r.err
    code, out, _ = decide("csba.fee", "us", given)  # what the hint says to do
    assert code in (0, 1) and "problems" in json.loads(out)  # an answer (or the input's problems), as JSON


def test_a_missing_input_file_is_named() -> None:
    r = run_cli("decide", "csba.fee", "-m", "us", "--input", "no-such-input.json", "--root", POLICIES)
    assert r.code == 2 and "'no-such-input.json': No such file or directory" in r.err, r.err


def test_invalid_json_exit_1() -> None:
    code, out, _ = decide("csba.fee", "us", "{units: 1}")
    assert code == 1 and json.loads(out)["problems"][0]["code"] == "D004"


def test_a_made_up_program_decides_from_yaml_only() -> None:
    code, out, _ = decide("loans.late_fee", "nl", '{"days_late": 10, "member": true}', root=str(MINI))
    assert code == 0
    body = json.loads(out)
    assert body["outputs"] == {"fee": 5.0, "status": "late"} and body["matches"] == ["banded"]


def test_a_batch_as_text_is_each_answer_after_its_input_line() -> None:
    batch = '{"days_late": 0}\n\n{"days_late": 3, "member": true}\n{"days_late": "3"}\n{"days_late": 1,\n'
    code, out, _ = decide("loans.late_fee", "no", batch, "--format", "text", root=str(MINI))
    assert code == 1  # as in JSON: an input had problems
    assert out == (
        '<stdin>:1: loans.late_fee in no on 2024-06-01 (Europe/Oslo): fee = 0, status = "on_time"\n'
        "because: Returned on time.\n"
        "\n"  # line 2 is blank: skipped, counted
        '<stdin>:3: loans.late_fee in no on 2024-06-01 (Europe/Oslo): fee = 0.75, status = "late"\n'
        "because: The fee per day follows the band.\n"
        "\n"
        "<stdin>:4: loans.late_fee in no on 2024-06-01 (Europe/Oslo): no outputs\n"
        '  <stdin>:4:15: error[D004] /days_late: expected integer, got string `"3"`\n'
        "    hint: see the decision's `inputs`\n"
        "\n"
        "<stdin>:5: loans.late_fee in no on 2024-06-01 (Europe/Oslo): no outputs\n"
        "  <stdin>:5:17: error[D004] not valid JSON: it ends inside an object\n"
        "    hint: finish it and close it with `}`\n"
    )


@pytest.mark.parametrize(
    "payload, extra, head",
    [
        ('{"days_late": 0}', (), "loans.late_fee in no on 2024-06-01 (Europe/Oslo): fee = 0"),
        ('{"days_late": 0}', ("--explain",), "loans.late_fee in no on 2024-06-01 (Europe/Oslo): fee = 0"),
        (
            '{"days_late": 0}\n{"days_late": 0}\n',
            (),
            "<stdin>:1: loans.late_fee in no on 2024-06-01 (Europe/Oslo): fee = 0",
        ),
        (
            '{"days_late": 0}\n{"days_late": 0}\n',
            ("--explain",),
            "<stdin>:1: loans.late_fee in no on 2024-06-01 (Europe/Oslo): fee = 0",
        ),
        ("bad\n", (), "loans.late_fee in no on 2024-06-01 (Europe/Oslo): no outputs"),
        ('{"days_late": 0}\nbad\n', (), "<stdin>:1: loans.late_fee in no on 2024-06-01 (Europe/Oslo): fee = 0"),
    ],
    ids=["one", "one explained", "a batch", "a batch explained", "not JSON", "a batch with a line not JSON"],
)
def test_every_text_answer_says_the_day_with_its_time_zone(payload: str, extra: tuple[str, ...], head: str) -> None:
    """Only an explained answer's head said the zone its day is in ("on 2024-06-01 (Europe/Oslo)");
    a plain answer's and a batch's said the day alone."""
    _, out, _ = decide("loans.late_fee", "no", payload, "--format", "text", *extra, root=str(MINI))
    heads = [line.split(", status", 1)[0] for line in out.splitlines() if " on 2024-06-01" in line]
    assert heads[0] == head and all("on 2024-06-01 (Europe/Oslo): " in h for h in heads), out


def test_a_batch_file_explained_as_text(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"days_late": 0}\n{"days_late": 3, "member": true}\n')
    args = ["loans.late_fee", "-m", "no", "--at", "2024-06-01", "--input", str(cases), "--root", str(MINI)]
    r = run_cli("decide", *args, "--explain", "--format", "text")
    assert r.code == 0
    answers = r.out.split("\n\n")
    assert [a.split(": ", 1)[0] for a in answers] == [f"{cases}:1", f"{cases}:2"]
    assert all("rows tried:" in a and "(Europe/Oslo)" in a for a in answers)
    assert "match  on_time" in answers[0] and "match  banded" in answers[1]


def test_an_input_that_is_not_json_is_told_as_text_when_text_is_asked() -> None:
    code, out, _ = decide("loans.late_fee", "no", "{days_late: 1}", "--format", "text", root=str(MINI))
    assert (code, out) == (
        1,
        "loans.late_fee in no on 2024-06-01 (Europe/Oslo): no outputs\n"
        "  <stdin>:1:2: error[D004] not valid JSON: the key `days_late` is not in double quotes\n"
        '    hint: write `"days_late"`\n',
    )


SEVERAL = (
    "for several inputs, give one JSON object per line (JSON Lines) instead of an array: each line is "
    "answered on its own (a table of them: `--input rows.jsonl --output answers.jsonl`)"
)


@pytest.mark.parametrize(
    ("payload", "extra", "line"),
    [
        ('[{"days_late": 0}, {"days_late": 3}]', (), 1),
        ('[\n  {"days_late": 0},\n  {"days_late": 3}\n]\n', (), 1),  # pretty-printed: one document
        ("[]", ("--explain",), 1),
        ('{"days_late": 0}\n[{"days_late": 3}]\n', (), 2),  # a batch's line (as the service's batch says it)
        ('{"days_late": 0}\n[{"days_late": 3}]\n', ("--format", "text"), 2),
    ],
)
def test_an_array_of_inputs_is_refused_with_how_to_give_several(
    payload: str, extra: tuple[str, ...], line: int
) -> None:
    """An array was refused with the hint "see the decision's `inputs`", which says nothing of how
    `decide` takes several inputs (and `--format text` showed no hint at all)."""
    code, out, _ = decide("loans.late_fee", "no", payload, *extra, root=str(MINI))
    assert code == 1
    hint = SEVERAL if line == 1 else "one JSON object per line: each object of the array on a line of its own"
    if "text" in extra:
        assert f"<stdin>:{line}: loans.late_fee in no on 2024-06-01 (Europe/Oslo): no outputs\n" in out
        assert (
            f'  <stdin>:{line}:1: error[D004] /: expected an object of inputs, got array `[{{"days_late": 3}}]`\n'
            f"    hint: {hint}\n" in out
        )
        return
    body = json.loads(out.splitlines()[-1]) if line > 1 else json.loads(out)
    [problem] = body["problems"]
    assert (problem["line"], problem["code"], problem["hint"]) == (line, "D004", hint), problem
    assert problem["message"].startswith("/: expected an object of inputs, got array `["), problem


def test_an_array_in_an_input_file_is_refused_with_how_to_give_several(tmp_path: Path) -> None:
    cases = tmp_path / "cases.json"
    cases.write_text('[{"days_late": 0}, {"days_late": 3}]\n', encoding="utf-8")
    args = ["loans.late_fee", "-m", "no", "--at", "2024-06-01", "--input", str(cases), "--root", str(MINI)]
    r = run_cli("decide", *args)
    [problem] = json.loads(r.out)["problems"]
    assert (r.code, problem["file"], problem["code"], problem["hint"]) == (1, str(cases), "D004", SEVERAL)


def test_engine_names_no_program() -> None:
    """The engine is generic: no program's name or vocabulary in engine/."""
    import re

    words = re.compile(r"\bcsba\b|seller.?fulfilled|contacts.?per.?unit|\bloans\b|cs_guidelines", re.I)
    for path in (ROOT / "engine").rglob("*.py"):
        assert not words.findall(path.read_text(encoding="utf-8")), path


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--map", "units=shipped"], "--map names the columns of a table, which is answered into --output FILE"),
        (["--output", "o.jsonl", "--map", "units=a", "--map", "units=b"], "`--map` names the input `units` twice"),
        (["--output", "o.jsonl", "--format", "text"], "--format is for answers printed here"),
        (["--output", "o.jsonl", "--explain"], "a table's answers have no --explain"),
    ],
)
def test_table_options_that_would_be_ignored_are_usage_errors(tmp_path: Path, extra: list[str], said: str) -> None:
    """The last `--map` of an input won silently, `--format text` was ignored, and `--map` without
    `--output` was refused as if `--explain` had been given."""
    rows = tmp_path / "rows.csv"
    rows.write_text("units\n5\n", encoding="utf-8")
    run = run_cli(
        "decide", "csba.fee", "-m", "us", "--input", str(rows), *extra, "--root", str(ROOT / "policies"), cwd=tmp_path
    )
    assert run.code == 2 and said in run.err, run
    assert not (tmp_path / "o.jsonl").exists()


@pytest.mark.parametrize(("rows", "answers"), [("rows.csv", "o.parquet"), ("rows.jsonl", "o.jsonl")])
def test_a_table_without_pyarrow_is_a_usage_error_naming_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: str, answers: str
) -> None:
    """Without the `data` extra a table's run printed `ModuleNotFoundError: No module named
    'pyarrow'` with a traceback and exit 1: pyarrow is imported where a table is read, after the
    check that was meant to say which extra to install."""
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import fails, as where it is not installed
    (tmp_path / rows).write_text("units\n5\n" if rows.endswith(".csv") else '{"units": 5}\n', encoding="utf-8")
    run = run_cli(
        "decide", "csba.fee", "-m", "us", "--input", rows, "--output", answers, "--root", POLICIES, cwd=tmp_path
    )  # fmt: skip
    assert run.code == 2, run
    assert run.err == (
        "policyctl: error: reading tables needs `pyarrow`\n  hint: install it with `pip install 'policyctl[data]'`\n"
    )
    assert not (tmp_path / answers).exists()


@pytest.mark.parametrize("form", ["one", "one explained", "batch", "bundle", "table"])
def test_a_json_answer_says_the_day_and_zone_it_answered_for(
    form: str, init_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without `--explain`, a JSON answer (one, a batch's line, from a bundle, a JSON Lines table's
    row) did not say which day's rules gave it: without `--at` that is today in the marketplace's
    time zone, not on the machine's clock, and a script could not tell (/v1/decide's answers say it)."""
    import datetime as dt
    import io
    import sys

    from engine import start
    from engine.model import clock

    moment = dt.datetime(2025, 1, 1, 4, 59, tzinfo=dt.timezone.utc)  # 23:59 on Dec 31 in New York
    monkeypatch.setattr(clock, "host", lambda: moment)
    source = tmp_path / "in.jsonl"
    source.write_text('{"days_since_delivery": 40}\n{"days_since_delivery": 3}\n', encoding="utf-8")
    args = ["decide", "returns.return_allowed", "-m", "us", "--root", str(init_repo)]
    if form.startswith("one"):
        explain = ["--explain"] if "explained" in form else []
        answers = [json.loads(run_cli(*args, "--input", "-", *explain, stdin='{"days_since_delivery": 40}').out)]
    elif form == "batch":
        answers = [json.loads(line) for line in run_cli(*args, "--input", str(source)).out.splitlines()]
    elif form == "bundle":  # the fast path, without click
        bundle = tmp_path / "policies.bundle"
        assert run_cli("bundle", "--root", str(init_repo), "--out", str(bundle)).code == 0
        printed = io.StringIO()
        monkeypatch.setattr(sys, "stdout", printed)
        code = start.answer([*args[:4], "--bundle", str(bundle), "--input", str(source)])
        assert code == 0
        answers = [json.loads(line) for line in printed.getvalue().splitlines()]
    else:  # a JSON Lines table's output is what `decide` prints for each row
        out = tmp_path / "out.jsonl"
        assert run_cli(*args, "--input", str(source), "--output", str(out)).code == 0
        answers = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert answers and all((a["at"], a["time_zone"]) == ("2024-12-31", "America/New_York") for a in answers)
    assert answers[0]["outputs"]["allowed"] is False  # (2024's window, 30 days: the day it says)
    if "explained" not in form:
        assert all(list(a)[-3:] == ["problems", "at", "time_zone"] for a in answers)  # as /v1/decide's, then


def _answers(out: str) -> list[dict[str, Any]]:
    """`decide`'s JSON answers: one pretty-printed object, or a batch's one a line."""
    try:
        return [json.loads(out)]
    except json.JSONDecodeError:
        return [json.loads(line) for line in out.splitlines()]


@pytest.mark.parametrize("fmt", ["json", "text"])
@pytest.mark.parametrize("lines", [["0"], ["0", "3"], ["3", "0"]], ids=["one", "batch", "batch, second line"])
@pytest.mark.parametrize(
    ("when", "code"), [("false", 0), ("days_since_delivery > 1000", 1)], ids=["always false", "false here"]
)
def test_an_explained_answer_is_the_answer(init_repo: Path, lines: list[str], fmt: str, when: str, code: int) -> None:
    """A `collect` row's outputs' lets are computed before its `when` (docs/writing-policies.md),
    but a row whose `when` is always false (D002) is skipped, lets and all. `--explain` skipped
    none: it met a division by zero (D005) the answer never computes, printed that error in place
    of the answer and exited 1. Explained or not: the same answer, problems and exit code (a row
    whose `when` is false for these inputs only is tried, and its `let` fails in both)."""
    decision = init_repo / "policies" / "returns" / "decisions" / "return_allowed.yaml"
    text = decision.read_text(encoding="utf-8")
    decision.write_text(text.replace("hit: first\nrules:\n", COLLECTED_ROW.format(when=when), 1), encoding="utf-8")
    payload = "".join(f'{{"days_since_delivery": {n}}}\n' for n in lines)
    args = ["decide", "returns.return_allowed", "-m", "us", "--at", "2024-06-01", "--input", "-", "--format", fmt]
    plain = run_cli(*args, "--root", str(init_repo), stdin=payload)
    explained = run_cli(*args, "--explain", "--root", str(init_repo), stdin=payload)
    assert plain.code == explained.code == code, (plain, explained)
    failed = "`let` `ratio`: `100 // days_since_delivery` failed: division by zero"
    assert (failed in plain.out) == (failed in explained.out) == bool(code), (plain, explained)
    if fmt == "json":
        said = ("decision", "outputs", "matches", "reasons", "default_used", "problems")
        answers, explanations = _answers(plain.out), _answers(explained.out)
        assert len(answers) == len(explanations) == len(lines)
        assert [{k: a[k] for k in said} for a in answers] == [{k: a[k] for k in said} for a in explanations]
