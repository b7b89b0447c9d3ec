"""A reviewer's session, without a browser: each answer written before the next question, skip
and undo, search, resume, and a server that answers only its own page on this machine."""

from __future__ import annotations

import csv
import http.client
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from leadmatch import AccountIndex, InvalidInputError, Labels
from leadmatch.review import ReviewServer, Session, queue

ACCOUNTS = [
    {"account_id": "DE-1", "name": "Stadtwerke Köln GmbH", "domain": "stadtwerke-koeln.de",
     "country": "DE", "owner": "ana"},
    {"account_id": "DE-2", "name": "Nordwind Logistik GmbH", "domain": "nordwind.de",
     "country": "DE", "owner": "bo"},
    {"account_id": "BR-1", "name": "Grupo Goldpeak ME", "domain": "goldpeak.com.br",
     "country": "BR", "owner": "caio"},
    {"account_id": "ID-1", "name": "PT Goldpeak", "domain": "goldpeak.co.id", "country": "ID",
     "owner": "dewi"},
]  # fmt: skip
LEADS = [
    {"lead_id": "L1", "email": "lucas@gmail.com", "company": "Grupo Goldpeak"},  # unmatched
    {"lead_id": "L2", "email": "m.roth@gmail.com", "company": "Nordwind"},  # matched
    {"lead_id": "L3", "email": "a.weber@stadtwerke-koeln.de", "company": "Stadtwerke Köln"},
    {"lead_id": "L4", "email": "w@gmail.com", "company": "Goldpeak Indonesia"},  # review
    {"lead_id": "L5", "email": "z@gmail.com", "company": "Nordwind Logistics"},  # unmatched
    {"lead_id": "L6", "company": "Goldpeak Brasil"},  # review
]


@pytest.fixture(scope="module")
def index() -> AccountIndex:
    from leadmatch import MatchConfig

    return AccountIndex.build(ACCOUNTS, config=MatchConfig(account_fields=("owner",)))


def _session(index: AccountIndex, labels: Labels, write: Any) -> Session:
    results = index.match_many(LEADS)
    return Session(index, LEADS, results, write, labels=labels.book(), by="ana",
                   bands=["review", "unmatched"], account_fields=("owner",))  # fmt: skip


def test_answers_are_written_as_given_and_a_new_session_resumes(
    index: AccountIndex, tmp_path: Path
) -> None:
    labels = Labels(tmp_path / "labels.jsonl")
    with labels.writing() as write:
        session = _session(index, labels, write)
        first = session.state()
        asked = first["item"]["lead"]["lead_id"]
        total = first["left"]
        assert total >= 3 and first["answered"] == 0 and first["settled_share"] == 0.0
        account = first["item"]["candidates"][0]
        assert set(account) >= {"account_id", "name", "domains", "country", "confidence"}
        assert account["fields"]["owner"] in {"ana", "bo", "caio", "dewi"}
        after = session.answer(asked, account["account_id"])
        assert after["answered"] == 1 and after["left"] == total - 1
        assert [(x.lead_id, x.account_id, x.by) for x in labels.read()] == [
            (asked, account["account_id"], "ana")
        ]
        written = labels.read()[0]
        assert written.model_decision == first["item"]["decision"]
        with pytest.raises(InvalidInputError, match="not the question at hand"):
            session.answer(asked, None)  # a page showing an old question
        with pytest.raises(InvalidInputError, match="no account 'XX-9'"):
            session.answer(after["item"]["lead"]["lead_id"], "XX-9")
    with labels.writing() as write:
        resumed = _session(index, labels, write).state()
    assert resumed["left"] == total - 1 and resumed["answered"] == 0
    assert resumed["item"]["lead"]["lead_id"] == after["item"]["lead"]["lead_id"]
    assert resumed["settled_share"] == after["settled_share"] > 0


