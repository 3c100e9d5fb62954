"""Steering throughput: STEERED and DEFAULT in one batch, and what the steering hooks cost.

    python bench/steering.py [--d-model 384] [--layers 6] [--tokens 64] [--repeats 5]

A randomly initialised HookedTransformer of a size where compute matters (d_model 384, 6 layers,
a byte-level BPE vocabulary of 8192 trained on Django's own source), on the CPU, nothing
downloaded. Prints:

1. Latency of one steering request generating STEERED and DEFAULT together
   (`workers.steer.steer_completion`, one batch of 2) against two sequential bare
   `workers.generation.generate` calls (batch of 1, no hooks), and against two TransformerLens
   `HookedTransformer.generate` calls (what a server running the types one after the other
   does). Goal: batched <= 0.65x the two bare calls.
2. Tokens per second of one row with the steering hooks on (STEERED only) and off (DEFAULT only,
   the same code path without hooks). Goal: with hooks >= 0.9x without.

Every run generates exactly `--tokens` tokens (the tokenizer has no EOS). The variants run
interleaved, round after round (every other round in reverse order) after one warm-up round, and
each one's median is reported: on a shared machine the load drifts, and interleaving lets every
variant see the same drift.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # so `python bench/steering.py` finds the project, as `-m` does

PROMPT = (
    "Steering adds a feature's decoder direction to the residual stream at every position, "
    "so the model keeps talking about that feature while it generates."
)


def build_tokenizer(directory: Path, vocab_size: int) -> Any:
    """A byte-level BPE trained on Django's source files, saved and loaded back (a
    HookedTransformer needs a tokenizer loaded from a directory). No EOS: runs never stop early."""
    import django
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    files = sorted(Path(django.__file__).parent.rglob("*.py"))[:400]
    texts = [f.read_text(errors="ignore") for f in files]
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<|bos|>", "<|pad|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(texts, trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token="<|bos|>", pad_token="<|pad|>"
    )
    fast.save_pretrained(str(directory))
    return AutoTokenizer.from_pretrained(str(directory))


def build_served(args: argparse.Namespace, workdir: Path) -> Any:
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    from workers.runtime import RuntimeConfig, ServedModel

    tokenizer = build_tokenizer(workdir / "tokenizer", args.vocab)
    cfg = HookedTransformerConfig(
        n_layers=args.layers,
        d_model=args.d_model,
        n_heads=args.d_model // 64,
        d_head=64,
        d_mlp=4 * args.d_model,
        n_ctx=512,
        d_vocab=len(tokenizer),
        act_fn="gelu",
        normalization_type="LN",
        model_name="bench-lm",
        seed=0,
        device="cpu",
    )
    model = HookedTransformer(cfg, tokenizer=tokenizer).eval()
    (workdir / "saes").mkdir()
    config = RuntimeConfig(model_id="bench-lm", sae_dirs=str(workdir / "saes"), device="cpu")
    return ServedModel(config, model=model)


def timed(runs: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median seconds of each run over `repeats` interleaved rounds, after a warm-up round."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(repeats + 1):
        # Every other round runs backwards, so no variant always follows the same neighbour.
        order = list(runs.items())[:: -1 if round_ % 2 else 1]
        for name, run in order:
            start = time.perf_counter()
            run()
            if round_:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--d-model", type=int, default=384)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--vocab", type=int, default=8192)
    parser.add_argument("--tokens", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (1 suits a small shared box)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from bus.steering import SteerSettings
    from workers import steer
    from workers.generation import generate
    from workers.inference import encode_text, with_bos_text

    with tempfile.TemporaryDirectory() as tmp:
        served = build_served(args, Path(tmp))
    model = served.model
    n = args.tokens
    layer = args.layers // 2
    vector = torch.randn(args.d_model, generator=torch.Generator().manual_seed(0))
    vectors = [
        {
            "steering_vector": (vector / vector.norm()).tolist(),
            "strength": 8.0,
            "hook": f"blocks.{layer}.hook_resid_pre",
        }
    ]
    prompt_ids = encode_text(served, with_bos_text(served, PROMPT), prepend_bos=False)
    settings = SteerSettings(n_tokens=n, temperature=1.0, seed=0, freq_penalty=0.0)

    def batched() -> None:
        out = steer.steer_completion(served, PROMPT, vectors=vectors, settings=settings)
        assert len(out["outputs"]) == 2

    def bare_generate() -> None:
        rows = generate(
            model, prompt_ids, 1, max_new_tokens=n, temperature=1.0, freq_penalty=0.0, seed=0
        )
        assert len(rows[0].tokens) == n

    def two_bare() -> None:
        bare_generate()
        bare_generate()

    tokens = torch.tensor([prompt_ids])

    def two_transformer_lens() -> None:
        for _ in range(2):
            torch.manual_seed(0)
            model.generate(
                tokens, max_new_tokens=n, temperature=1.0, stop_at_eos=False, verbose=False
            )

    def steered_only() -> None:
        steer.steer_completion(
            served, PROMPT, vectors=vectors, types=["STEERED"], settings=settings
        )

    def default_only() -> None:
        steer.steer_completion(
            served, PROMPT, vectors=vectors, types=["DEFAULT"], settings=settings
        )

    with torch.inference_mode():
        t = timed(
            {
                "batched": batched,
                "bare": two_bare,
                "tl": two_transformer_lens,
                "steered": steered_only,
                "default": default_only,
            },
            args.repeats,
        )
    t_batched, t_bare, t_tl, t_steered, t_default = (
        t[k] for k in ("batched", "bare", "tl", "steered", "default")
    )

    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"model: {args.layers} layers, d_model {args.d_model}, vocab {model.cfg.d_vocab}, "
        f"{n_params / 1e6:.1f}M parameters; prompt {len(prompt_ids)} tokens, {n} new tokens; "
        f"cpu, {torch.get_num_threads()} threads; median of {args.repeats}"
    )
    print()
    print("1. STEERED + DEFAULT")
    print(f"   one batched steering call        {t_batched * 1000:8.1f} ms")
    print(f"   two sequential bare generate()   {t_bare * 1000:8.1f} ms")
    print(f"   two TransformerLens generate()   {t_tl * 1000:8.1f} ms")
    ratio = t_batched / t_bare
    verdict = "ok" if ratio <= 0.65 else "MISSED"
    print(f"   batched / two bare = {ratio:.2f}x  (goal <= 0.65x: {verdict})")
    print(f"   batched / two TransformerLens = {t_batched / t_tl:.2f}x")
    print()
    print("2. Throughput of one row, steering hooks on vs off")
    with_hooks, without = n / t_steered, n / t_default
    print(f"   with hooks (STEERED)      {with_hooks:8.1f} tokens/s")
    print(f"   without hooks (DEFAULT)   {without:8.1f} tokens/s")
    verdict = "ok" if with_hooks / without >= 0.9 else "MISSED"
    print(f"   with / without = {with_hooks / without:.2f}x  (goal >= 0.9x: {verdict})")


if __name__ == "__main__":
    main()
