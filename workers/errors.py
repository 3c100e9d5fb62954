"""Errors raised by the model runtime, each carrying the HTTP status the web side should answer.

Tasks answer through `workers.serving.answer`, which turns an `InferenceError` into the result
`{"error": message, "status": status_code}`; `bus.client.call` raises that on the web side as a
`WorkerError` with the same status. Nothing here knows about Django or DRF.
"""

from __future__ import annotations


class InferenceError(Exception):
    """Base class: an error the caller can show to the user."""

    status_code = 500
    default_code = "inference_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, object]:
        return {"error": self.message, "code": self.default_code, "status_code": self.status_code}


class BadRequest(InferenceError):
    """The request itself is invalid (wrong shape, out-of-range values)."""

    status_code = 400
    default_code = "bad_request"


class TokenLimitExceeded(BadRequest):
    """The prompt tokenizes to more than the configured `token_limit`."""

    default_code = "token_limit_exceeded"

    def __init__(self, n_tokens: int, limit: int) -> None:
        super().__init__(f"Text too long: {n_tokens} tokens, max is {limit}")
        self.n_tokens = n_tokens
        self.limit = limit


class ServiceUnavailable(InferenceError):
    """This worker cannot do what was asked (e.g. a model without transcoders and a graph)."""

    status_code = 503
    default_code = "service_unavailable"


class NotFound(InferenceError):
    """The request names something this worker does not serve."""

    status_code = 404
    default_code = "not_found"


class UnknownSource(NotFound):
    default_code = "unknown_source"


class UnknownFeature(NotFound):
    default_code = "unknown_feature"
