"""Every performance measurement of issue 7 in one run, peers measured in the same run.

    python benchmarks/run.py            # the full run (about 10 minutes on 2 cores)
    python benchmarks/run.py --quick    # a smoke run on a tiny repository (well under a minute)
    python benchmarks/run.py --json results.json

Prints one table: what was measured, our median, the peer's or floor's median, the ratio, the
target and whether it is met (or by how much it is missed). Whole-process timings run pinned to
one core (`taskset -c 0`, when available) with bytecode caches in a temporary folder, as after
`pip install`; a peer that is not installed makes a full run fail (a quick run skips it with a note).
Install the peers with `pip install -e '.[bench]'`.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

import generate  # noqa: E402

PY = sys.executable
CLI = os.path.join(ROOT, "cli.py")
NOT_INSTALLED = "not installed"
FRESH = "<a new empty folder per run>"  # POLICYCTL_CACHE for runs that must start with an empty cache
MISSING: list[str] = []  # peers not installed (an error at the end of a full run)


def missing(b: Bench, name: str) -> str:
    """A peer that is not installed: recorded, and (but for --quick) the run fails at its end."""
    MISSING.append(name)
    return NOT_INSTALLED + ("" if b.quick else " (ERROR)")


def which(name: str) -> str | None:
    """A peer's command: in the running interpreter's environment first (a venv that is not
    activated has its scripts beside its python), then on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), name)
    return here if os.access(here, os.X_OK) else shutil.which(name)


# --- measuring ------------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float  # median wall time
    max_rss_kb: int = 0
    cpu: float = 0.0  # median user + system CPU seconds (the child and the workers it waited for)
    output: str = ""
    code: int = 0


class Bench:
    def __init__(self, quick: bool, work: str, pin: bool = True) -> None:
        self.quick = quick
        self.work = work
        self.env = dict(os.environ)
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)
        # quick: the bytecode Python keeps beside the sources. A new prefix makes the first child to
        # import each module (the standard library's too) compile it: ~2 CPU-s of a quick run, which
        # has no warm-up runs and whose numbers are not read
        if not quick:
            self.env["PYTHONPYCACHEPREFIX"] = os.path.join(work, "pycache")
        self.env["POLICYCTL_CACHE"] = os.path.join(work, "cache")  # filled by each warm-up run
        # one core for the timed processes; not in a quick run, whose numbers are not read (pinned to
        # a core the test suite's other processes also use, it waited for them)
        self.pin = ["taskset", "-c", "0"] if pin and not quick and shutil.which("taskset") else []
        self.rows: list[Row] = []
        self.made: dict[tuple[str, ...], Run] = {}  # quick: the runs of commands marked `same`

    def process(
        self,
        cmd: list[str],
        runs: int,
        pin: bool = True,
        stdin: str | None = None,
        timeout: float = 900,
        env: dict[str, str] | None = None,
        same: bool = False,
        cwd: str = ROOT,
    ) -> Run:
        """Median wall time of a whole process (after one warm-up run), and its peak memory. A quick
        run runs each process once, without the warm-up (its numbers are not read). ``same``: what
        the command prints does not depend on what ran before it (no file edited between two calls),
        so a quick run answers a second call with the first one's run instead of starting it again.
        ``cwd``: the folder it runs in (the clone's top, unless a command finds its repository there)."""
        if self.quick:
            runs = 0
            if same and env is None and stdin is None and cwd == ROOT and tuple(cmd) in self.made:
                return self.made[tuple(cmd)]
        times, cpus, rss, last = [], [], 0, ("", 0)
        full = (self.pin if pin else []) + cmd
        for i in range(runs + 1):
            if env and env.get("POLICYCTL_CACHE") == FRESH:  # an empty cache folder for every run
                run_env = {**self.env, **env, "POLICYCTL_CACHE": tempfile.mkdtemp(dir=self.work, prefix="cache-")}
            else:
                run_env = {**self.env, **(env or {})}
            with open(stdin, "rb") if stdin else open(os.devnull, "rb") as src, tempfile.TemporaryFile() as out:
                start = time.perf_counter()
                proc = subprocess.Popen(full, stdin=src, stdout=out, stderr=subprocess.STDOUT, env=run_env, cwd=cwd)
                status, usage = _wait(proc, start + timeout)
                elapsed = time.perf_counter() - start
                if status is None:
                    raise TimeoutError(" ".join(cmd))
                proc.returncode = os.waitstatus_to_exitcode(status)
                out.seek(0)
                text = out.read().decode("utf-8", "replace")
            if i or runs == 0:  # the first run warms the bytecode and file caches (runs=0: one cold run)
                times.append(elapsed)
                cpus.append(usage.ru_utime + usage.ru_stime)
            if runs == 0:
                rss, last = usage.ru_maxrss, (text, proc.returncode)
                break
            rss = max(rss, usage.ru_maxrss)
            last = (text, proc.returncode)
        run = Run(statistics.median(times), rss, output=last[0], code=last[1], cpu=statistics.median(cpus))
        if self.quick and same and env is None and stdin is None and cwd == ROOT:
            self.made[tuple(cmd)] = run
        return run

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.rows.append(Row(*args, **kwargs))
        print(self.rows[-1].line(), flush=True)


def _wait(proc: subprocess.Popen[bytes], deadline: float) -> tuple[int | None, Any]:
    """Wait for the child, with its own resource usage (peak memory); kill it at the deadline."""
    pause = 0.001
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return status, usage
        if time.perf_counter() > deadline:
            proc.kill()
            os.wait4(proc.pid, 0)
            return None, None
        time.sleep(pause)
        pause = min(pause * 2, 0.02)


def per_call(fn: Callable[[], Any], quick: bool, batch: float | None = None) -> float:
    """Median seconds per call over several batches (timeit-style, batch size found first): seven
    batches of at least 50 ms, or (``quick``) one batch of at least ``batch`` seconds."""
    # quick: half a millisecond and one sample, enough to prove the row runs (its number is not read)
    least = batch if batch is not None else 0.0005 if quick else 0.05
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        if time.perf_counter() - start > least or number > 10**7:
            break
        number *= 4
    samples = []
    for _ in range(1 if quick else 7):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return statistics.median(samples)


@dataclass
class Row:
    section: str
    work: str
    ours: float | str | None
    peer: str = ""
    peer_value: float | str | None = None
    unit: str = "s"
    target: str = ""
    verdict: str = ""
    note: str = ""

    def line(self) -> str:
        return (
            f"  {self.section:<10} {self.work:<52} {fmt(self.ours, self.unit):>11}  {self.peer:<30} "
            f"{fmt(self.peer_value, self.unit):>11}  {self.target:<18} {self.verdict}"
        )


def fmt(value: float | str | None, unit: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if unit == "s":
        return f"{value * 1e3:.1f} ms" if value < 10 else f"{value:.1f} s"
    if unit == "us":
        return f"{value * 1e6:.2f} µs"
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:.3g} {unit}"


def ratio(a: float | str | None, b: float | str | None) -> float | None:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
        return a / b
    return None


def verdict_at_most(r: float | None, limit: float) -> str:
    if r is None:
        return "n/a"
    return f"met ({r:.2f}x)" if r <= limit else f"MISSED by {(r / limit - 1) * 100:.0f}% ({r:.2f}x)"


def verdict_at_least(r: float | None, limit: float) -> str:
    if r is None:
        return "n/a"
    return f"met ({r:.1f}x)" if r >= limit else f"MISSED by {(1 - r / limit) * 100:.0f}% ({r:.1f}x)"


def installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


# --- 1. start-up and validate ---------------------------------------------------------------------


