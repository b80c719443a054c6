"""Property tests: whatever bytes a pull request brings, the answer is a problem list, never a crash.

Over the loader (random bytes, mutated valid YAML), the validator (`policyctl validate` on a
mutated copy of a repository), decisions (random JSON inputs, in-process and through
`policyctl decide`) and the catalog reader (`policyctl i18n check` on mutated PO files). Each
property is bounded (``max_examples``, no deadline per example) so the file runs in CI in well
under a minute; `POLICYCTL_PROPERTY_SCALE=20` multiplies the examples for a longer search.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import engine
from engine.problems import CODES, Problem
from engine.source.loader import load_bytes
from support import CORPUS, MINI, run_cli

HOSTILE_SITE = CORPUS / "hostile" / "site"
VALID = sorted(p for p in MINI.rglob("*.yaml")) + [CORPUS / "valid" / "norway_bool.yaml"]
CATALOG = HOSTILE_SITE / "demo" / "locales" / "it.po"
SCALE = int(os.environ.get("POLICYCTL_PROPERTY_SCALE", "1"))  # e.g. 20 for a long local search
FAST = settings(
    max_examples=60 * SCALE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SLOW = settings(
    max_examples=20 * SCALE,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
YAML_NOISE = st.sampled_from(list(b"\n\t :-[]{},&*!|>'\"#%@`?\x00\xff\xef\xbb\xbf") + [ord("a"), ord("0")])


def mutate(data: bytes, draw: Any) -> bytes:
    """A few byte-level edits: insert, delete, replace, duplicate a slice."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        if not out:
            out += bytes([draw(YAML_NOISE)])
            continue
        at = draw(st.integers(0, len(out) - 1))
        what = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        if what == "insert":
            out[at:at] = bytes([draw(YAML_NOISE)]) * draw(st.integers(1, 4))
        elif what == "delete":
            del out[at : at + draw(st.integers(1, 8))]
        elif what == "replace":
            out[at] = draw(YAML_NOISE)
        else:
            end = min(len(out), at + draw(st.integers(1, 40)))
            out[at:at] = out[at:end]
    return bytes(out)


def well_formed(problems: list[Problem]) -> None:
    for p in problems:
        assert p.code in CODES, p
        assert p.line >= 1 and p.col >= 1 and p.message, p


# -- the loader ----------------------------------------------------------------------------------------


@FAST
@given(st.binary(max_size=2000))
def test_random_bytes_load_to_data_or_problems(raw: bytes) -> None:
    doc = load_bytes(raw, "random.yaml")
    well_formed(doc.problems)
    assert (doc.data is None) or not doc.problems


@FAST
@given(st.sampled_from(VALID), st.data())
def test_mutated_yaml_loads_to_data_or_problems(path: Path, data: st.DataObject) -> None:
    raw = mutate(path.read_bytes(), data.draw)
    doc = load_bytes(raw, str(path))
    well_formed(doc.problems)


# -- the validator --------------------------------------------------------------------------------------


@SLOW
@given(st.sampled_from(sorted(str(p.relative_to(MINI)) for p in MINI.rglob("*.yaml"))), st.data())
def test_validate_on_a_mutated_repository_exits_0_or_1_with_a_message(
    tmp_path_factory: Any, name: str, data: st.DataObject
) -> None:
    repo = tmp_path_factory.mktemp("repo") / "policies"
    shutil.copytree(MINI, repo)
    target = repo / name
    target.write_bytes(mutate(target.read_bytes(), data.draw))
    r = run_cli("validate", str(repo))
    assert r.code in (0, 1), r
    assert "Traceback" not in r.out + r.err
    assert r.out.strip().splitlines()[-1].endswith(("no problems", "file", "files")), r.out
    if r.code == 1:
        assert "error[" in r.out


