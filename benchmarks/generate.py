"""Write a large synthetic policy repository in policyctl's format, for benchmarks.

    python benchmarks/generate.py OUT [--programs 50] [--marketplaces 20] [--scale 1]

The default is 50 programs offered in 20 marketplaces, each with 6 locales. Every program is
shaped like CSBA: typed parameters with dated history (a 10-band fee tier list among them), an
overlay per marketplace, three decisions (a 4-condition coverage rule, an 11-row first-hit fee
table, a trial check) and test cases. ``--scale N`` multiplies the number of programs, so the
repository grows linearly. The output is deterministic and must pass ``policyctl validate``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil

# 20 marketplaces: (id, country, currency, time zone, site, 6 locales; the first is the default)
MARKETPLACES = [
    ("us", "US", "USD", "America/Los_Angeles", "amazon.com", ["en", "es", "zh-Hans", "fr", "de", "it"]),
    ("ca", "CA", "CAD", "America/Toronto", "amazon.ca", ["en", "fr", "es", "zh-Hans", "de", "it"]),
    ("mx", "MX", "MXN", "America/Mexico_City", "amazon.com.mx", ["es", "en", "fr", "de", "it", "pt"]),
    ("br", "BR", "BRL", "America/Sao_Paulo", "amazon.com.br", ["pt", "en", "es", "fr", "de", "it"]),
    ("uk", "GB", "GBP", "Europe/London", "amazon.co.uk", ["en", "de", "fr", "it", "es", "pl"]),
    ("de", "DE", "EUR", "Europe/Berlin", "amazon.de", ["de", "en", "tr", "pl", "fr", "it"]),
    ("fr", "FR", "EUR", "Europe/Paris", "amazon.fr", ["fr", "en", "de", "it", "es", "ar"]),
    ("it", "IT", "EUR", "Europe/Rome", "amazon.it", ["it", "en", "de", "fr", "es", "zh-Hans"]),
    ("es", "ES", "EUR", "Europe/Madrid", "amazon.es", ["es", "en", "pt", "fr", "de", "it"]),
    ("nl", "NL", "EUR", "Europe/Amsterdam", "amazon.nl", ["nl", "en", "de", "fr", "tr", "ar"]),
    ("se", "SE", "SEK", "Europe/Stockholm", "amazon.se", ["sv", "en", "de", "fi", "pl", "ar"]),
    ("pl", "PL", "PLN", "Europe/Warsaw", "amazon.pl", ["pl", "en", "de", "uk", "ru", "cs"]),
    ("tr", "TR", "TRY", "Europe/Istanbul", "amazon.com.tr", ["tr", "en", "de", "ar", "ru", "fr"]),
    ("ae", "AE", "AED", "Asia/Dubai", "amazon.ae", ["ar", "en", "hi", "ur", "fr", "de"]),
    ("sa", "SA", "SAR", "Asia/Riyadh", "amazon.sa", ["ar", "en", "ur", "hi", "fr", "tr"]),
    ("eg", "EG", "EGP", "Africa/Cairo", "amazon.eg", ["ar", "en", "fr", "de", "it", "es"]),
    ("in", "IN", "INR", "Asia/Kolkata", "amazon.in", ["en", "hi", "ta", "te", "bn", "mr"]),
    ("jp", "JP", "JPY", "Asia/Tokyo", "amazon.co.jp", ["ja", "en", "zh-Hans", "ko", "de", "fr"]),
    ("au", "AU", "AUD", "Australia/Sydney", "amazon.com.au", ["en", "zh-Hans", "vi", "it", "de", "fr"]),
    ("sg", "SG", "SGD", "Asia/Singapore", "amazon.sg", ["en", "zh-Hans", "ms", "ta", "ja", "ko"]),
]

NAME_WORDS = {
    "en": "Program",
    "de": "Programm",
    "fr": "Programme",
    "it": "Programma",
    "es": "Programa",
    "ja": "プログラム",
}
INQUIRY_TYPES = [
    "where_is_my_order",
    "return_request",
    "product_question",
    "delivery_damage",
    "warranty",
    "cancellation",
    "billing",
    "invoice",
    "installation",
    "recall",
]
BOUNDS = [1, 2.5, 5, 7.5, 10, 15, 20, 30, 50]  # CPU upper bounds of bands 1..9; band 10 is open


def q(value: object) -> str:
    """A YAML flow scalar: JSON is valid YAML 1.2 and our loader reads it unambiguously."""
    return json.dumps(value, ensure_ascii=False)


def fee_bands(rng: random.Random, scale: float) -> list[dict[str, object]]:
    fees = sorted(round(rng.uniform(0.05, 3.0) * scale, 2) for _ in range(10))
    bands: list[dict[str, object]] = []
    for i, fee in enumerate(fees):
        over = BOUNDS[i - 1] if i else None
        up_to = BOUNDS[i] if i < len(BOUNDS) else None
        bands.append({"tier": i + 1, "over": over, "up_to": up_to, "fee": fee})
    return bands


def bands_yaml(bands: list[dict[str, object]], indent: str) -> str:
    return "".join(
        f"{indent}- {{tier: {b['tier']}, over: {q(b['over'])}, up_to: {q(b['up_to'])}, fee: {b['fee']}}}\n"
        for b in bands
    )


def marketplaces_yaml(chosen: list[tuple[str, str, str, str, str, list[str]]]) -> str:
    out = [
        "# Synthetic marketplaces for benchmarks (benchmarks/generate.py).\n",
        "kind: marketplaces\n",
        "marketplaces:\n",
    ]
    for mp, country, currency, zone, site, locales in chosen:
        out.append(
            f"  {mp}:\n    country: {country}\n    site: {site}\n    currency: {currency}\n"
            f"    time_zone: {zone}\n    locales: [{', '.join(locales)}]\n"
        )
    return "".join(out)


def program_yaml(pid: str, n: int, rng: random.Random, mps: list[str]) -> str:
    excluded = sorted(rng.sample(INQUIRY_TYPES, 3))
    names = "".join(f"  {loc}: {q(word + ' ' + str(n))}\n" for loc, word in NAME_WORDS.items())
    return f"""\
