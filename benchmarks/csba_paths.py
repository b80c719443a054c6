"""Every decision path of csba.fee and csba.coverage against a hand-written equivalent.

Each path gets a pool of distinct inputs that all take it (distinct counts, rates, days and
instants: no memo of the engine answers a repeated text), and both sides are timed cycling
through the same pool. The hand-written functions are what a careful programmer would write for
the same policy: the same parameters, days judged in the marketplace's time zone, money rounded
half away from zero on the decimal digits (as `round` does in expressions).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import sys
from collections.abc import Callable, Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

POOL = 2_000  # distinct inputs per path (the engine's date memos hold 4,096 texts: a pool cycles
# through them; `DISTINCT` below uses 2x that many so that every parse is a real one)
DISTINCT = 10_000

if sys.version_info >= (3, 11):
    instant = dt.datetime.fromisoformat
else:  # Python 3.10's fromisoformat does not read `Z`

    def instant(s: str) -> dt.datetime:
        return dt.datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith("Z") else s)


def round_half_up(x: float, places: int) -> float:
    return float(Decimal(repr(x)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _stamp(rng: random.Random, year: int, months: tuple[int, int]) -> str:
    """A distinct-looking instant: any second of a day, with one of several offsets."""
    offset = rng.choice(["Z", "+00:00", "+01:00", "-07:00", "+05:30", "-03:00"])
    return (
        f"{year}-{rng.randint(*months):02d}-{rng.randint(1, 28):02d}T{rng.randint(0, 23):02d}:"
        f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}{offset}"
    )


# --- csba.fee ------------------------------------------------------------------------------------


def fee_paths(at: str, n: int = POOL, seed: int = 11) -> dict[str, list[dict[str, Any]]]:
    """Distinct inputs for each row of csba.fee (at 2024-06-01 with the US parameters: a 90-day
    trial, CPU measured above 30 units, tiers 5/15/30 %, the VTR discount at 95 %/95 %)."""
    rng = random.Random(seed)
    day = dt.date.fromisoformat(at)

    def joined(lo: int, hi: int) -> str:
        return (day - dt.timedelta(days=rng.randint(lo, hi))).isoformat()

    def measured() -> dict[str, Any]:
        units = rng.randint(31, 200_000)
        return {"units": units, "contacts": rng.randint(0, units // 2), "first_enrolled_on": joined(120, 3000)}

    paths: dict[str, list[dict[str, Any]]] = {
        "joined_after_decision_date": [
            {"units": rng.randint(0, 10**6), "contacts": rng.randint(0, 999), "first_enrolled_on": joined(-900, -1)}
            for _ in range(n)
        ],
        "in_trial": [
            {"units": rng.randint(0, 10**6), "contacts": rng.randint(0, 999), "first_enrolled_on": joined(0, 80)}
            for _ in range(n)
        ],
        "too_few_units": [
            {"units": rng.randint(0, 30), "contacts": rng.randint(0, 99), "first_enrolled_on": joined(120, 3000)}
            for _ in range(n)
        ],
        "vtr_discount": [
            dict(
                measured(),
                valid_tracking_rate=round(rng.uniform(95, 100), 2),
                prepaid_return_label_rate=round(rng.uniform(95, 100), 2),
            )
            for _ in range(n)
        ],
        "by_tier": [
            dict(
                measured(),
                valid_tracking_rate=round(rng.uniform(0, 94.9), 2),
                prepaid_return_label_rate=round(rng.uniform(0, 100), 2),
            )
            for _ in range(n)
        ],
    }
    return paths


Answer = tuple[dict[str, Any], str]  # the outputs, and the id of the rule that gave them


def fee_by_hand(params: dict[str, Any], lines: dict[str, Any], at: str) -> Callable[[dict[str, Any]], Answer]:
    """csba.fee as one would write it in Python (the trial length by the day the seller joined)."""
    today = dt.date.fromisoformat(at)
    trial_line: list[tuple[str | None, int]] = [(start, value) for start, value in lines["trial_days"]]
    tiers, currency = params["fee_tiers"], params["currency"]
    minimum, default_fee = params["min_units_for_cpu"], params["default_fee"]
    need = params["vtr_discount_requirements"]
    vtr_min, label_min = need["min_valid_tracking_rate"], need["min_prepaid_return_label_rate"]
    discounts = params["vtr_discount_percent_by_tier"]

    def trial_days(on: str) -> int:
        chosen = trial_line[0][1]
        for start, value in trial_line[1:]:
            if start is not None and start <= on:
                chosen = value
        return chosen

    def fee(inp: dict[str, Any]) -> Answer:
        first = inp.get("first_enrolled_on")
        joined = dt.date.fromisoformat(first) if first is not None else None
        if joined is not None and today < joined:
            return {"basis": "refused"}, "joined_after_decision_date"
        in_trial = inp.get("in_trial")
        if in_trial is None:
            in_trial = joined is not None and (today - joined).days < trial_days(first)  # type: ignore[arg-type]  # (joined is set: first is a str)
        if in_trial:
            return {"basis": "trial", "fee_per_unit": 0, "total": 0, "currency": currency}, "in_trial"
        units, contacts = inp["units"], inp.get("contacts")
        window = inp.get("cpu_units", units)
        if contacts is None or window <= minimum:
            return {
                "basis": "default",
                "fee_per_unit": default_fee,
                "total": round_half_up(units * default_fee, 2),
                "currency": currency,
            }, "too_few_units"
        cpu = contacts * 100 / window
        band = next(
            b for b in tiers if (b["over"] is None or cpu > b["over"]) and (b["up_to"] is None or cpu <= b["up_to"])
        )
        vtr, label = inp.get("valid_tracking_rate"), inp.get("prepaid_return_label_rate")
        discount = (
            discounts.get(str(band["tier"]), 0)
            if (vtr is not None and label is not None and vtr >= vtr_min and label >= label_min)
            else 0
        )
        tier_fee = round_half_up(band["fee"] * (100 - discount) / 100, 4)
        out = {"basis": "vtr_discount" if discount > 0 else "tier", "tier": band["tier"], "cpu": round_half_up(cpu, 2)}
        if discount > 0:
            out["discount_percent"] = discount
        out.update(fee_per_unit=tier_fee, total=round_half_up(units * tier_fee, 2), currency=currency)
        return out, "vtr_discount" if discount > 0 else "by_tier"

    return fee


# --- csba.coverage -------------------------------------------------------------------------------


def coverage_paths(at: str, n: int = POOL, seed: int = 13) -> dict[str, list[dict[str, Any]]]:
    """Distinct inputs for each row of csba.coverage (US parameters: seller-fulfilled, post-order,
    invoices and product customization excluded, orders before enrollment not covered)."""
    rng = random.Random(seed)
    kinds = ["delivery", "return", "refund", "where_is_my_order", "damaged_item", "late_delivery"]

    def base(**extra: Any) -> dict[str, Any]:
        case = {
            "inquiry_type": rng.choice(kinds),
            "order_stage": "post_order",
            "fulfillment": "seller",
            "order_placed_at": _stamp(rng, 2024, (1, 5)),
        }
        case.update(extra)
        return {k: v for k, v in case.items() if v is not None}

    def period(year: int, months: tuple[int, int] = (1, 12), to: str | None = None) -> dict[str, str]:
        p = {"from": _stamp(rng, year, months)}
        if to:
            p["to"] = to
        return p

    return {
        "fba_order": [base(fulfillment="fba", enrollments=[period(2022)]) for _ in range(n)],
        "pre_order_inquiry": [base(order_stage="pre_order", enrollments=[period(2022)]) for _ in range(n)],
        "excluded_inquiry_type": [
            base(inquiry_type=rng.choice(["invoice", "product_customization"]), enrollments=[period(2022)])
            for _ in range(n)
        ],
        "never_enrolled": [base() for _ in range(n)],
        "joined_after_decision_date": [base(enrollments=[period(2025)]) for _ in range(n)],
        "order_time_missing": [base(order_placed_at=None, enrollments=[period(2022)]) for _ in range(n)],
        "covered": [base(enrollments=[period(2023)]) for _ in range(n)],
        "placed_before_enrollment": [
            base(order_placed_at=_stamp(rng, 2022, (1, 12)), enrollments=[period(2023)]) for _ in range(n)
        ],
        "placed_while_opted_out": [
            base(enrollments=[period(2022, (1, 6), to=_stamp(rng, 2023, (1, 12)))]) for _ in range(n)
        ],
    }


def coverage_by_hand(params: dict[str, Any], zone: str, at: str) -> Callable[[dict[str, Any]], Answer]:
    tz = ZoneInfo(zone)
    covered_fulfillment, stage = params["covered_fulfillment"], params["covered_order_stage"]
    excluded, pre_covered = params["excluded_inquiry_types"], params["pre_enrollment_orders_covered"]

    def coverage(inp: dict[str, Any]) -> Answer:
        if inp["fulfillment"] not in covered_fulfillment:
            return {"handler": "seller", "channel": "buyer_seller_messaging"}, "fba_order"
        if inp["order_stage"] != stage:
            return {"handler": "seller", "channel": "buyer_seller_messaging"}, "pre_order_inquiry"
        if inp["inquiry_type"] in excluded:
            return {"handler": "seller", "channel": "buyer_seller_messaging"}, "excluded_inquiry_type"
        periods = inp.get("enrollments")
        if not periods:
            return {"handler": "seller", "channel": "buyer_seller_messaging"}, "never_enrolled"
        joined = instant(periods[0]["from"])
        if at < joined.astimezone(tz).date().isoformat():
            return {"handler": "refused"}, "joined_after_decision_date"
        placed_at = inp.get("order_placed_at")
        if placed_at is None:
            return {"handler": "undetermined"}, "order_time_missing"
        placed = instant(placed_at)
        for p in periods:
            if instant(p["from"]) <= placed and ("to" not in p or placed < instant(p["to"])):
                return {"handler": "marketplace", "channel": "csba"}, "covered"
        if pre_covered and placed < joined:
            return {"handler": "marketplace", "channel": "csba"}, "covered"
        if placed < joined:
            return {"handler": "seller", "channel": "buyer_seller_messaging"}, "placed_before_enrollment"
        return {"handler": "seller", "channel": "buyer_seller_messaging"}, "placed_while_opted_out"

    return coverage


def cycling(fn: Callable[[dict[str, Any]], Any], pool: list[dict[str, Any]]) -> Callable[[], Any]:
    """A call of ``fn`` on the next input of the pool (the same cost on both sides)."""
    it: Iterator[dict[str, Any]] = itertools.cycle(pool)
    return lambda: fn(next(it))
