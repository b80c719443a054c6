"""Bundles: made from a clean repository, byte-identical for the same sources, verified on load,
answering exactly what the repository answers, with no YAML, JSON Schema or Jinja2 code loaded."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import engine
from engine.bundle import fileformat
from engine.bundle.load import load_bundle
from engine.bundle.make import make
from engine.policytests import cases as testing
from engine.problems import PolicyError
from support import ROOT, edit, run_cli

POLICIES = ROOT / "policies"


@pytest.fixture(scope="module")
def repo() -> engine.Repository:
    loaded = engine.load(str(POLICIES))
    assert not [p for p in loaded.problems if p.severity == "error"]
    return loaded


@pytest.fixture(scope="module")
def bundle_file(repo: engine.Repository, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "policies.bundle"
    path.write_bytes(make(repo))
    return path


def _cases(repo: engine.Repository) -> list[engine.model.policy.TestCase]:
    return testing.cases(repo)


def test_every_policy_test_case_gets_the_repositorys_answer(
    repo: engine.Repository, bundle_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)  # where both name the files the same way: `policies/csba/...`
    bundle, here = load_bundle(str(bundle_file)), engine.load("policies")
    cases = _cases(repo)
    assert cases and len(bundle.cases()) == len(cases)
    for case in cases:
        ours = bundle.decide(case.program, case.decision, case.input, case.marketplace, case.at)
        theirs = here.decide(case.program, case.decision, case.input, case.marketplace, case.at)
        assert ours == theirs, case.name
        assert ours.explain().to_json() == theirs.explain().to_json(), case.name


def test_the_bundles_own_cases_pass_as_the_repositorys_do(repo: engine.Repository, bundle_file: Path) -> None:
    bundle = load_bundle(str(bundle_file))
    ours = testing.run(bundle, bundle.cases())
    theirs = testing.run(repo, _cases(repo))
    assert [(o.name, o.passed, o.mismatches, o.problems) for o in ours] == [
        (o.name, o.passed, o.mismatches, o.problems) for o in theirs
    ]


def test_parameters_of_every_period_are_the_resolved_ones(
    repo: engine.Repository, bundle_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    bundle, here = load_bundle(str(bundle_file)), engine.load("policies")
    for program in repo.programs.values():
        for mp in program.marketplaces:
            days = {"1999-01-01", "2099-12-31"} | {c.start for c in repo.history(program.id, mp)}
            for day in sorted(days):
                theirs, ours = here.resolve(program.id, mp, day), bundle.resolve(program.id, mp, day)
                assert ours.values == theirs.values, (program.id, mp, day)
                assert {n: (ours.provenance(n), ours.origin(n)) for n in ours.values} == {
                    n: (theirs.provenance(n), theirs.origin(n)) for n in theirs.values
                }, (program.id, mp, day)


def test_the_same_sources_make_the_same_bytes(repo: engine.Repository, bundle_file: Path) -> None:
    again = engine.load(str(POLICIES))
    assert make(again) == bundle_file.read_bytes()


def test_the_manifest_lists_every_source_file_and_the_versions(bundle_file: Path) -> None:
    manifest = load_bundle(str(bundle_file)).manifest
    files = {p.relative_to(ROOT).as_posix() for p in POLICIES.rglob("*") if p.is_file()}  # from the top
    assert set(manifest["sources"]) == files
    marketplaces = (POLICIES / "marketplaces.yaml").read_bytes()
    assert manifest["sources"]["policies/marketplaces.yaml"] == fileformat.sha256(marketplaces)
    assert set(manifest["dependencies"]) >= {"pyyaml", "jsonschema", "jinja2"} and manifest["engine"]["version"]


def test_answering_from_a_bundle_loads_no_yaml_jsonschema_or_jinja2(bundle_file: Path, tmp_path: Path) -> None:
    script = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); import engine\n"
        f"b = engine.load_bundle({str(bundle_file)!r})\n"
        "for p in b.programs:\n"
        "    for d in b.decisions(p):\n"
        "        b.compiled(p, d)\n"
        "r = b.decide('csba', 'fee', {'units': 1000, 'contacts': 40}, 'us', '2024-06-01')\n"
        "bad = b.decide('csba', 'fee', {'units': 'ten'}, 'us')\n"
        "assert r.ok and not bad.ok, (r, bad)\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'yaml', 'jsonschema', 'jinja2', 'ruamel', 'babel'}))"
    )
    # programs are named here only to give the subprocess a question; a folder with no policies
    found = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]", found.stderr


def test_decide_and_test_from_a_bundle_with_no_repository(bundle_file: Path, tmp_path: Path) -> None:
    request = json.dumps({"units": 1000, "contacts": 40})
    ours = run_cli(
        "decide",
        "csba.fee",
        "-m",
        "us",
        "--at",
        "2024-06-01",
        "--bundle",
        str(bundle_file),
        "--input",
        "-",
        "--explain",
        cwd=tmp_path,
        stdin=request,
    )
    # (no repository here: the files as stored, from the top, as the repository names them there)
    theirs = run_cli(
        "decide", "csba.fee", "-m", "us", "--at", "2024-06-01", "--input", "-", "--explain", cwd=ROOT, stdin=request
    )
    assert ours.code == 0 and ours.out == theirs.out and '"at": "policies/csba/decisions/fee.yaml:' in ours.out
    batch = "\n".join(json.dumps({"units": u, "contacts": 40}) for u in (10, 1000, 5000, -1)) + "\n"
    ours = run_cli(
        "decide", "csba.fee", "-m", "de", "--bundle", str(bundle_file), "--input", "-", cwd=tmp_path, stdin=batch
    )
    theirs = run_cli("decide", "csba.fee", "-m", "de", "--root", str(POLICIES), "--input", "-", stdin=batch)
    assert (ours.code, ours.out) == (theirs.code, theirs.out) and ours.code == 1  # -1 units: a D004 line
    tested = run_cli("test", "--bundle", str(bundle_file), cwd=tmp_path)
    assert tested.code == 0 and tested.out.splitlines()[-1].endswith(" passed, 0 failed")
    unknown = run_cli(
        "decide", "csba.nope", "-m", "us", "--bundle", str(bundle_file), "--input", "-", cwd=tmp_path, stdin="{}"
    )
    assert unknown.code == 2 and "L004" in unknown.err
    verified = run_cli("bundle", "--verify", str(bundle_file), cwd=tmp_path)  # it needed a repository here
    assert verified.code == 0 and verified.out.startswith(f"{bundle_file}: verified\n"), verified
    made = run_cli("bundle", cwd=tmp_path)  # making one still does
    assert made.code == 2 and "no policy repository" in made.err


def _tampered(bundle_file: Path, tmp_path: Path, line: int, old: bytes, new: bytes) -> Path:
    lines = bundle_file.read_bytes().split(b"\n")
    assert old in lines[line]
    lines[line] = lines[line].replace(old, new, 1)
    path = tmp_path / "tampered.bundle"
    path.write_bytes(b"\n".join(lines))
    return path


@pytest.mark.parametrize(
    ("line", "old", "new", "code", "where"),
    [
        (0, b'"python":"3', b'"python":"4', "B002", 1),  # the manifest
        (2, b'"USD"', b'"EUR"', "B002", 3),  # marketplaces
        (3, b'"trial_days":', b'"trial_dayz":', "B002", 4),  # parameters
        (4, b"v_units", b"v_unitz", "B002", 5),  # generated code
        (5, b'"expect":', b'"expekt":', "B002", 6),  # test cases
    ],
)
def test_a_tampered_bundle_is_refused_with_the_section_named(
    bundle_file: Path, tmp_path: Path, line: int, old: bytes, new: bytes, code: str, where: int
) -> None:
    path = _tampered(bundle_file, tmp_path, line, old, new)
    with pytest.raises(PolicyError) as raised:
        load_bundle(str(path))
    [problem] = raised.value.problems
    assert (problem.code, problem.file, problem.line) == (code, str(path), where)
    for run in (
        run_cli("decide", "csba.fee", "-m", "us", "--bundle", str(path), "--input", "-", stdin="{}"),
        run_cli("bundle", "--verify", str(path)),
        run_cli("test", "--bundle", str(path)),
    ):
        assert run.code == 1 and f"error[{code}]" in run.err + run.out and "Traceback" not in run.err + run.out


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "B001"),
        (b"kind: decision\n", "B001"),
        (b'{"bundle":"policyctl","format":99,"manifest":{}}\n', "B004"),
        (b'{"bundle":"policyctl","format":1,"manifest":{}}\n', "B004"),  # files named as the maker saw them
        (b'{"bundle":"policyctl","format":2,"manifest":{}}\n', "B004"),  # values kept without their sources
        (b'{"bundle":"policyctl","format":3,"manifest":{}}\n', "B001"),
    ],
)
def test_what_is_not_a_bundle_is_refused(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "x.bundle"
    path.write_bytes(content)
    run = run_cli("bundle", "--verify", str(path))
    assert run.code == 1 and f"error[{code}]" in run.out + run.err and "Traceback" not in run.out + run.err
    missing = run_cli("decide", "csba.fee", "-m", "us", "--bundle", str(tmp_path / "none"), "--input", "-", stdin="{}")
    assert missing.code == 2 and "B001" in missing.err


def test_code_the_compiler_never_writes_is_refused_even_with_matching_digests(
    bundle_file: Path, tmp_path: Path
) -> None:
    """The digests prove a bundle intact, not who made it: the generated code is checked too."""
    path = _forged(bundle_file, tmp_path, _replaced("v_units = inputs.get('units')", "v_units = ().__class__"))
    bundle = load_bundle(str(path))  # intact: the digests match
    with pytest.raises(PolicyError) as raised:
        bundle.decide("csba", "fee", {"units": 1}, "us")
    [problem] = raised.value.problems
    assert problem.code == "B004" and "attribute" in problem.message
    run = run_cli("bundle", "--verify", str(path))
    assert run.code == 1 and "error[B004]" in run.out + run.err


def _forged(bundle_file: Path, tmp_path: Path, edit_code: Callable[[str], str], name: str = "forged") -> Path:
    """The bundle with csba.fee's generated code edited by ``edit_code``, digests made again."""
    lines = bundle_file.read_bytes().split(b"\n")
    head, sections = json.loads(lines[0]), lines[2:-1]
    decisions = json.loads(lines[4])
    fee = decisions["csba"]["fee"]
    fee["python"] = edit_code(fee["python"])
    sections[2] = fileformat.encode(decisions)
    path = tmp_path / f"{name}.bundle"
    path.write_bytes(
        fileformat.seal(
            {k: v for k, v in head["manifest"].items() if k != "sections"},
            list(zip([n for n, _ in head["manifest"]["sections"]], map(json.loads, sections))),
        )
    )
    return path


