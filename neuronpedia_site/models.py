"""Users and their secrets (API keys), in Neuronpedia's `User` / `UserSecret` tables."""

from __future__ import annotations

import base64
import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.db import models

from neuronpedia_format.users import BOT_USER_ID
from neuronpedia_site.ids import new_id

# Seeded users (Neuronpedia's prisma/seed.ts). The bot owns imported data.
INFERENCE_ACTIVATION_USER_ID = "cljgamm90000076zdchicy6zj"
PUBLIC_ACTIVATIONS_USER_IDS = ("cljj57d3c000076ei38vwnv35", BOT_USER_ID)
API_KEY_PREFIX = "sk-np-"


class User(AbstractUser):
    id = models.CharField(primary_key=True, max_length=40, default=new_id)
    username = models.CharField(
        max_length=39,
        unique=True,
        db_column="name",
        help_text="Lowercase letters, digits, '-' and '.'; 1 to 39 characters.",
    )
    bio = models.TextField(null=True, blank=True)
    bot = models.BooleanField(default=False)
    can_trigger_explanations = models.BooleanField(
        default=False, db_column="canTriggerExplanations"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")

    class Meta:
        db_table = "User"

    @property
    def admin(self) -> bool:
        return self.is_superuser or self.is_staff


class UserSecret(models.Model):
    """A user's secret of one type. The NEURONPEDIA type is the API key.

    Unlike Neuronpedia, which stores the key in plain text, `value` holds the SHA-256 of an
    API key; the key itself is shown once, when it is created or rotated. Keys carry 256 random
    bits, so a fast hash is enough (as for GitHub tokens), and lookups go straight to the hash.
    """

    class Type(models.TextChoices):
        NEURONPEDIA = "NEURONPEDIA"
        OPENAI = "OPENAI"
        GOOGLE = "GOOGLE"
        ANTHROPIC = "ANTHROPIC"
        OPENROUTER = "OPENROUTER"

    id = models.CharField(primary_key=True, max_length=40, default=new_id)
    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        to_field="username",
        db_column="username",
        related_name="secrets",
    )
    type = models.CharField(max_length=16, choices=Type.choices)
    value = models.TextField()
    # First characters of an API key, shown in the account page and admin ("sk-np-AbCd…").
    display_prefix = models.CharField(
        max_length=16, blank=True, default="", db_column="displayPrefix"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_column="createdAt")
    updated_at = models.DateTimeField(auto_now=True, db_column="updatedAt")

    class Meta:
        db_table = "UserSecret"
        constraints = [
            models.UniqueConstraint(fields=["user", "type"], name="usersecret_user_type")
        ]
        # Used by ApiKeyAuthentication: every API request looks its key up by hash.
        indexes = [models.Index(fields=["value", "type"], name="usersecret_value_type")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.type}"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def generate_api_key() -> str:
    """`sk-np-` + base64 of 32 random bytes, '+', '/' and '=' replaced by '0' (as Neuronpedia)."""
    raw = base64.b64encode(secrets.token_bytes(32)).decode()
    return API_KEY_PREFIX + raw.replace("+", "0").replace("/", "0").replace("=", "0")


def set_api_key(user: User) -> str:
    """Create or rotate `user`'s API key; returns the new key (the only time it is readable)."""
    key = generate_api_key()
    UserSecret.objects.update_or_create(
        user=user,
        type=UserSecret.Type.NEURONPEDIA,
        defaults={"value": hash_api_key(key), "display_prefix": key[:10]},
    )
    return key


def user_for_api_key(key: str) -> User | None:
    if not key.startswith(API_KEY_PREFIX):
        return None
    secret = (
        UserSecret.objects.select_related("user")
        .filter(type=UserSecret.Type.NEURONPEDIA, value=hash_api_key(key))
        .first()
    )
    if secret is None or not secret.user.is_active:
        return None
    return secret.user
