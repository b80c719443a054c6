"""A page never states an assumption as fact (docs/writing-policies.md, "Evidence"), in a repository
`policyctl init` makes: a value kept off the pages (`on_pages: omit`) may only be tested `is omitted`
(G008 at `validate` and at `build`); an assumed value a page shows is marked "(not yet confirmed)"
right after it, and a sentence a test of one chooses, or a worked example resting on one, is marked
by the template or refused (G009)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import engine
from engine.commands.validate import validate
from engine.problems import Problem
from engine.site import build as site_build
from engine.site.marking import place_markers
from engine.templates.omitted import check_omitted
from support import ROOT

AT = "2025-06-01"  # the starter's 45-day window (from 2025-01-01) in effect
HELP = "policies/returns/pages/help.md.j2"
PROGRAM = "policies/returns/program.yaml"
OVERLAY = "policies/returns/marketplaces/de.yaml"
STARTER_HELP = (ROOT / "engine/starter" / HELP).read_text(encoding="utf-8")

# the starter's test of free return shipping, and the one it had before it tested `is omitted`
SHIPPING = STARTER_HELP[STARTER_HELP.index("{% if p.free_return_shipping is omitted %}") :]
SHIPPING = SHIPPING[: SHIPPING.index("\n{% endif %}\n") + len("\n{% endif %}\n")]
OLD_SHIPPING = """{% if p.free_return_shipping %}
{% trans %}Returning an item is free: we pay for the return label.{% endtrans %}
{% else %}
{% trans %}You pay for the return shipping.{% endtrans %}
{% endif %}
"""
EXAMPLE_MARK = '{% if ex.unconfirmed %} {% include "_site/unconfirmed.md.j2" %}{% endif %}'

OMIT_IN_DE = """kind: overlay
marketplace: de
parameters:
  free_return_shipping:
    value: true
    assumption: Legal has not confirmed free return labels for example.de yet.
    on_pages: omit
"""
WINDOW_SOURCED = "        value: 45\n        source: the returns policy, 2025 edition\n"
WINDOW_ASSUMED = (
    "        value: 45\n        assumption: the 2025 edition is still a draft; 45 days is what product proposed\n"
)
SHIPPING_SOURCED = "    value: false\n    source: the returns policy, 2024 edition\n"
SHIPPING_ASSUMED = "    value: false\n    assumption: nobody has said who pays for returns yet\n"


@pytest.fixture(scope="module")
def starter(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of `init_starter`; each test changes files through `changed` and gets them back after."""
    top = tmp_path_factory.mktemp("assumptions") / "repo"
    shutil.copytree(init_starter, top)
    return top


class Changed:
    """Files of ``top`` replaced for a test (``text`` or edits); ``restore`` puts them back."""

    def __init__(self, top: Path) -> None:
        self.top = top
        self.saved: dict[str, str] = {}

    def set(self, rel: str, text: str) -> None:
        path = self.top / rel
        self.saved.setdefault(rel, path.read_text(encoding="utf-8"))
        path.write_text(text, encoding="utf-8")

    def edit(self, rel: str, old: str, new: str) -> None:
        text = (self.top / rel).read_text(encoding="utf-8")
        assert old in text, old
        self.set(rel, text.replace(old, new, 1))

    def restore(self) -> None:
        for rel, text in self.saved.items():
            (self.top / rel).write_text(text, encoding="utf-8")


@pytest.fixture
def changed(starter: Path) -> Iterator[Changed]:
    files = Changed(starter)
    yield files
    files.restore()


def built(top: Path) -> site_build.Built:
    return site_build.build(engine.load(str(top / "policies")), AT)


def said(problems: list[Problem], top: Path) -> list[str]:
    """Problems as the command line prints them, paths relative to the repository."""
    return [
        f"{Path(p.file).resolve().relative_to(top.resolve())}:{p.line}:{p.col}: {p.code}: {p.message}" for p in problems
    ]


def line_of(text: str, piece: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if piece in line)


def body(page: bytes) -> str:
    """A page's Markdown after its title block ("Effective from" and what follows)."""
    text = page.decode("utf-8")
    return text[text.index("\n\n", text.index("**")) + 2 :]


# -- kept off the pages (`on_pages: omit`) --------------------------------------------------------


