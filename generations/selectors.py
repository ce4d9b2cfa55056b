"""Reads about generations that take more than one query to answer: ETA, queue position,
and what the pages show (timeline, stored files, result)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from statistics import median
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify

from generations.models import PartRun, PhaseRun, Status, VideoGeneration, active_statuses
from phases.contract import Artifact, Phase
from phases.per_scene import scene_filename
from phases.registry import PHASES, is_fan_out, phase_number, review_gate, storage_prefixes
from phases.storage import artifact_name, url_for, video_id_of

HISTORY_SIZE = 200
RATES_CACHE_KEY = "videogen:phase-rates"
RATES_CACHE_SECONDS = 10


def recent_phase_rates() -> dict[str, float]:
    """Median seconds of work per second of video for each phase that has recent successes.
    Cached for a few seconds: every status poll needs it, and it moves slowly."""
    return cache.get_or_set(RATES_CACHE_KEY, _recent_phase_rates, RATES_CACHE_SECONDS)


def _recent_phase_rates() -> dict[str, float]:
    rows = (
        PhaseRun.objects.filter(status=PhaseRun.State.SUCCEEDED, duration_seconds__isnull=False)
        .order_by("-finished_at")
        .values_list("phase", "duration_seconds", "generation__duration")[:HISTORY_SIZE]
    )
    samples: dict[str, list[float]] = {}
    for phase, seconds, video_seconds in rows:
        samples.setdefault(phase, []).append(seconds / max(video_seconds, 1))
    return {phase: median(values) for phase, values in samples.items()}


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
        # A phase without history here yet uses its own declared default.
        expected = rates.get(phase.name, phase.eta_seconds_per_video_second) * generation.duration
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


@dataclass(frozen=True)
class Asset:
    label: str
    url: str
    alt: str = ""


@dataclass(frozen=True)
class AssetGroup:
    title: str
    kind: str  # image, video, audio or link: how a page shows the items
    items: tuple[Asset, ...]


def generation_assets(*, generation: VideoGeneration) -> list[AssetGroup]:
    """Every file the generation has so far, grouped by the phases' artifacts, with fresh
    URLs; empty groups are left out. Per-scene images are listed from storage and a fan-out
    phase's files from its finished parts until the phase records them, so a page shows
    each one as soon as it is stored."""
    scenes = (generation.spec or {}).get("scenes", [])
    uploads = [asset for asset in generation.uploaded_assets if asset.get("name")]
    links = [asset for asset in generation.uploaded_assets if asset.get("url")]
    groups = [
        AssetGroup(
            "Your reference images",
            "image",
            tuple(
                Asset(f"Upload {n}", url_for(asset["name"]) or "", f"Your reference image {n}")
                for n, asset in enumerate(uploads, start=1)
            ),
        ),
        AssetGroup(
            "Your reference links",
            "link",
            tuple(Asset(asset["url"], asset["url"]) for asset in links),
        ),
    ]
    files: list[Asset] = []
    for phase in PHASES:
        for artifact in phase.artifacts:
            names = _artifact_names(generation, phase, artifact)
            if artifact.kind == "image":
                groups.append(
                    AssetGroup(f"{artifact.label}s", "image", _scene_images(names, scenes, artifact.label))
                )
            elif artifact.kind == "video":
                items = tuple(Asset(f"Scene {n}", url_for(name) or "") for n, name in enumerate(names, 1))
                groups.append(AssetGroup(f"{artifact.label}s", "video", items))
            elif artifact.kind == "audio":
                items = tuple(Asset(artifact.label, url_for(name) or "") for name in names)
                groups.append(AssetGroup(artifact.label, "audio", items))
            else:
                files.extend(Asset(artifact.label, url_for(name) or "") for name in names)
    groups.append(AssetGroup("Stitched and exported files", "link", tuple(files)))
    return [group for group in groups if group.items]


def artifact_value(generation: VideoGeneration, phase: Phase, artifact: Artifact) -> Any:
    """What the record keeps under the artifact's field, or, for a file the record does not
    keep, what the phase's succeeded output says."""
    if is_record_field(artifact.field):
        return getattr(generation, artifact.field)
    return _succeeded_output(generation, phase.name).get(artifact.field)


def is_record_field(name: str) -> bool:
    return any(field.name == name for field in VideoGeneration._meta.concrete_fields)


def artifact_names_on(generation: VideoGeneration, phase: Phase, artifact: Artifact) -> list[str]:
    """The storage names of one artifact of the generation, in order."""
    return artifact.names(artifact_value(generation, phase, artifact))


def _artifact_names(generation: VideoGeneration, phase: Phase, artifact: Artifact) -> list[str]:
    names = artifact_names_on(generation, phase, artifact)
    if names or _succeeded_output(generation, phase.name):
        return names
    if is_fan_out(phase):
        return _finished_parts(generation, phase, artifact)
    if artifact.kind == "image" and phase.prefixes:
        return _stored_scene_files(phase.prefixes[0], generation.id)
    return names


def _stored_scene_files(prefix: str, video_id: str) -> list[str]:
    folder = f"{prefix}/{video_id}"
    try:
        _dirs, files = default_storage.listdir(folder)
    except FileNotFoundError:
        return []
    # Only the phase's own per-scene files: the user's uploads share the references folder.
    return [f"{folder}/{name}" for name in sorted(files) if name.startswith("scene_")]


