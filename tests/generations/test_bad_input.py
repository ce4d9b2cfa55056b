"""Input a client should not send is answered 400 or 405, never taken in or crashed on."""

from __future__ import annotations

import pytest
from django.test import Client

from generations.models import VideoGeneration
from tests.factories import PROMPT, awaiting_review, make
from tests.generations.api.conftest import token_client


@pytest.mark.parametrize("path", ["/generate", "/api/generations/"])
def test_a_prompt_sent_as_a_number_is_400_not_text(alice, path):
    response = token_client(alice).post(path, {"prompt": 12345678901}, format="json")
    assert response.status_code == 400
    assert "prompt" in response.json()
    assert not VideoGeneration.objects.exists()


def test_a_remix_prompt_sent_as_a_number_is_400(alice):
    parent = make(alice)
    response = token_client(alice).post(
        f"/api/generations/{parent.id}/remix/", {"prompt": 12345678901}, format="json"
    )
    assert response.status_code == 400
    assert "prompt" in response.json()


@pytest.mark.parametrize(
    ("method", "path"),
    [("delete", "/health"), ("post", "/health"), ("put", "/metrics"), ("delete", "/metrics")],
)
def test_the_operations_endpoints_answer_other_methods_405(db, method, path):
    response = getattr(Client(enforce_csrf_checks=True), method)(path)
    assert response.status_code == 405
    assert "GET" in response["Allow"]


def test_the_new_video_page_answers_other_methods_405_and_still_checks_csrf(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert browser.delete("/").status_code == 405
    assert browser.put("/").status_code == 405
    assert browser.post("/", {"prompt": PROMPT}).status_code == 403  # no CSRF token
    assert not VideoGeneration.objects.exists()


def test_api_endpoints_answer_wrong_methods_405(alice):
    generation = make(alice)
    api = token_client(alice)
    calls = [
        api.get("/generate"),
        api.post(f"/status/{generation.id}"),
        api.delete(f"/video/{generation.id}"),
        api.put(f"/api/generations/{generation.id}/", {}, format="json"),
        api.get(f"/api/generations/{generation.id}/cancel/"),
        api.get(f"/api/generations/{generation.id}/remix/"),
        api.delete("/api/webhook-secret/"),
    ]
    assert [call.status_code for call in calls] == [405] * len(calls)


def review_post(spec: dict, forms: int) -> dict[str, str]:
    data = {
        "scene-TOTAL_FORMS": str(forms),
        "scene-INITIAL_FORMS": str(len(spec["scenes"])),
        "music_mood": spec["music"]["mood"],
    }
    for number in range(forms):
        scene = spec["scenes"][min(number, len(spec["scenes"]) - 1)]
        data |= {
            f"scene-{number}-description": scene["description"],
            f"scene-{number}-caption": scene["caption"],
            f"scene-{number}-duration": str(scene["duration"]),
            f"scene-{number}-order": str(number + 1),
        }
    return data


@pytest.mark.parametrize("extra", [1, -1])
def test_a_storyboard_posted_with_a_form_more_or_less_than_its_scenes_is_a_form_error(alice, extra):
    reviewed = awaiting_review(alice)
    browser = Client()
    browser.force_login(alice)
    count = len(reviewed.spec["scenes"])
    response = browser.post(f"/generations/{reviewed.id}/review/", review_post(reviewed.spec, count + extra))
    assert response.status_code == 400
    assert f"Please submit at {'most' if extra > 0 else 'least'} {count} form" in response.content.decode()
    before = reviewed.spec
    reviewed.refresh_from_db()
    assert reviewed.spec == before
    # The same page with exactly one form per scene is accepted.
    assert (
        browser.post(f"/generations/{reviewed.id}/review/", review_post(reviewed.spec, count)).status_code
        == 302
    )
