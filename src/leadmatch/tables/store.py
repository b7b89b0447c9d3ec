"""One-file storage for an index: an uncompressed zip of ``.npy`` members and a JSON manifest.

No pickle anywhere: arrays are plain dtypes read with ``allow_pickle=False`` semantics, string
columns are UTF-8 bytes plus offsets, look-up tables are arrays. Every member's SHA-256 is in
the manifest, so a truncated or edited file is refused with a clear error instead of giving
wrong matches. Members are stored uncompressed, so a loaded index can map them straight from
the file (``mmap``): loading costs a read and a checksum, and processes share the pages.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import mmap
import os
import struct
import typing
import zipfile
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from leadmatch._util.keys import KeyTable
from leadmatch._util.strings import StringColumn
from leadmatch._version import __version__
from leadmatch.errors import IndexFormatError

FORMAT = "leadmatch.account-index"
FORMAT_VERSION = 7
_MANIFEST = "manifest.json"
_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature ... name length, extra length
_PAD_HEADER = struct.Struct("<HH")  # extra field: id, size
_PAD_ID = 0xD935  # the id Android's zipalign uses for alignment padding
_ALIGN = 64
# A member of about 2 GiB or more (zipfile's test) gets zipfile's zip64 field after ours in its
# local header: id, size, and both sizes as 8 bytes each.
_ZIP64_EXTRA = struct.calcsize("<HHQQ")

T = TypeVar("T")
_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


class _Digest:
    """A file that only keeps the SHA-256 and the size of what is written to it."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: Any) -> int:
        self.sha256.update(data)
        written = len(memoryview(data).cast("B"))
        self.size += written
        return written


def _digest(array: np.ndarray[Any, Any]) -> _Digest:
    """The checksum and size of an array's ``.npy`` bytes, worked out as they are written (NumPy
    writes a large array in pieces), without holding a copy of them."""
    digest = _Digest()
    np.save(digest, array, allow_pickle=False)
    return digest


def _flatten(
    prefix: str, value: Any, members: dict[str, np.ndarray[Any, Any]], kinds: dict[str, Any]
) -> None:
    if isinstance(value, np.ndarray):
        members[f"{prefix}.npy"] = np.ascontiguousarray(value)
        kinds[prefix] = "array"
    elif isinstance(value, StringColumn):
        data, ptr, joined = value.buffers
        members[f"{prefix}.data.npy"] = np.ascontiguousarray(np.asarray(data, dtype=np.uint8))
        members[f"{prefix}.ptr.npy"] = np.ascontiguousarray(ptr)
        kinds[prefix] = "strings-joined" if joined else "strings"
    elif isinstance(value, KeyTable):
        for part in ("keys", "ptr", "values"):
            members[f"{prefix}.{part}.npy"] = np.ascontiguousarray(getattr(value, part))
        kinds[prefix] = "key-table"
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            _flatten(
                f"{prefix}.{f.name}" if prefix else f.name, getattr(value, f.name), members, kinds
            )
    else:
        raise TypeError(f"cannot store {prefix} of type {type(value).__name__}")


def _entry(name: str, offset: int, size: int) -> zipfile.ZipInfo:
    """A member header padded (zipalign-style, in an extra field) so that the member's data,
    and so the array after its 64-byte ``.npy`` header, starts on a 64-byte boundary: mapped
    arrays must be aligned, or NumPy copies them on every search. A fixed timestamp keeps the
    file byte-identical for identical accounts."""
    entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    entry.compress_type = zipfile.ZIP_STORED
    entry.file_size = size  # as writestr sets it: it decides whether the member is zip64
    used = offset + _LOCAL_HEADER.size + len(name.encode("utf-8")) + _PAD_HEADER.size
    if size * 1.05 > zipfile.ZIP64_LIMIT:  # zipfile's own test: it appends its zip64 field
        used += _ZIP64_EXTRA
    pad = -used % _ALIGN
    entry.extra = _PAD_HEADER.pack(_PAD_ID, pad) + bytes(pad)
    return entry


