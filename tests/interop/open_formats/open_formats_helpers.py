"""Helpers of the open-format tests: versions published after a real intake (the profiler
and the PII scanner run on the stored files, as the intake jobs will), and mlcroissant
runs that report what it warned about."""

from __future__ import annotations

import copy
import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import mlcroissant as mlc
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from aihub.datasets import versions
from aihub.datasets.findings import version_findings
from aihub.datasets.services import get_dataset
from aihub.hub import Hub
from factories import Factories, Person, intake_results

API = "/api/v1"
CLEARED = "A public office's switchboard number, published on its own website."

# Korean text, every type the profiler infers, and a mobile number the scanner flags for
# review (a curator clears it before publication).
STATIONS_CSV = (
    "station,pm10,ratio,measured_on,measured_at,calibrated,contact\n"
    "중구 대청동,12,0.5,2024-05-01,2024-05-01T09:00:00,true,010-1234-5678\n"
    "서구 둔산동,7,1.25,2024-05-02,2024-05-02T10:30:00,false,없음\n"
    "\"유성구, 구암동\",31,2.0,2024-05-03,2024-05-03T11:45:00,true,없음\n"
).encode()
READINGS_TSV = "station\tvalue\n대덕구\t3\n동구\t4\n".encode()
LINES_JSONL = ('{"id": 1, "label": "맑음"}\n{"id": 2, "label": "흐림"}\n').encode()
CP949_CSV = "지점,값\n중구,1\n서구,2\n".encode("cp949")


def parquet_bytes() -> bytes:
    table = pa.table({"station": ["중구", "서구"], "pm25": [4.5, 8.0]})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def all_formats() -> dict[str, bytes]:
    return {
        "data/stations.csv": STATIONS_CSV,
        "data/readings.tsv": READINGS_TSV,
        "data/lines.jsonl": LINES_JSONL,
        "data/pm25.parquet": parquet_bytes(),
        "legacy/지점 값.csv": CP949_CSV,  # CP949 and a space in the name
        "README.md": "# 대기질\n".encode(),
    }


def publish_profiled(hub: Hub, factories: Factories, host: Person, slug: str,
                     files: dict[str, bytes], *, label: str = "1.0.0", new: bool = True,
                     **dataset_options: Any) -> None:
    """A published version of ``slug`` holding ``files``, after the real intake: each
    file profiled and scanned; every finding cleared by a curator with a reason."""
    if new:
        dataset = factories.dataset(host, slug, files=files, publish=False, label=label,
                                    **dataset_options)
    else:
        with hub.db.reading() as session:
            dataset = get_dataset(session, slug)
        factories.dataset_version(host, dataset, label=label, files=files, publish=False)
    curator = factories.actor(factories.curator())
    with hub.db.transaction() as session:
        version = versions.get_version(session, get_dataset(session, slug), label, curator)
        versions.submit_version(session, version, factories.actor(host))
        versions.record_intake(session, version, intake_results(hub, session, version))
        for finding in version_findings(versions.version_files(session, version)):
            versions.decide_finding(session, version, curator, path=finding.path,
                                    column=finding.column, pattern_id=finding.pattern_id,
                                    decision="cleared", reason=CLEARED)
        versions.publish_version(session, version, curator)


def local_mapping(hub: Hub, document: dict[str, Any]) -> dict[str, str]:
    """Each FileObject's @id -> its blob in the store, for loading with no network."""
    return {item["@id"]: str(hub.storage.path(item["sha256"]))
            for item in document["distribution"]}


@dataclass
class Validation:
    dataset: mlc.Dataset
    warnings: list[str] = field(default_factory=list)


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextmanager
def absl_warnings() -> Iterator[list[str]]:
    """What mlcroissant logs at WARNING or above (through absl) while the block runs."""
    handler = _Collect()
    logger = logging.getLogger("absl")
    logger.addHandler(handler)
    try:
        yield handler.messages
    finally:
        logger.removeHandler(handler)


def validate(document: dict[str, Any], mapping: dict[str, str] | None = None) -> Validation:
    """mlcroissant's own validation (``mlc.Dataset``), with every warning it gave: the
    issues it collected and what it logged. Raises ``mlc.ValidationError`` on errors."""
    # mlcroissant writes into the context it is given (@base): hand it a copy.
    with absl_warnings() as logged:
        dataset = mlc.Dataset(jsonld=copy.deepcopy(document), mapping=mapping)
    issues = sorted(dataset.metadata.ctx.issues.warnings)
    return Validation(dataset, [*issues, *logged])


def decoded(record: dict[str, Any]) -> dict[str, Any]:
    """A record with its text as str (mlcroissant gives sc:Text as UTF-8 bytes)."""
    return {key: value.decode("utf-8") if isinstance(value, bytes) else value
            for key, value in record.items()}


def records(validation: Validation, record_set: str) -> list[dict[str, Any]]:
    return [decoded(r) for r in validation.dataset.records(record_set=record_set)]


def as_json(body: bytes) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(body)
    return value
