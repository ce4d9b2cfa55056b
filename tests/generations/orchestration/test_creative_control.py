"""Review the storyboard before rendering, edit it, regenerate one scene, remix: with real workers."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import numpy as np
import pytest
from django.core.files.storage import default_storage
from rest_framework.test import APIClient

from generations import services
from generations.models import PartRun, PhaseRun, Status, VideoGeneration
from generations.results import generation_versions
from phases.request import GenerationRequest
from tests.generations.orchestration.test_pipeline import (
    assert_conforming_video,
    final_path,
    frame_at,
    scene_middle,
)

pytestmark = pytest.mark.django_db(transaction=True)

FOUR_SCENES = "A forest at dawn. Birds fly over the river. Rain falls on the city. Stars fill the night sky."


@pytest.fixture
def api(alice) -> APIClient:
    client = APIClient()
    client.force_authenticate(alice)
    return client


def submit(api: APIClient, capture, **body) -> VideoGeneration:
    with capture(execute=True):
        response = api.post("/generate", {"duration": 5, **body}, format="json")
    assert response.status_code == 202, response.json()
    return VideoGeneration.objects.get(id=response.json()["video_id"])


def sha256(name: str) -> str:
    return hashlib.sha256(default_storage.open(name).read()).hexdigest()


def test_the_review_gate_pauses_after_the_storyboard_and_an_edit_reaches_the_video(
    api, run_burst_worker, django_capture_on_commit_callbacks, tmp_path
):
    prompt = "A calm ocean at night under the stars. Waves roll onto the beach."
    reviewed = submit(api, django_capture_on_commit_callbacks, prompt=prompt, review=True, resolution="480p")
    run_burst_worker()
    reviewed.refresh_from_db()
    assert reviewed.status == Status.AWAITING_REVIEW
    assert len(reviewed.animatic_urls) == len(reviewed.spec["scenes"])
    assert not PartRun.objects.filter(generation=reviewed).exists()  # no chunk rendered
    assert not reviewed.phase_runs.filter(phase="references").exists()
    frames_before = list(reviewed.animatic_urls)

    # A bad spec is refused and changes nothing.
    broken = copy.deepcopy(reviewed.spec)
    broken["scenes"] = broken["scenes"][:2]
    response = api.patch(f"/api/generations/{reviewed.id}/", {"spec": broken}, format="json")
    assert response.status_code == 400 and "spec" in response.json()
    reviewed.refresh_from_db()
    assert len(reviewed.spec["scenes"]) == len(frames_before)

    edited = copy.deepcopy(reviewed.spec)
    edited["scenes"][0]["caption"] = "EDITED CAPTION"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(f"/api/generations/{reviewed.id}/", {"spec": edited}, format="json")
    assert response.status_code == 200, response.json()
    run_burst_worker()  # redraws the storyboard frame of the edited scene only
    reviewed.refresh_from_db()
    assert reviewed.status == Status.AWAITING_REVIEW
    assert reviewed.animatic_urls[0] != frames_before[0]
    assert reviewed.animatic_urls[1:] == frames_before[1:]

    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/generations/{reviewed.id}/approve/").status_code == 200
    assert api.post(f"/api/generations/{reviewed.id}/approve/").status_code == 409
    run_burst_worker()
    reviewed.refresh_from_db()
    assert_conforming_video(reviewed, tmp_path)
    assert reviewed.spec["scenes"][0]["caption"] == "EDITED CAPTION"

    plain = submit(api, django_capture_on_commit_callbacks, prompt=prompt, resolution="480p")
    run_burst_worker()
    plain.refresh_from_db()
    at = scene_middle(reviewed.spec, 0)
    difference = np.abs(
        frame_at(final_path(reviewed), at, tmp_path) - frame_at(final_path(plain), at, tmp_path)
    )
    assert difference.mean() > 0.5, "the edited caption should change the frame"


def test_editing_is_refused_unless_awaiting_review(api, alice, queue):
    generation = services.generation_create(
        user=alice, request=GenerationRequest(prompt="A quiet garden with flowers in spring")
    )
    response = api.patch(f"/api/generations/{generation.id}/", {"spec": {"version": 1}}, format="json")
    assert response.status_code == 409
    assert api.post(f"/api/generations/{generation.id}/approve/").status_code == 409


@pytest.mark.slow
def test_regenerating_one_scene_redoes_exactly_one_chunk(
    api, run_burst_worker, django_capture_on_commit_callbacks, tmp_path
):
    generation = submit(
        api, django_capture_on_commit_callbacks, prompt=FOUR_SCENES, duration=20, resolution="480p"
    )
    run_burst_worker()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    assert len(generation.spec["scenes"]) == 4
    chunks_before = list(generation.chunk_urls)
    hashes_before = {name: sha256(name) for name in chunks_before}
    (tmp_path / "old").mkdir()
    old_frame = frame_at(final_path(generation), scene_middle(generation.spec, 1), tmp_path / "old")

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/generations/{generation.id}/scenes/2/regenerate/", {}, format="json")
    assert response.status_code == 202, response.json()
    run_burst_worker()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    assert_conforming_video(generation, tmp_path)

    parts = {part.index: part for part in PartRun.objects.filter(generation=generation, phase="chunks")}
    assert [parts[index].attempts for index in range(4)] == [1, 2, 1, 1]
    assert (
        PartRun.objects.get(generation=generation, phase="refine").attempts == 2
    )  # the soundtrack spans every scene
    assert generation.chunk_urls[1] != chunks_before[1]
    for index in (0, 2, 3):  # reused byte for byte
        assert generation.chunk_urls[index] == chunks_before[index]
        assert sha256(chunks_before[index]) == hashes_before[chunks_before[index]]
    assert default_storage.exists(chunks_before[1]), "the replaced clip stays as an earlier version"
    assert generation.phase_runs.filter(phase="chunks", status=PhaseRun.State.SUPERSEDED).count() == 1
    versions = generation_versions(generation)["chunks"]
    assert versions["scene_02"] == [chunks_before[1], generation.chunk_urls[1]]  # oldest first
    assert all(len(versions[f"scene_0{n}"]) == 1 for n in (1, 3, 4))
    new_frame = frame_at(final_path(generation), scene_middle(generation.spec, 1), tmp_path)
    assert np.abs(new_frame - old_frame).mean() > 2  # a new variation of the scene, not the old picture


def test_regenerating_needs_a_finished_video_and_a_real_scene(api, alice, queue):
    generation = services.generation_create(
        user=alice, request=GenerationRequest(prompt="A quiet garden with flowers in spring")
    )
    assert (
        api.post(f"/api/generations/{generation.id}/scenes/1/regenerate/", {}, format="json").status_code
        == 409
    )


def test_a_remix_reuses_the_parents_unchanged_work(
    api, run_burst_worker, django_capture_on_commit_callbacks, tmp_path
):
    parent = submit(
        api,
        django_capture_on_commit_callbacks,
        prompt="Snow falls on a quiet mountain village",
        resolution="360p",
    )
    run_burst_worker()
    parent.refresh_from_db()
    spec = copy.deepcopy(parent.spec)
    spec["scenes"][-1]["caption"] = "A new ending"
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/generations/{parent.id}/remix/", {"spec": spec}, format="json")
    assert response.status_code == 202, response.json()
    child = VideoGeneration.objects.get(id=response.json()["video_id"])
    run_burst_worker()
    child.refresh_from_db()
    assert child.remixed_from_id == parent.id
    assert child.generation_request.resolution == "360p"  # the parent's, with the rest of its request
    assert_conforming_video(child, tmp_path)
    assert (child.spec["width"], child.spec["height"]) == (640, 360)
    assert child.spec["scenes"][-1]["caption"] == "A new ending"
    # Unchanged scenes' clips are the parent's, copied byte for byte; the changed one is new.
    last = len(spec["scenes"]) - 1
    for index, (mine, theirs) in enumerate(zip(child.chunk_urls, parent.chunk_urls, strict=True)):
        assert Path(mine).name == Path(theirs).name or index == last
        if index != last:
            assert sha256(mine) == sha256(theirs)
    assert Path(child.chunk_urls[last]).name != Path(parent.chunk_urls[last]).name


def test_a_remix_needs_a_prompt_or_a_spec(api, alice, queue):
    parent = services.generation_create(
        user=alice, request=GenerationRequest(prompt="A quiet garden with flowers in spring")
    )
    assert api.post(f"/api/generations/{parent.id}/remix/", {}, format="json").status_code == 400
    bad = api.post(f"/api/generations/{parent.id}/remix/", {"spec": {"version": 2}}, format="json")
    assert bad.status_code == 400


def test_a_reviewed_generation_canceled_at_the_gate_comes_back_to_it_on_retry(alice, work_queue):
    generation = services.generation_create(
        user=alice,
        request=GenerationRequest(prompt="A quiet garden with flowers", duration=5, review=True),
    )
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.AWAITING_REVIEW
    services.generation_cancel(video_id=generation.id)
    services.generation_retry(video_id=generation.id)
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.AWAITING_REVIEW
    assert generation.phase_runs.filter(phase="animatic").count() == 1  # not drawn again
