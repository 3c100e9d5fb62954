"""Train the demo language model and its TopK SAEs with plain torch loops (CPU, seeded).

Everything random is drawn from generators seeded here, so one seed gives the same weights on
the same torch build and thread count.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch
from jaxtyping import Float, Int

from workers.demo.corpus import Document

IGNORE_INDEX = -100


@dataclass(frozen=True)
class ModelTraining:
    n_layers: int = 2
    d_model: int = 128
    n_heads: int = 4
    d_mlp: int = 512
    n_ctx: int = 128
    steps: int = 1000
    batch_size: int = 32
    lr: float = 3e-3
    warmup_steps: int = 30
    weight_decay: float = 0.01


@dataclass(frozen=True)
class SaeTraining:
    d_sae: int = 1024
    k: int = 1
    steps: int = 1200
    batch_size: int = 2048
    lr: float = 2e-3
    n_tokens: int = 200_000
    # Features silent for this many steps get the auxiliary loss that revives them.
    dead_after: int = 100
    aux_k: int = 64
    aux_coeff: float = 1 / 32
    # sae-lens `normalize_activations`: "constant_norm_rescale" scales every input to norm
    # sqrt(d_in) before encoding (and back after decoding), so the few positions with a huge
    # residual norm (the sentence end, the first word) do not outrank every topic feature.
    normalize_activations: str = "constant_norm_rescale"
    # Start each decoder row at a random training activation (centred) instead of a random
    # direction, as k-means does: with k 1 most random directions never win a token and die.
    init_from_data: bool = True
    # Leave out the first token of every document: it attends to little but the BOS before it,
    # so its residual is nearly the same vector whenever a text starts with that word, and a
    # k 1 SAE spends features on those outliers ("The" opening a text), which then outrank
    # every topic feature on a typed sentence.
    skip_first_token: bool = True


@contextlib.contextmanager
def deterministic(seed: int) -> Iterator[None]:
    """Seed torch and force deterministic kernels, restoring the caller's setting afterwards."""
    previous = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous)


def pack_rows(
    docs: Sequence[Document], tokenizer: Any, n_ctx: int
) -> tuple[Int[torch.Tensor, "rows n_ctx"], Int[torch.Tensor, "rows n_ctx"]]:
    """Pack whole documents, each led by `<|endoftext|>`, into rows of `n_ctx` tokens.

    Rows always start at a document boundary, so position 0 looks like the BOS the model gets
    at inference. Returns (tokens, labels); labels of the padding are IGNORE_INDEX.
    """
    eot = tokenizer.bos_token_id
    rows: list[list[int]] = []
    current: list[int] = []
    for doc in docs:
        ids = [eot, *tokenizer(doc.text, add_special_tokens=False)["input_ids"]][:n_ctx]
        if len(current) + len(ids) > n_ctx:
            rows.append(current)
            current = []
        current += ids
    if current:
        rows.append(current)
    tokens = torch.full((len(rows), n_ctx), eot, dtype=torch.long)
    labels = torch.full((len(rows), n_ctx), IGNORE_INDEX, dtype=torch.long)
    for i, row in enumerate(rows):
        tokens[i, : len(row)] = torch.tensor(row)
        # Position t predicts token t + 1; the closing `<|endoftext|>` teaches the model to stop.
        target = [*row[1:], eot]
        labels[i, : len(row)] = torch.tensor(target)
    return tokens, labels


def new_model(tokenizer: Any, cfg: ModelTraining, seed: int, model_name: str) -> Any:
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    tl_cfg = HookedTransformerConfig(
        n_layers=cfg.n_layers,
        d_model=cfg.d_model,
        n_heads=cfg.n_heads,
        d_head=cfg.d_model // cfg.n_heads,
        d_mlp=cfg.d_mlp,
        n_ctx=cfg.n_ctx,
        d_vocab=len(tokenizer),
        act_fn="gelu",
        normalization_type="LN",
        model_name=model_name,
        seed=seed,
        device="cpu",
    )
    return HookedTransformer(tl_cfg, tokenizer=tokenizer)