def _resealed(bundle_file: Path, tmp_path: Path, section: str, where: tuple[Any, ...], value: Any) -> Path:
    """The bundle with one value of ``section`` (at the keys and indexes ``where``, `*`: the first
    of a dict or list) replaced by ``value``, every digest made again, as anyone can make them."""
    lines = bundle_file.read_bytes().split(b"\n")
    head = json.loads(lines[0])
    names = [n for n, _ in head["manifest"]["sections"]]
    sections = [json.loads(line) for line in lines[2:-1]]
    node = sections[names.index(section)]
    for k in where:
        parent, key = node, (next(iter(node)) if isinstance(node, dict) else 0) if k == "*" else k
        node = node[key]
    parent[key] = value
    path = tmp_path / "resealed.bundle"
    path.write_bytes(
        fileformat.seal({k: v for k, v in head["manifest"].items() if k != "sections"}, list(zip(names, sections)))
    )
    return path


# found by changing one value at random and sealing the bundle again: each was a traceback in
# `bundle --verify`, `test --bundle` or `decide --bundle`, or a 500 of the service in a request
# Generated code of a chain 50,000 deep: past what Python parses and compiles at its default
# recursion limit on every supported version (3.13 and 3.14 take 5,000 terms, which 3.11 and 3.12
# refused: the test's first chain passed there), so it is "nested too deeply" on each.
_DEEP = "-".join(["1"] * 50_000)
_DEEP_DETAIL = ": its generated code is nested too deeply"


