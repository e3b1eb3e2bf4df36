"""Hostile submissions through the whole path (upload, worker, sandbox, scoring): the
hidden labels, the database, the hub's secrets and the network stay out of reach, each
attempt ends with a plain reason, and the worker goes on with the next job."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from aihub.challenges.models import Challenge
from aihub.hub import Hub
from factories import Factories, Person
from sandboxed import code_extra, run_queued, zipped

API = "/api/v1"
SECRET = "aihub-test-secret-7c1e"

# Every way in we could think of; each prints what it got. The test then checks that no
# byte of the solution (its unique header) nor the secret appears anywhere it can see.
PROBE = '''
import glob, os, socket, sys

def attempt(label, action):
    try:
        got = action()
        print(label, "GOT", repr(got)[:300])
    except Exception as exc:
        print(label, "DENIED", type(exc).__name__)

def read(path):
    with open(path, "rb") as handle:
        return handle.read(4096)

TARGETS = {targets!r}
for label, path in TARGETS.items():
    attempt(label, lambda p=path: read(p))
    attempt(label + " via ..", lambda p=path: read("/submission/../../.." + p))
for pid in os.listdir("/proc"):
    if pid.isdigit():
        attempt("proc root " + pid, lambda p=pid: os.listdir(f"/proc/{{p}}/root/"))
        attempt("proc environ " + pid, lambda p=pid: read(f"/proc/{{p}}/environ"))
os.symlink({solution!r}, "/tmp/link")
attempt("symlink", lambda: read("/tmp/link"))
attempt("environ", lambda: dict(os.environ))
attempt("tcp", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=2))
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
attempt("udp", lambda: udp.sendto(b"ping", ("127.0.0.1", {port})))
attempt("dns", lambda: socket.getaddrinfo("pypi.org", 443))
attempt("kill 1", lambda: os.kill(1, 9))
attempt("kill parent", lambda: os.kill({parent}, 0))
found = []
for root, dirs, files in os.walk("/"):
    if root.startswith(("/proc", "/usr", "/sys", "/dev")):
        dirs[:] = []
        continue
    for name in files:
        try:
            if b"{marker_a}" + b"{marker_b}" in read(os.path.join(root, name)):
                found.append(os.path.join(root, name))
        except Exception:
            pass
print("FOUND", found)

class Model:
    def fit(self, X, y):
        pass

    def predict(self, X):
        return [0.5] * len(X)
'''


@pytest.fixture
def listener() -> Iterator[tuple[int, socket.socket]]:
    """A TCP and a UDP port open on the host, reachable from here (the positive control),
    so that refusals inside mean isolation."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))
    udp.setblocking(False)
    yield port, udp
    server.close()
    udp.close()


@pytest.fixture
def secret_env() -> Iterator[None]:
    os.environ["AIHUB_TEST_SECRET"] = SECRET
    yield
    del os.environ["AIHUB_TEST_SECRET"]


def _setup(factories: Factories) -> tuple[Challenge, Person]:
    host = factories.host()
    challenge = factories.challenge(host, extra=code_extra(limits={"time_seconds": 60}))
    member = factories.person()
    factories.join(challenge, member)
    return challenge, member


def _result(api: TestClient, person: Person, submission_id: int) -> dict[str, Any]:
    return api.get(f"{API}/submissions/{submission_id}", headers=person.headers).json()  # type: ignore[no-any-return]


@pytest.mark.slow
@pytest.mark.usefixtures("secret_env")
def test_labels_database_secrets_and_network_are_out_of_reach(
    code_api: TestClient, code_factories: Factories, code_hub: Hub,
    listener: tuple[int, socket.socket],
) -> None:
    port, udp = listener
    challenge, member = _setup(code_factories)
    solution = code_hub.storage.path(challenge.solution_sha256)
    database = code_hub.settings.data_dir / "aihub.sqlite3"
    targets = {
        "solution": str(solution), "blobs": str(solution.parent),
        "database": str(database), "shadow": "/etc/shadow",
        "hub cwd": f"/proc/{os.getpid()}/cwd/pyproject.toml",
    }
    probe = PROBE.format(targets=targets, solution=str(solution), port=port,
                         parent=os.getpid(), marker_a="id,target,", marker_b="Usage")
    response = code_api.post(f"{API}/challenges/{challenge.slug}/submissions",
                             headers=member.headers,
                             files={"file": ("p.zip", zipped({"model.py": probe}))})
    assert response.status_code == 201, response.text
    run_queued(code_hub)
    result = _result(code_api, member, response.json()["id"])
    log = result["log"]
    assert result["status"] == "finished", (result["error"], log)
    assert "FOUND []" in log, log
    for label in ("solution", "database", "shadow", "hub cwd", "symlink", "tcp", "dns",
                  "kill parent"):
        assert f"{label} DENIED" in log, (label, log)
    assert "solution via .. DENIED" in log
    # A datagram to 127.0.0.1 stays on the sandbox's own loopback: the host's port hears
    # nothing. Signalling pid 1 reaches only the sandbox's own init, which ignores it.
    with pytest.raises(BlockingIOError):
        udp.recv(100)
    assert SECRET not in log
    assert "id,target,Usage" not in log
    assert "proc environ" not in log or SECRET not in log


def test_the_worker_goes_on_after_hostile_jobs(
    code_api: TestClient, code_factories: Factories, code_hub: Hub
) -> None:
    challenge, member = _setup(code_factories)
    bomb = ("import os\nclass Model:\n    def fit(self, X, y):\n"
            "        for _ in range(10000):\n            try:\n                os.fork()\n"
            "            except OSError:\n                pass\n")
    flood = ("import sys\nclass Model:\n    def fit(self, X, y):\n"
             "        while True:\n            sys.stdout.write('x' * 65536)\n")
    disk = ("class Model:\n    def fit(self, X, y):\n"
            "        with open('/tmp/fill', 'wb') as out:\n"
            "            while True:\n                out.write(b'0' * 1048576)\n")
    daemon = ("import os, time\nclass Model:\n    def fit(self, X, y):\n"
              "        if os.fork() == 0:\n            os.setsid()\n            time.sleep(3600)\n"
              "    def predict(self, X):\n        return [0.5] * len(X)\n")
    good = ("class Model:\n    def fit(self, X, y):\n        pass\n"
            "    def predict(self, X):\n        return X['x'].to_numpy()\n")
    ids = []
    for source in (bomb, flood, disk, daemon, good):
        response = code_api.post(f"{API}/challenges/{challenge.slug}/submissions",
                                 headers=member.headers,
                                 files={"file": ("c.zip", zipped({"model.py": source}))})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    assert run_queued(code_hub) == 5
    results = [_result(code_api, member, submission_id) for submission_id in ids]
    assert results[0]["status"] == "failed"
    assert "standard output" in results[1]["error"]
    assert "disk space" in results[2]["error"]
    assert results[3]["status"] == "finished"  # the daemon was killed with its sandbox
    assert results[4]["status"] == "finished"
    assert results[4]["public_score"] > 0.6
    slot_uids = range(code_hub.settings.sandbox_first_uid,
                      code_hub.settings.sandbox_first_uid + 2)
    leftovers = [entry.name for entry in Path("/proc").iterdir()
                 if entry.name.isdigit() and _uid(entry) in slot_uids]
    assert leftovers == []


def _uid(process: Path) -> int:
    try:
        with (process / "status").open() as status:
            for line in status:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1
