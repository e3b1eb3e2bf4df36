"""Taking part through the pages: join, download, submit (plain form and the script's
XMLHttpRequest), follow the score, my submissions and final selections, teams, invitations.
What must stay hidden is tried through the pages too."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from aihub.accounts import teams
from aihub.challenges.models import Challenge
from aihub.challenges.services import get_challenge, has_accepted_rules, reveal_private
from aihub.hub import Hub
from aihub.submissions.models import Submission
from factories import Factories, Person
from webclient import csrf_token, sign_in, web_client

HTMX = {"HX-Request": "true"}


def post(client: TestClient, path: str, form_page: str = "/me", headers: dict[str, str] | None
         = None, files: Any = None, **data: str) -> httpx.Response:
    """A form sent with the CSRF token of a page the member has open."""
    return client.post(path, data={"csrf_token": csrf_token(client, form_page), **data},
                       files=files, headers=headers)


def sample(factories: Factories, slug: str, name: str = "sample_submission.csv") -> bytes:
    return (factories.bundles / slug / name).read_bytes()


def submit(client: TestClient, slug: str, content: bytes, *, message: str = "",
           headers: dict[str, str] | None = None) -> httpx.Response:
    return post(client, f"/challenges/{slug}/submit", headers=headers, message=message,
                files={"file": ("predictions.csv", content, "text/csv")})


def api_submit(client: TestClient, person: Person, slug: str, content: bytes) -> int:
    response = client.post(f"/api/v1/challenges/{slug}/submissions", params={"wait": 30},
                           files={"file": ("p.csv", content)}, headers=person.headers)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "finished"
    return int(response.json()["id"])


def count_submissions(hub: Hub) -> int:
    with hub.db.reading() as session:
        return session.scalar(select(func.count(Submission.id))) or 0


@pytest.fixture
def challenge(live_factories: Factories) -> Challenge:
    return live_factories.challenge(live_factories.host(), "traffic", final_selections=1)


@pytest.fixture
def member(web: TestClient, live_hub: Hub, live_factories: Factories,
           challenge: Challenge) -> Person:
    """A member logged in on ``web`` who has accepted the challenge's rules."""
    person = live_factories.person("minji")
    live_factories.join(challenge, person)
    sign_in(web, live_hub, person)
    return person


def test_a_member_signs_up_joins_downloads_submits_and_sees_the_score(
    web: TestClient, live_hub: Hub, live_factories: Factories, challenge: Challenge
) -> None:
    password = "correct horse battery"
    signed_up = post(web, "/signup", "/signup", username="minji", email="minji@example.org",
                     display_name="", password=password, password_repeat=password)
    assert signed_up.status_code == 303
    assert web.get("/challenges/traffic/files/sample_submission.csv").status_code == 403
    joined = post(web, "/challenges/traffic/join", accept="1")
    assert joined.status_code == 303 and joined.headers["location"] == "/challenges/traffic/data"
    download = web.get("/challenges/traffic/files/sample_submission.csv")
    assert download.status_code == 200
    assert download.content == sample(live_factories, "traffic")
    assert 'filename="sample_submission.csv"' in download.headers["content-disposition"]

    form = web.get("/challenges/traffic/submit")
    assert 'type="file"' in form.text and 'enctype="multipart/form-data"' in form.text
    assert "data-dropzone" in form.text and "<progress" in form.text
    # Without JavaScript: a plain POST, scored while the browser waits, then its page.
    sent = submit(web, "traffic", download.content, message="첫 제출")
    assert sent.status_code == 303
    page = web.get(sent.headers["location"])
    assert page.status_code == 200 and "채점 완료" in page.text
    assert "0.50000" in page.text and "첫 제출" in page.text and "hx-trigger" not in page.text

    # With the script: the status fragment at once, polled until it is final.
    fragment = submit(web, "traffic", sample(live_factories, "traffic", "baseline.csv"),
                      headers=HTMX)
    assert fragment.status_code == 201 and "<html" not in fragment.text
    submission_id = re.search(r'id="submission-(\d+)"', fragment.text)
    assert submission_id
    status = fragment.text
    for _ in range(120):
        if 'hx-trigger="every 1s"' not in status:
            break
        time.sleep(0.25)
        status = web.get(f"/submissions/{submission_id.group(1)}", headers=HTMX).text
    assert "채점 완료" in status and "공개 점수" in status

    listing = web.get("/challenges/traffic/submissions")
    assert listing.status_code == 200
    assert listing.text.count('<tr id="s-') == 2 and "첫 제출" in listing.text
    assert "비공개 점수" not in listing.text  # the private board is not open yet


