"""Templates that include or import each other without end: `validate` said nothing (only
`build` failed, with "recurses too deeply" at whatever line the recursion stopped in: a
page including itself was reported at its `{% extends %}` line). Both say G001 at the tag that
closes the loop, with the loop in words."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import edit, run_cli

PAGES = Path("policies/returns/pages")
HELP = PAGES / "help.md.j2"

# (the parts written into the starter's pages folder, the include put in help's body,
# the problem's `file:line:col` and message)
LOOPS = [
    (
        {},
        '{% include "help.md.j2" %}',
        f"{HELP}:21:1",
        "this `{% include %}` closes a loop of templates that would never end: `help.md.j2` includes itself",
    ),
    (
        {"part.md.j2": 'Part\n{% if p %}x {% include "part.md.j2" %}{% endif %}\n'},
        '{% include "part.md.j2" %}',
        f"{PAGES / 'part.md.j2'}:2:13",
        "this `{% include %}` closes a loop of templates that would never end: `part.md.j2` includes itself",
    ),
    (
        {
            "part.md.j2": 'Part\n{% include "other.md.j2" %}\n',
            "other.md.j2": 'Other\n\n  {%- include "part.md.j2" %}\n',
        },
        '{% include "part.md.j2" %}',
        f"{PAGES / 'other.md.j2'}:3:3",
        "this `{% include %}` closes a loop of templates that would never end: `part.md.j2` includes "
        "`other.md.j2`, which includes `part.md.j2` again",
    ),
    (
        {
            "part.md.j2": '{% import "other.md.j2" as o %}{% macro m() %}m{% endmacro %}\n',
            "other.md.j2": '{% from "part.md.j2" import m %}\n',
        },
        '{% import "part.md.j2" as part %}',
        f"{PAGES / 'other.md.j2'}:1:1",
        "this `{% import %}` closes a loop of templates that would never end: `part.md.j2` imports "
        "`other.md.j2`, which imports `part.md.j2` again",
    ),
]


@pytest.mark.parametrize(("parts", "include", "place", "message"), LOOPS)
def test_a_loop_of_templates_is_said_at_the_tag_that_closes_it(
    init_repo: Path, parts: dict[str, str], include: str, place: str, message: str
) -> None:
    for name, text in parts.items():
        (init_repo / PAGES / name).write_text(text, encoding="utf-8")
    edit(init_repo / HELP, "{% block body %}\n", "{% block body %}\n" + include + "\n")
    said = f"{place}: error[G001]: {message}\n"
    validated = run_cli("validate", cwd=init_repo)
    assert validated.code == 1 and said in validated.out and validated.out.count("error[") == 1, validated
    built = run_cli("build", cwd=init_repo)
    assert built.code == 1 and said in built.err + built.out and "recurses" not in built.err + built.out, built


def test_a_part_included_twice_is_no_loop(init_repo: Path) -> None:
    (init_repo / PAGES / "part.md.j2").write_text('{% include "_site/unconfirmed.md.j2" %}\n', encoding="utf-8")
    edit(
        init_repo / HELP,
        "{% block body %}\n",
        '{% block body %}\n{% include "part.md.j2" %}{% include "part.md.j2" %}\n',
    )
    validated = run_cli("validate", cwd=init_repo)
    assert validated.code == 0, validated


def test_a_long_chain_of_templates_is_walked_without_recursing(init_repo: Path) -> None:
    """A pull request's chain of 1,200 templates, each including the next, the last the first: the
    walk passed Python's recursion limit when it recursed (a traceback in `validate`)."""
    n = 1200  # (past Python's recursion limit of 1,000 frames)
    for i in range(n):
        (init_repo / PAGES / f"p{i}.md.j2").write_text(f'{{% include "p{(i + 1) % n}.md.j2" %}}\n', encoding="utf-8")
    edit(init_repo / HELP, "{% block body %}\n", '{% block body %}\n{% include "p0.md.j2" %}\n')
    validated = run_cli("validate", cwd=init_repo)
    assert validated.code == 1, validated
    assert f"{PAGES / f'p{n - 1}.md.j2'}:1:1: error[G001]: this `{{% include %}}` closes a loop" in validated.out
    assert "which includes `p0.md.j2` again" in validated.out and "Traceback" not in validated.err, validated
