"""Telling a generation's `webhook_url` that it completed, failed or was canceled.

`services.generation_transition` enqueues `deliver` (through `generations.orchestration.dispatch`) when a
generation with a webhook reaches a final status. Each attempt POSTs the VideoResponse
JSON, signed with `X-Videogen-Signature: sha256=<HMAC-SHA256 of the body>`, and leaves a
WebhookDelivery row; a failed attempt raises so RQ retries the job with backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

import httpx
from django.conf import settings
from rest_framework.renderers import JSONRenderer
from rq import get_current_job

from generations.api.serializers import VideoResponseSerializer
from generations.models import VideoGeneration, WebhookDelivery
from toolbox.ssrf import UnsafeURL, check_url, pinned

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Videogen-Signature"


class DeliveryFailed(Exception):
    """The receiver did not accept the webhook; RQ retries the job."""


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(settings.WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()


def deliver(video_id: str, event: str, cycle: int) -> None:
    """POST the generation's VideoResponse to its webhook_url (the body of an RQ job).

    Skipped when the generation is gone or has left the status announced (retried since):
    the body would describe a different state, and the new state sends its own webhook."""
    generation = VideoGeneration.objects.filter(id=video_id).first()
    if generation is None or generation.status != event or generation.attempts != cycle:
        logger.info("generation=%s webhook event=%s skipped: the generation has moved on", video_id, event)
        return
    body = JSONRenderer().render(VideoResponseSerializer(generation).data)
    attempt = WebhookDelivery.objects.filter(generation=generation, event=event, cycle=cycle).count() + 1
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "videogen-webhooks/1.0",
        "X-Videogen-Event": event,
        "X-Videogen-Delivery": f"{video_id}-{cycle}-{event}",
        SIGNATURE_HEADER: sign(body),
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
    # Outside a worker (dispatch.inline()) no one would retry, and raising would stop the
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
