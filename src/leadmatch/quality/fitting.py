"""Fitting the confidence model to a CRM's own history: weights from labelled leads (or, with
none, from the expectation-maximization of Fellegi and Sunter), then a calibration of the
confidence on leads the weights were not fitted on. NumPy only.

A lead with a known account (every CRM has leads converted by hand) labels its candidate
pairs: the pair of a right account is a match, every other candidate a non-match. Blocking
has already chosen the candidates, so ``u`` (how often a level shows among non-matches) is
measured where it matters: among the accounts a lead could be confused with.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from leadmatch._util.arrays import BoolArray, FloatArray, IntArray
from leadmatch.config import LEVELS, MatchConfig, Weights
from leadmatch.errors import ConfigError, InvalidInputError
from leadmatch.match import Features, IndexView, match_records, resolve, scored_batches, view_of
from leadmatch.quality.evaluation import Evaluation, evaluate

if TYPE_CHECKING:
    from leadmatch.index import AccountIndex

#: Added to every level's count among matches and among non-matches (a level never seen in
#: one class must not get an infinite weight).
SMOOTHING = 0.5
#: Fitted weights are kept within this many bits of 0: no single level may decide alone
#: against everything else.
MAX_WEIGHT = 12.0
#: Most points of a calibration (neighbouring steps of the isotonic fit are merged beyond it).
CALIBRATION_POINTS = 64
#: Fewest leads behind a calibration point: a step of the isotonic fit over a handful of leads
#: is noise, and is merged into its nearest neighbour.
CALIBRATION_MIN_LEADS = 20


@dataclass(frozen=True)
class PairLevels:
    """Every candidate pair of some leads: the level chosen in each comparison, and whether
    the pair's account is one of its lead's right accounts."""

    levels: dict[str, IntArray]
    match: BoolArray

    def __len__(self) -> int:
        return len(self.match)


@dataclass(frozen=True)
class Fit:
    """What :func:`fit` learned, and how the fitted model does on the held-apart leads."""

    config: MatchConfig
    """The config given, with the fitted weights and calibration."""
    before: Evaluation
    """The config given, on the held-apart leads."""
    after: Evaluation
    """The fitted config, on the same leads."""
    pairs: int
    """Candidate pairs the weights were fitted on."""

    def for_precision(self, target: float) -> MatchConfig:
        """The fitted config with the lowest ``match_threshold`` whose precision on the
        held-apart leads is at least ``target`` (the review threshold lowered with it if it
        would exceed it)."""
        return _threshold_for(self.config, self.after, target)


def pair_levels(
    index: AccountIndex | IndexView,
    leads: Iterable[Mapping[str, Any]],
    truth: Mapping[str, frozenset[str]],
    config: MatchConfig,
) -> PairLevels:
    """The candidate pairs of ``leads`` (as blocking proposes them) with their levels and labels."""
    view = view_of(index)
    parts: list[tuple[dict[str, IntArray], BoolArray]] = []
    for ids, feats, scores, _ in scored_batches(view, list(leads), config):
        pairs = np.arange(len(feats.lead), dtype=np.int64)
        parts.append((scores.levels, _right(view, truth, ids, feats, pairs)))
    return PairLevels(
        levels={c: np.concatenate([p[0][c] for p in parts]) for c in LEVELS}
        if parts
        else {c: np.zeros(0, dtype=np.int64) for c in LEVELS},
        match=np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, dtype=bool),
    )


def _right(
    index: IndexView,
    truth: Mapping[str, frozenset[str]],
    ids: Sequence[str],
    feats: Features,
    pairs: IntArray,
) -> BoolArray:
    """Whether each of ``pairs`` joins its lead to one of the lead's right accounts."""
    account_ids = index.data.account_id.take(feats.account[pairs])
    leads = feats.lead[pairs].tolist()
    return np.array(
        [a in truth.get(ids[k], frozenset()) for a, k in zip(account_ids, leads)], dtype=bool
    )


def fit_weights(pairs: PairLevels, base: Weights | None = None) -> Weights:
    """Fellegi–Sunter weights from labelled pairs: each level's ``log2(m / u)``, the prior the
    log2 odds of a match among candidate pairs. ``base`` keeps what pairs cannot teach (its
    calibration is dropped: it belongs to the old weights)."""
    if pairs.match.all() or not pairs.match.any():
        raise InvalidInputError(
            "fitting needs candidate pairs of both kinds: leads whose right account is among "
            "their candidates, and other candidates"
        )
    m_weight = pairs.match.astype(np.float64)
    return _weights(pairs, m_weight, 1.0 - m_weight, float(pairs.match.mean()), base)


