"""Authors' JSON Schemas that would make the checker itself the attack: references and regexes.

Parameter schemas and decision `inputs`/`outputs` are written by policy authors, and the values
checked against them too. Two keywords can then cost the CI machine far more than a malformed file
should:

- `$ref` (and `$dynamicRef`, `$id`) to anything but a place in the same schema: jsonschema would
  *fetch* `https://...` or open `file:///...` to resolve it (a request from CI, a file read);
- `pattern` / `patternProperties` with a regex that backtracks catastrophically: Python's `re`
  has no time limit, so `^(a+)+$` against `"aaaa...!"` runs for hours, and `^a*a*$` against a
  long string for minutes.

``unsafe_keywords`` finds both, statically, as P009 problems. A regex is refused when a repeated
part contains another repetition or an alternative (exponential backtracking), when two unbounded
repetitions in a row can match the same character (polynomial backtracking), when it repeats
without bound but is not anchored with `^` (a search retries it at every position), when it uses
backreferences, or when it is longer than ``MAX_PATTERN``. Policy patterns (`^[A-Z]{2}$`,
`^[a-z][a-z0-9_]*$`, `^[^@\\s]+@[^@\\s]+$`) pass.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any

from engine.problems import Problem
from engine.schema.keywords import SUBSCHEMA_LISTS, SUBSCHEMA_MAPS, SUBSCHEMA_ONE
from engine.source.loader import Document, Path

MAX_PATTERN = 1000

# The regex parser `re` itself uses: `re._parser` since 3.11, where `sre_parse` and `sre_constants`
# became deprecated aliases, and Python 3.15 removed them (importing them there failed, and with it
# every command). Private, but the only parser that reads a pattern exactly as `re` will run it.
if sys.version_info >= (3, 11):
    from re import _constants as _c
    from re import _parser
else:  # pragma: no cover - Python 3.10
    import sre_constants as _c
    import sre_parse as _parser

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT} | ({_c.POSSESSIVE_REPEAT} if hasattr(_c, "POSSESSIVE_REPEAT") else set())
_UNBOUNDED = 64  # a repetition allowing more than this many is "unbounded" for backtracking purposes
_ZERO_WIDTH = {_c.AT, _c.ASSERT, _c.ASSERT_NOT}


def unsafe_keywords(doc: Document, path: Path, schema: Any) -> list[Problem]:
    """P009 for every non-local reference and every dangerous regex in an author's schema."""
    return [Problem.at(doc.pos(where), "P009", message, hint) for where, message, hint in _walk(path, schema)]


def _walk(path: Path, node: Any) -> Iterator[tuple[Path, str, str]]:
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        here = path + (key,)
        if key in ("$ref", "$dynamicRef") and not (isinstance(value, str) and value.startswith("#")):
            yield (
                here,
                f"`{key}: {value}` refers outside this schema",
                "write the schema here, or refer to a part of it (`#/$defs/NAME`); nothing is fetched or read",
            )
        elif key == "$id":
            yield here, "`$id` is not allowed in a policy schema", "remove it; refer to parts with `#/$defs/NAME`"
        elif key == "pattern" and isinstance(value, str):
            yield from _pattern(here, value)
        elif key == "patternProperties" and isinstance(value, dict):
            for regex, sub in value.items():
                yield from _pattern(here, regex)
                yield from _walk(here + (regex,), sub)
        elif key in SUBSCHEMA_MAPS and isinstance(value, dict):
            for name, sub in value.items():
                yield from _walk(here + (name,), sub)
        elif key in SUBSCHEMA_LISTS and isinstance(value, list):
            for i, sub in enumerate(value):
                yield from _walk(here + (i,), sub)
        elif key in SUBSCHEMA_ONE:
            yield from _walk(here, value)


def _pattern(path: Path, regex: str) -> Iterator[tuple[Path, str, str]]:
    why = regex_risk(regex)
    if why:
        yield (
            path,
            f"the pattern `{regex}` {why}",
            "fix the regular expression"
            if why.startswith("is not")
            else "checking a long string against it could take minutes; write a simpler pattern, or an `enum`",
        )


# The verdict depends on the regex text alone, and the same few patterns recur in every program and
# every decision of a repository (parsing one and sampling its character sets costs ~1.5 ms):
# remember verdicts by text. Bounded, since texts come from authors; cleared whole when full.
_RISKS: dict[str, str | None] = {}
_MAX_RISKS = 4096
_TOO_DEEP = "is nested too deeply"


def regex_risk(regex: str) -> str | None:
    """Why matching ``regex`` can take time far beyond the length of the text, or None."""
    if type(regex) is not str:  # only a plain str is its text (a subclass may redefine equality)
        return _regex_risk(regex)
    try:
        return _RISKS[regex]
    except KeyError:
        pass
    why = _regex_risk(regex)
    if why == _TOO_DEEP:  # may depend on how deep the caller's stack already was: not kept
        return why
    if len(_RISKS) >= _MAX_RISKS:
        _RISKS.clear()
    _RISKS[regex] = why
    return why


