"""Runner tokens: machines an organizer owns that pull jobs over HTTPS (``runner_api``).

A token is good for the jobs of its queues only and is stored as its sha256, like API
tokens; it carries no database or broker credentials. Curators create tokens for any queue;
hosts for the queues their own organization's challenges alone use (``policy``).
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.accounts.passwords import token_digest
from aihub.challenges.models import Challenge
from aihub.db import utcnow
from aihub.errors import Forbidden, InvalidInput, NotFound
from aihub.evaluation import policy
from aihub.evaluation.models import Runner

# Short enough that it and six characters fit the 16 of Runner.prefix.
RUNNER_TOKEN_PREFIX = "aihub_rn_"  # noqa: S105 - a public prefix, not a secret
_QUEUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
MAX_QUEUES = 20
# The hub's own queue, which every organization's challenges share unless they name one.
DEFAULT_QUEUE = "default"
# The intake of dataset versions (profiles and personal-data scans) reads files that may
# hold personal data: only the hub's own workers take it, never a runner, nor a challenge.
INTAKE_QUEUE = "intake"
# last_seen_at is written at most this often: each write takes SQLite's write lock.
SEEN_EVERY = timedelta(seconds=30)


def parse_queues(queues: Iterable[str]) -> tuple[str, ...]:
    """Queue names, checked, without repeats, in the order given."""
    names = tuple(dict.fromkeys(name.strip() for name in queues if name.strip()))
    if not names:
        raise InvalidInput("Name at least one queue (for example --queues challenge-42).")
    if len(names) > MAX_QUEUES:
        raise InvalidInput(f"A runner serves at most {MAX_QUEUES} queues.")
    bad = [name for name in names if not _QUEUE.match(name)]
    if bad:
        raise InvalidInput(
            f"Invalid queue name(s) {', '.join(map(repr, bad))}: use letters, digits and "
            ". _ : - (at most 64 characters)."
        )
    return names


def queue_owners(session: Session, queues: Iterable[str]) -> dict[str, frozenset[int]]:
    """For each queue, the organizations whose challenges send their jobs there."""
    names = list(queues)
    found: dict[str, set[int]] = defaultdict(set)
    for queue, organization_id in session.execute(
        select(Challenge.queue, Challenge.organization_id).where(Challenge.queue.in_(names))
    ):
        found[queue].add(organization_id)
    return {name: frozenset(found.get(name, ())) for name in names}


def create_runner(
    session: Session,
    actor: Actor,
    *,
    name: str,
    queues: Iterable[str],
    organization_id: int | None = None,
    hub_wide: bool = False,
) -> tuple[Runner, str]:
    """Create a runner token; the plain token is returned once and never stored.

    The runner downloads hidden solutions, so it belongs to one organization and takes its
    jobs only: a host's to their organization; a curator's to ``organization_id``, else to
    the one organization whose challenges use its queues. Only a curator's ``hub_wide``
    runner takes every organization's jobs."""
    user = actor.require_user()
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("A runner needs a name of 1 to 100 characters, e.g. its host name.")
    names = parse_queues(queues)
    if INTAKE_QUEUE in names:
        raise InvalidInput(f"The {INTAKE_QUEUE!r} queue reads dataset files that may hold "
                           "personal data: only the hub's own workers take it (aihub worker "
                           f"--queues {INTAKE_QUEUE}), never a runner.")
    owners = queue_owners(session, names)
    refusal = policy.runner_refusal(actor, owners)
    if refusal:
        raise Forbidden(refusal)
    if hub_wide and not policy.can_create_hub_wide_runner(actor):
        raise Forbidden("Only curators create hub-wide runners; a host's runner takes its "
                        "own organization's jobs.")
    plain = RUNNER_TOKEN_PREFIX + secrets.token_urlsafe(32)
    runner = Runner(
        name=name,
        organization_id=_runner_organization(actor, owners, organization_id, hub_wide),
        created_by_id=user.id,
        prefix=plain[: len(RUNNER_TOKEN_PREFIX) + 6],
        token_hash=token_digest(plain),
        queues=list(names),
        created_at=utcnow(),
    )
    session.add(runner)
    session.flush()
    return runner, plain


