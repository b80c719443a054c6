"""Rendering one program's page templates in one language: output, translation, filters.

A page template writes Markdown; shared parts and the frame live in `policies/_site/` and are
included as `_site/<name>`. It runs under engine.templates.sandbox. Every `{{ }}` goes through `show`:
escaped for Markdown (engine.site.markup), facts marked when rendering for HTML. Prose is translated
through the catalogs (engine.i18n.translator); every fact is formatted by a CLDR filter (engine.i18n.cldr).
"""

from __future__ import annotations

import itertools
import math
import os
import posixpath
import re
import types
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any, cast
from urllib.parse import quote

from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader, pass_context
from jinja2.runtime import Context, Macro
from markupsafe import Markup

from engine.i18n import cldr as l10n
from engine.i18n.catalogs import SITE, label_context
from engine.i18n.cldr import SOURCE_LOCALE
from engine.i18n.source import PLACEHOLDER, placeholders
from engine.i18n.translator import Translator
from engine.model.policy import Program
from engine.model.repository import Repository
from engine.problems import a_kind
from engine.site import evidence
from engine.site.evidence import AUTO, END, TAG, Omitted, Taint, refuse_omitted
from engine.site.manifest import pages_dir
from engine.site.marking import evidenced_filter, evidenced_test, is_omitted, place_markers, taint_of
from engine.site.markup import Fact, FactMarks, Items, Shown, escape, strip_marks, unwrap
from engine.site.onepass import JOINED, PERIOD, SEEN, MarkedSandbox, guarded, marked, one_period
from engine.templates.check import padded_conversion
from engine.templates.codecache import SharedCode
from engine.templates.sandbox import NOT_FINITE, RenderError, environment, fail, render_failure

SITE_PREFIX = SITE + "/"
MARKER_TEMPLATE = "unconfirmed.md.j2"
_NOT_IN_TRANSLATIONS = re.compile(f"[{AUTO}{TAG}{END}]")
MAX_LIST = 1000  # items a list filter takes from a generator: data lists are short, a page stays bounded


