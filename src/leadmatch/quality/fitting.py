"""Fitting the confidence model to a CRM's own history: weights from labelled leads (a
logistic regression over the levels, monotone in each comparison: :mod:`regression`) or, with
none, from the expectation-maximization of Fellegi and Sunter; then a calibration of the
confidence on leads the weights were not fitted on. NumPy only.

A lead with a known account (every CRM has leads converted by hand) labels its candidate
pairs: the pair of a right account is a match, every other candidate a non-match. Blocking
has already chosen the candidates, so ``u`` (how often a level shows among non-matches) is
measured where it matters: among the accounts a lead could be confused with.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np

from leadmatch._util.arrays import BoolArray, FloatArray, IntArray
from leadmatch.config import LEVELS, NEUTRAL, RISING, MatchConfig, Weights
from leadmatch.errors import ConfigError, InvalidInputError
from leadmatch.io import LabelBook, label_book, labelled_leads
from leadmatch.match import (
    Features,
    IndexView,
    match_records,
    probability,
    resolve,
    scored_batches,
    totals,
    view_of,
)
from leadmatch.quality.evaluation import Evaluation, evaluate
from leadmatch.quality.regression import isotonic, monotone_logistic, pack, unpack

if TYPE_CHECKING:
    from leadmatch.index import AccountIndex

log = logging.getLogger("leadmatch")

#: Added to every level's count among matches and among non-matches (a level never seen in
#: one class must not get an infinite weight).
SMOOTHING = 0.5
#: EM weights are kept within this many bits of 0: no single level may decide alone against
#: everything else.
MAX_WEIGHT = 12.0
#: Accounts whose own name and domain, as leads, a fitted config must still match to them.
SELF_CHECK_ACCOUNTS = 1_000
#: Share of those it may match less often than the config given (differences in tie-breaks
#: among duplicate accounts).
SELF_CHECK_SLACK = 0.01
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
    weight: FloatArray | None = None
    """How much each pair counts (1 each when ``None``): sets of different sizes fitted together
    can count alike."""
    gap: FloatArray | None = None
    """Each pair's ``Scores.gap`` where known (0 each when ``None``): EM reads the pairs on the
    scale its calibration was fitted on."""

    def __len__(self) -> int:
        return len(self.match)

    def weights(self) -> FloatArray:
        return np.ones(len(self.match)) if self.weight is None else self.weight

    def gaps(self) -> FloatArray:
        return np.zeros(len(self.match)) if self.gap is None else self.gap

    @classmethod
    def joined(cls, parts: Sequence[PairLevels]) -> PairLevels:
        """The pairs of several sets (of several indexes) as one."""
        return cls(
            levels={c: np.concatenate([p.levels[c] for p in parts]) for c in LEVELS},
            match=np.concatenate([p.match for p in parts]),
            weight=np.concatenate([p.weights() for p in parts]),
            gap=np.concatenate([p.gaps() for p in parts]),
        )


@dataclass(frozen=True)
class Fit:
    """What :func:`fit` learned, and how the fitted model does on the held-apart leads."""

    config: MatchConfig
    """The config given, with the fitted weights and calibration; or the config given itself
    where the fitted one did worse on the held-apart leads (``kept``)."""
    before: Evaluation | None
    """The config given, on the held-apart leads (``None`` without labels)."""
    after: Evaluation | None
    """The fitted config, on the same leads (``None`` without labels)."""
    pairs: int
    """Candidate pairs the weights were fitted on."""
    kept: bool = False
    """The fitted weights did worse (F1 of ``matched``) than the config given on the
    held-apart leads, or matched accounts to themselves less often (``why``), so the config
    given was kept."""
    why: str = ""
    """Why the config given was kept (``""`` where it was not)."""

    def report(self) -> str:
        """What the fit did, for a terminal: the figures before and after, or why there are
        none."""
        if self.before is None or self.after is None:
            return f"fitted on {self.pairs:,} candidate pairs; no labels: fitted without evaluation"
        lines = [
            f"fitted on {self.pairs:,} candidate pairs; on the held-apart leads:",
            f"before:\n{self.before.summary()}\n",
            f"after:\n{self.after.summary()}\n",
        ]
        if self.kept:
            lines.append(f"kept the config given: the fitted one {self.why}")
        return "\n".join(lines)

    def for_precision(self, target: float) -> MatchConfig:
        """The fitted config with the lowest ``match_threshold`` whose precision on the
        held-apart leads is at least ``target`` (the review threshold lowered with it if it
        would exceed it); its own threshold where that matches the same held-apart leads."""
        figures = self.before if self.kept else self.after  # those of the config returned
        if figures is None:
            raise InvalidInputError("no labelled leads: no threshold can be chosen for a precision")
        return _threshold_for(self.config, figures, target)


def pair_levels(
    index: AccountIndex | IndexView,
    leads: Iterable[Mapping[str, Any]],
    truth: Mapping[str, frozenset[str]],
    config: MatchConfig,
) -> PairLevels:
    """The candidate pairs of ``leads`` (as blocking proposes them) with their levels and labels."""
    view = view_of(index)
    parts: list[PairLevels] = []
    for ids, feats, scores, _ in scored_batches(view, list(leads), config):
        pairs = np.arange(len(feats.lead), dtype=np.int64)
        right = _right(view, truth, ids, feats, pairs) if truth else np.zeros(len(pairs), bool)
        parts.append(PairLevels(scores.levels, right, gap=scores.gap))
    if not parts:
        return PairLevels({c: np.zeros(0, dtype=np.int64) for c in LEVELS}, np.zeros(0, bool))
    return PairLevels.joined(parts)


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


def _positions() -> tuple[dict[str, list[int]], dict[str, int]]:
    """``RISING`` and ``NEUTRAL`` as positions in each comparison's ``LEVELS``."""
    rising = {c: [LEVELS[c].index(level) for level in RISING[c]] for c in LEVELS}
    return rising, {c: LEVELS[c].index(NEUTRAL[c]) for c in LEVELS}


