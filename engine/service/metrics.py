"""Counters and a latency histogram, printed in Prometheus' text format (`GET /metrics`).

Kept by hand (a few dicts) rather than with prometheus_client: the service needs four series, and
each process (worker) counts its own requests, labelled with its pid, so a scrape that lands on one
worker is still a true sample.
"""

from __future__ import annotations

import bisect
import os

BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    def __init__(self) -> None:
        self.requests: dict[tuple[str, int], int] = {}  # (route, status) -> count
        self.buckets: dict[str, list[int]] = {}  # route -> counts per bucket (+Inf last)
        self.sums: dict[str, float] = {}
        self.decisions = 0  # answers given, a batch line counting one
        self.reloads: dict[str, int] = {"ok": 0, "refused": 0}
        self.pid = os.getpid()

    def observe(self, route: str, status: int, seconds: float) -> None:
        key = (route, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        counts = self.buckets.get(route)
        if counts is None:
            counts = self.buckets[route] = [0] * (len(BUCKETS) + 1)
            self.sums[route] = 0.0
        counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.sums[route] += seconds

    def text(self, revision: str | None, loaded_at: float | None) -> str:
        pid = f'pid="{self.pid}"'
        lines = [
            "# HELP policyctl_requests_total HTTP requests answered, by route and status.",
            "# TYPE policyctl_requests_total counter",
        ]
        for (route, status), n in sorted(self.requests.items()):
            lines.append(f'policyctl_requests_total{{{pid},route="{route}",status="{status}"}} {n}')
        lines += [
            "# HELP policyctl_request_errors_total Requests answered with a 4xx or 5xx status.",
            "# TYPE policyctl_request_errors_total counter",
        ]
        errors: dict[str, int] = {}
        for (_route, status), n in self.requests.items():
            if status >= 400:
                kind = "client" if status < 500 else "server"
                errors[kind] = errors.get(kind, 0) + n
        for kind in ("client", "server"):
            lines.append(f'policyctl_request_errors_total{{{pid},kind="{kind}"}} {errors.get(kind, 0)}')
        lines += [
            "# HELP policyctl_request_seconds Time from a request's start to its last byte.",
            "# TYPE policyctl_request_seconds histogram",
        ]
        for route, counts in sorted(self.buckets.items()):
            total = 0
            for bound, n in zip((*map(str, BUCKETS), "+Inf"), counts):
                total += n
                lines.append(f'policyctl_request_seconds_bucket{{{pid},route="{route}",le="{bound}"}} {total}')
            lines.append(f'policyctl_request_seconds_sum{{{pid},route="{route}"}} {self.sums[route]:.6f}')
            lines.append(f'policyctl_request_seconds_count{{{pid},route="{route}"}} {total}')
        lines += [
            "# HELP policyctl_decisions_total Decisions answered (one per batch line).",
            "# TYPE policyctl_decisions_total counter",
            f"policyctl_decisions_total{{{pid}}} {self.decisions}",
            "# HELP policyctl_bundle_reloads_total New bundles swapped in (ok) or refused.",
            "# TYPE policyctl_bundle_reloads_total counter",
        ]
        for outcome, n in self.reloads.items():
            lines.append(f'policyctl_bundle_reloads_total{{{pid},outcome="{outcome}"}} {n}')
        lines += [
            "# HELP policyctl_bundle_info The bundle being answered from (revision: its manifest's sha256).",
            "# TYPE policyctl_bundle_info gauge",
        ]
        if revision is not None:
            lines.append(f'policyctl_bundle_info{{{pid},revision="{revision}"}} 1')
            lines.append("# TYPE policyctl_bundle_loaded_timestamp_seconds gauge")
            lines.append(f"policyctl_bundle_loaded_timestamp_seconds{{{pid}}} {loaded_at or 0:.3f}")
        return "\n".join(lines) + "\n"
