"""Reading uploads: formats found by content, encodings, archives and broken files."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import polars as pl
import pytest
from scoring_helpers import WriteFile

from aihub.evaluation.scoring import ENCODINGS_ACCEPTED, SubmissionError, read_table
from aihub.evaluation.scoring.reading import open_table

CSV = "id,target\n1,0.5\n2,0.25\n"
LIMIT = 10_000_000


def read(path: Path, max_bytes: int = LIMIT) -> pl.DataFrame:
    return read_table(path, original_name=path.name, max_bytes=max_bytes)


def error_of(path: Path, max_bytes: int = LIMIT) -> str:
    with pytest.raises(SubmissionError) as caught:
        read(path, max_bytes)
    return str(caught.value)


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def test_plain_csv_is_read_as_text(write: WriteFile) -> None:
    frame = read(write("s.csv", "id,target\n007,0.5\n"))
    assert frame.schema == pl.Schema({"id": pl.String, "target": pl.String})
    assert frame.rows() == [("007", "0.5")]


def test_utf8_with_bom(write: WriteFile) -> None:
    path = write("s.csv", b"\xef\xbb\xbf" + "아이디,값\n가,1\n".encode())
    frame = read(path)
    assert frame.columns == ["아이디", "값"]
    assert open_table(path, original_name="s.csv", max_bytes=LIMIT).encoding == "utf-8-sig"


def test_cp949_korean_headers_and_ids(write: WriteFile) -> None:
    text = "아이디,예측\n대전-001,0.5\n유성구-002,0.25\n"
    path = write("s.csv", text, encoding="cp949")
    frame = read(path)
    assert frame.columns == ["아이디", "예측"]
    assert frame["아이디"].to_list() == ["대전-001", "유성구-002"]
    assert open_table(path, original_name="s.csv", max_bytes=LIMIT).encoding == "cp949"


def test_euc_kr_is_read_as_cp949(write: WriteFile) -> None:
    frame = read(write("s.csv", "id,구분\n1,공개\n", encoding="euc-kr"))
    assert frame["구분"].to_list() == ["공개"]


def test_undecodable_text_names_the_line_and_encodings(write: WriteFile) -> None:
    message = error_of(write("s.csv", b"id,target\n1,0.5\n2,\xff\xfe\xff\n"))
    assert "Line 3" in message
    assert ENCODINGS_ACCEPTED in message


def test_utf16_is_refused_with_advice(write: WriteFile) -> None:
    message = error_of(write("s.csv", CSV, encoding="utf-16"))
    assert "UTF-16" in message and "CSV UTF-8" in message


def test_binary_garbage(write: WriteFile) -> None:
    message = error_of(write("s.csv", bytes(range(256)) * 10))
    assert "binary data" in message


def test_empty_file(write: WriteFile) -> None:
    assert error_of(write("s.csv", b"")) == "The file is empty."


def test_blank_file(write: WriteFile) -> None:
    assert "empty" in error_of(write("s.csv", "\n\n"))


def test_file_over_the_limit(write: WriteFile) -> None:
    message = error_of(write("s.csv", CSV), max_bytes=10)
    assert "limit is 0.0 MB" in message


def test_gzip(write: WriteFile) -> None:
    assert read(write("s.csv.gz", gzip.compress(CSV.encode()))).height == 2


def test_gzip_cut_short(write: WriteFile) -> None:
    data = gzip.compress((CSV * 1000).encode())
    assert "not a valid gzip file" in error_of(write("s.csv.gz", data[: len(data) // 2]))


def test_gzip_bomb_is_capped(write: WriteFile) -> None:
    data = gzip.compress(b"id,target\n" + b"1,0.5\n" * 200_000)
    message = error_of(write("s.csv.gz", data), max_bytes=100_000)
    assert "expands to more than the size limit of 0.1 MB" in message


def test_zip_with_one_csv(write: WriteFile) -> None:
    assert read(write("s.zip", zipped({"pred.csv": CSV.encode()}))).height == 2


def test_zip_ignores_mac_metadata(write: WriteFile) -> None:
    data = zipped({"pred.csv": CSV.encode(), "__MACOSX/._pred.csv": b"x", ".DS_Store": b"x"})
    assert read(write("s.zip", data)).height == 2


def test_zip_with_two_files(write: WriteFile) -> None:
    message = error_of(write("s.zip", zipped({"a.csv": CSV.encode(), "b.csv": CSV.encode()})))
    assert message == (
        "The zip file must hold exactly one CSV or Parquet file; it holds 2: 'a.csv', 'b.csv'."
    )


def test_empty_zip(write: WriteFile) -> None:
    assert "zip file is empty" in error_of(write("s.zip", zipped({})))


def test_zip_bomb_is_capped(write: WriteFile) -> None:
    data = zipped({"big.csv": b"id,target\n" + b"1,0.5\n" * 200_000})
    message = error_of(write("s.zip", data), max_bytes=100_000)
    assert "'big.csv' in the zip file expands to more than the size limit" in message


def test_excel_workbook_is_recognised(write: WriteFile) -> None:
    data = zipped({"[Content_Types].xml": b"<x/>", "xl/workbook.xml": b"<x/>"})
    assert "Excel workbook" in error_of(write("s.xlsx", data))


def test_zip_of_parquet(write: WriteFile) -> None:
    frame = pl.DataFrame({"id": [1, 2], "target": [0.5, 0.25]})
    data = zipped({"p.parquet": parquet_bytes(frame)})
    assert read(write("s.zip", data)).equals(frame)


def test_parquet(write: WriteFile) -> None:
    frame = pl.DataFrame({"id": ["a", "b"], "target": [0.5, 0.25]})
    assert read(write("s.parquet", parquet_bytes(frame))).equals(frame)


def test_parquet_renamed_to_csv_is_found_by_its_magic(write: WriteFile) -> None:
    frame = pl.DataFrame({"id": [1, 2], "target": [0.5, 0.25]})
    path = write("submission.csv", parquet_bytes(frame))
    assert open_table(path, original_name="submission.csv", max_bytes=LIMIT).format == "parquet"
    assert read(path).equals(frame)


def test_truncated_parquet(write: WriteFile) -> None:
    data = parquet_bytes(pl.DataFrame({"id": list(range(1000))}))
    assert "cannot be read" in error_of(write("s.parquet", data[:200]))


def test_ragged_line_with_too_many_fields(write: WriteFile) -> None:
    message = error_of(write("s.csv", "id,target\n1,0.5\n2,0.25,9\n3,0.1\n"))
    assert message.startswith("Line 3 has 3 fields but the header has 2;")


def test_ragged_line_in_a_quoted_file(write: WriteFile) -> None:
    message = error_of(write("s.csv", 'id,target\n"1",0.5\n"2,5",0.25,9\n3,0.1\n'))
    assert message.startswith("Line 3 has 3 fields but the header has 2;")


def test_line_of_too_many_commas(write: WriteFile) -> None:
    message = error_of(write("s.csv", "id,target\n1,0.5\n,,,\n"))
    assert message.startswith("Line 3 has 4 fields but the header has 2;")


def test_repeated_header_name(write: WriteFile) -> None:
    message = error_of(write("s.csv", "id,target,target\n1,0.5,0.5\n"))
    assert message == "The header repeats column name(s) 'target'; names must be unique."


def test_blank_lines_are_dropped(write: WriteFile) -> None:
    assert read(write("s.csv", "id,target\n1,0.5\n\n2,0.25\n,\n")).height == 2


# Files above the 64 KiB sniff are read by Polars straight from disk when they start as UTF-8.
BIG_ROWS = 20_000


def test_large_plain_file_is_read_from_disk(write: WriteFile) -> None:
    text = "id,target\n" + "".join(f"{i},0.5\n" for i in range(BIG_ROWS))
    path = write("s.csv", text)
    raw = open_table(path, original_name="s.csv", max_bytes=LIMIT)
    assert raw.data is None and raw.path == path
    assert read(path).height == BIG_ROWS


def test_large_file_turning_cp949_after_the_sniffed_start(write: WriteFile) -> None:
    text = "id,name\n" + "".join(f"{i},x\n" for i in range(BIG_ROWS)) + "99999,대전\n"
    frame = read(write("s.csv", text, encoding="cp949"))
    assert frame["name"][-1] == "대전"


def test_large_file_with_undecodable_tail(write: WriteFile) -> None:
    data = b"id,name\n" + b"".join(b"%d,x\n" % i for i in range(BIG_ROWS)) + b"1,\xff\xff\n"
    message = error_of(write("s.csv", data))
    assert f"Line {BIG_ROWS + 2} is not valid text" in message


def test_large_file_with_ragged_line(write: WriteFile) -> None:
    lines = [f"{i},0.5\n" for i in range(BIG_ROWS)]
    lines[15_000] = "15000,0.5,7\n"
    message = error_of(write("s.csv", "id,target\n" + "".join(lines)))
    assert message.startswith("Line 15002 has 3 fields but the header has 2;")


def test_large_file_with_bom_read_from_disk(write: WriteFile) -> None:
    data = b"\xef\xbb\xbfid,target\n" + b"".join(b"%d,0.5\n" % i for i in range(BIG_ROWS))
    path = write("s.csv", data)
    raw = open_table(path, original_name="s.csv", max_bytes=LIMIT)
    assert (raw.path, raw.header, raw.encoding) == (path, ("id", "target"), "utf-8-sig")
    assert read(path).columns == ["id", "target"]