def fit_weights(pairs: PairLevels, base: Weights | None = None) -> Weights:
    """Weights from labelled pairs: a logistic regression over the levels (log2 odds), every
    neutral level at 0 and more agreement never weighing less (:mod:`regression`), started
    from ``base`` (its calibration is dropped: it belongs to the old weights)."""
    if pairs.match.all() or not pairs.match.any():
        raise InvalidInputError(
            "fitting needs candidate pairs of both kinds: leads whose right account is among "
            "their candidates, and other candidates"
        )
    base = base or Weights()
    rising, neutral = _positions()
    start = pack(base.prior, {c: getattr(base, c) for c in LEVELS}, LEVELS)
    theta = monotone_logistic(
        LEVELS,
        pairs.levels,
        pairs.match.astype(np.float64),
        pairs.weights(),
        rising,
        neutral,
        start,
    )
    prior, tables = unpack(theta, LEVELS)
    return Weights(**{**base.model_dump(), **tables, "prior": prior, "calibration": ()})


#: The comparisons EM refits: context that is independent of the name and the domain given
#: whether a pair matches, and whose meaning varies most between CRMs (how often a country, a
#: city, a phone or a legal form is filled in, and agrees). EM assumes the comparisons it fits
#: are independent; the name and domain comparisons overlap, so they keep ``base``'s jointly
#: fitted weights.
EM_COMPARISONS = ("legal_form", "country", "city", "phone")


def _confidence(pairs: PairLevels, weights: Weights) -> FloatArray:
    """Each pair's confidence under ``weights``, on the scale of their calibration: the
    score with its gap term (the gap itself as the pairs were scored)."""
    return probability(totals(pairs.levels, weights) + weights.gap * pairs.gaps(), weights)


def fit_weights_em(pairs: PairLevels, base: Weights | None = None, iterations: int = 50) -> Weights:
    """Weights without labels, by the expectation-maximization of Fellegi and Sunter over the
    candidate pairs, started from ``base``'s confidence (the calibrated confidence of each
    pair's score, gap included). Only :data:`EM_COMPARISONS` move,
    each to its ``log2(m / u)`` with its neutral level at 0 and more agreement never weighing
    less; everything else (the prior, and the calibration) is ``base``'s. (Moving the prior to
    the Fellegi–Sunter share of matches among candidate pairs lost half the recall on the ROR
    set: the shipped prior belongs to a joint fit, not to independent comparisons.)"""
    base = base or Weights()
    if iterations < 1:
        raise ConfigError(f"EM needs at least one iteration, not {iterations}")
    if len(pairs) == 0:
        raise InvalidInputError("fitting needs candidate pairs")
    posterior = _confidence(pairs, base)
    weights = base
    for _ in range(iterations):
        weights = _weights(pairs, posterior, 1.0 - posterior, base, EM_COMPARISONS)
        updated = _confidence(pairs, weights)
        if np.max(np.abs(updated - posterior)) < 1e-6:
            break
        posterior = updated
    return weights


