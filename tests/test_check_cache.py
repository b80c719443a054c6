"""Check results kept per content (engine.cache.checks): the template names check (G007) and the
catalogs' check (`validate`, `build`) give, after any edit of an input, what checking afresh
gives, positions included; an unchanged repository is not checked again, neither by a later
process (the disk store) nor by this one (the memo)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.cache import checks as kept_checks
from engine.commands.validate import validate
from engine.i18n import catalogs
from engine.problems import Problem
from engine.templates import names
from support import ROOT, edit, run_cli

HELP = "csba/pages/help.md.j2"
ANCHOR = "{% set day = p.tier_announcement_day|number %}"  # a line of its own in csba's page
PARAMETERS = "parameters:\n"
NEW_PARAMETER = (
    "parameters:\n  trial_day:\n    description: A parameter added by a test.\n"
    "    schema: {type: integer, minimum: 0}\n    value: 777\n    source: a test\n"
)
Edit = Callable[[Path], None]


def _text(file: str, old: str, new: str) -> Edit:
    return lambda policies: edit(policies / file, old, new)


def _append(file: str, text: str) -> Edit:
    def apply(policies: Path) -> None:
        path = policies / file
        path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")

    return apply


def _translation(file: str, change: Callable[[str], str]) -> Edit:
    """Change the first translation written on one line (``change``: old msgstr -> new)."""

    def apply(policies: Path) -> None:
        path = policies / file
        text = path.read_text(encoding="utf-8")
        found = re.search(r'^msgstr "(.+)"$', text, re.M)
        assert found, path
        path.write_text(text[: found.start(1)] + change(found.group(1)) + text[found.end(1) :], encoding="utf-8")

    return apply


def _fuzzy(file: str) -> Edit:
    """Mark the first message with a one-line English text fuzzy."""

    def apply(policies: Path) -> None:
        path = policies / file
        text = path.read_text(encoding="utf-8")
        found = re.search(r'^msgid ".+"$', text, re.M)
        assert found, path
        path.write_text(text[: found.start()] + "#, fuzzy\n" + text[found.start() :], encoding="utf-8")

    return apply


def _codes(problems: list[Problem], codes: str) -> list[Problem]:
    return [p for p in problems if p.code in codes.split()]


# (id, edits made before the first check, the edit of one input, the codes the edit changes)
CASES = [
    ("a page template's text", [], _text(HELP, ANCHOR, "{{ p.trial_day }}"), "G007"),
    (
        "a layout the page builds on",  # a name a `_site/` template binds is known to pages
        [_text(HELP, ANCHOR, "{{ trial_day }}")],
        _append("_site/page.md.j2", "{% set trial_day = 1 %}\n"),
        "G007",
    ),
    (
        "a parameter's name",
        [_text(HELP, ANCHOR, "{{ p.trial_day }}")],
        _text("csba/program.yaml", PARAMETERS, NEW_PARAMETER),
        "G007",
    ),
    (
        "a label's id",
        [_text(HELP, ANCHOR, '{{ "sellr"|label }}')],
        _text("csba/program.yaml", "  seller: Seller\n", "  seller: Seller\n  sellr: Seller\n"),
        "G007",
    ),
    ("a catalog's message", [], _translation("csba/locales/de.po", lambda _: ""), "G002"),
    ("a catalog's flag", [], _fuzzy("csba/locales/de.po"), "G003"),
    ("a message in a page template", [], _append(HELP, '{{ _("A sentence added by a test.") }}\n'), "G002 G005"),
    ("a message in a layout", [], _append("_site/page.md.j2", '{{ _("A test sentence.") }}\n'), "G002 G005"),
    (
        "a parameter's value (a fact a translation states)",
        [_translation("csba/locales/de.po", lambda old: old + " 777")],
        _text("csba/program.yaml", PARAMETERS, NEW_PARAMETER),
        "G006",
    ),
    ("a catalog removed", [], lambda policies: (policies / "csba/locales/it.po").unlink(), "G002"),
]
IDS = [case[0] for case in CASES]


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    """A copy of policies/ without cs_guidelines: every edit here is csba's or the shared layout's,
    and each check afresh (or build) of the whole repository also checked the other program's page
    and catalogs, in every case and every test (~0.5 of this module's ~7.5 CPU-s)."""
    shutil.copytree(ROOT / "policies", tmp_path / "policies", ignore=_other_program)
    return tmp_path / "policies"


def _other_program(folder: str, names: list[str]) -> list[str]:
    """shutil.copytree's `ignore`: cs_guidelines, at the top of policies/."""
    return ["cs_guidelines"] if Path(folder) == ROOT / "policies" else []


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Callable[[], list[Problem]]], list[Problem]]]:
    """``fresh(f)``: what ``f`` finds checking afresh (the disk cache off, no check result in
    memory; the other memos, of parsed files and compiled templates, give what parsing again gives:
    tests/test_document_memo.py)."""

    def run(f: Callable[[], list[Problem]]) -> list[Problem]:
        kept_checks.forget()
        with monkeypatch.context() as m:
            m.setenv("POLICYCTL_CACHE", "off")
            found = f()
        kept_checks.forget()
        return found

    yield run


