"""policyctl — marketplace policy as data. The command line: parse, call the engine, print, exit.

Exit codes: 0 clean, 1 problems found, 2 usage error (unknown command/option/id, missing path).
Engine modules are imported inside each command so `policyctl validate` pays only for what it uses.
Every command works on the policy repository found from the working folder upwards, or the one
`--root` names (engine.source.project); `policyctl` and `python -m engine` both run `main`.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from collections.abc import Iterable

    from engine.commands.build import BuildResult
    from engine.problems import Severity

DEFAULT_ROOT = "policies"
SITE_DOMAIN = "_site"  # engine.i18n.catalogs.SITE, without importing Babel for every command
FORMATS = ("text", "json", "github", "sarif")


def _fail_usage(message: str, hint: str = "", listed: tuple[str, ...] = ()) -> NoReturn:
    """Exit 2 with ``message`` (then each of ``listed`` on a line of its own) and ``hint``. They
    quote what a pull request writes (policyctl.toml's values, file names): shown on one line
    each, line breaks and controls as escapes (engine.problems.one_line), so that none starts a
    line of its own (`::error::`, a GitHub workflow command) or moves the terminal's cursor."""
    from engine.problems import one_line

    said = "".join(f"\n  {one_line(line)}" for line in listed)
    _say(
        f"policyctl: error: {one_line(message)}{said}" + (f"\n  hint: {one_line(hint)}" if hint else "") + "\n",
        err=True,
    )
    sys.exit(2)


def _jobs() -> None:
    """A build's POLICYCTL_JOBS, refused before anything is rendered when it is not a number (the
    engine, asked through the API, would choose as if it were unset)."""
    from engine.site.workers import JOBS_ENV, jobs_setting

    try:
        jobs_setting()
    except ValueError as e:
        _fail_usage(str(e), f"set {JOBS_ENV}=1 to render in this process only, or unset it to let policyctl choose")


class _InputFile(click.File):
    """`decide --input`: a file, or - for standard input. The JSON itself in a file's place (the
    first thing a new user tries) is a usage error that says how to give it, not "No such file"."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value == "-" and sys.stdin is None:  # (started with its input closed: click then fails on None)
            self.fail("standard input is closed: pipe the input in, or give a file", param, ctx)
        try:
            return super().convert(value, param, ctx)
        except click.BadParameter:
            if not (isinstance(value, str) and value.lstrip()[:1] in ("{", "[")):
                raise
            import shlex

            # the options before --input are known by now; click reads the argument after all options
            marketplace = (ctx.params.get("marketplace") if ctx is not None else None) or "MARKETPLACE"
            self.fail(
                f"that is JSON, not a file name; give it on standard input: echo {shlex.quote(value)} | "
                f"policyctl decide PROGRAM.DECISION -m {shlex.quote(marketplace)} --input -",
                param,
                ctx,
            )


def shown_path(file: str) -> str:
    """A file as text and JSON output name it (engine.problems.shown_path)."""
    from engine.problems import shown_path as shown

    return shown(file)


def _not_stdin(given: tuple[str | None, ...], why: str, hint: str) -> None:
    """Refuse `-` (standard input, as `decide --input -` reads it) where policyctl needs a file or
    folder where it stands (exit 2), saying why."""
    if "-" in given:
        _fail_usage(f"`-` (standard input) cannot be read here: {why}", hint)


# where a policy file is its kind (and its program): a stream has no place in the layout
_NO_PLACE = "a policy file's kind and program come from where it stands in the repository"
_STDIN_FILENAME_HINT = "give its place with --stdin-filename PATH, e.g. --stdin-filename policies/returns/program.yaml"

STDIN_FILENAME_HELP = (
    "Read the file from standard input as if it stood at PATH (its kind, program and place in the "
    "repository come from PATH; the file there, if any, is not read): an editor's unsaved buffer."
)


def _stdin_file(paths: tuple[str, ...], stdin_filename: str, yaml_only: bool) -> bytes:
    """The bytes of the file `--stdin-filename PATH` names, read from standard input; no other path
    may be given (`-` may: it says where the text comes from). Usage errors exit 2."""
    from engine.source.layout import YAML_SUFFIXES
    from engine.source.loader import MAX_BYTES

    others = [p for p in paths if p != "-"]
    if others:
        _fail_usage(
            f"--stdin-filename reads one file from standard input; also given: {', '.join(others)}",
            "give the other paths in a run of their own",
        )
    if stdin_filename in ("", "-"):
        _fail_usage("--stdin-filename needs the path the text stands for", _STDIN_FILENAME_HINT)
    if os.path.isdir(stdin_filename):
        _fail_usage(f"--stdin-filename names a folder: {stdin_filename}", "give the path of the file the text is")
    if yaml_only and not stdin_filename.endswith(YAML_SUFFIXES):
        _fail_usage(
            f"--stdin-filename: only a YAML policy file is read from standard input, not {stdin_filename}",
            "templates and catalogs are checked with their whole tree: save the file and give its path",
        )
    stream = getattr(sys.stdin, "buffer", None)  # (None: started with standard input closed)
    if stream is None:
        _fail_usage("standard input is closed", "pipe the file's text in")
    data: bytes = stream.read(MAX_BYTES + 1)  # (a longer file is refused as the loader refuses it)
    return data


# How a command says on standard output a refusal that exits 1 (the repository's problems, a
# bundle that cannot be used), besides its text on standard error: "" not there (text and YAML are
# for people); "json": a JSON document in the shape `validate --format json` prints problems in
# (engine.problems.report.body); "line": that document on one line, for `decide`, whose JSON is
# JSON Lines for a batch, and whether the input is one is not known (it is not read) when the
# repository refuses; "github", "sarif": validate's writers. A usage error (exit 2) is only told.
REFUSAL_FORMATS = ("json", "line", "github", "sarif")


def _refused_out(problems: list[Any], files: int, said_as: str) -> None:
    """A refusal's problems on standard output in the format ``said_as`` (REFUSAL_FORMATS), if any."""
    if said_as not in REFUSAL_FORMATS:
        return
    from engine.problems import report

    if said_as == "json":
        click.echo(report.as_json(problems, files, ok=False), nl=False)
    elif said_as == "line":
        click.echo(json.dumps(report.body(problems, files, ok=False), ensure_ascii=False))
    else:
        _annotations(said_as, problems, files)


def _annotations(fmt: str, problems: list[Any], files: int) -> None:
    """``problems`` in a format CI reads (github, sarif), each file named from its checkout's top,
    as GitHub places them (not from the working folder, as text and JSON name them)."""
    from engine.problems import report
    from engine.source.project import report_roots

    click.echo(report.REPORTERS[fmt](problems, files, root=report_roots()), nl=False)


def _files_read(repo: Any) -> int:
    """The files a question read: a repository's YAML files (as its problems' summary counts them), or the bundle."""
    documents = getattr(repo, "_documents", None)
    return 1 if documents is None else len(documents)


def _policy_error(e: Any, said_as: str = "", files: int = 1) -> NoReturn:
    """Print a PolicyError's problems and exit 2 (a bad request) or 1 (bad data); bad data also on
    standard output as ``said_as`` says (REFUSAL_FORMATS), ``files`` the files read."""
    from engine.problems import ASKED

    for p in (p.shown() for p in e.problems):
        where = "" if p.file in ASKED else f"{p.file}:{p.line}:{p.col}: "
        _say(
            f"policyctl: {where}error[{p.code}]: {p.message}" + (f"\n  hint: {p.hint}" if p.hint else "") + "\n",
            err=True,
        )
    if not e.usage:
        _refused_out(list(e.problems), files, said_as)
    sys.exit(2 if e.usage else 1)


def _day(at: str | None) -> str | None:
    """A `--at` date, normalised; a malformed one is a usage error (exit 2)."""
    from engine.model.dates import date_hint, parse_date

    if at is None:
        return None
    try:
        return parse_date(at).isoformat()
    except ValueError as e:
        _fail_usage(str(e), date_hint(at))


def _load(root: str) -> Any:
    from engine import PolicyError, load

    try:
        repo = load(root)
    except PolicyError as e:
        _policy_error(e)
    project = _project()
    if project is not None and project.languages is not None:
        repo.languages = project.languages
    return repo


def _project() -> Any:
    """The repository the command works on (set by `--root`'s callback), if it found one."""
    ctx = click.get_current_context(silent=True)
    return None if ctx is None else ctx.meta.get("policyctl.project")


def _find_project(ctx: click.Context, root: str | None, required: bool) -> Any:
    from engine.source import project as projects

    try:
        found = projects.at(root) if root is not None else projects.find()
        if found is not None and found.languages is not None:
            from engine.model.repository import marketplace_locales

            projects.check_languages(found, marketplace_locales(found.policies))
    except projects.ProjectError as e:
        _fail_usage(e.message, e.hint)
    if found is None and required:
        _fail_usage(
            f"no policy repository in {os.getcwd()} or above it",
            "run policyctl inside a policy repository (a folder holding policies/marketplaces.yaml), "
            "give `--root DIR`, or make one with `policyctl init`",
        )
    ctx.meta["policyctl.project"] = found
    return found


def _root_callback(ctx: click.Context, _param: click.Parameter, root: str | None) -> str:
    """`--root`: the repository's top or its policies folder (default: found from here upwards);
    the command gets its policies folder."""
    found = _find_project(ctx, root, required=True)
    return _policies_shown(found, root)


def _optional_root_callback(ctx: click.Context, _param: click.Parameter, root: str | None) -> str | None:
    """`--root` of commands that also take files: a repository is needed only when none is given."""
    found = _find_project(ctx, root, required=root is not None)
    return None if found is None else _policies_shown(found, root)


def _bundle_root_callback(ctx: click.Context, param: click.Parameter, root: str | None) -> str | None:
    """`--root` of commands that can answer from `--bundle FILE` (or check `bundle --verify FILE`)
    instead: no repository needed then. Not eager, so that option (given on the command line) is
    known here."""
    if root is None and (ctx.params.get("bundle_file") or ctx.params.get("verify_file")):
        return None
    return _root_callback(ctx, param, root)


def _paths_root_callback(ctx: click.Context, _param: click.Parameter, root: str | None) -> str:
    """`--root` of commands given paths of their own (`test PATH`, `diff OLD NEW`): without a
    repository here, the paths alone may do (`policies` is the fallback, as it always was).
    Not eager, so a PATH typed before it is known here."""
    if root is None and ctx.params.get("bundle_file"):  # `test --bundle FILE`: the bundle holds the cases
        return DEFAULT_ROOT
    found = _find_project(ctx, root, required=root is not None or not (ctx.params.get("path") or "old" in ctx.params))
    return DEFAULT_ROOT if found is None else _policies_shown(found, root)


def _policies_shown(found: Any, root: str | None) -> str:
    """The policies folder as messages show it: spelt from `--root` as the user wrote it, else
    relative to the working folder (engine.source.project.Project.policies_shown)."""
    return str(found.policies_shown(root))


def _out_callback(ctx: click.Context, _param: click.Parameter, out: str | None) -> str:
    """`--out`: as given (relative to the working folder), else the repository's (policyctl.toml)."""
    if out == "-":  # (as a file option takes it: standard output, which a folder cannot be)
        _fail_usage(
            "--out - is standard output: a site is a folder of files", "give a folder, e.g. --out generated_docs"
        )
    if out is not None:
        return out
    found = ctx.meta.get("policyctl.project")
    if found is None:
        return "generated_docs"
    from engine.source.project import out_refusal

    refused = out_refusal(found)
    if refused is not None:
        _fail_usage(refused.message, refused.hint)
    return str(found.shown(found.out))


def _repo_for_questions(root: str, said_as: str = "") -> Any:
    """A repository sound enough to answer questions; data problems exit 1 with the list (also on
    standard output as ``said_as`` says: REFUSAL_FORMATS)."""
    repo = _load(root)
    errors = [p for p in repo.problems if p.severity == "error"]
    if errors:
        from engine.problems import report

        _say(report.text(errors, len(repo._documents), kind=report.YAML), err=True)
        _say("policyctl: fix these problems first (`policyctl validate`)\n", err=True)
        _refused_out(errors, len(repo._documents), said_as)
        sys.exit(1)
    return repo


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="policyctl", message="%(prog)s %(version)s")
@click.option(
    "--color",
    type=click.Choice(("auto", "always", "never")),
    default="auto",
    show_default=True,
    help="Colour in text output; auto: on a terminal, unless NO_COLOR is set.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress and no notes: results and problems only.")