def calibration(
    total: FloatArray, right: BoolArray, weight: FloatArray | None = None
) -> tuple[tuple[float, float], ...]:
    """Isotonic regression of rightness on the summed weight (pool adjacent violators), in at
    most :data:`CALIBRATION_POINTS` steps of :data:`CALIBRATION_MIN_LEADS` leads or more, as
    the points of :attr:`Weights.calibration`: each step's share of right leads (never 0 or
    1, see below) at its smallest and its largest total. Leads within one step share one
    confidence: what the labels can tell about them. ``weight``: how many leads each one
    counts for (1 each by default), so that sets of different sizes can count alike; the
    fewest leads of a step and the added half lead are counted in that unit too.

    (Interpolating between steps' medians instead, to keep leads ranked within a step, puts
    most of a wide top step below its share: with few labels, right answers fell to
    ``review``.)"""
    if len(total) == 0:
        raise InvalidInputError("calibration needs scored leads")
    _check_weight(weight, len(total))
    order = np.argsort(total, kind="stable")
    w = np.ones(len(total)) if weight is None else np.asarray(weight, dtype=np.float64)[order]
    x, y = total[order], right[order] * w
    # One block per distinct total, then merge neighbouring blocks that fall.
    starts = np.flatnonzero(np.append(True, x[1:] != x[:-1]))
    sums = np.add.reduceat(y, starts).tolist()
    counts = np.add.reduceat(w, starts).tolist()
    sizes = np.diff(np.append(starts, len(x))).tolist()
    merged: list[list[float]] = []  # [right, leads, first position in x, positions]
    for block in zip(sums, counts, starts.tolist(), sizes):
        merged.append(list(block))
        while len(merged) > 1 and merged[-2][0] / merged[-2][1] >= merged[-1][0] / merged[-1][1]:
            _join(merged, len(merged) - 2)
    # Join neighbours (closest in value first) while a block is too small or there are too
    # many; joining neighbours of a rising sequence keeps it rising.
    while len(merged) > 1:
        gaps = np.diff([s / c for s, c, _, _ in merged])
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
    # A step's share is counted with half a right and half a wrong lead more (Jeffreys), so
    # that no confidence is 0 or 1: a finite step of labels cannot show certainty.
    shares = np.maximum.accumulate([(s + 0.5) / (c + 1.0) for s, c, _, _ in merged])
    points: list[tuple[float, float]] = []
    for (_, _, first, size), exact_share in zip(merged, shares.tolist()):
        share = round(exact_share, 6)
        for at in (int(first), int(first) + int(size) - 1):
            edge = round(float(x[at]), 6)
            if not points or edge > points[-1][0]:
                points.append((edge, share))
    return tuple(points)


def _check_weight(weight: FloatArray | None, n: int) -> None:
    if weight is not None and (len(weight) != n or not np.all(np.isfinite(weight) & (weight > 0))):
        raise InvalidInputError("weights: one positive finite number per lead")


def _join(blocks: list[list[float]], k: int) -> None:
    """Merge block ``k + 1`` into block ``k``."""
    s, c, _, size = blocks.pop(k + 1)
    blocks[k][0] += s
    blocks[k][1] += c
    blocks[k][3] += size


