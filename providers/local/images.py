"""The local image provider: procedural artwork drawn from the spec, offline and free.

A scene is drawn as two layers (a background, and a foreground with coverage that the
video renderer moves faster for parallax) plus groups of moving particles; the reference
image is their composite at t = 0. `scene_layers` is the building block the local video
provider animates.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, PngImagePlugin

from providers.costs import CostMeter
from providers.local.actors import place_actors
from providers.local.elements import Colors, Scene
from providers.local.motifs import MOTIFS
from providers.local.painting import Canvas, Layer, apply_vignette, to_uint8, world_grain
from providers.local.particles import Particles, composite_rgb
from providers.local.text import render_caption
from providers.local.weather import time_of_day, weather

# Bumped whenever drawing changes, so a stored reference from older code is not mistaken
# for what this code would draw.
RENDER_VERSION = 3
SCENE_KEY_FIELD = "videogen-scene"
STORYBOARD_LONG_SIDE = 480
PAPER = (243, 237, 222)
INK = (58, 54, 50)
RED_PENCIL = (186, 52, 40)
# The video provider's canvas for a pan is this much larger than the frame.
PAN_OVERSIZE = 1.2
LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


@dataclass
class SceneLayers:
    canvas: Canvas
    background: np.ndarray  # (h, w, 3) float32 RGB in [0, 1]
    foreground: np.ndarray  # (h, w, 3) float32 RGB premultiplied by `alpha`
    alpha: np.ndarray  # (h, w) float32 foreground coverage
    particles: list[Particles]

    def foreground_top(self) -> int:
        """First canvas row with any foreground, so renderers can skip the empty sky above."""
        rows = np.flatnonzero(self.alpha.max(axis=1) > 1 / 255)
        return int(rows[0]) if rows.size else self.canvas.height

    def foreground_solid(self) -> int:
        """First canvas row from which the foreground is opaque all the way down."""
        opaque = self.alpha.min(axis=1) >= 254.5 / 255
        solid_below = np.logical_and.accumulate(opaque[::-1])[::-1]
        rows = np.flatnonzero(solid_below)
        return int(rows[0]) if rows.size else self.canvas.height

    def composite(self, t: float = 0.0, *, frame_only: bool = False) -> np.ndarray:
        """The whole canvas as float32 RGB, particles placed where they are at time t; with
        `frame_only`, just the frame's rectangle in its middle (the margins left undrawn)."""
        canvas, window = self.canvas, (slice(None), slice(None))
        left, top = 0, 0
        if frame_only:
            left, top = -round(canvas.x0), -round(canvas.y0)
            window = (slice(top, top + canvas.frame_h), slice(left, left + canvas.frame_w))
        # In place: each whole-canvas temporary is tens of megabytes.
        image = 1 - self.alpha[window][..., None]
        image = image * self.background[window]
        image += self.foreground[window]
        composite_rgb(image, (canvas.x0 + left, canvas.y0 + top), self.particles, t)
        return np.clip(image, 0, 1, out=image)


def scene_rng(spec: dict[str, Any], scene_index: int) -> np.random.Generator:
    variation = spec["scenes"][scene_index].get("variation", 0)
    return np.random.default_rng([spec["seed"] % 2**63, scene_index, variation])


def scene_layers(
    spec: dict[str, Any],
    scene_index: int,
    *,
    frame_size: tuple[int, int] | None = None,
    oversize: float = 1.0,
) -> SceneLayers:
    """Draw scene `scene_index` on a canvas `oversize` times the frame (spec size by default),
    centred on the frame; the middle of any canvas is the same picture."""
    width, height = frame_size or (spec["width"], spec["height"])
    scene_spec = spec["scenes"][scene_index]
    canvas = Canvas.around_frame(width, height, oversize)
    rng = scene_rng(spec, scene_index)
    scene = Scene(
        canvas=canvas,
        rng=rng,
        colors=Colors.from_palette(scene_spec["palette"]),
        bg=Layer(canvas, opaque=True),
        fg=Layer(canvas, opaque=False),
        horizon=height * 0.6,
    )
    MOTIFS[scene_spec["motif"]](scene)
    time_of_day(scene, scene_spec["motif"], scene_spec.get("time"))
    weather(scene, scene_spec["motif"], scene_spec.get("weather"))
    place_actors(scene, scene_spec.get("elements", []), scene_spec["frames"] / spec["fps"])
    for layer in (scene.bg, scene.fg):
        apply_vignette(layer, vignette=0.28)
    background = np.clip(scene.bg.rgb, 0, 1, out=scene.bg.rgb)
    return SceneLayers(canvas, background, scene.fg.rgb, scene.fg.alpha, scene.particles)


