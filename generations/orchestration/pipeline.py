"""The orchestrator: runs one phase (or one part of a fan-out phase) per RQ job, records
the PhaseOutput, moves the status and progress, and enqueues what comes next.

It reads the phase registry and names no phase. Exactly once: a phase job claims its
PhaseRun before working and a part job its PartRun, so a duplicate delivery, a second
reconciler's resume or a retried job finds the claim taken and does nothing; a phase with
a succeeded PhaseRun and a part with a succeeded PartRun are never run (nor paid) again.
Phases themselves never enqueue.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from rq.timeouts import JobTimeoutException

from generations import services
from generations.counters import observe_phase_duration
from generations.models import PartRun, PhaseRun, Run, Status, VideoGeneration, pipeline_order
from generations.orchestration import dispatch
from generations.orchestration.context import phase_context, phase_input, report_progress
from generations.orchestration.heartbeat import heartbeat
from generations.orchestration.workdirs import workdir
from phases.contract import FanOutPhase, Phase, PhaseCanceled, PhaseInput, PhaseOutput
from phases.registry import (
    PHASES,
    get_phase,
    next_phase,
    phase_for_status,
    phase_number,
    progress_before,
    progress_share,
    review_gate,
)

logger = logging.getLogger(__name__)


def advance(video_id: str) -> None:
    """Enqueue the generation's first unfinished phase, or complete it when none is left."""
    generation = VideoGeneration.objects.filter(id=video_id).first()
    if generation is None or not generation.is_active:
        return
    finished = succeeded_phases(video_id)
    gate = review_gate()
    for phase in PHASES:
        if (
            gate is not None
            and phase is next_phase(gate)
            and generation.review
            and generation.approved_at is None
        ):
            # The review gate: wait, holding no worker, until a person approves the storyboard.
            # A retried generation passes through the statuses of its finished phases first.
            if generation.status != Status.AWAITING_REVIEW:
                _enter(generation, gate)
                services.generation_transition(
                    video_id=video_id,
                    to=Status.AWAITING_REVIEW,
                    note=f"{gate.label.lower()} ready for review",
                )
            return
        if phase.name not in finished:
            attempt = _last_attempt(video_id, phase.name) + 1
            dispatch.enqueue_phase(video_id, phase.name, attempt=attempt, timeout=phase.timeout)
            return
    _complete(generation)


def run_phase(video_id: str, phase_name: str) -> None:
    """Run one phase of one generation (the body of an RQ job)."""
    phase = get_phase(phase_name)
    generation = VideoGeneration.objects.filter(id=video_id).first()
    if generation is None or not generation.is_active:
        logger.info("generation=%s phase=%s skipped: generation is not active", video_id, phase.name)
        return
    finished = succeeded_phases(video_id)
    if phase.name in finished:
        # A duplicate of a job that already finished: that job moved the pipeline on.
        logger.info("generation=%s phase=%s skipped: already succeeded", video_id, phase.name)
        return
    if any(earlier.name not in finished for earlier in PHASES[: PHASES.index(phase)]):
        # A stray job from before a restart (regenerate, retry): advance enqueues it again
        # once the phases before it have run.
        logger.info("generation=%s phase=%s skipped: an earlier phase is unfinished", video_id, phase.name)
        return
    run: PhaseRun | None = None
    try:
        _enter(generation, phase)
        run = _claim(generation, phase)
        if run is None:
            return
        inputs = phase_input(generation, phase)
        if isinstance(phase, FanOutPhase):
            _fan_out(video_id, phase, run, inputs)
            return
        with workdir(video_id, phase.name) as scratch, heartbeat(PhaseRun, run.id):
            output = phase.run(inputs, phase_context(video_id, phase, run.id, scratch))
    except services.InvalidTransition as exc:
        # A stale job for a generation that has moved on (or ended): nothing to do.
        logger.info("generation=%s phase=%s skipped: %s", video_id, phase.name, exc)
        return
    except BaseException as exc:
        _fail(video_id, phase, run, exc)
        if not isinstance(exc, Exception):
            raise
        return
    _finish(video_id, phase, run, output)