def startup_and_validate(b: Bench, syn: str) -> None:
    runs = 1 if b.quick else 15  # quick: each row runs (after its warm-up), its number is not read
    floor = b.process([PY, "-c", "pass"], runs)
    imports = b.process([PY, "-c", "import yaml, jsonschema, jinja2, click"], runs, same=True)
    b.add("start-up", "python -c pass (floor)", floor.seconds)
    b.add("start-up", "import yaml, jsonschema, jinja2, click (floor)", imports.seconds)
    starter_rows(b, floor)
    real = os.path.join(ROOT, "policies")
    if os.path.isdir(real):
        files = checked(b, real)
        for label, env in ((", warm cache", None), (", cold: empty cache", {"POLICYCTL_CACHE": FRESH})):
            # quick: the warm row is checked()'s run (the cold row's own empty cache is never reused)
            ours = b.process([PY, CLI, "validate", real], runs, env=env, same=True)
            r = ratio(ours.seconds, imports.seconds)
            b.add(
                "validate",
                f"policyctl validate policies/ ({files} files{label})",
                ours.seconds,
                "the import floor",
                imports.seconds,
                target="<= 1.2x floor",
                verdict=verdict_at_most(r, 1.2),
                note=ours.output.strip().splitlines()[-1]
                if ours.output.strip() and "warm" in label
                else "without a cache every template and expression is parsed with Jinja2's parser (the floor imports"
                " Jinja2 but parses nothing): see benchmarks/README.md, Targets"
                if r and r > 1.2
                else "",
            )
    files = count_yaml(syn)
    peer = check_jsonschema(b, syn)
    one = one_process_peer(b, syn)
    for label, env in (("", None), (", cold: empty cache", {"POLICYCTL_CACHE": FRESH})):
        ours = b.process([PY, CLI, "validate", syn], 1 if b.quick else 5, env=env)
        r = ratio(peer, ours.seconds)
        b.add(
            "validate",
            f"policyctl validate, synthetic ({files} files{label})",
            ours.seconds,
            "check-jsonschema, same files",
            peer,
            target=">= 10x faster",
            verdict=verdict_at_least(r, 10),
            note=""
            if label
            else "ours also checks YAML 1.2 strictness, duplicate keys, ids vs paths, parameter"
            " values against their schemas, tiers, dates, locales, time zones, expressions",
        )
        b.add(
            "validate",
            "",
            None,
            "libyaml + jsonschema, one process",
            one,
            target="(no target)",
            verdict=f"{one / ours.seconds:.1f}x ours" if isinstance(one, float) else "",
            note=""
            if label
            else "a script loading every file with CSafeLoader and checking it with one "
            "jsonschema validator per kind: the floor of schema-only checking in Python",
        )
        if not label:
            b.add(
                "validate",
                "  per file",
                ours.seconds / files,
                "check-jsonschema",
                peer / files if isinstance(peer, float) else peer,
            )


def starter_rows(b: Bench, floor: Run) -> None:
    """`validate` and `decide` on the repository `policyctl init` makes (a small one: what a
    pre-commit hook, CI or a script pays on every call is mostly fixed cost), beside the process
    floor (`python -c pass`) measured in the same run: CPU seconds (user + system, which other
    processes on the machine disturb less than wall time) and the ratio to the floor's."""
    runs = 1 if b.quick else 15
    top = os.path.join(b.work, "starter")
    if not os.path.isdir(top):
        made = b.process([PY, CLI, "init", top], 0)
        if made.code != 0:
            b.add("starter", "policyctl init", f"failed: {made.output.strip()[-200:]}")
            return
    request = os.path.join(b.work, "starter-input.json")
    with open(request, "w", encoding="utf-8") as f:
        f.write('{"days_since_delivery": 3}\n')
    files = checked(b, top)
    decide = [PY, CLI, "decide", "returns.return_allowed", "-m", "us", "--root", top, "--input", request]
    b.add("starter", "python -c pass (floor), CPU", floor.cpu)
    for label, cmd, env in (
        (f"validate ({files} files, warm cache), CPU", [PY, CLI, "validate", top], None),
        (f"validate ({files} files, cold: empty cache), CPU", [PY, CLI, "validate", top], {"POLICYCTL_CACHE": FRESH}),
        ("validate (cache off), CPU", [PY, CLI, "validate", top], {"POLICYCTL_CACHE": "off"}),
        ("decide one input (warm cache), CPU", decide, None),
    ):
        ours = b.process(cmd, runs, env=env)
        r = ratio(ours.cpu, floor.cpu)
        b.add(
            "starter",
            f"policyctl {label}",
            ours.cpu if ours.code == 0 else f"failed: {ours.output.strip()[-200:]}",
            "python -c pass (floor)",
            floor.cpu,
            target="(no target)",
            verdict="n/a" if r is None else f"{r:.2f}x floor",
        )


ONE_PROCESS = """
import os, sys, json, yaml, jsonschema
from engine.source import layout
root, schemas = sys.argv[1], sys.argv[2]
store, validators, bad = {}, {}, 0
for name in os.listdir(schemas):
    with open(os.path.join(schemas, name), encoding="utf-8") as f:
        schema = json.load(f)
    store[schema.get("$id", name)] = schema
from referencing import Registry, Resource
registry = Registry().with_resources([(k, Resource.from_contents(v)) for k, v in store.items()])
for path in layout.yaml_files(root):
    kind = layout.classify(root, path).kind
    if not kind:
        continue
    if kind not in validators:
        with open(os.path.join(schemas, kind + ".schema.json"), encoding="utf-8") as f:
            schema = json.load(f)
        validators[kind] = jsonschema.validators.validator_for(schema)(schema, registry=registry)
    with open(path, "rb") as f:
        data = yaml.load(f, Loader=yaml.CSafeLoader)
    bad += not validators[kind].is_valid(data)
print(bad, "invalid")
"""


def one_process_peer(b: Bench, syn: str) -> float | str:
    """libyaml (CSafeLoader) + jsonschema in one process over the same files: what a
    schema-only check costs without check-jsonschema's one process per kind."""
    script = os.path.join(b.work, "one_process.py")
    with open(script, "w", encoding="utf-8") as f:
        f.write(ONE_PROCESS)
    run = b.process([PY, script, syn, os.path.join(ROOT, "schemas")], 1 if b.quick else 3, env={"PYTHONPATH": ROOT})
    return run.seconds if run.code == 0 and run.output.startswith("0 invalid") else f"failed: {run.output[-40:]}"


def checked(b: Bench, root: str) -> int:
    """How many files `policyctl validate` checks there (YAML, and whatever else it reads)."""
    m = re.search(r"(\d+) files? checked", b.process([PY, CLI, "validate", root], 0, same=True).output)
    return int(m.group(1)) if m else count_yaml(root)


def count_yaml(root: str) -> int:
    from engine.source.layout import yaml_files

    return len(yaml_files(root))


def check_jsonschema(b: Bench, syn: str) -> float | str:
    """check-jsonschema, one process per file kind (it takes one schema per run), times summed."""
    exe = which("check-jsonschema")
    if exe is None:
        return missing(b, "check-jsonschema")
    from engine.source import layout

    by_kind: dict[str, list[str]] = {}
    for path in layout.yaml_files(syn):
        kind = layout.classify(syn, path).kind
        if kind:
            by_kind.setdefault(kind, []).append(path)
    kinds = sorted(by_kind.items())
    if b.quick:  # the kind with the fewest files: one process proves the loop (the sum is not read)
        kinds = [min(kinds, key=lambda kind: len(kind[1]))]
    total = 0.0
    for kind, paths in kinds:
        schema = os.path.join(ROOT, "schemas", f"{kind}.schema.json")
        run = b.process([exe, "--schemafile", schema, *paths], 0 if b.quick else 1)
        if run.code != 0:
            return f"failed ({kind})"
        total += run.seconds
    return total


# --- 2. loading and schema checks of one document, in-process --------------------------------------


