"""Names in page templates checked against what the page context offers: G007 at `validate`.

A typo such as `p.trial_day` would otherwise fail only at `build`. Each program's page templates
(`<program>/pages/*.j2`) are parsed (never run) and every name, and the first attribute of a value
whose shape the data decides, is resolved against the program:

- `p.NAME`, `p["NAME"]` and `assumed.NAME`: one of the program's parameters;
- `examples.NAME`: one of its decisions; `programs.NAME`: a program of the repository;
- `program.X`, `marketplace.X`: the fields engine.site.context gives them;
- `"id"|label`, `["a", "b"]|labels`: ids listed in the program's `labels:`;
- any other name: the page context (engine.site.context.page_context and engine.site.page),
  the globals of the page environment (engine.site.render), or a name the template (or the
  `_site/` templates it builds on) binds itself: `set`, `for`, macros and their arguments, imports.

Only what can be proved is reported: attributes of loop items, of values a template computes and
of values whose shape varies (a parameter's own fields) are not checked, nor names tested with
`is defined` or given a `default`. The same walk finds the uses of values some marketplace keeps
off the pages that do not test `is omitted` first (G008, engine.templates.omitted).
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Any

from engine.problems import Problem
from engine.problems.hints import Suggester

if TYPE_CHECKING:
    from jinja2 import nodes

    from engine.model.policy import Program
    from engine.model.repository import Repository

# The names engine.site.context.page_context returns, with the two engine.site.page adds
# (tests/test_template_names.py compares them with a real context).
PAGE_NAMES = frozenset(
    "p assumed effective_unconfirmed program programs marketplace locale effective_from next_change "
    "next_change_unconfirmed "
    "changes upcoming examples page_template edition_links".split()
)
PROGRAM_FIELDS = frozenset(("id", "name", "href"))  # engine.site.context.ProgramView
MARKETPLACE_FIELDS = frozenset(("id", "code", "country", "site", "currency", "time_zone", "locales"))
_JINJA_NAMES = frozenset(("loop", "self", "super", "caller", "varargs", "kwargs"))  # Jinja binds these itself
_MAPPING_METHODS = frozenset(("get", "items", "keys", "values"))
_UNCHECKED_TESTS = frozenset(("defined", "undefined"))
_UNCHECKED_FILTERS = frozenset(("default", "d"))


def check_names(repo: Repository, templates: Iterable[str]) -> list[Problem]:
    """G007 for each unknown name or attribute in the page templates among ``templates``.

    The answer is kept per content (engine.cache.checks): on a warm run, or in a process that
    checks the same repository again, no template is parsed. Its inputs, all in the key: each
    page template's path and bytes and the program it belongs to, that program's names
    (`_program_names`) and the programs of the repository, every `_site/` template's path and
    bytes (the names they bind are known to pages: a page extends or includes them; a page does
    not see what another page binds). The page context's names and Jinja's globals are engine
    code (the store's engine stamp covers them; the in-process memo lives as long as that code)."""
    from engine.cache.checks import files_parts, kept
    from engine.packaged import site_dir
    from engine.site.manifest import pages_dir
    from engine.templates.check import template_files
    from engine.templates.omitted import kept_off_labels, omittable
    from engine.templates.rules import MAX_TEMPLATE_BYTES

    programs = {os.path.abspath(pages_dir(p)): p for p in repo.programs.values()}
    mine = [
        (t, programs[os.path.abspath(os.path.dirname(t))])
        for t in templates
        if os.path.abspath(os.path.dirname(t)) in programs
    ]
    if not mine:
        return []
    site = template_files(site_dir(repo.root))

    def inputs() -> list[bytes | str] | None:
        # (`_tree` reads at most MAX_TEMPLATE_BYTES + 1 bytes of a template: nothing after them counts)
        layouts = files_parts(site, MAX_TEMPLATE_BYTES + 1)
        pages = files_parts([t for t, _ in mine], MAX_TEMPLATE_BYTES + 1)
        if layouts is None or pages is None:
            return None
        names = repr(
            (
                [
                    (_program_names(p), _unlabelled_changes(p), omittable(p), kept_off_labels(p, omittable(p)))
                    for _, p in mine
                ],
                sorted(repo.programs),
                sorted(repo.unreadable),
            )
        )
        return [*layouts, *pages, names]

    return kept("templates", inputs, lambda: _check_names(repo, mine, site), repo.root)


def _check_names(repo: Repository, mine: list[tuple[str, Program]], site: list[str]) -> list[Problem]:
    site_bound: set[str] = set()
    for path in site:
        tree = _tree(path)
        if tree is not None:
            site_bound |= _bound(tree[0])
    known = PAGE_NAMES | _globals() | _JINJA_NAMES | site_bound
    problems: list[Problem] = []
    for path, program in mine:
        problems += check_page(path, repo, program, known)
    return sorted(set(problems), key=Problem.sort_key)


def _program_names(program: Program) -> tuple[str, list[str], list[str], list[str]]:
    """What `check_page` reads of a program: its id (in messages), its parameters, its decisions
    and its labels' ids."""
    return program.id, sorted(program.parameters), sorted(program.decisions), sorted(program.extra.get("labels") or {})


def _unlabelled_changes(program: Program) -> list[tuple[str, str]]:
    """(parameter, first date it changes) of each parameter with a dated change, in the program's
    timeline or an overlay's, and no `label:`: "What changed" has no words for it."""
    found = []
    for name, param in program.parameters.items():
        if param.label:
            continue
        starts = sorted(
            {e.start for mp in program.marketplaces for e in program.timeline(name, mp) if e.start is not None}
        )
        if starts:
            found.append((name, starts[0]))
    return found


def _changes_need_words(program: Program, tree: nodes.Template, walked: list[nodes.Node]) -> list[Problem]:
    """A page that shows the frame's "What changed" (extends `_site/page.md.j2`, keeps its `changes`
    block) and words no change itself (no `describe_change` macro) needs a `label:` on every
    parameter that changes; `build` stopped inside the frame's template (a file of the installed
    package) without saying which parameter lacked one."""
    from jinja2 import nodes

    extends = [n for n in walked if isinstance(n, nodes.Extends)]
    if not any(isinstance(e.template, nodes.Const) and e.template.value == "_site/page.md.j2" for e in extends):
        return []
    if any(isinstance(n, nodes.Macro) and n.name == "describe_change" for n in walked):
        return []
    if any(isinstance(n, nodes.Block) and n.name == "changes" for n in walked):
        return []  # (the page has its own changes block)
    return [
        Problem.at(
            program.parameters[name].pos,
            "G007",
            f'`{name}` changes (from {start}) but has no `label:`, which "What changed" names it by',
            "give it a short `label:` (translated with the program's catalogs), or define a "
            "`describe_change(c)` macro in the page",
        )
        for name, start in _unlabelled_changes(program)
    ]


def check_page(path: str, repo: Repository, program: Program, known: frozenset[str] | set[str]) -> list[Problem]:  # noqa: C901 - one branch per kind of name a page template can use
    parsed = _tree(path)
    if parsed is None:  # unreadable or not a template: G001 says so (engine.templates.check)
        return []
    tree, source = parsed
    from jinja2 import nodes

    lines = source.split("\n")
    walked = _walk(tree)
    bound = _bound(tree, walked)
    # a name a template tests with `is defined` may be used anywhere (under that test, presumably)
    tested = {
        chain[-1].name
        for node in walked
        if isinstance(node, nodes.Test) and node.name in _UNCHECKED_TESTS
        for chain in [_chain(node.node)]
        if isinstance(chain[-1], nodes.Name)
    }
    names = set(known) | bound | tested
    _, parameters, decisions, labels = _program_names(program)  # (check_names keys its cache on these)
    shapes: dict[str, tuple[list[str], str]] = {  # context name -> (its attributes, what they are)
        "p": (parameters, f"parameters of `{program.id}`"),
        "assumed": (parameters, f"parameters of `{program.id}`"),
        # (with the ids of files left out because of their own errors: those errors are reported)
        "examples": (sorted({*decisions, *repo.unread(program.id)["decision"]}), f"decisions of `{program.id}`"),
        "programs": (sorted({*repo.programs, *(p for kind, p, _ in repo.unreadable if kind == "program")}), "programs"),
        "program": (sorted(PROGRAM_FIELDS), "fields of `program`"),
        "marketplace": (sorted(MARKETPLACE_FIELDS), "fields of `marketplace`"),
    }
    shapes = {k: v for k, v in shapes.items() if k not in bound}  # a template's own `p` is its own
    skipped: set[int] = set()
    problems: list[Problem] = []
    hints = Suggester()  # (engine.problems.hints: a template of many wrong names, a program of many parameters)

    def report(node: nodes.Node, pattern: str, message: str, hint: str) -> None:
        line = node.lineno or 1
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        found = re.search(pattern, text)
        problems.append(Problem(path, line, found.start(1) + 1 if found else 1, "G007", message, hint))

    for node in walked:
        if id(node) in skipped:
            continue
        if _covers(node):
            skipped.update(id(n) for n in _chain(node.node))  # type: ignore[attr-defined]
        elif isinstance(node, nodes.Name) and node.ctx == "load" and node.name not in names:
            if node.name.startswith("_") and node.name != "_":
                continue  # G001 already refuses it
            report(
                node,
                rf"(?<![\w.])({re.escape(node.name)})\b",
                f"`{node.name}` is not in the page context",
                _suggest(hints, node.name, names) or "see the page context in policies/_site/README.md",
            )
        elif isinstance(node, (nodes.Getattr, nodes.Getitem)) and isinstance(node.node, nodes.Name):
            owner = node.node.name
            if owner not in shapes or node.node.ctx != "load":
                continue
            if isinstance(node, nodes.Getattr):
                attr, pattern = node.attr, rf"\.\s*({re.escape(node.attr)})\b"
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                attr = node.arg.value
                pattern = rf"\[\s*(['\"]{re.escape(attr)}['\"])"
            else:
                continue
            choices, what = shapes[owner]
            if attr in choices or attr.startswith("_") or (owner in _DICTS and attr in _MAPPING_METHODS):
                continue
            report(
                node,
                pattern,
                f"`{owner}` has no `{attr}`",
                _suggest(hints, attr, choices) or f"{what}: {hints.listed(choices) or '(none)'}",
            )
        elif isinstance(node, nodes.Filter) and node.name in ("label", "labels") and node.node is not None:
            ids = _constant_strings(node.node)
            for key in ids:
                if key not in labels:
                    report(
                        node,
                        rf"(['\"]{re.escape(key)}['\"])",
                        f"no label `{key}`",
                        _suggest(hints, key, labels) or f"add it to `labels:` in {program.id}/program.yaml",
                    )
    from engine.templates.omitted import check_omitted, kept_off_labels, omittable

    kept_off = {} if "p" in bound else omittable(program)
    return (
        problems
        + _changes_need_words(program, tree, walked)
        + check_omitted(path, tree, source, kept_off, kept_off_labels(program, kept_off))
    )


_DICTS = frozenset(("p", "assumed", "examples", "programs"))


def _covers(node: nodes.Node) -> bool:
    """`x is defined`, `x|default(...)`: the value may be missing, so `x` is not checked."""
    from jinja2 import nodes

    if isinstance(node, nodes.Test):
        return node.name in _UNCHECKED_TESTS
    return isinstance(node, nodes.Filter) and node.name in _UNCHECKED_FILTERS and node.node is not None


def _suggest(hints: Suggester, wrong: str, choices: Collection[str]) -> str:
    """The hint "did you mean `x`?"; "" when no name is close (or the hints' budget is spent)."""
    close = hints.closest(wrong, choices)
    return f"did you mean `{close[0]}`?" if close else ""


def _constant_strings(node: nodes.Node) -> list[str]:
    from jinja2 import nodes

    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (nodes.List, nodes.Tuple)) and all(isinstance(i, nodes.Const) for i in node.items):
        return [i.value for i in node.items if isinstance(i, nodes.Const) and isinstance(i.value, str)]
    return []


