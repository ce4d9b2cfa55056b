"""The OpenAPI schema, the docs page, and schemathesis fuzzing every operation against it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import positive_data_acceptance

from generations import services
from phases.request import GenerationRequest
from tests.factories import PROMPT, finish, make, walk_to

SEED_PATHS = {"/generate", "/status/{video_id}", "/video/{video_id}"}


def test_the_schema_is_openapi_3_with_the_seed_endpoints_and_components(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert SEED_PATHS <= set(schema["paths"])
    assert {"/api/generations/", "/api/generations/{id}/cancel/", "/api/generations/{id}/retry/"} <= set(
        schema["paths"]
    )
    components = schema["components"]["schemas"]
    assert {"GenerateRequest", "GenerateResponse", "StatusResponse", "VideoResponse"} <= set(components)
    assert components["GenerateRequest"]["additionalProperties"] is False
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}


def test_the_docs_page_is_served_from_our_own_static_files(db):
    response = APIClient().get("/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")


@pytest.fixture
def wsgi_app(db) -> Iterator[WSGIHandler]:
    """The real WSGI application, inside the test's transaction: Django would otherwise
    close the connection (and with it the transaction) after every request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app, alice, settings_override):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    schema.config.generation.update(max_examples=25, deterministic=True, database="none")
    return schema


@pytest.fixture
def settings_override(settings) -> None:
    # Fuzzing creates far more than a person would; the limits have their own tests.
    settings.GENERATE_RATE = None
    settings.TOKEN_RATE = None
    # Generated URLs name hosts all over the internet; resolving them would make the run
    # depend on DNS. The SSRF refusals have their own tests.
    settings.ALLOW_PRIVATE_URLS = True


@pytest.fixture
def auth(alice) -> dict[str, str]:
    # A generation, so the list answers with a row to check against the schema.
    services.generation_create(user=alice, request=GenerationRequest(prompt=PROMPT))
    return {"Authorization": f"Token {Token.objects.create(user=alice).key}"}


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck), deadline=None)
def test_no_input_makes_an_endpoint_fail_or_break_its_schema(case, auth):
    # Some schema-valid requests are rightly refused for reasons a schema cannot state: a
    # prompt of spaces is too short once trimmed, a "uri" may not be a URL Django accepts
    # (a host name over 253 characters). Every other check runs.
    case.call_and_validate(headers=auth, excluded_checks=[positive_data_acceptance])


def test_real_generations_answer_every_operation_as_the_schema_says(api_schema, auth, alice, settings):
    """Fuzzed ids are unknown ones; these calls reach the 200, 204 and 409 answers."""
    settings.MAX_ACTIVE_GENERATIONS_PER_USER = 0  # more at once than the active cap allows
    queued, failed, complete = make(alice), make(alice), finish(make(alice))
    walk_to(failed, "generating_references")
    services.generation_fail(video_id=failed.id, message="Phase 3 (references) failed: boom")
    calls = [
        ("GET", "/status/{video_id}", {"video_id": queued.id}, 200),
        ("GET", "/status/{video_id}", {"video_id": complete.id}, 200),
        ("GET", "/video/{video_id}", {"video_id": complete.id}, 200),
        ("GET", "/video/{video_id}", {"video_id": failed.id}, 200),
        ("GET", "/api/generations/", {}, 200),
        ("GET", "/api/generations/{id}/", {"id": complete.id}, 200),
        ("GET", "/api/generations/{id}/", {"id": failed.id}, 200),
        ("POST", "/api/generations/{id}/cancel/", {"id": queued.id}, 200),
        ("POST", "/api/generations/{id}/cancel/", {"id": complete.id}, 409),
        ("POST", "/api/generations/{id}/retry/", {"id": failed.id}, 200),
        ("POST", "/api/generations/{id}/retry/", {"id": complete.id}, 409),
        ("DELETE", "/api/generations/{id}/", {"id": complete.id}, 204),
    ]
    for method, path, parameters, expected in calls:
        case = api_schema[path][method].Case(path_parameters=parameters)
        response = case.call(headers=auth)
        assert response.status_code == expected, (method, path, response.text)
        case.validate_response(response, headers=auth)
