"""Server-rendered pages and the plain endpoints that are not part of the DRF API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from generations import narration, results, review, selectors, services
from generations.models import Status, VideoGeneration
from generations.monitoring import CONTENT_TYPE, health_report, prometheus_metrics
from generations.pages.forms import GenerationForm, HistoryFilterForm
from generations.pages.review_forms import RegenerateSceneForm, RevoiceForm, StoryboardReviewForm
from generations.policy import LimitExceeded
from generations.webhook_secrets import webhook_secret_made_at, webhook_secret_rotate
from phases.request import RequestInvalid
from toolbox.exceptions import ValidationException

VERSION = "1.0.0"
HISTORY_PAGE_SIZE = 12
# The progress page asks for fresh state this often while the generation is active.
POLL_INTERVAL_MS = 1500


@csrf_exempt  # a DELETE or PUT is answered 405 by the next line; a POST is still CSRF-checked
@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect
def root(request: HttpRequest) -> HttpResponse:
    """The API index for programs, the new-video page for people.

    A browser asks for text/html first; curl, HTTP libraries and `Accept: application/json`
    get the JSON index they always got. A form posted here is always the page's."""
    wants_page = request.method == "POST" or (
        request.get_preferred_type(["application/json", "text/html"]) == "text/html"
    )
    response = (
        new_video(request)
        if wants_page
        else JsonResponse(
            {
                "message": "Video Generation API",
                "name": "videogen",
                "version": VERSION,
                "docs": "/docs",
                "admin": "/admin/",
            }
        )
    )
    patch_vary_headers(response, ["Accept"])
    return response


def _has_metrics_token(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    return bool(token) and constant_time_compare(request.headers.get("Authorization", ""), f"Bearer {token}")


# Read-only endpoints: exempt from CSRF (they change nothing) so that another method is
# answered 405 by require_safe, not 403 by the CSRF check that runs before any view.
@csrf_exempt
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    healthy, body = health_report(details=request.user.is_staff or _has_metrics_token(request))
    return JsonResponse(body, status=200 if healthy else 503)


@csrf_exempt
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if settings.METRICS_TOKEN and not _has_metrics_token(request):
        return HttpResponse("metrics need the bearer token\n", status=401, content_type="text/plain")
    return HttpResponse(prometheus_metrics(), content_type=CONTENT_TYPE)


@login_required
def new_video(request: HttpRequest) -> HttpResponse:
    form = GenerationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            generation = services.generation_create(
                user=request.user,
                request=form.generation_request(),
                reference_images=form.cleaned_data["reference_images"],
            )
        except RequestInvalid as exc:
            form.add_request_errors(exc)
        except LimitExceeded as exc:
            return _refused(request, form, exc, "generations/new.html", {"form": form})
        else:
            return redirect("generation-detail", video_id=generation.id)
    return render(request, "generations/new.html", {"form": form})


@never_cache
@login_required
def generation_detail(request: HttpRequest, video_id: str) -> HttpResponse:
    """Progress while the generation runs, the result once it is complete: one URL."""
    generation = _own_generation(request, video_id)
    context = _live_context(generation, since=request.GET.get("since", ""))
    return render(request, "generations/detail.html", context)


@never_cache
def generation_live(request: HttpRequest, video_id: str) -> HttpResponse:
    """The part of the detail page that changes, polled by the page while it is active."""
    if not request.user.is_authenticated:
        login = redirect_to_login(reverse("generation-detail", args=[video_id]))
        if request.headers.get("HX-Request"):
            # A poll after the session ended: htmx would put the login page inside the
            # progress box; this makes it load the login page as the whole page instead.
            return HttpResponse(status=204, headers={"HX-Redirect": login["Location"]})
        return login
    generation = _own_generation(request, video_id)
    return render(request, "generations/_live.html", _live_context(generation))


@require_POST
@login_required
def generation_cancel(request: HttpRequest, video_id: str) -> HttpResponse:
    generation = _own_generation(request, video_id)
    try:
        services.generation_cancel(video_id=generation.id)
    except services.InvalidTransition:
        messages.error(request, "This video had already finished, so there was nothing to cancel.")
    else:
        messages.success(request, "Canceled. Finished steps are kept if you retry.")
    return redirect("generation-detail", video_id=generation.id)


@require_POST
@login_required
def generation_retry(request: HttpRequest, video_id: str) -> HttpResponse:
    generation = _own_generation(request, video_id)
    try:
        services.generation_retry(video_id=generation.id)
    except services.InvalidTransition:
        messages.error(request, "Only a failed or canceled video can be retried.")
    except LimitExceeded as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Retrying from the first step that did not finish.")
    return redirect("generation-detail", video_id=generation.id)


@require_POST
@login_required
def generation_review(request: HttpRequest, video_id: str) -> HttpResponse:
    """The storyboard screen's form: save the edited scenes, and approve when asked to."""
    generation = _own_generation(request, video_id)
    if generation.status != Status.AWAITING_REVIEW:
        messages.error(request, "This storyboard is no longer waiting for review.")
        return redirect("generation-detail", video_id=generation.id)
    form = StoryboardReviewForm(request.POST, spec=generation.spec)
    if not form.is_valid():
        return render(
            request, "generations/detail.html", _live_context(generation, review_form=form), status=400
        )
    edited = form.edited_spec()
    try:
        if edited != generation.spec:
            review.generation_update_spec(video_id=generation.id, spec=edited)
        if request.POST.get("action") == "approve":
            review.generation_approve(video_id=generation.id)
    except ValidationException as exc:
        form.add_error(None, str(exc))
        return render(
            request, "generations/detail.html", _live_context(generation, review_form=form), status=400
        )
    except services.InvalidTransition:
        messages.error(request, "This storyboard is no longer waiting for review.")
    except LimitExceeded as exc:
        return _refused(
            request, form, exc, "generations/detail.html", _live_context(generation, review_form=form)
        )
    else:
        approved = request.POST.get("action") == "approve"
        messages.success(request, "Approved: rendering the video." if approved else "Storyboard saved.")
    return redirect("generation-detail", video_id=generation.id)


@require_POST
@login_required
def generation_regenerate_scene(request: HttpRequest, video_id: str, scene_number: int) -> HttpResponse:
    generation = _own_generation(request, video_id)
    form = RegenerateSceneForm(request.POST)
    caption = form.cleaned_data["caption"].strip() if form.is_valid() else ""
    try:
        review.generation_regenerate_scene(
            video_id=generation.id, scene_number=scene_number, caption=caption or None
        )
    except services.InvalidTransition:
        messages.error(request, "Only a finished video can have a scene redone.")
    except (ValidationException, LimitExceeded) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Redoing scene {scene_number}; the other scenes are reused.")
    return redirect("generation-detail", video_id=generation.id)


@login_required
def history(request: HttpRequest) -> HttpResponse:
    filter_form = HistoryFilterForm(request.GET)
    status_filter = filter_form.cleaned_data["status"] if filter_form.is_valid() else ""
    generations = selectors.generation_list(user=request.user, status_filter=status_filter)
    page = Paginator(generations, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))

    def page_url(number: int) -> str:
        return "?" + urlencode(
            {"status": status_filter, "page": number} if status_filter else {"page": number}
        )

    return render(
        request,
        "generations/history.html",
        {
            "filter_form": filter_form,
            "page": page,
            "cards": results.generation_cards(page.object_list),
            "previous_url": page_url(page.previous_page_number()) if page.has_previous() else None,
            "next_url": page_url(page.next_page_number()) if page.has_next() else None,
            "filtered": bool(status_filter),
        },
    )


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def webhook_secret(request: HttpRequest) -> HttpResponse:
    """The user's webhook secret: its date, and a new one (shown once) on POST."""
    new_secret = webhook_secret_rotate(user=request.user).secret if request.method == "POST" else None
    return render(
        request,
        "generations/webhooks.html",
        {"new_secret": new_secret, "made_at": webhook_secret_made_at(user=request.user)},
    )


