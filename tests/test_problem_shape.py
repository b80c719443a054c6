"""Every command's JSON output carries problems in one shape: `Problem.to_json`, and it round-trips."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine import Problem
from support import edit, run_cli

SHAPE = set(Problem("f", 1, 2, "X001", "m").to_json())


def _problems(value: Any) -> Iterator[dict[str, Any]]:
    """Every object under a `problems` key, however deep."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "problems":
                yield from item
            else:
                yield from _problems(item)
    elif isinstance(value, list):
        for item in value:
            yield from _problems(item)


def test_the_shape_round_trips() -> None:
    p = Problem("policies/x.yaml", 3, 7, "S001", "`x` is wrong", "write `y`", "warning")
    assert p.to_json() == {
        "file": "policies/x.yaml",
        "line": 3,
        "column": 7,
        "code": "S001",
        "severity": "warning",
        "message": "`x` is wrong",
        "hint": "write `y`",
    }
    assert Problem.from_json(json.loads(json.dumps(p.to_json()))) == p


def _decide(root: Path, payload: str, *extra: str) -> list[Any]:
    run = run_cli(
        "decide",
        "loans.late_fee",
        "-m",
        "nl",
        "--at",
        "2024-06-01",
        "--input",
        "-",
        "--root",
        str(root),
        *extra,
        stdin=payload,
    )
    assert run.code == 1, run
    if payload.count("\n") > 1:  # JSON Lines in, one result a line out
        return [json.loads(line) for line in run.out.splitlines()]
    return [json.loads(run.out)]


@pytest.mark.parametrize("how", ["validate", "decide", "decide-batch", "decide-explain"])
def test_every_json_output_uses_the_one_shape(mini: Path, how: str) -> None:
    if how == "validate":
        edit(mini / "loans" / "decisions" / "late_fee.yaml", "days_late == 0", "days_lat == 0")
        run = run_cli("validate", str(mini), "--format", "json")
        assert run.code == 1
        outputs = [json.loads(run.out)]
    elif how == "decide":
        outputs = _decide(mini, '{"days_late": "x"}\n')
    elif how == "decide-batch":
        outputs = _decide(mini, '{"days_late": 1}\nnot json\n{"days_late": -1}\n')
    else:
        outputs = _decide(mini, '{"days_late": "x"}', "--explain")
    problems = [p for out in outputs for p in _problems(out)]
    assert problems, outputs
    for p in problems:
        assert set(p) == SHAPE, p
        assert Problem.from_json(p).to_json() == p


# Each command whose JSON output reports on its run (not the answers or facts it was asked for:
# `decide`, `show`, `history`), how to make it fail in a copy of the starter, and its arguments
REPORTS: dict[str, tuple[tuple[str, str, str] | None, tuple[str, ...]]] = {
    "validate": (("policies/returns/program.yaml", "title: Returns\n", "title: 5\n"), ("validate",)),
    "test": (("policies/returns/program.yaml", "value: 30\n", "value: 31\n"), ("test",)),
    "build": (("policies/returns/program.yaml", "value: 30\n", "value: 29\n"), ("build", "--check")),
    "i18n check": (("policies/returns/locales/de.po", "künftig %(new)s", "künftig %(neu)s"), ("i18n", "check")),
    # (a diff fails only when told to; `diff` compares this copy with the one the test makes)
    "diff": (("policies/returns/program.yaml", "value: 30\n", "value: 29\n"), ("diff", "--exit-code")),
}


def test_every_command_with_a_json_report_is_listed() -> None:
    import click

    from engine.cli import main

    def commands(group: click.Group, prefix: str = "") -> Iterator[tuple[str, click.Command]]:
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                yield from commands(command, f"{prefix}{name} ")
            else:
                yield f"{prefix}{name}", command

    with_json = {
        name
        for name, command in commands(main)
        for p in command.params
        if "--format" in p.opts and isinstance(p.type, click.Choice) and "json" in p.type.choices
    }
    assert with_json - {"decide", "show", "history"} == set(REPORTS)


