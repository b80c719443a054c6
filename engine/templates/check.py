"""Templates checked without running them: what `policyctl validate` refuses in `*.j2` files.

A template is read with Jinja's parser (never compiled or rendered) and every construct that only
a server-side template injection needs is a G001 problem at its line:

- names and attributes starting with `_` (`__class__`, `__mro__`, `__subclasses__`, `__globals__`,
  `__builtins__`, `__init__`...) and Python internals (`mro`, `format`, `format_map`, `gi_frame`...);
- Jinja's default globals (`cycler`, `joiner`, `namespace`, `lipsum`, `dict`; `range` is bounded) and names
  other frameworks put in contexts (`request`, `config`, `os`, `open`...);
- Jinja filters outside engine.templates.rules.SAFE_FILTERS (`attr`, `format`, `center`...);
- a private name passed as text (`map(attribute="__class__")`, `sort(attribute="a.__class__")`);
- template names that are absolute, climb with `..`, or hold `\\`, `:` or NUL.

The same things fail at render time in engine.templates.guard's sandbox: this check reports them early,
with a file and line, in the pull request that adds them.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from engine.problems import Problem
from engine.source.loader import read_bytes, wide_text
from engine.templates.rules import FORBIDDEN_ATTRIBUTES, MAX_ROUND_DIGITS, MAX_TEMPLATE_BYTES, syntax_hint

if TYPE_CHECKING:
    from jinja2 import Environment, nodes

    from engine.model.repository import Repository

_FRAMEWORK_NAMES = frozenset(
    "request config session g url_for get_flashed_messages settings os sys builtins subprocess "
    "open eval exec getattr globals locals vars type object import".split()
)
_IDENTIFIER_PATH = re.compile(r"[A-Za-z0-9_.]+\Z")
_PRIVATE = "templates read the page context; names starting with `_` and these names are Python internals"
_CACHE_VERSION = "3"  # 3: the template by digest, under the store's engine stamp
# The sources whose behaviour decides what the check reports (cache key, with Jinja2's version).


def template_files(root: str) -> list[str]:
    """Every template (`*.j2`) below the policies folder ``root``, sorted; links to folders not followed."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found += [os.path.join(dirpath, n) for n in sorted(filenames) if n.endswith(".j2") and not n.startswith(".")]
    return found


def check_template(path: str) -> list[Problem]:
    """G001 for everything in the template at ``path`` that the sandbox refuses, each at its line.

    The answer for a template unchanged since the last run is read from the disk cache of
    engine.cache.compiled (same folder, ``templates/``), so an unchanged repository is validated
    without importing Jinja2. An entry is data only (problems as JSON) and is used only when its
    full key matches: the template's path and bytes, these sources and Jinja2's version.
    """
    try:
        raw = read_bytes(path, MAX_TEMPLATE_BYTES + 1)
    except OSError as e:
        return [Problem(path, 1, 1, "G001", f"cannot read the template: {e.strerror or e}", "check the path")]
    if len(raw) > MAX_TEMPLATE_BYTES:
        return [
            Problem(
                path,
                1,
                1,
                "G001",
                f"the template is over the limit of {MAX_TEMPLATE_BYTES:,} bytes",
                "split it into included parts",
            )
        ]
    from engine.cache import store

    if store.root() is None:  # no cache: no key to compute
        return _analyse(path, raw)
    key = _key(path, raw)
    cached = _cached(key)
    if cached is not None:
        return cached
    problems = _analyse(path, raw)
    _store(key, problems)
    return problems


_environment: list[Environment] = []  # one parsing environment for every template (parsing leaves it unchanged)
# The trees parsed, by template name and text: validate checks a template for G001 and, if it is a
# page, its names (G007); both only read the tree, so it is parsed once, not twice (Jinja's parser
# is most of a cold validate). Not by path: a tree holds no path (the path is only in a syntax
# error's message, and a text that fails is not kept), and a copy of a repository (a test's, a
# worktree's) has the same templates.
_trees: dict[tuple[str, str], nodes.Template] = {}


