"""The bundled pack as a real deployment sees it: served from its directories, and its committed
dashboards export (checked against the weights it claims to come from)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from neuronpedia_format import export as fmt
from tests.support.demo_exports import PACK, d_sae
from workers.dashboards import file_digest
from workers.demo.corpus import topic_word_rate

EXPORT = PACK / "export"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return json.loads((PACK / "manifest.json").read_text())


def test_the_pack_loads_through_the_runtime_like_a_real_model(
    demo_served: Any, manifest: dict[str, Any]
) -> None:
    from workers import inference

    assert [s["source"] for s in demo_served.served_sources()] == ["0-res-demo", "1-res-demo"]
    for source in manifest["sources"]:
        assert demo_served.hook_name(source["id"]) == source["hook_name"]
        assert demo_served.d_sae(source["id"]) == source["d_sae"]
    assert demo_served.uses_bos and demo_served.model.cfg.d_model == manifest["d_model"]
    dino = manifest["topic_features"]["dinosaurs"]
    on = inference.activation_single(
        demo_served,
        "Paleontologists dug up a triceratops skeleton. The tyrannosaurus roamed.",
        dino["recommended_source"],
        dino["index"],
    )
    off = inference.activation_single(
        demo_served,
        "The chef cooked a pizza in the kitchen. Add a pinch of salt.",
        dino["recommended_source"],
        dino["index"],
    )
    assert on["activation"]["max_value"] > 5 * max(off["activation"]["max_value"], 0.5)


@pytest.mark.parametrize("source", ["0-res-demo", "1-res-demo"])
def test_the_committed_export_is_complete_and_from_these_weights(
    source: str, manifest: dict[str, Any]
) -> None:
    export = fmt.read_source_export(EXPORT, "demo-lm", source)
    assert len(export.features) == d_sae(source)
    assert export.model["visibility"] == "PUBLIC" and export.model["inferenceEnabled"]
    assert export.source["visibility"] == "PUBLIC" and export.source["inferenceEnabled"]
    assert export.release is not None and export.sourceset["releaseName"] == export.release["name"]
    done = json.loads((EXPORT / ".dashboards" / "demo-lm" / source / "done.json").read_text())
    assert done["inputs"] == {
        "sae": file_digest(PACK / "saes" / source / "sae_weights.safetensors"),
        "model": file_digest(PACK / "model" / "model.safetensors"),
    }, "rebuild the dashboards: python manage.py build_demo_model --dashboards-only"
    assert done["result"]["activations"] == len(export.activations)


def test_the_committed_topic_features_read_like_their_topics(manifest: dict[str, Any]) -> None:
    for topic in ("dinosaurs", "animals", "space"):
        feature = manifest["topic_features"][topic]
        export = fmt.read_source_export(EXPORT, "demo-lm", feature["recommended_source"])
        tops = [a for a in export.activations_of(feature["index"]) if a["binMin"] == -1]
        assert len(tops) == 20
        on_topic = sum(topic_word_rate("".join(a["tokens"]), topic) > 0.05 for a in tops)
        assert on_topic >= 18, topic
        description = export.explanations_of(feature["index"])[0]["description"]
        assert description.startswith(f"{topic}: "), description
