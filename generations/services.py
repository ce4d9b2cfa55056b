"""Writes to generations. The only code that changes a generation's status.

Every status change happens inside a transaction holding the row lock
(`select_for_update`), is checked against `ALLOWED_TRANSITIONS`, and leaves a StatusEvent.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from generations.models import (
    ACTIVE_STATUSES,
    ALLOWED_TRANSITIONS,
    FINAL_STATUSES,
    RETRY_TRANSITIONS,
    CostEntry,
    IdempotencyKey,
    PartRun,
    PhaseRun,
    Status,
    StatusEvent,
    VideoGeneration,
    new_video_id,
)
from phases import dispatch
from phases.registry import get_phase
from phases.storage import REFERENCES_PREFIX, artifact_name

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
    reference_images: Sequence[bytes] = (),
) -> VideoGeneration:
    """Create a QUEUED generation and enqueue its first phase once the row is committed.

    `reference_images` are images the caller has already checked and re-encoded as PNG; they
    are stored as `references/<id>/upload_NN.png` and added to `uploaded_assets` before the
    row exists, so no phase can start without them."""
    video_id = new_video_id()
    uploads = [
        {
            "type": "image",
            "name": default_storage.save(
                artifact_name(REFERENCES_PREFIX, video_id, f"upload_{number:02d}.png"), ContentFile(png)
            ),
        }
        for number, png in enumerate(reference_images, start=1)
    ]
    with transaction.atomic():
        generation = VideoGeneration.objects.create(
            id=video_id,
            user=user,
            prompt=prompt.strip(),
            duration=duration,
            aspect_ratio=aspect_ratio,
            template=template or None,
            seed=seed,
            uploaded_assets=[*assets, *uploads],
            webhook_url=webhook_url,
        )
        dispatch.enqueue_next(generation.id)
    logger.info("generation=%s created duration=%ss aspect=%s", generation.id, duration, aspect_ratio)
    return generation


class IdempotencyConflict(Exception):
    """An Idempotency-Key was reused with a different request."""


def generation_create_idempotent(
    *,
    user: AbstractBaseUser,
    idempotency_key: str,
    prompt: str,
    duration: int = 30,
    aspect_ratio: str = "16:9",
    template: str | None = None,
    seed: int = 0,
    assets: Iterable[dict[str, str]] = (),
    webhook_url: str = "",
) -> tuple[VideoGeneration, bool]:
    """Create a generation once per (user, idempotency_key); returns (generation, created).

    Repeating the same request under the same key returns the generation the first one made
    and enqueues nothing. Raises IdempotencyConflict when the key was used for a different
    request."""
    request = {
        "prompt": prompt.strip(),
        "duration": duration,
        "aspect_ratio": aspect_ratio,
        "template": template or None,
        "seed": seed,
        "assets": [dict(asset) for asset in assets],
        "webhook_url": webhook_url,
    }
    fingerprint = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()
    try:
        with transaction.atomic():
            existing = IdempotencyKey.objects.filter(user=user, key=idempotency_key).first()
            if existing is None:
                generation = generation_create(user=user, **request)
                IdempotencyKey.objects.create(
                    user=user, key=idempotency_key, fingerprint=fingerprint, generation=generation
                )
                return generation, True
    except IntegrityError:
        # A concurrent request with the same key committed first; this one rolled back
        # (its generation and its enqueue with it) and answers as a replay of that one.
        existing = IdempotencyKey.objects.get(user=user, key=idempotency_key)
    if existing.fingerprint != fingerprint:
        raise IdempotencyConflict(
            f"Idempotency-Key {idempotency_key!r} was already used with a different request"
        )
    return existing.generation, False


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
        if to in FINAL_STATUSES and generation.webhook_url:
            # Enqueued when this transaction commits, so a rolled-back move notifies no one.
            dispatch.enqueue_webhook(generation.id, to.value, generation.attempts)
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
    PartRun.objects.filter(generation_id=video_id, status=PartRun.State.RUNNING).update(
        status=PartRun.State.FAILED, finished_at=timezone.now(), error_message="canceled"
    )
    dispatch.cancel_jobs(video_id)
    return generation


def generation_retry(*, video_id: str) -> VideoGeneration:
    """Re-queue a FAILED or CANCELED generation; it resumes at its first unfinished phase
    (finished phases are kept and not charged again). Raises InvalidTransition otherwise."""
    with transaction.atomic():
        current = VideoGeneration.objects.select_for_update().get(id=video_id)
        # generation_transition treats QUEUED -> QUEUED as a no-op; a retry of a generation
        # that never failed is an error the caller should hear about.
        if current.status not in (Status.FAILED, Status.CANCELED):
            raise InvalidTransition(current, Status.QUEUED)
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


def generation_resume(*, video_id: str) -> None:
    """Re-enqueue an active generation whose queued or running job was lost; counts the
    resume so the reconciler can give up on one that keeps dying."""
    with transaction.atomic():
        updated = VideoGeneration.objects.filter(id=video_id, status__in=ACTIVE_STATUSES).update(
            resumes=F("resumes") + 1, updated_at=timezone.now()
        )
        if updated:
            dispatch.enqueue_next(video_id)


def generation_resume_part(*, video_id: str, phase: str, index: int) -> None:
    """Re-enqueue one part of a fan-out phase whose worker died mid-render."""
    with transaction.atomic():
        part = PartRun.objects.select_for_update().get(generation_id=video_id, phase=phase, index=index)
        if part.status != PartRun.State.RUNNING:
            return
        part.status = PartRun.State.FAILED
        part.error_message = "interrupted: the worker rendering it stopped"
        part.save(update_fields=["status", "error_message"])
        VideoGeneration.objects.filter(id=video_id).update(resumes=F("resumes") + 1, updated_at=timezone.now())
        dispatch.enqueue_part(
            video_id, phase, index, attempt=part.attempts + 1, timeout=get_phase(phase).timeout
        )


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
