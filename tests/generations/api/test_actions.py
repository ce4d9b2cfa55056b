"""POST .../cancel/, POST .../retry/ and DELETE on /api/generations/<id>/."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from generations import services
from generations.models import Status, VideoGeneration
from phases.request import GenerationRequest
from tests.factories import PROMPT, finish, walk_to


def queued(user, django_capture_on_commit_callbacks) -> VideoGeneration:
    with django_capture_on_commit_callbacks(execute=True):
        return services.generation_create(user=user, request=GenerationRequest(prompt=PROMPT))


def test_cancel_stops_a_generation_and_drops_its_waiting_job(
    alice, alice_api, queue, django_capture_on_commit_callbacks
):
    generation = queued(alice, django_capture_on_commit_callbacks)
    assert queue.count == 1
    response = alice_api.post(f"/api/generations/{generation.id}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "canceled"
    assert VideoGeneration.objects.get(id=generation.id).status == Status.CANCELED
    assert queue.count == 0


def test_cancel_of_a_finished_generation_is_a_409_saying_why(alice, alice_api):
    generation = finish(services.generation_create(user=alice, request=GenerationRequest(prompt=PROMPT)))
    response = alice_api.post(f"/api/generations/{generation.id}/cancel/")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Only a generation in progress can be canceled; this one is complete."
    }


def test_retry_requeues_a_failed_generation(alice, alice_api, queue, django_capture_on_commit_callbacks):
    generation = services.generation_create(user=alice, request=GenerationRequest(prompt=PROMPT))
    walk_to(generation, "generating_chunks")
    services.generation_fail(video_id=generation.id, message="Phase 4 (chunks) failed: boom")
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.post(f"/api/generations/{generation.id}/retry/")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["error"], body["attempts"]) == ("queued", None, 2)
    assert queue.get_job_ids() == [f"vg-{generation.id}-plan-1"]


def test_retry_of_a_running_generation_is_a_409_saying_why(alice, alice_api):
    generation = services.generation_create(user=alice, request=GenerationRequest(prompt=PROMPT))
    response = alice_api.post(f"/api/generations/{generation.id}/retry/")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Only a failed or canceled generation can be retried; this one is queued."
    }


def test_actions_answer_only_post(alice, alice_api):
    generation = services.generation_create(user=alice, request=GenerationRequest(prompt=PROMPT))
    assert alice_api.get(f"/api/generations/{generation.id}/cancel/").status_code == 405
    assert alice_api.put(f"/api/generations/{generation.id}/", {}, format="json").status_code == 405


def test_delete_removes_the_record_and_its_files(alice, alice_api):
    generation = finish(services.generation_create(user=alice, request=GenerationRequest(prompt=PROMPT)))
    stored = default_storage.save(generation.final_video_url, ContentFile(b"mp4"))
    response = alice_api.delete(f"/api/generations/{generation.id}/")
    assert response.status_code == 204
    assert not VideoGeneration.objects.filter(id=generation.id).exists()
    assert not default_storage.exists(stored)
    assert alice_api.get(f"/api/generations/{generation.id}/").status_code == 404


def test_delete_of_a_running_generation_cancels_its_jobs_first(
    alice, alice_api, queue, django_capture_on_commit_callbacks
):
    generation = queued(alice, django_capture_on_commit_callbacks)
    assert alice_api.delete(f"/api/generations/{generation.id}/").status_code == 204
    assert queue.count == 0
    assert not VideoGeneration.objects.filter(id=generation.id).exists()
