"""A challenge, its phases, its files and the hidden solution."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aihub.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from aihub.accounts.models import Organization


class Visibility(StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"
    INVITE_ONLY = "invite-only"


class EvaluationKind(StrEnum):
    """How a submission's outcome becomes scores."""

    METRIC = "metric"  # a built-in metric against the hidden solution file
    PROGRAM = "program"  # the host's scoring program (a Codabench task), sandboxed


class SubmissionKind(StrEnum):
    PREDICTIONS = "predictions"  # a prediction file (or, for bundles, a results zip)
    CODE = "code"  # a zip with the participant's program, run in the sandbox


class FileAudience(StrEnum):
    """Who reads a challenge file: participants download it, code runs see it at /data."""

    PARTICIPANTS = "participants"
    SANDBOX = "sandbox"  # mounted for code runs only: hidden test features stay hidden
    BOTH = "both"


class Challenge(Base):
    __tablename__ = "challenges"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title_ko: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    summary_ko: Mapped[str] = mapped_column(String(500), default="")
    summary_en: Mapped[str] = mapped_column(String(500), default="")
    description_ko: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    rules_ko: Mapped[str] = mapped_column(Text, default="")
    rules_en: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.PUBLIC.value)
    max_team_size: Mapped[int] = mapped_column(Integer, default=1)
    metric: Mapped[str] = mapped_column(String(64))
    metric_params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    id_column: Mapped[str] = mapped_column(String(200))
    target_columns: Mapped[list[str]] = mapped_column(JSON)
    split_column: Mapped[str] = mapped_column(String(200))
    solution_sha256: Mapped[str] = mapped_column(String(64))
    solution_rows_public: Mapped[int] = mapped_column(Integer, default=0)
    solution_rows_private: Mapped[int] = mapped_column(Integer, default=0)
    sample_submission: Mapped[str] = mapped_column(String(255), default="")
    # Set when a curator opens the private leaderboard before the phase ends.
    private_revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Kept by the team services (accounts.teams) in the transaction that adds or removes a
    # team: every challenge page shows it, and counting 10,000 teams each time costs more
    # than the rest of the page's queries together.
    team_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A host's new challenge waits for a curator's approval before anyone else sees it.
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    evaluation_kind: Mapped[str] = mapped_column(
        String(16), default=EvaluationKind.METRIC.value, server_default="metric"
    )
    submission_kind: Mapped[str] = mapped_column(
        String(16), default=SubmissionKind.PREDICTIONS.value, server_default="predictions"
    )
    # Code runs: the worker runtime (a Python environment) and the checked CodeSpec
    # (format, limits, the packages the host fixed) as JSON.
    runtime: Mapped[str] = mapped_column(String(64), default="", server_default="")
    code_spec: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # Program scoring: the leaderboard's columns (Codabench's first leaderboard) as JSON.
    board_columns: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The job queue its evaluations go to: a hub-wide class ("default") or its own, so
    # an organizer can attach workers for this challenge alone.
    queue: Mapped[str] = mapped_column(String(64), default="default", server_default="default")
    # A curator's explicit choice to run code where bubblewrap cannot (weaker isolation).
    sandbox_fallback_allowed: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="0"
    )
    source: Mapped[str] = mapped_column(String(16), default="aihub", server_default="aihub")
    import_report: Mapped[str] = mapped_column(Text, default="", server_default="")

    organization: Mapped[Organization] = relationship()
    phases: Mapped[list[Phase]] = relationship(
        back_populates="challenge", order_by="Phase.position", cascade="all, delete-orphan"
    )
    files: Mapped[list[ChallengeFile]] = relationship(
        back_populates="challenge", order_by="ChallengeFile.position", cascade="all, delete-orphan"
    )

    @property
    def runs_code(self) -> bool:
        """Whether any of its evaluation runs in a sandbox: participants' code, or the
        host's scoring programs."""
        return (self.submission_kind == SubmissionKind.CODE.value
                or self.evaluation_kind == EvaluationKind.PROGRAM.value)


class Phase(Base):
    __tablename__ = "phases"
    __table_args__ = (UniqueConstraint("challenge_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(64))
    title_ko: Mapped[str] = mapped_column(String(200), default="")
    title_en: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    daily_limit: Mapped[int] = mapped_column(Integer, default=5)
    total_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    final_selections: Mapped[int] = mapped_column(Integer, default=2)
    # Raised by every change to the phase's scores or selections: pages keep a computed
    # leaderboard until the number moves (see leaderboards.cache).
    board_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Program scoring: the phase's task (blobs of the scoring and ingestion programs, input
    # and reference data; commands; time limit) as JSON, see evaluation.plans.PhaseTask.
    task: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    challenge: Mapped[Challenge] = relationship(back_populates="phases")

    def is_open(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


class ChallengeFile(Base):
    """A file participants may download once they accepted the rules."""

    __tablename__ = "challenge_files"
    __table_args__ = (UniqueConstraint("challenge_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    description_ko: Mapped[str] = mapped_column(String(500), default="")
    description_en: Mapped[str] = mapped_column(String(500), default="")
    audience: Mapped[str] = mapped_column(
        String(16), default=FileAudience.PARTICIPANTS.value, server_default="participants"
    )

    challenge: Mapped[Challenge] = relationship(back_populates="files")


class RulesAcceptance(Base):
    __tablename__ = "rules_acceptances"
    __table_args__ = (UniqueConstraint("challenge_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChallengeInvite(Base):
    """Who may see and join an invite-only challenge."""

    __tablename__ = "challenge_invites"
    __table_args__ = (UniqueConstraint("challenge_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    challenge_id: Mapped[int] = mapped_column(
        ForeignKey("challenges.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
