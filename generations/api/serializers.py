"""Request and response shapes. The seed's names (GenerateRequest, GenerateResponse,
StatusResponse, VideoResponse) are the component names in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from generations import selectors
from generations.api.fields import (
    StrictBooleanField,
    StrictCharField,
    StrictFloatField,
    StrictIntegerField,
    StrictRegexField,
    StrictSerializer,
)
from generations.models import AspectRatio, PhaseRun, VideoGeneration, status_choices
from phases.registry import PHASES
from phases.request import (
    COLOUR_PATTERN,
    DEFAULT_DURATION,
    DEFAULT_RESOLUTION,
    LANGUAGE_MAX,
    LANGUAGE_PATTERN,
    MAX_ASSETS,
    MAX_DURATION,
    MIN_DURATION,
    PROMPT_MAX,
    PROMPT_MIN,
    RESOLUTIONS,
    SCENE_CAPTION_MAX,
    SCENE_DESCRIPTION_MAX,
    SCRIPT_LIMIT,
    SEED_MAX,
    SPEECH_RATE_RANGE,
    SUBTITLE_BACKGROUND_RANGE,
    SUBTITLE_FONTS,
    SUBTITLE_MODES,
    SUBTITLE_OUTLINE_RANGE,
    SUBTITLE_POSITIONS,
    SUBTITLE_SIZE_RANGE,
    SUBTITLE_STYLE_DEFAULTS,
    TEMPLATES,
    URL_MAX,
    VOICE_PATTERN,
    WEBHOOK_URL_MAX,
    GenerationRequest,
)
from toolbox.ssrf import UnsafeURL, check_url


def public_url(value: str) -> str:
    try:
        check_url(value, allow_private=settings.ALLOW_PRIVATE_URLS)
    except UnsafeURL as exc:
        raise serializers.ValidationError(f"Refused: the URL {exc}.") from None
    return value


class AssetSerializer(StrictSerializer):
    url = serializers.URLField(max_length=URL_MAX, help_text="A public http(s) URL of an image.")
    type = serializers.ChoiceField(choices=["image"])

    def validate_url(self, value: str) -> str:
        return public_url(value)


class SubtitleStyleSerializer(StrictSerializer):
    """How burned-in subtitles look; every field is optional."""

    font = serializers.ChoiceField(choices=SUBTITLE_FONTS, required=False)
    size = StrictIntegerField(
        min_value=SUBTITLE_SIZE_RANGE[0],
        max_value=SUBTITLE_SIZE_RANGE[1],
        required=False,
        help_text=f"Pixels on the frame's short side (1080); {SUBTITLE_STYLE_DEFAULTS['size']} by default.",
    )
    color = StrictRegexField(COLOUR_PATTERN, required=False, help_text="#rrggbb")
    outline_color = StrictRegexField(COLOUR_PATTERN, required=False, help_text="#rrggbb")
    outline = StrictIntegerField(
        min_value=SUBTITLE_OUTLINE_RANGE[0],
        max_value=SUBTITLE_OUTLINE_RANGE[1],
        required=False,
        help_text="Pixels.",
    )
    position = serializers.ChoiceField(
        choices=SUBTITLE_POSITIONS,
        required=False,
        help_text="Inside the safe area (further in on 9:16); center is the older name of middle.",
    )
    mode = serializers.ChoiceField(
        choices=SUBTITLE_MODES,
        required=False,
        help_text="words: the word being spoken is highlighted (burned in; WebVTT gets word timestamps).",
    )
    highlight_color = StrictRegexField(COLOUR_PATTERN, required=False, help_text="#rrggbb, for mode words.")
    background = StrictIntegerField(
        min_value=SUBTITLE_BACKGROUND_RANGE[0],
        max_value=SUBTITLE_BACKGROUND_RANGE[1],
        required=False,
        help_text="Opacity in percent of a box in the outline colour behind the text; 0: none.",
    )


class GenerateSerializer(StrictSerializer):
    """The seed's GenerateRequest, plus the video's options: the JSON shape of
    phases.request.GenerationRequest. The fields check JSON types and state the limits in
    the schema; `generation_request()` hands the service the request, which it validates."""

    prompt = StrictCharField(
        min_length=PROMPT_MIN,
        max_length=PROMPT_MAX,
        help_text=f"{PROMPT_MIN} to {PROMPT_MAX} characters, after trimming.",
    )
    assets = serializers.ListField(
        child=AssetSerializer(), max_length=MAX_ASSETS, default=list, help_text="Reference images."
    )
    duration = serializers.IntegerField(
        min_value=MIN_DURATION, max_value=MAX_DURATION, default=DEFAULT_DURATION, help_text="Seconds."
    )
    aspect_ratio = serializers.ChoiceField(choices=AspectRatio.choices, default=AspectRatio.LANDSCAPE)
    resolution = serializers.ChoiceField(
        choices=RESOLUTIONS,
        default=DEFAULT_RESOLUTION,
        help_text="The frame's short side: 1080p is full size, the others are quicker drafts.",
    )
    template = serializers.ChoiceField(choices=TEMPLATES, allow_null=True, default=None)
    seed = serializers.IntegerField(min_value=0, max_value=SEED_MAX, default=0)
    webhook_url = serializers.URLField(
        max_length=WEBHOOK_URL_MAX,
        allow_blank=True,
        default="",
        help_text="Receives a signed POST of the VideoResponse when the video completes, fails or is canceled.",
    )

    review = StrictBooleanField(
        default=False,
        help_text="Stop after the storyboard (status awaiting_review) until approved; edit the spec meanwhile.",
    )
    script = StrictCharField(
        max_length=SCRIPT_LIMIT,
        allow_blank=True,
        default="",
        trim_whitespace=True,
        help_text="Your own narration, read instead of one the planner writes; blank lines split it into scenes.",
    )
    narration = StrictBooleanField(default=True, help_text="A voice reads the script over the music.")
    voice = StrictRegexField(
        VOICE_PATTERN,
        allow_blank=True,
        default="",
        help_text="The speech provider's voice: espeak-ng `en-gb`, `en-us+f3` or a variant `+f3`; "
        "OpenAI `alloy`, `nova`... Blank: the language's default.",
    )
    language = StrictRegexField(
        LANGUAGE_PATTERN,
        max_length=LANGUAGE_MAX,
        allow_blank=True,
        default="",
        help_text="BCP 47; blank: detected.",
    )
    speech_rate = StrictFloatField(
        min_value=SPEECH_RATE_RANGE[0],
        max_value=SPEECH_RATE_RANGE[1],
        default=1.0,
        help_text="1 = normal pace.",
    )
    subtitles = StrictBooleanField(default=True, help_text="Write SRT and WebVTT subtitles.")
    burn_subtitles = StrictBooleanField(default=False, help_text="Draw the subtitles into the video.")
    subtitle_style = SubtitleStyleSerializer(default=dict)

    def validate_webhook_url(self, value: str) -> str:
        return public_url(value) if value else value

    def generation_request(self) -> GenerationRequest:
        data = self.validated_data
        return GenerationRequest(
            **{**data, "assets": tuple(dict(asset) for asset in data["assets"])},
        )


class SpecUpdateSerializer(StrictSerializer):
    spec = serializers.JSONField(
        help_text="The whole edited spec; validated by the same schema as the planner's."
    )


class RegenerateSceneSerializer(StrictSerializer):
    description = StrictCharField(max_length=SCENE_DESCRIPTION_MAX, required=False)
    caption = StrictCharField(max_length=SCENE_CAPTION_MAX, required=False, allow_blank=True)
    seed = serializers.IntegerField(min_value=0, max_value=SEED_MAX, required=False)


class RemixSerializer(StrictSerializer):
    prompt = StrictCharField(min_length=PROMPT_MIN, max_length=PROMPT_MAX, required=False)
    spec = serializers.JSONField(required=False, help_text="The parent's spec with your changes.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError("Give a new prompt, a changed spec, or both.")
        return attrs


class GenerateResponseSerializer(serializers.Serializer):
    video_id = serializers.CharField()
    status = serializers.ChoiceField(choices=status_choices())
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()


class LimitErrorSerializer(ErrorSerializer):
    limit = serializers.ChoiceField(
        choices=["rate", "active"],
        required=False,
        help_text="Which limit refused the request: work started per hour, or videos active at once.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send as "Authorization: Token <token>".')


class StatusResponseSerializer(serializers.Serializer):
    video_id = serializers.CharField(source="id")
    status = serializers.ChoiceField(choices=status_choices())
    progress = serializers.FloatField(help_text="Percent, 0 to 100.")
    current_phase = serializers.CharField(allow_null=True)
    estimated_time_remaining = serializers.SerializerMethodField(help_text="Seconds.")
    error = serializers.CharField(source="error_message", allow_null=True)
    queue_position = serializers.SerializerMethodField(help_text="1-based, while queued.")

    def get_estimated_time_remaining(self, obj: VideoGeneration) -> int | None:
        return selectors.generation_eta_seconds(obj)

    def get_queue_position(self, obj: VideoGeneration) -> int | None:
        return selectors.generation_queue_position(obj)


class SubtitleURLsSerializer(serializers.Serializer):
    srt = serializers.URLField(allow_null=True)
    vtt = serializers.URLField(allow_null=True, help_text="For a <track> element.")


class VideoResponseSerializer(serializers.Serializer):
    """The seed's VideoResponse; `selectors.video_response` builds it (webhooks send the same)."""

    video_id = serializers.CharField()
    status = serializers.ChoiceField(choices=status_choices())
    final_video_url = serializers.URLField(allow_null=True)
    poster_url = serializers.URLField(allow_null=True)
    cost_usd = serializers.DecimalField(max_digits=12, decimal_places=4, coerce_to_string=False)
    cost_breakdown = serializers.DictField(child=serializers.FloatField(), help_text="USD per phase.")
    generation_time_seconds = serializers.FloatField(allow_null=True)
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    spec = serializers.JSONField(allow_null=True)
    subtitle_urls = SubtitleURLsSerializer(help_text="null until there are subtitles.")

    def to_representation(self, instance: VideoGeneration) -> dict[str, Any]:
        return selectors.video_response(generation=instance, request=self.context.get("request"))