def scene_key(spec: dict[str, Any], scene_index: int) -> str:
    """What the local reference of this scene depends on, hashed: the video provider reads it
    back from the PNG to know it may redraw the same scene as layers instead of a flat image."""
    scene = spec["scenes"][scene_index]
    drawn = [RENDER_VERSION, spec["seed"], spec["width"], spec["height"], scene_index]
    drawn += [scene["motif"], scene["palette"], scene.get("variation", 0)]
    drawn += [scene.get("elements", []), scene.get("time"), scene.get("weather")]
    return hashlib.sha256(json.dumps(drawn).encode()).hexdigest()[:32]


def video_oversize(camera: str) -> float:
    """How much larger than the frame the video provider draws a scene: room for a pan's
    moves; a zoom only ever shows the middle of the canvas (it never zooms out past 1x)."""
    return 1.0 if camera in ("zoom_in", "zoom_out") else PAN_OVERSIZE


# One scene drawn, or turned into a clip's planes, at a time in a process: each holds a
# hundred megabytes or more of float canvases while it works, and a job may draw the next
# scene's reference while a clip encodes (generations.orchestration.parts.Beside).
DRAWING = threading.Lock()
# Scenes drawn for a reference, kept for their clip. Two: the clip rendering in one thread
# of a job may have drawn its scene just before the next scene's reference is drawn beside it.
KEPT_SCENES = 2
_kept: OrderedDict[tuple[Any, ...], SceneLayers] = OrderedDict()
_kept_lock = threading.Lock()


def video_layers(spec: dict[str, Any], scene_index: int, *, keep: bool = True) -> SceneLayers:
    """The scene drawn as the video provider animates it, on a canvas sized for its camera.

    Kept until a caller passes `keep=False` (the clip, which turns it into planes): a
    scene's reference and then its clip are made in one job, and draw from the same layers
    (read-only to both)."""
    scene = spec["scenes"][scene_index]
    key = (scene_key(spec, scene_index), scene["frames"], spec["fps"], scene["camera"])
    with _kept_lock:
        layers = _kept.get(key) if keep else _kept.pop(key, None)
        if layers is not None and keep:
            _kept.move_to_end(key)
        elif keep:
            # Let the scene used longest ago go before drawing another.
            while len(_kept) >= KEPT_SCENES:
                _kept.popitem(last=False)
    if layers is None:
        layers = scene_layers(spec, scene_index, oversize=video_oversize(scene["camera"]))
        if keep:
            with _kept_lock:
                _kept[key] = layers
    return layers


def render_reference(spec: dict[str, Any], scene_index: int) -> Image.Image:
    """The middle of the clip's canvas at t = 0, with film grain: it suits a still (in video
    it would only cost bits). Grain and vignette are tied to world coordinates, so this is
    the picture a frame-sized canvas would have."""
    width, height = spec["width"], spec["height"]
    tile = np.random.default_rng([spec["seed"] % 2**63, scene_index, 1]).normal(0, 0.012, (128, 128))
    with DRAWING:
        picture = video_layers(spec, scene_index).composite(0.0, frame_only=True)
        picture += world_grain(Canvas.around_frame(width, height), tile.astype(np.float32))[..., None]
        return Image.fromarray(to_uint8(picture), "RGB")


def _storyboard_size(spec: dict[str, Any]) -> tuple[int, int]:
    scale = STORYBOARD_LONG_SIDE / max(spec["width"], spec["height"])
    return round(spec["width"] * scale), round(spec["height"] * scale)


