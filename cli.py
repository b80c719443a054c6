"""policyctl — marketplace policy as data. The command line: parse, call the engine, print, exit.

Exit codes: 0 clean, 1 problems found, 2 usage error (unknown command/option/id, missing path).
Engine modules are imported inside each command so `policyctl validate` pays only for what it uses.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, NoReturn

import click

DEFAULT_ROOT = "policies"
FORMATS = ("text", "json", "github", "sarif")


def _fail_usage(message: str, hint: str = "") -> NoReturn:
    click.echo(f"policyctl: error: {message}" + (f"\n  hint: {hint}" if hint else ""), err=True)
    sys.exit(2)


def _policy_error(e: Any) -> NoReturn:
    """Print a PolicyError's problems and exit 2 (a bad request) or 1 (bad data)."""
    for p in e.problems:
        where = "" if p.file == "<command line>" else f"{p.file}:{p.line}:{p.col}: "
        click.echo(f"policyctl: {where}error[{p.code}]: {p.message}" + (f"\n  hint: {p.hint}" if p.hint else ""),
                   err=True)
    sys.exit(2 if e.usage else 1)


def _day(at: str | None) -> str | None:
    """A `--at` date, normalised; a malformed one is a usage error (exit 2)."""
    import datetime as dt

    if at is None:
        return None
    try:
        return dt.date.fromisoformat(at).isoformat()
    except ValueError:
        _fail_usage(f"`{at}` is not a date", "write an ISO date such as 2024-03-01")


def _load(root: str) -> Any:
    from engine import PolicyError, load

    try:
        return load(root)
    except PolicyError as e:
        _policy_error(e)


def _repo_for_questions(root: str) -> Any:
    """A repository sound enough to answer questions; data problems exit 1 with the list."""
    repo = _load(root)
    errors = [p for p in repo.problems if p.severity == "error"]
    if errors:
        from engine.problems import report

        click.echo(report.text(errors, len(repo.documents)), err=True, nl=False)
        click.echo("policyctl: fix these problems first (`policyctl validate`)", err=True)
        sys.exit(1)
    return repo


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="policyctl", message="%(prog)s %(version)s")
def main() -> None:
    """Marketplace policy as data: validate, decide, render and test policy YAML."""


root_option = click.option("--root", default=DEFAULT_ROOT, show_default=True, metavar="DIR",
                           help="The policies folder.")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--list-codes", is_flag=True, help="List every problem code and what it means.")
def validate(paths: tuple[str, ...], fmt: str, list_codes: bool) -> None:
    """Check policy files (default: the whole policies/ tree): YAML, schema and semantics."""
    from engine.problems import CODES

    if list_codes:
        for code, meaning in CODES.items():
            click.echo(f"{code}  {meaning}")
        return
    from engine.problems import report
    from engine.commands.validate import validate as run

    outcome = run(list(paths) or [DEFAULT_ROOT])
    if outcome.usage:
        _fail_usage(f"no such file or folder: {', '.join(outcome.usage)}", "give paths to policy files or folders")
    sources = outcome.sources if fmt == "text" and sys.stdout.isatty() else None
    click.echo(report.REPORTERS[fmt](outcome.problems, outcome.files, sources), nl=False)
    sys.exit(1 if any(p.severity == "error" for p in outcome.problems) else 0)


@main.command("schema")
@click.argument("kind", required=False)
def schema_cmd(kind: str | None) -> None:
    """Print the JSON Schema of a file KIND (or list the kinds)."""
    from engine.schema.check import KINDS, schema_path

    available = [k for k in KINDS if os.path.exists(schema_path(k))] + ["common"]
    if kind is None:
        for k in available:
            click.echo(f"{k}\t{schema_path(k)}")
        return
    if kind not in available:
        _fail_usage(f"unknown kind `{kind}`", f"known kinds: {', '.join(available)}")
    with open(schema_path(kind), encoding="utf-8") as f:
        click.echo(f.read(), nl=False)


