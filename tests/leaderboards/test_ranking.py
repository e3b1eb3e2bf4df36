"""Ranking rules: best per team, direction, ties to the earlier, private by selections."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aihub.accounts import teams
from aihub.challenges.models import Challenge
from aihub.db import utcnow
from aihub.errors import Forbidden
from aihub.evaluation.status import Status
from aihub.hub import Hub
from aihub.leaderboards.services import Split, leaderboard
from aihub.submissions.models import Submission
from factories import Factories, Person

T0 = utcnow() - timedelta(hours=5)


def _scored(hub: Hub, challenge: Challenge, team_id: int | None, user: Person,
            public: float, private: float, minutes: int, *, selected: bool = False,
            baseline: str = "") -> None:
    with hub.db.transaction() as session:
        session.add(Submission(
            challenge_id=challenge.id, phase_id=challenge.phases[0].id, team_id=team_id,
            user_id=user.user.id, filename="s.csv", sha256="0" * 64, size=1,
            status=Status.FINISHED.value, public_score=public, private_score=private,
            created_at=T0 + timedelta(minutes=minutes), selected=selected,
            is_baseline=bool(baseline), baseline_name_ko=baseline, baseline_name_en=baseline,
        ))


def _team(hub: Hub, factories: Factories, challenge: Challenge, person: Person) -> int:
    with hub.db.transaction() as session:
        return teams.solo_team(session, challenge, person.user).id


def _board(hub: Hub, factories: Factories, challenge: Challenge, split: Split,
           who: Person | None = None) -> list[tuple[int | None, str, float]]:
    with hub.db.reading() as session:
        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        board = leaderboard(session, fresh, fresh.phases[0], factories.actor(who), split=split,
                            now=utcnow())
        return [(row.rank, row.name, row.score) for row in board.rows]


def test_public_best_per_team_with_ties_to_the_earlier(hub: Hub, factories: Factories) -> None:
    host = factories.host()
    a, b, c = (factories.person(n) for n in ("ann", "ben", "cho"))
    challenge = factories.challenge(host, "rank-auc")
    ta, tb, tc = (_team(hub, factories, challenge, p) for p in (a, b, c))
    _scored(hub, challenge, ta, a, 0.70, 0.60, 1)
    _scored(hub, challenge, ta, a, 0.80, 0.65, 2)
    _scored(hub, challenge, tb, b, 0.80, 0.90, 1)  # same best as ann, earlier
    _scored(hub, challenge, tc, c, 0.75, 0.95, 3)
    _scored(hub, challenge, None, host, 0.72, 0.70, 0, baseline="기준선")
    assert _board(hub, factories, challenge, Split.PUBLIC) == [
        (1, "ben", 0.80), (2, "ann", 0.80), (3, "cho", 0.75), (None, "기준선", 0.72),
    ]


def test_lower_is_better_for_rmse(hub: Hub, factories: Factories) -> None:
    host, a, b = factories.host(), factories.person("ann"), factories.person("ben")
    challenge = factories.challenge(host, "rank-rmse", metric="accuracy")
    with hub.db.transaction() as session:
        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        fresh.metric = "rmse"
    ta, tb = _team(hub, factories, challenge, a), _team(hub, factories, challenge, b)
    _scored(hub, challenge, ta, a, 3.0, 3.0, 1)
    _scored(hub, challenge, tb, b, 2.0, 4.0, 2)
    _scored(hub, challenge, ta, a, 5.0, 1.0, 3)
    assert _board(hub, factories, challenge, Split.PUBLIC) == [(1, "ben", 2.0), (2, "ann", 3.0)]


def test_private_ranks_selections_or_best_public(hub: Hub, factories: Factories) -> None:
    host = factories.host()
    a, b = factories.person("ann"), factories.person("ben")
    curator = factories.person("cur", curator=True)
    challenge = factories.challenge(host, "rank-private", final_selections=1)
    ta, tb = _team(hub, factories, challenge, a), _team(hub, factories, challenge, b)
    # ann selects her weaker public submission, which is better in private.
    _scored(hub, challenge, ta, a, 0.90, 0.60, 1)
    _scored(hub, challenge, ta, a, 0.70, 0.85, 2, selected=True)
    # ben selects nothing: his best public one (0.8) counts, not his best private (0.99).
    _scored(hub, challenge, tb, b, 0.80, 0.70, 1)
    _scored(hub, challenge, tb, b, 0.60, 0.99, 2)
    with pytest.raises(Forbidden, match="opens when the phase ends"):
        _board(hub, factories, challenge, Split.PRIVATE, a)
    assert _board(hub, factories, challenge, Split.PRIVATE, host) == [
        (1, "ann", 0.85), (2, "ben", 0.70),
    ]
    with hub.db.transaction() as session:
        from aihub.challenges.services import reveal_private

        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        reveal_private(session, fresh, factories.actor(curator))
    assert _board(hub, factories, challenge, Split.PRIVATE, a)[0] == (1, "ann", 0.85)
