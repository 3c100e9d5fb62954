"""The dashboards job: its export passes the strict reader and matches a direct computation."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import torch

from neuronpedia_format import export as fmt
from tests.support.demo_exports import (
    PACK,
    SMALL_CORPUS_DOCS,
    SMALL_CORPUS_SEED,
    SOURCE,
    d_sae,
    small_config,
    topic_feature,
)
from workers.dashboards import generate_dashboards
from workers.demo.corpus import generate_corpus
from workers.max_act_explainer import EXPLANATION_MODEL, EXPLANATION_TYPE

DINO, ANIMALS, CODE = (topic_feature(t) for t in ("dinosaurs", "animals", "code"))


@pytest.fixture(scope="module")
def export(small_export: tuple[Any, Any]) -> fmt.SourceExport:
    config, _ = small_export
    return fmt.read_source_export(config.out, "demo-lm", SOURCE)


@pytest.fixture(scope="module")
def direct() -> dict[str, Any]:
    """Per feature, computed without the job: the model run on each document alone."""
    from sae_lens import SAE

    from workers.model_dir import load_model_dir

    model = load_model_dir(PACK / "model")
    sae = SAE.load_from_disk(str(PACK / "saes" / SOURCE), device="cpu")
    hook = sae.cfg.metadata.hook_name
    docs = generate_corpus(SMALL_CORPUS_SEED, SMALL_CORPUS_DOCS)
    best = torch.zeros(sae.cfg.d_sae)
    best_token: list[str] = [""] * sae.cfg.d_sae
    fired = torch.zeros(sae.cfg.d_sae)
    n_tokens = 0
    with torch.no_grad():
        for doc in docs:
            tokens = model.to_tokens(doc.text, prepend_bos=True)
            _, cache = model.run_with_cache(tokens, names_filter=[hook])
            acts = sae.encode(cache[hook])[0, 1:]  # BOS left out, as dashboards do
            strs = model.to_str_tokens(tokens[0, 1:])
            n_tokens += acts.shape[0]
            fired += (acts > 0).sum(0)
            peak, where = acts.max(0)
            for f in (peak > best).nonzero().squeeze(1).tolist():
                best[f] = peak[f]
                best_token[f] = strs[int(where[f])]
        logits = sae.W_dec @ model.W_U
    return {
        "max": best,
        "max_token": best_token,
        "density": fired / n_tokens,
        "top_logit": [model.to_str_tokens(torch.tensor([int(i)]))[0] for i in logits.argmax(-1)],
        "n_tokens": n_tokens,
    }


def test_export_has_every_file_and_row(small_export: tuple[Any, Any], export: Any) -> None:
    config, result = small_export
    base = fmt.source_dir(config.out, "demo-lm", SOURCE)
    assert sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()) == [
        "activations/batch-0.jsonl.gz",
        "explanations/batch-0.jsonl.gz",
        "features/batch-0.jsonl.gz",
        "model.jsonl",
        "source.jsonl",
        "sourceset.jsonl",
    ]
    assert [f["index"] for f in export.features] == [str(i) for i in range(d_sae(SOURCE))]
    assert result.features == d_sae(SOURCE) and result.rows == SMALL_CORPUS_DOCS
    assert len(export.activations) == result.activations
    assert len(export.explanations) == result.explanations == result.alive_features
    assert export.model["dimension"] == 128 and export.model["layers"] == 2
    assert export.source["saelensConfig"]["metadata"]["hook_name"] == "blocks.1.hook_resid_post"
    assert export.source["num_prompts"] == SMALL_CORPUS_DOCS
    assert {r["name"] for r in export.config[fmt.EXPLANATION_TYPE_FILE]} == {EXPLANATION_TYPE}
    assert {r["name"] for r in export.config[fmt.EXPLANATION_MODEL_TYPE_FILE]} == {
        EXPLANATION_MODEL
    }


def test_dashboards_match_a_direct_computation(export: Any, direct: dict[str, Any]) -> None:
    live = [i for i in range(d_sae(SOURCE)) if direct["max"][i] > 0]
    # the most and least active features, and the demo topic features
    picks = sorted(live, key=lambda i: float(direct["max"][i]))
    features = {picks[0], picks[len(picks) // 2], picks[-1], DINO, ANIMALS, CODE}
    for i in sorted(features):
        row = export.feature(i)
        assert row["maxActApprox"] == pytest.approx(float(direct["max"][i]), abs=2e-3), i
        assert row["frac_nonzero"] == pytest.approx(float(direct["density"][i]), abs=1e-6), i
        assert row["pos_str"][0] == direct["top_logit"][i], i
        top = max(export.activations_of(i), key=lambda a: a["maxValue"])
        assert top["binMin"] == -1
        assert top["maxValue"] == pytest.approx(float(direct["max"][i]), abs=2e-3), i
        assert top["tokens"][top["maxValueTokenIndex"]] == direct["max_token"][i], i
        assert row["topkCosSimIndices"][0] == i and row["topkCosSimValues"][0] == 1.0


def test_examples_are_top_rows_then_quantile_bins(export: Any, direct: dict[str, Any]) -> None:
    i = DINO
    examples = export.activations_of(i)
    tops = [a for a in examples if a["binMin"] == -1]
    bins = [a for a in examples if a["binMin"] != -1]
    assert len(tops) == 20
    assert [a["maxValue"] for a in tops] == sorted((a["maxValue"] for a in tops), reverse=True)
    assert len({a["dataIndex"] for a in tops}) == 20  # one example per document
    assert all(a["binMax"] == export.feature(i)["maxActApprox"] for a in tops)
    assert sum({a["binMin"]: a["binContains"] for a in bins}.values()) == pytest.approx(1.0)
    for a in bins:
        assert a["binMin"] <= a["values"][a["qualifyingTokenIndex"]] <= a["binMax"]
    heights = export.feature(i)["freq_hist_data_bar_heights"]
    assert sum(heights) == round(float(direct["density"][i]) * direct["n_tokens"])
    for a in examples:
        assert len(a["tokens"]) <= 64 and "<|endoftext|>" not in a["tokens"]


def test_topic_feature_examples_and_explanation_are_about_the_topic(export: Any) -> None:
    from workers.demo.corpus import TOPIC_WORDS, topic_word_rate
    from workers.max_act_explainer import selective_topic

    tops = [a for a in export.activations_of(DINO) if a["binMin"] == -1]
    assert all(topic_word_rate("".join(a["tokens"]), "dinosaurs") > 0.05 for a in tops)
    description = export.explanations_of(DINO)[0]["description"]
    # named after the topic only if no example of another topic reaches 0.3 of its maximum
    # (the committed pack's feature reaches 0.46 on "A baby elephant needs milk...": not named)
    examples = [(a["maxValue"], a["tokens"]) for a in export.activations_of(DINO)]
    selective = selective_topic(examples, TOPIC_WORDS) == "dinosaurs"
    assert description.startswith("dinosaurs: ") == selective
    assert "predicts" in description


def test_an_interrupted_job_resumes_and_gives_the_same_files(
    tmp_path: Path, demo_served: Any
) -> None:
    settings = {"max_docs": 60, "batch_tokens": 512, "checkpoint_seconds": 0}
    straight = generate_dashboards(
        small_config(tmp_path / "straight", **settings), served=demo_served, progress=False
    )
    config = small_config(tmp_path / "resumed", **settings)

    def stop_after_three(done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate_dashboards(config, served=demo_served, progress=False, on_batch=stop_after_three)
    checkpoint = tmp_path / "resumed" / ".dashboards" / "demo-lm" / SOURCE / "checkpoint.pt"
    assert checkpoint.exists()
    resumed = generate_dashboards(config, served=demo_served, progress=False)

    assert resumed.resumed_at_batch == 3
    assert not checkpoint.exists()
    assert _files(tmp_path / "resumed" / "v1") == _files(tmp_path / "straight" / "v1")
    assert resumed.activations == straight.activations

    again = generate_dashboards(config, served=demo_served, progress=False)
    assert again.skipped and again.activations == straight.activations


def test_updates_in_series_give_the_same_files_as_on_the_thread(
    tmp_path: Path, demo_served: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workers import dashboards

    settings = {"max_docs": 60, "batch_tokens": 512}
    monkeypatch.setattr(dashboards, "_update_beside_forward", lambda served: True)
    beside = generate_dashboards(
        small_config(tmp_path / "beside", **settings), served=demo_served, progress=False
    )
    monkeypatch.setattr(dashboards, "_update_beside_forward", lambda served: False)
    series = generate_dashboards(
        small_config(tmp_path / "series", **settings), served=demo_served, progress=False
    )
    assert series.activations == beside.activations > 0
    assert _files(tmp_path / "series" / "v1") == _files(tmp_path / "beside" / "v1")


def test_a_corpus_file_works_and_long_documents_are_cut(tmp_path: Path, demo_served: Any) -> None:
    corpus = tmp_path / "docs.jsonl"
    docs = [d.text for d in generate_corpus(5, 30, chat_fraction=0.0)]
    long_doc = " ".join(docs[:8])  # longer than one 128-token row
    lines = [json.dumps({"text": t}) for t in [long_doc, *docs[8:]]]
    corpus.write_text("\n".join(lines) + "\n")
    config = small_config(tmp_path / "out", corpus=str(corpus), n_top=3, max_docs=None)
    result = generate_dashboards(config, served=demo_served, progress=False)
    export = fmt.read_source_export(tmp_path / "out", "demo-lm", SOURCE)
    assert export.source["dataset"] == "docs.jsonl"
    assert result.rows > len(lines)  # the long document became several rows
    assert any(":" in a["dataIndex"] for a in export.activations)
    text = tmp_path / "docs.txt"  # one document per non-empty line
    one_line = [d for d in docs if "\n" not in d][:10]
    text.write_text("\n\n".join(one_line))
    plain = generate_dashboards(
        small_config(tmp_path / "txt", corpus=str(text), max_docs=None), served=demo_served,
        progress=False,
    )  # fmt: skip
    assert plain.rows == 10


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="visibility"):
        small_config(Path("/tmp/x"), visibility="SECRET")
    with pytest.raises(ValueError, match="lexicon"):
        small_config(Path("/tmp/x"), lexicon="nope")
    with pytest.raises(ValueError, match="power of two"):
        small_config(Path("/tmp/x"), n_bins=3)


def _files(root: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            out[path.relative_to(root).as_posix()] = (
                gzip.decompress(data) if path.suffix == ".gz" else data
            )
    return out
