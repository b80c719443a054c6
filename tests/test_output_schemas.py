"""The outputs CI reads, held to their published schemas (tests/schemas, its README says whence):
every command and format that writes SARIF against the SARIF 2.1.0 schema and what GitHub code
scanning requires beyond it, `test --junit` against Jenkins' junit-10.xsd, and `--format github`
as GitHub's workflow commands. A field a reader rejects showed only in someone's CI."""

from __future__ import annotations

import functools
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import jsonschema
import pytest

from support import FEE_BAND, FEE_BAND_CASES, MINI, edit, run_cli

SCHEMAS = Path(__file__).parent / "schemas"
RETURNS = "policies/returns"


@functools.cache
def _sarif_schema() -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)
    assert validator is jsonschema.Draft4Validator  # (its `$schema`: the draft its keywords mean)
    validator.check_schema(schema)
    return validator(schema, format_checker=validator.FORMAT_CHECKER)


# what code scanning reads beyond the schema ("SARIF support for code scanning", GitHub's docs):
# it refuses a whole upload for a result with no location; rules need these texts (each at most
# 1024 characters); only the first of at most 10 locations is used; a relative URI is read from
# the repository's top, an absolute `file://` one is made relative to the checkout when below it
_RELATIVE = re.compile(r"(?:[A-Za-z0-9._~!$&'()*+,;=@/-]|%[0-9A-F]{2})+")


def code_scanning(log: dict[str, Any]) -> list[str]:
    """What GitHub code scanning would refuse, or misplace, in the SARIF log ``log``."""
    wrong = []
    if log.get("$schema") != "https://json.schemastore.org/sarif-2.1.0.json" or log.get("version") != "2.1.0":
        wrong.append(f"$schema and version: {log.get('$schema')!r}, {log.get('version')!r}")
    tops = [run.get("originalUriBaseIds", {}).get("%SRCROOT%", {}).get("uri", "") for run in log["runs"]]
    for run, top in zip(log["runs"], tops, strict=True):
        driver = run["tool"]["driver"]
        if not driver.get("name"):
            wrong.append("tool.driver.name is empty")
        rules = driver.get("rules", [])
        for rule in rules:
            for text in ("shortDescription", "fullDescription", "help"):
                said = rule.get(text, {}).get("text", "")
                if not said or len(said) > 1024:
                    wrong.append(f"rule {rule['id']}: {text}.text {said!r}")
        if "results" not in run:
            wrong.append("a run without results")
        for result in run.get("results", []):
            where = f"result {result.get('ruleId')}"
            index = result.get("ruleIndex")
            if index is None or rules[index]["id"] != result.get("ruleId"):
                wrong.append(f"{where}: ruleIndex {index} is not its rule")
            if not result.get("message", {}).get("text"):
                wrong.append(f"{where}: no message.text")
            if not 1 <= len(result.get("locations", [])) <= 10:
                wrong.append(f"{where}: {len(result.get('locations', []))} locations")
                continue
            physical = result["locations"][0].get("physicalLocation", {})
            artifact, region = physical.get("artifactLocation", {}), physical.get("region", {})
            if region.get("startLine", 0) < 1 or region.get("startColumn", 1) < 1:
                wrong.append(f"{where}: region {region}")
            uri = artifact.get("uri", "")
            if artifact.get("uriBaseId") is not None:
                if artifact["uriBaseId"] != "%SRCROOT%" or not top.startswith("file:///") or not top.endswith("/"):
                    wrong.append(f"{where}: base {artifact['uriBaseId']} of {top!r}")
                if not _RELATIVE.fullmatch(uri) or uri.startswith("/") or ".." in uri.split("/"):
                    wrong.append(f"{where}: {uri!r} is no relative path below the checkout's top")
            elif urlparse(uri).scheme != "file" or any(t and uri.startswith(t) for t in tops):
                # (a file of the checkout named by its `file://` URI: GitHub names it from wherever
                # it was checked out, a path of no file of the repository)
                wrong.append(f"{where}: {uri!r} is neither relative nor a file outside the checkout")
    return wrong


