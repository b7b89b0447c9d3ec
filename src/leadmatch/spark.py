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

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from leadmatch import AccountIndex, LeadmatchError, MatchConfig
from leadmatch.io import check_named, require, resolve_columns
from leadmatch.match import result_names
from leadmatch.models import text_or_none

#: Indexes loaded in this worker process, by file and config: loaded once, reused per batch.
_LOADED: dict[tuple[Any, ...], Any] = {}


__all__ = ["match", "result_columns", "result_schema"]


def result_columns(config: MatchConfig | None = None) -> list[str]:
    """The columns of :func:`match`'s result: :data:`~leadmatch.match.results.OUTPUT_COLUMNS`,
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
    particular order and are joined to the leads by it (a row whose id is null or empty is
    named ``"<partition>-<position>"``). ``ship=False`` reads ``index_path`` on each
    executor instead of shipping it (a path on storage that every executor mounts). Saving
    the index again (after :meth:`~leadmatch.AccountIndex.add`, say) and calling this again
    matches against the new version.
    """
    config = config or MatchConfig()
    check_named(list(leads.columns), columns)
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
    where, name = str(path), ""
    if ship:  # under a name of its own: a file saved again after an update is a new version
        name = _shipped(path)
        session.sparkContext.addFile(name)
        name = Path(name).name
    config_json, wanted = config.model_dump_json(), dict(columns or {})
    id_column = next(column for column, field in mapping.items() if field == "lead_id")

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        from pyspark import SparkFiles, TaskContext

        index = _index(SparkFiles.get(name) if name else where, config_json)
        context = TaskContext.get()
        partition = context.partitionId() if context else 0
        done = 0
        for batch in batches:
            batch = _named(batch, id_column, f"{partition}-", done)
            done += batch.num_rows
            yield index.match_many(batch, columns=wanted or None)

    used = [f"`{column.replace('`', '``')}`" for column in mapping]  # only what is read
    return leads.select(*used).mapInArrow(run, result_schema(config))


_SHIPPING: list[Path] = []
#: Indexes kept loaded per worker process (older versions are let go).
_KEEP_LOADED = 4


def _shipped(path: Path) -> str:
    """A link to (or copy of) the index file, named after its version (inode, time, size), in a
    folder of this process's own (created private, removed at exit), made under a temporary
    name and renamed into place."""
    if not _SHIPPING:
        folder = Path(tempfile.mkdtemp(prefix="leadmatch-spark-"))  # mode 0700
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _SHIPPING.append(folder)
    stat = path.stat()
    version = f"{path.stem}-{stat.st_ino:x}-{stat.st_mtime_ns:x}-{stat.st_size:x}{path.suffix}"
    target = _SHIPPING[0] / version
    if not target.exists():
        part = target.with_name(target.name + ".part")
        part.unlink(missing_ok=True)
        try:
            os.link(path, part)
        except OSError:  # another file system
            shutil.copyfile(path, part)
        os.replace(part, target)
    return str(target)


def _named(batch: Any, column: str, prefix: str, done: int) -> Any:
    """``batch`` with a lead id for every row: a row without one is named by its partition
    and position (``"3-1207"``), so that ids stay unique across batches and partitions."""
    pyarrow = require("pyarrow", "arrow")

    position = batch.schema.get_field_index(column)
    values = batch.column(position).to_pylist()
    if all(v is not None and v != "" for v in values):
        return batch
    ids = []
    for k, value in enumerate(values):
        try:
            text = text_or_none(value, "lead_id")
        except ValueError:  # left as it is: validation reports it on its row
            text = str(value)
        ids.append(text or f"{prefix}{done + k}")
    return batch.set_column(position, column, pyarrow.array(ids, pyarrow.string()))


def _index(path: str, config_json: str) -> Any:
    """The index at ``path`` under a config, loaded once per worker process (and again when
    the file at ``path`` is replaced)."""
    stat = os.stat(path)
    key = (path, stat.st_ino, stat.st_mtime_ns, stat.st_size, config_json)
    index = _LOADED.get(key)
    if index is None:
        while len(_LOADED) >= _KEEP_LOADED:
            del _LOADED[next(iter(_LOADED))]
        index = _LOADED[key] = AccountIndex.load(path, MatchConfig.model_validate_json(config_json))
    return index