kind: program
id: {pid}
names:
{names}title: Synthetic program {n}
description: >-
  A program shaped like CSBA, generated for benchmarks. Its values are random but valid, and its
  history has dated changes so that resolution and pages have something to show.
marketplaces: [{", ".join(mps)}]
labels:
{"".join(f"  {t}: {t.replace('_', ' ').capitalize()}{chr(10)}" for t in INQUIRY_TYPES)}parameters:
  trial_days:
    description: Length of the free trial after first joining, in days.
    label: Trial length
    schema: {{type: integer, minimum: 0}}
    value: 30
    source: synthetic seed {n}
    changes:
      - from: "2023-07-01"
        value: 90
        source: synthetic seed {n}, newer edition
        assumption: The date of this change is assumed.
  min_units_for_cpu:
    description: Units at or below which contacts per unit are not measured and the default fee applies.
    label: Minimum units
    schema: {{type: integer, minimum: 0}}
    value: 30
  default_fee:
    description: Fee per unit when contacts per unit cannot be measured.
    label: Default fee
    schema: {{type: number, minimum: 0}}
    value: {round(rng.uniform(0.1, 0.5), 2)}
    changes:
      - from: "2024-01-01"
        value: {round(rng.uniform(0.1, 0.5), 2)}
  fee_tiers:
    description: Fee per unit by contacts per unit (CPU, in percent) over the last three months.
    label: Fee tiers
    tiers: true
    schema:
      type: array
      minItems: 1
      items:
        type: object
        required: [tier, over, up_to, fee]
        additionalProperties: false
        properties:
          tier: {{type: integer, minimum: 1}}
          over: {{type: [number, "null"]}}
          up_to: {{type: [number, "null"]}}
          fee: {{type: number, minimum: 0}}
    value:
{bands_yaml(fee_bands(rng, 1.0), "      ")}    source: synthetic fee table {n}
    changes:
      - from: "2023-01-01"
        value:
{bands_yaml(fee_bands(rng, 1.1), "          ")}        note: Fees rose with the 2023 edition.
  excluded_inquiry_types:
    description: Inquiry types the marketplace never handles for the seller.
    label: Excluded inquiry types
    schema:
      type: array
      uniqueItems: true
      items: {{enum: {q(INQUIRY_TYPES)}}}
    value: {q(excluded)}
  max_days_after_order:
    description: Days after the order within which an inquiry is covered.
    label: Days after the order
    schema: {{type: integer, minimum: 1, maximum: 365}}
    value: {rng.choice([30, 45, 60, 90])}
  vtr_target:
    description: Valid tracking rate, in percent, that qualifies a seller for discounted fees.
    label: Valid tracking rate target
    schema: {{type: number, minimum: 0, maximum: 100}}
    value: 95
    changes:
      - from: "2025-01-01"
        value: {rng.choice([90, 92.5, 97])}
  enrollment_open:
    description: Whether new sellers may enrol.
    label: Enrollment open
    schema: {{type: boolean}}
    value: true
  launch_date:
    description: The day the program started.
    label: Launch date
    schema: {{type: string, format: date}}
    value: "20{rng.randint(15, 21)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
  support_email:
    description: Where sellers write with questions about the program.
    label: Support e-mail
    schema: {{type: string, pattern: "^[a-z0-9.]+@[a-z0-9.]+$"}}
    value: program{n}@example.com
