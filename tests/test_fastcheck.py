"""The fast paths give the slow paths' answers: compiled schemas, parameter schemas, libyaml.

The fast path may only ever say "certainly valid"; whenever it does, jsonschema must agree. And
on the policy files we ship it must say so, or it would not be a fast path at all.
"""

from __future__ import annotations

import copy
import json
import os
import random
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))  # for `generate`, the synthetic repository

from engine.model.repository import documents_of
from engine.schema import check as schema
from engine.schema import codegen as schemacode
from engine.schema import fastcheck
from engine.source import layout, loader


def _documents() -> Iterator[tuple[str, str, Any]]:
    """(path shown, kind, data) of every policy file we have: corpora, policies/, a small synthetic repo
    (generated in a folder of this process's own: parallel workers each collect these; its paths are
    shown as `synthetic/...`)."""
    import generate

    with tempfile.TemporaryDirectory(prefix="fastcheck-") as folder:
        synthetic = Path(folder) / "synthetic"
        generate.generate(str(synthetic), programs=2, marketplaces=4, pages=False)  # YAML only: no catalogs
        roots = [ROOT / "policies", ROOT / "tests" / "corpus" / "repos" / "mini", synthetic]
        for root in roots:
            if not root.is_dir():
                continue
            for path in layout.yaml_files(str(root)):
                placed = layout.classify(str(root), path)
                doc = loader.load_file(path)
                kind = placed.kind or (doc.data.get("kind") if isinstance(doc.data, dict) else None)
                if kind in schema.KINDS and os.path.exists(schema.schema_path(kind)) and not doc.problems:
                    yield os.path.relpath(path, synthetic.parent if root == synthetic else ROOT), kind, doc.data
    for file in sorted((ROOT / "tests" / "corpus").glob("*/*.yaml")):
        doc = loader.load_file(str(file))
        kind = doc.data.get("kind") if isinstance(doc.data, dict) else None
        if kind in schema.KINDS and os.path.exists(schema.schema_path(kind)):
            yield os.path.relpath(file, ROOT), kind, doc.data


DOCUMENTS = list(_documents())


def _slow_ok(kind: str, data: Any) -> bool:
    return not any(True for _ in schema.validator(kind).iter_errors(data))


def test_generated_module_is_current() -> None:
    committed = (ROOT / "engine" / "schema" / "_compiled.py").read_text(encoding="utf-8")
    assert schemacode.generate() == committed, "run `python -m engine.schema.codegen` and commit the result"


def test_every_kind_has_a_compiled_validator() -> None:
    fastcheck.is_valid("program", {})
    assert fastcheck._validators is not None
    kinds = {k for k in schema.KINDS if os.path.exists(schema.schema_path(k))}
    assert kinds <= set(fastcheck._validators)


@pytest.mark.parametrize("path,kind,data", DOCUMENTS, ids=[p for p, _, _ in DOCUMENTS])
def test_fast_answer_equals_slow_answer(path: str, kind: str, data: Any) -> None:
    assert fastcheck.is_valid(kind, data) == _slow_ok(kind, data)


def _mutations(data: Any, rng: random.Random, n: int) -> Iterator[Any]:
    """Small type and value changes at random places: the kinds of mistakes authors make."""
    replacements = [
        None,
        True,
        False,
        0,
        1,
        1.0,
        -1,
        2.5,
        "",
        "x",
        "NO",
        "2024-02-30",
        "2024-13-01",
        "2024-03-01",
        "Bad Id",
        "a\n",
        [],
        {},
        ["x"],
        {"x": 1},
        [1, 1],
        ["en", "en"],
        10**20,
        float("nan"),
    ]
    for _ in range(n):
        copied = copy.deepcopy(data)
        paths: list[tuple[Any, Any]] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for k in list(node):
                    paths.append((node, k))
                    walk(node[k])
            elif isinstance(node, list):
                for i in range(len(node)):
                    paths.append((node, i))
                    walk(node[i])

        walk(copied)
        if not paths:
            continue
        parent, key = rng.choice(paths)
        action = rng.random()
        if action < 0.15 and isinstance(parent, dict):
            del parent[key]
        elif action < 0.25 and isinstance(parent, dict):
            parent[rng.choice(["extra", "Kind", "valeu", "note"])] = rng.choice(replacements)
        else:
            parent[key] = copy.deepcopy(rng.choice(replacements))
        yield copied


