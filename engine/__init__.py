"""policyctl's engine: load policy files, validate them, resolve, decide, render.

The public API is what this module exports; everything else is internal and may change.

    >>> import engine
    >>> repo = engine.load("policies")
    >>> repo.problems                       # [] when the repository is clean
    >>> repo.resolve(PROGRAM, MARKETPLACE, at="2022-06-01").values[PARAMETER]
    >>> repo.decide(PROGRAM, DECISION, {...inputs...}, marketplace=MARKETPLACE)

See README.md ("Python API") for a worked example.
"""

from __future__ import annotations

from engine.problems import PolicyError, Pos, Problem
from engine.model.repository import Change, Repository, Resolved, load

__all__ = ["Change", "PolicyError", "Pos", "Problem", "Repository", "Resolved", "load"]
