"""Phase 1, plan: the prompt and its options become a validated spec, and the narration is
voiced here because its length decides how long each scene is."""

from __future__ import annotations

from phases.contract import PhaseContext, PhaseInput, PhaseOutput
from phases.narration import NarrationOptions, narrate
from phases.storage import FINAL_PREFIX, artifact_name, store_file
from providers.base import PlanRequest
from providers.registry import get_planner
from providers.spec import validate_spec
from toolbox.exceptions import ValidationException


class PlanPhase:
    name = "plan"
    number = 1
    status = "validating"
    timeout = 60
    weight = 3.0
    record_fields = ("spec", "template")

    def run(self, phase_input: PhaseInput, ctx: PhaseContext) -> PhaseOutput:
        request = PlanRequest(
            prompt=phase_input.spec["prompt"],
            duration=phase_input.spec["duration"],
            aspect_ratio=phase_input.spec["aspect_ratio"],
            template=phase_input.spec.get("template"),
            seed=phase_input.spec.get("seed", 0),
            script=phase_input.spec.get("script") or "",
        )
        spec = validate_spec(get_planner().plan(request, ctx.meter))
        if spec["duration"] != request.duration or spec["aspect_ratio"] != request.aspect_ratio:
            raise ValidationException(
                f"the planner returned {spec['duration']} s at {spec['aspect_ratio']}; "
                f"{request.duration} s at {request.aspect_ratio} was requested"
            )
        ctx.check_canceled()
        options = NarrationOptions.from_request(phase_input.spec)
        narrated = narrate(
            spec, options, workdir=ctx.workdir, meter=ctx.meter, check_canceled=ctx.check_canceled
        )
        spec = narrated.spec
        if narrated.voice_track is not None:
            # Named in the spec, so the voice goes wherever the spec goes (an edit, a remix).
            spec["narration"]["track"] = store_file(
                narrated.voice_track, artifact_name(FINAL_PREFIX, phase_input.video_id, "narration.wav")
            )
        spec = validate_spec(spec)
        return ctx.output(
            {"spec": spec, "template": spec["template"], "assets": phase_input.spec.get("assets", [])}
        )
