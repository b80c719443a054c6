"""What the decision service answers from: one loaded bundle, its revision, its catalogue.

A ``Loaded`` is immutable once made, and a request reads ``Source.current`` once: a swap replaces
that one reference, so a request is answered wholly from the bundle it started with, and the
revision in its response is the one that answered it.

The revision is the sha256 of the bundle's manifest line (what its seal holds): the manifest lists
every section's digest, so two bundles with the same revision answer the same.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from engine.bundle import fileformat
from engine.bundle.load import Bundle, from_opened
from engine.problems import PolicyError


@dataclass(frozen=True)
class Loaded:
    bundle: Bundle
    revision: str
    origin: str  # the bundle file, or the policies folder it was made from
    catalogue: dict[str, Any] = field(default_factory=dict)  # GET /v1/programs, without the revision


def from_bytes(path: str, data: bytes, origin: str | None = None) -> Loaded:
    """Verify and load a bundle's bytes, compiling every decision now (so a bundle whose code this
    policyctl cannot use is refused before it is swapped in, and no request pays for compiling)."""
    bundle = from_opened(path, fileformat.verify(path, data))
    bundle.check()  # (every section read: one of another shape is refused now, not in a request)
    revision = fileformat.revision(data)
    return Loaded(bundle, revision, origin or path, catalogue(bundle))


def from_file(path: str) -> Loaded:
    return from_bytes(path, fileformat.read_file(path))


def from_repository(root: str) -> Loaded:
    """A repository served as the bundle `policyctl bundle` would make of it (the same answers and
    the same revision), made in memory; PolicyError listing the errors if it has any."""
    from engine.bundle.make import make
    from engine.model.repository import load

    repo = load(root)
    errors = [p for p in repo.problems if p.severity == "error"]
    if errors:
        raise PolicyError(errors)
    return from_bytes("<bundle>", make(repo), root)


def catalogue(bundle: Bundle) -> dict[str, Any]:
    """Programs, their decisions with input and output schemas, and the marketplaces."""
    programs = []
    for program in bundle.programs:
        decisions = []
        for name in bundle.decisions(program):
            d = bundle.compiled(program, name).decision
            decisions.append(
                {
                    "id": name,
                    "title": d.title,
                    "description": d.description,
                    "hit": d.hit,
                    "input_schema": d.input_schema,
                    "output_schema": output_schema(d),
                }
            )
        programs.append({"id": program, "marketplaces": list(bundle.offered(program)), "decisions": decisions})
    marketplaces = {
        m.id: {"country": m.country, "currency": m.currency, "time_zone": m.time_zone, "locales": list(m.locales)}
        for m in sorted(bundle.marketplaces.values(), key=lambda m: m.id)
    }
    return {"programs": programs, "marketplaces": marketplaces}


def output_schema(decision: Any) -> dict[str, Any]:
    """The outputs as a JSON Schema. With `hit: collect` an output is a list with an item per matched
    row (null where the row does not set it), or what its `aggregate` makes of those rows; with no
    row matched, a `default` gives its outputs as written."""
    outputs = decision.outputs or {}
    if decision.hit == "collect":
        how = decision.aggregate or {}
        collected = {name: _collected(schema, how.get(name)) for name, schema in outputs.items()}
        outputs = collected if decision.default is None else {n: {"anyOf": [collected[n], outputs[n]]} for n in outputs}
    return {"type": "object", "properties": outputs}


def _collected(schema: Any, how: str | None) -> dict[str, Any]:
    """One output of a `collect` table over its matched rows (engine.decisions.answer's `_aggregate`)."""
    if how == "list":  # the values of the rows that set it
        return {"type": "array", "items": schema}
    if how in ("any", "all"):
        return {"type": "boolean"}
    if how == "count":
        return {"type": "integer", "minimum": 0}
    if how == "sum":
        return {"type": "number"}
    if how in ("min", "max"):  # none over no value
        return {"anyOf": [schema, {"type": "null"}]}
    return {"type": "array", "items": {"anyOf": [schema, {"type": "null"}]}}


class Source:
    """Where bundles come from: a file polled for changes (or re-read on SIGHUP), or a repository."""

    def __init__(self, bundle_file: str | None, root: str | None) -> None:
        self.bundle_file, self.root = bundle_file, root
        self.current: Loaded | None = None
        self._seen: tuple[int, int, int] | None = None  # the file's identity when last tried

    def load(self) -> Loaded:
        """Load now (startup): PolicyError when it cannot be used."""
        self._seen = self._stamp()
        self.current = from_file(self.bundle_file) if self.bundle_file else from_repository(self.root or "policies")
        return self.current

    def changed(self) -> bool:
        """Whether the bundle file is another file than when last tried (a publish renames a new file
        into place: its inode, size or time differ)."""
        return self.bundle_file is not None and self._stamp() != self._seen

    def reload(self) -> tuple[Loaded | None, PolicyError | None]:
        """Try the file (or repository) again. On success it becomes ``current``; on failure the
        previous bundle stays (a half-copied file fails its digests and is simply tried again when
        it changes)."""
        self._seen = self._stamp()
        try:
            loaded = from_file(self.bundle_file) if self.bundle_file else from_repository(self.root or "policies")
        except PolicyError as e:
            return None, e
        self.current = loaded
        return loaded, None

    def _stamp(self) -> tuple[int, int, int] | None:
        if self.bundle_file is None:
            return None
        try:
            st = os.stat(self.bundle_file)
        except OSError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)