def _refused(
    request: HttpRequest, form: forms.Form, exc: LimitExceeded, template: str, context: dict[str, Any]
) -> HttpResponse:
    """The form again with the limit that refused it said on it: 429 with Retry-After."""
    form.add_error(None, exc.message)
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def _own_generation(request: HttpRequest, video_id: str) -> VideoGeneration:
    # Another user's generation answers 404, exactly like one that does not exist.
    return get_object_or_404(selectors.generation_list(user=request.user), id=video_id)


def _live_context(
    generation: VideoGeneration, review_form: StoryboardReviewForm | None = None, *, since: str = ""
) -> dict[str, Any]:
    """`since`: the fingerprint of a narration being re-voiced (see `narration_panel`)."""
    timeline = selectors.generation_timeline(generation=generation)
    awaiting_review = generation.status == Status.AWAITING_REVIEW
    if awaiting_review and review_form is None:
        review_form = StoryboardReviewForm(spec=generation.spec)
    panel = narration_panel(generation, since=since) if awaiting_review else {}
    return {
        **panel,
        "generation": generation,
        "timeline": timeline,
        "failed_step": next((step for step in timeline if step.state == "failed"), None),
        "assets": results.generation_assets(generation=generation),
        "result": results.generation_result(generation=generation),
        "eta_seconds": selectors.generation_eta_seconds(generation) if generation.is_active else None,
        "queue_position": selectors.generation_queue_position(generation),
        "progress_percent": round(generation.progress),
        "can_retry": generation.status in (Status.FAILED, Status.CANCELED),
        # No polling on the storyboard screen: a refresh would throw away the edits being typed.
        "live_url": reverse("generation-live", args=[generation.id])
        if generation.is_active and not awaiting_review
        else None,
        "review_form": review_form,
        # Each scene's form beside its frame (a frame is None while the worker redraws it).
        "review_scenes": list(
            zip(review_form.scenes.forms, results.storyboard_frames(generation), strict=False)
        )
        if review_form is not None
        else [],
        "regenerate_form": RegenerateSceneForm(),
        "poll_interval_ms": POLL_INTERVAL_MS,
    }


def narration_panel(generation: VideoGeneration, *, since: str = "") -> dict[str, Any]:
    """The panel's context; `since` is the fingerprint of the voice being replaced, if any."""
    fingerprint = narration.narration_fingerprint(generation)
    scenes = narration.scene_narrations(generation)
    asked = generation.generation_request
    pending = (
        bool(since)
        and since == fingerprint
        and generation.status == Status.AWAITING_REVIEW
        and timezone.now() - generation.updated_at < narration.REVOICE_WAIT
    )
    return {
        "narration_scenes": [
            (scene, f"{reverse('api:scene-narration', args=[generation.id, scene.number])}?v={fingerprint}")
            for scene in scenes
        ],
        "narration_voice": (generation.spec or {}).get("narration"),
        "revoice_form": RevoiceForm(
            initial={
                "voice": asked.voice,
                "language": asked.language,
                "speech_rate": asked.speech_rate,
            }
        ),
        "narration_poll_url": f"{reverse('generation-narration', args=[generation.id])}?since={since}"
        if pending
        else None,
        "poll_interval_ms": POLL_INTERVAL_MS,
    }
