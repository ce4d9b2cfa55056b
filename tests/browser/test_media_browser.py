"""Stored files in real Chromium, on local storage: the owner's player plays and seeks
through byte ranges (206), and the same link is a 404 for the signed-out and for others."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files import File
from django.core.files.storage import default_storage
from playwright.sync_api import Page

from generations.models import Status, VideoGeneration
from media.run import run_ffmpeg
from phases.storage import url_for
from tests.browser.helpers import log_in, play_and_seek, record_responses
from tests.generations.pages.test_pages import make_complete

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def long_video(tmp_path_factory) -> Path:
    """30 s of nearly lossless test pattern (about 17 MB): more than a player fetches up front,
    so seeking near the end has to ask for a later range."""
    path = tmp_path_factory.mktemp("video") / "video.mp4"
    pattern = ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=30"]
    encode = ["-c:v", "libx264", "-preset", "ultrafast", "-qp", "4", "-pix_fmt", "yuv420p"]
    run_ffmpeg([*pattern, *encode, "-movflags", "+faststart", str(path)], timeout=120)
    return path


@pytest.fixture(autouse=True)
def files_only_through_the_app(media_root, settings, tmp_path) -> None:
    """Django's live server answers MEDIA_URL from MEDIA_ROOT itself, before the app, when it
    finds the file there; with the files stored elsewhere, every request reaches the app."""
    settings.MEDIA_ROOT = tmp_path / "not-served"


@pytest.fixture
def alices_video(alice, long_video: Path) -> VideoGeneration:
    generation = make_complete(alice)
    with long_video.open("rb") as handle:
        name = default_storage.save(f"final/{generation.id}/video.mp4", File(handle))
    VideoGeneration.objects.filter(id=generation.id).update(final_video_url=name, poster_url=None)
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE
    return generation


def test_the_owners_player_seeks_through_byte_ranges(page: Page, alices_video: VideoGeneration, long_video):
    responses = record_responses(page)
    log_in(page, "alice", "alice-password-1")
    page.goto(f"/generations/{alices_video.id}/")
    duration, landed = play_and_seek(page)
    assert abs(duration - 30.0) <= 0.1
    assert landed == pytest.approx(24.0, abs=0.5)
    link = url_for(alices_video.final_video_url)
    answers = [(status, range_) for url, status, range_ in responses if url.endswith(link)]
    assert answers and all(status == 206 for status, _ in answers), answers
    # The seek went past what was fetched at first: a range starting further in.
    assert any(range_ and not range_.startswith("bytes=0-") for _, range_ in answers), answers

    # The download button gets the whole file as an attachment.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download MP4").click()
    assert Path(download.value.path()).read_bytes() == long_video.read_bytes()
    assert download.value.suggested_filename.endswith(".mp4")


def test_signed_out_and_other_users_get_404_for_the_same_link(
    new_page, alices_video: VideoGeneration, bob, live_server
):
    link = url_for(alices_video.final_video_url)
    signed_out = new_page()
    assert signed_out.request.get(link, headers={"Range": "bytes=0-99"}).status == 404
    bobs = new_page()
    log_in(bobs, "bob", "bob-password-1")
    assert bobs.request.get(link, headers={"Range": "bytes=0-99"}).status == 404
    assert bobs.goto(link).status == 404
    alices = new_page()
    log_in(alices, "alice", "alice-password-1")
    mine = alices.request.get(link, headers={"Range": "bytes=0-99"})
    assert mine.status == 206 and len(mine.body()) == 100
    assert mine.headers["content-range"].startswith("bytes 0-99/")
