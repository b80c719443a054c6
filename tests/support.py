"""Helpers shared by the tests (fixtures live in conftest.py): where things are, editing a file,
running the command line in-process."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

    from engine.model.repository import Repository
    from engine.service.app import App

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
MINI = CORPUS / "repos" / "mini"
SITE_DAY = "2025-01-01"  # the day of conftest's `built_site` (the US change of 2023-07-01 in effect)


# Where the suite's temporary files go when nobody chose (see `scratch_folder`).
SCRATCH = "/dev/shm"
SCRATCH_ROOM = 2 << 30  # bytes free it needs: a run writes ~0.5 GB, most of it removed test by test


def scratch_folder(environ: Mapping[str, str], basetemp: str | None, folder: str = SCRATCH) -> str | None:
    """The folder for the suite's temporary files when it is to be ``folder`` (a tmpfs), else None.

    The tests write ~37,000 files (~480 MB) only to throw them away: copies of repositories, built
    sites, cache entries, two virtual environments. On a virtual disk (this project's two-core
    machine: ext4) creating and removing them was ~19 CPU-s of system time in a ~72 s run; in
    memory the same run took ~60 s. So they go to ``folder`` unless someone chose a place (TMPDIR,
    pytest's --basetemp or PYTEST_DEBUG_TEMPROOT), or it is missing, read-only, refuses to run
    programs (the wheel and pre-commit tests run scripts of virtual environments made there) or
    has less than SCRATCH_ROOM free. `TMPDIR=/tmp pytest ...` keeps them on the disk."""
    if basetemp or any(name in environ for name in ("TMPDIR", "PYTEST_DEBUG_TEMPROOT")):
        return None
    if not hasattr(os, "statvfs"):  # (Windows: no /dev/shm either)
        return None
    try:
        fs = os.statvfs(folder)
    except OSError:
        return None
    if fs.f_flag & (os.ST_RDONLY | os.ST_NOEXEC) or fs.f_bavail * fs.f_frsize < SCRATCH_ROOM:
        return None
    return folder if os.access(folder, os.W_OK | os.X_OK) else None


def compile_package(folder: str) -> None:
    """Bytecode for each module of ``folder`` that has none or an older one, written as Python
    writes it on import by default (``__pycache__``, by source time), even when
    PYTHONDONTWRITEBYTECODE is set. The suite starts ~50 processes that import the engine (`cli.py`
    as a user runs it, `serve`, `api`, the benchmark's commands) and has two workers: without
    bytecode each compiles again every engine module it imports, and the bytecode of a module
    edited since it was written is stale for all of them (~15 CPU-s of a ~120 CPU-s run, measured
    with a few edited modules; every module in a fresh clone). A folder that cannot be written
    (an installed wheel: pip wrote its bytecode) is left as it is."""
    import compileall

    if os.access(folder, os.W_OK):
        compileall.compile_dir(folder, quiet=2)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def place_of(path: Path, text: str) -> str:
    """`line:col` (1-based, in characters) where ``text`` first stands in the file ``path``: where a
    problem with it points (a translation's in a `.po` file: its msgstr, at the wrong text)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines) if text in line)
    return f"{number + 1}:{lines[number].index(text) + 1}"


def finishes(code: str, seconds: float = 60) -> str | None:
    """What `python -c CODE` prints, or None if it is still running after ``seconds``: for the
    inputs that once made a regular expression take minutes (Python's `re` holds the interpreter
    while it matches: a thread could not be waited for with a timeout, a process can)."""
    import subprocess
    import sys

    try:
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=seconds, check=True)
    except subprocess.TimeoutExpired:
        return None
    return run.stdout


def run_cli(*args: str, cwd: Path | None = None, stdin: str | None = None) -> CliRun:
    """Run the command line's click app in-process (fast) and return exit code and output."""
    from click.testing import CliRunner

    from engine.cli import main  # (the installed command line; cli.py at the top only calls it)

    runner = CliRunner()
    old = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        result = runner.invoke(main, list(args), input=stdin, catch_exceptions=True)
    finally:
        os.chdir(old)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliRun(result.exit_code, result.stdout, result.stderr)


def commands_in_one_process(
    cwd: Path,
    commands: tuple[tuple[str | Path, ...], ...],
    *,
    python: str | None = None,
    engine_from: Path | None = ROOT,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> list[subprocess.CompletedProcess[str]]:
    """Each command (a `policyctl` argument list, or (folder to run it from, *arguments) when its
    first item is a `Path`) in ``cwd``, one after the other, in ONE process of their own: click's app
    in process, as ``run_cli`` runs it, each from memos as empty as a new process's
    (`memo.clear_all`), a traceback it ends with added to its standard error. For tests that need a
    process (a hang must fail the test, not the run; an installed copy's engine): a process per
    command started Python and imported the engine for each, most of their time. ``python``: the
    interpreter (this one); ``engine_from``: the folder put first on its path (this clone; None:
    the engine the interpreter has installed)."""
    import json
    import sys

    script = (
        "import json, os, sys, traceback\n"
        + (f"sys.path.insert(0, {str(engine_from)!r})\n" if engine_from is not None else "")
        + "from click.testing import CliRunner\n"
        "from engine.cache import memo\n"
        "from engine.cli import main\n"
        "done = []\n"
        "for where, args in json.loads(sys.argv[1]):\n"
        "    memo.clear_all()\n"
        "    os.chdir(where)\n"
        "    r = CliRunner().invoke(main, args, catch_exceptions=True)\n"
        "    err = r.stderr\n"
        "    if r.exception is not None and not isinstance(r.exception, SystemExit):\n"
        "        err += ''.join(traceback.format_exception(r.exception))\n"
        "    done.append((r.exit_code, r.stdout, err))\n"
        "print(json.dumps(done))\n"
    )
    listed = [
        (str(args[0]), list(args[1:])) if args and isinstance(args[0], Path) else (str(cwd), list(args))
        for args in commands
    ]
    run = subprocess.run(
        [python or sys.executable, "-c", script, json.dumps(listed)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=None if env is None else dict(env),
    )
    assert run.returncode == 0, run
    return [
        subprocess.CompletedProcess(args, code, out, err)
        for args, (code, out, err) in zip(commands, json.loads(run.stdout), strict=True)
    ]


def git(cwd: Path, *args: str) -> None:
    """Run git in ``cwd`` as a test's made-up author (no signing), failing the test if git fails."""
    import subprocess

    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


class CliRun:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"CliRun(code={self.code}, out={self.out[:500]!r}, err={self.err[:500]!r})"


def call(
    app: App,
    method: str,
    path: str,
    body: bytes = b"",
    query: str = "",
    chunks: int = 1,
    length: int | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request through the ASGI app (engine.service.app, in process); the body arrives in
    ``chunks`` pieces; ``length``: the Content-Length the request declares (default: the body's).
    (status, headers, body)."""
    size = max(1, -(-len(body) // chunks))
    pieces = [body[i : i + size] for i in range(0, len(body), size)] or [b""]
    messages = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1} for i, p in enumerate(pieces)]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": [(b"content-length", str(len(body) if length is None else length).encode())],
    }
    asyncio.run(app(scope, receive, send))
    start = sent[0]
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


SPEC = "urn:policyctl:openapi"


def published(app: App, path: str, status: int, media: str = "application/json") -> Draft202012Validator:
    """The schema `GET /v1/openapi.json` publishes for ``path``'s POST answer with ``status`` (its
    `$ref`s resolved in the description itself), dates checked as dates (test_service's and the
    explained answers' tests)."""
    import json

    from jsonschema import Draft202012Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    spec = json.loads(call(app, "GET", "/v1/openapi.json")[2])
    steps = ("paths", path, "post", "responses", str(status), "content", media, "schema")
    pointer = "/".join(step.replace("~", "~0").replace("/", "~1") for step in steps)
    registry: Registry[Any] = Registry().with_resource(SPEC, DRAFT202012.create_resource(spec))  # (arbitrary JSON)
    checker = Draft202012Validator.FORMAT_CHECKER
    return Draft202012Validator({"$ref": f"{SPEC}#/{pointer}"}, registry=registry, format_checker=checker)


def fits(validator: Draft202012Validator, value: object) -> list[str]:
    """What in ``value`` does not fit the schema (nothing: it fits)."""
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(value)]


# -- what a repository declares, read from its files --------------------------------------------------
# Tests derive their expected pages, languages and counts from these, so they hold for any content.

INDEX_FILES = {"index.html", "index.json", "index.md"}
# beside the pages: the index, and the empty `.nojekyll` that keeps GitHub Pages from running Jekyll
SITE_FILES = INDEX_FILES | {".nojekyll"}


def declared_pages(policies: Path | str) -> set[str]:
    """`program/marketplace/language/page` of every page the repository declares: each page of a
    program's `pages.yaml` (without one, each `pages/*.md.j2`) in each marketplace the page names
    (default: the program's) and each language that marketplace lists and the program is written
    in (its `languages:`, English always). Read from the files rather than taken from the engine's
    plan, so that tests can hold the plan to it."""
    import engine

    return _declared_pages(engine.load(str(policies)))


def _declared_pages(repo: Repository) -> set[str]:
    import yaml

    # libyaml's safe loader where installed: the same documents, ten times faster than PyYAML's own
    # (tests call this for every build they check, and program.yaml files are long)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    found = set()
    for program in repo.programs.values():
        folder = Path(program.dir)
        if (folder / "pages.yaml").is_file():
            manifest = yaml.load((folder / "pages.yaml").read_text(encoding="utf-8"), Loader=loader)
            pages = {page: spec.get("marketplaces") or program.marketplaces for page, spec in manifest["pages"].items()}
        else:
            pages = {
                p.name[: -len(".md.j2")]: program.marketplaces
                for p in (folder / "pages").glob("*.md.j2")
                if not p.name.startswith("_")
            }
        written = yaml.load((folder / "program.yaml").read_text(encoding="utf-8"), Loader=loader).get("languages")
        for page, marketplaces in pages.items():
            for mp in marketplaces:
                found |= {
                    f"{program.id}/{mp}/{tag}/{page}"
                    for tag in repo.marketplaces[mp].locales
                    if written is None or tag in written or tag == "en"
                }
    return found


ORIGINAL = "original"  # the folder of the edition before a program's first dated change
FEED = "changes.atom"  # a program's change feed, one per marketplace and language


def effective_dates(policies: Path | str, program: str, marketplace: str, at: str) -> list[str]:
    """The days on or before `at` on which a value of the program changed in the marketplace
    (the timelines of its parameters), oldest first."""
    import engine

    return _effective_dates(engine.load(str(policies)), program, marketplace, at)


def _effective_dates(repo: Repository, program: str, marketplace: str, at: str) -> list[str]:
    return sorted(
        {change.start for change in repo.history(program, marketplace) if change.start and change.start <= at}
    )


def declared_editions(policies: Path | str, at: str) -> set[str]:
    """`program/marketplace/language/edition/page` of every past edition a build on day `at`
    publishes: each declared page of a program and marketplace whose values changed by then has
    its `original` edition (the rules before the first change) and one per change but the latest
    (that one is the current page), named by its day. Derived from the timelines, not from the
    engine's edition plan (engine/site/editions.py), so that tests can hold the plan to it."""
    import engine

    repo = engine.load(str(policies))
    return _declared_editions(repo, _declared_pages(repo), at)


def _declared_editions(repo: Repository, pages: set[str], at: str) -> set[str]:
    found = set()
    dates: dict[tuple[str, str], list[str]] = {}
    for page in pages:
        program, mp, tag, name = page.split("/")
        days = dates.get((program, mp))
        if days is None:
            days = dates[(program, mp)] = _effective_dates(repo, program, mp, at)
        if days:
            found |= {f"{program}/{mp}/{tag}/{folder}/{name}" for folder in (ORIGINAL, *days[:-1])}
    return found


def site_pages(policies: Path | str, at: str) -> set[str]:
    """Every page a build on day `at` renders: the current ones and the past editions (the
    repository loaded once: tests call this for every build they check)."""
    import engine

    repo = engine.load(str(policies))
    pages = _declared_pages(repo)
    return pages | _declared_editions(repo, pages, at)


def feeds_of(pages: set[str]) -> set[str]:
    """The change feeds beside these pages: one per program, marketplace and language with a past edition."""
    return {"/".join(page.split("/")[:3] + [FEED]) for page in pages if page.count("/") == 4}


# Pagefind's bundle: its UI and loader (fixed names), the WebAssembly search for languages without
# a stemmer of their own, and policyctl's script that starts the UI and its style sheet
SEARCH_UI = {
    f"_search/{name}"
    for name in (
        "pagefind.js",
        "pagefind-ui.js",
        "pagefind-ui.css",
        "pagefind-modular-ui.js",
        "pagefind-modular-ui.css",
        "pagefind-component-ui.js",
        "pagefind-component-ui.css",
        "pagefind-highlight.js",
        "pagefind-worker.js",
        "pagefind-entry.json",
        "wasm.unknown.pagefind",
        "policyctl-search.js",
        "policyctl-search.css",
    )
}


def _cbor(data: bytes, at: int = 0) -> tuple[Any, int]:
    """One CBOR item (the subset Pagefind writes: integers, strings, arrays, maps) and its end."""
    major, info = data[at] >> 5, data[at] & 0x1F
    at += 1
    if info >= 24:
        size = 1 << (info - 24)
        info, at = int.from_bytes(data[at : at + size], "big"), at + size
    if major in (0, 1):
        return (info if major == 0 else -1 - info), at
    if major in (2, 3):
        raw = data[at : at + info]
        return (raw.decode("utf-8") if major == 3 else raw), at + info
    items: list[Any] = []
    for _ in range(info * (2 if major == 5 else 1)):
        item, at = _cbor(data, at)
        items.append(item)
    assert major in (4, 5), f"unexpected CBOR major type {major}"
    return items, at


def pagefind_meta(data: bytes) -> list[Any]:
    """A `.pf_meta` file: [version, pages [[fragment, words]], index chunks [[from, to, file]],
    filters [[name, file]], sorts, meta fields]."""
    import gzip

    raw = gzip.decompress(data)
    assert raw.startswith(b"pagefind_dcd")
    meta, end = _cbor(raw, len(b"pagefind_dcd"))
    assert end == len(raw) and isinstance(meta, list)
    return meta


def search_files(policies: Path | str, out: Path | str) -> set[str]:
    """The search files a build of ``policies`` writes into ``out``: a search page per language
    of the current pages; Pagefind's bundle with, for each of those languages, its metadata and
    every file the metadata names (a fragment per current page, the index chunks, one filter each
    for program, marketplace and language, named in that language). Pagefind names these files by
    their content, so the names are read from the index; what is checked is that the index holds
    exactly the current pages of each language, and (by the caller's comparison) that no file is
    missing or left over."""
    import json

    current = declared_pages(policies)
    tags = {page.split("/")[2].lower() for page in current}
    files = SEARCH_UI | {f"search/{tag}.html" for tag in tags}
    entry = json.loads((Path(out) / "_search/pagefind-entry.json").read_text(encoding="utf-8"))
    assert set(entry["languages"]) == tags, (sorted(entry["languages"]), sorted(tags))
    for tag, language in entry["languages"].items():
        pages = {page for page in current if page.split("/")[2].lower() == tag}
        assert language["page_count"] == len(pages), (tag, language["page_count"], len(pages))
        meta_file = f"_search/pagefind.{language['hash']}.pf_meta"
        meta = pagefind_meta((Path(out) / meta_file).read_bytes())
        fragments, chunks, filters = meta[1], meta[2], meta[3]
        assert len(fragments) == len(pages)
        # program, marketplace and language, named in the page's language (the browser test checks
        # the names against the pages' own words)
        names = sorted(name for name, _ in filters)
        assert len(set(names)) == 3 and all(names), (tag, names)
        assert tag != "en" or names == ["Language", "Marketplace", "Program"], names
        files.add(meta_file)
        if language["wasm"]:
            files.add(f"_search/wasm.{language['wasm']}.pagefind")
        files |= {f"_search/fragment/{fragment}.pf_fragment" for fragment, _ in fragments}
        files |= {f"_search/index/{chunk[-1]}.pf_index" for chunk in chunks}
        files |= {f"_search/filter/{ref}.pf_filter" for _, ref in filters}
    return files


def site_files(policies: Path | str, at: str, out: Path | str | None = None) -> set[str]:
    """Every file a build on day `at` writes: the indexes, `.nojekyll`, the build record, each page's Markdown
    and HTML (past editions too) and the change feeds; with ``out`` (the folder built), the search
    files too (`search_files`)."""
    from engine.site.ownership import RECORD

    pages = site_pages(policies, at)
    found = SITE_FILES | {RECORD} | files_of(pages) | feeds_of(pages)
    return found if out is None else found | search_files(policies, out)


def select(
    pages: set[str], program: str | None = None, marketplace: str | None = None, locale: str | None = None
) -> set[str]:
    """The pages (current or past editions) of one program, marketplace and/or language."""

    def keep(path: str) -> bool:
        p, mp, tag = path.split("/")[:3]
        return program in (None, p) and marketplace in (None, mp) and locale in (None, tag)

    return {path for path in pages if keep(path)}


def files_of(pages: set[str]) -> set[str]:
    """The files a build writes for these pages: Markdown and HTML."""
    return {f"{page}.{ext}" for page in pages for ext in ("md", "html")}


def published_locales(policies: Path | str) -> dict[str, set[str]]:
    """Translation domain -> the languages its pages are published in, English (the source) left
    out: each program with pages, and `_site` (the shared layout) for every language of any page."""
    domains: dict[str, set[str]] = {}
    for page in declared_pages(policies):
        program, _, tag, _ = page.split("/")
        if tag != "en":
            domains.setdefault(program, set()).add(tag)
            domains.setdefault("_site", set()).add(tag)
    return domains


def catalog_size(policies: Path | str, domain: str) -> int:
    """The number of messages in a domain's committed template (`locales/messages.pot`)."""
    from babel.messages.pofile import read_po

    with open(Path(policies) / domain / "locales" / "messages.pot", "rb") as f:
        return sum(1 for message in read_po(f) if message.id)


def copy_program(policies: Path, program: str, new_id: str) -> None:
    """Add a second copy of a program under another id, as an author would: its folder copied, its
    `id:` changed, its catalog template extracted again (the template's header names its domain;
    the translations need nothing else: a program's translation domain is its folder)."""
    import shutil

    shutil.copytree(policies / program, policies / new_id)
    edit(policies / new_id / "program.yaml", f"\nid: {program}\n", f"\nid: {new_id}\n")
    run = run_cli("i18n", "extract", new_id, "--root", str(policies))
    assert run.code == 0, run


# Marketplaces to offer `policyctl init`'s starter (`returns`, in `us` [en] and `de` [de, en]) in
# more places, in the languages its catalogs have: (id, country, currency, time zone, locales)
MORE_MARKETPLACES = (
    ("at", "AT", "EUR", "Europe/Vienna", ("de",)),
    ("gb", "GB", "GBP", "Europe/London", ("en",)),
    ("ch", "CH", "CHF", "Europe/Zurich", ("de", "en")),
    ("nl", "NL", "EUR", "Europe/Amsterdam", ("en", "de")),
    ("se", "SE", "SEK", "Europe/Stockholm", ("en",)),
    ("pl", "PL", "PLN", "Europe/Warsaw", ("en",)),
    ("ie", "IE", "EUR", "Europe/Dublin", ("en",)),
    ("lu", "LU", "EUR", "Europe/Luxembourg", ("de",)),
)


def offer_in_more_marketplaces(top: Path, count: int) -> list[str]:
    """Offer the starter repository at ``top`` (made by `policyctl init`) in ``count`` marketplaces
    (2 to 10): its own two, then `MORE_MARKETPLACES`; their ids in the program's order."""
    more = MORE_MARKETPLACES[: count - 2]
    policies = top / "policies"
    text = "".join(
        f"  {mp}:\n    country: {country}\n    currency: {currency}\n    time_zone: {zone}\n"
        f"    locales: [{', '.join(locales)}]\n"
        for mp, country, currency, zone, locales in more
    )
    (policies / "marketplaces.yaml").write_text((policies / "marketplaces.yaml").read_text() + text)
    ids = ["us", "de", *(m[0] for m in more)]
    edit(policies / "returns" / "program.yaml", "marketplaces: [us, de]", f"marketplaces: [{', '.join(ids)}]")
    return ids


def listing(top: Path) -> dict[str, str]:
    """Every path under ``top`` (links not followed) with what it is: a file's text, a link's target
    (`-> TARGET`), "folder" or "named pipe" (never opened: that waits for a writer); to assert that
    a refused command left a tree as it was."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(top).as_posix()
            if path.is_symlink():
                found[rel] = "-> " + os.readlink(path)
            elif path.is_fifo():
                found[rel] = "named pipe"
            else:
                found[rel] = "folder" if path.is_dir() else path.read_text(encoding="utf-8")
    return found


# A decision that writes the bands out as rows instead of calling tier(): exactly what boundary
# checks are for. Its case declares which output reports the band.
FEE_BAND = """\
kind: decision
id: fee_band
title: Fee per day by lateness (bands written out)
inputs:
  days_late: {type: integer, minimum: 0}
required: [days_late]
hit: first
rules:
  - id: short
    when: "days_late <= 7"
    reason: First band.
    then: {fee: 0.25}
  - id: medium
    when: "days_late <= 30"
    reason: Second band.
    then: {fee: 0.5}
  - id: long
    reason: Third band.
    then: {fee: 1.0}
"""
FEE_BAND_CASES = """\
kind: tests
cases:
  - name: a week late is the first band
    decision: fee_band
    marketplace: nl
    at: "2024-05-01"
    input: {days_late: 3}
    expect: {fee: 0.25}
    boundaries: {parameter: late_fee_bands, outputs: [fee]}
"""


# The starter's decision as a `collect` table of one row whose output reads a `let` that fails for
# 0 days (`{when}`: the row's condition): explanations and answers must agree on it
# (tests/test_cli_decide.py, tests/test_service.py)
COLLECTED_ROW = """\
hit: collect
let:
  ratio: "100 // days_since_delivery"
rules:
  - id: by_ratio
    when: "{when}"
    reason: By ratio.
    then: {{allowed: "= ratio > 1", free_shipping: false}}
"""
