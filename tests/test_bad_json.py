"""A line of a batch that is not JSON is told in words for people, at the place of the mistake,
wherever a JSON input is read: `decide --input` (one object, or JSON Lines), a JSON Lines table
(`decide --output`), the service's /v1/batch and /v1/decide (engine.decisions.notjson). They
said Python's own wording ("Expecting value", "Expecting property name enclosed in double
quotes"), which also differs between Python versions (3.13 words a trailing comma otherwise)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.bundle.make import make
from engine.service.app import App, Limits
from engine.service.logs import Log
from engine.service.state import Source
from support import MINI, call, run_cli

VALUES = "a value is a number, a string in double quotes, `true`, `false`, `null`, an object or a list"
MISTAKES = [
    # (what, the line, the column of the mistake, message (after "not valid JSON: "), hint)
    (
        "trailing comma",
        '{"days_late": 3,}',
        16,
        "a comma before `}`: JSON has no comma after the last item",
        "remove the comma",
    ),
    (
        "trailing comma in a list",
        '{"days_late": 3, "x": [1, 2, ]}',
        28,
        "a comma before `]`: JSON has no comma after the last item",
        "remove the comma",
    ),
    (
        "single quotes",
        "{'days_late': 3}",
        2,
        "single quotes; JSON writes keys and strings in double quotes",
        'write `"days_late"`',
    ),
    (
        "single-quoted value",
        '{"days_late": 3, "member": \'yes\'}',
        28,
        "single quotes; JSON writes keys and strings in double quotes",
        'write `"yes"`',
    ),
    ("unquoted key", "{days_late: 3}", 2, "the key `days_late` is not in double quotes", 'write `"days_late"`'),
    ("truncated", '{"days_late": 3', 16, "it ends inside an object", "finish it and close it with `}`"),
    (
        "truncated in a list",
        '{"days_late": 3, "x": [1',
        25,
        "it ends inside a list",
        "finish it and close it with `]}`",
    ),
    ("cut after a colon", '{"days_late":', 14, "it ends inside an object", "finish it and close it with `}`"),
    ("NaN", '{"days_late": NaN}', 15, "`NaN` is not a JSON number", "give a number: JSON has no NaN or infinity"),
    (
        "-Infinity",
        '{"days_late": -Infinity}',
        15,
        "`-Infinity` is not a JSON number",
        "give a number: JSON has no NaN or infinity",
    ),
    (
        "a bare word",
        "hello",
        1,
        "`hello` is not a JSON value",
        'write text in double quotes, `"hello"`; `true`, `false` and `null` are lower case',
    ),
    ("Python's True", '{"days_late": 3, "member": True}', 28, "`True` is not JSON", "write `true`"),
    ("no colon", '{"days_late" 3}', 14, "expected `:` after the key, found `3`", 'write `"key": value`'),
    (
        "no comma",
        '{"days_late": 3 "member": true}',
        17,
        'expected `,` or `}` after the value, found `"`',
        "separate the items with commas",
    ),
    ("no value", '{"days_late": }', 15, "expected a value, found `}`", VALUES),
    (
        "more after the object",
        '{"days_late": 3} {"days_late": 4}',
        18,
        "more after the end of the JSON value: `{`",
        "one JSON object per line",
    ),
    (
        "a string not closed",
        '{"days_late": 3, "note": "late}',
        26,
        "a string that starts here is not closed",
        'end it with `"` on the same line',
    ),
    (
        "an unknown escape",
        '{"days_late": 3, "note": "C:\\data"}',
        29,
        "`\\d` is not an escape JSON knows",
        "JSON's escapes are `\\\"`, `\\\\`, `\\/`, `\\b`, `\\f`, `\\n`, `\\r`, `\\t` and `\\uXXXX`",
    ),
]
GOOD = '{"days_late": 0, "member": true}'
BATCH = "".join(f"{GOOD}\n{line}\n" for _, line, *_ in MISTAKES)  # (a good line first: a batch, not one document)


def expected(name: str) -> list[dict[str, Any]]:
    return [
        {
            "line": 2 * i + 2,
            "problems": [
                {
                    "file": name,
                    "line": 2 * i + 2,
                    "column": column,
                    "code": "D004",
                    "severity": "error",
                    "message": f"not valid JSON: {message}",
                    "hint": hint,
                }
            ],
        }
        for i, (_, _, column, message, hint) in enumerate(MISTAKES)
    ]


ARGS = ["loans.late_fee", "-m", "no", "--at", "2024-06-01", "--root", str(MINI)]


def test_a_batchs_bad_lines_are_told_for_people() -> None:
    run = run_cli("decide", *ARGS, "--input", "-", stdin=BATCH)
    answers = [json.loads(line) for line in run.out.splitlines()]
    assert run.code == 1 and [a["outputs"] for a in answers[::2]] == [{"fee": 0, "status": "on_time"}] * len(MISTAKES)
    assert answers[1::2] == expected("<stdin>")


def test_a_tables_bad_lines_are_told_as_a_batchs(tmp_path: Path) -> None:
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text(BATCH, encoding="utf-8")
    run = run_cli("decide", *ARGS, "--input", str(source), "--output", str(out))
    assert run.code == 1, run
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows[1::2] == expected(str(source))


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> App:
    path = tmp_path_factory.mktemp("bad-json") / "policies.bundle"
    path.write_bytes(make(engine.load(str(MINI))))
    source = Source(str(path), None)
    source.load()
    return App(source, Limits(), Log(io.StringIO()), poll=0)


def test_the_services_batch_tells_bad_lines_as_the_cli_does(app: App) -> None:
    status, _, body = call(app, "POST", "/v1/batch/loans/late_fee", BATCH.encode(), "marketplace=no&at=2024-06-01")
    answers = [json.loads(line) for line in body.decode().splitlines()]
    assert status == 200
    told = [{"line": a["line"], "problems": a["problems"]} for a in answers[1::2]]
    assert told == expected("<request>")


@pytest.mark.parametrize(
    "what, line, column, message, hint",
    [m for m in MISTAKES if m[0] != "more after the object"],
    ids=[m[0] for m in MISTAKES if m[0] != "more after the object"],
)
def test_one_object_that_is_not_json_is_told_for_people(
    what: str, line: str, column: int, message: str, hint: str
) -> None:
    run = run_cli("decide", *ARGS, "--input", "-", stdin=line + "\n")
    [problem] = json.loads(run.out)["problems"]
    assert run.code == 1 and problem == {
        "file": "<stdin>",
        "line": 1,
        "column": column,
        "code": "D004",
        "severity": "error",
        "message": f"not valid JSON: {message}",
        "hint": hint,
    }


def test_a_pretty_printed_object_is_told_at_the_line_of_its_mistake() -> None:
    run = run_cli("decide", *ARGS, "--input", "-", "--format", "text", stdin='{\n  "days_late": 3,\n}\n')
    assert (run.code, run.out) == (
        1,
        "loans.late_fee in no on 2024-06-01 (Europe/Oslo): no outputs\n"
        "  <stdin>:2:17: error[D004] not valid JSON: a comma before `}`: JSON has no comma after the last item\n"
        "    hint: remove the comma\n",
    )


def test_a_request_body_that_is_not_json_is_told_for_people(app: App) -> None:
    status, _, body = call(
        app, "POST", "/v1/decide/loans/late_fee", b'{"input": {"days_late": 3,}, "marketplace": "no"}'
    )
    [problem] = json.loads(body)["problems"]
    assert status == 400 and (problem["line"], problem["column"], problem["message"], problem["hint"]) == (
        1,
        26,
        "not valid JSON: a comma before `}`: JSON has no comma after the last item",
        "remove the comma",
    )
