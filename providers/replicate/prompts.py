"""The words sent to Replicate's models: one helper builds every scene prompt, so whatever a
scene adds (its camera, its style, the subjects it shows) reaches images and clips alike."""

from __future__ import annotations

from typing import Any

from providers.scene_text import scene_text

MAX_SEED = 2**31 - 1
NEGATIVE_PROMPT = "text, caption, watermark, logo, signature, blurry, low quality, deformed"
TEMPLATE_STYLES = {
    "cinematic": "cinematic film still, dramatic lighting, shallow depth of field, rich colour grade",
    "minimal": "minimalist, clean composition, soft muted colours, lots of negative space",
    "vibrant": "vibrant saturated colours, bold light, crisp detail",
    "noir": "black and white film noir, hard shadows, high contrast",
    "pastel": "soft pastel colours, gentle light, dreamy atmosphere",
}
STORYBOARD_STYLE = "storyboard sketch, loose pencil drawing on paper, rough shading"
CAMERA_WORDS = {
    "static": "steady static shot",
    "zoom_in": "slow push in",
    "zoom_out": "slow pull back",
    "pan_left": "slow pan to the left",
    "pan_right": "slow pan to the right",
    "pan_up": "slow tilt up",
    "pan_down": "slow tilt down",
}
MUSIC_STYLES = {
    "calm": "calm ambient piano with soft pads",
    "upbeat": "upbeat pop with bright synths, bass and light drums",
    "dramatic": "dramatic orchestral strings with driving percussion",
    "mysterious": "mysterious dark ambient with low drones and sparse bells",
    "playful": "playful pizzicato strings, marimba and light percussion",
    "epic": "epic cinematic orchestra with choir and big drums",
}


def scene_prompt(
    spec: dict[str, Any], scene_index: int, *, storyboard: bool = False, motion: bool = False
) -> str:
    """A scene's description with its subjects, time and weather, then its camera move (for
    clips), then the look."""
    scene = spec["scenes"][scene_index]
    style = STORYBOARD_STYLE if storyboard else TEMPLATE_STYLES[spec["template"]]
    if motion:
        style = f"{CAMERA_WORDS[scene['camera']]}, {style}"
    return f"{scene_text(scene)}. {style}"


def music_prompt(spec: dict[str, Any]) -> str:
    music = spec["music"]
    return f"{MUSIC_STYLES[music['mood']]}, {music['tempo']} bpm, instrumental, no vocals"


def seed(spec: dict[str, Any], scene_index: int) -> int:
    """The same spec gives the same seeds; a scene's storyboard and reference share one."""
    return (spec["seed"] + scene_index) % MAX_SEED + 1