def test_fast_path_never_accepts_what_jsonschema_rejects() -> None:
    rng = random.Random(20240301)
    checked = accepted = 0
    for _path, kind, data in DOCUMENTS:
        for mutated in _mutations(data, rng, 12):
            fast = fastcheck.is_valid(kind, mutated)
            slow = _slow_ok(kind, mutated)
            assert not fast or slow, (kind, json.dumps(mutated, default=str)[:300])
            checked += 1
            accepted += fast
    assert checked > 200 and accepted > 0


SCHEMAS: list[dict[str, Any]] = [
    {"type": "integer", "minimum": 0},
    {"type": "number", "minimum": 0, "maximum": 100},
    {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    {"type": "boolean"},
    {"type": "string", "format": "date"},
    {"format": "email"},
    {
        "type": "object",
        "propertyNames": {"pattern": "^[A-Z]{2}$"},
        "additionalProperties": {"type": "string", "format": "email"},
    },
    {"type": "string", "pattern": "^[a-z]+$", "minLength": 2, "maxLength": 5},
    {"enum": [1, 2, "x", None]},
    {"enum": [True]},
    {"const": 1},
    {"type": ["number", "null"]},
    {"type": "array", "uniqueItems": True, "items": {"enum": ["a", "b", "c"]}},
    {"type": "array", "uniqueItems": True},
    {"type": "array", "minItems": 1, "maxItems": 3, "items": {"type": "integer"}},
    {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["tier", "over", "up_to", "fee"],
            "additionalProperties": False,
            "properties": {
                "tier": {"type": "integer"},
                "over": {"type": ["number", "null"]},
                "up_to": {"type": ["number", "null"]},
                "fee": {"type": "number", "minimum": 0},
            },
        },
    },
    {
        "type": "object",
        "additionalProperties": {"type": "number"},
        "propertyNames": {"pattern": "^[a-z]+$"},
        "minProperties": 1,
        "maxProperties": 2,
    },
    {"anyOf": [{"type": "integer"}, {"type": "string"}]},
    {"oneOf": [{"type": "integer"}, {"type": "number"}]},
    {"allOf": [{"minimum": 1}, {"maximum": 3}]},
    {"not": {"type": "string"}},
    {"minimum": 3},
    {},
    {"type": "number", "minimum": 0, "format": "money"},
    {"type": "number", "enum": [0, 12.5], "format": "percent"},
    {"type": "integer", "format": "duration-day"},
    {"format": "duration-year"},
]
VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    1.0,
    1.5,
    -1,
    3,
    100,
    101,
    "",
    "a",
    "ab",
    "abcdef",
    "2024-02-29",
    "2023-02-29",
    "2024-1-01",
    [],
    ["a"],
    ["a", "a"],
    [1, True],
    [1, 1.0],
    [1, 2, 3, 4],
    {},
    {"a": 1},
    {"a": 1, "b": 2, "c": 3},
    {"A": 1},
    {"a": True},
    "a@b",
    {"US": "x@y"},
    {"US": "xy"},
    {"USA": "x@y"},
    [{"tier": 1, "over": None, "up_to": 5, "fee": 0.1}],
    [{"tier": 1, "over": None, "up_to": 5, "fee": -0.1}],
    [{"tier": 1.0, "over": None, "up_to": 5, "fee": 0}],
    [{"tier": True, "over": None, "up_to": 5, "fee": 0}],
    [{"tier": 1, "over": None, "up_to": 5}],
]


@pytest.mark.parametrize("param_schema", SCHEMAS, ids=[json.dumps(s)[:40] for s in SCHEMAS])
def test_value_fast_path_equals_jsonschema(param_schema: dict[str, Any]) -> None:
    fn = schemacode.compile_value(param_schema)
    assert fn is not None
    slow = schema._value_validator(json.dumps(param_schema, sort_keys=True))
    for value in VALUES:
        assert fn(value) == (not any(True for _ in slow.iter_errors(value))), value


# `format: uri`: RFC 3986's absolute URI, by engine.schema.predicates' one predicate, which the
# generated check and jsonschema's path (engine.schema.predicates.format_checker) both use: the same
# verdict whichever URI package is installed, or none (jsonschema alone would check nothing then).
URIS = [
    ("https://sellercentral.amazon.com/gp/help/G65T4N3XGC3MJB38", True),
    ("https://www.amazon.com/gp/help/display.html/ref=help_1-2?ie=UTF8&nodeId=2018&sr=1-2", True),
    ("http://example.com:8080/a%20b/@:;=?x=1&y=/z?#frag/ment?", True),
    ("https://", True),  # (an empty host: RFC 3986's reg-name may be empty)
    ("https://a b", False),
    ("https://a/%zz", False),
    ("http://[::1]/", True),
    ("http://[::zz]/", False),
    ("https://user@example.com/", True),
    ("mailto:someone@example.com", True),
    ("https://a#f#g", False),
    ("https://example.com/\n", False),
    ("https://bücher.de/", False),
    ("https://a/<b>", False),
    ("//example.com/", False),
    ("https://a:8x/", False),
    ("not a uri", False),
]


