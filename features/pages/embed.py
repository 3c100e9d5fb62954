"""Embeds: a feature page in someone else's iframe (`?embed=true`), with upstream's flags.

Flags (query parameters, "true"/"false"; all but `embed` default to true, as upstream's
docs.neuronpedia.org/sparse-autoencoders/embeds):

| flag | shows |
| --- | --- |
| `embed` | the chromeless layout (no header, footer or side panels) |
| `embedexplanation` | the top explanation |
| `embedplots` | the logit tables and the density histograms |
| `embedactivations` | the top activations and subsample intervals |
| `embedtest` | "test your own text" |
| `embedtestfield` | the text box of that test (false: only the result of `defaulttesttext`) |
| `embedsteer` | a Steer button |
| `embedlink` | a link to the full page |
| `defaulttesttext` | text put in the test box (and run when the box is hidden) |

Only the embed view may be framed: `allow_framing()` lifts `X-Frame-Options` and sets
`frame-ancestors` to `EMBED_FRAME_ANCESTORS` for that one response; every other page keeps
`X-Frame-Options: DENY` and `frame-ancestors 'none'` (docs/security.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpResponse

MAX_DEFAULT_TEST_TEXT = 2000


def _flag(params: Mapping[str, str], name: str, default: bool = True) -> bool:
    value = params.get(name)
    if value is None or value == "":
        return default
    return value.lower() not in ("false", "0", "no")


@dataclass(frozen=True)
class EmbedOptions:
    on: bool = False
    explanation: bool = True
    plots: bool = True
    activations: bool = True
    test: bool = True
    test_field: bool = True
    steer: bool = True
    link: bool = True
    default_test_text: str = ""


def embed_options(params: Mapping[str, str]) -> EmbedOptions:
    return EmbedOptions(
        on=_flag(params, "embed", default=False),
        explanation=_flag(params, "embedexplanation"),
        plots=_flag(params, "embedplots"),
        activations=_flag(params, "embedactivations"),
        test=_flag(params, "embedtest"),
        test_field=_flag(params, "embedtestfield"),
        steer=_flag(params, "embedsteer"),
        link=_flag(params, "embedlink"),
        default_test_text=(params.get("defaulttesttext") or "")[:MAX_DEFAULT_TEST_TEXT],
    )


def allow_framing(response: HttpResponse) -> HttpResponse:
    """Let other sites frame this one response (the embed view)."""
    response.xframe_options_exempt = True
    response._csp_replace = {  # type: ignore[attr-defined]
        "frame-ancestors": list(settings.EMBED_FRAME_ANCESTORS)
    }
    return response
