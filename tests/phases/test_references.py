"""The user's reference images become the first scenes' pictures: uploads and URLs, safely."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image

from generations.models import Status
from phases.request import GenerationRequest
from tests.generations.orchestration.test_pipeline import final_path, frame_at, scene_middle

pytestmark = pytest.mark.django_db(transaction=True)


def png(color: tuple[int, int, int], size: tuple[int, int] = (640, 360)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def image_server() -> Iterator[str]:
    """A local server with an image behind a redirect, and one that is too big."""
    red = png((220, 20, 20))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/moved":
                self.send_response(302)
                self.send_header("Location", "/red.png")
                self.end_headers()
                return
            body = red if self.path == "/red.png" else b"x" * 4096
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def mean_color(generation, scene: int, tmp_path) -> np.ndarray:
    return frame_at(final_path(generation), scene_middle(generation.spec, scene), tmp_path).mean(axis=(0, 1))


def test_an_uploaded_image_becomes_the_first_scene(alice, tmp_path, work_queue):
    from generations import services

    generation = services.generation_create(
        user=alice,
        request=GenerationRequest(prompt="A calm ocean at night under the stars", duration=5),
        reference_images=[png((20, 200, 40))],
    )
    work_queue()
    generation.refresh_from_db()
    assert generation.status == Status.COMPLETE, generation.error_message
    red, green, blue = mean_color(generation, 0, tmp_path)
    assert green > 120 and green > red + 60 and green > blue + 60
    assert generation.reference_urls["uploads"] == [generation.uploaded_assets[0]["name"]]


def test_an_image_url_is_fetched_through_a_redirect(alice, image_server, settings, tmp_path, make_video):
    settings.ALLOW_PRIVATE_URLS = True  # the test's server is on loopback
    generation = make_video(
        alice,
        "A calm ocean at night under the stars",
        duration=5,
        assets=[{"type": "image", "url": f"{image_server}/moved"}],
    )
    assert generation.status == Status.COMPLETE, generation.error_message
    red, green, _ = mean_color(generation, 0, tmp_path)
    assert red > 120 and red > green + 60


def test_an_image_url_on_a_private_address_is_refused(alice, image_server, make_video):
    generation = make_video(
        alice,
        "A calm ocean at night under the stars",
        duration=5,
        assets=[{"type": "image", "url": f"{image_server}/red.png"}],
    )
    assert generation.status == Status.FAILED
    assert (
        "reference image 1 URL host '127.0.0.1' is not a public internet address" in generation.error_message
    )


@pytest.mark.parametrize(
    ("path", "limits", "reason"),
    [
        ("/huge", {"MAX_ASSET_BYTES": 1024}, "is larger than 1024 bytes"),
        ("/red.png", {"MAX_ASSET_PIXELS": 1000}, "more pixels than allowed"),
        ("/not-an-image", {}, "is not an image that can be used"),
    ],
)
def test_unusable_images_fail_with_the_reason(
    alice, image_server, settings, monkeypatch, path, limits, reason, make_video
):
    settings.ALLOW_PRIVATE_URLS = True
    for name, value in limits.items():
        monkeypatch.setattr(f"phases.assets.{name}", value)
    generation = make_video(
        alice,
        "A calm ocean at night under the stars",
        duration=5,
        assets=[{"type": "image", "url": f"{image_server}{path}"}],
    )
    assert generation.status == Status.FAILED
    assert "Phase 3 (references) failed" in generation.error_message
    assert reason in generation.error_message
