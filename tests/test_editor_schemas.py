"""The JSON Schemas policyctl publishes for editors (`policyctl init` writes them into `schemas/`,
with `.vscode/settings.json` and a modeline in each file), read as an editor reads them: by a
standard Draft 2020-12 validator that knows nothing of the engine, resolving `$ref`s from the
files alone (offline), with `format: date` asserted (the YAML language server does).

- Differential, one way: every file `validate` accepts (the starter, policies/, the corpus's valid
  cases and made-up repository, the benchmark generator's) is valid under its kind's schema. An
  editor underlining a file `validate` accepts is a fault.
- The other way: every bad input `validate` refuses for a schema reason (S001 in
  tests/corpus/invalid/EXPECTED) is refused by the schema too; what only the engine can refuse is
  listed in ENGINE_ONLY, each case shown refused by `validate` and accepted by the schema.
- The editor finds the schema of every file (settings globs, `.yml` too) and hover help for every
  property (`description`; `markdownDescription`, which the YAML language server renders, where
  the text is Markdown).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from engine import packaged
from engine.commands.validate import validate
from engine.source import layout
from engine.source.loader import load_file
from support import CORPUS, MINI, ROOT, edit

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate  # (the benchmark generator, beside the engine)

SCHEMAS = ROOT / "schemas"
KINDS = ("marketplaces", "program", "overlay", "decision", "tests", "pages")


def _editor_validator(folder: Path, kind: str) -> Draft202012Validator:
    """The kind's schema as an editor loads it: from its file, `$ref`s resolved beside it by their
    relative URIs, nothing fetched (a `$ref` elsewhere would fail as unresolvable)."""
    registry: Registry[Any] = Registry().with_resources(  # (schemas are arbitrary JSON)
        (path.as_uri(), Resource.from_contents(json.loads(path.read_text(encoding="utf-8"))))
        for path in folder.glob("*.schema.json")
    )
    uri = (folder / f"{kind}.schema.json").as_uri()
    return Draft202012Validator({"$ref": uri}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _errors(folder: Path, kind: str, data: object) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in _editor_validator(folder, kind).iter_errors(data)]


def _kinded_files(policies: Path) -> Iterator[tuple[Path, str]]:
    for name in layout.yaml_files(str(policies)):
        kind = layout.classify(str(policies), name).kind
        if kind is not None:
            yield Path(name), kind


@pytest.fixture(scope="module")
def benchmark_repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench") / "policies"
    generate(str(out), programs=1, marketplaces=3, pages=False)
    return out


@pytest.mark.parametrize("source", ["starter", "policies", "mini", "benchmark"])
def test_what_validate_accepts_the_editor_accepts(source: str, init_starter: Path, benchmark_repository: Path) -> None:
    policies = {
        "starter": init_starter / "policies",
        "policies": ROOT / "policies",
        "mini": MINI,
        "benchmark": benchmark_repository,
    }[source]
    assert [p for p in validate([str(policies)]).problems if p.severity == "error"] == []
    files = list(_kinded_files(policies))
    assert {kind for _, kind in files} >= {"marketplaces", "program", "decision", "tests"}
    published = init_starter / "schemas"  # what `init` writes is what editors read
    for path, kind in files:
        assert _errors(published, kind, load_file(str(path)).data) == [], path


@pytest.mark.parametrize("name", sorted(p.name for p in (CORPUS / "valid").glob("*.yaml")))
def test_valid_corpus_is_valid_in_the_editor(name: str) -> None:
    doc = load_file(str(CORPUS / "valid" / name))
    assert validate([doc.path]).problems == []
    assert _errors(SCHEMAS, doc.data["kind"], doc.data) == []


def _schema_refusals() -> list[str]:
    lines = (CORPUS / "invalid" / "EXPECTED").read_text(encoding="utf-8").splitlines()
    return [line.split()[0] for line in lines if line.split()[1:2] == ["S001"]]


@pytest.mark.parametrize("name", _schema_refusals())
def test_what_validate_refuses_by_schema_the_editor_refuses(name: str) -> None:
    doc = load_file(str(CORPUS / "invalid" / name))
    assert [p.code for p in validate([doc.path]).problems][:1] == ["S001"]
    assert _errors(SCHEMAS, doc.data["kind"], doc.data) != []


PROGRAM = "returns/program.yaml"
DECISION = "returns/decisions/return_allowed.yaml"
TESTS = "returns/tests/return_allowed.yaml"

# What `validate` refuses and the published schemas cannot: checks across values or files, or of
# what a value means. An editor shows none of these; `validate` (the pre-commit hook) does.
# name, file, text, replacement, code
ENGINE_ONLY = [
    ("a required input that is not declared", DECISION, "required: [days_since_delivery]", "required: [days]", "S001"),
    ("a rule id used twice", DECISION, "id: too_late", "id: within_window", "S001"),
    ("an id that differs from its file name", DECISION, "id: return_allowed", "id: allowed", "L003"),
    ("a value that does not match its parameter's schema", PROGRAM, "value: 30", "value: -1", "P003"),
    ("a marketplace that is not declared", PROGRAM, "marketplaces: [us, de]", "marketplaces: [us, fr]", "P001"),
    ("a test case of an unknown decision", TESTS, "decision: return_allowed", "decision: nope", "T002"),
    (
        "an expression that does not parse",
        DECISION,
        '"days_since_delivery <= params',
        '"days_since_delivery <=< params',
        "E001",
    ),
]


@pytest.mark.parametrize("name, rel, old, new, code", ENGINE_ONLY, ids=[c[0] for c in ENGINE_ONLY])
def test_engine_only_refusals(name: str, rel: str, old: str, new: str, code: str, init_repo: Path) -> None:
    path = init_repo / "policies" / rel
    edit(path, old, new)
    assert code in {p.code for p in validate([str(init_repo / "policies")]).problems}
    kind = layout.classify(str(init_repo / "policies"), str(path)).kind
    assert kind is not None
    assert _errors(init_repo / "schemas", kind, load_file(str(path)).data) == []


# What both refuse, `validate` with its own code: a misspelt keyword in a JSON Schema an author
# writes (common.schema.json's `json_schema`, there for editors; engine.schema.check leaves its
# errors to P009's checks, which say more). name, file, text, replacement, code
BOTH = [
    (
        "a misspelt keyword in an output's schema",
        DECISION,
        "allowed: {type: boolean}",
        "allowed: {tpye: boolean}",
        "P009",
    ),
    ("a type JSON Schema lacks", PROGRAM, "schema: {type: boolean}", "schema: {type: bool}", "P009"),
    (
        "a misspelt keyword deep in an input's schema",
        DECISION,
        "    type: integer\n",
        "    type: integer\n    properties: {a: {items: {tpye: string}}}\n",
        "P009",
    ),
]


@pytest.mark.parametrize("name, rel, old, new, code", BOTH, ids=[c[0] for c in BOTH])
def test_refused_by_both(name: str, rel: str, old: str, new: str, code: str, init_repo: Path) -> None:
    path = init_repo / "policies" / rel
    edit(path, old, new)
    assert [p.code for p in validate([str(init_repo / "policies")]).problems] == [code]
    kind = layout.classify(str(init_repo / "policies"), str(path)).kind
    assert kind is not None
    assert _errors(SCHEMAS, kind, load_file(str(path)).data) != []


def test_authors_schema_keywords_are_the_engines() -> None:
    """`json_schema` allows exactly the keywords `validate` knows and descends where it descends."""
    from engine.model.build import SCHEMA_KEYWORDS
    from engine.schema.keywords import SUBSCHEMA_LISTS, SUBSCHEMA_MAPS, SUBSCHEMA_ONE

    common = json.loads((SCHEMAS / "common.schema.json").read_text(encoding="utf-8"))
    keywords = common["$defs"]["json_schema"]["properties"]
    assert set(keywords) == SCHEMA_KEYWORDS
    ref = {"$ref": "#/$defs/json_schema"}
    for name, node in keywords.items():
        descends = (
            node.get("additionalProperties")
            if name in SUBSCHEMA_MAPS
            else node.get("items")
            if name in SUBSCHEMA_LISTS
            else {"$ref": node.get("$ref")}
        )
        assert (descends == ref) == (name in (*SUBSCHEMA_MAPS, *SUBSCHEMA_LISTS, *SUBSCHEMA_ONE)), name


def _glob(pattern: str) -> re.Pattern[str]:
    """A `yaml.schemas` glob as the YAML language server matches it: `**/` put in front, `*`
    within one folder, `{a,b}` alternatives."""
    out = ""
    for part in re.split(r"(\*\*/|\*|\{[^}]*\})", pattern.lstrip("/")):
        if part == "**/":
            out += "(?:.*/)?"
        elif part == "*":
            out += "[^/]*"
        elif part.startswith("{"):
            out += "(?:" + "|".join(re.escape(p) for p in part[1:-1].split(",")) + ")"
        else:
            out += re.escape(part)
    return re.compile("(?:.*/)?" + out + r"\Z")


@pytest.mark.parametrize("suffix", [".yaml", ".yml"])
def test_settings_give_every_file_its_kinds_schema(suffix: str, init_starter: Path) -> None:
    """`.vscode/settings.json` maps each file policyctl reads to its kind's schema, whichever
    suffix the layout accepts (`layout.YAML_SUFFIXES`), and no file to two schemas."""
    assert suffix in layout.YAML_SUFFIXES
    for top, policies in [(init_starter, init_starter / "policies"), (ROOT, ROOT / "policies")]:
        mapping = json.loads((top / ".vscode" / "settings.json").read_text(encoding="utf-8"))["yaml.schemas"]
        globs = [
            (schema, _glob(g))
            for schema, patterns in mapping.items()
            for g in ([patterns] if isinstance(patterns, str) else patterns)
        ]
        for path, kind in _kinded_files(policies):
            rel = path.relative_to(top).with_suffix(suffix).as_posix()
            assert layout.classify(str(top / "policies"), str(top / rel)).kind == kind
            schemas = {schema for schema, pattern in globs if pattern.match(rel)}
            assert schemas == {f"schemas/{kind}.schema.json"}, rel


def test_this_repository_has_the_editor_settings_init_writes() -> None:
    """policies/ gets what `policyctl init` gives a new repository (it had no `.vscode/settings.json`
    and two modelines): the same settings, kept the same (this repository's layout is the starter's:
    policies/ and schemas/ at the top)."""
    starter = Path(packaged.starter_dir()) / "dot-vscode" / "settings.json"
    assert (ROOT / ".vscode" / "settings.json").read_bytes() == starter.read_bytes()


@pytest.mark.parametrize("top", ["starter", "repository"])
def test_every_policy_file_has_a_modeline_naming_its_kinds_schema(top: str, init_starter: Path) -> None:
    """Each YAML file starts with a `yaml-language-server` modeline naming its kind's schema, for
    editors that do not read `.vscode/settings.json`: the starter's (test_anyrepo checks they exist)
    and this repository's own (only two files had one)."""
    where = init_starter if top == "starter" else ROOT
    for path, kind in _kinded_files(where / "policies"):
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("=", 1)[1]).resolve()
        assert target == (where / "schemas" / f"{kind}.schema.json").resolve(), path


