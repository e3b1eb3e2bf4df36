"""CSV and TSV profiles: types, missing values, ranges, previews, and every broken file a
clear problem instead of an exception."""

from __future__ import annotations

import pytest
from profile_helpers import WriteFile, column, lines, problems, profile

from aihub.datasets.formats import SNIFF_BYTES
from aihub.datasets.profile import ProfileLimits
from aihub.datasets.profile_table import MAX_COLUMNS, PREVIEW_CELL_CHARS, PREVIEW_ROWS

AIR = lines(
    "station,name,pm10,ratio,measured_on,measured_at,ok,grade",
    "007,중구 대청동,41,0.5,2024-05-01,2024-05-01 09:00:00,true,보통",
    "012,해운대구 좌동,NA,1.25,2024-05-02,2024-05-02 10:30:00,false,좋음",
    "013,기장군 기장읍,17,,2024-05-03,2024-05-03T11:15:30.250,TRUE,보통",
    "101,연제구 연산동,-3,-2e3,2024-04-30,2024-05-04 00:00:00,no,",
)


def test_types_ranges_missing_and_distinct(write: WriteFile) -> None:
    result = profile(write("air.csv", AIR))
    assert (result.format, result.media_type, result.encoding, result.delimiter) == (
        "csv", "text/csv", "utf-8", ",")
    assert result.row_count == 4
    assert result.problems == ()
    assert [c.name for c in result.columns] == [
        "station", "name", "pm10", "ratio", "measured_on", "measured_at", "ok", "grade"]
    station = column(result, "station")
    # Leading zeros make an identifier, not a number.
    assert (station.type, station.croissant_type) == ("text", "sc:Text")
    pm10 = column(result, "pm10")
    assert (pm10.type, pm10.missing, pm10.minimum, pm10.maximum) == ("integer", 1, -3, 41)
    ratio = column(result, "ratio")
    assert (ratio.type, ratio.missing, ratio.minimum, ratio.maximum) == ("float", 1, -2000.0, 1.25)
    day = column(result, "measured_on")
    assert (day.type, day.minimum, day.maximum, day.format) == (
        "date", "2024-04-30", "2024-05-03", "%Y-%m-%d")
    # Mixed spellings of one layout are fine: "T" and fractions are not the same format.
    assert column(result, "measured_at").type == "text"
    ok = column(result, "ok")
    assert (ok.type, ok.croissant_type, ok.distinct) == ("boolean", "sc:Boolean", 4)
    grade = column(result, "grade")
    assert (grade.type, grade.missing, grade.distinct, grade.distinct_approximate) == (
        "text", 1, 2, False)
    assert [(top.value, top.count) for top in grade.top_values] == [("보통", 2), ("좋음", 1)]


def test_datetimes_with_fractions_and_offsets(write: WriteFile) -> None:
    result = profile(write("t.csv", lines(
        "a,b,c",
        "2024-05-01T09:00:00,2024-05-01 09:00:00+09:00,2024/05/01",
        "2024-05-01T09:00:00.125,2024-05-01 10:00:00Z,2024/12/31",
    )))
    a = column(result, "a")
    assert (a.type, a.minimum, a.maximum) == (
        "datetime", "2024-05-01T09:00:00", "2024-05-01T09:00:00.125000")
    b = column(result, "b")
    # Offsets are read as instants, kept in UTC.
    assert (b.type, b.minimum, b.maximum) == (
        "datetime", "2024-05-01T00:00:00+00:00", "2024-05-01T10:00:00+00:00")
    c = column(result, "c")
    assert (c.type, c.format, c.maximum) == ("date", "%Y/%m/%d", "2024-12-31")


def test_an_all_missing_column_is_text_and_counts_its_gaps(write: WriteFile) -> None:
    result = profile(write("gaps.csv", lines("a,b", "1,", "2,NA", "3,-", "4,null")))
    b = column(result, "b")
    assert (b.type, b.missing, b.distinct, b.minimum) == ("text", 4, 0, None)


def test_preview_is_the_first_rows_as_written_with_long_cells_cut(write: WriteFile) -> None:
    long = "가" * (PREVIEW_CELL_CHARS + 50)
    rows = [f"{n},{long if n == 0 else n},{'NA' if n == 1 else ''}" for n in range(30)]
    result = profile(write("p.csv", lines("id,text,note", *rows)))
    assert len(result.preview) == PREVIEW_ROWS
    first, second = result.preview[0], result.preview[1]
    assert first[0] == "0" and first[2] is None
    assert first[1] is not None and len(first[1]) == PREVIEW_CELL_CHARS
    assert first[1].endswith("…")
    # Missing markers are shown as written; only empty cells are None.
    assert second == ("1", "1", "NA")
    assert result.row_count == 30


