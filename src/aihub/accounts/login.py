"""Signing up, logging in with a rate limit, changing and resetting passwords.

These verbs take the ``Database`` and own their transactions, unlike the rest of
``accounts``: an argon2 hash or check takes about 0.2 s, and done inside a write transaction
it would hold SQLite's one write lock, and every submission waiting on it, that long. So
passwords are checked and hashed between a short read and a short write.

Messages are fixed English sentences (no names or values in them) so that pages can show
them in the reader's language: the web catalogs translate each of ``MESSAGES``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from aihub.accounts.models import LoginFailure, PasswordReset, User
from aihub.accounts.passwords import (
    MIN_LENGTH,
    hash_password,
    needs_rehash,
    token_digest,
    verify_password,
)
from aihub.accounts.services import EMAIL, USERNAME, create_user
from aihub.accounts.web_sessions import end_all_sessions, start_session
from aihub.db import Database
from aihub.errors import InvalidInput, LimitReached, NotAuthenticated
from aihub.settings import Settings

RESET_VALID = timedelta(hours=1)
# More open reset links than this for one account and the next request sends none: a form
# anyone can fill must not become a way to flood someone's mailbox.
MAX_OPEN_RESETS = 3
MAX_PASSWORD = 1024  # argon2 takes any length; a megabyte of "password" is only a cost
MAX_DISPLAY_NAME = 128
MAX_EMAIL = 254
# Per client address, this many times the per-name limit: one address may be a school's.
ADDRESS_FACTOR = 4

USERNAME_FORM = (
    "Usernames are 2 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit."
)
USERNAME_TAKEN = "This username is taken; choose another."
EMAIL_FORM = "This is not an e-mail address."
EMAIL_TAKEN = "An account with this e-mail address exists already; log in or reset its password."
DISPLAY_NAME_LONG = "Display names have at most 128 characters."
PASSWORD_SHORT = f"Passwords need at least {MIN_LENGTH} characters."
PASSWORD_LONG = f"Passwords have at most {MAX_PASSWORD} characters."
PASSWORDS_DIFFER = "The two passwords differ; type the same password twice."
REQUIRED = "Fill in this field."
WRONG_LOGIN = "Wrong name, e-mail address or password."
WRONG_PASSWORD = "The current password is wrong."  # noqa: S105 - a message, not a password
RESET_LINK_INVALID = "This link has expired or was used already; ask for a new one."

MESSAGES = (
    USERNAME_FORM, USERNAME_TAKEN, EMAIL_FORM, EMAIL_TAKEN, DISPLAY_NAME_LONG, PASSWORD_SHORT,
    PASSWORD_LONG, PASSWORDS_DIFFER, REQUIRED, WRONG_LOGIN, WRONG_PASSWORD, RESET_LINK_INVALID,
)


class FormInvalid(InvalidInput):
    """One or more fields of a form are wrong; ``fields`` says what is wrong with each."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(" ".join(f"{name}: {text}" for name, text in fields.items()))
        self.fields = fields


class TooManyAttempts(LimitReached):
    """Log-ins are refused until ``retry_at``."""

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(
            "Too many failed log-ins; try again after "
            f"{retry_at.isoformat(timespec='minutes')}."
        )
        self.retry_at = retry_at


@dataclass(frozen=True)
class LoginLimits:
    attempts: int
    window: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> LoginLimits:
        return cls(settings.login_attempts, timedelta(minutes=settings.login_window_minutes))



@cache
def _decoy_hash() -> str:
    # Checked against when no account matches, so an unknown name takes as long to refuse
    # as a wrong password and answer times do not tell which names exist.
    return hash_password(secrets.token_hex(16))


def _password_problems(password: str, repeat: str, field: str = "password") -> dict[str, str]:
    if len(password) < MIN_LENGTH:
        return {field: PASSWORD_SHORT}
    if len(password) > MAX_PASSWORD:
        return {field: PASSWORD_LONG}
    if password != repeat:
        return {field + "_repeat": PASSWORDS_DIFFER}
    return {}


def _find_by_email(session: Session, email: str) -> User | None:
    # Addresses are compared without case: people type them both ways.
    return session.scalar(select(User).where(func.lower(User.email) == email.lower()).limit(1))


