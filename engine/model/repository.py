"""A loaded policy repository: the public entry point (``engine.load``) and its questions.

Loading never raises for bad content: every problem lands in ``Repository.problems`` and the
parts that are sound are still built, so ``validate`` can report all problems in one run.
"""

from __future__ import annotations

import gc
import itertools
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from engine.cache.memo import Memo
from engine.i18n.regions import REGIONS, known_currency, names_regions
from engine.model import build
from engine.model.clock import LINES_KEY, RESOLVED_KEY, ZONE_KEY, today
from engine.model.dates import date_hint, parse_date
from engine.model.policy import Entry, Marketplace, Program, Resolved, copied, detached
from engine.problems import ARGUMENTS, PolicyError, Problem
from engine.schema import check as schema
from engine.source import layout, links, project
from engine.source.loader import Document, NotRegular, load_bytes, load_file, read_bytes

if TYPE_CHECKING:
    from engine.decisions.compile import CompiledDecision, DecisionResult


class _Timelines:
    """A program's timelines in one marketplace, as ``Resolved`` reads them (``policy.Timelines``)."""

    __slots__ = ("marketplace", "program")

    def __init__(self, program: Program, marketplace: str) -> None:
        self.program, self.marketplace = program, marketplace

    def on(self, name: str, day: str) -> tuple[Entry, str]:
        entry = _entry_at(self.program.timeline(name, self.marketplace), day)
        overlay = self.program.overlays.get(self.marketplace)
        return entry, _origin("overlay" if name in getattr(overlay, "parameters", {}) else "base", entry)

    def after(self, name: str, day: str) -> Entry | None:
        for candidate in self.program.timeline(name, self.marketplace)[1:]:
            if candidate.start is not None and candidate.start > day:
                return candidate
        return None


def _origin(layer: str, entry: Entry) -> str:
    """`base`, `overlay`, or a dated change of either, its date said to be assumed when it is."""
    if not entry.start:
        return layer
    return f"{layer} change from {entry.start}" + (" (date assumed)" if entry.date_assumed else "")


@dataclass(frozen=True, slots=True)
class Change:
    """One effective-dated change of one parameter in one marketplace."""

    program: str
    marketplace: str
    parameter: str
    start: str
    old: Any
    new: Any
    entry: Entry
    # the entry of the next change of this parameter in this marketplace (the value that follows
    # ``new`` and the day it takes effect; its ``date_assumed``: ``new`` holds until an assumed day);
    # None when none follows
    until: Entry | None = None


