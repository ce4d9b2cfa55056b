"""The whole pipeline with every capability remote: the OpenAI planner and the Replicate
images, clips and music, through their real clients against the fake services over HTTP,
with every artifact stored in S3 (moto's server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from generations import services
from generations.models import CostEntry, PhaseRun, Status, VideoGeneration
from media.decode import audio_levels
from media.probe import extract_frame, probe
from phases import storage
from phases.request import GenerationRequest
from providers.costs import COST_GPT4_TURBO, COST_ZEROSCOPE_VIDEO
from tests.conftest import PROJECT_DIR
from tests.providers.fake_http import running_fake_services
from tests.providers.fake_s3 import FakeS3, running_s3
from tests.providers.fake_services import REPLICATE_TOKEN, FakeServices

pytestmark = pytest.mark.django_db(transaction=True)

PROMPT = "A lighthouse on a cliff in a storm, then the sea calms at dawn and gulls return."
SCENES = 3  # what the fake planner answers


@pytest.fixture(scope="module")
def fake_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeServices]:
    with running_fake_services(tmp_path_factory.mktemp("fake-assets")) as fake:
        yield fake


@pytest.fixture(scope="module")
def s3() -> Iterator[FakeS3]:
    with running_s3("videogen-pipeline-test") as server:
        yield server


@pytest.fixture(scope="module")
def s3_storages(s3: FakeS3) -> dict[str, Any]:
    return s3.storages()


@pytest.fixture
def remote(fake: FakeServices, s3_storages: dict[str, Any], settings) -> FakeServices:
    """Every capability remote against the fake services, every artifact in S3."""
    settings.STORAGES = s3_storages
    return fake


@pytest.fixture
def generate(work_queue):
    """Create a generation and run its jobs through the queue until it is done."""

    def create(user, **options: Any) -> VideoGeneration:
        generation = services.generation_create(
            user=user, request=GenerationRequest(prompt=PROMPT, duration=5, **options)
        )
        work_queue()
        generation.refresh_from_db()
        return generation

    return create


def download(name: str, target: Path) -> Path:
    """Fetch a stored artifact the way a user's browser ends up doing: a presigned URL
    (the media view's redirect) and a plain GET."""
    with urllib.request.urlopen(storage.generate_presigned_url(name), timeout=30) as response:
        target.write_bytes(response.read())
    return target


def frame_at(video: Path, seconds: float, tmp_path: Path) -> np.ndarray:
    target = tmp_path / f"frame-{seconds:.2f}.png"
    extract_frame(video, seconds, target, timeout=30)
    return np.asarray(Image.open(target).convert("RGB"), dtype=np.int16)


# What each Replicate prediction of the fake reports having used, at its hardware's price.
SDXL_USD = Decimal("0.0066")  # 6.8 s on an L40S at $0.000975/s
ZEROSCOPE_USD = Decimal("0.0861")  # 61.5 s on an A100 at $0.0014/s
ZEROSCOPE_ESTIMATE_USD = COST_ZEROSCOPE_VIDEO  # the seed's constant is the estimate before the call
MUSICGEN_USD = Decimal("0.0371")  # 38 s on an L40S


def expected_breakdown() -> dict[str, str]:
    """What the calls of a 3-scene generation really cost."""
    per_phase = {
        "plan": COST_GPT4_TURBO,
        "animatic": SDXL_USD * SCENES,
        "references": SDXL_USD * SCENES,
        "chunks": ZEROSCOPE_USD * SCENES,
        "refine": MUSICGEN_USD,
    }
    return {phase: str(usd.quantize(Decimal("0.0001"))) for phase, usd in per_phase.items()}


def test_every_capability_remote_and_s3_make_a_conforming_video(
    generate, alice, remote: FakeServices, s3: FakeS3, tmp_path
):
    generation = generate(alice)
    assert generation.status == Status.COMPLETE, generation.error_message
    spec = generation.spec
    assert len(spec["scenes"]) == SCENES and spec["prompt"] == PROMPT

    video = download(generation.final_video_url, tmp_path / "video.mp4")
    probed = probe(video)
    assert (probed.video.codec, probed.video.profile, probed.video.pix_fmt) == ("h264", "High", "yuv420p")
    assert (probed.video.width, probed.video.height, probed.video.fps) == (1920, 1080, 30.0)
    assert abs(probed.duration - 5) <= 0.1
    assert (probed.audio.codec, probed.audio.sample_rate, probed.audio.channels) == ("aac", 48000, 2)
    assert audio_levels(video, timeout=60) > -35.0, "the soundtrack is silent"
    middles = [
        (sum(s["frames"] for s in spec["scenes"][:i]) + spec["scenes"][i]["frames"] / 2) / 30 for i in (0, 1)
    ]
    first, second = (frame_at(video, seconds, tmp_path) for seconds in middles)
    assert np.abs(first - second).mean() > 12, "two scenes look the same"

    keys = s3.keys()
    for prefix, suffix in (("animatic", "png"), ("references", "png"), ("chunks", "mp4")):
        stored = [key for key in keys if key.startswith(f"{prefix}/{generation.id}/")]
        # One file per scene, named by scene number and the fingerprint of its inputs.
        assert len(stored) == SCENES and all(key.endswith(f".{suffix}") for key in stored)
        assert [key.rsplit("/", 1)[1][:8] for key in stored] == [
            f"scene_{n:02d}" for n in range(1, SCENES + 1)
        ]
    assert f"final/{generation.id}/video.mp4" in keys and f"final/{generation.id}/poster.jpg" in keys

    assert len(remote.chat_requests) == 1
    assert [len(remote.created(kind)) for kind in ("image", "video", "audio")] == [2 * SCENES, SCENES, 1]
    assert remote.canceled == []


def test_the_cost_breakdown_is_what_each_call_reported_using(generate, alice, remote: FakeServices):
    generation = generate(alice)
    assert generation.status == Status.COMPLETE, generation.error_message
    assert generation.cost_breakdown == expected_breakdown()
    assert generation.cost_usd == sum(Decimal(usd) for usd in expected_breakdown().values())
    ledger = CostEntry.objects.filter(generation=generation)
    # The planner's call, then an estimate and its settlement for each prediction.
    assert ledger.count() == 1 + 2 * (3 * SCENES + 1)
    assert ledger.filter(units=0).count() == 3 * SCENES + 1
    assert set(ledger.values_list("provider", "model")) == {
        ("openai", "gpt-4-turbo"),
        ("replicate", "stability-ai/sdxl"),
        ("replicate", "anotherjesse/zeroscope-v2-xl"),
        ("replicate", "meta/musicgen"),
    }
    runs = generation.phase_runs.filter(status=PhaseRun.State.SUCCEEDED)
    assert sum(run.cost_usd for run in runs) == generation.cost_usd


def test_a_storm_of_rate_limits_then_success_completes_at_the_same_cost(
    generate, alice, remote: FakeServices, settings
):
    retries = settings.PROVIDER_MAX_RETRIES
    remote.fault("POST", "/v1/chat/completions", status=429, headers={"Retry-After": "0"}, times=retries)
    remote.fault("POST", "/v1/predictions", status=429, headers={"Retry-After": "0"}, times=retries)
    remote.fault("GET", "/v1/predictions/", status=429, times=retries)
    remote.fault("GET", "/files/", status=502, times=retries)
    generation = generate(alice)
    assert generation.status == Status.COMPLETE, generation.error_message
    assert all(fault.times == 0 for fault in remote.faults), "every fault was met"
    assert generation.cost_breakdown == expected_breakdown()


def test_a_permanent_provider_error_leaves_the_generation_failed_with_the_providers_message(
    generate, alice, remote: FakeServices
):
    remote.script(
        "video",
        "succeed",
        ("fail", "NSFW content detected. Try running it again, or try a different prompt."),
    )
    generation = generate(alice)
    assert generation.status == Status.FAILED
    assert generation.error_message == (
        "Phase 4 (chunks) failed on scene 2: Replicate: anotherjesse/zeroscope-v2-xl clip for scene 2 failed: "
        "NSFW content detected. Try running it again, or try a different prompt."
    )
    assert generation.final_video_url is None
    assert len(remote.created("video")) == 2, "no clip is asked for once the generation has failed"
    # The clip that failed keeps its estimate: nothing was reported to settle it by.
    assert generation.cost_breakdown["chunks"] == str(ZEROSCOPE_USD + ZEROSCOPE_ESTIMATE_USD)


def test_our_timeout_cancels_the_remote_prediction_and_fails_the_generation(
    generate, alice, remote: FakeServices, settings
):
    settings.REPLICATE_PREDICTION_TIMEOUT = 0.5
    remote.script("image", "hang")
    # Reviewed, so no reference is drawn beside the storyboard (none may start before the
    # approval) and the first image asked for, the one that hangs, is the first sketch:
    # without the review the first reference races it to the fake's first prediction.
    generation = generate(alice, review=True)
    assert generation.status == Status.FAILED
    assert generation.error_message == (
        "Phase 2 (animatic) failed: Replicate: stability-ai/sdxl image for scene 1 did not finish "
        "within 0.5 s, so we canceled it"
    )
    [sketch] = [p for p in remote.created("image") if "storyboard sketch" in p["input"]["prompt"]]
    assert remote.canceled == [sketch["id"]] and sketch["status"] == "canceled"


def test_canceling_stops_the_remote_prediction_a_worker_waits_for(
    alice, remote: FakeServices, worker_env, queue, django_capture_on_commit_callbacks
):
    """The worker's job is killed on cancel, so the prediction it polled is canceled from
    the web process, through the record of remote work in flight kept in Redis."""
    remote.script("video", "hang", "hang", "hang")
    env = {
        **worker_env,
        "VIDEO_PROVIDER": "replicate",
        "REPLICATE_API_TOKEN": REPLICATE_TOKEN,
        "REPLICATE_BASE_URL": remote.base_url,
        "REPLICATE_POLL_INTERVAL": "0.05",
    }
    with django_capture_on_commit_callbacks(execute=True):
        generation = services.generation_create(
            user=alice, request=GenerationRequest(prompt=PROMPT, duration=5)
        )
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker"],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not remote.created("video") and time.monotonic() < deadline:
            time.sleep(0.1)
        [prediction, *_] = remote.created("video")
        services.generation_cancel(video_id=generation.id)
        deadline = time.monotonic() + 10
        while prediction["id"] not in remote.canceled and time.monotonic() < deadline:
            time.sleep(0.1)
        assert prediction["id"] in remote.canceled
        generation.refresh_from_db()
        assert generation.status == Status.CANCELED
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)


