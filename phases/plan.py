"""Phase 1, plan: the prompt and its options become a validated spec, and the narration is
voiced here because its length decides how long each scene is."""

from __future__ import annotations

from phases.contract import BasePhase, PhaseContext, PhaseInput, PhaseOutput
from phases.narration import NarrationOptions, narrate
from phases.request import GenerationRequest
from phases.storage import FINAL_PREFIX, artifact_name, store_file
from providers.base import PlanRequest
from providers.registry import get_planner
from providers.spec import resolution_size, validate_spec
from toolbox.exceptions import ValidationException


class PlanPhase(BasePhase):
    name = "plan"
    status = "validating"
    label = "Planning"
    timeout = 60
    weight = 3.0
    eta_seconds_per_video_second = 0.01
    record_fields = ("spec", "template")
    prefixes = (FINAL_PREFIX,)

    def run(self, phase_input: PhaseInput, ctx: PhaseContext) -> PhaseOutput:
        # Phase 1's input is the whole GenerationRequest, in its JSON form.
        asked = GenerationRequest.from_dict(phase_input.spec)
        request = PlanRequest(
            prompt=asked.prompt,
            duration=asked.duration,
            aspect_ratio=asked.aspect_ratio,
            template=asked.template,
            seed=asked.seed,
            script=asked.script,
        )
        spec = validate_spec(get_planner().plan(request, ctx.meter))
        if spec["duration"] != request.duration or spec["aspect_ratio"] != request.aspect_ratio:
            raise ValidationException(
                f"the planner returned {spec['duration']} s at {spec['aspect_ratio']}; "
                f"{request.duration} s at {request.aspect_ratio} was requested"
            )
        # Planners draw for the full frame of the shape; a draft asks for fewer pixels.
        spec["width"], spec["height"] = resolution_size(asked.aspect_ratio, asked.resolution)
        ctx.check_canceled()
        options = NarrationOptions.from_request(asked)
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
        return ctx.output({"spec": spec, "template": spec["template"], "assets": asked.image_assets})
