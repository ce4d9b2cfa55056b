"""Telling a generation's `webhook_url` that it completed, failed or was canceled.

`services.generation_transition` enqueues `deliver` (through `generations.orchestration.dispatch`,
on the webhook queue, so a slow receiver never holds a pipeline worker) when a generation
with a webhook reaches a final status. Each attempt POSTs the VideoResponse JSON signed per
the Standard Webhooks specification with the owner's own secret (`webhook-id`,
`webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of id.timestamp.body>`), and
leaves a WebhookDelivery row; a failed attempt raises so RQ retries the job with backoff.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time

import httpx
from django.conf import settings
from rest_framework.renderers import JSONRenderer
from rq import get_current_job

from generations import selectors
from generations.models import VideoGeneration, WebhookDelivery
from generations.webhook_secrets import PREFIX, webhook_secret_get
from toolbox.ssrf import UnsafeURL, check_url, pinned

logger = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    """The receiver did not accept the webhook; RQ retries the job."""


def sign(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: `v1,` and the base64 HMAC-SHA256, keyed with the
    secret's decoded bytes, of `<id>.<timestamp>.<body>`. The id and the time are signed
    with the body so a captured delivery cannot be replayed later or as another one."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def deliver(video_id: str, event: str, cycle: int) -> None:
    """POST the generation's VideoResponse to its webhook_url (the body of an RQ job).

    Skipped when the generation is gone or has left the status announced (retried since):
    the body would describe a different state, and the new state sends its own webhook."""
    generation = VideoGeneration.objects.filter(id=video_id).first()
    if generation is None or generation.status != event or generation.attempts != cycle:
        logger.info("generation=%s webhook event=%s skipped: the generation has moved on", video_id, event)
        return
    if generation.user_id is None:
        logger.warning("generation=%s webhook event=%s skipped: no owner to sign for", video_id, event)
        return
    body = JSONRenderer().render(selectors.video_response(generation=generation))
    attempt = WebhookDelivery.objects.filter(generation=generation, event=event, cycle=cycle).count() + 1
    # The same id on every attempt, so a receiver can drop a retry it already handled.
    message_id = f"{video_id}-{cycle}-{event}"
    timestamp = int(time.time())
    secret = webhook_secret_get(user_id=generation.user_id)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "videogen-webhooks/1.0",
        "X-Videogen-Event": event,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret=secret, message_id=message_id, timestamp=timestamp, body=body),
    }
    started = time.monotonic()
    status_code, error, retryable = None, "", True
    try:
        status_code = _post(generation.webhook_url, body, headers)
        if not 200 <= status_code < 300:
            error = f"the receiver answered HTTP {status_code}"
    except UnsafeURL as exc:
        # The address changed since the URL was accepted; retrying will not make it public.
        error, retryable = f"refused: the URL {exc}", False
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        error = f"{exc.__class__.__name__}: {exc}".rstrip(": ")
    WebhookDelivery.objects.create(
        generation=generation,
        event=event,
        cycle=cycle,
        attempt=attempt,
        url=generation.webhook_url,
        payload=json.loads(body),
        status_code=status_code,
        ok=not error,
        error=error[:2000],
        duration_ms=round((time.monotonic() - started) * 1000),
    )
    if not error:
        logger.info("generation=%s webhook event=%s delivered attempt=%s", video_id, event, attempt)
        return
    logger.warning("generation=%s webhook event=%s attempt=%s failed: %s", video_id, event, attempt, error)
    # Outside a worker (called directly) no one would retry, and raising would stop the
    # caller's own work for the sake of a notification.
    if retryable and get_current_job() is not None:
        raise DeliveryFailed(error)


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    target = check_url(url, allow_private=settings.ALLOW_PRIVATE_URLS)
    request_url, headers, extensions = pinned(target, headers)
    # trust_env=False: an HTTP(S)_PROXY from the environment would connect elsewhere.
    with (
        httpx.Client(timeout=settings.WEBHOOK_TIMEOUT, follow_redirects=False, trust_env=False) as client,
        client.stream("POST", request_url, content=body, headers=headers, extensions=extensions) as response,
    ):
        # The status is all we need; a receiver's body is never read, however large.
        return response.status_code
