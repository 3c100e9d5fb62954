"""Save and load a HookedTransformer as a self-contained local directory.

TransformerLens has no offline `from_pretrained` for custom models, so a model directory holds:
`tl_config.json` (a JSON-clean subset of HookedTransformerConfig), `model.safetensors` (the
parameters) and the tokenizer files (`tokenizer.json`, `tokenizer_config.json`, with an optional
chat template). Demo models and any model a worker serves from disk go through these two functions.

The files are written in a form that more than one transformers / TransformerLens release reads:
only parameters are saved (buffers such as attention masks are derived, and their saved shapes
differ between TransformerLens releases), and `tokenizer_config.json` names the classic
`PreTrainedTokenizerFast` with `additional_special_tokens` rather than what transformers 5 writes
(`TokenizersBackend`, `extra_special_tokens` as a list), which transformers 4 cannot load.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

TL_CONFIG_FILENAME = "tl_config.json"
MODEL_WEIGHTS_FILENAME = "model.safetensors"
TOKENIZER_CONFIG_FILENAME = "tokenizer_config.json"

# HookedTransformerConfig fields that are plain JSON and enough to rebuild the architecture.
_CONFIG_KEYS = (
    "n_layers",
    "d_model",
    "n_heads",
    "d_head",
    "d_mlp",
    "n_ctx",
    "d_vocab",
    "act_fn",
    "normalization_type",
    "model_name",
    "positional_embedding_type",
    "rotary_dim",
    "rotary_base",
    "rotary_adjacent_pairs",
    "n_key_value_heads",
    "gated_mlp",
    "eps",
    "attn_only",
    "default_prepend_bos",
    "original_architecture",
    "final_rms",
    "tokenizer_prepends_bos",
    "d_vocab_out",
    "use_attn_result",
    "parallel_attn_mlp",
    "seed",
)


def save_model_dir(model: Any, tokenizer: Any, path: str | Path) -> Path:
    """Write `model` (a HookedTransformer) and its tokenizer to `path`."""
    from safetensors.torch import save_file

    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    cfg = model.cfg.to_dict()
    config = {k: cfg[k] for k in _CONFIG_KEYS if k in cfg and _is_json(cfg[k])}
    (out / TL_CONFIG_FILENAME).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    state = {k: v.detach().contiguous().cpu() for k, v in model.named_parameters()}
    save_file(state, str(out / MODEL_WEIGHTS_FILENAME))
    save_tokenizer(tokenizer, out)
    return out


def save_tokenizer(tokenizer: Any, path: str | Path) -> None:
    """`save_pretrained`, then a `tokenizer_config.json` every supported transformers reads."""
    out = Path(path)
    tokenizer.save_pretrained(str(out))
    # transformers 4 also writes the special tokens here; the config below names them all.
    (out / "special_tokens_map.json").unlink(missing_ok=True)
    written = json.loads((out / TOKENIZER_CONFIG_FILENAME).read_text())
    extra = written.get("additional_special_tokens") or written.get("extra_special_tokens") or []
    if isinstance(extra, dict):
        extra = list(extra.values())
    config: dict[str, Any] = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "additional_special_tokens": list(extra),
        "clean_up_tokenization_spaces": False,
        "model_max_length": written.get("model_max_length", tokenizer.model_max_length),
    }
    for key in ("bos_token", "eos_token", "pad_token", "unk_token"):
        if isinstance(written.get(key), str):
            config[key] = written[key]
    (out / TOKENIZER_CONFIG_FILENAME).write_text(
        json.dumps(config, indent=2, sort_keys=True) + "\n"
    )


def load_model_dir(path: str | Path, device: str = "cpu", dtype: str = "float32") -> Any:
    """Rebuild the HookedTransformer saved by `save_model_dir`; no network is touched."""
    from transformer_lens import HookedTransformer

    src = Path(path)
    model = HookedTransformer(read_config(src, device, dtype), tokenizer=load_tokenizer(src))
    return load_parameters(model, src, device, dtype)


def read_config(path: str | Path, device: str = "cpu", dtype: str = "float32") -> Any:
    """The directory's `HookedTransformerConfig`, for `device` and `dtype`."""
    import torch
    from transformer_lens import HookedTransformerConfig

    config = json.loads((Path(path) / TL_CONFIG_FILENAME).read_text())
    config["device"] = device
    config["dtype"] = getattr(torch, dtype)
    return HookedTransformerConfig(**config)


def load_tokenizer(path: str | Path) -> Any:
    """The directory's tokenizer through `AutoTokenizer.from_pretrained` (transformer-lens needs
    the `name_or_path` that gives it)."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(path))


def load_parameters(
    model: Any,
    path: str | Path,
    device: str = "cpu",
    dtype: str = "float32",
    rename: Callable[[str], str] | None = None,
    not_saved: tuple[str, ...] = (),
) -> Any:
    """Load the directory's parameters into `model` (a HookedTransformer or subclass), move it to
    `device` and `dtype`, and return it in eval mode. `rename` maps saved keys for models that
    wrap modules (circuit-tracer's replacement model); parameters under the `not_saved` prefixes
    (its transcoders) are not expected in the directory."""
    import torch
    from safetensors.torch import load_file

    src = Path(path)
    state = load_file(str(src / MODEL_WEIGHTS_FILENAME), device=device)
    if rename is not None:
        state = {rename(k): v for k, v in state.items()}
    # Not strict: buffers such as attention masks are rebuilt by the constructor (and older
    # directories that still hold them are read without them). A missing parameter, though,
    # would silently leave random weights, so that is an error.
    buffers = {name for name, _ in model.named_buffers()}
    state = {k: v for k, v in state.items() if k not in buffers}
    missing, _ = model.load_state_dict(state, strict=False)
    params = {n for n, _ in model.named_parameters() if not n.startswith(not_saved)}
    if missing_params := sorted(set(missing) & params):
        raise ValueError(f"{src} lacks weights for {', '.join(missing_params[:5])}")
    # HookedTransformer.to takes one device or dtype at a time (and updates cfg to match).
    model.to(device, print_details=False)
    model.to(getattr(torch, dtype), print_details=False)
    return model.eval()


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except TypeError:
        return False
    return True
