"""A submitted prediction file and its scores."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aihub.db import Base, UTCDateTime, utcnow
from aihub.evaluation.status import Status

# The deferred group of the two outputs: touching one loads both, in one statement.
LOGS = "logs"


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_phase_team_created", "phase_id", "team_id", "created_at"),
        # The public leaderboard is ranked from this index alone (leaderboards.services).
        Index("ix_submissions_board", "phase_id", "status", "team_id", "public_score",
              "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    phase_id: Mapped[int] = mapped_column(ForeignKey("phases.id", ondelete="CASCADE"))
    # Baselines belong to no team.
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), nullable=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    message: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default=Status.QUEUED.value)
    public_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    private_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Shown to the participant: never derived from hidden labels.
    error: Mapped[str] = mapped_column(Text, default="")
    # Shown to hosts only: may hold tracebacks.
    host_error: Mapped[str] = mapped_column(Text, default="")
    selected: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when a host re-runs a submission that had not counted (failed or cancelled):
    # re-runs the host orders never use up the team's submissions.
    limit_exempt: Mapped[bool] = mapped_column(Boolean, default=False)
    is_baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    baseline_name_ko: Mapped[str] = mapped_column(String(200), default="")
    baseline_name_en: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Program scoring: every leaderboard column's value (public_score holds the primary).
    scores: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Code runs: the program's output as the participant may read it (capped, and empty
    # when the host hides it), and everything, for hosts. Megabytes each, read only with
    # one submission (``undefer_group(LOGS)``): lists of rows never load them.
    log: Mapped[str] = mapped_column(
        Text, default="", server_default="", deferred=True, deferred_group=LOGS
    )
    host_log: Mapped[str] = mapped_column(
        Text, default="", server_default="", deferred=True, deferred_group=LOGS
    )
    # A scoring program's detailed_results.html, a blob served under a strict CSP.
    detailed_results_sha256: Mapped[str] = mapped_column(
        String(64), default="", server_default=""
    )
