"""The catalog's public pages: search with facets, a dataset's page (licence, access,
versions, files, profile, preview, citation), downloads, the licence and access forms.
Each is tried as a visitor, a member, a host of another organization and a curator, and
what each may not see is tried too."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from aihub.datasets import versions
from aihub.datasets.models import Dataset, DatasetFile, DownloadLog
from aihub.datasets.profile import profile_path
from aihub.datasets.services import get_dataset
from aihub.hub import Hub
from factories import Factories, Person
from webclient import csrf_token, sign_in, web_client

CSV = "station,pm10\n중구,5\n서구,7\n유성구,\n".encode()


def post(client: TestClient, path: str, form_page: str, **data: str) -> httpx.Response:
    """A form sent with the CSRF token of the page it is on."""
    return client.post(path, data={"csrf_token": csrf_token(client, form_page), **data})


def profiled(hub: Hub, factories: Factories, host: Person, slug: str, tier: str,
             tmp_path: Path, **kwargs: object) -> Dataset:
    """A published dataset whose file carries the profiler's real profile."""
    dataset = factories.dataset(host, slug, tier=tier, files={"data/pm10.csv": CSV},
                                **kwargs)  # type: ignore[arg-type]
    source = tmp_path / f"{slug}.csv"
    source.write_bytes(CSV)
    profile = profile_path(source, filename="pm10.csv").to_dict()
    with hub.db.transaction() as session:
        session.execute(update(DatasetFile).where(DatasetFile.path == "data/pm10.csv")
                        .values(profile=profile))
    return dataset


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# The catalog ---------------------------------------------------------------------------


