"""Reads about generations that take more than one query to answer: ETA, queue position,
and what the pages show (timeline, stored files, result)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from statistics import median
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from generations.models import PhaseRun, Status, VideoGeneration, active_statuses
from phases.contract import Phase
from phases.registry import PHASES, phase_number
from phases.storage import url_for, video_id_of
from providers.spec import DEFAULT_RESOLUTION

HISTORY_SIZE = 200
RATES_CACHE_KEY = "videogen:phase-rates"
RATES_CACHE_SECONDS = 10
# How long a video takes at each resolution against the full frame, measured end to end (a
# 30 s video, seed 7, offline providers; the mean of two machines, on which 1080p took 12.8
# s and 18.9 s): the estimate for a resolution with no history yet. Not the ratio of pixels:
# planning, the soundtrack, the stitch and each frame's own overhead do not shrink with it.
RESOLUTION_TIME_SHARE = {"1080p": 1.0, "720p": 0.49, "480p": 0.33, "360p": 0.26, "240p": 0.22}


def recent_phase_rates() -> dict[tuple[str, str], float]:
    """Median seconds of work per second of video for each phase and requested resolution
    with recent successes (a draft renders several times faster than the full frame).
    Cached for a few seconds: every status poll needs it, and it moves slowly."""
    return cache.get_or_set(RATES_CACHE_KEY, _recent_phase_rates, RATES_CACHE_SECONDS)


def _recent_phase_rates() -> dict[tuple[str, str], float]:
    rows = (
        PhaseRun.objects.filter(status=PhaseRun.State.SUCCEEDED, duration_seconds__isnull=False)
        .order_by("-finished_at")
        .values_list("phase", "duration_seconds", "generation__duration", "generation__resolution")[
            :HISTORY_SIZE
        ]
    )
    samples: dict[tuple[str, str], list[float]] = {}
    for phase, seconds, video_seconds, resolution in rows:
        samples.setdefault((phase, resolution), []).append(seconds / max(video_seconds, 1))
    return {key: median(values) for key, values in samples.items()}


def generation_eta_seconds(generation: VideoGeneration) -> int | None:
    """Estimated seconds until the generation completes; 0 when complete, None when it
    has failed or been canceled and will not complete on its own."""
    if generation.status == Status.COMPLETE:
        return 0
    if generation.is_final:
        return None
    rates = recent_phase_rates()
    runs = {
        run.phase: run
        for run in PhaseRun.objects.filter(generation=generation)
        .order_by("attempt")
        .only("phase", "status", "started_at")
    }
    now = timezone.now()
    remaining = 0.0
    for phase in PHASES:
        run = runs.get(phase.name)
        if run is not None and run.status == PhaseRun.State.SUCCEEDED:
            continue
        expected = _phase_rate(rates, phase, generation.resolution) * generation.duration
        if run is not None and run.status == PhaseRun.State.RUNNING:
            expected -= (now - run.started_at).total_seconds()
        remaining += max(expected, 0.0)
    return int(round(remaining))


def _phase_rate(rates: dict[tuple[str, str], float], phase: Phase, resolution: str) -> float:
    """Seconds of `phase` per video second at `resolution`: learned from recent videos at
    that resolution; else the full frame's (learned, or the phase's declared default, which
    is for the full frame) scaled by how much quicker the resolution renders."""
    learned = rates.get((phase.name, resolution))
    if learned is not None:
        return learned
    full = rates.get((phase.name, DEFAULT_RESOLUTION), phase.eta_seconds_per_video_second)
    return full * RESOLUTION_TIME_SHARE[resolution]


# What a status poll reads of a generation: the seed's StatusResponse, the owner check,
# and what `generation_eta_seconds` and `generation_queue_position` need.
STATUS_FIELDS = (
    "id",
    "user_id",
    "status",
    "progress",
    "current_phase",
    "error_message",
    "duration",
    "resolution",
    "created_at",
)


def generation_queue_position(generation: VideoGeneration) -> int | None:
    """1-based place among queued generations, or None when it is not queued."""
    if generation.status != Status.QUEUED:
        return None
    ahead = VideoGeneration.objects.filter(status=Status.QUEUED, created_at__lt=generation.created_at).count()
    return ahead + 1


def media_url(name: str | None, *, request: HttpRequest | None = None) -> str | None:
    """A URL a client can fetch for a stored name: absolute, fresh (presigned on S3)."""
    url = url_for(name)
    if url is None or urlsplit(url).scheme:
        return url
    if request is not None:
        return request.build_absolute_uri(url)
    # Webhook bodies are built outside any request.
    return f"{settings.PUBLIC_BASE_URL}{url}"


def video_response(*, generation: VideoGeneration, request: HttpRequest | None = None) -> dict[str, Any]:
    """The seed's VideoResponse of a generation: what GET /video/<id> answers and what a
    webhook delivers."""
    subtitles = generation.subtitle_urls or {}
    return {
        "video_id": generation.id,
        "status": generation.status,
        "final_video_url": media_url(generation.final_video_url, request=request),
        "poster_url": media_url(generation.poster_url, request=request),
        "cost_usd": generation.cost_usd,
        "cost_breakdown": {
            phase: float(Decimal(usd)) for phase, usd in (generation.cost_breakdown or {}).items()
        },
        "generation_time_seconds": generation.generation_time_seconds,
        "created_at": generation.created_at,
        "completed_at": generation.completed_at,
        "spec": generation.spec,
        "subtitle_urls": {kind: media_url(subtitles.get(kind), request=request) for kind in ("srt", "vtt")},
    }


def generation_artifacts(
    *, generation: VideoGeneration, request: HttpRequest | None = None
) -> dict[str, list[str | None] | str | None]:
    """Every artifact the record keeps, by its API name, as URLs: a list for a per-scene
    artifact, one URL (or None) for a single file."""
    artifacts: dict[str, list[str | None] | str | None] = {}
    for phase in PHASES:
        for artifact in phase.artifacts:
            if not is_record_field(artifact.field):
                continue
            value = getattr(generation, artifact.field)
            urls = [media_url(name, request=request) for name in artifact.names(value)]
            artifacts[artifact.key] = urls if artifact.many else (urls[0] if urls else None)
    return artifacts


# --- pages ------------------------------------------------------------------------------

HISTORY_FILTERS: dict[str, frozenset[str]] = {
    "active": frozenset(),  # filled in by generation_list: the registry decides what is active
    "complete": frozenset({Status.COMPLETE}),
    "failed": frozenset({Status.FAILED}),
    "canceled": frozenset({Status.CANCELED}),
}
_STEP_STATES = {
    PhaseRun.State.RUNNING: "running",
    PhaseRun.State.SUCCEEDED: "done",
    PhaseRun.State.FAILED: "failed",
    PhaseRun.State.CANCELED: "canceled",
}
STEP_STATE_LABELS = {
    "waiting": "Waiting",
    "not_started": "Not started",
    "running": "Running",
    "done": "Done",
    "failed": "Failed",
    "canceled": "Canceled",
}


def generation_list(
    *, user: AbstractBaseUser | AnonymousUser, status_filter: str = ""
) -> QuerySet[VideoGeneration]:
    """The user's own generations, newest first. `status_filter` is "" or a HISTORY_FILTERS key."""
    if not user.is_authenticated:
        # Generations made without an owner (user=None) belong to nobody who can browse.
        return VideoGeneration.objects.none()
    generations = VideoGeneration.objects.filter(user_id=user.pk).order_by("-created_at")
    if status_filter:
        statuses = active_statuses() if status_filter == "active" else HISTORY_FILTERS[status_filter]
        generations = generations.filter(status__in=statuses)
    return generations


