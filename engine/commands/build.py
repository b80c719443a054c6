"""`policyctl build`: render the pages, compare them with the output folder, write what changed.

Returns a `BuildResult`; never prints, never exits. The output folder's safety rules (which
folders are refused, which files may be replaced or removed) are engine.site.ownership's.
"""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.problems import Problem

if TYPE_CHECKING:
    from engine.cache.pages import PageCache
    from engine.site.output import Built


@dataclass
class BuildResult:
    out: str
    check: bool = False
    refused: tuple[str, str] | None = None  # (why, hint): a folder policyctl must not write: exit 2
    problems: list[Problem] = field(default_factory=list)  # the sources' problems: nothing written, exit 1
    warnings: list[Problem] = field(default_factory=list)  # published anyway (a language shown in English)
    sources_checked: int = 0  # for the summary line of `problems` and `warnings`: the source files read
    files_checked: int = 0  # for the summary line of `differences`: the files compared
    differences: list[Problem] = field(default_factory=list)  # G005: files that differ from the sources' pages
    compared: bool = False  # a check compared the folder with the sources' pages (also beside a G010 in `problems`)
    others: list[str] = field(default_factory=list)  # files in the folder that are not policyctl's: left alone
    notes: list[str] = field(default_factory=list)  # why a checked tree went stale without a source change
    search: bool | None = None  # the search index is there; False: skipped (no pagefind); None: no pages
    failure: tuple[str, str, bool] | None = None  # (path, reason, some files already replaced): exit 1
    pages: int = 0
    files: int = 0  # generated files (not counting the build record, nor the search files)
    changed: int = 0  # of them added, changed or removed
    search_files: int = 0  # the search's files (engine.site.search: Pagefind's index, the search pages)
    search_changed: int = 0  # of them added, changed or removed
    rendered: int | None = None  # pages rendered; None without the page cache (all of them)
    laid_out: int = 0  # pages whose text was kept and put in the layout again
    written: bool = False

    @property
    def exit_code(self) -> int:
        if self.refused is not None:
            return 2
        return 1 if self.problems or self.failure or (self.check and self.differences) else 0


def build(
    root: str,
    out: str,
    at: str | None = None,
    check: bool = False,
    progress: Callable[[int, int], None] | None = None,
    languages: tuple[str, ...] | None = None,
    strict: bool = False,
) -> BuildResult:
    """Build the pages of the policies folder ``root`` into ``out`` (or, with ``check``, only
    compare); ``languages``: publish only these (policyctl.toml), else every marketplace's;
    ``strict``: an incomplete translation fails even where a program allows the English fallback.
    Raises engine.PolicyError when ``root`` cannot be loaded at all."""
    from engine.model import clock

    with clock.held():  # one "today" per marketplace for every page, edition and feed, even across midnight
        return _build(root, out, at, check, progress, languages, strict)


