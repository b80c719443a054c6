"""`decide`'s problems with an input are placed at the value they are about (`file:line:col`):
in a pretty-printed input, on a JSON Lines batch's line, in a request to the service. They were
all at 1:1 (or at column 1 of a batch's line), whichever field was wrong."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import engine
from support import call, edit, place_of, run_cli

DECIDE = ("decide", "returns.return_allowed", "-m", "us", "--at", "2024-06-01")
# (input text, [(line, column, start of the message)]): every place is the value's, the key's for
# an unknown input, the object's for one left out
ONE_INPUT = [
    ('{\n  "days_since_delivery": "x"\n}\n', [(2, 26, '/days_since_delivery: expected integer, got string `"x"`')]),
    ('{\n  "days_since_delivery": -1\n}\n', [(2, 26, "/days_since_delivery: expected at least 0")]),
    (
        '{\n  "days_since_delivery": 3,\n  "colour": {"a": [1]}\n}\n',
        [(3, 3, "/colour: not an input of this decision")],
    ),
    (
        '\n\n  {\n    "colour": 1\n  }\n',
        [(3, 3, "/days_since_delivery: missing"), (4, 5, "/colour: not an input of this decision")],
    ),
    ('{"a/b": 1, "days_since_delivery": 1}', [(1, 2, "/a~1b: not an input of this decision")]),
    ('\ufeff{"days_since_delivery": "x"}', [(1, 25, "/days_since_delivery: expected integer")]),
    ('\n  "three"\n', [(2, 3, "/: expected an object of inputs")]),
]


@pytest.mark.parametrize(("text", "expected"), ONE_INPUT)
def test_a_problem_of_one_input_is_at_its_value(init_starter: Path, text: str, expected: list[Any]) -> None:
    run = run_cli(*DECIDE, "--input", "-", "--root", str(init_starter), stdin=text)
    assert run.code == 1, run
    problems = json.loads(run.out)["problems"]
    got = [(p["line"], p["column"], p["message"][: len(m)]) for p, (_, _, m) in zip(problems, expected)]
    assert got == expected and len(problems) == len(expected)


def test_a_file_and_its_text_answer_name_the_place(init_starter: Path, tmp_path: Path) -> None:
    given = tmp_path / "input.json"
    given.write_text('{\n  "days_since_delivery": "x"\n}\n')
    run = run_cli(*DECIDE, "--input", str(given), "--format", "text", "--root", str(init_starter))
    assert (run.code, run.out) == (
        1,
        "returns.return_allowed in us on 2024-06-01 (America/New_York): no outputs\n"
        f'  {given}:2:26: error[D004] /days_since_delivery: expected integer, got string `"x"`\n'
        "    hint: see the decision's `inputs`\n",
    )


BATCH = '{"days_since_delivery": 3}\n  {"x": 1, "days_since_delivery": "3"}\n{"days_since_delivery": -4}\n[1]\n'
# (line, column, message's start) of each problem of the batch above
BATCH_PLACES = [
    (2, 35, "/days_since_delivery: expected integer"),
    (2, 4, "/x: not an input of this decision"),
    (3, 25, "/days_since_delivery: expected at least 0"),
    (4, 1, "/: expected an object of inputs"),
]


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_problem_on_a_batch_line_is_at_its_value(init_starter: Path, fmt: str) -> None:
    run = run_cli(*DECIDE, "--input", "-", "--format", fmt, "--root", str(init_starter), stdin=BATCH)
    assert run.code == 1, run
    if fmt == "text":
        for line, column, message in BATCH_PLACES:
            assert f"  <stdin>:{line}:{column}: error[D004] {message}" in run.out, run.out
        return
    problems = [p for answer in run.out.splitlines() for p in json.loads(answer)["problems"]]
    assert [(p["line"], p["column"], p["message"][: len(m)]) for p, (_, _, m) in zip(problems, BATCH_PLACES)] == (
        BATCH_PLACES
    )
    assert len(problems) == len(BATCH_PLACES)


@pytest.fixture(scope="module")
def app(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    pytest.importorskip("uvicorn")
    from engine.bundle.make import make
    from engine.service.app import App, Limits
    from engine.service.logs import Log
    from engine.service.state import Source

    path = tmp_path_factory.mktemp("places") / "policies.bundle"
    path.write_bytes(make(engine.load(str(init_starter / "policies"))))
    source = Source(str(path), None)
    source.load()
    return App(source, Limits(), Log(io.StringIO()), poll=0)


def test_the_service_places_an_inputs_problems_in_the_body(app: Any) -> None:
    body = b'{"marketplace": "us",\n "input": {"days_since_delivery": "x", "y": 2}}'
    status, _, answer = call(app, "POST", "/v1/decide/returns/return_allowed", body)
    places = [(p["file"], p["line"], p["column"]) for p in json.loads(answer)["problems"]]
    assert (status, places) == (422, [("<request>", 2, 35), ("<request>", 2, 40)])
    status, _, answer = call(app, "POST", "/v1/batch/returns/return_allowed", BATCH.encode(), "marketplace=us")
    problems = [p for line in answer.decode().splitlines() for p in json.loads(line)["problems"]]
    assert [(p["line"], p["column"]) for p in problems] == [(line, column) for line, column, _ in BATCH_PLACES]


def test_a_json_lines_tables_row_is_placed_under_its_mapped_column(init_starter: Path, tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    source, out = tmp_path / "rows.jsonl", tmp_path / "answers.jsonl"
    source.write_text('{"id": 1, "days": 3}\n{"id": 2, "days": "3"}\n', encoding="utf-8")
    run = run_cli(
        *DECIDE, "--input", str(source), "--output", str(out), "--map", "days_since_delivery=days",
        "--root", str(init_starter),
    )  # fmt: skip
    assert run.code == 1, run
    [problem] = json.loads(out.read_text(encoding="utf-8").splitlines()[1])["problems"]
    assert (problem["line"], problem["column"], problem["code"]) == (2, 19, "D004")


# an output that comes out infinite for some inputs: `within_window` gives it, `too_late` a constant
INFINITE = "= days_since_delivery * 1e308 * 10"


def _infinite_output(repo: Path, expression: str = INFINITE) -> tuple[str, str]:
    """``repo``'s decision with an output `score` that is ``expression`` (infinite) in row
    `within_window`: its file (as the problems name it) and the `line:col` of that row's `then:` value."""
    path = repo / "policies" / "returns" / "decisions" / "return_allowed.yaml"
    edit(path, "  free_shipping: {type: boolean}", "  free_shipping: {type: boolean}\n  score: {type: number}")
    edit(path, '"= params.free_return_shipping"}', f'"= params.free_return_shipping", score: "{expression}"}}')
    edit(path, "free_shipping: false}", "free_shipping: false, score: 1}")
    return "policies/returns/decisions/return_allowed.yaml", place_of(path, f'"{expression}"')  # (as a failure's)


