"""Looking messages up at render time, in one locale's catalog of one domain.

A missing or fuzzy translation is recorded as a problem (G002, G003) at the place to fix it,
never hidden: the English is returned in its place so that rendering can go on and report every
problem in one run, and the build then refuses to publish (engine.site.build, `policyctl build`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from babel.messages.catalog import Catalog

from engine.cache import store
from engine.cache.memo import Memo
from engine.i18n.catalogs import (
    Domain,
    Key,
    MsgstrPlaces,
    TranslationRefusal,
    following_entries,
    forms_refusal,
    message_forms,
    message_key,
    missing_problem,
    parse,
    plural_rule,
    read,
    read_catalog_bytes,
    short,
)
from engine.i18n.cldr import SOURCE_LOCALE
from engine.problems import Problem, movable, moved

if TYPE_CHECKING:
    from engine.i18n.catalogs import AnyCatalog


class Catalogs:
    """The catalogs of one build, each read once (Babel's PO parser is slow; a build would otherwise
    read the site's catalog of a language once per program): by path and locale, with the problems
    of reading it. Read them all before forking workers, so that no worker reads one again.

    A file whose bytes this process parsed before, at the same path for the same locale, is not
    parsed again (tests, `serve` and incremental builds build the same catalogs build after build):
    its catalog is shared, so a build only reads the catalogs it gets here, never changes them."""

    def __init__(self) -> None:
        self._read: dict[tuple[str, str], tuple[Catalog | None, list[Problem]]] = {}
        self._digests: dict[tuple[str, str], str | None] = {}  # of the bytes each was read from

    def read(self, path: str, tag: str) -> tuple[Catalog | None, list[Problem]]:
        found = self._read.get((path, tag))
        if found is None:
            catalog, problems, digest = _parsed(path, tag) if os.path.exists(path) else (None, [], None)
            found = self._read[(path, tag)] = (catalog, problems)
            self._digests[(path, tag)] = digest
        return found

    def current(self, path: str, tag: str) -> tuple[Catalog | None, list[Problem]]:
        """As `read`, of the file as it is now: what this build read, while its bytes are still the
        ones read (a check whose answer is kept under the bytes on disk reads them so; a catalog
        edited since the build read it is parsed again, not answered from the old bytes)."""
        found = self._read.get((path, tag))
        if found is not None and _digest(path) == self._digests[(path, tag)]:
            return found
        catalog, problems, _ = _parsed(path, tag) if os.path.exists(path) else (None, [], None)
        return catalog, problems


# Catalogs parsed in this process, by locale and a digest of the bytes (read only: see Catalogs),
# each with the path it was parsed at. A copy of a repository in another folder (tests, `diff`'s
# revisions, a benchmark's repositories) finds the original's catalogs: Babel's PO parser is most of
# a small build's time. Problems are moved to the path asked for (engine.problems.movable; a
# catalog whose problems cannot be is kept under its path).
_PARSED: Memo[tuple[Catalog | None, tuple[Problem, ...], str]] = Memo(128)


def _parsed(path: str, tag: str) -> tuple[Catalog | None, list[Problem], str | None]:
    """The catalog, its problems and the digest of the bytes read (None: they could not be read)."""
    try:
        raw = read_catalog_bytes(path)
    except OSError:
        return (*read(path, tag), None)  # (its problem)
    digest = store.digest(raw)
    known = _PARSED.get((tag, digest)) or _PARSED.get((path, tag, digest))
    if known is None:
        catalog, found = parse(path, tag, raw)
        known = (catalog, tuple(found), path)
        _PARSED.put((tag, digest) if movable(found, path) else (path, tag, digest), known)
    catalog, problems, at = known
    if at == path:
        return catalog, list(problems), digest
    return catalog, moved(problems, path), digest


def _digest(path: str) -> str | None:
    try:
        with open(path, "rb") as f:
            return store.digest(f.read())
    except OSError:
        return None


class Translator:
    """Looks messages up in one locale's catalog; a missing or fuzzy one is recorded, never hidden."""

    def __init__(
        self,
        domain: Domain,
        tag: str,
        sources: dict[Key, tuple[str, int]],
        catalogs: Catalogs | None = None,
        usable: Collection[Key] | None = None,
    ) -> None:
        """``usable``: when given, only these messages' translations are used, any other refused as
        the catalog check refuses it (engine.site.plan.Plan.usable: a translation that states one
        of the program's facts, G006, in a language shown in English for now)."""
        self.domain, self.tag = domain, tag
        self.usable = usable
        self.sources = sources  # where each message is written, for problems
        self.problems: set[Problem] = set()
        self.catalog: Catalog | None = None
        self._plural: Callable[[int], int] = lambda n: 0 if n == 1 else 1
        self._verdicts: dict[
            Key, TranslationRefusal | None
        ] = {}  # why a message's translation is refused (forms_refusal)
        self._places = MsgstrPlaces(domain.po(tag))  # (where a refused translation is written)
        self._following: dict[Key, int | None] | None = None  # (where a missing message belongs: made when one is)
        if tag != SOURCE_LOCALE:
            self.catalog, bad = (catalogs if catalogs is not None else Catalogs()).read(domain.po(tag), tag)
            self.problems.update(bad)
            if self.catalog is not None:
                self._plural = plural_rule(self.catalog.plural_expr, self.catalog.num_plurals)

    def _report(self, key: Key, code: str, what: str, line: int | None = None, column: int = 1) -> None:
        """A problem with the message ``key``: ``what`` is what is wrong, a sentence that names the
        message (`short`); at ``line`` and ``column`` of the catalog, else where the message is written."""
        path = self.domain.po(self.tag)
        if line is None:
            file, src_line = self.sources.get(key, (path, 1))
            where: tuple[str, int] = (file, src_line)
        else:
            where = (path, line)
        self.problems.add(
            Problem(
                where[0],
                where[1],
                column,
                code,
                f"{self.tag}: {what}",
                "run `policyctl i18n update`, translate, then `policyctl i18n check`",
            )
        )

    def lookup(self, msgid: str, plural: str | None = None, n: int = 1, context: str | None = None) -> str:
        english = msgid if plural is None or n == 1 else plural
        if self.tag == SOURCE_LOCALE:
            return english
        key: Key = (msgid, context)
        if self.catalog is None:
            self.problems.add(
                Problem(
                    self.domain.po(self.tag),
                    1,
                    1,
                    "G002",
                    f"{self.tag}: no catalog, so no page in this language can be published",
                    "run `policyctl i18n update` and translate the new file",
                )
            )
            return english
        found = self.catalog.get(msgid, context)
        if found is None:  # (as the catalog check says it: in the catalog, where the entry belongs)
            if self._following is None:
                self._following = following_entries(list(self.sources), self.catalog)
            line = self._places.missing(self._following.get(key))
            self.problems.add(
                missing_problem(self.domain.po(self.tag), self.tag, key, plural, self.sources.get(key), line)
            )
            return english
        if found.fuzzy:
            self._report(key, "G003", f"fuzzy translation of {short(msgid)}", *self._places.fuzzy(found)[:2])
            return english
        forms = message_forms(found)
        text = forms[min(self._plural(n), len(forms) - 1)] if plural is not None else forms[0]
        if not text.strip():  # (at the first empty form, as `i18n check` says it)
            empty = next(i for i, f in enumerate(forms) if not f.strip())
            self._report(key, "G002", f"empty translation of {short(msgid)}", *self._places.at(found, empty))
            return english
        # Never published: markup could pad a page without bound or inject HTML (i18n.markup_problem),
        # and a translation without the English's placeholder states its own figure ("48 Stunden").
        # The whole message, as `i18n check` refuses it (a form for another number may be the bad one).
        if key not in self._verdicts:
            ids = [msgid, plural] if plural is not None else [msgid]
            self._verdicts[key] = forms_refusal(ids, forms, self.catalog.plural_expr)
        refusal = self._verdicts[key]
        if refusal:  # (where `i18n check` says it: the msgstr, at the placeholder the English lacks)
            self._report(key, "G002", refusal.why, *self._places.at(found, refusal.form, refusal.at))
            return english
        if self.usable is not None and key not in self.usable:  # (the catalog check refused it for a fact)
            why = f"the translation of {short(msgid)} states one of the program's facts"
            self._report(key, "G006", why, *self._places.at(found))
            return english
        return text


def source_index(catalog: AnyCatalog, folder: str) -> dict[Key, tuple[str, int]]:
    """Where each message of a template catalog is written (first place), as (path, line)."""
    index: dict[Key, tuple[str, int]] = {}
    for message in catalog:
        if message.id and message.locations:
            file, line = message.locations[0]
            index[message_key(message)] = (os.path.join(folder, file), int(line))
    return index
