"""The rules templates live by, shared by the static check (engine.templates.check, at `validate`)
and the guarded sandbox (engine.templates.guard, at render time): one list, so the two never
disagree about what a template may use.
"""

from __future__ import annotations

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
# The filters a page's renderer adds (engine.site.render.Renderer.filters: a test keeps the two the
# same), which format facts per language. A template may use these and SAFE_FILTERS; any other
# name is a filter no environment has, which Jinja refuses when it compiles the template.
PAGE_FILTERS = frozenset(
    """
number percent money date duration list label labels language languages country email value inline
datetime time_zone countries collate
""".split()
)
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