def generations_visible_to(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[VideoGeneration]:
    """Every generation for staff allowed to view generations, the user's own for anyone else.
    Permissions are asked of staff accounts only: no extra queries for everyone else."""
    if user.is_authenticated and user.is_staff and user.has_perm("generations.view_videogeneration"):
        return VideoGeneration.objects.all()
    return generation_list(user=user)


def generation_for_file(*, user: AbstractBaseUser | AnonymousUser, name: str) -> VideoGeneration | None:
    """The generation whose stored file `name` is, when `user` may see it (see
    `generations_visible_to`); None for anyone else, as for no such file."""
    video_id = video_id_of(name)
    if video_id is None:
        return None
    return generations_visible_to(user=user).filter(id=video_id).first()


@dataclass(frozen=True)
class PhaseStep:
    """One phase on a generation's timeline: the state of its latest attempt."""

    number: int
    name: str
    label: str
    state: str  # a key of STEP_STATE_LABELS
    attempt: int
    seconds: float | None
    cost_usd: Decimal
    done: int | None
    total: int | None
    unit: str
    error: str | None

    @property
    def state_label(self) -> str:
        return STEP_STATE_LABELS[self.state]

    @property
    def sub_percent(self) -> int | None:
        """Percent of the phase's own work done, while it runs and reports it."""
        if self.state != "running" or not self.total or self.done is None:
            return None
        return round(100 * self.done / self.total)


def generation_timeline(*, generation: VideoGeneration) -> list[PhaseStep]:
    """The phases in order with their latest attempt's state, time and ledger cost.

    A failed or canceled attempt of a generation that is active again (it was retried)
    shows as waiting: the phase is about to run again. A phase that never ran of a
    generation that has ended is "not started"."""
    latest: dict[str, PhaseRun] = {}
    for run in PhaseRun.objects.filter(generation=generation).order_by("attempt"):
        latest[run.phase] = run
    now = timezone.now()
    steps = []
    for phase in PHASES:
        run = latest.get(phase.name)
        if run is None:
            state = "waiting" if generation.is_active else "not_started"
        else:
            state = _STEP_STATES[PhaseRun.State(run.status)]
            if generation.is_active and state in ("failed", "canceled"):
                state = "waiting"
        detail = run.detail if run is not None else {}
        steps.append(
            PhaseStep(
                number=phase_number(phase),
                name=phase.name,
                label=phase.label,
                state=state,
                attempt=run.attempt if run is not None else 0,
                seconds=_run_seconds(run, now) if run is not None and state != "waiting" else None,
                cost_usd=Decimal(generation.cost_breakdown.get(phase.name, "0")),
                done=detail.get("done"),
                total=detail.get("total"),
                unit=phase.progress_unit,
                error=run.error_message if run is not None and state == "failed" else None,
            )
        )
    return steps


def _run_seconds(run: PhaseRun, now: datetime) -> float:
    if run.duration_seconds is not None:
        return run.duration_seconds
    return ((run.finished_at or now) - run.started_at).total_seconds()


def is_record_field(name: str) -> bool:
    return any(field.name == name for field in VideoGeneration._meta.concrete_fields)
