"""Dates and date-times are read in the same forms on every Python version (engine.model.dates); the
expected values below are the same whichever Python runs them."""

from __future__ import annotations

import datetime as dt
import sys

import pytest

from engine.decisions import inputs
from engine.decisions import runtime as helpers
from engine.i18n import cldr as l10n
from engine.model import dates
from engine.schema import predicates
from support import ROOT, run_cli

UTC = dt.timezone.utc


def _zone(hours: int, minutes: int = 0) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=hours, minutes=minutes))


def _input_ok(fmt: str, text: str) -> bool:
    """Whether a decision takes ``text`` as an input of this `format` (its input check says nothing)."""
    return inputs.InputChecker({"v": {"type": "string", "format": fmt}}, ()).check({"v": text}) == []


@pytest.mark.parametrize("text", ["2024-03-01", "2024-02-29", "0001-01-01", "9999-12-31"])
def test_a_date_is_yyyy_mm_dd(text: str) -> None:
    assert dates.parse_date(text).isoformat() == text


@pytest.mark.parametrize(
    "text, why",
    [
        ("20230701", "is not a date in the form YYYY-MM-DD"),  # read by Python 3.11+, not 3.10
        ("2023-W26-6", "is not a date in the form"),  # a week date (3.11+)
        ("2023-182", "is not a date in the form"),  # an ordinal date
        ("2024-3-1", "is not a date in the form"),
        ("2024-03-01T00:00:00Z", "is not a date in the form"),
        ("٢٠٢٤-٠٣-٠١", "is not a date in the form"),  # digits, but not ASCII ones
        ("2024-03-01\n", "is not a date in the form"),
        (" 2024-03-01", "is not a date in the form"),
        ("", "is not a date in the form"),
        ("2024-02-30", "is not a day of the calendar"),
        ("0000-01-01", "is not a day of the calendar"),
    ],
)
def test_other_date_forms_are_refused_everywhere(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        dates.parse_date(text)
    assert not predicates.is_date(text) and not _input_ok("date", text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-03-01T17:00:00Z", dt.datetime(2024, 3, 1, 17, tzinfo=UTC)),  # `Z`: Python 3.11+ only
        ("2024-03-01t17:00:00z", dt.datetime(2024, 3, 1, 17, tzinfo=UTC)),
        ("2024-03-01 17:00:00+01:00", dt.datetime(2024, 3, 1, 17, tzinfo=_zone(1))),
        ("2024-03-01T17:00-08:00", dt.datetime(2024, 3, 1, 17, tzinfo=_zone(-8))),
        ("2024-03-01T17:00:00+05:30", dt.datetime(2024, 3, 1, 17, tzinfo=_zone(5, 30))),
        ("2024-03-01T17:00:00-00:00", dt.datetime(2024, 3, 1, 17, tzinfo=UTC)),
        ("2024-03-01T17:00:00.5Z", dt.datetime(2024, 3, 1, 17, 0, 0, 500000, tzinfo=UTC)),  # 1 digit: 3.11+ only
        ("2024-03-01T17:00:00.123+01:00", dt.datetime(2024, 3, 1, 17, 0, 0, 123000, tzinfo=_zone(1))),
        ("2024-03-01T17:00:00.12345Z", dt.datetime(2024, 3, 1, 17, 0, 0, 123450, tzinfo=UTC)),
        ("2024-03-01T17:00:00.123456Z", dt.datetime(2024, 3, 1, 17, 0, 0, 123456, tzinfo=UTC)),
        ("2024-03-01T17:00:00.1234569Z", dt.datetime(2024, 3, 1, 17, 0, 0, 123456, tzinfo=UTC)),  # cut, not rounded
        ("2024-02-29T23:59:59+23:59", dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=_zone(23, 59))),
    ],
)
def test_a_date_time_is_rfc_3339_with_an_offset(text: str, expected: dt.datetime) -> None:
    parsed = dates.parse_datetime(text)
    assert parsed == expected and parsed.utcoffset() == expected.utcoffset()
    assert dates.parse(text) == expected
    assert helpers.aware(text) == expected and _input_ok("date-time", text)


