"""The storyboard screen in real Chromium: review, edit a caption, approve, play the result."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from generations.models import Status, VideoGeneration
from tests.browser.helpers import assert_accessible, log_in, screenshot
from tests.browser.test_pages_browser import DETAIL_PATH, FINISH_WITHIN_SECONDS, submit_prompt

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wait_for_status(page: Page, wanted: str) -> None:
    deadline = time.monotonic() + FINISH_WITHIN_SECONDS
    while time.monotonic() < deadline:
        status = page.locator("#live").get_attribute("data-status")
        if status == wanted:
            return
        assert status not in (Status.FAILED, Status.CANCELED), status
        page.wait_for_timeout(250)
    raise AssertionError(f"the page never showed {wanted}")


def test_a_caption_edited_on_the_storyboard_reaches_the_video(page: Page, alice, rq_worker):
    log_in(page, "alice", "alice-password-1")
    page.get_by_label("Let me review and edit the storyboard before the video is rendered").check()
    submit_prompt(page, "A forest at dawn, birds waking up in the tall trees")
    expect(page).to_have_url(DETAIL_PATH)
    video_id = DETAIL_PATH.match(page.url)[1]

    wait_for_status(page, Status.AWAITING_REVIEW)
    expect(page.get_by_role("heading", name="Review the storyboard")).to_be_visible()
    expect(page.get_by_alt_text("Storyboard frame of scene 1")).to_be_visible()
    assert not VideoGeneration.objects.get(id=video_id).part_runs.exists()
    assert_accessible(page)
    screenshot(page, "10-storyboard")

    page.locator("#id_scene-0-caption").fill("Edited in the browser")
    page.get_by_role("button", name="Approve and render").click()
    expect(page).to_have_url(DETAIL_PATH)
    wait_for_status(page, Status.COMPLETE)

    generation = VideoGeneration.objects.get(id=video_id)
    assert generation.spec["scenes"][0]["caption"] == "Edited in the browser"
    page.wait_for_function(
        "() => { const v = document.querySelector('#result-video'); return v && v.readyState >= 1; }"
    )
    assert abs(page.locator("#result-video").evaluate("v => v.duration") - 5.0) <= 0.1
    expect(page.get_by_text(re.compile("Edited in the browser"))).to_be_visible()
    expect(page.get_by_role("button", name="Regenerate scene 1")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "11-approved-result")


def test_a_subject_is_removed_and_another_swapped_on_the_storyboard(page: Page, alice, rq_worker):
    log_in(page, "alice", "alice-password-1")
    page.get_by_label("Let me review and edit the storyboard before the video is rendered").check()
    submit_prompt(page, "A red fox and a brown bear walk through the forest. A ship sails on the sea.")
    expect(page).to_have_url(DETAIL_PATH)
    video_id = DETAIL_PATH.match(page.url)[1]
    wait_for_status(page, Status.AWAITING_REVIEW)
    expect(page.get_by_role("img", name="bear").first).to_be_visible()

    page.get_by_role("button", name="Remove bear from scene 1").click()
    expect(page.get_by_role("button", name="Remove bear from scene 1")).to_have_count(0)
    page.get_by_role("button", name="Swap fox in scene 1").click()
    page.get_by_label("Another picture for fox").first.fill("wolf")
    page.get_by_role("button", name="Use wolf").first.click()
    expect(page.locator(".review__scene").first.get_by_role("img", name="fox")).to_have_attribute(
        "src", re.compile("fluent-emoji-flat:wolf")
    )
    assert_accessible(page)
    screenshot(page, "12-storyboard-subjects")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Storyboard saved.")).to_be_visible()

    scene = VideoGeneration.objects.get(id=video_id).spec["scenes"][0]
    assert [(e["name"], e["icon"]) for e in scene["elements"]] == [("fox", "fluent-emoji-flat:wolf")]
