"""The generation record (the seed's VideoGeneration), its phase attempts and its cost ledger.

Nothing outside `generations.services` assigns `VideoGeneration.status`; the allowed moves
are `ALLOWED_TRANSITIONS` below.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models

from phases.request import GenerationRequest


def new_video_id() -> str:
    return uuid.uuid4().hex


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    VALIDATING = "validating", "Planning"
    GENERATING_ANIMATIC = "generating_animatic", "Storyboard"
    AWAITING_REVIEW = "awaiting_review", "Awaiting review"
    GENERATING_REFERENCES = "generating_references", "References"
    GENERATING_CHUNKS = "generating_chunks", "Rendering scenes"
    REFINING = "refining", "Stitching and music"
    EXPORTING = "exporting", "Exporting"
    COMPLETE = "complete", "Complete"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


# The forward path, in order. A generation moves one step at a time along it.
PIPELINE_ORDER: tuple[Status, ...] = (
    Status.QUEUED,
    Status.VALIDATING,
    Status.GENERATING_ANIMATIC,
    Status.GENERATING_REFERENCES,
    Status.GENERATING_CHUNKS,
    Status.REFINING,
    Status.EXPORTING,
    Status.COMPLETE,
)
# A generation awaiting review is not finished, but no job works on it until it is approved.
ACTIVE_STATUSES = frozenset({*PIPELINE_ORDER[:-1], Status.AWAITING_REVIEW})
FINAL_STATUSES = frozenset({Status.COMPLETE, Status.FAILED, Status.CANCELED})


def _allowed_transitions() -> dict[Status, frozenset[Status]]:
    allowed: dict[Status, frozenset[Status]] = {}
    for current, following in zip(PIPELINE_ORDER, PIPELINE_ORDER[1:]):
        allowed[current] = frozenset({following, Status.FAILED, Status.CANCELED})
    # The review gate: a generation created with review=True waits after its storyboard
    # until a person approves it (on to the references) or cancels it.
    allowed[Status.GENERATING_ANIMATIC] |= {Status.AWAITING_REVIEW}
    allowed[Status.AWAITING_REVIEW] = frozenset(
        {Status.GENERATING_REFERENCES, Status.FAILED, Status.CANCELED}
    )
    # Leaving COMPLETE, FAILED or CANCELED is only possible through an explicit restart:
    # a retry, or regenerating one scene of a finished video.
    allowed[Status.COMPLETE] = frozenset({Status.QUEUED})
    allowed[Status.FAILED] = frozenset({Status.QUEUED})
    allowed[Status.CANCELED] = frozenset({Status.QUEUED})
    return allowed


ALLOWED_TRANSITIONS = _allowed_transitions()
RESTART_TRANSITIONS = frozenset(
    {(Status.FAILED, Status.QUEUED), (Status.CANCELED, Status.QUEUED), (Status.COMPLETE, Status.QUEUED)}
)


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
    status = models.CharField(max_length=32, choices=Status.choices, default=Status.QUEUED)
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
        return self.status in ACTIVE_STATUSES

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
    def orientation(self) -> str:
        """`landscape`, `portrait` or `square`: the name pages use for the frame's shape."""
        return AspectRatio(self.aspect_ratio).name.lower()


class PhaseRun(models.Model):
    """One attempt at one phase of one generation: the timeline the admin and pages show."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"
        # Succeeded once, then replaced when one scene of the finished video was regenerated.
        SUPERSEDED = "superseded", "Superseded"

    generation = models.ForeignKey(VideoGeneration, on_delete=models.CASCADE, related_name="phase_runs")
    phase = models.CharField(max_length=32)
    attempt = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal("0"))
    output_data = models.JSONField(default=dict, blank=True)
    error_message = models.TextField(null=True, blank=True)
    # Sub-progress inside the phase, e.g. {"done": 3, "total": 6}.
    detail = models.JSONField(default=dict, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

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
        ]
        indexes = [models.Index(fields=["phase", "status", "-finished_at"], name="phase_run_recent")]

    def __str__(self) -> str:
        return f"{self.phase} #{self.attempt} ({self.status})"


class PartRun(models.Model):
    """One part of a fan-out phase (one chunk of the chunks phase), rendered by its own job.

    Keyed by (generation, phase, index), not by PhaseRun, so a retry of the phase reuses
    the parts an earlier attempt finished."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    generation = models.ForeignKey(VideoGeneration, on_delete=models.CASCADE, related_name="part_runs")
    phase = models.CharField(max_length=32)
    index = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=4, default=Decimal("0"))
    output_data = models.JSONField(default=dict, blank=True)
    error_message = models.TextField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

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


class StatusEvent(models.Model):
    """Every status change, so the admin shows a timeline even of moves no phase made."""

    generation = models.ForeignKey(VideoGeneration, on_delete=models.CASCADE, related_name="status_events")
    from_status = models.CharField(max_length=32, choices=Status.choices)
    to_status = models.CharField(max_length=32, choices=Status.choices)
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


class WebhookDelivery(models.Model):
    """One attempt at POSTing a final status to a generation's `webhook_url`."""

    generation = models.ForeignKey(
        VideoGeneration, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    event = models.CharField(max_length=32, choices=Status.choices, help_text="The final status announced.")
    cycle = models.PositiveSmallIntegerField(help_text="The generation's attempt that reached the status.")
    attempt = models.PositiveSmallIntegerField()
    url = models.URLField(max_length=1000)
    payload = models.JSONField(default=dict)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    error = models.TextField(blank=True, default="")
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} #{self.attempt} → {self.status_code or self.error[:40]}"


class WebhookSecret(models.Model):
    """The key a user's receivers check webhook deliveries with: Standard Webhooks' form,
    `whsec_` and the base64 of random bytes. Shown to the user once, when it is made;
    rotating replaces it at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_secret"
    )
    secret = models.CharField(max_length=100)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"webhook secret of {self.user_id} made {self.created_at:%Y-%m-%d %H:%M}"


# Batches live in their own module; importing them here is how Django finds their models.
from generations.batch_models import Batch, BatchItem  # noqa: E402, F401
