"""A change's values in "What changed" and "Upcoming changes" (the frame's `describe`, through the
`value` filter) read as its parameter's schema `format` declares: an amount in the marketplace's
currency and language, a percentage, a duration, a date. They read "5.49 (was 4.99)" beside a page
body saying "$5.49". The change feed reads the list back, so it says the same.

One build of `policyctl init`'s starter, changed as an author would: a fee with a past and an
upcoming change (and its own figures in the EUR marketplace), a share in percent, a review date,
and the return window declared in days; the page words no change itself (no `describe_change`).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from support import FEED, edit, run_cli

AT = "2026-01-01"  # after the 2025 changes, before the fee's 2030 one
NBSP = "\xa0"

PARAMETERS = """\
  restocking_fee:
    description: Fee kept from the refund of an opened item.
    label: Restocking fee
    schema: {type: number, minimum: 0, format: money}
    value: 4.99
    source: the returns policy, 2024 edition
    changes:
      - from: "2025-06-01"
        value: 5.49
        source: the returns policy, 2025 edition
      - from: "2030-01-01"
        value: 5.99
        source: the returns policy, 2030 edition
  restocking_share:
    description: Share of the price kept from the refund of a damaged item, in percent.
    label: Damage deduction
    schema: {type: number, minimum: 0, maximum: 100, format: percent}
    value: 10
    source: the returns policy, 2024 edition
    changes:
      - from: "2025-06-01"
        value: 12.5
        source: the returns policy, 2025 edition
  policy_reviewed:
    description: The day the returns policy was last reviewed.
    label: Last review
    schema: {type: string, format: date}
    value: "2024-03-01"
    source: the returns policy, 2024 edition
    changes:
      - from: "2025-06-01"
        value: "2025-05-15"
        source: the returns policy, 2025 edition
"""

OVERLAY = """\
  restocking_fee:
    value: 3.99
    source: the returns policy for example.de
    changes:
      - from: "2025-06-01"
        value: 4.49
        source: the returns policy for example.de, 2025
"""

GERMAN = {
    ("parameter:restocking_fee", "Restocking fee"): "Wiedereinlagerungsgebühr",
    ("parameter:restocking_share", "Damage deduction"): "Abzug bei Beschädigung",
    ("parameter:policy_reviewed", "Last review"): "Letzte Prüfung",
    ("label:fee_note", "A restocking fee of %(restocking_fee)s applies to opened items"): (
        "Für geöffnete Artikel gilt eine Wiedereinlagerungsgebühr von %(restocking_fee)s"
    ),
}


@pytest.fixture(scope="module")
def site(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter with the parameters above, built on AT (read only)."""
    repo = tmp_path_factory.mktemp("change-values") / "repo"
    shutil.copytree(init_starter, repo)
    program = repo / "policies/returns/program.yaml"
    edit(
        program,
        "schema: {type: integer, minimum: 0, maximum: 365}",
        "schema: {type: integer, minimum: 0, maximum: 365, format: duration-day}",
    )
    edit(
        program,
        "parameters:\n",
        "labels:\n  fee_note: A restocking fee of %(restocking_fee)s applies to opened items\n\nparameters:\n",
    )
    program.write_text(program.read_text(encoding="utf-8") + PARAMETERS, encoding="utf-8")
    overlay = repo / "policies/returns/marketplaces/de.yaml"
    overlay.write_text(overlay.read_text(encoding="utf-8") + OVERLAY, encoding="utf-8")
    page = repo / "policies/returns/pages/help.md.j2"
    text = page.read_text(encoding="utf-8")
    start, end = text.index('{#- How "What changed"'), text.index("{%- endmacro %}") + len("{%- endmacro %}")
    text = text[:start] + text[end:]
    body, last = text.rsplit("{% endblock %}", 1)
    page.write_text(body + '{{ "fee_note"|label }}\n{% endblock %}' + last, encoding="utf-8")
    for step in (("extract",), ("update", "--drop-obsolete")):
        assert run_cli("i18n", *step, cwd=repo).code == 0
    catalog = repo / "policies/returns/locales/de.po"
    po = catalog.read_text(encoding="utf-8")
    for (context, english), german in GERMAN.items():
        entry = f'msgctxt "{context}"\nmsgid "{english}"\nmsgstr ""'
        assert entry in po, po
        po = po.replace(entry, f'msgctxt "{context}"\nmsgid "{english}"\nmsgstr "{german}"')
    catalog.write_text(po, encoding="utf-8")
    out = repo / "out"
    built = run_cli("build", "--out", str(out), "--at", AT, cwd=repo)
    assert built.code == 0, built
    return out


