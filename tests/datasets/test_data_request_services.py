"""Data requests through the services: support counts, answers, one extension, fulfilment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from aihub.datasets import requests as dr
from aihub.datasets.models import DataRequest
from aihub.datasets.services import get_dataset
from aihub.datasets.versions import get_version
from aihub.errors import Conflict, FieldErrors, Forbidden
from aihub.hub import Hub
from factories import Factories, Person


def _request(hub: Hub, factories: Factories, asker: Person | None = None,
             addressed_to: str | None = None) -> DataRequest:
    with hub.db.transaction() as session:
        return dr.create_data_request(
            session, factories.actor(asker or factories.person()), title="버스 정류장별 승하차",
            description="Boardings per stop and hour.", organization="KAIST",
            addressed_to=addressed_to, due_days=hub.settings.data_request_days)


def test_support_is_counted_once_per_member_and_can_be_withdrawn(
    hub: Hub, factories: Factories
) -> None:
    asker = factories.person()
    request = _request(hub, factories, asker)
    assert request.due_at - request.created_at == timedelta(days=hub.settings.data_request_days)
    supporters = [factories.person() for _ in range(2)]
    with hub.db.transaction() as session:
        loaded = dr.get_data_request(session, request.id)
        for person in [*supporters, supporters[0]]:
            dr.support_data_request(session, loaded, factories.actor(person))
        assert loaded.support_count == 2
        with pytest.raises(Conflict, match="your own request"):
            dr.support_data_request(session, loaded, factories.actor(asker))
        dr.withdraw_support(session, loaded, factories.actor(supporters[1]))
        dr.withdraw_support(session, loaded, factories.actor(supporters[1]))
        assert loaded.support_count == 1


def test_curators_answer_with_a_legal_ground_and_extend_once(
    hub: Hub, factories: Factories
) -> None:
    request = _request(hub, factories)
    curator, host = factories.actor(factories.curator()), factories.actor(factories.host())
    late = factories.actor(factories.person())
    with hub.db.transaction() as session:
        loaded = dr.get_data_request(session, request.id)
        with pytest.raises(Forbidden, match="Only the curators"):
            dr.answer_data_request(session, loaded, host, status="under_review", answer="ok")
        dr.answer_data_request(session, loaded, curator, status="under_review",
                               answer="We are asking the transport office.")
        due = loaded.due_at
        dr.extend_data_request(session, loaded, curator, reason="Waiting for the office.",
                               days=10)
        assert loaded.due_at == due + timedelta(days=10)
        with pytest.raises(Conflict, match="only one extension is allowed"):
            dr.extend_data_request(session, loaded, curator, reason="again", days=10)
        with pytest.raises(FieldErrors, match="legal_ground: is required"):
            dr.answer_data_request(session, loaded, curator, status="rejected", answer="No.")
        with pytest.raises(FieldErrors, match="fulfilled by linking a dataset"):
            dr.answer_data_request(session, loaded, curator, status="fulfilled", answer="x")
        dr.answer_data_request(session, loaded, curator, status="rejected", answer="No.",
                               legal_ground="공공데이터법 제17조 제1항 제1호")
        with pytest.raises(Conflict, match="is rejected and cannot become accepted"):
            dr.answer_data_request(session, loaded, curator, status="accepted", answer="x")
        with pytest.raises(Conflict, match="takes no more support"):
            dr.support_data_request(session, loaded, late)


def test_the_hosts_of_the_organization_asked_fulfil_it_with_their_dataset(
    hub: Hub, factories: Factories
) -> None:
    host, stranger = factories.host("daejeon-city"), factories.host("gwangju-city")
    request = _request(hub, factories, addressed_to="daejeon-city")
    mine = factories.dataset(host, "bus-stops")
    theirs = factories.dataset(stranger, "gwangju-bus", organization="gwangju-city")
    draft = factories.dataset(host, "draft-only", publish=False)
    with hub.db.transaction() as session:
        loaded = dr.get_data_request(session, request.id)
        actor = factories.actor(host)
        with pytest.raises(Forbidden):
            dr.fulfil_data_request(session, loaded, factories.actor(stranger),
                                   get_dataset(session, theirs.slug))
        with pytest.raises(Forbidden, match="not yours"):
            dr.fulfil_data_request(session, loaded, actor, get_dataset(session, theirs.slug))
        with pytest.raises(Conflict, match="no published version yet"):
            dr.fulfil_data_request(session, loaded, actor, get_dataset(session, draft.slug))
        dataset = get_dataset(session, mine.slug)
        version = get_version(session, dataset, "1.0.0", actor)
        dr.fulfil_data_request(session, loaded, actor, dataset, version=version)
        assert (loaded.status, loaded.fulfilled_dataset_id, loaded.fulfilled_version_id) == (
            "fulfilled", dataset.id, version.id)
        assert "bus-stops" in loaded.answer
        rows, total = dr.list_data_requests(session, status="fulfilled")
        assert total == 1 and rows[0].id == request.id
