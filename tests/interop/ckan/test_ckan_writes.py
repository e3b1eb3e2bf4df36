"""The write actions (package_create, resource_create) and the request errors: bodies,
methods, CKAN's error types with their HTTP status, and nothing stored when refused."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from ckan_helpers import Catalog, error, ok
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select

from aihub.datasets.models import Dataset, DatasetFile, DatasetVersion
from aihub.hub import Hub
from aihub.interop.ckan.writes import next_label
from factories import Factories, Person

CREATE = "/api/action/package_create"
RESOURCE = "/api/3/action/resource_create"


def counts(hub: Hub) -> tuple[int, int, int]:
    with hub.db.reading() as session:
        return (session.scalar(select(func.count()).select_from(Dataset)) or 0,
                session.scalar(select(func.count()).select_from(DatasetVersion)) or 0,
                session.scalar(select(func.count()).select_from(DatasetFile)) or 0)


def create(client: TestClient, person: Person, **fields: Any) -> Response:
    body = {"name": "new-data", "owner_org": "daejeon-city", **fields}
    return client.post(CREATE, json=body, headers={"Authorization": person.token})


def test_package_create_maps_fields(client: TestClient, catalog: Catalog) -> None:
    package = ok(create(
        client, catalog.host, title="새 교통 자료", notes="설명", license_id="CC-BY-4.0",
        title_translated={"en": "New traffic data"}, tags=[{"name": "교통"}, {"name": "bus"}],
        url="https://data.go.kr/x", extras=[{"key": "access_tier", "value": "registered"},
                                             {"key": "description_en", "value": "About"}],
        private=False, groups=[{"name": "ignored"}], state="active", type="dataset"))
    assert (package["name"], package["title"], package["notes"]) == ("new-data", "새 교통 자료",
                                                                       "설명")
    assert package["title_translated"] == {"ko": "새 교통 자료", "en": "New traffic data"}
    assert package["notes_translated"]["en"] == "About"
    assert [t["name"] for t in package["tags"]] == ["bus", "교통"]
    assert package["license_id"] == "CC-BY-4.0" and package["private"] is True
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert extras["access_tier"] == "registered" and extras["source"] == "https://data.go.kr/x"
    # Hidden from everyone else until a version is published.
    error(client.get("/api/action/package_show?id=new-data"), 404, "Not Found Error")


def test_package_create_defaults(client: TestClient, catalog: Catalog) -> None:
    package = ok(create(client, catalog.host, tag_string="a, b"))
    assert package["title"] == "new-data" and package["license_id"] == "KOGL-1"
    assert {e["key"]: e["value"] for e in package["extras"]}["access_tier"] == "open"
    assert [t["name"] for t in package["tags"]] == ["a", "b"]


@pytest.mark.parametrize(("fields", "field", "said"), [
    ({"name": "Bad Name"}, "name", "2 to 100 lowercase letters"),
    ({"name": ""}, "name", "Missing value"),
    ({"name": {"a": 1}}, "name", "Must be a string"),
    ({"owner_org": None}, "owner_org", "Missing value"),
    ({"owner_org": "atlantis"}, "owner_org", "no organization is called 'atlantis'"),
    ({"license_id": "WTFPL"}, "license_id", "unknown licence 'WTFPL'"),
    ({"license_id": "custom"}, "licence_text", "a custom licence needs its terms"),
    ({"extras": [{"key": "access_tier", "value": "secret"}]}, "access_tier", "not a tier"),
    ({"extras": "nope"}, "extras", "Is not a JSON list"),
    ({"extras": [{"key": 1}]}, "extras", "Each extra is"),
    ({"tags": [{"name": "a/b"}]}, "tags", "is not a tag"),
    ({"tags": ["air"]}, "tags", "Must be a list of objects"),
    ({"title_translated": "x"}, "title_translated", "Must be an object"),
    ({"title": "a\x00b"}, "title", "NUL"),
    ({"resources": [{"url": "https://x/a.csv"}]}, "resources", "aihub stores files"),
])
def test_package_create_validation(client: TestClient, catalog: Catalog, hub: Hub,
                                   fields: dict[str, Any], field: str, said: str) -> None:
    before = counts(hub)
    found = error(create(client, catalog.host, **fields), 409, "Validation Error")
    assert said in " ".join(found[field]), found
    assert counts(hub) == before


def test_name_in_use_is_ckans_message(client: TestClient, catalog: Catalog, hub: Hub) -> None:
    before = counts(hub)
    # Also for another organization's unpublished dataset: names are unique hub-wide.
    for name in ("busan-air", catalog.hidden):
        found = error(create(client, catalog.other_host, name=name, owner_org="gwangju-city"),
                      409, "Validation Error")
        assert found == {"name": ["That URL is already in use."], "__type": "Validation Error"}
    assert counts(hub) == before


def test_package_create_needs_a_host_of_the_organization(client: TestClient, catalog: Catalog,
                                                         hub: Hub) -> None:
    before = counts(hub)
    found = error(client.post(CREATE, json={"name": "x-data", "owner_org": "daejeon-city"}),
                  403, "Authorization Error")
    assert "needs a logged-in host" in found["message"]
    found = error(create(client, catalog.member), 403, "Authorization Error")
    assert found["message"].startswith("Access denied: You cannot create datasets for")
    error(create(client, catalog.other_host), 403, "Authorization Error")
    assert counts(hub) == before


def test_resource_create_attaches_to_a_new_draft(client: TestClient, catalog: Catalog,
                                                 hub: Hub) -> None:
    content = "station,pm10\n중구,31\n".encode()
    resource = ok(client.post(RESOURCE, data={"package_id": "busan-air"},
                              files={"upload": ("측정.csv", content)},
                              headers={"X-CKAN-API-Key": catalog.host.token}))
    assert resource["hash"] == hashlib.sha256(content).hexdigest()
    assert resource["hash_algorithm"] == "sha256" and resource["size"] == len(content)
    assert resource["name"] == "측정.csv" and resource["format"] == "CSV"
    assert (resource["version"], resource["version_status"]) == ("1.0.1", "draft")
    # The draft's files are not the package's resources until published.
    package = ok(client.get("/api/action/package_show?id=busan-air"))
    assert [r["name"] for r in package["resources"]] == ["data/pm10.csv"]
    # A second file goes to the same draft, under the path given.
    second = ok(client.post(RESOURCE, data={"package_id": "busan-air", "name": "data/b.csv",
                                            "mimetype": "text/plain"},
                            files={"upload": ("x.bin", b"b\n")},
                            headers={"Authorization": catalog.host.token}))
    assert (second["version"], second["name"], second["mimetype"]) == ("1.0.1", "data/b.csv",
                                                                        "text/plain")
    with hub.db.reading() as session:
        drafts = session.scalars(select(DatasetVersion).where(
            DatasetVersion.status == "draft", DatasetVersion.label == "1.0.1")).all()
        assert len(drafts) == 1 and drafts[0].message == "Added through the CKAN API"


def test_resource_create_on_a_new_package(client: TestClient, catalog: Catalog) -> None:
    ok(create(client, catalog.host))
    resource = ok(client.post(RESOURCE, data={"package_id": "new-data"},
                              files={"upload": ("a.csv", b"a\n")},
                              headers={"Authorization": catalog.host.token}))
    assert resource["version"] == "1.0.0" and resource["package_id"] == "new-data"


def test_resource_create_uses_an_existing_draft(client: TestClient, catalog: Catalog) -> None:
    resource = ok(client.post(RESOURCE, data={"package_id": catalog.hidden},
                              files={"upload": ("b.csv", b"b\n")},
                              headers={"Authorization": catalog.host.token}))
    assert resource["version"] == "1.0.0"  # the factory's draft


def test_resource_create_checks_a_declared_sha256(client: TestClient, catalog: Catalog,
                                                  hub: Hub) -> None:
    good = hashlib.sha256(b"a\n").hexdigest()
    ok(client.post(RESOURCE, data={"package_id": "busan-air", "hash": f"sha256:{good}"},
                   files={"upload": ("a.csv", b"a\n")}, headers=catalog.host.headers))
    before = counts(hub)
    found = error(client.post(RESOURCE, data={"package_id": "busan-air", "hash": "0" * 64},
                              files={"upload": ("c.csv", b"c\n")}, headers=catalog.host.headers),
                  409, "Validation Error")
    wrong = hashlib.sha256(b"c\n").hexdigest()
    assert found["hash"][0].startswith(f"The file's sha256 is {wrong}, not '{'0' * 64}'")
    # An md5 or free text is CKAN's free field: kept out of the way, not checked.
    ok(client.post(RESOURCE, data={"package_id": "busan-air", "hash": "d41d8cd98f00b204"},
                   files={"upload": ("d.csv", b"d\n")}, headers=catalog.host.headers))
    assert counts(hub)[2] == before[2] + 1


@pytest.mark.parametrize(("who", "data", "status", "kind", "said"), [
    ("visitor", {"package_id": "busan-air"}, 403, "Authorization Error", "logged-in host"),
    ("member", {"package_id": "busan-air"}, 403, "Authorization Error", "only the hosts"),
    ("other_host", {"package_id": "busan-air"}, 403, "Authorization Error", "only the hosts"),
    ("other_host", {"package_id": "secret-plan"}, 404, "Not Found Error", "no dataset"),
    ("host", {"package_id": "nowhere"}, 404, "Not Found Error", "no dataset"),
    ("host", {}, 409, "Validation Error", "Missing value"),
    ("host", {"package_id": "busan-air", "name": "../etc/passwd"}, 409, "Validation Error",
     "'..'"),
    ("host", {"package_id": "busan-air", "mimetype": "not a type"}, 409, "Validation Error",
     "is not a media type"),
])
def test_resource_create_refusals_store_nothing(
    client: TestClient, catalog: Catalog, hub: Hub, who: str, data: dict[str, str],
    status: int, kind: str, said: str,
) -> None:
    person = getattr(catalog, who) if who != "visitor" else None
    before = counts(hub)
    found = error(client.post(RESOURCE, data=data, files={"upload": ("a.csv", b"a\n")},
                              headers=person.headers if person else {}), status, kind)
    assert said in str(found), found
    assert counts(hub) == before


def test_resource_create_without_a_file(client: TestClient, catalog: Catalog) -> None:
    for data in ({"package_id": "busan-air"},
                 {"package_id": "busan-air", "url": "https://example.org/a.csv"}):
        found = error(client.post(RESOURCE, json=data, headers=catalog.host.headers), 409,
                      "Validation Error")
        assert "multipart part named 'upload'" in found["upload"][0]


def test_resource_create_from_a_finished_tus_upload(client: TestClient, catalog: Catalog
                                                   ) -> None:
    content = b"big,file\n1,2\n"
    created = client.post("/api/v1/uploads/", content=content, headers={
        **catalog.host.headers, "Tus-Resumable": "1.0.0", "Upload-Length": str(len(content)),
        "Content-Type": "application/offset+octet-stream",
        "Upload-Metadata": "filename " + base64.b64encode(b"big.csv").decode()})
    assert created.status_code == 201, created.text
    url = created.headers["Location"]
    resource = ok(client.post(RESOURCE, json={"package_id": "busan-air", "url": url},
                              headers=catalog.host.headers))
    assert resource["name"] == "big.csv"
    assert resource["hash"] == hashlib.sha256(content).hexdigest()
    # The upload is used up: a second attach is refused with the reason.
    again = client.post(RESOURCE, json={"package_id": "busan-air", "url": url},
                        headers=catalog.host.headers)
    assert again.json()["success"] is False


def test_a_version_out_of_draft_takes_no_files(client: TestClient, catalog: Catalog,
                                               factories: Factories, hub: Hub) -> None:
    ok(client.post(RESOURCE, data={"package_id": "busan-air"},
                   files={"upload": ("a.csv", b"new\n")}, headers=catalog.host.headers))
    factories.publish_version(catalog.host, _dataset(hub, "busan-air"), "1.0.1")
    resource = ok(client.post(RESOURCE, data={"package_id": "busan-air"},
                              files={"upload": ("b.csv", b"newer\n")},
                              headers=catalog.host.headers))
    assert resource["version"] == "1.0.2"
    package = ok(client.get("/api/action/package_show?id=busan-air"))
    assert package["version"] == "1.0.1"
    # As in CKAN, the resource was added to the package's others.
    assert [r["name"] for r in package["resources"]] == ["a.csv", "data/pm10.csv"]


def test_a_name_taken_in_the_draft_is_refused(client: TestClient, catalog: Catalog) -> None:
    found = error(client.post(RESOURCE, data={"package_id": "busan-air", "name": "data/pm10.csv"},
                              files={"upload": ("x.csv", b"x\n")}, headers=catalog.host.headers),
                  409, "Validation Error")
    assert "has a file 'data/pm10.csv' already; remove it first" in found["message"][0]


def _dataset(hub: Hub, slug: str) -> Dataset:
    from aihub.datasets.services import get_dataset
    with hub.db.reading() as session:
        return get_dataset(session, slug)


@pytest.mark.parametrize(("labels", "expected"), [
    ([], "1.0.0"), (["1.0.0"], "1.0.1"), (["1"], "1.0.1"), (["1.2", "1.10.3", "2"], "2.0.1"),
    (["1.0.0-beta"], "1.0.1"), (["1.0.0-beta", "1.0.1"], "1.0.2"),
    (["1.0.1+x", "1.0.0"], "1.0.2"),
])
def test_next_label(labels: list[str], expected: str) -> None:
    assert next_label(labels) == expected


def test_get_for_a_write_action_is_ckans_400(client: TestClient, catalog: Catalog) -> None:
    response = client.get("/api/action/package_create?name=x", headers=catalog.host.headers)
    assert response.status_code == 400
    assert response.json() == ("Bad request: JSON Error: Invalid request. Please use POST "
                               "method for your request")


@pytest.mark.parametrize(("body", "said"), [
    (b"{bad", "Bad request: JSON Error: Error decoding JSON data"),
    (b"[1, 2]", "Bad request: JSON Error: Request data JSON decoded to [1, 2] but it needs "
                "to be a dictionary."),
    (b'"id"', "decoded to \"id\" but it needs to be a dictionary"),
    (b"\xff\xfe", "Bad request: JSON Error: Error decoding JSON data"),
])
def test_malformed_bodies_are_plain_400_strings(client: TestClient, body: bytes,
                                                said: str) -> None:
    response = client.post("/api/action/package_show", content=body,
                           headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert isinstance(response.json(), str) and said in response.json()


def test_other_body_forms(client: TestClient, catalog: Catalog) -> None:
    def name(response: Response) -> str:
        result: str = ok(response)["name"]
        return result
    assert name(client.post("/api/action/package_show", data={"id": "busan-air"})) == "busan-air"
    # curl -d '{"id": …}' sends JSON as a form's one key (CKAN reads it).
    assert name(client.post("/api/action/package_show", content=b'{"id": "busan-air"}',
                            headers={"Content-Type": "application/x-www-form-urlencoded"})) \
        == "busan-air"
    assert name(client.post("/api/action/package_show", content=b'{"id": "busan-air"}')) \
        == "busan-air"
    assert name(client.post("/api/action/package_show?id=busan-air")) == "busan-air"
    too_big = client.post("/api/action/package_show", content=b"{" + b" " * 1_100_000 + b"}",
                          headers={"Content-Type": "application/json"})
    assert too_big.status_code == 400 and "over 1048576 bytes" in too_big.json()


def test_unknown_action_is_a_not_found_error(client: TestClient) -> None:
    for method in ("GET", "POST"):
        found = error(client.request(method, "/api/3/action/package_purge"), 404,
                      "Not Found Error")
        assert found["message"].startswith("Not found: Action name not known: package_purge.")
        assert "package_search" in found["message"]


def test_repeated_query_keys_and_wrong_kinds(client: TestClient, catalog: Catalog) -> None:
    found = error(client.get("/api/action/package_show?id=a&id=b"), 409, "Validation Error")
    assert found["id"] == ["Must be a string, not list."]
    found = error(client.post("/api/action/package_show", json={"id": {"x": 1}}), 409,
                  "Validation Error")
    assert found["id"] == ["Must be a string, not dict."]
    found = error(client.post("/api/action/package_show", json={"id": "a\x00"}), 409,
                  "Validation Error")
    assert "NUL" in found["id"][0]
    found = error(client.post("/api/action/package_list", json={"include_private": "maybe"}),
                  409, "Validation Error")
    assert found["include_private"] == ["Must be true or false, not 'maybe'."]


def test_two_uploads_in_one_request_are_refused(client: TestClient, catalog: Catalog,
                                                hub: Hub) -> None:
    before = counts(hub)
    response = client.post(RESOURCE, data={"package_id": "busan-air"},
                           files=[("upload", ("a.csv", b"a\n")), ("more", ("b.csv", b"b\n"))],
                           headers=catalog.host.headers)
    assert response.status_code == 400 and "Too many files" in response.json()
    assert counts(hub) == before