def render_storyboard(spec: dict[str, Any], scene_index: int) -> Image.Image:
    """A pencil sketch of the scene: its outlines and a light wash on paper, a frame border,
    the scene number, the caption and an arrow for the camera move."""
    width, height = _storyboard_size(spec)
    layers = scene_layers(spec, scene_index, frame_size=(width, height))
    gray = layers.composite(0.0) @ LUMA
    # A copy to convert: gray washes the paper below as it is.
    soft = Image.fromarray(to_uint8(gray.copy()), "L").filter(ImageFilter.BoxBlur(1))
    edges = np.asarray(soft.filter(ImageFilter.FIND_EDGES), dtype=np.float32) / 255
    # Normalised by the picture's own strongest edges, so soft hazy scenes still get lines.
    strong = max(float(np.percentile(edges, 99.5)), 0.04)
    ink = np.clip(edges / strong - 0.08, 0, 0.85)[..., None]
    wash = (0.8 + 0.2 * gray)[..., None]
    paper = np.array(PAPER, dtype=np.float32) * wash
    sketch = paper + (np.array(INK, dtype=np.float32) - paper) * ink
    image = Image.fromarray(np.clip(sketch, 0, 255).astype(np.uint8), "RGB")
    scene = spec["scenes"][scene_index]
    draw = ImageDraw.Draw(image)
    margin = max(4, round(min(width, height) * 0.025))
    draw.rectangle((margin, margin, width - margin - 1, height - margin - 1), outline=INK, width=2)
    _camera_hint(draw, scene["camera"], width, height)
    label_size = max(10, round(min(width, height) * 0.06))
    label = render_caption(
        f"Scene {scene_index + 1}",
        max_width=width // 2,
        font_size=label_size,
        fill=INK,
        outline=PAPER,
        outline_width=2,
    )
    image.paste(label, (margin * 2, margin * 2), label)
    caption = render_caption(
        scene["caption"],
        max_width=width - 6 * margin,
        font_size=max(9, round(label_size * 0.8)),
        fill=INK,
        outline=PAPER,
        outline_width=2,
        max_lines=2,
    )
    image.paste(caption, ((width - caption.width) // 2, height - 2 * margin - caption.height), caption)
    return image


def _arrow(
    draw: ImageDraw.ImageDraw, start: tuple[float, float], end: tuple[float, float], size: float
) -> None:
    draw.line([start, end], fill=RED_PENCIL, width=max(2, round(size / 4)))
    angle = math.atan2(end[1] - start[1], end[0] - start[0])
    head = [
        end,
        (end[0] - size * math.cos(angle - 0.45), end[1] - size * math.sin(angle - 0.45)),
        (end[0] - size * math.cos(angle + 0.45), end[1] - size * math.sin(angle + 0.45)),
    ]
    draw.polygon(head, fill=RED_PENCIL)


def _camera_hint(draw: ImageDraw.ImageDraw, camera: str, width: int, height: int) -> None:
    cx, cy, size = width / 2, height / 2, min(width, height) * 0.05
    reach = min(width, height) * 0.18
    if camera in ("zoom_in", "zoom_out"):
        for sx in (-1, 1):
            for sy in (-1, 1):
                outer = (cx + sx * reach * 1.6, cy + sy * reach)
                inner = (cx + sx * reach * 0.9, cy + sy * reach * 0.55)
                _arrow(
                    draw,
                    outer if camera == "zoom_in" else inner,
                    inner if camera == "zoom_in" else outer,
                    size,
                )
        return
    directions = {"pan_left": (-1, 0), "pan_right": (1, 0), "pan_up": (0, -1), "pan_down": (0, 1)}
    if camera in directions:
        dx, dy = directions[camera]
        _arrow(draw, (cx - dx * reach, cy - dy * reach), (cx + dx * reach, cy + dy * reach), size)
        return
    draw.ellipse((cx - size / 2, cy - size / 2, cx + size / 2, cy + size / 2), outline=RED_PENCIL, width=2)


def _save_png(image: Image.Image, out_path: Path, key: str | None = None) -> None:
    info = PngImagePlugin.PngInfo()
    if key is not None:
        info.add_text(SCENE_KEY_FIELD, key)
    # Level 1: grain makes PNGs slow to squeeze, and these files are intermediates.
    image.save(out_path, format="PNG", compress_level=1, pnginfo=info)


class LocalImages:
    name = "local"

    def storyboard_frame(
        self, spec: dict[str, Any], scene_index: int, out_path: Path, meter: CostMeter
    ) -> None:
        _save_png(render_storyboard(spec, scene_index), Path(out_path))

    def reference_image(
        self, spec: dict[str, Any], scene_index: int, out_path: Path, meter: CostMeter
    ) -> None:
        _save_png(render_reference(spec, scene_index), Path(out_path), scene_key(spec, scene_index))
