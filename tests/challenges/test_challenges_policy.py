"""Who has hosts' pages, who may create, who approves."""

from __future__ import annotations

from aihub.accounts.actor import VISITOR, Actor
from aihub.accounts.models import User
from aihub.challenges import policy


def _actor(*, curator: bool = False, orgs: frozenset[int] = frozenset(),
           hosting: frozenset[int] = frozenset()) -> Actor:
    user = User(id=1, username="u", email="u@example.org", password_hash="", is_curator=curator)
    return Actor(user=user, org_ids=orgs, hosting_org_ids=hosting)


def test_members_of_any_organization_keep_their_hosts_pages() -> None:
    # An organization that may no longer host still manages the challenges it has.
    former = _actor(orgs=frozenset({3}))
    assert policy.may_host(former) and not policy.may_create(former)
    current = _actor(orgs=frozenset({3}), hosting=frozenset({3}))
    assert policy.may_host(current) and policy.may_create(current)
    assert policy.may_host(_actor(curator=True)) and policy.may_create(_actor(curator=True))
    assert not policy.may_host(_actor()) and not policy.may_host(VISITOR)


def test_only_curators_approve() -> None:
    assert policy.can_approve(_actor(curator=True))
    assert not policy.can_approve(_actor(orgs=frozenset({1}), hosting=frozenset({1})))
    assert not policy.can_approve(VISITOR)
