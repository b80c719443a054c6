"""Decision inputs: a fast yes/no check of an input object, and messages that say what is wrong.

Most inputs are valid, so the common keywords are checked by small hand-rolled predicates (about
2 µs for a decision's inputs); jsonschema is imported only for a schema using other keywords, or to
explain a value the fast check rejects. Messages are JSON pointers with what was expected:
`/units: expected integer, got string "ten"`, in the words of engine.schema.words, as S001 and P003 say a
file's value (each a ``Refusal`` of engine.decisions.refusals, which carries its hint), never in
jsonschema's.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from engine.cache.memo import Memo
from engine.decisions.refusals import OWNER, VERB, Refusal
from engine.decisions.runtime import learn as _learn
from engine.decisions.runtime import moments as _moments
from engine.decisions.runtime import plain_day as _plain_day
from engine.schema.predicates import FORMAT_CHECKS, JSON_TYPES, format_checker
from engine.schema.words import false_step, fits_of, format_hint, got, phrase, said

if TYPE_CHECKING:
    from engine.problems.hints import Suggester

# Keywords the hand-rolled checker understands. A schema using any other keyword is validated with
# jsonschema (about 15x slower). Hand-rolled rather than fastjsonschema: that library generates and
# execs Python from the schema, and schemas here come from pull requests.
_SIMPLE = {
    "type",
    "enum",
    "const",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "description",
    "title",
    "default",
    "examples",
    "$comment",
}
_JSON_TYPES = JSON_TYPES
_Check = tuple[str, Any, Callable[[Any], bool]]
# Python's `re` has no time limit and the pattern check (engine/schema/patterns.py) proves patterns
# free of catastrophic backtracking, not linear: a caller's text checked against a `pattern` is
# refused above this length before any regex sees it.
MAX_PATTERN_INPUT = 4096
# Unknown input names reported one by one (with a suggestion each); the rest are counted.
MAX_UNKNOWN_REPORTED = 10


class InputChecker:
    """Checks an input object against a decision's `inputs` and `required`."""

    def __init__(self, properties: dict[str, Any], required: tuple[str, ...]) -> None:
        self.required = required
        self.names = tuple(properties)
        checks = {name: _simple_checks(schema) for name, schema in properties.items()}
        self.checks: dict[str, list[_Check]] | None = None
        self.validator: Any = None
        self.broken = ""  # why the schema itself cannot be used (reported by schema validation too)
        self._fast: Callable[[Any], bool] | None = None
        self._made = False  # whether `fast` was made (or set)
        self._asked = False  # whether `check` answered once
        # where a caller's text meets a `pattern`: by name (simple schemas), anywhere (the others)
        self.patterned = tuple(n for n, sub in properties.items() if isinstance(sub, dict) and "pattern" in sub)
        self.deep_patterns = _has_pattern(properties)
        self.schema = {
            "type": "object",
            "properties": properties,
            "required": list(required),
            "additionalProperties": False,
        }
        if all(c is not None for c in checks.values()):
            self.checks = {n: c for n, c in checks.items() if c}

    @property
    def fast(self) -> Callable[[Any], bool] | None:
        """The checks as one generated yes/no function (engine.schema.codegen, ~5x faster than the
        simple checks, ~15x faster than jsonschema), or None; made on first use. Only inputs it
        rejects go through the checks that say why: the simple ones, else jsonschema, imported only
        then. It is never looser. So a valid input never needs jsonschema (a bundle answers without it)."""
        if not self._made:
            key = repr(self.schema)  # (plain values read from YAML: their repr says them all)
            found = _FAST.get(key)
            if found is None:
                from engine.schema.codegen import compile_value

                found = (compile_value(self.schema, formats=_FORMATS),)
                _FAST.put(key, found, len(key))
            self._fast, self._made = found[0], True
        return self._fast

    @fast.setter
    def fast(self, fn: Callable[[Any], bool] | None) -> None:
        self._fast, self._made = fn, True

    def check(self, inputs: Any) -> list[str]:
        if not isinstance(inputs, dict):
            return [f"/: expected an object of inputs, {got(inputs)}"]
        if self.deep_patterns:
            too_long = _too_long(inputs, self.patterned if self.checks is not None else None)
            if too_long:
                return too_long
        # The first input is checked by the simple checks alone when they can say everything (the
        # yes/no function only ever saves them work): a process that answers one input, such as
        # `decide --bundle`, does not generate it (nor import engine.schema.codegen).
        if self._asked or self.checks is None:
            fast = self.fast
            if fast is not None and fast(inputs):
                return []
        self._asked = True
        if self.checks is None:
            return self._jsonschema(inputs)
        messages = [f"{_pointer([n])}: missing; this input is required" for n in self.required if n not in inputs]
        unknown: list[str] = []
        for name, value in inputs.items():
            checks = self.checks.get(name)
            if checks is None:
                if name not in self.names:
                    unknown.append(name)
                continue
            for keyword, expected, ok in checks:
                if not ok(value):
                    messages.append(
                        Refusal(f"{_pointer([name])}: {phrase(keyword, expected, value)}", _hint(keyword, expected))
                    )
                    break
        return messages + self._unknown(unknown)

    def _unknown(self, names: list[str]) -> list[str]:
        """The first few unknown names, each with a suggestion, then a count: 200,000 of them cost
        one pass, not 200,000 fuzzy look-ups and as many lines."""
        from engine.problems.hints import Suggester

        hints = Suggester(MAX_UNKNOWN_REPORTED * 500)  # (a decision of thousands of inputs: no suggestion)
        shown = [
            f"{_pointer([n])}: not an input of this decision{_suggest(hints, n, self.names)}"
            for n in names[:MAX_UNKNOWN_REPORTED]
        ]
        if len(names) > MAX_UNKNOWN_REPORTED:
            shown.append(
                f"/: {len(names) - MAX_UNKNOWN_REPORTED:,} more inputs this decision does not have "
                f"(inputs: {_listed(self.names)})"
            )
        return shown

    def _jsonschema(self, inputs: dict[str, Any]) -> list[str]:
        if self.validator is None and not self.broken:
            # The one check of a schema from the sources (`validate` reports it, with its place,
            # as P009, and a repository with it is never bundled): here only for a decision made
            # in code. jsonschema is only to say why an input is refused: it is slow to import.
            import jsonschema

            from engine.schema.check import schema_problems

            invalid = schema_problems(self.schema)
            if invalid:
                self.broken = f"/: the decision's `inputs` are not a valid JSON Schema: {invalid[0]}"
            else:
                self.validator = jsonschema.Draft202012Validator(self.schema, format_checker=format_checker(_FORMATS))
        if self.broken:
            return [self.broken]
        validator = self.validator
        try:
            errors = sorted(validator.iter_errors(inputs), key=lambda e: list(map(str, e.absolute_path)))
        except Exception:  # (a backstop: no schema the one check accepts gets here)
            return ["/: the decision's `inputs` schema cannot be applied (`policyctl validate` says why)"]
        messages: dict[str, Refusal] = {}  # (in order, once: each key a `required` lacks is an error)
        fits = fits_of(validator)
        for error in errors:
            path = list(error.absolute_path) + false_step(error, inputs, self.schema)
            if error.validator in ("required", "additionalProperties") and not path:
                continue  # reported below, by name
            try:
                text, hint = said(error, fits, VERB, OWNER)
            except Exception:  # (a backstop: words of its own, never a traceback nor jsonschema's)
                text, hint = f"does not fit the schema's `{error.validator}`, {got(error.instance)}", ""
            message = f"{_pointer(path)}: {text}"
            messages.setdefault(message, Refusal(message, hint))
        missing = [f"{_pointer([n])}: missing; this input is required" for n in self.required if n not in inputs]
        known = set(self.names)
        return missing + self._unknown([n for n in inputs if n not in known]) + list(messages.values())


