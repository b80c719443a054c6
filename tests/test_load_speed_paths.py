"""The shortcuts taken to load a repository faster agree with the plain ways they replace."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from engine.model.repository import documents_of
from engine.problems import Pos, Problem
from engine.schema import patterns
from engine.source import layout
from engine.source.loader import Document, load_text

PATTERNS = [
    "^[A-Z]{2}$",
    "^[a-z][a-z0-9_]*$",
    r"^[^@\s]+@[^@\s]+$",
    "^[a-z0-9.]+@[a-z0-9.]+$",
    "^(a+)+$",
    "^a*a*$",
    "a+",
    "(",
    "x" * (patterns.MAX_PATTERN + 1),
    r"^(\w)\1$",
    "^(foo|bar)+$",
    "^(/[a-z]+)*$",
    "",
    "^$",
    "(" * 200 + ")" * 200,
]


@pytest.mark.parametrize("regex", PATTERNS)
def test_regex_verdicts_remembered_by_text_are_the_computed_ones(regex: str) -> None:
    computed = patterns._regex_risk(regex)
    assert patterns.regex_risk(regex) == computed
    assert patterns.regex_risk(regex) == computed  # the second answer comes from the memo
    assert patterns.regex_risk("".join(list(regex))) == computed  # an equal text built anew


def test_regex_memo_stays_bounded() -> None:
    for i in range(patterns._MAX_RISKS + 10):
        patterns.regex_risk(f"^a{{{i}}}$")
    assert len(patterns._RISKS) <= patterns._MAX_RISKS
    assert patterns.regex_risk("^(a+)+$") == patterns._regex_risk("^(a+)+$")


def _slow_pos(doc: Document, path: tuple[object, ...]) -> Pos:
    """Document.pos as first written: the nearest ancestor that has a position."""
    path = tuple(path)
    while path not in doc.positions and path:
        path = path[:-1]
    line, col = doc.positions.get(path, (1, 1))
    return Pos(doc.path, line, col)


def _slow_key_pos(doc: Document, path: tuple[object, ...]) -> Pos:
    path = tuple(path)
    if path in doc.key_positions:
        line, col = doc.key_positions[path]
        return Pos(doc.path, line, col)
    return _slow_pos(doc, path)


def test_positions_agree_with_the_plain_look_up() -> None:
    doc = load_text("a:\n  b: [1, {c: x}]\n  d: y\ne: [[1, 2], {f: {g: h}}]\n", "f.yaml")
    paths = list(doc.positions) + list(doc.key_positions)
    paths += [p + ("missing",) for p in paths] + [p + (0, "x", 3) for p in paths] + [(), ("nope",), ("a", 7)]
    for path in paths:
        for shape in (tuple(path), list(path)):
            # a list too: pos and key_pos take a tuple (the paths they store) or a list
            assert doc.pos(shape) == _slow_pos(doc, path), path
            assert doc.key_pos(shape) == _slow_key_pos(doc, path), path
    empty = Document("e.yaml")
    assert empty.pos(("a", "b")) == Pos("e.yaml", 1, 1) == empty.key_pos(["a"])


@pytest.mark.parametrize(
    "root, path",
    [
        ("/r", "/r/p/program.yaml"),
        ("/r/", "/r//p/marketplaces/de.yaml"),
        ("/", "/marketplaces.yaml"),
        ("/", "/"),
        ("r", "r"),
        ("r", "rr/x.yaml"),
        ("r/a", "r/b/c.yaml"),
        ("r/./a", "r/a/./p/../q/tests/t.yaml"),
        ("..", "../x.yaml"),
        ("x", "/etc/passwd"),
        (".", "p/decisions/d.yml"),
        ("//r", "//r/x/program.yml"),
    ],
)
def test_relative_path_is_relpath(root: str, path: str) -> None:
    assert layout._relative(root, path) == os.path.relpath(os.path.abspath(path), os.path.abspath(root))


def test_relative_path_of_every_policy_file_is_relpath() -> None:
    root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "policies")
    for path in layout.yaml_files(root):
        for shown in (path, os.path.relpath(path)):
            assert layout._relative(root, shown) == os.path.relpath(os.path.abspath(shown), os.path.abspath(root))


def test_document_pack_shares_position_tuples_without_changing_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    import engine
    from engine.cache import memo
    from engine.cache.documents import PackedDocument

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    repo_dir = tmp_path / "policies"
    shutil.copytree(os.path.join(root, "policies"), repo_dir)

    def typed(positions: dict[tuple[Any, ...], tuple[int, int]]) -> list[tuple[object, ...]]:
        return sorted(
            (tuple((type(p).__name__, p) for p in path), where, tuple(map(type, where)))
            for path, where in positions.items()
        )

    def snapshot() -> dict[str, tuple[list[tuple[object, ...]], list[tuple[object, ...]]]]:
        memo.clear_all()  # (each load as a new process's: parsed or read from the pack, not from the memo)
        repo = engine.load(str(repo_dir))
        return {p: (typed(d.positions), typed(d.key_positions)) for p, d in documents_of(repo).items()}

    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    plain = snapshot()
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    assert snapshot() == plain  # parsed, shared, written
    assert snapshot() == plain  # read back
    memo.clear_all()
    repo = engine.load(str(repo_dir))
    places: dict[tuple[int, int], tuple[int, int]] = {}
    for doc in documents_of(repo).values():
        assert isinstance(doc, PackedDocument)  # read from the cache
        for where in list(doc.near.values()) + list(doc.near_keys.values()):
            assert places.setdefault(where, where) is where  # one object per (line, col) in the pack


def _all_paths(doc: Document) -> list[tuple[Any, ...]]:
    paths = set(doc.positions) | set(doc.key_positions)
    more = set()
    for path in paths:
        more |= {path + ("missing",), path + (0,), path + ("value",), path + (99, "value"), path + ("a", "b", "value")}
    return sorted(paths | more | {(), ("value",), ("nope",), ("nope", "value"), (5,)}, key=repr)


@pytest.mark.slow
def test_packed_documents_answer_every_position_as_parsed_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    import engine
    from engine.cache import documents, memo
    from engine.cache.documents import PackedDocument

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    repo_dir = tmp_path / "policies"
    shutil.copytree(os.path.join(root, "policies"), repo_dir)
    (repo_dir / "csba" / "tests" / "aliases.yaml").write_text(  # aliases, flow, nested values named `value`
        "kind: tests\ncases:\n  - &c {name: a, decision: x, marketplace: us, at: '2024-01-01', input: {value: [1, {value: 2}]},"
        " expect: {value: {value: 3}}}\n  - *c\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    plain = documents_of(engine.load(str(repo_dir)))
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    memo.clear_all()  # (each load below as a new process's: from the pack, not this process's memo)
    engine.load(str(repo_dir))  # writes the pack
    # A copy decoded for a question parses its text again (it has no blob): the same text every
    # time, so the parse is made once per text and shared (read only), or this test parses each file
    # once per position, tens of thousands of parses. What decoding gives is still compared with the
    # parsed document below (`doc.positions == parsed.positions`, in the same order).
    parses: dict[tuple[str, str], Document] = {}
    real_load_text = load_text  # the function documents.load_text names

    def load_text_once(text: str, path: str) -> Document:
        if (text, path) not in parses:
            parses[text, path] = real_load_text(text, path)
        return parses[text, path]

    monkeypatch.setattr(documents, "load_text", load_text_once)
    for lazy_first in (True, False):
        memo.clear_all()
        packed = documents_of(engine.load(str(repo_dir)))
        assert set(packed) == set(plain)
        for path, doc in packed.items():
            assert isinstance(doc, PackedDocument), path
            parsed = plain[path]
            assert (doc.data, doc.problems, doc.text) == (parsed.data, parsed.problems, parsed.text)
            if not lazy_first:
                assert doc.positions == parsed.positions  # decoded first: answers from the whole set
            lazy = PackedDocument(doc.path, doc.data, doc.near, doc.near_keys, doc.blob, doc.problems, doc.text)

            def asked() -> PackedDocument:  # still undecoded when lazy: near positions answer where they can
                if not lazy_first:
                    return doc
                # Every question to a copy in the state of a new one: decoding (setting both mappings
                # from None, "not decoded yet") is all that changes a copy, so setting them back undoes
                # it. (A new PackedDocument per question that decoded compressed the whole text again:
                # two thirds of this test's time, for the same state.)
                lazy.positions = lazy.key_positions = None
                return lazy

            for where in _all_paths(parsed):
                assert asked().pos(where) == parsed.pos(where), (path, where)
                assert asked().key_pos(where) == parsed.key_pos(where), (path, where)
                assert asked().pos(list(where)) == parsed.pos(where)  # a list too
            assert list(doc.positions.items()) == list(parsed.positions.items())  # same order too
            assert list(doc.key_positions.items()) == list(parsed.key_positions.items())


def test_keys_are_interned_and_still_their_text() -> None:
    import sys

    doc = load_text("parameters:\n  fee: 1\n  !!str tagged: 2\n  &a anchored: 3\n  NO: 4\n", "k.yaml")
    assert doc.problems == []
    assert list(doc.data["parameters"]) == ["fee", "tagged", "anchored", "NO"]
    for key in ["parameters", *doc.data["parameters"]]:
        assert type(key) is str and sys.intern(key) is key


def test_read_bytes_is_a_bounded_read(tmp_path: Path) -> None:
    from engine.source.loader import MAX_BYTES, read_bytes

    def plain(path: str, limit: int = MAX_BYTES + 1) -> bytes:
        with open(path, "rb") as f:
            return f.read(limit)

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = layout.yaml_files(os.path.join(root, "policies")) + layout.yaml_files(os.path.join(root, "tests", "corpus"))
    for name, content in (("empty", b""), ("one", b"x"), ("big", b"ab\n" * 50_000), ("nul", b"a\0b")):
        (tmp_path / name).write_bytes(content)
        files.append(str(tmp_path / name))
    for path in files:
        assert read_bytes(path) == plain(path), path
        for limit in (1, 2, 100, 70_000, 150_001):
            assert read_bytes(path, limit) == plain(path, limit), (path, limit)
    for bad in (str(tmp_path), str(tmp_path / "missing")):
        with pytest.raises(OSError) as fast:
            read_bytes(bad)
        with pytest.raises(OSError) as slow:
            plain(bad)
        assert (type(fast.value), fast.value.strerror) == (type(slow.value), slow.value.strerror)


@pytest.mark.parametrize(
    "regex",
    [
        "[a-z0-9.]",
        "[^@\\s]",
        "\\d",
        "\\D",
        "\\w",
        "\\W",
        "\\s",
        "\\S",
        ".",
        "[^a]",
        "[\\d\\-_]",
        "[^\\w.]",
        "[A-Z]",
        "[\\u00a0-\\u4e00]",
        "[^\\n]",
        "[\\W\\d]",
        "[^\\S]",
        "x",
        "[.]",
        "[\\\\^\\]]",
    ],
)
def test_character_sets_found_in_one_scan_are_those_of_each_sample(regex: str) -> None:
    import re

    # the engine's regex parser (sre_parse, and sre_constants), imported privately by it
    [item] = list(patterns._parser.parse(regex).data)  # type: ignore[attr-defined]
    if item[0] != patterns._c.LITERAL:  # type: ignore[attr-defined]
        matcher = re.compile(patterns._source(*item))
        slow = frozenset(ch for ch in patterns._SAMPLE if matcher.fullmatch(ch))
    else:
        slow = frozenset((chr(item[1]),))
    assert patterns._charset([item]) == slow


def _templates() -> list[str]:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    found = []
    for folder in ("policies", "tests"):
        for dirpath, _, names in os.walk(os.path.join(root, folder)):
            found += [os.path.join(dirpath, n) for n in sorted(names) if n.endswith(".j2")]
    return sorted(found)


def test_template_nodes_walked_with_a_stack_are_those_find_all_yields() -> None:
    from collections import Counter

    from jinja2 import Environment, nodes

    from engine.templates import check as templatecheck

    checked = 0
    for path in _templates():
        with open(path, encoding="utf-8", errors="replace") as f:
            source = f.read()
        try:
            tree = Environment(extensions=["jinja2.ext.i18n"]).parse(source, os.path.basename(path), path)
        except Exception:
            continue
        expected = Counter(map(id, tree.find_all(nodes.Node)))
        assert Counter(map(id, templatecheck._descendants(tree))) == expected, path
        checked += 1
    assert checked >= 9


HOSTILE_TEMPLATES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{% for x in items %}{{ x|attr('__class__') }}{{ x|center(9) }}{% endfor %}",
    "{{ request.args }}",
    "{{ items|map(attribute='a.__globals__')|list }}",
    "{% include '../program.yaml' %}{% extends '/etc/x' %}",
    "{% if a %}{{ a['__dict__'] }}{% else %}{{ lipsum() }}{% endif %}",
    "{% trans %}Hi {{ name }}{% endtrans %}",
    "{% macro m(x) %}{{ x.mro() }}{% endmacro %}{{ m(1) }}",
    "{{ unclosed ",
    "{% for %}",
    "{{ a.format_map(b) }}{% import 'x/../../y' as y %}{% from ['ok.j2', 'a\\b'] import z %}",
]


def test_template_problems_with_a_shared_environment_and_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from jinja2 import Environment

    from engine.problems import Problem
    from engine.templates import check as templatecheck
    from engine.templates.rules import MAX_TEMPLATE_BYTES

    def first_way(path: str) -> list[Problem]:
        """check_template as first written: a new environment per template, jinja2's find_all."""
        from jinja2 import nodes

        with open(path, "rb") as f:
            raw = f.read(MAX_TEMPLATE_BYTES + 1)
        try:
            tree = Environment(extensions=["jinja2.ext.i18n"]).parse(raw.decode("utf-8"), os.path.basename(path), path)
        except Exception:
            return templatecheck._analyse(path, raw)
        with pytest.MonkeyPatch.context() as patched:
            patched.setattr(templatecheck, "_descendants", lambda t: list(t.find_all(nodes.Node)))
            found = {
                Problem(path, n.lineno or 1, 1, "G001", f"the sandbox refuses {what}", hint)
                for n, what, hint in templatecheck._refused(tree)
            }
        return sorted(found, key=Problem.sort_key)

    paths = _templates()
    for i, source in enumerate(HOSTILE_TEMPLATES):
        (tmp_path / f"t{i}.md.j2").write_text(source, encoding="utf-8")
        paths.append(str(tmp_path / f"t{i}.md.j2"))
    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    refused = 0
    for path in paths:
        found = templatecheck.check_template(path)
        assert found == first_way(path), path
        refused += bool(found)
    assert refused >= len(HOSTILE_TEMPLATES) - 1  # all but the `trans` block


