"""The batch's fast path: `row_of` (which constant row answers) and `fits` agree with the slow path.

A batch writes the line it encoded the first time a constant row answered whenever `row_of` names
that row again, and skips the explaining input check when `fits` says the inputs certainly fit.
Both must give exactly what evaluating and validating every line gives.
"""

from __future__ import annotations

import io
import json
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.decisions import batch
from engine.decisions.compile import CompiledDecision, compile_decision
from engine.model.policy import Decision, Expr, HitPolicy, Rule
from engine.problems import Pos

FILE = "d.yaml"
AT = "2024-03-01"
BANDS = [{"tier": 1, "over": None, "up_to": 5, "fee": 0.10}, {"tier": 2, "over": 5, "up_to": None, "fee": 0.25}]
PARAMS = {"min_units": 100, "default_fee": 0.30, "fee_tiers": BANDS, "kinds": ["a", "b"]}
INPUTS = {
    "units": {"type": "integer", "minimum": 0},
    "contacts": {"type": "integer", "minimum": 0},
    "kind": {"type": "string", "pattern": "^[a-z]+$"},
    "since": {"type": "string", "format": "date-time"},
}


def pos(line: int) -> Pos:
    return Pos(FILE, line, 5)


def e(source: str, line: int) -> Expr:
    return Expr(source, pos(line))


def rule(id: str, when: str | None, then: dict[str, Any], line: int) -> Rule:
    return Rule(id, None if when is None else e(when, line + 1), then, f"because {id}", pos(line))


def decision(
    rules: list[Rule],
    hit: HitPolicy = "first",
    default: dict[str, Any] | None = None,
    let: dict[str, Expr] | None = None,
) -> Decision:
    return Decision(
        id="d",
        program="p",
        title="t",
        description="",
        inputs=INPUTS,
        required=("units",),
        let=let or {},
        hit=hit,
        rules=tuple(rules),
        default=default,
        outputs={},
        file=FILE,
        pos=pos(1),
    )


ROWS = [
    rule("kind_known", "kind in params.kinds", {"basis": "kind", "zero": -0.0, "nan_free": 1.5}, 2),
    rule("few", "units <= params.min_units", {"basis": "few", "fee": e("params.default_fee", 5)}, 4),
    rule("recent", "since is defined and before('2024-01-01T00:00:00+01:00', since)", {"basis": "recent"}, 6),
    rule("ratio", "contacts / units > 0.5", {"basis": "ratio", "list": [1, "x", None]}, 8),  # fails when units == 0
    rule("tiered", "cpu is not none", {"tier": e("tier(params.fee_tiers, cpu).tier", 11), "basis": "tier"}, 10),
]
LET = {"cpu": e("contacts / units * 100 if units > 0 else none", 1)}
DECISIONS = {
    "constant default": decision(ROWS, default={"basis": "none", "flag": True}, let=LET),
    "computed default": decision(ROWS, default={"basis": e("'n' ~ units", 20)}, let=LET),
    "no default": decision(ROWS, let=LET),
    "always row": decision([*ROWS[:2], rule("all", None, {"basis": "all"}, 14)], let=LET),
    "collect": decision(ROWS, hit="collect", let=LET),
    "unique": decision(ROWS, hit="unique", let=LET),
}


def compiled(d: Decision) -> CompiledDecision:
    c, problems = compile_decision(d, set(PARAMS))
    assert c is not None, problems
    return c


COMPILED = {name: compiled(d) for name, d in DECISIONS.items()}

values = st.one_of(st.none(), st.integers(-2, 300), st.just(0), st.just("ten"), st.just(2.5), st.just(True))
times = st.sampled_from(
    [
        "2023-12-31T23:30:00Z",
        "2023-12-31T22:30:00Z",
        "2024-01-01T00:00:00+01:00",
        "2024-01-01T00:00:00",
        "2024-02-30T00:00:00Z",
        "2024-05-01T10:00:00-07:00",
    ]
)
input_objects = st.fixed_dictionaries(
    {},
    optional={
        "units": values,
        "contacts": values,
        "since": times,
        "kind": st.sampled_from(["a", "c", "B", 7]),
        "extra": values,
    },
)