def test_a_value_kept_off_the_pages_is_said_nothing_of(starter: Path, changed: Changed) -> None:
    """QA item 1: free return labels assumed for DE and kept off its pages. The pages said "You pay
    for the return shipping" (the value read as none, the template took the other branch) while
    `decide` answered free shipping. The starter's page tests `is omitted` first: DE pages say
    nothing of return shipping, and the DE worked example, whose answer read it, is left out."""
    changed.set(OVERLAY, OMIT_IN_DE)
    assert validate([str(starter / "policies")]).problems == []
    site = built(starter)
    assert site.problems == []
    assert body(site.files["returns/de/de/help.md"]) == (
        "Sie können einen Artikel bis 45 Tage nach der Lieferung zurückgeben.\n\n"
        "## Was sich geändert hat\n\n"
        "- **1\\. Januar 2025**: Die Rückgabefrist beträgt jetzt 45 Tage (bisher 30 Tage). "
        "([Seite davor](original/help.md))\n"
    )
    assert body(site.files["returns/de/en/help.md"]).startswith(
        "You can return an item within 45 days of delivery.\n\n## What changed\n"
    )
    html = site.files["returns/de/de/help.html"].decode("utf-8")
    assert "Rücksendeetikett" not in html and "Rücksendung tragen" not in html and "Beispiel" not in html
    # the US pages, where the value is sourced, are as they were
    assert "You pay for the return shipping.\n" in body(site.files["returns/us/en/help.md"])


def test_a_template_that_reads_a_value_kept_off_the_pages_is_refused(starter: Path, changed: Changed) -> None:
    """The starter's page as it was (`{% if p.free_return_shipping %}`): G008 at the test, at
    `validate` and at `build`, which writes nothing."""
    changed.set(OVERLAY, OMIT_IN_DE)
    changed.edit(HELP, SHIPPING, OLD_SHIPPING)
    line = line_of((starter / HELP).read_text(encoding="utf-8"), "{% if p.free_return_shipping %}")
    problems = validate([str(starter / "policies")]).problems
    assert said(problems, starter) == [
        f"{HELP}:{line}:7: G008: `p.free_return_shipping` is an assumption kept off the pages (`on_pages: omit`) "
        "in `de`, and this use does not test `p.free_return_shipping is omitted` first: the page would state "
        "what rests on it"
    ]
    assert problems[0].hint.startswith(
        "test `p.free_return_shipping is omitted` before anything else uses it, and word the page for that case: "
        "`{% if p.free_return_shipping is omitted %}…{% elif p.free_return_shipping %}…{% else %}…{% endif %}`"
    )
    site = built(starter)
    assert said(site.problems, starter) == [
        f"{HELP}:{line}:7: G008: `p.free_return_shipping` is an assumption kept off the pages (`on_pages: omit`), "
        "and the template tests it: the page would state what rests on it (on the page for marketplace `de`, "
        "language `de`)"
    ]
    assert site.problems[0].hint == problems[0].hint


# (a use of the DE value kept off the pages before the starter's test, the column `validate`
# and `build` point at, what `build` says the template does with it: None for a use under a test)
USES = [
    ("{{ p.free_return_shipping }}", 4, "shows it"),
    # QA item 10: "money: expected a number, got none `null`"
    ("{{ p.free_return_shipping|money }}", 4, "formats it with `money`"),
    ("{% if p.free_return_shipping is none %}{% endif %}", 7, "tests it with `is none`"),
    ("{% if p.free_return_shipping == true %}{% endif %}", 7, "compares it"),
    ("{% if not p.free_return_shipping %}{% endif %}", 11, "tests it"),
    ("{{ (p.free_return_shipping + 1)|number }}", 5, "computes with it"),
    ("{% for x in p.free_return_shipping %}{% endfor %}", 13, "reads it"),
    ("{% set x = p.free_return_shipping|default(false) %}{{ x|string }}", 12, "passes it to `default`"),
    ('{% if p.free_return_shipping is omitted %}{{ p["free_return_shipping"] }}{% endif %}', 46, "shows it"),
    ("{% if p.free_return_shipping is not omitted and p.free_return_shipping %}{% endif %}", 0, None),
    ("{% if p.free_return_shipping is omitted or not p.free_return_shipping %}{% endif %}", 0, None),
    ("{% if p.free_return_shipping is omitted %}{% elif p.free_return_shipping %}{% else %}{% endif %}", 0, None),
    ('{{ "" if p.free_return_shipping is omitted else ("" if p.free_return_shipping else "") }}', 0, None),
    ("{% if p.free_return_shipping is defined %}{% endif %}", 0, None),
]


