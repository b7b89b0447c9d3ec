"""The labels file: answers appended and flushed, read back with the latest in force, a torn
last line survived, one writer at a time; and the book that finds a lead's label again."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadmatch import Label, LabelBook, Labels, LabelsFileError, LabelsInUseError
from leadmatch.io import book_of_text, label_book
from tests.budget import examples


def _pairs(labels: Labels) -> list[tuple[str | None, str | None]]:
    return [(label.lead_id, label.account_id) for label in labels.read()]


def test_a_later_answer_replaces_an_earlier_and_undo_withdraws_the_latest(tmp_path: Path) -> None:
    labels = Labels(tmp_path / "labels.jsonl")
    assert labels.read() == ()  # no file yet: no answers
    labels.append(Label(lead_id="L1", account_id="A1", by="ana"))
    labels.append(Label(lead_id="L2", account_id=None, by="ana"))  # none of the accounts
    labels.append(Label(lead_id="L1", account_id="A9", by="bo"))
    assert _pairs(labels) == [("L2", None), ("L1", "A9")]
    labels.append(Label(lead_id="L1", undo=True))
    assert _pairs(labels) == [("L1", "A1"), ("L2", None)]
    labels.append(Label(lead_id="L1", undo=True), Label(lead_id="L1", undo=True))
    assert _pairs(labels) == [("L2", None)]
    lines = (tmp_path / "labels.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 6  # nothing is ever rewritten


def test_a_label_keeps_who_when_and_what_the_model_said(tmp_path: Path) -> None:
    labels = Labels(tmp_path / "l.jsonl")
    given_label = Label(
        lead_id="L7", email="Jörg.Weiß@Stadtwerke-Köln.de", company="Stadtwerke Köln GmbH",
        account_id="SWK", by="ana", model_account_id="RWE", model_confidence=0.41,
        model_decision="review",
    )  # fmt: skip
    labels.append(given_label)
    (read,) = labels.read()
    assert read == given_label
    assert read.at[:4].isdigit() and read.at.endswith("+00:00")  # ISO 8601, UTC


def test_a_torn_last_line_is_skipped_and_cut_before_the_next_answer(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "labels.jsonl"
    Labels(path).append(Label(lead_id="L1", account_id="A1"))
    with path.open("a", encoding="utf-8") as f:
        f.write('{"lead_id": "L2", "account_')  # the server died while writing
    with caplog.at_level(logging.WARNING, logger="leadmatch"):
        assert _pairs(Labels(path)) == [("L1", "A1")]
    assert "torn last line" in caplog.text
    Labels(path).append(Label(lead_id="L3", account_id="A3"))
    assert _pairs(Labels(path)) == [("L1", "A1"), ("L3", "A3")]
    assert path.read_bytes().count(b"\n") == 2 and b'account_"' not in path.read_bytes()


@pytest.mark.parametrize(
    "line",
    ['{"lead_id": "L2", "account_', '["L2"]', '{"account_id": "A1"}', "not json",
     '{"lead_id": "L2", "account": "A7"}'],  # a misspelt key is not "none of the accounts"
)  # fmt: skip
def test_a_bad_line_before_the_last_is_an_error_naming_it(tmp_path: Path, line: str) -> None:
    path = tmp_path / "labels.jsonl"
    first, last = '{"lead_id": "L1", "account_id": null}', '{"lead_id": "L3", "account_id": "A3"}'
    path.write_text(f"{first}\n{line}\n{last}\n", encoding="utf-8")
    with pytest.raises(LabelsFileError, match=r"labels.jsonl:2: "):
        Labels(path).read()


def test_a_complete_last_answer_without_its_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    Labels(path).append(Label(lead_id="L1", account_id="A1"))
    path.write_bytes(
        path.read_bytes() + Label(lead_id="L2", account_id="A2").model_dump_json().encode()
    )
    assert _pairs(Labels(path)) == [("L1", "A1"), ("L2", "A2")]
    Labels(path).append(Label(lead_id="L3", account_id="A3"))
    assert _pairs(Labels(path)) == [("L1", "A1"), ("L2", "A2"), ("L3", "A3")]


def test_a_character_torn_in_half_is_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    Labels(path).append(Label(lead_id="L1", account_id="A1"))
    whole = Label(lead_id="L2", company="Stadtwerke Köln", account_id="A2").model_dump_json()
    torn = whole.encode("utf-8")
    path.write_bytes(path.read_bytes() + torn[: torn.index("ö".encode()) + 1])
    assert _pairs(Labels(path)) == [("L1", "A1")]
    Labels(path).append(Label(lead_id="L3", account_id="A3"))
    assert _pairs(Labels(path)) == [("L1", "A1"), ("L3", "A3")]


def test_fields_are_read_as_lead_fields_are() -> None:
    label = Label.model_validate({"lead_id": 1001, "company": "  Acme  ", "account_id": " "})
    assert (label.lead_id, label.company, label.account_id) == ("1001", "Acme", None)


def test_an_undo_finds_a_lead_without_an_id_by_its_normalized_fields(tmp_path: Path) -> None:
    labels = Labels(tmp_path / "labels.jsonl")
    labels.append(Label(email="Ana@Nordwind.de", company="Nordwind GmbH", account_id="A1"))
    labels.append(Label(email="ana@nordwind.de ", company="NORDWIND GMBH", undo=True))
    assert labels.read() == ()


def test_threads_of_one_process_take_turns(tmp_path: Path) -> None:
    import threading

    labels = Labels(tmp_path / "labels.jsonl")
    errors: list[BaseException] = []

    def answer(n: int) -> None:
        try:
            for k in range(20):
                labels.append(Label(lead_id=f"T{n}-{k}", account_id="A1"))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=answer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(labels.read()) == 80


def test_a_label_must_say_how_to_find_its_lead() -> None:
    with pytest.raises(ValueError, match="lead_id, an email or a company"):
        Label(account_id="A1", website="acme.com")


def test_a_second_writer_is_refused_while_the_first_holds_the_file(tmp_path: Path) -> None:
    labels = Labels(tmp_path / "labels.jsonl")
    with labels.writing() as write:
        write(Label(lead_id="L1", account_id="A1"))
        with pytest.raises(LabelsInUseError, match="another process"):
            Labels(tmp_path / "labels.jsonl").append(Label(lead_id="L2", account_id="A2"))
    labels.append(Label(lead_id="L2", account_id="A2"))  # free again
    assert _pairs(labels) == [("L1", "A1"), ("L2", "A2")]


def test_a_second_writer_by_another_name_of_the_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "link.jsonl").symlink_to(tmp_path / "labels.jsonl")
    with Labels(tmp_path / "labels.jsonl").writing() as write:
        write(Label(lead_id="L1", account_id="A1"))
        with pytest.raises(LabelsInUseError, match="another process"):
            Labels(tmp_path / "link.jsonl").append(Label(lead_id="L2", account_id="A2"))


def test_a_failed_write_leaves_no_half_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    labels = Labels(tmp_path / "labels.jsonl")
    labels.append(Label(lead_id="L1", account_id="A1"))
    before = labels.path.read_bytes()

    def full(_: int) -> None:
        raise OSError(28, "No space left on device")

    with labels.writing() as write:
        monkeypatch.setattr(os, "fsync", full)
        with pytest.raises(OSError, match="No space"):
            write(Label(lead_id="L2", account_id="A2"))
        monkeypatch.undo()
        assert labels.path.read_bytes() == before
        write(Label(lead_id="L3", account_id="A3"))
    assert _pairs(labels) == [("L1", "A1"), ("L3", "A3")]


def test_a_writer_that_dies_leaves_the_file_free(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from leadmatch import Labels, Label\n"
         "with Labels(sys.argv[1]).writing() as write:\n"
         "    write(Label(lead_id='L1', account_id='A1')); print('held', flush=True)\n"
         "    time.sleep(60)", str(path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LabelsInUseError):
            Labels(path).append(Label(lead_id="L2", account_id="A2"))
    finally:
        holder.kill()
        holder.wait()
    deadline = time.monotonic() + 10
    while True:  # the kernel lets go of a dead process's lock
        try:
            Labels(path).append(Label(lead_id="L2", account_id="A2"))
            break
        except LabelsInUseError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert _pairs(Labels(path)) == [("L1", "A1"), ("L2", "A2")]


def test_the_book_finds_by_lead_id_then_email_then_company_and_domain() -> None:
    book = LabelBook.of([
        Label(lead_id="L1", email="m.rossi@ferramenta-rossi.it", company="Ferramenta Rossi S.r.l.",
              account_id="IT-7"),
        Label(lead_id="L2", email="kenji@tanaka-seiki.co.jp", account_id="JP-3"),
        Label(lead_id="L3", company="Tanaka Seiki", website="https://www.tanaka-seiki.co.jp",
              account_id="JP-4"),
    ])  # fmt: skip
    assert book.find("L1", None, None, None) == (book.by_id["L1"][1], "lead id")
    # Next week's export: new ids. The same person by their address (case does not matter)...
    found = book.find("N1", "M.Rossi@Ferramenta-Rossi.IT", None, None)
    assert found is not None and (found[0].account_id, found[1]) == ("IT-7", "email")
    # ... a colleague by the company's name at the company's domain, from email or website.
    found = book.find("N2", "g.bianchi@ferramenta-rossi.it", "FERRAMENTA ROSSI SRL", None)
    assert found is not None and (found[0].account_id, found[1]) == ("IT-7", "company and domain")
    found = book.find(None, "sato@tanaka-seiki.co.jp", "Tanaka Seiki Co., Ltd.", None)
    assert found is not None and found[0].account_id == "JP-4"
    # The lead id comes first: L2's own label wins over the email of L1's.
    found = book.find("L2", "m.rossi@ferramenta-rossi.it", None, None)
    assert found is not None and found[0].account_id == "JP-3"
    # Neither the name at another domain, nor the domain under another name, nor free mail.
    assert book.find("N3", "x@rossi-ferro.it", "Ferramenta Rossi", None) is None
    assert book.find("N4", "x@ferramenta-rossi.it", "Rossi Utensili", None) is None
    assert book.find("N5", "ferramenta.rossi@gmail.com", "Ferramenta Rossi", None) is None


def test_the_latest_answer_wins_among_a_leads_company_domains() -> None:
    book = LabelBook.of([
        Label(lead_id="L1", company="Tanaka Seiki", website="tanaka-seiki.com", account_id="NEW"),
        Label(lead_id="L0", company="Tanaka Seiki", website="tanaka-seiki.co.jp", account_id="OLD"),
        Label(lead_id="L2", company="Tanaka Seiki", website="tanaka-seiki.com", account_id="NEWER"),
    ])  # fmt: skip
    found = book.find("N1", "k@tanaka-seiki.co.jp", "Tanaka Seiki", "tanaka-seiki.com")
    assert found is not None and found[0].account_id == "NEWER"


def test_the_latest_answer_wins_in_every_lookup() -> None:
    book = LabelBook.of([
        Label(lead_id="L1", email="ana@nordwind.de", account_id="A1"),
        Label(lead_id="L9", email="ana@nordwind.de", account_id="A2"),
    ])  # fmt: skip
    found = book.find("N1", "ana@nordwind.de", None, None)
    assert found is not None and found[0].account_id == "A2"


def test_labels_are_taken_from_a_file_a_path_a_book_or_records(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    Labels(path).append(Label(lead_id="L1", account_id="A1"))
    books = [label_book(path), label_book(str(path)), label_book(Labels(path)),
             label_book([{"lead_id": "L1", "account_id": "A1"}])]  # fmt: skip
    for book in books:
        assert book is not None and book.find("L1", None, None, None) is not None
    assert label_book(books[0]) is books[0]
    assert label_book(None) is None and label_book([]) is None
    with pytest.raises(FileNotFoundError, match=r"typo\.jsonl"):
        label_book(tmp_path / "typo.jsonl")
    with pytest.raises(TypeError, match="collection of labels"):
        label_book({"lead_id": "L1", "account_id": "A1"})
    assert books[0] is not None
    again = book_of_text(books[0].to_jsonl())
    assert again is not None and again.labels == books[0].labels
    # JSON leaves line separators other than \n unescaped: the text is split at \n alone.
    odd = LabelBook.of([Label(lead_id="L\u2028x\u0085", company="A\u2029B", account_id="A1")])
    again = book_of_text(odd.to_jsonl())
    assert again is not None and again.labels == odd.labels


TEXT = st.one_of(
    st.none(), st.text(max_size=30), st.sampled_from(["ﬁ", "\u202e", "\n", '"', "\u2028", "\x85"])
)


@settings(max_examples=examples(100), deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.text(min_size=1, max_size=12), TEXT, TEXT, TEXT), max_size=8))
def test_every_answer_written_reads_back_the_same(
    tmp_path_factory: pytest.TempPathFactory, answers: list[tuple[str, ...]]
) -> None:
    path = tmp_path_factory.mktemp("labels") / "labels.jsonl"
    written = [Label(lead_id=i, account_id=a, company=c, by=b or "") for i, a, c, b in answers]
    Labels(path).append(*written)
    latest = {label.lead_id: label for label in written}
    assert set(Labels(path).read()) == set(latest.values())
    shipped = book_of_text(Labels(path).book().to_jsonl())  # as worker processes get them
    assert set(shipped.labels if shipped else ()) == set(latest.values())
    book = Labels(path).book()
    for label in latest.values():
        assert book.find(label.lead_id, None, None, None) == (label, "lead id")