@pytest.mark.parametrize(("text", "valid"), URIS)
def test_a_uri_gets_one_verdict_from_every_check(text: str, valid: bool) -> None:
    uri = {"type": "string", "format": "uri"}
    fn = schemacode.compile_value(uri)
    assert fn is not None and fn(text) is valid
    assert fastcheck.value_is_valid(uri, text) is valid
    assert (not list(schema._value_validator(json.dumps(uri, sort_keys=True)).iter_errors(text))) is valid


def test_policyctl_s_own_formats_are_annotations_as_for_jsonschema() -> None:
    # the number formats pages show (`money`, ...): no draft of jsonschema checks them, so its
    # FormatChecker passes every value, and so do the generated checks (on any type, as jsonschema)
    from jsonschema import FormatChecker

    from engine.model.policy import SHOWN_FORMATS
    from engine.schema.predicates import ANNOTATION_FORMATS

    assert SHOWN_FORMATS - {"date", "date-time"} == ANNOTATION_FORMATS
    assert not ANNOTATION_FORMATS & set(FormatChecker.checkers)
    for fmt in sorted(ANNOTATION_FORMATS):
        for annotated in ({"format": fmt}, {"type": "string", "minLength": 2, "format": fmt}):
            fn = schemacode.compile_value(annotated)
            slow = schema._value_validator(json.dumps(annotated, sort_keys=True))
            assert fn is not None, annotated
            for value in VALUES:
                assert fn(value) == (not any(True for _ in slow.iter_errors(value))), (annotated, value)
    assert schemacode.compile_value({"format": "mony"}) is None  # a misspelling is P009's, asked of jsonschema


def test_unsupported_keywords_fall_back() -> None:
    unsupported: Mapping[str, object]
    for unsupported in (
        {"if": {"type": "string"}, "then": {"minLength": 1}},
        {"format": "phone"},  # (no format policyctl checks: P009 in the sources)
        {"patternProperties": {"^a": {}}},
        {"$ref": "#/$defs/x", "$defs": {"x": {}}},
    ):
        assert schemacode.compile_value(unsupported) is None or unsupported.get("$ref")
        assert not fastcheck.value_is_valid(unsupported, "x") or unsupported.get("$ref")


def test_check_value_reports_the_same_problems() -> None:
    doc = loader.load_text("value: 1\n", "f.yaml")
    for param_schema in SCHEMAS:
        for value in VALUES:
            fast = schema.check_value(doc, ("value",), value, param_schema, "parameter `x`")
            errors = list(schema._value_validator(json.dumps(param_schema, sort_keys=True)).iter_errors(value))
            assert bool(fast) == bool(errors)


def test_schema_fast_path_agrees_with_the_metaschema() -> None:
    from jsonschema import Draft202012Validator

    meta = Draft202012Validator(Draft202012Validator.META_SCHEMA)
    candidates: list[Any] = SCHEMAS + [
        {"type": "integr"},
        {"type": []},
        {"type": ["string", "string"]},
        {"minimum": "0"},
        {"minLength": -1},
        {"minLength": 1.0},
        {"required": ["a", "a"]},
        {"required": "a"},
        {"enum": "a"},
        {"properties": {"a": 1}},
        {"items": {"type": "nope"}},
        {"uniqueItems": "yes"},
        {"tiers": True, "type": "array"},
        True,
        False,
        3,
        {"$ref": 3},
        {"allOf": []},
        {"pattern": 1},
        {"examples": 1},
        {"description": None},
    ]
    for candidate in candidates:
        if fastcheck.schema_is_valid(candidate):
            assert not list(meta.iter_errors(candidate)), candidate
    assert all(fastcheck.schema_is_valid(s) for s in SCHEMAS)


