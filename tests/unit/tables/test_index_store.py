"""Saving and loading an index: same answers after a round trip; damaged files are refused."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from leadmatch import AccountIndex, IndexFormatError, Lead
from leadmatch.tables import Tables, stamp

ACCOUNTS = [
    {"account_id": "A1", "name": "Acme Robotics Ltd", "domain": "acme-robotics.co.uk",
     "alias_domains": "acme.uk", "country": "GB"},
    {"account_id": "A2", "name": "ООО «Ромашка»", "domain": "romashka.ru", "parent_id": "A1"},
    {"account_id": "A3", "name": "株式会社サクラ電機", "aliases": ["Sakura Denki"]},
    {"account_id": "Ä4\u00e9", "name": "Crème Brûlée SARL", "country": "FR"},
]  # fmt: skip
LEADS = [
    Lead(email="x@acme.uk"),
    Lead(company="OOO Romashka"),
    Lead(company="Sakura Denki KK", country="JP"),
    Lead(company="Creme Brulee", country="France"),
    Lead(company="Unknown Corp"),
]


def _rewrite(source: Path, target: Path, edit: Callable[[dict[str, bytes]], None]) -> Path:
    """Copy an index file member by member, letting ``edit`` change the members first."""
    with zipfile.ZipFile(source) as src:
        members = {item.filename: src.read(item.filename) for item in src.infolist()}
    edit(members)
    with zipfile.ZipFile(target, "w") as dst:
        for name, content in members.items():
            dst.writestr(name, content)
    return target


def _edit_manifest(members: dict[str, bytes], **changes: object) -> None:
    manifest = json.loads(members["manifest.json"])
    manifest.update(changes)
    members["manifest.json"] = json.dumps(manifest).encode()


def _edit_array(
    members: dict[str, bytes], name: str, change: Callable[[np.ndarray], np.ndarray]
) -> None:
    """Replace array member ``name`` by ``change`` of it, with a fresh checksum: an edit that
    only the consistency checks, not the checksums, can catch."""
    buffer = io.BytesIO()
    np.save(buffer, change(np.load(io.BytesIO(members[name]), allow_pickle=False)))
    members[name] = buffer.getvalue()
    checksums = json.loads(members["manifest.json"])["sha256"]
    checksums[name] = hashlib.sha256(members[name]).hexdigest()
    _edit_manifest(members, sha256=checksums)


def _with(position: int, value: int) -> Callable[[np.ndarray], np.ndarray]:
    """An edit that sets one element of an array."""

    def change(array: np.ndarray) -> np.ndarray:
        array[position] = value
        return array

    return change


@pytest.fixture
def saved(tmp_path: Path) -> tuple[AccountIndex, Path]:
    index = AccountIndex.build(ACCOUNTS)
    return index, index.save(tmp_path / "accounts.lmx")


@pytest.mark.parametrize("mapped", [True, False])
def test_round_trip_gives_the_same_matches(saved: tuple[AccountIndex, Path], mapped: bool) -> None:
    index, path = saved
    loaded = AccountIndex.load(path, mmap=mapped)
    assert loaded.data.account_id == index.data.account_id
    assert loaded.match_many(LEADS) == index.match_many(LEADS)
    assert loaded.account("Ä4\u00e9")["name"] == "Crème Brûlée SARL"
    assert loaded.account("A2")["parent_id"] == "A1"
    assert [m.account_id for m in loaded.match_many(LEADS)][:4] == ["A1", "A2", "A3", "Ä4\u00e9"]


def test_saving_over_a_loaded_index_keeps_it_usable(
    saved: tuple[AccountIndex, Path],
) -> None:
    """A mapped index reads the file it was loaded from; saving replaces the file by rename,
    so the loaded index keeps its own (old) pages."""
    index, path = saved
    loaded = AccountIndex.load(path)
    AccountIndex.build(ACCOUNTS[:1]).save(path)
    assert loaded.match_many(LEADS) == index.match_many(LEADS)
    assert len(AccountIndex.load(path)) == 1
    assert not list(path.parent.glob("*.tmp"))


def test_the_file_holds_no_pickle(saved: tuple[AccountIndex, Path]) -> None:
    _, path = saved
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["format"] == "leadmatch.account-index"
        for name in archive.namelist():
            assert name == "manifest.json" or name.endswith(".npy")
            assert b"\x80\x04\x95" not in archive.read(name)[:64]  # a pickle protocol 4 header


def test_a_damaged_member_fails_its_checksum(
    saved: tuple[AccountIndex, Path], tmp_path: Path
) -> None:
    _, path = saved

    def flip_last_bit(members: dict[str, bytes]) -> None:
        content = members["data.name_ascii.data.npy"]
        members["data.name_ascii.data.npy"] = content[:-1] + bytes([content[-1] ^ 1])

    damaged = _rewrite(path, tmp_path / "damaged.lmx", flip_last_bit)
    with pytest.raises(IndexFormatError, match="checksum"):
        AccountIndex.load(damaged)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not a readable zip"),
        (b"PK\x03\x04 truncated", "not a readable zip"),
        (b"account_id,name\nA1,Acme\n", "not a readable zip"),
    ],
)
def test_foreign_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "x.lmx"
    path.write_bytes(content)
    with pytest.raises(IndexFormatError, match=message):
        AccountIndex.load(path)


def test_other_zips_and_other_versions_are_refused(
    saved: tuple[AccountIndex, Path], tmp_path: Path
) -> None:
    _, path = saved
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(IndexFormatError, match="not a leadmatch index"):
        AccountIndex.load(other)

    future = _rewrite(
        path, tmp_path / "future.lmx", lambda members: _edit_manifest(members, format_version=99)
    )
    with pytest.raises(IndexFormatError, match="format 99"):
        AccountIndex.load(future)
    with pytest.raises(IndexFormatError, match="no such"):
        AccountIndex.load(tmp_path / "missing.lmx")


def test_an_edited_file_with_fresh_checksums_is_still_refused(
    saved: tuple[AccountIndex, Path], tmp_path: Path
) -> None:
    _, path = saved

    def orphan_a_name(members: dict[str, bytes]) -> None:
        # a name owned by an account that does not exist
        _edit_array(members, "data.name_owner.npy", _with(1, 99))

    edited = _rewrite(path, tmp_path / "edited.lmx", orphan_a_name)
    with pytest.raises(IndexFormatError, match="outside the index"):
        AccountIndex.load(edited)


def test_edited_lookup_tables_are_refused(saved: tuple[AccountIndex, Path], tmp_path: Path) -> None:
    """The derived tables are saved too; a table pointing past the index is refused."""
    _, path = saved

    def bad_typo_table(members: dict[str, bytes]) -> None:
        _edit_array(members, "lookups.typo_table.values.npy", _with(0, 10_000))

    edited = _rewrite(path, tmp_path / "edited.lmx", bad_typo_table)
    with pytest.raises(IndexFormatError, match="look-up table"):
        AccountIndex.load(edited)


def test_truncated_and_bit_flipped_files_are_refused(
    saved: tuple[AccountIndex, Path], tmp_path: Path
) -> None:
    """Damage anywhere (cut short, or one bit flipped) is a clear IndexFormatError or, for a
    flip in bytes no reader uses (zip padding, timestamps), an index that matches the same."""
    index, path = saved
    content = path.read_bytes()
    expected = index.match_many(LEADS)
    damaged = tmp_path / "damaged.lmx"
    for cut in range(0, len(content), max(len(content) // 97, 1)):
        damaged.write_bytes(content[:cut])
        with pytest.raises(IndexFormatError):
            AccountIndex.load(damaged)
    for at in range(0, len(content), max(len(content) // 211, 1)):
        flipped = bytearray(content)
        flipped[at] ^= 0x10
        damaged.write_bytes(bytes(flipped))
        try:
            loaded = AccountIndex.load(damaged)
        except IndexFormatError:
            continue
        assert loaded.match_many(LEADS) == expected, f"flip at byte {at}"


def test_saved_files_are_reproducible_and_mapped_arrays_aligned(tmp_path: Path) -> None:
    """The same accounts give the same bytes; loaded arrays are aligned views of the file,
    not copies (an unaligned view would be copied by NumPy on every search)."""
    first = AccountIndex.build(ACCOUNTS).save(tmp_path / "a.lmx")
    second = AccountIndex.build(ACCOUNTS).save(tmp_path / "b.lmx")
    assert first.read_bytes() == second.read_bytes()
    loaded = AccountIndex.load(first)
    for array in (loaded.lookups.typo_table.keys, loaded.lookups.idf, loaded.data.name_owner):
        assert array.ctypes.data % 64 == 0
        assert not array.flags.owndata and not array.flags.writeable


def test_members_written_as_zip64_stay_aligned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member of 2 GiB or more gets zipfile's zip64 field in its header, after the padding:
    its array must still start on a 64-byte boundary (a limit of 128 bytes makes the members
    zip64 here without writing gigabytes)."""
    index = AccountIndex.build(ACCOUNTS)
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 1 << 7)
    path = index.save(tmp_path / "a.lmx")
    monkeypatch.undo()
    with zipfile.ZipFile(path) as archive:
        zip64 = {i.filename for i in archive.infolist() if i.file_size * 1.05 > 1 << 7}
    assert {"lookups.typo_table.keys.npy", "lookups.idf.npy", "data.name_owner.npy"} <= zip64
    loaded = AccountIndex.load(path)
    for array in (loaded.lookups.typo_table.keys, loaded.lookups.idf, loaded.data.name_owner):
        assert array.ctypes.data % 64 == 0
        assert not array.flags.owndata
    assert loaded.match_many(LEADS) == index.match_many(LEADS)