@pytest.mark.parametrize(("use", "col", "how"), USES, ids=[u[0] for u in USES])
def test_each_use_of_a_value_kept_off_the_pages_is_g008_at_its_place(
    starter: Path, changed: Changed, use: str, col: int, how: str | None
) -> None:
    changed.set(OVERLAY, OMIT_IN_DE)
    changed.edit(HELP, SHIPPING, use + "\n" + SHIPPING)  # (the starter's sentences kept: its catalog has them)
    line = line_of((starter / HELP).read_text(encoding="utf-8"), use)
    checked = [p for p in validate([str(starter / "policies")]).problems if p.code == "G008"]
    site = built(starter)
    if how is None:
        assert checked == [] and site.problems == []
        return
    assert [(p.line, p.col) for p in checked] == [(line, col)]
    # (the US pages, whose value is sourced, fail their own way on some of these: a yes/no shown)
    assert said([p for p in site.problems if p.code == "G008"], starter) == [
        f"{HELP}:{line}:{col}: G008: `p.free_return_shipping` is an assumption kept off the pages "
        f"(`on_pages: omit`), and the template {how}: the page would state what rests on it (on the page for "
        "marketplace `de`, language `de`)"
    ]


# (a template, the lines:columns `validate` reports for `p.x`, kept off the pages somewhere)
FLOWS = [
    ("{% if p.x is omitted %}{% else %}{{ p.x }}{% endif %}", []),
    ("{% if p.x is omitted %}{{ p.x }}{% endif %}", [(1, 27)]),
    ("{% if p.x is not omitted %}\n{% if p.x > 1 %}{% endif %}\n{% endif %}\n{{ p.x }}", [(4, 4)]),
    ("{% if not (p.x is omitted or p.y) %}{{ p.x }}{% endif %}", []),
    ("{% if p.x is omitted and p.y %}{% else %}{{ p.x }}{% endif %}", [(1, 45)]),
    ("{% if p.y %}{% elif p.x is omitted %}{% elif p.x %}{% endif %}", []),
    ("{% macro m() %}{{ p.x }}{% endmacro %}{% if p.x is not omitted %}{{ m() }}{% endif %}", [(1, 19)]),
    ("{% set v = p.x %}{% if v is omitted %}{% endif %}", [(1, 12)]),
    ("{{ p.x if p.x is not omitted }}\n{{ p.x|default(1) }}", [(2, 4)]),
]


@pytest.mark.parametrize(("template", "found"), FLOWS, ids=[f[0] for f in FLOWS])
def test_validate_follows_what_an_is_omitted_test_shows(template: str, found: list[tuple[int, int]]) -> None:
    from engine.templates.check import parse

    problems = check_omitted("t.md.j2", parse(template, "t.md.j2", "t.md.j2"), template, {"x": ["de"]})
    assert [(p.line, p.col, p.code) for p in problems] == [(line, col, "G008") for line, col in found]


# -- marked "(not yet confirmed)" ------------------------------------------------------------------


