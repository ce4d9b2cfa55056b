"""The local video provider: a scene's clip with real motion, drawn in yuv420p and streamed
straight into the encoder (no file per frame).

Per scene, once: the layers are drawn (images.py), converted to Y/U/V planes and
supersampled, the particles and the caption are prepared (yuv.py). Per frame: each layer
is sampled through its own camera box with a nearest-neighbour resize (the parallax
foreground only in the rows it covers), particles and the caption are pasted with
precomputed masks, and the three planes go down the pipe.
"""

from __future__ import annotations

import math
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from PIL import Image

from media.encode import FrameEncoder
from providers.costs import CostMeter
from providers.local.images import DRAWING, SCENE_KEY_FIELD, scene_key, video_layers, video_oversize
from providers.local.particles import Particles
from providers.local.subtitles import BurnedSubtitles
from providers.local.yuv import (
    OPACITY_LEVELS,
    Plane,
    Planes,
    Sprite,
    background_planes,
    caption_overlay,
    foreground_planes,
    sprites_for,
)

PARALLAX = 1.6  # the foreground moves this many times as far as the background
ZOOM = 0.10
PAN = 0.12  # of the frame's width or height, over the whole scene
DRIFT_PAN = 0.03  # "static": a slow diagonal drift, so the frame is never frozen
FADE_SECONDS = 0.5
CAPTION_DELAY = 0.2
CAPTION_SECONDS = 0.6
CAPTION_SLIDE = 0.03  # of the frame height
FG_MARGIN_ROWS = 4

Box = tuple[float, float, float, float]


def ease(t: float) -> float:
    t = min(max(t, 0.0), 1.0)
    return t * t * (3 - 2 * t)


def camera_box(
    camera: str, progress: float, canvas_size: tuple[int, int], frame_size: tuple[int, int], depth: float
) -> Box:
    """The canvas rectangle a layer shows at `progress` (0..1) of the scene; `depth` scales
    the move (1 for the background, PARALLAX for the foreground)."""
    (cw, ch), (w, h) = canvas_size, frame_size
    s = ease(progress)
    cx, cy, zoom = cw / 2, ch / 2, 1.0
    if camera == "zoom_in":
        zoom = 1 + ZOOM * depth * s
    elif camera == "zoom_out":
        zoom = 1 + ZOOM * depth * (1 - s)
    elif camera in ("pan_left", "pan_right"):
        cx += PAN * w * depth * ((s - 0.5) if camera == "pan_right" else (0.5 - s))
    elif camera in ("pan_up", "pan_down"):
        cy += PAN * h * depth * ((s - 0.5) if camera == "pan_down" else (0.5 - s))
    else:
        cx += DRIFT_PAN * w * depth * (s - 0.5)
        cy += DRIFT_PAN * h * depth * (0.5 - s) / 2
    half_w, half_h = w / (2 * zoom), h / (2 * zoom)
    x0 = min(max(cx - half_w, 0.0), cw - 2 * half_w)
    y0 = min(max(cy - half_h, 0.0), ch - 2 * half_h)
    return (x0, y0, x0 + 2 * half_w, y0 + 2 * half_h)


@dataclass
class SceneMaterial:
    """Everything the frame loop needs, prepared once per scene."""

    background: Planes
    foreground: Planes | None
    foreground_top: int  # canvas row where the foreground starts
    foreground_solid: int  # canvas row from which the foreground hides the background entirely
    canvas_size: tuple[int, int]
    canvas_origin: tuple[float, float]  # world position of the canvas's top-left
    particles: list[Particles]
    sprites: list[list[list[Sprite]]]


def _is_local_reference(spec: dict[str, Any], scene_index: int, reference_path: Path) -> bool:
    """Whether the reference is this provider's own drawing of the scene (or missing), so the
    scene can be redrawn as parallax layers; anything else is animated as a flat picture."""
    if not reference_path.exists():
        return True
    with Image.open(reference_path) as image:
        # Our PNGs carry the key before the pixels, where `info` has it without decoding the
        # image; `text` would decode all of it (30 ms at 1080p) to look for chunks after.
        key = image.info.get(SCENE_KEY_FIELD) or getattr(image, "text", {}).get(SCENE_KEY_FIELD)
        return key == scene_key(spec, scene_index)


