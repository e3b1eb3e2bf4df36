"""Files that are not tables (archives, images, documents), the profile's JSON form, and the
one error that does raise: the file cannot be read at all."""

from __future__ import annotations

import gzip
import json
import logging
import zipfile
from pathlib import Path

import pytest
from profile_helpers import WriteFile, problems, profile

from aihub.datasets.profile import profile_path
from aihub.datasets.profile_types import (
    PROFILE_VERSION,
    ColumnProfile,
    FileProfile,
    MemberProfile,
    TopValue,
)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zip_members_are_listed_without_unpacking(tmp_path: Path) -> None:
    path = _zip(tmp_path / "images.zip", {
        "images/cat.png": b"\x89PNG" + bytes(100), "labels.csv": b"id,label\n1,cat\n",
        "images/": b"",
    })
    result = profile(path)
    assert (result.format, result.media_type, result.row_count) == (
        "zip", "application/zip", None)
    assert result.members == (MemberProfile("images/cat.png", 104),
                              MemberProfile("labels.csv", 15))
    assert result.problems == ()
    assert not (tmp_path / "labels.csv").exists()


@pytest.mark.parametrize(("members", "expected"), [
    ({"../escape.csv": b"x"}, "absolute path or '..'"),
    ({"/etc/passwd": b"x"}, "absolute path or '..'"),
    ({"zeros.bin": bytes(50 * 1024 * 1024)}, "zip bomb"),
])
def test_zips_that_would_be_refused_say_why(tmp_path: Path, members: dict[str, bytes],
                                            expected: str) -> None:
    result = profile(_zip(tmp_path / "bad.zip", members))
    assert expected in problems(result)
    assert "The zip 'bad.zip'" in problems(result)
    assert result.members == ()


def test_a_damaged_zip_and_an_excel_workbook(tmp_path: Path, write: WriteFile) -> None:
    cut = profile(write("cut.zip", b"PK\x03\x04 truncated"))
    assert "is not a valid zip file" in problems(cut)
    workbook = profile(_zip(tmp_path / "book.xlsx", {"xl/workbook.xml": b"<x/>"}))
    assert workbook.format == "excel"
    assert "Save each sheet as 'CSV UTF-8'" in problems(workbook)
    renamed = profile(_zip(tmp_path / "book.zip", {"xl/workbook.xml": b"<x/>"}))
    assert renamed.format == "zip" and "Excel workbook" in problems(renamed)


def test_images_documents_and_gzip_have_size_and_media_type(write: WriteFile) -> None:
    packed = gzip.compress(b"a,b\n1,2\n")
    for name, content, media_type in [
        ("cat.png", b"\x89PNG\r\n\x1a\n" + bytes(1000), "image/png"),
        ("paper.pdf", b"%PDF-1.4\n" + bytes(500), "application/pdf"),
        ("data.csv.gz", packed, "application/gzip"),
    ]:
        result = profile(write(name, content))
        assert (result.media_type, result.size, result.row_count) == (
            media_type, len(content), None), name
        assert result.problems == (), name


def test_a_file_that_cannot_be_read_raises_the_os_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        profile_path(tmp_path / "gone.csv", filename="gone.csv")
    with pytest.raises(IsADirectoryError):
        profile_path(tmp_path, filename="folder.csv")


def test_profiles_round_trip_through_json(write: WriteFile) -> None:
    result = profile(write("a.csv", "id,city,when,ratio\n1,부산,2024-05-01,0.5\n"
                                    "2,부산,2024-05-02,inf\n3,대전,,\n"))
    text = json.dumps(result.to_dict(), ensure_ascii=False, allow_nan=False)
    again = FileProfile.from_dict(json.loads(text))
    assert again == result
    assert again.to_dict()["columns"][1]["top_values"] == [["부산", 2], ["대전", 1]]
    assert next(c for c in again.columns if c.name == "ratio").maximum == 0.5


def test_from_dict_takes_older_and_newer_shapes() -> None:
    stored = {
        "version": PROFILE_VERSION + 1, "filename": "a.csv", "size": 3, "format": "csv",
        "media_type": "text/csv", "row_count": 1, "added_later": True,
        "columns": [{"name": "a", "type": "duration", "missing": 0, "distinct": 1,
                     "top_values": [["x", 1]], "unknown": 1}],
    }
    loaded = FileProfile.from_dict(stored)
    assert loaded.columns == (ColumnProfile("a", "text", 0, 1, top_values=(TopValue("x", 1),)),)
    assert (loaded.preview, loaded.members, loaded.problems) == ((), (), ())
    assert loaded.is_table


def test_the_public_surface() -> None:
    import aihub.datasets.profile as module

    assert sorted(module.__all__) == [
        "CROISSANT_TYPES", "ColumnProfile", "FileProfile", "LogicalType", "MemberProfile",
        "PROFILE_VERSION", "ProfileLimits", "TopValue", "profile_path",
    ]
    assert all(hasattr(module, name) for name in module.__all__)
    assert set(module.CROISSANT_TYPES) == {"boolean", "integer", "float", "date", "datetime",
                                           "text"}


def test_no_cell_value_reaches_the_logs(write: WriteFile,
                                        caplog: pytest.LogCaptureFixture) -> None:
    secret = "주민번호-900101-1234567"
    caplog.set_level(logging.DEBUG)
    for name, content in [
        ("ok.csv", f"a,b\n1,{secret}\n"),
        ("ragged.csv", f"a,b\n1,{secret},3\n{secret}\n"),
        ("bad.jsonl", f'{{"a": "{secret}"}}\n{secret}\n'),
        ("bad.json", f'[{{"a": "{secret}"'),
    ]:
        result = profile(write(name, content))
        assert secret not in "\n".join(result.problems), name
    assert secret not in caplog.text
