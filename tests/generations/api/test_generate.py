"""POST /generate and POST /api/generations/: validation, SSRF, idempotency, throttling."""

from __future__ import annotations

import socket

import pytest
from rest_framework.test import APIClient

from generations.models import IdempotencyKey, Status, VideoGeneration
from tests.factories import PROMPT
from tests.generations.api.conftest import PUBLIC_IMAGE

CREATE_URLS = ["/generate", "/api/generations/"]


@pytest.mark.parametrize("url", CREATE_URLS)
def test_it_queues_a_generation_and_points_at_its_status(
    url, alice, alice_api, queue, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_api.post(
            url,
            {
                "prompt": f"  {PROMPT}  ",
                "assets": [{"url": PUBLIC_IMAGE, "type": "image"}],
                "duration": 12,
                "aspect_ratio": "9:16",
                "template": "noir",
                "seed": 42,
            },
            format="json",
        )
    assert response.status_code == 202, response.json()
    body = response.json()
    assert set(body) == {"video_id", "status", "message"}
    assert body["status"] == "queued"
    assert response["Location"] == f"http://testserver/status/{body['video_id']}"
    generation = VideoGeneration.objects.get(id=body["video_id"])
    assert generation.user == alice
    assert generation.prompt == PROMPT
    assert (generation.duration, generation.aspect_ratio, generation.template, generation.seed) == (
        12,
        "9:16",
        "noir",
        42,
    )
    assert generation.uploaded_assets == [{"url": PUBLIC_IMAGE, "type": "image"}]
    assert queue.get_job_ids() == [f"vg-{generation.id}-plan-1"]


def test_options_have_the_seed_defaults(alice_api):
    response = alice_api.post("/generate", {"prompt": PROMPT}, format="json")
    generation = VideoGeneration.objects.get(id=response.json()["video_id"])
    assert (generation.duration, generation.aspect_ratio, generation.template, generation.seed) == (
        30,
        "16:9",
        None,
        0,
    )
    assert (generation.uploaded_assets, generation.webhook_url) == ([], "")
    assert generation.request["resolution"] == "1080p"


def test_a_draft_resolution_is_kept_with_the_request(alice_api):
    response = alice_api.post("/generate", {"prompt": PROMPT, "resolution": "360p"}, format="json")
    assert response.status_code == 202, response.json()
    generation = VideoGeneration.objects.get(id=response.json()["video_id"])
    assert generation.request["resolution"] == generation.resolution == "360p"
    assert generation.frame_label == "360p"  # until the plan gives the frame its size


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "prompt"),
        ({"prompt": "too short"}, "prompt"),
        ({"prompt": "   short    "}, "prompt"),  # 5 characters once trimmed
        ({"prompt": "x" * 1001}, "prompt"),
        ({"prompt": None}, "prompt"),
        ({"prompt": PROMPT, "duration": 4}, "duration"),
        ({"prompt": PROMPT, "duration": 601}, "duration"),
        ({"prompt": PROMPT, "duration": 7.5}, "duration"),
        ({"prompt": PROMPT, "aspect_ratio": "4:3"}, "aspect_ratio"),
        ({"prompt": PROMPT, "resolution": "4k"}, "resolution"),
        ({"prompt": PROMPT, "resolution": 720}, "resolution"),
        ({"prompt": PROMPT, "template": "vaporwave"}, "template"),
        ({"prompt": PROMPT, "seed": -1}, "seed"),
        ({"prompt": PROMPT, "seed": 2**64}, "seed"),
        ({"prompt": PROMPT, "assets": "cat.png"}, "assets"),
        ({"prompt": PROMPT, "assets": [{"url": PUBLIC_IMAGE, "type": "image"}] * 11}, "assets"),
        ({"prompt": PROMPT, "assets": [{"url": PUBLIC_IMAGE, "type": "video"}]}, "assets"),
        ({"prompt": PROMPT, "assets": [{"url": PUBLIC_IMAGE}]}, "assets"),
        ({"prompt": PROMPT, "assets": [{"url": "not a url", "type": "image"}]}, "assets"),
        ({"prompt": PROMPT, "webhook_url": "hooks.example"}, "webhook_url"),
        ({"prompt": "A prompt with a NUL \x00 byte in it"}, "prompt"),
    ],
)
def test_invalid_requests_are_400_naming_the_field_and_create_nothing(alice_api, body, field):
    response = alice_api.post("/generate", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert VideoGeneration.objects.count() == 0


def test_unknown_fields_are_refused_with_the_other_errors(alice_api):
    response = alice_api.post(
        "/generate",
        {"prompt": "short", "durration": 10, "assets": [{"url": PUBLIC_IMAGE, "type": "image", "w": 1}]},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert errors["durration"] == ["Unknown field."]
    assert errors["assets"] == {"0": {"w": ["Unknown field."]}}
    assert "prompt" in errors
    assert VideoGeneration.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'"a string"', b"null", b'{"prompt": "\\ud800 lone surrogate prompt"}'],
)
def test_malformed_bodies_are_400(alice_api, body):
    response = alice_api.generic("POST", "/generate", body, content_type="application/json")
    assert response.status_code == 400
    assert VideoGeneration.objects.count() == 0


