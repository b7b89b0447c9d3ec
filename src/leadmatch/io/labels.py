"""Labels: a person's answers about leads (this lead is that account, or none of them), kept in
a JSON Lines file that only ever grows, and found again for the same leads in later exports.

One answer is one line, appended and flushed to disk before the next is taken, so a crash
loses at most the answer being written: a torn last line is skipped when the file is read, and
cut before the next answer is written. A later answer about the same lead replaces an
earlier one, and ``{"undo": true, ...}`` withdraws the latest. One writer at a time: a second
process that appends while another holds the file gets :class:`LabelsInUseError`.

A lead finds its label by, in this order: its own ``lead_id``; its email address (the same
person, under a new lead id in next week's export); its company name and a company domain
from its email or website (the same company; a free-mail address is no company domain).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from leadmatch.errors import LeadmatchError
from leadmatch.normalize import company_domains, company_name, domain_key, parse_email

log = logging.getLogger("leadmatch")


class LabelsFileError(LeadmatchError, ValueError):
    """A labels file with a line that is not a label (other than a torn last line)."""


class LabelsInUseError(LeadmatchError):
    """Another process is writing the labels file."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Label(BaseModel):
    """One answer: the lead (its id and the fields that find it again), the account it belongs
    to (``None``: none of the accounts), who answered and when, and what the model said then."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    lead_id: str | None = None
    email: str | None = None
    company: str | None = None
    website: str | None = None
    account_id: str | None = None
    """The account the lead belongs to; ``None`` when it belongs to none of them."""
    by: str = ""
    at: str = Field(default_factory=_now)
    """When, as ISO 8601 text (UTC when leadmatch wrote it)."""
    model_account_id: str | None = None
    """The model's account (or best candidate) for the lead when the answer was given."""
    model_confidence: float | None = None
    model_decision: str | None = None
    undo: bool = False
    """Withdraws the latest answer about the same lead instead of giving one."""

    @model_validator(mode="after")
    def _findable(self) -> Label:
        if not (self.lead_id or self.email or self.company):
            raise ValueError("a label needs a lead_id, an email or a company to be found by")
        return self

    def lead(self) -> str:
        """The lead the answer is about: its id, else its email, company and website."""
        if self.lead_id:
            return f"id:{self.lead_id}"
        return "|".join(("fields", self.email or "", self.company or "", self.website or ""))


def _email_key(email: str | None) -> str:
    key = parse_email(email)
    return f"{key.local}@{key.domain}" if key.local and key.domain else ""


def _company_keys(company: str | None, email: str | None, website: str | None) -> list[str]:
    """The lead's company name with each company domain it gives ([] without both)."""
    name = company_name(company).ascii
    if not name:
        return []
    domains = company_domains(parse_email(email), domain_key(website))
    return [f"{name}@{key.domain}" for key in domains]


@dataclass(frozen=True)
class LabelBook:
    """Labels looked up by what finds a lead (see the module's doc): the latest answer wins."""

    labels: tuple[Label, ...]
    by_id: dict[str, Label] = field(default_factory=dict)
    by_email: dict[str, Label] = field(default_factory=dict)
    by_company: dict[str, Label] = field(default_factory=dict)

    @classmethod
    def of(cls, labels: Iterable[Label]) -> LabelBook:
        """The current answers of ``labels`` in file order (undos applied)."""
        book = cls(current(labels))
        for label in book.labels:
            if label.lead_id:
                book.by_id[label.lead_id] = label
            if email := _email_key(label.email):
                book.by_email[email] = label
            for key in _company_keys(label.company, label.email, label.website):
                book.by_company[key] = label
        return book

    def __len__(self) -> int:
        return len(self.labels)

    def find(
        self, lead_id: str | None, email: str | None, company: str | None, website: str | None
    ) -> tuple[Label, str] | None:
        """The label of a lead with these fields, and what found it ("lead id", "email" or
        "company and domain"); ``None`` if none does."""
        if lead_id and (label := self.by_id.get(lead_id)) is not None:
            return label, "lead id"
        if self.by_email and (label := self.by_email.get(_email_key(email))) is not None:
            return label, "email"
        if self.by_company:
            for key in _company_keys(company, email, website):
                if (label := self.by_company.get(key)) is not None:
                    return label, "company and domain"
        return None

    def to_jsonl(self) -> str:
        """The current answers as the text of a labels file (for worker processes)."""
        return "".join(label.model_dump_json() + "\n" for label in self.labels)


def current(labels: Iterable[Label]) -> tuple[Label, ...]:
    """The answers in force, in the order given: per lead the latest, none where the latest
    was withdrawn (a later answer then wins in every lookup)."""
    history: dict[str, list[tuple[int, Label]]] = {}
    for position, label in enumerate(labels):
        answers = history.setdefault(label.lead(), [])
        if not label.undo:
            answers.append((position, label))
        elif answers:
            answers.pop()
    latest = sorted((answers[-1] for answers in history.values() if answers), key=lambda a: a[0])
    return tuple(label for _, label in latest)


