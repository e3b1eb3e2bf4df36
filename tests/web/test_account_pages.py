"""Account pages through the in-process client: sign up, log in and out, the rate limit,
password change and reset (the mail read from the log mailer's file), /me and API tokens."""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import func, select

from aihub.accounts import login, teams
from aihub.accounts.models import ApiToken, LoginFailure, User
from aihub.challenges.services import get_challenge
from aihub.hub import Hub
from aihub.web.i18n import translations
from aihub.web.pages.account import LOGIN_MESSAGES
from aihub.web.security import SESSION_COOKIE
from factories import Factories, Person
from webclient import csrf_token, sign_in, web_client

PASSWORD = "correct horse battery"


def ko(message: str) -> str:
    text = translations("ko").gettext(message)
    assert text != message, f"no Korean for {message!r}"
    return text


def post(client: TestClient, path: str, form_page: str | None = None,
         **data: str) -> httpx.Response:
    """Send a form the way a browser does: with the CSRF token of the page it is on."""
    return client.post(path, data={"csrf_token": csrf_token(client, form_page or path), **data})


def sign_up(client: TestClient, username: str = "minji", **extra: str) -> httpx.Response:
    data = {"username": username, "email": f"{username}@example.org", "display_name": "김민지",
            "password": PASSWORD, "password_repeat": PASSWORD} | extra
    return post(client, "/signup", **data)


def count(hub: Hub, model: Any) -> int:
    with hub.db.reading() as session:
        return session.scalar(select(func.count(model.id))) or 0


def session_cookie(response: httpx.Response) -> str:
    return next(h for h in response.headers.get_list("set-cookie")
                if h.startswith(SESSION_COOKIE + "="))


def test_sign_up_logs_the_browser_in_with_a_strict_session_cookie(web: TestClient) -> None:
    response = sign_up(web)
    assert response.status_code == 303 and response.headers["location"] == "/me"
    cookie = session_cookie(response)
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie
    assert f"Max-Age={14 * 24 * 3600}" in cookie
    page = web.get("/me")
    assert page.status_code == 200 and "김민지" in page.text and "minji" in page.text


def test_sign_up_with_bad_input_keeps_what_was_typed_and_stores_nothing(
    web: TestClient, live_hub: Hub
) -> None:
    response = sign_up(web, username="x", email="not-mail", password="short",
                       password_repeat="short")
    assert response.status_code == 422
    text = response.text
    assert 'value="x"' in text and 'value="not-mail"' in text and 'value="김민지"' in text
    for field, message in (("username", login.USERNAME_FORM), ("email", login.EMAIL_FORM),
                           ("password", login.PASSWORD_SHORT)):
        shown = re.escape(str(escape(ko(message))))
        assert re.search(rf'id="e-{field}" class="field-error">{shown}<', text)
        assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', text)
    assert 'value="short"' not in text  # passwords are never sent back
    mismatch = sign_up(web, password_repeat=PASSWORD + "!")
    assert mismatch.status_code == 422 and ko(login.PASSWORDS_DIFFER) in mismatch.text
    assert count(live_hub, User) == 0


def test_a_taken_name_is_said_next_to_the_name(web: TestClient, web_en: TestClient) -> None:
    sign_up(web)
    response = sign_up(web_en, username="MINJI", email="other@example.org")
    assert response.status_code == 422
    assert f'id="e-username" class="field-error">{login.USERNAME_TAKEN}<' in response.text


def test_log_in_by_name_or_address_goes_to_next_only_on_this_hub(
    web: TestClient, live_factories: Factories
) -> None:
    live_factories.person("sora")
    response = post(web, "/login?next=/challenges/x", "/login", login="sora", password=PASSWORD,
                    next="/challenges/x")
    assert response.status_code == 303 and response.headers["location"] == "/challenges/x"
    assert "Max-Age=" in session_cookie(response)
    assert web.get("/me").status_code == 200
    web.cookies.clear()
    response = post(web, "/login", login="sora@example.org", password=PASSWORD,
                    next="//evil.example/")
    assert response.headers["location"] == "/"


