"""The seed's exceptions, plus the provider error that says whether a retry can help."""

from __future__ import annotations


class VideoGenException(Exception):
    """Base exception for video generation."""


class PhaseException(VideoGenException):
    """Exception during phase execution."""


class ExternalAPIException(VideoGenException):
    """Exception from an external API."""


class ValidationException(VideoGenException):
    """Validation error (a spec or an input that breaks the contract)."""


class ProviderError(ExternalAPIException):
    """A provider call failed. `retryable` says whether trying again may succeed
    (rate limits, 5xx, timeouts) or not (bad input, auth, a model's refusal)."""

    def __init__(self, message: str, *, retryable: bool = False, provider: str = "") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.provider = provider


class BudgetExceeded(VideoGenException):
    """A paid call would take the generation over its cost cap; nothing was spent."""


class MediaError(PhaseException):
    """ffmpeg or ffprobe failed; the message carries the command and stderr's tail."""
