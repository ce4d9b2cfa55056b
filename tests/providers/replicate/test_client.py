"""A prediction's life (create, poll, cancel, download) through the real `replicate` client,
against the fake service over HTTP, seen through the image adapter."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from rq.timeouts import JobTimeoutException, UnixSignalDeathPenalty

from providers.costs import CostMeter
from providers.replicate import ReplicateImages, ReplicateMusic, ReplicateVideo
from tests.phases.spec_factory import make_spec
from tests.providers.fake_services import FakeServices
from toolbox.exceptions import ProviderError

SPEC = make_spec(duration=5, scenes=3)


def reference(tmp_path: Path, meter: CostMeter | None = None, spec: dict | None = None) -> Path:
    out = tmp_path / "scene_01.png"
    ReplicateImages().reference_image(spec or SPEC, 0, out, meter or CostMeter())
    return out


def test_a_prediction_is_polled_from_starting_through_processing_to_succeeded(fake: FakeServices, tmp_path):
    reference(tmp_path)
    [prediction] = fake.created()
    assert prediction["_polls"] == 2
    assert fake.count("GET", "/v1/predictions/") == 2
    assert fake.canceled == []


def test_rate_limited_creation_is_retried_after_the_wait_replicate_asks_for(fake: FakeServices, tmp_path):
    fake.fault("POST", "/v1/predictions", status=429, headers={"Retry-After": "1"})
    fake.fault("POST", "/v1/predictions", status=429, headers={"Retry-After": "0"}, times=2)
    meter = CostMeter()
    started = time.monotonic()
    reference(tmp_path, meter)
    assert time.monotonic() - started >= 1.0
    assert fake.count("POST", "/v1/predictions") == 4
    assert len(fake.created()) == 1
    assert [charge.adjusts for charge in meter.charges] == [False, True], (
        "a refused request costs nothing: one estimate, settled once"
    )


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
    assert str(failure.value) == (
        "Replicate: stability-ai/sdxl image for scene 1 failed: CUDA out of memory on the GPU"
    )
    assert fake.canceled == []


def test_an_unknown_model_version_fails_at_once(fake: FakeServices, settings, tmp_path):
    settings.REPLICATE_IMAGE_MODEL = "stability-ai/sdxl:0000000000"
    with pytest.raises(ProviderError, match="reading the schema of stability-ai/sdxl: HTTP 404") as failure:
        reference(tmp_path)
    assert not failure.value.retryable
    assert fake.count("POST", "/v1/predictions") == 0


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
    with pytest.raises(ProviderError, match="sdxl image for scene 1 is not a readable image"):
        reference(tmp_path)


def test_the_image_and_video_prompts_name_the_scenes_subjects_time_and_weather(fake: FakeServices, tmp_path):
    spec = make_spec(duration=5, scenes=3)
    spec["scenes"][0] |= {
        "elements": [
            {"name": "fox", "icon": "fluent-emoji-flat:fox", "motion": "walk"},
            {"name": "birch", "icon": "fluent-emoji-flat:deciduous-tree", "motion": "idle"},
        ],
        "time": "dawn",
        "weather": "snow",
    }
    reference(tmp_path, spec=spec)
    ReplicateVideo().render_chunk(spec, 0, tmp_path / "scene_01.png", tmp_path / "scene_01.mp4", CostMeter())
    for kind in ("image", "video"):
        prompt = fake.created(kind)[0]["input"]["prompt"]
        assert "showing fox and birch, at dawn, with snow falling" in prompt, prompt
