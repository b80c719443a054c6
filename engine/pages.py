"""Which pages a program has, and rendering one page in one language from the policy data.

Pages are Jinja2 templates that write Markdown, in `policies/<program>/pages/`, listed in
`policies/<program>/pages.yaml` (or, without it, every `pages/*.md.j2` not starting with `_`, for
all the program's marketplaces). Shared parts and the HTML layout live in `policies/_site/` and
are included as `_site/<name>`.

Templates run in Jinja's immutable sandbox with `StrictUndefined`: they can read the context
below and call the filters, nothing else. Every interpolation is escaped for Markdown (see
engine.markup), and the prose is translated through the catalogs (engine.i18n).
"""

from __future__ import annotations

import os
import re
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from jinja2 import (ChoiceLoader, FileSystemLoader, PrefixLoader, StrictUndefined, TemplateError,
                    TemplateNotFound, TemplateSyntaxError, pass_context)
from jinja2 import tests as jinja_tests
from jinja2.ext import Extension
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from engine import l10n
from engine.i18n import SITE, Domain, Translator, label_context, placeholders
from engine.markup import Fact, FactMarks, Shown, escape, fact, unwrap
from engine.model import Program
from engine.problems import Pos, Problem
from engine.repository import Repository

SITE_PREFIX = SITE + "/"


@dataclass(frozen=True, slots=True)
class Page:
    program: str
    id: str
    template: str  # relative to the program's pages/ folder
    marketplaces: tuple[str, ...]
    pos: Pos


def pages_dir(program: Program) -> str:
    return os.path.join(program.dir, "pages")


def pages_of(repo: Repository, program: Program) -> tuple[list[Page], list[Problem]]:
    """The program's pages from pages.yaml (or its templates), with problems in the manifest."""
    manifest = os.path.join(program.dir, "pages.yaml")
    doc = repo.documents.get(manifest)
    folder = pages_dir(program)
    if doc is None:
        found = sorted(n for n in os.listdir(folder) if n.endswith(".md.j2") and not n.startswith("_")) \
            if os.path.isdir(folder) else []
        return [Page(program.id, n[: -len(".md.j2")], n, program.marketplaces, Pos(os.path.join(folder, n)))
                for n in found], []
    if doc.problems or not isinstance(doc.data, dict):
        return [], []  # reported by the loader
    pages: list[Page] = []
    problems: list[Problem] = []
    for page_id, spec in doc.data["pages"].items():
        base = ("pages", page_id)
        template = spec["template"]
        if not os.path.isfile(os.path.join(folder, template)):
            problems.append(Problem.at(doc.pos(base + ("template",)), "G001",
                                       f"no template `{template}` in {folder}", "create it or correct the name"))
            continue
        mps = tuple(spec.get("marketplaces") or program.marketplaces)
        for i, mp in enumerate(mps):
            if mp not in program.marketplaces:
                problems.append(Problem.at(doc.pos(base + ("marketplaces", i)), "P001",
                                           f"`{program.id}` is not offered in marketplace `{mp}`",
                                           f"use one of: {', '.join(program.marketplaces)}"))
        pages.append(Page(program.id, page_id, template, tuple(m for m in mps if m in program.marketplaces),
                          doc.key_pos(base)))
    return pages, problems


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
            if (stripped.endswith("%}") and not stripped.endswith(("-%}", "+%}"))
                    and _TAG.sub("", stripped).strip()):
                lines[i] = stripped[:-2] + "+%}" + line[len(stripped):]
        return "\n".join(lines)


class RenderError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def template_error(e: BaseException, fallback: str) -> Problem:
    """A template failure as a G001 problem at the template's file:line."""
    if isinstance(e, RenderError):
        return e.problem
    if isinstance(e, TemplateSyntaxError):
        return Problem(e.filename or fallback, e.lineno or 1, 1, "G001", f"template syntax error: {e.message}",
                       "see https://jinja.palletsprojects.com/templates/")
    file, line = fallback, 1
    for frame in traceback.extract_tb(e.__traceback__):
        if frame.filename.endswith(".j2"):
            file, line = frame.filename, frame.lineno or 1
    what = "the sandbox refused: " if isinstance(e, SecurityError) else ""
    if isinstance(e, TemplateNotFound):
        what = "no such template: "
    message = str(e) or type(e).__name__
    return Problem(file, line, 1, "G001", f"{what}{message}", "check the template against the page context")


def _fail(message: str) -> Any:
    from jinja2 import TemplateRuntimeError

    raise TemplateRuntimeError(message)