def _has_pattern(schema: Any) -> bool:
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "pattern" in node or "patternProperties" in node:
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _too_long(inputs: dict[str, Any], names: tuple[str, ...] | None) -> list[str]:
    """D004 messages for texts longer than ``MAX_PATTERN_INPUT`` where a pattern may check them:
    the named inputs, or (``names`` None) every text and key anywhere in the inputs."""
    found: list[tuple[list[Any], str]]
    if names is not None:
        found = [([n], inputs[n]) for n in names if type(inputs.get(n)) is str and len(inputs[n]) > MAX_PATTERN_INPUT]
    else:
        found = []
        stack: list[tuple[list[Any], Any]] = [([], inputs)]
        while stack and len(found) < MAX_UNKNOWN_REPORTED:
            path, node = stack.pop()
            if isinstance(node, str):
                if len(node) > MAX_PATTERN_INPUT:
                    found.append((path, node))
            elif isinstance(node, dict):
                for key, value in node.items():
                    stack.append((path + [key], key))  # keys meet `patternProperties`, `propertyNames`
                    stack.append((path + [key], value))
            elif isinstance(node, list):
                stack.extend((path + [i], item) for i, item in enumerate(node))
        found.sort(key=lambda f: list(map(str, f[0])))
    return [
        f"{_pointer(path)}: a text of {len(text):,} characters is longer than the {MAX_PATTERN_INPUT:,} "
        "characters an input checked against a `pattern` may have"
        for path, text in found
    ]