def test_catalog_lists_what_each_reader_may_see(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host, other = live_factories.host(), live_factories.host("gwangju-city")
    live_factories.dataset(host, "air-open")
    live_factories.dataset(host, "air-secret", publish=False)
    page = web.get("/datasets")
    assert page.status_code == 200
    assert "air-open" in page.text and "air-secret" not in page.text
    assert "데이터셋 1개" in page.text  # the count is of visible datasets only
    sign_in(web, live_hub, other)
    assert "air-secret" not in web.get("/datasets").text
    sign_in(web, live_hub, host)
    assert "air-secret" in web.get("/datasets").text
    sign_in(web, live_hub, live_factories.curator())
    assert "air-secret" in web.get("/datasets").text


def test_search_in_korean_and_english_with_facets(
    web: TestClient, web_en: TestClient, live_factories: Factories
) -> None:
    host = live_factories.host()
    live_factories.dataset(host, "air-one", tier="open")
    live_factories.dataset(host, "air-two", tier="registered", tags=("bus",))
    found = web.get("/datasets", params={"q": "대기"})
    assert found.status_code == 200
    assert "air-one" in found.text and "air-two" in found.text
    # Facets with their counts, labelled in the reader's language.
    assert re.search(r'value="registered"[^>]*>\s*회원 공개 <span class="muted">\(1\)', found.text)
    narrowed = web.get("/datasets", params={"q": "대기", "tier": "registered"})
    assert "air-two" in narrowed.text and "air-one" not in narrowed.text
    assert 'value="registered" checked' in narrowed.text
    english = web_en.get("/datasets", params={"q": "air quality", "tag": "bus"})
    assert "air-two" in english.text and "air-one" not in english.text
    assert "Air quality air-two" in english.text
    assert "PM10 by station." in english.text and "Formats: csv" in english.text
    none = web.get("/datasets", params={"q": "존재하지않는말"})
    assert "검색에 맞는 데이터셋이 없습니다" in none.text
    assert 'href="/data-requests/new"' in none.text


def test_catalog_pages_and_bad_input(web: TestClient, live_factories: Factories) -> None:
    host = live_factories.host()
    for n in range(22):
        live_factories.dataset(host, f"set-{n:02d}")
    first = web.get("/datasets", params={"sort": "title"})
    assert "2쪽 중 1쪽" in first.text and 'rel="next"' in first.text
    second = web.get("/datasets", params={"sort": "title", "page": "2"})
    assert "set-21" in second.text and "set-00" not in second.text
    for bad in ("abc", "-5", "99999999999", ""):
        assert web.get("/datasets", params={"page": bad}).status_code == 200
    long = web.get("/datasets", params={"q": "가" * 300})
    assert long.status_code == 422 and "검색어는 최대 200자입니다" in long.text
    assert 'aria-invalid="true"' in long.text
    assert "set-21" in long.text  # the catalog still shows, unfiltered
    order = web.get("/datasets", params={"sort": "worst"})
    assert order.status_code == 422 and "정렬 방식" in order.text
    for odd in ('"', "*", "NEAR(a b)", "-x", "a:b", "%_", "\x00"):
        assert web.get("/datasets", params={"q": odd}).status_code in (200, 422)
    too_many = web.get("/datasets", params=[("tag", str(n)) for n in range(150)])
    assert too_many.status_code in (200, 422)


# A dataset -----------------------------------------------------------------------------


def test_dataset_page_for_a_visitor(web: TestClient, live_hub: Hub,
                                    live_factories: Factories, tmp_path: Path) -> None:
    host = live_factories.host()
    profiled(live_hub, live_factories, host, "air-open", "open", tmp_path)
    page = web.get("/datasets/air-open")
    assert page.status_code == 200
    body = text_of(page.text)
    assert "측정소별 미세먼지." in body  # the description, as Markdown
    assert "공공누리 제1유형" in body and "상업적 이용을 허락합니다." in body
    assert "공공누리(KOGL)" in body
    assert "개방 데이터: 누구나" in body
    # Versions, files, profile and preview of open data.
    assert "Release 1.0.0" in body
    assert 'href="/datasets/air-open/versions/1.0.0/files/data/pm10.csv"' in page.text
    assert "data/pm10.csv의 열" in body and "station" in body
    assert "data/pm10.csv의 처음 몇 행" in body and "유성구" in body
    assert "상태" not in re.findall(r"<th scope=\"col\">([^<]+)</th>", page.text)
    # How to cite, the machine-readable descriptions.
    assert "대전광역시 (" in body and "Version 1.0.0 (rev " in body
    assert "@misc{air_open_1_0_0" in page.text
    assert "/api/v1/datasets/air-open/croissant.json" in page.text
    assert "/api/v1/datasets/air-open/dcat.ttl" in page.text
    assert "croissant.json" in page.headers["link"] and 'rel="alternate"' in page.headers["link"]
    head = page.text.split("</head>")[0]
    assert ('<link rel="alternate" type="application/ld+json" '
            'href="/api/v1/datasets/air-open/croissant.json">') in head
    download = web.get("/datasets/air-open/versions/1.0.0/files/data/pm10.csv")
    assert download.status_code == 200 and download.content == CSV


def test_unpublished_and_unknown_datasets_are_not_found(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host, other = live_factories.host(), live_factories.host("gwangju-city")
    live_factories.dataset(host, "air-draft", publish=False)
    assert web.get("/datasets/air-draft").status_code == 404
    assert web.get("/datasets/nope").status_code == 404
    sign_in(web, live_hub, other)
    assert web.get("/datasets/air-draft").status_code == 404
    assert web.get("/datasets/air-draft/versions/1.0.0/files/data/pm10.csv").status_code == 404
    sign_in(web, live_hub, host)
    mine = web.get("/datasets/air-draft")
    assert mine.status_code == 200 and "아직 공개되지 않음" in mine.text
    assert "작성 중" in mine.text  # the version's status, for its hosts
    sign_in(web, live_hub, live_factories.curator())
    assert web.get("/datasets/air-draft").status_code == 200


def test_registered_data_after_the_licence(
    web: TestClient, live_hub: Hub, live_factories: Factories, tmp_path: Path
) -> None:
    host, member = live_factories.host(), live_factories.person()
    profiled(live_hub, live_factories, host, "air-reg", "registered", tmp_path)
    visitor = web.get("/datasets/air-reg")
    assert "station" in visitor.text  # the profile's columns are metadata
    assert "유성구" not in visitor.text and "처음 몇 행" not in visitor.text  # not the rows
    assert "로그인하고 파일 받기" in visitor.text
    assert 'href="/datasets/air-reg/versions' not in visitor.text
    refused = web.get("/datasets/air-reg/versions/1.0.0/files/data/pm10.csv")
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
    sign_in(web, live_hub, member)
    page = web.get("/datasets/air-reg")
    assert "유성구" not in page.text and 'action="/datasets/air-reg/licence"' in page.text
    assert web.get("/datasets/air-reg/versions/1.0.0/files/data/pm10.csv").status_code == 403
    unticked = post(web, "/datasets/air-reg/licence", "/datasets/air-reg", purpose="study")
    assert unticked.status_code == 422 and "상자를 체크하세요" in unticked.text
    assert 'value="study"' in unticked.text
    accepted = post(web, "/datasets/air-reg/licence", "/datasets/air-reg", accept="1")
    assert accepted.status_code == 303
    after = web.get("/datasets/air-reg")
    assert "유성구" in after.text and 'href="/datasets/air-reg/versions/1.0.0/files/' in after.text
    assert web.get("/datasets/air-reg/versions/1.0.0/files/data/pm10.csv").content == CSV
    with live_hub.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(DownloadLog)) == 1


def test_approval_data_access_request(
    web: TestClient, live_hub: Hub, live_factories: Factories, tmp_path: Path
) -> None:
    host, member = live_factories.host(), live_factories.person()
    profiled(live_hub, live_factories, host, "air-appr", "approval", tmp_path,
             licence="KOGL-2")
    sign_in(web, live_hub, member)
    form = web.get("/datasets/air-appr")
    assert 'action="/datasets/air-appr/access-requests"' in form.text
    today = date.today()
    fields = {"purpose": "버스 노선 연구", "starts_on": str(today),
              "ends_on": str(today + timedelta(days=30))}
    bad_date = post(web, "/datasets/air-appr/access-requests", "/datasets/air-appr",
                    **{**fields, "ends_on": "soon"})
    assert bad_date.status_code == 422 and "YYYY-MM-DD" in bad_date.text
    assert "버스 노선 연구" in bad_date.text  # what was typed stays
    backwards = post(web, "/datasets/air-appr/access-requests", "/datasets/air-appr",
                     **{**fields, "ends_on": str(today - timedelta(days=3))})
    assert backwards.status_code == 422 and "기간의 끝이 시작보다 앞섭니다." in backwards.text
    commercial = post(web, "/datasets/air-appr/access-requests", "/datasets/air-appr",
                      **fields, commercial_use="1")
    assert commercial.status_code == 422 and "상업적 이용을 허락하지 않습니다" in commercial.text
    no_purpose = post(web, "/datasets/air-appr/access-requests", "/datasets/air-appr",
                      **{**fields, "purpose": ""})
    assert no_purpose.status_code == 422
    sent = post(web, "/datasets/air-appr/access-requests", "/datasets/air-appr", **fields)
    assert sent.status_code == 303
    page = text_of(web.get("/datasets/air-appr").text)
    assert "답변 대기 중, 처리 기한" in page
    again = post(web, "/datasets/air-appr/access-requests", "/datasets/air-appr", **fields)
    assert again.status_code == 409 and "이미 요청했습니다" in again.text
    # Nobody else sees that request, nor the rows before access is granted.
    with web_client(live_hub) as other:
        sign_in(other, live_hub, live_factories.person())
        theirs = other.get("/datasets/air-appr").text
        assert "답변 대기 중" not in theirs and "유성구" not in theirs
        sign_in(other, live_hub, live_factories.host("gwangju-city"))
        assert "답변 대기 중" not in other.get("/datasets/air-appr").text


def test_withdrawn_version_shows_its_tombstone(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host = live_factories.host()
    dataset = live_factories.dataset(host, "air-gone")
    live_factories.dataset_version(host, dataset, label="2.0.0",
                                   files={"data/pm10.csv": b"station,pm10\n1,2\n"})
    with live_hub.db.transaction() as session:
        found = get_dataset(session, "air-gone")
        curator = live_factories.actor(live_factories.curator())
        version = versions.get_version(session, found, "1.0.0", curator)
        versions.withdraw_version(session, version, curator, "개인정보가 섞여 있었습니다.")
    latest = web.get("/datasets/air-gone")
    assert "2.0.0의 파일" in latest.text
    old = web.get("/datasets/air-gone", params={"version": "1.0.0"})
    assert old.status_code == 200
    assert "철회되어" in old.text and "개인정보가 섞여 있었습니다." in old.text
    assert 'href="/datasets/air-gone/versions/1.0.0/files' not in old.text
    assert web.get("/datasets/air-gone", params={"version": "9.9.9"}).status_code == 404
    assert web.get("/datasets/air-gone/versions/1.0.0/files/data/pm10.csv").status_code != 200


def test_forms_need_the_csrf_token_and_a_member(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host = live_factories.host()
    live_factories.dataset(host, "air-reg", tier="registered")
    assert web.post("/datasets/air-reg/licence", data={"accept": "1"}).status_code == 403
    visitor = post(web, "/datasets/air-reg/licence", "/login", accept="1")
    assert visitor.status_code in (303, 401)
    assert "/login" in visitor.headers.get("location", "/login")


def test_english_dataset_page(web_en: TestClient, live_factories: Factories) -> None:
    host = live_factories.host()
    live_factories.dataset(host, "air-en", tier="approval")
    page = web_en.get("/datasets/air-en")
    assert page.status_code == 200
    assert "Air quality air-en" in page.text and "By approval" in page.text
    assert "Korea Open Government Licence type 1" in page.text
    assert "How to cite" in page.text