@pytest.mark.parametrize(
    ("section", "where", "value", "detail"),
    [
        ("tests", (0,), [], None),  # a case that is not an object
        ("tests", (0, "pos"), [[]], None),  # a place too short
        ("tests", (0, "pos", 1), "9999-99-99", None),  # a line that is not a number
        ("tests", (0, "expect"), [[]], None),  # expectations that are not an object
        ("tests", (0, "decision"), [[]], None),  # a name that is not text
        ("decisions", ("cs_guidelines", "handler", "file"), None, ""),
        # code an explanation runs that the compiler never writes (refused by --explain, passed by --verify)
        (
            "decisions",
            ("csba", "fee", "rules", 0, "when", "python"),
            "().__class__",
            ": generated code reads an attribute",
        ),
        ("decisions", ("csba", "fee", "python"), _DEEP, _DEEP_DETAIL),
        ("programs", ("csba", "marketplaces", "us", "*", "sources", "*"), True, None),  # a record that is not one
        ("programs", ("csba", "marketplaces", "us", "*", "values"), [], None),
        ("programs", ("csba", "marketplaces", "us", -1, "from"), 5, None),  # a period's first day not text
        ("programs", ("csba", "marketplaces"), {"us": {"a": 1}}, None),
        ("marketplaces", ("us", "time_zone"), "Nowhere/At_All", None),
    ],
)
def test_a_bundle_whose_sections_are_of_another_shape_is_refused_not_a_traceback(
    bundle_file: Path, tmp_path: Path, section: str, where: tuple[Any, ...], value: Any, detail: str | None
) -> None:
    """Digests prove a bundle intact, not that policyctl made it: sections of another shape with
    matching digests are B004, from every command that reads a bundle and before the service
    swaps one in, never a traceback."""
    path = _resealed(bundle_file, tmp_path, section, where, value)
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # (Python's default: how deep code parses depends on it, and a test may raise it)
    try:
        _refused_by_every_reader(path, where, detail)
    finally:
        sys.setrecursionlimit(before)


