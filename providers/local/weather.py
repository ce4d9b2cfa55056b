"""A scene's time of day and weather, drawn over whatever its motif drew: a low sun at dawn
and sunset, stars and a moon at night, snow lying and falling, rain, a storm's dark sky and
lightning, fog. All vectorised over the layers, or particle groups that move by themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from providers.local import particles as sprites
from providers.local.elements import (
    Scene,
    add_particles,
    cloud,
    glow,
    moon,
    particle_velocity,
    star_field,
    sun,
)
from providers.local.painting import mix, smoothstep
from providers.local.particles import Particles, scatter

WHITE = np.ones(3, dtype=np.float32)
WARM = np.array([1.0, 0.62, 0.35], dtype=np.float32)
# Motifs that are already their own weather or light, so it is not drawn twice.
ALREADY = {"snow": {"snow"}, "rain": {"rain"}, "storm": {"rain"}, "night": {"stars", "city", "fire"}}
NO_SKY = {"bubbles", "abstract"}
FLASH_SECONDS = 0.18


@dataclass
class Flash(Particles):
    """A lightning bolt and the sky it lights, shown only for a moment now and then."""

    period: float = 3.2

    def state(self, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        since = (t + self.phase[0] * self.period) % self.period
        # Two quick strokes, the second fainter: lightning flickers.
        level = 1.0 if since < FLASH_SECONDS / 2 else 0.5 if since < FLASH_SECONDS else 0.0
        return (
            self.xy.copy(),
            np.full(len(self.xy), level, dtype=np.float32),
            np.zeros(len(self.xy), dtype=int),
        )


def _sky_rows(scene: Scene) -> slice:
    return scene.canvas.rows(-scene.h, scene.horizon)


def time_of_day(scene: Scene, motif: str, time: str | None) -> None:
    if time is None or motif in NO_SKY or motif in ALREADY.get(time, set()):
        return
    c = scene.colors
    if time in ("dawn", "sunset"):
        x = scene.w * (0.25 if time == "dawn" else 0.75)
        glow(scene.bg, x, scene.horizon, scene.u * 0.5, WARM, 0.2)
        sun(scene, x, scene.horizon - scene.h * 0.04, scene.u * 0.06, mix(WARM, WHITE, 0.4))
    elif time == "night":
        rows = _sky_rows(scene)
        scene.bg.rgb[rows] *= 0.45
        star_field(scene, 500, mix(c.light, WHITE, 0.6), bottom=scene.horizon - scene.h * 0.05)
        moon(scene, scene.w * 0.78, scene.h * 0.18, scene.u * 0.045, mix(c.light, WHITE, 0.5))


def weather(scene: Scene, motif: str, kind: str | None) -> None:
    if kind is None or motif in ALREADY.get(kind, set()):
        return
    {"snow": _snow, "rain": _rain, "storm": _storm, "fog": _fog}[kind](scene)


def _snow(scene: Scene) -> None:
    """Snow lying on everything in the foreground and below the horizon, and snow falling."""
    canvas = scene.canvas
    ground = canvas.rows(scene.horizon, canvas.y0 + canvas.height)
    lying = smoothstep(scene.horizon, scene.horizon + scene.h * 0.08, canvas.ys[ground])[:, None, None]
    scene.bg.rgb[ground] += (mix(scene.colors.light, WHITE, 0.6) - scene.bg.rgb[ground]) * lying * 0.8
    # On the foreground's silhouettes snow caps the top edges (where coverage starts going
    # down a column, a band `depth` rows deep) and covers the ground; the rest is dusted.
    fg = scene.fg
    depth = max(2, round(scene.u * 0.03))
    above = np.zeros_like(fg.alpha)
    above[depth:] = fg.alpha[:-depth]
    caps = np.clip(fg.alpha - above, 0, 1)[..., None]
    white = WHITE * 0.96 * fg.alpha[..., None]
    ground = smoothstep(scene.h * 0.78, scene.h * 0.95, canvas.ys)[:, None, None] * 0.85
    fg.rgb += (white - fg.rgb) * np.maximum(np.maximum(caps, ground), 0.35)
    xy = scatter(scene.rng, 90, scene.frame_size)
    flakes = [[sprites.flake(scene.u * r, WHITE)] for r in (0.002, 0.0035, 0.005)]
    velocity = particle_velocity(90, scene.u * 0.01, scene.u * 0.07, scene.rng, 0.4)
    add_particles(scene, flakes, xy, velocity, sway=_sway(scene, flakes), sway_hz=0.35, depth="fg")


def _rain(scene: Scene, count: int = 80) -> None:
    xy = scatter(scene.rng, count, scene.frame_size)
    c = scene.colors
    drops = [[sprites.streak(scene.u * n, scene.u * 0.0016, -10, c.light, 0.45)] for n in (0.035, 0.055)]
    velocity = particle_velocity(count, scene.u * 0.2, scene.u * 1.2, scene.rng, 0.15)
    add_particles(scene, drops, xy, velocity, sway=_sway(scene, drops), sway_hz=0.35, depth="fg")


def _storm(scene: Scene) -> None:
    """A dark sky, heavy rain and lightning."""
    rows = _sky_rows(scene)
    ys = scene.canvas.ys[rows][:, None, None]
    shade = 0.45 + 0.25 * smoothstep(-scene.h * 0.1, scene.horizon, ys)
    scene.bg.rgb[rows] *= shade
    dark = scene.colors.dark * 0.8
    for _ in range(7):
        x, y = scene.w * scene.rng.uniform(-0.05, 1.05), scene.h * scene.rng.uniform(0.02, 0.28)
        cloud(scene, scene.bg, x, y, scene.u * scene.rng.uniform(0.14, 0.22), mix(dark, WHITE, 0.25), dark)
    scene.fg.rgb *= 0.75
    _rain(scene, 110)
    x = scene.w * scene.rng.uniform(0.2, 0.8)
    bolt = _bolt(scene, scene.u * 0.5, scene.rng)
    sheet = sprites.puff(scene.w * 0.35, scene.h * 0.25, mix(scene.colors.light, WHITE, 0.7), 0.45)
    flash = Flash(
        patches=[[sheet], [bolt]],
        xy=np.array(
            [[x - sheet.shape[1] / 2, -sheet.shape[0] * 0.3], [x - bolt.shape[1] / 2, scene.h * 0.02]],
            dtype=np.float32,
        ),
        velocity=np.zeros((2, 2), dtype=np.float32),
        kind=np.array([0, 1]),
        phase=np.full(2, scene.rng.uniform(0, 1), dtype=np.float32),
        frame_size=scene.frame_size,
    )
    scene.particles.append(flash)


def _bolt(scene: Scene, length: float, rng: np.random.Generator) -> np.ndarray:
    """A jagged white stroke with a soft glow, as an RGBA patch."""
    w, h = round(length * 0.6), round(length)
    points = [(w / 2 + rng.uniform(-1, 1) * w * 0.3 if k else w / 2, h * k / 7) for k in range(8)]
    stroke = Image.new("L", (w, h))
    ImageDraw.Draw(stroke).line(points, fill=255, width=max(2, round(scene.u * 0.004)), joint="curve")
    halo = stroke.filter(ImageFilter.GaussianBlur(scene.u * 0.006))
    alpha = np.maximum(np.asarray(stroke, np.float32), np.asarray(halo, np.float32) * 2.5) / 255
    rgba = np.empty((h, w, 4), dtype=np.float32)
    rgba[..., :3] = (0.92, 0.94, 1.0)
    rgba[..., 3] = np.clip(alpha, 0, 1)
    return rgba


def _fog(scene: Scene) -> None:
    haze = mix(scene.colors.light, WHITE, 0.5)
    for layer, amount in ((scene.bg, 0.45), (scene.fg, 0.35)):
        ys = scene.canvas.ys[:, None, None]
        depth = amount * (0.6 + 0.4 * smoothstep(scene.h * 0.2, scene.horizon, ys))
        target = haze if layer.opaque else haze * layer.alpha[..., None]
        layer.rgb += (target - layer.rgb) * depth


def _sway(scene: Scene, patches: list[list[np.ndarray]]) -> float:
    # Only a varied group (flakes of several shapes) sways; a few straight drops fall straight.
    return scene.u * 0.01 if len(patches) > 2 else 0.0