def _dump(data: Any, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


@main.command()
@click.argument("program")
@click.option("--marketplace", "-m", required=True, help="Marketplace id, e.g. us.")
@click.option("--at", "at", metavar="DATE", help="Effective date (ISO, default: today).")
@click.option("--format", "fmt", type=click.Choice(("yaml", "json")), default="yaml", show_default=True)
@click.option("--provenance", is_flag=True, help="Say for every value which file:line it came from.")
@root_option
def show(program: str, marketplace: str, at: str | None, fmt: str, provenance: bool, root: str) -> None:
    """Print PROGRAM's resolved policy for one marketplace on one date."""
    from engine import PolicyError

    repo = _repo_for_questions(root)
    try:
        resolved = repo.resolve(program, marketplace, at)
    except PolicyError as e:
        _policy_error(e)
    mp = resolved.marketplace
    head: dict[str, Any] = {"program": program, "marketplace": mp.id, "at": resolved.at,
                            "currency": mp.currency, "time_zone": mp.time_zone, "locales": list(mp.locales)}
    if provenance:
        params = {}
        for name, entry in resolved.entries.items():
            item: dict[str, Any] = {"value": entry.value, "from": f"{entry.pos.file}:{entry.pos.line}",
                                    "origin": resolved.origin(name)}
            for extra in ("source", "assumption", "note"):
                if getattr(entry, extra):
                    item[extra] = getattr(entry, extra)
            params[name] = item
        head["parameters"] = params
    else:
        head["parameters"] = resolved.values
    click.echo(_dump(head, fmt), nl=False)


@main.command()
@click.argument("program")
@click.option("--marketplace", "-m", help="Only this marketplace (default: all the program's marketplaces).")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@root_option
def history(program: str, marketplace: str | None, fmt: str, root: str) -> None:
    """Print the timeline of PROGRAM's effective-dated changes."""
    from engine import PolicyError

    repo = _repo_for_questions(root)
    try:
        changes = repo.history(program, marketplace)
    except PolicyError as e:
        _policy_error(e)
    if fmt == "json":
        rows = [{"date": c.start, "marketplace": c.marketplace, "parameter": c.parameter, "old": c.old, "new": c.new,
                 "from": f"{c.entry.pos.file}:{c.entry.pos.line}", "source": c.entry.source,
                 "assumption": c.entry.assumption} for c in changes]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not changes:
        click.echo(f"{program}: no dated changes")
    for c in changes:
        click.echo(f"{c.start}  {c.marketplace:<4} {c.parameter}: {_short(c.old)} -> {_short(c.new)}"
                   f"  ({c.entry.pos.file}:{c.entry.pos.line})")


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


@main.command()
@click.argument("target", metavar="PROGRAM.DECISION")
@click.option("--marketplace", "-m", required=True, help="Marketplace id, e.g. us.")
@click.option("--at", "at", metavar="DATE", help="Effective date (ISO, default: today).")
@click.option("--input", "-i", "input_", required=True, type=click.File("r", encoding="utf-8"),
              help="JSON object, or JSON Lines (one object per line) for a batch; - for standard input.")
@click.option("--explain", is_flag=True, help="List every row tried and the parameters used, with file:line.")
@click.option("--format", "fmt", type=click.Choice(("json", "text")), default="json", show_default=True,
              help="text: for people (a single input); json: one object per input.")
@root_option
def decide(target: str, marketplace: str, at: str | None, input_: Any, explain: bool, fmt: str, root: str) -> None:
    """Answer a decision from the policy data; prints one JSON result per input."""
    from engine import PolicyError
    from engine.decisions.batch import run_decide

    if "." not in target:
        _fail_usage(f"`{target}` is not PROGRAM.DECISION", "e.g. `policyctl decide csba.fee -m us --input case.json`")
    program, decision = target.split(".", 1)
    repo = _repo_for_questions(root)
    try:
        failed = run_decide(repo, program, decision, marketplace, at, input_, sys.stdout, explain, fmt)
    except PolicyError as e:
        _policy_error(e)
    sys.exit(1 if failed else 0)


# --- pages commands: build, i18n (engine/site/build.py, engine/i18n/catalogs.py) ---


def _pages_problems(problems: list[Any], files: int) -> None:
    from engine.problems import report

    click.echo(report.text(problems, files), err=True, nl=False)


@main.command("build")
@click.option("--out", default="generated_docs", show_default=True, metavar="DIR", help="Where the site goes.")
@click.option("--at", "at", metavar="DATE",
              help="Build the pages as of DATE (ISO). Default: today in each marketplace's time zone.")
@click.option("--check", is_flag=True,
              help="Build in memory and compare with DIR: exit 1 listing stale, missing and leftover files.")
@click.option("--strict", is_flag=True,
              help="Refuse an incomplete translation even where a program says `translations: fallback` (for CI).")
@root_option
def build_cmd(out: str, at: str | None, check: bool, strict: bool, root: str) -> None:
    """Render every program's pages for every marketplace and language (Markdown and HTML).

    Only pages whose sources changed since the last build into DIR are rendered, and only files
    whose bytes change are written (POLICYCTL_CACHE=off renders every page).
    """
    from engine.site import outtree
    from engine.site import build as site
    from engine.cache.pages import PageCache

    _day(at)
    repo = _load(root)
    cache = PageCache.open(root, out)  # pages whose inputs did not change since the last build are kept
    built = site.build(repo, at, cache, strict)
    if built.warnings:  # languages shown in English for now (`translations: fallback`)
        _pages_problems(built.warnings, len(repo.documents))
    if built.problems:
        _pages_problems(built.problems, len(repo.documents))
        click.echo(f"policyctl: nothing was written to {out}: fix these problems first", err=True)
        sys.exit(1)
    on_disk = outtree.list_tree(out) if os.path.isdir(out) else []
    differences = outtree.differences(out, built.files, built.kept, on_disk)
    pages = len(built.entries)
    files = len(built.files) + len(built.kept)
    rendered = "" if cache is None else f"; {built.rendered} of {pages} pages rendered" + (
        ", the others unchanged" if built.rendered < pages else "")
    if check:
        if differences:
            _pages_problems(differences, files)
            for reason in site.passed_dates(out, repo, at):
                click.echo(f"  note: {reason}", err=True)
            sys.exit(1)
        if cache is not None:
            cache.save(built.records, built.files, built.kept)
        click.echo(f"{out} is up to date ({pages} pages, {files} files{rendered})")
        return
    if differences:
        try:
            outtree.write(out, built.files, built.kept, on_disk)
        except OSError as e:
            click.echo(f"policyctl: cannot write {e.filename or out}: {e.strerror or e}", err=True)
            if isinstance(e, outtree.PartlyWritten):
                click.echo(f"policyctl: some files of {out} were replaced: build again to finish", err=True)
            else:
                click.echo(f"policyctl: {out} was left as it was", err=True)
            sys.exit(1)
    if cache is not None:
        cache.save(built.records, built.files, built.kept)
    if not differences:
        click.echo(f"{out} is up to date ({pages} pages, {files} files{rendered})")
        return
    click.echo(f"wrote {out}: {pages} pages, {files} files ({len(differences)} added, changed or removed{rendered})")


@main.command("serve")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="The port on 127.0.0.1 (0: any free one; the address is printed).")
@click.option("--at", "at", metavar="DATE", help="Show the pages as of DATE (ISO); a page's `?at=DATE` overrides it.")
@root_option
def serve_cmd(port: int, at: str | None, root: str) -> None:
    """Preview the pages while you write: a local server that renders each page from the sources
    as they are now, reloads it when a file changes and shows every problem on the page.

    Open the printed address; `?at=2024-01-01` shows a page as of that date. Nothing is written
    (never into generated_docs/).
    """
    from engine.commands import serve

    at = _day(at)
    if not os.path.isdir(root):
        _fail_usage(f"`{root}` is not a folder", "give the policies folder with --root")
    try:
        server = serve.Server(root, port, at)
    except OSError as e:
        _fail_usage(f"cannot listen on 127.0.0.1:{port}: {e.strerror or e}", "choose another --port (0: any free one)")
    click.echo(f"serving {root} at {server.url} (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


@main.group("i18n")
def i18n_cmd() -> None:
    """Translation catalogs of the page prose: extract, update, check (gettext PO files, Babel)."""


def _pages_domains(root: str, names: tuple[str, ...]) -> list[Any]:
    from engine.site import build as site

    plan = site.plan(_repo_for_questions(root))
    unknown = [n for n in names if n not in plan.domains]
    if unknown:
        _fail_usage(f"no pages for `{unknown[0]}`", f"known: {', '.join(sorted(plan.domains))}")
    return [d for name, d in sorted(plan.domains.items()) if not names or name in names]


@i18n_cmd.command("extract")
@click.argument("names", nargs=-1, metavar="[PROGRAM|_site]...")
@root_option
def i18n_extract(names: tuple[str, ...], root: str) -> None:
    """Write each messages.pot from the templates (with translator comments) and the labels."""
    from engine.i18n import catalogs as i18n

    failed = False
    for domain in _pages_domains(root, names):
        changed, problems = i18n.write_pot(domain)
        if problems:
            _pages_problems(problems, 1)
            failed = True
        click.echo(f"{domain.pot}: {'written' if changed else 'unchanged'}")
    sys.exit(1 if failed else 0)


@i18n_cmd.command("update")
@click.argument("names", nargs=-1, metavar="[PROGRAM|_site]...")
@click.option("--drop-obsolete", is_flag=True, help="Remove entries no longer in the templates (`#~`).")
@root_option
def i18n_update(names: tuple[str, ...], drop_obsolete: bool, root: str) -> None:
    """Extract, then bring every locale's PO file in step: new messages empty, changed English fuzzy."""
    from engine.i18n import catalogs as i18n

    failed = False
    for domain in _pages_domains(root, names):
        changed, problems = i18n.update(domain, drop_obsolete)
        if problems:
            _pages_problems(problems, 1)
            failed = True
        for path in changed:
            click.echo(f"{path}: updated")
    sys.exit(1 if failed else 0)


@i18n_cmd.command("check")
@click.argument("names", nargs=-1, metavar="[PROGRAM|_site]...")
@root_option
def i18n_check(names: tuple[str, ...], root: str) -> None:
    """Exit 1 naming every missing, fuzzy or obsolete message per locale (file:line); print completeness."""
    from engine.i18n import catalogs as i18n
    from engine.problems import report

    problems, lines, files = [], [], 0
    for domain in _pages_domains(root, names):
        result = i18n.check(domain)
        problems += result.problems
        files += 1 + len(domain.targets)
        lines += [f"{domain.name} {i18n.completeness_line(s)}" for s in result.stats]
    if problems:
        click.echo(report.text(problems, files), nl=False)
    for line in lines:
        click.echo(line)
    sys.exit(1 if problems else 0)


# --- the cache (engine/cache/store.py) ---


@main.group("cache")
def cache_cmd() -> None:
    """policyctl's cache of parsed files, checks and pages: where it is, how big, empty it."""


@cache_cmd.command("info")
def cache_info() -> None:
    """Print the cache folder and how many entries of each kind it holds."""
    from engine.cache import store

    found = store.info()
    if found.root is None:
        click.echo("cache: off (POLICYCTL_CACHE)")
        return
    click.echo(f"cache: {found.root}")
    for kind, count in found.entries.items():
        click.echo(f"  {kind:<10} {count} entr{'y' if count == 1 else 'ies'}")
    click.echo(f"  {'total':<10} {found.size:,} bytes")


@cache_cmd.command("clear")
def cache_clear() -> None:
    """Remove every cache entry (only policyctl's own folders inside the cache folder)."""
    from engine.cache import store

    if store.root() is None:
        click.echo("cache: off (POLICYCTL_CACHE); nothing to clear")
        return
    click.echo(f"removed {store.clear()} entries from {store.root()}")


# --- policy test commands: test, diff, fmt (engine/policytests/cases.py, engine/diff/compare.py, engine/source/fmt.py) ---


@main.command("test")
@click.argument("path", required=False, type=click.Path())
@root_option
@click.option("-k", "keyword", metavar="TEXT", help="Only cases whose name contains TEXT (case-insensitive).")
@click.option("--junit", "junit_file", metavar="FILE", type=click.Path(dir_okay=False), help="Also write JUnit XML to FILE.")
@click.option("--coverage", is_flag=True, help="List every decision row and tier band no case exercises.")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="PCT", help="Fail when coverage is below PCT.")
@click.option("--boundaries", is_flag=True, help="Also check every decision against its band tables at each band edge.")
@click.option("-v", "--verbose", is_flag=True, help="Also list the tests that pass.")
def test_cmd(path: str | None, root: str, keyword: str | None, junit_file: str | None, coverage: bool,
             fail_under: float | None, boundaries: bool, verbose: bool) -> None:
    """Run the test cases in tests/*.yaml (below PATH); the last line is `N passed, N failed`."""
    import time

    from engine.policytests import boundaries as bounds
    from engine.policytests import coverage as cov
    from engine.problems import report
    from engine.policytests import cases as testing
    from engine.policytests import report as testreport

    started = time.monotonic()
    repo = _load(_test_root(path, root))
    errors = [p for p in repo.problems if p.severity == "error"]
    if errors:
        click.echo(report.text(errors, len(repo.documents)), err=True, nl=False)
    selected = testing.cases(repo, path, keyword)
    outcomes = testing.run(repo, selected)
    if boundaries:
        plans, bad = bounds.plans(repo, selected)
        outcomes += [bounds.failed_plan(case, problem) for case, problem in bad]
        outcomes += [o for plan in plans for o in bounds.check(repo, plan)]
    click.echo(testreport.failures(outcomes, verbose), nl=False)
    measured = None
    if coverage or fail_under is not None:
        measured = cov.measure(repo, cov.in_scope(repo, path), outcomes)
        click.echo(testreport.coverage(measured, fail_under), nl=False)
    if junit_file:
        _write(junit_file, testreport.junit(outcomes, time.monotonic() - started))
    click.echo(testreport.summary(outcomes))
    low = measured is not None and fail_under is not None and measured.percent < fail_under
    sys.exit(1 if errors or low or not all(o.passed for o in outcomes) else 0)


