"""Demo challenge ``elderly-care-power``: spotting trouble from elderly households' power use.

Hourly smart-meter readings of 300 people living alone in Daejeon over 120 days of autumn and
winter, one row per household-day. Normal days follow each person's routine (breakfast and
dinner peaks, TV and lights while awake, a fridge's base load, day-centre visits, family on
weekends, electric mats when it is cold). About 4% of days are anomalies a carer confirmed:
inactivity from some hour on (a flat load, perhaps with a light or heater left on), a night
spent awake, or an appliance left running. Days away from home are *not* anomalies, which is
what keeps low use from being a giveaway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from aihub.demo._bundle import (
    BoolArray,
    ChallengeSpec,
    DateArray,
    FloatArray,
    IntArray,
    Tables,
    solution_table,
)
from aihub.demo._bundle import write_bundle as _write_bundle
from aihub.demo.content import DAEJEON_CITY
from aihub.demo.elderly_care_power_text import challenge_text

SLUG = "elderly-care-power"
TARGET = "anomaly"
SPEC = ChallengeSpec(
    slug=SLUG,
    organization=DAEJEON_CITY.slug,
    metric="roc_auc",
    target=TARGET,
    baseline_file="baselines/household_logistic.csv",
)

SEED = 20231016
N_HOUSEHOLDS = 300
N_DAYS = 120
N_TRAIN_DAYS = 90
FIRST_DAY = np.datetime64("2023-10-16")
HOLIDAYS = np.array(
    ["2023-12-25", "2024-01-01", "2024-02-09", "2024-02-10", "2024-02-11", "2024-02-12"],
    dtype="datetime64[D]",
)
SEOLLAL = HOLIDAYS[2:5]
HOUR_COLUMNS = [f"h{hour:02d}" for hour in range(24)]
# Mid-hour clock times, so that h07 (07:00-08:00) is evaluated at 7.5.
CLOCK = np.arange(24, dtype=np.float64) + 0.5

DISTRICTS = np.array(["동구", "중구", "서구", "유성구", "대덕구"])
DWELLINGS = np.array(["아파트", "다세대", "단독주택"])
AGE_BANDS = np.array(["65-74", "75-84", "85+"])


def _sigmoid(x: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-x))


def _hours(start: IntArray, length: IntArray | int) -> BoolArray:
    """The hours ``start`` to ``start + length - 1`` of each day (``(H, D)`` -> ``(H, D, 24)``)."""
    hour = np.arange(24)
    return (hour >= start[..., None]) & (hour < (start + length)[..., None])


def _bump(centre: FloatArray, width: float) -> FloatArray:
    """A Gaussian bump over the 24 hours around ``centre`` (shape ``(H, D)`` -> ``(H, D, 24)``)."""
    return np.exp(-0.5 * ((CLOCK - centre[..., None]) / width) ** 2)


class _Households:
    """Fixed traits of each household, drawn once: who they are and what their routine is."""

    def __init__(self, rng: np.random.Generator) -> None:
        n = N_HOUSEHOLDS
        self.ids = np.array([f"H{i:04d}" for i in range(1, n + 1)])
        self.district = DISTRICTS[rng.choice(5, n, p=[0.18, 0.17, 0.30, 0.20, 0.15])]
        dwelling = rng.choice(3, n, p=[0.45, 0.35, 0.20])
        self.dwelling = DWELLINGS[dwelling]
        self.area = np.round(np.array([55.0, 42.0, 68.0])[dwelling] + rng.normal(0, 9, n), 1)
        age = rng.choice(3, n, p=[0.35, 0.45, 0.20])
        self.age_band = AGE_BANDS[age]
        self.electric = rng.random(n) < np.where(dwelling == 2, 0.5, 0.25)
        self.base = rng.uniform(0.04, 0.09, n) + 0.0004 * (self.area - 50)
        self.wake = rng.normal(6.0, 0.7, n) + 0.2 * age
        self.bed = rng.normal(21.8, 0.8, n)
        self.evening_hour = rng.normal(18.6, 0.5, n)
        vigour = rng.lognormal(0, 0.3, n) * np.array([1.1, 1.0, 0.8])[age]
        self.morning_amp = 0.3 * vigour
        self.lunch_amp = 0.18 * vigour
        self.evening_amp = 0.32 * vigour
        self.tv_amp = rng.uniform(0.04, 0.14, n)
        self.mat = np.where(self.electric, rng.uniform(0.08, 0.2, n), rng.uniform(0, 0.07, n))
        self.heater = np.where(self.electric, rng.uniform(0.06, 0.2, n), 0.0)
        # Weekdays at the senior welfare centre (경로당/복지관), and Sunday church.
        self.centre_days = rng.random((n, 7)) < np.r_[np.full(5, 0.3), 0.0, 0.0]
        self.church = rng.random(n) < 0.35
        self.frailty = rng.gamma(2.0, 0.5, n) * np.array([0.8, 1.0, 1.5])[age]


def _temperatures(rng: np.random.Generator, days: DateArray) -> FloatArray:
    """Daejeon's daily mean temperature: climatology coldest around 20 January, plus weather."""
    since_coldest = (days - np.datetime64("2023-01-20")).astype(np.float64)
    climate = 13.0 - 14.0 * np.cos(2 * np.pi * since_coldest / 365.25)
    weather = np.zeros(len(days))
    for d in range(1, len(days)):
        weather[d] = 0.7 * weather[d - 1] + rng.normal(0, 1.8)
    return np.round(climate + weather, 1)


