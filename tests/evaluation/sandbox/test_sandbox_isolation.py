"""Hostile programs cannot see the hidden labels, the host's files or environment, the
network, or other processes; they run as the slot's uid with no way to undo the limits."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_helpers import assert_next_job_runs, assert_slot_clean, run_python

from aihub.evaluation.sandbox import (
    BubblewrapSandbox,
    Isolation,
    Mount,
    Outcome,
    Runtime,
    SandboxReport,
)

SECRET = "label-7f3c9e-do-not-leak"


@pytest.fixture
def labels(job: Path) -> Path:
    """Hidden labels on the host, in a folder next to the submission but never mounted."""
    folder = job / "hidden"
    folder.mkdir()
    path = folder / "labels.csv"
    path.write_text(f"id,label\n1,{SECRET}\n")
    path.chmod(0o644)  # readable by anyone who could reach it: only the view protects it
    return path


@pytest.fixture
def submission(job: Path) -> Path:
    folder = job / "submission"
    folder.mkdir()
    (folder / "main.py").write_text("print('ok')\n")
    return folder


PROBE_FILES = """
import glob, json, os, sys
paths = json.loads(sys.argv[1])
seen = {}
for path in paths:
    try:
        with open(path, "rb") as f:
            seen[path] = f.read(200).decode("utf-8", "replace")
    except OSError as exc:
        seen[path] = type(exc).__name__