class Repository:
    """A loaded repository of policies (``engine.load``): its marketplaces and programs by id, the
    problems found (never raised), and the questions it answers (``resolve``, ``decide``,
    ``history``) from its sources."""

    def __init__(self, root: str) -> None:
        self.root = root
        self._documents: dict[str, Document] = {}  # each file read, by path (the engine's)
        self.marketplaces: dict[str, Marketplace] = {}
        self.programs: dict[str, Program] = {}
        self.problems: list[Problem] = []
        # the languages pages are published in (a team's policyctl.toml); None: every marketplace's
        self.languages: tuple[str, ...] | None = None
        # (kind, program folder, id) of each program, overlay and decision file left out because of
        # its own errors: what refers to it is not reported again (a typo in program.yaml is one
        # error, not one "no program.yaml" per file of the program)
        self.unreadable: set[tuple[str, str, str]] = set()
        # YAML files read from given bytes instead of the disk, by absolute path (`load`'s ``replaced``)
        self.replaced: dict[str, bytes] = {}
        self._compiled: dict[tuple[str, str], CompiledDecision] = {}
        self._params: dict[tuple[str, str, str], dict[str, Any]] = {}
        self._answering: dict[tuple[str, str, str, str], tuple[CompiledDecision, dict[str, Any], str]] = {}

    def unread(self, program: str) -> dict[str, set[str]]:
        """The ids of ``program``'s files left out because of their own errors, by kind
        (``unreadable``): `decision` and `overlay` (marketplaces)."""
        found: dict[str, set[str]] = {"decision": set(), "overlay": set()}
        for kind, owner, name in self.unreadable:
            if owner == program and kind in found:
                found[kind].add(name)
        return found

    # -- questions -------------------------------------------------------------------------
    def program(self, program_id: str) -> Program:
        prog = self.programs.get(program_id)
        if prog is None:
            raise PolicyError([_usage(f"unknown program `{program_id}`", self.programs)], usage=True)
        return prog

    def _marketplace(self, prog: Program, mp: str) -> Marketplace:
        if mp in prog.marketplaces and mp not in self.marketplaces:
            # offered by the program, but not declared (or marketplaces.yaml could not be read):
            # "not offered in `us`; known: de, us" would contradict itself
            raise PolicyError(
                [
                    Problem(
                        ARGUMENTS,
                        1,
                        1,
                        "L004",
                        f"marketplace `{mp}` is not declared in marketplaces.yaml",
                        "`policyctl validate` says what is wrong with marketplaces.yaml; "
                        + (
                            f"declared: {', '.join(sorted(self.marketplaces))}"
                            if self.marketplaces
                            else "it declares none"
                        ),
                    )
                ],
                usage=True,
            )
        if mp not in prog.marketplaces or mp not in self.marketplaces:
            raise PolicyError(
                [_usage(f"`{prog.id}` is not offered in marketplace `{mp}`", prog.marketplaces)], usage=True
            )
        return self.marketplaces[mp]

    def resolve(self, program: str, marketplace: str, at: str | None = None) -> Resolved:
        """Apply the merge rule and effective dates: what holds for ``marketplace`` on ``at``."""
        prog = self.program(program)
        mp = self._marketplace(prog, marketplace)
        day = _check_date(today(mp.time_zone) if at is None else at, mp.time_zone)
        # the caller's to keep or change: a list or a dict among the values is a copy (``detached``)
        entries = {name: detached(_entry_at(prog.timeline(name, marketplace), day)) for name in prog.parameters}
        return Resolved(prog.id, mp, day, {k: e.value for k, e in entries.items()}, entries, _Timelines(prog, mp.id))

    def today(self, program: str, marketplace: str) -> str:
        """Today in the marketplace's time zone (the default date of every question)."""
        return today(self._marketplace(self.program(program), marketplace).time_zone)

    def params(self, program: str, marketplace: str, at: str) -> dict[str, Any]:
        """What a decision reads: the resolved parameters, plus the marketplace's time zone, every
        parameter's timeline (for `param_on`) and the ``Resolved`` under keys no expression can name.
        The engine's own (the CLI, policy tests), not the public API: kept for every later answer,
        to read, never to change (``resolve`` gives a caller's copy)."""
        key = (program, marketplace, at)
        values = self._params.get(key)
        if values is None:
            values = self._params[key] = context(self.programs[program], self.resolve(program, marketplace, at))
        return values

    def history(self, program: str, marketplace: str | None = None) -> list[Change]:
        """Every dated change, oldest first, for one marketplace or all the program's marketplaces."""
        prog = self.program(program)
        mps = [self._marketplace(prog, marketplace).id] if marketplace else list(prog.marketplaces)
        changes = []
        for mp in mps:
            for name in prog.parameters:
                line = prog.timeline(name, mp)
                for i, (before, entry) in enumerate(itertools.pairwise(line), start=2):
                    after = line[i] if i < len(line) else None
                    now = detached(entry)  # (a list or a dict among the values: copies, as resolve's)
                    changes.append(
                        Change(
                            prog.id,
                            mp,
                            name,
                            entry.start or "",
                            copied(before.value),
                            now.value,
                            now,
                            None if after is None else detached(after),
                        )
                    )
        return sorted(changes, key=lambda c: (c.start, c.marketplace, c.parameter))

    def compiled(self, program: str, decision: str) -> CompiledDecision:
        """The decision compiled, as ``decide`` answers through it (PolicyError when it does not
        compile). The engine's own (the CLI, bundles, policy tests), not the public API: its type
        is not exported and may change; ask ``decide``."""
        prog = self.program(program)
        if decision not in prog.decisions:
            raise PolicyError([_usage(f"`{program}` has no decision `{decision}`", prog.decisions)], usage=True)
        key = (program, decision)
        if key not in self._compiled:
            dec = prog.decisions[decision]
            doc = self._documents.get(dec.file) if self.replaced else None  # (as _compile_problems)
            compiled, problems = _compiled(dec, prog, None if doc is None else doc.text)
            if compiled is None:
                raise PolicyError(problems)
            self._compiled[key] = compiled
        return self._compiled[key]

    def decide(
        self,
        program: str,
        decision: str,
        inputs: Mapping[str, object],
        marketplace: str,
        at: str | None = None,
        validate: bool = True,
    ) -> DecisionResult:
        """Answer one decision; input problems come back as a result with problems, not an exception.

        ``inputs``: the decision's inputs by name, as a JSON object gives them (a dict, or any
        mapping: a ``TypedDict``, a ``MappingProxyType``)."""
        if type(inputs) is not dict and isinstance(inputs, Mapping):
            inputs = dict(inputs)  # (the schema check and the compiled rows read a JSON object: a dict)
        key = (program, decision, marketplace, self.today(program, marketplace) if at is None else at)
        known = self._answering.get(key)  # the look-ups below cost more than a small decision
        if known is None:
            compiled = self.compiled(program, decision)
            self._marketplace(self.programs[program], marketplace)
            day = _check_date(key[3])
            known = self._answering[key] = (compiled, self.params(program, marketplace, day), day)
        compiled, params, day = known
        if validate:
            return compiled.decide(inputs, params, day)
        return compiled.evaluate(inputs, params, day)


