"""`policyctl diff`: parameter timelines, decision rows, changed answers, pages; folders and git revisions."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from engine.decisions.explain import Rests
from engine.diff.outcomes import Answer
from support import MINI, edit, git, run_cli

PROGRAM = "loans/program.yaml"
DECISION = "loans/decisions/late_fee.yaml"


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(MINI, old)
    shutil.copytree(MINI, new)
    return old, new


def diff(old: Path | str, new: Path | str, *args: str, cwd: Path | None = None) -> tuple[int, str]:
    r = run_cli("diff", str(old), str(new), "--at", "2024-05-01", *args, cwd=cwd)
    return r.code, r.out


# -- parameters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "old_text, new_text, lines",
    [
        # a dated value changes: only from its date, only where the program's timeline applies (no has an overlay)
        ("        value: 28", "        value: 35", ["loans · nl · loan_days 28 → 35 from 2024-01-01"]),
        # the undated value: until the day before the first change
        ("    value: 21", "    value: 30", ["loans · nl · loan_days 21 → 30 until 2023-12-31"]),
        # only the type changes: both sides as written, not `21 → 21`
        ("    value: 21", "    value: 21.0", ["loans · nl · loan_days 21 → 21.0 until 2023-12-31"]),
        # the effective date moves: the days in between change
        (
            '      - from: "2024-01-01"',
            '      - from: "2024-03-01"',
            ["loans · nl · loan_days 28 → 21 from 2024-01-01 until 2024-02-29"],
        ),
    ],
)
def test_parameter_changes(pair: tuple[Path, Path], old_text: str, new_text: str, lines: list[str]) -> None:
    old, new = pair
    edit(new / PROGRAM, old_text, new_text)
    code, out = diff(old, new)
    assert code == 0
    assert out == (
        f"policy changes {old} → {new}\n\nParameters:\n"
        + "".join(f"  {line}\n" for line in lines)
        + "\nPages that change:\n  loans · nl · nl, en (because of loan_days)\n"
    )


def test_changed_inputs_are_in_numeric_order_and_whole_numbers_have_no_point(pair: tuple[Path, Path]) -> None:
    """The values were listed in the order they were tried (`20, 8, 29, 30`: a test case's input
    first, then the band edges), and an amount that arithmetic made a float as `10.0`."""
    old, new = pair
    for side in pair:  # a test case's input, which the answers are tried with first
        edit(
            side / "loans/tests/late_fee.yaml",
            "input: {days_late: 0, member: true}",
            "input: {days_late: 20, member: true}",
        )
    edit(new / PROGRAM, "up_to: 30, fee: 0.5", "up_to: 30, fee: 0.6")
    code, out = diff(old, new)
    assert code == 0
    assert (
        "  loans.late_fee · nl · 2024-05-01: 4 of 27 answers change, all with days_late in 8, 20, 29, 30; member = true\n"
        in out
    )
    for line in ("fee 10 → 12", "fee 4 → 4.8", "fee 14.5 → 17.4", "fee 15 → 18"):
        assert f'member": true}}: {line}\n' in out, line


def test_overlay_change_shows_in_its_marketplace_only(pair: tuple[Path, Path]) -> None:
    old, new = pair
    edit(new / "loans/marketplaces/no.yaml", "value: 14", "value: 10")
    code, out = diff(old, new)
    assert "  loans · no · loan_days 14 → 10\n" in out
    assert "loans · nl ·" not in out


def test_band_change_names_the_band_and_the_answers(pair: tuple[Path, Path]) -> None:
    old, new = pair
    edit(new / PROGRAM, "up_to: 7, fee: 0.25", "up_to: 7, fee: 0.3")
    code, out = diff(old, new)
    assert "  loans · nl · late_fee_bands[0].fee 0.25 → 0.3\n  loans · no · late_fee_bands[0].fee 0.25 → 0.3\n" in out
    assert (
        "  loans.late_fee · nl · 2024-05-01: 3 of 24 answers change, all with days_late in 1, 6, 7; member = true\n"
    ) in out  # non-members (and unknown membership) are referred: no fee
    assert '    {"days_late": 7, "member": true}: fee 1.75 → 2.1\n' in out


# -- decisions -------------------------------------------------------------------------------------


def test_row_changes_and_answers(pair: tuple[Path, Path]) -> None:
    old, new = pair
    edit(new / DECISION, '"params.members_only and not member"', '"params.members_only and member == false"')
    code, out = diff(old, new)
    assert out == (
        f"policy changes {old} → {new}\n"
        "\n"
        "Decision rows:\n"
        f"  loans.late_fee: row `not_member` changed (when) · {new / DECISION}:16\n"
        "\n"
        "Answers that change:\n"
        "  loans.late_fee · nl · 2024-05-01: 7 of 24 answers change, all with days_late in 1, 6, 7, 8, 29, 30, 31;"
        " member = absent\n"
        '    {"days_late": 1}: status "refer" → "late"; fee (none) → 0.25; rows not_member → banded\n'
        '    {"days_late": 6}: status "refer" → "late"; fee (none) → 1.5; rows not_member → banded\n'
        '    {"days_late": 7}: status "refer" → "late"; fee (none) → 1.75; rows not_member → banded\n'
        '    {"days_late": 8}: status "refer" → "late"; fee (none) → 4; rows not_member → banded\n'
        '    {"days_late": 29}: status "refer" → "late"; fee (none) → 14.5; rows not_member → banded\n'
        "    ... and 2 more\n"
        "  loans.late_fee · no · 2024-05-01: 8 of 27 answers change, all with days_late in 1, 3, 6, 7, 8, 29, 30, 31;"
        " member = absent\n"
        '    {"days_late": 1}: status "refer" → "late"; fee (none) → 0.25; rows not_member → banded\n'
        '    {"days_late": 3}: status "refer" → "late"; fee (none) → 0.75; rows not_member → banded\n'
        '    {"days_late": 6}: status "refer" → "late"; fee (none) → 1.5; rows not_member → banded\n'
        '    {"days_late": 7}: status "refer" → "late"; fee (none) → 1.75; rows not_member → banded\n'
        '    {"days_late": 8}: status "refer" → "late"; fee (none) → 4; rows not_member → banded\n'
        "    ... and 3 more\n"
        "\n"
        "Pages that change:\n"
        "  loans · nl · nl, en (because of decision `late_fee`)\n"
        "  loans · no · nb, en (because of decision `late_fee`)\n"
    )


def test_rows_added_removed_moved_and_decision_parts(pair: tuple[Path, Path]) -> None:
    old, new = pair
    edit(new / DECISION, "  - id: on_time\n", "  - id: returned_on_time\n")
    edit(new / DECISION, "let:\n  band:", 'let:\n  band2: "1"\n  band:')
    edit(
        new / DECISION,
        "hit: first\nrules:\n",
        'hit: first\nrules:\n  - id: lost\n    when: "days_late > 365"\n    reason: Lost.\n    then: {status: refer}\n',
    )
    code, out = diff(old, new)
    rows = out.split("Decision rows:\n")[1].split("\n\n")[0].splitlines()
    assert rows == [
        f"  loans.late_fee: changed (let.band2) · {new / DECISION}:1",
        f"  loans.late_fee: row `on_time` removed · {old / DECISION}:12",
        f"  loans.late_fee: row `lost` added · {new / DECISION}:13",
        f"  loans.late_fee: row `returned_on_time` added · {new / DECISION}:17",
    ]


def test_no_changes_and_exit_code(pair: tuple[Path, Path]) -> None:
    old, new = pair
    edit(new / PROGRAM, "source: made up for tests", "source: provenance edits do not matter")
    assert diff(old, new) == (0, f"policy changes {old} → {new}: none that matter\n")
    assert diff(old, new, "--exit-code")[0] == 0
    edit(new / PROGRAM, "value: 21", "value: 22")
    assert diff(old, new, "--exit-code")[0] == 1
    assert diff(old, new)[0] == 0


# -- formats ---------------------------------------------------------------------------------------


def test_markdown_is_ready_for_a_pull_request(pair: tuple[Path, Path]) -> None:
    old, new = pair
    edit(new / PROGRAM, "        value: 28", "        value: 35")
    code, out = diff(old, new, "--format", "markdown")
    assert out == (
        f"### Policy changes `{old}` → `{new}`\n"
        "\n"
        "**Parameters**\n"
        "\n"
        "| program | marketplace | parameter | old | new | when |\n"
        "|---|---|---|---|---|---|\n"
        "| loans | nl | loan_days | 28 | 35 | from 2024-01-01 |\n"
        "\n"
        "**Pages that change**\n"
        "\n"
        "- loans · nl · nl, en (because of loan_days)\n"
    )


def test_markdown_shows_the_pull_requests_text_as_text(pair: tuple[Path, Path]) -> None:
    """A label, a value and an answer come from the pull request: in the comment a bot posts they
    were images, links, raw HTML, mentions and the end of a code span."""
    old, new = pair
    hostile = "![t](https://t.example/p.png) [c](https://e.example) <img src=x> @octocat | `x"
    edit(new / PROGRAM, "  loan_days:\n", f"  loan_days:\n    label: {json.dumps(hostile)}\n")
    edit(new / PROGRAM, "        value: 28", "        value: 35")
    edit(
        new / DECISION,
        "then: {status: refer}",
        "then: {status: " + json.dumps("``x ![t](https://t.example/q.png)") + "}",
    )
    edit(new / DECISION, "  status: {enum: [on_time, late, refer]}", "  status: {type: string}")
    code, out = diff(old, new, "--format", "markdown")
    shown = r"\!\[t\](https://t.example/p.png) \[c\](https://e.example) \<img src=x\> @" + "\u2060" + r"octocat \| \`x"
    assert f"| loans | nl | {shown} | 28 | 35 | from 2024-01-01 |\n" in out, out
    answers = [line[2:] for line in out.splitlines() if line.startswith("- `") and "→" in line]
    for span in answers:  # one code span each: its fence longer than any run of backticks inside
        fence = span[: len(span) - len(span.lstrip("`"))]
        assert span.endswith(fence) and fence not in span[len(fence) : -len(fence)], span
    assert any("``x" in span for span in answers), answers
    text = "\n".join(line for line in out.splitlines() if not line.startswith("- `"))  # (code spans aside)
    assert not re.search(r"(?<!\\)(?:!\[|<img)", text) and "@octocat" not in text, text


def test_json(pair: tuple[Path, Path]) -> None:
    old, new = pair
    edit(new / PROGRAM, "        value: 28", "        value: 35")
    code, out = diff(old, new, "--format", "json")
    body = json.loads(out)
    assert body["parameters"] == [
        {
            "program": "loans",
            "marketplace": "nl",
            "parameter": "loan_days",
            "label": "loan_days",
            "old": 28,
            "new": 35,
            "old_assumed": [],
            "new_assumed": [],
            "from": "2024-01-01",
            "until": None,
            "from_assumed": False,
            "until_assumed": False,
            "added": False,
            "removed": False,
        }
    ]
    assert [p["path"] for p in body["pages"]] == ["loans/nl/nl", "loans/nl/en"]
    assert body["rows"] == body["answers"] == []


ASSUMED_DATE = """    source: the mini repository's made-up fee table
    changes:
      - from: "2024-03-01"
        value:
          - {over: null, up_to: 7, fee: 0.3}
          - {over: 7, up_to: 30, fee: 0.5}
          - {over: 30, up_to: null, fee: 1.0}
        source: made up
        assumption: The day is not said; the first of the month is assumed.
        assumed: [date]
