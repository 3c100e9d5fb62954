from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from features.models import Activation, Explanation, Feature, Source
from tests.support.factories import (
    make_activation,
    make_explanation,
    make_feature,
    make_model,
    make_source,
)

pytestmark = pytest.mark.django_db


def test_feature_key_is_unique() -> None:
    source = make_source(make_model())
    make_feature(source, 5)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_feature(source, 5)


def test_feature_needs_its_source() -> None:
    model = make_model()
    with pytest.raises(IntegrityError), transaction.atomic():
        Feature.objects.create(model=model, layer="9-missing", index="1")


def test_activation_needs_its_feature() -> None:
    source = make_source(make_model())
    with pytest.raises(IntegrityError), transaction.atomic():
        Activation.objects.create(
            model_id="gpt2-small", layer=source.source_id, index="77", tokens=["a"], values=[1.0]
        )


def test_deleting_a_source_cascades_to_features_activations_and_explanations() -> None:
    source = make_source(make_model())
    feature = make_feature(source, 3)
    make_activation(feature, [0.0, 2.5, 1.0])
    make_explanation(feature, "dogs")
    Source.objects.filter(pk=source.pk).delete()
    assert Feature.objects.count() == 0
    assert Activation.objects.count() == 0
    assert Explanation.objects.count() == 0


def test_source_id_is_unique_per_model_only() -> None:
    make_source(make_model("gpt2-small"), "6-res-jb")
    make_source(make_model("other"), "6-res-jb")
    with pytest.raises(IntegrityError), transaction.atomic():
        Source.objects.create(model_id="other", source_id="6-res-jb", set_name="res-jb")


def test_activation_has_only_the_indexes_queries_use() -> None:
    # Every index costs the importer's COPY time; Django's FK and LIKE indexes are left out.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'Activation' ORDER BY indexname"
        )
        definitions = [row[0].split(" USING ")[1] for row in cursor.fetchall()]
    assert definitions == [
        "btree (id)",
        'btree ("creatorId")',
        'btree ("modelId", layer, index, "maxValue" DESC)',
    ]
