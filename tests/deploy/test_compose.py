"""docker-compose.yml, the Dockerfile's context and run.sh, read as files (no Docker engine
here): what they publish, what they require, and the worker command they agree on."""

from __future__ import annotations

import re

import yaml

from tests.conftest import PROJECT_DIR

COMPOSE = yaml.safe_load((PROJECT_DIR / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_ENV = SERVICES["web"]["environment"]


def test_minio_is_published_on_loopback_only_and_its_console_not_at_all():
    assert SERVICES["minio"]["ports"] == ["127.0.0.1:9000:9000"]
    assert all(str(port).startswith("127.0.0.1:") for port in SERVICES["web"]["ports"])
    published = [port for service in SERVICES.values() for port in service.get("ports", [])]
    assert not any(":9001" in str(port) for port in published)


def test_every_credential_comes_from_the_env_file_with_no_default():
    text = (PROJECT_DIR / "docker-compose.yml").read_text()
    for name in ("MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "SECRET_KEY"):
        uses = re.findall(rf"\$\{{{name}(:[?-])", text)
        assert uses and set(uses) == {":?"}, f"{name} must be required (${{{name}:?...}}), found {uses}"
    assert "videogen-secret" not in text


def test_presigned_links_are_signed_for_an_address_browsers_reach():
    internal, public = APP_ENV["AWS_S3_ENDPOINT_URL"], APP_ENV["AWS_S3_PUBLIC_ENDPOINT_URL"]
    assert internal == "http://minio:9000"
    assert "minio" not in public and public.endswith("127.0.0.1:9000}")


def test_the_proxy_header_is_not_trusted_where_gunicorn_is_exposed_directly():
    assert "SECURE_PROXY_SSL_HEADER" not in APP_ENV


def test_secrets_stay_out_of_the_image():
    ignored = (PROJECT_DIR / ".dockerignore").read_text().split()
    assert ".env" in ignored
    # `media` is a package of the app (the ffmpeg layer), not a folder to leave out.
    assert "media" not in ignored


def test_run_sh_compose_and_readme_start_the_pipeline_with_a_bare_worker():
    """A queue name would leave the app's default queue unserved; webhooks have their own."""
    run_sh = (PROJECT_DIR / "run.sh").read_text()
    readme = (PROJECT_DIR / "README.md").read_text()
    pipeline_workers = [
        SERVICES["worker"]["command"],
        *re.findall(r"python manage\.py rqworker[^&\n]*", run_sh),
        *re.findall(r"Workers are plain `python manage\.py rqworker[^`]*`", readme),
    ]
    pipeline_workers = [command for command in pipeline_workers if "webhooks" not in command]
    assert len(pipeline_workers) == 3, pipeline_workers
    for command in pipeline_workers:
        assert all(word.startswith("-") for word in command.split("rqworker", 1)[1].strip("`").split()), (
            command
        )
    assert SERVICES["webhooks"]["command"] == "python manage.py rqworker --with-scheduler videogen-webhooks"
    assert 'rqworker --with-scheduler "${WEBHOOK_QUEUE:-videogen-webhooks}"' in run_sh


def test_run_sh_listens_on_loopback_unless_host_says_otherwise():
    script = (PROJECT_DIR / "run.sh").read_text()
    assert "HOST=${HOST:-127.0.0.1}" in script
    assert 'runserver "$HOST:$PORT"' in script
    assert "0.0.0.0" not in script


def test_pipeline_workers_run_under_nice_so_the_web_answers_first():
    run_sh = (PROJECT_DIR / "run.sh").read_text()
    assert SERVICES["worker"]["command"].startswith("nice -n 19 python manage.py rqworker")
    assert re.search(r"^nice -n 19 python manage\.py rqworker --with-scheduler &$", run_sh, re.M)
