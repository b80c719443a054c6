"""Compiled templates shared by every environment of one configuration, in memory.

Jinja compiles a template (lex, parse, generate Python, compile it) the first time an environment
loads it. A build makes new environments (one per program, the layout's), and tests and
`policyctl serve` build many times in one process, often from copies of one repository in other
folders: the same texts were compiled again and again. ``SharedCode`` is a Jinja bytecode cache
that keeps only *code objects* (never Template objects, globals or filters) in a bounded memo
(engine.cache.memo), keyed by everything the code depends on:

- the template's text and its name (the generated code holds the name);
- the environment's configuration (``configuration``): its class (the sandbox and its hooks),
  syntax and whitespace options, autoescaping, extensions and their policies, and each filter
  and test by name, by what Jinja passes it (context, environment) and by the function it is
  (its module and qualified name, through wrappers): Jinja calls a filter that takes no context
  on constants while compiling (`{{ "x"|upper }}`), and `finalize` on constant output.

The filename is not in the key: Python's code objects carry it (`co_filename`), and tracebacks,
hence the `file:line` of a template problem, read it there; a code object compiled for another
copy of the template is given this one's filename (``refiled``) before Jinja runs it. Each
environment still makes its own Template object from the code, with its own globals and filters,
and every render runs under that environment's sandbox and guard: nothing of one repository's
environment reaches another's.

A template that fails to compile (an unknown filter or test where Jinja refuses it while compiling,
a block defined twice, a syntax error) failed again for every page that rendered it, twice per page
(engine.site.page.render_both), and on every rebuild of `serve` while the mistake stayed. Such a
failure is a ``TemplateSyntaxError`` and depends on what the code would (the text, the name, the
configuration): it is kept under the same key (``Failure``: its type, message, line and name, no
traceback, so no frame of a render or environment stays alive) and raised again as a new error of
the same type at this copy's filename, translated by the environment as Jinja translates its own
(``Environment.handle_exception``), so every page reports what compiling again would. Any other
failure while compiling (a deadline or recursion limit met, memory) depends on more than the text
and is never kept.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Hashable
from types import CodeType
from typing import Any

from jinja2 import BytecodeCache, Environment, TemplateSyntaxError
from jinja2.bccache import Bucket
from jinja2.exceptions import TemplateAssertionError
from jinja2.utils import _PassArg

from engine.cache.memo import Memo


class _Bucket(Bucket):
    def __init__(self, environment: Environment, key: Hashable) -> None:
        super().__init__(environment, "", "")
        self.memo_key = key
        self.weight = 1


class SharedCode(BytecodeCache):
    """A Jinja bytecode cache in memory, shared by environments of the same configuration."""

    def __init__(self, size: int = 512, weight: int = 32 * 1024 * 1024) -> None:
        # bounded in templates and in their text (a template's code is a few times its text)
        self.memo: Memo[CodeType] = Memo(size, weight)
        # templates that failed to compile, by the same key, bounded in their messages' length too
        # (a message may quote a name of the template)
        self.failed: Memo[Failure] = Memo(size, weight // 8)

    def get_bucket(self, environment: Environment, name: str, filename: str | None, source: str) -> Bucket:
        text = source.encode("utf-8", "surrogatepass")  # (the key holds the text's digest, not the text)
        bucket = _Bucket(
            environment, (configuration_id(environment), name, hashlib.blake2b(text, digest_size=20).digest())
        )
        bucket.weight = len(text)
        code = self.memo.get(bucket.memo_key)
        if code is None:
            failure = self.failed.get(bucket.memo_key)
            if failure is not None:  # it failed before: the same failure, not compiled again
                failure.raise_again(environment, filename, source)
            # compiled here rather than by the loader after this returns, so that a failure is seen
            # (the code is kept as set_bucket keeps it; the loader only calls set_bucket without one)
            try:
                code = environment.compile(source, name, filename)
            except TemplateSyntaxError as e:
                failure = Failure.of(e, name, filename)
                if failure is not None:
                    self.failed.put(bucket.memo_key, failure, len(failure.message))
                raise
            self.memo.put(bucket.memo_key, code, bucket.weight)
        bucket.code = refiled(code, filename or "<template>")
        return bucket

    def set_bucket(self, bucket: Bucket) -> None:
        if isinstance(bucket, _Bucket) and bucket.code is not None:
            self.memo.put(bucket.memo_key, bucket.code, bucket.weight)

    def load_bytecode(self, bucket: Bucket) -> None:  # (a bucket is filled by get_bucket)
        pass

    def dump_bytecode(self, bucket: Bucket) -> None:  # (a bucket is kept by set_bucket)
        pass


class Failure:
    """A template's failure to compile, without its traceback: what ``raise_again`` needs to raise
    the error compiling again would (Jinja's ``TemplateSyntaxError`` or ``TemplateAssertionError``,
    with its message, line and template name; the filename is the copy's that is loaded)."""

    __slots__ = ("kind", "lineno", "message", "name")

    def __init__(self, kind: type[TemplateSyntaxError], message: str, lineno: int, name: str | None) -> None:
        self.kind, self.message, self.lineno, self.name = kind, message, lineno, name

    @classmethod
    def of(cls, e: TemplateSyntaxError, name: str | None, filename: str | None) -> Failure | None:
        """``e`` to keep, or None when it may depend on more than the text and the configuration:
        a subclass of Jinja's (whatever else it holds), one about another template, or one caused by
        another exception other than a text's own decoding (a deadline's alarm inside the lexer
        becomes a syntax error there)."""
        if type(e) not in _KEPT or e.name != name or e.filename != filename or e.message is None:
            return None
        if set(vars(e)) - {"lineno", "name", "filename", "source", "translated"}:
            return None
        cause = e.__cause__ or e.__context__
        if cause is not None and not isinstance(cause, UnicodeError):
            return None
        return cls(type(e), e.message, e.lineno, e.name)

    def raise_again(self, environment: Environment, filename: str | None, source: str) -> None:
        """Raise the failure again, as ``environment.compile(source, name, filename)`` raises it."""
        try:
            raise self.kind(self.message, self.lineno, self.name, filename)
        except TemplateSyntaxError:
            environment.handle_exception(source=source)  # (Jinja's own: the template's place in the traceback)


_KEPT = (TemplateSyntaxError, TemplateAssertionError)


def refiled(code: CodeType, filename: str) -> CodeType:
    """``code`` and the functions it defines (the template's blocks and macros) with ``filename``."""
    if code.co_filename == filename:
        return code
    consts = tuple(refiled(c, filename) if isinstance(c, CodeType) else c for c in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


# Each configuration as a number, so that a memo key hashes quickly; never reused (a number
# forgotten here is never given to another configuration, so no memo entry can answer for one).
_numbers: dict[tuple[Any, ...], int] = {}
_next = itertools.count(1)
_NUMBERED = "policyctl_configuration"  # an environment's attribute: (its options and filters then, their number)


def configuration_id(env: Environment) -> int:
    """A number standing for ``configuration(env)`` in this process (equal configurations, equal
    numbers), worked out again when the environment's options or filters have changed."""
    options = (*_options(env), tuple(env.filters.items()), tuple(env.tests.items()))
    known = getattr(env, _NUMBERED, None)
    if known is not None and known[0] == options:
        return int(known[1])
    if len(_numbers) >= 1024:  # (bounded: a configuration forgotten gets a new number)
        _numbers.clear()
    key = configuration(env)
    number = _numbers.get(key)
    if number is None:
        number = _numbers[key] = next(_next)
    setattr(env, _NUMBERED, (options, number))  # (on the environment: nothing here keeps one alive)
    return number


def _options(env: Environment) -> tuple[Any, ...]:
    return (
        type(env),
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        env.is_async,
        tuple(sorted((name, type(ext)) for name, ext in env.extensions.items())),
        tuple(sorted((k, repr(v)) for k, v in env.policies.items())),
        getattr(env, "newstyle_gettext", None),
        tuple(sorted(getattr(env, "intercepted_binops", ()))),
        tuple(sorted(getattr(env, "intercepted_unops", ()))),
        env.autoescape,
        env.finalize,
    )


def configuration(env: Environment) -> tuple[Any, ...]:
    """What, besides a template's text and name, the code Jinja compiles for it depends on."""
    return (
        *_options(env)[:-2],
        _function(env.autoescape) if callable(env.autoescape) else env.autoescape,
        None if env.finalize is None else _function(env.finalize),
        tuple(sorted((name, _function(f)) for name, f in env.filters.items())),
        tuple(sorted((name, _function(f)) for name, f in env.tests.items())),
    )


def _function(f: Any, depth: int = 0) -> tuple[Any, ...]:
    """A callable as compiling sees it: how Jinja calls it, and which function it is.

    Jinja calls a filter or test that takes neither context nor environment, and `finalize`, on
    constants while compiling, so such a callable is known by its code (the same `def` makes the
    same code object), through `functools.wraps` and through closures: a callable captured is known
    the same way, a plain constant by its value, anything else makes the configuration one of a
    kind (never shared). A method is known by its function and its class: every instance of the
    class is taken to answer a constant alike (engine.site.render.Renderer.show, the one such
    method here, gives an escaped constant back as it is).
    """
    kind = _PassArg.from_obj(f)
    if depth > 8:  # (a function among its own closure's cells)
        return (kind, object())
    inner = getattr(f, "__wrapped__", None)
    if inner is not None:
        return (kind, _function(inner, depth + 1))
    owner = getattr(f, "__self__", None)
    target = getattr(f, "__func__", f)
    code = getattr(target, "__code__", None)
    if code is None:  # a class, a builtin, a callable object
        return (kind, target if isinstance(target, type) else getattr(target, "__qualname__", object()))
    cells = tuple(_cell(cell, depth) for cell in getattr(target, "__closure__", None) or ())
    return (kind, code, None if owner is None else type(owner), cells)


def _cell(cell: Any, depth: int) -> Any:
    try:
        value = cell.cell_contents
    except ValueError:  # an empty cell
        return None
    if callable(value):
        return _function(value, depth + 1)
    if value is None or isinstance(value, (str, int, float, bytes)):
        return (type(value), value)
    return object()
