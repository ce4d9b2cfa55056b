"""The ledger of a generation's work: each attempt at a phase (PhaseRun), each part of a
fan-out phase (PartRun), what they share (Run), and every cost line (CostEntry). Imported by
`generations.models`, so Django sees them there."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from generations.models import VideoGeneration


class RunQuerySet(models.QuerySet):
    def close(self, status: str, message: str | None = None) -> int:
        """End every still-running row of this queryset as `status` (with `message`); returns
        how many. The one place attempts are ended in bulk (fail, cancel, interrupted)."""
        return self.filter(status=Run.RUNNING).update(
            status=status, finished_at=timezone.now(), error_message=message
        )


class Run(models.Model):
    """What a PhaseRun (one attempt at a phase) and a PartRun (one part of a fan-out phase)
    share: timing, cost, output, heartbeat, and the moves that end them.

    Each move is a conditional update of a running row, so of two jobs ending the same run
    (a late duplicate, a cancel racing a success) exactly one wins; it returns whether this
    one did."""

    RUNNING, SUCCEEDED, FAILED, CANCELED = "running", "succeeded", "failed", "canceled"

    phase = models.CharField(max_length=32)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal("0"))
    output_data = models.JSONField(default=dict, blank=True)
    error_message = models.TextField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        abstract = True

    def _end(self, status: str, *, ending: tuple[str, ...] = (RUNNING,), **fields: Any) -> bool:
        fields = {"status": status, "finished_at": timezone.now(), **fields}
        try:
            with transaction.atomic():
                ended = type(self).objects.filter(pk=self.pk, status__in=ending).update(**fields)
        except IntegrityError:
            return False  # another attempt succeeded first (one success per phase)
        if ended:
            for name, value in fields.items():
                setattr(self, name, value)
        return bool(ended)

    def succeed(self, *, output_data: dict[str, Any], cost_usd: Decimal, duration_seconds: float) -> bool:
        # From FAILED too: a reconciler that judged this work dead too early (its heartbeat
        # late under load) marked it interrupted while it ran; the work is done, so keep it,
        # unless the attempt that replaced it has already succeeded.
        return self._end(
            Run.SUCCEEDED,
            ending=(Run.RUNNING, Run.FAILED),
            output_data=output_data,
            cost_usd=cost_usd,
            duration_seconds=duration_seconds,
            error_message=None,
        )

    def fail(self, message: str, *, duration_seconds: float | None = None) -> bool:
        return self._end(Run.FAILED, error_message=message, duration_seconds=duration_seconds)

    def cancel(self, message: str = "canceled") -> bool:
        return self._end(self.canceled_status, error_message=message)

    canceled_status = CANCELED


class PhaseRun(Run):
    """One attempt at one phase of one generation: the timeline the admin and pages show."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"
        # Succeeded once, then replaced when one scene of the finished video was regenerated.
        SUPERSEDED = "superseded", "Superseded"

    generation = models.ForeignKey(VideoGeneration, on_delete=models.CASCADE, related_name="phase_runs")
    attempt = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    # Sub-progress inside the phase, e.g. {"done": 3, "total": 6}.
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["generation", "phase", "attempt"], name="phase_run_attempt_unique"
            ),
            # A phase succeeds once per generation: the guard that makes re-runs free.
            models.UniqueConstraint(
                fields=["generation", "phase"],
                condition=models.Q(status="succeeded"),
                name="phase_run_one_success",
            ),
            # A phase runs once at a time: the claim a phase job makes before working.
            models.UniqueConstraint(
                fields=["generation", "phase"],
                condition=models.Q(status="running"),
                name="phase_run_one_running",
            ),
        ]
        indexes = [models.Index(fields=["phase", "status", "-finished_at"], name="phase_run_recent")]

    def __str__(self) -> str:
        return f"{self.phase} #{self.attempt} ({self.status})"


class PartRun(Run):
    """One part of a fan-out phase (one chunk of the chunks phase), rendered by its own job.

    Keyed by (generation, phase, index), not by PhaseRun, so a retry of the phase reuses
    the parts an earlier attempt finished."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    # A canceled part is rendered again when the generation is retried, like a failed one.
    canceled_status = State.FAILED

    generation = models.ForeignKey(VideoGeneration, on_delete=models.CASCADE, related_name="part_runs")
    index = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["phase", "index"]
        constraints = [
            models.UniqueConstraint(fields=["generation", "phase", "index"], name="part_run_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.phase}[{self.index}] ({self.status})"


class CostEntry(models.Model):
    """One line of the cost ledger: one provider call. Totals are sums of these."""

    generation = models.ForeignKey(VideoGeneration, on_delete=models.CASCADE, related_name="cost_entries")
    phase = models.CharField(max_length=32)
    provider = models.CharField(max_length=32)
    model = models.CharField(max_length=200)
    units = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal("1"))
    usd = models.DecimalField(max_digits=12, decimal_places=4)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "cost entries"

    def __str__(self) -> str:
        return f"{self.phase} {self.provider}/{self.model} ${self.usd}"
