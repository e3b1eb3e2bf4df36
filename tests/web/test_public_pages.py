"""The pages anyone may read: home, challenge list, challenge tabs, leaderboard."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from aihub.accounts import teams
from aihub.accounts.models import User
from aihub.challenges.models import Challenge
from aihub.challenges.services import invite, reveal_private
from aihub.db import utcnow
from aihub.evaluation.status import Status
from aihub.hub import Hub
from aihub.leaderboards.versions import touch_board
from aihub.overview import overview
from aihub.submissions.models import Submission
from factories import Factories, Person
from webclient import csrf_token, sign_in

T0 = utcnow() - timedelta(hours=10)


def _rows(html: str) -> list[str]:
    """The team names of a leaderboard page's table, in order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"<[^>]+>", "", name).split()[0]
            for name in re.findall(r'<th scope="row">(.*?)</th>', body, flags=re.S)]


def _teams(hub: Hub, challenge: Challenge, scores: list[float], *, prefix: str = "t",
           private: list[float] | None = None) -> list[int]:
    """Teams of one member each with one finished submission, recorded as the runner
    records scores: the board version raised in the same transaction."""
    phase_id = challenge.phases[0].id
    ids = []
    with hub.db.transaction() as session:
        for n, score in enumerate(scores):
            user = User(username=f"{prefix}{n}", email=f"{prefix}{n}@example.org",
                        password_hash="x")
            session.add(user)
            session.flush()
            fresh = session.get(Challenge, challenge.id)
            assert fresh is not None
            team = teams.solo_team(session, fresh, user)
            session.add(Submission(
                challenge_id=challenge.id, phase_id=phase_id, team_id=team.id, user_id=user.id,
                filename="s.csv", sha256="0" * 64, size=1, status=Status.FINISHED.value,
                public_score=score, private_score=(private or scores)[n],
                created_at=T0 + timedelta(minutes=n),
            ))
            ids.append(team.id)
        touch_board(session, phase_id)
    return ids


def _baseline(hub: Hub, challenge: Challenge, host: Person, score: float) -> None:
    with hub.db.transaction() as session:
        session.add(Submission(
            challenge_id=challenge.id, phase_id=challenge.phases[0].id, team_id=None,
            user_id=host.user.id, filename="b.csv", sha256="0" * 64, size=1,
            status=Status.FINISHED.value, public_score=score, private_score=score,
            created_at=T0, is_baseline=True, baseline_name_ko="기준선", baseline_name_en="Baseline",
        ))
        touch_board(session, challenge.phases[0].id)


# Home and list ---------------------------------------------------------------------------


