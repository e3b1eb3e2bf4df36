"""Browser log-ins: start, look up, end. The cookie holds a random token; the database holds
its sha256, its user and when it expires, so a stolen database copy opens no session and a
log-out or password change ends sessions at once."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from aihub.accounts.actor import Actor
from aihub.accounts.models import Membership, Organization, User, WebSession
from aihub.accounts.passwords import token_digest
from aihub.accounts.services import actor_from_rows


def start_session(session: Session, user: User, *, now: datetime, days: int) -> str:
    """A new session for ``user``; returns the cookie value, which is not stored."""
    plain = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            token_hash=token_digest(plain), user_id=user.id, created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    # Expired sessions of this user are dropped here, so the table never grows without end.
    session.execute(
        delete(WebSession).where(WebSession.user_id == user.id, WebSession.expires_at < now)
    )
    session.flush()
    return plain


def end_session(session: Session, plain: str) -> None:
    session.execute(delete(WebSession).where(WebSession.token_hash == token_digest(plain)))


def end_all_sessions(session: Session, user: User, *, keep: str | None = None) -> None:
    """End every session of ``user`` (after a password change or reset), but ``keep``."""
    query = delete(WebSession).where(WebSession.user_id == user.id)
    if keep is not None:
        query = query.where(WebSession.token_hash != token_digest(keep))
    session.execute(query)


# Built once: asked on every page a logged-in browser loads.
_ACTOR_FOR_SESSION = (
    select(User, Organization.id, Organization.can_host)
    .join(WebSession, WebSession.user_id == User.id)
    .outerjoin(Membership, Membership.user_id == User.id)
    .outerjoin(Organization, Organization.id == Membership.organization_id)
    .where(
        WebSession.token_hash == bindparam("token_hash"),
        WebSession.expires_at > bindparam("now"),
        User.is_active.is_(True),
    )
)


def actor_for_session(session: Session, plain: str, *, now: datetime) -> Actor | None:
    """The actor behind a session cookie in one statement, or None when the session is
    unknown, expired or its user deactivated."""
    return actor_from_rows(
        session.execute(_ACTOR_FOR_SESSION, {"token_hash": token_digest(plain), "now": now}).all()
    )
