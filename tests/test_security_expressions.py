"""Decision expressions from a pull request cannot run code either (issue 8).

The template payload families of tests/test_security_templates.py (each shown live in plain
Jinja2 there) are written into a decision's `when`, `let` and outputs in a copy of the mini
repository: `policyctl validate` refuses each at its file:line with an E code, and neither
`validate`, `test` nor `decide` ever creates the marker file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_security_templates import LEAKS, PAYLOADS, SECRET

from support import MINI, run_cli


def plant(repo: Path, place: str, expression: str) -> tuple[Path, int]:
    decision = repo / "loans" / "decisions" / "late_fee.yaml"
    lines = decision.read_text().split("\n")
    quoted = json.dumps(expression)
    if place == "let":
        at = lines.index("let:") + 1
        lines.insert(at, f"  evil: {quoted}")
    elif place == "when":
        at = lines.index("  - id: not_member") + 1
        lines[at] = f"    when: {quoted}"
    else:
        at = lines.index("  - id: not_member") + 3
        lines[at] = "    then: {status: " + json.dumps("= " + expression) + "}"
    decision.write_text("\n".join(lines))
    return decision, at + 1


@pytest.mark.parametrize("place", ["when", "let", "output"])
@pytest.mark.parametrize("family", list(PAYLOADS) + list(LEAKS))
def test_expression_payloads_are_refused_and_never_run(tmp_path: Path, family: str, place: str) -> None:
    repo = tmp_path / "policies"
    shutil.copytree(MINI, repo)
    marker = tmp_path / "pwned"
    expression = PAYLOADS[family].format(m=str(marker)) if family in PAYLOADS else LEAKS[family]
    decision, line = plant(repo, place, expression)
    checked = run_cli("validate", str(repo))
    assert checked.code == 1, checked
    assert f"{decision}:{line}:" in checked.out and ("error[E002]" in checked.out or "error[E003]" in checked.out), (
        checked.out
    )
    tested = run_cli("test", "--root", str(repo))
    decided = run_cli(
        "decide",
        "loans.late_fee",
        "-m",
        "nl",
        "--root",
        str(repo),
        "--input",
        "-",
        stdin='{"days_late": 3, "member": false}',
    )
    assert tested.code == 1 and decided.code == 1
    everything = checked.out + checked.err + tested.out + tested.err + decided.out + decided.err
    assert "Traceback" not in everything and SECRET not in everything
    assert not marker.exists()
