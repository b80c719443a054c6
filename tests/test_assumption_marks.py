"""Where "(not yet confirmed)" goes, and what a template must mark itself (docs/writing-policies.md,
"Evidence"): the faults a QA pass found in the marker (its report's items 1-12), in a repository
`policyctl init` makes with a program `t` of assumed values, each case a page body and the exact
Markdown, HTML or problem it makes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import engine
from engine import packaged
from engine.commands.validate import validate
from engine.problems import Problem
from engine.site import build as site_build
from engine.site.marking import place_markers
from support import edit, finishes, run_cli

AT = "2025-07-01"
PAGE = "policies/t/pages/help.md.j2"
MARK = '{% include "_site/unconfirmed.md.j2" %}'
M = "*(not yet confirmed)*"

PROGRAM = """kind: program
id: t
names: {en: Test}
marketplaces: [us]
languages: [en]
labels: {email: Email, phone: Phone, chat: Chat, reply: "Reply within %(hidden)s days"}
parameters:
  fee:
    description: a fee
    schema: {type: number, minimum: 0, format: money}
    value: 4.99
    assumption: guessed
  free:
    description: whether returns are free
    schema: {type: boolean}
    value: true
    assumption: guessed
  channels:
    description: contact channels
    schema: {type: array, items: {type: string}}
    value: [email, phone, chat]
    source: doc
    assumption: the first two are guessed
    assumed: [/0, /1]
  urls:
    description: help pages per channel
    schema: {type: object}
    value: {phone: "https://example.com/phone"}
    assumption: guessed
  sure_urls:
    description: help pages per channel, confirmed
    schema: {type: object}
    value: {phone: "https://example.com/phone"}
    source: doc
  amounts:
    description: amounts
    schema: {type: array, items: {type: number}}
    value: [1.5, 2.5]
    assumption: guessed
  sure:
    description: a confirmed number
    schema: {type: number}
    value: 5
    source: doc
  hidden:
    description: kept off the pages
    schema: {type: integer}
    value: 7
    assumption: guessed
    on_pages: omit
  price:
    description: a price that changed
    label: Price
    schema: {type: number, minimum: 0, format: money}
    value: 4.99
    source: doc 1
    changes:
      - from: "2025-01-01"
        value: 5.49
        assumption: guessed new price
      - from: "2025-06-01"
        value: 5.99
        source: doc 2
"""
DECISION = """kind: decision
id: charge
title: Charge
inputs:
  items: {type: integer, minimum: 0}
required: [items]
hit: first
rules:
  - id: all
    reason: every item pays the fee
    then: {total: "= items * params.fee"}
outputs:
  total: {type: number}
"""
CASES = """kind: tests
cases:
  - name: ten items
    decision: charge
    marketplace: us
    at: "2025-07-01"
    input: {items: 10}
    expect: {total: 49.9}
    example: true
"""
# a program in Chinese and English, for where the marker goes in a translation (item 6)
CN = """  cn:
    country: CN
    site: example.cn
    currency: CNY
    time_zone: Asia/Shanghai
    locales: [zh-Hans, en]
"""
Z_PROGRAM = """kind: program
id: z
names: {en: Zed, zh-Hans: 测试}
marketplaces: [cn]
languages: [en, zh-Hans]
parameters:
  fee:
    description: a fee
    schema: {type: number, minimum: 0, format: money}
    value: 4.99
    assumption: guessed
"""
Z_PAGE = """{% extends "_site/page.md.j2" %}
{% block title %}Z{% endblock %}
{% block body %}
{% set fee = p.fee|money %}{% trans %}From **{{ fee }}** per item.{% endtrans %}
{% endblock %}
"""
Z_CATALOG = """msgid ""
msgstr ""
"Language: zh_Hans\\n"
"MIME-Version: 1.0\\n"
"Content-Type: text/plain; charset=utf-8\\n"
"Content-Transfer-Encoding: 8bit\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"

