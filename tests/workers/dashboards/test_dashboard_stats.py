"""The streaming statistics against a brute-force computation over the same activations."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from workers.dashboard_stats import FeatureStats, StatsConfig

D_SAE = 24
POS = 20


def _batches(n: int, seed: int = 0) -> list[tuple[torch.Tensor, ...]]:
    """Sparse non-negative activations whose scale grows over the batches (so bins merge)."""
    gen = torch.Generator().manual_seed(seed)
    out = []
    for i in range(n):
        raw = torch.randn(6, POS, D_SAE, generator=gen) * (1 + i) * torch.linspace(0.2, 3, D_SAE)
        values, where = raw.topk(4, dim=-1)
        feats = torch.zeros_like(raw).scatter(-1, where, values.relu())
        tokens = torch.randint(3, 500, (6, POS), generator=gen)
        lengths = torch.randint(5, POS + 1, (6,), generator=gen)
        valid = torch.arange(POS)[None, :] < lengths[:, None]
        valid[:, 0] = False  # BOS
        feats[:, 0] += 50.0  # a huge BOS activation that must never count
        rows = torch.arange(i * 6, i * 6 + 6)
        out.append((feats, tokens, valid, rows))
    return list(out)


def _run(batches: list[tuple[torch.Tensor, ...]], cfg: StatsConfig) -> FeatureStats:
    stats = FeatureStats(cfg, seed=3)
    for batch in batches:
        stats.update(*batch)
    return stats


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    batches = _batches(8)
    cfg = StatsConfig(d_sae=D_SAE, n_top=5, n_bins=4, per_bin=3, hist_bars=16,
                      context_before=4, context_after=2)  # fmt: skip
    feats = torch.cat([b[0] * b[2][..., None] for b in batches])
    return {
        "batches": batches,
        "cfg": cfg,
        "stats": _run(batches, cfg),
        "feats": feats,  # zero outside valid tokens
        "tokens": torch.cat([b[1] for b in batches]),
        "valid": torch.cat([b[2] for b in batches]),
    }


def test_density_and_max_match_a_direct_count(data: dict[str, Any]) -> None:
    stats, feats, valid = data["stats"], data["feats"], data["valid"]
    assert stats.n_tokens == int(valid.sum())
    fired = (feats > 0).sum((0, 1))
    assert stats.frac_nonzero() == pytest.approx((fired / valid.sum()).tolist())
    assert stats.max_values() == pytest.approx(feats.amax((0, 1)).tolist())


def test_top_examples_are_the_rows_with_the_highest_max(data: dict[str, Any]) -> None:
    stats, feats, tokens, valid = data["stats"], data["feats"], data["tokens"], data["valid"]
    row_max = feats.amax(1)  # [rows, d_sae]
    tops = stats.top_examples()
    for f in range(D_SAE):
        expected = [r for r in row_max[:, f].argsort(descending=True, stable=True).tolist()
                    if row_max[r, f] > 0][:5]  # fmt: skip
        assert [e.row for e in tops[f]] == expected
        for e in tops[f]:
            # the window is a contiguous run of the row's text around its max
            length = len(e.token_ids)
            row = tokens[e.row].tolist()
            starts = [s for s in range(1, POS - length + 1) if row[s : s + length] == e.token_ids
                      and bool(valid[e.row, s : s + length].all())]  # fmt: skip
            assert starts, (f, e)
            start = starts[0]
            assert e.values == pytest.approx(feats[e.row, start : start + length, f].tolist())
            assert e.values[e.focus] == pytest.approx(float(row_max[e.row, f]))
            assert length == min(7, int(valid[e.row].sum()))


def test_histogram_and_bins_count_every_firing_token(data: dict[str, Any]) -> None:
    stats, feats = data["stats"], data["feats"]
    all_bins = stats.quantile_bins()
    assert sum(len(b) > 2 for b in all_bins) > D_SAE // 2  # bins were merged and refilled
    for f in range(D_SAE):
        values = feats[..., f][feats[..., f] > 0]
        centres, heights = stats.histogram(f)
        assert sum(heights) == len(values)
        if len(values) == 0:
            assert all_bins[f] == [] and centres == []
            continue
        scale = float(stats.scale[f])
        assert scale / 2 < float(values.max()) <= scale  # the power of two just above the max
        width = scale / 16
        for centre, height in zip(centres, heights, strict=True):
            low = centre - width / 2
            assert height == int(((values >= low) & (values < low + width)).sum()) or (
                centre + width / 2 >= scale  # the top bar also holds a max equal to the scale
            )
        bins = all_bins[f]
        assert sum(b.contains for b in bins) == pytest.approx(1.0)
        assert bins[-1].high == pytest.approx(float(values.max()))
        for b in bins:
            inside = int(((values >= b.low) & (values < b.low + scale / 4)).sum())
            if b is bins[-1]:
                inside = int((values >= b.low).sum())
            assert b.contains == pytest.approx(inside / len(values))
            assert len(b.examples) == min(3, inside)
            for e in b.examples:
                assert b.low <= e.values[e.focus] <= b.high + 1e-6


def test_a_resumed_run_equals_an_uninterrupted_one(data: dict[str, Any]) -> None:
    batches, cfg = data["batches"], data["cfg"]
    first = _run(batches[:3], cfg)
    resumed = FeatureStats(cfg, seed=99)  # the checkpoint brings the generator state too
    resumed.load_state_dict(first.state_dict())
    for batch in batches[3:]:
        resumed.update(*batch)
    straight = data["stats"]
    for name in FeatureStats._TENSORS:
        assert torch.equal(getattr(resumed, name), getattr(straight, name)), name
    assert resumed.n_tokens == straight.n_tokens


def test_config_rejects_bins_that_cannot_merge() -> None:
    with pytest.raises(ValueError, match="power of two"):
        StatsConfig(d_sae=4, n_bins=5)
    with pytest.raises(ValueError, match="at least n_bins"):
        StatsConfig(d_sae=4, n_bins=8, hist_bars=4)
