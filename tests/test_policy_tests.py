"""`policyctl test`: cases, the summary line, JUnit, coverage, generated boundary checks, examples."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from support import FEE_BAND, FEE_BAND_CASES, MINI, ROOT, edit, run_cli

CASES = "loans/tests/late_fee.yaml"


def _banded(mini: Path) -> Path:
    (mini / "loans/decisions/fee_band.yaml").write_text(FEE_BAND, encoding="utf-8")
    (mini / "loans/tests/fee_band.yaml").write_text(FEE_BAND_CASES, encoding="utf-8")
    return mini


# -- running cases and the summary line ------------------------------------------------------------


@pytest.mark.parametrize(
    "args, last, code",
    [
        ([], "3 passed, 0 failed", 0),
        (["-k", "SEVEN"], "1 passed, 0 failed", 0),
        (["--fail-under", "50"], "3 passed, 0 failed", 0),
        (["--fail-under", "100"], "3 passed, 0 failed", 1),
        (["--boundaries"], "3 passed, 0 failed", 0),  # late_fee reports no band directly: nothing to check
    ],
)
def test_summary_is_the_last_line(args: list[str], last: str, code: int) -> None:
    r = run_cli("test", str(MINI), *args)
    assert r.out.splitlines()[-1] == last
    assert r.code == code


def test_keyword_matching_no_case_is_a_usage_error() -> None:
    """`-k` with a typo must not look like a clean run (`0 passed, 0 failed`, exit 0)."""
    r = run_cli("test", str(MINI), "-k", "no such case")
    assert r.code == 2 and r.out == ""
    assert "no test case matches `-k no such case`" in r.err


@pytest.mark.parametrize("where", ["loans/program.yaml", "loans/decisions", "marketplaces.yaml"])
def test_a_path_holding_no_case_is_a_usage_error(where: str) -> None:
    """As `-k`: `policyctl test policies/returns/program.yaml` (a program file for its tests) said
    `0 passed, 0 failed` and exit 0."""
    r = run_cli("test", str(MINI / where))
    assert r.code == 2 and r.out == "" and f"no test case in `{MINI / where}`" in r.err, r


def test_path_selects_one_file(mini: Path) -> None:
    _banded(mini)
    r = run_cli("test", str(mini / "loans/tests/fee_band.yaml"))
    assert (r.code, r.out) == (0, "1 passed, 0 failed\n")
    assert run_cli("test", "--root", str(mini)).out == "4 passed, 0 failed\n"


def test_failure_shows_expected_actual_and_place(mini: Path) -> None:
    edit(mini / CASES, "expect: {fee: 1.75}", "expect: {fee: 1.5, status: late, matches: [on_time]}")
    r = run_cli("test", str(mini))
    file = mini / CASES
    assert r.code == 1
    assert r.out == (
        f"FAIL {file}:9: seven days is the first band\n"
        '  loans.late_fee · nl · 2024-05-01 · input {"days_late": 7, "member": true}\n'
        "  fee: expected 1.5, got 1.75\n"
        '  matches: expected ["on_time"], got ["banded"]\n'
        "  rows matched: banded\n"
        "2 passed, 1 failed\n"
    )


def test_missing_output_and_bad_input_are_failures_not_crashes(mini: Path) -> None:
    edit(mini / CASES, "expect: {status: refer}", "expect: {status: refer, fee: 0}")
    edit(mini / CASES, "input: {days_late: 0, member: true}", 'input: {days_late: "zero", member: true}')
    r = run_cli("test", str(mini))
    assert r.code == 1
    assert "  fee: expected 0, got (no such output)\n" in r.out
    # at the input itself, as `validate` says it (it was at the case's first line, 3:5), and once:
    # not again in the repository's problems on stderr
    assert f'  {mini / CASES}:7:24: error[D004]: /days_late: expected integer, got string `"zero"`\n' in r.out
    assert "D004" not in r.err
    assert r.out.endswith("1 passed, 2 failed\n")


@pytest.mark.parametrize(
    "old, new, said",
    [
        (
            "    decision: late_fee\n    marketplace: no",
            "    decision: late\n    marketplace: no",
            "17:15: error[T002]: `loans` has no decision `late`\n    hint: known decisions: late_fee\n",
        ),
        (
            "    marketplace: no\n",
            "    marketplace: nz\n",
            "18:18: error[T002]: `loans` is not offered in marketplace `nz`\n    hint: use one of: nl, no\n",
        ),
    ],
)
def test_unknown_decision_fails_the_case_and_the_run(mini: Path, old: str, new: str, said: str) -> None:
    """Said once, with the failed case, where `validate` says it and in its words: it was also at
    the case's first line with another hint, and again in the repository's problems on stderr."""
    edit(mini / CASES, old, new)
    r = run_cli("test", str(mini))
    assert r.code == 1
    assert f"  {mini / CASES}:{said}" in r.out, r.out
    assert r.out.count("T002") == 1 and "T002" not in r.err, r
    assert r.out.endswith("2 passed, 1 failed\n")


@pytest.mark.parametrize("args", [["nowhere"], ["--fail-under", "150"], ["--root", "nowhere"], ["--bogus"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert run_cli("test", *args).code == 2


def test_path_outside_a_policies_folder(tmp_path: Path) -> None:
    r = run_cli("test", str(tmp_path))
    assert r.code == 2
    assert "is not inside a policies folder" in r.err


# -- JUnit -----------------------------------------------------------------------------------------


def test_junit_structure(mini: Path, tmp_path: Path) -> None:
    edit(mini / CASES, "expect: {fee: 1.75}", "expect: {fee: 2}")
    out = tmp_path / "junit.xml"
    r = run_cli("test", str(mini), "--junit", str(out))
    assert r.code == 1
    root = ET.parse(out).getroot()
    assert (root.tag, root.get("tests"), root.get("failures")) == ("testsuites", "3", "1")
    [suite] = root
    assert (suite.get("name"), suite.get("tests"), suite.get("failures")) == ("loans", "3", "1")
    cases = [(c.get("classname"), c.get("name"), c.get("line"), [f.get("message") for f in c]) for c in suite]
    assert cases == [
        ("loans.late_fee", "on time costs nothing", "3", []),
        ("loans.late_fee", "seven days is the first band", "9", ["fee: expected 2, got 1.75"]),
        ("loans.late_fee", "non-members are referred", "16", []),
    ]
    # (no checkout: from the repository's top, the folder above this policies/, in the text too)
    assert suite[1].get("file") == f"policies/{CASES}"
    assert (suite[1][0].text or "").startswith(f"FAIL policies/{CASES}:9: seven days is the first band\n")


def test_junit_unwritable_file_is_a_usage_error(tmp_path: Path) -> None:
    r = run_cli("test", str(MINI), "--junit", str(tmp_path / "missing" / "j.xml"))
    assert r.code == 2
    assert "cannot write" in r.err


# -- coverage --------------------------------------------------------------------------------------


def test_coverage_lists_unreached_rows_and_bands_with_file_line(mini: Path) -> None:
    edit(mini / CASES, "input: {days_late: 3, member: false}", "input: {days_late: 31, member: true}")
    edit(mini / CASES, "expect: {status: refer}", "expect: {status: late}")
    r = run_cli("test", str(mini), "--coverage")
    program = mini / "loans/program.yaml"
    assert r.out == (
        "coverage: 2 of 3 rows, 2 of 3 tier bands: 66.6%\n"
        "  loans:\n"
        f"    {mini / 'loans/decisions/late_fee.yaml'}:16: row `not_member` of `late_fee` is never matched\n"
        f"    {program}:30: band 2 (over 7, up to 30) of `late_fee_bands` (nl, no) is never reached by `late_fee`"
        " (`tier(params.late_fee_bands, days_late)`)\n"
        "3 passed, 0 failed\n"
    )
    assert r.code == 0
    assert run_cli("test", str(mini), "--fail-under", "66").code == 0
    assert run_cli("test", str(mini), "--fail-under", "67").code == 1


def test_overlay_bands_need_cases_in_their_marketplace(mini: Path) -> None:
    overlay = mini / "loans/marketplaces/no.yaml"
    overlay.write_text(
        overlay.read_text(encoding="utf-8")
        + (
            "  late_fee_bands:\n"
            "    value:\n"
            "      - {over: null, up_to: 10, fee: 0.2}\n"
            "      - {over: 10, up_to: null, fee: 0.4}\n"
        ),
        encoding="utf-8",
    )
    r = run_cli("test", str(mini), "--coverage")
    assert r.out.startswith("coverage: 3 of 3 rows, 2 of 5 tier bands: 62.5%\n")
    assert f"{overlay}:10: band 2 (over 10) of `late_fee_bands` (no) is never reached" in r.out
    assert f"{overlay}:9:" not in r.out  # the `no` case (3 days late) is in the overlay's first band


def test_repository_is_fully_covered(chdir_root: Path) -> None:
    r = run_cli("test", "--coverage", "--boundaries", "--fail-under", "100")
    assert r.code == 0, r.out
    assert r.out.splitlines()[-2].endswith(": 100% (required: 100%)"), r.out
    assert r.out.splitlines()[-1].endswith(" passed, 0 failed")


# -- generated boundary checks ---------------------------------------------------------------------


def test_boundaries_pass_when_rows_agree_with_the_table(mini: Path) -> None:
    r = run_cli("test", str(_banded(mini)), "--boundaries", "-v")
    assert r.code == 0, r.out
    assert "boundaries of late_fee_bands at 7 (nl, from `a week late is the first band`)" in r.out
    assert "boundaries of late_fee_bands at 30 (nl, from `a week late is the first band`)" in r.out
    assert r.out.endswith("6 passed, 0 failed\n")


@pytest.mark.parametrize(
    "file, old, new, point, row, line",
    [
        # a row written with `<` where the table says `up_to: 7` (inclusive)
        ("loans/decisions/fee_band.yaml", "days_late <= 7", "days_late < 7", 7, "medium", 13),
        # a band edited under rows that still say 7
        (
            "loans/program.yaml",
            "up_to: 7, fee: 0.25}\n      - {over: 7,",
            "up_to: 6, fee: 0.25}\n      - {over: 6,",
            7,
            "short",
            9,
        ),
    ],
)
def test_broken_boundary_is_caught(mini: Path, file: str, old: str, new: str, point: int, row: str, line: int) -> None:
    edit(_banded(mini) / file, old, new)
    r = run_cli("test", str(mini), "--boundaries", "-k", "week")
    assert r.code == 1
    decision = mini / "loans/decisions/fee_band.yaml"
    assert f"{decision}:{line}:5: error[T003]: at days_late = {point} row `{row}` gives fee = " in r.out, r.out
    assert "hint: compare the row's condition (`<` or `<=`?) with the band's `over`/`up_to`" in r.out


def test_boundary_points_are_below_at_and_above(mini: Path) -> None:
    _banded(mini)
    edit(mini / "loans/decisions/fee_band.yaml", "days_late <= 30", "days_late < 30")
    r = run_cli("test", str(mini), "--boundaries", "-k", "week")
    assert (
        "  below: days_late = 29, band 2, row medium\n"
        "  at: days_late = 30, band 2, row long\n"
        "  above: days_late = 31, band 3, row long\n"
    ) in r.out
    assert r.out.endswith("2 passed, 1 failed\n")


@pytest.fixture(scope="module")
def banded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the made-up repository with `fee_band` (read only: cases give their tests file
    as a buffer, `--stdin-filename`)."""
    dest = tmp_path_factory.mktemp("banded") / "policies"
    shutil.copytree(MINI, dest)
    return _banded(dest)


