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

# glibc's mallopt option, and the size from which a block gets pages of its own.
M_MMAP_THRESHOLD = -3
LARGE_BLOCK = 1 << 20


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
    _return_large_blocks()
    # What the worker holds now is never freed: out of the collector's sight, a horse's
    # collections do not write to (and so copy) the pages it shares with the worker.
    gc.freeze()


def _return_large_blocks() -> None:
    """Give every block of a megabyte or more pages of its own, handed back when it is freed.

    Left alone, glibc raises that threshold each time a large block is freed (up to 32 MiB),
    so a scene's canvases, planes and frames end up in the heap, and in a second heap for
    the part a job renders beside another (`parts.Beside`), where what is freed stays
    mapped: a 30 s video's horse peaked at 524 MiB that way, 376 MiB with this. Set here,
    before the fork, it holds in every work horse."""
    try:
        ctypes.CDLL(None).mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK)
    except AttributeError:
        logger.info("no glibc mallopt here; large blocks are left to the allocator")
