"""The benchmark still runs: `python benchmarks/run.py --quick` on a tiny repository.

No timing is asserted here (CI machines vary); only that every measurement ran and printed a
row, and that a peer that is missing is reported rather than crashing the run.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_quick_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "rows.json"
    run = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    rows = json.loads(out.read_text(encoding="utf-8"))
    sections = {row["section"] for row in rows}
    assert {"start-up", "validate", "yaml", "schema", "decide", "batch", "build", "growth"} <= sections, sections
    works = " ".join(row["work"] for row in rows)
    for expected in (
        "policyctl validate, synthetic",
        "4-condition rule",
        "fee table",
        "rebuild, nothing changed",
        "rebuild after one parameter",
    ):
        assert expected in works
    rebuild = next(row for row in rows if "rebuild after one parameter" in row["work"])
    # only the edited marketplace's page is rendered again, in its 6 languages, Markdown and HTML,
    # current and past editions (an undated overlay value is in every edition)
    found = re.search(r"(\d+) pages rendered, (\d+) files written, (\d+) search files written", rebuild["note"])
    assert found and int(found.group(1)) % 6 == 0 and int(found.group(2)) == 2 * int(found.group(1)), rebuild
    # the search files apart: Pagefind's index of the current pages, of which the edited page's changed
    assert int(found.group(3)) > 0, rebuild
    for row in rows:
        assert not (isinstance(row["ours"], str) and row["ours"].startswith("failed")), row