"""


@pytest.mark.parametrize(
    "fmt, said",
    [
        (
            "text",
            [
                "  loans · nl · late_fee_bands[0].fee 0.25 → 0.3 from 2024-03-01 (date assumed)\n",
                "  loans.late_fee · nl · 2024-03-01 (date assumed), 2024-05-01: 3 of 24 answers change,",
                # a moved date: the days between it and the old one end on the day before an assumption
                "  loans · nl · loan_days 28 → 21 from 2024-01-01 until 2024-01-31 (date assumed)\n",
            ],
        ),
        (
            "markdown",
            [
                "| loans | nl | late_fee_bands | \\[0\\].fee 0.25 | \\[0\\].fee 0.3 | from 2024-03-01 (date assumed) |\n",
                "<details><summary>loans.late_fee · nl · 2024-03-01 (date assumed), 2024-05-01: 3 of 24",
                "| loans | nl | loan_days | 28 | 21 | from 2024-01-01 until 2024-01-31 (date assumed) |\n",
            ],
        ),
    ],
)
def test_an_assumed_date_is_said_to_be_assumed(pair: tuple[Path, Path], fmt: str, said: list[str]) -> None:
    """A change's date that is an assumption is never printed as a fact, in any format."""
    old, new = pair
    edit(new / PROGRAM, "    source: the mini repository's made-up fee table\n", ASSUMED_DATE)
    edit(new / PROGRAM, '      - from: "2024-01-01"', '      - from: "2024-02-01"')
    edit(
        new / PROGRAM,
        "        source: made up\n",
        "        source: made up\n        assumption: a guess\n        assumed: [date]\n",
    )
    code, out = diff(old, new, "--format", fmt)
    for line in said:
        assert line in out, out
    # the fee from its day in nl and no (no has its own loan_days), the answers' day in both, loan_days' end
    assert out.count("(date assumed)") == 5, out