def one_document(b: Bench, syn: str) -> None:
    import yaml

    from engine.schema import check as schema
    from engine.schema import fastcheck
    from engine.source import loader

    path = os.path.join(syn, "prog_0000", "marketplaces", "us.yaml")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    size = len(text.encode())
    ours = per_call(lambda: loader.load_text(text, path), b.quick)
    safe = per_call(lambda: yaml.load(text, Loader=yaml.SafeLoader), b.quick)
    csafe = per_call(lambda: yaml.load(text, Loader=yaml.CSafeLoader), b.quick)
    b.add("yaml", f"load a {size / 1024:.1f} KB overlay with positions", ours, "PyYAML SafeLoader", safe, "us")
    b.add(
        "yaml",
        "",
        None,
        "PyYAML CSafeLoader",
        csafe,
        "us",
        target="(no target)",
        verdict=f"{ours / csafe:.1f}x CSafeLoader",
        note="we also record every node's and key's position, check duplicates, limits, YAML 1.2 scalars",
    )
    data = loader.load_text(text, path).data
    ours = per_call(lambda: fastcheck.is_valid("overlay", data), b.quick)
    validator = schema.validator("overlay")
    slow = per_call(lambda: validator.is_valid(data), b.quick)
    b.add(
        "schema",
        f"check the {size / 1024:.1f} KB overlay (valid)",
        ours,
        "jsonschema",
        slow,
        "us",
        verdict=f"{slow / ours:.0f}x faster than jsonschema",
    )
    fast = fastjsonschema_validator("overlay")
    if fast is None:
        b.add("schema", "", None, "fastjsonschema", missing(b, "fastjsonschema"), "us")
    else:
        peer = per_call(lambda: fast(data), b.quick)
        b.add("schema", "", None, "fastjsonschema", peer, "us", verdict=f"{peer / ours:.1f}x ours")
    if installed("jsonschema_rs"):
        import jsonschema_rs

        rs = jsonschema_rs.validator_for(bundled("overlay"))
        assert rs.is_valid(data)
        peer = per_call(lambda: rs.is_valid(data), b.quick)
        b.add("schema", "", None, "jsonschema-rs", peer, "us", verdict=f"{peer / ours:.1f}x ours")
    else:
        b.add("schema", "", None, "jsonschema-rs", missing(b, "jsonschema-rs"), "us")


def bundled(kind: str) -> dict[str, Any]:
    """The kind's schema with common.schema.json inlined, in draft-07 terms (for the peers)."""

    def load(name: str) -> Any:
        with open(os.path.join(ROOT, "schemas", name), encoding="utf-8") as f:
            return json.load(f)

    def rewrite(node: Any, local: str) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k == "$ref" and isinstance(v, str):
                    v = v.replace("common.schema.json#/$defs/", "#/definitions/common__").replace("#/$defs/", local)
                    out[k] = v
                else:
                    out[k] = rewrite(v, local)
            return out
        return [rewrite(x, local) for x in node] if isinstance(node, list) else node

    main: dict[str, Any] = rewrite(load(f"{kind}.schema.json"), "#/definitions/")
    main["definitions"] = main.pop("$defs", {})
    for name, sub in load("common.schema.json")["$defs"].items():
        main["definitions"]["common__" + name] = rewrite(sub, "#/definitions/common__")
    main.pop("$id", None)
    main["$schema"] = "http://json-schema.org/draft-07/schema#"
    return main


def fastjsonschema_validator(kind: str) -> Callable[[Any], Any] | None:
    if not installed("fastjsonschema"):
        return None
    import datetime as dt

    import fastjsonschema

    def is_date(s: str) -> bool:
        try:
            dt.date.fromisoformat(s)
            return True
        except ValueError:
            return False

    validate = fastjsonschema.compile(bundled(kind), formats={"date": is_date}, use_default=False)

    def check(data: Any) -> bool:
        try:
            validate(data)
            return True
        except fastjsonschema.JsonSchemaException:
            return False

    return check


# --- 3. decisions in-process -------------------------------------------------------------------------


def _raised(by: float, m: re.Match[str]) -> str:
    """The default fee's line with its value raised ``by`` (one parameter edited)."""
    return m.group(1) + f"{float(m.group(2)) + by:.2f}"


def decisions(b: Bench, syn: str) -> None:
    import engine

    at = "2024-06-01"
    repo = engine.load(syn)
    prog = "prog_0000"
    params = repo.params(prog, "us", at)
    four_condition_rule(b, repo, prog, params, at)
    tier_table(b, repo, prog, params, at)
    csba_coverage(b, at)
    csba_every_path(b, at)


def four_condition_rule(b: Bench, repo: Any, prog: str, params: dict[str, Any], at: str) -> None:
    compiled = repo.compiled(prog, "coverage")
    kind = next(t for t in generate.INQUIRY_TYPES if t not in params["excluded_inquiry_types"])
    inputs = {"inquiry_type": kind, "fulfilled_by": "seller", "enrolled": True, "days_since_order": 3}
    assert compiled.evaluate(inputs, params, at).outputs["covered"] is True

    def by_hand(inp: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
        if (
            inp["enrolled"]
            and inp["fulfilled_by"] == "seller"
            and inp["inquiry_type"] not in p["excluded_inquiry_types"]
            and inp["days_since_order"] <= p["max_days_after_order"]
        ):
            return {"covered": True, "handled_by": "marketplace"}
        if inp["inquiry_type"] in p["excluded_inquiry_types"]:
            return {"covered": False, "handled_by": "seller"}
        return {"covered": False, "handled_by": "seller"}

    ours = per_call(lambda: compiled.evaluate(inputs, params, at), b.quick)
    hand = per_call(lambda: by_hand(inputs, params), b.quick)
    b.add(
        "decide",
        "4-condition rule (synthetic coverage), compiled",
        ours,
        "hand-written Python",
        hand,
        "us",
        target="<= 4x hand-written",
        verdict=verdict_at_most(ratio(ours, hand), 4),
    )
    context = {**inputs, "excluded": params["excluded_inquiry_types"], "max_days": params["max_days_after_order"]}
    if installed("zen"):
        import zen

        expr = zen.compile_expression(
            'enrolled == true and fulfilled_by == "seller" and not (inquiry_type in '
            "excluded) and days_since_order <= max_days"
        )
        assert expr.evaluate(context) is True
        peer = per_call(lambda: expr.evaluate(context), b.quick)
        b.add(
            "decide",
            "",
            None,
            "zen-engine compiled expression",
            peer,
            "us",
            target="faster than zen",
            verdict=f"met ({peer / ours:.1f}x faster)" if ours < peer else f"MISSED ({ours / peer:.1f}x slower)",
        )
    else:
        b.add("decide", "", None, "zen-engine compiled expression", missing(b, "zen-engine"), "us")
    import jinja2

    jexpr = jinja2.Environment().compile_expression(
        "enrolled and fulfilled_by == 'seller' and inquiry_type not in excluded and days_since_order <= max_days"
    )
    b.add("decide", "", None, "Jinja2 compile_expression", per_call(lambda: jexpr(**context), b.quick), "us")
    validated = per_call(lambda: compiled.decide(inputs, params, at), b.quick)
    b.add(
        "decide",
        "  the same with input validation",
        validated,
        "",
        None,
        "us",
        target="<= 10 µs",
        verdict="met" if validated <= 10e-6 else f"MISSED by {(validated / 10e-6 - 1) * 100:.0f}%",
    )
    full = per_call(lambda: repo.decide(prog, "coverage", inputs, "us", at), b.quick)
    b.add("decide", "  repo.decide() (params cached, validated)", full, "", None, "us")


def tier_table(b: Bench, repo: Any, prog: str, params: dict[str, Any], at: str) -> None:
    compiled = repo.compiled(prog, "fee")
    inputs = {"units": 1000, "contacts": 120}  # CPU 12: band 6, the seventh row
    result = compiled.evaluate(inputs, params, at)
    assert result.outputs["tier"] == 6, result

    def by_hand(inp: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
        units = inp["units"]
        if units <= p["min_units_for_cpu"]:
            return {"fee_per_unit": p["default_fee"], "basis": "default"}
        cpu = inp["contacts"] / units * 100
        for band in p["fee_tiers"]:
            if band["up_to"] is None or cpu <= band["up_to"]:
                return {"tier": band["tier"], "fee_per_unit": band["fee"], "basis": "tier"}
        return {"basis": "none"}

    assert by_hand(inputs, params)["fee_per_unit"] == result.outputs["fee_per_unit"]
    ours = per_call(lambda: compiled.evaluate(inputs, params, at), b.quick)
    hand = per_call(lambda: by_hand(inputs, params), b.quick)
    b.add(
        "decide",
        "10-band first-hit fee table (11 rows), compiled",
        ours,
        "Python loop",
        hand,
        "us",
        target="<= 3x Python loop",
        verdict=verdict_at_most(ratio(ours, hand), 3),
    )
    cpu = {"cpu": 12.0}
    bounds = generate.BOUNDS
    if installed("zen"):
        import zen

        nested = "".join(f"cpu <= {x} ? {i + 1} : " for i, x in enumerate(bounds)) + "10"
        expr = zen.compile_expression(nested)
        assert expr.evaluate(cpu) == 6
        b.add("decide", "", None, "zen-engine, one expression", per_call(lambda: expr.evaluate(cpu), b.quick), "us")
        table = zen_table(bounds)
        assert table.evaluate(cpu)["result"]["tier"] == 6
        b.add("decide", "", None, "zen-engine decision table", per_call(lambda: table.evaluate(cpu), b.quick), "us")
    else:
        b.add("decide", "", None, "zen-engine", missing(b, "zen-engine"), "us")
    import jinja2

    env = jinja2.Environment()
    rows = [env.compile_expression(f"cpu <= {x}") for x in bounds]

    def jinja_rows() -> int:
        for i, row in enumerate(rows):
            if row(cpu=12.0):
                return i + 1
        return 10

    assert jinja_rows() == 6
    b.add("decide", "", None, "Jinja2, one expression per row", per_call(jinja_rows, b.quick), "us")
    validated = per_call(lambda: compiled.decide(inputs, params, at), b.quick)
    b.add(
        "decide",
        "  the same with input validation",
        validated,
        "",
        None,
        "us",
        target="<= 10 µs",
        verdict="met" if validated <= 10e-6 else f"MISSED by {(validated / 10e-6 - 1) * 100:.0f}%",
    )


def zen_table(bounds: list[float]) -> Any:
    import zen

    rules = []
    for i in range(len(bounds) + 1):
        low, high = (bounds[i - 1] if i else None), (bounds[i] if i < len(bounds) else None)
        cond = f"<= {high}" if low is None else f"> {low}" if high is None else f"> {low} and <= {high}"
        rules.append({"_id": f"r{i}", "i1": cond, "o1": str(i + 1)})
    content = {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
            {
                "id": "dt",
                "type": "decisionTableNode",
                "name": "fee",
                "position": {"x": 0, "y": 0},
                "content": {
                    "hitPolicy": "first",
                    "inputs": [{"id": "i1", "name": "cpu", "field": "cpu"}],
                    "outputs": [{"id": "o1", "name": "tier", "field": "tier"}],
                    "rules": rules,
                },
            },
            {"id": "out", "type": "outputNode", "name": "Response", "position": {"x": 0, "y": 0}},
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "dt", "type": "edge"},
            {"id": "e2", "sourceId": "dt", "targetId": "out", "type": "edge"},
        ],
    }
    return zen.ZenEngine().create_decision(json.dumps(content))


