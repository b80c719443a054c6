"""`format`: one verdict for one value, wherever it is checked, on any machine.

A decision input with `format: email`, `ipv4`, `uuid`, `uri`, `hostname`... was not checked when a
decision was asked (the input checker knew `date` and `date-time` only), while P003 refused the same
value as a parameter; and jsonschema asserts `uri`, `hostname`, `date-time`, `json-pointer`... only
when optional packages are installed, so a verdict depended on the machine. Now every format of
JSON Schema 2020-12 is asserted by one predicate each (engine.schema.predicates.FORMAT_CHECKS), used
by the generated checks, the input checker and jsonschema's path alike; any other format is P009.

S001 said a YAML mapping "mapping" and a list "list" beside the schema's `object` and `array`
(`expected object, got list`); and a value of a type none of a `oneOf`'s `$ref` branches takes got
the first branch's error (`boundaries: {outputs: 5}`: "expected array", "write a list", though a
mapping is allowed too).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from engine.decisions.inputs import InputChecker
from engine.schema import codegen as schemacode
from engine.schema.predicates import FORMAT_CHECKS, format_checker
from support import edit, run_cli

# (format, text, valid): each format's edges, as RFC 3339/3986/3987/5321/6570/6901, 1123, 4122 say
CASES: list[tuple[str, str, bool]] = [
    ("date", "2024-03-01", True),
    ("date", "2024-02-30", False),
    ("date-time", "2024-03-01T17:00:00Z", True),
    ("date-time", "2024-03-01T17:00:00", False),
    ("time", "09:30:00+01:00", True),
    ("time", "09:30:00Z", True),
    ("time", "09:30:00", False),
    ("time", "24:00:00Z", False),
    ("duration", "P3D", True),
    ("duration", "P1Y2M3DT4H5M6S", True),
    ("duration", "P1W", True),
    ("duration", "P", False),
    ("duration", "PT", False),
    ("duration", "P1D2H", False),
    ("email", "name@example.com", True),
    ("email", '"a b"@example.com', True),
    ("email", "a@[192.0.2.1]", True),
    ("email", "nobody", False),
    ("email", "a@", False),
    ("email", "@example.com", False),
    ("email", "a@-x-", False),
    ("idn-email", "ü@bücher.de", True),
    ("idn-email", "nobody", False),
    ("hostname", "example.com", True),
    ("hostname", "a.b-c.d", True),
    ("hostname", "-bad-", False),
    ("hostname", "a" * 64, False),
    ("hostname", "ex ample.com", False),
    ("idn-hostname", "bücher.de", True),
    ("idn-hostname", "-x", False),
    ("ipv4", "192.0.2.1", True),
    ("ipv4", "999.1.1.1", False),
    ("ipv4", "01.1.1.1", False),
    ("ipv6", "2001:db8::1", True),
    ("ipv6", "fe80::1%eth0", False),
    ("ipv6", "192.0.2.1", False),
    ("uri", "https://example.com/help?x=1#a", True),
    ("uri", "urn:isbn:0451450523", True),
    ("uri", "http://[::1]:8080/", True),
    ("uri", "not a uri", False),
    ("uri", "/help", False),
    ("uri", "http://[::zz]/", False),
    ("uri", "https://bücher.de/", False),
    ("uri-reference", "/help#returns", True),
    ("uri-reference", "../a?b", True),
    ("uri-reference", "a b", False),
    ("iri", "https://bücher.de/ü", True),
    ("iri", "bücher", False),
    ("iri-reference", "/ü#x", True),
    ("iri-reference", "a b", False),
    ("uri-template", "https://example.com/orders/{id}{?q,r}", True),
    ("uri-template", "/{+path}/{x:3}", True),
    ("uri-template", "/{id", False),
    ("uuid", "123e4567-e89b-12d3-a456-426614174000", True),
    ("uuid", "123e4567e89b12d3a456426614174000", False),
    ("uuid", "xyz", False),
    ("json-pointer", "/items/0", True),
    ("json-pointer", "", True),
    ("json-pointer", "/a~2", False),
    ("json-pointer", "items", False),
    ("relative-json-pointer", "1/name", True),
    ("relative-json-pointer", "0#", True),
    ("relative-json-pointer", "01", False),
    ("regex", "^[A-Z]{2}$", True),
    ("regex", "(", False),
]


def test_every_format_of_2020_12_is_asserted() -> None:
    assert set(FORMAT_CHECKS) == {
        "date", "date-time", "time", "duration", "email", "idn-email", "hostname", "idn-hostname", "ipv4",
        "ipv6", "uri", "uri-reference", "iri", "iri-reference", "uri-template", "uuid", "json-pointer",
        "relative-json-pointer", "regex",
    }  # fmt: skip
    assert {fmt for fmt, _, _ in CASES} == set(FORMAT_CHECKS)
    # jsonschema's path asserts exactly these (none of its own, whose set depends on packages)
    assert set(format_checker().checkers) == set(FORMAT_CHECKS)


@pytest.mark.parametrize(("fmt", "text", "valid"), CASES)
def test_one_value_gets_one_verdict_everywhere(fmt: str, text: str, valid: bool) -> None:
    value_schema = {"type": "string", "format": fmt}
    assert FORMAT_CHECKS[fmt](text) is valid
    # the generated check (parameters, file kinds) and jsonschema's (P003's words)
    fn = schemacode.compile_value(value_schema)
    assert fn is not None and fn(text) is valid
    slow = Draft202012Validator(value_schema, format_checker=format_checker())  # (as check_value's)
    assert (not list(slow.iter_errors(text))) is valid
    # a decision's inputs: the simple checks (a first input), the generated check, jsonschema's path
    simple = InputChecker({"x": value_schema}, ())
    assert (simple.check({"x": text}) == []) is valid
    assert (simple.check({"x": text}) == []) is valid  # (the second: through the generated check)
    full = InputChecker({"x": {"anyOf": [value_schema, {"type": "null"}]}}, ())
    assert (full.check({"x": text}) == []) is valid


# what jsonschema asserts only with an optional package: each import made to fail
_OPTIONAL = ("rfc3987", "rfc3986_validator", "rfc3987_syntax", "fqdn", "idna", "rfc3339_validator",
             "jsonpointer", "uri_template", "isoduration", "webcolors")  # fmt: skip


def test_the_verdicts_do_not_depend_on_optional_packages() -> None:
    code = (
        "import sys, json\n"
        f"for name in {_OPTIONAL!r}: sys.modules[name] = None\n"
        "from jsonschema import Draft202012Validator\n"
        "from engine.schema.predicates import format_checker\n"
        "from engine.decisions.inputs import InputChecker\n"
        f"cases = {CASES!r}\n"
        "out = []\n"
        "for fmt, text, _ in cases:\n"
        "    s = {'type': 'string', 'format': fmt}\n"
        "    slow = Draft202012Validator(s, format_checker=format_checker())\n"
        "    inputs = InputChecker({'x': {'anyOf': [s, {'type': 'null'}]}}, ())\n"
        "    out.append([not list(slow.iter_errors(text)), inputs.check({'x': text}) == []])\n"
        "print(json.dumps(out))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(run.stdout) == [[valid, valid] for _, _, valid in CASES]


INPUTS = """\
  contact: {type: string, format: email}
  help_url: {type: string, format: uri}
  ref: {type: string, format: uuid}
