"""From schema-valid documents to the policy model, with the checks that span values and files.

Each builder takes a document already checked against its kind's schema, so it can index the
data without defensive type checks; everything it reports carries the node's position.
"""

from __future__ import annotations

import os
import re
from typing import Any

from engine.model.policy import (
    SHOWN_FORMATS,
    Decision,
    Entry,
    Expr,
    Marketplace,
    Overlay,
    Parameter,
    Program,
    Rule,
    TestCase,
    pointer_keys,
)
from engine.problems import Pos, Problem
from engine.problems.hints import Suggester
from engine.schema import check as schema
from engine.schema import fastcheck
from engine.schema.keywords import SUBSCHEMA_LISTS, SUBSCHEMA_MAPS, SUBSCHEMA_ONE
from engine.schema.patterns import unsafe_keywords
from engine.schema.predicates import FORMAT_CHECKS
from engine.source import layout
from engine.source.loader import Document, Path


def marketplaces(doc: Document) -> tuple[dict[str, Marketplace], list[Problem]]:
    found: dict[str, Marketplace] = {}
    problems: list[Problem] = []
    hints = Suggester()
    for mp_id, spec in doc.data["marketplaces"].items():
        base = ("marketplaces", mp_id)
        found[mp_id] = Marketplace(
            id=mp_id,
            country=spec["country"],
            currency=spec["currency"],
            time_zone=spec["time_zone"],
            locales=tuple(spec["locales"]),
            pos=doc.key_pos(base),
            site=spec.get("site"),
        )
        for i, tag in enumerate(spec["locales"]):
            problems += _locale_problem(doc, base + ("locales", i), tag)
        problems += _zone_problem(doc, base + ("time_zone",), spec["time_zone"], hints)
    return found, problems


def _locale_problem(doc: Document, path: Path, tag: str) -> list[Problem]:
    from engine.schema.fastcheck import known_locale

    if known_locale(tag):  # the common case, without importing Babel (~10 ms)
        return []
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(tag, sep="-")
    except (UnknownLocaleError, ValueError):
        return [
            Problem.at(
                doc.pos(path),
                "P010",
                f"`{tag}` is not a locale CLDR knows",
                "use a BCP 47 tag such as `en`, `de`, `it` or `zh-Hans`",
            )
        ]
    return []


def _zone_problem(doc: Document, path: Path, zone: str, hints: Suggester) -> list[Problem]:
    from engine.model.clock import zone_hint

    hint = zone_hint(zone, hints)
    if hint is None:
        return []
    return [Problem.at(doc.pos(path), "P001", f"`{zone}` is not an IANA time zone", hint)]


def timeline(doc: Document, path: Path, spec: dict[str, Any]) -> tuple[tuple[Entry, ...], list[Problem]]:
    entries = [
        Entry(
            spec["value"],
            None,
            doc.pos(path + ("value",)),
            spec.get("source"),
            spec.get("note"),
            spec.get("assumption"),
            _assumed(spec),
            spec.get("on_pages", "mark"),
        )
    ]
    problems: list[Problem] = []
    previous = None
    for i, change in enumerate(spec.get("changes") or ()):
        cpath = path + ("changes", i)
        start = change["from"]
        if previous is not None and start <= previous:
            problems.append(
                Problem.at(
                    doc.pos(cpath + ("from",)),
                    "P004",
                    f"change from {start} is not after the previous one ({previous})",
                    "list changes oldest first, with a different date each",
                )
            )
        previous = start
        entries.append(
            Entry(
                change["value"],
                start,
                doc.pos(cpath + ("value",)),
                change.get("source"),
                change.get("note"),
                change.get("assumption"),
                _assumed(change),
                change.get("on_pages", "mark"),
            )
        )
    return tuple(entries), problems


def _assumed(spec: dict[str, Any]) -> tuple[str, ...]:
    """What an entry's `assumption` is about; `[value]` unless `assumed:` says otherwise."""
    if not spec.get("assumption"):
        return ()
    return tuple(spec.get("assumed") or ("value",))


