"""The command line on real files: canonical, Salesforce and HubSpot columns, --map, errors."""

from __future__ import annotations

import csv
import gc
from pathlib import Path
from typing import Any

import pytest

from leadmatch import AccountIndex, cli
from leadmatch._util.processes import AUTO_WORKERS_MAX, usable_cores
from leadmatch.cli import main

ACCOUNTS_CSV = """account_id,name,domain,alias_domains,country,city,phone,parent_id
A1,Acme Robotics Ltd,acme-robotics.co.uk,acme.uk;acmerobotics.com,GB,Leeds,,
A2,Acme Robotics GmbH,acme-robotics.de,,DE,München,,A1
A3,"Müller & Söhne GmbH",mueller-soehne.de,,DE,,,
"""
LEADS_CSV = """lead_id,first_name,last_name,email,company,website,country,phone
L1,Jane,Doe,j.doe@acme-robotics.co.uk,ACME Robotics Ltd,,UK,
L2,Max,Muster,max@gmail.com,Mueller und Soehne,,Germany,
L3,,,,"Totally Unknown, Inc.",,,
L4,,,broken-email,,,,
"""


def _write(path: Path, text: str, bom: bool = False) -> Path:
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_match_writes_one_row_per_lead_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accounts = _write(tmp_path / "accounts.csv", ACCOUNTS_CSV, bom=True)
    leads = _write(tmp_path / "leads.csv", LEADS_CSV, bom=True)
    out = tmp_path / "matches.csv"
    assert (
        main(["match", "--accounts", str(accounts), "--leads", str(leads), "--out", str(out)]) == 0
    )
    rows = _rows(out)
    assert list(rows[0]) == [
        "lead_id", "account_id", "confidence", "decision", "evidence", "candidate_id"
    ]  # fmt: skip
    assert [r["lead_id"] for r in rows] == ["L1", "L2", "L3", "L4"]
    assert (rows[0]["account_id"], rows[0]["decision"]) == ("A1", "matched")
    assert rows[1]["account_id"] == "A3"
    assert (rows[2]["account_id"], rows[2]["decision"]) == ("", "unmatched")
    assert rows[3]["decision"] == "unmatched"
    assert "email domain acme-robotics.co.uk" in rows[0]["evidence"]
    err = capsys.readouterr().err
    assert "4 leads" in err and "matched" in err


def test_saved_index_and_salesforce_hubspot_headers(tmp_path: Path) -> None:
    sf_accounts = _write(
        tmp_path / "sf_accounts.csv",
        "Id,Account Name,Website,BillingCountry,ParentId\n"
        "001A,Acme Robotics Ltd,https://www.acme-robotics.co.uk/,GB,\n"
        "001B,Nordic Timber AB,nordictimber.se,SE,\n",
    )
    index = tmp_path / "accounts.lmx"
    assert main(["index", "--accounts", str(sf_accounts), "--out", str(index)]) == 0
    hubspot_leads = _write(
        tmp_path / "contacts.csv",
        "Record ID,First Name,Last Name,Email,Company Name,Country/Region\n"
        "9001,Ann,Berg,ann@gmail.com,Nordic Timber,Sweden\n"
        "9002,Joe,Bloggs,joe@acme-robotics.co.uk,,\n",
    )
    out = tmp_path / "out.csv"
    assert main(["match", "--accounts", str(index), "--leads", str(hubspot_leads),
                 "--out", str(out), "--quiet"]) == 0  # fmt: skip
    assert [(r["lead_id"], r["account_id"]) for r in _rows(out)] == [
        ("9001", "001B"),
        ("9002", "001A"),
    ]


def test_map_names_any_other_column(tmp_path: Path) -> None:
    accounts = _write(
        tmp_path / "a.csv", "Key,Firm,Web\nK1,Acme Robotics Ltd,acme-robotics.co.uk\n"
    )
    leads = _write(tmp_path / "l.csv", "Ref,Org,Mail\nR1,Acme Robotics,x@gmail.com\n")
    out = tmp_path / "o.csv"
    args = ["match", "--accounts", str(accounts), "--leads", str(leads), "--out", str(out),
            "--quiet", "--map", "Key=account_id", "--map", "Firm=name", "--map", "Web=domain",
            "--map", "Ref=lead_id", "--map", "Org=company", "--map", "Mail=email"]  # fmt: skip
    assert main(args) == 0
    assert _rows(out)[0]["account_id"] == "K1"


