"""The Action API's read side: routes, envelope, authentication, what each action answers
and what a visitor never learns."""

from __future__ import annotations

import hashlib
from typing import Any

import ckan_helpers as helpers
import pytest
from ckan_helpers import Catalog, error
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from aihub.app import create_app
from aihub.datasets.models import DatasetFile
from aihub.hub import Hub
from aihub.interop.ckan.mapping import resource_id
from factories import Factories

PREFIXES = ["/api/action", "/api/3/action"]


def ok(response: Response) -> Any:
    """The result, with the help link naming the action called."""
    action = response.url.path.rstrip("/").rsplit("/", 1)[-1]
    assert response.json()["help"].endswith(f"/api/3/action/help_show?name={action}")
    return helpers.ok(response)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_status_show_by_get_and_post(client: TestClient, prefix: str) -> None:
    for response in (client.get(f"{prefix}/status_show"),
                     client.post(f"{prefix}/status_show", json={})):
        status = ok(response)
        assert status["ckan_version"] == "2.11.0"
        assert status["extensions"] == ["aihub"]
        assert status["site_url"] == "http://testserver"


def test_api_version_and_no_redirects(client: TestClient) -> None:
    assert client.get("/api").json() == {"version": 3}
    assert client.get("/api/3").json() == {"version": 3}
    # A trailing slash is the same action, answered, never redirected.
    response = client.post("/api/action/status_show/", json={}, follow_redirects=False)
    assert ok(response)["ckan_version"] == "2.11.0"


def test_site_url_follows_the_public_address(hub: Hub, catalog: Catalog) -> None:
    settings = hub.settings.model_copy(update={"public_base_url": "https://hub.example/"})
    public = Hub(settings, start_workers=False)
    try:
        with TestClient(create_app(hub=public)) as behind_proxy:
            assert ok(behind_proxy.get("/api/3/action/status_show"))["site_url"] == \
                "https://hub.example"
            package = ok(behind_proxy.get("/api/3/action/package_show?id=busan-air"))
    finally:
        public.close()
    assert package["url"] == "https://hub.example/datasets/busan-air"
    assert package["resources"][0]["url"].startswith("https://hub.example/api/v1/datasets/")


def test_package_show_maps_the_dataset(client: TestClient, catalog: Catalog) -> None:
    package = ok(client.post("/api/action/package_show", json={"id": "daejeon-traffic"}))
    assert package["id"] == package["name"] == "daejeon-traffic"
    assert package["title"] == "대기질 daejeon-traffic"
    assert package["title_translated"] == {"ko": "대기질 daejeon-traffic",
                                           "en": "Air quality daejeon-traffic"}
    assert package["notes"] == "측정소별 미세먼지."
    assert (package["license_id"], package["isopen"]) == ("KOGL-2", False)
    assert package["license_url"] == "https://www.kogl.or.kr/info/license.do"
    assert package["private"] is False and package["state"] == "active"
    assert package["owner_org"] == package["organization"]["name"] == "daejeon-city"
    assert package["organization"]["title"] == "대전광역시"
    assert [t["name"] for t in package["tags"]] == ["traffic", "교통"]
    assert package["num_tags"] == 2 and package["num_resources"] == 2
    assert package["version"] == "1.0.0"
    assert package["url"] == "http://testserver/datasets/daejeon-traffic"
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert extras["access_tier"] == "open" and extras["commercial_use"] == "false"
    assert len(extras["rev"]) == 64 and extras["title_en"] == "Air quality daejeon-traffic"
    assert package["metadata_created"] and "+" not in package["metadata_modified"]


def test_resources_are_the_latest_published_files(client: TestClient, catalog: Catalog,
                                                  factories: Factories) -> None:
    resources = ok(client.get("/api/3/action/package_show?id=daejeon-traffic"))["resources"]
    assert [r["name"] for r in resources] == ["roads.json", "speed.csv"]
    speed = resources[1]
    assert speed["hash"] == hashlib.sha256(b"road,kmh\n1,40\n").hexdigest()
    assert speed["hash_algorithm"] == "sha256" and speed["url_type"] == "upload"
    assert (speed["format"], speed["mimetype"], speed["size"]) == ("CSV", "text/csv", 14)
    assert speed["position"] == 1 and speed["package_id"] == "daejeon-traffic"
    assert speed["url"] == ("http://testserver/api/v1/datasets/daejeon-traffic/versions/"
                            "1.0.0/files/speed.csv")
    assert client.get(speed["url"]).content == b"road,kmh\n1,40\n"
    # A newer published version replaces them; a draft does not show.
    with factories.hub.db.reading() as session:
        from aihub.datasets.services import get_dataset
        dataset = get_dataset(session, "daejeon-traffic")
    factories.dataset_version(catalog.host, dataset, label="1.1.0",
                              files={"speed.csv": b"road,kmh\n1,45\n"})
    factories.dataset_version(catalog.host, dataset, label="1.2.0", publish=False,
                              files={"draft.csv": b"a\n"})
    package = ok(client.get("/api/3/action/package_show?id=daejeon-traffic"))
    assert package["version"] == "1.1.0"
    assert [r["name"] for r in package["resources"]] == ["speed.csv"]


