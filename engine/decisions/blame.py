"""Which value was none when an expression failed on one (D005): "unsupported operand types for -:
number and none" said neither which name nor why, and a misspelt key (`band.discont`) reads as none.

Runs on the explaining path only, after an expression raised: its generated Python (``Checked.python``,
also what a bundle holds, so no parser of policy expressions is needed) is walked as it ran, each
part evaluated again with the same values, down to the innermost part that failed with all its own
parts evaluated; the first of those that is none is the one named, in the words the author wrote
(`band.discont`, `params.fee`, `units`). Only the parts that ran are evaluated (the branch an `if`
took, the operands before an `and` stopped), so nothing that did not run is blamed.
"""

from __future__ import annotations

import ast
import difflib
import functools
import re
from typing import Any

from engine.decisions.runtime import CONTEXT_HELPERS, RUNTIME

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# parts that bind names of their own, whose pieces cannot be evaluated alone
_OPAQUE = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.NamedExpr)
_MAX_COMPARED = 1_000  # keys a misspelt one is compared with, at most
_MAX_STEPS = 500  # parts evaluated again, at most (an expression is bounded in size; this, too)
# (a misspelt key, an input left out, a parameter without a value: each reads as none)
_READS_AS_NONE = "a misspelt key, an input not given or a parameter without a value reads as none"
GENERIC = f"{_READS_AS_NONE}: check the names the expression reads, or test a value with `is not none` before using it"


def about_none(message: str) -> bool:
    """Whether an evaluation error (as `explain.describe` words it) is about a value that is none."""
    return re.search(r"\bnone\b", message) is not None


def none_operand(
    python: str, inputs: Any, params: Any, at: str, env: dict[str, Any], lets: frozenset[str]
) -> tuple[str, str] | None:
    """(what was none, in the policy's words, e.g. "`band.discont` is none"; a hint) for an
    expression that raised, or None when no part of it that ran is none. ``env``: the input and
    `let` values by name; ``lets``: which of those names are `let` values (the rest are inputs)."""
    tree = _parse(python)
    if tree is None:
        return None
    scope = {"inputs": inputs, "params": params, "at": at, **{f"v_{n}": v for n, v in env.items()}}
    found = _Walk(python, scope).failed(tree)
    if found is None:
        return None
    node, value = found
    shown = _shown(node)
    if shown is None:
        return "a value it uses is none", GENERIC
    return f"`{shown}` is none", _hint(node, shown, value, scope, lets)


@functools.lru_cache(maxsize=256)
def _parse(python: str) -> ast.expr | None:
    try:
        return ast.parse(python, mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None


class _Walk:
    def __init__(self, python: str, scope: dict[str, Any]) -> None:
        self.python, self.scope, self.steps = python, scope, 0

    def value(self, node: ast.expr) -> tuple[bool, Any]:
        """(True, its value) or (False, None) when it raises (or the budget is spent)."""
        self.steps += 1
        if self.steps > _MAX_STEPS:
            return False, None
        try:
            return True, _evaluate(node, self.scope)
        except Exception:
            return False, None

    def failed(self, node: ast.expr) -> tuple[ast.expr, Any] | None:
        """For ``node``, known to raise: the part that is none where it failed (with its value), or None."""
        if isinstance(node, _OPAQUE) or self.steps > _MAX_STEPS:
            return None
        if isinstance(node, ast.IfExp):
            ok, test = self.value(node.test)
            if not ok:
                return self.failed(node.test)
            return self.failed(node.body if test else node.orelse)
        if isinstance(node, ast.BoolOp):
            for part in node.values:
                ok, got = self.value(part)
                if not ok:
                    return self.failed(part)
                if bool(got) == isinstance(node.op, ast.Or):  # where `and`/`or` stops
                    return None
            return None
        if isinstance(node, ast.Call):
            parts = [*node.args, *(k.value for k in node.keywords)]
        else:
            parts = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]
        values: list[tuple[ast.expr, Any]] = []
        for part in parts:
            ok, got = self.value(part)
            if not ok:
                return self.failed(part)
            values.append((part, got))
        # every part evaluated: this one failed on them; the first that is none is the one to name
        # (`params`, passed to a helper for the marketplace's time, is never none)
        return next(((p, v) for p, v in values if v is None), None)


