"""The catalog through its API: a host publishes, and each tier decides who downloads."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any

import pytest
from catalog_helpers import API, People, publish_through_api, run_intake
from fastapi.testclient import TestClient
from sqlalchemy import select

from aihub.accounts.actor import Actor
from aihub.datasets import access
from aihub.datasets.models import DownloadLog
from aihub.datasets.services import get_dataset
from aihub.db import utcnow
from aihub.hub import Hub
from factories import Factories, Person

CSV = "station,pm10\n중구,41\n".encode()
FILE = f"{API}/datasets/{{slug}}/versions/1.0.0/files/data/pm10.csv"


@pytest.fixture
def people(live_factories: Factories) -> People:
    return People.make(live_factories)


def _get(api: TestClient, url: str, person: object = None) -> int:
    headers = getattr(person, "headers", {})
    return api.get(url, headers=headers).status_code


def test_a_host_publishes_and_a_visitor_reads_and_downloads(
    api: TestClient, live_hub: Hub, people: People
) -> None:
    host = people.host.headers
    created = api.post(f"{API}/datasets", headers=host, json={
        "organization": "daejeon-city", "slug": "air-quality", "title_ko": "대기질",
        "title_en": "Air quality", "licence": "KOGL-1", "tags": ["air", "대기"],
        "description_ko": "# 측정소별", "source": "Daejeon city sensors"})
    assert created.status_code == 201, created.text
    assert created.json()["published"] is False
    assert _get(api, f"{API}/datasets/air-quality") == 404  # not yet public
    assert api.get(f"{API}/datasets").json()["count"] == 0
    api.post(f"{API}/datasets/air-quality/versions", headers=host,
             json={"label": "1.0.0", "message": "First release"})
    sent = api.post(f"{API}/datasets/air-quality/versions/1.0.0/files", headers=host,
                    files={"file": ("pm10.csv", CSV)}, data={"path": "data/pm10.csv"})
    assert sent.json()["sha256"] == hashlib.sha256(CSV).hexdigest()
    submitted = api.post(f"{API}/datasets/air-quality/versions/1.0.0/submit", headers=host)
    assert submitted.json()["status"] == "quarantine"
    rev = submitted.json()["rev"]
    assert run_intake(live_hub, "air-quality", "1.0.0") == "review"
    published = api.post(f"{API}/datasets/air-quality/versions/1.0.0/publish",
                         headers=people.curator.headers)
    assert published.json()["status"] == "published"

    listed = api.get(f"{API}/datasets", params={"tag": "대기"}).json()
    assert [d["slug"] for d in listed["items"]] == ["air-quality"]
    assert listed["items"][0]["latest_version"]["rev"] == rev
    shown = api.get(f"{API}/datasets/air-quality").json()
    assert shown["licence"]["url"] == "https://www.kogl.or.kr/info/license.do"
    assert [v["label"] for v in shown["versions"]] == ["1.0.0"] and not shown["is_host"]
    version = api.get(f"{API}/datasets/air-quality/versions/{rev}").json()
    assert version["download"] == "allowed" and version["findings"] is None
    assert version["files"][0]["profile"]["preview"] == [["중구", "5"]]
    manifest = api.get(f"{API}/datasets/air-quality/versions/1.0.0/manifest")
    assert hashlib.sha256(manifest.content).hexdigest() == rev
    download = api.get(FILE.format(slug="air-quality"))
    assert download.content == CSV and download.headers["etag"] == f'"{sent.json()["sha256"]}"'
    assert api.get(f"{API}/datasets/air-quality/versions/{rev}/files/data/pm10.csv"
                   ).content == CSV
    with live_hub.db.reading() as session:  # open data keeps no per-user log
        assert session.scalars(select(DownloadLog)).all() == []


def test_registered_data_needs_a_login_and_the_accepted_licence(
    api: TestClient, live_hub: Hub, people: People
) -> None:
    publish_through_api(api, live_hub, people, "reg", tier="registered", licence="KOGL-2")
    url = FILE.format(slug="reg")
    refused = api.get(url)
    assert refused.status_code == 401 and "log in" in refused.json()["detail"]
    refused = api.get(url, headers=people.member.headers)
    assert refused.status_code == 403
    assert "POST /api/v1/datasets/reg/licence" in refused.json()["detail"]
    shown = api.get(f"{API}/datasets/reg/versions/1.0.0", headers=people.member.headers).json()
    assert shown["download"] == "accept_licence"
    assert "preview" not in shown["files"][0]["profile"]  # the data stays behind the tier
    assert "top_values" not in shown["files"][0]["profile"]["columns"][0]
    accepted = api.post(f"{API}/datasets/reg/licence", headers=people.member.headers,
                        json={"purpose": "research"})
    assert accepted.json()["licence"] == "KOGL-2"
    assert api.get(url, headers=people.member.headers).status_code == 200
    assert api.get(url, headers=people.member.headers | {"Range": "bytes=5-"}
                   ).status_code == 206
    with live_hub.db.reading() as session:  # a resumed range is not a second download
        logged = session.scalars(select(DownloadLog.user_id)).all()
    assert logged == [people.member.user.id]
    # A changed licence asks again.
    api.patch(f"{API}/datasets/reg", headers=people.host.headers, json={"licence": "KOGL-4"})
    assert api.get(url, headers=people.member.headers).status_code == 403
    for person in (people.host, people.curator):
        assert _get(api, url, person) == 200


def test_changed_custom_terms_are_accepted_again(
    api: TestClient, live_hub: Hub, people: People
) -> None:
    created = api.post(f"{API}/datasets", headers=people.host.headers, json={
        "organization": "daejeon-city", "slug": "terms", "title_ko": "이용조건",
        "licence": "custom", "licence_text": "Research only.", "access_tier": "registered"})
    assert created.status_code == 201, created.text
    publish_through_api(api, live_hub, people, "terms")
    url, member = FILE.format(slug="terms"), people.member.headers
    accepted = api.post(f"{API}/datasets/terms/licence", headers=member, json={})
    assert accepted.json()["licence"] == "custom"
    assert api.get(url, headers=member).status_code == 200
    # The same licence id with other terms: the member has not agreed to these.
    api.patch(f"{API}/datasets/terms", headers=people.host.headers,
              json={"licence_text": "Research only; no redistribution."})
    refused = api.get(url, headers=member)
    assert refused.status_code == 403 and "Accept the licence" in refused.json()["detail"]
    assert api.get(f"{API}/datasets/terms", headers=member).json()["licence_accepted"] is False
    api.post(f"{API}/datasets/terms/licence", headers=member, json={})
    assert api.get(url, headers=member).status_code == 200
    assert api.get(f"{API}/datasets/terms", headers=member).json()["licence_accepted"] is True


def _ask(api: TestClient, person: Person, slug: str = "gated",
         **extra: object) -> tuple[int, dict[str, Any]]:
    today = date.today()
    body = {"organization": "KAIST", "purpose": "Train a PM10 forecaster.",
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=90)).isoformat()} | extra
    answer = api.post(f"{API}/datasets/{slug}/access-requests", headers=person.headers,
                      json=body)
    return answer.status_code, answer.json()


def test_approval_data_follows_each_request_from_pending_to_revoked(
    api: TestClient, live_hub: Hub, people: People
) -> None:
    publish_through_api(api, live_hub, people, "gated", tier="approval")
    url, member = FILE.format(slug="gated"), people.member
    refused = api.get(url, headers=member.headers)
    assert refused.status_code == 403 and "access-requests" in refused.json()["detail"]
    code, first = _ask(api, member)
    assert code == 201 and first["status"] == "pending" and first["overdue"] is False
    assert first["due_at"] > first["created_at"]
    assert _get(api, url, member) == 403  # pending
    assert _ask(api, member)[0] == 409  # one open request at a time
    assert api.get(f"{API}/access-requests/{first['id']}",
                   headers=people.other_host.headers).status_code == 404
    decide = f"{API}/access-requests/{first['id']}/decision"
    refused = api.post(decide, headers=people.host.headers, json={"accept": False})
    assert refused.status_code == 422 and "reason: is required" in refused.json()["detail"]
    too_long = api.post(decide, headers=people.host.headers,
                        json={"accept": False, "reason": "x" * 201})
    assert too_long.status_code == 422 and "the limit is 200" in too_long.json()["detail"]
    rejected = api.post(decide, headers=people.host.headers,
                        json={"accept": False, "reason": "Purpose unclear."})
    assert rejected.json()["status"] == "rejected"
    assert _get(api, url, member) == 403
    code, second = _ask(api, member, purpose="Forecast PM10 for schools, non-commercial.")
    assert code == 201  # a new request after a refusal; the old one is kept
    mine = api.get(f"{API}/access-requests/mine", headers=member.headers).json()
    assert [r["status"] for r in mine] == ["pending", "rejected"]
    listed = api.get(f"{API}/datasets/gated/access-requests", headers=people.host.headers,
                     params={"status": "pending"}).json()
    assert [r["id"] for r in listed] == [second["id"]]
    assert listed[0]["user"] == member.user.username
    accepted = api.post(f"{API}/access-requests/{second['id']}/decision",
                        headers=people.curator.headers, json={"accept": True})
    assert accepted.json()["status"] == "accepted"
    assert _get(api, url, member) == 200
    revoked = api.post(f"{API}/access-requests/{second['id']}/revoke",
                       headers=people.host.headers, json={"reason": "Period misused."})
    assert revoked.json()["status"] == "revoked" and revoked.json()["reason"]
    assert _get(api, url, member) == 403
    assert api.get(f"{API}/datasets/gated", headers=member.headers).json()[
        "access_request"] == "revoked"


def _asked_a_month_ago(hub: Hub, member: Person, *, accepted_by: Person | None) -> int:
    """A request made a month ago for three weeks (over nine days ago), answered then."""
    today, then = date.today(), utcnow() - timedelta(days=30)
    with hub.db.transaction() as session:
        asked = access.request_access(
            session, get_dataset(session, "gated"), Actor(member.user), purpose="Study",
            starts_on=today - timedelta(days=30), ends_on=today - timedelta(days=9),
            commercial_use=False, due_days=14, now=then)
        if accepted_by is not None:
            access.decide_access_request(session, asked, Actor(accepted_by.user),
                                         accept=True, now=then)
        return asked.id


def test_access_ends_with_the_period_asked_for_and_may_be_asked_again(
    api: TestClient, live_hub: Hub, people: People
) -> None:
    publish_through_api(api, live_hub, people, "gated", tier="approval")
    member, url = people.member, FILE.format(slug="gated")
    _asked_a_month_ago(live_hub, member, accepted_by=people.curator)
    refused = api.get(url, headers=member.headers)
    assert refused.status_code == 403 and "approved access request" in refused.json()["detail"]
    shown = api.get(f"{API}/datasets/gated/versions/1.0.0", headers=member.headers).json()
    assert shown["download"] == "request_access"
    code, again = _ask(api, member)  # the period is over: a new request, not a conflict
    assert code == 201, again
    api.post(f"{API}/access-requests/{again['id']}/decision", headers=people.host.headers,
             json={"accept": True})
    assert api.get(url, headers=member.headers).status_code == 200
    code, third = _ask(api, member)  # while a period runs, the request is still open
    assert code == 409 and "accepted request" in third["detail"]


def test_a_request_whose_period_passed_unanswered_is_refused_not_accepted(
    api: TestClient, live_hub: Hub, people: People
) -> None:
    publish_through_api(api, live_hub, people, "gated", tier="approval")
    lapsed = _asked_a_month_ago(live_hub, people.member, accepted_by=None)
    late = api.post(f"{API}/access-requests/{lapsed}/decision", headers=people.host.headers,
                    json={"accept": True})
    assert late.status_code == 409 and "which is over" in late.json()["detail"]
    assert api.get(f"{API}/access-requests/{lapsed}",
                   headers=people.member.headers).json()["status"] == "pending"
    code, again = _ask(api, people.member)  # the lapsed request does not stand in the way
    assert code == 201, again


def test_a_commercial_request_for_non_commercial_data_is_refused(
    api: TestClient, live_hub: Hub, people: People
) -> None:
    publish_through_api(api, live_hub, people, "gated", tier="approval", licence="KOGL-4")
    code, refused = _ask(api, people.member, commercial_use=True)
    assert code == 422 and "forbids commercial use" in refused["detail"]


def test_unpublished_datasets_and_versions_are_not_found_for_others(
    api: TestClient, live_hub: Hub, people: People
) -> None:
    publish_through_api(api, live_hub, people, "public-one")
    api.post(f"{API}/datasets/public-one/versions", headers=people.host.headers,
             json={"label": "2.0.0", "message": "Draft"})
    api.post(f"{API}/datasets", headers=people.host.headers, json={
        "organization": "daejeon-city", "slug": "secret", "title_ko": "비공개",
        "licence": "CC-BY-4.0"})
    for person in (None, people.member, people.other_host):
        assert _get(api, f"{API}/datasets/secret", person) == 404
        assert _get(api, f"{API}/datasets/public-one/versions/2.0.0", person) == 404
        shown = api.get(f"{API}/datasets/public-one",
                        headers=getattr(person, "headers", {})).json()
        assert [v["label"] for v in shown["versions"]] == ["1.0.0"]
        slugs = [d["slug"] for d in api.get(
            f"{API}/datasets", headers=getattr(person, "headers", {})).json()["items"]]
        assert slugs == ["public-one"]
    for person in (people.host, people.curator):
        assert _get(api, f"{API}/datasets/secret", person) == 200
        assert _get(api, f"{API}/datasets/public-one/versions/2.0.0", person) == 200
        assert api.get(f"{API}/datasets", headers=person.headers).json()["count"] == 2


def test_a_withdrawn_version_is_a_tombstone(api: TestClient, live_hub: Hub,
                                            people: People) -> None:
    publish_through_api(api, live_hub, people, "taken-down")
    withdrawn = api.post(f"{API}/datasets/taken-down/versions/1.0.0/withdraw",
                         headers=people.host.headers,
                         json={"reason": "Names were found after publication."})
    assert withdrawn.json()["status"] == "withdrawn"
    shown = api.get(f"{API}/datasets/taken-down/versions/1.0.0").json()
    assert shown["reason"] == "Names were found after publication."
    gone = api.get(FILE.format(slug="taken-down"), headers=people.member.headers)
    assert gone.status_code == 410 and "Names were found" in gone.json()["detail"]
    assert _get(api, FILE.format(slug="taken-down"), people.host) == 200


def test_findings_are_for_hosts_and_curators_who_decide_them(
    api: TestClient, live_hub: Hub, people: People
) -> None:
    host = people.host.headers
    api.post(f"{API}/datasets", headers=host, json={
        "organization": "daejeon-city", "slug": "phones", "title_ko": "연락처",
        "licence": "KOGL-1"})
    api.post(f"{API}/datasets/phones/versions", headers=host,
             json={"label": "1.0.0", "message": "x"})
    api.post(f"{API}/datasets/phones/versions/1.0.0/files", headers=host,
             files={"file": ("t.csv", b"tel\n010-1234-5678\n")})
    api.post(f"{API}/datasets/phones/versions/1.0.0/submit", headers=host)
    report = {"findings": [{"pattern_id": "KR_MOBILE", "severity": "REVIEW",
                            "column": "tel", "count": 1, "examples": ["010-****-5678"]}]}
    assert run_intake(live_hub, "phones", "1.0.0", {"t.csv": report}) == "review"
    version = api.get(f"{API}/datasets/phones/versions/1.0.0", headers=host).json()
    assert version["findings"][0]["pattern_id"] == "KR_MOBILE"
    assert version["files"][0]["pii_report"] == report
    url = f"{API}/datasets/phones/versions/1.0.0"
    refused = api.post(f"{url}/publish", headers=people.curator.headers)
    assert refused.status_code == 409 and "awaits a curator's decision" in refused.text
    decision = {"path": "t.csv", "column": "tel", "pattern_id": "KR_MOBILE",
                "decision": "cleared", "reason": "The city's switchboard number."}
    assert api.post(f"{url}/findings", headers=host, json=decision).status_code == 403
    assert api.post(f"{url}/findings", headers=people.curator.headers,
                    json=decision).status_code == 201
    assert api.post(f"{url}/publish", headers=people.curator.headers).status_code == 200
    public = api.get(url).json()
    assert public["findings"] is None and public["files"][0]["pii_report"] is None


def test_a_finding_under_a_long_header_is_decided_and_published(
    api: TestClient, live_hub: Hub, people: People
) -> None:
    # A survey's question as the header, in a zip member's folder: over 255 characters.
    column = "responses/2024/설문: " + "귀하의 연락처(휴대전화)를 적어 주십시오 " * 14
    assert len(column) > 255
    api.post(f"{API}/datasets", headers=people.host.headers, json={
        "organization": "daejeon-city", "slug": "survey", "title_ko": "설문",
        "licence": "KOGL-1"})
    url = f"{API}/datasets/survey/versions/1.0.0"
    api.post(f"{API}/datasets/survey/versions", headers=people.host.headers,
             json={"label": "1.0.0", "message": "x"})
    api.post(f"{url}/files", headers=people.host.headers,
             files={"file": ("s.zip", b"PK\x05\x06" + bytes(18))})
    api.post(f"{url}/submit", headers=people.host.headers)
    report = {"findings": [{"pattern_id": "KR_MOBILE", "severity": "REVIEW",
                            "column": column, "count": 3}]}
    assert run_intake(live_hub, "survey", "1.0.0", {"s.zip": report}) == "review"
    decided = api.post(f"{url}/findings", headers=people.curator.headers, json={
        "path": "s.zip", "column": column, "pattern_id": "KR_MOBILE", "decision": "cleared",
        "reason": "The survey office's numbers."})
    assert decided.status_code == 201, decided.text
    assert decided.json()["column"] == column
    assert api.post(f"{url}/publish", headers=people.curator.headers).status_code == 200