@dataclass(frozen=True)
class _Routine:
    """Routine days, kept in parts so that trouble can replace some of them."""

    load: FloatArray  # (households, days, 24) kWh
    base: FloatArray  # the fridge and standby part of ``load``
    mat: FloatArray  # the electric mat's part of ``load`` (on while asleep, in the cold)
    awake: FloatArray  # 0..1, whether the person is up
    away: BoolArray  # (households, days): days spent away from home


def _routine(
    rng: np.random.Generator, hh: _Households, temp: FloatArray, days: DateArray
) -> _Routine:
    """What each household-day looks like when nothing is wrong."""
    n, n_days = N_HOUSEHOLDS, len(days)
    cold = np.clip((15.0 - temp) / 10.0, 0, None)[None, :]
    wake = hh.wake[:, None] + 0.25 * cold + rng.normal(0, 0.4, (n, n_days))
    bed = hh.bed[:, None] + rng.normal(0, 0.5, (n, n_days))
    awake = _sigmoid(3 * (CLOCK - wake[..., None])) * _sigmoid(3 * (bed[..., None] - CLOCK))
    # Some days are quiet (a cold, a rest day) without being trouble.
    quiet = np.where(rng.random((n, n_days)) < 0.05, 0.35, 1.0)
    day_scale = (quiet * rng.lognormal(0, 0.25, (n, n_days)))[..., None]
    sunset = 17.25 + 0.8 * ((np.arange(n_days) - 60) / 60) ** 2
    activity = (
        hh.morning_amp[:, None, None] * _bump(wake + 1.0, 0.9)
        + hh.lunch_amp[:, None, None] * _bump(np.full((n, n_days), 12.3), 0.8)
        + hh.evening_amp[:, None, None]
        * _bump(np.broadcast_to(hh.evening_hour[:, None], (n, n_days)), 1.3)
        + hh.tv_amp[:, None, None] * awake
        + 0.06 * awake * _sigmoid(2 * (CLOCK - sunset[None, :, None]))
    ) * day_scale
    laundry = (rng.random((n, n_days)) < 0.15)[..., None] & _hours(
        rng.integers(9, 17, (n, n_days)), 1
    )
    activity += laundry * rng.uniform(0.3, 0.7, (n, n_days))[..., None]
    # Waking at night for the bathroom or a little TV is part of many normal nights.
    night_up = (rng.random((n, n_days)) < 0.2)[..., None] & _hours(
        rng.integers(0, 5, (n, n_days)), rng.integers(1, 3, (n, n_days))
    )
    activity += night_up * rng.uniform(0.04, 0.2, (n, n_days))[..., None]
    at_home, company = _whereabouts(rng, hh, days)
    away = _away_days(rng, np.isin(days, SEOLLAL)[None, :])

    base = hh.base[:, None, None] + np.abs(rng.normal(0, 0.008, (n, n_days, 24)))
    mat = hh.mat[:, None, None] * cold[..., None] * (1 - awake)
    heater = hh.heater[:, None, None] * cold[..., None] * awake * at_home
    noise = rng.lognormal(0, 0.3, (n, n_days, 24))
    used = activity * company * at_home * noise + mat + heater
    load = base + used * ~away[..., None]
    return _Routine(load=load, base=base, mat=mat, awake=awake, away=away)


