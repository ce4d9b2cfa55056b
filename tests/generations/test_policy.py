"""One per-user policy on every path that starts work: the rate and the active cap, through
the API, the pages and the services, against the real Redis and database."""

from __future__ import annotations

import threading

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client

from generations import policy, services
from generations.models import Status, VideoGeneration
from phases.request import GenerationRequest
from tests.factories import PROMPT, awaiting_review, complete, make
from tests.generations.api.conftest import token_client


def failed(user) -> VideoGeneration:
    generation = make(user)
    services.generation_fail(video_id=generation.id, message="boom")
    return generation


def assert_refused_by(response, limit: str) -> None:
    assert response.status_code == 429, response.content
    assert response.json()["limit"] == limit
    assert int(response["Retry-After"]) > 0


@pytest.fixture
def no_limits(settings):
    """Setting up is not counted: with no rate, no start is recorded."""
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 0
    settings.GENERATE_RATE = None


def test_a_remix_flood_past_the_rate_is_429_naming_the_rate(alice, settings, no_limits):
    parent = make(alice)
    settings.GENERATE_RATE = "3/hour"
    api = token_client(alice)
    for _ in range(3):
        assert (
            api.post(f"/api/generations/{parent.id}/remix/", {"prompt": PROMPT}, format="json").status_code
            == 202
        )
    response = api.post(f"/api/generations/{parent.id}/remix/", {"prompt": PROMPT}, format="json")
    assert_refused_by(response, "rate")
    assert "started work 3 times in the last hour" in response.json()["detail"]
    assert int(response["Retry-After"]) <= 3600
    assert VideoGeneration.objects.filter(remixed_from=parent).count() == 3


def test_a_retry_flood_past_the_rate_is_429(alice, settings, no_limits):
    stopped = [failed(alice) for _ in range(3)]
    settings.GENERATE_RATE = "2/hour"
    api = token_client(alice)
    for generation in stopped[:2]:
        assert api.post(f"/api/generations/{generation.id}/retry/").status_code == 200
    assert_refused_by(api.post(f"/api/generations/{stopped[2].id}/retry/"), "rate")
    stopped[2].refresh_from_db()
    assert stopped[2].status == Status.FAILED


def test_a_regenerate_flood_past_the_rate_is_429(alice, settings, no_limits):
    finished = [complete(alice) for _ in range(2)]
    settings.GENERATE_RATE = "1/hour"
    api = token_client(alice)
    assert (
        api.post(f"/api/generations/{finished[0].id}/scenes/1/regenerate/", {}, format="json").status_code
        == 202
    )
    response = api.post(f"/api/generations/{finished[1].id}/scenes/1/regenerate/", {}, format="json")
    assert_refused_by(response, "rate")
    finished[1].refresh_from_db()
    assert finished[1].status == Status.COMPLETE


def test_approve_and_spec_edits_past_the_rate_are_429(alice, settings, no_limits):
    reviewed = [awaiting_review(alice) for _ in range(2)]
    settings.GENERATE_RATE = "2/hour"
    api = token_client(alice)
    edited = reviewed[0].spec | {"title": "Edited"}
    assert (
        api.patch(f"/api/generations/{reviewed[0].id}/", {"spec": edited}, format="json").status_code == 200
    )
    assert api.post(f"/api/generations/{reviewed[0].id}/approve/").status_code == 200
    refused_edit = reviewed[1].spec | {"title": "Edited again"}
    assert_refused_by(
        api.patch(f"/api/generations/{reviewed[1].id}/", {"spec": refused_edit}, format="json"), "rate"
    )
    assert_refused_by(api.post(f"/api/generations/{reviewed[1].id}/approve/"), "rate")
    reviewed[1].refresh_from_db()
    assert reviewed[1].status == Status.AWAITING_REVIEW
    assert reviewed[1].spec["title"] == "Test video"