def _build(
    root: str,
    out: str,
    at: str | None,
    check: bool,
    progress: Callable[[int, int], None] | None,
    languages: tuple[str, ...] | None,
    strict: bool,
) -> BuildResult:
    from engine import load
    from engine.cache.pages import PageCache
    from engine.site import build as site
    from engine.site import disk, outtree, ownership, search

    result = BuildResult(out, check)
    repo = load(root)
    repo.languages = languages
    if not check:  # before anything is rendered or listed
        result.refused = ownership.refusal(out, root)
        if result.refused is not None:
            return result
    on_disk = disk.list_tree(out) if os.path.isdir(out) else []
    cache = PageCache.open(root, out)  # pages whose inputs did not change since the last build are kept
    built = site.build(repo, at, cache, progress, strict)
    result.warnings = built.warnings
    result.pages, result.files = len(built.entries) + len(built.editions), len(built.files) + len(built.kept)
    result.rendered = None if cache is None else built.rendered
    result.laid_out = built.laid_out
    if built.problems or built.warnings:  # (counted as `validate` counts them: never "1 warning in 1 of 0 files")
        from engine.commands.validate import checked_files

        result.sources_checked = checked_files(repo)
    if built.problems:
        result.problems = built.problems
        return result
    _add_search(result, out, built, cache, on_disk if check else None)
    if result.failure is not None:
        return result
    survey = ownership.survey(out, built.files, built.kept, on_disk)
    files = {**built.files, ownership.RECORD: ownership.encode(survey.files)}
    result.others = sorted(survey.others)
    # (a folder link where pages go is refused below, as one the build would write through)
    runnable = _runnable_others(out, [rel for rel in result.others if rel not in survey.links])
    result.problems = runnable  # (G010: served beside the pages, it would run on the site's own origin)
    result.sources_checked = len(result.others) if runnable else result.sources_checked
    if runnable and not check:  # nothing is written
        return result
    differences = outtree.differences(out, files, built.kept, on_disk, survey.others, survey.record.files)
    changed = [os.path.relpath(p.file, out).replace(os.sep, "/") for p in differences]
    result.search_changed = sum(1 for rel in changed if search.is_search_file(rel))
    result.changed = sum(1 for rel in changed if rel != ownership.RECORD) - result.search_changed
    if check:
        # (compared even beside a G010: an author learns of both at once, not of the stale pages
        # only once the file of others is gone)
        result.compared = True
        result.differences = differences
        result.files_checked = _compared(result, {*files, *built.kept}, changed)
        result.notes += site.passed_dates(out, repo, at) if differences else []
        if differences or runnable:
            return result
    elif survey.links:
        result.refused = (
            f"{_named(out, survey.links)} is a symbolic link, and the build would write pages through it",
            "remove the link: policyctl writes only inside the output folder",
        )
        return result
    elif survey.conflicts:
        result.refused = (
            f"{_named(out, survey.conflicts)} is there, policyctl did not write it, and the build would replace it",
            "move it away, or build into another folder",
        )
        return result
    elif differences:
        try:
            # (the files `differences` found as they are on disk are not read again to learn it)
            stale = set(changed)
            left = outtree.write(out, files, built.kept, on_disk, survey, {rel for rel in files if rel not in stale})
        except OSError as e:
            result.failure = (e.filename or out, e.strerror or str(e), isinstance(e, outtree.PartlyWritten))
            return result
        result.written = True
        result.notes += _unproven(out, left)
    else:  # (nothing to write: a killed run's folder is swept all the same, and the others said each time)
        result.notes += _unproven(out, outtree.sweep(out))
    if cache is not None:
        cache.save(built.records, built.files, built.kept, built.texts)
    return result


def _unproven(out: str, left: list[str]) -> list[str]:
    """The note naming the folders beside ``out`` that are named as policyctl's temporary ones but
    that it cannot prove it made (engine.site.outtree `sweep`): never removed, so named by their
    paths on each build, with what they may be and the command that removes them."""
    if not left:
        return []
    import shlex

    paths = [os.path.join(os.path.dirname(os.path.normpath(out)), name) for name in left]
    shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
    return [
        f"left alone beside {out}, named as policyctl's temporary folders but without its proof that it made"
        f" them: {shown} (a killed build of policyctl 0.2.0 or earlier left its temporary folder without the"
        " proof, and anyone may make such a folder: look inside, and if they are leftovers, remove them"
        f" yourself: `rm -r {' '.join(shlex.quote(p) for p in paths)}`)"
    ]


def _compared(result: BuildResult, produced: set[str], changed: list[str]) -> int:
    """The files a check compared: those the sources give (pages, search files) and those on disk
    that they no longer give (of ``changed``), so that a summary never says "32 of 18 files"."""
    return result.files + result.search_files + sum(1 for rel in changed if rel not in produced)


def _runnable_others(out: str, others: list[str]) -> list[Problem]:
    """G010 for each file of others in ``out`` that a browser would run (engine.site.activecontent
    `runnable`): policyctl leaves it alone, but publishes no active content beside its pages (its
    search pages may load scripts from the site itself), and `--check` must not pass a tree that
    holds one."""
    from engine.site import disk
    from engine.site.activecontent import runnable

    problems = []
    for rel in others:
        path = os.path.join(out, *rel.split("/"))
        try:
            mode = os.lstat(path).st_mode
        except OSError:  # (gone meanwhile)
            continue
        if stat.S_ISLNK(mode) and os.path.isdir(path):  # (a web server, or a Pages upload, may follow it)
            found: tuple[int, int, str] | None = (
                1,
                1,
                "a link to a folder, whose scripts would be served beside the pages",
            )
        elif not stat.S_ISREG(mode) and not stat.S_ISLNK(mode):  # a named pipe, a socket: no server serves one
            continue
        else:
            found = runnable(rel, functools.partial(disk.read_file, out, rel))
        if found is not None:
            line, col, what = found
            problems.append(
                Problem(
                    os.path.join(out, rel),
                    line,
                    col,
                    "G010",
                    f"{what}, in the output folder; policyctl did not write it",
                    "remove it from the output folder (the site publishes no active content: its search pages may"
                    " run scripts from the site itself), or publish it from elsewhere",
                )
            )
    return problems


