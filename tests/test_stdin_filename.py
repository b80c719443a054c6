"""`validate` and `fmt` read an editor's buffer from standard input as the file at `--stdin-filename
PATH` (as ruff's `--stdin-filename` and prettier's `--stdin-filepath`): its kind and program come
from PATH, the file there is not read, and problems name PATH."""

from __future__ import annotations

from pathlib import Path

import pytest

from support import run_cli

PROGRAM = "policies/returns/program.yaml"
DECISION = "policies/returns/decisions/return_allowed.yaml"
P003 = (
    "error[P003]: parameter `return_window_days`: expected integer, "
    'got string `"x"`\n'
    "  hint: write a whole number in digits and nothing else, such as `30`, without quotes\n"
    "1 error in 1 of 1 file\n"
)


def _bad_program(top: Path) -> str:
    text = (top / PROGRAM).read_text(encoding="utf-8")
    assert "    value: 30\n" in text
    return text.replace("    value: 30\n", '    value: "x"\n', 1)


@pytest.mark.parametrize(
    "cwd, args, named",
    [
        (".", ("--stdin-filename", PROGRAM), PROGRAM),
        (".", ("--stdin-filename", PROGRAM, "-"), PROGRAM),
        ("policies/returns", ("--stdin-filename", "program.yaml"), "program.yaml"),
        ("policies/returns/decisions", ("--stdin-filename", "../program.yaml"), "../program.yaml"),
    ],
)
def test_validate_checks_the_text_on_standard_input_as_the_file_at_path(
    init_starter: Path, cwd: str, args: tuple[str, ...], named: str
) -> None:
    """The buffer's problems at PATH's line:col; the file on disk (clean) is not read; a memo of the
    clean file read before (and after) does not answer for the buffer, nor the buffer for it."""
    where = init_starter / cwd
    assert run_cli("validate", named, cwd=where).out == "1 file checked: no problems\n"
    found = run_cli("validate", *args, cwd=where, stdin=_bad_program(init_starter))
    assert (found.code, found.out) == (1, f"{named}:18:12: " + P003), found
    assert run_cli("validate", named, cwd=where).out == "1 file checked: no problems\n"
    clean = run_cli("validate", *args, cwd=where, stdin=(init_starter / PROGRAM).read_text(encoding="utf-8"))
    assert (clean.code, clean.out) == (0, "1 file checked: no problems\n"), clean


def test_validate_a_new_file_not_saved_yet_with_its_repository(init_starter: Path) -> None:
    """A file that is not on disk yet is checked where it would stand: its kind and program from
    PATH, the checks across files with the rest of the repository (a decision's id against its name)."""
    decision = (init_starter / DECISION).read_text(encoding="utf-8")
    new = "policies/returns/decisions/new_one.yaml"
    found = run_cli("validate", "--format", "json", "--stdin-filename", new, cwd=init_starter, stdin=decision)
    assert found.code == 1, found
    assert '"file": "policies/returns/decisions/new_one.yaml",\n      "line": 3,\n      "column": 5,' in found.out
    assert '"code": "L003"' in found.out
    renamed = decision.replace("id: return_allowed", "id: new_one")
    ok = run_cli("validate", "--stdin-filename", new, cwd=init_starter, stdin=renamed)
    assert (ok.code, ok.out) == (0, "1 file checked: no problems\n"), ok
    assert not (init_starter / new).exists()


def _swapped(text: str) -> str:
    """The program file with `id` before `kind` (fmt puts `kind` first)."""
    assert "\nkind: program\nid: returns\n" in text
    return text.replace("\nkind: program\nid: returns\n", "\nid: returns\nkind: program\n", 1)


def test_fmt_writes_the_formatted_buffer_to_standard_output(init_starter: Path) -> None:
    on_disk = (init_starter / PROGRAM).read_text(encoding="utf-8")
    for text in (_swapped(on_disk), on_disk):  # formatted or not, the whole text comes back
        done = run_cli("fmt", "--stdin-filename", "program.yaml", cwd=init_starter / "policies/returns", stdin=text)
        assert (done.code, done.out, done.err) == (0, on_disk, ""), done
    assert (init_starter / PROGRAM).read_text(encoding="utf-8") == on_disk  # (nothing written)


