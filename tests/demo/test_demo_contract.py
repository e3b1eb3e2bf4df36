"""The demo bundles as the rest of the hub sees them: its bundle reader and its metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from aihub.challenges.bundle import open_bundle
from aihub.demo import DEMO_CHALLENGES, DEMO_ORGANIZATIONS, write_demo_bundles
from aihub.evaluation.metrics import PredictionKind, get_metric

NOW = datetime(2026, 11, 21, 0, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_demo_bundles(tmp_path_factory.mktemp("bundles"), now=NOW)


def test_the_hub_reads_every_demo_bundle(folders: list[Path]) -> None:
    hosts = {org.slug for org in DEMO_ORGANIZATIONS}
    for folder in folders:
        with open_bundle(folder, max_bytes=50 * 1024 * 1024) as bundle:
            spec = bundle.spec
            assert spec.slug == folder.name
            assert spec.organization in hosts
            title_ko, title_en = bundle.localized(spec.title)
            description_ko, description_en = bundle.localized(spec.description)
            rules_ko, rules_en = bundle.localized(spec.rules)
            assert title_ko != title_en
            assert description_ko.startswith("# ")
            assert description_en.startswith("# ")
            assert rules_ko != rules_en
            for item in spec.files:
                assert bundle.file(item.path).is_file()
            assert bundle.file(spec.evaluation.solution).is_file()
            for baseline in spec.baselines:
                assert bundle.file(baseline.file).is_file()
            assert [phase.name for phase in spec.phases] == ["main"]
    assert [folder.name for folder in folders] == list(DEMO_CHALLENGES)


@pytest.mark.parametrize("slug", DEMO_CHALLENGES)
def test_the_hub_metric_ranks_the_baseline_above_the_sample(folders: list[Path], slug: str) -> None:
    folder = folders[DEMO_CHALLENGES.index(slug)]
    with open_bundle(folder, max_bytes=50 * 1024 * 1024) as bundle:
        evaluation = bundle.spec.evaluation
        assert isinstance(evaluation.target, str)
        solution = pl.read_csv(bundle.file(evaluation.solution))
        submissions = {
            "sample": pl.read_csv(bundle.file(bundle.spec.sample_submission or "")),
            "baseline": pl.read_csv(bundle.file(bundle.spec.baselines[0].file)),
        }
    metric = get_metric(evaluation.metric)
    y_true = solution.get_column(evaluation.target).to_numpy()
    scores = {}
    for name, submission in submissions.items():
        y_pred = submission.get_column(evaluation.target).to_numpy()
        if metric.kind is PredictionKind.LABEL:
            assert y_pred.dtype == y_true.dtype
        else:
            assert np.issubdtype(y_pred.dtype, np.floating)
        scores[name] = metric(y_true, y_pred)
    assert metric.better(scores["baseline"], scores["sample"]), scores
