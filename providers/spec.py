"""The video spec: the one JSON schema every planner's output must pass, and its arithmetic.

A spec is plain JSON (it is stored on the generation and sent to remote planners):

    {
      "version": 1,
      "title": "Moonlit tide",
      "prompt": "...",                    # the user's prompt, verbatim
      "duration": 30,                     # seconds, exactly the requested total
      "fps": 30,
      "aspect_ratio": "16:9", "width": 1920, "height": 1080,
      "template": "cinematic",            # style template name
      "seed": 0,
      "scenes": [                         # 3 to 60
        {"description": "...", "caption": "...", "duration": 5.0, "frames": 150,
         "camera": "zoom_in", "palette": ["#0b1d3a", "#1f4e79", "#f2c14e"], "motif": "waves",
         "elements": [{"name": "ship", "icon": "fluent-emoji-flat:ship", "motion": "drift"}],
         "time": "night", "weather": "storm"}                   # the last three optional
      ],
      "music": {"mood": "calm", "tempo": 84},
      "narration": {...},                 # optional, from the plan phase: provider, voice, language,
      "subtitles": {...}                  #   rate, track; subtitle language, burn, style, cues
    }

Scenes may carry a `narration` (what the narrator says over them). Subtitle cues are in
seconds of the whole video, in order, never overlapping, inside the duration.

Scene `frames` are authoritative: they add up to exactly `duration * fps`, and each
scene's `duration` is its `frames / fps` rounded to milliseconds.
"""

from __future__ import annotations

from typing import Any

import jsonschema

from toolbox.exceptions import ValidationException

FPS = 30
DEFAULT_DURATION = 30
DEFAULT_RESOLUTION = "1080p"
MIN_DURATION, MAX_DURATION = 5, 600
MIN_SCENES, MAX_SCENES = 3, 60

# The frame a planner gives each shape.
SIZES: dict[str, tuple[int, int]] = {
    "16:9": (1920, 1080),
    "9:16": (1080, 1920),
    "1:1": (1080, 1080),
}
# A request or a reviewed spec may ask for a smaller frame of its shape (a quick draft), by
# its short side.
DRAFT_SHORT_SIDES = (720, 480, 360, 240)
RESOLUTIONS = (DEFAULT_RESOLUTION, *(f"{side}p" for side in DRAFT_SHORT_SIDES))


def frame_sizes(aspect_ratio: str) -> list[tuple[int, int]]:
    """Every (width, height) a spec of `aspect_ratio` may have: the full size first, then the
    drafts, with even sides (yuv420p halves both)."""
    width, height = SIZES[aspect_ratio]
    full_short = min(width, height)

    def even(side: float) -> int:
        return 2 * round(side / 2)

    return [(width, height)] + [
        (even(width * short / full_short), even(height * short / full_short)) for short in DRAFT_SHORT_SIDES
    ]


def resolution_size(aspect_ratio: str, resolution: str) -> tuple[int, int]:
    """The (width, height) of `aspect_ratio` at `resolution`, one of RESOLUTIONS: the name of
    its short side, as 720p is 1280x720 wide and 720x1280 tall."""
    return frame_sizes(aspect_ratio)[RESOLUTIONS.index(resolution)]


def spec_resolution(spec: dict[str, Any]) -> str:
    """The resolution whose frame a valid spec has."""
    return RESOLUTIONS[frame_sizes(spec["aspect_ratio"]).index((spec["width"], spec["height"]))]


CAMERA_MOTIONS = ("static", "zoom_in", "zoom_out", "pan_left", "pan_right", "pan_up", "pan_down")
MOTIFS = (
    "waves",
    "trees",
    "stars",
    "mountains",
    "city",
    "clouds",
    "bubbles",
    "sun",
    "rain",
    "snow",
    "birds",
    "flowers",
    "dunes",
    "fire",
    "ice",
    "abstract",
)
# What a scene shows: the subjects drawn in it, the light of its time of day and its weather.
ELEMENT_MOTIONS = (
    "idle",
    "walk",
    "drive",
    "fly",
    "drift",
    "swim",
    "rise",
    "fall",
    "jump",
    "spin",
    "grow",
    "shine",
)
MAX_ELEMENTS = 6
TIMES_OF_DAY = ("dawn", "day", "sunset", "night")
WEATHERS = ("snow", "rain", "storm", "fog")
ELEMENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "icon", "motion"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 60},
        # A picture library id, "set:name" (the local providers' library is fluent-emoji-flat).
        "icon": {"type": "string", "pattern": "^[a-z0-9-]+:[a-z0-9-]+$", "maxLength": 120},
        "motion": {"enum": list(ELEMENT_MOTIONS)},
    },
}
MUSIC_MOODS = ("calm", "upbeat", "dramatic", "mysterious", "playful", "epic")
TEMPLATES = ("cinematic", "minimal", "vibrant", "noir", "pastel")

