"""A program parameter that restates a marketplace attribute must agree with marketplaces.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path

from support import ROOT, edit, run_cli


def test_a_currency_that_disagrees_with_the_marketplace_is_refused_at_its_value(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", policies)
    overlay = policies / "csba/marketplaces/de.yaml"
    edit(overlay, "  currency:\n    value: EUR\n", "  currency:\n    value: USD\n")
    line = overlay.read_text(encoding="utf-8").splitlines().index("    value: USD") + 1
    run = run_cli("validate", str(policies))
    assert run.code == 1
    assert (
        f"{overlay}:{line}:12: error[P013]: `currency` is 'USD' here but 'EUR' for the marketplace `de` "
        "in marketplaces.yaml"
    ) in run.out, run
    build = run_cli("build", "--root", str(policies), "--out", str(tmp_path / "out"))
    assert build.code == 1 and "P013" in build.err and not (tmp_path / "out").exists()
