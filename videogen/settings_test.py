"""Settings for the test suite: the normal settings, pointed at a Redis database and a
media folder of their own so tests never touch development data.

The Redis URL is forced, not defaulted: a shell that exports the development REDIS_URL
(as `run.sh` and `scripts/setup.sh` do) must not lead the fixtures that flush the test
database to flush the development one. `TEST_REDIS_URL`, `TEST_MEDIA_ROOT` and
`TEST_DATABASE_NAME` point worker subprocesses at a test's own services, and let two
checkouts run their suites side by side on one machine."""

import os
from pathlib import Path
from urllib.parse import urlsplit

_base = Path(__file__).resolve().parent.parent
_redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
_media_root = os.environ.get("TEST_MEDIA_ROOT", str(_base / "test-output" / "media"))

# pytest-xdist's workers run tests side by side, and the tests flush their Redis database and
# fill their media folder: worker N takes the Redis database N above the suite's and a media
# folder of its own (pytest-django already gives it a test database of its own). Written back
# into the environment, with the worker's name taken out, so that the processes a test starts
# (RQ workers, a child pytest) use these and do not shift them again.
_xdist_worker = os.environ.pop("PYTEST_XDIST_WORKER", "")
if _xdist_worker:
    _url = urlsplit(_redis_url)
    _db = int(_url.path.lstrip("/") or 0) + int(_xdist_worker.removeprefix("gw"))
    if _db > 15:
        raise RuntimeError(
            f"pytest-xdist worker {_xdist_worker} would need Redis database {_db} (TEST_REDIS_URL "
            f"is {_redis_url}): run fewer workers or start from a lower database"
        )
    _redis_url = _url._replace(path=f"/{_db}").geturl()
    _media_root = f"{_media_root.rstrip('/')}-{_xdist_worker}"
    os.environ["TEST_REDIS_URL"] = _redis_url
    os.environ["TEST_MEDIA_ROOT"] = _media_root

os.environ["REDIS_URL"] = _redis_url
os.environ["MEDIA_ROOT"] = _media_root
# A developer's real API keys must never send the test suite to paid services.
for capability in ("PLANNER", "IMAGE", "VIDEO", "MUSIC", "SPEECH"):
    os.environ.setdefault(f"{capability}_PROVIDER", "local")
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 40)

from videogen.settings import *  # noqa: E402,F403
from videogen.settings import DATABASES  # noqa: E402

if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ["TEST_DATABASE_NAME"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
