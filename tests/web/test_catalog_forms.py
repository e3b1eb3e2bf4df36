"""The catalog's forms give themselves back, with what was typed and the reason, whatever
a field holds: a text longer than its limit is the services' to refuse in words, not a
bare error page; and nothing is stored."""

from __future__ import annotations

import html
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from aihub.datasets import access, services
from aihub.datasets.models import AccessRequest, DataRequest, DatasetVersion
from aihub.hub import Hub
from factories import Factories
from webclient import csrf_token, sign_in, web_client

LONG = "가" * 20_000  # longer than every limit of these forms


@pytest.fixture
def web(hub: Hub) -> Any:
    with web_client(hub) as client:
        yield client


def _form_back(response: Any, field: str) -> str:
    """The page with its form, the field marked invalid; its text unescaped."""
    assert response.status_code == 422, response.status_code
    text = html.unescape(response.text)
    assert f'id="f-{field}"' in text and "<form" in text, text[:300]
    assert f'id="e-{field}"' in text or 'role="alert"' in text
    return text


def test_an_over_long_text_brings_each_form_back(
        web: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    factories.dataset(host, "closed", tier="approval")
    factories.dataset(host, "open-air", publish=False)
    member = factories.person()
    with hub.db.transaction() as session:
        request = access.request_access(
            session, services.get_dataset(session, "closed"), factories.actor(member),
            purpose="연구", starts_on=date.today(),
            ends_on=date.today() + timedelta(days=30), commercial_use=False,
            organization="", due_days=10)
        request_id = request.id
    sign_in(web, hub, host)
    token = csrf_token(web, "/host/datasets")
    label = web.post("/host/datasets/open-air/versions/new",
                     data={"label": "1" * 100, "message": "m", "csrf_token": token})
    assert "1" * 100 in _form_back(label, "label")
    reason = web.post(f"/host/datasets/closed/access-requests/{request_id}/decision",
                      data={"accept": "false", "reason": LONG, "csrf_token": token})
    assert reason.status_code == 422 and "<form" in reason.text
    sign_in(web, hub, factories.person())
    token = csrf_token(web, "/datasets/closed")
    today = date.today()
    asked = web.post("/datasets/closed/access-requests", data={
        "purpose": LONG, "starts_on": str(today), "ends_on": str(today + timedelta(days=9)),
        "csrf_token": token})
    _form_back(asked, "purpose")
    wanted = web.post("/data-requests/new", data={"title": LONG, "csrf_token": token})
    _form_back(wanted, "title")
    with hub.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(DatasetVersion)) == 2
        assert session.scalar(select(func.count()).select_from(AccessRequest)) == 1
        assert session.scalar(select(func.count()).select_from(DataRequest)) == 0
        assert session.scalar(select(AccessRequest.status)) == "pending"


@pytest.fixture
def web_en(hub: Hub) -> Any:
    with web_client(hub, lang="en") as client:
        yield client


def test_the_services_refusals_are_said_in_the_readers_language(
        web: TestClient, web_en: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    fields = {"organization": "daejeon-city", "slug": "Busan Air!", "title_ko": "부산",
              "licence": "KOGL-1", "access_tier": "open"}
    for client, words in ((web, "데이터셋 이름은 영문 소문자"),
                          (web_en, "A dataset's name is 2 to 100 lowercase letters")):
        sign_in(client, hub, host)
        token = csrf_token(client, "/host/datasets/new")
        response = client.post("/host/datasets/new", data=fields | {"csrf_token": token})
        assert words in html.unescape(_form_back(response, "slug"))
    assert "a dataset's name is" not in html.unescape(
        web.post("/host/datasets/new", data=fields | {
            "csrf_token": csrf_token(web, "/host/datasets/new")}).text)


def test_a_refusal_not_known_yet_is_shown_as_the_service_wrote_it(hub: Hub) -> None:
    from starlette.requests import Request

    from aihub.accounts.actor import VISITOR
    from aihub.web.context import Page
    from aihub.web.pages.catalog_admin_messages import say

    page = Page(request=Request({"type": "http", "headers": []}), hub=hub, actor=VISITOR,
                locale="ko", session_token=None, browser_id="b")
    assert say(page, "is required.") == "필수 항목입니다."
    assert say(page, "is 9 characters long; the limit is 5.") == "9자입니다. 5자 이하로 줄이세요."
    assert say(page, "Something new went wrong.") == "Something new went wrong."
    lapsed = ("Access request 7 asked for the data until 2026-01-31, which is over; refuse "
              "it, and the member may ask again for new dates.")
    assert say(page, lapsed).startswith("신청자가 2026-01-31까지")


def test_error_pages_say_the_refusal_in_the_readers_language(
        web: TestClient, web_en: TestClient, hub: Hub, factories: Factories) -> None:
    factories.dataset(factories.host(), "air")
    korean = {
        "/datasets/nope": "'nope'라는 데이터셋이 없습니다.",
        "/datasets/air?version=9.9.9": "이 데이터셋에는 '9.9.9' 버전이 없습니다.",
        "/datasets/air/versions/1.0.0/files/none.csv": "1.0.0 버전에는 'none.csv' 파일이 없습니다.",
        "/data-requests/999": "999번 데이터 요청이 없습니다.",
    }
    for path, words in korean.items():
        page = web.get(path)
        assert page.status_code == 404, path
        assert words in html.unescape(page.text), path
        assert "GET /api/v1" not in page.text  # no API hint on a page
    assert "No dataset is called 'nope'." in html.unescape(web_en.get("/datasets/nope").text)
    sign_in(web, hub, factories.host("busan-city"))
    other = web.get("/host/datasets/air/edit")
    assert other.status_code == 403
    assert "'air'의 호스트와 큐레이터만 할 수 있습니다." in html.unescape(other.text)
