"""Predictions on one Replicate account, through the official `replicate` client.

Every call is one prediction: created (429 and 5xx retried with backoff), polled with a
growing interval, canceled whenever we stop waiting for it (our own deadline, the RQ job's
timeout, any error), and its output downloaded into the work directory at once, because
Replicate deletes outputs after an hour. Vendor errors become `ProviderError` here.
"""

from __future__ import annotations

import base64
import io
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import replicate
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from PIL import Image
from replicate.exceptions import ReplicateError
from replicate.prediction import Prediction
from replicate.version import Versions

from providers.costs import CostMeter
from providers.http import download, retry_policy
from toolbox.exceptions import ProviderError
from toolbox.retry import RetryLater, parse_retry_after, with_retries

logger = logging.getLogger(__name__)

PROVIDER = "replicate"
FINISHED = frozenset({"succeeded", "failed", "canceled"})
MAX_POLL_INTERVAL = 5.0
# An image input is sent as a JPEG no longer than this on its long side.
FIRST_FRAME_LONG_SIDE = 1280


class _Retryable(Exception):
    """A 429 or 5xx answer, caught before the client turns it into a ReplicateError that
    no longer carries the Retry-After header."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.status = response.status_code
        self.retry_after = parse_retry_after(response.headers.get("Retry-After"))
        try:
            body = response.json()
        except ValueError:
            body = None
        self.detail = (body.get("detail") or body.get("title")) if isinstance(body, dict) else None


def _raise_retryable(response: httpx.Response) -> None:
    if response.status_code == 429 or response.status_code >= 500:
        response.read()
        raise _Retryable(response)


@contextmanager
def _vendor_errors(what: str) -> Iterator[None]:
    """Turn whatever the client raises into ProviderError, saying whether a retry can help."""
    try:
        yield
    except _Retryable as exc:
        reason = f"HTTP {exc.status}" + (f": {exc.detail}" if exc.detail else "")
        raise RetryLater(
            f"Replicate: {what}: {reason}", provider=PROVIDER, retry_after=exc.retry_after
        ) from exc
    except ReplicateError as exc:
        reason = exc.detail or exc.title or "no details"
        raise ProviderError(f"Replicate: {what}: HTTP {exc.status}: {reason}", provider=PROVIDER) from exc
    except httpx.TransportError as exc:
        raise ProviderError(
            f"Replicate: {what}: {exc.__class__.__name__} {exc}".rstrip(), retryable=True, provider=PROVIDER
        ) from exc
    except ValueError as exc:
        # A body that is not JSON, or JSON that is not a prediction: a broken response, not a refusal.
        raise ProviderError(
            f"Replicate: {what}: malformed response ({exc.__class__.__name__})",
            retryable=True,
            provider=PROVIDER,
        ) from exc


class Predictions:
    """Runs predictions on one Replicate account."""

    def __init__(self) -> None:
        if not settings.REPLICATE_API_TOKEN:
            raise ImproperlyConfigured("the Replicate providers need REPLICATE_API_TOKEN to be set")
        self._client = replicate.Client(
            api_token=settings.REPLICATE_API_TOKEN,
            base_url=settings.REPLICATE_BASE_URL,
            timeout=httpx.Timeout(30.0, connect=10.0),
            # A mount for every URL bypasses the client's RetryTransport, which retries polls
            # ten times and sleeps through any Retry-After however long: retries are ours.
            mounts={"all://": httpx.HTTPTransport()},
            event_hooks={"response": [_raise_retryable]},
        )

    def openapi_schema(self, name: str, version: str) -> dict[str, Any]:
        """The OpenAPI description of `name` (`owner/name`) at `version`, or at its latest
        version when `version` is empty."""
        what = f"reading the schema of {name}"

        def fetch() -> dict[str, Any]:
            with _vendor_errors(what):
                if version:
                    found = Versions(self._client, name).get(version)
                else:
                    found = self._client.models.get(name).latest_version
            if found is None:
                raise ProviderError(f"Replicate: {what}: the model has no version", provider=PROVIDER)
            return found.openapi_schema

        return with_retries(fetch, policy=retry_policy())

    def image_input(self, path: Path, *, what: str) -> str:
        """`path` as a model's image input: a JPEG no longer than FIRST_FRAME_LONG_SIDE, inline
        as a data URL when small (no upload, and no URL of ours must be reachable), else sent
        through Replicate's files API and passed by the URL it answers."""
        with Image.open(path) as image:
            image = image.convert("RGB")
            image.thumbnail((FIRST_FRAME_LONG_SIDE, FIRST_FRAME_LONG_SIDE), Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            image.save(buffer, format="JPEG", quality=90)
        if buffer.tell() <= settings.REPLICATE_INLINE_IMAGE_MAX_BYTES:
            return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")

        def upload() -> str:
            buffer.seek(0)
            with _vendor_errors(f"uploading the first frame of {what}"):
                uploaded = self._client.files.create(
                    buffer, filename=f"{path.stem}.jpg", content_type="image/jpeg"
                )
            return uploaded.urls["get"]

        return with_retries(upload, policy=retry_policy())

    def run(self, model: str, inputs: dict[str, Any], *, what: str, meter: CostMeter) -> Prediction:
        """Run `model` (`owner/name:version` or `owner/name`) and return its finished prediction.

        Raises ProviderError when the prediction fails, is canceled, or does not finish within
        REPLICATE_PREDICTION_TIMEOUT. Whatever ends the wait early, the prediction is canceled
        so it stops costing money."""
        prediction = with_retries(partial(self._create, model, inputs, what), policy=retry_policy())
        logger.info("replicate prediction=%s model=%s %s: created", prediction.id, model, what)
        meter.remote_work(provider=PROVIDER, work_id=prediction.id, running=True)
        try:
            prediction = self._wait(prediction, what)
        except BaseException:
            self.cancel(prediction.id, what)
            raise
        finally:
            meter.remote_work(provider=PROVIDER, work_id=prediction.id, running=False)
        if prediction.status == "failed":
            raise ProviderError(
                f"Replicate: {what} failed: {prediction.error or 'no error given'}", provider=PROVIDER
            )
        if prediction.status == "canceled":
            raise ProviderError(f"Replicate: {what} was canceled on Replicate", provider=PROVIDER)
        logger.info("replicate prediction=%s %s: succeeded", prediction.id, what)
        return prediction

    def _create(self, model: str, inputs: dict[str, Any], what: str) -> Prediction:
        name, _, version = model.partition(":")
        with _vendor_errors(what):
            if version:
                return self._client.predictions.create(version=version, input=inputs)
            return self._client.models.predictions.create(model=name, input=inputs)

    def _get(self, prediction_id: str, what: str) -> Prediction:
        with _vendor_errors(what):
            return self._client.predictions.get(prediction_id)

    def _wait(self, prediction: Prediction, what: str) -> Prediction:
        timeout = settings.REPLICATE_PREDICTION_TIMEOUT
        deadline = time.monotonic() + timeout
        interval = settings.REPLICATE_POLL_INTERVAL
        poll = partial(self._get, prediction.id, what)
        while prediction.status not in FINISHED:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProviderError(
                    f"Replicate: {what} did not finish within {timeout:g} s, so we canceled it",
                    retryable=True,
                    provider=PROVIDER,
                )
            time.sleep(min(interval, remaining))
            interval = min(interval * 1.5, MAX_POLL_INTERVAL)
            prediction = with_retries(poll, policy=retry_policy(), deadline=deadline)
        return prediction

    def cancel(self, prediction_id: str, what: str) -> None:
        """One attempt, never raising: it runs while another error is on its way up."""
        try:
            with _vendor_errors(what):
                self._client.predictions.cancel(prediction_id)
        except ProviderError as exc:
            logger.warning("replicate prediction=%s %s: could not cancel: %s", prediction_id, what, exc)
        else:
            logger.info("replicate prediction=%s %s: canceled", prediction_id, what)


class CancelsPredictions:
    """The adapters' `cancel`: a class method, since stopping a prediction needs only the
    account, while building an adapter reads its model's schema from Replicate."""

    @classmethod
    def cancel(cls, work_id: str) -> None:
        Predictions().cancel(work_id, "work of a canceled generation")


def output_urls(output: Any) -> list[str]:
    """The files of an output: a list of URLs (SDXL, Zeroscope, FLUX) or one URL (most others)."""
    items = output if isinstance(output, list) else [output]
    return [item for item in items if isinstance(item, str) and item]


def fetch_output(output: Any, out_path: Path, what: str) -> Path:
    """Download the first file of a finished prediction's output next to `out_path`."""
    urls = output_urls(output)
    if not urls:
        raise ProviderError(f"Replicate: {what} finished without an output file", provider=PROVIDER)
    target = out_path.with_name(f"{out_path.stem}-replicate{Path(urlsplit(urls[0]).path).suffix}")
    return download(urls[0], target, provider=PROVIDER, what=f"Replicate: {what}")
