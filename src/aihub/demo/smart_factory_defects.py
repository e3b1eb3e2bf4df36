"""Demo challenge ``smart-factory-defects``: defect types from machining-line sensor readings.

Four CNC lines machine aluminium motor housings around the clock for three weeks; each product
carries the readings of its own cycle and the defect type the end-of-line vision inspection
gave it. Defects follow the line's state (a worn tool scratches, a fixture losing clamp
pressure misaligns, cold coolant cracks, night-shift handling dents) and each leaves its own
trace in the sensors, blurred by line calibration offsets, tool wear and the weather. Line L3's
fixture wears out over the three weeks, so misalignment is more common in the test week.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from aihub.demo._bundle import ChallengeSpec, FloatArray, IntArray, StrArray, Tables
from aihub.demo._bundle import solution_table as _solution_table
from aihub.demo._bundle import write_bundle as _write_bundle
from aihub.demo.content import DAEDEOK_SMART_FACTORY
from aihub.demo.smart_factory_defects_text import challenge_text

SLUG = "smart-factory-defects"
TARGET = "defect_type"
CLASSES = ("normal", "scratch", "dent", "crack", "misalign")

SPEC = ChallengeSpec(
    slug=SLUG,
    organization=DAEDEOK_SMART_FACTORY.slug,
    metric="f1_macro",
    target=TARGET,
    baseline_file="baselines/naive_bayes.csv",
    labels=CLASSES,
)

SEED = 20241104
START = np.datetime64("2024-11-04T06:00:00")
LINES = ("L1", "L2", "L3", "L4")
WEARING_FIXTURE_LINE = "L3"  # its clamp pressure sags over the run
PER_LINE = 10_000
N_TRAIN = 30_000
SENSORS = (
    "tool_life_used_pct",
    "spindle_speed_rpm",
    "spindle_load_pct",
    "vibration_rms_mm_s",
    "coolant_temp_c",
    "clamp_pressure_bar",
    "cycle_time_s",
    "ambient_temp_c",
    "humidity_pct",
)
# Per line: spindle set point (rpm), clamp pressure (bar), cycle-time offset (s), and the gain
# of its vibration sensor; the lines were installed and calibrated at different times.
LINE_SETUP = np.array(
    [
        [8000.0, 60.0, 0.0, 1.00],
        [8000.0, 62.0, 4.0, 0.90],
        [7600.0, 60.0, -3.0, 1.05],
        [8400.0, 59.0, 2.0, 1.20],
    ]
)
TOOL_LIFE_PRODUCTS = 420
CLIMATE_HOURS = 24 * 24  # longer than the run of any line


def _sigmoid(x: FloatArray) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-x))


def _climate(rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """Shop-floor temperature and humidity, hour by hour from START, shared by all lines."""
    hours = np.arange(CLIMATE_HOURS)
    day_cycle = np.sin(2 * np.pi * (hours + 6.0 - 9.0) / 24.0)  # warmest mid-afternoon
    warm, damp = np.zeros(CLIMATE_HOURS), np.zeros(CLIMATE_HOURS)
    for t in range(1, CLIMATE_HOURS):
        warm[t] = 0.95 * warm[t - 1] + rng.normal(0, 0.3)
        damp[t] = 0.97 * damp[t - 1] + rng.normal(0, 1.2)
    ambient = 19.0 + 2.5 * day_cycle + warm
    humidity = np.clip(42.0 - 4.0 * day_cycle + damp, 20.0, 75.0)
    return ambient, humidity


@dataclass(frozen=True)
class _LineState:
    """What one line is doing, product by product (arrays in production order)."""

    seconds: FloatArray  # since START, when machining finished
    hour: FloatArray  # hour of day, 0..24
    wear: FloatArray  # share of the tool's life used, 0..1
    nominal_cycle: FloatArray  # seconds, before the product's own variation
    clamp: FloatArray  # true clamp pressure (bar)
    ambient: FloatArray  # shop-floor temperature (°C)
    humidity: FloatArray  # relative humidity (%)


def _line_state(
    rng: np.random.Generator, line: int, climate: tuple[FloatArray, FloatArray]
) -> _LineState:
    """What one line is doing product by product: times, tool wear, fixture and climate."""
    n = PER_LINE
    wear = np.zeros(n)
    used = 0.0
    # Tools are changed when worn out, or earlier at a planned stop.
    change_at = rng.uniform(0.8, 1.0, n)
    for i in range(n):
        wear[i] = used
        used += 1.0 / TOOL_LIFE_PRODUCTS
        if used >= change_at[i]:
            used = 0.0
    nominal_cycle = 148.0 + LINE_SETUP[line, 2] + 6.0 * wear
    gaps = rng.exponential(30.0, n) + (wear == 0) * rng.uniform(300, 900, n)
    seconds = np.cumsum(nominal_cycle + gaps) + rng.uniform(0, 120)
    elapsed_hours = seconds / 3600.0
    grid = np.arange(CLIMATE_HOURS, dtype=np.float64)
    progress = seconds / seconds[-1]
    worn = 5.5 * progress**1.5 if LINES[line] == WEARING_FIXTURE_LINE else 0.0
    return _LineState(
        seconds=seconds,
        hour=(elapsed_hours + 6.0) % 24,
        wear=wear,
        nominal_cycle=nominal_cycle,
        clamp=LINE_SETUP[line, 1] - worn + rng.normal(0, 0.4, n).cumsum() * 0.02,
        ambient=np.interp(elapsed_hours, grid, climate[0]),
        humidity=np.interp(elapsed_hours, grid, climate[1]) + rng.normal(0, 0.8, n),
    )


def _defects(rng: np.random.Generator, state: _LineState, coolant: FloatArray) -> IntArray:
    """Draw each product's defect type (an index into CLASSES) from the line's state."""
    n = len(coolant)
    night = (state.hour >= 22) | (state.hour < 6)
    rates = np.column_stack(
        [
            0.012 + 0.16 * state.wear**4,
            np.where(night, 0.035, 0.018),
            0.012 * np.exp(0.45 * np.clip(20.5 - coolant, -3, 6)),
            0.006 + 0.25 * _sigmoid((55.5 - state.clamp) / 0.8),
        ]
    )
    normal = np.clip(1.0 - rates.sum(axis=1), 0.0, None)
    probabilities = np.column_stack([normal, rates])
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    cumulative = probabilities.cumsum(axis=1)
    draws = rng.random(n)[:, None]
    return np.asarray((draws > cumulative).sum(axis=1), dtype=np.int64)


def _line_products(
    rng: np.random.Generator, line: int, climate: tuple[FloatArray, FloatArray]
) -> pl.DataFrame:
    """One line's products in production order, with their readings and defect type."""
    n = PER_LINE
    state = _line_state(rng, line, climate)
    coolant = 20.5 + 0.35 * (state.ambient - 19.0) + rng.normal(0, 0.7, n)
    defect = _defects(rng, state, coolant)
    scratch, dent, crack, misalign = (defect == k for k in range(1, 5))
    wear = state.wear
    setpoint, _, _, gain = LINE_SETUP[line]

    load = 55.0 + 14.0 * wear + rng.normal(0, 3.5, n) + crack * rng.uniform(5, 14, n)
    load += scratch * 2.5
    speed = setpoint - 0.6 * (load - 55.0) + rng.normal(0, 25, n) - scratch * rng.uniform(10, 80, n)
    vibration = gain * (
        1.1
        + 1.4 * wear**2
        + rng.normal(0, 0.18, n)
        + scratch * rng.uniform(0.3, 1.3, n)
        + crack * 0.25
        + misalign * 0.35
    )
    clamp = state.clamp + rng.normal(0, 1.2, n) + dent * rng.uniform(2, 8, n)
    clamp -= misalign * rng.uniform(0.5, 4, n)
    cycle = state.nominal_cycle + rng.normal(0, 2.5, n) + misalign * rng.uniform(3, 14, n)
    cycle -= dent * rng.uniform(0, 3, n)
    shift = np.select([state.hour < 6, state.hour < 14, state.hour < 22], ["C", "A", "B"], "C")
    return pl.DataFrame(
        {
            "seconds": state.seconds,
            "line": np.full(n, LINES[line]),
            "shift": shift,
            "tool_life_used_pct": np.round(100 * wear, 1),
            "spindle_speed_rpm": np.round(speed).astype(np.int32),
            "spindle_load_pct": np.round(load, 1),
            "vibration_rms_mm_s": np.round(vibration, 3),
            "coolant_temp_c": np.round(coolant, 1),
            "clamp_pressure_bar": np.round(clamp, 1),
            "cycle_time_s": np.round(cycle, 1),
            "ambient_temp_c": np.round(state.ambient + rng.normal(0, 0.2, n), 1),
            "humidity_pct": np.round(state.humidity, 1),
            TARGET: np.asarray(CLASSES)[defect],
        }
    )