@click.pass_context
def main(ctx: click.Context, color: str, quiet: bool) -> None:
    """Marketplace policy as data: validate, decide, render and test policy YAML.

    How to write policies (the file format, expressions, tests, pages, languages, policyctl.toml):
    `policyctl guide`.

    A file named - is standard input or output where a stream is what is read or written
    (`decide --input -`, `--bundle -`, `bundle --out -`, `test --junit -`). Text and JSON name
    files from the working folder.
    """
    from engine.console import Console

    ctx.obj = Console(color, quiet)


def _console() -> Any:
    """The run's engine.console.Console (the group's --color and --quiet)."""
    from engine.console import Console

    ctx = click.get_current_context(silent=True)
    found = ctx.find_object(Console) if ctx is not None else None
    return found if found is not None else Console()


def _say(text: str, err: bool = False) -> None:
    """Text for people, coloured where colour is wanted (engine.console). Not painted where click
    would strip the colour again (a file, a pipe): the same bytes without painting, say, a report of
    6,200 warnings and copying it twice more. A text holding an escape character is painted as
    before, so what click strips is what it always stripped (text output escapes them: `\\x1b`,
    engine.problems.one_line)."""
    console = _console()
    color = console.color
    if "\033" in text or not _stripped(err, color):
        text = console.paint(text)
    click.echo(text, err=err, nl=False, color=color)


def _stripped(err: bool, color: bool | None) -> bool:
    """Whether click.echo would strip ANSI styles from what it writes to standard output (or error)
    with ``color``: asked of click itself, on its module as click.termui asks (its test runner
    replaces the answer there)."""
    from click import _compat
    from click.globals import resolve_color_default

    stream = sys.stderr if err else sys.stdout  # (click.echo's text stream over it is a tty or not alike)
    return bool(_compat.should_strip_ansi(stream, resolve_color_default(color)))


def _json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


ROOT_HELP = "The policy repository: its top or its policies folder [default: found from here upwards]."
# eager: processed before the other options, so `--out`'s default can come from the repository
root_option = click.option("--root", metavar="DIR", callback=_root_callback, is_eager=True, help=ROOT_HELP)
optional_root_option = click.option(
    "--root", metavar="DIR", callback=_optional_root_callback, is_eager=True, help=ROOT_HELP
)
bundle_root_option = click.option("--root", metavar="DIR", callback=_bundle_root_callback, help=ROOT_HELP)
paths_root_option = click.option("--root", metavar="DIR", callback=_paths_root_callback, help=ROOT_HELP)