def _catalog_problems(policies: Path) -> list[Problem]:
    """What a build refuses in the catalogs (engine.site.build.catalog_problems)."""
    from engine.model.repository import load
    from engine.site.build import catalog_problems, plan

    repo = load(str(policies))
    return sorted(catalog_problems(repo, plan(repo)), key=Problem.sort_key)


def _validated(policies: Path, languages: tuple[str, ...] | None = None) -> list[Problem]:
    return validate([str(policies)], languages=languages).problems


@pytest.mark.parametrize(("setup", "change", "codes"), [case[1:] for case in CASES], ids=IDS)
def test_an_edit_of_an_input_gives_the_fresh_answer(
    policies: Path, fresh: Callable[..., list[Problem]], setup: list[Edit], change: Edit, codes: str
) -> None:
    """(The memo and the disk share one key, made of the inputs: the answers here come from the
    disk, read back as a later process would; the memo's own hits are tested below.)"""
    for step in setup:
        step(policies)
    # (names are not a build's catalog check: G007 cases ask `validate` only)
    checks = [_validated] if codes == "G007" else [_validated, _catalog_problems]
    before = [check(policies) for check in checks]  # kept
    kept_checks.forget()
    change(policies)
    after = [check(policies) for check in checks]
    assert after == [fresh(lambda check=check: check(policies)) for check in checks]
    for now, then in zip(after, before):
        assert _codes(now, codes) != _codes(then, codes)  # (the edit changes the answer)


def test_the_languages_checked_are_in_the_key(policies: Path, fresh: Callable[..., list[Problem]]) -> None:
    (policies / "csba/locales/it.po").unlink()
    everything = _validated(policies)
    assert _codes(everything, "G002")
    only_german = _validated(policies, ("en", "de"))
    assert only_german == fresh(lambda: _validated(policies, ("en", "de")))
    assert only_german != everything