def evidence(doc: Document, path: Path, spec: dict[str, Any]) -> list[Problem]:
    """P012: every value (the undated one and each change) says where it comes from (`source`) or
    why it was chosen (`assumption`); `assumed`/`on_pages` without an `assumption` say nothing."""
    problems = []
    for where, entry in [(path, spec)] + [(path + ("changes", i), c) for i, c in enumerate(spec.get("changes") or ())]:
        if not entry.get("source") and not entry.get("assumption"):
            problems.append(
                Problem.at(
                    doc.pos(where + ("value",)),
                    "P012",
                    "a value with neither `source` nor `assumption`",
                    "say where it comes from (`source`: the document and the quoted sentence, or a URL), "
                    "or why it was chosen (`assumption`)",
                    "warning",
                )
            )
        elif ("assumed" in entry or "on_pages" in entry) and not entry.get("assumption"):
            key = "assumed" if "assumed" in entry else "on_pages"
            problems.append(
                Problem.at(
                    doc.pos(where + (key,)),
                    "P012",
                    f"`{key}` without an `assumption`",
                    "write the `assumption`, or remove this key",
                    "warning",
                )
            )
        else:
            problems += _assumed_problems(doc, where, entry, dated=where != path)
    return problems


def _assumed_problems(doc: Document, where: Path, entry: dict[str, Any], dated: bool) -> list[Problem]:
    """What `assumed:` says that the entry does not bear out: a part of the value that is not
    there (P014: pages would mark nothing); as P012 warnings, a value it calls sourced, wholly
    (`[date]`) or in part (`[/0]`), without a `source` (pages would state it as a fact), a date
    on a value that has none, an `on_pages` for a value that is not assumed (it would be shown
    all the same)."""
    assumed = entry.get("assumed") or ["value"]
    if not isinstance(assumed, list):
        return []
    parts = [(i, a) for i, a in enumerate(assumed) if isinstance(a, str) and a.startswith("/")]
    problems = [
        Problem.at(
            doc.pos(where + ("assumed", i)),
            "P014",
            f"`{pointer}` is not a part of the value",
            "name an item (`/0` is the first) or a field (`/fee`) of the value, as a JSON Pointer",
        )
        for i, pointer in parts
        if not _has_part(entry.get("value"), pointer_keys(pointer))
    ]
    whole = "value" in assumed
    found = []
    if parts and not whole and not entry.get("source"):
        found.append(
            (
                "assumed",
                f"`assumed: [{', '.join(p for _, p in parts)}]` calls the rest of the value sourced, but it has no `source`",
                "give its `source`, or write `assumed: [value]`",
            )
        )
    elif not whole and "date" in assumed and not entry.get("source"):
        found.append(
            (
                "assumed",
                "`assumed: [date]` calls the value sourced, but it has no `source`",
                "give its `source`, or write `assumed: [value, date]`",
            )
        )
    only_date = not whole and not parts
    if only_date and "date" in assumed and not dated:
        found.append(("assumed", "`assumed: [date]` on the undated value, which has no date", "remove `date`"))
    if only_date and "date" in assumed and "on_pages" in entry:
        found.append(
            (
                "on_pages",
                "`on_pages` has no effect when only the date is assumed: the value is shown",
                "write `assumed: [value, date]` to keep an assumed value off the pages, or remove `on_pages`",
            )
        )
    return problems + [
        Problem.at(doc.pos(where + (key,)), "P012", message, hint, "warning") for key, message, hint in found
    ]


def _has_part(value: Any, keys: tuple[str, ...]) -> bool:
    """Whether a JSON Pointer's keys lead somewhere in ``value``."""
    for key in keys:
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif (
            isinstance(value, list)
            and key.isdigit()
            and (key == "0" or not key.startswith("0"))
            and int(key) < len(value)
        ):
            value = value[int(key)]
        else:
            return False
    return True


