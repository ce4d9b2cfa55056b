"""Phase 3, references: one full-resolution reference image per scene."""

from __future__ import annotations

from generations.models import Status
from phases.contract import PhaseContext, PhaseInput, PhaseOutput
from phases.per_scene import store_each_scene
from phases.providers.registry import get_image_provider
from phases.storage import REFERENCES_PREFIX


class ReferencesPhase:
    name = "references"
    number = 3
    status = Status.GENERATING_REFERENCES
    timeout = 300
    weight = 10.0
    record_fields = ("reference_urls",)

    def run(self, phase_input: PhaseInput, ctx: PhaseContext) -> PhaseOutput:
        render = get_image_provider().reference_image
        names = store_each_scene(phase_input.spec, ctx, render, prefix=REFERENCES_PREFIX)
        return ctx.output({"reference_urls": {"scenes": names}})
