"""Labels win: a lead a label finds gets the label's answer in every path (one lead, a list, a
frame, a stream in worker processes, the CLI), and the rest exactly the model's results."""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import Any

import pytest

from leadmatch import AccountIndex, Label, LabelBook, Labels, evaluate, rollup
from leadmatch.cli import main

ACCOUNTS = [
    {"account_id": "DE-1", "name": "Stadtwerke Köln GmbH", "domain": "stadtwerke-koeln.de",
     "country": "DE", "owner": "ana"},
    {"account_id": "DE-2", "name": "RheinEnergie AG", "domain": "rheinenergie.com",
     "country": "DE", "parent_id": "DE-1", "owner": "bo"},
    {"account_id": "BR-1", "name": "Comércio Fonseca Ltda.", "domain": "fonseca.com.br",
     "country": "BR", "owner": "caio"},
    {"account_id": "JP-1", "name": "株式会社田中精機", "domain": "tanaka-seiki.co.jp",
     "country": "JP", "owner": "dai"},
]  # fmt: skip
LEADS = [
    {"lead_id": "L1", "email": "j.weiss@rheinenergie.com", "company": "Rheinenergie"},
    {"lead_id": "L2", "email": "paula@gmail.com", "company": "Fonseca Comercio"},
    {"lead_id": "L3", "email": "k.sato@tanaka-seiki.co.jp", "company": "Tanaka Seiki"},
    {"lead_id": "L4", "email": "x@unknown-gmbh.de", "company": "Unbekannt GmbH"},
]
LABELS = [
    # The person knows the lead belongs to the parent's account, not the subsidiary's.
    Label(lead_id="L1", email="j.weiss@rheinenergie.com", company="Rheinenergie",
          account_id="DE-1", by="ana", at="2026-12-01T09:30:00+00:00"),
    Label(lead_id="L2", email="paula@gmail.com", company="Fonseca Comercio", account_id="BR-1",
          by="caio", at="2026-12-02T10:00:00+00:00"),
    Label(lead_id="L4", email="x@unknown-gmbh.de", company="Unbekannt GmbH", account_id=None,
          by="ana", at="2026-12-03T11:00:00+00:00"),
]  # fmt: skip


@pytest.fixture(scope="module")
def index() -> AccountIndex:
    return AccountIndex.build(ACCOUNTS)


def test_a_labelled_lead_gets_its_label_and_the_rest_the_model(index: AccountIndex) -> None:
    model = index.match_many(LEADS)
    out = index.match_many(LEADS, labels=LABELS)
    l1, l2, l3, l4 = out
    assert (l1.decision, l1.account_id, l1.confidence, l1.candidate_id) == (
        "labelled", "DE-1", 1.0, "DE-1")  # fmt: skip
    assert l1.ultimate_parent_id == "DE-1"
    assert l1.evidence[0].detail == "labelled DE-1 by ana on 2026-12-01 (found by lead id)"
    said = model[0]
    assert l1.evidence[1].detail == (
        f"the model said {said.decision} {said.account_id} at {said.confidence:.2f}"
    )
    assert (l2.decision, l2.account_id) == ("labelled", "BR-1")
    assert l3 == model[2]  # no label: the model's result, untouched
    # "None of these": no account, and no candidate to be confident in.
    assert (l4.decision, l4.account_id, l4.confidence, l4.candidate_id) == (
        "labelled", None, 0.0, None)  # fmt: skip
    assert l4.evidence[0].detail.startswith("labelled none of the accounts by ana on 2026-12-03")


def test_next_weeks_export_is_settled_by_email_and_by_company_and_domain(
    index: AccountIndex,
) -> None:
    exported = [
        {"lead_id": "N1", "email": "J.Weiss@RheinEnergie.com", "company": "RheinEnergie AG"},
        {"lead_id": "N2", "email": "m.koch@rheinenergie.com", "company": "Rheinenergie"},
        {"lead_id": "N3", "email": "paula.f@gmail.com", "company": "Fonseca Comercio"},
        {"email": "ines@fonseca.com.br", "company": "Fonseca Comercio"},  # no id at all
    ]
    n1, n2, n3, n4 = index.match_many(exported, labels=LABELS)
    assert (n1.decision, n1.account_id) == ("labelled", "DE-1")
    assert n1.evidence[0].detail.endswith("(found by email)")
    assert (n2.decision, n2.account_id) == ("labelled", "DE-1")  # a colleague at the company
    assert n2.evidence[0].detail.endswith("(found by company and domain)")
    # Free mail names no company: another Gmail user with the same company typed is the model's.
    assert n3.decision != "labelled"
    # The label was given at a free-mail address: this lead's company domain cannot find it.
    assert n4.decision != "labelled"


