"""How good are the results? Precision, recall, calibration and the causes of errors, measured
against known answers (a CRM's converted leads, a labelled sample, synthetic data).

The unit is the lead. A lead's *prediction* is the account its result names: ``account_id``
for ``matched`` and ``review``, and for the ranking and calibration figures the best-scored
account whatever the decision (``candidate_id``), with its ``confidence``. It is right when
that account is one of the lead's right accounts (several when the company is recorded more
than once).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from rapidfuzz.distance import Indel

from leadmatch._util.arrays import BoolArray
from leadmatch._util.text import cell_text
from leadmatch.errors import InvalidInputError, MissingExtraError
from leadmatch.match import IndexView, result_fields, view_of
from leadmatch.models import Match
from leadmatch.normalize import company_domains, domain_key, normalize_name, parse_email

if TYPE_CHECKING:
    from leadmatch.index import AccountIndex

#: Recall levels at which the best precision is reported.
RECALL_LEVELS = (0.5, 0.8, 0.9, 0.95, 0.99)
#: What makes a lead hard; a lead may show several ("other": none of them). "no account": it
#: belongs to no account; "free-mail", "no domain": it has no company domain (a free-mail
#: address, or none at all); "typo": its name is near its account's, not equal; "legal form":
#: its legal form is not its account's; "hierarchy": its account has a parent or children;
#: "duplicate account": its company is recorded more than once; "other script": its name is
#: not written in Latin letters.
CAUSES = (
    "no account",
    "free-mail",
    "no domain",
    "typo",
    "legal form",
    "hierarchy",
    "duplicate account",
    "other script",
    "other",
)
#: A lead's normalized name this close to its right account's (but not equal) is a typo.
TYPO_SIMILARITY = 0.8


@dataclass(frozen=True)
class ReliabilityBin:
    """Leads whose confidence falls in ``[low, high)``: how sure the model was, how often right."""

    low: float
    high: float
    leads: int
    mean_confidence: float
    right_share: float


@dataclass(frozen=True)
class Evaluation:
    """Results against the truth. ``precision``, ``recall`` and ``f1`` are of ``matched``
    (and of ``labelled`` leads with an account: what the CRM would receive)."""

    leads: int
    with_account: int
    matched: int
    matched_right: int
    review: int
    review_right: int
    no_account_unmatched: int
    errors: int
    decisions: dict[str, int]
    average_precision: float
    precision_at_recall: dict[float, float]
    """Best precision among confidence thresholds that reach each recall (0.0: unreachable)."""
    reliability: list[ReliabilityBin]
    ece: float
    """Expected calibration error: mean |confidence - share right| over bins, by lead count."""
    curve: tuple[list[float], list[float], list[float]] = field(repr=False)
    """Precision, recall and threshold at every distinct confidence, highest first."""
    causes: dict[str, tuple[int, int]] | None = None
    """Per cause: (leads that show it and went wrong, leads that show it). Wrong: a wrong
    account matched or in review, or the lead's account left unmatched."""

    @property
    def precision(self) -> float:
        """Of ``matched``; 1.0 over none (so that F1 reads 0 where recall is 0): reports say
        "n/a" instead (:meth:`summary`; ``None`` in :meth:`to_dict`)."""
        return self.matched_right / self.matched if self.matched else 1.0

    @property
    def recall(self) -> float:
        return self.matched_right / self.with_account if self.with_account else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def no_account_accuracy(self) -> float:
        """Share of leads that belong to no account whose decision is ``unmatched``."""
        none = self.leads - self.with_account
        return self.no_account_unmatched / none if none else 1.0

    def summary(self) -> str:
        """A few lines for a terminal or a log."""
        at = ", ".join(f"{p:.3f} at {r:.2f}" for r, p in self.precision_at_recall.items())
        # A precision over no matched lead is no figure: it is said so, not printed as 1.
        precision = f"{self.precision:.3f}" if self.matched else "n/a (nothing matched)"
        lines = [
            f"{self.leads:,} leads, {self.with_account:,} with an account: "
            f"precision {precision}, recall {self.recall:.3f}, F1 {self.f1:.3f} of "
            f"'matched' ({self.matched_right:,}/{self.matched:,} right)",
            f"review {self.review:,} ({self.review_right:,} right); leads of no account left "
            f"unmatched {self.no_account_accuracy:.3f}",
            f"ranked by confidence: average precision {self.average_precision:.3f}; "
            f"precision at recall: {at}",
            f"expected calibration error {self.ece:.3f} over {len(self.reliability)} bins",
        ]
        if self.causes is not None:
            parts = [
                f"{cause} {wrong:,}/{total:,}" for cause, (wrong, total) in self.causes.items()
            ]
            lines.append(f"errors {self.errors:,}; by cause (wrong/leads): {', '.join(parts)}")
        return "\n".join(lines)

    def reliability_table(self) -> str:
        """The reliability table as Markdown."""
        rows = ["| confidence | leads | mean confidence | right |", "| --- | ---: | ---: | ---: |"]
        rows += [
            f"| {b.low:.1f}-{b.high:.1f} | {b.leads:,} | {b.mean_confidence:.3f} | "
            f"{b.right_share:.3f} |"
            for b in self.reliability
        ]
        return "\n".join(rows)

    def to_dict(self) -> dict[str, Any]:
        """Every figure, JSON-ready."""
        return {
            "leads": self.leads,
            "with_account": self.with_account,
            "precision": self.precision if self.matched else None,
            "recall": self.recall,
            "f1": self.f1,
            "matched": self.matched,
            "matched_right": self.matched_right,
            "review": self.review,
            "review_right": self.review_right,
            "no_account_accuracy": self.no_account_accuracy,
            "decisions": dict(self.decisions),
            "average_precision": self.average_precision,
            "precision_at_recall": {str(r): p for r, p in self.precision_at_recall.items()},
            "ece": self.ece,
            "reliability": [vars(b) for b in self.reliability],
            "errors": self.errors,
            "causes": None
            if self.causes is None
            else {c: {"wrong": w, "leads": n} for c, (w, n) in self.causes.items()},
        }

    def plot(self, pr_path: str, reliability_path: str) -> None:
        """The precision-recall curve and the reliability diagram as PNG files (needs the
        ``plots`` extra: matplotlib)."""
        try:
            import matplotlib

            matplotlib.use("Agg")
            from matplotlib import pyplot
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise MissingExtraError("plots need: pip install 'leadmatch[plots]'") from exc
        precision, recall, _ = self.curve
        fig, ax = pyplot.subplots(figsize=(5, 4))
        ax.step(recall, precision, where="post")
        ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1), ylim=(0, 1.02))
        ax.set_title(f"average precision {self.average_precision:.3f}")
        fig.tight_layout()
        fig.savefig(pr_path, dpi=100)
        pyplot.close(fig)
        fig, ax = pyplot.subplots(figsize=(5, 4))
        filled = [b for b in self.reliability if b.leads]
        ax.plot([0, 1], [0, 1], linestyle=":", color="grey")
        ax.plot([b.mean_confidence for b in filled], [b.right_share for b in filled], marker="o")
        ax.set(xlabel="confidence", ylabel="share right", xlim=(0, 1), ylim=(0, 1.02))
        ax.set_title(f"expected calibration error {self.ece:.3f}")
        fig.tight_layout()
        fig.savefig(reliability_path, dpi=100)
        pyplot.close(fig)


