"""Hardening II: bounded templates and expressions, safe patterns, no traceback, passive pages.

Each table row is a payload and what must happen: refused by `policyctl validate` with its code at
its line, refused again at run time (`build`, `decide`), within ``BOUND`` CPU seconds and without a
traceback. CPU time, not wall time, so a busy machine does not fail a guard against minutes.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

import engine
from support import CORPUS, MINI, ROOT, CliRun, call, finishes, git, run_cli

BOUND = 5.0
HOSTILE = CORPUS / "hostile" / "site"
TEMPLATE = Path("demo") / "pages" / "help.md.j2"


def inject(site: Path, snippet: str) -> int:
    template = site / TEMPLATE
    lines = template.read_text(encoding="utf-8").split("\n")
    at = lines.index("{% block body %}") + 1
    lines.insert(at, snippet)
    template.write_text("\n".join(lines), encoding="utf-8")
    return at + 1


# payload -> what validate and build both say about it
TEMPLATE_BOMBS = {
    "{{ 'x'.ljust(4000000000) }}": "method `ljust`",
    "{{ 'x'.zfill(400000000) }}": "method `zfill`",
    "{{ 'x'.center(400000000) }}": "method `center`",
    "{{ ('x' * 1000).replace('x', 'x' * 1000) }}": "method `replace`",
    "{{ (10 ** 1000).to_bytes(400000000, 'big')|length }}": "method `to_bytes`",
    "{{ ('{0:>4000000' ~ '00}')['for' ~ 'mat'](1) }}": "computed name",
    "{{ 'x'.encode('no-such-codec') }}": "method `encode`",
    "{{ _('%200000000s') }}": "`%200000000s`",
    "{{ gettext('%(n).99999999f', n=1) }}": "`%(n).99999999f`",
    "{{ [[[0] * 100000] * 100000] * 100000 == 1 }}": "nested lists counted in full",
    "{{ 1 // 0 }}": "by zero",  # (Python 3.14 says "division by zero", earlier ones "integer division or modulo by zero")
    "{{ 2.0 ** 5000 }}": "too large a number",
    "{{ ngettext('a', 'b', 1e999) }}": "the number `inf`",
}
# caught only at render time, still as a G001 without a traceback
RENDER_ONLY = {
    "{% macro r(n) %}{{ r(n) }}{% endmacro %}{{ r(1) }}": "recurses too deeply",
    "{% set w = 'ljust' %}{{ ('x'[w])(4000000000) }}": "computed name",
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    dest = tmp_path / "policies"
    shutil.copytree(HOSTILE, dest)
    return dest


@pytest.mark.parametrize("snippet", TEMPLATE_BOMBS)
def test_template_bombs_are_refused_by_validate_and_build(site: Path, tmp_path: Path, snippet: str) -> None:
    line = inject(site, snippet)
    started = time.process_time()
    checked = run_cli("validate", str(site))
    built = run_cli("build", "--root", str(site), "--out", str(tmp_path / "out"), "--at", "2024-03-01")
    assert time.process_time() - started < BOUND
    where = f"{site / TEMPLATE}:{line}:1: error[G001]"
    assert checked.code == 1 and where in checked.out and TEMPLATE_BOMBS[snippet] in checked.out, checked
    assert built.code == 1 and where in built.err, built
    assert "Traceback" not in checked.out + checked.err + built.out + built.err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("snippet", RENDER_ONLY)
def test_render_failures_are_problems_not_tracebacks(site: Path, tmp_path: Path, snippet: str) -> None:
    line = inject(site, snippet)
    started = time.process_time()
    built = run_cli("build", "--root", str(site), "--out", str(tmp_path / "out"), "--at", "2024-03-01")
    assert time.process_time() - started < BOUND
    assert built.code == 1 and f"{site / TEMPLATE}:{line}:1: error[G001]" in built.err, built
    assert "Traceback" not in built.out + built.err


@pytest.mark.parametrize(
    "snippet, precision",
    [
        ("{{ 1|round(-1000000000) }}", "-1000000000"),
        ('{{ 1.5|round(1000000000, "floor") }}', "1000000000"),
        ("{% set n = -10 ** 9 %}{{ 2|round(n) }}", "-1000000000"),
        ('{{ [1]|map("round", -100000)|list }}', "-100000"),
    ],
)
def test_round_never_computes_a_huge_power(snippet: str, precision: str) -> None:
    """Jinja's `round` computes `10 ** precision` in one step of C, which no render deadline
    interrupts: `1|round(-1000000000)` held a build for hours. The precision is bounded."""
    code = (
        "from engine.templates.guard import GuardedSandbox\n"
        f"try:\n    GuardedSandbox().from_string({snippet!r}).render()\n"
        "except Exception as e:\n    print(e)"
    )
    assert finishes(code) == f"`round` takes a precision from -400 to 400 digits, got `{precision}`\n"
    assert (
        finishes(
            "from engine.templates.guard import GuardedSandbox; "
            "print(GuardedSandbox().from_string('{{ 1234.5|round(-2) }} {{ 1.25|round(1, \"ceil\") }}').render())"
        )
        == "1200.0 1.3\n"
    )


@pytest.mark.parametrize("snippet", ["{{ 1|round(-1000000000) }}", "{{ 1.5|round(precision=401) }}"])
def test_validate_refuses_round_to_a_constant_huge_precision(site: Path, snippet: str) -> None:
    line = inject(site, snippet)
    r = run_cli("validate", str(site))
    assert (
        r.code == 1
        and f"{site / TEMPLATE}:{line}:1: error[G001]: the sandbox refuses `round` with a precision" in r.out
    ), r


def test_the_sandbox_offers_only_bounded_methods() -> None:
    import jinja2

    from engine.templates.guard import GuardedSandbox

    env = GuardedSandbox(undefined=jinja2.StrictUndefined)
    assert env.from_string("{{ d.items()|list|length }} {{ 'Ab'.lower() }}").render(d={"a": 1}) == "1 ab"
    for payload in (
        "'x'.ljust(10)",
        "'{0}'.format(1)",
        "'{0}'['format'](1)",
        "(1).to_bytes(2, 'big')",
        "'a'.join(['b'])",
        "'x'.expandtabs(9)",
    ):
        with pytest.raises(jinja2.exceptions.SecurityError):
            env.from_string("{{ " + payload + " }}").render()


# -- expressions ------------------------------------------------------------------------------------


def decision_repo(tmp_path: Path, then: str, when: str = "x >= 0") -> Path:
    repo = tmp_path / "policies"
    shutil.copytree(MINI, repo)
    (repo / "loans" / "decisions" / "bomb.yaml").write_text(
        "kind: decision\nid: bomb\ntitle: t\ninputs: {x: {type: integer}, s: {type: string}}\n"
        f"rules:\n  - id: only\n    when: {json.dumps(when)}\n    reason: r\n    then: {{out: {json.dumps('= ' + then)}}}\n"
    )
    return repo


def decide(repo: Path, stdin: str) -> CliRun:
    return run_cli(
        "decide", "loans.bomb", "-m", "no", "--root", str(repo), "--input", "-", "--at", "2024-05-01", stdin=stdin
    )


@pytest.mark.parametrize(
    "then, message",
    [
        ("[[[0] * 100000] * 100000] * 100000 == [1]", "nested lists counted in full"),
        ("[[0] * 1000] * 1000 ~ ''", "nested lists counted in full"),
        ("2.0 ** 5000", "too large a number"),
        ("1e308 * 10 - 1e308 * 10", "not a number an answer can carry"),
    ],
)
def test_constant_expression_bombs_are_refused_by_validate(tmp_path: Path, then: str, message: str) -> None:
    repo = decision_repo(tmp_path, then)
    started = time.process_time()
    r = run_cli("validate", str(repo))
    assert time.process_time() - started < BOUND
    assert r.code == 1 and "error[D005]" in r.out and message in r.out and "bomb.yaml:9:" in r.out, r


@pytest.mark.parametrize(
    "then, message",
    [
        ("[[[x] * 100000] * 100000] * 100000 == [1]", "nested lists counted in full"),
        ("x * 1.0e308 * 10 - x * 1.0e308 * 10", "not a finite number"),
    ],
)
def test_input_dependent_bombs_fail_fast_in_decide(tmp_path: Path, then: str, message: str) -> None:
    repo = decision_repo(tmp_path, then)
    started = time.process_time()
    r = decide(repo, json.dumps({"x": 1}))
    assert time.process_time() - started < BOUND
    body = json.loads(r.out)
    assert r.code == 1 and body["problems"][0]["code"] == "D005" and message in body["problems"][0]["message"], body


def test_a_5000_digit_number_is_one_bad_line_and_the_batch_goes_on(tmp_path: Path) -> None:
    repo = decision_repo(tmp_path, "x")
    r = decide(repo, '{"x": 1}\n{"x": ' + "9" * 5000 + '}\n{"x": 2}\n')
    lines = [json.loads(line) for line in r.out.splitlines()]
    assert r.code == 1 and [line.get("outputs") for line in lines] == [{"out": 1}, None, {"out": 2}], lines
    assert lines[1]["line"] == 2 and lines[1]["problems"][0]["code"] == "D004"
    single = decide(repo, '{"x": ' + "9" * 5000 + "}")
    assert single.code == 1 and "D004" in single.out and "Traceback" not in single.out + single.err


def test_nan_is_never_printed(tmp_path: Path) -> None:
    repo = decision_repo(tmp_path, "x * 1.0e308 * 10 - x * 1.0e308 * 10")
    r = decide(repo, '{"x": 1}\n{"x": 2}\n')
    assert ":NaN" not in r.out and all(json.loads(line)["problems"][0]["code"] == "D005" for line in r.out.splitlines())


# -- regular expressions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [
        "^(?=(a+)+$)",
        "^(?!(a|aa)+$)",
        "^(a+){1,60}$",
        "^(aa|a){1,64}$",
        "^(?:a{0,64}){64}$",
        "(?ms)^.*X$",
        "(?m)^(a+)+$",
        "^((a{1,3}){1,3}){1,3}$",
        "^(a|a?){1,30}$",
        "^(?:(?:a|b)?a?){1,30}b$",
        "^(\\w+\\s?){1,50}$",
    ],
)
def test_backtracking_patterns_are_refused(pattern: str) -> None:
    from engine.schema.patterns import regex_risk

    assert regex_risk(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        "^[A-Z]{2}$",
        "^[a-z][a-z0-9_]*$",
        "^[^@\\s]+@[^@\\s]+$",
        "^(?:[0-9]{1,3}\\.){3}[0-9]{1,3}$",
        "^[a-z]{2,3}(-[A-Z]{2})?$",
    ],
)
def test_policy_patterns_pass(pattern: str) -> None:
    from engine.schema.patterns import regex_risk

    assert regex_risk(pattern) is None


# -- CI logs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("forged", ["x\n::error::forged", "x\r\n::add-mask::secret", "x\u2028::warning::y", "\x1b[2J"])
def test_text_output_never_starts_a_workflow_command(forged: str) -> None:
    from engine.policytests.report import failures  # noqa: F401 - same helper, see below
    from engine.problems import Problem, one_line
    from engine.problems.report import text

    out = text([Problem(f"policies/{forged}.yaml", 1, 1, "Y001", f"bad {forged}", f"hint {forged}")], 1)
    assert not any(line.startswith("::") for line in out.splitlines()) and "\x1b" not in out
    assert "\n" not in one_line(forged) and one_line("plain text") == "plain text"


@pytest.mark.parametrize(
    "forged, shown",
    [
        ("x\x9b2Jy", "x\\x9b2Jy"),  # a terminal's escape sequence in one C1 character
        ("policies/a\u202egnp.yaml", "policies/a\\u202egnp.yaml"),  # prints as "policies/alpy.png"
        ("a\u2066b\u2069c\u200fd\u061ce", "a\\u2066b\\u2069c\\u200fd\\u061ce"),
        ("Rücksendung · 30 Tage · 返品", "Rücksendung · 30 Tage · 返品"),
    ],
)
def test_text_output_shows_controls_and_reordering_characters_as_escapes(forged: str, shown: str) -> None:
    """A file or test name from a pull request printed as is could move a CI log's cursor (C1
    controls) or print its end backwards (bidirectional overrides, "Trojan Source")."""
    from engine.problems import Problem, one_line
    from engine.problems.report import text

    assert one_line(forged) == shown
    assert text([Problem(forged, 1, 1, "Y001", f"bad {forged}", "hint")], 1).startswith(
        f"{shown}:1:1: error[Y001]: bad {shown}"
    )


# a value of policyctl.toml (a pull request's) that a usage error quotes -> how the error shows it
USAGE_QUOTES = {
    'languages = ["en\\n::error file=x::forged"]': "`en\\n::error file=x::forged`",
    'languages = ["en\\r\\n::add-mask::x\\u001b[2J"]': "`en\\r\\n::add-mask::x\\x1b[2J`",
    'languages = ["e\\u202en"]': "`e\\u202en`",
}


@pytest.mark.parametrize("setting", USAGE_QUOTES)
def test_a_usage_error_quoting_the_repository_never_starts_a_workflow_command(init_repo: Path, setting: str) -> None:
    """Usage errors (exit 2) printed what they quote as is: a line break in policyctl.toml's
    `languages` started a line `::error ...` in the CI log, which GitHub Actions runs."""
    toml = init_repo / "policyctl.toml"
    kept = [line for line in toml.read_text("utf-8").splitlines() if not line.startswith("languages")]
    toml.write_text("\n".join([*kept, setting]) + "\n", "utf-8")
    r = run_cli("validate", "--root", str(init_repo))
    assert r.code == 2, r
    assert r.err.startswith(f"policyctl: error: {toml}: `languages` lists {USAGE_QUOTES[setting]}, "), r
    assert (
        not any(line.startswith("::") for line in r.err.splitlines()) and "\x1b" not in r.err and "\u202e" not in r.err
    )


@pytest.mark.parametrize("explain", [[], ["--explain"]])
@pytest.mark.parametrize("lines", [[], ["--lines"]])
def test_decide_as_text_never_starts_a_workflow_command(init_repo: Path, explain: list[str], lines: list[str]) -> None:
    """`decide --format text` printed a row's `reason` (a pull request's) and an input's key (a
    caller's) as is: a line break in either started a line `::error ...` in a CI log."""
    table = init_repo / "policies" / "returns" / "decisions" / "return_allowed.yaml"
    reason = 'reason: "ok\\n::error file=a::forged\\u202e\\u001b[2J"'
    table.write_text(
        table.read_text("utf-8").replace("reason: The return is within the return window.", reason), "utf-8"
    )
    asked = '{"days_since_delivery": 3}\n{"days_since_delivery": 3, "k\\u001b[2J\\n::warning::x": 1}\n'
    args = ["decide", "returns.return_allowed", "-m", "us", "--at", "2025-03-01", "--format", "text", "-i", "-"]
    r = run_cli(*args, *explain, *lines, "--root", str(init_repo), stdin=asked if lines else asked.split("\n")[0])
    assert "because: ok\\n::error file=a::forged\\u202e\\x1b[2J\n" in r.out, r
    if lines:
        assert "error[D004] /k\\x1b[2J\\n::warning::x: not an input of this decision" in r.out, r
    assert (
        not any(line.startswith("::") for line in r.out.splitlines()) and "\x1b" not in r.out and "\u202e" not in r.out
    )