def _section(markdown: str, heading: str) -> str:
    found = re.search(rf"^## {heading}\n\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert found, markdown
    return found.group(1)


def test_an_amount_reads_in_the_marketplaces_currency_as_in_the_page_body(site: Path) -> None:
    page = (site / "returns/us/en/help.md").read_text(encoding="utf-8")
    assert (
        "\nA restocking fee of $5.49 applies to opened items\n\n## Upcoming changes" in page
    )  # a label's placeholder too
    assert "- **June 1, 2025**: Restocking fee: $5.49 (was $4.99) (" in _section(page, "What changed")
    # a change still to come is worded so: the old value holds until then
    assert "- **January 1, 2030**: Restocking fee: $5.99 (until then $5.49)\n" in _section(page, "Upcoming changes")


def test_percent_duration_and_date_read_as_declared(site: Path) -> None:
    changed = _section((site / "returns/us/en/help.md").read_text(encoding="utf-8"), "What changed")
    assert "Damage deduction: 12.5% (was 10%)" in changed
    assert "Last review: May 15, 2025 (was March 1, 2024)" in changed
    assert "- **January 1, 2025**: Return window: 45 days (was 30 days) (" in changed


def test_german_reads_them_in_german_and_euros(site: Path) -> None:
    page = (site / "returns/de/de/help.md").read_text(encoding="utf-8")
    changed = _section(page, "Was sich geändert hat")
    assert f"Wiedereinlagerungsgebühr: 4,49{NBSP}€ (bisher: 3,99{NBSP}€)" in changed
    assert f"Abzug bei Beschädigung: 12,5{NBSP}% (bisher: 10{NBSP}%)" in changed
    assert "Letzte Prüfung: 15\\. Mai 2025 (bisher: 1\\. März 2024)" in changed
    assert "Rückgabefrist: 45 Tage (bisher: 30 Tage)" in changed
    assert f"Für geöffnete Artikel gilt eine Wiedereinlagerungsgebühr von 4,49{NBSP}€" in page
    # the marketplace's currency in each of its languages: euros in English too, written as
    # English in Germany writes them (CLDR's en-DE), on the date as it writes it
    english = _section((site / "returns/de/en/help.md").read_text(encoding="utf-8"), "What changed")
    assert f"- **1 June 2025**: Restocking fee: 4,49{NBSP}€ (was 3,99{NBSP}€)" in english


def test_the_html_marks_each_value_with_its_data_and_shows_it_formatted(site: Path) -> None:
    html = (site / "returns/de/de/help.html").read_text(encoding="utf-8")
    fact = "changes.restocking_fee.2025-06-01"
    assert (
        f'Wiedereinlagerungsgebühr: <span data-fact="{fact}.new" data-value="4.49">4,49{NBSP}€</span> '
        f'(bisher: <span data-fact="{fact}.old" data-value="3.99">3,99{NBSP}€</span>)'
    ) in html
    us = (site / "returns/us/en/help.html").read_text(encoding="utf-8")
    assert f'<span data-fact="{fact}.new" data-value="5.49">$5.49</span>' in us


def _summaries(feed: Path) -> list[str]:
    return re.findall(r"<summary>(.*?)</summary>", feed.read_text(encoding="utf-8"), re.S)


def test_the_change_feed_says_the_same(site: Path) -> None:
    assert _summaries(site / "returns/us/en" / FEED) == [
        "Restocking fee: $5.49 (was $4.99)\nDamage deduction: 12.5% (was 10%)\nLast review: May 15, 2025 (was March 1, 2024)",
        "Return window: 45 days (was 30 days)",
    ]
    # with CLDR's no-break spaces, as on the page ("4,49 €" does not break before its sign)
    assert _summaries(site / "returns/de/de" / FEED)[0] == (
        f"Wiedereinlagerungsgebühr: 4,49{NBSP}€ (bisher: 3,99{NBSP}€)\n"
        f"Abzug bei Beschädigung: 12,5{NBSP}% (bisher: 10{NBSP}%)\n"
        "Letzte Prüfung: 15. Mai 2025 (bisher: 1. März 2024)"
    )