def _cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    scale = max(size[0] / image.width, size[1] / image.height)
    w, h = math.ceil(image.width * scale), math.ceil(image.height * scale)
    resized = image.resize((w, h), Image.Resampling.LANCZOS)
    left, top = (w - size[0]) // 2, (h - size[1]) // 2
    return resized.crop((left, top, left + size[0], top + size[1]))


def prepare(spec: dict[str, Any], scene_index: int, reference_path: Path) -> SceneMaterial:
    width, height = spec["width"], spec["height"]
    # A zoom is drawn without the margin pans need (a third fewer pixels to draw, convert and
    # hold), and sampled with a resize instead of split into parity images.
    oversize = video_oversize(spec["scenes"][scene_index]["camera"])
    split = oversize > 1
    if not _is_local_reference(spec, scene_index, reference_path):
        size = (
            width + 2 * math.ceil(width * (oversize - 1) / 2),
            height + 2 * math.ceil(height * (oversize - 1) / 2),
        )
        with Image.open(reference_path) as image:
            rgb = np.asarray(_cover(image.convert("RGB"), size), dtype=np.float32) / 255
        origin = (-(size[0] - width) / 2, -(size[1] - height) / 2)
        return SceneMaterial(
            background_planes(rgb, split=split), None, size[1], size[1], size, origin, [], []
        )
    layers = video_layers(spec, scene_index, keep=False)
    canvas = layers.canvas
    top = layers.foreground_top()
    offset = max(top - FG_MARGIN_ROWS, 0) // 2 * 2  # even, so chroma rows pair up
    foreground = foreground_planes(layers, offset, split=split) if top < canvas.height else None
    return SceneMaterial(
        background=background_planes(layers.background, split=split),
        foreground=foreground,
        foreground_top=top,
        foreground_solid=layers.foreground_solid(),
        canvas_size=(canvas.width, canvas.height),
        canvas_origin=(canvas.x0, canvas.y0),
        particles=layers.particles,
        sprites=sprites_for(layers.particles),
    )


