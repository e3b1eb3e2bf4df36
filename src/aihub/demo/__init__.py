"""Deterministic demo challenges drawn from the problems of Daejeon's AI strategy.

Each challenge module writes a complete bundle in the layout of docs/challenge-format.md,
from synthetic data with fixed seeds: every file is identical from run to run except the phase
dates in ``challenge.yaml``, which are relative to ``now``. Nothing here touches a database.

    from datetime import UTC, datetime
    from aihub.demo import write_demo_bundles

    folders = write_demo_bundles(Path("demo-bundles"), now=datetime.now(UTC))
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Protocol

from aihub.demo import (
    daejeon_traffic_speed,
    elderly_care_power,
    smart_factory_code,
    smart_factory_defects,
)
from aihub.demo.content import DEMO_ORGANIZATIONS, DemoOrganization

__all__ = [
    "DEMO_CHALLENGES",
    "DEMO_CODE_CHALLENGES",
    "DEMO_ORGANIZATIONS",
    "DemoOrganization",
    "write_code_bundles",
    "write_demo_bundles",
]


class _BundleWriter(Protocol):
    def __call__(self, dest: Path, *, now: datetime) -> Path: ...


_WRITERS: dict[str, _BundleWriter] = {
    elderly_care_power.SLUG: elderly_care_power.write_bundle,
    daejeon_traffic_speed.SLUG: daejeon_traffic_speed.write_bundle,
    smart_factory_defects.SLUG: smart_factory_defects.write_bundle,
}

DEMO_CHALLENGES: tuple[str, ...] = tuple(_WRITERS)
"""The demo challenges' slugs, in the order the hub lists them."""


_CODE_WRITERS: dict[str, _BundleWriter] = {
    smart_factory_code.SLUG: smart_factory_code.write_bundle_folder,
}

DEMO_CODE_CHALLENGES: tuple[str, ...] = tuple(_CODE_WRITERS)
"""The demo code challenges: participants send code, run in the sandbox. The demo teams
take part in the others only (their activity is prediction files)."""


def write_code_bundles(dest: Path, *, now: datetime) -> list[Path]:
    """Write every demo code challenge's bundle into ``dest/<slug>/``, in order."""
    return [_CODE_WRITERS[slug](dest, now=now) for slug in DEMO_CODE_CHALLENGES]


def write_demo_bundles(dest: Path, *, now: datetime) -> list[Path]:
    """Write every demo bundle into ``dest/<slug>/`` and return the folders, in order.

    ``now`` must be timezone-aware; each main phase started 14 days before it and ends 90
    days after it (Korean time).
    """
    return [_WRITERS[slug](dest, now=now) for slug in DEMO_CHALLENGES]