@pytest.mark.parametrize(
    "declaration, at, message, hint",
    [
        (
            "{parameter: late_fee_band, outputs: [fee]}",
            "late_fee_band,",
            "`loans` has no `tiers: true` parameter `late_fee_band`",
            "did you mean `late_fee_bands`?",
        ),
        (
            "{parameter: loan_days, outputs: [fee]}",
            "loan_days",
            "`loan_days` is not a `tiers: true` parameter",
            "`tiers: true` parameters of `loans`: late_fee_bands",
        ),
        (
            "{parameter: late_fee_bands, vary: days, outputs: [fee]}",
            "days,",
            "`fee_band` has no numeric input `days`",
            "did you mean `days_late`?",
        ),
        (
            "{parameter: late_fee_bands, outputs: [fees]}",
            "fees",
            "`fee_band` has no output `fees`",
            "did you mean `fee`?",
        ),
        (
            "{parameter: late_fee_bands, outputs: {fee: fees}}",
            "fees",
            "the bands of `late_fee_bands` have no key `fees`",
            "did you mean `fee`?",
        ),
        (
            "{parameter: late_fee_bands, outputs: {fe: fee}}",
            "fe:",
            "`fee_band` has no output `fe`",
            "did you mean `fee`?",
        ),
    ],
)
def test_validate_checks_what_boundaries_names(
    banded: Path, declaration: str, at: str, message: str, hint: str
) -> None:
    """A `boundaries:` naming what its program or decision lacks passed `validate` (the pre-commit
    hook): only `test --boundaries` said so, at `boundaries:`, and a misspelt band key failed every
    edge with T003's "compare the row's condition" hint. Now T002 at the name, as for `expect`."""
    text = FEE_BAND_CASES.replace("{parameter: late_fee_bands, outputs: [fee]}", declaration)
    line = text.splitlines()[8]
    tests = banded / "loans/tests/fee_band.yaml"
    r = run_cli("validate", "--stdin-filename", str(tests), stdin=text)
    assert r.code == 1, r
    col = line.index(at) + 1
    assert f"{tests}:9:{col}: error[T002]: `boundaries`: {message}\n  hint: {hint}\n" in r.out, r.out


