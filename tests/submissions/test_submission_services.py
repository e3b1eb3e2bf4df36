"""Submission rules on the services: phases, limits per team and day, final selection."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from aihub.challenges.models import Challenge
from aihub.db import utcnow
from aihub.errors import Conflict, Forbidden, LimitReached
from aihub.evaluation.status import Status
from aihub.hub import Hub
from aihub.submissions import services
from aihub.submissions.models import Submission
from factories import Factories, Person


def _submit(hub: Hub, factories: Factories, challenge: Challenge, person: Person,
            when: object = None) -> Submission:
    folder = factories.bundles / challenge.slug
    blob = hub.storage.put_path(Path(folder / "sample_submission.csv"))
    with hub.db.transaction() as session:
        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        submission, _ = services.submit_prediction(
            session, fresh, factories.actor(person), blob, filename="s.csv", message="",
            now=when or utcnow(), zone=hub.settings.zone,  # type: ignore[arg-type]
        )
        return submission


def test_limit_is_per_team_and_failed_ones_do_not_count(hub: Hub, factories: Factories) -> None:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, "limits", daily_limit=2)
    factories.join(challenge, member)
    first = _submit(hub, factories, challenge, member)
    with hub.db.transaction() as session:
        session.execute(update(Submission).where(Submission.id == first.id)
                        .values(status=Status.FAILED.value))
    _submit(hub, factories, challenge, member)
    _submit(hub, factories, challenge, member)
    with pytest.raises(LimitReached, match="2 of 2"):
        _submit(hub, factories, challenge, member)


def test_limit_resets_at_midnight_in_seoul(hub: Hub, factories: Factories) -> None:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, "midnight", daily_limit=1,
                                    start=utcnow() - timedelta(days=3))
    factories.join(challenge, member)
    _submit(hub, factories, challenge, member, when=utcnow() - timedelta(days=1))
    _submit(hub, factories, challenge, member)
    with pytest.raises(LimitReached):
        _submit(hub, factories, challenge, member)


def test_total_limit(hub: Hub, factories: Factories) -> None:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, "total", daily_limit=10, total_limit=1)
    factories.join(challenge, member)
    _submit(hub, factories, challenge, member)
    with pytest.raises(LimitReached, match="all 1 submissions"):
        _submit(hub, factories, challenge, member)


def test_phase_must_be_open(hub: Hub, factories: Factories) -> None:
    host, member = factories.host(), factories.person()
    later = factories.challenge(host, "later", start=utcnow() + timedelta(days=1),
                                end=utcnow() + timedelta(days=5))
    factories.join(later, member)
    with pytest.raises(Conflict, match="opens at"):
        _submit(hub, factories, later, member)


def test_rules_must_be_accepted(hub: Hub, factories: Factories) -> None:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, "rules-first")
    with pytest.raises(Forbidden, match="Accept the rules"):
        _submit(hub, factories, challenge, member)


def test_team_members_share_the_limit(hub: Hub, factories: Factories) -> None:
    from aihub.accounts import teams

    host, alice, bob = factories.host(), factories.person("alice"), factories.person("bob")
    challenge = factories.challenge(host, "shared", daily_limit=1)
    for person in (alice, bob):
        factories.join(challenge, person)
    with hub.db.transaction() as session:
        teams.create_team(session, challenge, factories.actor(alice), "대전팀")
        invitation = teams.invite(session, challenge, factories.actor(alice), bob.user)
        teams.answer_invite(session, factories.actor(bob), invitation.id, accept=True)
    submission = _submit(hub, factories, challenge, alice)
    with pytest.raises(LimitReached):
        _submit(hub, factories, challenge, bob)
    with hub.db.reading() as session:
        assert session.get(Submission, submission.id).team_id is not None  # type: ignore[union-attr]


def test_a_host_rescore_of_a_failed_submission_does_not_use_a_slot(
    hub: Hub, factories: Factories
) -> None:
    host, member = factories.host(), factories.person()
    challenge = factories.challenge(host, "rescore-free", daily_limit=1)
    factories.join(challenge, member)
    first = _submit(hub, factories, challenge, member)
    with hub.db.transaction() as session:
        session.execute(update(Submission).where(Submission.id == first.id)
                        .values(status=Status.FAILED.value, log="old output", host_log="all",
                                scores={"a": 1.0}, detailed_results_sha256="f" * 64))
    with hub.db.transaction() as session:
        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        services.rescore(session, fresh, factories.actor(host), first.id)
    with hub.db.reading() as session:  # the last run's output goes with it
        again = session.get(Submission, first.id)
        assert again is not None and again.status == Status.QUEUED.value
        assert (again.log, again.host_log, again.scores, again.detailed_results_sha256) == (
            "", "", None, "")
    # The re-run is queued again, yet the team still has today's one submission left.
    second = _submit(hub, factories, challenge, member)
    assert second.id != first.id
    with pytest.raises(LimitReached):
        _submit(hub, factories, challenge, member)


def test_hosts_page_through_submissions_in_the_database(hub: Hub, factories: Factories) -> None:
    host, ann, ben = factories.host(), factories.person(), factories.person()
    challenge = factories.challenge(host, "paged", daily_limit=10)
    for person in (ann, ben):
        factories.join(challenge, person)
    made = [_submit(hub, factories, challenge, person).id for person in (ann, ben, ann, ben)]
    with hub.db.transaction() as session:
        session.execute(update(Submission).where(Submission.id == made[0])
                        .values(status=Status.FAILED.value))
    with hub.db.reading() as session:
        fresh = session.get(Challenge, challenge.id)
        assert fresh is not None
        hosting = factories.actor(host)
        newest_first = list(reversed(made))
        page = services.list_team_submissions(session, fresh, hosting, everyone=True,
                                              limit=3, offset=1)
        assert [s.id for s in page] == newest_first[1:4]
        assert services.count_team_submissions(session, fresh, hosting, everyone=True) == 4
        failed = services.list_team_submissions(session, fresh, hosting, everyone=True,
                                                status=Status.FAILED.value)
        assert [s.id for s in failed] == [made[0]]
        assert services.count_team_submissions(session, fresh, hosting, everyone=True,
                                               status=Status.FAILED.value) == 1
        # A member counts only the own team's, whatever is asked.
        assert services.count_team_submissions(session, fresh, factories.actor(ann)) == 2
        with pytest.raises(Forbidden):
            services.count_team_submissions(session, fresh, factories.actor(ann), everyone=True)
