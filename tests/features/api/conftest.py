"""Fixtures for the API tests: one public model with a fully populated feature."""

from __future__ import annotations

import pytest

from features.models import (
    Comment,
    ExplanationModelType,
    ExplanationScore,
    ExplanationScoreModel,
    ExplanationScoreType,
    ExplanationType,
    List,
    ListsOnNeurons,
)
from neuronpedia_format.users import BOT_USER_ID
from tests.support.factories import (
    make_activation,
    make_explanation,
    make_feature,
    make_model,
    make_source,
)
from tests.support.gpt2 import Gpt2


@pytest.fixture
def gpt2(alice) -> Gpt2:
    """gpt2-small / 6-res-jb / 14057 with activations, explanations, a list and a comment."""
    model = make_model("gpt2-small")
    source = make_source(model, "6-res-jb")
    feature = make_feature(
        source,
        14057,
        max_act_approx=3.5,
        frac_nonzero=0.0012,
        pos_str=["dino", "saur"],
        pos_values=[1.25, 1.0],
        neg_str=["tax"],
        neg_values=[-0.5],
        correlated_features_indices=[1, 2],
        correlated_features_pearson=[0.5, 0.25],
        correlated_features_l1=[0.1, 0.2],
    )
    make_activation(
        feature, [0.0, 3.5, 1.0], ["The", " dinosaur", " roared"], creator_id=BOT_USER_ID
    )
    make_activation(
        feature,
        [0.5, 2.0],
        ["A", " fossil"],
        creator_id=BOT_USER_ID,
        bin_min=1.0,
        bin_max=2.0,
        bin_contains=0.25,
    )
    # Activations by anyone else (e.g. saved from alice's searches) stay off the feature page.
    make_activation(feature, [9.0], [" private"], creator=alice.user)
    ExplanationType.objects.update_or_create(
        name="oai_token-act-pair", defaults={"display_name": "OpenAI"}
    )
    ExplanationModelType.objects.create(name="gpt-4o-mini", display_name="GPT-4o mini")
    ExplanationScoreType.objects.update_or_create(
        name="recall_alt", defaults={"display_name": "Recall"}
    )
    ExplanationScoreModel.objects.create(name="gpt-4o-mini", display_name="GPT-4o mini")
    low = make_explanation(feature, "prehistoric animals", score_v1=0.9, score_v2=None)
    high = make_explanation(
        feature,
        "dinosaurs and fossils",
        score_v1=0.1,
        score_v2=0.8,
        type_name_id="oai_token-act-pair",
        explanation_model_name_id="gpt-4o-mini",
        triggered_by_user=alice.user,
    )
    ExplanationScore.objects.create(
        explanation=high,
        value=0.75,
        explanation_score_type_name_id="recall_alt",
        explanation_score_model_name_id="gpt-4o-mini",
        json_details="{}",
    )
    del low
    saved = List.objects.create(name="Dinos", description="big ones", user=alice.user)
    ListsOnNeurons.objects.create(
        list=saved, model_id=model.id, layer=source.source_id, index=feature.index, user=alice.user
    )
    Comment.objects.create(
        model_id=model.id,
        layer=source.source_id,
        index=feature.index,
        text="Nice one!",
        user=alice.user,
    )
    return Gpt2(model, source, feature)