def check_entries(
    doc: Document, name: str, param_schema: dict[str, Any], tiers: bool, entries: tuple[Entry, ...], paths: list[Path]
) -> list[Problem]:
    problems: list[Problem] = []
    # The schema's yes/no validator, found once for all the entries (as schema.check_value does
    # first for each); a value it does not accept gets schema.check_value's full check.
    valid = fastcheck.value_validator(param_schema)
    for entry, path in zip(entries, paths):
        if valid is None or not valid(entry.value):
            what = f"parameter `{name}`" + (f" from {entry.start}" if entry.start else "")
            problems += schema.check_value(doc, path, entry.value, param_schema, what=what)
        if tiers and isinstance(entry.value, list):
            problems += tier_problems(doc, path, entry.value)
    return problems


def _entry_paths(path: Path, spec: dict[str, Any]) -> list[Path]:
    return [path + ("value",)] + [path + ("changes", i, "value") for i in range(len(spec.get("changes") or ()))]


def _bound(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def tier_problems(doc: Document, path: Path, bands: list[Any]) -> list[Problem]:
    """Bands must be ordered, contiguous, and open at both ends: every number falls in exactly one."""
    problems: list[Problem] = []
    rows = [b for b in bands if isinstance(b, dict)]
    if len(rows) != len(bands) or not rows:
        return problems
    if not all(_bound(row.get(key)) for row in rows for key in ("over", "up_to")):
        return problems  # a bound that is not a number: the schema's problem (P003), not comparable
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
    # Positions are looked up only for a problem: most tables have none, and a look-up costs more
    # than the checks of a band.
    before = rows[0].get("up_to")
    for i in range(1, len(rows)):
        over, up = rows[i].get("over"), rows[i].get("up_to")
        if before is None or over is None:
            problems.append(
                Problem.at(
                    doc.pos(path + (i, "over")),
                    "P005",
                    f"band {i + 1} overlaps band {i}: an open bound in the middle",
                    "only the first band may start at null and only the last may end at null",
                )
            )
        elif over < before:
            problems.append(
                Problem.at(
                    doc.pos(path + (i, "over")),
                    "P005",
                    f"band {i + 1} starts over {over} but band {i} goes up to {before}: they overlap",
                    f"write `over: {before}`",
                )
            )
        elif over > before:
            problems.append(
                Problem.at(
                    doc.pos(path + (i, "over")),
                    "P006",
                    f"band {i + 1} starts over {over} but band {i} ends at {before}: a gap",
                    f"write `over: {before}`",
                )
            )
        if over is not None and up is not None and up <= over:
            problems.append(
                Problem.at(
                    doc.pos(path + (i, "up_to")),
                    "P005",
                    f"band {i + 1} is empty or reversed (over {over}, up to {up})",
                    "`up_to` must be greater than `over`",
                )
            )
        before = up
    return problems


def program(doc: Document, folder: str, known_marketplaces: dict[str, Marketplace]) -> tuple[Program, list[Problem]]:
    data = doc.data
    problems: list[Problem] = []
    if data["id"] != folder:
        problems.append(
            Problem.at(
                doc.pos(("id",)),
                "L003",
                f"program id `{data['id']}` differs from its folder `{folder}`",
                f"write `id: {folder}` or rename the folder"
                if layout.ID.match(folder)
                else f"rename the folder to `{data['id']}` (`{folder}` is not an id: lowercase letters, digits, _)",
            )
        )
    hints = Suggester()
    for i, mp in enumerate(data.get("marketplaces") or ()):
        if known_marketplaces and mp not in known_marketplaces:
            problems.append(_unknown_marketplace(doc, ("marketplaces", i), mp, known_marketplaces, hints))
    for key in data["names"]:
        problems += _locale_problem(doc, ("names", key), key)
    params: dict[str, Parameter] = {}
    for name, spec in data["parameters"].items():
        path = ("parameters", name)
        problems += unknown_keywords(doc, path + ("schema",), spec["schema"])
        problems += format_problems(doc, path + ("schema",), spec["schema"])
        # A schema refused here is never used: resolving the reference or matching the pattern is
        # the attack (unsafe_keywords), or checking a value against it could only fail. The
        # parameter stays declared, with `{}` for its schema, so that its one problem is not
        # followed by one for each decision, overlay and page that names it.
        refused = unsafe_keywords(doc, path + ("schema",), spec["schema"]) or schema.source_schema(
            doc, path + ("schema",), spec["schema"], f"the schema of `{name}`"
        )
        problems += refused
        entries, more = timeline(doc, path, spec)
        problems += more + evidence(doc, path, spec)
        if not refused:
            problems += check_entries(
                doc, name, spec["schema"], bool(spec.get("tiers")), entries, _entry_paths(path, spec)
            )
        params[name] = Parameter(
            name,
            spec["description"],
            {} if refused else spec["schema"],
            entries,
            doc.key_pos(path),
            bool(spec.get("tiers")),
            spec.get("label"),
        )
    built = Program(
        id=folder,
        names=dict(data["names"]),
        marketplaces=tuple(data.get("marketplaces") or ()),
        parameters=params,
        overlays={},
        decisions={},
        tests=(),
        dir=os.path.dirname(doc.path),
        pos=doc.pos(),
        title=data.get("title", ""),
        description=data.get("description", ""),
        extra={
            "labels": dict(data.get("labels") or {}),
            "languages": tuple(data["languages"]) if data.get("languages") else None,
            "translations": data.get("translations", "strict"),
        },
    )
    return built, problems


def _unknown_marketplace(
    doc: Document, path: Path, mp: str, known: dict[str, Any], hints: Suggester | None = None
) -> Problem:
    return Problem.at(
        doc.pos(path),
        "P001",
        f"marketplace `{mp}` is not declared in marketplaces.yaml",
        f"known marketplaces: {(hints or Suggester()).listed(known)}",
    )


def overlay(
    doc: Document, stem: str, prog: Program, known_marketplaces: dict[str, Marketplace]
) -> tuple[Overlay | None, list[Problem]]:
    data = doc.data
    problems: list[Problem] = []
    mp = data["marketplace"]
    if mp != stem:
        problems.append(
            Problem.at(
                doc.pos(("marketplace",)),
                "L003",
                f"overlay for `{mp}` is in the file `{stem}`",
                f"write `marketplace: {stem}` or rename the file",
            )
        )
    if known_marketplaces and mp not in known_marketplaces:
        problems.append(_unknown_marketplace(doc, ("marketplace",), mp, known_marketplaces))
    params: dict[str, Parameter] = {}
    hints = Suggester()
    for name, spec in (data.get("parameters") or {}).items():
        path = ("parameters", name)
        base = prog.parameters.get(name)
        if base is None:
            close = hints.closest(name, prog.parameters)
            problems.append(
                Problem.at(
                    doc.key_pos(path),
                    "P002",
                    f"`{prog.id}` declares no parameter `{name}`",
                    f"did you mean `{close[0]}`?" if close else "declare it in program.yaml first",
                )
            )
            continue
        entries, more = timeline(doc, path, spec)
        problems += more + evidence(doc, path, spec)
        problems += check_entries(doc, name, base.schema, base.tiers, entries, _entry_paths(path, spec))
        params[name] = Parameter(
            name, base.description, base.schema, entries, doc.key_pos(path), base.tiers, base.label
        )
    return Overlay(mp, params, doc.pos()), problems


def _expr(doc: Document, path: Path, source: str) -> Expr:
    # Point inside the scalar: a plain or quoted scalar starts where its node starts.
    return Expr(source, doc.pos(path))


def _outputs(doc: Document, path: Path, then: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in then.items():
        if isinstance(value, str) and value.startswith("="):
            out[key] = _expr(doc, path + (key,), value[1:].strip())
        else:
            out[key] = value
    return out


def _places(doc: Document, path: Path, then: dict[str, Any]) -> dict[str, Pos]:
    """Where each output's value is written (a problem about a value points at it, not its key)."""
    return {key: doc.pos(path + (key,)) for key in then}


def decision(doc: Document, stem: str, program_id: str) -> tuple[Decision, list[Problem]]:
    data = doc.data
    problems: list[Problem] = []
    if data["id"] != stem:
        problems.append(
            Problem.at(
                doc.pos(("id",)),
                "L003",
                f"decision id `{data['id']}` differs from its file `{stem}`",
                f"write `id: {stem}` or rename the file",
            )
        )
    for i, name in enumerate(data.get("required") or ()):
        if name not in data["inputs"]:
            problems.append(
                Problem.at(
                    doc.pos(("required", i)),
                    "S001",
                    f"`{name}` is required but not an input",
                    "declare it under `inputs:` or remove it from `required:`",
                )
            )
    unsafe: set[tuple[str, str]] = set()
    for section in ("inputs", "outputs"):
        schemas = data.get(section) or {}
        # what `#` is where each is evaluated: the inputs are checked as one object (InputChecker,
        # Decision.input_schema), an output on its own (its constants, engine.decisions.checks)
        root = (
            {
                "type": "object",
                "properties": schemas,
                "required": list(data.get("required") or ()),
                "additionalProperties": False,
            }
            if section == "inputs"
            else None
        )
        scope = "the decision's inputs as one object schema" if section == "inputs" else ""
        for name, sub in schemas.items():
            problems += unknown_keywords(doc, (section, name), sub)
            found = unsafe_keywords(doc, (section, name), sub) or schema.source_schema(
                doc, (section, name), sub, f"the schema of {section[:-1]} `{name}`", root, scope
            )
            if found:
                problems += found
                unsafe.add((section, name))
    rules = []
    seen: dict[str, int] = {}
    for i, row in enumerate(data["rules"]):
        path = ("rules", i)
        if row["id"] in seen:
            problems.append(
                Problem.at(
                    doc.pos(path + ("id",)),
                    "S001",
                    f"rule id `{row['id']}` is used twice (first at line {seen[row['id']]})",
                    "give every row its own id",
                )
            )
        seen[row["id"]] = doc.pos(path + ("id",)).line
        when = _expr(doc, path + ("when",), row["when"]) if "when" in row else None
        then = path + ("then",)
        rules.append(
            Rule(
                row["id"],
                when,
                _outputs(doc, then, row["then"]),
                row["reason"],
                doc.pos(path),
                _places(doc, then, row["then"]),
            )
        )
    built = Decision(
        id=stem,
        program=program_id,
        title=data["title"],
        description=data.get("description", ""),
        inputs=_usable("inputs", data["inputs"], unsafe),
        required=tuple(data.get("required") or ()),
        let={k: _expr(doc, ("let", k), v) for k, v in (data.get("let") or {}).items()},
        hit=data.get("hit", "first"),
        rules=tuple(rules),
        default=_outputs(doc, ("default",), data["default"]) if "default" in data else None,
        outputs=_usable("outputs", data.get("outputs") or {}, unsafe),
        file=doc.path,
        pos=doc.pos(),
        aggregate=dict(data["aggregate"]) if data.get("aggregate") else None,
        default_pos=_places(doc, ("default",), data["default"]) if "default" in data else None,
    )
    if built.aggregate and built.hit != "collect":
        problems.append(
            Problem.at(
                doc.key_pos(("aggregate",)),
                "D006",
                f"`aggregate` needs `hit: collect`, not `hit: {built.hit}`",
                "write `hit: collect`, or remove `aggregate`",
            )
        )
    return built, problems


def _usable(section: str, schemas: dict[str, Any], unsafe: set[tuple[str, str]]) -> dict[str, Any]:
    """The property schemas, those reported by unsafe_keywords or check.source_schema (P009) replaced
    by `{}`: nothing is ever fetched for them or matched against their patterns, and no command
    evaluates a schema that is not valid, even `policyctl test`."""
    return {name: {} if (section, name) in unsafe else sub for name, sub in schemas.items()}


def tests(doc: Document, program_id: str) -> list[TestCase]:
    return [
        TestCase(
            name=c["name"],
            program=program_id,
            decision=c["decision"],
            marketplace=c["marketplace"],
            at=c["at"],
            input=c["input"],
            expect=c["expect"],
            pos=doc.pos(("cases", i)),
            example=bool(c.get("example")),
            description=c.get("description"),
            source=c.get("source"),
        )
        for i, c in enumerate(doc.data["cases"])
    ]


def test_problems(
    doc: Document, cases: list[TestCase], prog: Program, unread: dict[str, set[str]] | None = None
) -> list[Problem]:
    """``unread``: ids of the program's decision and overlay files left out because of their own
    errors (Repository.unread): a case naming one is not reported (its file's errors are)."""
    from engine.policytests import declared  # (a case's `boundaries:`, read as `test --boundaries` reads it)

    problems: list[Problem] = []
    unread = unread or {}
    names: dict[str, int] = {}
    checkers: dict[str, Any] = {}  # each decision's input check (engine.decisions.inputs), made once
    known_names: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {}  # (_case_names)
    hints = Suggester()
    for i, case in enumerate(cases):
        path = ("cases", i)
        if case.name in names:
            problems.append(
                Problem.at(
                    doc.pos(path + ("name",)),
                    "T002",
                    f"test name `{case.name}` is used twice (first at line {names[case.name]})",
                    "names select tests with -k: make them unique",
                )
            )
        names[case.name] = doc.pos(path + ("name",)).line
        if case.decision not in prog.decisions and case.decision not in unread.get("decision", ()):
            problems.append(
                Problem.at(
                    doc.pos(path + ("decision",)),
                    "T002",
                    f"`{prog.id}` has no decision `{case.decision}`",
                    f"known decisions: {hints.listed(prog.decisions) or 'none'}",
                )
            )
        if case.marketplace not in prog.marketplaces and case.marketplace not in unread.get("overlay", ()):
            problems.append(
                Problem.at(
                    doc.pos(path + ("marketplace",)),
                    "T002",
                    f"`{prog.id}` is not offered in marketplace `{case.marketplace}`",
                    f"use one of: {hints.listed(prog.marketplaces)}",
                )
            )
        decision = prog.decisions.get(case.decision)
        if decision is not None:
            problems += _case_names(doc, path, case, decision, hints, known_names)
            problems += _case_inputs(doc, path, case, decision, checkers)
            problems += declared.read(doc, i, prog, decision, hints)[1]
    return problems


def _case_inputs(
    doc: Document, path: Path, case: TestCase, decision: Decision, checkers: dict[str, Any]
) -> list[Problem]:
    """D004 for a case's input its decision refuses (a value of the wrong type or out of range, a
    required input left out), checked as `policyctl test` and `decide` check it (the decision's
    own input check, engine.decisions.inputs) and said at the input's own line:col, so that
    `validate` (a pre-commit hook) finds it too. A name the decision does not have is T002
    (``_case_names``); a decision whose `inputs` are no valid schema is P009."""
    if not isinstance(case.input, dict):
        return []
    checker = checkers.get(decision.id)
    if checker is None:
        from engine.decisions.inputs import InputChecker

        checker = checkers[decision.id] = InputChecker(decision.inputs, decision.required)
    messages = checker.check({k: v for k, v in case.input.items() if k in decision.inputs})
    if checker.broken:
        return []
    return input_problems(doc, path + ("input",), case.input, messages, decision)


def input_problems(doc: Document, path: Path, given: Any, messages: list[str], decision: Decision) -> list[Problem]:
    """D004 for each of ``messages`` (engine.decisions.inputs' words, a JSON pointer first:
    `/units: expected integer, got string "fifty"`) about the case input ``given``, written at
    ``path`` of ``doc``: at the value the pointer names, else at the nearest of its parents written
    (`input:` itself for a required input left out)."""
    from engine.decisions.refusals import hint_of  # (only for refused inputs)

    found = []
    for message in messages:
        steps = _steps(given, message.split(": ", 1)[0])
        pos = doc.pos(path + steps)
        hint = hint_of(message, f"see the `inputs` of `{decision.id}` in {decision.pos.file}")
        value = _at(given, steps)
        wanted = _NUMBER_WANTED.search(message)
        if steps and isinstance(value, str) and wanted:  # (`units: fifty`, `"12"`, `30 days`)
            hint = schema.number_hint(doc, pos, value, wanted.group(1))
        found.append(Problem.at(pos, "D004", str(message), hint))
    return found


_NUMBER_WANTED = re.compile(r": expected (integer|number), got string ")


def _at(given: Any, steps: Path) -> Any:
    for step in steps:
        given = given[step]
    return given


def _steps(given: Any, pointer: str) -> Path:
    """The keys and indexes of the JSON pointer ``pointer`` that lead into ``given``."""
    steps: list[Any] = []
    node = given
    for raw in pointer.split("/")[1:] if pointer.startswith("/") else ():
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and key in node:
            step: Any = key
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            step = int(key)
        else:
            break
        steps.append(step)
        node = node[step]
    return tuple(steps)


def _case_names(
    doc: Document,
    path: Path,
    case: TestCase,
    decision: Decision,
    hints: Suggester,
    known_names: dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]],
) -> list[Problem]:
    """T002 for a name in a case that its decision does not have: an input, an expected output, a
    matched row. A case cannot expect problems, so `policyctl test` would fail it; said here, so
    that `validate` (a pre-commit hook) finds it too. ``known_names``: each decision's names, made
    once per file (its thousands of cases each made sets of the decision's thousands of rows)."""
    names = known_names.get(decision.id)
    if names is None:
        names = known_names[decision.id] = _names_of(decision)
    inputs, outputs, rows = names
    found = []
    groups = (("input", case.input, inputs, "input"), ("expect", case.expect, outputs, "output"))
    for key, given, known, what in groups:
        for name in given if isinstance(given, dict) else ():
            if name not in known:
                close = hints.closest(str(name), known)
                found.append(
                    Problem.at(
                        doc.key_pos(path + (key, name)),
                        "T002",
                        f"`{decision.id}` has no {what} `{name}`",
                        f"did you mean `{close[0]}`?" if close else f"its {what}s: {hints.listed(known)}",
                    )
                )
    matches = case.expect.get("matches") if isinstance(case.expect, dict) else None
    for i, row in enumerate(matches if isinstance(matches, list) else ()):
        if row not in rows:
            close = hints.closest(str(row), rows)
            found.append(
                Problem.at(
                    doc.pos(path + ("expect", "matches", i)),
                    "T002",
                    f"`{decision.id}` has no row `{row}`",
                    f"did you mean `{close[0]}`?" if close else f"its rows: {hints.listed(rows) or 'none'}",
                )
            )
    return found


