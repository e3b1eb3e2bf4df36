"""Zip members and gzip streams scanned without unpacking to disk; damaged archives and
very long lines give notes, never a crash, and memory stays bounded."""

from __future__ import annotations

import gzip
import io
import random
import tracemalloc
import zipfile
from collections import Counter
from pathlib import Path

from aihub.datasets.pii import ScanLimits, ScanReport, scan_path
from aihub.datasets.pii.detect import find_hits

PEOPLE = "id,연락처\n1,010-1234-5678\n2,02-123-4567\n".encode()


def _by_name(report: ScanReport) -> dict[str, dict[str, int]]:
    return {f.name: {x.pattern: x.count for x in f.findings} for f in report.files}


def _notes(report: ScanReport, name: str) -> str:
    return " ".join(next(f for f in report.files if f.name == name).notes)


def test_zip_members_are_scanned_as_streams(tmp_path: Path) -> None:
    path = tmp_path / "upload.zip"
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as nested:
        nested.writestr("deep.txt", "900101-1234568")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data/people.csv", PEOPLE)
        archive.writestr("readme.md", "문의: help@example.org\n")
        archive.writestr("images/a.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
        archive.writestr("nested.zip", inner.getvalue())
        archive.writestr("bomb.txt", b"0" * (4 * 1024 * 1024))  # ratio ~1000:1
        archive.writestr("empty/", b"")
    report = scan_path(path, filename="upload.zip")
    assert _by_name(report) == {
        "upload.zip": {},
        "upload.zip/data/people.csv": {"KR_MOBILE": 1, "KR_LANDLINE": 1},
        "upload.zip/readme.md": {"EMAIL": 1},
        "upload.zip/images/a.png": {},
        "upload.zip/nested.zip": {},
        "upload.zip/bomb.txt": {},
    }
    skipped = {f.name for f in report.not_scanned}
    assert skipped == {"upload.zip/images/a.png", "upload.zip/nested.zip", "upload.zip/bomb.txt"}
    assert "archive inside an archive" in _notes(report, "upload.zip/nested.zip")
    assert "compression ratio" in _notes(report, "upload.zip/bomb.txt")
    assert "PNG image" in _notes(report, "upload.zip/images/a.png")
    assert not list(tmp_path.glob("**/people.csv"))  # nothing was extracted


def test_a_nested_archive_is_found_by_its_bytes_too(tmp_path: Path) -> None:
    path = tmp_path / "u.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.bin", gzip.compress(b"900101-1234568"))
    report = scan_path(path)
    assert "archive inside an archive" in _notes(report, "u.zip/data.bin")


def test_an_encrypted_member_is_not_scanned(tmp_path: Path) -> None:
    path = tmp_path / "secret.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("people.csv", PEOPLE)
    # zipfile cannot encrypt: set the "encrypted" flag in the local and central headers.
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature) + offset
        data[at] |= 0x1
    path.write_bytes(bytes(data))
    report = scan_path(path)
    assert "encrypted" in _notes(report, "secret.zip/people.csv")


def test_a_truncated_zip_is_reported_not_scanned(tmp_path: Path) -> None:
    whole = tmp_path / "whole.zip"
    with zipfile.ZipFile(whole, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("people.csv", PEOPLE * 100)
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole.read_bytes()[:-40])
    report = scan_path(cut)
    [file] = report.files
    assert not file.scanned
    assert "not a readable zip archive" in file.notes[0]


def test_a_member_with_a_bad_crc_keeps_what_was_read(tmp_path: Path) -> None:
    path = tmp_path / "crc.zip"
    body = b"id,note\n" + b"1,010-1234-5678\n" * 50
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.csv", body)
    data = bytearray(path.read_bytes())
    at = data.find(b"1,010-1234-5678\n1,010")
    data[at + 2] = ord("9")  # one digit changed: the CRC no longer matches
    path.write_bytes(bytes(data))
    report = scan_path(path)
    member = next(f for f in report.files if f.name == "crc.zip/a.csv")
    assert "damaged" in " ".join(member.notes)


def test_gzip_streams_and_a_truncated_gzip(tmp_path: Path) -> None:
    lines = "".join(f"{i},010-1234-{i:04d}\n" for i in range(2000)).encode()
    packed = gzip.compress(b"id,phone\n" + lines)
    good = tmp_path / "p.csv.gz"
    good.write_bytes(packed)
    report = scan_path(good)
    assert (report.files[0].format, _by_name(report)["p.csv.gz"]) == ("csv", {"KR_MOBILE": 2000})
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    partial = scan_path(cut)
    [file] = partial.files
    assert "ends early" in " ".join(file.notes)
    assert 0 < file.findings[0].count < 2000


