"""Writes to generations. The only code that changes a generation's status.

Every status change happens inside a transaction holding the row lock
(`select_for_update`), is checked against `allowed_transitions()`, and leaves a StatusEvent.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from generations import policy
from generations.counters import count_spend
from generations.models import (
    FINAL_STATUSES,
    RESTART_TRANSITIONS,
    BatchItem,
    CostEntry,
    IdempotencyKey,
    PartRun,
    PhaseRun,
    Status,
    StatusEvent,
    VideoGeneration,
    active_statuses,
    allowed_transitions,
    new_video_id,
)
from generations.orchestration import dispatch, early, pipeline
from phases.registry import get_phase
from phases.request import GenerationRequest
from phases.storage import REFERENCES_PREFIX, artifact_name
from toolbox.exceptions import BudgetExceeded

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
    request: GenerationRequest,
    reference_images: Sequence[bytes] = (),
) -> VideoGeneration:
    """Validate `request` and create a QUEUED generation for it; its first phase is enqueued
    once the row is committed. Raises RequestInvalid (a ValidationException) naming each
    field that breaks a limit; nothing is stored then.

    `reference_images` are images the caller has already checked and re-encoded as PNG; they
    are stored as `references/<id>/upload_NN.png` and added to the request's assets before
    the row exists, so no phase can start without them.

    Raises policy.LimitExceeded when the user is past their rate or active cap."""
    request.validate(uploads=len(reference_images))
    video_id = new_video_id()
    uploads = [
        default_storage.save(
            artifact_name(REFERENCES_PREFIX, video_id, f"upload_{number:02d}.png"), ContentFile(png)
        )
        for number, png in enumerate(reference_images, start=1)
    ]
    request = request.with_uploads(uploads)
    with transaction.atomic():
        policy.admit(user=user, starts_generation=True)
        generation = VideoGeneration.objects.create(id=video_id, user=user, **record_fields(request))
        pipeline.advance_after_commit(generation.id)
    logger.info(
        "generation=%s created duration=%ss aspect=%s", generation.id, request.duration, request.aspect_ratio
    )
    return generation


def record_fields(request: GenerationRequest) -> dict[str, Any]:
    """The record's columns for a request: the whole request, and the options the seed (and
    the API's lists, the admin, the webhook sender) read as columns."""
    return {
        "request": request.to_dict(),
        "prompt": request.prompt,
        "duration": request.duration,
        "aspect_ratio": request.aspect_ratio,
        "resolution": request.resolution,
        "template": request.template,
        "seed": request.seed,
        "uploaded_assets": [dict(asset) for asset in request.assets],
        "webhook_url": request.webhook_url,
        "review": request.review,
    }


class IdempotencyConflict(Exception):
    """An Idempotency-Key was reused with a different request."""


def generation_create_idempotent(
    *, user: AbstractBaseUser, idempotency_key: str, request: GenerationRequest
) -> tuple[VideoGeneration, bool]:
    """Create a generation once per (user, idempotency_key); returns (generation, created).

    Repeating the same request under the same key returns the generation the first one made
    and enqueues nothing. Raises IdempotencyConflict when the key was used for a different
    request, and RequestInvalid as `generation_create` does."""
    fingerprint = hashlib.sha256(json.dumps(request.to_dict(), sort_keys=True).encode()).hexdigest()
    try:
        with transaction.atomic():
            existing = IdempotencyKey.objects.filter(user=user, key=idempotency_key).first()
            if existing is None:
                generation = generation_create(user=user, request=request)
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
    *, video_id: str, to: str, note: str = "", allow_restart: bool = False, **fields: Any
) -> VideoGeneration:
    """Move a generation to `to`, setting `fields` in the same write.

    Raises InvalidTransition when the move is not allowed (leaving COMPLETE, FAILED or
    CANCELED only with `allow_restart`). Moving to the status it already has is a no-op that returns it,
    so a re-delivered job does not fail on its own earlier move."""
    with transaction.atomic():
        generation = VideoGeneration.objects.select_for_update().get(id=video_id)
        current = generation.status
        if current == to:
            return generation
        allowed = to in allowed_transitions().get(current, ())
        if (current, to) in RESTART_TRANSITIONS and not allow_restart:
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
            dispatch.enqueue_webhook(generation.id, str(to), generation.attempts)
        if to in FINAL_STATUSES and generation.user_id is not None:
            # A slot of the owner's active cap frees up: items of their batches waiting for one
            # may start (a job, so the web request or phase that ended this one does not wait).
            waiting = BatchItem.objects.filter(
                batch__user_id=generation.user_id, batch__canceled_at=None, state=BatchItem.State.WAITING
            )
            if waiting.exists():
                dispatch.enqueue_batch_release(generation.user_id)
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
        PhaseRun.objects.filter(generation_id=video_id).close(PhaseRun.State.FAILED, message)
    return True