def _chain(node: nodes.Node) -> list[nodes.Node]:
    """`a.b["c"]` and the nodes it is made of (an `is defined` test covers them all)."""
    from jinja2 import nodes

    found = [node]
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        node = node.node
        found.append(node)
    return found


def _walk(tree: nodes.Node) -> list[nodes.Node]:
    """Every node, parents before their children (tests and filters mark what they cover first),
    children in ``iter_child_nodes`` order; read from the fields directly, as that generator
    (through ``iter_fields``) costs several calls per node."""
    from jinja2.nodes import Node

    found: list[Node] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        found.append(node)
        children: list[Node] = []
        for name in node.fields:
            item = getattr(node, name, None)
            if isinstance(item, list):
                children += [child for child in item if isinstance(child, Node)]
            elif isinstance(item, Node):
                children.append(item)
        children.reverse()
        stack += children
    return found


def _bound(tree: nodes.Node, walked: list[nodes.Node] | None = None) -> set[str]:
    """Names the template binds: `set`, `for` targets, macro names and arguments, imports, `trans`
    variables (``walked``: ``_walk(tree)``, when the caller has it)."""
    from jinja2 import nodes

    bound: set[str] = set()
    for node in _walk(tree) if walked is None else walked:
        if (isinstance(node, nodes.Name) and node.ctx in ("store", "param")) or isinstance(node, nodes.Macro):
            bound.add(node.name)
        elif isinstance(node, nodes.Import):
            bound.add(node.target)
        elif isinstance(node, nodes.FromImport):
            bound.update(a if isinstance(a, str) else a[-1] for a in node.names)
    return bound


