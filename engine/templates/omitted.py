"""Values kept off the pages, checked in page templates before anything runs: G008 at `validate`.

A parameter whose value is an assumption with `on_pages: omit` in some marketplace reaches that
marketplace's pages as a value that refuses every use but `is omitted` (engine.site.evidence): a
page that tested, compared, formatted or showed it would state what rests on it. `build` stops at
the first such use on a page it renders; this check finds every use in a template, for every
marketplace at once: each `p.NAME` (or `p["NAME"]`) of such a parameter that is not itself tested
`is omitted` (or `is defined`), and that no test has shown to be there yet:

    {% if p.x is omitted %}{% elif p.x %}…{% endif %}          the `elif` knows `p.x` is there
    {% if p.x is not omitted and p.x > 3 %}…{{ p.x }}…{% endif %}

`and`, `or`, `not`, `elif`, `else` and `… if … else …` carry what a test shows; a macro's body
starts knowing nothing (it may be called from anywhere), and so does a name set from `p.x` (test
`p.x` itself).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from engine.problems import Problem

if TYPE_CHECKING:
    from jinja2 import nodes

    from engine.model.policy import Program

CODE = "G008"
OMISSION_TESTS = frozenset(("omitted", "defined", "undefined"))  # what a template may ask of such a value
TESTED_FOR_OMISSION = r"\s*is\s+(?:not\s+)?(?:omitted|defined|undefined)\b"


def parameter_pattern(name: str, not_followed_by: str = "") -> re.Pattern[str]:
    """`p.NAME` or `p["NAME"]` on a template line (the group is the `p`), not followed by the pattern given."""
    n = re.escape(name)
    tail = f"(?!{not_followed_by})" if not_followed_by else ""
    return re.compile(rf"(?<![\w.])(p)\s*(?:\.\s*{n}\b|\[\s*['\"]{n}['\"]\s*\]){tail}")


def omission_hint(name: str) -> str:
    return (
        f"test `p.{name} is omitted` before anything else uses it, and word the page for that case: "
        f"`{{% if p.{name} is omitted %}}…{{% elif p.{name} %}}…{{% else %}}…{{% endif %}}` "
        '(the authors\' guide, `policyctl guide`: "Kept off the pages")'
    )


def omittable(program: Program) -> dict[str, list[str]]:
    """Each parameter of the program whose value some marketplace keeps off the pages, with those marketplaces."""
    found: dict[str, list[str]] = {}
    for name in program.parameters:
        for mp in program.marketplaces:
            if any(e.value_assumed and e.on_pages == "omit" for e in program.timeline(name, mp)):
                found.setdefault(name, []).append(mp)
    return found


def kept_off_labels(program: Program, kept_off: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each label of the program whose text states a parameter in ``kept_off`` (`%(NAME)s`), with those."""
    from engine.i18n.source import placeholders

    found = {}
    for key, text in (program.extra.get("labels") or {}).items():
        names = sorted(placeholders(str(text)) & set(kept_off))
        if names:
            found[str(key)] = names
    return found


def check_omitted(
    path: str,
    tree: nodes.Template,
    source: str,
    kept_off: dict[str, list[str]],
    labels: dict[str, list[str]] | None = None,
) -> list[Problem]:
    """G008 for each use of a parameter in ``kept_off`` that is not known to be there; and for each
    label of ``labels`` (each with the kept-off parameters its text states) a page shows by its id."""
    if not kept_off:
        return []
    return _Check(path, source, kept_off, labels or {}).run(tree)


Known = frozenset[str]


