"""A Codabench bundle's challenge through the pages: the overview says where it came from
(and the hosts read the import report), the Submit tab takes a zip for the bundle's
programs, a participant's run shows its columns and detailed results to the team only, and
the leaderboard shows the board's visible columns from each row's ranked submission. Runs
happen in the real sandbox (``code_hub``)."""

from __future__ import annotations

import contextlib
import html
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aihub.accounts import teams
from aihub.challenges.services import get_challenge
from aihub.hub import Hub
from factories import Factories, Person
from sandboxed import run_queued
from webclient import csrf_token, sign_in, web_client

API = "/api/v1"
HTMX = {"HX-Request": "true"}
BUNDLES = Path(__file__).parents[1] / "interop" / "bundles"
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox"


def _zip(folder: Path, dest: Path) -> bytes:
    return Path(shutil.make_archive(str(dest / folder.name), "zip", root_dir=folder)).read_bytes()


@pytest.fixture
def blobs(code_api: TestClient, code_factories: Factories, code_hub: Hub,
          tmp_path: Path) -> Person:
    """The blobs bundle imported by a host, approved, its baselines scored; the host."""
    host = code_factories.host()
    imported = code_api.post(f"{API}/challenges", headers=host.headers, data={"slug": "blobs"},
                             files={"file": ("b.zip", _zip(BUNDLES / "blobs_code", tmp_path))})
    assert imported.status_code == 201, imported.text
    approved = code_api.post(f"{API}/challenges/blobs/approve",
                             headers=code_factories.curator().headers)
    assert approved.status_code == 200, approved.text
    run_queued(code_hub)
    return host


@pytest.fixture
def web(code_hub: Hub) -> Iterator[TestClient]:
    with web_client(code_hub) as client:
        yield client


def _join(web: TestClient, hub: Hub, factories: Factories, *, sign: bool = True) -> Person:
    """A member who accepted the rules; signed in on ``web`` (else on a browser of their
    own)."""
    person = factories.person()
    with contextlib.ExitStack() as stack:
        browser = web if sign else stack.enter_context(web_client(hub))
        sign_in(browser, hub, person)
        joined = browser.post("/challenges/blobs/join", data={
            "csrf_token": csrf_token(browser, "/challenges/blobs/rules"), "accept": "1"})
        assert joined.status_code == 303, joined.text
    return person


def test_the_pages_of_an_imported_bundle(
    web: TestClient, code_hub: Hub, code_factories: Factories, blobs: Person, tmp_path: Path
) -> None:
    overview = web.get("/challenges/blobs").text
    assert "Codabench 대회 번들에서 가져온 대회입니다." in overview
    assert "가져오기 보고서" not in overview  # the hosts' alone
    evaluation = html.unescape(overview.split('id="evaluation"', 1)[1].split("</dl>", 1)[0])
    assert "순위 기준" in evaluation and "Accuracy" in evaluation
    assert "리더보드 열" in evaluation and "Duration (s)" in evaluation
    with web_client(code_hub) as host_web:
        sign_in(host_web, code_hub, blobs)
        assert "가져오기 보고서(주최자 전용)" in host_web.get("/challenges/blobs").text

    member = _join(web, code_hub, code_factories)
    submit = web.get("/challenges/blobs/submit").text
    assert "zip 파일 제출하기" in submit and 'accept=".zip"' in submit
    assert "Codabench 번들에 든 프로그램" in submit

    kit = _zip(BUNDLES / "blobs_code" / "starting_kit", tmp_path)
    sent = web.post("/challenges/blobs/submit", headers=HTMX,
                    data={"csrf_token": csrf_token(web, "/challenges/blobs/submit")},
                    files={"file": ("kit.zip", kit, "application/zip")})
    assert sent.status_code == 201, sent.text
    submission_id = int(re.search(r'id="submission-(\d+)"', sent.text).group(1))  # type: ignore[union-attr]
    run_queued(code_hub)

    status = html.unescape(web.get(f"/submissions/{submission_id}").text)
    assert "채점 완료" in status
    assert "Accuracy" in status and "Duration (s)" in status and "순위 기준" in status
    detailed = f"/submissions/{submission_id}/detailed-results"
    assert f'href="{detailed}"' in status
    opened = web.get(detailed)
    assert opened.status_code == 200 and "<h1>Blobs</h1>" in opened.text
    assert opened.headers["content-security-policy"] == CSP

    other = _join(web, code_hub, code_factories, sign=False)
    with code_hub.db.transaction() as session:
        teams.create_team(session, get_challenge(session, "blobs"),
                          code_factories.actor(other), "rivals")
    with web_client(code_hub) as other_web:
        sign_in(other_web, code_hub, other)
        assert other_web.get(detailed).status_code == 404
        api = other_web.get(f"{API}/submissions/{submission_id}/detailed-results",
                            headers=other.headers)
        assert api.status_code == 404

    accuracy = web.get(f"{API}/submissions/{submission_id}",
                       headers=member.headers).json()["scores"]["accuracy"]
    _the_board_shows_the_columns(code_hub, accuracy)


def _the_board_shows_the_columns(hub: Hub, accuracy: float) -> None:
    """Every row, the baseline's too, with the accuracy to its column's 3 decimals."""
    with web_client(hub) as visitor:
        response = visitor.get("/challenges/blobs/leaderboard")
        board = response.text
        assert response.status_code == 200, board[:3000]
    head = board.split("<thead>", 1)[1].split("</thead>", 1)[0]
    assert "Accuracy" in head and "Duration (s)" in head and "순위 기준" in head
    assert ">점수<" not in head  # the columns stand in for the one score
    rows = board.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    cells = re.findall(r'<td class="num">(\d\.\d{3})</td>', rows)
    assert len(cells) == rows.count("<tr") == 2, rows
    assert f"{accuracy:.3f}" in cells
    # The API gives the same columns and values (leaderboards.columns).
    with web_client(hub) as visitor:
        api = visitor.get(f"{API}/challenges/blobs/leaderboard").json()
    assert [(c["title"], c["primary"]) for c in api["columns"]] == [
        ("Accuracy", True), ("Duration (s)", False)]
    assert sorted(f"{row['scores']['accuracy']:.3f}" for row in api["rows"]) == sorted(cells)