def evaluate(
    results: Iterable[Match | Mapping[str, Any]],
    truth: Mapping[str, frozenset[str]],
    *,
    leads: Iterable[Mapping[str, Any]] | None = None,
    index: AccountIndex | None = None,
    bins: int = 10,
) -> Evaluation:
    """Results (``Match`` records or result rows) against ``truth`` (lead id -> right account
    ids, empty for a lead that belongs to no account; see :func:`truth_from_rows`).

    With the ``leads`` (their fields) and the ``index``, errors are also broken down by cause.
    Results matched with labels count the labels as answers (confidence 1, or 0 for "none
    of the accounts"): measure the model on results matched without them.
    A result whose lead the truth does not know raises :class:`InvalidInputError`: a silently
    smaller evaluation would look better than it is.
    """
    view = view_of(index) if index is not None else None
    if bins < 1:
        raise ValueError("bins must be at least 1")
    rows = [result_fields(r) for r in results]
    _check_evaluable(rows, truth)
    right_sets = [truth[row["lead_id"]] for row in rows]
    decision = [row["decision"] for row in rows]
    named_right = np.array(
        [row["account_id"] in right for row, right in zip(rows, right_sets)], dtype=bool
    )
    has_account = np.array([bool(right) for right in right_sets], dtype=bool)
    has_named = np.array([bool(row["account_id"]) for row in rows], dtype=bool)
    # A labelled lead counts as the model's decisions would: its account matched, else none.
    is_matched = np.isin(decision, ["matched", "labelled"]) & has_named
    is_review = np.array([d == "review" for d in decision], dtype=bool)
    candidate_right, has_candidate = _candidates(rows, right_sets)
    confidence = np.array([row["confidence"] for row in rows], dtype=np.float64)
    wrong = _wrong(is_matched | is_review, named_right, has_account)
    curve = _pr_curve(confidence[has_candidate], candidate_right[has_candidate], has_account.sum())
    reliability, ece = _reliability(confidence, candidate_right & has_candidate, bins)
    return Evaluation(
        leads=len(rows),
        with_account=int(has_account.sum()),
        matched=int(is_matched.sum()),
        matched_right=int((is_matched & named_right).sum()),
        review=int(is_review.sum()),
        review_right=int((is_review & named_right).sum()),
        no_account_unmatched=int(
            (np.isin(decision, ["unmatched", "labelled"]) & ~has_named & ~has_account).sum()
        ),
        errors=int(wrong.sum()),
        decisions=dict(Counter(decision)),
        average_precision=_average_precision(*curve[:2]),
        precision_at_recall={r: _precision_at(curve, r) for r in RECALL_LEVELS},
        reliability=reliability,
        ece=ece,
        curve=curve,
        causes=None
        if leads is None or view is None
        else _causes(rows, right_sets, wrong, leads, view),
    )