def _refused_by_every_reader(path: Path, where: tuple[Any, ...], detail: str | None) -> None:
    message = (
        "the bundle's sections are not what this policyctl expects"
        if detail is None
        else f"decision `{where[0]}.{where[1]}` cannot be read from this bundle{detail}"
    )
    said = f"error[B004]: {message}"
    verify = run_cli("bundle", "--verify", str(path))
    assert (verify.code, said in verify.out + verify.err) == (1, True), verify
    tested = run_cli("test", "--bundle", str(path))
    assert (tested.code, said in tested.out + tested.err) == (1, True), tested
    for explain in ((), ("--explain",)):
        decided = run_cli(
            "decide",
            "csba.fee",
            "-m",
            "us",
            "--at",
            "2024-06-01",
            "--bundle",
            str(path),
            "--input",
            "-",
            *explain,
            stdin='{"units": 5}',
        )
        assert decided.code in (0, 1) and "Traceback" not in decided.out + decided.err, decided
        if said not in decided.out + decided.err:  # not refused: answered, exit 1 when the answer has an error
            assert decided.code == int('"severity": "error"' in decided.out), decided
        if explain and where[-2:] == ("when", "python"):  # code only an explanation runs: refused there (D005)
            assert '"code": "D005"' in decided.out and f"failed{detail}" in decided.out, decided
    from engine.service.state import Source

    with pytest.raises(PolicyError) as raised:
        Source(str(path), None).load()
    assert [(p.code, p.message) for p in raised.value.problems] == [("B004", message)]


def _replaced(old: str, new: str) -> Callable[[str], str]:
    """An edit of generated code: its first ``old`` becomes ``new`` (which must be there)."""

    def edit_code(python: str) -> str:
        assert old in python
        return python.replace(old, new, 1)

    return edit_code


