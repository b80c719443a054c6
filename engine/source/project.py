"""Which policy repository a command works on, and the settings its team pins (policyctl.toml).

A policy repository is a folder holding a `policies/` folder (with marketplaces.yaml) or a
`policyctl.toml`. Commands find it as git does: from the working folder upwards, unless `--root`
names it (its top, or its policies folder). Its settings, all optional:

    # policyctl.toml, at the top of the repository
    policies = "policies"         # the policies folder, relative to this file
    out = "generated_docs"        # where `policyctl build` writes the pages
    languages = ["en", "de"]      # publish pages in these languages only (default: every marketplace's)
    strict = false                # true: `validate` fails on warnings too

Settings are read with tomllib (tomli before Python 3.11); an unknown setting or a value of the
wrong type is a usage error, so a typo never silently leaves a default in force. So is a language
that no marketplace lists in its `locales` (marketplaces.yaml), or an empty list: either would
publish nothing in the language meant and remove its pages from the next build.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

CONFIG = "policyctl.toml"
POLICIES = "policies"
OUT = "generated_docs"
SETTINGS: dict[str, type] = {"policies": str, "out": str, "languages": list, "strict": bool}


class ProjectError(Exception):
    """A repository that cannot be found or a policyctl.toml that cannot be used (exit 2)."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class Project:
    top: str  # absolute
    policies: str  # absolute
    out: str  # absolute
    languages: tuple[str, ...] | None = None
    strict: bool = False
    config: str | None = None  # the policyctl.toml read, if any

    def shown(self, path: str) -> str:
        """``path`` as messages show it: relative to the working folder while that is inside the
        repository (or the repository inside it), else absolute (never a long `../../..`)."""
        here = os.getcwd()
        if os.path.commonpath([self.top, here]) in (self.top, here):
            return os.path.relpath(path)
        return path

    def policies_shown(self, root: str | None) -> str:
        """The policies folder as messages show it: spelt from `--root` as the user wrote it
        (``root``), else relative to the working folder (``shown``). For engine/cli.py's `--root`
        and engine/start.py's commands answered without click alike."""
        if root is None:
            return str(self.shown(self.policies))
        if os.path.abspath(root) == self.policies:
            return root
        return os.path.join(root, os.path.relpath(self.policies, self.top))


def checkout_root(start: str = ".") -> str | None:
    """The top of the checkout CI annotations name files from (`validate --format github|sarif`):
    on a runner (GITHUB_WORKSPACE set), the workspace, which the runner makes annotations' paths
    relative to and GitHub reads as the top of the workflow's repository; but the top of the
    workflow's repository itself when it is checked out in a folder of the workspace
    (`actions/checkout` with `path: a`: its files were named `a/policies/...`, a path the
    repository does not have). A checkout of another repository in the workspace keeps the
    workspace's naming (`b/policies/...`): named from its own top, its files would land on the
    workflow repository's files of the same name. Off a runner, the nearest folder from ``start``
    upwards holding `.git` (a folder, or a worktree's or submodule's file: git's top level); None
    outside both. Absolute, links resolved."""
    here = os.path.realpath(start)
    while not os.path.exists(os.path.join(here, ".git")):
        parent = os.path.dirname(here)
        if parent == here:
            here = ""
            break
        here = parent
    top = here or None
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if not workspace:
        return top
    workspace = os.path.realpath(workspace)
    nested = top is not None and top != workspace and _within(top, workspace)
    return top if nested and top and _is_repository(top, os.environ.get("GITHUB_REPOSITORY", "")) else workspace


def _is_repository(top: str, repository: str) -> bool:
    """Whether the checkout at ``top`` is of ``repository`` (`OWNER/NAME`, as GITHUB_REPOSITORY
    says it): its `origin` remote, as `actions/checkout` sets it, ends with that name. Read from
    git's config file, not by running git (which refuses a checkout another user owns, as in a
    container job)."""
    if not repository:
        return False
    url = _origin_url(top)
    if url is None:
        return False
    url = url.rstrip("/")
    url = url[:-4] if url.endswith(".git") else url
    name = repository.lower()
    return url.lower().endswith(("/" + name, ":" + name))


