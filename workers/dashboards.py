"""Dashboards generated in-house: one job from a model + SAE + corpus to Neuronpedia export files.

Neuronpedia needs SAEDashboard, its converter and an S3 upload for this; here it is one call:

1. Load the model and the SAE through `ServedModel` (the runtime's own loading path) and the
   corpus (the demo generator, or a text / JSONL file), and cut the documents into rows of at
   most `context_size` tokens, each led by BOS when the model uses one.
2. Stream the rows through the model in batches of about `batch_tokens` tokens (longest rows
   first, so the padding is small), encode them with the SAE and fold each batch into
   `FeatureStats` (top examples, quantile-binned examples, density, histograms). The state is
   checkpointed every `checkpoint_seconds`, so a killed job continues where it stopped.
3. Compute what needs only the weights: top and bottom logits (W_dec @ W_U), the logit
   histogram, decoder-cosine neighbours.
4. Write the export (`neuronpedia_format.layout`):
   `v1/{model}/{source}/{model,sourceset,source[,release]}.jsonl`,
   `features/`, `activations/` and `explanations/` batches of 1024 features, and the config rows
   of the explanation type and model. `importer.local_export` loads that directory into the
   database through the importer.

`manage.py generate_dashboards` (and `build_demo_model`) call `generate_dashboards` here.
"""

from __future__ import annotations

import dataclasses
import datetime
import gc
import gzip
import hashlib
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from jaxtyping import Bool, Float, Int
from tqdm import tqdm

from neuronpedia_format import export as fmt
from neuronpedia_format import layout
from neuronpedia_format.sources import source_set_of
from neuronpedia_format.users import BOT_USER_ID
from workers import inference, max_act_explainer
from workers.dashboard_stats import Example, FeatureStats, StatsConfig
from workers.runtime import RuntimeConfig, ServedModel

logger = logging.getLogger(__name__)

DEMO_CORPUS = "demo"
DEMO_CORPUS_DOCS = 20_000
STATE_DIR = ".dashboards"  # under the output root, next to v1/: checkpoint and completion record
CHECKPOINT_FILE = "checkpoint.pt"
DONE_FILE = "done.json"
LOGIT_CHUNK = 256  # features per W_dec @ W_U block: bounds memory for 256k-token vocabularies
STREAM_CHUNK_ROWS = 2000  # activation rows per chunk handed to the compressing thread


def _demo_lexicon() -> dict[str, frozenset[str]]:
    from workers.demo.corpus import TOPIC_WORDS

    return dict(TOPIC_WORDS)


# Named word lists the explainer may label features with (see max_act_explainer.explain).
LEXICONS: dict[str, Callable[[], dict[str, frozenset[str]]]] = {"demo-topics": _demo_lexicon}


