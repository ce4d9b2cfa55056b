"""Fetching a provider's output files into the work directory, with size and time limits.

Remote outputs are temporary (Replicate deletes them after an hour), so adapters download
them as soon as a prediction ends. A download that is too big or too slow is refused rather
than left to fill the disk or hold a worker.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from toolbox.exceptions import ProviderError
from toolbox.retry import RetryLater, RetryPolicy, parse_retry_after, with_retries

CHUNK_SIZE = 1024 * 1024


def retry_policy() -> RetryPolicy:
    """How every provider call retries, from the settings as they are when the call is made."""
    return RetryPolicy(
        max_retries=settings.PROVIDER_MAX_RETRIES,
        base_delay=settings.PROVIDER_RETRY_BASE_DELAY,
        max_delay=settings.PROVIDER_RETRY_MAX_DELAY,
    )


def download(url: str, dest: Path, *, provider: str, what: str) -> Path:
    """Fetch `url` into `dest`, retrying transient failures; returns `dest`. `what` names the
    file in error messages (e.g. "Replicate: SDXL image for scene 2").

    Refuses more than PROVIDER_DOWNLOAD_MAX_BYTES and takes at most PROVIDER_DOWNLOAD_TIMEOUT
    seconds per attempt. A partial file never stays behind under `dest`."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise ProviderError(f"{what}: cannot download from {url[:200]}", provider=provider)
    return with_retries(lambda: _fetch(url, Path(dest), provider, what), policy=retry_policy())


def _fetch(url: str, dest: Path, provider: str, what: str) -> Path:
    limit = settings.PROVIDER_DOWNLOAD_MAX_BYTES
    deadline = time.monotonic() + settings.PROVIDER_DOWNLOAD_TIMEOUT
    partial = dest.with_name(dest.name + ".part")
    try:
        # No credentials are sent: output URLs are signed on their own, and the host is
        # not necessarily the API's.
        with httpx.stream(
            "GET", url, follow_redirects=True, timeout=httpx.Timeout(30.0, connect=10.0)
        ) as response:
            _check_status(response, provider, what)
            declared = int(response.headers.get("Content-Length") or 0)
            if declared > limit:
                raise _too_big(provider, what, limit)
            received = 0
            with partial.open("wb") as sink:
                for chunk in response.iter_bytes(CHUNK_SIZE):
                    received += len(chunk)
                    if received > limit:
                        raise _too_big(provider, what, limit)
                    if time.monotonic() > deadline:
                        raise ProviderError(
                            f"{what}: download took longer than {settings.PROVIDER_DOWNLOAD_TIMEOUT:g} s",
                            retryable=True,
                            provider=provider,
                        )
                    sink.write(chunk)
        if received == 0:
            raise ProviderError(f"{what}: downloaded an empty file", retryable=True, provider=provider)
        partial.replace(dest)
        return dest
    except httpx.TransportError as exc:
        raise ProviderError(
            f"{what}: download failed: {exc.__class__.__name__} {exc}".rstrip(),
            retryable=True,
            provider=provider,
        ) from exc
    finally:
        partial.unlink(missing_ok=True)


def _check_status(response: httpx.Response, provider: str, what: str) -> None:
    status = response.status_code
    if status < 400:
        return
    message = f"{what}: download failed with HTTP {status}"
    if status == 429 or status >= 500:
        raise RetryLater(
            message, provider=provider, retry_after=parse_retry_after(response.headers.get("Retry-After"))
        )
    raise ProviderError(message, provider=provider)


def _too_big(provider: str, what: str, limit: int) -> ProviderError:
    return ProviderError(f"{what}: the file is larger than the {limit} byte limit", provider=provider)
