"""The UMAP layout job (workers/umap_job.py): a real worker lays a source out from its SAE's
decoder directions; near-identical directions land together. The lifecycle (cancel, resume,
failure) runs the job's function in this process over explanation embeddings."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from rest_framework.test import APIClient

from features import umap_jobs
from features.models import (
    ExplanationEmbedding,
    Feature,
    Model,
    Source,
    UmapJob,
)
from tests.support.accounts import Account
from tests.support.factories import make_explanation, make_model, make_source
from tests.support.pages import logged_in
from tests.support.tiny_models import D_SAE, build_model_dir, build_sae_root
from workers import umap_job

pytestmark = pytest.mark.django_db(transaction=True)
MODEL_ID = "tiny-demo"
SOURCE = "0-res-demo"
TWINS = list(range(12))  # features whose decoder rows are one direction plus a little noise


def _rig_twins(sae_dir: Path) -> None:
    import torch
    from sae_lens import SAE

    sae = SAE.load_from_disk(str(sae_dir), device="cpu")
    generator = torch.Generator().manual_seed(7)
    base = torch.randn(sae.W_dec.shape[1], generator=generator)
    with torch.no_grad():
        for i in TWINS:
            sae.W_dec[i] = base + 0.02 * torch.randn(base.shape, generator=generator)
    sae.save_model(str(sae_dir))


def _source_with_features(n: int) -> Model:
    model = make_model(MODEL_ID, layers=2, dimension=64)
    make_source(model, SOURCE)
    Feature.objects.bulk_create(
        Feature(model=model, layer=SOURCE, index=str(i), source_set_name="res-demo",
                frac_nonzero=0.01)
        for i in range(n)
    )  # fmt: skip
    return model


def _coords() -> dict[int, tuple[float, float]]:
    rows = Feature.objects.filter(layer=SOURCE, umap_x__isnull=False)
    return {int(f.index): (f.umap_x, f.umap_y) for f in rows}


def _mean_distance(coords: dict[int, tuple[float, float]], a: list[int], b: list[int]) -> float:
    pairs = [(i, j) for i in a for j in b if i != j]
    return sum(math.dist(coords[i], coords[j]) for i, j in pairs) / len(pairs)


def _wait_for(job: UmapJob, timeout: float = 300) -> UmapJob:
    deadline = time.monotonic() + timeout
    while job.state in umap_jobs.OPEN_STATES:
        assert time.monotonic() < deadline, f"job still {job.state} ({job.step})"
        time.sleep(0.5)
        job.refresh_from_db()
    return job


def test_a_worker_lays_out_decoder_directions_and_twins_land_together(
    tmp_path: Path, start_worker: Callable[..., object], anon: APIClient
) -> None:
    model_dir = build_model_dir(tmp_path / "tokenizer", tmp_path / "model")
    sae_root = build_sae_root(tmp_path / "saes")
    _rig_twins(sae_root / SOURCE)
    _source_with_features(D_SAE)
    start_worker(
        "--model", MODEL_ID, "--model-dir", str(model_dir), "--sae-dir", str(sae_root),
        "--device", "cpu", "--no-default-queue", wait=120,
    )  # fmt: skip
    job = umap_jobs.start(MODEL_ID, SOURCE)
    assert umap_jobs.queue_for(job) == f"inference.{MODEL_ID}"
    assert umap_jobs.start(MODEL_ID, SOURCE).pk == job.pk  # one open job per source
    job = _wait_for(job)
    assert job.state == UmapJob.State.DONE, job.error
    assert (job.points, job.progress, job.error) == (D_SAE, 1.0, "")
    assert Source.objects.get(source_id=SOURCE).has_umap
    coords = _coords()
    assert sorted(coords) == list(range(D_SAE))
    others = [i for i in range(D_SAE) if i not in TWINS]
    within, across = _mean_distance(coords, TWINS, TWINS), _mean_distance(coords, TWINS, others)
    assert within < 0.25 * across, (within, across)
    density = Feature.objects.get(layer=SOURCE, index="3").umap_log_feature_sparsity
    assert density == pytest.approx(-2.0)
    body = anon.post("/api/umap", {"modelId": MODEL_ID, "layers": [SOURCE]}, format="json")
    assert len(body.json()[SOURCE]) == D_SAE


def _embedded_clusters(per_cluster: int = 10) -> dict[str, list[int]]:
    """Three explanation topics, each a direction in embedding space plus noise."""
    rng = np.random.default_rng(3)
    clusters: dict[str, list[int]] = {}
    for c, topic in enumerate(("dinosaurs", "cooking", "music")):
        centre = rng.normal(size=384)
        for k in range(per_cluster):
            index = c * per_cluster + k
            feature = Feature.objects.get(layer=SOURCE, index=str(index))
            explanation = make_explanation(feature, f"{topic} {k}")
            vector = centre + 0.05 * rng.normal(size=384)
            ExplanationEmbedding.objects.create(
                explanation=explanation, model_id=MODEL_ID, layer=SOURCE,
                embedding=(vector / np.linalg.norm(vector)).tolist(),
            )  # fmt: skip
            clusters.setdefault(topic, []).append(index)
    return clusters


def test_a_cancelled_job_writes_nothing_and_resumes_to_done() -> None:
    _source_with_features(40)
    clusters = _embedded_clusters()
    job = umap_jobs.start(MODEL_ID, SOURCE, UmapJob.Basis.EXPLANATIONS)
    assert umap_jobs.queue_for(job) == "default"
    job = umap_jobs.cancel(job)
    assert job.state == UmapJob.State.CANCELLED
    # The message a worker would take later: the job stays cancelled, nothing is written.
    assert umap_job.run(job.pk).state == UmapJob.State.CANCELLED
    assert _coords() == {} and not Source.objects.get(source_id=SOURCE).has_umap
    with pytest.raises(umap_jobs.UmapJobError):
        umap_jobs.cancel(job)
    job = umap_jobs.resume(job)
    assert (job.state, job.progress) == (UmapJob.State.QUEUED, 0)
    job = umap_job.run(job.pk)
    assert job.state == UmapJob.State.DONE, job.error
    assert job.points == 30  # the features with an embedded explanation
    coords = _coords()
    assert sorted(coords) == list(range(30))
    dinos, cooking = clusters["dinosaurs"], clusters["cooking"]
    assert _mean_distance(coords, dinos, dinos) < 0.25 * _mean_distance(coords, dinos, cooking)
    with pytest.raises(umap_jobs.UmapJobError):
        umap_jobs.resume(job)  # done jobs do not resume


def test_a_cancel_after_the_layout_keeps_the_old_layout() -> None:
    _source_with_features(6)
    Feature.objects.filter(layer=SOURCE, index="0").update(umap_x=5.0, umap_y=5.0)
    job = UmapJob.objects.create(model_id=MODEL_ID, source_id=SOURCE, state=UmapJob.State.RUNNING)
    umap_jobs.cancel(job)
    written = umap_job.write_layout(job, [0, 1], np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert written is False
    assert _coords() == {0: (5.0, 5.0)}


def test_too_few_features_fail_the_job_with_a_reason_and_it_can_resume() -> None:
    _source_with_features(3)
    job = umap_jobs.start(MODEL_ID, SOURCE, UmapJob.Basis.EXPLANATIONS)
    job = umap_job.run(job.pk)
    assert job.state == UmapJob.State.FAILED
    assert "has 0 features to lay out by explanations" in job.error
    assert umap_jobs.resume(job).state == UmapJob.State.QUEUED


def test_unknown_sources_and_bases_are_refused() -> None:
    _source_with_features(3)
    with pytest.raises(umap_jobs.UmapJobError, match="no source"):
        umap_jobs.start(MODEL_ID, "9-res-nope")
    with pytest.raises(umap_jobs.UmapJobError, match="Unknown basis"):
        umap_jobs.start(MODEL_ID, SOURCE, "pixels")


def test_the_admin_cancels_and_resumes_jobs(admin_account: Account) -> None:
    _source_with_features(6)
    job = umap_jobs.start(MODEL_ID, SOURCE, UmapJob.Basis.EXPLANATIONS)
    client = logged_in(admin_account)
    url = "/admin/features/umapjob/"
    response = client.post(url, {"action": "cancel", "_selected_action": [job.pk]})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.state == UmapJob.State.CANCELLED
    client.post(url, {"action": "resume", "_selected_action": [job.pk]})
    job.refresh_from_db()
    assert job.state == UmapJob.State.QUEUED
    # Resuming an open job is refused with a message, not an error page.
    response = client.post(url, {"action": "resume", "_selected_action": [job.pk]}, follow=True)
    assert "only stopped jobs can resume" in response.content.decode()
