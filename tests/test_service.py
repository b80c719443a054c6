"""The decision service (`policyctl api`): the CLI's answers over HTTP, the CLI's problems with 4xx
statuses, and a bundle swapped under load with no mixed or failed answer.

In-process tests drive the ASGI application directly; the others start `cli.py api` on 127.0.0.1
on a free port, and every client loop is bounded in count and in time.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

pytest.importorskip("uvicorn")

import engine
from engine.bundle.make import make
from engine.decisions.batch import run_decide
from engine.service.app import App, Limits
from engine.service.logs import Log
from engine.service.state import Source
from support import COLLECTED_ROW, MINI, ROOT, call, edit, fits, published

POLICIES = ROOT / "policies"


# -- in process: the ASGI application --------------------------------------------------------------


@pytest.fixture(scope="module")
def repo() -> Any:
    loaded = engine.load(str(POLICIES))
    assert not [p for p in loaded.problems if p.severity == "error"]
    return loaded


@pytest.fixture(scope="module")
def app(repo: Any, tmp_path_factory: pytest.TempPathFactory) -> App:
    path = tmp_path_factory.mktemp("service") / "policies.bundle"
    path.write_bytes(make(repo))
    source = Source(str(path), None)
    source.load()
    return App(source, Limits(max_body=8192, max_batch_lines=50), Log(io.StringIO()), poll=0)


def cli_answer(
    bundle: Any, program: str, decision: str, marketplace: str, at: str, inputs: Any, explain: bool = False
) -> Any:
    """What `policyctl decide --bundle` prints for one input (its own function, in process)."""
    out = io.StringIO()
    run_decide(bundle, program, decision, marketplace, at, io.StringIO(json.dumps(inputs)), out, explain)
    return json.loads(out.getvalue())


def test_every_policy_test_case_is_answered_as_the_cli_answers_it(app: App) -> None:
    current = app.source.current
    assert current is not None  # the fixture's app has loaded its bundle
    bundle, revision = current.bundle, current.revision
    cases = bundle.cases()
    assert cases
    schemas: dict[tuple[str, int], Draft202012Validator] = {}
    for case in cases:
        for explain in (False, True):
            request = {"input": case.input, "marketplace": case.marketplace, "at": case.at, "explain": explain}
            path = f"/v1/decide/{case.program}/{case.decision}"
            status, headers, body = call(app, "POST", path, json.dumps(request).encode())
            answer = json.loads(body)
            # the answer is what the published description says it is (explained or not)
            schema = schemas.get((path, status)) or schemas.setdefault((path, status), published(app, path, status))
            assert not fits(schema, answer), (case.name, explain, fits(schema, answer))
            assert headers["policy-revision"] == answer.pop("revision") == revision
            # (the day and zone it answered for too, as the CLI's JSON answer says them)
            expected = cli_answer(bundle, case.program, case.decision, case.marketplace, case.at, case.input, explain)
            assert (expected["at"], expected["time_zone"]) == (case.at, bundle.marketplaces[case.marketplace].time_zone)
            assert answer == expected, case.name
            assert status == (200 if not expected["problems"] else 422), case.name


@pytest.mark.parametrize(
    ("request_body", "status", "day"),
    [
        ({"input": {"units": 5}, "marketplace": "us"}, 200, "2024-12-31"),  # today in Los Angeles, not in UTC
        ({"input": {"units": 5}, "marketplace": "us", "at": "2024-06-01"}, 200, "2024-06-01"),
        ({"input": {"units": -1}, "marketplace": "us"}, 422, "2024-12-31"),  # an answer with problems too
    ],
)
def test_an_answer_says_the_day_it_was_given_for(
    app: App, monkeypatch: pytest.MonkeyPatch, request_body: dict[str, Any], status: int, day: str
) -> None:
    """Without `explain`, an answer did not say which day's rules gave it: a caller that sent no
    `at` (today in the marketplace's time zone, not on the caller's clock) could not tell."""
    import datetime as dt

    from engine.model import clock

    moment = dt.datetime(2025, 1, 1, 7, 59, tzinfo=dt.timezone.utc)  # 23:59 on Dec 31 in Los Angeles
    monkeypatch.setattr(clock, "host", lambda: moment)
    got, _, body = call(app, "POST", "/v1/decide/csba/fee", json.dumps(request_body).encode())
    answer = json.loads(body)
    assert got == status and (answer["at"], answer["time_zone"]) == (day, "America/Los_Angeles"), answer
    assert list(answer)[-3:] == ["at", "time_zone", "revision"]
    spec = json.loads(call(app, "GET", "/v1/openapi.json")[2])
    schema = spec["paths"]["/v1/decide/csba/fee"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert {"at", "time_zone"} <= set(schema["required"]) and schema["properties"]["at"]["format"] == "date"


def test_a_batch_answers_every_line_as_the_cli_batch_does(app: App) -> None:
    current = app.source.current
    assert current is not None  # the fixture's app has loaded its bundle
    bundle = current.bundle
    lines = [json.dumps({"units": u, "contacts": c}) for u in (0, 5, 1000, 20000) for c in (0, 40, 900)]
    lines[3] = '{"units": "many"}'  # a bad input is answered on its line; the batch goes on
    lines[7] = "not json"
    text = "\n".join(lines) + "\n"
    status, headers, body = call(
        app, "POST", "/v1/batch/csba/fee", text.encode(), "marketplace=us&at=2024-06-01", chunks=7
    )
    assert status == 200 and headers["content-type"] == "application/x-ndjson"
    got = [json.loads(line) for line in body.decode().splitlines()]
    assert {g.pop("revision") for g in got} == {headers["policy-revision"]}
    out = io.StringIO()
    run_decide(bundle, "csba", "fee", "us", "2024-06-01", io.StringIO(text), out)
    cli = [json.loads(line) for line in out.getvalue().splitlines()]
    for ours, theirs in zip(got, cli):
        for p in ours["problems"]:
            assert p.pop("file") == "<request>"
        for p in theirs["problems"]:
            p.pop("file")
    assert got == cli
    assert got[3]["problems"][0]["code"] == "D004" and got[7]["problems"][0]["code"] == "D004"
    # each answer says its day and zone, as /v1/decide's does; a line that is no input is not one
    answers = [g for i, g in enumerate(got) if i != 7]
    assert all(list(g)[-2:] == ["at", "time_zone"] for g in answers) and "at" not in got[7]
    assert {(g["at"], g["time_zone"]) for g in answers} == {("2024-06-01", "America/Los_Angeles")}


BAD_REQUESTS = [
    # (path, body, status, code) — every one the CLI's problem shape, never a 500
    ("/v1/decide/csba/fee", b"{not json", 400, "D004"),
    ("/v1/decide/csba/fee", b"\xff\xfe", 400, "D004"),
    ("/v1/decide/csba/fee", b"[1, 2]", 400, "A001"),
    ("/v1/decide/csba/fee", b'{"marketplace": "us"}', 400, "A001"),
    ("/v1/decide/csba/fee", b'{"input": {}, "marketplace": "us", "colour": 1}', 400, "A001"),
    ("/v1/decide/csba/fee", b'{"input": {"units": 1}}', 400, "A001"),
    ("/v1/decide/csba/fee", b'{"input": {"units": 1}, "marketplace": "us", "at": "2024-13-01"}', 400, "A001"),
    ("/v1/decide/csba/fee", b'{"input": {"units": 1}, "marketplace": "us", "explain": "yes"}', 400, "A001"),
    ("/v1/decide/csba/fee", b'{"input": {"units": 1}, "marketplace": "fr"}', 404, "L004"),
    ("/v1/decide/csba/nope", b'{"input": {}, "marketplace": "us"}', 404, "L004"),
    ("/v1/decide/nope/fee", b'{"input": {}, "marketplace": "us"}', 404, "L004"),
    ("/v1/nowhere", b"", 404, "A004"),
    ("/v1/decide/csba/fee", b'{"input": {"units": "x"}, "marketplace": "us"}', 422, "D004"),
    ("/v1/decide/csba/fee", b'{"input": [], "marketplace": "us"}', 422, "D004"),
    ("/v1/decide/csba/fee", b'{"input": {"units": 1' + b"0" * 10000 + b'}, "marketplace": "us"}', 413, "A002"),
    ("/v1/decide/csba/fee", b'{"input": {"units": 1}, "marketplace": "us", "x": "' + b"a" * 10000 + b'"}', 413, "A002"),
    ("/v1/decide/csba/fee", b'{"input": {"units": 1' + b"0" * 4400 + b'}, "marketplace": "us"}', 400, "D004"),
    ("/v1/decide/csba/fee", b'{"input": {"units": 1, "x": "\\ud800"}, "marketplace": "us"}', 400, "D004"),
    ("/v1/decide/csba/fee", b'{"input": {"units": 1e999}, "marketplace": "us"}', 422, "D004"),
    ("/v1/decide/csba/fee", b'{"input": ' + b"[" * 100_000 + b"]" * 100_000 + b', "marketplace": "us"}', 413, "A002"),
    ("/v1/decide/csba/fee", b'{"input": ' + b"[" * 1500 + b"]" * 1500 + b', "marketplace": "us"}', 400, "D004"),
]


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    BAD_REQUESTS,
    ids=[f"{status}-{code}-{i}" for i, (_, _, status, code) in enumerate(BAD_REQUESTS)],
)
def test_a_bad_request_gets_the_clis_problem_json_and_a_4xx(
    app: App, path: str, body: bytes, status: int, code: str
) -> None:
    got, headers, data = call(app, "POST", path, body)
    answer = json.loads(data)
    assert got == status, answer
    assert [p["code"] for p in answer["problems"]] == [code] or (
        code == "D004" and answer["problems"][0]["code"] == code
    )
    for p in answer["problems"]:
        assert set(p) == {"file", "line", "column", "code", "severity", "message", "hint"}
    assert answer["revision"] == headers["policy-revision"]


def test_an_array_of_inputs_is_told_where_several_inputs_go(app: App) -> None:
    """An array as the input got the hint "see the decision's `inputs`"; each endpoint says how it
    takes several inputs."""
    status, _, data = call(app, "POST", "/v1/decide/csba/fee", b'{"input": [{"units": 1}], "marketplace": "us"}')
    [problem] = json.loads(data)["problems"]
    assert (status, problem["code"]) == (422, "D004")
    assert problem["hint"] == "send several inputs to POST /v1/batch/csba/fee?marketplace=us, one JSON object per line"
    status, _, body = call(app, "POST", "/v1/batch/csba/fee", b'{"units": 1}\n[{"units": 1}]\n', "marketplace=us")
    [problem] = json.loads(body.decode().splitlines()[1])["problems"]
    assert (status, problem["line"], problem["hint"]) == (
        200,
        2,
        "one JSON object per line: each object of the array on a line of its own",
    )


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/v1/decide/" + "p" * 5000 + "/fee", "unknown program `" + "p" * 80 + "`"),
        ("/v1/decide/csba/" + "d" * 5000, "`csba` has no decision `" + "d" * 80 + "`"),
        ("/v1/batch/cs\nba\x1b[2J/fee", "unknown program `cs\\nba\\x1b[2J`"),
    ],
)
def test_a_program_or_decision_from_the_path_is_quoted_bounded_and_on_one_line(app: App, path: str, said: str) -> None:
    """The path's program and decision are client text: quoted in a message as every other piece of
    a request is, one line of at most 80 characters. The whole path segment was echoed, up to the
    size of a request line (60 KB in the answer), control characters and all."""
    status, _, body = call(app, "POST", path, b"{}", query="marketplace=us" if "/batch/" in path else "")
    (problem,) = json.loads(body)["problems"]
    assert (status, problem["code"], problem["message"]) == (404, "L004", said)


def test_wrong_method_is_405_with_allow(app: App) -> None:
    status, headers, body = call(app, "GET", "/v1/decide/csba/fee")
    assert status == 405 and headers["allow"] == "POST" and json.loads(body)["problems"][0]["code"] == "A004"
    status, headers, _ = call(app, "POST", "/v1/programs")
    assert status == 405 and headers["allow"] == "GET, HEAD"
    status, headers, _ = call(app, "HEAD", "/v1/decide/csba/fee")
    assert status == 405 and headers["allow"] == "POST"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/v1/programs", "/v1/openapi.json"])
def test_head_is_answered_as_get_without_a_body(app: App, path: str) -> None:
    """Monitors and load balancers ask HEAD: the status and headers GET gets (its Content-Length
    too), no body. It was 405."""
    got = call(app, "GET", path)
    status, headers, body = call(app, "HEAD", path)
    assert (status, body) == (got[0], b"") and status == 200
    if path != "/metrics":  # (which counts the GET before it)
        assert headers["content-length"] == got[1]["content-length"] == str(len(got[2]))
    assert headers["content-type"] == got[1]["content-type"]


@pytest.mark.parametrize("explain", [False, True])
def test_every_batch_line_fits_the_published_schema_of_a_line(app: App, explain: bool) -> None:
    """`/v1/batch`'s answer (JSON Lines) had no schema in the OpenAPI description: a client could
    not tell an answer line from a problem line, nor what `explain=true` adds."""
    lines = [
        b'{"units": 5, "contacts": 1}',  # an answer
        b"{bad",  # not JSON: a problem line
        b'{"units": -1}',  # an answer with its problems
        b"",  # blank: no answer, but counted
        b"[1]",  # not an object: an answer with its problem
        b'{"units": "\xff"}',  # not UTF-8: a problem line
        b'{"units": 5}',
    ]
    text = b"\n".join(lines + [b'{"units": 5}'] * 50) + b"\n"  # past the fixture's limit of 50 lines
    query = "marketplace=us&at=2024-06-01" + ("&explain=true" if explain else "")
    status, _, body = call(app, "POST", "/v1/batch/csba/fee", text, query)
    assert status == 200
    got = [json.loads(line) for line in body.decode().splitlines()]
    schema = published(app, "/v1/batch/csba/fee", 200, "application/x-ndjson")
    for answer in got:
        assert not fits(schema, answer), (answer, fits(schema, answer))
    problem_lines = [(g["line"], g["problems"][0]["code"]) for g in got if "decision" not in g]
    assert problem_lines == [(2, "D004"), (6, "D004"), (51, "A002")]
    assert [bool(g["problems"]) for g in got if "decision" in g][:4] == [False, True, True, False]
    assert all(("rows" in g) == explain for g in got if "decision" in g)
    # every line says the input line it is about (the blank line 4 has none): an answer too
    assert [g["line"] for g in got] == [1, 2, 3, 5, 6, 7, *range(8, 51), 51]
    # a problem line is not an answer, nor an answer a problem line, nor an answer without its line
    assert fits(schema, {**got[1], "decision": "fee"})
    assert fits(schema, {k: v for k, v in got[0].items() if k != "line"})
    spec = json.loads(call(app, "GET", "/v1/openapi.json")[2])
    asked = spec["paths"]["/v1/batch/csba/fee"]["post"]["parameters"]
    assert [p["name"] for p in asked] == ["marketplace", "at", "explain"]  # (`explain` was not described)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"input": {"units": 5}, "marketplace": "us", "at": "2024-06-01"}', 200),
        (b'{"input": {"units": 5}, "marketplace": "us", "at": "2024-06-01", "explain": true}', 200),
        (b'{"input": {"units": -1}, "marketplace": "us", "explain": true}', 422),
        (b'{"input": [], "marketplace": "us"}', 422),
        (b"{not json", 400),
        (b'{"input": {"units": 1}, "marketplace": "fr"}', 404),
        (b'{"input": {"units": 1' + b"0" * 10000 + b'}, "marketplace": "us"}', 413),
    ],
)
def test_every_decide_answer_fits_its_published_schema(app: App, body: bytes, status: int) -> None:
    got, _, data = call(app, "POST", "/v1/decide/csba/fee", body)
    answer = json.loads(data)
    assert got == status
    assert not fits(published(app, "/v1/decide/csba/fee", status), answer), fits(
        published(app, "/v1/decide/csba/fee", status), answer
    )


@pytest.mark.parametrize(("at", "until"), [("2024-06-01", {"day": "2025-01-01"}), ("2025-06-01", None)])
def test_an_explained_answer_whose_value_ends_on_a_known_day_fits_its_published_schema(
    init_starter: Path, tmp_path: Path, at: str, until: dict[str, str] | None
) -> None:
    """`until` is the day a value ends, whenever a change follows it; its `assumption` only when
    that day is assumed. The published schema required the assumption, so an answer read by a
    value with a confirmed end (the starter's 30 days, until 2025-01-01) did not fit it."""
    path = tmp_path / "policies.bundle"
    path.write_bytes(make(engine.load(str(init_starter / "policies"))))
    source = Source(str(path), None)
    source.load()
    app = App(source, Limits(), Log(io.StringIO()), poll=0)
    request = {"input": {"days_since_delivery": 3}, "marketplace": "us", "at": at, "explain": True}
    status, _, data = call(app, "POST", "/v1/decide/returns/return_allowed", json.dumps(request).encode())
    answer = json.loads(data)
    assert status == 200 and answer["params"]["return_window_days"].get("until") == until
    assert not fits(published(app, "/v1/decide/returns/return_allowed", 200), answer)


@pytest.mark.parametrize(
    ("when", "explaining_fails", "answered", "explained"),
    [("false", False, 200, 200), ("false", True, 200, 422), ("days_since_delivery > 1000", False, 422, 422)],
    ids=["row skipped", "explaining fails on its own", "row tried"],
)
def test_an_explained_answers_status_follows_its_problems(
    init_repo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    when: str,
    explaining_fails: bool,
    answered: int,
    explained: int,
) -> None:
    """An explanation explains the answer given: a row whose `when` is always false is skipped,
    `let`s and all (the explanation met a division by zero there where the answer answered, and
    said it with 200); a row false for these inputs only is tried, its outputs' `let` first, and
    fails in both (422, its row's `matched` null, which the published schema refused). Were an
    explanation to meet an error of its own (its code is its own: a bundle's is checked apart),
    /v1/decide says 422 with it, as `decide --explain` exits 1. A batch's status is sent before
    its lines are read: each line says its own problems, the explanation's."""
    decision = init_repo / "policies" / "returns" / "decisions" / "return_allowed.yaml"
    text = decision.read_text(encoding="utf-8")
    decision.write_text(text.replace("hit: first\nrules:\n", COLLECTED_ROW.format(when=when), 1), encoding="utf-8")
    path = tmp_path / "policies.bundle"
    path.write_bytes(make(engine.load(str(init_repo / "policies"))))
    source = Source(str(path), None)
    source.load()
    app = App(source, Limits(), Log(io.StringIO()), poll=0)
    if explaining_fails:  # an explanation that meets an error of its own, which the answer does not
        from dataclasses import replace

        from engine.decisions.answer import CompiledDecision
        from engine.decisions.result import decision_result
        from engine.problems import Problem

        def failing(self: CompiledDecision, inputs: Any, params: Any, at: str) -> Any:
            problem = Problem.at(self.decision.pos, "D005", "met only explaining")
            return replace(
                explain(self, inputs, params, at),
                result=decision_result(self.decision.id, {}, (), (), False, (problem,), (self, inputs, params, at)),
            )

        explain = CompiledDecision.explain
        monkeypatch.setattr(CompiledDecision, "explain", failing)
    plain = {"input": {"days_since_delivery": 0}, "marketplace": "us", "at": "2024-06-01"}
    route = "/v1/decide/returns/return_allowed"
    status, _, data = call(app, "POST", route, json.dumps(plain).encode())
    answer = json.loads(data)
    assert status == answered and not fits(published(app, route, status), answer)
    status, _, data = call(app, "POST", route, json.dumps({**plain, "explain": True}).encode())
    said = json.loads(data)
    assert status == explained and not fits(published(app, route, status), said), fits(
        published(app, route, status), said
    )
    codes = [p["code"] for p in said["problems"]]
    assert codes == ([] if explained == 200 else ["D005"]), said
    if not explaining_fails:  # the answer, explained
        assert {k: said[k] for k in answer} == answer
    query = "marketplace=us&at=2024-06-01&explain=true"
    status, _, body = call(app, "POST", "/v1/batch/returns/return_allowed", b'{"days_since_delivery": 0}\n', query)
    [line] = [json.loads(line) for line in body.splitlines()]
    assert status == 200 and [p["code"] for p in line["problems"]] == codes


def test_a_body_declared_over_the_limit_is_413_at_once(app: App) -> None:
    """A Content-Length over --max-body is refused before the body is awaited: it was 408 after the
    whole --timeout (30 s by default) spent waiting for bytes that were never coming."""
    started = time.perf_counter()
    status, _, body = call(app, "POST", "/v1/decide/csba/fee", b"{}", length=99_999_999)
    assert status == 413 and json.loads(body)["problems"][0]["code"] == "A002"
    assert time.perf_counter() - started < app.limits.timeout / 2


def test_a_batch_past_its_line_limit_ends_with_a_problem_line(app: App) -> None:
    text = "\n".join(['{"units": 5}'] * 60) + "\n"  # the fixture's limit is 50
    status, _, body = call(app, "POST", "/v1/batch/csba/fee", text.encode(), "marketplace=us")
    lines = [json.loads(line) for line in body.decode().splitlines()]
    assert status == 200 and len(lines) == 51
    assert lines[-1]["problems"][0]["code"] == "A002" and lines[-1]["line"] == 51
    assert lines[-1]["problems"][0]["line"] == 51  # (the problem itself said line 1)


@pytest.mark.parametrize("ends", [True, False])
@pytest.mark.parametrize("chunks", [1, 7, 40])
def test_a_batch_line_longer_than_one_input_may_be_is_refused_on_its_line(app: App, ends: bool, chunks: int) -> None:
    """A batch's line is one input, and one input may be --max-body bytes, as /v1/decide's body. A
    longer line (or one that never ends) was gathered up to --max-batch-body (64 MiB), the line so
    far copied again at each piece of the body: one request of one long line held a worker's CPU
    for the whole --timeout. It is refused on its line, and the lines after it are answered."""
    long = '{"units": 5, "note": "' + "x" * app.limits.max_body + '"}'
    text = '{"units": 5}\n' + long + ("\n" + '{"units": 6}\n' if ends else "")
    status, _, body = call(app, "POST", "/v1/batch/csba/fee", text.encode(), "marketplace=us", chunks=chunks)
    lines = [json.loads(line) for line in body.decode().splitlines()]
    assert status == 200
    assert [line["line"] for line in lines] == ([1, 2, 3] if ends else [1, 2])
    assert "outputs" in lines[0] and (not ends or "outputs" in lines[2])
    (problem,) = lines[1]["problems"]
    assert (problem["code"], problem["line"], problem["column"]) == ("A002", 2, 1)
    assert problem["message"] == f"the line is longer than the limit of {app.limits.max_body:,} bytes of one input"
    assert problem["hint"] == "send each input in at most --max-body bytes, as a POST /v1/decide body"


def test_api_help_says_what_each_limit_limits() -> None:
    """`--max-batch-body` and `--max-batch-lines` had no help text, and `--max-body` did not say it
    is also the limit of one line of a batch (A002 on that line, the lines after it answered)."""
    from support import run_cli

    said = " ".join(run_cli("api", "--help").out.split())
    assert "and of one line of a batch (A002 on that line)" in said, said
    assert "--max-batch-body BYTES Largest body of one batch" in said, said
    assert "--max-batch-lines N Most input lines of one batch" in said, said


def test_a_batch_stopped_by_its_deadline_names_the_first_line_not_answered(app: App) -> None:
    """It named the last line answered, where the line limit names the first one not answered."""
    import asyncio

    slow = App(app.source, Limits(timeout=0.2), Log(io.StringIO()), poll=0)
    sent: list[dict[str, Any]] = []
    first = [{"type": "http.request", "body": b'{"units": 5}\n{"units": 6}\n', "more_body": True}]

    async def receive() -> dict[str, Any]:
        if first:
            return first.pop()
        await asyncio.sleep(10)  # the rest of the body never comes
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/batch/csba/fee", "query_string": b"marketplace=us"}
    asyncio.run(slow(scope, receive, send))
    lines = [json.loads(line) for m in sent[1:] for line in m.get("body", b"").decode().splitlines()]
    assert [a["problems"] for a in lines[:2]] == [[], []] and lines[2]["problems"][0]["code"] == "A003", lines
    assert lines[2]["line"] == lines[2]["problems"][0]["line"] == 3, lines[2]


def test_batch_query_problems_come_before_any_answer(app: App) -> None:
    for query, status, code in (
        ("", 400, "A001"),
        ("marketplace=fr", 404, "L004"),
        ("marketplace=us&at=soon", 400, "A001"),
        ("marketplace=us&explain=maybe", 400, "A001"),
    ):
        got, _, body = call(app, "POST", "/v1/batch/csba/fee", b'{"units": 1}\n', query)
        assert got == status and json.loads(body)["problems"][0]["code"] == code


def test_programs_lists_decisions_with_schemas_and_openapi_uses_them(app: App, repo: Any) -> None:
    status, headers, body = call(app, "GET", "/v1/programs")
    catalogue = json.loads(body)
    assert status == 200 and catalogue["revision"] == headers["policy-revision"]
    fee = next(d for p in catalogue["programs"] if p["id"] == "csba" for d in p["decisions"] if d["id"] == "fee")
    decision = repo.programs["csba"].decisions["fee"]
    assert fee["input_schema"]["properties"] == decision.inputs
    assert fee["input_schema"]["required"] == list(decision.required)
    assert set(catalogue["marketplaces"]) == set(repo.marketplaces)
    status, _, body = call(app, "GET", "/v1/openapi.json")
    spec = json.loads(body)
    assert spec["openapi"].startswith("3.1")
    request = spec["paths"]["/v1/decide/csba/fee"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert request["properties"]["input"]["properties"] == decision.inputs
    assert set(request["properties"]["marketplace"]["enum"]) == set(
        next(p for p in catalogue["programs"] if p["id"] == "csba")["marketplaces"]
    )


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("marketplace=us&marketplace=de", "the query parameter `marketplace` is given twice"),
        ("marketplace=us&at=2024-06-30&at=2022-01-01", "the query parameter `at` is given twice"),
        ("marketplace=us&bogus=1", "unknown query parameter `bogus`"),
    ],
)
def test_a_batch_query_is_read_as_strictly_as_a_decide_body(app: App, query: str, said: str) -> None:
    """The last of two `marketplace` won (answered in EUR for `de`); unknown keys were ignored."""
    status, _, body = call(app, "POST", "/v1/batch/csba/fee", b'{"units": 5}\n', query=query)
    assert status == 400 and json.loads(body)["problems"][0]["message"] == said, body


