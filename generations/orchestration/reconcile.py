"""Find generations whose work was lost (Redis flushed or restarted, a worker killed) and
put them back on the queue from their first unfinished phase."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from generations import services
from generations.models import PartRun, PhaseRun, Status, VideoGeneration, active_statuses
from generations.orchestration import dispatch

logger = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    resumed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def reconcile(*, stale_after: float | None = None, max_resumes: int | None = None) -> ReconcileReport:
    """Re-enqueue every active generation that has no job waiting in Redis, no running job
    with a fresh heartbeat and no change for `stale_after` seconds. One resumed more than
    `max_resumes` times is failed instead, with a message that says so. Safe to run at any
    time and from several machines at once: a generation with live work is left alone, each
    resume is a compare-and-set (two reconcilers resume a generation once), and a duplicate
    job finds its phase or part claimed."""
    stale_after = settings.RECONCILE_STALE_SECONDS if stale_after is None else stale_after
    max_resumes = settings.RECONCILE_MAX_RESUMES if max_resumes is None else max_resumes
    cutoff = timezone.now() - timedelta(seconds=stale_after)
    waiting = dispatch.waiting_video_ids()
    report = ReconcileReport()
    for part in PartRun.objects.filter(
        status=PartRun.State.RUNNING, heartbeat_at__lt=cutoff, generation__status__in=active_statuses()
    ).select_related("generation"):
        # A part whose worker died: only that part is rendered again. A job may hold two
        # parts of a generation (parts.Beside); losing its worker counts as one resume.
        again = part.generation_id in report.resumed
        if not again and _give_up_if_too_many(part.generation, max_resumes, report):
            continue
        if not services.generation_resume_part(
            video_id=part.generation_id,
            phase=part.phase,
            index=part.index,
            seen_heartbeat=part.heartbeat_at,
            counted=not again,
        ):
            continue  # another reconciler resumed it first, or a job claimed it since
        if not again:
            report.resumed.append(part.generation_id)
        logger.warning(
            "generation=%s %s[%s] resumed by reconcile", part.generation_id, part.phase, part.index
        )

    # A generation awaiting review has no work to lose: it waits for a person, not a worker.
    candidates = VideoGeneration.objects.filter(status__in=active_statuses(), updated_at__lt=cutoff).exclude(
        status=Status.AWAITING_REVIEW
    )
    for generation in candidates.exclude(id__in=waiting).exclude(id__in=report.resumed):
        if _has_live_work(generation.id, cutoff):
            continue
        if _give_up_if_too_many(generation, max_resumes, report):
            continue
        if not services.generation_resume(
            video_id=generation.id, seen_updated_at=generation.updated_at, silent_since=cutoff
        ):
            continue  # another reconciler resumed it first, or it moved on since
        report.resumed.append(generation.id)
        logger.warning(
            "generation=%s resumed by reconcile (phase %s)", generation.id, generation.current_phase
        )
    return report


def _give_up_if_too_many(generation: VideoGeneration, max_resumes: int, report: ReconcileReport) -> bool:
    if generation.resumes < max_resumes:
        return False
    message = (
        f"Lost its worker or queued job {generation.resumes + 1} times "
        f"(last in phase {generation.current_phase or 'queue'}); giving up"
    )
    if services.generation_fail(video_id=generation.id, message=message):
        report.failed.append(generation.id)
    return True


def _has_live_work(video_id: str, cutoff: datetime) -> bool:
    fresh = Q(heartbeat_at__gte=cutoff) | Q(heartbeat_at__isnull=True, started_at__gte=cutoff)
    return (
        PhaseRun.objects.filter(fresh, generation_id=video_id, status=PhaseRun.State.RUNNING).exists()
        or PartRun.objects.filter(fresh, generation_id=video_id, status=PartRun.State.RUNNING).exists()
    )
