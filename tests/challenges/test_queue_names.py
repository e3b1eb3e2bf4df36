"""A host's challenge.yaml may not name a queue that is another organization's: that
organization's runners would never take its jobs, or a runner made for it would get them."""

from __future__ import annotations

import pytest

from aihub.errors import FieldErrors
from aihub.evaluation import runners
from aihub.hub import Hub
from factories import Factories


def test_a_host_may_not_name_another_organizations_queue(
    hub: Hub, factories: Factories
) -> None:
    host_a, host_b = factories.host("org-a"), factories.host("org-b")
    chal_a = factories.challenge(host_a, "acme", organization="org-a",
                                 extra={"queue": "acme-gpu"})
    with hub.db.transaction() as session:
        runners.create_runner(session, factories.actor(factories.curator()), name="lab",
                              queues=["lab-x"], organization_id=chal_a.organization_id)
    for taken in ("acme-gpu", "lab-x"):
        with pytest.raises(FieldErrors, match="another organization's") as refused:
            factories.challenge(host_b, f"b-{taken}", organization="org-b",
                                extra={"queue": taken})
        assert set(refused.value.fields) == {"queue"}
    # Its own queue, a queue of its own organization's, and the shared default are fine.
    assert factories.challenge(host_b, "b-own", organization="org-b",
                               extra={"queue": "b-gpu"}).queue == "b-gpu"
    assert factories.challenge(host_a, "acme-2", organization="org-a",
                               extra={"queue": "acme-gpu"}).queue == "acme-gpu"
    assert factories.challenge(host_b, "b-default", organization="org-b").queue == "default"


def test_a_curator_may_name_any_queue(hub: Hub, factories: Factories) -> None:
    host_a = factories.host("org-a")
    factories.host("org-b")
    factories.challenge(host_a, "shared-a", organization="org-a", extra={"queue": "gpu"})
    # A hardware class shared across organizations is the curators' call.
    shared = factories.challenge(factories.curator(), "shared-b", organization="org-b",
                                 extra={"queue": "gpu"})
    assert shared.queue == "gpu"