@dataclass
class DashboardConfig:
    """One dashboards job.

    Args:
        source: the Neuronpedia source id of the SAE, e.g. `1-res-demo`.
        out: output root; files go to `{out}/v1/{model}/{source}/` and `{out}/v1/config/`.
        sae_dir: the SAE, as written by `SAE.save_model` (cfg.json + sae_weights.safetensors).
        model_dir: a `workers.model_dir` directory; unset: `model_id` from TransformerLens.
        model_id: the Neuronpedia model id; default: the model directory's model name.
        corpus: `demo` (the demo corpus generator) or a file: `.jsonl`/`.jsonl.gz` with one
            `{"text": ...}` object (or JSON string) per line, or plain text, one document per
            non-empty line.
        corpus_seed / max_docs / max_tokens: the demo corpus seed; limits on documents/tokens.
        context_size: tokens per row (BOS included); longer documents are cut into several rows.
        batch_tokens: about this many token slots go through the model at once.
        n_top: top examples per feature; n_bins / per_bin: quantile intervals (a power of two) and
            random examples kept in each; hist_bars: activation histogram resolution.
        context_before / context_after: tokens around an example's token in its window.
        n_logits / logit_hist_bars / n_cos_sim: top and bottom logits, logit histogram bars,
            decoder-cosine neighbours (the feature itself first, as Neuronpedia stores them).
        seed: seeds the random choice of quantile examples.
        checkpoint_seconds: how often the scan state is saved (0: after every batch).
        created_at: ISO time written in the rows; default now (the demo pins it so a rebuild
            gives the same bytes).
        visibility / inference_enabled / model_display_name / default_source_id /
            set_description / creator_name / release_name / release_description / instruct:
            what the Model, SourceSet, Source and SourceRelease rows say.
        lexicon: a name in LEXICONS whose word groups label explanations.
        force: regenerate even when the output is complete for the same inputs.
    """

    source: str
    out: str
    sae_dir: str
    model_dir: str | None = None
    model_id: str | None = None
    corpus: str = DEMO_CORPUS
    corpus_seed: int = 7
    max_docs: int | None = None
    max_tokens: int | None = None
    context_size: int = 128
    batch_tokens: int = 8192
    n_top: int = 20
    n_bins: int = 8
    per_bin: int = 5
    hist_bars: int = 64
    context_before: int = 48
    context_after: int = 15
    n_logits: int = 10
    logit_hist_bars: int = 40
    n_cos_sim: int = 25
    device: str = "auto"
    model_dtype: str = "float32"
    sae_dtype: str = "float32"
    seed: int = 0
    checkpoint_seconds: float = 30.0
    created_at: str | None = None
    visibility: str = "PUBLIC"
    inference_enabled: bool = True
    instruct: bool = False
    model_display_name: str | None = None
    default_source_id: str | None = None
    set_description: str = ""
    creator_name: str = ""
    release_name: str | None = None
    release_description: str = ""
    lexicon: str | None = None
    force: bool = False

    def __post_init__(self) -> None:
        for name in ("model_dir", "sae_dir", "out", "corpus"):
            value = getattr(self, name)
            if isinstance(value, Path):
                setattr(self, name, str(value))
        if self.visibility not in ("PUBLIC", "UNLISTED", "PRIVATE"):
            raise ValueError(f"visibility must be PUBLIC, UNLISTED or PRIVATE: {self.visibility}")
        if self.context_size < 2:
            raise ValueError("context_size must be at least 2")
        if self.lexicon is not None and self.lexicon not in LEXICONS:
            raise ValueError(f"lexicon must be one of {', '.join(LEXICONS)}, got {self.lexicon}")
        self.stats_config(1)  # validates the statistics settings

    def stats_config(self, d_sae: int) -> StatsConfig:
        return StatsConfig(
            d_sae=d_sae,
            n_top=self.n_top,
            n_bins=self.n_bins,
            per_bin=self.per_bin,
            hist_bars=self.hist_bars,
            context_before=self.context_before,
            context_after=self.context_after,
        )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DashboardConfig:
        """Build from a dict, dropping keys this version does not know."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class DashboardResult:
    model_id: str
    source: str
    out: str
    features: int
    alive_features: int
    activations: int
    explanations: int
    rows: int
    tokens: int
    scan_seconds: float = 0.0
    seconds: float = 0.0
    resumed_at_batch: int = 0
    skipped: bool = False

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.scan_seconds if self.scan_seconds else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "tokens_per_second": round(self.tokens_per_second, 1)}


# --- corpus -------------------------------------------------------------------------------------


@dataclass
class Corpus:
    label: str  # written as the Source's `dataset` and the activations' `dataSource`
    texts: list[str]


def load_corpus(spec: str, seed: int = 7, max_docs: int | None = None) -> Corpus:
    """The documents of `spec`: `demo`, or a `.jsonl[.gz]` / text file (see DashboardConfig)."""
    if spec == DEMO_CORPUS:
        from workers.demo.corpus import generate_corpus

        n_docs = max_docs or DEMO_CORPUS_DOCS
        docs = generate_corpus(seed, n_docs)
        return Corpus(f"demo-corpus(seed={seed},docs={n_docs})", [d.text for d in docs])
    path = Path(spec)
    if not path.is_file():
        raise ValueError(f"corpus must be '{DEMO_CORPUS}' or an existing file, got {spec!r}")
    texts: list[str] = []
    for text in _file_documents(path):
        if text.strip():
            texts.append(text)
        if max_docs and len(texts) >= max_docs:
            break
    if not texts:
        raise ValueError(f"{path}: no documents")
    return Corpus(path.name, texts)


def _file_documents(path: Path) -> Iterator[str]:
    name = path.name
    if name.endswith((".jsonl", ".jsonl.gz")):
        opener: Any = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                item = json.loads(line)
                if isinstance(item, dict):
                    item = item.get("text")
                if not isinstance(item, str):
                    raise ValueError(f"{path}: line {number} has no text")
                yield item
    else:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                yield line.rstrip("\n")


@dataclass
class CorpusRows:
    """Token rows, stored flat: row i is `tokens[offsets[i]:offsets[i + 1]]`."""

    tokens: Int[torch.Tensor, " n"]
    offsets: Int[torch.Tensor, " rows_plus_one"]
    docs: Int[torch.Tensor, " rows"]  # document index of each row
    chunks: Int[torch.Tensor, " rows"]  # which piece of its document the row is
    has_bos: bool  # rows start with a BOS that is not part of the text

    @property
    def n_rows(self) -> int:
        return len(self.docs)

    @property
    def lengths(self) -> Int[torch.Tensor, " rows"]:
        return self.offsets[1:] - self.offsets[:-1]

    @property
    def n_tokens(self) -> int:
        """Text tokens (BOS excluded): what density and tokens/s count."""
        return int(self.offsets[-1]) - (self.n_rows if self.has_bos else 0)

    def row(self, i: int) -> list[int]:
        return self.tokens[int(self.offsets[i]) : int(self.offsets[i + 1])].tolist()

    def data_index(self, i: int) -> str:
        doc, chunk = int(self.docs[i]), int(self.chunks[i])
        return str(doc) if chunk == 0 else f"{doc}:{chunk}"

    def digest(self) -> str:
        h = hashlib.sha256()
        for t in (self.tokens, self.offsets, self.docs, self.chunks):
            h.update(t.numpy().tobytes())
        h.update(b"bos" if self.has_bos else b"nobos")
        return h.hexdigest()


def tokenize_corpus(
    tokenizer: Any,
    texts: list[str],
    context_size: int,
    bos_id: int | None,
    max_tokens: int | None = None,
) -> CorpusRows:
    """Cut each document into rows of at most `context_size` tokens, BOS first when given."""
    width = context_size - (1 if bos_id is not None else 0)
    flat: list[int] = []
    offsets = [0]
    docs: list[int] = []
    chunks: list[int] = []
    n_text = 0
    for start in range(0, len(texts), 1024):
        batch = texts[start : start + 1024]
        encoded = tokenizer(batch, add_special_tokens=False)["input_ids"]
        for j, ids in enumerate(encoded):
            for chunk, at in enumerate(range(0, len(ids), width)):
                piece = ids[at : at + width]
                if bos_id is not None:
                    flat.append(bos_id)
                flat.extend(piece)
                offsets.append(len(flat))
                docs.append(start + j)
                chunks.append(chunk)
                n_text += len(piece)
                if max_tokens and n_text >= max_tokens:
                    return _rows(flat, offsets, docs, chunks, bos_id)
    if not docs:
        raise ValueError("the corpus has no tokens")
    return _rows(flat, offsets, docs, chunks, bos_id)


def _rows(
    flat: list[int], offsets: list[int], docs: list[int], chunks: list[int], bos_id: int | None
) -> CorpusRows:
    return CorpusRows(
        tokens=torch.tensor(flat, dtype=torch.int32),
        offsets=torch.tensor(offsets, dtype=torch.long),
        docs=torch.tensor(docs, dtype=torch.long),
        chunks=torch.tensor(chunks, dtype=torch.long),
        has_bos=bos_id is not None,
    )


def plan_batches(rows: CorpusRows, batch_tokens: int) -> list[Int[torch.Tensor, " batch"]]:
    """Row ids per batch: longest rows first, each batch within `batch_tokens` padded slots."""
    lengths = rows.lengths
    order = torch.argsort(lengths, descending=True, stable=True)
    batches = []
    start = 0
    while start < len(order):
        longest = int(lengths[order[start]])
        size = max(1, batch_tokens // max(longest, 1))
        batches.append(order[start : start + size])
        start += size
    return batches


# --- the job ------------------------------------------------------------------------------------


def load_served(config: DashboardConfig) -> ServedModel:
    """The model and SAE of `config`, loaded the way a worker loads them."""
    model_id = config.model_id or _model_name(config)
    runtime = RuntimeConfig(
        model_id=model_id,
        model_dir=config.model_dir,
        sae_dirs={config.source: config.sae_dir},
        device=config.device,
        model_dtype=config.model_dtype,
        sae_dtype=config.sae_dtype,
        token_limit=config.context_size,
    )
    return ServedModel(runtime)


def _model_name(config: DashboardConfig) -> str:
    if config.model_dir:
        from workers.model_dir import TL_CONFIG_FILENAME

        tl_config = json.loads((Path(config.model_dir) / TL_CONFIG_FILENAME).read_text())
        if tl_config.get("model_name"):
            return str(tl_config["model_name"])
    metadata = json.loads((Path(config.sae_dir) / "cfg.json").read_text()).get("metadata") or {}
    if metadata.get("model_name"):
        return str(metadata["model_name"])
    raise ValueError("give model_id: neither the model directory nor the SAE names the model")


def corpus_rows(served: ServedModel, config: DashboardConfig) -> tuple[Corpus, CorpusRows]:
    context_size = min(config.context_size, int(served.model.cfg.n_ctx))
    corpus = load_corpus(config.corpus, config.corpus_seed, config.max_docs)
    bos = served.tokenizer.bos_token_id if _prepends_bos(served, config.source) else None
    rows = tokenize_corpus(served.tokenizer, corpus.texts, context_size, bos, config.max_tokens)
    return corpus, rows


def _prepends_bos(served: ServedModel, source: str) -> bool:
    """BOS as the activation endpoints use it: when the model or the SAE's training did."""
    if served.tokenizer.bos_token_id is None:
        return False
    sae = served.get_sae(source)
    return served.uses_bos or bool(getattr(sae.cfg.metadata, "prepend_bos", False))


