"""One composition per spec motif: what goes in the background layer, what in the
foreground (parallax) layer, and which particles move over them.

Every random choice comes from the scene's generator in a fixed order and is made in
world coordinates, so a scene looks the same at any canvas size and on every run.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from providers.local import particles as sprites
from providers.local.abstract import abstract
from providers.local.elements import (
    Scene,
    add_particles,
    cloud,
    conifers,
    dunes,
    flame,
    glow,
    moon,
    particle_velocity,
    ridge,
    sea,
    sky,
    skyline,
    star_field,
    sun,
)
from providers.local.ice import ice
from providers.local.painting import Color, ShapeMask, fill_below, gaussian, haze_above, mix
from providers.local.particles import scatter

WHITE = np.ones(3, dtype=np.float32)


def _day_sky(scene: Scene) -> Color:
    c = scene.colors
    horizon = mix(c.mid, c.light, 0.75)
    sky(scene, mix(c.dark, c.mid, 0.65), horizon)
    return horizon


def _night_sky(scene: Scene) -> Color:
    c = scene.colors
    horizon = mix(c.dark, c.mid, 0.85)
    sky(scene, c.dark * 0.55, horizon)
    return horizon


def _light_x(scene: Scene) -> float:
    return scene.w * scene.rng.uniform(0.2, 0.8)


def _hills(
    scene: Scene, base: float, amplitude: float, color: Color, *, far: bool, haze: Color | None = None
):
    top = ridge(scene, base, amplitude, period=scene.u * (1.2 if far else 0.8), octaves=4)
    layer = scene.bg if far else scene.fg
    fill_below(layer, top, color)
    if haze is not None:
        haze_above(layer, top, haze, height=scene.h * 0.05, strength=0.35)
    return top


def waves(scene: Scene) -> None:
    c, rng = scene.colors, scene.rng
    scene.horizon = scene.h * rng.uniform(0.46, 0.54)
    _day_sky(scene)
    x = _light_x(scene)
    sun(scene, x, scene.horizon - scene.h * 0.12, scene.u * 0.045, mix(c.light, c.accent, 0.3))
    sea(scene, scene.fg, [mix(c.mid, c.light, 0.35), c.dark * 0.75], c.light, bands=8)
    rows, cols, streak = gaussian(
        scene.canvas, x, scene.horizon + scene.h * 0.15, scene.u * 0.05, scene.h * 0.16
    )
    scene.fg.add_light(rows, cols, streak * 0.25, c.light)
    xy = scatter(rng, 40, scene.frame_size, top=scene.horizon / scene.h + 0.02, bottom=1.0)
    glints = [[sprites.soft_dot(scene.u * r, c.light, stretch=3.5)] for r in (0.002, 0.003, 0.004)]
    add_particles(
        scene,
        glints,
        xy,
        particle_velocity(40, scene.u * 0.015, 0, rng, 0.5),
        twinkle=0.9,
        twinkle_hz=0.9,
        depth="fg",
    )


def trees(scene: Scene) -> None:
    c, rng = scene.colors, scene.rng
    scene.horizon = scene.h * 0.62
    horizon = _day_sky(scene)
    glow(scene.bg, _light_x(scene), scene.h * 0.35, scene.u * 0.3, mix(c.light, c.accent, 0.5), 0.35)
    haze = mix(horizon, c.mid, 0.45)
    far = _hills(scene, scene.horizon - scene.h * 0.04, scene.h * 0.05, haze, far=True)
    conifers(scene, scene.bg, far + scene.h * 0.02, 70, scene.h * 0.12, mix(haze, c.dark, 0.45))
    ground = ridge(scene, scene.h * 0.92, scene.h * 0.03, period=scene.u)
    conifers(scene, scene.fg, ground, 24, scene.h * 0.5, c.dark * 0.45)
    xy = scatter(rng, 30, scene.frame_size, top=0.35, bottom=1.0)
    motes = [
        [sprites.soft_dot(scene.u * r, mix(c.accent, c.light, 0.6), strength=0.8)] for r in (0.002, 0.003)
    ]
    velocity = particle_velocity(30, scene.u * 0.01, -scene.u * 0.012, rng, 0.6)
    add_particles(
        scene, motes, xy, velocity, sway=scene.u * 0.01, sway_hz=0.3, twinkle=0.6, twinkle_hz=0.7, depth="fg"
    )


def stars(scene: Scene) -> None:
    c, rng = scene.colors, scene.rng
    scene.horizon = scene.h * 0.78
    _night_sky(scene)
    star_field(scene, 900, mix(c.light, WHITE, 0.5), bottom=scene.horizon)
    moon(scene, _light_x(scene), scene.h * rng.uniform(0.15, 0.3), scene.u * 0.05, c.light)
    _hills(scene, scene.horizon, scene.h * 0.05, mix(c.dark, c.mid, 0.45), far=True)
    ground = _hills(scene, scene.h * 0.88, scene.h * 0.04, c.dark * 0.35, far=False)
    conifers(scene, scene.fg, ground + scene.h * 0.01, 10, scene.h * 0.18, c.dark * 0.3)
    xy = scatter(rng, 28, scene.frame_size, top=-0.1, bottom=scene.horizon / scene.h - 0.1)
    twinkles = [[sprites.soft_dot(scene.u * r, mix(c.light, WHITE, 0.6))] for r in (0.002, 0.003, 0.0045)]
    add_particles(scene, twinkles, xy, np.zeros_like(xy), twinkle=0.85, twinkle_hz=0.8)


def mountains(scene: Scene) -> None:
    c, rng = scene.colors, scene.rng
    scene.horizon = scene.h * 0.6
    horizon = _day_sky(scene)
    glow(scene.bg, _light_x(scene), scene.h * 0.3, scene.u * 0.25, c.light, 0.4)
    for i, (lift, amp) in enumerate(((0.2, 0.16), (0.1, 0.13), (0.0, 0.1))):
        top = ridge(scene, scene.horizon - scene.h * lift, scene.h * amp, period=scene.u * 0.9, sharp=True)
        fill_below(scene.bg, top, mix(horizon, c.dark, 0.3 + 0.2 * i))
        haze_above(scene.bg, top - scene.h * 0.01, horizon, height=scene.h * 0.04, strength=0.5)
    near = ridge(scene, scene.h * 0.85, scene.h * 0.1, period=scene.u * 0.7, sharp=True)
    fill_below(scene.fg, near, c.dark * 0.45)
    xy = scatter(rng, 5, scene.frame_size, top=0.5, bottom=0.8)
    mist = [[sprites.puff(scene.u * 0.25, scene.u * 0.04, c.light, 0.22)]]
    add_particles(scene, mist, xy, particle_velocity(5, scene.u * 0.02, 0, rng, 0.4))


def city(scene: Scene) -> None:
    c, rng = scene.colors, scene.rng
    scene.horizon = scene.h * 0.72
    sky(scene, c.dark * 0.6, mix(c.mid, c.accent, 0.35))
    star_field(scene, 150, c.light * 0.6, bottom=scene.horizon - scene.h * 0.2)
    glow(scene.bg, scene.w * 0.5, scene.horizon, scene.w * 0.5, c.accent, 0.2)
    far = mix(c.dark, c.mid, 0.55)
    skyline(scene, scene.bg, scene.horizon + scene.h * 0.05, 34, scene.h * 0.3, far, c.accent * 0.8, 0.25)
    lights = mix(c.accent, c.light, 0.55)
    skyline(scene, scene.fg, scene.h * 1.05, 14, scene.h * 0.6, c.dark * 0.45, lights, 0.35)
    xy = scatter(rng, 6, scene.frame_size, top=0.05, bottom=0.35)
    beacons = [[sprites.soft_dot(scene.u * 0.003, mix(c.accent, WHITE, 0.3))]]
    add_particles(
        scene, beacons, xy, particle_velocity(6, scene.u * 0.03, 0, rng, 0.5), twinkle=1.0, twinkle_hz=1.1
    )


def clouds(scene: Scene) -> None:
    c, rng = scene.colors, scene.rng
    scene.horizon = scene.h * 0.8
    _day_sky(scene)
    glow(scene.bg, _light_x(scene), scene.h * 0.2, scene.u * 0.3, c.light, 0.4)
    shade = mix(c.mid, c.light, 0.35)
    for _ in range(7):
        x, y = scene.w * rng.uniform(-0.05, 1.05), scene.h * rng.uniform(0.15, 0.65)
        cloud(scene, scene.bg, x, y, scene.u * rng.uniform(0.08, 0.15), mix(c.light, WHITE, 0.5), shade)
    _hills(scene, scene.h * 0.92, scene.h * 0.03, mix(c.dark, c.mid, 0.3) * 0.7, far=False)
    xy = scatter(rng, 6, scene.frame_size, top=0.1, bottom=0.6)
    puffs = [[sprites.puff(scene.u * r, scene.u * r * 0.35, WHITE, 0.55)] for r in (0.08, 0.12)]
    add_particles(scene, puffs, xy, particle_velocity(6, scene.u * 0.035, 0, rng, 0.4))


def bubbles(scene: Scene) -> None:
    c, rng = scene.colors, scene.rng
    scene.horizon = scene.h * 0.25
    sky(scene, mix(c.mid, c.light, 0.6), c.mid, c.dark * 0.8)
    canvas = scene.canvas
    rows = canvas.rows(-0.1 * scene.h, scene.h * 0.85)
    ys, xs = canvas.ys[rows][:, None], canvas.xs[None, :]
    rays = (0.5 + 0.5 * np.sin((xs + ys * 0.35) * (2 * math.pi / (scene.u * 0.22)))) ** 6
    fade = np.clip(1 - ys / (scene.h * 0.85), 0, 1) ** 1.5
    scene.bg.add_light(rows, slice(None), (rays * fade * 0.18).astype(np.float32), c.light)
    bed = _hills(scene, scene.h * 0.9, scene.h * 0.03, c.dark * 0.6, far=False)
    weed = ShapeMask(canvas, -0.1 * scene.w, scene.h * 0.45, 1.1 * scene.w, scene.h * 1.05)
    for x in rng.uniform(-0.05, 1.05, 16) * scene.w:
        height = scene.h * rng.uniform(0.15, 0.4)
        col = int(np.clip(x - canvas.x0, 0, canvas.width - 1))
        base = float(bed[col]) + scene.h * 0.02
        pts = [
            (x + math.sin(s * 5 + x) * scene.u * 0.02 * s, base - s * height) for s in np.linspace(0, 1, 14)
        ]
        weed.line(pts, scene.u * 0.008)
    weed.paint(scene.fg, mix(c.dark, c.accent, 0.3) * 0.7)
    xy = scatter(rng, 36, scene.frame_size)
    patches = [[sprites.bubble(scene.u * r, mix(c.light, WHITE, 0.5))] for r in (0.006, 0.01, 0.016)]
    velocity = particle_velocity(36, 0, -scene.u * 0.09, rng, 0.4)
    add_particles(scene, patches, xy, velocity, sway=scene.u * 0.008, sway_hz=0.6, depth="fg")


def sun_motif(scene: Scene) -> None:
    c = scene.colors
    scene.horizon = scene.h * 0.66
    sky(scene, mix(c.dark, c.mid, 0.5), mix(c.accent, c.light, 0.55))
    sun(scene, _light_x(scene), scene.horizon - scene.h * 0.08, scene.u * 0.09, c.light)
    horizon = mix(c.accent, c.light, 0.55)
    _hills(scene, scene.horizon, scene.h * 0.04, mix(horizon, c.dark, 0.45), far=True, haze=horizon)
    _hills(scene, scene.h * 0.88, scene.h * 0.05, c.dark * 0.4, far=False)
    _birds(scene, 7, c.dark * 0.4)


def _birds(scene: Scene, count: int, color: Color) -> None:
    xy = scatter(scene.rng, count, scene.frame_size, top=0.1, bottom=0.45)
    flock = [
        [sprites.bird(scene.u * span, color, wing) for wing in (1.0, 0.3, -0.6, 0.3)]
        for span in (0.035, 0.05)
    ]
    velocity = particle_velocity(count, scene.u * 0.07, -scene.u * 0.008, scene.rng, 0.25)
    add_particles(scene, flock, xy, velocity, sway=scene.u * 0.006, sway_hz=0.4, flap_hz=2.2)


def rain(scene: Scene) -> None:
    c, rng = scene.colors, scene.rng
    scene.horizon = scene.h * 0.7
    sky(scene, mix(c.dark, c.mid, 0.4), mix(c.mid, c.light, 0.5))
    for _ in range(6):
        x, y = scene.w * rng.uniform(-0.05, 1.05), scene.h * rng.uniform(0.02, 0.3)
        cloud(scene, scene.bg, x, y, scene.u * rng.uniform(0.12, 0.2), mix(c.mid, c.light, 0.3), c.dark * 0.8)
    haze = mix(c.mid, c.light, 0.4)
    _hills(scene, scene.horizon, scene.h * 0.05, mix(haze, c.dark, 0.35), far=True, haze=haze)
    ground = _hills(scene, scene.h * 0.9, scene.h * 0.03, c.dark * 0.5, far=False)
    conifers(scene, scene.fg, ground + scene.h * 0.01, 8, scene.h * 0.25, c.dark * 0.45)
    xy = scatter(rng, 80, scene.frame_size)
    drops = [[sprites.streak(scene.u * n, scene.u * 0.0016, -10, c.light, 0.45)] for n in (0.035, 0.055)]
    add_particles(
        scene, drops, xy, particle_velocity(80, scene.u * 0.2, scene.u * 1.2, rng, 0.15), depth="fg"
    )


def snow(scene: Scene) -> None:
    c, rng = scene.colors, scene.rng
    scene.horizon = scene.h * 0.65
    horizon = _day_sky(scene)
    top = ridge(scene, scene.horizon - scene.h * 0.08, scene.h * 0.14, period=scene.u * 0.9, sharp=True)
    fill_below(scene.bg, top, mix(c.light, c.mid, 0.25))
    haze_above(scene.bg, top, horizon, height=scene.h * 0.05, strength=0.4)
    ground = ridge(scene, scene.h * 0.86, scene.h * 0.03, period=scene.u)
    conifers(scene, scene.fg, ground + scene.h * 0.015, 12, scene.h * 0.3, c.dark * 0.6)
    fill_below(scene.fg, ground, mix(c.light, WHITE, 0.4))
    xy = scatter(rng, 90, scene.frame_size)
    flakes = [[sprites.flake(scene.u * r, WHITE)] for r in (0.002, 0.0035, 0.005)]
    velocity = particle_velocity(90, scene.u * 0.01, scene.u * 0.07, rng, 0.4)
    add_particles(scene, flakes, xy, velocity, sway=scene.u * 0.012, sway_hz=0.35, depth="fg")


def birds(scene: Scene) -> None:
    c, rng = scene.colors, scene.rng
    scene.horizon = scene.h * 0.72
    horizon = _day_sky(scene)
    glow(scene.bg, _light_x(scene), scene.h * 0.4, scene.u * 0.3, mix(c.light, c.accent, 0.5), 0.4)
    for _ in range(3):
        x, y = scene.w * rng.uniform(0, 1), scene.h * rng.uniform(0.15, 0.4)
        cloud(scene, scene.bg, x, y, scene.u * 0.08, mix(c.light, WHITE, 0.4), mix(c.mid, c.light, 0.5))
    _hills(scene, scene.horizon, scene.h * 0.04, mix(horizon, c.dark, 0.4), far=True, haze=horizon)
    _hills(scene, scene.h * 0.9, scene.h * 0.03, c.dark * 0.45, far=False)
    _birds(scene, 12, c.dark * 0.45)


def _greenest(scene: Scene) -> Color:
    best = max(scene.colors.extra, key=lambda v: float(v[1] - (v[0] + v[2]) / 2))
    return best if best[1] - (best[0] + best[2]) / 2 > 0.05 else np.array([0.3, 0.5, 0.22], np.float32)


def flowers(scene: Scene) -> None:
    c, rng = scene.colors, scene.rng
    scene.horizon = scene.h * 0.6
    horizon = _day_sky(scene)
    glow(scene.bg, _light_x(scene), scene.h * 0.3, scene.u * 0.3, c.light, 0.35)
    green = _greenest(scene)
    _hills(scene, scene.horizon, scene.h * 0.04, mix(horizon, green, 0.5), far=True, haze=horizon)
    meadow_top = scene.h * 0.74
    meadow = ridge(scene, meadow_top, scene.h * 0.02, period=scene.u)
    fill_below(scene.fg, meadow, green * 0.6)
    grass = ShapeMask(scene.canvas, -0.1 * scene.w, meadow_top - scene.h * 0.06, 1.1 * scene.w, scene.h * 1.1)
    for x, y in zip(
        rng.uniform(-0.1, 1.1, 260) * scene.w, rng.uniform(0.76, 1.08, 260) * scene.h, strict=True
    ):
        grass.line([(x, y), (x + rng.uniform(-1, 1) * scene.u * 0.01, y - scene.u * 0.03)], scene.u * 0.002)
    grass.paint(scene.fg, green * 0.4)
    for color in (c.accent, c.light, mix(c.accent, WHITE, 0.5)):
        heads = ShapeMask(
            scene.canvas, -0.1 * scene.w, meadow_top - scene.h * 0.02, 1.1 * scene.w, scene.h * 1.1
        )
        for x, y in zip(
            rng.uniform(-0.1, 1.1, 70) * scene.w, rng.uniform(0.76, 1.08, 70) * scene.h, strict=True
        ):
            r = scene.u * 0.004 * (1 + 3 * (y / scene.h - 0.74))
            heads.ellipse(x, y, r * 1.3, r)
        heads.paint(scene.fg, color)
    xy = scatter(rng, 18, scene.frame_size, top=0.2, bottom=0.9)
    petals = [[sprites.petal(scene.u * 0.014, c.accent, angle)] for angle in (0, 45, 90, 135)]
    velocity = particle_velocity(18, scene.u * 0.05, scene.u * 0.02, rng, 0.4)
    add_particles(scene, petals, xy, velocity, sway=scene.u * 0.015, sway_hz=0.5, depth="fg")


def dunes_motif(scene: Scene) -> None:
    c, rng = scene.colors, scene.rng
    scene.horizon = scene.h * 0.58
    sky(scene, mix(c.mid, c.light, 0.45), c.light)
    sun(scene, _light_x(scene), scene.h * 0.22, scene.u * 0.04, mix(c.light, WHITE, 0.5))
    dunes(
        scene, scene.bg, scene.horizon + scene.h * 0.02, scene.h * 0.04, mix(c.light, c.accent, 0.4), c.accent
    )
    dunes(scene, scene.fg, scene.h * 0.8, scene.h * 0.08, mix(c.accent, c.light, 0.35), c.mid * 0.75)
    xy = scatter(rng, 40, scene.frame_size, top=0.6, bottom=1.0)
    sand = [[sprites.soft_dot(scene.u * 0.002, c.light, stretch=5, strength=0.6)]]
    velocity = particle_velocity(40, scene.u * 0.3, 0, rng, 0.3)
    add_particles(scene, sand, xy, velocity, twinkle=0.5, twinkle_hz=1.5, depth="fg")


def fire(scene: Scene) -> None:
    c, rng = scene.colors, scene.rng
    scene.horizon = scene.h * 0.8
    sky(scene, c.dark * 0.5, mix(c.dark, c.mid, 0.7))
    star_field(scene, 150, c.light * 0.5, bottom=scene.h * 0.5)
    x, base = scene.w * rng.uniform(0.4, 0.6), scene.h * 0.86
    glow(scene.bg, x, base, scene.u * 0.45, c.accent, 0.45)
    _hills(scene, scene.h * 0.88, scene.h * 0.02, c.dark * 0.3, far=False)
    rows, cols, warm = gaussian(scene.canvas, x, base + scene.h * 0.05, scene.u * 0.3, scene.u * 0.08)
    scene.fg.add_light(rows, cols, warm * 0.5, c.accent)
    tones = [c.mid, c.accent, mix(c.accent, c.light, 0.6), mix(c.light, WHITE, 0.6)]
    for dx, height in zip(rng.uniform(-1, 1, 6) * scene.u * 0.06, rng.uniform(0.18, 0.32, 6), strict=True):
        flame(scene, scene.fg, x + dx, base, scene.h * height, tones)
    logs = ShapeMask(
        scene.canvas, x - scene.u * 0.2, base - scene.u * 0.04, x + scene.u * 0.2, base + scene.u * 0.05
    )
    logs.line(
        [(x - scene.u * 0.14, base + scene.u * 0.02), (x + scene.u * 0.12, base - scene.u * 0.01)],
        scene.u * 0.03,
    )
    logs.line(
        [(x - scene.u * 0.12, base - scene.u * 0.01), (x + scene.u * 0.14, base + scene.u * 0.02)],
        scene.u * 0.03,
    )
    logs.paint(scene.fg, c.dark * 0.5)
    xy = scatter(rng, 40, scene.frame_size, top=0.1, bottom=0.85)
    xy[:, 0] = x + (xy[:, 0] / scene.w - 0.5) * scene.u * 0.5
    embers = [[sprites.soft_dot(scene.u * r, mix(c.accent, c.light, 0.6))] for r in (0.0025, 0.004)]
    velocity = particle_velocity(40, scene.u * 0.01, -scene.u * 0.13, rng, 0.5)
    add_particles(
        scene, embers, xy, velocity, sway=scene.u * 0.02, sway_hz=0.7, twinkle=0.7, twinkle_hz=2.5, depth="fg"
    )


MOTIFS: dict[str, Callable[[Scene], None]] = {
    "waves": waves,
    "trees": trees,
    "stars": stars,
    "mountains": mountains,
    "city": city,
    "clouds": clouds,
    "bubbles": bubbles,
    "sun": sun_motif,
    "rain": rain,
    "snow": snow,
    "birds": birds,
    "flowers": flowers,
    "dunes": dunes_motif,
    "fire": fire,
    "ice": ice,
    "abstract": abstract,
}
