"""The Python API as a service or batch job uses it, knowing only README's "Python API" and the
docstrings of what `engine` exports: every type a public result holds is exported, a
`pathlib.Path` is a path, any mapping of inputs is inputs, and a refused input explains.

This module is type-checked (`mypy --strict`, as all tests): the calls below with a `Path`, a
`TypedDict` and a `Mapping` are the types a caller's own strict check must accept."""

from __future__ import annotations

import json
import pickle
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypedDict

import pytest

import engine
from engine.bundle.make import make
from support import run_cli

AT = "2024-06-01"


class ReturnInput(TypedDict):  # how a service types the inputs it sends
    days_since_delivery: int


@pytest.fixture(scope="module")
def repo(init_starter: Path) -> engine.Repository:
    loaded = engine.load(init_starter / "policies")  # (a Path, as a caller holds one)
    assert loaded.problems == []
    return loaded


@pytest.fixture(scope="module")
def bundle(repo: engine.Repository, tmp_path_factory: pytest.TempPathFactory) -> engine.Bundle:
    path = tmp_path_factory.mktemp("bundle") / "policies.bundle"
    path.write_bytes(make(repo))
    return engine.load_bundle(path)


def _decided(repo: engine.Repository) -> engine.DecisionResult:
    return repo.decide("returns", "return_allowed", {"days_since_delivery": 3}, marketplace="de", at=AT)


# what a caller reads from a public result, and the exported type it is (to annotate it, to check it)
REACHED: dict[str, tuple[str, Callable[[engine.Repository], object]]] = {
    "resolve": ("Resolved", lambda r: r.resolve("returns", "us", at=AT)),
    "a value's entry (source, assumption)": (
        "Entry",
        lambda r: r.resolve("returns", "us", at=AT).entries["return_window_days"],
    ),
    "a value's place": ("Pos", lambda r: r.resolve("returns", "us", at=AT).provenance("return_window_days")),
    "the marketplace resolved": ("Marketplace", lambda r: r.resolve("returns", "us", at=AT).marketplace),
    "a program": ("Program", lambda r: r.programs["returns"]),
    "a marketplace": ("Marketplace", lambda r: r.marketplaces["de"]),
    "a change": ("Change", lambda r: r.history("returns", "us")[0]),
    "a change's entry": ("Entry", lambda r: r.history("returns", "us")[0].entry),
    "a decision": ("DecisionResult", _decided),
    "its explanation": ("Explanation", lambda r: _decided(r).explain()),
    "a row it tried": ("RowTrace", lambda r: _decided(r).explain().rows[0]),
    "a parameter it read": ("Read", lambda r: (_decided(r).explain().read or ())[0]),
    "what it read's entry": ("Entry", lambda r: (_decided(r).explain().read or ())[0].entry),
    # a program's parts, as README reaches them (`repo.programs["csba"].decisions`)
    "a program's parameter": ("Parameter", lambda r: r.programs["returns"].parameters["return_window_days"]),
    "a parameter's timeline": ("Entry", lambda r: r.programs["returns"].parameters["return_window_days"].timeline[0]),
    "a program's overlay": ("Overlay", lambda r: r.programs["returns"].overlays["de"]),
    "a program's decision": ("Decision", lambda r: r.programs["returns"].decisions["return_allowed"]),
    "a decision's rule": ("Rule", lambda r: r.programs["returns"].decisions["return_allowed"].rules[0]),
    "a rule's condition": ("Expr", lambda r: r.programs["returns"].decisions["return_allowed"].rules[0].when),
    "a program's test case": ("TestCase", lambda r: r.programs["returns"].tests[0]),
}


@pytest.mark.parametrize("what", REACHED)
def test_every_type_a_public_result_holds_is_exported(repo: engine.Repository, what: str) -> None:
    name, reach = REACHED[what]
    assert name in engine.__all__
    assert type(reach(repo)) is getattr(engine, name)
    assert getattr(engine, name).__doc__, f"engine.{name} has no docstring"


