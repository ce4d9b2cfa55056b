"""A user's spec (an edit, a remix) may not name stored files or carry numbers past their
bounds: 400 naming the field, and nothing changes."""

from __future__ import annotations

import copy

import pytest

from generations.models import VideoGeneration
from tests.factories import awaiting_review, complete
from tests.generations.api.conftest import token_client


def with_track(generation: VideoGeneration, track: str) -> VideoGeneration:
    spec = copy.deepcopy(generation.spec)
    spec["narration"] = {"provider": "local", "voice": "en", "language": "en", "rate": 1.0, "track": track}
    VideoGeneration.objects.filter(id=generation.id).update(spec=spec)
    generation.refresh_from_db()
    return generation


def test_a_spec_edit_naming_another_generations_file_is_400_and_changes_nothing(alice, bob):
    others = complete(bob)
    mine = awaiting_review(alice)
    mine = with_track(mine, f"final/{mine.id}/narration.wav")
    stolen = copy.deepcopy(mine.spec)
    stolen["narration"]["track"] = f"final/{others.id}/narration.wav"
    response = token_client(alice).patch(f"/api/generations/{mine.id}/", {"spec": stolen}, format="json")
    assert response.status_code == 400
    assert "narration/track" in response.json()["spec"][0]
    before = mine.spec
    mine.refresh_from_db()
    assert mine.spec == before


def test_a_spec_edit_may_repeat_or_leave_out_the_servers_own_track(alice):
    mine = awaiting_review(alice)
    mine = with_track(mine, f"final/{mine.id}/narration.wav")
    api = token_client(alice)
    repeated = copy.deepcopy(mine.spec) | {"title": "Repeated"}
    assert api.patch(f"/api/generations/{mine.id}/", {"spec": repeated}, format="json").status_code == 200
    left_out = copy.deepcopy(mine.spec) | {"title": "Left out"}
    del left_out["narration"]["track"]
    assert api.patch(f"/api/generations/{mine.id}/", {"spec": left_out}, format="json").status_code == 200
    mine.refresh_from_db()
    assert mine.spec["title"] == "Left out"
    assert mine.spec["narration"]["track"] == f"final/{mine.id}/narration.wav"


def test_a_remix_naming_another_generations_file_is_400_and_creates_nothing(alice, bob):
    others = complete(bob)
    parent = complete(alice)
    spec = copy.deepcopy(parent.spec)
    spec["narration"] = {
        "provider": "local",
        "voice": "en",
        "language": "en",
        "rate": 1.0,
        "track": f"final/{others.id}/narration.wav",
    }
    response = token_client(alice).post(f"/api/generations/{parent.id}/remix/", {"spec": spec}, format="json")
    assert response.status_code == 400
    assert "narration/track" in response.json()["spec"][0]
    assert not VideoGeneration.objects.filter(remixed_from=parent).exists()


@pytest.mark.parametrize("seed", [2**70, 2**31, -1])
def test_a_remix_spec_with_a_seed_out_of_range_is_400(alice, seed):
    parent = complete(alice)
    spec = copy.deepcopy(parent.spec) | {"seed": seed}
    response = token_client(alice).post(f"/api/generations/{parent.id}/remix/", {"spec": spec}, format="json")
    assert response.status_code == 400
    assert "seed" in response.json()["spec"][0]
    assert not VideoGeneration.objects.filter(remixed_from=parent).exists()


def test_a_spec_edit_with_a_seed_out_of_range_is_400(alice):
    mine = awaiting_review(alice)
    spec = copy.deepcopy(mine.spec) | {"seed": 2**70}
    response = token_client(alice).patch(f"/api/generations/{mine.id}/", {"spec": spec}, format="json")
    assert response.status_code == 400
    assert "seed" in response.json()["spec"][0]