class Calls:
    """How often the two checks run (counted, not timed): a page template's names parsed and
    checked (`check_page`), a domain's catalogs checked (`check`)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsed = self.checked = 0
        page, check = names.check_page, catalogs.check

        def counted_page(*args: object) -> object:
            self.parsed += 1
            return page(*args)  # type: ignore[arg-type]

        def counted_check(*args: object, **kwargs: object) -> object:
            self.checked += 1
            return check(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(names, "check_page", counted_page)
        monkeypatch.setattr(catalogs, "check", counted_check)

    @property
    def both(self) -> tuple[int, int]:
        return self.parsed, self.checked


def test_a_warm_run_parses_no_template_and_checks_no_catalog(policies: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _text(HELP, ANCHOR, "{{ p.trial_day }}")(policies)  # (some problems to keep)
    _translation("csba/locales/de.po", lambda _: "")(policies)
    calls = Calls(monkeypatch)
    kept_checks.forget()
    first = _validated(policies), _catalog_problems(policies)
    assert calls.parsed > 0 and calls.checked > 0
    kept_checks.forget()  # a later process: from the disk store
    calls.parsed = calls.checked = 0
    assert (_validated(policies), _catalog_problems(policies)) == first
    assert calls.both == (0, 0)
    assert _validated(policies) == first[0]  # and from the memo
    assert calls.both == (0, 0)


def test_a_no_change_build_checks_no_catalog(policies: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    # (each build as a new process's: the first one checks and keeps on disk; from this process's
    # memo, which another test's copy of policies/ may have filled, it would keep nothing there)
    kept_checks.forget()
    assert run_cli("build", "--root", str(policies), "--out", str(out), "--at", "2025-01-01").code == 0
    calls = Calls(monkeypatch)
    kept_checks.forget()  # (a new process: the cache on disk only)
    again = run_cli("build", "--root", str(policies), "--out", str(out), "--at", "2025-01-01")
    assert again.code == 0 and "0 of" in again.out, again
    assert calls.checked == 0


def test_with_the_cache_off_the_memo_still_spares_a_second_check(
    policies: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    _text(HELP, ANCHOR, "{{ p.trial_day }}")(policies)
    calls = Calls(monkeypatch)
    kept_checks.forget()
    first = _validated(policies)
    assert _codes(first, "G007") and calls.parsed > 0 and calls.checked > 0
    calls.parsed = calls.checked = 0
    assert _validated(policies) == first
    assert calls.both == (0, 0)
    assert not (policies.parent / "off").exists()


def test_kept_problems_have_their_positions(policies: Path, fresh: Callable[..., list[Problem]]) -> None:
    """A hit gives each problem at the `file:line:col` checking gives, from memory and from disk."""
    _text(HELP, ANCHOR, "{{ p.trial_day }}")(policies)
    _translation("csba/locales/es.po", lambda _: "")(policies)
    _fuzzy("csba/locales/de.po")(policies)
    expected = [str(p) for p in fresh(lambda: _validated(policies))]
    assert {"G002", "G003", "G007"} <= {p.split("[")[1][:4] for p in expected}
    page = (policies / HELP).read_text(encoding="utf-8").split("\n")
    line, text = next((i, t) for i, t in enumerate(page, 1) if "{{ p.trial_day }}" in t)
    assert f"{policies / HELP}:{line}:{text.index('trial_day ') + 1}: error[G007]" in "\n".join(expected)
    assert [str(p) for p in _validated(policies)] == expected  # checked, kept
    assert [str(p) for p in _validated(policies)] == expected  # memo
    kept_checks.forget()
    assert [str(p) for p in _validated(policies)] == expected  # disk


def test_problems_name_files_as_the_repository_was_given(
    policies: Path, fresh: Callable[..., list[Problem]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Paths are in the key: the same tree checked from another folder names its files from there."""
    _text(HELP, ANCHOR, "{{ p.trial_day }}")(policies)
    (policies / "csba/locales/it.po").unlink()
    monkeypatch.chdir(policies)
    inside = validate(["."]).problems
    monkeypatch.chdir(policies.parent)
    outside = validate(["policies"]).problems
    assert {p.code for p in outside} >= {"G002", "G007"}
    assert all(p.file.startswith("policies/") for p in outside), outside
    assert outside == fresh(lambda: validate(["policies"]).problems)
    assert [p.file.removeprefix("policies/") for p in outside] == [p.file.removeprefix("./") for p in inside]


