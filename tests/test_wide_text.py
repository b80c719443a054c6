"""A file saved as UTF-16 or UTF-32 (Windows editors' "Unicode", PowerShell's `>`) is said to be
that, with "save it as UTF-8": a YAML file was Y002 "contains a NUL byte: it looks binary", a
template or a catalog showed Python's codec error, a CSV table "the line is not UTF-8 text", a
JSON input a problem on each of its lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from support import run_cli

ENCODINGS = [
    ("utf-16", "UTF-16"),
    ("utf-16-le", "UTF-16"),
    ("utf-16-be", "UTF-16"),
    ("utf-32", "UTF-32"),
    ("utf-32-be", "UTF-32"),
]
DECIDE = ("decide", "returns.return_allowed", "-m", "us", "--at", "2024-06-01")


def _resave(path: Path, codec: str) -> None:
    path.write_bytes(path.read_text(encoding="utf-8").encode(codec))


@pytest.mark.parametrize(
    ("file", "code", "what"),
    [
        ("policies/returns/marketplaces/de.yaml", "Y002", "the file"),
        ("policies/returns/pages/help.md.j2", "G001", "the template"),
        ("policies/returns/locales/de.po", "G002", "the catalog"),
    ],
)
@pytest.mark.parametrize(("codec", "name"), ENCODINGS)
def test_a_source_saved_as_utf16_or_utf32_is_said_to_be_so(
    init_repo: Path, file: str, code: str, what: str, codec: str, name: str
) -> None:
    _resave(init_repo / file, codec)
    run = run_cli("validate", cwd=init_repo)
    assert run.code == 1, run
    assert run.out.startswith(
        f"{file}:1:1: error[{code}]: {what} is {name} text: save it as UTF-8\n"
        f"  hint: choose UTF-8 as the editor's encoding, or convert it: `iconv -f {name} -t UTF-8`\n"
        "1 error in 1 of "
    ), run


def test_binary_yaml_is_still_said_to_look_binary(init_repo: Path) -> None:
    path = init_repo / "policies/returns/marketplaces/de.yaml"
    path.write_bytes(b"kind: \x00\x01\x02\x03\x04\x05\x06\x07\x08\n")
    run = run_cli("validate", cwd=init_repo)
    assert run.code == 1 and "de.yaml:1:7: error[Y002]: the file contains a NUL byte: it looks binary" in run.out, run


@pytest.mark.parametrize(("codec", "name"), ENCODINGS)
def test_a_table_or_an_input_saved_as_utf16_is_said_to_be_so(
    init_repo: Path, tmp_path: Path, codec: str, name: str
) -> None:
    pytest.importorskip("pyarrow")
    said = f"is {name} text: save it as UTF-8"
    for table, text in (("rows.csv", "days_since_delivery\n3\n4\n"), ("rows.jsonl", '{"days_since_delivery": 3}\n')):
        source = tmp_path / table
        source.write_bytes(text.encode(codec))
        run = run_cli(*DECIDE, "--input", str(source), "--output", str(tmp_path / "out.jsonl"), cwd=init_repo)
        assert (run.code, run.err.splitlines()[0]) == (1, f"{source}:1:1: error[D004]: the table {said}"), run
    given = tmp_path / "input.json"  # (a batch of two lines: said once, not on each line)
    given.write_bytes('{"days_since_delivery": 3}\n{"days_since_delivery": 4}\n'.encode(codec))
    run = run_cli(*DECIDE, "--input", str(given), cwd=init_repo)
    [problem] = json.loads(run.out)["problems"]
    assert run.code == 1 and (problem["line"], problem["code"], problem["message"]) == (1, "D004", f"the input {said}")