def _properties(node: object, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property schema (and the schema of every map's values and list's items), by place."""
    if not isinstance(node, dict):
        return
    for name, sub in (node.get("properties") or {}).items():
        yield f"{where}/{name}", sub
        yield from _properties(sub, f"{where}/{name}")
    for key in ("additionalProperties", "items"):
        if isinstance(node.get(key), dict):
            yield f"{where}/{key}", node[key]
            yield from _properties(node[key], f"{where}/{key}")
    for key in ("oneOf", "anyOf"):
        for i, sub in enumerate(node.get(key) or ()):
            yield from _properties(sub, f"{where}/{key}/{i}")
    for name, sub in (node.get("$defs") or {}).items():
        yield from _properties(sub, f"{where}#/$defs/{name}")


def _described(schema: dict[str, Any], file: str) -> dict[str, Any]:
    """Where the editor finds the hover text: the node's own, else its `$ref` target's."""
    while "description" not in schema and "$ref" in schema:
        target, _, pointer = schema["$ref"].partition("#")
        node: Any = json.loads((SCHEMAS / (target or file)).read_text(encoding="utf-8"))
        for part in pointer.split("/")[1:]:
            node = node[part]
        schema, file = node, target or file
    return schema


@pytest.mark.parametrize("kind", (*KINDS, "common"))
def test_every_property_has_hover_help(kind: str) -> None:
    file = f"{kind}.schema.json"
    schema = json.loads((SCHEMAS / file).read_text(encoding="utf-8"))
    assert schema.get("description"), file
    for where, node in _properties(schema, file):
        shown = _described(node, file)
        assert shown.get("description"), f"{where} has no description"
        if "enum" in shown and len(shown["enum"]) > 1:
            assert all(f"`{value}`" in shown["description"] for value in shown["enum"]), where
    for where, node in [(file, schema), *_properties(schema, file)]:
        text = node.get("description", "")
        # the YAML language server (2.x) renders `description` as Markdown too: `<id>` would vanish
        assert not re.search(r"[<>*_\\]", re.sub(r"`[^`]*`", "", text)), f"{where}: Markdown outside a code span"
        if "`" in text or "**" in text:  # Markdown: the YAML language server renders markdownDescription
            assert node.get("markdownDescription") == text, f"{where}: markdownDescription differs"
        else:
            assert "markdownDescription" not in node or node["markdownDescription"] == text, where


@pytest.mark.parametrize("kind", (*KINDS, "common"))
def test_a_printed_schema_has_one_key_a_line_in_a_multi_line_object(kind: str) -> None:
    """`policyctl schema program` printed `"description": "...", "markdownDescription": "..."` (the
    same text twice) on one line, in objects whose every other key has a line of its own."""
    from support import run_cli

    printed = run_cli("schema", kind)
    assert printed.code == 0 and printed.out == (SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8")
    crowded = [line for line in printed.out.splitlines() if re.match(r'\s*"[^"]+": "', line) and '", "' in line]
    assert crowded == [], crowded


STARTER_SETTINGS = ROOT / "engine" / "starter" / "dot-vscode" / "settings.json"
SCHEMAS_MEMBER = "\n".join(STARTER_SETTINGS.read_text(encoding="utf-8").splitlines()[1:9])  # `"yaml.schemas": {...},`
ASSOCIATIONS_MEMBER = "\n".join(STARTER_SETTINGS.read_text(encoding="utf-8").splitlines()[9:13])


@pytest.mark.parametrize(
    "theirs, missing",
    [
        ('{"editor.tabSize": 2}\n', f"{SCHEMAS_MEMBER}\n{ASSOCIATIONS_MEMBER}"),
        # JSON with comments, as VS Code reads it; a trailing comma too
        (
            '{\n  // ours\n  "editor.tabSize": 2,\n  "files.associations": {"*.x": "y"},\n}\n',
            SCHEMAS_MEMBER.rstrip(","),
        ),
        ('{"yaml.schemas": {"s.json": "*.yaml"}, "files.associations": {}}', ""),  # theirs: not told what to map
    ],
    ids=["plain", "with comments", "has both keys"],
)
def test_init_keeps_existing_editor_settings_and_says_what_to_add(tmp_path: Path, theirs: str, missing: str) -> None:
    """Editor settings already there were in the starter's way: `init` refused the repository, and
    the user had to move them aside and merge the starter's by hand. They are kept as they are,
    as README.md is, and the starter's settings they lack are printed to be added."""
    from support import run_cli

    top = tmp_path / "repo"
    settings = top / ".vscode" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(theirs, encoding="utf-8")
    result = run_cli("init", str(top), "--no-build")
    assert result.code == 0, result
    told = f"for the editor to check each policy file against its schema, add to {settings}:\n{missing}\n"
    assert result.out == (
        f"wrote 20 files into {top}\n"
        f"kept {settings} as it is (the starter's was not written)\n"
        + (told if missing else "")
        + f"next: cd {top} && policyctl validate && policyctl test && policyctl build --check\n"
    )
    assert settings.read_text(encoding="utf-8") == theirs
    assert (top / "policies" / "marketplaces.yaml").is_file() and (top / "schemas" / "program.schema.json").is_file()
    if missing:  # what is said, added, makes the starter's settings
        members = theirs.rstrip().rstrip("}").rstrip().rstrip(",")
        merged = json.loads(f"{members}, {missing}}}") if "//" not in theirs else None
        assert merged is None or {**json.loads(STARTER_SETTINGS.read_text()), **merged} == merged


def test_init_refuses_editor_settings_that_are_no_plain_file(tmp_path: Path) -> None:
    from support import run_cli

    settings = tmp_path / "repo" / ".vscode" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.symlink_to(tmp_path / "elsewhere.json")
    result = run_cli("init", str(tmp_path / "repo"))
    assert result.code == 2, result
    assert f"  {settings}: a link, not a plain file (policyctl init reads the editor settings it keeps)\n" in result.err
    assert sorted(p.name for p in (tmp_path / "repo").rglob("*")) == [".vscode", "settings.json"]


def test_published_schemas_are_the_sources(init_starter: Path) -> None:
    for path in SCHEMAS.glob("*.schema.json"):
        assert (init_starter / "schemas" / path.name).read_bytes() == path.read_bytes()


def test_refs_resolve_beside_the_schema_wherever_it_is_read_from(init_starter: Path) -> None:
    """A tool's base for a schema's `$ref`s is its `$id` when it has one, else where it was read
    (check-jsonschema's `--schemafile`): `common.schema.json` must be the file beside it. A relative
    `$id` (`program.schema.json`) was taken as the base as it is, so check-jsonschema run from the
    repository's top looked for ./common.schema.json: "Unresolvable: common.schema.json#/$defs/id"."""
    for path in (init_starter / "schemas").glob("*.schema.json"):
        read_from = path.as_uri()
        base = json.loads(path.read_text(encoding="utf-8")).get("$id", read_from)
        assert urljoin(base, "common.schema.json") == urljoin(read_from, "common.schema.json"), path.name


def test_check_jsonschema_checks_the_starter_from_its_top(init_starter: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the guide promises the editor, checked as an author would from the repository's top with
    check-jsonschema (the `bench` extra; skipped without it): every file valid, nothing unresolvable."""
    main = pytest.importorskip("check_jsonschema.cli.main_command").main
    from click.testing import CliRunner

    monkeypatch.chdir(init_starter)
    for kind in KINDS:
        files = [str(p.relative_to(init_starter)) for p, k in _kinded_files(init_starter / "policies") if k == kind]
        if files:
            done = CliRunner().invoke(main, ["--schemafile", f"schemas/{kind}.schema.json", *files])
            assert (done.exit_code, done.output) == (0, "ok -- validation done\n"), (kind, done.output)


def test_fmt_keeps_an_authors_schema_in_its_order(init_repo: Path) -> None:
    """`json_schema` lists the keywords for editors; `fmt` orders a file by its kind's schema but
    leaves an author's JSON Schema as written (`maximum` before `minimum` here)."""
    from support import run_cli

    edit(
        init_repo / "policies" / PROGRAM,
        "schema: {type: integer, minimum: 0, maximum: 365}",
        "schema:\n      maximum: 365\n      type: integer\n      minimum: 0",
    )
    result = run_cli("fmt", "--check", cwd=init_repo)
    assert result.code == 0, result
