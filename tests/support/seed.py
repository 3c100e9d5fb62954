"""A small site for the page tests and the browser tests: one public model with a set of three
sources (one UNLISTED), a feature with a full dashboard, a release, and hidden models.

`seed_site()` commits nothing by itself; browser tests call it inside `live_server` tests, whose
database is transactional, so the rows are visible to the server thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from features.models import (
    Comment,
    ExplanationModelType,
    ExplanationScore,
    ExplanationScoreModel,
    ExplanationScoreType,
    ExplanationType,
    Feature,
    List,
    ListsOnNeurons,
    Model,
    SourceRelease,
    SourceSet,
    Visibility,
)
from neuronpedia_site.accounts import seed_users
from neuronpedia_site.models import User
from tests.support.factories import (
    make_activation,
    make_explanation,
    make_feature,
    make_model,
    make_source,
)

MODEL = "gpt2-small"
SOURCE = "6-res-jb"
FEATURE = "7"  # the feature with a full dashboard
FEATURES_IN_SOURCE = 55  # more than one page (50)
EXAMPLE_TOKENS = [
    "The",
    " big",
    " dinosaur",
    " ate",
    " leaves",
    " in",
    " the",
    " forest",
    "\n",
    "Then",
]
EXAMPLE_VALUES = [0.0, 0.5, 4.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]


@dataclass
class Site:
    model: Model
    feature: Feature
    owner: User
    list: List


def seed_site(owner: User) -> Site:
    seed_users()  # transactional tests flush the seeded bot users; activations need them
    model = make_model(MODEL, display_name="GPT-2 Small", owner="OpenAI")
    release = SourceRelease.objects.create(
        name="gpt2-res", description="Residual SAEs for GPT-2", creator_name="Joseph Bloom"
    )
    source = make_source(model, SOURCE)
    make_source(model, "8-res-jb")
    make_source(model, "4-res-jb", visibility=Visibility.UNLISTED)
    SourceSet.objects.filter(model=model, name="res-jb").update(
        release=release, default_range=2, description="Residual stream SAEs (Joseph Bloom)"
    )
    Feature.objects.bulk_create(
        Feature(
            model=model, layer=SOURCE, index=str(i), source_set_name="res-jb", max_act_approx=i / 10
        )
        for i in range(FEATURES_IN_SOURCE)
        if str(i) != FEATURE
    )
    feature = make_feature(
        source,
        int(FEATURE),
        max_act_approx=4.0,
        frac_nonzero=0.00123,
        pos_str=[" fossils", " Jurassic"],
        pos_values=[0.91, 0.85],
        neg_str=[" kitten"],
        neg_values=[-0.44],
        freq_hist_data_bar_heights=[30, 12, 5, 1],
        freq_hist_data_bar_values=[0.5, 1.5, 2.5, 3.5],
        logits_hist_data_bar_heights=[3, 10, 4],
        logits_hist_data_bar_values=[-0.4, 0.1, 0.8],
        topk_cos_sim_indices=[7, 12, 3],
        topk_cos_sim_values=[1.0, 0.62, 0.41],
    )
    make_activation(feature, EXAMPLE_VALUES, EXAMPLE_TOKENS)
    make_activation(feature, [0.0, 2.0, 0.0], ["A", " T-rex", " roared"])
    # A user's own inference result is not a public example: the page must not show it.
    make_activation(feature, [9.0], [" hidden-private-example"], creator=owner)
    ExplanationType.objects.get_or_create(name="oai_token-act-pair")  # a migration seeds it
    ExplanationModelType.objects.create(name="gpt-4o-mini")
    ExplanationScoreType.objects.get_or_create(name="recall_alt")
    ExplanationScoreModel.objects.create(name="gpt-4o-mini")
    best = make_explanation(
        feature,
        "dinosaurs and prehistoric animals",
        score_v1=0.8,
        type_name_id="oai_token-act-pair",
        explanation_model_name_id="gpt-4o-mini",
    )
    make_explanation(feature, "large animals", score_v1=0.2)
    make_explanation(Feature.objects.get(model=model, layer=SOURCE, index="12"), "fossil records")
    ExplanationScore.objects.create(
        explanation=best,
        value=0.734,
        explanation_score_type_name_id="recall_alt",
        explanation_score_model_name_id="gpt-4o-mini",
    )
    found = List.objects.create(name="Dino features", description="Prehistory", user=owner)
    ListsOnNeurons.objects.create(
        list=found,
        model=model,
        layer=SOURCE,
        index=FEATURE,
        description="the T-rex one",
        user=owner,
    )
    Comment.objects.create(
        model=model, layer=SOURCE, index=FEATURE, text="Fires on sauropods too.", user=owner
    )
    make_model("hidden-lm", Visibility.UNLISTED, display_name="Hidden LM")
    make_model("secret-lm", Visibility.PRIVATE, display_name="Secret LM", creator=owner)
    return Site(model=model, feature=feature, owner=owner, list=found)
