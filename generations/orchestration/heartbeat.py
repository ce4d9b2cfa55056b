"""Heartbeats: a running PhaseRun or PartRun stamps `heartbeat_at` every few seconds, so
the reconciler can tell work in progress from work whose worker died."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.utils import timezone

from generations.models import PartRun, PhaseRun


@contextmanager
def heartbeat(model: type[PhaseRun] | type[PartRun], pk: int) -> Iterator[None]:
    """Stamp `heartbeat_at` on the row every HEARTBEAT_SECONDS while the body runs. The
    first stamp is the claim's own (`steps.claim`, `parts._claim`)."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.HEARTBEAT_SECONDS):
                model.objects.filter(pk=pk).update(heartbeat_at=timezone.now())
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{model.__name__}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