def test_null_optional_fields_are_fields_not_given(app: App) -> None:
    """`"at": null` was today and `"explain": null` a 400: both are as if left out."""
    body = b'{"input": {"units": 5}, "marketplace": "us", "at": null, "explain": null}'
    status, _, out = call(app, "POST", "/v1/decide/csba/fee", body)
    assert status == 200 and "explanation" not in json.loads(out), out


def test_a_refused_request_is_counted_under_its_route(app: App) -> None:
    """A 400 or 404 of /v1/decide and /v1/batch was counted under `route="other"`: per-route error
    rates showed none."""
    counted = App(app.source, app.limits, Log(io.StringIO()), poll=0)
    call(counted, "POST", "/v1/decide/csba/fee", b'{"input": {}, "marketplace": "us", "at": "someday"}')
    call(counted, "POST", "/v1/batch/csba/fee", b"{}", query="marketplace=zz")
    call(counted, "GET", "/nowhere")
    text = call(counted, "GET", "/metrics")[2].decode()
    assert 'route="decide",status="400"' in text and 'route="batch",status="404"' in text, text
    assert 'route="other",status="404"' in text


def test_health_readiness_and_metrics(app: App) -> None:
    status, headers, body = call(app, "GET", "/healthz")
    assert status == 200 and json.loads(body) == {"status": "ok", "revision": headers["policy-revision"]}
    status, _, body = call(app, "GET", "/readyz")
    assert status == 200 and json.loads(body)["ready"] is True
    call(app, "POST", "/v1/decide/csba/fee", b'{"input": {"units": 5}, "marketplace": "us"}')
    status, headers, body = call(app, "GET", "/metrics")
    text = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4")
    assert 'route="decide",status="200"' in text and "policyctl_request_seconds_bucket" in text
    assert f'revision="{headers["policy-revision"]}"' in text and "policyctl_request_errors_total" in text


