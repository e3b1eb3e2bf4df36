"""Computed boards are kept until their phase's board version moves, and no longer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest

from aihub.accounts import teams
from aihub.challenges.models import Challenge
from aihub.db import utcnow
from aihub.errors import Forbidden
from aihub.evaluation.metrics.base import Direction
from aihub.evaluation.status import Status
from aihub.hub import Hub
from aihub.leaderboards.cache import (
    BoardCache,
    BoardView,
    ComputedBoard,
    Freshness,
    board_view,
    cache_of,
)
from aihub.leaderboards.history import Distribution
from aihub.leaderboards.services import Row, Split
from aihub.leaderboards.versions import touch_board
from aihub.submissions.models import Submission
from aihub.submissions.services import rescore, select_final
from factories import Factories, Person

T0 = utcnow() - timedelta(hours=5)


def _scored(hub: Hub, challenge: Challenge, team_id: int, person: Person, public: float,
            private: float, minutes: int) -> int:
    with hub.db.transaction() as session:
        submission = Submission(
            challenge_id=challenge.id, phase_id=challenge.phases[0].id, team_id=team_id,
            user_id=person.user.id, filename="s.csv", sha256="0" * 64, size=1,
            status=Status.FINISHED.value, public_score=public, private_score=private,
            created_at=T0 + timedelta(minutes=minutes),
        )
        session.add(submission)
        touch_board(session, challenge.phases[0].id)
        session.flush()
        return submission.id


def _view(hub: Hub, factories: Factories, challenge: Challenge, split: Split = Split.PUBLIC,
          who: Person | None = None, lang: str = "ko") -> BoardView:
    with hub.db.reading() as session:
        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        return board_view(session, cache_of(hub.db), fresh, fresh.phases[0],
                          factories.actor(who), split=split, now=utcnow(), lang=lang)


def _names(view: BoardView) -> list[tuple[str, float]]:
    return [(row.name, row.score) for row in view.board.rows]


@pytest.fixture
def board(hub: Hub, factories: Factories) -> tuple[Challenge, Person, Person, int, int]:
    host, ann = factories.host(), factories.person("ann")
    challenge = factories.challenge(host, "cached", final_selections=1)
    with hub.db.transaction() as session:
        team = teams.solo_team(session, challenge, ann.user).id
    first = _scored(hub, challenge, team, ann, 0.80, 0.50, 1)
    second = _scored(hub, challenge, team, ann, 0.70, 0.90, 2)
    return challenge, host, ann, first, second


def test_a_board_is_computed_once_per_version(
    hub: Hub, factories: Factories, board: tuple[Challenge, Person, Person, int, int]
) -> None:
    challenge, *_ = board
    cache = cache_of(hub.db)
    first = _view(hub, factories, challenge)
    again = _view(hub, factories, challenge)
    assert (first.freshness, again.freshness) == (Freshness.COMPUTED, Freshness.CACHED)
    assert again.board is first.board and cache.misses == 1
    english = _view(hub, factories, challenge, lang="en")
    assert english.freshness is Freshness.COMPUTED  # baseline names differ by language
    with hub.db.transaction() as session:
        touch_board(session, challenge.phases[0].id)
    moved = _view(hub, factories, challenge)
    assert moved.freshness is Freshness.COMPUTED and moved.version == first.version + 1


def test_a_final_selection_moves_the_private_board(
    hub: Hub, factories: Factories, board: tuple[Challenge, Person, Person, int, int]
) -> None:
    challenge, host, ann, _, second = board
    # No selection: the best public one (0.80) counts, whose private score is 0.50.
    assert _names(_view(hub, factories, challenge, Split.PRIVATE, who=host)) == [("ann", 0.50)]
    with hub.db.transaction() as session:
        select_final(session, second, factories.actor(ann), selected=True, now=utcnow())
    assert _names(_view(hub, factories, challenge, Split.PRIVATE, who=host)) == [("ann", 0.90)]


def test_a_rescore_takes_the_submission_off_the_board_at_once(
    hub: Hub, factories: Factories, board: tuple[Challenge, Person, Person, int, int]
) -> None:
    challenge, host, _, first, _ = board
    assert _names(_view(hub, factories, challenge)) == [("ann", 0.80)]
    with hub.db.transaction() as session:
        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        rescore(session, fresh, factories.actor(host), first)
    assert _names(_view(hub, factories, challenge)) == [("ann", 0.70)]


def test_the_private_board_is_refused_even_when_a_host_has_cached_it(
    hub: Hub, factories: Factories, board: tuple[Challenge, Person, Person, int, int]
) -> None:
    challenge, host, ann, *_ = board
    assert _view(hub, factories, challenge, Split.PRIVATE, who=host).board.rows
    for who in (None, ann):
        with pytest.raises(Forbidden, match="private leaderboard opens"):
            _view(hub, factories, challenge, Split.PRIVATE, who=who)


def test_each_database_has_its_own_cache(hub: Hub, live_hub: Hub) -> None:
    assert cache_of(hub.db) is cache_of(hub.db)
    assert cache_of(hub.db) is not cache_of(live_hub.db)


def _computed(rows: int) -> ComputedBoard:
    made = tuple(Row(rank=n + 1, team_id=n, name=f"t{n}", score=0.5, submitted_at=T0,
                     entries=1, is_baseline=False) for n in range(rows))
    spread = Distribution((), 0, open_low=False, open_high=False, baselines=())
    return ComputedBoard(Direction.MAXIMIZE, made, (), spread, {})


KEY = (1, "public", "ko", "roc_auc", 2)


def test_the_cache_keeps_at_most_its_budget_of_rows() -> None:
    cache = BoardCache(max_rows=250)
    for phase in range(1, 4):
        cache.get_or_compute((phase, "public", "ko", "roc_auc", 2), 0, lambda: _computed(100))
    assert len(cache) == 2  # the oldest went
    _, _, how = cache.get_or_compute(KEY, 0, lambda: _computed(100))
    assert how is Freshness.COMPUTED
    # A new version replaces the old one in its slot rather than sitting beside it.
    cache.get_or_compute(KEY, 1, lambda: _computed(100))
    assert len(cache) == 2
    _, _, how = cache.get_or_compute((9, "public", "ko", "roc_auc", 2), 0,
                                     lambda: _computed(900))
    assert how is Freshness.COMPUTED and len(cache) == 1  # kept while in use, alone


def test_a_newer_board_is_never_replaced_by_an_older_one() -> None:
    cache = BoardCache()
    newer = cache.get_or_compute(KEY, 5, lambda: _computed(2))[0]
    board, version, how = cache.get_or_compute(KEY, 4, lambda: _computed(3))
    assert (board, version, how) == (newer, 5, Freshness.CACHED)


def _in_thread(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target)
    thread.start()
    return thread


def test_readers_missing_a_first_board_wait_for_one_computation() -> None:
    cache = BoardCache()
    calls = []

    def slow() -> ComputedBoard:
        calls.append(1)
        time.sleep(0.2)
        return _computed(3)

    results: list[ComputedBoard] = []
    threads = [_in_thread(lambda: results.append(cache.get_or_compute(KEY, 4, slow)[0]))
               for _ in range(8)]
    for thread in threads:
        thread.join()
    assert len(calls) == 1 and len(results) == 8
    assert all(result is results[0] for result in results)


def test_while_a_new_version_is_computed_others_get_the_previous_at_once() -> None:
    cache = BoardCache()
    old = cache.get_or_compute(KEY, 1, lambda: _computed(2))[0]
    started, release = threading.Event(), threading.Event()
    new = _computed(3)

    def slow() -> ComputedBoard:
        started.set()
        release.wait(5)
        return new

    first: list[tuple[ComputedBoard, int, Freshness]] = []
    computing = _in_thread(lambda: first.append(cache.get_or_compute(KEY, 2, slow)))
    assert started.wait(5)
    assert cache.get_or_compute(KEY, 2, slow) == (old, 1, Freshness.PREVIOUS)
    release.set()
    computing.join()
    assert first == [(new, 2, Freshness.COMPUTED)]  # the first reader saw the new board
    assert cache.get_or_compute(KEY, 2, slow) == (new, 2, Freshness.CACHED)


def test_a_board_slow_to_rank_is_ranked_again_only_after_a_pause() -> None:
    def slow() -> ComputedBoard:
        time.sleep(0.01)
        return _computed(2)

    always_slow = BoardCache(slow=0.0, spacing=1000)
    first = always_slow.get_or_compute(KEY, 1, slow)[0]
    assert always_slow.get_or_compute(KEY, 2, slow) == (first, 1, Freshness.PREVIOUS)
    never_slow = BoardCache(slow=10.0, spacing=1000)
    never_slow.get_or_compute(KEY, 1, slow)
    assert never_slow.get_or_compute(KEY, 2, slow)[2] is Freshness.COMPUTED
    short_pause = BoardCache(slow=0.0, spacing=1.0)
    short_pause.get_or_compute(KEY, 1, slow)
    time.sleep(0.1)  # ten times the ranking time
    assert short_pause.get_or_compute(KEY, 2, slow)[1:] == (2, Freshness.COMPUTED)
