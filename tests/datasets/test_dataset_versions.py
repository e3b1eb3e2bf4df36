"""Versions through the services, on SQLite and PostgreSQL: drafts, submission, intake,
the PII review, publication, rejection, withdrawal, and immutability once out of draft."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from functools import cached_property
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.datasets import versions as v
from aihub.datasets.findings import findings_in
from aihub.datasets.manifest import sha256_text
from aihub.datasets.models import (
    Dataset,
    DatasetFile,
    DatasetVersion,
    FindingDecision,
    ImmutableVersionError,
)
from aihub.datasets.services import flush_unique, get_dataset
from aihub.errors import Conflict, FieldErrors, Forbidden, InvalidInput, NotFound
from aihub.hub import Hub
from factories import Factories, Person

RRN = {"findings": [{"pattern_id": "KR_RRN_OR_FRN", "severity": "BLOCK", "column": "jumin",
                     "count": 2, "examples": ["900101-1******"]}]}
PHONE = {"columns": [{"column": "tel", "findings": [
    {"pattern": "KR_MOBILE", "severity": "REVIEW", "count": 4}]}],
    "findings": [{"pattern_id": "CARD", "severity": "BLOCK", "column": "memo", "count": 1}]}
CLEAN: dict[str, Any] = {"findings": [], "blocks_publication": False}


class World:
    def __init__(self, hub: Hub, factories: Factories) -> None:
        self.hub, self.factories = hub, factories
        self.host: Person = factories.host()
        self.curator: Person = factories.curator()
        self.dataset = factories.dataset(self.host, "air", publish=False)

    # Made when a test asks: each person costs a password hash.
    @cached_property
    def member(self) -> Person:
        return self.factories.person()

    @cached_property
    def outsider(self) -> Person:
        return self.factories.host("gwangju-city")

    def actor(self, person: Person | None) -> Actor:
        return self.factories.actor(person)

    def run(self, fn: Callable[[Session, DatasetVersion], Any], label: str = "1.0.0") -> Any:
        with self.hub.db.transaction() as session:
            dataset = get_dataset(session, self.dataset.slug)
            return fn(session, v.get_version(session, dataset, label, self.actor(self.curator)))

    def blob(self, content: bytes) -> tuple[str, int]:
        stored = self.hub.storage.put_file(io.BytesIO(content))
        return stored.sha256, stored.size

    def submit(self, label: str = "1.0.0") -> DatasetVersion:
        version: DatasetVersion = self.run(
            lambda s, ver: v.submit_version(s, ver, self.actor(self.host)), label)
        return version

    def intake(self, reports: dict[str, dict[str, Any]], label: str = "1.0.0") -> str:
        def record(session: Session, version: DatasetVersion) -> str:
            results = {f.path: {"profile": {"rows": 1}, "pii_report": reports.get(f.path, CLEAN)}
                       for f in v.version_files(session, version)}
            return v.record_intake(session, version, results).status
        status: str = self.run(record, label)
        return status


@pytest.fixture
def world(hub: Hub, factories: Factories) -> World:
    return World(hub, factories)


def test_a_version_needs_a_label_and_a_message_and_labels_are_never_reused(world: World
                                                                          ) -> None:
    others = [world.actor(world.member), world.actor(world.outsider)]  # before the lock
    with world.hub.db.transaction() as session:
        dataset = get_dataset(session, "air")
        host = world.actor(world.host)
        with pytest.raises(FieldErrors, match="message: every version needs a message"):
            v.create_version(session, dataset, host, label="2.0.0", message="  ")
        with pytest.raises(FieldErrors, match="label: 'v2' is not a version label"):
            v.create_version(session, dataset, host, label="v2", message="x")
        with pytest.raises(Conflict, match="labels are never reused"):
            v.create_version(session, dataset, host, label="1.0.0", message="again")
        for actor in others:
            with pytest.raises(Forbidden):
                v.create_version(session, dataset, actor, label="3", message="x")


def test_attach_checks_paths_blobs_and_duplicates(world: World) -> None:
    sha, size = world.blob(b"a,b\n1,2\n")

    def attach(path: str, **kw: Any) -> Callable[[Session, DatasetVersion], DatasetFile]:
        return lambda s, ver: v.attach_file(s, world.hub.storage, ver, world.actor(world.host),
                                            path=path, **({"sha256": sha, "size": size} | kw))
    item = world.run(attach("자료/b.csv"))
    assert (item.path, item.media_type, item.size) == ("자료/b.csv", "text/csv", size)
    with pytest.raises(FieldErrors, match=r"path: .*'\.\.'"):
        world.run(attach("../b.csv"))
    with pytest.raises(Conflict, match=r"has a file 'data/pm10.csv' already"):
        world.run(attach("data/pm10.csv"))
    with pytest.raises(FieldErrors, match="differ only in case"):
        world.run(attach("DATA/pm10.csv"))
    with pytest.raises(InvalidInput, match="upload the file first"):
        world.run(attach("c.csv", size=size + 1))
    with pytest.raises(InvalidInput, match="upload the file first"):
        world.run(attach("c.csv", sha256="0" * 64))
    with pytest.raises(FieldErrors, match="media_type"):
        world.run(attach("c.csv", media_type="nonsense"))
    world.run(lambda s, ver: v.remove_file(s, ver, world.actor(world.host), "자료/b.csv"))
    with pytest.raises(NotFound, match="has no file"):
        world.run(lambda s, ver: v.remove_file(s, ver, world.actor(world.host), "자료/b.csv"))


def test_a_local_file_is_stored_and_attached(world: World, tmp_path: Any) -> None:
    source = tmp_path / "stations.json"
    source.write_text('{"a": 1}')
    item = world.run(lambda s, ver: v.attach_local_file(
        s, world.hub.storage, ver, world.actor(world.host), source, path="meta/stations.json"))
    assert item.media_type == "application/json"
    assert world.hub.storage.path(item.sha256).read_bytes() == b'{"a": 1}'


def test_submit_fixes_the_manifest_and_refuses_an_empty_version(world: World) -> None:
    version = world.submit()
    assert version.status == "quarantine" and version.submitted_at is not None
    assert version.rev == sha256_text(version.manifest or "")
    manifest = json.loads(version.manifest or "")
    assert manifest["dataset"] == "air" and manifest["version"] == "1.0.0"
    assert [f["path"] for f in manifest["files"]] == ["data/pm10.csv"]
    assert (version.file_count, version.total_bytes) == (1, manifest["files"][0]["size"])
    with world.hub.db.transaction() as session:
        empty = v.create_version(session, get_dataset(session, "air"),
                                 world.actor(world.host), label="2.0.0", message="Nothing")
    with pytest.raises(InvalidInput, match="has no files; attach at least one"):
        world.submit("2.0.0")
    assert empty.status == "draft"


def test_the_same_files_as_the_published_version_are_refused(world: World) -> None:
    world.factories.publish_version(world.host, world.dataset, "1.0.0")
    world.factories.dataset_version(world.host, world.dataset, label="1.0.1", publish=False,
                                    files={"data/pm10.csv": "station,pm10\n중구,5\n".encode()})
    with pytest.raises(Conflict, match=r"exactly the files of the published version 1.0.0"):
        world.submit("1.0.1")


def test_a_resident_registration_number_blocks_the_version_for_good(world: World) -> None:
    world.submit()
    assert world.intake({"data/pm10.csv": RRN}) == "blocked"
    version = world.run(lambda s, ver: ver)
    assert "Resident registration numbers found in data/pm10.csv column 'jumin' (2)" in (
        version.reason)
    with pytest.raises(Conflict, match="is blocked: Resident registration numbers"):
        world.run(lambda s, ver: v.publish_version(s, ver, world.actor(world.curator)))
    with pytest.raises(Conflict, match="findings are decided while a version is in review"):
        world.run(lambda s, ver: v.decide_finding(
            s, ver, world.actor(world.curator), path="data/pm10.csv", column="jumin",
            pattern_id="KR_RRN_OR_FRN", decision="cleared", reason="an order number"))


def test_intake_may_come_file_by_file_and_only_in_quarantine(world: World) -> None:
    world.factories.dataset_version(world.host, world.dataset, label="2.0.0", publish=False,
                                    files={"a.csv": b"a\n1\n", "b.csv": b"b\n2\n"})
    world.submit("2.0.0")

    def one(path: str) -> Callable[[Session, DatasetVersion], str]:
        return lambda s, ver: v.record_intake(s, ver, {path: {"pii_report": CLEAN}}).status
    assert world.run(one("a.csv"), "2.0.0") == "quarantine"
    with pytest.raises(InvalidInput, match=r"has no file 'c.csv'"):
        world.run(one("c.csv"), "2.0.0")
    assert world.run(one("b.csv"), "2.0.0") == "review"
    with pytest.raises(Conflict, match="is review, not in quarantine"):
        world.run(one("b.csv"), "2.0.0")


def test_every_finding_needs_a_curators_clearance_before_publication(world: World) -> None:
    world.submit()
    assert world.intake({"data/pm10.csv": PHONE}) == "review"
    curator = world.actor(world.curator)
    with pytest.raises(Conflict, match=r"CARD \(1\) awaits a curator's decision.*KR_MOBILE"):
        world.run(lambda s, ver: v.publish_version(s, ver, curator))

    def decide(column: str, pattern: str, decision: str, who: Actor = curator
               ) -> Callable[[Session, DatasetVersion], FindingDecision]:
        return lambda s, ver: v.decide_finding(s, ver, who, path="data/pm10.csv",
                                               column=column, pattern_id=pattern,
                                               decision=decision, reason="checked by hand")
    with pytest.raises(Forbidden, match="Only curators decide"):
        world.run(decide("tel", "KR_MOBILE", "cleared", world.actor(world.host)))
    with pytest.raises(NotFound, match="has no finding 'EMAIL'"):
        world.run(decide("tel", "EMAIL", "cleared"))
    with pytest.raises(FieldErrors, match="choose cleared or confirmed"):
        world.run(decide("tel", "KR_MOBILE", "maybe"))
    world.run(decide("tel", "KR_MOBILE", "cleared"))
    world.run(decide("memo", "CARD", "confirmed"))
    with pytest.raises(Conflict, match="confirmed as personal data"):
        world.run(lambda s, ver: v.publish_version(s, ver, curator))
    world.run(decide("memo", "CARD", "cleared"))  # a change of mind: a new row
    with pytest.raises(Forbidden, match="Only curators publish"):
        world.run(lambda s, ver: v.publish_version(s, ver, world.actor(world.host)))
    version = world.run(lambda s, ver: v.publish_version(s, ver, curator))
    assert version.status == "published" and version.published_at is not None
    with world.hub.db.reading() as session:
        assert session.scalar(select(Dataset.published_at).where(Dataset.slug == "air"))
        decisions = session.scalars(select(FindingDecision.decision)
                                    .order_by(FindingDecision.id)).all()
    assert decisions == ["cleared", "confirmed", "cleared"]


def _scanner_file(name: str, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """A ``pii.FileReport.to_dict()``, as the scanner writes it."""
    return {"name": name, "format": "csv", "size": 10, "scanned": True, "encoding": "utf-8",
            "rows": 3, "columns": ["tel"], "hinted_columns": {"tel": ["phone"]}, "notes": [],
            "findings": findings, "blocks_publication": False}


def _scanner_finding(pattern: str, severity: str, column: str | None, count: int
                     ) -> dict[str, Any]:
    return {"pattern": pattern, "severity": severity, "column": column, "count": count,
            "rows": [1], "examples": ["010-****-5678"], "contexts": [], "checksum_pass": 0,
            "checksum_fail": 0, "with_context": 0, "weak": 0, "share": None}


def test_findings_are_read_from_the_scanners_reports() -> None:
    one = {"table_version": "x", "blocks_publication": False,
           "totals": {"by_severity": {"BLOCK": 0, "REVIEW": 2}},
           "files": [_scanner_file("t.csv", [_scanner_finding("KR_MOBILE", "REVIEW", "tel", 2),
                                             _scanner_finding("EMAIL", "REVIEW", None, 1)])]}
    found = {(f.column, f.pattern_id, f.count) for f in findings_in(
        DatasetFile(id=1, path="t.csv", pii_report=one))}
    assert found == {("tel", "KR_MOBILE", 2), ("", "EMAIL", 1)}
    archive = {"files": [
        _scanner_file("a.zip/x.csv", [_scanner_finding("KR_RRN_OR_FRN", "BLOCK", "id", 1)]),
        _scanner_file("a.zip/y.txt", [_scanner_finding("KR_RRN_OR_FRN", "BLOCK", None, 3)])]}
    found = {(f.column, f.count) for f in findings_in(
        DatasetFile(id=2, path="a.zip", pii_report=archive))}
    assert found == {("a.zip/x.csv: id", 1), ("a.zip/y.txt", 3)}


def test_findings_are_read_from_nested_reports() -> None:
    item = DatasetFile(id=1, path="p.csv", pii_report=PHONE)
    found = {(f.column, f.pattern_id, f.severity, f.count) for f in findings_in(item)}
    assert found == {("tel", "KR_MOBILE", "REVIEW", 4), ("memo", "CARD", "BLOCK", 1)}


def test_an_intake_error_stops_publication_until_the_intake_runs_again(world: World) -> None:
    world.submit()
    status = world.run(lambda s, ver: v.record_intake(
        s, ver, {"data/pm10.csv": {"error": "profiler crashed"}}).status)
    assert status == "review"
    curator = world.actor(world.curator)
    with pytest.raises(Conflict, match="the intake failed \\(profiler crashed\\)"):
        world.run(lambda s, ver: v.publish_version(s, ver, curator))
    with pytest.raises(Forbidden):
        world.run(lambda s, ver: v.restart_intake(s, ver, world.actor(world.host)))
    assert world.run(lambda s, ver: v.restart_intake(s, ver, curator)).status == "quarantine"
    assert world.intake({}) == "review"
    assert world.run(lambda s, ver: v.publish_version(s, ver, curator)).status == "published"


def test_reject_and_withdraw_need_reasons_and_leave_a_tombstone(world: World) -> None:
    curator = world.actor(world.curator)
    world.submit()
    with pytest.raises(FieldErrors, match="reason: is required"):
        world.run(lambda s, ver: v.reject_version(s, ver, curator, " "))
    with pytest.raises(Forbidden):
        world.run(lambda s, ver: v.reject_version(s, ver, world.actor(world.host), "no"))
    rejected = world.run(lambda s, ver: v.reject_version(s, ver, curator, "Wrong units."))
    assert (rejected.status, rejected.reason) == ("rejected", "Wrong units.")
    world.factories.dataset_version(world.host, world.dataset, label="1.1.0",
                                    files={"data/pm10.csv": b"station,pm10\n"})
    outsider = world.actor(world.outsider)
    with pytest.raises(Forbidden):
        world.run(lambda s, ver: v.withdraw_version(s, ver, outsider, "x"), "1.1.0")
    withdrawn = world.run(lambda s, ver: v.withdraw_version(
        s, ver, world.actor(world.host), "Names found after publication."), "1.1.0")
    assert withdrawn.status == "withdrawn" and withdrawn.decided_at is not None
    with pytest.raises(Conflict, match="is withdrawn and cannot become published"):
        world.run(lambda s, ver: v.publish_version(s, ver, curator), "1.1.0")


@pytest.mark.parametrize("status", ["quarantine", "review", "published", "withdrawn"])
def test_files_never_change_once_a_version_left_draft(world: World, status: str) -> None:
    world.submit()
    if status != "quarantine":
        world.intake({})
    if status in ("published", "withdrawn"):
        world.run(lambda s, ver: v.publish_version(s, ver, world.actor(world.curator)))
    if status == "withdrawn":
        world.run(lambda s, ver: v.withdraw_version(s, ver, world.actor(world.host), "PII"))
    sha, size = world.blob(b"new")
    host = world.actor(world.host)
    with pytest.raises(Conflict, match=f"is {status}; a version's files change only while"):
        world.run(lambda s, ver: v.attach_file(s, world.hub.storage, ver, host, path="n.csv",
                                               sha256=sha, size=size))
    with pytest.raises(Conflict, match="Create a new version instead"):
        world.run(lambda s, ver: v.remove_file(s, ver, host, "data/pm10.csv"))
    with pytest.raises(Conflict):
        world.submit()


def test_the_models_refuse_changes_that_bypass_the_services(world: World) -> None:
    world.factories.publish_version(world.host, world.dataset, "1.0.0")
    attempts: list[Callable[[Session, DatasetVersion], None]] = [
        lambda s, ver: setattr(ver.files[0], "sha256", "0" * 64),
        lambda s, ver: setattr(ver.files[0], "profile", {"rows": 0}),
        lambda s, ver: setattr(ver, "manifest", "{}"),
        lambda s, ver: setattr(ver, "message", "rewritten"),
        lambda s, ver: s.delete(ver.files[0]),
        lambda s, ver: s.delete(ver),
        lambda s, ver: s.add(DatasetFile(version_id=ver.id, path="x", sha256="0" * 64,
                                         size=1, media_type="x/y")),
    ]
    for attempt in attempts:
        def change(session: Session, version: DatasetVersion,
                   attempt: Callable[[Session, DatasetVersion], None] = attempt) -> None:
            attempt(session, version)
            session.flush()
        with pytest.raises(ImmutableVersionError):
            world.run(change)
    version = world.run(lambda s, ver: ver)
    assert version.message == "Release 1.0.0" and version.manifest != "{}"
    with world.hub.db.reading() as session:
        assert session.scalars(select(DatasetFile.profile)).all() == [None]


def test_the_models_allow_intake_results_in_quarantine(world: World) -> None:
    world.submit()
    with world.hub.db.transaction() as session:
        session.execute(update(DatasetFile).values(intake_error=""))  # Core: not guarded
        item = session.scalars(select(DatasetFile)).one()
        item.profile = {"rows": 1}
        session.flush()


def test_a_race_past_the_checks_meets_the_unique_constraint_as_a_conflict(world: World
                                                                           ) -> None:
    # Two requests may both pass "is the label free?" on PostgreSQL; the second insert
    # then meets the constraint, answered as a Conflict (and its transaction rolled back).
    with pytest.raises(Conflict, match=r"has a version 1\.0\.0 already"), \
            world.hub.db.transaction() as session:
        dataset = get_dataset(session, "air")
        session.add(DatasetVersion(dataset_id=dataset.id, label="1.0.0", message="twin",
                                   created_by_id=world.host.user.id))
        flush_unique(session, f"{dataset.slug!r} has a version 1.0.0 already.")
    with world.hub.db.reading() as session:
        assert session.scalars(select(DatasetVersion.message)).all() == ["Release 1.0.0"]
