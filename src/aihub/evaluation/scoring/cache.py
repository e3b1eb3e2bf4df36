"""Prepared solutions kept between jobs: in memory (LRU) and on disk (Arrow IPC).

Parsing and checking a 10M-row solution takes seconds; a worker scores many submissions
against few solutions. So a prepared ``Truth`` is kept in memory, keyed by the solution's
sha256 and the spec's fingerprint, and written to the cache directory as Arrow IPC files
(``rows.arrow``, ``index.arrow``) plus ``meta.json``, which a fresh worker process
memory-maps instead of parsing the CSV again.

An entry is a directory written under a temporary name and renamed into place, so readers
never see half an entry and two processes racing to write one both end up correct.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
import uuid
from collections import OrderedDict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from aihub.evaluation.metrics.base import MetricParams, PredictionKind
from aihub.evaluation.scoring.ids import (
    DenseIndex,
    HashIndex,
    IdIndex,
    as_int_keys,
    build_index,
    pattern_index,
)
from aihub.evaluation.scoring.spec import ScoringSpec
from aihub.evaluation.scoring.truth import Targets, Truth, assemble, load_truth, resolve_metric

# Bump when the layout below changes; old entries are then simply not found.
CACHE_FORMAT = 1


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _params_json(params: MetricParams) -> dict[str, Any]:
    return {**asdict(params), "labels": list(params.labels)}


def _write_ipc(path: Path, columns: dict[str, Any]) -> None:
    pl.DataFrame(columns).write_ipc(path, compression="uncompressed")


def _read_ipc(path: Path) -> pl.DataFrame:
    # Uncompressed, so reading is a copy of the bytes, not a decompression.
    return pl.read_ipc(path)


def _numpy(column: pl.Series) -> np.ndarray[Any, Any]:
    return np.asarray(column.to_numpy())


def save_truth(truth: Truth, directory: Path) -> None:
    """Write ``truth`` as ``rows.arrow`` (+ ``index.arrow`` for a hash index) in ``directory``."""
    directory.mkdir(parents=True)
    targets = truth.targets
    text = targets.dtype.kind in "UO"
    columns: dict[str, Any] = {"id": truth.ids, "split": truth.split_codes}
    if targets.ndim == 1:
        columns["t0"] = pl.Series(targets.tolist(), dtype=pl.String) if text else targets
    else:
        columns.update({f"t{j}": targets[:, j] for j in range(targets.shape[1])})
    index = truth.index.arrays()
    meta = {
        "format": CACHE_FORMAT,
        "kind": truth.kind.value,
        "params": _params_json(truth.params),
        "id_mode": truth.id_mode,
        "classes": list(truth.classes),
        "label_type": truth.label_type,
        "classes_public": truth.classes_public,
        "prediction_columns": list(truth.prediction_columns),
        "targets": {"ndim": targets.ndim, "dtype": "str" if text else targets.dtype.str},
        "index": {
            "kind": truth.index.kind,
            "n_slots": index.get("n_slots", 0),
            "salt": index.get("salt", 0),
            "prefix": index.get("prefix", ""),
            "width": index.get("width", 0),
            # Polars' string hash is stable only within one Polars version.
            "polars": pl.__version__,
        },
    }
    if isinstance(truth.index, HashIndex):
        _write_ipc(directory / "index.arrow", {"key": index["key"], "packed": index["packed"]})
    _write_ipc(directory / "rows.arrow", columns)
    # Written last: an entry directory is complete once it is renamed into place anyway.
    (directory / "meta.json").write_text(json.dumps(meta))


def read_truth(directory: Path, spec: ScoringSpec) -> Truth:
    """Rebuild a ``Truth`` written by ``save_truth``."""
    meta = json.loads((directory / "meta.json").read_text())
    table = _read_ipc(directory / "rows.arrow")
    ids = table["id"]
    codes = _numpy(table["split"]).astype(np.int8, copy=False)
    ndim = meta["targets"]["ndim"]
    names = [name for name in table.columns if name.startswith("t")]
    if meta["targets"]["dtype"] == "str":
        values: np.ndarray[Any, Any] = np.asarray(table["t0"].to_list(), dtype=np.str_)
        if PredictionKind(meta["kind"]) is PredictionKind.RANKED_LIST:
            values = values.astype(object)
    elif ndim == 1:
        values = _numpy(table["t0"])
    else:
        values = np.column_stack([_numpy(table[name]) for name in names])
    params = meta["params"]
    targets = Targets(
        kind=PredictionKind(meta["kind"]),
        params=MetricParams(
            k=params["k"],
            positive_label=params["positive_label"],
            labels=tuple(params["labels"]),
            extra=params["extra"],
        ),
        values=values,
        classes=tuple(meta["classes"]),
        label_type=meta["label_type"],
        classes_public=meta["classes_public"],
        columns=tuple(meta["prediction_columns"]),
    )
    return assemble(
        spec,
        ids,
        meta["id_mode"],
        codes,
        targets,
        resolve_metric(spec),
        _read_index(directory, meta, ids),
    )


def _read_index(directory: Path, meta: dict[str, Any], ids: pl.Series) -> IdIndex:
    info = meta["index"]
    if info["kind"] == "pattern":
        return pattern_index(ids, info["prefix"], info["width"])
    if info["kind"] == "dense":
        dense = DenseIndex.build(as_int_keys(ids))
        assert dense is not None
        return dense
    if meta["id_mode"] == "str" and info["polars"] != pl.__version__:
        return build_index(ids, "str")
    table = _read_ipc(directory / "index.arrow")
    slots = np.column_stack([_numpy(table["key"]), _numpy(table["packed"])])
    return HashIndex(slots, info["n_slots"], info["salt"])


@dataclass
class CacheStats:
    memory_hits: int = 0
    disk_loads: int = 0
    builds: int = 0


class TruthCache:
    """Prepared solutions by (solution sha256, spec fingerprint); safe to share by threads.

    ``max_items`` bounds the in-memory LRU; ``directory`` (optional) holds the on-disk
    copies, shared by every worker process on the machine.
    """

    def __init__(self, directory: Path | None = None, *, max_items: int = 8) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self.directory = directory
        self.max_items = max_items
        self.stats = CacheStats()
        self._entries: OrderedDict[tuple[str, str], Truth] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[tuple[str, str], threading.Lock] = {}

    def get(self, path: Path, sha256: str | None, spec: ScoringSpec) -> Truth:
        """The prepared solution at ``path`` whose sha256 is ``sha256`` (None: hash it now).

        The file is not read at all when the truth is in memory or on disk.
        """
        key = (sha256 or file_sha256(path), spec.fingerprint())
        with self._lock:
            truth = self._entries.get(key)
            if truth is not None:
                self._entries.move_to_end(key)
                self.stats.memory_hits += 1
                return truth
            loading = self._loading.setdefault(key, threading.Lock())
        # One thread prepares a given solution; others asking for it wait, then hit memory.
        try:
            with loading:
                return self._get_or_load(path, spec, key)
        finally:
            with self._lock:
                self._loading.pop(key, None)

    def _get_or_load(self, path: Path, spec: ScoringSpec, key: tuple[str, str]) -> Truth:
        with self._lock:
            truth = self._entries.get(key)
            if truth is not None:
                self.stats.memory_hits += 1
                return truth
        truth = self._load(path, spec, key)
        with self._lock:
            self._entries[key] = truth
            while len(self._entries) > self.max_items:
                self._entries.popitem(last=False)
        return truth

    def _entry_dir(self, key: tuple[str, str]) -> Path | None:
        if self.directory is None:
            return None
        return self.directory / f"{key[0]}-{key[1]}-v{CACHE_FORMAT}"

    def _load(self, path: Path, spec: ScoringSpec, key: tuple[str, str]) -> Truth:
        entry = self._entry_dir(key)
        if entry is not None and (entry / "rows.arrow").exists():
            truth = read_truth(entry, spec)
            with self._lock:
                self.stats.disk_loads += 1
            return truth
        truth = load_truth(path, spec)
        with self._lock:
            self.stats.builds += 1
        if entry is not None:
            self._store(truth, entry)
        return truth

    @staticmethod
    def _store(truth: Truth, entry: Path) -> None:
        entry.parent.mkdir(parents=True, exist_ok=True)
        temporary = entry.parent / f".{entry.name}.{uuid.uuid4().hex}.tmp"
        try:
            save_truth(truth, temporary)
            temporary.rename(entry)
        except OSError:
            # Another process stored the same entry first (or the disk is full): the
            # in-memory truth is still good, and the cache stays consistent.
            shutil.rmtree(temporary, ignore_errors=True)

    def clear(self) -> None:
        """Forget the in-memory entries (the disk copies stay)."""
        with self._lock:
            self._entries.clear()
