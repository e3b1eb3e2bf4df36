"""Who is asking: the user behind a request or command, or nobody (a visitor)."""

from __future__ import annotations

from dataclasses import dataclass, field

from aihub.accounts.models import User
from aihub.errors import NotAuthenticated


@dataclass(frozen=True)
class Actor:
    user: User | None = None
    # Organizations the user belongs to, and those among them allowed to host.
    org_ids: frozenset[int] = field(default_factory=frozenset)
    hosting_org_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def is_visitor(self) -> bool:
        return self.user is None

    @property
    def is_curator(self) -> bool:
        return self.user is not None and self.user.is_curator

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None

    def require_user(self) -> User:
        if self.user is None:
            raise NotAuthenticated(
                "Log in first: send 'Authorization: Bearer <token>' "
                "(create a token with 'aihub token create')."
            )
        return self.user


VISITOR = Actor()
