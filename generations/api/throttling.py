"""Rate limits on password attempts per username. (Work started per user is limited in
`generations.policy`, on every path.)"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import BaseCache, caches
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView


class TokenRateThrottle(SimpleRateThrottle):
    """`settings.TOKEN_RATE` password attempts per username, so a password cannot be
    guessed through the token endpoint. Keyed by the name tried, not the client address:
    addresses are shared behind proxies and cheap to change."""

    scope = "token"

    @property
    def cache(self) -> BaseCache:  # type: ignore[override]
        return caches["throttle"]

    def get_rate(self) -> str | None:
        return settings.TOKEN_RATE

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        data = request.data if isinstance(request.data, Mapping) else {}
        username = str(data.get("username", ""))[:150].lower()
        digest = hashlib.sha256(username.encode(errors="surrogatepass")).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": digest}
