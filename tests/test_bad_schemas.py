"""JSON Schemas in the sources that cannot be used: a parameter's `schema`, a decision's `inputs` and
`outputs`. Each is reported by `validate` as P009 at its offending node, never used, and no
command tracebacks on it (engine.schema.check.source_schema, the one check they all go through).

Data-driven: each case edits the starter repository (`policyctl init`) and names the one problem
`validate` must report.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from engine.commands.validate import validate
from engine.decisions.compile import compile_decision
from engine.model.policy import Decision, Rule
from engine.problems import Pos
from engine.schema import check
from support import ROOT, edit, run_cli

STARTER = ROOT / "engine" / "starter" / "policies"
PROGRAM = "returns/program.yaml"
DECISION = "returns/decisions/return_allowed.yaml"
OUTPUT = "allowed: {type: boolean}"
PARAMETER = "schema: {type: boolean}"
INPUT = "    type: integer\n    minimum: 0\n"

# name, file, text, replacement, the one problem (code, line, column) and a part of its message
CASES = [
    (
        "output of an unknown type",
        DECISION,
        OUTPUT,
        "allowed: {type: bool}",
        (23, 19),
        "`bool` is not a JSON Schema type",
    ),
    (
        "output enum not a list",
        DECISION,
        OUTPUT,
        "allowed: {type: boolean, enum: 5}",
        (23, 34),
        "`enum` must be an array",
    ),
    ("output dangling $ref", DECISION, OUTPUT, 'allowed: {$ref: "#/nope"}', (23, 19), "points to nothing"),
    ("output $ref loop", DECISION, OUTPUT, 'allowed: {$ref: "#"}', (23, 19), "loop forever"),
    (
        "output $ref to a value that is no valid schema",
        DECISION,
        OUTPUT,
        'allowed: {const: {type: bool}, $ref: "#/const"}',
        (23, 40),
        "points to a schema that is not valid",
    ),
    (
        "output $ref to a value that is no schema",
        DECISION,
        OUTPUT,
        'allowed: {description: yes or no, $ref: "#/description"}',
        (23, 43),
        "which is not a schema",
    ),
    ("parameter dangling $ref", PROGRAM, PARAMETER, 'schema: {$ref: "#/nope"}', (27, 20), "points to nothing"),
    ("parameter enum not a list", PROGRAM, PARAMETER, "schema: {type: boolean, enum: 5}", (27, 35), "`enum`"),
    (
        "parameter $ref loop",
        PROGRAM,
        PARAMETER,
        'schema: {$defs: {a: {$ref: "#/$defs/a"}}, $ref: "#/$defs/a"}',
        (27, 32),
        "loop",
    ),
    (
        # pages show a number in its schema's `format` ("What changed"); a misspelt one would check
        # nothing and show "45" where "45 days" was meant
        "parameter format misspelt",
        PROGRAM,
        "schema: {type: integer, minimum: 0, maximum: 365}",
        "schema: {type: integer, minimum: 0, maximum: 365, format: duration-days}",
        (17, 63),
        "`duration-days` is not a format of numbers policyctl knows",
    ),
    (
        "parameter format of numbers on a yes/no",
        PROGRAM,
        PARAMETER,
        "schema: {type: boolean, format: money}",
        (27, 37),
        "the format `money` shows numbers, but the schema allows `boolean`",
    ),
    (
        "input of an unknown type",
        DECISION,
        INPUT,
        "    type: int\n    minimum: 0\n",
        (8, 11),
        "`int` is not a JSON Schema type",
    ),
    ("input enum not a list", DECISION, INPUT, "    type: integer\n    enum: 5\n", (9, 11), "`enum` must be an array"),
    ("input dangling $ref", DECISION, INPUT, '    $ref: "#/nope"\n', (8, 11), "points to nothing"),
    (
        "input $ref to its own $defs (`#` is the inputs object)",
        DECISION,
        INPUT,
        '    $defs: {n: {type: integer}}\n    $ref: "#/$defs/n"\n',
        (9, 11),
        "points to nothing",
    ),
    (
        "input pattern not a string",
        DECISION,
        INPUT,
        "    type: integer\n    pattern: 5\n",
        (9, 14),
        "`pattern` must be a string",
    ),
    (
        "input maximum quoted",
        DECISION,
        INPUT,
        '    type: integer\n    maximum: "3"\n',
        (9, 14),
        "`maximum` must be a number",
    ),
    (
        "input minimum a word",
        DECISION,
        INPUT,
        "    type: integer\n    minimum: zero\n",
        (9, 14),
        "`minimum` must be a number",
    ),
    ("input minLength negative", DECISION, INPUT, "    type: string\n    minLength: -1\n", (9, 16), "0 or more"),
    (
        "input pattern not a regex",
        DECISION,
        INPUT,
        '    type: string\n    pattern: "("\n',
        (9, 14),
        "not a regular expression",
    ),
    ("input required repeated", DECISION, INPUT, "    type: object\n    required: [a, a]\n", (9, 15), "repeated"),
]


@pytest.fixture
def starter(tmp_path: Path) -> Path:
    """A writable copy of the repository `policyctl init` writes (its policies folder)."""
    dest = tmp_path / "repo" / "policies"
    shutil.copytree(STARTER, dest)
    return dest


def _errors(policies: Path) -> list[tuple[str, str, int, int, str]]:
    problems = validate([str(policies)]).problems
    return [(p.code, Path(p.file).name, p.line, p.col, p.message) for p in problems if p.severity == "error"]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_validate_reports_the_schema_once_at_its_place(starter: Path, case: tuple[Any, ...]) -> None:
    _, file, old, new, (line, col), message = case
    edit(starter / file, old, new)
    errors = _errors(starter)
    # one problem, not one more for each decision, overlay or page that uses the parameter
    assert [e[:4] for e in errors] == [("P009", Path(file).name, line, col)], errors
    assert message in errors[0][4], errors


def test_a_misspelt_format_names_the_one_meant(starter: Path) -> None:
    edit(starter / PROGRAM, "maximum: 365}", "maximum: 365, format: duration-days}")
    edit(starter / PROGRAM, PARAMETER, "schema: {type: number, format: currency}")
    hints = [(p.line, p.hint) for p in validate([str(starter)]).problems if p.code == "P009"]
    assert hints == [
        (17, "did you mean `duration-day`?"),
        (
            27,
            "pages show a number as `money`, `percent` or `duration-day` (`duration-hour`, ...); "
            "leave the format out for a plain number",
        ),
    ]


# the reported faults, through every command that reads the repository
COMMANDS = [
    ("validate",),
    ("test",),
    ("show", "returns", "-m", "us"),
    ("history", "returns"),
    ("i18n", "check"),
    ("decide", "returns.return_allowed", "-m", "us", "-i", "-"),
    ("bundle", "--out", "{tmp}/policies.bundle"),
    ("build", "--out", "{tmp}/site"),
]
FAULTS = [
    c for c in CASES if c[0] in ("output of an unknown type", "parameter dangling $ref", "input of an unknown type")
]


@pytest.mark.parametrize("case", FAULTS, ids=[c[0] for c in FAULTS])
def test_no_command_uses_the_schema_or_tracebacks(starter: Path, tmp_path: Path, case: tuple[Any, ...]) -> None:
    _, file, old, new, (line, col), _ = case
    edit(starter / file, old, new)
    where = f"{Path(file).name}:{line}:{col}: error[P009]"
    for args in COMMANDS:
        r = run_cli(*[a.format(tmp=tmp_path) for a in args], cwd=starter.parent, stdin='{"days_since_delivery": 3}')
        out = r.out + r.err
        assert r.code == 1 and where in out, (args, r)
        assert "Traceback" not in out and "jsonschema" not in out and "Error:" not in out, (args, r)
    assert not (tmp_path / "policies.bundle").exists()  # bundle refuses
    r = run_cli("diff", str(STARTER), str(starter))
    assert r.code in (0, 1) and "Traceback" not in r.out + r.err, r


def test_valid_references_are_kept_and_answer(starter: Path) -> None:
    edit(starter / DECISION, OUTPUT, 'allowed: {$defs: {yes_no: {type: boolean}}, $ref: "#/$defs/yes_no"}')
    edit(starter / PROGRAM, PARAMETER, 'schema: {$defs: {b: {type: boolean}}, $ref: "#/$defs/b"}')
    delivered = "    description: Whole days since the item was delivered.\n"
    edit(starter / DECISION, delivered, delivered + '  also: {$ref: "#/properties/days_since_delivery"}\n')
    assert _errors(starter) == []
    r = run_cli("test", cwd=starter.parent)
    assert r.code == 0, r
    r = run_cli(
        "decide",
        "returns.return_allowed",
        "-m",
        "us",
        "-i",
        "-",
        cwd=starter.parent,
        stdin='{"days_since_delivery": 3}',
    )
    assert r.code == 0 and '"allowed": true' in r.out, r


def test_a_cached_clean_answer_is_not_given_for_a_broken_schema(starter: Path) -> None:
    from engine.cache import memo

    assert _errors(starter) == []  # fills the caches with the clean answers
    edit(starter / DECISION, INPUT, "    type: int\n    minimum: 0\n")
    assert [e[:4] for e in _errors(starter)] == [("P009", "return_allowed.yaml", 8, 11)]
    memo.clear_all()  # as a new process: from the disk cache
    assert [e[:4] for e in _errors(starter)] == [("P009", "return_allowed.yaml", 8, 11)]
    assert [e[:4] for e in _errors(starter)] == [("P009", "return_allowed.yaml", 8, 11)]  # and from the memos


# --- the one check itself ---------------------------------------------------------------------------

BAD = [
    ({"type": "bool"}, ("type",), "`bool` is not a JSON Schema type"),
    ({"type": ["integer", "strng"]}, ("type",), "`strng` is not a JSON Schema type"),
    ({"type": ["integer", "integer"]}, ("type",), "names a type twice"),
    ({"enum": 5}, ("enum",), "`enum` must be an array"),
    ({"items": 5}, ("items",), "must be a schema"),
    ({"allOf": []}, ("allOf",), "must not be an empty array"),
    ({"multipleOf": 0}, ("multipleOf",), "must be more than 0"),
    ({"properties": {"a": {"type": "intt"}}}, ("properties", "a", "type"), "`intt`"),
    ({"$ref": "#/nope"}, ("$ref",), "points to nothing in this schema"),
    ({"$ref": "#/allOf/x", "allOf": [{}]}, ("$ref",), "points to nothing"),
    ({"$dynamicRef": "#nowhere"}, ("$dynamicRef",), "points to nothing"),
    ({"$ref": "#"}, ("$ref",), "loop forever"),
    ({"allOf": [{"$ref": "#"}]}, ("allOf", 0, "$ref"), "loop forever"),
    ({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"not": {"$ref": "#/$defs/a"}}}, "$ref": "#/$defs/a"}, None, "loop"),
    ({"items": {"$ref": "#/$defs/x"}, "$defs": {"x": {"type": "bool"}}}, ("$defs", "x", "type"), "`bool`"),
    ({"const": {"type": "bool"}, "$ref": "#/const"}, ("$ref",), "not valid"),
    ({"default": 3, "$ref": "#/default"}, ("$ref",), "not a schema"),
]
GOOD = [
    {"type": "integer", "minimum": 0},
    {"$defs": {"x": {"type": "string"}}, "$ref": "#/$defs/x"},
    {"$defs": {"x": {"$anchor": "here", "type": "string"}}, "$ref": "#here"},
    # recursion through a value's parts ends with the value: not a loop
    {
        "$defs": {"t": {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": "#/$defs/t"}}}}},
        "$ref": "#/$defs/t",
    },
    {"$ref": "#/$defs/a~1b", "$defs": {"a/b": {"type": "null"}}},
    {"anyOf": [{"type": "string"}, {"type": "null"}]},
]


@pytest.mark.parametrize("schema, where, message", BAD, ids=[str(b[0]) for b in BAD])
def test_the_one_check_finds(schema: dict[str, Any], where: tuple[Any, ...] | None, message: str) -> None:
    findings = check.schema_findings(schema)
    assert findings and message in findings[0][1], findings
    if where is not None:
        assert findings[0][0] == where, findings
    assert all(hint for _, _, hint in findings)


# P009 names a value's type and the type a keyword wants as JSON Schema does, as S001, P003 and D004
# do and as authors write `type:` (`object`, `array`), never YAML's "mapping"/"list"; its hints say
# what to write in YAML, as S001's do
NAMED = [
    (
        {"items": [1]},
        ("items",),
        "`items` must be a schema (an object), not array `[1]`",
        "write a schema such as `{type: string}`",
    ),
    ({"enum": 5}, ("enum",), "`enum` must be an array, not integer `5`", "write a list: `[a, b]`, or `- item` lines"),
    (
        {"required": {"a": 1}},
        ("required",),
        '`required` must be an array, not object `{"a": 1}`',
        "write a list: `[a, b]`, or `- item` lines",
    ),
    (
        {"properties": 5},
        ("properties",),
        "`properties` must be an object, not integer `5`",
        "write `key: value` lines indented under this key",
    ),
    (
        {"type": {"a": 1}},
        ("type",),
        '`type` must name a type or an array of types, not object `{"a": 1}`',
        "use one of: array, boolean, integer, null, number, object, string",
    ),
    ({"maxItems": 1.5}, ("maxItems",), "`maxItems` must be an integer, not number `1.5`", "write a whole number"),
    ({"allOf": []}, ("allOf",), "`allOf` must not be an empty array", "give at least one item, or remove the key"),
    (
        {"default": [1], "$ref": "#/default"},
        ("$ref",),
        "`$ref: #/default` points to array `[1]`, which is not a schema",
        "refer to a part of this schema, such as `#/$defs/NAME` with the part written under `$defs:`",
    ),
]


@pytest.mark.parametrize("schema, where, message, hint", NAMED, ids=[str(n[0]) for n in NAMED])
def test_the_one_check_names_types_as_json_schema(
    schema: dict[str, Any], where: tuple[Any, ...], message: str, hint: str
) -> None:
    assert check.schema_findings(schema) == ((where, message, hint),)


def test_validate_names_types_as_json_schema(starter: Path) -> None:
    """The whole P009 as `validate` says it, at the offending node."""
    edit(starter / DECISION, INPUT, "    type: object\n    properties: [a]\n")
    [problem] = [p for p in validate([str(starter)]).problems if p.code == "P009"]
    assert (problem.line, problem.col) == (9, 17)
    assert problem.message == (
        "the schema of input `days_since_delivery` is not a valid JSON Schema: "
        '`properties` must be an object, not array `["a"]`'
    )
    assert problem.hint == "write `key: value` lines indented under this key"


@pytest.mark.parametrize("schema", GOOD, ids=[str(g) for g in GOOD])
def test_the_one_check_accepts_what_jsonschema_can_use(schema: dict[str, Any]) -> None:
    import jsonschema

    assert check.schema_findings(schema) == ()
    values: list[Any] = [None, 1, "x", [1, {"kids": []}], {"kids": [{"kids": []}]}]
    for value in values:
        list(jsonschema.Draft202012Validator(schema).iter_errors(value))  # does not raise


def test_references_in_an_input_resolve_in_the_inputs_object() -> None:
    inputs = {"a": {"type": "integer"}, "b": {"$ref": "#/properties/a"}}
    root = {"type": "object", "properties": inputs}
    assert check.schema_findings(inputs["b"], root, "the inputs") == ()
    assert "points to nothing" in check.schema_findings(inputs["b"])[0][1]  # on its own: nothing there
    assert (
        "loop"
        in check.schema_findings({"$ref": "#/properties/c"}, {"properties": {"c": {"$ref": "#/properties/c"}}})[0][1]
    )


# --- a decision made in code (not read from the sources) ------------------------------------------


def _decision(inputs: dict[str, Any], outputs: dict[str, Any]) -> Decision:
    here = Pos("d.yaml", 1, 1)
    return Decision(
        id="d",
        program="p",
        title="t",
        description="",
        inputs=inputs,
        required=(),
        let={},
        hit="first",
        rules=(Rule("r", None, {"v": 1}, "because", here),),
        default=None,
        outputs=outputs,
        file="d.yaml",
        pos=here,
    )


@pytest.mark.parametrize("schema", [{"type": "bool"}, {"enum": 5}, {"$ref": "#/nope"}, {"$ref": "#"}])
def test_a_decision_made_in_code_checks_no_constant_against_a_broken_output_schema(schema: dict[str, Any]) -> None:
    compiled, problems = compile_decision(_decision({"a": {"type": "integer"}}, {"v": schema}), set())
    assert compiled is not None and not [p for p in problems if p.severity == "error"], problems


# (`#` is the inputs object there: `{$ref: "#"}` in an input is a schema that can be used)
@pytest.mark.parametrize("schema", [{"type": "bool"}, {"enum": 5}, {"$ref": "#/nope"}, {"$ref": "#/properties/a"}])
def test_a_decision_made_in_code_says_its_input_schema_is_broken(schema: dict[str, Any]) -> None:
    compiled, _ = compile_decision(_decision({"a": schema}, {}), set())
    assert compiled is not None
    [message] = compiled.validate_inputs({"a": 1})
    assert message.startswith("/: the decision's `inputs` are not a valid JSON Schema: "), message
    assert "{" not in message and "Error" not in message, message  # no dict, no exception name
