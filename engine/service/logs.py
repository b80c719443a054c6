"""Structured logs: one JSON object per line on standard error (what log shippers read).

Every value is JSON-encoded, so a program id, a path or a message from a request cannot forge a
line; `ts` is UTC with milliseconds.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO


class Log:
    def __init__(self, stream: TextIO | None = None, access: bool = True) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.access = access  # one line per request; events (bundle loaded, refused) always

    def event(self, level: str, event: str, **fields: Any) -> None:
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
        record = {"ts": stamp, "level": level, "event": event, **fields}
        try:
            self.stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            self.stream.flush()
        except (OSError, ValueError):  # a closed or full stderr never fails a request
            pass

    def request(self, **fields: Any) -> None:
        if self.access:
            self.event("info", "request", **fields)
