"""Parquet, JSON Lines and JSON array profiles, and their damaged forms."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from profile_helpers import WriteFile, column, lines, problems, profile

from aihub.datasets.profile import ProfileLimits


def _parquet(path: Path, *, row_group_size: int | None = None) -> Path:
    frame = pl.DataFrame({
        "id": [1, 2, 3, 4],
        "score": [0.5, float("nan"), None, 2.5],
        "ok": [True, False, None, True],
        "day": [dt.date(2024, 5, 1), dt.date(2024, 4, 30), None, dt.date(2024, 5, 3)],
        "at": [dt.datetime(2024, 5, 1, 9, tzinfo=dt.UTC), None, None,
               dt.datetime(2024, 5, 2, 9, tzinfo=dt.UTC)],
        "city": pl.Series(["부산", "부산", "대전", None], dtype=pl.Categorical),
        "tags": [["a"], [], None, ["b", "c"]],
        "meta": [{"k": 1}, {"k": 2}, None, {"k": 3}],
        "note": ["첫째", "NA", "", "넷째"],
    })
    frame.write_parquet(path, row_group_size=row_group_size)
    return path


def test_parquet_types_come_from_the_schema(tmp_path: Path) -> None:
    result = profile(_parquet(tmp_path / "t.parquet", row_group_size=2))
    assert (result.format, result.media_type, result.row_count) == (
        "parquet", "application/x-parquet", 4)
    assert result.problems == ()
    kinds = {c.name: c.type for c in result.columns}
    assert kinds == {"id": "integer", "score": "float", "ok": "boolean", "day": "date",
                     "at": "datetime", "city": "text", "tags": "text", "meta": "text",
                     "note": "text"}
    score = column(result, "score")
    # NaN is a missing value, as in pandas.
    assert (score.missing, score.minimum, score.maximum) == (2, 0.5, 2.5)
    assert column(result, "day").minimum == "2024-04-30"
    assert column(result, "at").maximum == "2024-05-02T09:00:00+00:00"
    city = column(result, "city")
    assert (city.missing, [(t.value, t.count) for t in city.top_values]) == (
        1, [("부산", 2), ("대전", 1)])
    assert column(result, "note").missing == 2  # "NA" and "" are missing in any format
    assert result.preview[0][6:8] == ('["a"]', '{"k":1}')
    assert result.preview[1][2] == "false"


def test_damaged_parquet_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "cut.parquet")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    result = profile(path)
    assert (result.format, result.row_count) == ("parquet", None)
    assert "The Parquet file cannot be read" in problems(result)
    assert "Upload it again" in problems(result)
    path.write_bytes(b"PAR1" + b"\x00" * 100 + b"PAR1")
    assert "cannot be read" in problems(profile(path))


def test_json_lines_with_changing_keys_nesting_and_bad_lines(write: WriteFile) -> None:
    text = lines(
        '{"id": 1, "name": "김", "score": 1}',
        '{"id": 2, "score": 2.5, "extra": {"a": [1, 2]}}',
        "",
        "this is not json",
        '{"id": "3", "name": null}',
        "[1, 2]",
    )
    result = profile(write("r.jsonl", text))
    assert (result.format, result.media_type, result.row_count) == (
        "jsonl", "application/jsonlines", 3)
    text_problems = problems(result)
    assert "2 lines are not a JSON object and are left out (the first is line 4)" in text_problems
    kinds = {c.name: c.type for c in result.columns}
    # Numbers as JSON numbers and as text read alike; nesting is JSON text.
    assert kinds == {"id": "integer", "name": "text", "score": "float", "extra": "text"}
    assert column(result, "name").missing == 2
    assert column(result, "extra").missing == 2
    assert column(result, "score").maximum == 2.5


def test_json_lines_without_errors_and_in_cp949(write: WriteFile) -> None:
    text = lines(*[json.dumps({"n": n, "city": "부산"}, ensure_ascii=False) for n in range(50)])
    utf8 = profile(write("a.jsonl", text))
    assert (utf8.row_count, utf8.problems) == (50, ())
    cp949 = profile(write("k.jsonl", text.encode("cp949")))
    assert (cp949.encoding, cp949.row_count, cp949.problems) == ("cp949", 50, ())
    assert cp949.columns == utf8.columns


def test_json_lines_with_a_line_over_the_limit(write: WriteFile) -> None:
    limits = ProfileLimits(line_bytes=1024 * 1024)
    one = profile(write("one.jsonl", b'{"a": "' + b"x" * (3 * 1024 * 1024)), limits=limits)
    assert one.row_count is None
    assert "Line 1 is longer than 1 MB; not profiled as a table" in problems(one)


def test_json_array_of_records(write: WriteFile) -> None:
    records = [{"id": n, "name": f"이름{n}", "when": f"2024-05-{n + 1:02d}"} for n in range(25)]
    result = profile(write("a.json", json.dumps(records, ensure_ascii=False)))
    assert (result.format, result.media_type, result.row_count) == (
        "json", "application/json", 25)
    assert column(result, "when").type == "date"
    assert len(result.preview) == 20
    clashing = profile(write("b.json", '[{"a": {"x": 1}}, {"a": [1]}, {"a": null}]'))
    assert (clashing.row_count, column(clashing, "a").type) == (3, "text")


@pytest.mark.parametrize(("content", "expected"), [
    ('{"a": 1}', "not a list of records"),
    ("[1, 2, 3]", "not a list of records"),
    ('[{"a": 1}, ', "not valid JSON"),
    ("[]", "holds no records"),
])
def test_json_that_is_not_a_list_of_records(write: WriteFile, content: str,
                                             expected: str) -> None:
    result = profile(write("x.json", content))
    assert expected in problems(result)


def test_json_over_the_array_limit_is_not_read(write: WriteFile) -> None:
    content = json.dumps([{"a": n} for n in range(20_000)])
    result = profile(write("big.json", content), limits=ProfileLimits(json_bytes=100_000))
    assert result.row_count is None
    assert "JSON files over" in problems(result) and "JSON Lines" in problems(result)


def test_parquet_without_rows_keeps_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "empty.parquet"
    pl.DataFrame({"a": pl.Series([], dtype=pl.Int64), "b": pl.Series([], dtype=pl.String)}
                 ).write_parquet(path)
    result = profile(path)
    assert (result.row_count, [c.name for c in result.columns]) == (0, ["a", "b"])
    assert "columns but no rows" in problems(result)


def test_undecodable_bytes_in_json_are_located(write: WriteFile) -> None:
    array = profile(write("a.json", b'[{"a": "ok"},\n {"a": "\xff\xfe"}]'))
    assert (array.row_count, array.encoding) == (2, "utf-8")
    assert "Line 2 (byte 22) holds bytes that are not valid UTF-8" in problems(array)
    jsonl = profile(write("a.jsonl", b'{"a": "ok"}\n{"a": "\xff\xfe"}\n'))
    assert jsonl.row_count == 2
    assert "Line 2 (byte 19) holds bytes that are not valid UTF-8" in problems(jsonl)


def test_parquet_with_repeated_column_names(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "dup.parquet"
    pq.write_table(pa.table([pa.array([1, 2]), pa.array(["x", "y"])], names=["a", "a"]), path)
    result = profile(path)
    assert [(c.name, c.type) for c in result.columns] == [("a", "integer"), ("a_2", "text")]
    assert "repeats the column name 'a'" in problems(result)


def test_parquet_with_damaged_column_names(tmp_path: Path) -> None:
    path = tmp_path / "names.parquet"
    pl.DataFrame({"zzzzcolumn": [1, 2]}).write_parquet(path)
    path.write_bytes(path.read_bytes().replace(b"zzzzcolumn", b"\xaa" * 10))
    result = profile(path)
    assert result.row_count is None
    assert "The Parquet file cannot be read" in problems(result)
