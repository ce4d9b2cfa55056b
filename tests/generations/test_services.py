import copy
import io
from decimal import Decimal

import numpy as np
import pytest
from django.core.files.storage import default_storage
from PIL import Image

from generations import review, services
from generations.models import (
    CostEntry,
    PhaseRun,
    Status,
    StatusEvent,
    VideoGeneration,
    active_statuses,
    pipeline_order,
)
from phases.request import GenerationRequest, RequestInvalid
from tests.factories import walk_to
from tests.phases.spec_factory import make_spec


@pytest.fixture
def generation(alice, queue):
    return services.generation_create(
        user=alice, request=GenerationRequest(prompt="A calm ocean at night under the stars")
    )


def test_the_review_gate_sits_between_the_storyboard_and_the_references(generation):
    walk_to(generation.id, Status.AWAITING_REVIEW)
    for refused in ("generating_chunks", "generating_animatic", Status.COMPLETE, Status.QUEUED):
        with pytest.raises(services.InvalidTransition):
            services.generation_transition(video_id=generation.id, to=refused)
    services.generation_transition(video_id=generation.id, to="generating_references")
    generation.refresh_from_db()
    assert generation.status == "generating_references"


@pytest.mark.parametrize("start", [Status.QUEUED, "validating", "generating_references"])
def test_only_the_storyboard_phase_can_enter_review(generation, start):
    walk_to(generation.id, start)
    with pytest.raises(services.InvalidTransition):
        services.generation_transition(video_id=generation.id, to=Status.AWAITING_REVIEW)


def test_approve_moves_a_reviewed_generation_on_once(generation):
    walk_to(generation.id, Status.AWAITING_REVIEW)
    review.generation_approve(video_id=generation.id)
    generation.refresh_from_db()
    assert generation.status == "generating_references" and generation.approved_at is not None
    with pytest.raises(services.InvalidTransition):
        review.generation_approve(video_id=generation.id)


def test_create_makes_a_queued_record_and_enqueues_its_first_job(
    alice, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        generation = services.generation_create(
            user=alice,
            request=GenerationRequest(
                prompt="  A forest at dawn, birds waking up  ", duration=12, aspect_ratio="9:16", seed=7
            ),
        )
    generation.refresh_from_db()
    assert generation.status == Status.QUEUED
    assert generation.prompt == "A forest at dawn, birds waking up"
    assert (generation.duration, generation.aspect_ratio, generation.seed) == (12, "9:16", 7)
    assert len(generation.id) == 32
    assert queue.get_job_ids() == [f"vg-{generation.id}-plan-1"]


def test_nothing_is_enqueued_when_the_creating_transaction_rolls_back(
    alice, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            from django.db import transaction

            with transaction.atomic():
                services.generation_create(
                    user=alice, request=GenerationRequest(prompt="A forest at dawn, birds waking up")
                )
                raise RuntimeError("request failed after create")
    assert VideoGeneration.objects.count() == 0
    assert queue.get_job_ids() == []


def test_it_walks_the_whole_pipeline_forward_one_step_at_a_time(generation):
    walk_to(generation.id, Status.COMPLETE)
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE
    events = list(StatusEvent.objects.filter(generation=generation).values_list("from_status", "to_status"))
    assert events == list(zip(pipeline_order(), pipeline_order()[1:]))


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.QUEUED, "generating_animatic"),  # skipping a step
        ("generating_chunks", "generating_references"),  # backwards
        (Status.QUEUED, Status.COMPLETE),
        ("exporting", Status.QUEUED),
    ],
)
def test_it_refuses_illegal_moves(generation, start, target):
    walk_to(generation.id, start)
    with pytest.raises(services.InvalidTransition):
        services.generation_transition(video_id=generation.id, to=target)
    generation.refresh_from_db()
    assert generation.status == start


@pytest.mark.parametrize("active", sorted(active_statuses()))
def test_any_active_status_can_fail_or_be_canceled(generation, active):
    walk_to(generation.id, active)
    services.generation_fail(video_id=generation.id, message="Phase 4 (chunks) failed: disk full")
    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    assert generation.error_message == "Phase 4 (chunks) failed: disk full"
    assert generation.completed_at is not None


@pytest.mark.parametrize("final", [Status.COMPLETE, Status.FAILED, Status.CANCELED])
def test_final_statuses_do_not_move_without_an_explicit_retry(generation, final):
    if final == Status.COMPLETE:
        walk_to(generation.id, Status.COMPLETE)
    else:
        services.generation_transition(video_id=generation.id, to=final)
    for target in (Status.QUEUED, "validating", Status.FAILED, Status.CANCELED):
        if target == final:
            continue
        with pytest.raises(services.InvalidTransition):
            services.generation_transition(video_id=generation.id, to=target)
    assert services.generation_fail(video_id=generation.id, message="late failure") is False
    generation.refresh_from_db()
    assert generation.status == final


