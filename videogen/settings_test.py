"""Settings for the test suite: the normal settings, pointed at a Redis database, a queue
and a media folder of their own so tests never touch development data."""

import os
from pathlib import Path

_base = Path(__file__).resolve().parent.parent
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ.setdefault("RQ_QUEUE", "videogen-test")
os.environ.setdefault("MEDIA_ROOT", str(_base / "test-output" / "media"))
# A developer's real API keys must never send the test suite to paid services.
for capability in ("PLANNER", "IMAGE", "VIDEO", "MUSIC", "SPEECH"):
    os.environ.setdefault(f"{capability}_PROVIDER", "local")
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 40)

from videogen.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
