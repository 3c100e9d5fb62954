"""The UMAP layout job: a source's features placed in 2-d so that features with similar
directions (or similar explanations) sit close together, stored on their Neuron rows.

1. Read one vector per feature: the SAE's decoder rows (`W_dec`, from the SAE this worker
   serves) or each feature's best explanation's local embedding.
2. Lay them out with umap-learn (cosine metric, a fixed seed, so a rerun gives the same map).
3. Write `umap_x`, `umap_y` and `umap_log_feature_sparsity` (log10 of the feature's density)
   on the source's Neuron rows in one transaction, clearing the old layout, and mark the
   Source `hasUmap`.

The job's row (features.models.UmapJob) is read again before each step: a cancelled job stops
there and writes nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone
from jaxtyping import Float

from features.models import Source, UmapJob
from workers import inference, serving

log = logging.getLogger(__name__)

MIN_POINTS = 5  # umap-learn needs a few neighbours per point
N_NEIGHBORS = 15
MIN_DIST = 0.1
SEED = 42


class UmapInputError(Exception):
    """The source has nothing (or too little) to lay out; the job fails with this message."""


@dataclass(slots=True)
class Vectors:
    """Step 1's answer: feature indexes and one row of `matrix` each."""

    indexes: list[int]
    matrix: Float[np.ndarray, "n dim"]


def run(job_id: int) -> UmapJob:
    """Run the job's steps; it ends done, failed or cancelled."""
    job = UmapJob.objects.get(pk=job_id)
    if job.state not in (UmapJob.State.QUEUED, UmapJob.State.RUNNING):
        return job
    started = time.perf_counter()
    job.state = UmapJob.State.RUNNING
    job.started_at = timezone.now()
    job.save(update_fields=["state", "started_at"])
    try:
        if not _advance(job, "reading vectors", 0.05):
            return job
        vectors = read_vectors(job)
        if not _advance(job, f"laying out {len(vectors.indexes)} features", 0.2):
            return job
        coords = layout(vectors.matrix)
        if not _advance(job, "writing", 0.9):
            return job
        if not write_layout(job, vectors.indexes, coords):
            return _reload(job)
    except Exception as exc:
        log.exception("umap job %s failed", job_id)
        return _finish(job, UmapJob.State.FAILED, started, f"{type(exc).__name__}: {exc}")
    job.points = len(vectors.indexes)
    return _finish(job, UmapJob.State.DONE, started)


def read_vectors(job: UmapJob) -> Vectors:
    if job.basis == UmapJob.Basis.EXPLANATIONS:
        found = _explanation_vectors(job.model_id, job.source_id)
    else:
        found = _decoder_vectors(job.model_id, job.source_id)
    if len(found.indexes) < MIN_POINTS:
        raise UmapInputError(
            f"{job.model_id}/{job.source_id} has {len(found.indexes)} features to lay out "
            f"by {job.basis}; UMAP needs at least {MIN_POINTS}."
        )
    return found


def _decoder_vectors(model_id: str, source_id: str) -> Vectors:
    """The decoder rows of the features that have a Neuron row (the others are never shown)."""
    served = serving.served()
    served.check_model(model_id)
    w_dec = inference.decoder_weights(served, source_id).float().cpu().numpy()
    present = [
        int(i)
        for i in _column(
            'SELECT index FROM "Neuron" WHERE "modelId" = %s AND layer = %s', [model_id, source_id]
        )
        if str(i).isdigit() and int(i) < w_dec.shape[0]
    ]
    present.sort()
    return Vectors(present, w_dec[present])


_EXPLANATION_EMBEDDINGS = """
    SELECT DISTINCT ON (e.index) e.index, ee.embedding::text
    FROM "Explanation" e JOIN "ExplanationEmbedding" ee ON ee."explanationId" = e.id
    WHERE e."modelId" = %s AND e.layer = %s
    ORDER BY e.index, e."scoreV2" DESC NULLS LAST, e."scoreV1" DESC, e.id
"""


