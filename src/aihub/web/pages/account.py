"""A member's account: sign up, log in and out, passwords, API tokens, the profile.

The forms call the verbs of ``accounts.login`` and ``accounts.services``; the profile and
the token list show what the API's ``/api/v1/me``, ``/tokens`` and ``/invites`` answer
(their route functions are the data functions), plus the member's own challenges.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Query
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from aihub.accounts import login, services
from aihub.accounts import routes as account_api
from aihub.accounts.login import FormInvalid, LoginLimits, TooManyAttempts
from aihub.accounts.profile import my_challenges
from aihub.accounts.web_sessions import end_session
from aihub.deps import RowId
from aihub.errors import AihubError, NotAuthenticated
from aihub.mail import Mail, Mailer
from aihub.settings import Settings
from aihub.web import security
from aihub.web.context import Page, PageDep, csrf_protect
from aihub.web.pages.language import local_path

router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])
log = logging.getLogger(__name__)

Field = Annotated[str, Form()]
NextField = Annotated[str, Form(alias="next")]
NextQuery = Annotated[str, Query(alias="next")]
HOUR_SECONDS = 3600
MAX_TOKEN_NAME = 100  # the column's length


def N_(message: str) -> str:  # noqa: N802 - the name message extractors look for
    """Marks a message for the catalogs without translating it here."""
    return message


# ``accounts.login``'s messages, so the catalogs hold them and forms show them translated
# (tests/web/test_account_pages.py checks this list against ``login.MESSAGES``).
LOGIN_MESSAGES = (
    N_("Usernames are 2 to 63 letters, digits, '.', '_' or '-', starting with a letter or "
       "digit."),
    N_("This username is taken; choose another."),
    N_("This is not an e-mail address."),
    N_("An account with this e-mail address exists already; log in or reset its password."),
    N_("Display names have at most 128 characters."),
    N_("Passwords need at least 8 characters."),
    N_("Passwords have at most 1024 characters."),
    N_("The two passwords differ; type the same password twice."),
    N_("Fill in this field."),
    N_("Wrong name, e-mail address or password."),
    N_("The current password is wrong."),
    N_("This link has expired or was used already; ask for a new one."),
)


def _field_errors(page: Page, exc: FormInvalid) -> dict[str, str]:
    return {name: page.gettext(text) for name, text in exc.fields.items()}


def _address(page: Page) -> str:
    client = page.request.client
    return client.host if client else "unknown"


def _limits(settings: Settings) -> LoginLimits:
    return LoginLimits.from_settings(settings)


def _log_browser_in(page: Page, response: Response, cookie: str) -> None:
    settings = page.hub.settings
    security.set_cookie(
        response, settings, security.SESSION_COOKIE, cookie,
        max_age=settings.session_days * 24 * HOUR_SECONDS,
    )


def _form(page: Page, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context.setdefault("retry_at", None)
    return page.render(template, context, status=status)


# Sign up and log in -----------------------------------------------------------------------

@router.get("/signup")
def signup_form(page: PageDep, next_path: NextQuery = "") -> Response:
    if page.actor.user is not None:
        return page.redirect(local_path(next_path, "/me"))
    return _signup_page(page, {}, {}, next_path)


def _signup_page(page: Page, values: dict[str, str], errors: dict[str, str], next_path: str,
                 status: int = 200) -> HTMLResponse:
    values = {"username": "", "email": "", "display_name": ""} | values
    return _form(page, "account/signup.html", status, values=values, errors=errors,
                 next=local_path(next_path, ""))


@router.post("/signup")
def signup(
    page: PageDep, username: Field = "", email: Field = "", display_name: Field = "",
    password: Field = "", password_repeat: Field = "", next_path: NextField = "",
) -> Response:
    values = {"username": username, "email": email, "display_name": display_name}
    try:
        _, cookie = login.sign_up(
            page.hub.db, username=username, email=email, display_name=display_name,
            password=password, repeat=password_repeat, now=page.now,
            session_days=page.hub.settings.session_days,
        )
    except FormInvalid as exc:
        return _signup_page(page, values, _field_errors(page, exc), next_path, status=422)
    response = page.redirect(local_path(next_path, "/me"))
    _log_browser_in(page, response, cookie)
    return response


@router.get("/login")
def login_form(page: PageDep, next_path: NextQuery = "", reset: bool = False) -> Response:
    if page.actor.user is not None:
        return page.redirect(local_path(next_path, "/me"))
    return _form(page, "account/login.html", values={"login": ""},
                 next=local_path(next_path, ""), reset=reset)


@router.post("/login")
def login_submit(
    page: PageDep, login_name: Annotated[str, Form(alias="login")] = "", password: Field = "",
    next_path: NextField = "",
) -> Response:
    context: dict[str, Any] = {"values": {"login": login_name},
                               "next": local_path(next_path, ""), "reset": False}
    settings = page.hub.settings
    try:
        _, cookie = login.log_in(
            page.hub.db, login=login_name, password=password, address=_address(page),
            now=page.now, limits=_limits(settings), session_days=settings.session_days,
        )
    except FormInvalid as exc:
        return _form(page, "account/login.html", 422, errors=_field_errors(page, exc),
                     **context)
    except TooManyAttempts as exc:
        return _form(page, "account/login.html", exc.status_code, retry_at=exc.retry_at,
                     **context)
    except NotAuthenticated as exc:
        # Next to the password: the name is not said to be wrong, so names cannot be probed.
        return _form(page, "account/login.html", 422,
                     errors={"password": page.gettext(exc.detail)}, **context)
    response = page.redirect(local_path(next_path, "/"))
    _log_browser_in(page, response, cookie)
    return response


@router.post("/logout")
def logout(page: PageDep) -> Response:
    if page.session_token is not None:
        with page.hub.db.transaction() as session:
            end_session(session, page.session_token)
    response = page.redirect("/")
    response.delete_cookie(
        security.SESSION_COOKIE, path="/", secure=page.hub.settings.secure_cookies,
        httponly=True, samesite="lax",
    )
    return response


# The profile ------------------------------------------------------------------------------

@router.get("/me")
def profile(page: PageDep) -> HTMLResponse:
    page.actor.require_user()
    with page.hub.db.reading() as session:
        me = account_api.me_route(session, page.actor)
        taking = my_challenges(session, page.actor)
        invites = account_api.invites_route(session, page.actor)
    return page.render("account/me.html", {"me": me, "taking": taking, "invites": invites})


# Passwords --------------------------------------------------------------------------------

@router.get("/me/password")
def password_form(page: PageDep) -> HTMLResponse:
    page.actor.require_user()
    return _form(page, "account/password.html", done=False)


@router.post("/me/password")
def password_change(
    page: PageDep, old_password: Field = "", new_password: Field = "",
    new_password_repeat: Field = "",
) -> HTMLResponse:
    user = page.actor.require_user()
    try:
        login.change_password(
            page.hub.db, user, old=old_password, new=new_password, repeat=new_password_repeat,
            keep=page.session_token, address=_address(page), now=page.now,
            limits=_limits(page.hub.settings),
        )
    except FormInvalid as exc:
        return _form(page, "account/password.html", 422, errors=_field_errors(page, exc),
                     done=False)
    except TooManyAttempts as exc:
        return _form(page, "account/password.html", exc.status_code, retry_at=exc.retry_at,
                     done=False)
    return _form(page, "account/password.html", done=True)


@router.get("/password/forgot")
def forgot_form(page: PageDep) -> HTMLResponse:
    return _form(page, "account/forgot.html", values={"email": ""}, sent=False)


def _reset_mail(page: Page, to: str, username: str, token: str) -> Mail:
    settings = page.hub.settings
    # Without PUBLIC_BASE_URL, the request's own address: its Host header is the sender's
    # to choose, so Settings refuses real mail (MAILER=smtp) without PUBLIC_BASE_URL; the
    # log mailer's file is read by the hub's operator only.
    base = (settings.public_base_url or str(page.request.base_url)).rstrip("/")
    link = f"{base}/password/reset/{token}"
    _ = page.gettext
    return Mail(
        to=to,
        subject=_("Reset your aihub password"),
        body=_(
            "Someone, probably you, asked to reset the password of the aihub account "
            "%(username)s.\n\nTo choose a new password, open this link within an hour. "
            "It works once:\n\n%(link)s\n\nIf you did not ask, ignore this mail: your "
            "password stays as it is.",
            username=username, link=link,
        ),
    )


def _send(mailer: Mailer, mail: Mail) -> None:
    try:
        mailer.send(mail)
    except (OSError, ValueError):
        # After the answer was sent: the person sees the same page either way, and the
        # operator finds the reason here.
        log.exception("could not send the mail %r to %s", mail.subject, mail.to)


@router.post("/password/forgot")
def forgot_submit(page: PageDep, background: BackgroundTasks, email: Field = "") -> HTMLResponse:
    found = login.request_reset(page.hub.db, email=email, now=page.now)
    if found is not None:
        user, token = found
        # Sent after the answer, so the answer takes as long whether or not the address
        # has an account.
        background.add_task(_send, page.hub.mailer,
                            _reset_mail(page, user.email, user.username, token))
    return _form(page, "account/forgot.html", values={"email": email}, sent=True)


def _no_referrer(response: HTMLResponse) -> HTMLResponse:
    # The link's token is in the address: no other site may see it as a referrer.
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@router.get("/password/reset/{token}")
def reset_form(page: PageDep, token: str) -> HTMLResponse:
    works = login.reset_link_works(page.hub.db, token, page.now)
    return _no_referrer(_form(page, "account/reset.html", 200 if works else 404,
                              token=token, works=works))


@router.post("/password/reset/{token}")
def reset_submit(
    page: PageDep, token: str, password: Field = "", password_repeat: Field = ""
) -> Response:
    try:
        login.reset_password(page.hub.db, token=token, password=password,
                             repeat=password_repeat, now=page.now)
    except FormInvalid as exc:
        return _no_referrer(_form(page, "account/reset.html", 422, token=token, works=True,
                                  errors=_field_errors(page, exc)))
    except AihubError:
        return _no_referrer(_form(page, "account/reset.html", 404, token=token, works=False))
    return page.redirect("/login?reset=1")


# API tokens -------------------------------------------------------------------------------

def _tokens_page(page: Page, status: int = 200, **context: Any) -> HTMLResponse:
    with page.hub.db.reading() as session:
        tokens = account_api.tokens_route(session, page.actor)
    context.setdefault("new_token", None)
    return _form(page, "account/tokens.html", status, tokens=tokens, **context)


@router.get("/me/tokens")
def tokens(page: PageDep) -> HTMLResponse:
    page.actor.require_user()
    return _tokens_page(page, values={"name": ""})


@router.post("/me/tokens")
def token_create(page: PageDep, name: Field = "") -> HTMLResponse:
    user = page.actor.require_user()
    name = name.strip()
    if not name or len(name) > MAX_TOKEN_NAME:
        message = page.gettext("Name the token in 1 to 100 characters, for example 'laptop'.")
        return _tokens_page(page, 422, values={"name": name}, errors={"name": message})
    with page.hub.db.transaction() as session:
        _, plain = services.create_token(session, user, name=name)
    # Shown in this answer only: the hub keeps just its hash.
    return _tokens_page(page, 201, values={"name": ""}, new_token=plain)


@router.post("/me/tokens/{token_id}/revoke")
def token_revoke(page: PageDep, token_id: RowId) -> Response:
    page.actor.require_user()
    with page.hub.db.transaction() as session:
        services.revoke_token(session, page.actor, token_id)
    return page.redirect("/me/tokens")
