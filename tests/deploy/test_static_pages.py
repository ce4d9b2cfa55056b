"""Every page under production settings, with static files built the way the image builds
them: WhiteNoise's manifest storage fails a page whose static file was not collected."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from django.urls import reverse

from generations import services
from generations.models import Status
from tests.conftest import PROJECT_DIR, _database_url
from tests.deploy.conftest import production_env
from tests.generations.pages.test_pages import SPEC, make_complete, make_generation

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# Run with production settings: GET each path as the given user (over https, as production
# redirects plain http), print {path: status}; a page that raises fails the script.
RENDER = """
import json, re, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client

username, paths = sys.argv[1], json.loads(sys.argv[2])
anonymous, signed_in = Client(), Client()
signed_in.force_login(get_user_model().objects.get(username=username))
statuses, bodies = {}, {}
for path in paths:
    client = anonymous if path.startswith("/accounts/login/") else signed_in
    response = client.get(path, secure=True, headers={"Accept": "text/html"})
    statuses[path] = response.status_code
    bodies[path] = response.content.decode() if not response.streaming else ""
stylesheets = sorted(set(re.findall(r'href="(/static/[^"]+\\.css)"', "".join(bodies.values()))))
for path in stylesheets:
    statuses[path] = anonymous.get(path, secure=True).status_code
print(json.dumps(statuses))
"""


def test_every_page_answers_200_with_production_settings_and_collected_static_files(
    production_static, staff, queue, tmp_path
):
    running = make_generation(staff, "generating_chunks", spec=SPEC, template="cinematic")
    complete = make_complete(staff)
    review = make_generation(staff, "generating_animatic", spec=SPEC, template="cinematic")
    services.generation_transition(video_id=review.id, to=Status.AWAITING_REVIEW)
    pages = {
        "home": "/",
        "login": reverse("login"),
        "progress": reverse("generation-detail", args=[running.id]),
        "result": reverse("generation-detail", args=[complete.id]),
        "history": reverse("generation-history"),
        "review": reverse("generation-detail", args=[review.id]),
        "docs": "/docs",
        "admin list": reverse("admin:generations_videogeneration_changelist"),
        "admin change": reverse("admin:generations_videogeneration_change", args=[complete.id]),
    }
    env = production_env(
        DJANGO_SETTINGS_MODULE="videogen.settings",
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=_database_url(),
        STATIC_ROOT=str(production_static),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    result = subprocess.run(
        [sys.executable, "-c", RENDER, staff.username, json.dumps(list(pages.values()))],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    statuses = json.loads(result.stdout.strip().splitlines()[-1])
    assert {name: statuses[path] for name, path in pages.items()} == {name: 200 for name in pages}
    stylesheets = {path: status for path, status in statuses.items() if path.startswith("/static/")}
    # Hashed names from the manifest (admin/css/base.<hash>.css), each served by WhiteNoise.
    assert any(re.search(r"/base\.[0-9a-f]{12}\.css$", path) for path in stylesheets), stylesheets
    assert set(stylesheets.values()) == {200}
