"""What `policyctl test` says of a tests file with errors, as an author meets them in the
repository `policyctl init` writes: a case with an error of its own fails with it (it ran, and the
line said "6 passed, 0 failed" while the run failed); the run's other errors are on the summary
line; a schema error's `oneOf` is reported by the branch the value's type matches."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support import run_cli

CASES = "policies/returns/tests/return_allowed.yaml"
SIXTH = """  - name: {name}
    decision: {decision}
    marketplace: {marketplace}
    at: "2025-03-01"
    input: {{days_since_delivery: {days}}}
    expect: {{allowed: true}}
"""


def sixth(
    name: str = "day 10 in DE",
    decision: str = "return_allowed",
    marketplace: str = "de",
    days: str = "10",
    more: str = "",
) -> str:
    return SIXTH.format(name=name, decision=decision, marketplace=marketplace, days=days) + more


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory, init_starter: Path) -> Path:
    """The starter's policies/ (read only: each case copies it)."""
    top = tmp_path_factory.mktemp("case-errors")
    shutil.copytree(init_starter / "policies", top / "policies")
    return top


def with_case(starter: Path, tmp_path: Path, text: str) -> Path:
    shutil.copytree(starter / "policies", tmp_path / "policies")
    with (tmp_path / CASES).open("a", encoding="utf-8") as f:
        f.write(text)
    return tmp_path


FAILED = [
    # (the sixth case, the problems said with it: line:col, code, message, hint)
    (
        sixth(name="returns are free in DE"),
        [
            (
                "40:11",
                "T002",
                "test name `returns are free in DE` is used twice (first at line 33)",
                "names select tests with -k: make them unique",
            )
        ],
    ),
    (
        sixth(decision="return_alowed", marketplace="fr"),
        [
            ("41:15", "T002", "`returns` has no decision `return_alowed`", "known decisions: return_allowed"),
            ("42:18", "T002", "`returns` is not offered in marketplace `fr`", "use one of: de, us"),
        ],
    ),
    (
        sixth(days="ten"),
        [
            (
                "44:34",
                "D004",
                '/days_since_delivery: expected integer, got string `"ten"`',
                "write a whole number in digits and nothing else, such as `30`",
            )
        ],
    ),
    (
        sixth(more="    boundaries: {parameter: return_window_days, vary: dayz, outputs: [allowed]}\n"),
        [
            (
                "46:29",
                "T002",
                "`boundaries`: `return_window_days` is not a `tiers: true` parameter",
                "`tiers: true` parameters of `returns`: none",
            ),
            (
                "46:55",
                "T002",
                "`boundaries`: `return_allowed` has no numeric input `dayz`",
                "numeric inputs: days_since_delivery",
            ),
        ],
    ),
]


@pytest.mark.parametrize(
    "case, said", FAILED, ids=["name twice", "no such decision or marketplace", "input", "boundaries"]
)
@pytest.mark.parametrize("boundaries", [(), ("--boundaries",)], ids=["", "--boundaries"])
def test_a_case_with_errors_of_its_own_fails_with_them(
    starter: Path, tmp_path: Path, case: str, said: list[tuple[str, str, str, str]], boundaries: tuple[str, ...]
) -> None:
    """Its errors were said on stderr and the case ran: "6 passed, 0 failed" with exit 1 (a name
    used twice, a `boundaries:` naming what is not there), or failed again in other words at the
    case's first line; `--boundaries` said a bad declaration a third time."""
    top = with_case(starter, tmp_path, case)
    r = run_cli("test", *boundaries, cwd=top)
    name = case.split("name: ", 1)[1].split("\n", 1)[0]
    expected = f"FAIL {CASES}:40: {name}\n"
    expected += case.split("decision: ")[1].split("\n")[0].join(("  returns.", " · "))
    expected += case.split("marketplace: ")[1].split("\n")[0] + " · 2025-03-01 · input "
    days = case.split("days_since_delivery: ")[1].split("}")[0]
    expected += '{"days_since_delivery": ' + (days if days.isdigit() else f'"{days}"') + "}\n"
    for where, code, message, hint in said:
        expected += f"  {CASES}:{where}: error[{code}]: {message}\n    hint: {hint}\n"
    assert (r.code, r.out, r.err) == (1, expected + "5 passed, 1 failed\n", ""), r
    checked = run_cli("validate", cwd=top)  # the same problems, in the same words
    assert checked.code == 1 and checked.out.count("error[") == len(said), checked
    for where, code, message, hint in said:
        assert f"{CASES}:{where}: error[{code}]: {message}\n  hint: {hint}\n" in checked.out


def test_an_error_of_no_case_run_is_on_the_summary_line(starter: Path, tmp_path: Path) -> None:
    """`-k` left out the case with the error: "1 passed, 0 failed", exit 1."""
    top = with_case(starter, tmp_path, sixth(name="returns are free in DE"))
    r = run_cli("test", "-k", "day 30", cwd=top)
    assert (r.code, r.out) == (1, f"1 passed, 0 failed, 1 error in {CASES}\n"), r
    assert r.err == (
        f"{CASES}:40:11: error[T002]: test name `returns are free in DE` is used twice (first at line 33)\n"
        "  hint: names select tests with -k: make them unique\n"
        "1 error in 1 of 5 YAML files\n"
    )


SCHEMA = [
    # (`boundaries:` as written, the problems: line:col, message, hint)
    (
        "{parameter: return_window_days, outputs: {}}",
        [
            (
                "46:58",
                "/cases/5/boundaries/outputs: expected at least 1 key, got object `{}`",
                "give at least 1 key",
            )
        ],
    ),
    (
        "{parameter: return_window_days, outputs: []}",
        [("46:58", "/cases/5/boundaries/outputs: expected at least 1 item, got array `[]`", "give at least 1 item")],
    ),
    (
        "{parameter: 5, outputs: {allowed: 7}}",
        [
            (
                "46:29",
                "/cases/5/boundaries/parameter: expected string, got integer `5`",
                "`parameter` takes a name: lowercase letters, digits and underscores, starting with a letter",
            ),
            (
                "46:51",
                "/cases/5/boundaries/outputs/allowed: expected string, got integer `7`",
                "`allowed` takes a name: lowercase letters, digits and underscores, starting with a letter",
            ),
        ],
    ),
]


@pytest.mark.parametrize("written, said", SCHEMA, ids=[s[0] for s in SCHEMA])
def test_a_schema_error_under_one_of_is_the_branch_of_the_values_type(
    starter: Path, tmp_path: Path, written: str, said: list[tuple[str, str, str]]
) -> None:
    """`outputs: {}` said "expected array, got mapping" with "write a list" (a mapping is allowed:
    this one is empty); `parameter: 5` said "quote the value to make it a string" (`"5"` is no id
    either). A file that cannot be read as cases runs none of them."""
    top = with_case(starter, tmp_path, sixth(more=f"    boundaries: {written}\n"))
    r = run_cli("validate", cwd=top)
    expected = "".join(f"{CASES}:{where}: error[S001]: {message}\n  hint: {hint}\n" for where, message, hint in said)
    errors = f"{len(said)} error{'s' if len(said) > 1 else ''}"
    assert (r.code, r.out) == (1, expected + f"{errors} in 1 of 6 files\n"), r
    tested = run_cli("test", cwd=top)
    assert (tested.code, tested.out) == (1, f"0 passed, 0 failed, 6 not run ({CASES} has errors)\n"), tested
    assert tested.err == expected + f"{errors} in 1 of 5 YAML files\n"
