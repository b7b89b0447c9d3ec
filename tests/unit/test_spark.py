"""Spark with a real local session: one result row per lead, equal to match_many in-process."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadmatch import AccountIndex, MatchConfig
from leadmatch.errors import LeadmatchError
from leadmatch.match import result_row

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs Java", allow_module_level=True)

from leadmatch import spark as lm_spark  # noqa: E402  (after the skips: it needs pyspark)

pytestmark = pytest.mark.process  # Spark's workers are other Python processes

ACCOUNTS = [
    {"account_id": "DE-1", "name": "Müller Maschinenbau GmbH", "domain": "mueller-mb.de",
     "country": "DE", "owner": "ana"},
    {"account_id": "JP-1", "name": "株式会社 桜電機", "aliases": ["Sakura Denki"],
     "domain": "sakura-denki.co.jp", "country": "JP", "owner": "bo"},
    {"account_id": "BR-1", "name": "Construtora Horizonte Ltda", "domain": "horizonte.com.br",
     "country": "BR"},
]  # fmt: skip
# The last is too long to be a company name: its leads are error rows, reported, not dropped.
COMPANIES = ["Müller Maschinenbau", "Sakura Denki", "Horizonte", "Nowhere Partners", "",
             "x" * 10_001]  # fmt: skip
DOMAINS = ["mueller-mb.de", "gmail.com", "sakura-denki.co.jp", "horizonte.com.br", None]


@pytest.fixture(scope="module")
def session() -> Iterator[Any]:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("leadmatch-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )
    yield spark
    spark.stop()


def _leads(n: int) -> list[dict[str, Any]]:
    return [
        {"Lead Id": f"L{i}", "Email": f"p{i}@{d}" if (d := DOMAINS[i % 5]) else None,
         "Company": COMPANIES[i % 6], "Country": ["DE", None, "JP", "Brasil"][i % 4]}
        for i in range(n)
    ]  # fmt: skip


def test_spark_results_equal_match_many_row_for_row(session: Any, tmp_path: Path) -> None:
    config = MatchConfig(account_fields=["owner"])
    index = AccountIndex.build(ACCOUNTS, config)
    path = index.save(tmp_path / "crm.lmx")
    leads = _leads(1_000)
    frame = session.createDataFrame(leads).repartition(3)
    out = lm_spark.match(frame, path, config=config, columns={"Lead Id": "lead_id"})
    assert [f.name for f in out.schema.fields] == [
        "lead_id", "account_id", "confidence", "decision", "evidence", "candidate_id",
        "ultimate_parent_id", "owner",
    ]  # fmt: skip
    assert out.schema["confidence"].dataType.typeName() == "double"
    rows = {r["lead_id"]: r.asDict() for r in out.collect()}
    assert len(rows) == len(leads)  # one result per lead, none lost, none twice
    expected = index.match_many(
        [{"lead_id": r["Lead Id"], "email": r["Email"], "company": r["Company"],
          "country": r["Country"]} for r in leads]
    )  # fmt: skip
    for match in expected:
        row, want = rows[match.lead_id], result_row(match)
        assert {c: row[c] for c in want} == want
        assert row["ultimate_parent_id"] == (match.ultimate_parent_id or "")
    assert {r["decision"] for r in rows.values()} == {"matched", "review", "unmatched", "error"}


def test_spark_refuses_leads_without_an_id_column(session: Any, tmp_path: Path) -> None:
    path = AccountIndex.build(ACCOUNTS).save(tmp_path / "crm.lmx")
    frame = session.createDataFrame([{"email": "p@mueller-mb.de"}])
    with pytest.raises(LeadmatchError, match="id column"):
        lm_spark.match(frame, path)
    with pytest.raises(LeadmatchError, match="no index file"):
        lm_spark.match(
            session.createDataFrame([{"lead_id": "1", "email": "p@mueller-mb.de"}]),
            tmp_path / "missing.lmx",
        )


def test_spark_matches_the_saved_version_and_names_rows_without_ids(
    session: Any, tmp_path: Path
) -> None:
    index = AccountIndex.build(ACCOUNTS[:1])
    path = index.save(tmp_path / "crm.lmx")
    leads = [{"lead_id": None, "email": "a@sakura-denki.co.jp"},
             {"lead_id": "", "email": "b@sakura-denki.co.jp"},
             {"lead_id": "L3", "email": "c@mueller-mb.de"}]  # fmt: skip
    frame = session.createDataFrame(leads, "lead_id string, email string").coalesce(1)
    before = {r["lead_id"]: r["account_id"] for r in lm_spark.match(frame, path).collect()}
    assert before == {"0-0": "", "0-1": "", "L3": "DE-1"}
    index.add(ACCOUNTS[1:])
    index.save(path)  # the same path, a new version: shipped and loaded again
    after = {r["lead_id"]: r["account_id"] for r in lm_spark.match(frame, path).collect()}
    assert after == {"0-0": "JP-1", "0-1": "JP-1", "L3": "DE-1"}
    shared = {r["lead_id"]: r["account_id"] for r in lm_spark.match(frame, path, ship=False)
              .collect()}  # fmt: skip
    assert shared == after
