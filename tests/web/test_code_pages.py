"""Code challenges through the pages: what the overview and the Submit tab say about how code
runs, a zip submitted and followed until its output shows, and what stays the hosts' (the
whole output when hidden, the cause of a failure). Runs happen in the real sandbox
(``code_hub``; skipped, saying why, where bubblewrap cannot run)."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from aihub.accounts import teams
from aihub.challenges.services import get_challenge
from aihub.hub import Hub
from factories import Factories, Person
from sandboxed import code_extra, run_queued, zipped
from webclient import csrf_token, sign_in, web_client

HTMX = {"HX-Request": "true"}
MODEL = '''
class Model:
    def fit(self, X, y):
        print("training on", len(X), "rows")
        self.mean = float(X["x"].mean())

    def predict(self, X):
        return (X["x"] > self.mean).astype(float).to_numpy()
'''
CRASH = "class Model:\n    def fit(self, X, y):\n        raise ValueError('bad column z')\n"


@pytest.fixture
def web(code_hub: Hub) -> Iterator[TestClient]:
    with web_client(code_hub) as client:
        yield client


def _challenge(factories: Factories, **extra: Any) -> tuple[str, Person]:
    host = factories.host()
    challenge = factories.challenge(host, extra=code_extra(**extra))
    return challenge.slug, host


def _member(web: TestClient, hub: Hub, factories: Factories, slug: str) -> Person:
    person = factories.person()
    with hub.db.reading() as session:
        challenge = get_challenge(session, slug)
    factories.join(challenge, person)
    sign_in(web, hub, person)
    return person


def _in_another_team(hub: Hub, factories: Factories, slug: str) -> Person:
    """A member of the challenge in a team of their own: another team, not a stranger."""
    person = factories.person()
    with hub.db.reading() as session:
        challenge = get_challenge(session, slug)
    factories.join(challenge, person)
    with hub.db.transaction() as session:
        teams.create_team(session, get_challenge(session, slug), factories.actor(person),
                          "rivals")
    return person


def _submit(web: TestClient, slug: str, files: dict[str, str]) -> httpx.Response:
    token = csrf_token(web, f"/challenges/{slug}/submit")
    return web.post(f"/challenges/{slug}/submit", headers=HTMX, data={"csrf_token": token},
                    files={"file": ("code.zip", zipped(files), "application/zip")})


def _id(fragment: str) -> int:
    return int(fragment.split('id="submission-', 1)[1].split('"', 1)[0])


def test_the_pages_say_how_code_runs(
    web: TestClient, code_hub: Hub, code_factories: Factories
) -> None:
    slug, _ = _challenge(code_factories)
    overview = html.unescape(web.get(f"/challenges/{slug}").text)
    for said in ("코드가 실행되는 방식", "맨 위에 model.py가 있는 zip 파일", "class Model:",
                 "def predict(self, X):", "<code>default</code>", "시간: 실행 전체에 20초",
                 "메모리: 512 MB", "디스크: 64 MB까지 쓰기", "네트워크 없이 실행",
                 "16 KB까지"):
        assert said in overview, said
    with web_client(code_hub, lang="en") as english:
        page = english.get(f"/challenges/{slug}").text
        assert "How your code runs" in page and "Memory: 512 MB" in page

    _member(web, code_hub, code_factories, slug)
    submit = html.unescape(web.get(f"/challenges/{slug}/submit").text)
    assert 'accept=".zip"' in submit and "코드 제출하기" in submit
    assert "맨 위에 model.py가 있는 zip 파일(아래 참고)" in submit

    main_slug, _ = _challenge(code_factories, fmt="main")
    main = html.unescape(web.get(f"/challenges/{main_slug}").text)
    assert "맨 위에 main.py가 있는 zip 파일" in main
    assert 'open("/data/test.csv")' in main
    assert "/predictions/predictions.csv" in main and "['id', 'target']" in main


def test_a_member_follows_a_run_to_its_output_and_hosts_see_the_cause_of_a_crash(
    web: TestClient, code_hub: Hub, code_factories: Factories
) -> None:
    slug, host = _challenge(code_factories)
    _member(web, code_hub, code_factories, slug)
    sent = _submit(web, slug, {"model.py": MODEL})
    assert sent.status_code == 201, sent.text
    assert "대기열에서 다음 차례입니다." in sent.text
    crashed = _submit(web, slug, {"model.py": CRASH})
    assert run_queued(code_hub) == 2

    done = web.get(f"/submissions/{_id(sent.text)}").text
    assert "채점 완료" in done and "프로그램이 출력한 내용" in done
    assert "training on 200 rows" in done
    failed = html.unescape(web.get(f"/submissions/{_id(crashed.text)}").text)
    assert "ValueError: bad column z" in failed
    assert "원인" not in failed and "주최자 전용" not in failed  # the hosts' alone

    with web_client(code_hub) as host_web:
        sign_in(host_web, code_hub, host)
        manage = html.unescape(host_web.get(f"/host/challenges/{slug}").text)
        assert "원인: 참가자의 코드나 파일" in manage
        assert "프로그램 출력" in manage and "training on 200 rows" in manage
        own = host_web.get(f"/submissions/{_id(crashed.text)}").text
        assert "프로그램들이 출력한 전체 내용(주최자 전용)" in own

    rival = _in_another_team(code_hub, code_factories, slug)
    with web_client(code_hub) as other:
        sign_in(other, code_hub, rival)
        assert other.get(f"/submissions/{_id(sent.text)}").status_code == 404


def test_a_hidden_output_reaches_the_hosts_only(
    web: TestClient, code_hub: Hub, code_factories: Factories
) -> None:
    slug, host = _challenge(code_factories, show_log=False)
    member = _member(web, code_hub, code_factories, slug)
    assert "주최자만 봅니다" in web.get(f"/challenges/{slug}/submit").text
    secret = "printed-output-4242"
    model = MODEL.replace('print("training on", len(X), "rows")', f'print("{secret}")')
    submission_id = _id(_submit(web, slug, {"model.py": model}).text)
    run_queued(code_hub)

    mine = web.get(f"/submissions/{submission_id}").text
    assert "채점 완료" in mine and secret not in mine
    api = web.get(f"/api/v1/submissions/{submission_id}", headers=member.headers).json()
    assert api["log"] == "" and api["host_log"] is None
    with web_client(code_hub) as host_web:
        sign_in(host_web, code_hub, host)
        assert secret in host_web.get(f"/submissions/{submission_id}").text