def test_a_completed_generation_cannot_be_retried(generation):
    walk_to(generation.id, Status.COMPLETE)
    with pytest.raises(services.InvalidTransition):
        services.generation_retry(video_id=generation.id)


def test_retry_requeues_a_failed_generation_and_counts_the_attempt(generation, queue):
    walk_to(generation.id, "generating_chunks")
    services.generation_fail(video_id=generation.id, message="Phase 4 (chunks) failed: boom")
    queue.empty()
    retried = services.generation_retry(video_id=generation.id)
    assert retried.status == Status.QUEUED
    assert retried.error_message is None
    assert retried.attempts == 2


def test_cancel_stops_a_queued_generation_and_drops_its_waiting_job(
    alice, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        generation = services.generation_create(
            user=alice, request=GenerationRequest(prompt="A desert at noon with dunes")
        )
    assert queue.count == 1
    services.generation_cancel(video_id=generation.id)
    generation.refresh_from_db()
    assert generation.status == Status.CANCELED
    assert queue.count == 0


def test_cancel_of_a_finished_generation_is_refused(generation):
    walk_to(generation.id, Status.COMPLETE)
    with pytest.raises(services.InvalidTransition):
        services.generation_cancel(video_id=generation.id)


def test_progress_never_decreases(generation):
    services.generation_set_progress(video_id=generation.id, progress=40.0)
    services.generation_set_progress(video_id=generation.id, progress=25.0)
    generation.refresh_from_db()
    assert generation.progress == 40.0
    services.generation_set_progress(video_id=generation.id, progress=140.0)
    generation.refresh_from_db()
    assert generation.progress == 100.0


def test_the_ledger_totals_are_sums_of_its_lines(generation):
    services.ledger_record(
        video_id=generation.id,
        phase="plan",
        provider="openai",
        model="gpt-4-turbo",
        units=Decimal(1),
        usd=Decimal("0.01"),
    )
    for _ in range(3):
        services.ledger_record(
            video_id=generation.id,
            phase="references",
            provider="replicate",
            model="sdxl",
            units=Decimal(1),
            usd=Decimal("0.0055"),
        )
    generation.refresh_from_db()
    assert generation.cost_usd == Decimal("0.0265")
    assert generation.cost_breakdown == {"plan": "0.0100", "references": "0.0165"}
    assert CostEntry.objects.filter(generation=generation).count() == 4


def test_failing_marks_running_phase_runs_failed(generation):
    walk_to(generation.id, "validating")
    run = PhaseRun.objects.create(generation=generation, phase="plan")
    services.generation_fail(video_id=generation.id, message="Phase 1 (plan) failed: bad")
    run.refresh_from_db()
    assert run.status == PhaseRun.State.FAILED


def test_creating_enqueues_the_first_job_once_the_row_is_committed(
    alice, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        generation = services.generation_create(
            user=alice, request=GenerationRequest(prompt="A city street in the rain at night")
        )
        assert queue.count == 0
    assert queue.get_job_ids() == [f"vg-{generation.id}-plan-1"]


PARENT_REQUEST = GenerationRequest(
    prompt="A lighthouse on a cliff above a stormy sea",
    duration=12,
    aspect_ratio="1:1",
    template="noir",
    seed=42,
    assets=({"type": "image", "url": "https://example.com/lighthouse.png"},),
    webhook_url="https://example.com/hook",
    script="The storm rolls in. The light turns on.",
    narration=False,
    voice="en-gb+f3",
    language="en-GB",
    speech_rate=1.25,
    subtitles=False,
    burn_subtitles=True,
    subtitle_style={"position": "center", "font": "serif", "size": 64},
)


def test_create_stores_the_whole_request_on_the_record(alice, queue):
    generation = services.generation_create(user=alice, request=PARENT_REQUEST)
    generation.refresh_from_db()
    assert generation.generation_request == PARENT_REQUEST
    assert (generation.prompt, generation.duration, generation.aspect_ratio) == (
        PARENT_REQUEST.prompt,
        12,
        "1:1",
    )
    assert (generation.template, generation.seed, generation.webhook_url) == (
        "noir",
        42,
        "https://example.com/hook",
    )
    assert generation.uploaded_assets == [{"type": "image", "url": "https://example.com/lighthouse.png"}]


def test_create_refuses_a_request_outside_the_limits_and_stores_nothing(alice, queue):
    with pytest.raises(RequestInvalid) as refused:
        services.generation_create(user=alice, request=PARENT_REQUEST.replace(duration=1, voice="a b"))
    assert set(refused.value.errors) == {"duration", "voice"}
    assert not VideoGeneration.objects.exists()


def test_a_remix_with_a_new_prompt_keeps_every_other_option_of_its_parent(alice, queue):
    parent = services.generation_create(user=alice, request=PARENT_REQUEST)
    child = review.generation_remix(parent=parent, user=alice, prompt="The same lighthouse on a calm morning")
    child.refresh_from_db()
    assert child.generation_request == PARENT_REQUEST.replace(prompt="The same lighthouse on a calm morning")
    assert child.remixed_from_id == parent.id and child.spec is None


def test_a_remix_with_a_spec_takes_its_shape_from_the_spec_and_the_rest_from_its_parent(alice, queue):
    parent = services.generation_create(user=alice, request=PARENT_REQUEST)
    spec = make_spec(duration=9, aspect_ratio="9:16", template="pastel", seed=5, width=360, height=640)
    child = review.generation_remix(parent=parent, user=alice, spec=spec)
    child.refresh_from_db()
    assert child.generation_request == PARENT_REQUEST.replace(
        prompt=spec["prompt"], duration=9, aspect_ratio="9:16", resolution="360p", template="pastel", seed=5
    )
    assert (child.duration, child.aspect_ratio, child.resolution) == (9, "9:16", "360p")
    plan = child.phase_runs.get(phase="plan")
    assert plan.output_data["assets"] == list(PARENT_REQUEST.assets)


def test_a_review_edit_to_a_draft_frame_is_the_resolution_the_eta_goes_by(alice, queue):
    generation = services.generation_create(user=alice, request=PARENT_REQUEST.replace(review=True))
    walk_to(generation, Status.AWAITING_REVIEW)
    planned = make_spec(duration=PARENT_REQUEST.duration, aspect_ratio="1:1")
    VideoGeneration.objects.filter(id=generation.id).update(spec=planned)
    draft = {**planned, "width": 480, "height": 480}
    review.generation_update_spec(video_id=generation.id, spec=draft)
    generation.refresh_from_db()
    assert (generation.resolution, generation.frame_label) == ("480p", "480×480")
    assert generation.generation_request.resolution == "1080p"  # what was asked stays on record


def test_a_remix_applies_overrides_and_checks_them(alice, queue):
    parent = services.generation_create(user=alice, request=PARENT_REQUEST)
    child = review.generation_remix(parent=parent, user=alice, overrides={"narration": True, "voice": ""})
    assert child.generation_request == PARENT_REQUEST.replace(narration=True, voice="")
    with pytest.raises(RequestInvalid):
        review.generation_remix(parent=parent, user=alice, overrides={"speech_rate": 9.0})


def green_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 180), (20, 200, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def assert_first_reference_is_the_upload(generation: VideoGeneration) -> None:
    """The references phase's output names the upload, and scene 1's picture is made from it."""
    generation.refresh_from_db()
    assert generation.status in (Status.COMPLETE, Status.AWAITING_REVIEW), generation.error_message
    upload = generation.generation_request.image_assets[0]["name"]
    assert generation.reference_urls["uploads"] == [upload]
    with default_storage.open(generation.reference_urls["scenes"][0]) as stored:
        red, green, blue = np.asarray(Image.open(stored).convert("RGB"), dtype=np.int16).mean(axis=(0, 1))
    assert green > 120 and green > red + 60 and green > blue + 60


@pytest.mark.django_db(transaction=True)
def test_editing_the_spec_in_review_and_regenerating_a_scene_keep_the_uploaded_reference(
    alice, queue, run_burst_worker, django_capture_on_commit_callbacks
):
    request = GenerationRequest(
        prompt="A calm ocean at night. Waves roll onto the beach.",
        duration=5,
        resolution="240p",
        review=True,
        narration=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        generation = services.generation_create(user=alice, request=request, reference_images=[green_png()])
    run_burst_worker()
    generation.refresh_from_db()
    assert generation.status == Status.AWAITING_REVIEW, generation.error_message

    spec = copy.deepcopy(generation.spec)
    spec["scenes"][0]["caption"] = "An edited caption"
    with django_capture_on_commit_callbacks(execute=True):
        review.generation_update_spec(video_id=generation.id, spec=spec)
    run_burst_worker()
    with django_capture_on_commit_callbacks(execute=True):
        review.generation_approve(video_id=generation.id)
    run_burst_worker()
    assert_first_reference_is_the_upload(generation)
    assert generation.status == Status.COMPLETE

    with django_capture_on_commit_callbacks(execute=True):
        review.generation_regenerate_scene(video_id=generation.id, scene_number=1, caption="Again")
    run_burst_worker()
    assert_first_reference_is_the_upload(generation)
    assert generation.status == Status.COMPLETE and generation.spec["scenes"][0]["caption"] == "Again"
