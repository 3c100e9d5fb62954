"""Per-layer transcoders: the saved format, training one, and handing it to circuit-tracer.

A transcoder is saved as sae-lens saves a `Transcoder` (`cfg.json` + `sae_weights.safetensors`):
it reads `blocks.{L}.hook_resid_mid` (`metadata.hook_name`) and writes `blocks.{L}.hook_mlp_out`
(`metadata.hook_name_out`). sae-lens stores `W_enc` as `[d_in, d_sae]` and `W_dec` as
`[d_sae, d_out]`; circuit-tracer's `SingleLayerTranscoder` wants `W_enc` as `[d_sae, d_model]`,
so `to_single_layer` transposes the encoder. Only ReLU transcoders without a skip connection are
converted (what sae-lens' `Transcoder` is).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from jaxtyping import Float

from workers.sources import read_sae_cfg

INPUT_HOOK = "hook_resid_mid"
OUTPUT_HOOK = "hook_mlp_out"


def input_hook(layer: int) -> str:
    return f"blocks.{layer}.{INPUT_HOOK}"


def output_hook(layer: int) -> str:
    return f"blocks.{layer}.{OUTPUT_HOOK}"


@dataclass(frozen=True)
class TranscoderTraining:
    """How the demo transcoders are trained (ReLU, L1 on decoder-norm-weighted activations)."""

    d_sae: int = 512
    steps: int = 1000
    batch_size: int = 2048
    lr: float = 2e-3
    l1_coeff: float = 1e-2
    n_tokens: int = 200_000


def new_transcoder(d_model: int, cfg: TranscoderTraining, metadata: dict[str, Any]) -> Any:
    """An untrained sae-lens `Transcoder` (ReLU) from `hook_resid_mid` to `hook_mlp_out`."""
    from sae_lens import Transcoder, TranscoderConfig
    from sae_lens.saes.sae import SAEMetadata

    return Transcoder(
        TranscoderConfig(
            d_in=d_model,
            d_sae=cfg.d_sae,
            d_out=d_model,
            apply_b_dec_to_input=False,
            metadata=SAEMetadata(**metadata),
        )
    )


def _lr_at(step: int, cfg: TranscoderTraining) -> float:
    warmup = max(1, cfg.steps // 20)
    if step < warmup:
        return cfg.lr * (step + 1) / warmup
    progress = (step - warmup) / max(1, cfg.steps - warmup)
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def train_transcoder(
    tc: Any,
    x_in: Float[torch.Tensor, "n d_model"],
    y_out: Float[torch.Tensor, "n d_model"],
    cfg: TranscoderTraining,
    seed: int,
) -> dict[str, float]:
    """Fit `y_out ~ decode(relu(x_in W_enc + b_enc))`: normalised MSE plus an L1 penalty on each
    activation times its decoder row's norm (so the penalty cannot be dodged by scaling).

    Returns the final fraction of variance unexplained, the L0 and the count of dead features.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        w = torch.randn(tc.W_enc.shape, generator=gen) / math.sqrt(tc.W_enc.shape[0])
        tc.W_enc.copy_(w)
        tc.W_dec.copy_(w.T * 0.1)
        tc.b_enc.zero_()
        tc.b_dec.copy_(y_out.mean(0))
    opt = torch.optim.Adam(tc.parameters(), lr=cfg.lr, betas=(0.9, 0.999))
    variance = (y_out - y_out.mean(0)).pow(2).sum(-1).mean()
    for step in range(cfg.steps):
        for group in opt.param_groups:
            group["lr"] = _lr_at(step, cfg)
        idx = torch.randint(0, x_in.shape[0], (cfg.batch_size,), generator=gen)
        feats = tc.encode(x_in[idx])
        recon = tc.decode(feats)
        mse = (y_out[idx] - recon).pow(2).sum(-1).mean() / variance
        sparsity = (feats * tc.W_dec.norm(dim=-1)).sum(-1).mean()
        loss = mse + cfg.l1_coeff * sparsity
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return transcoder_stats(tc, x_in, y_out)


@torch.no_grad()
def transcoder_stats(
    tc: Any, x_in: Float[torch.Tensor, "n d_model"], y_out: Float[torch.Tensor, "n d_model"]
) -> dict[str, float]:
    feats = tc.encode(x_in)
    recon = tc.decode(feats)
    fvu = (y_out - recon).pow(2).sum(-1).mean() / (y_out - y_out.mean(0)).pow(2).sum(-1).mean()
    return {
        "fvu": float(fvu),
        "l0": float((feats > 0).sum(-1).float().mean()),
        "dead": float((feats.amax(0) <= 0).sum()),
    }


def to_single_layer(tc: Any, layer: int, device: str = "cpu") -> Any:
    """circuit-tracer's `SingleLayerTranscoder` with the weights of a sae-lens `Transcoder`."""
    from circuit_tracer.transcoder.single_layer_transcoder import SingleLayerTranscoder

    if tc.cfg.d_in != tc.cfg.d_out:
        raise ValueError("a per-layer transcoder must read and write the residual width")
    out = SingleLayerTranscoder(
        d_model=tc.cfg.d_in,
        d_transcoder=tc.cfg.d_sae,
        activation_function=torch.nn.ReLU(),
        layer_idx=layer,
        device=torch.device(device),
        dtype=torch.float32,
    )
    with torch.no_grad():
        out.W_enc.copy_(tc.W_enc.detach().T)
        out.W_dec.copy_(tc.W_dec.detach())
        out.b_enc.copy_(tc.b_enc.detach())
        out.b_dec.copy_(tc.b_dec.detach())
    return out


def check_transcoder_dir(path: str | Path) -> int:
    """The layer a saved transcoder serves; ValueError when it is not resid_mid -> mlp_out."""
    meta = read_sae_cfg(path)
    hook = str(meta["hook_name"] or "")
    parts = hook.split(".")
    if len(parts) != 3 or parts[0] != "blocks" or parts[2] != INPUT_HOOK:
        raise ValueError(f"{path}: a transcoder reads blocks.N.{INPUT_HOOK}, not {hook!r}")
    return int(parts[1])


def load_transcoder_set(dirs: Mapping[str, Path], scan: str, device: str = "cpu") -> Any:
    """A circuit-tracer `TranscoderSet` from saved transcoders (source id -> directory), one per
    layer of the model, read from `hook_resid_mid` and written to `hook_mlp_out`."""
    from circuit_tracer.transcoder.single_layer_transcoder import TranscoderSet
    from sae_lens import SAE

    by_layer: dict[int, Any] = {}
    for path in dirs.values():
        layer = check_transcoder_dir(path)
        tc = SAE.load_from_disk(str(path), device="cpu", dtype="float32")
        by_layer[layer] = to_single_layer(tc, layer, device)
    return TranscoderSet(
        by_layer, feature_input_hook=INPUT_HOOK, feature_output_hook=OUTPUT_HOOK, scan=scan
    )