@pytest.mark.parametrize("failing", [False, True], ids=["clean", "failing"])
@pytest.mark.parametrize("command", sorted(REPORTS))
def test_every_json_report_says_ok_as_its_exit_code(init_repo: Path, command: str, failing: bool) -> None:
    """`ok` is whether the command passed (exit 0) in every JSON report, as in `validate`'s (`diff`
    had none)."""
    change, args = REPORTS[command]
    if command == "diff":
        old = init_repo.parent / "old"
        shutil.copytree(init_repo / "policies", old)
        args = (*args, str(old), str(init_repo / "policies"))
    if failing and change is not None:
        edit(init_repo / change[0], change[1], change[2])
    run = run_cli(*args, "--format", "json", cwd=init_repo)
    assert run.code == (1 if failing else 0), run
    report = json.loads(run.out)
    assert report["ok"] is (run.code == 0), report
    for p in _problems(report):
        assert set(p) == SHAPE, p


@pytest.mark.parametrize(
    "cwd, text, shown",
    [
        ("policies/returns", "in ../returns/decisions/x.yaml", "in decisions/x.yaml"),
        (
            "policies/returns/tests",
            "example `a b` (../../returns/tests/t.yaml:19) rests",
            "example `a b` (t.yaml:19) rests",
        ),
        (
            "policies",
            "see ./returns/program.yaml, then ./returns/x.yaml.",
            "see returns/program.yaml, then returns/x.yaml.",
        ),
        ("policies/returns", "`../returns/x.yaml` as written", "`../returns/x.yaml` as written"),  # (user input)
        (
            "policies/returns",
            "a/../b, .5 and ... are words; policies/x.yaml too",
            "b, .5 and ... are words; policies/x.yaml too",
        ),
        ("policies", "/abs/./x.yaml and <stdin>", "/abs/./x.yaml and <stdin>"),
    ],
)
def test_paths_in_a_problems_texts_are_shown_from_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cwd: str, text: str, shown: str
) -> None:
    """A message or hint made while loading names a file as the load spelt it; `to_json`, `str` and
    `shown` name it as the problem's own file is named (outside backticks: user input stays)."""
    from engine.problems import shown_text

    (tmp_path / cwd).mkdir(parents=True)
    monkeypatch.chdir(tmp_path / cwd)
    assert shown_text(text) == shown
    p = Problem("../returns/program.yaml", 1, 1, "D004", text, text)
    assert p.to_json()["message"] == p.to_json()["hint"] == p.shown().hint == shown
    assert str(p).endswith(f": error[D004]: {shown}")


@pytest.mark.parametrize(
    ("value", "message", "hint"),
    [
        (
            '"./label"',
            '`"./label"` is not one of `"./labels"`, `"../shared/labels"`',
            "did you mean `./labels`?",
        ),
        ("7", '`7` is not one of `"./labels"`, `"../shared/labels"`', 'use one of: `"./labels"`, `"../shared/labels"`'),
    ],
)
def test_an_authors_values_that_look_like_paths_are_shown_as_written(
    init_repo: Path, value: str, message: str, hint: str
) -> None:
    """The values of an author's `enum` were listed outside backticks, so engine.problems.shown_text
    took `"./labels"` for a path and showed it from the working folder: `is not one of "labels"`,
    and the hint `did you mean labels?`, which, followed, is not one of them either."""
    edit(
        init_repo / "policies/returns/program.yaml",
        "parameters:\n",
        "parameters:\n  label_folder:\n    description: Where return labels are kept.\n"
        '    schema: {enum: ["./labels", "../shared/labels"]}\n'
        f"    value: {value}\n    source: the returns policy, 2024 edition\n",
    )
    run = run_cli("validate", "--format", "json", cwd=init_repo / "policies/returns")
    [problem] = json.loads(run.out)["problems"]
    assert (problem["file"], problem["line"], problem["code"]) == ("program.yaml", 17, "P003"), problem
    assert problem["message"] == f"parameter `label_folder`: {message}", problem
    assert problem["hint"] == hint


