"""`policyctl validate`: exit codes, output formats, explicit paths."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from support import CORPUS, MINI, ROOT, edit, run_cli

DUP = str(CORPUS / "invalid" / "duplicate_key.yaml")


def test_clean_repository_exits_0() -> None:
    r = run_cli("validate", str(MINI))
    assert (r.code, r.out) == (0, "5 files checked: no problems\n")


def test_text_format() -> None:
    r = run_cli("validate", DUP)
    assert r.code == 1
    assert r.out == (
        f"{DUP}:3:1: error[Y012]: duplicate key `id` (first at line 2)\n"
        "  hint: remove one of them; YAML would otherwise silently keep only the last\n"
        "1 error in 1 of 1 file\n"
    )


def test_text_with_source_line() -> None:
    from engine.problems import Problem, report

    p = Problem("f.yaml", 2, 5, "S001", "bad", "fix it")
    assert report.text([p], 1, {"f.yaml": "a: 1\nb:  x\n"}) == (
        "f.yaml:2:5: error[S001]: bad\n    b:  x\n        ^\n  hint: fix it\n1 error in 1 of 1 file\n"
    )


def test_json_format() -> None:
    r = run_cli("validate", "--format", "json", DUP)
    assert r.code == 1
    body = json.loads(r.out)
    assert body["files"] == 1
    assert body["problems"] == [
        {
            "file": DUP,
            "line": 3,
            "column": 1,
            "code": "Y012",
            "severity": "error",
            "message": "duplicate key `id` (first at line 2)",
            "hint": "remove one of them; YAML would otherwise silently keep only the last",
        }
    ]


def test_github_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_WORKSPACE", str(ROOT))  # files are named from the checkout's top
    r = run_cli("validate", "--format", "github", DUP)
    assert r.code == 1
    assert r.out == (
        "::error file=tests/corpus/invalid/duplicate_key.yaml,line=3,col=1,title=Y012::duplicate key `id` (first at line 2)"
        "%0Ahint: remove one of them; YAML would otherwise silently keep only the last\n"
    )


def test_sarif_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_WORKSPACE", str(ROOT))
    r = run_cli("validate", "--format", "sarif", DUP)
    assert r.code == 1
    log = json.loads(r.out)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "policyctl"
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == ["Y012"]
    [result] = run["results"]
    assert result["ruleId"] == "Y012" and result["level"] == "error"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 3, "startColumn": 1}
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "tests/corpus/invalid/duplicate_key.yaml",
        "uriBaseId": "%SRCROOT%",
    }
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": ROOT.as_uri() + "/"}}


def test_sarif_rules_link_nowhere_that_does_not_exist() -> None:
    """Every rule's `helpUri` and the tool's `informationUri` were addresses under `.invalid` (a name
    that never resolves): each alert in code scanning linked to a page that cannot exist. The rule's
    help is its meaning and where every code is listed."""
    r = run_cli("validate", "--format", "sarif", DUP)
    assert "policyctl.invalid" not in r.out
    [rule] = json.loads(r.out)["runs"][0]["tool"]["driver"]["rules"]
    assert rule["help"] == {
        "text": "a key appears twice in one mapping. `policyctl validate --list-codes` lists every code."
    }


@pytest.mark.parametrize("inside", [True, False])
def test_sarif_uris_are_uri_references(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inside: bool) -> None:
    """A file name with `#`, `%20`, a space or a non-ASCII letter was written as is: `#` starts a
    fragment and `%20` reads as a space, so code scanning pointed at another path. Below the
    checkout's top, relative to %SRCROOT%; elsewhere, a `file://` URI."""
    from urllib.parse import unquote, urlparse

    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path if inside else ROOT))
    odd = tmp_path / "odd, name%20 #1:ü.yaml"
    shutil.copy(DUP, odd)
    uri = json.loads(run_cli("validate", "--format", "sarif", str(odd)).out)["runs"][0]["results"][0]["locations"][0][
        "physicalLocation"
    ]["artifactLocation"]["uri"]
    assert "#" not in uri and " " not in uri and uri.isascii(), uri
    assert unquote(uri) == odd.name if inside else unquote(urlparse(uri).path) == str(odd.resolve()), uri


