"""A translation domain (the catalogs of a program, or of the layout) and the message contexts of
labels, in a module of their own: `validate` lists the catalogs it checks on every run, a warm one
too (engine.commands.validate.catalog_files), without importing the catalogs' checks
(engine.i18n.catalogs, which names these too)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from engine.i18n.source import SOURCE_LOCALE

SITE = "_site"


def label_context(label_id: str) -> str:
    """The msgctxt of a `labels:` entry: the id tells translators what the text names."""
    return f"label:{label_id}"


def parameter_context(name: str) -> str:
    """The msgctxt of a parameter's `label:` (its short name on pages)."""
    return f"parameter:{name}"


@dataclass(frozen=True, slots=True)
class Domain:
    name: str  # a program id, or SITE
    folder: str  # policies/<program> or policies/_site
    templates: str  # the folder whose *.j2 files are extracted
    locales: tuple[str, ...]  # the locales pages are published in (the source locale included or not)
    # (msgctxt, English text, line, note for translators) from program.yaml: labels and parameter labels
    labels: tuple[tuple[str, str, int, str], ...] = ()
    labels_file: str | None = None
    # the default layout (policyctl's own, read only): the repository's _site it is copied into to
    # be translated (`i18n update`), where a missing catalog is said to belong
    home: str | None = None

    @property
    def pot(self) -> str:
        return os.path.join(self.folder, "locales", "messages.pot")

    def po(self, tag: str) -> str:
        return os.path.join(self.folder, "locales", f"{tag}.po")

    @property
    def targets(self) -> tuple[str, ...]:
        """The locales that need a catalog: every published one but the source."""
        return tuple(t for t in self.locales if t != SOURCE_LOCALE)