def _simple_checks(schema: Any) -> list[_Check] | None:
    """The checks of one property schema, or None when it needs full JSON Schema."""
    if not isinstance(schema, dict) or not set(schema) <= _SIMPLE:
        return None
    checks: list[_Check] = []
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else types
        if not isinstance(names, list) or not all(n in _JSON_TYPES for n in names):
            return None
        checks.append(("type", names, _any_type([_JSON_TYPES[n] for n in names])))
    for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength"):
        if keyword in schema:
            bound = schema[keyword]
            if not _JSON_TYPES["number" if keyword.endswith("imum") else "integer"](bound):
                return None  # an invalid schema: let jsonschema say so
            checks.append((keyword, bound, _bound(keyword, bound)))
    if "pattern" in schema:
        try:
            regex = re.compile(schema["pattern"])
        except (re.error, TypeError):
            return None
        checks.append(("pattern", schema["pattern"], lambda v: not isinstance(v, str) or regex.search(v) is not None))
    if "enum" in schema:
        options = schema["enum"]
        if not isinstance(options, list):
            return None
        # `in` first: cheap, and enough unless booleans and numbers could be confused (True == 1)
        checks.append(
            ("enum", options, lambda v: v in options and (isinstance(v, str) or any(_same(v, o) for o in options)))
        )
    if "const" in schema:
        constant = schema["const"]
        checks.append(("const", constant, lambda v: _same(v, constant)))
    fmt = schema.get("format")
    if type(fmt) is str and fmt in FORMAT_CHECKS:  # the formats every check asserts (predicates.FORMAT_CHECKS)
        asserted = _FORMATS.get(fmt, FORMAT_CHECKS[fmt])
        checks.append(("format", fmt, lambda v: not isinstance(v, str) or asserted(v)))
    return checks


def _any_type(tests: list[Callable[[Any], bool]]) -> Callable[[Any], bool]:
    if len(tests) == 1:
        return tests[0]
    return lambda v: any(t(v) for t in tests)


def _bound(keyword: str, bound: float) -> Callable[[Any], bool]:
    """A numeric or length bound; like JSON Schema, it ignores values of other types."""
    number = _JSON_TYPES["number"]
    if keyword == "minimum":
        return lambda v: not number(v) or v >= bound
    if keyword == "maximum":
        return lambda v: not number(v) or v <= bound
    if keyword == "exclusiveMinimum":
        return lambda v: not number(v) or v > bound
    if keyword == "exclusiveMaximum":
        return lambda v: not number(v) or v < bound
    if keyword == "minLength":
        return lambda v: not isinstance(v, str) or len(v) >= bound
    return lambda v: not isinstance(v, str) or len(v) <= bound


def _same(a: Any, b: Any) -> bool:
    """JSON equality: `true` is not `1`."""
    return a == b and isinstance(a, bool) == isinstance(b, bool)


def _format_ok(fmt: str, value: str) -> bool:
    """Whether ``value`` is a date (`format: date`) or an offset-aware date-time (`format: date-time`)
    in the forms of engine.model.dates (the predicates every check uses)."""
    return FORMAT_CHECKS[fmt](value)


def _date_ok(value: str) -> bool:
    # a plain date parsed here is kept in the runtime's memo of days (only texts parse_date accepts),
    # so `before`/`days_between`/`param_on` on the same input do not parse it again
    if type(value) is str and _plain_day(value) is not None:
        return True
    return _format_ok("date", value)


def _date_time_ok(value: str) -> bool:
    """``_format_ok("date-time", value)``, cheaper: the runtime's memo of offset-aware date-times
    (``helpers.aware``) holds exactly the texts found valid before, so a batch's repeated texts are
    a look-up, and a new one is parsed once, by whichever needs it first: this check, or
    `before`/`after`/`during` on the same input."""
    if type(value) is not str:  # a subclass (from Python callers): its own hashing stays out of memos
        return _format_ok("date-time", value)
    return value in _moments or _learn(value) is not None


# `date` and `date-time` as FORMAT_CHECKS says them, through the runtime's memos (the same answers)
_FORMATS: dict[str, Callable[[str], bool]] = {"date": _date_ok, "date-time": _date_time_ok}
# The yes/no functions made (`Inputs.fast`), by the inputs' schema: each repository loaded (a copy in
# another folder, `serve`'s rebuilds, tests) generated and compiled them again for the same schemas
# (~0.5 ms each; a function holds no state: the same schema makes the same function)
_FAST: Memo[tuple[Callable[[Any], bool] | None]] = Memo(1024, 16 * 1024 * 1024)  # weight: the key's length


def _hint(keyword: str, expected: Any) -> str:
    return format_hint(expected) if keyword == "format" else ""


def _pointer(path: list[Any]) -> str:
    """RFC 6901 JSON pointer."""
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path) if path else "/"


def _suggest(hints: Suggester, name: str, known: tuple[str, ...]) -> str:
    close = hints.closest(name, known)
    return f"; did you mean `{close[0]}`?" if close else f" (inputs: {_listed(known)})"


def _listed(names: tuple[str, ...]) -> str:
    """The inputs in their order, the first ``MAX_LISTED`` of them (engine.problems.hints)."""
    from engine.problems.hints import MAX_LISTED

    more = len(names) - MAX_LISTED
    return ", ".join(names[:MAX_LISTED]) + (f" and {more:,} more" if more > 0 else "")
