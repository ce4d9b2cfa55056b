"""Webhook records: each delivery attempt, and each user's signing secret."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from generations.models import Status, VideoGeneration


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
