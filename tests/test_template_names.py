"""G007: names in page templates checked by `validate` against what the page context offers, and
render-time messages about missing names without internal type names."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from engine.commands.validate import validate
from support import CORPUS, ROOT, edit, run_cli

STARTER = ROOT / "engine" / "starter"
HELP = "policies/csba/pages/help.md.j2"
ANCHOR = "{% set day = p.tier_announcement_day|number %}"  # a line of its own in csba's page


def _line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1) if text in line)


def _csba_alone(policies: Path, english_only: bool = True) -> None:
    """Make a copy of policies/ the repository of csba's help page alone: the other program gone and
    (``english_only``) English the only language each marketplace publishes. What these tests check
    is one template's error at its place, whatever else the repository holds; each check and build
    of the whole repository paid for cs_guidelines' page and four more languages besides (a build
    that stops at the error ~0.24 -> ~0.16 CPU-s, a `validate` ~0.12 -> ~0.08)."""
    shutil.rmtree(policies / "cs_guidelines")
    if english_only:
        path = policies / "marketplaces.yaml"
        text, count = re.subn(r"(?m)^(\s*locales: )\[[^\]]*\]", r"\1[en]", path.read_text(encoding="utf-8"))
        assert count, "marketplaces.yaml lists no `locales: [...]`"
        path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def repo_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`_csba_alone`'s repository, made once for the module: a test edits its page and puts it back
    (or copies it: `csba_copy`)."""
    target = tmp_path_factory.mktemp("names") / "repo"
    shutil.copytree(ROOT / "policies", target / "policies")
    _csba_alone(target / "policies")
    return target


@pytest.fixture
def csba_copy(repo_copy: Path, tmp_path: Path) -> Path:
    """A writable copy of `repo_copy`'s repository: ``tmp_path / "policies"``."""
    shutil.copytree(repo_copy / "policies", tmp_path / "policies")
    return tmp_path


# (what replaces ANCHOR's line, the text the column points at, message, hint)
CASES = [
    ("{{ p.trial_day }}", "trial_day", "`p` has no `trial_day`", "did you mean `trial_days`?"),
    ('{{ p["trial_day"] }}', '"trial_day"', "`p` has no `trial_day`", "did you mean `trial_days`?"),
    (
        "{% if assumed.trial_dys %}x{% endif %}",
        "trial_dys",
        "`assumed` has no `trial_dys`",
        "did you mean `trial_days`?",
    ),
    ('{{ "sellr"|label }}', '"sellr"', "no label `sellr`", "did you mean `seller`?"),
    (
        '{{ ["seller", "marketplac"]|labels|list }}',
        '"marketplac"',
        "no label `marketplac`",
        "did you mean `marketplace`?",
    ),
    ("{% for ex in examples.fees %}{% endfor %}", "fees", "`examples` has no `fees`", "did you mean `fee`?"),
    (
        "{{ marketplce.currency }}",
        "marketplce",
        "`marketplce` is not in the page context",
        "did you mean `marketplace`?",
    ),
    ("{{ marketplace.curency }}", "curency", "`marketplace` has no `curency`", "did you mean `currency`?"),
    (
        "{{ efective_from|date }}",
        "efective_from",
        "`efective_from` is not in the page context",
        "did you mean `effective_from`?",
    ),
]


@pytest.mark.parametrize(("replacement", "at", "message", "hint"), CASES, ids=[c[2] for c in CASES])
def test_an_unknown_name_is_g007_at_its_place_with_a_suggestion(
    repo_copy: Path, replacement: str, at: str, message: str, hint: str
) -> None:
    page = repo_copy / HELP
    original = page.read_text(encoding="utf-8")
    line = _line_of(page, ANCHOR)
    try:
        edit(page, ANCHOR, replacement)
        problems = [p for p in validate([str(repo_copy / "policies")]).problems if p.code == "G007"]
    finally:
        page.write_text(original, encoding="utf-8")
    assert [(p.line, p.col, p.message, p.hint) for p in problems] == [(line, replacement.index(at) + 1, message, hint)]
    assert problems[0].file.endswith(HELP)


