"""Reads for pages and the API: ETA, queue position, who sees what, the /video response."""

from __future__ import annotations

from django.contrib.auth.models import Permission

from generations import selectors, services
from generations.models import PhaseRun, Status
from phases.registry import PHASES
from providers.spec import RESOLUTIONS
from tests.factories import make, make_generation


def test_the_eta_of_a_new_generation_comes_from_each_phases_declared_default(alice, queue):
    generation = make(alice, duration=10)
    expected = sum(phase.eta_seconds_per_video_second for phase in PHASES) * 10
    assert selectors.generation_eta_seconds(generation) == round(expected)


def test_the_eta_learns_from_past_videos_of_the_same_resolution(alice, queue, settings):
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 0
    # Chunks took 1 s per video second for the past drafts, 8 s for the past full-size video.
    for resolution, seconds in (("240p", 10), ("240p", 10), ("1080p", 80)):
        past = make(alice, duration=10, resolution=resolution)
        PhaseRun.objects.create(
            generation=past, phase="chunks", status=PhaseRun.State.SUCCEEDED, duration_seconds=seconds
        )
    others = sum(phase.eta_seconds_per_video_second for phase in PHASES if phase.name != "chunks")
    draft, full = make(alice, duration=30, resolution="240p"), make(alice, duration=30)
    # The draft's other phases have no history at 240p: the full frame's, scaled.
    draft_share = selectors.RESOLUTION_TIME_SHARE["240p"]
    assert selectors.generation_eta_seconds(draft) == round((others * draft_share + 1) * 30)
    assert selectors.generation_eta_seconds(full) == round((others + 8) * 30)
    # A resolution with no history yet: the full frame's rates (learned for chunks, declared
    # for the rest), scaled by how much quicker that resolution renders.
    middle = make(alice, duration=30, resolution="480p")
    share = selectors.RESOLUTION_TIME_SHARE["480p"]
    assert selectors.generation_eta_seconds(middle) == round((others + 8) * 30 * share)


def test_a_draft_with_no_history_is_estimated_quicker_than_the_full_frame(alice, queue, settings):
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 0
    estimates = [
        selectors.generation_eta_seconds(make(alice, duration=60, resolution=resolution))
        for resolution in RESOLUTIONS
    ]
    assert estimates[0] == round(sum(phase.eta_seconds_per_video_second for phase in PHASES) * 60)
    assert estimates == sorted(estimates, reverse=True) and len(set(estimates)) == len(RESOLUTIONS)


def test_a_complete_generation_has_no_time_left_and_a_failed_one_none(alice, queue):
    assert selectors.generation_eta_seconds(make_generation(alice, Status.COMPLETE)) == 0
    failed = make(alice)
    services.generation_fail(video_id=failed.id, message="broken")
    failed.refresh_from_db()
    assert selectors.generation_eta_seconds(failed) is None


def test_queue_positions_count_the_queued_generations_made_before(alice, bob, queue, settings):
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 10
    first, second = make(alice), make(bob)
    third = make(alice)
    assert [selectors.generation_queue_position(g) for g in (first, second, third)] == [1, 2, 3]
    services.generation_cancel(video_id=first.id)
    second.refresh_from_db()
    first.refresh_from_db()
    assert selectors.generation_queue_position(first) is None
    assert selectors.generation_queue_position(second) == 1


def test_a_user_sees_only_their_own_generations(alice, bob, queue):
    mine, theirs = make(alice), make(bob)
    assert list(selectors.generations_visible_to(user=alice)) == [mine]
    assert theirs not in selectors.generations_visible_to(user=alice)


def test_staff_see_others_generations_only_with_the_view_permission(alice, bob, queue):
    theirs = make(bob)
    alice.is_staff = True
    alice.save()
    assert theirs not in selectors.generations_visible_to(user=alice)
    alice.user_permissions.add(Permission.objects.get(codename="view_videogeneration"))
    alice = type(alice).objects.get(pk=alice.pk)  # permissions are cached per instance
    assert theirs in selectors.generations_visible_to(user=alice)


def test_the_video_response_names_the_seeds_fields(alice, queue):
    generation = make_generation(alice, Status.COMPLETE, final_video_url="final/x/video.mp4")
    response = selectors.video_response(generation=generation)
    assert response["video_id"] == generation.id
    assert response["status"] == Status.COMPLETE
    assert response["final_video_url"].endswith("/media/final/x/video.mp4")
    assert "cost_breakdown" in response
