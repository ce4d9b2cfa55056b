"""What /health and /metrics report: the parts the product needs, and metrics for Prometheus.

/metrics is written by prometheus_client from a collector read at each scrape, not from
metrics each process keeps: the web process answers the scrape, while the work is done in
workers (and in the horse RQ forks for each job), possibly on other machines. What is a state
(generations by status, queue depth, workers) is read where it lives, in the database and
Redis; what only grows (the money spent, the phase durations) is counted in Redis when it
happens (`counters`), so deleting rows never lowers it. prometheus_client's multiprocess mode
would need one directory shared by every process and leave a file behind for every forked
horse."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Count
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4 as CONTENT_TYPE
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
from rq import Worker

from generations.counters import PhaseDurations, phase_durations, spend_totals
from generations.models import VideoGeneration, status_choices
from generations.orchestration.dispatch import get_queue
from media.run import ffmpeg_available
from providers.registry import active_providers

__all__ = ["CONTENT_TYPE", "health_report", "prometheus_metrics"]


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str | int = "ok"


def _guard(probe: Callable[[], Check]) -> Check:
    try:
        return probe()
    except Exception as exc:  # a failing dependency is what a health check reports, whatever it raises
        return Check(False, f"{exc.__class__.__name__}: {str(exc)[:200]}")


def _database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Check(True)


def _redis() -> Check:
    get_queue().connection.ping()
    return Check(True)


def _workers() -> Check:
    # Worker.all reads RQ's registry, from which a worker drops once its heartbeat expires.
    count = len(Worker.all(queue=get_queue()))
    return Check(count > 0, count if count else "no live worker")


def _ffmpeg() -> Check:
    return Check(True) if ffmpeg_available() else Check(False, "ffmpeg/ffprobe not found")


def _storage() -> Check:
    name = default_storage.save(f"health/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    default_storage.delete(name)
    return Check(True)


def health_report(*, details: bool) -> tuple[bool, dict[str, object]]:
    """(healthy, body). Queue depth is reported, not judged: a long queue is not an outage.
    Without `details` a failing check says only "error": exception text can name hosts,
    users and paths, which are for operators."""
    checks = {
        "database": _guard(_database),
        "redis": _guard(_redis),
        "workers": _guard(_workers),
        "ffmpeg": _guard(_ffmpeg),
        "storage": _guard(_storage),
    }
    queue_depth: int | None = get_queue().count if checks["redis"].ok else None
    healthy = all(check.ok for check in checks.values())
    body = {
        "status": "ok" if healthy else "error",
        "checks": {
            name: "ok" if check.ok else (f"error: {check.detail}" if details else "error")
            for name, check in checks.items()
        },
        "failing": [name for name, check in checks.items() if not check.ok],
        "workers": checks["workers"].detail if checks["workers"].ok else 0,
        "queue_depth": queue_depth,
        "providers": active_providers(),
    }
    return healthy, body


class _Collector(Collector):
    """Read at each scrape: gauges from the database and the queue as they are now, the
    phase durations and the money spent from their counters in Redis."""

    def collect(self) -> Iterator[Metric]:
        by_status = dict(VideoGeneration.objects.values_list("status").annotate(n=Count("id")).order_by())
        generations = GaugeMetricFamily("videogen_generations", "Generations by status.", labels=["status"])
        for status, _label in status_choices():
            generations.add_metric([status], by_status.get(status, 0))
        yield generations

        redis_ok = _guard(_redis).ok
        yield self._phase_durations(phase_durations() if redis_ok else {})
        charged, credited = spend_totals() if redis_ok else (None, None)
        yield CounterMetricFamily(
            "videogen_cost_usd",
            "Money charged for provider calls, in USD (estimates and upward settlements).",
            value=float(charged) if charged is not None else math.nan,
        )
        yield CounterMetricFamily(
            "videogen_cost_credited_usd",
            "Estimates charged before paid calls that their settlement found too high, in USD.",
            value=float(credited) if credited is not None else math.nan,
        )
        queue = get_queue()
        yield GaugeMetricFamily(
            "videogen_queue_depth", "Jobs waiting in the queue.", value=queue.count if redis_ok else math.nan
        )
        yield GaugeMetricFamily(
            "videogen_workers",
            "Live RQ workers.",
            value=len(Worker.all(queue=queue)) if redis_ok else math.nan,
        )

    @staticmethod
    def _phase_durations(by_phase: dict[str, PhaseDurations]) -> HistogramMetricFamily:
        histogram = HistogramMetricFamily(
            "videogen_phase_duration_seconds", "Duration of succeeded phase runs.", labels=["phase"]
        )
        for phase, durations in by_phase.items():
            buckets = [(floatToGoString(bound), runs) for bound, runs in durations.buckets]
            histogram.add_metric(
                [phase], [*buckets, ("+Inf", durations.count)], sum_value=durations.total_seconds
            )
        return histogram


_registry = CollectorRegistry(auto_describe=False)
_registry.register(_Collector())


def prometheus_metrics() -> bytes:
    """The Prometheus text exposition (`CONTENT_TYPE`) of the product's metrics."""
    return generate_latest(_registry)