def _runner_organization(actor: Actor, owners: dict[str, frozenset[int]],
                         organization_id: int | None, hub_wide: bool) -> int | None:
    if not actor.is_curator:
        return policy.runner_organization(owners)
    if hub_wide and organization_id is not None:
        raise InvalidInput("Choose an organization or hub-wide, not both.")
    if hub_wide or organization_id is not None:
        return organization_id
    found = policy.runner_organization(owners)
    if found is None:
        used = sorted({org for orgs in owners.values() for org in orgs})
        raise InvalidInput(
            f"The queue(s) {', '.join(owners)} serve "
            + ("no challenge yet" if not used else "challenges of several organizations")
            + ": name the organization whose jobs this runner takes (--org, API "
            "'organization'), or make it take every organization's jobs, hidden solutions "
            "included, with --hub-wide (API 'hub_wide': true)."
        )
    return found


def queue_refusal(session: Session, queue: str, organization_id: int) -> str | None:
    """Why a host of ``organization_id`` may not send its challenge's jobs to ``queue``, or
    None. A queue that another organization's challenges use, or that another
    organization's runner serves, is theirs: their runner would never take these jobs (it
    takes its own organization's only), and a runner made hub-wide for them would get these
    files. ``default`` is the hub's own queue, shared by everyone."""
    if queue == DEFAULT_QUEUE:
        return None
    if queue == INTAKE_QUEUE:
        return (f"The queue {INTAKE_QUEUE!r} is the hub's, for dataset intake: name a queue of "
                f"your own, e.g. your challenge's slug, or leave it {DEFAULT_QUEUE!r}.")
    taken = bool(queue_owners(session, [queue])[queue] - {organization_id})
    if not taken:
        served = session.scalars(
            select(Runner.queues).where(
                Runner.revoked_at.is_(None), Runner.organization_id.is_not(None),
                Runner.organization_id != organization_id,
            )
        )
        taken = any(queue in queues for queues in served)
    if taken:
        return (f"The queue {queue!r} is another organization's (their challenges or "
                "machines use it): name a queue of your own, e.g. your challenge's slug, or "
                f"leave it {DEFAULT_QUEUE!r}.")
    return None


def list_runners(session: Session, actor: Actor | None) -> list[Runner]:
    """The runners the actor may see (``None``: the hub's operator, at the command line)."""
    query = select(Runner).order_by(Runner.id)
    if actor is not None and not actor.is_curator:
        actor.require_user()
        query = query.where(Runner.organization_id.in_(actor.org_ids))
    return list(session.scalars(query))


def revoke_runner(session: Session, actor: Actor | None, runner_id: int) -> Runner:
    """Revoke a runner token: its next request is refused (401). ``None``: the operator."""
    runner = session.get(Runner, runner_id)
    if runner is None or (actor is not None and not policy.can_manage_runner(actor, runner)):
        # The same answer for someone else's runner as for a missing one.
        raise NotFound(f"There is no runner with id {runner_id} that you manage.")
    if runner.revoked_at is None:
        runner.revoked_at = utcnow()
    return runner


def runner_for_token(session: Session, plain: str) -> Runner | None:
    """The runner holding this token; None when it is unknown or revoked."""
    if not plain.startswith(RUNNER_TOKEN_PREFIX):
        return None
    runner = session.scalar(select(Runner).where(Runner.token_hash == token_digest(plain)))
    if runner is None or runner.revoked_at is not None:
        return None
    return runner


def needs_seen(runner: Runner, now: datetime) -> bool:
    return runner.last_seen_at is None or now - runner.last_seen_at >= SEEN_EVERY


def mark_seen(session: Session, runner_id: int, now: datetime) -> None:
    session.execute(update(Runner).where(Runner.id == runner_id).values(last_seen_at=now))


def lease_owner(runner: Runner) -> str:
    """The lease owner a runner's jobs are held under: its id fences them to its token."""
    return f"runner-{runner.id}:{runner.name}"[:128]
