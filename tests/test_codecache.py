"""Templates compiled once per process (engine.templates.codecache) and messages extracted once
(engine.i18n.catalogs): what is shared gives what compiling or extracting again would give, and
nothing of one environment reaches another."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jinja2 import FileSystemLoader, pass_context

from engine.cache.memo import Memo
from engine.i18n import catalogs
from engine.templates.codecache import SharedCode
from engine.templates.sandbox import environment, template_error


def make_env(folder: Path, cache: SharedCode, **filters: Callable[..., Any]) -> Any:
    env: Any = environment(FileSystemLoader(str(folder)), finalize=str)
    env.filters.update(filters)
    env.bytecode_cache = cache
    compiled: list[str] = []
    original = env.compile

    def compile(source: str, name: str | None = None, filename: str | None = None, **kw: Any) -> Any:
        compiled.append(name or "")
        return original(source, name, filename, **kw)

    env.compile = compile
    env.compiled = compiled  # the names this environment compiled (not found in the cache)
    return env


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


@pytest.mark.parametrize(
    "text",
    [
        "first line\n{{ fail('boom') }}\n",  # in the template's own code
        "first line\n{% macro m() %}{{ fail('boom') }}{% endmacro %}\n\n{{ m() }}\n",  # in a function it defines
    ],
)
def test_a_copy_elsewhere_is_not_compiled_again_and_its_problems_name_it(tmp_path: Path, text: str) -> None:
    cache = SharedCode()
    a, b = write(tmp_path / "a", "p.md.j2", text), write(tmp_path / "b", "p.md.j2", text)
    env_a, env_b = make_env(a.parent, cache), make_env(b.parent, cache)
    problems = []
    for env in (env_a, env_b):
        with pytest.raises(Exception) as failed:
            env.get_template("p.md.j2").render()
        problems.append(template_error(failed.value, "fallback"))
    assert (env_a.compiled, env_b.compiled) == (["p.md.j2"], [])
    assert [(p.file, p.line, p.code) for p in problems] == [(str(a), 2, "G001"), (str(b), 2, "G001")]
    assert "boom" in problems[1].message


def test_environments_with_other_filters_or_globals_get_their_own_results(tmp_path: Path) -> None:
    cache = SharedCode()

    def twice(s: str) -> str:
        return s * 2

    def thrice(s: str) -> str:
        return s * 3

    @pass_context
    def in_context(ctx: Any, s: str) -> str:
        return s * 2

    # `"a"|twice` on a constant is computed while compiling: other filters, other code
    text = '{{ "a"|twice }} {{ who }}'
    envs = [
        make_env(write(tmp_path / name, "t.md.j2", text).parent, cache, twice=f)
        for name, f in (("one", twice), ("two", thrice), ("three", in_context), ("four", twice))
    ]
    for env, who in zip(envs, "ABCD"):
        env.globals["who"] = who
    assert [env.get_template("t.md.j2").render() for env in envs] == ["aa A", "aaa B", "aa C", "aa D"]
    assert [len(env.compiled) for env in envs] == [1, 1, 1, 0]  # only the last has the first's configuration


def test_another_text_under_the_same_name_is_compiled_anew(tmp_path: Path) -> None:
    cache = SharedCode()
    one = make_env(write(tmp_path / "one", "t.md.j2", "one").parent, cache)
    two = make_env(write(tmp_path / "two", "t.md.j2", "two").parent, cache)
    assert [one.get_template("t.md.j2").render(), two.get_template("t.md.j2").render()] == ["one", "two"]
    assert len(two.compiled) == 1


def test_a_memo_keeps_the_most_recently_used_entries() -> None:
    memo: Memo[int] = Memo(2)
    memo.put("a", 1)
    memo.put("b", 2)
    assert memo.get("a") == 1  # "b" is now the least recently used
    memo.put("c", 3)
    assert (memo.get("a"), memo.get("b"), memo.get("c"), len(memo)) == (1, None, 3, 2)


def test_messages_extracted_again_are_the_same_and_callers_cannot_change_the_memo() -> None:
    text = b"{# Translators: a note #}\n{% trans %}Hello {{ name }}{% endtrans %}\n{{ _('Bye') }}\n"

    def extract() -> list[Any]:
        found = catalogs.jinja_extract(
            io.BytesIO(text), catalogs.KEYWORDS, catalogs.COMMENT_TAGS, catalogs.JINJA_OPTIONS
        )
        return list(found)

    expected = [(2, "gettext", ("Hello %(name)s", None), ["a note"]), (3, "_", "Bye", [])]
    first = extract()
    assert first == expected
    first[0][3].append("changed by a caller")
    assert extract() == expected


def test_a_memo_is_bounded_in_weight_too() -> None:
    memo: Memo[str] = Memo(10, weight=100)
    memo.put("a", "x", 60)
    memo.put("b", "y", 30)
    memo.put("c", "z", 30)  # 120 in all: the least recently used goes
    assert (memo.get("a"), memo.get("b"), memo.get("c"), memo.weight) == (None, "y", "z", 60)
    memo.put("huge", "w", 101)  # heavier than the whole memo: not kept, nothing pushed out
    assert (memo.get("huge"), len(memo), memo.weight) == (None, 2, 60)
    memo.put("b", "y2", 10)  # a key put again weighs what it weighs now
    assert (memo.get("b"), memo.weight) == ("y2", 40)
