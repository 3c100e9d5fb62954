"""Streaming per-feature statistics for dashboards, updated one batch of activations at a time.

What a dashboard needs from the corpus, kept as fixed-size tensors so a corpus of any length
streams through in constant memory (and the state can be checkpointed between batches):

- density: tokens seen and, per feature, tokens where it fired (> 0);
- the top `n_top` examples: the rows with the highest max activation (one example per row),
  each with its context window of tokens and values, merged batch by batch with `topk`-style
  selection;
- quantile-binned examples: the range (0, scale] is cut into `n_bins` equal intervals and each
  keeps a uniform random sample of `per_bin` firing tokens (bottom-k of random keys, which
  merges exactly), plus how many firing tokens fell into it;
- an activation histogram of `hist_bars` bars over (0, scale].

`scale` is per feature a power of two at least as large as every activation seen. When a batch
brings a larger activation the scale doubles (once or more): histogram bars merge pairwise and
quantile bins merge their samples, which stays exact because bars and bins are aligned to
powers of two. So one pass over the corpus gives what SAEDashboard needs two passes for (the
max first, then the bins).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from jaxtyping import Bool, Float, Int


@dataclass(frozen=True)
class StatsConfig:
    d_sae: int
    n_top: int = 20
    n_bins: int = 8
    per_bin: int = 5
    hist_bars: int = 64
    context_before: int = 48
    context_after: int = 15

    def __post_init__(self) -> None:
        for name in ("n_bins", "hist_bars"):
            value = getattr(self, name)
            if value < 1 or value & (value - 1):
                raise ValueError(f"{name} must be a power of two, got {value}")
        if self.hist_bars < self.n_bins:
            raise ValueError("hist_bars must be at least n_bins (each bin is whole bars)")
        if min(self.n_top, self.per_bin, self.d_sae) < 1:
            raise ValueError("n_top, per_bin and d_sae must be positive")
        if min(self.context_before, self.context_after) < 0:
            raise ValueError("context_before and context_after must not be negative")

    @property
    def window(self) -> int:
        return self.context_before + 1 + self.context_after


@dataclass
class Example:
    """One activation example: a window of one corpus row."""

    row: int  # row id in the corpus
    token_ids: list[int]
    values: list[float]
    focus: int  # index in the window of the token that made it an example


@dataclass
class QuantileBin:
    low: float
    high: float
    contains: float  # fraction of the feature's firing tokens in this bin
    examples: list[Example]


class FeatureStats:
    """The running statistics of every feature of one SAE (see the module docstring)."""

    _TENSORS = (
        "n_fired",
        "scale",
        "hist",
        "top_val",
        "top_row",
        "top_focus",
        "top_tok",
        "top_act",
        "res_key",
        "res_val",
        "res_row",
        "res_focus",
        "res_tok",
        "res_act",
    )

    def __init__(self, cfg: StatsConfig, device: str = "cpu", seed: int = 0) -> None:
        self.cfg = cfg
        self.device = torch.device(device)
        f, k, nb, s, w = cfg.d_sae, cfg.n_top, cfg.n_bins, cfg.per_bin, cfg.window
        dev = self.device
        self.n_tokens = 0
        self.n_fired = torch.zeros(f, dtype=torch.long, device=dev)
        self.scale = torch.zeros(f, device=dev)
        self.hist = torch.zeros(f, cfg.hist_bars, dtype=torch.long, device=dev)
        self.top_val = torch.full((f, k), float("-inf"), device=dev)
        self.top_row = torch.full((f, k), -1, dtype=torch.long, device=dev)
        # index in the stored window of the example's token (its max, or its sampled token)
        self.top_focus = torch.full((f, k), -1, dtype=torch.long, device=dev)
        self.top_tok = torch.full((f, k, w), -1, dtype=torch.int32, device=dev)
        self.top_act = torch.zeros(f, k, w, device=dev)
        self.res_key = torch.full((f, nb, s), float("inf"), device=dev)
        self.res_val = torch.zeros(f, nb, s, device=dev)
        self.res_row = torch.full((f, nb, s), -1, dtype=torch.long, device=dev)
        self.res_focus = torch.full((f, nb, s), -1, dtype=torch.long, device=dev)
        self.res_tok = torch.full((f, nb, s, w), -1, dtype=torch.int32, device=dev)
        self.res_act = torch.zeros(f, nb, s, w, device=dev)
        self.generator = torch.Generator(device=dev).manual_seed(seed)

    # -- checkpoints -----------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {name: getattr(self, name).cpu() for name in self._TENSORS}
        state["n_tokens"] = self.n_tokens
        state["generator"] = self.generator.get_state()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for name in self._TENSORS:
            current = getattr(self, name)
            if state[name].shape != current.shape:
                raise ValueError(f"checkpoint {name} has shape {tuple(state[name].shape)}")
            setattr(self, name, state[name].to(current.device))
        self.n_tokens = int(state["n_tokens"])
        self.generator.set_state(state["generator"])

    # -- one batch -------------------------------------------------------------------------------

    @torch.no_grad()
    def update(
        self,
        feats: Float[torch.Tensor, "batch pos d_sae"],
        tokens: Int[torch.Tensor, "batch pos"],
        valid: Bool[torch.Tensor, "batch pos"],
        rows: Int[torch.Tensor, " batch"],
    ) -> None:
        """Add one batch. `valid` marks real tokens (not BOS, not padding); `rows` are row ids.

        Valid positions of a row must be contiguous: windows never leave them, so values at
        invalid positions are never read. Apart from finding the firing tokens, every step works
        on those sparse entries only (a dense `max` over positions costs more than all of them).
        """
        n_feats = self.cfg.d_sae
        lengths = valid.sum(1)
        first = torch.where(lengths > 0, valid.to(torch.uint8).argmax(1), 0)
        ctx = _Batch(feats, tokens, first, first + lengths, rows)
        self.n_tokens += int(lengths.sum())
        flat = feats.reshape(-1)
        where = (flat > 0).nonzero().squeeze(1)
        token, feat = where // n_feats, where % n_feats
        batch, pos = token // feats.shape[1], token % feats.shape[1]
        inside = valid[batch, pos]
        batch, pos, feat, where = batch[inside], pos[inside], feat[inside], where[inside]
        if len(feat) == 0:
            return
        values = flat[where]
        self.n_fired += torch.bincount(feat, minlength=n_feats)
        cell = batch * n_feats + feat
        cells = feats.shape[0] * n_feats
        row_max = values.new_zeros(cells).scatter_reduce_(0, cell, values, "amax")
        # the first position holding the row's max, as torch.max would report it
        at_max = values == row_max[cell]
        row_pos = torch.full((cells,), feats.shape[1], device=self.device).scatter_reduce_(
            0, cell[at_max], pos[at_max], "amin"
        )
        self._update_top(ctx, row_max.view(-1, n_feats), row_pos.view(-1, n_feats))
        batch_max = values.new_zeros(n_feats).scatter_reduce_(0, feat, values, "amax")
        grow = batch_max > self.scale
        if grow.any():
            self._grow_scale(grow.nonzero().squeeze(1), batch_max)
        bars = self._bars(values, self.scale[feat])
        h = self.cfg.hist_bars
        self.hist += torch.bincount(feat * h + bars, minlength=n_feats * h).view(-1, h)
        self._update_bins(ctx, batch, pos, feat, values, bars)

    def _bars(self, values: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        # scale is a power of two and hist_bars too, so this is exact (no rounding at edges).
        return (values / scale * self.cfg.hist_bars).long().clamp(0, self.cfg.hist_bars - 1)

    def _update_top(
        self,
        ctx: _Batch,
        row_max: Float[torch.Tensor, "batch d_sae"],
        row_pos: Int[torch.Tensor, "batch d_sae"],
    ) -> None:
        k = self.cfg.n_top
        enters = (row_max > 0) & (row_max > self.top_val[:, -1])
        cand_b, cand_f = enters.nonzero(as_tuple=True)
        if len(cand_f) == 0:
            return
        touched = torch.unique(cand_f)
        n_old = len(touched) * k
        groups = torch.cat(
            [
                torch.arange(len(touched), device=self.device).repeat_interleave(k),
                torch.searchsorted(touched, cand_f),
            ]
        )
        keys = torch.cat([-self.top_val[touched].flatten(), -row_max[cand_b, cand_f]])
        chosen, slot = _bottom_k_per_group(groups, keys, k)
        group = groups[chosen]
        old = chosen < n_old
        new = ~old
        val = torch.full((len(touched), k), float("-inf"), device=self.device)
        row = torch.full_like(val, -1, dtype=torch.long)
        focus = torch.full_like(val, -1, dtype=torch.long)
        w = self.cfg.window
        tok = torch.full((len(touched), k, w), -1, dtype=torch.int32, device=self.device)
        act = torch.zeros(len(touched), k, w, device=self.device)
        src = chosen[old]
        at_old = (group[old], slot[old])
        val[at_old] = self.top_val[touched].flatten()[src]
        row[at_old] = self.top_row[touched].flatten()[src]
        focus[at_old] = self.top_focus[touched].flatten()[src]
        tok[at_old] = self.top_tok[touched].flatten(0, 1)[src]
        act[at_old] = self.top_act[touched].flatten(0, 1)[src]
        c = chosen[new] - n_old
        b, f = cand_b[c], cand_f[c]
        at_new = (group[new], slot[new])
        val[at_new] = row_max[b, f]
        row[at_new] = ctx.rows[b]
        tok[at_new], act[at_new], focus[at_new] = self._windows(ctx, b, row_pos[b, f], f)
        self.top_val[touched], self.top_row[touched], self.top_focus[touched] = val, row, focus
        self.top_tok[touched], self.top_act[touched] = tok, act

    def _grow_scale(self, feats: torch.Tensor, batch_max: torch.Tensor) -> None:
        """Raise `scale` of `feats` to cover `batch_max`, merging their bars and bins."""
        cfg = self.cfg
        new_scale = torch.exp2(torch.ceil(torch.log2(batch_max[feats])))
        old_scale = self.scale[feats]
        shift = torch.where(
            old_scale > 0, torch.log2(new_scale / old_scale.clamp(min=1e-30)).round(), 0.0
        ).long()
        bars = torch.arange(cfg.hist_bars, device=self.device)
        target = torch.bitwise_right_shift(bars[None, :], shift[:, None])
        self.hist[feats] = torch.zeros_like(self.hist[feats]).scatter_add_(
            1, target, self.hist[feats]
        )
        self.scale[feats] = new_scale
        # Re-bin the kept samples under the new scale and keep the `per_bin` smallest keys of
        # each merged bin: a bottom-k sample of a union is the bottom-k of the samples' union.
        nb, s = cfg.n_bins, cfg.per_bin
        keys = self.res_key[feats].flatten(1)  # [n, nb * s]
        bins = self._bars(self.res_val[feats].flatten(1), new_scale[:, None]) // (
            cfg.hist_bars // nb
        )
        groups = (torch.arange(len(feats), device=self.device)[:, None] * nb + bins).flatten()
        chosen, slot = _bottom_k_per_group(groups, keys.flatten(), s)
        self._rebuild_bins(feats, groups[chosen], slot, chosen)

    def _rebuild_bins(
        self, feats: torch.Tensor, group: torch.Tensor, slot: torch.Tensor, src: torch.Tensor
    ) -> None:
        """Bins of `feats` from their own flattened samples `src`, placed at (group, slot)."""
        nb, s, w = self.cfg.n_bins, self.cfg.per_bin, self.cfg.window
        n = len(feats)
        at = (group, slot)
        key = torch.full((n * nb, s), float("inf"), device=self.device)
        key[at] = self.res_key[feats].flatten()[src]
        val = torch.zeros(n * nb, s, device=self.device)
        val[at] = self.res_val[feats].flatten()[src]
        row = torch.full((n * nb, s), -1, dtype=torch.long, device=self.device)
        row[at] = self.res_row[feats].flatten()[src]
        focus = torch.full_like(row, -1)
        focus[at] = self.res_focus[feats].flatten()[src]
        tok = torch.full((n * nb, s, w), -1, dtype=torch.int32, device=self.device)
        tok[at] = self.res_tok[feats].flatten(0, 2)[src]
        act = torch.zeros(n * nb, s, w, device=self.device)
        act[at] = self.res_act[feats].flatten(0, 2)[src]
        self.res_key[feats] = key.view(n, nb, s)
        self.res_val[feats] = val.view(n, nb, s)
        self.res_row[feats] = row.view(n, nb, s)
        self.res_focus[feats] = focus.view(n, nb, s)
        self.res_tok[feats] = tok.view(n, nb, s, w)
        self.res_act[feats] = act.view(n, nb, s, w)

    def _update_bins(
        self,
        ctx: _Batch,
        batch: torch.Tensor,
        pos: torch.Tensor,
        feat: torch.Tensor,
        values: torch.Tensor,
        bars: torch.Tensor,
    ) -> None:
        cfg = self.cfg
        nb, s = cfg.n_bins, cfg.per_bin
        group = feat * nb + bars // (cfg.hist_bars // nb)
        keys = torch.rand(len(feat), generator=self.generator, device=self.device)
        # Most firing tokens cannot enter a full bin: its largest kept key is already smaller.
        enters = keys < self.res_key.view(-1, s)[group, -1]
        if not enters.any():
            return
        batch, pos, feat, values = batch[enters], pos[enters], feat[enters], values[enters]
        group, keys = group[enters], keys[enters]
        touched = torch.unique(group)
        n_old = len(touched) * s
        flat_key = self.res_key.view(-1, s)
        groups = torch.cat(
            [
                torch.arange(len(touched), device=self.device).repeat_interleave(s),
                torch.searchsorted(touched, group),
            ]
        )
        all_keys = torch.cat([flat_key[touched].flatten(), keys])
        chosen, slot = _bottom_k_per_group(groups, all_keys, s)
        g = groups[chosen]
        old = chosen < n_old
        new = ~old
        w = cfg.window
        key = torch.full((len(touched), s), float("inf"), device=self.device)
        val = torch.zeros(len(touched), s, device=self.device)
        row = torch.full((len(touched), s), -1, dtype=torch.long, device=self.device)
        focus = torch.full_like(row, -1)
        tok = torch.full((len(touched), s, w), -1, dtype=torch.int32, device=self.device)
        act = torch.zeros(len(touched), s, w, device=self.device)
        src = chosen[old]
        at = (g[old], slot[old])
        key[at] = flat_key[touched].flatten()[src]
        val[at] = self.res_val.view(-1, s)[touched].flatten()[src]
        row[at] = self.res_row.view(-1, s)[touched].flatten()[src]
        focus[at] = self.res_focus.view(-1, s)[touched].flatten()[src]
        tok[at] = self.res_tok.view(-1, s, w)[touched].flatten(0, 1)[src]
        act[at] = self.res_act.view(-1, s, w)[touched].flatten(0, 1)[src]
        c = chosen[new] - n_old
        at = (g[new], slot[new])
        key[at] = keys[c]
        val[at] = values[c]
        row[at] = ctx.rows[batch[c]]
        tok[at], act[at], focus[at] = self._windows(ctx, batch[c], pos[c], feat[c])
        self.res_key.view(-1, s)[touched] = key
        self.res_val.view(-1, s)[touched] = val
        self.res_row.view(-1, s)[touched] = row
        self.res_focus.view(-1, s)[touched] = focus
        self.res_tok.view(-1, s, w)[touched] = tok
        self.res_act.view(-1, s, w)[touched] = act

    def _windows(
        self, ctx: _Batch, b: torch.Tensor, p: torch.Tensor, f: torch.Tensor
    ) -> tuple[
        Int[torch.Tensor, "n window"], Float[torch.Tensor, "n window"], Int[torch.Tensor, " n"]
    ]:
        """Token ids (-1 past the row's end), feature values and the index of p, for the window
        around (b, p).

        The window has `context_before` tokens before p where the row allows, and is shifted
        right at the row's start and left at its end so it stays full when the row is long enough.
        """
        cfg = self.cfg
        first, end = ctx.first[b], ctx.end[b]
        start = torch.maximum(first, torch.minimum(p - cfg.context_before, end - cfg.window))
        where = start[:, None] + torch.arange(cfg.window, device=self.device)[None, :]
        inside = where < end[:, None]
        where = where.clamp(max=ctx.tokens.shape[1] - 1)
        tok = ctx.tokens[b[:, None], where].to(torch.int32).masked_fill(~inside, -1)
        # one flat gather: much cheaper than indexing three dimensions at once
        n_pos, n_feats = ctx.feats.shape[1:]
        cells = (b[:, None] * n_pos + where) * n_feats + f[:, None]
        act = ctx.feats.reshape(-1)[cells].masked_fill(~inside, 0.0)
        return tok, act, p - start

    # -- results ---------------------------------------------------------------------------------

    def max_values(self) -> list[float]:
        return self.top_val[:, 0].clamp(min=0).tolist()

    def frac_nonzero(self) -> list[float]:
        return (self.n_fired.double() / max(self.n_tokens, 1)).tolist()

    def top_examples(self, decimals: int | None = None) -> list[list[Example]]:
        """Per feature, its top examples, best first; values rounded to `decimals` if given."""
        return _read_examples(self.top_row, self.top_focus, self.top_tok, self.top_act, decimals)

    def token_ids(self) -> set[int]:
        """Every token id in a kept example (top or bin), for decoding them all at once."""
        ids = torch.cat([self.top_tok.flatten(), self.res_tok.flatten()]).unique()
        return set(ids[ids >= 0].tolist())

    def histogram(self, feature: int) -> tuple[list[float], list[int]]:
        """(bar centres, counts) over (0, scale], without the empty bars past the max."""
        counts = self.hist[feature]
        fired = counts.nonzero()
        if len(fired) == 0:
            return [], []
        shown = int(fired[-1]) + 1
        width = float(self.scale[feature]) / self.cfg.hist_bars
        return [(i + 0.5) * width for i in range(shown)], counts[:shown].tolist()

    def quantile_bins(self, decimals: int | None = None) -> list[list[QuantileBin]]:
        """Per feature, its non-empty bins, lowest first; `high` of the top bin is the max."""
        cfg = self.cfg
        fired = self.n_fired.tolist()
        per_bin = self.hist.view(cfg.d_sae, cfg.n_bins, -1).sum(2).tolist()
        width = (self.scale / cfg.n_bins).tolist()
        top = self.max_values()
        examples = _read_examples(
            self.res_row, self.res_focus, self.res_tok, self.res_act, decimals
        )  # one list per (feature, bin)
        out = []
        for f in range(cfg.d_sae):
            bins = []
            for j, count in enumerate(per_bin[f]):
                if count == 0:
                    continue
                low, high = j * width[f], min((j + 1) * width[f], top[f])
                bins.append(QuantileBin(low, high, count / fired[f], examples[f * cfg.n_bins + j]))
            out.append(bins)
        return out


def _read_examples(
    rows: Int[torch.Tensor, "*groups slots"],
    focus: Int[torch.Tensor, "*groups slots"],
    tokens: Int[torch.Tensor, "*groups slots window"],
    acts: Float[torch.Tensor, "*groups slots window"],
    decimals: int | None,
) -> list[list[Example]]:
    """The kept examples of each group (the leading dimensions, flattened), in slot order.

    Only the filled slots and the filled part of each window (a prefix: padding is -1) are
    read, each as one flat `tolist`: a nested `tolist` of the whole tensors costs more than the
    rest of the export's preparation, per-example tensor indexing even more.
    """
    window = tokens.shape[-1]
    rows, focus = rows.flatten(0, -2).cpu(), focus.flatten(0, -2).cpu()
    kept = rows >= 0  # [groups, slots]
    tok = tokens.reshape(*rows.shape, window).cpu()[kept]  # [examples, window]
    act = acts.reshape(*rows.shape, window).cpu()[kept]
    filled = tok >= 0
    # numpy's tolist is about 3x faster than torch's for integer tensors; rounding in float64
    # keeps float32 noise (2.7699999809) out of the rounded numbers
    flat_tok = tok[filled].numpy().tolist()
    values = act[filled].double()
    flat_act = (values.round(decimals=decimals) if decimals is not None else values).tolist()
    sizes = filled.sum(1).tolist()
    example_rows, example_focus = rows[kept].tolist(), focus[kept].tolist()
    per_group = kept.sum(1).tolist()
    out: list[list[Example]] = []
    start = at = 0
    for count in per_group:
        group = []
        for i in range(at, at + count):
            end = start + sizes[i]
            group.append(
                Example(example_rows[i], flat_tok[start:end], flat_act[start:end], example_focus[i])
            )
            start = end
        at += count
        out.append(group)
    return out


@dataclass
class _Batch:
    feats: torch.Tensor  # [batch, pos, d_sae]
    tokens: torch.Tensor  # [batch, pos]
    first: torch.Tensor  # [batch] first valid position
    end: torch.Tensor  # [batch] one past the last valid position
    rows: torch.Tensor  # [batch] row ids


def _bottom_k_per_group(
    groups: Int[torch.Tensor, " n"], keys: Float[torch.Tensor, " n"], k: int
) -> tuple[Int[torch.Tensor, " m"], Int[torch.Tensor, " m"]]:
    """For each group, the positions of its `k` smallest keys and their rank (0 = smallest).

    Ties keep input order (stable sorts), so the result is deterministic.
    """
    order = torch.argsort(keys, stable=True)
    order = order[torch.argsort(groups[order], stable=True)]
    sorted_groups = groups[order]
    rank = torch.arange(len(order), device=groups.device) - torch.searchsorted(
        sorted_groups, sorted_groups
    )
    keep = rank < k
    return order[keep], rank[keep]
