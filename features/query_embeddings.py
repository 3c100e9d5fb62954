"""The query's embeddings for explanation search, each as pgvector's text form ('[...]').

- local: all-MiniLM-L6-v2 on a worker (queue `embed`); the web process never loads torch, so
  it sends the query by name and waits at most `EXPLANATION_EMBED_TIMEOUT` seconds.
- openai: `text-embedding-3-large` at 256 dims from the OpenAI-compatible endpoint the
  operator configured (`EXPLANATION_EMBEDDINGS_BASE_URL`), comparable with the embeddings
  imported from Neuronpedia's exports.

Both are cached (Redis) by query text: paging through results asks for the same query again.
A failure is an `EmbeddingUnavailable` whose message says why; search then goes on without.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache

from bus import client, task_names
from bus.errors import WorkerError

CACHE_SECONDS = 24 * 3600
OPENAI_MODEL = "text-embedding-3-large"
OPENAI_DIMENSIONS = 256  # the imported Explanation.embedding column's


class EmbeddingUnavailable(Exception):
    pass


def _cache_key(kind: str, query: str) -> str:
    return f"np:query-embedding:{kind}:{hashlib.sha256(query.encode()).hexdigest()}"


def _literal(values: list[float]) -> str:
    return "[" + ",".join(repr(float(x)) for x in values) + "]"


class PendingLocal:
    """A local embedding on its way: from the cache at once, or from a worker that is computing
    it while the caller does other work (search runs its full-text query meanwhile)."""

    def __init__(self, query: str) -> None:
        self.key = _cache_key("local", query)
        self._literal: str | None = None
        self._call: client.PendingCall | None = None
        self._error: EmbeddingUnavailable | None = None
        cached = cache.get(self.key)
        if cached is not None:
            self._literal = str(cached)
            return
        try:
            self._call = client.begin(
                task_names.EMBED_QUERY,
                {"text": query},
                queue=client.EMBED_QUEUE,
                timeout=settings.EXPLANATION_EMBED_TIMEOUT,
            )
        except WorkerError as exc:
            self._error = EmbeddingUnavailable(exc.message)

    def get(self) -> str:
        """The embedding in pgvector's text form; `EmbeddingUnavailable` says why not."""
        if self._literal is not None:
            return self._literal
        if self._error is not None:
            raise self._error
        assert self._call is not None
        try:
            answer = self._call.result()
        except WorkerError as exc:
            self._error = EmbeddingUnavailable(exc.message)
            raise self._error from exc
        self._literal = _literal(answer["embedding"])
        cache.set(self.key, self._literal, CACHE_SECONDS)
        return self._literal


def start_local(query: str) -> PendingLocal:
    """Ask for the query's local embedding without waiting for it (`PendingLocal.get`)."""
    return PendingLocal(query)


def openai_configured() -> bool:
    return bool(settings.EXPLANATION_EMBEDDINGS_BASE_URL)


def openai(query: str) -> str:
    """The query's `text-embedding-3-large` embedding (256 dims) from the configured endpoint."""
    key = _cache_key("openai", query)
    cached = cache.get(key)
    if cached is not None:
        return str(cached)
    import openai as openai_client

    api = openai_client.OpenAI(
        base_url=settings.EXPLANATION_EMBEDDINGS_BASE_URL,
        api_key=settings.EXPLANATION_EMBEDDINGS_API_KEY or "unset",
        timeout=settings.EXPLANATION_EMBED_TIMEOUT,
        max_retries=0,
    )
    try:
        # encoding_format="float": the client would otherwise ask for base64 and decode it
        # with numpy, which the web process does not load.
        answer = api.embeddings.create(
            model=OPENAI_MODEL,
            input=query,
            dimensions=OPENAI_DIMENSIONS,
            encoding_format="float",
        )
    except openai_client.OpenAIError as exc:
        raise EmbeddingUnavailable(f"The embeddings endpoint failed: {exc}") from exc
    values = list(answer.data[0].embedding)
    if len(values) != OPENAI_DIMENSIONS:
        raise EmbeddingUnavailable(
            f"The embeddings endpoint answered {len(values)} dimensions, not {OPENAI_DIMENSIONS}."
        )
    literal = _literal(values)
    cache.set(key, literal, CACHE_SECONDS)
    return literal