def fit(
    index: AccountIndex,
    leads: Iterable[Mapping[str, Any]] = (),
    truth: Mapping[str, frozenset[str]] | None = None,
    config: MatchConfig | None = None,
    *,
    method: Literal["labels", "em"] = "labels",
    holdout: float = 0.5,
    labels: Any = None,
) -> Fit:
    """Fit the confidence model to labelled leads and calibrate it on leads it did not see.

    ``truth`` maps each lead id to its right account ids (empty: the lead belongs to no
    account); see :func:`leadmatch.truth_from_rows`. Leads are split by a hash of their id:
    ``1 - holdout`` of them fit the weights; of the others, half fit the gap and the
    calibration and half measure the result (``Fit.before`` and ``Fit.after``). If the fitted
    config does worse than ``config`` there (F1 of ``matched``), ``config`` is kept
    (``Fit.kept``): labels never make matching worse than what you started from, on leads no
    step of the fit has seen.

    ``labels`` (a :class:`~leadmatch.Labels` file or what ``match_many`` takes) are people's
    answers, fitted on as labelled leads, alone or beside ``leads``: an answer about a lead
    of ``leads`` replaces its truth. An answer naming an account the index does not hold is
    left out, with a warning.

    ``method="em"`` fits without labels (``truth`` empty or ``None``): EM on every lead, with
    ``config``'s calibration kept; nothing is measured (``Fit.before`` and ``Fit.after`` are
    ``None``).
    """
    config = config or MatchConfig()
    view = view_of(index).with_config(config)  # one version of the accounts throughout
    if not 0.0 < holdout < 1.0:
        raise ConfigError(f"holdout must be between 0 and 1 (both excluded), not {holdout}")
    rows = [dict(lead) for lead in leads]
    book = label_book(labels)
    if method == "em":
        if book is not None or (truth and any(truth.values())):
            raise InvalidInputError(
                "method 'em' fits without labels and these leads have some: fit from them "
                "with method 'labels', or give no truth"
            )
        return _fit_unlabelled(view, _with_ids(rows), config)
    if book is not None:
        rows, truth = _with_answers(view, rows, truth or {}, book)
    ids = [str(row["lead_id"]) for row in _with_ids(rows)]
    truth = truth or {}
    unknown = [i for i in ids if i not in truth]
    if unknown:  # the calibration needs the labels of every held-apart lead
        raise InvalidInputError(f"{len(unknown):,} leads have no truth (first: {unknown[0]!r})")
    held = [_held_apart(i, holdout) for i in ids]
    fitting = [row for row, h in zip(rows, held) if not h]
    checking = [row for row, h in zip(rows, held) if h]
    if not fitting or not checking:
        raise InvalidInputError("too few leads to fit on some and calibrate on the others")
    return _fit_labelled(view, fitting, checking, truth, config)


