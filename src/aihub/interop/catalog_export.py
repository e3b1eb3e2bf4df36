"""What the catalog's open-format exports (Croissant, DCAT) share: which datasets and
versions they describe, and the stable addresses they give them.

Exports describe published versions only. Their metadata is public like the dataset's
page; the files they point to keep their access tier. Addresses are chosen once and kept:
harvesters key on them. A dataset is ``{base}/datasets/{slug}`` (its page), a file of a
version ``{base}/datasets/{slug}/versions/{rev}/files/{path}`` and its download
``{base}/api/v1/datasets/{slug}/versions/{rev}/files/{path}``: a rev never changes its
files, so both addresses always mean the same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from aihub.accounts.actor import Actor
from aihub.datasets import services, versions
from aihub.datasets.access import VersionWithdrawn
from aihub.datasets.licences import CUSTOM, Licence
from aihub.datasets.models import Dataset, DatasetVersion
from aihub.datasets.status import VersionStatus
from aihub.errors import NotFound

API = "/api/v1"
# Text in Hangul is Korean: the exports tag it so where no language was recorded.
HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
# One page per KOGL type: licences.KOGL_URL is the overview of all four, which would make
# KOGL-1 and KOGL-4 data look alike to a harvester.
_KOGL_TYPE_URL = "https://www.kogl.or.kr/info/licenseType{}.do"


@dataclass(frozen=True)
class Links:
    """The addresses of one hub, from its public base URL (no trailing slash)."""

    base: str

    def catalog(self) -> str:
        return f"{self.base}/datasets"

    def dataset(self, slug: str) -> str:
        """The dataset's page: its URI in DCAT and its ``url`` in Croissant."""
        return f"{self.base}/datasets/{slug}"

    def organization(self, slug: str) -> str:
        return f"{self.base}/organizations/{slug}"

    def distribution(self, slug: str, rev: str, path: str) -> str:
        return f"{self.base}/datasets/{slug}/versions/{rev}/files/{quote(path, safe='/')}"

    def download(self, slug: str, rev: str, path: str) -> str:
        return f"{self.base}{API}/datasets/{slug}/versions/{rev}/files/{quote(path, safe='/')}"

    def manifest(self, slug: str, rev: str) -> str:
        """The version's manifest as a distribution (DCAT, for versions of many files)."""
        return f"{self.base}/datasets/{slug}/versions/{rev}/manifest"

    def manifest_download(self, slug: str, rev: str) -> str:
        return f"{self.base}{API}/datasets/{slug}/versions/{rev}/manifest"

    def croissant(self, slug: str, rev: str | None = None) -> str:
        if rev is None:
            return f"{self.base}{API}/datasets/{slug}/croissant.json"
        return f"{self.base}{API}/datasets/{slug}/versions/{rev}/croissant.json"

    def api(self, path: str) -> str:
        return f"{self.base}{API}{path}"


def licence_uri(licence: Licence) -> str | None:
    """The licence's web address (SPDX page, KOGL type page); None for custom terms."""
    if licence.id == CUSTOM:
        return None
    if licence.id.startswith("KOGL-"):
        return _KOGL_TYPE_URL.format(licence.id.removeprefix("KOGL-"))
    return licence.url or None


def _not_described(dataset: Dataset, version: DatasetVersion) -> Exception:
    what = f"Version {version.label} of {dataset.slug!r}"
    if version.status == VersionStatus.WITHDRAWN.value:
        return VersionWithdrawn(f"{what} was withdrawn: {version.reason} It is no longer "
                                "described or served; use another version.")
    return NotFound(f"{what} is {version.status}; only published versions are described "
                    "(Croissant, DCAT).")


def published_version(session: Session, slug: str, ref: str | None, actor: Actor
                      ) -> tuple[Dataset, DatasetVersion]:
    """The dataset and its published version ``ref`` (label or rev; the latest when None),
    if the actor may see the dataset; 'not found' (or 'gone') otherwise."""
    dataset = services.get_visible_dataset(session, slug, actor)
    if ref is None:
        version = versions.latest_published(session, dataset)
        if version is None:
            raise NotFound(f"{slug!r} has no published version yet; only published versions "
                           "are described (Croissant, DCAT).")
        version.dataset = dataset
        return dataset, version
    version = versions.get_version(session, dataset, ref, actor)
    if version.status != VersionStatus.PUBLISHED.value:
        raise _not_described(dataset, version)
    return dataset, version


def latest_published_versions(session: Session, dataset_ids: list[int]
                              ) -> dict[int, DatasetVersion]:
    """Each dataset's latest published version, in one statement (its manifest text is
    loaded when read: it can be megabytes, and few callers need it)."""
    if not dataset_ids:
        return {}
    rows = session.scalars(
        select(DatasetVersion).where(DatasetVersion.dataset_id.in_(dataset_ids),
                                     DatasetVersion.status == VersionStatus.PUBLISHED.value)
        .options(defer(DatasetVersion.manifest))
        .order_by(DatasetVersion.published_at, DatasetVersion.id))
    return {row.dataset_id: row for row in rows}  # the last written is the latest
