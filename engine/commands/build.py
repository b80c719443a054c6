"""`policyctl build`: render the pages, compare them with the output folder, write what changed.

Returns a `BuildResult`; never prints, never exits. The output folder's safety rules (which
folders are refused, which files may be replaced or removed) are engine.site.ownership's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.problems import Problem


@dataclass
class BuildResult:
    out: str
    check: bool = False
    refused: tuple[str, str] | None = None  # (why, hint): a folder policyctl must not write: exit 2
    problems: list[Problem] = field(default_factory=list)  # the sources' problems: nothing written, exit 1
    warnings: list[Problem] = field(default_factory=list)  # published anyway (a language shown in English)
    files_checked: int = 0  # for the problems' summary line
    differences: list[Problem] = field(default_factory=list)  # G005: files that differ from the sources' pages
    others: list[str] = field(default_factory=list)  # files in the folder that are not policyctl's: left alone
    notes: list[str] = field(default_factory=list)  # why a checked tree went stale without a source change
    search: bool | None = None  # the search index was built; False: skipped (no pagefind); None: no pages
    failure: tuple[str, str, bool] | None = None  # (path, reason, some files already replaced): exit 1
    pages: int = 0
    files: int = 0  # generated files (not counting the build record)
    changed: int = 0  # of them added, changed or removed
    rendered: int | None = None  # pages rendered; None without the page cache (all of them)
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
    from engine import load
    from engine.cache.pages import PageCache
    from engine.site import build as site
    from engine.site import disk, outtree, ownership

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
    if built.problems:
        result.problems, result.files_checked = built.problems, len(repo.documents)
        return result
    before = len(built.files)
    _add_search(result, out, built.files, built.kept, on_disk)
    result.files += len(built.files) - before
    survey = ownership.survey(out, built.files, built.kept, on_disk)
    files = {**built.files, ownership.RECORD: ownership.encode(survey.files)}
    result.others = sorted(survey.others)
    differences = outtree.differences(out, files, built.kept, on_disk, survey.others, survey.record.files)
    result.changed = sum(1 for p in differences if os.path.basename(p.file) != ownership.RECORD)
    if check:
        result.differences = differences
        if differences:
            result.notes = site.passed_dates(out, repo, at)
            return result
    elif survey.conflicts:
        first = os.path.join(out, survey.conflicts[0])
        more = f" (and {len(survey.conflicts) - 1} more)" if len(survey.conflicts) > 1 else ""
        result.refused = (
            f"`{first}`{more} is there, policyctl did not write it, and the build would replace it",
            "move it away, or build into another folder",
        )
        return result
    elif differences:
        try:
            outtree.write(out, files, built.kept, on_disk, survey)
        except OSError as e:
            result.failure = (e.filename or out, e.strerror or str(e), isinstance(e, outtree.PartlyWritten))
            return result
        result.written = True
    if cache is not None:
        cache.save(built.records, built.files, built.kept)
    return result


def _add_search(
    result: BuildResult, out: str, files: dict[str, bytes], kept: set[str] | frozenset[str], on_disk: list[str]
) -> None:
    """Pagefind's index of the current pages, into ``files``: pages kept from the last build are
    read from the output folder (they are there, unchanged). Skipped, with a note, without pagefind.

    Pagefind's filter files (and the names that carry their hashes) are not byte-stable from one
    run to the next (its filter maps are unordered), so an index is not rebuilt for the same pages:
    when the folder's index was made from exactly these pages (`search.SOURCE`), its files are taken
    as they are. `build --check` thus compares the pages themselves, and a page change shows there;
    the index is not compared byte for byte."""
    from engine.site import disk, ownership, search

    pages = {p: d for p, d in files.items() if search.indexed(p, d)}
    for rel in sorted(kept):
        if rel.endswith(".html"):
            data = disk.read_file(out, rel)
            if data is not None and search.indexed(rel, data):
                pages[rel] = data
    if not pages:
        return
    record = ownership.read(out) if on_disk else None
    if record is not None and disk.read_file(out, search.SOURCE) == search.pages_digest(pages):
        previous = {rel: disk.read_file(out, rel) for rel in on_disk if search.pagefinds(rel)}
        if search.ENTRY in previous and all(
            data is not None and record.owns(rel, data) for rel, data in previous.items()
        ):
            kept_index = {rel: data for rel, data in previous.items() if data is not None}
            files.update({**kept_index, **search.own_files(kept_index)})
            result.search = True
            return
    if not search.available():
        result.search = False
        result.notes.append(
            "no search index: the `pagefind` package is not installed (pip install 'policyctl[search]')"
        )
        return
    files.update(search.build(pages))
    result.search = True