def test_an_assumed_date_is_a_field_in_json(pair: tuple[Path, Path]) -> None:
    old, new = pair
    edit(new / PROGRAM, "    source: the mini repository's made-up fee table\n", ASSUMED_DATE)
    body = json.loads(diff(old, new, "--format", "json")[1])
    assert [(p["marketplace"], p["from"], p["from_assumed"], p["until_assumed"]) for p in body["parameters"]] == [
        ("nl", "2024-03-01", True, False),
        ("no", "2024-03-01", True, False),
    ]
    assert [(a["marketplace"], a["at"], a["assumed_days"]) for a in body["answers"]] == [
        ("nl", "2024-03-01, 2024-05-01", ["2024-03-01"]),
        ("no", "2024-03-01, 2024-05-01", ["2024-03-01"]),
    ]
    assert "(date assumed)" not in json.dumps(body)


DAYS_28 = "        value: 28\n        source: made up\n"
FEES = "      - {over: null, up_to: 7, fee: 0.25}\n      - {over: 7, up_to: 30, fee: 0.5}\n"
FEES_SOURCE = "    source: the mini repository's made-up fee table\n"


def _assumed(value: str, assumed: str = "") -> str:
    return f"        value: {value}\n        assumption: a guess\n{assumed}"


@pytest.mark.parametrize(
    "side, edits, text, markdown, fields",
    [
        # the new value is an assumption
        (
            "new",
            [(DAYS_28, _assumed("35"))],
            "loans · nl · loan_days 28 → 35 (value assumed) from 2024-01-01",
            "| loans | nl | loan_days | 28 | 35 (value assumed) | from 2024-01-01 |",
            ([], ["value"]),
        ),
        # the value it replaces was one (the new one is sourced)
        (
            "old",
            [(DAYS_28, _assumed("35"))],
            "loans · nl · loan_days 35 (value assumed) → 28 from 2024-01-01",
            "| loans | nl | loan_days | 35 (value assumed) | 28 | from 2024-01-01 |",
            (["value"], []),
        ),
        # only a part is assumed: the changed parts under it are marked, the others not
        (
            "new",
            [
                (FEES, FEES.replace("0.25", "0.3").replace("0.5", "0.6")),
                (FEES_SOURCE, FEES_SOURCE + "    assumption: a guess\n    assumed: [/0/fee]\n"),
            ],
            "loans · nl · late_fee_bands[0].fee 0.25 → 0.3 (value assumed); late_fee_bands[1].fee 0.5 → 0.6",
            "| loans | nl | late_fee_bands | \\[0\\].fee 0.25<br>\\[1\\].fee 0.5 "
            "| \\[0\\].fee 0.3 (value assumed)<br>\\[1\\].fee 0.6 | always |",
            ([], ["/0/fee"]),
        ),
        # a value shown whole, only parts of which are assumed: which parts
        (
            "new",
            [
                (FEES, "      - {over: null, up_to: 30, fee: 0.25}\n"),
                (FEES_SOURCE, FEES_SOURCE + "    assumption: a guess\n    assumed: [/0]\n"),
            ],
            '{"over": 7, "up... → [{"over": null, "up_to": 30, "fee": 0.25}, {"over": 30, "... (assumed: /0)\n',
            '| \\[{"over": null, "up_to": 30, "fee": 0.25}, {"over": 30, "... (assumed: /0) | always |',
            ([], ["/0"]),
        ),
    ],
)
def test_an_assumed_value_is_said_to_be_assumed(
    pair: tuple[Path, Path],
    side: str,
    edits: list[tuple[str, str]],
    text: str,
    markdown: str,
    fields: tuple[list[str], list[str]],
) -> None:
    """A value that is an assumption (`assumed: [value]`, or parts of it) is never printed as plain
    `old → new`: marked in text and Markdown as `show` and the pages mark it, a field in JSON."""
    old, new = pair
    for before, after in edits:
        edit((new if side == "new" else old) / PROGRAM, before, after)
    assert text in diff(old, new)[1]
    assert markdown in diff(old, new, "--format", "markdown")[1]
    body = json.loads(diff(old, new, "--format", "json")[1])
    assert [(p["old_assumed"], p["new_assumed"]) for p in body["parameters"] if p["marketplace"] == "nl"] == [fields]
    assert "value assumed" not in json.dumps(body)


def test_a_past_edition_named_by_an_assumed_day_is_said_to_be_one(init_repo: Path, tmp_path: Path) -> None:
    """`2026-03-01/help` names the day an edition took effect: when that day is an assumption, "Pages
    that change" says so, as the pages do, and JSON has it as a field."""
    old, new = init_repo / "policies", tmp_path / "new"
    shutil.copytree(old, new)
    edit(
        new / "returns/program.yaml",
        "        source: the returns policy, 2025 edition\n",
        "        source: the returns policy, 2025 edition\n"
        '      - from: "2026-03-01"\n        value: 60\n        source: a memo\n'
        "        assumption: the memo gives no day\n        assumed: [date]\n"
        '      - from: "2026-05-01"\n        value: 75\n        source: the returns policy, 2026 edition\n',
    )
    for args, pair in ((("--format", "json"), (new, old)), ((), (old, new)), ((), (new, old))):
        r = run_cli("diff", *map(str, pair), "--at", "2026-06-01", *args)
        assert r.code == 0, r
        if args:  # removed pages: as the old side says
            pages = {p["path"]: p["date_assumed"] for p in json.loads(r.out)["pages"]}
            assert pages["returns/us/en/2026-03-01/help"] is True
            assert pages["returns/us/en/2025-01-01/help"] is pages["returns/us/en/help"] is False
        else:
            assert (
                "  returns · us · en · pages 2025-01-01/help, 2026-03-01/help (date assumed) (because of page " in r.out
            )
            # in each marketplace: the parameter's day, the answers' day, the page
            assert r.out.count("(date assumed)") == 2 * 3, r.out


