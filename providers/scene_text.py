"""A scene of the spec as words for image and video models: its description, then the
subjects the planner found in it and its time of day and weather, so a remote model is
asked for the same things the offline renderer draws."""

from __future__ import annotations

from typing import Any

TIME_PHRASES = {"dawn": "at dawn", "day": "in daylight", "sunset": "at sunset", "night": "at night"}
WEATHER_PHRASES = {
    "snow": "with snow falling and lying on the ground",
    "rain": "in the rain",
    "storm": "in a storm with dark clouds, rain and lightning",
    "fog": "in fog",
}


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def scene_text(scene: dict[str, Any]) -> str:
    """E.g. "A fox runs through a forest, showing fox and birch, at dawn, in fog"."""
    text = scene["description"].rstrip(" .")
    names = [element["name"] for element in scene.get("elements", [])]
    details = [f"showing {_listed(names)}"] if names else []
    details += [TIME_PHRASES[scene["time"]]] if scene.get("time") in TIME_PHRASES else []
    details += [WEATHER_PHRASES[scene["weather"]]] if scene.get("weather") in WEATHER_PHRASES else []
    return f"{text}, {', '.join(details)}" if details else text