@dataclass
class FramePlanes:
    """A yuv420p frame buffer seen as its three planes: Pillow images to paste into, and
    numpy views of the same pixels to copy into."""

    y: Image.Image
    u: Image.Image
    v: Image.Image
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray]

    @classmethod
    def over(cls, buffer: np.ndarray, width: int, height: int) -> FramePlanes:
        luma, chroma = width * height, (width // 2) * (height // 2)
        arrays = (
            buffer[:luma].reshape(height, width),
            buffer[luma : luma + chroma].reshape(height // 2, width // 2),
            buffer[luma + chroma : luma + 2 * chroma].reshape(height // 2, width // 2),
        )
        images = []
        for array in arrays:
            image = Image.frombuffer("L", (array.shape[1], array.shape[0]), array, "raw", "L", 0, 1)
            # Pillow marks an image over someone else's memory read-only, and would copy it on
            # the first paste; drawing into that memory is the point here.
            image.readonly = 0
            images.append(image)
        return cls(images[0], images[1], images[2], arrays)


class FrameRenderer:
    """Draws the frames of one scene into yuv420p frame buffers."""

    def __init__(self, spec: dict[str, Any], scene_index: int, material: SceneMaterial) -> None:
        scene = spec["scenes"][scene_index]
        self.material = material
        self.size = (spec["width"], spec["height"])
        self.fps = spec["fps"]
        self.frames = scene["frames"]
        self.camera = scene["camera"]
        fade = round(FADE_SECONDS * self.fps)
        self.fade_in = fade if scene_index == 0 else 0
        self.fade_out = fade if scene_index == len(spec["scenes"]) - 1 else 0
        self.subtitles = BurnedSubtitles(spec, scene_index)
        # Burned subtitles say the scene's words already; its caption would sit on them.
        self.caption = None if self.subtitles else caption_overlay(scene["caption"], *self.size)
        # The planes of each buffer the encoder lends, made once: it lends the same few again.
        self._targets: dict[int, tuple[np.ndarray, FramePlanes]] = {}

    def frame(self, index: int) -> tuple[bytes, bytes, bytes]:
        """Frame `index` as its Y, U and V planes."""
        w, h = self.size
        planes = FramePlanes.over(np.empty(w * h * 3 // 2, dtype=np.uint8), w, h)
        self._draw(index, planes)
        y, u, v = (array.tobytes() for array in planes.arrays)
        return y, u, v

    def _planes(self, buffer: np.ndarray) -> FramePlanes:
        target = self._targets.get(id(buffer))
        if target is None or target[0] is not buffer:
            target = (buffer, FramePlanes.over(buffer, *self.size))
            self._targets[id(buffer)] = target
        return target[1]

    def draw(self, index: int, buffer: np.ndarray) -> None:
        """Draw frame `index` into `buffer` (a whole yuv420p frame), every pixel of it."""
        self._draw(index, self._planes(buffer))

    def _draw(self, index: int, out: FramePlanes) -> None:
        progress = index / max(self.frames - 1, 1)
        t = index / self.fps
        m = self.material
        bg_box = camera_box(self.camera, progress, m.canvas_size, self.size, 1.0)
        fg_box = camera_box(self.camera, progress, m.canvas_size, self.size, PARALLAX)
        self._layers(bg_box, fg_box, out)
        y, u, v = out.y, out.u, out.v
        self._paste_particles(y, u, v, t, bg_box, fg_box)
        self._paste_caption(y, u, v, t)
        self.subtitles.paste(y, u, v, index)
        level = self._fade_level(index)
        if level < 1:
            y.paste(y.point([round(16 + (k - 16) * level) for k in range(256)]))
            chroma = [round(128 + (k - 128) * level) for k in range(256)]
            u.paste(u.point(chroma))
            v.paste(v.point(chroma))

    def _output_row(self, canvas_row: int, box: Box, round_up: bool) -> int:
        """The even output row where `canvas_row` of a layer shown through `box` lands."""
        row = (canvas_row - box[1]) * self.size[1] / (box[3] - box[1])
        row = math.ceil(row) + math.ceil(row) % 2 if round_up else math.floor(row) - math.floor(row) % 2
        return min(max(row, 0), self.size[1])

    def _layers(self, bg_box: Box, fg_box: Box, out: FramePlanes) -> None:
        """Background and foreground, each sampled only where it can be seen: the background
        above the foreground's solid part, the foreground's coverage blended only in the rows
        where its silhouette has edges."""
        m, h = self.material, self.size[1]
        fg = m.foreground
        if fg is None:
            self._sample_into(m.background, bg_box, 0, h, out)
            return
        first = self._output_row(m.foreground_top, fg_box, round_up=False)
        solid = max(self._output_row(m.foreground_solid, fg_box, round_up=True), first)
        self._sample_into(m.background, bg_box, 0, solid, out)
        if solid < h:
            self._sample_into(fg, fg_box, solid, h, out)
        if first < solid:
            assert fg.a_y is not None and fg.a_c is not None
            edge = self._sample(fg, fg_box, first, solid)
            a_y = self._rows(fg.a_y, fg_box, first, solid, luma=True)
            a_c = self._rows(fg.a_c, fg_box, first, solid, luma=False)
            out.y.paste(edge[0], (0, first), a_y)
            out.u.paste(edge[1], (0, first // 2), a_c)
            out.v.paste(edge[2], (0, first // 2), a_c)

    def _sample_into(self, planes: Planes, box: Box, top: int, bottom: int, out: FramePlanes) -> None:
        """Output rows [top, bottom) of a layer, drawn into the frame."""
        sub = self._canvas_rows(box, top, bottom)
        for plane, image, array, factor in zip(
            (planes.y, planes.u, planes.v), (out.y, out.u, out.v), out.arrays, (1, 2, 2), strict=True
        ):
            plane.sample_into(sub, image, array[top // factor : bottom // factor], top // factor)

    def _sample(
        self, planes: Planes, box: Box, top: int, bottom: int
    ) -> tuple[Image.Image, Image.Image, Image.Image]:
        return (
            self._rows(planes.y, box, top, bottom, luma=True),
            self._rows(planes.u, box, top, bottom, luma=False),
            self._rows(planes.v, box, top, bottom, luma=False),
        )

    def _rows(self, plane: Plane, box: Box, top: int, bottom: int, *, luma: bool) -> Image.Image:
        """Output rows [top, bottom) of one plane seen through the canvas rectangle `box`."""
        w = self.size[0]
        size = (w, bottom - top) if luma else (w // 2, (bottom - top) // 2)
        return plane.sample(self._canvas_rows(box, top, bottom), size)

    def _canvas_rows(self, box: Box, top: int, bottom: int) -> Box:
        """The part of the canvas rectangle `box` that output rows [top, bottom) show."""
        scale = (box[3] - box[1]) / self.size[1]
        return (box[0], box[1] + top * scale, box[2], box[1] + bottom * scale)

    def _paste_particles(
        self, y: Image.Image, u: Image.Image, v: Image.Image, t: float, bg_box: Box, fg_box: Box
    ) -> None:
        m = self.material
        ox, oy = m.canvas_origin
        w, h = self.size
        for group, sprites in zip(m.particles, m.sprites, strict=True):
            box = fg_box if group.depth == "fg" else bg_box
            sx, sy = w / (box[2] - box[0]), h / (box[3] - box[1])
            xy, opacity, frame = group.state(t)
            px = np.round(((xy[:, 0] - ox) - box[0]) * sx).astype(int)
            py = np.round(((xy[:, 1] - oy) - box[1]) * sy).astype(int)
            levels = np.round(opacity * (OPACITY_LEVELS - 1)).astype(int)
            for x, top, level, kind, f in zip(px, py, levels, group.kind, frame, strict=True):
                sprite = sprites[kind][f]
                if level <= 0 or x >= w or top >= h or x + sprite.y.width <= 0 or top + sprite.y.height <= 0:
                    continue
                x, top = x - x % 2, top - top % 2
                y.paste(sprite.y, (x, top), sprite.a_y[level])
                u.paste(sprite.u, (x // 2, top // 2), sprite.a_c[level])
                v.paste(sprite.v, (x // 2, top // 2), sprite.a_c[level])

    def _paste_caption(self, y: Image.Image, u: Image.Image, v: Image.Image, t: float) -> None:
        if self.caption is None:
            return
        shown = ease((t - CAPTION_DELAY) / CAPTION_SECONDS)
        if shown > 0:
            drop = round(self.size[1] * CAPTION_SLIDE * (1 - shown))
            self.caption.paste(y, u, v, opacity=shown, drop=drop)

    def _fade_level(self, index: int) -> float:
        level = 1.0
        if index < self.fade_in:
            level = index / self.fade_in
        if self.frames - 1 - index < self.fade_out:
            level = min(level, (self.frames - 1 - index) / self.fade_out)
        return level


def encode_timeout(frames: int) -> float:
    """Generous for the slowest machine we run on, and under the chunks phase's 600 s."""
    return min(540.0, 60.0 + frames * 0.5)


class LocalVideo:
    name = "local"
    # Subtitles are drawn into the frames here (see FrameRenderer), never by a second encode.
    burns_subtitles = True

    def render_chunk(
        self, spec: dict[str, Any], scene_index: int, reference_path: Path, out_path: Path, meter: CostMeter
    ) -> None:
        width, height, frames = spec["width"], spec["height"], spec["scenes"][scene_index]["frames"]
        encoder = FrameEncoder(
            Path(out_path),
            width=width,
            height=height,
            fps=spec["fps"],
            # x264 sizes its thread pool for the whole machine; workers rendering chunks side
            # by side each need only their share of the cores (FFMPEG_THREADS, 0 = x264's choice).
            threads=settings.FFMPEG_THREADS or None,
            timeout=encode_timeout(frames),
        )
        with ExitStack() as encoding:
            # Taken before the encoder starts, so a reference drawn beside this clip (and
            # started after it) waits for its planes; ffmpeg and x264 start up meanwhile.
            with DRAWING:
                encoding.enter_context(encoder)
                material = prepare(spec, scene_index, Path(reference_path))
            renderer = FrameRenderer(spec, scene_index, material)
            for index in range(frames):
                buffer = encoder.frame_buffer()
                renderer.draw(index, buffer)
                encoder.write(buffer)
