"""Helpers of the inference tests: the tiny model pack and its BOS-only feature, its texts,
feature rows for it, and the reference computed the plain way."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

MODEL_ID = "tiny-demo"
QUEUE = f"inference.{MODEL_ID}"
TOKEN_LIMIT = 48
BOS_SOURCE, BOS_FEATURE = "0-res-demo", 5
BOS_TEXT = "<|endoftext|>"
TEXT = "The cat sat on the mat."
TEXTS = [
    "The cat sat on the mat.",
    "A dog ran in the park today.",
    "Paris is the capital of France.",
    "Hello world, this is a test of tokens.",
    "The quick brown fox jumps over the lazy dog.",
    "Interpretability finds features inside language models.",
    "tell me about the cat and the dog.",
    "The dog sat on the mat in Paris.",
]
LONG_TEXT = " ".join(["The quick brown fox jumps over the lazy dog."] * 10)


@dataclass
class TinyPack:
    model_dir: Path
    sae_root: Path


def make_features(model: Any, source: str, indexes: range | list[int], **kw: Any) -> None:
    from features.models import Feature

    Feature.objects.bulk_create(
        Feature(
            model=model,
            layer=source,
            index=str(i),
            source_set_name=source.split("-", 1)[1],
            **kw,
        )
        for i in indexes
    )


def make_bos_only_feature(model_dir: Path, sae_dir: Path, feature: int) -> None:
    """Point `feature` (a Standard SAE on blocks.0.hook_resid_pre = token + position embedding)
    at the BOS residual, with a bias that only BOS-at-position-0 passes, scaled so it ranks first.

    BOS is always at position 0 and nothing else ever is, so the bias sits halfway between BOS's
    projection and the largest projection of any other token at any later position.
    """
    import torch
    from sae_lens import SAE

    from workers.model_dir import load_model_dir

    model = load_model_dir(model_dir)
    bos = model.tokenizer.bos_token_id
    w_e, w_pos = model.W_E.detach(), model.W_pos.detach()
    bos_resid = w_e[bos] + w_pos[0]
    direction = bos_resid / bos_resid.norm()
    others = torch.cat([w_e[:bos], w_e[bos + 1 :]]) @ direction
    top_other = others.max() + (w_pos[1:] @ direction).max()
    top_bos = bos_resid @ direction
    assert top_bos > top_other + 0.1, "the seeded model leaves no margin for a BOS-only feature"
    scale = 20.0
    sae = SAE.load_from_disk(str(sae_dir), device="cpu")
    with torch.no_grad():
        sae.b_dec.zero_()
        sae.W_enc[:, feature] = direction * scale
        sae.b_enc[feature] = -scale * (top_bos + top_other) / 2
    sae.save_model(str(sae_dir))


class Reference:
    """Feature activations and rankings computed directly with transformer-lens and sae-lens."""

    def __init__(self, pack: TinyPack) -> None:
        from sae_lens import SAE

        from workers.model_dir import load_model_dir

        self.model = load_model_dir(pack.model_dir)
        self.saes = {
            path.name: SAE.load_from_disk(str(path), device="cpu").eval()
            for path in sorted(pack.sae_root.iterdir())
        }

    def tokens(self, text: str) -> Any:
        prompt = text if text.startswith(BOS_TEXT) else BOS_TEXT + text
        return self.model.to_tokens(prompt, prepend_bos=False)

    def acts(self, text: str, source: str) -> Any:
        """`[n_tokens, d_sae]` activations of `source` with the BOS text prepended."""
        import torch

        sae = self.saes[source]
        hook = sae.cfg.metadata.hook_name
        with torch.no_grad():
            _, cache = self.model.run_with_cache(self.tokens(text), names_filter=[hook])
            return sae.encode(cache[hook])[0]

    def resid(self, text: str, hook: str, prepend_bos: bool = True) -> Any:
        import torch

        with torch.no_grad():
            tokens = self.model.to_tokens(text, prepend_bos=prepend_bos)
            _, cache = self.model.run_with_cache(tokens, names_filter=[hook])
            return cache[hook][0]

    def search(
        self,
        text: str,
        sources: list[str],
        ignore_bos: bool = True,
        sort_indexes: tuple[int, ...] = (),
        num_results: int = 20,
        feature_filter: list[int] | None = None,
    ) -> list[dict[str, Any]]:
        """Neuronpedia's ranking over `sources`, without the worker's batching or top-k merge."""
        rows = []
        for source in sources:
            acts = self.acts(text, source).clone()
            if feature_filter is not None:
                keep = acts.new_zeros(acts.shape[1])
                keep[feature_filter] = 1
                acts *= keep
            if ignore_bos:
                acts[0] = 0
            for index in range(acts.shape[1]):
                column = acts[:, index]
                max_value = float(column.max())
                summed = float(column[list(sort_indexes)].sum()) if sort_indexes else 0.0
                rows.append(
                    {
                        "source": source,
                        "index": index,
                        "max_value": max_value,
                        "max_value_index": int(column.argmax()),
                        "sum_values": summed,
                        "values": column.tolist(),
                    }
                )
        key = "sum_values" if sort_indexes else "max_value"
        rows.sort(key=lambda r: -r[key])  # stable: ties keep source then index order
        return rows[:num_results]

    def decoder_cossim(self, query: Any, target: str, k: int) -> list[tuple[int, float]]:
        import torch

        w_dec = self.saes[target].W_dec.detach()
        sims = torch.nn.functional.cosine_similarity(query[None, :], w_dec, dim=1)
        values, indices = torch.topk(sims, k)
        return list(zip(indices.tolist(), values.tolist(), strict=True))
