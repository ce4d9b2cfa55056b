"""Vectorised drawing primitives for the procedural scenes.

Everything is drawn in *world* coordinates: pixels of the video frame, with (0, 0) at
the frame's top-left. A canvas may be larger than the frame (the video renderer wants
room to pan and zoom), so the same scene drawn on a bigger canvas has the same content
in its middle. Layers hold premultiplied float32 RGB, so painting with a coverage mask
is one lerp and "over" compositing stays exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image, ImageDraw

Color = np.ndarray  # float32 RGB in [0, 1], shape (3,) or broadcastable per column/pixel
BAND_ROWS = 64


def row_bands(rows: slice, height: int) -> Iterator[tuple[slice, slice]]:
    """`rows` of an array `height` rows high a few at a time, each band also counted from
    the first of `rows`: a float temporary the size of a canvas is tens of megabytes, and
    the worker's peak memory is a scene being drawn or converted."""
    start, stop, _ = rows.indices(height)
    for top in range(start, stop, BAND_ROWS):
        bottom = min(top + BAND_ROWS, stop)
        yield slice(top, bottom), slice(top - start, bottom - start)


def hex_color(text: str) -> Color:
    return np.array([int(text[i : i + 2], 16) / 255 for i in (1, 3, 5)], dtype=np.float32)


def mix(a: Color, b: Color, t: float) -> Color:
    return (a + (b - a) * t).astype(np.float32)


def luminance(color: Color) -> float:
    return float(color @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32))


def smoothstep(edge0: float, edge1: float, x: np.ndarray) -> np.ndarray:
    t = np.clip((x - edge0) / (edge1 - edge0), 0, 1)
    return t * t * (3 - 2 * t)


@dataclass
class Canvas:
    frame_w: int
    frame_h: int
    width: int
    height: int
    x0: float  # world coordinates of the canvas's top-left corner
    y0: float

    @classmethod
    def around_frame(cls, frame_w: int, frame_h: int, oversize: float = 1.0) -> Canvas:
        """A canvas centred on the frame, `oversize` times its size (margins in whole pixels)."""
        mx = math.ceil(frame_w * (oversize - 1) / 2)
        my = math.ceil(frame_h * (oversize - 1) / 2)
        return cls(frame_w, frame_h, frame_w + 2 * mx, frame_h + 2 * my, -mx, -my)

    @property
    def unit(self) -> int:
        """Scale for sizes, so a scene keeps its look at any resolution and aspect."""
        return min(self.frame_w, self.frame_h)

    @cached_property
    def xs(self) -> np.ndarray:
        return (self.x0 + np.arange(self.width, dtype=np.float32) + 0.5).astype(np.float32)

    @cached_property
    def ys(self) -> np.ndarray:
        return (self.y0 + np.arange(self.height, dtype=np.float32) + 0.5).astype(np.float32)

    def rows(self, top: float, bottom: float) -> slice:
        return slice(
            int(np.clip(math.floor(top - self.y0), 0, self.height)),
            int(np.clip(math.ceil(bottom - self.y0), 0, self.height)),
        )

    def cols(self, left: float, right: float) -> slice:
        return slice(
            int(np.clip(math.floor(left - self.x0), 0, self.width)),
            int(np.clip(math.ceil(right - self.x0), 0, self.width)),
        )


class Layer:
    """Premultiplied RGB plus coverage; a background layer starts opaque."""

    def __init__(self, canvas: Canvas, *, opaque: bool) -> None:
        self.canvas = canvas
        self.opaque = opaque
        self.rgb = np.zeros((canvas.height, canvas.width, 3), dtype=np.float32)
        self.alpha = np.full((canvas.height, canvas.width), 1.0 if opaque else 0.0, dtype=np.float32)

    def paint(self, rows: slice, cols: slice, mask: np.ndarray, color: Color) -> None:
        """Lay `color` over the region with coverage `mask` (premultiplied "over" is a lerp)."""
        mask, color = self._over_region(rows, cols, mask, color)
        for band, local in row_bands(rows, self.canvas.height):
            region = self.rgb[band, cols]
            region += (color[local] - region) * mask[local, :, None]
            coverage = self.alpha[band, cols]
            coverage += (1 - coverage) * mask[local]

    def add_light(self, rows: slice, cols: slice, amount: np.ndarray, color: Color) -> None:
        """Additive light (glows, highlights) only where the layer already has coverage."""
        amount, color = self._over_region(rows, cols, amount, color)
        for band, local in row_bands(rows, self.canvas.height):
            light = amount[local] if self.opaque else amount[local] * self.alpha[band, cols]
            self.rgb[band, cols] += light[..., None] * color[local]

    def _over_region(
        self, rows: slice, cols: slice, mask: np.ndarray, color: Color
    ) -> tuple[np.ndarray, np.ndarray]:
        """A mask and a colour given for the region (whole, per row, per column or one
        colour), as views of the region's shape, so a band of rows can be taken of each."""
        shape = self.alpha[rows, cols].shape
        return (
            np.broadcast_to(mask, shape),
            np.broadcast_to(np.asarray(color, dtype=np.float32), (*shape, 3)),
        )


