"""The Replicate adapters, through the real `replicate` client, against the fake service over HTTP."""

from __future__ import annotations

import math
import time
import wave
from pathlib import Path

import pytest
from PIL import Image
from rq.timeouts import JobTimeoutException, UnixSignalDeathPenalty

import media
from providers.costs import (
    COST_ANIMATEDIFF_VIDEO,
    COST_MUSICGEN,
    COST_SDXL_IMAGE,
    COST_ZEROSCOPE_VIDEO,
    CostMeter,
)
from providers.replicate import ReplicateImages, ReplicateMusic, ReplicateVideo
from tests.phases.spec_factory import make_spec
from tests.providers.fake_services import FakeServices
from toolbox.exceptions import ProviderError

SPEC = make_spec(duration=5, scenes=3)


def charges(meter: CostMeter) -> list[tuple[str, str, object]]:
    return [(charge.provider, charge.model, charge.usd) for charge in meter.charges]


def reference(tmp_path: Path, meter: CostMeter | None = None, spec: dict | None = None) -> Path:
    out = tmp_path / "scene_01.png"
    ReplicateImages().reference_image(spec or SPEC, 0, out, meter or CostMeter())
    return out


def test_a_reference_image_is_the_sdxl_output_cropped_to_the_frame(fake: FakeServices, tmp_path):
    meter = CostMeter()
    with Image.open(reference(tmp_path, meter)) as image:
        assert (image.format, image.size) == ("PNG", (1920, 1080))
    [prediction] = fake.created("image")
    assert prediction["status"] == "succeeded"
    assert (prediction["input"]["width"], prediction["input"]["height"]) == (1344, 768)
    assert SPEC["scenes"][0]["description"] in prediction["input"]["prompt"]
    assert charges(meter) == [("replicate", "stability-ai/sdxl", COST_SDXL_IMAGE)]


def test_a_storyboard_frame_is_small_and_keeps_the_aspect_ratio(fake: FakeServices, tmp_path):
    out = tmp_path / "scene_02.png"
    ReplicateImages().storyboard_frame(make_spec(aspect_ratio="9:16"), 1, out, CostMeter())
    with Image.open(out) as image:
        assert image.size == (270, 480)
    assert fake.created("image")[0]["input"]["height"] == 1344


def test_a_prediction_is_polled_from_starting_through_processing_to_succeeded(fake: FakeServices, tmp_path):
    reference(tmp_path)
    [prediction] = fake.created()
    assert prediction["_polls"] == 2
    assert fake.count("GET", "/v1/predictions/") == 2
    assert fake.canceled == []


@pytest.mark.parametrize("aspect", ["16:9", "9:16"])
def test_a_clip_is_normalised_to_the_scene_size_rate_and_frame_count(fake: FakeServices, tmp_path, aspect):
    spec = make_spec(duration=5, aspect_ratio=aspect)
    meter = CostMeter()
    out = tmp_path / "scene_01.mp4"
    ReplicateVideo().render_chunk(spec, 0, tmp_path / "unused.png", out, meter)
    probed = media.probe(out)
    assert probed.audio is None and probed.video is not None
    assert (probed.video.codec, probed.video.profile, probed.video.pix_fmt) == ("h264", "High", "yuv420p")
    assert (probed.video.width, probed.video.height) == (spec["width"], spec["height"])
    assert probed.video.fps == 30.0
    assert probed.video.frames == spec["scenes"][0]["frames"]
    [prediction] = fake.created("video")
    seconds = spec["scenes"][0]["frames"] / 30
    assert prediction["input"]["num_frames"] == math.ceil(seconds * 8)
    assert charges(meter) == [("replicate", "anotherjesse/zeroscope-v2-xl", COST_ZEROSCOPE_VIDEO)]


def test_normalised_clips_join_by_stream_copy(fake: FakeServices, tmp_path):
    clips = []
    for index in range(2):
        clips.append(tmp_path / f"scene_{index + 1:02d}.mp4")
        ReplicateVideo().render_chunk(SPEC, index, tmp_path / "unused.png", clips[-1], CostMeter())
    media.concat_copy(clips, tmp_path / "stitched.mp4", timeout=60)
    probed = media.probe(tmp_path / "stitched.mp4")
    assert probed.video.frames == SPEC["scenes"][0]["frames"] + SPEC["scenes"][1]["frames"]


def test_animatediff_serves_the_clips_when_chosen(fake: FakeServices, settings, tmp_path):
    settings.REPLICATE_VIDEO_MODEL = "animatediff"
    meter = CostMeter()
    out = tmp_path / "scene_03.mp4"
    ReplicateVideo().render_chunk(SPEC, 2, tmp_path / "unused.png", out, meter)
    assert media.probe(out).video.frames == SPEC["scenes"][2]["frames"]
    [prediction] = fake.created("video")
    assert prediction["model"] == "lucataco/animate-diff" and "n_prompt" in prediction["input"]
    assert charges(meter) == [("replicate", "lucataco/animate-diff", COST_ANIMATEDIFF_VIDEO)]


def test_the_soundtrack_is_a_48khz_stereo_wav_of_exactly_the_video_length(fake: FakeServices, tmp_path):
    spec = make_spec(duration=12)  # longer than the 8 s the fake model makes: looped to fit
    meter = CostMeter()
    out = tmp_path / "music.wav"
    ReplicateMusic().compose(spec, out, meter)
    with wave.open(str(out)) as track:
        assert (track.getframerate(), track.getnchannels(), track.getsampwidth()) == (48000, 2, 2)
        assert track.getnframes() == 12 * 48000
    assert media.audio_levels(out, start=9, end=10, timeout=30) > -30
    [prediction] = fake.created("audio")
    assert prediction["input"]["duration"] == 12
    assert charges(meter) == [("replicate", "meta/musicgen", COST_MUSICGEN)]


