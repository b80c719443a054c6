"""`policyctl api`: serve the decision service with uvicorn, in one process or several workers.

The bundle is loaded (and every decision compiled) before the server starts, so a bundle that
cannot be used stops the command with its problems, as `decide --bundle` would. With several
workers each process loads it again itself (uvicorn starts them as fresh interpreters, sharing
the listening socket), polls the file itself, and counts its own metrics.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from typing import Any

import uvicorn  # the `service` extra; `policyctl api` says so when it is missing

from engine.service.app import App, Limits
from engine.service.logs import Log
from engine.service.state import Source

__all__ = ["Limits", "Options", "Source", "check", "serve"]


@dataclass(frozen=True)
class Options:
    bundle: str | None = None
    root: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    poll: float = 2.0
    limits: Limits = field(default_factory=Limits)
    access_log: bool = True


class JsonFormatter(logging.Formatter):
    """uvicorn's own messages (started, stopping, a worker died) as the service's JSON lines."""

    def format(self, record: logging.LogRecord) -> str:
        level = (
            "error" if record.levelno >= logging.ERROR else "warning" if record.levelno >= logging.WARNING else "info"
        )
        body = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": level,
            "event": "server",
            "message": record.getMessage(),
        }
        return json.dumps(body, ensure_ascii=False)


JsonFormatter.converter = __import__("time").gmtime  # timestamps in UTC, as the service's own lines

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "engine.service.server.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}


def check(options: Options) -> Any:
    """Load the bundle once, now: PolicyError (with the problems) when it cannot be served."""
    return Source(options.bundle, options.root).load()


def cannot_listen(host: str, port: int) -> str | None:
    """Why the service cannot listen on ``host``:``port`` (the port taken, the address not this
    machine's), or None. Asked before uvicorn starts: uvicorn says it in a log line and exits 3,
    where policyctl's usage errors exit 2. (Port 0, any free port, is always possible.)"""
    import socket

    if port == 0:
        return None
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as e:
        return str(e.strerror or e)
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as e:
            return str(e.strerror or e)
    return None


def serve(options: Options, source: Source | None = None) -> None:
    """Run until SIGINT or SIGTERM (uvicorn finishes the requests in flight)."""
    config: dict[str, Any] = {
        "host": options.host,
        "port": options.port,
        "log_config": LOGGING,
        "access_log": False,
        "lifespan": "on",
        "server_header": False,
        "timeout_keep_alive": 5,
        "timeout_graceful_shutdown": 10,
    }
    config.update(_fast_parts())
    if options.workers > 1:
        os.environ["POLICYCTL_API"] = json.dumps(
            {
                "bundle": options.bundle,
                "root": options.root,
                "poll": options.poll,
                "limits": asdict(options.limits),
                "access_log": options.access_log,
            }
        )
        uvicorn.run("engine.service.app:create_app", factory=True, workers=options.workers, **config)
        return
    if source is None:
        source = Source(options.bundle, options.root)
    uvicorn.run(App(source, options.limits, Log(access=options.access_log), options.poll), **config)


def _fast_parts() -> dict[str, str]:
    """httptools and uvloop when installed (the `service` extra brings them): about twice the
    requests per second of the pure-Python h11 parser and asyncio's loop."""
    parts: dict[str, str] = {}
    try:
        import httptools  # noqa: F401

        parts["http"] = "httptools"
    except ImportError:
        parts["http"] = "h11"
    try:
        import uvloop  # noqa: F401

        parts["loop"] = "uvloop"
    except ImportError:
        parts["loop"] = "asyncio"
    return parts