def vertical_gradient(canvas: Canvas, stops: list[tuple[float, Color]]) -> np.ndarray:
    """Rows coloured by stops at fractions of the frame height; returns (h, 1, 3)."""
    ys = canvas.ys / canvas.frame_h
    positions = [p for p, _ in stops]
    channels = [np.interp(ys, positions, [float(c[k]) for _, c in stops]) for k in range(3)]
    return np.stack(channels, axis=-1).astype(np.float32)[:, None, :]


def fill_below(layer: Layer, top: np.ndarray, color: Color, *, soft: float = 1.0) -> None:
    """Cover everything below the curve `top` (world y per canvas column), anti-aliased.

    Only the rows the curve passes through are blended; the rows beneath are assigned,
    which keeps big silhouettes cheap. `color` is (3,) or (width, 3) per column.
    """
    canvas = layer.canvas
    band = canvas.rows(float(top.min()) - soft, float(top.max()) + soft + 1)
    ys = canvas.ys[band][:, None]
    mask = np.clip((ys - top[None, :]) / soft + 0.5, 0, 1)
    color = np.asarray(color, dtype=np.float32)
    layer.paint(band, slice(None), mask, color if color.ndim == 1 else color[None])
    below = slice(band.stop, canvas.height)
    layer.rgb[below] = color if color.ndim == 1 else color[None]
    layer.alpha[below] = 1.0


def haze_above(layer: Layer, top: np.ndarray, color: Color, *, height: float, strength: float) -> None:
    """A fog band that is densest on the curve `top` and fades upward over `height`."""
    canvas = layer.canvas
    band = canvas.rows(float(top.min()) - 3 * height, float(top.max()) + 1)
    dist = top[None, :] - canvas.ys[band][:, None]
    mask = np.where(dist >= 0, np.exp(-np.maximum(dist, 0) / height), 0).astype(np.float32) * strength
    layer.paint(band, slice(None), mask, color)


def gaussian(canvas: Canvas, cx: float, cy: float, rx: float, ry: float) -> tuple[slice, slice, np.ndarray]:
    """A separable gaussian bump clipped to 3 sigma: cheap glows without full-canvas work."""
    rows = canvas.rows(cy - 3 * ry, cy + 3 * ry)
    cols = canvas.cols(cx - 3 * rx, cx + 3 * rx)
    gy = np.exp(-(((canvas.ys[rows] - cy) / ry) ** 2) / 2)
    gx = np.exp(-(((canvas.xs[cols] - cx) / rx) ** 2) / 2)
    return rows, cols, (gy[:, None] * gx[None, :]).astype(np.float32)


def disc(
    canvas: Canvas, cx: float, cy: float, r: float, inner: float = 0.0
) -> tuple[slice, slice, np.ndarray]:
    """Anti-aliased disc coverage (a ring when `inner` > 0) in its bounding box."""
    rows = canvas.rows(cy - r - 1, cy + r + 1)
    cols = canvas.cols(cx - r - 1, cx + r + 1)
    d = np.hypot(canvas.ys[rows][:, None] - cy, canvas.xs[cols][None, :] - cx)
    mask = np.clip(r - d + 0.5, 0, 1)
    if inner > 0:
        mask -= np.clip(inner - d + 0.5, 0, 1)
    return rows, cols, mask.astype(np.float32)


