"""Review: the leads a person should settle, most useful first (:mod:`items`), one reviewer
working through them (:mod:`session`) on a page served on this machine only (:mod:`server`).
The answers are kept as labels (:class:`leadmatch.Labels`), which win over the model in every
later match."""

from leadmatch.review.items import DEFAULT_BANDS, Band, Item, queue
from leadmatch.review.server import ReviewServer
from leadmatch.review.session import REFIT_EVERY, Session

__all__ = ["DEFAULT_BANDS", "REFIT_EVERY", "Band", "Item", "ReviewServer", "Session", "queue"]
