"""A decision's answer: outputs, the rows that gave them and why, problems as data.

Kept apart from the compiler and the explaining path: answering from a bundle imports this, the
generated function's module (``engine.decisions.answer``) and the runtime, nothing more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.problems import Problem

if TYPE_CHECKING:
    from engine.decisions.explain import Explanation


try:  # the C accessor namedtuple's fields use: reading `result.outputs` costs no Python call
    from _collections import _tuplegetter  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # another Python implementation: the same through a property
    from operator import itemgetter as _itemgetter

    def _tuplegetter(index: int, doc: str) -> Any:
        return property(_itemgetter(index), doc=doc)


FIELDS = ("decision", "outputs", "matches", "reasons", "default_used", "problems")
_NO_REPLAY = (None, None, None, None)


class DecisionResult(tuple):  # type: ignore[type-arg]
    """The answer: outputs, the rows that gave them and why; problems instead of exceptions.

    An immutable value, with the fields of ``FIELDS`` and ``replay`` (what ``explain()`` needs to
    re-run the decision); equality ignores ``replay``. Build it with ``decision_result``.

    Building one is most of the cost of a decision whose first rows answer from plain comparisons,
    so it is a tuple subclass without a ``__new__`` of its own: the generated code calls the class
    on one flat tuple, ``_DR((decision, outputs, matches, reasons, default_used, problems,
    compiled, inputs, params, at))``, which CPython builds in C (a named tuple's ``__new__`` is a
    Python call, and ``tuple.__new__(cls, ...)`` a slower one); the replay's four values sit in
    the tuple itself rather than in a tuple of their own.
    """

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]  # outputs is a dict
    _fields = FIELDS

    if TYPE_CHECKING:  # read-only, as they are at run time (`result.outputs = {}` raises)

        @property
        def decision(self) -> str: ...
        @property
        def outputs(self) -> dict[str, Any]: ...
        @property
        def matches(self) -> tuple[str, ...]: ...
        @property
        def reasons(self) -> tuple[str, ...]: ...
        @property
        def default_used(self) -> bool: ...
        @property
        def problems(self) -> tuple[Problem, ...]: ...
    else:
        decision = _tuplegetter(0, "the decision's id")
        outputs = _tuplegetter(1, "the outputs (a new dict per result: callers may keep or change it)")
        matches = _tuplegetter(2, "the ids of the rows that gave the outputs")
        reasons = _tuplegetter(3, "those rows' reasons")
        default_used = _tuplegetter(4, "no row matched and the default answered")
        problems = _tuplegetter(5, "problems as data (D001, D004, D005)")

    @property
    def replay(self) -> tuple[Any, ...] | None:
        """(compiled, inputs, params, at): what `explain()` needs to re-run the decision, its
        parameters a copy (the caller's to change: later answers read the engine's); None for a
        result that cannot be explained again (invalid inputs, a copy).

        A new copy on every read, none kept: one kept would hand a caller's changes to the next
        reader (and a tuple subclass has no slot to keep it in). The engine never reads it:
        ``explain()`` and ``evaluated`` read the tuple's own fields, so no answer pays the copy."""
        if self[7] is None:
            return None
        from engine.model.clock import RESOLVED_KEY
        from engine.model.policy import copied

        params = self[8]
        if isinstance(params, dict):
            params = {k: copied(v) for k, v in params.items() if k != RESOLVED_KEY}
        return (self[6], self[7], params, self[9])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DecisionResult):
            return NotImplemented
        return self[:6] == other[:6]

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in zip(FIELDS, self))
        return f"DecisionResult({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (DecisionResult, (self[:6] + _NO_REPLAY,))  # pickles as a value: the replay handle stays behind

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
        """Re-run the decision on the explaining path (rows tried, `let` values, parameters read).

        A result whose inputs were refused (D004) explains as no row tried and nothing read, as
        `decide --explain` says. ValueError for a copy of a result (``pickle``): a copy keeps the
        answer, not what explaining it needs; explain the result ``decide`` returned."""
        if self[7] is None:
            if self[6] is not None:  # (the inputs were refused: ``invalid`` keeps no inputs)
                refused: Explanation = self[6].refused(self)
                return refused
            raise ValueError("a copy of a decision's result cannot be explained: explain the result `decide` returned")
        compiled, inputs, params, at = self[6:10]
        explanation: Explanation = compiled.explain(inputs, params, at)
        return explanation


def decision_result(
    decision: str,
    outputs: dict[str, Any],
    matches: tuple[str, ...],
    reasons: tuple[str, ...],
    default_used: bool,
    problems: tuple[Problem, ...] = (),
    replay: tuple[Any, ...] | None = None,
) -> DecisionResult:
    """A ``DecisionResult`` of its fields (``replay``: compiled, inputs, params, at, or None)."""
    return DecisionResult((decision, outputs, matches, reasons, default_used, problems, *(replay or _NO_REPLAY)))


def evaluated(result: DecisionResult) -> bool:
    """Whether ``result`` was evaluated (its inputs accepted): what ``replay is not None`` says,
    without copying the parameters ``replay`` hands out (the explaining paths ask it of every
    result they explain)."""
    return result[7] is not None
