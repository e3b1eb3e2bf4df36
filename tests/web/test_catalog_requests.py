"""Data request pages: the list (most supported first), asking, "me too", and the answer,
extension and fulfilment forms of curators and the hosts a request is addressed to."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from aihub.hub import Hub
from factories import Factories
from webclient import csrf_token, sign_in, web_client


def post(client: TestClient, path: str, form_page: str, **data: str) -> httpx.Response:
    return client.post(path, data={"csrf_token": csrf_token(client, form_page), **data})


def ask(client: TestClient, title: str, **extra: str) -> int:
    sent = post(client, "/data-requests/new", "/data-requests/new", title=title,
                description="2020년부터 정류장별 승하차 인원.", **extra)
    assert sent.status_code == 303, sent.text
    return int(sent.headers["location"].rsplit("/", 1)[1])


def test_visitors_read_members_ask(web: TestClient, live_hub: Hub,
                                   live_factories: Factories) -> None:
    assert web.get("/data-requests").status_code == 200
    assert "아직 데이터 요청이 없습니다." in web.get("/data-requests").text
    login = web.get("/data-requests/new")
    assert login.status_code == 303 and login.headers["location"].startswith("/login")
    member = live_factories.person()
    sign_in(web, live_hub, member)
    empty = post(web, "/data-requests/new", "/data-requests/new", title="",
                 description="무엇이든")
    assert empty.status_code == 422 and 'aria-invalid="true"' in empty.text
    assert "무엇이든" in empty.text  # what was typed stays
    nowhere = post(web, "/data-requests/new", "/data-requests/new", title="버스",
                   description="승하차", addressed_to="no-such-org")
    assert nowhere.status_code == 422 and "라는 기관이 없습니다" in nowhere.text
    request_id = ask(web, "버스 승하차 인원")
    page = web.get(f"/data-requests/{request_id}")
    assert page.status_code == 200 and "버스 승하차 인원" in page.text
    assert "처리 기한" in page.text and "접수됨" in page.text
    assert "나도 필요해요" not in page.text  # one's own request counts one already
    assert web.get("/data-requests/999999").status_code == 404
    assert web.get("/data-requests/abc").status_code in (404, 422)


def test_me_too_toggle_and_order(web: TestClient, live_hub: Hub,
                                 live_factories: Factories) -> None:
    sign_in(web, live_hub, live_factories.person())
    quiet, wanted = ask(web, "조용한 요청"), ask(web, "인기 요청")
    with web_client(live_hub) as other:
        sign_in(other, live_hub, live_factories.person())
        page = other.get(f"/data-requests/{wanted}").text
        assert 'aria-pressed="false"' in page and "나도 필요해요" in page
        assert post(other, f"/data-requests/{wanted}/support", f"/data-requests/{wanted}",
                    support="1").status_code == 303
        after = other.get(f"/data-requests/{wanted}").text
        assert 'aria-pressed="true"' in after and "회원 1명이 공감합니다" in after
        twice = post(other, f"/data-requests/{wanted}/support", f"/data-requests/{wanted}",
                     support="1")
        assert twice.status_code in (303, 409)
    listing = web.get("/data-requests").text
    assert listing.index("인기 요청") < listing.index("조용한 요청")
    assert quiet != wanted
    with web_client(live_hub) as other:
        sign_in(other, live_hub, live_factories.person())
        post(other, f"/data-requests/{quiet}/support", f"/data-requests/{quiet}", support="1")
        assert post(other, f"/data-requests/{quiet}/support", f"/data-requests/{quiet}",
                    support="0").status_code == 303
        assert "회원 0명이 공감합니다" in other.get(f"/data-requests/{quiet}").text


def test_answer_extend_and_fulfil(web: TestClient, live_hub: Hub,
                                  live_factories: Factories) -> None:
    host, other_host = live_factories.host(), live_factories.host("gwangju-city")
    live_factories.dataset(host, "bus-riders")
    sign_in(web, live_hub, live_factories.person())
    request_id = ask(web, "버스 승하차 인원", addressed_to="daejeon-city")
    path = f"/data-requests/{request_id}"
    assert 'action="/data-requests/' not in web.get(path).text.replace("/support", "")
    with web_client(live_hub) as client:
        sign_in(client, live_hub, other_host)  # not addressed: no forms, and refused
        assert "요청에 답하기" not in client.get(path).text
        refused = post(client, f"{path}/answer", path, status="accepted", answer="네")
        assert refused.status_code == 403
        sign_in(client, live_hub, host)
        assert "요청에 답하기" in client.get(path).text
        bad = post(client, f"{path}/answer", path, status="fulfilled", answer="곧")
        assert bad.status_code == 422 and "데이터셋을 연결해서 완료합니다" in bad.text
        assert post(client, f"{path}/answer", path, status="under_review",
                    answer="확인 중입니다").status_code == 303
        assert post(client, f"{path}/extend", path, reason="").status_code == 422
        assert post(client, f"{path}/extend", path,
                    reason="기관 협의가 필요합니다").status_code == 303
        again = post(client, f"{path}/extend", path, reason="또")
        assert again.status_code == 409 and "이미 연장했습니다" in again.text
        unknown = post(client, f"{path}/fulfil", path, dataset="no-such-set")
        assert unknown.status_code == 422 and 'value="no-such-set"' in unknown.text
        done = post(client, f"{path}/fulfil", path, dataset="bus-riders", version="1.0.0",
                    answer="공개했습니다")
        assert done.status_code == 303
    page = web.get(path).text
    assert "제공됨" in page and 'href="/datasets/bus-riders?version=1.0.0"' in page
    assert "기관 협의가 필요합니다" in page
    filtered = web.get("/data-requests", params={"status": "fulfilled"}).text
    assert "버스 승하차 인원" in filtered
    assert "버스" not in re.sub(r"<[^>]+>", "", web.get(
        "/data-requests", params={"status": "rejected"}).text.split("<main", 1)[1])
    bad_status = web.get("/data-requests", params={"status": "bogus"})
    assert bad_status.status_code == 422 and 'aria-invalid="true"' in bad_status.text


def test_english_request_pages(web_en: TestClient, live_hub: Hub,
                               live_factories: Factories) -> None:
    assert "Data requests" in web_en.get("/data-requests").text
    sign_in(web_en, live_hub, live_factories.person())
    request_id = ask(web_en, "Bus riders")
    page = web_en.get(f"/data-requests/{request_id}").text
    assert "Where it stands" in page and "Received" in page
