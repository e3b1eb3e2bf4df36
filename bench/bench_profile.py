"""Time the dataset file profiler on a large synthetic CSV: MB/s and peak memory.

Usage::

    .venv/bin/python bench/bench_profile.py                   # 1024 MB UTF-8, 256 MB CP949
    .venv/bin/python bench/bench_profile.py --size-mb 100 --cp949-mb 50
    .venv/bin/python bench/bench_profile.py --readers          # also time the raw readers

The file (written once, deterministically, into ``--workdir``) has an integer id, Korean
city names (few distinct), Korean two-word names, floats and integers with missing values,
dates, datetimes, booleans and quoted Korean notes with commas, 30% missing. Each profile
runs in a fresh process, so that its peak RSS (``ru_maxrss``) and CPU time (user + system,
all threads, interpreter start-up and imports included) are its own. The figure to hold is
that the peak stays flat as the file grows (bounded memory), not its value. On a shared
machine read MiB/s against the load average printed first, and CPU seconds as the work
done whatever the load: with two cores the wall time approaches CPU / 2 when the reader
and the statistics overlap.

``--readers`` times one pass over the file with pyarrow's streaming CSV reader (what the
profiler uses) and with Polars' lazy scan in batches, every column as text, without
profiling anything: the comparison behind the choice in ``profile_csv.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

CITIES = ["서울", "부산", "대구", "인천", "광주", "대전", "울산", "세종", "수원", "창원"]
WORDS = ["데이터", "인공지능", "측정", "도로", "교통", "대기질", "미세먼지", "센서", "공공",
         "분석", "station", "북구", "남구", "중구", "동구", "서구", "유성구", "해운대", "관측",
         "hello"]
CHUNK_ROWS = 100_000


def chunk(rng: np.random.Generator, start: int, n: int) -> pl.DataFrame:
    """``n`` rows of the synthetic table, from id ``start``."""
    words = pl.Series(WORDS)

    def pick(series: pl.Series) -> pl.Series:
        return series.gather(rng.integers(0, len(series), n))

    def holes(series: pl.Series, share: float) -> pl.Series:
        return series.scatter(np.flatnonzero(rng.random(n) < share), None)

    base = np.datetime64("2020-01-01")
    days = rng.integers(0, 1500, n)
    seconds = (base.astype("datetime64[s]") + days * 86400 + rng.integers(0, 86400, n))
    return pl.DataFrame({
        "id": np.arange(start, start + n),
        "city": pick(pl.Series(CITIES)),
        "name": pick(words) + " " + pick(words),
        "score": holes(pl.Series(np.round(rng.normal(50, 15, n), 3)), 0.05),
        "count": holes(pl.Series(rng.integers(0, 10_000, n)), 0.1),
        "day": pl.Series((base + days).astype("datetime64[D]")),
        "measured_at": pl.Series(seconds.astype("datetime64[ms]")),
        "ok": rng.random(n) < 0.5,
        "note": holes(pick(words) + ", " + pick(words) + " " + pick(words), 0.3),
    })


def write_csv(path: Path, size_mb: int, encoding: str = "utf-8") -> Path:
    """Write (once) a CSV of about ``size_mb`` MiB in ``encoding``; the same bytes each time."""
    if path.exists():
        return path
    rng = np.random.default_rng(0)
    target = size_mb * 1024 * 1024
    partial = path.with_suffix(".part")
    with partial.open("wb") as out:
        written, start = 0, 0
        while written < target:
            frame = chunk(rng, start, CHUNK_ROWS)
            text = frame.write_csv(include_header=start == 0,
                                   datetime_format="%Y-%m-%d %H:%M:%S")
            written += out.write(text.encode(encoding))
            start += CHUNK_ROWS
    partial.rename(path)
    return path


def run_child(mode: str, path: Path) -> dict[str, float | str]:
    """Run one measurement in a fresh interpreter; its own peak RSS comes back with it."""
    out = subprocess.run([sys.executable, __file__, "--child", mode, str(path)],
                         check=True, capture_output=True, text=True)
    result: dict[str, float | str] = json.loads(out.stdout.splitlines()[-1])
    return result


def child(mode: str, path: Path) -> None:
    import resource

    start = time.perf_counter()
    summary = ""
    if mode == "profile":
        from aihub.datasets.profile import profile_path

        profile = profile_path(path, filename=path.name)
        summary = (f"{profile.row_count:,} rows, {profile.encoding}, "
                   f"{len(profile.problems)} problems")
    elif mode == "pyarrow":
        summary = f"{_pyarrow_pass(path):,} rows"
    else:
        summary = f"{_polars_pass(path):,} rows"
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
                      "peak_mb": usage.ru_maxrss / 1024, "summary": summary}))


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return handle.readline().strip().split(",")


def _pyarrow_pass(path: Path) -> int:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = _header(path)
    reader = pacsv.open_csv(
        path, read_options=pacsv.ReadOptions(block_size=4 << 20, use_threads=False),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
    )
    return sum(batch.num_rows for batch in reader)


def _polars_pass(path: Path) -> int:
    batches = pl.scan_csv(path, infer_schema=False).collect_batches(chunk_size=200_000)
    return sum(frame.height for frame in batches)


def report(label: str, path: Path, mode: str) -> None:
    result = run_child(mode, path)
    size_mb = path.stat().st_size / 2**20
    seconds = float(result["seconds"])
    print(f"{label:<20} {size_mb:>6.0f} MiB {seconds:>7.2f} s {size_mb / seconds:>7.1f} MiB/s "
          f"CPU {float(result['cpu']):>6.2f} s  peak RSS {float(result['peak_mb']):>4.0f} MiB  "
          f"({result['summary']})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--cp949-mb", type=int, default=256,
                        help="size of the CP949 variant (0 to skip)")
    parser.add_argument("--readers", action="store_true",
                        help="also time one raw pass of pyarrow's and Polars' readers")
    parser.add_argument("--workdir", type=Path,
                        default=Path(tempfile.gettempdir()) / "aihub-bench-profile")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs; load average {load}")
    utf8 = write_csv(args.workdir / f"synthetic-{args.size_mb}mb.csv", args.size_mb)
    report("profile UTF-8", utf8, "profile")
    if args.cp949_mb:
        cp949 = write_csv(args.workdir / f"synthetic-{args.cp949_mb}mb-cp949.csv",
                          args.cp949_mb, "cp949")
        report("profile CP949", cp949, "profile")
    if args.readers:
        report("read only: pyarrow", utf8, "pyarrow")
        report("read only: polars", utf8, "polars")


if __name__ == "__main__":
    main()
