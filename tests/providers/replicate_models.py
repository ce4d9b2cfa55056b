"""Replicate models as the fake service serves them: each model's input schema written from
its published one, in the shape Cog publishes it (an enum is a component of its own, referred
to through `allOf`), and what the model makes (clip length and rate, reported predict_time).

Only the inputs matter here; descriptions are shortened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

URI = {"type": "string", "format": "uri"}


def text(default: str | None = None) -> dict[str, Any]:
    return {"type": "string", **({"default": default} if default is not None else {})}


def integer(default: int | None = None, low: int | None = None, high: int | None = None) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": "integer"}
    for key, value in (("default", default), ("minimum", low), ("maximum", high)):
        if value is not None:
            prop[key] = value
    return prop


def number(default: float, low: float | None = None, high: float | None = None) -> dict[str, Any]:
    prop: dict[str, Any] = {"type": "number", "default": default}
    for key, value in (("minimum", low), ("maximum", high)):
        if value is not None:
            prop[key] = value
    return prop


def boolean(default: bool) -> dict[str, Any]:
    return {"type": "boolean", "default": default}


def choice(options: list[Any], default: Any) -> dict[str, Any]:
    return {"enum": options, "default": default}


def cog_openapi(inputs: dict[str, dict[str, Any]], required: tuple[str, ...], *, list_output: bool) -> dict:
    """An OpenAPI document as Cog writes it for a model version."""
    components: dict[str, Any] = {}
    properties = {}
    for order, (name, prop) in enumerate(inputs.items()):
        prop = {**prop, "title": name.replace("_", " ").title(), "x-order": order}
        if "enum" in prop:
            options = prop.pop("enum")
            kind = "integer" if all(isinstance(o, int) for o in options) else "string"
            components[name] = {
                "title": name,
                "description": "An enumeration.",
                "enum": options,
                "type": kind,
            }
            prop["allOf"] = [{"$ref": f"#/components/schemas/{name}"}]
        properties[name] = prop
    output = {"type": "array", "items": URI} if list_output else URI
    components["Input"] = {
        "type": "object",
        "title": "Input",
        "properties": properties,
        "required": list(required),
    }
    components["Output"] = {"title": "Output", **output}
    return {
        "openapi": "3.0.2",
        "info": {"title": "Cog", "version": "0.1.0"},
        "components": {"schemas": components},
    }


@dataclass(frozen=True)
class CatalogModel:
    kind: str  # image, video or audio
    inputs: dict[str, dict[str, Any]]
    required: tuple[str, ...] = ()
    list_output: bool = False
    # What the fake makes: a clip of `frames_input` frames at `fps_input` (or `fps`), else of
    # `seconds_input` seconds, else `clip_seconds` long.
    frames_input: str | None = None
    seconds_input: str | None = None
    fps_input: str | None = None
    fps: int = 24
    clip_seconds: float = 3.0
    predict_time: float = 4.2
    extra: dict[str, Any] = field(default_factory=dict)

    def openapi(self) -> dict:
        return cog_openapi(self.inputs, self.required, list_output=self.list_output)


CATALOG: dict[str, CatalogModel] = {
    "stability-ai/sdxl": CatalogModel(
        kind="image",
        list_output=True,
        predict_time=6.8,
        inputs={
            "prompt": text("An astronaut riding a rainbow unicorn"),
            "negative_prompt": text(""),
            "image": URI,
            "mask": URI,
            "width": integer(1024),
            "height": integer(1024),
            "num_outputs": integer(1, 1, 4),
            "scheduler": choice(
                ["DDIM", "DPMSolverMultistep", "HeunDiscrete", "KarrasDPM", "K_EULER"], "K_EULER"
            ),
            "num_inference_steps": integer(50, 1, 500),
            "guidance_scale": number(7.5, 1, 50),
            "prompt_strength": number(0.8, 0, 1),
            "seed": integer(),
            "refine": choice(["no_refiner", "expert_ensemble_refiner", "base_image_refiner"], "no_refiner"),
            "apply_watermark": boolean(True),
            "disable_safety_checker": boolean(False),
        },
    ),
    "black-forest-labs/flux-schnell": CatalogModel(
        kind="image",
        list_output=True,
        required=("prompt",),
        inputs={
            "prompt": text(),
            "aspect_ratio": choice(
                ["1:1", "16:9", "21:9", "3:2", "2:3", "4:5", "5:4", "3:4", "4:3", "9:16", "9:21"], "1:1"
            ),
            "num_outputs": integer(1, 1, 4),
            "num_inference_steps": integer(4, 1, 4),
            "seed": integer(),
            "output_format": choice(["webp", "jpg", "png"], "webp"),
            "output_quality": integer(80, 0, 100),
            "disable_safety_checker": boolean(False),
            "go_fast": boolean(True),
            "megapixels": choice(["1", "0.25"], "1"),
        },
    ),
    "anotherjesse/zeroscope-v2-xl": CatalogModel(
        kind="video",
        list_output=True,
        frames_input="num_frames",
        fps_input="fps",
        fps=8,
        predict_time=61.5,
        inputs={
            "fps": integer(8),
            "seed": integer(),
            "model": choice(["xl", "576w", "potat1", "animov-512x"], "xl"),
            "width": integer(576, 256),
            "height": integer(320, 256),
            "prompt": text("An astronaut riding a horse"),
            "batch_size": integer(1, 1),
            "init_video": URI,
            "num_frames": integer(24),
            "init_weight": number(0.5),
            "guidance_scale": number(7.5, 1, 100),
            "negative_prompt": text(),
            "remove_watermark": boolean(False),
            "num_inference_steps": integer(50, 1, 500),
        },
    ),
    "lucataco/animate-diff": CatalogModel(
        kind="video",
        fps=8,
        clip_seconds=2.0,
        predict_time=24.0,
        inputs={
            "path": choice(
                ["toonyou_beta3.safetensors", "realisticVisionV40_v20Novae.safetensors"],
                "toonyou_beta3.safetensors",
            ),
            "seed": integer(),
            "steps": integer(25, 1, 100),
            "prompt": text("masterpiece, best quality, 1girl, solo"),
            "n_prompt": text("badhandv4, easynegative"),
            "motion_module": choice(["mm_sd_v14", "mm_sd_v15", "mm_sd_v15_v2"], "mm_sd_v14"),
            "guidance_scale": number(7.5, 1, 10),
        },
    ),
    "wan-video/wan-2.1-i2v-480p": CatalogModel(
        kind="video",
        required=("image", "prompt"),
        frames_input="num_frames",
        fps_input="frames_per_second",
        fps=16,
        inputs={
            "image": URI,
            "prompt": text(),
            "num_frames": integer(81, 81, 100),
            "max_area": choice(["832x480", "480x832"], "832x480"),
            "fast_mode": choice(["Off", "Balanced", "Fast"], "Balanced"),
            "sample_shift": number(3, 1, 10),
            "sample_steps": integer(30, 1, 40),
            "frames_per_second": integer(16, 5, 24),
            "sample_guide_scale": number(5, 0, 10),
            "seed": integer(),
            "lora_weights": text(),
            "lora_scale": number(1, 0, 4),
        },
    ),
    "lightricks/ltx-video": CatalogModel(
        kind="video",
        list_output=True,
        frames_input="length",
        fps=24,
        predict_time=17.3,
        inputs={
            "prompt": text("best quality, 4k, HDR, a tracking shot of a beautiful scene"),
            "negative_prompt": text("low quality, worst quality, deformed, distorted"),
            "image": URI,
            "target_size": choice([512, 576, 640, 704, 768, 832, 896, 960, 1024], 640),
            "aspect_ratio": choice(
                [
                    "1:1",
                    "1:2",
                    "2:1",
                    "2:3",
                    "3:2",
                    "3:4",
                    "4:3",
                    "4:5",
                    "5:4",
                    "9:16",
                    "16:9",
                    "9:21",
                    "21:9",
                ],
                "3:2",
            ),
            "length": choice([97, 129, 161, 193, 225, 257], 97),
            "cfg": number(3, 1, 20),
            "steps": integer(30, 1, 50),
            "model": choice(["0.9.1", "0.9"], "0.9.1"),
            "image_noise_scale": number(0.15, 0, 1),
            "seed": integer(),
        },
    ),
    "kwaivgi/kling-v2.1": CatalogModel(
        kind="video",
        required=("prompt", "start_image"),
        seconds_input="duration",
        fps=24,
        inputs={
            "prompt": text(),
            "start_image": URI,
            "mode": choice(["standard", "pro"], "standard"),
            "duration": choice([5, 10], 5),
            "negative_prompt": text(""),
        },
    ),
    "minimax/video-01": CatalogModel(
        kind="video",
        required=("prompt",),
        fps=25,
        clip_seconds=6.0,
        inputs={
            "prompt": text(),
            "prompt_optimizer": boolean(True),
            "first_frame_image": URI,
            "subject_reference": URI,
        },
    ),
    "google/veo-3": CatalogModel(
        kind="video",
        required=("prompt",),
        seconds_input="duration",
        fps=24,
        inputs={
            "prompt": text(),
            "aspect_ratio": choice(["16:9", "9:16"], "16:9"),
            "duration": choice([4, 6, 8], 8),
            "image": URI,
            "negative_prompt": text(),
            "resolution": choice(["720p", "1080p"], "1080p"),
            "generate_audio": boolean(True),
            "seed": integer(),
        },
    ),
    "bytedance/seedance-1-lite": CatalogModel(
        kind="video",
        required=("prompt",),
        seconds_input="duration",
        fps_input="fps",
        fps=24,
        inputs={
            "prompt": text(),
            "image": URI,
            "last_frame_image": URI,
            "duration": integer(5, 2, 12),
            "resolution": choice(["480p", "720p", "1080p"], "720p"),
            "aspect_ratio": choice(["16:9", "4:3", "1:1", "3:4", "9:16", "21:9", "9:21"], "16:9"),
            "fps": choice([24], 24),
            "camera_fixed": boolean(False),
            "seed": integer(),
        },
    ),
    "meta/musicgen": CatalogModel(
        kind="audio",
        predict_time=38.0,
        inputs={
            "prompt": text(),
            "input_audio": URI,
            "duration": integer(8),
            "continuation": boolean(False),
            "model_version": choice(
                ["stereo-melody-large", "stereo-large", "melody-large", "large"], "stereo-melody-large"
            ),
            "output_format": choice(["wav", "mp3"], "wav"),
            "normalization_strategy": choice(["loudness", "clip", "peak", "rms"], "loudness"),
            "top_k": integer(250),
            "top_p": number(0),
            "temperature": number(1),
            "classifier_free_guidance": integer(3),
            "seed": integer(),
        },
    ),
    # An upscaler: an image model with no prompt, which we cannot drive.
    "nightmareai/real-esrgan": CatalogModel(
        kind="image",
        required=("image",),
        inputs={"image": URI, "scale": number(4, 0, 10), "face_enhance": boolean(False)},
    ),
    # A video-to-video model: it needs a video of ours, which no request of ours has.
    "example/frame-interpolator": CatalogModel(
        kind="video",
        required=("video", "prompt"),
        inputs={"video": URI, "prompt": text(), "times_to_interpolate": integer(2, 1, 8)},
    ),
}