def parsed(path: str) -> nodes.Template | None:
    """The Jinja tree of the template at ``path`` (parsed once per text), or None when it cannot be read."""
    found = _tree(path)
    return found[0] if found is not None else None


def parsed_with_source(path: str) -> tuple[nodes.Template, str] | None:
    """The Jinja tree of the template at ``path`` and its text, or None when it cannot be read."""
    return _tree(path)


def _tree(path: str) -> tuple[nodes.Template, str] | None:
    from jinja2.exceptions import TemplateSyntaxError

    from engine.source.loader import read_bytes
    from engine.templates.check import parse
    from engine.templates.rules import MAX_TEMPLATE_BYTES

    try:
        raw = read_bytes(path, MAX_TEMPLATE_BYTES + 1)
        if len(raw) > MAX_TEMPLATE_BYTES:
            return None
        source = raw.decode("utf-8")
        return parse(source, os.path.basename(path), path), source
    except (OSError, UnicodeDecodeError, TemplateSyntaxError, RecursionError, MemoryError, ValueError, OverflowError):
        return None


_known_globals: list[frozenset[str]] = []


def _globals() -> frozenset[str]:
    """The globals of the page environment: Jinja's (less what the sandbox removes), `fail`, gettext."""
    if not _known_globals:
        from jinja2 import BaseLoader

        from engine.templates.sandbox import environment

        env: Any = environment(BaseLoader(), finalize=str)
        _known_globals.append(frozenset(env.globals) | {"_", "gettext", "ngettext", "pgettext", "npgettext"})
    return _known_globals[0]