def test_a_broken_gzip_header(tmp_path: Path) -> None:
    path = tmp_path / "x.txt.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage")
    [file] = scan_path(path).files
    assert not file.scanned


def test_a_huge_line_is_scanned_in_windows_with_bounded_memory(tmp_path: Path) -> None:
    limits = ScanLimits(block_bytes=64 * 1024, overlap=64)
    filler = "데이터 분석 결과 " * 40  # 440 characters
    piece = filler + "연락처 010-1234-5678 " + filler + "900101-1234568 "
    pieces = 2000  # about 4 MB on one line
    path = tmp_path / "one-line.json"
    with path.open("w", encoding="utf-8") as out:
        out.write("첫 줄 hong@example.org\n")
        for _ in range(pieces):
            out.write(piece)
        out.write("\n마지막 줄 이영희 님\n")
    assert path.stat().st_size > 3_500_000
    warm = tmp_path / "warm.txt"  # lazy imports (PyArrow's, pandas') are not the scan's memory
    warm.write_text("x 010-1234-5678\n", encoding="utf-8")
    scan_path(warm, limits=limits)
    tracemalloc.start()
    report = scan_path(path, limits=limits)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    counts = {f.pattern: (f.count, f.rows[:1]) for f in report.findings()}
    assert counts == {"EMAIL": (1, [1]), "KR_MOBILE": (pieces, [2]),
                      "KR_RRN_OR_FRN": (pieces, [2]), "KR_NAME_HONORIFIC": (1, [3])}
    assert report.files[0].rows == 3
    assert peak < 2_000_000, f"peak Python memory {peak} bytes for a 4 MB line"


def test_a_parquet_member_is_read_from_the_zip(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(pa.table({"email": ["a@example.org", "없음"]}), buffer)
    path = tmp_path / "p.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("t.parquet", buffer.getvalue())
    assert _by_name(scan_path(path))["p.zip/t.parquet"] == {"EMAIL": 1}


def test_a_long_last_line_without_newline_is_scanned_to_its_end(tmp_path: Path) -> None:
    path = tmp_path / "tail.txt"
    tail = " 010-1234-5678"  # inside the overlap the last window leaves to the next one
    path.write_text("x" * (2 * 16 * 1024 - len(tail)) + tail, encoding="utf-8")
    report = scan_path(path, limits=ScanLimits(block_bytes=16 * 1024, overlap=64))
    assert [(f.pattern, f.count, f.rows) for f in report.findings()] == [("KR_MOBILE", 1, [1])]
    assert report.files[0].rows == 1


def test_a_long_line_in_pieces_finds_what_plain_re_finds(tmp_path: Path) -> None:
    rnd = random.Random(11)
    items = ["010-1234-5678", "900101-1234568", "hong@example.org", "운전면허 11-12-345678-90",
             "서울특별시 강남구 테헤란로 152", "이영희 님", "4111 1111 1111 1111"]
    parts: list[str] = []
    while sum(map(len, parts)) < 300_000:  # a single line of ~300k characters
        parts.append("가나다 " * rnd.randint(0, 40) + rnd.choice(items) + " ")
    line = "".join(parts)
    line += " " * (-len(line) % 4096)
    # Numbers that start exactly where a 4096-character piece starts, their context word
    # at the end of the piece before: only the left context keeps them BLOCK.
    block = "11-12-345678-90 "
    line += "".join(block + "가" * (4096 - len(block) - 5) + "운전면허 " for _ in range(8))
    path = tmp_path / "long.json"
    path.write_text("{\"a\": 1}\n" + line + "\n", encoding="utf-8")
    report = scan_path(path)  # default limits: one cell, cut into pieces for the pre-filter
    plain = Counter((h.pattern, str(h.severity)) for h in find_hits(line))
    found = {(f.pattern, str(f.severity)): f.count for f in report.findings()}
    assert found == dict(plain)
    assert sum(plain.values()) > 100


def test_an_office_file_is_a_zip_of_xml_parts(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml",
                         "<sst><si><t>홍길동</t></si><si><t>010-1234-5678</t></si></sst>")
    assert _by_name(scan_path(path))["sheet.xlsx/xl/sharedStrings.xml"] == {"KR_MOBILE": 1}


def test_a_path_that_cannot_be_opened_is_reported(tmp_path: Path) -> None:
    report = scan_path(tmp_path, filename="data.csv")  # a folder
    [file] = report.files
    assert not file.scanned
    assert "could not be opened" in file.notes[0]