def parse(source: str, name: str, path: str) -> nodes.Template:
    """The Jinja tree of a template's source, parsed once per (name, source) for every check."""
    found = _trees.get((name, source))
    if found is not None:
        return found
    if not _environment:
        from engine.templates.sandbox import TextsAreCharacters

        _environment.append(prelexed_environment()(extensions=[_recording_i18n(), TextsAreCharacters]))
    tree = _environment[0].parse(source, name, path)
    if len(_trees) >= 1024 or len(_for_extraction) >= 1024:  # long-lived processes (tests, serve): bounded
        _trees.clear()
        _for_extraction.clear()
    _trees[(name, source)] = tree
    text = _environment[0].preprocess(source, name, path)  # the text lexed (no extension changes it)
    tokens = raw_tokens(_environment[0], text)
    if tokens is not None and not any(kind == "name" and value == "notrimmed" for _, kind, value in tokens):
        _for_extraction[text] = tree
    return tree


# The catalogs' extraction (engine.i18n.catalogs.jinja_extract) parses with the renderer's i18n
# settings (`trimmed`, new-style gettext), which change only what a `{% trans %}` block becomes:
# this check's environment records, on each call a block becomes, the texts and arguments that
# extraction's parse would give it (`EXTRACTION`), so extraction reads this tree instead of parsing
# the text a second time. A text naming `notrimmed` is parsed again (its blocks are not trimmed
# there). Tested against Jinja's own extraction on every template and on crafted ones.
_for_extraction: dict[str, nodes.Template] = {}
EXTRACTION = "policyctl_extraction"  # the attribute holding (message, plural, keyword arguments) of a block's call
_recording: list[type[Any]] = []


def tree_for_extraction(source: str) -> nodes.Template | None:
    """The tree `parse` built for the (preprocessed) text ``source``, if extraction may read it."""
    return _for_extraction.get(source)


def _recording_i18n() -> type[Any]:
    """Jinja's i18n extension, recording on each `trans` block's call what extraction reads of it."""
    if not _recording:
        from jinja2 import nodes
        from jinja2.ext import InternationalizationExtension

        class RecordingI18n(InternationalizationExtension):
            def _make_node(
                self,
                singular: str,
                plural: str | None,
                context: str | None,
                variables: dict[str, nodes.Expr],
                plural_expr: nodes.Expr | None,
                vars_referenced: bool,
                num_called_num: bool,
            ) -> nodes.Output:
                output = super()._make_node(
                    singular, plural, context, variables, plural_expr, vars_referenced, num_called_num
                )
                call = output.nodes[0]
                while not isinstance(call, nodes.Call):  # old-style gettext wraps it: Mod(MarkSafeIfAutoescape(call))
                    call = call.left if isinstance(call, nodes.Mod) else call.expr  # type: ignore[attr-defined]
                # extraction's environment trims (its policy) and keeps `%%` (new style), and passes
                # the variables as keyword arguments (but `num` when it is the count)
                keywords = sum(1 for key in variables if not (num_called_num and key == "num"))
                trimmed = self._trim_whitespace(singular), self._trim_whitespace(plural) if plural else plural
                setattr(call, EXTRACTION, (*trimmed, keywords))
                return output

        _recording.append(RecordingI18n)
    return _recording[0]


# Raw tokens of each template text, lexed once per process: this check, the names check and the
# catalogs' extraction (engine.i18n.catalogs, whose parser and translator comments read them too)
# parse the same texts with the same lexer settings. Lexing is ~40 % of Jinja's parse.
_raw: dict[tuple[Any, str], list[tuple[int, str, str]] | None] = {}
_prelexed: list[type[Environment]] = []


def raw_tokens(env: Environment, source: str) -> list[tuple[int, str, str]] | None:
    """``list(env.lexer.tokeniter(source, None))``, once per lexer and text; None when lexing
    fails (the caller then lexes as Jinja does, so the error it reports is the one Jinja's
    parser meets first)."""
    key = (env.lexer, source)
    if key not in _raw:
        if len(_raw) >= 256:
            _raw.clear()
        try:
            _raw[key] = list(env.lexer.tokeniter(source, None))
        except Exception:  # any failure: lex again the usual way, which raises it where Jinja meets it
            _raw[key] = None
    return _raw[key]