def test_quoted_delimiters_and_newlines_stay_in_their_row(write: WriteFile) -> None:
    result = profile(write("q.csv", 'id,note\n1,"부산, 해운대"\n2,"two\nlines"\n3,plain\n'))
    assert result.row_count == 3
    assert result.preview[1] == ("2", "two\nlines")
    assert result.problems == ()


@pytest.mark.parametrize(("name", "text", "delimiter", "fmt"), [
    ("t.tsv", "a\tb\n1\t2\n", "\t", "tsv"),
    ("s.csv", "a;b;c\n1;2,5;3\n4;5,5;6\n", ";", "csv"),
    ("p.txt", "a|b\n1|2\n3|4\n", "|", "csv"),
    ("tabs.csv", "a\tb\tc\n1\t2\t3\n", "\t", "tsv"),
])
def test_delimiters_are_sniffed(write: WriteFile, name: str, text: str, delimiter: str,
                                fmt: str) -> None:
    result = profile(write(name, text))
    assert (result.delimiter, result.format) == (delimiter, fmt)
    assert result.row_count == text.count("\n") - 1
    assert len(result.columns) == text.split("\n", maxsplit=1)[0].count(delimiter) + 1


def test_cp949_and_utf16_are_read_like_utf8(write: WriteFile) -> None:
    expected = profile(write("u.csv", AIR))
    for name, content in [
        ("k.csv", AIR.encode("cp949")),
        ("bom.csv", b"\xef\xbb\xbf" + AIR.encode()),
        ("le.csv", AIR.encode("utf-16")),  # with its byte-order mark
        ("be.csv", b"\xfe\xff" + AIR.encode("utf-16-be")),
    ]:
        result = profile(write(name, content))
        assert result.problems == (), name
        assert result.columns == expected.columns, name
        assert result.preview == expected.preview, name
    assert profile(write("k2.csv", AIR.encode("cp949"))).encoding == "cp949"
    assert profile(write("le2.csv", AIR.encode("utf-16"))).encoding == "utf-16-le"


