"""The model a GPU/CPU worker serves: its configuration and the loaded model with its SAEs.

`RuntimeConfig` is the worker's settings as a dataclass (the Celery side builds it from env through
`from_dict`). `ServedModel` holds one HookedTransformer plus a bounded LRU of SAEs keyed by
Neuronpedia source id; SAEs load lazily on first use, from a local `save_model` directory or, for
real models only, from the sae-lens pretrained registry (which needs the HF hub).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuronpedia_format.sources import NEURONS_SET, source_set_of
from workers import sources
from workers.errors import BadRequest, UnknownSource

DEVICES = ("auto", "cuda", "mps", "cpu")
DTYPES = ("float32", "float16", "bfloat16")


@dataclass
class RuntimeConfig:
    """Settings of one model worker.

    Args:
        model_id: TransformerLens model name (`gpt2-small`) or the id of a local demo model.
        override_model_id: the Neuronpedia model id when it differs from `model_id`; requests
            may name either.
        model_dir: a directory written by `workers.model_dir.save_model_dir`; when unset the model
            comes from `HookedTransformer.from_pretrained_no_processing(model_id)` (needs the
            HF hub or its cache).
        sae_sets: source sets to serve (`["res-jb"]`); empty serves every local SAE.
        include_sae / exclude_sae: regexes (`re.search`) on source ids to keep / drop.
        sae_dirs: mapping source id -> SAE dir, or a root directory holding `{source_id}/cfg.json`
            and `{source_id}/sae_weights.safetensors`.
        transcoder_dirs: the same for per-layer transcoders (sae-lens `Transcoder`s reading
            `blocks.L.hook_resid_mid`, writing `blocks.L.hook_mlp_out`, one per layer, all of one
            source set). They are served as sources like SAEs and, for a `model_dir` model, make
            the worker build circuit-tracer's replacement model for attribution graphs.
        device: `auto` picks cuda, then mps, then cpu.
        model_dtype / sae_dtype: torch dtype names.
        token_limit: longest prompt accepted, in tokens.
        max_loaded_saes: SAEs kept in memory; the least recently used is dropped beyond this.
    """

    model_id: str
    override_model_id: str | None = None
    model_dir: str | None = None
    sae_sets: list[str] = field(default_factory=list)
    include_sae: list[str] = field(default_factory=list)
    exclude_sae: list[str] = field(default_factory=list)
    sae_dirs: str | dict[str, str] | None = None
    transcoder_dirs: str | dict[str, str] | None = None
    device: str = "auto"
    model_dtype: str = "float32"
    sae_dtype: str = "float32"
    token_limit: int = 200
    max_loaded_saes: int = 300

    def __post_init__(self) -> None:
        if not self.model_id:
            raise ValueError("model_id is required")
        if self.device not in DEVICES:
            raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        for name in ("model_dtype", "sae_dtype"):
            value = getattr(self, name)
            if value not in DTYPES:
                raise ValueError(f"{name} must be one of {', '.join(DTYPES)}, got {value!r}")
        if self.token_limit < 1:
            raise ValueError(f"token_limit must be a positive integer, got {self.token_limit}")
        if self.max_loaded_saes < 1:
            raise ValueError(
                f"max_loaded_saes must be a positive integer, got {self.max_loaded_saes}"
            )
        if isinstance(self.sae_dirs, Path):
            self.sae_dirs = str(self.sae_dirs)
        if isinstance(self.transcoder_dirs, Path):
            self.transcoder_dirs = str(self.transcoder_dirs)
        if isinstance(self.model_dir, Path):
            self.model_dir = str(self.model_dir)

    @property
    def neuronpedia_model_id(self) -> str:
        return self.override_model_id or self.model_id

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RuntimeConfig:
        """Build from a dict, dropping keys this version does not know (older/newer configs)."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def resolve_device(device: str) -> str:
    """`auto` -> the best available of cuda, mps, cpu; other names are checked for availability."""
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' requested but torch sees no CUDA device")
    if device == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device 'mps' requested but torch sees no MPS device")
    return device


@dataclass
class _SourceEntry:
    source: str
    sae_dir: Path | None = None  # local directory, or None for a registry SAE
    release: tuple[str, str] | None = None  # (release, sae_id) in the sae-lens registry
    hook_name: str | None = None  # known up front for local SAEs and neuron sources
    d_sae: int | None = None