def test_simple_schemas_checked_without_compiling_as_compiled() -> None:
    import itertools
    import math

    from engine.schema.codegen import compile_value
    from engine.schema.fastcheck import simple_validator

    types: list[object] = [
        None,
        "string",
        "integer",
        "number",
        "boolean",
        "null",
        ["integer", "null"],
        ["number"],
        ["string", "boolean"],
        [],
        "object",
        ["array"],
        5,
        [["integer"]],
        "nope",
    ]
    bounds: list[dict[str, object]] = [
        {},
        {"minimum": 0},
        {"maximum": 24, "minimum": 1},
        {"exclusiveMinimum": 0.5},
        {"exclusiveMaximum": 10**30},
        {"minimum": True},
        {"minimum": "3"},
        {"maximum": math.inf},
        {"minimum": math.nan},
        {"minimum": None},
        {"minimum": -1.5, "exclusiveMaximum": 2},
    ]
    enums: list[object] = [None, ["a", "b"], [], ["1", 1], "x", ["x"], [None]]
    extra: list[dict[str, object]] = [
        {},
        {"description": "d", "title": "t", "default": 3, "examples": [1]},
        {"label": "x"},
        {"$id": "x"},
        {"pattern": "^a"},
        {"const": 1},
        {"enum": None},
        {"format": "money"},
        {"format": "duration-day", "title": "t"},
        {"format": "date"},
        {"format": "uri"},
        {"format": ["money"]},
    ]
    values: list[object] = [
        None,
        True,
        False,
        0,
        1,
        -1,
        0.5,
        1.0,
        2.5,
        24,
        25,
        10**31,
        math.inf,
        -math.inf,
        math.nan,
        "",
        "a",
        "b",
        "x",
        "1",
        [],
        {},
        [1],
        {"a": 1},
    ]
    simple = 0
    for kind, bound, options, more in itertools.product(types, bounds, enums, extra):
        schema = {**more, **bound}
        if kind is not None:
            schema["type"] = kind
        if options is not None:
            schema["enum"] = options
        fast = simple_validator(schema)
        if fast is None:
            continue
        simple += 1
        compiled = compile_value(schema)
        assert compiled is not None, schema  # simple only where the compiler would answer too
        for value in values:
            assert fast(value) == compiled(value), (schema, value)
    assert simple > 500
    integers = simple_validator({"type": "integer", "minimum": 0})
    assert integers is not None and integers(3) is True
    assert simple_validator({"type": "array"}) is None and simple_validator([]) is None


