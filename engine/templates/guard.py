"""Limits on templates while they run: what engine.templates.sandbox's environment adds to Jinja's sandbox.

Templates come from pull requests. Jinja's immutable sandbox stops them reaching Python internals;
this module also stops them exhausting the CI machine or reading outside the repository:

- ``GuardedSandbox`` keeps only the allowlisted Jinja filters (``SAFE_FILTERS``: no `attr`,
  `format`, `center`, `indent`, `join`, `replace`, `batch`, `slice`, `sum`, `random`...) and of
  Jinja's default globals only the sandbox's bounded `range` (no `dict`, `lipsum`, `cycler`, `joiner`,
  `namespace`); `+ * % **`
  go through the expression engine's bounded operators (no `"a" * 10**9`, no `10 ** (10 ** 10)`,
  which plain Jinja would even fold while *compiling*), and a `~` result is bounded too.
- every render has a deadline, ``MAX_RENDER_SECONDS`` (nested loops over data, recursive macros).
- ``confine`` makes the template loaders read only files inside their own folders (no symbolic
  link out of them) and no larger than ``MAX_TEMPLATE_BYTES``.

engine.templates.check refuses the same things before anything runs (`policyctl validate`).
"""

from __future__ import annotations

import contextlib
import math
import os
import posixpath
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, PrefixLoader, Template, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment

from engine.decisions import runtime as helpers
from engine.templates.rules import MAX_ROUND_DIGITS, MAX_TEMPLATE_BYTES, REMOVED_GLOBALS, SAFE_FILTERS, SAFE_METHODS

MAX_RENDER_SECONDS = 10.0
MAX_TEXT = 1_000_000  # characters of one `~` result; a whole help page is a few ten thousand
# Characters one render may put together: a page, a macro's or a `{% set %}` block's text. Each
# `{{ }}` is bounded, but a loop of 100,000 of them is not; every join Jinja makes goes through
# `GuardedSandbox.concat`, which counts as it goes (the page is streamed into it).
MAX_OUTPUT = 5_000_000

_PLAIN = (str, bytes, int, float, complex, list, tuple, dict, set, frozenset, range)
_DICT_ATTRIBUTES = frozenset(dir(dict))
_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": helpers.add,
    "*": helpers.mul,
    "%": helpers.mod,
    "**": helpers.power,
}


class TemplateTimeout(SecurityError):
    """A render ran longer than its deadline."""


class OutputTooLarge(SecurityError):
    """A render put together more than ``MAX_OUTPUT`` characters."""


# A render stopped by one of these would most likely be stopped again with another page's data, after
# as long (a build runs such a template once: engine.site.page, engine.site.html)
RUNAWAY = (TemplateTimeout, OutputTooLarge)


class _GuardedConcat(CodeGenerator):
    """`a ~ b` through ``GuardedSandbox.checked_concat``, so doubling a string cannot exhaust memory;
    a number that is not finite (`1e999`, `'nan'|float`) shown at run time, never folded into the
    text at compile time: folding escapes it to the text `inf` before `finalize` could refuse it."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.checked_concat(")
        super().visit_Concat(node, frame)
        self.write(")")

    def visit_Const(self, node: nodes.Const, frame: Frame) -> None:
        if isinstance(node.value, float) and not math.isfinite(node.value):
            self.write(f"float({str(node.value)!r})")  # (Python has no literal for it: `inf` is a NameError)
            return
        super().visit_Const(node, frame)

    def _output_child_to_const(self, node: nodes.Expr, frame: Frame, finalize: Any) -> str:
        const = node.as_const(frame.eval_ctx)
        if isinstance(const, float) and not math.isfinite(const):
            raise nodes.Impossible()  # (output at run time, where the page's `finalize` refuses it)
        result: str = super()._output_child_to_const(node, frame, finalize)
        return result


class _DeadlineTemplate(Template):
    def render(self, *args: Any, **kwargs: Any) -> str:
        with deadline(MAX_RENDER_SECONDS, f"the template `{self.name}`" if self.name else "the template"):
            return super().render(*args, **kwargs)


class GuardedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox: allowlisted filters, no default globals, bounded operators, a deadline."""

    intercepted_binops = frozenset(_BINOPS)  # intercepted operators are never folded at compile time
    code_generator_class = _GuardedConcat
    template_class = _DeadlineTemplate

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: f for name, f in self.filters.items() if name in SAFE_FILTERS}
        self.filters["round"] = bounded_round
        for name in REMOVED_GLOBALS:
            self.globals.pop(name, None)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`x.name`: on a plain mapping (most of what the layout reads) its item, found without the
        failed attribute lookup Jinja's sandbox makes first: a dict's only attributes are its
        methods, so for any other name that lookup fails and the sandbox takes the item."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, _PLAIN) and callable(value) and attr not in SAFE_METHODS:
            return False
        return bool(super().is_safe_attribute(obj, attr, value))

    def wrap_str_format(self, value: Any) -> None:
        """`str.format` is not offered at all (Jinja would wrap it in its own formatter, which
        still pads to any width a format spec asks for): `is_safe_attribute` refuses it."""
        return None

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        try:
            return _BINOPS[operator](left, right)
        except helpers.EvalError as e:
            raise SecurityError(str(e)) from None

    @staticmethod
    def concat(parts: Iterable[str]) -> str:
        kept: list[str] = []
        keep = kept.append  # (a page is a few hundred parts: this loop is a hot one)
        size, limit = 0, MAX_OUTPUT
        for part in parts:
            size += len(part)
            if size > limit:
                raise OutputTooLarge(f"the output is over the limit of {MAX_OUTPUT:,} characters")
            keep(part)
        return "".join(kept)

    def checked_concat(self, text: str) -> str:
        if len(text) > MAX_TEXT:
            raise SecurityError(f"text too long: {len(text):,} characters from `~` (the limit is {MAX_TEXT:,})")
        return text