@pytest.mark.parametrize(
    "bound",
    [
        "{% set trial_day = 1 %}{{ trial_day }}",
        "{% for t in p.fee_tiers %}{{ t.anything }}{% endfor %}",
        "{% if nothing is defined %}{{ nothing.at.all }}{% endif %}",
        "{{ p.fee_tiers.whatever|default(1) }}",
        "{{ p.trial_days.whatever }}",
        "{% for k, v in p.items() %}{{ k }}{% endfor %}",
        "{{ programs.csba.name }}{{ page_template }}{{ range(3)|list }}",
        "{% macro m(x) %}{{ x.y }}{% endmacro %}{{ m(1) }}",
    ],
)
def test_what_cannot_be_proved_unknown_is_not_reported(repo_copy: Path, bound: str) -> None:
    page = repo_copy / HELP
    original = page.read_text(encoding="utf-8")
    try:
        edit(page, ANCHOR, bound)
        problems = [p for p in validate([str(repo_copy / "policies")]).problems if p.code == "G007"]
    finally:
        page.write_text(original, encoding="utf-8")
    assert problems == []


@pytest.mark.parametrize("repo", [ROOT / "policies", STARTER / "policies", *sorted((CORPUS / "repos").glob("*"))])
def test_real_templates_have_no_false_positive(repo: Path) -> None:
    assert [p for p in validate([str(repo)]).problems if p.code == "G007"] == []


def test_page_names_are_what_the_context_offers() -> None:
    """engine.templates.names.PAGE_NAMES is the context engine.site.page gives every page."""
    import inspect

    from engine.site import context, page
    from engine.templates.names import PAGE_NAMES

    returned = set(inspect.getsource(context.page_context).split("return {", 1)[1].split('\n        "')[1:])
    keys = {line.split('"', 1)[0] for line in returned}
    added = {line.split('"')[1] for line in inspect.getsource(page).split("\n") if 'context["' in line and "=" in line}
    assert keys | added == set(PAGE_NAMES)


@pytest.mark.parametrize(
    ("replacement", "message"),
    [
        ("{{ p.trial_day }}", "`p` has no `trial_day`"),
        ("{{ p.trial_days.foo }}", "`p.trial_days` has no `foo`"),
        ("{{ nothing_here }}", "`nothing_here` is not in the page context"),
        # into a filter: it said "duration: expected a number, got StrictUndefined Undefined"
        *[
            (f"{{{{ p.trial_days.foo|{f} }}}}", "`p.trial_days` has no `foo`")
            for f in ("number", "percent", "money", "date", "duration('day')", "datetime")
        ],
        # values of the wrong kind, in the words of YAML (it said `str`, `dict`)
        ("{{ true|number }}", "number: expected a number, got boolean `true`"),
        ("{{ (p.currency + 1)|number }}", "arithmetic needs numbers: `currency` is a string"),
        ("{{ p.fee_tiers[0] }}", "the fact `fee_tiers.0` is a mapping: pick a field or use a filter"),
    ],
)
def test_a_build_time_undefined_names_no_internal_type(csba_copy: Path, replacement: str, message: str) -> None:
    page = csba_copy / HELP
    line = _line_of(page, ANCHOR)
    edit(page, ANCHOR, replacement)
    result = run_cli("build", "--out", str(csba_copy / "out"), "--format", "json", cwd=csba_copy)
    assert result.code == 1
    assert message in result.out
    assert f'"line": {line}' in result.out
    for internal in ("Fact", "StrictUndefined", "dict object", " object'"):
        assert internal not in result.out + result.err


def test_validate_reports_what_build_refuses_in_the_catalogs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A translation that writes the fact instead of its placeholder is reported by `validate`,
    at the catalog's line, not first by `build`; the answer is the same from the cache."""
    import re

    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    catalog = next(policies.glob("*/locales/de.po"))
    text = catalog.read_text(encoding="utf-8")
    found = re.search(r'msgstr "([^"]*)%\((\w+)\)s([^"]*)"', text)
    assert found, "no German message with a placeholder left in the repository"
    catalog.write_text(
        text.replace(found.group(0), f'msgstr "{found.group(1)}48{found.group(3)}"', 1), encoding="utf-8"
    )
    line = text[: found.start()].count("\n") + 1  # the translation's msgstr (its placeholder is gone: col 1)
    for _ in range(2):  # computed, then from the cache
        run = run_cli("validate", "--root", str(policies))
        assert run.code == 1, run
        assert f"{catalog}:{line}:1: error[G002]" in run.out, run.out


