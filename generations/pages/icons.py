"""The picture library behind the storyboard's subjects: a search for the review page's
"swap" box, and each picture as SVG. Both need a logged-in user and read nothing of theirs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from providers.local.icons import library

SEARCH_LIMIT = 24
QUERY_LIMIT = 60


@require_GET
@login_required
def icon_search(request: HttpRequest) -> JsonResponse:
    """`?q=boat` gives `{"results": [{"icon", "name", "title", "url"}, ...]}`, best first."""
    query = request.GET.get("q", "")[:QUERY_LIMIT]
    results = [
        {"icon": icon.id, "name": icon.name, "title": icon.title, "url": reverse("icon-svg", args=[icon.id])}
        for icon in library().search(query, limit=SEARCH_LIMIT)
    ]
    return JsonResponse({"results": results})


@require_GET
@login_required
@cache_control(private=True, max_age=86400)
def icon_svg(request: HttpRequest, icon_id: str) -> HttpResponse:
    lib = library()
    if icon_id not in lib:
        raise Http404("no such picture")
    response = HttpResponse(lib.svg(icon_id), content_type="image/svg+xml")
    # The SVG is the library's own; nothing in it may run as a page of ours.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response