def test_validate_checks_a_boundaries_value_expression(mini: Path) -> None:
    tests = _banded(mini) / "loans/tests/fee_band.yaml"
    assert run_cli("validate", str(mini)).code == 0
    edit(tests, "outputs: [fee]}", 'value: "day_late * 2", outputs: [fee]}')
    r = run_cli("validate", str(mini))
    col = tests.read_text(encoding="utf-8").splitlines()[8].index("day_late") + 1
    assert (
        r.code == 1 and f"{tests}:9:{col}: error[E002]: unknown name `day_late`; did you mean `days_late`?" in r.out
    ), r


def test_derived_checks_use_tier_calls(mini: Path) -> None:
    """late_fee reads its band through `tier()`; an output that is the band's key is checked."""
    edit(
        mini / "loans/decisions/late_fee.yaml",
        "      status: late\n",
        '      status: late\n      per_day: "= band.fee"\n',
    )
    r = run_cli("test", str(mini), "--boundaries", "-v")
    assert "boundaries of late_fee_bands at 7 (nl, from `on time costs nothing`)" in r.out
    assert r.code == 0


# -- worked examples for pages ---------------------------------------------------------------------


def test_examples_for_pages() -> None:
    from engine import load
    from engine.policytests.cases import examples

    repo = load(str(MINI))
    assert examples(repo, "loans", "nl", "2024-05-01") == [
        {
            "name": "seven days is the first band",
            "description": None,
            "decision": "late_fee",
            "title": "Late fee for a returned book",
            "marketplace": "nl",
            "at": "2024-05-01",
            "input": {"days_late": 7, "member": True},
            "outputs": {"fee": 1.75, "status": "late"},
            "matches": ["banded"],
            "reasons": ["The fee per day follows the band."],
        }
    ]
    assert examples(repo, "loans", "no", None) == []
    assert examples(repo, "nothing", "nl") == []


