"""The demo hub's other participants: local startups, labs and academy trainees who have been
taking part in each demo challenge for the past ten days.

Plans and files only, no database. ``plan_activity(slug, now)`` says which teams take part,
when each submits and how good each file is; ``prediction_file`` writes the file such a team
would have uploaded: the hidden solution with as much noise as the file's quality leaves, in
the form the challenge's metric reads. The hub scores these files like any upload (the seeding
code in ``aihub.seed`` sends them through the submission service and the evaluation queue), so
every score on the demo boards is one the scorer computed.

Everything is drawn from generators seeded by the challenge's slug: the same ``now`` gives
the same plan and byte-identical files.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from typing import Any

import numpy as np
import polars as pl

from aihub.challenges.bundle import EvaluationSpec
from aihub.demo._bundle import KST
from aihub.evaluation.metrics import PredictionKind, get_metric

DAYS = 10
MIN_TEAMS, MAX_TEAMS = 9, 12
MIN_SUBMISSIONS, MAX_SUBMISSIONS = 2, 6
# A team's first file is this much worse than its last (quality points, 0..1), at random.
FIRST_GAP = (0.12, 0.4)
# One try in five goes backwards: a feature that leaked, a model that overfit.
SETBACK_CHANCE, SETBACK = 0.2, 0.12


@dataclass(frozen=True)
class DemoTeam:
    """A participant of the demo: one account, and the team it enters every challenge as."""

    username: str
    name: str
    # How good its files get (0..1) before each challenge's own luck; 0.8 is about the
    # baselines' level (``noisy_prediction``).
    skill: float


DEMO_TEAMS: tuple[DemoTeam, ...] = (
    DemoTeam("hanbit-ai-lab", "한빛AI연구소", 0.93),
    DemoTeam("daedeok-robotics", "대덕로보틱스", 0.86),
    DemoTeam("kaist-students", "카이스트 학생팀", 0.9),
    DemoTeam("ai-academy-3", "AI아카데미 3기", 0.62),
    DemoTeam("ai-academy-4", "AI아카데미 4기", 0.5),
    DemoTeam("yuseong-datalab", "유성데이터랩", 0.78),
    DemoTeam("cnu-ml-club", "충남대 머신러닝 동아리", 0.7),
    DemoTeam("hanbat-ai", "한밭대 AI융합팀", 0.66),
    DemoTeam("gapcheon-analytics", "갑천애널리틱스", 0.82),
    DemoTeam("dunsan-dl-study", "둔산 딥러닝 스터디", 0.45),
    DemoTeam("expo-smartcity", "엑스포스마트시티", 0.74),
    DemoTeam("sintanjin-workshop", "신탄진 데이터공방", 0.55),
)

# What teams write on their submissions, from the first try to the last.
MESSAGES = (
    "첫 제출: 기본 피처로 베이스라인 재현",
    "결측치 처리와 스케일링 추가",
    "LightGBM으로 교체",
    "시간대·요일 피처 추가",
    "5-fold 교차검증으로 하이퍼파라미터 조정",
    "피처 선택 후 재학습",
    "모델 세 개 앙상블",
    "최종 후보: 전체 학습 데이터로 재학습",
)


class Finals(StrEnum):
    """How a team chooses its final submissions, once its files are scored."""

    BEST = "best"  # its best public scores
    LATEST = "latest"  # its newest files, trusting its own validation
    NONE = "none"  # leaves it to the board (its best public ones count)


# Half the teams pick their best public scores, a quarter their newest files.
FINALS_CHOICES = (Finals.BEST, Finals.BEST, Finals.LATEST, Finals.NONE)


@dataclass(frozen=True)
class PlannedSubmission:
    at: datetime  # timezone-aware, in the past
    quality: float  # 0..1
    filename: str
    message: str
    seed: int
    broken: bool = False  # a file with a misnamed column, refused by the check


@dataclass(frozen=True)
class PlannedTeam:
    team: DemoTeam
    finals: Finals
    submissions: tuple[PlannedSubmission, ...]


def _rng(slug: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(slug.encode()))


def plan_activity(slug: str, now: datetime) -> tuple[PlannedTeam, ...]:
    """Who takes part in ``slug`` and what each team submits over the ``DAYS`` days before
    ``now``'s day in Korea: one submission a day at most, so no daily limit is reached."""
    rng = _rng(slug)
    count = int(rng.integers(MIN_TEAMS, MAX_TEAMS + 1))
    chosen = sorted(rng.choice(len(DEMO_TEAMS), size=count, replace=False))
    broken_team = int(rng.integers(count))
    today = now.astimezone(KST).date()
    planned = []
    for index, team_index in enumerate(chosen):
        team = DEMO_TEAMS[team_index]
        skill = float(np.clip(team.skill + rng.normal(0, 0.08), 0.05, 0.98))
        n = int(rng.integers(MIN_SUBMISSIONS, MAX_SUBMISSIONS + 1))
        days_ago = sorted(rng.choice(np.arange(1, DAYS + 1), size=n, replace=False), reverse=True)
        first = skill - rng.uniform(*FIRST_GAP)
        submissions = []
        for k, ago in enumerate(days_ago):
            progress = k / (n - 1)
            quality = first + (skill - first) * progress**0.8 + rng.normal(0, 0.02)
            if k > 0 and rng.random() < SETBACK_CHANCE:
                quality -= SETBACK
            clock = time(int(rng.integers(9, 24)), int(rng.integers(60)))
            submissions.append(PlannedSubmission(
                at=datetime.combine(today - timedelta(days=int(ago)), clock, tzinfo=KST),
                quality=float(np.clip(quality, 0.0, 1.0)),
                filename=f"submission-{k + 1}.csv.gz",
                message=MESSAGES[min(round(progress * (len(MESSAGES) - 1)), len(MESSAGES) - 1)],
                seed=int(rng.integers(2**31)),
                broken=index == broken_team and k == 0,
            ))
        finals = FINALS_CHOICES[int(rng.integers(len(FINALS_CHOICES)))]
        planned.append(PlannedTeam(team, finals, tuple(submissions)))
    return tuple(planned)


