"""Where the Python time goes: the bench's generation run in this process under pyinstrument.

    .venv/bin/python bench/profile.py              # whole pipeline, phases in order (inline jobs)
    .venv/bin/python bench/profile.py --chunks     # only the chunk renders, with frame-loop detail

Every phase runs in one process (`dispatch.inline`), so the profile shows the phases'
own Python work and the time they wait for ffmpeg; what the queue and worker forks cost
shows in bench/run.py's orchestration overhead instead. Uses a throwaway SQLite database
and MEDIA_ROOT; pyinstrument's own sampling costs a few percent.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from bench import ours  # noqa: E402
from phases.request import GenerationRequest  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chunks", action="store_true", help="profile only the chunk renders")
    parser.add_argument("--interval", type=float, default=0.001)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="vg-bench-profile-"))
    env = ours.bench_environment(
        database_url=f"sqlite:///{tmp / 'profile.sqlite3'}", media_root=tmp / "media", work_root=tmp
    )
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from pyinstrument import Profiler
    from rq import SimpleWorker

    from generations import services
    from generations.models import VideoGeneration
    from generations.orchestration import dispatch
    from phases.storage import local_copy
    from providers.costs import CostMeter
    from providers.local.video import LocalVideo

    call_command("migrate", verbosity=0)
    profiler = Profiler(interval=args.interval)
    # The jobs go through the bench's queue and run here, in RQ's own in-process worker.
    queue = dispatch.get_queue()
    generation = services.generation_create(
        user=ours.bench_user(), request=GenerationRequest(prompt=ours.PROMPT, duration=30, seed=ours.SEED)
    )
    if not args.chunks:
        profiler.start()
    SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")
    if not args.chunks:
        profiler.stop()
    generation = VideoGeneration.objects.get(id=generation.id)
    if args.chunks:
        media = ours.media_paths(generation.id)
        spec = media["spec"]
        profiler.start()
        for index, reference in enumerate(media["references"]):
            LocalVideo().render_chunk(spec, index, Path(reference), tmp / f"chunk-{index}.mp4", CostMeter())
        profiler.stop()
    else:
        local_copy(generation.final_video_url, tmp)
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    print(f"(scratch files in {tmp})")


if __name__ == "__main__":
    main()