def test_the_serve_overlay_names_places_from_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve`'s problems panel printed the file as the load spelt it (`../returns/program.yaml`)."""
    from engine.commands.serve import overlay

    (tmp_path / "policies" / "returns").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "policies" / "returns")
    panel = overlay([Problem("../returns/program.yaml", 9, 8, "S001", "bad", "see ../returns/tests/t.yaml")])
    assert "<li><code>program.yaml:9:8</code> error[S001]: bad<br><small>hint: see tests/t.yaml</small></li>" in panel


# The questions (`show`, `history`, `decide`), asked in JSON of a repository with an error: they
# printed nothing on standard output (a script piping into jq got empty input). Each prints the
# problems as `validate --format json` does, `decide` on one line (its JSON is JSON Lines for a
# batch, and the input is not read when the repository refuses); the text stays on standard error.
QUESTIONS: dict[str, tuple[tuple[str, ...], bool]] = {  # (arguments, one line)
    "show": (("show", "returns", "-m", "us", "--format", "json"), False),
    "show --provenance": (("show", "returns", "-m", "us", "--format", "json", "--provenance"), False),
    "show --assumptions": (("show", "returns", "-m", "us", "--format", "json", "--assumptions"), False),
    "history": (("history", "returns", "--format", "json"), False),
    "decide": (("decide", "returns.return_allowed", "-m", "us", "--input", "in.json"), True),
    "decide --explain": (("decide", "returns.return_allowed", "-m", "us", "--input", "in.json", "--explain"), True),
    "decide batch": (("decide", "returns.return_allowed", "-m", "us", "--input", "in.jsonl"), True),
    "decide --lines": (("decide", "returns.return_allowed", "-m", "us", "--lines", "--input", "-"), True),
}
BROKEN = {
    "file": "policies/returns/program.yaml",
    "line": 9,
    "column": 8,
    "code": "S001",
    "severity": "error",
    "message": "/title: expected string, got integer `5`",
    "hint": "quote the value to make it a string",
}


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_a_question_refused_in_json_prints_the_problems(init_repo: Path, question: str) -> None:
    args, one_line = QUESTIONS[question]
    (init_repo / "in.json").write_text('{"days_since_delivery": 3}\n', encoding="utf-8")
    (init_repo / "in.jsonl").write_text('{"days_since_delivery": 3}\n{"days_since_delivery": 50}\n', encoding="utf-8")
    edit(init_repo / "policies/returns/program.yaml", "title: Returns\n", "title: 5\n")
    run = run_cli(*args, cwd=init_repo, stdin='{"days_since_delivery": 3}\n')
    assert run.code == 1, run
    assert run.out.count("\n") == 1 if one_line else run.out.startswith("{\n  "), run
    body = json.loads(run.out)
    assert body == {"ok": False, "files": 5, "problems": [BROKEN]}, body
    # the shape and the problems `validate` prints, and the text for people as before
    validated = json.loads(run_cli("validate", "--format", "json", cwd=init_repo).out)
    assert list(body) == list(validated) and body["problems"] == validated["problems"]
    assert run.err.endswith(
        "1 error in 1 of 5 YAML files\npolicyctl: fix these problems first (`policyctl validate`)\n"
    ), run


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("show", "returns", "-m", "us"), 1),  # YAML: for people
        (("history", "returns"), 1),
        (("decide", "returns.return_allowed", "-m", "us", "--input", "in.json", "--format", "text"), 1),
        (("show", "nope", "-m", "us", "--format", "json"), 2),  # a usage error is only told
        (("decide", "returns.nope", "-m", "us", "--input", "in.json"), 2),
    ],
)
def test_a_refusal_for_people_or_of_usage_prints_nothing_on_standard_output(
    init_repo: Path, args: tuple[str, ...], code: int
) -> None:
    (init_repo / "in.json").write_text('{"days_since_delivery": 3}\n', encoding="utf-8")
    if code == 1:  # (the repository's problems come first)
        edit(init_repo / "policies/returns/program.yaml", "title: Returns\n", "title: 5\n")
    run = run_cli(*args, cwd=init_repo)
    assert (run.code, run.out) == (code, ""), run
    assert "error[" in run.err


@pytest.mark.parametrize(
    ("args", "one_line"),
    [
        (("decide", "returns.return_allowed", "-m", "us", "--input", "in.json", "--bundle", "bad.bundle"), True),
        (("test", "--bundle", "bad.bundle", "--format", "json"), False),
    ],
)
def test_a_bundle_that_cannot_be_used_is_refused_in_json(
    init_repo: Path, args: tuple[str, ...], one_line: bool
) -> None:
    (init_repo / "in.json").write_text('{"days_since_delivery": 3}\n', encoding="utf-8")
    (init_repo / "bad.bundle").write_text("garbage\n", encoding="utf-8")
    run = run_cli(*args, cwd=init_repo)
    assert run.code == 1, run
    assert (run.out.count("\n") == 1) is one_line, run
    body = json.loads(run.out)
    assert [(p["file"], p["line"], p["column"], p["code"]) for p in body["problems"]] == [("bad.bundle", 1, 1, "B001")]
    assert body["ok"] is False and body["files"] == 1 and "error[B001]: not a policyctl bundle" in run.err, run
    for p in body["problems"]:
        assert set(p) == SHAPE and Problem.from_json(p).to_json() == p