def test_only_json_bodies_are_accepted(alice_api):
    response = alice_api.post("/generate", {"prompt": PROMPT}, format="multipart")
    assert response.status_code == 415


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/cat.png",
        "http://10.1.2.3/cat.png",
        "http://192.168.0.10/cat.png",
        "http://169.254.169.254/latest/meta-data/",  # the cloud metadata service
        "http://100.100.100.200/latest/meta-data/",  # Alibaba's, in the shared range
        "http://[::1]/cat.png",
        "http://[::ffff:127.0.0.1]/cat.png",
        "http://[fd00:ec2::254]/latest/meta-data/",  # AWS's over IPv6
        "http://localhost/cat.png",  # a name that resolves to loopback
        "http://localhost:8000/cat.png",
        "http://0.0.0.0/cat.png",
        "http://224.0.0.1/cat.png",
        "ftp://93.184.215.14/cat.png",
        "file:///etc/passwd",
        "gopher://93.184.215.14/",
    ],
)
def test_asset_urls_into_private_networks_or_other_schemes_are_refused(alice_api, url):
    response = alice_api.post(
        "/generate", {"prompt": PROMPT, "assets": [{"url": url, "type": "image"}]}, format="json"
    )
    assert response.status_code == 400
    assert "url" in response.json()["assets"]["0"]
    assert VideoGeneration.objects.count() == 0


def test_webhook_urls_into_private_networks_are_refused(alice_api):
    response = alice_api.post(
        "/generate", {"prompt": PROMPT, "webhook_url": "http://127.0.0.1:9000/hook"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["webhook_url"] == [
        "Refused: the URL host '127.0.0.1' is not a public internet address."
    ]


def test_private_urls_are_accepted_when_the_installation_allows_them(alice_api, settings):
    settings.ALLOW_PRIVATE_URLS = True
    response = alice_api.post(
        "/generate",
        {
            "prompt": PROMPT,
            "assets": [{"url": "http://10.1.2.3/cat.png", "type": "image"}],
            "webhook_url": "http://127.0.0.1:9000/hook",
        },
        format="json",
    )
    assert response.status_code == 202


def test_an_idempotent_replay_returns_the_original_generation_and_enqueues_nothing(
    alice_api, queue, django_capture_on_commit_callbacks
):
    body = {"prompt": PROMPT, "duration": 10}
    with django_capture_on_commit_callbacks(execute=True):
        first = alice_api.post("/generate", body, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = alice_api.post("/api/generations/", body, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["video_id"] == first.json()["video_id"]
    assert again["Location"] == first["Location"]
    assert callbacks == []
    assert VideoGeneration.objects.count() == 1
    assert queue.count == 1


def test_the_same_key_with_a_different_body_is_a_409(alice_api):
    alice_api.post("/generate", {"prompt": PROMPT}, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    response = alice_api.post(
        "/generate", {"prompt": PROMPT, "duration": 60}, format="json", HTTP_IDEMPOTENCY_KEY="order-1"
    )
    assert response.status_code == 409
    assert "different request" in response.json()["detail"]
    assert VideoGeneration.objects.count() == 1


def test_idempotency_keys_belong_to_their_user(alice_api, bob_api):
    first = alice_api.post("/generate", {"prompt": PROMPT}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = bob_api.post("/generate", {"prompt": PROMPT}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert second.status_code == 202
    assert second.json()["video_id"] != first.json()["video_id"]
    assert IdempotencyKey.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "naïve"])
def test_malformed_idempotency_keys_are_400(alice_api, key):
    response = alice_api.post("/generate", {"prompt": PROMPT}, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert VideoGeneration.objects.count() == 0


def test_creates_beyond_the_rate_are_429_with_retry_after(alice_api, bob_api, settings):
    settings.GENERATE_RATE = "2/minute"
    for _ in range(2):
        assert alice_api.post("/generate", {"prompt": PROMPT}, format="json").status_code == 202
    response = alice_api.post("/api/generations/", {"prompt": PROMPT}, format="json")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 60
    assert VideoGeneration.objects.count() == 2
    # The limit is per user, and reads are not limited.
    assert bob_api.post("/generate", {"prompt": PROMPT}, format="json").status_code == 202
    assert alice_api.get("/api/generations/").status_code == 200


def test_unauthenticated_creates_are_401_and_say_how_to_authenticate(db):
    response = APIClient().post("/generate", {"prompt": PROMPT}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert VideoGeneration.objects.count() == 0


def test_a_bad_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.post("/generate", {"prompt": PROMPT}, format="json").status_code == 401


def test_a_signed_in_browser_session_can_create(alice):
    client = APIClient()
    client.force_login(alice)
    response = client.post("/generate", {"prompt": PROMPT}, format="json")
    assert response.status_code == 202
    assert VideoGeneration.objects.get().status == Status.QUEUED


def test_an_unreachable_redis_is_a_503_to_retry_not_a_500(alice_api, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.CACHES = {
        **settings.CACHES,
        "throttle": {**settings.CACHES["throttle"], "LOCATION": f"redis://127.0.0.1:{closed_port}/0"},
    }
    response = alice_api.post("/generate", {"prompt": PROMPT}, format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert VideoGeneration.objects.count() == 0
