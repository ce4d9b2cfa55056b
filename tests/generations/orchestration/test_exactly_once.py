"""Exactly once, with real worker processes and paid calls to the fake Replicate: a phase
job enqueued again and again, and two reconcilers resuming the same lost generation at the
same moment, still give one succeeded attempt per phase and one charge per paid call."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from generations import services
from generations.models import CostEntry, PhaseRun, Status, VideoGeneration
from generations.orchestration import dispatch, steps
from generations.orchestration.reconcile import reconcile
from phases.registry import PHASES
from phases.request import GenerationRequest
from tests.conftest import PROJECT_DIR
from tests.providers.fake_services import (
    REPLICATE_TOKEN,
    FakeServices,
    use_fake_services,
)

pytestmark = pytest.mark.django_db(transaction=True)

PROMPT = "A lighthouse on a cliff in a storm, then the sea calms at dawn and gulls return."


@pytest.fixture
def paid_images(fake_services: FakeServices, settings) -> FakeServices:
    fake_services.reset()
    use_fake_services(settings, fake_services)
    return fake_services


@pytest.fixture
def start_workers(worker_env, paid_images: FakeServices) -> Iterator:
    """Start worker processes whose images are paid SDXL predictions on the fake Replicate."""
    env = {
        **worker_env,
        "IMAGE_PROVIDER": "replicate",
        "REPLICATE_API_TOKEN": REPLICATE_TOKEN,
        "REPLICATE_BASE_URL": paid_images.base_url,
        "REPLICATE_POLL_INTERVAL": "0.02",
    }
    workers: list[subprocess.Popen[bytes]] = []

    def start(count: int) -> None:
        for _ in range(count):
            workers.append(
                subprocess.Popen(
                    [sys.executable, "manage.py", "rqworker"],
                    cwd=PROJECT_DIR,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )

    yield start
    for worker in workers:
        worker.terminate()
    for worker in workers:
        worker.wait(timeout=60)


def wait_until_final(video_id: str, *, while_waiting=lambda: None, timeout: float = 280) -> VideoGeneration:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        generation = VideoGeneration.objects.get(id=video_id)
        if generation.is_final:
            return generation
        while_waiting()
        time.sleep(0.2)
    raise AssertionError(f"generation {video_id} did not finish: {generation.status}")


def assert_each_phase_ran_and_was_paid_once(generation: VideoGeneration, fake: FakeServices) -> None:
    assert generation.status == Status.COMPLETE, generation.error_message
    succeeded = list(
        PhaseRun.objects.filter(generation=generation, status=PhaseRun.State.SUCCEEDED).values_list(
            "phase", flat=True
        )
    )
    assert sorted(succeeded) == sorted(phase.name for phase in PHASES)
    scenes = len(generation.spec["scenes"])
    # One storyboard frame and one reference image per scene, each one paid prediction.
    assert len(fake.created("image")) == 2 * scenes
    # One estimate charged before each prediction (settling lines, units 0, may follow).
    charges = CostEntry.objects.filter(generation=generation, provider="replicate").exclude(units=0)
    assert charges.count() == 2 * scenes


def test_a_phase_enqueued_again_and_again_runs_once(alice, start_workers, paid_images, queue):
    generation = services.generation_create(user=alice, request=GenerationRequest(prompt=PROMPT, duration=5))
    first = PHASES[0]
    # A redelivered job: the same job id twice more before any worker starts.
    dispatch.enqueue_phase(generation.id, first.name, attempt=1, timeout=first.timeout)
    dispatch.enqueue_phase(generation.id, first.name, attempt=1, timeout=first.timeout)
    start_workers(2)

    # While the workers run, enqueue the current phase again and again, each copy a job of
    # its own (as a second advance or reconciler would): each finds the phase claimed or
    # finished and does nothing.
    copies = iter(range(100, 10_000))

    def duplicate() -> None:
        finished = steps.succeeded_phases(generation.id)
        current = next((phase for phase in PHASES if phase.name not in finished), None)
        if current is not None:
            dispatch.enqueue_phase(generation.id, current.name, attempt=next(copies), timeout=current.timeout)
        connection.close()

    generation = wait_until_final(generation.id, while_waiting=duplicate)

    assert_each_phase_ran_and_was_paid_once(generation, paid_images)


def test_two_reconcilers_at_the_same_moment_resume_a_lost_generation_once(
    alice, start_workers, paid_images, queue
):
    generation = services.generation_create(user=alice, request=GenerationRequest(prompt=PROMPT, duration=5))
    queue.empty()  # Redis lost the job
    VideoGeneration.objects.filter(id=generation.id).update(updated_at=timezone.now() - timedelta(minutes=5))
    start_workers(2)
    reports = []
    at_once = threading.Barrier(2)

    def reconciler() -> None:
        try:
            at_once.wait()
            reports.append(reconcile(stale_after=60))
        finally:
            connection.close()

    threads = [threading.Thread(target=reconciler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(len(report.resumed) for report in reports) == [0, 1]
    assert VideoGeneration.objects.get(id=generation.id).resumes == 1
    generation = wait_until_final(generation.id)

    assert_each_phase_ran_and_was_paid_once(generation, paid_images)