def test_joining_needs_the_box_ticked(web: TestClient, live_hub: Hub,
                                      live_factories: Factories, challenge: Challenge) -> None:
    person = live_factories.person("minji")
    sign_in(web, live_hub, person)
    response = post(web, "/challenges/traffic/join")
    assert response.status_code == 422
    assert 'name="accept" type="checkbox"' in response.text
    assert re.search(r'id="e-accept" class="field-error">규칙 동의 칸에 표시한', response.text)
    assert "규칙을 지킵니다." in response.text  # the rules, to read before ticking
    with live_hub.db.reading() as session:
        assert not has_accepted_rules(session, challenge, person.user)


def test_downloads_follow_the_apis_policy_and_never_give_the_solution(
    web: TestClient, live_hub: Hub, live_factories: Factories, challenge: Challenge
) -> None:
    path = "/challenges/traffic/files/train.csv"
    visitor = web.get(path)
    assert visitor.status_code == 303 and visitor.headers["location"].startswith("/login?next=")
    sign_in(web, live_hub, live_factories.person("minji"))
    refused = web.get(path)
    assert refused.status_code == 403 and "규칙 탭에서 규칙에 동의하세요" in refused.text
    post(web, "/challenges/traffic/join", accept="1")
    assert web.get(path).status_code == 200
    assert web.get("/challenges/traffic/files/solution.csv").status_code == 404
    assert web.get("/challenges/traffic/files/../solution.csv").status_code == 404
    with web_client(live_hub) as host_browser:
        host = live_factories.host()
        sign_in(host_browser, live_hub, host)
        assert host_browser.get(path).status_code == 200  # hosts need not join


def test_the_submit_form_explains_each_problem_and_keeps_the_message(
    web: TestClient, live_hub: Hub, live_factories: Factories, member: Person
) -> None:
    no_file = post(web, "/challenges/traffic/submit", message="메모는 남아요")
    assert no_file.status_code == 422
    assert 'id="e-file" class="field-error">제출할 파일을 고르세요.<' in no_file.text
    assert "메모는 남아요</textarea>" in no_file.text
    assert count_submissions(live_hub) == 0

    long_message = submit(web, "traffic", sample(live_factories, "traffic"), message="x" * 501)
    assert long_message.status_code == 422 and 'id="e-message"' in long_message.text
    assert count_submissions(live_hub) == 0

    bad = submit(web, "traffic", b"id,wrong\n1,0.5\n", message="열 이름이 틀림")
    assert bad.status_code == 422
    assert re.search(r'id="e-file" class="field-error">[^<]*target', bad.text)
    assert "열 이름이 틀림</textarea>" in bad.text
    # The API's rule: a file failing the quick check is kept as failed and does not count.
    with live_hub.db.reading() as session:
        statuses = session.scalars(select(Submission.status)).all()
    assert statuses == ["failed"]
    assert "0 / 5" in web.get("/challenges/traffic/submit").text

    scripted = submit(web, "traffic", b"id,wrong\n1,0.5\n", headers=HTMX)
    assert scripted.status_code == 422 and "<html" not in scripted.text
    assert 'role="alert"' in scripted.text and "target" in scripted.text


def test_submitting_before_accepting_the_rules_is_refused(
    web: TestClient, live_hub: Hub, live_factories: Factories, challenge: Challenge
) -> None:
    sign_in(web, live_hub, live_factories.person("minji"))
    form = web.get("/challenges/traffic/submit")
    assert form.status_code == 200 and 'type="file"' not in form.text
    assert 'href="/challenges/traffic/rules"' in form.text
    refused = submit(web, "traffic", sample(live_factories, "traffic"))
    assert refused.status_code == 403 and 'role="alert"' in refused.text
    assert count_submissions(live_hub) == 0


