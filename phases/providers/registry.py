"""Which provider serves each capability. Local (offline) providers are the default."""

from __future__ import annotations

from functools import lru_cache

from phases.providers.base import ImageProvider, MusicProvider, Planner, VideoProvider


@lru_cache(maxsize=1)
def get_planner() -> Planner:
    from phases.providers.local.planner import LocalPlanner

    return LocalPlanner()


@lru_cache(maxsize=1)
def get_image_provider() -> ImageProvider:
    from phases.providers.local.images import LocalImages

    return LocalImages()


@lru_cache(maxsize=1)
def get_video_provider() -> VideoProvider:
    from phases.providers.local.video import LocalVideo

    return LocalVideo()


@lru_cache(maxsize=1)
def get_music_provider() -> MusicProvider:
    from phases.providers.local.music import LocalMusic

    return LocalMusic()


def active_providers() -> dict[str, str]:
    """Capability -> provider name, for /health and the admin (never keys)."""
    return {
        "planner": get_planner().name,
        "image": get_image_provider().name,
        "video": get_video_provider().name,
        "music": get_music_provider().name,
    }
