"""Stored files through the app's one link: only the owner (or staff allowed to view
generations) gets them, with byte ranges on local storage and a fresh presigned redirect on S3."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from rest_framework.authtoken.models import Token

from generations.models import VideoGeneration
from phases.storage import url_for
from tests.providers.fake_s3 import FakeS3, running_s3

CONTENT = bytes(range(256)) * 40  # 10 240 bytes


@pytest.fixture
def video(alice, media_root) -> VideoGeneration:
    generation = VideoGeneration.objects.create(user=alice, prompt="A lighthouse at dusk")
    generation.final_video_url = default_storage.save(
        f"final/{generation.id}/video.mp4", ContentFile(CONTENT)
    )
    generation.save()
    return generation


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_owner_gets_the_whole_file_and_is_told_ranges_work(video, alice):
    response = client_for(alice).get(url_for(video.final_video_url))
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4"
    assert body(response) == CONTENT
    assert "private" in response["Cache-Control"]


def test_a_range_is_answered_with_206_and_exactly_those_bytes(video, alice):
    response = client_for(alice).get(url_for(video.final_video_url), HTTP_RANGE="bytes=1000-1999")
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 1000-1999/{len(CONTENT)}"
    assert response["Content-Length"] == "1000"
    assert body(response) == CONTENT[1000:2000]


def test_the_tail_of_the_file_and_a_range_past_its_end(video, alice):
    client = client_for(alice)
    tail = client.get(url_for(video.final_video_url), HTTP_RANGE="bytes=-100")
    assert tail.status_code == 206 and body(tail) == CONTENT[-100:]
    past = client.get(url_for(video.final_video_url), HTTP_RANGE=f"bytes={len(CONTENT)}-")
    assert past.status_code == 416
    assert past["Content-Range"] == f"bytes */{len(CONTENT)}"


def test_a_download_is_an_attachment_with_a_safe_name(video, alice):
    response = client_for(alice).get(url_for(video.final_video_url), {"download": "../my video.mp4"})
    assert response["Content-Disposition"] == 'attachment; filename="my_video.mp4"'


@pytest.mark.parametrize("who", ["nobody", "bob", "staff without the permission"])
def test_anyone_but_the_owner_gets_404(video, bob, who, django_user_model):
    user = {
        "nobody": None,
        "bob": bob,
        "staff without the permission": django_user_model.objects.create_user("clerk", is_staff=True),
    }[who]
    assert client_for(user).get(url_for(video.final_video_url)).status_code == 404


def test_uploaded_reference_images_are_private_too(video, alice, bob):
    name = default_storage.save(f"references/{video.id}/upload_01.png", ContentFile(b"png"))
    assert client_for(alice).get(url_for(name)).status_code == 200
    assert client_for(bob).get(url_for(name)).status_code == 404


def test_staff_allowed_to_view_generations_see_every_users_files(video, staff, django_user_model):
    assert client_for(staff).get(url_for(video.final_video_url)).status_code == 200
    operator = django_user_model.objects.create_user("viewer", is_staff=True)
    operator.user_permissions.add(Permission.objects.get(codename="view_videogeneration"))
    assert client_for(operator).get(url_for(video.final_video_url)).status_code == 200


def test_an_api_token_works_like_the_session_and_a_wrong_one_gets_404(video, alice, bob):
    url = url_for(video.final_video_url)
    token = Token.objects.create(user=alice)
    assert Client().get(url, HTTP_AUTHORIZATION=f"Token {token.key}").status_code == 200
    assert Client().get(url, HTTP_AUTHORIZATION="Token not-a-token").status_code == 404
    bobs = Token.objects.create(user=bob)
    assert Client().get(url, HTTP_AUTHORIZATION=f"Token {bobs.key}").status_code == 404


@pytest.mark.parametrize("name", ["health/x/ok.txt", "final/{id}/../../etc/passwd", "final/{id}/missing.mp4"])
def test_names_outside_a_generations_files_get_404(video, alice, name):
    assert client_for(alice).get("/media/" + name.format(id=video.id)).status_code == 404


@pytest.fixture(scope="module")
def s3() -> Iterator[FakeS3]:
    with running_s3("videogen-files-test") as server:
        yield server


@pytest.fixture(scope="module")
def s3_storages(s3: FakeS3) -> dict[str, Any]:
    return s3.storages(expiry=300, public_endpoint=s3.endpoint)


def test_on_s3_the_owner_is_sent_to_a_fresh_short_lived_link_for_the_public_endpoint(
    s3: FakeS3, s3_storages, settings, alice, bob
):
    settings.STORAGES = s3_storages
    settings.AWS_PRESIGNED_EXPIRY = 300
    generation = VideoGeneration.objects.create(user=alice, prompt="A lighthouse at dusk")
    name = default_storage.save(f"final/{generation.id}/video.mp4", ContentFile(CONTENT))

    response = client_for(alice).get(url_for(name), {"download": "dusk.mp4"})
    assert response.status_code == 302
    link = response["Location"]
    assert link.startswith(s3.endpoint + "/") and not link.startswith(s3.internal_endpoint)
    query = parse_qs(urlsplit(link).query)
    assert query["X-Amz-Expires"] == ["300"]
    assert query["response-content-disposition"] == ['attachment; filename="dusk.mp4"']
    assert "no-store" in response["Cache-Control"]
    assert client_for(bob).get(url_for(name)).status_code == 404
    assert client_for(None).get(url_for(name)).status_code == 404


def test_a_download_with_no_usable_name_takes_the_files_own(video, alice):
    response = client_for(alice).get(url_for(video.final_video_url), {"download": ".."})
    assert response["Content-Disposition"] == 'attachment; filename="video.mp4"'