def documents_of(repo: Repository) -> dict[str, Document]:
    """The files ``repo`` read, by path: each as parsed (its data and where each node stands) or as
    the document cache keeps it (engine.cache.documents). The engine's own, for its commands and
    tests; not part of the public API, so a ``Repository`` keeps them private (a caller type-checked
    strictly meets only the types `engine` exports)."""
    return repo._documents


def context(prog: Program, resolved: Resolved) -> dict[str, Any]:
    """``resolved``'s values (of ``prog``) as a decision reads them (see ``Repository.params``)."""
    mp = resolved.marketplace.id
    lines = {name: tuple((e.start, e.value) for e in prog.timeline(name, mp)) for name in prog.parameters}
    return {**resolved.values, ZONE_KEY: resolved.marketplace.time_zone, LINES_KEY: lines, RESOLVED_KEY: resolved}


def marketplace_locales(policies: str) -> set[str] | None:
    """Every language some marketplace of the policies folder ``policies`` lists in its `locales`,
    read as loading reads marketplaces.yaml (strictly, never through a link); None when they cannot
    be read, or one is no locale id (`fr_FR`): loading says why, at its line, and the `languages`
    of policyctl.toml cannot be judged against a typo (it was "did you mean `fr_FR`?" for `fr`).
    For engine.source.project.check_languages."""
    path = os.path.join(policies, "marketplaces.yaml")
    if os.path.islink(path) or not os.path.isfile(path):
        return None
    try:
        raw = read_bytes(path)
    except OSError:  # (loading says why)
        return None
    from engine.cache import store

    key = store.digest(raw)
    found = _LOCALES.get(key)
    if found is None:
        found = (_locales(load_bytes(raw, path)),)
        _LOCALES.put(key, found)
    return None if found[0] is None else set(found[0])


# marketplace_locales' answers by the bytes of marketplaces.yaml (the answer is a function of them:
# the path only names the file in problems, which it does not return). Every command of a
# repository whose policyctl.toml lists `languages` asks it before loading: a test process or a
# server parsed the same file again on each (~0.1 ms, a YAML parse, of a ~2 ms `decide`).
_LOCALES: Memo[tuple[frozenset[str] | None]] = Memo(64)


def _locales(doc: Document) -> frozenset[str] | None:
    data = doc.data
    if doc.problems or not isinstance(data, dict) or not isinstance(data.get("marketplaces"), dict):
        return None
    tags = [
        tag
        for mp in data["marketplaces"].values()
        if isinstance(mp, dict) and isinstance(mp.get("locales"), list)
        for tag in mp["locales"]
    ]
    if not all(isinstance(tag, str) and re.match(schema.LOCALE_PATTERN, tag) for tag in tags):
        return None
    return frozenset(tags) or None


def _usage(message: str, known: Iterable[str]) -> Problem:
    names = sorted(known)
    return Problem(ARGUMENTS, 1, 1, "L004", message, f"known: {', '.join(names) if names else 'none'}")


_DAYS: dict[str, str] = {}  # dates already checked: `decide` checks one per call


