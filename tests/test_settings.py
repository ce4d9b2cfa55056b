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


def settings_value(extra_env: dict[str, str], expression: str) -> str:
    """`expression` evaluated in the real settings module, imported with `extra_env`."""
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env.update(extra_env)
    result = subprocess.run(
        [sys.executable, "-c", f"from videogen import settings; print({expression})"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


PRODUCTION = {"ENVIRONMENT": "production", "SECRET_KEY": "p" * 60, "ALLOWED_HOSTS": "videogen.example.com"}


def test_a_misspelt_environment_stops_start_up_instead_of_running_in_debug():
    result = run_check({"ENVIRONMENT": "prodution", "SECRET_KEY": "p" * 60})
    assert result.returncode != 0
    assert "ENVIRONMENT must be one of development, production, got 'prodution'" in result.stderr


def test_the_proxy_header_is_trusted_only_when_the_environment_says_a_proxy_sets_it():
    assert settings_value(PRODUCTION, "getattr(settings, 'SECURE_PROXY_SSL_HEADER', None)") == "None"
    trusted = settings_value(
        {**PRODUCTION, "SECURE_PROXY_SSL_HEADER": "true"}, "settings.SECURE_PROXY_SSL_HEADER"
    )
    assert trusted == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_hsts_covers_subdomains_and_asks_for_preloading_only_when_told():
    expression = (
        "settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_HSTS_PRELOAD"
    )
    assert settings_value(PRODUCTION, expression) == "31536000 False False"
    opted_in = {**PRODUCTION, "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true", "SECURE_HSTS_PRELOAD": "true"}
    assert settings_value(opted_in, expression) == "31536000 True True"


def test_no_origin_is_allowed_cross_origin_until_listed():
    assert settings_value({}, "settings.CORS_ALLOWED_ORIGINS") == "[]"
    listed = {"CORS_ALLOWED_ORIGINS": "https://app.example.com, https://studio.example.com"}
    assert settings_value(listed, "settings.CORS_ALLOWED_ORIGINS") == (
        "['https://app.example.com', 'https://studio.example.com']"
    )
