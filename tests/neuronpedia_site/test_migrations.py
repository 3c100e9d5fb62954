from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection


def _columns(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s", [table]
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db(transaction=True)
def test_migrations_apply_from_zero_and_back() -> None:
    for app in ("steering", "features", "neuronpedia_site"):
        call_command("migrate", app, "zero", verbosity=0)
    assert "Neuron" not in connection.introspection.table_names()
    call_command("migrate", verbosity=0)
    tables = set(connection.introspection.table_names())
    assert {
        "Neuron",
        "Activation",
        "Explanation",
        "Model",
        "Source",
        "SourceSet",
        "SourceRelease",
        "SteerOutput",
        "SavedSearch",
        "UserSecret",
        "User",
    } <= tables
    from neuronpedia_format.users import BOT_USER_ID
    from neuronpedia_site.models import User

    assert User.objects.get(id=BOT_USER_ID).username == "bot"


@pytest.mark.django_db
def test_there_are_no_missing_migrations() -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db
def test_tables_carry_neuronpedia_column_names() -> None:
    assert {
        "modelId",
        "layer",
        "index",
        "maxActApprox",
        "frac_nonzero",
        "pos_str",
        "neg_values",
        "topkCosSimIndices",
        "freq_hist_data_bar_heights",
        "hasVector",
        "vectorDefaultSteerStrength",
        "hookName",
        "sourceSetName",
    } <= _columns("Neuron")
    assert {
        "id",
        "tokens",
        "values",
        "maxValue",
        "maxValueTokenIndex",
        "minValue",
        "binMin",
        "binMax",
        "binContains",
        "dfaValues",
        "zQIndices",
        "zKIndices",
        "creatorId",
        "dataSource",
        "qualifyingTokenIndex",
    } <= _columns("Activation")
    assert {
        "id",
        "embedding",
        "description",
        "typeName",
        "explanationModelName",
        "scoreV1",
        "scoreV2",
        "authorId",
        "umap_x",
    } <= _columns("Explanation")
    assert {"id", "modelId", "setName", "saelensConfig", "num_prompts"} <= _columns("Source")


@pytest.mark.django_db
def test_explanation_embedding_is_a_pgvector_column() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = '\"Explanation\"'::regclass AND attname = 'embedding'"
        )
        assert cursor.fetchone()[0] == "vector(256)"
