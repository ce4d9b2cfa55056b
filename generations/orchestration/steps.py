"""The bookkeeping moves of the orchestrator, shared by phase jobs and part jobs: entering a
phase's status, claiming an attempt, completing or failing the generation, and the queries
they ask."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from rq.timeouts import JobTimeoutException

from generations import services
from generations.models import PhaseRun, Run, Status, VideoGeneration, pipeline_order
from phases.contract import Phase, PhaseCanceled
from phases.registry import phase_for_status, phase_number

logger = logging.getLogger(__name__)


def enter(generation: VideoGeneration, phase: Phase) -> None:
    """Move the status forward to the phase's own, one allowed step at a time (a resumed
    generation passes through the statuses of phases that had already finished)."""
    order = pipeline_order()
    if generation.status not in order:
        raise services.InvalidTransition(generation, phase.status)
    current, target = order.index(generation.status), order.index(phase.status)
    if current > target:
        raise services.InvalidTransition(generation, phase.status)
    for status in order[current + 1 : target + 1]:
        entered = phase_for_status(status)
        assert entered is not None
        fields = {"current_phase": entered.name}
        if generation.started_at is None:
            fields["started_at"] = generation.started_at = timezone.now()
        services.generation_transition(
            video_id=generation.id, to=status, note=f"phase {entered.name}", **fields
        )
        generation.status = status


def claim(generation: VideoGeneration, phase: Phase) -> PhaseRun | None:
    """Open this job's attempt at the phase, or return None when another job holds it.

    The partial unique constraint `phase_run_one_running` decides: of two jobs for the same
    phase (a duplicate delivery of one job id, or jobs enqueued by two advances or two
    reconcilers at the same moment), only one inserts its RUNNING row; the other does
    nothing. An attempt whose worker died is closed by the reconciler before it resumes."""
    try:
        with transaction.atomic():
            attempt = last_attempt(generation.id, phase.name) + 1
            run = PhaseRun.objects.create(
                generation=generation, phase=phase.name, attempt=attempt, heartbeat_at=timezone.now()
            )
    except IntegrityError:
        logger.info("generation=%s phase=%s skipped: another job holds it", generation.id, phase.name)
        return None
    logger.info("generation=%s phase=%s event=start attempt=%s", generation.id, phase.name, attempt)
    return run


def complete(generation: VideoGeneration) -> None:
    now = timezone.now()
    started = generation.started_at or generation.created_at
    services.generation_transition(
        video_id=generation.id,
        to=Status.COMPLETE,
        note="all phases finished",
        completed_at=now,
        generation_time_seconds=round((now - started).total_seconds(), 3),
        current_phase=None,
        progress=100.0,
    )


def fail(
    video_id: str, phase: Phase, run: PhaseRun | None, exc: BaseException, part: int | None = None
) -> None:
    if isinstance(exc, PhaseCanceled):
        if run is not None:
            run.cancel()
        return
    names_scene = part is not None and getattr(phase, "parts_per_scene", True)
    where = f" on scene {part + 1}" if names_scene else ""
    message = f"Phase {phase_number(phase)} ({phase.name}) failed{where}: {reason(phase, exc)}"
    logger.error(
        "generation=%s phase=%s event=end status=failed %s", video_id, phase.name, message, exc_info=exc
    )
    if run is not None:
        run.fail(message, duration_seconds=round((timezone.now() - run.started_at).total_seconds(), 3))
    services.generation_fail(video_id=video_id, message=message)


def reason(phase: Phase, exc: BaseException) -> str:
    if isinstance(exc, JobTimeoutException):
        return f"timed out after {phase.timeout} s"
    text = str(exc).strip() or exc.__class__.__name__
    return text[:2000]


def succeeded_phases(video_id: str) -> set[str]:
    return set(
        PhaseRun.objects.filter(generation_id=video_id, status=Run.SUCCEEDED).values_list("phase", flat=True)
    )


def last_attempt(video_id: str, phase_name: str) -> int:
    return (
        PhaseRun.objects.filter(generation_id=video_id, phase=phase_name).aggregate(n=Max("attempt"))["n"]
        or 0
    )


def running_run_id(video_id: str, phase: Phase) -> int | None:
    return (
        PhaseRun.objects.filter(generation_id=video_id, phase=phase.name, status=Run.RUNNING)
        .values_list("id", flat=True)
        .last()
    )
