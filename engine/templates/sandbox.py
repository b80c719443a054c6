"""The rules every template runs under, page bodies and the HTML layout alike.

Jinja's immutable sandbox (templates can read what they are given and call the filters, nothing
else: no attributes starting with `_`, no mutation, bounded ranges), `StrictUndefined` (a name the
context lacks is an error, never an empty string), autoescaping, and the i18n extension with
newstyle gettext. Failures become G001 problems at the template's file:line.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

from jinja2 import BaseLoader, StrictUndefined, TemplateNotFound, TemplateRuntimeError, TemplateSyntaxError
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.problems import Problem
from engine.templates.guard import RUNAWAY, GuardedSandbox, confine
from engine.templates.rules import NO_CHARACTER, syntax_hint, unknown_name_in

# Filters that would let a template mark text as safe, or emit markup of its own.
UNSAFE_FILTERS = ("safe", "forceescape", "escape", "e", "urlize", "xmlattr", "tojson", "pprint")


def environment(
    loader: BaseLoader,
    finalize: Callable[[Any], Any],
    autoescape: bool = True,
    keep_line_breaks: bool = True,
    cls: type[GuardedSandbox] = GuardedSandbox,
) -> ImmutableSandboxedEnvironment:
    """The sandbox with these rules; ``cls``: GuardedSandbox or a subclass (engine.site.onepass)."""
    extensions: list[Any] = ["jinja2.ext.i18n", TextsAreCharacters] + ([KeepLineBreaks] if keep_line_breaks else [])
    env = cls(  # limits on filters, globals, operators, time and files: engine.templates.guard
        loader=confine(loader),
        undefined=StrictUndefined,
        autoescape=autoescape,
        finalize=finalize,
        extensions=extensions,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    env.policies["ext.i18n.trimmed"] = True
    for name in UNSAFE_FILTERS:
        env.filters.pop(name, None)
    env.globals["fail"] = fail
    return env


# What `{{ }}` refuses to write (`1e308 * 10`, `'nan'|float`): a page never says "inf" or "∞"
NOT_FINITE = "a number that is not finite (infinity or NaN) cannot be shown; check the arithmetic"


def fail(message: str) -> NoReturn:
    """Stop rendering with a message (also a template global: `{{ fail("...") }}`)."""
    raise TemplateRuntimeError(message)


class RuleError(TemplateRuntimeError):
    """A render stopped by a rule of the pages with a code of its own (not G001's "the template
    failed"): the problem is at the template's line, at the column where ``needle`` (a pattern
    whose first group is the name to point at) first matches the line, else its first column."""

    def __init__(self, code: str, message: str, hint: str, needle: re.Pattern[str] | None = None) -> None:
        super().__init__(message)
        self.code, self.hint, self.needle = code, hint, needle


def column_at(file: str, line: int, needle: re.Pattern[str] | None) -> int:
    """The 1-based column of ``needle``'s first group on the template's line (1 when it is not there)."""
    found = needle.search(_line(file, line)) if needle is not None else None
    return found.start(1) + 1 if found else 1


_TAG = re.compile(r"\{%.*?%\}|\{#.*?#\}")


class KeepLineBreaks(Extension):
    """`trim_blocks` for lines that hold only tags, not for text lines that end with one.

    Markdown needs both: a line such as `{% for t in tiers %}` must vanish entirely (or table
    rows and list items would be split by blank lines), while a sentence ending in
    `{% endtrans %}` must keep its line break. Jinja's `+%}` does the latter per tag; this adds it
    wherever a line has text before its final tag.
    """

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        lines = source.split("\n")
        for i, line in enumerate(lines):
            stripped = line.rstrip()
            if stripped.endswith("%}") and not stripped.endswith(("-%}", "+%}")) and _TAG.sub("", stripped).strip():
                lines[i] = stripped[:-2] + "+%}" + line[len(stripped) :]
        return "\n".join(lines)


_SURROGATE = re.compile("[\ud800-\udfff]")


class TextsAreCharacters(Extension):
    """A syntax error for a text literal whose escape is half of a surrogate pair (`"\\ud800"`):
    Jinja reads Python's escapes in its literals, and keeps such a half, which no page can hold
    as UTF-8 (the build failed writing the page). Every environment that parses a template has
    it, so `validate` (engine.templates.check), the catalogs' extraction and the pages say the same."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        for token in stream:
            if token.type == "string" and type(token.value) is str:
                found = _SURROGATE.search(token.value)
                if found is not None:
                    escape = f"\\u{ord(found.group()):04x}"
                    raise TemplateSyntaxError(
                        f"the escape `{escape}` is {NO_CHARACTER}", token.lineno, stream.name, stream.filename
                    )
            yield token


class RenderError(Exception):
    """A template failed; ``runaway``: it ran past its deadline or its output limit (the same
    template with other data most likely would too, after as long, so a build stops rendering it:
    engine.site.page, engine.site.html)."""

    def __init__(self, problem: Problem, runaway: bool = False) -> None:
        super().__init__(problem.message)
        self.problem = problem
        self.runaway = runaway