def _evaluate(node: ast.expr, scope: dict[str, Any]) -> Any:
    """A part of the engine's own generated code, evaluated again with the runtime alone (as
    ``pycode.build`` runs the whole: no builtins)."""
    code = getattr(node, _CODE, None)  # (compiled once per part: `_parse` keeps the trees)
    if code is None:
        code = compile(ast.fix_missing_locations(ast.Expression(node)), "<blame>", "eval")
        setattr(node, _CODE, code)
    return eval(code, _GLOBALS, dict(scope))


_CODE = "policyctl_code"
# the runtime's helpers and no builtins, as the generated code runs with (an expression, without
# assignments, reads them only: one copy for every part)
_GLOBALS = dict(RUNTIME)


def _shown(node: ast.expr) -> str | None:
    """``node`` as the author wrote it: names, `params.NAME`, keys and indexes, constants, helpers
    and filters; None for anything else (an operator, a condition)."""
    if isinstance(node, ast.Name):
        if node.id.startswith("v_"):
            return node.id[2:]
        return node.id if node.id in ("at", "params") else None
    if isinstance(node, ast.Constant):
        return _constant(node.value)
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "params":
        key = node.slice
        return f"params.{key.value}" if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords):
        return None
    name, args = node.func.id, list(node.args)
    if name == "_get" and len(args) == 2:
        of, key = _shown(args[0]), args[1]
        if of is None:
            return None
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and _NAME.match(key.value):
            return f"{of}.{key.value}"
        inner = _shown(key)
        return None if inner is None else f"{of}[{inner}]"
    if name.startswith("_h_"):
        helper = name[3:]
        if helper in CONTEXT_HELPERS and args:
            args = args[1:]  # (the marketplace's context, which the author does not write)
        shown = [_shown(a) for a in args]
        return None if None in shown else f"{helper}({', '.join(str(s) for s in shown)})"
    if name.startswith("_f_") and args:
        shown = [_shown(a) for a in args]
        if None in shown:
            return None
        extra = f"({', '.join(str(s) for s in shown[1:])})" if len(shown) > 1 else ""
        return f"{shown[0]} | {name[3:]}{extra}"
    return None


def _constant(value: Any) -> str | None:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else None
    return None


def _hint(node: ast.expr, shown: str, value: Any, scope: dict[str, Any], lets: frozenset[str]) -> str:
    """Why ``node`` (``shown``) is likely none, and what to do."""
    guard = f"or test `{shown} is not none` before using it"
    if isinstance(node, ast.Name) and node.id.startswith("v_"):
        name = node.id[2:]
        if name in lets:
            return f"the `let` `{name}` is none for this input: check what it reads, {guard}"
        return f"the input `{name}` was not given (or is null): give it, {guard}"
    if isinstance(node, ast.Subscript):
        return f"the parameter `{shown[len('params.') :]}` has no value in this marketplace on this day: give it one, {guard}"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_get":
        of, key = node.args
        try:
            held, index = _evaluate(of, scope), _evaluate(key, scope)
        except Exception:
            return GENERIC
        outer = _shown(of)  # (shown, as ``shown`` is)
        if isinstance(held, dict) and isinstance(index, str) and index not in held:
            keys = sorted(k for k in held if isinstance(k, str))
            # (a key likely meant among a mapping's few: this runs for each answer that fails so,
            # and difflib compares the key with every one)
            close = difflib.get_close_matches(index, keys, n=1) if len(keys) <= _MAX_COMPARED else []
            listed = ", ".join(f"`{k}`" for k in keys[:8]) + (", ..." if len(keys) > 8 else "")
            has = f" (its keys: {listed})" if keys else " (it has none)"
            fix = f"did you mean `{outer}.{close[0]}`?" if close else f"check the key's spelling, {guard}"
            return f"`{outer}` has no key `{index}`{has}, and a key that is not there reads as none: {fix}"
        if isinstance(held, (list, tuple)) and isinstance(index, int):
            items = f"{len(held)} item{'s' if len(held) != 1 else ''}"
            return f"`{outer}` has {items}, and an index past its end reads as none: check the index, {guard}"
        return f"`{shown}` is null in the data: give it a value, {guard}"
    return f"{_READS_AS_NONE}: check what `{shown}` reads, {guard}"
