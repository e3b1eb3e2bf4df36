"""A program-scored board's columns: the API gives what the page shows (the visible columns
in the board's order, and each row's values from the submission it ranks by), never a
hidden column, and nothing for a board ranked by a built-in metric."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from aihub.accounts import teams
from aihub.app import create_app
from aihub.challenges.models import Challenge
from aihub.db import utcnow
from aihub.evaluation.plans import BoardColumns
from aihub.evaluation.status import Status
from aihub.hub import Hub
from aihub.leaderboards.columns import ranked_scores, visible_columns
from aihub.leaderboards.services import Row
from aihub.submissions.models import Submission
from factories import Factories, Person
from webclient import web_client

API = "/api/v1"
T0 = utcnow() - timedelta(hours=5)
COLUMNS = {
    "primary": "f1",
    "columns": [
        {"key": "secret", "title": "Secret", "index": 2, "hidden": True},
        {"key": "f1", "title": "F1", "index": 0, "precision": 3},
        {"key": "time", "title": "Time (s)", "index": 1, "sorting": "asc", "precision": 1},
    ],
}


@pytest.fixture
def api(hub: Hub) -> Iterator[TestClient]:
    with TestClient(create_app(hub=hub), raise_server_exceptions=False) as client:
        yield client


def _scored(hub: Hub, challenge: Challenge, team_id: int | None, person: Person,
            scores: dict[str, Any], minutes: int, baseline: str = "") -> int:
    with hub.db.transaction() as session:
        row = Submission(
            challenge_id=challenge.id, phase_id=challenge.phases[0].id, team_id=team_id,
            user_id=person.user.id, filename="s.zip", sha256="0" * 64, size=1,
            status=Status.FINISHED.value, public_score=scores["f1"], private_score=0.0,
            created_at=T0 + timedelta(minutes=minutes), scores=scores,
            is_baseline=bool(baseline), baseline_name_ko=baseline, baseline_name_en=baseline,
        )
        session.add(row)
        session.flush()
        return row.id


def _program_board(hub: Hub, factories: Factories) -> tuple[Challenge, list[int]]:
    """A challenge ranked by a scoring program's columns: two teams and a baseline (and the
    ids of the submissions, oldest first)."""
    host, ann, ben = factories.host(), factories.person("ann"), factories.person("ben")
    challenge = factories.challenge(host, "columns")
    with hub.db.transaction() as session:
        session.execute(update(Challenge).where(Challenge.id == challenge.id)
                        .values(evaluation_kind="program", board_columns=COLUMNS))
        ann_team = teams.solo_team(session, challenge, ann.user).id
        ben_team = teams.solo_team(session, challenge, ben.user).id
    return challenge, [
        _scored(hub, challenge, ann_team, ann, {"f1": 0.6, "time": 3, "secret": 0.11}, 1),
        _scored(hub, challenge, ann_team, ann, {"f1": 0.8, "time": 12, "secret": 0.12}, 2),
        _scored(hub, challenge, ben_team, ben, {"f1": 0.7, "secret": 0.13}, 3),
        _scored(hub, challenge, None, host, {"f1": 0.5, "time": 1.5, "secret": 0.14}, 4,
                "Base"),
    ]


def test_the_api_gives_the_columns_and_values_the_page_shows(
    api: TestClient, hub: Hub, factories: Factories
) -> None:
    _program_board(hub, factories)
    board = api.get(f"{API}/challenges/columns/leaderboard")
    assert board.status_code == 200, board.text
    body = board.json()
    assert body["columns"] == [
        {"key": "f1", "title": "F1", "precision": 3, "primary": True},
        {"key": "time", "title": "Time (s)", "precision": 1, "primary": False},
    ]
    assert [(row["team"], row["scores"]) for row in body["rows"]] == [
        ("ann", {"f1": 0.8, "time": 12.0}),  # the row's ranked submission, not its newest
        ("ben", {"f1": 0.7}),  # the program gave no time
        ("Base", {"f1": 0.5, "time": 1.5}),
    ]
    assert "secret" not in board.text and "Secret" not in board.text

    with web_client(hub) as visitor:
        page = html.unescape(visitor.get("/challenges/columns/leaderboard").text)
    table = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    cells = re.findall(r'<td class="num">([^<]*)</td>', table)
    for expected in ("0.800", "12.0", "0.700", "0.500", "1.5"):
        assert expected in cells, (expected, cells)
    assert "Secret" not in page and "0.12" not in table


def test_a_metric_board_has_no_columns(api: TestClient, factories: Factories) -> None:
    factories.challenge(factories.host(), "metric-board")
    body = api.get(f"{API}/challenges/metric-board/leaderboard").json()
    assert body["columns"] is None
    assert all(row["scores"] is None for row in body["rows"])


def test_ranked_scores_are_read_for_the_rows_in_their_order(
    hub: Hub, factories: Factories
) -> None:
    challenge, ids = _program_board(hub, factories)
    with hub.db.reading() as session:
        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        phase = fresh.phases[0]
        rows = [Row(rank=1, team_id=None, name="x", score=0.0, submitted_at=T0, entries=1,
                    is_baseline=False, submission_id=submission_id)
                for submission_id in (ids[1], None, ids[0], 10**6)]
        found = ranked_scores(session, phase, rows)
    assert [values and values["f1"] for values in found] == [0.8, None, 0.6, None]


def test_hidden_columns_are_for_hosts_alone() -> None:
    columns = BoardColumns.model_validate(COLUMNS)
    assert [c.key for c in visible_columns(columns, host=False)] == ["f1", "time"]
    assert [c.key for c in visible_columns(columns, host=True)] == ["f1", "time", "secret"]
    primary_hidden = columns.model_copy(update={"primary": "secret"})
    assert [c.key for c in visible_columns(primary_hidden, host=False)] == [
        "f1", "time", "secret"]  # the board's score is public anyway
