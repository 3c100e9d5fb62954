"""A transcoder feature as circuit-tracer's viewer reads it (`frontend/feature_models.py`:
`{transcoder_id, index, examples_quantiles, top_logits, bottom_logits, act_min, act_max,
quantile_values, histogram, activation_frequency}`), built from our Feature and Activation
rows: the viewer's feature panel shows our dashboards."""

from __future__ import annotations

from typing import Any

from features.access import get_visible_feature
from features.models import Activation
from neuronpedia_site.models import User

MAX_EXAMPLES = 20
MAX_LOGITS = 10


def feature_json(model_id: str, source_id: str, index: int, user: User | None) -> dict[str, Any]:
    """404 (features.access) for a missing or hidden feature."""
    feature = get_visible_feature(model_id, source_id, index, user)
    rows = (
        Activation.objects.filter(model_id=model_id, layer=source_id, index=str(index))
        .order_by("-max_value")
        .only("tokens", "values", "max_value", "max_value_token_index")[:MAX_EXAMPLES]
    )
    examples = [
        {
            "tokens": list(a.tokens),
            "tokens_acts_list": list(a.values),
            "train_token_ind": a.max_value_token_index,
            "is_repeated_datapoint": False,
        }
        for a in rows
    ]
    act_max = feature.max_act_approx or max((a.max_value for a in rows), default=1.0)
    return {
        "transcoder_id": source_id,
        "index": index,
        "examples_quantiles": [{"quantile_name": "Top activations", "examples": examples}],
        "top_logits": list(feature.pos_str[:MAX_LOGITS]),
        "bottom_logits": list(feature.neg_str[:MAX_LOGITS]),
        "act_min": 0.0,
        "act_max": act_max,
        "quantile_values": [],
        "histogram": list(feature.freq_hist_data_bar_heights),
        "activation_frequency": feature.frac_nonzero,
    }
