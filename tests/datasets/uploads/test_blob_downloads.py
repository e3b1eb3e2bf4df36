"""Blob downloads: whole, by range (first, middle, last, suffix), refused ranges, HEAD,
the sha256 as ETag, and a Korean file name in Content-Disposition."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from upload_helpers import with_download_route

from aihub.app import create_app
from aihub.datasets.downloads import content_disposition
from aihub.hub import Hub
from aihub.storage import Blob

NAME = "제주 관광객 2023.csv"
DATA = bytes(range(256)) * 10_000  # 2,560,000 bytes: several 1 MiB sends


@pytest.fixture
def blob(hub: Hub) -> Blob:
    return hub.storage.put_file(io.BytesIO(DATA))


@pytest.fixture
def files(hub: Hub) -> Iterator[TestClient]:
    app = with_download_route(create_app(hub=hub), hub.storage, NAME)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _url(blob: Blob) -> str:
    return f"/api/v1/test-files/{blob.sha256}"


def test_whole_file_with_its_headers(files: TestClient, blob: Blob) -> None:
    response = files.get(_url(blob))
    assert response.status_code == 200
    assert response.content == DATA
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["etag"] == f'"{hashlib.sha256(DATA).hexdigest()}"'
    assert response.headers["content-length"] == str(len(DATA))
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["cache-control"] == "private, no-cache"


def test_the_korean_name_survives_in_content_disposition(files: TestClient,
                                                         blob: Blob) -> None:
    header = files.get(_url(blob)).headers["content-disposition"]
    assert header.startswith('attachment; filename="2023.csv"; ')
    encoded = header.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded) == NAME
    assert header.isascii()


@pytest.mark.parametrize("name", ["a\"b\\c.txt", "서울", "plain.csv", "..", "a\r\nb.csv"])
def test_content_disposition_is_always_a_safe_header(name: str) -> None:
    header = content_disposition(name)
    assert header.isascii() and "\r" not in header and "\n" not in header
    fallback = header.split('filename="', 1)[1].split('"', 1)[0]
    assert fallback and '"' not in fallback and "\\" not in fallback
    assert unquote(header.split("UTF-8''", 1)[1]) == name


@pytest.mark.parametrize(("spec", "start", "end"), [
    ("bytes=0-99", 0, 100),  # the first bytes
    ("bytes=1048570-1048590", 1_048_570, 1_048_591),  # across a send boundary
    (f"bytes={len(DATA) - 10}-", len(DATA) - 10, len(DATA)),  # the last bytes
    ("bytes=-300", len(DATA) - 300, len(DATA)),  # a suffix
    (f"bytes=5-{len(DATA) * 2}", 5, len(DATA)),  # an end past the file is the file's end
])
def test_one_range(files: TestClient, blob: Blob, spec: str, start: int, end: int) -> None:
    response = files.get(_url(blob), headers={"Range": spec})
    assert response.status_code == 206
    assert response.content == DATA[start:end]
    assert response.headers["content-range"] == f"bytes {start}-{end - 1}/{len(DATA)}"
    assert response.headers["content-length"] == str(end - start)


@pytest.mark.parametrize("spec", [
    f"bytes={len(DATA)}-", "bytes=-0", f"bytes={len(DATA)}-,{len(DATA) * 2}-{len(DATA) * 3}"])
def test_a_range_outside_the_file_is_416_with_its_size(files: TestClient, blob: Blob,
                                                       spec: str) -> None:
    response = files.get(_url(blob), headers={"Range": spec})
    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(DATA)}"
    assert str(len(DATA)) in response.json()["detail"]


@pytest.mark.parametrize("spec", ["bytes=9-3", "bytes=abc", "bytes=0-1,abc", "bytes=-",
                                  "bytes", "bytes=" + "9" * 5000 + "-"])
def test_a_range_not_understood_is_400_in_json(files: TestClient, blob: Blob,
                                               spec: str) -> None:
    response = files.get(_url(blob), headers={"Range": spec})
    assert response.status_code == 400
    assert "bytes=START-END" in response.json()["detail"]


@pytest.mark.parametrize("spec", ["items=0-1", f"bytes={',0-0' * 101}".replace("=,", "=")])
def test_another_unit_or_too_many_ranges_is_ignored(files: TestClient, blob: Blob,
                                                    spec: str) -> None:
    # RFC 9110 §14.2: a unit the server does not know is ignored: the whole file.
    response = files.get(_url(blob), headers={"Range": spec})
    assert response.status_code == 200 and response.content == DATA


def test_several_ranges_are_multipart_byteranges(files: TestClient, blob: Blob) -> None:
    response = files.get(_url(blob), headers={"Range": "bytes=0-1, 10-19"})
    assert response.status_code == 206
    assert response.headers["content-type"].startswith("multipart/byteranges; boundary=")
    assert f"Content-Range: bytes 0-1/{len(DATA)}".encode() in response.content
    assert f"Content-Range: bytes 10-19/{len(DATA)}".encode() in response.content
    assert DATA[10:20] in response.content


@pytest.mark.parametrize("spec", [f"bytes=0-9,{len(DATA)}-", "bytes=0-9,-0",
                                  f"bytes={len(DATA) + 5}-{len(DATA) + 9},0-9"])
def test_ranges_past_the_end_are_left_out_while_one_fits(files: TestClient, blob: Blob,
                                                         spec: str) -> None:
    # RFC 9110 §14.1.1: a set of ranges is satisfiable when any one of them is.
    response = files.get(_url(blob), headers={"Range": spec})
    assert response.status_code == 206
    assert response.content == DATA[:10]
    assert response.headers["content-range"] == f"bytes 0-9/{len(DATA)}"


def test_if_range_with_another_etag_sends_the_whole_file(files: TestClient,
                                                         blob: Blob) -> None:
    stale = files.get(_url(blob), headers={"Range": "bytes=0-9", "If-Range": '"0000"'})
    assert stale.status_code == 200 and stale.content == DATA
    same = files.get(_url(blob), headers={"Range": "bytes=0-9",
                                          "If-Range": f'"{blob.sha256}"'})
    assert same.status_code == 206 and same.content == DATA[:10]


def test_if_range_with_a_date_sends_the_whole_file(files: TestClient, blob: Blob) -> None:
    # A store's mtime is no strong validator: only the sha256 ETag vouches for the bytes,
    # and a range past the end is then no refusal in plain text but the whole file.
    date = files.get(_url(blob)).headers["last-modified"]
    for spec in ("bytes=0-9", f"bytes={len(DATA)}-", "bytes=9-3"):
        response = files.get(_url(blob), headers={"Range": spec, "If-Range": date})
        assert response.status_code == 200 and response.content == DATA, spec


@pytest.mark.parametrize("tags", ["W/\"{sha}\"", "\"0000\", \"{sha}\"", "*"])
def test_if_none_match_is_304(files: TestClient, blob: Blob, tags: str) -> None:
    response = files.get(_url(blob), headers={"If-None-Match": tags.format(sha=blob.sha256)})
    assert response.status_code == 304
    assert response.content == b""
    other = files.get(_url(blob), headers={"If-None-Match": '"0000"'})
    assert other.status_code == 200


def test_head_tells_the_size_without_the_bytes(files: TestClient, blob: Blob) -> None:
    response = files.head(_url(blob))
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(DATA))
    assert response.content == b""
    ranged = files.head(_url(blob), headers={"Range": "bytes=10-19"})
    assert ranged.status_code == 206 and ranged.headers["content-length"] == "10"


def test_a_blob_missing_from_the_store_is_404(files: TestClient, hub: Hub) -> None:
    response = files.get(f"/api/v1/test-files/{'0' * 64}")
    assert response.status_code == 404
    assert "missing from the hub's store" in response.json()["detail"]
