"""Bounded retries with exponential backoff for provider calls, through tenacity.

Adapters turn vendor errors into `ProviderError(retryable=...)` first; this module only
decides whether and when to try again. Rate limits, 5xx and timeouts are worth a few more
tries; anything else fails at once with the provider's own message. How many tries and how
long the waits are is a `RetryPolicy` the caller passes in: the toolbox reads no settings.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

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


@dataclass(frozen=True)
class RetryPolicy:
    """At most `max_retries` tries after the first, waiting from `base_delay` seconds,
    doubling, never more than `max_delay` (a provider's Retry-After is capped too)."""

    max_retries: int
    base_delay: float
    max_delay: float

    def backoff_delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds before attempt `attempt + 1`: the provider's Retry-After when it gave one,
        else doubling from the base with jitter (so parallel chunk jobs do not retry in
        lockstep)."""
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        delay = min(self.base_delay * 2 ** (attempt - 1), self.max_delay)
        return delay * random.uniform(0.5, 1.0)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.retryable


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    def wait(state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        return policy.backoff_delay(state.attempt_number, getattr(failure, "retry_after", None))

    return wait


def _past(deadline: float | None) -> Callable[[RetryCallState], bool]:
    """Stop rather than start a wait that would end after `deadline` (tenacity works out the
    wait before it asks whether to stop)."""

    def stop(state: RetryCallState) -> bool:
        return deadline is not None and time.monotonic() + (state.upcoming_sleep or 0) > deadline

    return stop


def _log(policy: RetryPolicy) -> Callable[[RetryCallState], None]:
    def log(state: RetryCallState) -> None:
        failure = state.outcome.exception() if state.outcome else None
        logger.warning(
            "retry %d of %d in %.2fs after: %s",
            state.attempt_number,
            policy.max_retries,
            state.upcoming_sleep,
            failure,
        )

    return log


def with_retries(call: Callable[[], T], *, policy: RetryPolicy, deadline: float | None = None) -> T:
    """Run `call`, retrying a retryable ProviderError up to `policy.max_retries` times.

    `deadline` (a `time.monotonic()` value) stops the retries early when the next wait would
    end after it. The last error is raised, saying how many attempts were made."""
    retrying = Retrying(
        retry=retry_if_exception(_retryable),
        wait=_wait(policy),
        stop=stop_after_attempt(max(policy.max_retries, 0) + 1) | _past(deadline),
        before_sleep=_log(policy),
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