def _check_evaluable(rows: list[dict[str, Any]], truth: Mapping[str, frozenset[str]]) -> None:
    """Refuse results that would make the figures wrong without saying so: a lead with more
    than one result, or a lead the truth does not know."""
    twice = [lead for lead, n in Counter(row["lead_id"] for row in rows).items() if n > 1]
    if twice:
        raise InvalidInputError(
            f"{len(twice):,} leads have more than one result (first: {twice[0]!r}): one result "
            "per lead is evaluated"
        )
    unknown = [row["lead_id"] for row in rows if row["lead_id"] not in truth]
    if unknown:
        raise InvalidInputError(
            f"{len(unknown):,} results have no truth (first: {unknown[0]!r}): give the truth of "
            "every lead evaluated"
        )


def _candidates(
    rows: list[dict[str, Any]], right_sets: list[frozenset[str]]
) -> tuple[BoolArray, BoolArray]:
    """Per lead, whether its best-scored account (``candidate_id``, else the account its result
    names) is right, and whether it has one: the ranking and calibration figures read these
    whatever the decision."""
    candidate = [row["candidate_id"] or row["account_id"] for row in rows]
    candidate_right = np.array([c in right for c, right in zip(candidate, right_sets)], dtype=bool)
    has_candidate = np.array([bool(c) for c in candidate], dtype=bool)
    return candidate_right, has_candidate


def _wrong(named: BoolArray, named_right: BoolArray, has_account: BoolArray) -> BoolArray:
    """Per lead, whether its result is an error: a wrong account matched or sent to review
    (``named``), or a lead's account left unmatched. A right account in review is not an
    error: a person confirms it."""
    return (named & ~named_right) | (has_account & ~(named & named_right))


def truth_from_rows(rows: Iterable[Mapping[str, Any]]) -> dict[str, frozenset[str]]:
    """Truth from rows with ``lead_id``, ``true_account_id`` and optional
    ``acceptable_account_ids`` (``;``-separated)."""
    truth: dict[str, frozenset[str]] = {}
    for row in rows:
        ids = {cell_text(row.get("true_account_id"))}
        ids.update(cell_text(row.get("acceptable_account_ids")).split(";"))
        truth[cell_text(row.get("lead_id"))] = frozenset(i.strip() for i in ids if i.strip())
    return truth