def test_korean_file_names_are_quoted_in_urls(client: TestClient, factories: Factories,
                                              catalog: Catalog) -> None:
    factories.dataset(catalog.host, "korean-names", files={"자료/대기 질.csv": b"a\n1\n"})
    resource = ok(client.get("/api/action/package_show?id=korean-names"))["resources"][0]
    assert resource["name"] == "자료/대기 질.csv"
    assert "%EC%9E%90%EB%A3%8C/%EB%8C%80%EA%B8%B0%20%EC%A7%88.csv" in resource["url"]
    assert client.get(resource["url"]).content == b"a\n1\n"


def test_resource_show(client: TestClient, catalog: Catalog) -> None:
    listed = ok(client.get("/api/action/package_show?id=busan-air"))["resources"][0]
    assert ok(client.get(f"/api/action/resource_show?id={listed['id']}")) == listed
    for bad in ["nope", resource_id(999_999), "00000000-a1b0-4000-8000-zzzzzzzzzzzz"]:
        found = error(client.post("/api/action/resource_show", json={"id": bad}), 404,
                      "Not Found Error")
        assert found["message"].startswith("Not found: no resource has the id")


def test_unpublished_dataset_is_never_seen_by_others(client: TestClient, catalog: Catalog,
                                                     factories: Factories) -> None:
    names = ok(client.get("/api/action/package_list"))
    assert names == sorted(catalog.published)
    for who in (None, catalog.member, catalog.other_host):
        headers = who.headers if who else {}
        found = error(client.post("/api/action/package_show", json={"id": catalog.hidden},
                                  headers=headers), 404, "Not Found Error")
        assert found["message"] == ("Not found: no dataset has the id or name 'secret-plan'; "
                                    "package_list lists them.")
        # Exactly the answer for a dataset that does not exist.
        assert error(client.post("/api/action/package_show", json={"id": "secret-plam"},
                                 headers=headers), 404, "Not Found Error")["message"] == \
            found["message"].replace("secret-plan", "secret-plam")
        listed = ok(client.post("/api/action/package_list", json={"include_private": True},
                                headers=headers))
        assert catalog.hidden not in listed
    # Its draft files are hidden too, by resource id.
    with factories.hub.db.reading() as session:
        file_ids = list(session.scalars(select(DatasetFile.id)))
    visible = {r["id"] for name in catalog.published
               for r in ok(client.get(f"/api/action/package_show?id={name}"))["resources"]}
    hidden = [resource_id(i) for i in file_ids if resource_id(i) not in visible]
    assert hidden
    for rid in hidden:
        error(client.get(f"/api/action/resource_show?id={rid}"), 404, "Not Found Error")
        assert ok(client.get(f"/api/action/resource_show?id={rid}",
                             headers=catalog.host.headers))["version_status"] == "draft"


def test_hosts_see_their_unpublished_dataset_as_private(client: TestClient,
                                                        catalog: Catalog) -> None:
    package = ok(client.post("/api/action/package_show", json={"id": catalog.hidden},
                             headers=catalog.host.headers))
    assert package["private"] is True
    assert package["resources"] == [] and package["version"] is None
    # package_list follows CKAN: private datasets only when asked for.
    assert catalog.hidden not in ok(client.post("/api/action/package_list", json={},
                                                headers=catalog.host.headers))
    assert catalog.hidden in ok(client.post("/api/action/package_list",
                                            json={"include_private": True},
                                            headers=catalog.host.headers))


def test_package_list_pages(client: TestClient, catalog: Catalog) -> None:
    assert ok(client.get("/api/action/package_list?limit=2")) == ["busan-air", "daejeon-traffic"]
    assert ok(client.get("/api/action/package_list?limit=2&offset=2")) == ["gwangju-bus"]
    assert ok(client.post("/api/action/package_list", json={"limit": 5, "offset": 9})) == []
    found = error(client.get("/api/action/package_list?limit=-1"), 409, "Validation Error")
    assert found["limit"] == ["Must be a natural number (0 or more)."]
    found = error(client.get("/api/action/package_list?limit=many"), 409, "Validation Error")
    assert found["limit"] == ["Invalid integer: 'many'."]


def test_unknown_parameters_are_ignored(client: TestClient, catalog: Catalog) -> None:
    package = ok(client.post("/api/action/package_show", json={
        "id": "busan-air", "include_datasets": False, "include_password_hash": True,
        "include_users": False, "use_default_schema": True, "ext_whatever": {"a": 1}}))
    assert package["name"] == "busan-air"


