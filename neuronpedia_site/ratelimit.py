"""Neuronpedia's rate limits: per hour, per caller, in Redis, before any view runs.

Every rule whose path matches the request counts it, each in its own bucket (so `/api/steer`
requests also count towards `/` and `/api`). Matching is by prefix of the lowercased path,
or by path component for `exact` rules, as upstream. The window slides over 60 minutes,
approximated as upstream's Upstash limiter does: the current fixed window's count plus the
previous window's count weighted by how much of it is still inside the last hour.

The caller is the user of a valid `X-Api-Key`, or else the client IP: users behind one address
do not share a budget, and made-up keys do not escape the per-IP one. Keys listed in
`HIGHER_LIMIT_API_TOKENS` get the higher table. A rejected request consumes nothing.

Answers over the limit are 429 `{endpoint, limitPerWindow, requestWindow, remainingRequests,
error, message}`; others carry `x-limit-remaining` (for the most specific rule), which is also
put into the request so views may echo it (the steer routes send it as `limit`).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from redis.commands.core import Script

from neuronpedia_site import redis_connection
from neuronpedia_site.auth import api_key_user
from neuronpedia_site.errors import error_body

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60 * 60
WINDOW_LABEL = "60 m"
KEY_PREFIX = "np:rl:"
EXEMPT_PATHS = ("/api/steer-load",)
REMAINING_HEADER = "x-limit-remaining"


@dataclass(frozen=True)
class Rule:
    path: str
    limit: int
    higher_limit: int | None = None  # for HIGHER_LIMIT_API_TOKENS; None: same as `limit`
    exact: bool = False  # match `path` and `path/...` only, not `path-suffix`

    def matches(self, path: str) -> bool:
        if self.exact:
            return path == self.path or path.startswith(self.path + "/")
        return path.startswith(self.path)


# Upstream's table (apps/webapp/middleware.ts), general rules first: the last match is the
# most specific one, whose remaining count goes into x-limit-remaining.
RULES = (
    Rule("/", 25000),
    Rule("/api", 25000),
    Rule("/api/activation/new", 1000, 3000),
    Rule("/api/explanation/search", 200, 3000),
    Rule("/api/explanation/score", 120, exact=True),
    Rule("/api/steer", 240, 1000),
    Rule("/api/search-topk-by-token", 500, 1200),
    Rule("/api/search-all", 1600),
    Rule("/api/graph/generate", 30, 320),
    Rule("/api/feature/upload-batch", 1000),
    Rule("/api/model/new", 5),
    Rule("/api/source-set/new", 10),
    Rule("/api/graph/tokenize", 300),
    Rule("/api/graph/parse-chat-prompt", 300),
)

# Checks every bucket, then counts the request in all of them, or in none when one is full.
# KEYS: current and previous window of each bucket; ARGV: weight of the previous window,
# expiry in ms, then each bucket's limit. Returns {index of the full bucket or 0, remaining}.
_SLIDING_WINDOW_LUA = """
local weight = tonumber(ARGV[1])
local remaining = -1
for i = 1, #KEYS / 2 do
  local current = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local previous = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  local limit = tonumber(ARGV[2 + i])
  local used = math.floor(previous * weight) + current
  if used >= limit then
    return {i, 0}
  end
  remaining = limit - used - 1
end
for i = 1, #KEYS / 2 do
  if redis.call('INCR', KEYS[2 * i - 1]) == 1 then
    redis.call('PEXPIRE', KEYS[2 * i - 1], ARGV[2])
  end
end
return {0, remaining}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    rule: Rule | None  # the full rule when refused, else the most specific match
    limit: int


@functools.cache
def _script() -> Script:
    return redis_connection.connection().register_script(_SLIDING_WINDOW_LUA)


def matching_rules(path: str) -> list[Rule]:
    path = path.lower()
    if path.startswith(EXEMPT_PATHS):
        return []
    return [rule for rule in RULES if rule.matches(path)]


def check(path: str, caller: str, higher: bool, now: float | None = None) -> Decision | None:
    """Count one request of `caller` to `path`; None when no rule applies."""
    rules = matching_rules(path)
    if not rules:
        return None
    now = time.time() if now is None else now
    window, offset = divmod(now, WINDOW_SECONDS)
    tier = "higher" if higher else "normal"
    keys: list[str] = []
    limits: list[int] = []
    for rule in rules:
        bucket = f"{KEY_PREFIX}{tier}:{rule.path}:{caller}"
        keys += [f"{bucket}:{int(window)}", f"{bucket}:{int(window) - 1}"]
        limits.append((rule.higher_limit or rule.limit) if higher else rule.limit)
    weight = 1 - offset / WINDOW_SECONDS
    # Run on the site's connection of the moment, not the one the script was first made on.
    full, remaining = _script()(
        keys=keys,
        args=[weight, WINDOW_SECONDS * 2000, *limits],
        client=redis_connection.connection(),
    )
    if full:
        return Decision(False, 0, rules[full - 1], limits[full - 1])
    return Decision(True, remaining, rules[-1], limits[-1])


def client_ip(request: HttpRequest) -> str:
    """The client address; behind proxies, REST_FRAMEWORK["NUM_PROXIES"] says which to trust."""
    num_proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if isinstance(num_proxies, int) and num_proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",")]
        return hops[-min(num_proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def client_ip_address(request: HttpRequest) -> str | None:
    """`client_ip` when it is an IP address, else None (a proxy on a unix socket leaves
    REMOTE_ADDR empty): django-axes keeps it in an IP address column for its login lockouts."""
    address = client_ip(request)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return None
    return address


def limited_response(decision: Decision) -> JsonResponse:
    assert decision.rule is not None
    message = (
        f"Rate limit exceeded for this endpoint. The limit for this endpoint "
        f"({decision.rule.path}) is {decision.limit} requests per {WINDOW_LABEL}."
    )
    body = error_body(
        message,
        endpoint=decision.rule.path,
        limitPerWindow=decision.limit,
        requestWindow=WINDOW_LABEL,
        remainingRequests=decision.remaining,
    )
    return JsonResponse(body, status=429)


class RateLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.ENABLE_RATE_LIMITER or request.method == "OPTIONS":
            return self.get_response(request)
        key, user = api_key_user(request)
        caller = f"user:{user.id}" if user is not None else f"ip:{client_ip(request)}"
        higher = bool(user is not None and key in settings.HIGHER_LIMIT_API_TOKENS)
        try:
            decision = check(request.path, caller, higher)
        except redis.RedisError:
            # Better unlimited than down: the API keeps answering while Redis is away.
            log.warning("Rate limiter unavailable; request let through", exc_info=True)
            decision = None
        if decision is None:
            return self.get_response(request)
        if not decision.allowed:
            return limited_response(decision)
        request.META["HTTP_X_LIMIT_REMAINING"] = str(decision.remaining)
        response = self.get_response(request)
        response[REMAINING_HEADER] = str(decision.remaining)
        return response
