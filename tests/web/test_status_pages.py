"""A submission while it waits and runs, through the pages: its place in the queue, the
cancel button for who may use it (the team while queued, hosts while running too), the
host's cancel on the manage page, and the detailed results page with its policy. The hub
here runs no worker, so what is queued stays queued until the test moves it."""

from __future__ import annotations

import html
import io
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from aihub.accounts import teams
from aihub.challenges.models import Challenge, Phase
from aihub.evaluation.models import Job
from aihub.evaluation.worker import claim_in
from aihub.hub import Hub
from aihub.submissions.models import Submission
from factories import Factories, Person
from webclient import csrf_token, sign_in, web_client

HTMX = {"HX-Request": "true"}
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"


@pytest.fixture
def web(hub: Hub) -> Iterator[TestClient]:
    with web_client(hub) as client:
        yield client


@pytest.fixture
def challenge(factories: Factories) -> Challenge:
    return factories.challenge(factories.host(), "waiting-room")


@pytest.fixture
def member(web: TestClient, hub: Hub, factories: Factories, challenge: Challenge) -> Person:
    person = factories.person("jiwoo")
    factories.join(challenge, person)
    sign_in(web, hub, person)
    return person


def _submit(web: TestClient, factories: Factories, *, htmx: bool = True) -> httpx.Response:
    sample = (factories.bundles / "waiting-room" / "sample_submission.csv").read_bytes()
    return web.post("/challenges/waiting-room/submit", headers=HTMX if htmx else None,
                    data={"csrf_token": csrf_token(web, "/challenges/waiting-room/submit")},
                    files={"file": ("p.csv", sample, "text/csv")})


def _id(fragment: str) -> int:
    return int(fragment.split('id="submission-', 1)[1].split('"', 1)[0])


def _cancel(web: TestClient, submission_id: int, *, htmx: bool = True) -> httpx.Response:
    return web.post(f"/submissions/{submission_id}/cancel", headers=HTMX if htmx else None,
                    data={"csrf_token": csrf_token(web, f"/submissions/{submission_id}")})


def _used_today(web: TestClient) -> str:
    page = web.get("/challenges/waiting-room/submit").text
    return page.split('<div class="figures">', 1)[1].split("</strong>", 1)[0].split("<strong>")[1]


def test_the_team_sees_its_place_and_withdraws_a_waiting_submission(
    web: TestClient, hub: Hub, factories: Factories, challenge: Challenge, member: Person
) -> None:
    first = _submit(web, factories)
    assert first.status_code == 201, first.text
    assert "대기열에서 다음 차례입니다." in first.text
    assert 'hx-trigger="every 1s"' in first.text
    second = _submit(web, factories)
    assert _used_today(web) == "2 / 5"
    assert "대기열에서 앞에 1건이 있습니다." in second.text
    # Others ahead: it asks less often, a whole run at a time moves it on.
    assert 'hx-trigger="every 5s"' in second.text
    assert f'action="/submissions/{_id(second.text)}/cancel"' in second.text

    cancelled = _cancel(web, _id(first.text))
    assert cancelled.status_code == 200, cancelled.text
    assert "취소됨" in cancelled.text and "제출 횟수에 세지 않습니다" in cancelled.text
    assert "hx-trigger" not in cancelled.text  # final: no more polling
    assert "/cancel" not in cancelled.text
    assert _used_today(web) == "1 / 5"  # a cancelled submission does not count

    # Without JavaScript: a plain form, answered by the submission's page.
    plain = _cancel(web, _id(second.text), htmx=False)
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/submissions/{_id(second.text)}"
    assert "취소됨" in web.get(plain.headers["location"]).text
    again = _cancel(web, _id(second.text))
    assert again.status_code == 409
    assert "nothing to cancel" in html.unescape(again.text)


def test_once_it_runs_only_hosts_stop_it(
    web: TestClient, hub: Hub, factories: Factories, challenge: Challenge, member: Person
) -> None:
    submission_id = _id(_submit(web, factories).text)
    with hub.db.transaction() as session:
        job_id = session.scalar(select(Job.id).where(Job.submission_id == submission_id))
        assert claim_in(session, owner="w1", lease_seconds=60, queues=("default",),
                        job_id=job_id) is not None
    running = web.get(f"/submissions/{submission_id}", headers=HTMX)
    assert "부터 실행 중입니다." in running.text
    assert "/cancel" not in running.text
    refused = _cancel(web, submission_id)
    assert refused.status_code == 409
    assert "only the challenge&#39;s hosts can stop it now" in refused.text

    # The team cannot use the hosts' address for it either.
    token = csrf_token(web, f"/submissions/{submission_id}")
    as_member = web.post(f"/host/challenges/waiting-room/submissions/{submission_id}/cancel",
                         data={"csrf_token": token})
    assert as_member.status_code == 403

    host = factories.host()
    with web_client(hub) as host_web:
        sign_in(host_web, hub, host)
        manage = host_web.get("/host/challenges/waiting-room")
        assert f"/submissions/{submission_id}/cancel" in manage.text
        token = csrf_token(host_web, "/host/challenges/waiting-room")
        stopped = host_web.post(
            f"/host/challenges/waiting-room/submissions/{submission_id}/cancel",
            data={"csrf_token": token},
        )
        assert stopped.status_code == 303, stopped.text
        shown = host_web.get(stopped.headers["location"]).text
        assert f"제출 {submission_id}을 취소했습니다." in shown
    assert "취소됨" in web.get(f"/submissions/{submission_id}").text


