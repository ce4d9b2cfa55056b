"""What /health and /metrics report: the parts the product needs, and counters for Prometheus."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import Count, Q, Sum
from rq import Worker

from generations.models import PhaseRun, Status, VideoGeneration
from generations.orchestration.dispatch import get_queue
from media.run import ffmpeg_available
from providers.registry import active_providers

PHASE_DURATION_BUCKETS = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


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


def health_report() -> tuple[bool, dict[str, object]]:
    """(healthy, body). Queue depth is reported, not judged: a long queue is not an outage."""
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
        "checks": {name: "ok" if check.ok else f"error: {check.detail}" for name, check in checks.items()},
        "failing": [name for name, check in checks.items() if not check.ok],
        "workers": checks["workers"].detail if checks["workers"].ok else 0,
        "queue_depth": queue_depth,
        "providers": active_providers(),
    }
    return healthy, body


def prometheus_metrics() -> str:
    """The Prometheus text exposition of the product's counters."""
    lines: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, object]]) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        lines.extend(f"{name}{labels} {value}" for labels, value in samples)

    by_status = dict(VideoGeneration.objects.values_list("status").annotate(n=Count("id")).order_by())
    metric(
        "videogen_generations",
        "gauge",
        "Generations by status.",
        [(f'{{status="{status.value}"}}', by_status.get(status.value, 0)) for status in Status],
    )

    buckets = {
        f"le_{index}": Count("id", filter=Q(duration_seconds__lte=bound))
        for index, bound in enumerate(PHASE_DURATION_BUCKETS)
    }
    rows = (
        PhaseRun.objects.filter(status=PhaseRun.State.SUCCEEDED, duration_seconds__isnull=False)
        .values("phase")
        .annotate(count=Count("id"), total=Sum("duration_seconds"), **buckets)
        .order_by("phase")
    )
    samples: list[tuple[str, object]] = []
    for row in rows:
        phase = row["phase"]
        for index, bound in enumerate(PHASE_DURATION_BUCKETS):
            samples.append((f'_bucket{{phase="{phase}",le="{bound}"}}', row[f"le_{index}"]))
        samples.append((f'_bucket{{phase="{phase}",le="+Inf"}}', row["count"]))
        samples.append((f'_sum{{phase="{phase}"}}', round(row["total"], 3)))
        samples.append((f'_count{{phase="{phase}"}}', row["count"]))
    lines.append("# HELP videogen_phase_duration_seconds Duration of succeeded phase runs.")
    lines.append("# TYPE videogen_phase_duration_seconds histogram")
    lines.extend(f"videogen_phase_duration_seconds{suffix} {value}" for suffix, value in samples)

    total_cost = VideoGeneration.objects.aggregate(total=Sum("cost_usd"))["total"] or Decimal("0")
    metric("videogen_cost_usd_total", "counter", "Money spent on provider calls, in USD.", [("", total_cost)])

    redis_ok = _guard(_redis).ok
    queue = get_queue()
    metric(
        "videogen_queue_depth",
        "gauge",
        "Jobs waiting in the queue.",
        [("", queue.count if redis_ok else "NaN")],
    )
    metric(
        "videogen_workers",
        "gauge",
        "Live RQ workers.",
        [("", len(Worker.all(queue=queue)) if redis_ok else "NaN")],
    )
    return "\n".join(lines) + "\n"