def new_account_problems(
    session: Session, *, username: str, email: str, display_name: str, password: str,
    repeat: str,
) -> dict[str, str]:
    """Every field of a sign-up that is wrong, at once, so the form says all in one go."""
    problems: dict[str, str] = {}
    if not USERNAME.match(username):
        problems["username"] = USERNAME_FORM
    elif session.scalar(
        select(User.id).where(func.lower(User.username) == username.lower()).limit(1)
    ) is not None:
        # Without case: 'Alice' beside 'alice' would let one pass for the other.
        problems["username"] = USERNAME_TAKEN
    if len(email) > MAX_EMAIL or not EMAIL.match(email):
        problems["email"] = EMAIL_FORM
    elif _find_by_email(session, email) is not None:
        problems["email"] = EMAIL_TAKEN
    if len(display_name) > MAX_DISPLAY_NAME:
        problems["display_name"] = DISPLAY_NAME_LONG
    problems.update(_password_problems(password, repeat))
    return problems


def sign_up(
    db: Database, *, username: str, email: str, display_name: str, password: str, repeat: str,
    now: datetime, session_days: int,
) -> tuple[User, str]:
    """Create an account and log its browser in: returns the user and the session cookie's
    value. The form is checked and the password hashed before the write transaction, which
    then checks again (``create_user``) in case the name was taken in between."""
    username, email, display_name = username.strip(), email.strip(), display_name.strip()
    with db.reading() as session:
        problems = new_account_problems(
            session, username=username, email=email, display_name=display_name,
            password=password, repeat=repeat,
        )
    if problems:
        raise FormInvalid(problems)
    hashed = hash_password(password)
    with db.transaction() as session:
        user = create_user(
            session, username=username, email=email, password=password,
            display_name=display_name, password_hash=hashed,
        )
        return user, start_session(session, user, now=now, days=session_days)


def _refused_until(
    session: Session, key: str, address: str, now: datetime, limits: LoginLimits
) -> datetime | None:
    """When log-ins for ``key`` from ``address`` may be tried again, or None if they may now.

    Refused tries are not recorded, so a guesser gets ``attempts`` tries per window and no
    more, and the wait ends when the oldest counted failure leaves the window."""
    since = now - limits.window
    waits: list[datetime] = []
    for column, value, allowed in (
        (LoginFailure.username, key, limits.attempts),
        (LoginFailure.address, address, limits.attempts * ADDRESS_FACTOR),
    ):
        times = session.scalars(
            select(LoginFailure.at)
            .where(column == value, LoginFailure.at > since)
            .order_by(LoginFailure.at.desc())
            .limit(allowed)
        ).all()
        if len(times) >= allowed:
            waits.append(times[allowed - 1] + limits.window)
    return max(waits) if waits else None


def _record_failure(session: Session, key: str, address: str, now: datetime,
                    limits: LoginLimits) -> None:
    session.add(LoginFailure(username=key, address=address, at=now))
    # Failures older than the window count for nothing: dropped here, by the indexes.
    since = now - limits.window
    session.execute(
        delete(LoginFailure).where(LoginFailure.username == key, LoginFailure.at <= since)
    )
    session.execute(
        delete(LoginFailure).where(LoginFailure.address == address, LoginFailure.at <= since)
    )


def _find_for_login(session: Session, login: str) -> User | None:
    """The account a typed name or e-mail address means: the exact name first, else the
    address, else the name in any case if only one account has it (accounts made before
    sign-up refused names differing only in case may share one)."""
    user = session.scalar(select(User).where(User.username == login))
    if user is None and "@" in login:
        user = _find_by_email(session, login)
    if user is None:
        alike = session.scalars(
            select(User).where(func.lower(User.username) == login.lower()).limit(2)
        ).all()
        user = alike[0] if len(alike) == 1 else None
    return user


def _key(user: User | None, login: str) -> str:
    # Failures count per account, whichever of its name or address was typed.
    return (user.username if user is not None else login).lower()[:254]


