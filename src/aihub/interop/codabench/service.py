"""``aihub challenges create BUNDLE.zip`` for Codabench bundles: read, store, and run the
bundle's example solutions as baselines, so the organizer sees the pipeline score them
before the challenge opens (codabench-bundles.md §9, item 6)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from aihub.accounts.actor import Actor
from aihub.challenges.schemas import ChallengeDetail, challenge_detail
from aihub.challenges.services import allow_reduced_sandbox
from aihub.db import utcnow
from aihub.hub import Hub
from aihub.interop.codabench.importer import (
    create_from_codabench,
    default_organization,
    solution_phases,
)
from aihub.interop.codabench.reader import open_bundle
from aihub.submissions.services import add_baseline


def import_codabench(
    hub: Hub, actor: Actor, archive: Path, organization: str | None, slug: str | None, *,
    reduced_allowed: bool = False,
) -> tuple[ChallengeDetail, list[int]]:
    """The new challenge as its creator sees it, and the jobs of its example solutions
    (to dispatch after the commit). ``reduced_allowed``: a curator lets its programs run
    in the reduced sandbox."""
    settings = hub.settings
    now = utcnow()
    hub.check_can_run_code(reduced_allowed=reduced_allowed)  # every bundle runs programs
    with open_bundle(archive, max_bytes=settings.max_bundle_bytes) as bundle, \
            tempfile.TemporaryDirectory(prefix="aihub-solutions-") as scratch, \
            hub.db.transaction() as session:
        challenge = create_from_codabench(
            session, hub.storage, actor, bundle,
            organization=default_organization(session, actor, organization), slug=slug,
            max_file_bytes=settings.max_upload_bytes,
        )
        if reduced_allowed:
            allow_reduced_sandbox(challenge, actor, True)
        solutions = {item.index: item for item in bundle.competition.solutions}
        job_ids = []
        for index, position in solution_phases(bundle.competition):
            path = bundle.pack(solutions[index].path, Path(scratch))
            blob = hub.storage.put_path(path, max_bytes=settings.max_upload_bytes)
            _, job = add_baseline(
                session, challenge, actor, blob, name_ko=f"예시 해답 {index}",
                name_en=f"Example solution {index}", filename=f"solution-{index}.zip",
                now=now, phase=challenge.phases[position],
            )
            job_ids.append(job.id)
        return challenge_detail(session, challenge, actor, now), job_ids
