"""The review screen in real Chromium: a scene's narration plays before anything is
rendered, and re-voicing it at another pace reloads the screen with the new voice."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from generations.models import Status, VideoGeneration
from tests.browser.helpers import assert_accessible, log_in, screenshot
from tests.browser.test_pages_browser import DETAIL_PATH, submit_prompt
from tests.browser.test_storyboard_browser import wait_for_status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The first scene says more than its planned third of the video, so its length follows the voice.
SCRIPT = (
    "The storm moves out to sea, taking the heavy rain, the grey clouds and the cold wind away with it."
    "\n\nThe lighthouse keeps its watch.\n\nMorning light finds the rocks."
)


def test_a_scene_narration_plays_on_the_review_screen_and_is_revoiced_there(page: Page, alice, rq_worker):
    log_in(page, "alice", "alice-password-1")
    page.get_by_label("Let me review and edit the storyboard before the video is rendered").check()
    page.get_by_label("Narration script").fill(SCRIPT)
    submit_prompt(page, "A lighthouse on a rocky coast as the storm clears", duration="15")
    expect(page).to_have_url(DETAIL_PATH)
    video_id = DETAIL_PATH.match(page.url)[1]
    wait_for_status(page, Status.AWAITING_REVIEW)

    panel = page.locator("#narration-panel")
    expect(panel.get_by_role("heading", name="Narration")).to_be_visible()
    expect(panel).to_contain_text("pace 1.0×")
    first = panel.get_by_label("Narration of scene 1")
    first.evaluate("audio => audio.play()")
    # It plays: time moves and the whole clip (the scene's length) was loaded.
    page.wait_for_function(
        "() => { const a = document.querySelector('#narration-panel audio'); return a.currentTime > 0.2; }"
    )
    duration = first.evaluate("audio => audio.duration")
    generation = VideoGeneration.objects.get(id=video_id)
    assert duration == pytest.approx(generation.spec["scenes"][0]["frames"] / 30, abs=0.05)
    expect(panel).to_contain_text("The storm moves out to sea,")
    first.evaluate("audio => audio.pause()")
    assert_accessible(page)
    screenshot(page, "narration-01-review")

    before = [scene["frames"] for scene in generation.spec["scenes"]]
    panel.get_by_label("Speaking pace").select_option("0.8")
    panel.get_by_role("button", name="Re-voice the narration").click()
    expect(page.locator(".messages")).to_contain_text("Re-voicing the narration")
    # The page reloads by itself once the new voice is in.
    expect(page.locator("#narration-panel")).to_contain_text("pace 0.8×", timeout=120_000)
    expect(page.locator("#narration-panel[data-pending]")).to_have_count(0)
    generation.refresh_from_db()
    assert generation.status == Status.AWAITING_REVIEW and generation.generation_request.speech_rate == 0.8
    assert [scene["frames"] for scene in generation.spec["scenes"]] != before
    page.get_by_label("Narration of scene 1").evaluate("audio => audio.play()")
    page.wait_for_function(
        "() => { const a = document.querySelector('#narration-panel audio'); return a.currentTime > 0.2; }"
    )
    screenshot(page, "narration-02-revoiced")
