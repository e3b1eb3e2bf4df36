"""The demo bundles: complete per docs/challenge-format.md, deterministic, and scoreable."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
import yaml
from sklearn.metrics import f1_score, roc_auc_score, root_mean_squared_error

from aihub.demo import DEMO_CHALLENGES, DEMO_ORGANIZATIONS, write_demo_bundles
from aihub.demo import elderly_care_power as elderly

KST = timezone(timedelta(hours=9))
NOW = datetime(2026, 11, 21, 9, 30, 15, 123456, tzinfo=UTC)
LATER = NOW + timedelta(days=3, hours=5)
HANGUL = re.compile(r"[가-힣]")
SLUG = re.compile(r"^[a-z0-9-]{3,64}$")
FORMAT_METRICS = {"roc_auc", "rmse", "f1_macro"}  # the ones the demo uses, all in the doc
MB = 1024 * 1024


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two full runs of the demo, at two different moments."""
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    assert write_demo_bundles(first, now=NOW) == [first / slug for slug in DEMO_CHALLENGES]
    write_demo_bundles(second, now=LATER)
    return first, second


@pytest.fixture(params=DEMO_CHALLENGES)
def bundle(request: pytest.FixtureRequest, runs: tuple[Path, Path]) -> Path:
    folder: Path = runs[0] / request.param
    return folder