class Renderer:
    """Renders one program's templates, as Markdown or as Markdown with facts marked for HTML.

    One environment per program, so each template compiles once; `use` switches the language.
    """

    def __init__(self, repo: Repository, program: Program, site_dir: str) -> None:
        self.repo, self.program = repo, program
        self.tag = SOURCE_LOCALE
        # the locale whose conventions format numbers, amounts and dates: the language's in the
        # marketplace's country when CLDR has both (`es-US`), set with the page context (l10n.conventions)
        self.formatting = SOURCE_LOCALE
        self.translators: dict[str, Translator] = {}  # by domain name: the program's id and SITE
        self.labels: dict[str, str] = dict(program.extra.get("labels") or {})
        self.currency = ""  # the marketplace's, set with the page context
        self.time_zone = "UTC"
        self.params: dict[str, Any] = {}
        self.marks: FactMarks | None = None  # set while rendering for HTML
        # set when a render marking facts looked at a marked text (engine.site.onepass): its plain
        # Markdown is then not the marked one without marks, and the template runs again plain
        self.observed = False
        # facts other than values that are assumptions (dates of changes, the next change), by name
        # (set with the context): their HTML spans say `data-assumption`; values say so themselves
        self.assumed: frozenset[str] = frozenset()
        self.marker: str | None = None  # " *(not yet confirmed)*" in the language rendered (`unconfirmed`)
        self._own_marker = False  # rendering `marker` itself (not a marker a template places)
        # the `format` a parameter's schema declares (engine.model.policy.SHOWN_FORMATS), by the path
        # of each fact of its value: the parameter's own and its changes' old and new values (set
        # with the context); `value` shows such a fact in it
        self.formats: dict[str, str] = {}
        self.env = self._environment(site_dir)

    def use(self, tag: str, translators: dict[str, Translator]) -> None:
        """Render in the language ``tag`` with these catalogs (by domain) from now on."""
        self.tag, self.translators = tag, translators
        self.formatting = tag
        self.marker = None

    def _environment(self, site_dir: str) -> MarkedSandbox:
        # the files of the layout's templates, as Jinja's loader names them (`posixpath.join`, then
        # `os.path.normpath`: with `--root .` the layout is `./_site`, its files `_site/page.md.j2`,
        # and every message of the layout was looked up in the program's catalog: G002 by the score)
        site_dir = os.path.normpath(site_dir)
        self._layout_folder = posixpath.join(site_dir, "")
        self._marker_file = posixpath.join(site_dir, MARKER_TEMPLATE)
        loader = ChoiceLoader(
            [FileSystemLoader(pages_dir(self.program)), PrefixLoader({SITE: FileSystemLoader(site_dir)})]
        )
        # autoescaped: `show` escapes for Markdown; a MarkedSandbox, so one render makes both outputs
        env = cast(MarkedSandbox, environment(loader, finalize=self.show, cls=MarkedSandbox))
        page_filters = self.filters()
        env.filters.update({name: _per_render(f) for name, f in page_filters.items()})
        env.filters = {
            name: f if name in (SEEN, PERIOD) else guarded(evidenced_filter(name, f, name in page_filters), self)
            for name, f in env.filters.items()
        }
        env.filters[JOINED] = self.joined
        env.tests["omitted"] = is_omitted
        env.tests = {
            name: guarded(evidenced_test(name, cast(Callable[..., Any], f)), self) for name, f in env.tests.items()
        }
        words = (self._gettext, self._ngettext, self._pgettext, self._npgettext)
        env.globals.update(gettext=words[0], _=words[0], ngettext=words[1], pgettext=words[2], npgettext=words[3])
        env.watch, env.transparent = self, words  # the translations only put their arguments in the text
        env.bytecode_cache = _COMPILED
        return env

    # -- output ------------------------------------------------------------------------------
    def show(self, value: Any) -> Markup:
        """What `{{ value }}` writes: page text, escaped for Markdown; facts marked for HTML; an
        assumed value followed by the "not yet confirmed" marker (engine.site.evidence)."""
        if isinstance(value, Shown):
            if value.fact is not None and self.marks is not None:
                if not value:  # marked, an empty text would not be empty: `{% if %}` on it would see the mark
                    self.observed = True
                text = Markup(self.marks.mark(value))
            else:
                text = Markup(str(value))
            return text if value.taint is None else self.unconfirmed(text, value.taint)
        if type(value) is Omitted:
            value.refuse("shows it")
        if isinstance(value, Markup):
            return value
        if isinstance(value, Fact):
            return self.show(self.default_format(value))
        if isinstance(value, Items):
            return self.show(self.join(value))
        if value is None:
            return fail("nothing to show: the value is null (`none`); test it with `is none` and write prose")
        if isinstance(value, bool):
            return fail("a yes/no value cannot be shown; write prose with {% if %}")
        if isinstance(value, (int, float)):
            if isinstance(value, float) and not math.isfinite(value):  # (`1e308 * 10`: validate sees literals only)
                return fail(NOT_FINITE)
            return escape(l10n.number(value, self.formatting))
        if isinstance(value, (dict, list, tuple)):
            return fail("a mapping or list cannot be shown as it is; pick a field or use a filter (list, labels)")
        if isinstance(value, _FUNCTIONS):  # (a method, a macro not called: never its Python description)
            return fail("a function cannot be shown; call it, or pick a field")
        if self.marks is not None and marked(value):
            self.observed = True  # (escaping removes the marks' characters, not their numbers)
        return escape(str(value))

    def joined(self, value: Any) -> Any:
        """An operand of `~`: an assumed value as `{{ }}` shows it, with its marker (`~` would join
        its text alone); any other value as it is."""
        if isinstance(value, (Fact, Shown, Items)) and taint_of(value) is not None:
            return self.show(value)
        return value

    def unconfirmed(self, text: Markup, taint: Taint) -> Markup:
        """``text`` (an assumed value) with the marker right after it: the `_site/unconfirmed.md.j2`
        text, which `place_markers` keeps once on its line. A worked example is marked by its
        template instead (`ex.unconfirmed`): showing its answer is a use of it."""
        if taint.example:
            evidence.used(taint, "shows its answer")
            return text
        evidence.shown(taint)
        return Markup(f"{text}{AUTO}{taint.id}{END}{self.marker_text()}")  # (the space before it is the marker's)

    def marker_text(self) -> str:
        """The marker in the language rendered: `_site/unconfirmed.md.j2` rendered on its own."""
        if self.marker is None:
            self._own_marker = True
            try:
                # the space before the marker is its own (the translators'): only line breaks go
                self.marker = str(self.env.get_template(SITE_PREFIX + MARKER_TEMPLATE).render()).strip("\r\n")
            finally:
                self._own_marker = False
        return self.marker

    def default_format(self, fact: Fact) -> Shown:
        raw = fact.raw
        if isinstance(raw, bool) or raw is None:
            self.show(raw)
        if isinstance(raw, (int, float)):
            return Shown.of(escape(l10n.number(raw, self.formatting)), fact.path, raw, fact._taint)
        if isinstance(raw, str):
            return Shown.of(escape(raw), fact.path, raw, fact._taint)
        if isinstance(raw, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in raw):
            return self.join(fact)
        return fail(f"the fact `{fact.path}` is {a_kind(raw)}: pick a field or use a filter")

    # -- translation -------------------------------------------------------------------------
    def _translator(self, file: str | None) -> Translator:
        """The catalog of the template file a message is written in: the layout's for a file of the
        layout folder (`_site/`), the program's for one of its pages, as `i18n update` extracts them.

        Found from the template code running (``file``, engine.site.evidence.template_file), not the
        render's context: Jinja runs the layout a page extends with the page's context, and a block
        or macro of the page with the context of whatever template calls it.
        """
        in_layout = file is not None and file.startswith(self._layout_folder)
        return self.translators[SITE if in_layout else self.program.id]

    def translate(
        self,
        translator: Translator,
        msgid: str,
        plural: str | None,
        num: Any,
        context: str | None,
        variables: dict[str, Any],
    ) -> Shown:
        refuse_omitted((num, *variables.values()), "shows it")
        n = unwrap(num) if plural is not None else 1
        if plural is not None and (isinstance(n, bool) or not isinstance(n, (int, float))):
            return fail(f"the count of a plural message must be a number, not {n!r}")
        if plural is not None:
            variables.setdefault("num", num)
        if plural is not None and not math.isfinite(n):
            return fail(f"the count of a plural message must be a finite number, not {n!r}")
        text = _NOT_IN_TRANSLATIONS.sub(
            "", translator.lookup(msgid, plural, int(n) if plural is not None else 1, context)
        )
        if self.marks is not None and marked(text):
            self.observed = True  # a translation holding a mark's character: removing marks would remove it
        padded = padded_conversion(text)
        if padded:  # `_('%200000000s')` would pad the page to 200 MB
            return fail(
                f"the message {msgid!r} has the conversion `{padded}`: a message holds only "
                "`%(name)s` placeholders and `%%`"
            )
        shown = {k: self.show(v) for k, v in variables.items()}
        text = one_period(text, shown)
        try:
            return Shown(text % shown)
        except (KeyError, ValueError, TypeError) as e:
            return fail(f"the {translator.tag} translation of {msgid!r} does not fit its placeholders ({e})")

    def _gettext(self, message: str, **variables: Any) -> Shown:
        file = evidence.template_file()
        text = self.translate(self._translator(file), message, None, None, None, variables)
        if file == self._marker_file and not self._own_marker:
            # a marker the template places: it marks the flags read since the last one (their ids
            # go with it until engine.site.marking.place_markers)
            return Shown(Markup(TAG + " ".join(evidence.marker_placed()) + END) + text)
        return text

    def _ngettext(self, singular: str, plural: str, num: Any, **variables: Any) -> Shown:
        translator = self._translator(evidence.template_file())
        return self.translate(translator, singular, plural, num, None, variables)

    def _pgettext(self, context: str, message: str, **variables: Any) -> Shown:
        translator = self._translator(evidence.template_file())
        return self.translate(translator, message, None, None, context, variables)

    def _npgettext(self, context: str, singular: str, plural: str, num: Any, **variables: Any) -> Shown:
        translator = self._translator(evidence.template_file())
        return self.translate(translator, singular, plural, num, context, variables)

    # -- filters -----------------------------------------------------------------------------
    def filters(self) -> dict[str, Callable[..., Any]]:
        return {
            "number": self.number,
            "percent": self.percent,
            "money": self.money,
            "date": self.date,
            "duration": self.duration,
            "list": self.join,
            "label": self.label,
            "labels": self.label_list,
            "language": self.language,
            "languages": self.languages,
            "country": self.country,
            "email": self.email,
            "link": self.link,
            "value": self.value,
            "inline": self.inline,
            "datetime": self.datetime,
            "time_zone": self.zone_name,
            "countries": self.countries,
            "collate": self.collate,
        }

    def _fact(self, value: Any, text: str) -> Shown:
        """Formatted text of ``value``, still a fact if the value was one."""
        if isinstance(value, Fact):
            return Shown.of(text, value.path, value.raw, value._taint)
        if isinstance(value, (Shown, Items)):
            return Shown.of(text, value.fact, value.value, value.taint)
        return Shown.of(text)

    def _call(self, what: str, fn: Callable[[], str]) -> str:
        try:
            return fn()
        except (TypeError, ValueError, KeyError) as e:
            fail(f"{what}: {e}")
        except ArithmeticError:  # decimal's InvalidOperation for `1e300|percent`: its message is a class list
            fail(f"{what}: the number is too large to format")
        except AttributeError:  # a date where a date-time form was asked for, and the like
            fail(f"{what}: this value cannot be shown in this form")

    def number(self, value: Any) -> Shown:
        return self._fact(value, escape(self._call("number", lambda: l10n.number(unwrap(value), self.formatting))))

    def percent(self, value: Any) -> Shown:
        """A value in percent units: 5 → "5%" ("5 %" in German)."""
        return self._fact(value, escape(self._call("percent", lambda: l10n.percent(unwrap(value), self.formatting))))

    def money(self, value: Any, currency: Any = None) -> Shown:
        """An amount in ``currency`` (default: the marketplace's currency)."""
        code = unwrap(currency) or self.currency
        return self._fact(value, escape(self._call("money", lambda: l10n.money(unwrap(value), code, self.formatting))))

    def date(self, value: Any, form: str = "long") -> Shown:
        """A date; a date-time shows the day it falls on in the marketplace's time zone."""
        return self._fact(
            value, escape(self._call("date", lambda: l10n.date(unwrap(value), self.formatting, form, self.time_zone)))
        )

    def datetime(self, value: Any, form: str = "full") -> Shown:
        """A date-time in the marketplace's time zone: "Friday, March 1, 2024, 5:00 PM"."""
        return self._fact(
            value,
            escape(self._call("datetime", lambda: l10n.datetime(unwrap(value), self.formatting, self.time_zone, form))),
        )

    def zone_name(self, value: Any = None) -> Shown:
        """The name of a time zone (default: the marketplace's): "Pacific Time"."""
        zone = unwrap(value) or self.time_zone
        return self._fact(value, escape(self._call("time_zone", lambda: l10n.time_zone_name(zone, self.tag))))

    def inline(self, value: Any) -> Any:
        """Labels as they read inside a sentence: "Phone" → "phone" (not in German; see l10n.in_sentence)."""
        if isinstance(value, Items):
            return Items([self.inline(v) for v in value], value)
        if not isinstance(value, Shown):
            return fail("`inline` applies to labels: write `|label|inline` or `|labels|inline`")
        return Shown.of(l10n.in_sentence(str(value), self.tag), value.fact, value.value, value.taint)

    def duration(self, value: Any, unit: str = "day", length: str = "long") -> Shown:
        """ "90 days", "90 giorni", "90天": a number with its CLDR unit, plural chosen by CLDR."""
        return self._fact(
            value,
            escape(
                self._call("duration", lambda: l10n.duration(unwrap(value), unit, self.tag, length, self.formatting))
            ),
        )

    def join(self, value: Any, style: str = "standard") -> Shown:
        """A list as the locale writes it: "phone, instant message, and email"; style `or` for "a or b".

        A list all of whose items are one assumption is marked once, after it; one with some
        assumed items (`assumed: [/0, /1]`, or items of several) has each assumed item marked."""
        items: list[Any]
        if isinstance(value, Items):
            items = list(value)
        elif isinstance(value, Fact) and isinstance(value.raw, dict):
            return fail(f"`list` needs a list, but `{value.path}` is a mapping")
        elif isinstance(value, (Fact, list, tuple)):
            items = list(value)
        elif isinstance(value, Iterator):  # `map(...)`, `select(...)`: a generator over a list from the data
            items = list(itertools.islice(value, MAX_LIST + 1))
            if len(items) > MAX_LIST:
                return fail(f"`list` joins at most {MAX_LIST} items")
        else:
            return fail(f"`list` needs a list, not {a_kind(unwrap(value))}")
        whole = taint_of(value)
        taints = [None if whole is not None and whole.parts is None else taint_of(v) for v in items]
        ids = {t.id for t in taints if t is not None}
        if ids and len(ids) == 1 and all(t is not None for t in taints) and whole is None:
            whole = taints[0]  # (`map("label")` over an assumed list: marked once, as `labels`)
            taints = [None] * len(items)
        parts = [
            str(self._plain(v) if t is None else self.unconfirmed(self._plain(v), t)) for v, t in zip(items, taints)
        ]
        text = self._call("list", lambda: l10n.join(parts, self.tag, style))
        shown = self._fact(value, text)
        if shown.taint is None and whole is not None and whole.parts is None:
            shown.taint = whole
        elif any(t is not None for t in taints):
            shown.taint = None  # (each assumed item is marked: the list is not marked again)
            shown.assumed_inside = True
        return shown

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
            return fail(f"no label for `{key}`: add it to `labels:` in {self.program.id}/program.yaml")
        text = self.translators[self.program.id].lookup(self.labels[key], None, 1, label_context(key))
        unknown = sorted(placeholders(text) - set(self.params))
        if unknown:
            fail(f"the label `{key}` refers to `{unknown[0]}`, which is not a parameter")
        # a label may state a parameter ("%(service_hours_per_day)s-hour service"): the text around
        # it is escaped, the parameter shown like any fact
        pieces = PLACEHOLDER.split(text)
        for name in pieces[1::2]:
            if type(self.params[name]) is Omitted:
                cast(Omitted, self.params[name]).refuse(
                    f"shows it in the label `{key}` (`%({name})s`)",
                    re.compile(rf"""(['"]{re.escape(key)}['"]\s*\|\s*labels?\b)"""),
                )
        shown = Markup("").join(
            escape(piece) if i % 2 == 0 else self.show(self.value(self.params[piece])) for i, piece in enumerate(pieces)
        )
        if isinstance(value, (Fact, Shown, Items)):
            return self._fact(value, shown)
        return Shown.of(shown, None, key)  # (the id it shows, for `link`'s default key)

    def label_list(self, value: Any) -> Items:
        return Items([self.label(v) for v in value], value)

    def language(self, value: Any) -> Shown:
        """A language's name from CLDR in the page's language: `zh` → "Chinese", "cinese"."""
        return self._fact(value, escape(self._call("language", lambda: l10n.language_name(unwrap(value), self.tag))))

    def languages(self, value: Any) -> Items:
        return Items([self.language(v) for v in value], value)

    def countries(self, value: Any) -> Items:
        """Countries and regions (ISO 3166 codes) by their names in the page's language, in the
        language's alphabetical order: "Österreich, Polen und Tschechien"."""
        return self.collate(Items([self.country(v) for v in value], value))

    def collate(self, value: Any) -> Items:
        """Names (from `labels`, `languages`, `countries`) in alphabetical order by the Unicode
        Collation Algorithm, not by code point ("Tschechien" before "Österreich")."""
        if isinstance(value, Iterator):
            value = list(itertools.islice(value, MAX_LIST + 1))
        if not isinstance(value, (Items, list, tuple)) or len(value) > MAX_LIST:
            return fail(f"`collate` needs a list of names (at most {MAX_LIST}), such as `|labels` or `|countries`")
        items = [v if isinstance(v, Shown) else self.value(v) for v in value]
        return Items(sorted(items, key=lambda v: l10n.collation_key(strip_marks(str(v)))), value)

    def country(self, value: Any) -> Shown:
        return self._fact(value, escape(self._call("country", lambda: l10n.country_name(unwrap(value), self.tag))))

    def email(self, value: Any) -> Shown:
        """An email address as a mailto link."""
        address = str(unwrap(value))
        local, _, domain = address.partition("@")
        # No space, line break, tab or control character (a newline ended the link and started
        # Markdown of its own), nothing Markdown or a mailto URL gives a meaning to (`?cc=`).
        if not local or not domain or "@" in domain or any(c in _NOT_IN_EMAIL or _invisible(c) for c in address):
            return fail(f"`{address}` is not an email address")
        target = quote(address, safe="@.+-_!$&'*=^{}~")  # the rest percent-encoded (RFC 6068), `%` and `#` too
        return self._fact(value, f"[{escape(address)}](mailto:{target})")

    def link(self, value: Any, target: Any = None, key: Any = None) -> Shown:
        """Page text (a label, a translated sentence) as a link to ``target``: a URL, or a mapping
        of ids to URLs (a parameter such as `help_page_urls`) looked up by ``key``, by default the
        id the label shows. No URL (none, or no entry for the id): the text as it is."""
        if not isinstance(value, Shown):
            return fail('`link` applies to page text: write `x|label|link(...)` or `_("...")|link(...)`')
        found = unwrap(target)
        taint = taint_of(target)
        if isinstance(found, dict):
            wanted = unwrap(key) if key is not None else value.value
            found = found.get(wanted) if isinstance(wanted, str) else None
            taint = taint.below(wanted) if taint is not None and isinstance(wanted, str) else taint
        if found is None:
            return value
        url = str(found)
        # an absolute web address, written as `<...>` (CommonMark: nothing in it starts Markdown);
        # nothing in it may end that form or the line, nor be escaped away (`\`)
        if not url.startswith(("https://", "http://")) or any(c in _NOT_IN_URL or _invisible(c) for c in url):
            shown = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in url[:200])
            return fail(f"`{shown}` is not a web address (`link` takes `https://...` or `http://...`)")
        # an assumed text or address: the link is marked (once: one marker after it says both)
        return Shown.of(f"[{value}](<{url}>)", value.fact, value.value, value.taint or taint)

    def value(self, value: Any) -> Shown:
        """Any simple value: a parameter's (or its change's) as its schema's `format` declares
        (`money`: "$5.49"), other numbers formatted, ids by their labels, lists of either joined."""
        declared = self.formats.get(value.path) if isinstance(value, Fact) else None
        if declared is not None:
            return self.as_declared(value, declared)
        raw = unwrap(value)
        if isinstance(raw, str) and raw in self.labels:
            return self.label(value)
        if isinstance(raw, list) and all(isinstance(v, str) and v in self.labels for v in raw):
            return self.join(self.label_list(value))
        if isinstance(value, Fact):
            return self.default_format(value)
        return Shown.of(str(self.default_format(Fact("value", raw))))

    def as_declared(self, value: Fact, form: str) -> Shown:
        """``value`` in the `format` its parameter's schema declares (one of SHOWN_FORMATS)."""
        if form == "money":
            return self.money(value)  # in the marketplace's currency
        if form == "percent":
            return self.percent(value)
        if form == "date":
            return self.date(value)
        if form == "date-time":
            return self.datetime(value)
        return self.duration(value, form.removeprefix("duration-"))


