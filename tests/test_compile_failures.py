"""A template that fails to compile fails once per process (engine.templates.codecache.Failure):
every page that renders it, in this build and the next, gets the same error without compiling it
again, and reports exactly what compiling again would report; a corrected text compiles.

Before, each page compiled it again, twice (engine.site.page.render_both): 24 compiles in a build
of policies/, ~2.2 against ~1.0 CPU-s, paid by `serve` on every save while the mistake stayed."""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader, TemplateSyntaxError

from engine.cache import memo
from engine.commands.build import build
from engine.templates import codecache
from engine.templates.codecache import SharedCode
from engine.templates.guard import TemplateTimeout
from engine.templates.sandbox import environment, template_error
from support import edit

PAGE = "policies/returns/pages/help.md.j2"
ANCHOR = "{% block body %}\n"  # the page's body: what is added goes on the line after it

# (what the page's body gets, what the problem says): each fails while Jinja compiles the page, not
# before (the checks and the messages' extraction parse it without complaint) nor while it renders
FAILURES = {
    "unknown filter": ("{{ p.return_window_days|durationn('day') }}", "No filter named 'durationn'."),
    "unknown test": ("{{ p.return_window_days is numbr }}", "No test named 'numbr'."),
    "block defined twice": ("{% block title %}x{% endblock %}", "block 'title' defined twice"),
    "a filter the sandbox removed": ("{{ 'x'|safe }}", "No filter named 'safe'."),
}


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """How many times each template file was compiled (Jinja's compile, whatever calls it)."""
    counted: Counter[str] = Counter()
    original = Environment.compile

    def compile(self: Environment, source: Any, name: Any = None, filename: Any = None, *a: Any, **kw: Any) -> Any:
        counted[filename or ""] += 1
        return original(self, source, name, filename, *a, **kw)

    monkeypatch.setattr(Environment, "compile", compile)
    yield counted


def _build(policies: Path, out: Path) -> tuple[list[str], list[dict[str, Any]], int]:
    """The build's problems as `text` shows them (`file:line:col: error[CODE]: message`, then the
    hint) and as JSON, and the pages built."""
    result = build(str(policies), str(out), check=True)
    return [f"{p}\n  hint: {p.hint}" for p in result.problems], [p.to_json() for p in result.problems], result.pages