def prelexed_environment() -> type[Environment]:
    """A Jinja ``Environment`` class whose parser reads ``raw_tokens`` (wrapped and filtered
    exactly as ``Environment._tokenize`` does) instead of lexing the text again."""
    if not _prelexed:
        from jinja2 import Environment
        from jinja2.lexer import TokenStream

        class PreLexed(Environment):
            def _tokenize(
                self, source: str, name: str | None, filename: str | None = None, state: str | None = None
            ) -> TokenStream:
                source = self.preprocess(source, name, filename)
                raw = raw_tokens(self, source) if state is None else None
                if raw is None:
                    stream = self.lexer.tokenize(source, name, filename, state)
                else:
                    stream = TokenStream(self.lexer.wrap(iter(raw), name, filename), name, filename)
                for ext in self.iter_extensions():
                    stream = ext.filter_stream(stream)  # type: ignore[assignment]
                    if not isinstance(stream, TokenStream):
                        stream = TokenStream(stream, name, filename)
                return stream

        _prelexed.append(PreLexed)
    return _prelexed[0]


def unreadable(path: str, e: BaseException) -> Problem:
    """G001 for a template Jinja's lexer or parser fails on other than with a syntax error."""
    if isinstance(e, (RecursionError, MemoryError)):
        return Problem(path, 1, 1, "G001", "the template is nested too deeply", "flatten it")
    if "digits" in str(e):  # Python's message names sys.set_int_max_str_digits, of no use to an author
        return Problem(
            path, 1, 1, "G001", "the template holds a number with more than 4,300 digits", "write shorter numbers"
        )
    return Problem(path, 1, 1, "G001", f"the template cannot be read: {e}", "write shorter numbers")


def _analyse(path: str, raw: bytes) -> list[Problem]:
    from jinja2.exceptions import TemplateSyntaxError

    wide = wide_text(raw, "the template")
    if wide is not None:  # (its NULs would be read as text)
        return [Problem(path, 1, 1, "G001", *wide)]

    try:
        tree = parse(raw.decode("utf-8"), os.path.basename(path), path)
    except UnicodeDecodeError as e:
        return [Problem(path, 1, 1, "G001", f"the template is not UTF-8 text ({e.reason})", "save it as UTF-8")]
    except TemplateSyntaxError as e:
        return [
            Problem(
                path,
                e.lineno or 1,
                1,
                "G001",
                f"template syntax error: {e.message}",
                syntax_hint(e.message or ""),
            )
        ]
    except (RecursionError, MemoryError):
        return [Problem(path, 1, 1, "G001", "the template is nested too deeply", "flatten it")]
    except (ValueError, OverflowError) as e:  # a 5,000-digit literal: int() refuses it while lexing
        return [unreadable(path, e)]
    try:
        problems = {
            Problem(path, node.lineno or 1, 1, "G001", f"the sandbox refuses {what}", hint)
            for node, what, hint in _refused(tree)
        }
        problems |= {
            Problem(path, node.lineno or 1, 1, "G001", f"template syntax error: {what}", hint)
            for node, what, hint in _unknown(tree)
        }
    except RecursionError:
        return [Problem(path, 1, 1, "G001", "the template is nested too deeply", "flatten it")]
    if path.endswith(".html.j2"):  # the layout: what `build` would refuse on every page, said at its line
        from engine.site.activecontent import in_template

        problems |= {
            Problem(
                path,
                line,
                col,
                "G001",
                f"the page would carry active content: {what}",
                "pages are passive: no scripts, event handlers, frames, forms or resources from elsewhere",
            )
            for line, col, what in in_template(raw.decode("utf-8"))
        }
    return sorted(problems, key=Problem.sort_key)


