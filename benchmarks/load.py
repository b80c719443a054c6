"""Load test of the decision service (`policyctl api`), on 127.0.0.1 only, bounded in time and count.

    python benchmarks/load.py [--seconds 4] [--rounds 4] [--clients 1,16,64] [--workers 1,2]

For csba.fee and csba.coverage, and for a server that answers every request with a constant JSON
body (the floor: the same uvicorn, httptools and uvloop, no decision, no routing), it measures
throughput and p50/p99 latency at each number of concurrent clients (keep-alive connections, one
request in flight each), with one worker and with two. Clients and servers share the machine:
the client is a small asyncio protocol (uvloop when installed) that reads Content-Length and
nothing else, so it costs less than the server it measures, but it does cost: the numbers are the
service's floor-relative cost, not its absolute capacity on a dedicated box.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTIONS = {
    "csba.fee": [
        {"input": {"units": u, "contacts": c}, "marketplace": "us", "at": "2024-06-01"}
        for u, c in ((1000, 40), (5, 0), (20000, 900), (800, 3))
    ],
    "csba.coverage": [
        {
            "input": {
                "inquiry_type": t,
                "order_stage": "post_order",
                "fulfillment": "seller",
                "order_placed_at": "2024-03-05T10:00:00-08:00",
                "enrolled_at": "2024-01-01T00:00:00Z",
            },
            "marketplace": "us",
            "at": "2024-06-01",
        }
        for t in ("delivery", "refund", "invoice", "return")
    ],
}


# -- the floor: a constant answer from the same server stack -----------------------------------------

FLOOR_BODY = json.dumps(
    {
        "decision": "fee",
        "outputs": {"total": 100.0},
        "matches": ["by_tier"],
        "reasons": [],
        "default_used": False,
        "problems": [],
        "revision": "0" * 64,
    }
).encode()


async def floor_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:  # read the body, as the service does
        more = (await receive()).get("more_body", False)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(FLOOR_BODY)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": FLOOR_BODY})


def serve_floor(port: int, workers: int) -> None:
    import uvicorn

    from engine.service.server import _fast_parts

    uvicorn.run(
        "benchmarks.load:floor_app" if workers > 1 else floor_app,
        host="127.0.0.1",
        port=port,
        workers=workers,
        access_log=False,
        log_level="warning",
        server_header=False,
        **cast("dict[str, Any]", _fast_parts()),  # (uvicorn types each option's own literals)
    )


# -- the client -------------------------------------------------------------------------------------------


class Client(asyncio.Protocol):
    def __init__(
        self,
        requests: list[bytes],
        stop_at: float,
        budget: list[int],
        latencies: list[float],
        done: asyncio.Future[None],
    ) -> None:
        self.requests, self.stop_at, self.budget, self.latencies, self.done = requests, stop_at, budget, latencies, done
        self.buffer = b""
        self.sent = 0.0
        self.i = 0
        self.errors = 0

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.send()

    def send(self) -> None:
        if time.perf_counter() >= self.stop_at or self.budget[0] <= 0:
            self.transport.close()
            return
        self.budget[0] -= 1
        self.i += 1
        self.sent = time.perf_counter()
        self.transport.write(self.requests[self.i % len(self.requests)])

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end].lower()
        start = head.find(b"content-length:")
        length = int(head[start + 15 : head.find(b"\r\n", start) if head.find(b"\r\n", start) > 0 else None])
        if len(self.buffer) < end + 4 + length:
            return
        if not head.startswith(b"http/1.1 200"):
            self.errors += 1
        self.latencies.append(time.perf_counter() - self.sent)
        self.buffer = self.buffer[end + 4 + length :]
        self.send()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)


async def load(
    port: int, path: str, bodies: list[bytes], clients: int, seconds: float, max_requests: int
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    requests = [
        (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(b)}\r\n\r\n"
        ).encode()
        + b
        for b in bodies
    ]
    # warm up (and open) every connection briefly, then measure
    for _phase, span in (("warm", min(0.5, seconds / 4)), ("measure", seconds)):
        latencies: list[float] = []
        budget = [max_requests]
        stop_at = time.perf_counter() + span
        done = [loop.create_future() for _ in range(clients)]
        protocols = []
        started = time.perf_counter()
        for d in done:
            _, protocol = await loop.create_connection(
                functools.partial(Client, requests, stop_at, budget, latencies, d),
                "127.0.0.1",
                port,
            )
            protocols.append(protocol)
        await asyncio.wait_for(asyncio.gather(*done), span + 30)
        elapsed = time.perf_counter() - started
    errors = sum(p.errors for p in protocols)
    return {"errors": errors, "rps": len(latencies) / elapsed, "latencies": latencies}


# -- servers -----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(kind: str, workers: int, bundle: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    if kind == "floor":
        cmd = [sys.executable, __file__, "--floor-server", str(port), "--workers", str(workers)]
    else:
        cmd = [
            sys.executable,
            str(ROOT / "cli.py"),
            "api",
            "--bundle",
            bundle,
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--poll",
            "0",
        ]
    process = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1).read()
            return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{kind} server did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="measured time per point (bounded)")
    parser.add_argument("--clients", default="1,16,64")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per round")
    parser.add_argument("--rounds", type=int, default=4, help="rounds per point, the targets in turn")
    parser.add_argument("--floor-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_server:
        serve_floor(args.floor_server, int(args.workers))
        return
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    import engine
    from engine.bundle.make import make

    bundle = os.path.join(tempfile.mkdtemp(prefix="policyctl-load-"), "policies.bundle")
    Path(bundle).write_bytes(make(engine.load(str(ROOT / "policies"))))
    clients = [int(c) for c in args.clients.split(",")]
    rows = []
    print(f"{'workers':>7} {'target':<14} {'clients':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    targets = [("floor", "/v1/decide/csba/fee", QUESTIONS["csba.fee"])] + [
        (name, "/v1/decide/" + name.replace(".", "/"), q) for name, q in QUESTIONS.items()
    ]
    for workers in (int(w) for w in args.workers.split(",")):
        floor, floor_port = start("floor", workers, bundle)
        service, service_port = start("service", workers, bundle)
        try:
            for n in clients:
                # the floor and the decisions in turn, in short rounds: other load on the machine
                # then falls on all of them alike; throughput is the median round's, latencies pooled
                runs: dict[str, list[dict[str, Any]]] = {name: [] for name, _, _ in targets}
                for _ in range(args.rounds):
                    for name, path, questions in targets:
                        port = floor_port if name == "floor" else service_port
                        bodies = [json.dumps(q).encode() for q in questions]
                        runs[name].append(
                            asyncio.run(load(port, path, bodies, n, args.seconds / args.rounds, args.max_requests))
                        )
                for name, results in runs.items():
                    latencies = sorted(x for r in results for x in r.pop("latencies"))
                    r = {
                        "rps": statistics.median(r["rps"] for r in results),
                        "requests": len(latencies),
                        "errors": sum(r["errors"] for r in results),
                        "p50_ms": 1000 * statistics.median(latencies),
                        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
                    }
                    rows.append({"workers": workers, "target": name, "clients": n, **r})
                    print(
                        f"{workers:>7} {name:<14} {n:>7} {r['rps']:>9.0f} {r['p50_ms']:>8.2f} {r['p99_ms']:>8.2f} {r['errors']:>6}",
                        flush=True,
                    )
        finally:
            stop(floor)
            stop(service)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
