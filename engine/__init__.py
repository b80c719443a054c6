"""policyctl's engine: load policy files, validate them, resolve, decide, render.

The public API is what this module exports; everything else is internal and may change.

    >>> import engine
    >>> repo = engine.load("policies")
    >>> repo.problems                       # [] when the repository is clean
    >>> repo.resolve("csba", "us", at="2022-06-01").values["trial_days"]
    >>> repo.decide("csba", "fee", {"units": 1000, "contacts": 40}, marketplace="us")
"""

from __future__ import annotations

from engine.problems import PolicyError, Pos, Problem
from engine.repository import Change, Repository, Resolved, load

__all__ = ["Change", "PolicyError", "Pos", "Problem", "Repository", "Resolved", "load"]
