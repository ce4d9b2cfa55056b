"""The server-rendered pages through Django's test client: who sees what, what each page
shows in each state, and the cancel / retry forms."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from generations import services
from generations.models import PhaseRun, Status, VideoGeneration
from phases.registry import PHASES
from tests import factories

# Each test stores its files in a folder of its own.
pytestmark = pytest.mark.usefixtures("media_root")

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
PROMPT = "A lighthouse on a cliff at dusk, waves crashing below, gulls circling."
make_generation = partial(factories.make_generation, prompt=PROMPT)

SPEC = {
    "version": 1,
    "title": "Lighthouse at dusk",
    "prompt": PROMPT,
    "duration": 5,
    "fps": 30,
    "aspect_ratio": "16:9",
    "width": 1920,
    "height": 1080,
    "template": "cinematic",
    "seed": 0,
    "scenes": [
        {
            "description": "The lighthouse against an orange sky",
            "caption": "Dusk falls",
            "duration": 2.0,
            "frames": 60,
            "camera": "zoom_in",
            "palette": ["#0b1d3a", "#1f4e79", "#f2c14e"],
            "motif": "waves",
        },
        {
            "description": "Waves break on the rocks",
            "caption": "",
            "duration": 1.5,
            "frames": 45,
            "camera": "pan_left",
            "palette": ["#102030", "#203040", "#f0f0f0"],
            "motif": "waves",
        },
        {
            "description": "Gulls circle the lamp",
            "caption": "Night watch",
            "duration": 1.5,
            "frames": 45,
            "camera": "static",
            "palette": ["#000000", "#333333", "#ffcc00"],
            "motif": "birds",
        },
    ],
    "music": {"mood": "calm", "tempo": 72},
}


def phase_run(generation, phase: str, state=PhaseRun.State.SUCCEEDED, **fields) -> PhaseRun:
    defaults = {"duration_seconds": 1.25} if state == PhaseRun.State.SUCCEEDED else {}
    if state != PhaseRun.State.RUNNING:
        defaults["finished_at"] = timezone.now()
    return PhaseRun.objects.create(generation=generation, phase=phase, status=state, **defaults | fields)


def make_complete(user) -> VideoGeneration:
    generation = make_generation(
        user,
        Status.COMPLETE,
        spec=SPEC,
        template="cinematic",
        progress=100.0,
        animatic_urls=[f"animatic/x/scene_0{n}.png" for n in (1, 2, 3)],
        reference_urls={"scenes": [f"references/x/scene_0{n}.png" for n in (1, 2, 3)]},
        chunk_urls=[f"chunks/x/scene_0{n}.mp4" for n in (1, 2, 3)],
        stitched_url="final/x/stitched.mp4",
        refined_url="final/x/refined.mp4",
        final_video_url="final/x/video.mp4",
        poster_url="final/x/poster.jpg",
        cost_usd=Decimal("0.1265"),
        cost_breakdown={"plan": "0.0100", "references": "0.0165", "chunks": "0.1000"},
        generation_time_seconds=12.5,
    )
    for phase in PHASES:
        output = {}
        if phase.name == "export":
            output = {"width": 1920, "height": 1080, "duration": 5.0, "size_bytes": 2_500_000}
        if phase.name == "refine":
            output = {"music_url": "final/x/music.wav"}
        phase_run(generation, phase.name, output_data=output)
    return generation


def detail_url(generation) -> str:
    return reverse("generation-detail", args=[generation.id])


# --- the root and logging in --------------------------------------------------------


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_the_root_answers_json_to_programs(client, db, accept):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/", headers=headers)
    assert response.status_code == 200
    assert response.json()["message"] == "Video Generation API"
    assert "Accept" in response["Vary"]


def test_the_root_sends_an_anonymous_browser_to_log_in(client, db):
    response = client.get("/", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"
    assert "Accept" in response["Vary"]


def test_the_root_is_the_new_video_page_for_a_logged_in_browser(client, alice):
    client.force_login(alice)
    response = client.get("/", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    assert response.templates[0].name == "generations/new.html"
    assert b'name="prompt"' in response.content


def test_a_user_logs_in_and_lands_on_the_new_video_page(client, alice):
    page = client.get(reverse("login"))
    assert page.status_code == 200 and b'name="username"' in page.content
    response = client.post(reverse("login"), {"username": "alice", "password": "alice-password-1"})
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_wrong_password_is_told_plainly(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert b"enter a correct username and password" in response.content


def test_logging_out_is_a_post_and_ends_the_session(client, alice):
    client.force_login(alice)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("generation-history")).status_code == 302


def test_every_page_needs_a_logged_in_user(client, alice):
    generation = make_generation(alice)
    paths = [reverse("generation-history")] + [
        reverse(name, args=[generation.id]) for name in ("generation-detail", "generation-live")
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next="), path
    for name in ("generation-cancel", "generation-retry"):
        assert client.post(reverse(name, args=[generation.id])).status_code == 302, name
    assert VideoGeneration.objects.get(id=generation.id).status == Status.QUEUED


def test_a_poll_after_the_session_ended_sends_the_whole_page_to_log_in(client, alice):
    generation = make_generation(alice)
    response = client.get(reverse("generation-live", args=[generation.id]), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/accounts/login/?next=/generations/{generation.id}/"


# --- ownership -------------------------------------------------------------------------


def test_it_validates_ownership(client, alice, bob):
    generation = make_generation(alice, "generating_chunks")
    client.force_login(bob)
    for name in ("generation-detail", "generation-live"):
        response = client.get(reverse(name, args=[generation.id]))
        assert response.status_code == 404, name
    for name in ("generation-cancel", "generation-retry"):
        assert client.post(reverse(name, args=[generation.id])).status_code == 404, name
    assert VideoGeneration.objects.get(id=generation.id).status == "generating_chunks"
    assert PROMPT.encode() not in client.get(reverse("generation-history")).content


def test_a_missing_generation_is_a_404_in_the_site_layout(client, alice):
    client.force_login(alice)
    response = client.get(reverse("generation-detail", args=["0" * 32]))
    assert response.status_code == 404
    assert b"Not found" in response.content and b"Log out" in response.content


# --- the progress page -----------------------------------------------------------------


def test_a_queued_generation_shows_its_place_in_the_queue_and_polls(client, alice, bob):
    make_generation(bob)
    generation = make_generation(alice)
    client.force_login(alice)
    response = client.get(detail_url(generation))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Number 2 in the queue." in html
    assert f'hx-get="{reverse("generation-live", args=[generation.id])}"' in html
    assert 'hx-trigger="every 1500ms"' in html
    assert "left." in html  # the ETA
    assert 'action="{}"'.format(reverse("generation-cancel", args=[generation.id])) in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_timeline_shows_each_phase_with_state_time_cost_and_sub_progress(client, alice):
    generation = make_generation(
        alice, "generating_animatic", spec=SPEC, progress=7.5, cost_breakdown={"plan": "0.0100"}
    )
    phase_run(generation, "plan", duration_seconds=1.25)
    phase_run(generation, "animatic", PhaseRun.State.RUNNING, detail={"done": 2, "total": 3})
    client.force_login(alice)
    html = client.get(reverse("generation-live", args=[generation.id])).content.decode()
    assert 'class="step step--done"' in html
    assert 'class="step step--running" aria-current="step"' in html
    assert html.count('class="step step--waiting"') == 4
    assert "1.2 s" in html and "$0.01" in html
    assert "2 of 3 frames" in html
    assert 'value="8"' in html  # the overall bar, rounded
    assert "Lighthouse at dusk" in html  # the planner's title replaces the prompt


def test_storyboard_frames_appear_as_soon_as_they_are_stored(client, alice):
    generation = make_generation(alice, "generating_animatic", spec=SPEC)
    phase_run(generation, "plan")
    phase_run(generation, "animatic", PhaseRun.State.RUNNING, detail={"done": 1, "total": 3})
    default_storage.save(f"animatic/{generation.id}/scene_01.png", ContentFile(b"png"))
    client.force_login(alice)
    html = client.get(reverse("generation-live", args=[generation.id])).content.decode()
    assert f'src="/media/animatic/{generation.id}/scene_01.png"' in html
    assert 'alt="Storyboard frame for scene 1: The lighthouse against an orange sky"' in html
    assert "scene_02.png" not in html


def test_a_failed_generation_says_where_and_why_and_offers_a_retry(client, alice):
    generation = make_generation(alice, Status.FAILED)
    PhaseRun.objects.create(
        generation=generation,
        phase="plan",
        status=PhaseRun.State.FAILED,
        finished_at=timezone.now(),
        error_message=generation.error_message,
    )
    client.force_login(alice)
    html = client.get(detail_url(generation)).content.decode()
    assert "This video failed at step 1, planning." in html
    assert "Phase 1 (plan) failed: the planner refused" in html
    assert 'action="{}"'.format(reverse("generation-retry", args=[generation.id])) in html
    assert reverse("generation-cancel", args=[generation.id]) not in html
    assert "hx-get" not in html  # nothing left to watch


def test_the_live_partial_stops_polling_once_the_generation_ends(client, alice):
    generation = make_generation(alice, "generating_chunks")
    client.force_login(alice)
    live = reverse("generation-live", args=[generation.id])
    assert "hx-get" in client.get(live).content.decode()
    services.generation_cancel(video_id=generation.id)
    html = client.get(live).content.decode()
    assert "hx-get" not in html
    assert "<html" not in html  # a fragment, not a page
    assert "This video was canceled." in html


# --- cancel and retry -----------------------------------------------------------------


def test_cancel_stops_an_active_generation(client, alice):
    generation = make_generation(alice, "generating_references")
    client.force_login(alice)
    response = client.post(reverse("generation-cancel", args=[generation.id]), follow=True)
    assert response.redirect_chain == [(detail_url(generation), 302)]
    assert VideoGeneration.objects.get(id=generation.id).status == Status.CANCELED
    assert b"Canceled. Finished steps are kept if you retry." in response.content


def test_canceling_a_finished_generation_is_a_message_not_an_error(client, alice):
    generation = make_complete(alice)
    client.force_login(alice)
    response = client.post(reverse("generation-cancel", args=[generation.id]), follow=True)
    assert response.status_code == 200
    assert b"already finished, so there was nothing to cancel" in response.content
    assert VideoGeneration.objects.get(id=generation.id).status == Status.COMPLETE


def test_retry_requeues_a_failed_generation(client, alice):
    generation = make_generation(alice, Status.FAILED)
    client.force_login(alice)
    response = client.post(reverse("generation-retry", args=[generation.id]), follow=True)
    generation.refresh_from_db()
    assert generation.status == Status.QUEUED and generation.attempts == 2
    assert generation.error_message is None
    assert b"Retrying from the first step that did not finish." in response.content


def test_retrying_an_active_generation_is_a_message_not_an_error(client, alice):
    generation = make_generation(alice, "generating_chunks")
    client.force_login(alice)
    response = client.post(reverse("generation-retry", args=[generation.id]), follow=True)
    assert response.status_code == 200
    assert b"Only a failed or canceled video can be retried." in response.content
    assert VideoGeneration.objects.get(id=generation.id).status == "generating_chunks"


def test_cancel_and_retry_only_answer_post(client, alice):
    generation = make_generation(alice)
    client.force_login(alice)
    for name in ("generation-cancel", "generation-retry"):
        assert client.get(reverse(name, args=[generation.id])).status_code == 405


def test_cancel_needs_the_csrf_token(alice):
    from django.test import Client

    generation = make_generation(alice)
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(reverse("generation-cancel", args=[generation.id])).status_code == 403
    assert VideoGeneration.objects.get(id=generation.id).status == Status.QUEUED


# --- the result page -----------------------------------------------------------------


def test_the_result_page_plays_the_video_and_shows_spec_costs_and_files(client, alice):
    generation = make_complete(alice)
    client.force_login(alice)
    html = client.get(detail_url(generation)).content.decode()
    assert '<video id="result-video"' in html
    assert 'src="/media/final/x/video.mp4"' in html and 'poster="/media/final/x/poster.jpg"' in html
    assert f'download="lighthouse-at-dusk-{generation.id[:8]}.mp4"' in html
    assert "1920\u00d71080" in html and "2.4\xa0MB" in html
    # The spec: scenes with captions, camera and palette, and the music.
    assert "Scene 3" in html and "Caption: “Night watch”" in html and "zoom in" in html
    assert "background-color: #f2c14e" in html
    assert "Calm, 72 bpm" in html
    # Cost per phase from the ledger, time per phase, totals.
    assert "$0.0165" in html and "$0.10" in html and "$0.1265" in html and "12 s" in html
    # Every intermediate file is reachable.
    for name in ("animatic/x/scene_02.png", "references/x/scene_03.png", "chunks/x/scene_01.mp4"):
        assert f"/media/{name}" in html
    for name in ("stitched.mp4", "refined.mp4", "music.wav"):
        assert f"/media/final/x/{name}" in html
    assert "hx-get" not in html
