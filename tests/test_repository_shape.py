"""A repository whose shape is wrong: marketplaces.yaml missing or a folder, program.yaml a folder,
a country CLDR does not know, named pipes and sockets among the sources.

Each is one error for people (file:line:col, a code, a hint), `validate` says so before `build`
would fail, `build` then writes and removes nothing, and nothing hangs or shows a traceback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support import ROOT, commands_in_one_process, edit, run_cli

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


@pytest.fixture
def repo(init_repo: Path) -> Path:
    return init_repo


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _errors(text: str) -> list[str]:
    """The `file:line:col: error[CODE]` heads of a report."""
    return [line.split(": ", 2)[0] + ": " + line.split(": ", 2)[1] for line in text.splitlines() if ": error[" in line]


def _cli(repo: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The command line in a process of its own, so that a hang fails the test instead of the run."""
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1"},
    )


# -- 1. marketplaces.yaml missing, or a folder ------------------------------------------------------------


@pytest.mark.parametrize("shape", ["missing", "folder"])
def test_marketplaces_yaml_missing_or_a_folder_is_an_error_and_build_removes_nothing(repo: Path, shape: str) -> None:
    marketplaces = repo / "policies" / "marketplaces.yaml"
    marketplaces.unlink()
    if shape == "folder":
        marketplaces.mkdir()
    pages = _tree(repo / "generated_docs")

    checked = run_cli("validate", cwd=repo)
    assert checked.code == 1, checked
    assert _errors(checked.out + checked.err) == [f"{os.path.join('policies', 'marketplaces.yaml')}:1:1: error[Y001]"]
    assert "hint: " in checked.out + checked.err and "Traceback" not in checked.out + checked.err
    if shape == "folder":  # the path itself names it (it said "0 files checked: no problems")
        named = run_cli("validate", os.path.join("policies", "marketplaces.yaml"), cwd=repo)
        assert named.code == 1 and "error[Y001]" in named.out + named.err, named

    built = run_cli("build", cwd=repo)
    assert built.code == 1 and "error[Y001]" in built.out + built.err, built
    assert _tree(repo / "generated_docs") == pages  # nothing written, nothing removed
    assert run_cli("build", "--check", cwd=repo).code == 1

    for args in (("test",), ("show", "returns", "-m", "us")):
        answered = run_cli(*args, cwd=repo)
        text = answered.out + answered.err
        assert answered.code == 1, (args, answered)
        assert "error[Y001]" in text and "is not offered in marketplace" not in text, (args, answered)


def test_policies_folder_without_marketplaces_yaml_is_found_through_policyctl_toml(repo: Path) -> None:
    from engine.source import layout, project

    policies = repo / "policies"
    (policies / "marketplaces.yaml").unlink()
    tests = policies / "returns" / "tests" / "return_allowed.yaml"
    assert layout.find_root(str(tests)) == str(policies)
    assert layout.find_root(str(policies)) == str(policies)
    assert layout.find_root(str(repo / "README.md")) is None  # in the repository, not in its policies
    assert project.at(str(policies)).policies == str(policies)  # `--root policies`
    assert run_cli("validate", "--root", "policies", cwd=repo).code == 1
    assert run_cli("validate", str(tests), cwd=repo).code == 0  # the file itself is sound


def test_a_marketplace_the_program_offers_but_marketplaces_yaml_lacks_is_named_as_such(repo: Path) -> None:
    from engine import PolicyError, load

    edit(repo / "policies" / "marketplaces.yaml", "  us:\n", "  uk:\n")
    loaded = load(str(repo / "policies"))
    with pytest.raises(PolicyError) as raised:
        loaded.resolve("returns", "us")
    problem = raised.value.problems[0]
    assert problem.message == "marketplace `us` is not declared in marketplaces.yaml"
    assert "declared: de, uk" in problem.hint


# -- 2. program.yaml a folder ---------------------------------------------------------------------------


def test_program_yaml_a_folder_is_one_error_at_it_and_no_cascade(repo: Path) -> None:
    program = repo / "policies" / "returns" / "program.yaml"
    program.unlink()
    program.mkdir()
    where = os.path.join("policies", "returns", "program.yaml")
    for args in ((), (os.path.join("policies", "returns"),), (where,)):
        checked = run_cli("validate", *args, cwd=repo)
        assert checked.code == 1, (args, checked)
        assert _errors(checked.out + checked.err) == [f"{where}:1:1: error[Y001]"], (args, checked)
    pages = _tree(repo / "generated_docs")
    assert run_cli("build", cwd=repo).code == 1
    assert _tree(repo / "generated_docs") == pages