RETURNS = "returns/program.yaml"
EDITION_2025 = "        source: the returns policy, 2025 edition\n"
# a later change on an assumed day: `help` changes, and the 2025 edition becomes a past one (added)
LATER = EDITION_2025 + (
    '      - from: "2026-06-01"\n        value: 60\n        source: a memo\n'
    "        assumption: the memo gives no day\n        assumed: [date]\n"
)
SHIPPING = "    value: false\n    source: the returns policy, 2024 edition\n"


def _shipping(value: str, assumed: bool) -> str:
    return f"    value: {value}\n" + (
        "    assumption: nobody has confirmed it\n" if assumed else "    source: a memo\n"
    )


def _starter_pair(init_repo: Path, tmp_path: Path, edits: list[tuple[str, str, str, str]]) -> tuple[Path, Path]:
    """The starter's policies before and after ``edits`` (side, file, old text, new text)."""
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(init_repo / "policies", old)
    shutil.copytree(init_repo / "policies", new)
    for side, name, before, after in edits:
        edit((old if side == "old" else new) / name, before, after)
    return old, new


@pytest.mark.parametrize(
    "edits, at, lines, paths",
    [
        # an edition added: the pages whose value changed are not "because of page added"
        (
            [("new", RETURNS, EDITION_2025, LATER)],
            "2026-12-07",
            [
                "returns · de · de, en · pages 2025-01-01/help (because of page added)",
                "returns · de · de, en · pages help, original/help (because of Return window)",
                "returns · us · en · pages 2025-01-01/help (because of page added)",
                "returns · us · en · pages help, original/help (because of Return window)",
            ],
            {"2025-01-01/help": ["page added"], "help": ["Return window"], "original/help": ["Return window"]},
        ),
        # a language added: the pages in the others are not "added" (their switchers changed)
        (
            [("new", "marketplaces.yaml", "    locales: [en]\n", "    locales: [en, de]\n")],
            "2025-03-01",
            [
                "returns · de · de · pages help, original/help (because of the page's text)",
                "returns · us · de · pages help, original/help (because of page added)",
                "returns · us · en · pages help, original/help (because of marketplace)",
            ],
            None,
        ),
    ],
)
@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_each_page_that_changes_has_its_own_reasons(
    init_repo: Path,
    tmp_path: Path,
    edits: list[tuple[str, str, str, str]],
    at: str,
    lines: list[str],
    paths: dict[str, list[str]] | None,
    fmt: str,
) -> None:
    """The pages of a program and marketplace were one line with the first page's reasons: `help`
    and `original/help` "because of page added" when only the 2025 edition was added. Pages that
    change for the same reasons share a line, one per set of languages with the same such pages."""
    old, new = _starter_pair(init_repo, tmp_path, edits)
    r = run_cli("diff", str(old), str(new), "--at", at, "--format", fmt)
    assert r.code == 0, r
    if fmt == "text":
        assert r.out.split("Pages that change:\n")[1] == "".join(f"  {line}\n" for line in lines)
    elif fmt == "markdown":
        assert r.out.split("**Pages that change**\n\n")[1] == "".join(f"- {line}\n" for line in lines)
    else:
        pages = json.loads(r.out)["pages"]
        found = {(p["marketplace"], p["locale"], p["page"]): p["reasons"] for p in pages}
        expected = {}
        for line in lines:  # each page of each line, with the line's reasons
            program, mp, locales, ids = line.split(" (because of ")[0].split(" · ")
            reasons = line.split(" (because of ")[1][:-1].split(", ")
            for locale in locales.split(", "):
                for page in ids.removeprefix("pages ").split(", "):
                    expected[(mp, locale, page)] = reasons
        assert found == expected
        assert paths is None or {p["page"]: p["reasons"] for p in pages if p["marketplace"] == "us"} == paths


ANSWERS = {  # the answers that change, by marketplace
    "date": [
        ("us", '{"days_since_delivery": 46}: allowed false → true; rows too_late → within_window'),
        ("us", '{"days_since_delivery": 59}: allowed false → true; rows too_late → within_window'),
        ("us", '{"days_since_delivery": 60}: allowed false → true; rows too_late → within_window'),
        (
            "de",
            '{"days_since_delivery": 46}: allowed false → true; free_shipping false → true; rows too_late → within_window',
        ),
        (
            "de",
            '{"days_since_delivery": 59}: allowed false → true; free_shipping false → true; rows too_late → within_window',
        ),
        (
            "de",
            '{"days_since_delivery": 60}: allowed false → true; free_shipping false → true; rows too_late → within_window',
        ),
    ],
    "value": [
        ("us", '{"days_since_delivery": 44}: free_shipping false → true'),
        ("us", '{"days_since_delivery": 45}: free_shipping false → true'),
        ("us", '{"days_since_delivery": 30}: free_shipping false → true'),
    ],
}
WINDOW_DATE = [{"parameter": "return_window_days", "assumed": ["date"]}]
SHIPPING_VALUE = [{"parameter": "free_return_shipping", "assumed": ["value"]}]