"""


def overlay_yaml(mp: str, currency: str, rng: random.Random) -> str:
    scale = {"JPY": 100, "INR": 60, "TRY": 20, "EGP": 30, "SEK": 10, "MXN": 17, "BRL": 5, "PLN": 4}.get(currency, 1)
    return f"""\
kind: overlay
marketplace: {mp}
note: Fees in {currency}.
parameters:
  default_fee:
    value: {round(rng.uniform(0.1, 0.5) * scale, 2)}
    source: synthetic {mp} fee page
  fee_tiers:
    value:
{bands_yaml(fee_bands(rng, scale), "      ")}    source: synthetic {mp} fee table
    changes:
      - from: "2024-03-01"
        value:
{bands_yaml(fee_bands(rng, scale * 1.05), "          ")}        source: synthetic {mp} fee table, 2024 edition
        assumption: The new fees apply from the first of the month.
  max_days_after_order:
    value: {rng.choice([30, 60, 90])}
"""


COVERAGE = """\
kind: decision
id: coverage
title: Does the marketplace handle this customer inquiry for the seller?
description: A synthetic copy of the CSBA coverage question.
inputs:
  inquiry_type: {type: string, enum: %s}
  fulfilled_by: {enum: [seller, marketplace]}
  enrolled: {type: boolean}
  days_since_order: {type: integer, minimum: 0}
required: [inquiry_type, fulfilled_by, enrolled, days_since_order]
hit: first
rules:
  - id: covered
    when: "enrolled and fulfilled_by == 'seller' and inquiry_type not in params.excluded_inquiry_types and days_since_order <= params.max_days_after_order"
    reason: Enrolled seller-fulfilled orders are handled by the marketplace within the time limit.
    then: {covered: true, handled_by: marketplace}
  - id: excluded
    when: "inquiry_type in params.excluded_inquiry_types"
    reason: This inquiry type is always the seller's.
    then: {covered: false, handled_by: seller}
  - id: otherwise
    reason: Not enrolled, fulfilled by the marketplace anyway, or too late.
    then: {covered: false, handled_by: seller}
outputs:
  covered: {type: boolean}
  handled_by: {enum: [marketplace, seller]}
