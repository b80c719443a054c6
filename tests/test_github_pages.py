"""The output folder as GitHub Pages publishes it from a branch: with a `.nojekyll` of policyctl's,
so that Pages serves the files as they are instead of building them with Jekyll (which leaves out
every name starting with `_`, such as the search's `_search/`, and makes each `.md` file, ours or
one someone added, a page of its own, raw HTML and all)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.site import ownership
from support import run_cli

NOJEKYLL = ".nojekyll"


def test_a_build_turns_jekyll_off_beside_the_files_jekyll_would_leave_out(built_site: Path) -> None:
    files = [p.relative_to(built_site).as_posix() for p in built_site.rglob("*") if p.is_file()]
    # what Jekyll would leave out: the search (`_search/`; the marketplace choosers, `_marketplaces/`, too)
    assert any(rel.startswith("_search/") for rel in files), files
    assert (built_site / NOJEKYLL).read_bytes() == b""
    record = json.loads((built_site / ownership.RECORD).read_text(encoding="utf-8"))
    assert record["files"][NOJEKYLL] == hashlib.sha256(b"").hexdigest()


def _unlisted(out: Path) -> None:
    """The build record as a build before `.nojekyll` wrote it."""
    path = out / ownership.RECORD
    record = json.loads(path.read_text(encoding="utf-8"))
    del record["files"][NOJEKYLL]
    path.write_bytes(ownership.encode(record["files"]))


def _deleted(out: Path) -> None:
    (out / NOJEKYLL).unlink()


def _edited(out: Path) -> None:
    (out / NOJEKYLL).write_text("edited\n", encoding="utf-8")


def _built_before(out: Path) -> None:
    _deleted(out)
    _unlisted(out)


def _theirs_empty(out: Path) -> None:  # (`touch .nojekyll`, as GitHub's documentation says, before policyctl wrote one)
    _unlisted(out)


def _theirs_with_text(out: Path) -> None:
    _unlisted(out)
    _edited(out)


# (what happened to the folder's `.nojekyll`, what `build --check` says of it (None: nothing),
# and what `build` then does: its exit code and a line of its output)
CASES: list[tuple[Callable[[Path], None], str | None, int, str]] = [
    (_deleted, "generated_docs/.nojekyll:1:1: error[G005]: missing", 0, "(1 added, changed or removed;"),
    (_edited, "generated_docs/.nojekyll:1:1: error[G005]: stale", 0, "(1 added, changed or removed;"),
    (_built_before, "generated_docs/.nojekyll:1:1: error[G005]: missing", 0, "(1 added, changed or removed;"),
    (_theirs_empty, None, 0, "(0 added, changed or removed;"),
    (
        _theirs_with_text,
        "generated_docs/.nojekyll:1:1: error[G005]: stale",
        2,
        "`generated_docs/.nojekyll` is there, policyctl did not write it, and the build would replace it",
    ),
]


@pytest.mark.parametrize(("change", "checked", "code", "said"), CASES, ids=[c[0].__name__.strip("_") for c in CASES])
def test_the_nojekyll_file_is_checked_made_again_and_never_taken_from_others(
    init_repo: Path, change: Callable[[Path], None], checked: str | None, code: int, said: str
) -> None:
    out = init_repo / "generated_docs"
    change(out)
    check = run_cli("build", "--check", cwd=init_repo)
    assert check.code == 1
    if checked is not None:
        assert checked in check.out + check.err, check
    else:  # (only the record differs)
        assert f"{NOJEKYLL}:" not in check.out + check.err, check
    run = run_cli("build", cwd=init_repo)
    assert run.code == code and said in run.out + run.err, run
    if code == 0:
        assert (out / NOJEKYLL).read_bytes() == b""
        assert NOJEKYLL in json.loads((out / ownership.RECORD).read_text(encoding="utf-8"))["files"]
        assert run_cli("build", "--check", cwd=init_repo).code == 0
    else:  # nothing touched
        assert (out / NOJEKYLL).read_text(encoding="utf-8") == "edited\n"