def _refused(tree: nodes.Template) -> Iterator[tuple[nodes.Node, str, str]]:  # noqa: C901 - one branch per construct a template may not use
    from jinja2 import nodes
    from jinja2.filters import FILTERS

    from engine.templates.rules import REMOVED_GLOBALS, SAFE_FILTERS

    forbidden_names = _FRAMEWORK_NAMES | frozenset(REMOVED_GLOBALS)
    refused_filters = frozenset(FILTERS) - SAFE_FILTERS
    everything = _descendants(tree)
    modules = (
        {"self", "loop"}
        | {n.target for n in everything if isinstance(n, nodes.Import)}
        | {
            alias if isinstance(alias, str) else alias[-1]
            for n in everything
            if isinstance(n, nodes.FromImport)
            for alias in n.names
        }
    )
    folded: set[int] = set()
    for node in everything:
        if isinstance(node, nodes.Name) and node.ctx == "load":
            if (node.name != "_" and node.name.startswith("_")) or node.name in forbidden_names:  # `_`: gettext
                yield node, f"the name `{node.name}`", "it is not part of the page context"
        elif isinstance(node, nodes.Getattr):
            if _private(node.attr):
                yield node, f"the attribute `{node.attr}`", _PRIVATE
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            if isinstance(node.arg.value, str) and _private(node.arg.value):
                yield node, f"the key `{node.arg.value}`", _PRIVATE
        elif isinstance(node, nodes.Filter) and node.name in refused_filters:
            yield node, f"the filter `{node.name}`", f"Jinja filters allowed: {', '.join(sorted(SAFE_FILTERS))}"
        elif isinstance(node, nodes.Filter) and node.name == "round" and _round_too_far(node) is not None:
            yield node, f"`round` with a precision of `{_round_too_far(node)}` digits", _ROUND_HINT
        elif isinstance(node, (nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)):
            yield from _template_names(node)
        elif isinstance(node, nodes.Call):
            yield from _call(node, modules)
        elif isinstance(node, nodes.Const) and isinstance(node.value, float) and not math.isfinite(node.value):
            yield node, f"the number `{node.value}`", "write a number a page can show"
        elif isinstance(node, nodes.Const) and type(node.value) is int and node.value.bit_length() > _MAX_LITERAL_BITS:
            # `0x` + 5,000 digits lexes (only decimal literals have a digit limit) but cannot be shown
            yield node, "a number with more than 4,096 bits", "write shorter numbers"
        elif isinstance(node, nodes.BinExpr) and id(node) not in folded:
            problem = _fold_problem(node, folded)
            if problem:
                yield node, problem, "the sandbox bounds text and lists to 100,000 items and numbers to 4,096 bits"
        if isinstance(node, (nodes.Filter, nodes.Test, nodes.Call)):
            for arg in list(node.args) + [k.value for k in node.kwargs]:
                if isinstance(arg, nodes.Const) and _smuggled(arg.value):
                    yield node, f"the name `{arg.value}` passed as text", _PRIVATE


def _unknown(tree: nodes.Template) -> Iterator[tuple[nodes.Node, str, str]]:
    """Filters and tests that no environment has (`|durationn`): Jinja refuses them only when it
    compiles the template, which `validate` never does, so `build` failed on what `validate`
    passed. Said in Jinja's words, as `build` says them. (Jinja's own filters that the sandbox
    refuses are `_refused`'s.)"""
    from jinja2 import nodes
    from jinja2.filters import FILTERS
    from jinja2.tests import TESTS

    from engine.templates.rules import PAGE_FILTERS, PAGE_TESTS, SAFE_FILTERS, unknown_name_hint

    filters = SAFE_FILTERS | PAGE_FILTERS
    tests = frozenset(TESTS) | PAGE_TESTS
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        if isinstance(node, nodes.Filter):
            if node.name in filters or node.name in FILTERS:
                continue
            yield node, f"No filter named '{node.name}'.", unknown_name_hint("filter", node.name)
        elif node.name not in tests:
            # (Jinja's words when a test is called in an `if`, where tests are: refused only when run)
            yield node, f"No test named '{node.name}' found.", unknown_name_hint("test", node.name)


_MAX_LITERAL_BITS = 4096  # engine.decisions.runtime.MAX_INT_BITS: what an operator may build

# A `%` conversion with flags, a width or a precision (`%200000000s`, `%(n)*d`, `%.9999f`).
_PADDED = re.compile(r"%%|%(?:\([^)]*\))?[-#0 +]*(?:\d|\*|\.)[^%]*?[a-zA-Z%]")


def padded_conversion(text: str) -> str | None:
    """The first `%` conversion of ``text`` with flags, a width or a precision, if any."""
    return next((m.group(0) for m in _PADDED.finditer(text) if m.group(0) != "%%"), None)


_GETTEXT = frozenset(("_", "gettext", "ngettext", "pgettext", "npgettext"))


