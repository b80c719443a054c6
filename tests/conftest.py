"""Fixtures and hooks only; the helpers the tests share are in support.py."""

from __future__ import annotations

import atexit
import gc
import itertools
import os
import random
import shutil
import sys
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from engine.cache import memo
from support import MINI, ROOT, SITE_DAY, compile_package, run_cli, scratch_folder

_caches = itertools.count()
_SHARED = pytest.StashKey[tuple[str, "str | None"]]()
_SCRATCH = pytest.StashKey[bool]()


def pytest_configure(config: pytest.Config) -> None:
    """Temporary files in memory when nobody chose where (support.scratch_folder; xdist's workers
    inherit TMPDIR and their base folder from the controller). Code that runs before any fixture
    (module-level code at collection, fixtures wider than a test) uses a cache folder of this run's
    own, never the developer's cache either."""
    worker = hasattr(config, "workerinput")
    if not worker and sys.dont_write_bytecode:  # (else Python writes it as the engine is imported)
        import engine

        compile_package(os.path.dirname(engine.__file__))
    scratch = None if worker else scratch_folder(os.environ, config.option.basetemp)
    config.stash[_SCRATCH] = scratch is not None
    if scratch is not None:
        os.environ["TMPDIR"] = scratch
        tempfile.tempdir = None  # (tempfile reads TMPDIR again)
    folder = tempfile.mkdtemp(prefix="policyctl-test-cache-")
    config.stash[_SHARED] = (folder, os.environ.get("POLICYCTL_CACHE"))
    os.environ["POLICYCTL_CACHE"] = folder
    if worker and "coverage" not in sys.modules:
        atexit.register(_end_without_teardown)


def _end_without_teardown() -> None:
    """An xdist worker's last step: once its results are sent, the session has ended (fixtures,
    unconfigure, pytest's own cleanup) and every exit function registered after this one has run
    (they run last in, first out), the worker ends without tearing its interpreter down. Freeing
    the ~1,000,000 objects the engine's memos and the collected tests hold took each worker
    ~0.8 s after its last test, both cores idle, the run waiting for it. The exit functions
    registered before this one are skipped: logging's (the session closed its handlers) and
    execnet's for the gateways a worker does not open. Not under coverage (`coverage` imported:
    its exit function, registered before this one, saves its data)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def pytest_unconfigure(config: pytest.Config) -> None:
    folder, before = config.stash[_SHARED]
    if before is None:
        os.environ.pop("POLICYCTL_CACHE", None)
    else:
        os.environ["POLICYCTL_CACHE"] = before
    shutil.rmtree(folder, ignore_errors=True)
    if config.stash.get(_SCRATCH, False):
        os.environ.pop("TMPDIR", None)
        tempfile.tempdir = None


# The longest tests (measured: `pytest -n 2 --durations=0`, each module's tests summed, with the
# processes they start), longest first: the browser's module (one worker, one browser), the
# benchmark's smoke run, Spark's module (one worker, one Spark session), then the install tests.
LONGEST = (
    "tests/test_browser.py::",
    "tests/test_benchmarks_smoke.py::",
    "tests/test_spark.py::",
    "tests/test_anyrepo.py::test_pre_commit_hooks_run_on_a_new_repository",
    "tests/test_anyrepo.py::test_wheel_round_trip",
    "tests/test_incremental.py::test_random_edits_build_what_a_full_build_writes",
    "tests/test_faults.py::test_killing_build_at_random_points_leaves_the_previous_tree",
)
# Modules whose module-wide fixtures are expensive run on one xdist worker, so that each fixture is
# made once, not once per worker: a Spark session; a browser and a built site; a grown repository
# and its site; a site with a page per template failure, and a build of policies/ (test_pages); a
# site with a page of filters (test_rendering); a server started for the tests that only read.
ONE_WORKER = {
    "tests/test_spark.py",
    "tests/test_browser.py",
    "tests/test_any_repository.py",
    "tests/test_pages.py",
    "tests/test_rendering.py",
    "tests/test_serve.py",
}
# The three longest modules one after the other on one worker, while the other runs tests that
# compute in the worker itself: the browser's, the benchmark's and Spark's tests mostly wait for
# their processes (Chromium, the benchmark's commands, the JVM), in bursts, and side by side they
# left a fifth to a third of both cores idle for ~10 s. Measured in three pairs of full runs: 0.2 to
# 0.9 s less wall time and 0.5 to 3 CPU-s less in each pair (noise on this machine is about as
# large: kept because every pair agreed).
TOGETHER = dict.fromkeys(("tests/test_browser.py", "tests/test_benchmarks_smoke.py", "tests/test_spark.py"), "waiting")


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Generator[None, object, object]:
    """The test modules as pytest rewrites their asserts, kept in ``tests/__pycache__`` even when
    PYTHONDONTWRITEBYTECODE is set: each worker rewrote all of them on every run (~1.6 CPU-s
    each). Only while collecting: whatever else the tests import follows the setting."""
    before = sys.dont_write_bytecode
    sys.dont_write_bytecode = False
    try:
        return (yield)
    finally:
        sys.dont_write_bytecode = before


# The worker's garbage collector after collection: the collected tests and what the engine keeps in
# its memos are ~500,000 objects that live as long as the worker, and every full collection walked
# them all (~150 ms each, ~45 of them a run: 7-8 CPU-s of the suite's ~115, measured with
# gc.callbacks). Frozen (never collected again) and collected less often (young objects every
# 10,000 allocations instead of 700): ~2 CPU-s of collection left. Cyclic garbage lives a little
# longer; nothing the tests check depends on when it goes.
YOUNG = 10_000


def pytest_collection_finish(session: pytest.Session) -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG, *gc.get_threshold()[1:])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest tests first, then the other slow ones, then the quick ones (each in their
    files' order); under xdist the scheduler below hands them out in this order."""

    def rank(item: pytest.Item) -> int:
        first = [i for i, prefix in enumerate(LONGEST) if item.nodeid.startswith(prefix)]
        return first[0] if first else len(LONGEST) + (item.get_closest_marker("slow") is None)

    items.sort(key=rank)  # stable
    # Tests pass in any order: the engine's memos, the kept Pagefind and the process's working
    # folder outlive each test on a worker. POLICYCTL_TEST_ORDER=reverse (CI runs it) or =SEED
    # (shuffled) probes it; file order hid two faults of the engine (CONTRIBUTING, "Order").
    order = os.environ.get("POLICYCTL_TEST_ORDER")
    if order == "reverse":
        items.reverse()
    elif order:
        random.Random(order).shuffle(items)


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook: `-p no:xdist` runs without it
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object:
    """`-n auto` without another `--dist`: tests handed out one at a time (a module of ONE_WORKER
    at once, the modules of TOGETHER as one) in the order above, to whichever worker is free. So
    the long tests start at once, and the many short ones fill both cores at the end instead of one
    long test running alone. (xdist's own `--dist load` sends each worker a quarter of the list up
    front, all the long tests to the first worker; `xdist_group` marks are ignored under pytest 9.)"""
    if config.getvalue("dist") != "load":
        return None  # the user asked for another distribution: xdist's own
    from xdist.scheduler import LoadScopeScheduling

    class LongestFirst(LoadScopeScheduling):  # type: ignore[misc]  # xdist has no type information
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::")[0]
            if module in TOGETHER:
                return TOGETHER[module]
            return module if module in ONE_WORKER else nodeid

        def mark_test_complete(self, node: object, item_index: int, duration: float = 0) -> None:
            # xdist keeps every scope a worker was given and counts their pending tests each time a
            # test ends (quadratic: with a scope per test, seconds of the controller's CPU): a scope
            # whose tests have all ended is dropped, as it no longer holds any work
            nodeid = self.registered_collections[node][item_index]
            scopes = self.assigned_work[node]
            scope = self._split_scope(nodeid)
            scopes[scope][nodeid] = True
            if all(scopes[scope].values()):
                del scopes[scope]
            self._reschedule(node)

    config.option.loadscopereorder = False  # keep the order above (not the largest scope first)
    return LongestFirst(config, log)