def _public_fields(value: object) -> list[str]:
    """The names a caller reads on ``value`` without a leading underscore: its fields (slots, a
    tuple's named fields) and attributes; not its methods."""
    names = set(getattr(value, "__dict__", {}))
    for cls in type(value).__mro__:
        slots = getattr(cls, "__slots__", ())
        names |= {slots} if isinstance(slots, str) else set(slots)
    names |= set(getattr(type(value), "_fields", ()))
    return sorted(n for n in names if not n.startswith("_"))


def _unexported(value: object, path: str, found: dict[str, str], seen: set[int]) -> None:
    """Each engine type not exported that a caller reaches from ``value`` through public fields
    and the items of its lists and dicts, with the first path that reaches it."""
    if id(value) in seen:
        return
    seen.add(id(value))
    kind = type(value)
    if kind.__module__.split(".")[0] == "engine":
        if getattr(engine, kind.__name__, None) is not kind:
            found.setdefault(f"{kind.__module__}.{kind.__qualname__}", path)
        for name in _public_fields(value):
            _unexported(getattr(value, name), f"{path}.{name}", found, seen)
        return  # (a result's tuple items are its fields; its `replay` is typed Any: the engine's)
    if isinstance(value, dict):
        for key, item in value.items():
            _unexported(item, f"{path}[{key!r}]", found, seen)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _unexported(item, f"{path}[]", found, seen)


def test_no_public_field_holds_a_type_that_is_not_exported(repo: engine.Repository, bundle: engine.Bundle) -> None:
    """What REACHED names, for every field at once: nothing a caller reads without an underscore,
    from a repository, a bundle, what they resolve and answer and the history, holds an engine
    type it cannot name. ``Resolved.timelines`` held the engine's timelines (a type only type
    checkers knew) and ``Repository.documents`` the parsed files; both are the engine's own now."""
    found: dict[str, str] = {}
    seen: set[int] = set()
    for name, source in (("repo", repo), ("bundle", bundle)):
        result = source.decide("returns", "return_allowed", {"days_since_delivery": 3}, marketplace="de", at=AT)
        for what, value in (
            (name, source),
            (f"{name}.resolve()", source.resolve("returns", "de", at=AT)),
            (f"{name}.decide()", result),
            (f"{name}.decide().explain()", result.explain()),
        ):
            _unexported(value, what, found, seen)
    _unexported(repo.history("returns", "de"), "repo.history()", found, seen)
    assert found == {}


def test_every_exported_name_says_what_it_is() -> None:
    """A caller knows only README and the docstrings of what `engine` exports (`Problem` and
    `Repository` had none)."""
    assert [name for name in engine.__all__ if not getattr(engine, name).__doc__] == []


def test_a_programs_parts_and_what_an_answer_read_as_a_strict_caller_annotates_them(repo: engine.Repository) -> None:
    """Each type a caller meets reading a program or an explanation is one it can name (mypy
    checks this module strictly: a name `engine` does not export fails it)."""

    def rules(decision: engine.Decision) -> list[tuple[str, str | None]]:
        conditions: list[engine.Expr | None] = [rule.when for rule in decision.rules]
        return [(rule.id, None if when is None else when.source) for rule, when in zip(decision.rules, conditions)]

    def evidence(read: engine.Read) -> tuple[str, str | None, str | None]:
        entry: engine.Entry = read.entry
        return read.name, entry.source, entry.assumption

    program: engine.Program = repo.programs["returns"]
    parameter: engine.Parameter = program.parameters["return_window_days"]
    overlay: engine.Overlay = program.overlays["de"]
    case: engine.TestCase = program.tests[0]
    rows: tuple[engine.RowTrace, ...] = _decided(repo).explain().rows
    assert rules(program.decisions["return_allowed"]) == [
        ("within_window", "days_since_delivery <= params.return_window_days"),
        ("too_late", "days_since_delivery > params.return_window_days"),
    ]
    assert [evidence(r) for r in _decided(repo).explain().read or ()] == [
        ("free_return_shipping", "the returns policy for example.de", None),
        ("return_window_days", "the returns policy, 2024 edition", None),
    ]
    assert (parameter.timeline[-1].value, list(overlay.parameters), case.decision) == (
        45,
        ["free_return_shipping"],
        "return_allowed",
    )
    assert [(r.id, r.matched) for r in rows] == [("within_window", True)]