def naive_bayes_baseline(train: pl.DataFrame, test: pl.DataFrame) -> StrArray:
    """Defect labels for ``test`` from Gaussian naive Bayes fitted on ``train``.

    Sensors are first standardised within each line, which removes the lines' calibration
    offsets; the priors are the class shares in train.
    """

    def standardised(frame: pl.DataFrame) -> FloatArray:
        columns = [
            ((pl.col(c) - pl.col(f"{c}_mean")) / pl.col(f"{c}_std")).alias(c) for c in SENSORS
        ]
        joined = frame.join(line_stats, on="line", how="left", maintain_order="left")
        return np.asarray(joined.select(columns).to_numpy(), dtype=np.float64)

    line_stats = train.group_by("line").agg(
        *[pl.col(c).mean().alias(f"{c}_mean") for c in SENSORS],
        *[pl.col(c).std().alias(f"{c}_std") for c in SENSORS],
    )
    x_train, x_test = standardised(train), standardised(test)
    labels = train.get_column(TARGET).to_numpy()
    log_posterior = np.zeros((len(x_test), len(CLASSES)))
    for k, label in enumerate(CLASSES):
        members = x_train[labels == label]
        mean, var = members.mean(axis=0), members.var(axis=0) + 1e-3
        log_likelihood = -0.5 * (((x_test - mean) ** 2) / var + np.log(var)).sum(axis=1)
        log_posterior[:, k] = log_likelihood + np.log(len(members) / len(x_train))
    predicted: StrArray = np.asarray(CLASSES)[log_posterior.argmax(axis=1)]
    return predicted


