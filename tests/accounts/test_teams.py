from __future__ import annotations

import pytest
from sqlalchemy import func, select

from aihub.accounts import teams
from aihub.accounts.models import Team
from aihub.challenges import services as challenge_services
from aihub.challenges.models import Challenge
from aihub.errors import Conflict, Forbidden
from aihub.hub import Hub
from factories import Factories


def test_create_invite_accept_leave(hub: Hub, factories: Factories) -> None:
    host = factories.host()
    alice, bob, carol = (factories.person(n) for n in ("alice", "bob", "carol"))
    challenge = factories.challenge(host, "teamwork", max_team_size=2)
    with hub.db.transaction() as session:
        team = teams.create_team(session, challenge, factories.actor(alice), "한밭")
        with pytest.raises(Conflict, match="already in a team"):
            teams.create_team(session, challenge, factories.actor(alice), "again")
        invite_bob = teams.invite(session, challenge, factories.actor(alice), bob.user)
        invite_carol = teams.invite(session, challenge, factories.actor(alice), carol.user)
        teams.answer_invite(session, factories.actor(bob), invite_bob.id, accept=True)
        assert teams.member_count(session, team) == 2
        with pytest.raises(Conflict, match="at most 2 members"):
            teams.answer_invite(session, factories.actor(carol), invite_carol.id, accept=True)
        with pytest.raises(Conflict, match="at most 2"):
            teams.invite(session, challenge, factories.actor(alice), carol.user)
        teams.leave_team(session, challenge, factories.actor(bob))
        assert teams.member_count(session, team) == 1
        assert teams.team_of(session, challenge, bob.user) is None


def test_answering_someone_elses_invite_is_not_found(hub: Hub, factories: Factories) -> None:
    from aihub.errors import NotFound

    host, alice, bob, eve = (factories.host(), factories.person(), factories.person(),
                             factories.person())
    challenge = factories.challenge(host, "no-steal")
    with hub.db.transaction() as session:
        teams.create_team(session, challenge, factories.actor(alice), "a")
        invitation = teams.invite(session, challenge, factories.actor(alice), bob.user)
        with pytest.raises(NotFound):
            teams.answer_invite(session, factories.actor(eve), invitation.id, accept=True)


def test_team_with_submissions_is_fixed(hub: Hub, factories: Factories) -> None:
    from pathlib import Path

    from aihub.challenges.services import accept_rules
    from aihub.db import utcnow
    from aihub.submissions.services import submit_prediction

    host, alice = factories.host(), factories.person()
    challenge = factories.challenge(host, "fixed")
    blob = hub.storage.put_path(Path(factories.bundles / "fixed" / "sample_submission.csv"))
    with hub.db.transaction() as session:
        accept_rules(session, challenge, factories.actor(alice))
        submit_prediction(session, challenge, factories.actor(alice), blob, filename="s.csv",
                          message="", now=utcnow(), zone=hub.settings.zone)
    with hub.db.transaction() as session, pytest.raises(Forbidden, match="fixed"):
        teams.leave_team(session, challenge, factories.actor(alice))


def test_the_challenges_team_count_follows_every_change(hub: Hub, factories: Factories) -> None:
    host, ann, ben, cho = factories.host(), factories.person(), factories.person(), \
        factories.person()
    challenge = factories.challenge(host, "counted", max_team_size=3)

    def count() -> tuple[int, int]:
        with hub.db.reading() as session:
            fresh = session.get(Challenge, challenge.id)
            assert fresh is not None
            real = session.scalar(select(func.count(Team.id))
                                  .where(Team.challenge_id == challenge.id))
            return fresh.team_count, real or 0

    with hub.db.transaction() as session:
        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        teams.create_team(session, fresh, factories.actor(ann), "누리")
        teams.solo_team(session, fresh, ben.user)
        teams.solo_team(session, fresh, ben.user)  # already in one: no new team
    assert count() == (2, 2)
    with hub.db.transaction() as session:
        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        invite = teams.invite(session, fresh, factories.actor(ann), cho.user)
        teams.solo_team(session, fresh, cho.user)
    assert count() == (3, 3)
    with hub.db.transaction() as session:
        # Accepting moves cho out of the solo team, which then goes.
        teams.answer_invite(session, factories.actor(cho), invite.id, accept=True)
    assert count() == (2, 2)
    with hub.db.transaction() as session:
        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        teams.leave_team(session, fresh, factories.actor(ben))
    assert count() == (1, 1)


def test_a_team_is_no_way_into_an_invite_only_challenge(hub: Hub, factories: Factories) -> None:
    host, ann, ben = factories.host(), factories.person(), factories.person()
    challenge = factories.challenge(host, "closed-door", visibility="invite-only")
    with hub.db.transaction() as session:
        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        challenge_services.invite(session, fresh, factories.actor(host), ann.user)
        teams.create_team(session, fresh, factories.actor(ann), "열쇠")
    with hub.db.transaction() as session, pytest.raises(Conflict, match="hosts invite"):
        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        teams.invite(session, fresh, factories.actor(ann), ben.user)
    with hub.db.transaction() as session:
        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        challenge_services.invite(session, fresh, factories.actor(host), ben.user)
        invitation = teams.invite(session, fresh, factories.actor(ann), ben.user)
    with hub.db.transaction() as session:
        team = teams.answer_invite(session, factories.actor(ben), invitation.id, accept=True)
        assert team.name == "열쇠"