def generation_cancel(*, video_id: str) -> VideoGeneration:
    """Cancel an active generation. Raises InvalidTransition when it has already ended.

    A running job notices at its next checkpoint (phases check the status between steps)
    and its results are discarded."""
    generation = generation_transition(
        video_id=video_id, to=Status.CANCELED, note="canceled by user", completed_at=timezone.now()
    )
    PhaseRun.objects.filter(generation_id=video_id).close(PhaseRun.State.CANCELED, "canceled")
    # A canceled part is rendered again when the generation is retried, like a failed one.
    PartRun.objects.filter(generation_id=video_id).close(PartRun.State.FAILED, "canceled")
    dispatch.cancel_jobs(video_id)
    return generation


def generation_retry(*, video_id: str) -> VideoGeneration:
    """Re-queue a FAILED or CANCELED generation; it resumes at its first unfinished phase
    (finished phases are kept and not charged again). Raises InvalidTransition otherwise,
    and policy.LimitExceeded when the owner is past their rate or active cap."""
    with transaction.atomic():
        current = VideoGeneration.objects.select_for_update().get(id=video_id)
        # generation_transition treats QUEUED -> QUEUED as a no-op; a retry of a generation
        # that never failed is an error the caller should hear about.
        if current.status not in (Status.FAILED, Status.CANCELED):
            raise InvalidTransition(current, Status.QUEUED)
        policy.admit(user=current.user, starts_generation=True)
        generation = generation_transition(
            video_id=video_id,
            to=Status.QUEUED,
            allow_restart=True,
            note="retry",
            error_message=None,
            completed_at=None,
            current_phase=None,
            attempts=F("attempts") + 1,
        )
        pipeline.advance_after_commit(video_id)
    generation.refresh_from_db()
    return generation


def generation_resume(*, video_id: str, seen_updated_at: datetime, silent_since: datetime) -> bool:
    """Re-enqueue an active generation whose queued or running job was lost, if it has not
    changed since the caller looked at it (`seen_updated_at`); counts the resume so the
    reconciler can give up on one that keeps dying. Returns whether this call resumed it.

    Compare-and-set: of two reconcilers that judged the same generation lost at the same
    moment, only the first update matches `updated_at` (it moves it), so the generation is
    resumed once. Its attempts still marked running with no heartbeat since `silent_since`
    are closed as interrupted (their workers died, and the phase job's claim needs them
    closed); one that a job claimed meanwhile keeps running, and the resumed job finds it
    claimed."""
    with transaction.atomic():
        updated = VideoGeneration.objects.filter(
            id=video_id, status__in=active_statuses(), updated_at=seen_updated_at
        ).update(resumes=F("resumes") + 1, updated_at=timezone.now())
        if not updated:
            return False
        silent = Q(heartbeat_at__lt=silent_since) | Q(heartbeat_at__isnull=True, started_at__lt=silent_since)
        PhaseRun.objects.filter(silent, generation_id=video_id).close(
            PhaseRun.State.FAILED, "interrupted: the worker running this attempt stopped"
        )
        pipeline.advance_after_commit(video_id)
    return True


