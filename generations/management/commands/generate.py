"""`manage.py generate "PROMPT"`: make a video from the command line.

Without --sync the generation goes through the queue and a running `rqworker` makes it;
with --sync this process works the queue until it is empty (no separate worker needed).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rq import SimpleWorker

from generations import batches, services
from generations.api.batch_input import read_csv
from generations.models import PhaseRun, Status, VideoGeneration, status_label
from generations.orchestration import dispatch
from phases.contact_sheet import write_contact_sheet
from phases.request import (
    ASPECT_RATIOS,
    DEFAULT_DURATION,
    DEFAULT_RESOLUTION,
    MAX_DURATION,
    MIN_DURATION,
    RESOLUTIONS,
    SEED_MAX,
    SPEECH_RATE_RANGE,
    SUBTITLE_FONTS,
    SUBTITLE_MODES,
    SUBTITLE_POSITIONS,
    TEMPLATES,
    GenerationRequest,
    RequestInvalid,
)
from phases.storage import local_copy

# Request fields whose option has another name.
OPTION_NAMES = {
    "aspect_ratio": "--aspect",
    "speech_rate": "--rate",
    "subtitle_style": "--subtitle-position/--subtitle-font",
    "burn_subtitles": "--burn-subtitles",
    "prompt": "the prompt",
}


class Command(BaseCommand):
    help = "Generate a video from a prompt and print where it is, how long it took and what it cost."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("prompt", nargs="?", default="")
        parser.add_argument(
            "--batch",
            type=Path,
            default=None,
            metavar="FILE.csv",
            help="start one video per row of a CSV file whose header names the fields of POST /generate",
        )
        parser.add_argument(
            "--duration", type=int, default=DEFAULT_DURATION, help=f"seconds, {MIN_DURATION}-{MAX_DURATION}"
        )
        parser.add_argument("--aspect", choices=ASPECT_RATIOS, default="16:9")
        parser.add_argument(
            "--resolution", choices=RESOLUTIONS, default=DEFAULT_RESOLUTION, help="the frame's short side"
        )
        parser.add_argument("--template", choices=TEMPLATES, default=None)
        parser.add_argument("--seed", type=int, default=0, help=f"0-{SEED_MAX}")
        parser.add_argument("--out", type=Path, default=None, help="copy the finished MP4 here")
        parser.add_argument(
            "--contact-sheet",
            type=Path,
            default=None,
            metavar="FILE.png",
            help="also write a PNG with one frame of each scene and its caption",
        )
        parser.add_argument(
            "--sync",
            action="store_true",
            help="work the queue in this process until it is empty, no separate worker",
        )
        parser.add_argument("--timeout", type=int, default=1800, help="seconds to wait for a worker")
        parser.add_argument(
            "--review",
            action="store_true",
            help="stop after the storyboard until it is approved (page or API)",
        )
        narration = parser.add_argument_group("narration and subtitles")
        narration.add_argument("--script", default="", help="your own narration; @FILE reads it from a file")
        narration.add_argument("--no-narration", action="store_true", help="music only, no voice-over")
        narration.add_argument(
            "--voice", default="", help="e.g. en-gb, en-us+f3, +f3 (espeak-ng); alloy (OpenAI)"
        )
        narration.add_argument("--language", default="", help="BCP 47, e.g. ja; default: detected")
        narration.add_argument(
            "--rate",
            type=float,
            default=1.0,
            help=f"speaking pace, {SPEECH_RATE_RANGE[0]}-{SPEECH_RATE_RANGE[1]}",
        )
        narration.add_argument("--no-subtitles", action="store_true", help="write no SRT/WebVTT files")
        narration.add_argument(
            "--burn-subtitles", action="store_true", help="draw the subtitles into the video"
        )
        narration.add_argument("--subtitle-position", choices=SUBTITLE_POSITIONS, default=None)
        narration.add_argument("--subtitle-font", choices=SUBTITLE_FONTS, default=None)
        narration.add_argument(
            "--subtitle-mode",
            choices=SUBTITLE_MODES,
            default=None,
            help="words: highlight each word as it is said",
        )

    def handle(self, *args: object, **options: object) -> None:
        if options["batch"]:
            self.start_batch(options["batch"])  # type: ignore[arg-type]
            return
        asked = self._request(options)
        try:
            if options["sync"]:
                generation = services.generation_create(user=None, request=asked)
                self.stdout.write(f"generation {generation.id}: running in this process")
                # The jobs still go through the queue, with their ids and timeouts; this
                # process is their worker until the queue is empty.
                queue = dispatch.get_queue()
                SimpleWorker([queue], connection=queue.connection).work(burst=True, logging_level="WARNING")
                generation.refresh_from_db()
            else:
                generation = services.generation_create(user=None, request=asked)
                self.stdout.write(
                    f"generation {generation.id}: queued, waiting for a worker (manage.py rqworker)"
                )
                generation = self._follow(generation.id, int(options["timeout"]))  # type: ignore[call-overload]
        except RequestInvalid as exc:
            raise CommandError(
                "; ".join(
                    f"{OPTION_NAMES.get(name, '--' + name)}: {' '.join(m)}" for name, m in exc.errors.items()
                )
            ) from None
        if generation.status == Status.AWAITING_REVIEW:
            self.stdout.write(
                f"storyboard ready for review: open /generations/{generation.id}/ to edit and approve it, "
                f"or POST /api/generations/{generation.id}/approve/"
            )
            return
        self._report(generation, options["out"])  # type: ignore[arg-type]
        if options["contact_sheet"]:
            sheet = Path(options["contact_sheet"])  # type: ignore[arg-type]
            write_contact_sheet(local_copy(generation.final_video_url, Path.cwd()), generation.spec, sheet)
            self.stdout.write(f"  contact sheet {sheet}")

    def _request(self, options: dict[str, object]) -> GenerationRequest:
        script = str(options["script"])
        if script.startswith("@"):
            try:
                script = Path(script[1:]).read_text(encoding="utf-8")
            except OSError as exc:
                raise CommandError(f"--script: cannot read {script[1:]}: {exc.strerror}") from None
        style = {
            key: options[name]
            for key, name in (
                ("position", "subtitle_position"),
                ("font", "subtitle_font"),
                ("mode", "subtitle_mode"),
            )
            if options[name]
        }
        return GenerationRequest(
            prompt=str(options["prompt"]),
            duration=options["duration"],  # type: ignore[arg-type]
            aspect_ratio=str(options["aspect"]),
            resolution=str(options["resolution"]),
            template=options["template"],  # type: ignore[arg-type]
            seed=options["seed"],  # type: ignore[arg-type]
            review=bool(options["review"]),
            script=script,
            narration=not options["no_narration"],
            voice=str(options["voice"]),
            language=str(options["language"]),
            speech_rate=options["rate"],  # type: ignore[arg-type]
            subtitles=not options["no_subtitles"],
            burn_subtitles=bool(options["burn_subtitles"]),
            subtitle_style=style,
        )

    def _follow(self, video_id: str, timeout: int) -> VideoGeneration:
        deadline = time.monotonic() + timeout
        # The bar is for a person at a terminal; piped or captured output gets the lines only.
        console = Console(file=self.stdout._out)
        columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
            task = bar.add_task("queued", total=100)
            while True:
                generation = VideoGeneration.objects.get(id=video_id)
                bar.update(task, completed=generation.progress, description=self._stage(generation))
                if generation.is_final or generation.status == Status.AWAITING_REVIEW:
                    return generation
                if time.monotonic() > deadline:
                    raise CommandError(
                        f"gave up after {timeout} s; generation {video_id} is {generation.status}"
                    )
                time.sleep(0.5)

    @staticmethod
    def _stage(generation: VideoGeneration) -> str:
        """The status, and how far the running phase is into its parts (chunk 3 of 6)."""
        run = PhaseRun.objects.filter(generation=generation, status=PhaseRun.State.RUNNING).last()
        detail = f" {run.detail['done']}/{run.detail['total']}" if run and run.detail.get("total") else ""
        return f"{status_label(generation.status)}{detail}"

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
        for kind, name in sorted((generation.subtitle_urls or {}).items()):
            self.stdout.write(f"  subtitles ({kind}) {local_copy(name, Path.cwd())}")

    def start_batch(self, path: Path) -> None:
        """Every row checked first (nothing starts if one is bad), then the batch is queued
        for the workers; its items start as slots free up."""
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"--batch: cannot read {path}: {exc}") from None
        checked = read_csv(text)
        if not checked.ok:
            if checked.problem:
                raise CommandError(f"--batch: {checked.problem}")
            for error in checked.row_errors:
                problems = "; ".join(
                    f"{name}: {' '.join(map(str, why))}" for name, why in error["errors"].items()
                )
                self.stderr.write(f"row {error['row']}: {problems}")
            raise CommandError(f"--batch: {len(checked.row_errors)} bad row(s); nothing was started")
        batch = batches.batch_create(user=None, items=checked.items)
        summary = batches.batch_summary(batch)
        self.stdout.write(f"batch {batch.id}: {len(summary.items)} videos queued")
        for item in summary.items:
            self.stdout.write(f"  row {item.row}: {item.video_id or 'waiting'}  {item.prompt[:60]}")