def test_a_values_source_and_assumption_as_the_readme_reads_them(repo: engine.Repository) -> None:
    entry: engine.Entry = repo.resolve("returns", "us", at=AT).entries["return_window_days"]
    assert (entry.value, entry.source, entry.assumption, entry.assumed) == (
        30,
        "the returns policy, 2024 edition",
        None,
        (),
    )


def test_a_path_loads_as_its_string_does(repo: engine.Repository, init_starter: Path) -> None:
    assert repo.root == str(init_starter / "policies")
    assert type(repo.root) is str


@pytest.mark.parametrize(
    ("load", "name", "code"),
    [(engine.load, "no-such-folder", "Y001"), (engine.load_bundle, "no-such.bundle", "B001")],
)
def test_a_path_that_is_not_there_is_a_problem_at_its_name(
    tmp_path: Path, load: Callable[[Path], object], name: str, code: str
) -> None:
    with pytest.raises(engine.PolicyError) as raised:
        load(tmp_path / name)
    (problem,) = raised.value.problems
    shown = problem.to_json()  # (was AttributeError: the file was the caller's PosixPath)
    assert (shown["file"], shown["line"], shown["column"], shown["code"]) == (str(tmp_path / name), 1, 1, code)
    assert str(problem).startswith(f"{tmp_path / name}:1:1: error[{code}]")


def _inputs() -> dict[str, Mapping[str, object]]:
    typed: ReturnInput = {"days_since_delivery": 3}
    return {
        "dict": {"days_since_delivery": 3},
        "TypedDict": typed,
        "read-only": types.MappingProxyType({"days_since_delivery": 3}),
    }


@pytest.mark.parametrize("kind", _inputs())
def test_any_mapping_of_inputs_is_answered_as_a_dict_is(
    repo: engine.Repository, bundle: engine.Bundle, kind: str
) -> None:
    inputs = _inputs()[kind]
    for source in (repo, bundle):
        result = source.decide("returns", "return_allowed", inputs, marketplace="de", at=AT)
        assert (result.problems, result.outputs, result.matches) == (
            (),
            {"allowed": True, "free_shipping": True},
            ("within_window",),
        )  # (a read-only mapping was D004 "got value `mappingproxy({...})`")


def _refused(repo: engine.Repository) -> engine.DecisionResult:
    return repo.decide("returns", "return_allowed", {"days_since_delivery": "ten"}, marketplace="us", at=AT)


def test_a_result_whose_inputs_were_refused_explains_as_no_row_tried(repo: engine.Repository) -> None:
    explained = _refused(repo).explain()  # (was ValueError "... not produced by CompiledDecision.evaluate")
    body = explained.to_json()
    assert (body["rows"], body["let"], body["params"], body["outputs"]) == ([], {}, {}, {})
    assert [(p["code"], p["message"]) for p in body["problems"]] == [
        ("D004", '/days_since_delivery: expected integer, got string `"ten"`')
    ]
    assert _refused(repo).replay is None  # (what `decide --explain` and the service look at)
    json.dumps(body)


@pytest.mark.parametrize("result", [_decided, _refused], ids=["an answer", "refused inputs"])
def test_a_copy_of_a_result_says_in_words_why_it_cannot_be_explained(
    repo: engine.Repository, result: Callable[[engine.Repository], engine.DecisionResult]
) -> None:
    copy = pickle.loads(pickle.dumps(result(repo)))
    assert copy == result(repo)
    with pytest.raises(ValueError, match=r"^a copy of a decision's result cannot be explained") as raised:
        copy.explain()
    assert "CompiledDecision" not in str(raised.value)