def test_a_lead_without_an_id_of_its_own_is_not_found_by_its_position(
    index: AccountIndex,
) -> None:
    # Results name id-less leads by position ("0"); a label about lead "0" must not find them.
    labels = [Label(lead_id="0", account_id="JP-1", company="Other")]
    (result,) = index.match_many([{"company": "Unbekannt GmbH"}], labels=labels)
    assert result.lead_id == "0" and result.decision != "labelled"


def test_a_label_naming_an_account_not_in_the_index_is_reported_not_applied(
    index: AccountIndex, caplog: pytest.LogCaptureFixture
) -> None:
    labels = [Label(lead_id="L3", account_id="JP-GONE", by="dai")]
    model = index.match(LEADS[2])
    with caplog.at_level(logging.WARNING, logger="leadmatch"):
        result = index.match(LEADS[2], labels=labels)
    assert "1 labels name accounts the index does not hold" in caplog.text
    assert (result.decision, result.account_id) == (model.decision, model.account_id)
    assert result.evidence[-1].detail.endswith("no such account in the index, not applied")
    assert result.evidence[:-1] == model.evidence


def test_a_removed_account_is_no_longer_a_label_target() -> None:
    index = AccountIndex.build(ACCOUNTS)
    index.remove(["BR-1"])
    (result,) = index.match_many([LEADS[1]], labels=LABELS)
    assert result.decision != "labelled" and "not applied" in result.reasons()


def test_a_frame_gets_the_labels_with_the_accounts_fields(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    from leadmatch import MatchConfig

    index = AccountIndex.build(ACCOUNTS, MatchConfig(account_fields=("owner",)))
    path = tmp_path / "labels.jsonl"
    Labels(path).append(*LABELS)
    frame = pd.DataFrame(LEADS, index=[10, 11, 12, 13])
    out = index.match_many(frame, labels=path)
    assert list(out.index) == [10, 11, 12, 13]
    assert list(out.decision)[:2] == ["labelled", "labelled"]
    assert list(out.account_id)[:2] == ["DE-1", "BR-1"]
    assert list(out.owner)[:2] == ["ana", "caio"]
    assert out.ultimate_parent_id[10] == "DE-1"
    assert (out.decision[13], out.account_id[13]) == ("labelled", "")
    records = index.match_many(LEADS, labels=path)
    assert [r.decision for r in records] == list(out.decision)


def test_worker_processes_apply_the_same_labels(index: AccountIndex) -> None:
    leads = LEADS * 6
    book = LabelBook.of(LABELS)
    alone = list(index.match_iter(leads, chunk_size=4, labels=book))
    workers = list(index.match_iter(leads, chunk_size=4, workers=2, labels=book))
    assert workers == alone
    assert [r.decision for r in alone].count("labelled") == 18


def test_labelled_leads_count_as_matched_in_evaluation_and_rollup(index: AccountIndex) -> None:
    out = index.match_many(LEADS, labels=LABELS)
    truth = {"L1": frozenset({"DE-1"}), "L2": frozenset({"BR-1"}), "L3": frozenset({"JP-1"}),
             "L4": frozenset()}  # fmt: skip
    report = evaluate(out, truth)
    assert report.decisions["labelled"] == 3
    assert report.matched_right == 2 + (out[2].decision == "matched")
    assert report.no_account_unmatched == 1
    rolled = {row["account_id"]: row for row in rollup(out, index)}
    # The model puts L1 with the subsidiary DE-2; its label, with the parent DE-1.
    assert index.match(LEADS[0]).account_id == "DE-2" and "DE-2" not in rolled
    assert rolled["DE-1"]["matched_leads"] == 1 and rolled["BR-1"]["matched_leads"] == 1


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=sorted({k for row in rows for k in row}))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_cli_applies_a_labels_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    accounts = _write(tmp_path / "accounts.csv", ACCOUNTS)
    leads = _write(tmp_path / "leads.csv", LEADS)
    labels = tmp_path / "labels.jsonl"
    Labels(labels).append(*LABELS)
    out = tmp_path / "matches.csv"
    args = ["match", "--accounts", str(accounts), "--leads", str(leads), "--out", str(out)]
    assert main([*args, "--labels", str(labels)]) == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    said = [(r["lead_id"], r["decision"], r["account_id"]) for r in rows if r["lead_id"] != "L3"]
    assert said == [("L1", "labelled", "DE-1"), ("L2", "labelled", "BR-1"), ("L4", "labelled", "")]
    err = capsys.readouterr().err
    assert "3 labels in force" in err and "3 labelled" in err
    assert "the index does not hold" not in err
    elsewhere = LABELS[0].model_copy(update={"lead_id": "L3", "account_id": "XX-9"})
    Labels(labels).append(elsewhere)  # an account of another CRM, or since removed
    assert main([*args, "--labels", str(labels)]) == 0
    err = capsys.readouterr().err
    assert "4 labels in force" in err and "1 name accounts the index does not hold" in err
    assert main([*args, "--labels", str(tmp_path / "typo.jsonl")]) == 2
    err = capsys.readouterr().err
    assert "labels file" in err and "not found" in err
