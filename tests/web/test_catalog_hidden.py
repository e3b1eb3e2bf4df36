"""What the catalog's pages keep hidden: a version in review, rejected or blocked, its
findings and files, from everyone but the owning organization's hosts and the curators;
the rows of a tier a reader has no access to."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from aihub.datasets import services, versions
from aihub.hub import Hub
from factories import Factories, Person
from webclient import sign_in, web_client

PUBLIC = "station,pm10\n중구,31\n".encode()
PHONES = "station,pm10,caller\n중구,31,010-1234-5678\n서구,28,010-2222-3333\n".encode()


@pytest.fixture
def web(hub: Hub) -> TestClient:
    with web_client(hub) as client:
        yield client  # type: ignore[misc]


def _second_version_in_review(hub: Hub, factories: Factories, host: Person) -> None:
    """``air`` 1.0.0 published; 2.0.0 submitted, scanned, with phone numbers found."""
    dataset = factories.dataset(host, "air", files={"data/pm10.csv": PUBLIC})
    factories.dataset_version(host, dataset, label="2.0.0", publish=False,
                              files={"data/callers.csv": PHONES})
    with hub.db.transaction() as session:
        found = services.get_dataset(session, "air")
        version = versions.get_version(session, found, "2.0.0", factories.actor(host))
        versions.submit_version(session, version, factories.actor(host))
    factories.run_intake("air", "2.0.0")


SECRET_WORDS = ("callers.csv", "caller", "010-", "2.0.0")
VERSION_PAGES = ("/datasets/air?version=2.0.0",
                 "/datasets/air/versions/2.0.0/files/data/callers.csv",
                 "/host/datasets/air/versions/2.0.0",
                 "/host/datasets/air/versions/2.0.0/intake",
                 "/curator/datasets/air/versions/2.0.0/review")


def _nothing_of_the_review(web: TestClient, who: str) -> None:
    page = web.get("/datasets/air")
    assert page.status_code == 200, who
    for word in SECRET_WORDS:
        assert word not in page.text, (who, word)
    for path in VERSION_PAGES:
        response = web.get(path)
        assert response.status_code in (303, 403, 404), (who, path, response.status_code)
        said = response.text.replace(path.replace("?", "%3F"), "").replace(path, "")
        for word in ("010-", "callers.csv", "caller"):  # but the address asked for
            assert word not in said, (who, path, word)
    catalog = web.get("/datasets", params={"q": "caller"})
    assert "/datasets/air" not in catalog.text, who


def test_a_version_in_review_is_hidden_from_all_but_its_hosts_and_curators(
        web: TestClient, hub: Hub, factories: Factories) -> None:
    host = factories.host()
    _second_version_in_review(hub, factories, host)
    _nothing_of_the_review(web, "visitor")
    sign_in(web, hub, factories.person())
    _nothing_of_the_review(web, "member")
    sign_in(web, hub, factories.host("busan-city"))
    _nothing_of_the_review(web, "another organization's host")
    sign_in(web, hub, host)
    assert "2.0.0" in web.get("/datasets/air").text
    mine = web.get("/host/datasets/air/versions/2.0.0")
    assert mine.status_code == 200 and "010-" in mine.text  # the masked examples
    assert web.get("/curator/datasets/air/versions/2.0.0/review").status_code == 403
    sign_in(web, hub, factories.curator())
    review = web.get("/curator/datasets/air/versions/2.0.0/review")
    assert review.status_code == 200 and "caller" in review.text
