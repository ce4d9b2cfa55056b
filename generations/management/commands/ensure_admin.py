"""Create an `admin` superuser when there is no superuser yet, and say how to log in."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create the first admin user if none exists and print its credentials."

    def handle(self, *args: object, **options: object) -> None:
        users = get_user_model().objects
        password_file = settings.BASE_DIR / ".run" / "admin-password"
        if users.filter(is_superuser=True).exists():
            hint = f" (password in {password_file})" if password_file.exists() else ""
            self.stdout.write(f"admin user exists{hint}")
            return
        password = secrets.token_urlsafe(12)
        users.create_superuser("admin", "admin@localhost", password)
        password_file.parent.mkdir(exist_ok=True)
        password_file.write_text(password + "\n")
        password_file.chmod(0o600)
        self.stdout.write(self.style.SUCCESS(f"created admin user: log in as admin / {password}"))
