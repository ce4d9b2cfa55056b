"""Scene elements the motifs are built from: sky, lights, ridges, trees, skylines, clouds,
water, dunes, flames. Each draws into a `Layer` in world coordinates (see painting.py).
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass, field

import numpy as np

from providers.local.painting import (
    Canvas,
    Color,
    Layer,
    ShapeMask,
    disc,
    fill_below,
    gaussian,
    hex_color,
    luminance,
    mix,
    smoothstep,
    value_noise,
    vertical_gradient,
)
from providers.local.particles import Particles


@dataclass
class Colors:
    """Roles taken from a palette sorted dark to light, whatever order the planner used."""

    dark: Color
    mid: Color
    light: Color
    accent: Color
    extra: list[Color]

    @classmethod
    def from_palette(cls, palette: list[str]) -> Colors:
        colors = sorted((hex_color(c) for c in palette), key=luminance)

        def vividness(c: Color) -> float:
            _, lightness, saturation = colorsys.rgb_to_hls(*(float(v) for v in c))
            return saturation * (1 - abs(lightness - 0.55))

        accent = max(colors[1:], key=vividness)
        return cls(dark=colors[0], mid=colors[1], light=colors[-1], accent=accent, extra=colors)


@dataclass
class Scene:
    canvas: Canvas
    rng: np.random.Generator
    colors: Colors
    bg: Layer
    fg: Layer
    horizon: float  # world y of the horizon
    particles: list[Particles] = field(default_factory=list)

    @property
    def w(self) -> int:
        return self.canvas.frame_w

    @property
    def h(self) -> int:
        return self.canvas.frame_h

    @property
    def u(self) -> int:
        return self.canvas.unit

    @property
    def frame_size(self) -> tuple[int, int]:
        return (self.w, self.h)


def sky(scene: Scene, top: Color, horizon: Color, bottom: Color | None = None) -> None:
    stops = [(-0.2, top), (scene.horizon / scene.h, horizon), (1.2, horizon if bottom is None else bottom)]
    scene.bg.rgb[:] = vertical_gradient(scene.canvas, stops)


def glow(layer: Layer, x: float, y: float, radius: float, color: Color, strength: float) -> None:
    rows, cols, g = gaussian(layer.canvas, x, y, radius, radius)
    layer.add_light(rows, cols, g * strength, color)


def sun(scene: Scene, x: float, y: float, r: float, color: Color) -> None:
    rows, cols, mask = disc(scene.canvas, x, y, r)
    scene.bg.paint(rows, cols, mask, mix(color, np.ones(3, np.float32), 0.8))
    # The glows go on after the disc, so the disc brightens into them instead of sitting on top.
    glow(scene.bg, x, y, r * 6, color, 0.18)
    glow(scene.bg, x, y, r * 1.6, color, 0.22)


def moon(scene: Scene, x: float, y: float, r: float, color: Color) -> None:
    glow(scene.bg, x, y, r * 5, color, 0.18)
    rows, cols, mask = disc(scene.canvas, x, y, r)
    scene.bg.paint(rows, cols, mask, mix(color, np.ones(3, np.float32), 0.7))
    ys, xs = scene.canvas.ys[rows][:, None], scene.canvas.xs[cols][None, :]
    for _ in range(4):
        cx, cy = x + scene.rng.uniform(-0.5, 0.5) * r, y + scene.rng.uniform(-0.5, 0.5) * r
        spot = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (0.06 * r * r)) * mask * 0.15
        scene.bg.paint(rows, cols, spot.astype(np.float32), color * 0.6)


def ridge(
    scene: Scene, base: float, amplitude: float, *, period: float, octaves: int = 4, sharp: bool = False
) -> np.ndarray:
    """A skyline curve (world y per canvas column): smooth hills or sharp ridged mountains."""
    noise = value_noise(scene.rng, scene.canvas.xs, period=period, octaves=octaves)
    if sharp:
        noise = 1 - 2 * np.abs(noise)
    return (base - amplitude * noise).astype(np.float32)


def star_field(scene: Scene, count: int, color: Color, *, bottom: float) -> None:
    """Single-pixel stars of random brightness above world y `bottom`, a few with halos."""
    canvas = scene.canvas
    xs = scene.rng.uniform(-0.1 * scene.w, 1.1 * scene.w, count)
    ys = scene.rng.uniform(-0.1 * scene.h, bottom, count)
    brightness = scene.rng.uniform(0.15, 1, count) ** 2
    ix, iy = (xs - canvas.x0).astype(int), (ys - canvas.y0).astype(int)
    inside = (ix >= 0) & (ix < canvas.width) & (iy >= 0) & (iy < canvas.height)
    fade = smoothstep(bottom, scene.h * 0.1, ys[inside])[:, None]
    scene.bg.rgb[iy[inside], ix[inside]] += brightness[inside, None] * fade * color
    for x, y in zip(xs[:8], ys[:8], strict=True):
        glow(scene.bg, x, y, scene.u * 0.006, color, 0.5)


def conifers(scene: Scene, layer: Layer, ground: np.ndarray, count: int, height: float, color: Color) -> None:
    """A row of layered conifer silhouettes standing on the curve `ground`, as one heightfield:
    each tree is a stack of triangles and the row's outline is the minimum over all of them."""
    xs = scene.canvas.xs
    tree_x = np.sort(scene.rng.uniform(-0.12 * scene.w, 1.12 * scene.w, count)).astype(np.float32)
    tree_h = (height * scene.rng.uniform(0.6, 1.15, count)).astype(np.float32)
    col = np.clip((tree_x - scene.canvas.x0).astype(int), 0, len(xs) - 1)
    top = ground.copy()
    tiers = 4
    for tier in range(tiers):
        apex = ground[col] - tree_h * (1 - tier / (tiers + 0.6))
        half_width = tree_h * (0.1 + 0.07 * tier)
        slope = (tree_h / tiers * 1.5) / half_width
        dx = np.abs(xs[None, :] - tree_x[:, None])
        # Past a tier's edge its outline keeps falling steeply, so the lowest tier flares
        # down to the ground instead of ending in a vertical wall.
        beyond = np.maximum(dx - half_width[:, None], 0) * 5
        tier_top = apex[:, None] + (dx + beyond) * slope[:, None]
        top = np.minimum(top, tier_top.min(axis=0))
    fill_below(layer, top, color)