def build_tables() -> Tables:
    """Generate every table of the bundle from the fixed seed."""
    rng = np.random.default_rng(SEED)
    climate = _climate(rng)
    products = pl.concat([_line_products(rng, line, climate) for line in range(len(LINES))])
    products = products.sort("seconds", "line")
    produced_at = START + np.round(products.get_column("seconds").to_numpy()).astype(
        "timedelta64[s]"
    )
    products = products.drop("seconds").insert_column(
        0, pl.Series("produced_at", np.char.replace(np.datetime_as_string(produced_at), "T", " "))
    )
    products = products.insert_column(
        0, pl.Series("id", [f"P-{i:06d}" for i in range(1, len(products) + 1)])
    )
    train, rest = products.head(N_TRAIN), products.slice(N_TRAIN)
    test = rest.drop(TARGET)

    ids = test.get_column("id")
    baseline = naive_bayes_baseline(train, test)
    return Tables(
        train=train,
        test=test,
        solution=_solution_table(test, rest.get_column(TARGET), seed=SEED + 1),
        sample_submission=pl.DataFrame([ids, pl.Series(TARGET, np.full(len(ids), "normal"))]),
        baseline=pl.DataFrame([ids, pl.Series(TARGET, baseline)]),
    )


def write_bundle(dest: Path, *, now: datetime) -> Path:
    """Write ``dest/smart-factory-defects/`` and return it; phase dates are relative to ``now``."""
    return _write_bundle(dest, SPEC, challenge_text(SPEC), build_tables(), now=now)
