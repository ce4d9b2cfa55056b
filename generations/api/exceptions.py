"""API errors beyond DRF's own."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from generations.policy import LimitExceeded

logger = logging.getLogger(__name__)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the generation's current state."
    default_code = "conflict"


class QueueUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The job queue is unavailable; try again shortly."
    default_code = "queue_unavailable"
    wait = 30


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus: a user past a limit of the policy is a 429 naming the limit, with
    Retry-After; Redis (queue, rate counts) being down is a 503 the client can retry, not a
    500."""
    if isinstance(exc, LimitExceeded):
        return Response(
            {"detail": exc.message, "limit": exc.limit},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(exc.retry_after)},
        )
    if isinstance(exc, RedisError):
        logger.error("redis unavailable during %s: %s", context.get("view"), exc)
        exc = QueueUnavailable()
    return drf_exception_handler(exc, context)