@torch.no_grad()
def encode_batch(
    served: ServedModel, source: str, rows: CorpusRows, ids: Int[torch.Tensor, " batch"]
) -> tuple[
    Float[torch.Tensor, "batch pos d_sae"],
    Int[torch.Tensor, "batch pos"],
    Bool[torch.Tensor, "batch pos"],
]:
    """SAE activations of rows `ids` (right-padded), their tokens, and which positions are text."""
    token_rows = [rows.row(int(i)) for i in ids]
    hook = served.hook_name(source)
    with served.lock:
        cache = inference.run_hooks(served, token_rows, {hook})
        feats = inference.encode(served, source, cache[hook])
    lengths = rows.lengths[ids].to(feats.device)
    width = feats.shape[1]
    valid = torch.arange(width, device=feats.device)[None, :] < lengths[:, None]
    if rows.has_bos:
        valid[:, 0] = False
    tokens = torch.zeros(len(token_rows), width, dtype=torch.long)
    for i, row in enumerate(token_rows):
        tokens[i, : len(row)] = torch.tensor(row)
    return feats, tokens.to(feats.device), valid


def generate_dashboards(
    config: DashboardConfig,
    served: ServedModel | None = None,
    progress: bool = True,
    on_batch: Callable[[int, int], None] | None = None,
) -> DashboardResult:
    """Run the job of `config` (see the module docstring); resumes from its checkpoint.

    `served` reuses an already loaded model that serves `config.source`; `on_batch(done, total)`
    is called after every batch.
    """
    started = time.monotonic()
    served = served or load_served(config)
    model_id = config.model_id or served.config.neuronpedia_model_id
    sae = served.get_sae(config.source)
    d_sae = int(sae.cfg.d_sae)
    corpus, rows = corpus_rows(served, config)
    fingerprint = _fingerprint(config, model_id, rows)
    state_dir = Path(config.out) / STATE_DIR / model_id / config.source
    done_path = state_dir / DONE_FILE
    export_dir = layout.source_dir(config.out, model_id, config.source)
    if not config.force and done_path.exists() and export_dir.is_dir():
        done = json.loads(done_path.read_text())
        if done.get("fingerprint") == fingerprint:
            logger.info("dashboards %s/%s are complete; nothing to do", model_id, config.source)
            return DashboardResult(**done["result"], skipped=True)

    stats = FeatureStats(config.stats_config(d_sae), device=str(served.device), seed=config.seed)
    batches = plan_batches(rows, config.batch_tokens)
    checkpoint = state_dir / CHECKPOINT_FILE
    first = _resume(checkpoint, fingerprint, stats) if not config.force else 0
    lengths = rows.lengths - (1 if rows.has_bos else 0)
    done_tokens = sum(int(lengths[b].sum()) for b in batches[:first])
    scan_started = time.monotonic()
    last_save = scan_started

    def _after_batch(number: int) -> None:
        nonlocal last_save
        bar.update(int(lengths[batches[number]].sum()))
        now = time.monotonic()
        if number + 1 == len(batches) or now - last_save >= config.checkpoint_seconds:
            _save_checkpoint(checkpoint, fingerprint, stats, number + 1)
            last_save = now
        if on_batch is not None:
            on_batch(number + 1, len(batches))

    # The statistics of batch N are updated on a thread while this one runs the model on batch
    # N+1: torch releases the GIL in its kernels, so the two overlap on a spare core (one
    # thread applies the updates, in order, so the result is the same as in series). When
    # torch's threads already fill every core, or on a GPU, the updates run in series.
    beside = _update_beside_forward(served)
    with (
        tqdm(
            total=rows.n_tokens,
            initial=done_tokens,
            unit="tok",
            unit_scale=True,
            desc=f"{model_id}/{config.source}",
            disable=not progress,
        ) as bar,
        ThreadPoolExecutor(1, thread_name_prefix="dashboard-stats") as updater,
    ):
        pending: Future[None] | None = None
        for number in range(first, len(batches)):
            ids = batches[number]
            feats, tokens, valid = encode_batch(served, config.source, rows, ids)
            if pending is not None:
                pending.result()
                _after_batch(number - 1)
            if beside:
                pending = updater.submit(stats.update, feats, tokens, valid, ids.to(feats.device))
            else:
                stats.update(feats, tokens, valid, ids.to(feats.device))
                _after_batch(number)
        if pending is not None:
            pending.result()
            _after_batch(len(batches) - 1)
    scan_seconds = time.monotonic() - scan_started

    counts = write_export(config, served, model_id, corpus, rows, stats)
    result = DashboardResult(
        model_id=model_id,
        source=config.source,
        out=str(config.out),
        features=d_sae,
        rows=rows.n_rows,
        tokens=rows.n_tokens,
        scan_seconds=round(scan_seconds, 3),
        seconds=round(time.monotonic() - started, 3),
        resumed_at_batch=first,
        alive_features=counts["alive_features"],
        activations=counts["activations"],
        explanations=counts["explanations"],
    )
    record = {
        "fingerprint": fingerprint,
        "corpus": corpus.label,
        "inputs": _input_digests(config),
        # timings are left out so the record of a rebuild that changed nothing is identical
        "result": {**dataclasses.asdict(result), "scan_seconds": 0.0, "seconds": 0.0},
    }
    assert isinstance(record["result"], dict)
    record["result"] = {
        **{k: v for k, v in record["result"].items() if k != "skipped"},
        "resumed_at_batch": 0,
    }
    done_path.parent.mkdir(parents=True, exist_ok=True)
    done_path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    checkpoint.unlink(missing_ok=True)
    logger.info("dashboards %s/%s written: %s", model_id, config.source, result.to_dict())
    return result