def test_a_port_already_taken_is_a_usage_error(app: App) -> None:
    """uvicorn says so in a log line and exits 3; policyctl asks first and answers as for any usage
    error (exit 2, what and a hint), before loading anything."""
    from engine.service import server
    from support import run_cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert server.cannot_listen("127.0.0.1", port) is not None  # (else the command below would serve)
        run = run_cli("api", "--bundle", str(app.source.bundle_file), "--port", str(port))
    assert run.code == 2 and f"cannot listen on 127.0.0.1:{port}:" in run.err and "hint: choose another" in run.err
    assert server.cannot_listen("127.0.0.1", port) is None  # free again


def test_a_bundle_is_served_from_a_folder_of_no_repository(app: App, tmp_path: Path) -> None:
    """`api --bundle FILE` needs no policy repository (the image's `policyctl api --bundle
    /bundle/policies.bundle` runs in `/`): it stopped with "no policy repository in ... or above
    it". Here it gets as far as the port (taken, so that the command ends)."""
    from support import run_cli

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = run_cli("api", "--bundle", str(app.source.bundle_file), "--port", str(port), cwd=tmp_path)
    assert run.code == 2 and run.err.startswith(f"policyctl: error: cannot listen on 127.0.0.1:{port}:"), run
    assert run_cli("api", "--port", str(port), cwd=tmp_path).err.startswith("policyctl: error: no policy repository")


