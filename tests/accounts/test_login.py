"""Sign-up, log-in with its rate limit, password change and reset, on the real database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from aihub.accounts import login, services
from aihub.accounts.login import FormInvalid, LoginLimits, TooManyAttempts
from aihub.accounts.models import LoginFailure, PasswordReset, User, WebSession
from aihub.accounts.web_sessions import actor_for_session
from aihub.db import utcnow
from aihub.errors import InvalidInput, NotAuthenticated
from aihub.hub import Hub

LIMITS = LoginLimits(attempts=3, window=timedelta(minutes=15))
PASSWORD = "correct horse battery"


def _sign_up(hub: Hub, name: str = "minji", email: str | None = None) -> User:
    user, cookie = login.sign_up(
        hub.db, username=name, email=email or f"{name}@example.org", display_name="민지",
        password=PASSWORD, repeat=PASSWORD, now=utcnow(), session_days=14,
    )
    with hub.db.reading() as session:
        actor = actor_for_session(session, cookie, now=utcnow())
    assert actor is not None and actor.user_id == user.id
    return user


def _log_in(hub: Hub, name: str, password: str, *, now: datetime | None = None,
            address: str = "10.0.0.1") -> tuple[User, str]:
    return login.log_in(
        hub.db, login=name, password=password, address=address, now=now or utcnow(),
        limits=LIMITS, session_days=14,
    )


def _count(hub: Hub, model: type[LoginFailure] | type[WebSession] | type[User]) -> int:
    with hub.db.reading() as session:
        return session.scalar(select(func.count(model.id))) or 0


def test_sign_up_reports_every_wrong_field_at_once_and_stores_nothing(hub: Hub) -> None:
    with pytest.raises(FormInvalid) as caught:
        login.sign_up(hub.db, username="x", email="nope", display_name="d" * 129,
                      password="short", repeat="short", now=utcnow(), session_days=1)
    assert caught.value.fields == {
        "username": login.USERNAME_FORM, "email": login.EMAIL_FORM,
        "display_name": login.DISPLAY_NAME_LONG, "password": login.PASSWORD_SHORT,
    }
    with pytest.raises(FormInvalid) as caught:
        login.sign_up(hub.db, username="sora", email="sora@example.org", display_name="",
                      password=PASSWORD, repeat=PASSWORD + "x", now=utcnow(), session_days=1)
    assert caught.value.fields == {"password_repeat": login.PASSWORDS_DIFFER}
    assert _count(hub, User) == 0


def test_sign_up_refuses_names_and_addresses_taken_in_any_case(hub: Hub) -> None:
    _sign_up(hub, "Minji", "Minji@Example.org")
    with pytest.raises(FormInvalid) as caught:
        _sign_up(hub, "minji", "MINJI@example.org")
    assert caught.value.fields == {"username": login.USERNAME_TAKEN, "email": login.EMAIL_TAKEN}


def test_log_in_by_name_or_address_starts_a_session(hub: Hub) -> None:
    user = _sign_up(hub)
    for typed in ("minji", "MINJI@example.org", "Minji"):
        found, cookie = _log_in(hub, typed, PASSWORD)
        assert found.id == user.id
        with hub.db.reading() as session:
            actor = actor_for_session(session, cookie, now=utcnow())
        assert actor is not None and actor.user_id == user.id


def test_wrong_password_and_unknown_name_get_the_same_answer_and_count(hub: Hub) -> None:
    _sign_up(hub)
    with pytest.raises(NotAuthenticated) as wrong:
        _log_in(hub, "minji", "wrong password")
    with pytest.raises(NotAuthenticated) as unknown:
        _log_in(hub, "nobody", PASSWORD)
    assert wrong.value.detail == unknown.value.detail == login.WRONG_LOGIN
    assert _count(hub, LoginFailure) == 2
    assert _count(hub, WebSession) == 1  # the sign-up's own


def test_empty_fields_are_refused_without_counting(hub: Hub) -> None:
    with pytest.raises(FormInvalid) as caught:
        _log_in(hub, "  ", "")
    assert caught.value.fields == {"login": login.REQUIRED, "password": login.REQUIRED}
    assert _count(hub, LoginFailure) == 0


def test_too_many_failures_for_a_name_refuse_even_the_right_password_until_the_window_ends(
    hub: Hub,
) -> None:
    _sign_up(hub)
    start = utcnow()
    for minute in range(3):
        with pytest.raises(NotAuthenticated):
            _log_in(hub, "minji", "guess", now=start + timedelta(minutes=minute))
    with pytest.raises(TooManyAttempts) as refused:
        _log_in(hub, "minji", PASSWORD, now=start + timedelta(minutes=5))
    # The oldest failure leaves the window at start + 15 minutes; refused tries add nothing.
    assert refused.value.retry_at == start + LIMITS.window
    assert _count(hub, LoginFailure) == 3
    # The address, which the limit counts too, does not matter: the name is limited.
    with pytest.raises(TooManyAttempts):
        _log_in(hub, "minji@example.org", PASSWORD, now=start + timedelta(minutes=6),
                address="10.9.9.9")
    _log_in(hub, "minji", PASSWORD, now=start + timedelta(minutes=15, seconds=1))


def test_a_good_log_in_clears_that_names_failures_only(hub: Hub) -> None:
    _sign_up(hub)
    _sign_up(hub, "sora")
    now = utcnow()
    for name in ("minji", "minji", "sora"):
        with pytest.raises(NotAuthenticated):
            _log_in(hub, name, "guess", now=now)
    _log_in(hub, "minji", PASSWORD, now=now)
    with hub.db.reading() as session:
        left = session.scalars(select(LoginFailure.username)).all()
    assert left == ["sora"]


def test_one_address_guessing_many_names_is_refused(hub: Hub) -> None:
    now = utcnow()
    allowed = LIMITS.attempts * login.ADDRESS_FACTOR
    for n in range(allowed):
        with pytest.raises(NotAuthenticated):
            _log_in(hub, f"name{n}", "guess", now=now, address="10.6.6.6")
    with pytest.raises(TooManyAttempts):
        _log_in(hub, "another", "guess", now=now, address="10.6.6.6")
    with pytest.raises(NotAuthenticated):  # from elsewhere, the same name is only wrong
        _log_in(hub, "another", "guess", now=now, address="10.1.1.1")


def test_old_failures_are_dropped_when_new_ones_are_written(hub: Hub) -> None:
    old = utcnow() - timedelta(hours=1)
    with pytest.raises(NotAuthenticated):
        _log_in(hub, "nobody", "guess", now=old)
    with pytest.raises(NotAuthenticated):
        _log_in(hub, "nobody", "guess")
    assert _count(hub, LoginFailure) == 1


def _change(hub: Hub, user: User, old: str, new: str, repeat: str, *,
            keep: str | None = None, now: datetime | None = None) -> None:
    login.change_password(hub.db, user, old=old, new=new, repeat=repeat, keep=keep,
                          address="10.0.0.1", now=now or utcnow(), limits=LIMITS)


def test_change_password_checks_the_old_one_and_ends_other_sessions(hub: Hub) -> None:
    user = _sign_up(hub)
    _, here = _log_in(hub, "minji", PASSWORD)
    _, elsewhere = _log_in(hub, "minji", PASSWORD)
    with pytest.raises(FormInvalid) as caught:
        _change(hub, user, "wrong", "new password", "new password", keep=here)
    assert caught.value.fields == {"old_password": login.WRONG_PASSWORD}
    assert _count(hub, LoginFailure) == 1
    with pytest.raises(FormInvalid) as caught:
        _change(hub, user, PASSWORD, "new password", "other", keep=here)
    assert caught.value.fields == {"new_password_repeat": login.PASSWORDS_DIFFER}
    _change(hub, user, PASSWORD, "new password", "new password", keep=here)
    with hub.db.reading() as session:
        assert actor_for_session(session, here, now=utcnow()) is not None
        assert actor_for_session(session, elsewhere, now=utcnow()) is None
    with pytest.raises(NotAuthenticated):
        _log_in(hub, "minji", PASSWORD)
    _log_in(hub, "minji", "new password")


def test_guessing_through_the_change_form_is_limited_too(hub: Hub) -> None:
    user = _sign_up(hub)
    now = utcnow()
    for _ in range(LIMITS.attempts):
        with pytest.raises(FormInvalid):
            _change(hub, user, "guess", "new password", "new password", now=now)
    with pytest.raises(TooManyAttempts):
        _change(hub, user, PASSWORD, "new password", "new password", now=now)


def test_reset_links_are_stored_hashed_used_once_and_end_every_session(hub: Hub) -> None:
    _sign_up(hub)
    _, cookie = _log_in(hub, "minji", PASSWORD)
    now = utcnow()
    found = login.request_reset(hub.db, email=" Minji@example.org ", now=now)
    assert found is not None
    user, token = found
    with hub.db.reading() as session:
        stored = session.scalar(select(PasswordReset))
    assert stored is not None and token not in stored.token_hash
    assert stored.expires_at == now + timedelta(hours=1)
    assert login.reset_link_works(hub.db, token, now)
    with pytest.raises(FormInvalid):
        login.reset_password(hub.db, token=token, password="brand new pw", repeat="other",
                             now=now)
    login.reset_password(hub.db, token=token, password="brand new pw", repeat="brand new pw",
                         now=now)
    with hub.db.reading() as session:
        assert actor_for_session(session, cookie, now=utcnow()) is None
    _log_in(hub, "minji", "brand new pw")
    with pytest.raises(InvalidInput, match="expired or was used"):
        login.reset_password(hub.db, token=token, password="third password",
                             repeat="third password", now=now)
    assert user.username == "minji"


def test_reset_links_expire_after_an_hour(hub: Hub) -> None:
    _sign_up(hub)
    now = utcnow()
    found = login.request_reset(hub.db, email="minji@example.org", now=now)
    assert found is not None
    later = now + timedelta(hours=1)
    assert not login.reset_link_works(hub.db, found[1], later)
    with pytest.raises(InvalidInput, match="expired"):
        login.reset_password(hub.db, token=found[1], password="brand new pw",
                             repeat="brand new pw", now=later)


def test_reset_requests_for_unknown_addresses_and_floods_make_no_link(hub: Hub) -> None:
    _sign_up(hub)
    now = utcnow()
    assert login.request_reset(hub.db, email="nobody@example.org", now=now) is None
    for _ in range(login.MAX_OPEN_RESETS):
        assert login.request_reset(hub.db, email="minji@example.org", now=now) is not None
    assert login.request_reset(hub.db, email="minji@example.org", now=now) is None


def test_a_reset_clears_the_names_failed_log_ins(hub: Hub) -> None:
    _sign_up(hub)
    now = utcnow()
    for _ in range(LIMITS.attempts):
        with pytest.raises(NotAuthenticated):
            _log_in(hub, "minji", "guess", now=now)
    found = login.request_reset(hub.db, email="minji@example.org", now=now)
    assert found is not None
    login.reset_password(hub.db, token=found[1], password="brand new pw",
                         repeat="brand new pw", now=now)
    _log_in(hub, "minji", "brand new pw", now=now)


def test_a_name_in_another_case_logs_in_only_when_one_account_has_it(hub: Hub) -> None:
    # Accounts made before sign-up refused such pairs (the CLI's create_user allows them).
    with hub.db.transaction() as session:
        for name in ("Sora", "sora"):
            services.create_user(session, username=name, email=f"{name}1@example.org",
                                 password=PASSWORD)
    with pytest.raises(NotAuthenticated):
        _log_in(hub, "SORA", PASSWORD)
    assert _log_in(hub, "Sora", PASSWORD)[0].username == "Sora"
