"""The source locale, in a module of its own: reading it imports no CLDR data (engine.i18n.cldr
imports Babel's dates and numbers, which `validate` does not need)."""

SOURCE_LOCALE = "en"  # the language msgids, labels and names are written in