def fit_weights_em(pairs: PairLevels, base: Weights | None = None, iterations: int = 50) -> Weights:
    """Fellegi–Sunter weights without labels, by expectation-maximization over the candidate
    pairs, started from ``base`` (a model that already tells matches from non-matches roughly:
    EM refines it, it does not find the classes from nothing)."""
    base = base or Weights()
    if iterations < 1:
        raise ConfigError(f"EM needs at least one iteration, not {iterations}")
    if len(pairs) == 0:
        raise InvalidInputError("fitting needs candidate pairs")
    posterior = 1.0 / (1.0 + np.exp2(-_totals(pairs, base)))  # plain Fellegi–Sunter
    for _ in range(iterations):
        share = float(posterior.mean())
        weights = _weights(pairs, posterior, 1.0 - posterior, share, base)
        updated = 1.0 / (1.0 + np.exp2(-_totals(pairs, weights)))
        if np.max(np.abs(updated - posterior)) < 1e-6:
            break
        posterior = updated
    return weights


def calibration(total: FloatArray, right: BoolArray) -> tuple[tuple[float, float], ...]:
    """Isotonic regression of rightness on the summed weight (pool adjacent violators), in at
    most :data:`CALIBRATION_POINTS` steps of :data:`CALIBRATION_MIN_LEADS` leads or more, as
    the points of :attr:`Weights.calibration`: each step's share of right leads at its
    smallest and its largest total. Leads within one step share one confidence: what the
    labels can tell about them.

    (Interpolating between steps' medians instead, to keep leads ranked within a step, puts
    most of a wide top step below its share: with few labels, right answers fell to
    ``review``.)"""
    if len(total) == 0:
        raise InvalidInputError("calibration needs scored leads")
    order = np.argsort(total, kind="stable")
    x, y = total[order], right[order].astype(np.float64)
    # One block per distinct total, then merge neighbouring blocks that fall.
    starts = np.flatnonzero(np.append(True, x[1:] != x[:-1]))
    sums = np.add.reduceat(y, starts).tolist()
    counts = np.diff(np.append(starts, len(x))).tolist()
    merged: list[list[float]] = []  # [right, leads, first position in x]
    for block in zip(sums, counts, starts.tolist()):
        merged.append(list(block))
        while len(merged) > 1 and merged[-2][0] / merged[-2][1] >= merged[-1][0] / merged[-1][1]:
            _join(merged, len(merged) - 2)
    # Join neighbours (closest in value first) while a block is too small or there are too
    # many; joining neighbours of a rising sequence keeps it rising.
    while len(merged) > 1:
        gaps = np.diff([s / c for s, c, _ in merged])
        small = [k for k, block in enumerate(merged) if block[1] < CALIBRATION_MIN_LEADS]
        if small:
            k = small[0]
            k = k - 1 if k == len(merged) - 1 or (k > 0 and gaps[k - 1] <= gaps[k]) else k
        elif len(merged) > CALIBRATION_POINTS:
            k = int(np.argmin(gaps))
        else:
            break
        _join(merged, k)
    # Flat over each step's totals, straight between steps: as isotonic regression predicts.
    points: list[tuple[float, float]] = []
    for s, c, first in merged:
        share = round(s / c, 6)
        for at in (int(first), int(first) + int(c) - 1):
            edge = round(float(x[at]), 6)
            if not points or edge > points[-1][0]:
                points.append((edge, share))
    return tuple(points)


def _join(blocks: list[list[float]], k: int) -> None:
    """Merge block ``k + 1`` into block ``k``."""
    s, c, _ = blocks.pop(k + 1)
    blocks[k][0] += s
    blocks[k][1] += c