def _update_beside_forward(served: ServedModel) -> bool:
    """Whether a second thread can update the statistics without slowing the forward pass: on
    the CPU when torch leaves a core free. On a GPU both threads would spend their time
    launching small kernels under the one interpreter lock (on an H200: scan 0.61x of the bare
    pass with the thread, 0.67x in series), so the update runs in series there."""
    if served.device != "cpu":
        return False
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return torch.get_num_threads() < (cores or 1)


def bare_pass(
    served: ServedModel, source: str, rows: CorpusRows, batch_tokens: int
) -> tuple[int, float]:
    """Forward + encode over `rows` with nothing else: (text tokens, seconds). For benchmarks."""
    started = time.monotonic()
    for ids in plan_batches(rows, batch_tokens):
        encode_batch(served, source, rows, ids)
    synchronize(served)
    return rows.n_tokens, time.monotonic() - started


def synchronize(served: ServedModel) -> None:
    """Wait for the device's queued kernels (CUDA runs behind the Python loop), so a timing
    counts the work and not only its launches. For benchmarks."""
    if served.device == "cuda":
        torch.cuda.synchronize()


def _resume(checkpoint: Path, fingerprint: str, stats: FeatureStats) -> int:
    """Load the checkpoint into `stats` and return the next batch, or 0 for a fresh start."""
    if not checkpoint.exists():
        return 0
    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    if state.get("fingerprint") != fingerprint:
        logger.warning("ignoring %s: it belongs to other inputs or settings", checkpoint)
        return 0
    stats.load_state_dict(state["stats"])
    logger.info("resuming dashboards at batch %d from %s", state["next_batch"], checkpoint)
    return int(state["next_batch"])