def test_the_service_names_files_from_the_top_wherever_it_runs(
    init_starter: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bundle made with `--root /abs/path` named its files so, and the service published the
    builder's folders in explained rows and `params.from`; `api --root` (a bundle made in memory)
    did so from wherever it was started, with a revision of its own. Both name files from the
    repository's top, even when the service runs inside a clone, with the same revision."""
    from support import run_cli

    out = tmp_path / "policies.bundle"
    assert run_cli("bundle", "--root", str(init_starter), "--out", str(out)).code == 0
    monkeypatch.chdir(init_starter / "policies")
    question = {"input": {"days_since_delivery": 40}, "marketplace": "us", "at": "2024-06-01", "explain": True}
    revisions = set()
    for source in (Source(str(out), None), Source(None, str(init_starter / "policies"))):
        source.load()
        app = App(source, Limits(), Log(io.StringIO()), poll=0)
        status, headers, body = call(app, "POST", "/v1/decide/returns/return_allowed", json.dumps(question).encode())
        answer = json.loads(body)
        decision = "policies/returns/decisions/return_allowed.yaml"
        assert status == 200 and [r["at"] for r in answer["rows"]] == [f"{decision}:14", f"{decision}:18"], answer
        assert answer["params"]["return_window_days"]["from"] == "policies/returns/program.yaml:18"
        revisions.add(headers["policy-revision"])
    assert len(revisions) == 1


def test_not_ready_without_a_bundle() -> None:
    app = App(Source("/nonexistent.bundle", None), log=Log(io.StringIO()), poll=0)
    assert call(app, "GET", "/readyz")[0] == 503
    assert call(app, "GET", "/healthz")[0] == 200
    status, _, body = call(app, "POST", "/v1/decide/csba/fee", b"{}")
    assert status == 503 and json.loads(body)["problems"][0]["code"] == "A004"


def test_logs_are_json_lines(app: App) -> None:
    stream = io.StringIO()
    logged = App(app.source, app.limits, Log(stream), poll=0)
    call(logged, "POST", "/v1/decide/csba/fee", b'{"input": {"units": 5}, "marketplace": "us"}')
    call(logged, "GET", "/v1/\nforged")
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["status"] for r in records] == [200, 404]
    assert records[1]["path"] == "/v1/\nforged" and all(r["event"] == "request" for r in records)


