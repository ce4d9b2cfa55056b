"""The batch page in real Chromium: upload a CSV, watch the table move as a real worker
makes the videos, and download the ZIP of the finished ones."""

from __future__ import annotations

import re
import zipfile

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import assert_accessible, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "prompt,duration,aspect_ratio,resolution,narration,subtitles\n"
    "A calm ocean at night under the stars,5,1:1,360p,false,false\n"
    "Snow falls on a quiet mountain village,5,1:1,360p,false,false\n"
)
FINISH_WITHIN_MS = 300_000


def test_a_csv_upload_runs_as_a_batch_and_its_videos_download_as_one_zip(
    page: Page, alice, rq_worker, tmp_path
):
    log_in(page, "alice", "alice-password-1")
    page.get_by_role("link", name="Batches").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Batches")
    assert_accessible(page)

    # A bad row is named before anything starts.
    bad = tmp_path / "bad.csv"
    bad.write_text(CSV + "short,5,1:1,360p,false,false\n", encoding="utf-8")
    page.get_by_label("CSV file", exact=True).set_input_files(str(bad))
    page.get_by_role("button", name="Start the batch").click()
    expect(page.locator("#batch-errors")).to_contain_text("Row 3: prompt:")
    screenshot(page, "batch-01-row-errors")

    good = tmp_path / "videos.csv"
    good.write_text(CSV, encoding="utf-8")
    page.get_by_label("CSV file", exact=True).set_input_files(str(good))
    page.get_by_role("button", name="Start the batch").click()
    expect(page).to_have_url(re.compile(r".*/batches/[0-9a-f]{32}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Batch of 2 videos")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    assert_accessible(page)
    screenshot(page, "batch-02-started")

    # The table moves without a reload: an item leaves the queue, then both finish.
    expect(page.locator('tr[data-status="queued"]')).not_to_have_count(2, timeout=FINISH_WITHIN_MS)
    expect(page.locator('tr[data-status="complete"]')).to_have_count(2, timeout=FINISH_WITHIN_MS)
    expect(page.locator('[data-total="done"]')).to_have_text("2")
    expect(page.locator("#batch-live")).to_have_attribute("data-status", "finished")
    screenshot(page, "batch-03-finished")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download ZIP").click()
    saved = tmp_path / "batch.zip"
    download.value.save_as(saved)
    names = zipfile.ZipFile(saved).namelist()
    assert len(names) == 2 and all(name.endswith(".mp4") for name in names)
    assert all(zipfile.ZipFile(saved).getinfo(name).file_size > 10_000 for name in names)
