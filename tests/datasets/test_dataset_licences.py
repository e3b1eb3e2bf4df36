"""Licences: KOGL types 1-4 with their conditions, SPDX URLs, custom terms."""

from __future__ import annotations

import pytest

from aihub.datasets.licences import (
    KOGL_URL,
    LICENCES,
    check_licence,
    get_licence,
    license_list,
)
from aihub.errors import FieldErrors


@pytest.mark.parametrize(("licence_id", "commercial", "derivatives"), [
    ("KOGL-1", True, True), ("KOGL-2", False, True), ("KOGL-3", True, False),
    ("KOGL-4", False, False),
])
def test_kogl_types_carry_their_conditions(licence_id: str, commercial: bool,
                                           derivatives: bool) -> None:
    licence = get_licence(licence_id)
    assert (licence.commercial_use, licence.derivatives) == (commercial, derivatives)
    assert licence.url == KOGL_URL and "공공누리" in licence.title_ko
    assert not licence.spdx


def test_spdx_licences_link_their_spdx_page() -> None:
    for licence_id in ("CC-BY-4.0", "CC-BY-SA-4.0", "CC-BY-NC-4.0", "CC0-1.0", "ODbL-1.0"):
        licence = get_licence(licence_id)
        assert licence.spdx and licence.url == f"https://spdx.org/licenses/{licence_id}.html"
    assert not get_licence("CC-BY-NC-4.0").commercial_use


def test_custom_needs_text_and_named_licences_refuse_one() -> None:
    with pytest.raises(FieldErrors, match="licence_text: a custom licence needs its terms"):
        check_licence("custom", "  ")
    assert check_licence("custom", "Research only.").needs_text
    with pytest.raises(FieldErrors, match="only the custom licence takes a text"):
        check_licence("KOGL-1", "my own terms")


def test_unknown_licences_name_the_choices() -> None:
    with pytest.raises(FieldErrors, match=r"unknown licence 'GPL'.*KOGL-1"):
        get_licence("GPL")


def test_license_list_has_ckans_fields_and_every_licence() -> None:
    listed = license_list()
    assert [item["id"] for item in listed] == list(LICENCES)
    for item in listed:
        assert {"id", "title", "url", "od_conformance", "status"} <= item.keys()
    kogl1 = next(item for item in listed if item["id"] == "KOGL-1")
    assert kogl1["is_okd_compliant"] and kogl1["commercial_use"]
