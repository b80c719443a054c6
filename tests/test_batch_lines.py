"""`decide --input` reads a JSON Lines batch as the service's POST /v1/batch reads one
(engine.decisions.batch: `blank`, `_json_lines`): every line on its own, a blank line skipped, a
line that is not JSON its own problem; one JSON document (on one line, or pretty-printed over
many) stays one input."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.bundle.make import make
from engine.decisions.batch import blank, run_decide
from engine.service.app import App, Limits
from engine.service.logs import Log
from engine.service.state import Source
from support import ROOT, call, run_cli

BATCHES = {
    # a blank line after the first: was one document, one problem ("Extra data" at line 3)
    "blank second line": '{"units": 5}\n\n{"units": 6}\n',
    # a first line that is not JSON: was one document, one problem at line 1
    "bad first line": 'bad\n{"units": 5}\n{"units": 6}\n',
    "blank lines first": '\n\n{"units": 5}\n{"units": 6}\n',
    "a value that is not an object first": '[1]\n{"units": 5}\n',
    "a line cut inside a string": '{"units": "5\n{"units": 6}\n',
    "blank lines everywhere, CRLF": '{"units": 5}\r\n \t\r\n\r\n{"units": 6}\r\n\r\n',
    # white space JSON does not allow is a line that is not JSON, in both
    "a line of other white space": '{"units": 5}\n\u00a0\n{"units": 6}\n',
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> App:
    path = tmp_path_factory.mktemp("lines") / "policies.bundle"
    path.write_bytes(make(engine.load(str(ROOT / "policies"))))
    source = Source(str(path), None)
    source.load()
    return App(source, Limits(), Log(io.StringIO()), poll=0)


def _cli(text: str) -> tuple[int, list[Any]]:
    run = run_cli(
        "decide",
        "csba.fee",
        "-m",
        "us",
        "--at",
        "2024-06-01",
        "--input",
        "-",
        "--root",
        str(ROOT / "policies"),
        stdin=text,
    )
    return run.code, [json.loads(line) for line in run.out.splitlines()]


@pytest.mark.parametrize("text", BATCHES.values(), ids=BATCHES.keys())
def test_the_cli_answers_a_batch_line_by_line_as_the_service_does(app: App, text: str) -> None:
    code, cli = _cli(text)
    status, _, body = call(app, "POST", "/v1/batch/csba/fee", text.encode(), "marketplace=us&at=2024-06-01")
    api = [json.loads(line) for line in body.decode().splitlines()]
    assert status == 200 and len(api) == len(cli) >= 2
    for ours, theirs in zip(cli, api):
        theirs.pop("revision")
        for p in ours["problems"] + theirs["problems"]:
            p.pop("file")
    assert cli == api
    assert code == (1 if any(a["problems"] for a in cli) else 0)


def test_the_briefs_two_batches_are_answered_line_by_line() -> None:
    code, answers = _cli('{"units": 5}\n\n{"units": 6}\n')
    assert code == 0 and [a["outputs"]["total"] for a in answers] == [1.25, 1.5]
    code, answers = _cli('bad\n{"units": 5}\n{"units": 6}\n')
    assert code == 1 and len(answers) == 3
    assert answers[0] == {
        "line": 1,
        "problems": [
            {
                "file": "<stdin>",
                "line": 1,
                "column": 1,
                "code": "D004",
                "severity": "error",
                "message": "not valid JSON: `bad` is not a JSON value",
                "hint": 'write text in double quotes, `"bad"`; `true`, `false` and `null` are lower case',
            }
        ],
    }
    assert [a["outputs"]["total"] for a in answers[1:]] == [1.25, 1.5]


@pytest.mark.parametrize(
    "text",
    [
        '{"units": 5}\n',
        '{"units": 5}',
        '\n\n{"units": 5}\n\n\n',
        '{\n  "units": 5\n}\n',
        '\n{\n\n  "units":\n     5\n}',
        '{"units":\n 5}\n',
        '[\n{"units": 5}\n]\n',  # one document that is not an object: one problem, as before
    ],
    ids=["one line", "no newline", "blank lines around", "pretty", "pretty, blank lines", "cut after a colon", "array"],
)
def test_one_document_is_still_one_input(text: str) -> None:
    out = io.StringIO()
    bundle = engine.load(str(ROOT / "policies"))
    run_decide(bundle, "csba", "fee", "us", "2024-06-01", io.StringIO(text), out)
    body = json.loads(out.getvalue())  # one document, indented: not JSON Lines
    assert out.getvalue().startswith("{\n  ")
    if text.lstrip().startswith("["):
        assert body["problems"] and "outputs" in body
    else:
        assert body["outputs"]["total"] == 1.25 and body["problems"] == []


def test_one_bad_document_is_one_problem_at_its_line() -> None:
    run = run_cli(
        "decide",
        "csba.fee",
        "-m",
        "us",
        "--input",
        "-",
        "--root",
        str(ROOT / "policies"),
        stdin='\n{\n  "units": 5,\n  "x": \n',
    )
    assert run.code == 1
    [problem] = json.loads(run.out)["problems"]
    assert (problem["line"], problem["column"], problem["code"], problem["message"]) == (
        4,
        7,
        "D004",
        "not valid JSON: it ends inside an object",
    )


@pytest.mark.parametrize(
    "line, skipped",
    [("", True), ("\n", True), (" \t\r\n", True), ("\u00a0\n", False), ("\x0c\n", False), ("{}\n", False)],
)
def test_a_blank_line_holds_only_the_white_space_json_allows(line: str, skipped: bool) -> None:
    assert blank(line) is skipped and blank(line.encode()) is skipped


def test_the_answers_of_a_file_batch_are_unchanged(tmp_path: Path) -> None:
    """A batch whose first two lines are objects (the form read as a batch before) is answered
    exactly as before, line numbers and all."""
    lines = tmp_path / "in.jsonl"
    lines.write_text("".join(json.dumps({"units": n}) + "\n" for n in range(40)) + "oops\n\n{}\n")
    run = run_cli(
        "decide", "csba.fee", "-m", "us", "--at", "2024-06-01", "--input", str(lines), "--root", str(ROOT / "policies")
    )
    answers = [json.loads(line) for line in run.out.splitlines()]
    assert run.code == 1 and len(answers) == 42 and answers[40]["line"] == 41


def test_a_byte_order_mark_at_the_start_is_ignored_everywhere(app: App) -> None:
    """RFC 8259 lets a parser ignore one (Windows tools write it): a table read it so, while
    `decide` and the service refused the first line ("Expecting value", "Unexpected UTF-8 BOM")."""
    code, answers = _cli('\ufeff{"units": 5}\n{"units": 6}\n')
    assert code == 0 and [a["problems"] for a in answers] == [[], []], answers
    one = run_cli(
        "decide", "csba.fee", "-m", "us", "--at", "2024-06-01", "--input", "-", "--root", str(ROOT / "policies"),
        stdin='\ufeff{"units": 5}',
    )  # fmt: skip
    assert one.code == 0 and json.loads(one.out)["problems"] == [], one
    body = '\ufeff{"units": 5}\n{"units": 6}\n'.encode()
    status, _, out = call(app, "POST", "/v1/batch/csba/fee", body, query="marketplace=us&at=2024-06-01")
    assert status == 200 and [json.loads(line)["problems"] for line in out.splitlines()] == [[], []], out
    request = '\ufeff{"input": {"units": 5}, "marketplace": "us"}'.encode()
    assert call(app, "POST", "/v1/decide/csba/fee", request)[0] == 200


def test_a_key_given_twice_is_refused_everywhere(app: App, tmp_path: Path) -> None:
    """Python's reader keeps the last of two keys: `{"marketplace": "us", "marketplace": "de"}` was
    answered for `de`, `{"units": 1000, "units": 5}` for 5 units."""
    said = "not valid JSON here: the key `units` is given twice"
    one = run_cli(
        "decide", "csba.fee", "-m", "us", "--at", "2024-06-01", "--input", "-", "--root", str(ROOT / "policies"),
        stdin='{"units": 1000, "units": 5}',
    )  # fmt: skip
    assert one.code == 1 and json.loads(one.out)["problems"][0]["message"] == said, one
    code, answers = _cli('{"units": 5}\n{"units": 1000, "units": 5}\n')
    assert code == 1 and answers[0]["problems"] == [] and answers[1]["problems"][0]["message"] == said
    request = b'{"input": {"units": 5}, "marketplace": "us", "marketplace": "de"}'
    status, _, body = call(app, "POST", "/v1/decide/csba/fee", request)
    assert status == 400 and "the key `marketplace` is given twice" in body.decode(), body
    status, _, body = call(app, "POST", "/v1/batch/csba/fee", b'{"units": 1, "units": 2}\n', query="marketplace=us")
    assert status == 200 and said in body.decode(), body
    table = tmp_path / "in.jsonl"
    table.write_text('{"units": 1000, "units": 5}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run_cli(
        "decide", "csba.fee", "-m", "us", "--at", "2024-06-01", "--input", str(table), "--output", str(out),
        "--root", str(ROOT / "policies"),
    )  # fmt: skip
    assert said in out.read_text(encoding="utf-8")


def test_a_line_that_is_not_utf8_is_its_own_problem_as_in_the_service(app: App, tmp_path: Path) -> None:
    """A Latin-1 `é` on line 3,000 of 5,000: `decide` stopped where its reader had decoded up to,
    naming that line (2,731 here), and left every later line unanswered; the service and a JSON
    Lines table answer every other line and give that one its problem."""
    lines = [b'{"units": 5}\n'] * 5000
    lines[2999] = b'{"units": 5, "note": "\xe9"}\n'
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"".join(lines))
    args = [
        "decide",
        "csba.fee",
        "-m",
        "us",
        "--at",
        "2024-06-01",
        "--input",
        str(source),
        "--root",
        str(ROOT / "policies"),
    ]
    run = run_cli(*args)
    cli = [json.loads(line) for line in run.out.splitlines()]
    status, _, body = call(app, "POST", "/v1/batch/csba/fee", b"".join(lines), "marketplace=us&at=2024-06-01")
    api = [json.loads(line) for line in body.decode().splitlines()]
    for theirs in api:
        theirs.pop("revision")
    for answer in cli + api:
        for p in answer["problems"]:
            p.pop("file")
    assert (run.code, len(cli)) == (1, 5000) and cli == api
    assert cli[2999] == {
        "line": 3000,
        "problems": [
            {
                "line": 3000,
                "column": 1,
                "code": "D004",
                "severity": "error",
                "message": "the input is not UTF-8 text (byte 0xe9)",
                "hint": "save the input as UTF-8",
            }
        ],
    }
    text = run_cli(*args, "--format", "text")
    assert f"\n\n{source}:3000: csba.fee in us on 2024-06-01 (America/Los_Angeles): no outputs\n" in text.out
    # (the 5,001st: the problem's own place, `file:3000:1:`)
    assert text.out.count("no outputs") == 1 and text.out.count(f"{source}:") == 5001
    assert f"\n  {source}:3000:1: error[D004] the input is not UTF-8 text (byte 0xe9)\n" in text.out
    # one document over several lines (a .json file: a .jsonl one is a batch): its problem at the line of the byte
    document = tmp_path / "in.json"
    document.write_bytes(b'{\n  "units": 5,\n  "note": "\xe9"\n}\n')
    one = run_cli(*[str(document) if a == str(source) else a for a in args])
    assert one.code == 1 and [(p["line"], p["message"]) for p in json.loads(one.out)["problems"]] == [
        (3, "the input is not UTF-8 text (byte 0xe9)")
    ]


# (file name, or None for standard input; extra options; the input): each a batch by name or by
# `--lines`, so a batch job whose input happens to hold one line still gets answer lines
ONE_LINE_BATCHES = {
    "one line in .jsonl": ("in.jsonl", (), '{"units": 5}\n'),
    "one line in .NDJSON, blank lines around": ("in.NDJSON", (), '\n{"units": 5}\n\n'),
    "one line on stdin with --lines": (None, ("--lines",), '{"units": 5}\n'),
    "one line in .json with --lines": ("in.json", ("--lines",), '{"units": 5}'),
    "a byte order mark first in .jsonl": ("in.jsonl", (), '\ufeff{"units": 5}\n'),
}


@pytest.mark.parametrize("name, options, text", ONE_LINE_BATCHES.values(), ids=ONE_LINE_BATCHES.keys())
def test_a_batch_of_one_line_is_answered_as_a_batch(
    tmp_path: Path, name: str | None, options: tuple[str, ...], text: str
) -> None:
    """A single line was one document: pretty-printed over many lines, without `line`."""
    given = "-" if name is None else str(tmp_path / name)
    if name is not None:
        (tmp_path / name).write_text(text, encoding="utf-8")
    args = ("decide", "csba.fee", "-m", "us", "--at", "2024-06-01", "--input", given, *options)
    args += ("--root", str(ROOT / "policies"))
    stdin = text if name is None else None
    run = run_cli(*args, stdin=stdin)
    number = 1 + text.startswith("\n")
    assert run.code == 0 and run.out.startswith(f'{{"line":{number},"decision":"fee",') and run.out.count("\n") == 1
    assert json.loads(run.out)["outputs"]["total"] == 1.25
    shown = "<stdin>" if name is None else given
    text_run = run_cli(*args, "--format", "text", stdin=stdin)
    assert text_run.out.startswith(f"{shown}:{number}: csba.fee in us on 2024-06-01"), text_run


def test_one_line_in_a_json_file_or_on_stdin_is_still_one_document(tmp_path: Path) -> None:
    source = tmp_path / "case.json"
    source.write_text('{"units": 5}\n', encoding="utf-8")
    for given, stdin in ((str(source), None), ("-", '{"units": 5}\n')):
        run = run_cli(
            "decide", "csba.fee", "-m", "us", "--at", "2024-06-01", "--input", given, "--root", str(ROOT / "policies"),
            stdin=stdin,
        )  # fmt: skip
        assert run.code == 0 and run.out.startswith('{\n  "decision": "fee",'), run


def test_an_empty_jsonl_file_is_a_batch_of_no_inputs(tmp_path: Path) -> None:
    """As a JSON Lines table of no rows (`--output`): nothing to answer, not "nothing to read"."""
    source = tmp_path / "none.jsonl"
    source.write_text("\n", encoding="utf-8")
    run = run_cli("decide", "csba.fee", "-m", "us", "--input", str(source), "--root", str(ROOT / "policies"))
    assert (run.code, run.out) == (0, "")


def test_lines_is_refused_for_a_table(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"units": 5}\n', encoding="utf-8")
    run = run_cli(
        "decide", "csba.fee", "-m", "us", "--input", str(source), "--lines", "--output", str(tmp_path / "o.jsonl"),
        "--root", str(ROOT / "policies"),
    )  # fmt: skip
    assert run.code == 2 and "--lines is for answers printed here, not for a table's --output" in run.err


# (file name, its text, the place of the one problem that says it is one document; None: a batch)
DOCUMENTS_IN_LINES = {
    "pretty-printed object": ("in.jsonl", '{\n  "units": 5\n}\n', (1, 1, "object")),
    "after blank lines, indented, .ndjson": ("in.ndjson", '\n  {"units": 5,\n   "note": "x"}\n', (2, 3, "object")),
    "a list of pretty-printed objects": ("in.jsonl", '[\n  {\n    "units": 5\n  }\n]\n', (1, 1, "list")),
    "a byte order mark first": ("in.jsonl", '\ufeff{\n  "units": 5\n}\n', (1, 1, "object")),
    # a batch whose first line is cut short: the next line is an input of its own
    "a first line cut short": ("in.jsonl", '{"units": 5\n{"units": 6}\n', None),
    "one line cut short": ("in.jsonl", '{"units": 5\n', None),
}


@pytest.mark.parametrize("name, text, said", DOCUMENTS_IN_LINES.values(), ids=DOCUMENTS_IN_LINES.keys())
def test_one_document_in_a_json_lines_file_is_said_once(
    tmp_path: Path, name: str, text: str, said: tuple[int, int, str] | None
) -> None:
    """A pretty-printed object in a .jsonl file (always a batch) got a problem on each of its lines,
    the first with the hint "finish it and close it with `}`"."""
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    args = (
        "decide",
        "csba.fee",
        "-m",
        "us",
        "--at",
        "2024-06-01",
        "--input",
        str(source),
        "--root",
        str(ROOT / "policies"),
    )
    run = run_cli(*args)
    answers = [json.loads(line) for line in run.out.splitlines()]
    if said is None:  # each line answered on its own, as before
        lines = [n for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        assert [a["line"] for a in answers] == lines and run.code == 1, run
        assert answers[0]["problems"][0]["message"] == "not valid JSON: it ends inside an object"
        assert [a["problems"] for a in answers[1:]] == [[]] * (len(answers) - 1)
        return
    line, col, what = said
    assert run.code == 1 and answers == [
        {
            "line": line,
            "problems": [
                {
                    "file": str(source),
                    "line": line,
                    "column": col,
                    "code": "D004",
                    "severity": "error",
                    "message": f"a JSON Lines file holds one object per line, but this {what} goes on over the next lines",
                    "hint": "write each object on a line of its own; for one input written over several lines, "
                    "give a `.json` file",
                }
            ],
        }
    ], run
    shown = run_cli(*args, "--format", "text")
    assert shown.code == 1 and shown.out.count("error[D004]") == 1, shown
    assert shown.out.startswith(f"{source}:{line}: csba.fee in us on 2024-06-01"), shown
    assert f"\n  {source}:{line}:{col}: error[D004] a JSON Lines file holds one object per line" in shown.out


# how the input came to be JSON Lines -> (arguments after the question, the file the input is in
# (None: standard input), the problem's message and hint)
ONE_DOCUMENT_GIVEN = {
    "--lines on standard input": (
        ("--input", "-", "--lines"),
        None,
        "with --lines each line is one input, but this object goes on over the next lines",
        "write each object on a line of its own; for one input written over several lines, leave out --lines",
    ),
    "--lines on a .json file": (
        ("--input", "{dir}/in.json", "--lines"),
        "in.json",
        "with --lines each line is one input, but this object goes on over the next lines",
        "write each object on a line of its own; for one input written over several lines, leave out --lines",
    ),
    "--lines on a .jsonl file": (
        ("--input", "{dir}/in.jsonl", "--lines"),
        "in.jsonl",
        "a JSON Lines file holds one object per line, but this object goes on over the next lines",
        "write each object on a line of its own; for one input written over several lines, give a `.json` file",
    ),
    "a JSON Lines table": (
        ("--input", "{dir}/in.jsonl", "--output", "{dir}/out.jsonl"),
        "in.jsonl",
        "a JSON Lines table holds one row's object per line, but this object goes on over the next lines",
        "write each row's object on a line of its own",
    ),
}


@pytest.mark.parametrize("args, name, message, hint", ONE_DOCUMENT_GIVEN.values(), ids=ONE_DOCUMENT_GIVEN.keys())
def test_one_document_given_as_json_lines_is_said_once_however_it_came_to_be(
    tmp_path: Path, args: tuple[str, ...], name: str | None, message: str, hint: str
) -> None:
    """`--lines` and a table's `--output` read JSON Lines as a `.jsonl` name does, but a
    pretty-printed object there still got a problem on each of its lines (the table wrote three
    rows of them), the first with the hint "finish it and close it with `}`"."""
    text = '\n  {\n    "units": 5\n  }\n'
    if name is not None:
        (tmp_path / name).write_text(text, encoding="utf-8")
    given = [a.format(dir=tmp_path) for a in args]
    run = run_cli(
        "decide", "csba.fee", "-m", "us", "--at", "2024-06-01", *given, "--root", str(ROOT / "policies"),
        stdin=None if name else text,
    )  # fmt: skip
    place = str(tmp_path / name) if name else "<stdin>"
    said = {
        "file": place,
        "line": 2,
        "column": 3,
        "code": "D004",
        "severity": "error",
        "message": message,
        "hint": hint,
    }
    if "--output" in args:  # refused before a row is written: no table of one problem per line
        assert run.code == 1 and f"{place}:2:3: error[D004]: {message}\n  hint: {hint}\n" in run.err, run
        assert not (tmp_path / "out.jsonl").exists() and not (tmp_path / "out.jsonl.partial").exists()
        return
    assert run.code == 1 and [json.loads(line) for line in run.out.splitlines()] == [{"line": 2, "problems": [said]}]
    shown = run_cli(
        "decide", "csba.fee", "-m", "us", "--at", "2024-06-01", *given, "--format", "text",
        "--root", str(ROOT / "policies"), stdin=None if name else text,
    )  # fmt: skip
    assert shown.code == 1 and shown.out.count("error[D004]") == 1, shown


def test_a_table_whose_first_line_is_cut_short_is_still_answered_row_by_row(tmp_path: Path) -> None:
    """The table's check for one pretty-printed object looks at its first two input lines only:
    a row cut short followed by rows of their own is a table with one bad row, answered as before."""
    (tmp_path / "in.jsonl").write_text('{"units": 5\n{"units": 6}\n', encoding="utf-8")
    run = run_cli(
        "decide", "csba.fee", "-m", "us", "--at", "2024-06-01", "--input", str(tmp_path / "in.jsonl"),
        "--output", str(tmp_path / "out.jsonl"), "--root", str(ROOT / "policies"),
    )  # fmt: skip
    answers = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert run.code == 1 and [a["line"] for a in answers] == [1, 2], run
    assert answers[0]["problems"][0]["message"] == "not valid JSON: it ends inside an object"
    assert answers[1]["problems"] == []
