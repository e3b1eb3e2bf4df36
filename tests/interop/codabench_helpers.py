"""Where the Codabench test bundles are, and small tools to copy and edit them."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from aihub.evaluation.sandbox import MIB, Limits

OWN_BUNDLES = Path(__file__).parent / "bundles"
SUBMISSIONS = OWN_BUNDLES / "submissions"
# Small limits for the test programs, which need little.
LIMITS = Limits(wall_seconds=60, cpu_seconds=60, memory_bytes=512 * MIB, processes=64,
                file_size_bytes=32 * MIB, workspace_bytes=32 * MIB, output_bytes=32 * MIB,
                stdout_bytes=256 * 1024, stderr_bytes=256 * 1024)


def upstream_fixtures() -> Path:
    """The upstream example bundles (data and YAML only; not in the repository, licence
    unclear): AIHUB_CODABENCH_BUNDLES, else ../shared/codabench_bundles, else skip."""
    beside_repository = Path(__file__).resolve().parents[3] / "shared" / "codabench_bundles"
    candidates = [os.environ.get("AIHUB_CODABENCH_BUNDLES"), str(beside_repository)]
    for candidate in candidates:
        if candidate and (Path(candidate) / "wheat_seeds_code_submission").is_dir():
            return Path(candidate)
    pytest.skip("the upstream Codabench example bundles are not here (they are not in the "
                "repository): set AIHUB_CODABENCH_BUNDLES to their folder to run these tests")


def copy_bundle(name: str, dest: Path) -> Path:
    """A writable copy of one of our own bundles."""
    target = dest / name
    shutil.copytree(OWN_BUNDLES / name, target)
    return target


def yaml_only(source: Path, dest: Path) -> Path:
    """A folder holding just ``source`` as its competition.yaml."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, dest / "competition.yaml")
    return dest


def edit_yaml(folder: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    path = folder / "competition.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return folder
