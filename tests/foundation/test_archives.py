"""Untrusted zips: every refusal names the member and why; nothing lands outside."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from aihub.archives import ArchiveLimits, common_root, list_members, unpack
from aihub.errors import InvalidInput


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_unpacks_files_and_finds_a_single_top_folder(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "a.zip", {"sub/model.py": b"x = 1\n", "sub/data/a.txt": b"a"})
    dest = tmp_path / "out"
    dest.mkdir()
    members = unpack(archive, dest, ArchiveLimits())
    assert sorted(m.name for m in members) == ["sub/data/a.txt", "sub/model.py"]
    assert common_root(members) == "sub"
    assert (dest / "sub/model.py").read_bytes() == b"x = 1\n"
    flat = list_members(_zip(tmp_path / "b.zip", {"model.py": b"", "x/y": b""}), ArchiveLimits())
    assert common_root(flat) == ""


@pytest.mark.parametrize("name", ["/etc/passwd", "../escape.txt", "a/../../escape.txt"])
def test_paths_outside_are_refused(tmp_path: Path, name: str) -> None:
    archive = _zip(tmp_path / "a.zip", {name: b"x"})
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(InvalidInput, match=r"absolute path or '\.\.'"):
        unpack(archive, dest, ArchiveLimits())
    assert not (tmp_path / "escape.txt").exists()


def test_symlinks_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("labels")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/secret/labels.csv")
    with pytest.raises(InvalidInput, match="'labels' is a symbolic link"):
        list_members(path, ArchiveLimits())


def test_zip_bombs_and_sizes_are_refused(tmp_path: Path) -> None:
    bomb = _zip(tmp_path / "bomb.zip", {"zeros": bytes(50 * 1024 * 1024)})
    with pytest.raises(InvalidInput, match="zip bomb"):
        list_members(bomb, ArchiveLimits())
    big = _zip(tmp_path / "big.zip", {"a": b"x" * 1000, "b": b"y" * 1000})
    with pytest.raises(InvalidInput, match="unpacks to 2000 bytes, more than the 1500"):
        list_members(big, ArchiveLimits(max_bytes=1500))
    with pytest.raises(InvalidInput, match="holds 2 members, more than the 1"):
        list_members(big, ArchiveLimits(max_members=1))


def test_not_a_zip_and_duplicates(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InvalidInput, match="not a valid zip file"):
        list_members(junk, ArchiveLimits())
    twice = tmp_path / "twice.zip"
    with pytest.warns(UserWarning), zipfile.ZipFile(twice, "w") as archive:
        archive.writestr("a.txt", "1")
        archive.writestr("a.txt", "2")
    dest = tmp_path / "out"
    dest.mkdir()
    with pytest.raises(InvalidInput, match="appears twice"):
        unpack(twice, dest, ArchiveLimits())


def _patched(path: Path, old: bytes, new: bytes, count: int = 1) -> Path:
    data = path.read_bytes()
    assert data.count(old) >= count
    path.write_bytes(data.replace(old, new, count))
    return path


def test_damaged_zips_say_so_and_write_nothing_outside(tmp_path: Path) -> None:
    """A bad CRC, an encrypted member, a name flagged UTF-8 that is not, an unknown
    version: found by fuzzing; each answered as the sender's problem, never a crash."""
    dest = tmp_path / "out"
    dest.mkdir()
    crc = _zip(tmp_path / "crc.zip", {"a.txt": b"hello world " * 100})
    data = bytearray(crc.read_bytes())
    data[40] ^= 0xFF  # inside the compressed bytes of the only member
    crc.write_bytes(bytes(data))
    with pytest.raises(InvalidInput, match=r"damaged|not a valid zip"):
        unpack(crc, dest, ArchiveLimits())

    encrypted = _zip(tmp_path / "enc.zip", {"a.txt": b"x"})
    # General purpose flag bit 0 (encrypted), in the local header and the central directory.
    _patched(encrypted, b"PK\x03\x04\x14\x00\x00\x00", b"PK\x03\x04\x14\x00\x01\x00")
    _patched(encrypted, b"PK\x01\x02\x14\x03\x14\x00\x00\x00",
             b"PK\x01\x02\x14\x03\x14\x00\x01\x00")
    with pytest.raises(InvalidInput, match="encrypted"):
        list_members(encrypted, ArchiveLimits())

    named = tmp_path / "name.zip"
    with zipfile.ZipFile(named, "w") as archive:
        archive.writestr("caf\u00e9.txt", "x")  # written with the UTF-8 flag
    _patched(named, "caf\u00e9".encode(), b"caf\xff\xfe", count=2)
    with pytest.raises(InvalidInput, match="not a valid zip"):
        list_members(named, ArchiveLimits())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crc.zip", "enc.zip", "name.zip", "out"]
