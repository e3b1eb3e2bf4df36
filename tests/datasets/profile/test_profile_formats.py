"""Sniffing: format and media type from the first bytes and the name, text encodings,
delimiters, and the streaming transcoder."""

from __future__ import annotations

import io

import pytest
from profile_helpers import WriteFile

from aihub.datasets.formats import (
    CHUNK,
    SNIFF_BYTES,
    Utf8Reader,
    detect_encoding,
    sniff,
    sniff_delimiter,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(50)


@pytest.mark.parametrize(("name", "content", "fmt", "media_type"), [
    ("a.png", PNG, "image", "image/png"),
    ("a.jpg", b"\xff\xd8\xff\xe0" + bytes(50), "image", "image/jpeg"),
    ("a.gif", b"GIF89a" + bytes(50), "image", "image/gif"),
    ("a.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(50), "image", "image/webp"),
    ("a.tif", b"II*\x00" + bytes(50), "image", "image/tiff"),
    ("a.bmp", b"BM\x0a\x00\x00\x00" + bytes(4), "image", "image/bmp"),
    ("a.pdf", b"%PDF-1.7\n" + bytes(50), "pdf", "application/pdf"),
    ("a.zip", b"PK\x05\x06" + bytes(18), "zip", "application/zip"),
    ("a.csv.gz", b"\x1f\x8b\x08" + bytes(50), "gzip", "application/gzip"),
    ("a.tar", bytes(257) + b"ustar\x0000" + bytes(300), "tar", "application/x-tar"),
    ("a.xlsx", b"PK\x03\x04" + bytes(50), "excel",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("a.bin", bytes(range(256)), "binary", "application/octet-stream"),
    ("a.txt", "그냥 글입니다.\n둘째 줄.\n".encode(), "text", "text/plain"),
    ("README.md", b"a,b\n1,2\n", "text", "text/plain"),
    ("a.json", b'[{"a": 1}]', "json", "application/json"),
    ("a.json", b'{"a": 1}\n{"a": 2}\n', "jsonl", "application/jsonlines"),
    ("data", b'{"a": 1}\n{"a": 2}\n', "jsonl", "application/jsonlines"),
    ("a.ndjson", b'{"a": 1}\n', "jsonl", "application/jsonlines"),
    ("a.txt", b"a\tb\n1\t2\n", "tsv", "text/tab-separated-values"),
    ("a.dat", b"a,b\n1,2\n", "csv", "text/csv"),
])
def test_formats_and_media_types(write: WriteFile, name: str, content: bytes, fmt: str,
                                 media_type: str) -> None:
    sniffed = sniff(write(name, content), filename=name)
    assert (sniffed.format, sniffed.media_type) == (fmt, media_type)


def test_bytes_decide_over_the_name(write: WriteFile) -> None:
    sniffed = sniff(write("x", PNG), filename="photo.csv")
    assert (sniffed.format, sniffed.media_type) == ("image", "image/png")
    assert "named 'photo.csv' but is an image (image/png)" in sniffed.problems[0]
    # "BM" starting a CSV header is not a bitmap: a bitmap gives its own size next.
    header = sniff(write("bmi.csv", b"BMI,age\n21.5,30\n"), filename="bmi.csv")
    assert (header.format, header.delimiter) == ("csv", ",")


@pytest.mark.parametrize(("content", "complete", "expected"), [
    (b"plain ascii", True, "utf-8"),
    ("한글".encode(), True, "utf-8"),
    (b"\xef\xbb\xbf" + "한글".encode(), True, "utf-8-sig"),
    ("한글".encode("cp949"), True, "cp949"),
    ("한글".encode("utf-16"), True, "utf-16-le"),
    (b"\xfe\xff" + "한글".encode("utf-16-be"), True, "utf-16-be"),
    # Cut inside a character: fine while the file goes on, not at its end.
    ("한".encode()[:2], False, "utf-8"),
    (b"a\x00b", True, None),
    (bytes(range(1, 32)) * 10, True, None),
    # Neither encoding fits every byte: the better one, the profile reports the rest.
    ("부산 해운대구 ".encode("cp949") * 5 + b"\xff", True, "cp949"),
])
def test_encodings(content: bytes, complete: bool, expected: str | None) -> None:
    assert detect_encoding(content, complete=complete) == expected


def test_a_multibyte_character_across_the_sniffed_block_is_utf8(write: WriteFile) -> None:
    text = "a" * (SNIFF_BYTES - 1) + "한글\n"
    assert sniff(write("x.txt", text), filename="x.txt").encoding == "utf-8"


@pytest.mark.parametrize(("text", "preferred", "expected"), [
    ("a,b\n1,2\n", ",", ","),
    ("a;b\n1;2,5\n", ",", ";"),
    ("a|b|c\n1|2|3\n", ",", "|"),
    ("a\tb\n1\t2\n", ",", "\t"),
    # The name is trusted when its delimiter fits: these are two columns with commas.
    ("a,b\nx;y;z,1\np;q;r,2\n", ",", ","),
    ("single\ncolumn\n", ",", ","),
    ('a,b\n"x\ny",1\n', ",", ","),
])
def test_delimiters(text: str, preferred: str, expected: str) -> None:
    assert sniff_delimiter(text, preferred=preferred) == expected


def _through(content: bytes, encoding: str, size: int = 1000) -> tuple[bytes, Utf8Reader]:
    reader = Utf8Reader(io.BytesIO(content), encoding)
    out = bytearray()
    while chunk := reader.read(size):
        out += chunk
    return bytes(out), reader


def test_transcoding_across_chunks() -> None:
    # Two-byte CP949 characters land across every 1 MiB chunk boundary the reader takes.
    text = "x" + "가나다라마바사" * (CHUNK // 5)
    for encoding, data in [("cp949", text.encode("cp949")), ("utf-16-le", text.encode("utf-16")),
                           ("utf-8-sig", b"\xef\xbb\xbf" + text.encode())]:
        out, reader = _through(data, encoding, size=777_777)
        assert out == text.encode(), encoding
        assert reader.first_error is None


def test_transcoding_locates_the_first_bad_bytes_and_replaces_them() -> None:
    good = "줄\n".encode("cp949") * 5
    data = good + b"\xff\xff bad\n" + good + b"\x80\n"
    out, reader = _through(data, "cp949")
    assert reader.first_error == (6, len(good))
    assert out.decode().count("\ufffd") >= 2
    assert out.decode().endswith("줄\n\ufffd\n")
