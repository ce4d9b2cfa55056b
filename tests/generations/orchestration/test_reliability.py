"""Crashes, lost jobs, cancels and retries, proven with real worker processes and real Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry

from generations import services
from generations.models import PartRun, PhaseRun, Status, VideoGeneration
from generations.orchestration import dispatch
from generations.orchestration.reconcile import reconcile
from media.probe import probe
from phases.registry import PHASES
from phases.request import GenerationRequest
from tests.conftest import PROJECT_DIR
from tests.generations.orchestration.test_pipeline import final_path

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def start_worker(worker_env, queue) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start real `manage.py rqworker` processes (each in its own process group, so a test
    can SIGKILL a worker together with its work horse); all are stopped at teardown."""
    started: list[subprocess.Popen] = []

    def start(*, burst: bool = False, env: dict[str, str] | None = None) -> subprocess.Popen:
        command = [sys.executable, "manage.py", "rqworker"]
        if burst:
            command.append("--burst")
        process = subprocess.Popen(
            command,
            cwd=PROJECT_DIR,
            env=env or worker_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            kill_worker_and_horse(process)


def kill_worker_and_horse(worker: subprocess.Popen) -> None:
    """SIGKILL a worker and its work horse, as a crashed machine would. RQ's horse runs in
    a session of its own, so killing the worker's process group alone leaves it running."""
    children = subprocess.run(["pgrep", "-P", str(worker.pid)], capture_output=True, text=True).stdout.split()
    for pid in children:
        os.kill(int(pid), signal.SIGKILL)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)


def create(user, prompt: str, duration: int = 5, capture=None, resolution: str = "1080p") -> VideoGeneration:
    with capture(execute=True):
        return services.generation_create(
            user=user, request=GenerationRequest(prompt=prompt, duration=duration, resolution=resolution)
        )