def _check_date(day: str, zone: str | None = None) -> str:
    """``day`` normalised; L004 (a usage error) when it is not a date (``zone``: the marketplace's
    time zone, where the hint tells the day of a date-time given instead)."""
    known = _DAYS.get(day) if type(day) is str else None
    if known is not None:
        return known
    try:
        checked = parse_date(day).isoformat()
        if type(day) is str and len(_DAYS) < 4096:
            _DAYS[day] = checked
        return checked
    except ValueError as e:
        raise PolicyError([Problem(ARGUMENTS, 1, 1, "L004", str(e), date_hint(day, zone))], usage=True) from None


def _entry_at(line: tuple[Entry, ...], day: str) -> Entry:
    chosen = line[0]
    for entry in line[1:]:
        if entry.start is not None and entry.start <= day:
            chosen = entry
    return chosen


# -- loading -------------------------------------------------------------------------------


def load(
    root: str | os.PathLike[str] = "policies",
    progress: Callable[[int, int], None] | None = None,
    keep_compiled: bool = True,
    replaced: Mapping[str, bytes] | None = None,
) -> Repository:
    """Load every file below the policies folder ``root``; see ``Repository.problems``.

    ``progress`` is told (files read, files to read) as reading goes on (a terminal shows it).
    ``keep_compiled``: keep each decision compiled while loading for `decide`, `test` and `build`
    (`validate` only needs their problems: ~2 KB a decision it need not hold). ``replaced``: YAML
    files' bytes by absolute path, read instead of the file there (which need not exist): an
    editor's unsaved buffer (`validate --stdin-filename`). ``root`` may be a ``pathlib.Path``:
    ``Repository.root`` and every problem's ``file`` are strings all the same."""
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise PolicyError(
            [Problem(root, 1, 1, "Y001", project.not_a_folder(root), "give the path of a policies folder")], usage=True
        )
    repo = Repository(root)
    repo.replaced = dict(replaced or {})
    unusual: dict[str, str] = {}  # YAML names that are not regular files: never opened
    files = layout.yaml_entries(root, unusual)
    files += _replaced_entries(root, files, repo.replaced, unusual)
    by_kind: dict[str, list[tuple[layout.Placed, Document]]] = {}
    # Loading builds millions of small acyclic objects that all stay alive: the cycle collector
    # would scan them again and again for nothing (~15% of a large load). Reference counting
    # still frees everything; collection resumes afterwards.
    collecting = gc.isenabled()
    gc.disable()
    try:
        from engine.cache import documents as doccache

        pack = doccache.Pack.open(root)  # files unchanged since the last run are not parsed again
        for done, (path, link) in enumerate(files):
            if progress is not None:
                progress(done, len(files))
            given = repo.replaced.get(os.path.abspath(path)) if repo.replaced else None
            what = None if given is not None else unusual.get(path)
            if given is not None:
                placed, doc, kind = read(root, path, pack, raw=given)
            elif what is None:
                placed, doc, kind = read(root, path, pack, link, regular=not link)
            else:
                placed, doc, kind = layout.classify(root, path), Document(path), None
                doc.problems.append(layout.not_regular_problem(path, what))
            repo._documents[path] = doc
            repo.problems += doc.problems
            if kind is not None and not doc.problems:
                by_kind.setdefault(kind, []).append((placed, doc))
            elif placed.kind in _REFERRED and placed.program:
                repo.unreadable.add((placed.kind, placed.program, _id_of(placed, doc)))
                if placed.stem:  # (by its file name too: a bad `id:` is what may be wrong in it)
                    repo.unreadable.add((placed.kind, placed.program, placed.stem))
        if pack is not None and not repo.replaced:  # (the pack is of the files on disk)
            pack.save()
        repo.problems += _folders_in_place_of_files(repo, root, unusual)
        _assemble(repo, by_kind, keep_compiled)
    finally:
        if collecting:
            gc.enable()
    # templates, catalogs and folders too (YAML files: in `read`), and files that are not regular
    # files (a named pipe would block whoever reads it: catalogs are read only without errors)
    repo.problems += links.tree_problems(root)
    repo.problems += _marketplaces_missing(repo, root, unusual)
    repo.problems += _restated_marketplace_attributes(repo)
    repo.problems = sorted(set(repo.problems), key=Problem.sort_key)
    return repo


