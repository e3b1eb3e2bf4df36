"""The acceptance test of the reference (§3.2) with the real ckanapi client from PyPI: its
command line (which starts worker processes named ``ckanapi``, found on PATH) and its
Python API, against the app under uvicorn on loopback."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ckan_helpers import Catalog
from ckanapi import (
    CKANAPIError,
    NotAuthorized,
    NotFound,
    RemoteCKAN,
    SearchQueryError,
    ValidationError,
)

from aihub.datasets.services import get_dataset
from aihub.hub import Hub
from factories import Factories

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent  # the venv's bin, where pip put the ckanapi script


def ckanapi(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run([str(BIN / "ckanapi"), *args], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def test_status_show(server: str) -> None:
    status = json.loads(ckanapi("action", "status_show", "-r", server).stdout)
    assert status["ckan_version"] == "2.11.0" and status["extensions"] == ["aihub"]


def test_package_search_action(server: str, catalog: Catalog) -> None:
    found = json.loads(ckanapi("action", "package_search", "q=traffic", "rows:2", "-r", server,
                               "-a", catalog.host.token).stdout)
    assert found["count"] == 1 and found["results"][0]["name"] == "daejeon-traffic"
    found = json.loads(ckanapi("action", "package_search", "fq=organization:daejeon-city",
                               "rows:1", "-r", server).stdout)
    assert found["count"] == 2 and len(found["results"]) == 1
    # -g: the same by GET.
    found = json.loads(ckanapi("action", "package_search", "q=교통", "-g", "-r", server).stdout)
    assert [p["name"] for p in found["results"]] == ["daejeon-traffic"]


def test_search_datasets_terminates_with_every_match(server: str, catalog: Catalog) -> None:
    lines = ckanapi("search", "datasets", "q=*", "-r", server).stdout.splitlines()
    assert sorted(json.loads(line)["name"] for line in lines) == catalog.published
    lines = ckanapi("search", "datasets", "q=대기질", "fq=tags:air", "-r", server).stdout
    assert [json.loads(line)["name"] for line in lines.splitlines()] == ["busan-air"]


def test_dump_datasets_all(server: str, catalog: Catalog, tmp_path: Path) -> None:
    out = tmp_path / "dump.jsonl"
    ckanapi("dump", "datasets", "--all", "-r", server, "-a", catalog.host.token, "-O", str(out),
            "-q")
    dumped = [json.loads(line) for line in out.read_text().splitlines()]
    # Published datasets only: ckanapi asks package_list without private ones.
    assert [p["name"] for p in dumped] == catalog.published
    assert all(p["resources"][0]["hash_algorithm"] == "sha256" for p in dumped)


def test_missing_package_is_not_found(server: str) -> None:
    done = ckanapi("action", "package_show", "id=does-not-exist", "-r", server, check=False)
    assert done.returncode == 1
    assert "NotFound" in done.stderr and "does-not-exist" in done.stderr


def test_create_and_upload_from_the_command_line(server: str, catalog: Catalog,
                                                 tmp_path: Path) -> None:
    token = catalog.host.token
    created = json.loads(ckanapi("action", "package_create", "name=cli-made",
                                 "owner_org=daejeon-city", "title=명령줄 자료",
                                 'tags:[{"name": "cli"}]', "-r", server, "-a", token).stdout)
    assert created["name"] == "cli-made" and created["private"] is True
    sample = tmp_path / "sample.csv"
    sample.write_bytes("구,값\n중구,1\n".encode())
    resource = json.loads(ckanapi("action", "resource_create", "package_id=cli-made",
                                  f"upload@{sample}", "-r", server, "-a", token).stdout)
    assert resource["hash"] == hashlib.sha256(sample.read_bytes()).hexdigest()


def test_python_api_upload_then_publish(server: str, catalog: Catalog, factories: Factories,
                                        hub: Hub, tmp_path: Path) -> None:
    sample = tmp_path / "sample.csv"
    sample.write_bytes("station,pm10\n중구,31\n동구,40\n".encode())
    expected = hashlib.sha256(sample.read_bytes()).hexdigest()
    with RemoteCKAN(server, apikey=catalog.host.token) as ckan, sample.open("rb") as upload:
        resource = ckan.action.resource_create(package_id="busan-air", upload=upload)
        assert resource["hash"] == expected and resource["version_status"] == "draft"
        # Shown once a curator publishes the version, after the intake.
        assert "sample.csv" not in [r["name"] for r in
                                    ckan.action.package_show(id="busan-air")["resources"]]
        with hub.db.reading() as session:
            dataset = get_dataset(session, "busan-air")
        factories.publish_version(catalog.host, dataset, resource["version"])
        package = ckan.action.package_show(id="busan-air")
    shown = {r["name"]: r for r in package["resources"]}
    assert shown["sample.csv"]["hash"] == expected
    assert shown["sample.csv"]["id"] == resource["id"]
    assert package["version"] == resource["version"]
    with RemoteCKAN(server) as visitor:
        assert visitor.action.resource_show(id=resource["id"])["hash"] == expected


def test_python_api_errors(server: str, catalog: Catalog) -> None:
    with RemoteCKAN(server, apikey=catalog.host.token) as ckan:
        with pytest.raises(NotFound):
            ckan.action.package_show(id="does-not-exist")
        with pytest.raises(NotFound):
            ckan.action.package_purge(id="busan-air")  # not an action aihub serves
        with pytest.raises(ValidationError) as invalid:
            ckan.action.package_create(name="busan-air", owner_org="daejeon-city")
        assert invalid.value.error_dict["name"] == ["That URL is already in use."]
        with pytest.raises(SearchQueryError, match="not supported"):
            ckan.action.package_search(fq="author:kim")
    with RemoteCKAN(server, apikey="not-a-token") as stranger, pytest.raises(NotAuthorized):
        stranger.action.status_show()
    with RemoteCKAN(server) as visitor:
        with pytest.raises(NotAuthorized):
            visitor.action.package_create(name="x-data", owner_org="daejeon-city")
        with pytest.raises(NotFound):
            visitor.action.package_show(id=catalog.hidden)
        assert catalog.hidden not in visitor.action.package_list()
    # GET for a write action: CKAN's bare 400 string, which ckanapi cannot map.
    with RemoteCKAN(server, get_only=True) as getter, pytest.raises(CKANAPIError):
        getter.action.package_create(name="x-data")
