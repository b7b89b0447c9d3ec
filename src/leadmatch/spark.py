"""Spark: match a leads DataFrame of any size against a saved index, partition by partition.

The saved index file is shipped once to each executor (``SparkContext.addFile``), or read from
a path every executor sees (shared storage: ``ship=False``); each Python worker maps it once
(memory-mapped, so that the workers of one executor share its pages) and matches its
partitions in Arrow batches (``mapInArrow``; their size is Spark's
``spark.sql.execution.arrow.maxRecordsPerBatch``, 10,000 by default): the same columnar path
as ``match_many`` on a pyarrow batch, so a row's result is the one ``match_many`` gives in one
process.

Needs pyspark (``leadmatch[spark]``) on the driver and the executors, and leadmatch itself on
the executors.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from leadmatch.config import MatchConfig
from leadmatch.errors import LeadmatchError
from leadmatch.frames import require
from leadmatch.pipeline import result_names

#: Indexes loaded in this worker process, by file and config: loaded once, reused per batch.
_LOADED: dict[tuple[str, str], Any] = {}


def result_columns(config: MatchConfig | None = None) -> list[str]:
    """The columns of :func:`match`'s result: :data:`~leadmatch.pipeline.OUTPUT_COLUMNS`,
    ``ultimate_parent_id``, then the account fields of ``config``. ``confidence`` is a double,
    the others strings ('' where a lead has none)."""
    return result_names(config.account_fields if config else ())


def result_schema(config: MatchConfig | None = None) -> Any:
    """:func:`result_columns` as a Spark ``StructType``."""
    types = require("pyspark.sql.types", "spark")
    return types.StructType(
        [
            types.StructField(
                name, types.DoubleType() if name == "confidence" else types.StringType(), True
            )
            for name in result_columns(config)
        ]
    )


def match(
    leads: Any,
    index_path: str | os.PathLike[str],
    *,
    config: MatchConfig | None = None,
    columns: Mapping[str, str] | None = None,
    ship: bool = True,
) -> Any:
    """The results of every lead of a Spark DataFrame (one row each; schema:
    :func:`result_schema`), matched against the index saved at ``index_path``.

    ``columns`` maps the DataFrame's column names to lead fields, as in ``match_many``; the
    leads need an id column (``lead_id`` or one mapped to it): results come back in no
    particular order and are joined to the leads by it. ``ship=False`` reads ``index_path``
    on each executor instead of shipping it (a path on storage that every executor mounts).
    """
    from leadmatch.columns import resolve_columns

    config = config or MatchConfig()
    mapping = resolve_columns(list(leads.columns), "lead", columns, require_id=False)
    if "lead_id" not in mapping.values():
        raise LeadmatchError(
            "the leads DataFrame needs an id column (lead_id, or name one with "
            "columns={column: 'lead_id'}): results are joined back to the leads by it"
        )
    path = Path(index_path).resolve()
    if not path.is_file():
        raise LeadmatchError(f"no index file at {path}: save one with AccountIndex.save")
    session = leads.sparkSession
    where = str(path)
    if ship:
        session.sparkContext.addFile(where)
        where = ""
    name, config_json, wanted = path.name, config.model_dump_json(), dict(columns or {})

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        from pyspark import SparkFiles

        index = _index(where or SparkFiles.get(name), config_json)
        for batch in batches:
            yield index.match_many(batch, columns=wanted or None)

    used = [f"`{column.replace('`', '``')}`" for column in mapping]  # only what is read
    return leads.select(*used).mapInArrow(run, result_schema(config))


def _index(path: str, config_json: str) -> Any:
    """The index at ``path`` under a config, loaded once per worker process."""
    from leadmatch.index import AccountIndex

    key = (path, config_json)
    index = _LOADED.get(key)
    if index is None:
        index = _LOADED[key] = AccountIndex.load(path, MatchConfig.model_validate_json(config_json))
    return index
