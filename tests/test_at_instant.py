"""`--at` (and the service's `at`) is a day; a date-time given there got the hint for any
malformed date. The hint now says the day it falls on in the marketplace's time zone (principle 5)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from engine.model.dates import date_hint
from support import call, run_cli

DAY = "the date is a day in the marketplace's time zone, not an instant"


@pytest.mark.parametrize(
    ("at", "marketplace", "hint"),
    [
        ("2024-12-31T23:00Z", "us", f"{DAY}: `2024-12-31T23:00Z` falls on `2024-12-31` in America/New_York, so write `2024-12-31`"),
        ("2024-12-31T23:00Z", "de", f"{DAY}: `2024-12-31T23:00Z` falls on `2025-01-01` in Europe/Berlin, so write `2025-01-01`"),
        ("2025-01-01T03:30:00+05:00", "de", f"{DAY}: `2025-01-01T03:30:00+05:00` falls on `2024-12-31` in Europe/Berlin, so write `2024-12-31`"),
        ("2024-12-31T23:00", "de", "the date is a day, not a time: write `2024-12-31`"),
        ("2024-13-01", "de", "write a date in the form YYYY-MM-DD, such as 2024-03-01"),
    ],
)  # fmt: skip
def test_decide_at_an_instant_is_told_its_day_there(
    init_starter: Path, bundle: Path, at: str, marketplace: str, hint: str
) -> None:
    args = ["decide", "returns.return_allowed", "-m", marketplace, "--at", at, "--input", "-"]
    for answering in ([], ["--bundle", str(bundle)]):
        run = run_cli(*args, *answering, "--root", str(init_starter), stdin='{"days_since_delivery": 3}')
        assert run.code == 2, run
        assert run.err.endswith(f"  hint: {hint}\n"), run


@pytest.fixture(scope="module")
def bundle(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("at-instant") / "policies.bundle"
    assert run_cli("bundle", "--out", str(out), "--root", str(init_starter)).code == 0
    return out


def test_without_a_marketplace_the_hint_says_where_the_day_is() -> None:
    assert date_hint("2024-12-31T23:00Z") == f"{DAY}: write the day `2024-12-31T23:00Z` falls on there (YYYY-MM-DD)"


def test_the_service_tells_the_day_in_the_marketplaces_zone(bundle: Path) -> None:
    pytest.importorskip("uvicorn")
    from engine.service.app import App, Limits
    from engine.service.logs import Log
    from engine.service.state import Source

    source = Source(str(bundle), None)
    source.load()
    app: Any = App(source, Limits(), Log(io.StringIO()), poll=0)
    body = b'{"input": {"days_since_delivery": 3}, "marketplace": "de", "at": "2024-12-31T23:00Z"}'
    status, _, answer = call(app, "POST", "/v1/decide/returns/return_allowed", body)
    [problem] = json.loads(answer)["problems"]
    assert (status, problem["hint"]) == (
        400,
        f"{DAY}: `2024-12-31T23:00Z` falls on `2025-01-01` in Europe/Berlin, so write `2025-01-01`",
    )
