"""The HTML layout and the index: `policies/_site/*.html.j2`, autoescaped, in the sandbox.

The layout gets the page body already converted from Markdown (engine.site.markup) and wraps it with
the language and marketplace switchers, `hreflang` alternates and the inline style sheet. Its
prose comes from the site catalog; everything it interpolates is HTML-escaped by Jinja.

Each heading of a page, the index and a marketplace chooser gets an id after the layout is
rendered (engine.site.anchors: the layout's own ids are then known) and, when the layout has
`permalink.html.j2`, its permalink: that template's markup with the heading in it, rendered once
per language (with stand-ins for the id, the text and the heading, filled in for each heading),
not once per heading. The page is checked for active content with its permalinks in it.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

from jinja2 import FileSystemLoader, Template, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup
from markupsafe import escape as html_escape

from engine.i18n.translator import Translator
from engine.problems import Problem
from engine.site.activecontent import active_content, checked
from engine.site.anchors import Section, with_heading_ids
from engine.site.markup import escape, scrollable_tables
from engine.site.onepass import PeriodSandbox, one_period
from engine.site.plan import CHOOSER_TEMPLATE
from engine.templates.codecache import SharedCode
from engine.templates.guard import MAX_RENDER_SECONDS, deadline
from engine.templates.sandbox import NOT_FINITE, RenderError, environment, fail, render_failure

PAGE = "page.html.j2"
INDEX = "index.html.j2"
INDEX_MD = "index.md.j2"
MARKETPLACES = CHOOSER_TEMPLATE  # a page's marketplace chooser
PERMALINK = "permalink.html.j2"  # a heading's link to itself; a layout without it (an older `_site/`): ids only

# What the permalink template is rendered with in place of a heading's id, text and HTML (private
# use characters: no page's text holds them as such), and each filled in, in one pass, per heading
_ID, _HEADING, _SECTION = "\ue0a1id\ue0a1", "\ue0a1heading\ue0a1", "\ue0a1section\ue0a1"
_SLOT = re.compile("\ue0a1(?:id|heading|section)\ue0a1")


class Layout:
    """The site's HTML layout and index; `use` picks the language (one environment, compiled once)."""

    def __init__(self, site_dir: str) -> None:
        self.site_dir = site_dir
        self.translator: Translator | None = None
        self.html = self._environment(autoescape=True)
        self.markdown = self._environment(autoescape=False)
        # The layout's few messages, looked up once per language rather than on every page (each
        # lookup checks the translation for markup). A catalog does not change during a build, and
        # the translator still records a missing or fuzzy message on the first lookup.
        self._texts: dict[Translator, dict[str, str]] = {}  # singular messages only: plurals depend on a count
        self._texts_now: dict[str, str] = {}
        self._templates: dict[tuple[bool, str], Any] = {}
        self._runaway: dict[tuple[bool, str], RenderError] = {}  # layouts that ran past their deadline or output limit
        # the permalink's markup with stand-ins, by what it is rendered with (None: the layout has none)
        self._permalinks: dict[tuple[Any, ...], str | None] = {}

    def _environment(self, autoescape: bool) -> ImmutableSandboxedEnvironment:
        # HTML: Jinja escapes for HTML. The Markdown index: every value is escaped for Markdown.
        env = environment(
            FileSystemLoader(self.site_dir),
            finalize=_shown if autoescape else _markdown_text,
            autoescape=autoescape,
            keep_line_breaks=False,
            cls=PeriodSandbox,  # one period after a value ending with its own, as on the pages
        )
        env.globals.update(gettext=self._gettext, _=self._gettext, ngettext=self._ngettext)
        env.bytecode_cache = _COMPILED  # compiled once per process, not once per build
        return env

    def use(self, translator: Translator) -> Layout:
        self.translator = translator
        self._texts_now = self._texts.setdefault(translator, {})
        return self

    def _lookup(self, msgid: str, plural: str | None = None, n: int = 1) -> str:
        if self.translator is None:
            fail("no language chosen for the layout")
        if plural is not None:
            return self.translator.lookup(msgid, plural, n)
        text = self._texts_now.get(msgid)
        if text is None:
            text = self._texts_now[msgid] = self.translator.lookup(msgid)
        return text

    @pass_context
    def _gettext(self, ctx: Context, message: str, **variables: Any) -> str:
        return _filled(self._lookup(message), variables, ctx.eval_ctx.autoescape)

    @pass_context
    def _ngettext(self, ctx: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        return _filled(self._lookup(singular, plural, int(num)), variables, ctx.eval_ctx.autoescape)

    def _render(
        self,
        env: ImmutableSandboxedEnvironment,
        name: str,
        context: dict[str, Any],
        block: str = "",
        fragment: bool = False,
        sections: bool = False,
    ) -> str:
        """``name`` rendered with ``context`` (or its ``block`` alone). In HTML a whole page (not a
        ``fragment``) is checked for active content and given its policy; with ``sections``, each
        heading first gets its id and permalink."""
        key = (env is self.html, name)
        slow = self._runaway.get(key)
        if slow is not None:  # it ran away (deadline, output limit) on another page: not run again
            raise slow
        try:
            template = self._templates.get(key)
            if template is None:  # found once per layout, not on every page (an error is raised every time)
                template = self._templates[key] = env.get_template(name)
            text: str = template.render(context) if not block else _block(template, block, context)
        except RenderError:
            raise
        except Exception as e:
            failure = render_failure(e, os.path.join(self.site_dir, name))
            if failure.runaway:
                self._runaway[key] = failure
            raise failure from None
        if env is not self.html or block or fragment:
            return text
        if sections:
            text = with_heading_ids(text, self._permalink(context))
        found, safe = checked(text)
        if found:  # the layout is untrusted too: no page it makes may run, load or send anything
            raise RenderError(
                Problem(
                    os.path.join(self.site_dir, name),
                    1,
                    1,
                    "G001",
                    f"the page would carry active content: {found[0]}",
                    "pages are passive: no scripts, event handlers, frames or "
                    "`javascript:`/`data:` URLs, no resources from elsewhere",
                )
            )
        return safe

    def page(self, view: dict[str, Any]) -> str:
        # made by markdown-it with raw HTML disabled; tables scroll in their own box on a phone
        view = dict(view, body=Markup(scrollable_tables(view["body"])))
        # each heading an id, unique on the whole page (the layout's ids stay the layout's), and its
        # permalink: after the layout is rendered, so the layout's ids are known
        return self._render(self.html, PAGE, view, sections=True)

    def _permalink(self, view: dict[str, Any]) -> Section | None:
        """What each heading of a page with ``view`` becomes: the heading and its permalink, in the
        language in use (None: the layout has no `permalink.html.j2`). Its markup is rendered once
        per language, direction and `pending` (all that it is given of the page)."""
        pending = view.get("pending")
        shown = {"tag": pending["tag"], "dir": pending["dir"]} if pending else None
        key = (self.translator, view.get("lang"), view.get("dir"), shown and shown["tag"], shown and shown["dir"])
        if key not in self._permalinks:
            self._permalinks[key] = self._permalink_markup(view.get("lang"), view.get("dir"), shown)
        markup = self._permalinks[key]
        if markup is None:
            return None

        def section(ident: str, text: str, heading: str) -> str:
            said = {_ID: str(html_escape(ident)), _HEADING: str(html_escape(text)), _SECTION: heading}
            return _SLOT.sub(lambda m: said[m.group()], markup)

        return section

    def _permalink_markup(self, lang: Any, direction: Any, pending: dict[str, Any] | None) -> str | None:
        path = os.path.join(self.site_dir, PERMALINK)
        if not os.path.isfile(path):
            return None
        context = {
            "id": _ID,
            "heading": _HEADING,
            "section": Markup(_SECTION),
            "lang": lang,
            "dir": direction,
            "pending": pending,
        }
        # (in the heading's place: the template's own line break after it is not the page's)
        markup = self._render(self.html, PERMALINK, context, fragment=True).strip()
        if markup.count(_SECTION) != 1 or "\ue0a1" in _SLOT.sub("", markup):
            raise RenderError(
                Problem(
                    path,
                    1,
                    1,
                    "G001",
                    "the permalink template must write the heading (`section`) once, and `id` and `heading` as given",
                    "write `{{ section }}` once and `{{ id }}`, `{{ heading }}` without filters that change them",
                )
            )
        found = active_content(_SLOT.sub("x", markup))
        if found:  # (the page that holds it is checked too; said here, at the template that writes it)
            raise RenderError(
                Problem(
                    path,
                    1,
                    1,
                    "G001",
                    f"the page would carry active content: {found[0]}",
                    "pages are passive: no scripts, event handlers, frames or "
                    "`javascript:`/`data:` URLs, no resources from elsewhere",
                )
            )
        return markup

    def page_title(self, view: dict[str, Any]) -> Markup:
        """What the page layout's `title` block writes for ``view`` (escaped for HTML), in the
        language in use: the title of the English page a page shown in English for now gives as
        its own (`pending.title`), whole, as the page's `<html lang>` says its text is English."""
        return Markup(self._render(self.html, PAGE, view, block="title"))

    def marketplaces(self, view: dict[str, Any]) -> str:
        return self._render(self.html, MARKETPLACES, view, sections=True)

    def index(self, view: dict[str, Any]) -> str:
        return self._render(self.html, INDEX, view, sections=True)

    def index_markdown(self, view: dict[str, Any]) -> str:
        return self._render(self.markdown, INDEX_MD, view)


_COMPILED = SharedCode(size=64)  # the layout's four templates, for a few sites


def _block(template: Template, block: str, context: dict[str, Any]) -> str:
    """One block of ``template`` rendered alone (a layout without it: nothing), as the template's
    own `render` renders the whole: under the render's deadline, its output bounded, a failure
    placed at the template's line."""
    render = template.blocks.get(block)
    if render is None:
        return ""
    with deadline(MAX_RENDER_SECONDS, f"the template `{template.name}`"):
        try:
            text: str = template.environment.concat(render(template.new_context(context)))
        except Exception:
            template.environment.handle_exception()
    return text


def _filled(text: str, variables: dict[str, Any], html: bool = False) -> str:
    """A layout's message with its placeholders filled; its period right after a value that ends
    with one left out, as a page's message's is (engine.site.render). In HTML, a value the layout
    made as markup (`{% set title %}<span lang="en">{{ title }}</span>{% endset %}`) stays markup,
    as in Jinja's own `{% trans %}` under autoescape: the translation and every other value are
    escaped (a translator's text never becomes markup)."""
    if html and any(isinstance(v, Markup) for v in variables.values()):
        plain = {k: v.striptags() if isinstance(v, Markup) else str(v) for k, v in variables.items()}
        values = {k: v if isinstance(v, Markup) else str(v) for k, v in variables.items()}
        return Markup(html_escape(one_period(text, plain))) % values
    shown = {k: str(v) for k, v in variables.items()}
    return one_period(text, shown) % shown


def _shown(value: Any) -> Any:
    """What the layout's `{{ value }}` writes: not null, not a number that is not finite."""
    if value is None:
        fail("nothing to show: the value is null")
    if isinstance(value, float) and not math.isfinite(value):
        fail(NOT_FINITE)
    return value


def _markdown_text(value: Any) -> Any:
    """In the Markdown index every value is escaped for Markdown (links are made from Markup paths)."""
    value = _shown(value)
    return value if isinstance(value, Markup) else escape(str(value))