def run_part(video_id: str, phase_name: str, index: int) -> None:
    """Render one part of a fan-out phase (the body of an RQ job); the last part to finish
    joins the phase and moves the pipeline on."""
    phase = get_phase(phase_name)
    assert isinstance(phase, FanOutPhase)
    if not VideoGeneration.objects.filter(id=video_id, status=phase.status).exists():
        logger.info(
            "generation=%s phase=%s part=%s skipped: generation moved on", video_id, phase.name, index
        )
        return
    parts = PartRun.objects.filter(generation_id=video_id, phase=phase.name, index=index)
    # Claim the part unless it is done or another live job holds it (a RUNNING part with a
    # fresh heartbeat): a duplicate delivery of the same job must not render it twice.
    stale = timezone.now() - timedelta(seconds=settings.RECONCILE_STALE_SECONDS)
    claimable = Q(status__in=[PartRun.State.PENDING, PartRun.State.FAILED]) | Q(
        status=PartRun.State.RUNNING, heartbeat_at__lt=stale
    )
    claimed = parts.filter(claimable).update(
        status=PartRun.State.RUNNING,
        attempts=F("attempts") + 1,
        started_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    if not claimed:
        _maybe_join(video_id, phase)
        return
    part = parts.get()
    run_id = _running_run_id(video_id, phase)
    generation = VideoGeneration.objects.get(id=video_id)
    started = time.monotonic()
    try:
        with workdir(video_id, f"{phase.name}-{index}") as scratch, heartbeat(PartRun, part.id):
            ctx = phase_context(video_id, phase, run_id, scratch)
            part_output = phase.run_part(phase_input(generation, phase), index, ctx)
    except BaseException as exc:
        part.fail(_reason(phase, exc))
        _fail(video_id, phase, PhaseRun.objects.filter(id=run_id).first(), exc, part=index)
        if not isinstance(exc, Exception):
            raise
        return
    seconds = round(time.monotonic() - started, 3)
    part.succeed(output_data=part_output, cost_usd=ctx.meter.total, duration_seconds=seconds)
    logger.info(
        "generation=%s phase=%s part=%s event=end duration=%.2fs cost=%s",
        video_id,
        phase.name,
        index,
        seconds,
        ctx.meter.total,
    )
    if run_id is not None:
        done = PartRun.objects.filter(
            generation_id=video_id, phase=phase.name, status=PartRun.State.SUCCEEDED
        ).count()
        report_progress(video_id, phase, run_id, done, phase.part_count(phase_input(generation, phase)))
    _maybe_join(video_id, phase)


# --- steps -----------------------------------------------------------------------------


def _enter(generation: VideoGeneration, phase: Phase) -> None:
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


def _claim(generation: VideoGeneration, phase: Phase) -> PhaseRun | None:
    """Open this job's attempt at the phase, or return None when another job holds it.

    The partial unique constraint `phase_run_one_running` decides: of two jobs for the same
    phase (a duplicate delivery of one job id, or jobs enqueued by two advances or two
    reconcilers at the same moment), only one inserts its RUNNING row; the other does
    nothing. An attempt whose worker died is closed by the reconciler before it resumes."""
    try:
        with transaction.atomic():
            attempt = _last_attempt(generation.id, phase.name) + 1
            run = PhaseRun.objects.create(
                generation=generation, phase=phase.name, attempt=attempt, heartbeat_at=timezone.now()
            )
    except IntegrityError:
        logger.info("generation=%s phase=%s skipped: another job holds it", generation.id, phase.name)
        return None
    logger.info("generation=%s phase=%s event=start attempt=%s", generation.id, phase.name, attempt)
    return run


def _fan_out(video_id: str, phase: FanOutPhase, run: PhaseRun, inputs: PhaseInput) -> None:
    total = phase.part_count(inputs)
    with transaction.atomic():
        for index in range(total):
            PartRun.objects.get_or_create(generation_id=video_id, phase=phase.name, index=index)
        pending = list(
            PartRun.objects.filter(generation_id=video_id, phase=phase.name, index__lt=total).exclude(
                status=PartRun.State.SUCCEEDED
            )
        )
        PhaseRun.objects.filter(id=run.id).update(detail={"done": total - len(pending), "total": total})
        for part in pending:
            dispatch.enqueue_part(
                video_id, phase.name, part.index, attempt=part.attempts + 1, timeout=phase.timeout
            )
    if not pending:
        _maybe_join(video_id, phase)


def _maybe_join(video_id: str, phase: FanOutPhase) -> None:
    """Join the phase if every part has succeeded. The row lock makes exactly one of the
    parts finishing at the same moment do it."""
    with transaction.atomic():
        generation = VideoGeneration.objects.select_for_update().get(id=video_id)
        if generation.status != phase.status:
            return
        total = phase.part_count(phase_input(generation, phase))
        parts = list(PartRun.objects.filter(generation_id=video_id, phase=phase.name, index__lt=total))
        if len(parts) < total or any(part.status != PartRun.State.SUCCEEDED for part in parts):
            return
        run = PhaseRun.objects.filter(
            generation_id=video_id, phase=phase.name, status=PhaseRun.State.RUNNING
        ).last()
        if run is None or run.detail.get("joined"):
            return
        run.detail = {**run.detail, "joined": True}
        run.save(update_fields=["detail"])
    try:
        with workdir(video_id, phase.name) as scratch:
            ctx = phase_context(video_id, phase, run.id, scratch)
            ctx.parts = [part.output_data for part in sorted(parts, key=lambda part: part.index)]
            output = _with_parts_cost(phase.run(phase_input(generation, phase), ctx), parts, run)
    except Exception as exc:
        _fail(video_id, phase, run, exc)
        return
    _finish(video_id, phase, run, output)


def _with_parts_cost(output: PhaseOutput, parts: list[PartRun], run: PhaseRun) -> PhaseOutput:
    """A fan-out phase costs what its parts cost, and lasts from its start to the join."""
    return PhaseOutput(
        video_id=output.video_id,
        phase=output.phase,
        status=output.status,
        output_data=output.output_data,
        cost_usd=output.cost_usd + sum((part.cost_usd for part in parts), Decimal("0")),
        duration_seconds=round((timezone.now() - run.started_at).total_seconds(), 3),
    )


def _finish(video_id: str, phase: Phase, run: PhaseRun | None, output: PhaseOutput) -> None:
    assert run is not None
    with transaction.atomic():
        generation = VideoGeneration.objects.select_for_update().get(id=video_id)
        if generation.status != phase.status:
            # Canceled (or failed elsewhere) while this phase ran: its work is not used.
            run.cancel("discarded")
            return
        if not run.succeed(
            output_data=output.output_data,
            cost_usd=output.cost_usd,
            duration_seconds=output.duration_seconds,
        ):
            return  # the attempt that replaced this one succeeded first and recorded it
        # Counted once the success is committed: a rolled-back one never happened.
        transaction.on_commit(
            partial(observe_phase_duration, phase.name, output.duration_seconds), robust=True
        )
        record = {name: output.output_data[name] for name in phase.record_fields}
        VideoGeneration.objects.filter(id=video_id).update(**record, updated_at=timezone.now())
    services.generation_set_progress(
        video_id=video_id, progress=progress_before(phase) + progress_share(phase)
    )
    logger.info(
        "generation=%s phase=%s event=end status=succeeded duration=%.2fs cost=%s",
        video_id,
        phase.name,
        output.duration_seconds,
        output.cost_usd,
    )
    advance(video_id)


def _complete(generation: VideoGeneration) -> None:
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


def _fail(
    video_id: str, phase: Phase, run: PhaseRun | None, exc: BaseException, part: int | None = None
) -> None:
    if isinstance(exc, PhaseCanceled):
        if run is not None:
            run.cancel()
        return
    where = f" on scene {part + 1}" if part is not None else ""
    message = f"Phase {phase_number(phase)} ({phase.name}) failed{where}: {_reason(phase, exc)}"
    logger.error(
        "generation=%s phase=%s event=end status=failed %s", video_id, phase.name, message, exc_info=exc
    )
    if run is not None:
        run.fail(message, duration_seconds=round((timezone.now() - run.started_at).total_seconds(), 3))
    services.generation_fail(video_id=video_id, message=message)


def _reason(phase: Phase, exc: BaseException) -> str:
    if isinstance(exc, JobTimeoutException):
        return f"timed out after {phase.timeout} s"
    text = str(exc).strip() or exc.__class__.__name__
    return text[:2000]


# --- queries -----------------------------------------------------------------------------


def succeeded_phases(video_id: str) -> set[str]:
    return set(
        PhaseRun.objects.filter(generation_id=video_id, status=Run.SUCCEEDED).values_list("phase", flat=True)
    )


def _last_attempt(video_id: str, phase_name: str) -> int:
    return (
        PhaseRun.objects.filter(generation_id=video_id, phase=phase_name).aggregate(n=Max("attempt"))["n"]
        or 0
    )


def _running_run_id(video_id: str, phase: Phase) -> int | None:
    return (
        PhaseRun.objects.filter(generation_id=video_id, phase=phase.name, status=Run.RUNNING)
        .values_list("id", flat=True)
        .last()
    )
