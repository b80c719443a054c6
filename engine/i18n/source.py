"""The source locale and its messages' placeholders, in a module of its own: reading them imports
no CLDR data (engine.i18n.cldr imports Babel's dates and numbers, which `validate` does not need)
and no catalog checks (engine.i18n.catalogs: the G008 check of page templates reads labels'
placeholders on every `validate`, a warm one too)."""

import re

SOURCE_LOCALE = "en"  # the language msgids, labels and names are written in
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")  # python-format, as Jinja writes `{{ name }}`


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))
