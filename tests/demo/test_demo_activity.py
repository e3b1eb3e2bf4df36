"""The demo hub's teams: who they are, when they submit, and that their scores on the demo
boards are the scorer's, computed from real files through the queue."""

from __future__ import annotations

import gzip
import io
import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from aihub import migrate, seed
from aihub.accounts import services as accounts
from aihub.accounts.models import Team, TeamMember, User
from aihub.app import create_app
from aihub.challenges.bundle import open_bundle
from aihub.challenges.models import Challenge
from aihub.challenges.services import metric_params, reveal_private
from aihub.db import Base, utcnow
from aihub.demo import DEMO_CHALLENGES, DEMO_CODE_CHALLENGES, write_demo_bundles
from aihub.demo._bundle import KST
from aihub.demo.activity import (
    DAYS,
    DEMO_TEAMS,
    MAX_SUBMISSIONS,
    MAX_TEAMS,
    MIN_SUBMISSIONS,
    MIN_TEAMS,
    plan_activity,
    prediction_file,
)
from aihub.evaluation.metrics import get_metric
from aihub.evaluation.models import Job
from aihub.evaluation.sandbox import discover_runtimes, probe_sandbox
from aihub.evaluation.status import Status
from aihub.hub import Hub
from aihub.settings import Settings
from aihub.submissions.models import Submission
from sandboxed import RUNTIMES_DIR

NOW = datetime(2026, 11, 21, 3, 30, tzinfo=UTC)


# --- the plan: no database -------------------------------------------------------------


@pytest.mark.parametrize("slug", DEMO_CHALLENGES)
def test_each_challenge_gets_nine_to_twelve_teams_of_two_to_six_submissions(slug: str) -> None:
    plan = plan_activity(slug, NOW)
    assert MIN_TEAMS <= len(plan) <= MAX_TEAMS
    assert len({planned.team.name for planned in plan}) == len(plan)
    for planned in plan:
        assert MIN_SUBMISSIONS <= len(planned.submissions) <= MAX_SUBMISSIONS


@pytest.mark.parametrize("slug", DEMO_CHALLENGES)
def test_submissions_fall_on_distinct_seoul_days_of_the_past_ten_in_order(slug: str) -> None:
    first_day = NOW.astimezone(KST).date() - timedelta(days=DAYS)
    for planned in plan_activity(slug, NOW):
        times = [item.at for item in planned.submissions]
        assert times == sorted(times)
        days = [at.astimezone(KST).date() for at in times]
        # One a day at most: the demo phases allow five, so no team is ever refused.
        assert len(set(days)) == len(days)
        assert all(first_day <= day < NOW.astimezone(KST).date() for day in days)


def test_the_demo_accounts_of_people_who_log_in_are_not_demo_teams() -> None:
    usernames = {team.username for team in DEMO_TEAMS}
    assert len(usernames) == len(DEMO_TEAMS)
    assert not usernames & {seed.DEMO_MEMBER, seed.DEMO_HOST, seed.DEMO_CURATOR}


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_demo_bundles(tmp_path_factory.mktemp("bundles"), now=NOW)


def test_the_same_day_gives_the_same_plan_and_the_same_files(bundles: list[Path]) -> None:
    for folder in bundles:
        with open_bundle(folder, max_bytes=10**9) as bundle:
            evaluation = bundle.spec.evaluation
            solution = pl.read_csv(bundle.file(evaluation.solution))
        plan = plan_activity(folder.name, NOW)
        assert plan == plan_activity(folder.name, NOW + timedelta(minutes=5))
        item = plan[0].submissions[-1]
        assert prediction_file(solution, evaluation, item) == prediction_file(
            solution, evaluation, item
        )


# --- the seeded hub: SQLite, and PostgreSQL when one answers ----------------------------


@dataclass(frozen=True)
class Seeded:
    hub: Hub
    jobs: list[int]
    now: datetime


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Seeded]:
    """A hub seeded as ``aihub demo`` seeds it, once per module and database."""
    data = tmp_path_factory.mktemp("seeded")
    if request.param == "sqlite":
        url = f"sqlite:///{data / 'aihub.sqlite3'}"
        engine = create_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
    else:
        url = request.getfixturevalue("postgres_url")
        _truncate_postgres(url)
    # The demo's code challenge runs its baseline in the sandbox with the cached runtime.
    runtimes = RUNTIMES_DIR
    hub = Hub(Settings(data_dir=data / "data", database_url=url, workers_in_process=0,
                       runtimes_dir=runtimes, sandbox_first_uid=63000), start_workers=False)
    now = utcnow()
    seed.seed_people(hub)
    jobs = seed.seed_challenges(hub, now=now)
    yield Seeded(hub, jobs, now)
    hub.close()