def test_a_check_that_fails_keeps_nothing(policies: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> list[Problem]:
        raise RuntimeError("a bug")

    real = names.check_page
    monkeypatch.setattr(names, "check_page", broken)
    kept_checks.forget()
    with pytest.raises(RuntimeError):
        _validated(policies)
    monkeypatch.setattr(names, "check_page", real)
    calls = Calls(monkeypatch)
    _validated(policies)
    assert calls.parsed > 0  # checked, not an empty answer kept from the failure


def test_a_file_edited_during_the_check_is_checked_again(
    policies: Path, fresh: Callable[..., list[Problem]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An answer found while an input changed is not kept: here the catalog changes after its key
    was made and before it is read, then changes back."""
    check = catalogs.check
    po = policies / "csba/locales/de.po"
    original = po.read_text(encoding="utf-8")
    edited: list[bool] = []

    def edit_then_check(*args: object, **kwargs: object) -> object:
        if not edited and getattr(args[0], "name", None) == "csba":  # (the domain of the catalog edited)
            edited.append(True)
            _fuzzy("csba/locales/de.po")(policies)
        return check(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(catalogs, "check", edit_then_check)
    kept_checks.forget()
    assert _codes(_catalog_problems(policies), "G003")  # (what the edited file has)
    monkeypatch.setattr(catalogs, "check", check)
    po.write_text(original, encoding="utf-8")
    assert _catalog_problems(policies) == fresh(lambda: _catalog_problems(policies))


def test_a_build_checks_the_catalogs_as_they_are_when_it_checks_them(policies: Path) -> None:
    """A build's catalog check reads the catalogs the build read for its pages (not parsed again:
    a repository can have more catalogs than the process memo holds), unless one was edited
    since: then that one as it is now, since the answer is kept under the bytes on disk now."""
    from engine.i18n.translator import Catalogs

    po = policies / "csba/locales/de.po"
    catalogs = Catalogs()
    first = catalogs.read(str(po), "de")
    assert catalogs.current(str(po), "de") is first
    _fuzzy("csba/locales/de.po")(policies)
    now = catalogs.current(str(po), "de")
    assert now is not first and now[0] is not None and first[0] is not None
    fuzzy = [m.id for m in now[0] if m.id and m.fuzzy]
    assert fuzzy and not [m.id for m in first[0] if m.id and m.fuzzy]
    assert catalogs.read(str(po), "de") is first  # (the build's own reading stays as the pages saw it)


# -- the same repository in another folder ------------------------------------------------------


def test_a_copy_in_another_folder_is_answered_with_its_own_paths(
    policies: Path, tmp_path: Path, fresh: Callable[..., list[Problem]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A copy given by its absolute path gets the original's answers without a check (in this
    process), each problem at the copy's own files, as checking the copy gives."""
    _text(HELP, ANCHOR, "{{ p.trial_day }}")(policies)
    _translation("csba/locales/es.po", lambda _: "")(policies)
    kept_checks.forget()
    original = _validated(policies), _catalog_problems(policies)
    assert _codes(original[0], "G002") and _codes(original[0], "G007") and _codes(original[1], "G002")
    copy = tmp_path / "elsewhere" / "policies"
    shutil.copytree(policies, copy)
    calls = Calls(monkeypatch)
    moved = _validated(copy), _catalog_problems(copy)
    assert calls.both == (0, 0)
    assert all(str(copy) in p.file for found in moved for p in found)
    assert moved == (fresh(lambda: _validated(copy)), fresh(lambda: _catalog_problems(copy)))


def test_a_copy_given_by_a_relative_path_is_checked(
    policies: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A relative path depends on the working directory: such a check is kept under its path only."""
    kept_checks.forget()
    monkeypatch.chdir(policies.parent)
    validate(["policies"])
    shutil.copytree(policies, tmp_path / "copy")
    calls = Calls(monkeypatch)
    validate(["copy"])
    assert calls.parsed > 0 and calls.checked > 0


def _synthetic(root: str, data: bytes, calls: list[str]) -> list[Problem]:
    def check() -> list[Problem]:
        calls.append(root)
        return [Problem(f"{root}/a.po", 3, 1, "G002", f"{root}/a.po: a message", f"see {root}/b.po")]

    return kept_checks.kept("translations", lambda: ["a test", root, f"{root}/a.po", data], check, root)


@pytest.mark.parametrize(
    ("first", "then", "data", "checked_again"),
    [
        ("/srv/a/policies", "/srv/b/policies", b"content", False),
        ("/srv/a/policies", "/srv/ab/policies", b"content", False),  # (one path the start of the other)
        ("/srv/a/policies", "/srv/b/policies", b"content naming /srv/b/policies", True),  # bytes hold the path
        ("/srv/a/policies", "/srv/b/policies", b"content naming /srv/a/policies", True),  # or the first one's
        ("policies", "other/policies", b"content", True),  # relative
        ("/", "/srv", b"content", True),  # the file system's root
    ],
)
def test_a_check_is_moved_to_another_root_only_when_that_is_checking_it(
    first: str, then: str, data: bytes, checked_again: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYCTL_CACHE", "off")  # (the memo's answers)
    kept_checks.forget()
    calls: list[str] = []
    assert _synthetic(first, data, calls) == [
        Problem(f"{first}/a.po", 3, 1, "G002", f"{first}/a.po: a message", f"see {first}/b.po")
    ]
    moved = _synthetic(then, data, calls)
    assert moved == [Problem(f"{then}/a.po", 3, 1, "G002", f"{then}/a.po: a message", f"see {then}/b.po")]
    assert calls == ([first, then] if checked_again else [first])
    kept_checks.forget()