def test_organizations(client: TestClient, catalog: Catalog) -> None:
    assert ok(client.get("/api/action/organization_list")) == ["daejeon-city", "gwangju-city"]
    assert ok(client.get("/api/action/organization_list?sort=name desc")) == [
        "gwangju-city", "daejeon-city"]
    orgs = ok(client.post("/api/action/organization_list", json={"all_fields": True}))
    # Unpublished datasets are not counted for anyone.
    assert {o["name"]: o["package_count"] for o in orgs} == {"daejeon-city": 2,
                                                            "gwangju-city": 1}
    assert ok(client.post("/api/action/organization_list", json={
        "organizations": ["gwangju-city"]})) == ["gwangju-city"]
    assert ok(client.post("/api/action/organization_list", json={
        "sort": "package_count desc"})) == ["daejeon-city", "gwangju-city"]
    error(client.get("/api/action/organization_list?sort=size"), 409, "Validation Error")
    org = ok(client.post("/api/action/organization_show", json={
        "id": "daejeon-city", "include_datasets": True}, headers=catalog.member.headers))
    assert org["package_count"] == 2
    assert [p["name"] for p in org["packages"]] == ["busan-air", "daejeon-traffic"]
    assert "packages" not in ok(client.get("/api/action/organization_show?id=daejeon-city"))
    error(client.get("/api/action/organization_show?id=nowhere"), 404, "Not Found Error")
    assert ok(client.get("/api/action/organization_list_for_user")) == []
    mine = ok(client.get("/api/action/organization_list_for_user",
                         headers=catalog.other_host.headers))
    assert [o["name"] for o in mine] == ["gwangju-city"]


def test_all_fields_lists_at_most_25(client: TestClient, factories: Factories) -> None:
    from aihub.accounts import services as accounts
    with factories.hub.db.transaction() as session:
        for i in range(30):
            accounts.create_organization(session, slug=f"org-{i:02d}", name_ko=f"기관 {i}")
    assert len(ok(client.get("/api/action/organization_list?all_fields=true&limit=100"))) == 25
    assert len(ok(client.get("/api/action/organization_list"))) == 30


def test_tags_licences_groups_help(client: TestClient, catalog: Catalog) -> None:
    # The unpublished dataset's "secret" tag is not listed.
    assert ok(client.get("/api/action/tag_list")) == ["air", "bus", "traffic", "교통", "대기질"]
    assert ok(client.get("/api/action/tag_list?query=AI")) == ["air"]
    assert ok(client.get("/api/action/tag_list?query=%25")) == []
    assert ok(client.get("/api/action/tag_list?all_fields=1"))[0]["name"] == "air"
    licences = {item["id"]: item for item in ok(client.get("/api/action/license_list"))}
    assert {"KOGL-1", "KOGL-2", "KOGL-3", "KOGL-4", "CC-BY-4.0", "CC0-1.0"} <= set(licences)
    assert licences["KOGL-4"]["commercial_use"] is False
    assert ok(client.get("/api/action/group_list")) == []
    assert "latest published version" in ok(client.get("/api/action/help_show?name="
                                                        "package_show"))
    error(client.get("/api/action/help_show?name=nope"), 404, "Not Found Error")


@pytest.mark.parametrize("header", ["Authorization", "X-CKAN-API-Key", "Bearer"])
def test_each_token_header_is_accepted(client: TestClient, catalog: Catalog,
                                       header: str) -> None:
    token = catalog.host.token
    headers = {"Authorization": f"Bearer {token}"} if header == "Bearer" else {header: token}
    package = ok(client.post("/api/action/package_show", json={"id": catalog.hidden},
                             headers=headers))
    assert package["private"] is True


def test_basic_auth_of_a_proxy_leaves_the_ckan_header(client: TestClient,
                                                      catalog: Catalog) -> None:
    headers = {"Authorization": "Basic dXNlcjpwYXNz", "X-CKAN-API-Key": catalog.host.token}
    ok(client.post("/api/action/package_show", json={"id": catalog.hidden}, headers=headers))
    # Basic alone is a visitor's request.
    error(client.post("/api/action/package_show", json={"id": catalog.hidden},
                      headers={"Authorization": "Basic dXNlcjpwYXNz"}), 404, "Not Found Error")


@pytest.mark.parametrize("headers", [
    {"Authorization": "not-a-token"}, {"X-CKAN-API-Key": "not-a-token"},
    {"Authorization": "Bearer not-a-token"}, {"Authorization": "Bearer"},
])
def test_a_bad_token_is_refused_never_anonymous(client: TestClient, catalog: Catalog,
                                                headers: dict[str, str]) -> None:
    for method in ("GET", "POST"):
        found = error(client.request(method, "/api/action/package_list", headers=headers),
                      403, "Authorization Error")
        assert found["message"].startswith("Access denied: the API token sent is unknown")


def test_a_revoked_token_is_refused(client: TestClient, factories: Factories,
                                    catalog: Catalog) -> None:
    from aihub.accounts import services as accounts
    with factories.hub.db.transaction() as session:
        actor = accounts.actor_for(session, catalog.member.user)
        for token in accounts.list_tokens(session, catalog.member.user):
            accounts.revoke_token(session, actor, token.id)
    error(client.get("/api/action/status_show", headers=catalog.member.headers), 403,
          "Authorization Error")