def wait_for(condition: Callable[[], bool], timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for: {message}")


def statuses(*ids: str) -> list[str]:
    return list(VideoGeneration.objects.filter(id__in=ids).values_list("status", flat=True))


def assert_each_phase_succeeded_once(generation: VideoGeneration) -> None:
    for phase in PHASES:
        assert generation.phase_runs.filter(phase=phase.name, status=PhaseRun.State.SUCCEEDED).count() == 1


def test_a_worker_killed_mid_chunks_is_resumed_without_redoing_finished_work(
    alice, start_worker, django_capture_on_commit_callbacks
):
    generation = create(
        alice,
        "Snow falls on a quiet mountain village at night, then dawn",
        12,
        django_capture_on_commit_callbacks,
    )
    worker = start_worker()
    clips = PartRun.objects.filter(generation=generation, phase="chunks")
    # Kill once at least one scene is finished and another is being rendered.
    wait_for(
        lambda: (
            clips.filter(status=PartRun.State.SUCCEEDED).exists()
            and clips.filter(status=PartRun.State.RUNNING).exists()
        ),
        240,
        "a finished chunk and a chunk in progress",
    )
    kill_worker_and_horse(worker)
    finished_before = {part.index: part.finished_at for part in clips.filter(status=PartRun.State.SUCCEEDED)}
    # The clip rendering, and the next one when the reference drawn beside it had finished.
    interrupted = list(clips.filter(status=PartRun.State.RUNNING))
    earlier_phases = dict(
        generation.phase_runs.filter(status=PhaseRun.State.SUCCEEDED).values_list("phase", "finished_at")
    )

    time.sleep(2.5)  # let the dead worker's heartbeat go stale
    report = reconcile(stale_after=2)
    assert generation.id in report.resumed
    start_worker(burst=True).wait(timeout=300)

    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    assert_each_phase_succeeded_once(generation)
    for phase, finished_at in earlier_phases.items():  # not redone
        assert (
            generation.phase_runs.get(phase=phase, status=PhaseRun.State.SUCCEEDED).finished_at == finished_at
        )
    for part in clips.filter(index__in=finished_before):
        assert (part.attempts, part.finished_at) == (1, finished_before[part.index])
    for part in interrupted:
        part.refresh_from_db()
        assert part.status == PartRun.State.SUCCEEDED and part.attempts == 2
    assert generation.cost_usd == sum(
        run.cost_usd for run in generation.phase_runs.filter(status="succeeded")
    )
    assert generation.resumes == 1


def test_generations_survive_a_flushed_redis_after_reconcile(
    alice, start_worker, worker_env, queue, django_capture_on_commit_callbacks
):
    ids = [
        create(
            alice, f"A desert at noon with dunes, take {n}", 5, django_capture_on_commit_callbacks, "240p"
        ).id
        for n in range(3)
    ]
    # Heartbeats more often than the reconciler's 3 s below, so live work never looks lost.
    worker = start_worker(env={**worker_env, "HEARTBEAT_SECONDS": "1"})
    wait_for(lambda: Status.QUEUED not in statuses(ids[0]), 60, "the first generation to start")
    queue.connection.flushdb()  # every queued job is gone; the running one is not
    deadline = time.monotonic() + 300
    while set(statuses(*ids)) != {Status.COMPLETE} and time.monotonic() < deadline:
        assert worker.poll() is None, "the worker died"
        reconcile(stale_after=3)
        time.sleep(1)
    assert statuses(*ids) == [Status.COMPLETE] * 3
    for video_id in ids:
        assert_each_phase_succeeded_once(VideoGeneration.objects.get(id=video_id))


@pytest.mark.slow
def test_twenty_generations_on_two_workers_all_complete_once(
    alice, start_worker, django_capture_on_commit_callbacks, settings
):
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 0  # twenty at once, past the active cap
    # Drafts: the frame size is not what this test is about.
    ids = [
        create(
            alice, f"A forest at dawn with birds, number {n}", 5, django_capture_on_commit_callbacks, "240p"
        ).id
        for n in range(20)
    ]
    workers = [start_worker(), start_worker()]
    wait_for(lambda: set(statuses(*ids)) == {Status.COMPLETE}, 600, "all 20 generations to complete")
    assert all(worker.poll() is None for worker in workers)
    assert VideoGeneration.objects.filter(id__in=ids).count() == 20
    for video_id in ids:
        generation = VideoGeneration.objects.get(id=video_id)
        assert_each_phase_succeeded_once(generation)
        assert set(generation.part_runs.values_list("attempts", flat=True)) == {1}
        assert generation.phase_runs.count() == len(PHASES)
        video = probe(final_path(generation)).video
        assert video is not None and (video.width, video.height) == (426, 240)


def test_cancel_stops_the_running_job_within_seconds(
    alice, start_worker, queue, django_capture_on_commit_callbacks
):
    generation = create(
        alice, "A long calm ocean at night under the stars", 30, django_capture_on_commit_callbacks
    )
    start_worker()
    clips = PartRun.objects.filter(generation=generation, phase="chunks")
    wait_for(lambda: clips.filter(status=PartRun.State.RUNNING).exists(), 240, "a chunk in progress")
    # A clip renders in its reference's job, right after the reference.
    (job_id,) = [
        job for job in StartedJobRegistry(queue=queue).get_job_ids() if job.startswith(f"vg-{generation.id}-")
    ]
    canceled_at = time.monotonic()
    services.generation_cancel(video_id=generation.id)

    wait_for(
        lambda: Job.fetch(job_id, connection=queue.connection).get_status() == JobStatus.STOPPED,
        10,
        "RQ to report the running chunk job stopped",
    )
    assert time.monotonic() - canceled_at < 10
    workdirs = list(Path(settings.WORK_ROOT or "/tmp").glob(f"videogen-{generation.id}-*"))
    wait_for(lambda: not any(path.exists() for path in workdirs), 10, "scratch files removed")
    time.sleep(2)
    generation.refresh_from_db()
    assert generation.status == Status.CANCELED
    assert not generation.phase_runs.filter(phase__in=["refine", "export"]).exists()
    assert not PartRun.objects.filter(generation=generation, status=PartRun.State.RUNNING).exists()


def test_retry_after_a_failure_skips_the_work_that_finished(alice, work_queue, film_runs_out):
    film_runs_out.on_scene = 2
    generation = services.generation_create(
        user=alice,
        request=GenerationRequest(prompt="Rain over a neon city street at night", resolution="240p"),
    )
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    assert generation.error_message == "Phase 4 (chunks) failed on scene 3: the camera ran out of film"

    film_runs_out.out_of_film = False  # the operator fixes the camera, then retries
    services.generation_retry(video_id=generation.id)
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    assert generation.attempts == 2
    for phase in ("plan", "animatic"):
        assert generation.phase_runs.filter(phase=phase).count() == 1  # not run again
    references = PartRun.objects.filter(generation=generation, phase="references")
    assert set(references.values_list("attempts", flat=True)) == {1}  # no reference drawn twice
    clips = dict(
        PartRun.objects.filter(generation=generation, phase="chunks").values_list("index", "attempts")
    )
    assert clips[2] == 2
    assert clips[0] == clips[1] == 1


def test_a_lost_generation_is_failed_after_too_many_resumes(alice, queue, django_capture_on_commit_callbacks):
    generation = create(alice, "A quiet garden with flowers in spring", 5, django_capture_on_commit_callbacks)
    VideoGeneration.objects.filter(id=generation.id).update(resumes=3)
    queue.connection.flushdb()
    time.sleep(1.1)
    report = reconcile(stale_after=1, max_resumes=3)
    assert report.failed == [generation.id]
    generation.refresh_from_db()
    assert generation.status == Status.FAILED
    assert "giving up" in generation.error_message


def test_a_lost_job_that_held_two_parts_counts_as_one_resume(
    alice, queue, django_capture_on_commit_callbacks
):
    generation = create(alice, "A quiet garden with flowers in spring", 5, django_capture_on_commit_callbacks)
    queue.connection.flushdb()
    long_ago = generation.created_at - timedelta(minutes=5)
    for phase, index in (("chunks", 0), ("references", 1)):  # a clip, the reference beside it
        PartRun.objects.create(
            generation=generation,
            phase=phase,
            index=index,
            status=PartRun.State.RUNNING,
            attempts=1,
            started_at=long_ago,
            heartbeat_at=long_ago,
        )
    report = reconcile(stale_after=60)
    assert report.resumed == [generation.id]
    generation.refresh_from_db()
    assert generation.resumes == 1
    assert sorted(queue.get_job_ids()) == [
        f"vg-{generation.id}-chunks-0-2",
        f"vg-{generation.id}-references-1-2",
    ]


def test_reconcile_leaves_waiting_work_alone(alice, queue, django_capture_on_commit_callbacks):
    generation = create(alice, "A quiet garden with flowers in spring", 5, django_capture_on_commit_callbacks)
    time.sleep(1.1)
    assert reconcile(stale_after=1).resumed == []
    assert queue.count == 1
    generation.refresh_from_db()
    assert generation.resumes == 0


def test_each_phase_job_carries_the_seed_timeout(alice, queue, django_capture_on_commit_callbacks):
    seed_timeouts = {
        "plan": 60,
        "animatic": 300,
        "references": 300,
        "chunks": 600,
        "refine": 300,
        "export": 180,
    }
    assert {phase.name: phase.timeout for phase in PHASES} == seed_timeouts
    generation = create(alice, "A quiet garden with flowers in spring", 5, django_capture_on_commit_callbacks)
    for phase in PHASES:
        dispatch.enqueue_phase(generation.id, phase.name, attempt=9, timeout=phase.timeout)
        job = Job.fetch(f"vg-{generation.id}-{phase.name}-9", connection=queue.connection)
        assert job.timeout == seed_timeouts[phase.name]


@pytest.fixture
def throwaway_redis(tmp_path) -> Iterator[Callable[[], subprocess.Popen]]:
    port = 6391
    processes: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
        )
        processes.append(process)
        time.sleep(0.5)
        return process

    yield start
    for process in processes:
        process.kill()
        process.wait()


def test_health_goes_503_when_redis_stops_and_200_when_it_returns(
    throwaway_redis, worker_env, start_worker, settings
):
    url = "redis://127.0.0.1:6391/0"
    settings.RQ_QUEUES = {"default": {"URL": url, "DEFAULT_TIMEOUT": 600}}
    env = {**worker_env, "TEST_REDIS_URL": url}
    redis_server = throwaway_redis()
    worker = start_worker(env=env)
    client = Client()
    wait_for(lambda: client.get("/health").status_code == 200, 30, "health to be green with a worker")

    redis_server.kill()
    redis_server.wait()
    response = client.get("/health")
    assert response.status_code == 503
    assert "redis" in response.json()["failing"]

    throwaway_redis()
    # The new Redis is empty, so the old worker's registration is gone with the old one: a
    # supervisor restarts workers whose Redis went away, and so does this test.
    kill_worker_and_horse(worker)
    start_worker(env=env)
    wait_for(lambda: client.get("/health").status_code == 200, 30, "health to recover")
    body = client.get("/health").json()
    assert body["checks"] == {name: "ok" for name in ("database", "redis", "workers", "ffmpeg", "storage")}
    assert body["providers"]["video"] == "local"