def _replaced_entries(
    root: str, files: list[tuple[str, bool]], replaced: Mapping[str, bytes], unusual: dict[str, str]
) -> list[tuple[str, bool]]:
    """The replaced YAML files below ``root`` that its walk did not list (a file not saved yet),
    spelt from ``root`` as the walk spells its files; a replaced file is read, never `unusual`."""
    if not replaced:
        return []
    listed = {os.path.abspath(path) for path, _ in files}
    top = os.path.abspath(root)
    extra = []
    for full in sorted(replaced):
        for path in [p for p in unusual if os.path.abspath(p) == full]:
            del unusual[path]
        rel = os.path.relpath(full, top)
        if full in listed or not full.endswith(layout.YAML_SUFFIXES) or rel.startswith(os.pardir):
            continue
        extra.append((os.path.join(root, rel), False))
    return extra


def _folders_in_place_of_files(repo: Repository, root: str, unusual: dict[str, str]) -> list[Problem]:
    """Y001 for each folder standing where the layout wants a file (`returns/program.yaml/`),
    recorded as a document of its own (so that `validate` of that path names it); a program whose
    program.yaml is a folder is ``unreadable``: its other files are not reported again."""
    problems = []
    for path, what in sorted(unusual.items()):
        if what != "a folder":
            continue  # (the others are listed as files: see `load`)
        placed = layout.classify(root, path)
        if placed.kind is None:
            continue  # a folder with a YAML name where no file is expected: walked like any other
        doc = Document(path, problems=[layout.not_regular_problem(path, what)])
        repo._documents.setdefault(path, doc)
        problems += doc.problems
        if placed.kind in _REFERRED and placed.program:
            repo.unreadable.add(
                (placed.kind, placed.program, placed.program if placed.kind == "program" else placed.stem or "")
            )
    return problems


def _marketplaces_missing(repo: Repository, root: str, unusual: dict[str, str]) -> list[Problem]:
    """Y001 when the policies folder has no marketplaces.yaml at all: without it no program is
    offered anywhere, and a build would publish nothing (removing every page it wrote before)."""
    names = ("marketplaces.yaml", "marketplaces.yml")
    if any(os.path.join(root, name) in repo._documents or os.path.join(root, name) in unusual for name in names):
        return []  # (read, or reported as what it is)
    path = os.path.join(root, "marketplaces.yaml")
    doc = Document(path)
    doc.problems.append(
        Problem(
            path,
            1,
            1,
            "Y001",
            "no marketplaces.yaml in the policies folder: no program is offered in any marketplace",
            "create it (every marketplace a program may be offered in); `policyctl init DIR` writes an example",
        )
    )
    repo._documents[path] = doc
    return doc.problems


# What marketplaces.yaml states of each marketplace; a program parameter of the same name restates it
MARKETPLACE_ATTRIBUTES = ("country", "currency", "time_zone")


def _restated_marketplace_attributes(repo: Repository) -> list[Problem]:
    """P013 for each value of a parameter named like a marketplace attribute (`currency`) that
    differs from the marketplace's, in any marketplace and at any date: a JPY marketplace whose
    program says USD would publish "$8.00"."""
    problems: list[Problem] = []
    for program in repo.programs.values():
        for name in MARKETPLACE_ATTRIBUTES:
            if name not in program.parameters:
                continue
            for mp_id in program.marketplaces:
                mp = repo.marketplaces.get(mp_id)
                if mp is None or ("overlay", program.id, mp_id) in repo.unreadable:
                    continue  # (an overlay left out: its values are not known, only its errors)
                stated = getattr(mp, name)
                for entry in program.timeline(name, mp_id):
                    if entry.value != stated:
                        problems.append(
                            Problem.at(
                                entry.pos,
                                "P013",
                                f"`{name}` is {entry.value!r} here but {stated!r} for the marketplace "
                                f"`{mp_id}` in marketplaces.yaml",
                                f"pages and decisions can read the marketplace's `{name}`; make this value agree or "
                                "drop the parameter",
                            )
                        )
    return problems