@pytest.fixture(scope="session")
def _cache_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("policyctl-cache")


@pytest.fixture(autouse=True)
def isolated_cache(_cache_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test starts with an empty cache folder of its own (made on first use): no test reads or
    writes the developer's `~/.cache/policyctl`, and no test sees what another one cached on disk.
    A test may still set `POLICYCTL_CACHE` itself (`off`, or a folder it inspects). The engine's
    in-process memos (engine.cache.memo: parsed files, compiled templates, ...) are keyed by content
    and live as long as the worker, as in `policyctl serve`; a test that proves what a new process
    does first calls `memo.clear_all()`."""
    folder = _cache_root / str(next(_caches))
    monkeypatch.setenv("POLICYCTL_CACHE", str(folder))
    return folder


@pytest.fixture(autouse=True)
def _memos_given_back(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A test that empties the engine's memos (`memo.clear_all()`: a cold start, as in a new
    process) gets them back as they were when it ends, so the tests after it on the same worker do
    not parse and compile again what the memos held (entries are keyed by content: as true after)."""
    taken: list[memo.Snapshot] = []
    clear_all = memo.clear_all

    def clear_all_then_give_back() -> None:
        if not taken:
            taken.append(memo.snapshot())
        clear_all()

    monkeypatch.setattr(memo, "clear_all", clear_all_then_give_back)
    yield
    if taken:
        memo.restore(taken[0])


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's policies/ built on SITE_DAY into a folder of this run, once per process
    (each xdist worker builds its own): for tests that only read the pages. A test that changes
    the tree builds or copies its own."""
    out = tmp_path_factory.mktemp("built-site") / "site"
    run = run_cli("build", "--root", str(ROOT / "policies"), "--out", str(out), "--at", SITE_DAY)
    assert run.code == 0, run
    return out


@pytest.fixture(scope="session")
def init_starter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository made by `policyctl init` (pages built), once per process: tests copy it (`repo`
    in the modules that use one) before changing it."""
    top = tmp_path_factory.mktemp("starter") / "repo"
    result = run_cli("init", str(top))
    assert result.code == 0, result
    return top


@pytest.fixture
def init_repo(init_starter: Path, tmp_path: Path) -> Path:
    """A writable copy of `init_starter`."""
    top = tmp_path / "repo"
    shutil.copytree(init_starter, top)
    return top


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A writable copy of the made-up `loans` repository."""
    dest = tmp_path / "policies"
    shutil.copytree(MINI, dest)
    return dest


@pytest.fixture
def chdir_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(ROOT)
    return ROOT
