"""The user's reference images: fetched safely, checked, re-encoded and fitted to the frame.

A URL is fetched only from public addresses, checked again after DNS resolution and on
every redirect, with a size and a time limit; whatever arrives is decoded under a pixel
limit (decompression bombs are refused) and re-encoded, so no byte of the original file
reaches a later phase.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from phases.request import MAX_ASSET_BYTES, MAX_ASSET_PIXELS
from phases.storage import local_copy
from toolbox.exceptions import PhaseException
from toolbox.ssrf import UnsafeURL, check_url, pinned

MAX_REDIRECTS = 3


def image_assets(assets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        asset for asset in assets if asset.get("type") == "image" and (asset.get("url") or asset.get("name"))
    ]


def fit_reference(asset: dict[str, Any], out_path: Path, *, size: tuple[int, int], workdir: Path) -> None:
    """Write the asset, cover-cropped to `size`, as an RGB PNG at `out_path`. Raises
    PhaseException saying what was wrong with it."""
    source = local_copy(asset["name"], workdir) if asset.get("name") else download(asset["url"], workdir)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                if image.width * image.height > MAX_ASSET_PIXELS:
                    raise PhaseException(f"is {image.width}x{image.height}, more pixels than allowed")
                picture = ImageOps.exif_transpose(image).convert("RGB")
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
    ) as exc:
        raise PhaseException(f"is not an image that can be used ({exc.__class__.__name__})") from None
    ImageOps.fit(picture, size, Image.Resampling.LANCZOS).save(out_path, format="PNG")


def download(url: str, workdir: Path) -> Path:
    """GET a public http(s) URL into `workdir`, following at most MAX_REDIRECTS redirects,
    each one checked like the first."""
    deadline = time.monotonic() + settings.ASSET_TIMEOUT
    target_path = workdir / "asset.download"
    for _ in range(MAX_REDIRECTS + 1):
        try:
            target = check_url(url, allow_private=settings.ALLOW_PRIVATE_URLS)
        except UnsafeURL as exc:
            raise PhaseException(f"URL {exc}") from None
        request_url, headers, extensions = pinned(target, {"Accept": "image/*"})
        remaining = max(deadline - time.monotonic(), 0.1)
        try:
            with (
                httpx.Client(timeout=remaining, follow_redirects=False, trust_env=False) as client,
                client.stream("GET", request_url, headers=headers, extensions=extensions) as response,
            ):
                if response.is_redirect:
                    url = urljoin(url, response.headers.get("location", ""))
                    continue
                if response.status_code != 200:
                    raise PhaseException(f"answered HTTP {response.status_code}")
                _save_limited(response, target_path, deadline)
                return target_path
        except httpx.HTTPError as exc:
            raise PhaseException(f"could not be downloaded ({exc.__class__.__name__})") from None
    raise PhaseException(f"redirected more than {MAX_REDIRECTS} times")


def _save_limited(response: httpx.Response, path: Path, deadline: float) -> None:
    received = 0
    with path.open("wb") as sink:
        for block in response.iter_bytes(64 * 1024):
            received += len(block)
            if received > MAX_ASSET_BYTES:
                raise PhaseException(f"is larger than {MAX_ASSET_BYTES} bytes")
            if time.monotonic() > deadline:
                raise PhaseException(f"took longer than {settings.ASSET_TIMEOUT} s to download")
            sink.write(block)