def test_the_budget_is_checked_on_each_estimate_and_what_was_spent_is_recorded_even_past_it(
    generate, alice, remote: FakeServices, settings
):
    """SDXL estimated at 1 s but reporting 6.8 s: each settlement is written even when it takes
    the generation past its cap (that money is spent); the next estimate is then refused."""
    prices = settings.REPLICATE_PRICES
    settings.REPLICATE_PRICES = {
        **prices,
        "models": {
            **prices["models"],
            "stability-ai/sdxl": {"per": "time", "hardware": "gpu-l40s", "typical_seconds": 1},
        },
    }
    settings.MAX_COST_PER_GENERATION_USD = Decimal("0.02")
    # Reviewed, so no reference is drawn beside the storyboard (none may start before the
    # approval): its pictures are asked for one at a time, each estimate after the last
    # one's settlement. Calls made side by side can each pass before the others settle.
    generation = generate(alice, review=True)
    assert generation.status == Status.FAILED
    assert "budget exceeded: replicate/stability-ai/sdxl would cost $0.0010" in generation.error_message
    assert len(remote.created("image")) == 2, "the third image was refused before it was asked for"
    assert generation.cost_usd == COST_GPT4_TURBO + 2 * SDXL_USD > settings.MAX_COST_PER_GENERATION_USD