# `--format` of the checking commands (validate, test, i18n check, build)
FORMAT_HELP = (
    "github, sarif: files named from the checkout's top (GITHUB_WORKSPACE, else git's, else the "
    "repository's), for CI; "
    "text, json: from the working folder."
)
format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True, help=FORMAT_HELP
)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@format_option
@click.option("--list-codes", is_flag=True, help="List every problem code and what it means.")
@click.option(
    "--strict/--no-strict",
    default=None,
    help="Warnings fail too (exit 1) [default: `strict` in policyctl.toml, else no].",
)
@click.option(
    "--evidence",
    type=click.Choice(("warning", "error")),
    default="warning",
    show_default=True,
    help="Severity of a value with neither `source` nor `assumption` (P012); CI uses error.",
)
@click.option("--stdin-filename", metavar="PATH", help=STDIN_FILENAME_HELP + " Its problems name PATH.")
@optional_root_option
def validate(
    paths: tuple[str, ...],
    fmt: str,
    list_codes: bool,
    strict: bool | None,
    evidence: Severity,
    stdin_filename: str | None,
    root: str | None,
) -> None:
    """Check policy files (default: the repository's whole policies/ tree): YAML, schema and semantics.

    PATHS: files or folders; a repository's top is the whole repository. Not - (standard input)
    alone: a file's kind comes from where it stands; --stdin-filename PATH gives that place (a YAML
    policy file, checked with the rest of its repository as it is on disk).
    """
    from engine.problems import CODES

    if list_codes:
        for code, meaning in CODES.items():
            click.echo(f"{code}  {meaning}")
        return
    from engine.commands.validate import validate as run
    from engine.problems import report

    replaced = None
    if stdin_filename is not None:
        replaced = {stdin_filename: _stdin_file(paths, stdin_filename, yaml_only=True)}
        paths = (stdin_filename,)
    _not_stdin(
        paths,
        _NO_PLACE,
        "give the file's path, or read it with its place: policyctl validate --stdin-filename policies/returns/program.yaml",
    )
    if not paths and root is None:
        _find_project(click.get_current_context(), None, required=True)
    project = _project()
    strict = strict if strict is not None else project is not None and project.strict
    progress = _console().progress("reading policy files")
    try:
        languages = None if project is None else project.languages
        outcome = run(
            list(paths) or [str(root)], evidence=evidence, progress=progress, languages=languages, replaced=replaced
        )
    finally:
        progress.close()
    if outcome.usage:
        _fail_usage(f"no such file or folder: {', '.join(outcome.usage)}", "give paths to policy files or folders")
    failed = any(p.severity == "error" or strict for p in outcome.problems)
    if fmt == "text":  # (coloured as every command's text; the other formats are for tools)
        _say(report.text(outcome.problems, outcome.files, outcome.sources if sys.stdout.isatty() else None))
    elif fmt == "json":
        click.echo(report.as_json(outcome.problems, outcome.files, ok=not failed), nl=False)
    else:
        _annotations(fmt, outcome.problems, outcome.files)
    sys.exit(1 if failed else 0)


@main.command("guide")
@click.option("--path", "path_only", is_flag=True, help="Print where the guide is installed, not the guide.")
@click.option(
    "--layout-path",
    "layout_only",
    is_flag=True,
    help="Print where policyctl's default page layout is installed (copy it into policies/_site to change it).",
)
def guide_cmd(path_only: bool, layout_only: bool) -> None:
    """Print the policy authors' guide (Markdown): the file format, expressions, tests, pages, languages, settings."""
    from engine.packaged import NotShipped, default_site_dir, guide_path

    if path_only and layout_only:
        _fail_usage("--path and --layout-path each print one path", "give one of them")
    try:
        if layout_only:  # (for `cp -r`: where policyctl runs from, whichever Python that is; README)
            click.echo(default_site_dir())
            return
        path = guide_path()
        if path_only:
            click.echo(path)
            return
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (NotShipped, OSError) as e:
        what = "the default page layout" if layout_only else "the authors' guide"
        _fail_usage(f"{what} is not installed: {e}", "reinstall policyctl from a wheel or a clone")
    click.echo(text, nl=False)


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
@click.option("--at", "at", metavar="DATE", help="Effective date (ISO, default: today in the marketplace's time zone).")
@click.option("--format", "fmt", type=click.Choice(("yaml", "json")), default="yaml", show_default=True)
@click.option("--provenance", is_flag=True, help="Say for every value which file:line it came from.")
@click.option(
    "--assumptions",
    is_flag=True,
    help="Review report: every value on the marketplace's timeline that is an assumption, and how pages show it.",
)
@root_option
def show(
    program: str, marketplace: str, at: str | None, fmt: str, provenance: bool, assumptions: bool, root: str
) -> None:
    """Print PROGRAM's resolved policy for one marketplace on one date."""
    from engine import PolicyError

    said_as = "json" if fmt == "json" else ""
    repo = _repo_for_questions(root, said_as)
    try:
        resolved = repo.resolve(program, marketplace, at)
    except PolicyError as e:
        _policy_error(e, said_as, _files_read(repo))
    mp = resolved.marketplace
    head: dict[str, Any] = {
        "program": program,
        "marketplace": mp.id,
        "at": resolved.at,
        "currency": mp.currency,
        "time_zone": mp.time_zone,
        "locales": list(mp.locales),
    }
    if assumptions:  # for the policy owner: what still needs a source, whatever the date
        prog = repo.programs[resolved.program]
        found = []
        for name in prog.parameters:
            for entry in prog.timeline(name, mp.id):
                if entry.assumption:
                    found.append(
                        {
                            "parameter": name,
                            "from": entry.start,
                            "assumed": list(entry.assumed),
                            "on_pages": entry.on_pages,
                            "value": entry.value,
                            "at": f"{shown_path(entry.pos.file)}:{entry.pos.line}",
                            "assumption": entry.assumption,
                        }
                    )
        head["assumptions"] = found
        click.echo(_dump(head, fmt), nl=False)
        return
    if provenance:
        from engine.model.policy import until_json

        params = {}
        for name, entry in resolved.entries.items():
            item: dict[str, Any] = {
                "value": entry.value,
                "from": f"{shown_path(entry.pos.file)}:{entry.pos.line}",
                "origin": resolved.origin(name),
            }
            for extra in ("source", "assumption", "note"):
                if getattr(entry, extra):
                    item[extra] = getattr(entry, extra)
            if entry.assumption:
                item["assumed"], item["on_pages"] = list(entry.assumed), entry.on_pages
            # the day a value ends, and whether that day is assumed, as `decide --explain` says it
            if (until := until_json(resolved.following(name, resolved.at))) is not None:
                item["until"] = until
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

    said_as = "json" if fmt == "json" else ""
    repo = _repo_for_questions(root, said_as)
    try:
        changes = repo.history(program, marketplace)
    except PolicyError as e:
        _policy_error(e, said_as, _files_read(repo))
    from engine.model.policy import evidence_text, until_json, until_text

    rows = [
        {
            "date": c.start,
            "marketplace": c.marketplace,
            "parameter": c.parameter,
            "old": c.old,
            "new": c.new,
            "from": f"{shown_path(c.entry.pos.file)}:{c.entry.pos.line}",
            "source": c.entry.source,
            "assumption": c.entry.assumption,
            "note": c.entry.note,
            # what the assumption is about (its date, the value, parts of it), as `show` says
            "assumed": list(c.entry.assumed) if c.entry.assumption else None,
            "on_pages": c.entry.on_pages if c.entry.assumption else None,
            # the day `new` ends (the next change's), and its assumption, as `decide --explain` says it
            "until": until_json(c.until),
        }
        for c in changes
    ]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not changes:
        click.echo(f"{program}: no dated changes")
    for row in rows:
        assumed = f"; assumed: {', '.join(row['assumed'])}" if row["assumption"] else ""  # (never told as fact)
        click.echo(
            f"{row['date']}  {row['marketplace']:<4} {row['parameter']}: {_short(row['old'])} -> {_short(row['new'])}"
            f"  ({row['from']}{assumed}{until_text(row['until'])})"
        )
        # under it, what the new value rests on, in the lines `decide --explain` says a value read's:
        # the text says the JSON's facts, and a change nobody sourced no longer reads like a sourced one
        for line in evidence_text(row):
            click.echo(f"  {line}")


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


