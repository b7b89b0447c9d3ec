"""DuckDB and Arrow streams: a relation in, a RecordBatchReader of results out, matched as it is
read and written back to a DuckDB table or Parquet without pandas in between."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadmatch import AccountIndex, MatchConfig
from leadmatch.match import result_row

duckdb = pytest.importorskip("duckdb")
pa = pytest.importorskip("pyarrow")

ACCOUNTS_SQL = """
create table accounts as select * from (values
    ('DE-1', 'Müller Maschinenbau GmbH', 'mueller-mb.de', 'DE', 'ana'),
    ('JP-1', '株式会社 桜電機', 'sakura-denki.co.jp', 'JP', 'bo'),
    ('BR-1', 'Construtora Horizonte Ltda', 'horizonte.com.br', 'BR', NULL)
) t(account_id, name, domain, country, owner)
"""
LEADS_SQL = """
create table leads as
select 'L' || i as lead_id,
       case i % 4 when 0 then 'k' || i || '@mueller-mb.de' when 1 then 'x' || i || '@gmail.com'
                  when 2 then 't' || i || '@sakura-denki.co.jp' else null end as email,
       case i % 3 when 0 then 'Horizonte' when 1 then null else 'Nowhere Partners' end
           || case when i = 8 then repeat('x', 10001) else '' end as company
from range(2500) r(i)
"""


def test_a_duckdb_relation_in_a_duckdb_table_out(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute(ACCOUNTS_SQL)
    con.execute(LEADS_SQL)
    config = MatchConfig(account_fields=["owner"])
    index = AccountIndex.build(con.sql("select * from accounts").to_arrow_table(), config)
    # A connection with an open result runs no other query: the leads are read on a cursor.
    reading = con.cursor().sql("select * from leads order by lead_id").to_arrow_reader(1000)
    results = index.match_many(reading)
    assert isinstance(results, pa.RecordBatchReader)
    con.execute("create table matches as select * from results")  # DuckDB scans the reader
    got = con.sql("select * from matches").fetchall()
    names = [d[0] for d in con.sql("select * from matches").description]
    leads = con.sql("select lead_id, email, company from leads order by lead_id").fetchall()
    expected = index.match_many([dict(zip(("lead_id", "email", "company"), r)) for r in leads])
    assert len(got) == len(expected) == 2500
    assert sum(r.decision == "error" for r in expected) == 1  # a bad row is reported, not lost
    for row, match in zip(got, expected):
        record = dict(zip(names, row))
        assert {k: record[k] for k in result_row(match)} == result_row(match)
    path = tmp_path / "matches.parquet"
    con.execute(f"copy matches to '{path}' (format parquet)")
    assert con.execute(f"select count(*) from '{path}'").fetchone() == (2500,)


def test_an_arrow_stream_without_ids_counts_positions_across_batches() -> None:
    index = AccountIndex.build([{"account_id": "A", "name": "Acme GmbH", "domain": "acme.de"}])
    table = pa.table({"email": ["x@acme.de"] * 5})
    reader = pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=2))
    out = index.match_many(reader).read_all()
    assert out.column("lead_id").to_pylist() == ["0", "1", "2", "3", "4"]
    assert out.column("account_id").to_pylist() == ["A"] * 5
    con = duckdb.connect()
    relation = con.sql("select 'y@acme.de' as email")  # any __arrow_c_stream__ object
    assert index.match_many(relation).read_all().column("account_id").to_pylist() == ["A"]
