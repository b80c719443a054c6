"""What the last line of a report of problems counts: `validate` (and `build`) the repository's YAML
files, templates and catalogs; the commands stopped by the repository's errors (`test`, `i18n
check`, the questions) only its YAML files, which is all they read, and they say so: `test` said
"1 error in 1 of 5 files" beside `validate`'s "1 error in 1 of 6 files" on the same repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from support import edit, run_cli


@pytest.fixture(scope="module")
def broken(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter with one error in its decision (read only by the tests below)."""
    top = tmp_path_factory.mktemp("counts") / "repo"
    shutil.copytree(init_starter, top)
    edit(top / "policies/returns/decisions/return_allowed.yaml", "hit: first", "hit: firstt")
    return top


@pytest.mark.parametrize(
    "args",
    [("test",), ("i18n", "check"), ("decide", "returns.return_allowed", "-m", "us", "--input", "-")],
    ids=["test", "i18n check", "decide"],
)
def test_commands_that_read_only_yaml_count_yaml_files(broken: Path, args: tuple[str, ...]) -> None:
    yaml = len(list((broken / "policies").rglob("*.yaml")))
    run = run_cli(*args, "--root", str(broken / "policies"), stdin="{}")
    assert run.code == 1 and f"\n1 error in 1 of {yaml} YAML files\n" in run.err, run


def test_validate_counts_templates_too(broken: Path) -> None:
    policies = broken / "policies"
    files = len(list(policies.rglob("*.yaml"))) + len(
        list(policies.rglob("*.j2"))
    )  # (no catalog: the YAML has an error)
    run = run_cli("validate", "--root", str(policies))
    assert run.code == 1 and run.out.endswith(f"\n1 error in 1 of {files} files\n"), run
