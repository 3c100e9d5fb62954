from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from neuronpedia_site.accounts import get_or_create_user
from neuronpedia_site.models import set_api_key


class Command(BaseCommand):
    help = (
        "Create (or rotate) USERNAME's API key, creating the user if needed; prints the key last."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--admin", action="store_true", help="Make the user an admin.")

    def handle(self, *args: Any, **options: Any) -> str:
        user, created = get_or_create_user(options["username"], admin=options["admin"])
        key = set_api_key(user)
        if created:
            # A script user has no password; the site's pages need one to sign in.
            self.stdout.write(
                f"Created user {user.username} (no password: run `manage.py changepassword "
                f"{user.username}` to sign in on the site)"
            )
        return key