# -- pages ------------------------------------------------------------------------------------------


class _Active(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.csp: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "iframe", "object", "embed", "base", "form"):
            self.found.append(tag)
        if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy":
            self.csp.append(a.get("content") or "")
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith(("javascript:", "data:")):
                self.found.append(f"{tag} {name}")
            if name in ("src", "srcset") or (tag == "link" and a.get("rel") not in ("alternate",)):
                self.found.append(f"{tag} {name} (a resource)")


def test_every_generated_page_is_passive_and_carries_a_strict_policy() -> None:
    out = ROOT / "generated_docs"
    # the search pages are the one stated exception (SECURITY.md): policyctl's own scripts only
    pages = sorted(p for p in out.rglob("*.html") if p.relative_to(out).parts[0] != "search")
    assert pages
    for page in pages:
        reader = _Active()
        reader.feed(page.read_text(encoding="utf-8"))
        assert reader.found == [], (page, reader.found)
        assert len(reader.csp) == 1 and reader.csp[0].startswith("default-src 'none'; style-src 'sha256-"), page


def test_the_search_pages_load_only_policyctls_own_scripts_under_their_narrow_policy() -> None:
    """The stated exception (SECURITY.md): a search page runs Pagefind's UI from the site itself
    (`_search/`), nothing inline, nothing from elsewhere, under exactly the search pages' policy."""
    from engine.site import search

    out = ROOT / "generated_docs"
    pages = sorted((out / "search").glob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        reader = _Active()
        reader.feed(text)
        assert len(reader.csp) == 1 and reader.csp[0] == search.POLICY, page
        scripts = re.findall(r"<script\b[^>]*>", text)
        assert scripts and all(re.fullmatch(r'<script src="\.\./_search/[\w.-]+\.js">', tag) for tag in scripts), page
        assert set(reader.found) == {
            "link href (a resource)",
            "link rel (a resource)",
            "script",
            "script src (a resource)",
        }, page


@pytest.mark.parametrize(
    "markup, found",
    [
        ("<script>alert(1)</script>", "`<script>`"),
        ('<body onload="x()">', "event handler `onload`"),
        ('<a href=" JavaScript:alert(1)">x</a>', "`javascript:` URL"),
        ('<img src="https://tracker.example/p.gif">', "resource from elsewhere"),
        ('<img src="data:image/svg+xml,<svg onload=alert(1)>">', "`data:` URL"),
        ('<link rel="stylesheet" href="https://x.example/s.css">', "loads something"),
        ("<style>body { background: url(https://x.example/) }</style>", "loads a resource"),
        ('<meta http-equiv="refresh" content="0;url=https://x.example">', "refresh"),
        # html.parser reads these as comments or as one style sheet; Chromium runs the script
        ("<!--><script>alert(1)</script><!-- -->", "a comment, CDATA section"),
        ("<!---><script>alert(1)</script>-->", "a comment, CDATA section"),
        ("<!-- --!><script>alert(1)</script> -->", "a comment, CDATA section"),
        ("<![CDATA[><script>alert(1)</script>]]>", "a comment, CDATA section"),
        # (Python 3.14's html.parser ends the style sheet at `</style x>`, as browsers do: the script is seen)
        ("<style></style x><script>alert(1)</script></style>", ("`</style` inside a style sheet", "`<script>`")),
        # what a browser drops before reading a URL's scheme, or reads in a style sheet or a srcset
        ('<a href="java&#9;script:alert(1)">x</a>', "`javascript:` URL"),
        ('<a href="\x01javascript:alert(1)">x</a>', "`javascript:` URL"),
        ("<style>p { background: u\\72l(https://x.example/) }</style>", "loads a resource"),
        ('<style>p { background: image-set("https://x.example/p.png" 1x) }</style>', "loads a resource"),
        ('<p style="background: image-set(&quot;https://x.example/p.png&quot; 1x)">', "loads a resource"),
        ('<img srcset="a.png 1x, https://tracker.example/p.gif 2x">', "resource from elsewhere"),
        ('<meta charset="iso-2022-jp">', "other than utf-8"),
        # the search UI links a result to its page's Pagefind `url:` metadata
        ('<p data-pagefind-meta="url:javascript:alert(1)">', "`javascript:` URL"),
        ('<p data-pagefind-meta="title:x, image:https://tracker.example/p.gif">', "resource from elsewhere"),
    ],
)
def test_a_layout_with_active_content_is_refused(
    site: Path, tmp_path: Path, markup: str, found: str | tuple[str, ...]
) -> None:
    layout = site / "_site" / "page.html.j2"
    layout.write_text(layout.read_text(encoding="utf-8").replace("<main>", "<main>" + markup), encoding="utf-8")
    built = run_cli("build", "--root", str(site), "--out", str(tmp_path / "out"), "--at", "2024-03-01")
    assert built.code == 1 and f"{layout}:1:1: error[G001]: the page would carry active content" in built.err, built
    assert any(f in built.err for f in ((found,) if isinstance(found, str) else found)), built
    assert not (tmp_path / "out").exists()


# What the plain reader (engine.site.activecontent._plain, the fast way through most pages) must
# agree with html.parser on: near misses of the plain subset and active content inside it.
NEAR_MISSES = [
    "<script>alert(1)</script>",
    '<a href=" JavaScript:alert(1)">x</a>',
    '<img src="https://tracker.example/p.gif">',
    '<link rel="stylesheet" href="https://x.example/s.css">',
    '<meta http-equiv="refresh" content="0;url=https://x.example">',
    '<p ONCLICK="x()">',
    "<p onclick=x()>",
    "<p\x0bonclick='x()'>",
    "<p\xa0onclick='x()'>",
    '<p title="a>b" onclick="x()">',
    '<p title="x"onclick="y()">',
    "<STYLE>p{}</STYLE>",
    "<style>p{}</STYLE>",
    "<style>p { content: '&amp;' }</style>",
    "<style>p{}</style><style>q{}</style>",
    "<style></style>",
    "<style/>p{}",
    "<style>p{}</style ><script>x</script>",
    "<style>p{background:url(x)}</style>",
    "<title>a <b onclick=x()>b</b></title>",
    "<title>a &amp; b</title>",
    "<textarea><script>x</script></textarea>",
    "<noscript><img src=//x></noscript>",
    "<!-- <script>x</script> -->",
    "<!--<p onclick=x()>-->",
    "<![CDATA[<script>x</script>]]>",
    "<?php x ?>",
    "<!doctype html><p>",
    "<!DOCTYPE html SYSTEM 'x'>",
    "a < b > c",
    "a <3 b",
    "</p onclick=x()>",
    "</ p>",
    '<svg><a href="x"/></svg>',
    '<a href="x"/>',
    '<img src="data:image/png;base64,AAAA">',
    '<p style="color: red">',
    '<p style="background: url(x)">',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<img src="&#47;&#47;x.example/p.gif">',
    "<p data-x='a\"b'>",
    "<p hidden>",
    '<p  data-a = "1"  >',
    "<br/><br />",
    "<",
    "<p",
    "&lt;script&gt;",
]


def test_the_plain_reader_agrees_with_html_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every page of generated_docs/, and pages with a near miss put in at every kind of place,
    come out of `checked` exactly as html.parser alone would have them (findings, policy, bytes)."""
    import random
    import re

    from engine.site import activecontent as ac

    # html.parser reads each page once: `checked` (cold and warm) and `parser_only` below read the
    # same text, and a reading depends on the text alone, so they share it. (Three readings of each
    # mutated page were most of this test's time; `_plain`, what is under test, still runs every time.)
    readings: dict[str, HTMLParser] = {}
    read = ac._read

    def read_once(html: str) -> HTMLParser:
        if html not in readings:
            readings[html] = read(html)
        return readings[html]

    monkeypatch.setattr(ac, "_read", read_once)

    def parser_only(html: str) -> tuple[list[str], str]:
        reader = ac._read(html)
        return reader.found, ("" if reader.found else ac._with(html, ac._hashes(reader)))

    csp = re.compile(r'\n?<meta http-equiv="Content-Security-Policy"[^>]*>')
    out = ROOT / "generated_docs"
    files = sorted(out.rglob("*.html"))
    pages = [csp.sub("", p.read_text(encoding="utf-8"), count=1) for p in files]
    assert pages
    plain = 0
    for path, page in zip(files, pages):
        # (the search pages are engine.site.search's, not the layout's: the stated exception, with scripts)
        plain += ac._plain(page) is not None or path.relative_to(out).parts[0] == "search"
        assert ac.checked(page) == parser_only(page)
    assert plain == len(pages)  # the layout and markdown-it write plain HTML
    rng = random.Random(17)
    for snippet in NEAR_MISSES:
        for _ in range(8):
            page = rng.choice(pages)
            at = rng.choice([m.start() for m in re.finditer("<", page)] + [m.end() for m in re.finditer(">", page)])
            mutated = page[:at] + snippet + page[at:]
            ac._PASSIVE.clear()
            cold = ac.checked(mutated)
            assert cold == parser_only(mutated) == ac.checked(mutated), (snippet, at)


# -- integrity --------------------------------------------------------------------------------------


def test_the_template_check_cache_is_keyed_by_a_digest_not_a_crc(tmp_path: Path) -> None:
    from engine.cache import store
    from engine.templates import check

    key = check._key(str(tmp_path / "t.j2"), b"{{ x }}")
    assert f":{store.digest(b'{{ x }}')}:" in key
    assert check._key(str(tmp_path / "t.j2"), b"{{ y }}") != key


def test_fmt_replaces_files_in_one_step(tmp_path: Path) -> None:
    import os

    from engine.source.atomic import write_atomic

    target = tmp_path / "p.yaml"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    write_atomic(str(target), "new\n")
    assert target.read_text() == "new\n" and (target.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["p.yaml"]


# -- hardening II, second round ---------------------------------------------------------------------


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../../../etc/hostname", "program.yaml", "../README"])
def test_diff_skips_links_in_a_revision_and_leaves_no_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    import os
    import tempfile

    temps = tmp_path / "tmp"
    temps.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temps))
    repo = tmp_path / "repo"
    shutil.copytree(MINI, repo / "policies")
    (repo / "README").write_text("x\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")
    os.symlink(target, repo / "policies" / "loans" / "linked.yaml")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "a link")
    r = run_cli("diff", "HEAD~1", "HEAD", "--at", "2024-05-01", cwd=repo)
    assert r.code == 0 and "Traceback" not in r.out + r.err, r
    assert "HEAD:policies/loans/linked.yaml:1:1: warning[L005]: a symbolic link in revision `HEAD`" in r.err, r
    assert list(temps.iterdir()) == []


def test_diff_removes_its_temporary_folders_when_interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from engine.source import gitrev

    temps = tmp_path / "tmp"
    temps.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temps))
    repo = tmp_path / "repo"
    shutil.copytree(MINI, repo / "policies")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "one")

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(gitrev, "_write_member", interrupted)
    with pytest.raises(KeyboardInterrupt):
        gitrev.open_side("HEAD", str(repo / "policies"))
    assert list(temps.iterdir()) == []
    monkeypatch.undo()
    monkeypatch.setattr(tempfile, "tempdir", str(temps))
    r = run_cli("diff", "HEAD", "no-such-revision", cwd=repo)  # the second side fails: the first is removed
    assert r.code == 2 and list(temps.iterdir()) == [], r


def _nested(depth: int, inner: str) -> tuple[str, str]:
    schema, value = "{type: integer}", inner
    for _ in range(depth):
        schema, value = "{type: array, items: " + schema + "}", "[" + value + "]"
    return schema, value


@pytest.mark.parametrize("depth", [25, 30])
@pytest.mark.parametrize("inner, ok", [("1", True), ("x", False)])
def test_deeply_nested_items_are_checked_without_a_syntax_error(mini: Path, depth: int, inner: str, ok: bool) -> None:
    from support import edit

    schema, value = _nested(depth, inner)
    edit(
        mini / "loans" / "program.yaml",
        "  members_only:\n",
        f"  deep:\n    description: d\n    schema: {schema}\n    value: {value}\n    source: s\n  members_only:\n",
    )
    r = run_cli("validate", str(mini))
    assert "Traceback" not in r.out + r.err and (r.code == 0) == ok, r
    value_line = _line_of(mini / "loans" / "program.yaml", "  deep:\n") + 3
    assert ok or (f"program.yaml:{value_line}:" in r.out and "error[P003]" in r.out), r


def _line_of(path: Path, text: str) -> int:
    """The 1-based line where ``text`` starts in the file (so expected positions follow the file)."""
    content = path.read_text(encoding="utf-8")
    return content[: content.index(text)].count("\n") + 1


def test_generated_validators_have_no_nesting_limit() -> None:
    from engine.schema.codegen import compile_value

    schema: object = {"type": "integer"}
    value: object = 1
    for _ in range(200):
        schema, value = {"type": "array", "items": schema}, [value]
    check = compile_value(schema)
    assert check is not None and check(value) and not check([[["x"]]]) and not check([[1]])


# the patterns of the issue: refused in a parameter schema and in decision inputs (validate says
# P009 at the pattern); a hostile 40-character text never meets them (a refused schema is not used)
HOSTILE_PATTERNS = [
    "^(?=(a+)+$)",
    "^(a+){1,60}$",
    "^(aa|a){1,64}$",
    "^(?:a{0,64}){64}$",
    "(?ms)^.*X$",
    "(a|a)*$",
    "(a*)*b",
    "(\\w+\\s?)*$",
    "^(\\d+)*$",
]


@pytest.mark.parametrize("pattern", HOSTILE_PATTERNS)
def test_hostile_patterns_in_parameter_schemas_are_refused_fast(mini: Path, pattern: str) -> None:
    from support import edit

    edit(
        mini / "loans" / "program.yaml",
        "  members_only:\n",
        f"  code:\n    description: d\n    schema: {{type: string, pattern: {json.dumps(pattern)}}}\n"
        f"    value: {json.dumps('a' * 40 + '!')}\n    source: s\n  members_only:\n",
    )
    started = time.process_time()
    r = run_cli("validate", str(mini))
    assert time.process_time() - started < BOUND
    schema_line = _line_of(mini / "loans" / "program.yaml", "  code:\n") + 2
    assert r.code == 1 and f"program.yaml:{schema_line}:37: error[P009]: the pattern" in r.out, r


@pytest.mark.parametrize("pattern", HOSTILE_PATTERNS)
def test_hostile_patterns_in_decision_inputs_never_run(tmp_path: Path, pattern: str) -> None:
    repo = decision_repo(tmp_path, "x")
    bomb = repo / "loans" / "decisions" / "bomb.yaml"
    bomb.write_text(
        bomb.read_text().replace("s: {type: string}", f"s: {{type: string, pattern: {json.dumps(pattern)}}}")
    )
    started = time.process_time()
    checked = run_cli("validate", str(repo))
    answered = decide(repo, json.dumps({"x": 1, "s": "a" * 40 + "!"}))
    answered_nl = decide(repo, json.dumps({"x": 1, "s": "\n" * 40}))
    assert time.process_time() - started < BOUND
    assert checked.code == 1 and "bomb.yaml:4:" in checked.out and "error[P009]" in checked.out, checked
    for r in (answered, answered_nl):
        assert r.code == 1 and "P009" in r.out + r.err and "Traceback" not in r.out + r.err, r


PATTERNED = (
    "inputs: {x: {type: integer}, s: {type: string, pattern: '^[a-z]+$'}, "
    "l: {type: array, items: {type: string, pattern: '^[a-z]+$'}}, "
    "m: {type: object, patternProperties: {'^[a-z]+$': {type: integer}}}}"
)


@pytest.mark.parametrize(
    "simple, field, value, pointer",
    [
        (True, "s", "a" * 4097, "/s"),  # only top-level patterns: the hand-rolled checks
        (False, "s", "a" * 4097, "/s"),  # the others: jsonschema
        (False, "l", ["a", "a" * 5000], "/l/1"),
        (False, "m", {"a" * 5000: 1}, "/m/" + "a" * 5000),
    ],
    ids=["simple", "jsonschema", "list-item", "key"],
)
def test_a_text_longer_than_the_pattern_bound_is_refused(
    tmp_path: Path, simple: bool, field: str, value: object, pointer: str
) -> None:
    from engine.decisions.inputs import MAX_PATTERN_INPUT

    repo = decision_repo(tmp_path, "x")
    bomb = repo / "loans" / "decisions" / "bomb.yaml"
    inputs = "inputs: {x: {type: integer}, s: {type: string, pattern: '^[a-z]+$'}}" if simple else PATTERNED
    bomb.write_text(bomb.read_text().replace("inputs: {x: {type: integer}, s: {type: string}}", inputs))
    assert run_cli("validate", str(repo)).code == 0
    assert (
        decide(repo, json.dumps({"x": 1, field: value if field != "s" else "a" * MAX_PATTERN_INPUT})).code == 0
        or field != "s"
    )
    r = decide(repo, json.dumps({"x": 1, field: value}))
    body = json.loads(r.out)
    assert r.code == 1 and [p["code"] for p in body["problems"]] == ["D004"], body
    assert (
        body["problems"][0]["message"].startswith(f"{pointer}: a text of ")
        and f"longer than the {MAX_PATTERN_INPUT:,} characters an input checked against a `pattern` may have"
        in body["problems"][0]["message"]
    ), body


@pytest.mark.parametrize("simple", [True, False])
def test_many_unknown_inputs_are_counted_not_listed(tmp_path: Path, simple: bool) -> None:
    from engine.decisions.inputs import MAX_UNKNOWN_REPORTED

    repo = decision_repo(tmp_path, "x")
    if not simple:
        bomb = repo / "loans" / "decisions" / "bomb.yaml"
        bomb.write_text(bomb.read_text().replace("s: {type: string}", "s: {type: array, items: {type: string}}"))
    many = {"x": 1, **{f"k{i}": 1 for i in range(200_000)}}
    started = time.process_time()
    r = decide(repo, json.dumps(many))
    assert time.process_time() - started < BOUND
    messages = [p["message"] for p in json.loads(r.out)["problems"]]
    assert r.code == 1 and len(messages) == MAX_UNKNOWN_REPORTED + 1, messages[:3]
    assert messages[0] == "/k0: not an input of this decision (inputs: x, s)"
    assert (
        messages[-1] == f"/: {200_000 - MAX_UNKNOWN_REPORTED:,} more inputs this decision does not have (inputs: x, s)"
    )


# -- numbers, nesting and filter arguments: a problem at the place, never a traceback ---------------


@pytest.mark.parametrize(
    "literal, col",
    [
        ("9" * 5000, 12),
        ("0x" + "F" * 3900, 12),
        ("0o" + "7" * 5000, 12),
        ("!!int 0x" + "F" * 3900, 12),
        ("[0x" + "f" * 3600 + "]", 13),
    ],
    ids=["decimal", "hex", "octal", "tagged", "in-a-list"],
)
def test_huge_yaml_numbers_are_y019(mini: Path, literal: str, col: int) -> None:
    from support import edit

    edit(mini / "loans" / "program.yaml", "    value: 21", "    value: " + literal)
    for args in (
        ("validate", str(mini)),
        ("show", "loans", "-m", "nl", "--root", str(mini)),
        ("test", "--root", str(mini)),
        ("build", "--root", str(mini), "--out", str(mini.parent / "out")),
    ):
        r = run_cli(*args)
        assert (
            r.code == 1 and f"program.yaml:10:{col}: error[Y019]: a number with more than 4,300 digits" in r.out + r.err
        ), (args, r)
        assert "Traceback" not in r.out + r.err and "set_int_max_str_digits" not in r.out + r.err


@pytest.mark.parametrize("literal", ["0x1F", "0o17", "0x" + "F" * 3500], ids=["hex", "octal", "3500-hex-digits"])
def test_hexadecimal_numbers_work_everywhere(mini: Path, literal: str) -> None:
    from support import edit

    edit(mini / "loans" / "program.yaml", "    value: 21", "    value: " + literal)
    edit(mini / "loans" / "decisions" / "late_fee.yaml", 'when: "days_late == 0"', 'when: "days_late == 0x0"')
    edit(
        mini / "loans" / "tests" / "late_fee.yaml",
        "input: {days_late: 7, member: true}",
        "input: {days_late: 0x7, member: true}",
    )
    assert run_cli("validate", str(mini)).code == 0
    shown = run_cli("show", "loans", "-m", "nl", "--root", str(mini), "--at", "2023-05-01")
    assert shown.code == 0 and f"loan_days: {int(literal[2:], 16 if literal[1] == 'x' else 8)}" in shown.out, shown
    assert run_cli("test", "--root", str(mini)).code == 0
    r = run_cli("decide", "loans.late_fee", "-m", "nl", "--root", str(mini), "--input", "-", stdin='{"days_late": 0}')
    assert r.code == 0 and json.loads(r.out)["outputs"]["status"] == "on_time", r


@pytest.mark.parametrize(
    "snippet, message",
    [
        ("{{ 0x" + "F" * 5000 + " }}", "a number with more than 4,096 bits"),
        ("{{ 0b" + "1" * 20000 + " }}", "a number with more than 4,096 bits"),
        ("{{ 1" + "0" * 5000 + " }}", "a number with more than 4,300 digits"),
    ],
    ids=["hex", "binary", "decimal"],
)
def test_huge_template_numbers_are_g001(site: Path, tmp_path: Path, snippet: str, message: str) -> None:
    inject(site, snippet)
    checked = run_cli("validate", str(site))
    built = run_cli("build", "--root", str(site), "--out", str(tmp_path / "out"), "--at", "2024-03-01")
    assert checked.code == 1 and f"{site / TEMPLATE}:" in checked.out and message in checked.out, checked
    assert built.code == 1 and f"{site / TEMPLATE}:" in built.err and "error[G001]" in built.err, built
    for r in (checked, built):
        assert "Traceback" not in r.out + r.err and "set_int_max_str_digits" not in r.out + r.err


@pytest.mark.parametrize(
    "snippet, message",
    [
        ("{{ p.trial_days|duration('no-such-unit') }}", "is not a duration unit"),
        ("{{ 'No/Such'|time_zone }}", "time_zone:"),
        ("{{ 'zz-no-such'|language }}", "is not a locale CLDR knows"),
        ("{{ 1.5|round(2, 'no-such-method') }}", "method must be"),
        ("{{ 1e300|percent }}", "percent: the number is too large to format"),
        ("{{ 1e308|money }}", "money: the number is too large to format"),
        ("{{ '2024-01-01'|date('no-such-form') }}", "date: this value cannot be shown in this form"),
    ],
)  # `'x'.encode('no-such-codec')` and `ngettext(..., 1e999)`: TEMPLATE_BOMBS above
def test_bad_filter_arguments_are_g001(site: Path, tmp_path: Path, snippet: str, message: str) -> None:
    line = inject(site, snippet)
    started = time.process_time()
    built = run_cli("build", "--root", str(site), "--out", str(tmp_path / "out"), "--at", "2024-03-01")
    assert time.process_time() - started < BOUND
    assert built.code == 1 and f"{site / TEMPLATE}:{line}:1: error[G001]" in built.err and message in built.err, built
    assert "Traceback" not in built.out + built.err and "<class" not in built.err


@pytest.mark.parametrize(
    "payload",
    [
        "(" * 20000 + ")" * 20000,
        "[" * 20000 + "]" * 20000,
        "*" * 20000 + "x" + "*" * 20000,
        "<" * 20000,
        "> " * 20000,
        "`" * 20000,
    ],
    ids=["parentheses", "brackets", "emphasis", "angles", "quotes", "backticks"],
)
def test_deeply_nested_markup_in_a_translation_is_fast(site: Path, tmp_path: Path, payload: str) -> None:
    po = site / "demo" / "locales" / "it.po"
    po.write_text(
        po.read_text(encoding="utf-8").replace('msgstr "Aiuto demo"', f'msgstr "Aiuto demo {payload}"'),
        encoding="utf-8",
    )
    started = time.process_time()
    checked = run_cli("i18n", "check", "--root", str(site))
    built = run_cli("build", "--root", str(site), "--out", str(tmp_path / "out"), "--at", "2024-03-01")
    assert time.process_time() - started < BOUND
    assert "Traceback" not in checked.out + checked.err + built.out + built.err


@pytest.mark.parametrize(
    "value", ["[" * 20000 + "]" * 20000, "{a: " * 20000 + "1" + "}" * 20000], ids=["lists", "mappings"]
)
def test_deeply_nested_yaml_flow_values_are_y015(mini: Path, value: str) -> None:
    from support import edit

    edit(mini / "loans" / "program.yaml", "    value: 21", "    value: " + value)
    started = time.process_time()
    r = run_cli("validate", str(mini))
    assert time.process_time() - started < BOUND
    assert r.code == 1 and "program.yaml:10:" in r.out and "error[Y015]" in r.out, r


# -- translations: the links a msgstr may carry are its English's -----------------------------------


def _translate(site: Path, english: str, translation: str) -> int:
    catalog = site / "demo" / "locales" / "it.po"
    lines = catalog.read_text(encoding="utf-8").split("\n")
    at = lines.index(f'msgid "{english}"') + 1
    escaped = translation.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    lines[at] = f'msgstr "{escaped}"'
    catalog.write_text("\n".join(lines), encoding="utf-8")
    return at + 1  # (the msgstr's line, where a refusal of the translation points)


@pytest.mark.parametrize(
    "translation, why, markup",
    [
        ("Chiedi a %(name)s.\n[x]: https://evil.example/", "defines the link `[x]:`", "[x]:"),
        ("Chiedi a %(name)s. [Aiuto]: https://evil.example/", "defines the link `[aiuto]:`", "[Aiuto]:"),
        ("Chiedi a [%(name)s][x].", "refers to the link `[x]`", "[x]"),
        ("Chiedi a [%(name)s][].", "refers to the link `[]`", "[]"),
        ("Chiedi a %(name)s. ![i][x]", "refers to the link `[x]`", "[x]"),
        ("Chiedi a %(name)s. ![i]", "shows an image", "!["),
        ("Chiedi a ![%(name)s](https://tracker.example/p.gif)", "shows an image", "!["),
        ("Chiedi a [%(name)s](https://evil.example/)", "links to `https://evil.example/`", "https://evil.example/"),
        ("Chiedi a %(name)s <b>", "has HTML or an autolink (`<b>`)", "<b>"),
        ("Chiedi a %(name)s <!-- x -->", "has HTML or an autolink", "<!--"),
        ("Chiedi a %(name)s <https://evil.example/>", "has HTML or an autolink", "<https://"),
    ],
)
def test_a_translation_cannot_add_links_images_or_html(
    site: Path, tmp_path: Path, translation: str, why: str, markup: str
) -> None:
    line = _translate(site, "Questions? Ask %(name)s.", translation)
    catalog = site / "demo" / "locales" / "it.po"
    column = catalog.read_text(encoding="utf-8").split("\n")[line - 1].index(markup) + 1  # (at the markup it names)
    built = run_cli("build", "--root", str(site), "--out", str(tmp_path / "out"), "--at", "2024-03-01")
    assert built.code == 1 and f"{catalog}:{line}:{column}: error[G002]" in built.err and why in built.err, built
    checked = run_cli("i18n", "check", "--root", str(site))
    assert checked.code == 1 and f"{catalog}:{line}:{column}: error[G002]" in checked.out and why in checked.out, (
        checked
    )
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "english, translation, ok",
    [
        ("See [the rules](https://example.com/r).", "Vedi [le regole](https://example.com/r).", True),
        ("See [the rules](https://example.com/r).", "Vedi [le regole](https://evil.example/r).", False),
        (
            "See [the rules][r].\n\n[r]: https://example.com/r",
            "Vedi [le regole][R].\n\n[R]: https://example.com/r",
            True,
        ),
        (
            "See [the rules][r].\n\n[r]: https://example.com/r",
            "Vedi [le regole][r].\n\n[r]: https://evil.example/",
            False,
        ),
        ("Press <kbd>Enter</kbd>.", "Premi <kbd>Invio</kbd>.", True),
        ("Press <kbd>Enter</kbd>.", "Premi <kbd onclick=x()>Invio</kbd>.", False),
        ("Press <kbd>Enter</kbd>.", "Premi <script>Invio</script>.", False),
        ("Costs [sic] 5.", "Costa [sic] 5.", True),  # brackets as text are text
        ("A list: a, b.", "Una lista: [a], [b].", True),
        # a page of the site's: the translation may name its own language's heading (G011 checks it)
        ("See [fees](fees.md#refunds).", "Vedi [tariffe](fees.md#rimborsi).", True),
        ("See [fees](fees.md#refunds).", "Vedi [tariffe](fees.md).", True),
        ("See [fees](fees.md).", "Vedi [tariffe](fees.md#rimborsi).", True),
        ("See [below](#refunds).", "Vedi [sotto](#rimborsi).", True),
        ("See [fees](fees.md#refunds).", "Vedi [tariffe](other.md#refunds).", False),  # (another page)
        ("See [fees](fees.md#refunds).", "Vedi [tariffe](#refunds).", False),  # (this page, not fees.md)
        ("See [the rules](https://example.com/r#a).", "Vedi [le regole](https://example.com/r#b).", False),
        ("See [fees](/fees.md#a).", "Vedi [tariffe](/fees.md#b).", False),  # (absolute: not the site's to check)
    ],
)
def test_allowed_links_are_the_englishs(english: str, translation: str, ok: bool) -> None:
    from engine.i18n.catalogs import markup_problem

    assert (markup_problem([english], translation) is None) == ok


# -- the `email` filter ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "a@b.example\n\n<script>alert(1)</script>",
        "a@b.example)\n[x](javascript:alert(1)",
        "a\t@b.example",
        "a@b.example\u2028x",
        "a@b.example\x00",
        "a@b.example\u200b",
        "a@b.example?cc=everyone@c.example",
        "a@b.example\r\n# heading",
        "a@@b.example",
        "@b.example",
        "a@",
        "a b@c.example",
        "a@b.example\x1b[2J",
    ],
    ids=[
        "newline",
        "paren",
        "tab",
        "line-separator",
        "nul",
        "zero-width",
        "query",
        "crlf",
        "two-at",
        "no-local",
        "no-domain",
        "space",
        "escape",
    ],
)
def test_email_refuses_whitespace_and_control_characters(site: Path, tmp_path: Path, address: str) -> None:
    line = inject(site, "{{ contact|email }}")
    template = site / TEMPLATE
    template.write_text(
        template.read_text(encoding="utf-8").replace(
            "{% block body %}", "{% block body %}{% set contact = " + json.dumps(address) + " %}"
        ),
        encoding="utf-8",
    )
    built = run_cli("build", "--root", str(site), "--out", str(tmp_path / "out"), "--at", "2024-03-01")
    assert (
        built.code == 1 and f"{template}:{line}:1: error[G001]" in built.err and "is not an email address" in built.err
    ), built
    assert "\n<script>" not in built.err and "Traceback" not in built.err


@pytest.mark.parametrize(
    "address, target",
    [
        ("csba-de2de@amazon.de", "mailto:csba-de2de@amazon.de"),
        ("o'brien+x@b.example", "mailto:o'brien+x@b.example"),
        ("a%0Ab@b.example", "mailto:a%250Ab@b.example"),
        ("a#b@b.example", "mailto:a%23b@b.example"),
        ("jürgen@b.example", "mailto:j%C3%BCrgen@b.example"),
    ],
)
def test_email_links_are_percent_encoded(address: str, target: str) -> None:
    from engine.site.render import Renderer

    class Bare:  # `email` needs nothing of a renderer but `_fact`
        _fact = Renderer._fact

    shown = Renderer.email(Bare(), address)  # type: ignore[arg-type]  # a stand-in renderer
    assert str(shown).endswith(f"]({target})"), shown


@pytest.mark.parametrize(
    ("target", "key", "shown"),
    [
        ("https://example.com/help?a=1&b=2", None, "[Returns](<https://example.com/help?a=1&b=2>)"),
        ({"returns": "https://example.com/r"}, None, "[Returns](<https://example.com/r>)"),  # by the label's id
        ({"other": "https://example.com/o"}, "other", "[Returns](<https://example.com/o>)"),
        ({"other": "https://example.com/o"}, None, "Returns"),  # no address for the id: the text
        (None, None, "Returns"),  # (a marketplace whose sources give no addresses)
    ],
)
def test_link_makes_page_text_a_link_to_an_address_from_the_data(target: object, key: str | None, shown: str) -> None:
    from engine.site.markup import Shown
    from engine.site.render import Renderer

    label = Shown.of("Returns", "returns_page", "returns")
    linked = Renderer.link(None, label, target, key)  # type: ignore[arg-type]  # it needs nothing of a renderer
    assert (str(linked), linked.fact, linked.value) == (shown, "returns_page", "returns")


@pytest.mark.parametrize(
    "target",
    [
        "javascript:alert(1)",
        "//example.com/x",
        "/gp/help/G1",
        "https://example.com/a b",
        "https://e.com/>x",
        "https://e.com/\\x",
        "https://e.com/\nx",
    ],
)
def test_link_refuses_what_is_not_a_web_address(target: str) -> None:
    from jinja2.exceptions import TemplateRuntimeError

    from engine.site.markup import Shown
    from engine.site.render import Renderer

    with pytest.raises(TemplateRuntimeError) as caught:  # (the build reports it as G001 at the template's line)
        Renderer.link(None, Shown.of("Returns"), target)  # type: ignore[arg-type]  # it needs nothing of a renderer
    shown = target.replace("\n", "\\u000a")
    assert str(caught.value) == f"`{shown}` is not a web address (`link` takes `https://...` or `http://...`)"


def test_a_linked_label_is_a_link_on_both_pages(init_repo: Path) -> None:
    """A help page names a page elsewhere; the data gives its address (`link`), so a reader can follow it."""
    program = init_repo / "policies/returns/program.yaml"
    text = program.read_text(encoding="utf-8")
    program.write_text(
        text
        + "  help_page_urls:\n"
        + "    description: Where the pages this page names are.\n"
        + '    schema: {type: [object, "null"], additionalProperties: {type: string, format: uri}}\n'
        + '    value: {shipping: "https://example.com/returns?from=help&x=1"}\n'
        + "    source: a test\n",
        encoding="utf-8",
    )
    page = init_repo / "policies/returns/pages/help.md.j2"
    text = page.read_text(encoding="utf-8")
    old = "{% trans %}You pay for the return shipping.{% endtrans %}"
    assert old in text
    page.write_text(
        text.replace(old, '{{ _("You pay for the return shipping.")|link(p.help_page_urls, "shipping") }}'),
        encoding="utf-8",
    )
    out = init_repo / "out"
    assert run_cli("build", "--out", str(out), "--at", "2025-03-01", cwd=init_repo).code == 0
    markdown = (out / "returns/us/en/help.md").read_text(encoding="utf-8")
    assert "\n[You pay for the return shipping.](<https://example.com/returns?from=help&x=1>)\n" in markdown
    html = (out / "returns/us/en/help.html").read_text(encoding="utf-8")
    assert '<p><a href="https://example.com/returns?from=help&amp;x=1">You pay for the return shipping.</a></p>' in html


# -- the layout, checked like every template --------------------------------------------------------


@pytest.mark.parametrize(
    "markup, col, found",
    [
        ("<script>alert(1)</script>", 7, "`<script>`"),
        ('<p onclick="x()">', 7, "event handler `onclick`"),
        ('<a href=" JavaScript:alert(1)">x</a>', 7, "`javascript:` URL"),
        ('<img src="data:image/svg+xml,<svg onload=alert(1)>">', 7, "`data:` URL"),
        ('{{ title }}<a href="{{ x }}"></a><iframe src="/x"></iframe>', 40, "`<iframe>`"),
        ("<style>body { background: url(https://x.example/) }</style>", 14, "loads a resource"),  # the sheet
        ("<p>a</p><!--><script>alert(1)</script><!-- -->", 15, "a comment, CDATA section"),
    ],
)
def test_validate_reports_active_content_in_the_layout_at_its_place(
    site: Path, markup: str, col: int, found: str
) -> None:
    layout = site / "_site" / "page.html.j2"
    layout.write_text(layout.read_text(encoding="utf-8").replace("<main>", "<main>" + markup), encoding="utf-8")
    r = run_cli("validate", str(site))
    assert r.code == 1 and f"{layout}:5:{col}: error[G001]: the page would carry active content" in r.out, r
    assert found in r.out, r


@pytest.mark.parametrize(
    "head",
    [
        '<head><title><meta charset="utf-8"></title></head>',  # a browser reads a title as text
        '<head><meta name="x" content=\'<meta charset="utf-8">\'><title>t</title></head>',
        "<head><style>p::after { content: '<meta charset=\"utf-8\">' }</style><title>t</title></head>",
        "<head><title>t</title></head>",
    ],
)
def test_the_policy_comes_before_anything_but_the_opening_tags(site: Path, tmp_path: Path, head: str) -> None:
    """A `<meta charset>` further on (in a title, an attribute, a style sheet) put the policy where a
    browser reads it as text: the page had none. It goes right after the opening tags, whatever follows."""
    layout = site / "_site" / "page.html.j2"
    text = layout.read_text(encoding="utf-8")
    layout.write_text(re.sub(r"<head>.*</head>", lambda _: head, text), encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("build", "--root", str(site), "--out", str(out), "--at", "2024-03-01").code == 0
    page = (out / "demo/us/en/help.html").read_text(encoding="utf-8")
    opening = '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta http-equiv="Content-Security-Policy"'
    assert page.startswith(opening), page


def test_jinja_comments_in_the_layout_are_not_content(site: Path) -> None:
    layout = site / "_site" / "page.html.j2"
    layout.write_text(layout.read_text(encoding="utf-8").replace("<main>", "<main>{# <script> #}"), encoding="utf-8")
    assert run_cli("validate", str(site)).code == 0


# -- build --check and links in the output tree -----------------------------------------------------


@pytest.fixture
def built_site(site: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    assert run_cli("build", "--root", str(site), "--out", str(out), "--at", "2024-03-01").code == 0
    return out


def _check(site: Path, out: Path) -> CliRun:
    return run_cli("build", "--root", str(site), "--out", str(out), "--at", "2024-03-01", "--check")


def test_check_never_reads_through_a_link_in_the_output(site: Path, built_site: Path, tmp_path: Path) -> None:
    import os

    page = built_site / "demo/us/en/help.md"
    secret = tmp_path / "secret"
    secret.write_bytes(page.read_bytes()[:40] + b"SECRET")  # shares a prefix with the page: an oracle would say 1:41
    page.unlink()
    os.symlink(secret, page)
    r = _check(site, built_site)
    assert r.code == 1 and f"{page}:1:1: error[G005]: is a symbolic link, not the file the sources produce" in r.err, r
    assert ":1:41:" not in r.err
    built = run_cli("build", "--root", str(site), "--out", str(built_site), "--at", "2024-03-01")
    # the path is policyctl's (in its record): the link is replaced by the page, its target untouched
    assert built.code == 0 and secret.read_bytes().endswith(b"SECRET") and not page.is_symlink(), built


@pytest.mark.parametrize(
    "name, content",
    [
        ("index.json", '{"pages": [1]}'),
        ("index.json", '{"pages": [{"next_change": "2000-01-01", "marketplace": "us"}]}'),
        ("index.json", '{"pages": 5}'),
        ("index.json", "[" * 200_000 + "]" * 200_000),
        (".policyctl-build.json", "[" * 200_000 + "]" * 200_000),
        ("index.json", "/dev/zero"),
    ],
    ids=["not entries", "entry without program", "pages a number", "deep", "deep record", "link"],
)
def test_what_check_reads_back_from_the_output_cannot_crash_it(
    site: Path, built_site: Path, name: str, content: str
) -> None:
    """`build --check` of a stale tree reads its index.json (for the dates that have arrived since),
    and every build its record: both arrive with the pull request. A page entry that was not a
    mapping or had no program, 200,000 `[` (Python's JSON reader recurses), were tracebacks; a link
    to /dev/zero was read for ever (it is never followed now)."""
    import os

    target = built_site / name
    target.unlink()
    if content == "/dev/zero":
        os.symlink(content, target)
    else:
        target.write_text(content)
    (built_site / "demo/us/en/help.md").write_text("stale\n")
    args = ["build", "--root", str(site), "--out", str(built_site), "--at", "2024-03-01", "--check"]
    if content != "/dev/zero" and len(content) < 1_000:
        # a value of the wrong shape: at worst a traceback, which the in-process runner raises (a
        # process of its own, ~0.4 CPU-s each, is for what could read or recurse without end)
        run = run_cli(*args)
        assert run.code == 1, run
        return
    code = (
        "import resource\nresource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "from click.testing import CliRunner\nfrom engine.cli import main\n"
        f"r = CliRunner().invoke(main, {args!r})\nprint(r.exit_code, r.exception is None or type(r.exception).__name__)"
    )
    assert finishes(code, 30) in ("1 True\n", "1 SystemExit\n")


def test_check_names_the_column_only_in_bytes_a_build_wrote(site: Path, built_site: Path) -> None:
    from support import edit

    page = built_site / "demo/us/en/help.md"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("Seller Support", "Seller Xupport"), encoding="utf-8")  # by hand
    r = _check(site, built_site)
    assert r.code == 1 and f"{page}:1:1: error[G005]: stale: differs" in r.err, r
    page.write_text(text, encoding="utf-8")
    edit(site / "demo" / "program.yaml", "value: Seller Support", "value: Seller Xupport")  # the sources change
    r = _check(site, built_site)
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "Seller Support" in t)
    col = text.splitlines()[line - 1].index("Seller Support") + len("Seller ") + 1
    assert r.code == 1 and f"{page}:{line}:{col}: error[G005]: stale: differs" in r.err, r


# -- what the page cache and the checks see: linked folders, hidden templates ----------------------


@pytest.mark.parametrize("linked", ["demo/pages/shared", "_site/parts", "demo/locales/more", "demo/more"])
def test_a_linked_folder_inside_is_refused(site: Path, tmp_path: Path, linked: str) -> None:
    import os

    real = site / "demo" / "real"
    real.mkdir()
    (real / "part.md.j2").write_text("part\n", encoding="utf-8")
    os.symlink(real, site / linked)
    checked = run_cli("validate", str(site))
    assert checked.code == 1 and f"{site / linked}:1:1: error[L005]: a symbolic link to a folder" in checked.out, (
        checked
    )
    built = run_cli("build", "--root", str(site), "--out", str(tmp_path / "out"), "--at", "2024-03-01")
    assert built.code == 1 and "L005" in built.err and not (tmp_path / "out").exists(), built


@pytest.mark.parametrize("name", [".x/evil.md.j2", ".evil.md.j2", "_site/.x/evil.md.j2"])
def test_a_hidden_template_cannot_be_included(site: Path, tmp_path: Path, name: str) -> None:
    folder = (site / name).parent if name.startswith("_site") else (site / "demo" / "pages" / name).parent
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name.rsplit("/", 1)[-1]).write_text("{{ ''.__class__ }}\n", encoding="utf-8")
    line = inject(site, "{% include " + json.dumps(name) + " %}")
    checked = run_cli("validate", str(site))
    assert (
        checked.code == 1
        and f"{site / TEMPLATE}:{line}:1: error[G001]: the sandbox refuses the hidden template" in checked.out
    ), checked
    built = run_cli("build", "--root", str(site), "--out", str(tmp_path / "out"), "--at", "2024-03-01")
    # refused while rendering (or earlier: `pages/.evil.md.j2` is also a page whose name is no id, L006)
    assert built.code == 1 and ("is hidden" in built.err or "L006" in built.err) and "Traceback" not in built.err, built
    assert not (tmp_path / "out").exists()


# -- budgets: what one render and one answer may produce --------------------------------------------


# 10,000,000 characters, twice the limit, from 50,000 outputs of 200 each: every `{{ }}` is far under
# its own bound (MAX_TEXT), only their sum is over. (Outputs of 100,000 characters, as these were,
# prove the same, but escaping each for Markdown took most of the tests' time.)
@pytest.mark.parametrize(
    "snippet",
    [
        "{% set s = 'x' * 200 %}{% for i in range(50000) %}{{ s }}{% endfor %}",
        "{% set s = 'x' * 200 %}{% macro m() %}{% for i in range(50000) %}{{ s }}{% endfor %}{% endmacro %}{{ m()|length }}",
        "{% set s = 'x' * 200 %}{% set big %}{% for i in range(50000) %}{{ s }}{% endfor %}{% endset %}{{ big|length }}",
    ],
    ids=["page", "macro", "set-block"],
)
def test_a_render_is_bounded_in_size(site: Path, tmp_path: Path, snippet: str) -> None:
    from engine.templates.guard import MAX_OUTPUT

    inject(site, snippet)
    started = time.process_time()
    built = run_cli("build", "--root", str(site), "--out", str(tmp_path / "out"), "--at", "2024-03-01")
    assert time.process_time() - started < BOUND
    assert (
        built.code == 1
        and f"{site / TEMPLATE}:" in built.err
        and f"the output is over the limit of {MAX_OUTPUT:,} characters" in built.err
    ), built
    assert not (tmp_path / "out").exists()


def test_an_answer_is_bounded_in_size(tmp_path: Path) -> None:
    from engine.decisions.batch import MAX_ANSWER

    repo = decision_repo(tmp_path, "s * 100000")
    bomb = repo / "loans" / "decisions" / "bomb.yaml"
    outputs = ", ".join(f"o{i}: '= s * 100000'" for i in range(60))
    bomb.write_text(bomb.read_text().replace('then: {out: "= s * 100000"}', "then: {" + outputs + "}"))
    assert run_cli("validate", str(repo)).code == 0
    single = decide(repo, json.dumps({"x": 1, "s": "x"}))
    body = json.loads(single.out)
    assert single.code == 1 and body["problems"][0]["code"] == "D005", body
    assert f"over the limit of {MAX_ANSWER:,}" in body["problems"][0]["message"]
    batch = decide(repo, '{"x": 1, "s": ""}\n{"x": 1, "s": "x"}\n')
    lines = [json.loads(line) for line in batch.out.splitlines()]
    assert batch.code == 1 and "outputs" in lines[0] and lines[1]["problems"][0]["code"] == "D005", lines
    # the service refuses it alike: 422 with the problem, and a batch's line with its problem
    pytest.importorskip("uvicorn")
    from engine.bundle.make import make
    from engine.service.app import App, Limits
    from engine.service.logs import Log
    from engine.service.state import Source

    bundle = tmp_path / "policies.bundle"
    bundle.write_bytes(make(engine.load(str(repo))))
    source = Source(str(bundle), None)
    source.load()
    app = App(source, Limits(), Log(io.StringIO()), poll=0)
    request = {"input": {"x": 1, "s": "x"}, "marketplace": "no", "at": "2024-05-01"}
    status, _, data = call(app, "POST", "/v1/decide/loans/bomb", json.dumps(request).encode())
    answer = json.loads(data)
    assert status == 422 and [p["code"] for p in answer["problems"]] == ["D005"], answer
    assert f"over the limit of {MAX_ANSWER:,}" in answer["problems"][0]["message"] and len(data) < 10_000
    status, _, data = call(
        app, "POST", "/v1/batch/loans/bomb", b'{"x": 1, "s": ""}\n{"x": 1, "s": "x"}\n', "marketplace=no&at=2024-05-01"
    )
    lines = [json.loads(line) for line in data.splitlines()]
    assert status == 200 and "outputs" in lines[0] and lines[1]["problems"][0]["code"] == "D005", lines
    assert len(data) < 10_000


@pytest.mark.parametrize(
    "code",
    [
        # a template line with a long word, where a look-up failed (the name it was looked up on)
        "from engine.templates.sandbox import undefined_message; "
        "print(undefined_message(\"'dict object' has no attribute 'x'\", 'a' * 200_000 + ' y'))",
        # a message naming a long word as Jinja names a type
        "from engine.templates.sandbox import undefined_message; print(undefined_message('a' * 200_000 + '!', ''))",
        # a change in "What changed" with a long run of no-break spaces, read back for its feed
        "from engine.site.feeds import changes_in; "
        "print(changes_in('<ul><li><span data-fact=\"changes.f.2025-01-01.date\">1</span>: up' "
        "+ '\\u00a0' * 200_000 + 'x</li></ul>', set()) != {})",
    ],
    ids=["owner of a look-up", "type name", "feed item"],
)
def test_text_a_template_writes_is_read_in_one_pass(code: str) -> None:
    """Patterns tried at each letter or space of a long run cost its length squared: a template
    (which a pull request writes) could make a build or its error message take minutes."""
    assert finishes(code) is not None