class Renderer:
    """Renders one program's templates in one locale, as Markdown (`md`) or Markdown for HTML (`html`)."""

    def __init__(self, repo: Repository, program: Program, tag: str, translators: dict[str, Translator],
                 site_dir: str) -> None:
        self.repo, self.program, self.tag = repo, program, tag
        self.translators = translators  # by domain name: the program's id and SITE
        self.labels: dict[str, str] = dict(program.extra.get("labels") or {})
        self.currency = ""  # the marketplace's, set with the page context
        self.time_zone = "UTC"
        self.params: dict[str, Any] = {}
        self.marks: FactMarks | None = None  # set while rendering for HTML
        self.env = self._environment(site_dir)

    def _environment(self, site_dir: str) -> ImmutableSandboxedEnvironment:
        loader = ChoiceLoader([FileSystemLoader(pages_dir(self.program)),
                               PrefixLoader({SITE: FileSystemLoader(site_dir)})])
        env = ImmutableSandboxedEnvironment(
            loader=loader, undefined=StrictUndefined, autoescape=True, finalize=self.show,
            extensions=["jinja2.ext.i18n", KeepLineBreaks], trim_blocks=True, lstrip_blocks=True,
            keep_trailing_newline=True, auto_reload=False)
        env.newstyle_gettext = True  # type: ignore[attr-defined]
        env.policies["ext.i18n.trimmed"] = True
        for name in ("safe", "forceescape", "escape", "e", "urlize", "xmlattr", "tojson", "pprint"):
            env.filters.pop(name, None)
        env.filters.update(self.filters())
        for name in ("number", "string", "mapping", "sequence", "iterable", "integer", "float"):
            env.tests[name] = _unwrapping(jinja_tests.TESTS[name])
        env.globals.update(gettext=self._gettext, _=self._gettext, ngettext=self._ngettext,
                           pgettext=self._pgettext, npgettext=self._npgettext, fail=_fail)
        return env

    # -- output ------------------------------------------------------------------------------
    def show(self, value: Any) -> Markup:
        """What `{{ value }}` writes: page text, escaped for Markdown; facts marked for HTML."""
        if isinstance(value, Shown):
            if value.fact is not None and self.marks is not None:
                return Markup(self.marks.mark(value))
            return Markup(str(value))
        if isinstance(value, Markup):
            return value
        if isinstance(value, Fact):
            return self.show(self.default_format(value))
        if isinstance(value, Items):
            return self.show(self.join(value))
        if value is None:
            return _fail("nothing to show: the value is null (`none`); test it with `is none` and write prose")
        if isinstance(value, bool):
            return _fail("a yes/no value cannot be shown; write prose with {% if %}")
        if isinstance(value, (int, float)):
            return escape(l10n.number(value, self.tag))
        if isinstance(value, (dict, list, tuple)):
            return _fail("a mapping or list cannot be shown as it is; pick a field or use a filter (list, labels)")
        return escape(str(value))

    def default_format(self, fact: Fact) -> Shown:
        raw = fact.raw
        if isinstance(raw, bool) or raw is None:
            self.show(raw)
        if isinstance(raw, (int, float)):
            return Shown.of(escape(l10n.number(raw, self.tag)), fact.path, raw)
        if isinstance(raw, str):
            return Shown.of(escape(raw), fact.path, raw)
        if isinstance(raw, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in raw):
            return self.join(fact)
        return _fail(f"the fact `{fact.path}` is a {type(raw).__name__}: pick a field or use a filter")

    # -- translation -------------------------------------------------------------------------
    def _translator(self, ctx: Context, msgid: str, context: str | None) -> Translator:
        """The catalog of the template the message is written in (a `_site/` one or the program's).

        A block the program fills in runs with the program template's context even inside a
        `_site/` frame, so a message the first choice never extracted is looked up in the other.
        """
        mine = SITE if (ctx.name or "").startswith(SITE_PREFIX) else self.program.id
        other = self.program.id if mine == SITE else SITE
        key = (msgid, context)
        if key not in self.translators[mine].sources and key in self.translators[other].sources:
            return self.translators[other]
        return self.translators[mine]

    def translate(self, translator: Translator, msgid: str, plural: str | None, num: Any, context: str | None,
                  variables: dict[str, Any]) -> Shown:
        n = unwrap(num) if plural is not None else 1
        if plural is not None and (isinstance(n, bool) or not isinstance(n, (int, float))):
            return _fail(f"the count of a plural message must be a number, not {n!r}")
        if plural is not None:
            variables.setdefault("num", num)
        text = translator.lookup(msgid, plural, int(n) if plural is not None else 1, context)
        shown = {k: self.show(v) for k, v in variables.items()}
        try:
            return Shown(text % shown)
        except (KeyError, ValueError, TypeError) as e:
            return _fail(f"the {translator.tag} translation of {msgid!r} does not fit its placeholders ({e})")

    @pass_context
    def _gettext(self, ctx: Context, message: str, **variables: Any) -> Shown:
        return self.translate(self._translator(ctx, message, None), message, None, None, None, variables)

    @pass_context
    def _ngettext(self, ctx: Context, singular: str, plural: str, num: Any, **variables: Any) -> Shown:
        return self.translate(self._translator(ctx, singular, None), singular, plural, num, None, variables)

    @pass_context
    def _pgettext(self, ctx: Context, context: str, message: str, **variables: Any) -> Shown:
        return self.translate(self._translator(ctx, message, context), message, None, None, context, variables)

    @pass_context
    def _npgettext(self, ctx: Context, context: str, singular: str, plural: str, num: Any, **variables: Any) -> Shown:
        return self.translate(self._translator(ctx, singular, context), singular, plural, num, context, variables)

    # -- filters -----------------------------------------------------------------------------
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "number": self.number, "percent": self.percent, "money": self.money, "date": self.date,
            "duration": self.duration, "list": self.join, "label": self.label, "labels": self.label_list,
            "language": self.language, "languages": self.languages, "country": self.country,
            "email": self.email, "value": self.value, "inline": self.inline, "datetime": self.datetime,
            "time_zone": self.zone_name,
        }

    def _fact(self, value: Any, text: str) -> Shown:
        """Formatted text of ``value``, still a fact if the value was one."""
        if isinstance(value, Fact):
            return Shown.of(text, value.path, value.raw)
        if isinstance(value, Shown):
            return Shown.of(text, value.fact, value.value)
        return Shown.of(text)

    def _call(self, what: str, fn: Callable[[], str]) -> str:
        try:
            return fn()
        except (TypeError, ValueError, KeyError) as e:
            return _fail(f"{what}: {e}")  # type: ignore[no-any-return]

    def number(self, value: Any) -> Shown:
        return self._fact(value, escape(self._call("number", lambda: l10n.number(unwrap(value), self.tag))))

    def percent(self, value: Any) -> Shown:
        """A value in percent units: 5 → "5%" ("5 %" in German)."""
        return self._fact(value, escape(self._call("percent", lambda: l10n.percent(unwrap(value), self.tag))))

    def money(self, value: Any, currency: Any = None) -> Shown:
        """An amount in ``currency`` (default: the marketplace's currency)."""
        code = unwrap(currency) or self.currency
        return self._fact(value, escape(self._call("money", lambda: l10n.money(unwrap(value), code, self.tag))))

    def date(self, value: Any, form: str = "long") -> Shown:
        """A date; a date-time shows the day it falls on in the marketplace's time zone."""
        return self._fact(value, escape(self._call(
            "date", lambda: l10n.date(unwrap(value), self.tag, form, self.time_zone))))

    def datetime(self, value: Any, form: str = "full") -> Shown:
        """A date-time in the marketplace's time zone: "Friday, March 1, 2024, 5:00 PM"."""
        return self._fact(value, escape(self._call(
            "datetime", lambda: l10n.datetime(unwrap(value), self.tag, self.time_zone, form))))

    def zone_name(self, value: Any = None) -> Shown:
        """The name of a time zone (default: the marketplace's): "Pacific Time"."""
        zone = unwrap(value) or self.time_zone
        return self._fact(value, escape(self._call("time_zone", lambda: l10n.time_zone_name(zone, self.tag))))

    def inline(self, value: Any) -> Any:
        """Labels as they read inside a sentence: "Phone" → "phone" (not in German; see l10n.in_sentence)."""
        if isinstance(value, Items):
            return Items([self.inline(v) for v in value], value)
        if not isinstance(value, Shown):
            return _fail("`inline` applies to labels: write `|label|inline` or `|labels|inline`")
        return Shown.of(l10n.in_sentence(str(value), self.tag), value.fact, value.value)

    def duration(self, value: Any, unit: str = "day", length: str = "long") -> Shown:
        """"90 days", "90 giorni", "90天": a number with its CLDR unit, plural chosen by CLDR."""
        return self._fact(value, escape(self._call("duration",
                                                   lambda: l10n.duration(unwrap(value), unit, self.tag, length))))

    def join(self, value: Any, style: str = "standard") -> Shown:
        """A list as the locale writes it: "phone, instant message, and email"; style `or` for "a or b"."""
        if isinstance(value, Items):
            parts: list[str] = [str(self._plain(v)) for v in value]
        elif isinstance(value, Fact) and isinstance(value.raw, dict):
            return _fail(f"`list` needs a list, but `{value.path}` is a mapping")
        elif isinstance(value, (Fact, list, tuple)):
            parts = [str(self._plain(v)) for v in value]
        else:
            return _fail(f"`list` needs a list, not {type(unwrap(value)).__name__}")
        text = self._call("list", lambda: l10n.join(parts, self.tag, style))
        if isinstance(value, Items):
            return Shown.of(text, value.fact, value.value)
        return self._fact(value, text)

    def _plain(self, value: Any) -> Markup:
        """An item inside a list: formatted, without its own fact mark (the list is the fact)."""
        if isinstance(value, Shown):
            return Markup(str(value))
        if isinstance(value, Fact):
            return Markup(str(self.default_format(value)))
        return self.show(value)

    def label(self, value: Any) -> Shown:
        """The translated display text of an id listed in the program's `labels:`."""
        key = unwrap(value)
        if not isinstance(key, str) or key not in self.labels:
            return _fail(f"no label for `{key}`: add it to `labels:` in {self.program.id}/program.yaml")
        text = self.translators[self.program.id].lookup(self.labels[key], None, 1, label_context(key))
        shown = escape(text)
        names = placeholders(text)
        if names:  # a label may state a parameter's value: "%(service_hours_per_day)s-hour service"
            unknown = sorted(names - set(self.params))
            if unknown:
                return _fail(f"the label `{key}` refers to `{unknown[0]}`, which is not a parameter")
            shown = Markup(shown) % {n: self.show(self.value(self.params[n])) for n in names}
        return self._fact(value, shown)

    def label_list(self, value: Any) -> Items:
        return Items([self.label(v) for v in value], value)

    def language(self, value: Any) -> Shown:
        """A language's name from CLDR in the page's language: `zh` → "Chinese", "cinese"."""
        return self._fact(value, escape(self._call("language", lambda: l10n.language_name(unwrap(value), self.tag))))

    def languages(self, value: Any) -> Items:
        return Items([self.language(v) for v in value], value)

    def country(self, value: Any) -> Shown:
        return self._fact(value, escape(self._call("country", lambda: l10n.country_name(unwrap(value), self.tag))))

    def email(self, value: Any) -> Shown:
        """An email address as a mailto link."""
        address = str(unwrap(value))
        if any(c in address for c in " <>()[]\\") or address.count("@") != 1:
            return _fail(f"`{address}` is not an email address")
        return self._fact(value, f"[{escape(address)}](mailto:{address})")

    def value(self, value: Any) -> Shown:
        """Any simple value: numbers formatted, ids by their labels, lists of either joined."""
        raw = unwrap(value)
        if isinstance(raw, str) and raw in self.labels:
            return self.label(value)
        if isinstance(raw, list) and all(isinstance(v, str) and v in self.labels for v in raw):
            return self.join(self.label_list(value))
        if isinstance(value, Fact):
            return self.default_format(value)
        return Shown.of(str(self.default_format(Fact("value", raw))))


