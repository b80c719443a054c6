"""Dated changes on the calendar's first and last days (0001-01-01, 9999-12-31), in the zones
furthest from UTC (+14:00, -12:00): every command answers; none steps off the calendar.

A change from 0001-01-01 has no day before it: no "original" edition of the pages (`build`
failed with a traceback computing its day) and no span before it for `diff` (the same)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support import run_cli

PROGRAM = Path("policies") / "returns" / "program.yaml"
CHANGES = """      - from: "0001-01-01"
        value: 40
        source: the first edition
      - from: "2025-01-01"
        value: 45
        source: the returns policy, 2025 edition
      - from: "9999-12-31"
        value: 46
        source: the last edition
"""


@pytest.fixture
def edges(init_repo: Path) -> Path:
    program = init_repo / PROGRAM
    text = program.read_text("utf-8")
    start = text.index('      - from: "2025-01-01"')
    end = text.index("2025 edition\n", start) + len("2025 edition\n")
    program.write_text(text[:start] + CHANGES + text[end:], "utf-8")
    places = init_repo / "policies" / "marketplaces.yaml"
    zones = places.read_text("utf-8").replace("America/New_York", "Pacific/Kiritimati")
    places.write_text(zones.replace("Europe/Berlin", "Etc/GMT+12"), "utf-8")
    assert run_cli("validate", "--root", str(init_repo)).code == 0
    return init_repo


# --at -> the edition folders beside the current page (`original`: none, its day is not on the calendar)
EDITIONS = {
    "0001-01-01": [],
    "2025-03-01": ["0001-01-01"],
    "9999-12-31": ["0001-01-01", "2025-01-01"],
}


@pytest.mark.parametrize("at", EDITIONS)
def test_a_change_from_the_first_day_has_no_original_edition(edges: Path, tmp_path: Path, at: str) -> None:
    out = tmp_path / "out"
    r = run_cli("build", "--root", str(edges), "--out", str(out), "--at", at)
    assert r.code == 0 and "Traceback" not in r.out + r.err, r
    here = out / "returns" / "us" / "en"
    assert sorted(p.name for p in here.iterdir() if p.is_dir()) == EDITIONS[at]


def test_diff_says_a_change_from_the_first_day_both_ways(edges: Path, init_starter: Path, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(init_starter / "policies", old)
    for a, b, said in [
        (old, edges / "policies", "returns · us · Return window 30 → 40 from 0001-01-01 until 2024-12-31"),
        (edges / "policies", old, "returns · us · Return window 40 → 30 from 0001-01-01 until 2024-12-31"),
    ]:
        r = run_cli("diff", str(a), str(b))
        assert r.code == 0 and "Traceback" not in r.out + r.err and said in r.out, r
    assert "none that matter" in run_cli("diff", str(edges / "policies"), str(edges / "policies")).out


@pytest.mark.parametrize("at", ["0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("marketplace", ["us", "de"])
def test_the_calendars_ends_are_answered_in_every_zone(edges: Path, at: str, marketplace: str) -> None:
    window = "40" if at == "0001-01-01" else "46"
    shown = run_cli("show", "returns", "-m", marketplace, "--at", at, "--root", str(edges))
    assert shown.code == 0 and f"return_window_days: {window}" in shown.out, shown
    args = ["decide", "returns.return_allowed", "-m", marketplace, "--at", at, "--root", str(edges), "-i", "-"]
    r = run_cli(*args, stdin=f'{{"days_since_delivery": {window}}}')
    assert r.code == 0 and '"allowed": true' in r.out, r
    assert run_cli("history", "returns", "--root", str(edges)).code == 0
