"""What a warm `validate` of an unchanged repository still does: no checker imported for a value
the generated checks accept (jsonschema), no catalog module for listing the catalogs it counts or
for the labels G008 reads, and no document's whole set of positions decoded for a check that finds
nothing. (Their cost is measured in benchmarks/; these tests count what runs, never time.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import engine
from engine.cache import memo
from engine.cache.documents import PackedDocument

PROGRAM = "policies/returns/program.yaml"
# Parameters with a `format` (P009 looks at each) and one jsonschema would be asked about if the
# generated check could not accept a URI.
PARAMETERS = """parameters:
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


@pytest.fixture(scope="module")
def repo(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    top = tmp_path_factory.mktemp("warm") / "repo"
    shutil.copytree(init_starter, top)
    program = top / PROGRAM
    text = program.read_text(encoding="utf-8")
    assert text.count("\nparameters:\n") == 1
    program.write_text(text.replace("\nparameters:\n", "\n" + PARAMETERS, 1), encoding="utf-8")
    return top


def test_a_clean_load_decodes_no_document_s_whole_positions(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICYCTL_CACHE", str(repo.parent / "load-cache"))
    for _ in ("written", "read back"):
        memo.clear_all()  # (each load as a new process's: from the pack, not from this process's memo)
        loaded = engine.load(str(repo / "policies"))
        assert not loaded.problems, loaded.problems
    documents = [d for d in loaded.documents.values() if isinstance(d, PackedDocument)]
    assert any(d.path.endswith(PROGRAM.split("/", 1)[1]) for d in documents)
    assert [d.path for d in documents if d.decoded] == []
