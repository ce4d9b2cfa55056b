"""Forms of the server-rendered pages: the new-video form and the history filter."""

from __future__ import annotations

import warnings
from io import BytesIO
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from PIL import Image, ImageOps, UnidentifiedImageError

from generations.models import AspectRatio
from phases.spec import DEFAULT_DURATION, MAX_DURATION, MIN_DURATION, TEMPLATES

PROMPT_MIN, PROMPT_MAX = 10, 1000
DURATIONS = tuple(d for d in (5, 10, 15, 20, 30, 45, 60, 90, 120) if MIN_DURATION <= d <= MAX_DURATION)
MAX_REFERENCES = 4
MAX_REFERENCE_BYTES = 10 * 1024 * 1024
# Checked on the header before any pixel is decoded: a small file can claim a huge canvas.
MAX_REFERENCE_PIXELS = 40_000_000
# Providers never need more than this; storing less keeps every later download small.
MAX_REFERENCE_SIDE = 2048
REFERENCE_FORMATS = ("PNG", "JPEG", "WEBP")


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
    """The upload decoded and saved again as a plain RGB PNG, at most MAX_REFERENCE_SIDE on
    its longer side. Re-encoding drops whatever else the file carried (metadata, trailing
    data, a second image); raises ValidationError for anything that is not a sane image."""
    name = upload.name or "image"
    if upload.size is not None and upload.size > MAX_REFERENCE_BYTES:
        raise forms.ValidationError(
            f"“{name}” is larger than {MAX_REFERENCE_BYTES // (1024 * 1024)} MB.", code="too_large"
        )
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            # Pillow only warns about a likely decompression bomb below its hard limit.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload, formats=REFERENCE_FORMATS) as image:
                if image.width * image.height > MAX_REFERENCE_PIXELS:
                    raise forms.ValidationError(
                        f"“{name}” is {image.width} x {image.height} pixels; "
                        f"keep images under {MAX_REFERENCE_PIXELS // 1_000_000} megapixels.",
                        code="too_many_pixels",
                    )
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((MAX_REFERENCE_SIDE, MAX_REFERENCE_SIDE))
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
        choices=[(seconds, f"{seconds} seconds") for seconds in DURATIONS],
        coerce=int,
        initial=DEFAULT_DURATION,
    )
    aspect_ratio = forms.ChoiceField(
        label="Shape",
        choices=AspectRatio.choices,
        initial=AspectRatio.LANDSCAPE,
        widget=forms.RadioSelect,
    )
    template = forms.ChoiceField(
        label="Style",
        choices=[("", "Let the planner choose"), *((name, name.title()) for name in TEMPLATES)],
        required=False,
    )
    reference_images = MultipleImageField(
        label="Upload images",
        required=False,
        help_text=f"Optional: up to {MAX_REFERENCES} PNG, JPEG or WebP images, "
        f"{MAX_REFERENCE_BYTES // (1024 * 1024)} MB each.",
    )
    reference_urls = forms.CharField(
        label="Image links",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "https://…"}),
        help_text="Optional: one image URL per line.",
    )

    def clean_reference_images(self) -> list[bytes]:
        images = self.cleaned_data["reference_images"]
        if len(images) > MAX_REFERENCES:
            raise forms.ValidationError(f"Choose at most {MAX_REFERENCES} images.", code="too_many")
        return [reencode_reference_image(upload) for upload in images]

    def clean_reference_urls(self) -> list[str]:
        urls = [line.strip() for line in self.cleaned_data["reference_urls"].splitlines() if line.strip()]
        validate = URLValidator(schemes=["http", "https"])
        for url in urls:
            validate(url)
        return urls

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        count = len(cleaned.get("reference_images") or []) + len(cleaned.get("reference_urls") or [])
        if count > MAX_REFERENCES:
            self.add_error(None, f"Use at most {MAX_REFERENCES} reference images in all, uploads and links.")
        return cleaned

    def generation_options(self) -> dict[str, Any]:
        """Keyword arguments for `services.generation_create`, from a valid form."""
        data = self.cleaned_data
        return {
            "prompt": data["prompt"],
            "duration": data["duration"],
            "aspect_ratio": data["aspect_ratio"],
            "template": data["template"] or None,
            "assets": [{"type": "image", "url": url} for url in data["reference_urls"]],
            "reference_images": data["reference_images"],
        }


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