@pytest.mark.parametrize(
    ("forgery", "said"),
    [
        ("{'basis': ().__class__}", "attribute"),  # in a dict's value, in a tuple, in a call
        ("{'basis': [x for x in inputs]}", "ListComp"),
        ("{'basis': _h_round(lambda: 1, 2)}", "Lambda"),  # a call's argument
        ("{'basis': 'tier' if __builtins__ else 'x'}", "__builtins__"),
        ("{'basis': open('x')}", "`open`"),
        ("{'basis': 'tier' and (yield)}", "Yield"),
    ],
)
def test_forbidden_code_is_found_at_any_depth(bundle_file: Path, tmp_path: Path, forgery: str, said: str) -> None:
    """Every node of the generated code is checked, however deep: in a row's outputs (a dict in a
    tuple in a call in a return in an if in a try in the function)."""
    path = _forged(bundle_file, tmp_path, _replaced("{'basis': 'refused'", forgery.removesuffix("}")))
    with pytest.raises(PolicyError) as raised:
        load_bundle(str(path)).decide("csba", "fee", {"units": 1}, "us")
    [problem] = raised.value.problems
    assert problem.code == "B004" and said in problem.message, problem.message


def test_a_bundle_whose_code_builds_results_the_old_way_is_refused(bundle_file: Path, tmp_path: Path) -> None:
    """Generated code of an older policyctl (`_new(_DR, (... 7 fields ...))`) would build results of
    the old shape: it names a global this policyctl no longer gives, so the bundle is refused (B004)."""

    def older(python: str) -> str:
        assert "return _DR((" in python
        return re.sub(
            r"return _DR\((.*), _self, inputs, params, at\)\)",
            r"return _new(_DR, \1, (_self, inputs, params, at)))",
            python,
        )

    path = _forged(bundle_file, tmp_path, older, "older")
    with pytest.raises(PolicyError) as raised:
        load_bundle(str(path)).decide("csba", "fee", {"units": 1}, "us")
    [problem] = raised.value.problems
    assert problem.code == "B004" and "`_new`" in problem.message and "make the bundle again" in problem.hint


