"""One render of a page template for both of its outputs: the Markdown with facts marked (for the
HTML) and, by removing the marks, the published Markdown.

A page's template used to run twice: once plain (the `.md`), once with every fact wrapped in marks
(engine.site.markup.FactMarks). The marks are text, so the plain page is the marked one without
them, as long as nothing in the template looked at a text holding marks and acted on what it saw:
`describe(c)|length`, `what|capitalize`, `x == y` or `{% for ch in x %}` on a macro's output or a
translated sentence with facts in it would see the marks, and could write something else than the
plain render writes. `MarkedSandbox` watches every place where template code can look at a text:

- filters and tests (`guarded`): given a marked text, the filter also runs on the text without
  marks; if the two answers differ once their marks are removed, the render looked;
- subscripts (`s[0]`, `s[1:]`), method calls on a text (`s.upper()`), any other call with a marked
  argument (macros and the translation functions only put the text into their output), `%` and `**`;
- comparisons, `in`, loops over a text, unpacking, keys of a mapping, names of templates to load:
  the compiled template passes each through `seen` (a filter `_watch` puts there while parsing).

Truth tests need no watch: a text with marks is empty exactly when its plain text is, since a fact
shown as an empty text counts as looked at (engine.site.render.Renderer.show). Private-use
characters in a template's own text or in a translation (the marks are private-use characters)
count as looked at too. When the render looked, `observed` is set and the page's template runs
again without marks, as before (engine.site.page.render_page): the published Markdown is always
exactly what the plain render writes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from types import CodeType
from typing import Any, Protocol

from jinja2 import Template, nodes
from jinja2.runtime import Macro
from markupsafe import Markup, escape

from engine.site.markup import Fact, Shown, strip_marks
from engine.templates.guard import RUNAWAY, GuardedSandbox

_FACT_ATTRIBUTES = frozenset(dir(Fact))


class Watch(Protocol):
    """What the sandbox tells: the renderer whose render is marking facts (``marks`` not None)."""

    marks: Any
    observed: bool


def marked(value: Any) -> bool:
    """A text holding any part of a fact mark (engine.site.markup's private-use characters)."""
    return isinstance(value, str) and ("\ue000" in value or "\ue001" in value or "\ue002" in value)


def _holds_marks(value: Any) -> bool:
    """A list, tuple, set or mapping with a marked text among its items or keys (one level down)."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(marked(v) for v in value)
    if isinstance(value, dict):
        return any(marked(k) or marked(v) for k, v in value.items())
    return False


def plain(value: Any) -> Any:
    """A marked text as the plain render has it: the same kind of text without the marks."""
    if isinstance(value, Shown):
        return Shown.of(strip_marks(value), value.fact, value.value)
    if isinstance(value, str):
        return strip_marks(value) if type(value) is str else type(value)(strip_marks(value))
    return value


def _same(a: Any, b: Any) -> bool:
    """Whether the marked render's answer ``a`` is the plain render's ``b`` once its marks are removed."""
    if isinstance(a, str):
        return isinstance(b, str) and type(a) is type(b) and strip_marks(a) == b
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if _holds_marks(a) or not isinstance(a, (int, float, bool, type(None))):
        return a is b  # (a mapping, a generator, an object: the same one, or looked at)
    return type(a) is type(b) and bool(a == b)


def guarded(fn: Callable[..., Any], watch: Watch) -> Callable[..., Any]:
    """A filter or test that tells ``watch`` when the answer it gave a marked text is not the
    plain render's answer (it runs again on the plain text to know)."""

    @functools.wraps(fn)  # (keeps `jinja_pass_arg`: Jinja passes the context as before)
    def call(*args: Any, **kwargs: Any) -> Any:
        if watch.marks is None or watch.observed:
            return fn(*args, **kwargs)
        values = (*args, *kwargs.values()) if kwargs else args
        if not any(map(marked, values)):
            if any(map(_holds_marks, values)):
                watch.observed = True  # (a list of marked texts: not compared item by item)
            return fn(*args, **kwargs)
        answer = fn(*args, **kwargs)
        try:
            again = fn(*[plain(a) for a in args], **{k: plain(v) for k, v in kwargs.items()})
            if not _same(answer, again):
                watch.observed = True
        except RUNAWAY:  # (the render's deadline or output limit: never taken for a difference)
            raise
        except Exception:  # failing on the plain text only: it looked
            watch.observed = True
        return answer

    return call


# The filter `_watch` puts around each such expression: `expr|seen (unpack)`. Its name has a space,
# so no template can write it (a filter's name is an identifier).
SEEN = "policyctl seen"


# The filter `_watch` puts around each operand of `~`: the renderer writes an assumed value's marker
# after it there (engine.site.render.Renderer.joined), as `{{ }}` does; `~` joined its bare text.
JOINED = "policyctl joined"


# The filter `_periods` puts around a shown value that the template's own text follows with a
# period: the value as `{{ }}` shows it, with that period unless it ends with one of its own.
PERIOD = "policyctl period"


def ends_with_period(text: str) -> bool:
    """Whether a shown value's text (its marks aside) ends with a period: "5:00 p.m." (es-US's
    time), not "..." (an ellipsis): a period written right after it would be a second one."""
    text = strip_marks(text)
    return text.endswith(".") and not text.endswith("..")


# a message's placeholder followed by one period (not an ellipsis)
_SENTENCE_END = re.compile(r"(%\((\w+)\)s)\.(?!\.)")


def one_period(message: str, shown: Mapping[str, object]) -> str:
    """A translated ``message`` (its `%(name)s` placeholders not yet filled) without the period
    right after a placeholder whose value, as ``shown`` writes it, ends with one of its own: "...
    by %(due)s." with "5:00 p.m." (`es-US`) ends "p.m.", as in print. Pages, the layout and the
    Markdown page's banner of a past edition fill their messages so."""
    return _SENTENCE_END.sub(lambda m: m[1] if ends_with_period(str(shown.get(m[2], ""))) else m[0], message)


def _periods(tree: nodes.Template) -> None:
    """A period of the template's own text right after a shown value (`{{ when }}.`) is written by
    `PERIOD` instead, which leaves it out after a value that ends with its own ("5:00 p.m.", as
    es-US writes the time), as a message's is (engine.site.render.Renderer._gettext). Only where
    the two are adjacent in one output; an ellipsis ("{{ x }}...") is left as it is."""
    for output in tree.find_all(nodes.Output):
        items = output.nodes
        for i in range(1, len(items)):
            text, value = items[i], items[i - 1]
            if not isinstance(text, nodes.TemplateData) or isinstance(value, nodes.TemplateData):
                continue
            if text.data.startswith(".") and not text.data.startswith(".."):
                items[i - 1] = nodes.Filter(value, PERIOD, [], [], None, None, lineno=value.lineno)
                text.data = text.data[1:]


def _seen(node: Any, unpack: bool = False) -> Any:
    if isinstance(node, nodes.Const):  # (a constant holds no mark; kept so Jinja can fold it)
        return node
    return nodes.Filter(node, SEEN, [nodes.Const(unpack)], [], None, None, lineno=node.lineno)


def _watch(tree: nodes.Template) -> None:
    """Put every place that reads a value's text (not only shows it) through `seen`."""
    found: list[Any] = list(tree.find_all(nodes.Node))  # (one walk; the nodes are changed after it)
    for node in found:
        if isinstance(node, nodes.Compare):
            node.expr = _seen(node.expr)
            for op in node.ops:
                op.expr = _seen(op.expr)
        elif isinstance(node, nodes.For):
            node.iter = _seen(node.iter, isinstance(node.target, nodes.Tuple))
        elif isinstance(node, nodes.Assign) and isinstance(node.target, nodes.Tuple):
            node.node = _seen(node.node, True)
        elif isinstance(node, nodes.With):
            node.values = [_seen(v, isinstance(t, nodes.Tuple)) for t, v in zip(node.targets, node.values)]
        elif isinstance(node, nodes.Dict):
            for pair in node.items:
                pair.key = _seen(pair.key)
        elif isinstance(node, (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
            node.template = _seen(node.template)
        elif isinstance(node, nodes.Concat):
            node.nodes = [nodes.Filter(n, JOINED, [], [], None, None, lineno=n.lineno) for n in node.nodes]


def writes_marks(template: Template) -> bool:
    """Whether a template's own text (its text between tags and its constants, in its blocks and
    macros too) holds a mark's character: removing the marks would remove it too, so a render
    marking facts that loads the template looked. Read from the compiled code's constants, so a
    template compiled by another environment (engine.templates.codecache) is known alike; kept on
    the template."""
    known = template.__dict__.get(_WRITES_MARKS)
    if known is None:
        codes = [template.root_render_func.__code__, *(f.__code__ for f in template.blocks.values())]
        known = False
        while codes and not known:
            for const in codes.pop().co_consts:
                if isinstance(const, CodeType):
                    codes.append(const)  # (a function Jinja makes inside: a macro, a call block, a recursive loop)
                elif marked(const):
                    known = True
        setattr(template, _WRITES_MARKS, known)
    return bool(known)


_WRITES_MARKS = "policyctl_writes_marks"


def _has_key(raw: Any, key: str) -> bool:
    return isinstance(raw, dict) and key in raw


class PeriodSandbox(GuardedSandbox):
    """The sandbox (engine.templates.guard) whose templates write one period after a value that
    ends with its own (`_periods`): the pages' (`MarkedSandbox`) and the layout's
    (engine.site.html), so that a page and its layout write a sentence alike."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters[PERIOD] = self.period_after

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        _periods(tree)
        tree.set_environment(self)  # (the nodes `_periods` added too)
        return tree

    def period_after(self, value: Any) -> Any:
        """``value`` as `{{ }}` writes it (``finalize``, escaped), then the period the template's
        text has after it, unless the value ends with one (`_periods`). Its marks aside, the same
        answer with and without them: not a look."""
        shown = value if self.finalize is None else self.finalize(value)
        if not isinstance(shown, Markup):
            shown = escape(shown) if self.autoescape else str(shown)
        return shown if ends_with_period(str(shown)) else shown + "."


class MarkedSandbox(PeriodSandbox):
    """The page templates' sandbox that also tells ``watch`` when a render marking facts looked at
    a marked text (above)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters[SEEN] = self.seen
        self.filters[JOINED] = lambda value: value  # (the renderer's: Renderer.joined)
        self.watch: Watch | None = None
        self.transparent: tuple[Callable[..., Any], ...] = ()  # callables that only write their arguments

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)  # (`_periods` done: its filters hold no look)
        _watch(tree)
        tree.set_environment(self)  # (the nodes `_watch` added too)
        return tree

    def _load_template(self, name: str, globals: Any) -> Template:
        """Every template a render uses is loaded here (the page, and each one it extends, includes
        or imports: an imported one's macros and values are kept from its first import, but the
        import loads it each time). Only that render and those of the other pages that load it
        render twice, not every page of the program (`writes_marks`)."""
        template = super()._load_template(name, globals)
        if self._looking() and writes_marks(template):
            self._looked()
        return template

    def _looking(self) -> bool:
        watch = self.watch
        return watch is not None and watch.marks is not None and not watch.observed

    def _looked(self) -> None:
        assert self.watch is not None
        self.watch.observed = True

    def seen(self, value: Any, unpack: bool) -> Any:
        """``value`` as it is; told when it is, or holds, a marked text (`x in [a, b]`, a loop over
        marked texts, unpacking one: ``unpack`` says so, for the reader of the compiled code)."""
        if self._looking() and (marked(value) or _holds_marks(value)):
            self._looked()
        return value

    def getattr(self, obj: Any, attribute: str) -> Any:
        """`fact.name` (most of what a page template reads): the fact's item, found without the
        failed attribute lookup Jinja's sandbox makes first (for a name that is not an attribute
        of Fact it takes the item, as here; a failing item goes the sandbox's way)."""
        if type(obj) is Fact and (attribute not in _FACT_ATTRIBUTES or _has_key(obj.raw, attribute)):
            try:
                return obj[attribute]  # (a key of the data before a method of Fact: `ex.input.items`)
            except (TypeError, LookupError):
                pass
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if self._looking() and (marked(obj) or marked(argument)):
            self._looked()
        return super().getitem(obj, argument)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # (Jinja's signature)
        if __self._looking():
            if marked(getattr(__obj, "__self__", None)):
                __self._looked()  # a method of a marked text
            elif (
                not isinstance(__obj, Macro)  # macros and the translations only write their arguments
                and __obj not in __self.transparent
                and any(marked(a) or _holds_marks(a) for a in (*args, *kwargs.values()))
            ):
                __self._looked()
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        # `+` and `*` of texts join and repeat them (the marks go along); `%` and `**` read them
        if operator in ("%", "**") and self._looking() and (marked(left) or marked(right) or _holds_marks(right)):
            self._looked()
        return super().call_binop(context, operator, left, right)