def test_the_cancel_forms_refuse_a_missing_or_wrong_token(
    web: TestClient, hub: Hub, factories: Factories, challenge: Challenge, member: Person
) -> None:
    submission_id = _id(_submit(web, factories).text)
    host = factories.host()
    with web_client(hub) as host_web:
        sign_in(host_web, hub, host)
        for client, path in ((web, f"/submissions/{submission_id}/cancel"), (
                host_web, f"/host/challenges/waiting-room/submissions/{submission_id}/cancel")):
            for data in ({}, {"csrf_token": "0" * 64}):
                for headers in (HTMX, None):
                    refused = client.post(path, data=data, headers=headers)
                    assert refused.status_code == 403, (path, data, refused.text)
    with hub.db.reading() as session:
        assert session.get(Submission, submission_id).status == "queued"  # type: ignore[union-attr]
        job = session.scalar(select(Job).where(Job.submission_id == submission_id))
        assert job is not None and job.status == "queued"


def _in_another_team(hub: Hub, factories: Factories, challenge: Challenge) -> Person:
    """A member of the challenge in a team of their own: another team, not a stranger."""
    other = factories.person("other-team")
    factories.join(challenge, other)
    with hub.db.transaction() as session:
        teams.create_team(session, session.merge(challenge), factories.actor(other), "rivals")
    return other


def _enable_detailed_results(hub: Hub, challenge: Challenge, enabled: bool) -> None:
    with hub.db.transaction() as session:
        session.execute(update(Phase).where(Phase.challenge_id == challenge.id)
                        .values(task={"enable_detailed_results": enabled}))


def test_detailed_results_open_for_the_team_and_hosts_only(
    web: TestClient, hub: Hub, factories: Factories, challenge: Challenge, member: Person
) -> None:
    submission_id = _id(_submit(web, factories).text)
    _enable_detailed_results(hub, challenge, True)
    path = f"/submissions/{submission_id}/detailed-results"
    assert web.get(path).status_code == 404  # none written yet
    blob = hub.storage.put_file(io.BytesIO(b"<h1>Per class</h1>"))
    with hub.db.transaction() as session:
        session.execute(update(Submission).where(Submission.id == submission_id)
                        .values(detailed_results_sha256=blob.sha256))
    assert f'href="{path}"' in web.get(f"/submissions/{submission_id}").text
    opened = web.get(path)
    assert opened.status_code == 200 and opened.text == "<h1>Per class</h1>"
    assert opened.headers["content-security-policy"] == CSP
    assert opened.headers["x-content-type-options"] == "nosniff"

    other = _in_another_team(hub, factories, challenge)
    with web_client(hub) as other_web:
        sign_in(other_web, hub, other)
        assert other_web.get(path).status_code == 404
        assert other_web.get(f"/submissions/{submission_id}").status_code == 404
    with web_client(hub) as visitor:
        assert visitor.get(path).status_code in (303, 401)  # to the log-in page

    # Where the bundle does not enable them, they are the hosts' alone.
    _enable_detailed_results(hub, challenge, False)
    assert web.get(path).status_code == 404
    assert f'href="{path}"' not in web.get(f"/submissions/{submission_id}").text
    with web_client(hub) as host_web:
        sign_in(host_web, hub, factories.host())
        assert host_web.get(path).text == "<h1>Per class</h1>"


def test_a_detailed_results_file_missing_from_the_store_is_not_found(
    web: TestClient, hub: Hub, factories: Factories, challenge: Challenge, member: Person
) -> None:
    submission_id = _id(_submit(web, factories).text)
    _enable_detailed_results(hub, challenge, True)
    with hub.db.transaction() as session:
        session.execute(update(Submission).where(Submission.id == submission_id)
                        .values(detailed_results_sha256="ab" * 32))
    missing = web.get(f"/submissions/{submission_id}/detailed-results")
    assert missing.status_code == 404
    assert "missing from the hub&#39;s store" in missing.text