def _call(node: nodes.Call, modules: set[str]) -> Iterator[tuple[nodes.Node, str, str]]:
    """Methods of plain values outside engine.templates.rules.SAFE_METHODS (`'x'.ljust(10**9)`), a
    method reached by a computed name (`''['for' ~ 'mat']`), a message with a padded conversion."""
    from jinja2 import nodes

    from engine.templates.rules import SAFE_METHODS

    callee = node.node
    if isinstance(callee, nodes.Getattr):
        owner = callee.node
        if not (isinstance(owner, nodes.Name) and owner.name in modules) and callee.attr not in SAFE_METHODS:
            yield node, f"the method `{callee.attr}`", f"methods templates may call: {', '.join(sorted(SAFE_METHODS))}"
    elif isinstance(callee, nodes.Getitem) and not (
        isinstance(callee.arg, nodes.Const) and callee.arg.value in SAFE_METHODS
    ):
        yield node, "a call of a computed name", "call macros and filters by their names"
    elif isinstance(callee, nodes.Name) and callee.name in _GETTEXT:
        for arg in node.args:
            padded = (
                padded_conversion(arg.value) if isinstance(arg, nodes.Const) and isinstance(arg.value, str) else None
            )
            if padded:
                yield (
                    node,
                    f"the conversion `{padded}` in a message",
                    "a message holds only `%(name)s` placeholders and `%%`",
                )


class _NotConstant(Exception):
    pass


_ROUND_HINT = f"`round` takes a precision from -{MAX_ROUND_DIGITS} to {MAX_ROUND_DIGITS} digits"


def _round_too_far(node: nodes.Filter) -> int | None:
    """The constant precision of `x|round(-1000000000)` when the sandbox's `round` refuses it (it
    would compute `10 ** precision` in one uninterruptible step), else None."""
    from jinja2 import nodes

    given = node.args[0] if node.args else next((k.value for k in node.kwargs if k.key == "precision"), None)
    sign = -1 if isinstance(given, nodes.Neg) else 1
    if isinstance(given, nodes.Neg):
        given = given.node
    if not isinstance(given, nodes.Const) or type(given.value) is not int or abs(given.value) <= MAX_ROUND_DIGITS:
        return None
    return sign * given.value


def _fold_problem(node: nodes.BinExpr, folded: set[int]) -> str | None:
    """What the sandbox's bounded operators would refuse in a constant expression (`[[0] * 100000] *
    100000`, `10 ** 10 ** 10`, `2.0 ** 5000`, `1 // 0`), computed with those same operators."""
    from jinja2 import nodes

    from engine.decisions import runtime

    ops: dict[str, Callable[[Any, Any], Any]] = {
        "+": runtime.add,
        "*": runtime.mul,
        "**": runtime.power,
        "%": runtime.mod,
        "-": lambda a, b: a - b,
        "/": lambda a, b: a / b,
        "//": lambda a, b: a // b,
    }

    def value(n: nodes.Node) -> Any:
        if isinstance(n, nodes.Const):
            return n.value
        if isinstance(n, (nodes.List, nodes.Tuple)):
            return [value(i) for i in n.items]
        if isinstance(n, nodes.BinExpr) and n.operator in ops:
            folded.add(id(n))
            return ops[n.operator](value(n.left), value(n.right))
        if isinstance(n, nodes.Neg):
            return -value(n.node)
        raise _NotConstant

    try:
        value(node)
    except _NotConstant:
        return None
    except runtime.EvalError as e:
        return f"the constant expression ({e})"
    except (ArithmeticError, ValueError) as e:
        return f"the constant expression ({e or 'it cannot be computed'})"
    except TypeError:
        return None  # a type mismatch fails at render time with its own message
    return None


def _descendants(tree: nodes.Node) -> list[nodes.Node]:
    """The nodes ``tree.find_all(nodes.Node)`` yields, in another order (callers collect them in a
    set). find_all nests one generator per level, so every node passes through all the levels
    above it; a stack visits each node once, ~3x faster on our templates."""
    from jinja2.nodes import Node

    found: list[Node] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        for name in node.fields:  # as Node.iter_child_nodes: fields holding a node or a list of nodes
            item = getattr(node, name, None)
            if isinstance(item, list):
                for child in item:
                    if isinstance(child, Node):
                        found.append(child)
                        stack.append(child)
            elif isinstance(item, Node):
                found.append(item)
                stack.append(item)
    return found


def _private(name: str) -> bool:
    return name.startswith("_") or name in FORBIDDEN_ATTRIBUTES


def _smuggled(value: Any) -> bool:
    """`"__class__"` or `"a.__globals__"`: a private name written as a string (attr, map, sort...)."""
    return (
        isinstance(value, str)
        and bool(_IDENTIFIER_PATH.match(value))
        and any(_private(part) for part in value.split(".") if part)
    )


