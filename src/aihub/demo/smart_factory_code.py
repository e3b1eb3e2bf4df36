"""Demo code challenge ``smart-factory-defects-code``: the same machining lines, but solvers
send their code, not predictions.

The company wants a model it can run again on next month's products, and it keeps the test
week's sensor readings to itself: the test features are seen only by the participants'
programs, in the sandbox, at /data/test.csv. A submission is a zip with ``model.py``
(Codabench's habit: a ``Model`` with ``fit(X, y)`` and ``predict(X)``); the baseline and
the starter kit are a Gaussian naive Bayes in that form.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from aihub.demo import smart_factory_defects as factory
from aihub.demo._bundle import (
    Bilingual,
    ChallengeSpec,
    ChallengeText,
    challenge_document,
    write_bundle,
)
from aihub.demo.content import demo_rules
from aihub.demo.smart_factory_defects_text import challenge_text as factory_text

SLUG = "smart-factory-defects-code"
STARTER = "starter_kit.zip"
SPEC = ChallengeSpec(
    slug=SLUG,
    organization=factory.SPEC.organization,
    metric="f1_macro",
    target=factory.TARGET,
    baseline_file="baselines/naive_bayes.zip",
    daily_limit=3,
    total_limit=60,
    labels=factory.CLASSES,
)

MODEL_PY = '''\
"""A Gaussian naive Bayes on the sensors, standardised within each line.

aihub calls Model().fit(X, y) on train.csv (X without id and defect_type) and
predict(X_test) on the hidden test.csv, in a sandbox without network."""

import numpy as np
import pandas as pd

SENSORS = [
    "tool_life_used_pct", "spindle_speed_rpm", "spindle_load_pct", "vibration_rms_mm_s",
    "coolant_temp_c", "clamp_pressure_bar", "cycle_time_s", "ambient_temp_c", "humidity_pct",
]


class Model:
    def fit(self, X: pd.DataFrame, y: pd.Series) -> "Model":
        grouped = X.groupby("line")[SENSORS]
        self.mean, self.std = grouped.mean(), grouped.std()
        z = self._standardise(X)
        self.classes = sorted(y.unique())
        labels = y.to_numpy()
        self.centre = np.array([z[labels == c].mean(axis=0) for c in self.classes])
        self.var = np.array([z[labels == c].var(axis=0) + 1e-3 for c in self.classes])
        self.prior = np.log(np.array([(labels == c).mean() for c in self.classes]))
        print(f"fitted {len(self.classes)} classes on {len(X)} products")
        return self

    def _standardise(self, X: pd.DataFrame) -> np.ndarray:
        mean = self.mean.loc[X["line"]].to_numpy()
        std = self.std.loc[X["line"]].to_numpy()
        return (X[SENSORS].to_numpy() - mean) / std

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        z = self._standardise(X)[:, None, :]
        log_likelihood = -0.5 * (((z - self.centre) ** 2) / self.var + np.log(self.var))
        posterior = log_likelihood.sum(axis=2) + self.prior
        return np.asarray(self.classes)[posterior.argmax(axis=1)]
'''

README = {
    "ko": "model.py를 고쳐 zip으로 묶어 제출하세요. Model.fit(X, y)와 Model.predict(X)가 "
          "있어야 합니다. 실행 환경: Python 3, numpy, pandas, scikit-learn, scipy. "
          "네트워크는 없습니다.\n",
    "en": "Edit model.py, zip it and submit. It needs Model.fit(X, y) and Model.predict(X). "
          "Runtime: Python 3 with numpy, pandas, scikit-learn and scipy. No network.\n",
}


def zip_files(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 11, 4, 0, 0, 0))  # stable bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, text)
    return buffer.getvalue()


def text() -> ChallengeText:
    base = factory_text(factory.SPEC)
    return ChallengeText(
        title=Bilingual(ko="가공 라인 불량 유형 분류 (코드 제출)",
                        en="Machining-line defect types (code submission)"),
        summary=Bilingual(
            ko="예측 파일이 아니라 모델 코드를 제출합니다. 평가 데이터는 공개되지 않고, "
               "코드가 격리된 실행 환경에서 직접 읽습니다.",
            en="Send your model's code, not predictions: the test data stays hidden and "
               "only your code reads it, in an isolated sandbox.",
        ),
        description=Bilingual(
            ko=base.description.ko + _CODE_KO, en=base.description.en + _CODE_EN
        ),
        rules=demo_rules(
            SPEC,
            extra_ko="제출한 코드는 네트워크 없이 실행되며, 우승 코드는 다시 실행해 검증합니다.",
            extra_en="Code runs without network; winning code is run again to verify it.",
        ),
        train_file=base.train_file,
        test_file=Bilingual(ko="평가 데이터 (실행 환경에서만 보입니다)",
                            en="Test data (seen only by your code, in the sandbox)"),
        baseline_name=Bilingual(ko="나이브 베이즈 모델 (코드)", en="Naive Bayes model (code)"),
    )


_CODE_KO = """

## 코드 제출 방법

이 대회는 **코드**를 받습니다. `model.py`에 `Model` 클래스를 두고 `fit(X, y)`와
`predict(X)`를 구현해 zip으로 묶어 올리세요. aihub가 격리된 실행 환경(네트워크 없음,
시간 10분·메모리 2 GB 제한)에서 `train.csv`로 학습하고, 공개되지 않는 `test.csv`로 예측한 뒤
채점합니다. `starter_kit.zip`에 바로 제출할 수 있는 예시가 있습니다.
"""

_CODE_EN = """

## How to submit code

This challenge takes **code**. Put a `Model` class with `fit(X, y)` and `predict(X)` in
`model.py`, zip it and upload it. aihub trains it on `train.csv` and predicts the hidden
`test.csv` in an isolated sandbox (no network, 10 minutes and 2 GB), then scores the
predictions. `starter_kit.zip` holds an example you can submit as it is.
"""


def _document(now: datetime) -> dict[str, Any]:
    document = challenge_document(SPEC, text(), now=now)
    document["files"] = [
        {"path": "train.csv", "description": text().train_file.as_dict(), "audience": "both"},
        {"path": "test.csv", "description": text().test_file.as_dict(), "audience": "sandbox"},
        {"path": STARTER, "description": {"ko": "시작 키트 (model.py)",
                                          "en": "Starter kit (model.py)"}},
    ]
    document["sample_submission"] = STARTER
    document["code"] = {
        "format": "model", "runtime": "default",
        "limits": {"time_seconds": 600, "memory_mb": 2048, "disk_mb": 512},
    }
    return document


def write_bundle_folder(dest: Path, *, now: datetime) -> Path:
    """Write ``dest/smart-factory-defects-code/`` and return it."""
    folder = write_bundle(dest, SPEC, text(), factory.build_tables(), now=now)
    (folder / "sample_submission.csv").unlink(missing_ok=True)
    (folder / SPEC.baseline_file).write_bytes(zip_files({"model.py": MODEL_PY}))
    (folder / STARTER).write_bytes(
        zip_files({"model.py": MODEL_PY, "README.ko.txt": README["ko"],
                   "README.en.txt": README["en"]})
    )
    header = (folder / "challenge.yaml").read_text(encoding="utf-8").split("\nslug:")[0]
    body = yaml.safe_dump(_document(now), allow_unicode=True, sort_keys=False, width=100)
    (folder / "challenge.yaml").write_text(header + "\n" + body, encoding="utf-8")
    return folder
