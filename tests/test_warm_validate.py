"""What a warm `validate` of an unchanged repository still does: no checker imported for a value
the generated checks accept (jsonschema), no catalog module for listing the catalogs it counts or
for the labels G008 reads, and no document's whole set of positions decoded for a check that finds
nothing. (Their cost is measured in benchmarks/; these tests count what runs, never time.)"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import engine
from engine.cache import memo
from engine.cache.documents import PackedDocument
from engine.model.repository import documents_of

PROGRAM = "policies/returns/program.yaml"
# Parameters with a `format` (P009 looks at each): one jsonschema would be asked about if the
# generated check could not accept a URI, and policyctl's own formats (`money`, `percent`,
# `duration-*`), which jsonschema does not check, on a schema simple enough for the closure of
# engine.schema.fastcheck and on one the generated code checks (numeric options).
PARAMETERS = """parameters:
  restocking_fee:
    description: What a buyer pays when an opened item comes back.
    schema: {type: number, minimum: 0, format: money}
    value: 4.99
    source: a test
  restocking_share:
    description: The share of the price kept for an opened item.
    schema: {type: number, enum: [0, 12.5, 25], format: percent}
    value: 12.5
    source: a test
  refund_days:
    description: Days until the refund is paid.
    schema: {type: integer, minimum: 1, format: duration-day}
    value: 14
    source: a test
  help_page_url:
    description: Where the returns policy is published.
    schema: {type: string, format: uri, pattern: "^https://"}
    value: https://example.com/help/returns?topic=window#top
    source: a test
  policy_date:
    description: The day the policy was last reviewed.
    schema: {type: string, format: date}
    value: "2024-01-01"
    source: a test
"""
# Imported by no warm `validate` of a clean repository with templates and catalogs.
NOT_IMPORTED = ("jsonschema", "jinja2", "babel", "engine.i18n.catalogs", "engine.site.build")


@pytest.fixture(scope="module")
def repo(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    top = tmp_path_factory.mktemp("warm") / "repo"
    shutil.copytree(init_starter, top)
    program = top / PROGRAM
    text = program.read_text(encoding="utf-8")
    assert text.count("\nparameters:\n") == 1
    program.write_text(text.replace("\nparameters:\n", "\n" + PARAMETERS, 1), encoding="utf-8")
    return top


def test_a_warm_validate_imports_no_checker_it_does_not_need(repo: Path, tmp_path: Path) -> None:
    script = (
        "import atexit, runpy, sys\n"
        f"atexit.register(lambda: print(sorted({{m.split('.')[0] if not m.startswith('engine.') else m"
        f" for m in sys.modules}} & {set(NOT_IMPORTED)!r})))\n"
        "sys.argv = ['policyctl', 'validate', sys.argv[1]]\n"
        "runpy.run_module('engine', run_name='__main__')\n"
    )
    env = {**os.environ, "POLICYCTL_CACHE": str(tmp_path / "cache")}
    runs = [
        subprocess.run([sys.executable, "-c", script, str(repo / "policies")], capture_output=True, text=True, env=env)
        for _ in ("cold", "warm")
    ]
    for ran in runs:
        assert ran.returncode == 0 and "no problems" in ran.stdout, ran
    assert runs[1].stdout.splitlines()[-1] == "[]", runs[1]


def test_a_clean_load_decodes_no_document_s_whole_positions(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYCTL_CACHE", str(repo.parent / "load-cache"))
    for _ in ("written", "read back"):
        memo.clear_all()  # (each load as a new process's: from the pack, not from this process's memo)
        loaded = engine.load(str(repo / "policies"))
        assert not loaded.problems, loaded.problems
    documents = [d for d in documents_of(loaded).values() if isinstance(d, PackedDocument)]
    assert any(d.path.endswith(PROGRAM.split("/", 1)[1]) for d in documents)
    assert [d.path for d in documents if d.decoded] == []
