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
