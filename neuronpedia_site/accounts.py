"""Creating users the way Neuronpedia does: a lowercase name and an API key from the start."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import transaction

from neuronpedia_format.users import BOT_USER_ID
from neuronpedia_site.models import (
    INFERENCE_ACTIVATION_USER_ID,
    User,
    UserSecret,
    set_api_key,
)

# The session key that carries a new API key to the one account page that shows it in full.
NEW_KEY_SESSION = "new_api_key"
USERNAME_RE = re.compile(r"^[a-z0-9.-]{1,39}$")
SEEDED_USERS = (
    (BOT_USER_ID, "bot", True),
    (INFERENCE_ACTIVATION_USER_ID, "inferenceactivation", False),
)


def validate_username(name: str) -> str:
    name = name.strip().lower()
    if not USERNAME_RE.match(name):
        raise ValidationError("Use 1 to 39 characters: letters, digits, '-' and '.'.")
    return name


@transaction.atomic
def create_user(
    name: str, password: str | None = None, email: str = "", admin: bool = False
) -> tuple[User, str]:
    """Create a user and their API key; returns the user and the key (shown once)."""
    user = User.objects.create_user(
        username=validate_username(name),
        email=email,
        password=password,
        is_staff=admin,
        is_superuser=admin,
    )
    return user, set_api_key(user)


def get_or_create_user(name: str, admin: bool = False) -> tuple[User, bool]:
    name = validate_username(name)
    user = User.objects.filter(username=name).first()
    if user is None:
        user, _ = create_user(name, admin=admin)
        return user, True
    if admin and not user.admin:
        user.is_staff = user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    return user, False


def seed_users() -> None:
    """The bot users of Neuronpedia's seed: owners of imported and inference-saved data."""
    for user_id, name, admin in SEEDED_USERS:
        user, created = User.objects.get_or_create(
            id=user_id,
            defaults={"username": name, "bot": True, "is_staff": admin, "is_superuser": admin},
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])


def has_api_key(user: User) -> bool:
    return UserSecret.objects.filter(user=user, type=UserSecret.Type.NEURONPEDIA).exists()