""" % q(INQUIRY_TYPES)


def fee_decision() -> str:
    rows = []
    for i in range(10):
        cond = f"cpu <= {BOUNDS[i]}" if i < len(BOUNDS) else f"cpu > {BOUNDS[-1]}"
        rows.append(f"""\
  - id: tier_{i + 1}
    when: "{cond}"
    reason: Contacts per unit fall in band {i + 1}.
    then:
      tier: {i + 1}
      fee_per_unit: "= params.fee_tiers[{i}].fee"
      basis: tier
""")
    return f"""\
kind: decision
id: fee
title: Fee per unit for a seller's month
inputs:
  units: {{type: integer, minimum: 0, description: Seller-fulfilled shipped units in the last three months}}
  contacts: {{type: integer, minimum: 0}}
required: [units, contacts]
let:
  cpu: "contacts / units * 100 if units > 0 else none"
hit: first
rules:
  - id: too_few_units
    when: "units <= params.min_units_for_cpu"
    reason: Contacts per unit cannot be measured reliably, so the default fee applies.
    then:
      fee_per_unit: "= params.default_fee"
      basis: default
{"".join(rows)}default: {{basis: none}}
outputs:
  tier: {{type: integer}}
  fee_per_unit: {{type: number}}
  basis: {{enum: [default, tier, none]}}
"""


TRIAL = """\
kind: decision
id: trial
title: Is the seller in the free trial?
inputs:
  joined: {type: string, format: date}
required: [joined]
let:
  days: "days_between(joined, at)"
rules:
  - id: in_trial
    when: "params.enrollment_open and days < params.trial_days"
    reason: Sellers pay no fee during the trial.
    then: {in_trial: true, days_left: "= params.trial_days - days"}
  - id: after_trial
    reason: The trial is over.
    then: {in_trial: false, days_left: 0}
"""


def tests_yaml(mps: list[str], rng: random.Random) -> str:
    cases = []
    for i, mp in enumerate(mps[:4]):
        units = rng.choice([10, 1000, 5000])
        cases.append(f"""\
  - name: coverage {mp} {i}
    decision: coverage
    marketplace: {mp}
    at: "2024-0{i + 3}-01"
    input: {{inquiry_type: where_is_my_order, fulfilled_by: marketplace, enrolled: true, days_since_order: 3}}
    expect: {{covered: false}}
  - name: fee {mp} {i}
    decision: fee
    marketplace: {mp}
    at: "2024-0{i + 3}-15"
    input: {{units: {units}, contacts: 0}}
    expect: {{basis: {"default" if units <= 30 else "tier"}}}
    example: {q(i == 0)}
  - name: trial {mp} {i}
    decision: trial
    marketplace: {mp}
    at: "2024-05-01"
    input: {{joined: "2024-04-2{i}"}}
    expect: {{in_trial: true}}
