"""The orchestrator: runs the phases in order, records each PhaseOutput, moves the status and
progress, and starts what comes next.

It reads the phase registry and names no phase. Short phases share a job: when a phase
finishes in a job with time left for the next phase's whole timeout, the next one runs
right there (no queue pick-up, no fork, no new connection); otherwise it gets a job of its
own. Parts of fan-out phases start before their phase's turn (`early`), and run in jobs of
their own, which go on with the parts queued after them (`parts`).

Exactly once: a phase claims its PhaseRun before working and a part its PartRun, so a
duplicate delivery, a second reconciler's resume or a retried job finds the claim taken and
does nothing; a phase with a succeeded PhaseRun and a part with a succeeded PartRun are
never run (nor paid) again. Phases themselves never enqueue.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from functools import partial

from django.db import transaction
from django.utils import timezone

from generations import services
from generations.counters import observe_phase_duration
from generations.models import PartRun, PhaseRun, Status, VideoGeneration
from generations.orchestration import dispatch, early, parts, steps
from generations.orchestration.context import phase_context, phase_input
from generations.orchestration.heartbeat import heartbeat
from generations.orchestration.workdirs import workdir
from phases.contract import FanOutPhase, Phase, PhaseInput, PhaseOutput
from phases.registry import (
    PHASES,
    get_phase,
    is_fan_out,
    next_phase,
    progress_before,
    progress_share,
    review_gate,
)

logger = logging.getLogger(__name__)


def advance_after_commit(video_id: str) -> None:
    """Start the generation's next work once the caller's transaction has committed."""
    transaction.on_commit(partial(advance, video_id))


def advance(video_id: str) -> None:
    """Start the generation's first unfinished phase, and every part of a later phase that
    may already start; or complete the generation when no phase is left."""
    generation = VideoGeneration.objects.filter(id=video_id).first()
    if generation is None or not generation.is_active:
        return
    finished = steps.succeeded_phases(video_id)
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
                steps.enter(generation, gate)
                services.generation_transition(
                    video_id=video_id,
                    to=Status.AWAITING_REVIEW,
                    note=f"{gate.label.lower()} ready for review",
                )
            return
        if phase.name not in finished:
            early.start_ready_parts(generation, finished)
            _start(generation, phase)
            return
    steps.complete(generation)


def _start(generation: VideoGeneration, phase: Phase) -> None:
    seconds_left = dispatch.seconds_left_in_job()
    # A fan-out phase's turn only claims and starts its parts (its join runs in the job that
    # finishes the last part), so in a job it never needs a job of its own.
    if seconds_left is not None and (is_fan_out(phase) or seconds_left > phase.timeout):
        run_phase(generation.id, phase.name)
        return
    if seconds_left is not None:
        # From a job, the phase's turn is next: its status shows now, not when a worker is free.
        steps.enter(generation, phase)
    attempt = steps.last_attempt(generation.id, phase.name) + 1
    waits_for_review = generation.review and generation.approved_at is None
    dispatch.enqueue_phase(
        generation.id, phase.name, attempt=attempt, timeout=_job_timeout(phase, waits_for_review)
    )


def _job_timeout(phase: Phase, waits_for_review: bool) -> int:
    """A phase job may run the phases after it that need no job of their own (up to the
    review gate, when the generation waits there, or the next fan-out phase's turn): its
    limit is the sum of their timeouts. When it reaches a fan-out phase's turn, it then goes
    on with that phase's parts as a part job does (`parts.take_over`), and has a part job's
    time for them too."""
    total, current = phase.timeout, phase
    while not is_fan_out(current):
        following = next_phase(current)
        if following is None or (current.review_after and waits_for_review):
            return total
        if not is_fan_out(following):
            total += following.timeout
        current = following
    return total + early.part_job_timeout(current)


def run_phase(video_id: str, phase_name: str) -> None:
    """Run one phase of one generation (the body of an RQ job, or called by `advance`)."""
    phase = get_phase(phase_name)
    generation = VideoGeneration.objects.filter(id=video_id).first()
    if generation is None or not generation.is_active:
        logger.info("generation=%s phase=%s skipped: generation is not active", video_id, phase.name)
        return
    finished = steps.succeeded_phases(video_id)
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
        steps.enter(generation, phase)
        run = steps.claim(generation, phase)
        if run is None:
            return
        inputs = phase_input(generation, phase)
        if isinstance(phase, FanOutPhase):
            _fan_out(video_id, phase, run, inputs)
            return
        with (
            workdir(video_id, phase.name) as scratch,
            heartbeat(PhaseRun, run.id),
            parts.beside_phase(video_id, phase) as beside,
        ):
            output = phase.run(inputs, phase_context(video_id, phase, run.id, scratch))
    except services.InvalidTransition as exc:
        # A stale job for a generation that has moved on (or ended): nothing to do.
        logger.info("generation=%s phase=%s skipped: %s", video_id, phase.name, exc)
        return
    except BaseException as exc:
        steps.fail(video_id, phase, run, exc)
        if not isinstance(exc, Exception):
            raise
        return
    try:
        _finish(video_id, phase, run, output)
    except BaseException:
        beside.give_back()
        raise
    beside.go_on()


def _fan_out(video_id: str, phase: FanOutPhase, run: PhaseRun, inputs: PhaseInput) -> None:
    """The phase's turn: start the parts not made, running or waiting yet, then join if
    they are all done (made before the turn)."""
    total = phase.part_count(inputs)
    with transaction.atomic():
        rows = early.part_rows(video_id, [(phase, index) for index in range(total)])
        parts = [rows[phase.name, index] for index in range(total)]
        done = sum(part.status == PartRun.State.SUCCEEDED for part in parts)
        PhaseRun.objects.filter(id=run.id).update(detail={"done": done, "total": total})
        for part in parts:
            if part.status in (PartRun.State.PENDING, PartRun.State.FAILED):
                early.enqueue_part(video_id, phase, part.index, attempt=part.attempts + 1)
    if done == total:
        maybe_join(video_id, phase)


def maybe_join(video_id: str, phase: FanOutPhase) -> None:
    """Join the phase if it is its turn and every part has succeeded. The row lock makes
    exactly one of the parts finishing at the same moment do it."""
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
        steps.fail(video_id, phase, run, exc)
        return
    _finish(video_id, phase, run, output)


def _with_parts_cost(output: PhaseOutput, parts: list[PartRun], run: PhaseRun) -> PhaseOutput:
    """A fan-out phase costs what its parts cost, and lasts from its start to the join; how
    long the join itself took stays in the run's detail (its parts have their own times)."""
    PhaseRun.objects.filter(id=run.id).update(detail={**run.detail, "join_seconds": output.duration_seconds})
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
