"""Limits and the webhook secret as a person meets them in Chromium: the form says which
limit refused the video; the secret is shown once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from generations import services
from generations.models import VideoGeneration
from phases.request import GenerationRequest
from tests.browser.helpers import assert_accessible, log_in, screenshot
from tests.browser.test_pages_browser import PROMPT, submit_prompt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_form_says_when_the_active_cap_refuses_a_video(page: Page, alice, queue, settings):
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 1
    services.generation_create(user=alice, request=GenerationRequest(prompt=PROMPT, duration=5))
    log_in(page, "alice", "alice-password-1")
    submit_prompt(page, PROMPT)
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("You have 1 video in progress, the most at once")
    expect(page.get_by_label("Describe your video")).to_have_value(PROMPT)  # nothing typed is lost
    assert_accessible(page)
    screenshot(page, "limits-active-cap")
    assert VideoGeneration.objects.filter(user=alice).count() == 1


def test_the_webhook_secret_is_shown_once_and_can_be_replaced(page: Page, alice):
    log_in(page, "alice", "alice-password-1")
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_text("You have no secret yet")).to_be_visible()
    page.get_by_role("button", name="Make a secret").click()
    first = page.get_by_test_id("webhook-secret").inner_text()
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", first)
    assert_accessible(page)
    screenshot(page, "webhook-secret")

    page.goto("/account/webhooks/")
    expect(page.get_by_text("You have a secret")).to_be_visible()
    assert first not in page.content()
    page.get_by_role("button", name=re.compile("Make a new secret")).click()
    assert page.get_by_test_id("webhook-secret").inner_text() not in ("", first)
