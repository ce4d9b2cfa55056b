"""The pipeline's RQ worker: RQ's own forking worker (a work horse per job, which cancel can
kill), with what the jobs run loaded once, before the first fork.

RQ imports a job's function in the work horse, and a horse ends with its job, so without
this every job would import the orchestrator and its providers again and read the icon
library from disk again: tens of milliseconds per job, more than the fork itself."""

from __future__ import annotations

import gc
import logging
from importlib import import_module
from typing import Any

import rq

from providers import registry
from providers.local.icons import IconLibraryMissing, library

logger = logging.getLogger(__name__)


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
    # What the worker holds now is never freed: out of the collector's sight, a horse's
    # collections do not write to (and so copy) the pages it shares with the worker.
    gc.freeze()