@pytest.mark.parametrize(
    "args, code, out",
    [
        (("--check",), 1, "would reformat program.yaml\n1 file would be reformatted, 0 already formatted\n"),
        (
            ("--diff", "-"),
            0,
            "--- program.yaml\n+++ program.yaml\n@@ -1,6 +1,6 @@\n"
            " # yaml-language-server: $schema=../../schemas/program.schema.json\n+kind: program\n id: returns\n"
            "-kind: program\n",
        ),
    ],
)
def test_fmt_check_and_diff_of_the_buffer_say_what_they_say_of_a_file(
    init_starter: Path, args: tuple[str, ...], code: int, out: str
) -> None:
    on_disk = (init_starter / PROGRAM).read_text(encoding="utf-8")
    done = run_cli(
        "fmt", "--stdin-filename", "program.yaml", *args, cwd=init_starter / "policies/returns", stdin=_swapped(on_disk)
    )
    assert done.code == code and done.out.startswith(out), done
    clean = run_cli(
        "fmt", "--check", "--stdin-filename", "program.yaml", cwd=init_starter / "policies/returns", stdin=on_disk
    )
    assert (clean.code, clean.out) == (0, "0 files would be reformatted, 1 already formatted\n"), clean


def test_fmt_of_a_buffer_it_cannot_read_writes_nothing_to_standard_output(init_starter: Path) -> None:
    """An editor replaces its buffer with what comes back: a broken file gives nothing and exit 1."""
    done = run_cli("fmt", "--stdin-filename", PROGRAM, cwd=init_starter, stdin="id: [\n")
    assert (done.code, done.out) == (1, ""), done
    assert done.err.startswith(f"policyctl: {PROGRAM}:1:5: error[Y010]: cannot format: this `[` is never closed"), done


@pytest.mark.parametrize(
    "args, said",
    [
        (
            ("validate", "--stdin-filename", PROGRAM, DECISION),
            f"--stdin-filename reads one file from standard input; also given: {DECISION}",
        ),
        (
            ("fmt", "--stdin-filename", PROGRAM, "policies"),
            "--stdin-filename reads one file from standard input; also given: policies",
        ),
        (("fmt", "--stdin-filename", "-"), "--stdin-filename needs the path the text stands for"),
        (("validate", "--stdin-filename", "policies"), "--stdin-filename names a folder: policies"),
        (
            ("validate", "--stdin-filename", "policies/returns/pages/help.md.j2"),
            "--stdin-filename: only a YAML policy file is read from standard input, not policies/returns/pages/help.md.j2",
        ),
    ],
)
def test_stdin_filename_usage_errors(init_starter: Path, args: tuple[str, ...], said: str) -> None:
    refused = run_cli(*args, cwd=init_starter, stdin="kind: program\n")
    assert (refused.code, refused.out) == (2, ""), refused
    assert refused.err.split("\n")[0] == f"policyctl: error: {said}", refused


def test_a_replaced_file_never_answers_for_the_file_on_disk(init_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole repository checked with program.yaml replaced (a label the catalogs lack), then as
    it is on disk, in one process: the check of the catalogs, kept per the bytes it reads, keyed
    the replaced file by the disk's bytes, and the disk's check got the buffer's problems."""
    from engine.commands.validate import validate

    monkeypatch.chdir(init_repo)
    text = (init_repo / PROGRAM).read_bytes()
    assert b"label: Return window\n" in text
    relabelled = text.replace(b"label: Return window\n", b"label: Return period\n", 1)
    replaced = validate(["policies"], replaced={PROGRAM: relabelled})
    assert [(p.file, p.code) for p in replaced.problems] == [
        ("policies/returns/locales/de.po", "G004"),  # (the old label's translation)
        ("policies/returns/locales/de.po", "G002"),  # (the new label has none: where its entry belongs)
        ("policies/returns/locales/messages.pot", "G005"),
    ]
    assert f"'Return period' (written at {PROGRAM}:16)" in replaced.problems[1].message
    assert validate(["policies"]).problems == []
    assert validate(["policies"], replaced={PROGRAM: relabelled}).problems == replaced.problems


@pytest.mark.parametrize(
    "above, line",
    [
        ("", 15),  # the same lines as on disk, another text in the scalar
        ("# not saved yet\n", 16),  # a line more: the scalar on disk's line 16 is another one
    ],
    ids=["same-lines", "a-line-more"],
)
def test_an_expression_problem_in_the_buffer_is_placed_in_the_buffer(init_starter: Path, above: str, line: int) -> None:
    """The name's own column, as for the file on disk: the columns were read from the file on
    disk, whose scalar was not the buffer's, and the problem fell back to the opening quote."""
    text = (init_starter / DECISION).read_text(encoding="utf-8")
    written = '    when: "days_since_delivery <= params.return_window_days"\n'
    assert text.splitlines(keepends=True)[14] == written
    buffer = above + text.replace(written, written.replace("delivery", "delivry"), 1)
    found = run_cli("validate", "--stdin-filename", DECISION, cwd=init_starter, stdin=buffer)
    assert found.code == 1 and found.out.startswith(
        f"{DECISION}:{line}:12: error[E002]: unknown name `days_since_delivry`"
    ), found