@main.command()
@click.argument("target", metavar="PROGRAM.DECISION")
@click.option("--marketplace", "-m", required=True, help="Marketplace id, e.g. us.")
@click.option(
    "--at",
    "at",
    metavar="DATE",
    help="The day to answer for, YYYY-MM-DD, in the marketplace's time zone (default: today there); not an instant.",
)
@click.option(
    "--input",
    "-i",
    "input_",
    required=True,
    type=_InputFile("r", encoding="utf-8"),
    help="JSON object, or JSON Lines (one object per line) for a batch; - for standard input. "
    "A .jsonl or .ndjson file is always a batch, even of one line.",
)
@click.option(
    "--lines",
    is_flag=True,
    help="Read the input as JSON Lines (a batch) even when it holds one line, e.g. --input - in a batch job.",
)
@click.option("--explain", is_flag=True, help="List every row tried and the parameters used, with file:line.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("json", "text")),
    default="json",
    show_default=True,
    help="text: for people (a batch's answers each after its input's file:line); json: one object per input "
    "(a batch's each on a line of its own, starting with its input's `line`).",
)
@click.option(
    "--bundle",
    "bundle_file",
    metavar="FILE",
    help="Answer from this bundle (`policyctl bundle`), not from --root; - for standard input.",
)
@click.option(
    "--output",
    "-o",
    "output",
    metavar="FILE",
    help="Answer a table (--input .parquet, .csv or .jsonl) into FILE (.parquet or .jsonl, not -), row by row.",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="INPUT=COLUMN",
    help="With --output: read INPUT from COLUMN (default: the column named like the input).",
)
@bundle_root_option
def decide(
    target: str,
    marketplace: str,
    at: str | None,
    input_: Any,
    lines: bool,
    explain: bool,
    fmt: str,
    bundle_file: str | None,
    output: str | None,
    maps: tuple[str, ...],
    root: str,
) -> None:
    """Answer a decision from the policy data; prints one JSON result per input.

    The input is one JSON object (on one line or many), or JSON Lines: one object per line, a batch,
    each answer on a line of its own starting with its input's `line`. Input of a single line is one
    object, unless it is a .jsonl or .ndjson file or --lines is given (a batch job's one-line file).

    With --output, the input is a table (Parquet, CSV with a header line, or JSON Lines) and every
    row's answer goes to FILE; a row with problems gets them in its `problems` column.
    """
    from engine import PolicyError
    from engine.decisions.batch import run_decide

    if "." not in target:
        _fail_usage(
            f"`{target}` is not PROGRAM.DECISION",
            "e.g. `policyctl decide returns.return_allowed -m us --input case.json`",
        )
    program, decision = target.split(".", 1)
    if bundle_file == "-" and getattr(input_, "name", None) in ("-", "<stdin>"):
        _fail_usage(
            "--bundle - and --input - both read standard input",
            "give one of them as a file, e.g. --bundle policies.bundle",
        )
    if output is not None or maps:
        if fmt != "json":  # (a table's answers are in its output file, in that file's format)
            _fail_usage("--format is for answers printed here, not for a table's --output", "leave out --format")
        if lines:  # (a table's format is told by its file's name)
            _fail_usage("--lines is for answers printed here, not for a table's --output", "leave out --lines")
        _decide_table(program, decision, marketplace, _day(at), input_, output, maps, explain, bundle_file, root)
    # a refusal in JSON is one line: a JSON document, and a line of JSON Lines alike
    said_as = "line" if fmt == "json" else ""
    repo = _open_bundle(bundle_file, said_as) if bundle_file else _repo_for_questions(root, said_as)
    progress = _console().progress("answering inputs", streaming=True)  # (a batch's lines so far)
    try:
        failed = run_decide(
            repo, program, decision, marketplace, at, input_, sys.stdout, explain, fmt, progress.count, lines
        )
    except PolicyError as e:
        progress.close()
        _policy_error(e, said_as, _files_read(repo))
    progress.close()
    sys.exit(1 if failed else 0)


def _decide_table(
    program: str,
    decision: str,
    marketplace: str,
    at: str | None,
    input_: Any,
    output: str | None,
    maps: tuple[str, ...],
    explain: bool,
    bundle_file: str | None,
    root: str,
) -> NoReturn:
    """`decide --input TABLE --output FILE` (engine/commands/decide_table.py)."""
    from engine import PolicyError

    source = input_.name
    input_.close()  # opened by click as text; a table is read by pyarrow
    example = "e.g. `policyctl decide PROGRAM.DECISION -m MP --input rows.parquet --output answers.parquet`"
    if output is None:
        _fail_usage("--map names the columns of a table, which is answered into --output FILE", example)
    if output == "-":  # (its format is told by the file's name; JSON Lines in without --output prints)
        _fail_usage(
            "--output - is standard output: a table's answers go into a file named .parquet or .jsonl",
            "give e.g. --output answers.jsonl; or give JSON Lines input without --output to print one answer a line",
        )
    if source in ("-", "<stdin>"):
        _fail_usage("a table is read from a file, not from standard input", example)
    if explain:
        _fail_usage("a table's answers have no --explain", "ask `decide --explain` about one row's input")
    given: dict[str, str] = {}
    for item in maps:
        name, sep, column = item.partition("=")
        if not sep or not name or not column:
            _fail_usage(f"`--map {item}` is not INPUT=COLUMN", "e.g. --map units=shipped_units")
        if name in given:  # (the last one won, silently)
            _fail_usage(f"`--map` names the input `{name}` twice", "map each input to one column")
        given[name] = column
    try:  # (decide_table imports pyarrow where it reads and writes, so ask for it here, once)
        import pyarrow  # noqa: F401
    except ImportError as e:
        _fail_usage(f"reading tables needs `{e.name or 'pyarrow'}`", "install it with `pip install 'policyctl[data]'`")
    from engine.commands import decide_table

    if decide_table.table_format(source) is None or decide_table.table_format(output) not in ("parquet", "jsonl"):
        _fail_usage(
            f"cannot answer `{source}` into `{output}`",
            "the input is .parquet, .csv or .jsonl; the output .parquet or .jsonl",
        )
    repo = _open_bundle(bundle_file) if bundle_file else _repo_for_questions(root)
    try:
        ran = decide_table.run(repo, program, decision, marketplace, at, source, output, given)
    except PolicyError as e:
        _policy_error(e)
    except OSError as e:
        _fail_usage(f"cannot write {output}: {e.strerror or e}")
    if ran.refused is not None:
        _fail_usage(f"will not write the answers: {ran.refused[0]}; nothing was changed", ran.refused[1])
    if ran.usage:
        _fail_usage(ran.usage, "name the columns with --map INPUT=COLUMN")
    if ran.problems:
        _pages_problems(ran.problems, 1)
        sys.exit(1)
    rows = f"{ran.rows} row{'s' if ran.rows != 1 else ''}"
    problems = f"{ran.failed} with problems (see its `problems`)" if ran.failed else "none with problems"
    click.echo(f"wrote {output}: {rows}, {problems}", err=True)
    sys.exit(1 if ran.failed else 0)


def _open_bundle(path: str, said_as: str = "") -> Any:
    """A verified bundle; one that cannot be used exits 1 (2 when the file cannot be read) with why
    (also on standard output as ``said_as`` says: REFUSAL_FORMATS)."""
    from engine import PolicyError
    from engine.bundle.load import load_bundle

    try:
        return load_bundle(path)
    except PolicyError as e:
        _policy_error(e, said_as, 1)


