"""Runner tokens: who may create them for which queues, listing, revoking (services, API,
and the ``aihub runners`` verbs)."""

from __future__ import annotations

import json

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from aihub.accounts import services as accounts
from aihub.challenges.models import Challenge
from aihub.cli import worker_verbs
from aihub.errors import Forbidden, InvalidInput, NotFound
from aihub.evaluation import runners
from aihub.hub import Hub
from factories import Factories, Person


def _challenge(hub: Hub, factories: Factories, host: Person, slug: str, org: str,
               queue_name: str) -> Challenge:
    challenge = factories.challenge(host, slug, organization=org)
    with hub.db.transaction() as session:
        session.execute(update(Challenge).where(Challenge.id == challenge.id)
                        .values(queue=queue_name))
    return challenge


def _create(hub: Hub, factories: Factories, person: Person, queues: list[str],
            organization_id: int | None = None, *, hub_wide: bool = False) -> int | None:
    with hub.db.transaction() as session:
        runner, plain = runners.create_runner(
            session, factories.actor(person), name="box", queues=queues,
            organization_id=organization_id, hub_wide=hub_wide,
        )
        assert plain.startswith(runners.RUNNER_TOKEN_PREFIX)
        assert runner.token_hash != plain and plain.startswith(runner.prefix)
        return runner.organization_id


def test_hosts_get_tokens_only_for_queues_their_organization_alone_uses(
    hub: Hub, factories: Factories
) -> None:
    host_a, host_b = factories.host("org-a"), factories.host("org-b")
    chal_a = _challenge(hub, factories, host_a, "tok-a", "org-a", "gpu-a")
    _challenge(hub, factories, host_b, "tok-b", "org-b", "gpu-b")
    _challenge(hub, factories, host_b, "tok-b2", "org-b", "default")
    assert _create(hub, factories, host_a, ["gpu-a"]) == chal_a.organization_id
    for queues, reason in ((["default"], "other organizations"),
                           (["gpu-b"], "other organizations"),
                           (["nobody-uses-this"], "No challenge of yours"),
                           (["gpu-a", "gpu-b"], "other organizations")):
        with pytest.raises(Forbidden, match=reason):
            _create(hub, factories, host_a, queues)
    with pytest.raises(Forbidden, match="curators and the hosts"):
        _create(hub, factories, factories.person(), ["gpu-a"])
    with pytest.raises(Forbidden, match="Only curators create hub-wide"):
        _create(hub, factories, host_a, ["gpu-a"], hub_wide=True)


def test_a_curators_runner_belongs_to_its_queues_organization_unless_made_hub_wide(
    hub: Hub, factories: Factories
) -> None:
    host_a, host_b = factories.host("org-a"), factories.host("org-b")
    chal_a = _challenge(hub, factories, host_a, "cur-a", "org-a", "gpu-a")
    chal_b = _challenge(hub, factories, host_b, "cur-b", "org-b", "gpu-b")
    _challenge(hub, factories, host_b, "cur-b2", "org-b", "default")
    curator = factories.curator()
    # Queues of one organization: the runner is that organization's, as a host's would be.
    assert _create(hub, factories, curator, ["gpu-a"]) == chal_a.organization_id
    assert _create(hub, factories, curator, ["default", "gpu-b"]) == chal_b.organization_id
    # Named, or made hub-wide, as the curator says.
    assert _create(hub, factories, curator, ["gpu-b"],
                   organization_id=chal_a.organization_id) == chal_a.organization_id
    assert _create(hub, factories, curator, ["gpu-a"], hub_wide=True) is None
    # Queues of no organization, or of several, must say which it is.
    for queues, why in ((["unused"], "no challenge yet"),
                        (["gpu-a", "gpu-b"], "several organizations")):
        with pytest.raises(InvalidInput, match=why):
            _create(hub, factories, curator, queues)
        assert _create(hub, factories, curator, queues, hub_wide=True) is None
    with pytest.raises(InvalidInput, match="not both"):
        _create(hub, factories, curator, ["unused"], chal_a.organization_id, hub_wide=True)


def test_a_queue_is_refused_to_a_host_when_another_organization_uses_it(
    hub: Hub, factories: Factories
) -> None:
    host_a = factories.host("org-a")
    factories.host("org-b")
    chal_a = _challenge(hub, factories, host_a, "q-a", "org-a", "acme-gpu")
    org_a = chal_a.organization_id
    _create(hub, factories, factories.curator(), ["lab-x"], org_a)  # org A's machine
    with hub.db.reading() as session:
        org_b = accounts.get_organization(session, "org-b").id
        # Another organization's challenge uses it, or its runner serves it: refused,
        # saying what to do.
        for name in ("acme-gpu", "lab-x"):
            refusal = runners.queue_refusal(session, name, org_b)
            assert refusal is not None and "another organization's" in refusal
            assert "queue of your own" in refusal
        # Its own queues, a new one, and the shared default are fine.
        for name in ("acme-gpu", "lab-x"):
            assert runners.queue_refusal(session, name, org_a) is None
        assert runners.queue_refusal(session, "b-only", org_b) is None
        assert runners.queue_refusal(session, "default", org_b) is None


