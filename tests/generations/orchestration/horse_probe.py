"""A job that reports what its work horse had loaded before the job began; it imports
nothing itself, so what it sees came from the worker that forked the horse."""

from __future__ import annotations

import gc
import sys


def loaded() -> dict[str, bool]:
    return {
        "job functions": "generations.orchestration.jobs" in sys.modules,
        "video provider": "providers.local.video" in sys.modules,
        "icon library": "providers.local.icons" in sys.modules
        and sys.modules["providers.local.icons"].library.cache_info().currsize == 1,
        "frozen": gc.get_freeze_count() > 0,
        # About 20 MB in every process; only a deployment on S3 needs it.
        "S3 backend": "storages.backends.s3" in sys.modules,
    }
