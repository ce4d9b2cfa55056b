"""Forms of the server-rendered pages: the new-video form and the history filter."""

from __future__ import annotations

import warnings
from io import BytesIO
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator, URLValidator
from PIL import Image, ImageOps, UnidentifiedImageError

from generations.models import AspectRatio
from phases.request import (
    COLOUR_PATTERN,
    DEFAULT_DURATION,
    DEFAULT_RESOLUTION,
    MAX_ASSET_BYTES,
    MAX_ASSET_PIXELS,
    MAX_ASSET_SIDE,
    MAX_ASSETS,
    MAX_DURATION,
    MIN_DURATION,
    PROMPT_MAX,
    PROMPT_MIN,
    RESOLUTIONS,
    SCRIPT_LIMIT,
    SUBTITLE_STYLE_DEFAULTS,
    TEMPLATES,
    VOICE_MAX,
    VOICE_PATTERN,
    GenerationRequest,
    RequestInvalid,
    describe_resolution,
)

DURATIONS = tuple(
    d for d in (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600) if MIN_DURATION <= d <= MAX_DURATION
)
REFERENCE_FORMATS = ("PNG", "JPEG", "WEBP")
LANGUAGES = (
    ("", "Detect from the text"),
    ("en", "English"),
    ("ja", "Japanese"),
    ("zh", "Chinese"),
    ("ko", "Korean"),
    ("ar", "Arabic"),
    ("he", "Hebrew"),
    ("hi", "Hindi"),
    ("ru", "Russian"),
    ("fr", "French"),
    ("de", "German"),
    ("es", "Spanish"),
    ("pt", "Portuguese"),
    ("it", "Italian"),
)
SPEECH_RATES = ((0.8, "Slow"), (1.0, "Normal"), (1.25, "Fast"), (1.5, "Very fast"))
SUBTITLE_SIZES = ((42, "Small"), (54, "Medium"), (72, "Large"))
SUBTITLE_OUTLINES = ((0, "None"), (2, "Thin"), (4, "Normal"), (8, "Thick"))


def _length_label(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} minutes" if not rest else f"{minutes} min {rest} s"


class MultipleImageInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Any number of uploaded files (Django's documented pattern for `multiple`)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleImageInput(attrs={"accept": "image/png,image/jpeg,image/webp"}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data]
        cleaned = [super(MultipleImageField, self).clean(item, initial) for item in files]
        return [item for item in cleaned if item]


def reencode_reference_image(upload: UploadedFile) -> bytes:
    """The upload decoded and saved again as a plain RGB PNG, at most MAX_ASSET_SIDE on
    its longer side. Re-encoding drops whatever else the file carried (metadata, trailing
    data, a second image); raises ValidationError for anything that is not a sane image."""
    name = upload.name or "image"
    if upload.size is not None and upload.size > MAX_ASSET_BYTES:
        raise forms.ValidationError(
            f"“{name}” is larger than {MAX_ASSET_BYTES // (1024 * 1024)} MB.", code="too_large"
        )
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow only warns about a likely decompression bomb below its hard limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload, formats=REFERENCE_FORMATS) as image:
                if image.width * image.height > MAX_ASSET_PIXELS:
                    raise forms.ValidationError(
                        f"“{name}” is {image.width} x {image.height} pixels; "
                        f"keep images under {MAX_ASSET_PIXELS // 1_000_000} megapixels.",
                        code="too_many_pixels",
                    )
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((MAX_ASSET_SIDE, MAX_ASSET_SIDE))
                rgb = upright.convert("RGB")
    except forms.ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise forms.ValidationError(
            f"“{name}” claims to be too many pixels to open safely.", code="too_many_pixels"
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise forms.ValidationError(
            f"“{name}” is not a PNG, JPEG or WebP image we can read.", code="invalid_image"
        ) from None
    buffer = BytesIO()
    rgb.save(buffer, format="PNG")
    return buffer.getvalue()


class GenerationForm(forms.Form):
    prompt = forms.CharField(
        label="Describe your video",
        min_length=PROMPT_MIN,
        max_length=PROMPT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=f"{PROMPT_MIN} to {PROMPT_MAX} characters: the scenes, the mood, what happens.",
        error_messages={
            "required": "Describe the video you want.",
            "min_length": "Write at least %(limit_value)d characters (this has %(show_value)d).",
            "max_length": "Keep it to %(limit_value)d characters (this has %(show_value)d).",
        },
    )
    duration = forms.TypedChoiceField(
        label="Length",
        choices=[(seconds, _length_label(seconds)) for seconds in DURATIONS],
        coerce=int,
        initial=DEFAULT_DURATION,
    )
    aspect_ratio = forms.ChoiceField(
        label="Shape",
        choices=AspectRatio.choices,
        initial=AspectRatio.LANDSCAPE,
        widget=forms.RadioSelect,
    )
    resolution = forms.ChoiceField(
        label="Resolution",
        choices=[(name, describe_resolution(name)) for name in RESOLUTIONS],
        initial=DEFAULT_RESOLUTION,
        required=False,
        help_text="A draft renders in a fraction of the time.",
    )
    template = forms.ChoiceField(
        label="Style",
        choices=[("", "Let the planner choose"), *((name, name.title()) for name in TEMPLATES)],
        required=False,
    )
    reference_images = MultipleImageField(
        label="Upload images",
        required=False,
        help_text=f"Optional: up to {MAX_ASSETS} PNG, JPEG or WebP images, "
        f"{MAX_ASSET_BYTES // (1024 * 1024)} MB each.",
    )
    reference_urls = forms.CharField(
        label="Image links",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "https://…"}),
        help_text="Optional: one image URL per line.",
    )

    script = forms.CharField(
        label="Narration script",
        required=False,
        max_length=SCRIPT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: your own words for the narrator; empty, the planner writes them from the "
        "description. Blank lines split it into scenes.",
    )
    review = forms.BooleanField(
        label="Let me review and edit the storyboard before the video is rendered", required=False
    )
    narration = forms.BooleanField(label="Narrate the video", required=False, initial=True)
    voice = forms.CharField(
        label="Voice",
        required=False,
        max_length=VOICE_MAX,
        validators=[RegexValidator(VOICE_PATTERN, "Letters, digits and - _ . + only, e.g. en-gb or +f3.")],
        widget=forms.TextInput(attrs={"placeholder": "default"}),
        help_text="Optional, e.g. en-gb or +f3 (offline voices), alloy or nova (OpenAI).",
    )
    language = forms.ChoiceField(label="Language", choices=LANGUAGES, required=False)
    # The options below are optional so that a form posted without them (an older page, a
    # script) still makes a video, with the defaults.
    speech_rate = forms.TypedChoiceField(
        label="Speaking pace",
        choices=SPEECH_RATES,
        coerce=float,
        initial=1.0,
        required=False,
        empty_value=1.0,
    )
    subtitles = forms.BooleanField(label="Subtitles (SRT and WebVTT files)", required=False, initial=True)
    burn_subtitles = forms.BooleanField(label="Burn subtitles into the video", required=False)
    subtitle_position = forms.ChoiceField(
        label="Subtitle position",
        choices=(("bottom", "Bottom"), ("middle", "Middle"), ("top", "Top"), ("center", "Center")),
        initial="bottom",
        required=False,
    )
    subtitle_mode = forms.ChoiceField(
        label="Subtitle style",
        choices=(("lines", "Whole lines"), ("words", "Word by word (the spoken word highlighted)")),
        initial="lines",
        required=False,
    )
    subtitle_font = forms.ChoiceField(
        label="Subtitle font",
        choices=(("sans", "Sans"), ("serif", "Serif"), ("mono", "Mono")),
        initial="sans",
        required=False,
    )
    subtitle_size = forms.TypedChoiceField(
        label="Subtitle size",
        choices=SUBTITLE_SIZES,
        coerce=int,
        initial=SUBTITLE_STYLE_DEFAULTS["size"],
        required=False,
        empty_value=SUBTITLE_STYLE_DEFAULTS["size"],
    )
    subtitle_color = forms.CharField(
        label="Subtitle colour",
        initial=SUBTITLE_STYLE_DEFAULTS["color"],
        required=False,
        validators=[RegexValidator(COLOUR_PATTERN, "Pick a colour.")],
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    subtitle_outline = forms.TypedChoiceField(
        label="Subtitle outline",
        choices=SUBTITLE_OUTLINES,
        coerce=int,
        initial=SUBTITLE_STYLE_DEFAULTS["outline"],
        required=False,
        empty_value=SUBTITLE_STYLE_DEFAULTS["outline"],
    )

    def clean_reference_images(self) -> list[bytes]:
        images = self.cleaned_data["reference_images"]
        if len(images) > MAX_ASSETS:
            raise forms.ValidationError(f"Choose at most {MAX_ASSETS} images.", code="too_many")
        return [reencode_reference_image(upload) for upload in images]

    def clean_reference_urls(self) -> list[str]:
        urls = [line.strip() for line in self.cleaned_data["reference_urls"].splitlines() if line.strip()]
        validate = URLValidator(schemes=["http", "https"])
        for url in urls:
            validate(url)
        return urls

    def generation_request(self) -> GenerationRequest:
        """The request a valid form asks for (the uploads go beside it: `reference_images`)."""
        data = self.cleaned_data
        return GenerationRequest(
            prompt=data["prompt"],
            duration=data["duration"],
            aspect_ratio=data["aspect_ratio"],
            resolution=data["resolution"] or DEFAULT_RESOLUTION,
            template=data["template"] or None,
            review=data["review"],
            assets=tuple({"type": "image", "url": url} for url in data["reference_urls"]),
            script=data["script"],
            narration=data["narration"],
            voice=data["voice"],
            language=data["language"],
            speech_rate=data["speech_rate"],
            subtitles=data["subtitles"],
            burn_subtitles=data["burn_subtitles"],
            subtitle_style={
                "position": data["subtitle_position"] or SUBTITLE_STYLE_DEFAULTS["position"],
                "font": data["subtitle_font"] or SUBTITLE_STYLE_DEFAULTS["font"],
                "size": data["subtitle_size"],
                "color": (data["subtitle_color"] or SUBTITLE_STYLE_DEFAULTS["color"]).lower(),
                "outline": data["subtitle_outline"],
                "mode": data["subtitle_mode"] or SUBTITLE_STYLE_DEFAULTS["mode"],
            },
        )

    def add_request_errors(self, exc: RequestInvalid) -> None:
        """Show what the service refused next to the fields it came from."""
        for name, messages in exc.errors.items():
            field = REQUEST_FIELDS.get(name, name if name in self.fields else None)
            for message in messages:
                self.add_error(field, message)


# Request fields the form asks for under another name (None: shown above the form).
REQUEST_FIELDS: dict[str, str | None] = {"assets": None, "subtitle_style": None}


class HistoryFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Show",
        required=False,
        widget=forms.Select(attrs={"data-autosubmit": ""}),
        choices=[
            ("", "All videos"),
            ("active", "In progress"),
            ("complete", "Complete"),
            ("failed", "Failed"),
            ("canceled", "Canceled"),
        ],
    )
