"""API clients for named users and generations at any stage."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from generations import services
from generations.models import PhaseRun, Status, VideoGeneration, pipeline_order
from phases.request import GenerationRequest
from tests.phases.spec_factory import make_spec

PROMPT = "A calm ocean at night under the stars"
# A public address written as a literal, so validating it needs no DNS.
PUBLIC_IMAGE = "http://93.184.215.14/cat.png"


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def alice_api(alice) -> APIClient:
    return token_client(alice)


@pytest.fixture
def bob_api(bob) -> APIClient:
    return token_client(bob)


@pytest.fixture
def staff_api(staff) -> APIClient:
    return token_client(staff)


def make(user, prompt: str = PROMPT, **options) -> VideoGeneration:
    return services.generation_create(user=user, request=GenerationRequest(prompt=prompt, **options))


def walk_to(generation: VideoGeneration, target: Status) -> None:
    for status in pipeline_order()[1 : pipeline_order().index(target) + 1]:
        services.generation_transition(video_id=generation.id, to=status)


def finish(generation: VideoGeneration) -> VideoGeneration:
    """A generation as the pipeline leaves it: complete, with stored outputs and costs."""
    walk_to(generation, "exporting")
    for phase, usd in (("plan", "0.01"), ("references", "0.0055"), ("references", "0.0055")):
        services.ledger_record(
            video_id=generation.id,
            phase=phase,
            provider="test",
            model="m",
            units=Decimal(1),
            usd=Decimal(usd),
        )
    for phase in ("plan", "animatic", "references", "chunks", "refine", "export"):
        PhaseRun.objects.create(
            generation=generation, phase=phase, status=PhaseRun.State.SUCCEEDED, duration_seconds=1.5
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
    walk_to(generation, "generating_animatic")
    services.generation_transition(video_id=generation.id, to=Status.AWAITING_REVIEW)
    VideoGeneration.objects.filter(id=generation.id).update(spec=make_spec(duration=30))
    generation.refresh_from_db()
    return generation


def complete(user) -> VideoGeneration:
    """A finished generation with a valid 30 s spec, ready to regenerate or remix."""
    generation = finish(make(user))
    VideoGeneration.objects.filter(id=generation.id).update(spec=make_spec(duration=30))
    generation.refresh_from_db()
    return generation
