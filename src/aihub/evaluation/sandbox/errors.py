"""Errors of the sandbox, each saying what is wrong and how to fix it."""

from __future__ import annotations

from aihub.errors import InvalidInput


class SandboxError(InvalidInput):
    """A sandboxed run cannot be set up as asked (a path, a mount, a runtime)."""


class SandboxUnavailable(SandboxError):  # noqa: N818 - reads as the answer it is
    """This machine cannot sandbox code: code challenges must be refused here."""


class UnreachablePath(SandboxError):  # noqa: N818 - reads as the answer it is
    """A folder to mount cannot be entered by the sandbox's uid."""


class UnsafeOutput(SandboxError):  # noqa: N818 - reads as the answer it is
    """A file a sandboxed program wrote is not one the host may read (a link, a device, too
    many files or bytes)."""


class RuntimeUnavailable(SandboxError):  # noqa: N818 - reads as the answer it is
    """A runtime (a Python environment for sandboxed programs) is missing or cannot be built."""