class GenerationListSerializer(serializers.ModelSerializer):
    """One line per generation: nothing that needs another query or a storage call."""

    url = serializers.HyperlinkedIdentityField(view_name="api:generation-detail")
    video_id = serializers.CharField(source="id", read_only=True)
    cost_usd = serializers.DecimalField(
        max_digits=12, decimal_places=4, coerce_to_string=False, read_only=True
    )

    class Meta:
        model = VideoGeneration
        fields = [
            "url",
            "video_id",
            "status",
            "progress",
            "current_phase",
            "prompt",
            "duration",
            "aspect_ratio",
            "template",
            "cost_usd",
            "created_at",
            "completed_at",
        ]
        read_only_fields = fields


class PhaseRunSerializer(serializers.ModelSerializer):
    cost_usd = serializers.DecimalField(
        max_digits=12, decimal_places=4, coerce_to_string=False, read_only=True
    )

    class Meta:
        model = PhaseRun
        fields = [
            "phase",
            "attempt",
            "status",
            "started_at",
            "finished_at",
            "duration_seconds",
            "cost_usd",
            "detail",
            "output_data",
            "error_message",
        ]
        read_only_fields = fields


class ArtifactsSerializer(serializers.Serializer):
    """One field per artifact the phases keep on the record, named by the registry."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields: dict[str, serializers.Field] = {}
        for phase in PHASES:
            for artifact in phase.artifacts:
                if not selectors.is_record_field(artifact.field):
                    continue
                if artifact.many:
                    fields[artifact.key] = serializers.ListField(child=serializers.CharField())
                else:
                    fields[artifact.key] = serializers.CharField(allow_null=True)
        return fields


class GenerationDetailSerializer(VideoResponseSerializer):
    """Everything about one generation: its request, its status, every phase's artifacts
    (as URLs) and every phase attempt."""

    url = serializers.HyperlinkedIdentityField(view_name="api:generation-detail")
    progress = serializers.FloatField()
    current_phase = serializers.CharField(allow_null=True)
    error = serializers.CharField(source="error_message", allow_null=True)
    prompt = serializers.CharField()
    assets = serializers.JSONField(source="uploaded_assets")
    duration = serializers.IntegerField()
    aspect_ratio = serializers.ChoiceField(choices=AspectRatio.choices)
    resolution = serializers.ChoiceField(choices=RESOLUTIONS)
    template = serializers.CharField(allow_null=True)
    seed = serializers.IntegerField()
    webhook_url = serializers.CharField()
    review = serializers.BooleanField()
    remixed_from = serializers.CharField(source="remixed_from_id", allow_null=True)
    script = serializers.CharField(source="request.script", default="")
    narration = serializers.BooleanField(source="request.narration", default=True)
    voice = serializers.CharField(source="request.voice", default="")
    language = serializers.CharField(source="request.language", default="")
    speech_rate = serializers.FloatField(source="request.speech_rate", default=1.0)
    subtitles = serializers.BooleanField(source="request.subtitles", default=True)
    burn_subtitles = serializers.BooleanField(source="request.burn_subtitles", default=False)
    subtitle_style = serializers.JSONField(source="request.subtitle_style", default=dict)
    attempts = serializers.IntegerField()
    started_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    artifacts = serializers.SerializerMethodField()
    phase_runs = PhaseRunSerializer(many=True)

    @extend_schema_field(ArtifactsSerializer)
    def get_artifacts(self, obj: VideoGeneration) -> dict[str, Any]:
        return selectors.generation_artifacts(generation=obj, request=self.context.get("request"))

    def to_representation(self, instance: VideoGeneration) -> dict[str, Any]:
        data = super().to_representation(instance)
        for name, field in self.fields.items():
            if name not in data:
                attribute = field.get_attribute(instance)
                data[name] = None if attribute is None else field.to_representation(attribute)
        return data
