"""Phase 5, refine: stitch the clips by stream copy, compose the music, duck it under the
narration (when there is one), mix it in."""

from __future__ import annotations

from django.conf import settings

from media.audio import duck_and_mix
from media.concat import concat_copy, mux_audio
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

    def run(self, phase_input: PhaseInput, ctx: PhaseContext) -> PhaseOutput:
        video_id = phase_input.video_id
        clips = [local_copy(name, ctx.workdir) for name in ctx.outputs["chunks"]["chunk_urls"]]
        stitched = ctx.workdir / "stitched.mp4"
        concat_copy(clips, stitched, timeout=self.timeout)
        ctx.report_progress(1, 3)

        ctx.check_canceled()
        music = ctx.workdir / "music.wav"
        get_music_provider().compose(phase_input.spec, music, ctx.meter)
        ctx.report_progress(2, 3)

        ctx.check_canceled()
        soundtrack = music
        narration = (phase_input.spec.get("narration") or {}).get("track")
        if narration:
            soundtrack = duck_and_mix(
                music,
                local_copy(narration, ctx.workdir),
                ctx.workdir / "soundtrack.wav",
                duck_db=settings.NARRATION_DUCK_DB,
            )
        refined = ctx.workdir / "refined.mp4"
        mux_audio(stitched, soundtrack, refined, timeout=self.timeout)
        ctx.report_progress(3, 3)
        return ctx.output(
            {
                "stitched_url": store_file(stitched, artifact_name(FINAL_PREFIX, video_id, stitched.name)),
                "music_url": store_file(music, artifact_name(FINAL_PREFIX, video_id, music.name)),
                "refined_url": store_file(refined, artifact_name(FINAL_PREFIX, video_id, refined.name)),
            }
        )