def test_derived_columns_of_the_wrong_length_are_refused(tmp_path: Path) -> None:
    """One name per account (as many names as accounts): every derived column is still
    checked against its own length."""
    index = AccountIndex.build([{"account_id": f"A{i}", "name": f"Firm {i}"} for i in range(5)])
    path = index.save(tmp_path / "a.lmx")

    def shorten_depth(members: dict[str, bytes]) -> None:
        _edit_array(members, "lookups.depth.npy", lambda depth: depth[:-1])

    edited = _rewrite(path, tmp_path / "edited.lmx", shorten_depth)
    with pytest.raises(IndexFormatError, match="differ in length"):
        AccountIndex.load(edited)


def test_a_file_checked_before_is_not_checked_again_until_it_changes(
    saved: tuple[AccountIndex, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker process maps the index its parent checked: with the stamp the parent saw, no
    checksum is computed; a file changed since (another stamp) is checked again."""
    index, path = saved
    checked_at = stamp(path.resolve())
    hashes = [0]
    sha256 = hashlib.sha256

    def counted(*args: Any) -> Any:
        hashes[0] += 1
        return sha256(*args)

    monkeypatch.setattr("leadmatch.tables.store.hashlib.sha256", counted)
    tables = Tables.load(path, checked_at=checked_at)
    assert hashes[0] == 0
    trusted = AccountIndex(tables.data, index.config, tables.lookups)
    assert trusted.match_many(LEADS) == index.match_many(LEADS)
    Tables.load(path)
    assert hashes[0] > 0  # without a stamp: checked, as always

    def flip_last_bit(members: dict[str, bytes]) -> None:
        content = members["data.name_ascii.data.npy"]
        members["data.name_ascii.data.npy"] = content[:-1] + bytes([content[-1] ^ 1])

    damaged = _rewrite(path, tmp_path / "damaged.lmx", flip_last_bit)
    with pytest.raises(IndexFormatError, match="checksum"):  # the stamp is another file's
        Tables.load(damaged, checked_at=checked_at)
