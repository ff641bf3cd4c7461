"""The one process map: a job over many items (dates) on every core, the results in order.

Ranking many dates (``digest rank``, a build) and rendering many dates (a build) both go
through :func:`ordered_map`. Where processes fork, the workers inherit what ``init`` was given
(the compiled topics, the papers of ``digest rank``'s files) without pickling; elsewhere it is
pickled once per worker. Each item and each result is pickled, so items are small (a date, an
index) and results are bytes or small tuples.

Few items run in this process: starting workers costs more than it saves below
:data:`MIN_ITEMS` (a daily build ranks and renders a date or two).

Workers die with the process that started them, however it ends: on Linux the kernel kills
them when it dies (``PR_SET_PDEATHSIG``), elsewhere a thread of theirs watches it, and each task
checks it first. A build that stops (an error, SIGTERM, Ctrl-C) kills them at once rather
than waiting for their tasks. They ignore the stop signals themselves: their parent stops
them, so a signal to the whole process group (a terminal's Ctrl-C, a systemd stop) ends the
build once, with one line. (Before, a build killed by SIGKILL or SIGTERM left its workers
waiting forever, holding the output folder's lock.)
"""

from __future__ import annotations

import collections
import contextlib
import functools
import itertools
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from . import stopping

A = TypeVar("A")
T = TypeVar("T")

MIN_ITEMS = 24  # below this many items, one process is faster than starting others
MAX_WORKERS = 8
WINDOW = 4  # tasks under way per worker: results not yet taken wait in memory
MAX_CHUNK = 16  # items per task: fewer round trips between processes, a small result each


def cores() -> int:
    """The cores this process may run on (at most :data:`MAX_WORKERS`)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 1
    return max(1, min(usable, MAX_WORKERS))


def count(items: int, requested: int | None = None) -> int:
    """How many worker processes for ``items`` items: ``requested`` if given (1: none, this
    process does the work), else one per core when there are enough items and processes can
    be forked or spawned; 1 otherwise."""
    if requested is not None:
        return max(1, requested)
    if items < MIN_ITEMS:
        return 1
    return min(os.cpu_count() or 1, MAX_WORKERS)


def ordered_map(
    job: Callable[[A], T],
    items: Sequence[A],
    *,
    workers: int,
    init: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> Iterator[T]:
    """``job`` over ``items``, the results in the items' order. With ``workers`` > 1 the jobs
    run on that many worker processes, each set up once by ``init(*initargs)``; otherwise
    ``init`` runs here and so do the jobs. Only a few items per worker are under way at a time:
    results the caller has not taken yet wait in memory, so the whole list at once
    (``pool.map``) made memory grow with the number of items. Items go to the workers a few at
    a time (up to :data:`MAX_CHUNK`): one item per task spent as long passing tasks between
    processes as ranking them."""
    if workers <= 1 or len(items) <= 1:
        if init is not None:
            init(*initargs)
        for item in items:
            stopping.check()
            yield job(item)
        return
    import multiprocessing  # here: a daily build stays in this process
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    size = max(1, min(MAX_CHUNK, len(items) // (workers * WINDOW * 2)))
    chunks = (items[at : at + size] for at in range(0, len(items), size))
    parent = os.getpid()
    task = functools.partial(_each, job, parent)
    pool = ProcessPoolExecutor(workers, context, _start, (parent, init, initargs))
    finished = False
    try:
        running = collections.deque(
            pool.submit(task, chunk) for chunk in itertools.islice(chunks, workers * WINDOW)
        )
        while running:
            stopping.check()  # a stop whose exception was dropped (while forking, say)
            results = running.popleft().result()
            for chunk in itertools.islice(chunks, 1):
                running.append(pool.submit(task, chunk))
            yield from results
        finished = True
    finally:
        if finished:
            try:
                pool.shutdown(wait=True)
            except BaseException:  # a stop while the workers wind down: as any other stop
                _kill(pool)
                raise
        else:  # an error or a stop: the workers' tasks are not waited for
            _kill(pool)


def _kill(pool: Any) -> None:
    """Kill a pool's workers at once (SIGKILL: they ignore the polite signals) and let it go.
    Every child process this one started, not only those the pool lists: a stop that lands
    between a worker's fork and the pool's note of it left one the pool did not know, waiting
    for tasks, and the build waiting for it at exit, for ever (a campaign under load found it)."""
    import multiprocessing

    processes = list((getattr(pool, "_processes", None) or {}).values())
    known = {id(p) for p in processes}
    processes += [p for p in multiprocessing.active_children() if id(p) not in known]
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(5)
    # The pool's thread, which finds the workers gone, is let finish (a few seconds at most)
    # rather than run on while the interpreter closes the pool's pipes under it at exit (a
    # stopped build's last line was once followed by "OSError: [Errno 9] Bad file
    # descriptor"). Taken before shutdown, which lets go of it.
    thread = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    if thread is not None:
        with contextlib.suppress(Exception):
            thread.join(5)


# -- on a worker --------------------------------------------------------------------------------

PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent dies
WATCH_EVERY = 0.5  # seconds between a worker's looks at its parent, where prctl is missing


def _start(parent: int, init: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    """A worker's first steps: die with ``parent``, leave the stop signals to it, then
    ``init(*initargs)``."""
    stopping.ignore()
    if not _die_with_parent():
        threading.Thread(target=_watch, args=(parent,), daemon=True).start()
    if os.getppid() != parent:  # it died before the worker could ask to die with it
        os._exit(1)
    if init is not None:
        init(*initargs)


def _die_with_parent() -> bool:
    """Ask the kernel to kill this process when its parent dies (Linux); whether it could."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    """Where the kernel cannot: end this worker once its parent is gone."""
    while os.getppid() == parent:
        time.sleep(WATCH_EVERY)
    os._exit(1)


def _each(job: Callable[[A], T], parent: int, chunk: Sequence[A]) -> list[T]:
    """A task of a worker: ``job`` over a few items (none when the parent is gone)."""
    if os.getppid() != parent:
        os._exit(1)
    return [job(item) for item in chunk]
