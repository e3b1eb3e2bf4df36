"""Scanning real files: encodings, CSV shapes, column hints, Parquet, text, and the report."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from aihub.datasets.pii import ScanLimits, ScanReport, Severity, scan_path
from aihub.datasets.pii.report import FileReport, Finding

SMALL = ScanLimits(block_bytes=64 * 1024, read_bytes=64 * 1024)


def _counts(report: ScanReport) -> dict[tuple[str | None, str, str], int]:
    return {(f.column, f.pattern, str(f.severity)): f.count for f in report.findings()}


def _finding(report: ScanReport, pattern: str, column: str | None = None) -> Finding:
    found = [f for f in report.findings() if f.pattern == pattern and f.column == column]
    assert len(found) == 1, f"{pattern} in {column}: {found}"
    return found[0]


def _csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    text = "".join(",".join(row) + "\n" for row in rows)
    path.write_bytes(text.encode(encoding))
    return path


def test_a_csv_is_scanned_per_column_with_data_row_numbers(tmp_path: Path) -> None:
    path = _csv(tmp_path / "people.csv", [
        ["id", "메모", "amount"],
        ["1", "연락처 010-1234-5678", "10.5"],
        ["2", "특이사항 없음", "3.25"],
        ["3", "주민번호 900101-1234568", "7"],
    ])
    report = scan_path(path)
    [file] = report.files
    assert (file.format, file.encoding, file.rows, file.columns) == ("csv", "utf-8", 3,
                                                                      ["id", "메모", "amount"])
    mobile = _finding(report, "KR_MOBILE", "메모")
    assert (mobile.count, mobile.rows, mobile.examples) == (1, [1], ["010-****-5678"])
    rrn = _finding(report, "KR_RRN_OR_FRN", "메모")
    assert (rrn.severity, rrn.rows, rrn.checksum_pass, rrn.checksum_fail) == (
        Severity.BLOCK, [3], 1, 0)
    assert rrn.contexts == ["id: 3 | 메모: 주민번호 900101-1****** | amount: 7"]
    assert report.blocks_publication
    assert report.totals()["by_severity"] == {"BLOCK": 1, "REVIEW": 1}


def test_a_report_without_block_findings_allows_publication(tmp_path: Path) -> None:
    report = scan_path(_csv(tmp_path / "a.csv", [["id", "email"], ["1", "a@example.org"]]))
    assert not report.blocks_publication
    assert _finding(report, "EMAIL", "email").with_context == 1  # the header hints it


def test_cp949_with_korean_headers(tmp_path: Path) -> None:
    path = _csv(tmp_path / "euc.csv", [["성명", "주소"],
                                       ["홍길동", "서울특별시 강남구 테헤란로 152"],
                                       ["김철수", "없음"]], encoding="cp949")
    report = scan_path(path)
    [file] = report.files
    assert file.encoding == "cp949"
    assert file.hinted_columns == {"성명": ["name"], "주소": ["address"]}
    names = _finding(report, "KR_NAME_COLUMN", "성명")
    assert (names.count, names.share, names.examples) == (2, 1.0, ["홍*동", "김*수"])
    road = _finding(report, "KR_ROAD_ADDRESS", "주소")
    assert road.examples == ["서울특별시 강남구 테헤란로 ***"]


def test_a_utf8_bom_does_not_hide_the_first_header(tmp_path: Path) -> None:
    path = _csv(tmp_path / "bom.csv", [["주민번호", "x"], ["9013011234568", "a"]],
                encoding="utf-8-sig")
    report = scan_path(path)
    assert report.files[0].columns == ["주민번호", "x"]
    # An RRN column takes any 13-digit value, even with an impossible date (month 13).
    rrn = _finding(report, "KR_RRN_OR_FRN", "주민번호")
    assert (rrn.severity, rrn.examples) == (Severity.BLOCK, ["9013011******"])


def test_quoted_newlines_keep_cells_and_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('id,note\n1,"첫 줄\n연락처 010-1234-5678"\n2,"a ""quoted"" word"\n'
                    '3,"이영희 님, 다음 줄\n\n끝"\n', encoding="utf-8")
    report = scan_path(path)
    assert report.files[0].rows == 3
    assert _finding(report, "KR_MOBILE", "note").rows == [1]
    assert _finding(report, "KR_NAME_HONORIFIC", "note").rows == [3]


def test_a_tsv_and_a_semicolon_csv(tmp_path: Path) -> None:
    tsv = tmp_path / "t.tsv"
    tsv.write_text("a\tb\n1\t010-1234-5678\n", encoding="utf-8")
    semi = tmp_path / "s.csv"
    semi.write_text("a;b\n1;010-1234-5678\n", encoding="utf-8")
    for path in (tsv, semi):
        assert _counts(scan_path(path)) == {("b", "KR_MOBILE", "REVIEW"): 1}


def test_column_rules_of_hinted_columns(tmp_path: Path) -> None:
    path = _csv(tmp_path / "h.csv", [
        ["이름", "연락처", "운전면허", "메모"],
        ["홍길동", "0212345678", "202405011230", "202405011230"],
        ["서울", "1612345678", "", "1612345678"],
        ["없음", "010-1234-5678", "", ""],
        ["", "12345", "", ""],
    ])
    counts = _counts(scan_path(path))
    assert counts == {
        ("이름", "KR_NAME_COLUMN", "REVIEW"): 2,  # 홍길동, and 서울 (서 is a surname)
        ("연락처", "KR_LANDLINE", "REVIEW"): 1,  # by the column rule: 10 digits from 0
        ("연락처", "KR_MOBILE", "REVIEW"): 2,
        ("운전면허", "KR_DRIVER_LICENSE", "BLOCK"): 1,  # the header is the context
        ("메모", "KR_DRIVER_LICENSE", "REVIEW"): 1,  # a timestamp, without context
        ("메모", "KR_MOBILE", "REVIEW"): 1,
    }
    report = scan_path(path)
    assert _finding(report, "KR_NAME_COLUMN", "이름").share == pytest.approx(2 / 3, abs=1e-3)
    assert _finding(report, "KR_MOBILE", "메모").weak == 1
    assert _finding(report, "KR_MOBILE", "연락처").weak == 0


def test_malformed_rows_are_scanned_as_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("a,b\n1,2\n3,4,010-1234-5678\n5,6\n", encoding="utf-8")
    report = scan_path(path)
    mobile = _finding(report, "KR_MOBILE", None)
    assert mobile.rows == [2]
    assert any("wrong number of fields" in note for note in report.files[0].notes)


def test_a_record_longer_than_a_block_falls_back_to_lines(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("a,b\n1,\"" + "가" * 100_000 + " 010-1234-5678\"\n", encoding="utf-8")
    report = scan_path(path, limits=SMALL)
    [file] = report.files
    assert file.format == "text"
    assert any("scanned as text lines" in note for note in file.notes)
    assert _finding(report, "KR_MOBILE", None).count == 1


def test_a_record_longer_than_arrows_block_is_read_again_as_csv(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_text("a,b\n1,x\n2,\"" + "가" * 30_000 + " 010-1234-5678\"\n", encoding="utf-8")
    report = scan_path(path, limits=ScanLimits(block_bytes=256 * 1024, read_bytes=16 * 1024))
    [file] = report.files
    assert (file.format, file.rows, file.notes) == ("csv", 2, [])
    assert _finding(report, "KR_MOBILE", "b").rows == [2]


def test_text_files_are_scanned_per_line_with_context(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# 회의록\n\n담당자: 홍길동, 전화 010-1234-5678\n운전면허 11-12-345678-90\n",
                    encoding="utf-8")
    report = scan_path(path)
    [file] = report.files
    assert (file.format, file.rows) == ("text", 4)
    mobile = _finding(report, "KR_MOBILE")
    assert (mobile.rows, mobile.with_context) == ([3], 1)
    assert mobile.contexts == ["담당자: 홍*동, 전화 010-****-5678"]
    assert _finding(report, "KR_DRIVER_LICENSE").severity is Severity.BLOCK


def test_jsonl_and_full_width_digits(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    lines = [json.dumps({"text": "문의 ０１０－１２３４－５６７８"}, ensure_ascii=False),
             json.dumps({"text": "hong@example.co.kr"})]
    path.write_text("\n".join(lines), encoding="utf-8")  # no final newline
    counts = _counts(scan_path(path))
    assert counts == {(None, "KR_MOBILE", "REVIEW"): 1, (None, "EMAIL", "REVIEW"): 1}


def test_undecodable_bytes_are_replaced_and_noted(tmp_path: Path) -> None:
    path = tmp_path / "mixed.txt"
    path.write_bytes("연락처 010-1234-5678\n".encode() + b"\xff\xfe\xfa broken\n" +
                     "이영희 님\n".encode() * 3)
    report = scan_path(path)
    [file] = report.files
    assert file.encoding == "utf-8"
    assert any("undecodable" in note for note in file.notes)
    assert _finding(report, "KR_MOBILE").count == 1
    assert _finding(report, "KR_NAME_HONORIFIC").rows == [3, 4, 5]


def test_parquet_columns_in_batches(tmp_path: Path) -> None:
    n = 5000
    table = pa.table({
        "주민번호": pa.array([9001011234568 if i % 1000 == 7 else i for i in range(n)],
                          pa.int64()),
        "memo": pa.array(["010-1234-5678" if i == 4321 else "보통" for i in range(n)]),
        "tags": pa.array([["a"]] * n),
        "kind": pa.array(["x", "y"] * (n // 2)).dictionary_encode(),
    })
    path = tmp_path / "t.parquet"
    pq.write_table(table, path, row_group_size=1000)
    report = scan_path(path, limits=ScanLimits(block_bytes=16 * 1024))
    [file] = report.files
    assert (file.format, file.rows, file.columns) == ("parquet", n, ["주민번호", "memo", "kind"])
    assert any("tags (list" in note for note in file.notes)
    assert _finding(report, "KR_RRN_OR_FRN", "주민번호").rows == [8, 1008, 2008, 3008, 4008]
    assert _finding(report, "KR_MOBILE", "memo").rows == [4322]


@pytest.mark.parametrize(("data", "what"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "PNG image"),
    (b"%PDF-1.7\n" + bytes(10), "PDF document"),
    (bytes(range(256)) * 4, "binary content"),
    (b"not parquet at all", "damaged Parquet"),
])
def test_binary_files_are_reported_not_scanned(tmp_path: Path, data: bytes, what: str) -> None:
    path = tmp_path / "blob.parquet" if what == "damaged Parquet" else tmp_path / "blob.bin"
    path.write_bytes(data)
    report = scan_path(path)
    [file] = report.files
    assert not file.scanned
    assert what in file.notes[0]
    assert report.totals()["not_scanned"] == 1


def test_an_empty_file_and_a_header_only_csv(tmp_path: Path) -> None:
    (tmp_path / "e.csv").write_bytes(b"")
    (tmp_path / "h.csv").write_text("a,b\n", encoding="utf-8")
    for name in ("e.csv", "h.csv"):
        report = scan_path(tmp_path / name)
        assert report.files[0].scanned and report.files[0].findings == []


def test_filename_decides_the_format_of_a_stored_blob(tmp_path: Path) -> None:
    blob = tmp_path / "3f9a0c"  # content-addressed stores drop the name
    blob.write_text("phone,x\n010-1234-5678,1\n", encoding="utf-8")
    assert scan_path(blob, filename="contacts.csv").files[0].format == "csv"
    assert scan_path(blob).files[0].format == "text"


def _random_csv(path: Path, rows: int) -> Path:
    rnd = random.Random(7)
    words = ["데이터", "분석", "교통", "요청", "처리", "이번 고객", "정말 씨"]
    lines = ["id,연락처,note"]
    for i in range(1, rows + 1):
        note = " ".join(rnd.choice(words) for _ in range(4))
        if i % 37 == 0:
            note += f" 010-{rnd.randint(1000, 9999)}-{rnd.randint(1000, 9999)}"
        if i % 101 == 0:
            note = f'"{note}\n주민번호 900101-1234568"'
        if i % 53 == 0:
            note += " 담당자: 김철수"
        lines.append(f"{i},{'0212345678' if i % 11 == 0 else ''},{note}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("name", ["w.csv", "w.txt"])
def test_several_workers_give_the_same_report(tmp_path: Path, name: str) -> None:
    path = _random_csv(tmp_path / name, 20_000)
    limits = ScanLimits(block_bytes=32 * 1024, read_bytes=16 * 1024)
    one = scan_path(path, workers=1, limits=limits).to_dict()
    three = scan_path(path, workers=3, limits=limits).to_dict()
    assert one == three
    assert one["totals"]["findings"] > 1000


def test_the_report_round_trips_through_json(tmp_path: Path) -> None:
    report = scan_path(_random_csv(tmp_path / "r.csv", 500))
    data = json.loads(json.dumps(report.to_dict(), ensure_ascii=False))
    again = ScanReport.from_dict(data)
    assert again.to_dict() == report.to_dict()
    assert isinstance(again.files[0], FileReport)
    assert again.files[0].findings[0].severity in (Severity.BLOCK, Severity.REVIEW)
    assert "900101-1234568" not in repr(again) + json.dumps(data, ensure_ascii=False)


def test_rows_and_examples_are_capped(tmp_path: Path) -> None:
    path = tmp_path / "many.txt"
    path.write_text("".join(f"010-1234-{i:04d}\n" for i in range(100)), encoding="utf-8")
    finding = _finding(scan_path(path), "KR_MOBILE")
    assert (finding.count, len(finding.rows), len(finding.examples),
            len(finding.contexts)) == (100, 20, 5, 5)
    assert finding.rows == list(range(1, 21))


def test_empty_and_repeated_header_names_stay_apart(tmp_path: Path) -> None:
    path = _csv(tmp_path / "dup.csv", [["memo", "", "memo"],
                                       ["010-1234-5678", "x", "02-123-4567"]])
    report = scan_path(path)
    assert report.files[0].columns == ["memo", "column 2", "memo (3)"]
    assert _counts(report) == {("memo", "KR_MOBILE", "REVIEW"): 1,
                               ("memo (3)", "KR_LANDLINE", "REVIEW"): 1}


def test_utf16_with_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "u16.txt"
    path.write_bytes("메모\n연락처 010-1234-5678\n".encode("utf-16"))
    report = scan_path(path)
    assert report.files[0].encoding == "utf-16"
    assert _finding(report, "KR_MOBILE").rows == [2]
