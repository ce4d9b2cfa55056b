"""Batches: many generations submitted at once (a JSON list or a CSV file), each item one
prompt with its own options. Imported by `generations.models`, so Django sees them there.

An item holds its validated request until it may start: it waits, with no generation yet,
while its owner has no free slot under the active cap, and becomes a generation when one
frees up. So waiting items are not active work (the reconciler, queue positions and the
cap never see them), and a batch of 100 cannot crowd out the user's other videos.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


def _new_id() -> str:
    from generations.models import new_video_id

    return new_video_id()


class Batch(models.Model):
    id = models.CharField(primary_key=True, max_length=32, default=_new_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="batches"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "batches"

    def __str__(self) -> str:
        return self.id


class BatchItem(models.Model):
    class State(models.TextChoices):
        # Waiting for a free slot: to start (no generation yet) or to be retried.
        WAITING = "waiting", "Waiting its turn"
        STARTED = "started", "Started"
        CANCELED = "canceled", "Canceled before it started"

    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="items")
    row = models.PositiveIntegerField(help_text="1-based: the item's place in the list, or its CSV data row.")
    options = models.JSONField(help_text="The validated request: a GenerationRequest's JSON form.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.WAITING)
    generation = models.OneToOneField(
        "generations.VideoGeneration",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="batch_item",
    )

    class Meta:
        ordering = ["batch", "row"]
        constraints = [models.UniqueConstraint(fields=["batch", "row"], name="batch_item_row_unique")]
        indexes = [models.Index(fields=["state", "batch"], name="batch_item_waiting")]

    def __str__(self) -> str:
        return f"{self.batch_id}#{self.row} ({self.state})"
