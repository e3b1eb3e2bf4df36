"""Time the scorer: read, check + align, score, at 100k, 1M and 10M rows.

Usage::

    .venv/bin/python bench/bench_scoring.py                 # 100k, 1M, 10M
    .venv/bin/python bench/bench_scoring.py --sizes 100000  # just one size
    .venv/bin/python bench/bench_scoring.py --workdir /tmp/aihub-bench --runs 5

For each size and id type (dense integers, sparse integers, text ids; all in random order)
it writes a solution (30% public) and a submission of full-precision probabilities, warms
the truth cache, then reports the median of ``--runs`` runs of each phase (ms):

- read: open the file (size, format, encoding) and parse the id and prediction columns;
- check: ``check_submission``, i.e. read plus the value checks, the id lookup and the
  scatter into truth order;
- score: ROC AUC on the public and the private split (the metric module);
- total: ``score_file``, the whole job short of storing the result (best: its fastest run).

The machine line gives NumPy's sort time and the load average: on a shared machine the
figures move with the neighbours' load, so read them against that line.

It also reports preparing the truth from the CSV and loading it from the disk cache.
Compare with /work/shared/reference/scoring-performance.md (2-core machine).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from aihub.evaluation.metrics.base import MetricParams
from aihub.evaluation.scoring import ScoringSpec, TruthCache, check_submission, score, score_file
from aihub.evaluation.scoring.check import DEFAULT_SUBMISSION_MAX_BYTES
from aihub.evaluation.scoring.truth import Truth

SPEC = ScoringSpec("roc_auc", MetricParams(), "id", ("anomaly",))
MAX_BYTES = 4 * DEFAULT_SUBMISSION_MAX_BYTES


def make_files(directory: Path, n: int, id_type: str, seed: int = 0) -> tuple[Path, Path]:
    """Write solution.csv and submission.csv for ``n`` rows (cached across runs)."""
    solution = directory / f"solution-{id_type}-{n}.csv"
    submission = directory / f"submission-{id_type}-{n}.csv"
    if solution.exists() and submission.exists():
        return solution, submission
    rng = np.random.default_rng(seed)
    if id_type == "dense":
        ids: pl.Series = pl.Series("id", rng.permutation(n) + 1)
    elif id_type == "sparse":
        ids = pl.Series("id", rng.choice(2**40, size=n, replace=False))
    else:
        ids = "TEST_" + pl.Series("id", rng.permutation(n)).cast(pl.String).str.zfill(8)
    labels = rng.integers(0, 2, n)
    split = np.where(rng.random(n) < 0.3, "public", "private")
    pl.DataFrame({"id": ids, "anomaly": labels, "split": split}).write_csv(solution)
    order = rng.permutation(n)
    predictions = np.clip(labels * 0.2 + rng.random(n), 0, 1)[order]
    pl.DataFrame({"id": ids.gather(order), "anomaly": predictions}).write_csv(submission)
    return solution, submission


def timings_ms(function: Callable[[], object], runs: int) -> list[float]:
    function()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def median_ms(function: Callable[[], object], runs: int) -> float:
    return statistics.median(timings_ms(function, runs))


def read_only(path: Path, truth: Truth) -> None:
    from aihub.evaluation.scoring.check import _parse
    from aihub.evaluation.scoring.reading import open_table

    _parse(open_table(path, original_name=path.name, max_bytes=MAX_BYTES), truth)


def bench_one(workdir: Path, n: int, id_type: str, runs: int) -> dict[str, float | str]:
    solution, submission = make_files(workdir, n, id_type)
    with tempfile.TemporaryDirectory() as cache_dir:
        start = time.perf_counter()
        truth = TruthCache(Path(cache_dir)).get(solution, None, SPEC)
        prepare = time.perf_counter() - start
        start = time.perf_counter()
        truth = TruthCache(Path(cache_dir)).get(solution, None, SPEC)
        from_disk = time.perf_counter() - start
    read = median_ms(lambda: read_only(submission, truth), runs)
    checked = median_ms(
        lambda: check_submission(submission, truth, SPEC, max_bytes=MAX_BYTES), runs
    )
    aligned = check_submission(submission, truth, SPEC, max_bytes=MAX_BYTES)
    scored = median_ms(lambda: score(truth, aligned, SPEC), runs)
    totals = timings_ms(lambda: score_file(submission, truth, SPEC, max_bytes=MAX_BYTES), runs)
    return {
        "rows": f"{n:,}",
        "ids": id_type,
        "index": truth.index.kind,
        "MB": f"{submission.stat().st_size / 1e6:.1f}",
        "read": read,
        "check": checked,
        "score": scored,
        "total": statistics.median(totals),
        # The least disturbed run, for a machine shared with others.
        "best": min(totals),
        "prepare truth (s)": prepare,
        "truth from disk (s)": from_disk,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000, 10_000_000])
    parser.add_argument("--ids", nargs="+", default=["dense", "sparse", "text"])
    parser.add_argument("--runs", type=int, default=0, help="runs per phase (default by size)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "aihub-bench")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print_machine()
    rows = []
    for n in args.sizes:
        runs = args.runs or (21 if n <= 100_000 else 7 if n <= 1_000_000 else 3)
        for id_type in args.ids:
            rows.append(bench_one(args.workdir, n, id_type, runs))
            print_row(rows[-1], header=len(rows) == 1)


def print_machine() -> None:
    """How fast and how busy this machine is, to read the figures against the reference."""
    values = np.random.default_rng(0).random(10_000_000)
    sort_ms = median_ms(lambda: np.sort(values), 3)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"np.sort of 10M floats: {sort_ms:.0f} ms; load average {load}; {os.cpu_count()} CPUs")


def print_row(row: dict[str, float | str], *, header: bool) -> None:
    widths = [11, 7, 8, 6, 8, 8, 8, 8, 8, 18, 19]
    if header:
        print(" ".join(f"{name:>{w}}" for name, w in zip(row, widths, strict=True)))
    cells = []
    for value, width in zip(row.values(), widths, strict=True):
        text = value if isinstance(value, str) else f"{value:.1f}"
        if isinstance(value, float) and width >= 18:
            text = f"{value:.2f}"
        cells.append(f"{text:>{width}}")
    print(" ".join(cells), flush=True)


if __name__ == "__main__":
    main()