def _labels(evaluation: EvaluationSpec, truth: pl.Series) -> list[Any]:
    declared = evaluation.metric_params.get("labels")
    return list(declared) if declared else truth.unique(maintain_order=True).to_list()


def noisy_prediction(
    truth: pl.Series, evaluation: EvaluationSpec, quality: float, rng: np.random.Generator
) -> pl.Series:
    """``truth`` as a team of this ``quality`` (0..1) would predict it.

    Probabilities: the truth blended with gaussian noise, clipped to [0, 1]. Values: the
    truth plus gaussian noise of 0.65 down to 0.17 standard deviations of the target.
    Labels: each kept with probability 0.55 to 0.97, else another of the declared classes.
    On the demo data, quality 0 / 0.8 / 1 score a ROC AUC of about 0.64 / 0.93 / 0.96, an
    RMSE of 9.3 / 3.8 / 2.4 km/h and a macro F1 of 0.29 / 0.65 / 0.87: 0.8 is near each
    baseline.
    """
    kind = get_metric(evaluation.metric).kind
    n = len(truth)
    if kind is PredictionKind.PROBABILITY:
        signal = 0.1 + 0.35 * quality
        values = 0.3 + signal * truth.to_numpy() + rng.normal(0, 0.18, n)
        return pl.Series(truth.name, np.clip(values, 0, 1).round(3))
    if kind is PredictionKind.VALUE:
        y = truth.to_numpy().astype(np.float64)
        spread = float(np.std(y)) * (0.65 - 0.48 * quality)
        return pl.Series(truth.name, (y + rng.normal(0, spread, n)).round(2))
    if kind is PredictionKind.LABEL:
        labels = _labels(evaluation, truth)
        y = np.asarray(truth.to_list(), dtype=object)
        # Shifting a label's index by 1..k-1 places always lands on another class.
        position = {label: i for i, label in enumerate(labels)}
        index = np.array([position[value] for value in y])
        other = (index + rng.integers(1, len(labels), n)) % len(labels)
        keep = rng.random(n) < 0.55 + 0.42 * quality
        return pl.Series(truth.name, np.where(keep, y, np.asarray(labels, dtype=object)[other]),
                         dtype=truth.dtype)
    msg = f"the demo has no noise model for {kind.value} metrics ({evaluation.metric})"
    raise ValueError(msg)


def prediction_file(
    solution: pl.DataFrame, evaluation: EvaluationSpec, planned: PlannedSubmission
) -> bytes:
    """The gzipped CSV a team uploads: the id column and the target columns, nothing else
    (the solution's split column never leaves it)."""
    rng = np.random.default_rng(planned.seed)
    columns = [solution.get_column(evaluation.id_column)]
    for target in evaluation.target_columns:
        predicted = noisy_prediction(solution.get_column(target), evaluation, planned.quality,
                                     rng)
        columns.append(predicted.alias("prediction") if planned.broken else predicted)
    # mtime=0: the same plan gives the same bytes, so the same blob. Level 1 packs these
    # tables within a fifth of level 9's size at a twentieth of its time.
    return gzip.compress(pl.DataFrame(columns).write_csv().encode(), compresslevel=1, mtime=0)