@main.command("bundle")
@click.option(
    "--out",
    default="policies.bundle",
    show_default=True,
    metavar="FILE",
    help="Where the bundle goes (-: standard output).",
)
@click.option(
    "--verify",
    "verify_file",
    metavar="FILE",
    help="Check a bundle's digests (and signature) instead; - for standard input.",
)
@bundle_root_option
def bundle_cmd(out: str, verify_file: str | None, root: str | None) -> None:
    """Compile a checked repository into one verifiable file that `decide --bundle` answers from.

    Refuses (exit 1) when the repository has errors. With POLICYCTL_BUNDLE_KEY set, the bundle is
    signed (HMAC-SHA256), and loading it requires that signature.
    """
    from engine.commands import bundle as command

    if verify_file:
        verified = command.verify(verify_file)
        if verified.problems:
            _pages_problems(verified.problems, 1)
            sys.exit(2 if any(p.message.startswith("cannot read") for p in verified.problems) else 1)
        click.echo(f"{'<stdin>' if verify_file == '-' else verify_file}: verified")
        for line in verified.summary:
            click.echo(f"  {line}")
        return
    assert root is not None  # (found, or the callback stopped with a usage error)
    try:
        made = command.make(_load_root(root), out)
    except OSError as e:
        _fail_usage(f"cannot write {out}: {e.strerror or e}")
    if made.refused is not None:
        _fail_usage(f"will not write the bundle: {made.refused[0]}; nothing was changed", made.refused[1])
    if made.problems:
        _pages_problems(made.problems, made.files)
        _say("policyctl: no bundle was written: fix these problems first (`policyctl validate`)\n", err=True)
        sys.exit(1)
    said = f"{made.size} bytes, sha256 {made.sha256}, revision {made.revision}" + (", signed" if made.signed else "")
    if out == command.STDOUT:  # the bundle is the output; what it is goes to standard error
        sys.stdout.flush()
        sys.stdout.buffer.write(made.data)
        sys.stdout.buffer.flush()
        click.echo(f"wrote the bundle to standard output: {said}", err=True)
        return
    click.echo(f"wrote {out}: {said}")


# --- the decision service (engine/service/) ---


@main.command("api")
@click.option(
    "--bundle",
    "bundle_file",
    metavar="FILE",
    help="Serve this bundle, and swap in a new one when the file is replaced (polled, or on SIGHUP); a file, not -.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes sharing the port (one per core).",
)
@click.option(
    "--poll",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0),
    metavar="SECONDS",
    help="How often to look for a new bundle file (0: only on SIGHUP).",
)
@click.option(
    "--max-body",
    default=1024 * 1024,
    show_default=True,
    type=click.IntRange(1),
    metavar="BYTES",
    help="Largest body of one decision request (413 above), and of one line of a batch (A002 on that line).",
)
@click.option(
    "--max-batch-body",
    default=64 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(1),
    metavar="BYTES",
    help="Largest body of one batch (413 when its Content-Length says so, else a last line with A002).",
)
@click.option(
    "--max-batch-lines",
    default=100_000,
    show_default=True,
    type=click.IntRange(1),
    metavar="N",
    help="Most input lines of one batch (a last line with A002 past them).",
)
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0.001),
    metavar="SECONDS",
    help="Time for a request, from its first byte to its last answer.",
)
@click.option(
    "--access-log/--no-access-log", default=True, show_default=True, help="One JSON line per request on standard error."
)
@bundle_root_option  # (with --bundle, no repository is needed: a container serves one from `/`)
def api_cmd(
    bundle_file: str | None,
    host: str,
    port: int,
    workers: int,
    poll: float,
    max_body: int,
    max_batch_body: int,
    max_batch_lines: int,
    timeout: float,
    access_log: bool,
    root: str | None,
) -> None:
    """Serve decisions over HTTP (POST /v1/decide/PROGRAM/DECISION) from a bundle or the repository.

    Stateless: run as many replicas as needed. Logs are JSON lines on standard error; GET /metrics
    is Prometheus text, GET /v1/openapi.json describes every decision's inputs.
    """
    from engine import PolicyError

    try:
        from engine.service import server
    except ImportError as e:
        _fail_usage(f"the decision service needs `{e.name}`", "install it with `pip install 'policyctl[service]'`")
    if bundle_file == "-":  # (the service reads the file again when it is replaced: a pipe is read once)
        _fail_usage(
            "the service's --bundle is a file it watches for a new bundle, not standard input",
            "give the bundle's file, e.g. --bundle policies.bundle",
        )
    if not bundle_file:
        assert root is not None  # (found, or the callback stopped with a usage error)
        _load_root(root)
    busy = server.cannot_listen(host, port)
    if busy is not None:
        _fail_usage(
            f"cannot listen on {host}:{port}: {busy}", "choose another --port (or --host), or stop what listens there"
        )
    options = server.Options(
        bundle_file,
        None if bundle_file else root,
        host,
        port,
        workers,
        poll,
        server.Limits(max_body, max_batch_body, max_batch_lines, timeout),
        access_log,
    )
    try:
        source = server.Source(options.bundle, options.root)
        source.load()
    except PolicyError as e:
        _policy_error(e)
    server.serve(options, source)


def _load_root(root: str) -> str:
    if not os.path.isdir(root):
        from engine.source.project import not_a_folder

        _fail_usage(f"{not_a_folder(root)}: {root}", "give the path of a policies folder with --root")
    return root


# --- pages commands: build, i18n (engine/site/build.py, engine/i18n/catalogs.py) ---


def _pages_problems(problems: list[Any], files: int) -> None:
    from engine.problems import report

    _say(report.text(problems, files), err=True)


