"""Runtimes: built once from a Python slot uids can run, listed from their manifests, and
usable inside the sandbox (the default stack imports there with no network)."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from sandbox_helpers import SMALL, run_python

from aihub.evaluation.sandbox import (
    DEFAULT_PACKAGES,
    MIB,
    BubblewrapSandbox,
    Outcome,
    Runtime,
    RuntimeUnavailable,
    SandboxError,
    build_runtime,
    discover_runtimes,
    get_runtime,
)
from aihub.evaluation.sandbox.runtimes import MANIFEST, check_base_python, find_base_python


def test_bare_runtime_has_a_manifest_and_is_found(bare: Runtime, runtimes_dir: Path) -> None:
    manifest = json.loads((bare.root / MANIFEST).read_text())
    assert manifest["name"] == "bare" and manifest["requested"] == []
    assert manifest["python_version"].startswith("3.")
    assert bare.python == bare.root / "bin" / "python3"
    assert discover_runtimes(runtimes_dir)["bare"] == bare
    assert get_runtime(runtimes_dir, "bare") == bare


def test_building_again_does_nothing(bare: Runtime, runtimes_dir: Path) -> None:
    again = build_runtime(runtimes_dir, "bare", packages=[])
    assert again.built_at == bare.built_at


def test_same_name_with_other_packages_is_refused(bare: Runtime, runtimes_dir: Path) -> None:
    with pytest.raises(SandboxError, match="exists with packages"):
        build_runtime(runtimes_dir, "bare", packages=["numpy"])


def test_unknown_runtime_says_how_to_build_it(runtimes_dir: Path) -> None:
    with pytest.raises(RuntimeUnavailable, match="aihub runtimes build nosuch"):
        get_runtime(runtimes_dir, "nosuch")


def test_bad_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SandboxError, match="lower-case letters"):
        build_runtime(tmp_path, "../escape")


def test_an_unfinished_build_is_not_a_runtime(tmp_path: Path) -> None:
    (tmp_path / "half" / "bin").mkdir(parents=True)
    assert discover_runtimes(tmp_path) == {}


def test_base_python_must_be_reachable_under_usr() -> None:
    assert find_base_python().is_relative_to("/usr")
    if not Path(sys.executable).resolve().is_relative_to("/usr"):
        with pytest.raises(RuntimeUnavailable, match="outside /usr"):
            check_base_python(Path(sys.executable))


def test_runtimes_folder_must_be_reachable(tmp_path: Path) -> None:
    # pytest's tmp_path sits below a 0700 folder that slot uids cannot enter.
    if tmp_path.parent.parent.stat().st_mode & 0o001:
        pytest.skip("this tmp_path is reachable by everyone")
    with pytest.raises(RuntimeUnavailable, match="mode 0700"):
        build_runtime(tmp_path / "runtimes", "bare", packages=[])


# Importing the whole stack takes seconds on a busy machine: this test is about the imports,
# not the limits, so it gets time and CPU to spare.
ROOMY = replace(SMALL, wall_seconds=120, cpu_seconds=120, memory_bytes=1024 * MIB)


@pytest.mark.slow
def test_default_stack_imports_in_the_sandbox(sandbox: BubblewrapSandbox,
                                              default_runtime: Runtime) -> None:
    assert set(DEFAULT_PACKAGES) <= {name.lower() for name in default_runtime.packages}
    with sandbox.open(default_runtime) as box:
        out = box.writable("/predictions")
        result = run_python(box, """
            import numpy, pandas, scipy, sklearn, matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            from sklearn.linear_model import LogisticRegression
            X = numpy.arange(20.0).reshape(-1, 1)
            y = (X[:, 0] > 9).astype(int)
            model = LogisticRegression().fit(X, y)
            pandas.DataFrame({"id": range(20), "y": model.predict(X)}).to_csv(
                "/predictions/out.csv", index=False)
            plt.plot([1, 2]); plt.savefig("/tmp/plot.png")
            print(numpy.__version__)
        """, env={"OPENBLAS_NUM_THREADS": "1"}, limits=ROOMY)
        written = (out / "out.csv").read_text().splitlines()
    assert result.outcome is Outcome.OK, result.stderr
    assert result.stdout.strip() == default_runtime.packages["numpy"]
    assert written[0] == "id,y" and len(written) == 21