def _template_names(
    node: nodes.Include | nodes.Extends | nodes.Import | nodes.FromImport,
) -> Iterator[tuple[nodes.Node, str, str]]:
    from jinja2 import nodes

    target = node.template
    if isinstance(target, (nodes.List, nodes.Tuple)):
        names = [item.value for item in target.items if isinstance(item, nodes.Const)]
    else:
        names = [target.value] if isinstance(target, nodes.Const) else []
    for name in names:
        if not (isinstance(name, str) and _relative(name)):
            yield (
                node,
                f"the template name `{name}`",
                "name templates relative to the program's pages/ folder, or as `_site/NAME`",
            )
        elif hidden(name):
            yield (
                node,
                f"the hidden template `{name}` (hidden files and folders are never checked)",
                "move it out of the hidden folder, or rename it",
            )


# -- loops between templates ----------------------------------------------------------------------

_TAGS = {"Include": "include", "Import": "import", "FromImport": "import", "Extends": "extends"}
_VERBS = {"include": "includes", "import": "imports", "extends": "extends"}


def loop_problems(repo: Repository, programs: list[str]) -> list[Problem]:
    """G001 for templates of ``programs`` (their pages and the layout they render in) that include,
    import or extend each other without end (``template_loops``): said at the tag
    that closes the loop, before rendering would recurse until Python's limit somewhere inside it."""
    if not programs:
        return []
    from engine.cache.checks import files_parts, kept
    from engine.packaged import SITE, site_dir
    from engine.site.manifest import pages_dir

    folders = [pages_dir(repo.programs[p]) for p in sorted(programs)]
    site = site_dir(repo.root)

    def inputs() -> list[bytes | str] | None:  # (kept per content, as the names' check: a warm run parses nothing)
        files = [t for f in (*folders, site) if os.path.isdir(f) for t in template_files(f)]
        parts = files_parts(files, MAX_TEMPLATE_BYTES + 1)
        return None if parts is None else ["loops", *folders, site, *parts]

    return kept("templates", inputs, lambda: template_loops(folders, site, SITE + "/"), repo.root)


def template_loops(folders: list[str], site: str, prefix: str) -> list[Problem]:
    """G001 at the `{% include %}`, `{% import %}` or `{% extends %}` that closes a loop of
    templates (one that includes itself, or two that import each other), with the loop in the
    message: rendering would recurse until Python's limit, reported at whatever line the
    recursion stopped in. ``folders``: the programs' pages folders, in each of which a name is
    looked up, and ``prefix`` + a name in the layout folder ``site`` (as engine.site.render's loader
    finds them). A layout template's names that are not the layout's are a program's: each
    program is walked on its own. `validate` and `build` ask alike (the same loops, the same
    places): from the templates no other includes (the pages), then the others, by name."""
    layout = _names_in(site, prefix)
    problems: set[Problem] = set()
    for folder in folders:
        pages = _names_in(folder, "")
        known = {**layout, **pages}
        edges = {name: _edges(path) for name, path in known.items()}
        targets = {t for found in edges.values() for t, *_ in found}
        order = sorted(pages, key=lambda n: (n in targets, n)) + sorted(layout, key=lambda n: (n in targets, n))
        done: set[str] = set()
        for start in order:
            _walk_loops(start, done, edges, known, problems)
    return sorted(problems, key=Problem.sort_key)


def _names_in(folder: str, prefix: str) -> dict[str, str]:
    """Each template below ``folder`` by the name a template includes it by: path -> name."""
    if not os.path.isdir(folder):
        return {}
    return {prefix + os.path.relpath(p, folder).replace(os.sep, "/"): p for p in template_files(folder)}


def _edges(path: str) -> list[tuple[str, str, int, int]]:
    """(name, tag, line, column) of each template ``path`` includes, imports or extends by a constant name."""
    from jinja2 import nodes
    from jinja2.exceptions import TemplateSyntaxError

    try:
        raw = read_bytes(path, MAX_TEMPLATE_BYTES + 1)
        if len(raw) > MAX_TEMPLATE_BYTES:
            return []
        source = raw.decode("utf-8")
        tree = parse(source, os.path.basename(path), path)
        tags = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
        found = [n for n in tree.find_all(tags) if isinstance(n, tags)]
    # a template that cannot be read or parsed: G001 says why (`_analyse`)
    except (OSError, UnicodeDecodeError, TemplateSyntaxError, RecursionError, MemoryError, ValueError, OverflowError):
        return []
    lines = source.split("\n")
    edges = []
    for node in found:
        tag = _TAGS[type(node).__name__]
        target = node.template
        items = target.items if isinstance(target, (nodes.List, nodes.Tuple)) else [target]
        for item in items:
            if isinstance(item, nodes.Const) and isinstance(item.value, str):
                line = node.lineno or 1
                text = lines[line - 1] if 0 < line <= len(lines) else ""
                edges.append((item.value, tag, line, _tag_column(text, tag, item.value)))
    return edges