@settings(max_examples=300, deadline=None)
@given(input_objects)
def test_row_of_names_the_row_evaluate_answers_with(inputs: dict[str, Any]) -> None:
    for name, c in COMPILED.items():
        row = c.row_of(inputs, PARAMS, AT)
        result = c.evaluate(inputs, PARAMS, AT)
        if c.decision.hit != "first":
            assert row is None, name
            continue
        if result.problems:
            assert row is None, name
            continue
        rules = c.decision.rules
        deciding = [i for i, r in enumerate(rules) if r.id in result.matches]
        outs = rules[deciding[0]].then if deciding else (c.decision.default or {})
        constant = not any(isinstance(v, Expr) for v in outs.values())
        assert row == ((deciding or [-1])[0] if constant else None), (name, inputs, result)
        if row is not None:  # the same row always gives the same line: what the batch relies on
            again = c.evaluate(inputs, PARAMS, AT)
            assert again.to_json() == result.to_json()


@settings(max_examples=300, deadline=None)
@given(st.one_of(input_objects, st.just([1]), st.just("x")))
def test_fits_is_never_looser_than_validate_inputs(inputs: Any) -> None:
    c = COMPILED["constant default"]
    if c.fits(inputs):
        assert c.validate_inputs(inputs) == []


def _lines(count: int) -> list[str]:
    import random

    rng = random.Random(3)
    lines = []
    for i in range(count):
        case: dict[str, Any] = {"units": rng.choice([0, 1, 50, 150, 400, -1, "x"])}
        for key, options in (
            ("contacts", [0, 10, 100, 300]),
            ("kind", ["a", "b", "zz", "Q"]),
            (
                "since",
                ["2023-12-31T23:30:00Z", "2023-12-31T22:30:00Z", "2024-01-01T00:00:00", "2024-05-01T10:00:00-07:00"],
            ),
        ):
            if rng.random() < 0.7:
                case[key] = rng.choice(options)
        lines.append(json.dumps(case))
        if i % 97 == 5:
            lines.append("")
        if i % 131 == 7:
            lines.append('{"units": 1,')
    return lines


class _Source:
    """What `run_decide` asks of a repository or bundle, for one made-up decision: the decision,
    the day resolved (no parameter entries to explain) and the parameters."""

    def __init__(self, c: CompiledDecision) -> None:
        self.c = c

    def compiled(self, program: str, decision: str) -> CompiledDecision:
        return self.c

    def resolve(self, program: str, marketplace: str, at: str | None) -> Any:
        return SimpleNamespace(at=AT, entries={})

    def params(self, program: str, marketplace: str, day: str) -> dict[str, Any]:
        return PARAMS


def _run(c: CompiledDecision, lines: list[str], explain: bool = False) -> list[str]:
    source = io.StringIO("\n".join(lines) + "\n")
    source.name = "in.jsonl"  # where problems point, as a file's name
    out = io.StringIO()
    batch.run_decide(_Source(c), "p", "d", "us", AT, source, out, explain)
    return out.getvalue().splitlines()


def test_a_batch_writes_what_deciding_each_line_gives() -> None:
    lines = _lines(1500)
    for name, c in COMPILED.items():
        got = _run(c, lines)
        expected: list[str | None] = []
        for number, line in enumerate(lines, 1):
            if not line:
                continue
            try:
                inputs = json.loads(line)
            except json.JSONDecodeError:
                expected.append(None)  # said by the batch's own JSON check, the same either way
                continue
            result = c.decide(inputs, PARAMS, AT, Pos("in.jsonl", number, 1), text=line)
            # (each answer starts with its input's line, blank lines counted, and ends with the day it
            # answered for: the marketplace's zone too, when known)
            answer = {"line": number, **result.to_json(), "at": AT}
            expected.append(json.dumps(answer, ensure_ascii=False, separators=(",", ":")))
        assert len(got) == len(expected), name
        assert [g for g, x in zip(got, expected) if x is not None] == [x for x in expected if x is not None], name
        assert sum('"D004"' in g for g in got), name
        # `cpu` fails when `contacts` is missing; "always row" never reads it, and a `let` is
        # computed only when a row that runs needs it
        assert bool(sum('"D005"' in g for g in got)) == (name != "always row"), name


