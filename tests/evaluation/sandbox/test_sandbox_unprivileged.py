"""The sandbox run by a worker that is not root: weaker (one uid, no cgroups, no tmpfs
areas) but still a sandbox, with the limits enforced by rlimits and checks after the run.

The test runs a small worker script as uid 65534 with Debian's Python: the sandbox package
needs only the standard library and ``aihub.errors``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import aihub
from aihub.evaluation.sandbox import Runtime, UnreachablePath, check_world_reachable
from aihub.evaluation.sandbox.runtimes import find_base_python

NOBODY = 65534
WORKER = """
import json, sys
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from aihub.evaluation.sandbox import MIB, Limits, create_sandbox, get_runtime, read_outputs
work, runtimes = Path(sys.argv[2]), Path(sys.argv[3])
sandbox = create_sandbox(work_dir=work / "boxes", limits=Limits(
    memory_bytes=256 * MIB, output_bytes=2 * MIB, file_size_bytes=1 * MIB, wall_seconds=10))
report = {"per_slot": sandbox.slots.per_slot_uids, "tmpfs": sandbox.host_tmpfs,
          "cgroups": sandbox.cgroups.version}
runs = {
    "uid": "import os; print(os.getuid())",
    "memory": "x = [bytearray(16 << 20) for _ in range(100)]",
    "area": "for n in range(10): open(f'/out/{n}', 'wb').write(b'x' * (900 << 10))",
    "file": "open('/tmp/big', 'wb').write(b'x' * (2 << 20))",
    "net": "import socket; socket.create_connection(('1.1.1.1', 443), timeout=2)",
}
with sandbox.open(get_runtime(runtimes, "bare")) as box:
    out = box.writable("/out")
    for name, code in runs.items():
        result = box.run(["python3", "-c", code])
        report[name] = [result.outcome.value, result.stdout.strip()]
print(json.dumps(report))
"""


def test_a_worker_without_root_still_sandboxes(bare: Runtime, runtimes_dir: Path,
                                                job: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to start the worker script as another uid")
    src = Path(aihub.__file__).resolve().parents[1]
    try:
        check_world_reachable(src)
    except UnreachablePath as exc:
        pytest.skip(f"the source tree is not readable by uid {NOBODY}: {exc.detail}")
    os.chown(job, NOBODY, NOBODY)
    done = subprocess.run(
        ["/usr/bin/setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--",
         str(find_base_python()), "-c", WORKER, str(src), str(job), str(runtimes_dir)],
        capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report.pop("per_slot") is False and report.pop("tmpfs") is False
    assert report.pop("cgroups") is None
    assert report == {
        "uid": ["ok", str(NOBODY)],
        "memory": ["memory_limit", ""],  # MemoryError under RLIMIT_AS
        "area": ["disk_limit", ""],  # 9 MiB in a 2 MiB area: found after the run
        "file": ["disk_limit", ""],  # EFBIG from RLIMIT_FSIZE
        "net": ["failed", ""],
    }
