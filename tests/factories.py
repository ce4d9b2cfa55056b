"""Generations at any stage, made by the real services and moved by the real transitions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from generations import services
from generations.models import PhaseRun, Status, VideoGeneration, pipeline_order
from phases.registry import PHASES, review_gate
from phases.request import GenerationRequest
from tests.phases.spec_factory import make_spec

PROMPT = "A calm ocean at night under the stars"


def make(user: Any, prompt: str = PROMPT, **options: Any) -> VideoGeneration:
    return services.generation_create(user=user, request=GenerationRequest(prompt=prompt, **options))


def walk_to(generation: VideoGeneration | str, target: str) -> None:
    """Move a generation forward, one allowed step at a time, to `target` (a phase's status,
    awaiting review, or complete)."""
    video_id = generation if isinstance(generation, str) else generation.id
    gate = review_gate()
    if target == Status.AWAITING_REVIEW and gate is not None:
        walk_to(video_id, gate.status)
        services.generation_transition(video_id=video_id, to=Status.AWAITING_REVIEW)
        return
    order = pipeline_order()
    for status in order[1 : order.index(target) + 1]:
        services.generation_transition(video_id=video_id, to=status)


def make_generation(
    user: Any, status: str = Status.QUEUED, *, prompt: str = PROMPT, **fields: Any
) -> VideoGeneration:
    """A generation in `status`; `fields` are then set as a phase would have recorded them."""
    generation = make(user, prompt, duration=5)
    if status == Status.FAILED:
        walk_to(generation, PHASES[0].status)
        services.generation_fail(video_id=generation.id, message="Phase 1 (plan) failed: the planner refused")
    elif status == Status.CANCELED:
        services.generation_cancel(video_id=generation.id)
    else:
        walk_to(generation, status)
    VideoGeneration.objects.filter(id=generation.id).update(**fields)
    generation.refresh_from_db()
    return generation


def finish(generation: VideoGeneration) -> VideoGeneration:
    """A generation as the pipeline leaves it: complete, with stored outputs and costs."""
    walk_to(generation, PHASES[-1].status)
    for phase, usd in (("plan", "0.01"), ("references", "0.0055"), ("references", "0.0055")):
        services.ledger_record(
            video_id=generation.id,
            phase=phase,
            provider="test",
            model="m",
            units=Decimal(1),
            usd=Decimal(usd),
        )
    for phase in PHASES:
        PhaseRun.objects.create(
            generation=generation, phase=phase.name, status=PhaseRun.State.SUCCEEDED, duration_seconds=1.5
        )
    VideoGeneration.objects.filter(id=generation.id).update(
        spec={"title": "Night sea", "scenes": []},
        animatic_urls=[f"animatic/{generation.id}/frame_01.png"],
        reference_urls={"scenes": [f"references/{generation.id}/scene_01.png"]},
        chunk_urls=[f"chunks/{generation.id}/scene_01.mp4"],
        stitched_url=f"chunks/{generation.id}/stitched.mp4",
        refined_url=f"final/{generation.id}/refined.mp4",
        final_video_url=f"final/{generation.id}/video.mp4",
        poster_url=f"final/{generation.id}/poster.jpg",
    )
    services.generation_transition(
        video_id=generation.id,
        to=Status.COMPLETE,
        completed_at=timezone.now(),
        generation_time_seconds=12.5,
        progress=100.0,
        current_phase=None,
    )
    generation.refresh_from_db()
    return generation


def awaiting_review(user) -> VideoGeneration:
    """A generation stopped at its storyboard, with a valid 30 s spec to edit."""
    generation = make(user, review=True)
    walk_to(generation, Status.AWAITING_REVIEW)
    VideoGeneration.objects.filter(id=generation.id).update(spec=make_spec(duration=30))
    generation.refresh_from_db()
    return generation


def complete(user) -> VideoGeneration:
    """A finished generation with a valid 30 s spec, ready to regenerate or remix."""
    generation = finish(make(user))
    VideoGeneration.objects.filter(id=generation.id).update(spec=make_spec(duration=30))
    generation.refresh_from_db()
    return generation