def _tag_column(text: str, tag: str, name: str) -> int:
    """The column of the `{%` of the ``tag`` naming ``name`` on the line ``text`` (1: not found)."""
    word = "(?:import|from)" if tag == "import" else tag
    tags = [m for m in re.finditer(r"\{%[-+]?\s*" + word + r"\b", text)]
    for m in tags:
        end = text.find("%}", m.end())
        if name in text[m.end() : end if end >= 0 else len(text)]:
            return m.start() + 1
    return tags[0].start() + 1 if tags else 1


def _walk_loops(
    start: str,
    done: set[str],
    edges: dict[str, list[tuple[str, str, int, int]]],
    known: dict[str, str],
    problems: set[Problem],
) -> None:
    """Depth first from ``start``, without recursing (a pull request's chain of thousands of
    templates would pass Python's recursion limit): ``stack`` holds the names on the path and the
    tag each reached the next by, ``going`` each one's edges left to follow."""
    if start in done or start not in known:
        return
    stack: list[tuple[str, str]] = [(start, "")]
    going = [iter(edges[start])]
    on_path = {start}
    while going:
        name = stack[-1][0]
        step = next(going[-1], None)
        if step is None:
            stack.pop()
            going.pop()
            on_path.discard(name)
            done.add(name)
            continue
        target, tag, line, column = step
        if target in on_path:
            names = [n for n, _ in stack]
            loop = stack[names.index(target) :]
            loop[-1] = (name, tag)
            problems.add(_loop_problem(known[name], line, column, tag, loop, target))
            continue
        if target in done or target not in known:
            continue
        stack[-1] = (name, tag)
        stack.append((target, ""))
        going.append(iter(edges[target]))
        on_path.add(target)


def _loop_problem(path: str, line: int, column: int, tag: str, loop: list[tuple[str, str]], back: str) -> Problem:
    return Problem(
        path,
        line,
        column,
        "G001",
        f"this `{{% {tag} %}}` closes a loop of templates that would never end: {_chain(loop, back)}",
        f"take it out, or {tag} a template that does not lead back to `{back}`; "
        "for output that repeats itself, use a macro that calls itself",
    )


def _chain(loop: list[tuple[str, str]], back: str) -> str:
    """`a.md.j2` includes `b.md.j2`, which imports `a.md.j2` again."""
    if len(loop) == 1:
        return f"`{back}` {_VERBS[loop[0][1]]} itself"
    parts = [f"`{loop[0][0]}` {_VERBS[loop[0][1]]}"]
    parts += [f"`{n}`, which {_VERBS[t]}" for n, t in loop[1:]]
    return " ".join(parts) + f" `{back}` again"


def hidden(name: str) -> bool:
    """A template name with a part starting with `.`: `template_files` skips those, so they are never checked."""
    return any(part.startswith(".") for part in name.split("/"))


def _relative(name: str) -> bool:
    from jinja2.exceptions import TemplateNotFound
    from jinja2.loaders import split_template_path

    try:
        split_template_path(name)
    except TemplateNotFound:
        return False
    return not (name.startswith("/") or any(c in name for c in "\\:\0"))


# -- the cache ----------------------------------------------------------------------------------------


def _key(path: str, raw: bytes) -> str:
    """The template's bytes by digest (a CRC could be forged to match), its paths, the engine."""
    from engine.cache import store

    return f"{_CACHE_VERSION}:{store.digest(raw)}:{store.engine_stamp()}:{os.path.abspath(path)}\0{path}"


def _cache_file(key: str) -> str | None:
    from engine.cache import store

    folder = store.folder("templates")
    return None if folder is None else os.path.join(folder, f"{store.digest(key)}.json")


def _cached(key: str) -> list[Problem] | None:
    from engine.cache.compiled import read_problems

    where = _cache_file(key)
    return None if where is None else read_problems(where, key)


def _store(key: str, problems: list[Problem]) -> None:
    from engine.cache.compiled import write_problems

    where = _cache_file(key)
    if where is not None:
        write_problems(where, key, problems)
