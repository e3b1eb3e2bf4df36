"""Demo challenge ``daejeon-traffic-speed``: next-hour average speed on Daejeon's road segments.

200 directed segments of 16 named roads, simulated hour by hour over nine weeks of autumn
2024 (one warm-up week, six for training, two for testing). Speed falls with the time-of-day
demand of weekdays and weekends (holidays count as weekends), more on the inbound side in the
morning and the outbound side in the evening, on narrow and busy links, in the rain and during
incidents; what is left is a slowly wandering per-segment residual. Each row is a forecast
made at the start of an hour from the three hours before it, so last hour's speed carries
most of the signal and the rush-hour ramps carry the rest.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from aihub.demo._bundle import BoolArray, ChallengeSpec, FloatArray, IntArray, Tables
from aihub.demo._bundle import solution_table as _solution_table
from aihub.demo._bundle import write_bundle as _write_bundle
from aihub.demo.content import DAEJEON_ITS
from aihub.demo.daejeon_traffic_speed_text import challenge_text

SLUG = "daejeon-traffic-speed"
TARGET = "speed_kmh"
SPEC = ChallengeSpec(
    slug=SLUG,
    organization=DAEJEON_ITS.slug,
    metric="rmse",
    target=TARGET,
    baseline_file="baselines/last_hour_plus_profile.csv",
)

SEED = 20240902
FIRST_HOUR = np.datetime64("2024-08-26T00:00")  # a Monday; the first week only warms up lags
WEEK = 168
TRAIN_HOURS = range(WEEK, 7 * WEEK)  # 2024-09-02 .. 2024-10-13
TEST_HOURS = range(7 * WEEK, 9 * WEEK)  # 2024-10-14 .. 2024-10-27
N_TRAIN_ROWS = 32_000
N_TEST_ROWS = 10_000
# Chuseok (16-18 Sep), the one-off Armed Forces Day holiday (1 Oct), National Foundation Day
# (3 Oct) and Hangul Day (9 Oct).
HOLIDAYS = np.array(
    ["2024-09-16", "2024-09-17", "2024-09-18", "2024-10-01", "2024-10-03", "2024-10-09"],
    dtype="datetime64[D]",
)

# name, road type, lanes per direction, speed limit (km/h), links; two directions per link.
ROADS: tuple[tuple[str, str, int, int, int], ...] = (
    ("계룡로", "arterial", 4, 60, 8),
    ("대덕대로", "arterial", 4, 60, 9),
    ("한밭대로", "arterial", 4, 60, 8),
    ("유성대로", "arterial", 3, 60, 7),
    ("둔산대로", "arterial", 3, 60, 6),
    ("대전로", "arterial", 3, 60, 7),
    ("중앙로", "collector", 3, 50, 4),
    ("동서대로", "arterial", 3, 60, 7),
    ("갑천도시고속화도로", "expressway", 3, 80, 8),
    ("천변도시고속화도로", "expressway", 2, 80, 6),
    ("엑스포로", "arterial", 3, 60, 5),
    ("대학로", "collector", 2, 50, 5),
    ("도안대로", "arterial", 3, 60, 6),
    ("월드컵대로", "arterial", 3, 60, 6),
    ("계백로", "arterial", 3, 60, 5),
    ("현충원로", "collector", 2, 50, 3),
)
INBOUND, OUTBOUND = "상행", "하행"


def _sigmoid(x: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-x))


def _bump(hour: FloatArray, centre: float, width: float) -> FloatArray:
    return np.exp(-0.5 * ((hour - centre) / width) ** 2)


class _Segments:
    """The fixed attributes of each directed segment and its hidden traffic character."""

    def __init__(self, rng: np.random.Generator) -> None:
        rows = [
            (name, kind, lanes, limit, link, direction)
            for name, kind, lanes, limit, links in ROADS
            for link in range(1, links + 1)
            for direction in (INBOUND, OUTBOUND)
        ]
        n = len(rows)
        self.ids = np.array([f"S{i:03d}" for i in range(1, n + 1)])
        self.road = np.array([r[0] for r in rows])
        self.kind = np.array([r[1] for r in rows])
        self.link = np.array([r[4] for r in rows])
        self.direction = np.array([r[5] for r in rows])
        self.limit = np.array([r[3] for r in rows])
        lanes = np.array([r[2] for r in rows]) + rng.choice([-1, 0, 0, 0, 1], n)
        self.lanes = np.clip(lanes, 1, 5)
        expressway = self.kind == "expressway"
        self.length = np.round(
            np.where(expressway, rng.uniform(900, 2600, n), rng.uniform(250, 1400, n)), -1
        )
        signal_loss = np.select(
            [expressway, self.kind == "arterial"],
            [rng.uniform(0.9, 1.02, n), rng.uniform(0.72, 0.88, n)],
            rng.uniform(0.62, 0.78, n),
        )
        self.free_flow = self.limit * signal_loss
        self.sensitivity = rng.uniform(0.3, 0.75, n) * (3.5 / self.lanes) ** 0.3
        # Inbound links fill in the morning and empty in the evening; outbound the reverse.
        self.tidal = rng.uniform(0.1, 0.35, n) * np.where(self.direction == INBOUND, 1.0, -1.0)


def _calendar(hours: IntArray) -> tuple[IntArray, IntArray, BoolArray]:
    """Hour of day, day of week (0 = Monday) and public holiday of each simulated hour."""
    stamps = FIRST_HOUR + hours.astype("timedelta64[h]")
    days = stamps.astype("datetime64[D]")
    return hours % 24, (hours // 24) % 7, np.isin(days, HOLIDAYS)


def _demand(hour: IntArray, dow: IntArray, holiday: BoolArray) -> FloatArray:
    """City-wide traffic demand by hour: two rush hours on weekdays, a broad midday hump else."""
    h = hour.astype(np.float64) + 0.5
    daytime = _sigmoid(2 * (h - 7)) * _sigmoid(2 * (21.5 - h))
    weekday = 0.08 + 0.45 * daytime + 0.55 * _bump(h, 8.0, 0.9) + 0.5 * _bump(h, 18.3, 1.3)
    weekend = 0.08 + 0.5 * _sigmoid(2 * (h - 9)) * _sigmoid(2 * (21.5 - h))
    weekend += 0.25 * _bump(h, 14.5, 2.5)
    return np.asarray(np.where((dow >= 5) | holiday, weekend, weekday), dtype=np.float64)


def _rain(rng: np.random.Generator, n_hours: int) -> FloatArray:
    """Hourly rain (mm) in showers of two to ten hours, about one start every few days."""
    rain = np.zeros(n_hours)
    starts = np.flatnonzero(rng.random(n_hours) < 0.012)
    for start in starts:
        length = int(rng.integers(2, 11))
        rain[start : start + length] += (
            rng.gamma(1.5, 2.0) * rng.lognormal(0, 0.5, length)[: n_hours - start]
        )
    return np.round(rain, 1)


def _simulate(
    rng: np.random.Generator, seg: _Segments, n_hours: int
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Speeds (segments x hours), hourly rain, and incidents (segments x hours)."""
    hours = np.arange(n_hours)
    hour, dow, holiday = _calendar(hours)
    h = hour.astype(np.float64) + 0.5
    rain = _rain(rng, n_hours)
    wet = np.minimum(rain, 15.0)
    rush = _bump(h, 8.0, 1.5) - _bump(h, 18.3, 1.8)
    demand = _demand(hour, dow, holiday) * (1 + 0.05 * np.minimum(rain, 10.0))
    load = demand[None, :] * (1 + seg.tidal[:, None] * rush[None, :] * (dow < 5))
    congestion = np.clip(seg.sensitivity[:, None] * load**1.8, 0, 0.85)
    speed = seg.free_flow[:, None] * (1 - 0.012 * wet)[None, :] * (1 - congestion)

    n_seg = len(seg.ids)
    start_rate = 0.0012 * (1 + 2 * load) * (1 + 0.5 * (rain > 0))[None, :]
    incident = np.zeros((n_seg, n_hours), dtype=bool)
    severity = np.ones((n_seg, n_hours))
    for s, t in zip(*np.nonzero(rng.random((n_seg, n_hours)) < start_rate), strict=True):
        end = t + int(rng.integers(1, 4))
        incident[s, t:end] = True
        severity[s, t:end] = np.minimum(severity[s, t:end], rng.uniform(0.35, 0.75))

    residual = np.zeros((n_seg, n_hours))
    shocks = rng.normal(0, 2.0, (n_seg, n_hours))
    for t in range(1, n_hours):
        residual[:, t] = 0.7 * residual[:, t - 1] + shocks[:, t]
    measured = speed * severity + residual + rng.normal(0, 1.2, (n_seg, n_hours))
    upper = seg.limit[:, None] + 10.0
    return np.round(np.clip(measured, 4.0, upper), 1), rain, incident


