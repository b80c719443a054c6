"""The CSBA and guidelines facts from the seeds, as `policyctl show` reports them.

One row per fact: marketplace, date, parameter, expected value. Dates: 2022-06-01 is the 2022
edition (seed 001), 2024-06-01 the newer one (seed 002); the DE facts come from seed 000 and the
fee tables from REFERENCE.md.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from support import ROOT, run_cli

OLD, NEW = "2022-06-01", "2024-06-01"
US_TIERS = [(None, 5, 0.10), (5, 15, 0.25), (15, 30, 0.50), (30, None, 0.70)]
DE_TIERS = [(None, 5, 0.09), (5, 15, 0.41), (15, 30, 1.09), (30, None, 2.55)]

FACTS: list[tuple[str, str, str, Any]] = [
    ("us", OLD, "trial_days", 30),
    ("us", NEW, "trial_days", 90),
    ("de", NEW, "trial_days", 30),
    ("us", OLD, "eligible_business_regions", None),
    ("us", NEW, "eligible_business_regions", ["US", "CN", "HK", "MO", "TW"]),
    ("us", NEW, "required_seller_type", "professional"),
    ("us", NEW, "requires_good_standing", True),
    ("us", NEW, "requires_terms_acceptance", True),
    ("us", NEW, "contact_addresses", {"US": "csba-ustous@amazon.com", "CN": "csba-cn2us@amazon.com"}),
    ("de", NEW, "contact_addresses", {"DE": "csba-de2de@amazon.de", "CN": "csba-cn2de@amazon.de"}),
    ("us", NEW, "service_channels", ["phone", "instant_message", "email"]),
    ("de", NEW, "service_channels", ["phone", "instant_message", "email"]),
    ("us", NEW, "service_hours_per_day", 24),
    ("us", NEW, "customer_languages", "store_supported_languages"),
    ("us", NEW, "seller_communication_languages", ["en", "zh"]),
    ("us", NEW, "reply_deadline_hours", 24),
    ("us", NEW, "reply_deadline_counts_weekends_and_holidays", True),
    ("us", NEW, "missed_reply_consequence", "marketplace_judgment"),
    ("us", NEW, "customer_resolution_target_days", 2),
    ("us", NEW, "service_start_within_hours", 1),
    ("us", NEW, "pre_enrollment_orders_covered", False),
    ("us", NEW, "after_opt_out", {"existing_orders": "marketplace", "new_orders": "seller"}),
    ("us", NEW, "new_sellers_enrolled_by_default", True),
    ("us", NEW, "excluded_inquiry_types", ["invoice", "product_customization"]),
    ("us", NEW, "covered_order_stage", "post_order"),
    ("us", NEW, "covered_fulfillment", ["seller"]),
    ("us", NEW, "return_policy_basis", "marketplace_standard"),
    ("us", NEW, "approved_seller_return_policy_applies", True),
    ("us", NEW, "min_units_for_cpu", 30),
    ("us", NEW, "cpu_window_months", 3),
    ("us", NEW, "default_fee", 0.25),
    ("de", NEW, "default_fee", 0.41),
    ("us", NEW, "currency", "USD"),
    ("de", NEW, "currency", "EUR"),
    ("us", NEW, "vtr_discount_requirements", {"min_valid_tracking_rate": 95, "min_prepaid_return_label_rate": 95}),
    ("us", NEW, "success_tips", ["let_amazon_own_the_contact", "reply_in_case_log_quickly", "include_valid_tracking"]),
    ("us", OLD, "success_tips", None),
]


def show(mp: str, at: str, program: str = "csba") -> dict[str, Any]:
    parameters: dict[str, Any] = json.loads(_shown(mp, at, program))["parameters"]
    return parameters


@cache
def _shown(mp: str, at: str, program: str) -> str:
    """`policyctl show`'s JSON for a program, marketplace and day, run once per process: many rows
    above ask the same of the same repository (each test parses the text again: its own dict)."""
    r = run_cli("show", program, "-m", mp, "--at", at, "--format", "json", "--root", str(ROOT / "policies"))
    assert r.code == 0, r
    return r.out


@pytest.mark.parametrize("mp, at, name, expected", FACTS, ids=[f"{f[0]}-{f[1]}-{f[2]}" for f in FACTS])
def test_fact(mp: str, at: str, name: str, expected: Any) -> None:
    assert show(mp, at)[name] == expected


@pytest.mark.parametrize("mp, tiers", [("us", US_TIERS), ("de", DE_TIERS)])
def test_fee_tables(mp: str, tiers: list[tuple[Any, Any, float]]) -> None:
    rows = show(mp, NEW)["fee_tiers"]
    assert [(r["over"], r["up_to"], r["fee"]) for r in rows] == tiers


def test_insights_dashboard_only_in_the_newer_edition() -> None:
    assert not show("us", OLD).get("insights_dashboard")
    dashboard = show("us", NEW)["insights_dashboard"]
    assert "quarterly_fee_rate" in dashboard["metrics"]
    assert len(show("us", NEW)["secondary_user_access_steps"]) == 6


def test_guidelines_split() -> None:
    params = show("us", NEW, "cs_guidelines")
    text = json.dumps(params)
    for seller_area in ("warranty", "order_fulfillment", "pricing"):
        assert seller_area in text
    for marketplace_area in ("payment", "site_performance"):
        assert marketplace_area in text


def test_provenance_points_at_real_lines() -> None:
    r = run_cli(
        "show", "csba", "-m", "de", "--at", NEW, "--provenance", "--format", "json", "--root", "policies", cwd=ROOT
    )
    assert r.code == 0
    for name, item in json.loads(r.out)["parameters"].items():
        file, line = item["from"].rsplit(":", 1)
        text = (ROOT / file).read_text(encoding="utf-8").splitlines()
        here, above = text[int(line) - 1], text[int(line) - 2]
        assert "value:" in here or above.strip().endswith(("value:", "value: >-")) or here.strip().startswith("- "), (
            name
        )
        assert item["origin"].startswith("overlay" if file.endswith("de.yaml") else "base"), name
