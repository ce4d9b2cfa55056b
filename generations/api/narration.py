"""Hear the narration before rendering: each scene's voice as audio while a video awaits
review, and re-voicing it with another voice, language or pace."""

from __future__ import annotations

import copy

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from generations import narration
from generations.api.exceptions import Conflict
from generations.api.fields import StrictSerializer
from generations.api.serializers import ErrorSerializer, GenerateSerializer
from generations.api.views import OwnedGenerations, errors
from generations.services import InvalidTransition
from toolbox.exceptions import ValidationException

SCENE = OpenApiParameter("scene", OpenApiTypes.INT, OpenApiParameter.PATH, description="1-based")


class RevoiceSerializer(StrictSerializer):
    """The voice options of POST /generate; any left out take their defaults."""

    voice = copy.deepcopy(GenerateSerializer._declared_fields["voice"])
    language = copy.deepcopy(GenerateSerializer._declared_fields["language"])
    speech_rate = copy.deepcopy(GenerateSerializer._declared_fields["speech_rate"])


class SceneNarrationSerializer(serializers.Serializer):
    scene = serializers.IntegerField(source="number")
    text = serializers.CharField()
    start = serializers.FloatField(help_text="Seconds into the video.")
    end = serializers.FloatField()
    audio_url = serializers.CharField(allow_null=True, help_text="WAV; null when the scene is silent.")


class NarrationSerializer(serializers.Serializer):
    fingerprint = serializers.CharField(help_text="Changes when a re-voice is done.")
    voice = serializers.CharField()
    language = serializers.CharField()
    rate = serializers.FloatField()
    scenes = SceneNarrationSerializer(many=True)


@extend_schema(
    summary="Each scene's narration: its words, its time and its audio",
    responses={200: NarrationSerializer, **errors(401, 404)},
)
class NarrationView(OwnedGenerations, generics.GenericAPIView):
    renderer_classes = [JSONRenderer]
    lookup_url_kwarg = "video_id"
    serializer_class = NarrationSerializer

    def get(self, request: Request, video_id: str) -> Response:
        generation = self.get_object()
        scenes = narration.scene_narrations(generation)
        if not scenes:
            raise NotFound("This video has no narration (yet).")
        fingerprint = narration.narration_fingerprint(generation)

        def audio_url(number: int) -> str:
            path = reverse("api:scene-narration", args=[generation.id, number])
            return request.build_absolute_uri(f"{path}?v={fingerprint}")

        voice = generation.spec["narration"]
        body = {
            "fingerprint": fingerprint,
            "voice": voice["voice"],
            "language": voice["language"],
            "rate": voice["rate"],
            "scenes": [
                {**scene.__dict__, "audio_url": audio_url(scene.number) if scene.text else None}
                for scene in scenes
            ],
        }
        return Response(NarrationSerializer(body).data)


@extend_schema(
    summary="One scene's narration as a WAV file",
    parameters=[SCENE],
    responses={(200, "audio/wav"): OpenApiTypes.BINARY, **errors(401, 404)},
)
class SceneNarrationView(OwnedGenerations, generics.GenericAPIView):
    lookup_url_kwarg = "video_id"

    def get(self, request: Request, video_id: str, scene: str) -> HttpResponse:
        generation = self.get_object()
        audio = (
            narration.scene_narration_audio(generation=generation, scene_number=int(scene))
            if scene.isascii() and scene.isdigit()
            else None
        )
        if audio is None:
            raise NotFound("This scene has no narration.")
        # Addressed by the narration's fingerprint (?v=), so a new voice is a new URL.
        return HttpResponse(
            audio, content_type="audio/wav", headers={"Cache-Control": "private, max-age=3600"}
        )


@extend_schema(
    summary="Voice the narration again (voice, language, pace) while the video awaits review",
    request=RevoiceSerializer,
    responses={202: ErrorSerializer, **errors(400, 401, 404, 409, 429)},
)
class RevoiceView(OwnedGenerations, generics.GenericAPIView):
    """The scenes are refitted to the new speech; GET narration/ shows the new fingerprint once done."""

    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    lookup_url_kwarg = "video_id"
    serializer_class = RevoiceSerializer

    def post(self, request: Request, video_id: str) -> Response:
        generation = self.get_object()
        serializer = RevoiceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            narration.generation_revoice(video_id=generation.id, **serializer.validated_data)
        except InvalidTransition as exc:
            raise Conflict(
                f"Only a video awaiting review can be re-voiced; this one is {exc.current}."
            ) from None
        except ValidationException as exc:
            raise ValidationError({"narration": [str(exc)]}) from None
        location = request.build_absolute_uri(reverse("api:narration", args=[generation.id]))
        return Response(
            {"detail": "Re-voicing: GET the narration until its fingerprint changes."},
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )
