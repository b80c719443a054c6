"""`policyctl validate`: which repositories and files a list of paths means, and their problems."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.problems import Problem, Severity
from engine.source import layout, project


@dataclass
class Outcome:
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    sources: Mapping[str, str] = field(default_factory=dict)  # a file's text, for a report to show its lines
    usage: list[str] = field(default_factory=list)  # paths that do not exist: exit 2


def validate(
    paths: list[str],
    evidence: Severity = "warning",
    progress: Callable[[int, int], None] | None = None,
    languages: tuple[str, ...] | None = None,
    replaced: Mapping[str, bytes] | None = None,
) -> Outcome:
    """``evidence``: the severity of P012 (a value without `source` or `assumption`); ``progress``:
    told (files read, files to read) while each repository loads; ``languages``: the published
    ones (policyctl.toml), whose catalogs are checked (default: every marketplace's);
    ``replaced``: YAML files' bytes by absolute path, checked instead of the file there (which
    need not exist), with the rest of its repository (`validate --stdin-filename`)."""
    out = Outcome()
    documents: dict[str, Any] = {}  # the documents reported on, by the path problems name
    replaced = {os.path.abspath(path): raw for path, raw in (replaced or {}).items()}
    given = _given(paths, replaced, out.usage)
    for root, wanted in sorted(given.roots.items()):
        _repository(out, documents, root, wanted, given.folders.get(root, set()), progress, languages, replaced)
    for path in given.loose:
        _loose(out, documents, path, replaced)
    out.problems = sorted(set(out.problems), key=Problem.sort_key)
    out.sources = _Texts(documents)
    if evidence != "warning":
        out.problems = [p.replace(severity=evidence) if p.code == "P012" else p for p in out.problems]
    return out


@dataclass
class _Given:
    """What the paths given mean: repositories (``roots``: each with the files to report, None for
    everything below it), the folders given inside each (their templates and catalogs too), and
    files in no repository (``loose``)."""

    roots: dict[str, set[str] | None] = field(default_factory=dict)
    folders: dict[str, set[str]] = field(default_factory=dict)
    loose: list[str] = field(default_factory=list)


def _given(paths: list[str], replaced: Mapping[str, bytes], usage: list[str]) -> _Given:
    """``paths`` grouped by the repository each is in (``_Given``); those that do not exist (and
    are not ``replaced``) go to ``usage``."""
    given = _Given()
    for path in paths:
        if not os.path.exists(path) and os.path.abspath(path) not in replaced:
            usage.append(path)
            continue
        whole = project.policies_of_top(path)  # (a repository's top: all of it, as `validate` alone)
        root = whole or layout.find_root(path)
        if root is None:
            if os.path.isdir(path) and os.path.abspath(path) not in replaced:
                given.loose += layout.yaml_files(path)
            else:
                given.loose.append(path)
            continue
        if whole or (os.path.isdir(path) and os.path.abspath(path) == root):
            given.roots[root] = None
        elif given.roots.get(root, set()) is not None:
            wanted = given.roots.setdefault(root, set())
            assert wanted is not None
            files = layout.yaml_files(path) if os.path.isdir(path) else [path]
            wanted.update(os.path.abspath(f) for f in files)
            if os.path.isdir(path):
                given.folders.setdefault(root, set()).add(os.path.abspath(path))
    return given


def _repository(
    out: Outcome,
    documents: dict[str, Any],
    root: str,
    wanted: set[str] | None,
    folders: set[str],
    progress: Callable[[int, int], None] | None,
    languages: tuple[str, ...] | None,
    replaced: Mapping[str, bytes],
) -> None:
    """The repository at ``root`` loaded, and its problems in the files ``wanted`` (None: all of
    them) and the ``folders`` given added to ``out``."""
    from engine.model.repository import load

    # paths as engine.source.project.Project.shown gives them: relative to the working folder
    # while that is inside the repository (a subfolder of policies/ too) or the repository is
    # inside it, else absolute (never a long `../../..`)
    here = os.getcwd()
    top = os.path.dirname(root)
    inside = os.path.commonpath([top, here]) in (top, here)
    repo = load(os.path.relpath(root) if inside else root, progress, keep_compiled=False, replaced=replaced)
    for path, doc in repo._documents.items():
        if wanted is None or os.path.abspath(path) in wanted:
            out.files += 1
            documents[doc.path] = doc
    keep = {doc.path for path, doc in repo._documents.items() if wanted is None or os.path.abspath(path) in wanted}
    out.problems += [p for p in repo.problems if wanted is None or p.file in keep]
    _beyond_yaml(out, repo, wanted, folders, languages)
    if wanted:
        out.problems += _not_yaml(wanted)
        out.files += sum(1 for f in wanted if not f.endswith(layout.YAML_SUFFIXES))


def _loose(out: Outcome, documents: dict[str, Any], path: str, replaced: Mapping[str, bytes]) -> None:
    """A file in no repository: its own problems (L004 if it is not YAML)."""
    from engine.model.repository import read

    out.files += 1
    if not path.endswith(layout.YAML_SUFFIXES):
        out.problems.append(
            Problem(path, 1, 1, "L004", "not a YAML file policyctl can check", "give .yaml files or folders")
        )
        return
    _, doc, _ = read(None, path, raw=replaced.get(os.path.abspath(path)))
    documents[doc.path] = doc
    out.problems += doc.problems


def _beyond_yaml(
    out: Outcome, repo: Any, wanted: set[str] | None, folders: set[str], languages: tuple[str, ...] | None
) -> None:
    """The templates and catalogs: checked with their whole tree (``wanted`` None: everything), and
    reported for the folders given (``folders``) and the templates and catalogs given by name (a
    folder's passed unread as "no problems", and a catalog given by name was refused)."""
    if wanted is not None and not folders and not any(f.endswith(_CHECKED_WITH_THE_TREE) for f in wanted):
        return  # YAML files only: their own problems
    read_too, found = _whole_repository(repo, languages)
    if wanted is None:
        out.files += len(read_too)
        out.problems += found
        return
    given = tuple(os.path.join(f, "") for f in sorted(folders))
    out.files += sum(1 for f in read_too if _below(f, given) and os.path.abspath(f) not in wanted)
    out.problems += [p for p in found if os.path.abspath(p.file) in wanted or _below(p.file, given)]


def _below(path: str, folders: tuple[str, ...]) -> bool:
    """Whether ``path`` is inside one of ``folders`` (absolute, each ending in a separator)."""
    return os.path.abspath(path).startswith(folders)


class _Texts(Mapping[str, str]):
    """The text of each file checked, read from its document when a report asks for it (a
    document read from the cache keeps its text compressed: engine.cache.documents)."""

    def __init__(self, documents: dict[str, Any]) -> None:
        self._documents = documents

    def __getitem__(self, path: str) -> str:
        text: str = self._documents[path].text
        return text

    def __iter__(self) -> Iterator[str]:
        return iter(self._documents)

    def __len__(self) -> int:
        return len(self._documents)


# files `validate` checks with the whole tree (templates, catalogs), when given by name
_CHECKED_WITH_THE_TREE = (".j2", ".po")


def _whole_repository(repo: Any, languages: tuple[str, ...] | None) -> tuple[list[str], list[Problem]]:
    """The checks of a whole repository beyond its YAML: templates (safety, names, pages) and the
    catalogs; the template and catalog files read, and the problems."""
    # never read, not even to check: links out of the repository (L005), named pipes and the like (L004)
    outside = {p.file for p in repo.problems if p.code in ("L004", "L005")}
    templates = [t for t in _templates(repo.root) if t not in outside]
    problems = [p for t in templates for p in _check_template(t)] + _page_problems(repo)
    problems += _name_problems(repo, templates)
    problems += _loop_problems(repo, outside)
    catalogs: list[str] = []
    if not any(p.severity == "error" for p in repo.problems):  # catalogs need a sound plan
        problems += _translation_problems(repo, languages)
        repo.languages = languages
        catalogs = catalog_files(repo)
    return templates + catalogs, problems


def checked_files(repo: Any) -> int:
    """How many source files a check of the whole repository ``repo`` reads (its YAML documents,
    its templates and, when its YAML has no error, the catalogs of the languages it publishes,
    ``repo.languages``): what the summary of `validate` and of `build` counts ("1 error in 1 of 8
    files"), so that both count alike and a problem's file is always among those counted."""
    outside = {p.file for p in repo.problems if p.code in ("L004", "L005")}
    count = len(repo._documents) + sum(1 for t in _templates(repo.root) if t not in outside)
    if not any(p.severity == "error" for p in repo.problems):
        count += len(catalog_files(repo))
    return count


def catalog_files(repo: Any) -> list[str]:
    """The catalogs the translations' check reads: those of the languages ``repo`` publishes
    (``repo.languages``) that are there (a missing one is a problem at its path, not a file read)."""
    return sorted(
        {d.po(tag) for d in translation_domains(repo).values() for tag in d.targets if os.path.isfile(d.po(tag))}
    )


def _templates(root: str) -> list[str]:
    from engine.templates.check import template_files

    return template_files(root)


def _loop_problems(repo: Any, outside: set[str]) -> list[Problem]:
    """Templates that include or import each other without end (as `build` refuses them)."""
    from engine.templates.check import loop_problems

    return [p for p in loop_problems(repo, sorted(repo.programs)) if p.file not in outside]


def _page_problems(repo: Any) -> list[Problem]:
    """The pages each program publishes: manifests naming missing templates, file names that are not ids."""
    from engine.site.manifest import pages_of

    return [p for program in repo.programs.values() for p in pages_of(repo, program)[1]]


def _name_problems(repo: Any, templates: list[str]) -> list[Problem]:
    """G007: names and attributes in page templates that the page context does not have."""
    if not templates:
        return []
    from engine.templates.names import check_names  # imports Jinja: only when there are templates

    return check_names(repo, templates)


def _translation_problems(repo: Any, languages: tuple[str, ...] | None) -> list[Problem]:
    """What `i18n check` and `build` refuse in the catalogs (a missing or fuzzy message, changed
    placeholders, a fact written where the English has a placeholder, links or markup the English
    does not have), so that an author sees it at `validate` already. Kept per content
    (engine.cache.checks) under every source file the answer depends on (templates, catalogs,
    policy YAML, found in one walk: cheaper than listing each domain's inputs; and the default
    `_site/` when the repository has none), the languages, and the repository's path as given
    (problems name files under it: the same tree validated from another folder names them
    otherwise). After a change, domains are checked one by one, each one's answer kept per
    content too (engine.i18n.catalogs.domain_problems)."""
    from engine.cache.checks import kept
    from engine.packaged import has_own_site, site_dir

    def inputs() -> list[bytes | str] | None:
        sources = _source_digests(repo.root, repo.replaced)
        # a repository without its own `_site/` uses the default one (in a checkout: editable sources)
        layout = [] if has_own_site(repo.root) else _source_digests(site_dir(repo.root))
        if sources is None or layout is None:
            return None
        return [repo.root, repr(languages), str(len(sources)), *sources, *layout]

    return kept("translations", inputs, lambda: _check_translations(repo, languages), repo.root)


def _check_translations(repo: Any, languages: tuple[str, ...] | None) -> list[Problem]:
    from engine.i18n import catalogs as i18n

    repo.languages = languages
    problems: list[Problem] = []
    read: dict[tuple[str, str], Any] = {}

    def read_once(path: str, tag: str) -> Any:
        """Each PO file parsed once (`check` and the facts' check, G006, read the same files), without
        importing Babel when it is in the plain form engine.i18n.po reads."""
        if (path, tag) not in read:
            read[(path, tag)] = i18n.read_plain(path, tag)
        return read[(path, tag)]

    for name, domain in translation_domains(repo).items():
        program = repo.programs.get(name)
        if program is not None and program.extra.get("translations") == "fallback":
            # as `build` says them (engine.site.plan): a language shown in English meanwhile, its
            # problems warnings; one check gives both (the kept problems alone cannot tell which)
            result = i18n.domain_check(repo, name, domain, read_once)
            problems += i18n.as_fallback(result.problems, i18n.pending_locales(result))
        else:
            problems += i18n.domain_problems(repo, name, domain, read_once)  # as `build` refuses them
    return problems


def translation_domains(repo: Any) -> dict[str, Any]:
    """The translation domains of ``engine.site.build.plan(repo).domains``, without the rest of a
    plan: importing the site builder (Markdown, feeds, HTML, the page sandbox) cost more than a
    cold validate's own work. tests/test_i18n.py holds the two equal."""
    from engine.i18n.domains import SITE, Domain, label_context, parameter_context
    from engine.i18n.source import SOURCE_LOCALE
    from engine.packaged import has_own_site, site_dir
    from engine.site.manifest import pages_of

    domains: dict[str, Any] = {}
    published: set[str] = set()
    for program_id in sorted(repo.programs):
        program = repo.programs[program_id]
        written = program.extra.get("languages")
        tags = {
            tag
            for page in pages_of(repo, program)[0]
            for mp in page.marketplaces
            if mp in repo.marketplaces
            for tag in repo.marketplaces[mp].locales
            if repo.languages is None or tag in repo.languages
            if written is None or tag in written or tag == SOURCE_LOCALE
        }
        if not tags:
            continue
        published |= tags
        labels: list[tuple[str, str, int, str]] = []
        doc = repo._documents.get(program.pos.file)
        if doc is not None and isinstance(doc.data, dict):  # as engine.site.build._labels
            labels = [
                (label_context(k), v, doc.key_pos(("labels", k)).line, f"`labels: {k}` in program.yaml")
                for k, v in (doc.data.get("labels") or {}).items()
            ]
            labels += [
                (
                    parameter_context(name),
                    spec["label"],
                    doc.pos(("parameters", name, "label")).line,
                    f"short name of the parameter `{name}`: {spec['description']}",
                )
                for name, spec in doc.data["parameters"].items()
                if spec.get("label")
            ]
        domains[program_id] = Domain(
            program_id,
            program.dir,
            os.path.join(program.dir, "pages"),
            tuple(sorted(tags)),
            tuple(labels),
            program.pos.file if doc is not None and isinstance(doc.data, dict) else None,
        )
    site = site_dir(repo.root)
    home = None if has_own_site(repo.root) else os.path.join(repo.root, SITE)  # (as engine.site.plan)
    domains[SITE] = Domain(SITE, site, site, tuple(sorted(published | {SOURCE_LOCALE})), home=home)
    return domains


def _source_digests(root: str, replaced: Mapping[str, bytes] | None = None) -> list[str] | None:
    """Each source file below ``root`` (path and bytes), in a stable order (None: one cannot be
    read); ``replaced``: bytes by absolute path read instead of the file's (see `validate`)."""
    from engine.cache import store

    found = []
    replaced = replaced or {}
    seen = set()
    for where, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            if name.endswith((".j2", ".po", ".pot", ".yaml", ".yml")):
                full = os.path.join(where, name)
                given = replaced.get(os.path.abspath(full))
                if given is not None:
                    seen.add(os.path.abspath(full))
                    found.append(store.digest(os.path.relpath(full, root), given))
                    continue
                try:
                    with open(full, "rb") as f:
                        found.append(store.digest(os.path.relpath(full, root), f.read()))
                except OSError:
                    return None
    top = os.path.abspath(root)
    found += [  # (a replaced file not on disk yet)
        store.digest(os.path.relpath(full, top), raw)
        for full, raw in sorted(replaced.items())
        if full not in seen and not os.path.relpath(full, top).startswith(os.pardir)
    ]
    return found


def _check_template(path: str) -> list[Problem]:
    from engine.templates.check import check_template  # imports Jinja: only when there are templates

    return check_template(path)


def _not_yaml(files: set[str]) -> list[Problem]:
    return [p for f in sorted(files) if f.endswith(".j2") for p in _check_template(os.path.relpath(f))] + [
        Problem(os.path.relpath(f), 1, 1, "L004", "not a YAML file policyctl can check", "give .yaml files or folders")
        for f in sorted(files)
        if not f.endswith(layout.YAML_SUFFIXES + _CHECKED_WITH_THE_TREE)
    ]