def test_an_assumed_value_is_marked_right_after_it_wherever_it_is_shown(starter: Path, changed: Changed) -> None:
    """QA item 2: the 45-day window made an assumption. "You can return an item within 45 days of
    delivery." stated it as fact (only a template's own `{% if assumed.NAME %}` marked a value), and
    so did the worked examples resting on it. Now the value is marked wherever it is shown (the
    body, "What changed", past editions' "Upcoming changes"), in each language, in the HTML too,
    and the examples by the starter's page."""
    changed.edit(PROGRAM, WINDOW_SOURCED, WINDOW_ASSUMED)
    assert validate([str(starter / "policies")]).problems == []
    site = built(starter)
    assert site.problems == []
    assert body(site.files["returns/us/en/help.md"]) == (
        "You can return an item within 45 days *(not yet confirmed)* of delivery.\n\n"
        "You pay for the return shipping.\n\n"
        "**Example:** an item delivered 40 days ago can still be returned. *(not yet confirmed)*\n\n"
        "**Example:** an item delivered 46 days ago can no longer be returned. *(not yet confirmed)*\n\n"
        "## What changed\n\n"
        "- **January 1, 2025**: The return window changed from 30 days to 45 days *(not yet confirmed)*. "
        "([page before](original/help.md))\n"
    )
    assert body(site.files["returns/de/de/help.md"]) == (
        "Sie können einen Artikel bis 45 Tage *(noch nicht bestätigt)* nach der Lieferung zurückgeben.\n\n"
        "Die Rücksendung ist kostenlos: Wir bezahlen das Rücksendeetikett.\n\n"
        "**Beispiel:** Ein Artikel, dessen Lieferung 10 Tage zurückliegt, kann noch zurückgegeben werden. "
        "*(noch nicht bestätigt)*\n\n"
        "## Was sich geändert hat\n\n"
        "- **1\\. Januar 2025**: Die Rückgabefrist beträgt jetzt 45 Tage *(noch nicht bestätigt)* (bisher 30 Tage). "
        "([Seite davor](original/help.md))\n"
    )
    html = site.files["returns/us/en/help.html"].decode("utf-8")
    assert (
        '<p>You can return an item within <span data-fact="return_window_days" data-value="45" '
        'data-assumption="">45 days</span> <em>(not yet confirmed)</em> of delivery.</p>'
    ) in html
    assert (
        'to <span data-fact="changes.return_window_days.2025-01-01.new" data-value="45" data-assumption="">'
        "45 days</span> <em>(not yet confirmed)</em>. (<a"
    ) in html
    assert (
        '<p>Sie können einen Artikel bis <span data-fact="return_window_days" data-value="45" data-assumption="">'
        "45 Tage</span> <em>(noch nicht bestätigt)</em> nach der Lieferung zurückgeben.</p>"
    ) in site.files["returns/de/de/help.html"].decode("utf-8")
    # the 2024 edition states its sourced 30 days plainly, and the change still to come marked
    past = body(site.files["returns/us/en/original/help.md"])
    assert "You can return an item within 30 days of delivery.\n" in past
    assert (
        "- **January 1, 2025**: The return window will change from 30 days to 45 days *(not yet confirmed)*.\n" in past
    )


def test_a_sentence_chosen_by_an_assumed_value_is_marked_by_the_template(starter: Path, changed: Changed) -> None:
    """Who pays for returns made an assumption: the sentence a test of it chooses shows no value
    the engine could mark. The starter's page marks it (`assumed.free_return_shipping`); the page
    as it was is G009 at the test; the 40-day example, whose answer read it, is marked and the
    46-day one, whose answer did not, is not."""
    changed.edit(PROGRAM, SHIPPING_SOURCED, SHIPPING_ASSUMED)
    site = built(starter)
    assert site.problems == []
    text = body(site.files["returns/us/en/help.md"])
    assert "You pay for the return shipping. *(not yet confirmed)*\n" in text
    assert "**Example:** an item delivered 40 days ago can still be returned. *(not yet confirmed)*\n" in text
    assert "**Example:** an item delivered 46 days ago can no longer be returned.\n" in text
    changed.edit(HELP, SHIPPING, OLD_SHIPPING)
    line = line_of((starter / HELP).read_text(encoding="utf-8"), "{% if p.free_return_shipping %}")
    site = built(starter)
    assert said(site.problems, starter) == [
        f"{HELP}:{line}:7: G009: `p.free_return_shipping` is an assumption (not yet confirmed), and the template "
        "tests it: what it decides is stated as fact (on the page for marketplace `us`, language `en`)"
    ]
    assert site.problems[0].hint == (
        'mark the sentence it decides: `{% if assumed.free_return_shipping %} {% include "_site/unconfirmed.md.j2" '
        "%}{% endif %}` after it (the engine marks an assumed value a page shows, not what a test or a computation "
        "makes of it)"
    )


