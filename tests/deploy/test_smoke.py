"""The production smoke test: the app as the image and docker-compose.yml run it, on this
machine. gunicorn with the Dockerfile's command and ENVIRONMENT=production, a PostgreSQL
database of its own, Redis, S3 (moto's server standing in for MinIO, reached by the app as
`localhost` and by the browser as `127.0.0.1`), and two workers started with compose's
command, each in an empty folder of its own with no media folder shared, as on two machines.
A person in real Chromium logs in, makes a short video, plays it from S3, seeks (a range
answered 206) and downloads it; another person gets 404 for the page, the API record and
the file link."""

from __future__ import annotations

import re
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis
from django.conf import settings
from playwright.sync_api import Browser, expect, sync_playwright
from rq import Worker

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, OUTPUT, log_in, play_and_seek, record_responses
from tests.conftest import PROJECT_DIR
from tests.deploy import dockerfile
from tests.deploy.conftest import production_env
from tests.deploy.stack import (
    answers_http,
    compose_command,
    free_port,
    postgres_database,
    run,
    running,
    wait_for,
)
from tests.providers.fake_s3 import S3_ACCESS_KEY, S3_REGION, S3_SECRET_KEY, running_s3

pytestmark = [pytest.mark.slow, pytest.mark.browser]

BUCKET = "videogen-smoke"
USERS = {"owner": "owner-password-1", "stranger": "stranger-password-1"}
CREATE_USERS = "from django.contrib.auth import get_user_model\n" + "".join(
    f"get_user_model().objects.create_user({name!r}, password={password!r})\n"
    for name, password in USERS.items()
)
DETAIL_PATH = re.compile(r".*/generations/([0-9a-f]{32})/$")
FINISH_WITHIN_SECONDS = 600


@pytest.fixture
def smoke_database() -> str:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the production smoke test runs on PostgreSQL")
    test_name = settings.DATABASES["default"].get("TEST", {}).get("NAME") or "test_videogen"
    with postgres_database(f"{test_name}_smoke") as url:
        yield url


@pytest.fixture
def logs() -> Path:
    folder = OUTPUT / "smoke"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_production_stack_makes_serves_and_protects_a_video(
    smoke_database, production_static, queue, logs, tmp_path
):
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    with running_s3(BUCKET) as s3:
        env = production_env(
            DATABASE_URL=smoke_database,
            ALLOWED_HOSTS="127.0.0.1",
            # No TLS proxy in front here: production settings otherwise, plain http.
            SECURE_SSL_REDIRECT="false",
            STATIC_ROOT=str(production_static),
            S3_BUCKET=BUCKET,
            AWS_ACCESS_KEY_ID=S3_ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=S3_SECRET_KEY,
            AWS_REGION=S3_REGION,
            AWS_S3_ENDPOINT_URL=s3.internal_endpoint,
            AWS_S3_PUBLIC_ENDPOINT_URL=s3.endpoint,
            **dockerfile.environment(),
        )
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        run(compose_command("migrate"), env=env)
        run([*compose_command("migrate")[:2], "shell", "-c", CREATE_USERS], env=env)

        web_env = {**env, "HOST": "127.0.0.1", "PORT": str(port), "GUNICORN_WORKERS": "2"}
        web_env["MEDIA_ROOT"] = str(tmp_path / "web" / "media")
        machines = [tmp_path / "machine-1", tmp_path / "machine-2"]
        with ExitStack() as processes:
            web = processes.enter_context(
                running(dockerfile.command(), env=web_env, cwd=PROJECT_DIR, log=logs / "gunicorn.log")
            )
            for number, folder in enumerate(machines, start=1):
                folder.mkdir()
                processes.enter_context(
                    running(
                        compose_command("worker"),
                        env={**env, "WORK_ROOT": str(folder), "MEDIA_ROOT": str(folder / "media")},
                        cwd=folder,
                        log=logs / f"worker-{number}.log",
                    )
                )
            wait_for(lambda: web.poll() is None and answers_http(f"{site}/health"), 60, "gunicorn to answer")
            connection = redis.Redis.from_url(settings.REDIS_URL)
            wait_for(lambda: len(Worker.all(connection=connection)) == 2, 60, "both workers to register")

            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                video_id = _owner_makes_watches_and_downloads(
                    browser, site, s3.endpoint, s3.internal_endpoint
                )
                _stranger_gets_404(browser, site, video_id)
                browser.close()

            assert f"final/{video_id}/video.mp4" in s3.keys(f"final/{video_id}/")
            # Everything went through S3: neither machine kept a file, nor did the web process.
            for folder in [*machines, tmp_path / "web"]:
                assert [path for path in folder.rglob("*") if path.is_file()] == [], folder


def _owner_makes_watches_and_downloads(browser: Browser, site: str, public_s3: str, internal_s3: str) -> str:
    context = browser.new_context(base_url=site, accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    log_in(page, "owner", USERS["owner"])
    page.get_by_label("Describe your video").fill("A lighthouse on a cliff at dusk, waves crashing below")
    page.get_by_label("Length").select_option("5")
    page.get_by_role("button", name="Make my video").click()
    expect(page).to_have_url(DETAIL_PATH)
    video_id = DETAIL_PATH.match(page.url)[1]
    expect(page.locator('#live[data-status="complete"]')).to_have_count(
        1, timeout=FINISH_WITHIN_SECONDS * 1000
    )

    responses = record_responses(page)
    page.reload()
    duration, landed = play_and_seek(page)
    assert abs(duration - 5.0) <= 0.1
    assert landed == pytest.approx(4.0, abs=0.5)
    from_s3 = [(url, status, range_) for url, status, range_ in responses if url.startswith(public_s3 + "/")]
    videos = [(status, range_) for url, status, range_ in from_s3 if f"/final/{video_id}/video.mp4" in url]
    assert videos and all(status == 206 and range_ for status, range_ in videos), videos
    assert not any(url.startswith(internal_s3) for url, _, _ in responses)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download MP4").click()
    content = Path(download.value.path()).read_bytes()
    assert content[4:8] == b"ftyp" and len(content) > 10_000
    assert download.value.suggested_filename.endswith(f"-{video_id[:8]}.mp4")

    record = context.request.get(f"/api/generations/{video_id}/")
    assert record.status == 200
    link = record.json()["final_video_url"]
    assert link == f"{site}/media/final/{video_id}/video.mp4"
    redirect = context.request.get(link, max_redirects=0)
    assert redirect.status == 302 and redirect.headers["location"].startswith(public_s3 + "/")
    context.close()
    return video_id


def _stranger_gets_404(browser: Browser, site: str, video_id: str) -> None:
    context = browser.new_context(base_url=site)
    page = context.new_page()
    log_in(page, "stranger", USERS["stranger"])
    assert page.goto(f"/generations/{video_id}/").status == 404
    assert context.request.get(f"/api/generations/{video_id}/").status == 404
    assert context.request.get(f"/media/final/{video_id}/video.mp4", max_redirects=0).status == 404
    signed_out = browser.new_context(base_url=site)
    assert signed_out.request.get(f"/media/final/{video_id}/video.mp4", max_redirects=0).status == 404
    signed_out.close()
    context.close()
