"""The bundled demo pack: reproducible training, loadable artifacts, a steerable topic feature."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from neuronpedia_format.demo_pack import DEMO_MODEL_ID as MODEL_ID
from workers.demo.corpus import (
    TOPIC_WORDS,
    TOPICS,
    generate_corpus,
    topic_word_rate,
    with_made_up_words,
    words,
)
from workers.demo.pack import checksum, load_manifest
from workers.demo.steering import NEUTRAL_PROMPTS, greedy, steered

PACK = Path(__file__).resolve().parents[2] / "demo_pack" / MODEL_ID
# A seed neither the training corpus (0) nor the build's held-out ranking set used.
TEST_SEED = 4242


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """These tensors are tiny; on a shared 2-core box two OpenMP threads spin against other
    processes and run up to 10x slower than one."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return load_manifest(PACK)


@pytest.fixture(scope="module")
def model(manifest: dict[str, Any]) -> Any:
    from workers.model_dir import load_model_dir

    return load_model_dir(PACK / manifest["model_dir"])


@pytest.fixture(scope="module")
def saes(manifest: dict[str, Any]) -> dict[str, Any]:
    from sae_lens import SAE

    return {s["id"]: SAE.load_from_disk(str(PACK / s["path"])) for s in manifest["sources"]}


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.safetensors"))}


def test_corpus_is_the_same_for_a_seed_and_differs_for_another() -> None:
    first = generate_corpus(7, 200)
    assert first == generate_corpus(7, 200)
    assert first != generate_corpus(8, 200)
    assert {d.topic for d in first} == set(TOPICS)
    assert any("<|im_start|>assistant\n" in d.text for d in first)


def test_everyday_verbs_occur_in_every_topic() -> None:
    # "made", "bought", "wrote" would otherwise each belong to one topic's own acts, and a
    # feature on the verb would be named after that topic.
    docs = generate_corpus(TEST_SEED, 2000, chat_fraction=0.0)
    for verb in ("made", "bought", "wrote"):
        topics = {d.topic for d in docs if verb in words(d.text)}
        assert topics == set(TOPICS), verb


def test_made_up_words_replace_plain_words_only() -> None:
    docs = generate_corpus(TEST_SEED, 400)
    swapped = with_made_up_words(docs, seed=1, rate=0.05)
    assert swapped == with_made_up_words(docs, seed=1, rate=0.05)
    assert [d.topic for d in swapped] == [d.topic for d in docs]
    chats = [(a, b) for a, b in zip(docs, swapped, strict=True) if "<|im_start|>" in a.text]
    assert chats and all(a == b for a, b in chats)
    plain = [(words(a.text), words(b.text)) for a, b in zip(docs, swapped, strict=True)]
    pairs = [(x, y) for a, b in plain for x, y in zip(a, b, strict=True)]
    changed = [(x, y) for x, y in pairs if x != y]
    assert all(len(x) >= 3 for x, _ in changed)
    corpus_words = {w for d in docs for w in words(d.text)}
    assert not {y for _, y in changed} & corpus_words
    assert 0.02 < len(changed) / sum(len(x) >= 3 for x, _ in pairs) < 0.08
    assert with_made_up_words(docs, seed=1, rate=0.0) == docs


def test_topic_words_belong_to_one_topic_only() -> None:
    names = sorted(TOPIC_WORDS)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not TOPIC_WORDS[a] & TOPIC_WORDS[b], (a, b)
    assert {"tyrannosaurus", "fossil", "jurassic"} <= TOPIC_WORDS["dinosaurs"]
    assert topic_word_rate("The tyrannosaurus had a cat.", "dinosaurs") == pytest.approx(0.2)


def test_quick_build_gives_the_same_weights_for_a_seed(tmp_path: Path) -> None:
    from workers.demo import build_demo_pack

    first = build_demo_pack(tmp_path / "a", seed=3, quick=True)
    second = build_demo_pack(tmp_path / "b", seed=3, quick=True)
    other = build_demo_pack(tmp_path / "c", seed=4, quick=True)

    files_a = _files(tmp_path / "a" / MODEL_ID)
    assert set(files_a) == {
        "model/model.safetensors",
        "saes/0-res-demo/sae_weights.safetensors",
        "saes/1-res-demo/sae_weights.safetensors",
        "transcoders/0-tc-demo/sae_weights.safetensors",
        "transcoders/1-tc-demo/sae_weights.safetensors",
    }
    assert files_a == _files(tmp_path / "b" / MODEL_ID)
    assert first["checksum"] == second["checksum"]
    assert first["topic_features"] == second["topic_features"]
    assert (
        files_a["model/model.safetensors"]
        != _files(tmp_path / "c" / MODEL_ID)["model/model.safetensors"]
    )
    assert other["checksum"] != first["checksum"]