def test_missing_path_is_a_usage_error() -> None:
    r = run_cli("validate", "no/such/file.yaml")
    assert r.code == 2
    assert "no such file or folder: no/such/file.yaml" in r.err


def test_unknown_option_is_a_usage_error() -> None:
    assert run_cli("validate", "--format", "xml", DUP).code == 2


def test_an_expression_over_several_lines_is_faulted_at_the_bad_name(mini: Path) -> None:
    decision = mini / "loans" / "decisions" / "late_fee.yaml"
    edit(
        decision,
        'when: "params.members_only and not member"',
        "when: >-\n      params.members_only\n      and not membr",
    )
    r = run_cli("validate", str(mini))
    assert r.code == 1
    assert r.out.splitlines()[0] == f"{decision}:19:15: error[E002]: unknown name `membr`; did you mean `member`?"


def test_a_constant_output_that_does_not_fit_is_faulted_at_its_value(mini: Path) -> None:
    decision = mini / "loans" / "decisions" / "late_fee.yaml"
    edit(decision, "then: {fee: 0, status: on_time}", "then: {fee: 0, status: ontime}")  # a flow mapping
    edit(decision, "      status: late\n", "      status: lat\n")  # a block mapping
    edit(decision, "outputs:\n", "default:\n  status: refered\noutputs:\n")
    r = run_cli("validate", "--format", "json", str(mini))
    assert r.code == 1
    found = [(p["code"], p["line"], p["column"], p["message"].split(":")[0]) for p in json.loads(r.out)["problems"]]
    assert found == [
        ("D003", 15, 28, "row `on_time`"),
        ("D003", 24, 15, "row `banded`"),
        ("D003", 26, 11, "`default`"),
    ]


def test_a_file_inside_a_repository_is_checked_in_context(mini: Path) -> None:
    edit(mini / "loans" / "marketplaces" / "no.yaml", "loan_days:", "loan_dayz:")
    r = run_cli("validate", str(mini / "loans" / "marketplaces" / "no.yaml"))
    assert r.code == 1
    assert "error[P002]: `loans` declares no parameter `loan_dayz`" in r.out
    assert "hint: did you mean `loan_days`?" in r.out


def test_a_non_yaml_file_is_reported(tmp_path: Path) -> None:
    f = tmp_path / "notes.txt"
    f.write_text("hello")
    r = run_cli("validate", str(f))
    assert r.code == 1 and "error[L004]" in r.out


def test_list_codes() -> None:
    r = run_cli("validate", "--list-codes")
    assert r.code == 0 and "Y012  a key appears twice in one mapping" in r.out
    # what a code covers as it is today: G011 said "(headings have no ids)" after headings got them,
    # and P009 only a parameter's `format`, when any author's schema with a format nothing checks is one
    assert "have no ids" not in r.out and "a heading's id is made from its text" in r.out
    assert "a `format` policyctl does not check" in r.out
    # and what today's checks say under them: fmt's unstable file (Y010), a loop of templates (G001),
    # a leftover page of `build --check` (G005), a bundle's sections edited with digests made again (B004)
    said = {line[:4]: line for line in r.out.splitlines()}
    assert "a file `fmt` cannot format stably" in said["Y010"], said["Y010"]
    assert "lead back to it" in said["G001"], said["G001"]
    assert "left over" in said["G005"], said["G005"]
    assert "sections not of its shape" in said["B004"], said["B004"]


def test_schema_command() -> None:
    r = run_cli("schema", "program")
    assert r.code == 0 and json.loads(r.out)["title"] == "policyctl program"
    assert run_cli("schema", "nope").code == 2