@pytest.mark.parametrize(
    "edits, answers, marker, rests_on",
    [
        # the new answers read a value in force from an assumed day (on that day and after it)
        (
            [("new", RETURNS, EDITION_2025, LATER)],
            "date",
            " (new answer rests on an assumption: return_window_days)",
            ([], WINDOW_DATE),
        ),
        # a sourced value becomes an assumed one
        (
            [("new", RETURNS, SHIPPING, _shipping("true", True))],
            "value",
            " (new answer rests on an assumption: free_return_shipping)",
            ([], SHIPPING_VALUE),
        ),
        # an assumed value replaced by another: both answers rest on it
        (
            [("old", RETURNS, SHIPPING, _shipping("false", True)), ("new", RETURNS, SHIPPING, _shipping("true", True))],
            "value",
            " (rests on an assumption: free_return_shipping)",
            (SHIPPING_VALUE, SHIPPING_VALUE),
        ),
        # an assumed value confirmed as another: the old answers rested on it
        (
            [
                ("old", RETURNS, SHIPPING, _shipping("false", True)),
                ("new", RETURNS, SHIPPING, _shipping("true", False)),
            ],
            "value",
            " (old answer rests on an assumption: free_return_shipping)",
            (SHIPPING_VALUE, []),
        ),
    ],
)
@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
def test_an_answer_that_rests_on_an_assumption_says_so(
    init_repo: Path,
    tmp_path: Path,
    edits: list[tuple[str, str, str, str]],
    answers: str,
    marker: str,
    rests_on: tuple[list[dict[str, object]], list[dict[str, object]]],
    fmt: str,
) -> None:
    """An answer that changes is never shown as fact when a parameter its decision read (explained:
    the parameters it read, on its day or, with `param_on`, another) is an assumption, or in force
    from an assumed day: text and Markdown say which after it, JSON as each answer's fields."""
    old, new = _starter_pair(init_repo, tmp_path, edits)
    r = run_cli("diff", str(old), str(new), "--at", "2026-12-07", "--format", fmt)
    assert r.code == 0, r
    if fmt == "text":
        shown = [line[4:] for line in r.out.splitlines() if line.startswith("    {")]
        assert shown == [line + marker for _, line in ANSWERS[answers]]
    elif fmt == "markdown":
        shown = [line for line in r.out.splitlines() if line.startswith("- `{")]
        assert shown == [f"- `{line}`{marker}" for _, line in ANSWERS[answers]]
    else:
        body = json.loads(r.out)
        said = [
            (o["marketplace"], e["old_rests_on"], e["new_rests_on"]) for o in body["answers"] for e in o["examples"]
        ]
        assert said == [(mp, *rests_on) for mp, _ in ANSWERS[answers]]
        assert "rests on" not in r.out


@pytest.mark.parametrize(
    "old, new, said",
    [
        ((), (), ""),
        ((("a", ("value",)),), (("a", ("value",)),), " (rests on an assumption: a)"),
        ((), (("a", ("date",)), ("b", ("/0",))), " (new answer rests on assumptions: a, b)"),
        (
            (("a", ("value",)),),
            (("b", ("date",)),),
            " (old answer rests on an assumption: a; new answer rests on an assumption: b)",
        ),
    ],
)
def test_what_an_answer_rests_on_is_said_after_it(old: Rests, new: Rests, said: str) -> None:
    from engine.diff.report import rests

    assert rests(Answer({}, {"outputs": {}}, {"outputs": {}}, old, new)) == said


WINDOW_2025 = "        value: 45\n"
DECISION_OUTPUTS = "  free_shipping: {type: boolean}\n"
ALLOWED = "returns/decisions/return_allowed.yaml"


def test_the_counts_say_how_many_answers_rest_on_an_assumption(init_repo: Path, tmp_path: Path) -> None:
    """The counts over each set of answers said nothing of the answers not shown (beyond the five):
    a reviewer reading only them could not tell that some rest on an assumption. Here the old
    shipping was assumed (read by the answers inside the window), the new one sourced: 6 answers of
    `us` change, 5 are shown, 2 of them marked; the counts say 3 (the one not shown, 30 days, too)."""
    edits = [
        ("old", RETURNS, SHIPPING, _shipping("false", True)),
        ("new", RETURNS, SHIPPING, _shipping("true", False)),
        ("new", RETURNS, WINDOW_2025, "        value: 60\n"),
    ]
    old, new = _starter_pair(init_repo, tmp_path, edits)
    runs = {fmt: run_cli("diff", str(old), str(new), "--at", "2026-12-07", "--format", fmt) for fmt in FORMATS}
    assert all(r.code == 0 for r in runs.values()), runs
    head = "returns.return_allowed · {mp} · 2025-01-01, 2026-12-07: {n} of 7 answers change, all with days_since_delivery in"
    us = head.format(mp="us", n=6) + " 30, 44, 45, 46, 59, 60; 3 of them rest on an assumption: free_return_shipping"
    de = head.format(mp="de", n=3) + " 46, 59, 60"
    text = runs["text"].out.splitlines()
    assert [line for line in text if line.startswith("  returns.")] == [f"  {us}", f"  {de}"]
    assert sum(" rest on " in line or " rests on " in line for line in text) == 3  # the head, the two shown
    assert f"<details><summary>{us}</summary>" in runs["markdown"].out
    answers = json.loads(runs["json"].out)["answers"]
    said = [(o["marketplace"], o["changed"], len(o["examples"]), o["resting"], o["resting_on"]) for o in answers]
    assert said == [("us", 6, 5, 3, ["free_return_shipping"]), ("de", 3, 3, 0, [])]


FORMATS = ("text", "markdown", "json")


@pytest.mark.parametrize(
    "changed, rests",
    [
        (2, "; all rest on an assumption: a"),
        (3, "; 2 of them rest on an assumption: a"),
        (1, "; it rests on an assumption: a"),
    ],
)
def test_the_counts_name_what_the_answers_rest_on(changed: int, rests: str) -> None:
    from engine.diff.outcomes import OutcomeChanges
    from engine.diff.report import resting

    o = OutcomeChanges("p", "d", "us", "2026-01-01", 9, changed, (), False, resting=min(changed, 2), resting_on=("a",))
    assert resting(o) == rests
    assert resting(OutcomeChanges("p", "d", "us", "2026-01-01", 9, 2, (), False, resting=2, resting_on=("a", "b"))) == (
        "; all rest on assumptions: a, b"
    )


# a value whose end is an assumed day: the change that follows starts on one
UNTIL = EDITION_2025 + (
    '      - from: "2027-06-01"\n        value: 60\n        source: a memo\n'
    "        assumption: the memo gives no day\n        assumed: [date]\n"
)
# a decision that fails on a value of 0 (`10 // 0`), and that value, assumed
PER_DAY = 'free_shipping: "= params.free_return_shipping"}'
ZERO = "        value: 0\n        source: the returns policy, 2025 edition\n        assumption: zero?\n"


