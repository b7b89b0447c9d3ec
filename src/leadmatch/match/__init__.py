"""Matching: a batch of leads through the stages, against one view of an index.

prepare (:mod:`leadmatch.normalize.leads`) -> :mod:`blocking` (candidate pairs) ->
:mod:`features` (one vectorized pass) -> :mod:`scoring` (confidence) -> :mod:`resolve` (one
account per lead, a decision) -> :mod:`explain` and :mod:`results` (evidence, records or rows).
:mod:`pipeline` runs them for lists and frames, :mod:`stream` for streams of any length (in
worker processes too). Every stage reads an :class:`IndexView`, never ``AccountIndex``.
"""

from leadmatch.match.features import Features
from leadmatch.match.pipeline import match_leads, match_records, scored_batches
from leadmatch.match.resolve import resolve
from leadmatch.match.results import (
    OUTPUT_COLUMNS,
    field_columns,
    result_fields,
    result_names,
    result_row,
)
from leadmatch.match.scoring import probability, rival_gap, totals
from leadmatch.match.stream import match_stream
from leadmatch.match.view import IndexView, view_of
from leadmatch.match.why import Candidate, Explanation, explain_lead, score_for

__all__ = [
    "OUTPUT_COLUMNS",
    "Candidate",
    "Explanation",
    "Features",
    "IndexView",
    "explain_lead",
    "field_columns",
    "match_leads",
    "match_records",
    "match_stream",
    "probability",
    "resolve",
    "result_fields",
    "result_names",
    "result_row",
    "rival_gap",
    "score_for",
    "scored_batches",
    "totals",
    "view_of",
]
