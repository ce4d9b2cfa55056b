"""Bounded retries: when a provider call is tried again, and when it is not."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from toolbox.exceptions import ProviderError
from toolbox.retry import RetryLater, RetryPolicy, parse_retry_after, with_retries


class Flaky:
    """Fails with the given errors, in order, then answers "done"."""

    def __init__(self, *errors: ProviderError) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


QUICK = RetryPolicy(max_retries=3, base_delay=0.01, max_delay=0.2)


def test_retry_after_is_read_as_seconds_or_an_http_date():
    assert parse_retry_after("7") == 7.0
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 55 <= parse_retry_after(in_a_minute) <= 60
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_the_wait_doubles_with_jitter_and_never_passes_the_cap():
    assert 0.005 <= QUICK.backoff_delay(1) <= 0.01
    assert 0.02 <= QUICK.backoff_delay(3) <= 0.04
    assert QUICK.backoff_delay(20) <= 0.2
    assert QUICK.backoff_delay(1, retry_after=3600) == 0.2, "a provider's Retry-After is capped too"


def test_a_transient_failure_is_retried_until_it_succeeds():
    call = Flaky(ProviderError("503", retryable=True), RetryLater("429", provider="x", retry_after=0))
    assert with_retries(call, policy=QUICK) == "done"
    assert call.calls == 3


def test_a_permanent_failure_is_raised_at_once():
    call = Flaky(ProviderError("bad input", retryable=False))
    with pytest.raises(ProviderError, match=r"^bad input$"):
        with_retries(call, policy=QUICK)
    assert call.calls == 1


def test_retries_are_bounded_and_the_error_says_how_many_attempts_were_made():
    call = Flaky(*[ProviderError("503", retryable=True, provider="x") for _ in range(10)])
    with pytest.raises(ProviderError, match=r"^503 \(gave up after 4 attempts\)$") as failure:
        with_retries(call, policy=QUICK)
    assert call.calls == 4
    assert failure.value.retryable and failure.value.provider == "x"


def test_no_wait_is_started_that_would_end_after_the_deadline():
    call = Flaky(RetryLater("429", provider="x", retry_after=10))
    started = time.monotonic()
    with pytest.raises(ProviderError, match="gave up after 1 attempt"):
        with_retries(call, policy=QUICK, deadline=time.monotonic() + 0.1)
    assert time.monotonic() - started < 0.1