def value_noise(rng: np.random.Generator, xs: np.ndarray, *, period: float, octaves: int = 4) -> np.ndarray:
    """1-D fractal noise in about [-1, 1] on world x; the lattice covers a fixed world span
    (three frame widths), so the same seed gives the same curve on any canvas."""
    total = np.zeros_like(xs)
    amplitude, norm = 1.0, 0.0
    for octave in range(octaves):
        step = period / 2**octave
        knots = np.arange(-1.5 * period - 4 * step, 3.5 * period + 4 * step, step, dtype=np.float32)
        values = rng.uniform(-1, 1, size=knots.size).astype(np.float32)
        t = (xs - knots[0]) / step
        i = np.clip(np.floor(t).astype(np.int64), 0, knots.size - 2)
        f = smoothstep(0, 1, t - i)
        total += amplitude * (values[i] + (values[i + 1] - values[i]) * f)
        norm += amplitude
        amplitude *= 0.5
    return (total / norm).astype(np.float32)


class ShapeMask:
    """Pillow shapes drawn supersampled inside a world-space box, for anti-aliased masks."""

    def __init__(self, canvas: Canvas, left: float, top: float, right: float, bottom: float, ss: int = 3):
        self.canvas = canvas
        self.rows = canvas.rows(top, bottom)
        self.cols = canvas.cols(left, right)
        self.ox = canvas.x0 + self.cols.start
        self.oy = canvas.y0 + self.rows.start
        self.ss = ss
        size = (max(self.cols.stop - self.cols.start, 1) * ss, max(self.rows.stop - self.rows.start, 1) * ss)
        self.image = Image.new("L", size)
        self.draw = ImageDraw.Draw(self.image)

    def point(self, x: float, y: float) -> tuple[float, float]:
        return ((x - self.ox) * self.ss, (y - self.oy) * self.ss)

    def polygon(self, points: list[tuple[float, float]], value: int = 255) -> None:
        self.draw.polygon([self.point(x, y) for x, y in points], fill=value)

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, value: int = 255) -> None:
        (x0, y0), (x1, y1) = self.point(cx - rx, cy - ry), self.point(cx + rx, cy + ry)
        self.draw.ellipse((x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)), fill=value)

    def line(self, points: list[tuple[float, float]], width: float, value: int = 255) -> None:
        self.draw.line(
            [self.point(x, y) for x, y in points], fill=value, width=max(1, round(width * self.ss))
        )

    def mask(self) -> np.ndarray:
        h, w = self.rows.stop - self.rows.start, self.cols.stop - self.cols.start
        reduced = self.image.reduce(self.ss) if self.ss > 1 else self.image
        return np.asarray(reduced, dtype=np.float32)[:h, :w] / 255

    def paint(self, layer: Layer, color: Color) -> None:
        if self.rows.stop > self.rows.start and self.cols.stop > self.cols.start:
            layer.paint(self.rows, self.cols, self.mask(), color)


def apply_vignette(layer: Layer, *, vignette: float) -> None:
    """A separable vignette tied to world coordinates, so the layers of a scene line up at
    any canvas size."""
    canvas = layer.canvas
    nx = (canvas.xs / canvas.frame_w - 0.5) * 2
    ny = (canvas.ys / canvas.frame_h - 0.5) * 2
    across = np.exp(-0.35 * nx**2)[None, :]
    down = np.exp(-0.35 * ny**2)[:, None]
    for band, _ in row_bands(slice(None), canvas.height):
        layer.rgb[band] *= ((1 - vignette) + vignette * (down[band] * across))[..., None]


def world_grain(canvas: Canvas, tile: np.ndarray) -> np.ndarray:
    """Film grain over the canvas from a small tiled texture, tied to world coordinates."""
    size = tile.shape[0]
    sy, sx = math.floor(canvas.y0) % size, math.floor(canvas.x0) % size
    reps = (math.ceil((canvas.height + sy) / size), math.ceil((canvas.width + sx) / size))
    return np.tile(tile, reps)[sy : sy + canvas.height, sx : sx + canvas.width]


def to_uint8(values: np.ndarray) -> np.ndarray:
    """8-bit values of floats in [0, 1]; `values` is scaled in place (no float copy of a
    picture that is only converted), so callers pass an array they are done with."""
    scaled = np.clip(values, 0, 1, out=values)
    scaled *= 255
    scaled += 0.5
    return scaled.astype(np.uint8)
