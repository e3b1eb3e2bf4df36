from __future__ import annotations

from aihub.accounts import policy
from aihub.accounts.actor import VISITOR, Actor
from aihub.accounts.models import ApiToken, User


def _actor(user_id: int, *, curator: bool = False, orgs: frozenset[int] = frozenset()) -> Actor:
    user = User(id=user_id, username=f"u{user_id}", email="x@example.org", password_hash="",
                is_curator=curator)
    return Actor(user=user, org_ids=orgs, hosting_org_ids=orgs)


def test_tokens_belong_to_their_owner_only() -> None:
    token = ApiToken(user_id=1, name="t", prefix="aihub_x", token_hash="h")
    assert policy.can_manage_token(_actor(1), token)
    assert not policy.can_manage_token(_actor(2), token)
    assert not policy.can_manage_token(_actor(2, curator=True), token)
    assert not policy.can_manage_token(VISITOR, token)


def test_only_curators_administer_people_and_organizations() -> None:
    assert policy.can_administer(_actor(1, curator=True))
    assert not policy.can_administer(_actor(2, orgs=frozenset({1})))
    assert not policy.can_administer(VISITOR)