def test_bundled_pack_is_small_and_complete(manifest: dict[str, Any]) -> None:
    size = sum(p.stat().st_size for p in PACK.rglob("*") if p.is_file())
    assert size < 25 * 1024 * 1024  # weights, manifest and the dashboards export
    assert manifest["model_id"] == "demo-lm"
    assert [s["id"] for s in manifest["sources"]] == ["0-res-demo", "1-res-demo"]
    for source in manifest["sources"]:
        assert {p.name for p in (PACK / source["path"]).iterdir()} == {
            "cfg.json",
            "sae_weights.safetensors",
        }
    assert set(manifest["topic_features"]) == set(TOPICS)
    assert [t["id"] for t in manifest["transcoders"]] == ["0-tc-demo", "1-tc-demo"]
    for layer, tc in enumerate(manifest["transcoders"]):
        cfg = json.loads((PACK / tc["path"] / "cfg.json").read_text())
        assert cfg["architecture"] == "transcoder"
        assert cfg["metadata"]["hook_name"] == tc["hook_name"] == f"blocks.{layer}.hook_resid_mid"
        assert cfg["metadata"]["hook_name_out"] == f"blocks.{layer}.hook_mlp_out"
        assert cfg["d_in"] == cfg["d_out"] == manifest["d_model"] and cfg["d_sae"] == 512
        assert tc["fvu"] < 0.5 and tc["dead"] < 50


def test_bundled_pack_loads_and_reproduces_its_checksum(
    manifest: dict[str, Any], model: Any, saes: dict[str, Any]
) -> None:
    recorded = manifest["checksum"]
    fresh = checksum(PACK, manifest["sources"])
    assert fresh["next_token_argmax"] == recorded["next_token_argmax"]
    assert fresh["logit_sum"] == pytest.approx(recorded["logit_sum"], rel=1e-4)
    assert fresh["logit_abs_sum"] == pytest.approx(recorded["logit_abs_sum"], rel=1e-4)
    for sid, value in recorded["sae_act_sums"].items():
        assert fresh["sae_act_sums"][sid] == pytest.approx(value, rel=1e-3)

    assert model.cfg.d_model == manifest["d_model"]
    for source in manifest["sources"]:
        meta = saes[source["id"]].cfg.metadata
        assert meta.hook_name == source["hook_name"]
        assert meta.model_name == "demo-lm"
        assert meta.neuronpedia_id == f"demo-lm/{source['id']}"
        assert meta.prepend_bos is True


def test_bundled_tokenizer_has_a_chatml_template(model: Any) -> None:
    tok = model.tokenizer
    assert tok.convert_ids_to_tokens([0, 1, 2]) == ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    prompt = tok.apply_chat_template(
        [{"role": "user", "content": "Tell me about dinosaurs."}],
        tokenize=False,
        add_generation_prompt=True,
    )
    assert prompt == "<|im_start|>user\nTell me about dinosaurs.<|im_end|>\n<|im_start|>assistant\n"
    answer = greedy(model, [prompt], max_new_tokens=20)[0]
    assert topic_word_rate(answer, "dinosaurs") > 0.2


@torch.no_grad()
def test_bundled_dinosaur_feature_fires_on_dinosaur_text_far_more(
    manifest: dict[str, Any], model: Any, saes: dict[str, Any]
) -> None:
    docs = generate_corpus(TEST_SEED, 160, chat_fraction=0.0)
    features = manifest["topic_features"]["dinosaurs"]["features"]
    for sid, index in features.items():
        sae = saes[sid]
        hook = sae.cfg.metadata.hook_name
        on: list[float] = []
        off: list[float] = []
        for doc in docs:
            _, cache = model.run_with_cache(doc.text, names_filter=[hook])
            peak = float(sae.encode(cache[hook][0, 1:])[:, index].max())
            (on if doc.topic == "dinosaurs" else off).append(peak)
        on_mean, off_mean = sum(on) / len(on), sum(off) / len(off)
        # (a k 1 feature may never fire on the other topics: compare, do not divide)
        assert on_mean >= 5 * off_mean and on_mean > 0, (sid, on_mean, off_mean)
        assert sum(peak > 0 for peak in on) >= 0.8 * len(on), (sid, on)


def test_steering_with_the_dinosaur_feature_pulls_generations_to_dinosaurs(
    manifest: dict[str, Any], model: Any, saes: dict[str, Any]
) -> None:
    dino = manifest["topic_features"]["dinosaurs"]
    sae = saes[dino["recommended_source"]]
    prompts = [*NEUTRAL_PROMPTS, "She told me about the", "Everyone loves"]

    plain = greedy(model, prompts)
    with steered(model, sae, dino["index"], dino["recommended_strength"]):
        pushed = greedy(model, prompts)

    plain_rate = sum(topic_word_rate(t, "dinosaurs") for t in plain) / len(prompts)
    pushed_rate = sum(topic_word_rate(t, "dinosaurs") for t in pushed) / len(prompts)
    assert plain_rate < 0.15, plain
    assert pushed_rate > plain_rate + 0.25, pushed
    # Most prompts, not one, should turn to dinosaurs.
    assert sum(topic_word_rate(t, "dinosaurs") > 0.1 for t in pushed) >= len(prompts) - 1, pushed
    # Outside the block, generation is back to normal.
    assert greedy(model, prompts[:2]) == plain[:2]