def fit(
    index: AccountIndex,
    leads: Iterable[Mapping[str, Any]],
    truth: Mapping[str, frozenset[str]],
    config: MatchConfig | None = None,
    *,
    method: Literal["labels", "em"] = "labels",
    holdout: float = 0.5,
) -> Fit:
    """Fit the confidence model to labelled leads and calibrate it on leads it did not see.

    ``truth`` maps each lead id to its right account ids (empty: the lead belongs to no
    account); see :func:`leadmatch.truth_from_rows`. Leads are split by a hash of their id:
    ``1 - holdout`` of them fit the weights (from the labels, or with ``method="em"`` without
    them), the others calibrate the confidence. With no labels at all, weights alone come from
    ``fit_weights_em(pair_levels(index, leads, {}, config))``, uncalibrated.

    The returned :class:`Fit` reports the figures on the held-apart leads before and after
    (they calibrate too: for figures on leads the fit never saw, evaluate the fitted config on
    other leads).
    """
    config = config or MatchConfig()
    view = view_of(index).with_config(config)  # one version of the accounts throughout
    if not 0.0 < holdout < 1.0:
        raise ConfigError(f"holdout must be between 0 and 1 (both excluded), not {holdout}")
    rows = [dict(lead) for lead in leads]
    ids = [str(row.get("lead_id") or "") for row in rows]
    if any(not i for i in ids) or len(set(ids)) != len(ids):
        raise InvalidInputError("fitting needs a distinct lead_id on every lead")
    unknown = [i for i in ids if i not in truth]
    if unknown:  # the calibration needs the labels of every held-apart lead, whatever the method
        raise InvalidInputError(f"{len(unknown):,} leads have no truth (first: {unknown[0]!r})")
    held = [_held_apart(i, holdout) for i in ids]
    fitting = [row for row, h in zip(rows, held) if not h]
    checking = [row for row, h in zip(rows, held) if h]
    if not fitting or not checking:
        raise InvalidInputError("too few leads to fit on some and calibrate on the others")

    pairs = pair_levels(view, fitting, truth, config)
    base = config.weights.model_copy(update={"calibration": ()})
    weights = fit_weights(pairs, base) if method == "labels" else fit_weights_em(pairs, base)
    fitted = config.model_copy(update={"weights": weights})
    total, right = _winners(view, checking, truth, fitted)
    fitted = config.model_copy(
        update={"weights": weights.model_copy(update={"calibration": calibration(total, right)})}
    )
    held_truth = {i: truth.get(i, frozenset()) for i, h in zip(ids, held) if h}
    return Fit(
        config=MatchConfig.model_validate(fitted.model_dump()),
        before=evaluate(_matches(view, checking, config), held_truth),
        after=evaluate(_matches(view, checking, fitted), held_truth),
        pairs=len(pairs),
    )


def _held_apart(lead_id: str, share: float) -> bool:
    """A stable split: the same lead is on the same side in every run and on every machine."""
    digest = hashlib.blake2b(lead_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < share


def _weights(
    pairs: PairLevels,
    m_weight: FloatArray,
    u_weight: FloatArray,
    share: float,
    base: Weights | None,
) -> Weights:
    tables: dict[str, dict[str, float]] = {}
    for comparison, names in LEVELS.items():
        chosen = pairs.levels[comparison]
        m = np.bincount(chosen, weights=m_weight, minlength=len(names)) + SMOOTHING
        u = np.bincount(chosen, weights=u_weight, minlength=len(names)) + SMOOTHING
        ratio = np.log2((m / m.sum()) / (u / u.sum()))
        tables[comparison] = {
            name: round(float(np.clip(w, -MAX_WEIGHT, MAX_WEIGHT)), 4)
            for name, w in zip(names, ratio)
        }
    share = min(max(share, 1e-6), 1 - 1e-6)
    prior = round(float(np.log2(share / (1 - share))), 4)
    values: dict[str, Any] = {**(base.model_dump() if base else {}), **tables, "prior": prior}
    values["calibration"] = ()
    return Weights(**values)


def _totals(pairs: PairLevels, weights: Weights) -> FloatArray:
    total = np.full(len(pairs), weights.prior, dtype=np.float64)
    for comparison, names in LEVELS.items():
        table = getattr(weights, comparison)
        total += np.array([table[n] for n in names], dtype=np.float64)[pairs.levels[comparison]]
    return total


def _winners(
    index: IndexView,
    leads: list[dict[str, Any]],
    truth: Mapping[str, frozenset[str]],
    config: MatchConfig,
) -> tuple[FloatArray, BoolArray]:
    """The summed weight of each lead's chosen account, and whether it is right."""
    totals: list[FloatArray] = []
    rights: list[BoolArray] = []
    for ids, feats, scores, n_leads in scored_batches(index, list(leads), config):
        decided = resolve(index, feats, scores, n_leads, config)
        pair = decided.winner_pair[decided.winner_pair >= 0]
        totals.append(scores.total[pair])
        rights.append(_right(index, truth, ids, feats, pair))
    return np.concatenate(totals), np.concatenate(rights)


def _matches(index: IndexView, leads: list[dict[str, Any]], config: MatchConfig) -> list[Any]:
    return match_records(index.with_config(config), leads)


def _threshold_for(config: MatchConfig, figures: Evaluation, target: float) -> MatchConfig:
    if not 0.0 < target <= 1.0:
        raise ConfigError(f"target precision must be in (0, 1], not {target}")
    precision, _, thresholds = figures.curve
    reaching = [t for p, t in zip(precision, thresholds) if p >= target]
    if not reaching:
        raise InvalidInputError(
            f"no confidence threshold reaches precision {target} on the held-apart leads "
            f"(the best is {max(precision):.4f}): ask for less, or label more leads"
        )
    threshold = min(reaching)
    review = min(config.review_threshold, threshold)
    return config.model_copy(update={"match_threshold": threshold, "review_threshold": review})
