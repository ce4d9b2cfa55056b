"""Hearing the narration while a video awaits review, and re-voicing it there, through the
API and a real worker: each scene's voice is a WAV of that scene's length, and a slower
pace refits the scenes to the new speech without leaving review."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from generations import services
from generations.models import Status, VideoGeneration
from media.speech import espeak_available
from tests.generations.api.conftest import token_client
from tests.phases.spec_factory import make_spec

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not espeak_available(), reason="espeak-ng is not installed"),
]

SCRIPT = "The harbour wakes before dawn.\n\nFishing boats slip out past the lighthouse.\n\nGulls follow them home at noon."


def spoken_seconds(wav: bytes) -> float:
    """How long the voice in a WAV actually speaks (samples above a quiet floor)."""
    with wave.open(io.BytesIO(wav)) as clip:
        samples = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2").astype(np.float32)
        rate = clip.getframerate()
    loud = np.flatnonzero(np.abs(samples) > 500)
    return (loud[-1] - loud[0]) / rate if loud.size else 0.0


def test_each_scene_is_heard_and_a_revoice_refits_the_scenes_while_in_review(
    alice, bob, run_burst_worker, django_capture_on_commit_callbacks
):
    api = token_client(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/generate",
            {
                "prompt": "A harbour at dawn with fishing boats",
                "duration": 12,
                "script": SCRIPT,
                "review": True,
            },
            format="json",
        )
    video_id = response.json()["video_id"]
    run_burst_worker()
    generation = VideoGeneration.objects.get(id=video_id)
    assert generation.status == Status.AWAITING_REVIEW

    narration = api.get(f"/api/generations/{video_id}/narration/").json()
    assert narration["rate"] == 1.0 and len(narration["scenes"]) == len(generation.spec["scenes"])
    voiced = [scene for scene in narration["scenes"] if scene["audio_url"]]
    assert [scene["text"] for scene in voiced] == [p for p in SCRIPT.split("\n\n")]
    before = {}
    for scene in voiced:
        audio = api.get(scene["audio_url"])
        assert audio.status_code == 200 and audio["Content-Type"] == "audio/wav"
        with wave.open(io.BytesIO(audio.content)) as clip:
            assert clip.getnframes() / clip.getframerate() == pytest.approx(
                scene["end"] - scene["start"], abs=0.01
            )
        before[scene["scene"]] = spoken_seconds(audio.content)
        assert before[scene["scene"]] > 0.8, "the scene's words are heard in its clip"
    assert bob_cannot_hear(bob, voiced[0]["audio_url"])
    frames_before = [scene["frames"] for scene in generation.spec["scenes"]]

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/generations/{video_id}/revoice/", {"speech_rate": 0.6, "voice": "+f3"}, format="json"
        )
    assert response.status_code == 202, response.json()
    run_burst_worker()
    generation.refresh_from_db()
    assert generation.status == Status.AWAITING_REVIEW, "re-voicing does not leave review"
    after = api.get(f"/api/generations/{video_id}/narration/").json()
    assert after["fingerprint"] != narration["fingerprint"]
    assert after["rate"] == 0.6 and after["voice"].endswith("+f3")
    assert [scene["frames"] for scene in generation.spec["scenes"]] != frames_before
    assert sum(scene["frames"] for scene in generation.spec["scenes"]) == 12 * 30
    for scene in (s for s in after["scenes"] if s["audio_url"]):
        slower = spoken_seconds(api.get(scene["audio_url"]).content)
        assert slower > 1.2 * before[scene["scene"]], "the slower voice takes longer"
        # The scene is as long as its new speech needs: the speech fits inside it.
        assert slower < scene["end"] - scene["start"]
    cues = generation.spec["subtitles"]["cues"]
    for cue in cues:
        scene = after["scenes"][cue["scene"]]
        assert scene["start"] <= cue["start"] < cue["end"] <= scene["end"] + 0.001


def bob_cannot_hear(bob, url: str) -> bool:
    return token_client(bob).get(url).status_code == 404


def test_only_a_video_awaiting_review_can_be_revoiced(alice, django_capture_on_commit_callbacks):
    api = token_client(alice)
    with django_capture_on_commit_callbacks(execute=True):
        video_id = api.post("/generate", {"prompt": "A harbour at dawn with boats"}, format="json").json()[
            "video_id"
        ]
    response = api.post(f"/api/generations/{video_id}/revoice/", {"speech_rate": 0.8}, format="json")
    assert response.status_code == 409 and "awaiting review" in response.json()["detail"]
    assert api.get(f"/api/generations/{video_id}/narration/").status_code == 404
    response = api.post(f"/api/generations/{video_id}/revoice/", {"speech_rate": 9}, format="json")
    assert response.status_code == 400 and "speech_rate" in response.json()


def test_a_pace_at_which_the_narration_cannot_fit_is_refused_up_front(
    alice, django_capture_on_commit_callbacks
):
    api = token_client(alice)
    video_id = api.post(
        "/generate", {"prompt": "A harbour at dawn with boats", "duration": 5}, format="json"
    ).json()["video_id"]
    spec = make_spec(duration=5)
    for scene in spec["scenes"]:
        scene["narration"] = "Boats and gulls and waves and wind and rain over the long grey harbour wall."
    spec["narration"] = {
        "provider": "local",
        "voice": "en-us",
        "language": "en",
        "rate": 1.0,
        "track": "final/x.wav",
    }
    VideoGeneration.objects.filter(id=video_id).update(spec=spec)
    for status in ("validating", "generating_animatic", Status.AWAITING_REVIEW):
        services.generation_transition(video_id=video_id, to=status)
    response = api.post(f"/api/generations/{video_id}/revoice/", {"speech_rate": 0.5}, format="json")
    assert response.status_code == 400
    assert "too long for a 5 s video" in response.json()["narration"][0]
    assert VideoGeneration.objects.get(id=video_id).generation_request.speech_rate == 1.0
