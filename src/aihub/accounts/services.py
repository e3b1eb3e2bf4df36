"""Named verbs for accounts: each takes a session, checks its rule and writes.

The caller owns the transaction (``Database.transaction``); nothing here commits.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from aihub.accounts import policy
from aihub.accounts.actor import VISITOR, Actor
from aihub.accounts.models import ApiToken, Membership, Organization, OrgRole, User
from aihub.accounts.passwords import MIN_LENGTH, hash_password, token_digest
from aihub.db import utcnow
from aihub.errors import Conflict, InvalidInput, NotFound

USERNAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,62}$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TOKEN_PREFIX = "aihub_"  # noqa: S105 - a public prefix, not a secret


def create_user(
    session: Session,
    *,
    username: str,
    email: str,
    password: str,
    display_name: str = "",
    is_curator: bool = False,
    password_hash: str | None = None,
) -> User:
    """A new account. ``password_hash``, if given, is ``hash_password(password)`` computed
    by the caller before its write transaction: hashing takes a fifth of a second, too long
    to hold SQLite's write lock."""
    if not USERNAME.match(username):
        raise InvalidInput(
            "Usernames are 2 to 63 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit."
        )
    if not EMAIL.match(email):
        raise InvalidInput(f"{email!r} is not an e-mail address.")
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"Passwords need at least {MIN_LENGTH} characters.")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"The username {username!r} is taken; choose another.")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"An account with {email!r} exists already.")
    user = User(
        username=username,
        email=email,
        password_hash=password_hash or hash_password(password),
        display_name=display_name or username,
        is_curator=is_curator,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user is called {username!r}.")
    return user



def create_token(session: Session, user: User, *, name: str = "cli") -> tuple[ApiToken, str]:
    """Create a token; the plain token is returned once and never stored."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name[:100] or "token",
        prefix=plain[: len(TOKEN_PREFIX) + 6],
        token_hash=token_digest(plain),
    )
    session.add(token)
    session.flush()
    return token, plain


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    return list(
        session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    )


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or not policy.can_manage_token(actor, token):
        # The same answer for someone else's token as for a missing one.
        raise NotFound(f"You have no token with id {token_id}.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


def user_for_token(session: Session, plain: str) -> User | None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(plain)))
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    return user


def actor_for(session: Session, user: User | None) -> Actor:
    if user is None:
        return VISITOR
    rows = session.execute(
        select(Organization.id, Organization.can_host)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user.id)
    ).all()
    return Actor(
        user=user,
        org_ids=frozenset(org_id for org_id, _ in rows),
        hosting_org_ids=frozenset(org_id for org_id, can_host in rows if can_host),
    )


# Built once: asked on every request that carries a token.
_ACTOR_FOR_TOKEN = (
    select(User, Organization.id, Organization.can_host)
    .join(ApiToken, ApiToken.user_id == User.id)
    .outerjoin(Membership, Membership.user_id == User.id)
    .outerjoin(Organization, Organization.id == Membership.organization_id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        User.is_active.is_(True),
    )
)


def actor_for_token(session: Session, plain: str) -> Actor | None:
    """The actor behind an API token in one statement (token, user, organizations): None if
    the token is unknown or revoked or its user inactive. The same answer as
    ``actor_for(session, user_for_token(session, plain))``."""
    return actor_from_rows(
        session.execute(_ACTOR_FOR_TOKEN, {"token_hash": token_digest(plain)}).all()
    )


def actor_from_rows(rows: Sequence[Any]) -> Actor | None:
    """The actor from rows of (user, organization id, can host), one row per membership
    (or one with no organization): the shape of the token and session look-ups."""
    if not rows:
        return None
    orgs = [(org_id, can_host) for _, org_id, can_host in rows if org_id is not None]
    return Actor(
        user=rows[0][0],
        org_ids=frozenset(org_id for org_id, _ in orgs),
        hosting_org_ids=frozenset(org_id for org_id, can_host in orgs if can_host),
    )


def create_organization(
    session: Session, *, slug: str, name_ko: str, name_en: str = "", can_host: bool = False
) -> Organization:
    if not SLUG.match(slug):
        raise InvalidInput(
            "Organization slugs are 3 to 64 lowercase letters, digits or '-', "
            "not starting or ending with '-'."
        )
    org = Organization(slug=slug, name_ko=name_ko, name_en=name_en, can_host=can_host)
    session.add(org)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"An organization called {slug!r} exists already.") from exc
    return org


def get_organization(session: Session, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFound(f"No organization is called {slug!r}.")
    return org


def add_member(
    session: Session, org: Organization, user: User, *, role: OrgRole = OrgRole.MEMBER
) -> Membership:
    existing = session.scalar(
        select(Membership).where(
            Membership.organization_id == org.id, Membership.user_id == user.id
        )
    )
    if existing is not None:
        existing.role = role.value
        return existing
    membership = Membership(organization_id=org.id, user_id=user.id, role=role.value)
    session.add(membership)
    session.flush()
    return membership