def test_signed_bundles(repo: engine.Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    unsigned = tmp_path / "unsigned.bundle"
    unsigned.write_bytes(make(repo))
    monkeypatch.setenv(fileformat.KEY_VARIABLE, "first key")
    signed = tmp_path / "signed.bundle"
    signed.write_bytes(make(repo))
    assert load_bundle(str(signed)).signature_checked
    with pytest.raises(PolicyError) as raised:
        load_bundle(str(unsigned))
    assert raised.value.problems[0].code == "B003"
    monkeypatch.setenv(fileformat.KEY_VARIABLE, "another key")
    with pytest.raises(PolicyError) as raised:
        load_bundle(str(signed))
    assert raised.value.problems[0].code == "B003"
    monkeypatch.delenv(fileformat.KEY_VARIABLE)
    assert load_bundle(str(signed)).signed  # without a key only the digests can be checked
    assert "set POLICYCTL_BUNDLE_KEY" in run_cli("bundle", "--verify", str(signed)).out


def test_a_key_set_but_empty_is_refused_not_read_as_unset(
    repo: engine.Repository, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deployment whose secret was not filled in (`POLICYCTL_BUNDLE_KEY=`) neither makes an
    unsigned bundle nor accepts one: B003, and `bundle` writes nothing (exit 2)."""
    unsigned = tmp_path / "unsigned.bundle"
    unsigned.write_bytes(make(repo))
    monkeypatch.setenv(fileformat.KEY_VARIABLE, "")
    with pytest.raises(PolicyError) as raised:
        load_bundle(str(unsigned))
    assert [(p.code, p.message) for p in raised.value.problems] == [("B003", "POLICYCTL_BUNDLE_KEY is set but empty")]
    out = tmp_path / "new.bundle"
    made = run_cli("bundle", "--root", str(POLICIES), "--out", str(out))
    assert made.code == 2 and "POLICYCTL_BUNDLE_KEY is set but empty" in made.err and not out.exists(), made
    answered = run_cli("decide", "csba.fee", "-m", "us", "--bundle", str(unsigned), "--input", "-", stdin="{}")
    assert answered.code != 0 and "B003" in answered.err, answered


def test_a_repository_with_errors_is_not_bundled(mini: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.bundle"
    made = run_cli("bundle", "--root", str(mini), "--out", str(out))
    assert made.code == 0 and out.exists(), made
    assert load_bundle(str(out)).programs == ("loans",)
    umask = os.umask(0)
    os.umask(umask)
    # a bundle is deployed (copied into an image, read by a service's user): a new file's usual
    # permissions, not a temporary file's owner-only ones (it was 0600)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask
    before = out.read_bytes()
    program = next(mini.glob("*/program.yaml"))
    edit(program, "parameters:", "parameterz:")
    broken = run_cli("bundle", "--root", str(mini), "--out", str(out))
    assert broken.code == 1 and "no bundle was written" in broken.err and out.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["out.bundle", "policies"]  # no temporary file left beside it


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_a_table_is_answered_from_a_bundle_as_from_the_repository(
    bundle_file: Path, tmp_path: Path, suffix: str
) -> None:
    """`decide --bundle B --input T --output O` (a batch job from the deployed bundle) failed with a
    traceback: the output check asked the bundle for a policies folder it does not have."""
    pytest.importorskip("pyarrow")
    rows = tmp_path / "rows.csv"
    rows.write_text("units,contacts\n1000,40\n5,\n", encoding="utf-8")
    answers = {}
    for where in (["--bundle", str(bundle_file)], ["--root", str(POLICIES)]):
        out = tmp_path / f"{where[0][2:]}{suffix}"
        run = run_cli(
            "decide", "csba.fee", "-m", "us", "--at", "2024-06-30", *where, "--input", str(rows), "--output", str(out)
        )
        assert run.code == 0 and "Traceback" not in run.err, run
        answers[where[0]] = out.read_bytes()
    if suffix == ".jsonl":
        assert answers["--bundle"] == answers["--root"]


def test_making_and_verifying_a_bundle_name_the_revision_the_service_answers_with(
    init_repo: Path, tmp_path: Path
) -> None:
    """An engineer checks a rollout against `Policy-Revision`: `bundle` printed only the file's
    sha256 (another digest) and `--verify` no digest at all, so nothing said which revision a
    bundle file is."""
    from engine.service.state import from_file

    out = tmp_path / "policies.bundle"
    made = run_cli("bundle", "--out", str(out), cwd=init_repo)
    revision = from_file(str(out)).revision
    sha256 = fileformat.sha256(out.read_bytes())
    assert (made.code, made.out) == (
        0,
        f"wrote {out}: {out.stat().st_size} bytes, sha256 {sha256}, revision {revision}\n",
    )
    verified = run_cli("bundle", "--verify", str(out))
    assert verified.code == 0 and verified.out.splitlines()[:2] == [
        f"{out}: verified",
        f"  revision {revision} (the service's `Policy-Revision`)",
    ], verified


def test_a_bundle_on_standard_input_answers_as_its_file(bundle_file: Path, tmp_path: Path) -> None:
    """`-` for a bundle is standard input, as for `decide --input` (it was read as a file named `-`:
    "cannot read the bundle: No such file or directory")."""
    piped = bundle_file.read_text(encoding="utf-8")
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"units": 1000, "contacts": 40}), encoding="utf-8")
    decide = ("decide", "csba.fee", "-m", "us", "--at", "2024-06-01", "--input", str(request), "--explain")
    for args in (("test",), ("bundle",), decide):
        option = "--verify" if args == ("bundle",) else "--bundle"
        from_file = run_cli(*args, option, str(bundle_file), cwd=tmp_path)
        from_stdin = run_cli(*args, option, "-", cwd=tmp_path, stdin=piped)
        assert from_file.code == from_stdin.code == 0, (from_file, from_stdin)
        assert from_stdin.out == from_file.out.replace(f"{bundle_file}: verified", "<stdin>: verified"), args
    assert run_cli("bundle", "--verify", "-", cwd=tmp_path, stdin=piped).out.startswith("<stdin>: verified\n")
    broken = run_cli("test", "--bundle", "-", cwd=tmp_path, stdin=piped[:100])
    assert broken.code == 1 and broken.err.startswith("policyctl: <stdin>:1:1: error[B00"), broken


def test_a_bundle_from_closed_standard_input_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", None)
    with pytest.raises(PolicyError) as raised:
        load_bundle("-")
    assert raised.value.usage
    assert [str(p) for p in raised.value.problems] == [
        "<stdin>:1:1: error[B001]: cannot read the bundle: standard input is closed"
    ]


NO_STDIN = "policyctl: error: `-` (standard input) cannot be read here: "
NO_PLACE = "a policy file's kind and program come from where it stands in the repository"


@pytest.mark.parametrize(
    "args, said",
    [
        (
            ("decide", "csba.fee", "-m", "us", "--bundle", "-", "--input", "-"),
            "policyctl: error: --bundle - and --input - both read standard input\n",
        ),
        (
            ("api", "--bundle", "-"),
            "policyctl: error: the service's --bundle is a file it watches for a new bundle, not standard input\n",
        ),
        (("diff", "-", "HEAD"), NO_STDIN + "each side is a policies folder or a git revision\n"),
        (("diff", "HEAD", "-"), NO_STDIN + "each side is a policies folder or a git revision\n"),
        (("validate", "-"), NO_STDIN + NO_PLACE + "\n"),
        (("fmt", "--check", "-"), NO_STDIN + NO_PLACE + "\n"),
        (("test", "-"), NO_STDIN + "a tests file's program comes from where it stands in the repository\n"),
    ],
)
def test_where_standard_input_cannot_be_read_minus_is_refused_saying_why(
    tmp_path: Path, args: tuple[str, ...], said: str
) -> None:
    """Where policyctl needs a file where it stands, `-` is a usage error that says why (it was "no
    such file or folder: -", "`-` is neither a folder nor a git revision", or the bundle not found)."""
    refused = run_cli(*args, cwd=tmp_path, stdin="{}")
    assert refused.code == 2 and refused.out == ""
    assert refused.err.split("  hint: ")[0] == said, refused


# -- where a bundle's files are named -----------------------------------------------------------------


def test_a_bundle_is_the_same_bytes_however_and_wherever_it_is_made(
    init_starter: Path, init_repo: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A bundle named each file as the command that made it saw it: made with `--root /abs/path` it
    held absolute paths, so its bytes and revision changed with the folder it was made in (and the
    builder's folders were published by `decide --explain` and the service); made in policies/ it
    named `returns/...`. Every file is now named from the repository's top."""
    policies = init_starter / "policies"
    ways: list[tuple[Path, tuple[str, ...]]] = [
        (init_starter, ()),  # at the top
        (policies, ()),  # in its policies folder
        (policies / "returns", ()),  # in a program's folder
        (init_starter / "schemas", ("--root", "..")),  # the top, relative, from a folder beside policies/
        (tmp_path, ("--root", str(init_starter))),  # the top, absolute, from outside
        (tmp_path, ("--root", str(policies))),  # the policies folder, absolute
        (tmp_path, ("--root", os.path.relpath(policies, tmp_path))),  # the policies folder, relative
        (tmp_path, ("--root", "repo")),  # a copy of the repository in another folder
    ]
    made, said = set(), set()
    for i, (cwd, root) in enumerate(ways):
        out = tmp_path / f"{i}.bundle"
        run = run_cli("bundle", *root, "--out", str(out), cwd=cwd)
        assert run.code == 0, (cwd, root, run)
        made.add(out.read_bytes())
        said.add(run.out.split(": ", 1)[1])  # size, sha256 and revision
    [data] = made
    assert len(said) == 1 and fileformat.revision(data) in said.pop()
    assert str(tmp_path_factory.getbasetemp()).encode() not in data  # (every folder it was made in is below it)
    bundle = fileformat.verify("b", data)
    assert bundle.sections["marketplaces"]["us"]["pos"] == ["policies/marketplaces.yaml", 6, 3]
    assert {c["pos"][0] for c in bundle.sections["tests"]} == {"policies/returns/tests/return_allowed.yaml"}
    assert bundle.sections["decisions"]["returns"]["return_allowed"]["file"] == (
        "policies/returns/decisions/return_allowed.yaml"
    )
    assert "policies/returns/program.yaml" in bundle.manifest["sources"]


@pytest.fixture(scope="module")
def starter_bundle(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter's bundle, made from a copy of it in another folder (as CI makes one from its own
    checkout), with `--root` absolute."""
    copy = tmp_path_factory.mktemp("made") / "repo"
    shutil.copytree(init_starter, copy)
    out = copy.parent / "policies.bundle"
    made = run_cli("bundle", "--root", str(copy), "--out", str(out))
    assert made.code == 0, made
    shutil.rmtree(copy)  # (the repository it was made from is gone: the bundle needs none of it)
    return out


QUESTION = ("decide", "returns.return_allowed", "-m", "us", "--at", "2024-06-01", "--input", "-", "--explain")
ANSWER = '{"days_since_delivery": 40}'
AS_STORED = ("policies/returns/decisions/return_allowed.yaml", "policies/returns/program.yaml")


@pytest.mark.parametrize(
    ("where", "decision", "program"),
    [
        ("top", "policies/returns/decisions/return_allowed.yaml", "policies/returns/program.yaml"),
        ("top/policies", "returns/decisions/return_allowed.yaml", "returns/program.yaml"),
        ("top/policies/returns", "decisions/return_allowed.yaml", "program.yaml"),
        ("top/schemas", "../policies/returns/decisions/return_allowed.yaml", "../policies/returns/program.yaml"),
        ("no repository", *AS_STORED),
        ("another repository", *AS_STORED),  # whose top does not hold these files
    ],
)
def test_a_bundle_names_its_files_from_the_working_folder(
    init_starter: Path, starter_bundle: Path, tmp_path: Path, where: str, decision: str, program: str
) -> None:
    """In a clone of the repository the bundle was made from, `decide --bundle --explain` and `test
    --bundle` name files as `decide --explain` and `test` name them there (made in policies/ and used
    from the top, it said `returns/decisions/...` for `policies/returns/decisions/...`); elsewhere, as
    stored: from the repository's top."""
    if where == "another repository":
        (tmp_path / "policyctl.toml").write_text("", encoding="utf-8")
    cwd = init_starter / where.removeprefix("top").lstrip("/") if where.startswith("top") else tmp_path
    bundle = ("--bundle", str(starter_bundle))
    explained = run_cli(*QUESTION, *bundle, cwd=cwd, stdin=ANSWER)
    answer = json.loads(explained.out)
    assert explained.code == 0 and [r["at"] for r in answer["rows"]] == [f"{decision}:14", f"{decision}:18"]
    assert answer["params"]["return_window_days"]["from"] == f"{program}:18"
    text = run_cli(*QUESTION, "--format", "text", *bundle, cwd=cwd, stdin=ANSWER)
    found = re.findall(r"\[([^\]]+)\]", text.out)
    assert found == [f"{decision}:14", f"{decision}:18", f"{program}:18, base; until 2025-01-01"]
    tested = run_cli("test", *bundle, "--format", "json", cwd=cwd)
    files = {t["file"] for t in json.loads(tested.out)["tests"]}
    assert tested.code == 0 and files == {decision.replace("decisions/return_allowed", "tests/return_allowed")}
    if where.startswith("top"):  # what the repository itself says there, byte for byte
        for args in (QUESTION, (*QUESTION, "--format", "text")):
            assert run_cli(*args, *bundle, cwd=cwd, stdin=ANSWER).out == run_cli(*args, cwd=cwd, stdin=ANSWER).out
        assert run_cli("test", *bundle, "-v", cwd=cwd).out == run_cli("test", "-v", cwd=cwd).out