@main.command("build")
@click.option(
    "--out",
    metavar="DIR",
    callback=_out_callback,
    help="Where the site goes, a folder (not -) [default: `out` in policyctl.toml, else generated_docs in the repository].",
)
@click.option(
    "--at",
    "at",
    metavar="DATE",
    help="Build the pages as of DATE (ISO). Default: today in each marketplace's time zone.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Build in memory and compare with DIR: exit 1 listing stale, missing and leftover files.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help=FORMAT_HELP + " github, sarif: with --check, each stale, missing or leftover file as G005; "
    "what was built on standard error.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Refuse an incomplete translation even where a program says `translations: fallback` (for CI).",
)
@root_option
def build_cmd(out: str, at: str | None, check: bool, fmt: str, strict: bool, root: str) -> None:
    """Render every program's pages for every marketplace and language (Markdown and HTML).

    Only pages whose sources changed since the last build into DIR are rendered, and only files
    whose bytes change are written (POLICYCTL_CACHE=off renders every page). Only files policyctl
    wrote into DIR (listed in DIR/.policyctl-build.json) are ever replaced or removed; a folder
    that is not empty and was not built by policyctl, or that holds the policies, sources or a
    .git, is refused (exit 2).
    """
    from engine import PolicyError
    from engine.commands.build import build as run
    from engine.problems import report

    _day(at)
    _jobs()
    progress = _console().progress("rendering pages")
    try:
        project = _project()
        result = run(root, out, at, check, progress, None if project is None else project.languages, strict)
    except PolicyError as e:
        progress.close()
        _policy_error(e, fmt)
    progress.close()
    if result.refused is not None:
        _fail_usage(f"will not build into `{out}`: {result.refused[0]}; nothing was changed", result.refused[1])
    if fmt == "json":
        _json(_build_json(result))
        sys.exit(result.exit_code)
    if fmt != "text":  # (the problems as the JSON lists them)
        _annotations(fmt, result.problems + result.differences + result.warnings, result.sources_checked)
    said = fmt != "text"  # github, sarif: the output is theirs; what people read goes to stderr
    if result.warnings:  # languages shown in English for now (`translations: fallback`)
        _say(report.text(result.warnings, result.sources_checked), err=True)
    if result.problems:
        _say(report.text(result.problems, result.sources_checked), err=True)
        if result.compared:  # (G010 beside a check: the folder was compared all the same)
            _differences(result)
            sys.exit(1)
        what = f"{out} was not compared" if check else f"nothing was written to {out}"  # (--check writes nothing)
        _say(f"policyctl: {what}: fix these problems first\n", err=True)
        sys.exit(1)
    if result.failure is not None:
        path, reason, partly = result.failure
        _say(f"policyctl: cannot write {path}: {reason}\n", err=True)
        _say(
            f"policyctl: some files of {out} were replaced: build again to finish\n"
            if partly
            else f"policyctl: {out} was left as it was\n",
            err=True,
        )
        sys.exit(1)
    if not _console().quiet and result.others:
        shown = ", ".join(result.others[:3]) + (f" and {len(result.others) - 3} more" if len(result.others) > 3 else "")
        _say(f"  note: left alone, not written by policyctl: {shown}\n", err=True)
    rendered = (
        ""
        if result.rendered is None
        else f"; {result.rendered} of {result.pages} pages rendered"
        + (f", {result.laid_out} laid out again (their text unchanged)" if result.laid_out else "")
        + (", the others unchanged" if result.rendered + result.laid_out < result.pages else "")
    )
    if check and result.differences:
        _differences(result)
        sys.exit(1)
    if not _console().quiet:  # e.g. why there is no search index
        for reason in result.notes:
            _say(f"  note: {reason}\n", err=True)
    # the search's files are counted apart: Pagefind's index is made again whenever a page changes
    search = "" if not result.search_files else f", and {result.search_files} search files"
    if result.written:
        if result.search_files:
            search += f" ({result.search_changed} added, changed or removed)"
        click.echo(
            f"wrote {out}: {result.pages} pages, {result.files} files "
            f"({result.changed} added, changed or removed{rendered}){search}",
            err=said,
        )
    else:
        click.echo(f"{out} is up to date ({result.pages} pages, {result.files} files{rendered}){search}", err=said)


def _differences(result: BuildResult) -> None:
    """A check's stale, missing and leftover files (G005), if any, and why the tree went stale."""
    from engine.problems import report

    if result.differences:
        _say(report.text(result.differences, result.files_checked), err=True)
    for reason in result.notes:
        _say(f"  note: {reason}\n", err=True)


def _build_json(result: Any) -> dict[str, Any]:

    return {
        "out": result.out,
        "check": result.check,
        "ok": result.exit_code == 0,
        "pages": result.pages,
        "files": result.files,
        "rendered": result.rendered,
        "laid_out": result.laid_out,
        "changed": result.changed,
        "search_files": result.search_files,
        "search_changed": result.search_changed,
        "written": result.written,
        "problems": [p.to_json() for p in result.problems + result.differences + result.warnings],
        "left_alone": result.others,
        "notes": result.notes,
        "failure": None
        if result.failure is None
        else {"path": result.failure[0], "reason": result.failure[1], "partly_written": result.failure[2]},
    }


@main.command("serve")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="The port on 127.0.0.1 (0: any free one; the address is printed).",
)
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
    from engine import packaged
    from engine.commands.i18n import copy_default_layout, layout_gaps
    from engine.site import build as site

    plan = site.plan(_repo_for_questions(root))
    command = click.get_current_context().info_name
    if command == "update" and not packaged.has_own_site(root) and (not names or SITE_DOMAIN in names):
        # A published language the default layout has no catalog for (`ja`): the layout is copied
        # into the repository to be translated (the default is policyctl's own, never written; a
        # repository's _site replaces it). Its catalogs for languages it has are left as they are.
        gaps = layout_gaps(plan)
        if gaps:
            try:
                copied = copy_default_layout(root)
            except OSError as e:
                _fail_usage(f"cannot copy the default page layout into {root}: {e.strerror or e}")
            click.echo(
                f"{copied}: policyctl's default page layout, copied here (it has no catalog for "
                f"{', '.join(gaps)}); it is this repository's now"
            )
            plan = site.plan(_repo_for_questions(root))
    if command in ("extract", "update") and not packaged.has_own_site(root):
        # the default layout is policyctl's own: its catalogs are not the repository's to rewrite
        plan.domains.pop(SITE_DOMAIN, None)
        if SITE_DOMAIN in names:
            _fail_usage(
                f"{root} uses policyctl's default page layout, which has its own catalogs",
                f'to change or translate the layout, copy it: cp -r "$(policyctl guide --layout-path)" '
                f"{os.path.join(root, SITE_DOMAIN)} (README: Customising the pages)",
            )
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
        # every file as `extract` says its POT, the unchanged too (it said nothing when nothing changed)
        files = changed if problems else [domain.pot, *(domain.po(tag) for tag in domain.targets)]
        for path in files:
            click.echo(f"{path}: {'updated' if path in changed else 'unchanged'}")
    sys.exit(1 if failed else 0)