def test_home_shows_open_challenges_and_the_hubs_figures(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host = live_factories.host()
    now = utcnow()
    live_factories.challenge(host, "open-one")
    live_factories.challenge(host, "later-one", start=now + timedelta(days=3),
                             end=now + timedelta(days=9))
    live_factories.challenge(host, "unlisted-one", visibility="unlisted")
    hidden = live_factories.challenge(host, "pending-one", approved=False)
    _teams(live_hub, hidden, [0.9, 0.8])
    page = web.get("/")
    assert page.status_code == 200
    assert '<html lang="ko">' in page.text
    assert "테스트 과제 open-one" in page.text
    for other in ("later-one", "unlisted-one", "pending-one"):
        assert other not in page.text
    assert "진행 중인 대회" in page.text
    with live_hub.db.reading() as session:
        data = overview(session, live_factories.actor(None), utcnow())
    # Counted over approved public challenges only: the pending one's teams are not counted.
    assert (data.figures.challenges, data.figures.teams, data.figures.organizations) == (2, 0, 1)
    assert [c.slug for c in data.open_challenges] == ["open-one"]


def test_overview_api_shares_the_home_pages_data(web: TestClient, live_hub: Hub,
                                                 live_factories: Factories) -> None:
    host = live_factories.host()
    challenge = live_factories.challenge(host, "open-one")
    _teams(live_hub, challenge, [0.7, 0.6, 0.5])
    data = web.get("/api/v1/overview").json()
    assert data["figures"] == {"challenges": 1, "teams": 3, "submissions_scored": 3,
                               "organizations": 1}
    assert [c["slug"] for c in data["open_challenges"]] == ["open-one"]
    assert data["open_challenges"][0]["teams"] == 3


def test_list_filters_by_status_kind_of_metric_and_host(
    web: TestClient, live_factories: Factories
) -> None:
    now = utcnow()
    city, lab = live_factories.host("daejeon-city"), live_factories.host("gwangju-lab")
    live_factories.challenge(city, "open-auc")
    live_factories.challenge(city, "soon-rmse", metric="rmse",
                             start=now + timedelta(days=2), end=now + timedelta(days=5))
    live_factories.challenge(lab, "past-acc", metric="accuracy", organization="gwangju-lab",
                             start=now - timedelta(days=9), end=now - timedelta(days=2))
    slugs = re.compile(r'href="/challenges/([a-z0-9-]+)"')

    def listed(query: str) -> set[str]:
        response = web.get(f"/challenges{query}")
        assert response.status_code == 200, response.text
        return set(slugs.findall(response.text))

    assert listed("") == {"open-auc", "soon-rmse", "past-acc"}
    assert listed("?status=open") == {"open-auc"}
    assert listed("?status=upcoming") == {"soon-rmse"}
    assert listed("?status=closed&metric=") == {"past-acc"}
    assert listed("?metric=regression") == {"soon-rmse"}
    assert listed("?metric=classification") == {"open-auc", "past-acc"}
    assert listed("?host=gwangju-lab") == {"past-acc"}
    assert listed("?status=open&host=gwangju-lab") == set()
    page = web.get("/challenges", params={"metric": "classification"})
    assert '<option value="classification" selected>' in page.text
    assert "<form method=\"get\" action=\"/challenges\"" in page.text


def test_unknown_filter_values_are_said_next_to_the_field(web: TestClient,
                                                          live_factories: Factories) -> None:
    live_factories.challenge(live_factories.host(), "open-auc")
    response = web.get("/challenges", params={"status": "bogus", "host": "nobody"})
    assert response.status_code == 422
    assert 'id="e-status"' in response.text and "목록에서 상태를 고르세요" in response.text
    assert 'id="e-host"' in response.text and "nobody" in response.text
    assert 'href="/challenges/open-auc"' not in response.text  # nobody hosts nothing


def test_list_hides_what_the_api_hides(web: TestClient, live_hub: Hub,
                                       live_factories: Factories) -> None:
    host = live_factories.host()
    live_factories.challenge(host, "open-auc")
    live_factories.challenge(host, "by-link", visibility="unlisted")
    secret = live_factories.challenge(host, "invited", visibility="invite-only")
    live_factories.challenge(host, "pending", approved=False)
    guest = live_factories.person("guest")
    with live_hub.db.transaction() as session:
        fresh = session.get(Challenge, secret.id)
        assert fresh is not None
        invite(session, fresh, live_factories.actor(host), guest.user)
    assert set(re.findall(r'href="/challenges/([a-z-]+)"', web.get("/challenges").text)) == {
        "open-auc"}
    sign_in(web, live_hub, guest)
    assert set(re.findall(r'href="/challenges/([a-z-]+)"', web.get("/challenges").text)) == {
        "open-auc", "invited"}


# Challenge tabs --------------------------------------------------------------------------


def test_visitor_reads_every_tab_and_is_asked_to_log_in(
    web: TestClient, live_factories: Factories
) -> None:
    challenge = live_factories.challenge(live_factories.host(), "power-watch")
    overview_tab = web.get("/challenges/power-watch")
    assert overview_tab.status_code == 200
    assert "설명입니다." in overview_tab.text and "<code>roc_auc</code>" in overview_tab.text
    assert "높을수록 좋음" in overview_tab.text and "본선" in overview_tab.text
    assert 'aria-current="page">개요' in overview_tab.text
    for tab in ("/submit", "/submissions", "/team", "/host/challenges"):
        assert tab not in overview_tab.text  # a visitor's tabs are the readable ones
    data = web.get("/challenges/power-watch/data")
    assert "train.csv" in data.text and "제출 예시" in data.text
    assert "/challenges/power-watch/files/" not in data.text
    assert "/login?next=/challenges/power-watch/data" in data.text
    rules = web.get("/challenges/power-watch/rules")
    assert "규칙을 지킵니다." in rules.text
    assert "/login?next=/challenges/power-watch/rules" in rules.text
    assert 'action="/challenges/power-watch/join"' not in rules.text
    for page in (overview_tab, data, rules, web.get("/challenges/power-watch/leaderboard")):
        assert "solution" not in page.text
        assert challenge.solution_sha256 not in page.text


def test_member_joins_from_the_rules_tab_then_sees_download_links(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    challenge = live_factories.challenge(live_factories.host(), "power-watch")
    member = live_factories.person("minsu")
    sign_in(web, live_hub, member)
    rules = web.get("/challenges/power-watch/rules")
    assert 'method="post" action="/challenges/power-watch/join"' in rules.text
    assert csrf_token(web, "/challenges/power-watch/rules")
    assert 'href="/challenges/power-watch/submit"' in rules.text
    data = web.get("/challenges/power-watch/data")
    assert "/challenges/power-watch/files/" not in data.text
    assert "규칙에 동의하면" in data.text
    live_factories.join(challenge, member)
    data = web.get("/challenges/power-watch/data")
    for name in ("train.csv", "test.csv", "sample_submission.csv"):
        assert f'href="/challenges/power-watch/files/{name}"' in data.text
    assert "solution" not in data.text
    assert "규칙에 동의했습니다." in web.get("/challenges/power-watch/rules").text


def test_english_challenge_page(web_en: TestClient, live_factories: Factories) -> None:
    live_factories.challenge(live_factories.host(), "power-watch")
    page = web_en.get("/challenges/power-watch")
    assert '<html lang="en">' in page.text
    assert "Test challenge power-watch" in page.text and "A description." in page.text
    assert "higher is better" in page.text and "Main" in page.text


@pytest.mark.parametrize("path", ["", "/data", "/rules", "/leaderboard"])
def test_unapproved_and_invite_only_challenges_are_not_found_for_strangers(
    path: str, web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host = live_factories.host()
    live_factories.challenge(host, "pending", approved=False)
    live_factories.challenge(host, "invited", visibility="invite-only")
    live_factories.challenge(host, "by-link", visibility="unlisted")
    for slug in ("pending", "invited", "no-such"):
        response = web.get(f"/challenges/{slug}{path}")
        assert response.status_code == 404, slug
        assert "찾을 수 없습니다" in response.text
    assert web.get(f"/challenges/by-link{path}").status_code == 200
    sign_in(web, live_hub, live_factories.person("stranger"))
    assert web.get(f"/challenges/invited{path}").status_code == 404
    sign_in(web, live_hub, host)
    assert web.get(f"/challenges/pending{path}").status_code == 200


def test_hosts_see_a_manage_tab_and_the_approval_notice(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host = live_factories.host()
    live_factories.challenge(host, "pending", approved=False)
    sign_in(web, live_hub, host)
    page = web.get("/challenges/pending")
    assert 'href="/host/challenges/pending"' in page.text
    assert "승인을 기다리고" in page.text


# Leaderboard -----------------------------------------------------------------------------


def test_leaderboard_in_korean_and_english_with_an_unranked_baseline(
    web: TestClient, web_en: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host = live_factories.host()
    challenge = live_factories.challenge(host, "power-watch")
    _teams(live_hub, challenge, [0.61, 0.93, 0.75], prefix="team")
    _baseline(live_hub, challenge, host, 0.70)
    korean = web.get("/challenges/power-watch/leaderboard")
    assert korean.status_code == 200
    assert _rows(korean.text) == ["team1", "team2", "기준선", "team0"]
    assert "0.93000" in korean.text and "기준 모델" in korean.text
    baseline_row = korean.text.split('<tr class="baseline">', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">–</td>' in baseline_row
    assert 'role="img"' in korean.text
    assert "<title>시간에 따른 최고 공개 점수</title>" in korean.text
    assert "<details>" in korean.text  # the charts' numbers as tables
    english = web_en.get("/challenges/power-watch/leaderboard")
    assert _rows(english.text) == ["team1", "team2", "Baseline", "team0"]
    assert "Public leaderboard" in english.text and "Best public score over time" in english.text
    assert "Server-Timing" in english.headers and "page;dur=" in english.headers["Server-Timing"]


def test_leaderboard_pages_have_fifty_rows_and_the_readers_team_stands_out(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host = live_factories.host()
    challenge = live_factories.challenge(host, "big-board")
    _teams(live_hub, challenge, [1 - n / 1000 for n in range(120)])
    first = web.get("/challenges/big-board/leaderboard")
    assert _rows(first.text) == [f"t{n}" for n in range(50)]
    next_page = "/challenges/big-board/leaderboard?split=public&amp;phase=main&amp;page=2"
    assert f'href="{next_page}"' in first.text
    second = web.get("/challenges/big-board/leaderboard", params={"page": 2})
    assert _rows(second.text) == [f"t{n}" for n in range(50, 100)]
    assert _rows(web.get("/challenges/big-board/leaderboard?page=99").text) == [
        f"t{n}" for n in range(100, 120)]
    assert _rows(web.get("/challenges/big-board/leaderboard?page=x").text)[0] == "t0"
    assert 'class="mine"' not in first.text
    with live_hub.db.reading() as session:
        member = session.query(User).filter_by(username="t77").one()
    sign_in(web, live_hub, Person(member, ""))
    mine = web.get("/challenges/big-board/leaderboard")
    assert 'class="mine"' not in mine.text
    assert "page=2#team-" in mine.text and "78위" in mine.text
    second = web.get("/challenges/big-board/leaderboard?page=2")
    row = second.text.split('<tr class="mine"', 1)[1].split("</tr>", 1)[0]
    assert "t77" in row and 'aria-current="true"' in row and "우리 팀" in row


def test_private_board_is_refused_before_it_opens(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    host = live_factories.host()
    challenge = live_factories.challenge(host, "power-watch")
    _teams(live_hub, challenge, [0.61, 0.93], private=[0.111222, 0.333444])
    page = web.get("/challenges/power-watch/leaderboard?split=private")
    assert page.status_code == 403
    assert "The private leaderboard opens when the phase ends" in page.text
    assert "0.11122" not in page.text
    public = web.get("/challenges/power-watch/leaderboard")
    assert "split=private" not in public.text  # no link to a board the reader cannot see
    assert "0.11122" not in public.text and "0.33344" not in public.text
    for kind in ("", "/history", "/distribution"):
        api = web.get(f"/api/v1/challenges/power-watch/leaderboard{kind}?split=private")
        assert api.status_code == 403, kind
        assert api.json()["detail"].startswith("The private leaderboard opens")
        shown = web.get(f"/api/v1/challenges/power-watch/leaderboard{kind}").text
        assert "0.111222" not in shown and "0.333444" not in shown
    sign_in(web, live_hub, host)
    hosted = web.get("/challenges/power-watch/leaderboard?split=private")
    assert hosted.status_code == 200 and _rows(hosted.text) == ["t1", "t0"]
    assert "주최자는 공개 전에" in hosted.text
    with live_hub.db.transaction() as session:
        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        reveal_private(session, fresh, live_factories.actor(live_factories.curator()))
    web.cookies.clear()
    revealed = web.get("/challenges/power-watch/leaderboard?split=private")
    assert revealed.status_code == 200 and "0.33344" in revealed.text


def test_a_new_score_shows_on_the_board_right_after_it_is_recorded(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    challenge = live_factories.challenge(live_factories.host(), "power-watch")
    _teams(live_hub, challenge, [0.61, 0.93])
    assert _rows(web.get("/challenges/power-watch/leaderboard").text) == ["t1", "t0"]
    member = live_factories.person("minsu")
    live_factories.join(challenge, member)
    sample = (live_factories.bundles / "power-watch" / "baseline.csv").read_bytes()
    answer = web.post("/api/v1/challenges/power-watch/submissions", headers=member.headers,
                      files={"file": ("b.csv", sample)}, params={"wait": 20})
    assert answer.status_code == 201 and answer.json()["status"] == "finished", answer.text
    board = web.get("/challenges/power-watch/leaderboard")
    assert "minsu" in _rows(board.text)
    assert f"{answer.json()['public_score']:.5f}" in board.text
    api = web.get("/api/v1/challenges/power-watch/leaderboard").json()
    assert [row["team"] for row in api["rows"]] == _rows(board.text)


def test_leaderboard_of_another_phase_and_unknown_phase(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    challenge = live_factories.challenge(live_factories.host(), "power-watch")
    _teams(live_hub, challenge, [0.5])
    assert web.get("/challenges/power-watch/leaderboard?phase=main").status_code == 200
    missing = web.get("/challenges/power-watch/leaderboard?phase=final")
    assert missing.status_code == 404 and "final" in missing.text
    assert web.get("/challenges/power-watch/leaderboard?split=secret").status_code == 422


def test_empty_board_says_so(web: TestClient, live_factories: Factories) -> None:
    live_factories.challenge(live_factories.host(), "power-watch")
    page = web.get("/challenges/power-watch/leaderboard")
    assert page.status_code == 200 and "아직 점수가 없습니다" in page.text


def test_public_pages_work_without_javascript(web: TestClient, live_hub: Hub,
                                              live_factories: Factories) -> None:
    challenge = live_factories.challenge(live_factories.host(), "power-watch")
    _teams(live_hub, challenge, [0.5 + n / 100 for n in range(60)])
    sign_in(web, live_hub, live_factories.person("minsu"))
    paths = ["/", "/challenges", "/challenges?status=open", "/challenges/power-watch",
             "/challenges/power-watch/data", "/challenges/power-watch/rules",
             "/challenges/power-watch/leaderboard", "/challenges/power-watch/leaderboard?page=2"]
    for path in paths:
        html = web.get(path).text
        # Links and forms only: nothing waits for htmx to fetch or post.
        assert not re.search(r"\bhx-(get|post|put|delete|trigger|boost)=", html), path
        for form in re.findall(r"<form\b[^>]*>", html):
            assert 'method="' in form and 'action="/' in form, (path, form)
        for href in re.findall(r'href="(/[^"]*)"', html):
            if href.startswith(("/challenges", "/lang/")) and "/files/" not in href:
                assert web.get(href.replace("&amp;", "&")).status_code in (200, 303), href
