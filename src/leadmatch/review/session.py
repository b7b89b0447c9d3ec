"""One reviewer working through a queue: the question at hand, the answers given (each written
to the labels file before the next question is shown), skips, undo, search and progress. What
the review page shows and does, without HTTP, so that it can be tested and reused.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from leadmatch.errors import InvalidInputError
from leadmatch.io import Label, LabelBook, validate_leads
from leadmatch.models import LEAD_FIELDS, Lead, Match
from leadmatch.normalize import registered_domain
from leadmatch.quality import fit
from leadmatch.review.items import Band, Item, queue

if TYPE_CHECKING:
    from leadmatch.index import AccountIndex

#: Candidates and search results shown for a question: the keys 1 to 9 pick them.
SHOWN = 9
#: Longest search text read (a name or a domain is far shorter).
MAX_SEARCH = 200
#: Answers between two refits of the model on the answers (0: never).
REFIT_EVERY = 25
#: Text that reads as a web address or host (searched as a website, not a name).
_WEB = re.compile(r"^(?:https?://)?[\w.-]+\.[\w-]+(?:[/:?#]\S*)?$", re.IGNORECASE)


def _named_leads(leads: Sequence[Lead | Mapping[str, Any]]) -> list[Lead]:
    """The batch's readable leads, each with the id its result has (its position if none)."""
    valid, ids, _ = validate_leads(leads, strict=False)
    return [
        lead if lead.lead_id == lead_id else lead.model_copy(update={"lead_id": lead_id})
        for lead, lead_id in zip(valid, ids)
        if lead is not None
    ]


