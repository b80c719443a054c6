"""Rendering on forked worker processes, when they pay: a worker inherits the loaded repository
and the plan, renders slices of one program's pages in one language, and sends back their texts
by place in the plan, so the output does not depend on which worker finished first."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import Any

from engine.model.repository import Repository
from engine.problems import Problem
from engine.site.page import render_group
from engine.site.plan import Job, Plan
from engine.site.render import Renderer

# A worker pays for itself only with enough pages: each one loads the CLDR data of its languages
# and compiles the templates again (~1 s of CPU for a 5-program, 25-language site); measured on
# 2 cores, 600 pages rendered faster serially than on two workers (benchmarks/README.md).
PAGES_PER_WORKER = 800
JOBS_ENV = "POLICYCTL_JOBS"  # worker processes for rendering: 1 = serial; unset = chosen by size and idle cores
_STATE: tuple[Repository, Plan, dict[str, dict[Any, tuple[str, int]]], str | None] | None = None
_RENDERERS: dict[str, Renderer] = {}
_PR_SET_PDEATHSIG = 1  # linux/prctl.h  # in a worker process: one per program, each template compiled once


def worker_count(pages: int) -> int:
    """How many processes render the pages: ``POLICYCTL_JOBS`` if set, else one per
    ``PAGES_PER_WORKER`` pages, at most one per idle core, and one in a process running other threads."""
    try:
        setting = jobs_setting()
    except ValueError:  # (the command line refuses it before building; the API chooses)
        setting = None
    if setting is not None:
        count = max(1, min(setting, pages))
    else:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        # a second process gains nothing on a core another program keeps busy: count the idle ones
        # (the build itself is one of the running processes, so it takes one of them)
        try:
            idle = cores - int(os.getloadavg()[0])
        except OSError:
            idle = cores
        count = max(1, min(cores, idle + 1, pages // PAGES_PER_WORKER))
    if count == 1:  # (most builds: multiprocessing, imported below, costs ~12 ms of a process's start)
        return 1
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if setting is not None:
        return count
    # A process forked while another thread holds a lock (the allocator's, logging's, an import's)
    # can wait for it forever (Python 3.12+ warns on such a fork): workers only where the build's
    # thread is the only one. The command line's is; a threaded program building through the API
    # renders serially unless it sets POLICYCTL_JOBS. (Asked only of a build large enough for them.)
    return count if count == 1 or running_threads() <= 1 else 1


def jobs_setting() -> int | None:
    """The number of rendering processes ``POLICYCTL_JOBS`` asks for; None when it is unset or
    empty. ValueError, saying what it holds, when it is not a whole number of 1 or more."""
    setting = os.environ.get(JOBS_ENV, "").strip()
    if not setting:
        return None
    if setting.isascii() and setting.isdigit() and int(setting) > 0:
        return int(setting)
    raise ValueError(f"{JOBS_ENV}={setting!r} is not a number of processes (a whole number, 1 or more)")


def running_threads() -> int:
    """The threads this process runs: the system's count where it tells (Linux: C libraries'
    threads too), else Python's."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def render_parallel(
    repo: Repository,
    work: Plan,
    sources: dict[str, dict[Any, tuple[str, int]]],
    at: str | None,
    by_program: dict[tuple[str, str], list[Job]],
    workers: int,
    tell: Callable[[int, int], None],
) -> tuple[dict[Job, tuple[str, str, str]], list[Problem]] | None:
    """The pages rendered by forked worker processes, which inherit the loaded repository.

    Each task is a slice of one program's pages in one language; results are keyed by the page's
    place in the plan, so the output does not depend on which worker finished first. None when
    the workers could not be started or died (the caller then renders serially).
    """
    global _STATE
    index = {job: i for i, job in enumerate(work.jobs)}
    groups = sorted(by_program.items())
    parts = max(1, -(-workers * 4 // len(groups)))  # enough tasks to keep every worker busy
    tasks: list[tuple[str, str, list[int]]] = []
    for (program_id, tag), jobs in groups:
        size = max(1, -(-len(jobs) // parts))
        tasks += [(program_id, tag, [index[j] for j in jobs[k : k + size]]) for k in range(0, len(jobs), size)]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    _STATE = (repo, work, sources, at)
    try:
        with ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("fork"), initializer=_worker_start, initargs=(os.getpid(),)
        ) as pool:
            results, done, total = [], 0, sum(len(t[2]) for t in tasks)
            for result in pool.map(_render_task, tasks):  # in task order, as they finish
                results.append(result)
                done += len(result[0])
                tell(done, total)
    except (OSError, BrokenProcessPool):
        return None
    finally:
        _STATE = None
    rendered: dict[Job, tuple[str, str, str]] = {}
    problems: list[Problem] = []
    for pages, found in results:
        for i, value in pages:
            rendered[work.jobs[i]] = value
        problems += found
    return rendered, problems


def _worker_start(parent: int) -> None:
    """In a new worker: die with the build (a killed build must not leave workers waiting forever)."""
    import ctypes

    _RENDERERS.clear()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the build died before the signal was armed
        os._exit(1)


def _render_task(task: tuple[str, str, list[int]]) -> tuple[list[tuple[int, tuple[str, str, str]]], list[Problem]]:
    """In a worker: render a slice of pages; their texts by place in the plan, and every problem."""
    assert _STATE is not None
    repo, work, sources, at = _STATE
    program_id, tag, indices = task
    jobs = [work.jobs[i] for i in indices]
    rendered: dict[Job, tuple[str, str, str]] = {}
    problems, used = render_group(repo, work, sources, at, program_id, tag, jobs, _RENDERERS, rendered)
    for translator in used:
        problems += sorted(translator.problems, key=Problem.sort_key)
    return [(i, rendered[work.jobs[i]]) for i in indices if work.jobs[i] in rendered], problems
