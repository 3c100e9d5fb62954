"""Small builders for rows the tests need (no fixtures files, explicit values)."""

from __future__ import annotations

from typing import Any

from features.models import Activation, Explanation, Feature, Model, Source, SourceSet, Visibility


def make_model(
    model_id: str = "gpt2-small", visibility: str = Visibility.PUBLIC, **kw: Any
) -> Model:
    defaults = {"display_name": model_id.upper(), "layers": 12, "dimension": 768}
    return Model.objects.create(id=model_id, visibility=visibility, **{**defaults, **kw})


def make_source(
    model: Model, source_id: str = "6-res-jb", visibility: str = Visibility.PUBLIC, **kw: Any
) -> Source:
    set_name = source_id.split("-", 1)[1].split("__")[0]
    SourceSet.objects.get_or_create(
        model=model, name=set_name, defaults={"visibility": visibility, "description": "test set"}
    )
    return Source.objects.create(
        model=model, source_id=source_id, set_name=set_name, visibility=visibility, **kw
    )


def make_feature(source: Source, index: int = 0, **kw: Any) -> Feature:
    return Feature.objects.create(
        model_id=source.model_id,
        layer=source.source_id,
        index=str(index),
        source_set_name=source.set_name,
        **kw,
    )


def make_activation(
    feature: Feature, values: list[float], tokens: list[str] | None = None, **kw: Any
) -> Activation:
    tokens = tokens or [f"t{i}" for i in range(len(values))]
    top = max(range(len(values)), key=values.__getitem__)
    return Activation.objects.create(
        model_id=feature.model_id,
        layer=feature.layer,
        index=feature.index,
        tokens=tokens,
        values=values,
        max_value=values[top],
        max_value_token_index=top,
        min_value=min(values),
        **kw,
    )


def make_explanation(feature: Feature, description: str, **kw: Any) -> Explanation:
    return Explanation.objects.create(
        model_id=feature.model_id,
        layer=feature.layer,
        index=feature.index,
        description=description,
        **kw,
    )


def make_explained_feature() -> Explanation:
    """gpt2-small/6-res-jb/1 with a bot's activation and the explanation "dinosaurs": a row
    for every operation that reads a feature (the fuzzing tests send them its ids)."""
    from neuronpedia_format.users import BOT_USER_ID

    feature = make_feature(make_source(make_model("gpt2-small"), "6-res-jb"), 1)
    make_activation(feature, [0.5, 1.0], creator_id=BOT_USER_ID)
    return make_explanation(feature, "dinosaurs")