class _Check:
    def __init__(self, path: str, source: str, kept_off: dict[str, list[str]], labels: dict[str, list[str]]) -> None:
        self.path, self.lines, self.kept_off, self.labels = path, source.split("\n"), kept_off, labels
        self.problems: list[Problem] = []
        self.columns: dict[int, set[int]] = {}  # columns reported on each line

    def run(self, tree: nodes.Template) -> list[Problem]:
        self.visit(tree, frozenset())
        return self.problems

    def parameter(self, node: nodes.Node) -> str | None:
        """The name of a kept-off parameter ``node`` reads (`p.x`, `p["x"]`), if it is one."""
        from jinja2 import nodes

        if not isinstance(node, (nodes.Getattr, nodes.Getitem)):
            return None
        owner = node.node
        if not (isinstance(owner, nodes.Name) and owner.name == "p" and owner.ctx == "load"):
            return None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            name = node.arg.value
        else:
            return None
        return name if name in self.kept_off else None

    def shown(self, test: nodes.Node) -> tuple[Known, Known]:
        """The kept-off parameters known to be there when ``test`` is true, and when it is false."""
        from jinja2 import nodes

        if isinstance(test, nodes.Test) and test.name == "omitted":
            name = self.parameter(test.node)
            return (frozenset(), frozenset({name})) if name else (frozenset(), frozenset())
        if isinstance(test, nodes.Not):
            true, false = self.shown(test.node)
            return false, true
        if isinstance(test, nodes.And):
            (lt, lf), (rt, rf) = self.shown(test.left), self.shown(test.right)
            return lt | rt, lf & rf
        if isinstance(test, nodes.Or):
            (lt, lf), (rt, rf) = self.shown(test.left), self.shown(test.right)
            return lt & rt, lf | rf
        return frozenset(), frozenset()

    def visit(self, node: nodes.Node, known: Known) -> None:
        from jinja2 import nodes

        name = self.parameter(node)
        if name is not None:
            if name not in known:
                self.report(node, name)
            return
        if isinstance(node, nodes.Filter) and node.name in ("label", "labels") and node.node is not None:
            self.label(node, known)
        if isinstance(node, nodes.Test) and node.name in OMISSION_TESTS and self.parameter(node.node):
            for arg in node.args:
                self.visit(arg, known)
            return
        if isinstance(node, nodes.If):
            self.visit(node.test, known)
            true, false = self.shown(node.test)
            self.visit_all(node.body, known | true)
            rest = known | false
            for branch in node.elif_:
                self.visit(branch.test, rest)
                true, false = self.shown(branch.test)
                self.visit_all(branch.body, rest | true)
                rest = rest | false
            self.visit_all(node.else_, rest)
        elif isinstance(node, (nodes.And, nodes.Or)):
            self.visit(node.left, known)
            true, false = self.shown(node.left)
            self.visit(node.right, known | (true if isinstance(node, nodes.And) else false))
        elif isinstance(node, nodes.CondExpr):
            self.visit(node.test, known)
            true, false = self.shown(node.test)
            self.visit(node.expr1, known | true)
            if node.expr2 is not None:
                self.visit(node.expr2, known | false)
        elif isinstance(node, (nodes.Macro, nodes.CallBlock)):
            self.visit_all(list(node.iter_child_nodes()), frozenset())  # (called from anywhere)
        else:
            self.visit_all(list(node.iter_child_nodes()), known)

    def visit_all(self, found: list[nodes.Node], known: Known) -> None:
        for child in found:
            self.visit(child, known)

    def label(self, node: nodes.Filter, known: Known) -> None:
        """A label shown by its id (`"reply"|label`) whose text states a kept-off parameter: the
        page would show it (a label's text cannot test `is omitted`)."""
        from jinja2 import nodes

        assert node.node is not None
        items = node.node.items if isinstance(node.node, (nodes.List, nodes.Tuple)) else [node.node]
        for item in items:
            if not (isinstance(item, nodes.Const) and isinstance(item.value, str) and item.value in self.labels):
                continue
            names = [n for n in self.labels[item.value] if n not in known]
            if not names:
                continue
            key, name = item.value, names[0]
            line = item.lineno or 1
            text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
            found = re.search(rf"""['"]{re.escape(key)}['"]""", text)
            where = ", ".join(f"`{mp}`" for mp in self.kept_off[name])
            self.problems.append(
                Problem(
                    self.path,
                    line,
                    found.start() + 1 if found else 1,
                    CODE,
                    f"`p.{name}` is an assumption kept off the pages (`on_pages: omit`) in {where}, and the "
                    f"label `{key}` shows it (`%({name})s`): the page would state what rests on it",
                    omission_hint(name),
                )
            )

    def report(self, node: nodes.Node, name: str) -> None:
        line = node.lineno or 1
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        taken = self.columns.setdefault(line, set())
        col = 1
        for found in parameter_pattern(name, TESTED_FOR_OMISSION).finditer(text):
            if found.start(1) + 1 not in taken:
                col = found.start(1) + 1
                break
        taken.add(col)
        where = ", ".join(f"`{mp}`" for mp in self.kept_off[name])
        self.problems.append(
            Problem(
                self.path,
                line,
                col,
                CODE,
                f"`p.{name}` is an assumption kept off the pages (`on_pages: omit`) in {where}, and this "
                f"use does not test `p.{name} is omitted` first: the page would state what rests on it",
                omission_hint(name),
            )
        )