def test_schema_fast_path_knows_every_metaschema_keyword() -> None:
    """A keyword of the 2020-12 vocabularies the fast path does not check must send it to jsonschema."""
    from jsonschema_specifications import REGISTRY

    known = (
        set(fastcheck._KEYWORD_OK)
        | fastcheck._ONE_SUBSCHEMA
        | fastcheck._SUBSCHEMA_MAP
        | fastcheck._SUBSCHEMA_LIST
        | fastcheck._OTHER_KNOWN
    )
    keywords: set[str] = set()
    for uri in REGISTRY:
        if "2020-12/meta/" in uri:
            keywords |= set(REGISTRY.contents(uri).get("properties", {}))
    assert keywords and keywords <= known, keywords - known


def test_libyaml_and_pure_parser_read_the_corpus_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    if loader._Parser is loader._PureParser:
        pytest.skip("PyYAML without libyaml")
    files = [str(p) for p in sorted((ROOT / "tests" / "corpus").rglob("*.yaml"))]
    files += layout.yaml_files(str(ROOT / "policies")) if (ROOT / "policies").is_dir() else []
    fast = [loader.load_file(path) for path in files]
    monkeypatch.setattr(loader, "_Parser", loader._PureParser)
    slow = [loader.load_file(path) for path in files]
    for path, f, s in zip(files, fast, slow):
        assert (f.data, f.positions, f.key_positions, f.problems) == (
            s.data,
            s.positions,
            s.key_positions,
            s.problems,
        ), path


DATES = [
    "2024-03-01",
    "2024-02-30",
    "2024-3-01",
    "20240301",
    "2024-03-01T10:00:00Z",
    "2024-03-01T10:00:00",
    "2024-03-01T10:00:00+01:00",
    "2024-03-01 10:00Z",
    "2024-03-01T10:00:00.123+05:30",
    "2024-13-01T00:00Z",
    "٢٠٢٤-٠٣-٠١",
    "2024-03-01T25:00:00Z",
    "",
    "x",
    "2024-03-01T10:00:00z",
    "2024-03-01T10:00:00+0100",
]


def test_decision_input_formats_fast_equal_slow() -> None:
    import copy

    from engine.decisions import inputs as decide

    checker = decide.InputChecker({"d": {"type": "string", "format": "date"}, "t": {"format": "date-time"}}, ())
    explaining = copy.copy(checker)
    explaining.fast = None  # the checks that say why, which the generated one short-cuts
    for value in DATES:
        for name in ("d", "t"):
            assert checker.fast is not None and checker.fast({name: value}) == (not explaining.check({name: value}))


def test_decision_input_fast_path_never_looser() -> None:
    from engine.decisions import inputs as decide

    properties = {
        "units": {"type": "integer", "minimum": 0},
        "rate": {"type": "number", "maximum": 100},
        "kind": {"enum": ["a", "b", 1]},
        "when": {"type": "string", "format": "date-time"},
        "day": {"type": "string", "format": "date"},
        "code": {"type": "string", "pattern": "^[a-z]+$"},
        "flag": {"type": "boolean"},
        "any": {"description": "anything"},
    }
    checker = decide.InputChecker(properties, ("units",))
    assert checker.fast is not None
    slow = decide.InputChecker(properties, ("units",))
    slow.fast = None
    rng = random.Random(7)
    values: list[Any] = [None, True, False, 0, 1, 1.0, -1, 100, 101.5, "a", "b", "", "A", 1, [], {}, *DATES]
    accepted = 0
    for _ in range(3000):
        inputs = {name: rng.choice(values) for name in rng.sample(list(properties) + ["extra"], rng.randint(0, 5))}
        fast = checker.fast(inputs)
        assert not fast or slow.check(inputs) == [], inputs
        assert checker.check(inputs) == slow.check(inputs), inputs
        accepted += fast
    assert accepted > 0


def test_batch_lines_equal_one_by_one_answers() -> None:
    """The batch runner encodes each distinct outcome once; every line must still be its own answer."""
    import io

    import engine
    from engine.decisions.batch import run_decide

    repo = engine.load(str(ROOT / "tests" / "corpus" / "repos" / "mini"))
    prog = next(iter(repo.programs))
    decision = next(iter(repo.programs[prog].decisions))
    market = repo.programs[prog].marketplaces[0]
    compiled = repo.compiled(prog, decision)
    params = repo.params(prog, market, "2024-06-01")
    cases = [{"days_late": d, "member": m} for d in (0, 0, 1, 3, 30, 3, 0) for m in (True, False, 1)] + [
        {"days_late": -1},
        {"days_late": 1.0},
        {"days_late": True},
        {},
    ]
    text = "".join(json.dumps(c) + "\n" for c in cases)
    out = io.StringIO()
    run_decide(repo, prog, decision, market, "2024-06-01", io.StringIO(text), out, False)
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    when = {"at": "2024-06-01", "time_zone": repo.marketplaces[market].time_zone}  # (ending every answer)
    for number, (case, line) in enumerate(zip(cases, out.getvalue().splitlines()), 1):
        expected = compiled.decide(case, params, "2024-06-01", engine.Pos("<input>", number, 1))
        assert json.loads(line)["outputs"] == expected.outputs
        if expected.ok:
            assert line == encode({"line": number, **expected.to_json(), **when}), case


