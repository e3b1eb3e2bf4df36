"""Hosts' access-request page, and attaching a tus upload made by the page's session."""

from __future__ import annotations

import base64
import hashlib
import html
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from aihub.datasets import access, services
from aihub.datasets.models import AccessRequest, DatasetFile
from aihub.db import utcnow
from aihub.hub import Hub
from factories import Factories, Person
from webclient import csrf_token, sign_in, web_client

PAGE = "/host/datasets/closed/access-requests"


@pytest.fixture
def web(hub: Hub) -> Any:
    with web_client(hub) as client:
        yield client


def _ask(hub: Hub, factories: Factories, member: Person, purpose: str) -> int:
    with hub.db.transaction() as session:
        dataset = services.get_dataset(session, "closed")
        request = access.request_access(
            session, dataset, factories.actor(member), purpose=purpose,
            starts_on=date.today(), ends_on=date.today() + timedelta(days=90),
            commercial_use=False, organization="대전대학교", due_days=10)
        return request.id


def _status(hub: Hub, request_id: int) -> tuple[str, str]:
    with hub.db.reading() as session:
        row = session.get_one(AccessRequest, request_id)
        return row.status, row.reason


def test_a_host_answers_access_requests_oldest_due_first(
        web: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    factories.dataset(host, "closed", tier="approval")
    late = _ask(hub, factories, factories.person("late"), "교통 연구")
    soon = _ask(hub, factories, factories.person("soon"), "졸업 논문")
    with hub.db.transaction() as session:  # the first is overdue
        session.execute(update(AccessRequest).where(AccessRequest.id == late)
                        .values(due_at=utcnow() - timedelta(days=1)))
    sign_in(web, hub, host)
    page = web.get(PAGE).text
    assert page.index("교통 연구") < page.index("졸업 논문")
    assert page.count('class="overdue"') == 1
    token = csrf_token(web, PAGE)
    too_long = web.post(f"{PAGE}/{soon}/decision",
                        data={"accept": "false", "reason": "x" * 201, "csrf_token": token})
    assert too_long.status_code == 422
    assert "201자입니다. 200자 이하로" in html.unescape(too_long.text)
    assert 'value="' + "x" * 201 + '"' in too_long.text  # kept as typed
    no_reason = web.post(f"{PAGE}/{soon}/decision",
                         data={"accept": "false", "reason": "", "csrf_token": token})
    assert no_reason.status_code == 422
    assert _status(hub, soon) == ("pending", "")
    rejected = web.post(f"{PAGE}/{soon}/decision",
                        data={"accept": "false", "reason": "목적이 불분명", "csrf_token": token})
    assert rejected.headers["location"] == f"{PAGE}?done=rejected"
    accepted = web.post(f"{PAGE}/{late}/decision", data={"accept": "true", "csrf_token": token})
    assert accepted.headers["location"] == f"{PAGE}?done=accepted"
    assert _status(hub, late) == ("accepted", "")
    twice = web.post(f"{PAGE}/{late}/decision", data={"accept": "true", "csrf_token": token})
    assert twice.status_code == 409 and "그 사이에 상태가 바뀌었습니다" in html.unescape(twice.text)
    empty = web.post(f"{PAGE}/{late}/revoke", data={"reason": " ", "csrf_token": token})
    assert empty.status_code == 422
    revoked = web.post(f"{PAGE}/{late}/revoke", data={"reason": "기간 위반", "csrf_token": token})
    assert revoked.headers["location"] == f"{PAGE}?done=revoked"
    assert _status(hub, late) == ("revoked", "기간 위반")
    assert "목적이 불분명" in web.get(PAGE).text


def test_only_the_hosts_answer(web: TestClient, hub: Hub, factories: Factories) -> None:
    factories.dataset(factories.host(), "closed", tier="approval")
    member = factories.person()
    request_id = _ask(hub, factories, member, "연구")
    for person, status in ((member, 403), (factories.host("busan-city"), 403)):
        sign_in(web, hub, person)
        assert web.get(PAGE).status_code == status
        token = csrf_token(web, "/")
        response = web.post(f"{PAGE}/{request_id}/decision",
                            data={"accept": "true", "csrf_token": token})
        assert response.status_code == status
    # A request of another dataset is not found under this one's address.
    host = factories.host()
    factories.dataset(host, "other", tier="approval")
    sign_in(web, hub, host)
    response = web.post(f"/host/datasets/other/access-requests/{request_id}/decision",
                        data={"accept": "true", "csrf_token": csrf_token(web, "/")})
    assert response.status_code == 404
    assert _status(hub, request_id) == ("pending", "")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_a_finished_tus_upload_of_the_page_is_attached(
        web: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    factories.dataset(host, "air", files={}, publish=False)
    sign_in(web, hub, host)
    url = "/host/datasets/air/versions/1.0.0"
    token = csrf_token(web, url)
    body = "station,pm10\n중구,31\n".encode()
    tus = {"Tus-Resumable": "1.0.0", "Upload-Length": str(len(body)),
           "Upload-Metadata": f"filename {_b64('측정.csv')}",
           "Content-Type": "application/offset+octet-stream"}
    refused = web.post("/api/v1/uploads/", headers=tus, content=body)
    assert refused.status_code == 403  # a session without the page's token
    created = web.post("/api/v1/uploads/", headers=tus | {"X-CSRF-Token": token}, content=body)
    assert created.status_code == 201, created.text
    upload_id = created.headers["location"].rsplit("/", 1)[1]
    stranger = factories.host("busan-city")
    with web_client(hub) as other:
        sign_in(other, hub, stranger)
        response = other.post("/host/datasets/air/versions/1.0.0/uploads",
                              data={"upload_id": upload_id,
                                    "csrf_token": csrf_token(other, "/")})
        assert response.status_code == 404  # not their dataset
    bad = web.post(f"{url}/uploads", data={"upload_id": "nope", "csrf_token": token})
    assert bad.status_code == 422 and "upload" in html.unescape(bad.text)
    attached = web.post(f"{url}/uploads", data={"upload_id": upload_id, "path": "data/a.csv",
                                                "csrf_token": token})
    assert attached.headers["location"] == f"{url}?done=attached"
    again = web.post(f"{url}/uploads", data={"upload_id": upload_id, "csrf_token": token})
    assert again.status_code == 422  # forgotten once attached
    with hub.db.reading() as session:
        item = session.scalars(select(DatasetFile)).one()
        assert (item.path, item.sha256) == ("data/a.csv", hashlib.sha256(body).hexdigest())