def _regex_risk(regex: str) -> str | None:
    if len(regex) > MAX_PATTERN:
        return f"is longer than {MAX_PATTERN} characters"
    try:
        parsed = _parser.parse(regex)
    except re.error as e:
        return f"is not a regular expression ({e})"
    except (RecursionError, OverflowError):
        return _TOO_DEEP
    items: list[Any] = list(parsed.data)
    if _lookaround(items):  # `^(?=(a+)+$)`: the analysis below cannot bound what an assertion retries
        return "uses a lookahead or lookbehind, which this checker cannot prove fast (nor is it portable to ECMA-262)"
    # with `(?m)`, `^` matches after every line break: not an anchor (`(?ms)^.*X$` retries at every line)
    multiline = bool(parsed.state.flags & re.MULTILINE) if hasattr(parsed, "state") else "(?m" in regex
    anchored = (
        bool(items)
        and items[0][0] == _c.AT
        and (items[0][1] == _c.AT_BEGINNING_STRING or (items[0][1] == _c.AT_BEGINNING and not multiline))
    )
    if not anchored and _unbounded(items):
        return "repeats without bound but does not start with `^` (a search retries it at every position)"
    return _risk(items, inside_repeat=False)


def _lookaround(items: list[Any]) -> bool:
    for op, av in items:
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            return True
        if op in _REPEATS and _lookaround(list(av[2])):
            return True
        if op == _c.SUBPATTERN and _lookaround(list(av[-1])):
            return True
        if op == _c.BRANCH and any(_lookaround(list(a)) for a in av[1]):
            return True
    return False


def _unbounded(items: list[Any]) -> bool:
    for op, av in items:
        if op in _REPEATS and (av[1] > _UNBOUNDED or av[1] == _c.MAXREPEAT or _unbounded(list(av[2]))):
            return True
        if op == _c.SUBPATTERN and _unbounded(list(av[-1])):
            return True
        if op == _c.BRANCH and any(_unbounded(list(a)) for a in av[1]):
            return True
    return False


def _risk(items: list[Any], inside_repeat: bool) -> str | None:
    # unbounded repetitions still able to absorb input: (what they can match, their separators or None)
    open_sets: list[tuple[frozenset[str] | None, frozenset[str] | None]] = []
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        if op in (_c.GROUPREF, _c.GROUPREF_EXISTS):
            return "uses a backreference"
        if op in _REPEATS:
            low, high, body = av
            body = list(body)
            many = high > _UNBOUNDED or high == _c.MAXREPEAT
            # counted repetition backtracks too: `^(a+){1,60}$`, `^(aa|a){1,64}$`, `^(?:a{0,64}){64}$`
            if high > 1 and _nested(body) and not _separated(body):
                return "repeats a part that itself repeats or has alternatives (exponential backtracking)"
            why = _risk(body, inside_repeat or many)
            if why:
                return why
            start, alphabet = _first(body), _alphabet(body)
            if many and any(_overlap(start if sep is None else alphabet, sep or absorbs) for absorbs, sep in open_sets):
                return "has two repetitions in a row that can match the same text (slow backtracking)"
            if low > 0:  # it must match its first character: a run that cannot take that one ends
                open_sets = [(s, sep) for s, sep in open_sets if _overlap(s, start)]
            if many:  # a separated group (`(x+,)*`) takes more text only if the text holds a separator
                open_sets.append((alphabet, _separators(body)))
            continue
        if op == _c.SUBPATTERN:
            why = _risk(list(av[-1]), inside_repeat)
            if why:
                return why
            open_sets = []  # conservative: a group ends the run it is in
            continue
        if op == _c.BRANCH:
            for alternative in av[1]:
                why = _risk(list(alternative), inside_repeat)
                if why:
                    return why
            open_sets = []
            continue
        chars = _charset([(op, av)])
        open_sets = [(s, sep) for s, sep in open_sets if _overlap(s, chars)]
    return None


def _nested(items: list[Any]) -> bool:
    for op, av in items:
        if op in _REPEATS and (av[1] > 1 or av[0] != av[1] or _nested(list(av[2]))):  # `x?` too: two ways per round
            return True
        if op == _c.BRANCH and not _deterministic(av[1]):
            return True
        if op == _c.SUBPATTERN and _nested(list(av[-1])):
            return True
        if op in (_c.ASSERT, _c.ASSERT_NOT) and _nested(list(av[1])):
            return True
    return False


def _flat(items: list[Any]) -> list[Any]:
    """The items of a sequence with its plain groups opened."""
    out: list[Any] = []
    for op, av in items:
        out += _flat(list(av[-1])) if op == _c.SUBPATTERN else [(op, av)]
    return out


def _separated(body: list[Any]) -> bool:
    """Whether each pass of a repeated part holds a character none of its repetitions can match
    (`(/[a-z]+)*`: the `/`), so the passes cannot be told apart in more than one way."""
    return _separators(body) is not None