@pytest.mark.parametrize(
    "text",
    [
        "20240301T170000Z",
        "2024-03-01T17:00:00+0100",
        "2024-03-01T17:00:00+01",
        "2024-03-01T17:00:00+01:00:30",
        "2024-03-01T24:00:00Z",
        "2024-03-01T17:00:60Z",
        "2024-03-01T17Z",
        "2024-03-01T17:00:00,5Z",
        "2024-03-01T17:00:00.Z",
        "2024-03-01T17:00:00+24:00",
        "2024-03-01T17:00:00 Z",
        "2024-W09-5T17:00:00Z",
        "2024-03-01T17:00:00Z\n",
        "2024-03-01",
        "",
    ],
)
def test_other_date_time_forms_are_refused_everywhere(text: str) -> None:
    with pytest.raises(ValueError, match="is not a date-time in the form|is not a date in the form"):
        dates.parse_datetime(text)
    assert helpers.aware(text) is None and not _input_ok("date-time", text)


def test_a_date_time_without_an_offset_is_refused_not_guessed() -> None:
    with pytest.raises(dates.NoOffset, match="has no time-zone offset; add `Z`"):
        dates.parse_datetime("2024-03-01T17:00:00")
    with pytest.raises(ValueError, match="not a moment of the calendar"):
        dates.parse_datetime("2024-02-30T17:00:00Z")


def test_expression_helpers_and_page_filters_read_the_same_forms() -> None:
    assert helpers.datetime("2024-03-01T17:00:00Z") == "2024-03-01T17:00:00+00:00"
    assert helpers.add_hours("2024-03-01T17:00:00.5z", 1) == "2024-03-01T18:00:00.500000+00:00"
    # an instant's day is judged in a marketplace's zone; with none given, in UTC (never the offset
    # it happens to be written in): 23:30 at -08:00 is already March 2 in UTC
    assert helpers.date("2024-03-01 23:30-08:00") == "2024-03-02"
    with pytest.raises(helpers.EvalError, match=r"`20240301` is not an ISO 8601 date \(YYYY-MM-DD\)"):
        helpers.date("20240301")
    assert l10n.date("2024-03-01T23:30:00Z", "de", time_zone="Europe/Berlin") == "2. März 2024"
    assert l10n.date("2024-03-01 23:30:00Z", "en") == "March 1, 2024"
    with pytest.raises(ValueError, match="is not a date in the form"):
        l10n.date("20240301", "en")


@pytest.mark.parametrize("command", [["show", "csba", "--marketplace", "us"], ["build", "--check"]])
def test_the_at_option_takes_yyyy_mm_dd_only(command: list[str]) -> None:
    run = run_cli(*command, "--at", "20230701", cwd=ROOT)
    assert run.code == 2
    assert "`20230701` is not a date in the form YYYY-MM-DD\n" in run.err
    assert "hint: write it `2023-07-01`: dates are read in the form YYYY-MM-DD only" in run.err
    assert run_cli("show", "csba", "--marketplace", "us", "--at", "2023-07-01", cwd=ROOT).code == 0


def test_the_python_api_takes_yyyy_mm_dd_only() -> None:
    import engine

    repo = engine.load(str(ROOT / "policies"))
    with pytest.raises(engine.PolicyError) as raised:
        repo.resolve("csba", "us", at="20230701")
    assert raised.value.usage and "`20230701` is not a date in the form YYYY-MM-DD" in str(raised.value.problems[0])


def test_json_schema_formats_are_the_same_forms() -> None:
    checker = predicates.format_checker()  # (jsonschema's, with the forms of engine.model.dates)
    assert checker.conforms("2024-03-01", "date") and not checker.conforms("20240301", "date")
    assert checker.conforms("2024-03-01T17:00:00Z", "date-time")
    assert not checker.conforms("2024-03-01T17:00:00", "date-time")  # also without rfc3339-validator
    assert not checker.conforms("today", "date-time") and checker.conforms(5, "date-time")


