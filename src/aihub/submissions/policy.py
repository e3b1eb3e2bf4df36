"""Who may see and do what with submissions. Private scores follow the challenge's policy
(``challenges.policy.can_see_private``)."""

from __future__ import annotations

from aihub.accounts.actor import Actor
from aihub.challenges import policy as challenge_policy
from aihub.challenges.models import Challenge, Phase
from aihub.evaluation.status import Status


def can_view(actor: Actor, challenge: Challenge, *, in_team: bool) -> bool:
    """A submission is seen by its team and by the challenge's hosts, nobody else."""
    return (actor.user is not None and in_team) or challenge_policy.can_manage(actor, challenge)


def can_list_everyone(actor: Actor, challenge: Challenge) -> bool:
    return challenge_policy.can_manage(actor, challenge)


def can_select_final(actor: Actor, *, in_team: bool) -> bool:
    """Only the team's own members pick its final submissions; hosts do not."""
    return actor.user is not None and in_team


def can_rescore(actor: Actor, challenge: Challenge) -> bool:
    return challenge_policy.can_manage(actor, challenge)


def can_add_baseline(actor: Actor, challenge: Challenge) -> bool:
    return challenge_policy.can_manage(actor, challenge)


def can_cancel(
    actor: Actor, challenge: Challenge, *, in_team: bool, status: Status, started: bool
) -> bool:
    """The one rule of who may cancel an evaluation (``evaluation.queue.cancel``'s callers
    ask here). Hosts and curators stop an evaluation that is queued or running. The
    submitting team may withdraw its own while it waits and has never ``started`` (its job's
    ``attempts`` is 0), not once it runs nor once it has run: a cancelled submission does
    not count, so a team that could stop a run it sees taking long, or one put back in the
    queue after its worker died, would get back a submission that has already spent the
    hosts' machine."""
    if status not in (Status.QUEUED, Status.RUNNING):
        return False
    if challenge_policy.can_manage(actor, challenge):
        return True
    return actor.user is not None and in_team and status is Status.QUEUED and not started


def can_read_detailed_results(
    actor: Actor, challenge: Challenge, phase: Phase, *, in_team: bool
) -> bool:
    """A scoring program's detailed_results.html: the hosts always; the submitting team only
    where the phase's task enables them (a Codabench bundle's ``enable_detailed_results``):
    organizers write into them what they like, hidden labels included, and a bundle that does
    not enable them never meant participants to read them."""
    if challenge_policy.can_manage(actor, challenge):
        return True
    # Read from the task's JSON (``evaluation.plans.PhaseTask``): no task, no detailed results.
    enabled = bool((phase.task or {}).get("enable_detailed_results", False))
    return actor.user is not None and in_team and enabled
