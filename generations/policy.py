"""One per-user policy for every path that creates or re-runs work: a rate of starts and a
cap on generations active at once.

The services call `admit` inside the transaction that starts the work (create, remix,
retry, regenerate a scene, approve, edit a spec), so a form, the API, the admin or a batch
cannot go around it. Past a limit it raises `LimitExceeded`, which the API answers with 429
and Retry-After and the pages show on the form.
"""

from __future__ import annotations

import functools
import logging
import uuid
from dataclasses import dataclass

import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from redis.commands.core import Script

from generations.models import VideoGeneration, active_statuses

logger = logging.getLogger(__name__)

# GENERATE_RATE's period (checked by the settings) by its first letter: seconds and words.
PERIODS = {"s": (1, "second"), "m": (60, "minute"), "h": (3600, "hour"), "d": (86400, "day")}
# Generations report progress every few seconds; asking again sooner than this after the
# active cap refused cannot find a slot that was not there.
ACTIVE_RETRY_AFTER = 30

# A sliding window of start times in a sorted set, checked and appended in one script so
# two web processes cannot both take the last start. Redis's own clock: web hosts' clocks
# may disagree. Returns {admitted, milliseconds until the oldest start leaves the window}.
_TAKE_START = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {0, tonumber(oldest[2]) + window - now_ms}
end
redis.call('ZADD', KEYS[1], now_ms, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return {1, 0}
"""


@dataclass
class LimitExceeded(Exception):
    """The user is past a limit; nothing was started. `limit` is "rate" or "active"."""

    limit: str
    message: str
    retry_after: int

    def __str__(self) -> str:
        return self.message


def admit(*, user: AbstractBaseUser | None, starts_generation: bool) -> None:
    """Let `user` start (`starts_generation`: a new active generation, or a finished one
    made active again) or re-run work, or raise LimitExceeded naming the limit.

    Must run inside the transaction that makes the generation active: it locks the user's
    row, so two parallel requests count each other's generations instead of both seeing the
    last free slot. A start taken from the rate is not given back if that transaction later
    rolls back. Work with no user (the `generate` command) is not limited."""
    if user is None or _exempt(user):
        return
    if not connection.in_atomic_block:
        raise RuntimeError("policy.admit must run inside the transaction that starts the work")
    cap = settings.MAX_ACTIVE_GENERATIONS_PER_USER
    if starts_generation and cap:
        get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
        if _active_count(user) >= cap:
            raise _refused(
                user,
                limit="active",
                message=f"You have {_counted(cap, 'video')} in progress, the most at once; "
                "wait for one to finish or cancel one.",
                retry_after=ACTIVE_RETRY_AFTER,
            )
    _take_start(user)


def active_slots_left(user: AbstractBaseUser) -> int | None:
    """How many more generations `user` may have running now (None: no cap). Raises
    nothing: for callers that plan work ahead, such as a batch deciding what to start."""
    cap = settings.MAX_ACTIVE_GENERATIONS_PER_USER
    if not cap or _exempt(user):
        return None
    return max(0, cap - _active_count(user))


def _exempt(user: AbstractBaseUser) -> bool:
    return settings.LIMITS_EXEMPT_STAFF and getattr(user, "is_staff", False)


def _active_count(user: AbstractBaseUser) -> int:
    return VideoGeneration.objects.filter(user=user, status__in=active_statuses()).count()


def _take_start(user: AbstractBaseUser) -> None:
    rate = settings.GENERATE_RATE
    if not rate:
        return
    count, period = rate.split("/")
    seconds, period_name = PERIODS[period[0]]
    admitted, wait_ms = _rate_script()(
        keys=[_rate_key(user)], args=[seconds * 1000, int(count), uuid.uuid4().hex]
    )
    if not admitted:
        raise _refused(
            user,
            limit="rate",
            message=f"You have started work {_counted(int(count), 'time')} in the last {period_name} "
            "(new videos, remixes, retries, regenerated scenes, edits and approvals), the most allowed; "
            "try again later.",
            retry_after=max(1, -(-int(wait_ms) // 1000)),
        )


def _refused(user: AbstractBaseUser, **reason: object) -> LimitExceeded:
    refusal = LimitExceeded(**reason)  # type: ignore[arg-type]
    logger.info("user=%s refused by the %s limit", user.pk, refusal.limit)
    return refusal


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _rate_key(user: AbstractBaseUser) -> str:
    # Under the throttle cache's prefix, so whatever empties or separates that cache (a test's
    # own prefix, a shared Redis) treats these counts the same way.
    prefix = settings.CACHES["throttle"].get("KEY_PREFIX", "")
    return f"{prefix}:limits:starts:{user.pk}"


def _rate_script() -> Script:
    return _client(settings.CACHES["throttle"]["LOCATION"]).register_script(_TAKE_START)


@functools.cache
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)
