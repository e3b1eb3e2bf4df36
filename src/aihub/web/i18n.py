"""Message catalogs and locale choice.

Catalogs are the ``.po`` files under ``i18n/<locale>/``, one file per area of the UI so that
people translating different pages never edit the same file; they are read (not compiled to
``.mo``) when the app starts, so there is no build step and nothing binary in the tree.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("ko", "en")
DEFAULT_LOCALE = "ko"
CATALOG_DIR = Path(__file__).parent / "i18n"
LANG_COOKIE = "aihub_lang"


def catalog(locale: str) -> Catalog:
    """All entries of ``locale``'s catalogs, merged (later files win on a repeated msgid)."""
    merged = Catalog(locale=locale, domain="messages")
    for path in sorted((CATALOG_DIR / locale).glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle, locale=locale):
                if message.id:
                    merged[message.id] = message
    return merged


@cache
def translations(locale: str) -> Translations:
    buffer = io.BytesIO()
    write_mo(buffer, catalog(locale))
    buffer.seek(0)
    return Translations(buffer)


def negotiate(accept_language: str | None) -> str:
    """Korean where the browser asks for it before English; English otherwise.

    ``Accept-Language: ko-KR,ko;q=0.9,en;q=0.8`` gives Korean; ``en-US,en`` gives English;
    a browser asking only for, say, French gets English, the hub's second language.
    """
    if not accept_language:
        return DEFAULT_LOCALE
    wanted: list[tuple[float, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        language = tag.strip().lower().split("-")[0]
        if language:
            # Earlier tags win ties, as the header's order is the browser's preference.
            wanted.append((-quality + position * 1e-6, language))
    for _, language in sorted(wanted):
        if language in LOCALES:
            return language
    return "en"


def babel_locale(locale: str) -> Locale:
    return Locale.parse(locale)
