"""Real Chromium against pytest-django's live server, with a real RQ worker when a test
needs videos made: Debian's /usr/bin/chromium, headless, nothing downloaded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, DESKTOP, OUTPUT
from tests.conftest import PROJECT_DIR


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an asyncio loop running in this thread while it is open,
    # and Django refuses ORM calls from a thread with a running loop. The tests' own ORM
    # calls are plain synchronous code, so allow them, only for as long as the browser lives.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Browser, live_server) -> Iterator[Callable[[], Page]]:
    """Pages in fresh browser contexts (separate cookies: one per user) on the live server."""
    contexts = []

    def make() -> Page:
        context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[[], Page]) -> Page:
    return new_page()


@pytest.fixture
def rq_worker(worker_env: dict[str, str], queue) -> Iterator[subprocess.Popen[bytes]]:
    """A real `manage.py rqworker` (not burst: jobs arrive once the browser submits) on this
    test's database and queue, stopped at teardown."""
    OUTPUT.mkdir(exist_ok=True)
    env = {key: value for key, value in worker_env.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    with (OUTPUT / "browser-worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "rqworker"],
            cwd=PROJECT_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group, so a worker that will not stop takes its work horse with it.
            start_new_session=True,
        )
        try:
            yield worker
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)