def test_another_teams_submission_is_not_found(
    web: TestClient, live_hub: Hub, live_factories: Factories, challenge: Challenge,
    member: Person,
) -> None:
    rival = live_factories.person("rival")
    live_factories.join(challenge, rival)
    theirs = api_submit(web, rival, "traffic", sample(live_factories, "traffic", "baseline.csv"))
    assert web.get(f"/submissions/{theirs}").status_code == 404
    assert web.get(f"/submissions/{theirs}", headers=HTMX).status_code == 404
    assert post(web, f"/submissions/{theirs}/select").status_code == 404
    assert web.get("/challenges/traffic/submissions").text.count('<tr id="s-') == 0
    with web_client(live_hub) as visitor:
        assert visitor.get(f"/submissions/{theirs}").status_code == 303


def test_host_only_failure_reasons_never_reach_participants(
    web: TestClient, live_hub: Hub, live_factories: Factories, member: Person
) -> None:
    mine = api_submit(web, member, "traffic", sample(live_factories, "traffic"))
    with live_hub.db.transaction() as session:
        session.execute(update(Submission).where(Submission.id == mine).values(
            status="failed", public_score=None, private_score=None,
            error="Row 3 has no prediction.", host_error="Traceback: /srv/hidden/solution.csv",
        ))
    for response in (web.get(f"/submissions/{mine}"),
                     web.get(f"/submissions/{mine}", headers=HTMX),
                     web.get("/challenges/traffic/submissions")):
        assert response.status_code == 200
        assert "Row 3 has no prediction." in response.text
        assert "Traceback" not in response.text and "/srv/hidden" not in response.text


def test_private_scores_show_only_once_the_private_board_opens(
    web: TestClient, live_hub: Hub, live_factories: Factories, challenge: Challenge,
    member: Person,
) -> None:
    api_submit(web, member, "traffic", sample(live_factories, "traffic", "baseline.csv"))
    closed = web.get("/challenges/traffic/submissions").text
    assert "비공개 점수" not in closed and closed.count("–") == 0
    with live_hub.db.transaction() as session:
        reveal_private(session, get_challenge(session, "traffic"),
                       live_factories.actor(live_factories.curator()))
    opened = web.get("/challenges/traffic/submissions").text
    assert "비공개 점수" in opened
    with live_hub.db.reading() as session:
        private = session.scalar(select(Submission.private_score).where(
            Submission.user_id == member.user.id))
    assert private is not None and f"{private:.5f}" in opened


def test_final_selection_with_htmx_and_with_a_plain_form(
    web: TestClient, live_hub: Hub, live_factories: Factories, member: Person
) -> None:
    first = api_submit(web, member, "traffic", sample(live_factories, "traffic"))
    second = api_submit(web, member, "traffic", sample(live_factories, "traffic", "baseline.csv"))
    assert web.post(f"/submissions/{first}/select", data={"selected": "1"}).status_code == 403
    plain = post(web, f"/submissions/{first}/select", selected="1")
    assert plain.status_code == 303
    assert plain.headers["location"] == "/challenges/traffic/submissions"
    listing = web.get("/challenges/traffic/submissions").text
    assert f'<tr id="s-{first}" class="mine">' in listing and "선택됨" in listing
    # One final selection allowed: a second is refused with the reason, in the fragment.
    refused = post(web, f"/submissions/{second}/select", headers=HTMX, selected="1")
    assert refused.status_code == 409 and "<html" not in refused.text
    assert 'role="alert"' in refused.text and "unselect one first" in refused.text
    unselected = post(web, f"/submissions/{first}/select", headers=HTMX, selected="0")
    assert unselected.status_code == 200 and 'id="submissions-table"' in unselected.text
    assert "선택됨" not in unselected.text
    with live_hub.db.reading() as session:
        assert not session.scalars(select(Submission.id).where(Submission.selected)).all()


def test_the_submissions_table_polls_only_while_something_is_being_scored(
    web: TestClient, live_hub: Hub, live_factories: Factories, member: Person
) -> None:
    mine = api_submit(web, member, "traffic", sample(live_factories, "traffic"))
    assert "hx-trigger" not in web.get("/challenges/traffic/submissions").text
    with live_hub.db.transaction() as session:
        session.execute(update(Submission).where(Submission.id == mine).values(status="running"))
    table = web.get("/challenges/traffic/submissions", headers=HTMX)
    assert table.status_code == 200 and table.text.lstrip().startswith('<div id="submissions')
    assert 'hx-trigger="every 2s"' in table.text


