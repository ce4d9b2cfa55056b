"""Storage on S3: the settings' S3Storage (django-storages + boto3) against moto's server over
HTTP, and presigned URLs fetched with a plain HTTP GET."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.storage import default_storage

from phases import storage
from tests.providers.fake_s3 import FakeS3, running_s3

BUCKET = "videogen-storage-test"


@pytest.fixture(scope="module")
def s3() -> Iterator[FakeS3]:
    with running_s3(BUCKET) as server:
        yield server


@pytest.fixture(scope="module")
def s3_storages(s3: FakeS3) -> dict[str, Any]:
    return s3.storages(expiry=600, public_endpoint=s3.endpoint)


@pytest.fixture
def on_s3(s3: FakeS3, s3_storages: dict[str, Any], settings) -> FakeS3:
    settings.STORAGES = s3_storages
    settings.AWS_PRESIGNED_EXPIRY = 600
    return s3


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def expiry_of(url: str) -> int:
    return int(parse_qs(urlsplit(url).query)["X-Amz-Expires"][0])


def a_file(tmp_path: Path, content: bytes = b"\x00\x01 some video bytes") -> Path:
    path = tmp_path / "video.mp4"
    path.write_bytes(content)
    return path


def test_the_settings_put_artifacts_in_the_bucket_under_the_seeds_prefixes(on_s3: FakeS3, tmp_path):
    name = storage.store_file(a_file(tmp_path), storage.artifact_name("final", "vid1", "video.mp4"))
    assert name == "final/vid1/video.mp4"
    assert on_s3.keys("final/vid1/") == ["final/vid1/video.mp4"]
    workdir = tmp_path / "work"
    workdir.mkdir()
    copy = storage.local_copy(name, workdir)
    assert copy.parent == workdir and copy.read_bytes() == a_file(tmp_path).read_bytes()


def test_presigned_urls_name_the_public_endpoint_and_a_plain_get_downloads(on_s3: FakeS3, tmp_path):
    name = storage.store_file(a_file(tmp_path), "final/vid2/video.mp4")
    url = storage.generate_presigned_url(name)
    # Stored through the internal host name, signed for the one browsers reach.
    assert on_s3.internal_endpoint != on_s3.endpoint
    assert url.startswith(on_s3.endpoint + "/") and "X-Amz-Signature=" in url
    assert expiry_of(url) == 600
    assert fetch(url) == a_file(tmp_path).read_bytes()


def test_a_presigned_url_can_ask_for_an_attachment(on_s3: FakeS3, tmp_path):
    name = storage.store_file(a_file(tmp_path), "final/vid6/video.mp4")
    with urllib.request.urlopen(
        storage.generate_presigned_url(name, download_as="sea.mp4"), timeout=10
    ) as response:
        assert response.headers["Content-Disposition"] == 'attachment; filename="sea.mp4"'


def test_a_presigned_url_is_made_fresh_on_each_read(on_s3: FakeS3, tmp_path):
    name = storage.store_file(a_file(tmp_path), "final/vid3/video.mp4")
    first = storage.generate_presigned_url(name)
    time.sleep(1.1)
    second = storage.generate_presigned_url(name)
    assert first != second
    assert fetch(second) == a_file(tmp_path).read_bytes()


def test_users_are_given_the_apps_own_link_never_a_storage_url(on_s3: FakeS3, tmp_path):
    name = storage.store_file(a_file(tmp_path), "final/vid9/video.mp4")
    assert storage.url_for(name) == "/media/final/vid9/video.mp4"


@pytest.mark.parametrize(
    ("name", "video_id"),
    [
        ("final/abc/video.mp4", "abc"),
        ("references/abc/upload_01.png", "abc"),
        ("final/abc/../other/video.mp4", None),
        ("final/../abc", None),
        ("health/abc/x.txt", None),
        ("final/abc", None),
        ("final//video.mp4", None),
        ("final/abc/sub/video.mp4", None),
    ],
)
def test_only_names_under_a_generations_folder_belong_to_a_generation(name, video_id):
    assert storage.video_id_of(name) == video_id


def test_upload_file_returns_the_s3_uri_and_replaces_what_was_there(on_s3: FakeS3, tmp_path):
    assert storage.upload_file(str(a_file(tmp_path, b"first")), "chunks/vid4/scene_01.mp4") == (
        f"s3://{BUCKET}/chunks/vid4/scene_01.mp4"
    )
    storage.upload_file(a_file(tmp_path, b"second"), "chunks/vid4/scene_01.mp4")
    assert on_s3.keys("chunks/vid4/") == ["chunks/vid4/scene_01.mp4"]
    body = on_s3.client().get_object(Bucket=BUCKET, Key="chunks/vid4/scene_01.mp4")["Body"].read()
    assert body == b"second"


def test_generate_presigned_url_honours_its_expiration(on_s3: FakeS3, tmp_path):
    storage.upload_file(a_file(tmp_path), "references/vid5/scene_01.png")
    assert expiry_of(storage.generate_presigned_url("references/vid5/scene_01.png")) == 600
    url = storage.generate_presigned_url("references/vid5/scene_01.png", expiration=60)
    assert expiry_of(url) == 60
    assert fetch(url) == a_file(tmp_path).read_bytes()


def test_deleting_a_generation_empties_every_prefix_in_the_bucket(on_s3: FakeS3, tmp_path):
    for prefix in storage.PREFIXES:
        storage.upload_file(a_file(tmp_path), f"{prefix}/vid7/file.bin")
    storage.upload_file(a_file(tmp_path), "final/other/video.mp4")
    storage.delete_generation_files("vid7")
    assert [key for key in on_s3.keys() if "/vid7/" in key] == []
    assert on_s3.keys("final/other/") == ["final/other/video.mp4"]


def test_on_local_storage_the_seed_functions_give_a_file_uri_and_a_media_url(media_root, tmp_path):
    location = storage.upload_file(a_file(tmp_path), "final/vid8/video.mp4")
    assert location == (media_root / "final" / "vid8" / "video.mp4").as_uri()
    assert storage.generate_presigned_url("final/vid8/video.mp4") == "/media/final/vid8/video.mp4"
    assert default_storage.exists("final/vid8/video.mp4")