@i18n_cmd.command("check")
@click.argument("names", nargs=-1, metavar="[PROGRAM|_site]...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help=FORMAT_HELP + " github, sarif: the completeness lines on standard error.",
)
@root_option
def i18n_check(names: tuple[str, ...], fmt: str, root: str) -> None:
    """Exit 1 naming every missing, fuzzy, refused or obsolete message per locale (file:line); print completeness.

    In a language a program with `translations: fallback` publishes in English meanwhile, they are
    warnings (as `build` and `validate` say them), and exit 0.
    """
    from engine import PolicyError
    from engine.commands.i18n import check
    from engine.i18n import catalogs as i18n
    from engine.problems import report

    try:
        project = _project()
        result = check(root, names, None if project is None else project.languages)
    except PolicyError as e:
        _policy_error(e, fmt)
    if result.usage is not None:
        _fail_usage(*result.usage)
    if fmt == "json":
        _json(
            {
                "ok": result.exit_code == 0,
                "files": result.files,
                "problems": [p.to_json() for p in result.errors + result.problems],
                "locales": [
                    {
                        "domain": domain,
                        "locale": s.tag,
                        "total": s.total,
                        "translated": s.translated,
                        "missing": s.missing,
                        "fuzzy": s.fuzzy,
                        "refused": s.refused,
                        "obsolete": s.obsolete,
                        "percent": round(s.percent, 1),
                    }
                    for domain, s in result.stats
                ],
            }
        )
        sys.exit(result.exit_code)
    if fmt != "text":
        _annotations(fmt, result.errors + result.problems, result.documents if result.errors else result.files)
    said = fmt != "text"  # github, sarif: the output is theirs; what people read goes to stderr
    if result.errors:
        _say(report.text(result.errors, result.documents, kind=report.YAML), err=True)
        _say("policyctl: fix these problems first (`policyctl validate`)\n", err=True)
        sys.exit(1)
    if result.problems:
        _say(report.text(result.problems, result.files), err=said)
    for domain, stats in result.stats:
        click.echo(f"{domain} {i18n.completeness_line(stats)}", err=said)
    sys.exit(result.exit_code)


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
    width = max(map(len, [*found.entries, "total"]))
    for kind, count in found.entries.items():
        click.echo(f"  {kind:<{width}} {count} entr{'y' if count == 1 else 'ies'}")
    click.echo(f"  {'total':<{width}} {found.size:,} bytes")


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
@paths_root_option
@click.option("-k", "keyword", metavar="TEXT", help="Only cases whose name contains TEXT (case-insensitive).")
@click.option(
    "--junit",
    "junit_file",
    metavar="FILE",
    help="Also write JUnit XML to FILE (-: to standard output, the report then on standard error); "
    "its files named from the checkout's top (GITHUB_WORKSPACE, else git's, else the repository's), as CI reads them.",
)
@click.option("--coverage", is_flag=True, help="List every decision row and tier band no case exercises.")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="PCT", help="Fail when coverage is below PCT.")
@click.option("--boundaries", is_flag=True, help="Also check every decision against its band tables at each band edge.")
@click.option("-v", "--verbose", is_flag=True, help="Also list the tests that pass.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help=FORMAT_HELP + " github, sarif: each failed test at its case (T001, a boundary check's T003), "
    "the report for people on standard error.",
)
@click.option(
    "--bundle",
    "bundle_file",
    metavar="FILE",
    help="Run the test cases a bundle holds, against the bundle; - for standard input.",
)
def test_cmd(
    path: str | None,
    root: str,
    keyword: str | None,
    junit_file: str | None,
    coverage: bool,
    fail_under: float | None,
    boundaries: bool,
    verbose: bool,
    fmt: str,
    bundle_file: str | None,
) -> None:
    """Run the test cases in tests/*.yaml (below PATH); the last line is `N passed, N failed`.

    PATH: a tests file, a program's folder, a policies folder, or a repository's top (every case);
    not - (`--bundle -` reads a bundle from standard input).
    """
    from engine import PolicyError
    from engine.commands.test import run, run_bundle
    from engine.policytests import report as testreport
    from engine.problems import report

    _not_stdin(
        (path,),
        "a tests file's program comes from where it stands in the repository",
        "give a tests file, a program folder or a policies folder; `--bundle -` reads a bundle from standard input",
    )
    if junit_file == "-" and fmt != "text":
        _fail_usage(
            f"--junit - and --format {fmt} would both write to standard output",
            f"write the JUnit report to a file (--junit FILE), or leave out --format {fmt}",
        )
    progress = _console().progress("running tests")
    try:
        if bundle_file:
            if path or coverage or fail_under is not None or boundaries:
                _fail_usage(
                    "--bundle runs the bundle's cases: PATH, --coverage, --fail-under and --boundaries need the sources"
                )
            result = run_bundle(_open_bundle(bundle_file, fmt), keyword, junit_file, progress)
        else:
            result = run(root, path, keyword, coverage, fail_under, boundaries, junit_file, progress)
    except PolicyError as e:
        progress.close()
        _policy_error(e)
    progress.close()
    if result.usage is not None:
        _fail_usage(*result.usage)
    if fmt == "json":
        _json(_test_json(result))
        sys.exit(result.exit_code)
    if fmt != "text":
        _annotations(fmt, testreport.as_problems(result.outcomes, result.errors), result.files)
    # `--junit -`, github, sarif: the report CI reads is the output; the one for people goes to stderr
    said = result.junit_text is not None or fmt != "text"
    if result.errors:
        _say(report.text(result.errors, result.files, kind=report.YAML), err=True)
    _say(testreport.failures(result.outcomes, verbose), err=said)
    if result.coverage is not None:
        _say(testreport.coverage(result.coverage, fail_under), err=said)
    _say(testreport.summary(result.outcomes, result.not_run, result.errors) + "\n", err=said)
    if said:
        click.echo(result.junit_text, nl=False)
    sys.exit(result.exit_code)


def _test_json(result: Any) -> dict[str, Any]:
    from engine.policytests.cases import MISSING

    def value(v: Any) -> Any:
        return None if v is MISSING else v

    tests = [
        {
            "name": o.name,
            "kind": o.kind,
            "program": o.program,
            "decision": o.decision,
            "file": shown_path(o.pos.file),
            "line": o.pos.line,
            "passed": o.passed,
            "asked": o.context,
            "mismatches": [
                {
                    "output": m.key,
                    "expected": value(m.expected),
                    "actual": value(m.actual),
                    "missing": m.actual is MISSING,
                }
                for m in o.mismatches
            ],
            "problems": [p.to_json() for p in o.problems],
            "notes": list(o.notes),
        }
        for o in result.outcomes
    ]
    passed = sum(o.passed for o in result.outcomes)
    body: dict[str, Any] = {
        "ok": result.exit_code == 0,
        "passed": passed,
        "failed": len(tests) - passed,
        # tests files whose cases did not run, left out by errors (`cases`: null when unknown) in
        # `errors_in`: the tests file itself, or a file its cases are answered from
        "not_run": [
            {"file": shown_path(n.file), "program": n.program, "cases": n.cases, "errors_in": shown_path(n.errors_in)}
            for n in result.not_run
        ],
        "tests": tests,
        "problems": [p.to_json() for p in result.errors],
    }
    if result.coverage is not None:
        cov = result.coverage
        body["coverage"] = {
            "percent": cov.percent,
            "fail_under": result.fail_under,
            "rows": list(cov.count("row")),
            "bands": list(cov.count("band")),
            "missing": [
                {
                    "program": i.program,
                    "kind": i.kind,
                    "file": shown_path(i.pos.file),
                    "line": i.pos.line,
                    "what": i.label,
                }
                for i in cov.missing
            ],
        }
    return body


def _write(file: str, text: str) -> None:
    from engine.source.atomic import write_atomic

    try:
        write_atomic(file, text)  # a temporary file renamed over it: a full disk or a kill never truncates it
    except OSError as e:
        _fail_usage(f"cannot write {file}: {e.strerror or e}")


@main.command("diff")
@click.argument("old")
@click.argument("new")
@paths_root_option
@click.option("--format", "fmt", type=click.Choice(("text", "markdown", "json")), default="text", show_default=True)
@click.option(
    "--exit-code", is_flag=True, help="Exit 1 when there are changes that matter (as `git diff --exit-code`)."
)
@click.option(
    "--at", "at", metavar="DATE", help="Compare answers on DATE too (default: today in each marketplace's time zone)."
)
def diff_cmd(old: str, new: str, root: str, fmt: str, exit_code: bool, at: str | None) -> None:
    """The changes that matter between OLD and NEW: policies folders (or repository tops), or git revisions (HEAD~1 HEAD).

    A folder inside a repository is its policies folder (`diff HEAD .` in a program's folder); a
    folder of no repository is refused, and so is - (standard input).
    """
    from engine import PolicyError
    from engine.diff import compare as policy_diff
    from engine.diff import report as diffreport
    from engine.source import gitrev

    _not_stdin((old, new), "each side is a policies folder or a git revision", "e.g. `policyctl diff HEAD .`")
    sides: list[Any] = []
    _jobs()  # (the pages of both sides are built to compare them)
    try:
        day = _day(at)
        for spec in (old, new):  # one at a time: the first side is closed below if the second fails
            sides.append(gitrev.open_side(spec, root))
        for problem in (p for side in sides for p in side.problems):
            _say(f"policyctl: {problem}\n", err=True)
        repos = [_load(side.root) for side in sides]
        for side, repo in zip(sides, repos):
            errors = [p for p in repo.problems if p.severity == "error"]
            if errors:
                click.echo(
                    f"policyctl: warning: {side.label} has {len(errors)} problem(s) (`policyctl validate`); "
                    "the diff covers what could be read",
                    err=True,
                )
        from engine.model import clock

        with clock.held():  # one "today" for both sides' answers and pages, even across midnight
            result = policy_diff.compare(repos[0], repos[1], old, new, sides[0].show, sides[1].show, day)
        result.problems = {
            name: [side.named(p) for p in (*side.problems, *repo.problems)]
            for name, side, repo in zip(("old", "new"), sides, repos)
        }
    except PolicyError as e:
        _policy_error(e)
    finally:
        for side in sides:
            side.close()
    failed = exit_code and not result.empty
    click.echo(diffreport.as_json(result, not failed) if fmt == "json" else diffreport.REPORTERS[fmt](result), nl=False)
    sys.exit(1 if failed else 0)


def _spelt_from(path: str, folder: str | None) -> str:
    """``folder`` (absolute) spelt from ``path`` as the user wrote it (`.` -> `policies`); ``path``
    when there is no ``folder``."""
    if folder is None:
        return path
    return os.path.normpath(os.path.join(path, os.path.relpath(folder, os.path.abspath(path))))


@main.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--check", is_flag=True, help="Change nothing; exit 1 naming the files that are not formatted.")
@click.option("--diff", "show_diff", is_flag=True, help="Show what would change, as a unified diff; change nothing.")
@click.option(
    "--stdin-filename",
    metavar="PATH",
    help=STDIN_FILENAME_HELP + " The formatted text goes to standard output (with --check or --diff: as for a file).",
)
@optional_root_option
def fmt_cmd(paths: tuple[str, ...], check: bool, show_diff: bool, stdin_filename: str | None, root: str | None) -> None:
    """Canonical key order and layout for policy YAML (default: the repository's policies/), keeping comments.

    PATHS: files or folders; a repository's top is its policies folder (its other YAML is left alone).
    Not - (standard input) alone: a file's kind comes from where it stands; --stdin-filename PATH
    gives that place.
    """
    import difflib

    from engine.source import fmt as formatter
    from engine.source import layout

    if stdin_filename is not None:
        # (an editor's buffer: with --check or --diff, said as a file is, below)
        buffer = formatter.format_bytes(stdin_filename, _stdin_file(paths, stdin_filename, yaml_only=False))
        if not (check or show_diff):
            _fmt_stdin(buffer)
        files = [stdin_filename]
        formatted: Iterable[tuple[str, Any]] = [(stdin_filename, buffer)]
    else:
        _not_stdin(
            paths,
            _NO_PLACE,
            "give the file's path, or read it with its place: policyctl fmt --stdin-filename policies/returns/program.yaml",
        )
        missing = [p for p in paths if not os.path.exists(p)]
        if missing:
            _fail_usage(f"no such file or folder: {', '.join(missing)}", "give policy files or folders")
        if not paths and root is None:
            _find_project(click.get_current_context(), None, required=True)
        from engine.source.project import policies_of_top

        # a repository's top is its policies folder (its other YAML, a CI file, is not policyctl's)
        given = [_spelt_from(p, policies_of_top(p)) for p in paths] if paths else [str(root)]
        files = [f for p in given for f in (layout.yaml_files(p) if os.path.isdir(p) else [p])]
        formatted = ((path, formatter.format_file(path)) for path in files)  # (each said as it is formatted)
    changed = failed = 0
    for path, done in formatted:
        if done.problem is not None:
            failed += 1
            click.echo(
                f"policyctl: {done.problem}" + (f"\n  hint: {done.problem.shown().hint}" if done.problem.hint else ""),
                err=True,
            )
            continue
        if not done.changed:
            continue
        changed += 1
        shown = shown_path(path)
        if show_diff:
            click.echo(
                "".join(
                    difflib.unified_diff(
                        done.original.splitlines(True), (done.text or "").splitlines(True), shown, shown
                    )
                ),
                nl=False,
            )
        if check or show_diff:  # (as Black: --diff shows, and writes nothing)
            click.echo(f"would reformat {shown}")
        else:
            _write(path, done.text or "")
            click.echo(f"reformatted {shown}")
    verb = "would be reformatted" if check or show_diff else "reformatted"
    click.echo(
        f"{changed} file{'s' if changed != 1 else ''} {verb}, {len(files) - changed - failed} already formatted"
        + (f", {failed} could not be read" if failed else "")
    )
    sys.exit(1 if failed or (check and changed) else 0)


def _fmt_stdin(done: Any) -> NoReturn:
    """`fmt --stdin-filename PATH` without --check or --diff: the formatted text on standard output
    (as ruff and Black give an editor's buffer back: all of it, also when nothing changed); exit 1
    when it cannot be formatted, nothing on standard output (an editor keeps its buffer)."""
    if done.problem is not None:
        click.echo(
            f"policyctl: {done.problem}" + (f"\n  hint: {done.problem.shown().hint}" if done.problem.hint else ""),
            err=True,
        )
        sys.exit(1)
    click.echo(done.text or "", nl=False)
    sys.exit(0)


@main.command("init")
# (a plain path: engine.commands.init refuses a file in the command line's own words, with a hint)
@click.argument("directory", default=".", type=click.Path(readable=False))
@click.option("--no-build", is_flag=True, help="Do not render the pages (`policyctl build` does it later).")
def init_cmd(directory: str, no_build: bool) -> None:
    """Write a small working policy repository into DIRECTORY (default: here).

    DIRECTORY may be new, empty, or a repository just started (`git clone` of a new GitHub
    repository, or `git init`). Nothing is ever overwritten: when a file the starter writes is
    already there (or a file or link where it needs a folder, or a policies/ or generated_docs/
    folder that is not empty), init names each and writes nothing. An existing README.md is kept
    as it is; an existing .gitignore gets the starter's lines it lacks appended at its end; an
    existing .vscode/settings.json is kept, and the settings it lacks are printed to add. No link
    is followed, and a write failing partway (a full disk) removes what init made, and exits 1.

    Then `policyctl validate && policyctl test && policyctl build --check` pass in it: the pages
    are rendered into its generated_docs/ as the last step (unless --no-build).
    """
    from engine.commands.init import init

    created = init(directory)
    if created.refused:
        if created.conflicts:
            _fail_usage(
                created.refused,
                "move these aside and run `policyctl init` again, or give a new folder (`policyctl init my-policies`);"
                " policyctl init never writes over what is there",
                tuple(created.conflicts),
            )
        _fail_usage(created.refused, created.hint or "give a new folder, e.g. `policyctl init my-policies`")
    if created.failed is not None:
        path, reason = created.failed
        _say(f"policyctl: cannot write {path}: {reason}\n", err=True)
        if created.left:
            _say(
                f"policyctl: removed {created.removed} of the files and folders init had made; these stay"
                f" (something else is in them now): {', '.join(created.left)}\n",
                err=True,
            )
        else:
            _say(
                f"policyctl: removed the {created.removed} files and folders init had made; nothing else was touched\n",
                err=True,
            )
        sys.exit(1)
    click.echo(f"wrote {len(created.files)} files into {directory}")
    for rel in created.kept:
        click.echo(f"kept {os.path.normpath(os.path.join(directory, rel))} as it is (the starter's was not written)")
    if created.settings:
        shown = os.path.normpath(os.path.join(directory, ".vscode", "settings.json"))
        click.echo(f"for the editor to check each policy file against its schema, add to {shown}:")
        click.echo(created.settings)
    if created.ignored:
        shown = os.path.normpath(os.path.join(directory, ".gitignore"))
        click.echo(f"added to {shown}: {', '.join(created.ignored)}")
    if not no_build:
        try:
            main.main(["build", "--root", directory], prog_name="policyctl", standalone_mode=False)
        except SystemExit as e:
            if e.code:
                sys.exit(e.code)
    import shlex

    # as a shell reads it: `cd my policies` went to `my`
    where = "" if os.path.abspath(directory) == os.getcwd() else f"cd {shlex.quote(directory)} && "
    click.echo(f"next: {where}policyctl validate && policyctl test && policyctl build --check")


def run() -> None:
    """The `policyctl` console script and `python -m engine`."""
    main(prog_name="policyctl")


if __name__ == "__main__":
    run()
