"""Computed leaderboards kept in memory until their phase's board version moves.

Ranking 100,000 submissions takes a few hundred milliseconds; a leaderboard page must answer
in a few. Every change to a phase's scores or final selections raises ``Phase.board_version``
in the same transaction (``leaderboards.versions``), so a board computed at version v stays
right for as long as the phase is at v: each request reads the version (one indexed query)
and ranks again only when it moved (a board slow to rank, not more often than every few
times its ranking time: see ``BoardCache``). The cache is per process and per database;
processes share nothing but the version number.

What may differ between two readers of one board is decided on every request, never kept:
whether the reader may see the private board, whether it is open, which team is theirs.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.challenges import policy
from aihub.challenges.models import Challenge, Phase
from aihub.db import Database
from aihub.evaluation.metrics.base import Direction
from aihub.leaderboards.history import Distribution, Series, score_distribution, score_history
from aihub.leaderboards.services import Row, Split, check_split, leaderboard
from aihub.leaderboards.versions import board_version

# Boards of about 10,000 teams take some megabytes each; the budget counts rows, not boards,
# so many small boards or a few large ones fit in the same memory.
DEFAULT_MAX_ROWS = 200_000


@dataclass(frozen=True)
class ComputedBoard:
    """Everything about a board that is the same for every reader at one version."""

    direction: Direction
    rows: tuple[Row, ...]
    history: tuple[Series, ...]
    distribution: Distribution
    # Where each team's row is: finding the reader's own team costs a lookup, not a scan.
    team_index: dict[int, int]
    # What renderers derive from this board (formatted rows, drawn charts), kept as long as
    # the board: a page need not format the same 50 scores for every reader.
    memo: dict[Hashable, object] = field(default_factory=dict, compare=False, repr=False)


# (phase id, split, language, metric, final selections): the board's inputs besides its
# submissions, should a host change the metric or the number of selections.
SlotKey = tuple[int, str, str, str, int]


class Freshness(StrEnum):
    CACHED = "cached"  # the version asked for (or a newer one), computed earlier
    COMPUTED = "computed"  # the version asked for, computed by this call
    PREVIOUS = "previous"  # an older version: the new one is being or will soon be computed


@dataclass(frozen=True)
class _Kept:
    version: int
    board: ComputedBoard
    computed_at: float  # time.monotonic()
    took: float  # seconds spent computing it


class BoardCache:
    """A bounded, thread-safe map from a board's slot to its newest computed version.

    A board that takes long to rank (``slow`` seconds or more: some 10,000 teams) is ranked
    again at most once per ``spacing`` times its ranking time; in between, readers get the
    version before, seconds old. Without this a burst of scores near a deadline would keep
    a core of every process ranking the same board over and over. Boards ranked quickly are
    always ranked again at once."""

    def __init__(
        self, max_rows: int = DEFAULT_MAX_ROWS, *, slow: float = 0.05, spacing: float = 4.0
    ) -> None:
        self.max_rows = max_rows
        self.slow = slow
        self.spacing = spacing
        self._boards: OrderedDict[SlotKey, _Kept] = OrderedDict()
        self._rows = 0
        self._lock = threading.Lock()
        # One lock per slot ever asked for: a few per phase, so never pruned.
        self._computing: dict[SlotKey, threading.Lock] = {}
        self.misses = 0

    def _put(self, key: SlotKey, kept: _Kept) -> None:
        with self._lock:
            old = self._boards.pop(key, None)
            if old is not None:
                self._rows -= len(old.board.rows)
            self._boards[key] = kept
            self._rows += len(kept.board.rows)
            self.misses += 1
            # The newest board stays even if it alone is over the budget: it is in use.
            while self._rows > self.max_rows and len(self._boards) > 1:
                _, evicted = self._boards.popitem(last=False)
                self._rows -= len(evicted.board.rows)

    def _lookup(self, key: SlotKey) -> tuple[_Kept | None, threading.Lock]:
        with self._lock:
            found = self._boards.get(key)
            if found is not None:
                self._boards.move_to_end(key)
            return found, self._computing.setdefault(key, threading.Lock())

    def _too_soon(self, kept: _Kept) -> bool:
        return kept.took >= self.slow and (
            time.monotonic() - kept.computed_at < self.spacing * kept.took
        )

    def get_or_compute(
        self, key: SlotKey, version: int, compute: Callable[[], ComputedBoard]
    ) -> tuple[ComputedBoard, int, Freshness]:
        """The board of ``key`` at ``version`` (or newer), its version, and how it was found.

        One call computes a board at a time. Calls that miss it meanwhile get the board's
        previous version at once, if there is one, rather than wait for a ranking of the
        whole phase. Without a previous version they wait for the computation and share it.
        The first reader after a change waits for, and sees, the new board, unless the board
        is slow to rank and was ranked a moment ago (see the class)."""
        found, computing = self._lookup(key)
        if found is not None and found.version >= version:
            return found.board, found.version, Freshness.CACHED
        if found is not None and self._too_soon(found):
            return found.board, found.version, Freshness.PREVIOUS
        if not computing.acquire(blocking=found is None):
            assert found is not None
            return found.board, found.version, Freshness.PREVIOUS
        try:
            found, _ = self._lookup(key)
            if found is not None and found.version >= version:
                return found.board, found.version, Freshness.CACHED
            began = time.monotonic()
            board = compute()
            self._put(key, _Kept(version, board, time.monotonic(), time.monotonic() - began))
            return board, version, Freshness.COMPUTED
        finally:
            computing.release()

    def __len__(self) -> int:
        with self._lock:
            return len(self._boards)


_CACHES: weakref.WeakKeyDictionary[Database, BoardCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def cache_of(db: Database) -> BoardCache:
    """The board cache of ``db`` in this process (a hub's, or a test's own database)."""
    with _CACHES_LOCK:
        cache = _CACHES.get(db)
        if cache is None:
            cache = _CACHES[db] = BoardCache()
        return cache


@dataclass(frozen=True)
class BoardView:
    """A board as one reader sees it: the shared computed part and the reader's own facts.
    The one data function behind the leaderboard page and the leaderboard API."""

    challenge: Challenge
    phase: Phase
    split: Split
    private_open: bool
    version: int
    board: ComputedBoard
    freshness: Freshness

    def row_of_team(self, team_id: int | None) -> Row | None:
        index = self.board.team_index.get(team_id) if team_id is not None else None
        return self.board.rows[index] if index is not None else None


def _compute(
    session: Session, challenge: Challenge, phase: Phase, actor: Actor, split: Split,
    now: datetime, lang: str,
) -> ComputedBoard:
    ranked = leaderboard(session, challenge, phase, actor, split=split, now=now, lang=lang)
    rows = tuple(ranked.rows)
    return ComputedBoard(
        direction=ranked.direction,
        rows=rows,
        history=score_history(session, phase.id, rows, ranked.direction),
        distribution=score_distribution(rows),
        team_index={
            row.team_id: i for i, row in enumerate(rows)
            if row.team_id is not None and not row.is_baseline
        },
    )


def board_view(
    session: Session,
    cache: BoardCache,
    challenge: Challenge,
    phase: Phase,
    actor: Actor,
    *,
    split: Split,
    now: datetime,
    lang: str = "ko",
) -> BoardView:
    """The board of ``phase`` for ``actor``: refused as the private board is refused,
    computed at most once per board version and process."""
    check_split(actor, challenge, phase, split, now)
    # The version is read before any submission: a board computed from rows newer than its
    # version is at worst computed again; one older than its version would be kept.
    version = board_version(session, phase.id)
    key: SlotKey = (phase.id, split.value, lang, challenge.metric, phase.final_selections)
    board, found_version, freshness = cache.get_or_compute(
        key, version, lambda: _compute(session, challenge, phase, actor, split, now, lang)
    )
    return BoardView(
        challenge=challenge,
        phase=phase,
        split=split,
        private_open=policy.private_board_open(challenge, phase, now),
        version=found_version,
        board=board,
        freshness=freshness,
    )
