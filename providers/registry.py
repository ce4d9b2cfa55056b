"""Which provider serves each capability.

Settings name one per capability (PLANNER_PROVIDER, IMAGE_PROVIDER, VIDEO_PROVIDER,
MUSIC_PROVIDER, SPEECH_PROVIDER), already resolved from `local|openai|replicate|auto` at start-up. Remote
adapters are imported only when chosen, so their vendor SDKs never load otherwise. Each
getter builds its provider once per process.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from providers.base import ImageProvider, MusicProvider, Planner, SpeechProvider, VideoProvider


def _choice(setting: str, remote: str) -> str:
    choice = getattr(settings, setting)
    if choice not in ("local", remote):
        raise ImproperlyConfigured(f"{setting} must be local or {remote}, got {choice!r}")
    return choice


@lru_cache(maxsize=1)
def get_planner() -> Planner:
    if _choice("PLANNER_PROVIDER", "openai") == "openai":
        from providers.openai import OpenAIPlanner

        return OpenAIPlanner()
    from providers.local.planner import LocalPlanner

    return LocalPlanner()


@lru_cache(maxsize=1)
def get_image_provider() -> ImageProvider:
    if _choice("IMAGE_PROVIDER", "replicate") == "replicate":
        from providers.replicate import ReplicateImages

        return ReplicateImages()
    from providers.local.images import LocalImages

    return LocalImages()


@lru_cache(maxsize=1)
def get_video_provider() -> VideoProvider:
    if _choice("VIDEO_PROVIDER", "replicate") == "replicate":
        from providers.replicate import ReplicateVideo

        return ReplicateVideo()
    from providers.local.video import LocalVideo

    return LocalVideo()


@lru_cache(maxsize=1)
def get_music_provider() -> MusicProvider:
    if _choice("MUSIC_PROVIDER", "replicate") == "replicate":
        from providers.replicate import ReplicateMusic

        return ReplicateMusic()
    from providers.local.music import LocalMusic

    return LocalMusic()


@lru_cache(maxsize=1)
def get_speech_provider() -> SpeechProvider:
    if _choice("SPEECH_PROVIDER", "openai") == "openai":
        from providers.openai import OpenAISpeech

        return OpenAISpeech()
    from providers.local.speech import LocalSpeech

    return LocalSpeech()


def active_providers() -> dict[str, str]:
    """Capability -> provider name, for /health and the admin (never keys)."""
    return {
        "planner": get_planner().name,
        "image": get_image_provider().name,
        "video": get_video_provider().name,
        "music": get_music_provider().name,
        "speech": get_speech_provider().name,
    }


def cancel_remote_work(provider: str, work_id: str) -> None:
    """Stop paid work a provider is still doing for a job that no longer exists."""
    if provider == "replicate":
        from providers.replicate import Predictions

        Predictions().cancel(work_id, "work of a canceled generation")