def test_the_static_check_knows_the_filters_the_renderer_adds() -> None:
    from engine.site.render import Renderer
    from engine.templates.rules import PAGE_FILTERS

    class Anything:
        def __getattr__(self, name: str) -> None:
            return None

    assert set(Renderer.filters(Anything())) == PAGE_FILTERS  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("line", "said", "hint"),
    [
        ("{{ p.trial_days|durationn('day') }}", "No filter named 'durationn'.", "did you mean `duration`?"),
        ("{% if p.trial_days is numbr %}x{% endif %}", "No test named 'numbr' found.", "did you mean `number`?"),
    ],
)
def test_validate_refuses_a_filter_or_test_no_environment_has_as_build_does(
    csba_copy: Path, line: str, said: str, hint: str
) -> None:
    """Jinja refuses them only when it compiles a template: `validate`, which never compiles one,
    passed what `build` then refused."""
    page = csba_copy / HELP
    edit(page, ANCHOR, line)
    where = f"{page}:{_line_of(page, line)}:1: error[G001]: template syntax error: {said}"
    checked = run_cli("validate", str(csba_copy / "policies"))
    assert checked.code == 1 and f"{where}\n  hint: {hint}" in checked.out, checked.out
    built = run_cli("build", "--root", str(csba_copy / "policies"), "--out", str(csba_copy / "site"))
    assert built.code == 1 and said in built.err, built
    assert f"\n  hint: {hint}\n" in built.err, built.err  # (build gave Jinja's documentation, or "check the template")


def test_a_parameter_that_changes_without_words_for_it_is_found_by_validate(init_repo: Path) -> None:
    """A page that keeps the frame's "What changed" and has no `describe_change` macro names each
    change by its parameter's `label:`: without one, `build` stopped inside the installed frame
    (`.../site-packages/engine/_data/site/changes.md.j2:7:1`) without naming the parameter, and
    `validate` passed."""
    page = init_repo / "policies" / "returns" / "pages" / "help.md.j2"
    text = page.read_text(encoding="utf-8")
    start, end = text.index("{% macro describe_change(c)"), text.index("{%- endmacro %}") + len("{%- endmacro %}")
    page.write_text(text[:start] + text[end:], encoding="utf-8")
    program = init_repo / "policies" / "returns" / "program.yaml"
    edit(program, "    label: Return window\n", "")
    line = program.read_text(encoding="utf-8").splitlines().index("  return_window_days:") + 1
    run = run_cli("validate", cwd=init_repo)
    said = f"policies/returns/program.yaml:{line}:3: error[G007]: `return_window_days` changes (from "
    assert run.code == 1 and said in run.out, run.out
    assert "define a `describe_change(c)` macro" in run.out


def test_a_render_error_names_the_page_it_stopped_once(tmp_path: Path) -> None:
    """A template serves every marketplace, language and edition: its error said the template's line
    but not which page's data broke it."""
    shutil.copytree(ROOT / "policies", tmp_path / "policies")
    _csba_alone(tmp_path / "policies", english_only=False)  # (the page that breaks is German)
    edit(tmp_path / HELP, ANCHOR, ANCHOR + "{{ (p.trial_days if marketplace.id == 'us' else 'x')|number }}")
    result = run_cli("build", "--out", str(tmp_path / "out"), cwd=tmp_path)
    said = [line for line in result.err.splitlines() if "error[G001]" in line]
    assert result.code == 1 and len(said) == 1, result.err
    assert "(on the page for marketplace `de`, language `de`)" in said[0], said


def test_the_guides_sample_of_g007_is_a_real_run(repo_copy: Path) -> None:
    """The authors' guide shows G007 for csba's page with `trial_days` misspelt at its first use; its
    place had gone stale (44:9, where the page had since grown to put that use on line 63)."""
    guide = (ROOT / "docs" / "writing-policies.md").read_text(encoding="utf-8")
    page = repo_copy / HELP
    original = page.read_text(encoding="utf-8")
    try:
        edit(page, "p.trial_days", "p.trial_day")
        result = run_cli("validate", cwd=repo_copy)
    finally:
        page.write_text(original, encoding="utf-8")
    said = result.out[: result.out.index("\n1 error in")]
    assert result.code == 1 and f"```text\n{said}\n```\n" in guide, result