def _sarif_ok(out: str) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(out)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _sarif_schema().iter_errors(log)]
    assert errors == [], errors
    assert code_scanning(log) == [], code_scanning(log)
    return log


# GitHub's workflow commands (actions/toolkit, command.ts): `::level props::data`; in data `%`,
# CR and LF are escaped (%25, %0D, %0A), in a property also `:` and `,` (%3A, %2C)
_COMMAND = re.compile(r"::(?P<level>error|warning|notice)(?: (?P<props>[^:]*))?::(?P<data>.*)")
_DATA_ESCAPES = {"%25": "%", "%0D": "\r", "%0A": "\n"}
_PROPERTY_ESCAPES = {**_DATA_ESCAPES, "%3A": ":", "%2C": ","}


def _unescape(text: str, escapes: dict[str, str]) -> str:
    assert re.fullmatch(r"(?:[^%\r\n]|" + "|".join(escapes) + ")*", text), f"not escaped: {text!r}"
    return re.sub("|".join(escapes), lambda m: escapes[m.group()], text)


def workflow_commands(out: str) -> list[tuple[str, dict[str, str], str]]:
    """Each line of ``out`` as a workflow command (level, properties, message), unescaped; fails on
    a line that is none or is escaped wrongly."""
    assert out == "" or out.endswith("\n"), out
    said = []
    for line in out.splitlines():
        m = _COMMAND.fullmatch(line)
        assert m, f"no workflow command: {line!r}"
        props = {}
        for prop in (m["props"] or "").split(",") if m["props"] else []:
            key, _, value = prop.partition("=")
            assert key in {"file", "line", "col", "endLine", "endColumn", "title"} and _, prop
            props[key] = _unescape(value, _PROPERTY_ESCAPES)
        assert {"line", "col"} <= set(props) or not {"line", "col"} & set(props), line
        assert all(props[k].isdigit() and int(props[k]) >= 1 for k in ("line", "col") if k in props), line
        assert "file" in props or "line" not in props, line
        said.append((m["level"], props, _unescape(m["data"], _DATA_ESCAPES)))
    return said


# --- every command that writes SARIF and workflow commands, clean and with problems ---


def _stale_page(top: Path) -> None:
    edit(top / RETURNS / "program.yaml", "value: 30\n", "value: 29\n")


def _banded(top: Path, broken: bool) -> None:
    """The made-up `loans` repository with bands written out as rows (a boundary check's matter);
    ``broken``: the second band's edge moved off its `up_to` (T003)."""
    loans = top / "policies" / "loans"
    (loans / "decisions/fee_band.yaml").write_text(FEE_BAND, encoding="utf-8")
    (loans / "tests/fee_band.yaml").write_text(FEE_BAND_CASES, encoding="utf-8")
    if broken:
        edit(loans / "decisions/fee_band.yaml", "days_late <= 30", "days_late < 30")


# name: (repository, the command's arguments, an edit that fails it (None: clean), the codes then)
Edit = Callable[[Path], None]
RUNS: dict[str, tuple[str, tuple[str, ...], Edit | None, set[str]]] = {
    "validate": ("starter", ("validate",), None, set()),
    "validate, a schema error": (
        "starter",
        ("validate",),
        lambda top: edit(top / RETURNS / "program.yaml", "title: Returns\n", "title: 5\n"),
        {"S001"},
    ),
    "test": ("starter", ("test",), None, set()),
    "test, a case fails": (
        "starter",
        ("test",),
        lambda top: edit(top / RETURNS / "program.yaml", "value: 30\n", "value: 31\n"),
        {"T001"},
    ),
    "test, its cases not run": (
        "starter",
        ("test",),
        lambda top: edit(top / RETURNS / "program.yaml", "title: Returns\n", "title: 5\n"),
        {"S001"},
    ),
    "test --boundaries": ("loans", ("test", "--boundaries", "-k", "week"), lambda top: _banded(top, False), set()),
    "test --boundaries, a band's edge": (
        "loans",
        ("test", "--boundaries", "-k", "week"),
        lambda top: _banded(top, True),
        {"T003"},
    ),
    "i18n check": ("starter", ("i18n", "check"), None, set()),
    "i18n check, a placeholder renamed": (
        "starter",
        ("i18n", "check"),
        lambda top: edit(top / RETURNS / "locales/de.po", "künftig %(new)s", "künftig %(neu)s"),
        {"G002"},
    ),
    "build --check": ("starter", ("build", "--check"), None, set()),
    "build --check, a stale page": ("starter", ("build", "--check"), _stale_page, {"G005"}),
}