def test_cp949_after_an_ascii_start_is_found_when_reading(write: WriteFile) -> None:
    ascii_rows = [f"{n},station{n}" for n in range(SNIFF_BYTES // 10)]
    text = lines("id,name", *ascii_rows, "99999,부산 해운대구")
    result = profile(write("late.csv", text.encode("cp949")))
    assert result.encoding == "cp949"
    assert result.problems == ()
    assert result.row_count == len(ascii_rows) + 1
    assert column(result, "name").distinct == len(ascii_rows) + 1


def test_undecodable_bytes_are_replaced_and_located(write: WriteFile) -> None:
    head = lines("id,name", *[f"{n},이름{n}" for n in range(SNIFF_BYTES // 10)])
    bad_line = head.count("\n") + 1
    content = head.encode() + b"7,\xff\xfe\xfd broken\n8,fine\n"
    result = profile(write("bad.csv", content))
    assert result.encoding == "utf-8"
    assert f"Line {bad_line} (byte {len(head.encode()) + 2:,})" in problems(result)
    assert "not valid UTF-8 or CP949" in problems(result)
    assert "CSV UTF-8" in problems(result)
    assert result.row_count == head.count("\n") + 1
    cp949 = profile(write("badk.csv", "id,name\n1,부산\n".encode("cp949") + b"2,\x80\x80\n"))
    assert cp949.encoding == "cp949"
    assert "Line 3" in problems(cp949) and "CP949" in problems(cp949)
    assert cp949.row_count == 2


def test_ragged_rows_are_counted_located_and_left_out(write: WriteFile) -> None:
    result = profile(write("r.csv", lines("a,b,c", "1,2,3", "4,5", "6,7,8,9", "10,11,12")))
    assert result.row_count == 2
    text = problems(result)
    assert "2 rows have a different number of fields from the header's 3" in text
    assert "row 3 of the file" in text and "with 2 fields" in text
    assert "quote values that contain the delimiter" in text
    assert column(result, "a").maximum == 10


def test_duplicate_and_blank_column_names_are_made_unique(write: WriteFile) -> None:
    result = profile(write("d.csv", lines("id,value,value,,id", "1,2,3,4,5")))
    assert [c.name for c in result.columns] == ["id", "value", "value_2", "column_4", "id_2"]
    text = problems(result)
    assert "repeats the column names 'id', 'value'" in text
    assert "Column 4 of the header has no name" in text
    assert column(result, "id_2").maximum == 5


@pytest.mark.parametrize(("content", "expected", "rows"), [
    (b"", "The file is empty (0 bytes)", None),
    (b"a,b,c\n", "has a header but no rows of data", 0),
    (b"a,b,c", "has a header but no rows of data", 0),
    (b"\n1,2\n", "Line 1 is empty", None),
])
def test_empty_and_header_only_files(write: WriteFile, content: bytes, expected: str,
                                     rows: int | None) -> None:
    result = profile(write("e.csv", content))
    assert expected in problems(result)
    assert result.row_count == rows
    if rows == 0:
        assert [c.name for c in result.columns] == ["a", "b", "c"]
        assert all(c.type == "text" and c.missing == 0 for c in result.columns)


def test_a_first_line_longer_than_the_limit_is_not_profiled(write: WriteFile) -> None:
    limits = ProfileLimits(line_bytes=1024 * 1024)
    result = profile(write("one.csv", b"x" * (3 * 1024 * 1024)), limits=limits)
    assert result.row_count is None
    assert "Line 1 is longer than 1 MB; not profiled as a table" in problems(result)


def test_a_later_line_longer_than_the_limit_stops_the_profile_there(write: WriteFile) -> None:
    limits = ProfileLimits(line_bytes=1024 * 1024)
    rows = [f"{n},{n * 2}" for n in range(1000)]
    content = lines("a,b", *rows, "1," + "y" * (3 * 1024 * 1024), "2,3")
    result = profile(write("late.csv", content), limits=limits)
    assert "longer than 1 MB; the rows from there on are not profiled" in problems(result)
    assert result.row_count is not None and result.row_count <= 1000
    assert column(result, "a").type == "integer"


def test_an_unclosed_quote_swallowing_the_file_is_reported(write: WriteFile) -> None:
    limits = ProfileLimits(line_bytes=1024 * 1024)
    rows = [f"{n},text {n}" for n in range(200_000)]
    content = lines("a,b", '1,"never closed', *rows)
    result = profile(write("quote.csv", content), limits=limits)
    assert "every quote is closed" in problems(result)


def test_binary_named_csv_and_parquet_named_csv(write: WriteFile) -> None:
    noise = bytes(range(256)) * 40
    result = profile(write("data.csv", noise))
    assert (result.format, result.row_count) == ("binary", None)
    assert "named 'data.csv' but holds binary data" in problems(result)


def test_spaces_around_values_are_trimmed_for_typing_not_in_the_preview(
        write: WriteFile) -> None:
    content = lines("a, b, when", "1, 2.5, 2024-05-01", " 3, NA ,2024-05-02")
    result = profile(write("s.csv", content))
    assert [(c.name, c.type) for c in result.columns] == [
        ("a", "integer"), (" b", "float"), (" when", "date")]
    assert column(result, " b").missing == 1
    assert result.preview[1] == (" 3", " NA ", "2024-05-02")


def test_more_columns_than_the_limit_profiles_the_first(write: WriteFile) -> None:
    width = MAX_COLUMNS + 5
    header = ",".join(f"c{n}" for n in range(width))
    result = profile(write("wide.csv", lines(header, ",".join(["1"] * width))))
    assert len(result.columns) == MAX_COLUMNS
    assert result.columns[-1].name == f"c{MAX_COLUMNS - 1}"
    assert f"only the first {MAX_COLUMNS} are profiled" in problems(result)
    assert result.row_count == 1


# pyarrow cannot hand a ragged row with bad bytes to the row handler: it reports that on
# stderr (as an unraisable exception), and the profile reads the file again, decoded.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_ragged_row_with_undecodable_bytes(write: WriteFile) -> None:
    content = lines("a,b", "1,2").encode() + b"3,\xff\xfe,extra\n4,5\n"
    result = profile(write("rb.csv", content))
    assert result.row_count == 2
    text = problems(result)
    assert "1 row has a different number of fields" in text and "row 3 of the file" in text
    assert "Line 3 (byte 10) holds bytes that are not valid UTF-8" in text