def bounded_round(value: Any, precision: Any = 0, method: str = "common") -> float:
    """Jinja's `round`, with a precision of at most ``MAX_ROUND_DIGITS`` digits either way."""
    from jinja2.filters import do_round

    if type(precision) is not int or not -MAX_ROUND_DIGITS <= precision <= MAX_ROUND_DIGITS:
        raise SecurityError(
            f"`round` takes a precision from -{MAX_ROUND_DIGITS} to {MAX_ROUND_DIGITS} digits, got `{precision!r}`"
        )
    return do_round(value, precision, method)  # type: ignore[arg-type]  # (Jinja's own errors for a bad method or value)


class ConfinedLoader(FileSystemLoader):
    """Reads a template only if it lies inside the policies folder once links are followed (the
    folder holding marketplaces.yaml above the template folder, else that folder), and is not huge."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        from engine.source.layout import find_root

        pieces = split_template_path(template)  # refuses `..`
        if any(piece.startswith(".") for piece in pieces):  # engine.templates.check.hidden: never checked
            raise SecurityError(
                f"the template `{template}` is hidden (in a hidden folder or file): it is never checked"
            )
        for folder in self.searchpath:
            filename = posixpath.join(folder, *pieces)
            if os.path.isfile(filename):
                # found by the paths as written, from the folder's parent: a linked folder is outside
                root = find_root(os.path.dirname(os.path.abspath(folder))) or folder
                if not inside(filename, root):
                    raise SecurityError(f"the template `{template}` is a link to a file outside {root}")
                if os.path.getsize(filename) > MAX_TEMPLATE_BYTES:
                    raise SecurityError(f"the template `{template}` is over the limit of {MAX_TEMPLATE_BYTES:,} bytes")
                break
        return super().get_source(environment, template)


def confine(loader: BaseLoader) -> BaseLoader:
    """The same loader with every FileSystemLoader in it replaced by a ConfinedLoader."""
    if isinstance(loader, FileSystemLoader) and not isinstance(loader, ConfinedLoader):
        return ConfinedLoader(loader.searchpath, loader.encoding, loader.followlinks)
    if isinstance(loader, ChoiceLoader):
        return ChoiceLoader([confine(inner) for inner in loader.loaders])
    if isinstance(loader, PrefixLoader):
        return PrefixLoader({prefix: confine(inner) for prefix, inner in loader.mapping.items()}, loader.delimiter)
    return loader


def inside(path: str, folder: str) -> bool:
    """Whether ``path``, every link followed, is ``folder`` or below it."""
    real, top = os.path.realpath(path), os.path.realpath(folder)
    return os.path.commonpath([real, top]) == top


AGAIN = 0.05  # seconds: how soon an expired deadline raises again while its block runs on


@contextlib.contextmanager
def deadline(seconds: float, what: str) -> Iterator[None]:
    """Raise TemplateTimeout inside the block after ``seconds``.

    Uses SIGALRM, so only in the main thread on POSIX systems (elsewhere: no limit); a deadline
    already running outside this one is suspended meanwhile.
    """
    if seconds <= 0 or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    live = [True]
    held = [False]  # the hook of exceptions no one can catch is running: not to be interrupted

    def expired(signum: int, frame: Any) -> None:
        if live[0]:
            # raised again soon, until the block ends: code inside it that catches every exception
            # (a filter trying another way) would otherwise swallow the only one, and the render
            # would run on with no limit at all
            signal.setitimer(signal.ITIMER_REAL, AGAIN)
            if not held[0]:
                raise TemplateTimeout(f"{what} ran longer than {seconds:g} s (a loop or a recursion too large)")

    hook = sys.unraisablehook

    def unraisable(info: Any) -> None:
        # An alarm that fires in a finalizer (a generator of the render closed as the timeout
        # unwinds it, a `__del__`) raises where nothing can catch it: Python hands it to this hook,
        # whose default prints "Exception ignored in ..." and a traceback. It is this deadline's
        # own, and the next alarm stops the block: nothing to say. Any other goes to the hook there
        # was, which the alarm does not interrupt (pytest's, formatting it, failed so).
        if isinstance(info.exc_value, TemplateTimeout):
            return
        held[0] = True
        try:
            hook(info)
        finally:
            held[0] = False

    sys.unraisablehook = unraisable
    previous = signal.signal(signal.SIGALRM, expired)
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        try:
            live[0] = False  # (an alarm already on its way raises nothing now)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            sys.unraisablehook = hook
            if outer:
                signal.setitimer(signal.ITIMER_REAL, outer)
