"""POST /api/token/: a password for the API token, with password guessing limited."""

from __future__ import annotations

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def test_a_username_and_password_get_the_users_token(alice):
    response = APIClient().post(
        "/api/token/", {"username": "alice", "password": "alice-password-1"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    assert token == Token.objects.get(user=alice).key
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/generations/").status_code == 200
    # Asking again gives the same token.
    again = APIClient().post("/api/token/", {"username": "alice", "password": "alice-password-1"})
    assert again.json()["token"] == token


def test_a_wrong_password_is_400_and_gives_nothing(alice):
    response = APIClient().post("/api/token/", {"username": "alice", "password": "guess"}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()
    assert not Token.objects.exists()


def test_guessing_one_users_password_is_limited(alice, bob, settings):
    settings.TOKEN_RATE = "3/minute"
    client = APIClient()
    for guess in ("a", "b", "c"):
        assert client.post("/api/token/", {"username": "Alice", "password": guess}).status_code == 400
    blocked = client.post("/api/token/", {"username": "alice", "password": "alice-password-1"})
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert client.post("/api/token/", {"username": "bob", "password": "bob-password-1"}).status_code == 200


def test_a_body_that_is_not_an_object_is_400(db):
    response = APIClient().generic("POST", "/api/token/", b"[1, 2]", content_type="application/json")
    assert response.status_code == 400