def test_the_active_cap_holds_across_the_form_and_the_api(alice, settings):
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 2
    browser = Client()
    browser.force_login(alice)
    api = token_client(alice)
    assert browser.post("/", {"prompt": PROMPT, "duration": 30, "aspect_ratio": "16:9"}).status_code == 302
    assert api.post("/generate", {"prompt": PROMPT}, format="json").status_code == 202

    assert_refused_by(api.post("/api/generations/", {"prompt": PROMPT}, format="json"), "active")
    page = browser.post("/", {"prompt": PROMPT, "duration": 30, "aspect_ratio": "16:9"})
    assert page.status_code == 429
    assert int(page["Retry-After"]) > 0
    assert "2 videos in progress, the most at once" in page.content.decode()
    assert VideoGeneration.objects.filter(user=alice).count() == 2

    # A finished one frees its slot; a retry takes one like a new video does.
    first = VideoGeneration.objects.filter(user=alice).earliest("created_at")
    services.generation_cancel(video_id=first.id)
    assert policy.active_slots_left(alice) == 1
    assert api.post("/generate", {"prompt": PROMPT}, format="json").status_code == 202
    assert_refused_by(api.post(f"/api/generations/{first.id}/retry/"), "active")


def test_the_active_cap_holds_for_remix_and_regenerate(alice, settings, no_limits):
    finished = complete(alice)
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 1
    api = token_client(alice)
    assert (
        api.post(f"/api/generations/{finished.id}/remix/", {"prompt": PROMPT}, format="json").status_code
        == 202
    )
    assert_refused_by(
        api.post(f"/api/generations/{finished.id}/remix/", {"prompt": PROMPT}, format="json"), "active"
    )
    assert_refused_by(
        api.post(f"/api/generations/{finished.id}/scenes/1/regenerate/", {}, format="json"), "active"
    )


def test_staff_are_limited_unless_a_setting_exempts_them(staff, settings):
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 1
    api = token_client(staff)
    assert api.post("/generate", {"prompt": PROMPT}, format="json").status_code == 202
    assert_refused_by(api.post("/generate", {"prompt": PROMPT}, format="json"), "active")
    assert policy.active_slots_left(staff) == 0

    settings.LIMITS_EXEMPT_STAFF = True
    assert api.post("/generate", {"prompt": PROMPT}, format="json").status_code == 202
    assert policy.active_slots_left(staff) is None


def test_limits_on_the_pages_show_on_the_page(alice, settings, no_limits):
    stopped = failed(alice)
    settings.GENERATE_RATE = "1/minute"
    make(alice)
    browser = Client()
    browser.force_login(alice)
    response = browser.post(f"/generations/{stopped.id}/retry/")
    assert response.status_code == 302
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert any("You have started work 1 time in the last minute" in message for message in shown)
    stopped.refresh_from_db()
    assert stopped.status == Status.FAILED


def test_active_slots_left_counts_without_refusing(alice, settings):
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 2
    assert policy.active_slots_left(alice) == 2
    make(alice)
    make(alice)
    assert policy.active_slots_left(alice) == 0
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 0
    assert policy.active_slots_left(alice) is None


@pytest.mark.django_db(transaction=True)
def test_parallel_creates_cannot_both_take_the_last_slot(alice, settings, queue):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 1
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def create() -> None:
        start.wait()
        try:
            services.generation_create(user=alice, request=GenerationRequest(prompt=PROMPT))
            outcomes.append("created")
        except policy.LimitExceeded as exc:
            outcomes.append(exc.limit)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["active", "active", "active", "created"]
    assert VideoGeneration.objects.filter(user=alice).count() == 1


def test_the_storyboard_page_says_when_the_rate_refuses_an_approval(alice, settings, no_limits):
    reviewed = awaiting_review(alice)
    settings.GENERATE_RATE = "1/hour"
    make(alice)
    browser = Client()
    browser.force_login(alice)
    page = browser.get(f"/generations/{reviewed.id}/")
    form = page.context["review_form"]
    count = str(len(form.scenes.forms))
    data = {
        "action": "approve",
        "music_mood": form.fields["music_mood"].initial,
        "scene-TOTAL_FORMS": count,
        "scene-INITIAL_FORMS": count,
    }
    for number, scene_form in enumerate(form.scenes.forms):
        data |= {f"scene-{number}-{name}": value for name, value in scene_form.initial.items()}
    response = browser.post(f"/generations/{reviewed.id}/review/", data)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "You have started work 1 time in the last hour" in response.content.decode()
    reviewed.refresh_from_db()
    assert reviewed.status == Status.AWAITING_REVIEW
