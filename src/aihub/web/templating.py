"""Jinja environments, one per locale, with the filters every template uses.

One environment per locale rather than one switched per request: translations installed on
an environment are global to it, and two compiled copies of the templates cost less than
re-installing gettext on every request.
"""

from __future__ import annotations

import math
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from aihub.schemas import Text
from aihub.web.i18n import translations

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def localized(text: Text | dict[str, str] | None, locale: str) -> str:
    """The ``locale`` side of a two-language text, falling back to Korean (always given)."""
    if text is None:
        return ""
    values = text if isinstance(text, dict) else {"ko": text.ko, "en": text.en}
    return values.get(locale) or values.get("ko") or ""


def format_score(value: float | None, locale: str) -> str:
    """Scores with enough digits to tell close teams apart (Kaggle shows five)."""
    if value is None or math.isnan(value):
        return "–"
    return format_decimal(value, format="#,##0.00000", locale=locale)


def format_column(value: float | None, precision: int, locale: str) -> str:
    """A program column's value with the decimals its scoring program asked for."""
    if value is None or math.isnan(value):
        return "–"
    decimals = "." + "0" * precision if precision else ""
    return format_decimal(value, format=f"#,##0{decimals}", locale=locale)


def format_size(size: int, locale: str) -> str:
    units = ("B", "KB", "MB", "GB", "TB")
    value, unit = float(size), 0
    while value >= 1024 and unit < len(units) - 1:
        value, unit = value / 1024, unit + 1
    pattern = "#,##0" if unit == 0 else "#,##0.0"
    return f"{format_decimal(value, format=pattern, locale=locale)} {units[unit]}"


# CLDR's Korean patterns now abbreviate the day period as "AM"/"PM"; Korean pages say
# 오전/오후 ("aaaa", the wide form). English keeps CLDR's own, less the seconds.
_DATETIME_PATTERNS = {
    "ko": {"short": "yy. M. d. aaaa h:mm", "medium": "y년 M월 d일 aaaa h:mm"},
    "en": {"short": "M/d/yy, h:mm a", "medium": "MMM d, y, h:mm a"},
}


def _filters(locale: str, zone: ZoneInfo) -> dict[str, Any]:
    patterns = _DATETIME_PATTERNS.get(locale, {})

    def when(value: datetime | None, style: str = "medium") -> str:
        if value is None:
            return ""
        return format_datetime(value.astimezone(zone), format=patterns.get(style, style),
                               locale=locale)

    def day(value: datetime | None, style: str = "medium") -> str:
        if value is None:
            return ""
        return format_date(value.astimezone(zone).date(), format=style, locale=locale)

    def iso(value: datetime | None) -> str:
        return value.astimezone(zone).isoformat(timespec="minutes") if value else ""

    return {
        "loc": lambda text: localized(text, locale),
        "when": when,
        "day": day,
        "iso": iso,
        "score": lambda value: format_score(value, locale),
        "column": lambda value, precision=2: format_column(value, precision, locale),
        "number": lambda value: format_decimal(value, locale=locale),
        "filesize": lambda value: format_size(value, locale),
        "markdown": render_markdown,
    }


# Hosts' descriptions and rules are Markdown; raw HTML in them is escaped, never run.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def render_markdown(source: str) -> Markup:
    # Safe: markdown-it escapes every character of the source that is not Markdown syntax.
    return Markup(_MARKDOWN.render(source)) if source else Markup("")  # noqa: S704


@cache
def environment(locale: str, timezone: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(_filters(locale, ZoneInfo(timezone)))
    env.globals["locale"] = locale
    return env