class Session:
    """A queue being answered by one reviewer, thread-safe (a page may send two requests at
    once). Answers go through ``write`` (``Labels.writing()``'s writer: flushed before it
    returns); ``labels`` are the answers already in the file, whose leads are not asked."""

    def __init__(
        self,
        index: AccountIndex,
        leads: Sequence[Lead | Mapping[str, Any]],
        results: Sequence[Match | Mapping[str, Any]],
        write: Callable[[Label], None],
        *,
        labels: LabelBook | None = None,
        by: str = "",
        bands: Sequence[Band] = ("review",),
        audit: int = 0,
        weights: Mapping[str, float] | None = None,
        account_fields: Sequence[str] = (),
        refit_every: int = REFIT_EVERY,
        unnamed: Collection[str] = (),
    ) -> None:
        self._index, self._write, self._by = index, write, by
        self._fields = tuple(account_fields)
        self._lock = threading.Lock()
        self._book, self._refit_every, self._unnamed = labels, refit_every, frozenset(unnamed)
        self._skipped: set[str] = set()
        self._refit: dict[str, Any] | None = None
        self._refitting: threading.Thread | None = None
        self._refit_at = 0  # answers given when the last refit began

        def asked(found: Sequence[Any], batch: Any, book: LabelBook | None) -> list[Item]:
            return queue(found, batch, bands=bands, audit=audit, weights=weights, labels=book)

        self._asked = asked
        self._pending: deque[Item] = deque(asked(results, leads, labels))
        self._band = sum(1 + len(item.settles) for item in asked(results, leads, None))
        self._batch = _named_leads(leads)
        self._answered: list[tuple[Item, Label]] = []

    def state(self) -> dict[str, Any]:
        """What the page shows: the question at hand (``None`` when the queue is done) and
        the progress."""
        with self._lock:
            item = self._pending[0] if self._pending else None
            shown = None if item is None else self._shown(item)
            last = self._answered[-1][0].lead.lead_id if self._answered else None
            return {"item": shown, **self._progress(), "refit": self._refit, "last": last}

    def answer(self, lead_id: str, account_id: str | None) -> dict[str, Any]:
        """Answer the question at hand (which must be about ``lead_id``: a page showing an old
        question is refused rather than answered for the wrong lead)."""
        with self._lock:
            item = self._at_hand(lead_id)
            if account_id is not None and account_id not in self._index:
                raise InvalidInputError(f"no account {account_id!r} in the index")
            label = self._label(item, account_id)
            self._write(label)
            self._answered.append((self._pending.popleft(), label))
            # Due once refit_every answers have come since the last refit began: one that
            # falls due while the last still runs starts with the first answer after it ends,
            # rather than waiting for the next multiple.
            due = self._refit_every and len(self._answered) - self._refit_at >= self._refit_every
            if due and (self._refitting is None or not self._refitting.is_alive()):
                self._refit_at = len(self._answered)
                answers = [label for _, label in self._answered]
                self._refitting = threading.Thread(target=self.refit, args=(answers,), daemon=True)
                self._refitting.start()
        return self.state()

    def refit(self, answers: Sequence[Label]) -> dict[str, Any]:
        """Fit the model on every answer in force (the file's before this session, and
        ``answers``) and say what the fitted model would change among the questions left: how
        many leads it would match or leave unmatched, at what precision (estimated on the
        answers the fit held apart). Where the fit is taken, the queue is ranked by it."""
        book = LabelBook.of([*(self._book.labels if self._book else ()), *answers])
        try:
            result = fit(self._index, labels=book, config=self._index.config)
        except InvalidInputError as exc:
            said: dict[str, Any] = {"answers": len(book), "used": False, "why": str(exc)}
        else:
            said = {"answers": len(book), "used": not result.kept, "why": result.why}
            if not result.kept and result.after is not None:
                said.update(self._would_change(result.config, book))
                matched = result.after.matched  # a precision over none is no estimate
                said["precision"] = round(result.after.precision, 4) if matched else None
        with self._lock:
            self._refit = said
        return said

    def _would_change(self, config: Any, book: LabelBook) -> dict[str, Any]:
        """Among the leads still asked about: what the fitted config decides for them, and
        (where the fit is taken) the questions ranked by it."""
        with self._lock:
            asked = {str(lead) for i in self._pending for lead in (i.lead.lead_id, *i.settles)}
        leads = [lead for lead in self._batch if lead.lead_id in asked]
        results = self._index.with_config(config).match_many(leads)
        decided = {d: sum(r.decision == d for r in results) for d in ("matched", "unmatched")}
        ranked = {
            str(lead): n
            for n, item in enumerate(self._asked(results, leads, book))
            for lead in (item.lead.lead_id, *item.settles)
        }
        with self._lock:
            items = list(self._pending)  # the question at hand stays where the reviewer is

            def place(item: Item) -> tuple[bool, int]:  # skipped ones stay behind the rest
                lead = str(item.lead.lead_id)
                return lead in self._skipped, ranked.get(lead, len(ranked))

            self._pending = deque(items[:1] + sorted(items[1:], key=place))
        return {"would_match": decided["matched"], "would_unmatch": decided["unmatched"],
                "of": len(leads)}  # fmt: skip

    def skip(self, lead_id: str) -> dict[str, Any]:
        """Put the question at hand at the end of the queue (a refit ranks it there too)."""
        with self._lock:
            self._at_hand(lead_id)
            self._skipped.add(lead_id)
            self._pending.rotate(-1)
        return self.state()

    def undo(self, lead_id: str | None = None) -> dict[str, Any]:
        """Withdraw this session's latest answer (an undo line in the labels file) and ask
        its question again; with ``lead_id``, only if that is the lead it answered (a page
        that has not seen the latest answer must not withdraw it)."""
        with self._lock:
            if not self._answered:
                raise InvalidInputError("nothing to undo: no answer given in this session")
            if lead_id is not None and self._answered[-1][0].lead.lead_id != lead_id:
                raise InvalidInputError(f"the latest answer is not about {lead_id!r}: reload")
            item, label = self._answered.pop()
            self._write(label.model_copy(update={"undo": True, "by": self._by}))
            self._pending.appendleft(item)
        return self.state()

    def search(self, text: str) -> list[dict[str, Any]]:
        """Accounts for what the reviewer typed: an account id, a domain, or a name."""
        text = text.strip()[:MAX_SEARCH]
        if not text:
            return []
        if text in self._index:
            return [self._account(text)]
        if "@" in text and " " not in text:
            lead = {"email": text}
        elif _WEB.match(text) and registered_domain(text):
            lead = {"website": text}
        else:
            lead = {"company": text}
        found = self._index.explain(lead).candidates[:SHOWN]
        return [self._account(c.account_id) for c in found]

    def _label(self, item: Item, account_id: str | None) -> Label:
        """The answer as a label; a lead named by its place in this batch is not labelled by
        that name (in the next batch it names another lead)."""
        if item.lead.lead_id in self._unnamed:
            item = replace(item, id_given=False)
        try:
            return item.answer(account_id, by=self._by)
        except ValidationError as exc:
            raise InvalidInputError(
                "this lead has no lead id, email or company to find its answer by"
            ) from exc

    def _at_hand(self, lead_id: str) -> Item:
        if not self._pending:
            raise InvalidInputError("the queue is done: nothing to answer")
        item = self._pending[0]
        if item.lead.lead_id != lead_id:
            raise InvalidInputError(
                f"lead {lead_id!r} is not the question at hand ({item.lead.lead_id!r}): reload"
            )
        return item

    def _progress(self) -> dict[str, Any]:
        """Answers of this session, questions left, and the share of the queue's leads (all
        the leads its questions settle, labelled before this session or in it) settled."""
        open_leads = sum(1 + len(item.settles) for item in self._pending)
        return {
            "answered": len(self._answered),
            "left": len(self._pending),
            "settled_share": round(1 - open_leads / self._band, 4) if self._band else 1.0,
        }

    def _shown(self, item: Item) -> dict[str, Any]:
        explained = self._index.explain(item.lead)
        lead = item.lead.model_dump()
        return {
            "lead": {name: lead[name] for name in LEAD_FIELDS if lead[name] is not None},
            "band": item.band,
            "decision": item.decision,
            "account_id": item.account_id,
            "confidence": item.confidence,
            "settles": len(item.settles),
            "notes": list(explained.notes),
            "candidates": [
                {
                    **self._account(c.account_id),
                    "confidence": c.confidence,
                    "evidence": [e.detail for e in c.evidence],
                }
                for c in explained.candidates[:SHOWN]
            ],
        }

    def _account(self, account_id: str) -> dict[str, Any]:
        held = self._index.account(account_id)
        fields = {name: held["fields"].get(name, "") for name in self._fields}
        return {
            "account_id": account_id,
            "name": held["name"],
            "domains": held["domains"],
            "country": held["country"],
            "fields": fields,
        }
