import json
import os
import subprocess
import sys

from tests.conftest import PROJECT_DIR


def run_check(extra_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    env.update(extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_a_secret_key_refuses_to_start():
    result = run_check({"ENVIRONMENT": "production"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set when ENVIRONMENT=production" in result.stderr


def test_production_settings_pass_the_deploy_checklist():
    result = run_check(
        {
            "ENVIRONMENT": "production",
            "SECRET_KEY": "k" * 20 + "production-secret-value-for-tests-1234567",
            "ALLOWED_HOSTS": "videogen.example.com",
        },
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stderr


def test_a_bucket_without_credentials_fails_loudly_at_start_up():
    result = run_check({"S3_BUCKET": "videos", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
    assert result.returncode != 0
    assert "S3_BUCKET is set but AWS_ACCESS_KEY_ID" in result.stderr


def test_a_malformed_boolean_is_a_clear_error():
    result = run_check({"DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_a_replicate_model_that_is_not_owner_slash_name_refuses_to_start():
    result = run_check({"REPLICATE_VIDEO_MODEL": "kling-v2.1"})
    assert result.returncode != 0
    assert "REPLICATE_VIDEO_MODEL must be owner/name or owner/name:version, got 'kling-v2.1'" in result.stderr


def test_replicate_prices_are_overridden_entry_by_entry_from_json():
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.REPLICATE_PRICES['models']['kwaivgi/kling-v2.1'], "
        "settings.REPLICATE_PRICES['models']['minimax/video-01'], settings.REPLICATE_PRICES['hardware']['gpu-h200']]))"
    )
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "videogen.settings_test"
    env["REPLICATE_PRICES_JSON"] = (
        '{"models": {"kwaivgi/kling-v2.1": {"per": "second", "usd": "0.09"}}, "hardware": {"gpu-h200": "0.002"}}'
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"per": "second", "usd": "0.09"},
        {"per": "prediction", "usd": "0.50"},
        "0.002",
    ]


def test_replicate_prices_that_are_not_json_refuse_to_start():
    result = run_check({"REPLICATE_PRICES_JSON": "kling=0.09"})
    assert result.returncode != 0
    assert "REPLICATE_PRICES_JSON must be a JSON object" in result.stderr