def render_failure(e: BaseException, fallback: str) -> RenderError:
    """A failed render's exception as a RenderError (G001 at the template's file:line)."""
    if isinstance(e, RenderError):
        return e
    return RenderError(template_error(e, fallback), runaway=isinstance(e, RUNAWAY))


def template_error(e: BaseException, fallback: str) -> Problem:
    """A template failure as a G001 problem at the template's file:line."""
    if isinstance(e, RenderError):
        return e.problem
    if isinstance(e, TemplateSyntaxError):
        return Problem(
            e.filename or fallback,
            e.lineno or 1,
            1,
            "G001",
            f"template syntax error: {e.message}",
            syntax_hint(e.message or ""),
        )
    file, line = fallback, 1
    for frame in traceback.extract_tb(e.__traceback__):
        if frame.filename.endswith(".j2"):
            file, line = frame.filename, frame.lineno or 1
    if isinstance(e, RuleError):
        return Problem(file, line, column_at(file, line, e.needle), e.code, e.message or "", e.hint)
    what = "the sandbox refused: " if isinstance(e, SecurityError) else ""
    if isinstance(e, TemplateNotFound):
        what = "no such template: "
    if isinstance(e, RecursionError):
        message = "the template recurses too deeply (a macro that calls itself without end?)"
    elif isinstance(e, MemoryError):
        message = "the template ran out of memory"
    elif isinstance(e, ValueError) and "sys.set_int_max_str_digits" in str(e):  # `0x` + 5,000 digits, compiled
        message = "the template holds a number with more than 4,300 digits"
    elif isinstance(e, (NameError, LookupError, OverflowError)) and not isinstance(e, (TemplateNotFound, KeyError)):
        message = f"the template cannot be evaluated: {e}"  # `1e999` (no literal for infinity), a codec, a huge number
    elif isinstance(e, UndefinedError):
        message = undefined_message(str(e), _line(file, line))
    else:
        message = str(e) or "the template failed"
    # a filter or test no environment has, called in an `if` (Jinja refuses it only when it runs)
    hint = unknown_name_in(message) if isinstance(e, TemplateRuntimeError) else None
    return Problem(file, line, 1, "G001", f"{what}{message}", hint or "check the template against the page context")


# Jinja's messages for what StrictUndefined refuses (jinja2.runtime.Undefined._undefined_message)
_UNDEFINED_NAME = re.compile(r"'(?P<name>[^']*)' is undefined\Z")
_NO_ATTRIBUTE = re.compile(r"(?P<type>'[^']*'|None) has no (?:attribute|element) (?P<attr>'[^']*'|\S+)\Z")
# (a name's run from its start, or from a quote before it: tried at each of its letters, a long word
# cost its length squared)
_TYPE_NAME = re.compile(
    r"'[\w.]+ object'?|(?<![\w.'])[\w.]+ object'?"
)  # `'engine.site.markup.Fact object'`: an internal type name


def undefined_message(message: str, source_line: str) -> str:
    """A name or attribute the context lacks, said with the template's own words (`p` has no
    `trial_day`), never with Python's type names (`dict object`, `Fact`, `StrictUndefined`)."""
    found = _UNDEFINED_NAME.match(message)
    if found:
        return f"`{found['name']}` is not in the page context"
    found = _NO_ATTRIBUTE.match(message)
    if found:
        attr = found["attr"].strip("'")
        name = re.escape(attr)
        owner = _owner(source_line, name)
        subject = f"`{owner}`" if owner else "a value on this line"
        none = " (it is none: test it with `is none` first)" if found["type"] in ("None", "'None'") else ""
        return f"{subject} has no `{attr}`{none}"
    return _TYPE_NAME.sub("a value", message).replace("StrictUndefined", "an undefined value")


def _owner(source_line: str, name: str) -> str | None:
    """What a template line reads ``name`` (a pattern) of: the name before the first `.NAME` or
    `["NAME"]` that follows one (`p` of `p.trial_day`, `a.b` of `a.b . c`). Found from each such
    look-up back, not by a pattern tried at every letter of the line (a long word cost its length
    squared)."""
    for m in re.finditer(rf"\.\s*{name}\b|\[\s*['\"]{name}['\"]", source_line):
        end = len(source_line[: m.start()].rstrip())
        start = end
        while start > 0 and (source_line[start - 1].isalnum() or source_line[start - 1] in "_."):
            start -= 1
        run = source_line[start:end]
        first = next((i for i, c in enumerate(run) if c.isascii() and (c.isalpha() or c == "_")), None)
        if first is not None and all(c.isalnum() or c in "_." for c in run[first:]):
            return run[first:]
    return None


def _line(file: str, line: int) -> str:
    try:
        with open(file, encoding="utf-8", errors="replace") as f:
            for number, text in enumerate(f, 1):
                if number == line:
                    return text
    except OSError:
        pass
    return ""