_FUNCTIONS = (types.MethodType, types.FunctionType, types.BuiltinMethodType, Macro)
_NOT_IN_EMAIL = frozenset(' <>()[]\\",;:?')
_NOT_IN_URL = frozenset(' <>\\"`')


# Templates compiled once for every program's environment and every build of this process
# (engine.templates.codecache): the shared `_site/` ones were compiled again for each program,
# every template again for each build.
_COMPILED = SharedCode()


def _invisible(c: str) -> bool:
    """A space, line break, tab, control or format character, in any script."""
    return c.isspace() or unicodedata.category(c)[0] in "CZ"


def _per_render(filter_: Callable[..., Any]) -> Callable[..., Any]:
    """A filter Jinja must call while rendering. It computes a filter of constants once, when
    compiling (`{{ "AT"|country }}`), unless the filter takes the render's context; these depend on
    the language being rendered, which `Renderer.use` switches between renders."""

    @pass_context
    def call(_ctx: Context, *args: Any, **kwargs: Any) -> Any:
        return filter_(*args, **kwargs)

    call.__doc__ = filter_.__doc__
    return call


def render(renderer: Renderer, template: str, context: dict[str, Any], html: bool) -> tuple[str, FactMarks | None]:
    """Render one template; raises RenderError carrying a G001 problem on any template failure.
    With ``html``, facts are marked, and ``renderer.observed`` then says whether the template
    looked at a marked text (engine.site.onepass)."""
    renderer.marks = FactMarks(renderer.assumed) if html else None
    if html:
        renderer.observed = False
    marks = renderer.marks
    try:
        with evidence.watching() as watch:
            text = renderer.env.get_template(template).render(context)
    except RenderError:
        raise
    except Exception as e:
        raise render_failure(e, os.path.join(pages_dir(renderer.program), template)) from None
    finally:
        renderer.marks = None
    unmarked = watch.problem()
    if unmarked is not None:
        raise RenderError(unmarked)
    if AUTO in text or TAG in text:
        text = place_markers(text, renderer.marker_text())
    return text, marks