def skyline(
    scene: Scene,
    layer: Layer,
    ground: float,
    count: int,
    height: float,
    color: Color,
    lights: Color,
    lit: float,
) -> None:
    """Blocks of buildings with a grid of windows, a fraction `lit` of them glowing."""
    rng, canvas = scene.rng, scene.canvas
    edges = np.sort(rng.uniform(-0.12 * scene.w, 1.12 * scene.w, count + 1)).astype(np.float32)
    heights = (height * rng.uniform(0.35, 1.0, count) ** 1.5).astype(np.float32)
    xs = canvas.xs
    building = np.clip(np.searchsorted(edges, xs) - 1, 0, count - 1)
    roof = ground - heights[building]
    roof = np.where((xs < edges[0]) | (xs > edges[-1]), ground, roof).astype(np.float32)
    fill_below(layer, roof, color, soft=0.7)
    cell_w, cell_h = scene.u * 0.018, scene.u * 0.026
    band = canvas.rows(float(roof.min()), ground)
    ys = canvas.ys[band][:, None]
    local_x = xs - edges[building]
    col_i = np.floor(local_x / cell_w)
    row_i = np.floor((ys - roof[None, :]) / cell_h)
    in_cell = ((local_x % cell_w) > cell_w * 0.35)[None, :] & (((ys - roof) % cell_h) > cell_h * 0.45)
    hashed = np.sin(col_i[None, :] * 12.9898 + row_i * 78.233 + building[None, :] * 37.719) * 43758.5453
    is_lit = (hashed - np.floor(hashed)) < lit
    window = in_cell & is_lit & (row_i >= 1) & (ys < ground - cell_h)
    layer.paint(band, slice(None), window.astype(np.float32) * 0.9, lights)


def cloud(scene: Scene, layer: Layer, cx: float, cy: float, size: float, color: Color, shade: Color) -> None:
    """A cumulus: soft blobs summed into a density, thresholded, lit from above."""
    rng, canvas = scene.rng, scene.canvas
    blobs = [
        (cx + rng.uniform(-1, 1) * size, cy + rng.uniform(-0.25, 0.15) * size, rng.uniform(0.35, 0.6) * size)
    ]
    blobs += [
        (
            cx + rng.uniform(-1.1, 1.1) * size,
            cy + rng.uniform(-0.3, 0.2) * size,
            rng.uniform(0.25, 0.5) * size,
        )
        for _ in range(6)
    ]
    rows = canvas.rows(cy - 1.3 * size, cy + 0.9 * size)
    cols = canvas.cols(cx - 2 * size, cx + 2 * size)
    ys, xs = canvas.ys[rows][:, None], canvas.xs[cols][None, :]
    density = np.zeros((len(ys), xs.shape[1]), dtype=np.float32)
    for bx, by, br in blobs:
        density += np.exp(-(((xs - bx) ** 2 + (ys - by) ** 2) / (br * br)))
    density *= smoothstep(cy + 0.45 * size, cy + 0.1 * size, ys)  # flat-ish base
    mask = smoothstep(0.35, 0.65, density)
    light = smoothstep(cy + 0.3 * size, cy - 0.6 * size, ys)
    tone = shade + (color - shade) * light[..., None]
    layer.paint(rows, cols, mask, tone)