def test_same_compares_like_an_author() -> None:
    from engine.policytests.cases import same

    assert same(0.3, 0.1 * 3)
    assert not same(1, True)
    assert not same("1", 1)
    assert same({"a": [1, 2.0]}, {"a": [1.0, 2]})
    assert not same([1], [1, 2])


def test_repository_root_is_the_default(chdir_root: Path) -> None:
    assert (ROOT / "policies").is_dir()
    r = run_cli("test", "-k", "this matches no case at all")
    # the repository was found and read: its cases were searched (and none matched, a usage error)
    assert (r.code, r.out) == (2, "")
    assert "no test case matches `-k this matches no case at all`" in r.err


def test_a_junit_report_is_well_formed_whatever_a_name_holds(mini: Path, tmp_path: Path) -> None:
    """A control character in a case's name (YAML's "\\x01") went into the XML as is: CI's JUnit
    reader refused the whole report."""
    import xml.etree.ElementTree as ET

    cases = next((mini / "loans" / "tests").glob("*.yaml"))
    text = cases.read_text(encoding="utf-8")
    first = text.split("- name: ", 1)[1].split("\n", 1)[0]
    cases.write_text(text.replace(f"- name: {first}", '- name: "odd \\x01 name"', 1), encoding="utf-8")
    report = tmp_path / "report.xml"
    run_cli("test", "--root", str(mini), "--junit", str(report))
    names = [case.get("name") for case in ET.parse(report).iter("testcase")]
    assert "odd \\x01 name" in names, names


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        (
            "input: {days_late: 0, member: true}",
            "input: {days_lat: 0, member: true}",
            "`late_fee` has no input `days_lat`",
        ),
        ("expect: {fee: 0, status: on_time}", "expect: {fees: 0, status: on_time}", "`late_fee` has no output `fees`"),
        ("expect: {fee: 0, status: on_time}", "expect: {fee: 0, matches: [ontime]}", "`late_fee` has no row `ontime`"),
    ],
)
def test_validate_finds_a_case_naming_what_its_decision_has_not(mini: Path, old: str, new: str, said: str) -> None:
    """Only `policyctl test` failed such a case; `validate` (the pre-commit hook) passed it."""
    cases = mini / "loans" / "tests" / "late_fee.yaml"
    edit(cases, old, new)
    run = run_cli("validate", str(mini))
    assert run.code == 1 and f"error[T002]: {said}" in run.out and "did you mean" in run.out, run