def test_queue_names_are_checked(hub: Hub, factories: Factories) -> None:
    for queues in ([], [" "], ["has space"], ["x" * 65], [f"q{i}" for i in range(21)]):
        with pytest.raises(InvalidInput):
            _create(hub, factories, factories.curator(), queues)


def test_hosts_see_and_revoke_their_organizations_runners_only(
    hub: Hub, factories: Factories
) -> None:
    host_a, host_b = factories.host("org-a"), factories.host("org-b")
    _challenge(hub, factories, host_a, "see-a", "org-a", "qa")
    _challenge(hub, factories, host_b, "see-b", "org-b", "qb")
    _create(hub, factories, host_a, ["qa"])
    _create(hub, factories, host_b, ["qb"])
    with hub.db.reading() as session:
        mine = runners.list_runners(session, factories.actor(host_a))
        everyone = runners.list_runners(session, factories.actor(factories.curator()))
    assert [list(r.queues) for r in mine] == [["qa"]]
    assert len(everyone) == 2
    other = next(r for r in everyone if r.queues == ["qb"])
    with hub.db.transaction() as session, pytest.raises(NotFound):
        runners.revoke_runner(session, factories.actor(host_a), other.id)
    with hub.db.transaction() as session:
        revoked = runners.revoke_runner(session, factories.actor(host_b), other.id)
        assert revoked.revoked_at is not None


def test_runner_tokens_through_the_api(
    hub: Hub, factories: Factories, client: TestClient
) -> None:
    host = factories.host("org-a")
    _challenge(hub, factories, host, "api-a", "org-a", "api-q")
    created = client.post("/api/v1/runners", json={"name": "lab-gpu", "queues": ["api-q"]},
                          headers=host.headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["token"].startswith(runners.RUNNER_TOKEN_PREFIX) and body["queues"] == ["api-q"]
    refused = client.post("/api/v1/runners", json={"name": "x", "queues": ["default"]},
                          headers=host.headers)
    assert refused.status_code == 403
    assert client.post("/api/v1/runners", json={"name": "x", "queues": ["api-q"]}
                       ).status_code == 401
    listed = client.get("/api/v1/runners", headers=host.headers).json()
    assert [item["name"] for item in listed] == ["lab-gpu"] and "token" not in listed[0]
    gone = client.delete(f"/api/v1/runners/{body['id']}", headers=host.headers)
    assert gone.status_code == 200 and gone.json()["revoked_at"] is not None
    claim = client.post("/api/v1/runner/claim", json={"wait_seconds": 0},
                        headers={"Authorization": f"Bearer {body['token']}"})
    assert claim.status_code == 401


def test_runners_verbs_on_the_hubs_database(hub: Hub, factories: Factories) -> None:
    app = typer.Typer()
    worker_verbs.register(app)
    cli = CliRunner()
    curator = factories.curator()
    data = ["--data-dir", str(hub.settings.data_dir)]
    env = {"AIHUB_DATABASE_URL": hub.settings.resolved_database_url}
    unsaid = cli.invoke(app, ["runners", "create", "edge-1", "--queues", "gpu,cpu",
                              "--by", curator.user.username, *data], env=env)
    assert unsaid.exit_code == 1 and "--hub-wide" in unsaid.output
    made = cli.invoke(app, ["runners", "create", "edge-1", "--queues", "gpu,cpu", "--hub-wide",
                            "--by", curator.user.username, "--json", *data], env=env)
    assert made.exit_code == 0, made.output
    created = json.loads(made.output)
    assert created["queues"] == ["gpu", "cpu"] and created["token"]
    listed = cli.invoke(app, ["runners", "list", "--json", *data], env=env)
    assert [row["name"] for row in json.loads(listed.output)] == ["edge-1"]
    revoked = cli.invoke(app, ["runners", "revoke", str(created["id"]), *data], env=env)
    assert revoked.exit_code == 0 and "Revoked runner" in revoked.output
    denied = cli.invoke(app, ["runners", "create", "x", "--queues", "default",
                              "--by", factories.person().user.username, *data], env=env)
    assert denied.exit_code == 1 and "curators and the hosts" in denied.output
