"""Geometry of the leaderboard's two charts, drawn by the templates as inline SVG.

No chart library and no script: the page is drawn on the server, reads without JavaScript,
and each chart carries a text summary and a data table for screen readers. Coordinates are
in the SVG's own units (``WIDTH`` × ``HEIGHT``); the browser scales the drawing to the
column, so the text is sized for a phone's width.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from aihub.leaderboards.history import Distribution, Series

WIDTH, HEIGHT = 480.0, 240.0
LEFT, RIGHT, TOP, BOTTOM = 64.0, 12.0, 12.0, 28.0
CHART_BOX = {"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": RIGHT, "top": TOP,
             "bottom": BOTTOM}
# Tableau 10: tells ten lines apart, also for the common colour blindnesses.
COLOURS = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
)


@dataclass(frozen=True)
class Tick:
    at: float  # position along the axis, in SVG units
    value: float


@dataclass(frozen=True)
class TimeTick:
    at: float
    label: str


@dataclass(frozen=True)
class Line:
    team: str
    rank: int
    colour: str
    path: str  # an SVG path: horizontal then vertical steps
    best: float
    first: float
    improvements: int
    last_at: datetime


@dataclass(frozen=True)
class HistoryChart:
    lines: tuple[Line, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[TimeTick, ...]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    low: float
    high: float
    count: int


@dataclass(frozen=True)
class Marker:
    x: float
    label: str
    score: float


@dataclass(frozen=True)
class DistributionChart:
    bars: tuple[Bar, ...]
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    markers: tuple[Marker, ...]


def nice_ticks(low: float, high: float, wanted: int = 4) -> list[float]:
    """Round values covering [low, high] (1, 2 or 5 times a power of ten apart)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high <= low:
        return [low]
    raw = (high - low) / wanted
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def _scale(low: float, high: float, start: float, end: float) -> tuple[float, float]:
    """(factor, offset) mapping [low, high] onto [start, end]."""
    span = high - low or 1.0
    factor = (end - start) / span
    return factor, start - low * factor


def _padded(low: float, high: float) -> tuple[float, float]:
    pad = (high - low) * 0.05 or abs(high) * 0.05 or 1.0
    return low - pad, high + pad


def history_chart(
    series: tuple[Series, ...], starts: datetime, until: datetime,
    label: Callable[[datetime, timedelta], str],
) -> HistoryChart:
    """Step lines of each series from its first score to ``until`` (now, or the phase end).
    ``label(moment, span)`` writes a time-axis label for a chart spanning ``span``."""
    drawn = [s for s in series if s.points]
    if not drawn:
        return HistoryChart((), (), ())
    scores = [p.score for s in drawn for p in s.points]
    low, high = _padded(min(scores), max(scores))
    begin = min(starts, *(s.points[0].at for s in drawn))
    end = max(until, *(s.points[-1].at for s in drawn), begin + timedelta(minutes=1))
    yk, yo = _scale(low, high, HEIGHT - BOTTOM, TOP)
    total = (end - begin).total_seconds()

    def x_of(at: datetime) -> float:
        return LEFT + (at - begin).total_seconds() / total * (WIDTH - LEFT - RIGHT)

    lines = []
    for index, item in enumerate(drawn):
        steps = [f"M{x_of(item.points[0].at):.1f},{yk * item.points[0].score + yo:.1f}"]
        for point in item.points[1:]:
            steps.append(f"H{x_of(point.at):.1f}V{yk * point.score + yo:.1f}")
        steps.append(f"H{WIDTH - RIGHT:.1f}")
        lines.append(Line(
            team=item.team, rank=item.rank, colour=COLOURS[index % len(COLOURS)],
            path="".join(steps), best=item.points[-1].score, first=item.points[0].score,
            improvements=len(item.points), last_at=item.points[-1].at,
        ))
    y_ticks = tuple(Tick(yk * v + yo, v) for v in nice_ticks(low, high) if low <= v <= high)
    # Three labels: four long day-and-hour labels would run into each other on a phone.
    moments = [begin + (end - begin) * i / 2 for i in range(3)]
    x_ticks = tuple(TimeTick(x_of(at), label(at, end - begin)) for at in moments)
    return HistoryChart(tuple(lines), y_ticks, x_ticks)


def distribution_chart(spread: Distribution) -> DistributionChart:
    """Bars of the distribution, with the baselines marked."""
    if not spread.bins:
        return DistributionChart((), (), (), ())
    low, high = spread.bins[0].low, spread.bins[-1].high
    if high <= low:
        low, high = _padded(low, high)
    most = max(b.count for b in spread.bins)
    xk, xo = _scale(low, high, LEFT, WIDTH - RIGHT)
    yk, yo = _scale(0, most, HEIGHT - BOTTOM, TOP)
    bars = []
    for item in spread.bins:
        left = xk * item.low + xo
        right = xk * item.high + xo if item.high > item.low else left + (WIDTH - LEFT - RIGHT)
        top = yk * item.count + yo
        bars.append(Bar(x=left, y=top, width=max(right - left - 1, 1), height=HEIGHT - BOTTOM - top,
                        low=item.low, high=item.high, count=item.count))
    markers = tuple(
        Marker(x=xk * b.score + xo, label=b.name, score=b.score)
        for b in spread.baselines
        if low <= b.score <= high
    )
    return DistributionChart(
        bars=tuple(bars),
        x_ticks=tuple(Tick(xk * v + xo, v) for v in nice_ticks(low, high) if low <= v <= high),
        y_ticks=tuple(Tick(yk * v + yo, v) for v in nice_ticks(0, most) if v == int(v)),
        markers=markers,
    )
