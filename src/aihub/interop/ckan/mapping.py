"""aihub's datasets, versions, files and organizations as CKAN's package, resource and
organization dicts (pure functions: the callers load the rows).

A package is a dataset; its ``name`` and ``id`` are the slug (never changed, so stable).
Its resources are the files of its latest published version; a resource's ``id`` is
derived from the file's row and stays the same from the draft to the published version.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from aihub.accounts.models import Organization
from aihub.datasets.licences import get_licence
from aihub.datasets.models import Dataset, DatasetFile, DatasetVersion
from aihub.datasets.search_index import format_name as search_format_name

_RESOURCE_ID = re.compile(r"^0{8}-a1b0-4000-8000-([0-9a-f]{12})$")


def timestamp(value: datetime | None) -> str | None:
    """CKAN's timestamps: ISO 8601 in UTC without an offset."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat() if value else None


def format_name(media_type: str) -> str:
    """The search's short format name in capitals (``CSV``, ``PARQUET``, ``IMAGE``…): the
    values of the ``res_format`` facet, which ``fq`` takes in any case."""
    return search_format_name(media_type).upper()


def resource_id(file_id: int) -> str:
    """A UUID-shaped id (CKAN's are UUIDs) holding the file's row id, so it reads back."""
    return f"00000000-a1b0-4000-8000-{file_id:012x}"


def parse_resource_id(value: str) -> int | None:
    match = _RESOURCE_ID.match(value.strip().lower())
    return int(match.group(1), 16) if match else None


def download_url(base: str, dataset: Dataset, version: DatasetVersion, item: DatasetFile
                 ) -> str:
    return (f"{base}/api/v1/datasets/{dataset.slug}/versions/{quote(version.label)}/files/"
            f"{quote(item.path)}")


def resource_dict(base: str, dataset: Dataset, version: DatasetVersion, item: DatasetFile,
                  position: int) -> dict[str, Any]:
    return {
        "id": resource_id(item.id), "package_id": dataset.slug, "name": item.path,
        "description": "", "url": download_url(base, dataset, version, item),
        "url_type": "upload", "format": format_name(item.media_type),
        "mimetype": item.media_type, "mimetype_inner": None, "size": item.size,
        "hash": item.sha256, "hash_algorithm": "sha256", "position": position,
        "state": "active", "resource_type": None, "datastore_active": False,
        "created": timestamp(item.created_at), "last_modified": timestamp(item.created_at),
        "cache_url": None, "cache_last_updated": None,
        # aihub's own: which version holds the file.
        "version": version.label, "rev": version.rev, "version_status": version.status,
    }


def organization_dict(org: Organization, package_count: int | None = None
                      ) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": org.slug, "name": org.slug, "title": org.name_ko or org.name_en,
        "display_name": org.name_ko or org.name_en,
        "title_translated": {"ko": org.name_ko, "en": org.name_en},
        "description": "", "image_url": "", "image_display_url": "",
        "created": timestamp(org.created_at), "is_organization": True,
        "type": "organization", "state": "active", "approval_status": "approved",
        "num_followers": 0,
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def tag_dict(name: str) -> dict[str, Any]:
    return {"id": name, "name": name, "display_name": name, "state": "active",
            "vocabulary_id": None}


def _extras(dataset: Dataset, latest: DatasetVersion | None) -> list[dict[str, str]]:
    licence = get_licence(dataset.licence_id)
    values = {
        "access_tier": dataset.access_tier,
        "commercial_use": str(licence.commercial_use).lower(),
        "derivatives": str(licence.derivatives).lower(),
        "description_en": dataset.description_en, "licence_text": dataset.licence_text,
        "rev": latest.rev if latest and latest.rev else "",
        "source": dataset.source, "title_en": dataset.title_en,
    }
    return [{"key": key, "value": value} for key, value in values.items() if value]


def package_dict(base: str, dataset: Dataset, latest: DatasetVersion | None,
                 files: list[DatasetFile], *, package_count: int | None = None
                 ) -> dict[str, Any]:
    """The package of ``dataset``; ``files`` are those of ``latest`` (its latest published
    version, or None when it has none)."""
    licence = get_licence(dataset.licence_id)
    tags = sorted(tag.name for tag in dataset.tags)
    resources = [resource_dict(base, dataset, latest, item, position)
                 for position, item in enumerate(files)] if latest else []
    return {
        "id": dataset.slug, "name": dataset.slug, "type": "dataset", "state": "active",
        "private": dataset.published_at is None,
        "title": dataset.title_ko,
        "title_translated": {"ko": dataset.title_ko, "en": dataset.title_en},
        "notes": dataset.description_ko or dataset.description_en,
        "notes_translated": {"ko": dataset.description_ko, "en": dataset.description_en},
        "url": f"{base}/datasets/{dataset.slug}",
        "version": latest.label if latest else None,
        "license_id": licence.id, "license_title": licence.title_en,
        "license_url": licence.url, "isopen": licence.open_data,
        "author": None, "author_email": None, "maintainer": None, "maintainer_email": None,
        "creator_user_id": None,
        "owner_org": dataset.organization.slug,
        "organization": organization_dict(dataset.organization, package_count),
        "metadata_created": timestamp(dataset.created_at),
        "metadata_modified": timestamp(dataset.updated_at),
        "tags": [tag_dict(name) for name in tags], "num_tags": len(tags),
        "resources": resources, "num_resources": len(resources),
        "groups": [], "relationships_as_object": [], "relationships_as_subject": [],
        "extras": _extras(dataset, latest),
    }
