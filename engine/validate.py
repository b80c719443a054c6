"""`policyctl validate`: which repositories and files a list of paths means, and their problems."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from engine import layout
from engine.problems import Problem


@dataclass
class Outcome:
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    sources: dict[str, str] = field(default_factory=dict)
    usage: list[str] = field(default_factory=list)  # paths that do not exist: exit 2


def validate(paths: list[str]) -> Outcome:
    from engine.repository import load, read

    out = Outcome()
    roots: dict[str, set[str] | None] = {}  # root -> files to report (None: everything below)
    loose: list[str] = []
    for path in paths:
        if not os.path.exists(path):
            out.usage.append(path)
            continue
        root = layout.find_root(path)
        if root is None:
            if os.path.isdir(path):
                loose += layout.yaml_files(path)
            else:
                loose.append(path)
            continue
        if os.path.isdir(path) and os.path.abspath(path) == root:
            roots[root] = None
        elif roots.get(root, set()) is not None:
            wanted = roots.setdefault(root, set())
            assert wanted is not None
            files = layout.yaml_files(path) if os.path.isdir(path) else [path]
            wanted.update(os.path.abspath(f) for f in files)
    for root, wanted in sorted(roots.items()):
        repo = load(os.path.relpath(root) if not os.path.isabs(root) or root.startswith(os.getcwd()) else root)
        for path, doc in repo.documents.items():
            if wanted is None or os.path.abspath(path) in wanted:
                out.files += 1
                out.sources[doc.path] = doc.text
        keep = {doc.path for path, doc in repo.documents.items() if wanted is None or os.path.abspath(path) in wanted}
        out.problems += [p for p in repo.problems if wanted is None or p.file in keep]
        if wanted:
            out.problems += _not_yaml(wanted)
            out.files += sum(1 for f in wanted if not f.endswith(layout.YAML_SUFFIXES))
    for path in loose:
        out.files += 1
        if not path.endswith(layout.YAML_SUFFIXES):
            out.problems.append(Problem(path, 1, 1, "L004", "not a YAML file policyctl can check",
                                        "give .yaml files or folders"))
            continue
        _, doc, _ = read(None, path)
        out.sources[doc.path] = doc.text
        out.problems += doc.problems
    out.problems.sort(key=Problem.sort_key)
    return out


def _not_yaml(files: set[str]) -> list[Problem]:
    return [Problem(os.path.relpath(f), 1, 1, "L004", "not a YAML file policyctl can check", "give .yaml files or folders")
            for f in sorted(files) if not f.endswith(layout.YAML_SUFFIXES)]