def generation_resume_part(
    *, video_id: str, phase: str, index: int, seen_heartbeat: datetime | None, counted: bool = True
) -> bool:
    """Re-enqueue one part of a fan-out phase whose worker died mid-render, if its heartbeat
    is still the stale one the caller saw (compare-and-set: a second reconciler, or one that
    looked before a new job claimed the part, changes nothing). Returns whether it did.
    `counted=False`: the same lost worker held another part, whose resume was counted."""
    with transaction.atomic():
        interrupted = PartRun.objects.filter(
            generation_id=video_id,
            phase=phase,
            index=index,
            status=PartRun.State.RUNNING,
            heartbeat_at=seen_heartbeat,
        ).update(status=PartRun.State.FAILED, error_message="interrupted: the worker rendering it stopped")
        if not interrupted:
            return False
        VideoGeneration.objects.filter(id=video_id).update(
            resumes=F("resumes") + int(counted), updated_at=timezone.now()
        )
        attempts = PartRun.objects.values_list("attempts", flat=True).get(
            generation_id=video_id, phase=phase, index=index
        )
        early.enqueue_part(video_id, get_phase(phase), index, attempt=attempts + 1)
    return True


def generation_delete(*, video_id: str) -> None:
    """Delete a generation and every file it stored."""
    from phases.storage import delete_generation_files

    if VideoGeneration.objects.filter(id=video_id, status__in=active_statuses()).exists():
        try:
            generation_cancel(video_id=video_id)
        except InvalidTransition:
            pass
    delete_generation_files(video_id)
    VideoGeneration.objects.filter(id=video_id).delete()


def ledger_record(
    *,
    video_id: str,
    phase: str,
    provider: str,
    model: str,
    units: Decimal,
    usd: Decimal,
    check_caps: bool = True,
) -> None:
    """Add one provider call to the ledger and refresh the generation's totals from it,
    before the call is made.

    Raises BudgetExceeded, writing nothing, when the call would take the generation past
    MAX_COST_PER_GENERATION_USD or its owner past MAX_COST_PER_USER_DAY_USD. The check and
    the write happen under the same row locks (the owner's, then the generation's), so
    parallel part jobs charging at the same moment queue up instead of all passing a check
    made against the same old total. `check_caps=False` is for a line that settles an
    earlier estimate: that money is already spent, so it is written whatever the caps say."""
    with transaction.atomic():
        user_id = VideoGeneration.objects.values_list("user_id", flat=True).get(id=video_id)
        daily_cap = settings.MAX_COST_PER_USER_DAY_USD if check_caps else 0
        if daily_cap and user_id is not None:
            # Every generation of the user charges under this lock: the daily sum cannot move
            # between the check and the write.
            get_user_model().objects.select_for_update().filter(pk=user_id).exists()
            since = timezone.now() - timedelta(days=1)
            today = CostEntry.objects.filter(generation__user_id=user_id, created_at__gte=since).aggregate(
                total=Sum("usd")
            )["total"] or Decimal("0")
            if today + usd > daily_cap:
                raise BudgetExceeded(
                    f"budget exceeded: ${today} spent in the last 24 h of the ${daily_cap} daily cap"
                )
        generation = VideoGeneration.objects.select_for_update().get(id=video_id)
        cap = settings.MAX_COST_PER_GENERATION_USD
        if check_caps and generation.cost_usd + usd > cap:
            raise BudgetExceeded(
                f"budget exceeded: {provider}/{model} would cost ${usd}, "
                f"${generation.cost_usd} already spent of ${cap} for this generation"
            )
        CostEntry.objects.create(
            generation=generation, phase=phase, provider=provider, model=model, units=units, usd=usd
        )
        # Counted once the line is committed; a metrics outage never undoes a ledger line.
        transaction.on_commit(partial(count_spend, usd), robust=True)
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