class Items(list):  # type: ignore[type-arg]
    """Formatted items of one list fact (from `labels`, `languages`), joined by the `list` filter."""

    def __init__(self, items: list[Shown], source: Any) -> None:
        super().__init__(items)
        if isinstance(source, Items):
            self.fact, self.value = source.fact, source.value
        else:
            self.fact = source.path if isinstance(source, Fact) else None
            self.value = unwrap(source)


def _unwrapping(test: Callable[..., bool]) -> Callable[..., bool]:
    def unwrapped(value: Any, *args: Any) -> bool:
        return test(unwrap(value), *args)

    return unwrapped


def render(renderer: Renderer, template: str, context: dict[str, Any], html: bool) -> tuple[str, FactMarks | None]:
    """Render one template; raises RenderError carrying a G001 problem on any template failure."""
    renderer.marks = FactMarks() if html else None
    marks = renderer.marks
    try:
        text = renderer.env.get_template(template).render(context)
    except (TemplateError, SecurityError, TypeError, ValueError, KeyError, AttributeError, IndexError,
            ArithmeticError, RecursionError) as e:
        raise RenderError(template_error(e, os.path.join(pages_dir(renderer.program), template))) from None
    finally:
        renderer.marks = None
    return text, marks


def translators_for(domains: dict[str, Domain], tag: str, sources: dict[str, dict[Any, tuple[str, int]]]) \
        -> dict[str, Translator]:
    return {name: Translator(domain, tag, sources.get(name, {})) for name, domain in domains.items()}
