"""Tiny models and SAEs built by the tests: tokenizer, model directory, SAEs of each architecture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CORPUS = [
    "The cat sat on the mat.",
    "A dog ran in the park today.",
    "Paris is the capital of France.",
    "Hello world, this is a test of tokens.",
    "user assistant system: tell me about the cat and the dog.",
    "The quick brown fox jumps over the lazy dog.",
    "Interpretability finds features inside language models.",
]
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
D_MODEL = 64
D_SAE = 256
N_CTX = 96

# source id -> (architecture, hook)
SAE_SPECS = {
    "0-res-demo": ("standard", "blocks.0.hook_resid_pre"),
    "1-res-demo": ("topk", "blocks.1.hook_resid_pre"),
    "1-jr-demo": ("jumprelu", "blocks.1.hook_resid_post"),
}


def build_tokenizer(path: Path) -> Any:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(CORPUS * 3, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<|endoftext|>",
        eos_token="<|endoftext|>",
        pad_token="<|endoftext|>",
        additional_special_tokens=SPECIAL_TOKENS[1:],
    )
    # An in-memory tokenizer crashes HookedTransformer; it must come back from a directory.
    fast.save_pretrained(str(path))
    return AutoTokenizer.from_pretrained(str(path))


def build_model_dir(tok_dir: Path, out_dir: Path) -> Path:
    """The tiny model, saved with `save_model_dir` into `out_dir` (tokenizer built in `tok_dir`)."""
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    from workers.model_dir import save_model_dir

    tokenizer = build_tokenizer(tok_dir)
    cfg = HookedTransformerConfig(
        n_layers=2,
        d_model=D_MODEL,
        n_heads=4,
        d_head=16,
        d_mlp=128,
        n_ctx=N_CTX,
        d_vocab=len(tokenizer),
        act_fn="gelu",
        normalization_type="LN",
        model_name="tiny-demo",
        seed=0,
        device="cpu",
    )
    model = HookedTransformer(cfg, tokenizer=tokenizer).eval()
    return save_model_dir(model, tokenizer, out_dir)


def build_sae(architecture: str, hook: str, source: str) -> Any:
    from sae_lens import (
        JumpReLUSAE,
        JumpReLUSAEConfig,
        StandardSAE,
        StandardSAEConfig,
        TopKSAE,
        TopKSAEConfig,
    )
    from sae_lens.saes.sae import SAEMetadata

    meta = SAEMetadata(
        model_name="tiny-demo",
        hook_name=hook,
        hook_head_index=None,
        prepend_bos=True,
        context_size=64,
        neuronpedia_id=f"tiny-demo/{source}",
    )
    if architecture == "standard":
        return StandardSAE(StandardSAEConfig(d_in=D_MODEL, d_sae=D_SAE, metadata=meta))
    if architecture == "topk":
        return TopKSAE(TopKSAEConfig(d_in=D_MODEL, d_sae=D_SAE, k=8, metadata=meta))
    sae = JumpReLUSAE(JumpReLUSAEConfig(d_in=D_MODEL, d_sae=D_SAE, metadata=meta))
    sae.threshold.data.fill_(0.2)
    return sae


def build_sae_root(root: Path, seed: int = 1) -> Path:
    """One folder per SAE_SPECS source under `root`, written with `save_model`; another `seed`
    gives other weights."""
    import torch

    torch.manual_seed(seed)
    for source, (architecture, hook) in SAE_SPECS.items():
        sae = build_sae(architecture, hook, source)
        with torch.no_grad():
            sae.b_enc.uniform_(-0.05, 0.05)  # so ReLU features are not all alive on every token
        sae.save_model(str(root / source))
    return root


def make_served(
    model_dir: Path, sae_dirs: Path | dict[str, str], model: Any = None, **overrides: Any
) -> Any:
    """A ServedModel of the tiny model; `model` reuses an already loaded one."""
    from workers.runtime import RuntimeConfig, ServedModel

    config = RuntimeConfig(
        model_id="tiny-demo",
        model_dir=str(model_dir),
        sae_dirs=sae_dirs if isinstance(sae_dirs, dict) else str(sae_dirs),
        device="cpu",
        **overrides,
    )
    return ServedModel(config, model=model)


D_TRANSCODER = 96


def build_transcoder(layer: int, seed: int, source_set: str = "tc-tiny") -> Any:
    """A random ReLU transcoder of the tiny model, `blocks.L.hook_resid_mid -> hook_mlp_out`,
    with a bias that leaves a few features active on most tokens."""
    import torch
    from sae_lens import Transcoder, TranscoderConfig
    from sae_lens.saes.sae import SAEMetadata

    gen = torch.Generator().manual_seed(seed)
    tc = Transcoder(
        TranscoderConfig(
            d_in=D_MODEL,
            d_sae=D_TRANSCODER,
            d_out=D_MODEL,
            apply_b_dec_to_input=False,
            metadata=SAEMetadata(
                model_name="tiny-demo",
                hook_name=f"blocks.{layer}.hook_resid_mid",
                hook_name_out=f"blocks.{layer}.hook_mlp_out",
                neuronpedia_id=f"tiny-demo/{layer}-{source_set}",
            ),
        )
    )
    with torch.no_grad():
        tc.W_enc.copy_(torch.randn(D_MODEL, D_TRANSCODER, generator=gen) / D_MODEL**0.5)
        tc.W_dec.copy_(torch.randn(D_TRANSCODER, D_MODEL, generator=gen) * 0.2)
        tc.b_enc.copy_(torch.rand(D_TRANSCODER, generator=gen) * 0.2 - 0.1)
        tc.b_dec.zero_()
    return tc


def build_transcoder_root(root: Path, n_layers: int = 2, source_set: str = "tc-tiny") -> Path:
    """`{layer}-{source_set}/` under `root` for every layer of the tiny model."""
    for layer in range(n_layers):
        build_transcoder(layer, seed=10 + layer, source_set=source_set).save_model(
            str(root / f"{layer}-{source_set}")
        )
    return root


def build_bias_free_model_dir(model_dir: Path, out_dir: Path) -> Path:
    """The tiny model with no term outside the attribution graph's nodes: no positional
    embedding, no value/output/MLP-output/unembedding biases, no LayerNorm offsets. Every logit
    is then exactly the sum of what the token embeddings, features and error nodes send it."""
    import torch

    from workers.model_dir import load_model_dir, save_model_dir

    model = load_model_dir(model_dir)
    with torch.no_grad():
        for name, param in model.named_parameters():
            layer_norm_offset = name.endswith(".b") and name.split(".")[-2].startswith("ln")
            outside = name.endswith(("pos_embed.W_pos", "b_V", "b_O", "b_out", "b_U"))
            if outside or layer_norm_offset:
                param.zero_()
    return save_model_dir(model, model.tokenizer, out_dir)