def _separators(body: list[Any]) -> frozenset[str] | None:
    """The characters of the mandatory single characters in ``body`` that none of its repetitions
    can match (None when there is none)."""
    items = _flat(body)
    repeated = [_alphabet(list(av[2])) for op, av in items if op in _REPEATS]
    if not repeated or any(op == _c.BRANCH for op, _ in items):
        return None
    found: set[str] = set()
    for item in items:
        if item[0] in _REPEATS or item[0] in _ZERO_WIDTH:
            continue
        chars = _charset([item])
        if chars is not None and not any(_overlap(chars, r) for r in repeated):
            found |= chars
    return frozenset(found) if found else None


def _deterministic(alternatives: list[Any]) -> bool:
    """`foo|bar`: alternatives without repetitions, each starting with its own character."""
    firsts: list[frozenset[str] | None] = []
    for alternative in alternatives:
        items = _flat(list(alternative))
        if not items or any(op in _REPEATS or op == _c.BRANCH for op, _ in items):
            return False
        firsts.append(_charset(items[:1]))
    return all(not _overlap(a, b) for i, a in enumerate(firsts) for b in firsts[i + 1 :])


def _alphabet(items: list[Any]) -> frozenset[str] | None:
    """Every character ``items`` can match (None: too complex to say)."""
    found: set[str] = set()
    for op, av in _flat(items):
        if op in _ZERO_WIDTH:
            continue
        if op in _REPEATS:
            part = _alphabet(list(av[2]))
        elif op == _c.BRANCH:
            parts = [_alphabet(list(a)) for a in av[1]]
            part = None if any(p is None for p in parts) else frozenset().union(*parts)  # type: ignore[arg-type]
        else:
            part = _charset([(op, av)])
        if part is None:
            return None
        found |= part
    return frozenset(found)


def _first(items: list[Any]) -> frozenset[str] | None:
    """The characters a match of ``items`` can start with (None: too complex to say)."""
    found: set[str] = set()
    for op, av in _flat(items):
        if op in _ZERO_WIDTH:
            continue
        if op in _REPEATS:
            part = _first(list(av[2]))
            if part is None:
                return None
            found |= part
            if av[0] > 0:
                return frozenset(found)
            continue
        part = _alphabet([(op, av)]) if op == _c.BRANCH else _charset([(op, av)])
        return None if part is None else frozenset(found | part)
    return frozenset(found)


# A character set is described by the characters of a sample it matches: exact enough to tell
# `[^@]` from `@` or `\d` from `-`, and conservative (None: "anything") where unsure.
_SAMPLE = [chr(i) for i in range(0, 0x250)] + ["\u00a0", "\u2028", "\u3000", "\u4e00", "\uff10", "\U0001f600"]
_SAMPLE_TEXT = "".join(_SAMPLE)


def _charset(items: list[Any]) -> frozenset[str] | None:
    if len(items) != 1:
        return None
    op, av = items[0]
    if op == _c.LITERAL:
        return frozenset((chr(av),))
    if op in (_c.NOT_LITERAL, _c.ANY, _c.IN, _c.CATEGORY):
        try:
            matcher = re.compile(_source(op, av))
        except (re.error, ValueError):
            return None
        # `_source` matches exactly one character, so one scan of the joined sample finds every
        # sample character it matches (as a fullmatch of each would, 600 calls instead of one).
        return frozenset(matcher.findall(_SAMPLE_TEXT))
    return None


def _source(op: Any, av: Any) -> str:
    """Regex source for one single-character item of the parsed pattern."""
    if op == _c.NOT_LITERAL:
        return "[^" + re.escape(chr(av)) + "]"
    if op == _c.ANY:
        return "(?s:.)"
    if op == _c.CATEGORY:
        return "[" + _CATEGORIES[av] + "]"
    parts, negate = [], False
    for sub_op, sub_av in av:
        if sub_op == _c.NEGATE:
            negate = True
        elif sub_op == _c.LITERAL:
            parts.append(re.escape(chr(sub_av)))
        elif sub_op == _c.RANGE:
            parts.append(re.escape(chr(sub_av[0])) + "-" + re.escape(chr(sub_av[1])))
        elif sub_op == _c.CATEGORY:
            parts.append(_CATEGORIES[sub_av])
        else:
            raise ValueError(sub_op)
    return "[" + ("^" if negate else "") + "".join(parts) + "]"


_CATEGORIES = {
    _c.CATEGORY_DIGIT: r"\d",
    _c.CATEGORY_NOT_DIGIT: r"\D",
    _c.CATEGORY_SPACE: r"\s",
    _c.CATEGORY_NOT_SPACE: r"\S",
    _c.CATEGORY_WORD: r"\w",
    _c.CATEGORY_NOT_WORD: r"\W",
}


def _overlap(a: frozenset[str] | None, b: frozenset[str] | None) -> bool:
    return a is None or b is None or bool(a & b)