_COLOR = {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}

# Narration and subtitles (optional: specs from before them, or with both off, have neither).
SUBTITLE_FONTS = ("sans", "serif", "mono")
# Where the subtitles sit inside the safe area; "center" is the older name of "middle".
SUBTITLE_POSITIONS = ("bottom", "middle", "top", "center")
# "lines": each cue in one colour; "words": the word being spoken is drawn in the highlight colour.
SUBTITLE_MODES = ("lines", "words")
SUBTITLE_BACKGROUND_RANGE = (0, 100)  # opacity in percent of a dark box behind the text
SUBTITLE_SIZE_RANGE = (20, 120)  # pixels on the frame's short side, which is 1080 for every size
SUBTITLE_OUTLINE_RANGE = (0, 12)
SUBTITLE_STYLE_DEFAULTS: dict[str, Any] = {
    "font": "sans",
    "size": 54,
    "color": "#ffffff",
    "outline_color": "#000000",
    "outline": 4,
    "position": "bottom",
    "mode": "lines",
    "highlight_color": "#ffd400",
    "background": 0,
}
# Specs written before word captions have only these, so only these are required.
_SUBTITLE_STYLE_REQUIRED = ["font", "size", "color", "outline_color", "outline", "position"]
SPEECH_RATE_RANGE = (0.5, 2.0)
NARRATION_LIMIT = 1000  # characters per scene
SUBTITLE_STYLE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": _SUBTITLE_STYLE_REQUIRED,
    "properties": {
        "font": {"enum": list(SUBTITLE_FONTS)},
        "size": {"type": "integer", "minimum": SUBTITLE_SIZE_RANGE[0], "maximum": SUBTITLE_SIZE_RANGE[1]},
        "color": _COLOR,
        "outline_color": _COLOR,
        "outline": {
            "type": "integer",
            "minimum": SUBTITLE_OUTLINE_RANGE[0],
            "maximum": SUBTITLE_OUTLINE_RANGE[1],
        },
        "position": {"enum": list(SUBTITLE_POSITIONS)},
        "mode": {"enum": list(SUBTITLE_MODES)},
        "highlight_color": _COLOR,
        "background": {
            "type": "integer",
            "minimum": SUBTITLE_BACKGROUND_RANGE[0],
            "maximum": SUBTITLE_BACKGROUND_RANGE[1],
        },
    },
}

