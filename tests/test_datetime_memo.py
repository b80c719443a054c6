"""The memos of parsed date-times (engine.decisions.runtime.aware, engine.decisions.inputs._date_time_ok) change no answer.

Each memoized path is compared with the checked path it short-cuts, cold (memo empty) and warm
(memo filled by earlier calls, in both orders), and the memos are shown to stay bounded.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from engine.decisions import inputs
from engine.decisions import runtime as helpers
from engine.model.clock import LINES_KEY, ZONE_KEY

ROOT = Path(__file__).resolve().parent.parent

TEXTS = [
    "2024-03-01T10:00:00Z",
    "2024-03-01T10:00:00+01:00",
    "2024-03-01T09:00:00Z",
    "2024-03-01T10:00:00",
    "2024-01-01T00:00:00+01:00",
    "2023-12-31T23:30:00Z",
    "2023-12-31T23:00:00Z",
    "2024-03-01 10:00Z",
    "2024-03-01T10:00:00.123+05:30",
    "2024-03-01T10:00:00z",
    "2024-03-01T10:00:00+0100",
    "2024-03-01T25:00:00Z",
    "2024-13-01T00:00Z",
    "20240301T100000Z",
    "2024-03-01T10:00:00-12:00",
    "2024-03-01",
    "2024-02-30",
    "",
    "x",
    "2024-03-01T10:00:00+01:00:30",
    "٢٠٢٤-٠٣-٠١T10:00:00Z",
    "2024-03-01T10:00:00.1234567Z",
]
VALUES: list[Any] = TEXTS + [None, 1, 1.5, True, ["2024-03-01T10:00:00Z"]]


def _clear() -> None:
    helpers._MOMENTS.clear()
    helpers._DAYS.clear()


def _outcome(fn: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    try:
        return ("ok", fn(*args))
    except helpers.EvalError as e:
        return ("error", str(e))


@pytest.fixture(autouse=True)
def _fresh_memos() -> Any:
    _clear()
    yield
    _clear()


@pytest.mark.parametrize("helper", [helpers.before, helpers.after, helpers.days_between])
def test_date_helpers_with_the_memo_equal_the_checked_way(
    helper: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    pairs = list(itertools.product(VALUES, VALUES))
    cold = []
    for a, b in pairs:
        _clear()
        cold.append(_outcome(helper, a, b))
    warm = [_outcome(helper, a, b) for a, b in pairs]  # the memo filled by every pair before
    warm_reversed = [_outcome(helper, a, b) for a, b in reversed(pairs)][::-1]
    monkeypatch.setattr(helpers, "_learn", lambda text: None)  # the fast path never taken
    monkeypatch.setattr(helpers, "_MOMENTS", {})
    checked = [_outcome(helper, a, b) for a, b in pairs]
    assert cold == warm == warm_reversed == checked


ZONED = {
    ZONE_KEY: "America/Los_Angeles",
    LINES_KEY: {"trial": [(None, 30), ("2024-03-01", 60), ("2024-03-02", 90)]},
}
PERIODS: list[Any] = (
    [None, [], "x", [None], [{}], [{"from": None}]]
    + [[{"from": a}] for a in VALUES[:8]]
    + [[{"from": a, "to": b}] for a, b in itertools.product(TEXTS[:9], TEXTS[:9])]
    + [[{"from": "2023-01-01T00:00:00Z", "to": "2023-06-01T00:00:00Z"}, {"from": b}] for b in TEXTS[:6]]
)


def _during(moment: Any, periods: Any) -> Any:
    return helpers.during(moment, periods)


@pytest.mark.parametrize(
    "call, args",
    [
        (lambda a, b: helpers.z_days_between(ZONED, a, b), "pairs"),
        (lambda a: helpers.z_date(ZONED, a), "values"),
        (lambda a: helpers.z_date(None, a), "values"),
        (lambda a: helpers.param_on(ZONED, "trial", a), "values"),
        (_during, "periods"),
    ],
)
def test_zoned_helpers_and_during_with_the_memos_equal_the_checked_way(
    call: Callable[..., Any], args: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases: list[tuple[Any, ...]] = (
        list(itertools.product(VALUES, VALUES))
        if args == "pairs"
        else [(v,) for v in VALUES]
        if args == "values"
        else list(itertools.product(VALUES, PERIODS))
    )
    cold = []
    for case in cases:
        _clear()
        cold.append(_outcome(call, *case))
    warm = [_outcome(call, *case) for case in cases]
    warm_reversed = [_outcome(call, *case) for case in reversed(cases)][::-1]
    monkeypatch.setattr(helpers, "_learn", lambda text: None)  # no fast path taken
    monkeypatch.setattr(helpers, "_plain_day", lambda text: None)
    monkeypatch.setattr(helpers, "_during_instants", lambda moment, periods: None)
    monkeypatch.setattr(helpers, "_MOMENTS", {})
    monkeypatch.setattr(helpers, "_DAYS", {})
    checked = [_outcome(call, *case) for case in cases]
    assert cold == warm == warm_reversed == checked


def test_instants_in_different_offsets_compare_as_instants() -> None:
    for _ in range(2):  # cold, then from the memo
        assert helpers.before("2023-12-31T23:30:00Z", "2024-01-01T00:00:00+01:00") is False  # 23:00Z
        assert helpers.after("2024-01-01T00:00:00+01:00", "2023-12-31T23:30:00Z") is False
        assert helpers.before("2024-01-01T00:00:00+01:00", "2023-12-31T23:30:00Z") is True
        # calendar days in one zone (here UTC): 2023-12-31 to 2024-01-02, whatever offsets were written
        assert helpers.days_between("2024-01-01T00:00:00+01:00", "2024-01-02T00:00:00Z") == 2
        assert helpers.after("2024-03-01T10:00:00-12:00", "2024-03-01T21:59:59Z") is True


def test_input_date_time_check_with_the_memo_equals_the_explaining_check() -> None:
    expected = [inputs._format_ok("date-time", t) for t in TEXTS]
    assert [inputs._date_time_ok(t) for t in TEXTS] == expected  # cold
    assert [inputs._date_time_ok(t) for t in TEXTS] == expected  # warm
    for t in TEXTS:  # helpers' memo filled first: the check then reads it
        helpers.aware(t)
    assert [inputs._date_time_ok(t) for t in TEXTS] == expected

    class Text(str):
        def __hash__(self) -> int:
            raise AssertionError("a str subclass must not reach the memo")

    assert [inputs._date_time_ok(Text(t)) for t in TEXTS] == expected


def test_memos_are_bounded() -> None:
    texts = [f"2024-01-01T00:00:00.{i:06d}Z" for i in range(helpers.MAX_MOMENTS + 500)]
    for t in texts:
        assert inputs._date_time_ok(t)
        assert helpers.before(t, "2025-01-01T00:00:00Z")
        assert len(helpers._MOMENTS) <= helpers.MAX_MOMENTS
    assert not helpers.after(texts[0], texts[-1])  # evicted entries are parsed again, correctly


@pytest.mark.skipif(not (ROOT / "policies" / "csba").is_dir(), reason="no csba program")
def test_a_batch_answers_the_same_with_memos_cold_for_every_line() -> None:
    import engine
    from engine.decisions.batch import run_decide

    repo = engine.load(str(ROOT / "policies"))
    decision = repo.program("csba").decisions["coverage"]
    times = [t for t in TEXTS if t] + ["2024-02-01T00:00:00+01:00", "2024-01-31T23:30:00Z", "2024-02-01T00:30:00+01:00"]
    lines = []
    for i, (placed, enrolled, opted) in enumerate(itertools.product(times[::2], times[1::3], [None, *times[::4]])):
        period = {"from": enrolled} if opted is None else {"from": enrolled, "to": opted}
        case: dict[str, Any] = {
            "inquiry_type": "delivery",
            "order_stage": "post_order",
            "fulfillment": "seller",
            "order_placed_at": placed,
            "enrollments": [period],
        }
        lines.append(json.dumps(case))
    assert set(decision.inputs) >= {"order_placed_at", "enrollments"}

    def answers(text: str) -> list[Any]:
        out = io.StringIO()
        run_decide(repo, "csba", "coverage", "us", "2024-06-01", io.StringIO(text), out)
        results = [json.loads(x) for x in out.getvalue().splitlines()]
        for result in results:  # the same answer or problem on another line of the input
            result["line"] = 0
            for problem in result["problems"]:
                problem["line"] = 0
        return results

    warm = answers("\n".join(lines * 2) + "\n")  # every line twice: the second time from the memos
    cold = []
    for line in lines:
        _clear()
        cold += answers(line + "\n" + line + "\n")[:1]  # two lines: read as JSON Lines
    assert warm == cold + cold
    matched = {m for result in cold for m in result["matches"]}
    assert {"placed_while_opted_out", "placed_before_enrollment", "covered"} <= matched
    assert any(p["code"] == "D004" for result in cold for p in result["problems"])