""")
    return "kind: tests\ncases:\n" + "".join(cases)


PAGE = """\
{#- A synthetic help page: prose, a parameter table and the fee tier table, from the data. -#}
{% extends "_site/page.md.j2" %}

{% macro describe_change(c) -%}
{% if c.parameter == "fee_tiers" %}The fee tiers changed (see the table under “Fees”).
{%- else %}{{ c.label }}: {{ c.new|value }} (was {{ c.old|value }}){% endif %}
{%- endmacro %}

{% block title %}{{ program.name }}{% endblock %}

{% block body %}
This page is generated for benchmarks. It reads the program's parameters for one marketplace on
one date, so a change of any value changes the pages that show it, and only those.

## Fees

Contacts per unit (CPU) decide the fee per unit. When there are {{ p.min_units_for_cpu }} units or
fewer, the default fee of {{ p.default_fee }} applies.

| Tier | CPU over | CPU up to | Fee per unit |
| --- | --- | --- | --- |
{% for band in p.fee_tiers %}
| {{ band.tier }} | {{ band.over if band.over is not none else "-" }} | {{ band.up_to if band.up_to is not none else "-" }} | {{ band.fee }} |
{% endfor %}

## Trial

New sellers get a free trial of {{ p.trial_days }} days.

## What the program covers

Inquiries up to {{ p.max_days_after_order }} days after the order are handled for you, except:

{% for t in p.excluded_inquiry_types %}
- {{ t }}
{% endfor %}

## Questions

Write to {{ p.support_email }}. The program started on {{ p.launch_date }}; a valid tracking rate of
{{ p.vtr_target }} percent qualifies for discounted fees.
{% endblock %}
"""


def generate(
    out: str, programs: int = 50, marketplaces: int = 20, seed: int = 7, pages: bool = True, site: str | None = None
) -> int:
    """Write the repository; returns the number of files written. ``pages``: also a page template
    per program, the shared ``_site`` frame (from ``site``, default the real repository's) and
    catalogs for every language, so that ``policyctl build`` can publish every page."""
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    chosen = MARKETPLACES[:marketplaces]
    files = {"marketplaces.yaml": marketplaces_yaml(chosen)}
    mp_ids = [m[0] for m in chosen]
    for n in range(programs):
        rng = random.Random(seed * 100_003 + n)
        pid = f"prog_{n:04d}"
        files[f"{pid}/program.yaml"] = program_yaml(pid, n, rng, mp_ids)
        for mp, _country, currency, *_ in chosen:
            files[f"{pid}/marketplaces/{mp}.yaml"] = overlay_yaml(mp, currency, rng)
        files[f"{pid}/decisions/coverage.yaml"] = COVERAGE
        files[f"{pid}/decisions/fee.yaml"] = fee_decision()
        files[f"{pid}/decisions/trial.yaml"] = TRIAL
        files[f"{pid}/tests/cases.yaml"] = tests_yaml(mp_ids, rng)
        if pages:
            files[f"{pid}/pages/help.md.j2"] = PAGE
    for rel, text in files.items():
        path = os.path.join(out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    # The shared page frame and layout are the real repository's, so pages look like real ones.
    site = site or os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "policies", "_site")
    if pages and os.path.isdir(site):
        shutil.copytree(site, os.path.join(out, "_site"))
        translate(out)
    return len(files)


def translate(out: str) -> None:
    """Catalogs for every published language (`policyctl i18n update`), each message "translated"
    as itself with a marker, so every page can be published and rendering does real lookups."""
    import subprocess
    import sys

    from babel.messages.pofile import read_po, write_po

    cli = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "cli.py")
    subprocess.run([sys.executable, cli, "i18n", "update", "--root", out], check=True, stdout=subprocess.DEVNULL)
    for folder, _dirs, names in os.walk(out):
        for name in names:
            if not name.endswith(".po"):
                continue
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                catalog = read_po(f)
            for message in catalog:
                if not message.id or any([message.string] if isinstance(message.string, str) else message.string or ()):
                    continue
                if isinstance(message.id, str):
                    message.string = message.id
                else:  # a plural message: every form its language has (Arabic six), the first singular
                    singular, plural = str(message.id[0]), str(message.id[1])
                    message.string = (singular,) + (plural,) * (catalog.num_plurals - 1)
            with open(path, "wb") as f:
                write_po(f, catalog, width=100)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="folder to write (replaced if it exists)")
    ap.add_argument("--programs", type=int, default=50)
    ap.add_argument("--marketplaces", type=int, default=20, choices=range(1, len(MARKETPLACES) + 1), metavar="1..20")
    ap.add_argument("--scale", type=int, default=1, help="multiply the number of programs")
    ap.add_argument("--no-pages", action="store_true", help="no templates, frame or catalogs (validate/test only)")
    args = ap.parse_args()
    n = generate(args.out, args.programs * args.scale, args.marketplaces, pages=not args.no_pages)
    print(f"wrote {n} files to {args.out}")


if __name__ == "__main__":
    main()
