"""The review screen's narration panel: each scene's voice to listen to, and a form to voice
it again; while a re-voice runs the panel polls, and the page reloads once it is done."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from generations import narration
from generations.pages.review_forms import RevoiceForm
from generations.pages.views import _own_generation, narration_panel
from generations.policy import LimitExceeded
from generations.services import InvalidTransition
from toolbox.exceptions import ValidationException


@never_cache
@login_required
def generation_narration(request: HttpRequest, video_id: str) -> HttpResponse:
    generation = _own_generation(request, video_id)
    since = request.GET.get("since", "")
    if since and since != narration.narration_fingerprint(generation):
        # The new voice is in: the whole page reloads, scene lengths and all.
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    context = {"generation": generation, **narration_panel(generation, since=since)}
    return render(request, "generations/_narration.html", context)


@require_POST
@login_required
def generation_revoice(request: HttpRequest, video_id: str) -> HttpResponse:
    generation = _own_generation(request, video_id)
    form = RevoiceForm(request.POST)
    detail = reverse("generation-detail", args=[generation.id])
    if not form.is_valid():
        messages.error(request, "Choose a voice, a language and a pace the narrator can use.")
        return redirect(detail)
    before = narration.narration_fingerprint(generation)
    try:
        narration.generation_revoice(video_id=generation.id, **form.cleaned_data)
    except InvalidTransition:
        messages.error(request, "This storyboard is no longer waiting for review.")
        return redirect(detail)
    except (ValidationException, LimitExceeded) as exc:
        messages.error(request, str(exc))
        return redirect(detail)
    messages.success(request, "Re-voicing the narration: the page reloads when the new voice is ready.")
    return redirect(f"{detail}?since={before}")
