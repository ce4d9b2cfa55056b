"""Phase 4, chunks: one video clip per scene, each rendered by its own RQ job."""

from __future__ import annotations

from typing import Any

from generations.models import Status
from phases import media
from phases.contract import PhaseContext, PhaseInput, PhaseOutput
from phases.exceptions import PhaseException
from phases.providers.registry import get_video_provider
from phases.storage import CHUNKS_PREFIX, artifact_name, local_copy, store_file


class ChunksPhase:
    name = "chunks"
    number = 4
    status = Status.GENERATING_CHUNKS
    timeout = 600
    weight = 60.0
    record_fields = ("chunk_urls",)

    def part_count(self, phase_input: PhaseInput) -> int:
        return len(phase_input.spec["scenes"])

    def run_part(self, phase_input: PhaseInput, index: int, ctx: PhaseContext) -> dict[str, Any]:
        spec = phase_input.spec
        scene = spec["scenes"][index]
        reference = local_copy(ctx.outputs["references"]["reference_urls"]["scenes"][index], ctx.workdir)
        clip = ctx.workdir / f"scene_{index + 1:02d}.mp4"
        get_video_provider().render_chunk(spec, index, reference, clip, ctx.meter)
        # Stitching is a stream copy, so every clip must already be exactly right.
        probed = media.probe(clip)
        if probed.video is None or probed.video.frames != scene["frames"]:
            found = probed.video.frames if probed.video else "no video stream"
            raise PhaseException(f"scene {index + 1} clip has {found} frames, expected {scene['frames']}")
        if (probed.video.width, probed.video.height) != (spec["width"], spec["height"]):
            raise PhaseException(
                f"scene {index + 1} clip is {probed.video.width}x{probed.video.height}, "
                f"expected {spec['width']}x{spec['height']}"
            )
        name = store_file(clip, artifact_name(CHUNKS_PREFIX, phase_input.video_id, clip.name))
        return {"chunk_url": name, "frames": scene["frames"]}

    def run(self, phase_input: PhaseInput, ctx: PhaseContext) -> PhaseOutput:
        return ctx.output({"chunk_urls": [part["chunk_url"] for part in ctx.parts]})
