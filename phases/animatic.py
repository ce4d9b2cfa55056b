"""Phase 2, animatic: one low-resolution storyboard frame per scene."""

from __future__ import annotations

from phases.contract import Artifact, BasePhase, PhaseContext, PhaseInput, PhaseOutput
from phases.per_scene import store_each_scene
from phases.storage import ANIMATIC_PREFIX
from providers.registry import get_image_provider


class AnimaticPhase(BasePhase):
    name = "animatic"
    status = "generating_animatic"
    label = "Storyboard"
    timeout = 300
    weight = 4.0
    eta_seconds_per_video_second = 0.02
    progress_unit = "frames"
    record_fields = ("animatic_urls",)
    artifacts = (Artifact("animatic", "animatic_urls", "Storyboard frame", "image", many=True),)
    prefixes = (ANIMATIC_PREFIX,)
    review_after = True

    def run(self, phase_input: PhaseInput, ctx: PhaseContext) -> PhaseOutput:
        render = get_image_provider().storyboard_frame
        names = store_each_scene(phase_input.spec, ctx, render, prefix=ANIMATIC_PREFIX)
        return ctx.output({"animatic_urls": names})
