"""/api/batches/: submit many prompts at once (JSON or CSV), follow them, cancel the batch,
retry its failed items, download its finished videos as one ZIP."""

from __future__ import annotations

import stat
import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from stream_zip import ZIP_64, stream_zip

from generations import batches
from generations.api.batch_input import read_csv, validate_items
from generations.api.serializers import GenerateSerializer
from generations.api.views import VIDEO_ID, errors
from generations.models import Batch, VideoGeneration, status_choices

ZIP_CHUNK = 1024 * 1024


class CSVParser(BaseParser):
    """`Content-Type: text/csv`: the body as text, read into items by `read_csv`."""

    media_type = "text/csv"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> str:
        try:
            return stream.read().decode("utf-8")
        except UnicodeDecodeError:
            raise serializers.ValidationError({"detail": "The CSV file must be UTF-8 text."}) from None


class BatchRequestSerializer(serializers.Serializer):
    items = serializers.ListField(child=GenerateSerializer(), help_text="Each item as for POST /generate.")


class BatchRowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="1-based: the item, or the CSV line after the header.")
    errors = serializers.DictField(help_text="Each bad field and why.")


class BatchRejectionSerializer(serializers.Serializer):
    detail = serializers.CharField()
    rows = BatchRowErrorSerializer(many=True, required=False, help_text="Every bad row, when rows are bad.")


class BatchItemSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    prompt = serializers.CharField()
    video_id = serializers.CharField(allow_null=True, help_text="null while the item waits its turn.")
    status = serializers.ChoiceField(choices=status_choices())
    progress = serializers.FloatField()
    phase = serializers.CharField(allow_null=True)
    error = serializers.DictField(allow_null=True, help_text='{"phase": ..., "reason": ...} when it failed.')
    cost_usd = serializers.DecimalField(max_digits=12, decimal_places=4, coerce_to_string=False)


class BatchTotalsSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    running = serializers.IntegerField()
    queued = serializers.IntegerField()
    canceled = serializers.IntegerField()


BATCH_STATUSES = ("running", "finished", "canceled")


class BatchSerializer(serializers.Serializer):
    id = serializers.CharField(source="batch.id")
    status = serializers.ChoiceField(choices=BATCH_STATUSES)
    created_at = serializers.DateTimeField(source="batch.created_at")
    totals = BatchTotalsSerializer()
    cost_usd = serializers.DecimalField(max_digits=12, decimal_places=4, coerce_to_string=False)
    elapsed_seconds = serializers.FloatField(help_text="From submission to the last item's end (or now).")
    items = BatchItemSerializer(many=True)


@extend_schema_view(
    list=extend_schema(
        summary="Your batches, newest first",
        responses={200: BatchSerializer(many=True), **errors(400, 401, 404)},
    ),
    retrieve=extend_schema(
        summary="A batch: each item's status, progress, phase and error, and the totals",
        responses={200: BatchSerializer, **errors(401, 404)},
    ),
)
class BatchViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Many videos at once. Items start in row order as your active slots free up."""

    parser_classes = [JSONParser, CSVParser]
    renderer_classes = [JSONRenderer]
    serializer_class = BatchSerializer
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[Batch]:
        if getattr(self, "swagger_fake_view", False):
            return Batch.objects.none()
        queryset = Batch.objects.order_by("-created_at")
        return queryset if self.request.user.is_staff else queryset.filter(user=self.request.user)

    def get_object(self) -> Batch:
        if not VIDEO_ID.fullmatch(str(self.kwargs["pk"])):
            raise NotFound("No such batch.")
        return super().get_object()  # type: ignore[return-value]

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset()) or []  # type: ignore[arg-type]
        return self.get_paginated_response([BatchSerializer(batches.batch_summary(b)).data for b in page])

    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(BatchSerializer(batches.batch_summary(self.get_object())).data)

    @extend_schema(
        summary="Submit a batch: JSON {items: [...]} or a CSV file (Content-Type: text/csv)",
        request={"application/json": BatchRequestSerializer, "text/csv": OpenApiTypes.STR},
        responses={
            201: BatchSerializer,
            400: OpenApiResponse(
                BatchRejectionSerializer, description="Nothing started: `rows` lists each bad row."
            ),
            **errors(401),
        },
    )
    def create(self, request: Request) -> Response:
        if request.content_type.startswith(CSVParser.media_type):
            # DRF hands an empty body over as {} without calling the parser.
            checked = read_csv(request.data if isinstance(request.data, str) else "")
        elif isinstance(request.data, dict) and isinstance(request.data.get("items"), list):
            checked = validate_items(request.data["items"])
        else:
            return Response({"detail": 'Send {"items": [...]} or a CSV file.'}, status.HTTP_400_BAD_REQUEST)
        if not checked.ok:
            return Response(checked.error_body(), status=status.HTTP_400_BAD_REQUEST)
        batch = batches.batch_create(user=request.user, items=checked.items)
        return Response(BatchSerializer(batches.batch_summary(batch)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel the batch: waiting items never start, running ones stop",
        request=None,
        responses={200: BatchSerializer, **errors(401, 404)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        batch = self.get_object()
        batches.batch_cancel(batch_id=batch.id)
        return Response(BatchSerializer(batches.batch_summary(self.get_object())).data)

    @extend_schema(
        summary="Retry the batch's failed items from the phase that failed",
        request=None,
        responses={200: BatchSerializer, **errors(401, 404)},
    )
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        batch = self.get_object()
        batches.batch_retry_failed(batch_id=batch.id)
        return Response(BatchSerializer(batches.batch_summary(self.get_object())).data)

    @extend_schema(
        summary="Every finished video of the batch as one ZIP, streamed",
        responses={(200, "application/zip"): OpenApiTypes.BINARY, **errors(401, 404)},
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str) -> StreamingHttpResponse:
        batch = self.get_object()
        finished = batches.batch_summary(batch).finished_video_ids
        videos = VideoGeneration.objects.filter(id__in=finished).select_related("batch_item")
        response = StreamingHttpResponse(zip_videos(list(videos)), content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="batch-{batch.id}.zip"'
        return response


def zip_videos(videos: list[VideoGeneration]) -> Iterator[bytes]:
    """A ZIP of the videos' final MP4s, made as it is sent: each file is read from storage a
    chunk at a time and each chunk goes out as soon as it is packed, so neither the archive
    nor a whole video is ever held in memory or written to disk. MP4 does not compress, so
    entries are stored (deflate level 0) rather than spending CPU for nothing."""

    def members() -> Iterator[tuple[str, datetime, int, Any, Iterator[bytes]]]:
        for video in sorted(videos, key=lambda v: v.batch_item.row):
            name = f"{video.batch_item.row:03d}-{slugify(video.title)[:60] or 'video'}-{video.id}.mp4"
            yield (
                name,
                video.completed_at or video.created_at,
                stat.S_IFREG | 0o644,
                ZIP_64,
                _chunks(video.final_video_url),
            )

    return iter(stream_zip(members(), chunk_size=ZIP_CHUNK, get_compressobj=_stored))


def _stored() -> Any:
    return zlib.compressobj(level=0, wbits=-zlib.MAX_WBITS)


def _chunks(name: str | None) -> Iterator[bytes]:
    if not name:
        return
    with default_storage.open(name, "rb") as stored:
        while chunk := stored.read(ZIP_CHUNK):
            yield chunk