def test_an_example_resting_on_an_assumption_is_marked_or_refused(starter: Path, changed: Changed) -> None:
    """A worked example's answer read the assumed window: a template that states it without
    reading `ex.unconfirmed` is G009 at its test of the answer; a test case whose `source` states
    the example is not marked."""
    changed.edit(PROGRAM, WINDOW_SOURCED, WINDOW_ASSUMED)
    changed.edit(HELP, EXAMPLE_MARK, "")
    changed.edit(HELP, EXAMPLE_MARK, "")
    line = line_of((starter / HELP).read_text(encoding="utf-8"), "{% if ex.expect.allowed %}")
    tests = starter / "policies/returns/tests/return_allowed.yaml"
    cases = tests.read_text(encoding="utf-8")
    us = line_of(cases, "name: from 2025 a return 40 days after delivery is allowed")
    de = line_of(cases, "name: returns are free in DE")
    site = built(starter)
    assert said(site.problems, starter) == [
        f"{HELP}:{line}:7: G009: the answer of the worked example `{name}` ({tests}:{case}) rests on "
        "`p.return_window_days`, an assumption (not yet confirmed), and the template tests it without marking the "
        f"example (on the page for marketplace `{mp}`, language `{tag}`)"
        for name, case, mp, tag in (
            ("from 2025 a return 40 days after delivery is allowed", us, "us", "en"),
            ("returns are free in DE", de, "de", "de"),
        )
    ]
    changed.restore()
    changed.edit(PROGRAM, WINDOW_SOURCED, WINDOW_ASSUMED)
    changed.edit(
        "policies/returns/tests/return_allowed.yaml",
        "    expect: {allowed: true, free_shipping: false, matches: [within_window]}\n    example: true\n",
        "    expect: {allowed: true, free_shipping: false, matches: [within_window]}\n    example: true\n"
        "    source: the 2025 draft's own example\n",
    )
    text = body(built(starter).files["returns/us/en/help.md"])
    assert "**Example:** an item delivered 40 days ago can still be returned.\n" in text
    assert "**Example:** an item delivered 46 days ago can no longer be returned. *(not yet confirmed)*\n" in text


DECISION = "policies/returns/decisions/return_allowed.yaml"
WINDOW_DATE_ASSUMED = (
    "        value: 45\n        source: the returns policy, 2025 edition\n"
    "        assumption: the 2025 edition does not say from when it applies\n        assumed: [date]\n"
)
BASE_WINDOW_SOURCED = "    value: 30\n    source: the returns policy, 2024 edition\n"
BASE_WINDOW_ASSUMED = "    value: 30\n    assumption: the 2024 window was never written down\n"
WITHIN = 'then: {allowed: true, free_shipping: "= params.free_return_shipping"}'
OUTPUTS = "outputs:\n"


def window_on(day: str) -> list[tuple[str, str, str]]:
    """The 40-day answer also gives the window as it was on ``day`` (`param_on`)."""
    return [
        (DECISION, WITHIN, WITHIN[:-1] + f", window_then: \"= param_on('return_window_days', '{day}')\"}}"),
        (DECISION, OUTPUTS, OUTPUTS + "  window_then: {type: integer}\n"),
    ]


EXAMPLE_40 = "**Example:** an item delivered 40 days ago can still be returned."
EXAMPLE_46 = "**Example:** an item delivered 46 days ago can no longer be returned."
MARKED = " *(not yet confirmed)*"
# a later change on an assumed day: the value before it holds only until then
ENDS_ASSUMED = (
    '      - from: "2030-01-01"\n        value: 60\n        source: a memo\n'
    "        assumption: the memo gives no day\n        assumed: [date]\n"
)


@pytest.mark.parametrize(
    ("edits", "marked_40", "marked_46"),
    [
        # the 45 days both answers read are sourced, the day they took effect assumed: they rest on it
        pytest.param([(PROGRAM, WINDOW_SOURCED, WINDOW_DATE_ASSUMED)], True, True, id="in-force-from-assumed-date"),
        # `param_on` read the window on 2025-02-01 (45, sourced): the assumed 30 of 2024 is on its
        # timeline, but the answer never read it (a timeline was counted whole)
        pytest.param(
            [(PROGRAM, BASE_WINDOW_SOURCED, BASE_WINDOW_ASSUMED), *window_on("2025-02-01")],
            False,
            False,
            id="param_on-a-sourced-day",
        ),
        # read on 2024-06-01, the assumed 30 is what it read
        pytest.param(
            [(PROGRAM, BASE_WINDOW_SOURCED, BASE_WINDOW_ASSUMED), *window_on("2024-06-01")],
            True,
            False,
            id="param_on-an-assumed-day",
        ),
        # the 45 days both read are sourced, but hold only until an assumed day (the next change's)
        pytest.param([(PROGRAM, WINDOW_SOURCED, WINDOW_SOURCED + ENDS_ASSUMED)], True, True, id="until-an-assumed-day"),
    ],
)
def test_an_example_rests_on_what_its_answer_read_as_diff_and_explain_say(
    starter: Path, changed: Changed, edits: list[tuple[str, str, str]], marked_40: bool, marked_46: bool
) -> None:
    """A worked example is marked exactly when its answer read (as `decide --explain` lists it, and
    `diff` judges it) a parameter whose entry in force then is an assumption: its value, or the day
    it took effect; a value `param_on` read is the one in force on the day it read, not its timeline."""
    for rel, old, new in edits:
        changed.edit(rel, old, new)
    site = built(starter)
    assert site.problems == []
    text = body(site.files["returns/us/en/help.md"])
    assert EXAMPLE_40 + (MARKED if marked_40 else "") + "\n" in text
    assert EXAMPLE_46 + (MARKED if marked_46 else "") + "\n" in text


