"""Helpers of the catalog's API tests: the intake a job will run, and a small world of
people around one organization's datasets."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient

from aihub.datasets import versions
from aihub.datasets.services import get_dataset
from aihub.hub import Hub
from factories import Factories, Person

API = "/api/v1"
CLEAN: dict[str, Any] = {"findings": []}


def run_intake(hub: Hub, slug: str, label: str,
               reports: dict[str, dict[str, Any]] | None = None) -> str:
    """What the intake jobs will do: record each file's profile and PII report."""
    with hub.db.transaction() as session:
        dataset = get_dataset(session, slug)
        version = next(v for v in dataset.versions if v.label == label)
        results = {f.path: {"profile": {"row_count": 1, "columns": [
            {"name": "station", "type": "text", "top_values": [["중구", 1]]}],
            "preview": [["중구", "5"]]}, "pii_report": (reports or {}).get(f.path, CLEAN)}
            for f in versions.version_files(session, version)}
        return versions.record_intake(session, version, results).status


@dataclass
class People:
    host: Person
    other_host: Person  # a host of another organization
    member: Person
    curator: Person

    @classmethod
    def make(cls, factories: Factories) -> People:
        return cls(host=factories.host("daejeon-city"),
                   other_host=factories.host("gwangju-city"),
                   member=factories.person(), curator=factories.curator())


def publish_through_api(api: TestClient, hub: Hub, people: People, slug: str, *,
                        tier: str = "open", licence: str = "KOGL-1",
                        files: dict[str, bytes] | None = None, label: str = "1.0.0"
                        ) -> dict[str, Any]:
    """Create (if needed), fill, submit, scan and publish a version through the API."""
    host = people.host.headers
    if api.get(f"{API}/datasets/{slug}", headers=host).status_code == 404:
        created = api.post(f"{API}/datasets", headers=host, json={
            "organization": "daejeon-city", "slug": slug, "title_ko": "대기질",
            "licence": licence, "access_tier": tier, "tags": ["air"]})
        assert created.status_code == 201, created.text
    made = api.post(f"{API}/datasets/{slug}/versions", headers=host,
                    json={"label": label, "message": f"Release {label}"})
    assert made.status_code == 201, made.text
    for path, content in (files or {"data/pm10.csv": b"station,pm10\n1,5\n"}).items():
        sent = api.post(f"{API}/datasets/{slug}/versions/{label}/files", headers=host,
                        files={"file": ("x.bin", content)}, data={"path": path})
        assert sent.status_code == 201, sent.text
    assert api.post(f"{API}/datasets/{slug}/versions/{label}/submit",
                    headers=host).status_code == 200
    assert run_intake(hub, slug, label) == "review"
    published = api.post(f"{API}/datasets/{slug}/versions/{label}/publish",
                         headers=people.curator.headers)
    assert published.status_code == 200, published.text
    body: dict[str, Any] = published.json()
    return body


def tus_upload(api: TestClient, person: Person, content: bytes, filename: str) -> str:
    """A finished tus upload (creation-with-upload) of ``person``; its id."""
    encoded = base64.b64encode(filename.encode()).decode()
    created = api.post(f"{API}/uploads/", content=content, headers={
        **person.headers, "Tus-Resumable": "1.0.0", "Upload-Length": str(len(content)),
        "Upload-Metadata": f"filename {encoded}",
        "Content-Type": "application/offset+octet-stream"})
    assert created.status_code == 201, created.text
    return created.headers["location"].rstrip("/").rsplit("/", 1)[1]
