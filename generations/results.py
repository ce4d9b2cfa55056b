"""What a generation made, for pages, the API and the admin: its files grouped by phase, its
result, its history card, its storyboard and the versions a scene regeneration kept. Reads
only; the names come from the phase registry's artifacts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.files.storage import default_storage
from django.utils.text import slugify

from generations.models import PartRun, PhaseRun, Status, VideoGeneration
from generations.selectors import is_record_field
from phases.contract import Artifact, Phase
from phases.per_scene import scene_filename
from phases.registry import PHASES, is_fan_out, review_gate, storage_prefixes
from phases.storage import artifact_name, url_for


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