def test_skip_goes_to_the_end_and_undo_withdraws_the_latest(
    index: AccountIndex, tmp_path: Path
) -> None:
    labels = Labels(tmp_path / "labels.jsonl")
    with labels.writing() as write:
        session = _session(index, labels, write)
        order = []
        state = session.state()
        for _ in range(state["left"]):
            order.append(state["item"]["lead"]["lead_id"])
            state = session.skip(order[-1])
        assert state["item"]["lead"]["lead_id"] == order[0]  # round the queue once
        state = session.answer(order[0], None)
        assert state["item"]["lead"]["lead_id"] == order[1]
        back = session.undo()
        assert back["item"]["lead"]["lead_id"] == order[0] and back["answered"] == 0
        with pytest.raises(InvalidInputError, match="nothing to undo"):
            session.undo()
    assert labels.read() == ()
    lines = (tmp_path / "labels.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line)["undo"] for line in lines] == [False, True]


def test_search_finds_by_id_domain_and_name(index: AccountIndex, tmp_path: Path) -> None:
    labels = Labels(tmp_path / "labels.jsonl")
    session = _session(index, labels, lambda label: None)
    assert [a["account_id"] for a in session.search("DE-2")] == ["DE-2"]
    assert [a["account_id"] for a in session.search("nordwind.de")][:1] == ["DE-2"]
    assert {a["account_id"] for a in session.search(" goldpeak ")} == {"BR-1", "ID-1"}
    assert session.search("") == [] and session.search("<script>") == []


@pytest.fixture
def served(index: AccountIndex, tmp_path: Path) -> Iterator[ReviewServer]:
    labels = Labels(tmp_path / "labels.jsonl")
    with labels.writing() as write:
        server = ReviewServer(_session(index, labels, write))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield server
        server.shutdown()
        server.server_close()


def _ask(server: ReviewServer, method: str, path: str, body: Any = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    sent = {"X-Leadmatch-Token": server.token, **(headers or {})}
    data = (
        None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    )
    if data is not None:
        sent.setdefault("Content-Type", "application/json")
    conn.request(method, path, body=data, headers=sent)
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def test_the_server_answers_its_own_page_only(served: ReviewServer) -> None:
    assert served.url.startswith(f"http://127.0.0.1:{served.port}/?token=")
    status, headers, page = _ask(served, "GET", f"/?token={served.token}")
    assert status == 200 and b"<title>leadmatch review</title>" in page
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "Access-Control-Allow-Origin" not in headers
    assert _ask(served, "GET", "/?token=wrong")[0] == 403
    assert _ask(served, "GET", "/api/state", headers={"X-Leadmatch-Token": "x"})[0] == 403
    assert _ask(served, "GET", "/api/state", headers={"Host": "attacker.example:80"})[0] == 421
    status, _, body = _ask(served, "GET", "/api/state")
    lead = json.loads(body)["item"]["lead"]["lead_id"]
    # A form from another site can post text without our header: refused, nothing written.
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert _ask(served, "POST", "/api/answer", b"lead_id=L1", headers=form)[0] == 415
    assert _ask(served, "POST", "/api/answer", {"lead_id": lead, "account_id": None},
                headers={"X-Leadmatch-Token": ""})[0] == 403  # fmt: skip
    assert _ask(served, "POST", "/api/answer", b"[1]")[0] == 400
    assert _ask(served, "POST", "/api/answer", {"lead_id": lead, "account_id": 7})[0] == 400
    assert _ask(served, "POST", "/api/answer", b"x" * 70_000)[0] == 413
    assert _ask(served, "POST", "/api/answer", {"lead_id": "nope", "account_id": None})[0] == 409
    assert _ask(served, "POST", "/api/nothing", {})[0] == 404
    assert _ask(served, "GET", "/static/../../etc/passwd")[0] == 404
    status, _, body = _ask(served, "POST", "/api/answer", {"lead_id": lead, "account_id": None})
    assert status == 200 and json.loads(body)["answered"] == 1
    status, _, body = _ask(served, "GET", "/api/search?q=Nordwind")
    assert json.loads(body)["accounts"][0]["account_id"] == "DE-2"


def test_a_refit_every_n_answers_says_what_it_would_change(
    index: AccountIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadmatch import Fit, MatchConfig, evaluate
    from leadmatch.review import session as module

    fitted_on: list[int] = []
    eager = MatchConfig(account_fields=("owner",), match_threshold=0.4, review_threshold=0.3)
    measured = evaluate([index.match(LEADS[2])], {"L3": frozenset({"DE-1"})})

    def fake_fit(_: AccountIndex, *, labels: Any, config: Any) -> Fit:
        fitted_on.append(len(labels))
        return Fit(eager, before=measured, after=measured, pairs=10)

    monkeypatch.setattr(module, "fit", fake_fit)
    labels = Labels(tmp_path / "labels.jsonl")
    with labels.writing() as write:
        results = index.match_many(LEADS)
        session = Session(index, LEADS, results, write, by="ana", bands=["review", "unmatched"],
                          account_fields=("owner",), refit_every=2)  # fmt: skip
        state = session.state()
        assert state["refit"] is None
        left = state["left"]
        for _ in range(2):
            state = session.answer(state["item"]["lead"]["lead_id"], None)
        thread = session._refitting
        assert thread is not None
        thread.join(30)
        said = session.state()["refit"]
    assert fitted_on == [2]
    assert said["used"] is True and said["answers"] == 2 and said["precision"] == 1.0
    left_ids = {i.lead.lead_id for i in queue(results, LEADS, bands=["review", "unmatched"],
                                              labels=labels)}  # fmt: skip
    asked = [lead for lead in LEADS if lead["lead_id"] in left_ids]
    eager_results = index.with_config(eager).match_many(asked)
    assert said["of"] == left - 2 == len(asked)
    assert said["would_match"] == sum(r.decision == "matched" for r in eager_results) > 0
    assert said["would_unmatch"] == sum(r.decision == "unmatched" for r in eager_results)


def test_a_refit_due_while_the_last_runs_starts_with_the_next_answer_after_it(
    index: AccountIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every 2 answers: the refit due at the 4th answer finds the 2nd's still running, so it
    starts with the 5th, not at the 6th (nor never, with fewer answers left)."""
    from leadmatch import Fit, MatchConfig, evaluate
    from leadmatch.review import session as module

    fitted_on: list[int] = []
    release = threading.Event()
    measured = evaluate([index.match(LEADS[2])], {"L3": frozenset({"DE-1"})})

    def slow_fit(_: AccountIndex, *, labels: Any, config: Any) -> Fit:
        fitted_on.append(len(labels))
        release.wait(30)
        return Fit(MatchConfig(), before=measured, after=measured, pairs=10)

    monkeypatch.setattr(module, "fit", slow_fit)
    labels = Labels(tmp_path / "labels.jsonl")
    with labels.writing() as write:
        results = index.match_many(LEADS)
        session = Session(index, LEADS, results, write, bands=["review", "unmatched"],
                          audit=len(LEADS), refit_every=2)  # fmt: skip
        state = session.state()
        assert state["left"] >= 5
        for _ in range(4):
            state = session.answer(state["item"]["lead"]["lead_id"], None)
        first = session._refitting
        assert first is not None and fitted_on == [2]  # the 4th answer's refit found it busy
        release.set()
        first.join(30)
        state = session.answer(state["item"]["lead"]["lead_id"], None)
        second = session._refitting
        assert second is not None and second is not first
        second.join(30)
    assert fitted_on == [2, 5]


def test_a_refit_on_too_few_answers_says_why(index: AccountIndex, tmp_path: Path) -> None:
    labels = Labels(tmp_path / "labels.jsonl")
    with labels.writing() as write:
        session = _session(index, labels, write)
        said = session.refit([])
    assert said["used"] is False and "too few" in said["why"]


def _review_argv(folder: Path) -> list[str]:
    """``leadmatch review`` over ACCOUNTS and LEADS written to ``folder``."""
    for name, rows in (("accounts.csv", ACCOUNTS), ("leads.csv", LEADS)):
        with (folder / name).open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=sorted({k for row in rows for k in row}))
            writer.writeheader()
            writer.writerows(rows)
    return ["review", "--accounts", str(folder / "accounts.csv"), "--leads",
            str(folder / "leads.csv"), "--labels", str(folder / "labels.jsonl"), "--no-browser",
            "--by", "ana"]  # fmt: skip


@pytest.mark.process
def test_a_second_server_on_the_same_labels_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from leadmatch.cli import main

    argv = _review_argv(tmp_path)
    command = [sys.executable, "-m", "leadmatch.cli", *argv]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert first.stdout is not None
        assert first.stdout.readline().startswith("review page: http://127.0.0.1:")
        assert main(argv) == 2
        assert "is being written by another process" in capsys.readouterr().err
    finally:
        first.kill()
        first.wait()


def test_a_weight_field_counts_a_lead_as_its_accounts_number() -> None:
    from leadmatch import MatchConfig
    from leadmatch.cli import _field_weights

    deals = {"DE-1": "", "DE-2": "1,200", "BR-1": "5", "ID-1": "n/a"}
    rows = [{**a, "deal": deals[a["account_id"]]} for a in ACCOUNTS]
    built = AccountIndex.build(rows, config=MatchConfig(account_fields=("deal",)))
    results = built.match_many(LEADS[:3])  # candidates BR-1, DE-2, DE-1
    assert _field_weights(built, results, "deal") == {"BR-1": 5.0, "DE-2": 1200.0, "DE-1": 1.0}
    with pytest.raises(InvalidInputError, match="account 'ID-1' holds 'n/a', not a number"):
        _field_weights(built, built.match_many(LEADS[3:4]), "deal")


def test_undo_names_the_answer_it_withdraws(index: AccountIndex, tmp_path: Path) -> None:
    labels = Labels(tmp_path / "labels.jsonl")
    with labels.writing() as write:
        session = _session(index, labels, write)
        first = session.state()["item"]["lead"]["lead_id"]
        assert session.state()["last"] is None
        state = session.answer(first, None)
        assert state["last"] == first
        with pytest.raises(InvalidInputError, match="the latest answer is not about 'L9'"):
            session.undo("L9")  # a page that has not seen the latest answer
        assert session.undo(first)["item"]["lead"]["lead_id"] == first


def test_a_lead_named_by_its_place_is_labelled_by_its_fields(
    index: AccountIndex, tmp_path: Path
) -> None:
    from leadmatch.review import queue

    leads = [{k: v for k, v in lead.items() if k != "lead_id"} for lead in LEADS]
    results = index.match_many(leads)
    items = queue(results, leads, bands=["review", "unmatched"])
    assert items and not any(item.id_given for item in items)
    label = items[0].answer(None, by="ana")
    assert label.lead_id is None and (label.email or label.company)
    # The command line names such rows "row-N" and says so: the label leaves the name out.
    labels = Labels(tmp_path / "labels.jsonl")
    named = [{**lead, "lead_id": f"row-{n}"} for n, lead in enumerate(leads, start=1)]
    with labels.writing() as write:
        session = Session(index, named, index.match_many(named), write, by="ana",
                          bands=["review", "unmatched"], unnamed=["row-1"])  # fmt: skip
        for _ in range(session.state()["left"]):
            session.answer(session.state()["item"]["lead"]["lead_id"], None)
    written = {(x.lead_id, x.company) for x in labels.read()}
    assert (None, "Grupo Goldpeak") in written
    assert all(lead_id != "row-1" for lead_id, _ in written)
    assert ("row-4", "Goldpeak Indonesia") in written


def test_a_lead_with_nothing_to_find_it_by_cannot_be_answered(
    index: AccountIndex, tmp_path: Path
) -> None:
    from leadmatch import Match

    leads = [{"lead_id": "row-1", "website": "goldpeak-brasil.com.br"}]
    results = [Match(lead_id="row-1", account_id=None, candidate_id="BR-1", confidence=0.7,
                     decision="review")]  # fmt: skip
    with Labels(tmp_path / "labels.jsonl").writing() as write:
        session = Session(index, leads, results, write, bands=["review", "unmatched"],
                          unnamed=["row-1"])  # fmt: skip
        with pytest.raises(InvalidInputError, match="no lead id, email or company"):
            session.answer("row-1", None)


def test_search_reads_an_email_or_a_web_address_as_such(
    index: AccountIndex, tmp_path: Path
) -> None:
    session = _session(index, Labels(tmp_path / "labels.jsonl"), lambda label: None)
    for text in ("j.doe@nordwind.de", "https://www.nordwind.de/kontakt", "www.nordwind.de"):
        assert [a["account_id"] for a in session.search(text)][:1] == ["DE-2"], text


def test_chunked_bodies_are_refused_and_an_error_closes_the_connection(
    served: ReviewServer,
) -> None:
    status, headers, _ = _ask(served, "POST", "/api/skip", b"{}",
                              headers={"Transfer-Encoding": "chunked"})  # fmt: skip
    assert status == 413 and headers.get("Connection") == "close"
    status, headers, _ = _ask(served, "GET", "/api/state", headers={"X-Leadmatch-Token": "x"})
    assert status == 403 and headers.get("Connection") == "close"


@pytest.mark.process
def test_ctrl_c_stops_the_server_with_every_answer_on_disk(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "leadmatch.cli", *_review_argv(tmp_path)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        url = urlsplit(server.stdout.readline().split(": ", 1)[1].strip())
        token = url.query.removeprefix("token=")
        conn = http.client.HTTPConnection("127.0.0.1", url.port, timeout=10)
        conn.request("GET", "/api/state", headers={"X-Leadmatch-Token": token})
        lead = json.loads(conn.getresponse().read())["item"]["lead"]["lead_id"]
        answer = json.dumps({"lead_id": lead, "account_id": None})
        sent = {"X-Leadmatch-Token": token, "Content-Type": "application/json"}
        conn.request("POST", "/api/answer", body=answer, headers=sent)
        assert conn.getresponse().status == 200
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=30)
    finally:
        server.kill()
    assert server.returncode == 0
    assert "stopped: 1 answers this session" in err
    assert [(x.lead_id, x.account_id, x.by) for x in Labels(tmp_path / "labels.jsonl").read()] == [
        (lead, None, "ana")
    ]


@pytest.mark.process
def test_review_reads_columns_by_map_as_match_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from leadmatch.cli import main

    argv = _review_argv(tmp_path)
    renamed = {"company": "Firma", "email": "Mail"}
    rows = [{renamed.get(k, k): v for k, v in lead.items()} for lead in LEADS]
    with (tmp_path / "leads.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["lead_id", "Firma", "Mail"])
        writer.writeheader()
        writer.writerows(rows)
    maps = ["--map", "Firma=company", "--map", "Mail=email"]
    assert main([*argv]) == 2  # the leads' columns are not known without the map
    assert "no column for company or email" in capsys.readouterr().err
    assert main([*argv, *maps, "--map", "Nope=phone"]) == 2
    assert "--map names columns no input file has: Nope" in capsys.readouterr().err
    command = [sys.executable, "-m", "leadmatch.cli", *argv, *maps]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        url = urlsplit(server.stdout.readline().split(": ", 1)[1].strip())
        conn = http.client.HTTPConnection("127.0.0.1", url.port, timeout=10)
        conn.request("GET", "/api/state", headers={"X-Leadmatch-Token": url.query[6:]})
        lead = json.loads(conn.getresponse().read())["item"]["lead"]
    finally:
        server.kill()
        server.wait()
    assert lead["company"] and lead["email"]
    assert (lead["company"], lead["email"]) in {(x["company"], x.get("email")) for x in LEADS}


def test_a_refit_that_matched_no_held_apart_answer_estimates_no_precision(
    index: AccountIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadmatch import Fit, Match, MatchConfig, evaluate
    from leadmatch.review import session as module

    unmatched = Match(lead_id="L1", account_id=None, confidence=0.3, decision="unmatched")
    none = evaluate([unmatched], {"L1": frozenset({"BR-1"})})
    fitted = Fit(MatchConfig(account_fields=("owner",)), before=none, after=none, pairs=3)
    monkeypatch.setattr(module, "fit", lambda *_, **__: fitted)
    with Labels(tmp_path / "labels.jsonl").writing() as write:
        session = _session(index, Labels(tmp_path / "labels.jsonl"), write)
        said = session.refit([])
    assert said["used"] is True and said["precision"] is None