# -- a real server on 127.0.0.1 ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.log = open(os.devnull, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "cli.py"), "api", "--port", str(self.port), *args],
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(self.process.stderr.read().decode())  # type: ignore[union-attr]  # a PIPE
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("the service did not become ready in 30 s")

    def request(
        self, method: str, path: str, body: bytes | None = None, conn: http.client.HTTPConnection | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers={"content-type": "application/json"})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            if own:
                conn.close()

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        return self.request("GET", path)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        self.log.close()
        if self.process.stderr is not None:
            self.process.stderr.close()


@pytest.fixture
def two_bundles(tmp_path: Path) -> tuple[Path, Path]:
    """The made-up `loans` repository as two bundles whose late fees differ."""
    first = tmp_path / "a"
    shutil.copytree(MINI, first)
    second = tmp_path / "b"
    shutil.copytree(MINI, second)
    edit(second / "loans" / "program.yaml", "fee: 0.25}", "fee: 0.3}")
    paths = []
    for name, folder in (("a.bundle", first), ("b.bundle", second)):
        repo = engine.load(str(folder))
        assert not repo.problems
        (tmp_path / name).write_bytes(make(repo))
        paths.append(tmp_path / name)
    return paths[0], paths[1]


@pytest.fixture
def server_on(tmp_path: Path) -> Iterator[Any]:
    started: list[Server] = []

    def start(*args: str) -> Server:
        started.append(Server(*args))
        return started[-1]

    yield start
    for s in started:
        s.stop()


