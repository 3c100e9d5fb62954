"""What this worker process serves, configured by `run_worker` through the environment.

`run_worker` writes its model options to `NP_WORKER_*` variables (so a plain
`celery -A neuronpedia_site worker` line with the same variables behaves the same);
`config_from_env` turns them into a `RuntimeConfig`, and `served()` loads the model once per
process. The runtime
(torch, transformer-lens, sae-lens) is imported on first use, inside the worker only.

Tasks go through `answer()`, which checks the requested model id and turns an `InferenceError`
into the `{"error", "status"}` result that `bus.client.call` maps to an HTTP status.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from neuronpedia_format.demo_pack import (
    DEMO_MODEL_ID,
    MODEL_SUBDIR,
    SAES_SUBDIR,
    TRANSCODERS_SUBDIR,
    demo_model_dir,
)
from workers.errors import InferenceError, ServiceUnavailable

if TYPE_CHECKING:
    from workers.batcher import MicroBatcher
    from workers.graphs.replacement import GraphModel
    from workers.runtime import RuntimeConfig, ServedModel

log = logging.getLogger(__name__)
T = TypeVar("T")

MODEL_ENV = "NP_WORKER_MODEL"
# RuntimeConfig field -> environment variable (the model id itself is MODEL_ENV).
CONFIG_ENV = {
    "override_model_id": "NP_WORKER_OVERRIDE_MODEL",
    "model_dir": "NP_WORKER_MODEL_DIR",
    "sae_dirs": "NP_WORKER_SAE_DIR",
    "transcoder_dirs": "NP_WORKER_TRANSCODER_DIR",
    "sae_sets": "NP_WORKER_SAE_SETS",
    "include_sae": "NP_WORKER_INCLUDE_SAE",
    "exclude_sae": "NP_WORKER_EXCLUDE_SAE",
    "device": "NP_WORKER_DEVICE",
    "model_dtype": "NP_WORKER_MODEL_DTYPE",
    "sae_dtype": "NP_WORKER_SAE_DTYPE",
    "token_limit": "NP_WORKER_TOKEN_LIMIT",
    "max_loaded_saes": "NP_WORKER_MAX_LOADED_SAES",
}
BATCH_SIZE_ENV = "NP_WORKER_BATCH_SIZE"
BATCH_WAIT_ENV = "NP_WORKER_BATCH_WAIT_MS"
TORCH_THREADS_ENV = "NP_WORKER_TORCH_THREADS"
_LIST_FIELDS = ("sae_sets", "include_sae", "exclude_sae")
_INT_FIELDS = ("token_limit", "max_loaded_saes")

_lock = threading.Lock()
_served: ServedModel | None = None
_batcher: MicroBatcher[Any, Any] | None = None
_graph_model: GraphModel | None = None


# -- configuration -----------------------------------------------------------------------------


def served_model_id(environ: Mapping[str, str] | None = None) -> str | None:
    return (os.environ if environ is None else environ).get(MODEL_ENV) or None


def options_to_env(model: str, options: Mapping[str, Any]) -> dict[str, str]:
    """`NP_WORKER_*` variables for `run_worker` options named as RuntimeConfig fields.

    Lists are written as JSON arrays; unset options are left out (RuntimeConfig defaults).
    """
    env = {MODEL_ENV: model}
    for name, var in CONFIG_ENV.items():
        value = options.get(name)
        if value is None or value == []:
            continue
        env[var] = json.dumps(value) if isinstance(value, list | dict) else str(value)
    for name, var in (
        ("batch_size", BATCH_SIZE_ENV),
        ("batch_wait_ms", BATCH_WAIT_ENV),
        ("torch_threads", TORCH_THREADS_ENV),
    ):
        if options.get(name) is not None:
            env[var] = str(options[name])
    return env


def _list_value(raw: str) -> list[str]:
    """A JSON array (what run_worker writes), or comma-separated names typed by hand."""
    raw = raw.strip()
    if raw.startswith("["):
        return [str(v) for v in json.loads(raw)]
    return [part.strip() for part in raw.split(",") if part.strip()]


def _sae_dirs(raw: str) -> str | dict[str, str]:
    """One root directory, or a JSON list of roots and `SOURCE=DIR` entries (merged)."""
    raw = raw.strip()
    entries = [str(v) for v in json.loads(raw)] if raw.startswith("[") else [raw]
    if len(entries) == 1 and "=" not in entries[0]:
        return entries[0]
    from workers.sources import local_sae_dirs

    merged: dict[str, str] = {}
    for entry in entries:
        source, sep, path = entry.partition("=")
        if sep and "/" not in source:
            merged[source] = path
        else:
            merged.update({s: str(p) for s, p in local_sae_dirs(entry).items()})
    return merged


def config_from_env(
    environ: Mapping[str, str] | None = None, demo_pack_dir: Path | None = None
) -> RuntimeConfig | None:
    """The RuntimeConfig described by `NP_WORKER_*`, or None when no model is configured.

    `demo-lm` with no directories given serves the bundled demo pack
    (`{DEMO_PACK_DIR}/demo-lm/model` and `.../saes`). Raises ValueError for bad values.
    """
    from workers.runtime import RuntimeConfig

    env = os.environ if environ is None else environ
    model = served_model_id(env)
    if model is None:
        return None
    data: dict[str, Any] = {"model_id": model}
    for name, var in CONFIG_ENV.items():
        raw = env.get(var)
        if raw is None or raw == "":
            continue
        if name in _LIST_FIELDS:
            data[name] = _list_value(raw)
        elif name in _INT_FIELDS:
            try:
                data[name] = int(raw)
            except ValueError as exc:
                raise ValueError(f"{var} must be an integer, got {raw!r}") from exc
        elif name in ("sae_dirs", "transcoder_dirs"):
            data[name] = _sae_dirs(raw)
        else:
            data[name] = raw
    if model == DEMO_MODEL_ID and "model_dir" not in data and "sae_dirs" not in data:
        pack = demo_model_dir(demo_pack_dir or _demo_pack_dir())
        data["model_dir"] = str(pack / MODEL_SUBDIR)
        data["sae_dirs"] = str(pack / SAES_SUBDIR)
        if "transcoder_dirs" not in data and (pack / TRANSCODERS_SUBDIR).is_dir():
            data["transcoder_dirs"] = str(pack / TRANSCODERS_SUBDIR)
    return RuntimeConfig.from_dict(data)


def _demo_pack_dir() -> Path:
    from django.conf import settings

    return Path(settings.DEMO_PACK_DIR)


def check_config(config: RuntimeConfig) -> None:
    """Fail early, with the option to fix, on what `ServedModel` would only find while loading."""
    from workers.runtime import resolve_device

    if config.model_dir is not None:
        model_dir = Path(config.model_dir)
        if not model_dir.is_dir():
            raise ValueError(f"--model-dir {model_dir} is not a directory")
    if isinstance(config.sae_dirs, str) and not Path(config.sae_dirs).is_dir():
        raise ValueError(f"--sae-dir {config.sae_dirs} is not a directory")
    if isinstance(config.sae_dirs, dict):
        for source, path in config.sae_dirs.items():
            if not Path(path).is_dir():
                raise ValueError(f"--sae-dir for {source}: {path} is not a directory")
    if isinstance(config.transcoder_dirs, str) and not Path(config.transcoder_dirs).is_dir():
        raise ValueError(f"--transcoder-dir {config.transcoder_dirs} is not a directory")
    resolve_device(config.device)


def torch_threads(environ: Mapping[str, str] | None = None) -> int | None:
    """CPU threads torch may use per operation (None: torch's default, one per core)."""
    env = os.environ if environ is None else environ
    raw = env.get(TORCH_THREADS_ENV)
    if not raw:
        return None
    threads = int(raw)
    if threads < 1:
        raise ValueError("--torch-threads must be at least 1")
    return threads


def batch_options(environ: Mapping[str, str] | None = None) -> tuple[int, float]:
    """(max batch size, max wait in seconds) for the search-all micro-batcher."""
    from workers.batcher import DEFAULT_MAX_BATCH, DEFAULT_MAX_WAIT

    env = os.environ if environ is None else environ
    size = int(env.get(BATCH_SIZE_ENV) or DEFAULT_MAX_BATCH)
    wait_ms = float(env.get(BATCH_WAIT_ENV) or DEFAULT_MAX_WAIT * 1000)
    if size < 1 or wait_ms < 0:
        raise ValueError("--batch-size must be at least 1 and --batch-wait-ms not negative")
    return size, wait_ms / 1000


# -- the loaded model --------------------------------------------------------------------------


def load() -> ServedModel | None:
    """Load the configured model once per process (None when this worker serves no model)."""
    global _served
    with _lock:
        if _served is None:
            config = config_from_env()
            if config is None:
                return None
            from workers.runtime import ServedModel

            threads = torch_threads()
            if threads is not None:
                import torch

                # Several CPU workers on one machine (or a busy one) do better with fewer
                # threads each than with one per core fighting over the same cores.
                torch.set_num_threads(threads)
            log.info("loading model %s on %s", config.model_id, config.device)
            _served = ServedModel(config)
            _load_graph_model(config, _served.device)
            log.info(
                "serving %s with %d sources",
                config.neuronpedia_model_id,
                len(_served.served_sources()),
            )
        return _served


def _load_graph_model(config: RuntimeConfig, device: str) -> None:
    """Build circuit-tracer's replacement model when the served model has transcoders."""
    global _graph_model
    from workers.sources import local_sae_dirs

    dirs = local_sae_dirs(config.transcoder_dirs)
    if not dirs:
        return
    if config.model_dir is None:
        log.warning("transcoders are served as sources only: graphs need a --model-dir model")
        return
    from workers.graphs.replacement import load_graph_model

    _graph_model = load_graph_model(
        config.model_dir, dirs, config.neuronpedia_model_id, device, config.model_dtype
    )
    log.info("serving graphs of %s with %s", config.neuronpedia_model_id, _graph_model.source_set)


def graph_model() -> GraphModel:
    """The replacement model; 503 naming the model when it has no transcoders."""
    current = served()
    if _graph_model is None:
        raise ServiceUnavailable(
            f"No transcoders for model {current.config.neuronpedia_model_id}: "
            "this worker serves no attribution graphs"
        )
    return _graph_model


def served() -> ServedModel:
    """The loaded model; a 500-class error when this worker was started without `--model`."""
    model = load()
    if model is None:
        raise InferenceError("This worker serves no model (start it with --model)")
    return model


def search_batcher() -> MicroBatcher[Any, Any]:
    """The process's micro-batcher for search-all (`activations_all_many`)."""
    global _batcher
    with _lock:
        if _batcher is None:
            from workers import inference
            from workers.batcher import MicroBatcher

            size, wait = batch_options()
            _batcher = MicroBatcher(
                lambda requests: inference.activations_all_many(served(), requests),
                max_batch=size,
                max_wait=wait,
                name="np-search-batcher",
            )
        return _batcher


def answer(model: str, work: Callable[[ServedModel], T]) -> T | dict[str, Any]:
    """Run `work` on the served model if the request names it; errors become results.

    Returns `{"error": message, "status": code}` for an `InferenceError` (a 400 "Unsupported
    model" when `model` is not the one served), which the web side raises as that status.
    """
    try:
        current = served()
        current.check_model(model)
        return work(current)
    except InferenceError as error:
        return {"error": error.message, "status": error.status_code}


def describe() -> dict[str, Any]:
    """What the registry shows for this worker; sources are listed once the model is loaded.

    Never loads anything itself: the heartbeat thread calls it.
    """
    current = _served
    if current is None:
        return {"model_id": served_model_id(), "model_ids": [], "sources": []}
    config = current.config
    info: dict[str, Any] = {
        "model_id": config.neuronpedia_model_id,
        "model_ids": sorted(current.model_ids),
        "sources": current.served_sources(),
        "token_limit": config.token_limit,
        "device": current.device,
        "graph_source_set": _graph_model.source_set if _graph_model is not None else None,
    }
    if _batcher is not None:
        info["batching"] = _batcher.describe()
    return info
