"""Where each character of a scalar's value is written (engine.source.scalars): in every style the
YAML emitter writes, each character read back stands at its place in the file, and an answer
that could be wrong is no answer."""

from __future__ import annotations

import re
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.source.loader import load_text
from engine.source.scalars import Scalar, scalar_at

_LINES = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")  # the line breaks YAML counts


def _strings(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    if isinstance(data, dict):
        return [found for key, value in data.items() for found in _strings(value, path + (key,))]
    if isinstance(data, list):
        return [found for i, value in enumerate(data) for found in _strings(value, path + (i,))]
    return [(path, data)] if isinstance(data, str) else []


def _written(scalar: Scalar, lines: list[str]) -> list[str]:
    """What the file holds at each character's place: the character, or its escape's first one."""
    return [lines[place[0] - 1][place[1] - 1] for place in scalar.places if place is not None]


def _expected(scalar: Scalar) -> list[str]:
    return [
        ch if place[2] == 1 or ch == "'" else "\\"
        for ch, place in zip(scalar.value, scalar.places, strict=True)
        if place is not None
    ]


TEXT = st.text(st.sampled_from("ab c  \n\t'\"\\:#-,[]{}>|é\u2028😀"), min_size=1, max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(TEXT, min_size=3, max_size=3),
    style=st.sampled_from([None, "'", '"', "|", ">"]),
    width=st.integers(5, 30),
    indent=st.integers(2, 4),
    flow=st.sampled_from([None, False, True]),
    unicode=st.booleans(),
    crlf=st.booleans(),
)
def test_every_character_read_back_stands_at_its_place(
    values: list[str], style: str | None, width: int, indent: int, flow: bool | None, unicode: bool, crlf: bool
) -> None:
    data = {"a": {"b": [values[0], {"c": values[1]}], "d": values[2]}}
    text = yaml.dump(
        data, default_style=style, width=width, indent=indent, default_flow_style=flow, allow_unicode=unicode
    )
    text = text.replace("\n", "\r\n") if crlf else text  # (CR: the loader reads with PyYAML's parser, else libyaml's)
    doc = load_text(text, "f.yaml")
    assert not doc.problems
    lines = _LINES.split(text)
    for path, value in _strings(doc.data):
        scalar = scalar_at(text, *doc.positions[path])
        if scalar is None:  # only a block of empty lines whose indentation the text does not tell
            assert not value.strip(), (path, text)
            continue
        assert scalar.value == value
        assert _written(scalar, lines) == _expected(scalar), (path, text)


def test_a_place_inside_and_after_the_text() -> None:
    text = 'k: "a \\x41\n\n   b  "\n'
    scalar = scalar_at(text, 1, 4)
    assert scalar is not None and scalar.value == "a A\nb  "
    assert [scalar.place(i) for i in range(len(scalar.value) + 1)] == [
        (1, 5),
        (1, 6),  # at a space: after the `a` before it
        (1, 7),  # `\x41`
        (1, 11),  # at the line break folding made: after the escape
        (3, 4),
        (3, 5),  # at the trailing spaces, and past the end: after the `b`
        (3, 5),
        (3, 5),
    ]
    assert scalar.place(2, start=2) == (1, 7) and scalar.place(1, start=2) is None


def test_no_scalar_there_is_no_answer() -> None:
    text = "k:\n  - a\n"
    assert scalar_at(text, 2, 3) is None  # the list, not a scalar
    assert scalar_at(text, 9, 1) is None
    assert scalar_at(text, 2, 5) == Scalar("a", ((2, 5, 1),))
