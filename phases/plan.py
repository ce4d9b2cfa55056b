"""Phase 1, plan: the prompt and its options become a validated spec."""

from __future__ import annotations

from generations.models import Status
from phases.contract import PhaseContext, PhaseInput, PhaseOutput
from phases.exceptions import ValidationException
from phases.providers.base import PlanRequest
from phases.providers.registry import get_planner
from phases.spec import validate_spec


class PlanPhase:
    name = "plan"
    number = 1
    status = Status.VALIDATING
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
        )
        spec = validate_spec(get_planner().plan(request, ctx.meter))
        if spec["duration"] != request.duration or spec["aspect_ratio"] != request.aspect_ratio:
            raise ValidationException(
                f"the planner returned {spec['duration']} s at {spec['aspect_ratio']}; "
                f"{request.duration} s at {request.aspect_ratio} was requested"
            )
        return ctx.output({"spec": spec, "template": spec["template"]})