print(json.dumps(seen))
"""


def _probe(box: object, paths: list[str], mounts: tuple[Mount, ...]) -> dict[str, str]:
    result = box.run(["python3", "-c", PROBE_FILES, json.dumps(paths)],  # type: ignore[attr-defined]
                     mounts=mounts)
    assert result.outcome is Outcome.OK, result
    return dict(json.loads(result.stdout))


def test_hidden_labels_and_host_files_are_out_of_view(
    sandbox: BubblewrapSandbox, bare: Runtime, labels: Path, submission: Path, tmp_path: Path
) -> None:
    database = tmp_path / "aihub.sqlite3"
    database.write_text(SECRET)
    rel = os.path.relpath(labels, submission)
    paths = [
        str(labels),  # its absolute host path
        f"/submission/{rel}",  # through '..' from a mount
        f"/submission/../../{labels.parent.name}/{labels.name}",
        "/etc/shadow", "/etc/passwd", str(database), "/root/.bashrc",
        f"/proc/1/root{labels}", f"/proc/self/root{labels}", f"/proc/1/cwd/{rel}",
        *(f"/proc/{pid}/root{labels}" for pid in range(1, 8)),
    ]
    with sandbox.open(bare) as box:
        seen = _probe(box, paths, (Mount(submission, "/submission"),))
    assert all(value in {"FileNotFoundError", "PermissionError"} for value in seen.values()), seen
    assert SECRET not in json.dumps(seen)
    assert_next_job_runs(sandbox, bare)


def test_the_file_view_is_an_allow_list(sandbox: BubblewrapSandbox, bare: Runtime,
                                        submission: Path) -> None:
    with sandbox.open(bare) as box:
        out = box.writable("/predictions")
        result = run_python(box, """
            import os
            print(sorted(os.listdir("/")))
            try:
                open("/submission/new.txt", "w")
            except OSError as exc:
                print(type(exc).__name__, exc.errno)
        """, mounts=(Mount(submission, "/submission"),))
    listing, write = result.stdout.splitlines()
    runtime_top = str(bare.root).split("/")[1]
    assert eval(listing) == sorted(  # our own program's repr of a list
        ["bin", "dev", "lib", "lib64", "predictions", "proc", "sbin", "submission", "tmp",
         "usr", runtime_top])
    assert write == "OSError 30"  # EROFS: mounts are read-only
    assert not out.exists()  # the box's areas are gone with it


def test_symlink_written_in_the_output_does_not_reach_the_host(
    sandbox: BubblewrapSandbox, bare: Runtime, labels: Path
) -> None:
    with sandbox.open(bare) as box:
        box.writable("/predictions")
        result = run_python(box, f"""
            import os
            os.symlink({str(labels)!r}, "/predictions/link.csv")
            try:
                print(open("/predictions/link.csv").read())
            except OSError as exc:
                print(type(exc).__name__)
        """)
    assert result.stdout == "FileNotFoundError\n"


def test_parent_environment_does_not_leak(sandbox: BubblewrapSandbox, bare: Runtime,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIHUB_TEST_SECRET", SECRET)
    with sandbox.open(bare) as box:
        result = run_python(box, """
            import glob, os
            print(dict(os.environ))
            for path in glob.glob("/proc/*/environ"):
                try:
                    print(path, open(path, "rb").read())
                except OSError as exc:
                    print(path, type(exc).__name__)
        """, env={"GIVEN": "yes"})
    assert result.outcome is Outcome.OK
    assert SECRET not in result.stdout
    assert "'GIVEN': 'yes'" in result.stdout
    assert "'HOME': '/tmp'" in result.stdout


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    yield server
    server.close()


def test_no_network_not_even_loopback(sandbox: BubblewrapSandbox, bare: Runtime,
                                      listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    with socket.create_connection(("127.0.0.1", port), timeout=2):  # positive control
        listener.accept()[0].close()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.2)
    with sandbox.open(bare) as box:
        result = run_python(box, f"""
            import socket
            def attempt(name, action):
                try:
                    action()
                    print(name, "ok")
                except OSError as exc:
                    print(name, type(exc).__name__)
            attempt("tcp", lambda: socket.create_connection(("127.0.0.1", {port}), timeout=2))
            attempt("tcp-out", lambda: socket.create_connection(("1.1.1.1", 443), timeout=2))
            def udp():
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.sendto(b"leak", ("127.0.0.1", {udp.getsockname()[1]}))
                s.sendto(b"leak", ("8.8.8.8", 53))
            attempt("udp", udp)
            attempt("dns", lambda: socket.getaddrinfo("example.com", 443))
            import os
            print("interfaces", sorted(os.listdir("/sys/class/net")) if os.path.exists(
                "/sys/class/net") else "none")
        """)
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert lines["tcp"] == "ConnectionRefusedError"  # its own loopback, not the host's
    assert lines["tcp-out"] in {"OSError", "TimeoutError"}  # ENETUNREACH
    assert lines["udp"] == "OSError"  # the first datagram stays in the sandbox's loopback
    assert lines["dns"] == "gaierror"
    with pytest.raises(TimeoutError):
        listener.accept()
    with pytest.raises(TimeoutError):
        udp.recvfrom(16)
    udp.close()


def test_runs_as_the_slot_uid_without_privileges(sandbox: BubblewrapSandbox, bare: Runtime,
                                                 per_slot: None,
                                                 report: SandboxReport) -> None:
    with sandbox.open(bare) as box:
        result = run_python(box, """
            import os, resource
            print(os.getuid(), os.geteuid(), os.getgid(), os.getgroups())
            status = dict(line.split(":", 1) for line in open("/proc/self/status"))
            print(status["CapEff"].strip(), status["CapBnd"].strip(), status["NoNewPrivs"].strip())
            for name in ("RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_CPU", "RLIMIT_NOFILE"):
                limit = getattr(resource, name)
                try:
                    resource.setrlimit(limit, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
                    print(name, "raised")
                except (ValueError, OSError) as exc:
                    print(name, "refused")
            try:
                os.setuid(0)  # EINVAL: no uid 0 is mapped in its user namespace
                print("setuid ok")
            except OSError:
                print("setuid refused")
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            CLONE_NEWUSER = 0x10000000
            print("userns", "refused" if libc.unshare(CLONE_NEWUSER) else "ok")
        """)
        uid = box.slot.uid
    lines = result.stdout.splitlines()
    assert lines[0] == f"{uid} {uid} {uid} []"
    assert lines[1] == "0000000000000000 0000000000000000 1"
    assert lines[2:6] == [f"{name} refused" for name in
                          ("RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_CPU", "RLIMIT_NOFILE")]
    # The reduced form cannot forbid user namespaces (--disable-userns needs one of its
    # own): it is meant for hosts that refuse them to everyone (docs/sandbox.md).
    userns = "ok" if sandbox.isolation is Isolation.REDUCED and report.namespaces else "refused"
    assert lines[6:] == ["setuid refused", f"userns {userns}"]


def test_cannot_signal_or_trace_processes_outside(sandbox: BubblewrapSandbox, bare: Runtime,
                                                  per_slot: None) -> None:
    with sandbox.open(bare) as box:
        # A victim outside the sandbox with the very same uid: only the pid namespace
        # keeps the program from it.
        victim = subprocess.Popen(["/usr/bin/setpriv", f"--reuid={box.slot.uid}",
                                   f"--regid={box.slot.gid}", "--clear-groups", "--",
                                   "/usr/bin/sleep", "30"])
        try:
            result = run_python(box, f"""
                import ctypes, os, signal
                pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
                print("pids", len(pids))
                for target in ({victim.pid}, {os.getpid()}):
                    try:
                        os.kill(target, signal.SIGKILL)
                        print("kill ok")
                    except OSError as exc:
                        print("kill", type(exc).__name__)
                    libc = ctypes.CDLL(None, use_errno=True)
                    PTRACE_ATTACH = 16
                    print("ptrace", libc.ptrace(PTRACE_ATTACH, target, 0, 0), ctypes.get_errno())
                for pid in pids:  # everything it can see: its own sandbox only
                    if pid != os.getpid():
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except OSError:
                            pass
                print("still here")
            """)
            assert victim.poll() is None  # alive
        finally:
            victim.kill()
            victim.wait()
    lines = result.stdout.splitlines()
    assert int(lines[0].split()[1]) <= 3  # bwrap's init and the program itself
    assert lines[1:5] == ["kill ProcessLookupError", "ptrace -1 3"] * 2  # ESRCH
    assert lines[5] == "still here"  # init of the pid namespace ignores its signals
    assert_next_job_runs(sandbox, bare)


def test_processes_left_behind_are_killed(sandbox: BubblewrapSandbox, bare: Runtime) -> None:
    with sandbox.open(bare) as box:
        result = run_python(box, """
            import os, time
            if os.fork() == 0:
                os.setsid()
                if os.fork() == 0:
                    time.sleep(300)  # a daemon that outlives its parent
                os._exit(0)
            time.sleep(0.2)
            print("parent done")
        """)
        uid = box.slot.uid
        assert result.outcome is Outcome.OK
        # Still inside the box: the pid namespace died with its init, and the run's cgroup
        # is gone, before the box itself is closed.
        assert_slot_clean(sandbox, uid)
    assert_slot_clean(sandbox, uid)
