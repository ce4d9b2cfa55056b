"""The JSON API: the seed's endpoints (/generate, /status, /video) and /api/generations/.

Views parse, authorize, call one service and render. Every lookup goes through the
caller's own generations, so another user's id is answered exactly like an unknown one.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from generations import review, selectors, services
from generations.api.exceptions import Conflict
from generations.api.filters import GenerationFilter, GenerationPagination
from generations.api.serializers import (
    ErrorSerializer,
    GenerateResponseSerializer,
    GenerateSerializer,
    GenerationDetailSerializer,
    GenerationListSerializer,
    LimitErrorSerializer,
    RegenerateSceneSerializer,
    RemixSerializer,
    SpecUpdateSerializer,
    StatusResponseSerializer,
    TokenSerializer,
    VideoResponseSerializer,
)
from generations.api.throttling import TokenRateThrottle
from generations.models import VideoGeneration
from phases.request import RequestInvalid
from toolbox.exceptions import ValidationException

# Generated ids are 32 hex digits; anything that could not be an id (a NUL byte, a
# thousand characters) is a 404 before it reaches the database.
VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "pattern": "^[!-~]{1,255}$"},
    OpenApiParameter.HEADER,
    description=(
        "1 to 255 visible ASCII characters. Repeating a request with the same key returns the "
        "generation the first one made; the same key with a different body is 409."
    ),
)


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    described = {
        400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid request: each bad field and why."),
        401: OpenApiResponse(ErrorSerializer, description="Not authenticated."),
        404: OpenApiResponse(ErrorSerializer, description="No such generation (or not yours), or page."),
        409: OpenApiResponse(ErrorSerializer, description="Conflicts with the generation's state."),
        429: OpenApiResponse(
            LimitErrorSerializer,
            description="Past a limit: `limit` says which (the rate of starts or the videos active "
            "at once); see Retry-After.",
        ),
        503: OpenApiResponse(ErrorSerializer, description="The queue is unavailable; see Retry-After."),
    }
    return {code: described[code] for code in codes}


class OwnedGenerations:
    """Scopes lookups to the caller's generations. Others' generations are reached only
    through Django permissions: `view` to see them (without it they are a 404, like an
    unknown id), `change` to act on them, `delete` to delete them (a 403 when seen but
    not allowed)."""

    request: Request
    kwargs: dict[str, Any]
    lookup_url_kwarg: str | None
    lookup_field: str
    # The permission an action needs on another user's generation; reads need only "view".
    permission_for_action = {
        "destroy": "delete",
        "cancel": "change",
        "retry": "change",
        "approve": "change",
        "partial_update": "change",
        "regenerate_scene": "change",
    }

    def get_queryset(self) -> QuerySet[VideoGeneration]:
        if getattr(self, "swagger_fake_view", False):
            # drf-spectacular inspecting the view: there is no user.
            return VideoGeneration.objects.none()
        return selectors.generations_visible_to(user=self.request.user)

    def get_object(self) -> VideoGeneration:
        if not VIDEO_ID.fullmatch(str(self.kwargs[self.lookup_url_kwarg or self.lookup_field])):
            raise NotFound("No such generation.")
        generation: VideoGeneration = super().get_object()  # type: ignore[misc]
        needed = self.permission_for_action.get(getattr(self, "action", None) or "")
        if (
            needed
            and generation.user_id != self.request.user.pk
            and not self.request.user.has_perm(f"generations.{needed}_videogeneration")
        ):
            raise PermissionDenied(f"You may see this generation but not {needed} it.")
        return generation


class JSONOnly:
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]


@extend_schema_view(
    list=extend_schema(
        summary="Your generations, newest first",
        responses={200: GenerationListSerializer, **errors(400, 401, 404)},
    ),
    retrieve=extend_schema(
        summary="One generation with its artifacts and phase runs",
        responses={200: GenerationDetailSerializer, **errors(401, 404)},
    ),
    destroy=extend_schema(
        summary="Delete a generation and its stored files (canceling it first if running)",
        responses={204: None, **errors(401, 404)},
    ),
)
class GenerationViewSet(
    OwnedGenerations,
    JSONOnly,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Your generations: submit, list, inspect, cancel, retry, delete."""

    filterset_class = GenerationFilter
    pagination_class = GenerationPagination
    # Ids are checked in get_object, so a malformed one is a JSON 404, not Django's page.
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[VideoGeneration]:
        queryset = super().get_queryset().order_by("-created_at", "-id")
        if self.action in ("retrieve", "cancel", "retry", "approve", "partial_update", "regenerate_scene"):
            queryset = queryset.prefetch_related("phase_runs")
        return queryset

    def get_serializer_class(self) -> type[BaseSerializer]:
        if self.action == "list":
            return GenerationListSerializer
        if self.action == "create":
            return GenerateSerializer
        return GenerationDetailSerializer

    @extend_schema(
        summary="Submit a prompt (the seed's POST /generate)",
        request=GenerateSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={202: GenerateResponseSerializer, **errors(400, 401, 409, 429, 503)},
    )
    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        asked = serializer.generation_request()
        key = idempotency_key(request)
        try:
            if key is None:
                generation, created = services.generation_create(user=request.user, request=asked), True
            else:
                generation, created = services.generation_create_idempotent(
                    user=request.user, idempotency_key=key, request=asked
                )
        except RequestInvalid as exc:
            raise ValidationError(exc.errors) from None
        except services.IdempotencyConflict as exc:
            raise Conflict(str(exc)) from None
        message = "Video generation queued" if created else "Already submitted with this Idempotency-Key"
        body = GenerateResponseSerializer(
            {"video_id": generation.id, "status": generation.status, "message": message}
        ).data
        location = request.build_absolute_uri(reverse("api:status", args=[generation.id]))
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": location})

    def perform_destroy(self, instance: VideoGeneration) -> None:
        services.generation_delete(video_id=instance.id)

    @extend_schema(
        summary="Cancel a generation in progress",
        request=None,
        responses={200: GenerationDetailSerializer, **errors(401, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        generation = self.get_object()
        try:
            services.generation_cancel(video_id=generation.id)
        except services.InvalidTransition as exc:
            raise Conflict(
                f"Only a generation in progress can be canceled; this one is {exc.current}."
            ) from None
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Retry a failed or canceled generation from its first unfinished phase",
        request=None,
        responses={200: GenerationDetailSerializer, **errors(401, 404, 409, 429)},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        generation = self.get_object()
        try:
            services.generation_retry(video_id=generation.id)
        except services.InvalidTransition as exc:
            raise Conflict(
                f"Only a failed or canceled generation can be retried; this one is {exc.current}."
            ) from None
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Edit the spec of a generation awaiting review",
        request=SpecUpdateSerializer,
        responses={200: GenerationDetailSerializer, **errors(400, 401, 404, 409, 429)},
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        generation = self.get_object()
        serializer = SpecUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            review.generation_update_spec(video_id=generation.id, spec=serializer.validated_data["spec"])
        except services.InvalidTransition as exc:
            raise Conflict(
                f"Only a generation awaiting review can be edited; this one is {exc.current}."
            ) from None
        except ValidationException as exc:
            raise ValidationError({"spec": [str(exc)]}) from None
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Approve the storyboard: rendering continues from the references",
        request=None,
        responses={200: GenerationDetailSerializer, **errors(401, 404, 409, 429)},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        generation = self.get_object()
        try:
            review.generation_approve(video_id=generation.id)
        except services.InvalidTransition as exc:
            raise Conflict(
                f"Only a generation awaiting review can be approved; this one is {exc.current}."
            ) from None
        return Response(self.get_serializer(self.get_object()).data)

    @extend_schema(
        summary="Redo one scene of a finished video; the other scenes are reused",
        parameters=[
            OpenApiParameter("scene", OpenApiTypes.INT, OpenApiParameter.PATH, description="1-based")
        ],
        request=RegenerateSceneSerializer,
        responses={202: GenerationDetailSerializer, **errors(400, 401, 404, 409, 429)},
    )
    @action(detail=True, methods=["post"], url_path=r"scenes/(?P<scene>[^/]+)/regenerate")
    def regenerate_scene(self, request: Request, pk: str, scene: str) -> Response:
        generation = self.get_object()
        if not scene.isascii() or not scene.isdigit():
            raise NotFound("No such scene.")
        serializer = RegenerateSceneSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            review.generation_regenerate_scene(
                video_id=generation.id, scene_number=int(scene), **serializer.validated_data
            )
        except services.InvalidTransition as exc:
            raise Conflict(
                f"Only a complete video can have a scene regenerated; this one is {exc.current}."
            ) from None
        except ValidationException as exc:
            raise ValidationError({"scene": [str(exc)]}) from None
        return Response(self.get_serializer(self.get_object()).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="A new generation from this one, with a new prompt and/or a changed spec",
        request=RemixSerializer,
        responses={202: GenerateResponseSerializer, **errors(400, 401, 404, 429)},
    )
    @action(detail=True, methods=["post"])
    def remix(self, request: Request, pk: str) -> Response:
        parent = self.get_object()
        serializer = RemixSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            child = review.generation_remix(parent=parent, user=request.user, **serializer.validated_data)
        except RequestInvalid as exc:
            raise ValidationError(exc.errors) from None
        except ValidationException as exc:
            raise ValidationError({"spec": [str(exc)]}) from None
        body = GenerateResponseSerializer(
            {"video_id": child.id, "status": child.status, "message": f"Remix of {parent.id} queued"}
        ).data
        location = request.build_absolute_uri(reverse("api:status", args=[child.id]))
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": location})


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        raise ValidationError({"Idempotency-Key": ["Must be 1 to 255 visible ASCII characters."]})
    return key


@extend_schema(
    summary="Progress of a generation (the seed's StatusResponse)",
    responses={200: StatusResponseSerializer, **errors(401, 404)},
)
class StatusView(OwnedGenerations, JSONOnly, generics.RetrieveAPIView):
    """Poll this while a video is made; `queue_position` is set while it waits its turn."""

    serializer_class = StatusResponseSerializer
    lookup_url_kwarg = "video_id"

    def get_queryset(self) -> QuerySet[VideoGeneration]:
        # Polled every second by every open progress page: leave the JSON columns (spec,
        # request, artifacts) unread.
        return super().get_queryset().only(*selectors.STATUS_FIELDS)


@extend_schema(
    summary="The finished video (the seed's VideoResponse)",
    responses={200: VideoResponseSerializer, **errors(401, 404)},
)
class VideoView(OwnedGenerations, JSONOnly, generics.RetrieveAPIView):
    """The result. Its file links answer the owner's token or session only (on S3 with a
    redirect to a presigned URL made at that moment)."""

    serializer_class = VideoResponseSerializer
    lookup_url_kwarg = "video_id"


@extend_schema(
    summary="Exchange a username and password for your API token",
    auth=[],
    responses={200: TokenSerializer, **errors(400, 429)},
)
class TokenView(ObtainAuthToken):
    """The token is created on first use and stays the same until revoked in the admin."""

    throttle_classes = [TokenRateThrottle]