def _save_checkpoint(path: Path, fingerprint: str, stats: FeatureStats, next_batch: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(
        {"fingerprint": fingerprint, "next_batch": next_batch, "stats": stats.state_dict()}, tmp
    )
    tmp.replace(path)  # a kill mid-save leaves the previous checkpoint intact


def _fingerprint(config: DashboardConfig, model_id: str, rows: CorpusRows) -> str:
    """What the output depends on: settings, the model and SAE files, the corpus tokens."""
    ignored = {"out", "force", "checkpoint_seconds", "device", "model_dir", "sae_dir"}
    settings = {k: v for k, v in config.to_dict().items() if k not in ignored}
    payload = {
        "settings": settings,
        "model_id": model_id,
        "inputs": _input_digests(config),
        "corpus": rows.digest(),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _input_digests(config: DashboardConfig) -> dict[str, str]:
    files = {"sae": Path(config.sae_dir) / "sae_weights.safetensors"}
    if config.model_dir:
        from workers.model_dir import MODEL_WEIGHTS_FILENAME

        files["model"] = Path(config.model_dir) / MODEL_WEIGHTS_FILENAME
    return {name: file_digest(path) for name, path in files.items()}


def file_digest(path: Path, edge: int = 1 << 20) -> str:
    """sha256 of the size, first and last MiB of a file: cheap identity for multi-GB weights."""
    h = hashlib.sha256()
    size = path.stat().st_size
    h.update(str(size).encode())
    with path.open("rb") as f:
        h.update(f.read(edge))
        if size > edge:
            f.seek(max(edge, size - edge))
            h.update(f.read(edge))
    return h.hexdigest()


# --- weights-only tables ----------------------------------------------------------------------


@dataclass
class WeightTables:
    pos_ids: list[list[int]] = field(default_factory=list)
    pos_values: list[list[float]] = field(default_factory=list)
    neg_ids: list[list[int]] = field(default_factory=list)
    neg_values: list[list[float]] = field(default_factory=list)
    logit_hist_values: list[list[float]] = field(default_factory=list)
    logit_hist_heights: list[list[int]] = field(default_factory=list)
    cos_indices: list[list[int]] = field(default_factory=list)
    cos_values: list[list[float]] = field(default_factory=list)


@torch.no_grad()
def weight_tables(served: ServedModel, sae: Any, config: DashboardConfig) -> WeightTables:
    """Per feature: top/bottom logits of W_dec @ W_U, their histogram, decoder-cosine top-k."""
    w_dec = sae.W_dec.detach().float()
    w_u = served.model.W_U.detach().float().to(w_dec.device)
    n_feats, n_vocab = w_dec.shape[0], w_u.shape[1]
    k = min(config.n_logits, n_vocab)
    bars = config.logit_hist_bars
    unit = torch.nn.functional.normalize(w_dec, dim=-1)
    n_cos = min(config.n_cos_sim, n_feats)
    out = WeightTables()
    for start in range(0, n_feats, LOGIT_CHUNK):
        block = slice(start, min(start + LOGIT_CHUNK, n_feats))
        logits = w_dec[block] @ w_u
        top = logits.topk(k, dim=-1)
        bottom = logits.topk(k, dim=-1, largest=False)
        out.pos_ids += top.indices.tolist()
        out.pos_values += top.values.tolist()
        out.neg_ids += bottom.indices.tolist()
        out.neg_values += bottom.values.tolist()
        low = logits.min(-1, keepdim=True).values
        width = ((logits.max(-1, keepdim=True).values - low) / bars).clamp(min=1e-12)
        bar = ((logits - low) / width).long().clamp(0, bars - 1)
        offsets = torch.arange(len(logits), device=logits.device)[:, None] * bars
        heights = torch.bincount((bar + offsets).flatten(), minlength=len(logits) * bars)
        out.logit_hist_heights += heights.view(-1, bars).tolist()
        centres = low + width * (torch.arange(bars, device=logits.device)[None, :] + 0.5)
        out.logit_hist_values += centres.tolist()
        sims = unit[block] @ unit.T
        # the feature itself first (Neuronpedia's lists start with it), even if a twin ties it
        rows = torch.arange(len(sims), device=sims.device)
        sims[rows, rows + start] = 2.0
        near = sims.topk(n_cos, dim=-1)
        values = near.values
        values[:, 0] = 1.0
        out.cos_indices += near.indices.tolist()
        out.cos_values += values.tolist()
    return out


# --- writing ------------------------------------------------------------------------------------


def _now_iso() -> str:
    now = datetime.datetime.now(datetime.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _id(prefix: str, *parts: object) -> str:
    """A stable 25-character row id (the shape of Neuronpedia's cuids), so re-imports of the
    same export meet their earlier rows instead of duplicating them."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()
    return prefix + digest[:24]


def _r(value: float, places: int = 3) -> float:
    return round(float(value), places)


class _TokenText:
    """Token id -> its text as `to_str_tokens` shows it, decoded once per id."""

    def __init__(self, tokenizer: Any) -> None:
        self.tokenizer = tokenizer
        self.cache: dict[int, str] = {}

    def prime(self, ids: set[int]) -> None:
        todo = sorted(i for i in ids if i not in self.cache)
        if todo:
            texts = self.tokenizer.batch_decode(
                [[i] for i in todo], clean_up_tokenization_spaces=False
            )
            self.cache.update(zip(todo, texts, strict=True))

    def __call__(self, ids: list[int]) -> list[str]:
        return [self.cache[i] for i in ids]


def write_export(
    config: DashboardConfig,
    served: ServedModel,
    model_id: str,
    corpus: Corpus,
    rows: CorpusRows,
    stats: FeatureStats,
) -> dict[str, int]:
    """Write every file of the export; returns the row counts for the result."""
    source = config.source
    sae = served.get_sae(source)
    tables = weight_tables(served, sae, config)
    created = config.created_at or _now_iso()
    base = layout.source_dir(config.out, model_id, source)
    set_name = source_set_of(source)
    text = _TokenText(served.tokenizer)
    n_feats = int(sae.cfg.d_sae)
    tops = stats.top_examples(decimals=3)
    bins = stats.quantile_bins(decimals=3)
    needed = {t for ids in (*tables.pos_ids, *tables.neg_ids) for t in ids}
    text.prime(needed | stats.token_ids())

    meta = _metadata_rows(config, served, sae, model_id, corpus, rows, created)
    for name, row in meta.items():
        fmt.write_jsonl(base / name, [row])
    fmt.merge_config_rows(
        layout.config_dir(config.out) / layout.EXPLANATION_TYPE_FILE,
        [max_act_explainer.explanation_type_row(BOT_USER_ID, created)],
    )
    fmt.merge_config_rows(
        layout.config_dir(config.out) / layout.EXPLANATION_MODEL_TYPE_FILE,
        [max_act_explainer.explanation_model_type_row(created)],
    )

    token_probs = _token_probs(rows, int(served.model.cfg.d_vocab))
    maxima = stats.max_values()
    density = stats.frac_nonzero()
    lexicon = LEXICONS[config.lexicon]() if config.lexicon else None
    counts = {"alive_features": 0, "activations": 0, "explanations": 0}
    # compression and file writes on a thread, beside the building of the next rows
    with fmt.BackgroundWriter() as writer, _gc_paused():
        for number in range(layout.batch_of_feature(n_feats - 1) + 1):
            indices = range(
                number * layout.FEATURES_PER_BATCH,
                min((number + 1) * layout.FEATURES_PER_BATCH, n_feats),
            )
            name = layout.batch_name(number)
            features: list[dict[str, Any]] = []
            activations: list[dict[str, Any]] = []
            explanations: list[dict[str, Any]] = []
            # the activations, the bulk of the export, are compressed in chunks as they are built
            with fmt.JsonlStream(base / "activations" / name) as stream:
                for i in indices:
                    if len(activations) >= STREAM_CHUNK_ROWS:
                        stream.add(activations)
                        activations = []
                    key = {"modelId": model_id, "layer": source, "index": str(i)}
                    hist_values, hist_heights = stats.histogram(i)
                    features.append(
                        {
                            **key,
                            "creatorId": BOT_USER_ID,
                            "createdAt": created,
                            "sourceSetName": set_name,
                            "maxActApprox": _r(maxima[i]),
                            "hasVector": False,
                            "vector": [],
                            "vectorLabel": None,
                            "vectorDefaultSteerStrength": None,
                            "hookName": None,
                            "frac_nonzero": density[i],
                            "freq_hist_data_bar_values": [_r(v) for v in hist_values],
                            "freq_hist_data_bar_heights": hist_heights,
                            "logits_hist_data_bar_values": [
                                _r(v) for v in tables.logit_hist_values[i]
                            ],
                            "logits_hist_data_bar_heights": tables.logit_hist_heights[i],
                            "pos_str": text(tables.pos_ids[i]),
                            "pos_values": [_r(v) for v in tables.pos_values[i]],
                            "neg_str": text(tables.neg_ids[i]),
                            "neg_values": [_r(v) for v in tables.neg_values[i]],
                            "topkCosSimIndices": tables.cos_indices[i],
                            "topkCosSimValues": [_r(v, 4) for v in tables.cos_values[i]],
                            "neuron_alignment_indices": [],
                            "neuron_alignment_values": [],
                            "neuron_alignment_l1": [],
                            "correlated_neurons_indices": [],
                            "correlated_neurons_pearson": [],
                            "correlated_neurons_l1": [],
                            "correlated_features_indices": [],
                            "correlated_features_pearson": [],
                            "correlated_features_l1": [],
                            "decoder_weights_dist": [],
                        }
                    )
                    if not tops[i]:
                        continue
                    counts["alive_features"] += 1
                    top_value = _r(maxima[i])
                    for rank, example in enumerate(tops[i]):
                        activations.append(
                            _activation_row(
                                key, example, rows, corpus, text, created,
                                _id("a", model_id, source, i, "top", rank), -1.0, top_value, -1.0,
                            )
                        )  # fmt: skip
                    for feature_bin in bins[i]:
                        low = _r(feature_bin.low, 6)
                        for slot, example in enumerate(feature_bin.examples):
                            activations.append(
                                _activation_row(
                                    key, example, rows, corpus, text, created,
                                    _id("a", model_id, source, i, "bin", low, slot),
                                    _r(feature_bin.low), _r(feature_bin.high), feature_bin.contains,
                                )
                            )  # fmt: skip
                    by_id = _token_scores(tops[i], token_probs)
                    scores = list(zip(text(list(by_id)), by_id.values(), strict=True))
                    shown = [*tops[i], *(e for b in bins[i] for e in b.examples)]
                    contexts = [(max(e.values), text(e.token_ids)) for e in shown]
                    explanations.append(
                        {
                            **key,
                            "id": _id("e", model_id, source, i, max_act_explainer.EXPLANATION_TYPE),
                            "authorId": BOT_USER_ID,
                            "description": max_act_explainer.explain(
                                scores, features[-1]["pos_str"], lexicon, examples=contexts
                            ),
                            "embedding": None,
                            "typeName": max_act_explainer.EXPLANATION_TYPE,
                            "explanationModelName": max_act_explainer.EXPLANATION_MODEL,
                            "umap_x": None,
                            "umap_y": None,
                            "umap_cluster": None,
                            "umap_log_feature_sparsity": None,
                        }
                    )
                stream.add(activations)
            counts["activations"] += stream.count
            writer.write(base / "features" / name, features)
            counts["explanations"] += writer.write(base / "explanations" / name, explanations)
    return counts


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while the export's rows are built: they are ~100k
    lists and dicts without cycles, and every collection they trigger would also walk each
    object torch and transformers hold (a third of the export's time on the demo). Reference
    counting still frees everything; the collector resumes at the end."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _token_probs(rows: CorpusRows, n_vocab: int) -> list[float]:
    """How often each token id occurs in the corpus text (BOS excluded), as a fraction."""
    tokens = rows.tokens.long()
    if rows.has_bos:
        text = torch.ones_like(tokens, dtype=torch.bool).index_fill_(0, rows.offsets[:-1], False)
        tokens = tokens[text]
    return (torch.bincount(tokens, minlength=n_vocab).double() / max(len(tokens), 1)).tolist()


def _token_scores(
    examples: list[Example], probs: list[float], min_weight: float = 2.0
) -> dict[int, float]:
    """Which tokens a feature's top examples are about, for the explainer: token -> score.

    Each firing position counts with its activation relative to its example's max. A token's
    score is its lift, log(observed / expected), where `expected` is what its corpus frequency
    predicts for that much weight: a token the feature fires on far more often than it occurs
    in text ("triceratops" for a dinosaur feature) outranks one that is merely common ("the"),
    however often the feature peaks on the latter. Tokens with less than `min_weight` are left
    out (one stray rare word would otherwise top the list), unless no token has that much.
    """
    observed: dict[int, float] = {}
    total = 0.0
    for example in examples:
        peak = max(example.values)
        if peak <= 0:
            continue
        for token, value in zip(example.token_ids, example.values, strict=True):
            if value > 0:
                weight = value / peak
                observed[token] = observed.get(token, 0.0) + weight
                total += weight
    if not observed:
        return {}
    floor = min(min_weight, max(observed.values()))
    return {
        token: math.log(seen / (max(probs[token], 1e-9) * total))
        for token, seen in observed.items()
        if seen >= floor and seen > probs[token] * total
    }


def _activation_row(
    key: dict[str, str],
    example: Example,
    rows: CorpusRows,
    corpus: Corpus,
    text: _TokenText,
    created: str,
    row_id: str,
    bin_min: float,
    bin_max: float,
    bin_contains: float,
) -> dict[str, Any]:
    values = example.values  # already rounded
    top = max(values)
    return {
        "id": row_id,
        **key,
        "creatorId": BOT_USER_ID,
        "createdAt": created,
        "dataSource": corpus.label,
        "dataIndex": rows.data_index(example.row),
        "tokens": text(example.token_ids),
        "values": values,
        "maxValue": top,
        "maxValueTokenIndex": values.index(top),
        "minValue": min(values),
        # the token that put the example in its group: its max, or the bin's sampled token
        "qualifyingTokenIndex": example.focus,
        "binMin": bin_min,
        "binMax": bin_max,
        "binContains": bin_contains,
        "dfaValues": [],
        "dfaMaxValue": None,
        "dfaTargetIndex": None,
        "lossValues": [],
        "logitContributions": None,
    }


def _metadata_rows(
    config: DashboardConfig,
    served: ServedModel,
    sae: Any,
    model_id: str,
    corpus: Corpus,
    rows: CorpusRows,
    created: str,
) -> dict[str, dict[str, Any]]:
    """model.jsonl, sourceset.jsonl, source.jsonl and (with a release name) release.jsonl."""
    cfg = served.model.cfg
    source = config.source
    set_name = source_set_of(source)
    hook = sae.cfg.metadata.hook_name
    sae_config = json.loads((Path(config.sae_dir) / "cfg.json").read_text())
    out: dict[str, dict[str, Any]] = {}
    if config.release_name:
        out[layout.RELEASE_FILE] = {
            "name": config.release_name,
            "description": config.release_description,
            "descriptionShort": config.release_description,
            "creatorName": config.creator_name,
            "creatorNameShort": config.creator_name,
            "creatorId": BOT_USER_ID,
            "creatorEmail": None,
            "visibility": config.visibility,
            "isNewUi": False,
            "featured": False,
            "urls": [],
            "defaultSourceSetName": set_name,
            "defaultSourceId": config.default_source_id,
            "defaultUmapSourceIds": [],
            "createdAt": created,
        }
    out[layout.MODEL_FILE] = {
        "id": model_id,
        "displayNameShort": model_id,
        "displayName": config.model_display_name or model_id,
        "creatorId": BOT_USER_ID,
        "tlensId": served.config.model_id,
        "dimension": int(cfg.d_model),
        "instruct": config.instruct,
        "visibility": config.visibility,
        "defaultSourceSetName": set_name,
        "defaultSourceId": config.default_source_id,
        "inferenceEnabled": config.inference_enabled,
        "layers": int(cfg.n_layers),
        "neuronsPerLayer": int(cfg.d_mlp or 0),
        "owner": config.creator_name,
        "website": None,
        "createdAt": created,
        "updatedAt": created,
    }
    out[layout.SOURCESET_FILE] = {
        "modelId": model_id,
        "name": set_name,
        "creatorId": BOT_USER_ID,
        "creatorName": config.creator_name,
        "creatorEmail": None,
        "description": config.set_description or f"SAE on {hook}",
        "type": hook.rsplit(".", 1)[-1].removeprefix("hook_"),
        "urls": [],
        "releaseName": config.release_name,
        "visibility": config.visibility,
        "hasDashboards": True,
        "defaultOfModelId": None,
        # context shown around the max token: the whole window the examples were cut with
        "defaultRange": config.context_before,
        "defaultShowBreaks": True,
        "showDfa": False,
        "showCorrelated": False,
        "showHeadAttribution": False,
        "showUmap": False,
        "createdAt": created,
    }
    out[layout.SOURCE_FILE] = {
        "id": source,
        "modelId": model_id,
        "setName": set_name,
        "creatorId": BOT_USER_ID,
        "visibility": config.visibility,
        "hasDashboards": True,
        "inferenceEnabled": config.inference_enabled,
        "inferenceHosts": [],
        "saelensConfig": sae_config,
        "saelensRelease": None,
        "saelensSaeId": None,
        "hfRepoId": None,
        "hfFolderId": None,
        "defaultOfModelId": model_id if config.default_source_id == source else None,
        "hasUmap": False,
        "hasUmapLogSparsity": False,
        "hasUmapClusters": False,
        "num_prompts": rows.n_rows,
        "num_tokens_in_prompt": min(config.context_size, int(cfg.n_ctx)),
        "dataset": corpus.label,
        "notes": (
            f"Dashboards generated in-house (generate_dashboards) from {rows.n_tokens} tokens "
            f"in {rows.n_rows} rows of {corpus.label}."
        ),
        "createdAt": created,
    }
    return out
