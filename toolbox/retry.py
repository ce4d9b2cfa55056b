"""Bounded retries with exponential backoff for provider calls, through tenacity.

Adapters turn vendor errors into `ProviderError(retryable=...)` first; this module only
decides whether and when to try again. Rate limits, 5xx and timeouts are worth a few more
tries; anything else fails at once with the provider's own message.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from django.conf import settings
from tenacity import RetryCallState, RetryError, Retrying, retry_if_exception, stop_after_attempt

from toolbox.exceptions import ProviderError

logger = logging.getLogger(__name__)

T = TypeVar("T")


class RetryLater(ProviderError):
    """A retryable failure that says how long to wait first (a 429's or 503's Retry-After)."""

    def __init__(self, message: str, *, provider: str, retry_after: float | None) -> None:
        super().__init__(message, retryable=True, provider=provider)
        self.retry_after = retry_after


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP date), if it has one."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def backoff_delay(attempt: int, retry_after: float | None = None) -> float:
    """Seconds before attempt `attempt + 1`: the provider's Retry-After when it gave one, else
    doubling from the base with jitter (so parallel chunk jobs do not retry in lockstep);
    never more than PROVIDER_RETRY_MAX_DELAY."""
    cap = settings.PROVIDER_RETRY_MAX_DELAY
    if retry_after is not None:
        return min(retry_after, cap)
    delay = min(settings.PROVIDER_RETRY_BASE_DELAY * 2 ** (attempt - 1), cap)
    return delay * random.uniform(0.5, 1.0)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


def _wait(state: RetryCallState) -> float:
    failure = state.outcome.exception() if state.outcome else None
    return backoff_delay(state.attempt_number, getattr(failure, "retry_after", None))


def _past(deadline: float | None) -> Callable[[RetryCallState], bool]:
    """Stop rather than start a wait that would end after `deadline` (tenacity works out the
    wait before it asks whether to stop)."""

    def stop(state: RetryCallState) -> bool:
        return deadline is not None and time.monotonic() + (state.upcoming_sleep or 0) > deadline

    return stop


def _log(state: RetryCallState) -> None:
    failure = state.outcome.exception() if state.outcome else None
    logger.warning(
        "retry %d of %d in %.2fs after: %s",
        state.attempt_number,
        settings.PROVIDER_MAX_RETRIES,
        state.upcoming_sleep,
        failure,
    )


def with_retries(call: Callable[[], T], *, deadline: float | None = None) -> T:
    """Run `call`, retrying a retryable ProviderError up to PROVIDER_MAX_RETRIES times.

    `deadline` (a `time.monotonic()` value) stops the retries early when the next wait would
    end after it. The last error is raised, saying how many attempts were made."""
    retrying = Retrying(
        retry=retry_if_exception(_retryable),
        wait=_wait,
        stop=stop_after_attempt(max(settings.PROVIDER_MAX_RETRIES, 0) + 1) | _past(deadline),
        before_sleep=_log,
    )
    try:
        return retrying(call)
    except RetryError as gave_up:
        last = gave_up.last_attempt
        exc = last.exception()
        assert isinstance(exc, ProviderError)
        attempts = last.attempt_number
        raise ProviderError(
            f"{exc} (gave up after {attempts} attempt{'s' if attempts > 1 else ''})",
            retryable=True,
            provider=exc.provider,
        ) from exc