def _explanation_vectors(model_id: str, source_id: str) -> Vectors:
    """Each feature's best explanation's embedding (the feature page's explanation order)."""
    with connection.cursor() as cursor:
        cursor.execute(_EXPLANATION_EMBEDDINGS, [model_id, source_id])
        rows = [(int(index), text) for index, text in cursor.fetchall() if str(index).isdigit()]
    rows.sort()
    if not rows:
        return Vectors([], np.zeros((0, 0), dtype=np.float32))
    matrix = np.array([np.fromstring(text.strip("[]"), sep=",") for _, text in rows])
    return Vectors([index for index, _ in rows], matrix.astype(np.float32))


def layout(matrix: Float[np.ndarray, "n dim"]) -> Float[np.ndarray, "n 2"]:
    """2-d UMAP of the rows by cosine distance, seeded (umap-learn then runs single-threaded)."""
    import umap  # noqa: PLC0415  (numba compiles on import: only jobs pay for it)

    reducer = umap.UMAP(
        n_components=2,
        n_neighbors=min(N_NEIGHBORS, len(matrix) - 1),
        min_dist=MIN_DIST,
        metric="cosine",
        random_state=SEED,
        n_jobs=1,  # what a seed implies; said here so umap-learn does not warn
    )
    return np.asarray(reducer.fit_transform(matrix), dtype=np.float64)


_CLEAR = 'UPDATE "Neuron" SET umap_x = NULL, umap_y = NULL, umap_log_feature_sparsity = NULL '
_CLEAR += 'WHERE "modelId" = %s AND layer = %s AND umap_x IS NOT NULL'
_WRITE = """
    UPDATE "Neuron" n SET umap_x = v.x, umap_y = v.y,
        umap_log_feature_sparsity = CASE WHEN n.frac_nonzero > 0
            THEN log(n.frac_nonzero::numeric)::float8 ELSE NULL END
    FROM unnest(%s::text[], %s::float8[], %s::float8[]) AS v(index, x, y)
    WHERE n."modelId" = %s AND n.layer = %s AND n.index = v.index
"""


def write_layout(job: UmapJob, indexes: list[int], coords: Float[np.ndarray, "n 2"]) -> bool:
    """Replace the source's layout in one transaction, unless the job was cancelled (then
    nothing is written and this returns False). The job row is locked while it writes, so a
    cancel either lands before (nothing written) or waits until the layout is whole."""
    with transaction.atomic():
        state = UmapJob.objects.select_for_update().values_list("state", flat=True).get(pk=job.pk)
        if state != UmapJob.State.RUNNING:
            return False
        with connection.cursor() as cursor:
            cursor.execute(_CLEAR, [job.model_id, job.source_id])
            cursor.execute(
                _WRITE,
                [
                    [str(i) for i in indexes],
                    [float(x) for x in coords[:, 0]],
                    [float(y) for y in coords[:, 1]],
                    job.model_id,
                    job.source_id,
                ],
            )
        Source.objects.filter(model_id=job.model_id, source_id=job.source_id).update(
            has_umap=True, has_umap_log_sparsity=True
        )
    return True


def _column(sql: str, params: list[Any]) -> list[Any]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _advance(job: UmapJob, step: str, progress: float) -> bool:
    """Record the next step, unless the job was cancelled meanwhile (then False)."""
    updated = UmapJob.objects.filter(pk=job.pk, state=UmapJob.State.RUNNING).update(
        step=step, progress=progress
    )
    if not updated:
        _reload(job)
        return False
    job.step, job.progress = step, progress
    return True


def _reload(job: UmapJob) -> UmapJob:
    job.refresh_from_db()
    return job


def _finish(job: UmapJob, state: str, started: float, error: str = "") -> UmapJob:
    """End the job unless it was cancelled meanwhile (a cancel wins)."""
    UmapJob.objects.filter(pk=job.pk, state=UmapJob.State.RUNNING).update(
        state=state,
        step=state,
        progress=1.0 if state == UmapJob.State.DONE else job.progress,
        points=job.points,
        error=error,
        seconds=time.perf_counter() - started,
        finished_at=timezone.now(),
    )
    log.info("umap job %s %s/%s: %s", job.pk, job.model_id, job.source_id, state)
    return _reload(job)
