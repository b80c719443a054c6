"""Every line of a batch's answer starts with the number of the input line it answers (`"line"`,
1-based, blank lines counted), as a problem line always did: `decide`'s batch, a JSON Lines table's
output and the service's `/v1/batch` alike. Without it a client could not tell which input an
answer belongs to once the input has a blank line (skipped, no answer) or a line that is not JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import engine
from engine.bundle.make import make
from engine.service.app import App, Limits
from engine.service.logs import Log
from engine.service.state import Source
from support import MINI, call, run_cli

# blank lines (2, 5: JSON's white space, 7), an input that does not fit (3), a line that is not JSON
# (4), outcomes answered again from the batch's memos (8: a constant row's; 9: a float row's)
JSONL = (
    '{"days_late": 0}\n\n{"days_late": "x"}\n{days_late: 3}\n \t\r\n'
    '{"days_late": 30, "member": true}\n\n{"days_late": 0}\n{"days_late": 2, "member": true}\n'
)
CSV = "days_late,member\n0,\n\nx,\n30,true\n"  # header on line 1, a blank line 3: rows on 2, 4, 5

ON_TIME = '"decision":"late_fee","outputs":{"fee":0,"status":"on_time"},"matches":["on_time"],"reasons":["Returned on time."],"default_used":false,"problems":[]'
BANDED = '"matches":["banded"],"reasons":["The fee per day follows the band."],"default_used":false,"problems":[]'
WHEN = '"at":"2024-06-01","time_zone":"Europe/Oslo"'
# (FILE: the input's name as problems give it)
NOT_AN_INTEGER = (
    '"decision":"late_fee","outputs":{},"matches":[],"reasons":[],"default_used":false,"problems":[{"file":"FILE",'
    '"line":LINE,"column":COLUMN,"code":"D004","severity":"error","message":"/days_late: expected integer, '
    'got string `\\"x\\"`","hint":"see the decision\'s `inputs`"}]'
)
ANSWERS = [
    "{" + f'"line":1,{ON_TIME},{WHEN}' + "}",
    "{" + f'"line":3,{NOT_AN_INTEGER.replace("LINE", "3").replace("COLUMN", "15")},{WHEN}' + "}",
    '{"line":4,"problems":[{"file":"FILE","line":4,"column":2,"code":"D004","severity":"error",'
    '"message":"not valid JSON: the key `days_late` is not in double quotes","hint":"write `\\"days_late\\"`"}]}',
    "{" + f'"line":6,"decision":"late_fee","outputs":{{"fee":15.0,"status":"late"}},{BANDED},{WHEN}' + "}",
    "{" + f'"line":8,{ON_TIME},{WHEN}' + "}",
    "{" + f'"line":9,"decision":"late_fee","outputs":{{"fee":0.5,"status":"late"}},{BANDED},{WHEN}' + "}",
]
CSV_ANSWERS = [
    "{" + f'"line":2,{ON_TIME},{WHEN}' + "}",
    "{" + f'"line":4,{NOT_AN_INTEGER.replace("LINE", "4").replace("COLUMN", "1")},{WHEN}' + "}",
    "{" + f'"line":5,"decision":"late_fee","outputs":{{"fee":15.0,"status":"late"}},{BANDED},{WHEN}' + "}",
]
DECIDE = ("decide", "loans.late_fee", "-m", "no", "--at", "2024-06-01", "--root", str(MINI))

CASES = {
    # (input file, its text, --output or None, the lines expected, FILE standing for the input's name)
    "decide": ("in.jsonl", JSONL, None, ANSWERS),
    "decide, JSON Lines table": ("in.jsonl", JSONL, "out.jsonl", ANSWERS),
    "decide, CSV table": ("in.csv", CSV, "out.jsonl", CSV_ANSWERS),
}


@pytest.mark.parametrize(("name", "text", "output", "expected"), CASES.values(), ids=CASES.keys())
def test_every_answer_of_a_batch_names_its_input_line(
    tmp_path: Path, name: str, text: str, output: str | None, expected: list[str]
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    run = run_cli(*DECIDE, "--input", name, *(("--output", output) if output else ()), cwd=tmp_path)
    assert run.code == 1, run
    written = (tmp_path / output).read_text(encoding="utf-8") if output else run.out
    assert written.splitlines() == [a.replace('"FILE"', json.dumps(name)) for a in expected]


def test_every_line_of_a_service_batch_names_its_input_line(tmp_path: Path) -> None:
    bundle = tmp_path / "mini.bundle"
    bundle.write_bytes(make(engine.load(str(MINI))))
    source = Source(str(bundle), None)
    source.load()
    app = App(source, Limits(), Log(io.StringIO()), poll=0)
    status, headers, body = call(
        app, "POST", "/v1/batch/loans/late_fee", JSONL.encode(), "marketplace=no&at=2024-06-01"
    )
    revision = json.dumps(headers["policy-revision"])
    expected = [a.replace('"FILE"', '"<request>"')[:-1] + f',"revision":{revision}}}' for a in ANSWERS]
    assert (status, body.decode().splitlines()) == (200, expected)