def _add_search(
    result: BuildResult, out: str, built: Built, cache: PageCache | None, checking: list[str] | None
) -> None:
    """The search files of the current pages (engine.site.search) into ``built``.

    The index is a pure function of the indexed pages: it is made again whenever their digest
    changes, and kept (like a page, through the page cache) only when the digest is exactly the one
    it was made from and its files on disk are still those written then. Without Pagefind, the
    search pages say so, and a note tells why there is no index; a check (``checking``: the files
    on disk) then leaves the search files there unchecked and says so, as this environment cannot
    make what they are compared with (a pre-commit hook or a CI job installed without the extra);
    so does a check whose Pagefind is another version than the one that made the files there."""
    import json

    from engine.site import ownership, search

    def unchecked(there: list[str], why: str) -> None:
        result.search = False
        result.notes.append(f"{len(there)} search files not checked: {why}")
        built.kept.update(there)
        result.search_files = len(there)

    def ours_there() -> list[str]:
        """The search files of ``out`` that a build wrote (a check's files on disk)."""
        listed = ownership.read(out) if checking is not None else None
        return [rel for rel in checking or () if search.is_search_file(rel) and listed and listed.listed(rel)]

    if not search.available():
        pages = {rel: data for rel, data in _indexed(out, built, None).items() if data is not None}
        there = ours_there()
        if pages and there:
            unchecked(there, "the `pagefind` package is not installed here (pip install 'policyctl[search]')")
        elif pages:
            result.search = False
            result.notes.append(
                "no search index: the `pagefind` package is not installed (pip install 'policyctl[search]')"
            )
            own = search.own_files(pages, searchable=False)
            built.files.update(own)
            result.search_files = len(own)
        return
    previous = cache.entry(search.CACHE_NAME) if cache is not None else None
    try:
        stored = json.loads(previous[1]) if previous is not None else None
    except ValueError:
        stored = None
    known: dict[str, str] = stored if isinstance(stored, dict) else {}
    found = _indexed(out, built, known if isinstance(stored, dict) else None)
    if not found:
        return
    digests = {rel: search.page_digest(data) if data is not None else known[rel] for rel, data in found.items()}
    key = search.pages_digest(digests)
    names = previous[2] if previous is not None else ()
    if cache is not None and previous is not None and cache.reusable(search.CACHE_NAME, key, names) is not None:
        built.kept.update(names)
    else:
        pages = {rel: data if data is not None else _read(out, rel) for rel, data in found.items()}
        try:
            made = search.build(pages, key)  # (the digest just made: the search's memo is keyed by it)
        except search.SearchError as e:
            result.failure = (out, f"no search index: {e}", False)
            return
        if checking is not None:
            # Another Pagefind writes other bytes for the same pages: the files on disk cannot be
            # compared with this one's (a team whose CI installs a newer Pagefind than the one that
            # built the committed pages), so they are left alone and the note says why and what to do.
            from engine.site import disk

            theirs, mine = search.made_by(disk.read_file(out, search.ENTRY)), search.made_by(made.get(search.ENTRY))
            there = ours_there() if theirs is not None and mine is not None and theirs != mine else []
            if there:
                unchecked(
                    there,
                    f"Pagefind {theirs} made them and this is Pagefind {mine} (install `pagefind[extended]=={theirs}` "
                    "to check them; `policyctl build` makes them again with this one)",
                )
                return
        built.files.update(made)
        names = tuple(sorted(made))
    built.records[search.CACHE_NAME] = (key, json.dumps(digests, sort_keys=True), names)
    result.search, result.search_files = True, len(names)


def _indexed(out: str, built: Built, known: dict[str, str] | None) -> dict[str, bytes | None]:
    """The pages the search indexes, with their bytes; None for a kept page ``known`` from the last
    build (path → digest of the pages indexed then): kept, it is the same page, and is read from the
    output folder only if the index must be made again. Without ``known``, kept pages are read."""
    from engine.site import disk, search

    pages: dict[str, bytes | None] = {p: d for p, d in built.files.items() if search.indexed(p, d)}
    for rel in sorted(built.kept):
        if not rel.endswith(".html") or search.is_search_file(rel):
            continue
        if known is not None:
            if rel in known:  # (a kept page not indexed then is not indexed now)
                pages[rel] = None
            continue
        data = disk.read_file(out, rel)
        if data is not None and search.indexed(rel, data):
            pages[rel] = data
    return pages


def _read(out: str, rel: str) -> bytes:
    from engine.site import disk

    data = disk.read_file(out, rel)
    if data is None:  # kept by the page cache a moment ago
        raise OSError(2, "a page kept from the last build is gone", os.path.join(out, rel))
    return data


def _named(out: str, found: list[str]) -> str:
    """The first of ``found`` (paths in ``out``) and how many more: "`out/a` (and 2 more)"."""
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return f"`{os.path.join(out, found[0])}`{more}"
