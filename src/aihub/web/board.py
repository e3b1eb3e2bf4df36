"""The leaderboard page's pieces that are the same for every reader of a board version:
rows formatted and drawn as HTML, and the two charts. They are kept in the computed board's
memo (``leaderboards.cache.ComputedBoard.memo``), so they go when the board moves, and a
page for one more reader costs the reader's own row and the page around the table.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from jinja2 import Environment
from markupsafe import Markup

from aihub.evaluation.plans import BoardColumn
from aihub.leaderboards.cache import BoardView
from aihub.leaderboards.columns import Values
from aihub.leaderboards.services import Row
from aihub.web.charts import CHART_BOX, distribution_chart, history_chart
from aihub.web.context import Page
from aihub.web.templating import environment, format_column

ROWS_PER_PAGE = 50
_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class ShownRow:
    """A leaderboard row with its score and time formatted for one language."""

    rank: int | None
    team_id: int | None
    name: str
    score: str
    entries: int
    at_iso: str
    at: str
    is_baseline: bool
    # Program-scored boards: the row's value in each shown column, formatted.
    columns: tuple[str, ...] = ()


def _env(page: Page) -> Environment:
    return environment(page.locale, page.hub.settings.timezone)


# A page's rows' column values (program boards: ``leaderboards.columns.row_values``), in
# the rows' order; None: no columns.
ColumnValues = Callable[[Sequence[Row]], Values] | None


def _column_texts(
    page: Page, columns: Sequence[BoardColumn], values: dict[str, float] | None
) -> tuple[str, ...]:
    return tuple(
        format_column(values.get(column.key) if values else None, column.precision, page.locale)
        for column in columns
    )


def _drawn_rows(
    page: Page, view: BoardView, number: int, columns: Sequence[BoardColumn],
    column_values: ColumnValues,
) -> list[tuple[ShownRow, Markup]]:
    """Page ``number``'s rows as HTML, drawn once per board, language and page (with their
    columns' values, read then too)."""
    key = ("rows", page.locale, page.hub.settings.timezone, number)
    found = view.board.memo.get(key)
    if isinstance(found, list):
        return found
    env = _env(page)
    filters, draw = env.filters, env.get_template("challenge/_board_row.html").module
    rows = view.board.rows[(number - 1) * ROWS_PER_PAGE: number * ROWS_PER_PAGE]
    values = column_values(rows) if column_values and columns else [None] * len(rows)
    drawn = []
    for row, row_values in zip(rows, values, strict=True):
        shown = ShownRow(
            rank=row.rank, team_id=row.team_id, name=row.name, score=filters["score"](row.score),
            entries=row.entries, at_iso=filters["iso"](row.submitted_at),
            at=filters["when"](row.submitted_at, "short"), is_baseline=row.is_baseline,
            columns=_column_texts(page, columns, row_values) if columns else (),
        )
        drawn.append((shown, draw.board_row(shown, False)))  # type: ignore[attr-defined]
    view.board.memo[key] = drawn
    return drawn


def table_rows(
    page: Page, view: BoardView, number: int, my_team: int | None,
    columns: Sequence[BoardColumn] = (), column_values: ColumnValues = None,
) -> list[Markup]:
    """The rows of page ``number``; the reader's team's row drawn apart, highlighted."""
    draw = _env(page).get_template("challenge/_board_row.html").module
    return [
        draw.board_row(shown, True)  # type: ignore[attr-defined]
        if my_team is not None and shown.team_id == my_team and not shown.is_baseline
        else html
        for shown, html in _drawn_rows(page, view, number, columns, column_values)
    ]


def time_label(page: Page) -> Callable[[datetime, timedelta], str]:
    """Days on a long time axis; days and hours on one of a few days."""
    zone = ZoneInfo(page.hub.settings.timezone)

    def label(moment: datetime, span: timedelta) -> str:
        day = format_skeleton("MMMd", moment, tzinfo=zone, locale=page.locale)
        if span >= timedelta(days=4):
            return day
        return f"{day} {format_skeleton('Hm', moment, tzinfo=zone, locale=page.locale)}"

    return label


def charts(page: Page, view: BoardView) -> Markup:
    """Both charts, drawn once per board and language and again each hour at most: the
    history's time axis runs to now."""
    hour = page.now.replace(minute=0, second=0, microsecond=0)
    until = min(hour + _HOUR, view.phase.ends_at)
    # One entry per language, replaced when the hour moves on: a board that gets no new
    # score for days keeps one drawing, not one an hour.
    key = ("charts", page.locale, page.hub.settings.timezone)
    found = view.board.memo.get(key)
    if isinstance(found, tuple) and found[0] == until:
        drawing: Markup = found[1]
        return drawing
    drawn = Markup(_env(page).get_template("challenge/_board_charts.html").render(  # noqa: S704
        history=history_chart(view.board.history, view.phase.starts_at, until, time_label(page)),
        spread=distribution_chart(view.board.distribution),
        distribution=view.board.distribution,
        box=CHART_BOX,
    ))
    view.board.memo[key] = (until, drawn)
    return drawn


def board_context(
    page: Page, view: BoardView, my_team: int | None, number: int,
    columns: Sequence[BoardColumn] = (), column_values: ColumnValues = None,
) -> dict[str, Any]:
    """What the leaderboard template needs besides the challenge's own facts; a program
    board's ``columns``, with ``column_values`` reading their values for a page's rows."""
    pages = max(1, math.ceil(len(view.board.rows) / ROWS_PER_PAGE))
    number = min(max(number, 1), pages)
    mine = view.row_of_team(my_team)
    my_page = None
    if mine is not None and my_team is not None:
        my_page = view.board.team_index[my_team] // ROWS_PER_PAGE + 1
    return {
        "view": view,
        "rows": table_rows(page, view, number, my_team, columns, column_values),
        "page_number": number,
        "pages": pages,
        "my_row": mine,
        "my_team": my_team,
        "my_page": my_page,
        "charts": charts(page, view) if view.board.rows else Markup(""),
    }
