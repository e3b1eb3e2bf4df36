"""The job queue's overview for curators (the page /curator/jobs shows the same)."""

from __future__ import annotations

from fastapi import APIRouter

from aihub.db import utcnow
from aihub.deps import ActorDep, ReadSession
from aihub.evaluation.overview import JobOverview, job_overview

router = APIRouter(prefix="/api/v1", tags=["evaluation"])


@router.get("/jobs/overview", response_model=JobOverview)
def overview_route(session: ReadSession, actor: ActorDep) -> JobOverview:
    """Waiting, running and recent jobs, the workers running them, recent failures with
    their errors (curators only)."""
    return job_overview(session, actor, utcnow())
