"""Phases overlap: a scene's clip is queued as soon as its reference exists, the soundtrack is
made while the clips render, and short phases share a job, while the status still moves one
phase at a time."""

from __future__ import annotations

import pytest
from rq.registry import FinishedJobRegistry

from generations import review, services
from generations.models import PartRun, PhaseRun, Status, VideoGeneration, pipeline_order
from phases.request import GenerationRequest
from providers import registry

pytestmark = pytest.mark.django_db(transaction=True)

PROMPT = "A lighthouse on a cliff at dusk, then boats sailing home across a calm sea"


def create(user, **options) -> VideoGeneration:
    return services.generation_create(
        user=user, request=GenerationRequest(prompt=PROMPT, duration=10, **options)
    )


def part_done(generation: VideoGeneration, phase: str, index: int) -> bool:
    return PartRun.objects.filter(
        generation=generation, phase=phase, index=index, status=PartRun.State.SUCCEEDED
    ).exists()


def test_a_scenes_clip_is_queued_as_soon_as_its_reference_exists(alice, queue, work_queue):
    generation = create(alice)
    work_queue(until=lambda: part_done(generation, "references", 0))
    generation.refresh_from_db()
    scenes = len(generation.spec["scenes"])
    assert scenes >= 2
    waiting = queue.get_job_ids()
    assert f"vg-{generation.id}-chunks-0-1" in waiting
    assert f"vg-{generation.id}-chunks-1-1" not in waiting  # its reference is not drawn yet
    assert f"vg-{generation.id}-references-1-1" in waiting
    # The status still says where the pipeline is: the references are not all made.
    assert generation.status == "generating_references"

    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    chunks = PartRun.objects.filter(generation=generation, phase="chunks").order_by("index")
    assert [part.attempts for part in chunks] == [1] * scenes  # each clip rendered once


def test_the_soundtrack_is_made_before_the_clips_are_stitched(alice, work_queue):
    generation = create(alice)
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    soundtrack = PartRun.objects.get(generation=generation, phase="refine")
    first_clip = PartRun.objects.filter(generation=generation, phase="chunks").order_by("finished_at").first()
    refine = generation.phase_runs.get(phase="refine", status=PhaseRun.State.SUCCEEDED)
    assert soundtrack.finished_at < refine.started_at
    assert soundtrack.finished_at < first_clip.finished_at
    # The stitch only copies streams: the music was mixed and encoded in the soundtrack part.
    assert refine.output_data["music_url"] == soundtrack.output_data["music_url"]


def test_short_phases_share_a_job(alice, queue, work_queue):
    generation = create(alice)
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    scenes = len(generation.spec["scenes"])
    jobs = FinishedJobRegistry(queue=queue).get_job_ids()
    # One job plans, draws the storyboard and starts the references; then one job per part
    # (a reference and a clip per scene, the soundtrack); the last part joins and exports.
    assert sorted(jobs) == sorted(
        [
            f"vg-{generation.id}-plan-1",
            *(f"vg-{generation.id}-references-{index}-1" for index in range(scenes)),
            *(f"vg-{generation.id}-chunks-{index}-1" for index in range(scenes)),
            f"vg-{generation.id}-refine-0-1",
        ]
    )
    events = list(generation.status_events.values_list("to_status", flat=True))
    assert events == list(pipeline_order()[1:])  # every status, once each, in order


def test_nothing_after_the_review_gate_starts_before_approval(alice, queue, work_queue):
    generation = create(alice, review=True)
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.AWAITING_REVIEW
    assert not PartRun.objects.filter(generation=generation).exists()
    assert queue.count == 0

    review.generation_approve(video_id=generation.id)
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message


class BrokenMusic:
    def compose(self, spec, out_path, meter) -> None:
        raise RuntimeError("the synthesizer is out of tune")


@pytest.fixture
def broken_music(settings):
    registry.register("music", "broken", BrokenMusic)
    settings.MUSIC_PROVIDER = "broken"
    yield
    registry.unregister("music", "broken")


def test_a_part_that_breaks_before_its_turn_fails_the_generation_readably(alice, work_queue, broken_music):
    generation = create(alice)
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    # The soundtrack spans the scenes: no scene is named.
    assert generation.error_message == "Phase 5 (refine) failed: the synthesizer is out of tune"
    assert PartRun.objects.get(generation=generation, phase="refine").status == PartRun.State.FAILED
