"""The HTML layout and the index: `policies/_site/*.html.j2`, autoescaped, in the sandbox.

The layout gets the page body already converted from Markdown (engine.markup) and wraps it with
the language and marketplace switchers, `hreflang` alternates and the inline style sheet. Its
prose comes from the site catalog; everything it interpolates is HTML-escaped by Jinja.
"""

from __future__ import annotations

import os
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError, pass_context
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from engine.i18n import SITE, Translator
from engine.pages import RenderError, template_error

PAGE = "page.html.j2"
INDEX = "index.html.j2"
INDEX_MD = "index.md.j2"


class Layout:
    def __init__(self, site_dir: str, translator: Translator) -> None:
        self.site_dir = site_dir
        self.translator = translator
        self.html = self._environment(autoescape=True)
        self.markdown = self._environment(autoescape=False)

    def _environment(self, autoescape: bool) -> ImmutableSandboxedEnvironment:
        env = ImmutableSandboxedEnvironment(
            loader=FileSystemLoader(self.site_dir), undefined=StrictUndefined, autoescape=autoescape,
            extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
            finalize=_no_none if autoescape else _markdown_text, auto_reload=False)
        env.newstyle_gettext = True  # type: ignore[attr-defined]
        env.policies["ext.i18n.trimmed"] = True
        for name in ("safe", "forceescape", "urlize"):
            env.filters.pop(name, None)
        env.globals.update(gettext=self._gettext, _=self._gettext, ngettext=self._ngettext)
        return env

    @pass_context
    def _gettext(self, ctx: Context, message: str, **variables: Any) -> str:
        return self.translator.lookup(message) % {k: str(v) for k, v in variables.items()}

    @pass_context
    def _ngettext(self, ctx: Context, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        return self.translator.lookup(singular, plural, int(num)) % {k: str(v) for k, v in variables.items()}

    def _render(self, env: ImmutableSandboxedEnvironment, name: str, context: dict[str, Any]) -> str:
        try:
            return env.get_template(name).render(context)
        except (TemplateError, SecurityError, TypeError, ValueError, KeyError, AttributeError) as e:
            raise RenderError(template_error(e, os.path.join(self.site_dir, name))) from None

    def page(self, view: dict[str, Any]) -> str:
        view = dict(view, body=Markup(view["body"]))  # made by markdown-it with raw HTML disabled
        return self._render(self.html, PAGE, view)

    def index(self, view: dict[str, Any]) -> str:
        return self._render(self.html, INDEX, view)

    def index_markdown(self, view: dict[str, Any]) -> str:
        return self._render(self.markdown, INDEX_MD, view)


def _no_none(value: Any) -> Any:
    if value is None:
        from jinja2 import TemplateRuntimeError

        raise TemplateRuntimeError("nothing to show: the value is null")
    return value


def _markdown_text(value: Any) -> Any:
    """In the Markdown index every value is escaped for Markdown (links are made from Markup paths)."""
    from engine.markup import escape

    value = _no_none(value)
    return value if isinstance(value, Markup) else escape(str(value))


__all__ = ["Layout", "SITE"]