def test_a_bundle_resolves_to_the_type_a_repository_does(repo: engine.Repository, bundle: engine.Bundle) -> None:
    """Code written against ``engine.Resolved`` reads a bundle's answer too (the bundle's was a
    type of its own, whose `program` was a str where the repository's was a Program)."""

    def read(rule: engine.Resolved) -> tuple[object, ...]:  # (as a caller annotates it; places: as each names files)
        following = rule.following("return_window_days", rule.at)
        return (
            rule.program,
            rule.marketplace.id,
            rule.at,
            rule.values,
            {n: (rule.provenance(n).line, rule.origin(n), rule.entry_on(n, "2025-06-01")[1]) for n in rule.values},
            None if following is None else (following.start, following.value),
        )

    theirs, ours = repo.resolve("returns", "de", at=AT), bundle.resolve("returns", "de", at=AT)
    assert type(theirs) is type(ours) is engine.Resolved
    assert read(theirs) == read(ours)
    assert read(ours)[:3] == ("returns", "de", AT)
    assert read(ours)[5] == ("2025-01-01", 45)


def _cli_explained(top: Path, source: str, inputs: str) -> object:
    where = ["--bundle", source] if source.endswith(".bundle") else ["--root", source]
    ran = run_cli(
        *("decide", "returns.return_allowed", "-m", "us", "--at", AT, "--explain", "--format", "json"),
        *("--input", "-", *where),
        cwd=top,
        stdin=inputs,
    )
    return json.loads(ran.out)


def _unplaced(body: dict[str, object]) -> dict[str, object]:
    problems = body["problems"]
    assert isinstance(problems, list)
    return {**body, "problems": [{**p, "file": None, "column": None} for p in problems]}


@pytest.mark.parametrize(
    "inputs", [{"days_since_delivery": 3}, {"days_since_delivery": "ten"}], ids=["answer", "refused"]
)
def test_an_explanations_json_is_what_decide_explain_prints(
    repo: engine.Repository, bundle: engine.Bundle, init_starter: Path, inputs: dict[str, object]
) -> None:
    """`explain().to_json()` is `decide --explain --format json`'s answer, key for key, from a
    repository and from a bundle: the day and the zone, each parameter with its place and origin,
    what the answer rests on (it lacked `at`, `time_zone`, `rests_on` and the places)."""
    text = json.dumps(inputs)
    for source, printed in (
        (repo, _cli_explained(init_starter, str(init_starter), text)),
        (bundle, _cli_explained(init_starter, str(bundle.path), text)),
    ):
        explained = source.decide("returns", "return_allowed", inputs, marketplace="us", at=AT).explain()
        assert (explained.at, explained.time_zone) == (AT, "America/New_York")
        body = explained.to_json()
        assert isinstance(printed, dict)
        assert list(body) == list(printed)  # (the same keys, in the same order)
        # the same answer, but for where input problems are: the command line read them from <stdin>
        assert _unplaced(body) == _unplaced(printed)
    assert {"at", "time_zone", "rests_on"} <= set(body)


ASKED: dict[str, Callable[[engine.Repository | engine.Bundle], object]] = {
    "an unknown program": lambda s: s.resolve("nope", "us"),
    "an unknown marketplace": lambda s: s.decide("returns", "return_allowed", {}, marketplace="xx"),
    "a malformed day": lambda s: s.resolve("returns", "us", at="2024-13-01"),
}


@pytest.mark.parametrize("question", ASKED)
def test_a_question_that_cannot_be_asked_names_the_arguments_not_a_command_line(
    repo: engine.Repository, bundle: engine.Bundle, question: str
) -> None:
    """A library caller passed arguments: L004 names them (`<command line>` was not true); the
    command line still says no place for it."""
    for source in (repo, bundle):
        with pytest.raises(engine.PolicyError) as raised:
            ASKED[question](source)
        (problem,) = raised.value.problems
        assert (problem.file, problem.code, raised.value.usage) == ("<arguments>", "L004", True)
        assert str(problem).startswith("<arguments>:1:1: error[L004]: ")


def test_the_command_line_still_says_no_place_for_a_question_it_cannot_ask(init_starter: Path) -> None:
    ran = run_cli("show", "returns", "-m", "xx", "--root", str(init_starter))
    assert ran.code == 2
    assert ran.err.startswith("policyctl: error[L004]: `returns` is not offered in marketplace `xx`")