def test_a_team_is_made_joined_by_invitation_and_left(
    web: TestClient, live_hub: Hub, live_factories: Factories, challenge: Challenge,
    member: Person,
) -> None:
    empty = post(web, "/challenges/traffic/team", name=" ")
    assert empty.status_code == 422 and 'id="e-name"' in empty.text
    assert post(web, "/challenges/traffic/team", name="두루미").status_code == 303
    unknown = post(web, "/challenges/traffic/team/invite", username="nobody")
    assert unknown.status_code == 422
    assert 'value="nobody"' in unknown.text and 'id="e-username"' in unknown.text
    sora = live_factories.person("sora")
    assert post(web, "/challenges/traffic/team/invite", username="sora").status_code == 303
    team_page = web.get("/challenges/traffic/team").text
    assert "두루미" in team_page and "sora" in team_page  # waiting for sora's answer

    with web_client(live_hub) as sora_browser:
        sign_in(sora_browser, live_hub, sora)
        waiting = sora_browser.get("/me/invites").text
        invite_id = re.search(r'action="/me/invites/(\d+)"', waiting)
        assert invite_id and "minji 님이 traffic 대회의 두루미 팀에 초대했습니다." in waiting
        path = f"/me/invites/{invite_id.group(1)}"
        assert post(sora_browser, path, answer="maybe").status_code == 422
        accepted = post(sora_browser, path, answer="accept")
        assert accepted.status_code == 303
        assert accepted.headers["location"] == "/challenges/traffic/team"
        again = post(sora_browser, path, answer="accept")
        assert again.status_code == 409 and "accepted already" in again.text
        assert post(sora_browser, "/challenges/traffic/team/leave").status_code == 303
    with live_hub.db.reading() as session:
        team = teams.team_of(session, challenge, member.user)
        assert team is not None and teams.member_count(session, team) == 1

    api_submit(web, member, "traffic", sample(live_factories, "traffic"))
    fixed = post(web, "/challenges/traffic/team/leave")
    assert fixed.status_code == 403 and 'role="alert"' in fixed.text
    assert "its members are fixed" in fixed.text


def test_declining_an_invitation_from_my_page(
    web: TestClient, live_hub: Hub, live_factories: Factories, challenge: Challenge,
    member: Person,
) -> None:
    sora = live_factories.person("sora")
    with live_hub.db.transaction() as session:
        traffic = get_challenge(session, "traffic")
        teams.create_team(session, traffic, live_factories.actor(sora), "까치")
        invitation = teams.invite(session, traffic, live_factories.actor(sora), member.user)
        invite_id = invitation.id
    declined = post(web, f"/me/invites/{invite_id}", answer="decline", next="/me")
    assert declined.status_code == 303 and declined.headers["location"] == "/me"
    assert "까치" not in web.get("/me").text
    with web_client(live_hub) as other:
        sign_in(other, live_hub, live_factories.person("third"))
        assert post(other, f"/me/invites/{invite_id}", answer="accept").status_code == 404


def test_participation_forms_without_the_token_change_nothing(
    web: TestClient, live_hub: Hub, live_factories: Factories, challenge: Challenge
) -> None:
    person = live_factories.person("minji")
    sign_in(web, live_hub, person)
    assert web.post("/challenges/traffic/join", data={"accept": "1"}).status_code == 403
    assert web.post("/challenges/traffic/team", data={"name": "x"}).status_code == 403
    with live_hub.db.reading() as session:
        assert not has_accepted_rules(session, challenge, person.user)
    live_factories.join(challenge, person)
    files = {"file": ("p.csv", sample(live_factories, "traffic"), "text/csv")}
    assert web.post("/challenges/traffic/submit", files=files,
                    data={"csrf_token": "0" * 64}).status_code == 403
    with live_hub.db.reading() as session:
        assert teams.team_of(session, challenge, person.user) is None
    assert count_submissions(live_hub) == 0
    # The token the page gives works: the refusals above were for the token alone.
    assert submit(web, "traffic", sample(live_factories, "traffic")).status_code == 303
