"""Who may see what of evaluation's inner workings."""

from __future__ import annotations

from aihub.accounts.actor import Actor


def can_see_queue(actor: Actor) -> bool:
    """Failures carry hosts' errors (tracebacks, paths) of every challenge: curators only."""
    return actor.is_curator