def test_a_report_shows_the_lines_of_files_read_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The texts a terminal report quotes are the files' own, from a first (parsed) and a second
    run (read from the cache, where long texts are kept compressed)."""
    import shutil

    from engine.commands.validate import validate
    from engine.problems import report
    from support import ROOT

    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", root)
    program = root / "csba" / "program.yaml"
    edit(program, "languages: [en, de, es, it, zh-Hans]", "languages: [en, de, es, it, zh-Hans]\nlabels: 3")
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    for _ in range(2):
        out = validate([str(root)])
        assert str(program) in {p.file for p in out.problems}
        for file in {p.file for p in out.problems if p.file.endswith(".yaml")}:
            assert out.sources[file] == Path(file).read_text(encoding="utf-8")
        assert len(out.sources) == out.files - sum(1 for _ in root.rglob("*.j2"))
        shown = report.text(out.problems, out.files, out.sources)
        quoted = next(p for p in out.problems if p.file == str(program))
        assert program.read_text(encoding="utf-8").splitlines()[quoted.line - 1].strip() in shown


def _errors(root: Path) -> list[dict[str, object]]:
    r = run_cli("validate", "--format", "json", str(root))
    assert r.code == 1, r
    return [p for p in json.loads(r.out)["problems"] if p["severity"] == "error"]


@pytest.mark.parametrize(
    "broken", ["loans/program.yaml", "loans/marketplaces/no.yaml", "loans/decisions/late_fee.yaml"]
)
def test_a_file_with_errors_is_reported_once_not_in_every_file_that_refers_to_it(tmp_path: Path, broken: str) -> None:
    """A file left out because of its own error (an unknown key: the schema refuses it) is not
    reported again by what refers to it: no "no program.yaml" for each file of its program, no
    "has no decision" for each of its test cases, no check of values it could not give."""
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    path = root / broken
    path.write_text(path.read_text(encoding="utf-8") + "unknown_key: 1\n", encoding="utf-8")
    errors = _errors(root)
    assert [(e["file"], e["code"]) for e in errors] == [(str(path), "S001")], errors


def test_a_decision_with_a_bad_id_is_one_error_not_one_per_test_case(tmp_path: Path) -> None:
    """Its test cases name it by its file name, which is what the bad `id:` was meant to be."""
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    path = root / "loans" / "decisions" / "late_fee.yaml"
    edit(path, "id: late_fee", "id: Late-Fee")
    errors = _errors(root)
    assert [(e["file"], e["code"]) for e in errors] == [(str(path), "S001")], errors


@pytest.mark.parametrize("broken", ["csba/program.yaml", "csba/decisions/fee.yaml"])
def test_templates_are_not_reported_for_what_a_file_with_errors_would_give(tmp_path: Path, broken: str) -> None:
    """Page templates name programs (`programs.csba`) and decisions (`examples.fee`): with that
    program's or decision's file left out because of its own error, only that error is reported."""
    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", root)
    path = root / broken
    path.write_text(path.read_text(encoding="utf-8") + "unknown_key: 1\n", encoding="utf-8")
    errors = _errors(root)
    assert {(e["file"], e["code"]) for e in errors} == {(str(path), "S001")}, errors


@pytest.mark.parametrize("key", ["Bad_Id", "123", "~", "bad-id"])
def test_an_invalid_parameter_id_is_reported_at_its_key(tmp_path: Path, key: str) -> None:
    """Not at the first key of its mapping (it said line 14 for a key on line 25)."""
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    program = root / "loans" / "program.yaml"
    edit(program, "\n  late_fee_bands:\n", f"\n  {key}:\n")  # the second parameter
    line = program.read_text(encoding="utf-8").splitlines().index(f"  {key}:") + 1
    errors = [e for e in _errors(root) if e["code"] == "S001"]
    assert [(e["line"], e["column"]) for e in errors] == [(line, 3)], errors


def test_a_null_the_schema_does_not_allow_says_how_to_allow_it(tmp_path: Path) -> None:
    """The guide's "not stated for this marketplace" (`value: null`) needs a schema that says so."""
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    edit(root / "loans" / "marketplaces" / "no.yaml", "    value: 14", "    value: null")
    (error,) = _errors(root)
    assert (error["code"], error["hint"]) == (
        "P003",
        'to say a value is not stated, let the schema allow it: `type: [integer, "null"]`',
    ), error


@pytest.mark.parametrize(
    ("folder", "hint"),
    [("lending", "write `id: lending` or rename the folder"), ("Loans", "rename the folder to `loans`")],
)
def test_a_program_folder_unlike_its_id_gets_a_hint_that_can_be_followed(
    tmp_path: Path, folder: str, hint: str
) -> None:
    """`write id: Loans` (it said so) is no id: only renaming the folder can fix that one."""
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    (root / "loans").rename(root / folder)
    problems = [e for e in _errors(root) if e["code"] == "L003"]
    assert len(problems) == 1 and str(problems[0]["hint"]).startswith(hint), problems


