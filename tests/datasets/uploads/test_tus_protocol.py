"""The tus 1.0 endpoint, request by request: each answer the protocol defines, and what
stays stored after each refusal."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from upload_helpers import OCTETS, TUS, checksum, metadata, patch_headers

from aihub.datasets.uploads import (
    forget_cached_hashes,
    get_completed_upload,
    staging_dir,
)
from aihub.db import utcnow
from aihub.errors import Conflict, NotFound
from aihub.hub import Hub
from factories import Factories, Person

KOREAN = "서울시 대기질 2024년.csv"
BASE = "/api/v1/uploads/"


def _create(client: TestClient, who: Person, length: int, **meta: str) -> str:
    meta.setdefault("filename", KOREAN)
    response = client.post(BASE, headers={
        **who.headers, **TUS, "Upload-Length": str(length), "Upload-Metadata": metadata(**meta),
    })
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    assert location.startswith("/api/v1/uploads/")
    return location


def _offset(client: TestClient, who: Person, location: str) -> int:
    response = client.head(location, headers={**who.headers, **TUS})
    assert response.status_code == 200, response.headers
    return int(response.headers["upload-offset"])


def _bin(hub: Hub, location: str) -> Path:
    return staging_dir(hub.settings) / f"{location.rsplit('/', 1)[1]}.bin"


def test_options_advertise_the_extensions(client: TestClient, hub: Hub) -> None:
    response = client.options(BASE)
    assert response.status_code == 204
    assert response.headers["tus-resumable"] == "1.0.0"
    assert response.headers["tus-version"] == "1.0.0"
    assert set(response.headers["tus-extension"].split(",")) == {
        "creation", "creation-with-upload", "checksum", "termination", "expiration"}
    assert response.headers["tus-max-size"] == str(hub.settings.max_dataset_file_bytes)
    assert response.headers["tus-checksum-algorithm"] == "sha1,sha256"


def test_upload_in_chunks_with_both_checksums_and_a_korean_name(
    client: TestClient, hub: Hub, owner: Person,
) -> None:
    data = bytes(range(256)) * 4000  # 1,024,000 bytes
    location = _create(client, owner, len(data), filetype="text/csv")
    parts = [(0, data[:300_000], "sha1"), (300_000, data[300_000:700_000], "sha256"),
             (700_000, data[700_000:], None)]
    for offset, part, algorithm in parts:
        extra = {"Upload-Checksum": checksum(algorithm, part)} if algorithm else {}
        response = client.patch(location, content=part,
                                headers=patch_headers(owner.headers, offset, **extra))
        assert response.status_code == 204, response.text
        assert response.headers["upload-offset"] == str(offset + len(part))
        assert response.headers["tus-resumable"] == "1.0.0"
    head = client.head(location, headers={**owner.headers, **TUS})
    assert head.headers["upload-offset"] == head.headers["upload-length"] == str(len(data))
    assert head.headers["cache-control"] == "no-store"
    pairs = dict(pair.split(" ") for pair in head.headers["upload-metadata"].split(","))
    assert base64.b64decode(pairs["filename"]).decode() == KOREAN
    status = client.get(location, headers=owner.headers).json()
    digest = hashlib.sha256(data).hexdigest()
    assert (status["complete"], status["sha256"], status["filename"]) == (True, digest, KOREAN)
    assert hub.storage.path(digest).read_bytes() == data
    assert not _bin(hub, location).exists()  # moved into the store, not copied
    done = get_completed_upload(hub.settings, status["id"], owner.user.id, utcnow())
    assert (done.blob.sha256, done.blob.size, done.filename) == (digest, len(data), KOREAN)
    assert done.metadata["filetype"] == "text/csv"


def test_creation_with_upload_and_the_declared_sha256(client: TestClient, hub: Hub,
                                                      owner: Person) -> None:
    data = b"id,value\n" + b"1,2\n" * 5000
    response = client.post(BASE, content=data[:1000], headers={
        **owner.headers, **TUS, "Upload-Length": str(len(data)), "Content-Type": OCTETS,
        "Upload-Metadata": metadata(filename="a.csv",
                                    sha256=hashlib.sha256(data).hexdigest().upper()),
    })
    assert response.status_code == 201, response.text
    assert response.headers["upload-offset"] == "1000"
    assert "upload-expires" in response.headers
    location = response.headers["location"]
    response = client.patch(location, content=data[1000:],
                            headers=patch_headers(owner.headers, 1000))
    assert response.status_code == 204
    assert "upload-expires" not in response.headers  # complete: nothing left to expire
    assert client.get(location, headers=owner.headers).json()["complete"] is True


def test_an_empty_file_is_complete_at_creation(client: TestClient, hub: Hub,
                                               owner: Person) -> None:
    location = _create(client, owner, 0, filename="empty.txt")
    status = client.get(location, headers=owner.headers).json()
    assert status["complete"] and status["sha256"] == hashlib.sha256(b"").hexdigest()


def test_wrong_offset_is_409_saying_where_the_upload_stands(client: TestClient,
                                                            owner: Person) -> None:
    location = _create(client, owner, 100)
    client.patch(location, content=b"x" * 40, headers=patch_headers(owner.headers, 0))
    response = client.patch(location, content=b"y" * 10, headers=patch_headers(owner.headers, 0))
    assert response.status_code == 409
    assert "offset 40" in response.json()["detail"]
    assert response.headers["tus-resumable"] == "1.0.0"
    assert _offset(client, owner, location) == 40


@pytest.mark.parametrize("version", [None, "0.2.2"])
def test_another_tus_version_is_412(client: TestClient, owner: Person,
                                    version: str | None) -> None:
    location = _create(client, owner, 10)
    headers = patch_headers(owner.headers, 0)
    del headers["Tus-Resumable"]
    if version:
        headers["Tus-Resumable"] = version
    response = client.patch(location, content=b"x", headers=headers)
    assert response.status_code == 412
    assert "Tus-Resumable: 1.0.0" in response.json()["detail"]
    assert response.headers["tus-version"] == "1.0.0"  # the versions this server speaks
    head = {**owner.headers, **({"Tus-Resumable": version} if version else {})}
    asked = client.head(location, headers=head)  # HEAD is a tus request too
    assert asked.status_code == 412 and asked.headers["tus-version"] == "1.0.0"
    assert "upload-offset" not in asked.headers


def test_bytes_need_the_offset_content_type(client: TestClient, owner: Person) -> None:
    location = _create(client, owner, 10)
    response = client.patch(location, content=b"x", headers={
        **patch_headers(owner.headers, 0), "Content-Type": "text/plain"})
    assert response.status_code == 415
    assert "application/offset+octet-stream" in response.json()["detail"]


def test_a_body_past_the_length_is_413_and_nothing_is_kept(client: TestClient, hub: Hub,
                                                           owner: Person) -> None:
    location = _create(client, owner, 100)
    client.patch(location, content=b"a" * 30, headers=patch_headers(owner.headers, 0))
    announced = client.patch(location, content=b"b" * 80, headers=patch_headers(owner.headers, 30))
    assert announced.status_code == 413

    def chunked() -> Iterator[bytes]:  # no Content-Length: found out while streaming
        yield b"c" * 50
        yield b"c" * 50

    streamed = client.patch(location, content=chunked(), headers=patch_headers(owner.headers, 30))
    assert streamed.status_code == 413, streamed.text
    assert "offset 30" in streamed.json()["detail"]
    assert _offset(client, owner, location) == 30
    assert _bin(hub, location).read_bytes() == b"a" * 30


def test_a_checksum_mismatch_is_460_and_the_chunk_is_discarded(
    client: TestClient, hub: Hub, owner: Person,
) -> None:
    location = _create(client, owner, 100)
    client.patch(location, content=b"a" * 30, headers=patch_headers(owner.headers, 0))
    bad = client.patch(location, content=b"b" * 20, headers=patch_headers(
        owner.headers, 30, **{"Upload-Checksum": checksum("sha256", b"c" * 20)}))
    assert bad.status_code == 460
    assert "Upload-Checksum" in bad.json()["detail"]
    assert _offset(client, owner, location) == 30
    assert _bin(hub, location).read_bytes() == b"a" * 30
    good = client.patch(location, content=b"b" * 70, headers=patch_headers(
        owner.headers, 30, **{"Upload-Checksum": checksum("sha1", b"b" * 70)}))
    assert good.status_code == 204
    digest = client.get(location, headers=owner.headers).json()["sha256"]
    assert digest == hashlib.sha256(b"a" * 30 + b"b" * 70).hexdigest()


@pytest.mark.parametrize(("headers", "status", "words"), [
    ({"Upload-Length": "10"}, 400, "filename"),
    ({"Upload-Defer-Length": "1"}, 400, "Upload-Defer-Length is not supported"),
    ({"Upload-Length": "-1"}, 400, "whole number"),
    ({"Upload-Length": str(10**30)}, 400, "whole number"),
    ({"Upload-Length": str(2**40)}, 413, "Split it into parts"),
    ({"Upload-Length": "10", "Upload-Metadata": "filename !!!"}, 400, "base64"),
    ({"Upload-Length": "10", "Upload-Metadata": "filename"}, 400, "filename"),
    ({"Upload-Length": "10", "Upload-Metadata": metadata(filename="../x")}, 400, "plain file"),
    ({"Upload-Length": "10", "Upload-Metadata": metadata(filename="a", sha256="abc")}, 400,
     "64 hexadecimal"),
    ({"Upload-Length": "10", "Upload-Metadata": metadata(filename="a.csv") + ",filename YQ=="},
     400, "twice"),
])
def test_bad_creations_are_refused_with_the_fix(client: TestClient, hub: Hub, owner: Person,
                                                headers: dict[str, str], status: int,
                                                words: str) -> None:
    response = client.post(BASE, headers={**owner.headers, **TUS, **headers})
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert list(staging_dir(hub.settings).glob("*.info")) == []


def test_bad_checksum_headers_are_400(client: TestClient, owner: Person) -> None:
    location = _create(client, owner, 10)
    for value in ("md5 AAAA", "sha256 not-base64!", "sha1 " + base64.b64encode(b"short").decode()):
        response = client.patch(location, content=b"x", headers=patch_headers(
            owner.headers, 0, **{"Upload-Checksum": value}))
        assert response.status_code == 400, value
    assert _offset(client, owner, location) == 0


def test_a_declared_sha256_that_differs_fails_the_upload(client: TestClient, hub: Hub,
                                                         owner: Person) -> None:
    data = b"z" * 5000
    location = _create(client, owner, len(data), sha256=hashlib.sha256(b"other").hexdigest())
    response = client.patch(location, content=data, headers=patch_headers(owner.headers, 0))
    assert response.status_code == 460
    assert "upload the file again" in response.json()["detail"]
    status = client.get(location, headers=owner.headers).json()
    assert status["complete"] is False and "sha256" in status["error"]
    head = client.head(location, headers={**owner.headers, **TUS})
    assert head.status_code == 410
    assert not _bin(hub, location).exists()
    assert not hub.storage.exists(hashlib.sha256(data).hexdigest())
    with pytest.raises(Conflict, match="sha256"):
        get_completed_upload(hub.settings, status["id"], owner.user.id, utcnow())
    again = client.patch(location, content=b"", headers=patch_headers(owner.headers, 5000))
    assert again.status_code == 410


def test_the_sha256_is_rehashed_from_disk_when_the_process_forgot_it(
    client: TestClient, hub: Hub, owner: Person,
) -> None:
    data = bytes(range(251)) * 2000
    location = _create(client, owner, len(data))
    client.patch(location, content=data[:200_000], headers=patch_headers(owner.headers, 0))
    forget_cached_hashes()  # as after a restart, or when another process took the upload
    client.patch(location, content=data[200_000:], headers=patch_headers(owner.headers, 200_000))
    status = client.get(location, headers=owner.headers).json()
    assert status["sha256"] == hashlib.sha256(data).hexdigest()


def test_bytes_a_crashed_writer_left_past_the_offset_are_dropped(
    client: TestClient, hub: Hub, owner: Person,
) -> None:
    location = _create(client, owner, 20)
    client.patch(location, content=b"a" * 5, headers=patch_headers(owner.headers, 0))
    with _bin(hub, location).open("ab") as handle:
        handle.write(b"GARBAGE")  # written, never acknowledged in the .info
    client.patch(location, content=b"b" * 15, headers=patch_headers(owner.headers, 5))
    data = b"a" * 5 + b"b" * 15
    assert client.get(location, headers=owner.headers).json()["sha256"] == \
        hashlib.sha256(data).hexdigest()


def test_termination_deletes_the_upload(client: TestClient, hub: Hub, owner: Person) -> None:
    location = _create(client, owner, 10)
    client.patch(location, content=b"a" * 4, headers=patch_headers(owner.headers, 0))
    response = client.delete(location, headers={**owner.headers, **TUS})
    assert response.status_code == 204
    assert client.head(location, headers={**owner.headers, **TUS}).status_code == 404
    assert list(staging_dir(hub.settings).iterdir()) == []


def test_expired_uploads_are_gone(client: TestClient, hub: Hub, owner: Person) -> None:
    from aihub.datasets.uploads import expire_uploads

    unfinished = _create(client, owner, 10)
    finished = _create(client, owner, 3)
    client.patch(finished, content=b"abc", headers=patch_headers(owner.headers, 0))
    assert expire_uploads(hub.settings, utcnow() + timedelta(hours=1)) == 0
    # An unfinished upload past its time is not found even before the sweep.
    later = utcnow() + timedelta(hours=hub.settings.upload_expiry_hours, minutes=1)
    upload_id = unfinished.rsplit("/", 1)[1]
    with pytest.raises(NotFound):
        get_completed_upload(hub.settings, upload_id, owner.user.id, later)
    assert expire_uploads(hub.settings, later) == 2
    assert client.head(unfinished, headers={**owner.headers, **TUS}).status_code == 404
    assert list(staging_dir(hub.settings).iterdir()) == []
    assert hub.storage.exists(hashlib.sha256(b"abc").hexdigest())  # the blob stays


def test_another_users_upload_does_not_exist_for_them(
    client: TestClient, hub: Hub, owner: Person, factories: Factories,
) -> None:
    location = _create(client, owner, 10)
    other = factories.person("someone-else")
    asks = [
        client.head(location, headers={**other.headers, **TUS}),
        client.get(location, headers=other.headers),
        client.patch(location, content=b"x", headers=patch_headers(other.headers, 0)),
        client.delete(location, headers={**other.headers, **TUS}),
    ]
    assert [r.status_code for r in asks] == [404, 404, 404, 404]
    assert _offset(client, owner, location) == 0
    with pytest.raises(NotFound):
        get_completed_upload(hub.settings, location.rsplit("/", 1)[1], other.user.id, utcnow())


@pytest.mark.parametrize("upload_id", ["..%2F..%2Faihub.sqlite3", "short", "A" * 33, "A" * 32])
def test_names_that_are_not_upload_ids_are_404(client: TestClient, owner: Person,
                                               upload_id: str) -> None:
    response = client.get(BASE + upload_id, headers=owner.headers)
    assert response.status_code == 404


def test_a_damaged_info_file_makes_the_upload_unknown(client: TestClient, hub: Hub,
                                                      owner: Person) -> None:
    location = _create(client, owner, 10)
    info = _bin(hub, location).with_suffix(".info")
    info.write_text("{not json")
    assert client.get(location, headers=owner.headers).status_code == 404


def test_visitors_get_401_with_the_usual_hint(client: TestClient) -> None:
    response = client.post(BASE, headers={**TUS, "Upload-Length": "1",
                                          "Upload-Metadata": metadata(filename="a")})
    assert response.status_code == 401
    assert "aihub token create" in response.json()["detail"]
    assert response.headers["tus-resumable"] == "1.0.0"
    revoked = client.post(BASE, headers={**TUS, "Authorization": "Bearer nope",
                                         "Upload-Length": "1"})
    assert revoked.status_code == 401


def test_another_request_writing_the_same_upload_gets_423(client: TestClient, hub: Hub,
                                                          owner: Person) -> None:
    import fcntl
    import os

    location = _create(client, owner, 10)
    lock = _bin(hub, location).with_suffix(".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a writer in another process holds it
        response = client.patch(location, content=b"x", headers=patch_headers(owner.headers, 0))
        assert response.status_code == 423
        assert "HEAD" in response.json()["detail"]
    finally:
        os.close(fd)
    response = client.patch(location, content=b"x", headers=patch_headers(owner.headers, 0))
    assert response.status_code == 204


def test_a_post_with_x_http_method_override_is_that_method(client: TestClient,
                                                           owner: Person) -> None:
    # tus core: for clients behind proxies that let only GET and POST through.
    location = _create(client, owner, 10)
    sent = client.post(location, content=b"hello", headers={
        **patch_headers(owner.headers, 0), "X-HTTP-Method-Override": "PATCH"})
    assert sent.status_code == 204 and sent.headers["upload-offset"] == "5"
    asked = client.post(location, headers={**owner.headers, **TUS,
                                           "X-HTTP-Method-Override": "HEAD"})
    assert asked.status_code == 200 and asked.headers["upload-offset"] == "5"
    plain = client.post(location, content=b"world", headers=patch_headers(owner.headers, 5))
    assert plain.status_code == 405 and "X-HTTP-Method-Override" in plain.json()["detail"]
    assert _offset(client, owner, location) == 5
    gone = client.post(location, headers={**owner.headers, **TUS,
                                          "X-HTTP-Method-Override": "delete"})
    assert gone.status_code == 204
    assert client.head(location, headers={**owner.headers, **TUS}).status_code == 404
