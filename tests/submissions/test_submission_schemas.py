"""What a viewer reads of a program-scored submission's columns: titles in the board's
order, the values, and hidden columns for hosts only (the primary one is the board's score,
public anyway)."""

from __future__ import annotations

from datetime import timedelta

from aihub.accounts.actor import Actor
from aihub.accounts.models import User
from aihub.challenges.models import Challenge, Phase
from aihub.db import utcnow
from aihub.evaluation.models import Job
from aihub.submissions.models import Submission
from aihub.submissions.schemas import build_submission_out

NOW = utcnow()
CHALLENGE = Challenge(
    id=1, slug="c", organization_id=10, evaluation_kind="program",
    board_columns={
        "primary": "f1",
        "columns": [
            {"key": "secret", "title": "Secret", "index": 2, "hidden": True},
            {"key": "f1", "title": "F1", "index": 0, "precision": 3},
            {"key": "time", "title": "Time", "index": 1, "sorting": "asc"},
        ],
    },
)
PHASE = Phase(id=1, name="main", starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(days=1))
SUBMISSION = Submission(
    id=7, challenge_id=1, phase_id=1, team_id=3, filename="s.zip", sha256="0" * 64, size=1,
    message="", status="finished", public_score=0.5, private_score=None, error="",
    host_error="", selected=False, is_baseline=False, created_at=NOW, scored_at=NOW,
    scores={"f1": 0.5, "time": 3, "secret": 0.25}, log="", host_log="",
    detailed_results_sha256="",
)


def _actor(orgs: frozenset[int] = frozenset()) -> Actor:
    user = User(id=5, username="u", email="u@example.org", password_hash="", is_curator=False)
    return Actor(user=user, org_ids=orgs, hosting_org_ids=orgs)


def test_participants_read_the_visible_columns_in_the_board_order() -> None:
    seen = build_submission_out(SUBMISSION, CHALLENGE, PHASE, "team", _actor(), NOW)
    assert seen.scores == {"f1": 0.5, "time": 3.0}
    assert seen.columns is not None
    assert [(c.title, c.value, c.primary) for c in seen.columns] == [
        ("F1", 0.5, True), ("Time", 3.0, False)]
    assert seen.columns[0].precision == 3


def test_hosts_read_the_hidden_columns_too() -> None:
    seen = build_submission_out(SUBMISSION, CHALLENGE, PHASE, "team", _actor(frozenset({10})),
                                NOW)
    assert seen.scores == {"f1": 0.5, "time": 3.0, "secret": 0.25}
    assert seen.columns is not None and seen.columns[-1].hidden
    assert seen.can_cancel is False  # it has ended


def _job(attempts: int, status: str = "queued") -> Job:
    return Job(id=1, kind="score_submission", queue="default", payload={}, status=status,
               submission_id=7, attempts=attempts, max_attempts=3, error="", error_kind="")


def test_the_team_may_cancel_only_what_has_never_started() -> None:
    queued = Submission(**{**_columns(SUBMISSION), "status": "queued", "scores": None})
    member, host = _actor(), _actor(frozenset({10}))
    assert build_submission_out(queued, CHALLENGE, PHASE, "team", member, NOW,
                                job=_job(0)).can_cancel
    # Put back in the queue after its worker died: it has run once.
    assert not build_submission_out(queued, CHALLENGE, PHASE, "team", member, NOW,
                                    job=_job(1)).can_cancel
    assert build_submission_out(queued, CHALLENGE, PHASE, "team", host, NOW,
                                job=_job(1)).can_cancel


def test_detailed_results_are_linked_for_those_who_may_read_them() -> None:
    written = Submission(**{**_columns(SUBMISSION), "detailed_results_sha256": "a" * 64})
    member, host = _actor(), _actor(frozenset({10}))
    url = "/api/v1/submissions/7/detailed-results"
    assert build_submission_out(written, CHALLENGE, PHASE, "t", member, NOW).detailed_results_url \
        is None
    assert build_submission_out(written, CHALLENGE, PHASE, "t", host, NOW).detailed_results_url \
        == url
    enabled = Phase(**{**_columns(PHASE), "task": {"enable_detailed_results": True}})
    assert build_submission_out(written, CHALLENGE, enabled, "t", member,
                                NOW).detailed_results_url == url


def _columns(row: Submission | Phase) -> dict[str, object]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}
