"""Curators' pages: approvals, early reveals, people, organizations, the job queue; and that
nobody else reaches them."""

from __future__ import annotations

import html
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from aihub.accounts.models import Membership, Organization, User
from aihub.accounts.services import actor_for
from aihub.accounts.web_sessions import actor_for_session, start_session
from aihub.challenges.models import Challenge
from aihub.db import utcnow
from aihub.evaluation import queue, runners
from aihub.evaluation.jobs import ScoreSubmission
from aihub.evaluation.models import Job
from aihub.evaluation.status import Status
from aihub.hub import Hub
from factories import Factories, Person
from sandboxed import code_extra
from webclient import csrf_token, sign_in, web_client

API = "/api/v1"
PAGES = ("/curator", "/curator/users", "/curator/organizations", "/curator/jobs",
         "/curator/challenges/waiting/reveal")
POSTS = (
    ("/curator/challenges/waiting/approve", {}),
    ("/curator/challenges/waiting/sandbox", {"reduced_allowed": "true"}),
    ("/curator/challenges/waiting/reveal", {}),
    ("/curator/users/somebody/active", {"active": "0"}),
    ("/curator/users/somebody/curator", {"curator": "1"}),
    ("/curator/organizations", {"slug": "sneaky-org", "name_ko": "몰래"}),
    ("/curator/organizations/daejeon-city/hosting", {"can_host": "0"}),
    ("/curator/organizations/daejeon-city/members", {"username": "somebody"}),
)


@pytest.mark.parametrize("who", ["member", "host"])
def test_members_and_hosts_cannot_reach_curator_pages(
    web: TestClient, live_hub: Hub, live_factories: Factories, who: str
) -> None:
    host = live_factories.host()
    live_factories.challenge(host, "waiting", approved=False)
    live_factories.person("somebody")
    sign_in(web, live_hub, host if who == "host" else live_factories.person())
    for path in PAGES:
        assert web.get(path).status_code == 403, path
    token = csrf_token(web, "/")
    for path, data in POSTS:
        assert web.post(path, data=data | {"csrf_token": token}).status_code == 403, path
    with live_hub.db.reading() as session:
        assert session.scalar(select(Challenge.approved_at)) is None
        assert session.scalar(select(Challenge.private_revealed_at)) is None
        assert session.scalar(select(Challenge.sandbox_fallback_allowed)) is False
        somebody = session.scalar(select(User).where(User.username == "somebody"))
        assert somebody is not None and somebody.is_active and not somebody.is_curator
        assert session.scalar(select(Organization).where(Organization.slug == "sneaky-org")) is None
        assert session.scalar(select(Organization.can_host).where(
            Organization.slug == "daejeon-city")) is True


def test_visitors_are_sent_to_log_in(web: TestClient) -> None:
    response = web.get("/curator/jobs")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/curator/jobs"


