"""The catalog's host and curator pages: datasets, versions and their files, the intake's
state, the curators' review of PII findings, and who may reach each page."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from aihub.datasets import services, versions
from aihub.datasets.models import Dataset, DatasetFile, DatasetVersion
from aihub.db import utcnow
from aihub.hub import Hub
from factories import Factories, Person
from webclient import csrf_token, sign_in, web_client

CLEAN = "station,pm10\n중구,31\n서구,28\n".encode()
PHONE = "station,pm10,phone\n중구,31,010-1234-5678\n서구,28,010-2222-3333\n".encode()
RRN = "name,memo\n김철수,주민 900101-1234568\n".encode()


@pytest.fixture
def web(hub: Hub) -> Any:
    with web_client(hub) as client:
        yield client


@pytest.fixture
def web_en(hub: Hub) -> Any:
    with web_client(hub, lang="en") as client:
        yield client


def _post(web: TestClient, path: str, data: dict[str, str] | None = None,
          page: str = "/host/datasets", **kwargs: Any) -> Any:
    return web.post(path, data=(data or {}) | {"csrf_token": csrf_token(web, page)}, **kwargs)


def draft(factories: Factories, host: Person, files: dict[str, bytes], slug: str = "air"
          ) -> Dataset:
    return factories.dataset(host, slug, files=files, publish=False)


def submitted(hub: Hub, factories: Factories, host: Person, files: dict[str, bytes],
              slug: str = "air") -> None:
    draft(factories, host, files, slug)
    with hub.db.transaction() as session:
        dataset = services.get_dataset(session, slug)
        version = versions.get_version(session, dataset, "1.0.0", factories.actor(host))
        versions.submit_version(session, version, factories.actor(host))
    factories.run_intake(slug, "1.0.0")


# --- The host's datasets ------------------------------------------------------------------


def _new_fields(**overrides: str) -> dict[str, str]:
    return {"organization": "daejeon-city", "slug": "busan-air", "title_ko": "부산 대기질",
            "title_en": "Busan air", "description_ko": "측정소별 **미세먼지**.",
            "tags": "air, 대기질", "licence": "KOGL-1", "access_tier": "open",
            "source": "부산시"} | overrides


def test_a_host_creates_a_dataset_and_its_first_version(
        web: TestClient, hub: Hub, factories: Factories) -> None:
    sign_in(web, hub, factories.host())
    assert web.get("/host/datasets").status_code == 200
    response = _post(web, "/host/datasets/new", _new_fields(), page="/host/datasets/new")
    assert response.status_code == 303
    assert response.headers["location"] == "/host/datasets/busan-air/versions/new?created=1"
    page = web.get(response.headers["location"])
    assert "첫 버전을 만드세요" in page.text
    response = _post(web, "/host/datasets/busan-air/versions/new",
                     {"label": "1.0.0", "message": "첫 공개"})
    assert response.headers["location"] == "/host/datasets/busan-air/versions/1.0.0"
    page = web.get(response.headers["location"])
    assert page.status_code == 200
    assert 'data-tus-upload' in page.text and 'action="/host/datasets/busan-air/versions/' \
        '1.0.0/files"' in page.text
    listing = web.get("/host/datasets").text
    assert "부산 대기질" in listing and "/host/datasets/busan-air/versions/1.0.0" in listing
    with hub.db.reading() as session:
        dataset = services.get_dataset(session, "busan-air")
        assert [t.name for t in dataset.tags] == ["air", "대기질"]
        assert dataset.source == "부산시"


@pytest.mark.parametrize(("fields", "field", "words"), [
    ({"slug": "Busan Air!"}, "slug", "영문 소문자"),
    ({"slug": "new"}, "slug", "페이지 주소로 쓰입니다"),
    ({"title_ko": "  "}, "title_ko", "필수 항목입니다."),
    ({"licence": "custom", "licence_text": ""}, "licence_text", "조건을 적어야"),
    ({"access_tier": "secret"}, "access_tier", "공개 범위를 고르세요"),
    ({"tags": "a" * 60}, "tags", "태그가 될 수 없습니다"),
])
def test_the_new_dataset_form_says_what_is_wrong(
        web: TestClient, hub: Hub, factories: Factories, fields: dict[str, str], field: str,
        words: str) -> None:
    sign_in(web, hub, factories.host())
    response = _post(web, "/host/datasets/new", _new_fields(**fields), page="/host/datasets/new")
    assert response.status_code == 422
    error = re.search(rf'id="e-{field}" class="field-error">([^<]*)<', response.text)
    assert error and words in html.unescape(error.group(1)), response.text[-3000:]
    assert 'value="부산 대기질"' in response.text or field == "title_ko"  # kept as typed
    with hub.db.reading() as session:
        assert session.scalar(select(Dataset.id)) is None


def test_a_taken_slug_is_refused_in_words(web: TestClient, hub: Hub,
                                          factories: Factories) -> None:
    host = factories.host()
    factories.dataset(host, "busan-air")
    sign_in(web, hub, host)
    response = _post(web, "/host/datasets/new", _new_fields(), page="/host/datasets/new")
    assert response.status_code == 422
    assert "'busan-air'라는 데이터셋이 이미 있습니다" in html.unescape(response.text)


def test_a_host_edits_the_metadata(web: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    factories.dataset(host, "air")
    sign_in(web, hub, host)
    form = web.get("/host/datasets/air/edit")
    assert form.status_code == 200 and 'value="대기질 air"' in form.text
    fields = _new_fields(title_ko="새 제목", licence="CC-BY-4.0", tags="bus")
    response = _post(web, "/host/datasets/air/edit", fields)
    assert response.status_code == 303, response.text[-2000:]
    with hub.db.reading() as session:
        dataset = services.get_dataset(session, "air")
        assert (dataset.title_ko, dataset.licence_id) == ("새 제목", "CC-BY-4.0")
        assert [t.name for t in dataset.tags] == ["bus"]
    bad = _post(web, "/host/datasets/air/edit", _new_fields(title_ko=""))
    assert bad.status_code == 422 and 'id="e-title_ko"' in bad.text
    with hub.db.reading() as session:
        assert services.get_dataset(session, "air").title_ko == "새 제목"


def test_a_bad_version_label_is_refused(web: TestClient, hub: Hub,
                                        factories: Factories) -> None:
    host = factories.host()
    factories.dataset(host, "air")
    sign_in(web, hub, host)
    bad = _post(web, "/host/datasets/air/versions/new", {"label": "v one", "message": "x"})
    assert bad.status_code == 422 and 'id="e-label"' in bad.text
    again = _post(web, "/host/datasets/air/versions/new", {"label": "1.0.0", "message": "x"})
    assert again.status_code == 422 and "이미 1.0.0 버전이 있습니다" in html.unescape(again.text)
    empty = _post(web, "/host/datasets/air/versions/new", {"label": "2.0.0", "message": " "})
    assert empty.status_code == 422 and 'id="e-message"' in empty.text


# --- Files, submission and the intake -----------------------------------------------------


def test_files_are_attached_removed_and_submitted(
        web: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    draft(factories, host, {"old.csv": CLEAN})
    sign_in(web, hub, host)
    url = "/host/datasets/air/versions/1.0.0"
    response = _post(web, f"{url}/files", {"path": "data/phones.csv"},
                     files={"file": ("p.csv", PHONE, "text/csv")})
    assert response.status_code == 303
    assert response.headers["location"] == f"{url}?done=attached"
    page = web.get(url).text
    assert "data/phones.csv" in page and "파일을 추가했습니다" not in page
    assert _post(web, f"{url}/files/remove", {"path": "old.csv"}).status_code == 303
    assert _post(web, f"{url}/files/remove", {"path": "old.csv"}).status_code == 303  # again
    nothing = _post(web, f"{url}/files", {"path": ""})
    assert nothing.status_code == 422 and "올릴 파일을 고르세요" in nothing.text
    clash = _post(web, f"{url}/files", {"path": "data/phones.csv"},
                  files={"file": ("p.csv", CLEAN, "text/csv")})
    assert clash.status_code == 409 and "파일이 있습니다" in html.unescape(clash.text)
    assert _post(web, f"{url}/submit").headers["location"] == f"{url}?done=submitted"
    page = web.get(url)
    assert 'hx-trigger="every 3s"' in page.text and "data-tus-upload" not in page.text
    with hub.db.reading() as session:
        paths = session.scalars(select(DatasetFile.path)).all()
        assert paths == ["data/phones.csv"]
        assert session.scalar(select(DatasetVersion.status)) == "quarantine"
    late = _post(web, f"{url}/files", files={"file": ("x.csv", CLEAN, "text/csv")})
    assert late.status_code == 409 and "new version" in html.unescape(late.text)


def test_an_empty_version_cannot_be_submitted(web: TestClient, hub: Hub,
                                              factories: Factories) -> None:
    host = factories.host()
    draft(factories, host, {})
    sign_in(web, hub, host)
    response = _post(web, "/host/datasets/air/versions/1.0.0/submit")
    assert response.status_code == 422
    assert "이 버전에는 파일이 없습니다" in html.unescape(response.text)


def test_the_intake_fragment_asks_for_a_reload_once_done(
        web: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    draft(factories, host, {"data/phones.csv": PHONE})
    sign_in(web, hub, host)
    url = "/host/datasets/air/versions/1.0.0"
    _post(web, f"{url}/submit")
    polled = web.get(f"{url}/intake", headers={"HX-Request": "true"})
    assert polled.status_code == 200 and "HX-Refresh" not in polled.headers
    assert "0 of 1" in polled.text.replace("파일 1개 중 0개", "0 of 1")
    factories.run_intake("air", "1.0.0")
    polled = web.get(f"{url}/intake", headers={"HX-Request": "true"})
    assert polled.headers["HX-Refresh"] == "true"
    page = web.get(url).text
    # The host reads the findings, masked, without the curator's forms.
    assert "KR_MOBILE" in page and "010-****-5678" in page
    assert "010-1234-5678" not in page.replace("010-1234-5678\n", "")  # never raw
    assert "/findings" not in page and 'name="decision"' not in page
    assert "phone" in page  # the profile's columns


# --- The curators' review ---------------------------------------------------------------


def test_a_curator_decides_the_findings_then_publishes(
        web: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    submitted(hub, factories, host, {"data/phones.csv": PHONE})
    sign_in(web, hub, factories.curator())
    queue = web.get("/curator/datasets")
    assert queue.status_code == 200
    review = "/curator/datasets/air/versions/1.0.0/review"
    assert review in queue.text
    page = web.get(review)
    assert "010-****-5678" in page.text and "010-1234-5678" not in page.text
    assert re.search(r"<button type=\"submit\" disabled[^>]*>공개</button>", page.text)
    # Why not, in the reader's language.
    assert "data/phones.csv, 'phone' 열: KR_MOBILE 2건이 큐레이터의 결정을 기다립니다." in \
        html.unescape(page.text)
    finding = {"path": "data/phones.csv", "column": "phone", "pattern_id": "KR_MOBILE"}
    no_reason = _post(web, review.replace("/review", "/findings"),
                      finding | {"decision": "cleared", "reason": ""}, page=review)
    assert no_reason.status_code == 422 and "reason" in html.unescape(no_reason.text)
    wrong = _post(web, review.replace("/review", "/findings"),
                  finding | {"pattern_id": "KR_EMAIL", "decision": "cleared", "reason": "x"},
                  page=review)
    assert wrong.status_code == 404 and "그런 발견 항목이 없습니다" in html.unescape(wrong.text)
    early = _post(web, review.replace("/review", "/publish"), page=review)
    assert early.status_code == 409 and "아직 공개할 수 없습니다" in html.unescape(early.text)
    decided = _post(web, review.replace("/review", "/findings"),
                    finding | {"decision": "cleared", "reason": "기관 대표번호"}, page=review)
    assert decided.status_code == 303
    page = web.get(review)
    assert "기관 대표번호" in page.text
    assert re.search(r"<button type=\"submit\">공개</button>", page.text)
    published = _post(web, review.replace("/review", "/publish"), page=review)
    assert published.headers["location"] == "/curator/datasets?done=published"
    with hub.db.reading() as session:
        assert session.scalar(select(DatasetVersion.status)) == "published"


def test_a_curator_rejects_with_a_reason_and_restarts_the_intake(
        web: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    submitted(hub, factories, host, {"data/phones.csv": PHONE})
    sign_in(web, hub, factories.curator())
    review = "/curator/datasets/air/versions/1.0.0/review"
    restarted = _post(web, review.replace("/review", "/intake"), page=review)
    assert restarted.headers["location"] == f"{review}?done=restarted"
    with hub.db.reading() as session:
        assert session.scalar(select(DatasetVersion.status)) == "quarantine"
    factories.run_intake("air", "1.0.0")
    empty = _post(web, review.replace("/review", "/reject"), {"reason": " "}, page=review)
    assert empty.status_code == 422 and "필수 항목입니다." in html.unescape(empty.text)
    rejected = _post(web, review.replace("/review", "/reject"), {"reason": "전화번호 삭제 필요"},
                     page=review)
    assert rejected.headers["location"] == "/curator/datasets?done=rejected"
    sign_in(web, hub, host)
    assert "전화번호 삭제 필요" in web.get("/host/datasets/air/versions/1.0.0").text


def test_a_resident_registration_number_blocks_the_version(
        web: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    submitted(hub, factories, host, {"people.csv": RRN, "data/phones.csv": PHONE})
    sign_in(web, hub, factories.curator())
    assert "차단됨" in web.get("/curator/datasets").text
    review = "/curator/datasets/air/versions/1.0.0/review"
    page = web.get(review).text
    # The BLOCK finding comes first, with why it can never be published.
    assert page.index("KR_RRN_OR_FRN") < page.index("KR_MOBILE")
    assert "개인정보 보호법 제24조의2" in page
    assert "900101-1******" in page and "900101-1234568" not in page
    assert "/publish" not in page
    refused = _post(web, review.replace("/review", "/publish"), page=review)
    assert refused.status_code == 409 and "blocked" in html.unescape(refused.text)


def test_the_review_pages_read_in_english(web_en: TestClient, hub: Hub,
                                          factories: Factories) -> None:
    host = factories.host()
    submitted(hub, factories, host, {"data/phones.csv": PHONE})
    sign_in(web_en, hub, factories.curator())
    page = web_en.get("/curator/datasets/air/versions/1.0.0/review").text
    assert "Personal data found" in page and "Masked examples" in page
    sign_in(web_en, hub, host)
    assert "My datasets" in web_en.get("/host/datasets").text


# --- Who may ------------------------------------------------------------------------------

HOST_PAGES = ("/host/datasets/air/edit", "/host/datasets/air/versions/new",
              "/host/datasets/air/versions/1.0.0", "/host/datasets/air/access-requests")
CURATOR_PAGES = ("/curator/datasets", "/curator/datasets/air/versions/1.0.0/review")


def test_other_people_are_kept_out(web: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    submitted(hub, factories, host, {"data/phones.csv": PHONE})
    other = factories.host("busan-city")
    sign_in(web, hub, other)
    assert web.get("/host/datasets").status_code == 200
    assert "대기질 air" not in web.get("/host/datasets").text
    for path in HOST_PAGES:  # unpublished: it does not exist for them
        assert web.get(path).status_code == 404, path
    for path in CURATOR_PAGES:
        assert web.get(path).status_code == 403, path
    member = factories.person()
    sign_in(web, hub, member)
    for path in ("/host/datasets", "/host/datasets/new", *HOST_PAGES, *CURATOR_PAGES):
        assert web.get(path).status_code == 403, path
    token = csrf_token(web, "/")
    posts = ("/host/datasets/new", "/host/datasets/air/versions/1.0.0/submit",
             "/curator/datasets/air/versions/1.0.0/publish")
    for path in posts:
        assert web.post(path, data={"csrf_token": token}).status_code == 403, path
    sign_in(web, hub, host)
    for path in CURATOR_PAGES:
        assert web.get(path).status_code == 403, path
    assert web.post("/curator/datasets/air/versions/1.0.0/publish",
                    data={"csrf_token": csrf_token(web, "/")}).status_code == 403
    web.cookies.clear()
    assert web.get("/host/datasets").headers["location"] == "/login?next=/host/datasets"
    with hub.db.reading() as session:
        assert session.scalar(select(DatasetVersion.status)) == "review"


def test_a_published_dataset_of_another_organization_is_not_theirs_to_edit(
        web: TestClient, hub: Hub, factories: Factories) -> None:
    factories.dataset(factories.host(), "air")
    sign_in(web, hub, factories.host("busan-city"))
    assert web.get("/host/datasets/air/edit").status_code == 403
    token = csrf_token(web, "/")
    response = web.post("/host/datasets/air/edit", data=_new_fields() | {"csrf_token": token})
    assert response.status_code == 403
    assert web.get("/host/datasets/air/versions/1.0.0").status_code == 403


def test_forms_without_the_csrf_token_are_refused(web: TestClient, hub: Hub,
                                                  factories: Factories) -> None:
    host = factories.host()
    draft(factories, host, {"a.csv": CLEAN})
    sign_in(web, hub, host)
    response = web.post("/host/datasets/air/versions/1.0.0/submit")
    assert response.status_code == 403
    with hub.db.reading() as session:
        assert session.scalar(select(DatasetVersion.status)) == "draft"


def test_the_review_queue_lists_the_oldest_submission_first(
        web: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    submitted(hub, factories, host, {"b.csv": PHONE}, slug="newer")
    submitted(hub, factories, host, {"a.csv": CLEAN}, slug="older")
    factories.dataset(host, "drafty", files={"c.csv": CLEAN}, publish=False)
    factories.dataset(host, "done-already")
    with hub.db.transaction() as session:  # submitted in the other order than created
        rows = {d.slug: d.id for d in session.scalars(select(Dataset))}
        for slug, hours in (("older", 5), ("newer", 1)):
            version = session.scalars(select(DatasetVersion).where(
                DatasetVersion.dataset_id == rows[slug])).one()
            version.submitted_at = utcnow() - timedelta(hours=hours)
    sign_in(web, hub, factories.curator())
    page = web.get("/curator/datasets").text
    assert page.index("/curator/datasets/older/") < page.index("/curator/datasets/newer/")
    assert "/curator/datasets/drafty/" not in page
    assert "/curator/datasets/done-already/" not in page


def test_the_hosts_list_names_each_tier_in_the_readers_language(
        web: TestClient, web_en: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    factories.dataset(host, "closed", tier="approval")
    sign_in(web, hub, host)
    korean = web.get("/host/datasets").text
    assert "closed · 승인 후 제공 · KOGL-1" in korean and "· approval ·" not in korean
    sign_in(web_en, hub, host)
    assert "closed · By approval · KOGL-1" in web_en.get("/host/datasets").text


def test_findings_are_named_in_the_readers_language(
        web: TestClient, web_en: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    submitted(hub, factories, host, {"data/phones.csv": PHONE})
    review = "/curator/datasets/air/versions/1.0.0/review"
    curator = factories.curator()
    sign_in(web, hub, curator)
    assert "휴대전화 번호 <code>KR_MOBILE</code>" in web.get(review).text
    sign_in(web_en, hub, curator)
    assert "Mobile phone number <code>KR_MOBILE</code>" in web_en.get(review).text
    sign_in(web, hub, host)  # the hosts' version page lists them the same way
    assert "휴대전화 번호 <code>KR_MOBILE</code>" in web.get(
        "/host/datasets/air/versions/1.0.0").text
