"""Each user's webhook signing secret: made, rotated and looked up here."""

from __future__ import annotations

import base64
import secrets
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from generations.models import WebhookSecret

PREFIX = "whsec_"
# 256 bits: HMAC-SHA256 gains nothing from a longer key.
SECRET_BYTES = 32


def webhook_secret_rotate(*, user: AbstractBaseUser) -> WebhookSecret:
    """Make a new secret for `user`, replacing any earlier one at once, and return it: the
    only time it is shown. Deliveries signed from now on use it."""
    record, _ = WebhookSecret.objects.update_or_create(
        user=user, defaults={"secret": _new_secret(), "created_at": timezone.now()}
    )
    return record


def webhook_secret_get(*, user_id: int) -> str:
    """The secret deliveries for `user_id` are signed with. A user who set a webhook URL
    without ever making a secret gets one here, which they learn by rotating."""
    record, _ = WebhookSecret.objects.get_or_create(
        user_id=user_id, defaults={"secret": _new_secret(), "created_at": timezone.now()}
    )
    return record.secret


def webhook_secret_made_at(*, user: AbstractBaseUser) -> datetime | None:
    """When the user's current secret was made; None when they have none yet."""
    return WebhookSecret.objects.filter(user=user).values_list("created_at", flat=True).first()


def _new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()
