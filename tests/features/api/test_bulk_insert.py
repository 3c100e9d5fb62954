"""features.sql.bulk_insert: rows sent as one JSON document come back exactly as the ORM saves them."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from features.models import Activation
from features.sql.bulk_insert import insert_rows
from neuronpedia_format.users import BOT_USER_ID
from tests.support.factories import make_feature, make_model, make_source

pytestmark = pytest.mark.django_db

TOKENS = [' "quoted"', "back\\slash", "tab\t", "newline\n", "{brace}", "é✓", "NULL", ""]
VALUES = [0.1, 1 / 3, 1e-300, -2.5, 0.0, 12345.678901234567, 5e-324, 7.0]


def test_values_defaults_and_timestamps_match_the_orm() -> None:
    source = make_source(make_model())
    make_feature(source, 0)
    make_feature(source, 1)
    common = {"model": source.model, "layer": source.source_id, "tokens": TOKENS, "values": VALUES}
    ours = Activation(index="0", max_value=12.5, max_value_token_index=5, **common)
    theirs = Activation(index="1", max_value=12.5, max_value_token_index=5, **common)
    insert_rows([ours])
    theirs.save()
    got = Activation.objects.get(pk=ours.pk)
    want = Activation.objects.get(pk=theirs.pk)
    assert got.tokens == TOKENS and got.values == VALUES  # floats exact, strings intact
    assert got.created_at is not None and got.created_at == ours.created_at
    for field in Activation._meta.concrete_fields:
        if field.name not in ("id", "index", "created_at"):
            assert getattr(got, field.attname) == getattr(want, field.attname), field.name
    assert got.creator_id == BOT_USER_ID and got.dfa_values == [] and got.bin_min is None


def test_a_row_without_its_feature_fails_the_whole_statement() -> None:
    source = make_source(make_model())
    make_feature(source, 0)
    rows = [
        Activation(model=source.model, layer=source.source_id, index=index, values=[1.0])
        for index in ("0", "99")
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(rows)
    assert not Activation.objects.exists()