def test_a_folder_with_a_yaml_name_where_no_file_is_expected_is_walked_as_before(repo: Path) -> None:
    folder = repo / "policies" / "returns" / "notes.yaml"
    folder.mkdir()
    assert run_cli("validate", cwd=repo).code == 0


# -- 3. a country CLDR does not know ----------------------------------------------------------------------


def test_unknown_country_is_reported_by_validate_at_the_value_and_build_has_no_traceback(repo: Path) -> None:
    marketplaces = repo / "policies" / "marketplaces.yaml"
    edit(marketplaces, "country: DE", "country: XX")
    line = next(i for i, text in enumerate(marketplaces.read_text().splitlines(), 1) if "country: XX" in text)
    col = marketplaces.read_text().splitlines()[line - 1].index("XX") + 1
    checked = run_cli("validate", cwd=repo)
    assert checked.code == 1, checked
    assert _errors(checked.out + checked.err) == [
        f"{os.path.join('policies', 'marketplaces.yaml')}:{line}:{col}: error[P010]"
    ], checked
    pages = _tree(repo / "generated_docs")
    built = _cli(repo, "build")
    assert built.returncode == 1 and "Traceback" not in built.stderr and "error[P010]" in built.stderr, built
    assert _tree(repo / "generated_docs") == pages


def test_a_country_cldr_cannot_name_in_a_published_language_is_reported(tmp_path: Path) -> None:
    from engine.i18n.regions import names_regions
    from engine.model.repository import load

    assert names_regions("de") and names_regions("de-AT") and names_regions("es-419")
    assert names_regions("zh-Hans") and names_regions("zh-Hant-HK") and names_regions("sr-Latn-BA")
    assert not names_regions("en-Dsrt") and not names_regions("wa") and not names_regions("zh-Latn")
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "marketplaces.yaml").write_text(
        "marketplaces:\n  be:\n    country: BE\n    currency: EUR\n    time_zone: Europe/Brussels\n"
        "    locales: [en, wa]\n",
        encoding="utf-8",
    )
    problems = [p for p in load(str(policies)).problems if p.code == "P010"]
    assert [(p.line, p.col) for p in problems] == [(3, 14)], problems
    assert "`BE` in `wa`" in problems[0].message


def test_regions_and_naming_languages_agree_with_babel() -> None:
    from babel import Locale
    from babel.core import get_global
    from babel.localedata import locale_identifiers

    from engine.i18n.regions import NAMING_LANGUAGES, REGIONS

    known = {code for code in get_global("territory_languages") if len(code) == 2 and code.isalpha()}
    assert known - {"ZZ"} == REGIONS
    for identifier in locale_identifiers():
        parts = identifier.split("_")
        scripted = len(parts) > 1 and len(parts[1]) == 4
        if "-".join(parts[:2] if scripted else parts[:1]) not in NAMING_LANGUAGES:
            continue  # (asked of Babel)
        names = Locale.parse(identifier).territories
        assert all(names.get(code) for code in REGIONS), identifier