def _origin_url(top: str) -> str | None:
    """The url of the `origin` remote of the checkout at ``top``, or None."""
    import re

    dotgit = os.path.join(top, ".git")
    try:
        if os.path.isfile(dotgit):  # a worktree or a submodule: `gitdir: PATH`
            with open(dotgit, encoding="utf-8") as f:
                line = f.readline().strip()
            if not line.startswith("gitdir:"):
                return None
            dotgit = os.path.join(top, line[len("gitdir:") :].strip())
            common = os.path.join(dotgit, "commondir")  # (a worktree's config is its repository's)
            if os.path.isfile(common):
                with open(common, encoding="utf-8") as f:
                    dotgit = os.path.join(dotgit, f.read().strip())
        with open(os.path.join(dotgit, "config"), encoding="utf-8", errors="replace") as f:
            config = f.read(1 << 20)
    except OSError:
        return None
    section = re.search(r'^\s*\[remote\s+"origin"\]\s*$(.*?)(?=^\s*\[|\Z)', config, re.M | re.S)
    if section is None:
        return None
    url = re.search(r"^\s*url\s*=\s*(.*?)\s*$", section.group(1), re.M | re.I)
    return None if url is None else url.group(1).strip('"')


def report_root(start: str | None = None) -> str | None:
    """Where the reports CI reads (`--format github|sarif`, JUnit's files) name the files of
    ``start`` (what the command checks: a file, a policies folder) from: the top of its checkout
    (`checkout_root` from ``start``, not from the working folder: a command run from outside the
    checkout, or from another checkout, names the files as GitHub does); with no checkout, the top
    of the policy repository holding ``start`` (never `../` paths, whatever the working folder);
    else None. With no ``start``, the working folder's checkout."""
    if start is None:
        return checkout_root()
    found = checkout_root(start)
    if found is not None:
        return found
    try:
        project = find(start)
    except ProjectError:
        return None
    return None if project is None else os.path.realpath(project.top)


def report_roots() -> Callable[[str], str | None]:
    """Where the reports CI reads name each file from: `report_root` of the file itself, so that
    files of several checkouts (`validate a/policies b/policies`) are each named from their own, as
    each would be checked alone (all were named from the first path's checkout: the others by
    their absolute paths, and the answer changed with the order of the paths). Memoised by folder."""
    seen: dict[str, str | None] = {}

    def root(file: str) -> str | None:
        folder = os.path.dirname(os.path.abspath(file))
        if folder not in seen:
            seen[folder] = report_root(folder)
        return seen[folder]

    return root


def _is_policies(folder: str) -> bool:
    return os.path.isfile(os.path.join(folder, "marketplaces.yaml"))


def is_top(folder: str) -> bool:
    """Whether ``folder`` is a repository's top: it holds a policyctl.toml or policies/marketplaces.yaml."""
    return os.path.isfile(os.path.join(folder, CONFIG)) or _is_policies(os.path.join(folder, POLICIES))


def policies_of_top(path: str) -> str | None:
    """The policies folder (absolute) of the repository whose top ``path`` is, else None: every
    command given paths takes a top as the whole repository (`validate .`, `test .`, `fmt .`, `diff
    HEAD .`), never as a folder of loose files. None too when its policyctl.toml cannot be used
    (`--root` says why)."""
    if not os.path.isdir(path) or not is_top(path):
        return None
    try:
        return read(os.path.abspath(path)).policies
    except ProjectError:
        return None


def find(start: str = ".") -> Project | None:
    """The repository holding ``start``: the nearest folder upwards that is a repository's top;
    failing that, the nearest policies folder (a repository without a top of its own)."""
    here = os.path.abspath(start)
    loose = None
    while True:
        if is_top(here):
            return read(here)
        if loose is None and _is_policies(here):
            loose = here
        parent = os.path.dirname(here)
        if parent == here:
            return None if loose is None else at_policies(loose)
        here = parent


