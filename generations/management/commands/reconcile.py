"""`manage.py reconcile`: re-enqueue generations whose job or worker was lost."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from generations.orchestration.reconcile import reconcile


class Command(BaseCommand):
    help = "Find active generations whose job is gone or whose worker stopped, and resume them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stale-after",
            type=float,
            default=None,
            help=f"seconds without a heartbeat or change (default {settings.RECONCILE_STALE_SECONDS})",
        )
        parser.add_argument("--every", type=float, default=None, help="repeat every N seconds until stopped")

    def handle(self, *args: object, **options: object) -> None:
        while True:
            report = reconcile(stale_after=options["stale_after"])  # type: ignore[arg-type]
            self.stdout.write(f"reconcile: resumed {len(report.resumed)}, failed {len(report.failed)}")
            for video_id in report.resumed:
                self.stdout.write(f"  resumed {video_id}")
            for video_id in report.failed:
                self.stdout.write(f"  failed {video_id}")
            if not options["every"]:
                return
            time.sleep(float(options["every"]))  # type: ignore[arg-type]
