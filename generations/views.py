"""Server-rendered pages and the plain endpoints that are not part of the DRF API."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, JsonResponse

from phases.dispatch import get_queue

VERSION = "1.0.0"


def root(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "message": "Video Generation API",
            "name": "videogen",
            "version": VERSION,
            "docs": "/docs",
            "admin": "/admin/",
        }
    )


def health(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means the database is not usable
        checks["database"] = f"error: {exc.__class__.__name__}"
    try:
        get_queue().connection.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503
    )
