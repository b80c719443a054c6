"""policyctl's engine: load policy files, validate them, resolve, decide, render.

The public API is what this module exports; everything else is internal and may change.

    >>> import engine
    >>> repo = engine.load("policies")
    >>> repo.problems                       # [] when the repository is clean
    >>> rule = repo.resolve(PROGRAM, MARKETPLACE, at="2022-06-01")   # a Resolved, as Bundle.resolve's
    >>> rule.values[PARAMETER], rule.entries[PARAMETER].source, rule.entries[PARAMETER].assumption
    >>> repo.decide(PROGRAM, DECISION, {...inputs...}, marketplace=MARKETPLACE)

See README.md ("Python API") for a worked example.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.problems import PolicyError, Pos, Problem

if TYPE_CHECKING:  # what type checkers and editors see; at run time each is imported on first use
    from engine.bundle.load import Bundle, load_bundle
    from engine.decisions.explain import Explanation, Read, RowTrace
    from engine.decisions.result import DecisionResult
    from engine.model.policy import (
        Decision,
        Entry,
        Expr,
        Marketplace,
        Overlay,
        Parameter,
        Program,
        Resolved,
        Rule,
        TestCase,
    )
    from engine.model.repository import Change, Repository, load

__all__ = [
    "Bundle",
    "Change",
    "Decision",
    "DecisionResult",
    "Entry",
    "Explanation",
    "Expr",
    "Marketplace",
    "Overlay",
    "Parameter",
    "PolicyError",
    "Pos",
    "Problem",
    "Program",
    "Read",
    "Repository",
    "Resolved",
    "RowTrace",
    "Rule",
    "TestCase",
    "load",
    "load_bundle",
]

# Imported on first use (PEP 562): a process that answers from a bundle never loads the source
# readers (PyYAML, jsonschema), and one that reads sources never loads the bundle code.
_LAZY = {
    "Change": "engine.model.repository",
    "Repository": "engine.model.repository",
    "Resolved": "engine.model.policy",
    "load": "engine.model.repository",
    "Bundle": "engine.bundle.load",
    "load_bundle": "engine.bundle.load",
    "DecisionResult": "engine.decisions.result",
    "Explanation": "engine.decisions.explain",
    # what an explanation holds: its `rows`, its `read`
    "Read": "engine.decisions.explain",
    "RowTrace": "engine.decisions.explain",
    # the model's values a public result holds: `repo.programs`, `repo.marketplaces`, `rule.entries`,
    # and a program's parts (`program.parameters`, `overlays`, `decisions` with their rules, `tests`)
    "Entry": "engine.model.policy",
    "Marketplace": "engine.model.policy",
    "Program": "engine.model.policy",
    "Parameter": "engine.model.policy",
    "Overlay": "engine.model.policy",
    "Decision": "engine.model.policy",
    "Rule": "engine.model.policy",
    "Expr": "engine.model.policy",
    "TestCase": "engine.model.policy",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
