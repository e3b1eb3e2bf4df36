"""The truth cache: memory hits, disk copies a fresh worker loads without the CSV, threads."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scoring_helpers import BINARY_SOLUTION, GOOD, WriteFile, rows, spec

from aihub.evaluation.scoring import TruthCache, file_sha256, score_file
from aihub.evaluation.scoring import truth as truth_module
from aihub.evaluation.scoring.cache import read_truth, save_truth
from aihub.evaluation.scoring.ids import DenseIndex, HashIndex, PatternIndex


def test_second_get_is_a_memory_hit(write: WriteFile, tmp_path: Path) -> None:
    solution = write("solution.csv", BINARY_SOLUTION)
    cache = TruthCache(tmp_path / "cache")
    first = cache.get(solution, None, spec())
    assert cache.get(solution, file_sha256(solution), spec()) is first
    assert (cache.stats.builds, cache.stats.memory_hits, cache.stats.disk_loads) == (1, 1, 0)


def test_fresh_cache_loads_from_disk_without_the_csv(write: WriteFile, tmp_path: Path) -> None:
    solution = write("solution.csv", BINARY_SOLUTION)
    sha = file_sha256(solution)
    built = TruthCache(tmp_path / "cache").get(solution, sha, spec())
    solution.unlink()
    fresh = TruthCache(tmp_path / "cache")
    loaded = fresh.get(solution, sha, spec())
    assert (fresh.stats.builds, fresh.stats.disk_loads) == (0, 1)
    assert loaded.ids.to_list() == built.ids.to_list()
    assert np.array_equal(loaded.targets, built.targets)
    submission = write("s.csv", rows(GOOD))
    assert score_file(submission, loaded, spec()) == score_file(submission, built, spec())


def test_disk_copy_is_keyed_by_the_spec(write: WriteFile, tmp_path: Path) -> None:
    solution = write("solution.csv", BINARY_SOLUTION)
    sha = file_sha256(solution)
    TruthCache(tmp_path / "cache").get(solution, sha, spec())
    other = TruthCache(tmp_path / "cache")
    assert other.get(solution, sha, spec("log_loss")).params.labels == ()
    assert other.stats.builds == 1


def test_without_directory_it_only_keeps_memory(write: WriteFile) -> None:
    solution = write("solution.csv", BINARY_SOLUTION)
    cache = TruthCache()
    cache.get(solution, None, spec())
    cache.clear()
    cache.get(solution, None, spec())
    assert cache.stats.builds == 2


def test_lru_evicts_the_oldest(write: WriteFile) -> None:
    solution = write("solution.csv", BINARY_SOLUTION)
    cache = TruthCache(max_items=1)
    cache.get(solution, "a", spec())
    cache.get(solution, "b", spec())
    cache.get(solution, "a", spec())
    assert cache.stats.builds == 3
    with pytest.raises(ValueError, match="max_items"):
        TruthCache(max_items=0)


def test_threads_share_one_build(
    write: WriteFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    solution = write("solution.csv", BINARY_SOLUTION)
    cache = TruthCache(tmp_path / "cache")
    calls = []
    real = truth_module.load_truth
    gate = threading.Event()

    def slow_load(*args: object, **kwargs: object) -> object:
        calls.append(1)
        gate.wait(5)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("aihub.evaluation.scoring.cache.load_truth", slow_load)
    results: list[object] = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get(solution, "k", spec())))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    gate.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1
    assert len(results) == 8 and all(r is results[0] for r in results)


@pytest.mark.parametrize(
    ("ids", "index_type"),
    [
        (list(range(100, 160)), DenseIndex),
        ([i * 10**12 for i in range(60)], HashIndex),
        ([f"가-{i:03d}" for i in range(60)], PatternIndex),
        ([f"{i:x}-{i * 7919 % 1000:03d}" for i in range(60)], HashIndex),
    ],
)
@pytest.mark.parametrize(
    ("metric", "targets"),
    [
        ("roc_auc", ["n", "n", "y", "y"] * 15),
        ("accuracy", ["cat", "dog", "cow"] * 20),
        ("roc_auc_ovr", [1, 2, 3] * 20),
        ("rmse", [float(i) / 7 for i in range(60)]),
    ],
)
def test_save_and_read_round_trip(
    tmp_path: Path, ids: list[object], index_type: type, metric: str, targets: list[object]
) -> None:
    split = ["public", "private"] * 30
    pl.DataFrame({"id": ids, "target": targets, "split": split}).write_csv(tmp_path / "s.csv")
    built = truth_module.load_truth(tmp_path / "s.csv", spec(metric))
    assert isinstance(built.index, index_type)
    save_truth(built, tmp_path / "entry")
    loaded = read_truth(tmp_path / "entry", spec(metric))
    for name in ("kind", "params", "id_mode", "bounds", "classes", "label_type"):
        assert getattr(loaded, name) == getattr(built, name), name
    assert loaded.prediction_columns == built.prediction_columns
    assert loaded.ids.equals(built.ids)
    assert np.array_equal(loaded.targets, built.targets)
    assert loaded.targets.dtype == built.targets.dtype
    probe = built.ids.reverse()
    from aihub.evaluation.scoring.ids import lookup

    assert np.array_equal(
        lookup(loaded.index, probe, loaded.id_mode), lookup(built.index, probe, built.id_mode)
    )


def test_a_bad_solution_is_not_cached(write: WriteFile, tmp_path: Path) -> None:
    from aihub.evaluation.scoring import SolutionError

    solution = write("solution.csv", "id,target,split\n1,0,public\n")
    cache = TruthCache(tmp_path / "cache")
    for _ in range(2):
        with pytest.raises(SolutionError, match="private split is empty"):
            cache.get(solution, None, spec())
    assert cache.stats.builds == 0
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())