def test_the_common_form_fast_path_reads_as_the_full_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """`parse_datetime` hands the commonest form straight to `fromisoformat` on Python 3.11+: the
    same moments and the same refusals as the checked way, on random near-misses too."""
    import datetime as _dt
    import random

    from engine.model import dates

    rng = random.Random(5)
    for _ in range(5000):
        text = (
            f"{rng.randint(1, 9999):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d}{rng.choice('Tt ')}"
            f"{rng.randint(0, 25):02d}:{rng.randint(0, 61):02d}:{rng.randint(0, 61):02d}"
            f"{rng.choice(['Z', 'z', '+00:00', '-07:30', '+24:00', '', '.5Z', '+0530'])}"
        )

        def read(fast: bool) -> object:
            monkeypatch.setattr(dates, "_READS_Z", fast and sys.version_info >= (3, 11))
            try:
                moment = dates.parse_datetime(text)
            except ValueError as e:
                return type(e), str(e)
            assert isinstance(moment, _dt.datetime)
            return moment, moment.utcoffset()

        assert read(True) == read(False), text


# -- date-times the engine writes are read back: an offset of seconds (local mean time) ------------

_RFC_3339 = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?([+-][0-9]{2}:[0-9]{2}|Z)"


@pytest.mark.parametrize(
    "zone, moment, written",
    [
        ("America/Los_Angeles", "1850-01-01T00:00:00Z", "1849-12-31T16:07:00-07:53"),  # LMT -07:52:58
        ("Europe/Berlin", "1890-01-01T00:00:00Z", "1890-01-01T00:53:00+00:53"),  # LMT +00:53:28
        ("Asia/Kolkata", "1850-01-01T00:00:00.250Z", "1850-01-01T05:53:00.250000+05:53"),  # LMT +05:53:28
        ("America/Los_Angeles", "2024-06-01T00:00:00Z", "2024-05-31T17:00:00-07:00"),  # whole minutes: as ever
    ],
)
def test_a_date_time_the_engine_writes_is_rfc_3339_and_the_same_instant(zone: str, moment: str, written: str) -> None:
    """Python's isoformat writes a local-mean-time offset with its seconds (`-07:52:58`), which
    neither RFC 3339 nor policyctl reads: the engine refused what `datetime`, `local`, `add_hours`
    and `add_days` had written. They write the instant at the whole-minute offset instead."""
    import re

    from engine.model.clock import ZONE_KEY

    ctx = {ZONE_KEY: zone}
    for text in (
        helpers.z_datetime(ctx, moment),
        helpers.z_local(ctx, moment),
        helpers.z_add_hours(ctx, moment, 0),
        helpers.z_add_days(ctx, moment, 0),
    ):
        assert text == written and re.fullmatch(_RFC_3339, text)
        assert dates.parse_datetime(text) == dates.parse_datetime(moment)  # the same instant
        assert helpers.z_date(ctx, text) == helpers.z_date(ctx, moment)  # the same day in the zone
    assert dates.format_datetime(dt.datetime(1850, 1, 1, tzinfo=_zone(-7, -52))) == "1850-01-01T00:00:00-07:52"


@pytest.mark.parametrize(
    "marketplace, opened",
    [("us", "1850-01-01T00:00:00Z"), ("de", "1890-01-01T00:00:00Z")],
)
def test_a_decision_reads_the_date_times_it_computes_in_local_mean_time(marketplace: str, opened: str) -> None:
    """`csba.reply_deadline` computes a deadline (add_hours, in the marketplace's zone) and reads
    it again (`date(deadline)`): before, D005 "`1850-01-01T16:07:02-07:52:58` is not an ISO 8601
    date ... or date-time", no answer."""
    import json

    run = run_cli(
        "decide",
        "csba.reply_deadline",
        "-m",
        marketplace,
        "--at",
        "2024-06-05",
        "--input",
        "-",
        "--root",
        str(ROOT / "policies"),
        stdin=json.dumps({"opened_at": opened}),
    )
    body = json.loads(run.out)
    assert run.code == 0 and body["problems"] == [], run
    assert body["outputs"]["status"] == "overdue"
    deadline = body["outputs"]["deadline"]
    assert dates.parse_datetime(deadline) == dates.parse_datetime(body["outputs"]["deadline_utc"])
    assert deadline[-6:] in ("-07:53", "+00:53")
