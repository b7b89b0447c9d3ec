"""Review: the leads a person should settle, most useful first (:mod:`items`); the answers are
kept as labels (:class:`leadmatch.Labels`), which win over the model in every later match."""

from leadmatch.review.items import DEFAULT_BANDS, Band, Item, queue

__all__ = ["DEFAULT_BANDS", "Band", "Item", "queue"]