def test_the_server_answers_refuses_and_limits_over_http(server_on: Any, tmp_path: Path) -> None:
    server = server_on("--bundle", str(_bundle(tmp_path)), "--max-body", "2000", "--no-access-log")
    status, headers, body = server.request(
        "POST",
        "/v1/decide/csba/fee",
        b'{"input": {"units": 1000, "contacts": 40}, "marketplace": "us", "at": "2024-06-01"}',
    )
    answer = json.loads(body)
    assert status == 200 and answer["outputs"]["total"] == 100.0 and answer["revision"] == headers["policy-revision"]
    status, _, body = server.request(
        "POST", "/v1/decide/csba/fee", b'{"input": {"units": 1}, "pad": "' + b"x" * 5000 + b'"}'
    )
    assert status == 413 and json.loads(body)["problems"][0]["code"] == "A002"
    status, _, body = server.request("POST", "/v1/decide/nope/fee", b'{"input": {}, "marketplace": "us"}')
    assert status == 404 and json.loads(body)["problems"][0]["code"] == "L004"
    status, _, body = server.request("POST", "/v1/decide/csba/fee", b'{"input": {"units": "x"}, "marketplace": "us"}')
    assert status == 422 and json.loads(body)["problems"][0]["code"] == "D004"
    status, _, body = server.request(
        "POST", "/v1/batch/csba/fee?marketplace=us&at=2024-06-01", b'{"units": 5}\n{"units": 1000, "contacts": 40}\n'
    )
    assert status == 200 and [json.loads(x)["outputs"]["total"] for x in body.splitlines()] == [1.25, 100.0]