def test_a_curator_approves_a_waiting_challenge(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host, member = live_factories.host(), live_factories.person()
    live_factories.challenge(host, "waiting", approved=False)
    assert web.get(f"{API}/challenges/waiting", headers=member.headers).status_code == 404
    sign_in(web, live_hub, live_factories.curator())
    page = web.get("/curator")
    assert "승인 대기" in page.text and "/curator/challenges/waiting/approve" in page.text
    response = web.post("/curator/challenges/waiting/approve",
                        data={"csrf_token": csrf_token(web, "/curator")})
    assert response.status_code == 303
    assert "승인했습니다" in web.get(response.headers["location"]).text
    assert web.get(f"{API}/challenges/waiting", headers=member.headers).status_code == 200
    assert "/curator/challenges/waiting/approve" not in web.get("/curator").text


def _private_page(web: TestClient, hub: Hub, person: Person, slug: str) -> int:
    """What ``person``'s browser gets for the private leaderboard page."""
    web.cookies.clear()
    sign_in(web, hub, person)
    return web.get(f"/challenges/{slug}/leaderboard", params={"split": "private"}).status_code


def test_a_private_board_stays_closed_to_members_until_a_curator_reveals_it(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host, member = live_factories.host(), live_factories.person()
    curator = live_factories.curator()
    live_factories.challenge(host, "secret-board")
    private = f"{API}/challenges/secret-board/leaderboard"
    assert web.get(private, params={"split": "private"},
                   headers=member.headers).status_code == 403
    assert _private_page(web, live_hub, member, "secret-board") == 403
    assert _private_page(web, live_hub, host, "secret-board") == 200
    assert _private_page(web, live_hub, curator, "secret-board") == 200
    assert "/curator/challenges/secret-board/reveal" in web.get("/curator").text
    confirm = web.get("/curator/challenges/secret-board/reveal")
    assert confirm.status_code == 200 and "되돌릴 수 없습니다" in confirm.text
    # Looking at the confirm step opens nothing.
    assert web.get(private, params={"split": "private"},
                   headers=member.headers).status_code == 403
    token = csrf_token(web, "/curator/challenges/secret-board/reveal")
    response = web.post("/curator/challenges/secret-board/reveal", data={"csrf_token": token})
    assert response.status_code == 303
    assert "/curator/challenges/secret-board/reveal" not in web.get("/curator").text
    assert web.get(private, params={"split": "private"},
                   headers=member.headers).status_code == 200
    assert _private_page(web, live_hub, member, "secret-board") == 200


def test_a_private_board_opens_by_itself_when_its_phase_ends(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    now = utcnow()
    live_factories.challenge(live_factories.host(), "ended", start=now - timedelta(days=9),
                             end=now - timedelta(days=1))
    member = live_factories.person()
    assert _private_page(web, live_hub, member, "ended") == 200
    web.cookies.clear()
    sign_in(web, live_hub, live_factories.curator())
    assert "/curator/challenges/ended/reveal" not in web.get("/curator").text


def test_a_curator_finds_deactivates_and_reactivates_a_person(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    live_factories.person("hong_gildong")
    target = live_factories.person("kimchi")
    with live_hub.db.transaction() as session:
        cookie = start_session(session, target.user, now=utcnow(), days=1)
    sign_in(web, live_hub, live_factories.curator())
    found = web.get("/curator/users", params={"q": "KIMCHI"})
    assert "kimchi@example.org" in found.text and "hong_gildong" not in found.text
    token = csrf_token(web, "/curator/users")
    response = web.post("/curator/users/kimchi/active",
                        data={"csrf_token": token, "active": "0", "q": "kimchi", "number": "1"})
    assert response.status_code == 303
    assert response.headers["location"] == "/curator/users?q=kimchi&page=1"
    assert "정지됨" in web.get(response.headers["location"]).text
    with live_hub.db.reading() as session:
        assert actor_for_session(session, cookie, now=utcnow()) is None  # logged out at once
    assert web.get(f"{API}/me", headers=target.headers).status_code == 401
    web.post("/curator/users/kimchi/active", data={"csrf_token": token, "active": "1"})
    assert web.get(f"{API}/me", headers=target.headers).status_code == 200


def test_a_curator_cannot_lock_themself_out(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    curator = live_factories.curator()
    sign_in(web, live_hub, curator)
    page = web.get("/curator/users")
    # No buttons against oneself...
    assert f"/curator/users/{curator.user.username}/active" not in page.text
    token = csrf_token(web, "/curator/users")
    # ...and a forged request is refused with the reason.
    for path, data in ((f"/curator/users/{curator.user.username}/active", {"active": "0"}),
                       (f"/curator/users/{curator.user.username}/curator", {"curator": "0"})):
        response = web.post(path, data=data | {"csrf_token": token})
        assert response.status_code == 409
        assert "ask another curator" in html.unescape(response.text)
    with live_hub.db.reading() as session:
        me = session.get(User, curator.user.id)
        assert me is not None and me.is_active and me.is_curator


def test_a_curator_makes_and_unmakes_curators(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    live_factories.person("helper")
    sign_in(web, live_hub, live_factories.curator())
    token = csrf_token(web, "/curator/users")
    assert web.post("/curator/users/helper/curator",
                    data={"csrf_token": token, "curator": "1"}).status_code == 303
    with live_hub.db.reading() as session:
        assert session.scalar(select(User.is_curator).where(User.username == "helper"))
    assert web.post("/curator/users/helper/curator",
                    data={"csrf_token": token, "curator": "0"}).status_code == 303
    with live_hub.db.reading() as session:
        assert not session.scalar(select(User.is_curator).where(User.username == "helper"))


def test_a_curator_creates_an_organization_and_lets_a_member_host(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    member = live_factories.person("park")
    sign_in(web, live_hub, live_factories.curator())
    token = csrf_token(web, "/curator/organizations")
    bad = web.post("/curator/organizations",
                   data={"csrf_token": token, "slug": "Bad Slug", "name_ko": "세종시청"})
    assert bad.status_code == 422
    assert 'value="세종시청"' in bad.text and 'id="e-slug"' in bad.text
    made = web.post("/curator/organizations",
                    data={"csrf_token": token, "slug": "sejong-city", "name_ko": "세종시청",
                          "name_en": "Sejong City"})
    assert made.status_code == 303
    taken = web.post("/curator/organizations",
                     data={"csrf_token": token, "slug": "sejong-city", "name_ko": "또"})
    assert taken.status_code == 422 and "exists already" in html.unescape(taken.text)
    unknown = web.post("/curator/organizations/sejong-city/members",
                       data={"csrf_token": token, "username": "nobody", "role": "owner"})
    assert unknown.status_code == 422
    assert "No user is called" in html.unescape(unknown.text) and 'value="nobody"' in unknown.text
    assert web.post("/curator/organizations/sejong-city/members",
                    data={"csrf_token": token, "username": "park",
                          "role": "owner"}).status_code == 303
    assert web.post("/curator/organizations/sejong-city/hosting",
                    data={"csrf_token": token, "can_host": "1"}).status_code == 303
    page = web.get("/curator/organizations")
    assert "세종시청" in page.text
    assert "park" in page.text and "주최 가능" in page.text
    web.cookies.clear()
    sign_in(web, live_hub, member)
    assert web.get("/host/new").status_code == 200
    assert 'value="sejong-city"' in web.get("/host/new").text


def test_removing_a_member_ends_their_hosting(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host = live_factories.host()
    sign_in(web, live_hub, live_factories.curator())
    token = csrf_token(web, "/curator/organizations")
    path = f"/curator/organizations/daejeon-city/members/{host.user.username}/remove"
    assert web.post(path, data={"csrf_token": token}).status_code == 303
    with live_hub.db.reading() as session:
        assert session.scalar(select(Membership).where(
            Membership.user_id == host.user.id)) is None
    web.cookies.clear()
    sign_in(web, live_hub, host)
    assert web.get("/host").status_code == 403


def test_the_job_queue_page_shows_waiting_running_and_failed_jobs(
    hub: Hub, factories: Factories
) -> None:
    with hub.db.transaction() as session:  # a hub without workers: jobs stay as set here
        for _ in range(3):
            queue.enqueue(session, ScoreSubmission(submission_id=0), queue="gpu")
        lease = queue.claim(session, owner="worker@box:1", lease_seconds=60, queues=("gpu",))
        assert lease is not None
        failed = queue.enqueue(session, ScoreSubmission(submission_id=0))
        session.execute(update(Job).where(Job.id == failed.id).values(
            status=Status.FAILED.value, finished_at=utcnow() - timedelta(minutes=5),
            error="Traceback: MemoryError in /srv/solution.csv"))
    with web_client(hub) as web:
        sign_in(web, hub, factories.curator())
        page = web.get("/curator/jobs")
        assert page.status_code == 200
        assert "worker@box:1" in page.text and "gpu" in page.text
        assert "MemoryError in /srv/solution.csv" in page.text
        fragment = web.get("/curator/jobs", headers={"HX-Request": "true"})
        assert "<html" not in fragment.text and 'id="jobs"' in fragment.text
        english = web.get("/curator/jobs", headers={"Accept-Language": "en"})
        assert "Workers running jobs" in english.text


def test_the_job_queue_page_lists_the_runners_beside_the_workers(
    hub: Hub, factories: Factories
) -> None:
    curator = factories.curator()
    with hub.db.transaction() as session:
        actor = actor_for(session, curator.user)
        # Queues no challenge uses yet: a curator's runners on them take every
        # organization's jobs, which the curator says (hub_wide).
        seen, _ = runners.create_runner(session, actor, name="lab-gpu-1", queues=["gpu", "x"],
                                        hub_wide=True)
        seen.last_seen_at = utcnow() - timedelta(seconds=10)
        silent, _ = runners.create_runner(session, actor, name="old-box", queues=["gpu"],
                                          hub_wide=True)
        silent.last_seen_at = utcnow() - timedelta(hours=3)
        revoked, _ = runners.create_runner(session, actor, name="gone", queues=["gpu"],
                                           hub_wide=True)
        runners.revoke_runner(session, actor, revoked.id)
        prefix = seen.prefix
    with web_client(hub) as web:
        sign_in(web, hub, curator)
        page = web.get("/curator/jobs").text
        runners_part = page.split("러너</h2>", 1)[1].split("</table>", 1)[0]
        assert "lab-gpu-1" in runners_part and "<code>x</code>" in runners_part
        assert f"<code>{prefix}…</code>" in runners_part
        old = runners_part.split("old-box", 1)[1].split("</tr>", 1)[0]
        assert "응답 없음" in old
        assert "응답 없음" not in runners_part.split("lab-gpu-1", 1)[1].split("</tr>", 1)[0]
        assert "폐기됨" in runners_part.split("gone", 1)[1]
        english = web.get("/curator/jobs", headers={"Accept-Language": "en"}).text
        assert "Runners" in english and "revoked" in english


def test_a_curator_allows_and_stops_the_reduced_sandbox_for_a_code_challenge(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host = live_factories.host()
    live_factories.challenge(host, "code-here", extra=code_extra())
    live_factories.challenge(host, "files-only")
    sign_in(web, live_hub, live_factories.curator())
    page = web.get("/curator").text
    assert "코드를 실행하는 대회" in page and "허용 안 됨" in page
    assert page.count('id="sandbox-heading"') == 1  # once, in the page's main block
    assert "<section" not in page.split("<title>")[1].split("</title>")[0]
    assert "/curator/challenges/code-here/sandbox" in page
    assert "/curator/challenges/files-only/sandbox" not in page  # nothing of it runs
    response = web.post("/curator/challenges/code-here/sandbox",
                        data={"csrf_token": csrf_token(web, "/curator"),
                              "reduced_allowed": "true"})
    assert response.status_code == 303
    assert "실행할 곳을 저장했습니다" in web.get(response.headers["location"]).text
    assert api_detail(web, live_factories.curator(), "code-here")["reduced_sandbox_allowed"]
    web.post("/curator/challenges/code-here/sandbox",
             data={"csrf_token": csrf_token(web, "/curator"), "reduced_allowed": ""})
    assert not api_detail(web, live_factories.curator(), "code-here")["reduced_sandbox_allowed"]
    # Without its token the form changes nothing.
    refused = web.post("/curator/challenges/code-here/sandbox", data={"reduced_allowed": "true"})
    assert refused.status_code == 403
    assert not api_detail(web, live_factories.curator(), "code-here")["reduced_sandbox_allowed"]


def api_detail(web: TestClient, person: Person, slug: str) -> dict[str, Any]:
    response = web.get(f"{API}/challenges/{slug}", headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
