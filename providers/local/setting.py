"""A scene's setting from its own words only: the place it shows (its motif), its time of
day and weather, and the palette that lights them. Nothing here looks at another sentence.
"""

from __future__ import annotations

import colorsys
import random
from typing import Any

from providers.local.keywords import keyword_index, ranked

# On a tie the earlier key wins, so the more specific motifs come first.
MOTIF_KEYWORDS = {
    "bubbles": "bubble underwater reef coral fish aquarium diver jellyfish",
    "waves": "ocean sea wave beach tide surf shore coast lake harbor",
    "trees": "forest tree woods jungle leaf leaves pine oak grove",
    "stars": "night star starry galaxy space cosmos universe moon planet nebula",
    "mountains": "mountain hill peak valley cliff summit alps canyon",
    "city": "city street neon town urban skyline building downtown traffic",
    "sun": "sun sunrise sunset summer dawn sunny sunshine sunlight",
    "rain": "rain rainy storm stormy thunder drizzle lightning puddle",
    "snow": "snow snowy winter ice icy frost blizzard frozen snowflake",
    "birds": "bird fly flying flight wing eagle seagull gull flock",
    "flowers": "flower garden spring blossom bloom rose petal meadow tulip",
    "dunes": "desert sand dune sahara camel oasis",
    "fire": "fire flame volcano lava ember campfire blaze burn burning",
    "ice": "glacier iceberg rink",
    "clouds": "cloud cloudy sky fog foggy mist misty haze",
}
MOTIF_PALETTES = {
    "waves": ("#0b3d5c", "#1f6f9f", "#5fb3d9", "#e8f4f8"),
    "trees": ("#1b3a2a", "#2f6b3f", "#7fb069", "#e6d9a8"),
    "stars": ("#070b1f", "#1b1f4a", "#4b3f8c", "#f4e9b8"),
    "mountains": ("#2e3b4e", "#5b6f88", "#a7b8c8", "#f1efe9"),
    "city": ("#14121f", "#3d2c8d", "#ff3c8e", "#27e0d8"),
    "clouds": ("#6f8fb5", "#a9c6e8", "#dbe9f7", "#fbfdff"),
    "bubbles": ("#023047", "#0a6c8c", "#48cae4", "#caf0f8"),
    "sun": ("#7a2e0e", "#e4572e", "#f3a712", "#ffe8a3"),
    "rain": ("#1e2a36", "#3e5566", "#7d93a5", "#c9d6df"),
    "snow": ("#35506b", "#8fb3d1", "#dbe8f3", "#f8fbff"),
    "birds": ("#2b4c7e", "#5f8dc4", "#f0c27b", "#fdf3e1"),
    "flowers": ("#6a1b4d", "#d1495b", "#f7a1c4", "#9bc53d"),
    "dunes": ("#5e3a1a", "#b5763a", "#e0b872", "#f6e3b4"),
    "fire": ("#2b0a06", "#8c1c13", "#e2541b", "#ffc233"),
    "ice": ("#2c4a66", "#7fa7c9", "#cfe3f1", "#f5fbff"),
    "abstract": ("#22223b", "#4a4e69", "#9a8c98", "#f2e9e4"),
}
# (saturation factor, contrast around mid-grey, lift towards white)
TEMPLATE_GRADES = {
    "cinematic": (1.05, 1.15, 0.0),
    "minimal": (0.4, 0.9, 0.05),
    "vibrant": (1.45, 1.05, 0.0),
    "noir": (0.06, 1.35, 0.0),
    "pastel": (0.55, 0.7, 0.45),
}
TONE_KEYWORDS = {
    "dark": "night dark midnight shadow gloomy moonlit dusk black",
    "bright": "sunny bright light morning day daylight shiny glowing noon",
}

