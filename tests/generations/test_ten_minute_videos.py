"""Ten-minute videos of 60 scenes, in every shape, through the form, the API and the review page."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from generations import review, services
from generations.models import Status, VideoGeneration
from media.probe import probe
from phases.request import ASPECT_RATIOS, MAX_DURATION, MAX_SCENES, GenerationRequest
from providers.spec import frame_sizes
from tests.factories import PROMPT, make, walk_to
from tests.generations.api.conftest import token_client
from tests.generations.orchestration.test_pipeline import final_path
from tests.phases.spec_factory import make_spec
from tests.phases.subtitle_checks import parse_webvtt

pytestmark = pytest.mark.django_db


def test_the_longest_video_is_ten_minutes_of_sixty_scenes():
    assert (MAX_DURATION, MAX_SCENES) == (600, 60)


@pytest.mark.parametrize("aspect_ratio", ASPECT_RATIOS)
def test_the_form_asks_for_ten_minutes_in_every_shape(client, alice, queue, aspect_ratio):
    client.force_login(alice)
    page = client.get(reverse("home"), HTTP_ACCEPT="text/html").content.decode()
    assert '<option value="600">10 minutes</option>' in page
    response = client.post(
        reverse("home"), {"prompt": PROMPT, "duration": "600", "aspect_ratio": aspect_ratio, "template": ""}
    )
    assert response.status_code == 302
    generation = VideoGeneration.objects.get()
    assert (generation.duration, generation.aspect_ratio) == (600, aspect_ratio)


@pytest.mark.parametrize("aspect_ratio", ASPECT_RATIOS)
def test_the_api_takes_ten_minutes_in_every_shape_and_no_more(alice, queue, aspect_ratio):
    api = token_client(alice)
    body = {"prompt": PROMPT, "duration": 600, "aspect_ratio": aspect_ratio, "burn_subtitles": True}
    response = api.post("/generate", body, format="json")
    assert response.status_code == 202, response.json()
    assert VideoGeneration.objects.get().request["duration"] == 600
    too_long = api.post("/generate", {**body, "duration": 601}, format="json")
    assert too_long.status_code == 400 and "duration" in too_long.json()


def awaiting_review_of_ten_minutes(user, aspect_ratio: str = "16:9") -> VideoGeneration:
    generation = make(user, duration=600, aspect_ratio=aspect_ratio, review=True)
    walk_to(generation, "generating_animatic")
    services.generation_transition(video_id=generation.id, to=Status.AWAITING_REVIEW)
    VideoGeneration.objects.filter(id=generation.id).update(
        spec=make_spec(duration=600, aspect_ratio=aspect_ratio, scenes=MAX_SCENES)
    )
    generation.refresh_from_db()
    return generation


@pytest.mark.parametrize("aspect_ratio", ASPECT_RATIOS)
def test_the_api_accepts_an_edited_spec_of_sixty_scenes(alice, queue, aspect_ratio):
    generation = awaiting_review_of_ten_minutes(alice, aspect_ratio)
    spec = make_spec(duration=600, aspect_ratio=aspect_ratio, scenes=MAX_SCENES)
    spec["scenes"][59]["caption"] = "The sixtieth scene"
    api = token_client(alice)
    response = api.patch(f"/api/generations/{generation.id}/", {"spec": spec}, format="json")
    assert response.status_code == 200, response.json()
    generation.refresh_from_db()
    assert (
        len(generation.spec["scenes"]) == 60
        and generation.spec["scenes"][59]["caption"] == "The sixtieth scene"
    )
    one_too_many = {**spec, "scenes": [*spec["scenes"], spec["scenes"][0]]}
    assert (
        api.patch(f"/api/generations/{generation.id}/", {"spec": one_too_many}, format="json").status_code
        == 400
    )


def test_the_review_page_shows_sixty_scenes_in_a_scrolling_list_and_saves_them(client, alice, queue):
    generation = awaiting_review_of_ten_minutes(alice)
    scenes = generation.spec["scenes"]
    client.force_login(alice)
    page = client.get(reverse("generation-detail", args=[generation.id])).content.decode()
    assert '<ol class="review__scenes" aria-label="60 scenes">' in page
    assert page.count('class="review__scene"') == 60 and "<h3>Scene 60</h3>" in page

    form = {
        "scene-TOTAL_FORMS": 60,
        "scene-INITIAL_FORMS": 60,
        "music_mood": generation.spec["music"]["mood"],
        "action": "save",
    }
    for number, scene in enumerate(scenes):
        form |= {
            f"scene-{number}-description": scene["description"],
            f"scene-{number}-caption": "Edited" if number == 59 else scene["caption"],
            f"scene-{number}-duration": scene["duration"],
            f"scene-{number}-order": number + 1,
            f"scene-{number}-elements": "[]",
        }
    response = client.post(reverse("generation-review", args=[generation.id]), form)
    assert response.status_code == 302
    generation.refresh_from_db()
    assert len(generation.spec["scenes"]) == 60 and generation.spec["scenes"][59]["caption"] == "Edited"
    assert sum(scene["frames"] for scene in generation.spec["scenes"]) == 600 * 30


TEN_MINUTES = (
    "Dawn breaks over a quiet harbour. Fishing boats leave for the open sea. Gulls follow them "
    "over the waves. A storm gathers on the horizon. Rain sweeps the deck. The sun returns over "
    "calm water. The boats sail home at dusk. Lanterns light the harbour at night."
)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_makes_a_ten_minute_video_of_sixty_narrated_subtitled_scenes(
    alice, run_burst_worker, django_capture_on_commit_callbacks
):
    """In CI time: the storyboard is reviewed down to the smallest draft frame, as a user may;
    the full-size run of ten minutes is the bench's."""
    with django_capture_on_commit_callbacks(execute=True):
        generation = services.generation_create(
            user=alice,
            request=GenerationRequest(prompt=TEN_MINUTES, duration=600, aspect_ratio="9:16", review=True),
        )
    run_burst_worker(timeout=600)
    generation.refresh_from_db()
    assert generation.status == Status.AWAITING_REVIEW, generation.error_message
    draft = frame_sizes("9:16")[-1]
    with django_capture_on_commit_callbacks(execute=True):
        review.generation_update_spec(
            video_id=generation.id, spec={**generation.spec, "width": draft[0], "height": draft[1]}
        )
        review.generation_approve(video_id=generation.id)
    run_burst_worker(timeout=1200)
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    spec = generation.spec
    assert len(spec["scenes"]) == 60 and sum(scene["frames"] for scene in spec["scenes"]) == 600 * 30
    probed = probe(final_path(generation))
    assert probed.video is not None and probed.audio is not None
    assert (probed.video.width, probed.video.height) == draft == (240, 426)
    assert probed.video.frames == 600 * 30 and abs(probed.duration - 600) <= 0.1
    assert len(generation.chunk_urls) == 60
    # Narrated and subtitled from the first sentence to the last, which is said in the last
    # minute (a sentence spread over several scenes is read once, in its first).
    cues = parse_webvtt(default_storage.open(generation.subtitle_urls["vtt"]).read().decode())
    assert cues[0].text == "Dawn breaks over a quiet harbour."
    assert cues[-1].text == "Lanterns light the harbour at night." and 500 < cues[-1].end <= 600
    assert spec["subtitles"]["cues"][-1]["scene"] >= 50
