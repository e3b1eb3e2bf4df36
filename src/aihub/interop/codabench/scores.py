"""What a scoring program leaves in ``/app/output``, read back safely (reference §5.2-5.4).

``scores.json`` wins over ``scores.txt`` (YAML, read with a bounded ``safe_load``: no alias
bombs, no nesting deeper than Python recurses). Only numbers and booleans (as 0/1) are
scores; keys that are not columns are dropped and listed; computed columns are computed
here, from the stored columns, whatever the program wrote for them.
Every refusal carries a detailed message for the host and a short one for the participant
that quotes nothing the scoring program wrote (it reads the hidden reference data).
"""

from __future__ import annotations

import errno
import json
import math
import os
import stat
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from aihub.errors import InvalidInput
from aihub.interop.codabench.fields import shown
from aihub.interop.codabench.model import Column, Computation, Leaderboard
from aihub.interop.codabench.yamlmarks import safe_load

SCORES_JSON = "scores.json"
SCORES_TXT = "scores.txt"
METADATA = "metadata"
DETAILED_RESULTS = "detailed_results.html"
SCORES_MAX_BYTES = 1024 * 1024
DETAILED_MAX_BYTES = 20 * 1024 * 1024
SCORE_LIMIT = 1e10  # Codabench stores DecimalField(max_digits=20, decimal_places=10)
_PARTICIPANT = ("The scoring program's output could not be used ({what}); the host has been "
                "told the details.")
_METADATA_WRITTEN = ("Error, the output directory already contains a metadata file. This file "
                     "is used to store exitCode and other data, do not write to this file "
                     "manually.")
_COMPUTE: dict[Computation, Callable[[list[float]], float]] = {
    Computation.SUM: math.fsum,
    Computation.AVG: statistics.fmean,
    Computation.MIN: min,
    Computation.MAX: max,
}


class ScoresError(InvalidInput):
    """The scoring output is unusable. ``detail`` is for the host; ``participant`` is safe to
    show the participant."""

    def __init__(self, host: str, participant: str) -> None:
        super().__init__(host)
        self.participant = participant


@dataclass(frozen=True)
class Scores:
    values: dict[str, float]  # column key → value, computed columns included
    source: str  # the file read
    dropped: tuple[str, ...] = ()  # keys that are not columns
    overridden: tuple[str, ...] = ()  # computed columns the program wrote: recomputed
    missing: tuple[str, ...] = ()  # columns without a value (ranked last)


