"""Text that is no Unicode character, written with an escape in a pull request's files: every
command says where, with a code, and exits 1; none fails writing it (a page, a report, a catalog).

A lone surrogate (`"\\ud800"`) is text Python holds but UTF-8 cannot write; an escape beyond
U+10FFFF (`"\\U00110000"`) is no text at all. YAML's double quotes and Jinja's literals both
read such escapes. A table whose header line is not UTF-8 (a UTF-16 file) names no column: a
problem, not a traceback nor a table of no rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import run_cli

PROGRAM = Path("policies") / "returns" / "program.yaml"
TEMPLATE = Path("policies") / "returns" / "pages" / "help.md.j2"
HALF = "half of a UTF-16 surrogate pair (U+D800 to U+DFFF), not a character"
HINT = "write the character itself, or escape one beyond U+FFFF with `\\U` and 8 hex digits (`\\U0001F600`)"


COMMANDS = [("validate",), ("build", "--at", "2025-03-01"), ("test",), ("show", "returns", "-m", "us")]


# the program's English name, as written in double quotes -> (line, column, message)
YAML_ESCAPES = {
    '"\\ud800"': (7, 8, f"the escape `\\ud800` is {HALF}"),
    '"Ret\\\\urns \\U0001F600 \\uDFFF"': (7, 29, f"the escape `\\uDFFF` is {HALF}"),  # (`\\\\u` is no escape)
    '"a pair \\ud83d\\ude00"': (7, 15, f"the escape `\\ud83d` is {HALF}"),  # (as libyaml: write `\\U0001F600`)
    '"\\U0000D800"': (7, 8, f"the escape `\\U0000D800` is {HALF}"),
    '"\\U00110000"': (7, 8, "the escape `\\U00110000` is beyond the last Unicode character, U+10FFFF"),
    '"Re\\\n  \\udc00"': (8, 3, f"the escape `\\udc00` is {HALF}"),  # (on the scalar's second line)
}


@pytest.mark.parametrize("written", YAML_ESCAPES, ids=range(len(YAML_ESCAPES)))
def test_a_yaml_escape_that_is_no_character_is_y010_at_the_escape(init_repo: Path, written: str) -> None:
    program = init_repo / PROGRAM
    program.write_text(program.read_text("utf-8").replace("en: Returns", f"en: {written}", 1), "utf-8")
    line, col, message = YAML_ESCAPES[written]
    for command in COMMANDS:
        r = run_cli(*command, "--root", str(init_repo))
        said = r.out + r.err
        assert r.code == 1 and "Traceback" not in said, (command, r)
        assert f"{PROGRAM}:{line}:{col}: error[Y010]: {message}\n  hint: {HINT}" in said, (command, r)


def test_an_escaped_character_beyond_u_ffff_and_an_escaped_backslash_are_text(init_repo: Path) -> None:
    program = init_repo / PROGRAM
    written = '"Returns \\U0001F600 \\\\ud800"'
    program.write_text(program.read_text("utf-8").replace("en: Returns", f"en: {written}", 1), "utf-8")
    assert run_cli("validate", "--root", str(init_repo)).code == 0
    r = run_cli("build", "--root", str(init_repo), "--at", "2025-03-01")
    assert r.code == 0, r
    page = (init_repo / "generated_docs" / "returns" / "us" / "en" / "help.md").read_text("utf-8")
    assert "# Returns \U0001f600 \\\\ud800\n" in page  # (the backslash Markdown-escaped)


# a template's line after `{% block body %}` -> its message
TEMPLATE_ESCAPES = {
    '{{ "\\ud800" }}': f"the escape `\\ud800` is {HALF}",
    '{% set x = "a" ~ "\\udfff" %}{{ x }}': f"the escape `\\udfff` is {HALF}",
    "{{ _('x \\ud83d\\ude00') }}": f"the escape `\\ud83d` is {HALF}",  # (a message to translate)
    '{{ "\\U00110000" }}': "illegal Unicode character",  # (Jinja's lexer's words, with the hint)
}


@pytest.mark.parametrize("snippet", TEMPLATE_ESCAPES, ids=range(len(TEMPLATE_ESCAPES)))
def test_a_template_escape_that_is_no_character_is_g001_at_its_line(init_repo: Path, snippet: str) -> None:
    template = init_repo / TEMPLATE
    lines = template.read_text("utf-8").split("\n")
    at = lines.index("{% block body %}") + 1
    lines.insert(at, snippet)
    template.write_text("\n".join(lines), "utf-8")
    where = f"{TEMPLATE}:{at + 1}:1: error[G001]: template syntax error: {TEMPLATE_ESCAPES[snippet]}\n  hint: {HINT}"
    for command in [*COMMANDS[:2], ("i18n", "extract")]:
        r = run_cli(*command, "--root", str(init_repo))
        said = r.out + r.err
        assert r.code == 1 and "Traceback" not in said and where in said, (command, r)


# a CSV table's bytes whose header line is not UTF-8 -> what the problem says of it
HEADERS = {
    # (pyarrow's names: a traceback; then "the line is not UTF-8 text (byte 0xff)")
    "utf-16": ("days_since_delivery\n1\n".encode("utf-16"), "the table is UTF-16 text: save it as UTF-8"),
    # (pyarrow: "empty", 0 rows, exit 0)
    "utf-16 without a line break": ("da".encode("utf-16"), "the table is UTF-16 text: save it as UTF-8"),
    "a latin-1 column name": (
        "days_since_delivery,Gr\xf6\xdfe\n1,2\n".encode("latin-1"),
        "the line is not UTF-8 text (byte 0xf6)\n  hint: save the table as UTF-8",
    ),
}


@pytest.mark.parametrize("name", HEADERS)
def test_a_csv_header_that_is_not_utf8_is_a_problem_not_a_traceback_nor_an_empty_table(
    init_starter: Path, tmp_path: Path, name: str
) -> None:
    written, said = HEADERS[name]
    source, out = tmp_path / "in.csv", tmp_path / "out.jsonl"
    source.write_bytes(written)
    args = ["decide", "returns.return_allowed", "-m", "us", "--at", "2025-01-01", "--input", str(source)]
    r = run_cli(*args, "--output", str(out), "--root", str(init_starter))
    assert r.code == 1 and "Traceback" not in r.out + r.err, r
    assert f"{source}:1:1: error[D004]: {said}" in r.out + r.err, r
    assert not out.exists()