def _scene_images(names: Iterable[str], scenes: list[dict[str, Any]], what: str) -> tuple[Asset, ...]:
    assets = []
    for index, name in enumerate(names):
        description = scenes[index]["description"] if index < len(scenes) else ""
        alt = f"{what} for scene {index + 1}" + (f": {description}" if description else "")
        assets.append(Asset(f"Scene {index + 1}", url_for(name) or "", alt))
    return tuple(assets)


def _finished_parts(generation: VideoGeneration, phase: Phase, artifact: Artifact) -> list[str]:
    """Files of a fan-out phase's parts rendered so far, in part order (while it runs)."""
    outputs = PartRun.objects.filter(
        generation=generation, phase=phase.name, status=PartRun.State.SUCCEEDED
    ).values_list("output_data", flat=True)
    key = artifact.part_key or ""
    return [output[key] for output in outputs if output.get(key)]


def _succeeded_output(generation: VideoGeneration, phase: str) -> dict[str, Any]:
    output = (
        PhaseRun.objects.filter(generation=generation, phase=phase, status=PhaseRun.State.SUCCEEDED)
        .values_list("output_data", flat=True)
        .first()
    )
    return output or {}


@dataclass(frozen=True)
class VideoResult:
    """What the result page shows of a complete generation."""

    video_url: str
    poster_url: str | None
    download_name: str
    download_url: str
    width: int | None
    height: int | None
    duration: float | None
    size_bytes: int | None
    scenes: list[dict[str, Any]]
    music: dict[str, Any]
    subtitles_vtt_url: str | None = None
    subtitles_srt_url: str | None = None
    subtitles_language: str = ""
    subtitles_burned: bool = False


def generation_result(*, generation: VideoGeneration) -> VideoResult | None:
    """The finished video and its spec, or None until the generation is complete."""
    if generation.status != Status.COMPLETE or not generation.final_video_url:
        return None
    spec = generation.spec or {}
    # What the last phase that measured the file says of it.
    export: dict[str, Any] = {}
    for phase in PHASES:
        export.update(_succeeded_output(generation, phase.name))
    scenes = [
        {**scene, "number": number, "camera_label": scene.get("camera", "").replace("_", " ")}
        for number, scene in enumerate(spec.get("scenes", []), start=1)
    ]
    video_url = url_for(generation.final_video_url) or ""
    download_name = f"{slugify(generation.title) or 'video'}-{generation.id[:8]}.mp4"
    return VideoResult(
        video_url=video_url,
        poster_url=url_for(generation.poster_url),
        download_name=download_name,
        # The file view names the attachment: on S3 the browser downloads from another
        # origin, where the `download` attribute is ignored.
        download_url=f"{video_url}?{urlencode({'download': download_name})}",
        width=export.get("width") or spec.get("width"),
        height=export.get("height") or spec.get("height"),
        duration=export.get("duration"),
        size_bytes=export.get("size_bytes"),
        scenes=scenes,
        music=spec.get("music", {}),
        subtitles_vtt_url=url_for((generation.subtitle_urls or {}).get("vtt")),
        subtitles_srt_url=url_for((generation.subtitle_urls or {}).get("srt")),
        subtitles_language=(spec.get("subtitles") or {}).get("language", ""),
        subtitles_burned=bool((spec.get("subtitles") or {}).get("burn")),
    )


@dataclass(frozen=True)
class GenerationCard:
    """One row of the history page."""

    generation: VideoGeneration
    thumbnail_url: str | None


def generation_cards(generations: Iterable[VideoGeneration]) -> list[GenerationCard]:
    """History rows with a thumbnail: the poster, or the first storyboard frame of a
    generation that did not get as far as a poster."""
    cards = []
    for generation in generations:
        thumbnail = generation.poster_url or next(iter(generation.animatic_urls), None)
        cards.append(GenerationCard(generation, url_for(thumbnail)))
    return cards


def storyboard_frames(generation: VideoGeneration) -> list[str | None]:
    """URLs of the storyboard frames, one per scene of the current spec: a frame whose scene
    was just edited is None until the worker has drawn it again."""
    gate = review_gate()
    if gate is None:
        return []
    current = {name for artifact in gate.artifacts for name in artifact_names_on(generation, gate, artifact)}
    frames = []
    for index in range(len((generation.spec or {}).get("scenes", []))):
        filename = scene_filename(generation.spec, index, ".png")
        name = artifact_name(gate.prefixes[0], generation.id, filename) if gate.prefixes else ""
        frames.append(url_for(name) if name in current else None)
    return frames


def generation_versions(generation: VideoGeneration) -> dict[str, dict[str, list[str]]]:
    """Every stored version of each scene's storyboard frame, reference and clip, by kind and
    scene ("scene_02"), oldest first: regenerated scenes keep their earlier files."""
    versions: dict[str, dict[str, list[str]]] = {}
    for prefix in storage_prefixes():
        try:
            _dirs, files = default_storage.listdir(f"{prefix}/{generation.id}")
        except FileNotFoundError:
            continue
        by_scene: dict[str, list[str]] = {}
        folder = f"{prefix}/{generation.id}"
        for filename in sorted(files, key=lambda name: default_storage.get_modified_time(f"{folder}/{name}")):
            if filename.startswith("scene_") and "-" in filename:
                scene = filename.split("-", 1)[0]
                by_scene.setdefault(scene, []).append(artifact_name(prefix, generation.id, filename))
        if by_scene:
            versions[prefix] = by_scene
    return versions
