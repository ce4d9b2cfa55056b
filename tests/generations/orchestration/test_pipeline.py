"""The pipeline end to end: real phases, real ffmpeg, real storage, real queue and worker."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from django.core.files.storage import default_storage
from PIL import Image

from generations import services
from generations.models import CostEntry, PartRun, PhaseRun, Status, VideoGeneration, pipeline_order
from media.decode import audio_levels
from media.probe import extract_frame, probe
from phases.registry import PHASES
from phases.request import GenerationRequest
from tests.conftest import PROJECT_DIR

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE_PROMPT = (
    'A "quoted" ocean: waves at 100% \\ backslashes \\n, colons: ; percent %s %(x)d '
    "and emoji 🌊🚀✨ under 'single' quotes, then a storm at night."
)


def final_path(generation: VideoGeneration) -> Path:
    return Path(default_storage.path(generation.final_video_url))


def frame_at(video: Path, seconds: float, tmp_path: Path) -> np.ndarray:
    target = tmp_path / f"frame-{seconds:.2f}.png"
    extract_frame(video, seconds, target, timeout=30)
    return np.asarray(Image.open(target).convert("RGB"), dtype=np.int16)


def scene_middle(spec: dict, index: int) -> float:
    start = sum(scene["frames"] for scene in spec["scenes"][:index])
    return (start + spec["scenes"][index]["frames"] / 2) / spec["fps"]


def assert_conforming_video(generation: VideoGeneration, tmp_path: Path) -> None:
    assert generation.status == Status.COMPLETE, generation.error_message
    probed = probe(final_path(generation))
    spec = generation.spec
    assert probed.video is not None and probed.audio is not None
    assert probed.video.codec == "h264"
    assert probed.video.profile == "High"
    assert probed.video.pix_fmt == "yuv420p"
    assert (probed.video.width, probed.video.height) == (spec["width"], spec["height"])
    assert probed.video.fps == pytest.approx(30.0)
    assert probed.video.frames == generation.duration * 30
    assert abs(probed.duration - generation.duration) <= 0.1
    assert (probed.audio.codec, probed.audio.sample_rate, probed.audio.channels) == ("aac", 48000, 2)
    data = final_path(generation).read_bytes()
    assert data.index(b"moov") < data.index(b"mdat"), "the index is first, so players start before the end"
    assert audio_levels(final_path(generation), timeout=60) > -35.0, "the soundtrack is silent"
    # The first and the last scene come from different sentences; extra framings of one
    # sentence share its place, light and weather by design, so they may look alike.
    first = frame_at(final_path(generation), scene_middle(spec, 0), tmp_path)
    last = frame_at(final_path(generation), scene_middle(spec, len(spec["scenes"]) - 1), tmp_path)
    assert np.abs(first - last).mean() > 12, "two scenes look the same"


def test_a_real_worker_makes_a_conforming_video(
    alice, run_burst_worker, django_capture_on_commit_callbacks, tmp_path
):
    with django_capture_on_commit_callbacks(execute=True):
        generation = services.generation_create(
            user=alice,
            request=GenerationRequest(
                prompt="A calm ocean at night under the stars. Waves roll onto the beach.", duration=6
            ),
        )
    run_burst_worker()
    generation.refresh_from_db()
    assert_conforming_video(generation, tmp_path)
    assert generation.progress == 100.0
    assert generation.completed_at is not None and generation.generation_time_seconds > 0
    runs = PhaseRun.objects.filter(generation=generation)
    assert [run.phase for run in runs] == [phase.name for phase in PHASES]
    assert all(run.status == PhaseRun.State.SUCCEEDED for run in runs)
    # One job per chunk: every scene was a part of its own.
    parts = PartRun.objects.filter(generation=generation, phase="chunks")
    assert parts.count() == len(generation.spec["scenes"]) >= 3
    assert all(part.status == PartRun.State.SUCCEEDED and part.attempts == 1 for part in parts)
    # Every phase wrote under the seed's prefixes.
    assert all(name.startswith(f"animatic/{generation.id}/") for name in generation.animatic_urls)
    assert all(
        name.startswith(f"references/{generation.id}/") for name in generation.reference_urls["scenes"]
    )
    assert all(name.startswith(f"chunks/{generation.id}/") for name in generation.chunk_urls)
    assert generation.final_video_url == f"final/{generation.id}/video.mp4"
    assert default_storage.exists(generation.poster_url)


def test_statuses_move_in_order_and_progress_never_drops_during_a_run(
    alice, worker_env, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        generation = services.generation_create(
            user=alice, request=GenerationRequest(prompt="A forest at dawn with birds singing", duration=5)
        )
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "rqworker", "--burst"],
        cwd=PROJECT_DIR,
        env=worker_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[tuple[str, float]] = []
    deadline = time.monotonic() + 240
    while worker.poll() is None and time.monotonic() < deadline:
        row = VideoGeneration.objects.values_list("status", "progress").get(id=generation.id)
        if not seen or seen[-1] != row:
            seen.append(row)
        time.sleep(0.02)
    _, stderr = worker.communicate(timeout=30)
    assert worker.returncode == 0, stderr[-2000:]
    seen.append(VideoGeneration.objects.values_list("status", "progress").get(id=generation.id))

    order = [pipeline_order().index(status) for status, _ in seen]
    assert order == sorted(order), seen
    progress = [value for _, value in seen]
    assert progress == sorted(progress), seen
    assert seen[-1] == (Status.COMPLETE, 100.0)
    assert len({status for status, _ in seen}) >= 4, "the run should be observable phase by phase"
    events = list(generation.status_events.values_list("to_status", flat=True))
    assert events == [status for status in pipeline_order()[1:]]


@pytest.mark.parametrize(("aspect", "size"), [("9:16", (1080, 1920)), ("1:1", (1080, 1080))])
def test_other_aspect_ratios_get_their_own_frame_size(alice, aspect, size, tmp_path, make_video):
    generation = make_video(
        alice, "A neon city street in the rain, then sunrise over the towers", duration=5, aspect_ratio=aspect
    )
    assert (generation.spec["width"], generation.spec["height"]) == size
    assert_conforming_video(generation, tmp_path)


def test_a_draft_is_planned_and_rendered_at_its_resolution(alice, tmp_path, make_video):
    generation = make_video(
        alice,
        "A lighthouse on a cliff at dusk, then the beam over the sea",
        duration=5,
        aspect_ratio="9:16",
        resolution="360p",
    )
    assert (generation.spec["width"], generation.spec["height"]) == (360, 640)
    assert generation.frame_label == "360×640"
    assert_conforming_video(generation, tmp_path)


def test_a_hostile_prompt_renders_fine(alice, tmp_path, make_video):
    generation = make_video(alice, HOSTILE_PROMPT, duration=5, resolution="360p")
    assert_conforming_video(generation, tmp_path)
    assert generation.spec["prompt"] == HOSTILE_PROMPT


def test_costs_add_up_across_phase_runs_ledger_and_record(alice, make_video):
    generation = make_video(
        alice, "A desert at noon with dunes and a burning sun", duration=5, resolution="240p"
    )
    assert generation.status == Status.COMPLETE
    run_total = sum(run.cost_usd for run in generation.phase_runs.filter(status=PhaseRun.State.SUCCEEDED))
    ledger_total = sum(entry.usd for entry in CostEntry.objects.filter(generation=generation))
    assert generation.cost_usd == run_total == ledger_total == 0  # local providers are free


def test_a_phase_that_breaks_leaves_the_generation_failed_with_a_readable_message(
    alice, work_queue, film_runs_out
):
    generation = services.generation_create(
        user=alice, request=GenerationRequest(prompt="Snow falls on a quiet mountain village", duration=5)
    )
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    assert generation.error_message == "Phase 4 (chunks) failed on scene 2: the camera ran out of film"
    assert generation.final_video_url is None
    # The clip fails in its reference's job, before the chunks phase's turn.
    assert PartRun.objects.get(generation=generation, phase="chunks", index=1).status == PartRun.State.FAILED
    assert not generation.phase_runs.filter(phase__in=["chunks", "refine", "export"]).exists()


@pytest.mark.slow
def test_the_default_generation_is_a_30_second_1080p30_video(alice, make_video, tmp_path):
    generation = make_video(alice, "A calm ocean at night under the stars, waves rolling onto a quiet beach")
    assert generation.duration == 30
    assert (generation.spec["width"], generation.spec["height"]) == (1920, 1080)
    assert_conforming_video(generation, tmp_path)
