"""From a bundle's ``docker_image`` to a runtime the worker has.

aihub pulls no images: programs run in one of the worker's prepared Python environments
(pinned before a challenge opens, so nothing is downloaded while a submission waits). The
table below is the whole mapping; an operator adds images with ``extra`` (exact names or
``fnmatch`` patterns, checked first). An image that maps to nothing is an import error.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping

from aihub.interop.codabench.report import Findings, Where

DEFAULT_RUNTIME = "default"
DEFAULT_IMAGE = "codalab/codalab-legacy:py37"
DEFAULT_RUNTIME_TEXT = "Python 3 with numpy, pandas, scipy, scikit-learn and matplotlib"

# pattern → runtime. Codabench's own images and the usual Python images carry the
# scientific stack the default runtime has, so bundles written for them run unchanged.
IMAGE_RUNTIMES: tuple[tuple[str, str], ...] = (
    ("codalab/codalab-legacy:*", DEFAULT_RUNTIME),
    ("codalab/codalab-legacy", DEFAULT_RUNTIME),
    ("codalab/default*", DEFAULT_RUNTIME),
    ("python", DEFAULT_RUNTIME),
    ("python:3*", DEFAULT_RUNTIME),
    ("python:latest", DEFAULT_RUNTIME),
    ("continuumio/miniconda3*", DEFAULT_RUNTIME),
    ("continuumio/anaconda3*", DEFAULT_RUNTIME),
    ("jupyter/scipy-notebook*", DEFAULT_RUNTIME),
)


def _normalized(image: str) -> str:
    name = image.strip().lower()
    for prefix in ("docker.io/", "index.docker.io/", "library/"):
        name = name.removeprefix(prefix)
    return name.split("@", 1)[0]  # a digest pins bytes we do not pull anyway


def runtime_for_image(image: str, extra: Mapping[str, str] | None = None) -> str | None:
    """The runtime an image maps to, or ``None``."""
    name = _normalized(image)
    for table in ((extra or {}).items(), IMAGE_RUNTIMES):
        for pattern, runtime in table:
            if fnmatch.fnmatchcase(name, _normalized(pattern)):
                return runtime
    return None


def accepted_images(extra: Mapping[str, str] | None = None) -> list[str]:
    return [*(extra or {}), *(pattern for pattern, _ in IMAGE_RUNTIMES)]


def map_image(image: str, where: Where, findings: Findings,
              extra: Mapping[str, str] | None = None) -> str:
    """The runtime for a bundle's image, with the report line that says what replaces it."""
    runtime = runtime_for_image(image, extra)
    if runtime is None:
        findings.problem(
            where,
            f"docker image {image!r} is not one this hub can run: aihub pulls no images and "
            f"runs programs in prepared runtimes. Accepted images: "
            f"{', '.join(accepted_images(extra))}. Use one of them, or ask the operator to "
            f"map this image to a runtime.",
        )
        return ""
    what = DEFAULT_RUNTIME_TEXT if runtime == DEFAULT_RUNTIME else f"runtime {runtime!r}"
    findings.warn(where, f"docker image {image!r} is not pulled: programs run in the worker's "
                  f"{runtime!r} runtime ({what}) instead")
    tag = _normalized(image).rpartition(":")[2]
    if "gpu" in tag or "cuda" in tag:
        findings.not_supported(where, "GPU images: the runtime has no GPU unless the worker "
                               "that runs the challenge's queue has one")
    if tag.startswith(("py2", "py27")):
        findings.warn(where, "this is a Python 2 image; the runtime is Python 3, so Python 2 "
                      "programs will fail")
    return runtime
