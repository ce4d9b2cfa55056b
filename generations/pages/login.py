"""Sign-in, on the login page and the admin's, with failed attempts limited per username.

Counted per name typed, whether or not an account has it, and answered with the same words
either way, so the lock-out tells nobody which names exist. Counted in the shared
"throttle" cache (Redis), so every web process sees one count."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.http import HttpResponse


class LoginThrottle:
    """Refuses a sign-in for a username that failed LOGIN_FAILURES_ALLOWED times within
    LOGIN_LOCKOUT_SECONDS of its first failure, before checking the password."""

    def clean(self) -> dict[str, Any]:
        cache = caches["throttle"]
        key = _failures_key(self.data.get("username", ""))  # type: ignore[attr-defined]
        if (cache.get(key) or 0) >= settings.LOGIN_FAILURES_ALLOWED:
            minutes = -(-settings.LOGIN_LOCKOUT_SECONDS // 60)
            raise ValidationError(
                f"Too many failed sign-ins for this username. Try again in {minutes} minutes.",
                code="locked",
            )
        try:
            return super().clean()  # type: ignore[misc]
        except ValidationError:
            # add() starts the window at the first failure; incr() is atomic in Redis.
            cache.add(key, 0, timeout=settings.LOGIN_LOCKOUT_SECONDS)
            cache.incr(key)
            raise


class ThrottledAuthenticationForm(LoginThrottle, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(LoginThrottle, AdminAuthenticationForm):
    pass


class ThrottledLoginView(LoginView):
    form_class = ThrottledAuthenticationForm

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error("__all__", code="locked"):
            response.status_code = 429
            response["Retry-After"] = str(settings.LOGIN_LOCKOUT_SECONDS)
        return response


def _failures_key(username: str) -> str:
    # Hashed: the key's length and characters do not depend on what was typed.
    name = str(username)[:150].lower()
    return "login-failures:" + hashlib.sha256(name.encode(errors="surrogatepass")).hexdigest()
