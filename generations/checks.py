"""Start-up checks (run by every management command, the RQ workers' included): a remote
provider that is chosen but cannot work stops the process before any generation reaches it."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from providers import registry
from toolbox.exceptions import ProviderError


@checks.register("providers")
def chosen_providers_can_work(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Builds every chosen provider once: a Replicate model is bound to its published schema
    here (kept in the cache after the first time), so a model that needs an input we cannot
    give fails now, naming it. A service that does not answer is only a warning: it may be
    back by the time a generation needs it."""
    try:
        for capability in registry.CAPABILITIES:
            registry.provider(capability)
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="providers.E001")]
    except ProviderError as exc:
        return [
            checks.Warning(
                f"a chosen provider could not be checked: {exc}",
                hint="generations fail until the provider answers",
                id="providers.W001",
            )
        ]
    return []
