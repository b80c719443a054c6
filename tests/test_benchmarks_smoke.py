"""The benchmark still runs: `python benchmarks/run.py --quick` on a tiny repository.

No timing is asserted here (CI machines vary); only that every measurement ran and printed a
row, and that a peer that is missing is reported rather than crashing the run.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent

# (section, words of a row's work or peer): a row of each kind a full run prints, so a path of run.py
# that a quick run skipped would fail here, not in the next full run
EVERY_KIND = (
    ("start-up", "python -c pass"),
    ("start-up", "import yaml, jsonschema, jinja2, click"),
    ("starter", "policyctl validate (8 files, warm cache)"),
    ("starter", "policyctl decide one input"),
    ("validate", "policyctl validate policies/"),
    ("validate", "policyctl validate, synthetic"),
    ("validate", "check-jsonschema"),
    ("validate", "libyaml + jsonschema, one process"),
    ("yaml", "PyYAML CSafeLoader"),
    ("schema", "fastjsonschema"),
    ("decide", "4-condition rule"),
    ("decide", "fee table"),
    ("decide", "CSBA coverage"),
    ("decide", "csba.fee: "),
    ("decide", "csba.coverage: "),
    ("batch", "decide csba.coverage"),
    ("batch", "decide csba.fee"),
    ("batch", "peak memory"),
    ("batch", "in-process"),
    ("bundle", "decide --bundle"),
    ("build", "policyctl build, synthetic"),
    ("build", "rebuild, nothing changed"),
    ("build", "rebuild after one parameter"),
    ("build", "rebuild after an edit of the HTML layout alone"),
    ("build", "rebuild after one more marketplace"),
    ("build", "two worker processes"),
    ("build", "mkdocs build"),
    ("build", "import engine.cli (floor)"),
    ("build", "the starter (init), empty cache"),
    ("build", "the starter (init), nothing changed"),
    ("build", "the starter, one parameter edited"),
    ("build", "in process (click), nothing changed"),
    ("build", "in process, a copy in a new folder"),
    ("growth", "validate"),
    ("growth", "build"),
)


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
    made = {(row["section"], text) for row in rows for text in (row["work"].strip(), row["peer"]) if text}
    for section, expected in EVERY_KIND:
        assert any(s == section and expected in text for s, text in made), (section, expected)
    rebuild = next(row for row in rows if "rebuild after one parameter" in row["work"])
    # only the edited marketplace's page is rendered again, in its 6 languages, Markdown and HTML,
    # current and past editions (an undated overlay value is in every edition)
    found = re.search(r"(\d+) pages rendered, (\d+) files written, (\d+) search files written", rebuild["note"])
    assert found and int(found.group(1)) % 6 == 0 and int(found.group(2)) == 2 * int(found.group(1)), rebuild
    # the search files apart: Pagefind's index of the current pages, of which the edited page's changed
    assert int(found.group(3)) > 0, rebuild
    # the layout alone: no page rendered, every page put in the layout again from its stored text
    layout = next(row for row in rows if "HTML layout alone" in row["work"])
    found = re.search(r"(\d+) of (\d+) pages rendered, (\d+) laid out again", layout["note"])
    assert found and (int(found.group(1)), int(found.group(3))) == (0, int(found.group(2))), layout
    # one more marketplace: its page there is new in its 6 languages (current and past editions); the
    # program's other pages are laid out again (the quick run's one program: every other page)
    market = next(row for row in rows if "one more marketplace" in row["work"])
    found = re.search(r"(\d+) of (\d+) pages rendered, (\d+) laid out again", market["note"])
    assert found and int(found.group(1)) % 6 == 0 and int(found.group(1)) > 0, market
    assert int(found.group(1)) + int(found.group(3)) == int(found.group(2)), market
    for row in rows:  # ours and the peers' (a peer not installed is reported as such, not failed)
        for value in (row["ours"], row["peer_value"]):
            assert not (isinstance(value, str) and value.startswith(("failed", "timed out"))), row


def _run_module() -> ModuleType:
    """benchmarks/run.py as a module (it is a script, not a package)."""
    name = "benchmarks_run"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "run.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # before it runs: its dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules[name]


def test_a_missing_peer_is_a_row_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever is installed here: a peer command not found is a row that says so (and, but for a quick
    run, an error the run reports at its end), never an exception."""
    run = _run_module()
    monkeypatch.setattr(run, "which", lambda name: None)
    monkeypatch.setattr(run, "MISSING", [])
    syn = tmp_path / "synthetic"
    run.generate.generate(str(syn), programs=1, marketplaces=1, pages=False)
    for quick, said in ((True, "not installed"), (False, "not installed (ERROR)")):
        bench = run.Bench(quick, str(tmp_path))
        assert run.check_jsonschema(bench, str(syn)) == said
        run.mkdocs(bench, str(tmp_path / "site"), 6, 10.0)
        assert [(row.section, row.peer, row.peer_value) for row in bench.rows] == [
            ("build", "mkdocs build, same Markdown", said)
        ]
    assert run.MISSING == ["check-jsonschema", "mkdocs"] * 2


def test_a_measurement_that_failed_fails_the_run() -> None:
    run = _run_module()
    rows = [
        run.Row("build", "policyctl build", 2.0, "mkdocs build", 1.0),
        run.Row("build", "policyctl build, POLICYCTL_JOBS=2", "failed (1)"),
        run.Row("validate", "policyctl validate", 0.2, "check-jsonschema", "timed out"),
        run.Row("validate", "", None, "fastjsonschema", "not installed"),  # the peers' own report
    ]
    assert run.unmeasured(rows) == [
        "build / policyctl build, POLICYCTL_JOBS=2: failed (1)",
        "validate / policyctl validate: timed out",
    ]


def test_a_build_that_fails_is_not_timed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The serial and two-worker builds of the small repository: one that fails ends the section
    with a failed row (its time is not a build's), and mkdocs is not compared with it."""
    run = _run_module()
    monkeypatch.setattr(run, "incremental", lambda *args: None)
    monkeypatch.setattr(run, "mkdocs", lambda *args: pytest.fail("compared with a failed build"))
    bench = run.Bench(True, str(tmp_path))

    def process(cmd: list[str], runs: int, env: dict[str, str] | None = None, **kwargs: object) -> object:
        if env and env.get("POLICYCTL_JOBS") == "2":
            return run.Run(0.1, output="error: the workers stopped", code=1)
        return run.Run(1.0, output="wrote site: 12 pages", code=0)

    monkeypatch.setattr(bench, "process", process)
    run.build(bench, str(tmp_path / "synthetic"))
    assert [(row.work, row.ours) for row in bench.rows][-1] == ("policyctl build, POLICYCTL_JOBS=2", "failed (1)")
    assert run.unmeasured(bench.rows) == ["build / policyctl build, POLICYCTL_JOBS=2: failed (1)"]