def test_template_answers_from_the_cache_are_those_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.templates import check as templatecheck

    paths = []
    for i, source in enumerate(HOSTILE_TEMPLATES + ["{{ fine }}"]):
        (tmp_path / f"t{i}.md.j2").write_text(source, encoding="utf-8")
        paths.append(str(tmp_path / f"t{i}.md.j2"))
    monkeypatch.setenv("POLICYCTL_CACHE", "off")
    checked = [templatecheck.check_template(p) for p in paths]
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    assert [templatecheck.check_template(p) for p in paths] == checked  # written
    assert list((tmp_path / "cache" / "templates").iterdir())
    monkeypatch.setattr(templatecheck, "_analyse", lambda path, raw: pytest.fail("not read from the cache"))
    assert [templatecheck.check_template(p) for p in paths] == checked  # read
    (tmp_path / "t0.md.j2").write_text("{{ x.__class__ }} edited", encoding="utf-8")
    monkeypatch.undo()
    monkeypatch.setenv("POLICYCTL_CACHE", str(tmp_path / "cache"))
    [problem] = templatecheck.check_template(paths[0])  # an edit is a new key
    assert "__class__" in problem.message


def _tier_problems_first_way(doc: Document, path: tuple[Any, ...], bands: list[Any]) -> list[Problem]:
    """build.tier_problems as first written: every band's position looked up, problem or not."""
    problems: list[Problem] = []
    rows = [b for b in bands if isinstance(b, dict)]
    if len(rows) != len(bands) or not rows:
        return problems
    if rows[0].get("over") is not None:
        problems.append(
            Problem.at(
                doc.pos(path + (0, "over")),
                "P007",
                f"the first band starts above {rows[0]['over']}: lower values fall in no band",
                "write `over: null` in the first band",
            )
        )
    if rows[-1].get("up_to") is not None:
        last = len(rows) - 1
        problems.append(
            Problem.at(
                doc.pos(path + (last, "up_to")),
                "P007",
                f"the last band ends at {rows[-1]['up_to']}: higher values fall in no band",
                "write `up_to: null` in the last band",
            )
        )
    for i in range(1, len(rows)):
        before, over = rows[i - 1].get("up_to"), rows[i].get("over")
        where = doc.pos(path + (i, "over"))
        if before is None or over is None:
            problems.append(
                Problem.at(
                    where,
                    "P005",
                    f"band {i + 1} overlaps band {i}: an open bound in the middle",
                    "only the first band may start at null and only the last may end at null",
                )
            )
        elif over < before:
            problems.append(
                Problem.at(
                    where,
                    "P005",
                    f"band {i + 1} starts over {over} but band {i} goes up to {before}: they overlap",
                    f"write `over: {before}`",
                )
            )
        elif over > before:
            problems.append(
                Problem.at(
                    where,
                    "P006",
                    f"band {i + 1} starts over {over} but band {i} ends at {before}: a gap",
                    f"write `over: {before}`",
                )
            )
        up = rows[i].get("up_to")
        if over is not None and up is not None and up <= over:
            problems.append(
                Problem.at(
                    doc.pos(path + (i, "up_to")),
                    "P005",
                    f"band {i + 1} is empty or reversed (over {over}, up to {up})",
                    "`up_to` must be greater than `over`",
                )
            )
    return problems