@pytest.mark.parametrize(
    "edits, line, rests_on",
    [
        # the new answers read 50, which holds only until 2027-06-01, an assumed day
        (
            [("new", RETURNS, EDITION_2025, UNTIL), ("new", RETURNS, WINDOW_2025, "        value: 50\n")],
            '{"days_since_delivery": 46}: allowed false → true; rows too_late → within_window'
            " (new answer rests on an assumption: return_window_days)",
            ([], [{"parameter": "return_window_days", "assumed": ["until"]}]),
        ),
        # the new answer is a problem because of an assumed value (a window of 0 days)
        (
            [
                (
                    "both",
                    ALLOWED,
                    PER_DAY,
                    'free_shipping: "= params.free_return_shipping", per_day: "= 10 // params.return_window_days"}',
                ),
                ("both", ALLOWED, DECISION_OUTPUTS, DECISION_OUTPUTS + "  per_day: {type: integer}\n"),
                ("new", RETURNS, WINDOW_2025 + EDITION_2025, ZERO),
            ],
            '{"days_since_delivery": 0}: {"allowed": true, "free_shipping": false, "per_day": 0} → error: row'
            " `within_window`, output `per_day`: `10 // params.return_window_days` failed: division by zero"
            " (new answer rests on an assumption: return_window_days)",
            ([], [{"parameter": "return_window_days", "assumed": ["value"]}]),
        ),
    ],
    ids=["until", "error"],
)
def test_answers_resting_on_an_assumed_end_or_failing_on_an_assumption_say_so(
    init_repo: Path,
    tmp_path: Path,
    edits: list[tuple[str, str, str, str]],
    line: str,
    rests_on: tuple[list[dict[str, object]], list[dict[str, object]]],
) -> None:
    """An answer whose value holds only until an assumed day (the next change's), and an answer that
    is a problem because of an assumed value, were shown as fact: both rest on an assumption."""
    both = [(side, *rest) for s, *rest in edits for side in (("old", "new") if s == "both" else (s,))]
    old, new = _starter_pair(init_repo, tmp_path, both)  # type: ignore[arg-type]
    text = run_cli("diff", str(old), str(new), "--at", "2026-12-07")
    assert text.code == 0, text
    assert f"    {line}\n" in text.out, text.out
    body = json.loads(run_cli("diff", str(old), str(new), "--at", "2026-12-07", "--format", "json").out)
    today = [o for o in body["answers"] if o["marketplace"] == "us" and o["at"].endswith("2026-12-07")]
    examples = [e for o in today for e in o["examples"]]
    assert examples and all((e["old_rests_on"], e["new_rests_on"]) == rests_on for e in examples)


# -- git revisions ---------------------------------------------------------------------------------


def test_git_revisions(tmp_path: Path) -> None:
    shutil.copytree(MINI, tmp_path / "policies")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "policies")
    git(tmp_path, "commit", "-q", "-m", "one")
    edit(tmp_path / "policies" / PROGRAM, "    value: 21", "    value: 30")
    edit(tmp_path / "policies" / DECISION, "reason: Returned on time.", "reason: Back in time.")
    git(tmp_path, "commit", "-q", "-am", "two")
    edit(tmp_path / "policies" / PROGRAM, "    value: 30", "    value: 31")  # uncommitted: not in HEAD
    code, out = diff("HEAD~1", "HEAD", cwd=tmp_path)
    assert (code, out) == (
        0,
        (
            "policy changes HEAD~1 → HEAD\n"
            "\n"
            "Parameters:\n"
            "  loans · nl · loan_days 21 → 30 until 2023-12-31\n"
            "\n"
            "Decision rows:\n"
            "  loans.late_fee: row `on_time` changed (reason) · HEAD:policies/loans/decisions/late_fee.yaml:12\n"
            "\n"
            "Pages that change:\n"
            "  loans · nl · nl, en (because of decision `late_fee`, loan_days)\n"
            "  loans · no · nb, en (because of decision `late_fee`)\n"
        ),
    )
    code, out = diff("HEAD", "policies", cwd=tmp_path)  # a revision against the working folder
    assert "  loans · nl · loan_days 30 → 31 until 2023-12-31\n" in out
    assert (
        subprocess.run(["git", "status", "--porcelain"], cwd=tmp_path, capture_output=True, text=True).stdout
        == " M policies/loans/program.yaml\n"
    )  # read-only


@pytest.mark.parametrize("policies", ["policies", "rules"])
def test_the_tops_of_two_repositories_are_compared_by_their_policies_folders(tmp_path: Path, policies: str) -> None:
    """OLD and NEW may be repository tops, as `--root` may (found by `policies/marketplaces.yaml` or
    a `policyctl.toml`, which can name another folder): each top was read as a policies folder, so
    its `policies` folder was taken for a program and every change was reported under `policies`."""
    tops = [tmp_path / "old", tmp_path / "new"]
    for top in tops:
        shutil.copytree(MINI, top / policies)
        if policies != "policies":
            (top / "policyctl.toml").write_text(f'policies = "{policies}"\n', encoding="utf-8")
    edit(tops[1] / policies / PROGRAM, "        value: 28", "        value: 35")
    edit(tops[1] / policies / DECISION, "reason: Returned on time.", "reason: Back in time.")
    r = run_cli("diff", *map(str, tops), "--at", "2024-05-01")
    assert (r.code, r.err) == (0, ""), r
    assert r.out == (
        f"policy changes {tops[0]} → {tops[1]}\n\nParameters:\n"
        "  loans · nl · loan_days 28 → 35 from 2024-01-01\n"
        "\nDecision rows:\n"
        f"  loans.late_fee: row `on_time` changed (reason) · {tops[1] / policies / DECISION}:12\n"
        "\nPages that change:\n"
        "  loans · nl · nl, en (because of decision `late_fee`, loan_days)\n"
        "  loans · no · nb, en (because of decision `late_fee`)\n"
    )


def test_a_top_whose_settings_cannot_be_used_is_a_usage_error(pair: tuple[Path, Path], tmp_path: Path) -> None:
    top = tmp_path / "top"
    top.mkdir()
    (top / "policyctl.toml").write_text('policies = "nowhere"\n', encoding="utf-8")
    r = run_cli("diff", str(pair[0]), str(top), "--at", "2024-05-01")
    assert (r.code, r.out) == (2, ""), r
    assert "nowhere is not a folder" in r.err, r.err


def test_revision_before_the_folder_existed(tmp_path: Path) -> None:
    (tmp_path / "README").write_text("x")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "README")
    git(tmp_path, "commit", "-q", "-m", "empty")
    shutil.copytree(MINI, tmp_path / "policies")
    git(tmp_path, "add", "policies")
    git(tmp_path, "commit", "-q", "-m", "policies")
    code, out = diff("HEAD~1", "HEAD", cwd=tmp_path)
    assert code == 0
    assert "  program `loans` added\n" in out


