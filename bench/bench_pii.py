"""Time the PII scan on a synthetic Korean CSV, against plain ``re`` in the same run.

Usage::

    .venv/bin/python bench/bench_pii.py                      # 1 GB, in a temporary folder
    .venv/bin/python bench/bench_pii.py --size-mb 100        # a smaller file
    .venv/bin/python bench/bench_pii.py --path /tmp/pii.csv  # keep (and reuse) the file

The CSV resembles the one of the shared reference (korean-pii.md, section 5): ids,
timestamps, Korean words, decimals, and planted personal data in a free-text column: a
phone every 200 rows, a labelled name every 997, an RRN every 1,499, an e-mail every
1,009, a vehicle plate every 1,201 and a road address every 1,301. The file is the same
for the same size (fixed seed).

Printed:

- the plain-``re`` baseline: each pattern's ``findall`` over the first 16 MB, as the
  reference measured it (about 2.5 MB/s there);
- the exact stage without the pre-filter (every cell of the same 16 MB through the
  patterns and validators): its counts must equal the scanner's on that sample;
- ``scan_path`` with 1 and 2 workers, each in its own process: MB/s (wall), MB per CPU
  second, peak RSS, and the findings per pattern, which must equal the planted counts.

Exits with status 1 when any count differs. On a shared machine the wall figures move
with the neighbours' load (printed); the CPU figure moves less.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from aihub.datasets.pii import scan_path
from aihub.datasets.pii.detect import find_hits, nfkc
from aihub.datasets.pii.patterns import COMPILED

MiB = 1024 * 1024
SAMPLE_BYTES = 16 * MiB
HEADER = "id,created_at,region,category,comment,amount,score\n"
REGIONS = ["서울", "부산", "대구", "인천", "광주", "대전", "울산", "세종", "경기", "제주"]
CATEGORIES = ["교통", "환경", "에너지", "복지", "안전", "문화", "관광", "보건", "교육", "산업"]
# Hangul words only: no digits, no label word, no honorific, so the filler matches nothing.
_WORDS_TEXT = (
    "데이터 분석 결과 교통 신호 대기 시간 도로 정체 구간 버스 노선 승객 수요 예측 모델 학습 평가 "
    "지표 공공 시설 이용 현황 에너지 소비 전력 사용량 기온 습도 미세먼지 농도 측정 지점 관측 "
    "주간 야간 평일 주말 상승 하락 증가 감소 유지 개선 필요 검토 완료 진행 예정 보고서 자료 "
    "요청 처리 민원 접수 답변 만족도 조사 설문 응답 항목 기준 변경 사항 안내 공지"
)
WORDS = _WORDS_TEXT.split(" ")
NAMES = ["김민수", "이영희", "박지성", "최수진", "정하늘", "강도윤", "조서연", "윤지호", "남궁민"]
PLATE = "가나다라마거너더러머버서어저고노도로모보소오조구누두루무부수우주"
ROADS = ["서울특별시 강남구 테헤란로", "부산광역시 중구 중앙대로", "대전광역시 유성구 대학로",
         "경기도 성남시 분당구 판교역로", "광주광역시 북구 용봉로"]
# (pattern, every n rows, generator of the planted text)
PLANTS = (
    ("KR_MOBILE", 200, lambda r: f"연락처 010-{r.randint(1000, 9999)}-{r.randint(1000, 9999)}"),
    ("KR_NAME_LABELED", 997, lambda r: f"담당자: {r.choice(NAMES)}"),
    ("KR_RRN_OR_FRN", 1499, lambda r: (f"주민번호 {r.randint(60, 99)}{r.randint(1, 12):02d}"
                                       f"{r.randint(1, 28):02d}-{r.randint(1, 2)}"
                                       f"{r.randint(0, 999_999):06d}")),
    ("EMAIL", 1009, lambda r: f"메일 user{r.randint(1, 99_999)}@example.co.kr"),
    ("KR_VEHICLE_PLATE", 1201, lambda r: (f"차량 {r.randint(10, 99)}{r.choice(PLATE)} "
                                          f"{r.randint(1000, 9999)}")),
    ("KR_ROAD_ADDRESS", 1301, lambda r: f"주소 {r.choice(ROADS)} {r.randint(1, 999)}"),
)


def generate(path: Path, size_mb: int, seed: int = 5) -> dict[str, int]:
    """Write the CSV (``size_mb`` MiB, whole rows) and return the planted counts."""
    rnd = random.Random(seed)
    comments = [" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(3, 9)))
                for _ in range(4096)]
    target = size_mb * MiB
    planted = Counter[str]()
    size = len(HEADER.encode())
    row = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        while size < target:
            lines = []
            for _ in range(10_000):
                row += 1
                comment = comments[rnd.getrandbits(12)]
                for pattern, every, make in PLANTS:
                    if row % every == 0:
                        comment += " " + make(rnd)
                        planted[pattern] += 1
                seconds = rnd.getrandbits(16)
                lines.append(
                    f"{row},2024-{row % 12 + 1:02d}-{row % 28 + 1:02d} {seconds % 24:02d}:"
                    f"{seconds % 60:02d}:{seconds // 60 % 60:02d},{REGIONS[row % 10]},"
                    f"{CATEGORIES[seconds % 10]},{comment},{seconds}.{row % 100:02d},"
                    f"0.{rnd.getrandbits(13):04d}\n")
            chunk = "".join(lines)
            out.write(chunk)
            size += len(chunk.encode())
    return dict(planted)


def sample_text(path: Path) -> str:
    with path.open("rb") as raw:
        data = raw.read(SAMPLE_BYTES)
    return data[: data.rfind(b"\n") + 1].decode("utf-8")


def plain_re(text: str) -> float:
    """The reference's baseline: every pattern's findall over the whole text; MB/s."""
    start = time.perf_counter()
    for pattern in COMPILED.values():
        pattern.findall(text)
    return len(text.encode()) / MiB / (time.perf_counter() - start)


def exact_on_every_cell(text: str) -> tuple[Counter[str], float]:
    """The exact stage on every cell, no pre-filter: counts per pattern, and MB/s."""
    start = time.perf_counter()
    counts = Counter[str]()
    for cells in csv.reader(io.StringIO(text.split("\n", 1)[1])):
        for cell in cells:
            counts.update(hit.pattern for hit in find_hits(nfkc(cell)))
    return counts, len(text.encode()) / MiB / (time.perf_counter() - start)


def scan_in_child(path: Path, workers: int) -> dict[str, object]:
    """One scan in a fresh process, so that its peak RSS is its own."""
    out = subprocess.run([sys.executable, __file__, "--scan-only", str(path),
                          "--workers", str(workers)], capture_output=True, text=True,
                         check=True)
    result: dict[str, object] = json.loads(out.stdout)
    return result


def scan_only(path: Path, workers: int) -> int:
    start, cpu = time.perf_counter(), time.process_time()
    report = scan_path(path, filename=path.name, workers=workers)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"wall": wall, "cpu": cpu, "counts": report.totals()["by_pattern"],
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "notes": [n for f in report.files for n in f.notes]}))
    return 0


def _file(args: argparse.Namespace, workdir: Path) -> tuple[Path, dict[str, int]]:
    path = Path(args.path) if args.path else workdir / f"pii-{args.size_mb}mb.csv"
    sidecar = path.with_suffix(".planted.json")
    if path.exists() and sidecar.exists():
        planted: dict[str, int] = json.loads(sidecar.read_text())
        print(f"reusing {path}")
        return path, planted
    start = time.perf_counter()
    planted = generate(path, args.size_mb)
    sidecar.write_text(json.dumps(planted))
    print(f"wrote {path} in {time.perf_counter() - start:.1f} s")
    return path, planted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--size-mb", type=int, default=1024, help="size of the CSV in MiB")
    parser.add_argument("--path", help="where to write the CSV (kept and reused)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--scan-only", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scan_only:
        return scan_only(Path(args.scan_only), args.workers[0])

    with tempfile.TemporaryDirectory(prefix="aihub-pii-") as tmp:
        path, planted = _file(args, Path(tmp))
        size_mb = path.stat().st_size / MiB
        print(f"file: {size_mb:.0f} MiB; planted: {planted}")
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
        text = sample_text(path)
        baseline = plain_re(text)
        print(f"plain re, all patterns, findall over {len(text.encode()) / MiB:.0f} MiB: "
              f"{baseline:.2f} MB/s")
        exact, exact_speed = exact_on_every_cell(text)
        sample = Path(tmp) / "sample.csv"
        sample.write_text(text, encoding="utf-8")
        fast = Counter(scan_path(sample).totals()["by_pattern"])
        same = exact == fast
        print(f"exact stage on every cell of the sample: {exact_speed:.2f} MB/s; "
              f"scanner's counts on the sample {'EQUAL' if same else 'DIFFER'}: {dict(fast)}")
        ok = same
        for workers in args.workers:
            run = scan_in_child(path, workers)
            wall, cpu = float(str(run["wall"])), float(str(run["cpu"]))
            counts_ok = run["counts"] == planted
            ok &= counts_ok
            print(f"scan_path, {workers} worker(s): {size_mb / wall:6.1f} MB/s wall "
                  f"({wall:.1f} s, {size_mb / wall / baseline:.0f}x plain re), "
                  f"{size_mb / cpu:6.1f} MB per CPU-second, "
                  f"peak RSS {float(str(run['rss_mb'])):.0f} MB, load "
                  f"{os.getloadavg()[0]:.2f}; counts {'= planted' if counts_ok else 'DIFFER'}"
                  f" {run['counts']} {run['notes'] or ''}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