def _bundle(tmp_path: Path) -> Path:
    path = tmp_path / "policies.bundle"
    path.write_bytes(make(engine.load(str(POLICIES))))
    return path


def test_a_bundle_that_cannot_be_used_stops_the_command(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bundle"
    bad.write_text("not a bundle\n")
    run = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "api", "--bundle", str(bad), "--port", str(free_port())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1 and "error[B001]" in run.stderr and "Traceback" not in run.stderr


def test_bundle_swapped_under_load_never_mixes_or_fails(
    server_on: Any, two_bundles: tuple[Path, Path], tmp_path: Path
) -> None:
    first, second = two_bundles
    live = tmp_path / "live.bundle"
    shutil.copyfile(first, live)
    server = server_on("--bundle", str(live), "--poll", "0.05", "--no-access-log")
    question = {"input": {"days_late": 7, "member": True}, "marketplace": "nl", "at": "2024-05-01"}
    expected = {}  # revision -> the answer that bundle gives
    for path in (first, second):
        bundle = engine.load_bundle(str(path))
        from engine.service.state import from_file

        expected[from_file(str(path)).revision] = cli_answer(
            bundle, "loans", "late_fee", "nl", "2024-05-01", question["input"]
        )
    assert len(expected) == 2 and len({json.dumps(v) for v in expected.values()}) == 2
    body = json.dumps(question).encode()
    seen: list[tuple[int, str, str, dict[str, Any]]] = []
    stop = threading.Event()
    lock = threading.Lock()

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        try:
            for _ in range(3000):  # bounded in count, and in time below
                if stop.is_set():
                    break
                status, headers, data = server.request("POST", "/v1/decide/loans/late_fee", body, conn)
                answer = json.loads(data)
                with lock:
                    seen.append((status, headers.get("policy-revision", ""), answer.pop("revision", ""), answer))
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    # publish: write the new bundle beside the live one and rename it into place, a few times
    deadline = time.monotonic() + 20
    swaps = 0
    for source in (second, first, second, first, second, first):
        staged = tmp_path / ".staged.bundle"
        shutil.copyfile(source, staged)
        os.replace(staged, live)
        swaps += 1
        target = next(r for r, _ in _by_revision(expected, source))
        while time.monotonic() < deadline and json.loads(server.get("/readyz")[2])["revision"] != target:
            time.sleep(0.02)
        # the clients go on asking the bundle now live: eight of them answer thousands of requests a
        # second, so a twentieth of a second is hundreds of answers per swap (the time is the load:
        # the server and the clients burn a core for as long as it lasts)
        time.sleep(0.05)
    # a damaged publish is refused: the service keeps answering from the last good bundle
    (tmp_path / ".bad").write_bytes(second.read_bytes()[:-50])
    os.replace(tmp_path / ".bad", live)
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join(30)
    assert swaps == 6 and seen
    assert all(status == 200 for status, *_ in seen), {s for s, *_ in seen}
    for _, header, field, answer in seen:
        assert header == field and answer == expected[field]
    assert {field for _, _, field, _ in seen} == set(expected)  # both bundles answered
    metrics = server.get("/metrics")[2].decode()
    assert 'outcome="ok"} 6' in metrics and 'outcome="refused"} 1' in metrics


def _by_revision(expected: dict[str, Any], path: Path) -> list[tuple[str, Any]]:
    from engine.service.state import from_file

    revision = from_file(str(path)).revision
    return [(revision, expected[revision])]


@pytest.mark.parametrize(
    ("path", "body", "query", "message", "hint"),
    [
        # a batch's `explain` is in its query: the hint told to send it in a JSON body
        (
            "/v1/batch/csba/fee",
            b'{"units": 5}\n',
            "marketplace=us&explain=yes",
            "`explain` is not true or false",
            "ask ?marketplace=ID[&at=YYYY-MM-DD][&explain=true], each once",
        ),
        # JSON values as JSON writes them, not as Python does (`['2024-06-01']`, `True`)
        (
            "/v1/decide/csba/fee",
            b'{"input": {"units": 5}, "marketplace": "us", "at": ["2024-06-01"]}',
            "",
            'expected a date string (YYYY-MM-DD), got `["2024-06-01"]`',
            "write a date in the form YYYY-MM-DD, such as 2024-03-01",
        ),
        (
            "/v1/decide/csba/fee",
            b'{"input": {"units": 5}, "marketplace": "us", "at": true}',
            "",
            "expected a date string (YYYY-MM-DD), got `true`",
            "write a date in the form YYYY-MM-DD, such as 2024-03-01",
        ),
        # a marketplace that is not text is named, not said to be missing
        (
            "/v1/decide/csba/fee",
            b'{"input": {"units": 5}, "marketplace": ["us"]}',
            "",
            '`marketplace` is `["us"]`, not a marketplace id',
            "one of: de, us",
        ),
    ],
)
def test_a_refused_request_says_what_was_sent_and_how_to_send_it(
    app: App, path: str, body: bytes, query: str, message: str, hint: str
) -> None:
    status, _, data = call(app, "POST", path, body, query)
    problem = json.loads(data)["problems"][0]
    assert (status, problem["code"], problem["message"], problem["hint"]) == (400, "A001", message, hint)


@pytest.mark.parametrize("query", ["at=2022-06-01", "marketplace=de", "explain=true", "x"])
def test_a_decide_request_with_a_query_is_refused_not_answered_for_another_question(app: App, query: str) -> None:
    """The batch endpoint takes `?marketplace=&at=&explain=`; /v1/decide ignored them without a word:
    `?at=2022-06-01` was answered for today (another fee), `?marketplace=de` for the body's marketplace."""
    body = b'{"input": {"units": 1000, "contacts": 40}, "marketplace": "us"}'
    status, _, data = call(app, "POST", "/v1/decide/csba/fee", body, query)
    problem = json.loads(data)["problems"][0]
    name = query.split("=")[0]
    assert (status, problem["code"], problem["message"]) == (400, "A001", f"unknown query parameter `{name}`")
    assert (
        problem["hint"]
        == 'send {"input": {...}, "marketplace": "...", "at": "YYYY-MM-DD", "explain": false} as the body'
    )
    assert call(app, "POST", "/v1/decide/csba/fee", body, "")[0] == 200


# (a batch's body, sent in how many chunks -> the lines of its answer, without `revision`, as
# (line, its problems' (line, column, code, message start)) or (line, the decision answered)
ONE_OBJECT_BATCHES = {
    "one pretty-printed object": (
        '{\n  "units": 5,\n  "contacts": 0\n}\n',
        [(1, [(1, 1, "D004", "a batch holds one object per line, but this object goes on over the next lines")])],
    ),
    "after a blank line, indented, in bytes cut anywhere": (
        '\n  {"units": 5,\n   "contacts": 0}\n',
        [(2, [(2, 3, "D004", "a batch holds one object per line, but this object goes on")])],
    ),
    "a first line cut short, then a line of its own": (
        '{"units": 5\n{"units": 6}\n',
        [(1, [(1, 12, "D004", "not valid JSON: it ends inside an object")]), (2, "fee")],
    ),
    "one line cut short": ('{"units": 5\n', [(1, [(1, 12, "D004", "not valid JSON: it ends inside an object")])]),
    "lines of their own": ('{"units": 5}\n\n{"units": 6}\n', [(1, "fee"), (3, "fee")]),
}


@pytest.mark.parametrize("chunks", [1, 5])
@pytest.mark.parametrize("text, said", ONE_OBJECT_BATCHES.values(), ids=ONE_OBJECT_BATCHES.keys())
def test_a_batch_that_is_one_pretty_printed_object_is_said_once(
    app: App, text: str, said: list[tuple[int, Any]], chunks: int
) -> None:
    """A pretty-printed object sent to /v1/batch got a problem on each of its lines (the first's
    hint "finish it and close it with `}`"), where `decide` says it once of a `.jsonl` file: said
    once, with the way out (POST it to /v1/decide); a batch that only begins with a line cut short
    is answered line by line as before."""
    status, _, body = call(app, "POST", "/v1/batch/csba/fee", text.encode(), "marketplace=us&at=2024-06-01", chunks)
    assert status == 200, body
    got = []
    for line in body.decode().splitlines():
        answer = json.loads(line)
        problems = [(p["line"], p["column"], p["code"], p["message"]) for p in answer["problems"]]
        decided = answer.get("decision")
        got.append((answer["line"], decided if decided and not problems else problems))
    assert [g[0] for g in got] == [s[0] for s in said], got
    for (line, ours), (_, expected) in zip(got, said):
        if isinstance(expected, str):
            assert ours == expected, (line, ours)
        else:
            assert [(p[0], p[1], p[2]) for p in ours] == [e[:3] for e in expected], (line, ours)
            assert all(p[3].startswith(e[3]) for p, e in zip(ours, expected)), (line, ours)
    if said[0][1] != "fee" and "goes on" in str(said[0][1]):
        hint = json.loads(body.decode().splitlines()[0])["problems"][0]["hint"]
        assert hint.endswith("for one input written over several lines, POST it to /v1/decide"), hint
