"""The public surface of aihub.demo and its host organizations."""

from __future__ import annotations

import dataclasses
import re

import pytest

import aihub.demo
from aihub.demo import (
    DEMO_CHALLENGES,
    DEMO_ORGANIZATIONS,
    DemoOrganization,
    daejeon_traffic_speed,
    elderly_care_power,
    smart_factory_defects,
)

HANGUL = re.compile(r"[가-힣]")


def test_public_surface_is_pinned() -> None:
    assert sorted(aihub.demo.__all__) == [
        "DEMO_CHALLENGES",
        "DEMO_CODE_CHALLENGES",
        "DEMO_ORGANIZATIONS",
        "DemoOrganization",
        "write_code_bundles",
        "write_demo_bundles",
    ]


def test_organizations_are_frozen_and_bilingual() -> None:
    slugs = [org.slug for org in DEMO_ORGANIZATIONS]
    assert len(set(slugs)) == len(slugs)
    assert {"daejeon-city", "daejeon-its"} <= set(slugs)
    for org in DEMO_ORGANIZATIONS:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]{1,62}[a-z0-9]", org.slug)
        assert HANGUL.search(org.name_ko)
        assert HANGUL.search(org.summary_ko)
        assert org.name_en.isascii()
        assert org.summary_en.isascii()
        with pytest.raises(dataclasses.FrozenInstanceError):
            org.slug = "other"  # type: ignore[misc]
    assert isinstance(DEMO_ORGANIZATIONS[0], DemoOrganization)


def test_every_challenge_is_hosted_by_a_demo_organization() -> None:
    modules = (elderly_care_power, daejeon_traffic_speed, smart_factory_defects)
    assert tuple(module.SLUG for module in modules) == DEMO_CHALLENGES
    hosts = {org.slug for org in DEMO_ORGANIZATIONS}
    assert {module.SPEC.organization for module in modules} == hosts
