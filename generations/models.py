"""The generation record (the seed's VideoGeneration), its phase attempts and its cost ledger.

Nothing outside `generations.services` assigns `VideoGeneration.status`; the allowed moves
are `allowed_transitions()` below, computed from the phase registry's order.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models

from phases.registry import PHASES, review_gate
from phases.request import DEFAULT_RESOLUTION, RESOLUTIONS, GenerationRequest, describe_resolution


def new_video_id() -> str:
    return uuid.uuid4().hex


class Status(models.TextChoices):
    """The statuses that are no phase's. While a phase runs, the status is that phase's own
    (`phase.status`, e.g. "generating_chunks"): the registry, not this class, lists those."""

    QUEUED = "queued", "Queued"
    AWAITING_REVIEW = "awaiting_review", "Awaiting review"
    COMPLETE = "complete", "Complete"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


def status_choices() -> list[tuple[str, str]]:
    """Every status a generation can have, phases' included, in pipeline order. The status
    fields' `choices` call it, so a phase added to the registry needs no migration."""
    phase_statuses = [(phase.status, phase.label) for phase in PHASES]
    gate = review_gate()
    if gate is not None:
        at = phase_statuses.index((gate.status, gate.label)) + 1
        phase_statuses.insert(at, (Status.AWAITING_REVIEW, Status.AWAITING_REVIEW.label))
    final = [(status.value, status.label) for status in (Status.COMPLETE, Status.FAILED, Status.CANCELED)]
    return [(Status.QUEUED.value, Status.QUEUED.label), *phase_statuses, *final]


def status_label(status: str) -> str:
    return dict(status_choices()).get(status, status)


def pipeline_order() -> tuple[str, ...]:
    """The forward path, in order: queued, each phase's status, complete. A generation moves
    one step at a time along it."""
    return (Status.QUEUED.value, *(phase.status for phase in PHASES), Status.COMPLETE.value)


def active_statuses() -> frozenset[str]:
    # A generation awaiting review is not finished, but no job works on it until it is approved.
    return frozenset({*pipeline_order()[:-1], Status.AWAITING_REVIEW.value})


FINAL_STATUSES = frozenset({Status.COMPLETE.value, Status.FAILED.value, Status.CANCELED.value})


def allowed_transitions() -> dict[str, frozenset[str]]:
    """Computed from the registry's order each time, so a phase added at run time is a step."""
    order = pipeline_order()
    allowed: dict[str, frozenset[str]] = {}
    for current, following in zip(order, order[1:]):
        allowed[current] = frozenset({following, Status.FAILED.value, Status.CANCELED.value})
    gate = review_gate()
    if gate is not None:
        # The review gate: a generation created with review=True waits after the gate phase
        # until a person approves it (on to the next phase) or cancels it.
        after = order[order.index(gate.status) + 1]
        allowed[gate.status] |= {Status.AWAITING_REVIEW.value}
        allowed[Status.AWAITING_REVIEW.value] = frozenset({after, Status.FAILED.value, Status.CANCELED.value})
    # Leaving COMPLETE, FAILED or CANCELED is only possible through an explicit restart:
    # a retry, or regenerating one scene of a finished video.
    for final in FINAL_STATUSES:
        allowed[final] = frozenset({Status.QUEUED.value})
    return allowed


RESTART_TRANSITIONS = frozenset((final, Status.QUEUED.value) for final in FINAL_STATUSES)


class AspectRatio(models.TextChoices):
    LANDSCAPE = "16:9", "16:9 landscape"
    PORTRAIT = "9:16", "9:16 portrait"
    SQUARE = "1:1", "1:1 square"


