"""Settings for the test suite: the normal settings, pointed at a Redis database and a
media folder of their own so tests never touch development data.

The Redis URL is forced, not defaulted: a shell that exports the development REDIS_URL
(as `run.sh` and `scripts/setup.sh` do) must not lead the fixtures that flush the test
database to flush the development one. `TEST_REDIS_URL`, `TEST_MEDIA_ROOT` and
`TEST_DATABASE_NAME` point worker subprocesses at a test's own services, and let two
checkouts run their suites side by side on one machine."""

import os
from pathlib import Path

_base = Path(__file__).resolve().parent.parent
os.environ["REDIS_URL"] = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
os.environ["MEDIA_ROOT"] = os.environ.get("TEST_MEDIA_ROOT", str(_base / "test-output" / "media"))
# A developer's real API keys must never send the test suite to paid services.
for capability in ("PLANNER", "IMAGE", "VIDEO", "MUSIC", "SPEECH"):
    os.environ.setdefault(f"{capability}_PROVIDER", "local")
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 40)

from videogen.settings import *  # noqa: E402,F403
from videogen.settings import DATABASES  # noqa: E402

if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ["TEST_DATABASE_NAME"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
