"""Reads about generations that take more than one query to answer: ETA, queue position."""

from __future__ import annotations

from statistics import median

from django.utils import timezone

from generations.models import PhaseRun, Status, VideoGeneration
from phases.registry import PHASES

# Seconds of work per second of video, used until this installation has its own history.
DEFAULT_SECONDS_PER_VIDEO_SECOND = {
    "plan": 0.01,
    "animatic": 0.02,
    "references": 0.08,
    "chunks": 0.6,
    "refine": 0.05,
    "export": 0.02,
}
HISTORY_SIZE = 200


def recent_phase_rates() -> dict[str, float]:
    """Median seconds of work per second of video for each phase, over recent successes."""
    rows = (
        PhaseRun.objects.filter(status=PhaseRun.State.SUCCEEDED, duration_seconds__isnull=False)
        .order_by("-finished_at")
        .values_list("phase", "duration_seconds", "generation__duration")[:HISTORY_SIZE]
    )
    samples: dict[str, list[float]] = {}
    for phase, seconds, video_seconds in rows:
        samples.setdefault(phase, []).append(seconds / max(video_seconds, 1))
    rates = dict(DEFAULT_SECONDS_PER_VIDEO_SECOND)
    rates.update({phase: median(values) for phase, values in samples.items()})
    return rates


def generation_eta_seconds(generation: VideoGeneration) -> int | None:
    """Estimated seconds until the generation completes; 0 when complete, None when it
    has failed or been canceled and will not complete on its own."""
    if generation.status == Status.COMPLETE:
        return 0
    if generation.is_final:
        return None
    rates = recent_phase_rates()
    runs = {run.phase: run for run in PhaseRun.objects.filter(generation=generation).order_by("attempt")}
    now = timezone.now()
    remaining = 0.0
    for phase in PHASES:
        run = runs.get(phase.name)
        if run is not None and run.status == PhaseRun.State.SUCCEEDED:
            continue
        expected = rates[phase.name] * generation.duration
        if run is not None and run.status == PhaseRun.State.RUNNING:
            expected -= (now - run.started_at).total_seconds()
        remaining += max(expected, 0.0)
    return int(round(remaining))


def generation_queue_position(generation: VideoGeneration) -> int | None:
    """1-based place among queued generations, or None when it is not queued."""
    if generation.status != Status.QUEUED:
        return None
    ahead = VideoGeneration.objects.filter(status=Status.QUEUED, created_at__lt=generation.created_at).count()
    return ahead + 1
