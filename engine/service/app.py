"""The decision service as an ASGI application, written by hand.

Seven routes, JSON in and out: a framework would add a router, request and response objects and
their dependencies to every request's few microseconds of work, and nothing the service needs
(see README, "Dependencies, and why"). Any ASGI server runs it; `policyctl api` uses uvicorn.

    POST /v1/decide/{program}/{decision}   {"input": {...}, "marketplace": "us", "at": "2024-06-01", "explain": false}
                                           (the answer says the `at` and `time_zone` it was given for)
    POST /v1/batch/{program}/{decision}?marketplace=us&at=2024-06-01[&explain=true]   JSON Lines in, JSON Lines out
                                           (each line with its input's `line`, each answer its `at` and `time_zone` too)
    GET  /v1/programs   GET /v1/openapi.json   GET /healthz   GET /readyz   GET /metrics

Every answer carries the revision of the bundle that gave it, in the `Policy-Revision` header and
a `revision` field. A request reads the current bundle once, so a swap never mixes two bundles in
one answer. Bad requests get the problem JSON `policyctl decide` prints, with a 4xx status.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from engine.decisions.batch import (
    BOM,
    MAX_ANSWER,
    SEVERAL_ON_A_LINE,
    _explained,
    _explained_failed,
    _not_json,
    _not_text,
    blank,
    decided_for,
    goes_on,
    line_encoder,
    not_finite,
    one_document,
    read_json,
)
from engine.decisions.batch import _too_large as _answer_too_large
from engine.problems import ASKED, PolicyError, Pos, Problem
from engine.service.logs import Log
from engine.service.metrics import Metrics
from engine.service.state import Loaded, Source

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

REQUEST = "<request>"  # the `file` of problems about a request body (the CLI says <stdin>)
_FIELDS = frozenset(("input", "marketplace", "at", "explain"))
_CHUNK = 256  # batch answers sent per write


@dataclass(frozen=True)
class Limits:
    max_body: int = 1024 * 1024  # one decision's request body, bytes
    max_batch_body: int = 64 * 1024 * 1024  # a batch's body, bytes
    max_batch_lines: int = 100_000
    timeout: float = 30.0  # seconds from a request's start to its last byte read or answer written


class _Refused(Exception):
    """A request answered with a problem: status, problems, extra headers."""

    def __init__(self, status: int, problems: list[Problem], headers: list[tuple[bytes, bytes]] | None = None) -> None:
        self.status, self.problems, self.headers = status, problems, headers or []


class App:
    def __init__(self, source: Source, limits: Limits = Limits(), log: Log | None = None, poll: float = 2.0) -> None:
        self.source, self.limits, self.poll = source, limits, poll
        self.log = log if log is not None else Log()
        self.metrics = Metrics()
        self.loaded_at: float | None = time.time() if source.current is not None else None
        self._openapi: tuple[str, bytes] | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._reloading: asyncio.Lock | None = None

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    # -- lifespan: the poller and SIGHUP ---------------------------------------------------------

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except PolicyError as e:
                    await send({"type": "lifespan.startup.failed", "message": "; ".join(map(str, e.problems))})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for task in self._tasks:
                    task.cancel()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def startup(self) -> None:
        self._reloading = asyncio.Lock()
        self._loaded(self.source.current or self.source.load(), "loaded")
        loop = asyncio.get_running_loop()
        try:  # SIGHUP: load the bundle again now (the main thread of a Unix process only)
            loop.add_signal_handler(signal.SIGHUP, lambda: self._tasks.append(loop.create_task(self.reload("SIGHUP"))))
        except (NotImplementedError, RuntimeError, ValueError, AttributeError):
            pass
        if self.source.bundle_file is not None and self.poll > 0:
            self._tasks.append(loop.create_task(self._watch()))

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.poll)
            if self.source.changed():
                await self.reload("file changed")

    async def reload(self, why: str) -> None:
        """Load the bundle again, off the event loop; swap it in only when it verifies and compiles."""
        assert self._reloading is not None
        async with self._reloading:
            loaded, error = await asyncio.to_thread(self.source.reload)
        if loaded is not None:
            self._loaded(loaded, "swapped", why=why)
        elif error is not None:
            self.metrics.reloads["refused"] += 1
            current = self.source.current
            self.log.event(
                "error",
                "bundle refused",
                why=why,
                problems=[p.to_json() for p in error.problems],
                serving=current.revision if current else None,
            )

    def _loaded(self, loaded: Loaded, what: str, **fields: Any) -> None:
        if what == "swapped":
            self.metrics.reloads["ok"] += 1
        self.loaded_at = time.time()
        self.log.event("info", f"bundle {what}", revision=loaded.revision, origin=loaded.origin, **fields)

    # -- requests ---------------------------------------------------------------------------------

    async def _http(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        start = time.perf_counter()
        deadline = start + self.limits.timeout
        loaded = self.source.current  # read once: this request is answered from this bundle only
        method, path = scope["method"], scope["path"]
        if method == "HEAD":
            send = _headers_only(send)
        route, status = _route_of(path), 500  # (a refused request is counted under its route too)
        try:
            route, status = await self._route(method, path, scope, receive, send, loaded, deadline)
        except _Refused as e:
            status = e.status
            await _send_json(
                send,
                status,
                {"problems": [p.to_json() for p in e.problems], "revision": _rev(loaded)},
                loaded,
                e.headers,
            )
        finally:
            seconds = time.perf_counter() - start
            self.metrics.observe(route, status, seconds)
            self.log.request(
                method=method, path=path, status=status, ms=round(seconds * 1000, 3), revision=_rev(loaded)
            )

    async def _route(
        self,
        method: str,
        path: str,
        scope: dict[str, Any],
        receive: Receive,
        send: Send,
        loaded: Loaded | None,
        deadline: float,
    ) -> tuple[str, int]:
        parts = path.split("/")
        if len(parts) == 5 and parts[1] == "v1" and parts[2] in ("decide", "batch"):
            route = parts[2]
            _allow(method, "POST")
            if loaded is None:
                raise _Refused(503, [_problem("A004", "no bundle is loaded yet", "try again shortly (see /readyz)")])
            if route == "decide":
                return route, await self._decide(parts[3], parts[4], scope, receive, send, loaded, deadline)
            return route, await self._batch(parts[3], parts[4], scope, receive, send, loaded, deadline)
        if path == "/healthz":
            _allow(method, "GET")
            await _send_json(send, 200, {"status": "ok", "revision": _rev(loaded)}, loaded)
            return "healthz", 200
        if path == "/readyz":
            _allow(method, "GET")
            status = 200 if loaded is not None else 503
            await _send_json(send, status, {"ready": loaded is not None, "revision": _rev(loaded)}, loaded)
            return "readyz", status
        if path == "/metrics":
            _allow(method, "GET")
            text = self.metrics.text(_rev(loaded), self.loaded_at).encode()
            await _send(send, 200, text, b"text/plain; version=0.0.4; charset=utf-8", loaded)
            return "metrics", 200
        if path in ("/v1/programs", "/v1/openapi.json"):
            _allow(method, "GET")
            if loaded is None:
                raise _Refused(503, [_problem("A004", "no bundle is loaded yet", "try again shortly (see /readyz)")])
            if path == "/v1/programs":
                await _send_json(send, 200, {**loaded.catalogue, "revision": loaded.revision}, loaded)
                return "programs", 200
            await _send(send, 200, self._openapi_of(loaded), b"application/json", loaded)
            return "openapi", 200
        raise _Refused(
            404,
            [
                _problem(
                    "A004",
                    f"no endpoint `{_show(path)}`",
                    "see GET /v1/openapi.json; decisions are at POST /v1/decide/PROGRAM/DECISION",
                )
            ],
        )

    def _openapi_of(self, loaded: Loaded) -> bytes:
        cached = self._openapi
        if cached is None or cached[0] != loaded.revision:
            from engine.service.openapi import describe

            cached = self._openapi = (
                loaded.revision,
                json.dumps(describe(loaded.catalogue, loaded.revision, _version()), ensure_ascii=False).encode(),
            )
        return cached[1]

    # -- one decision -----------------------------------------------------------------------------

    async def _decide(
        self,
        program: str,
        decision: str,
        scope: dict[str, Any],
        receive: Receive,
        send: Send,
        loaded: Loaded,
        deadline: float,
    ) -> int:
        bundle = loaded.bundle
        compiled = _compiled(bundle, program, decision)
        # the question is the body's: a query (`?at=`, as the batch endpoint takes it) was ignored,
        # and the answer given for another day or marketplace than the caller asked
        asked = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if asked:
            raise _Refused(
                400,
                [_request_problem(f"unknown query parameter `{_show(asked[0][0])}`", f"{_DECIDE_SHAPE} as the body")],
            )
        declared = _content_length(scope)
        if declared is not None and declared > self.limits.max_body:  # 413 now, not 408 after waiting
            raise _too_large(self.limits.max_body)
        body = await _read(receive, self.limits.max_body, deadline)
        try:
            sent = body.decode("utf-8").removeprefix(BOM)
            request = read_json(sent)
        except UnicodeDecodeError as e:
            raise _Refused(400, [_not_text(REQUEST, 1, e)]) from None
        except (ValueError, RecursionError, UnicodeEncodeError) as e:
            raise _Refused(
                400,
                [_not_json(REQUEST, 1, e, 'send {"input": {...}, "marketplace": "..."} as JSON')],
            ) from None
        if not isinstance(request, dict):
            raise _Refused(400, [_request_problem("the request body is not a JSON object")])
        unknown = sorted(set(request) - _FIELDS)
        if unknown:
            raise _Refused(400, [_request_problem(f"unknown field `{_show(unknown[0])}` in the request")])
        if "input" not in request:
            raise _Refused(400, [_request_problem("the request has no `input`")])
        explain = request.get("explain")
        explain = False if explain is None else explain  # (null: not asked, as `at`'s null is today)
        if not isinstance(explain, bool):
            raise _Refused(400, [_request_problem("`explain` is not true or false")])
        resolved = _resolve(bundle, program, request.get("marketplace"), request.get("at"))
        params = bundle.params(program, resolved.marketplace.id, resolved.at)  # with the zone and timelines
        several = (
            f"send several inputs to POST /v1/batch/{program}/{decision}?marketplace={resolved.marketplace.id}, "
            "one JSON object per line"
        )
        # an input's problems are placed at the values they are about in the body (`input`'s)
        result = compiled.decide(request["input"], params, resolved.at, Pos(REQUEST), several, sent, ("input",))
        self.metrics.decisions += 1
        # the day it answered for, in the marketplace's zone: a caller that sent no `at` (today
        # there) can tell which day's rules answered, as an explanation tells it
        answer = _explained(result, resolved) if explain else {**result.to_json(), **decided_for(resolved)}
        answer["revision"] = loaded.revision
        try:
            text = json.dumps(answer, ensure_ascii=False, allow_nan=False)
        except ValueError:  # NaN or infinity is not JSON: refused, as the CLI refuses it
            raise _Refused(422, [not_finite(result, REQUEST, 1)]) from None
        if len(text) > MAX_ANSWER:  # refused, as the CLI refuses it
            raise _Refused(422, [_answer_too_large(REQUEST, 1, len(text))])
        data = text.encode()
        # the problems the body says, as `decide`'s exit code: an explanation runs code of its own
        status = 200 if result.ok and not (explain and _explained_failed(answer)) else 422
        await _send(send, status, data, b"application/json", loaded)
        return status

    # -- a batch, JSON Lines, answered as it arrives ----------------------------------------------------

    async def _batch(  # noqa: C901 - the streaming batch endpoint: limits, deadline and line loop belong together
        self,
        program: str,
        decision: str,
        scope: dict[str, Any],
        receive: Receive,
        send: Send,
        loaded: Loaded,
        deadline: float,
    ) -> int:
        bundle = loaded.bundle
        compiled = _compiled(bundle, program, decision)
        # blank values kept: `?at=` is a date that is not one (400), as `"at": ""` in /v1/decide's
        # body; dropped, it was read as no date at all, today
        pairs = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        query = dict(pairs)
        # as /v1/decide's body refuses an unknown or repeated field: a second `marketplace` silently
        # winning answered a batch for another marketplace than the caller checked
        for key in query:
            if key not in _BATCH_QUERY:
                raise _Refused(400, [_request_problem(f"unknown query parameter `{_show(key)}`", _BATCH_HINT)])
        if len(pairs) != len(query):
            twice = next(k for k in query if sum(1 for name, _ in pairs if name == k) > 1)
            raise _Refused(400, [_request_problem(f"the query parameter `{_show(twice)}` is given twice", _BATCH_HINT)])
        explain = query.get("explain", "false")
        if explain not in ("true", "false"):
            raise _Refused(400, [_request_problem("`explain` is not true or false", _BATCH_HINT)])
        resolved = _resolve(bundle, program, query.get("marketplace"), query.get("at"))
        size = _content_length(scope)
        if size is not None and size > self.limits.max_batch_body:
            raise _too_large(self.limits.max_batch_body)
        params = bundle.params(program, resolved.marketplace.id, resolved.at)  # with the zone and timelines
        day, revision, when = resolved.at, loaded.revision, decided_for(resolved)
        encode = line_encoder()  # (one C encoder for the request: `JSONEncoder.encode` makes one a call)
        decide = compiled.decide

        def answer(raw: bytes, number: int) -> str:
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                return encode(
                    {"line": number, "problems": [_not_text(REQUEST, number, e).to_json()], "revision": revision}
                )
            try:
                inputs = read_json(line)
            except (ValueError, RecursionError, UnicodeEncodeError) as e:
                problem = _not_json(REQUEST, number, e, "one JSON object per line")
                return encode({"line": number, "problems": [problem.to_json()], "revision": revision})
            # as `decide`'s batch: problems placed in the line
            result = decide(inputs, params, day, Pos(REQUEST, number, 1), SEVERAL_ON_A_LINE, line)
            # each line says the input line it answers (blank lines counted, as a problem line does) and
            # the day and zone it answered for, as /v1/decide's answer and the CLI's batch do
            said = _explained(result, resolved) if explain == "true" else {**result.to_json(), **when}
            body = {"line": number, **said, "revision": revision}
            try:
                text = encode(body)
            except ValueError:
                return encode(
                    {"line": number, "problems": [not_finite(result, REQUEST, number).to_json()], "revision": revision}
                )
            if len(text) > MAX_ANSWER:  # refused on its line, as the CLI's batch refuses it
                problem = _answer_too_large(REQUEST, number, len(text))
                return encode({"line": number, "problems": [problem.to_json()], "revision": revision})
            return text

        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/x-ndjson"), (b"policy-revision", revision.encode())],
            }
        )
        number, received, out = 0, 0, []
        # the line not ended yet, as the pieces it came in: joined once, when it ends (joined at each
        # piece, a long line cost the square of its length); None past the limit of one input, then
        # skipped to its end
        parts: list[bytes] | None = []
        held, line_limit = 0, self.limits.max_body
        stop: Problem | None = None
        opening, document = _FirstTwo(), None  # (a batch that is one pretty-printed object: said once)
        over_lines = False  # stopped at the line past the limit (else after the last line answered)
        more = True
        while more:
            try:
                message = await _within(receive, deadline)
            except asyncio.TimeoutError:
                stop = _problem(
                    "A003",
                    f"the batch took longer than {self.limits.timeout:g} s; answers stop here",
                    "send smaller batches",
                )
                break
            if message["type"] == "http.disconnect":
                return 499  # the client went away (nginx's code, for the metrics only)
            chunk = message.get("body", b"")
            more = message.get("more_body", False)
            received += len(chunk)
            if received > self.limits.max_batch_body:
                stop = _too_large(self.limits.max_batch_body).problems[0]
                break
            if received == len(chunk) and chunk.startswith(_BOM):  # the body's first bytes
                chunk = chunk[len(_BOM) :]
            pieces = chunk.split(b"\n")
            lines: list[bytes | None] = [*pieces[:-1]] if more else [*pieces]
            rest = pieces[-1] if more else b""
            if lines and parts != []:  # the line held ends in this piece
                lines[0] = None if parts is None else b"".join([*parts, pieces[0]])
                parts, held = [], 0
            if rest and parts is not None:
                parts.append(rest)
                held += len(rest)
                if held > line_limit:
                    parts, held = None, 0
            for raw in lines:
                number += 1
                if raw is not None and blank(raw):  # JSON Lines as `decide` reads them (engine.decisions.batch.blank)
                    continue
                if number > self.limits.max_batch_lines:
                    over_lines = True
                    stop = _problem(
                        "A002",
                        f"the batch has more than {self.limits.max_batch_lines:,} lines; answers stop here",
                        "send smaller batches",
                    )
                    break
                if raw is None or len(raw) > line_limit:  # refused on its line; a line held before it is answered
                    out += [answer(r, n) for r, n in opening.rest()]
                    opening.settled = True
                    too_long = Problem(
                        REQUEST,
                        number,
                        1,
                        "A002",
                        f"the line is longer than the limit of {line_limit:,} bytes of one input",
                        "send each input in at most --max-body bytes, as a POST /v1/decide body",
                    )
                    out.append(encode({"line": number, "problems": [too_long.to_json()], "revision": revision}))
                elif opening.settled:
                    out.append(answer(raw, number))
                else:
                    ready, document = opening.feed(raw, number)
                    if document is not None:
                        break
                    out += [answer(r, n) for r, n in ready]
                if len(out) >= _CHUNK:
                    self.metrics.decisions += len(out)
                    await send(
                        {"type": "http.response.body", "body": ("\n".join(out) + "\n").encode(), "more_body": True}
                    )
                    out.clear()
                    if time.perf_counter() > deadline:
                        stop = _problem(
                            "A003",
                            f"the batch took longer than {self.limits.timeout:g} s; answers stop here",
                            "send smaller batches",
                        )
                        break
            if stop is not None or document is not None:
                break
        if document is not None:
            out.append(encode({"line": document.line, "problems": [document.to_json()], "revision": revision}))
        else:
            out += [answer(r, n) for r, n in opening.rest()]
        self.metrics.decisions += len(out)
        if stop is not None:
            # the first line not answered, also as the problem's own line (it said line 1): past the
            # line limit that is the line refused, else the one after the last answered
            first = number if over_lines else number + 1
            stop = Problem(REQUEST, first, 1, stop.code, stop.message, stop.hint)
            out.append(encode({"line": first, "problems": [stop.to_json()], "revision": revision}))
        await send(
            {"type": "http.response.body", "body": ("\n".join(out) + "\n").encode() if out else b"", "more_body": False}
        )
        return 200


# -- helpers ------------------------------------------------------------------------------------------------


def _compiled(bundle: Any, program: str, decision: str) -> Any:
    try:
        return bundle.compiled(program, decision)
    except PolicyError as e:
        problems = _asked(e)
        # the path's names are client text: quoted as `_show` quotes it (the bundle's message has
        # them whole, as the command line gave them)
        for name in {program, decision}:
            if _show(name) != name:
                problems = [p.replace(message=p.message.replace(f"`{name}`", f"`{_show(name)}`")) for p in problems]
        raise _Refused(404, problems) from None


class _FirstTwo:
    """A batch's first input line, held until the next one says whether the two begin one
    pretty-printed JSON object (``engine.decisions.batch.one_document``): that is said once, as
    `decide` says it of a `.jsonl` file, where each of its lines was a problem of its own (the
    first's hint "finish it and close it with `}`"). Once settled, lines go straight to answering."""

    __slots__ = ("held", "settled")

    def __init__(self) -> None:
        self.held: tuple[bytes, int] | None = None
        self.settled = False

    def feed(self, raw: bytes, number: int) -> tuple[list[tuple[bytes, int]], Problem | None]:
        """The lines to answer now (with their numbers), or the problem of a batch that is one object."""
        text = raw.decode("utf-8", "replace")  # (only to tell: each line is answered from its bytes)
        if self.held is None:
            if goes_on(text):
                self.held = (raw, number)
                return [], None
            self.settled = True
            return [(raw, number)], None
        self.settled = True
        (held, at), self.held = self.held, None
        problem = one_document(REQUEST, at, held.decode("utf-8", "replace"), text, "batch")
        return ([], problem) if problem is not None else ([(held, at), (raw, number)], None)

    def rest(self) -> list[tuple[bytes, int]]:
        """The line still held when the body ended (one line cut short): answered on its own."""
        held, self.held = self.held, None
        return [] if held is None else [held]


def _asked(e: PolicyError) -> list[Problem]:
    """The engine's problems about a question, placed in the request rather than the command line."""
    return [
        Problem(REQUEST, p.line, p.col, p.code, p.message, p.hint, p.severity) if p.file in ASKED else p
        for p in e.problems
    ]


def _resolve(bundle: Any, program: str, marketplace: Any, at: Any) -> Any:
    """The program's rules in ``marketplace`` on ``at``, as a request's body or query gives them
    (JSON values: a value that is not text is shown as JSON writes it)."""
    offered = f"one of: {', '.join(bundle.offered(program))}"
    if marketplace is None or marketplace == "":
        raise _Refused(400, [_request_problem("the request names no `marketplace`", offered)])
    if not isinstance(marketplace, str):
        raise _Refused(
            400, [_request_problem(f"`marketplace` is `{_json(marketplace)}`, not a marketplace id", offered)]
        )
    if at is not None:  # the form YYYY-MM-DD only, as `--at` (engine.model.dates)
        from engine.model.dates import DATE_FORM, date_hint, parse_date

        try:
            at = parse_date(at).isoformat()
        except ValueError as e:
            said = str(e) if isinstance(at, str) else f"expected a date string ({DATE_FORM}), got `{_json(at)}`"
            zone = getattr(bundle.marketplaces.get(marketplace), "time_zone", None)  # (the day there, principle 5)
            raise _Refused(400, [_request_problem(said, date_hint(at, zone))]) from None
    if marketplace not in bundle.offered(program):
        raise _Refused(
            404,
            [
                _problem(
                    "L004",
                    f"`{program}` is not offered in marketplace `{_show(marketplace)}`",
                    f"known: {', '.join(bundle.offered(program))}",
                )
            ],
        )
    try:
        return bundle.kept(program, marketplace, at)  # (read only: resolve copies what it hands out)
    except PolicyError as e:
        raise _Refused(400 if e.usage else 404, _asked(e)) from None


async def _read(receive: Receive, limit: int, deadline: float) -> bytes:
    """The whole body, refused with 413 past ``limit`` bytes and 408 past the deadline (a client
    that sends slowly cannot hold a worker)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            message = await _within(receive, deadline)
        except asyncio.TimeoutError:
            raise _Refused(
                408, [_problem("A003", "the request body did not arrive in time", "send the whole body at once")]
            ) from None
        if message["type"] == "http.disconnect":
            raise _Refused(499, [_problem("A001", "the client went away")])
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _within(receive: Receive, deadline: float) -> dict[str, Any]:
    """``receive()``, or TimeoutError at ``deadline`` (perf_counter). asyncio.timeout (3.11+) only arms
    a timer; wait_for makes a task per call."""
    remaining = max(deadline - time.perf_counter(), 0.001)
    if _timeout is None:
        return await asyncio.wait_for(receive(), remaining)
    async with _timeout(remaining):
        return await receive()


_timeout = getattr(asyncio, "timeout", None)


def _too_large(limit: int) -> _Refused:
    return _Refused(
        413,
        [
            _problem(
                "A002",
                f"the request body is larger than the limit of {limit:,} bytes",
                "send fewer inputs per request (a batch: several requests)",
            )
        ],
    )


def _content_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


_BOM = BOM.encode()
_BATCH_QUERY = frozenset(("marketplace", "at", "explain"))
_BATCH_HINT = "ask ?marketplace=ID[&at=YYYY-MM-DD][&explain=true], each once"

_ROUTES = {
    "/healthz": "healthz",
    "/readyz": "readyz",
    "/metrics": "metrics",
    "/v1/programs": "programs",
    "/v1/openapi.json": "openapi",
}


def _route_of(path: str) -> str:
    """The metrics' `route` of a request path, as `_route` answers it ("other" for no endpoint)."""
    parts = path.split("/")
    if len(parts) == 5 and parts[1] == "v1" and parts[2] in ("decide", "batch"):
        return parts[2]
    return _ROUTES.get(path, "other")


def _allow(method: str, allowed: str) -> None:
    """405 unless ``method`` is ``allowed``; HEAD is answered wherever GET is (HTTP's rule: the
    same status and headers, no body), as load balancers and monitors ask it."""
    if method == allowed or (method == "HEAD" and allowed == "GET"):
        return
    methods = "GET, HEAD" if allowed == "GET" else allowed
    raise _Refused(
        405,
        [_problem("A004", f"`{_show(method)}` is not answered here", f"use {allowed}")],
        [(b"allow", methods.encode())],
    )


def _headers_only(send: Send) -> Send:
    """``send`` for a HEAD request: the response's start as for GET, its body left out."""

    async def sending(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            message = {**message, "body": b""}
        await send(message)

    return sending


def _problem(code: str, message: str, hint: str = "") -> Problem:
    return Problem(REQUEST, 1, 1, code, message, hint)


_DECIDE_SHAPE = 'send {"input": {...}, "marketplace": "...", "at": "YYYY-MM-DD", "explain": false}'


def _request_problem(message: str, hint: str = "") -> Problem:
    return _problem("A001", message, hint or _DECIDE_SHAPE)


def _show(value: str) -> str:
    """Client text quoted in a message: one line, bounded."""
    text = str(value)[:80]
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def _json(value: Any) -> str:
    """A JSON value of the request, as JSON writes it: one line, bounded."""
    return _show(json.dumps(value, ensure_ascii=False))


def _rev(loaded: Loaded | None) -> str | None:
    return loaded.revision if loaded is not None else None


async def _send_json(
    send: Send,
    status: int,
    body: dict[str, Any],
    loaded: Loaded | None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    await _send(send, status, json.dumps(body, ensure_ascii=False).encode(), b"application/json", loaded, headers)


async def _send(
    send: Send,
    status: int,
    data: bytes,
    content_type: bytes,
    loaded: Loaded | None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    head = [(b"content-type", content_type), (b"content-length", str(len(data)).encode())]
    if loaded is not None:
        head.append((b"policy-revision", loaded.revision.encode()))
    await send({"type": "http.response.start", "status": status, "headers": head + (headers or [])})
    await send({"type": "http.response.body", "body": data})


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("policyctl")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "0"


def create_app() -> App:
    """The app for each worker process of `policyctl api --workers N` (its settings in POLICYCTL_API)."""
    settings = json.loads(os.environ.get("POLICYCTL_API", "{}"))
    source = Source(settings.get("bundle"), settings.get("root"))
    limits = Limits(**settings.get("limits", {}))
    return App(source, limits, Log(access=settings.get("access_log", True)), settings.get("poll", 2.0))