class VideoGeneration(models.Model):
    """One prompt's journey to a video. Field names are the seed's.

    The `*_url(s)` fields hold storage names (e.g. `final/<id>/video.mp4`), not URLs: users get
    the app's own link (`phases.storage.url_for`), whose view checks who asks and, on S3, makes
    a presigned URL at that moment.
    """

    id = models.CharField(primary_key=True, max_length=32, default=new_video_id, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="generations"
    )

    # Input
    prompt = models.TextField()
    uploaded_assets = models.JSONField(default=list, blank=True)
    duration = models.PositiveSmallIntegerField(default=30, help_text="Requested length in seconds.")
    aspect_ratio = models.CharField(max_length=8, choices=AspectRatio.choices, default=AspectRatio.LANDSCAPE)
    resolution = models.CharField(
        max_length=8,
        choices=[(name, name) for name in RESOLUTIONS],
        default=DEFAULT_RESOLUTION,
        help_text="The frame's short side: as asked for, or as a review edit of the spec changed it.",
    )
    seed = models.BigIntegerField(default=0)
    webhook_url = models.URLField(max_length=1000, blank=True, default="")
    review = models.BooleanField(default=False, help_text="Pause after the storyboard until approved.")
    approved_at = models.DateTimeField(null=True, blank=True)
    remixed_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="remixes"
    )

    # The whole request as the user made it (phases.request.GenerationRequest's JSON form):
    # every option, the ones with columns above included. The plan phase reads it, a remix
    # copies it.
    request = models.JSONField(default=dict, blank=True)

    # Spec (from phase 1)
    spec = models.JSONField(null=True, blank=True)
    template = models.CharField(max_length=32, null=True, blank=True)

    # Status
    status = models.CharField(max_length=32, choices=status_choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0, help_text="Percent, 0 to 100; never decreases.")
    current_phase = models.CharField(max_length=32, null=True, blank=True)
    error_message = models.TextField(null=True, blank=True)

    # Phase outputs (storage names)
    animatic_urls = models.JSONField(default=list, blank=True)
    reference_urls = models.JSONField(default=dict, blank=True)
    chunk_urls = models.JSONField(default=list, blank=True)
    stitched_url = models.CharField(max_length=500, null=True, blank=True)
    refined_url = models.CharField(max_length=500, null=True, blank=True)
    final_video_url = models.CharField(max_length=500, null=True, blank=True)
    poster_url = models.CharField(max_length=500, null=True, blank=True)
    subtitle_urls = models.JSONField(default=dict, blank=True, help_text='{"srt": name, "vtt": name}')

    # Metadata
    cost_usd = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal("0"))
    cost_breakdown = models.JSONField(default=dict, blank=True)
    generation_time_seconds = models.FloatField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=1, help_text="1 + the number of retries.")
    resumes = models.PositiveSmallIntegerField(
        default=0, help_text="Times the reconciler re-enqueued work whose job or worker was lost."
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "video_generations"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="generation_user_created"),
            models.Index(fields=["status", "created_at"], name="generation_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in active_statuses()

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def title(self) -> str:
        """The planner's title once there is a spec, the start of the prompt before."""
        if self.spec and self.spec.get("title"):
            return str(self.spec["title"])
        return self.prompt if len(self.prompt) <= 60 else self.prompt[:59].rstrip() + "…"

    @property
    def generation_request(self) -> GenerationRequest:
        return GenerationRequest.from_dict(self.request)

    @property
    def is_draft(self) -> bool:
        return self.resolution != DEFAULT_RESOLUTION

    @property
    def resolution_label(self) -> str:
        return describe_resolution(self.resolution)

    @property
    def frame_label(self) -> str:
        """The frame's size once planned (an edit in review may change it), and the resolution
        asked for until then."""
        if self.spec:
            return f"{self.spec['width']}×{self.spec['height']}"
        return self.resolution

    @property
    def orientation(self) -> str:
        """`landscape`, `portrait` or `square`: the name pages use for the frame's shape."""
        return AspectRatio(self.aspect_ratio).name.lower()


class StatusEvent(models.Model):
    """Every status change, so the admin shows a timeline even of moves no phase made."""

    generation = models.ForeignKey(VideoGeneration, on_delete=models.CASCADE, related_name="status_events")
    from_status = models.CharField(max_length=32, choices=status_choices)
    to_status = models.CharField(max_length=32, choices=status_choices)
    note = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a user sent with a create request, and what it created.

    The fingerprint is a hash of the validated request, so a replay with the same body
    finds its generation and a different body under the same key is told apart."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    generation = models.ForeignKey(VideoGeneration, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")]

    def __str__(self) -> str:
        return self.key


# Runs, batches and webhook records live in their own modules; importing them here is how
# Django finds their models.
from generations.batch_models import Batch, BatchItem  # noqa: E402, F401
from generations.run_models import CostEntry, PartRun, PhaseRun, Run, RunQuerySet  # noqa: E402, F401
from generations.webhook_models import WebhookDelivery, WebhookSecret  # noqa: E402, F401