def test_the_log_in_form_keeps_next_and_the_name(web: TestClient,
                                                 live_factories: Factories) -> None:
    live_factories.person("sora")
    assert 'name="next" value="/challenges/x/submit"' in web.get(
        "/login", params={"next": "/challenges/x/submit"}).text
    response = post(web, "/login", login="sora", password="wrong password",
                    next="/challenges/x/submit")
    assert response.status_code == 422
    assert 'value="sora"' in response.text
    assert 'name="next" value="/challenges/x/submit"' in response.text
    assert f'id="e-password" class="field-error">{ko(login.WRONG_LOGIN)}<' in response.text
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_visitors_are_sent_to_log_in_and_back(web: TestClient) -> None:
    for path in ("/me", "/me/tokens", "/me/password", "/me/invites"):
        response = web.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=" + path


def test_too_many_failures_refuse_log_in_and_say_until_when(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    live_factories.person("sora")
    attempts = live_hub.settings.login_attempts
    for _ in range(attempts):
        assert post(web, "/login", login="sora", password="guess").status_code == 422
    refused = post(web, "/login", login="sora", password=PASSWORD)
    assert refused.status_code == 429
    assert re.search(r'role="alert" class="field-error">로그인에 너무 많이 실패했습니다\. '
                     r"\S.* 이후에 다시 시도하세요\.<", refused.text)
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    assert count(live_hub, LoginFailure) == attempts


def test_log_out_ends_the_session_so_the_old_cookie_no_longer_works(
    web: TestClient, live_hub: Hub
) -> None:
    sign_up(web)
    old = web.cookies[SESSION_COOKIE]
    response = post(web, "/logout", "/me")
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert session_cookie(response).startswith(f'{SESSION_COOKIE}=""')
    with web_client(live_hub) as other:
        other.cookies.set(SESSION_COOKIE, old)
        assert other.get("/me").status_code == 303


def test_forms_without_the_pages_token_are_refused_and_change_nothing(
    web: TestClient, live_hub: Hub
) -> None:
    forms = {
        "/signup": {"username": "minji", "email": "m@example.org", "password": PASSWORD,
                    "password_repeat": PASSWORD},
        "/password/forgot": {"email": "m@example.org"},
    }
    for path, data in forms.items():
        assert web.post(path, data=data).status_code == 403
        assert web.post(path, data=data | {"csrf_token": "0" * 64}).status_code == 403
    assert count(live_hub, User) == 0
    sign_up(web)
    for path, data in {"/logout": {}, "/me/tokens": {"name": "laptop"},
                       "/me/password": {"old_password": PASSWORD, "new_password": "x" * 9,
                                        "new_password_repeat": "x" * 9}}.items():
        assert web.post(path, data=data).status_code == 403
    # Still logged in, no token, the password unchanged.
    assert web.get("/me").status_code == 200
    assert count(live_hub, ApiToken) == 0
    assert post(web, "/login", "/me", login="minji", password=PASSWORD).status_code == 303


def test_changing_the_password_logs_out_other_browsers_only(
    web: TestClient, live_hub: Hub
) -> None:
    sign_up(web)
    with web_client(live_hub) as laptop:
        post(laptop, "/login", login="minji", password=PASSWORD)
        wrong = post(web, "/me/password", old_password="guess", new_password="new password",
                     new_password_repeat="new password")
        assert wrong.status_code == 422
        assert f'id="e-old_password" class="field-error">{ko(login.WRONG_PASSWORD)}<' in wrong.text
        done = post(web, "/me/password", old_password=PASSWORD, new_password="new password",
                    new_password_repeat="new password")
        assert done.status_code == 200 and "로그아웃되었습니다" in done.text
        assert web.get("/me").status_code == 200
        assert laptop.get("/me").status_code == 303
        assert post(laptop, "/login", login="minji", password="new password").status_code == 303


def _mails(hub: Hub) -> str:
    path = hub.settings.data_dir / "mail.log"
    return path.read_text(encoding="utf-8") if path.exists() else ""


def test_a_password_reset_by_mail_works_once_and_ends_every_session(
    web: TestClient, live_hub: Hub
) -> None:
    sign_up(web)
    with web_client(live_hub) as stranger:
        known = post(stranger, "/password/forgot", email="minji@example.org")
        unknown = post(stranger, "/password/forgot", email="nobody@example.org")
        assert known.status_code == unknown.status_code == 200
        # The same answer, whether the address has an account or not.
        assert known.text.replace("minji@example.org", "@") == unknown.text.replace(
            "nobody@example.org", "@")
        mails = _mails(live_hub)
        assert "To: minji@example.org" in mails and "nobody@" not in mails
        assert "Subject: aihub 비밀번호 재설정" in mails
        match = re.search(r"https://testserver(/password/reset/[\w-]+)", mails)
        assert match, mails
        link = match.group(1)
        form = stranger.get(link)
        assert form.status_code == 200 and form.headers["referrer-policy"] == "no-referrer"
        differ = post(stranger, link, password="brand new pw", password_repeat="other pw")
        assert differ.status_code == 422 and ko(login.PASSWORDS_DIFFER) in differ.text
        done = post(stranger, link, password="brand new pw", password_repeat="brand new pw")
        assert done.status_code == 303 and done.headers["location"] == "/login?reset=1"
        again = stranger.get(link)
        assert again.status_code == 404 and ko(login.RESET_LINK_INVALID) in again.text
        assert post(stranger, link, "/password/forgot", password="third password",
                    password_repeat="third password").status_code == 404
    assert web.get("/me").status_code == 303  # the browser logged in before is logged out
    assert post(web, "/login", login="minji", password="brand new pw").status_code == 303


def test_an_unknown_reset_link_says_to_ask_again(web: TestClient) -> None:
    response = web.get("/password/reset/not-a-token")
    assert response.status_code == 404 and ko(login.RESET_LINK_INVALID) in response.text
    assert 'href="/password/forgot"' in response.text


def test_tokens_are_shown_once_listed_and_revoked(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    sign_up(web)
    empty = post(web, "/me/tokens", name="  ")
    assert empty.status_code == 422 and 'id="e-name"' in empty.text
    created = post(web, "/me/tokens", name="laptop")
    assert created.status_code == 201
    plain = re.search(r'id="new-token">(aihub_[\w-]+)<', created.text)
    assert plain
    token = plain.group(1)
    listing = web.get("/me/tokens")
    assert token not in listing.text and token[:12] in listing.text and "laptop" in listing.text
    headers = {"Authorization": f"Bearer {token}"}
    assert web.get("/api/v1/me", headers=headers).json()["username"] == "minji"
    with live_hub.db.reading() as session:
        token_id = session.scalar(select(ApiToken.id).where(ApiToken.name == "laptop"))
    # Someone else's token: the same answer as a missing one, and it keeps working.
    with web_client(live_hub) as other:
        sign_in(other, live_hub, live_factories.person("sora"))
        assert post(other, f"/me/tokens/{token_id}/revoke", "/me/tokens").status_code == 404
    assert web.get("/api/v1/me", headers=headers).status_code == 200
    revoked = post(web, f"/me/tokens/{token_id}/revoke", "/me/tokens")
    assert revoked.status_code == 303
    assert web.get("/api/v1/me", headers=headers).status_code == 401
    assert "폐기함" in web.get("/me/tokens").text


def test_my_page_lists_my_challenges_and_waiting_invitations(
    web: TestClient, live_hub: Hub, live_factories: Factories
) -> None:
    sign_up(web)
    with live_hub.db.reading() as session:
        minji = session.scalar(select(User).where(User.username == "minji"))
    assert minji is not None
    host = live_factories.host()
    joined = live_factories.challenge(host, "joined-one")
    invited_to = live_factories.challenge(host, "invited-one")
    live_factories.challenge(host, "not-mine")
    hidden = live_factories.challenge(host, "awaiting", approved=False)
    sora = live_factories.person("sora")
    me = Person(minji, "")
    for challenge in (joined, hidden):
        live_factories.join(challenge, me)
    live_factories.join(invited_to, sora)
    with live_hub.db.transaction() as session:
        challenge = get_challenge(session, "invited-one")
        teams.create_team(session, challenge, live_factories.actor(sora), "두루미")
        teams.invite(session, challenge, live_factories.actor(sora), minji)
    page = web.get("/me").text
    assert "테스트 과제 joined-one" in page and "테스트 과제 not-mine" not in page
    assert "awaiting" not in page  # joined before it was taken back for approval: not shown
    assert "sora 님이 invited-one 대회의 두루미 팀에 초대했습니다." in page
    assert 'name="answer" value="accept"' in page


def test_every_login_message_is_marked_for_translation() -> None:
    assert set(LOGIN_MESSAGES) == set(login.MESSAGES)
    for message in login.MESSAGES:
        ko(message)
