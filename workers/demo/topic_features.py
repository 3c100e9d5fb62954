"""Find, for each corpus topic, the SAE feature most selective for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from jaxtyping import Float

from workers.demo.corpus import Document


@dataclass(frozen=True)
class TopicFeature:
    topic: str
    index: int
    # Mean over documents of the feature's max activation, on the topic and off it.
    on_topic_max: float
    off_topic_max: float
    # Fraction of the topic's documents on which the feature fires at all.
    coverage: float

    @property
    def selectivity(self) -> float:
        # Floored so a feature that never fires off-topic reads as 100x, not as infinity.
        return self.on_topic_max / max(self.off_topic_max, self.on_topic_max / 100, 1e-6)


@torch.no_grad()
def doc_feature_stats(
    model: Any, sae: Any, docs: Sequence[Document]
) -> tuple[Float[torch.Tensor, "docs d_sae"], Float[torch.Tensor, "docs d_sae"]]:
    """Per document, each feature's max and mean activation over the text (BOS excluded)."""
    hook = sae.cfg.metadata.hook_name
    maxes, means = [], []
    for doc in docs:
        _, cache = model.run_with_cache(doc.text, names_filter=[hook])
        feats = sae.encode(cache[hook][0, 1:])
        maxes.append(feats.max(0).values)
        means.append(feats.mean(0))
    return torch.stack(maxes), torch.stack(means)


def find_topic_features(
    model: Any, sae: Any, docs: Sequence[Document], min_coverage: float = 0.8
) -> dict[str, TopicFeature]:
    """For each topic in `docs`, the feature whose mean per-token activation is most topic-specific.

    Ranking by mean activation over all tokens (not the max) prefers features that stay on for a
    whole paragraph about the topic, i.e. a topic state rather than one keyword; those are the
    ones that pull generations toward the topic when steered. Candidates must fire on at least
    `min_coverage` of the topic's documents.
    """
    maxes, means = doc_feature_stats(model, sae, docs)
    topics = sorted({d.topic for d in docs})
    labels = [d.topic for d in docs]
    out = {}
    for topic in topics:
        on = torch.tensor([t == topic for t in labels])
        coverage = (maxes[on] > 0).float().mean(0)
        score = means[on].mean(0) - means[~on].mean(0) * 4
        score = score.masked_fill(coverage < min_coverage, float("-inf"))
        if torch.isinf(score).all():
            score = means[on].mean(0) - means[~on].mean(0) * 4
        index = int(score.argmax())
        out[topic] = TopicFeature(
            topic=topic,
            index=index,
            on_topic_max=float(maxes[on, index].mean()),
            off_topic_max=float(maxes[~on, index].mean()),
            coverage=float(coverage[index]),
        )
    return out