def save(path: str | Path, parts: dict[str, Any], normalizer_version: int) -> Path:
    """Write dataclasses of arrays, string columns and key tables to ``path``, atomically:
    a temporary file in the same folder, flushed to disk, then renamed over ``path``."""
    path = Path(path)
    members: dict[str, np.ndarray[Any, Any]] = {}
    kinds: dict[str, Any] = {}
    for name, part in parts.items():
        _flatten(name, part, members, kinds)
    # The manifest comes first in the file, with every member's checksum: each member is
    # written twice, once to a digest and once to the file, never whole in memory.
    digests = {name: _digest(array) for name, array in members.items()}
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "leadmatch_version": __version__,
        "name_normalizer_version": normalizer_version,
        "fields": kinds,
        "sha256": {name: digest.sha256.hexdigest() for name, digest in digests.items()},
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as archive:
            text = json.dumps(manifest, indent=2, sort_keys=True).encode("utf-8")
            archive.writestr(_entry(_MANIFEST, 0, len(text)), text)
            for name, array in members.items():
                entry = _entry(name, raw.tell(), digests[name].size)
                with archive.open(entry, "w") as member:
                    np.save(member, array, allow_pickle=False)
            archive.close()
            raw.flush()
            os.fsync(raw.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _read_manifest(archive: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(_MANIFEST))
    except KeyError as exc:
        raise IndexFormatError(f"{path} is a zip file but not a leadmatch index") from exc
    except (ValueError, zipfile.BadZipFile, OSError) as exc:
        raise IndexFormatError(f"{path}: the index manifest is not valid JSON") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexFormatError(f"{path} is not a leadmatch account index")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexFormatError(
            f"{path} has index format {manifest.get('format_version')}; this leadmatch reads "
            f"format {FORMAT_VERSION}: rebuild the index from the accounts"
        )
    return manifest


class _Reader:
    """Reads checked members of an open index file, mapped or copied."""

    def __init__(
        self, path: Path, archive: zipfile.ZipFile, manifest: dict[str, Any], checked: bool
    ) -> None:
        self.path = path
        self.checked = checked
        self.archive = archive
        self.checksums = manifest.get("sha256")
        self.kinds = manifest.get("fields")
        if not isinstance(self.checksums, dict) or not isinstance(self.kinds, dict):
            raise IndexFormatError(f"{path}: the index manifest lacks its fields or checksums")
        self.buffer: Any = None

    def fail(self, what: str) -> IndexFormatError:
        return IndexFormatError(f"{self.path}: {what}")

    def _member(self, name: str) -> memoryview:
        try:
            info = self.archive.getinfo(name)
        except KeyError as exc:
            raise self.fail(f"member {name} is missing") from exc
        if info.compress_type != zipfile.ZIP_STORED:
            raise self.fail(f"member {name} is compressed; leadmatch writes it stored")
        whole = memoryview(self.buffer)
        header = bytes(whole[info.header_offset : info.header_offset + _LOCAL_HEADER.size])
        if len(header) < _LOCAL_HEADER.size:
            raise self.fail(f"member {name} is cut off (truncated file)")
        signature, name_len, extra_len = _LOCAL_HEADER.unpack(header)
        start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
        if signature != b"PK\x03\x04" or start + info.file_size > len(whole):
            raise self.fail(f"member {name} is cut off or damaged")
        content = whole[start : start + info.file_size]
        if self.checked and hashlib.sha256(content).hexdigest() != self.checksums.get(name):  # type: ignore[union-attr]
            raise self.fail(f"member {name} fails its checksum (damaged file)")
        return content

    def array(self, name: str, dtype: str = "") -> np.ndarray[Any, Any]:
        content = self._member(name)
        stream = io.BytesIO(bytes(content[: min(len(content), 1 << 16)]))
        try:
            version = np.lib.format.read_magic(stream)
            header = _HEADER_READERS.get(version)
            if header is None:
                raise ValueError(f"npy version {version}")
            shape, fortran, found = header(stream)
        except (ValueError, OSError, SyntaxError, TypeError) as exc:
            raise self.fail(f"member {name} is not a plain array") from exc
        if found.hasobject or len(shape) != 1 or fortran or (dtype and found != np.dtype(dtype)):
            raise self.fail(f"member {name} has the wrong shape or type")
        offset = stream.tell()
        if offset + shape[0] * found.itemsize != len(content):
            raise self.fail(f"member {name} has the wrong size")
        array = np.frombuffer(content, dtype=found, count=shape[0], offset=offset)
        # Files from other zip writers may be unaligned; a copy is then faster than a view.
        return array if array.flags.aligned else array.copy()

    def value(self, prefix: str, cls: Any) -> Any:
        kind = self.kinds.get(prefix)  # type: ignore[union-attr]
        if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls is not KeyTable:
            hints = typing.get_type_hints(cls)
            fields = dataclasses.fields(cls)
            return cls(**{f.name: self.value(f"{prefix}.{f.name}", hints[f.name]) for f in fields})
        if cls is StringColumn and kind in ("strings", "strings-joined"):
            column = StringColumn(
                self.array(f"{prefix}.data.npy", "uint8"),
                self.array(f"{prefix}.ptr.npy", "int64"),
                joined=kind == "strings-joined",
            )
            problem = column.check()
            if problem:
                raise self.fail(f"{prefix}: {problem}")
            return column
        if cls is KeyTable and kind == "key-table":
            return KeyTable(*(self.array(f"{prefix}.{p}.npy") for p in ("keys", "ptr", "values")))
        if kind == "array":
            return self.array(f"{prefix}.npy")
        raise self.fail(f"field {prefix} is missing from the index or of another kind")


def load(
    path: str | Path,
    parts: dict[str, type[Any]],
    normalizer_version: int,
    *,
    mapped: bool = True,
    checked: bool = True,
) -> dict[str, Any]:
    """Read what :func:`save` wrote: one instance per entry of ``parts``.

    ``mapped`` maps the file instead of reading it into memory (the arrays are read-only).
    ``checked=False`` skips the members' checksums: only for a file this program has just
    checked or written (a worker process mapping its parent's index).
    """
    path = Path(path)
    if not path.is_file():
        raise IndexFormatError(f"{path}: no such index file")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IndexFormatError(
            f"{path} is not a leadmatch index (not a readable zip file)"
        ) from exc
    with archive:
        manifest = _read_manifest(archive, path)
        if manifest.get("name_normalizer_version") != normalizer_version:
            raise IndexFormatError(
                f"{path} was built with name normalizer version "
                f"{manifest.get('name_normalizer_version')}; this leadmatch uses "
                f"{normalizer_version}: rebuild the index so that keys compare alike"
            )
        reader = _Reader(path, archive, manifest, checked)
        with open(path, "rb") as raw:
            if mapped and os.fstat(raw.fileno()).st_size:
                reader.buffer = mmap.mmap(raw.fileno(), 0, access=mmap.ACCESS_READ)
            else:
                reader.buffer = raw.read()
        return {name: reader.value(name, cls) for name, cls in parts.items()}