@SLOW
@given(st.data())
def test_validate_on_a_mutated_template_exits_0_or_1_with_a_message(tmp_path_factory: Any, data: st.DataObject) -> None:
    repo = tmp_path_factory.mktemp("site") / "policies"
    shutil.copytree(HOSTILE_SITE, repo)
    template = repo / "demo" / "pages" / "help.md.j2"
    noise = st.sampled_from(
        [
            "{{",
            "}}",
            "{%",
            "%}",
            "__class__",
            ".",
            "|attr('x')",
            "(",
            ")",
            "'",
            "~",
            "**",
            "cycler",
            "{% include '../x' %}",
            "\x00",
            "\ud7ff",
            "é",
        ]
    )
    text = template.read_text()
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        text = text[:at] + data.draw(noise) + text[at:]
    template.write_text(text, encoding="utf-8", errors="surrogatepass")
    r = run_cli("validate", str(repo))
    assert r.code in (0, 1) and "Traceback" not in r.out + r.err, r


# -- decisions --------------------------------------------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=20,
)
INPUT_NAMES = st.sampled_from(["days_late", "member", "x", "", "__class__", "days_late "])


@FAST
@given(st.one_of(JSON, st.dictionaries(INPUT_NAMES, JSON, max_size=4)), st.sampled_from(["nl", "no"]))
def test_decide_answers_any_json_with_a_result_or_d004(inputs: Any, marketplace: str) -> None:
    result = repository().decide("loans", "late_fee", inputs, marketplace, "2024-05-01")
    assert {p.code for p in result.problems} <= {"D004", "D005"}, result
    json.dumps(result.to_json())  # a result can always be written out


@SLOW
@given(
    st.lists(
        st.one_of(
            JSON.map(lambda v: json.dumps(v)),
            st.text(max_size=40),
            st.just('{"days_late": "\\ud800"}'),
            st.just("[" * 5000),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_decide_cli_answers_any_input_lines(lines: list[str]) -> None:
    assume(all("\n" not in line and "\r" not in line for line in lines))
    r = run_cli(
        "decide",
        "loans.late_fee",
        "-m",
        "nl",
        "--root",
        str(MINI),
        "--at",
        "2024-05-01",
        "--input",
        "-",
        stdin="\n".join(lines) + "\n",
    )
    assert r.code in (0, 1), r
    assert "Traceback" not in r.out + r.err


_REPO: list[Any] = []


def repository() -> Any:
    if not _REPO:
        _REPO.append(engine.load(str(MINI)))
    return _REPO[0]


# -- catalogs ---------------------------------------------------------------------------------------------


@SLOW
@given(st.data())
def test_i18n_check_on_a_mutated_catalog_exits_0_or_1_with_a_message(
    tmp_path_factory: Any, data: st.DataObject
) -> None:
    repo = tmp_path_factory.mktemp("po") / "policies"
    shutil.copytree(HOSTILE_SITE, repo)
    catalog = repo / "demo" / "locales" / "it.po"
    raw = catalog.read_bytes()
    if data.draw(st.booleans()):
        raw = mutate(raw, data.draw)
    else:  # edits a translator could make: header fields and strings
        piece = data.draw(
            st.sampled_from(
                [
                    b'"Plural-Forms: nplurals=1; plural=n%0;\\n"\n',
                    b'msgstr[7] "x"\n',
                    b"#, fuzzy\n",
                    b'msgid "Demo help"\nmsgstr "again"\n',
                    b'"\\',
                    b'msgctxt ""\n',
                    b'"Content-Type: text/plain; charset=latin-1\\n"\n',
                    b'"Content-Type: text/plain; charset=tf-8\\n"\n',
                    b"%(name)9999s",
                ]
            )
        )
        at = data.draw(st.integers(0, len(raw)))
        raw = raw[:at] + piece + raw[at:]
    catalog.write_bytes(raw)
    r = run_cli("i18n", "check", "--root", str(repo))
    assert r.code in (0, 1) and "Traceback" not in r.out + r.err, r
    if r.code == 1:
        assert "error[" in r.out
    built = run_cli("build", "--root", str(repo), "--out", str(repo.parent / "out"), "--at", "2024-03-01")
    assert built.code in (0, 1) and "Traceback" not in built.out + built.err, built