def log_in(
    db: Database, *, login: str, password: str, address: str, now: datetime,
    limits: LoginLimits, session_days: int,
) -> tuple[User, str]:
    """Check a name (or e-mail address) and password and start a browser session.

    Returns the user and the session cookie's value. Raises ``TooManyAttempts`` while the
    name or the client's address has too many recent failures, ``NotAuthenticated`` for a
    wrong name or password (counted), ``FormInvalid`` for an empty field."""
    login, address = login.strip(), address[:64]
    empty = {name: REQUIRED for name, value in (("login", login), ("password", password))
             if not value}
    if empty:
        raise FormInvalid(empty)
    with db.reading() as session:
        user = _find_for_login(session, login)
        key = _key(user, login)
        retry_at = _refused_until(session, key, address, now, limits)
    if retry_at is not None:
        raise TooManyAttempts(retry_at)
    if user is None or len(password) > MAX_PASSWORD:
        verify_password(_decoy_hash(), password[:MAX_PASSWORD])
        good = False
    else:
        good = verify_password(user.password_hash, password) and user.is_active
    rehashed = hash_password(password) if good and user and needs_rehash(user.password_hash) \
        else None
    with db.transaction() as session:
        if not good or user is None:
            _record_failure(session, key, address, now, limits)
        else:
            session.execute(delete(LoginFailure).where(LoginFailure.username == key))
            if rehashed:
                session.execute(
                    update(User).where(User.id == user.id).values(password_hash=rehashed)
                )
            return user, start_session(session, user, now=now, days=session_days)
    raise NotAuthenticated(WRONG_LOGIN)


def change_password(
    db: Database, user: User, *, old: str, new: str, repeat: str, keep: str | None,
    address: str, now: datetime, limits: LoginLimits,
) -> None:
    """Set a new password after checking the current one, and end the member's other
    sessions (``keep`` is this browser's). Wrong current passwords count as failed log-ins:
    a borrowed, logged-in browser must not become a way to guess the password."""
    key, address = _key(user, user.username), address[:64]
    with db.reading() as session:
        current = session.get(User, user.id)
        retry_at = _refused_until(session, key, address, now, limits)
    if retry_at is not None:
        raise TooManyAttempts(retry_at)
    assert current is not None  # the caller's actor was read from this row just now
    if not verify_password(current.password_hash, old):
        with db.transaction() as session:
            _record_failure(session, key, address, now, limits)
        raise FormInvalid({"old_password": WRONG_PASSWORD})
    problems = _password_problems(new, repeat, "new_password")
    if problems:
        raise FormInvalid(problems)
    new_hash = hash_password(new)
    with db.transaction() as session:
        session.execute(update(User).where(User.id == user.id).values(password_hash=new_hash))
        end_all_sessions(session, current, keep=keep)


def request_reset(db: Database, *, email: str, now: datetime) -> tuple[User, str] | None:
    """A one-use reset link's token for the account with ``email``, valid for an hour, or
    None when there is no such active account (or it has enough open links already). The
    caller mails it after this commits, and answers the same either way."""
    with db.transaction() as session:
        user = _find_by_email(session, email.strip())
        if user is None or not user.is_active:
            return None
        open_links = session.scalar(
            select(func.count(PasswordReset.id)).where(
                PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
            )
        ) or 0
        if open_links >= MAX_OPEN_RESETS:
            return None
        plain = secrets.token_urlsafe(32)
        session.add(
            PasswordReset(
                token_hash=token_digest(plain), user_id=user.id, created_at=now,
                expires_at=now + RESET_VALID,
            )
        )
        return user, plain


def _open_reset(session: Session, token: str, now: datetime) -> PasswordReset | None:
    digest = token_digest(token)
    reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == digest))
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        return None
    return reset


def reset_link_works(db: Database, token: str, now: datetime) -> bool:
    with db.reading() as session:
        return _open_reset(session, token, now) is not None


def reset_password(
    db: Database, *, token: str, password: str, repeat: str, now: datetime
) -> User:
    """Set a new password through a mailed link, use the link up, and end every session of
    the account (whoever knew the old password is logged out)."""
    if not reset_link_works(db, token, now):
        raise InvalidInput(RESET_LINK_INVALID)
    problems = _password_problems(password, repeat)
    if problems:
        raise FormInvalid(problems)
    new_hash = hash_password(password)
    with db.transaction() as session:
        # Claimed by one conditional UPDATE: of two tabs sending the link at once, the
        # second finds it used (PostgreSQL re-checks the condition after the row lock).
        user_id = session.execute(
            update(PasswordReset)
            .where(
                PasswordReset.token_hash == token_digest(token), PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
            )
            .values(used_at=now)
            .returning(PasswordReset.user_id)
        ).scalar()
        user = session.get(User, user_id) if user_id is not None else None
        if user is None:
            raise InvalidInput(RESET_LINK_INVALID)
        # Every open link of the account is spent: one was enough.
        session.execute(
            update(PasswordReset)
            .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
            .values(used_at=now)
        )
        user.password_hash = new_hash
        end_all_sessions(session, user)
        # The mailbox's owner proved who they are: earlier failures no longer count.
        session.execute(delete(LoginFailure).where(LoginFailure.username == _key(user, "")))
        return user