def _test_root(path: str | None, root: str) -> str:
    """The policies folder: the one holding PATH, else --root."""
    from engine.source import layout

    if path is None:
        return root
    if not os.path.exists(path):
        _fail_usage(f"no such file or folder: {path}", "give a policies folder, a program folder or a tests file")
    found = layout.find_root(path)
    if found is None:
        _fail_usage(f"{path} is not inside a policies folder", "a policies folder holds marketplaces.yaml")
    inside = os.path.commonpath([found, os.getcwd()]) == os.getcwd()
    return os.path.relpath(found) if inside else found  # short paths in messages, never ../../..


def _write(file: str, text: str) -> None:
    try:
        with open(file, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        _fail_usage(f"cannot write {file}: {e.strerror or e}")


@main.command("diff")
@click.argument("old")
@click.argument("new")
@root_option
@click.option("--format", "fmt", type=click.Choice(("text", "markdown", "json")), default="text", show_default=True)
@click.option("--exit-code", is_flag=True, help="Exit 1 when there are changes that matter (as `git diff --exit-code`).")
@click.option("--at", "at", metavar="DATE", help="Compare answers on DATE too (default: today).")
def diff_cmd(old: str, new: str, root: str, fmt: str, exit_code: bool, at: str | None) -> None:
    """The changes that matter between OLD and NEW: policies folders, or git revisions (HEAD~1 HEAD)."""
    from engine import PolicyError
    from engine.diff import compare as policy_diff
    from engine.diff import report as diffreport
    from engine.source import gitrev

    sides: list[Any] = []
    try:
        day = _day(at)
        sides = [gitrev.open_side(spec, root) for spec in (old, new)]
        repos = [_load(side.root) for side in sides]
        for side, repo in zip(sides, repos):
            errors = [p for p in repo.problems if p.severity == "error"]
            if errors:
                click.echo(f"policyctl: warning: {side.label} has {len(errors)} problem(s) (`policyctl validate`); "
                           "the diff covers what could be read", err=True)
        result = policy_diff.compare(repos[0], repos[1], old, new, sides[0].show, sides[1].show, day)
    except PolicyError as e:
        _policy_error(e)
    finally:
        for side in sides:
            side.close()
    click.echo(diffreport.REPORTERS[fmt](result), nl=False)
    sys.exit(1 if exit_code and not result.empty else 0)


@main.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--check", is_flag=True, help="Change nothing; exit 1 naming the files that are not formatted.")
@click.option("--diff", "show_diff", is_flag=True, help="Show what would change, as a unified diff.")
def fmt_cmd(paths: tuple[str, ...], check: bool, show_diff: bool) -> None:
    """Canonical key order and layout for policy YAML (default: policies/), keeping comments."""
    import difflib

    from engine.source import fmt as formatter
    from engine.source import layout

    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        _fail_usage(f"no such file or folder: {', '.join(missing)}", "give policy files or folders")
    files = [f for p in (paths or (DEFAULT_ROOT,)) for f in (layout.yaml_files(p) if os.path.isdir(p) else [p])]
    changed = failed = 0
    for path in files:
        done = formatter.format_file(path)
        if done.problem is not None:
            failed += 1
            click.echo(f"policyctl: {done.problem}" + (f"\n  hint: {done.problem.hint}" if done.problem.hint else ""), err=True)
            continue
        if not done.changed:
            continue
        changed += 1
        if show_diff:
            click.echo("".join(difflib.unified_diff(done.original.splitlines(True), (done.text or "").splitlines(True),
                                                    path, path)), nl=False)
        if check:
            click.echo(f"would reformat {path}")
        else:
            _write(path, done.text or "")
            click.echo(f"reformatted {path}")
    verb = "would be reformatted" if check else "reformatted"
    click.echo(f"{changed} file{'s' if changed != 1 else ''} {verb}, {len(files) - changed - failed} already formatted"
               + (f", {failed} could not be read" if failed else ""))
    sys.exit(1 if failed or (check and changed) else 0)


if __name__ == "__main__":
    main()