@pytest.fixture(scope="module")
def api(seeded: Seeded) -> Iterator[TestClient]:
    with TestClient(create_app(hub=seeded.hub)) as client:
        yield client


def _counts(hub: Hub) -> dict[str, int]:
    with hub.db.reading() as session:
        return {
            model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (User, Team, TeamMember, Submission, Job)
        } | {"selected": session.scalar(
            select(func.count(Submission.id)).where(Submission.selected.is_(True))
        ) or 0}


def test_seeding_again_adds_nothing_and_keeps_every_choice(seeded: Seeded) -> None:
    before = _counts(seeded.hub)
    assert before["selected"] > 0
    assert seed.seed_challenges(seeded.hub, now=seeded.now + timedelta(days=1)) == []
    assert _counts(seeded.hub) == before


def test_every_seeded_job_ran_and_only_the_misnamed_files_failed(seeded: Seeded) -> None:
    with seeded.hub.db.reading() as session:
        jobs = session.scalars(select(Job).where(Job.id.in_(seeded.jobs))).all()
        assert {job.status for job in jobs} <= {Status.FINISHED.value, Status.FAILED.value}
        failed = session.scalars(
            select(Submission).join(Challenge, Challenge.id == Submission.challenge_id)
            .where(Submission.status == Status.FAILED.value,
                   Challenge.slug.in_(DEMO_CHALLENGES))
        ).all()
    assert len(jobs) == len(seeded.jobs)
    # One team per challenge first sent a file with a misnamed column; the check said so.
    assert len(failed) == len(DEMO_CHALLENGES)
    assert all("defect_type" in s.error or "anomaly" in s.error or "speed_kmh" in s.error
               for s in failed)


def test_the_code_challenge_baseline_runs_in_the_sandbox(seeded: Seeded) -> None:
    if not probe_sandbox(first_uid=63000).usable:
        pytest.skip("bubblewrap cannot sandbox code here")
    if "default" not in discover_runtimes(seeded.hub.settings.resolved_runtimes_dir):
        pytest.skip("the default runtime is not built (aihub runtimes build)")
    with seeded.hub.db.reading() as session:
        [baseline] = session.scalars(
            select(Submission).join(Challenge, Challenge.id == Submission.challenge_id)
            .where(Challenge.slug.in_(DEMO_CODE_CHALLENGES))
        ).all()
        assert baseline.status == Status.FINISHED.value, baseline.host_error
        assert baseline.public_score is not None and baseline.public_score > 0.5
        # The test week is hidden, so participants do not read programs' output; hosts do.
        # (The outputs are deferred columns: read in the session.)
        assert baseline.log == ""
        assert "fitted 5 classes on 30000 products" in baseline.host_log


@pytest.mark.parametrize("slug", DEMO_CHALLENGES)
def test_each_board_ranks_many_scored_teams_around_the_baseline(
    api: TestClient, slug: str
) -> None:
    board = api.get(f"/api/v1/challenges/{slug}/leaderboard").json()
    teams = [row for row in board["rows"] if not row["is_baseline"]]
    baseline = next(row for row in board["rows"] if row["is_baseline"])
    assert MIN_TEAMS - 1 <= len(teams) <= MAX_TEAMS
    assert [row["rank"] for row in teams] == list(range(1, len(teams) + 1))
    metric = get_metric(board["metric"])
    assert any(metric.better(row["score"], baseline["score"]) for row in teams)
    assert any(metric.better(baseline["score"], row["score"]) for row in teams)
    distribution = api.get(f"/api/v1/challenges/{slug}/leaderboard/distribution").json()
    assert distribution["teams"] == len(teams)
    assert sum(1 for b in distribution["bins"] if b["count"]) >= 3, "the scores spread"


@pytest.mark.parametrize("slug", DEMO_CHALLENGES)
def test_the_leaders_improved_step_by_step_over_the_past_days(
    api: TestClient, seeded: Seeded, slug: str
) -> None:
    history = api.get(f"/api/v1/challenges/{slug}/leaderboard/history").json()
    series = history["series"]
    assert len(series) >= MIN_TEAMS - 1
    metric = get_metric(history["metric"])
    assert len(series[0]["points"]) > 1, "the leader's line has steps"
    assert sum(len(line["points"]) > 1 for line in series[:3]) >= 2
    earliest = seeded.now - timedelta(days=DAYS + 1)
    for line in series:
        times = [datetime.fromisoformat(p["at"]) for p in line["points"]]
        assert all(earliest <= at < seeded.now for at in times)
        scores = [p["score"] for p in line["points"]]
        assert all(metric.better(b, a) for a, b in pairwise(scores))


