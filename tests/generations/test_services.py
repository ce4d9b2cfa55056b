from decimal import Decimal

import pytest

from generations import services
from generations.models import (
    ACTIVE_STATUSES,
    PIPELINE_ORDER,
    CostEntry,
    PhaseRun,
    Status,
    StatusEvent,
    VideoGeneration,
)
from generations.orchestration import dispatch


@pytest.fixture
def generation(alice, queue):
    return services.generation_create(user=alice, prompt="A calm ocean at night under the stars")


def walk_to(video_id: str, target: Status) -> None:
    if target == Status.AWAITING_REVIEW:
        walk_to(video_id, Status.GENERATING_ANIMATIC)
        services.generation_transition(video_id=video_id, to=Status.AWAITING_REVIEW)
        return
    for status in PIPELINE_ORDER[1 : PIPELINE_ORDER.index(target) + 1]:
        services.generation_transition(video_id=video_id, to=status)


def test_the_review_gate_sits_between_the_storyboard_and_the_references(generation):
    walk_to(generation.id, Status.AWAITING_REVIEW)
    for refused in (Status.GENERATING_CHUNKS, Status.GENERATING_ANIMATIC, Status.COMPLETE, Status.QUEUED):
        with pytest.raises(services.InvalidTransition):
            services.generation_transition(video_id=generation.id, to=refused)
    services.generation_transition(video_id=generation.id, to=Status.GENERATING_REFERENCES)
    generation.refresh_from_db()
    assert generation.status == Status.GENERATING_REFERENCES


@pytest.mark.parametrize("start", [Status.QUEUED, Status.VALIDATING, Status.GENERATING_REFERENCES])
def test_only_the_storyboard_phase_can_enter_review(generation, start):
    walk_to(generation.id, start)
    with pytest.raises(services.InvalidTransition):
        services.generation_transition(video_id=generation.id, to=Status.AWAITING_REVIEW)


def test_approve_moves_a_reviewed_generation_on_once(generation):
    walk_to(generation.id, Status.AWAITING_REVIEW)
    services.generation_approve(video_id=generation.id)
    generation.refresh_from_db()
    assert generation.status == Status.GENERATING_REFERENCES and generation.approved_at is not None
    with pytest.raises(services.InvalidTransition):
        services.generation_approve(video_id=generation.id)


def test_create_makes_a_queued_record_and_enqueues_its_first_job(
    alice, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        generation = services.generation_create(
            user=alice,
            prompt="  A forest at dawn, birds waking up  ",
            duration=12,
            aspect_ratio="9:16",
            seed=7,
        )
    generation.refresh_from_db()
    assert generation.status == Status.QUEUED
    assert generation.prompt == "A forest at dawn, birds waking up"
    assert (generation.duration, generation.aspect_ratio, generation.seed) == (12, "9:16", 7)
    assert len(generation.id) == 32
    assert queue.get_job_ids() == [f"vg-{generation.id}-advance"]


def test_nothing_is_enqueued_when_the_creating_transaction_rolls_back(
    alice, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            from django.db import transaction

            with transaction.atomic():
                services.generation_create(user=alice, prompt="A forest at dawn, birds waking up")
                raise RuntimeError("request failed after create")
    assert VideoGeneration.objects.count() == 0
    assert queue.get_job_ids() == []


def test_it_walks_the_whole_pipeline_forward_one_step_at_a_time(generation):
    walk_to(generation.id, Status.COMPLETE)
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE
    events = list(StatusEvent.objects.filter(generation=generation).values_list("from_status", "to_status"))
    assert events == list(zip(PIPELINE_ORDER, PIPELINE_ORDER[1:]))


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (Status.QUEUED, Status.GENERATING_ANIMATIC),  # skipping a step
        (Status.GENERATING_CHUNKS, Status.GENERATING_REFERENCES),  # backwards
        (Status.QUEUED, Status.COMPLETE),
        (Status.EXPORTING, Status.QUEUED),
    ],
)
def test_it_refuses_illegal_moves(generation, start, target):
    walk_to(generation.id, start)
    with pytest.raises(services.InvalidTransition):
        services.generation_transition(video_id=generation.id, to=target)
    generation.refresh_from_db()
    assert generation.status == start


@pytest.mark.parametrize("active", sorted(ACTIVE_STATUSES))
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
    for target in (Status.QUEUED, Status.VALIDATING, Status.FAILED, Status.CANCELED):
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
    walk_to(generation.id, Status.GENERATING_CHUNKS)
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
        generation = services.generation_create(user=alice, prompt="A desert at noon with dunes")
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
    walk_to(generation.id, Status.VALIDATING)
    run = PhaseRun.objects.create(generation=generation, phase="plan")
    services.generation_fail(video_id=generation.id, message="Phase 1 (plan) failed: bad")
    run.refresh_from_db()
    assert run.status == PhaseRun.State.FAILED


def test_inline_dispatch_collects_jobs_instead_of_touching_redis(alice, queue):
    with dispatch.inline() as pending:
        generation = services.generation_create(user=alice, prompt="A city street in the rain at night")
    assert list(pending) == [("generations.orchestration.jobs.advance", (generation.id,))]
    assert queue.count == 0