def _names_of(decision: Decision) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """A decision's inputs, the outputs it may give (declared, or given by a row or the default:
    `outputs:` may declare some, and `matches`) and its rows' ids."""
    return (
        frozenset(decision.inputs),
        decision.output_names | {"matches"},
        frozenset(rule.id for rule in decision.rules),
    )


# Keywords of JSON Schema 2020-12 (core, applicator, validation, format, content, meta-data).
# JSON Schema ignores any other key, so a typo (`minimun`) or a stray key from an unquoted comma
# in a flow mapping would silently check nothing: authors' schemas must use only these.
SCHEMA_KEYWORDS = frozenset(
    """
$schema $id $ref $anchor $dynamicRef $dynamicAnchor $vocabulary $comment $defs
allOf anyOf oneOf not if then else dependentSchemas prefixItems items contains properties
patternProperties additionalProperties propertyNames unevaluatedItems unevaluatedProperties
type const enum multipleOf maximum exclusiveMaximum minimum exclusiveMinimum maxLength minLength
pattern maxItems minItems uniqueItems maxContains minContains maxProperties minProperties required
dependentRequired format contentEncoding contentMediaType contentSchema title description default
deprecated readOnly writeOnly examples
""".split()
)


def unknown_keywords(doc: Document, path: Path, node: Any) -> list[Problem]:
    """P009 for every key of an author's JSON Schema that JSON Schema would silently ignore."""
    import difflib

    if not isinstance(node, dict):
        return []
    problems = []
    for key, value in node.items():
        if key not in SCHEMA_KEYWORDS:
            close = difflib.get_close_matches(key, SCHEMA_KEYWORDS, n=1)
            hint = (
                f"did you mean `{close[0]}`?"
                if close
                else (
                    "a `, ` inside an unquoted flow value ends it: quote the text"
                    if " " in key
                    else "JSON Schema ignores unknown keys, so this would check nothing"
                )
            )
            problems.append(
                Problem.at(doc.key_pos(path + (key,)), "P009", f"`{key}` is not a JSON Schema keyword", hint)
            )
        elif key == "format" and isinstance(value, str) and value not in FORMAT_CHECKS and value not in NUMBER_FORMATS:
            problems.append(Problem.at(doc.pos(path + (key,)), "P009", *_unknown_format(value, node.get("type"))))
        elif key in SUBSCHEMA_MAPS and isinstance(value, dict):
            for name, sub in value.items():
                problems += unknown_keywords(doc, path + (key, name), sub)
        elif key in SUBSCHEMA_LISTS and isinstance(value, list):
            for i, sub in enumerate(value):
                problems += unknown_keywords(doc, path + (key, i), sub)
        elif key in SUBSCHEMA_ONE:
            problems += unknown_keywords(doc, path + (key,), value)
    return problems


