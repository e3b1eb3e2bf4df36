"""Factories that build real rows through the services, and small challenge bundles."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from aihub.accounts import services as accounts
from aihub.accounts.actor import Actor
from aihub.accounts.models import OrgRole, User
from aihub.challenges.bundle import open_bundle
from aihub.challenges.models import Challenge
from aihub.challenges.services import accept_rules, approve, create_from_bundle
from aihub.datasets import services as dataset_services
from aihub.datasets import versions as dataset_versions
from aihub.datasets.models import Dataset, DatasetVersion
from aihub.datasets.pii import scan_path
from aihub.datasets.profile import profile_path
from aihub.db import utcnow
from aihub.hub import Hub

_counter = itertools.count(1)


@dataclass
class Person:
    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def write_binary_bundle(
    dest: Path,
    *,
    slug: str,
    organization: str,
    rows: int = 200,
    seed: int = 7,
    metric: str = "roc_auc",
    visibility: str = "public",
    max_team_size: int = 3,
    start: datetime | None = None,
    end: datetime | None = None,
    daily_limit: int = 5,
    total_limit: int | None = None,
    final_selections: int = 2,
    labels: tuple[Any, Any] = (0, 1),
    extra: dict[str, Any] | None = None,
) -> Path:
    """A small binary challenge: ids 1..rows, a 30/70 public/private split, a baseline."""
    folder = dest / slug
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    ids = np.arange(1, rows + 1)
    y = rng.integers(0, 2, size=rows)
    y[:2] = [0, 1]
    y[-2:] = [0, 1]
    usage = np.where(np.arange(rows) % 10 < 3, "Public", "Private")
    x = y + rng.normal(0, 0.8, size=rows)
    label_values = [labels[v] for v in y]
    (folder / "train.csv").write_text(
        "id,x,target\n" + "".join(f"{i + 1000},{v:.4f},{t}\n" for i, v, t in
                                   zip(ids, x, label_values, strict=True))
    )
    (folder / "test.csv").write_text(
        "id,x\n" + "".join(f"{i},{v:.4f}\n" for i, v in zip(ids, x, strict=True))
    )
    (folder / "solution.csv").write_text(
        "id,target,Usage\n"
        + "".join(f"{i},{t},{u}\n" for i, t, u in zip(ids, label_values, usage, strict=True))
    )
    if metric in ("roc_auc", "log_loss", "average_precision"):
        sample = "".join(f"{i},0.5\n" for i in ids)
        baseline = "".join(f"{i},{1 / (1 + np.exp(-v)):.6f}\n" for i, v in zip(ids, x, strict=True))
    else:
        sample = "".join(f"{i},{labels[0]}\n" for i in ids)
        baseline = "".join(f"{i},{labels[int(v > 0.5)]}\n" for i, v in zip(ids, x, strict=True))
    (folder / "sample_submission.csv").write_text("id,target\n" + sample)
    (folder / "baseline.csv").write_text("id,target\n" + baseline)
    now = utcnow()
    spec: dict[str, Any] = {
        "slug": slug,
        "organization": organization,
        "title": {"ko": f"테스트 과제 {slug}", "en": f"Test challenge {slug}"},
        "description": {"ko": "설명입니다.", "en": "A description."},
        "rules": {"ko": "1. 규칙을 지킵니다.", "en": "1. Follow the rules."},
        "visibility": visibility,
        "max_team_size": max_team_size,
        "evaluation": {
            "metric": metric,
            "id_column": "id",
            "target": "target",
            "solution": "solution.csv",
        },
        "files": [
            {"path": "train.csv", "description": {"ko": "학습", "en": "Train"}},
            {"path": "test.csv"},
            {"path": "sample_submission.csv"},
        ],
        "sample_submission": "sample_submission.csv",
        "phases": [
            {
                "name": "main",
                "title": {"ko": "본선", "en": "Main"},
                "start": (start or now - timedelta(days=1)).isoformat(),
                "end": (end or now + timedelta(days=30)).isoformat(),
                "daily_limit": daily_limit,
                "final_selections": final_selections,
                **({"total_limit": total_limit} if total_limit else {}),
            }
        ],
        "baselines": [{"name": {"ko": "기준선", "en": "Baseline"}, "file": "baseline.csv"}],
    }
    if metric in ("f1", "precision", "recall") and labels != (0, 1):
        spec["evaluation"]["metric_params"] = {"positive_label": labels[1]}
    if extra:
        spec.update(extra)
    (folder / "challenge.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True))
    return folder


class Factories:
    def __init__(self, hub: Hub, bundles: Path) -> None:
        self.hub = hub
        self.bundles = bundles
        self._curator: Person | None = None
        bundles.mkdir(parents=True, exist_ok=True)

    def person(self, username: str | None = None, *, curator: bool = False) -> Person:
        username = username or f"user{next(_counter)}"
        with self.hub.db.transaction() as session:
            user = accounts.create_user(
                session, username=username, email=f"{username}@example.org",
                password="correct horse battery", is_curator=curator,
            )
            _, token = accounts.create_token(session, user)
        return Person(user, token)

    def host(self, org_slug: str = "daejeon-city", username: str | None = None) -> Person:
        person = self.person(username or f"host{next(_counter)}")
        with self.hub.db.transaction() as session:
            try:
                org = accounts.get_organization(session, org_slug)
            except Exception:
                org = accounts.create_organization(
                    session, slug=org_slug, name_ko="대전광역시", name_en="Daejeon", can_host=True
                )
            accounts.add_member(session, org, person.user, role=OrgRole.OWNER)
        return person

    def actor(self, person: Person | None) -> Actor:
        with self.hub.db.reading() as session:
            return accounts.actor_for(session, person.user if person else None)

    def bundle(self, slug: str | None = None, **kwargs: Any) -> Path:
        slug = slug or f"challenge-{next(_counter)}"
        kwargs.setdefault("organization", "daejeon-city")
        return write_binary_bundle(self.bundles, slug=slug, **kwargs)

    def curator(self) -> Person:
        if self._curator is None:
            self._curator = self.person(curator=True)
        return self._curator

    def challenge(
        self, host: Person, slug: str | None = None, *, approved: bool = True, **kwargs: Any
    ) -> Challenge:
        """A challenge hosted by ``host``; approved by a curator unless ``approved=False``."""
        folder = self.bundle(slug, **kwargs)
        curator = self.actor(self.curator()) if approved else None
        with open_bundle(folder, max_bytes=10**9) as bundle, self.hub.db.transaction() as s:
            challenge = create_from_bundle(
                s, self.hub.storage, self.hub.truths, self.actor(host), bundle,
                max_file_bytes=10**9,
            )
            if curator is not None:
                approve(s, challenge, curator, utcnow())
            return challenge

    def join(self, challenge: Challenge, person: Person) -> None:
        with self.hub.db.transaction() as session:
            accept_rules(session, challenge, self.actor(person))

    def dataset(
        self, host: Person, slug: str | None = None, *, organization: str = "daejeon-city",
        tier: str = "open", licence: str = "KOGL-1", licence_text: str = "",
        files: dict[str, bytes] | None = None, publish: bool = True, label: str = "1.0.0",
        tags: tuple[str, ...] = ("air", "대기질"),
    ) -> Dataset:
        """A dataset of ``organization`` hosted by ``host``, with one version holding
        ``files`` (a small CSV by default), published by a curator after a clean intake
        unless ``publish=False`` (then the version stays a draft)."""
        slug = slug or f"dataset-{next(_counter)}"
        with self.hub.db.transaction() as session:
            dataset = dataset_services.create_dataset(
                session, self.actor(host), organization=organization, slug=slug,
                title_ko=f"대기질 {slug}", title_en=f"Air quality {slug}", licence_id=licence,
                licence_text=licence_text, access_tier=tier, tags=tags,
                description_ko="측정소별 미세먼지.", description_en="PM10 by station.",
            )
        self.dataset_version(host, dataset, label=label, files=files, publish=publish)
        return dataset

    def dataset_version(
        self, host: Person, dataset: Dataset, *, label: str,
        files: dict[str, bytes] | None = None, publish: bool = True,
        reports: dict[str, dict[str, Any]] | None = None,
    ) -> DatasetVersion:
        """A version of ``dataset`` with ``files``; published after an intake that found
        nothing (or ``reports``: path -> PII report) unless ``publish=False``."""
        files = files if files is not None else {
            "data/pm10.csv": f"station,pm10\n중구,{len(label)}\n".encode()}
        actor = self.actor(host)
        with self.hub.db.transaction() as session:
            dataset = dataset_services.get_dataset(session, dataset.slug)
            version = dataset_versions.create_version(
                session, dataset, actor, label=label, message=f"Release {label}")
            for path, content in files.items():
                blob = self.hub.storage.put_stream([content])
                dataset_versions.attach_file(session, self.hub.storage, version, actor,
                                             path=path, sha256=blob.sha256, size=blob.size)
        if publish:
            self.publish_version(host, dataset, label, reports=reports)
        return version

    def run_intake(self, slug: str, label: str) -> None:
        """What the intake jobs record for the submitted version ``label``: the real
        profile and PII report of each of its files."""
        with self.hub.db.transaction() as session:
            dataset = dataset_services.get_dataset(session, slug)
            version = session.scalars(select(DatasetVersion).where(
                DatasetVersion.dataset_id == dataset.id, DatasetVersion.label == label)).one()
            version.dataset = dataset
            dataset_versions.record_intake(session, version, intake_results(self.hub, session,
                                                                            version))

    def publish_version(
        self, host: Person, dataset: Dataset, label: str,
        reports: dict[str, dict[str, Any]] | None = None,
    ) -> DatasetVersion:
        """Submit the draft ``label``, record a clean intake and publish it as a curator."""
        curator = self.actor(self.curator())
        with self.hub.db.transaction() as session:
            dataset = dataset_services.get_dataset(session, dataset.slug)
            version = dataset_versions.get_version(session, dataset, label, curator)
            dataset_versions.submit_version(session, version, self.actor(host))
            results = {item.path: {"profile": None,
                                   "pii_report": (reports or {}).get(item.path,
                                                                     {"findings": []})}
                       for item in dataset_versions.version_files(session, version)}
            dataset_versions.record_intake(session, version, results)
            return dataset_versions.publish_version(session, version, curator)


def intake_results(hub: Hub, session: Session, version: DatasetVersion) -> dict[str, Any]:
    """Each file of ``version`` profiled and scanned for personal data, as the intake does."""
    results: dict[str, Any] = {}
    for item in dataset_versions.version_files(session, version):
        stored = hub.storage.path(item.sha256)
        results[item.path] = {
            "profile": profile_path(stored, filename=item.path).to_dict(),
            "pii_report": scan_path(stored, filename=item.path).to_dict(), "error": ""}
    return results