def _whereabouts(
    rng: np.random.Generator, hh: _Households, days: DateArray
) -> tuple[FloatArray, FloatArray]:
    """Hours out (welfare centre on weekdays, church on Sundays) and family visits."""
    n, n_days = N_HOUSEHOLDS, len(days)
    dow = ((days - FIRST_DAY).astype(np.int64) % 7)[None, :]
    holiday = np.isin(days, HOLIDAYS)[None, :]
    seollal = np.isin(days, SEOLLAL)[None, :]
    at_home = np.ones((n, n_days, 24))
    at_centre = hh.centre_days[:, dow[0]] & (rng.random((n, n_days)) < 0.85) & ~holiday
    at_home[at_centre[..., None] & (CLOCK > 10) & (CLOCK < 15)] = 0.05
    at_church = hh.church[:, None] & (dow == 6) & (rng.random((n, n_days)) < 0.8)
    at_home[at_church[..., None] & (CLOCK > 10) & (CLOCK < 13)] = 0.05
    visited = rng.random((n, n_days)) < np.where(seollal, 0.4, np.where(dow >= 5, 0.12, 0.02))
    company = np.where(visited[..., None] & (CLOCK > 11) & (CLOCK < 20), 1.7, 1.0)
    return at_home, company


def _away_days(rng: np.random.Generator, seollal: BoolArray) -> BoolArray:
    """Stays with children or in hospital: trips of one to four days, many over Seollal."""
    starts = rng.random((N_HOUSEHOLDS, N_DAYS)) < np.where(seollal, 0.12, 0.006)
    lengths = rng.integers(1, 5, (N_HOUSEHOLDS, N_DAYS))
    away = np.zeros((N_HOUSEHOLDS, N_DAYS), dtype=bool)
    for shift in range(4):
        shifted = np.zeros_like(away)
        shifted[:, shift:] = (starts & (lengths > shift))[:, : N_DAYS - shift]
        away |= shifted
    return away


def _inject_anomalies(
    rng: np.random.Generator, hh: _Households, routine: _Routine, temp: FloatArray
) -> tuple[FloatArray, BoolArray]:
    """Overwrite ~4% of the days at home with one of three kinds of trouble."""
    base, mat, awake = routine.base, routine.mat, routine.awake
    n, n_days = N_HOUSEHOLDS, N_DAYS
    cold = np.clip((10.0 - temp) / 10.0, 0, None)[None, :]
    rate = 0.036 * hh.frailty[:, None] * (1 + 0.4 * cold)
    anomaly = (rng.random((n, n_days)) < rate) & ~routine.away
    kind = rng.choice(3, (n, n_days), p=[0.45, 0.30, 0.25])
    load = routine.load.copy()

    # Inactivity from an onset hour on: only the base load, a light or TV left on, and a mat
    # that stays at whatever setting it had.
    onset = np.where(rng.random((n, n_days)) < 0.3, 0, rng.integers(6, 23, (n, n_days)))
    left_on = rng.uniform(0.0, 0.15, (n, n_days))[..., None] * rng.lognormal(0, 0.1, load.shape)
    still = (anomaly & (kind == 0))[..., None] & (np.arange(24) >= onset[..., None])
    flat = base + left_on + mat.max(axis=2, keepdims=True) * 0.8
    load = np.where(still, flat, load)

    # A night awake: lights and TV on through the small hours.
    night_level = rng.uniform(0.05, 0.3, (n, n_days))[..., None]
    up_hours = _hours(rng.integers(0, 3, (n, n_days)), rng.integers(3, 7, (n, n_days)))
    sleepless = (anomaly & (kind == 1))[..., None] * np.maximum(1 - awake, up_hours)
    load += sleepless * night_level * rng.lognormal(0, 0.25, load.shape)

    # An appliance left running (a cooker, a heater on full) for two to six hours.
    running = _hours(rng.integers(0, 24, (n, n_days)), rng.integers(2, 6, (n, n_days)))
    power = rng.uniform(0.4, 1.4, (n, n_days))[..., None]
    load += (anomaly & (kind == 2))[..., None] * running * power
    return np.round(load, 3), anomaly


def _frame(
    hh: _Households,
    days: DateArray,
    temp: FloatArray,
    load: FloatArray,
    day_range: range,
) -> pl.DataFrame:
    """One row per household-day for the days in ``day_range``, ordered by household, date."""
    day_index = np.tile(np.asarray(day_range), N_HOUSEHOLDS)
    household = np.repeat(np.arange(N_HOUSEHOLDS), len(day_range))
    readings = load[household, day_index]
    return pl.DataFrame(
        {
            "household_id": hh.ids[household],
            "date": days[day_index],
            "dow": ((days[day_index] - FIRST_DAY).astype(np.int64) % 7).astype(np.int8),
            "is_holiday": np.isin(days[day_index], HOLIDAYS).astype(np.int8),
            "district": hh.district[household],
            "dwelling": hh.dwelling[household],
            "floor_area_m2": hh.area[household],
            "age_band": hh.age_band[household],
            "electric_heating": hh.electric[household].astype(np.int8),
            "temp_c": temp[day_index],
            **{name: readings[:, hour] for hour, name in enumerate(HOUR_COLUMNS)},
        }
    )


