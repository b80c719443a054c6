"""Principle 5: "today" is the marketplace's, taken from `engine.model.clock` (never the host's
clock: `clock.host`, set here), in every command that has one. The starter repository (`policyctl
init`): `us` is America/New_York, `de` Europe/Berlin; its return window is 45 days from 2025-01-01."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.model import clock


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def set_now(monkeypatch: pytest.MonkeyPatch, instant: str) -> None:
    """Make the host's clock (`clock.host`) say ``instant`` (RFC 3339) from now on."""
    moment = _instant(instant)
    monkeypatch.setattr(clock, "host", lambda: moment)


@pytest.mark.parametrize(
    "instant, zone, day",
    [
        ("2025-01-01T04:59:59Z", "America/New_York", "2024-12-31"),  # New Year's Eve there
        ("2025-01-01T05:00:00Z", "America/New_York", "2025-01-01"),
        ("2024-12-31T22:59:59Z", "Europe/Berlin", "2024-12-31"),
        ("2024-12-31T23:00:00Z", "Europe/Berlin", "2025-01-01"),  # already the next day there
        ("2024-03-01T07:59:59Z", "America/Los_Angeles", "2024-02-29"),
        ("2024-03-10T10:30:00Z", "America/Los_Angeles", "2024-03-10"),  # after the DST change (UTC-7)
        ("2024-10-27T00:30:00Z", "Europe/Berlin", "2024-10-27"),  # 02:30 CEST, the night clocks go back
        ("2024-06-30T23:30:00Z", None, "2024-06-30"),  # no marketplace: UTC
    ],
)
def test_today_is_the_marketplace_day_of_the_clock(
    monkeypatch: pytest.MonkeyPatch, instant: str, zone: str | None, day: str
) -> None:
    set_now(monkeypatch, instant)
    assert clock.today(zone) == day


def test_the_preview_shows_the_new_day_s_page_after_midnight_there(
    monkeypatch: pytest.MonkeyPatch, init_repo: Path
) -> None:
    """`policyctl serve` kept a page rendered without `?at=` for as long as the sources did not
    change: left running past midnight in the marketplace, it went on showing the day before's
    rules (the old return window, "Next change" on a day already come)."""
    from engine.commands.serve import Preview

    preview = Preview(str(init_repo / "policies"))
    set_now(monkeypatch, "2025-01-01T04:59:00Z")  # 23:59 on Dec 31 in New York
    status, _, before, _ = preview.page("returns/us/en/help.md", None)
    assert status == 200 and "within 30 days" in before and "Next change" in before
    set_now(monkeypatch, "2025-01-01T05:00:00Z")  # midnight there: the change is in force
    status, _, after, _ = preview.page("returns/us/en/help.md", None)
    assert status == 200 and "within 45 days" in after and "Next change" not in after


_DECISION = """kind: decision
id: early
title: Delivered early?
description: Whether the item was delivered before July 2025 began in the marketplace.
inputs:
  delivered_at: {{type: string, format: date-time, description: When the item was delivered.}}
required: [delivered_at]
hit: first
rules:
  - id: early
    when: "{when}"
    reason: early
    then: {{early: true}}
default: {{early: false}}
outputs:
  early: {{type: boolean}}
"""


