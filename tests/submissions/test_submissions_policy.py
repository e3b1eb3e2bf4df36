from __future__ import annotations

from aihub.accounts.actor import VISITOR, Actor
from aihub.accounts.models import User
from aihub.challenges.models import Challenge, Phase
from aihub.evaluation.status import Status
from aihub.submissions import policy

CHALLENGE = Challenge(id=1, slug="c", organization_id=10)


def _actor(*, orgs: frozenset[int] = frozenset(), curator: bool = False) -> Actor:
    user = User(id=5, username="u", email="u@example.org", password_hash="", is_curator=curator)
    return Actor(user=user, org_ids=orgs, hosting_org_ids=orgs)


def test_team_and_hosts_see_a_submission_nobody_else() -> None:
    assert policy.can_view(_actor(), CHALLENGE, in_team=True)
    assert policy.can_view(_actor(orgs=frozenset({10})), CHALLENGE, in_team=False)
    assert policy.can_view(_actor(curator=True), CHALLENGE, in_team=False)
    assert not policy.can_view(_actor(), CHALLENGE, in_team=False)
    assert not policy.can_view(_actor(orgs=frozenset({11})), CHALLENGE, in_team=False)
    assert not policy.can_view(VISITOR, CHALLENGE, in_team=True)


def test_only_the_team_selects_finals() -> None:
    assert policy.can_select_final(_actor(), in_team=True)
    assert not policy.can_select_final(_actor(orgs=frozenset({10})), in_team=False)


def test_host_actions() -> None:
    host = _actor(orgs=frozenset({10}))
    for check in (policy.can_list_everyone, policy.can_rescore, policy.can_add_baseline):
        assert check(host, CHALLENGE)
        assert not check(_actor(), CHALLENGE)


def test_who_cancels_what() -> None:
    host, curator, member = _actor(orgs=frozenset({10})), _actor(curator=True), _actor()
    for status in (Status.QUEUED, Status.RUNNING):
        for started in (False, True):
            assert policy.can_cancel(host, CHALLENGE, in_team=False, status=status,
                                     started=started)
            assert policy.can_cancel(curator, CHALLENGE, in_team=False, status=status,
                                     started=started)
        assert not policy.can_cancel(member, CHALLENGE, in_team=False, status=status,
                                     started=False)
        assert not policy.can_cancel(VISITOR, CHALLENGE, in_team=True, status=status,
                                     started=False)
    # The team withdraws its own while it waits, not once it runs, nor once it has run: a
    # job put back after its worker died has spent the hosts' machine already.
    assert policy.can_cancel(member, CHALLENGE, in_team=True, status=Status.QUEUED,
                             started=False)
    assert not policy.can_cancel(member, CHALLENGE, in_team=True, status=Status.QUEUED,
                                 started=True)
    assert not policy.can_cancel(member, CHALLENGE, in_team=True, status=Status.RUNNING,
                                 started=True)
    for ended in (Status.FINISHED, Status.FAILED, Status.CANCELLED):
        assert not policy.can_cancel(host, CHALLENGE, in_team=True, status=ended,
                                     started=True)


def test_detailed_results_reach_the_team_only_where_the_task_enables_them() -> None:
    host, curator, member = _actor(orgs=frozenset({10})), _actor(curator=True), _actor()
    for task in (None, {}, {"enable_detailed_results": False}):
        phase = Phase(id=1, name="main", task=task)
        assert not policy.can_read_detailed_results(member, CHALLENGE, phase, in_team=True)
        assert policy.can_read_detailed_results(host, CHALLENGE, phase, in_team=False)
        assert policy.can_read_detailed_results(curator, CHALLENGE, phase, in_team=False)
    enabled = Phase(id=1, name="main", task={"enable_detailed_results": True})
    assert policy.can_read_detailed_results(member, CHALLENGE, enabled, in_team=True)
    assert not policy.can_read_detailed_results(member, CHALLENGE, enabled, in_team=False)
    assert not policy.can_read_detailed_results(VISITOR, CHALLENGE, enabled, in_team=True)
