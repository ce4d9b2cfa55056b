"""Ours, end to end: a generation through the real pipeline (`manage.py generate`, the
Redis queue, `manage.py rqworker` processes, the database, local storage), and what its
rows say about where the time went.

Imported by bench/run.py after it has configured Django for the bench's own database,
Redis database and queue (see `bench_environment`).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.procwatch import Watch

PROJECT = Path(__file__).resolve().parent.parent
PROMPT = "A calm ocean at night under the stars, waves rolling in, then a quiet harbour at dawn"
SEED = 7
FINISH_TIMEOUT = 900
FINAL_STATUSES = ("complete", "failed", "canceled")
# A 10-minute video renders in about 5 minutes on an idle 2-core machine; busy neighbours
# can double that, so the wait grows with the length asked for.
RENDER_SECONDS_PER_VIDEO_SECOND = 2


def worker_niceness() -> int:
    """The `nice -n N` run.sh starts the pipeline's worker under (compose's is the same;
    tests/deploy checks both), so the bench loads the web against workers started alike."""
    found = re.search(r"^nice -n (\d+) python manage\.py rqworker", (PROJECT / "run.sh").read_text(), re.M)
    return int(found.group(1)) if found else 0


def bench_environment(*, database_url: str, media_root: Path, work_root: Path) -> dict[str, str]:
    """The environment of the bench process and every process it starts: offline providers,
    its own database and Redis database 8 (its queue is alone there), no debug."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="videogen.settings",
        DATABASE_URL=database_url,
        REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8"),
        MEDIA_ROOT=str(media_root),
        WORK_ROOT=str(work_root),
        DEBUG="0",
        LOG_LEVEL="WARNING",
        SECRET_KEY="bench-" + "k" * 50,
        OPENAI_API_KEY="",
        REPLICATE_API_TOKEN="",
        S3_BUCKET="",
        PLANNER_PROVIDER="local",
        IMAGE_PROVIDER="local",
        VIDEO_PROVIDER="local",
        MUSIC_PROVIDER="local",
        SPEECH_PROVIDER="local",
        PYTHONUNBUFFERED="1",
    )
    return env


