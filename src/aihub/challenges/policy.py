"""Who may see and do what with a challenge. Every route, command and worker asks here."""

from __future__ import annotations

from datetime import datetime

from aihub.accounts.actor import Actor
from aihub.challenges.models import Challenge, Phase, Visibility


def is_host(actor: Actor, challenge: Challenge) -> bool:
    """Members of the owning organization host the challenge; curators may do all hosts may."""
    return actor.is_curator or challenge.organization_id in actor.org_ids


def can_view(actor: Actor, challenge: Challenge, *, invited: bool) -> bool:
    if challenge.approved_at is None:  # awaiting a curator: its hosts prepare it unseen
        return is_host(actor, challenge)
    if challenge.visibility != Visibility.INVITE_ONLY:
        return True
    return is_host(actor, challenge) or invited


def is_listed(actor: Actor, challenge: Challenge, *, invited: bool) -> bool:
    """Unlisted challenges are reachable by their address but not shown in lists."""
    if challenge.approved_at is None:
        return is_host(actor, challenge)
    if challenge.visibility == Visibility.PUBLIC:
        return True
    return is_host(actor, challenge) or (
        challenge.visibility == Visibility.INVITE_ONLY and invited
    )


def can_create_in(actor: Actor, organization_id: int) -> bool:
    return actor.is_curator or organization_id in actor.hosting_org_ids


def can_download_files(actor: Actor, challenge: Challenge, *, accepted_rules: bool) -> bool:
    return is_host(actor, challenge) or (actor.user is not None and accepted_rules)


def can_submit(actor: Actor, challenge: Challenge, *, accepted_rules: bool) -> bool:
    return actor.user is not None and accepted_rules


def private_board_open(challenge: Challenge, phase: Phase, now: datetime) -> bool:
    """The private board opens for everyone when the phase ends or a curator reveals it."""
    return challenge.private_revealed_at is not None or now >= phase.ends_at


def can_see_private(actor: Actor, challenge: Challenge, phase: Phase, now: datetime) -> bool:
    return is_host(actor, challenge) or private_board_open(challenge, phase, now)


def can_approve(actor: Actor) -> bool:
    return actor.is_curator


def can_allow_reduced_sandbox(actor: Actor) -> bool:
    """Running code with weaker isolation is the hub's risk to take: curators decide."""
    return actor.is_curator


def can_reveal(actor: Actor) -> bool:
    return actor.is_curator


def can_manage(actor: Actor, challenge: Challenge) -> bool:
    """Add baselines, rescore, invite, see every submission."""
    return is_host(actor, challenge)


def may_host(actor: Actor) -> bool:
    """Who has hosts' pages: curators, and members of an organization (its challenges are
    theirs to manage even after the organization may no longer create new ones)."""
    return actor.is_curator or bool(actor.org_ids)


def may_create(actor: Actor) -> bool:
    return actor.is_curator or bool(actor.hosting_org_ids)