INPUTS = [
    # (the case's input as written, where the problem is, its message, its hint)
    (
        "{days_late: zero, member: true}",
        (7, 24),
        '/days_late: expected integer, got string `"zero"`',
        "write a whole number in digits and nothing else, such as `30`",
    ),
    (
        '{days_late: "0", member: true}',
        (7, 24),
        '/days_late: expected integer, got string `"0"`',
        "write the number without quotes",
    ),
    (
        "{days_late: 3 days, member: true}",
        (7, 24),
        '/days_late: expected integer, got string `"3 days"`',
        "write the number alone: `3`",
    ),
    (
        "{days_late: -1, member: true}",
        (7, 24),
        "/days_late: expected at least 0, got `-1`",
        "see the `inputs` of `late_fee` in",
    ),
    (
        "{days_late: 0, member: yes}",
        (7, 35),
        '/member: expected boolean, got string `"yes"`',
        "see the `inputs` of `late_fee` in",
    ),
    ("{member: true}", (7, 12), "/days_late: missing; this input is required", "see the `inputs` of `late_fee` in"),
]


@pytest.mark.parametrize("written, where, message, hint", INPUTS, ids=[i[0] for i in INPUTS])
def test_validate_checks_a_cases_input_at_the_input(
    mini: Path, written: str, where: tuple[int, int], message: str, hint: str
) -> None:
    """`units: fifty` passed validate; only `test` failed it, at the case's first line."""
    edit(mini / CASES, "input: {days_late: 0, member: true}", f"input: {written}")
    checked = run_cli("validate", str(mini))
    line, col = where
    said = f"{mini / CASES}:{line}:{col}: error[D004]: {message}\n  hint: {hint}"
    assert checked.code == 1 and said in checked.out, checked.out
    assert checked.out.count("error[") == 1, checked.out
    tested = run_cli("test", str(mini))  # the same problem, at the same place, with the case
    assert tested.code == 1 and f"  {mini / CASES}:{line}:{col}: error[D004]: {message}\n    hint: {hint}" in tested.out


