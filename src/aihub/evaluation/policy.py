"""Who may see what of evaluation's inner workings, and who may attach runners to queues."""

from __future__ import annotations

from collections.abc import Mapping

from aihub.accounts.actor import Actor
from aihub.evaluation.models import Runner


def can_see_queue(actor: Actor) -> bool:
    """Failures carry hosts' errors (tracebacks, paths) of every challenge: curators only."""
    return actor.is_curator


def runner_refusal(actor: Actor, queue_owners: Mapping[str, frozenset[int]]) -> str | None:
    """Why the actor may not create a runner token for these queues, or None if they may.

    ``queue_owners`` names, for each queue, the organizations whose challenges use it. A
    runner downloads the files of the jobs it takes, hidden solutions included, so a host
    gets a token only for queues that their own organization's challenges alone use: never
    a shared queue such as ``default``. Curators may create a token for any queue.
    """
    if actor.is_curator:
        return None
    if actor.user is None or not actor.org_ids:
        return "Only curators and the hosts of a challenge create runner tokens."
    unused = sorted(name for name, orgs in queue_owners.items() if not orgs)
    if unused:
        return (f"No challenge of yours uses the queue(s) {', '.join(unused)}; a host's "
                "runner serves the queues of their organization's challenges.")
    shared = sorted(name for name, orgs in queue_owners.items() if not orgs <= actor.org_ids)
    if shared:
        return (f"The queue(s) {', '.join(shared)} also serve other organizations' "
                "challenges; ask a curator to give your challenge a queue of its own.")
    if len(runner_owners(queue_owners)) != 1:
        return ("These queues serve challenges of different organizations: create one "
                "runner token per organization.")
    return None


def can_create_hub_wide_runner(actor: Actor) -> bool:
    """A hub-wide runner takes every organization's jobs (and their hidden solutions):
    curators only; a host's runner takes its own organization's."""
    return actor.is_curator


def runner_owners(queue_owners: Mapping[str, frozenset[int]]) -> frozenset[int]:
    return frozenset[int]().union(*queue_owners.values())


def runner_organization(queue_owners: Mapping[str, frozenset[int]]) -> int | None:
    """The one organization whose challenges use these queues (a runner for them belongs to
    it and takes its jobs only), or None when they serve none or several."""
    owners = runner_owners(queue_owners)
    return next(iter(owners)) if len(owners) == 1 else None


def can_manage_runner(actor: Actor, runner: Runner) -> bool:
    """See and revoke a runner: curators, and members of the organization it belongs to."""
    return actor.is_curator or (
        runner.organization_id is not None and runner.organization_id in actor.org_ids
    )
