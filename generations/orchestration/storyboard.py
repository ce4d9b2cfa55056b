"""Redrawing the review gate's output (the storyboard) after a person edited the spec."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from generations.models import PhaseRun, Status, VideoGeneration
from generations.orchestration.context import phase_context, phase_input
from generations.orchestration.workdirs import workdir
from phases.registry import review_gate


def refresh_storyboard(video_id: str) -> None:
    """Redraw the storyboard of a generation awaiting review after its spec was edited:
    frames of unchanged scenes are kept (their names are content-addressed), new or edited
    scenes are drawn."""
    phase = review_gate()
    generation = VideoGeneration.objects.filter(id=video_id, status=Status.AWAITING_REVIEW).first()
    if phase is None or generation is None:
        return
    run = PhaseRun.objects.filter(
        generation_id=video_id, phase=phase.name, status=PhaseRun.State.SUCCEEDED
    ).first()
    if run is None:
        return
    with workdir(video_id, "storyboard") as scratch:
        ctx = phase_context(video_id, phase, None, scratch)
        ctx.is_canceled = lambda: (
            not VideoGeneration.objects.filter(id=video_id, status=Status.AWAITING_REVIEW).exists()
        )
        output = phase.run(phase_input(generation, phase), ctx)
    with transaction.atomic():
        locked = VideoGeneration.objects.select_for_update().get(id=video_id)
        if locked.status != Status.AWAITING_REVIEW or locked.spec != generation.spec:
            return  # edited again meanwhile: the newer edit's job draws the newer storyboard
        PhaseRun.objects.filter(id=run.id).update(output_data=output.output_data)
        record = {name: output.output_data[name] for name in phase.record_fields}
        VideoGeneration.objects.filter(id=video_id).update(**record, updated_at=timezone.now())