@pytest.fixture
def loans(tmp_path: Path) -> Path:
    """The made-up `loans` repository as the policies folder of a git checkout's top."""
    top = tmp_path / "loans"
    shutil.copytree(MINI, top / "policies")
    (top / ".git").mkdir()
    return top


@pytest.fixture
def checkout(init_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    (init_repo / ".git").mkdir()
    return init_repo


@pytest.mark.parametrize("name", sorted(RUNS))
def test_every_sarif_and_annotation_is_what_ci_reads(
    name: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    repository, args, change, codes = RUNS[name]
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    top: Path = request.getfixturevalue("checkout" if repository == "starter" else "loans")
    if change is not None:
        change(top)
    here = top / "policies"  # (a subfolder: files are named from the checkout's top all the same)
    sarif = run_cli(*args, "--format", "sarif", cwd=here)
    assert sarif.code == (1 if codes else 0), sarif
    log = _sarif_ok(sarif.out)
    [run] = log["runs"]
    assert {r["ruleId"] for r in run["results"]} == codes
    # (a clean run's %SRCROOT% is the checkout's top too: it was the working folder)
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": top.resolve().as_uri() + "/"}}
    # each a file of the checkout (a page `build --check` finds missing: where it would be)
    named = {unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in run["results"]}
    assert all((top / file).is_file() or "G005" in codes for file in named), named
    github = run_cli(*args, "--format", "github", cwd=here)
    said = workflow_commands(github.out)
    assert {props["title"] for _, props, _ in said} == codes and len(said) == len(run["results"]), github
    assert {props["file"] for _, props, _ in said} == named, github


def test_a_file_outside_the_checkout_and_several_checkouts(
    checkout: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An absolute `file://` URI (a file outside GITHUB_WORKSPACE), and a run per checkout."""
    edit(checkout / RETURNS / "program.yaml", "title: Returns\n", "title: 5\n")
    other = tmp_path / "other"
    shutil.copytree(checkout, other)
    log = _sarif_ok(run_cli("validate", "--format", "sarif", str(checkout), str(other), cwd=tmp_path).out)
    assert len(log["runs"]) == 2
    elsewhere = tmp_path / "workspace"
    elsewhere.mkdir()
    monkeypatch.setenv("GITHUB_WORKSPACE", str(elsewhere))
    log = _sarif_ok(run_cli("validate", "--format", "sarif", cwd=checkout).out)
    [uri] = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert urlparse(uri).scheme == "file", uri


# --- the writers, with what the commands seldom give: no file, names to escape ---

HOSTILE = [
    ("a problem of no file", "<command line>", "no marketplace `u,s`: 50%", "known: us"),
    ("a problem of the arguments", "<arguments>", "a\r\nb", ""),
    ("a file named with , : % # and a space", "policies/a,b:c%d #e.yaml", "bad: `x`\nnext line", "50%: 1,2"),
]


@pytest.mark.parametrize(("file", "message", "hint"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_the_writers_keep_to_the_formats(
    file: str, message: str, hint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A problem of no file was a result at `file:///.../%3Ccommand%20line%3E`: a file of no
    repository, and (when it was a result with no location) an upload code scanning refuses whole.
    It is a notification of the run's invocation now; a result is never without its place."""
    from engine.problems import Problem
    from engine.problems.report import github, sarif
    from engine.source.project import report_roots

    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    problems = [Problem(file, 3, 7, "L004", message, hint), Problem("policies/x.yaml", 1, 1, "S001", "ok")]
    log = _sarif_ok(sarif(problems, 2, root=report_roots()))
    [run] = log["runs"]
    results = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    notes = run.get("invocations", [{}])[0].get("toolExecutionNotifications", [])
    said = message + (f" (hint: {hint})" if hint else "")
    if file.startswith("<"):
        assert results == ["policies/x.yaml"] and [n["message"]["text"] for n in notes] == [said], run
        assert run["invocations"][0]["executionSuccessful"] is False
        assert run["tool"]["driver"]["rules"][notes[0]["associatedRule"]["index"]]["id"] == "L004"
    else:
        assert [unquote(u) for u in results] == [file, "policies/x.yaml"] and "invocations" not in run, run
    [(level, props, data), _] = workflow_commands(github(problems, 2, root=report_roots()))
    expected = {"title": "L004"} if file.startswith("<") else {"file": file, "line": "3", "col": "7", "title": "L004"}
    assert (level, props, data) == ("error", expected, message + (f"\nhint: {hint}" if hint else ""))


def test_a_clean_sarif_names_the_checkouts_top(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no problems %SRCROOT% was the working folder (the writers get a function of each
    file's root, and there was no file to ask about): the same clean check said another source
    root from each folder it ran in."""
    from engine.problems.report import sarif
    from engine.source.project import report_roots

    (tmp_path / ".git").mkdir()
    (tmp_path / "policies" / "returns").mkdir(parents=True)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    for here in (tmp_path, tmp_path / "policies" / "returns"):
        monkeypatch.chdir(here)
        [run] = _sarif_ok(sarif([], 0, root=report_roots()))["runs"]
        assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/", here
        assert run["results"] == []


# --- JUnit XML against junit-10.xsd ---


@functools.cache
def _junit_schema() -> Any:
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(SCHEMAS / "junit-10.xsd")))


def junit_ok(xml: str) -> Any:
    """``xml`` valid against junit-10.xsd as published, but for `<testcase>`'s `file` and `line`
    (which GitLab, mikepenz/action-junit-report and dorny/test-reporter read, and the schema does
    not declare): each case has a `file`, named from the checkout's top, and a ran case its line."""
    from lxml import etree

    doc = etree.fromstring(xml.encode("utf-8"))
    for case in doc.iter("testcase"):
        file = case.attrib.pop("file")
        assert file and not file.startswith(("/", "../")) and "\\" not in file, file
        line = case.attrib.pop("line", None)
        assert line is not None or case.find("error") is not None, etree.tostring(case)
        assert line is None or (line.isdigit() and int(line) >= 1), line
    schema = _junit_schema()
    assert schema.validate(doc), [str(e) for e in schema.error_log]
    return doc


@pytest.mark.parametrize("name", sorted(n for n in RUNS if RUNS[n][1][0] == "test"))
def test_every_junit_report_is_junit_10(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    repository, args, change, codes = RUNS[name]
    top: Path = request.getfixturevalue("checkout" if repository == "starter" else "loans")
    if change is not None:
        change(top)
    report = tmp_path / "report.xml"
    run = run_cli(*args, "--junit", str(report), cwd=top / "policies")
    assert run.code == (1 if codes else 0), run
    doc = junit_ok(report.read_text(encoding="utf-8"))
    failed = {f.get("type") for f in doc.iter("failure")} | {"not run" for _ in doc.iter("error")}
    assert failed == ({"not run"} if name.endswith("not run") else codes), failed


def test_a_junit_report_of_names_xml_cannot_hold_is_junit_10() -> None:
    from engine.policytests.cases import Mismatch, NotRun, Outcome
    from engine.policytests.report import junit
    from engine.problems import Pos, Problem

    outcomes = [
        Outcome('a\x01b <&> "c"', "p", "d", Pos("p/tests/t.yaml", 2, 5), "p.d · us", mismatches=(Mismatch("k", 1, 2),)),
        Outcome("passes", "p", "d", Pos("p/tests/t.yaml", 9, 5), "p.d · us"),
    ]
    left_out = [NotRun("q/tests/u.yaml", "q", None, Problem("q/program.yaml", 1, 1, "S001", "bad\x0b"))]
    junit_ok(junit(outcomes, 0.5, left_out))