SPEC_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "version",
        "title",
        "prompt",
        "duration",
        "fps",
        "aspect_ratio",
        "width",
        "height",
        "template",
        "seed",
        "scenes",
        "music",
    ],
    "properties": {
        "version": {"const": 1},
        "title": {"type": "string", "minLength": 1, "maxLength": 120},
        "prompt": {"type": "string", "minLength": 1, "maxLength": 1000},
        "duration": {"type": "integer", "minimum": MIN_DURATION, "maximum": MAX_DURATION},
        "fps": {"const": FPS},
        "aspect_ratio": {"enum": list(SIZES)},
        "width": {"type": "integer"},
        "height": {"type": "integer"},
        "template": {"enum": list(TEMPLATES)},
        "seed": {"type": "integer"},
        "scenes": {
            "type": "array",
            "minItems": MIN_SCENES,
            "maxItems": MAX_SCENES,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["description", "caption", "duration", "frames", "camera", "palette", "motif"],
                "properties": {
                    "description": {"type": "string", "minLength": 1, "maxLength": 500},
                    "caption": {"type": "string", "maxLength": 120},
                    "duration": {"type": "number", "exclusiveMinimum": 0},
                    "frames": {"type": "integer", "minimum": FPS // 2},
                    "camera": {"enum": list(CAMERA_MOTIONS)},
                    "palette": {"type": "array", "minItems": 3, "maxItems": 5, "items": _COLOR},
                    "motif": {"enum": list(MOTIFS)},
                    # Bumped when one scene of a finished video is regenerated.
                    "variation": {"type": "integer", "minimum": 0},
                    # What the narrator reads over this scene ("" for none).
                    "narration": {"type": "string", "maxLength": NARRATION_LIMIT},
                    "elements": {"type": "array", "maxItems": MAX_ELEMENTS, "items": ELEMENT_SCHEMA},
                    "time": {"enum": list(TIMES_OF_DAY)},
                    "weather": {"enum": list(WEATHERS)},
                },
            },
        },
        "music": {
            "type": "object",
            "additionalProperties": False,
            "required": ["mood", "tempo"],
            "properties": {
                "mood": {"enum": list(MUSIC_MOODS)},
                "tempo": {"type": "integer", "minimum": 50, "maximum": 180},
            },
        },
        # Set by the plan phase, not by planners: how the narration was voiced.
        "narration": {
            "type": "object",
            "additionalProperties": False,
            "required": ["provider", "voice", "language", "rate"],
            "properties": {
                "provider": {"type": "string", "maxLength": 32},
                "voice": {"type": "string", "maxLength": 64},
                "language": {"type": "string", "maxLength": 16},
                "rate": {"type": "number", "minimum": SPEECH_RATE_RANGE[0], "maximum": SPEECH_RATE_RANGE[1]},
                # The stored voice track (a storage name), as long as the video.
                "track": {"type": "string", "maxLength": 500},
            },
        },
        # Set by the plan phase: subtitle cues in seconds of the whole video, and their look.
        "subtitles": {
            "type": "object",
            "additionalProperties": False,
            "required": ["language", "burn", "style", "cues"],
            "properties": {
                "language": {"type": "string", "maxLength": 16},
                "burn": {"type": "boolean"},
                "style": SUBTITLE_STYLE_SCHEMA,
                "cues": {
                    "type": "array",
                    "maxItems": 1000,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["start", "end", "text", "scene"],
                        "properties": {
                            "start": {"type": "number", "minimum": 0},
                            "end": {"type": "number", "exclusiveMinimum": 0},
                            "text": {"type": "string", "minLength": 1, "maxLength": 500},
                            "scene": {"type": "integer", "minimum": 0},
                            # Word-by-word captions: when each word is said, in order, inside the cue.
                            "words": {
                                "type": "array",
                                "maxItems": 200,
                                "items": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "required": ["start", "end", "text"],
                                    "properties": {
                                        "start": {"type": "number", "minimum": 0},
                                        "end": {"type": "number", "minimum": 0},
                                        "text": {"type": "string", "minLength": 1, "maxLength": 500},
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}

_validator = jsonschema.Draft202012Validator(SPEC_SCHEMA)


def split_frames(total_frames: int, weights: list[float]) -> list[int]:
    """Split `total_frames` in proportion to `weights`, exactly (largest remainder)."""
    total_weight = sum(weights)
    raw = [total_frames * w / total_weight for w in weights]
    frames = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - frames[i], reverse=True)
    for i in by_remainder[: total_frames - sum(frames)]:
        frames[i] += 1
    return frames


def frames_to_seconds(frames: int, fps: int = FPS) -> float:
    return round(frames / fps, 3)


def validate_spec(spec: Any) -> dict[str, Any]:
    """Return `spec` if it is a valid spec, else raise ValidationException naming every problem."""
    problems = [
        f"{'/'.join(str(p) for p in error.absolute_path) or 'spec'}: {error.message}"
        for error in sorted(_validator.iter_errors(spec), key=lambda e: list(map(str, e.absolute_path)))
    ]
    if problems:
        raise ValidationException("invalid spec: " + "; ".join(problems[:10]))
    sizes = frame_sizes(spec["aspect_ratio"])
    if (spec["width"], spec["height"]) not in sizes:
        named = ", ".join(f"{width}x{height}" for width, height in sizes)
        problems.append(f"width/height must be one of {named} for {spec['aspect_ratio']}")
    total_frames = spec["duration"] * spec["fps"]
    if sum(scene["frames"] for scene in spec["scenes"]) != total_frames:
        problems.append(f"scene frames must add up to {total_frames} (duration x fps)")
    for number, scene in enumerate(spec["scenes"], start=1):
        if abs(scene["duration"] - scene["frames"] / spec["fps"]) > 0.001:
            problems.append(f"scenes/{number}: duration must equal frames / fps")
    problems += _cue_problems(spec)
    if problems:
        raise ValidationException("invalid spec: " + "; ".join(problems))
    return spec


def _cue_problems(spec: dict[str, Any]) -> list[str]:
    """Cues play in order, never overlap, and stay inside the video. (Not checked against
    scene bounds: an edit that moves frames must not make a finished plan invalid.)"""
    problems: list[str] = []
    previous_end = 0.0
    for number, cue in enumerate(spec.get("subtitles", {}).get("cues", []), start=1):
        if cue["start"] >= cue["end"]:
            problems.append(f"subtitles/cues/{number}: start must come before end")
        if cue["start"] < previous_end - 0.0005:
            problems.append(f"subtitles/cues/{number}: overlaps the cue before it")
        if cue["end"] > spec["duration"] + 0.0005:
            problems.append(f"subtitles/cues/{number}: ends after the video")
        if cue["scene"] >= len(spec["scenes"]):
            problems.append(f"subtitles/cues/{number}: no scene {cue['scene'] + 1}")
        last = cue["start"]
        for word in cue.get("words", ()):
            if not last - 0.0005 <= word["start"] <= word["end"] <= cue["end"] + 0.0005:
                problems.append(f"subtitles/cues/{number}: words must follow each other inside the cue")
                break
            last = word["end"]
        previous_end = max(previous_end, cue["end"])
    return problems


def scene_start_frame(spec: dict[str, Any], scene_index: int) -> int:
    return sum(scene["frames"] for scene in spec["scenes"][:scene_index])
