"""Phases overlap: a scene's clip is rendered as soon as its reference exists, the soundtrack is
made while the clips render, the first reference while the storyboard is drawn, short phases
share a job and a job takes over the parts that come next in the queue, while the status
still moves one phase at a time."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from itertools import pairwise

import pytest
from django.db import connection
from rq.registry import FinishedJobRegistry

from generations import review, services
from generations.models import PartRun, PhaseRun, Status, VideoGeneration, pipeline_order
from generations.orchestration import early
from generations.orchestration.reconcile import reconcile
from phases.registry import get_phase
from phases.request import GenerationRequest
from providers.local.images import LocalImages

pytestmark = pytest.mark.django_db(transaction=True)

PROMPT = "A lighthouse on a cliff at dusk, then boats sailing home across a calm sea"
# For the tests of order and failure, not of what runs at the same moment: those need parts
# that take a while.
DRAFT = "240p"


def create(user, **options) -> VideoGeneration:
    return services.generation_create(
        user=user, request=GenerationRequest(prompt=PROMPT, duration=10, **options)
    )


def made_with_images(images: type[LocalImages], user, work_queue, registered, settings) -> VideoGeneration:
    """A video made with `images` as its image provider, its jobs run to the end."""
    name = images.__name__.lower()
    registered("image", name, images)
    settings.IMAGE_PROVIDER = name
    generation = create(user, resolution=DRAFT)
    work_queue()
    generation.refresh_from_db()
    return generation


def part_done(generation: VideoGeneration, phase: str, index: int) -> bool:
    return PartRun.objects.filter(
        generation=generation, phase=phase, index=index, status=PartRun.State.SUCCEEDED
    ).exists()


def parts_in_order(generation: VideoGeneration, phase: str) -> list[PartRun]:
    return list(PartRun.objects.filter(generation=generation, phase=phase).order_by("index"))


def test_a_scenes_clip_is_rendered_as_soon_as_its_reference_exists(alice, work_queue):
    generation = create(alice, resolution=DRAFT)
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    scenes = len(generation.spec["scenes"])
    assert scenes >= 2
    references, clips = parts_in_order(generation, "references"), parts_in_order(generation, "chunks")
    for reference, clip in zip(references, clips, strict=True):
        assert reference.finished_at <= clip.started_at
    # One encoder at a time in a job, each clip rendered once.
    for clip, next_clip in pairwise(clips):
        assert clip.finished_at <= next_clip.started_at
    assert [clip.attempts for clip in clips] == [1] * scenes
    # The status still moved one phase at a time: to chunks once every reference was made.
    to_chunks = generation.status_events.get(to_status=get_phase("chunks").status).created_at
    assert references[-1].finished_at <= to_chunks <= clips[-1].finished_at


def test_with_one_worker_the_next_reference_and_the_soundtrack_are_made_while_a_clip_encodes(
    alice, work_queue
):
    generation = create(alice)
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    references, clips = parts_in_order(generation, "references"), parts_in_order(generation, "chunks")
    for clip, next_reference in zip(clips, references[1:], strict=False):
        assert clip.started_at < next_reference.started_at < clip.finished_at
    soundtrack = PartRun.objects.get(generation=generation, phase="refine")
    assert clips[-1].started_at < soundtrack.started_at < clips[-1].finished_at


def test_with_one_worker_the_first_reference_is_drawn_while_the_storyboard_is(alice, work_queue):
    generation = create(alice)
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    storyboard = generation.phase_runs.get(phase="animatic", status=PhaseRun.State.SUCCEEDED)
    first_reference = parts_in_order(generation, "references")[0]
    assert storyboard.started_at < first_reference.started_at < storyboard.finished_at
    assert parts_in_order(generation, "chunks")[0].attempts == 1


class SecondSketchBroken(LocalImages):
    """Breaks on the second sketch, once the first reference drawn beside the storyboard is
    done and its job holds the first clip."""

    def storyboard_frame(self, spec, scene_index, out_path, meter) -> None:
        if scene_index == 1:
            held = PartRun.objects.filter(phase="chunks", index=0, status=PartRun.State.RUNNING)
            deadline = time.monotonic() + 30
            while not held.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            raise RuntimeError("the pencil broke")
        super().storyboard_frame(spec, scene_index, out_path, meter)


def test_a_storyboard_that_fails_gives_back_the_clip_its_job_held_for_the_reference_beside_it(
    alice, work_queue, registered, settings
):
    generation = made_with_images(SecondSketchBroken, alice, work_queue, registered, settings)
    assert generation.status == Status.FAILED
    assert generation.error_message == "Phase 2 (animatic) failed: the pencil broke"
    assert part_done(generation, "references", 0)  # drawn beside the storyboard, and kept
    first_clip = PartRun.objects.get(generation=generation, phase="chunks", index=0)
    assert (first_clip.status, first_clip.attempts) == (PartRun.State.PENDING, 0)
    assert not PartRun.objects.filter(generation=generation, status=PartRun.State.RUNNING).exists()

    settings.IMAGE_PROVIDER = "local"
    services.generation_retry(video_id=generation.id)
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    assert PartRun.objects.get(generation=generation, phase="references", index=0).attempts == 1


@pytest.fixture
def storyboard_success_refused(transactional_db) -> Iterator[Callable[[], None]]:
    """A database that refuses to record the storyboard's success, as one that lost its
    connection or ran out of disk at that moment would. Yields what lifts the refusal."""
    if connection.vendor != "postgresql":
        pytest.skip("the refusal is a PostgreSQL trigger")
    table = PhaseRun._meta.db_table

    def lift() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER IF EXISTS refuse_storyboard_success ON {table}")
            cursor.execute("DROP FUNCTION IF EXISTS refuse_storyboard_success()")

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_storyboard_success() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER refuse_storyboard_success BEFORE UPDATE ON {table} FOR EACH ROW "
            "WHEN (NEW.phase = 'animatic' AND NEW.status = 'succeeded') "
            "EXECUTE FUNCTION refuse_storyboard_success()"
        )
    try:
        yield lift
    finally:
        lift()


def test_a_storyboard_whose_success_is_not_recorded_gives_back_the_clip_its_job_held(
    alice, work_queue, storyboard_success_refused
):
    generation = create(alice, resolution=DRAFT)
    work_queue()
    generation.refresh_from_db()
    # The job ended with the database's error; the generation waits for the reconciler.
    assert generation.status == get_phase("animatic").status
    assert part_done(generation, "references", 0)  # drawn beside the storyboard, and kept
    first_clip = PartRun.objects.get(generation=generation, phase="chunks", index=0)
    assert (first_clip.status, first_clip.attempts) == (PartRun.State.PENDING, 0)
    assert not PartRun.objects.filter(generation=generation, status=PartRun.State.RUNNING).exists()

    storyboard_success_refused()
    time.sleep(1.5)  # the storyboard's heartbeat goes stale
    assert reconcile(stale_after=1).resumed == [generation.id]
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    assert generation.phase_runs.filter(phase="animatic").count() == 2
    assert PartRun.objects.get(generation=generation, phase="references", index=0).attempts == 1


def test_the_soundtrack_is_made_before_the_clips_are_stitched(alice, work_queue):
    generation = create(alice, resolution=DRAFT)
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    soundtrack = PartRun.objects.get(generation=generation, phase="refine")
    refine = generation.phase_runs.get(phase="refine", status=PhaseRun.State.SUCCEEDED)
    stitch_started = refine.finished_at - timedelta(seconds=refine.detail["join_seconds"])
    assert soundtrack.finished_at <= stitch_started
    # The stitch only copies streams: the music was mixed and encoded in the soundtrack part.
    assert refine.output_data["music_url"] == soundtrack.output_data["music_url"]


def test_with_one_worker_a_video_is_one_job(alice, queue, work_queue):
    generation = create(alice, resolution=DRAFT)
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    jobs = FinishedJobRegistry(queue=queue).get_job_ids()
    # The job plans, draws the storyboard and queues a job per scene and one for the
    # soundtrack, then takes over each of those as it comes up in the queue: every
    # reference and its clip, the soundtrack, the stitch and the export.
    assert jobs == [f"vg-{generation.id}-plan-1"]
    assert queue.count == 0
    events = list(generation.status_events.values_list("to_status", flat=True))
    assert events == list(pipeline_order()[1:])  # every status, once each, in order


def test_the_planning_job_has_time_for_the_phases_it_runs_and_a_part_job_after_them(alice, queue):
    generation = create(alice)
    job = queue.fetch_job(f"vg-{generation.id}-plan-1")
    references, chunks = get_phase("references"), get_phase("chunks")
    before = get_phase("plan").timeout + get_phase("animatic").timeout
    assert job.timeout == before + 2 * (references.timeout + chunks.timeout)
    # With a review, the job ends at the gate: no part can start before the approval.
    reviewed = create(alice, review=True)
    assert queue.fetch_job(f"vg-{reviewed.id}-plan-1").timeout == before


def test_nothing_after_the_review_gate_starts_before_approval(alice, queue, work_queue):
    generation = create(alice, review=True, resolution=DRAFT)
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
def broken_music(registered, settings):
    registered("music", "broken", BrokenMusic)
    settings.MUSIC_PROVIDER = "broken"


def test_a_part_that_breaks_before_its_turn_fails_the_generation_readably(alice, work_queue, broken_music):
    generation = create(alice, resolution=DRAFT)
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    # The soundtrack spans the scenes: no scene is named.
    assert generation.error_message == "Phase 5 (refine) failed: the synthesizer is out of tune"
    assert PartRun.objects.get(generation=generation, phase="refine").status == PartRun.State.FAILED


def test_a_clip_that_fails_gives_back_the_next_clip_its_job_held(alice, work_queue, film_runs_out):
    film_runs_out.on_scene = 0  # the first clip fails while the second scene's reference is drawn
    generation = create(alice, resolution=DRAFT)
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    assert generation.error_message == "Phase 4 (chunks) failed on scene 1: the camera ran out of film"
    second_clip = PartRun.objects.get(generation=generation, phase="chunks", index=1)
    assert (second_clip.status, second_clip.attempts) == (PartRun.State.PENDING, 0)
    assert part_done(generation, "references", 1)
    assert not PartRun.objects.filter(generation=generation, status=PartRun.State.RUNNING).exists()

    film_runs_out.out_of_film = False
    services.generation_retry(video_id=generation.id)
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    assert PartRun.objects.get(generation=generation, phase="chunks", index=1).attempts == 1


class SecondReferenceBroken(LocalImages):
    def reference_image(self, spec, scene_index, out_path, meter) -> None:
        if scene_index == 1:
            raise RuntimeError("the easel fell over")
        super().reference_image(spec, scene_index, out_path, meter)


def test_a_reference_that_fails_beside_a_clip_fails_the_generation_readably(
    alice, work_queue, registered, settings
):
    generation = made_with_images(SecondReferenceBroken, alice, work_queue, registered, settings)
    assert generation.status == Status.FAILED
    assert generation.error_message == "Phase 3 (references) failed on scene 2: the easel fell over"
    assert part_done(generation, "chunks", 0)  # the clip it was drawn beside is kept
    assert not PartRun.objects.filter(generation=generation, status=PartRun.State.RUNNING).exists()


def test_a_reference_job_has_time_for_its_clip_which_outside_a_job_gets_its_own(alice, queue, work_queue):
    # Approved outside a job, so the parts wait in the queue (a job would take them over).
    generation = create(alice, review=True)
    work_queue()
    review.generation_approve(video_id=generation.id)
    references, chunks = get_phase("references"), get_phase("chunks")
    reference_job = queue.fetch_job(f"vg-{generation.id}-references-0-1")
    # Time for the scene and its clip, and as much again for the parts it may take over.
    assert reference_job.timeout == 2 * (references.timeout + chunks.timeout)
    assert reference_job.description == f"references[0] then chunks[0] {generation.id}"

    PartRun.objects.filter(generation=generation, phase="references", index=0).update(
        status=PartRun.State.SUCCEEDED, output_data={"reference_url": "references/x/scene-1.png"}
    )
    assert early.start_dependent_parts(generation.id, references, 0) is None
    clip_job = queue.fetch_job(f"vg-{generation.id}-chunks-0-1")
    assert clip_job is not None and clip_job.timeout == 2 * chunks.timeout
