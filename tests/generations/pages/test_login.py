"""Failed sign-ins are limited per username on the login page and the admin's, without
telling anyone which usernames exist."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

LOCKED = "Too many failed sign-ins for this username. Try again in 15 minutes."


@pytest.fixture(autouse=True)
def five_failures(settings):
    settings.LOGIN_FAILURES_ALLOWED = 5
    settings.LOGIN_LOCKOUT_SECONDS = 900


def sign_in(client: Client, username: str, password: str, url: str | None = None):
    return client.post(url or reverse("login"), {"username": username, "password": password})


def test_five_failures_lock_the_username_even_for_the_right_password(client, alice):
    for _ in range(5):
        response = sign_in(client, "alice", "wrong-password")
        assert response.status_code == 200
        assert LOCKED not in response.content.decode()
    locked = sign_in(client, "alice", "alice-password-1")
    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    assert LOCKED in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_name_with_no_account_is_answered_exactly_like_a_real_one(client, alice):
    answers = {}
    for username in ("alice", "nobody-by-this-name"):
        first = sign_in(client, username, "wrong-password")
        for _ in range(4):
            sign_in(client, username, "wrong-password")
        locked = sign_in(client, username, "wrong-password")
        answers[username] = (first.status_code, locked.status_code, LOCKED in locked.content.decode())
    assert answers["alice"] == answers["nobody-by-this-name"] == (200, 429, True)


def test_the_lock_holds_only_for_that_username_and_any_case_of_it(client, alice, bob):
    for _ in range(5):
        sign_in(client, "alice", "wrong-password")
    assert sign_in(client, "ALICE", "alice-password-1").status_code == 429
    assert sign_in(client, "bob", "bob-password-1").status_code == 302


def test_the_admin_login_is_limited_too(client, staff):
    url = reverse("admin:login")
    for _ in range(5):
        sign_in(client, "operator", "wrong-password", url)
    locked = sign_in(client, "operator", "operator-password-1", url)
    assert LOCKED in locked.content.decode()
    assert "_auth_user_id" not in client.session
