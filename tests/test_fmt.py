"""`policyctl fmt`: canonical key order and layout, comments kept, data never changed, idempotent."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import packaged
from engine.cache import memo
from engine.source import fmt, layout
from engine.source.loader import load_text
from support import CORPUS, MINI, ROOT, run_cli

FILES = sorted(
    {
        *layout.yaml_files(str(ROOT / "policies")),
        *layout.yaml_files(str(MINI)),
        *layout.yaml_files(str(CORPUS / "valid")),
    }
)


def _roundtrip(text: str, kind: str | None) -> str:
    done = fmt.format_text(text, "t.yaml", kind)
    assert done.problem is None, done.problem
    assert done.text is not None
    return done.text


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(Path(p).relative_to(ROOT)))
def test_every_file_keeps_its_data_and_comments_and_is_idempotent(path: str) -> None:
    original = Path(path).read_text(encoding="utf-8")
    kind = fmt.kind_of(path, None, original)
    once = _roundtrip(original, kind)
    assert fmt.identical(load_text(original, path).data, load_text(once, path).data)
    assert fmt.comments(original) == fmt.comments(once)
    assert _roundtrip(once, kind) == once


def test_canonical_order_moves_comments_with_their_keys() -> None:
    source = (
        "# a program\n"
        "id: x  # the id\n"
        "kind: program\n"
        "names: {en: X,   de: Y}\n"
        "marketplaces:\n"
        "- us\n"
        "parameters:\n"
        "  a:\n"
        "    # about the value\n"
        "    value: 1\n"
        "    source: here\n"
        "\n"
        "    # about the schema\n"
        "    schema:\n"
        "      type: integer  # whole days\n"
        "    description: d\n"
        "    changes:\n"
        "    - value: 2\n"
        '      from: "2024-01-01"\n'
        "    # the end of a\n"
        "  b:\n"
        "    value: [NO, yes, 0123, 24:00, 1e3, '07', \"NO\", ~]\n"
        "    schema: {type: array}\n"
        "    description: >-\n"
        "      folded\n"
        "      text\n"
    )
    assert _roundtrip(source, "program") == (
        "# a program\n"
        "kind: program\n"
        "id: x  # the id\n"
        "names: {en: X, de: Y}\n"
        "marketplaces:\n"
        "  - us\n"
        "parameters:\n"
        "  a:\n"
        "    description: d\n"
        "\n"
        "    # about the schema\n"
        "    schema:\n"
        "      type: integer  # whole days\n"
        "    # about the value\n"
        "    value: 1\n"
        "    source: here\n"
        "    changes:\n"
        '      - from: "2024-01-01"\n'
        "        value: 2\n"
        "    # the end of a\n"
        "  b:\n"
        "    description: >-\n"
        "      folded\n"
        "      text\n"
        "    schema: {type: array}\n"
        "    value: [NO, yes, 0123, 24:00, 1e3, '07', \"NO\", null]\n"
    )


@pytest.mark.parametrize(
    "kind, source",
    [
        # names chosen by authors keep their order: parameters, inputs, `let` (its order is evaluation order)
        (
            "decision",
            "kind: decision\nid: d\ntitle: T\ninputs:\n  z: {type: integer}\n  a: {type: integer}\n"
            'let:\n  y: "z"\n  b: "y"\nrules:\n  - id: r\n    reason: R\n    then: {z: 1, a: 2}\n',
        ),
        # a file of unknown kind keeps its key order
        (None, "b: 1\na: 2\n"),
    ],
)
def test_author_order_is_kept(kind: str | None, source: str) -> None:
    assert _roundtrip(source, kind) == source


def test_rule_keys_follow_the_schema() -> None:
    source = "kind: decision\nid: d\ntitle: T\ninputs: {}\nrules:\n  - then: {x: 1}\n    reason: R\n    id: r\n"
    assert _roundtrip(source, "decision").endswith("rules:\n  - id: r\n    reason: R\n    then: {x: 1}\n")


def test_a_file_that_cannot_be_read_is_left_alone() -> None:
    done = fmt.format_text("a: 1\na: 2\n", "dup.yaml", None)
    assert (done.text, str(done.problem)) == (
        None,
        "dup.yaml:2:1: error[Y012]: cannot format: duplicate key `a` (first at line 1)",
    )


@pytest.mark.parametrize(
    ("source", "hint"),
    [
        ("kind: program\nid:returns\n", "write a space after the colon: `id: returns`"),
        ("a: [1\n", "end the list with `]` after its last item"),
        ("a:\n  b: 1\n c: 2\n", "indent it 2 spaces to add it to that mapping, or 0 to add it to the one that"),
        ("a: 1\na: 2\n", "remove one of them; YAML would otherwise silently keep only the last"),
    ],
    ids=["no space after colon", "unclosed bracket", "indented to no key", "duplicate key"],
)
def test_a_file_fmt_cannot_read_keeps_its_problems_hint(source: str, hint: str) -> None:
    """`fmt` said every such problem with "fix the file first (`policyctl validate`)" instead of the
    problem's own hint, the edit that fixes it, which validate then printed at the same place."""
    done = fmt.format_text(source, "p.yaml", None)
    first = load_text(source, "p.yaml").problems[0]
    assert done.problem is not None and done.problem.hint.startswith(hint)
    assert (done.problem.pos, done.problem.code, done.problem.message, done.problem.hint) == (
        first.pos,
        first.code,
        f"cannot format: {first.message}",
        first.hint,
    )


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lambda tree: tree.__setitem__("title", "Another"), "formatting would change this file's data"),
        (lambda tree: tree.ca.items.clear(), "formatting would lose or garble a comment"),
    ],
    ids=["data", "comment"],
)
def test_a_result_that_changed_data_or_lost_a_comment_is_refused(
    damage: Any, said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every result is checked against the original before it is returned: a reordering that
    changed a value or dropped a comment (a fault of ruamel.yaml or of ours) leaves the file alone."""
    source = "kind: decision\nid: d  # the id\ntitle: T\ninputs: {}\nrules: []\n"
    reorder = fmt.reorder

    def damaging(tree: Any, *args: Any) -> None:  # (called for the whole file, then for each part)
        reorder(tree, *args)
        if len(args) == 2:
            damage(tree)

    monkeypatch.setattr(fmt, "reorder", damaging)
    memo.clear_all()  # (nothing found formatted before answers)
    done = fmt.format_text(source, "d.yaml", "decision")
    assert done.text is None and done.problem is not None, done
    assert (done.problem.code, done.problem.line) == ("Y010", 1) and said in done.problem.message


@pytest.mark.parametrize(
    "source",
    [
        # a folded value whose last line ends in spaces, a blank line, then a comment: the blank
        # line was dropped, and formatting that result put the comment on the value's last line,
        # inside the value (refused, Y010): `fmt --check` failed on the file `fmt` had just written
        "kind: x\np:\n  note: >-\n    aaa\n    bbb.  \n\n  # c\n  q: 1\n",
        "kind: x\np:\n  note: >-\n    aaa\n    bbb.  \n  \n  # c\n  q: 1\n",
    ],
)
def test_what_fmt_writes_is_formatted_or_the_file_is_left_alone(tmp_path: Path, source: str) -> None:
    """`fmt` writes only what it would leave as it is: after `fmt`, `fmt --check` passes (or the
    file was left alone, with its problem, and the check says the same)."""
    path = tmp_path / "x.yaml"
    path.write_text(source, encoding="utf-8")
    memo.clear_all()
    first = run_cli("fmt", str(path))
    check = run_cli("fmt", "--check", str(path))
    if first.code == 0:
        assert (check.code, check.out) == (0, "0 files would be reformatted, 1 already formatted\n"), check
        assert load_text(path.read_text(encoding="utf-8"), str(path)).data == load_text(source, "x").data
    else:
        assert path.read_text(encoding="utf-8") == source  # left alone
        assert first.code == check.code == 1 and "error[Y010]: formatting would not be stable" in first.err + first.out


# -- the command -----------------------------------------------------------------------------------


def test_check_then_format_then_check(mini: Path) -> None:
    program = mini / "loans" / "program.yaml"  # `tiers` is written before `schema` there
    r = run_cli("fmt", "--check", str(mini))
    assert (r.code, r.out) == (1, f"would reformat {program}\n1 file would be reformatted, 4 already formatted\n")
    before = load_text(program.read_text(encoding="utf-8"), str(program)).data
    r = run_cli("fmt", str(mini))
    assert (r.code, r.out) == (0, f"reformatted {program}\n1 file reformatted, 4 already formatted\n")
    assert load_text(program.read_text(encoding="utf-8"), str(program)).data == before
    r = run_cli("fmt", "--check", str(mini))
    assert (r.code, r.out) == (0, "0 files would be reformatted, 5 already formatted\n")


def test_check_with_diff(mini: Path) -> None:
    r = run_cli("fmt", "--check", "--diff", str(mini / "loans" / "program.yaml"))
    assert r.code == 1
    assert "-    tiers: true\n" in r.out and "+    tiers: true\n" in r.out


def test_diff_alone_shows_and_changes_nothing(mini: Path) -> None:
    """As Black's `--diff`: the diff, "would reformat", exit 0; the file is as it was (`fmt --diff`
    once wrote it after showing the diff)."""
    program = mini / "loans" / "program.yaml"
    before = program.read_bytes()
    r = run_cli("fmt", "--diff", str(program))
    assert r.code == 0 and "-    tiers: true\n" in r.out, r
    assert r.out.endswith(f"would reformat {program}\n1 file would be reformatted, 0 already formatted\n"), r.out
    assert program.read_bytes() == before


def test_an_anchor_defined_twice_is_formatted_without_a_warning(tmp_path: Path) -> None:
    """Valid YAML (each alias takes the latest definition; `validate` accepts it): ruamel's
    ReusedAnchorWarning, with its own source path, was printed among fmt's output."""
    path = tmp_path / "de.yaml"
    path.write_text(
        "kind: overlay\nmarketplace: de\nparameters:\n  a:\n    value: 1\n    source: &src one\n"
        "  b:\n    value: 2\n    source: &src two\n",
        encoding="utf-8",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (a warning shown is one raised here)
        r = run_cli("fmt", "--check", str(path))
    assert (r.code, r.err) == (0, ""), r


def test_bad_files_and_paths(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1\n", encoding="utf-8")
    r = run_cli("fmt", "--check", str(bad))
    assert r.code == 1
    assert r.err.startswith(f"policyctl: {bad}:1:4: error[Y010]: cannot format: this `[` is never closed")
    assert r.out == "0 files would be reformatted, 0 already formatted, 1 could not be read\n"
    assert run_cli("fmt", str(tmp_path / "missing.yaml")).code == 2


def test_repository_is_formatted(chdir_root: Path) -> None:
    r = run_cli("fmt", "--check")
    assert r.code == 0, r.out


# -- files found formatted, kept (engine.cache.formatted) ------------------------------------------


@pytest.fixture
def formatted_for_real(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files fmt formats from now on, not answered by what it kept (each formatting starts by
    reading the file strictly; a file that changes is read once more: its result, to check it)."""
    paths: list[str] = []
    real = load_text  # (the function fmt names)

    def reading(text: str, path: str) -> Any:
        paths.append(path)
        return real(text, path)

    monkeypatch.setattr(fmt, "load_text", reading)
    return paths


def test_a_file_found_formatted_is_not_formatted_again(
    mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, formatted_for_real: list[str]
) -> None:
    """As Black's cache: a file `fmt` found formatted is answered from this process's memo and, in
    a later process, from the store; an edited file is formatted again; a file that would change,
    and so every file of a run with `--check`, is formatted on every run (only "formatted" is kept)."""
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    memo.clear_all()  # (as a new process: the memo is keyed by content, and other tests format these files)
    program = mini / "loans" / "program.yaml"  # not formatted (see test_check_then_format_then_check)
    others = sorted(set(layout.yaml_files(str(mini))) - {str(program)})

    def fmt_check(code: int) -> list[str]:
        formatted_for_real.clear()
        assert run_cli("fmt", "--check", str(mini)).code == code
        return sorted(set(formatted_for_real))

    assert fmt_check(1) == sorted([*others, str(program)])
    assert len(list((tmp_path / "cache" / "formatted").iterdir())) == len(others)
    assert fmt_check(1) == [str(program)]  # this process
    memo.clear_all()
    assert fmt_check(1) == [str(program)]  # a later one: the store
    assert run_cli("fmt", str(program)).code == 0
    assert fmt_check(0) == [str(program)]  # formatted now, so kept from now on
    assert fmt_check(0) == []
    edited = mini / "loans" / "decisions" / "late_fee.yaml"
    edited.write_text(edited.read_text(encoding="utf-8") + "# an edit\n", encoding="utf-8")
    assert fmt_check(0) == [str(edited)]
    assert "formatted" in run_cli("cache", "info").out


def test_new_schemas_or_no_cache_format_again(
    mini: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, formatted_for_real: list[str]
) -> None:
    """Key order comes from the schemas: with other schemas (a new engine, or an edited checkout),
    nothing found formatted before is taken as formatted. With the cache off, this process still
    remembers (as every memo does) and nothing is written."""
    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    memo.clear_all()
    files = sorted(layout.yaml_files(str(mini)))
    (mini / "loans" / "program.yaml").unlink()
    files.remove(str(mini / "loans" / "program.yaml"))
    assert run_cli("fmt", "--check", str(mini)).code == 0 and sorted(set(formatted_for_real)) == files
    formatted_for_real.clear()
    assert run_cli("fmt", "--check", str(mini)).code == 0 and formatted_for_real == []
    schemas = tmp_path / "schemas"
    shutil.copytree(packaged.schema_dir(), schemas)
    common = schemas / "common.schema.json"
    common.write_text(common.read_text(encoding="utf-8").replace('"$defs"', '"description": "edited", "$defs"', 1))
    monkeypatch.setattr(packaged, "schema_dir", lambda: str(schemas))
    assert run_cli("fmt", "--check", str(mini)).code == 0 and sorted(set(formatted_for_real)) == files
    assert not (tmp_path / "cache").exists()


# -- property: any order, any comments ---------------------------------------------------------------

_KEYS = ["description", "label", "schema", "tiers", "value", "source", "note", "assumption"]
_SCALARS = st.sampled_from(
    ["1", "0.10", "NO", "yes", "'0123'", "null", "true", '"x: y"', "[us, de]", "{a: 1}", "24:00"]
)


@st.composite
def _programs(draw: st.DrawFn) -> str:
    lines = ["kind: program", "id: x", "names: {en: X}", "parameters:"]
    for p in range(draw(st.integers(1, 3))):
        lines.append(f"  p{p}:")
        for key in draw(st.permutations(_KEYS)):
            if draw(st.booleans()):
                lines.append(f"    # about {key} of p{p}")
            lines.append(f"    {key}: {draw(_SCALARS)}" + (f"  # eol {key}" if draw(st.booleans()) else ""))
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None)
@given(_programs())
def test_any_order_keeps_data_and_comments(source: str) -> None:
    done = fmt.format_text(source, "p.yaml", "program")
    assert done.problem is None, done.problem
    assert done.text is not None
    assert fmt.identical(load_text(source, "p.yaml").data, load_text(done.text, "p.yaml").data)
    assert fmt.comments(source) == fmt.comments(done.text)
    assert _roundtrip(done.text, "program") == done.text
    for line in done.text.splitlines():  # an own-line comment stays right above the key it is about
        if line.strip().startswith("# about "):
            key = line.split()[2]
            following = done.text.splitlines()[done.text.splitlines().index(line) + 1].strip()
            assert following.startswith(f"{key}:") or following.startswith("# about "), done.text


def test_bad_input_corpus_never_crashes_and_is_left_alone(tmp_path: Path) -> None:
    import shutil

    shutil.copytree(CORPUS / "invalid", tmp_path / "invalid")
    before = {p.name: p.read_bytes() for p in (tmp_path / "invalid").iterdir()}
    r = run_cli("fmt", str(tmp_path / "invalid"))
    assert r.code == 1
    assert "Traceback" not in r.err
    assert r.out.endswith(" could not be read\n")
    assert {p.name: p.read_bytes() for p in (tmp_path / "invalid").iterdir()} == before