def read(
    root: str | None,
    path: str,
    pack: Any = None,
    link: bool | None = None,
    regular: bool = False,
    raw: bytes | None = None,
) -> tuple[layout.Placed, Document, str | None]:
    """Load one file, decide its kind and check it against that kind's schema. ``link``: whether
    ``path`` is a symbolic link, when the caller knows (None: ask the system); ``regular``: the
    caller's directory listing says it is a regular file (else it is looked at before it is opened:
    a named pipe, socket or device is never opened, but reported); ``raw``: the file's bytes, read
    instead of the file (an editor's buffer: the path need not exist)."""
    placed = layout.classify(root, path)
    if raw is not None:
        return (placed, *_parsed(placed, path, raw, pack))
    if (os.path.islink(path) if link is None else link) and root is not None:
        target = os.path.realpath(path)
        if os.path.commonpath([target, os.path.realpath(root)]) != os.path.realpath(root):
            doc = Document(path)
            doc.problems.append(
                Problem(
                    path,
                    1,
                    1,
                    "L005",
                    "a symbolic link to a file outside the repository",
                    "copy the file into the repository instead",
                )
            )
            return placed, doc, None
    try:
        raw = read_bytes(path, regular=regular)
    except NotRegular as e:
        return placed, Document(path, problems=[layout.not_regular_problem(path, e.what)]), placed.kind
    except OSError:  # (the loader says why, as a problem of the file)
        return placed, load_file(path), placed.kind
    return (placed, *_parsed(placed, path, raw, pack))


def _parsed(placed: layout.Placed, path: str, raw: bytes, pack: Any) -> tuple[Document, str | None]:
    """The document of ``raw`` (the bytes of the file at ``path``) and its kind, checked."""
    from engine.cache import documents as doccache
    from engine.cache import store

    # Read before in this process (the same bytes, the same kind from the layout): not parsed or
    # checked again (engine.cache.documents, "in this process").
    key = (placed.kind, store.digest(raw))
    known = doccache.recall(key, path, pack)
    if known is not None:
        return known
    doc = pack.load(path, raw, key[1]) if pack is not None else load_bytes(raw, path)
    loaded = len(doc.problems)
    kind = _checked(placed, doc)
    doccache.remember(key, doc, loaded, kind, len(raw))
    return doc, kind


def _checked(placed: layout.Placed, doc: Document) -> str | None:
    """Decide the kind of a loaded file and check it against that kind's schema (problems go to
    ``doc.problems``); the kind, or None when it is not known."""
    path = doc.path
    if doc.problems:
        return placed.kind
    declared = doc.data.get("kind") if isinstance(doc.data, dict) else None
    kind = placed.kind
    if declared is not None and declared not in schema.KINDS:
        doc.problems.append(
            Problem.at(
                doc.pos(("kind",)), "L001", f"unknown kind `{declared}`", f"use one of: {', '.join(schema.KINDS)}"
            )
        )
        return None
    if kind is not None and declared is not None and declared != kind:
        doc.problems.append(
            Problem.at(
                doc.pos(("kind",)),
                "L002",
                f"declared `kind: {declared}` but this place in the layout holds a {kind} file",
                f"write `kind: {kind}`, or move the file",
            )
        )
        return None
    kind = kind or declared
    if kind is None:
        doc.problems.append(
            Problem(
                path,
                1,
                1,
                "L001",
                "policyctl does not know what kind of file this is",
                f"put it where the layout expects it, or declare `kind:` ({', '.join(schema.KINDS)})",
            )
        )
        return None
    doc.problems += schema.check_document(doc, kind)
    return kind


def _assemble(
    repo: Repository, by_kind: dict[str, list[tuple[layout.Placed, Document]]], keep_compiled: bool = True
) -> None:
    for _placed, doc in by_kind.get("marketplaces", []):
        found, problems = build.marketplaces(doc)
        repo.problems += problems
        repo.problems += _cldr_problems(doc, found)
        for mp_id, mp in found.items():
            if mp_id in repo.marketplaces:
                repo.problems.append(
                    Problem.at(mp.pos, "P011", f"marketplace `{mp_id}` is declared twice", "keep one declaration")
                )
            repo.marketplaces[mp_id] = mp
    for placed, doc in by_kind.get("program", []):
        folder = placed.program or doc.data["id"]
        prog, problems = build.program(doc, folder, repo.marketplaces)
        repo.problems += problems
        if prog.id in repo.programs:
            repo.problems.append(
                Problem.at(
                    doc.pos(("id",)), "P011", f"program `{prog.id}` is declared twice", "program ids must be unique"
                )
            )
        repo.programs[prog.id] = prog
    _attach(repo, by_kind, keep_compiled)


