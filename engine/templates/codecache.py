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
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Hashable
from types import CodeType
from typing import Any

from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket
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

    def get_bucket(self, environment: Environment, name: str, filename: str | None, source: str) -> Bucket:
        text = source.encode("utf-8", "surrogatepass")  # (the key holds the text's digest, not the text)
        bucket = _Bucket(
            environment, (configuration_id(environment), name, hashlib.blake2b(text, digest_size=20).digest())
        )
        bucket.weight = len(text)
        code = self.memo.get(bucket.memo_key)
        bucket.code = None if code is None else refiled(code, filename or "<template>")
        return bucket

    def set_bucket(self, bucket: Bucket) -> None:
        if isinstance(bucket, _Bucket) and bucket.code is not None:
            self.memo.put(bucket.memo_key, bucket.code, bucket.weight)

    def load_bytecode(self, bucket: Bucket) -> None:  # (a bucket is filled by get_bucket)
        pass

    def dump_bytecode(self, bucket: Bucket) -> None:  # (a bucket is kept by set_bucket)
        pass


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
