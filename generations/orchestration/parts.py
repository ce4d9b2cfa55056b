"""Part jobs: one part of a fan-out phase (a scene's reference or clip, the soundtrack),
rendered by its own RQ job, before its phase's turn when it may start early (`early`).
The last part to finish in the phase's turn joins the phase.

A part job goes on with the generation's part jobs that come up next in the queue, while it
has the time for them (`early.take_next_part`): with one worker, every scene and the
soundtrack in one job; with several, each takes the next scene as it frees up."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from generations.models import PartRun, PhaseRun, VideoGeneration
from generations.orchestration import early, pipeline, steps
from generations.orchestration.context import phase_context, phase_input, report_progress
from generations.orchestration.heartbeat import heartbeat
from generations.orchestration.workdirs import workdir
from phases.contract import FanOutPhase
from phases.registry import get_phase

logger = logging.getLogger(__name__)


def run_part(video_id: str, phase_name: str, index: int) -> None:
    """Render one part of a fan-out phase (the body of an RQ job), then the generation's
    parts whose jobs come next in the queue while the job has time for them."""
    rendered = _run_part(video_id, phase_name, index)
    while rendered and (taken := early.take_next_part(video_id)) is not None:
        rendered = _run_part(video_id, *taken)


def _run_part(video_id: str, phase_name: str, index: int) -> bool:
    """Whether the part was rendered (and succeeded)."""
    phase = get_phase(phase_name)
    assert isinstance(phase, FanOutPhase)
    claimed = _claim_if_ready(video_id, phase, index)
    if claimed is None:
        pipeline.maybe_join(video_id, phase)
        return False
    return _render(video_id, phase, index, *claimed)


Claimed = tuple[VideoGeneration, PartRun, dict[str, dict]]


def _claim_if_ready(video_id: str, phase: FanOutPhase, index: int) -> Claimed | None:
    """The generation, the claimed part and the outputs of the parts it needs; None when
    the part is not to be rendered by this job."""
    statuses = early.running_statuses(phase)
    generation = VideoGeneration.objects.filter(id=video_id, status__in=statuses).first()
    if generation is None:
        logger.info(
            "generation=%s phase=%s part=%s skipped: generation moved on", video_id, phase.name, index
        )
        return None
    needed = {
        row.phase: row.output_data
        for row in PartRun.objects.filter(
            generation_id=video_id, index=index, phase__in=phase.part_needs, status=PartRun.State.SUCCEEDED
        )
    }
    if len(needed) < len(phase.part_needs):
        # A stray job from before a restart: what it reads is being made again, and the part
        # that makes it starts this one when it is done.
        logger.info(
            "generation=%s phase=%s part=%s skipped: waiting for its inputs", video_id, phase.name, index
        )
        return None
    part = _claim(video_id, phase, index)
    return None if part is None else (generation, part, needed)


def _render(
    video_id: str,
    phase: FanOutPhase,
    index: int,
    generation: VideoGeneration,
    part: PartRun,
    needed: dict[str, dict],
) -> bool:
    """Whether the part, and the part that follows it here, succeeded."""
    statuses = early.running_statuses(phase)
    run_id = steps.running_run_id(video_id, phase)
    started = time.monotonic()
    try:
        with workdir(video_id, f"{phase.name}-{index}") as scratch, heartbeat(PartRun, part.id):
            ctx = phase_context(video_id, phase, run_id, scratch, running_under=statuses)
            ctx.part_outputs = needed
            part_output = phase.run_part(phase_input(generation, phase), index, ctx)
    except BaseException as exc:
        part.fail(steps.reason(phase, exc))
        steps.fail(video_id, phase, PhaseRun.objects.filter(id=run_id).first(), exc, part=index)
        if not isinstance(exc, Exception):
            raise
        return False
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
    follow_on = early.start_dependent_parts(video_id, phase, index)
    # Claimed before this phase's turn can come (in maybe_join below), or that turn would
    # queue the part this job is about to render.
    next_part = None if follow_on is None else _claim_if_ready(video_id, follow_on, index)
    if run_id is not None:
        done = PartRun.objects.filter(
            generation_id=video_id, phase=phase.name, status=PartRun.State.SUCCEEDED
        ).count()
        report_progress(video_id, phase, run_id, done, phase.part_count(phase_input(generation, phase)))
    pipeline.maybe_join(video_id, phase)
    if follow_on is not None and next_part is not None:
        return _render(video_id, follow_on, index, *next_part)
    return True


def _claim(video_id: str, phase: FanOutPhase, index: int) -> PartRun | None:
    """Claim the part unless it is done or another live job holds it (a RUNNING part with a
    fresh heartbeat): a duplicate delivery of the same job must not render it twice."""
    parts = PartRun.objects.filter(generation_id=video_id, phase=phase.name, index=index)
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
    return parts.get() if claimed else None