INFINITE_SAID = (
    "row `within_window`, output `score`: `days_since_delivery * 1e308 * 10` gives infinity, "
    "not a finite number (JSON has no NaN or infinity)"
)


def test_an_output_that_is_not_finite_is_placed_at_the_expression_that_gave_it(init_repo: Path) -> None:
    # it was `<stdin>:1:1: an output is not a finite number`, naming neither the output nor the row
    file, place = _infinite_output(init_repo)
    run = run_cli(*DECIDE, "--input", "-", cwd=init_repo, stdin='{"days_since_delivery": 3}')
    [problem] = json.loads(run.out)["problems"]
    assert run.code == 1 and problem["code"] == "D005", run
    assert (f"{problem['file']}:{problem['line']}:{problem['column']}", problem["message"]) == (
        f"{file}:{place}",
        INFINITE_SAID,
    )
    # a batch: each answer keeps its input's line (JSON's `line`, text's `<stdin>:N:`)
    batch = '{"days_since_delivery": 3}\n\n{"days_since_delivery": 400}\n{"days_since_delivery": 4}\n'
    run = run_cli(*DECIDE, "--input", "-", cwd=init_repo, stdin=batch)
    answers = [json.loads(line) for line in run.out.splitlines()]
    assert run.code == 1 and [a["line"] for a in answers] == [1, 3, 4], run
    assert [a.get("outputs", {}).get("score") for a in answers] == [None, 1, None]
    for answer in (answers[0], answers[2]):
        [problem] = answer["problems"]
        assert (problem["code"], f"{problem['file']}:{problem['line']}:{problem['column']}") == (
            "D005",
            f"{file}:{place}",
        )
    text = run_cli(*DECIDE, "--input", "-", "--format", "text", cwd=init_repo, stdin=batch)
    assert text.code == 1 and "<stdin>:4: returns.return_allowed" in text.out, text
    assert f"  {file}:{place}: error[D005] {INFINITE_SAID}\n" in text.out.split("<stdin>:4:")[1], text.out