def _pr_curve(
    confidence: Any, right: Any, positives: int
) -> tuple[list[float], list[float], list[float]]:
    """Precision and recall when every lead at or above each distinct confidence takes its
    candidate (ties enter together)."""
    if len(confidence) == 0 or positives == 0:
        return [1.0], [0.0], [1.0]
    order = np.argsort(-confidence, kind="stable")
    conf, hits = confidence[order], right[order].astype(np.int64)
    last = np.flatnonzero(np.append(conf[1:] != conf[:-1], True))  # end of each tie group
    tp = np.cumsum(hits)[last]
    taken = last + 1
    return (tp / taken).tolist(), (tp / positives).tolist(), conf[last].tolist()


def _average_precision(precision: list[float], recall: list[float]) -> float:
    """Sum of precision times each recall step (no interpolation)."""
    steps = np.diff(np.concatenate([[0.0], recall]))
    return float(np.sum(steps * np.asarray(precision)))


def _precision_at(curve: tuple[list[float], list[float], list[float]], level: float) -> float:
    reached = [p for p, r in zip(curve[0], curve[1]) if r >= level]
    return max(reached, default=0.0)


def _reliability(confidence: Any, right: Any, bins: int) -> tuple[list[ReliabilityBin], float]:
    """Equal-width confidence bins (the last one closed) and the ECE."""
    edges = np.arange(bins + 1, dtype=np.float64) / bins  # 3 / 10 is 0.3; linspace's is not
    which = np.clip(np.searchsorted(edges, confidence, side="right") - 1, 0, bins - 1)
    out: list[ReliabilityBin] = []
    gap = 0.0
    for b in range(bins):
        inside = which == b
        n = int(inside.sum())
        mean = float(confidence[inside].mean()) if n else 0.0
        share = float(right[inside].mean()) if n else 0.0
        gap += n * abs(mean - share)
        out.append(ReliabilityBin(float(edges[b]), float(edges[b + 1]), n, mean, share))
    total = len(confidence)
    return out, (gap / total if total else 0.0)


def _causes(
    rows: list[dict[str, Any]],
    right_sets: list[frozenset[str]],
    wrong: Any,
    leads: Iterable[Mapping[str, Any]],
    index: IndexView,
) -> dict[str, tuple[int, int]]:
    """Per cause, the leads that show it and how many of them went wrong."""
    fields = {cell_text(lead.get("lead_id")): lead for lead in leads}
    d = index.whole().data
    in_hierarchy = set(d.account_id.take(d.parent_row[d.parent_row >= 0]))
    in_hierarchy.update(d.account_id.take(np.flatnonzero(d.parent_row >= 0)))
    shown: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for row, right, bad in zip(rows, right_sets, wrong.tolist()):
        lead = fields.get(row["lead_id"], {})
        email = parse_email(lead.get("email"))
        domains = company_domains(email, domain_key(lead.get("website")))
        name = normalize_name(lead.get("company"))
        found: list[str] = []
        if not right:
            found.append("no account")
        if not domains:
            found.append("free-mail" if email.kind == "freemail" else "no domain")
        if name.base and not name.base.isascii():
            found.append("other script")
        if len(right) > 1:
            found.append("duplicate account")
        accounts = [index.tables.account(a) for a in sorted(right) if a in index.tables.row_of_id]
        if accounts and name.ascii:
            names = [n for a in accounts for n in a["names"]]
            best = max(Indel.normalized_similarity(name.ascii, n) for n in names) if names else 0.0
            if name.ascii not in names and best >= TYPO_SIMILARITY:
                found.append("typo")
            legal = {form for a in accounts for form in a["legal_forms"]}
            if name.legal_form and name.legal_form not in legal:
                found.append("legal form")
        if any(a in in_hierarchy for a in right):
            found.append("hierarchy")
        for cause in found or ["other"]:
            shown[cause] += 1
            failed[cause] += bool(bad)
    return {cause: (failed[cause], shown[cause]) for cause in CAUSES}
