"""A logistic regression over comparison levels, monotone within each comparison. NumPy only.

Each comparison puts a pair in one of its levels, so the model is a sum of one weight per
comparison (a generalized additive model whose shape functions are steps). Fitting the weights
jointly, rather than each level's ``log2(m / u)`` alone as Fellegi–Sunter does, keeps signals
that overlap (a name both very similar and fully covered) from counting twice. Two constraints
keep the result explainable: a comparison's neutral level weighs 0, and along its order of
rising agreement no level weighs less than the one below it (isotonic projection after every
step, by pool adjacent violators).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from leadmatch._util.arrays import FloatArray, IntArray

#: L2 penalty per weight (against the mean log loss): a level seen in a handful of pairs stays
#: near 0 instead of taking an extreme weight.
RIDGE = 1e-4
#: Steps of the optimizer (Adam, on the log2 weights).
STEPS = 1500
LEARNING_RATE = 0.05
#: No weight beyond this many bits: no single level may decide alone against everything else.
MAX_WEIGHT = 16.0
_LN2 = float(np.log(2.0))


def isotonic(values: Sequence[float], pinned: int | None = None) -> list[float]:
    """The closest non-decreasing sequence (least squares, pool adjacent violators); the value
    at position ``pinned`` is held where it is (it anchors a level at 0)."""
    blocks: list[list[float]] = []  # [weighted sum, weight, count]
    for k, value in enumerate(values):
        weight = 1e9 if k == pinned else 1.0
        blocks.append([value * weight, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            s, w, c = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += w
            blocks[-1][2] += c
    out: list[float] = []
    for s, w, c in blocks:
        out.extend([s / w] * int(c))
    return out


class _Layout:
    """Where each comparison's levels sit in one parameter vector (position 0: the prior)."""

    def __init__(self, levels: Mapping[str, Sequence[str]]) -> None:
        self.names = list(levels)
        self.start: dict[str, int] = {}
        at = 1
        for name in self.names:
            self.start[name] = at
            at += len(levels[name])
        self.size = at


def _compress(
    layout: _Layout, chosen: Mapping[str, IntArray], y: FloatArray, weight: FloatArray
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Distinct rows of level choices (as parameter columns), with their summed weight and
    weighted share of matches: pairs with the same levels are one row to the model."""
    columns = np.stack([chosen[n] + layout.start[n] for n in layout.names], axis=1)
    rows, inverse = np.unique(columns, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    total = np.bincount(inverse, weights=weight, minlength=len(rows)).astype(np.float64)
    positive = np.bincount(inverse, weights=weight * y, minlength=len(rows)).astype(np.float64)
    return rows.astype(np.int64), total, positive


def _project(
    theta: FloatArray,
    layout: _Layout,
    rising: Mapping[str, Sequence[int]],
    neutral: Mapping[str, int],
) -> None:
    """In place: neutral levels at 0, each comparison monotone along ``rising``, within bounds."""
    for name in layout.names:
        at = layout.start[name]
        order = list(rising[name])
        pinned = order.index(neutral[name]) if neutral[name] in order else None
        theta[at + neutral[name]] = 0.0
        values = isotonic([float(theta[at + k]) for k in order], pinned)
        for k, value in zip(order, values):
            theta[at + k] = value
        theta[at + neutral[name]] = 0.0
    np.clip(theta, -MAX_WEIGHT, MAX_WEIGHT, out=theta)


def monotone_logistic(
    levels: Mapping[str, Sequence[str]],
    chosen: Mapping[str, IntArray],
    y: FloatArray,
    weight: FloatArray,
    rising: Mapping[str, Sequence[int]],
    neutral: Mapping[str, int],
    start: FloatArray | None = None,
) -> FloatArray:
    """The parameter vector (prior, then every comparison's level weights in ``levels``
    order, all in log2 odds) minimizing the weighted log loss of ``y`` (1 match, 0 not, or a
    probability) plus :data:`RIDGE`, under the constraints above."""
    layout = _Layout(levels)
    rows, total, positive = _compress(layout, chosen, y, weight)
    total_weight = float(total.sum())
    if total_weight <= 0:
        raise ValueError("no pair has a positive weight")
    theta = np.zeros(layout.size) if start is None else start.astype(np.float64).copy()
    m, v = np.zeros(layout.size), np.zeros(layout.size)
    for step in range(1, STEPS + 1):
        score = theta[0] + theta[rows].sum(axis=1)
        p = 1.0 / (1.0 + np.exp(-_LN2 * score))
        residual = (total * p - positive) * _LN2 / total_weight
        grad: FloatArray = np.bincount(
            rows.reshape(-1), weights=np.repeat(residual, rows.shape[1]), minlength=layout.size
        ).astype(np.float64)
        grad[0] = residual.sum()
        grad[1:] += 2 * RIDGE * theta[1:]
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        theta -= LEARNING_RATE * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
        _project(theta, layout, rising, neutral)
    return theta


def unpack(
    theta: FloatArray, levels: Mapping[str, Sequence[str]]
) -> tuple[float, dict[str, dict[str, float]]]:
    """(prior, per comparison {level: weight}) of a parameter vector, rounded for JSON."""
    layout = _Layout(levels)
    tables = {
        name: {
            level: round(float(theta[layout.start[name] + k]), 4) + 0.0  # never -0.0
            for k, level in enumerate(levels[name])
        }
        for name in layout.names
    }
    return round(float(theta[0]), 4), tables


def pack(
    prior: float, tables: Mapping[str, Mapping[str, float]], levels: Mapping[str, Sequence[str]]
) -> FloatArray:
    """The parameter vector of a prior and weight tables (the inverse of :func:`unpack`)."""
    layout = _Layout(levels)
    theta = np.zeros(layout.size)
    theta[0] = prior
    for name in layout.names:
        for k, level in enumerate(levels[name]):
            theta[layout.start[name] + k] = tables[name][level]
    return theta