"""
PARAMETERS = """\
  contact:
    description: Where to write.
    schema: {type: string, format: email}
    value: nobody
    source: the returns policy, 2024 edition
  help_url:
    description: The help page.
    schema: {type: string, format: uri}
    value: not a uri
    source: the returns policy, 2024 edition
"""


@pytest.fixture
def starter(init_starter: Path, tmp_path: Path) -> Path:
    top = tmp_path / "repo"
    shutil.copytree(init_starter, top, ignore=shutil.ignore_patterns("generated_docs"))
    return top


def test_a_parameter_and_an_input_get_the_same_words(starter: Path) -> None:
    program = starter / "policies/returns/program.yaml"
    decision = starter / "policies/returns/decisions/return_allowed.yaml"
    program.write_text(program.read_text(encoding="utf-8") + PARAMETERS, encoding="utf-8")
    edit(
        decision,
        "    description: Whole days since the item was delivered.\n",
        "    description: Whole days.\n" + INPUTS,
    )
    run = run_cli("validate", cwd=starter)
    assert run.code == 1
    assert run.out.splitlines()[:4] == [
        "policies/returns/program.yaml:33:12: error[P003]: parameter `contact`: "
        'expected an email address, got `"nobody"`',
        '  hint: write it like `"name@example.com"`',
        'policies/returns/program.yaml:38:12: error[P003]: parameter `help_url`: expected a URI, got `"not a uri"`',
        '  hint: write it like `"https://example.com/help"`',
    ]
    edit(program, "value: nobody", "value: help@example.com")
    edit(program, "value: not a uri", "value: https://example.com/help")
    assert run_cli("validate", cwd=starter).code == 0
    asked = starter / "in.json"
    asked.write_text('{"days_since_delivery": 3, "contact": "nobody", "help_url": "not a uri", "ref": "x"}\n')
    for lines in ((), ("--lines",)):  # one input, and a batch
        run = run_cli(
            "decide", "returns.return_allowed", "-m", "us", "--at", "2024-06-01", "-i", str(asked),
            "--format", "json", *lines, cwd=starter,
        )  # fmt: skip
        assert run.code == 1
        problems = json.loads(run.out.splitlines()[0] if lines else run.out)["problems"]
        assert [(p["code"], p["line"], p["column"], p["message"], p["hint"]) for p in problems] == [
            (
                "D004",
                1,
                39,
                '/contact: expected an email address, got `"nobody"`',
                'write it like `"name@example.com"`',
            ),
            (
                "D004",
                1,
                61,
                '/help_url: expected a URI, got `"not a uri"`',
                'write it like `"https://example.com/help"`',
            ),
            (
                "D004",
                1,
                81,
                '/ref: expected a UUID, got `"x"`',
                'write it like `"123e4567-e89b-12d3-a456-426614174000"`',
            ),
        ]


@pytest.mark.parametrize(
    ("schema_text", "message", "hint"),
    [
        (
            "{type: string, format: ssn}",
            "`ssn` is not a format policyctl checks, so a value would pass it unchecked",
            # (`policyctl guide`, not the clone's docs/writing-policies.md: an installed user has no clone)
            "the formats of text are JSON Schema's (`date`, `date-time`, `email`, `uri`, `uuid`, ...: the "
            "authors' guide lists them, `policyctl guide`); for a form of your own, write a `pattern`",
        ),
        (
            "{type: string, format: emial}",
            "`emial` is not a format policyctl checks, so a value would pass it unchecked",
            "did you mean `email`?",
        ),
        (
            "{type: array, items: {type: string, format: ipv-4}}",
            "`ipv-4` is not a format policyctl checks, so a value would pass it unchecked",
            "did you mean `ipv4`?",
        ),
    ],
)
def test_a_format_nothing_checks_is_p009_in_an_input(starter: Path, schema_text: str, message: str, hint: str) -> None:
    decision = starter / "policies/returns/decisions/return_allowed.yaml"
    edit(decision, "    description: Whole days since the item was delivered.\n", f"  extra: {schema_text}\n")
    run = run_cli("validate", "--format", "json", cwd=starter)
    problems = json.loads(run.out)["problems"]
    column = 10 + schema_text.index("format: ") + len("format: ")
    assert [(p["code"], p["line"], p["column"], p["message"], p["hint"]) for p in problems] == [
        ("P009", 10, column, message, hint)
    ]


@pytest.mark.parametrize(
    ("old", "new", "place", "message", "hint"),
    [
        (  # a mapping where a text goes: JSON Schema's `object`, as the schema says it
            "title: Returns",
            "title: {a: 1}",
            "policies/returns/program.yaml:9:8",
            '/title: expected string, got object `{"a": 1}`',
            "write a value of type string",
        ),
        (
            "title: Returns",
            "title: [a]",
            "policies/returns/program.yaml:9:8",
            '/title: expected string, got array `["a"]`',
            "write a value of type string",
        ),
    ],
)
def test_s001_says_json_schema_s_names(starter: Path, old: str, new: str, place: str, message: str, hint: str) -> None:
    edit(starter / "policies/returns/program.yaml", old, new)
    run = run_cli("validate", cwd=starter)
    assert run.out.splitlines()[:2] == [f"{place}: error[S001]: {message}", f"  hint: {hint}"]


CASE = """\
  - name: bad boundaries
    decision: return_allowed
    marketplace: us
    at: "2025-03-01"
    input: {days_since_delivery: 10}
    expect: {allowed: true}
    boundaries: {parameter: return_window_days, outputs: OUTPUTS}