#: policies/z/pages/help.md.j2:4
#, python-format
msgid "From **%(fee)s** per item."
msgstr "每件商品**%(fee)s**起。"
"""


def page(body: str) -> str:
    """Program `t`'s page with ``body`` as its body: its first line is the template's line 4."""
    return (
        '{% extends "_site/page.md.j2" %}\n{% block title %}T{% endblock %}\n{% block body %}\n'
        + body
        + ("\n{% endblock %}\n")
    )


@pytest.fixture(scope="module")
def qa(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    top = tmp_path_factory.mktemp("marks") / "repo"
    shutil.copytree(init_starter, top)
    toml = top / "policyctl.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace('["en", "de"]', '["en", "de", "zh-Hans"]'), encoding="utf-8"
    )
    with (top / "policies/marketplaces.yaml").open("a", encoding="utf-8") as f:
        f.write(CN)
    files = {
        "policies/t/program.yaml": PROGRAM,
        "policies/t/decisions/charge.yaml": DECISION,
        "policies/t/tests/charge.yaml": CASES,
        PAGE: page(""),
        "policies/z/program.yaml": Z_PROGRAM,
        "policies/z/pages/help.md.j2": Z_PAGE,
        "policies/z/locales/zh-Hans.po": Z_CATALOG,
    }
    for rel, text in files.items():
        (top / rel).parent.mkdir(parents=True, exist_ok=True)
        (top / rel).write_text(text, encoding="utf-8")
    assert run_cli("i18n", "extract", "--root", str(top), "z").code == 0
    return top


@pytest.fixture
def with_page(qa: Path) -> Iterator[Path]:
    yield qa
    (qa / PAGE).write_text(page(""), encoding="utf-8")


def build(top: Path, body: str) -> site_build.Built:
    (top / PAGE).write_text(page(body), encoding="utf-8")
    return site_build.build(engine.load(str(top / "policies")), AT)


def said(problems: list[Problem]) -> list[str]:
    return [f"{Path(p.file).name}:{p.line}:{p.col}: {p.code}: {p.message}" for p in problems]


def lines(built: site_build.Built, name: str) -> list[str]:
    return built.files[name].decode("utf-8").split("\n")


# (a line of the page body, the line of the published Markdown it makes)
SHOWN = [
    # item 1: a template's marker for another assumption than the value's on its line stays
    (
        "| Fee | Free returns |\n| --- | --- |\n"
        f"| {{{{ p.fee|money }}}} | {{% if p.free %}}Yes{{% else %}}No{{% endif %}}{{% if assumed.free %}} {MARK}"
        "{% endif %} |",
        f"| $4.99 {M} | Yes {M} |",
    ),
    (
        f"Fee {{{{ p.fee|money }}}}. {{% if p.free %}}Returns are free.{{% endif %}}{{% if assumed.free %}} {MARK}"
        "{% endif %}",
        f"Fee $4.99 {M}. Returns are free. {M}",
    ),
    # ... and one for the same assumption, after its value, is left out (as before)
    (
        f"Fee {{{{ p.fee|money }}}}. {{% if p.fee > 1 %}}More than one.{{% endif %}}{{% if assumed.fee %}} {MARK}"
        "{% endif %}",
        f"Fee $4.99 {M}. More than one.",
    ),
    # item 3: through `map(...)|list`, `link` (an assumed text or address)
    ('A {{ p.amounts|map("money")|list }}', f"A $1.50 and $2.50 {M}"),
    ("A {{ p.channels[1]|label|link(p.sure_urls) }}", f"A [Phone](<https://example.com/phone>) {M}"),
    ('A {{ "phone"|label|link(p.urls, "phone") }}', f"A [Phone](<https://example.com/phone>) {M}"),
    ("A {{ p.channels[1]|label|link(p.urls) }}", f"A [Phone](<https://example.com/phone>) {M}"),
    # `~` joins an assumed value with its marker, as `{{ }}` shows it
    ('A {{ (p.fee|money) ~ " each" }} {{ "x" ~ p.sure|number ~ "y" }}', f"A $4.99 {M} each x5y"),
    # item 11: the key is by default the id a constant's label shows, too
    ('A {{ "phone"|label|link(p.sure_urls) }}', "A [Phone](<https://example.com/phone>)"),
    # items 3 and 9: a partly assumed list marks its assumed items, not the list after a confirmed one
    ('A {{ p.channels|map("label")|list }}', f"A Email {M}, Phone {M}, and Chat"),
    ("A {{ p.channels|labels|list }}", f"A Email {M}, Phone {M}, and Chat"),
    # item 4: `int`, `float`, `round` of a fact take its number
    (
        "A {{ p.sure|int|number }} / {{ p.sure|float|number }} / {{ p.sure|round|number }} / "
        "{{ (p.sure + 0.456)|round(1)|number }}",
        "A 5 / 5 / 5 / 5.5",
    ),
    # item 8: `last` and `reverse` show the values, each marked
    (
        "A {{ p.amounts|last|money }};{% for a in p.amounts|reverse %} {{ a|money }}{% endfor %}",
        f"A $2.50 {M}; $2.50 {M} $1.50 {M}",
    ),
    # item 5: a decision input named `items` is the input, not a method
    (
        "{% for ex in examples.charge %}{% set n = ex.input.items %}{% set total = ex.expect.total|money %}"
        "{% trans %}**Example:** {{ n }} items cost {{ total }}.{% endtrans %}"
        f"{{% if ex.unconfirmed %}} {MARK}{{% endif %}}{{% endfor %}}",
        f"**Example:** 10 items cost $49.90. {M}",
    ),
    # item 10: after the code span the value ends
    ("{% set fee = p.fee|money %}A `{{ fee }}` B", f"A `$4.99` {M} B"),
    # item 7: a change a `describe_change` marks is marked once ("What changed")
    (
        "{% endblock %}{% macro describe_change(c) -%}{% if c.new > c.old %}{% trans %}Up.{% endtrans %}"
        "{% else %}{% trans %}Down.{% endtrans %}{% endif %}"
        f"{{% if c.value_assumed or c.old_assumed %}} {MARK}{{% endif %}}{{%- endmacro %}}{{% block x %}}",
        f"- **January 1, 2025**: Up. {M} ([page before](original/help.md) · [page after](2025-01-01/help.md))",
    ),
]


def test_assumed_values_are_marked_wherever_they_are_shown(with_page: Path) -> None:
    """Every case on one page: each line as published, and the HTML of the table row and list."""
    built = build(with_page, "\n\n".join(case for case, _ in SHOWN))
    assert said(built.problems) == []
    published = lines(built, "t/us/en/help.md")
    for _, line in SHOWN:
        assert line in published
    html = built.files["t/us/en/help.html"].decode("utf-8")
    assert (
        '<td><span data-fact="fee" data-value="4.99" data-assumption="">$4.99</span> <em>(not yet confirmed)</em></td>\n'
        "<td>Yes <em>(not yet confirmed)</em></td>"
    ) in html
    assert (
        '<p>A <span data-fact="channels" data-value="[&quot;email&quot;,&quot;phone&quot;,&quot;chat&quot;]" '
        'data-assumption="">Email <em>(not yet confirmed)</em>, Phone <em>(not yet confirmed)</em>, and Chat</span></p>'
    ) in html
    assert (
        '<p>A <code><span data-fact="fee" data-value="4.99" data-assumption="">$4.99</span></code> '
        "<em>(not yet confirmed)</em> B</p>"
    ) in html


# (a page body, the problem `build` reports: line:col, code, message)
UNMARKED = [
    # item 2: a flag read for one sentence marks that sentence only
    (
        f"{{% if p.free %}}Returns are free.{{% endif %}}{{% if assumed.free %}} {MARK}{{% endif %}}\n\n"
        "{% if p.free %}We also pay for the label.{% endif %}",
        "6:7: G009: `p.free` is an assumption (not yet confirmed), and the template tests it",
    ),
    # ... and a flag that places no marker marks nothing
    (
        "{% if p.fee > 3 %}A fee applies.{% endif %}{% if assumed.fee %}{% endif %}",
        "4:7: G009: `p.fee` is an assumption (not yet confirmed), and the template compares it",
    ),
    (
        "{% if p.fee > 3 %}A fee applies.{% endif %}\n{% if assumed.fee %} " + MARK + "{% endif %}",
        "4:7: G009: `p.fee` is an assumption (not yet confirmed), and the template compares it",
    ),
    # item 2b: a wording that compares with an assumed old value ("What changed")
    (
        "{% endblock %}{% macro describe_change(c) -%}{% if c.new > c.old %}{% trans %}Up.{% endtrans %}"
        "{% else %}{% trans %}Down.{% endtrans %}{% endif %}"
        f"{{% if c.value_assumed %}} {MARK}{{% endif %}}{{%- endmacro %}}{{% block x %}}",
        "4:60: G009: the old value of `price` (the change of 2025-06-01) is an assumption (not yet confirmed), "
        "and the template compares it",
    ),
    # item 4: `round` takes the number of a fact; of an assumed one, the number it makes is a use
    (
        "A {{ p.fee|round(1)|money }}",
        "4:6: G009: `p.fee` is an assumption (not yet confirmed), and the template passes it to `round`",
    ),
    # at the use's line:col, not column 1: a `set` or a macro call written over several lines (Jinja
    # knows the line a statement starts on only) ...
    (
        '{% set word = "free"\n   if p.free else "paid" %}Returns are {{ word }}.',
        "5:7: G009: `p.free` is an assumption (not yet confirmed), and the template tests it",
    ),
    (
        '{% macro say(x) %}{{ x }}{% endmacro %}Returns: {{ say(\n  "free" if p.free else "paid") }}',
        "5:13: G009: `p.free` is an assumption (not yet confirmed), and the template tests it",
    ),
    # ... and a use through a name the value was given: a `set`'s, a macro's argument, a loop's
    (
        "{% set free = p.free %}\n\n  {% set yes = free %}{% if yes %}Free.{% endif %}",
        "6:29: G009: `p.free` is an assumption (not yet confirmed), and the template tests it",
    ),
    (
        "{% macro say(x) %}{% if x > 3 %}Dear.{% endif %}{% endmacro %}\nFees: {{ say(p.fee) }}",
        "4:25: G009: `p.fee` is an assumption (not yet confirmed), and the template compares it",
    ),
    (
        "{% for fee in [p.fee] %}\n{{ (fee * 2)|money }}{% endfor %}",
        "5:5: G009: `p.fee` is an assumption (not yet confirmed), and the template computes with it",
    ),
    (
        "{% set fee = p.fee %}\n{% set n = 1 %}{{ n|number }}: {{ fee|round|money }}",
        "5:35: G009: `p.fee` is an assumption (not yet confirmed), and the template passes it to `round`",
    ),
]


@pytest.mark.parametrize(("body", "problem"), UNMARKED, ids=[u[1].split(": ", 1)[0] + u[0][:40] for u in UNMARKED])
def test_what_a_template_makes_of_an_assumption_is_marked_by_it_or_refused(
    with_page: Path, body: str, problem: str
) -> None:
    built = build(with_page, body)
    assert [p[len("help.md.j2:") :] for p in said(built.problems)] == [
        problem + ": what it decides is stated as fact (on the page for marketplace `us`, language `en`)"
    ]


def test_a_label_stating_a_value_kept_off_the_pages_is_refused_at_validate(with_page: Path) -> None:
    """Item 12: `validate` passed it; `build` pointed at column 1."""
    (with_page / PAGE).write_text(
        page('A {{ "reply"|label }}\n{% if p.hidden is not omitted %}{{ "reply"|label }}{% endif %}'),
        encoding="utf-8",
    )
    problems = [p for p in validate([str(with_page / "policies")]).problems if p.code == "G008"]
    assert said(problems) == [
        "help.md.j2:4:6: G008: `p.hidden` is an assumption kept off the pages (`on_pages: omit`) in `us`, and the "
        "label `reply` shows it (`%(hidden)s`): the page would state what rests on it"
    ]
    built = site_build.build(engine.load(str(with_page / "policies")), AT)
    assert said(built.problems) == [
        "help.md.j2:4:6: G008: `p.hidden` is an assumption kept off the pages (`on_pages: omit`), and the template "
        "shows it in the label `reply` (`%(hidden)s`): the page would state what rests on it (on the page for "
        "marketplace `us`, language `en`)"
    ]


def test_the_marker_keeps_a_translations_bold(with_page: Path) -> None:
    """Item 6: `每件商品**%(fee)s**起。` showed its asterisks: the marker's `*…*` and the closing
    `**` made `***` before `起`, which does not close the emphasis."""
    built = build(with_page, "")
    assert said(built.problems) == []
    assert "每件商品**¥4.99 *（尚未确认）*** 起。" in lines(built, "z/cn/zh-Hans/help.md")
    assert (
        '<p>每件商品<strong><span data-fact="fee" data-value="4.99" data-assumption="">¥4.99</span> '
        "<em>（尚未确认）</em></strong> 起。</p>"
    ) in built.files["z/cn/zh-Hans/help.html"].decode("utf-8")
    assert "From **CN¥4.99 *(not yet confirmed)*** per item." in lines(built, "z/cn/en/help.md")


# (the text a render wrote: the renderer's markers after "\ue003" and the assumption's id,
# a template's with "\ue004", the ids it marks, "\ue005" before it; and the line it makes). A
# marker carries the space before it (`S`, the default layout's; a translator's may have none),
# which replaces the spaces a template writes before its include.
S = " " + M
A = "\ue003fee\ue005"
T = "\ue004{}\ue005"
PLACED = [
    (f"| $4.99{A}{S} | Yes {T.format('free')}{S} |", f"| $4.99 {M} | Yes {M} |"),
    (f"$4.99{A}{S}. Returns. {T.format('fee')}{S}", f"$4.99 {M}. Returns."),
    (f"Returns. {T.format('fee')}{S} $4.99{A}{S}", f"Returns. {M} $4.99 {M}"),
    # a marker right after another says nothing more, whatever it marks
    (f"$4.99{A}{S} {T.format('free')}{S}", f"$4.99 {M}"),
    (f"Up. {T.format('c')}{S} {T.format('c')}{S} (x)", f"Up. {M} (x)"),
    # a template's marker that marks no flag stays
    (f"$4.99{A}{S}. B {T.format('')}{S}", f"$4.99 {M}. B {M}"),
    (f"`$4.99{A}{S}` B", f"`$4.99` {M} B"),
    (f"**¥4.99{A} *（尚未确认）*** 起", "**¥4.99 *（尚未确认）*** 起"),
    (f"**¥4.99{A} *（尚未确认）***起", "**¥4.99 *（尚未确认）*** 起"),
    # a marker translated without the space (nor an emphasis): none before it, nor after it
    (f"不超过30件。 {T.format('fee')}（尚未确认）", "不超过30件。（尚未确认）"),
    (f"不超过30{A}（尚未确认）件", "不超过30（尚未确认）件"),
]


@pytest.mark.parametrize(("rendered", "line"), PLACED)
def test_markers_are_kept_for_each_assumption(rendered: str, line: str) -> None:
    marker = S if "尚未" not in rendered else " *（尚未确认）*" if "*（" in rendered else "（尚未确认）"
    assert place_markers(rendered, marker) == line


# A marker with no space of its own that opens an emphasis (`M`: the default layout's until the
# space became its message's, and what a repository's own copy of that layout still writes): the
# spaces a template writes before it stay, and the renderer's marker gets one. Without them its
# pages read "45 days*(not yet confirmed)*", which Markdown shows with its asterisks.
OLD_STYLE = [
    (f"$4.99{A}{M}. Returns. {T.format('fee')}{M}", f"$4.99 {M}. Returns."),
    (f"Returns. {T.format('fee')}{M} $4.99{A}{M}", f"Returns. {M} $4.99 {M}"),
    (f"Returns.{T.format('fee')}{M}", f"Returns.{M}"),  # (the template wrote none)
    (f"`$4.99{A}{M}` B", f"`$4.99` {M} B"),
]


@pytest.mark.parametrize(("rendered", "line"), OLD_STYLE)
def test_a_marker_without_its_own_space_keeps_the_templates(rendered: str, line: str) -> None:
    assert place_markers(rendered, M) == line


@pytest.mark.parametrize(
    "line",
    [
        '"x" + " " * 400_000 + "y \\ue003fee\\ue005*(m)*"',  # a long run of spaces before a marker
        '("`a` \\ue003fee\\ue005*(m)* ") * 20_000',  # many markers after code spans on one line
    ],
)
def test_markers_are_placed_in_one_pass_over_a_line(line: str) -> None:
    """A page line is a template's output, which a pull request writes: the spaces before a marker
    were sought from each space of a run (40,000 of them took 29 s), and each marker counted the
    code spans before it again; far below the minute given here now."""
    code = f"from engine.site.marking import place_markers; print(len(place_markers({line}, '*(m)*')))"
    assert finishes(code) is not None


def test_the_layouts_marker_marks_wherever_the_layout_is_installed(
    init_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An installed policyctl ships its layout in `engine/_data/site/`: the marker's template was
    known by a path ending in `/_site/unconfirmed.md.j2`, so a page marking an assumption with it
    was refused (G009) by every installed policyctl, and built only from a checkout."""
    layout = tmp_path / "installed" / "site"
    shutil.copytree(packaged.default_site_dir(), layout)
    monkeypatch.setattr(packaged, "default_site_dir", lambda: str(layout))
    overlay = init_repo / "policies/returns/marketplaces/de.yaml"
    edit(overlay, "source: the returns policy for example.de", "assumption: not yet confirmed")
    run = run_cli("build", "--at", AT, cwd=init_repo)
    assert run.code == 0, run
    text = (init_repo / "generated_docs/returns/de/de/help.md").read_text(encoding="utf-8")
    assert "\nDie Rücksendung ist kostenlos: Wir bezahlen das Rücksendeetikett. *(noch nicht bestätigt)*\n" in text


def test_where_a_name_holds_an_assumed_value_is_found_in_one_pass_over_a_line(tmp_path: Path) -> None:
    """G009's place on a line (engine.site.evidence.use_place) reads the template's own text, which
    a pull request writes: a tag of 100,000 spaces before the use (here in a comment, which Jinja
    skips) was split between two repeats of the pattern for a `set` at every point (over 30 s);
    far below the minute given here now, and the use is still found after it."""
    template = tmp_path / "page.md.j2"
    template.write_text("{# {% set" + " " * 100_000 + " #}{% if free %}x{% endif %}\n", encoding="utf-8")
    code = (
        "from engine.site.evidence import Use, parameter_taint, use_place; "
        f"print(use_place(Use(parameter_taint('fee'), 'tested', {str(template)!r}, 1, ('free',))))"
    )
    assert finishes(code) == "(1, 100019)\n"
