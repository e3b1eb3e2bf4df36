"""The actions aihub serves under CKAN's names, and what each receives.

An action is a function of one ``Call`` (the hub, who asks, the parameters) returning the
``result`` of CKAN's envelope. Read actions open a reading session; write actions own
their transaction. The modules defining actions register them with ``@action``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from aihub.accounts.actor import Actor
from aihub.hub import Hub


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request (``upload``), spooled by the form parser."""

    filename: str
    file: BinaryIO


@dataclass(frozen=True)
class Call:
    hub: Hub
    actor: Actor
    params: Mapping[str, Any]
    base: str  # the hub's address, for links: "https://hub.example" (no trailing /)
    files: Mapping[str, Upload] = field(default_factory=dict)


ActionFn = Callable[[Call], Any]


@dataclass(frozen=True)
class Action:
    name: str
    fn: ActionFn
    read_only: bool  # served on GET too; the others answer GET with CKAN's 400

    @property
    def help(self) -> str:
        return " ".join((self.fn.__doc__ or "").split())


ACTIONS: dict[str, Action] = {}


def action(*, read_only: bool) -> Callable[[ActionFn], ActionFn]:
    def register(fn: ActionFn) -> ActionFn:
        ACTIONS[fn.__name__] = Action(fn.__name__, fn, read_only)
        return fn
    return register
