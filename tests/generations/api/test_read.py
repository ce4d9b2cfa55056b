"""GET /status/<id>, GET /video/<id>, and listing and retrieving /api/generations/."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from generations import services
from generations.models import PhaseRun, Status, VideoGeneration
from tests.factories import PROMPT, finish, make, walk_to


def test_status_answers_the_seed_shape_with_a_queue_position(alice, bob, alice_api):
    make(bob)
    generation = make(alice)
    response = alice_api.get(f"/status/{generation.id}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "video_id",
        "status",
        "progress",
        "current_phase",
        "estimated_time_remaining",
        "error",
        "queue_position",
    }
    assert body["video_id"] == generation.id
    assert (body["status"], body["progress"], body["current_phase"], body["error"]) == (
        "queued",
        0.0,
        None,
        None,
    )
    assert body["queue_position"] == 2
    assert body["estimated_time_remaining"] > 0


def test_status_of_a_running_generation_has_no_queue_position(alice, alice_api):
    generation = make(alice)
    walk_to(generation, "generating_chunks")
    services.generation_set_progress(video_id=generation.id, progress=55.0)
    body = alice_api.get(f"/status/{generation.id}").json()
    assert (body["status"], body["progress"], body["queue_position"]) == ("generating_chunks", 55.0, None)


def test_a_status_poll_is_three_queries_that_leave_the_json_columns_unread(alice, alice_api):
    generation = make(alice)
    walk_to(generation, "generating_chunks")
    alice_api.get(f"/status/{generation.id}")  # the phase rates are cached from here on
    with CaptureQueriesContext(connection) as queries:
        body = alice_api.get(f"/status/{generation.id}").json()
    assert body["estimated_time_remaining"] > 0
    assert len(queries) == 3  # token, generation, its phase runs
    read = " ".join(query["sql"] for query in queries.captured_queries)
    for column in ("spec", "request", "output_data", "cost_breakdown"):
        assert f'."{column}"' not in read


def test_status_of_a_failed_generation_names_the_error(alice, alice_api):
    generation = make(alice)
    walk_to(generation, "generating_chunks")
    services.generation_fail(video_id=generation.id, message="Phase 4 (chunks) failed: disk full")
    body = alice_api.get(f"/status/{generation.id}").json()
    assert body["status"] == "failed"
    assert body["error"] == "Phase 4 (chunks) failed: disk full"
    assert body["estimated_time_remaining"] is None


def test_video_answers_the_seed_shape_with_urls_poster_and_costs(alice, alice_api, settings):
    generation = finish(make(alice))
    response = alice_api.get(f"/video/{generation.id}")
    assert response.status_code == 200
    body = response.json()
    media = f"http://testserver{settings.MEDIA_URL}"
    assert body == {
        "video_id": generation.id,
        "status": "complete",
        "final_video_url": f"{media}final/{generation.id}/video.mp4",
        "poster_url": f"{media}final/{generation.id}/poster.jpg",
        "cost_usd": 0.021,
        "cost_breakdown": {"plan": 0.01, "references": 0.011},
        "generation_time_seconds": 12.5,
        "created_at": body["created_at"],
        "completed_at": body["completed_at"],
        "spec": {"title": "Night sea", "scenes": []},
        "subtitle_urls": {"srt": None, "vtt": None},
    }
    assert body["completed_at"] is not None


def test_video_of_an_unfinished_generation_has_no_urls_yet(alice, alice_api):
    body = alice_api.get(f"/video/{make(alice).id}").json()
    assert (body["status"], body["final_video_url"], body["poster_url"], body["completed_at"]) == (
        "queued",
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    "path",
    [
        "/status/{id}",
        "/video/{id}",
        "/api/generations/{id}/",
        "/api/generations/{id}/cancel/",
        "/api/generations/{id}/retry/",
    ],
)
def test_another_users_generation_is_404_exactly_like_an_unknown_one(alice, bob_api, path):
    generation = make(alice)
    method = bob_api.post if path.endswith(("cancel/", "retry/")) else bob_api.get
    theirs = method(path.format(id=generation.id))
    unknown = method(path.format(id="0" * 32))
    assert (theirs.status_code, unknown.status_code) == (404, 404)
    assert theirs.json() == unknown.json()
    assert VideoGeneration.objects.get(id=generation.id).status == Status.QUEUED


def test_another_users_generation_cannot_be_deleted(alice, bob_api):
    generation = make(alice)
    assert bob_api.delete(f"/api/generations/{generation.id}/").status_code == 404
    assert VideoGeneration.objects.filter(id=generation.id).exists()


@pytest.mark.parametrize("video_id", ["%00", "x" * 33, "a%20b", "..", "%C3%A9"])
def test_ids_that_cannot_exist_are_404(alice_api, video_id):
    for path in (f"/status/{video_id}", f"/video/{video_id}", f"/api/generations/{video_id}/"):
        response = alice_api.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"


def test_staff_see_every_users_generations(alice, bob, staff_api):
    mine, theirs = make(alice), make(bob)
    assert staff_api.get(f"/status/{mine.id}").status_code == 200
    listed = {row["video_id"] for row in staff_api.get("/api/generations/").json()["results"]}
    assert listed == {mine.id, theirs.id}


@pytest.mark.parametrize(
    "path", ["/status/{id}", "/video/{id}", "/api/generations/", "/api/generations/{id}/"]
)
def test_unauthenticated_reads_are_401(alice, path):
    response = APIClient().get(path.format(id=make(alice).id))
    assert response.status_code == 401


def test_status_and_video_take_the_same_number_of_queries_however_much_history(
    alice, alice_api, django_assert_max_num_queries, settings
):
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 0  # more history than the active cap allows
    quiet = make(alice)
    with django_assert_max_num_queries(6):
        alice_api.get(f"/status/{quiet.id}")
    for _ in range(5):
        finish(make(alice))
    busy = make(alice)
    walk_to(busy, "generating_chunks")
    for phase in ("plan", "animatic", "references"):
        PhaseRun.objects.create(
            generation=busy, phase=phase, status=PhaseRun.State.SUCCEEDED, duration_seconds=2
        )
    PhaseRun.objects.create(generation=busy, phase="chunks")
    with django_assert_max_num_queries(6):
        assert alice_api.get(f"/status/{busy.id}").status_code == 200
    with django_assert_max_num_queries(2):
        assert alice_api.get(f"/video/{busy.id}").status_code == 200


def test_the_list_is_paginated_newest_first_and_light(alice, bob, alice_api):
    ids = [make(alice, f"{PROMPT} number {n}").id for n in range(3)]
    make(bob)
    first = alice_api.get("/api/generations/?page_size=2").json()
    assert first["count"] == 3
    assert [row["video_id"] for row in first["results"]] == [ids[2], ids[1]]
    assert set(first["results"][0]) == {
        "url",
        "video_id",
        "status",
        "progress",
        "current_phase",
        "prompt",
        "duration",
        "aspect_ratio",
        "template",
        "cost_usd",
        "created_at",
        "completed_at",
    }
    assert first["results"][0]["url"] == f"http://testserver/api/generations/{ids[2]}/"
    second = alice_api.get(first["next"]).json()
    assert [row["video_id"] for row in second["results"]] == [ids[0]]
    assert alice_api.get("/api/generations/?page=9").status_code == 404


def test_the_list_filters_by_status_and_date(alice, alice_api):
    old, failed, queued = make(alice), make(alice), make(alice)
    VideoGeneration.objects.filter(id=old.id).update(created_at=timezone.now() - timedelta(days=10))
    services.generation_fail(video_id=failed.id, message="boom")

    def listed(query: str) -> set[str]:
        response = alice_api.get(f"/api/generations/?{query}")
        assert response.status_code == 200, response.json()
        return {row["video_id"] for row in response.json()["results"]}

    assert listed("status=failed") == {failed.id}
    assert listed("status=failed&status=queued") == {old.id, failed.id, queued.id}
    since = (timezone.now() - timedelta(days=1)).date().isoformat()
    assert listed(f"created_after={since}") == {failed.id, queued.id}
    assert listed(f"created_before={since}") == {old.id}


@pytest.mark.parametrize("query", ["status=nonsense", "created_after=yesterday", "created_before=2024-13-45"])
def test_bad_filters_are_400(alice_api, query):
    response = alice_api.get(f"/api/generations/?{query}")
    assert response.status_code == 400


def test_the_list_takes_the_same_number_of_queries_for_many_rows(
    alice, alice_api, django_assert_max_num_queries, settings
):
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 0  # more at once than the active cap allows
    for n in range(15):
        make(alice, f"{PROMPT} {n}")
    with django_assert_max_num_queries(3):
        assert len(alice_api.get("/api/generations/").json()["results"]) == 15


def test_retrieve_has_everything_with_artifacts_and_phase_runs(alice, alice_api, settings):
    generation = finish(make(alice, assets=[{"url": "http://93.184.215.14/a.png", "type": "image"}]))
    body = alice_api.get(f"/api/generations/{generation.id}/").json()
    media = f"http://testserver{settings.MEDIA_URL}"
    assert body["video_id"] == generation.id
    assert body["prompt"] == PROMPT
    assert (body["aspect_ratio"], body["resolution"]) == ("16:9", "1080p")
    assert body["assets"] == [{"url": "http://93.184.215.14/a.png", "type": "image"}]
    assert body["artifacts"] == {
        "animatic": [f"{media}animatic/{generation.id}/frame_01.png"],
        "references": [f"{media}references/{generation.id}/scene_01.png"],
        "chunks": [f"{media}chunks/{generation.id}/scene_01.mp4"],
        "stitched": f"{media}chunks/{generation.id}/stitched.mp4",
        "refined": f"{media}final/{generation.id}/refined.mp4",
        "final": f"{media}final/{generation.id}/video.mp4",
        "poster": f"{media}final/{generation.id}/poster.jpg",
    }
    assert [run["phase"] for run in body["phase_runs"]] == [
        "plan",
        "animatic",
        "references",
        "chunks",
        "refine",
        "export",
    ]
    assert body["phase_runs"][0]["status"] == "succeeded"
    assert body["cost_breakdown"] == {"plan": 0.01, "references": 0.011}
