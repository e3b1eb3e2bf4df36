"""Typed, versioned job payloads shared by the web side that enqueues and the worker that runs.

A payload is stored as JSON in the job row; a worker that meets a version it does not know
fails the job with a clear reason instead of guessing.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


class ScoreSubmission(BaseModel):
    """Score one prediction-file submission on every split of its challenge."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["score_submission"] = "score_submission"
    version: Literal[1] = 1
    submission_id: int


class DatasetIntake(BaseModel):
    """Profile one file of a dataset version in quarantine and scan it for personal data
    (``aihub.datasets.intake``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["dataset_intake"] = "dataset_intake"
    version: Literal[1] = 1
    dataset_version_id: int
    path: str


JobPayload = Annotated[ScoreSubmission | DatasetIntake, Field(discriminator="kind")]
_ADAPTER: TypeAdapter[JobPayload] = TypeAdapter(JobPayload)


def parse_payload(data: object) -> JobPayload:
    return _ADAPTER.validate_python(data)


def dump_payload(payload: JobPayload) -> dict[str, object]:
    return payload.model_dump(mode="json")