"""


@pytest.mark.parametrize(
    ("outputs", "message", "hint"),
    [
        (  # a type no branch takes: every branch's form, `$ref`s followed
            "5",
            "/cases/5/boundaries/outputs: expected an array (each item a name of at most 63 lowercase letters, "
            "digits and underscores that starts with a letter, at least 1 item) or an object (at least 1 key), "
            "got integer `5`",
            "write a list (`- item` lines, or `[a, b]`) or `key: value` lines indented under this key",
        ),
        (  # (policyctl's id said as what it means, not as its pattern: never `(?!\n)` to an author)
            "true",
            "/cases/5/boundaries/outputs: expected an array (each item a name of at most 63 lowercase letters, "
            "digits and underscores that starts with a letter, at least 1 item) or an object (at least 1 key), "
            "got boolean `true`",
            "write a list (`- item` lines, or `[a, b]`) or `key: value` lines indented under this key",
        ),
        (  # the value's type picks a branch: that branch's words, as before
            "{}",
            "/cases/5/boundaries/outputs: expected at least 1 key, got object `{}`",
            "give at least 1 key",
        ),
    ],
)
def test_a_oneof_of_refs_says_what_its_branches_accept(starter: Path, outputs: str, message: str, hint: str) -> None:
    tests = starter / "policies/returns/tests/return_allowed.yaml"
    tests.write_text(tests.read_text(encoding="utf-8") + CASE.replace("OUTPUTS", outputs), encoding="utf-8")
    run = run_cli("validate", cwd=starter)
    assert run.out.splitlines()[:2] == [
        f"policies/returns/tests/return_allowed.yaml:46:58: error[S001]: {message}",
        f"  hint: {hint}",
    ]


def test_an_authors_own_pattern_is_quoted(starter: Path) -> None:
    """An author's pattern is theirs: said as written, even one that reads like policyctl's ids'
    (which S001 says in words, above)."""
    program = starter / "policies/returns/program.yaml"
    edit(
        program,
        "    schema: {type: boolean}\n    value: false\n",
        '    schema: {oneOf: [{type: string, pattern: "^[a-z][a-z0-9_]{0,62}$"}, {type: array}]}\n    value: 5\n',
    )
    run = run_cli("validate", cwd=starter)
    lines = run.out.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("policies/returns/program.yaml:"))
    assert lines[at : at + 2] == [
        "policies/returns/program.yaml:28:12: error[P003]: parameter `free_return_shipping`: "
        "expected a string (matching `^[a-z][a-z0-9_]{0,62}$`) "
        "or an array, got integer `5`",
        "  hint: write a string or a list (`- item` lines, or `[a, b]`)",
    ]
