"""What a version under review or rejected must never show through the CKAN API and the
open formats, to visitors, members and other organizations' hosts: its file names, column
names, addresses or resource ids. Only the latest published version is described."""

from __future__ import annotations

import pytest
from ckan_helpers import ok
from fastapi.testclient import TestClient

from aihub.datasets import versions
from aihub.datasets.models import DatasetFile
from aihub.datasets.services import get_dataset
from aihub.hub import Hub
from aihub.interop.ckan.mapping import resource_id
from factories import Factories, Person

pytestmark = pytest.mark.filterwarnings(
    "ignore:ConjunctiveGraph is deprecated:DeprecationWarning")  # inside rdflib 7.6

SECRETS = {"quarantine": "patients_hidden_q.csv", "rejected": "patients_hidden_r.csv"}
COLUMN = "resident_no_hidden_col"


def _hidden_versions(hub: Hub, factories: Factories, host: Person) -> list[int]:
    """``air`` published at 1.0.0, then 2.0.0 left in review and 3.0.0 rejected; the
    ids of their files."""
    dataset = factories.dataset(host, "air")
    curator = factories.actor(factories.curator())
    ids = []
    for label, (state, name) in zip(("2.0.0", "3.0.0"), SECRETS.items(), strict=True):
        factories.dataset_version(host, dataset, label=label, publish=False,
                                  files={name: f"{COLUMN},b\n1,2\n".encode()})
        with hub.db.transaction() as session:
            version = versions.get_version(session, get_dataset(session, "air"), label,
                                           curator)
            versions.submit_version(session, version, factories.actor(host))
            profile = {"format": "csv", "row_count": 1, "delimiter": ",", "encoding": "utf-8",
                       "columns": [{"name": COLUMN, "type": "integer"}],
                       "preview": [[COLUMN], ["1"]]}
            versions.record_intake(session, version, {name: {
                "profile": profile, "pii_report": {"findings": []}}})
            if state == "rejected":
                versions.reject_version(session, version, curator, "개인정보가 있습니다.")
            ids += [f.id for f in versions.version_files(session, version)]
            assert isinstance(session.get(DatasetFile, ids[-1]), DatasetFile)
    return ids


def test_versions_under_review_or_rejected_show_nowhere(
        client: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    file_ids = _hidden_versions(hub, factories, host)
    people = {"visitor": {}, "member": factories.person().headers,
              "other host": factories.host("gwangju-city").headers}
    for who, headers in people.items():
        answers = [
            client.get("/api/3/action/package_show?id=air", headers=headers),
            client.get("/api/3/action/package_search?q=air&include_private=true",
                       headers=headers),
            client.get(f"/api/3/action/package_search?q={COLUMN}", headers=headers),
            client.get("/api/3/action/organization_show?id=daejeon-city&include_datasets=true",
                       headers=headers),
            client.get("/api/v1/datasets/air/croissant.json", headers=headers),
            client.get("/api/v1/datasets/air/dcat.ttl", headers=headers),
            client.get("/api/v1/catalog.jsonld", headers=headers),
            *[client.get(f"/api/v1/datasets/air/versions/{label}/croissant.json",
                         headers=headers) for label in ("2.0.0", "3.0.0")],
            *[client.get(f"/api/3/action/resource_show?id={resource_id(i)}", headers=headers)
              for i in file_ids],
        ]
        for n, answer in enumerate(answers):
            text = answer.text
            assert not any(name in text for name in SECRETS.values()), (who, answer.url)
            assert COLUMN not in text, (who, answer.url)
            if n < 7:  # the others name the label asked for, in their refusal
                assert "2.0.0" not in text and "3.0.0" not in text, (who, answer.url)
        assert [a.status_code for a in answers[-4:]] == [404, 404, 404, 404], who
        assert ok(answers[0])["version"] == "1.0.0"
        assert ok(answers[2])["count"] == 0
    # The hosts themselves see the files of the version under review.
    mine = client.get(f"/api/3/action/resource_show?id={resource_id(file_ids[0])}",
                      headers=host.headers)
    assert ok(mine)["name"] == SECRETS["quarantine"]
