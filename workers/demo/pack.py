"""Build the bundled demo pack: corpus -> tokenizer -> model -> SAEs -> topic features -> manifest
-> transcoders (`workers.demo.transcoders`).

Layout written under `out_dir` (the worker runtime loads exactly this):

    demo-lm/manifest.json
    demo-lm/model/                      model_dir format (workers.model_dir)
    demo-lm/saes/{layer}-res-demo/      cfg.json + sae_weights.safetensors (SAE.load_from_disk)
    demo-lm/transcoders/{layer}-tc-demo/  the same files, a sae-lens Transcoder per layer
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch

from neuronpedia_format.demo_pack import (
    DEMO_MODEL_ID,
    MANIFEST_FILENAME,
    MODEL_SUBDIR,
    SAES_SUBDIR,
)
from workers.demo.corpus import IM_END, TOPICS, Document, generate_corpus, with_made_up_words
from workers.demo.steering import NEUTRAL_PROMPTS, steered_topic_rate
from workers.demo.tokenizer import END_OF_TEXT, train_tokenizer
from workers.demo.topic_features import TopicFeature, find_topic_features
from workers.demo.train import (
    ModelTraining,
    SaeTraining,
    collect_activations,
    deterministic,
    new_model,
    new_sae,
    pack_rows,
    sae_stats,
    train_model,
    train_sae,
    without_dead_features,
)

logger = logging.getLogger(__name__)

DISPLAY_NAME = "Demo LM (tiny model trained on a synthetic multi-topic corpus)"
FORMAT_VERSION = 1
CHECKSUM_PROMPT = "Today the tyrannosaurus roamed the ancient plains. I like"
# Offset between the training corpus seed and the held-out corpus used to rank features.
HELD_OUT_SEED_OFFSET = 1_000_003


def source_id(layer: int) -> str:
    return f"{layer}-res-demo"


def hook_name(layer: int) -> str:
    return f"blocks.{layer}.hook_resid_post"


@dataclass(frozen=True)
class DemoConfig:
    n_docs: int = 30_000
    chat_fraction: float = 0.15
    # Enough merges that every corpus word is one token (the corpus has ~1,250 words).
    vocab_size: int = 4096
    # Share of the LM's training words swapped for made-up ones (`with_made_up_words`); the
    # tokenizer, the SAEs and the dashboards see the clean corpus.
    made_up_word_rate: float = 0.05
    model: ModelTraining = field(default_factory=ModelTraining)
    sae: SaeTraining = field(default_factory=SaeTraining)
    sae_layers: tuple[int, ...] = (0, 1)
    docs_per_topic_eval: int = 60
    steering_strengths: tuple[float, ...] = (2.0, 4.0, 8.0, 16.0, 32.0)
    steering_prompts: tuple[str, ...] = NEUTRAL_PROMPTS[:4]
    steering_tokens: int = 24

    @classmethod
    def quick(cls) -> DemoConfig:
        """Same architecture, a few seconds of training: for tests of the pipeline itself."""
        return cls(
            n_docs=400,
            model=ModelTraining(steps=8, batch_size=8, warmup_steps=2),
            sae=SaeTraining(steps=10, batch_size=256, n_tokens=4096),
            docs_per_topic_eval=2,
            steering_strengths=(8.0,),
            steering_prompts=NEUTRAL_PROMPTS[:1],
            steering_tokens=4,
        )


def build_demo_pack(
    out_dir: str | Path,
    seed: int = 0,
    steps: int | None = None,
    quick: bool = False,
    corpus_seed: int | None = None,
) -> dict[str, Any]:
    """Train everything from scratch into `out_dir/demo-lm` and return the manifest.

    Safe to re-run: the `demo-lm` directory is replaced. `steps` overrides the LM training steps.
    """
    started = time.monotonic()
    cfg = DemoConfig.quick() if quick else DemoConfig()
    if steps is not None:
        cfg = replace(cfg, model=replace(cfg.model, steps=steps))
    corpus_seed = seed if corpus_seed is None else corpus_seed
    root = Path(out_dir) / DEMO_MODEL_ID
    if root.exists():
        shutil.rmtree(root)
    model_dir = root / MODEL_SUBDIR

    timings: dict[str, float] = {}
    lap = _Stopwatch(timings)
    docs = generate_corpus(corpus_seed, cfg.n_docs, cfg.chat_fraction)
    tokenizer = train_tokenizer((d.text for d in docs), model_dir, cfg.vocab_size)
    tokens, labels = pack_rows(docs, tokenizer, cfg.model.n_ctx)
    lm_docs = with_made_up_words(docs, corpus_seed, cfg.made_up_word_rate)
    lm_tokens, lm_labels = pack_rows(lm_docs, tokenizer, cfg.model.n_ctx)
    lap("corpus_and_tokenizer")
    with deterministic(seed):
        model = new_model(tokenizer, cfg.model, seed, DEMO_MODEL_ID)
        losses = train_model(model, lm_tokens, lm_labels, cfg.model, seed)
    model.eval()
    logger.info("demo model trained steps=%d loss=%.3f", cfg.model.steps, losses[-1])

    from workers.model_dir import save_model_dir

    save_model_dir(model, tokenizer, model_dir)
    lap("model")

    hooks = [hook_name(layer) for layer in cfg.sae_layers]
    acts = collect_activations(
        model, tokens, hooks, cfg.sae.n_tokens, skip_first_token=cfg.sae.skip_first_token
    )
    lap("activations")
    held_out = _held_out_docs(corpus_seed + HELD_OUT_SEED_OFFSET, cfg.docs_per_topic_eval)
    sources, saes, features = [], {}, {}
    for layer in cfg.sae_layers:
        sid = source_id(layer)
        with deterministic(seed + 1 + layer):
            sae = new_sae(cfg.model.d_model, cfg.sae, _sae_metadata(layer, cfg.model.n_ctx))
            stats = train_sae(sae, acts[hook_name(layer)], cfg.sae, seed + 1 + layer)
            # A k 1 SAE leaves about half its features dead; they would be empty pages.
            sae = without_dead_features(sae, acts[hook_name(layer)])
            stats |= sae_stats(sae, acts[hook_name(layer)]) | {"dead": 0.0}
        sae.eval()
        sae.save_model(str(root / SAES_SUBDIR / sid))
        saes[sid] = sae
        features[sid] = find_topic_features(model, sae, held_out)
        sources.append(
            {
                "id": sid,
                "layer": layer,
                "hook_name": hook_name(layer),
                "path": f"{SAES_SUBDIR}/{sid}",
                "neuronpedia_id": f"{DEMO_MODEL_ID}/{sid}",
                "architecture": "topk",
                "d_sae": sae.cfg.d_sae,
                "k": cfg.sae.k,
                **{key: round(value, 4) for key, value in stats.items()},
            }
        )
        logger.info("demo sae trained source=%s %s", sid, stats)
        lap(f"sae_{sid}")

    manifest = {
        "format_version": FORMAT_VERSION,
        "model_id": DEMO_MODEL_ID,
        "display_name": DISPLAY_NAME,
        "model_dir": MODEL_SUBDIR,
        "n_layers": cfg.model.n_layers,
        "d_model": cfg.model.d_model,
        "d_vocab": model.cfg.d_vocab,
        "n_ctx": cfg.model.n_ctx,
        "layers": list(cfg.sae_layers),
        "d_sae": cfg.sae.d_sae,
        "sources": sources,
        # `<|endoftext|>` is the tokenizer's EOS; a chat reply ends at `<|im_end|>` instead.
        "chat": {"template": "chatml", "stop_tokens": [END_OF_TEXT, IM_END]},
        "corpus": {
            "seed": corpus_seed,
            "n_docs": cfg.n_docs,
            "chat_fraction": cfg.chat_fraction,
            "made_up_word_rate": cfg.made_up_word_rate,
            "n_tokens": int((labels != -100).sum()),
            "topics": sorted(TOPICS),
        },
        "training": {
            "seed": seed,
            "steps": cfg.model.steps,
            "model": asdict(cfg.model),
            "sae": asdict(cfg.sae),
            "final_loss": round(sum(losses[-20:]) / len(losses[-20:]), 4),
        },
        "topic_features": _steering_sweep(model, saes, features, cfg),
        "checksum": checksum(root, sources),
        "versions": _versions(),
    }
    lap("steering_sweep_and_checksum")
    manifest["training"]["build_seconds"] = round(time.monotonic() - started, 1)
    manifest["training"]["phase_seconds"] = timings
    (root / MANIFEST_FILENAME).write_text(json.dumps(manifest, indent=2) + "\n")
    from workers.demo.transcoders import add_transcoders_to_pack

    return add_transcoders_to_pack(root, quick=quick)


class _Stopwatch:
    """Records seconds since the previous call under each phase name."""

    def __init__(self, into: dict[str, float]) -> None:
        self.into = into
        self.last = time.monotonic()

    def __call__(self, phase: str) -> None:
        now = time.monotonic()
        self.into[phase] = round(now - self.last, 1)
        self.last = now
        logger.info("demo pack phase=%s seconds=%.1f", phase, self.into[phase])


def _sae_metadata(layer: int, n_ctx: int) -> dict[str, Any]:
    return {
        "model_name": DEMO_MODEL_ID,
        "hook_name": hook_name(layer),
        "hook_head_index": None,
        "prepend_bos": True,
        "context_size": n_ctx,
        "neuronpedia_id": f"{DEMO_MODEL_ID}/{source_id(layer)}",
    }


def _held_out_docs(seed: int, per_topic: int) -> list[Document]:
    """`per_topic` plain paragraphs of every topic, from a seed the training corpus never used."""
    pool = generate_corpus(seed, per_topic * len(TOPICS) * 3, chat_fraction=0.0)
    out: list[Document] = []
    for topic in sorted(TOPICS):
        out += [d for d in pool if d.topic == topic][:per_topic]
    return out


def _steering_sweep(
    model: Any,
    saes: dict[str, Any],
    features: dict[str, dict[str, TopicFeature]],
    cfg: DemoConfig,
) -> dict[str, Any]:
    """Per topic: the feature index per source, and the steering strength that works.

    The recommended strength for a source is the smallest in the sweep whose greedy
    continuations of neutral prompts reach 90 % of the best topic word rate of the sweep; the
    recommended source is the one whose recommended steering gives the higher rate.
    """
    out: dict[str, Any] = {}
    for topic in sorted(TOPICS):
        stats: dict[str, Any] = {}
        for sid, sae in saes.items():
            feature = features[sid][topic]
            run: dict[str, Any] = {
                "prompts": cfg.steering_prompts,
                "max_new_tokens": cfg.steering_tokens,
            }
            rates = {
                s: steered_topic_rate(model, sae, feature.index, s, topic, **run)
                for s in (0.0, *cfg.steering_strengths)
            }
            best = max(rates[s] for s in cfg.steering_strengths)
            strength = min(s for s in cfg.steering_strengths if rates[s] >= 0.9 * best)
            stats[sid] = {
                "index": feature.index,
                "selectivity": round(feature.selectivity, 2),
                "on_topic_max_act": round(feature.on_topic_max, 3),
                "off_topic_max_act": round(feature.off_topic_max, 3),
                "coverage": round(feature.coverage, 3),
                "recommended_strength": strength,
                "unsteered_topic_rate": round(rates[0.0], 3),
                "steered_topic_rate": round(rates[strength], 3),
                "sweep": {str(s): round(r, 3) for s, r in rates.items()},
            }
        best_sid = max(stats, key=lambda s: (stats[s]["steered_topic_rate"], s))
        out[topic] = {
            "features": {sid: s["index"] for sid, s in stats.items()},
            "recommended_source": best_sid,
            "index": stats[best_sid]["index"],
            "recommended_strength": stats[best_sid]["recommended_strength"],
            "stats": stats,
        }
    return out


@torch.no_grad()
def checksum(root: str | Path, sources: list[dict[str, Any]]) -> dict[str, Any]:
    """Logit and SAE-activation sums on a fixed prompt, computed from the files on disk."""
    from sae_lens import SAE

    from workers.model_dir import load_model_dir

    root = Path(root)
    model = load_model_dir(root / MODEL_SUBDIR)
    logits, cache = model.run_with_cache(
        CHECKSUM_PROMPT, names_filter=[s["hook_name"] for s in sources]
    )
    sae_sums = {}
    for s in sources:
        sae = SAE.load_from_disk(str(root / s["path"]), device="cpu")
        sae_sums[s["id"]] = round(float(sae.encode(cache[s["hook_name"]]).sum()), 3)
    return {
        "prompt": CHECKSUM_PROMPT,
        "logit_sum": round(float(logits.sum()), 3),
        "logit_abs_sum": round(float(logits.abs().sum()), 3),
        "next_token_argmax": logits[0].argmax(-1).tolist(),
        "sae_act_sums": sae_sums,
    }


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    return {name: version(name) for name in ("torch", "transformer-lens", "sae-lens", "tokenizers")}


def load_manifest(root: str | Path) -> dict[str, Any]:
    """The manifest of a pack directory such as `demo_pack/demo-lm`."""
    return json.loads((Path(root) / MANIFEST_FILENAME).read_text())
