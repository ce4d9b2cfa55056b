"""Phase 5, refine: the soundtrack (the music, ducked under the narration when there is one,
encoded once) is its one part, made while the clips render; the phase's turn then stitches
the clips and lays the soundtrack on, both by stream copy."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from media.audio import duck_and_mix
from media.concat import encode_aac, stitch
from phases.contract import Artifact, BasePhase, PhaseContext, PhaseInput, PhaseOutput
from phases.storage import FINAL_PREFIX, artifact_name, local_copy, store_file
from providers.registry import get_music_provider


class RefinePhase(BasePhase):
    name = "refine"
    status = "refining"
    label = "Stitching and music"
    timeout = 300
    weight = 13.0
    eta_seconds_per_video_second = 0.05
    record_fields = ("stitched_url", "refined_url")
    artifacts = (
        Artifact("stitched", "stitched_url", "Stitched scenes (no music)"),
        Artifact("refined", "refined_url", "With music"),
        Artifact("music", "music_url", "Soundtrack", "audio"),
    )
    prefixes = (FINAL_PREFIX,)
    regenerate_resets = True
    # The soundtrack spans every scene: any regenerated scene redoes it.
    parts_per_scene = False

    def part_count(self, phase_input: PhaseInput) -> int:
        return 1

    def run_part(self, phase_input: PhaseInput, index: int, ctx: PhaseContext) -> dict[str, Any]:
        spec, video_id = phase_input.spec, phase_input.video_id
        music = ctx.workdir / "music.wav"
        get_music_provider().compose(spec, music, ctx.meter)
        ctx.check_canceled()
        mixed = music
        narration = (spec.get("narration") or {}).get("track")
        if narration:
            mixed = duck_and_mix(
                music,
                local_copy(narration, ctx.workdir),
                ctx.workdir / "mixed.wav",
                duck_db=settings.NARRATION_DUCK_DB,
            )
        soundtrack = ctx.workdir / "soundtrack.m4a"
        encode_aac(mixed, soundtrack, seconds=spec["duration"], timeout=self.timeout)
        return {
            "music_url": store_file(music, artifact_name(FINAL_PREFIX, video_id, music.name)),
            "soundtrack_url": store_file(soundtrack, artifact_name(FINAL_PREFIX, video_id, soundtrack.name)),
        }

    def run(self, phase_input: PhaseInput, ctx: PhaseContext) -> PhaseOutput:
        video_id = phase_input.video_id
        clips = [local_copy(name, ctx.workdir) for name in ctx.outputs["chunks"]["chunk_urls"]]
        (soundtrack,) = ctx.parts
        stitched, refined = ctx.workdir / "stitched.mp4", ctx.workdir / "refined.mp4"
        stitch(
            clips,
            local_copy(soundtrack["soundtrack_url"], ctx.workdir),
            stitched,
            refined,
            timeout=self.timeout,
        )
        return ctx.output(
            {
                "stitched_url": store_file(stitched, artifact_name(FINAL_PREFIX, video_id, stitched.name)),
                "music_url": soundtrack["music_url"],
                "refined_url": store_file(refined, artifact_name(FINAL_PREFIX, video_id, refined.name)),
            }
        )
