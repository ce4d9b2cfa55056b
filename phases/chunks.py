"""Phase 4, chunks: one video clip per scene, each rendered by its own RQ job as soon as the
scene's reference exists.

Burned-in subtitles are drawn into the frames by the local renderer. A clip from a provider
that cannot draw them (a remote video model) is encoded once more with them on top: the
only case where a chunk is encoded twice, and only when burning was asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from media.mp4 import video_track
from media.overlay import TimedOverlay, burn_overlays
from phases.contract import Artifact, BasePhase, PhaseContext, PhaseInput, PhaseOutput
from phases.per_scene import find_or_make, scene_filename
from phases.storage import CHUNKS_PREFIX, local_copy
from providers.local.subtitles import burn_fingerprint, cue_pictures
from providers.registry import get_video_provider
from toolbox.exceptions import MediaError, PhaseException


class ChunksPhase(BasePhase):
    name = "chunks"
    status = "generating_chunks"
    label = "Rendering scenes"
    timeout = 600
    weight = 60.0
    eta_seconds_per_video_second = 0.6
    progress_unit = "scenes"
    record_fields = ("chunk_urls",)
    artifacts = (Artifact("chunks", "chunk_urls", "Scene clip", "video", many=True, part_key="chunk_url"),)
    prefixes = (CHUNKS_PREFIX,)
    regenerate_resets = True
    part_needs = ("references",)
    parts_encode_video = True

    def part_count(self, phase_input: PhaseInput) -> int:
        return len(phase_input.spec["scenes"])

    def run_part(self, phase_input: PhaseInput, index: int, ctx: PhaseContext) -> dict[str, Any]:
        spec = phase_input.spec
        # What is burned in is part of the clip's name, so a clip is reused only with the same words.
        burned = burn_fingerprint(spec, index)

        def render(clip: Path) -> None:
            reference = local_copy(ctx.part_outputs["references"]["reference_url"], ctx.workdir)
            provider = get_video_provider()
            provider.render_chunk(spec, index, reference, clip, ctx.meter)
            if burned and not getattr(provider, "burns_subtitles", False):
                burn_subtitles(clip, spec, index, ctx.workdir, timeout=self.timeout / 2)
            check_clip(clip, spec, index)

        suffix = f"-sub{burned}.mp4" if burned else ".mp4"
        name = find_or_make(ctx, CHUNKS_PREFIX, scene_filename(spec, index, suffix), render)
        return {"chunk_url": name, "frames": spec["scenes"][index]["frames"]}

    def run(self, phase_input: PhaseInput, ctx: PhaseContext) -> PhaseOutput:
        return ctx.output({"chunk_urls": [part["chunk_url"] for part in ctx.parts]})


def check_clip(clip: Path, spec: dict[str, Any], index: int) -> None:
    """Stitching is a stream copy, so every clip must already be exactly right."""
    expected = spec["scenes"][index]["frames"]
    try:
        track = video_track(clip)
    except MediaError as exc:
        raise PhaseException(f"scene {index + 1} clip is not a readable MP4: {exc}") from None
    if track is None or track.frames != expected:
        found = track.frames if track else "no video stream"
        raise PhaseException(f"scene {index + 1} clip has {found} frames, expected {expected}")
    if (track.width, track.height) != (spec["width"], spec["height"]):
        raise PhaseException(
            f"scene {index + 1} clip is {track.width}x{track.height}, "
            f"expected {spec['width']}x{spec['height']}"
        )


def burn_subtitles(clip: Path, spec: dict[str, Any], index: int, workdir: Path, *, timeout: float) -> None:
    """Draw the scene's subtitle cues over a clip someone else made, in place."""
    start = sum(scene["frames"] for scene in spec["scenes"][:index]) / spec["fps"]
    overlays = []
    for number, picture in enumerate(cue_pictures(spec, index), start=1):
        image = workdir / f"cue_{index + 1:02d}_{number:03d}.png"
        picture.image.save(image)
        overlays.append(TimedOverlay(image, picture.x, picture.y, picture.start - start, picture.end - start))
    burned = clip.with_name(f"{clip.stem}-burned{clip.suffix}")
    burn_overlays(
        clip, burned, overlays, fps=spec["fps"], frames=spec["scenes"][index]["frames"], timeout=timeout
    )
    burned.replace(clip)