def test_compile_cache_gives_the_same_problems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    import engine
    from engine.cache import memo
    from engine.decisions import compile as decide

    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    repo_dir = tmp_path / "policies"
    shutil.copytree(ROOT / "tests" / "corpus" / "repos" / "mini", repo_dir)
    decision = next((repo_dir / "loans" / "decisions").glob("*.yaml"))
    text = decision.read_text(encoding="utf-8")
    decision.write_text(
        text.replace('when: "days_late == 0"', 'when: "days_lat == 0 and params.nope"'), encoding="utf-8"
    )
    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    uncached = engine.load(str(repo_dir)).problems
    assert any(p.code.startswith("E") for p in uncached)
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    memo.clear_all()  # (each load below as a new process's: compiled, or read from the disk)
    first = engine.load(str(repo_dir)).problems
    assert list((tmp_path / "cache" / "decisions").iterdir())

    def no_compiling(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("compiled although the answer is cached")

    monkeypatch.setattr(decide, "compile_decision", no_compiling)
    memo.clear_all()
    second = engine.load(str(repo_dir)).problems
    assert uncached == first == second
    monkeypatch.undo()
    decision.write_text(text, encoding="utf-8")  # a changed file is compiled again
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    assert not any(p.code.startswith("E") for p in engine.load(str(repo_dir)).problems)


def test_known_locale_agrees_with_babel() -> None:
    from babel import Locale, UnknownLocaleError

    def babel_knows(tag: str) -> bool:
        try:
            Locale.parse(tag, sep="-")
            return True
        except (UnknownLocaleError, ValueError):
            return False

    folder = Path(fastcheck._locale_data[0] or "") if fastcheck.known_locale("en") else None
    assert folder is not None and folder.is_dir()
    tags = [p.stem.replace("_", "-") for p in folder.glob("*.dat")]
    tags += [
        "en",
        "zh-Hans",
        "zh-Hant-TW",
        "sr-Latn",
        "nb",
        "no",
        "iw",
        "xx",
        "en-XX",
        "EN",
        "en_US",
        "en-us",
        "zh-hans",
        "de-DE-1996",
        "root",
        "und",
        "",
        "e",
        "toolong",
    ]
    accepted = 0
    for tag in tags:
        if fastcheck.known_locale(tag):
            accepted += 1
            assert babel_knows(tag), tag
    assert accepted > 500


def test_document_pack_gives_the_same_documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    import engine
    from engine.cache import memo

    repo_dir = tmp_path / "policies"
    shutil.copytree(ROOT / "tests" / "corpus" / "repos" / "mini", repo_dir)
    for bad in ("duplicate_key.yaml", "syntax_unclosed.yaml", "tab_indent.yaml", "empty.yaml", "binary.yaml"):
        shutil.copy(ROOT / "tests" / "corpus" / "invalid" / bad, repo_dir / "loans" / "tests" / bad)

    def snapshot() -> Any:
        memo.clear_all()  # (each load as a new process's: parsed or read from the pack, not from the memo)
        repo = engine.load(str(repo_dir))
        docs = {p: (d.data, d.positions, d.key_positions, d.problems, d.text) for p, d in documents_of(repo).items()}
        return docs, repo.problems

    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    plain = snapshot()
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    assert snapshot() == plain  # writes the pack
    assert list((tmp_path / "cache" / "documents").iterdir())
    assert snapshot() == plain  # reads it
    program = repo_dir / "loans" / "program.yaml"
    program.write_text(program.read_text(encoding="utf-8").replace("loans", "loanz", 1), encoding="utf-8")
    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    edited = snapshot()
    assert edited != plain
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    assert snapshot() == edited


def test_generated_code_imports_its_runtime_not_its_generator() -> None:
    text = (ROOT / "engine" / "schema" / "_compiled.py").read_text(encoding="utf-8")
    imports = [line for line in text.splitlines() if line.startswith(("import ", "from "))]
    assert imports and all("codegen" not in line for line in imports), imports
