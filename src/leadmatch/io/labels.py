"""Labels: a person's answers about leads (this lead is that account, or none of them), kept in
a JSON Lines file that only ever grows, and found again for the same leads in later exports.

One answer is one line, appended and flushed to disk before the next is taken, so a crash
loses at most the answer being written: a torn last line is skipped when the file is read, and
cut before the next answer is written. A later answer about the same lead replaces an earlier
one, and ``{"undo": true, ...}`` withdraws the latest. One writer at a time: threads of one
process take turns, and a second process gets :class:`LabelsInUseError`.

A lead finds its label by, in this order: its own ``lead_id``; its email address (the same
person, under a new lead id in next week's export); its company name and a company domain
from its email or website (the same company; a free-mail address is no company domain).
Where several labels find a lead the same way, the latest answer wins.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from leadmatch.errors import LeadmatchError
from leadmatch.models import text_or_none
from leadmatch.normalize import (
    DomainKey,
    EmailKey,
    company_domains,
    company_name,
    domain_key,
    parse_email,
)

log = logging.getLogger("leadmatch")


class LabelsFileError(LeadmatchError, ValueError):
    """A labels file with a line that is not a label (other than a torn last line)."""


class LabelsInUseError(LeadmatchError):
    """Another process is writing the labels file."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Label(BaseModel):
    """One answer: the lead (its id and the fields that find it again), the account it belongs
    to (``None``: none of the accounts), who answered and when, and what the model said then.

    ``account_id`` must be given, ``None`` included: a misspelt key must not read as "none of
    the accounts". Other keys are ignored (labels written by later versions stay readable)."""

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

    @model_validator(mode="before")
    @classmethod
    def _gives_its_answer(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and not data.get("undo") and "account_id" not in data:
            raise ValueError("a label must give account_id (null: none of the accounts)")
        return data

    @field_validator("lead_id", "email", "company", "website", "account_id", mode="before")
    @classmethod
    def _text(cls, value: Any, info: Any) -> str | None:
        return text_or_none(value, info.field_name)  # as a lead's fields are read

    @model_validator(mode="after")
    def _findable(self) -> Label:
        if not (self.lead_id or self.email or self.company):
            raise ValueError("a label needs a lead_id, an email or a company to be found by")
        return self

    def lead(self) -> tuple[str, ...]:
        """The lead the answer is about: its id, else what finds it (normalized, so that an
        undo need not repeat the fields letter for letter)."""
        if self.lead_id:
            return ("id", self.lead_id)
        keys = lead_keys(self.company, self.email, self.website)
        return ("fields", _email_key(keys.email), keys.name, *_domain_names(keys))


def _email_key(email: EmailKey) -> str:
    return f"{email.local}@{email.domain}" if email.local and email.domain else ""


class LeadKeys(NamedTuple):
    """What finds a lead's label, normalized as matching reads it."""

    email: EmailKey
    name: str
    """The company name's key (``""`` for none)."""
    domains: tuple[DomainKey, ...]
    """The company domains of the lead's email and website (none for free mail)."""


def lead_keys(company: str | None, email: str | None, website: str | None) -> LeadKeys:
    """The keys a lead with these fields finds its label by (after its own id)."""
    key = parse_email(email)
    return LeadKeys(key, company_name(company).ascii, company_domains(key, domain_key(website)))


def _domain_names(keys: LeadKeys) -> list[str]:
    return sorted({key.domain for key in keys.domains})


def answer_key(keys: LeadKeys) -> tuple[str, ...]:
    """Leads with the same key find each other's labels, so one answer settles them all: the
    same company name at the same company domains, else (no company name or domain) the same
    email address. ``()`` for a lead found by its id alone."""
    if keys.name and keys.domains:
        return ("company", keys.name, *_domain_names(keys))
    email = _email_key(keys.email)
    return ("email", email) if email else ()


@dataclass(frozen=True)
class LabelBook:
    """Labels looked up by what finds a lead (see the module's doc), each with its place in
    the order given: where several find a lead the same way, the latest wins."""

    labels: tuple[Label, ...]
    by_id: dict[str, tuple[int, Label]] = field(default_factory=dict)
    by_email: dict[str, tuple[int, Label]] = field(default_factory=dict)
    by_company: dict[tuple[str, str], tuple[int, Label]] = field(default_factory=dict)

    @classmethod
    def of(cls, labels: Iterable[Label]) -> LabelBook:
        """The current answers of ``labels`` (undos applied), later ones over earlier ones."""
        book = cls(current(labels))
        for position, label in enumerate(book.labels):
            keys = lead_keys(label.company, label.email, label.website)
            if label.lead_id:
                book.by_id[label.lead_id] = (position, label)
            if email := _email_key(keys.email):
                book.by_email[email] = (position, label)
            for domain in keys.domains if keys.name else ():
                book.by_company[(keys.name, domain.domain)] = (position, label)
        return book

    def __len__(self) -> int:
        return len(self.labels)

    def find(
        self, lead_id: str | None, email: str | None, company: str | None, website: str | None
    ) -> tuple[Label, str] | None:
        """The label of a lead with these fields, and what found it ("lead id", "email" or
        "company and domain"); ``None`` if none does."""
        return self.find_keys(lead_id, *lead_keys(company, email, website))

    def find_keys(
        self, lead_id: str | None, email: EmailKey, name: str, domains: Sequence[DomainKey]
    ) -> tuple[Label, str] | None:
        """:meth:`find` for a lead's fields as matching has normalized them already (its email
        key, company name key and company domains): no field is normalized twice."""
        if lead_id and (hit := self.by_id.get(lead_id)) is not None:
            return hit[1], "lead id"
        if self.by_email and (hit := self.by_email.get(_email_key(email))) is not None:
            return hit[1], "email"
        if not (self.by_company and name):
            return None
        hits = [self.by_company.get((name, key.domain)) for key in domains]
        latest = max((hit for hit in hits if hit is not None), default=None, key=lambda h: h[0])
        return None if latest is None else (latest[1], "company and domain")

    def to_jsonl(self) -> str:
        """The current answers as the text of a labels file (for worker processes)."""
        return "".join(label.model_dump_json() + "\n" for label in self.labels)


def labelled_leads(book: LabelBook) -> tuple[list[dict[str, Any]], dict[str, frozenset[str]]]:
    """The answers as labelled leads, to fit on: each answer's lead (under its lead id, else
    an id made of what finds it) and its truth, the account or none of them."""
    rows: list[dict[str, Any]] = []
    truth: dict[str, frozenset[str]] = {}
    for label in book.labels:
        lead_id = label.lead_id or "label:" + "|".join(label.lead()[1:])
        rows.append({"lead_id": lead_id, "email": label.email, "company": label.company,
                     "website": label.website})  # fmt: skip
        truth[lead_id] = frozenset([label.account_id] if label.account_id else [])
    return rows, truth


def current(labels: Iterable[Label]) -> tuple[Label, ...]:
    """The answers in force, in the order given: per lead the latest, none where the latest
    was withdrawn (a later answer then wins in every lookup)."""
    history: dict[tuple[str, ...], list[tuple[int, Label]]] = {}
    for position, label in enumerate(labels):
        answers = history.setdefault(label.lead(), [])
        if not label.undo:
            answers.append((position, label))
        elif answers:
            answers.pop()
        else:
            log.warning("an undo about %s finds no answer to withdraw", label.lead())
    latest = sorted((answers[-1] for answers in history.values() if answers), key=lambda a: a[0])
    return tuple(label for _, label in latest)


def _label_of(line: bytes) -> Label:
    return Label.model_validate(json.loads(line.decode("utf-8").removeprefix("\ufeff")))


def parse_lines(lines: Iterable[bytes], source: str) -> Iterator[Label]:
    """The labels of a labels file's lines (as bytes, each with its ``\\n``): a torn last
    line (a crash while writing it) is skipped with a warning, any other bad line raises
    :class:`LabelsFileError` naming it."""
    pending: tuple[int, str] | None = None
    for number, line in enumerate(lines, start=1):
        if pending is not None:
            raise LabelsFileError(f"{source}:{pending[0]}: {pending[1]}")
        if not line.strip():
            continue
        try:
            yield _label_of(line)
        except (ValueError, ValidationError) as exc:  # JSON, UTF-8 and validation errors
            problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if line.endswith(b"\n"):
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
        with self.path.open("rb") as f:
            return current(tuple(parse_lines(f, str(self.path))))

    def book(self) -> LabelBook:
        return LabelBook.of(self.read())

    def append(self, *labels: Label) -> None:
        """Write answers at the end of the file and flush them to disk."""
        with self.writing() as write:
            for label in labels:
                write(label)

    @contextlib.contextmanager
    def writing(self) -> Iterator[Callable[[Label], None]]:
        """Hold the file for writing (threads of this process wait their turn; another
        process gets :class:`LabelsInUseError`) and give a function that appends one answer,
        flushed to disk before it returns."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One lock per file, whatever name it is given by (a symbolic link, a relative path).
        real = self.path.resolve()
        lock = real.with_name(real.name + ".lock")
        with _thread_lock(lock), _locked(lock), self.path.open("a+b") as f:
            _end_last_line(f)

            def write(label: Label) -> None:
                end = f.seek(0, os.SEEK_END)
                try:
                    f.write(label.model_dump_json().encode("utf-8") + b"\n")
                    f.flush()
                    os.fsync(f.fileno())
                except OSError:  # a full disk: no half answer for the next one to follow
                    f.truncate(end)
                    raise

            yield write


def _end_last_line(f: IO[bytes]) -> None:
    """Make the file end with a whole line before an answer is appended: a last line without
    its newline is ended if it is an answer (a crash between the two), else cut (an answer a
    crash interrupted, which reading skips too)."""
    end = f.seek(0, os.SEEK_END)
    cut = end
    while cut > 0:
        start = max(cut - 65_536, 0)
        f.seek(start)
        newline = f.read(cut - start).rfind(b"\n")
        if newline >= 0:
            cut = start + newline + 1
            break
        cut = start
    if cut == end:
        return
    f.seek(cut)
    try:
        _label_of(f.read(end - cut))
    except (ValueError, ValidationError):
        log.warning("dropped a torn last line of %d bytes from the labels file", end - cut)
        f.truncate(cut)
    else:
        f.write(b"\n")
    f.seek(0, os.SEEK_END)


_THREAD_LOCKS: dict[Path, threading.RLock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def _thread_lock(path: Path) -> threading.RLock:
    with _THREAD_LOCKS_GUARD:
        return _THREAD_LOCKS.setdefault(path.resolve(), threading.RLock())


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` for this process, released when it ends or dies."""
    with path.open("a+b") as f:
        try:
            _lock(f)
        except OSError as exc:
            raise LabelsInUseError(
                f"{path.name.removesuffix('.lock')} is being written by another process (a "
                "review server?); stop it, or give this one a labels file of its own"
            ) from exc
        try:
            yield
        finally:
            _unlock(f)


if sys.platform == "win32":  # pragma: no cover - the CI machine is Linux
    import msvcrt

    def _lock(f: IO[bytes]) -> None:
        f.seek(0)  # the first byte, locked and unlocked alike
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
    """The book of what ``match_many(labels=...)`` accepts: a :class:`Labels` file or the
    path of one (which must exist), a :class:`LabelBook` (build it once where many calls share
    it), or labels as records; ``None`` (or no answers) for none."""
    if labels is None or isinstance(labels, LabelBook):
        return labels or None
    if isinstance(labels, (str, Path)):
        if not Path(labels).is_file():
            raise FileNotFoundError(f"labels file {labels} not found")
        labels = Labels(labels)
    if isinstance(labels, Labels):
        return labels.book() or None
    if isinstance(labels, (Mapping, Label)):
        raise TypeError("labels= takes a collection of labels (or a labels file), not one")
    return LabelBook.of(Label.model_validate(label) for label in labels) or None


def book_of_text(text: str) -> LabelBook | None:
    """The book of a labels file's text (what :meth:`LabelBook.to_jsonl` writes), split at
    ``\\n`` only: JSON text may hold other line separators (U+2028) unescaped."""
    lines = [line.encode("utf-8") for line in text.split("\n")]
    return LabelBook.of(parse_lines((line + b"\n" for line in lines), "labels")) or None