class Workers:
    """`count` real `manage.py rqworker` processes of the tree at `tree` on `queue`, started
    as run.sh and compose start them (`--with-scheduler`), registered before the clock
    starts and stopped (warm shutdown) at the end."""

    def __init__(
        self,
        count: int,
        env: dict[str, str],
        log_dir: Path,
        *,
        ffmpeg_threads: int = 0,
        nice: int = 0,
        tree: Path = PROJECT,
        queue: str = "default",
    ) -> None:
        self.count = count
        self.prefix = ["nice", "-n", str(nice)] if nice else []
        self.env = {**env, "FFMPEG_THREADS": str(ffmpeg_threads)}
        self.log_dir = log_dir
        self.tree = tree
        self.queue = queue
        self.procs: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Workers:
        from rq import Queue, Worker

        from generations.orchestration.dispatch import get_queue

        queue = Queue(self.queue, connection=get_queue().connection)
        for number in range(self.count):
            log = open(self.log_dir / f"worker-{len(os.listdir(self.log_dir))}-{number}.log", "wb")
            self.procs.append(
                subprocess.Popen(
                    [*self.prefix, sys.executable, "manage.py", "rqworker", "--with-scheduler", self.queue],
                    cwd=self.tree,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        deadline = time.monotonic() + 60
        pids = {proc.pid for proc in self.procs}
        while {w.pid for w in Worker.all(queue=queue)} & pids != pids:
            if time.monotonic() > deadline or any(proc.poll() is not None for proc in self.procs):
                self.__exit__()
                raise RuntimeError(f"workers did not start; see {self.log_dir}")
            time.sleep(0.1)
        return self

    @property
    def pids(self) -> list[int]:
        return [proc.pid for proc in self.procs]

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass
class Run:
    """One finished generation, measured."""

    label: str
    video_id: str
    wall: float  # created -> completed, from the row's own timestamps
    phases: dict[str, float]  # phase -> wall seconds at work (a fan-out phase: its parts and its join)
    phase_cpu: dict[str, float]  # phase -> CPU-seconds of the workers' trees meanwhile
    parts: list[tuple[float, float]]  # chunk part intervals, seconds from creation
    work: float  # seconds inside phase or part rendering (union of intervals)
    overhead: float  # wall - work: queue pickup, forks, DB transitions, enqueues
    overhead_cpu: float  # CPU-seconds of the workers' trees outside the work intervals
    python_peak_mib: float
    python_peak_phase: str  # the phase running when the Python peak was reached
    ffmpeg_peak_mib: float
    cpu: float  # CPU-seconds of the workers' process trees over the whole run
    others: float  # cores the rest of the machine kept busy meanwhile (a noisy neighbour)
    chunks_cpu: float  # ... during the chunks phase
    chunks_machine_busy: float  # CPU-seconds the whole machine was busy during the chunks phase
    size_bytes: int
    bit_rate: int
    duration: float
    extra: dict[str, Any] = field(default_factory=dict)


def _union(intervals: list[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def _gaps(intervals: list[tuple[float, float]], stop: float) -> list[tuple[float, float]]:
    """The stretches of [0, stop] that no interval covers."""
    gaps, end = [], 0.0
    for start, finish in sorted(intervals):
        if start > end:
            gaps.append((end, start))
        end = max(end, finish)
    if end < stop:
        gaps.append((end, stop))
    return gaps


def bench_user() -> Any:
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"email": "bench@localhost"})
    return user


def start_generation(seed: int = SEED, duration: int = 30) -> str:
    from generations import services
    from phases.request import GenerationRequest

    generation = services.generation_create(
        user=bench_user(), request=GenerationRequest(prompt=PROMPT, duration=duration, seed=seed)
    )
    return str(generation.id)


def rendering_clip(video_id: str) -> int | None:
    """The index of a clip being rendered right now, if any."""
    from generations.models import PartRun

    return (
        PartRun.objects.filter(generation_id=video_id, phase="chunks", status=PartRun.State.RUNNING)
        .values_list("index", flat=True)
        .first()
    )


def wait_for_a_clip(video_id: str, timeout: float = FINISH_TIMEOUT) -> None:
    from generations.models import VideoGeneration

    deadline = time.monotonic() + timeout
    while rendering_clip(video_id) is None:
        status = VideoGeneration.objects.values_list("status", flat=True).get(id=video_id)
        if status in FINAL_STATUSES:
            raise RuntimeError(f"generation {video_id} {status} before a clip was rendering")
        if time.monotonic() > deadline:
            raise RuntimeError(f"generation {video_id} rendered no clip in {timeout:g} s")
        time.sleep(0.1)


def wait_until(video_id: str, statuses: set[str], timeout: float = FINISH_TIMEOUT) -> str:
    from generations.models import VideoGeneration

    deadline = time.monotonic() + timeout
    while True:
        status = VideoGeneration.objects.values_list("status", flat=True).get(id=video_id)
        if status in statuses or status in FINAL_STATUSES:
            return status
        if time.monotonic() > deadline:
            raise RuntimeError(f"generation {video_id} still {status} after {timeout:g} s")
        time.sleep(0.1)


def measure(label: str, video_id: str, watch: Watch) -> Run:
    from generations.models import PartRun, PhaseRun, VideoGeneration

    generation = VideoGeneration.objects.get(id=video_id)
    if generation.status != "complete":
        raise RuntimeError(f"{label}: generation {video_id} {generation.status}: {generation.error_message}")
    t0 = generation.created_at
    wall = (generation.completed_at - t0).total_seconds()

    def rel(when: Any) -> float:
        return (when - t0).total_seconds()

    runs = list(PhaseRun.objects.filter(generation=generation, status="succeeded").order_by("started_at"))
    part_rows = list(PartRun.objects.filter(generation=generation).order_by("phase", "index"))
    parts = [(rel(part.started_at), rel(part.finished_at)) for part in part_rows if part.phase == "chunks"]
    phases, phase_cpu = {}, {}
    work = [(rel(part.started_at), rel(part.finished_at)) for part in part_rows]
    chunks_window = (0.0, 0.0)
    for run in runs:
        own = [(rel(part.started_at), rel(part.finished_at)) for part in part_rows if part.phase == run.phase]
        if own:
            # A fan-out phase: its parts (which may start before its turn, beside other
            # phases), then its join, timed in the run's detail.
            join = (rel(run.finished_at) - run.detail.get("join_seconds", 0.0), rel(run.finished_at))
            intervals = [*own, join]
            phases[run.phase] = _union(intervals)
        else:
            # duration_seconds is timed inside the phase (PhaseContext creation to output).
            intervals = [(rel(run.started_at), rel(run.started_at) + run.duration_seconds)]
            phases[run.phase] = run.duration_seconds
        work.extend(intervals[-1:])
        # CPU inside the phase's own intervals, which also holds whatever ran beside the
        # phase meanwhile: another worker, or a part a job renders beside another.
        phase_cpu[run.phase] = sum(
            watch.cpu_between(t0.timestamp() + start, t0.timestamp() + stop)[0] for start, stop in intervals
        )
        if run.phase == "chunks":
            chunks_window = (t0.timestamp() + min(start for start, _ in own), run.finished_at.timestamp())
    busy = _union(work)
    overhead_cpu = sum(
        watch.cpu_between(t0.timestamp() + start, t0.timestamp() + stop)[0]
        for start, stop in _gaps(work, wall)
    )
    peak_phase = next(
        (
            run.phase
            for run in reversed(runs)
            if run.started_at.timestamp() <= watch.python_peak_at <= run.finished_at.timestamp() + 0.2
        ),
        "?",
    )
    chunks_cpu, chunks_busy = watch.cpu_between(*chunks_window)
    total_cpu, total_busy = watch.cpu_between(t0.timestamp(), generation.completed_at.timestamp())
    export = next(run for run in runs if run.phase == "export").output_data
    return Run(
        label=label,
        video_id=video_id,
        wall=wall,
        phases=phases,
        phase_cpu=phase_cpu,
        parts=parts,
        work=busy,
        overhead=wall - busy,
        overhead_cpu=overhead_cpu,
        python_peak_mib=watch.python_peak_kib / 1024,
        python_peak_phase=peak_phase,
        ffmpeg_peak_mib=watch.ffmpeg_peak_kib / 1024,
        cpu=total_cpu,
        others=(total_busy - total_cpu) / wall,
        chunks_cpu=chunks_cpu,
        chunks_machine_busy=chunks_busy,
        size_bytes=int(export["size_bytes"]),
        bit_rate=int(export["bit_rate"] or 0),
        duration=float(export["duration"]),
    )


def generate(tree: Path, env: dict[str, str], *, duration: int = 30) -> str:
    """The bench's generation made through `manage.py generate` of the tree at `tree` (this
    one or an older revision's), which enqueues it and returns once a worker has finished
    it: the one way of starting a video that every revision has. Returns its id."""
    timeout = FINISH_TIMEOUT + RENDER_SECONDS_PER_VIDEO_SECOND * duration
    command = ["manage.py", "generate", PROMPT, "--duration", str(duration), "--seed", str(SEED)]
    done = subprocess.run(
        [sys.executable, *command, "--timeout", str(timeout)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout + 60,
    )
    found = re.search(r"^generation (\w+):", done.stdout, re.MULTILINE)
    if done.returncode != 0 or not found:
        raise RuntimeError(
            f"manage.py generate in {tree} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )
    return found.group(1)


def run_generation(
    label: str,
    workers: int,
    env: dict[str, str],
    log_dir: Path,
    *,
    ffmpeg_threads: int = 0,
    duration: int = 30,
) -> Run:
    with Workers(workers, env, log_dir, ffmpeg_threads=ffmpeg_threads) as pool, Watch(pool.pids) as watch:
        video_id = generate(PROJECT, env, duration=duration)
        time.sleep(0.2)  # a last sample after the final horse has exited
    run = measure(label, video_id, watch)
    run.extra["ffmpeg_threads"] = ffmpeg_threads
    return run


def media_paths(video_id: str) -> dict[str, Any]:
    """Our stored artifacts of a finished generation, for the peer and the re-encode floor."""
    from django.core.files.storage import default_storage

    from generations.models import PhaseRun, VideoGeneration

    generation = VideoGeneration.objects.get(id=video_id)
    outputs = {
        run.phase: run.output_data
        for run in PhaseRun.objects.filter(generation=generation, status="succeeded")
    }
    return {
        "final": default_storage.path(generation.final_video_url),
        "music": default_storage.path(outputs["refine"]["music_url"]),
        "spec": generation.spec,
        "references": [
            default_storage.path(name) for name in outputs["references"]["reference_urls"]["scenes"]
        ],
    }
