"""Packaging glue (the metadata is in pyproject.toml): copies the data the engine reads into the
package at build time, so that `schemas/` and `policies/_site/` stay the single source.

    schemas/*.schema.json   ->  engine/_data/schemas/   the JSON Schemas of every file kind
    policies/_site/**       ->  engine/_data/site/      the default page layout and its catalogs
    docs/**                 ->  engine/_data/docs/      the authors' guide (`policyctl guide`)

engine/packaged.py finds them there with importlib.resources in an installed wheel; a checkout or
an editable install reads the sources themselves.
"""

import os

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = {"schemas": "schemas", "site": os.path.join("policies", "_site"), "docs": "docs"}


def _files(folder):
    found = []
    for top, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "__")))
        found += [os.path.relpath(os.path.join(top, n), folder) for n in sorted(names) if not n.startswith(".")]
    return found


class BuildWithData(build_py):
    """build_py that also copies the shipped folders into engine/_data/ (package data of `engine`)."""

    def _shipped(self):
        return [
            ("engine", source, os.path.join(self.build_lib, "engine", "_data", name), _files(source))
            for name, source in SHIPPED.items()
        ]

    def _get_data_files(self):
        return super()._get_data_files() + self._shipped()

    def get_data_files_without_manifest(self):
        return super().get_data_files_without_manifest() + self._shipped()


setup(cmdclass={"build_py": BuildWithData})