def test_rate_limited_creation_is_retried_after_the_wait_replicate_asks_for(fake: FakeServices, tmp_path):
    fake.fault("POST", "/v1/predictions", status=429, headers={"Retry-After": "1"})
    fake.fault("POST", "/v1/predictions", status=429, headers={"Retry-After": "0"}, times=2)
    meter = CostMeter()
    started = time.monotonic()
    reference(tmp_path, meter)
    assert time.monotonic() - started >= 1.0
    assert fake.count("POST", "/v1/predictions") == 4
    assert len(fake.created()) == 1
    assert len(meter.charges) == 1, "a refused request costs nothing, so it is charged once"


def test_server_errors_and_malformed_answers_while_polling_are_retried(fake: FakeServices, tmp_path):
    fake.fault("GET", "/v1/predictions/", status=503)
    fake.fault("GET", "/v1/predictions/", status=200, body=b'{"id": "fake0001", "status": "proc')
    fake.fault("GET", "/v1/predictions/", status=500, body=b"<html>Bad gateway</html>")
    reference(tmp_path)
    assert fake.count("GET", "/v1/predictions/") == 5
    assert fake.created()[0]["status"] == "succeeded"


def test_a_rate_limit_storm_longer_than_the_retry_budget_fails_as_retryable(
    fake: FakeServices, settings, tmp_path
):
    settings.PROVIDER_MAX_RETRIES = 2
    fake.fault("POST", "/v1/predictions", status=429, times=10)
    with pytest.raises(ProviderError) as failure:
        reference(tmp_path)
    assert failure.value.retryable
    assert "HTTP 429" in str(failure.value) and "gave up after 3 attempts" in str(failure.value)
    assert fake.count("POST", "/v1/predictions") == 3


def test_a_failed_prediction_fails_with_the_models_own_message(fake: FakeServices, tmp_path):
    fake.script("image", ("fail", "CUDA out of memory on the GPU"))
    with pytest.raises(ProviderError) as failure:
        reference(tmp_path)
    assert not failure.value.retryable
    assert str(failure.value) == "Replicate: SDXL image for scene 1 failed: CUDA out of memory on the GPU"
    assert fake.canceled == []


def test_an_unknown_model_version_fails_at_once(fake: FakeServices, settings, tmp_path):
    settings.REPLICATE_SDXL_MODEL = "stability-ai/sdxl:0000000000"
    with pytest.raises(ProviderError, match="HTTP 422: Invalid version or not permitted") as failure:
        reference(tmp_path)
    assert not failure.value.retryable
    assert fake.count("POST", "/v1/predictions") == 1


def test_a_wrong_token_fails_at_once_with_replicates_message(fake: FakeServices, settings, tmp_path):
    settings.REPLICATE_API_TOKEN = "r8_wrong"
    with pytest.raises(ProviderError, match="HTTP 401: You did not pass a valid authentication token"):
        reference(tmp_path)


def test_a_prediction_that_never_finishes_is_canceled_at_our_deadline(fake: FakeServices, settings, tmp_path):
    settings.REPLICATE_PREDICTION_TIMEOUT = 0.3
    fake.script("video", "hang")
    with pytest.raises(ProviderError, match=r"did not finish within 0\.3 s, so we canceled it"):
        ReplicateVideo().render_chunk(SPEC, 0, tmp_path / "unused.png", tmp_path / "clip.mp4", CostMeter())
    [prediction] = fake.created("video")
    assert fake.canceled == [prediction["id"]]
    assert prediction["status"] == "canceled"


def test_the_rq_job_timeout_cancels_the_prediction_too(fake: FakeServices, tmp_path):
    fake.script("audio", "hang")
    with pytest.raises(JobTimeoutException), UnixSignalDeathPenalty(1, JobTimeoutException):
        ReplicateMusic().compose(SPEC, tmp_path / "music.wav", CostMeter())
    assert fake.canceled == [fake.created("audio")[0]["id"]]


def test_an_output_bigger_than_the_download_limit_is_refused(fake: FakeServices, settings, tmp_path):
    settings.PROVIDER_DOWNLOAD_MAX_BYTES = 1000
    with pytest.raises(ProviderError, match="larger than the 1000 byte limit") as failure:
        reference(tmp_path)
    assert not failure.value.retryable
    assert not list(tmp_path.iterdir()), "no partial download is left behind"


def test_an_output_download_is_retried_on_a_server_error_and_not_on_a_404(fake: FakeServices, tmp_path):
    fake.fault("GET", "/files/", status=502)
    reference(tmp_path)
    fake.fault("GET", "/files/", status=404)
    with pytest.raises(ProviderError, match="HTTP 404") as failure:
        reference(tmp_path)
    assert not failure.value.retryable


def test_an_output_that_is_not_an_image_fails_clearly(fake: FakeServices, tmp_path):
    fake.fault(
        "GET", "/files/", status=200, body=b"<html>a login page</html>", headers={"Content-Type": "text/html"}
    )
    with pytest.raises(ProviderError, match="SDXL image for scene 1 is not a readable image"):
        reference(tmp_path)
