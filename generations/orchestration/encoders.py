"""How many threads the video encoder of a part (a scene's clip) may start.

x264 sizes its thread pool for every core of the machine. When several of the pipeline's
workers share a machine, their clips encode side by side, each with a pool for every core,
and the threads wait on each other: two workers on two cores, in eleven runs side by side,
took a median 5 % longer and spent 7 % more CPU on the same video that way. So while more
of a generation's clips are still to start, a clip's encoder takes its worker's share of
the cores. The last clip to start takes x264's own choice: the encoder beside it is finishing,
and no clip follows to take that core back. With one worker on the machine, nothing changes.
`FFMPEG_THREADS`, when set, is the operator's choice and wins over both (the video provider
passes it).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from rq import Worker

from generations.models import PartRun
from generations.orchestration import dispatch
from media.encode import encoder_threads
from phases.contract import FanOutPhase


@contextmanager
def share_of_cores(video_id: str, phase: FanOutPhase, parts: int) -> Iterator[None]:
    """The body renders a part of `phase` (of `parts`) just claimed, with its encoder's threads."""
    with encoder_threads(part_threads(video_id, phase, parts)):
        yield


def part_threads(video_id: str, phase: FanOutPhase, parts: int) -> int | None:
    """x264 threads for a part of `phase` (of `parts`) just claimed; None for x264's choice."""
    if not phase.parts_encode_video:
        return None
    workers = pipeline_workers_here()
    if workers <= 1:
        return None
    started = PartRun.objects.filter(
        generation_id=video_id,
        phase=phase.name,
        status__in=[PartRun.State.RUNNING, PartRun.State.SUCCEEDED],
    ).count()
    if started >= parts:
        return None
    return max(1, len(os.sched_getaffinity(0)) // workers)


def pipeline_workers_here() -> int:
    """RQ workers of the pipeline's queue on this machine, as each registered its host."""
    queue = dispatch.get_queue()
    keys = Worker.all_keys(queue=queue)
    with queue.connection.pipeline() as pipeline:
        for key in keys:
            pipeline.hget(key, "hostname")
        hosts = pipeline.execute()
    here = socket.gethostname().encode()
    return sum(1 for host in hosts if host == here)