NUMBER_FORMATS = SHOWN_FORMATS - {"date", "date-time"}
_NUMBERS = frozenset(("number", "integer"))


def _unknown_format(form: str, declared: Any) -> tuple[str, str]:
    """The message and hint of a `format` policyctl neither asserts (predicates.FORMAT_CHECKS: JSON
    Schema 2020-12's) nor shows numbers in: JSON Schema would let any value pass it (a checker
    asserts only the formats it knows), so the schema would check less than it says."""
    import difflib

    types = {declared} if isinstance(declared, str) else set(declared) if isinstance(declared, list) else None
    if types is not None and types <= _NUMBERS | {"null"}:  # (as format_problems says of a schema of numbers)
        return _not_a_number_format(form)
    close = difflib.get_close_matches(form, sorted(FORMAT_CHECKS) + sorted(NUMBER_FORMATS), n=1)
    return (
        f"`{form}` is not a format policyctl checks, so a value would pass it unchecked",
        f"did you mean `{close[0]}`?"
        if close
        else "the formats of text are JSON Schema's (`date`, `date-time`, `email`, `uri`, `uuid`, ...: the "
        "authors' guide lists them, `policyctl guide`); for a form of your own, write a `pattern`",
    )


def format_problems(doc: Document, path: Path, node: Any) -> list[Problem]:
    """P009 for a parameter schema's `format` that pages would not show its values in: on a schema
    of numbers, a format other than policyctl's (JSON Schema has none for numbers, so `mony` would
    check nothing and show "5.49" where "$5.49" was meant); policyctl's on a schema of no numbers.
    The format's position is asked for only with a problem: it is not among a document's near
    positions (engine.cache.documents), and asking for it on a clean file would parse the whole
    file's positions again and keep them (~55 MB more at 20,001 files)."""
    form = node.get("format") if isinstance(node, dict) else None
    if not isinstance(form, str):
        return []
    declared = node.get("type")
    types = {declared} if isinstance(declared, str) else set(declared) if isinstance(declared, list) else None
    if types is None:  # (any type: a format names what the values are, whatever the schema allows)
        return []
    if form in NUMBER_FORMATS and not types & _NUMBERS:
        shown = ", ".join(f"`{t}`" for t in sorted(types, key=str))
        return [
            Problem.at(
                doc.pos(path + ("format",)),
                "P009",
                f"the format `{form}` shows numbers, but the schema allows {shown}",
                "give it `type: number` (or `integer`), or leave the format out",
            )
        ]
    if form in FORMAT_CHECKS and types <= _NUMBERS | {"null"}:  # (an unknown one: unknown_keywords)
        return [Problem.at(doc.pos(path + ("format",)), "P009", *_not_a_number_format(form))]
    return []


def _not_a_number_format(form: str) -> tuple[str, str]:
    """The message and hint of ``form`` on a schema of numbers, whose formats are policyctl's own."""
    import difflib

    close = difflib.get_close_matches(form, sorted(NUMBER_FORMATS), n=1)
    return (
        f"`{form}` is not a format of numbers policyctl knows",
        f"did you mean `{close[0]}`?"
        if close
        else "pages show a number as `money`, `percent` or `duration-day` (`duration-hour`, ...); "
        "leave the format out for a plain number",
    )