def test_the_demo_member_has_no_team_and_no_submission(seeded: Seeded, api: TestClient
                                                       ) -> None:
    with seeded.hub.db.reading() as session:
        member = accounts.get_user(session, seed.DEMO_MEMBER)
        assert session.scalar(
            select(func.count(TeamMember.id)).where(TeamMember.user_id == member.id)
        ) == 0
        assert session.scalar(
            select(func.count(Submission.id)).where(Submission.user_id == member.id)
        ) == 0
    for slug in DEMO_CHALLENGES:
        rows = api.get(f"/api/v1/challenges/{slug}/leaderboard").json()["rows"]
        assert seed.DEMO_MEMBER not in {row["team"] for row in rows}


def _read_blob(hub: Hub, sha256: str) -> pl.DataFrame:
    data = hub.storage.path(sha256).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return pl.read_csv(io.BytesIO(data))


def _demo_submissions(hub: Hub) -> list[tuple[Submission, Challenge]]:
    with hub.db.reading() as session:
        rows = session.execute(
            select(Submission, Challenge)
            .join(Challenge, Challenge.id == Submission.challenge_id)
            .where(Submission.is_baseline.is_(False))
            .order_by(Submission.id)
        ).all()
    return [(row[0], row[1]) for row in rows]


def test_every_score_is_the_metric_of_the_stored_file_against_the_solution(
    seeded: Seeded,
) -> None:
    """Scored again here, apart from the hub's scorer: the id join, the split and the metric
    on the files as stored."""
    solutions: dict[int, pl.DataFrame] = {}
    checked = 0
    for submission, challenge in _demo_submissions(seeded.hub):
        if submission.status != Status.FINISHED.value:
            continue
        if challenge.id not in solutions:
            solutions[challenge.id] = _read_blob(seeded.hub, challenge.solution_sha256)
        target = challenge.target_columns[0]
        joined = solutions[challenge.id].join(
            _read_blob(seeded.hub, submission.sha256), on=challenge.id_column, suffix="_pred"
        )
        assert len(joined) == len(solutions[challenge.id])
        metric = get_metric(challenge.metric)
        for split, stored in (("Public", submission.public_score),
                              ("Private", submission.private_score)):
            part = joined.filter(pl.col(challenge.split_column) == split)
            expected = metric(part.get_column(target).to_numpy(),
                              part.get_column(f"{target}_pred").to_numpy(),
                              metric_params(challenge.metric_params))
            assert stored is not None
            assert math.isclose(stored, expected, rel_tol=1e-9, abs_tol=1e-12), (
                challenge.slug, submission.id, split)
        checked += 1
    assert checked >= len(DEMO_CHALLENGES) * MIN_TEAMS * MIN_SUBMISSIONS - len(DEMO_CHALLENGES)


def test_team_files_hold_predictions_only_never_the_hidden_labels_or_split(
    seeded: Seeded,
) -> None:
    solutions: dict[int, pl.DataFrame] = {}
    for submission, challenge in _demo_submissions(seeded.hub):
        frame = _read_blob(seeded.hub, submission.sha256)
        assert challenge.split_column not in frame.columns
        if submission.status == Status.FAILED.value:
            continue
        assert frame.columns == [challenge.id_column, *challenge.target_columns]
        if challenge.id not in solutions:
            solutions[challenge.id] = _read_blob(seeded.hub, challenge.solution_sha256)
        target = challenge.target_columns[0]
        joined = solutions[challenge.id].join(frame, on=challenge.id_column, suffix="_pred")
        # A team's file is its own guess: on a good share of rows it is not the label.
        same = (joined.get_column(target).cast(pl.String)
                == joined.get_column(f"{target}_pred").cast(pl.String)).mean()
        assert same is not None
        assert float(same) < 0.99, (challenge.slug, submission.id, same)


def test_some_teams_chose_their_finals_and_the_private_board_ranks_them_when_open(
    seeded: Seeded, api: TestClient
) -> None:
    slug = DEMO_CHALLENGES[0]
    with seeded.hub.db.transaction() as session:
        chosen = Counter(session.scalars(
            select(Submission.team_id)
            .join(Challenge, Challenge.id == Submission.challenge_id)
            .where(Challenge.slug == slug, Submission.selected.is_(True),
                   Submission.status == Status.FINISHED.value)
        ))
        assert len(chosen) >= 2
        assert max(chosen.values()) <= 2
        challenge = session.scalar(select(Challenge).where(Challenge.slug == slug))
        assert challenge is not None
        curator = accounts.get_user(session, seed.DEMO_CURATOR)
        reveal_private(session, challenge, accounts.actor_for(session, curator))
    board = api.get(f"/api/v1/challenges/{slug}/leaderboard", params={"split": "private"})
    assert board.status_code == 200
    ranked = [row for row in board.json()["rows"] if row["rank"] is not None]
    assert len(ranked) >= MIN_TEAMS - 1
