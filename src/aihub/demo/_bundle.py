"""Writing one challenge bundle folder: ``challenge.yaml``, Markdown texts and CSV tables.

The three demo generators only decide data and words; this module turns them into the layout
of docs/challenge-format.md. Output is byte-stable: tables come from fixed-seed arrays and are
written by Polars with fixed rounding, so the only bytes that change between runs are the
phase dates, which are relative to ``now``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import yaml

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]
DateArray = npt.NDArray[np.datetime64]

KST = timezone(timedelta(hours=9))
# The demo phase is already running when the hub starts, so the board has a history to show.
PHASE_STARTED_AGO = timedelta(days=14)
PHASE_ENDS_IN = timedelta(days=90)
PUBLIC_SHARE = 0.3
SPLIT_COLUMN = "Usage"
ID_COLUMN = "id"


@dataclass(frozen=True)
class Bilingual:
    """The same text in Korean and English."""

    ko: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"ko": self.ko, "en": self.en}


@dataclass(frozen=True)
class ChallengeText:
    """Everything a participant reads, in both languages; long texts are Markdown."""

    title: Bilingual
    summary: Bilingual
    description: Bilingual
    rules: Bilingual
    train_file: Bilingual
    test_file: Bilingual
    baseline_name: Bilingual


@dataclass(frozen=True)
class ChallengeSpec:
    """The settings of ``challenge.yaml`` that are not text."""

    slug: str
    organization: str
    metric: str
    target: str
    baseline_file: str
    max_team_size: int = 4
    daily_limit: int = 5
    total_limit: int = 100
    final_selections: int = 2
    # The classes of a label metric, published so that messages may name them.
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tables:
    """The CSV files of a bundle; ``solution`` and ``baseline`` stay with the host."""

    train: pl.DataFrame
    test: pl.DataFrame
    solution: pl.DataFrame
    sample_submission: pl.DataFrame
    baseline: pl.DataFrame


class _Dumper(yaml.SafeDumper):
    """A safe dumper that writes datetimes as ISO 8601 with a ``T``, as the format doc shows."""


def _represent_datetime(dumper: yaml.SafeDumper, value: datetime) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", value.isoformat())


_Dumper.add_representer(datetime, _represent_datetime)


def phase_window(now: datetime) -> tuple[datetime, datetime]:
    """The main phase's start and end in Korean time, relative to ``now`` (timezone-aware)."""
    if now.tzinfo is None or now.utcoffset() is None:
        msg = "now must be timezone-aware, e.g. datetime.now(UTC)"
        raise ValueError(msg)
    local = now.astimezone(KST).replace(microsecond=0)
    return local - PHASE_STARTED_AGO, local + PHASE_ENDS_IN


def usage_split(n: int, seed: int) -> pl.Series:
    """``Public`` for a fixed random ~30% of ``n`` rows and ``Private`` for the rest."""
    if n < 2:
        msg = "a split needs at least two rows"
        raise ValueError(msg)
    n_public = min(max(round(n * PUBLIC_SHARE), 1), n - 1)
    is_public = np.zeros(n, dtype=bool)
    is_public[np.random.default_rng(seed).permutation(n)[:n_public]] = True
    return pl.Series(SPLIT_COLUMN, np.where(is_public, "Public", "Private"))


def solution_table(test: pl.DataFrame, target: pl.Series, seed: int) -> pl.DataFrame:
    """The hidden solution: the test ids in test order, the target and the split column."""
    ids = test.get_column(ID_COLUMN)
    return pl.DataFrame([ids, target, usage_split(len(ids), seed)])


def challenge_document(
    spec: ChallengeSpec, text: ChallengeText, *, now: datetime
) -> dict[str, Any]:
    """The content of ``challenge.yaml``, keys in the order of docs/challenge-format.md."""
    start, end = phase_window(now)
    return {
        "slug": spec.slug,
        "organization": spec.organization,
        "title": text.title.as_dict(),
        "summary": text.summary.as_dict(),
        "description": {"ko": {"file": "description.ko.md"}, "en": {"file": "description.en.md"}},
        "rules": {"ko": {"file": "rules.ko.md"}, "en": {"file": "rules.en.md"}},
        "visibility": "public",
        "max_team_size": spec.max_team_size,
        "evaluation": {
            "metric": spec.metric,
            "metric_params": {"labels": list(spec.labels)} if spec.labels else {},
            "id_column": ID_COLUMN,
            "target": spec.target,
            "solution": "solution.csv",
            "split_column": SPLIT_COLUMN,
        },
        "files": [
            {"path": "train.csv", "description": text.train_file.as_dict()},
            {"path": "test.csv", "description": text.test_file.as_dict()},
            {
                "path": "sample_submission.csv",
                "description": {"ko": "제출 양식", "en": "Sample submission"},
            },
        ],
        "sample_submission": "sample_submission.csv",
        "phases": [
            {
                "name": "main",
                "title": {"ko": "본선", "en": "Main phase"},
                "start": start,
                "end": end,
                "daily_limit": spec.daily_limit,
                "total_limit": spec.total_limit,
                "final_selections": spec.final_selections,
            }
        ],
        "baselines": [{"name": text.baseline_name.as_dict(), "file": spec.baseline_file}],
    }


_YAML_HEADER = (
    "# aihub demo challenge, generated by aihub.demo from synthetic data.\n"
    "# Phase dates are relative to the moment the bundle was written.\n"
)


def write_bundle(
    dest: Path, spec: ChallengeSpec, text: ChallengeText, tables: Tables, *, now: datetime
) -> Path:
    """Write ``dest/<slug>/`` and return that folder; existing files are overwritten."""
    document = challenge_document(spec, text, now=now)
    folder = dest / spec.slug
    (folder / spec.baseline_file).parent.mkdir(parents=True, exist_ok=True)
    body = yaml.dump(document, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    _write_text(folder / "challenge.yaml", _YAML_HEADER + body)
    for lang in ("ko", "en"):
        _write_text(folder / f"description.{lang}.md", getattr(text.description, lang))
        _write_text(folder / f"rules.{lang}.md", getattr(text.rules, lang))
    _write_csv(folder / "train.csv", tables.train)
    _write_csv(folder / "test.csv", tables.test)
    _write_csv(folder / "sample_submission.csv", tables.sample_submission)
    _write_csv(folder / "solution.csv", tables.solution)
    _write_csv(folder / spec.baseline_file, tables.baseline)
    return folder


def _write_csv(path: Path, table: pl.DataFrame) -> None:
    # Polars' default float format keeps the ".0" of whole numbers, so readers that infer
    # types from the first rows still see a float column.
    table.write_csv(path)


def _write_text(path: Path, content: str) -> None:
    # newline="\n" keeps the bytes identical on Windows, where the default would be "\r\n".
    path.write_text(content.rstrip("\n") + "\n", encoding="utf-8", newline="\n")
