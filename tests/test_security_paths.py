"""Every id that becomes part of an output path is an id, end to end (issue 8).

Programs, marketplaces, locales and pages name the folders and files of the site
(`<program>/<marketplace>/<locale>/<page>.md`). Each hostile name below goes into a temporary copy
of tests/corpus/hostile/site, where a folder or file name, a key or a value can carry it; `policyctl
validate` must refuse it with its code, and `policyctl build` must write nothing at all.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from support import CORPUS, run_cli

HOSTILE = CORPUS / "hostile" / "site"
NAMES = {
    "parent": "../../escape",
    "absolute": "/tmp/escape",
    "nul": "us\\0x",
    "newline": "us\\n",
    "trailing newline only": "us\n",
    "backslash": "..\\\\escape",
    "fullwidth": "ｕｓ",
    "cyrillic": "uѕ",
    "right-to-left override": "u\u202es",
    "dot": ".",
    "markup": '"><img src=x onerror=alert(1)>',
}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    dest = tmp_path / "policies"
    shutil.copytree(HOSTILE, dest)
    return dest


def yaml_string(name: str) -> str:
    return '"' + name.replace("\n", "\\n").replace('"', '\\"') + '"' if not name.startswith("us\\") else f'"{name}"'


def refused(site: Path, tmp_path: Path, *codes: str) -> None:
    checked = run_cli("validate", str(site))
    assert checked.code == 1 and any(f"error[{c}]" in checked.out for c in codes), checked
    assert "Traceback" not in checked.out + checked.err
    out = tmp_path / "out"
    built = run_cli("build", "--root", str(site), "--out", str(out), "--at", "2024-03-01")
    assert built.code == 1 and not out.exists(), built
    assert not (tmp_path / "escape").exists() and not Path("/tmp/escape").exists()


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_a_marketplace_id(site: Path, tmp_path: Path, name: str) -> None:
    quoted = yaml_string(name)
    marketplaces = site / "marketplaces.yaml"
    marketplaces.write_text(marketplaces.read_text().replace("  us:\n", f"  {quoted}:\n"))
    program = site / "demo" / "program.yaml"
    program.write_text(program.read_text().replace("marketplaces: [us]", f"marketplaces: [{quoted}]"))
    refused(site, tmp_path, "S001", "Y002")


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_a_locale(site: Path, tmp_path: Path, name: str) -> None:
    marketplaces = site / "marketplaces.yaml"
    marketplaces.write_text(
        marketplaces.read_text().replace("locales: [en, it]", f"locales: [en, {yaml_string(name)}]")
    )
    refused(site, tmp_path, "S001", "P010", "Y002")


@pytest.mark.parametrize("name", NAMES.values(), ids=NAMES.keys())
def test_a_program_id(site: Path, tmp_path: Path, name: str) -> None:
    program = site / "demo" / "program.yaml"
    program.write_text(program.read_text().replace("id: demo", f"id: {yaml_string(name)}"))
    refused(site, tmp_path, "S001", "L003", "Y002")


@pytest.mark.parametrize(
    "name",
    [n for n in NAMES.values() if "/" not in n and "\\" not in n and n != "."],
    ids=[k for k, n in NAMES.items() if "/" not in n and "\\" not in n and n != "."],
)
def test_a_program_folder(site: Path, tmp_path: Path, name: str) -> None:
    """The folder name must be the id, and the id must be an id: a folder of any other name is refused."""
    folder = name.replace("\\0", "x").replace("\\n", "\n")
    os.rename(site / "demo", site / folder)
    program = site / folder / "program.yaml"
    program.write_text(program.read_text().replace("id: demo", f"id: {yaml_string(name)}"))
    refused(site, tmp_path, "S001", "L003")


@pytest.mark.parametrize(
    "name",
    [n for k, n in NAMES.items() if "/" not in n and n != "." and k != "nul"],
    ids=[k for k, n in NAMES.items() if "/" not in n and n != "." and k != "nul"],
)
def test_a_page_template_file_name(site: Path, tmp_path: Path, name: str) -> None:
    """Without pages.yaml the file name is the page id."""
    file_name = name.replace("\\n", "\n").replace("\\\\", "\\") + ".md.j2"  # a file name cannot hold NUL
    shutil.copy(site / "demo" / "pages" / "help.md.j2", site / "demo" / "pages" / file_name)
    refused(site, tmp_path, "L006")


@pytest.mark.parametrize(
    "page, template",
    [
        ('"../x"', "help.md.j2"),
        ('"help\\n"', "help.md.j2"),
        ("help", '"../../../etc/passwd.md.j2"'),
        ("help", '"/etc/passwd.md.j2"'),
        ("help", '"help.md.j2\\n"'),
        ("help", '"_site/../../x.md.j2"'),
        ("help", '"..\\\\..\\\\x.md.j2"'),
        ("help", '"help.md.j2\\0"'),
    ],
)
def test_a_page_manifest(site: Path, tmp_path: Path, page: str, template: str) -> None:
    (site / "demo" / "pages.yaml").write_text(f"kind: pages\npages:\n  {page}:\n    template: {template}\n")
    refused(site, tmp_path, "S001", "G001")


def test_the_unchanged_site_builds_inside_its_output_folder(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = run_cli("build", "--root", str(site), "--out", str(out), "--at", "2024-03-01")
    assert r.code == 0, r
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert written == [
        ".nojekyll",
        ".policyctl-build.json",
        "demo/us/en/help.html",
        "demo/us/en/help.md",
        "demo/us/it/help.html",
        "demo/us/it/help.md",
        "index.html",
        "index.json",
        "index.md",
    ]


def test_fmt_does_not_write_through_a_link(tmp_path: Path) -> None:
    from support import MINI

    repo = tmp_path / "policies"
    shutil.copytree(MINI, repo)
    outside = tmp_path / "outside.yaml"
    outside.write_text(
        'kind: tests\ncases:\n  - {decision: late_fee, name: x, marketplace: nl, at: "2024-05-01", '
        "input: {days_late: 0}, expect: {fee: 0}}\n"
    )
    before = outside.read_bytes()
    link = repo / "loans" / "tests" / "linked.yaml"
    os.symlink(outside, link)
    r = run_cli("fmt", str(repo))
    assert r.code == 1 and f"{link}:1:1: error[L005]" in r.err, r
    assert outside.read_bytes() == before and link.is_symlink()


def _walked(root: str) -> list[tuple[str, str]]:
    """What L005 names, found as os.walk finds it (the plain reading `links.leaving` must agree with)."""
    top, found = os.path.realpath(root), []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames) + sorted(filenames):
            path = os.path.join(dirpath, name)
            if os.path.islink(path):
                outside = os.path.commonpath([os.path.realpath(path), top]) != top
                if outside or os.path.isdir(path):
                    found.append((path, "outside" if outside else "folder"))
    return found


def test_every_link_is_found_in_the_order_os_walk_finds_it(tmp_path: Path) -> None:
    from engine.source.links import leaving

    root, outside = tmp_path / "policies", tmp_path / "elsewhere"
    (outside / "deep").mkdir(parents=True)
    (outside / "secret.txt").write_text("x")
    for folder in ("a/b/c", "a/b2", "z", "m/n"):
        (root / folder).mkdir(parents=True)
    (root / "a" / "b" / "c" / "file.yaml").write_text("x: 1\n")
    links = {  # link -> target: out of the repository, in it, broken, a folder either way
        "a/b/c/out.txt": outside / "secret.txt",
        "a/b/in.yaml": root / "a" / "b" / "c" / "file.yaml",
        "a/b2/broken": tmp_path / "nothing",
        "a/linked-out": outside / "deep",
        "m/linked-in": root / "z",
        "m/n/0-first": outside,
        "top.txt": outside / "secret.txt",
    }
    for link, target in links.items():
        os.symlink(target, root / link)
    (root / "m" / "n" / "Zfile").write_text("")  # (upper case sorts first)
    found = [(p.file, "outside" if "outside" in p.message else "folder") for p in leaving(str(root))]
    assert found == _walked(str(root))
    # each folder's folders, then its files; then the folders below it, by name; "in.yaml" stays inside
    assert [(os.path.relpath(path, root), kind) for path, kind in found] == [
        ("top.txt", "outside"),
        ("a/linked-out", "outside"),
        ("a/b/c/out.txt", "outside"),
        ("a/b2/broken", "outside"),
        ("m/linked-in", "folder"),
        ("m/n/0-first", "outside"),
    ]
