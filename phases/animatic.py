"""Phase 2, animatic: one low-resolution storyboard frame per scene."""

from __future__ import annotations

from phases.contract import PhaseContext, PhaseInput, PhaseOutput
from phases.per_scene import store_each_scene
from phases.storage import ANIMATIC_PREFIX
from providers.registry import get_image_provider


class AnimaticPhase:
    name = "animatic"
    number = 2
    status = "generating_animatic"
    timeout = 300
    weight = 4.0
    record_fields = ("animatic_urls",)

    def run(self, phase_input: PhaseInput, ctx: PhaseContext) -> PhaseOutput:
        render = get_image_provider().storyboard_frame
        names = store_each_scene(phase_input.spec, ctx, render, prefix=ANIMATIC_PREFIX)
        return ctx.output({"animatic_urls": names})
