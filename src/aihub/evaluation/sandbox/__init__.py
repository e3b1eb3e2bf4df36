"""Running untrusted code (participants' programs, hosts' scoring programs) in a sandbox.

The public surface is re-exported here and pinned by a test; see docs/sandbox.md.
"""

from aihub.evaluation.sandbox.areas import SharedArea, WritableArea
from aihub.evaluation.sandbox.base import Box, Isolation, RunHandle, Sandbox
from aihub.evaluation.sandbox.bubblewrap import BubblewrapBox, BubblewrapRun, BubblewrapSandbox
from aihub.evaluation.sandbox.cgroups import CgroupSupport
from aihub.evaluation.sandbox.errors import (
    RuntimeUnavailable,
    SandboxError,
    SandboxUnavailable,
    UnreachablePath,
    UnsafeOutput,
)
from aihub.evaluation.sandbox.limits import MIB, Limits
from aihub.evaluation.sandbox.outputs import copy_outputs, read_outputs
from aihub.evaluation.sandbox.paths import (
    DEFAULT_JOB_BASE,
    Mount,
    check_reachable,
    check_world_reachable,
    make_job_folder,
)
from aihub.evaluation.sandbox.probe import (
    SandboxMode,
    SandboxReport,
    create_sandbox,
    probe_sandbox,
)
from aihub.evaluation.sandbox.results import Outcome, RunResult
from aihub.evaluation.sandbox.runtimes import (
    DEFAULT_PACKAGES,
    DEFAULT_RUNTIME,
    Runtime,
    build_runtime,
    discover_runtimes,
    get_runtime,
)
from aihub.evaluation.sandbox.slots import DEFAULT_FIRST_UID, Slot, SlotPool

__all__ = [
    "DEFAULT_FIRST_UID",
    "DEFAULT_JOB_BASE",
    "DEFAULT_PACKAGES",
    "DEFAULT_RUNTIME",
    "MIB",
    "Box",
    "BubblewrapBox",
    "BubblewrapRun",
    "BubblewrapSandbox",
    "CgroupSupport",
    "Isolation",
    "Limits",
    "Mount",
    "Outcome",
    "RunHandle",
    "RunResult",
    "Runtime",
    "RuntimeUnavailable",
    "Sandbox",
    "SandboxError",
    "SandboxMode",
    "SandboxReport",
    "SandboxUnavailable",
    "SharedArea",
    "Slot",
    "SlotPool",
    "UnreachablePath",
    "UnsafeOutput",
    "WritableArea",
    "build_runtime",
    "check_reachable",
    "check_world_reachable",
    "copy_outputs",
    "create_sandbox",
    "discover_runtimes",
    "get_runtime",
    "make_job_folder",
    "probe_sandbox",
    "read_outputs",
]
