"""Writes to generations. The only code that changes a generation's status.

Every status change happens inside a transaction holding the row lock
(`select_for_update`), is checked against `ALLOWED_TRANSITIONS`, and leaves a StatusEvent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from generations.models import (
    ACTIVE_STATUSES,
    ALLOWED_TRANSITIONS,
    RETRY_TRANSITIONS,
    CostEntry,
    PhaseRun,
    Status,
    StatusEvent,
    VideoGeneration,
)
from phases import dispatch

logger = logging.getLogger(__name__)
# Ledger amounts are kept to 1/100 of a cent, the precision of the seed's SDXL price.
CENT_HUNDREDTHS = Decimal("0.0001")


class InvalidTransition(Exception):
    """The requested status change is not allowed from the generation's current status."""

    def __init__(self, generation: VideoGeneration, to: str) -> None:
        super().__init__(f"cannot move generation {generation.id} from {generation.status} to {to}")
        self.current = generation.status
        self.requested = to


def generation_create(
    *,
    user: AbstractBaseUser | None,
    prompt: str,
    duration: int = 30,
    aspect_ratio: str = "16:9",
    template: str | None = None,
    seed: int = 0,
    assets: Iterable[dict[str, str]] = (),
    webhook_url: str = "",
) -> VideoGeneration:
    """Create a QUEUED generation and enqueue its first phase once the row is committed."""
    with transaction.atomic():
        generation = VideoGeneration.objects.create(
            user=user,
            prompt=prompt.strip(),
            duration=duration,
            aspect_ratio=aspect_ratio,
            template=template or None,
            seed=seed,
            uploaded_assets=list(assets),
            webhook_url=webhook_url,
        )
        dispatch.enqueue_next(generation.id)
    logger.info("generation=%s created duration=%ss aspect=%s", generation.id, duration, aspect_ratio)
    return generation


def generation_transition(
    *, video_id: str, to: Status, note: str = "", allow_retry: bool = False, **fields: Any
) -> VideoGeneration:
    """Move a generation to `to`, setting `fields` in the same write.

    Raises InvalidTransition when the move is not allowed (FAILED/CANCELED → QUEUED only
    with `allow_retry`). Moving to the status it already has is a no-op that returns it,
    so a re-delivered job does not fail on its own earlier move."""
    with transaction.atomic():
        generation = VideoGeneration.objects.select_for_update().get(id=video_id)
        current = Status(generation.status)
        if current == to:
            return generation
        allowed = to in ALLOWED_TRANSITIONS[current]
        if (current, to) in RETRY_TRANSITIONS and not allow_retry:
            allowed = False
        if not allowed:
            raise InvalidTransition(generation, to)
        generation.status = to
        for name, value in fields.items():
            setattr(generation, name, value)
        generation.save(update_fields=["status", "updated_at", *fields])
        StatusEvent.objects.create(generation=generation, from_status=current, to_status=to, note=note[:500])
    logger.info("generation=%s status %s -> %s %s", video_id, current, to, note)
    return generation


def generation_set_progress(*, video_id: str, progress: float) -> None:
    """Raise the progress to `progress` (percent). Never lowers it: a late or repeated
    report from a parallel chunk job must not move the bar backwards."""
    progress = max(0.0, min(100.0, progress))
    VideoGeneration.objects.filter(id=video_id, progress__lt=progress).update(
        progress=progress, updated_at=timezone.now()
    )


def generation_fail(*, video_id: str, message: str) -> bool:
    """Mark an active generation FAILED with a readable message. Returns False (and changes
    nothing) when it had already ended, e.g. canceled while the failing job ran."""
    with transaction.atomic():
        if not VideoGeneration.objects.select_for_update().get(id=video_id).is_active:
            return False
        generation_transition(
            video_id=video_id,
            to=Status.FAILED,
            note=message,
            error_message=message,
            completed_at=timezone.now(),
        )
        PhaseRun.objects.filter(generation_id=video_id, status=PhaseRun.State.RUNNING).update(
            status=PhaseRun.State.FAILED, finished_at=timezone.now(), error_message=message
        )
    return True


def generation_cancel(*, video_id: str) -> VideoGeneration:
    """Cancel an active generation. Raises InvalidTransition when it has already ended.

    A running job notices at its next checkpoint (phases check the status between steps)
    and its results are discarded."""
    generation = generation_transition(
        video_id=video_id, to=Status.CANCELED, note="canceled by user", completed_at=timezone.now()
    )
    PhaseRun.objects.filter(generation_id=video_id, status=PhaseRun.State.RUNNING).update(
        status=PhaseRun.State.CANCELED, finished_at=timezone.now(), error_message="canceled"
    )
    dispatch.cancel_jobs(video_id)
    return generation


def generation_retry(*, video_id: str) -> VideoGeneration:
    """Re-queue a FAILED or CANCELED generation; it resumes at its first unfinished phase
    (finished phases are kept and not charged again). Raises InvalidTransition otherwise."""
    with transaction.atomic():
        generation = generation_transition(
            video_id=video_id,
            to=Status.QUEUED,
            allow_retry=True,
            note="retry",
            error_message=None,
            completed_at=None,
            current_phase=None,
            attempts=F("attempts") + 1,
        )
        dispatch.enqueue_next(video_id)
    generation.refresh_from_db()
    return generation


def generation_delete(*, video_id: str) -> None:
    """Delete a generation and every file it stored."""
    from phases.storage import delete_generation_files

    if VideoGeneration.objects.filter(id=video_id, status__in=ACTIVE_STATUSES).exists():
        try:
            generation_cancel(video_id=video_id)
        except InvalidTransition:
            pass
    delete_generation_files(video_id)
    VideoGeneration.objects.filter(id=video_id).delete()


def ledger_record(
    *, video_id: str, phase: str, provider: str, model: str, units: Decimal, usd: Decimal
) -> None:
    """Add one provider call to the ledger and refresh the generation's totals from it."""
    with transaction.atomic():
        generation = VideoGeneration.objects.select_for_update().get(id=video_id)
        CostEntry.objects.create(
            generation=generation, phase=phase, provider=provider, model=model, units=units, usd=usd
        )
        per_phase = (
            CostEntry.objects.filter(generation=generation)
            .values("phase")
            .annotate(total=Sum("usd"))
            .order_by()
        )
        totals = {row["phase"]: Decimal(row["total"]).quantize(CENT_HUNDREDTHS) for row in per_phase}
        generation.cost_breakdown = {phase: str(total) for phase, total in totals.items()}
        generation.cost_usd = sum(totals.values(), Decimal("0"))
        generation.save(update_fields=["cost_breakdown", "cost_usd", "updated_at"])
