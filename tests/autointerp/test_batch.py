"""The batch autointerp job: a whole source as one resumable row, within concurrency and
requests-per-minute limits, with progress and token counters; cancel and resume."""

from __future__ import annotations

import threading
import time
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from bench.fake_llm import FakeLLM, Reply
from features.models import AutointerpJob, Explanation, Source
from neuronpedia_site import llm_keys
from tests.autointerp.features import MODEL_ID, SOURCE_ID, example_tokens, example_values
from tests.support.accounts import Account
from tests.support.factories import make_activation, make_feature, make_model, make_source
from workers.autointerp import batch
from workers.autointerp.batch import RateLimiter

pytestmark = pytest.mark.django_db(transaction=True)
FEATURES = 6


@pytest.fixture
def source(config_rows: None, alice: Account) -> None:
    model = make_model(MODEL_ID)
    made = make_source(model, SOURCE_ID)
    for index in range(FEATURES):
        feature = make_feature(made, index)
        make_activation(feature, example_values(index, 5.0), example_tokens(index))
    llm_keys.save_user_key(alice.user, "OPENROUTER", "sk-good")


def run(*args: str) -> str:
    out = StringIO()
    call_command("autointerp", *args, stdout=out)
    return out.getvalue()


def new_job(*extra: str) -> str:
    return run(
        "--model", MODEL_ID, "--source", SOURCE_ID, "--type", "np_max-act",
        "--explainer-model", "gpt-4o-mini", "--user", "alice", *extra,
    )  # fmt: skip


def test_a_source_is_explained_then_resumed(llm: FakeLLM, source: None) -> None:
    in_flight = []
    lock = threading.Lock()
    current = [0]

    def slow(_request: Any) -> Reply:
        with lock:
            current[0] += 1
            in_flight.append(current[0])
        time.sleep(0.1)
        with lock:
            current[0] -= 1
        return Reply(content="Explanation: triceratops")

    llm.default = slow
    report = new_job("--concurrency", "3", "--rpm", "1000")

    job = AutointerpJob.objects.get()
    assert job.state == "done", report
    assert (job.features_total, job.features_done, job.features_skipped) == (FEATURES, FEATURES, 0)
    assert (job.requests, job.prompt_tokens, job.completion_tokens) == (6, 60, 30)
    assert Explanation.objects.filter(type_name_id="np_max-act").count() == FEATURES
    assert max(in_flight) <= 3 and max(in_flight) > 1  # concurrent, within the limit

    Explanation.objects.filter(index__in=["1", "4"]).delete()
    llm.reset()
    llm.default = lambda _r: Reply(content="Explanation: again")
    run("--resume", str(job.id))
    job.refresh_from_db()
    assert (job.features_done, job.features_skipped, job.state) == (2, 4, "done")
    assert len(llm.chats()) == 2
    assert job.requests == 8  # counted over both runs


def test_failed_features_are_counted_and_the_job_goes_on(llm: FakeLLM, source: None) -> None:
    llm.queue(*[Reply(content="Method 1 fails.")] * 3)  # feature 0: three unreadable replies
    llm.default = lambda _r: Reply(content="Explanation: ok")
    new_job("--concurrency", "1")
    job = AutointerpJob.objects.get()
    assert (job.features_done, job.features_failed, job.state) == (FEATURES - 1, 1, "done")
    assert "no usable reply" in job.error
    assert not Explanation.objects.filter(index="0").exists()


def test_an_explanation_saved_meanwhile_is_kept_not_duplicated(
    llm: FakeLLM, source: None, alice: Account
) -> None:
    def someone_saves_feature_2_first(request: Any) -> Reply:
        if " find2" in request.last_user:  # the prompt of feature 2's examples
            Explanation.objects.create(
                model_id=MODEL_ID,
                layer=SOURCE_ID,
                index="2",
                description="by hand",
                author=alice.user,
                type_name_id="np_max-act",
                explanation_model_name_id="gpt-4o-mini",
            )
            connection.close()  # this server thread's
        return Reply(content="Explanation: triceratops")

    llm.default = someone_saves_feature_2_first
    new_job("--concurrency", "3")
    job = AutointerpJob.objects.get()
    assert (job.state, job.features_done, job.features_failed) == ("done", FEATURES, 0)
    saved = Explanation.objects.filter(type_name_id="np_max-act")
    assert saved.count() == FEATURES
    assert list(saved.filter(index="2").values_list("description", flat=True)) == ["by hand"]
    assert set(saved.exclude(index="2").values_list("description", flat=True)) == {"triceratops"}


def test_a_feature_without_activations_fails_and_the_rest_are_explained(
    llm: FakeLLM, source: None
) -> None:
    make_feature(Source.objects.get(source_id=SOURCE_ID), FEATURES)  # no activations
    llm.default = lambda _r: Reply(content="Explanation: ok")
    new_job("--concurrency", "2")
    job = AutointerpJob.objects.get()
    assert (job.features_total, job.features_done, job.features_failed) == (
        FEATURES + 1,
        FEATURES,
        1,
    )
    assert job.error == "No activations found for this neuron"
    assert len(llm.chats()) == FEATURES
    assert not Explanation.objects.filter(index=str(FEATURES)).exists()


def test_a_cancelled_job_stops(llm: FakeLLM, source: None, alice: Account) -> None:
    job = AutointerpJob.objects.create(
        model_id=MODEL_ID,
        source_id=SOURCE_ID,
        explanation_type="np_max-act",
        explanation_model="gpt-4o-mini",
        user=alice.user,
    )
    run("--cancel", str(job.id))
    job.refresh_from_db()
    assert job.state == "cancelled"
    batch.run(job.id)  # a task delivered after the cancel does nothing
    assert llm.requests == [] and not Explanation.objects.exists()


def test_a_running_job_stops_between_features(llm: FakeLLM, source: None) -> None:
    def cancel_after_the_first(_request: Any) -> Reply:
        AutointerpJob.objects.update(cancel_requested=True)
        return Reply(content="Explanation: ok")

    llm.default = cancel_after_the_first
    new_job("--concurrency", "1")
    job = AutointerpJob.objects.get()
    assert job.state == "cancelled"
    assert Explanation.objects.count() < FEATURES


def test_no_key_fails_the_job(llm: FakeLLM, source: None, alice: Account) -> None:
    llm_keys.remove_user_key(alice.user, "OPENROUTER")
    new_job()
    job = AutointerpJob.objects.get()
    assert (job.state, job.error) == ("failed", llm_keys.ERROR_NO_AUTOINTERP_KEY)


def test_the_rate_limiter_never_lets_more_through_than_its_window_allows() -> None:
    limiter = RateLimiter(3, window=0.3)
    starts: list[float] = []

    def take() -> None:
        limiter.acquire()
        starts.append(time.monotonic())
        limiter.release()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    starts.sort()
    assert all(b - a >= 0.3 - 1e-3 for a, b in zip(starts, starts[3:], strict=False))
    assert starts[-1] - starts[0] >= 0.6 - 1e-3
