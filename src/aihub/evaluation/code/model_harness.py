"""Runs a participant's ``model.py`` inside the sandbox (aihub's "model" code format).

This file is copied into each job's folder and run by the runtime's Python, which has no
aihub installed: it uses the standard library, and pandas and NumPy from the runtime. It
reads /data/<train> and /data/<test>, calls ``Model().fit(X, y)`` and ``predict(X_test)``,
and writes /predictions/<output> with the id column and the target column(s).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any


def fail(message: str) -> int:
    sys.stderr.write(f"aihub: {message}\n")
    return 3


def _frames(config: dict[str, Any], pd: Any) -> tuple[Any, Any, Any, Any] | str:
    train = pd.read_csv(f"/data/{config['train']}")
    test = pd.read_csv(f"/data/{config['test']}")
    id_column, targets = config["id_column"], config["targets"]
    for name, frame, needed in (("train", train, [id_column, *targets]),
                                ("test", test, [id_column])):
        missing = [column for column in needed if column not in frame.columns]
        if missing:
            return f"the {name} file has no column {', '.join(missing)} (tell the hosts)"
    y = train[targets[0]] if len(targets) == 1 else train[targets]
    drop = [id_column, *targets]
    x_train = train.drop(columns=[c for c in drop if c in train.columns])
    x_test = test.drop(columns=[c for c in drop if c in test.columns])
    return x_train, y, x_test, test[id_column]


def _table(predictions: Any, ids: Any, config: dict[str, Any], pd: Any, np: Any) -> Any:
    values = np.asarray(predictions)
    targets = config["targets"]
    if values.ndim == 0 or values.shape[0] != len(ids):
        rows = "a single value" if values.ndim == 0 else f"{values.shape[0]} rows"
        raise ValueError(f"predict(X_test) returned {rows} for {len(ids)} test rows")
    if len(targets) == 1:
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        if values.ndim != 1:
            raise ValueError(f"predict(X_test) must return one value per row, not shape "
                             f"{values.shape}")
        return pd.DataFrame({config["id_column"]: ids, targets[0]: values})
    if values.ndim != 2 or values.shape[1] != len(targets):
        raise ValueError(f"predict(X_test) must return {len(targets)} columns per row "
                         f"({', '.join(targets)}), not shape {values.shape}")
    table = pd.DataFrame(values, columns=targets)
    table.insert(0, config["id_column"], list(ids))
    return table


def main() -> int:
    config = json.loads(os.environ["AIHUB_MODEL_HARNESS"])
    try:
        pd = importlib.import_module("pandas")
        np = importlib.import_module("numpy")
    except ImportError:
        return fail("the model format needs pandas and NumPy in the challenge's runtime; "
                    "tell the hosts")
    frames = _frames(config, pd)
    if isinstance(frames, str):
        return fail(frames)
    x_train, y, x_test, ids = frames
    sys.path.insert(0, "/submission")
    module = importlib.import_module("model")
    model_class = getattr(module, "Model", None)
    if model_class is None:
        return fail("model.py defines no class Model (with fit(X, y) and predict(X))")
    model = model_class()
    model.fit(x_train, y)
    table = _table(model.predict(x_test), ids, config, pd, np)
    table.to_csv(f"/predictions/{config['output']}", index=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
