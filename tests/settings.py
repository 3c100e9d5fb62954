"""Test settings: the same services as the app, but Redis database 15, so a test run never
touches the broker queues or caches of a running `make run`."""

from __future__ import annotations

from neuronpedia_site.services import celery_broker_url, redis_url_with_db
from neuronpedia_site.settings import *  # noqa: F403
from neuronpedia_site.settings import CELERY_IMPORTS, REDIS_URL

REDIS_URL = redis_url_with_db(REDIS_URL, 15)
CELERY_BROKER_URL = celery_broker_url(REDIS_URL)
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The limiter is off by default (as upstream); the tests run with it on, as a deployment would.
ENABLE_RATE_LIMITER = True
# The /v1 contract is closed without a secret; the tests run as a deployment that set one.
INFERENCE_SECRET = "test-inference-secret"
# Workers the tests start also register the test-only tasks.
CELERY_IMPORTS = [*CELERY_IMPORTS, "tests.support.tasks"]