def load_document(bundle: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((bundle / "challenge.yaml").read_text("utf-8"))
    return document


def read(bundle: Path, name: str) -> pl.DataFrame:
    # Polars infers types from the first rows: this also checks the files read cleanly.
    return pl.read_csv(bundle / name)


def test_demo_challenges_are_listed_in_order() -> None:
    assert DEMO_CHALLENGES == (
        "elderly-care-power",
        "daejeon-traffic-speed",
        "smart-factory-defects",
    )


def test_files_are_identical_across_runs_except_phase_dates(runs: tuple[Path, Path]) -> None:
    first, second = runs
    names = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in names:
        a, b = (first / name).read_bytes(), (second / name).read_bytes()
        if name.name != "challenge.yaml":
            assert a == b, name
            continue
        assert a != b
        dated = re.compile(rb"^\s*(start|end): .*$", re.MULTILINE)
        assert dated.sub(b"", a) == dated.sub(b"", b), name


def test_challenge_yaml_has_every_field_of_the_format(bundle: Path) -> None:
    doc = load_document(bundle)
    assert SLUG.match(doc["slug"])
    assert doc["slug"] == bundle.name
    assert doc["organization"] in {org.slug for org in DEMO_ORGANIZATIONS}
    for key in ("title", "summary"):
        assert set(doc[key]) == {"ko", "en"}
        assert HANGUL.search(doc[key]["ko"])
        assert doc[key]["en"].isascii()
    for key in ("description", "rules"):
        for lang in ("ko", "en"):
            assert (bundle / doc[key][lang]["file"]).is_file()
    assert doc["visibility"] in {"public", "unlisted", "invite-only"}
    assert isinstance(doc["max_team_size"], int)
    assert doc["max_team_size"] >= 1

    evaluation = doc["evaluation"]
    assert evaluation["metric"] in FORMAT_METRICS
    # Label metrics publish their classes, so no message has to hide (or leak) them.
    labels = evaluation["metric_params"].get("labels")
    if evaluation["metric"] == "f1_macro":
        train = pl.read_csv(bundle / "train.csv")
        assert set(labels) == set(train.get_column(evaluation["target"]).unique())
    else:
        assert evaluation["metric_params"] == {}
    assert evaluation["id_column"] == "id"
    assert isinstance(evaluation["target"], str)
    assert evaluation["split_column"] == "Usage"
    assert (bundle / evaluation["solution"]).is_file()

    paths = [f["path"] for f in doc["files"]]
    assert paths == ["train.csv", "test.csv", "sample_submission.csv"]
    assert evaluation["solution"] not in paths
    assert doc["sample_submission"] in paths
    for entry in doc["files"]:
        assert (bundle / entry["path"]).is_file()
        assert set(entry["description"]) == {"ko", "en"}

    (phase,) = doc["phases"]
    assert phase["name"] == "main"
    assert set(phase["title"]) == {"ko", "en"}
    assert phase["daily_limit"] >= 1
    assert phase["final_selections"] >= 1
    for baseline in doc["baselines"]:
        assert set(baseline["name"]) == {"ko", "en"}
        assert (bundle / baseline["file"]).is_file()


def test_phase_dates_are_relative_to_now_in_korean_time(bundle: Path) -> None:
    (phase,) = load_document(bundle)["phases"]
    start, end = phase["start"], phase["end"]
    assert isinstance(start, datetime)
    assert isinstance(end, datetime)
    assert start.utcoffset() == end.utcoffset() == timedelta(hours=9)
    assert start == NOW.replace(microsecond=0) - timedelta(days=14)
    assert end == NOW.replace(microsecond=0) + timedelta(days=90)
    text = (bundle / "challenge.yaml").read_text("utf-8")
    assert "start: 2026-11-07T18:30:15+09:00\n" in text


def test_a_naive_now_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        elderly.write_bundle(tmp_path, now=datetime(2026, 11, 21, 9, 0))


def test_ids_match_across_test_solution_sample_and_baseline(bundle: Path) -> None:
    doc = load_document(bundle)
    ids = read(bundle, "test.csv").get_column("id")
    assert ids.n_unique() == len(ids)
    assert not set(ids.to_list()) & set(read(bundle, "train.csv").get_column("id").to_list())
    others = [doc["evaluation"]["solution"], doc["sample_submission"]]
    others += [b["file"] for b in doc["baselines"]]
    for name in others:
        assert read(bundle, name).get_column("id").to_list() == ids.to_list(), name


def test_solution_has_public_and_private_rows(bundle: Path) -> None:
    doc = load_document(bundle)
    solution = read(bundle, "solution.csv")
    target = doc["evaluation"]["target"]
    assert solution.columns == ["id", target, "Usage"]
    assert solution.null_count().sum_horizontal().item() == 0
    usage = solution.get_column("Usage")
    assert set(usage.unique().to_list()) == {"Public", "Private"}
    assert 0.25 < (usage == "Public").mean() < 0.35


def test_test_file_has_no_label_and_train_has_it(bundle: Path) -> None:
    target = load_document(bundle)["evaluation"]["target"]
    train, test = read(bundle, "train.csv"), read(bundle, "test.csv")
    assert target in train.columns
    assert target not in test.columns
    assert test.columns == [c for c in train.columns if c != target]
    sample = read(bundle, "sample_submission.csv")
    assert sample.columns == ["id", target]


def _score(metric: str, truth: pl.Series, predicted: pl.Series) -> float:
    if metric == "roc_auc":
        return float(roc_auc_score(truth.to_numpy(), predicted.to_numpy()))
    if metric == "rmse":
        return float(root_mean_squared_error(truth.to_numpy(), predicted.to_numpy()))
    assert metric == "f1_macro"
    return float(f1_score(truth.to_numpy(), predicted.to_numpy(), average="macro", zero_division=0))


# Baselines must beat the sample submission clearly, yet leave room for participants.
EXPECTED_SCORES = {
    "elderly-care-power": {"sample": (0.5, 0.5), "baseline": (0.8, 0.99)},
    "daejeon-traffic-speed": {"sample": (10.0, 20.0), "baseline": (2.0, 6.0)},
    "smart-factory-defects": {"sample": (0.15, 0.2), "baseline": (0.45, 0.9)},
}


def test_baseline_beats_the_sample_submission_but_is_not_perfect(bundle: Path) -> None:
    doc = load_document(bundle)
    metric, target = doc["evaluation"]["metric"], doc["evaluation"]["target"]
    solution = read(bundle, "solution.csv")
    (baseline_file,) = [b["file"] for b in doc["baselines"]]
    scores = {}
    for name, path in (("sample", doc["sample_submission"]), ("baseline", baseline_file)):
        joined = solution.join(read(bundle, path), on="id", suffix="_pred")
        for part in ("Public", "Private"):
            rows = joined.filter(pl.col("Usage") == part)
            scores[name, part] = _score(metric, rows[target], rows[f"{target}_pred"])
        scores[name] = _score(metric, joined[target], joined[f"{target}_pred"])
    for name, (low, high) in EXPECTED_SCORES[bundle.name].items():
        assert low <= scores[name] <= high, (name, scores)
    for part in ("Public", "Private"):
        baseline, sample = scores["baseline", part], scores["sample", part]
        assert baseline < sample if metric == "rmse" else baseline > sample


def test_texts_are_utf8_markdown_with_korean(bundle: Path) -> None:
    for kind in ("description", "rules"):
        ko = (bundle / f"{kind}.ko.md").read_bytes().decode("utf-8", errors="strict")
        en = (bundle / f"{kind}.en.md").read_bytes().decode("utf-8", errors="strict")
        assert ko.startswith("# ")
        assert en.startswith("# ")
        assert len(HANGUL.findall(ko)) > 200
        assert ko.endswith("\n")
        assert "\r" not in ko + en
    description = (bundle / "description.en.md").read_text("utf-8")
    assert "synthetic" in description
    target = load_document(bundle)["evaluation"]["target"]
    for column in read(bundle, "train.csv").columns:
        # Numbered columns are documented as a range, such as `h00` … `h23`.
        assert f"`{column}`" in description or f"`{column.rstrip('0123456789')}" in description
    assert f"`{target}`" in (bundle / "description.ko.md").read_text("utf-8")


def test_bundles_are_small(bundle: Path) -> None:
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file())
    assert size < 10 * MB
    assert 5_000 <= read(bundle, "test.csv").height <= 15_000
    assert 20_000 <= read(bundle, "train.csv").height <= 40_000