def _day_features(frame: pl.DataFrame) -> pl.DataFrame:
    """Daily shape statistics the baseline compares with the household's usual day."""
    hours = frame.select(HOUR_COLUMNS).to_numpy()
    return pl.DataFrame(
        {
            "household_id": frame.get_column("household_id"),
            "night": hours[:, 0:5].sum(axis=1),
            "morning": hours[:, 5:11].sum(axis=1),
            "afternoon": hours[:, 11:17].sum(axis=1),
            "evening": hours[:, 17:22].sum(axis=1),
            "peak": hours.max(axis=1),
            "spread": hours.std(axis=1),
        }
    )


def household_logistic_baseline(train: pl.DataFrame, test: pl.DataFrame) -> FloatArray:
    """Anomaly probabilities for ``test`` from a logistic model fitted on ``train``.

    Each day is described by how far its night, morning, afternoon, evening, peak and spread
    are from the same household's median normal day in train (log ratios), plus their squares
    because trouble goes both ways (too little in the morning, too much at night).
    """
    statistics = [c for c in _day_features(train.head(1)).columns if c != "household_id"]
    train_features = _day_features(train)
    usual = (
        train_features.filter(train.get_column(TARGET) == 0)
        .group_by("household_id")
        .agg(pl.col(statistics).median())
    )

    def design(features: pl.DataFrame) -> FloatArray:
        joined = features.join(
            usual, on="household_id", how="left", suffix="_usual", maintain_order="left"
        )
        ratios = np.column_stack(
            [
                np.log(
                    (joined.get_column(c).to_numpy() + 0.05)
                    / (joined.get_column(f"{c}_usual").to_numpy() + 0.05)
                )
                for c in statistics
            ]
        )
        return np.column_stack([ratios, ratios**2])

    x_train, x_test = design(train_features), design(_day_features(test))
    mean, scale = x_train.mean(axis=0), x_train.std(axis=0) + 1e-9
    weights = _fit_logistic((x_train - mean) / scale, train.get_column(TARGET).to_numpy())
    with_intercept = np.column_stack([np.ones(len(x_test)), (x_test - mean) / scale])
    return np.asarray(_sigmoid(with_intercept @ weights), dtype=np.float64)


def _fit_logistic(x: FloatArray, y: np.ndarray, l2: float = 1.0, steps: int = 25) -> FloatArray:
    """Ridge-penalised logistic regression by Newton's method (the intercept is not penalised)."""
    design = np.column_stack([np.ones(len(x)), x])
    weights = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(steps):
        p = _sigmoid(design @ weights)
        gradient = design.T @ (y - p) - penalty * weights
        hessian = (design * (p * (1 - p))[:, None]).T @ design + np.diag(penalty)
        weights = weights + np.linalg.solve(hessian, gradient)
    return weights


def build_tables() -> Tables:
    """Generate every table of the bundle from the fixed seed."""
    rng = np.random.default_rng(SEED)
    hh = _Households(rng)
    days = FIRST_DAY + np.arange(N_DAYS)
    temp = _temperatures(rng, days)
    load, anomaly = _inject_anomalies(rng, hh, _routine(rng, hh, temp, days), temp)

    train_days, test_days = range(N_TRAIN_DAYS), range(N_TRAIN_DAYS, N_DAYS)
    train = _frame(hh, days, temp, load, train_days)
    n_train = len(train)
    train = train.with_columns(
        pl.Series(TARGET, anomaly[:, :N_TRAIN_DAYS].reshape(-1).astype(np.int8))
    ).insert_column(0, pl.Series("id", np.arange(1, n_train + 1)))
    test = _frame(hh, days, temp, load, test_days)
    test = test.insert_column(0, pl.Series("id", np.arange(n_train + 1, n_train + len(test) + 1)))
    target = pl.Series(TARGET, anomaly[:, N_TRAIN_DAYS:].reshape(-1).astype(np.int8))

    ids = test.get_column("id")
    prevalence = round(float(np.mean(train.get_column(TARGET).to_numpy())), 3)
    baseline = np.round(household_logistic_baseline(train, test), 4)
    return Tables(
        train=train,
        test=test,
        solution=solution_table(test, target, seed=SEED + 1),
        sample_submission=pl.DataFrame([ids, pl.Series(TARGET, np.full(len(ids), prevalence))]),
        baseline=pl.DataFrame([ids, pl.Series(TARGET, baseline)]),
    )


def write_bundle(dest: Path, *, now: datetime) -> Path:
    """Write ``dest/elderly-care-power/`` and return it; phase dates are relative to ``now``."""
    return _write_bundle(dest, SPEC, challenge_text(SPEC), build_tables(), now=now)
