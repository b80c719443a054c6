"""engine/start.py answers `decide --bundle` without click: the same bytes and exit codes as click's
command, for every policy test case, batches, and every form it must leave to click."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine import start
from support import run_cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "policies.bundle"
    made = run_cli("bundle", "--root", str(ROOT / "policies"), "--out", str(path))  # in-process: only the file matters
    assert made.code == 0, made
    return path


def _cases(bundle: Path) -> list[dict[str, Any]]:
    from engine.bundle.load import load_bundle

    return [
        {"program": c.program, "decision": c.decision, "marketplace": c.marketplace, "at": c.at, "input": c.input}
        for c in load_bundle(str(bundle)).cases()
    ]


def _fast(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int | None, str]:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    code = start.answer(argv)
    monkeypatch.undo()
    return code, out.getvalue()


def test_every_policy_test_case_answers_as_click_does(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = _cases(bundle)
    assert cases
    for i, case in enumerate(cases):
        request = tmp_path / f"{i}.json"
        request.write_text(json.dumps(case["input"]), encoding="utf-8")
        argv = ["decide", f"{case['program']}.{case['decision']}", "-m", case["marketplace"]]
        argv += ["--at", case["at"]] if case.get("at") else []
        argv += ["--bundle", str(bundle), "--input", str(request)]
        code, out = _fast(argv, monkeypatch)
        slow = run_cli(*argv)
        assert code is not None, argv  # answered without click
        assert (code, out) == (slow.code, slow.out), argv


def test_a_batch_and_bad_lines_answer_as_click_does(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = _cases(bundle)[0]
    good = json.dumps(case["input"])
    for text in (f"{good}\n{good}\n", f"{good}\nnot json\n{{}}\n", "not json", "[1, 2]", "", "\ufeff{}"):
        request = tmp_path / "lines.jsonl"
        request.write_text(text, encoding="utf-8")
        argv = ["decide", f"{case['program']}.{case['decision']}", "--bundle", str(bundle)]
        argv += ["-i", str(request), "--marketplace", case["marketplace"]]
        code, out = _fast(argv, monkeypatch)
        slow = run_cli(*argv)
        assert code is not None and (code, out) == (slow.code, slow.out), text


@pytest.mark.parametrize(
    "tail",
    [
        ["--explain"],
        ["--format", "text"],
        ["--lines"],
        ["--at=2024-06-01"],
        ["--at", "1 June"],  # a malformed date: click's message
        ["-m", "us"],  # twice
        ["--root", "policies"],
        ["--", "x"],
    ],
)
def test_other_forms_are_left_to_click(bundle: Path, tmp_path: Path, tail: list[str]) -> None:
    request = tmp_path / "in.json"
    request.write_text("{}", encoding="utf-8")
    argv = ["decide", "csba.fee", "-m", "us", "--bundle", str(bundle), "--input", str(request), *tail]
    assert start.answer(argv) is None


@pytest.mark.parametrize(
    "argv",
    [
        ["decide", "csba", "-m", "us", "--bundle", "B", "--input", "I"],
        ["decide", "nope.fee", "-m", "us", "--bundle", "B", "--input", "I"],
        ["decide", "csba.nope", "-m", "us", "--bundle", "B", "--input", "I"],
        ["decide", "csba.fee", "-m", "zz", "--bundle", "B", "--input", "I"],
        ["decide", "csba.fee", "-m", "us", "--bundle", "missing.bundle", "--input", "I"],
        ["decide", "csba.fee", "-m", "us", "--bundle", "B", "--input", "missing.json"],
        ["--quiet", "decide", "csba.fee", "-m", "us", "--bundle", "B", "--input", "I"],
    ],
)
def test_problems_are_left_to_click(bundle: Path, tmp_path: Path, argv: list[str]) -> None:
    request = tmp_path / "in.json"
    request.write_text("{}", encoding="utf-8")
    argv = [str(bundle) if a == "B" else str(request) if a == "I" else a for a in argv]
    assert start.answer(argv) is None


def test_the_process_answers_from_standard_input_without_click(bundle: Path) -> None:
    case = _cases(bundle)[0]
    argv = ["decide", f"{case['program']}.{case['decision']}", "-m", case["marketplace"], "--bundle", str(bundle)]
    argv += ["--input", "-"]
    code = "import sys, runpy; sys.argv = ['policyctl', *sys.argv[1:]]; runpy.run_module('engine', run_name='__main__')"
    fast = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *argv],
        input=json.dumps(case["input"]),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    slow = run_cli(*argv, stdin=json.dumps(case["input"]))
    assert (fast.returncode, fast.stdout) == (slow.code, slow.out)
    assert " click" not in fast.stderr  # -X importtime lists every module imported
