"""Who may do what with accounts."""

from __future__ import annotations

from aihub.accounts.actor import Actor
from aihub.accounts.models import ApiToken


def can_manage_token(actor: Actor, token: ApiToken) -> bool:
    """Only a token's owner lists or revokes it; not even curators see others' tokens."""
    return actor.user is not None and token.user_id == actor.user.id


def can_administer(actor: Actor) -> bool:
    """People and organizations are the hub staff's business: curators only."""
    return actor.is_curator