def _lr_at(step: int, cfg: ModelTraining | SaeTraining, warmup: int) -> float:
    # Linear warmup, then cosine decay to 10 % of the peak.
    if step < warmup:
        return cfg.lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, cfg.steps - warmup)
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def train_model(
    model: Any,
    tokens: Int[torch.Tensor, "rows n_ctx"],
    labels: Int[torch.Tensor, "rows n_ctx"],
    cfg: ModelTraining,
    seed: int,
) -> list[float]:
    """Next-token cross-entropy with AdamW; returns the loss of every step."""
    gen = torch.Generator().manual_seed(seed)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "W_pos" not in n]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 or "W_pos" in n]
    opt = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=cfg.lr,
        betas=(0.9, 0.95),
    )
    model.train()
    losses = []
    for step in range(cfg.steps):
        for group in opt.param_groups:
            group["lr"] = _lr_at(step, cfg, cfg.warmup_steps)
        idx = torch.randint(0, tokens.shape[0], (cfg.batch_size,), generator=gen)
        logits = model(tokens[idx], return_type="logits")
        loss = torch.nn.functional.cross_entropy(
            logits.flatten(0, 1), labels[idx].flatten(), ignore_index=IGNORE_INDEX
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def collect_activations(
    model: Any,
    tokens: Int[torch.Tensor, "rows n_ctx"],
    hook_names: Sequence[str],
    n_tokens: int,
    batch_rows: int = 64,
    skip_first_token: bool = False,
) -> dict[str, Float[torch.Tensor, "n d_model"]]:
    """Residual activations at `hook_names`, skipping `<|endoftext|>` positions (and, with
    `skip_first_token`, the first token of every document).

    BOS positions carry a huge, content-free residual (an attention sink); leaving them out keeps
    SAE capacity for the text, as Neuronpedia dashboards also ignore BOS.
    """
    eot = model.tokenizer.bos_token_id
    out: dict[str, list[torch.Tensor]] = {h: [] for h in hook_names}
    seen = 0
    for start in range(0, tokens.shape[0], batch_rows):
        batch = tokens[start : start + batch_rows]
        _, cache = model.run_with_cache(batch, names_filter=list(hook_names))
        keep = batch != eot
        if skip_first_token:
            keep[:, 1:] &= batch[:, :-1] != eot
        for h in hook_names:
            out[h].append(cache[h][keep])
        seen += int(keep.sum())
        if seen >= n_tokens:
            break
    return {h: torch.cat(v)[:n_tokens] for h, v in out.items()}


def new_sae(d_in: int, cfg: SaeTraining, metadata: dict[str, Any]) -> Any:
    from sae_lens import TopKSAE, TopKSAEConfig
    from sae_lens.saes.sae import SAEMetadata

    return TopKSAE(
        TopKSAEConfig(
            d_in=d_in,
            d_sae=cfg.d_sae,
            k=cfg.k,
            normalize_activations=cfg.normalize_activations,
            metadata=SAEMetadata(**metadata),
        )
    )


def train_sae(
    sae: Any, acts: Float[torch.Tensor, "n d_in"], cfg: SaeTraining, seed: int
) -> dict[str, float]:
    """TopK SAE: reconstruction MSE plus an AuxK loss on dead features (Gao et al., 2024).

    Decoder rows are kept at unit norm so an activation, and a steering strength, is measured in
    residual-stream units. Returns the final fraction of variance unexplained, L0 and dead count.
    """
    gen = torch.Generator().manual_seed(seed)
    raw = acts
    if sae.cfg.normalize_activations == "constant_norm_rescale":
        # Train in the space the SAE encodes in; `process_sae_in` rescales again, a no-op here.
        acts = acts * (sae.cfg.d_in**0.5) / acts.norm(dim=-1, keepdim=True)
    with torch.no_grad():
        if cfg.init_from_data:
            start = acts[torch.randint(0, acts.shape[0], (cfg.d_sae,), generator=gen)]
            start = start - acts.mean(0)
        else:
            start = torch.randn(sae.W_dec.shape, generator=gen)
        sae.W_dec.copy_(torch.nn.functional.normalize(start, dim=-1))
        sae.W_enc.copy_(sae.W_dec.T)
        sae.b_enc.zero_()
        sae.b_dec.copy_(acts.mean(0))
    opt = torch.optim.Adam(sae.parameters(), lr=cfg.lr, betas=(0.9, 0.999))
    since_fired = torch.zeros(cfg.d_sae, dtype=torch.long)
    variance = (acts - acts.mean(0)).pow(2).sum(-1).mean()
    for step in range(cfg.steps):
        for group in opt.param_groups:
            group["lr"] = _lr_at(step, cfg, warmup=max(1, cfg.steps // 20))
        x = acts[torch.randint(0, acts.shape[0], (cfg.batch_size,), generator=gen)]
        hidden_pre = sae.process_sae_in(x) @ sae.W_enc + sae.b_enc
        feats = sae.activation_fn(hidden_pre)
        recon = feats @ sae.W_dec + sae.b_dec
        err = x - recon
        loss = err.pow(2).sum(-1).mean() / variance
        fired = (feats > 0).any(0)
        since_fired = torch.where(fired, 0, since_fired + 1)
        dead = since_fired > cfg.dead_after
        if dead.any():
            # Let the dead features try to explain what the live ones missed.
            k_aux = min(cfg.aux_k, int(dead.sum()))
            masked = hidden_pre.masked_fill(~dead, float("-inf"))
            vals, idx = masked.topk(k_aux, dim=-1)
            aux = torch.zeros_like(hidden_pre).scatter(-1, idx, vals.relu())
            aux_recon = aux @ sae.W_dec
            aux_loss = (err.detach() - aux_recon).pow(2).sum(-1).mean() / variance
            loss = loss + cfg.aux_coeff * aux_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            sae.W_dec.copy_(torch.nn.functional.normalize(sae.W_dec, dim=-1))
    return sae_stats(sae, raw) | {"dead": float((since_fired > cfg.dead_after).sum())}


@torch.no_grad()
def without_dead_features(sae: Any, acts: Float[torch.Tensor, "n d_in"]) -> Any:
    """The same SAE without the features that never fire on `acts`: the others keep their
    weights, so their activations are unchanged, and no feature page is left empty."""
    alive = (sae.encode(acts) > 0).any(0)
    if bool(alive.all()):
        return sae
    out = type(sae)(replace(sae.cfg, d_sae=int(alive.sum())))
    out.W_enc.copy_(sae.W_enc[:, alive])
    out.b_enc.copy_(sae.b_enc[alive])
    out.W_dec.copy_(sae.W_dec[alive])
    out.b_dec.copy_(sae.b_dec)
    return out


@torch.no_grad()
def sae_stats(sae: Any, acts: Float[torch.Tensor, "n d_in"]) -> dict[str, float]:
    feats = sae.encode(acts)
    recon = sae.decode(feats)
    fvu = (acts - recon).pow(2).sum(-1).mean() / (acts - acts.mean(0)).pow(2).sum(-1).mean()
    return {"fvu": float(fvu), "l0": float((feats > 0).sum(-1).float().mean())}