def _with_ids(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [str(row.get("lead_id") or "") for row in rows]
    if any(not i for i in ids) or len(set(ids)) != len(ids):
        raise InvalidInputError("fitting needs a distinct lead_id on every lead")
    return rows


def _with_answers(
    view: IndexView,
    rows: list[dict[str, Any]],
    truth: Mapping[str, frozenset[str]],
    book: LabelBook,
) -> tuple[list[dict[str, Any]], dict[str, frozenset[str]]]:
    """``rows`` and ``truth`` with people's answers in: an answer replaces a lead's truth."""
    answered, said = labelled_leads(book)
    held = view.holds(account for answer in said.values() for account in answer)
    named = [lead_id for lead_id, answer in said.items() for _ in answer]
    unknown = {lead_id for lead_id, ok in zip(named, held) if not ok}
    if unknown:
        log.warning("%s labels name accounts the index does not hold: left out", len(unknown))
    answer_of = {row["lead_id"]: row for row in answered if row["lead_id"] not in unknown}
    merged = [answer_of.pop(str(row.get("lead_id") or ""), row) for row in rows]
    merged += answer_of.values()  # answers about leads not among ``rows``
    return merged, {**truth, **{i: said[i] for i in said if i not in unknown}}


def _fit_labelled(
    view: IndexView,
    fitting: list[dict[str, Any]],
    checking: list[dict[str, Any]],
    truth: Mapping[str, frozenset[str]],
    config: MatchConfig,
) -> Fit:
    # The held-apart leads: half fit the gap and the calibration, half measure (so that the
    # fitted config is judged on leads no step of the fit has seen).
    measures = [_held_apart(f"{row['lead_id']}|measure", 0.5) for row in checking]
    measuring = [row for row, m in zip(checking, measures) if m]
    calibrating = [row for row, m in zip(checking, measures) if not m]
    if not measuring or not calibrating:
        raise InvalidInputError("too few leads to fit, calibrate and measure on separate ones")
    pairs = pair_levels(view, fitting, truth, config)
    weights = fit_weights(pairs, config.weights)
    found = winner_scores(view, calibrating, truth, config.model_copy(update={"weights": weights}))
    gap = fit_gap(found.raw, found.gap, found.right)
    if gap is not None:
        weights = weights.model_copy(update={"gap": gap})
        found = winner_scores(
            view, calibrating, truth, config.model_copy(update={"weights": weights})
        )
    weights = weights.model_copy(update={"calibration": calibration(found.total, found.right)})
    fitted = config.model_copy(update={"weights": weights})
    held_truth = {str(row["lead_id"]): truth[str(row["lead_id"])] for row in measuring}
    before = evaluate(_matches(view, measuring, config), held_truth)
    after = evaluate(_matches(view, measuring, fitted), held_truth)
    why = "" if after.f1 >= before.f1 else "did worse on the held-apart leads"
    why = why or _forgets_accounts(view, config, fitted)
    return Fit(
        config=config if why else MatchConfig.model_validate(fitted.model_dump()),
        before=before,
        after=after,
        pairs=len(pairs),
        kept=bool(why),
        why=why,
    )


def _forgets_accounts(view: IndexView, config: MatchConfig, fitted: MatchConfig) -> str:
    """Why the fitted config must not replace ``config`` although it did as well on the
    held-apart leads, or ``""``. Leads chosen by a person (a review queue's) are no sample of
    all leads: a fit on them alone can do well on more of them and unlearn the plain matches
    they lack. So the fitted config must also match accounts to themselves (a lead made of
    each of up to :data:`SELF_CHECK_ACCOUNTS` accounts' name and first domain) about as often
    as ``config`` does."""
    leads, truth = _accounts_as_leads(view)
    if not leads:
        return ""
    given = evaluate(_matches(view, leads, config), truth).matched_right
    now = evaluate(_matches(view, leads, fitted), truth).matched_right
    if now >= given - SELF_CHECK_SLACK * len(leads):
        return ""
    return (
        f"matched {now:,} of {len(leads):,} accounts' own name and domain to them, against "
        f"{given:,} for the config given"
    )


def _accounts_as_leads(view: IndexView) -> tuple[list[dict[str, Any]], dict[str, frozenset[str]]]:
    d = view.data
    live = view.lookups.live().nonzero()[0]
    rows = live[:: max(len(live) // SELF_CHECK_ACCOUNTS, 1)][:SELF_CHECK_ACCOUNTS]
    first, end = d.domain_ptr[rows], d.domain_ptr[rows + 1]
    has = end > first
    domains = iter(d.domains.take(d.domain_ids[first[has]]))
    leads, truth = [], {}
    for account_id, name, with_domain in zip(
        d.account_id.take(rows), d.display_name.take(rows), has.tolist()
    ):
        lead_id = f"account:{account_id}"
        website = next(domains) if with_domain else None
        leads.append({"lead_id": lead_id, "company": name or None, "website": website})
        truth[lead_id] = frozenset([account_id])
    return leads, truth


def _fit_unlabelled(view: IndexView, rows: list[dict[str, Any]], config: MatchConfig) -> Fit:
    """EM on every lead: the context weights move, the rest of ``config`` stays."""
    pairs = pair_levels(view, rows, {}, config)
    fitted = fit_weights_em(pairs, config.weights)
    return Fit(
        config=MatchConfig.model_validate(
            config.model_copy(update={"weights": fitted}).model_dump()
        ),
        before=None,
        after=None,
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
    base: Weights,
    comparisons: tuple[str, ...],
) -> Weights:
    """``base`` with each of ``comparisons`` at its levels' ``log2(m / u)``, moved so that the
    neutral level weighs 0, then made monotone."""
    rising, neutral = _positions()
    tables: dict[str, dict[str, float]] = {}
    weight = pairs.weights()
    for comparison in comparisons:
        names = LEVELS[comparison]
        chosen = pairs.levels[comparison]
        m = np.bincount(chosen, weights=m_weight * weight, minlength=len(names)) + SMOOTHING
        u = np.bincount(chosen, weights=u_weight * weight, minlength=len(names)) + SMOOTHING
        ratio = np.log2((m / m.sum()) / (u / u.sum()))
        ratio -= ratio[neutral[comparison]]
        order = rising[comparison]
        pinned = order.index(neutral[comparison]) if neutral[comparison] in order else None
        ratio[order] = isotonic(ratio[order].tolist(), pinned)
        tables[comparison] = {
            name: round(float(np.clip(w, -MAX_WEIGHT, MAX_WEIGHT)), 4) + 0.0  # never -0.0
            for name, w in zip(names, ratio)
        }
    return Weights(**{**base.model_dump(), **tables})


class Winners(NamedTuple):
    """Per lead with a candidate: its chosen pair's score (``Scores.total``), whether it is
    right, and the parts of the score (``Scores.raw`` and ``Scores.gap``)."""

    total: FloatArray
    right: BoolArray
    raw: FloatArray
    gap: FloatArray


def winner_scores(
    index: AccountIndex | IndexView,
    leads: list[dict[str, Any]],
    truth: Mapping[str, frozenset[str]],
    config: MatchConfig,
) -> Winners:
    """The score of each lead's chosen account, and whether it is right."""
    view = view_of(index)
    parts: list[tuple[FloatArray, BoolArray, FloatArray, FloatArray]] = []
    for ids, feats, scores, n_leads in scored_batches(view, list(leads), config):
        decided = resolve(view, feats, scores, n_leads, config)
        pair = decided.winner_pair[decided.winner_pair >= 0]
        right = _right(view, truth, ids, feats, pair)
        parts.append((scores.total[pair], right, scores.raw[pair], scores.gap[pair]))
    if not parts:
        return Winners(np.zeros(0), np.zeros(0, dtype=bool), np.zeros(0), np.zeros(0))
    return Winners(*(np.concatenate(column) for column in zip(*parts)))


#: Fewest chosen pairs, of both kinds, to fit ``Weights.gap`` from; with fewer it is kept.
GAP_MIN_LEADS = 200
#: L2 penalty on the two slopes of :func:`fit_gap` (its intercept is free).
GAP_RIDGE = 1e-3


def _gap_loss(x: FloatArray, right: FloatArray, beta: FloatArray, w: FloatArray) -> float:
    z = x @ beta
    loss = np.sum(w * (np.logaddexp(0.0, z) - right * z))
    return float(loss + 0.5 * GAP_RIDGE * beta[1:] @ beta[1:])


def fit_gap(
    raw: FloatArray, gap: FloatArray, right: BoolArray, weight: FloatArray | None = None
) -> float | None:
    """``Weights.gap`` from leads' chosen pairs: a logistic regression of rightness on the raw
    score and the gap (Newton's method with step halving and a small ridge), as the gap's
    coefficient over the score's, within ``[0, 4]``. ``None`` where the leads cannot tell
    (fewer than :data:`GAP_MIN_LEADS`, all of one kind, or a score that does not rise with
    rightness): keep the gap you have. ``weight``: how many leads each one counts for."""
    _check_weight(weight, len(raw))
    if len(raw) < GAP_MIN_LEADS or right.all() or not right.any():
        return None
    x = np.stack([np.ones(len(raw)), raw, gap], axis=1)
    y = right.astype(np.float64)
    w = np.ones(len(raw)) if weight is None else np.asarray(weight, dtype=np.float64)
    penalty = GAP_RIDGE * np.diag([0.0, 1.0, 1.0])
    beta = np.zeros(3)
    for _ in range(100):
        p = 0.5 * (1.0 + np.tanh(0.5 * (x @ beta)))  # the logistic function, without overflow
        hessian = (x * (w * p * (1 - p))[:, None]).T @ x + penalty + 1e-9 * np.eye(3)
        step = np.linalg.solve(hessian, x.T @ (w * (p - y)) + penalty @ beta)
        size, current = 1.0, _gap_loss(x, y, beta, w)
        # A rise within rounding (the last steps, on another machine's arithmetic) is no rise.
        while _gap_loss(x, y, beta - size * step, w) > current * (1 + 1e-12) and size > 1e-4:
            size /= 2
        beta = beta - size * step
        if np.max(np.abs(size * step)) < 1e-9:
            break
    if beta[1] <= 1e-6:
        return None
    return round(float(np.clip(beta[2] / beta[1], 0.0, 4.0)), 4)


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
    # Any threshold above the next lower confidence matches the same leads: the config's own,
    # where it is one of them, is kept.
    below = [t for t in thresholds if t < threshold]
    if max(below, default=-1.0) < config.match_threshold <= threshold:
        threshold = config.match_threshold
    review = min(config.review_threshold, threshold)
    return config.model_copy(update={"match_threshold": threshold, "review_threshold": review})