def _cldr_problems(doc: Document, found: dict[str, Marketplace]) -> list[Problem]:
    """P010 for a marketplace `currency` CLDR does not know (`YEN`: pages format every amount in
    it), and for a `country` that is no region CLDR knows (`XX`), or that CLDR cannot
    name in a language some marketplace publishes in: pages name each marketplace's country in
    their language, and a build would fail there."""
    problems: list[Problem] = []
    tags = sorted({tag for mp in found.values() for tag in mp.locales if isinstance(tag, str)} | {"en"})
    for mp_id, mp in found.items():
        if isinstance(mp.currency, str) and not known_currency(mp.currency):  # (`YEN` fits ^[A-Z]{3}$)
            problems.append(
                Problem.at(
                    doc.pos(("marketplaces", mp_id, "currency")),
                    "P010",
                    f"`{mp.currency}` is not a currency code CLDR knows",
                    "use an ISO 4217 code such as `USD`, `EUR` or `JPY`",
                )
            )
        path = ("marketplaces", mp_id, "country")
        if mp.country not in REGIONS:
            problems.append(
                Problem.at(
                    doc.pos(path),
                    "P010",
                    f"`{mp.country}` is not a country or region CLDR knows",
                    "use an ISO 3166-1 alpha-2 code such as `US`, `DE` or `JP`",
                )
            )
            continue
        for tag in tags:
            if names_regions(tag):
                continue
            from engine.i18n import cldr

            try:
                cldr.locale(tag)
            except ValueError:
                continue  # (a locale CLDR does not know: P010 at `locales`)
            try:
                cldr.country_name(mp.country, tag)
            except ValueError:
                problems.append(
                    Problem.at(
                        doc.pos(path),
                        "P010",
                        f"CLDR has no name for the region `{mp.country}` in `{tag}`, a language pages are published in",
                        "publish in a language CLDR names this region in, or check the country code",
                    )
                )
    return problems


# The kinds of file others refer to by id (a decision's tests, a page's `programs.ID`, ...)
_REFERRED = ("program", "overlay", "decision")


def _id_of(placed: layout.Placed, doc: Document) -> str:
    """The id a file left out stands for: its program's folder, an overlay's marketplace (its file
    name), a decision's `id` when it could be read (else its file name)."""
    if placed.kind == "program":
        return placed.program or ""
    declared = doc.data.get("id") if placed.kind == "decision" and isinstance(doc.data, dict) else None
    return declared if isinstance(declared, str) else placed.stem or ""


def _owner(repo: Repository, placed: layout.Placed, doc: Document) -> Program | None:
    prog = repo.programs.get(placed.program or "")
    if prog is None and ("program", placed.program or "", placed.program or "") not in repo.unreadable:
        repo.problems.append(
            Problem(
                doc.path,
                1,
                1,
                "L004",
                f"no program.yaml for `{placed.program}`: this file belongs to no program",
                "create the program's program.yaml, or move the file",
            )
        )
    return prog


def _attach(
    repo: Repository, by_kind: dict[str, list[tuple[layout.Placed, Document]]], keep_compiled: bool = True
) -> None:
    """Overlays, decisions and tests into their programs (Program is frozen: rebuild the mappings)."""
    for placed, doc in by_kind.get("overlay", []):
        prog = _owner(repo, placed, doc)
        if prog is None:
            continue
        found, problems = build.overlay(doc, placed.stem or "", prog, repo.marketplaces)
        repo.problems += problems
        if found is None:
            continue
        if found.marketplace in prog.overlays:
            repo.problems.append(
                Problem.at(
                    doc.pos(("marketplace",)),
                    "P008",
                    f"a second overlay for marketplace `{found.marketplace}`",
                    "keep one overlay file per marketplace",
                )
            )
            continue
        prog.overlays[found.marketplace] = found
        if found.marketplace not in prog.marketplaces:  # an overlay file offers the program there
            object.__setattr__(prog, "marketplaces", prog.marketplaces + (found.marketplace,))
    for done, (placed, doc) in enumerate(by_kind.get("decision", []), 1):
        prog = _owner(repo, placed, doc)
        if prog is None:
            continue
        dec, problems = build.decision(doc, placed.stem or "", prog.id)
        repo.problems += problems
        prog.decisions[dec.id] = dec
        repo.problems += _compile_problems(repo, dec, prog, keep_compiled)
        if not keep_compiled and done % 64 == 0:
            # A compiled decision is a cycle (its functions and their namespace), and the collector
            # is off while loading: free those not kept now and then (~18 KB each), not at the end.
            gc.collect(0)
    for placed, doc in by_kind.get("tests", []):
        prog = _owner(repo, placed, doc)
        if prog is None:
            continue
        cases = build.tests(doc, prog.id)
        repo.problems += build.test_problems(doc, cases, prog, repo.unread(prog.id))
        object.__setattr__(prog, "tests", prog.tests + tuple(cases))


