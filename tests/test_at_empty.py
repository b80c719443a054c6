"""An empty date (`--at ""`, `?at=`) is a date that is not one, refused as any other: it was read as
no date at all, and the answer was today's."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import engine
from engine.bundle.make import make
from engine.service.app import App, Limits
from engine.service.logs import Log
from engine.service.state import Source
from support import MINI, ROOT, call, run_cli

REFUSED = (
    "policyctl: error[L004]: `` is not a date in the form YYYY-MM-DD\n"
    "  hint: write a date in the form YYYY-MM-DD, such as 2024-03-01\n"
)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("at") / "policies.bundle"
    path.write_bytes(make(engine.load(str(ROOT / "policies"))))
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["show", "loans", "-m", "no", "--root", str(MINI)],
        ["show", "loans", "-m", "no", "--root", str(MINI), "--provenance"],
        ["decide", "loans.late_fee", "-m", "no", "--input", "-", "--root", str(MINI)],
    ],
    ids=["show", "show --provenance", "decide"],
)
def test_an_empty_at_is_a_usage_error(args: list[str]) -> None:
    run = run_cli(*args, "--at", "", stdin='{"days_late": 3}')
    assert (run.code, run.out, run.err) == (2, "", REFUSED)
    bad = run_cli(*args, "--at", "2024-13-01", stdin='{"days_late": 3}')
    assert bad.code == 2 and bad.err.startswith("policyctl: error[L004]: `2024-13-01`")  # as any other


@pytest.mark.parametrize("bundled", [False, True], ids=["click", "decide --bundle's quick path"])
def test_an_empty_at_is_refused_in_the_same_words_from_a_bundle(bundled: bool, bundle: Path) -> None:
    where = ["--bundle", str(bundle)] if bundled else ["--root", str(ROOT / "policies")]
    run = subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), "decide", "csba.fee", "-m", "us", "--at", "", *where, "--input", "-"],
        input='{"units": 5}',
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (run.returncode, run.stdout, run.stderr) == (2, "", REFUSED)


@pytest.fixture(scope="module")
def app(bundle: Path) -> App:
    source = Source(str(bundle), None)
    source.load()
    return App(source, Limits(), Log(io.StringIO()), poll=0)


def test_the_services_batch_refuses_an_empty_at_as_its_decide_does(app: App) -> None:
    """`?at=` was dropped by the query's parser: the batch was answered for today (200)."""
    status, _, body = call(
        app, "POST", "/v1/decide/csba/fee", json.dumps({"input": {"units": 5}, "marketplace": "us", "at": ""}).encode()
    )
    decide = json.loads(body)
    assert status == 400 and [p["code"] for p in decide["problems"]] == ["A001"]
    status, _, body = call(app, "POST", "/v1/batch/csba/fee", b'{"units": 5}\n', "marketplace=us&at=")
    assert status == 400 and json.loads(body)["problems"] == decide["problems"]
    status, _, body = call(app, "POST", "/v1/batch/csba/fee", b'{"units": 5}\n', "marketplace=us&at=2024-06-01")
    assert status == 200 and json.loads(body)["outputs"]["total"] == 1.25