def test_a_tests_file_with_errors_counts_its_cases_as_not_run(mini: Path, tmp_path: Path) -> None:
    """One schema error in a tests file and none of its cases ran, yet the summary said "N passed,
    0 failed": the run named no case that did not run."""
    edit(mini / CASES, 'at: "2024-05-01"', 'at: "2024-02-30"')
    r = run_cli("test", str(mini), "--junit", str(tmp_path / "junit.xml"))
    assert r.code == 1 and "error[S001]: /cases/0/at: `2024-02-30` is not a day of the calendar" in r.err
    assert r.out == f"0 passed, 0 failed, 3 not run ({mini / CASES} has errors)\n"
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "1")
    assert root[0][0][0].tag == "error" and "`2024-02-30` is not a day of the calendar" in str(
        root[0][0][0].get("message")
    )
    selected = run_cli("test", str(mini), "-k", "first band", "--format", "json")
    body = json.loads(selected.out)
    assert selected.code == 1 and (body["ok"], body["passed"], body["failed"]) == (False, 0, 0)
    assert body["not_run"] == [
        {"file": str(mini / CASES), "program": "loans", "cases": 1, "errors_in": str(mini / CASES)}
    ]
    (mini / CASES).write_text("kind: tests\ncases: [\n", encoding="utf-8")  # not even YAML: how many is unknown
    assert run_cli("test", str(mini)).out == f"0 passed, 0 failed, their cases not run ({mini / CASES} has errors)\n"


PROGRAM, OVERLAY, DECISION = (
    "returns/program.yaml",
    "returns/marketplaces/de.yaml",
    "returns/decisions/return_allowed.yaml",
)
STARTER_CASES = "returns/tests/return_allowed.yaml"
LEFT_OUT = [
    # (file edited, old, new, cases run and passed, cases not run, the first error of the file: line:col and message)
    (
        PROGRAM,
        "value: 30\n",
        "value: thirty\n",
        0,
        5,
        '18:12: parameter `return_window_days`: expected integer, got string `"thirty"`',
    ),
    (PROGRAM, "title: Returns\n", "title: Returns\nbogus: 1\n", 0, 5, "10:1: the document: unexpected key `bogus`"),
    (
        OVERLAY,
        "value: true\n",
        "value: yes\n",
        4,
        1,
        '8:12: parameter `free_return_shipping`: expected boolean, got string `"yes"`',
    ),
    (OVERLAY, "marketplace: de\n", "marketplace: de\nbogus: 1\n", 4, 1, "4:1: the document: unexpected key `bogus`"),
    (
        DECISION,
        "hit: first\n",
        "hit: frist\n",
        0,
        5,
        '12:6: /hit: `"frist"` is not one of `"first"`, `"collect"`, `"unique"`',
    ),
]


@pytest.mark.parametrize(
    "file, old, new, passed, left, first", LEFT_OUT, ids=[f"{e[0]}:{e[2].strip()}" for e in LEFT_OUT]
)
def test_cases_answered_from_a_file_with_errors_do_not_run(
    init_starter: Path, tmp_path: Path, file: str, old: str, new: str, passed: int, left: int, first: str
) -> None:
    """`value: thirty` in program.yaml (P003) and the starter's cases still ran, two failing with
    D005 "`<=` is not supported between number and string"; an overlay with errors was left out and
    the DE case answered with the base's values ("expected true, got false"); a decision with errors
    failed every case with "`returns` has no decision `return_allowed`", and a program.yaml that
    could not be read blamed the tests file ("5 not run (tests/return_allowed.yaml has errors)")."""
    policies = tmp_path / "policies"
    shutil.copytree(init_starter / "policies", policies)
    edit(policies / file, old, new)
    junit = tmp_path / "junit.xml"
    r = run_cli("test", str(policies), "--junit", str(junit))
    assert r.code == 1 and r.out == f"{passed} passed, 0 failed, {left} not run ({policies / file} has errors)\n", r
    assert f"{policies / file}:{first.split(': ', 1)[0]}: error[" in r.err  # the repository's problem, said once
    body = json.loads(run_cli("test", str(policies), "--format", "json").out)
    assert (body["ok"], body["passed"], body["failed"], [t["passed"] for t in body["tests"]]) == (
        False,
        passed,
        0,
        [True] * passed,
    )
    assert body["not_run"] == [
        {"file": str(policies / STARTER_CASES), "program": "returns", "cases": left, "errors_in": str(policies / file)}
    ]
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == (str(passed + 1), "0", "1")
    error = root.find("testsuite/testcase/error")
    assert error is not None  # (its files named from the checkout's top)
    assert error.get("message") == f"its cases did not run: policies/{file}:{first}"
