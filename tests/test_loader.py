"""The strict loader: YAML 1.2 core scalars, positions, limits."""

from __future__ import annotations

import math
import time

import pytest

from engine.source.loader import MAX_BYTES, load_bytes, load_text


@pytest.mark.parametrize(
    "source, expected",
    [
        ("NO", "NO"),
        ("no", "no"),
        ("yes", "yes"),
        ("Y", "Y"),
        ("on", "on"),
        ("off", "off"),
        ("true", True),
        ("False", False),
        ("TRUE", True),
        ("24:00", "24:00"),
        ("1:30:00", "1:30:00"),
        ("0123", "0123"),
        ("0", 0),
        ("-7", -7),
        ("+3", 3),
        ("0o17", 15),
        ("0x1F", 31),
        ("2024-03-01", "2024-03-01"),
        ("2024-03-01T10:00:00Z", "2024-03-01T10:00:00Z"),
        ("0.10", 0.1),
        ("1e3", 1000.0),
        ("-.5", -0.5),
        (".inf", math.inf),
        ("-.INF", -math.inf),
        ("~", None),
        ("null", None),
        ("", None),
        ("1_000", "1_000"),
        ("0b101", "0b101"),
        ("+.5e", "+.5e"),
        ('"NO"', "NO"),
        ("'0123'", "0123"),
        ("!!str 12", "12"),
        ("!!int '12'", 12),
        ("!!float 1", 1.0),
    ],
)
def test_core_schema_scalars(source: str, expected: object) -> None:
    doc = load_text(f"v: {source}\n", "t.yaml")
    assert doc.problems == []
    assert doc.data["v"] == expected
    assert type(doc.data["v"]) is type(expected)


def test_nan() -> None:
    assert math.isnan(load_text("v: .nan\n", "t").data["v"])


def test_keys_are_always_their_text() -> None:
    doc = load_text("NO: a\n1: b\ntrue: c\n~: d\n", "t")
    assert doc.data == {"NO": "a", "1": "b", "true": "c", "~": "d"}


def test_positions_of_values_and_keys() -> None:
    doc = load_text("a:\n  b: [1, {c: x}]\n  d: y\n", "f.yaml")
    assert str(doc.pos(("a", "b", 1, "c"))) == "f.yaml:2:14"
    assert str(doc.key_pos(("a", "d"))) == "f.yaml:3:3"
    assert str(doc.pos(("a", "d"))) == "f.yaml:3:6"
    # a path below a leaf falls back to the nearest ancestor
    assert str(doc.pos(("a", "d", "missing"))) == "f.yaml:3:6"


def test_aliases_expand_and_point_at_the_alias() -> None:
    doc = load_text("base: &b {k: 1}\ncopy: *b\n", "t")
    assert doc.data["copy"] == {"k": 1}
    assert doc.pos(("copy", "k")).line == 2


def test_duplicate_key_names_both_lines() -> None:
    doc = load_text("a: 1\nb: 2\na: 3\n", "t")
    [p] = doc.problems
    assert (p.code, p.line, p.col) == ("Y012", 3, 1)
    assert "first at line 1" in p.message


def test_billion_laughs_fails_fast() -> None:
    lines = ["a: &a [" + ", ".join(["x"] * 10) + "]"]
    for i in range(1, 9):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    start = time.perf_counter()
    doc = load_text("\n".join(lines) + "\n", "bomb")
    assert time.perf_counter() - start < 1.0  # generous: it is about 2 ms
    assert [p.code for p in doc.problems] == ["Y016"]


def test_deep_nesting_is_a_problem_not_a_recursion_error() -> None:
    doc = load_text("x: " + "[" * 20000 + "]" * 20000 + "\n", "deep")
    assert [p.code for p in doc.problems] == ["Y015"]


def test_size_limit() -> None:
    doc = load_bytes(b"a: " + b"x" * (MAX_BYTES + 10), "big")
    assert [p.code for p in doc.problems] == ["Y004"]


def test_utf8_bom_is_accepted() -> None:
    assert load_bytes("\ufeffa: 1\n".encode(), "bom").data == {"a": 1}


def test_huge_number_is_reported() -> None:
    doc = load_text("a: " + "9" * 5000 + "\n", "t")
    assert [p.code for p in doc.problems] == ["Y019"]


def test_a_huge_table_without_aliases_is_refused_quickly() -> None:
    rows = "".join(f"  - {{id: r{i}, when: 'x > {i}', reason: r, then: {{y: {i}}}}}\n" for i in range(100_000))
    start = time.perf_counter()
    doc = load_text("kind: decision\nrules:\n" + rows, "big")
    assert time.perf_counter() - start < 5.0
    [p] = doc.problems
    assert p.code == "Y016" and "aliases" not in p.message