def _compile_problems(repo: Repository, dec: Any, prog: Program, keep: bool = True) -> list[Problem]:
    # A decision compiled before in this process (this repository loaded again) is taken from the
    # memo of compiled decisions; else known problems come from the disk cache (no Jinja2 import, no
    # parsing); a compiled decision is kept, so that `decide`, `test` and `build` do not compile it
    # a second time. Without ``keep`` (`validate`: its compiled decisions are freed as it loads) the
    # memo of compiled decisions is neither asked nor filled: the problems' own cache answers.
    from engine.cache import compiled as compilecache

    names, schemas = set(prog.parameters), prog.schemas  # (a date-time parameter is compared as one)
    # (the text the decision was read from: a replaced file's is not the one on disk)
    doc = repo._documents.get(dec.file) if repo.replaced else None
    text = None if doc is None else doc.text
    key = compilecache.decision_key(dec, names, schemas, text) if keep else None
    known = None if key is None else compilecache.COMPILED.get(key)
    if known is not None:
        if known[0] is not None:
            repo._compiled[(prog.id, dec.id)] = known[0]
        return list(known[1])
    cached = compilecache.get(dec, names, schemas, text)
    if cached is not None:
        return cached
    try:
        from engine.decisions.compile import compile_decision
    except ImportError:  # the decision engine is optional while it is being written
        return []
    compiled, problems = compile_decision(dec, names, schemas, text)
    if key is not None:
        _remember(key, compiled, problems)
    if compiled is not None and keep:
        repo._compiled[(prog.id, dec.id)] = compiled
    compilecache.put(dec, names, list(problems), schemas, text)
    return list(problems)


def _compiled(dec: Any, prog: Program, text: str | None) -> tuple[CompiledDecision | None, list[Problem]]:
    """``compile_decision``'s answer for ``dec`` of ``prog``: from the process's memo of compiled
    decisions when an equal one was compiled (engine.cache.compiled.decision_key), else compiled."""
    from engine.cache import compiled as compilecache
    from engine.decisions.compile import compile_decision

    names, schemas = set(prog.parameters), prog.schemas
    key = compilecache.decision_key(dec, names, schemas, text)
    known = None if key is None else compilecache.COMPILED.get(key)
    if known is not None:
        return known[0], list(known[1])
    compiled, problems = compile_decision(dec, names, schemas, text)
    if key is not None:
        _remember(key, compiled, problems)
    return compiled, problems


def _remember(key: str, compiled: CompiledDecision | None, problems: list[Problem]) -> None:
    """Keep a compiled decision and its problems for every repository of this process that holds an
    equal decision. Sharing one is safe: the key holds all it was made from (the decision with its
    file and positions, so its problems and answers name the same places), its answers take the
    inputs, parameters and day as arguments and keep nothing of them, and what it keeps is made on
    first use from its own expressions and schemas (`explain`'s functions, the inputs' generated
    check): the same for every holder. The engine never assigns its attributes after it is made
    (it has no setter: its ``fits`` had one, which nothing used and which would have set it for
    every holder), nor changes a decision (the policy model is frozen). The problems are
    frozen values, kept as a tuple and handed out as a new list each time."""
    from engine.cache import compiled as compilecache

    weight = 1 if compiled is None else len(compiled.source) + len(compiled.row_source or "")
    compilecache.COMPILED.put(key, (compiled, tuple(problems)), weight)