def test_a_batch_without_the_fast_path_writes_the_same(monkeypatch: Any) -> None:
    lines = _lines(800)
    for name, c in COMPILED.items():
        fast = _run(c, lines)
        monkeypatch.setattr(c, "row_of", lambda inputs, params, at: None)
        # (on the class: a compiled decision has no setter, as the process's memo shares it)
        monkeypatch.setattr(type(c), "fits", property(lambda self: lambda inputs: False))
        assert _run(c, lines) == fast, name
        explained = [json.loads(x) for x in _run(c, lines, explain=True)]
        assert all(x["at"] == AT for x in explained if "decision" in x), name  # an answer names its day
        assert [{k: v for k, v in x.items() if k not in ("rows", "let", "params", "rests_on")} for x in explained] == [
            json.loads(x) for x in fast
        ], name


@settings(max_examples=200, deadline=None)
@given(st.one_of(input_objects, st.just([1]), st.just("x")))
def test_the_first_input_checked_without_the_generated_check_gets_the_same_messages(inputs: Any) -> None:
    """A checker's first input skips the generated yes/no check (a process answering one input
    never makes it); its messages are those of a checker that has it."""
    from engine.decisions.inputs import InputChecker

    warm = InputChecker(INPUTS, ("units",))
    warm.check({"units": 1})
    assert warm.fast is not None
    assert InputChecker(INPUTS, ("units",)).check(inputs) == warm.check(inputs)


def test_row_of_says_none_at_once_below_the_last_row_with_constant_outputs() -> None:
    """No condition below the last constant row is generated into `row_of` (evaluate decides those)."""
    c = compiled(decision([ROWS[0], ROWS[1], ROWS[4]], default={"basis": e("'n' ~ units", 20)}, let=LET))
    assert c.row_source is not None
    assert "cpu" not in c.row_source and "units" not in c.row_source, c.row_source
    assert [c.row_of(inputs, PARAMS, AT) for inputs in ({"kind": "a"}, {"units": 5}, {"units": 500})] == [0, None, None]
    # a constant default (no default: no outputs) keeps every condition: -1 is an answer
    c = compiled(decision([ROWS[0], ROWS[1], ROWS[4]], let=LET))
    assert c.row_of({"units": 500, "contacts": 0}, PARAMS, AT) is None  # tiered: computed
    assert c.row_of({"units": 0}, PARAMS, AT) is None  # few: computed


_CIRCULAR: list[Any] = []
_CIRCULAR.append(_CIRCULAR)
ENCODED: list[Any] = [
    {"basis": "tier", "fee_per_unit": 0.1234, "total": -0.0, "n": 10**30, "ok": True, "none": None},
    {"é": 'ü\u2028\x00"\\', "list": [1, 2.5, [], {}], "nested": {"a": {"b": [None]}}},
    "text",
    1.5,
    {"bad": float("nan")},
    {"bad": [1, float("inf")]},
    _CIRCULAR,
    {"not json": {1, 2}},
    {"after an error": [1, {"a": 2}]},  # the encoder that failed just before answers as the first did
    {1: "int key", False: "bool key", None: "null key", 1.5: "float key"},
]


def test_a_batch_line_s_encoder_gives_the_standard_encoder_s_text_and_errors() -> None:
    standard = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
    ours = batch.line_encoder()
    for value in ENCODED * 2:
        try:
            expected: Any = standard(value)
        except (ValueError, TypeError) as e:
            expected = (type(e), str(e))
        try:
            got: Any = ours(value)
        except (ValueError, TypeError) as e:
            got = (type(e), str(e))
        assert got == expected, value


def test_a_row_answering_with_and_without_a_float_writes_each_line_as_its_single_answer() -> None:
    """Once a row has answered with a float output, the batch writes that row's later lines around
    their outputs (the rest of the line encoded once): whole numbers, text and floats alike."""
    mixed = {"basis": "mixed", "value": e("units / 2 if units > 100 else units", 3), "of": e("kind", 3)}
    c = compiled(decision([rule("mixed", None, mixed, 2)]))
    cases = [
        {"units": u, **({"kind": k} if k else {})} for u, k in ((150, "a"), (1, None), (0, "b"), (301, "a"), (7, "zz"))
    ]
    lines = [json.dumps(case) for case in cases * 2]
    expected = [
        json.dumps(
            {"line": number, **c.decide(json.loads(line), PARAMS, AT, pos(1)).to_json(), "at": AT},
            separators=(",", ":"),
        )
        for number, line in enumerate(lines, 1)
    ]
    assert _run(c, lines) == expected
    assert {type(json.loads(x)["outputs"]["value"]) for x in expected} == {int, float}
