"""The pages in real Chromium: log in, submit, watch a real worker make the video without
reloading, play it, find it in the history; field errors; other users' pages are 404.
Every page visited passes the accessibility smoke check and leaves a screenshot."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from generations import services
from generations.models import PhaseRun, Status, VideoGeneration
from phases.request import GenerationRequest
from tests.browser.helpers import assert_accessible, image_loads, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROMPT = "A calm ocean at night under the stars. Waves roll onto the beach and a lighthouse blinks."
DETAIL_PATH = re.compile(r".*/generations/([0-9a-f]{32})/$")
FINISH_WITHIN_SECONDS = 240


def submit_prompt(page: Page, prompt: str, *, duration: str = "5", resolution: str = "1080p") -> None:
    page.get_by_label("Describe your video").fill(prompt)
    page.get_by_label("Length").select_option(duration)
    page.get_by_label("Resolution").select_option(resolution)
    page.get_by_role("button", name="Make my video").click()


def test_the_login_and_new_video_pages_guide_a_user_through_mistakes(page: Page, alice):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    assert_accessible(page)
    screenshot(page, "01-login")

    log_in(page, "alice", "alice-password-1")
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a video")
    assert_accessible(page)

    # The live count follows typing and says how far from the minimum the prompt is.
    prompt = page.get_by_label("Describe your video")
    prompt.fill("Rain")
    expect(page.locator(".charcount")).to_have_text("4 / 1000 · 6 more to go")
    # The shape picker shows each option's frame at its own proportions.
    shapes = page.locator(".aspect__shape").evaluate_all(
        "shapes => shapes.map(s => s.getBoundingClientRect().width / s.getBoundingClientRect().height)"
    )
    assert shapes == pytest.approx([16 / 9, 9 / 16, 1.0], rel=0.05)
    page.get_by_label("9:16 portrait").check()
    expect(page.get_by_label("9:16 portrait")).to_be_checked()
    screenshot(page, "02-new-video")
    screenshot(page, "02-new-video-phone", phone=True)

    page.get_by_role("button", name="Make my video").click()
    error = page.locator("#id_prompt_error")
    expect(error).to_have_text("Write at least 10 characters (this has 4).")
    # The message sits with its field and is announced with it.
    expect(prompt).to_have_attribute("aria-describedby", "id_prompt_helptext id_prompt_error")
    expect(prompt).to_have_value("Rain")
    expect(page.get_by_label("9:16 portrait")).to_be_checked()
    assert_accessible(page)
    screenshot(page, "03-new-video-error")
    assert not VideoGeneration.objects.exists()

    # Keyboard users see where they are.
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_another_users_generation_answers_404(new_page, alice, bob, queue):
    alices = new_page()
    log_in(alices, "alice", "alice-password-1")
    submit_prompt(alices, PROMPT)
    expect(alices).to_have_url(DETAIL_PATH)
    path = alices.url.removeprefix(alices.url.split("/generations/")[0])

    bobs = new_page()
    log_in(bobs, "bob", "bob-password-1")
    response = bobs.goto(path)
    assert response is not None and response.status == 404
    expect(bobs.get_by_role("heading", level=1)).to_have_text("Not found")
    assert PROMPT not in bobs.content()
    assert_accessible(bobs)
    screenshot(bobs, "08-not-found")
    bobs.goto(reverse("generation-history"))
    expect(bobs.locator(".video-card")).to_have_count(0)


def test_cancel_and_retry_from_the_progress_page(page: Page, alice, queue):
    # No worker runs here: the generation waits in the queue, which is the page to test.
    log_in(page, "alice", "alice-password-1")
    submit_prompt(page, PROMPT, duration="30", resolution="480p")
    expect(page).to_have_url(DETAIL_PATH)
    expect(page.locator(".eta__queue")).to_have_text("Number 1 in the queue.")
    expect(page.locator(".status-line")).to_contain_text("480p")
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator(".message--success")).to_have_text("Canceled. Finished steps are kept if you retry.")
    expect(page.locator("#live")).to_have_attribute("data-status", "canceled")
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    screenshot(page, "07-canceled")

    page.get_by_role("button", name="Retry").click()
    expect(page.locator("#live")).to_have_attribute("data-status", "queued")
    generation = VideoGeneration.objects.get()
    assert generation.attempts == 2 and generation.request["resolution"] == "480p"


def test_a_failed_video_says_where_and_why_and_offers_a_retry(page: Page, alice, queue):
    generation = services.generation_create(user=alice, request=GenerationRequest(prompt=PROMPT, duration=5))
    services.generation_transition(video_id=generation.id, to="validating", current_phase="plan")
    PhaseRun.objects.create(generation=generation, phase="plan")
    services.generation_fail(
        video_id=generation.id, message="Phase 1 (plan) failed: the planner answered 503 three times"
    )
    log_in(page, "alice", "alice-password-1")
    page.goto(reverse("generation-detail", args=[generation.id]))
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("This video failed at step 1, planning.")
    expect(alert).to_contain_text("the planner answered 503 three times")
    expect(page.locator(".step--failed .step__label")).to_have_text("Planning")
    expect(page.locator(".step--not_started")).to_have_count(5)
    expect(page.get_by_role("button", name="Retry")).to_be_visible()
    assert page.locator("[hx-get]").count() == 0
    assert_accessible(page)
    screenshot(page, "09-failed")
    screenshot(page, "09-failed-phone", phone=True)

    page.get_by_role("link", name="History").click()
    page.get_by_label("Show").select_option("failed")
    expect(page).to_have_url(re.compile(r"\?status=failed$"))
    expect(page.locator(".video-card .badge")).to_have_text("Failed")
    page.get_by_label("Show").select_option("complete")
    expect(page.get_by_text("No videos match this filter.")).to_be_visible()
    assert_accessible(page)


@pytest.mark.slow
def test_a_video_is_made_watched_live_played_and_listed(page: Page, alice, rq_worker):
    log_in(page, "alice", "alice-password-1")
    submit_prompt(page, PROMPT)
    expect(page).to_have_url(DETAIL_PATH)
    video_id = DETAIL_PATH.match(page.url)[1]

    # From here on the page must update itself: a reload would lose this marker.
    page.evaluate("window.__sameDocument = true")
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if "/live/" in request.url else None)

    assert_accessible(page)
    screenshot(page, "04-progress")
    seen: list[str] = []
    running_shot = False
    deadline = time.monotonic() + FINISH_WITHIN_SECONDS
    while time.monotonic() < deadline:
        status = page.locator("#live").get_attribute("data-status")
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in (Status.COMPLETE, Status.FAILED, Status.CANCELED):
            break
        if not running_shot and page.locator(".step--running").count():
            # A better picture of progress than the queued page: replace it.
            assert_accessible(page)
            screenshot(page, "04-progress")
            running_shot = True
        page.wait_for_timeout(250)
    generation = VideoGeneration.objects.get(id=video_id)
    assert seen[-1] == Status.COMPLETE, f"{seen}: {generation.error_message}"
    assert page.evaluate("window.__sameDocument") is True
    assert len(seen) >= 2, f"the page should have changed by itself: {seen}"
    assert polls, "the page never polled"

    # The player loads the real file and knows its length.
    video = page.locator("#result-video")
    page.wait_for_function(
        "() => { const v = document.querySelector('#result-video'); return v && v.readyState >= 1; }"
    )
    duration = video.evaluate("v => v.duration")
    assert abs(duration - 5.0) <= 0.1
    assert video.evaluate("v => v.poster").endswith(f"/final/{video_id}/poster.jpg")
    expect(page.get_by_role("link", name="Download MP4")).to_have_attribute("download", re.compile(r"\.mp4$"))
    expect(page.locator(".step--done")).to_have_count(6)
    expect(page.locator(".scene")).to_have_count(len(generation.spec["scenes"]))
    storyboard = page.locator(".thumbs img").first
    expect(storyboard).to_be_visible()
    image_loads(page, storyboard)
    assert_accessible(page)
    screenshot(page, "05-result")
    screenshot(page, "05-result-phone", phone=True)

    # Finished: the page stops asking.
    polls.clear()
    page.wait_for_timeout(3500)
    assert polls == []

    page.get_by_role("link", name="History").click()
    card = page.locator(".video-card").filter(has_text=generation.title)
    expect(card).to_have_count(1)
    expect(card.locator(".badge")).to_have_text("Complete")
    expect(card.locator("img")).to_have_attribute("src", re.compile(rf"/final/{video_id}/poster\.jpg$"))
    image_loads(page, card.locator("img"))
    assert_accessible(page)
    screenshot(page, "06-history")
    screenshot(page, "06-history-phone", phone=True)