class ServedModel:
    """One HookedTransformer and the SAEs served with it.

    `lock` serialises model access: hooks and the KV cache are per-model state, so two threads
    must never run a forward pass at once (the inference and steering functions take it).
    """

    def __init__(self, config: RuntimeConfig, model: Any = None) -> None:
        self.config = config
        self.device = resolve_device(config.device)
        self.model = model if model is not None else self._load_model()
        self.tokenizer = self.model.tokenizer
        self.lock = threading.RLock()
        self._sources = self._discover_sources()
        self._saes: OrderedDict[str, Any] = OrderedDict()
        self.sae_loads = 0  # count of disk/registry loads; eviction tests read it

    # -- model ---------------------------------------------------------------------------------

    def _load_model(self) -> Any:
        if self.config.model_dir:
            from workers.model_dir import load_model_dir

            return load_model_dir(
                self.config.model_dir, device=self.device, dtype=self.config.model_dtype
            )
        import torch
        from transformer_lens import HookedTransformer

        return HookedTransformer.from_pretrained_no_processing(
            self.config.model_id,
            device=self.device,
            dtype=getattr(torch, self.config.model_dtype),
        ).eval()

    @property
    def model_ids(self) -> set[str]:
        return {m for m in (self.config.model_id, self.config.override_model_id) if m}

    def check_model(self, model_id: str) -> None:
        """Reject requests addressed to another model, as the Neuronpedia server does."""
        if model_id not in self.model_ids:
            raise BadRequest("Unsupported model")

    @property
    def uses_bos(self) -> bool:
        """Whether prompts get a BOS token: the tokenizer has one and the model expects it."""
        return bool(self.tokenizer.bos_token) and bool(self.model.cfg.default_prepend_bos)

    # -- sources -------------------------------------------------------------------------------

    def _discover_sources(self) -> dict[str, _SourceEntry]:
        cfg = self.config
        entries: dict[str, _SourceEntry] = {}
        local = sources.local_sae_dirs(cfg.sae_dirs) | sources.local_sae_dirs(cfg.transcoder_dirs)
        for source, path in local.items():
            meta = sources.read_sae_cfg(path)
            entries[source] = _SourceEntry(
                source, sae_dir=path, hook_name=meta["hook_name"], d_sae=meta["d_sae"]
            )
        wanted_sets = [s for s in cfg.sae_sets if s != NEURONS_SET]
        if wanted_sets and cfg.model_dir is None:
            # Registry SAEs only make sense for real models (`model_dir` models are our own).
            for source, release in sources.pretrained_sources(
                cfg.neuronpedia_model_id, wanted_sets
            ).items():
                entries.setdefault(source, _SourceEntry(source, release=release))
        if NEURONS_SET in cfg.sae_sets and self.model.cfg.d_mlp:
            for layer in range(self.model.cfg.n_layers):
                hook = f"blocks.{layer}.mlp.hook_post"
                entries[str(layer)] = _SourceEntry(
                    str(layer), hook_name=hook, d_sae=self.model.cfg.d_mlp
                )
        kept = sources.select_sources(entries, cfg.sae_sets, cfg.include_sae, cfg.exclude_sae)
        return {source: entries[source] for source in kept}

    def has_source(self, source: str) -> bool:
        return source in self._sources

    def source_sets(self) -> list[str]:
        return sorted({source_set_of(s) for s in self._sources})

    def sources_in_set(self, source_set: str) -> list[str]:
        """Source ids of `source_set`, by layer; 404 when this worker serves none of it."""
        found = [s for s in self._sources if source_set_of(s) == source_set]
        if not found:
            raise UnknownSource(f"Invalid source set: {source_set}")
        return found

    def served_sources(self) -> list[dict[str, Any]]:
        """`[{source, source_set, hook_name, d_sae}]`; registry SAEs show None until loaded."""
        return [
            {
                "source": entry.source,
                "source_set": source_set_of(entry.source),
                "hook_name": entry.hook_name,
                "d_sae": entry.d_sae,
            }
            for entry in self._sources.values()
        ]

    def is_neurons(self, source: str) -> bool:
        return self._entry(source).sae_dir is None and self._entry(source).release is None

    def hook_name(self, source: str) -> str:
        entry = self._entry(source)
        if entry.hook_name is None:
            self.get_sae(source)  # a registry SAE: its hook is only known once loaded
        assert entry.hook_name is not None
        return entry.hook_name

    def d_sae(self, source: str) -> int:
        entry = self._entry(source)
        if entry.d_sae is None:
            self.get_sae(source)
        assert entry.d_sae is not None
        return entry.d_sae

    def _entry(self, source: str) -> _SourceEntry:
        entry = self._sources.get(source)
        if entry is None:
            raise UnknownSource(f"Source not found: {source}")
        return entry

    # -- SAEs ----------------------------------------------------------------------------------

    def get_sae(self, source: str) -> Any:
        """The SAE of `source`, loading it (and evicting the least recently used) when needed.

        Neuron sources have no SAE; callers check `is_neurons` first.
        """
        entry = self._entry(source)
        if entry.sae_dir is None and entry.release is None:
            raise BadRequest(f"Source {source} is an MLP-neuron source and has no SAE")
        sae = self._saes.get(source)
        if sae is not None:
            self._saes.move_to_end(source)
            return sae
        sae = self._load_sae(entry)
        self._saes[source] = sae
        while len(self._saes) > self.config.max_loaded_saes:
            self._saes.popitem(last=False)
        return sae

    def loaded_saes(self) -> list[str]:
        """Source ids currently in memory, least recently used first."""
        return list(self._saes)

    def _load_sae(self, entry: _SourceEntry) -> Any:
        from sae_lens import SAE

        if entry.sae_dir is not None:
            sae = SAE.load_from_disk(
                str(entry.sae_dir), device=self.device, dtype=self.config.sae_dtype
            )
        else:
            assert entry.release is not None
            release, sae_id = entry.release
            sae = SAE.from_pretrained(release, sae_id, device=self.device)
            sae = sae.to(dtype=_torch_dtype(self.config.sae_dtype))
        self.sae_loads += 1
        entry.hook_name = sae.cfg.metadata.hook_name
        entry.d_sae = int(sae.cfg.d_sae)
        return sae.eval()


def _torch_dtype(name: str) -> Any:
    import torch

    return getattr(torch, name)