def sea(scene: Scene, layer: Layer, colors: list[Color], foam: Color, bands: int) -> None:
    """Layered sine bands from the horizon down, each crest with a thin foam highlight."""
    rng, canvas, xs = scene.rng, scene.canvas, scene.canvas.xs
    span = scene.h - scene.horizon
    for i in range(bands):
        depth = i / (bands - 1)
        base = scene.horizon + span * (depth**1.6) * 0.95
        amplitude = scene.u * (0.004 + 0.03 * depth)
        k = 2 * math.pi / (scene.u * (0.25 + 0.5 * depth))
        phase = rng.uniform(0, 2 * math.pi)
        wave = np.sin(xs * k + phase) + 0.35 * np.sin(xs * k * 2.3 + 2 * phase)
        top = (base - amplitude * wave).astype(np.float32)
        color = mix(colors[0], colors[1], depth)
        fill_below(layer, top, color, soft=1.0)
        crest = smoothstep(0.6, 1.3, wave).astype(np.float32)
        rows = canvas.rows(float(top.min()) - 2, float(top.max()) + 3 + 2 * depth * scene.u * 0.01)
        dist = canvas.ys[rows][:, None] - top[None, :]
        line = np.exp(-((dist - 1.5) ** 2) / (1 + depth * scene.u * 0.004)) * crest[None, :]
        layer.paint(rows, slice(None), (line * (0.45 + 0.4 * depth)).astype(np.float32), foam)


def dunes(scene: Scene, layer: Layer, base: float, amplitude: float, lit: Color, shadow: Color) -> np.ndarray:
    """Sand ridges: the sunny side of each crest lighter than the lee side."""
    top = ridge(scene, base, amplitude, period=scene.u * 0.9, octaves=3)
    slope = np.gradient(top) / max(amplitude, 1e-3) * scene.u * 0.05
    t = np.clip(0.5 + slope, 0, 1)[:, None]
    color = shadow + (lit - shadow) * t
    fill_below(layer, top, color.astype(np.float32), soft=1.0)
    return top


def flame(scene: Scene, layer: Layer, x: float, base: float, height: float, colors: list[Color]) -> None:
    """Nested teardrop tongues from the outer (darker) colour to a white-hot core."""
    lean = scene.rng.uniform(-0.25, 0.25) * height
    width = height * 0.28
    for level, color in enumerate(colors):
        scale = 1 - level * 0.28
        h, w = height * scale, width * scale
        shape = ShapeMask(
            scene.canvas, x - w * 1.5 + min(lean, 0), base - h - 2, x + w * 1.5 + max(lean, 0), base + 2
        )
        left, right = [], []
        for s in np.linspace(0, 1, 18):
            half = w * math.sin(math.pi * min(s * 1.6, 1) ** 0.7) * (1 - s) ** 0.6
            cx = x + lean * s**2
            left.append((cx - half, base - s * h))
            right.append((cx + half, base - s * h))
        shape.polygon(left + right[::-1])
        shape.paint(layer, color)


def particle_velocity(
    count: int, vx: float, vy: float, rng: np.random.Generator, spread: float
) -> np.ndarray:
    speed = rng.uniform(1 - spread, 1 + spread, (count, 1))
    return (np.array([[vx, vy]], dtype=np.float32) * speed).astype(np.float32)


def add_particles(
    scene: Scene, patches: list[list[np.ndarray]], xy: np.ndarray, velocity: np.ndarray, **motion
) -> None:
    """Add a group of particles drawn from `patches` at `xy`, each with a random patch and
    phase from the scene's generator, so a group looks the same on every run."""
    n = len(xy)
    kind = scene.rng.integers(0, len(patches), n)
    phase = scene.rng.uniform(0, 1, n).astype(np.float32)
    scene.particles.append(
        Particles(patches, xy, velocity, kind, phase, frame_size=scene.frame_size, **motion)
    )