def not_a_folder(path: str) -> str:
    """What is wrong with ``path`` where a folder is wanted: it is a file, or it is not there."""
    return "a file, not a folder" if os.path.exists(path) else "no such folder"


def at(root: str) -> Project:
    """The repository ``--root`` names: its top, or its policies folder."""
    folder = os.path.abspath(root)
    if not os.path.isdir(folder):
        raise ProjectError(
            f"{not_a_folder(folder)}: {root}", "give the top of a policy repository or its policies folder"
        )
    if is_top(folder):
        return read(folder)
    if _is_policies(folder):
        return at_policies(folder)
    named = _naming(folder)
    if named is not None:  # its marketplaces.yaml is missing or not a file: loading reports that
        return named
    raise ProjectError(
        f"{root} is not a policy repository",
        f"a policy repository holds {POLICIES}/marketplaces.yaml or {CONFIG}; `policyctl init DIR` makes one",
    )


def _naming(folder: str) -> Project | None:
    """The repository whose policyctl.toml (the nearest above ``folder``) names ``folder`` as its
    policies folder, if any."""
    here = os.path.dirname(folder)
    while not os.path.isfile(os.path.join(here, CONFIG)):
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent
    try:
        project = read(here)
    except ProjectError:
        return None
    return project if os.path.normcase(project.policies) == os.path.normcase(folder) else None


def at_policies(folder: str) -> Project:
    """A policies folder given itself: the repository above it when that one names it."""
    parent = os.path.dirname(folder)
    if os.path.isfile(os.path.join(parent, CONFIG)):
        project = read(parent)
        if os.path.normcase(project.policies) == os.path.normcase(folder):
            return project
    return Project(parent, folder, os.path.join(parent, OUT))


def read(top: str) -> Project:
    """The repository whose top is ``top``, with its policyctl.toml applied."""
    file = os.path.join(top, CONFIG)
    settings: dict[str, Any] = {}
    if os.path.isfile(file):
        settings = _settings(file)
    languages = settings.get("languages")
    project = Project(
        top,
        os.path.normpath(os.path.join(top, settings.get("policies", POLICIES))),
        os.path.normpath(os.path.join(top, settings.get("out", OUT))),
        None if languages is None else tuple(languages),
        settings.get("strict", False),
        file if os.path.isfile(file) else None,
    )
    if not os.path.isdir(project.policies):
        raise ProjectError(
            f"{project.shown(project.policies)} is not a folder",
            f"create it, or set `policies` in {project.shown(file)}"
            if project.config
            else f"`policyctl init {project.shown(top)}` makes a policy repository",
        )
    if not _within(project.policies, top):
        # a policies folder (or a folder above it, up to the top) committed as a symbolic link:
        # every command would read files from wherever it points
        raise ProjectError(
            f"the policies folder {project.shown(project.policies)} leads outside the repository through a symbolic link",
            "make the policies folder a folder of the repository; policyctl reads nothing outside it",
        )
    return project


def _within(path: str, top: str) -> bool:
    """Whether ``path``, every symbolic link followed, is a folder below ``top`` (not ``top`` itself)."""
    real, folder = os.path.realpath(path), os.path.realpath(top)
    return real.startswith(folder.rstrip(os.sep) + os.sep)


def out_refusal(project: Project) -> ProjectError | None:
    """Why ``project``'s own output folder (`out` in policyctl.toml, else generated_docs) must not
    be built into or compared with, or None. It arrives with the repository, so it may be a
    symbolic link (or lie below one) to a folder anywhere: a build would write there, and
    `build --check` list and read it (a link to `/` walked the whole machine). A folder given
    with `--out` is the caller's own choice and is not asked about."""
    if _within(project.out, project.top):
        return None
    shown = project.shown(project.out)
    return ProjectError(
        f"the output folder {shown} leads outside the repository through a symbolic link",
        "make it a folder of the repository, or give the folder to build into with --out",
    )