def test_loading_a_repository_whose_languages_name_every_region_does_not_import_babel(tmp_path: Path) -> None:
    # Babel and its locale data cost every `policyctl validate` tens of milliseconds; the lists in
    # engine.i18n.regions exist so that loading never needs them for the usual languages.
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "marketplaces.yaml").write_text(
        "marketplaces:\n  cn:\n    country: CN\n    currency: CNY\n    time_zone: Asia/Shanghai\n"
        "    locales: [en, zh-Hans, zh-Hant-HK, de-AT]\n",
        encoding="utf-8",
    )
    script = (
        "import sys\nfrom engine.model.repository import load\n"
        f"assert not load({str(policies)!r}).problems\nprint(sorted(m for m in sys.modules if m.startswith('babel')))"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0 and ran.stdout.strip() == "[]", ran


# -- 4. named pipes, sockets: never opened ------------------------------------------------------------------


@needs_fifo
def test_read_bytes_refuses_a_named_pipe_without_waiting(tmp_path: Path) -> None:
    from engine.source.loader import NotRegular, load_file, read_bytes

    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    started = time.monotonic()
    for regular in (False, True):  # `regular`: a listing said so (a pipe put there since)
        with pytest.raises(NotRegular) as raised:
            read_bytes(str(pipe), regular=regular)
        assert raised.value.what == "a named pipe (FIFO)"
    assert [p.code for p in load_file(str(pipe)).problems] == ["L004"]
    assert time.monotonic() - started < 5
    with pytest.raises(IsADirectoryError):  # a folder fails as `open` makes it fail
        read_bytes(str(tmp_path))


@needs_fifo
def test_a_named_pipe_among_the_sources_is_reported_and_never_opened(repo: Path) -> None:
    pipe = repo / "policies" / "returns" / "tests" / "fifo.yaml"
    os.mkfifo(pipe)
    where = os.path.join("policies", "returns", "tests", "fifo.yaml")
    commands = (("validate",), ("validate", where), ("fmt", "--check"), ("fmt", where), ("test",), ("build",))
    for args, done in zip(commands, commands_in_one_process(repo, commands, env={**os.environ, "NO_COLOR": "1"})):
        assert done.returncode == 1, (args, done)
        assert f"{where}:1:1: error[L004]" in done.stdout + done.stderr, (args, done)
        assert "Traceback" not in done.stderr, (args, done)


@needs_fifo
def test_named_pipes_as_template_and_catalog_block_nothing(repo: Path) -> None:
    returns = repo / "policies" / "returns"
    os.mkfifo(returns / "pages" / "extra.md.j2")
    os.mkfifo(returns / "locales" / "fr.po")
    pages = _tree(repo / "generated_docs")
    commands = (("validate",), ("build",), ("i18n", "check"))
    for args, done in zip(commands, commands_in_one_process(repo, commands, env={**os.environ, "NO_COLOR": "1"})):
        text = done.stdout + done.stderr
        assert done.returncode == 1, (args, done)
        for path in (("pages", "extra.md.j2"), ("locales", "fr.po")):
            assert f"{os.path.join('policies', 'returns', *path)}:1:1: error[L004]" in text, (args, done)
        assert "error[G001]" not in text, (args, done)  # (once, as what it is: not also "cannot read")
    assert _tree(repo / "generated_docs") == pages


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")
def test_a_socket_among_the_sources_is_reported(repo: Path) -> None:
    from engine.model.repository import load

    policies = repo / "policies"
    here = os.getcwd()
    os.chdir(policies / "returns" / "decisions")  # (a socket's path has a short length limit)
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind("sock.yaml")
        problems = load(str(policies)).problems
    finally:
        server.close()
        os.chdir(here)
    assert [(os.path.basename(p.file), p.code, p.message.split(",")[0]) for p in problems] == [
        ("sock.yaml", "L004", "a socket")
    ]


def test_not_regular_names_each_kind_of_file() -> None:
    import stat

    from engine.source.layout import not_regular

    assert not_regular(stat.S_IFREG | 0o644) is None
    assert not_regular(stat.S_IFIFO) == "a named pipe (FIFO)"
    assert not_regular(stat.S_IFCHR) == "a character device"
    assert not_regular(stat.S_IFBLK) == "a block device"
    assert not_regular(stat.S_IFSOCK) == "a socket"
    assert not_regular(stat.S_IFDIR) == "a folder"


@needs_fifo
@pytest.mark.parametrize("name", ["stray.fifo", "stray"])
def test_a_named_pipe_in_the_output_folder_is_left_alone_and_never_opened(repo: Path, name: str) -> None:
    """Not policyctl's (it never writes one): left alone, like any file it did not write. Opened to
    be compared, it made `build` and `build --check` wait for ever. Nor is it G010 (a web server
    serves no named pipe), whether its name gives a type or not, when its first bytes would be sniffed."""
    pipe = repo / "generated_docs" / name
    os.mkfifo(pipe)
    commands = (("build", "--check"), ("build",))
    for args, done in zip(commands, commands_in_one_process(repo, commands, env={**os.environ, "NO_COLOR": "1"})):
        assert done.returncode == 0 and f"left alone, not written by policyctl: {name}" in done.stderr, (args, done)
    assert pipe.is_fifo()


def test_the_currencies_are_babels() -> None:
    """Every code accepted without Babel is one Babel knows; a code Babel knows and the list does
    not (one a later CLDR adds) is asked of Babel, so it is accepted too."""
    from babel.numbers import list_currencies

    from engine.i18n.regions import CURRENCIES, known_currency

    assert set(CURRENCIES) <= set(list_currencies())
    assert all(known_currency(code) for code in list_currencies())
    assert not known_currency("YEN") and not known_currency("usd")


@pytest.mark.parametrize(("currency", "ok"), [("YEN", False), ("JPY", True), ("XTS", True)])
def test_a_currency_cldr_does_not_know_is_p010(init_repo: Path, currency: str, ok: bool) -> None:
    """`YEN` fits the schema's `^[A-Z]{3}$` and was published as "YEN500.00"."""
    from engine.model.repository import load

    markets = init_repo / "policies" / "marketplaces.yaml"
    text = markets.read_text(encoding="utf-8")
    assert "currency: USD" in text
    markets.write_text(text.replace("currency: USD", f"currency: {currency}", 1), encoding="utf-8")
    lines = markets.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if f"currency: {currency}" in text)
    found = [(p.code, p.line) for p in load(str(init_repo / "policies")).problems if p.code == "P010"]
    assert found == ([] if ok else [("P010", line)]), found
