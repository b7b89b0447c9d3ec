"""One-file storage for index arrays: an uncompressed zip of ``.npy`` members and a manifest.

No pickle anywhere: arrays are read with ``allow_pickle=False`` and lists of strings are stored as
a UTF-8 byte blob plus offsets. Every member's SHA-256 is in the manifest, so a truncated or
edited file is refused with a clear error instead of giving wrong matches.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from leadmatch.errors import IndexFormatError

FORMAT = "leadmatch.account-index"
FORMAT_VERSION = 1
_MANIFEST = "manifest.json"

T = TypeVar("T")


def _npy_bytes(array: np.ndarray[Any, Any]) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _encode_strings(values: list[str]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    encoded = [v.encode("utf-8", "surrogatepass") for v in values]
    lengths = np.fromiter((len(e) for e in encoded), dtype=np.int64, count=len(encoded))
    ptr = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), ptr


def _decode_strings(blob: np.ndarray[Any, Any], ptr: np.ndarray[Any, Any]) -> list[str]:
    raw = blob.tobytes()
    bounds = ptr.tolist()
    return [raw[a:b].decode("utf-8", "surrogatepass") for a, b in zip(bounds, bounds[1:])]


def save(path: str | Path, data: Any, normalizer_version: int) -> Path:
    """Write a dataclass of arrays and string lists to ``path`` (atomically: temp + rename)."""
    from leadmatch import __version__

    path = Path(path)
    members: dict[str, bytes] = {}
    kinds: dict[str, str] = {}
    for f in dataclasses.fields(data):
        value = getattr(data, f.name)
        if isinstance(value, np.ndarray):
            members[f"{f.name}.npy"] = _npy_bytes(value)
            kinds[f.name] = "array"
        else:
            blob, ptr = _encode_strings(list(value))
            members[f"{f.name}.blob.npy"] = _npy_bytes(blob)
            members[f"{f.name}.ptr.npy"] = _npy_bytes(ptr)
            kinds[f.name] = "strings"
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "leadmatch_version": __version__,
        "name_normalizer_version": normalizer_version,
        "fields": kinds,
        "sha256": {name: hashlib.sha256(content).hexdigest() for name, content in members.items()},
    }
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(_MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
        for name, content in members.items():
            archive.writestr(name, content)
    tmp.replace(path)
    return path


def _read_manifest(archive: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(_MANIFEST))
    except KeyError as exc:
        raise IndexFormatError(f"{path} is a zip file but not a leadmatch index") from exc
    except ValueError as exc:
        raise IndexFormatError(f"{path}: the index manifest is not valid JSON") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexFormatError(f"{path} is not a leadmatch account index")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexFormatError(
            f"{path} has index format {manifest.get('format_version')}; this leadmatch reads "
            f"format {FORMAT_VERSION}: rebuild the index from the accounts"
        )
    return manifest


def load(path: str | Path, cls: type[T], normalizer_version: int) -> T:
    """Read what :func:`save` wrote into an instance of the dataclass ``cls``."""
    path = Path(path)
    if not path.is_file():
        raise IndexFormatError(f"{path}: no such index file")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
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
        checksums = manifest.get("sha256")
        kinds = manifest.get("fields")
        if not isinstance(checksums, dict) or not isinstance(kinds, dict):
            raise IndexFormatError(f"{path}: the index manifest lacks its fields or checksums")

        def array(name: str, dtype: str) -> np.ndarray[Any, Any]:
            try:
                content = archive.read(name)
            except (KeyError, zipfile.BadZipFile, OSError) as exc:
                raise IndexFormatError(f"{path}: member {name} is missing or damaged") from exc
            if hashlib.sha256(content).hexdigest() != checksums.get(name):
                raise IndexFormatError(f"{path}: member {name} fails its checksum (damaged file)")
            try:
                loaded = np.load(io.BytesIO(content), allow_pickle=False)
            except ValueError as exc:
                raise IndexFormatError(f"{path}: member {name} is not a plain array") from exc
            if loaded.ndim != 1 or (dtype and loaded.dtype != np.dtype(dtype)):
                raise IndexFormatError(f"{path}: member {name} has the wrong shape or type")
            return loaded  # type: ignore[no-any-return]

        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            kind = kinds.get(f.name)
            if kind == "array":
                values[f.name] = array(f"{f.name}.npy", "")
            elif kind == "strings":
                blob = array(f"{f.name}.blob.npy", "uint8")
                ptr = array(f"{f.name}.ptr.npy", "int64")
                if len(ptr) == 0 or ptr[0] != 0 or ptr[-1] != len(blob) or (np.diff(ptr) < 0).any():
                    raise IndexFormatError(f"{path}: the offsets of {f.name} do not fit its data")
                try:
                    values[f.name] = _decode_strings(blob, ptr)
                except UnicodeDecodeError as exc:
                    raise IndexFormatError(f"{path}: {f.name} is not valid UTF-8") from exc
            else:
                raise IndexFormatError(f"{path}: field {f.name} is missing from the index")
    return cls(**values)
