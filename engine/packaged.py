"""Files the engine ships beside its code: the JSON Schemas of the file kinds, the default page
layout (`_site`: templates and their catalogs), the authors' guide (`policyctl guide`) and the
starter repository of `policyctl init`.

The schemas, the layout and the guide have one source, kept where people edit them: `schemas/`,
`policies/_site/` and `docs/` at the top of policyctl's own repository. A built distribution (wheel, `pip
install .`, pipx) carries copies made by setup.py's build step in `engine/_data/`, found here with
importlib.resources; a source checkout or an editable install reads the sources themselves.
"""

from __future__ import annotations

import os
from functools import cache

ENGINE_DIR = os.path.dirname(os.path.abspath(__file__))
CHECKOUT = os.path.dirname(ENGINE_DIR)
# where each shipped folder comes from in a checkout; setup.py copies the same into engine/_data/
SOURCES = {"schemas": "schemas", "site": os.path.join("policies", "_site"), "docs": "docs"}


class NotShipped(RuntimeError):
    """The installation lacks a file the engine needs (a broken install, never bad input)."""


@cache
def data_dir(name: str) -> str:
    """The folder of shipped data ``name`` ("schemas", "site" or "docs") on the file system."""
    from importlib.resources import files
    from pathlib import Path

    shipped = files("engine") / "_data" / name
    # Templates are read by Jinja's FileSystemLoader, so the package must stand in real folders
    # (any pip, pipx or wheel install: a Path); a zipped engine is not supported.
    if isinstance(shipped, Path) and shipped.is_dir():
        return os.fspath(shipped)
    # A checkout (or an editable install of one): the sources, when this engine is the checkout's.
    source = os.path.join(CHECKOUT, SOURCES[name])
    if os.path.isdir(source) and os.path.isfile(os.path.join(CHECKOUT, "pyproject.toml")):
        return source
    raise NotShipped(
        f"policyctl is installed without its {name} (looked in {shipped} and {source}): "
        "reinstall it from a wheel or a clone"
    )


def schema_dir() -> str:
    return data_dir("schemas")


def default_site_dir() -> str:
    return data_dir("site")


def guide_path() -> str:
    """The authors' guide (Markdown): the file format, expressions, tests, pages and languages."""
    return os.path.join(data_dir("docs"), GUIDE)


GUIDE = "writing-policies.md"


def starter_dir() -> str:
    """The starter repository `policyctl init` copies (package data inside engine/)."""
    from importlib.resources import files
    from pathlib import Path

    starter = files("engine") / "starter"
    if not isinstance(starter, Path):  # a zipped engine (not supported, as for data_dir)
        raise NotShipped(f"policyctl is installed without its starter as files ({starter}): reinstall it from a wheel")
    return os.fspath(starter)


SITE = "_site"  # the layout's folder in a policies folder (and its catalogs' domain)


def has_own_site(root: str) -> bool:
    """Whether the policies folder ``root`` has its own page layout (`policies/_site/`)."""
    return os.path.isdir(os.path.join(root, SITE))


def site_dir(root: str) -> str:
    """The page layout of the policies folder ``root``: its own `_site/` when it has one, else the
    default layout policyctl ships, which is read and never written."""
    return os.path.join(root, SITE) if has_own_site(root) else default_site_dir()