def check_languages(project: Project, known: set[str] | None) -> None:
    """Each language of `languages` is one a marketplace publishes (``known``: every `locales` of
    marketplaces.yaml; None when they cannot be read, and loading says why): a typo (`ge` for `de`)
    would otherwise publish nothing in the language meant, and the next build would remove its
    pages. (`read` checks each setting alone; this one needs the policies.)"""
    if project.config is None or project.languages is None or not known:
        return
    shown = project.shown(project.config)
    listed = ", ".join(f"`{k}`" for k in sorted(known))
    for tag in project.languages:
        if tag in known:
            continue
        # suggested: the closest language not listed yet, whatever its case or separator (`zh_hans`)
        others = {k.lower().replace("_", "-"): k for k in known if k not in project.languages}
        close = difflib.get_close_matches(tag.lower().replace("_", "-"), others, 1, 0.5)
        raise ProjectError(
            f"{shown}: `languages` lists `{tag}`, which no marketplace publishes",
            f"did you mean `{others[close[0]]}`? The marketplaces publish {listed} (their `locales` in marketplaces.yaml)"
            if close
            else f"list languages the marketplaces publish: {listed} (a new language goes into a marketplace's"
            " `locales` in marketplaces.yaml first)",
        )


def _settings(file: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    shown = os.path.relpath(file) if not os.path.relpath(file).startswith(os.pardir) else file
    try:
        with open(file, "rb") as f:
            data: dict[str, Any] = tomllib.load(f)
    except (OSError, UnicodeDecodeError) as e:
        raise ProjectError(f"cannot read {shown}: {e}", "save it as UTF-8 TOML") from None
    except tomllib.TOMLDecodeError as e:
        raise ProjectError(f"{shown}: {e}", 'write TOML: `key = "value"`, one per line') from None
    for key, value in data.items():
        wanted = SETTINGS.get(key)
        if wanted is None:
            close = difflib.get_close_matches(key, SETTINGS, 1)
            raise ProjectError(
                f"{shown}: unknown setting `{key}`",
                f"did you mean `{close[0]}`?" if close else f"known settings: {', '.join(SETTINGS)}",
            )
        if not isinstance(value, wanted) or (isinstance(value, list) and not all(isinstance(v, str) for v in value)):
            kind = {str: "a string", bool: "true or false", list: "a list of language tags"}[wanted]
            raise ProjectError(f"{shown}: `{key}` must be {kind}", f"e.g. {_EXAMPLES[key]}")
        if key == "languages" and not value:  # (it would publish no page at all)
            raise ProjectError(f"{shown}: `languages` lists no language", f"e.g. {_EXAMPLES[key]}, or leave it out")
        if isinstance(value, str) and not value.isprintable():  # (a NUL was a traceback; a bidi override
            # reversed the name as printed)
            raise ProjectError(f"{shown}: `{key}` holds a control or format character", f"e.g. {_EXAMPLES[key]}")
        if isinstance(value, str) and not _inside(value):
            # policyctl.toml arrives in pull requests like the policies: a folder outside the
            # repository (or the repository itself) would let a build replace what it does not own
            raise ProjectError(
                f"{shown}: `{key}` must be a folder inside the repository, relative to {CONFIG}",
                f"e.g. {_EXAMPLES[key]}",
            )
    if os.path.normpath(data.get("out", OUT)) == os.path.normpath(data.get("policies", POLICIES)):
        raise ProjectError(f"{shown}: `out` must not be the policies folder", f"e.g. {_EXAMPLES['out']}")
    return data


def _inside(value: str) -> bool:
    norm = os.path.normpath(value)
    return (
        bool(value.strip())
        and not os.path.isabs(value)
        and norm != os.curdir
        and norm.split(os.sep)[0] != os.pardir
        and ".git" not in norm.split(os.sep)  # (git's own files are not the repository's content)
        and "\\" not in value
        and ":" not in value
    )


_EXAMPLES = {
    "policies": 'policies = "policies"',
    "out": 'out = "generated_docs"',
    "languages": 'languages = ["en", "de"]',
    "strict": "strict = true",
}
