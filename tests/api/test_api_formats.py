"""Every accepted file format scores the same through the API: CSV (UTF-8, BOM, CP949),
CSV.gz, a single-file zip and Parquet."""

from __future__ import annotations

import gzip
import io
import shutil
import zipfile
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient

from factories import Factories

API = "/api/v1"


@pytest.fixture
def setup(api: TestClient, live_factories: Factories) -> tuple[dict[str, str], str]:
    host, member = live_factories.host(), live_factories.person()
    folder = live_factories.bundle("formats", daily_limit=50)
    archive = shutil.make_archive(str(folder), "zip", root_dir=folder)
    created = api.post(f"{API}/challenges", headers=host.headers,
                       files={"file": ("b.zip", Path(archive).read_bytes())})
    assert created.status_code == 201, created.text
    api.post(f"{API}/challenges/formats/approve", headers=live_factories.curator().headers)
    api.post(f"{API}/challenges/formats/join", headers=member.headers)
    return member.headers, (folder / "baseline.csv").read_text()


def _encodings(text: str) -> dict[str, bytes]:
    # A Korean column (ignored by scoring) makes the legacy encodings matter.
    frame = pl.read_csv(io.StringIO(text)).with_columns(pl.lit("예측").alias("메모"))
    with_korean = frame.write_csv()
    parquet = io.BytesIO()
    pl.read_csv(io.StringIO(text)).write_parquet(parquet)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("predictions.csv", text)
    return {
        "plain.csv": text.encode(),
        "bom.csv": b"\xef\xbb\xbf" + text.encode(),
        "cp949.csv": with_korean.encode("cp949"),
        "euckr-crlf.csv": with_korean.replace("\n", "\r\n").encode("euc-kr"),
        "sub.csv.gz": gzip.compress(text.encode()),
        "sub.zip": zipped.getvalue(),
        "sub.parquet": parquet.getvalue(),
        "parquet-named.csv": parquet.getvalue(),
    }


def test_all_formats_score_alike(api: TestClient, setup: tuple[dict[str, str], str]) -> None:
    headers, text = setup
    scores = {}
    for name, data in _encodings(text).items():
        response = api.post(f"{API}/challenges/formats/submissions", headers=headers,
                            files={"file": (name, data)}, params={"wait": 20})
        assert response.status_code == 201, (name, response.text)
        body = response.json()
        assert body["status"] == "finished", (name, body)
        scores[name] = body["public_score"]
    assert len(set(scores.values())) == 1, scores


def test_two_files_in_a_zip_is_explained(api: TestClient,
                                         setup: tuple[dict[str, str], str]) -> None:
    headers, text = setup
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("a.csv", text)
        zf.writestr("b.csv", text)
    response = api.post(f"{API}/challenges/formats/submissions", headers=headers,
                        files={"file": ("two.zip", zipped.getvalue())})
    assert response.status_code == 422
    assert "one" in response.json()["detail"].lower()


def test_binary_garbage_is_explained(api: TestClient, setup: tuple[dict[str, str], str]) -> None:
    headers, _ = setup
    response = api.post(f"{API}/challenges/formats/submissions", headers=headers,
                        files={"file": ("x.csv", bytes(range(256)) * 50)})
    assert response.status_code == 422
    assert response.json()["detail"]
