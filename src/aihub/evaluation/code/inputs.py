"""The challenge files a code run reads at /data, kept once per worker in a shared folder.

Blobs in the hub's store are private to the hub's user, and a job's sandbox user may not
read them. Each file is copied once, by content, into a cache every slot can read; each job
then gets hard links (instant, no space) under the names the program expects.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from aihub.evaluation.plans import BlobRef


class InputCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _cached(self, source: Path, ref: BlobRef) -> Path:
        path = self.root / ref.sha256[:2] / ref.sha256
        if path.is_file():
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        for folder in (self.root, path.parent):
            folder.chmod(0o755)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out, source.open("rb") as src:
                shutil.copyfileobj(src, out, 1024 * 1024)
            Path(temporary).chmod(0o444)
            Path(temporary).replace(path)  # whole or not at all, even with two jobs at once
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return path

    def link(self, source: Path, ref: BlobRef, target: Path) -> None:
        """Make ``target`` hold the bytes of ``ref`` (read from ``source`` on first use)."""
        cached = self._cached(source, ref)
        try:
            os.link(cached, target)
        except OSError:  # another file system: copy instead
            shutil.copyfile(cached, target)
            target.chmod(0o444)
