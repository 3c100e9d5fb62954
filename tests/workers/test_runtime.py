"""RuntimeConfig, source naming, the pretrained-registry mapping and the SAE cache."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from neuronpedia_format.sources import source_set_of
from tests.support.tiny_models import make_served
from workers import inference, sources
from workers.errors import BadRequest, UnknownSource
from workers.runtime import RuntimeConfig, resolve_device


def test_config_round_trips_and_drops_unknown_keys() -> None:
    config = RuntimeConfig(model_id="gpt2-small", sae_sets=["res-jb"], token_limit=64)
    data = config.to_dict()
    assert RuntimeConfig.from_dict(data) == config
    assert RuntimeConfig.from_dict({**data, "from_the_future": 1}) == config


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("device", "tpu", "device must be one of auto, cuda, mps, cpu"),
        ("model_dtype", "int8", "model_dtype must be one of float32, float16, bfloat16"),
        ("sae_dtype", "fp8", "sae_dtype must be one of float32, float16, bfloat16"),
        ("token_limit", 0, "token_limit must be a positive integer"),
        ("max_loaded_saes", 0, "max_loaded_saes must be a positive integer"),
    ],
)
def test_config_rejects_bad_values_listing_allowed_ones(
    field: str, value: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        RuntimeConfig(model_id="m", **{field: value})


def test_auto_device_resolves_to_an_available_one() -> None:
    assert resolve_device("auto") in ("cuda", "mps", "cpu")
    assert resolve_device("cpu") == "cpu"


def test_hook_layers() -> None:
    assert sources.hook_layer("blocks.3.attn.hook_z") == 3
    assert sources.hook_layer("ln_final.hook_normalized") is None


def test_select_sources_filters_by_set_and_regexes() -> None:
    ids = ["10-res-jb", "2-res-jb", "2-att-kk", "3-res-jb__x"]
    assert sources.select_sources(ids, ["res-jb"], [], []) == [
        "2-res-jb",
        "3-res-jb__x",
        "10-res-jb",
    ]
    assert sources.select_sources(ids, [], [r"^(2|3)-"], [r"__x$"]) == ["2-att-kk", "2-res-jb"]


def test_neuronpedia_ids_map_to_pretrained_releases() -> None:
    assert sources.resolve_pretrained("gpt2-small", "6-res-jb") == (
        "gpt2-small-res-jb",
        "blocks.6.hook_resid_pre",
    )
    assert sources.resolve_pretrained("gpt2-small", "6-no-such-set") is None
    found = sources.pretrained_sources("gpt2-small", ["res-jb"])
    assert found["0-res-jb"] == ("gpt2-small-res-jb", "blocks.0.hook_resid_pre")
    assert all(source_set_of(s) == "res-jb" for s in found)


def test_served_sources_lists_local_saes(served: Any) -> None:
    listed = {s["source"]: s for s in served.served_sources()}
    assert listed["1-res-demo"] == {
        "source": "1-res-demo",
        "source_set": "res-demo",
        "hook_name": "blocks.1.hook_resid_pre",
        "d_sae": 256,
    }
    assert served.source_sets() == ["jr-demo", "res-demo"]
    assert served.sources_in_set("res-demo") == ["0-res-demo", "1-res-demo"]
    assert served.loaded_saes() == []  # listing reads cfg.json only


def test_sae_sets_and_exclusions_limit_what_is_served(
    model_dir: Path, sae_root: Path, shared_model: Any
) -> None:
    served = make_served(
        model_dir, sae_root, model=shared_model, sae_sets=["res-demo"], exclude_sae=["^0-"]
    )
    assert [s["source"] for s in served.served_sources()] == ["1-res-demo"]
    with pytest.raises(UnknownSource):
        served.get_sae("1-jr-demo")


def test_saes_load_lazily_and_evict_least_recently_used(
    model_dir: Path, sae_root: Path, shared_model: Any
) -> None:
    served = make_served(model_dir, sae_root, model=shared_model, max_loaded_saes=2)
    first = served.get_sae("0-res-demo")
    served.get_sae("1-res-demo")
    assert served.get_sae("0-res-demo") is first  # a hit, and now the most recent
    served.get_sae("1-jr-demo")
    assert served.loaded_saes() == ["0-res-demo", "1-jr-demo"]
    assert served.sae_loads == 3
    reloaded = served.get_sae("1-res-demo")  # evicted above: read from disk again
    assert served.sae_loads == 4
    assert served.loaded_saes() == ["1-jr-demo", "1-res-demo"]
    assert reloaded.cfg.metadata.hook_name == "blocks.1.hook_resid_pre"
    assert type(reloaded).__name__ == "TopKSAE"
    assert type(served.get_sae("1-jr-demo")).__name__ == "JumpReLUSAE"


def test_check_model_accepts_both_ids(model_dir: Path, sae_root: Path, shared_model: Any) -> None:
    served = make_served(model_dir, sae_root, model=shared_model, override_model_id="tiny-demo-np")
    served.check_model("tiny-demo")
    served.check_model("tiny-demo-np")
    with pytest.raises(BadRequest, match="Unsupported model"):
        served.check_model("gpt2-small")


def test_neuron_sources_read_the_mlp_hook(
    model_dir: Path, sae_root: Path, shared_model: Any
) -> None:
    served = make_served(model_dir, sae_root, model=shared_model, sae_sets=["neurons"])
    assert served.sources_in_set("neurons") == ["0", "1"]
    out = inference.activations_all(served, "The cat sat", "neurons", num_results=3)
    assert {a["source"] for a in out["activations"]} <= {"0", "1"}
    assert len(out["counts"]) == 2


def test_served_model_loads_from_model_dir(model_dir: Path, sae_root: Path) -> None:
    served = make_served(model_dir, sae_root)
    assert served.device == "cpu"
    assert served.model.cfg.n_layers == 2
    assert served.uses_bos
