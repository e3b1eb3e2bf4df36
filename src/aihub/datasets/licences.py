"""The licences a dataset may carry: Korea's public licences (KOGL, 공공누리) types 1-4,
the usual Creative Commons and open-data licences, and custom terms.

Ids are SPDX identifiers where SPDX has one (Croissant and DCAT take the URL); KOGL has no
SPDX id, so its ids follow the reference (KOGL-1 … KOGL-4). ``license_list`` gives CKAN's
shape for the CKAN API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aihub.errors import FieldErrors

KOGL_URL = "https://www.kogl.or.kr/info/license.do"
CUSTOM = "custom"


@dataclass(frozen=True)
class Licence:
    id: str
    title_ko: str
    title_en: str
    url: str
    commercial_use: bool  # may the data be used for commercial work?
    derivatives: bool  # may changed or derived works (trained products) be made?
    spdx: bool = False  # is ``id`` an SPDX identifier (and ``url`` its SPDX page)?
    open_data: bool = True  # Open Definition conformant (CKAN's ``od_conformance``)

    @property
    def needs_text(self) -> bool:
        return self.id == CUSTOM


def _kogl(kind: int, ko: str, en: str, commercial: bool, derivatives: bool) -> Licence:
    return Licence(
        id=f"KOGL-{kind}",
        title_ko=f"공공누리 제{kind}유형: {ko}",
        title_en=f"Korea Open Government Licence type {kind}: {en}",
        url=KOGL_URL,
        commercial_use=commercial,
        derivatives=derivatives,
        open_data=commercial and derivatives,
    )


def _spdx(spdx_id: str, ko: str, en: str, *, commercial: bool = True,
          derivatives: bool = True) -> Licence:
    return Licence(
        id=spdx_id, title_ko=ko, title_en=en, url=f"https://spdx.org/licenses/{spdx_id}.html",
        commercial_use=commercial, derivatives=derivatives, spdx=True,
        open_data=commercial and derivatives,
    )


_ALL = (
    _kogl(1, "출처표시", "attribution", commercial=True, derivatives=True),
    _kogl(2, "출처표시 + 상업적 이용금지", "attribution, no commercial use",
          commercial=False, derivatives=True),
    _kogl(3, "출처표시 + 변경금지", "attribution, no derivatives",
          commercial=True, derivatives=False),
    _kogl(4, "출처표시 + 상업적 이용금지 + 변경금지",
          "attribution, no commercial use, no derivatives", commercial=False, derivatives=False),
    _spdx("CC-BY-4.0", "크리에이티브 커먼즈 저작자표시 4.0",
          "Creative Commons Attribution 4.0 International"),
    _spdx("CC-BY-SA-4.0", "크리에이티브 커먼즈 저작자표시-동일조건변경허락 4.0",
          "Creative Commons Attribution Share Alike 4.0 International"),
    _spdx("CC-BY-NC-4.0", "크리에이티브 커먼즈 저작자표시-비영리 4.0",
          "Creative Commons Attribution Non Commercial 4.0 International", commercial=False),
    _spdx("CC0-1.0", "크리에이티브 커먼즈 제로 1.0 (퍼블릭 도메인)",
          "Creative Commons Zero v1.0 Universal"),
    _spdx("ODbL-1.0", "오픈 데이터베이스 라이선스 1.0",
          "Open Data Commons Open Database License v1.0"),
    # Its terms are the dataset's licence_text; nothing can be promised about them.
    Licence(id=CUSTOM, title_ko="별도 이용조건", title_en="Custom terms", url="",
            commercial_use=False, derivatives=False, open_data=False),
)

LICENCES: dict[str, Licence] = {licence.id: licence for licence in _ALL}


def get_licence(licence_id: str) -> Licence:
    """The licence called ``licence_id``; ``FieldErrors`` naming the choices otherwise."""
    licence = LICENCES.get(licence_id)
    if licence is None:
        raise FieldErrors({"licence": f"unknown licence {licence_id[:40]!r}; choose one of "
                                      f"{', '.join(LICENCES)}."})
    return licence


def check_licence(licence_id: str, licence_text: str) -> Licence:
    """The licence, checked with its text: custom terms need one, others must not carry
    one (it would contradict the named licence)."""
    licence = get_licence(licence_id)
    if licence.needs_text and not licence_text.strip():
        raise FieldErrors({"licence_text": "a custom licence needs its terms: write them in "
                                           "licence_text, or choose a named licence."})
    if not licence.needs_text and licence_text.strip():
        raise FieldErrors({"licence_text": f"only the custom licence takes a text; "
                                           f"{licence.id} has its own terms. Leave it empty."})
    return licence


def license_list() -> list[dict[str, Any]]:
    """CKAN's ``license_list`` result (its field names), with aihub's flags beside them."""
    return [
        {
            "id": licence.id,
            "title": licence.title_en,
            "title_ko": licence.title_ko,
            "url": licence.url,
            "od_conformance": "approved" if licence.open_data else "not reviewed",
            "osd_conformance": "not reviewed",
            "status": "active",
            "is_okd_compliant": licence.open_data,
            "is_osi_compliant": False,
            "commercial_use": licence.commercial_use,
            "derivatives": licence.derivatives,
        }
        for licence in _ALL
    ]
