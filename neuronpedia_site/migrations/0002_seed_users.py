from __future__ import annotations

from django.db import migrations


def seed(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    from neuronpedia_site.accounts import SEEDED_USERS

    User = apps.get_model("neuronpedia_site", "User")
    for user_id, name, admin in SEEDED_USERS:
        User.objects.get_or_create(
            id=user_id,
            defaults={"username": name, "bot": True, "is_staff": admin, "is_superuser": admin,
                      "password": "!"},  # unusable password: bots never log in
        )


class Migration(migrations.Migration):
    dependencies = [("neuronpedia_site", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
