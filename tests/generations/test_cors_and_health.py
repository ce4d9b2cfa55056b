"""Cross-origin API calls and /health, as a browser on another origin and an anonymous
prober see them."""

from __future__ import annotations

import pytest
from django.test import Client

APP = "https://app.example.com"


@pytest.mark.django_db
def test_a_listed_origin_gets_the_cors_header_and_another_does_not(settings, alice):
    settings.CORS_ALLOWED_ORIGINS = [APP]
    client = Client()
    client.force_login(alice)
    allowed = client.get("/api/generations/", HTTP_ORIGIN=APP)
    assert allowed["Access-Control-Allow-Origin"] == APP
    other = client.get("/api/generations/", HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other


@pytest.mark.django_db
def test_a_preflight_from_a_listed_origin_may_send_the_token_header(settings):
    settings.CORS_ALLOWED_ORIGINS = [APP]
    response = Client().options(
        "/generate",
        HTTP_ORIGIN=APP,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == APP
    assert "authorization" in response["Access-Control-Allow-Headers"]


@pytest.mark.django_db
def test_by_default_no_origin_is_allowed(alice):
    client = Client()
    client.force_login(alice)
    assert "Access-Control-Allow-Origin" not in client.get("/api/generations/", HTTP_ORIGIN=APP)


@pytest.fixture
def redis_down(settings):
    # Nothing listens on port 1: the Redis check fails with a connection error naming the host.
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0", "DEFAULT_TIMEOUT": 600}}


@pytest.mark.django_db
def test_health_names_what_fails_but_keeps_the_error_text_from_strangers(redis_down, alice):
    client = Client()
    client.force_login(alice)
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert "redis" in body["failing"]
    assert body["checks"]["redis"] == "error"


@pytest.mark.django_db
def test_staff_and_the_metrics_token_see_the_error_text(redis_down, staff, settings):
    client = Client()
    client.force_login(staff)
    assert client.get("/health").json()["checks"]["redis"].startswith("error: ConnectionError")
    settings.METRICS_TOKEN = "scrape-me"
    with_token = Client().get("/health", HTTP_AUTHORIZATION="Bearer scrape-me").json()
    assert with_token["checks"]["redis"].startswith("error: ConnectionError")
    wrong = Client().get("/health", HTTP_AUTHORIZATION="Bearer guess").json()
    assert wrong["checks"]["redis"] == "error"
