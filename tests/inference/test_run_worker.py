"""run_worker's model options: from flags to NP_WORKER_* to a RuntimeConfig, and early errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.support.inference import TinyPack
from workers import serving


def test_options_round_trip_through_the_environment(tmp_path: Path) -> None:
    env = serving.options_to_env(
        "gpt2-small",
        {
            "override_model_id": "gpt2-np",
            "model_dir": str(tmp_path),
            "sae_dirs": [str(tmp_path)],
            "sae_sets": ["res-jb", "att-kk"],
            "include_sae": ["^[0-5]-", "x,y"],
            "exclude_sae": [],
            "device": "cpu",
            "model_dtype": "bfloat16",
            "sae_dtype": "float16",
            "token_limit": 64,
            "max_loaded_saes": 3,
            "batch_size": 4,
            "batch_wait_ms": 1.5,
        },
    )
    config = serving.config_from_env(env)
    assert config is not None
    assert config.model_id == "gpt2-small" and config.neuronpedia_model_id == "gpt2-np"
    assert config.sae_dirs == str(tmp_path)
    assert config.sae_sets == ["res-jb", "att-kk"]
    assert config.include_sae == ["^[0-5]-", "x,y"]  # regexes may hold commas
    assert config.exclude_sae == []
    assert (config.model_dtype, config.sae_dtype) == ("bfloat16", "float16")
    assert (config.token_limit, config.max_loaded_saes) == (64, 3)
    assert serving.batch_options(env) == (4, 0.0015)


def test_hand_written_variables_work_too(tmp_path: Path) -> None:
    one, two = tmp_path / "a", tmp_path / "b"
    (one / "0-res-x").mkdir(parents=True)
    (one / "0-res-x" / "cfg.json").write_text("{}")
    (one / "0-res-x" / "sae_weights.safetensors").write_text("")
    env = {
        "NP_WORKER_MODEL": "m",
        "NP_WORKER_SAE_SETS": "res-x, res-y",
        "NP_WORKER_SAE_DIR": f'["{one}", "9-res-y={two}"]',
        "NP_WORKER_TOKEN_LIMIT": "100",
    }
    config = serving.config_from_env(env)
    assert config is not None
    assert config.sae_sets == ["res-x", "res-y"]
    assert config.sae_dirs == {"0-res-x": str(one / "0-res-x"), "9-res-y": str(two)}
    with pytest.raises(ValueError, match="NP_WORKER_TOKEN_LIMIT"):
        serving.config_from_env({**env, "NP_WORKER_TOKEN_LIMIT": "lots"})
    with pytest.raises(ValueError, match="device"):
        serving.config_from_env({**env, "NP_WORKER_DEVICE": "tpu"})


def test_demo_lm_defaults_to_the_demo_pack(tmp_path: Path) -> None:
    config = serving.config_from_env({"NP_WORKER_MODEL": "demo-lm"}, demo_pack_dir=tmp_path)
    assert config is not None
    assert config.model_dir == str(tmp_path / "demo-lm" / "model")
    assert config.sae_dirs == str(tmp_path / "demo-lm" / "saes")
    assert serving.config_from_env({}) is None


def test_bad_options_fail_the_command_before_celery_starts(
    tmp_path: Path, tiny_pack: TinyPack
) -> None:
    with pytest.raises(CommandError, match="is not a directory"):
        call_command("run_worker", "--model", "m", "--model-dir", str(tmp_path / "missing"))
    with pytest.raises(CommandError, match="is not a directory"):
        call_command(
            "run_worker",
            "--model",
            "m",
            "--model-dir",
            str(tiny_pack.model_dir),
            "--sae-dir",
            str(tmp_path / "missing"),
        )
    with pytest.raises(CommandError, match="model_dtype"):
        call_command("run_worker", "--model", "m", "--model-dtype", "int4")
    with pytest.raises(CommandError, match="prefork"):
        call_command("run_worker", "--model", "m", "--pool", "prefork")
    with pytest.raises(CommandError, match="batch"):
        call_command("run_worker", "--model", "m", "--batch-size", "0")


def test_describe_lists_nothing_before_the_model_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(serving.MODEL_ENV, "not-loaded-here")
    assert serving.describe() == {"model_id": "not-loaded-here", "model_ids": [], "sources": []}
