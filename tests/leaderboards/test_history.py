"""A board's history (the leaders' best public score over time) and its score spread."""

from __future__ import annotations

from datetime import timedelta

from aihub.accounts import teams
from aihub.challenges.models import Challenge
from aihub.db import utcnow
from aihub.evaluation.metrics.base import Direction
from aihub.evaluation.status import Status
from aihub.hub import Hub
from aihub.leaderboards.history import (
    HISTORY_TEAMS,
    MAX_BINS,
    score_distribution,
    score_history,
)
from aihub.leaderboards.services import Row, Split, leaderboard
from aihub.submissions.models import Submission
from factories import Factories, Person

T0 = utcnow() - timedelta(hours=5)


def _scored(hub: Hub, challenge: Challenge, team_id: int, person: Person, public: float,
            private: float, minutes: int, status: Status = Status.FINISHED) -> None:
    with hub.db.transaction() as session:
        session.add(Submission(
            challenge_id=challenge.id, phase_id=challenge.phases[0].id, team_id=team_id,
            user_id=person.user.id, filename="s.csv", sha256="0" * 64, size=1,
            status=status.value, public_score=public, private_score=private,
            created_at=T0 + timedelta(minutes=minutes),
        ))


def _row(score: float, rank: int | None = 1, *, team_id: int | None = 1,
         baseline: bool = False, name: str = "t") -> Row:
    return Row(rank=None if baseline else rank, team_id=None if baseline else team_id,
               name=name, score=score, submitted_at=T0, entries=1, is_baseline=baseline)


def _history(hub: Hub, factories: Factories, challenge: Challenge, split: Split,
             who: Person | None = None) -> dict[str, list[tuple[int, float]]]:
    with hub.db.reading() as session:
        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        board = leaderboard(session, fresh, fresh.phases[0], factories.actor(who), split=split,
                            now=utcnow())
        series = score_history(session, fresh.phases[0].id, board.rows, board.direction)
    return {
        s.team: [(int((p.at - T0).total_seconds() // 60), p.score) for p in s.points]
        for s in series
    }


def test_history_steps_only_when_a_team_improves(hub: Hub, factories: Factories) -> None:
    host, ann, ben = factories.host(), factories.person("ann"), factories.person("ben")
    challenge = factories.challenge(host, "history-auc")
    with hub.db.transaction() as session:
        ta = teams.solo_team(session, challenge, ann.user).id
        tb = teams.solo_team(session, challenge, ben.user).id
    _scored(hub, challenge, ta, ann, 0.60, 0.10, 1)
    _scored(hub, challenge, ta, ann, 0.55, 0.99, 2)  # worse: no step
    _scored(hub, challenge, ta, ann, 0.70, 0.20, 3)
    _scored(hub, challenge, ta, ann, 0.99, 0.30, 4, status=Status.FAILED)  # not scored
    _scored(hub, challenge, tb, ben, 0.65, 0.40, 2)
    assert _history(hub, factories, challenge, Split.PUBLIC) == {
        "ann": [(1, 0.60), (3, 0.70)], "ben": [(2, 0.65)],
    }


def test_private_history_shows_public_scores_only(hub: Hub, factories: Factories) -> None:
    host, ann = factories.host(), factories.person("ann")
    challenge = factories.challenge(host, "history-private")
    with hub.db.transaction() as session:
        ta = teams.solo_team(session, challenge, ann.user).id
    _scored(hub, challenge, ta, ann, 0.60, 0.123456, 1)
    _scored(hub, challenge, ta, ann, 0.70, 0.654321, 2)
    history = _history(hub, factories, challenge, Split.PRIVATE, who=host)
    assert history == {"ann": [(1, 0.60), (2, 0.70)]}


def test_lower_is_better_steps_down(hub: Hub, factories: Factories) -> None:
    host, ann = factories.host(), factories.person("ann")
    challenge = factories.challenge(host, "history-rmse", metric="rmse")
    with hub.db.transaction() as session:
        ta = teams.solo_team(session, challenge, ann.user).id
    for minute, score in enumerate([3.0, 4.0, 2.5, 2.5, 1.0]):
        _scored(hub, challenge, ta, ann, score, score, minute)
    assert _history(hub, factories, challenge, Split.PUBLIC) == {
        "ann": [(0, 3.0), (2, 2.5), (4, 1.0)]}


def test_history_follows_only_the_leading_teams(hub: Hub, factories: Factories) -> None:
    rows = [_row(1 - n / 100, n + 1, team_id=n + 1) for n in range(HISTORY_TEAMS + 5)]
    rows.insert(2, _row(0.5, baseline=True))
    with hub.db.reading() as session:
        series = score_history(session, 1, rows, Direction.MAXIMIZE)
    assert [s.rank for s in series] == list(range(1, HISTORY_TEAMS + 1))
    assert all(s.points == () for s in series)  # no submissions in this database


def test_distribution_counts_every_team_once_and_marks_baselines() -> None:
    rows = [_row(v / 10, team_id=v) for v in range(10)] + [_row(0.45, baseline=True,
                                                                 name="기준선")]
    spread = score_distribution(rows)
    assert spread.teams == 10
    assert sum(b.count for b in spread.bins) == 10
    assert spread.bins[0].low == 0.0 and spread.bins[-1].high == 0.9
    assert all(a.high == b.low for a, b in zip(spread.bins, spread.bins[1:], strict=False))
    assert [(b.name, b.score) for b in spread.baselines] == [("기준선", 0.45)]
    assert not spread.open_low and not spread.open_high


def test_a_few_wild_scores_share_the_end_bins() -> None:
    scores = [0.5 + n / 1000 for n in range(500)] + [1e6, -1e6]
    spread = score_distribution([_row(v, team_id=n) for n, v in enumerate(scores)])
    assert spread.open_low and spread.open_high
    assert len(spread.bins) == MAX_BINS
    assert spread.bins[-1].high < 1.0 and spread.bins[0].low > 0.0
    assert sum(b.count for b in spread.bins) == 502


def test_distribution_of_equal_scores_and_of_nothing() -> None:
    same = score_distribution([_row(0.7, team_id=n) for n in range(4)])
    assert [(b.low, b.high, b.count) for b in same.bins] == [(0.7, 0.7, 4)]
    empty = score_distribution([_row(0.5, baseline=True)])
    assert empty.bins == () and empty.teams == 0 and len(empty.baselines) == 1