# Motifs that are a place; when a sentence names one, its light and weather words do not
# replace it but are drawn over it.
PLACES = ("bubbles", "waves", "trees", "mountains", "city", "flowers", "dunes", "fire", "ice")
# Water that is frozen is ice: "a frozen lake" shows no waves.
FROZEN = frozenset("frozen ice icy iced".split())
TIME_KEYWORDS = {
    "dawn": "dawn sunrise daybreak morning",
    "sunset": "sunset dusk twilight evening sundown",
    "night": "night midnight moonlit nighttime starry",
    "day": "noon midday daytime sunny afternoon",
}
WEATHER_KEYWORDS = {
    "storm": "storm stormy thunder thunderstorm lightning hurricane tempest",
    "snow": "snow snowy snowing snowfall blizzard snowflake winter",
    "rain": "rain rainy raining drizzle downpour",
    "fog": "fog foggy mist misty haze hazy",
}
# The light each time of day pulls a palette towards, and how far.
TIME_TINTS = {"dawn": ("#ffb08a", 0.3), "sunset": ("#ff7a3d", 0.35)}
TIME_TONES = {"night": "dark", "day": "bright"}

_MOTIF_INDEX = keyword_index(MOTIF_KEYWORDS)
_TONE_INDEX = keyword_index(TONE_KEYWORDS)
_TIME_INDEX = keyword_index(TIME_KEYWORDS)
_WEATHER_INDEX = keyword_index(WEATHER_KEYWORDS)


def scene_setting(
    words: list[str], template: str, rng: random.Random, *, implied: list[str] | None = None
) -> dict[str, Any]:
    """The motif, palette and (when its words name them) time and weather of a scene whose
    sentence has `words`; `implied` are place words its subjects need, used when the words
    name no place. A sentence without any keeps the abstract motif."""
    motifs = ranked(words, _MOTIF_INDEX)
    places = [m for m in motifs if m in PLACES] or [
        m for m in ranked(implied or [], _MOTIF_INDEX) if m in PLACES
    ]
    motif = places[0] if places else motifs[0] if motifs else "abstract"
    if motif == "waves" and FROZEN & set(words):
        motif = "ice"
    times = ranked(words, _TIME_INDEX)
    weathers = ranked(words, _WEATHER_INDEX)
    tones = ranked(words, _TONE_INDEX)
    time = times[0] if times else None
    tone = TIME_TONES.get(time or "") or (tones[0] if tones else None)
    setting: dict[str, Any] = {"motif": motif, "palette": _palette(motif, template, tone, time, rng)}
    if time:
        setting["time"] = time
    if weathers:
        setting["weather"] = weathers[0]
    return setting


def _palette(motif: str, template: str, tone: str | None, time: str | None, rng: random.Random) -> list[str]:
    palette = _graded(motif, template, tone, rng)
    if time not in TIME_TINTS:
        return palette
    tint, amount = TIME_TINTS[time]
    target = [int(tint[i : i + 2], 16) for i in (1, 3, 5)]
    tinted = []
    for colour in palette:
        rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
        tinted.append(
            "#" + "".join(f"{round(c + (t - c) * amount):02x}" for c, t in zip(rgb, target, strict=True))
        )
    return tinted


def _graded(motif: str, template: str, tone: str | None, rng: random.Random) -> list[str]:
    saturation, contrast, lift = TEMPLATE_GRADES[template]
    hue_shift = rng.uniform(-0.02, 0.02)
    graded = []
    for colour in MOTIF_PALETTES[motif]:
        hue, light, sat = colorsys.rgb_to_hls(*(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)))
        if tone == "dark":
            light *= 0.7
        elif tone == "bright":
            light += (1 - light) * 0.3
        # Kept off pure black and white so that a graded palette still has distinct colours.
        light = min(max(0.5 + (light - 0.5) * contrast, 0.03), 0.97)
        light += (0.97 - light) * lift
        rgb = colorsys.hls_to_rgb((hue + hue_shift) % 1, light, min(sat * saturation, 1.0))
        graded.append("#" + "".join(f"{min(max(round(c * 255), 0), 255):02x}" for c in rgb))
    return graded
