"""Compiling decisions (moved to engine.decisions.answer; split by stage in the next commit)."""

from engine.decisions.answer import *  # noqa: F403
from engine.decisions.answer import CompiledDecision, DecisionResult, _Out, _Row, compile_decision  # noqa: F401
