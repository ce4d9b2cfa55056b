"""The pipeline's RQ worker: RQ's own forking worker (a work horse per job, which cancel can
kill), with what the jobs run loaded once, before the first fork.

RQ imports a job's function in the work horse, and a horse ends with its job, so without
this every job would import the orchestrator and its providers again and read the icon
library from disk again: tens of milliseconds per job, more than the fork itself."""

from __future__ import annotations

import ctypes
import gc
import logging
from importlib import import_module
from typing import Any

import rq

from providers import registry
from providers.local.icons import IconLibraryMissing, library

logger = logging.getLogger(__name__)

# glibc's mallopt option: how many heaps (arenas) threads may spread over.
M_ARENA_MAX = -8


class Worker(rq.Worker):
    def work(self, *args: Any, **kwargs: Any) -> bool:
        warm_up()
        return super().work(*args, **kwargs)


def warm_up() -> None:
    """Import the job functions and the chosen providers, and read the icon library."""
    import_module("generations.orchestration.jobs")
    registry.load_chosen()
    try:
        library()
    except IconLibraryMissing as exc:
        logger.warning("%s", exc)  # the jobs that need it say so in their own error
    _one_heap()
    # What the worker holds now is never freed: out of the collector's sight, a horse's
    # collections do not write to (and so copy) the pages it shares with the worker.
    gc.freeze()


def _one_heap() -> None:
    """Let the threads of a job share one heap.

    A job renders a part beside another in a second thread (`parts.Beside`), and glibc gives
    that thread a heap of its own, where the scene canvases it frees stay mapped beside the
    first heap's: a 30 s video's horse peaked near 510 MiB that way, about 380 MiB with one
    heap. (A fixed mmap threshold holds memory as low, but maps and zeroes every large
    temporary afresh: six times the page faults, a second of system time per 30 s video,
    and the web's slowest answers four times slower beside it.) Set here, before the
    fork, it holds in every work horse."""
    try:
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, 1)
    except AttributeError:
        logger.info("no glibc mallopt here; heaps are left to the allocator")