def _sample(rng: np.random.Generator, n_segments: int, hours: range, n_rows: int) -> IntArray:
    """Distinct (segment, hour) cells as flat indices ``hour * n_segments + segment``, sorted."""
    picks = rng.choice(n_segments * len(hours), n_rows, replace=False)
    return np.sort(picks) + hours.start * n_segments


def _frame(
    seg: _Segments,
    speed: FloatArray,
    rain: FloatArray,
    forecast: FloatArray,
    incident: BoolArray,
    cells: IntArray,
) -> pl.DataFrame:
    """One forecast per cell: made at the start of hour ``t`` for the average speed in ``t``."""
    s, t = cells % len(seg.ids), cells // len(seg.ids)
    hour, dow, holiday = _calendar(t)
    stamps = FIRST_HOUR + t.astype("timedelta64[h]")
    return pl.DataFrame(
        {
            "base_time": np.char.replace(np.datetime_as_string(stamps, unit="m"), "T", " "),
            "segment_id": seg.ids[s],
            "road_name": seg.road[s],
            "link_no": seg.link[s].astype(np.int8),
            "direction": seg.direction[s],
            "road_type": seg.kind[s],
            "lanes": seg.lanes[s].astype(np.int8),
            "speed_limit_kmh": seg.limit[s].astype(np.int16),
            "length_m": seg.length[s].astype(np.int32),
            "hour": hour.astype(np.int8),
            "dow": dow.astype(np.int8),
            "is_holiday": holiday.astype(np.int8),
            "rain_mm": rain[t - 1],
            "rain_forecast_mm": forecast[t],
            "incident_active": incident[s, t - 1].astype(np.int8),
            "speed_lag1": speed[s, t - 1],
            "speed_lag2": speed[s, t - 2],
            "speed_lag3": speed[s, t - 3],
            "speed_last_week": speed[s, t - WEEK],
        }
    )


