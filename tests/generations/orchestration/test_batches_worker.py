"""A batch from CSV through a real worker: one item fails (its reference image is missing
on the image host) and is reported with its phase and reason; retried once the image is
there, it completes; the ZIP holds every finished video."""

from __future__ import annotations

import functools
import io
import threading
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from generations.models import Status, VideoGeneration
from media.probe import probe
from tests.generations.api.conftest import token_client

pytestmark = pytest.mark.django_db(transaction=True)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture
def image_host(tmp_path):
    """A local HTTP server for reference images, serving whatever is in its folder."""
    folder = tmp_path / "images"
    folder.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_a_csv_batch_completes_reports_its_failure_retries_it_and_zips_the_videos(
    alice, run_burst_worker, worker_env, settings, image_host, django_capture_on_commit_callbacks
):
    folder, host = image_host
    # The image host is on this machine, which the SSRF guard refuses unless told otherwise.
    settings.ALLOW_PRIVATE_URLS = True
    worker_env["ALLOW_PRIVATE_URLS"] = "true"
    api = token_client(alice)
    csv = "prompt,duration,aspect_ratio,resolution,narration,subtitles,assets\n" + "".join(
        f"{prompt},5,1:1,360p,false,false,{assets}\n"
        for prompt, assets in [
            ("A calm ocean at night under the stars", ""),
            ("Snow falls on a quiet mountain village", ""),
            ("A red fox runs through an autumn forest", f"{host}/fox.png"),
            ("Desert dunes at sunrise with long shadows", ""),
            ("City lights reflected in the rain at night", ""),
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api.generic("POST", "/api/batches/", csv.encode(), content_type="text/csv")
    assert response.status_code == 201, response.json()
    batch_id = response.json()["id"]

    run_burst_worker(timeout=900)
    body = api.get(f"/api/batches/{batch_id}/").json()
    statuses = [item["status"] for item in body["items"]]
    assert statuses == ["complete", "complete", "failed", "complete", "complete"], [
        i["error"] for i in body["items"]
    ]
    failed = body["items"][2]
    assert failed["error"]["phase"] == "references"
    assert "answered HTTP 404" in failed["error"]["reason"]
    assert failed["error"]["reason"].startswith("Phase 3 (references) failed")
    assert body["totals"] == {"done": 4, "failed": 1, "running": 0, "queued": 0, "canceled": 0}
    assert body["status"] == "finished" and body["elapsed_seconds"] > 0

    # The image is there now: retrying the failed item finishes the batch.
    Image.new("RGB", (640, 480), (200, 90, 30)).save(folder / "fox.png")
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/api/batches/{batch_id}/retry/").json()["items"][2]["status"] == "queued"
    run_burst_worker(timeout=600)
    body = api.get(f"/api/batches/{batch_id}/").json()
    assert [item["status"] for item in body["items"]] == ["complete"] * 5
    assert VideoGeneration.objects.get(id=body["items"][2]["video_id"]).attempts == 2

    response = api.get(f"/api/batches/{batch_id}/download/")
    assert response.status_code == 200 and response.streaming
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(archive.namelist()) == 5
    for item, name in zip(body["items"], sorted(archive.namelist()), strict=True):
        assert name.endswith(f"-{item['video_id']}.mp4")
        generation = VideoGeneration.objects.get(id=item["video_id"])
        assert generation.status == Status.COMPLETE
        extracted = folder.parent / name
        extracted.write_bytes(archive.read(name))
        probed = probe(extracted)
        assert probed.video is not None and probed.video.frames == 150
        assert (probed.video.width, probed.video.height) == (360, 360)
