"""The database ranks the boards (aggregates and window functions); a plain Python ranking,
written the way the rules read, must agree with it on random phases, ties included."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, insert

from aihub.accounts import teams
from aihub.challenges.models import Challenge
from aihub.db import utcnow
from aihub.evaluation.status import Status
from aihub.hub import Hub
from aihub.leaderboards.services import Split, leaderboard
from aihub.submissions.models import Submission
from factories import Factories

Entry = dict[str, object]


def _key(entry: Entry, score: float, maximize: bool) -> tuple[float, datetime, int]:
    return (-score if maximize else score, entry["created_at"], entry["id"])  # type: ignore[return-value]


def _reference(entries: list[Entry], split: Split, maximize: bool,
               selections: int) -> list[tuple[str, float, int]]:
    """(team or baseline name, score, entries) in board order, from the rules as written."""
    rows: dict[object, list[Entry]] = defaultdict(list)
    for entry in entries:
        if entry["status"] != Status.FINISHED.value or entry["public_score"] is None:
            continue
        if split is Split.PRIVATE and entry["private_score"] is None:
            continue
        key = ("baseline", entry["id"]) if entry["is_baseline"] else entry["team_id"]
        rows[key].append(entry)
    board = []
    for members in rows.values():
        if split is Split.PUBLIC:
            best = min(members, key=lambda e: _key(e, e["public_score"], maximize))  # type: ignore[arg-type]
            score = float(best["public_score"])  # type: ignore[arg-type]
        else:
            chosen = [e for e in members if e["selected"]] or sorted(
                members, key=lambda e: _key(e, e["public_score"], maximize)  # type: ignore[arg-type]
            )[:selections]
            best = min(chosen, key=lambda e: _key(e, e["private_score"], maximize))  # type: ignore[arg-type]
            score = float(best["private_score"])  # type: ignore[arg-type]
        board.append((best, score, len(members)))
    board.sort(key=lambda item: _key(item[0], item[1], maximize))
    return [(str(e["name"]), score, count) for e, score, count in board]


@pytest.mark.parametrize("metric", ["roc_auc", "rmse"])
def test_the_database_ranks_as_the_rules_read(hub: Hub, factories: Factories,
                                              metric: str) -> None:
    host = factories.host()
    challenge = factories.challenge(host, f"reference-{metric.replace('_', '-')}", metric=metric)
    phase = challenge.phases[0]
    people = [factories.person() for _ in range(6)]
    with hub.db.transaction() as session:
        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        team_ids = {teams.solo_team(session, fresh, p.user).id: p for p in people}
    names = {team_id: person.user.username for team_id, person in team_ids.items()}
    start = utcnow() - timedelta(days=3)
    chance = random.Random(20261121)
    for _ in range(25):
        entries: list[Entry] = []
        for n in range(chance.randint(0, 30)):
            team_id = chance.choice([*team_ids, None])
            baseline = team_id is None
            entry: Entry = {
                "challenge_id": challenge.id, "phase_id": phase.id, "team_id": team_id,
                "user_id": host.user.id if baseline else team_ids[team_id].user.id,  # type: ignore[index]
                "filename": "s.csv", "sha256": "0" * 64, "size": 1,
                "status": chance.choice([Status.FINISHED.value] * 4 + [Status.FAILED.value]),
                # Few distinct values, so that ties are common.
                "public_score": chance.choice([None, 0.5, 0.6, 0.7, 0.8]),
                "private_score": chance.choice([None, 0.1, 0.2, 0.3]),
                "created_at": start + timedelta(minutes=chance.randint(0, 5)),
                "selected": chance.random() < 0.2,
                "is_baseline": baseline, "baseline_name_ko": f"기준 {n}" if baseline else "",
                "baseline_name_en": "",
            }
            entries.append(entry)
        with hub.db.transaction() as session:
            session.execute(delete(Submission).where(Submission.phase_id == phase.id))
            if entries:
                ids = session.execute(insert(Submission).returning(Submission.id),
                                      entries).scalars().all()
                for entry, new_id in zip(entries, ids, strict=True):
                    entry["id"] = new_id
        for entry in entries:
            entry["name"] = entry["baseline_name_ko"] if entry["is_baseline"] \
                else names[entry["team_id"]]  # type: ignore[index]
        with hub.db.reading() as session:
            fresh = session.get(Challenge, challenge.id)
            assert fresh is not None
            for split in Split:
                board = leaderboard(session, fresh, fresh.phases[0], factories.actor(host),
                                    split=split, now=utcnow())
                got = [(row.name, row.score, row.entries) for row in board.rows]
                expected = _reference(entries, split, board.direction.value == "maximize",
                                      phase.final_selections)
                assert got == expected, (split, entries)