def test_elderly_care_anomalies_are_rare_and_split_by_date(runs: tuple[Path, Path]) -> None:
    bundle = runs[0] / "elderly-care-power"
    train, test = read(bundle, "train.csv"), read(bundle, "test.csv")
    assert 0.03 < train.get_column("anomaly").mean() < 0.06
    assert train.get_column("date").max() < test.get_column("date").min()
    assert train.get_column("household_id").n_unique() == 300
    assert set(train.get_column("household_id")) == set(test.get_column("household_id"))
    hours = train.select([f"h{h:02d}" for h in range(24)]).to_numpy()
    assert hours.min() > 0
    # Routines: more use at breakfast and dinner time than in the small hours.
    profile = hours.mean(axis=0)
    assert profile[7] > 2 * profile[3]
    assert profile[18] > 2 * profile[3]


def test_traffic_rush_hours_slow_the_inbound_side(runs: tuple[Path, Path]) -> None:
    train = read(runs[0] / "daejeon-traffic-speed", "train.csv")
    weekday = train.filter((pl.col("dow") < 5) & (pl.col("is_holiday") == 0))
    by_hour = weekday.group_by("hour", "direction").agg(pl.col("speed_kmh").mean())

    def speed(hour: int, direction: str) -> float:
        row = by_hour.filter((pl.col("hour") == hour) & (pl.col("direction") == direction))
        return float(row.get_column("speed_kmh").item())

    assert speed(8, "상행") < speed(8, "하행") < speed(3, "하행")
    assert speed(18, "하행") < speed(18, "상행") < speed(3, "상행")
    assert train.get_column("segment_id").n_unique() == 200


def test_factory_defects_are_imbalanced_with_string_ids(runs: tuple[Path, Path]) -> None:
    bundle = runs[0] / "smart-factory-defects"
    train, solution = read(bundle, "train.csv"), read(bundle, "solution.csv")
    assert train.get_column("id").dtype == pl.String
    assert all(re.fullmatch(r"P-\d{6}", i) for i in solution.get_column("id"))
    for frame in (train, solution):
        shares = frame.get_column("defect_type").value_counts(normalize=True)
        share = dict(zip(shares["defect_type"], shares["proportion"], strict=True))
        assert set(share) == {"normal", "scratch", "dent", "crack", "misalign"}
        assert 0.85 < share["normal"] < 0.95
        assert min(share.values()) > 0.005
    baseline = read(bundle, "baselines/naive_bayes.csv").get_column("defect_type")
    assert np.isin(baseline.unique().to_numpy(), list(share)).all()
