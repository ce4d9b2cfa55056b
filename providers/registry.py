"""Which provider serves each capability: every provider is one registration line here.

A line names the capability, the provider's name (what `<CAPABILITY>_PROVIDER` chooses and
what its cost lines and remote work record), where its class lives, and the setting
(an API key) it cannot work without. Classes are imported only when chosen, so a vendor's
SDK never loads in a process that does not use it.

`<CAPABILITY>_PROVIDER` is a registered name or `auto`: the first registered provider whose
key is set, else `local`. `check_choices()` runs at start-up, so a choice that cannot work
(an unknown name, a key that is not set) stops the process there and not a generation later.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import import_module
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from providers.base import ImageProvider, MusicProvider, Planner, SpeechProvider, VideoProvider

logger = logging.getLogger(__name__)

# Capability -> the setting that chooses its provider.
CAPABILITIES = {
    "planner": "PLANNER_PROVIDER",
    "image": "IMAGE_PROVIDER",
    "video": "VIDEO_PROVIDER",
    "music": "MUSIC_PROVIDER",
    "speech": "SPEECH_PROVIDER",
}
AUTO = "auto"
LOCAL = "local"


@dataclass(frozen=True)
class Registration:
    capability: str
    name: str
    target: str | type  # "package.module:Class", imported when first chosen, or the class
    key: str = ""  # the setting that must be set for the provider to work ("" for none)

    def load(self) -> type:
        if isinstance(self.target, type):
            return self.target
        module, _, cls = self.target.partition(":")
        return cast(type, getattr(import_module(module), cls))


_registry: dict[str, dict[str, Registration]] = {capability: {} for capability in CAPABILITIES}
_built: dict[tuple[str, str], Any] = {}


def register(capability: str, name: str, target: str | type, *, key: str = "") -> None:
    """Offer `target` as `name` for `capability`; registering a name again replaces it."""
    if capability not in CAPABILITIES:
        raise ValueError(f"unknown capability {capability!r}; one of {', '.join(CAPABILITIES)}")
    _registry[capability][name] = Registration(capability, name, target, key)
    _built.pop((capability, name), None)


def unregister(capability: str, name: str) -> None:
    _registry[capability].pop(name, None)
    _built.pop((capability, name), None)


register("planner", "local", "providers.local.planner:LocalPlanner")
register("planner", "openai", "providers.openai:OpenAIPlanner", key="OPENAI_API_KEY")
register("image", "local", "providers.local.images:LocalImages")
register("image", "replicate", "providers.replicate:ReplicateImages", key="REPLICATE_API_TOKEN")
register("video", "local", "providers.local.video:LocalVideo")
register("video", "replicate", "providers.replicate:ReplicateVideo", key="REPLICATE_API_TOKEN")
register("music", "local", "providers.local.music:LocalMusic")
register("music", "replicate", "providers.replicate:ReplicateMusic", key="REPLICATE_API_TOKEN")
register("speech", "local", "providers.local.speech:LocalSpeech")
register("speech", "openai", "providers.openai:OpenAISpeech", key="OPENAI_API_KEY")


def _key_is_set(registration: Registration) -> bool:
    return not registration.key or bool(getattr(settings, registration.key, ""))


def chosen(capability: str) -> str:
    """The name of the provider settings choose for `capability`.

    Raises ImproperlyConfigured for a name nobody registered or a provider whose key is not set."""
    setting = CAPABILITIES[capability]
    choice = (getattr(settings, setting, "") or AUTO).strip().lower()
    offered = _registry[capability]
    if choice == AUTO:
        remote = (r.name for r in offered.values() if r.key and _key_is_set(r))
        return next(remote, LOCAL)
    registration = offered.get(choice)
    if registration is None:
        names = [*offered, AUTO]
        raise ImproperlyConfigured(
            f"{setting} must be {', '.join(names[:-1])} or {names[-1]}, got {choice!r}"
        )
    if not _key_is_set(registration):
        raise ImproperlyConfigured(f"{setting}={choice} needs {registration.key} to be set")
    return choice


def check_choices() -> None:
    """Resolve every capability's choice once, at start-up; raises ImproperlyConfigured."""
    for capability in CAPABILITIES:
        chosen(capability)


def load_chosen() -> None:
    """Import the chosen provider of every capability (a worker does it before it forks)."""
    for capability in CAPABILITIES:
        _registry[capability][chosen(capability)].load()


def _build(capability: str, name: str) -> Any:
    """One instance per provider and process: clients and their connection pools are reused."""
    provider = _built.get((capability, name))
    if provider is None:
        provider = _built[(capability, name)] = _registry[capability][name].load()()
    return provider


def provider(capability: str) -> Any:
    """The provider settings choose for `capability`, built on first use."""
    return _build(capability, chosen(capability))


def forget() -> None:
    """Drop the providers built so far, so the next use reads the settings again."""
    _built.clear()


def get_planner() -> Planner:
    return cast(Planner, provider("planner"))


def get_image_provider() -> ImageProvider:
    return cast(ImageProvider, provider("image"))


def get_video_provider() -> VideoProvider:
    return cast(VideoProvider, provider("video"))


def get_music_provider() -> MusicProvider:
    return cast(MusicProvider, provider("music"))


def get_speech_provider() -> SpeechProvider:
    return cast(SpeechProvider, provider("speech"))


def active_providers() -> dict[str, str]:
    """Capability -> provider name, for /health and the admin (never keys)."""
    return {capability: chosen(capability) for capability in CAPABILITIES}


def cancel_remote_work(provider_name: str, work_id: str) -> None:
    """Stop paid work a provider is still doing for a job that no longer exists.

    The work was recorded under its provider's name (a name is one vendor account, whatever
    the capability); the class registered under it cancels it with `cancel(work_id)`, a class
    method, so nothing is built (an adapter may read its model's schema when built)."""
    for offered in _registry.values():
        registration = offered.get(provider_name)
        cancel = getattr(registration.load(), "cancel", None) if registration else None
        if cancel is not None:
            cancel(work_id)
            return
    logger.warning("no registered provider %r can cancel remote work %s", provider_name, work_id)