@pytest.mark.parametrize(
    "when, error",
    [
        # `2025-07-01T06:30:00Z` (before midnight in Los Angeles) sorts after `...T00:00:00-07:00`
        ("delivered_at < '2025-07-01T00:00:00-07:00'", "11:25: error[E003]: `<` compares date-times as text"),
        ("'2025-07-01T07:00:00Z' > delivered_at", "11:35: error[E003]: `>` compares date-times as text"),
        ("local(delivered_at) <= '2025-07-01T00:00:00Z'", "11:32: error[E003]: `<=` compares date-times as text"),
        ("before(delivered_at, '2025-07-01T00:00:00-07:00')", None),
        ("date(delivered_at) < '2025-07-01'", None),  # days compare as text: `YYYY-MM-DD`
        ("delivered_at == delivered_at", None),
    ],
)
def test_date_times_are_not_ordered_as_text(init_repo: Path, when: str, error: str | None) -> None:
    """`<`, `<=`, `>`, `>=` on date-time texts compared their characters: the same instant written
    with another offset (`2025-06-30T23:30:00-07:00`, `2025-07-01T06:30:00Z`) got another answer,
    and validate said nothing."""
    from support import run_cli

    path = init_repo / "policies" / "returns" / "decisions" / "early.yaml"
    path.write_text(_DECISION.format(when=when), encoding="utf-8")
    result = run_cli("validate", "--root", str(init_repo))
    if error is None:
        assert result.code == 0, result
    else:
        assert result.code == 1 and f"returns/decisions/early.yaml:{error}" in result.out + result.err, result
        assert "hint: compare instants with `before(a, b)` or `after(a, b)`" in result.out + result.err


def _files(top: Path) -> dict[str, bytes]:
    return {str(p.relative_to(top)): p.read_bytes() for p in sorted(top.rglob("*")) if p.is_file()}


def test_a_build_across_midnight_is_one_day_s_site(
    monkeypatch: pytest.MonkeyPatch, init_repo: Path, tmp_path: Path
) -> None:
    """`build` asked the clock for "today" again and again (editions, each page, the feeds): one
    that ran across midnight in New York planned the pages of Dec 31 (no past edition) and rendered
    the current page of Jan 1 (45 days, with a link to a past edition it never wrote)."""
    from support import run_cli

    monkeypatch.setenv("POLICYCTL_JOBS", "1")
    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    set_now(monkeypatch, "2025-01-01T04:59:59Z")  # 23:59:59 on Dec 31 there
    assert run_cli("build", "--root", str(init_repo), "--out", str(tmp_path / "still")).code == 0
    reads = iter([_instant("2025-01-01T04:59:59Z")])
    # the first reading of the clock before midnight there, every later one after it
    monkeypatch.setattr(clock, "host", lambda: next(reads, _instant("2025-01-01T05:00:00Z")))
    assert run_cli("build", "--root", str(init_repo), "--out", str(tmp_path / "moving")).code == 0
    assert _files(tmp_path / "moving") == _files(tmp_path / "still")


def test_explain_says_when_the_date_a_value_took_effect_is_assumed(init_repo: Path) -> None:
    """`decide --explain` (text and JSON) and the bundle's answers named a change's assumed date
    as fact ("base change from 2025-01-01"), where pages and `history` say it is not confirmed."""
    from support import edit, run_cli

    edit(
        init_repo / "policies" / "returns" / "program.yaml",
        "        source: the returns policy, 2025 edition\n",
        "        source: the returns policy, 2025 edition\n"
        "        assumption: The edition does not say from when; this date is assumed.\n"
        "        assumed: [date]\n",
    )
    ask = '{"days_since_delivery": 40}'
    common = ("decide", "returns.return_allowed", "-m", "us", "--at", "2025-03-01", "--explain", "--input", "-")
    text = run_cli(*common, "--format", "text", cwd=init_repo, stdin=ask)
    assert text.code == 0, text
    assert (
        "return_window_days = 45    [policies/returns/program.yaml:23, base change from 2025-01-01 (date assumed)]"
        in text.out
    )
    answer = run_cli(*common, cwd=init_repo, stdin=ask)
    assert '"origin": "base change from 2025-01-01 (date assumed)"' in answer.out, answer
    bundle = init_repo / "returns.bundle"
    assert run_cli("bundle", "--out", str(bundle), cwd=init_repo).code == 0
    served = run_cli(*common, "--bundle", str(bundle), stdin=ask)
    assert '"origin": "base change from 2025-01-01 (date assumed)"' in served.out, served
