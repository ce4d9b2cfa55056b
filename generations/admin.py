"""Operators watch and steer every generation here."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from generations import services
from generations.models import (
    CostEntry,
    PartRun,
    PhaseRun,
    StatusEvent,
    VideoGeneration,
    WebhookDelivery,
)
from generations.pages.login import ThrottledAdminAuthenticationForm
from generations.policy import LimitExceeded
from generations.results import artifact_names_on, generation_versions
from phases.registry import PHASES
from phases.storage import url_for

# The admin's sign-in counts failed attempts like the site's own.
admin.site.login_form = ThrottledAdminAuthenticationForm


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class PhaseRunInline(ReadOnlyInline):
    model = PhaseRun
    fields = (
        "phase",
        "attempt",
        "status",
        "started_at",
        "finished_at",
        "duration_seconds",
        "cost_usd",
        "detail",
        "error_message",
    )
    readonly_fields = fields


class PartRunInline(ReadOnlyInline):
    model = PartRun
    fields = ("phase", "index", "status", "attempts", "duration_seconds", "cost_usd", "error_message")
    readonly_fields = fields


class CostEntryInline(ReadOnlyInline):
    model = CostEntry
    fields = ("phase", "provider", "model", "units", "usd", "created_at")
    readonly_fields = fields


class StatusEventInline(ReadOnlyInline):
    model = StatusEvent
    fields = ("created_at", "from_status", "to_status", "note")
    readonly_fields = fields


class WebhookDeliveryInline(ReadOnlyInline):
    model = WebhookDelivery
    fields = ("created_at", "event", "attempt", "ok", "status_code", "error", "duration_ms")
    readonly_fields = fields


@admin.register(VideoGeneration)
class VideoGenerationAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "short_prompt",
        "status",
        "progress_percent",
        "current_phase",
        "cost_usd",
        "generation_time_seconds",
        "user",
        "created_at",
    )
    list_filter = ("status", "created_at", "aspect_ratio", "resolution")
    date_hierarchy = "created_at"
    search_fields = ("id", "prompt")
    list_select_related = ("user",)
    actions = ("retry_generations", "cancel_generations")
    inlines = (StatusEventInline, PhaseRunInline, PartRunInline, CostEntryInline, WebhookDeliveryInline)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "id",
                    "user",
                    "prompt",
                    "duration",
                    "aspect_ratio",
                    "resolution",
                    "template",
                    "seed",
                    "uploaded_assets",
                    "webhook_url",
                    "request",
                )
            },
        ),
        (
            "Status",
            {
                "fields": (
                    "status",
                    "progress",
                    "current_phase",
                    "error_message",
                    "attempts",
                    "created_at",
                    "started_at",
                    "completed_at",
                    "generation_time_seconds",
                )
            },
        ),
        (
            "Outputs",
            {"fields": ("outputs",)},
        ),
        ("Spec and cost", {"fields": ("spec_json", "cost_usd", "cost_breakdown")}),
        (
            "Review, versions and remixes",
            {"fields": ("review", "approved_at", "remixed_from_link", "remix_links", "scene_versions")},
        ),
    )
    # Everything is shown and nothing is edited here: writes go through the services.
    readonly_fields = tuple(name for _title, options in fieldsets for name in options["fields"])

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Generations are created through the pipeline's service (form, API, command).
        return False

    @admin.display(description="prompt")
    def short_prompt(self, obj: VideoGeneration) -> str:
        return obj.prompt if len(obj.prompt) <= 60 else obj.prompt[:59] + "…"

    @admin.display(description="progress", ordering="progress")
    def progress_percent(self, obj: VideoGeneration) -> str:
        return f"{obj.progress:.0f}%"

    @admin.display(description="files")
    def outputs(self, obj: VideoGeneration) -> str:
        """Every phase's artifacts, newest phase first, as links."""
        rows = [
            (
                artifact.label,
                format_html_join(
                    mark_safe("<br>"),
                    '<a href="{}" target="_blank" rel="noopener">{}</a>',
                    ((url_for(name), name) for name in names),
                ),
            )
            for phase in reversed(PHASES)
            for artifact in phase.artifacts
            if (names := artifact_names_on(obj, phase, artifact))
        ]
        if not rows:
            return "—"
        return format_html_join(mark_safe("<br>"), "<strong>{}</strong><br>{}", rows)

    @admin.display(description="remixed from")
    def remixed_from_link(self, obj: VideoGeneration) -> str:
        if obj.remixed_from_id is None:
            return "—"
        url = reverse("admin:generations_videogeneration_change", args=[obj.remixed_from_id])
        return format_html('<a href="{}">{}</a>', url, obj.remixed_from_id)

    @admin.display(description="remixes")
    def remix_links(self, obj: VideoGeneration) -> str:
        children = list(obj.remixes.values_list("id", flat=True))
        if not children:
            return "—"
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a>',
            (
                (reverse("admin:generations_videogeneration_change", args=[child]), child)
                for child in children
            ),
        )

    @admin.display(description="versions per scene")
    def scene_versions(self, obj: VideoGeneration) -> str:
        rows = [
            (
                f"{kind} {scene}",
                format_html_join(
                    ", ", '<a href="{}">v{}</a>', ((url_for(name), n) for n, name in enumerate(names, 1))
                ),
            )
            for kind, scenes in generation_versions(obj).items()
            for scene, names in scenes.items()
        ]
        if not rows:
            return "—"
        return format_html_join(mark_safe("<br>"), "{}: {}", rows)

    @admin.display(description="spec")
    def spec_json(self, obj: VideoGeneration) -> str:
        if not obj.spec:
            return "—"
        return format_html("<pre>{}</pre>", json.dumps(obj.spec, indent=2, ensure_ascii=False))

    def delete_model(self, request: HttpRequest, obj: VideoGeneration) -> None:
        # Through the service: a running generation is canceled (its jobs stopped) and its
        # files removed, not just its row.
        services.generation_delete(video_id=obj.id)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[VideoGeneration]) -> None:
        for video_id in queryset.values_list("id", flat=True):
            services.generation_delete(video_id=video_id)

    @admin.action(description="Retry selected failed or canceled generations", permissions=["change"])
    def retry_generations(self, request: HttpRequest, queryset: QuerySet[VideoGeneration]) -> None:
        self._apply(request, queryset, services.generation_retry, "retried")

    @admin.action(description="Cancel selected active generations", permissions=["change"])
    def cancel_generations(self, request: HttpRequest, queryset: QuerySet[VideoGeneration]) -> None:
        self._apply(request, queryset, services.generation_cancel, "canceled")

    def _apply(self, request: HttpRequest, queryset: QuerySet[VideoGeneration], action, verb: str) -> None:
        done, refused = 0, []
        for video_id in queryset.values_list("id", flat=True):
            try:
                action(video_id=video_id)
                done += 1
            except services.InvalidTransition as exc:
                refused.append(str(exc))
            except LimitExceeded as exc:
                refused.append(f"generation {video_id}: {exc}")
        if done:
            self.message_user(request, f"{done} generation(s) {verb}.", messages.SUCCESS)
        for reason in refused:
            self.message_user(request, reason, messages.WARNING)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """Every attempt at telling a receiver about a final status; read-only, written by the
    delivery job."""

    list_display = ("created_at", "generation", "event", "attempt", "ok", "status_code", "url", "error")
    list_filter = ("ok", "event", "created_at")
    search_fields = ("generation__id", "url")
    list_select_related = ("generation",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
