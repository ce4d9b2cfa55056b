"""A clip's encoder takes its worker's share of the cores while other pipeline workers on
the machine encode beside it, and x264's own choice otherwise."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from rq import Worker

from generations.models import PartRun, Status
from generations.orchestration import dispatch
from generations.orchestration.encoders import part_threads, pipeline_workers_here
from media.encode import FrameEncoder, encoder_threads
from phases.registry import get_phase
from tests.factories import make_generation

pytestmark = pytest.mark.django_db(transaction=True)

CORES = len(os.sched_getaffinity(0))


@pytest.fixture
def fellow_workers(queue) -> Iterator[Callable[..., None]]:
    """Register idle RQ workers of the pipeline's queue, as `manage.py rqworker` does when it
    starts: here, or on another machine."""
    registered: list[Worker] = []

    def register(count: int = 1, *, host: str | None = None) -> None:
        for _ in range(count):
            worker = Worker([dispatch.get_queue()], connection=dispatch.get_queue().connection)
            if host is not None:
                worker.hostname = host
            worker.register_birth()
            registered.append(worker)

    yield register
    for worker in registered:
        worker.register_death()


def clips_started(generation, count: int) -> None:
    for index in range(count):
        PartRun.objects.create(
            generation=generation, phase="chunks", index=index, status=PartRun.State.RUNNING
        )


def test_only_the_pipeline_workers_of_this_machine_count(fellow_workers):
    assert pipeline_workers_here() == 0
    fellow_workers(2)
    fellow_workers(3, host="another-machine")
    webhooks = Worker([dispatch.get_queue("videogen-webhooks")], connection=dispatch.get_queue().connection)
    webhooks.register_birth()
    try:
        assert pipeline_workers_here() == 2
    finally:
        webhooks.register_death()


def test_clips_share_the_cores_while_more_are_to_start(alice, fellow_workers):
    generation = make_generation(alice, get_phase("chunks").status)
    chunks = get_phase("chunks")
    fellow_workers(2)
    clips_started(generation, 1)
    assert part_threads(generation.id, chunks, 3) == max(1, CORES // 2)
    fellow_workers(1)
    assert part_threads(generation.id, chunks, 3) == max(1, CORES // 3)


def test_the_last_clip_to_start_takes_x264s_choice(alice, fellow_workers):
    generation = make_generation(alice, get_phase("chunks").status)
    fellow_workers(2)
    clips_started(generation, 3)
    assert part_threads(generation.id, get_phase("chunks"), 3) is None


def test_one_worker_or_parts_without_an_encoder_leave_it_to_x264(alice, fellow_workers):
    generation = make_generation(alice, get_phase("chunks").status)
    clips_started(generation, 1)
    fellow_workers(1)
    fellow_workers(4, host="another-machine")
    assert part_threads(generation.id, get_phase("chunks"), 3) is None
    fellow_workers(1)
    assert part_threads(generation.id, get_phase("references"), 3) is None


def test_the_share_reaches_the_encoder_unless_told_otherwise(tmp_path):
    def threads_asked(**options) -> list[str]:
        cmd = FrameEncoder(tmp_path / "clip.mp4", width=64, height=64, fps=30, timeout=10, **options).cmd
        return cmd[cmd.index("-threads") + 1 :][:1] if "-threads" in cmd else []

    assert threads_asked() == []
    with encoder_threads(1):
        assert threads_asked() == ["1"]
        assert threads_asked(threads=2) == ["2"]
    assert threads_asked() == []


def x264_threads(clip: Path) -> int:
    """The thread count x264 wrote into the clip's own settings (its SEI)."""
    found = re.search(rb"options: .*? threads=(\d+) ", clip.read_bytes())
    assert found, f"no x264 settings in {clip}"
    return int(found.group(1))


@pytest.mark.skipif(CORES < 2, reason="one core: x264's own choice is one thread too")
def test_clips_beside_another_workers_encode_on_their_share(alice, fellow_workers, media_root, make_video):
    fellow_workers(1)  # with the queue's own worker, two on this machine
    generation = make_video(
        alice, "A lighthouse at dusk, then boats in the harbour, then the night sky", resolution="240p"
    )
    assert generation.status == Status.COMPLETE, generation.error_message
    clips = sorted(
        PartRun.objects.filter(generation=generation, phase="chunks"), key=lambda part: part.started_at
    )
    threads = [x264_threads(Path(default_storage.path(part.output_data["chunk_url"]))) for part in clips]
    assert len(threads) >= 2
    assert threads[:-1] == [max(1, CORES // 2)] * (len(threads) - 1)
    assert threads[-1] > max(1, CORES // 2)
