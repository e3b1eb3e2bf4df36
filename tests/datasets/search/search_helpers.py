"""Helpers of the search tests: datasets with chosen texts, files and columns, published
through the real services, and a search that answers slugs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aihub.accounts import services as accounts
from aihub.accounts.actor import Actor
from aihub.datasets import services, versions
from aihub.datasets.models import Dataset
from aihub.datasets.search import Filter, SearchQuery, SearchResult, search_datasets
from aihub.db import utcnow
from aihub.hub import Hub
from factories import Factories

T0 = utcnow() - timedelta(days=30)


@dataclass
class File:
    path: str = "data.csv"
    media_type: str = "text/csv"
    columns: Sequence[str] = ()


@dataclass
class Catalog:
    """A hub's catalog under test: a host of each of two organizations and a curator."""

    hub: Hub
    factories: Factories
    host: Actor
    other_host: Actor
    curator: Actor
    visitor: Actor = field(default_factory=Actor)

    @classmethod
    def make(cls, hub: Hub, factories: Factories) -> Catalog:
        host = factories.host("daejeon-city")
        other = factories.host("gwangju-city")
        return cls(hub, factories, factories.actor(host), factories.actor(other),
                   factories.actor(factories.curator()))

    def organization(self, slug: str, name_ko: str, name_en: str = "") -> Actor:
        """A new organization with a host; returns the host."""
        person = self.factories.person()
        with self.hub.db.transaction() as session:
            org = accounts.create_organization(session, slug=slug, name_ko=name_ko,
                                               name_en=name_en, can_host=True)
            accounts.add_member(session, org, person.user)
        return self.factories.actor(person)

    def dataset(
        self, slug: str, title_ko: str, *, title_en: str = "", description_ko: str = "",
        description_en: str = "", tags: Sequence[str] = (), host: Actor | None = None,
        organization: str = "daejeon-city", tier: str = "open", licence: str = "KOGL-1",
        files: Sequence[File] = (File(),), publish: bool = True, minute: int = 0,
    ) -> Dataset:
        """A dataset whose last change is ``minute`` minutes after T0, published unless
        ``publish=False`` (then it has a draft version only)."""
        at = T0 + timedelta(minutes=minute)
        with self.hub.db.transaction() as session:
            dataset = services.create_dataset(
                session, host or self.host, organization=organization, slug=slug,
                title_ko=title_ko, title_en=title_en, description_ko=description_ko,
                description_en=description_en, tags=tags, licence_id=licence,
                access_tier=tier, now=at)
        self.version(slug, "1.0.0", files, publish=publish, host=host, at=at)
        return dataset

    def version(self, slug: str, label: str, files: Sequence[File], *, publish: bool = True,
                host: Actor | None = None, at: datetime | None = None) -> None:
        actor = host or self.host
        with self.hub.db.transaction() as session:
            dataset = services.get_dataset(session, slug)
            version = versions.create_version(session, dataset, actor, label=label,
                                              message=f"Release {label}")
            for item in files:
                blob = self.hub.storage.put_stream([f"{slug}:{label}:{item.path}".encode()])
                versions.attach_file(session, self.hub.storage, version, actor, path=item.path,
                                     sha256=blob.sha256, size=blob.size,
                                     media_type=item.media_type)
            if not publish:
                return
            versions.submit_version(session, version, actor)
            profiles = {item.path: {"columns": [{"name": c, "type": "text"}
                                                for c in item.columns]} for item in files}
            versions.record_intake(session, version, {
                path: {"profile": profile, "pii_report": {"findings": []}}
                for path, profile in profiles.items()})
            versions.publish_version(session, version, self.curator, now=at)

    def search(self, text: str = "", *, actor: Actor | None = None,
               filters: Sequence[Filter] = (), **options: object) -> SearchResult:
        query = SearchQuery(text=text, filters=tuple(filters), **options)  # type: ignore[arg-type]
        with self.hub.db.reading() as session:
            return search_datasets(session, actor or self.visitor, query)

    def slugs(self, text: str = "", **options: object) -> list[str]:
        """The slugs of the first page, in order."""
        result = self.search(text, **options)  # type: ignore[arg-type]
        with self.hub.db.reading() as session:
            by_id = dict(session.query(Dataset.id, Dataset.slug).all())
        return [by_id[i] for i in result.dataset_ids]


def facets(result: SearchResult) -> dict[str, dict[str, int]]:
    return {name: {f.value: f.count for f in counts} for name, counts in result.facets.items()}