def test_a_revision_is_read_as_committed_whatever_its_gitattributes_say(tmp_path: Path) -> None:
    """A revision was read with `git archive`, which applies the revision's own `.gitattributes`:
    a pull request adding `export-ignore` hid a program from the diff ("program `loans` removed"),
    and `export-subst` rewrote `$Format:%H$` in a reason (a row "changed" that no commit changed).
    The diff reports what the commits hold: here the one value changed, as for the folder."""
    shutil.copytree(MINI, tmp_path / "policies")
    edit(tmp_path / "policies" / DECISION, "reason: Returned on time.", "reason: Returned on time ($Format:%H$).")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "policies")
    git(tmp_path, "commit", "-q", "-m", "one")
    attributes = "policies/loans/program.yaml export-ignore\npolicies/** export-subst\n"
    (tmp_path / ".gitattributes").write_text(attributes, encoding="utf-8")
    edit(tmp_path / "policies" / PROGRAM, "    value: 21", "    value: 30")
    git(tmp_path, "add", ".gitattributes", "policies")
    git(tmp_path, "commit", "-q", "-m", "two")
    changes = (
        "Parameters:\n"
        "  loans · nl · loan_days 21 → 30 until 2023-12-31\n"
        "\n"
        "Pages that change:\n"
        "  loans · nl · nl, en (because of loan_days)\n"
    )
    r = run_cli("diff", "HEAD~1", "HEAD", "--at", "2024-05-01", cwd=tmp_path)
    assert (r.code, r.out, r.err) == (0, "policy changes HEAD~1 → HEAD\n\n" + changes, ""), r
    r = run_cli("diff", "HEAD~1", "policies", "--at", "2024-05-01", cwd=tmp_path)  # the same change, from the folder
    assert (r.code, r.out, r.err) == (0, "policy changes HEAD~1 → policies\n\n" + changes, ""), r


@pytest.mark.parametrize("spec", ["HEAD", "HEAD~1", "main"])
def test_a_repository_with_no_commits_says_so(tmp_path: Path, spec: str) -> None:
    """`diff HEAD .` right after `git init` said "`HEAD` is neither a folder nor a git revision",
    with the hint "e.g. HEAD~1", which cannot be followed either."""
    shutil.copytree(MINI, tmp_path / "policies")
    git(tmp_path, "init", "-q")
    r = run_cli("diff", spec, ".", cwd=tmp_path / "policies")
    assert (r.code, r.out) == (2, ""), r
    assert r.err == (
        f"policyctl: error[L004]: `{spec}` is not a folder, and the git repository {tmp_path} has no commits yet\n"
        "  hint: make a first commit (git add -A && git commit), or compare two policies folders\n"
    )


@pytest.mark.parametrize("spec", ["^HEAD", "--output=out.txt", "--upload-pack=touch pwned", "-q", "--prefix=/etc"])
def test_a_revision_is_a_commit_and_never_an_option_of_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str
) -> None:
    """`^HEAD` (git's "not HEAD") was read as a revision, `git rev-parse` printing `^<id>`, and
    compared as an empty tree: exit 0, every program "added". A side starting with `-` (a base ref
    from a CI variable, say) reached git's command line before it was refused, where git reads it
    as an option. Both are refused, and git never sees them."""
    top = tmp_path / "top"
    shutil.copytree(MINI, top / "policies")
    git(top, "init", "-q")
    git(top, "add", "policies")
    git(top, "commit", "-q", "-m", "one")
    trace = tmp_path / "trace.log"  # every git command policyctl runs
    monkeypatch.setenv("GIT_TRACE", str(trace))
    r = run_cli("diff", "--", spec, "HEAD", cwd=top)
    assert (r.code, r.out) == (2, ""), r
    assert r.err == (
        f"policyctl: error[L004]: `{spec}` is neither a folder nor a git revision\n"
        "  hint: e.g. HEAD~1, a branch, a tag or a commit id\n"
    )
    assert spec not in (trace.read_text(encoding="utf-8") if trace.exists() else "")
    assert sorted(p.name for p in top.iterdir()) == [".git", "policies"]  # nothing written


@pytest.mark.parametrize(
    "args, message",
    [
        (["no-such-revision", "HEAD"], "`no-such-revision` is neither a folder nor a git revision"),
        (["--bogus", "HEAD"], "No such option"),
        (["HEAD"], "Missing argument"),
    ],
)
def test_usage_errors(chdir_root: Path, args: list[str], message: str) -> None:
    r = run_cli("diff", *args)
    assert r.code == 2
    assert message in r.err


def test_bad_date_is_a_usage_error(pair: tuple[Path, Path]) -> None:
    r = run_cli("diff", str(pair[0]), str(pair[1]), "--at", "tomorrow")
    assert (r.code, r.out) == (2, "")
    assert "`tomorrow` is not a date" in r.err


def test_broken_side_still_diffs(pair: tuple[Path, Path]) -> None:
    old, new = pair
    edit(new / DECISION, 'when: "days_late == 0"', 'when: "days_late =="')
    r = run_cli("diff", str(old), str(new), "--at", "2024-05-01")
    assert r.code == 0
    assert "has 1 problem(s)" in r.err
    assert "row `on_time` changed (when)" in r.out


@pytest.mark.parametrize("broken", ["old", "new"])
def test_json_gives_each_sides_problems_in_the_one_shape(tmp_path: Path, broken: str) -> None:
    """`--format json` carries each side's problems under `sides` (it had only the warning on
    standard error), in the shape of every JSON's problems; a revision's files named as its rows
    are (`HEAD:policies/...`), a folder's from the working folder."""
    shutil.copytree(MINI, tmp_path / "policies")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "policies")
    git(tmp_path, "commit", "-q", "-m", "one")
    edit(tmp_path / "policies" / DECISION, 'when: "days_late == 0"', 'when: "days_late =="')
    sides = ("HEAD", ".") if broken == "new" else (".", "HEAD")
    r = run_cli("diff", *sides, "--at", "2024-05-01", "--format", "json", cwd=tmp_path / "policies" / "loans")
    assert r.code == 0 and "has 1 problem(s)" in r.err, r
    body = json.loads(r.out)
    problems = body["sides"][broken]["problems"]
    assert [(p["file"], p["line"], p["code"], p["severity"]) for p in problems] == [
        ("decisions/late_fee.yaml", 13, "E001", "error")
    ], problems
    assert set(problems[0]) == {"file", "line", "column", "code", "severity", "message", "hint"}
    other = "old" if broken == "new" else "new"
    assert body["sides"][other] == {"label": "HEAD", "problems": []}
    assert body["sides"][broken]["label"] == "."
    git(tmp_path, "commit", "-q", "-am", "two")  # the broken file in a revision
    r = run_cli("diff", "HEAD", "HEAD~1", "--at", "2024-05-01", "--format", "json", cwd=tmp_path / "policies" / "loans")
    problems = json.loads(r.out)["sides"]["old"]["problems"]
    assert [(p["file"], p["line"]) for p in problems] == [("HEAD:policies/loans/decisions/late_fee.yaml", 13)], r