@pytest.mark.parametrize(
    "window, wording",
    [
        (WINDOW_DATE_ASSUMED, "in force from an assumed date"),
        (WINDOW_SOURCED + ENDS_ASSUMED, "in force until an assumed date"),
        (WINDOW_DATE_ASSUMED + ENDS_ASSUMED, "in force from and until assumed dates"),
    ],
)
def test_an_example_in_force_from_an_assumed_date_is_refused_unmarked(
    starter: Path, changed: Changed, window: str, wording: str
) -> None:
    """A template that states such an example without reading `ex.unconfirmed` is G009, which says
    the assumption is the day the value took effect, or the day it ends."""
    changed.edit(PROGRAM, WINDOW_SOURCED, window)
    changed.edit(HELP, EXAMPLE_MARK, "")
    changed.edit(HELP, EXAMPLE_MARK, "")
    line = line_of((starter / HELP).read_text(encoding="utf-8"), "{% if ex.expect.allowed %}")
    tests = starter / "policies/returns/tests/return_allowed.yaml"
    case = line_of(tests.read_text(encoding="utf-8"), "name: from 2025 a return 40 days after delivery is allowed")
    problems = said(built(starter).problems, starter)
    assert problems[0] == (
        f"{HELP}:{line}:7: G009: the answer of the worked example `from 2025 a return 40 days after delivery is "
        f"allowed` ({tests}:{case}) rests on `p.return_window_days` ({wording}), an assumption "
        "(not yet confirmed), and the template tests it without marking the example (on the page for marketplace "
        "`us`, language `en`)"
    )


# (the text a render wrote: the renderer's markers after "\ue003", the assumption's id and "\ue005",
# a template's with "\ue004", the ids of the flags it marks and "\ue005" inside; and the page it makes)
M = "*(not yet confirmed)*"
S = " " + M  # (the marker with the space before it, as the default layout's catalogs give it)
A = "\ue003w\ue005"
T = "\ue004w\ue005" + S
PLACED = [
    (f"45 days{A}{S} of delivery.", f"45 days {M} of delivery."),
    # a template's own marker for the same value right after it, or at the end of the line: once
    (f"45 days{A}{S} {T} of delivery.", f"45 days {M} of delivery."),
    (f"within 45 days{A}{S} of delivery. {T}", f"within 45 days {M} of delivery."),
    # on a line where the renderer put none, the template's own marker stays
    (f"45 days{A}{S}.\nReturns are free. {T}", f"45 days {M}.\nReturns are free. {M}"),
    # Chinese: emphasis ending in a bracket ends only before a space or a punctuation mark
    (f"不超过30{A} *（尚未确认）*件", "不超过30 *（尚未确认）* 件"),
    (f"至少为 95%{A} *（尚未确认）*，且", "至少为 95% *（尚未确认）*，且"),
]


@pytest.mark.parametrize(("rendered", "page"), PLACED)
def test_markers_are_placed_once_per_line(rendered: str, page: str) -> None:
    marker = " *（尚未确认）*" if "尚未" in rendered else S
    assert place_markers(rendered, marker) == page


def test_the_default_layout_marks_a_value_once(starter: Path, changed: Changed) -> None:
    """A template written before values were marked by themselves (`{{ days }}{% if assumed.x %}
    {% include %}{% endif %}`, as the guide said) gets one marker, not two."""
    changed.edit(PROGRAM, WINDOW_SOURCED, WINDOW_ASSUMED)
    changed.edit(
        HELP,
        "{% trans %}You can return an item within {{ days }} of delivery.{% endtrans %}",
        "{% trans %}You can return an item within {{ days }} of delivery.{% endtrans %}"
        '{% if assumed.return_window_days %} {% include "_site/unconfirmed.md.j2" %}{% endif %}',
    )
    text = body(built(starter).files["returns/us/en/help.md"])
    assert text.startswith("You can return an item within 45 days *(not yet confirmed)* of delivery.\n\n")