@pytest.mark.parametrize("kind", FAILURES)
def test_a_template_failing_to_compile_is_compiled_once_and_reports_what_it_did(
    kind: str, init_repo: Path, compiles: Counter[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYCTL_CACHE", "off")  # every page rendered, none kept from a build before
    line, said = FAILURES[kind]
    page = init_repo / PAGE
    original = page.read_text(encoding="utf-8")
    edit(page, ANCHOR, ANCHOR + line + "\n")
    where = original.split("\n").index(ANCHOR.strip()) + 2
    policies, out = init_repo / "policies", init_repo / "generated_docs"

    # what each page compiling it again reports (the build before failures were kept)
    memo.clear_all()
    with monkeypatch.context() as m:
        m.setattr(codecache.Failure, "of", classmethod(lambda cls, e, name, filename: None))
        before = _build(policies, out)
    assert compiles[str(page)] >= 6, compiles  # (3 pages, twice each: what the test is about)
    expected = f"{page}:{where}:1: error[G001]: template syntax error: {said} (on the page for marketplace `de`"
    assert len(before[0]) == 1 and before[0][0].startswith(expected), before

    memo.clear_all()  # a new process
    compiles.clear()
    assert _build(policies, out) == before
    assert compiles[str(page)] == 1, compiles
    compiles.clear()
    assert _build(policies, out) == before  # the next build (`serve` after a save elsewhere)
    assert compiles[str(page)] == 0, compiles

    page.write_text(original, encoding="utf-8")  # corrected: compiled, no failure kept for it
    compiles.clear()
    problems, _, pages = _build(policies, out)
    assert (problems, pages, compiles[str(page)]) == ([], 6, 1)


def _env(folder: Path, cache: SharedCode) -> Any:
    env: Any = environment(FileSystemLoader(str(folder)), finalize=str)
    env.bytecode_cache = cache
    return env


def _write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "p.md.j2").write_text(text, encoding="utf-8")
    return folder / "p.md.j2"


def _failure(env: Any) -> tuple[Any, ...]:
    """What a template's failure says: everything the pages and a traceback read of it."""
    with pytest.raises(TemplateSyntaxError) as failed:
        env.get_template("p.md.j2")
    e = failed.value
    last = traceback.extract_tb(e.__traceback__)[-1]
    return (
        type(e),
        e.message,
        e.lineno,
        e.name,
        e.filename,
        str(e),
        last.filename,
        last.lineno,
        template_error(e, "-"),
    )


@pytest.mark.parametrize(
    "text",
    [
        "a\n{{ x|durationn }}\n",  # an unknown filter
        "a\n{{ x is numbr }}\n",  # an unknown test
        "a\n{% block b %}{% endblock %}{% block b %}{% endblock %}\n",  # a block defined twice
        "a\n{% if x %}\nb\n",  # a syntax error (the parser's)
        "a\n{{ '\\x' }}\n",  # a string Python cannot read (a syntax error caused by a UnicodeDecodeError)
        "a\n{{ x|attr('y') }}\n",  # a filter the sandbox removed
    ],
)
def test_a_failure_raised_again_is_the_one_compiling_gives_at_the_copys_file(tmp_path: Path, text: str) -> None:
    cache = SharedCode()
    a, b = _write(tmp_path / "a", text), _write(tmp_path / "b", text)
    fresh_a, fresh_b = _failure(_env(a.parent, SharedCode())), _failure(_env(b.parent, SharedCode()))
    assert fresh_a[4] == str(a) and fresh_b[4] == str(b)
    env_a, env_b = _env(a.parent, cache), _env(b.parent, cache)
    assert _failure(env_a) == fresh_a
    assert len(cache.failed) == 1
    compiled: list[str] = []
    for env in (env_a, env_b):
        env.compile = lambda *args, **kw: compiled.append("again")
    assert (_failure(env_a), _failure(env_b), compiled) == (fresh_a, fresh_b, [])


def _caused_by_alarm(file: Path) -> TemplateSyntaxError:
    """A syntax error the lexer raises for a string it failed to read, when what failed was the
    deadline's alarm going off inside the reading (the lexer turns any exception there into one)."""
    e = TemplateSyntaxError("ran longer than 10 s", 1, "p.md.j2", str(file))
    e.__cause__ = TemplateTimeout("the template ran longer than 10 s")
    return e


@pytest.mark.parametrize(
    "failing",
    [
        lambda file: TemplateTimeout("the template ran longer than 10 s"),  # a deadline met while compiling
        lambda file: RecursionError("maximum recursion depth exceeded"),  # as deep as the stack was then
        _caused_by_alarm,
    ],
)
def test_a_failure_that_depends_on_more_than_the_text_is_not_kept(
    tmp_path: Path, failing: Callable[[Path], BaseException]
) -> None:
    cache = SharedCode()
    file = _write(tmp_path, "a {{ 1 }}\n")
    cause = failing(file)
    env = _env(file.parent, cache)
    parse = env._parse
    calls: list[int] = []

    def once(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise cause
        return parse(*args)

    env._parse = once
    with pytest.raises(type(cause)):
        env.get_template("p.md.j2")
    assert len(cache.failed) == 0
    assert env.get_template("p.md.j2").render() == "a 1\n" and len(calls) == 2


def test_a_corrected_text_compiles(tmp_path: Path) -> None:
    cache = SharedCode()
    page = _write(tmp_path, "a {{ 1|durationn }}\n")
    with pytest.raises(TemplateSyntaxError):
        _env(tmp_path, cache).get_template("p.md.j2")
    page.write_text("a {{ 1|round|int }}\n", encoding="utf-8")
    assert _env(tmp_path, cache).get_template("p.md.j2").render() == "a 1\n"