def read_regular(path: Path, max_bytes: int) -> bytes | None:
    """A regular file's bytes (``None`` if absent); links, devices and fifos refused."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ScoresError(f"{path.name} is a symbolic link; write a plain file.",
                              _PARTICIPANT.format(what=f"{path.name} is a link")) from exc
        raise
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ScoresError(f"{path.name} is not a regular file.",
                              _PARTICIPANT.format(what=f"{path.name} is not a file"))
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ScoresError(f"{path.name} is larger than {max_bytes} bytes.",
                          _PARTICIPANT.format(what=f"{path.name} is too large"))
    return data


def _parse(name: str, raw: bytes) -> object:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScoresError(f"{name} is not UTF-8 text.",
                          _PARTICIPANT.format(what=f"{name} is not text")) from exc
    if name == SCORES_JSON:
        try:
            return json.loads(text)
        except RecursionError as exc:
            raise ScoresError("scores.json is nested too deeply to be read; write one flat "
                              "mapping of column keys to numbers.",
                              _PARTICIPANT.format(what="scores.json is not a flat mapping")) \
                from exc
        except json.JSONDecodeError as exc:
            # The position only: the text itself may hold values from the reference data.
            raise ScoresError(
                "Could not decode scores json properly, it contains an error "
                f"(line {exc.lineno}, column {exc.colno}: {exc.msg}).",
                _PARTICIPANT.format(what="scores.json has a syntax error")) from exc
    try:
        return safe_load(text)
    except yaml.YAMLError as exc:
        raise ScoresError(f"scores.txt is not valid YAML: {exc}",
                          _PARTICIPANT.format(what="scores.txt is not valid YAML")) from exc


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and math.isfinite(value) and abs(value) < SCORE_LIMIT:
        return float(value)
    return None


def compute_columns(values: dict[str, float], columns: Iterable[Column]) -> dict[str, float]:
    """``values`` with every computed column whose inputs are all there (in dependency
    order: a computed column may use another)."""
    result = dict(values)
    pending = [column for column in columns if column.computation is not None]
    by_index = {column.index: column for column in columns}
    progress = True
    while pending and progress:
        progress = False
        for column in list(pending):
            inputs = [by_index[i].key for i in column.computation_indexes if i in by_index]
            if all(key in result for key in inputs) and column.computation is not None:
                result[column.key] = _COMPUTE[column.computation]([result[k] for k in inputs])
                pending.remove(column)
                progress = True
    return result


def read_scores(output: Path, leaderboard: Leaderboard, *,
                max_bytes: int = SCORES_MAX_BYTES) -> Scores:
    """The column values a scoring program wrote into ``output``."""
    if os.path.lexists(output / METADATA):
        raise ScoresError(_METADATA_WRITTEN,
                          _PARTICIPANT.format(what="it wrote the reserved file 'metadata'"))
    for name in (SCORES_JSON, SCORES_TXT):
        raw = read_regular(output / name, max_bytes)
        if raw is not None:
            break
    else:
        raise ScoresError("Could not find scores file, did the scoring program output it? "
                          "(scores.json or scores.txt in /app/output)",
                          "The scoring program wrote no scores. Check that your submission "
                          "has the files and format the challenge asks for.")
    data = _parse(name, raw)
    if not isinstance(data, dict):
        raise ScoresError(f"{name} must hold one mapping of column keys to numbers, not a "
                          f"{type(data).__name__}.",
                          _PARTICIPANT.format(what=f"{name} is not a mapping"))
    return _to_scores(name, data, leaderboard)


def _to_scores(name: str, data: dict[object, object], leaderboard: Leaderboard) -> Scores:
    columns = {column.key: column for column in leaderboard.columns}
    values: dict[str, float] = {}
    dropped, overridden, bad = [], [], []
    for raw_key, raw_value in data.items():
        key = str(raw_key)
        if key not in columns:
            dropped.append(key)
            continue
        if columns[key].computation is not None:
            overridden.append(key)
            continue
        number = _number(raw_value)
        if number is None:
            bad.append(f"{key}: {shown(raw_value)}")
        else:
            values[key] = number
    if bad:
        raise ScoresError(
            f"{name} holds values that are not scores (numbers below 1e10 in size, or "
            f"true/false): {'; '.join(bad)}.",
            _PARTICIPANT.format(what=f"{name} holds a value that is not a number"))
    values = compute_columns(values, leaderboard.columns)
    missing = tuple(key for key in columns if key not in values)
    return Scores(values, name, tuple(dropped), tuple(overridden), missing)


def metadata_text(*, elapsed: float | None = None, exit_code: int | None = None,
                  ingestion_elapsed: float | None = None,
                  ingestion_exit_code: int | None = None) -> str:
    """The ``metadata`` YAML the worker puts in a prediction output (all null for a results
    submission, which nothing ran for)."""
    return yaml.safe_dump({
        "elapsedTime": elapsed, "exitCode": exit_code,
        "ingestionElapsedTime": ingestion_elapsed, "ingestionExitCode": ingestion_exit_code,
    }, sort_keys=False)


def detailed_results(output: Path, *, max_bytes: int = DETAILED_MAX_BYTES) -> bytes | None:
    """``detailed_results.html``, else (CodaLab 1.5) the first ``*.html`` by name."""
    candidates = [output / DETAILED_RESULTS]
    if not os.path.lexists(candidates[0]):
        candidates = sorted(path for path in output.glob("*.html"))[:1]
    for path in candidates:
        try:
            return read_regular(path, max_bytes)
        except ScoresError:
            return None
    return None
