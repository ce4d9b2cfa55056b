"""A scene's subjects (spec `elements`) drawn from the picture library and set moving.

Each element is rasterised once per scene, at its size, into a few poses (tilts for a
gait, rotations for a spin, scales for growing, glows for shining); an `Actor` says where
it is and which pose shows at time t. Actors are particle groups of one member, so the
still renderer (`composite_rgb`) and the video's sprite pasting draw them unchanged.

Where a subject stands, how big it is and which way it goes depend only on its name and
picture, so a subject that recurs keeps its drawing, size and side from scene to scene.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from providers.local.elements import Scene
from providers.local.icons import Icon, library
from providers.local.particles import Particles

# Sizes in fractions of the frame's short side, by what the picture is.
SIZES = {"sky": 0.16, "building": 0.34, "tree": 0.3, "small": 0.14, "ground": 0.24}
GROUND = 0.8  # where standing subjects put their feet, as a fraction of the frame height
SKY = 0.24
SEA = 0.72
TILT_DEGREES = 5
SPIN_POSES = 12
GROW_POSES = 8
GLOW_POSES = 4

_SKY_WORDS = {"sun", "moon", "star", "cloud", "rainbow", "comet", "planet", "satellite", "rocket", "ufo"}
_BUILDINGS = {
    "house",
    "castle",
    "church",
    "mosque",
    "temple",
    "tower",
    "hut",
    "school",
    "hospital",
    "stadium",
}
_SMALL = {"Food & Drink", "Objects", "Activities"}


def _unit_hash(*parts: str) -> float:
    digest = hashlib.sha256("\0".join(parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32


def _kind(icon: Icon, motion: str) -> str:
    words = set(icon.name.split("-")) | set(icon.keywords)
    if words & _SKY_WORDS or motion == "fly":
        return "sky"
    if words & _BUILDINGS or "building" in words:
        return "building"
    if "tree" in words:
        return "tree"
    if icon.category in _SMALL:
        return "small"
    return "ground"


@dataclass
class Actor(Particles):
    """One subject: a pose list in `patches[0]` and a path from `motion`."""

    motion: str = "idle"
    seconds: float = 5.0
    anchor: tuple[float, float] = (0.0, 0.0)  # world x of its centre, y of its feet at t = 0
    heading: float = 1.0  # +1 travels right, -1 left
    size: float = 100.0

    def state(self, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        w, h = self.frame_size
        p = min(max(t / max(self.seconds, 1e-3), 0.0), 1.0)
        x, y = self.anchor
        pose = 0
        poses = len(self.patches[0])
        m, s, wave = self.motion, self.size, math.sin
        if m == "walk":
            x += self.heading * w * 0.3 * (p - 0.3)
            y -= abs(wave(2 * math.pi * 1.6 * t)) * s * 0.12
            pose = int(t * 3.2) % poses
        elif m == "drive":
            x += self.heading * w * 0.45 * (p - 0.3)
            y -= abs(wave(2 * math.pi * 5 * t)) * s * 0.02
        elif m == "fly":
            x += self.heading * w * 0.4 * (p - 0.4)
            y -= wave(math.pi * p) * h * 0.12
            pose = int(t * 4) % poses
        elif m in ("drift", "swim"):
            x += self.heading * w * 0.12 * (p - 0.5)
            y += wave(2 * math.pi * (0.5 if m == "drift" else 1.1) * t) * s * 0.06
            pose = int(t * 2) % poses
        elif m == "rise":
            y -= h * 0.3 * p * p * (3 - 2 * p)
        elif m == "fall":
            y -= h * 0.35 * (1 - p * p)
        elif m == "jump":
            y -= abs(wave(math.pi * 1.3 * t)) * s * 0.5
        elif m == "spin":
            pose = int(t * 0.6 * poses) % poses
        elif m == "grow":
            pose = min(int(p / 0.6 * (poses - 1)), poses - 1)
        elif m == "shine":
            pose = int(t * 1.6) % poses
        else:
            y += wave(2 * math.pi * 0.4 * t) * s * 0.02
        patch = self.patches[0][pose]
        ph, pw = patch.shape[:2]
        # Poses are centred on the picture, whatever their size; a growing one keeps its feet.
        top = y - ph if m == "grow" else y - (ph + self.size) / 2
        top_left = np.array([[x - pw / 2, top]], dtype=np.float32)
        return top_left, np.ones(1, dtype=np.float32), np.array([pose])


def _image(rgba: np.ndarray) -> Image.Image:
    return Image.fromarray((np.clip(rgba, 0, 1) * 255 + 0.5).astype(np.uint8), "RGBA")


def _array(image: Image.Image) -> np.ndarray:
    return np.asarray(image, dtype=np.float32) / 255


def _outlined(image: Image.Image) -> Image.Image:
    """The picture on a soft dark halo of its own shape, so it reads on any background:
    a sand-coloured camel on dunes, a dark pine at night."""
    pad = max(2, image.width // 14)
    halo = Image.new("L", (image.width + 2 * pad, image.height + 2 * pad))
    halo.paste(image.getchannel("A"), (pad, pad))
    halo = halo.filter(ImageFilter.MaxFilter(3)).filter(ImageFilter.GaussianBlur(pad / 2))
    outlined = Image.new("RGBA", halo.size, (16, 16, 24, 0))
    outlined.putalpha(halo.point(lambda a: min(255, a * 2) * 0.55))
    outlined.alpha_composite(image, (pad, pad))
    return outlined


def _poses(picture: np.ndarray, motion: str, flip: bool) -> list[np.ndarray]:
    image = _image(picture)
    if motion != "shine":
        image = _outlined(image)
    if flip:
        image = image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    if motion in ("walk", "fly", "drift", "swim"):
        tilt = TILT_DEGREES if motion == "walk" else TILT_DEGREES / 2
        angles = (0, tilt, 0, -tilt)
        return [_array(image.rotate(a, Image.Resampling.BICUBIC, expand=True)) for a in angles]
    if motion == "spin":
        return [
            _array(image.rotate(360 * k / SPIN_POSES, Image.Resampling.BICUBIC, expand=True))
            for k in range(SPIN_POSES)
        ]
    if motion == "grow":
        return [
            _array(image.resize((max(2, round(image.width * f)), max(2, round(image.height * f)))))
            for f in np.linspace(0.35, 1.0, GROW_POSES)
        ]
    if motion == "shine":
        return [_glow(image, strength) for strength in np.linspace(0.35, 0.8, GLOW_POSES)]
    return [_array(image)]


def _glow(image: Image.Image, strength: float) -> np.ndarray:
    """The picture over a warm halo of its own shape."""
    pad = image.width // 4
    halo = Image.new("L", (image.width + 2 * pad, image.height + 2 * pad))
    halo.paste(image.getchannel("A"), (pad, pad))
    halo = halo.filter(ImageFilter.GaussianBlur(pad / 2)).point(lambda a: round(a * strength))
    glowing = Image.new("RGBA", halo.size, (255, 236, 170, 0))
    glowing.putalpha(halo)
    glowing.alpha_composite(image, (pad, pad))
    return _array(glowing)


def _homes(scene: Scene, placed: list[tuple[dict[str, Any], Icon, str]]) -> list[float]:
    """Each subject's x: a side and a place on it from its name, moved along its own side
    (never to the other) to keep clear of the subjects placed before it."""
    xs: list[float] = []
    for element, _, _ in placed:
        x = 0.15 + 0.7 * _unit_hash("x", element["name"])
        side = 0.15 if x < 0.5 else 0.55
        for _ in range(8):
            if all(abs(x - other) >= 0.14 for other in xs):
                break
            x = side + (x - side + 0.11) % 0.3
        xs.append(x)
    return [x * scene.w for x in xs]


def place_actors(scene: Scene, elements: list[dict[str, Any]], seconds: float) -> list[Actor]:
    """Draw the scene's elements as actors; ones whose picture is unknown are left out."""
    lib = library()
    placed = [(e, lib.icons[e["icon"]], e["motion"]) for e in elements if e["icon"] in lib]
    actors = []
    for (element, icon, motion), x in zip(placed, _homes(scene, placed), strict=True):
        kind = _kind(icon, motion)
        size = scene.u * SIZES[kind] * (0.9 + 0.2 * _unit_hash("size", element["name"]))
        if kind == "sky":
            feet = scene.h * SKY + size / 2
        elif motion == "swim":
            feet = scene.h * SEA + size / 2
        else:
            feet = scene.h * GROUND
        heading = -1.0 if x > scene.w / 2 else 1.0
        picture = lib.rasterise(icon.id, max(8, round(size)))
        # Emoji face left; one travelling right is mirrored to face where it goes.
        poses = _poses(
            picture, motion, flip=heading > 0 and motion in ("walk", "drive", "fly", "drift", "swim")
        )
        actor = Actor(
            patches=[poses],
            xy=np.zeros((1, 2), dtype=np.float32),
            velocity=np.zeros((1, 2), dtype=np.float32),
            kind=np.zeros(1, dtype=int),
            phase=np.zeros(1, dtype=np.float32),
            depth="fg",
            frame_size=scene.frame_size,
            motion=motion,
            seconds=seconds,
            anchor=(x, feet),
            heading=heading,
            size=size,
        )
        actors.append(actor)
    scene.particles.extend(actors)
    return actors
