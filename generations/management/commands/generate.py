"""`manage.py generate "PROMPT"`: make a video from the command line.

Without --sync the generation goes through the queue and a running `rqworker` makes it;
with --sync every phase runs in this process (only the database is needed).
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from generations import services
from generations.models import PhaseRun, Status, VideoGeneration
from phases import dispatch
from phases.spec import MAX_DURATION, MIN_DURATION, SIZES, TEMPLATES
from phases.storage import local_copy

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Generate a video from a prompt and print where it is, how long it took and what it cost."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prompt")
        parser.add_argument(
            "--duration", type=int, default=30, help=f"seconds, {MIN_DURATION}-{MAX_DURATION}"
        )
        parser.add_argument("--aspect", choices=list(SIZES), default="16:9")
        parser.add_argument("--template", choices=list(TEMPLATES), default=None)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", type=Path, default=None, help="copy the finished MP4 here")
        parser.add_argument("--sync", action="store_true", help="run every phase in this process, no worker")
        parser.add_argument("--timeout", type=int, default=1800, help="seconds to wait for a worker")

    def handle(self, *args: object, **options: object) -> None:
        prompt = str(options["prompt"]).strip()
        duration = int(options["duration"])  # type: ignore[call-overload]
        if not 10 <= len(prompt) <= 1000:
            raise CommandError("the prompt must be 10 to 1000 characters long")
        if not MIN_DURATION <= duration <= MAX_DURATION:
            raise CommandError(f"--duration must be between {MIN_DURATION} and {MAX_DURATION} seconds")
        create = dict(
            user=None,
            prompt=prompt,
            duration=duration,
            aspect_ratio=options["aspect"],
            template=options["template"],
            seed=options["seed"],
        )
        if options["sync"]:
            with dispatch.inline() as pending:
                generation = services.generation_create(**create)  # type: ignore[arg-type]
                self.stdout.write(f"generation {generation.id}: running in this process")
                dispatch.drain(pending)
            generation.refresh_from_db()
        else:
            generation = services.generation_create(**create)  # type: ignore[arg-type]
            self.stdout.write(
                f"generation {generation.id}: queued, waiting for a worker (manage.py rqworker)"
            )
            generation = self._follow(generation.id, int(options["timeout"]))  # type: ignore[call-overload]
        self._report(generation, options["out"])  # type: ignore[arg-type]

    def _follow(self, video_id: str, timeout: int) -> VideoGeneration:
        deadline = time.monotonic() + timeout
        while True:
            generation = VideoGeneration.objects.get(id=video_id)
            self._draw(generation)
            if generation.is_final:
                self.stdout.write("")
                return generation
            if time.monotonic() > deadline:
                raise CommandError(
                    f"\ngave up after {timeout} s; generation {video_id} is {generation.status}"
                )
            time.sleep(0.5)

    def _draw(self, generation: VideoGeneration) -> None:
        if not sys.stdout.isatty():
            return
        filled = int(BAR_WIDTH * generation.progress / 100)
        detail = ""
        run = PhaseRun.objects.filter(generation=generation, status=PhaseRun.State.RUNNING).last()
        if run and run.detail.get("total"):
            detail = f" {run.detail['done']}/{run.detail['total']}"
        label = Status(generation.status).label
        self.stdout.write(
            f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {generation.progress:5.1f}% {label}{detail}    ",
            ending="",
        )
        self.stdout.flush()

    def _report(self, generation: VideoGeneration, out: Path | None) -> None:
        if generation.status != Status.COMPLETE:
            raise CommandError(f"generation {generation.id} {generation.status}: {generation.error_message}")
        assert generation.final_video_url
        path = local_copy(generation.final_video_url, Path.cwd())
        if out is not None:
            shutil.copyfile(path, out)
            path = out
        self.stdout.write(
            self.style.SUCCESS(f"complete: {path}")
            + f"\n  duration {generation.duration} s, {generation.spec['width']}x{generation.spec['height']}"
            + f"\n  cost ${generation.cost_usd} {generation.cost_breakdown or ''}"
            + f"\n  time {generation.generation_time_seconds:.1f} s"
        )
