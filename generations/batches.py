"""Batches: create one from validated items, start its items as the owner's slots free up,
cancel it, retry its failed items; and the reads its page and API show.

An item waits (no generation yet) until its owner may have one more generation active, so
items take their turn inside the batch instead of failing on the active cap. They are
started in row order by `batch_release`, which runs when the batch is created, whenever
one of the owner's generations ends (`services.generation_transition` enqueues it) and
every minute from the cron job, for starts a limit put off.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from generations import policy, services
from generations.models import Batch, BatchItem, Status, active_statuses
from phases.request import GenerationRequest

logger = logging.getLogger(__name__)


class BatchTooLarge(Exception):
    """More items than BATCH_MAX_ITEMS; nothing was created."""

    def __init__(self, count: int) -> None:
        limit = settings.BATCH_MAX_ITEMS
        super().__init__(
            f"A batch holds at most {limit} items and this one has {count}. Split it into smaller "
            "batches (or have the operator raise BATCH_MAX_ITEMS)."
        )


def batch_check_size(count: int) -> None:
    """Raise BatchTooLarge when `count` items are more than a batch may hold."""
    if count > settings.BATCH_MAX_ITEMS:
        raise BatchTooLarge(count)


def batch_create(*, user: AbstractBaseUser | None, items: Sequence[dict[str, Any]]) -> Batch:
    """A batch of `items` (each a validated GenerationRequest's JSON form, `to_dict()`),
    with as many of them started as the owner's free slots allow; the rest wait their turn.

    Raises BatchTooLarge (creating nothing) past BATCH_MAX_ITEMS, ValueError for no items."""
    if not items:
        raise ValueError("a batch needs at least one item")
    batch_check_size(len(items))
    with transaction.atomic():
        batch = Batch.objects.create(user=user)
        BatchItem.objects.bulk_create(
            BatchItem(batch=batch, row=row, options=dict(options))
            for row, options in enumerate(items, start=1)
        )
        batch_release(batch_id=batch.id)
    logger.info("batch=%s created with %s items", batch.id, len(items))
    return batch


def batch_release(*, batch_id: str) -> list[str]:
    """Start the batch's waiting items in row order while its owner has free slots: a new
    generation for an item that never ran, a retry for a failed one. Returns the ids started.

    Idempotent and safe to run from several processes: the batch row is locked, so two
    releases of one batch take turns and the second finds the items already started."""
    started: list[str] = []
    with transaction.atomic():
        batch = Batch.objects.select_for_update().filter(id=batch_id).first()
        if batch is None or batch.canceled_at is not None:
            return started
        waiting = batch.items.filter(state=BatchItem.State.WAITING).order_by("row")
        free = policy.active_slots_left(batch.user) if batch.user is not None else None
        for item in waiting:
            if free is not None and len(started) >= free:
                break
            try:
                # A savepoint: a start the policy refuses (the rate of starts, a slot taken
                # meanwhile by another path) leaves the item waiting for a later release.
                with transaction.atomic():
                    if item.generation_id is None:
                        item.generation = services.generation_create(
                            user=batch.user, request=GenerationRequest.from_dict(item.options)
                        )
                    else:
                        services.generation_retry(video_id=item.generation_id)
                    item.state = BatchItem.State.STARTED
                    item.save(update_fields=["state", "generation"])
            except policy.LimitExceeded as exc:
                logger.info("batch=%s row %s waits: %s", batch_id, item.row, exc)
                break
            started.append(item.generation_id)
    if started:
        logger.info("batch=%s started %s items", batch_id, len(started))
    return started


def batch_release_for_user(*, user_id: int | None) -> list[str]:
    """Release every batch of this owner that has items waiting, oldest batch first."""
    batch_ids = (
        Batch.objects.filter(user_id=user_id, canceled_at=None, items__state=BatchItem.State.WAITING)
        .order_by("created_at")
        .values_list("id", flat=True)
        .distinct()
    )
    return [video_id for batch_id in list(batch_ids) for video_id in batch_release(batch_id=batch_id)]


def batch_release_all() -> list[str]:
    """Release the batches of every owner with items waiting (the cron job's part)."""
    owners = (
        BatchItem.objects.filter(state=BatchItem.State.WAITING, batch__canceled_at=None)
        .values_list("batch__user_id", flat=True)
        .distinct()
    )
    return [video_id for user_id in list(owners) for video_id in batch_release_for_user(user_id=user_id)]


def batch_cancel(*, batch_id: str) -> None:
    """Cancel the batch: items still waiting never start, items in progress are canceled,
    finished ones are kept. A second cancel changes nothing."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(id=batch_id)
        batch.canceled_at = batch.canceled_at or timezone.now()
        batch.save(update_fields=["canceled_at"])
        batch.items.filter(state=BatchItem.State.WAITING, generation=None).update(
            state=BatchItem.State.CANCELED
        )
        # A failed item waiting to be retried stays failed.
        batch.items.filter(state=BatchItem.State.WAITING).update(state=BatchItem.State.STARTED)
        active = list(
            batch.items.filter(generation__status__in=active_statuses()).values_list(
                "generation_id", flat=True
            )
        )
    for video_id in active:
        try:
            services.generation_cancel(video_id=video_id)
        except services.InvalidTransition:
            pass  # it finished while the batch was being canceled
    logger.info("batch=%s canceled (%s items in progress stopped)", batch_id, len(active))


def batch_retry_failed(*, batch_id: str) -> int:
    """Put the batch's failed items back in line (they resume at the phase that failed, as
    slots free up) and return how many. Reopens a canceled batch for them."""
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(id=batch_id)
        count = batch.items.filter(state=BatchItem.State.STARTED, generation__status=Status.FAILED).update(
            state=BatchItem.State.WAITING
        )
        if count and batch.canceled_at is not None:
            batch.canceled_at = None
            batch.save(update_fields=["canceled_at"])
        batch_release(batch_id=batch_id)
    logger.info("batch=%s retrying %s failed items", batch_id, count)
    return count


# --- reads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRow:
    row: int
    prompt: str
    video_id: str | None
    status: str
    progress: float
    phase: str | None
    error: dict[str, str | None] | None  # {"phase": ..., "reason": ...} for a failed item
    cost_usd: Decimal


@dataclass
class BatchSummary:
    batch: Batch
    items: list[ItemRow]
    totals: dict[str, int] = field(default_factory=dict)
    cost_usd: Decimal = Decimal("0")
    elapsed_seconds: float = 0.0

    @property
    def status(self) -> str:
        """running while any item is queued or running, then canceled or finished."""
        if self.totals["queued"] or self.totals["running"]:
            return "running"
        return "canceled" if self.batch.canceled_at else "finished"

    @property
    def finished_video_ids(self) -> list[str]:
        return [item.video_id for item in self.items if item.status == Status.COMPLETE and item.video_id]


def batch_summary(batch: Batch) -> BatchSummary:
    """Every item's status, progress, phase and error, and the totals over them."""
    records = list(batch.items.select_related("generation").order_by("row"))
    items = [_item_row(item) for item in records]
    counted = {"done": 0, "failed": 0, "running": 0, "queued": 0, "canceled": 0}
    for item in items:
        counted[_bucket(item.status)] += 1
    ends = [r.generation.completed_at for r in records if r.generation and r.generation.completed_at]
    running = counted["queued"] or counted["running"]
    until = timezone.now() if running or not ends else max(ends)
    return BatchSummary(
        batch=batch,
        items=items,
        totals=counted,
        cost_usd=sum((item.cost_usd for item in items), Decimal("0")),
        elapsed_seconds=round(max((until - batch.created_at).total_seconds(), 0.0), 1),
    )


def _item_row(item: BatchItem) -> ItemRow:
    generation = item.generation
    prompt = str(item.options.get("prompt", ""))
    if item.state == BatchItem.State.CANCELED:
        return ItemRow(item.row, prompt, None, Status.CANCELED, 0.0, None, None, Decimal("0"))
    if generation is None:
        return ItemRow(item.row, prompt, None, Status.QUEUED, 0.0, None, None, Decimal("0"))
    waiting_retry = item.state == BatchItem.State.WAITING
    status = Status.QUEUED if waiting_retry else generation.status
    error = (
        {"phase": generation.current_phase, "reason": generation.error_message}
        if status == Status.FAILED
        else None
    )
    return ItemRow(
        item.row,
        prompt,
        generation.id,
        status,
        generation.progress,
        generation.current_phase,
        error,
        generation.cost_usd,
    )


def _bucket(status: str) -> str:
    if status == Status.COMPLETE:
        return "done"
    if status == Status.FAILED:
        return "failed"
    if status == Status.CANCELED:
        return "canceled"
    return "queued" if status == Status.QUEUED else "running"