def test_a_tables_and_the_services_answer_that_is_not_finite_name_the_output(init_repo: Path, tmp_path: Path) -> None:
    file, place = _infinite_output(init_repo)
    pytest.importorskip("pyarrow")
    rows, out = tmp_path / "rows.jsonl", tmp_path / "answers.jsonl"
    rows.write_text('{"days_since_delivery": 400}\n{"days_since_delivery": 2}\n', encoding="utf-8")
    run = run_cli(*DECIDE, "--input", str(rows), "--output", str(out), cwd=init_repo)
    assert run.code == 1, run
    second = json.loads(out.read_text(encoding="utf-8").splitlines()[1])
    [problem] = second["problems"]
    assert (second["line"], problem["code"], problem["message"]) == (2, "D005", INFINITE_SAID)
    assert f"{problem['file']}:{problem['line']}:{problem['column']}" == f"{file}:{place}"
    pytest.importorskip("uvicorn")
    from engine.bundle.make import make
    from engine.service.app import App, Limits
    from engine.service.logs import Log
    from engine.service.state import Source

    bundle = tmp_path / "policies.bundle"
    bundle.write_bytes(make(engine.load(str(init_repo / "policies"))))
    source = Source(str(bundle), None)
    source.load()
    app = App(source, Limits(), Log(io.StringIO()), poll=0)
    body = b'{"marketplace": "us", "input": {"days_since_delivery": 3}}'
    status, _, answer = call(app, "POST", "/v1/decide/returns/return_allowed", body)
    [problem] = json.loads(answer)["problems"]
    assert (status, problem["message"], problem["line"]) == (422, INFINITE_SAID, int(place.split(":")[0]))
    status, _, answer = call(app, "POST", "/v1/batch/returns/return_allowed", rows.read_bytes(), "marketplace=us")
    second = json.loads(answer.decode().splitlines()[1])
    assert (second["line"], second["problems"][0]["message"]) == (2, INFINITE_SAID)


def test_a_key_of_nan_is_said_as_values_are(init_repo: Path) -> None:
    nan = "days_since_delivery * 1e308 * 10 - days_since_delivery * 1e308 * 10"
    file, place = _infinite_output(init_repo, f"= 'abc'[{nan}]")
    run = run_cli(*DECIDE, "--input", "-", "--format", "text", cwd=init_repo, stdin='{"days_since_delivery": 3}')
    assert run.code == 1, run
    assert (
        f"  {file}:{place}: error[D005] row `within_window`, output `score`: `'abc'[{nan}]` failed: "
        'cannot read `NaN` of string `"abc"`: only mappings and lists have keys\n'
    ) in run.out, run.out