def test_an_estimate_names_the_pages(tmp_path: Path) -> None:
    """When one side cannot be rendered, the pages a change affects are estimated, by page id."""
    import engine
    from support import ROOT

    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(ROOT / "policies", old)
    shutil.copytree(ROOT / "policies", new)
    edit(
        new / "csba/decisions/contact_address.yaml",
        'when: "seller_base in params.contact_addresses"',
        'when: "seller_base in"',
    )
    edit(new / "csba/marketplaces/de.yaml", "  trial_days:\n    value: 30", "  trial_days:\n    value: 45")
    r = run_cli("diff", str(old), str(new), "--at", "2025-01-01")
    assert r.code == 0 and "has 1 problem(s)" in r.err, r
    languages = ", ".join(engine.load(str(new)).marketplaces["de"].locales)
    assert f"csba · de · {languages} · pages help (because of decision `contact_address`, trial_days)" in r.out


@pytest.mark.parametrize(
    ("broken", "said", "not_said"),
    [
        (PROGRAM, "program `loans` cannot be read in", "program `loans` removed"),
        (DECISION, "decision cannot be read", "decision removed"),
    ],
)
def test_a_file_with_errors_is_not_reported_as_removed(
    pair: tuple[Path, Path], broken: str, said: str, not_said: str
) -> None:
    """A file left out of NEW for its own errors (its error goes to standard error) is said to be
    unreadable there: the diff called a program with a typo in program.yaml "removed"."""
    old, new = pair
    path = new / broken
    path.write_text(path.read_text(encoding="utf-8") + "unknown_key: 1\n", encoding="utf-8")
    r = run_cli("diff", str(old), str(new), "--at", "2024-05-01")
    assert said in r.out and not_said not in r.out, r.out
    assert "has 1 problem(s)" in r.err, r.err


def test_pages_that_change_count_their_html_and_past_editions(init_repo: Path, tmp_path: Path) -> None:
    """A language added to a marketplace changes every page there (its switcher) only in HTML, and
    a past edition is a page too: "Pages that change" listed the new pages alone."""
    new = tmp_path / "new"
    shutil.copytree(init_repo / "policies", new)
    edit(new / "marketplaces.yaml", "    locales: [en]\n", "    locales: [en, de]\n")
    r = run_cli("diff", str(init_repo / "policies"), str(new), "--at", "2025-03-01", "--format", "json")
    pages = {
        p["program"] + "/" + p["marketplace"] + "/" + p["locale"] + "/" + p["page"]: p
        for p in json.loads(r.out)["pages"]
    }
    assert "returns/us/de/help" in pages  # added
    assert "returns/us/en/help" in pages  # its switcher now offers German
    assert any(path.startswith("returns/us/en/") and path.count("/") == 4 for path in pages), sorted(pages)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("units > 30 and 5 <= cpu", [("units", "30"), ("cpu", "5")]),
        ("0.5 < rate and rate < params.max", [("rate", "0.5"), ("rate", "params.max")]),
        ("-3 < t", [("t", "-3")]),
        ("x1 < y", []),  # the 1 of `x1` is no bound of `y` (it was read as `1 < y`)
        ("a.b < 3", []),
        ("f(x) > 2", []),
        ("1" * 20_000 + " <", []),  # tried once, not at each digit (its length squared: a minute here)
    ],
)
def test_the_bounds_a_decision_compares_its_inputs_with(source: str, found: list[tuple[str, str]]) -> None:
    """Where `diff` looks for answers that change: each input's comparisons with numbers and parameters."""
    from engine.diff.outcomes import compared

    assert compared(source) == found


RETURN_ALLOWED = "returns/decisions/return_allowed.yaml"
WITHIN, LATE = "days_since_delivery <= params.return_window_days", "days_since_delivery > params.return_window_days"


@pytest.mark.parametrize(
    ("days", "changed"),
    [
        # the window 45 -> 60: days 46 to 60 change, tried at each edge and beside it
        ("days_since_delivery", "all with days_since_delivery in 46, 59, 60"),
        ("days_since_delivery + 1", "all with days_since_delivery in 45, 58, 59"),
        ("2 + days_since_delivery", "all with days_since_delivery in 44, 57, 58"),
        ("days_since_delivery - 1", "all with days_since_delivery in 47, 60, 61"),
        ("(days_since_delivery - 2) + 1", "all with days_since_delivery in 47, 60, 61"),
        # either branch (a constant one crosses nothing), and a `let` of such a `let`
        ("days_since_delivery if days_since_delivery > 0 else 0", "all with days_since_delivery in 46, 59, 60"),
        # anything else is not one input's value plus a number: left out (no bound for the input)
        ("days_since_delivery * 3", None),
        ("100 - days_since_delivery", None),
    ],
)
def test_a_let_of_one_input_gives_that_input_its_bounds(
    init_repo: Path, tmp_path: Path, days: str, changed: str | None
) -> None:
    """`window_units > params.min_units_for_cpu`, `window_units` a `let` of `units`: diff tried the
    inputs around a bound only where an input itself was compared, so it never found the answers
    a new threshold changes. A `let` that is an input, or an input plus or minus a number (in
    either branch of an `if`, through other such `let`s), gives that input the bound, moved by the
    number; any other `let` is left out."""
    lets = f'let:\n  shifted: "{days}"\n  days: "shifted"\nhit: first\n'
    edits = [
        (side, RETURN_ALLOWED, before, after)
        for side in ("old", "new")
        for before, after in (
            ("hit: first\n", lets),
            (WITHIN, WITHIN.replace("days_since_delivery", "days")),
            (LATE, LATE.replace("days_since_delivery", "days")),
        )
    ]
    edits.append(("new", RETURNS, "        value: 45\n", "        value: 60\n"))
    old, new = _starter_pair(init_repo, tmp_path, edits)
    _, out = diff(old, new, "--at", "2025-03-01")
    heads = [line for line in out.splitlines() if line.startswith("  returns.return_allowed · us · ")]
    if changed is None:
        assert heads == [], out
    else:
        assert len(heads) == 1 and heads[0].endswith(changed), out