CSBA_COVERED = {
    "inquiry_type": "delivery",
    "order_stage": "post_order",
    "fulfillment": "seller",
    "order_placed_at": "2024-03-01T10:00:00Z",
    "enrollments": [{"from": "2023-01-01T00:00:00Z"}],
}


def csba_coverage(b: Bench, at: str) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    import engine

    real = os.path.join(ROOT, "policies")
    try:
        repo = engine.load(real)
        compiled = repo.compiled("csba", "coverage")
    except Exception as e:
        b.add("decide", "CSBA coverage", f"unavailable: {e}"[:40])
        return
    params = repo.params("csba", "us", at)
    zone = ZoneInfo(repo.marketplaces["us"].time_zone)
    seller = {"handler": "seller", "channel": "buyer_seller_messaging"}
    # as one would write it by hand: Python 3.10's fromisoformat does not read `Z`
    instant = (
        dt.datetime.fromisoformat
        if sys.version_info >= (3, 11)
        else (lambda s: dt.datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith("Z") else s))
    )

    def by_hand(inp: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
        periods = inp.get("enrollments") or []
        if (
            inp["fulfillment"] not in p["covered_fulfillment"]
            or inp["order_stage"] != p["covered_order_stage"]
            or inp["inquiry_type"] in p["excluded_inquiry_types"]
            or not periods
        ):
            return seller
        joined = instant(periods[0]["from"])
        if at < joined.astimezone(zone).date().isoformat():
            return {"handler": "refused"}
        if inp.get("order_placed_at") is None:
            return {"handler": "undetermined"}
        placed = instant(inp["order_placed_at"])
        if any(instant(e["from"]) <= placed and ("to" not in e or placed < instant(e["to"])) for e in periods) or (
            p["pre_enrollment_orders_covered"] and placed < joined
        ):
            return {"handler": "marketplace", "channel": "csba"}
        return seller

    result = compiled.evaluate(CSBA_COVERED, params, at)
    assert result.outputs == by_hand(CSBA_COVERED, params), result
    ours = per_call(lambda: compiled.evaluate(CSBA_COVERED, params, at), b.quick)
    hand = per_call(lambda: by_hand(CSBA_COVERED, params), b.quick)
    b.add(
        "decide",
        "CSBA coverage (8 rows, all tried), compiled",
        ours,
        "hand-written Python",
        hand,
        "us",
        target="<= 4x hand-written",
        verdict=verdict_at_most(ratio(ours, hand), 4),
    )
    validated = per_call(lambda: compiled.decide(CSBA_COVERED, params, at), b.quick)
    b.add(
        "decide",
        "  the same with input validation",
        validated,
        "",
        None,
        "us",
        target="<= 10 µs",
        verdict="met" if validated <= 10e-6 else f"MISSED by {(validated / 10e-6 - 1) * 100:.0f}%",
    )
    unvalidated = per_call(lambda: repo.decide("csba", "coverage", CSBA_COVERED, "us", at, validate=False), b.quick)
    b.add("decide", "  repo.decide(..., validate=False)", unvalidated, "", None, "us")


def csba_every_path(b: Bench, at: str) -> None:
    """Each row of csba.fee and csba.coverage on its own pool of distinct inputs, against the
    hand-written equivalent (benchmarks/csba_paths.py), timed interleaved; the cost of the timing
    harness itself (taking the next input, one call) is measured and taken off both sides."""
    import csba_paths as cp

    import engine
    from engine.model.clock import LINES_KEY, ZONE_KEY

    repo = engine.load(os.path.join(ROOT, "policies"))
    params = repo.params("csba", "us", at)
    # quick: a small pool per path (each input still checked against the hand-written answer); 2,000
    # per path took ~0.3 CPU-s to make and check, for numbers that are not read
    size = 20 if b.quick else cp.POOL
    for name, paths, by_hand in (
        ("fee", cp.fee_paths(at, size), cp.fee_by_hand(params, params[LINES_KEY], at)),
        ("coverage", cp.coverage_paths(at, size), cp.coverage_by_hand(params, params[ZONE_KEY], at)),
    ):
        compiled = repo.compiled("csba", name)
        for row, pool in paths.items():
            for case in pool:  # the same answers, on the path named
                result = compiled.evaluate(case, params, at)
                assert (result.outputs, result.matches) == (lambda a: (a[0], (a[1],)))(by_hand(case)), (
                    row,
                    case,
                    result,
                )

            def evaluate_case(case: dict[str, Any], compiled: Any = compiled) -> Any:  # (a lambda, typed)
                return compiled.evaluate(case, params, at)

            ours_fn = cp.cycling(evaluate_case, pool)
            hand_fn = cp.cycling(by_hand, pool)
            empty_fn = cp.cycling(lambda case: None, pool)
            ours, hand, empty = [], [], []
            step = None if b.quick else 0.002  # one batch of 2 ms per sample (quick: per_call's own)
            for _ in range(1 if b.quick else 7):  # interleaved: the machine's load falls on both sides (quick: once)
                ours.append(per_call(ours_fn, True, step))
                hand.append(per_call(hand_fn, True, step))
                empty.append(per_call(empty_fn, True, step))
            base = statistics.median(empty)
            o, h = statistics.median(ours) - base, statistics.median(hand) - base
            b.add(
                "decide",
                f"csba.{name}: {row}",
                o,
                "hand-written Python",
                h,
                "us",
                target="<= 3x hand-written",
                verdict=verdict_at_most(ratio(o, h), 3),
            )
    b.rows[-1].note = (
        f"{size:,} distinct inputs per path; hand-written returns a new outputs mapping and the"
        " id of the rule that answered (ours: a DecisionResult with outputs, rule ids and reasons);"
        f" {statistics.median(empty) * 1e6:.2f} µs of harness taken off both sides"
    )


# --- 4. batch decisions -------------------------------------------------------------------------------


def batch(b: Bench) -> None:
    """`policyctl decide --input` over JSON lines whose inputs are all distinct (every timestamp
    and count its own, so no memo of parsed texts answers twice), end to end, for csba.coverage
    and csba.fee; peak memory at a quarter of the lines and at all of them (it must stay flat)."""
    import csba_paths

    if not os.path.isdir(os.path.join(ROOT, "policies", "csba")):
        b.add("batch", "policyctl decide --input cases.jsonl", "no csba program")
        return
    n = 1_000 if b.quick else 200_000
    at = "2024-06-01"
    for name, target, paths in (
        ("coverage", 150_000, csba_paths.coverage_paths),
        ("fee", 100_000, csba_paths.fee_paths),
    ):
        size = -(-n // len(paths(at, 1)))
        pools = paths(at, size, seed=17)
        cases = [case for i in range(size) for case in (pool[i] for pool in pools.values())][:n]
        full, quarter = (os.path.join(b.work, f"{name}-{k}.jsonl") for k in ("all", "quarter"))
        for path, lines in ((full, cases), (quarter, cases[: n // 4])):
            with open(path, "w", encoding="utf-8") as f:
                f.writelines(json.dumps(case) + "\n" for case in lines)
        distinct = len({json.dumps(c, sort_keys=True) for c in cases})
        args = ["decide", f"csba.{name}", "-m", "us", "--at", at, "--input", full]
        if b.quick:  # one process for the rate and the peak at all the lines (neither number is read)
            run, large_kb = peak(b, args, "batch")
        else:
            run = b.process([PY, CLI, *args], 3)
        ok = run.output.count("\n") >= n and run.code in (0, 1)
        rate = n / run.seconds
        b.add(
            "batch",
            f"decide csba.{name}, {n:,} JSON lines ({distinct:,} distinct)",
            rate if ok else f"failed ({run.code})",
            "",
            None,
            "/s",
            target=f">= {target:,}/s",
            verdict=(f"met ({rate / target:.2f}x)" if rate >= target else f"MISSED by {(1 - rate / target) * 100:.0f}%")
            if ok
            else run.output[-60:],
        )
        _small, small_kb = peak(b, ["decide", f"csba.{name}", "-m", "us", "--at", at, "--input", quarter], "batch")
        if not b.quick:
            _large, large_kb = peak(b, args, "batch")
        b.add(
            "batch",
            f"  peak memory, {n // 4:,} -> {n:,} lines",
            f"{small_kb / 1024:.0f} -> {large_kb / 1024:.0f} MB",
            "",
            None,
            target="flat",
            verdict="met" if large_kb <= small_kb * 1.1 + 4096 else f"MISSED (+{(large_kb - small_kb) / 1024:.0f} MB)",
        )

    import engine
    from engine.decisions.batch import run_decide

    repo = engine.load(os.path.join(ROOT, "policies"))
    with open(os.path.join(b.work, "coverage-all.jsonl"), encoding="utf-8") as f:
        text = f.read()

    def in_process() -> None:
        run_decide(repo, "csba", "coverage", "us", at, io.StringIO(text), io.StringIO(), False)

    seconds = min(timed(in_process) for _ in range(1 if b.quick else 3))
    b.add("batch", "  coverage in-process (no start-up, no file I/O)", n / seconds, "", None, "/s")


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# --- 5. pages -----------------------------------------------------------------------------------------


def build(b: Bench, syn: str) -> None:
    out = os.path.join(b.work, "site")
    try:
        run = b.process([PY, CLI, "build", "--root", syn, "--out", out, "--at", "2024-06-01"], 0, pin=False)
    except TimeoutError:
        b.add("build", "policyctl build (synthetic)", "timed out")
        return
    pages = _pages(run.output)
    if run.code != 0 or pages is None:
        b.add("build", "policyctl build (synthetic)", f"failed ({run.code})", note=run.output[-300:])
        return
    b.add(
        "build",
        f"policyctl build, synthetic: {pages:,} pages (md + html)",
        pages / run.seconds,
        "",
        None,
        "/s",
        note=f"full build, {run.seconds:.1f} s on both cores (a process per core)",
    )
    incremental(b, syn, out, run.seconds)
    # mkdocs renders the whole navigation into every page (quadratic in pages): it is compared on a
    # repository small enough for it to finish, with our build of the same repository.
    if b.quick:  # the quick run's synthetic repository is already as small as a smoke run needs
        small = syn
    else:
        small = os.path.join(b.work, "synthetic-small")
        generate.generate(small, programs=5, marketplaces=20)
    small_out = os.path.join(b.work, "site-small")
    # On a day before the repository's first effective date: no past editions, so the ~600 pages of
    # the target (on 2024-06-01 past editions triple them, and mkdocs' navigation, quadratic in
    # pages, would then flatter the ratio).
    command = [PY, CLI, "build", "--root", small, "--out", small_out, "--at", "2022-12-31"]
    # serial against two workers, interleaved, each a full build into a new folder (no page kept)
    walls: dict[str, list[float]] = {"1": [], "2": []}
    cpus: list[float] = []
    for _ in range(1 if b.quick else 3):
        for jobs in ("1", "2"):
            shutil.rmtree(small_out, ignore_errors=True)
            run = b.process(command, 0, pin=False, env={"POLICYCTL_JOBS": jobs, "POLICYCTL_CACHE": FRESH})
            if run.code != 0:  # a failed build's time is not a build's time
                b.add(
                    "build", f"policyctl build, POLICYCTL_JOBS={jobs}", f"failed ({run.code})", note=run.output[-300:]
                )
                return
            walls[jobs].append(run.seconds)
            if jobs == "1":
                cpus.append(run.cpu)
    pages = _pages(run.output) or 0
    serial, pooled = statistics.median(walls["1"]), statistics.median(walls["2"])
    b.add(
        "build",
        f"policyctl build, {pages:,} pages, serial (wall)",
        serial,
        "two worker processes",
        pooled,
        "s",
        verdict=f"workers {serial / pooled:.2f}x serial",
        note="POLICYCTL_JOBS=1 and 2, interleaved; unset, the "
        f"build uses workers only for {800 * 2}+ pages and when a core is idle (load average below 1 of 2 cores)",
    )
    mkdocs(b, small_out, pages, pages / statistics.median(cpus) if pages else "failed (no page count in its output)")


def starter(b: Bench) -> None:
    """`policyctl build` in the repository `policyctl init` writes (one program, two marketplaces,
    six pages: what authors pay on every save and every CI run), beside its floor measured in the
    same run: `python -c "import engine.cli"`, the command line's own start-up, which every command
    pays. As processes, in CPU seconds (user + system, median; the machine may be shared): with an
    empty cache, with nothing changed, and after one parameter's edit. And in process, through
    click as the tests and `serve`'s preview build: nothing changed, and a copy in a new folder
    with an empty cache folder (as each test builds)."""
    top = os.path.join(b.work, "starter-build")  # (its own: it edits a parameter; `starter_rows` reads theirs)
    made = b.process([PY, CLI, "init", "--no-build", top], 0, pin=False)
    if made.code != 0:
        b.add("build", "policyctl build, the starter (init)", f"failed ({made.code})", note=made.output[-300:])
        return
    runs = 1 if b.quick else 9
    floor = b.process([PY, "-c", "import engine.cli"], runs)
    b.add("build", "import engine.cli (floor), CPU", floor.cpu)
    command = [PY, CLI, "build"]
    for label, env in (("empty cache", {"POLICYCTL_CACHE": FRESH}), ("nothing changed", None)):
        run = b.process(command, runs, env=env, cwd=top)
        if run.code != 0:
            b.add("build", f"policyctl build, the starter, {label}", f"failed ({run.code})", note=run.output[-300:])
            return
        b.add(
            "build",
            f"policyctl build, the starter (init), {label}, CPU",
            run.cpu,
            "import engine.cli (floor)",
            floor.cpu,
            verdict=f"{run.cpu / floor.cpu:.1f}x floor" if floor.cpu else "n/a",
            note=f"{run.seconds * 1e3:.0f} ms wall; " + run.output.strip().splitlines()[-1]
            if run.output.strip()
            else "",
        )
    path = os.path.join(top, "policies", "returns", "program.yaml")
    with open(path, encoding="utf-8") as f:
        original = f.read()
    cpus = []
    try:
        for step in range(runs + 1):  # (each a different value: each rebuild has a page to render)
            with open(path, "w", encoding="utf-8") as f:
                f.write(original.replace("value: 30\n", f"value: {31 + step}\n", 1))
            run = b.process(command, 0, cwd=top)
            if run.code != 0:
                b.add("build", "policyctl build, the starter, one edit", f"failed ({run.code})", note=run.output[-300:])
                return
            cpus.append(run.cpu)
    finally:
        with open(path, "w", encoding="utf-8") as f:
            f.write(original)
    edited = statistics.median(cpus[1:] if len(cpus) > 1 else cpus)
    b.add(
        "build",
        "policyctl build, the starter, one parameter edited, CPU",
        edited,
        "import engine.cli (floor)",
        floor.cpu,
        verdict=f"{edited / floor.cpu:.1f}x floor" if floor.cpu else "n/a",
    )
    in_process(b, top)


def in_process(b: Bench, top: str) -> None:
    """The starter built in this process through click (as tests/support.run_cli), CPU per build."""
    from click.testing import CliRunner

    from engine.cli import main

    def once(where: str) -> float:
        old = os.getcwd()
        os.chdir(where)
        try:
            start = time.process_time()
            result = CliRunner().invoke(main, ["build"])
            spent = time.process_time() - start
        finally:
            os.chdir(old)
        if result.exit_code != 0:
            raise RuntimeError(result.output[-300:])
        return spent

    before = os.environ.get("POLICYCTL_CACHE")
    copies = tempfile.mkdtemp(dir=b.work, prefix="copies-")
    n = 2 if b.quick else 40
    try:
        os.environ["POLICYCTL_CACHE"] = b.env["POLICYCTL_CACHE"]
        once(top)  # (the memos and the cache filled)
        warm = statistics.median(once(top) for _ in range(n))
        fresh = []
        for i in range(n):  # a copy in a new folder with an empty cache folder: as each test builds
            copy = os.path.join(copies, str(i))
            shutil.copytree(os.path.join(top, "policies"), os.path.join(copy, "policies"))
            shutil.copy(os.path.join(top, "policyctl.toml"), copy)
            os.environ["POLICYCTL_CACHE"] = os.path.join(copy, ".cache")
            fresh.append(once(copy))
            shutil.rmtree(copy)
    except RuntimeError as e:
        b.add("build", "policyctl build, the starter, in process", "failed", note=str(e))
        return
    finally:
        shutil.rmtree(copies, ignore_errors=True)
        if before is None:
            os.environ.pop("POLICYCTL_CACHE", None)
        else:
            os.environ["POLICYCTL_CACHE"] = before
    b.add("build", "  in process (click), nothing changed, CPU", warm)
    b.add("build", "  in process, a copy in a new folder, empty cache, CPU", statistics.median(fresh))


def _pages(output: str) -> int | None:
    m = re.search(r"(\d[\d,]*) pages", output)
    return int(m.group(1).replace(",", "")) if m else None


def mkdocs(b: Bench, site: str, pages: int, ours: float | str) -> None:
    exe = which("mkdocs")
    work = f"policyctl build, {pages:,} pages, per CPU-second"
    if exe is None:
        b.add("build", work, ours, "mkdocs build, same Markdown", missing(b, "mkdocs"), "/s")
        return
    project = os.path.join(b.work, "mkdocs")
    docs = os.path.join(project, "docs")
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(
        site,
        docs,
        ignore=lambda d, names: [n for n in names if os.path.isfile(os.path.join(d, n)) and not n.endswith(".md")],
    )
    with open(os.path.join(project, "mkdocs.yml"), "w", encoding="utf-8") as f:
        f.write("site_name: synthetic\ndocs_dir: docs\nsite_dir: site\n")
    md = sum(1 for _, _, names in os.walk(docs) for n in names if n.endswith(".md"))
    try:
        run = b.process([exe, "build", "-q", "-f", os.path.join(project, "mkdocs.yml")], 0, pin=False, timeout=600)
    except TimeoutError:
        b.add("build", work, ours, "mkdocs build, same Markdown", "timed out", "/s")
        return
    peer = md / run.cpu if run.code == 0 else f"failed ({run.code})"
    r = ratio(ours, peer)
    b.add(
        "build",
        work,
        ours,
        f"mkdocs build, same {md:,} .md",
        peer,
        "/s",
        target=">= 4x mkdocs",
        verdict=verdict_at_least(r, 4),
        note=f"pages per CPU-second (user + system, serial build); mkdocs "
        f"{run.cpu:.1f} s CPU, {run.seconds:.1f} s wall (Markdown in, HTML out; ours renders templates in every"
        " language first, then Markdown and HTML)",
    )


# Marketplaces the synthetic repository does not have (generate.MARKETPLACES has 20), one added per
# edit of the "adding a marketplace" row; their languages are the first marketplace's, which every
# synthetic repository publishes (so each program has their catalogs)
NEW_MARKETPLACES = [
    ("ie", "IE", "EUR", "Europe/Dublin", "amazon.ie"),
    ("be", "BE", "EUR", "Europe/Brussels", "amazon.com.be"),
    ("nz", "NZ", "NZD", "Pacific/Auckland", "amazon.co.nz"),
]


def incremental(b: Bench, syn: str, out: str, full: float) -> None:
    """Rebuilds of the tree just built (``full``: that build's seconds): nothing changed, then one
    parameter of one marketplace (median of 3 edits, each a different value, so each rebuild has
    something to write), one edit of the shared HTML layout alone, and one more marketplace offered
    by one program (each median of 3, the tree made current again before each kind)."""
    command = [PY, CLI, "build", "--root", syn, "--out", out, "--at", "2024-06-01"]
    unchanged = b.process(command, 1 if b.quick else 3, pin=False)
    kept = re.search(r"(\d+) of ([\d,]+) pages rendered", unchanged.output)
    b.add(
        "build",
        "  rebuild, nothing changed",
        unchanged.seconds,
        "",
        None,
        "s",
        note=f"{kept.group(1) if kept else '?'} pages rendered" if kept else unchanged.output[-200:],
    )
    path = os.path.join(syn, "prog_0000", "marketplaces", "us.yaml")
    with open(path, encoding="utf-8") as f:
        original = f.read()
    runs: list[Run] = []
    try:
        for step in range(1 if b.quick else 3):
            changed = re.sub(
                r"(default_fee:\n    value: )([0-9.]+)",
                functools.partial(_raised, 0.01 * (step + 1)),
                original,
                count=1,
            )
            with open(path, "w", encoding="utf-8") as f:
                f.write(changed)
            runs.append(b.process(command, 0, pin=False))
    finally:
        if not b.quick:  # (see below)
            with open(path, "w", encoding="utf-8") as f:
                f.write(original)
    run = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]
    m = re.search(r"(\d+) added, changed or removed; (\d+) of ([\d,]+) pages rendered", run.output)
    written, rendered = (m.group(1), m.group(2)) if m else ("?", "?")
    # the search index (Pagefind) is made again from every current page; its files are counted apart
    s = re.search(r"and ([\d,]+) search files \((\d+) added, changed or removed\)", run.output)
    searched = f", {s.group(2)} search files written (of {s.group(1)})" if s else ", no search index"
    locales = len(generate.MARKETPLACES[0][5])
    b.add(
        "build",
        "  rebuild after one parameter of one marketplace",
        run.seconds,
        "",
        None,
        "s",
        target="<= 1 s",
        verdict="met" if run.seconds <= 1 else f"MISSED by {run.seconds - 1:.2f} s",
        note=f"{rendered} pages rendered, {written} files written{searched} (the {locales} languages x md+html of the "
        f"one page that shows it, current and past editions; Pagefind indexes every current page again, and "
        f"writes only the files whose bytes changed); {unchanged.seconds:.2f} s of it is what any rebuild costs (start-up, loading"
        " and checking every policy file, the keys and files of every page: the row above)",
    )
    # Each kind of edit starts from a tree built from the repository as it is. A full run puts the
    # repository back after each kind's edits (its later rows measure the repository generated) and
    # builds the tree again, not timed; the quick run keeps each kind's last edit instead, so its
    # tree is current without those builds (~1.2 CPU-s each; its synthetic repository is its own).
    if not b.quick:
        b.process(command, 0, pin=False)
    layout_only(b, syn, command, unchanged.seconds, full)
    if not b.quick:
        b.process(command, 0, pin=False)
    new_marketplace(b, syn, command, unchanged.seconds, full)


def _median(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]


def _counts(output: str) -> str:
    """What a rebuild says it did: pages rendered, laid out again (their text as stored), files written."""
    m = re.search(r"(\d+) added, changed or removed; (\d+) of ([\d,]+) pages rendered", output)
    if not m:
        return output[-200:]
    laid = re.search(r"(\d+) laid out again", output)
    return f"{m.group(2)} of {m.group(3)} pages rendered, {laid.group(1) if laid else 0} laid out again, {m.group(1)} files written"


def layout_only(b: Bench, syn: str, command: list[str], unchanged: float, full: float) -> None:
    """A rebuild after an edit of the shared HTML layout (`_site/layout.html.j2`) alone: no page's
    text changes, every page is put in the layout again from its stored text (median of 3 edits,
    each a different attribute value)."""
    path = os.path.join(syn, "_site", "layout.html.j2")
    with open(path, encoding="utf-8") as f:
        original = f.read()
    assert "<html" in original, path
    runs: list[Run] = []
    try:
        for step in range(1 if b.quick else 3):
            with open(path, "w", encoding="utf-8") as f:
                f.write(original.replace("<html", f'<html data-bench="{step}"', 1))
            runs.append(b.process(command, 0, pin=False))
    finally:
        if not b.quick:  # (the quick run keeps its edit: see `incremental`)
            with open(path, "w", encoding="utf-8") as f:
                f.write(original)
    run = _median(runs)
    b.add(
        "build",
        "  rebuild after an edit of the HTML layout alone",
        run.seconds,
        "the full build",
        full,
        "s",
        verdict=f"{full / run.seconds:.1f}x faster" if run.seconds else "",
        note=f"{_counts(run.output)} (no page's text changed: each is put in the layout again from the text "
        f"the page cache kept; Pagefind indexes every current page again); {unchanged:.2f} s of it is what any "
        "rebuild costs (the row `rebuild, nothing changed`)",
    )


def new_marketplace(b: Bench, syn: str, command: list[str], unchanged: float, full: float) -> None:
    """A rebuild after one more marketplace (marketplaces.yaml) offered by one program (its overlay
    file): that program's pages there are new, its other pages list it in their switchers, no other
    program's page changes (median of 3 edits, each one more marketplace)."""
    listing = os.path.join(syn, "marketplaces.yaml")
    with open(listing, encoding="utf-8") as f:
        original = f.read()
    locales = generate.MARKETPLACES[0][5]
    added: list[str] = []
    runs: list[Run] = []
    try:
        for step in range(1 if b.quick else 3):
            mp, country, currency, zone, site = NEW_MARKETPLACES[step]
            with open(listing, "a", encoding="utf-8") as f:
                f.write(
                    generate.marketplaces_yaml([(mp, country, currency, zone, site, locales)]).split(
                        "marketplaces:\n", 1
                    )[1]
                )
            overlay = os.path.join(syn, "prog_0000", "marketplaces", f"{mp}.yaml")
            added.append(overlay)
            with open(overlay, "w", encoding="utf-8") as f:
                f.write(generate.overlay_yaml(mp, currency, random.Random(step)))
            runs.append(b.process(command, 0, pin=False))
    finally:
        if not b.quick:  # (the quick run keeps its edit: see `incremental`)
            with open(listing, "w", encoding="utf-8") as f:
                f.write(original)
            for overlay in added:
                os.remove(overlay)
    run = _median(runs)
    b.add(
        "build",
        "  rebuild after one more marketplace for one program",
        run.seconds,
        "the full build",
        full,
        "s",
        verdict=f"{full / run.seconds:.1f}x faster" if run.seconds else "",
        note=f"{_counts(run.output)} (the program's page there in its {len(locales)} languages is new (current and past editions), its other "
        "pages list it in their switchers: laid out again from their stored text; no other program's page is "
        f"touched); {unchanged:.2f} s of it is what any rebuild costs",
    )


# --- 5b. bundles: a service's first answer, and a table whose first row answers ---------------------


def bundles(b: Bench) -> None:
    """`decide --bundle` of one input as a whole process against the import floor (a service or a
    batch job starting), and csba.fee's trial path (the first row answers) against hand-written Python."""
    real = os.path.join(ROOT, "policies")
    if not os.path.isdir(real):
        b.add("bundle", "decide --bundle", "no policies/")
        return
    runs = 1 if b.quick else 15
    imports = b.process([PY, "-c", "import yaml, jsonschema, jinja2, click"], runs, same=True)
    path = os.path.join(b.work, "policies.bundle")
    made = b.process([PY, CLI, "bundle", "--root", real, "--out", path], 0)
    request = os.path.join(b.work, "one-input.json")
    with open(request, "w", encoding="utf-8") as f:
        f.write('{"units": 1000, "contacts": 40}\n')
    ours = b.process(
        [PY, CLI, "decide", "csba.fee", "-m", "us", "--at", "2024-06-01", "--bundle", path, "--input", request], runs
    )
    if made.code or ours.code:
        b.add("bundle", "decide --bundle", f"failed: {(made.output + ours.output).strip()[:30]}")
        return
    b.add(
        "bundle",
        "policyctl decide --bundle (one input, whole process)",
        ours.seconds,
        "import yaml, jsonschema, jinja2, click",
        imports.seconds,
        target="<= 0.5x floor",
        verdict=verdict_at_most(ratio(ours.seconds, imports.seconds), 0.5).replace("met", "MET"),
        note="the bundle is made once by `policyctl bundle`; answering from it imports none of the floor's"
        " libraries (engine/start.py answers this form without click)",
    )
    fee_trial(b, "2024-06-01")


def fee_trial(b: Bench, at: str) -> None:
    import engine

    repo = engine.load(os.path.join(ROOT, "policies"))
    compiled = repo.compiled("csba", "fee")
    params = repo.params("csba", "us", at)
    trial = {"units": 1000, "contacts": 40, "first_enrolled_on": "2024-05-20"}

    def by_hand(inp: dict[str, Any], p: dict[str, Any]) -> dict[str, Any] | None:
        in_trial = inp.get("in_trial")
        if in_trial is None:
            first = inp.get("first_enrolled_on")
            in_trial = (
                first is not None and (_date.fromisoformat(at) - _date.fromisoformat(first)).days < p["trial_days"]
            )
        if in_trial:
            return {"basis": "trial", "fee_per_unit": 0, "total": 0, "currency": p["currency"]}
        return None  # the other rows: not on this path

    from datetime import date as _date

    result = compiled.evaluate(trial, params, at)
    assert result.matches == ("in_trial",) and result.outputs == by_hand(trial, params), result
    ours = per_call(lambda: compiled.evaluate(trial, params, at), b.quick)
    hand = per_call(lambda: by_hand(trial, params), b.quick)
    b.add(
        "decide",
        "csba.fee, trial path (first row answers), compiled",
        ours,
        "hand-written Python",
        hand,
        "us",
        target="<= 3x hand-written",
        verdict=verdict_at_most(ratio(ours, hand), 3).replace("met", "MET"),
        note="a `let` is computed only before the first row that needs it: the trial row pays for `trial` alone",
    )


# --- 6. growth ----------------------------------------------------------------------------------------


def peak(b: Bench, args: list[str], name: str) -> tuple[Run, int]:
    """Run the CLI and read its own peak resident memory (VmHWM) as it exits. (ru_maxrss of a child
    is useless here: on Linux it starts from the parent's peak at fork.)"""
    report = os.path.join(b.work, f"{name}.status")
    code = (
        "import atexit, runpy, sys\n"
        f"atexit.register(lambda: open({report!r}, 'w').write(open('/proc/self/status').read()))\n"
        f"sys.argv = {[CLI] + args!r}\n"
        f"runpy.run_path({CLI!r}, run_name='__main__')\n"
    )
    run = b.process([PY, "-c", code], 0, pin=False)
    try:
        with open(report, encoding="utf-8") as f:
            kb = int(re.search(r"VmHWM:\s+(\d+)", f.read()).group(1))  # type: ignore[union-attr]
    except (OSError, AttributeError):
        kb = 0
    return run, kb


def growth(b: Bench) -> None:
    # quick: one step; every step takes the same code (a second one cost ~1.5 CPU-s: two repositories
    # generated, catalogs made by a process, validate, test and build)
    scales = (1,) if b.quick else (1, 4, 16)
    base = 1 if b.quick else 50
    site_base = 1 if b.quick else 2
    marketplaces = 2 if b.quick else 20  # quick: repositories as small as the synthetic one
    for scale in scales:
        root = os.path.join(b.work, f"grow{scale}")
        generate.generate(root, programs=base * scale, marketplaces=marketplaces, pages=False)
        files = count_yaml(root)
        v, v_kb = peak(b, ["validate", root], "validate")
        t, t_kb = peak(b, ["test", "--root", root], "test")
        b.add(
            "growth",
            f"{scale:>2}x: validate {files:,} files",
            v.seconds,
            "test",
            t.seconds,
            "s",
            note=f"peak memory {v_kb / 1024:.0f} MB (validate) / {t_kb / 1024:.0f} MB (test)",
        )
        shutil.rmtree(root)
        root = os.path.join(b.work, f"growsite{scale}")
        generate.generate(root, programs=site_base * scale, marketplaces=marketplaces)
        out = os.path.join(b.work, f"growsite{scale}-out")
        bl, bl_kb = peak(b, ["build", "--root", root, "--out", out, "--at", "2024-06-01"], "build")
        pages = _pages(bl.output)
        b.add(
            "growth",
            f"{scale:>2}x: build {pages or 0:,} pages",
            bl.seconds,
            "",
            None,
            "s",
            note=f"peak memory {bl_kb / 1024:.0f} MB",
        )
        shutil.rmtree(root)
        shutil.rmtree(out, ignore_errors=True)


# --- the run ------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="a smoke run on a tiny repository")
    ap.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR and keep it (default: a temporary folder)")
    ap.add_argument(
        "--only", metavar="SECTIONS", help="comma-separated: startup,document,decide,batch,bundle,build,starter,growth"
    )
    args = ap.parse_args()
    work = args.keep or tempfile.mkdtemp(prefix="policyctl-bench-")
    os.makedirs(work, exist_ok=True)
    b = Bench(args.quick, work)
    only = set(args.only.split(",")) if args.only else None
    started = time.perf_counter()
    print(
        f"policyctl benchmarks ({'quick' if args.quick else 'full'}): Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores, work in {work}"
    )
    syn = os.path.join(work, "synthetic")
    # quick: one program in two marketplaces (a build costs ~0.5 CPU-s whatever its size; pages add little)
    n = generate.generate(syn, programs=1 if args.quick else 50, marketplaces=2 if args.quick else 20)
    print(f"synthetic repository: {n} files in {syn}\n")
    print(f"  {'section':<10} {'work':<52} {'ours':>11}  {'peer / floor':<30} {'peer':>11}  {'target':<18} result")
    try:
        sections: tuple[tuple[str, Callable[[], object]], ...] = (
            ("startup", lambda: startup_and_validate(b, syn)),
            ("document", lambda: one_document(b, syn)),
            ("decide", lambda: decisions(b, syn)),
            ("batch", lambda: batch(b)),
            ("bundle", lambda: bundles(b)),
            ("build", lambda: build(b, syn)),
            ("starter", lambda: starter(b)),
            ("growth", lambda: growth(b)),
        )
        for name, fn in sections:
            if only is None or name in only:
                fn()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{len(b.rows)} measurements in {time.perf_counter() - started:.0f} s")
    notes = [r for r in b.rows if r.note]
    if notes:
        print("notes:")
        for r in notes:
            print(f"  {r.section} / {r.work.strip() or r.peer}: {r.note}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump([r.__dict__ for r in b.rows], f, indent=2, default=str)
    try:
        load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    print(f"machine: {os.cpu_count()} cores, load average (1 / 5 / 15 min) at the end: {load}")
    print(
        "versions: "
        + ", ".join(
            f"{name} {version(name)}"
            for name in (
                "pyyaml",
                "jsonschema",
                "jinja2",
                "click",
                "babel",
                "markdown-it-py",
                "check-jsonschema",
                "fastjsonschema",
                "jsonschema-rs",
                "zen-engine",
                "mkdocs",
            )
        )
    )
    broken = unmeasured(b.rows)
    for line in broken:  # a measurement that did not run is an error, not a row to read past
        print(f"error: {line}", file=sys.stderr)
    if MISSING:
        peers = ", ".join(sorted(set(MISSING)))
        if args.quick:
            print(f"note: peers not installed, skipped in this quick run: {peers} (pip install -e '.[bench]')")
        else:
            print(
                f"error: peers not installed: {peers}; a full run measures every peer (pip install -e '.[bench]')",
                file=sys.stderr,
            )
            return 1
    return 1 if broken else 0


def unmeasured(rows: list[Row]) -> list[str]:
    """The rows whose own or peer's measurement failed or timed out: a run with any fails."""
    return [
        f"{r.section} / {r.work.strip() or r.peer}: {value}"
        for r in rows
        for value in (r.ours, r.peer_value)
        if isinstance(value, str) and value.startswith(("failed", "timed out"))
    ]


def version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as found

    try:
        return found(dist)
    except PackageNotFoundError:
        return NOT_INSTALLED


if __name__ == "__main__":
    sys.exit(main())
