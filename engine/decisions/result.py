"""A decision's answer: outputs, the rows that gave them and why, problems as data.

Kept apart from the compiler and the explaining path: answering from a bundle imports this, the
generated function's module (``engine.decisions.answer``) and the runtime, nothing more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from engine.problems import Problem

if TYPE_CHECKING:
    from engine.decisions.explain import Explanation


class _Fields(NamedTuple):
    decision: str
    outputs: dict[str, Any]
    matches: tuple[str, ...]
    reasons: tuple[str, ...]
    default_used: bool
    problems: tuple[Problem, ...] = ()
    replay: tuple[Any, ...] | None = None  # what `explain()` needs to re-run the decision


class DecisionResult(_Fields):
    """The answer: outputs, the rows that gave them and why; problems instead of exceptions.

    An immutable value. It is a named tuple rather than a frozen dataclass because building one
    is a large part of a decision's cost (0.7 µs against 2 µs); equality ignores ``replay``.
    """

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]  # outputs is a dict

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DecisionResult):
            return NotImplemented
        return self[:6] == other[:6]

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in zip(self._fields[:6], self))
        return f"DecisionResult({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (DecisionResult, tuple(self[:6]))  # pickles as a value: the replay handle stays behind

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (the CLI's `--json` output)."""
        return {
            "decision": self.decision,
            "outputs": self.outputs,
            "matches": list(self.matches),
            "reasons": list(self.reasons),
            "default_used": self.default_used,
            "problems": [p.to_json() for p in self.problems],
        }

    def explain(self) -> Explanation:
        """Re-run the decision on the explaining path (rows tried, `let` values, parameters read)."""
        if self.replay is None:
            raise ValueError("this result was not produced by CompiledDecision.evaluate")
        compiled, inputs, params, at = self.replay
        explanation: Explanation = compiled.explain(inputs, params, at)
        return explanation


_new = tuple.__new__