def test_missing_columns_and_files_give_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accounts = _write(tmp_path / "a.csv", ACCOUNTS_CSV)
    leads = _write(tmp_path / "l.csv", "lead_id,first_name\nL1,Jane\n")
    out = tmp_path / "o.csv"
    assert (
        main(["match", "--accounts", str(accounts), "--leads", str(leads), "--out", str(out)]) == 2
    )
    assert "no column for company or email" in capsys.readouterr().err
    assert main(["match", "--accounts", str(tmp_path / "nope.csv"), "--leads", str(leads),
                 "--out", str(out)]) == 2  # fmt: skip
    assert "nope.csv" in capsys.readouterr().err
    assert main(["match", "--accounts", str(accounts), "--leads", str(leads), "--out", str(out),
                 "--map", "Nowhere=company"]) == 2  # fmt: skip


def test_malformed_csv_rows_still_give_one_result_each(tmp_path: Path) -> None:
    accounts = _write(tmp_path / "a.csv", ACCOUNTS_CSV)
    leads = tmp_path / "l.csv"
    leads.write_bytes(
        b'lead_id,company,email\nL1,Acme Robotics\nL2,"Acme, Robotics",x@acme.uk,extra,cols\n'
        b"L3,\xff\xfeBad bytes Ltd,\n\nL4,Nordic,\n"
    )
    out = tmp_path / "o.csv"
    assert main(["match", "--accounts", str(accounts), "--leads", str(leads), "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    rows = _rows(out)
    assert [r["lead_id"] for r in rows] == ["L1", "L2", "L3", "L4"]
    assert rows[1]["account_id"] == "A1"


def test_demo_runs_on_bundled_data(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "demo.csv"
    assert main(["demo", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "precision" in text and "recall" in text and "A few results and why" in text
    assert len(_rows(out)) > 500


def test_an_oversized_field_is_that_rows_error_not_the_files(tmp_path: Path) -> None:
    accounts = _write(tmp_path / "a.csv", ACCOUNTS_CSV)
    leads = _write(
        tmp_path / "l.csv", f"lead_id,company\nL1,Acme Robotics\nL2,{'x' * 200_000}\nL3,Acme\n"
    )
    out = tmp_path / "o.csv"
    assert main(["match", "--accounts", str(accounts), "--leads", str(leads), "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    rows = _rows(out)
    # The row after the oversized one is still read and matched on its own ("Acme" alone, a
    # shortened name, is too little for a match; it keeps its best candidate).
    assert [(r["lead_id"], r["decision"]) for r in rows[:2]] == [("L1", "matched"), ("L2", "error")]
    assert rows[2]["lead_id"] == "L3" and rows[2]["decision"] in ("review", "unmatched")
    assert [r["candidate_id"] for r in rows] == ["A1", "", "A1"]
    assert "200,000 characters" in rows[1]["evidence"]


def test_an_unclosed_quote_stops_the_run_instead_of_swallowing_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accounts = _write(tmp_path / "a.csv", ACCOUNTS_CSV)
    leads = _write(
        tmp_path / "l.csv", 'lead_id,company\nL1,Acme\nL2,"Acme Robotics\nL3,Beta\nL4,Gamma\n'
    )
    out = tmp_path / "o.csv"
    assert main(["match", "--accounts", str(accounts), "--leads", str(leads), "--out", str(out),
                 "--quiet"]) == 2  # fmt: skip
    assert "quote" in capsys.readouterr().err
    assert not out.exists()


def test_blank_lead_ids_get_their_row_number_and_map_ignores_case(tmp_path: Path) -> None:
    accounts = _write(tmp_path / "a.csv", ACCOUNTS_CSV)
    leads = _write(tmp_path / "l.csv", "lead_id,Org\n  ,Acme Robotics\nL2,Acme Robotics\n,x\n")
    out = tmp_path / "o.csv"
    assert main(["match", "--accounts", str(accounts), "--leads", str(leads), "--out", str(out),
                 "--quiet", "--map", "org=company"]) == 0  # fmt: skip
    assert [r["lead_id"] for r in _rows(out)] == ["row-1", "L2", "row-3"]


def test_semicolons_latin_1_and_salesforce_lead_reports(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    accounts = _write(tmp_path / "a.csv", ACCOUNTS_CSV)
    leads = tmp_path / "l.csv"
    leads.write_bytes(
        "Lead ID;Company / Account;Email\nL1;Müller & Söhne;m@gmail.com\n".encode("cp1252")
    )
    out = tmp_path / "o.csv"
    assert main(["match", "--accounts", str(accounts), "--leads", str(leads), "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    assert _rows(out)[0]["account_id"] == "A3"
    assert "not UTF-8" in caplog.text


def test_an_index_is_recognised_by_content_and_mistakes_are_caught_early(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accounts = _write(tmp_path / "a.csv", ACCOUNTS_CSV)
    leads = _write(tmp_path / "l.csv", LEADS_CSV)
    index = tmp_path / "accounts.idx"
    assert main(["index", "--accounts", str(accounts), "--out", str(index), "--quiet"]) == 0
    out = tmp_path / "o.csv"
    assert main(["match", "--accounts", str(index), "--leads", str(leads), "--out", str(out),
                 "--quiet"]) == 0  # fmt: skip
    assert len(_rows(out)) == 4
    missing_dir = tmp_path / "nope" / "o.csv"
    assert main(["match", "--accounts", str(index), "--leads", str(leads),
                 "--out", str(missing_dir)]) == 2  # fmt: skip
    assert "does not exist" in capsys.readouterr().err
    assert main(["match", "--accounts", str(index), "--leads", str(leads), "--out", str(out),
                 "--map", "Company=compnay"]) == 2  # fmt: skip
    assert "unknown field 'compnay'" in capsys.readouterr().err


@pytest.mark.process
def test_workers_write_the_same_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--workers 2 over several batches (batches of 3 here) writes what one process writes."""
    monkeypatch.setattr("leadmatch.cli.WORKER_CHUNK", 3)
    accounts = _write(tmp_path / "accounts.csv", ACCOUNTS_CSV)
    rows = LEADS_CSV.strip().splitlines()
    leads = _write(tmp_path / "leads.csv", "\n".join([rows[0], *rows[1:] * 4]) + "\n")
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}.csv"
        assert main(["match", "--accounts", str(accounts), "--leads", str(leads),
                     "--out", str(out), "--workers", workers, "--quiet"]) == 0  # fmt: skip
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0].count(b"\n") == 1 + 4 * (len(rows) - 1)
    with pytest.raises(SystemExit):
        main(["match", "--accounts", str(accounts), "--leads", str(leads),
              "--out", str(tmp_path / "x.csv"), "--workers", "0"])  # fmt: skip
    assert "at least 1" in capsys.readouterr().err


def test_workers_default_to_the_cores_this_process_may_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default --workers is what the process's CPU affinity allows, capped; a small file
    is matched in this process whatever the count (no worker is started for it)."""
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(3)), raising=False)
    assert usable_cores() == 3
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert usable_cores() == AUTO_WORKERS_MAX
    seen: list[int] = []
    load = cli._load_accounts

    def spy(*args: Any) -> Any:  # notes the workers it is given
        seen.append(args[-1])
        return load(*args)

    monkeypatch.setattr(cli, "_load_accounts", spy)
    accounts = _write(tmp_path / "accounts.csv", ACCOUNTS_CSV)
    leads = _write(tmp_path / "leads.csv", LEADS_CSV)
    outputs = []
    for flags in ([], ["--workers", "auto"], ["--workers", "1"]):
        out = tmp_path / "out.csv"
        assert main(["match", "--accounts", str(accounts), "--leads", str(leads),
                     "--out", str(out), "--quiet", *flags]) == 0  # fmt: skip
        outputs.append(out.read_bytes())
    assert seen == [AUTO_WORKERS_MAX, AUTO_WORKERS_MAX, 1]
    assert outputs[0] == outputs[1] == outputs[2]


def test_the_cli_collects_cycles_less_often_and_the_library_leaves_that_alone(
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = gc.get_threshold()
    try:
        index = AccountIndex.build([{"account_id": "A", "name": "Acme Robotics"}])
        index.match_many([{"company": "Acme Robotics"}] * 3)
        assert gc.get_threshold() == before
        assert main(["demo"]) == 0
        assert gc.get_threshold() == (50_000, 20, 100)  # first generation: 50,000, not 700
    finally:
        gc.set_threshold(*before)