def test_a_template_syntax_error_is_one_problem(tmp_path: Path) -> None:
    """The template check and the catalogs' extraction both met it, with two hints: "2 errors"."""
    root = tmp_path / "policies"
    shutil.copytree(ROOT / "policies", root)
    page = root / "csba" / "pages" / "help.md.j2"
    edit(page, "{% endif %}", "{% endiff %}")
    errors = _errors(root)
    assert [(e["file"], e["code"]) for e in errors] == [(str(page), "G001")], errors


def test_a_quoted_date_that_is_no_day_says_so() -> None:
    """It said to write "an ISO date in quotes", which it was."""
    r = run_cli("validate", "--format", "json", str(CORPUS / "invalid" / "impossible_day.yaml"))
    (problem,) = json.loads(r.out)["problems"]
    assert problem["message"].endswith("`2024-02-30` is not a day of the calendar"), problem
    assert problem["hint"] == "check the day and the month"


@pytest.fixture(scope="module")
def broken_translation_and_template(init_starter: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the starter whose German catalog misses a message (G002) and whose page template
    names a parameter the program does not have (G007); read only by the cases below."""
    top = tmp_path_factory.mktemp("explicit") / "repo"
    shutil.copytree(init_starter, top)
    edit(top / "policies/returns/locales/de.po", 'msgstr "Die Kosten der Rücksendung tragen Sie."', 'msgstr ""')
    edit(top / "policies/returns/pages/help.md.j2", "p.return_window_days|duration", "p.return_window_dayz|duration")
    return top


CATALOG, TEMPLATE = "policies/returns/locales/de.po", "policies/returns/pages/help.md.j2"


@pytest.mark.parametrize(
    ("paths", "found"),
    [
        ([], {(CATALOG, "G002"), (TEMPLATE, "G007")}),  # the whole repository, as always
        (["policies/returns"], {(CATALOG, "G002"), (TEMPLATE, "G007")}),  # a program's folder: "no problems"
        (["policies/returns/locales"], {(CATALOG, "G002")}),
        ([CATALOG], {(CATALOG, "G002")}),  # was L004 "not a YAML file policyctl can check"
        (["policies/returns/pages"], {(TEMPLATE, "G007")}),
        ([TEMPLATE], {(TEMPLATE, "G007")}),  # only what a template may not do was checked
        (["policies/returns/program.yaml"], set()),  # a YAML file: its own problems
    ],
    ids=["all", "program", "locales", "catalog", "pages", "template", "yaml"],
)
def test_a_folder_or_file_given_is_checked_as_the_whole_repository_checks_it(
    broken_translation_and_template: Path, paths: list[str], found: set[tuple[str, str]]
) -> None:
    """`validate PATH` checked only the YAML files below a folder: a program's catalogs and templates
    with problems `validate` reports passed as "no problems", and a catalog given by name was refused."""
    r = run_cli("validate", "--format", "json", *paths, cwd=broken_translation_and_template)
    body = json.loads(r.out)
    assert {(p["file"], p["code"]) for p in body["problems"]} == found, body
    assert r.code == (1 if found else 0)


@pytest.mark.parametrize("given", [".", "top", "top/"])
def test_a_repositorys_top_given_is_the_whole_repository(init_repo: Path, given: str) -> None:
    """`policyctl validate .` from the top read the YAML files below it out of their repository, as
    loose files: a parameter the program does not declare (P002), a catalog or a template with
    problems, all passed as "5 files checked: no problems"."""
    edit(init_repo / "policies/returns/marketplaces/de.yaml", "  free_return_shipping:", "  free_return_shiping:")
    path = "." if given == "." else str(init_repo) + given.removeprefix("top")
    r = run_cli("validate", path, cwd=init_repo)
    whole = run_cli("validate", cwd=init_repo)
    assert r.code == 1 and "error[P002]: `returns` declares no parameter `free_return_shiping`" in r.out, r
    assert r.out.splitlines()[-1] == whole.out.splitlines()[-1] == "1 error in 1 of 6 files"
