from __future__ import annotations

from aihub.accounts.actor import VISITOR, Actor
from aihub.accounts.models import User
from aihub.evaluation import policy


def test_the_queue_with_hosts_errors_is_for_curators() -> None:
    def person(curator: bool) -> Actor:
        return Actor(user=User(id=1, username="u", email="u@example.org", password_hash="",
                               is_curator=curator), org_ids=frozenset({1}),
                     hosting_org_ids=frozenset({1}))

    assert policy.can_see_queue(person(True))
    assert not policy.can_see_queue(person(False))
    assert not policy.can_see_queue(VISITOR)
