"""The rules templates live by, shared by the static check (engine.templates.check, at `validate`)
and the guarded sandbox (engine.templates.guard, at render time): one list, so the two never
disagree about what a template may use.
"""

from __future__ import annotations

import re

MAX_TEMPLATE_BYTES = 1024 * 1024
# Attributes that only an escape from the sandbox needs (Python internals).
FORBIDDEN_ATTRIBUTES = frozenset(
    "mro format format_map func_globals func_code f_globals f_locals f_builtins f_code f_back tb_frame "
    "tb_next co_code gi_frame gi_code cr_frame cr_code ag_frame ag_code im_func im_self im_class".split()
)
# Jinja's own filters that can neither allocate without bound nor reach attributes by name.
SAFE_FILTERS = frozenset(
    """
abs capitalize count d default dictsort first float groupby int items last length list lower map max
min reject rejectattr reverse round select selectattr sort string striptags title trim truncate unique
upper wordcount
""".split()
)
# The digits Jinja's `round` may round to, either way: it computes `10 ** precision` in one step of
# C that no deadline interrupts (`1|round(-1000000000)` ran for hours). A float has none beyond 324.
MAX_ROUND_DIGITS = 400
# The filters a page's renderer adds (engine.site.render.Renderer.filters: a test keeps the two the
# same), which format facts per language. A template may use these and SAFE_FILTERS; any other
# name is a filter no environment has, which Jinja refuses when it compiles the template.
PAGE_FILTERS = frozenset(
    """
number percent money date duration list label labels language languages country email link value inline
datetime time_zone countries collate
""".split()
)
# The tests a page's renderer adds (engine.site.render): `is omitted`, a value kept off the pages.
PAGE_TESTS = frozenset(("omitted",))
# Jinja's default globals that no page needs, each a classic way out of one (`range` stays: the
# sandbox bounds it to 100,000 items and the deadline bounds loops over it).
REMOVED_GLOBALS = ("dict", "lipsum", "cycler", "joiner", "namespace")
# Methods of plain values (text, numbers, lists, mappings) a template may call: each returns at
# most what it reads. Every other method is refused, since many allocate in proportion to an
# argument (`'x'.ljust(4000000000)`, `zfill`, `center`, `expandtabs`, `replace`, `(1).to_bytes(n)`,
# `'{0:>4000000000}'.format(1)` reached as `''['for' ~ 'mat']`) or reach a codec by name (`encode`).
SAFE_METHODS = frozenset(
    """
items keys values get lower upper title capitalize strip lstrip rstrip startswith endswith count find
isdigit isalpha isalnum isspace islower isupper
""".split()
)


SYNTAX_HELP = "see https://jinja.palletsprojects.com/templates/"
# Jinja's words for a filter or test no environment has (jinja2.compiler, jinja2.environment)
_NO_SUCH = re.compile(r"No (?P<kind>filter|test) named '(?P<name>[^']*)'")


def unknown_name_hint(kind: str, name: str) -> str:
    """The hint for a filter (``kind`` "filter") or test ("test") named ``name`` that no page's
    environment has: the closest one there is, else the list. The one suggestion `validate`
    (engine.templates.check) and `build` and `serve` (engine.templates.sandbox) give."""
    import difflib

    if kind == "filter":
        known = sorted(SAFE_FILTERS | PAGE_FILTERS)
    else:
        from jinja2.tests import TESTS

        known = sorted(frozenset(TESTS) | PAGE_TESTS)
    close = difflib.get_close_matches(name, known, n=1)
    return f"did you mean `{close[0]}`?" if close else f"{kind}s: {', '.join(known)}"


def unknown_name_in(message: str) -> str | None:
    """``unknown_name_hint`` for the filter or test Jinja's error ``message`` says no environment has
    (at compile time, or when called, in an `if`); None when it says something else."""
    found = _NO_SUCH.search(message)
    return None if found is None else unknown_name_hint(found["kind"], found["name"])


# A text's escape that is no character: half of a surrogate pair (`"\\ud800"`, refused by
# engine.templates.sandbox.TextsAreCharacters: no page can hold one as UTF-8), or beyond U+10FFFF
# (`"\\U00110000"`, refused by Jinja's lexer in these words)
NO_CHARACTER = "half of a UTF-16 surrogate pair (U+D800 to U+DFFF), not a character"
_NO_CHARACTER_ERRORS = (NO_CHARACTER, "illegal Unicode character")
NO_CHARACTER_HINT = (
    "write the character itself, or escape one beyond U+FFFF with `\\U` and 8 hex digits (`\\U0001F600`)"
)


def syntax_hint(message: str) -> str:
    """The hint for Jinja's syntax error ``message``: a close name for an unknown filter or test,
    how to write a character an escape does not give, else Jinja's documentation."""
    if message.endswith(_NO_CHARACTER_ERRORS):
        return NO_CHARACTER_HINT
    return unknown_name_in(message) or SYNTAX_HELP
