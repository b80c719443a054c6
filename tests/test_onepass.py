"""One render per page (engine.site.onepass): the published Markdown is the marked render without
its marks only when that is exactly what the plain render writes; a template that looks at a
marked text (its length, its letters, a comparison, a loop over it...) is rendered again plain.
Each case is rendered both ways and compared with the two renders the build made before."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from engine.i18n.catalogs import SITE, extract
from engine.i18n.translator import Translator, source_index
from engine.model.repository import load
from engine.site.context import page_context
from engine.site.markup import fact, strip_marks
from engine.site.page import render_both
from engine.site.plan import plan, site_dir
from engine.site.render import Renderer, render
from support import ROOT

# (template, context values to add as facts, looks at a marked text)
# `s` is a block holding the fact `w` shown: the marks are in its text.
BLOCK = "{% set s %}{{ w }}{% endset %}"
CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("{{ n|number }} and {{ w }}", {}, False),
    ('{% set d = _("%(v)s and %(w)s", v=n|number, w=w) %}{{ d }} {{ d }}', {}, False),
    (BLOCK + "[{{ s|trim }}]", {}, False),  # trims what the plain text would trim
    (BLOCK + "{{ s|upper }} {{ s ~ '!' }} {{ s + s }}", {}, False),  # the same letters either way
    (BLOCK + "{% if s %}shown{% endif %}", {}, False),  # a shown fact is never empty
    ("{% if n > 3 and w == 'abc' %}{{ w }}{% endif %}", {}, False),  # facts, not marked texts
    (BLOCK + "[{{ s|trim }}]", {"w": " abc "}, True),  # the plain text's spaces are inside the marks
    (BLOCK + "{{ s|length }}", {}, True),
    (BLOCK + "{{ s|capitalize }}", {}, True),
    (BLOCK + "{{ s|wordcount }} {{ s|first }} {{ s|reverse|first }}", {}, True),
    (BLOCK + "{% if s == 'abc' %}same{% endif %}", {}, True),
    (BLOCK + "{% if 'b' in s %}in{% endif %}", {}, True),
    (BLOCK + "{% for ch in s %}[{{ ch }}]{% endfor %}", {}, True),
    (BLOCK + "{{ s[0] }}{{ s[1:] }}", {}, True),
    (BLOCK + "{{ s.upper() }}", {}, True),
    (BLOCK + "{{ s * 2 }}", {}, False),  # repeated with its marks
    (BLOCK + "{{ {s: 1}.get('abc', 0) }}", {}, True),
    (BLOCK + "{{ [s, 'x']|sort|first }}", {}, True),
    (BLOCK + "{% if loop is undefined %}{{ range(3)|length }}{% endif %}{{ s|default('x') }}", {}, False),
    ("{% set t %}{{ e }}{% endset %}{% if t %}not empty{% endif %}", {}, True),  # an empty fact, marked
    ("private \ue001 text {{ n|number }}", {}, True),  # a mark's character in the template's own text
]


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Renderer, dict[str, Any], Path]:
    policies = tmp_path_factory.mktemp("onepass") / "policies"
    shutil.copytree(ROOT / "policies", policies)
    repo = load(str(policies))
    work = plan(repo, False)
    renderer = Renderer(repo, repo.programs["csba"], site_dir(repo))
    pair = {}
    for name in ("csba", SITE):
        catalog, _ = extract(work.domains[name])
        pair[name] = Translator(
            work.domains[name], "en", source_index(catalog, work.domains[name].folder), work.catalogs
        )
    renderer.use("en", pair)
    marketplace = sorted(repo.marketplaces)[0]
    context = page_context(repo, renderer, marketplace, "2030-01-01", {})
    return repo, renderer, context, policies / "csba" / "pages"


@pytest.mark.parametrize("source, values, looks", CASES)
def test_one_render_gives_what_two_renders_gave(
    setup: tuple[Any, Renderer, dict[str, Any], Path], source: str, values: dict[str, Any], looks: bool
) -> None:
    _, renderer, base, pages = setup
    name = f"probe_{abs(hash(source))}.md.j2"
    (pages / name).write_text(source, encoding="utf-8")
    raw = {"n": 5, "w": "abc", "e": "", **values}
    context = {**base, **{k: fact(k, v) for k, v in raw.items()}}
    plain, _ = render(renderer, name, context, html=False)  # the build's two renders, as before
    marked_before, _ = render(renderer, name, context, html=True)
    text, marked, marks = render_both(renderer, name, context)
    assert renderer.observed is looks
    assert text == plain  # the published Markdown: always the plain render's
    assert marked == marked_before  # the HTML's source: the marked render, unchanged
    if not looks:
        assert strip_marks(marked) == plain
    assert marks.facts  # (every case shows facts)


def test_a_translation_holding_a_marks_character_is_rendered_again(
    setup: tuple[Any, Renderer, dict[str, Any], Path],
) -> None:
    _, renderer, base, pages = setup
    (pages / "probe_words.md.j2").write_text("{{ n|number }} {{ _(text) }}", encoding="utf-8")
    context = {**base, "n": fact("n", 5), "text": "a \ue002 b"}  # (an English message is its own text)
    plain, _ = render(renderer, "probe_words.md.j2", context, html=False)
    text, _, _ = render_both(renderer, "probe_words.md.j2", context)
    assert renderer.observed
    assert text == plain and "\ue002" in text


@pytest.mark.parametrize(
    "where",
    ["the page", "a template it includes", "macros it imports", "a layout it extends"],
)
def test_a_marks_character_in_a_template_makes_only_the_renders_that_run_it_render_twice(
    setup: tuple[Any, Renderer, dict[str, Any], Path], where: str
) -> None:
    """Removing the marks would remove the character too, so a render that runs such a template
    looked; the program's other templates, rendered before or after it by the same environment
    (and whatever compiled it earlier in this process), still render once."""
    _, renderer, base, pages = setup
    tag = abs(hash(where))
    sources = {
        "the page": ("icon \ue001 {{ n|number }}", {}),
        "a template it includes": (
            f'{{% include "pua_{tag}.j2" %}} {{{{ n|number }}}}',
            {f"pua_{tag}.j2": "icon \ue001"},
        ),
        "macros it imports": (
            f'{{% import "pua_{tag}.j2" as m %}}{{{{ m.icon() }}}} {{{{ n|number }}}}',
            {f"pua_{tag}.j2": "{% macro icon() %}icon \ue001{% endmacro %}"},
        ),
        "a layout it extends": (
            f'{{% extends "pua_{tag}.j2" %}}{{% block body %}}{{{{ n|number }}}}{{% endblock %}}',
            {f"pua_{tag}.j2": "icon \ue001 {% block body %}{% endblock %}"},
        ),
    }
    page, others = sources[where]
    for name, text in {**others, f"page_{tag}.md.j2": page, f"plain_{tag}.md.j2": "{{ n|number }}"}.items():
        (pages / name).write_text(text, encoding="utf-8")
    context = {**base, "n": fact("n", 5)}
    for _ in range(2):  # (the second time from the compiled code kept for this process)
        render_both(renderer, f"plain_{tag}.md.j2", context)
        assert not renderer.observed
        text, _, _ = render_both(renderer, f"page_{tag}.md.j2", context)
        assert renderer.observed and "\ue001" in text, where
        render_both(renderer, f"plain_{tag}.md.j2", context)
        assert not renderer.observed, "a template the page does not run made it render twice"


def test_a_failure_is_the_plain_renders_first(setup: tuple[Any, Renderer, dict[str, Any], Path]) -> None:
    from engine.templates.sandbox import RenderError

    _, renderer, base, pages = setup
    # fails in the plain render only if it looks (a length of 3), in the marked one always
    (pages / "probe_fail.md.j2").write_text(
        BLOCK + '{% if s|length == 3 %}{{ fail("plain") }}{% else %}{{ fail("marked") }}{% endif %}', encoding="utf-8"
    )
    context = {**base, "w": fact("w", "abc")}
    with pytest.raises(RenderError) as caught:
        render_both(renderer, "probe_fail.md.j2", context)
    assert "plain" in caught.value.problem.message


@pytest.mark.parametrize(
    "obj, name",
    [
        ({"name": "x"}, "name"),
        ({"items": "shadowed"}, "items"),  # a dict's method comes first, as in Jinja's sandbox
        ({"keys": 1, "other": 2}, "keys"),
        ({}, "missing"),
        ({"__class__": 1}, "__class__"),
        (fact("p", {"tier": 2, "raw": "r", "items": 3}), "tier"),
        (fact("p", [1, 2]), "items"),  # the fact's method, where its data has no such key
        (fact("p", [1, 2]), "tier"),  # a list fact has no such item: undefined
        (fact("p", {"a": 1}), "missing"),
    ],
)
def test_reading_a_name_of_a_mapping_or_fact_answers_as_jinjas_sandbox(obj: Any, name: str) -> None:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from engine.site.onepass import MarkedSandbox

    ours = MarkedSandbox(undefined=StrictUndefined).getattr(obj, name)
    jinja = ImmutableSandboxedEnvironment(undefined=StrictUndefined).getattr(obj, name)
    assert type(ours) is type(jinja)
    if not isinstance(jinja, StrictUndefined):
        assert ours == jinja


@pytest.mark.parametrize("name", ["items", "raw", "path"])
def test_a_key_of_a_facts_data_comes_before_a_name_of_fact(name: str) -> None:
    """QA: a decision input named `items` put `<bound method Fact.items ...>` on a worked example."""
    from jinja2 import StrictUndefined

    from engine.site.onepass import MarkedSandbox

    ours = MarkedSandbox(undefined=StrictUndefined).getattr(fact("ex.input", {name: 10}), name)
    assert ours == fact(f"ex.input.{name}", 10)


def test_a_template_compiled_for_one_program_is_compiled_anew_when_its_text_changes(
    setup: tuple[Any, Renderer, dict[str, Any], Path],
) -> None:
    repo, renderer, base, pages = setup
    from engine.site.plan import site_dir as folder

    (pages / "probe_changed.md.j2").write_text("first {{ n|number }}", encoding="utf-8")
    context = {**base, "n": fact("n", 5)}
    assert render(renderer, "probe_changed.md.j2", context, html=False)[0] == "first 5"
    (pages / "probe_changed.md.j2").write_text("second \ue000 {{ n|number }}", encoding="utf-8")
    again = Renderer(repo, repo.programs["csba"], folder(repo))  # a new environment: the shared code
    again.use("en", renderer.translators)
    assert render(again, "probe_changed.md.j2", context, html=False)[0] == "second \ue000 5"
    render(again, "probe_changed.md.j2", context, html=True)
    assert again.observed  # its private-use character is seen
    third = Renderer(repo, repo.programs["csba"], folder(repo))  # compiled code found: still seen
    third.use("en", renderer.translators)
    text, _, _ = render_both(third, "probe_changed.md.j2", context)
    assert third.observed and text == "second \ue000 5"
