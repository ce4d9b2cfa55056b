"""A storyboard's subjects: shown on the review page, removed or swapped there or through
the API's spec PATCH, and the picture library's search and SVG endpoints behind the page."""

from __future__ import annotations

import copy
import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from generations.models import Status, VideoGeneration

pytestmark = pytest.mark.django_db(transaction=True)

PROMPT = "A red fox and a brown bear walk through the forest. A ship sails on the sea."


@pytest.fixture
def api(alice) -> APIClient:
    client = APIClient()
    client.force_authenticate(alice)
    return client


@pytest.fixture
def reviewed(api, run_burst_worker, django_capture_on_commit_callbacks) -> VideoGeneration:
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/generate", {"prompt": PROMPT, "duration": 5, "review": True}, format="json")
    assert response.status_code == 202, response.json()
    run_burst_worker()
    generation = VideoGeneration.objects.get(id=response.json()["video_id"])
    assert generation.status == Status.AWAITING_REVIEW
    return generation


def names(scene: dict) -> list[str]:
    return [element["name"] for element in scene.get("elements", [])]


def test_the_search_finds_pictures_for_a_logged_in_user_only(client, alice):
    url = reverse("icon-search")
    assert client.get(url, {"q": "boat"}).status_code == 302
    client.force_login(alice)
    results = client.get(url, {"q": "sailboat"}).json()["results"]
    assert results[0]["icon"] == "fluent-emoji-flat:sailboat"
    assert results[0]["url"] == reverse("icon-svg", args=["fluent-emoji-flat:sailboat"])
    assert client.get(url, {"q": ""}).json() == {"results": []}


def test_each_picture_is_served_as_svg(client, alice):
    client.force_login(alice)
    response = client.get(reverse("icon-svg", args=["fluent-emoji-flat:fox"]))
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
    assert client.get(reverse("icon-svg", args=["fluent-emoji-flat:no-such-thing"])).status_code == 404


def test_the_review_page_shows_each_scenes_subjects(client, alice, reviewed):
    client.force_login(alice)
    page = client.get(reverse("generation-detail", args=[reviewed.id])).content.decode()
    assert 'aria-label="Remove fox from scene 1"' in page
    assert 'aria-label="Swap bear in scene 1"' in page
    assert reverse("icon-svg", args=["fluent-emoji-flat:fox"]) in page


def test_removing_and_swapping_subjects_on_the_review_form_reaches_the_spec(
    client, alice, reviewed, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    scenes = reviewed.spec["scenes"]
    form = {
        "scene-TOTAL_FORMS": len(scenes),
        "scene-INITIAL_FORMS": len(scenes),
        "music_mood": reviewed.spec["music"]["mood"],
        "action": "save",
    }
    for number, scene in enumerate(scenes):
        elements = scene.get("elements", [])
        if number == 0:
            elements = [
                {**elements[0], "icon": "fluent-emoji-flat:wolf"}
            ]  # the bear removed, the fox swapped
        form |= {
            f"scene-{number}-description": scene["description"],
            f"scene-{number}-caption": scene["caption"],
            f"scene-{number}-duration": scene["duration"],
            f"scene-{number}-order": number + 1,
            f"scene-{number}-elements": json.dumps(elements),
        }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("generation-review", args=[reviewed.id]), form)
    assert response.status_code == 302
    reviewed.refresh_from_db()
    assert reviewed.spec["scenes"][0]["elements"] == [
        {"name": "fox", "icon": "fluent-emoji-flat:wolf", "motion": scenes[0]["elements"][0]["motion"]}
    ]
    assert reviewed.spec["scenes"][1:] == scenes[1:]

    form["scene-0-elements"] = json.dumps(
        [{"name": "fox", "icon": "fluent-emoji-flat:nothing", "motion": "walk"}]
    )
    response = client.post(reverse("generation-review", args=[reviewed.id]), form)
    assert response.status_code == 400
    assert "no picture" in response.content.decode()


def test_the_api_patch_accepts_edited_subjects_and_refuses_unknown_pictures(
    api, reviewed, django_capture_on_commit_callbacks
):
    assert names(reviewed.spec["scenes"][0]) == ["fox", "bear"]
    edited = copy.deepcopy(reviewed.spec)
    edited["scenes"][0]["elements"] = [
        {"name": "bear", "icon": "fluent-emoji-flat:polar-bear", "motion": "walk"},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(f"/api/generations/{reviewed.id}/", {"spec": edited}, format="json")
    assert response.status_code == 200, response.json()
    reviewed.refresh_from_db()
    assert reviewed.spec["scenes"][0]["elements"][0]["icon"] == "fluent-emoji-flat:polar-bear"

    edited["scenes"][0]["elements"][0]["icon"] = "fluent-emoji-flat:no-such-thing"
    response = api.patch(f"/api/generations/{reviewed.id}/", {"spec": edited}, format="json")
    assert response.status_code == 400 and "no picture" in json.dumps(response.json())
    edited["scenes"][0]["elements"][0] = {
        "name": "bear",
        "icon": "fluent-emoji-flat:bear",
        "motion": "moonwalk",
    }
    assert api.patch(f"/api/generations/{reviewed.id}/", {"spec": edited}, format="json").status_code == 400