def test_tier_problems_as_first_written() -> None:
    import json
    import random

    from engine.model import build

    rng = random.Random(7)
    bounds = [None, 0, 1, 1.5, 2, 5, 10, 10.0, -1]
    checked = found = 0
    for _ in range(3000):
        # JSON rows, one of them sometimes not a row at all
        rows: list[Any] = [
            {"over": rng.choice(bounds), "up_to": rng.choice(bounds), "fee": 1} for _ in range(rng.randint(0, 6))
        ]
        for row in rows:
            if rng.random() < 0.1:
                del row[rng.choice(["over", "up_to"])]
        if rows and rng.random() < 0.05:
            rows[rng.randrange(len(rows))] = "not a row"
        doc = load_text("value: " + json.dumps(rows) + "\n", "t.yaml")
        expected = _tier_problems_first_way(doc, ("value",), doc.data["value"])
        assert build.tier_problems(doc, ("value",), doc.data["value"]) == expected, rows
        checked += 1
        found += bool(expected)
    assert found > 1000 and checked - found > 100


def _yaml_files_first_way(folder: str) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(layout.YAML_SUFFIXES) and not name.startswith("."):
                found.append(os.path.join(dirpath, name))
    return found


def test_yaml_entries_walk_as_os_walk_and_know_the_links(tmp_path: Path) -> None:
    root = tmp_path / "policies"
    for folder in ("a/b/c", "a/.hidden", "b", "z/y", "m-n", "m_n", "outside"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for name in (
        "marketplaces.yaml",
        "a/program.yaml",
        "a/b/x.yml",
        "a/b/c/d.yaml",
        "a/.hidden/h.yaml",
        "a/.dot.yaml",
        "b/B.yaml",
        "b/a.yaml",
        "b/notes.txt",
        "z/y/z.yaml",
        "m-n/1.yaml",
        "m_n/2.yaml",
        "outside/o.yaml",
    ):
        (root / name).write_text("kind: tests\n", encoding="utf-8")
    (root / "b" / "link.yaml").symlink_to(root / "b" / "a.yaml")
    (root / "b" / "broken.yaml").symlink_to(root / "missing.yaml")
    (root / "b" / "folder_link").symlink_to(root / "outside", target_is_directory=True)
    (root / "b" / "folder.yaml").mkdir()
    (root / "b" / "folder.yaml" / "inner.yaml").write_text("x: 1\n", encoding="utf-8")
    policies = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "policies")
    for folder in (
        str(root),
        str(root / "b"),
        str(root / "b" / "folder_link"),
        str(root / "nope"),
        str(root / "marketplaces.yaml"),
        policies,
        os.path.relpath(policies),
    ):
        entries = layout.yaml_entries(folder)
        assert [p for p, _ in entries] == _yaml_files_first_way(folder) == layout.yaml_files(folder), folder
        assert [link for _, link in entries] == [os.path.islink(p) for p, _ in entries], folder
    assert (str(root / "b" / "link.yaml"), True) in layout.yaml_entries(str(root))