def _day_type() -> pl.Expr:
    """Holidays count as weekends: offices are closed and the rush hours vanish."""
    return (
        pl.when((pl.col("dow") >= 5) | (pl.col("is_holiday") == 1))
        .then(pl.lit("weekend"))
        .otherwise(pl.lit("weekday"))
        .alias("day_type")
    )


def last_hour_plus_profile(train: pl.DataFrame, test: pl.DataFrame) -> FloatArray:
    """Last hour's speed plus the average hour-on-hour change seen in train.

    The change is averaged per hour of day, weekday or weekend (holidays count as weekends)
    and direction, which captures the rush-hour ramps that plain persistence misses.
    """
    keys = ["hour", "day_type", "direction"]
    profile = (
        train.with_columns(_day_type(), (pl.col(TARGET) - pl.col("speed_lag1")).alias("change"))
        .group_by(keys)
        .agg(pl.col("change").mean())
    )
    joined = test.with_columns(_day_type()).join(
        profile, on=keys, how="left", maintain_order="left"
    )
    change = joined.get_column("change").fill_null(0.0).to_numpy()
    return np.asarray(joined.get_column("speed_lag1").to_numpy() + change, dtype=np.float64)


def build_tables() -> Tables:
    """Generate every table of the bundle from the fixed seed."""
    rng = np.random.default_rng(SEED)
    seg = _Segments(rng)
    n_hours = TEST_HOURS.stop
    speed, rain, incident = _simulate(rng, seg, n_hours)
    # The weather service's short-range forecast for the hour ahead: right in scale, noisy,
    # sometimes missing a shower.
    caught = rng.random(n_hours) < 0.8
    forecast = np.round(rain * rng.lognormal(0, 0.5, n_hours) * caught, 1)

    n_seg = len(seg.ids)
    train_cells = _sample(rng, n_seg, TRAIN_HOURS, N_TRAIN_ROWS)
    test_cells = _sample(rng, n_seg, TEST_HOURS, N_TEST_ROWS)
    train = _frame(seg, speed, rain, forecast, incident, train_cells)
    train = train.with_columns(
        pl.Series(TARGET, speed[train_cells % n_seg, train_cells // n_seg])
    ).insert_column(0, pl.Series("id", np.arange(1, N_TRAIN_ROWS + 1)))
    test = _frame(seg, speed, rain, forecast, incident, test_cells).insert_column(
        0, pl.Series("id", np.arange(N_TRAIN_ROWS + 1, N_TRAIN_ROWS + N_TEST_ROWS + 1))
    )
    target = pl.Series(TARGET, speed[test_cells % n_seg, test_cells // n_seg])

    ids = test.get_column("id")
    overall_mean = round(float(np.mean(train.get_column(TARGET).to_numpy())), 1)
    baseline = np.round(last_hour_plus_profile(train, test), 1)
    return Tables(
        train=train,
        test=test,
        solution=_solution_table(test, target, seed=SEED + 1),
        sample_submission=pl.DataFrame([ids, pl.Series(TARGET, np.full(len(ids), overall_mean))]),
        baseline=pl.DataFrame([ids, pl.Series(TARGET, baseline)]),
    )


def write_bundle(dest: Path, *, now: datetime) -> Path:
    """Write ``dest/daejeon-traffic-speed/`` and return it; phase dates are relative to ``now``."""
    return _write_bundle(dest, SPEC, challenge_text(SPEC), build_tables(), now=now)