def parse_lines(lines: Iterable[str], source: str) -> Iterator[Label]:
    """The labels of a labels file's lines; a torn last line (a crash while writing it) is
    skipped with a warning, any other bad line raises :class:`LabelsFileError`."""
    pending: tuple[int, str] | None = None
    for number, line in enumerate(lines, start=1):
        if pending is not None:
            raise LabelsFileError(f"{source}:{pending[0]}: {pending[1]}")
        if not line.strip():
            continue
        try:
            yield Label.model_validate(json.loads(line))
        except (ValueError, ValidationError) as exc:
            problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if line.endswith("\n"):
                raise LabelsFileError(f"{source}:{number}: {problem}") from exc
            pending = (number, problem)
    if pending is not None:
        log.warning("%s:%d: a torn last line (skipped): %s", source, *pending)


class Labels:
    """A labels file: read the answers in force, append new ones.

    >>> import tempfile, pathlib
    >>> labels = Labels(pathlib.Path(tempfile.mkdtemp()) / "labels.jsonl")
    >>> labels.append(Label(lead_id="L1", account_id="A7", by="ana"))
    >>> [(label.lead_id, label.account_id) for label in labels.read()]
    [('L1', 'A7')]
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> tuple[Label, ...]:
        """The answers in force, in the order given (none if the file does not exist yet)."""
        if not self.path.exists():
            return ()
        with self.path.open(encoding="utf-8", newline="") as f:
            return current(tuple(parse_lines(f, str(self.path))))

    def book(self) -> LabelBook:
        return LabelBook.of(self.read())

    def append(self, *labels: Label) -> None:
        """Write answers at the end of the file and flush them to disk."""
        with self.writing() as write:
            for label in labels:
                write(label)

    @contextlib.contextmanager
    def writing(self) -> Iterator[Any]:
        """Hold the file for writing (a second writer gets :class:`LabelsInUseError`) and
        give a function that appends one answer, flushed to disk before it returns."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_name(self.path.name + ".lock")
        with _locked(lock), self.path.open("a+b") as f:
            _drop_torn_tail(f)

            def write(label: Label) -> None:
                f.write(label.model_dump_json().encode("utf-8") + b"\n")
                f.flush()
                os.fsync(f.fileno())

            yield write


def _drop_torn_tail(f: IO[bytes]) -> None:
    """Cut a torn last line (an answer a crash interrupted, never complete) so that the next
    answer starts a line of its own and the file stays one answer per line."""
    end = f.seek(0, os.SEEK_END)
    cut = end
    while cut > 0:
        start = max(cut - 65_536, 0)
        f.seek(start)
        block = f.read(cut - start)
        newline = block.rfind(b"\n")
        if newline >= 0:
            cut = start + newline + 1
            break
        cut = start
    if cut < end:
        log.warning("dropped a torn last line of %d bytes from the labels file", end - cut)
        f.truncate(cut)
    f.seek(0, os.SEEK_END)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` for this process, released when it ends or dies."""
    with path.open("a+b") as f:
        try:
            _lock(f)
        except OSError as exc:
            raise LabelsInUseError(
                f"{path.name[: -len('.lock')]} is being written by another process (a review "
                "server?); stop it, or give this one a labels file of its own"
            ) from exc
        try:
            yield
        finally:
            _unlock(f)


if sys.platform == "win32":  # pragma: no cover - the CI machine is Linux
    import msvcrt

    def _lock(f: IO[bytes]) -> None:
        msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(f: IO[bytes]) -> None:
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(f: IO[bytes]) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(f: IO[bytes]) -> None:
        fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def label_book(labels: Any) -> LabelBook | None:
    """The book of what ``match_many(labels=...)`` accepts: a :class:`Labels` file or its
    path, a :class:`LabelBook` (build it once where many calls share it), or labels as
    records; ``None`` (or no answers) for none."""
    if labels is None or isinstance(labels, LabelBook):
        return labels or None
    if isinstance(labels, (str, Path)):
        labels = Labels(labels)
    if isinstance(labels, Labels):
        return labels.book() or None
    if isinstance(labels, (dict, Label)):
        raise TypeError("labels= takes a collection of labels (or a labels file), not one")
    return LabelBook.of(Label.model_validate(label) for label in labels) or None


def book_of_text(text: str) -> LabelBook | None:
    """The book of a labels file's text (what :meth:`LabelBook.to_jsonl` writes)."""
    return LabelBook.of(parse_lines(text.splitlines(keepends=True), "labels")) or None
