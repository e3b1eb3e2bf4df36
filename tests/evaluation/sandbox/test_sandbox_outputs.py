"""Host-side hygiene: output files are read without following links, and refused when
they are links, special files, or too many or too large."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sandbox_helpers import run_python

from aihub.evaluation.sandbox import (
    BubblewrapSandbox,
    Outcome,
    Runtime,
    UnsafeOutput,
    copy_outputs,
    read_outputs,
)


def test_reads_regular_files_and_folders(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.csv").write_bytes(b"id,y\n1,2\n")
    (tmp_path / "sub" / "b.txt").write_bytes(b"b")
    assert read_outputs(tmp_path) == {"a.csv": b"id,y\n1,2\n", "sub/b.txt": b"b"}
    copied = copy_outputs(tmp_path, tmp_path.parent / f"{tmp_path.name}-copy")
    assert copied == ["a.csv", "sub/b.txt"]
    assert (tmp_path.parent / f"{tmp_path.name}-copy" / "sub" / "b.txt").read_bytes() == b"b"


@pytest.mark.parametrize("make, why", [
    (lambda root: (root / "out.csv").symlink_to("/etc/shadow"), "out.csv is a symbolic link"),
    (lambda root: (root / "dir").symlink_to("/etc"), "dir is a symbolic link"),
    (lambda root: os.mkfifo(root / "pipe"), "pipe is a named pipe"),
    (lambda root: ((root / "a.csv").write_text("x"), os.link(root / "a.csv", root / "b.csv")),
     "a.csv is a hard link"),
])
def test_refuses_links_and_special_files(tmp_path: Path, make: object, why: str) -> None:
    make(tmp_path)  # type: ignore[operator]
    with pytest.raises(UnsafeOutput, match=why):
        read_outputs(tmp_path)


def test_refuses_a_root_that_is_a_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(UnsafeOutput, match="cannot be opened as a folder"):
        read_outputs(tmp_path / "link")


def test_caps_files_and_bytes(tmp_path: Path) -> None:
    for n in range(5):
        (tmp_path / f"f{n}").write_bytes(b"x" * 100)
    with pytest.raises(UnsafeOutput, match="more than 4 output files"):
        read_outputs(tmp_path, max_files=4)
    with pytest.raises(UnsafeOutput, match="exceed 250 bytes in all"):
        read_outputs(tmp_path, max_bytes=250)
    assert len(read_outputs(tmp_path, max_files=5, max_bytes=500)) == 5


def test_program_made_symlink_or_hard_link_is_refused(sandbox: BubblewrapSandbox,
                                                      bare: Runtime, job: Path) -> None:
    host_file = job / "host-secret.txt"
    host_file.write_text("secret")
    with sandbox.open(bare) as box:
        out = box.writable("/predictions")
        result = run_python(box, f"""
            import os
            os.symlink({str(host_file)!r}, "/predictions/out.csv")
        """)
        assert result.outcome is Outcome.OK
        with pytest.raises(UnsafeOutput, match=r"out\.csv is a symbolic link"):
            read_outputs(out)
        result = run_python(box, """
            import os
            os.remove("/predictions/out.csv")
            open("/predictions/a.csv", "w").write("1")
            os.link("/predictions/a.csv", "/predictions/out.csv")
        """)
        assert result.outcome is Outcome.OK, result
        with pytest.raises(UnsafeOutput, match=r"a\.csv is a hard link"):
            read_outputs(out)


def test_outputs_stay_readable_until_the_box_closes(sandbox: BubblewrapSandbox,
                                                    bare: Runtime) -> None:
    with sandbox.open(bare) as box:
        out = box.writable("/predictions")
        result = run_python(box, "open('/predictions/out.csv', 'w').write('id,y\\n1,0.5\\n')")
        assert result.outcome is Outcome.OK
        assert read_outputs(out) == {"out.csv": b"id,y\n1,0.5\n"}
        if sandbox.slots.per_slot_uids:
            assert out.stat().st_uid == box.slot.uid
    assert not out.exists()
